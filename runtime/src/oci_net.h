/* VNF NICs from OCI annotations: `org.vessel.net.N` (JSON, one per guest NIC,
 * in N order; docs/annotations.md) and the dataplane socket
 * (`org.vessel.dataplane.socket`, else $VESSEL_DP_SOCKET, else
 * /run/vessel/dp.sock).
 *
 * The parser depends only on jansson and libvslcommon (the libFuzzer target
 * links it alone). Every error names the annotation and the field, e.g.
 * "annotation `org.vessel.net.0`: field `vlan`: must be 1..4094".
 */
#ifndef VESSEL_OCI_NET_H
#define VESSEL_OCI_NET_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "oci_config.h"
#include "vessel/err.h"

#define VSL_DP_SOCKET_DEFAULT "/run/vessel/dp.sock"
#define VSL_NIC_MAX 16

enum vsl_nic_backend { VSL_NIC_VESSEL_DP, VSL_NIC_OVS };

struct vsl_nic_route {
	char *to;  /* "default" or an IPv4 CIDR */
	char *via; /* IPv4 gateway, NULL for on-link */
};

struct vsl_nic {
	unsigned index;        /* N of org.vessel.net.N */
	enum vsl_nic_backend backend;
	char *bridge;          /* vessel-dp bridge domain or OVS bridge; NULL with xconnect */
	char *xconnect;        /* vessel-dp peer port; NULL with bridge */
	unsigned vlan;         /* access VLAN (OVS tag), 0 for none */
	char *ifname;          /* guest interface name, default ethK (K = position) */
	char mac[18];          /* "52:xx:xx:xx:xx:xx" */
	unsigned mtu;          /* 0: the backend's default (1500) */
	unsigned queues;       /* 1..8 */
	char **addresses;      /* CIDRs */
	size_t n_addresses;
	struct vsl_nic_route *routes;
	size_t n_routes;
};

/* Parses every org.vessel.net.N annotation of c for container `id` (used for
 * the default MACs). Stores a new array in *out (*n entries, ordered by N;
 * NULL/0 when there is none). Refuses NICs when org.vessel.mem_share is
 * false: vhost-user maps guest memory, so it must be shared. */
int vsl_nics_parse(const struct vsl_oci_config *c, const char *id, struct vsl_nic **out, size_t *n,
		   struct vsl_err **err);
void vsl_nics_free(struct vsl_nic *nics, size_t n);

/* The same from a JSON object of annotations (a container's state.json
 * annotations, at delete). */
int vsl_nics_parse_json(json_t *annotations, const char *id, struct vsl_nic **out, size_t *n,
			struct vsl_err **err);

/* The dataplane control socket for this container (see above); borrowed. */
const char *vsl_nics_dp_socket(const struct vsl_oci_config *c);

/* The OVSDB for ovs-vsctl --db: org.vessel.ovs.db, else $VESSEL_OVS_DB, else
 * NULL (ovs-vsctl's default); borrowed. */
const char *vsl_nics_ovs_db(const struct vsl_oci_config *c);

/* Dataplane port name of a NIC: "<id>.<ifname>" (caller frees). */
char *vsl_nic_port_name(const char *id, const struct vsl_nic *nic);

#endif
