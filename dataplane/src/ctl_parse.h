/* The control protocol: JSON-RPC 2.0 over a unix stream socket, one request
 * per line. This module turns one line into a validated request (or a
 * JSON-RPC error naming the offending field) and builds responses. It knows
 * nothing of DPDK so unit tests and the fuzzer drive it directly.
 *
 * Methods and params:
 *   port.add   {name, type: "vhost"|"ethdev", path (vhost) | devargs (ethdev),
 *               bridge?, vlan_mode?: "access"|"trunk", vlan?, allowed_vlans?: [..],
 *               mtu?: 68..9000 (1500), queues?: 1..8 (1)}
 *   port.del {name}          port.list {}
 *   bridge.add {name, aging?: seconds (300, 0 = never), size?: MAC entries (4096)}
 *   bridge.del {name}        bridge.list {}
 *   xconnect.add {a, b}      xconnect.del {a}     xconnect.list {}
 *   mac.show {bridge?}       mac.flush {bridge?, port?}
 *   stats.show {port?}       stats.clear {port?}
 */
#ifndef VSL_DP_CTL_PARSE_H
#define VSL_DP_CTL_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "classify.h"

#define VSL_DP_NAME_MAX 79 /* a VNF port "<id>.<ifname>": 63 + 1 + 15 (vhost_path.h, IFNAMSIZ) */
#define VSL_DP_PATH_MAX 107
#define VSL_DP_DEVARGS_MAX 255

/* JSON-RPC 2.0 error codes. */
#define VSL_RPC_PARSE_ERROR -32700
#define VSL_RPC_INVALID_REQUEST -32600
#define VSL_RPC_METHOD_NOT_FOUND -32601
#define VSL_RPC_INVALID_PARAMS -32602
#define VSL_RPC_SERVER_ERROR -32000 /* the request was valid, the switch refused it */

enum vsl_dp_method {
	VSL_M_PORT_ADD, VSL_M_PORT_DEL, VSL_M_PORT_LIST,
	VSL_M_BRIDGE_ADD, VSL_M_BRIDGE_DEL, VSL_M_BRIDGE_LIST,
	VSL_M_XC_ADD, VSL_M_XC_DEL, VSL_M_XC_LIST,
	VSL_M_MAC_SHOW, VSL_M_MAC_FLUSH,
	VSL_M_STATS_SHOW, VSL_M_STATS_CLEAR,
	VSL_M__N
};

extern const char *const vsl_dp_method_names[VSL_M__N];

enum vsl_dp_port_type { VSL_PORT_VHOST, VSL_PORT_ETHDEV };

/* A validated port.add request; also the persisted form of a port. */
struct vsl_dp_port_spec {
	char name[VSL_DP_NAME_MAX + 1];
	uint8_t type; /* enum vsl_dp_port_type */
	char path[VSL_DP_PATH_MAX + 1];
	char devargs[VSL_DP_DEVARGS_MAX + 1];
	char bridge[VSL_DP_NAME_MAX + 1]; /* "" = none */
	struct vsl_vlan_cfg vlan;
	uint16_t n_allowed; /* entries given in allowed_vlans (0 = all) */
	uint32_t mtu;
	uint16_t queues;
};

struct vsl_dp_req {
	json_t *id; /* owned reference; NULL when the request had none */
	enum vsl_dp_method method;
	struct vsl_dp_port_spec port;   /* port.add */
	char name[VSL_DP_NAME_MAX + 1]; /* port.del, bridge.*, mac.show bridge */
	char a[VSL_DP_NAME_MAX + 1], b[VSL_DP_NAME_MAX + 1]; /* xconnect.*, a also port filter */
	uint32_t aging, size;           /* bridge.add */
};

/* Parses one request line (need not be NUL-terminated). Returns 0 and fills
 * req (release with vsl_dp_req_release), or -1 and sets *error_resp to a
 * complete JSON-RPC error response (caller owns it). Every request gets a
 * response: a request without an id is answered with "id": null (we do not
 * implement silent notifications; a control client always wants to know). */
int vsl_dp_req_parse(const char *line, size_t len, struct vsl_dp_req *req, json_t **error_resp);

/* Drops the reference to req->id. */
void vsl_dp_req_release(struct vsl_dp_req *req);

/* Validates a port spec object (the params of port.add, or a persisted
 * port). Returns 0, or -1 with *field and *why set (static strings). */
int vsl_dp_port_spec_parse(json_t *params, struct vsl_dp_port_spec *spec, const char **field,
			   const char **why);

/* Serialises a spec back to the params form (new reference). */
json_t *vsl_dp_port_spec_json(const struct vsl_dp_port_spec *spec);

/* Builds {"jsonrpc":"2.0","id":id,"result":result}; steals result. */
json_t *vsl_rpc_result(json_t *id, json_t *result);

/* Builds an error response; data.field is set when field is non-NULL. */
json_t *vsl_rpc_error(json_t *id, int code, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Is s a valid object name: 1..31 bytes of [A-Za-z0-9._-]? */
bool vsl_dp_name_valid(const char *s);

#endif
