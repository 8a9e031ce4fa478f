/* JSON-RPC request parsing and validation for the vessel-dp control socket.
 * Every rejection names the field at fault in the message and in
 * error.data.field, so a user (or the agent) knows what to fix. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ctl_parse.h"

const char *const vsl_dp_method_names[VSL_M__N] = {
	[VSL_M_PORT_ADD] = "port.add",     [VSL_M_PORT_DEL] = "port.del",
	[VSL_M_PORT_LIST] = "port.list",   [VSL_M_BRIDGE_ADD] = "bridge.add",
	[VSL_M_BRIDGE_DEL] = "bridge.del", [VSL_M_BRIDGE_LIST] = "bridge.list",
	[VSL_M_XC_ADD] = "xconnect.add",   [VSL_M_XC_DEL] = "xconnect.del",
	[VSL_M_XC_LIST] = "xconnect.list", [VSL_M_MAC_SHOW] = "mac.show",
	[VSL_M_MAC_FLUSH] = "mac.flush",   [VSL_M_STATS_SHOW] = "stats.show",
	[VSL_M_STATS_CLEAR] = "stats.clear",
};

const char *const vsl_dp_drop_names[VSL_DROP__N] = {
	[VSL_DROP_RUNT] = "runt",           [VSL_DROP_OVERSIZE] = "oversized",
	[VSL_DROP_VLAN] = "vlan",           [VSL_DROP_NO_ROUTE] = "no_route",
	[VSL_DROP_TX_FULL] = "tx_full",     [VSL_DROP_LINK_DOWN] = "link_down",
	[VSL_DROP_NO_MBUF] = "no_mbuf",
};

bool vsl_dp_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > VSL_DP_NAME_MAX || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

json_t *vsl_rpc_result(json_t *id, json_t *result)
{
	return json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id ? id : json_null(),
			 "result", result ? result : json_object());
}

json_t *vsl_rpc_error(json_t *id, int code, const char *field, const char *fmt, ...)
{
	char msg[512];
	json_t *err;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err = json_pack("{s:i, s:s}", "code", code, "message", msg);
	if (field)
		json_object_set_new(err, "data", json_pack("{s:s}", "field", field));
	return json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id ? id : json_null(), "error",
			 err);
}

/* Copies an optional/required string member. Returns 0 ok, -1 bad. */
static int get_str(json_t *o, const char *key, bool required, char *out, size_t outsz,
		   const char **why)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL) {
		if (required) {
			*why = "missing";
			return -1;
		}
		return 0;
	}
	if (!json_is_string(v)) {
		*why = "must be a string";
		return -1;
	}
	if (json_string_length(v) >= outsz || strlen(json_string_value(v)) != json_string_length(v)) {
		*why = "too long or contains NUL";
		return -1;
	}
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int get_name(json_t *o, const char *key, bool required, char *out, const char **why)
{
	if (get_str(o, key, required, out, VSL_DP_NAME_MAX + 1, why) < 0)
		return -1;
	if ((required || out[0]) && !vsl_dp_name_valid(out)) {
		*why = "must be 1-31 characters of A-Z a-z 0-9 . _ -";
		return -1;
	}
	return 0;
}

/* Optional integer member in [lo, hi]; *out keeps its default if absent. */
static int get_int(json_t *o, const char *key, json_int_t lo, json_int_t hi, uint32_t *out,
		   const char **why)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL)
		return 0;
	if (!json_is_integer(v)) {
		*why = "must be an integer";
		return -1;
	}
	if (json_integer_value(v) < lo || json_integer_value(v) > hi) {
		*why = "out of range";
		return -1;
	}
	*out = (uint32_t)json_integer_value(v);
	return 0;
}

static int parse_vlans(json_t *params, struct vsl_dp_port_spec *s, const char **field,
		       const char **why)
{
	char mode[16] = "";
	uint32_t vlan = 0;
	json_t *allowed, *v;
	size_t i;

	*field = "vlan_mode";
	if (get_str(params, "vlan_mode", false, mode, sizeof(mode), why) < 0)
		return -1;
	if (mode[0] && strcmp(mode, "access") != 0 && strcmp(mode, "trunk") != 0) {
		*why = "must be \"access\" or \"trunk\"";
		return -1;
	}
	*field = "vlan";
	if (get_int(params, "vlan", 0, 4094, &vlan, why) < 0)
		return -1;
	/* A VLAN given without a mode means access, as in `tag=` on OVS. */
	s->vlan.mode = (strcmp(mode, "access") == 0 || (!mode[0] && json_object_get(params, "vlan")))
			       ? VSL_VLAN_ACCESS
			       : VSL_VLAN_TRUNK;
	s->vlan.vlan = (uint16_t)vlan;
	if (s->vlan.mode == VSL_VLAN_ACCESS && vlan == 0) {
		*why = "access ports need a VLAN in 1..4094";
		return -1;
	}
	*field = "allowed_vlans";
	allowed = json_object_get(params, "allowed_vlans");
	s->vlan.allow_all = true;
	if (allowed == NULL)
		return 0;
	if (!json_is_array(allowed)) {
		*why = "must be an array of VLAN ids";
		return -1;
	}
	if (s->vlan.mode == VSL_VLAN_ACCESS) {
		*why = "only valid on trunk ports";
		return -1;
	}
	if (json_array_size(allowed) == 0)
		return 0;
	s->vlan.allow_all = false;
	json_array_foreach(allowed, i, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 4094) {
			*why = "entries must be integers in 0..4094";
			return -1;
		}
		uint16_t id = (uint16_t)json_integer_value(v);
		if (!((s->vlan.allowed[id >> 6] >> (id & 63)) & 1))
			s->n_allowed++;
		s->vlan.allowed[id >> 6] |= 1ULL << (id & 63);
	}
	return 0;
}

int vsl_dp_port_spec_parse(json_t *params, struct vsl_dp_port_spec *s, const char **field,
			   const char **why)
{
	char type[16] = "";
	uint32_t mtu = 1500, queues = 1;

	memset(s, 0, sizeof(*s));
	*field = "name";
	if (get_name(params, "name", true, s->name, why) < 0)
		return -1;
	*field = "type";
	if (get_str(params, "type", true, type, sizeof(type), why) < 0)
		return -1;
	if (strcmp(type, "vhost") == 0) {
		s->type = VSL_PORT_VHOST;
		*field = "path";
		if (get_str(params, "path", true, s->path, sizeof(s->path), why) < 0)
			return -1;
		if (s->path[0] != '/') {
			*why = "must be an absolute socket path";
			return -1;
		}
	} else if (strcmp(type, "ethdev") == 0) {
		s->type = VSL_PORT_ETHDEV;
		*field = "devargs";
		if (get_str(params, "devargs", true, s->devargs, sizeof(s->devargs), why) < 0)
			return -1;
		if (s->devargs[0] == '\0') {
			*why = "must not be empty";
			return -1;
		}
	} else {
		*why = "must be \"vhost\" or \"ethdev\"";
		return -1;
	}
	*field = "bridge";
	if (get_name(params, "bridge", false, s->bridge, why) < 0)
		return -1;
	if (parse_vlans(params, s, field, why) < 0)
		return -1;
	*field = "mtu";
	if (get_int(params, "mtu", 68, 9000, &mtu, why) < 0)
		return -1;
	*field = "queues";
	if (get_int(params, "queues", 1, 8, &queues, why) < 0)
		return -1;
	s->mtu = mtu;
	s->queues = (uint16_t)queues;
	*field = NULL;
	return 0;
}

json_t *vsl_dp_port_spec_json(const struct vsl_dp_port_spec *s)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:i, s:i}", "name", s->name, "type",
			      s->type == VSL_PORT_VHOST ? "vhost" : "ethdev", "vlan_mode",
			      s->vlan.mode == VSL_VLAN_ACCESS ? "access" : "trunk", "vlan", s->vlan.vlan,
			      "mtu", (json_int_t)s->mtu, "queues", s->queues);

	json_object_set_new(o, s->type == VSL_PORT_VHOST ? "path" : "devargs",
			    json_string(s->type == VSL_PORT_VHOST ? s->path : s->devargs));
	if (s->bridge[0])
		json_object_set_new(o, "bridge", json_string(s->bridge));
	if (s->vlan.mode == VSL_VLAN_TRUNK && !s->vlan.allow_all) {
		json_t *a = json_array();

		for (unsigned v = 0; v < 4096; v++)
			if ((s->vlan.allowed[v >> 6] >> (v & 63)) & 1)
				json_array_append_new(a, json_integer(v));
		json_object_set_new(o, "allowed_vlans", a);
	}
	return o;
}

/* Fills the method-specific part of req from params. */
static int parse_params(json_t *params, struct vsl_dp_req *req, const char **field,
			const char **why)
{
	*field = NULL;
	switch (req->method) {
	case VSL_M_PORT_ADD:
		return vsl_dp_port_spec_parse(params, &req->port, field, why);
	case VSL_M_PORT_DEL:
	case VSL_M_BRIDGE_DEL:
		*field = "name";
		return get_name(params, "name", true, req->name, why);
	case VSL_M_BRIDGE_ADD:
		req->aging = 300;
		req->size = 4096;
		*field = "name";
		if (get_name(params, "name", true, req->name, why) < 0)
			return -1;
		*field = "aging";
		if (get_int(params, "aging", 0, 86400, &req->aging, why) < 0)
			return -1;
		*field = "size";
		return get_int(params, "size", 8, 1 << 20, &req->size, why);
	case VSL_M_XC_ADD:
		*field = "a";
		if (get_name(params, "a", true, req->a, why) < 0)
			return -1;
		*field = "b";
		if (get_name(params, "b", true, req->b, why) < 0)
			return -1;
		if (strcmp(req->a, req->b) == 0) {
			*why = "must differ from a";
			return -1;
		}
		return 0;
	case VSL_M_XC_DEL:
		*field = "a";
		return get_name(params, "a", true, req->a, why);
	case VSL_M_MAC_SHOW:
		*field = "bridge";
		return get_name(params, "bridge", false, req->name, why);
	case VSL_M_MAC_FLUSH:
		*field = "bridge";
		if (get_name(params, "bridge", false, req->name, why) < 0)
			return -1;
		*field = "port";
		return get_name(params, "port", false, req->a, why);
	case VSL_M_STATS_SHOW:
	case VSL_M_STATS_CLEAR:
		*field = "port";
		return get_name(params, "port", false, req->a, why);
	default:
		return 0;
	}
}

int vsl_dp_req_parse(const char *line, size_t len, struct vsl_dp_req *req, json_t **error_resp)
{
	json_error_t jerr;
	json_t *root, *v, *params, *id = NULL;
	const char *m, *field = NULL, *why = "invalid";
	int method = -1;

	memset(req, 0, sizeof(*req));
	*error_resp = NULL;
	root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		*error_resp = vsl_rpc_error(NULL, VSL_RPC_PARSE_ERROR, NULL, "parse error: %s (column %d)",
					    jerr.text, jerr.column);
		return -1;
	}
	if (!json_is_object(root)) {
		*error_resp = vsl_rpc_error(NULL, VSL_RPC_INVALID_REQUEST, NULL,
					    "request must be a JSON object");
		goto fail;
	}
	id = json_object_get(root, "id");
	if (id && !json_is_string(id) && !json_is_integer(id) && !json_is_null(id)) {
		*error_resp = vsl_rpc_error(NULL, VSL_RPC_INVALID_REQUEST, "id",
					    "id: must be a string, an integer or null");
		goto fail;
	}
	req->id = id ? json_incref(id) : NULL;
	v = json_object_get(root, "jsonrpc");
	if (!json_is_string(v) || strcmp(json_string_value(v), "2.0") != 0) {
		*error_resp = vsl_rpc_error(id, VSL_RPC_INVALID_REQUEST, "jsonrpc",
					    "jsonrpc: must be \"2.0\"");
		goto fail;
	}
	v = json_object_get(root, "method");
	if (!json_is_string(v)) {
		*error_resp = vsl_rpc_error(id, VSL_RPC_INVALID_REQUEST, "method",
					    "method: missing or not a string");
		goto fail;
	}
	m = json_string_value(v);
	for (int i = 0; i < VSL_M__N; i++)
		if (strcmp(m, vsl_dp_method_names[i]) == 0)
			method = i;
	if (method < 0) {
		*error_resp = vsl_rpc_error(id, VSL_RPC_METHOD_NOT_FOUND, "method",
					    "method: unknown method `%.64s`", m);
		goto fail;
	}
	req->method = (enum vsl_dp_method)method;
	params = json_object_get(root, "params");
	if (params && !json_is_object(params)) {
		*error_resp = vsl_rpc_error(id, VSL_RPC_INVALID_PARAMS, "params",
					    "params: must be an object");
		goto fail;
	}
	{
		json_t *empty = json_object();
		int r = parse_params(params ? params : empty, req, &field, &why);

		json_decref(empty);
		if (r < 0) {
			*error_resp = vsl_rpc_error(id, VSL_RPC_INVALID_PARAMS, field, "%s: %s",
						    field ? field : "params", why);
			goto fail;
		}
	}
	json_decref(root);
	return 0;
fail:
	vsl_dp_req_release(req);
	json_decref(root);
	return -1;
}

void vsl_dp_req_release(struct vsl_dp_req *req)
{
	json_decref(req->id);
	req->id = NULL;
}
