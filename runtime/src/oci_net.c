/* org.vessel.net.N parser: see oci_net.h.
 *
 * Each annotation value is a JSON object; unknown fields are errors (a typo
 * such as "vlna" must not silently give an untagged port). Names that end up
 * in socket paths and dataplane port names are checked against the
 * vhost-user path contract (vhost-user/include/vessel/vhost_path.h).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci_net.h"
#include "vessel/cleanup.h"
#include "vessel/vhost_path.h"

#define NET_PREFIX "org.vessel.net."

struct ctx {
	const char *key; /* the annotation */
	struct vsl_err **err;
};

__attribute__((format(printf, 3, 4))) static int bad(struct ctx *x, const char *field,
						      const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (field)
		return vsl_err_make(x->err, 0, "annotation `%s`: field `%s`: %s", x->key, field, msg);
	return vsl_err_make(x->err, 0, "annotation `%s`: %s", x->key, msg);
}

static int get_name(struct ctx *x, json_t *o, const char *field, char **out)
{
	json_t *v = json_object_get(o, field);
	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return bad(x, field, "expected a string");
	const char *s = json_string_value(v);
	if (strlen(s) != json_string_length(v) || vsl_vhost_name_valid(s) < 0)
		return bad(x, field, "`%s` is not a name of 1..%d characters [A-Za-z0-9._-]", s,
			   VSL_VHOST_NAME_MAX);
	*out = xstrdup(s);
	return 0;
}

static int get_uint(struct ctx *x, json_t *o, const char *field, unsigned lo, unsigned hi,
		    unsigned *out)
{
	json_t *v = json_object_get(o, field);
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return bad(x, field, "must be an integer %u..%u", lo, hi);
	*out = (unsigned)json_integer_value(v);
	return 0;
}

/* "a.b.c.d/p" or "v6/p" (prefix required). */
static bool cidr_ok(const char *s)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	if (slash == NULL || (size_t)(slash - s) >= sizeof(buf))
		return false;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	unsigned char a[16];
	int fam = strchr(buf, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(fam, buf, a) != 1)
		return false;
	char *end;
	long p = strtol(slash + 1, &end, 10);
	return end != slash + 1 && *end == '\0' && p >= 0 && p <= (fam == AF_INET ? 32 : 128);
}

static int parse_addresses(struct ctx *x, json_t *o, struct vsl_nic *n)
{
	json_t *arr = json_object_get(o, "addresses"), *v;
	size_t i;
	if (arr == NULL || json_is_null(arr))
		return 0;
	if (!json_is_array(arr))
		return bad(x, "addresses", "expected an array of CIDRs like \"10.0.0.1/24\"");
	n->addresses = xzalloc((json_array_size(arr) + 1) * sizeof(char *));
	json_array_foreach(arr, i, v) {
		char f[32];
		snprintf(f, sizeof(f), "addresses[%zu]", i);
		if (!json_is_string(v) || !cidr_ok(json_string_value(v)))
			return bad(x, f, "expected a CIDR like \"10.0.0.1/24\"");
		n->addresses[n->n_addresses++] = xstrdup(json_string_value(v));
	}
	return 0;
}

static bool ipv4_ok(const char *s)
{
	unsigned char a[4];
	return inet_pton(AF_INET, s, a) == 1;
}

static int parse_routes(struct ctx *x, json_t *o, struct vsl_nic *n)
{
	json_t *arr = json_object_get(o, "routes"), *v;
	size_t i;
	if (arr == NULL || json_is_null(arr))
		return 0;
	if (!json_is_array(arr))
		return bad(x, "routes", "expected an array of {\"to\": ..., \"via\": ...}");
	n->routes = xzalloc((json_array_size(arr) + 1) * sizeof(*n->routes));
	json_array_foreach(arr, i, v) {
		char f[32];
		snprintf(f, sizeof(f), "routes[%zu]", i);
		if (!json_is_object(v))
			return bad(x, f, "expected {\"to\": \"default\"|CIDR, \"via\": IPv4}");
		const char *key;
		json_t *m;
		json_object_foreach(v, key, m)
			if (strcmp(key, "to") != 0 && strcmp(key, "via") != 0)
				return bad(x, f, "unknown field `%s` (to, via)", key);
		const char *to = json_string_value(json_object_get(v, "to"));
		json_t *via = json_object_get(v, "via");
		if (to == NULL || (strcmp(to, "default") != 0 && !(cidr_ok(to) && !strchr(to, ':'))))
			return bad(x, f, "`to`: expected \"default\" or an IPv4 CIDR");
		if (via != NULL && !(json_is_string(via) && ipv4_ok(json_string_value(via))))
			return bad(x, f, "`via`: expected an IPv4 address");
		struct vsl_nic_route *r = &n->routes[n->n_routes++];
		r->to = xstrdup(to);
		r->via = via ? xstrdup(json_string_value(via)) : NULL;
	}
	return 0;
}

static int parse_mac(struct ctx *x, json_t *o, const char *id, struct vsl_nic *n)
{
	json_t *v = json_object_get(o, "mac");
	unsigned char b[6];
	if (v == NULL || json_is_null(v)) {
		/* stable, locally administered, unicast: 0x52 then FNV-1a of id/ifname */
		uint64_t h = 1469598103934665603ull;
		for (const char *p = id; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ull;
		h = (h ^ '/') * 1099511628211ull;
		for (const char *p = n->ifname; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ull;
		snprintf(n->mac, sizeof(n->mac), "52:%02x:%02x:%02x:%02x:%02x",
			 (unsigned)(h >> 32) & 0xff, (unsigned)(h >> 24) & 0xff,
			 (unsigned)(h >> 16) & 0xff, (unsigned)(h >> 8) & 0xff, (unsigned)h & 0xff);
		return 0;
	}
	const char *s = json_is_string(v) ? json_string_value(v) : "";
	bool ok = strlen(s) == 17;
	for (size_t i = 0; ok && i < 17; i++)
		ok = i % 3 == 2 ? s[i] == ':' : isxdigit((unsigned char)s[i]) != 0;
	if (!ok || sscanf(s, "%2hhx:%2hhx:%2hhx:%2hhx:%2hhx:%2hhx", &b[0], &b[1], &b[2], &b[3], &b[4],
			  &b[5]) != 6)
		return bad(x, "mac", "expected \"xx:xx:xx:xx:xx:xx\"");
	if (b[0] & 1)
		return bad(x, "mac", "`%s` is a multicast address", s);
	snprintf(n->mac, sizeof(n->mac), "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2],
		 b[3], b[4], b[5]);
	return 0;
}

static int check_fields(struct ctx *x, json_t *o)
{
	static const char *const known[] = { "backend", "bridge", "xconnect", "vlan", "ifname",
					     "mac", "mtu", "queues", "addresses", "routes" };
	const char *key;
	json_t *v;
	json_object_foreach(o, key, v) {
		bool ok = false;
		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			ok |= strcmp(key, known[i]) == 0;
		if (!ok)
			return bad(x, key, "unknown field (backend, bridge, xconnect, vlan, ifname, "
				   "mac, mtu, queues, addresses, routes)");
	}
	return 0;
}

static int parse_attachment(struct ctx *x, json_t *o, struct vsl_nic *n)
{
	json_t *b = json_object_get(o, "backend");
	if (b != NULL && !json_is_null(b)) {
		const char *s = json_string_value(b);
		if (s != NULL && strcmp(s, "vessel-dp") == 0)
			n->backend = VSL_NIC_VESSEL_DP;
		else if (s != NULL && strcmp(s, "ovs") == 0)
			n->backend = VSL_NIC_OVS;
		else
			return bad(x, "backend", "expected \"vessel-dp\" or \"ovs\"");
	}
	if (get_name(x, o, "bridge", &n->bridge) < 0 || get_name(x, o, "xconnect", &n->xconnect) < 0 ||
	    get_uint(x, o, "vlan", 1, 4094, &n->vlan) < 0)
		return -1;
	if (n->backend == VSL_NIC_OVS && n->xconnect)
		return bad(x, "xconnect", "not available with backend \"ovs\" (use an OVS bridge)");
	if (n->bridge && n->xconnect)
		return bad(x, "xconnect", "give either `bridge` or `xconnect`, not both");
	if (!n->bridge && !n->xconnect)
		return bad(x, NULL, "needs `bridge`%s", n->backend == VSL_NIC_OVS ? "" :
			   " (a bridge domain) or `xconnect` (a peer port)");
	if (n->xconnect && n->vlan)
		return bad(x, "vlan", "a cross-connect carries every frame: no `vlan` with `xconnect`");
	return 0;
}

static int parse_one(struct ctx *x, const char *id, const char *text, size_t pos,
		     struct vsl_nic *n)
{
	json_error_t je;
	json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, &je);
	int r = -1;
	n->queues = 1;
	if (o == NULL) {
		bad(x, NULL, "not valid JSON at column %d: %s", je.column, je.text);
		return -1;
	}
	if (!json_is_object(o)) {
		bad(x, NULL, "expected a JSON object");
		goto out;
	}
	if (check_fields(x, o) < 0 || parse_attachment(x, o, n) < 0 ||
	    get_name(x, o, "ifname", &n->ifname) < 0 || get_uint(x, o, "mtu", 68, 9000, &n->mtu) < 0 ||
	    get_uint(x, o, "queues", 1, 8, &n->queues) < 0)
		goto out;
	if (n->ifname == NULL)
		n->ifname = xasprintf("eth%zu", pos);
	if (strlen(n->ifname) > 15) {
		bad(x, "ifname", "`%s` is longer than 15 characters (Linux IFNAMSIZ)", n->ifname);
		goto out;
	}
	if (parse_mac(x, o, id, n) < 0 || parse_addresses(x, o, n) < 0 || parse_routes(x, o, n) < 0)
		goto out;
	r = 0;
out:
	json_decref(o);
	return r;
}

/* N of "org.vessel.net.N", or -1 (with *err) when the suffix is not a number. */
static long net_index(const char *key, struct vsl_err **err)
{
	const char *s = key + strlen(NET_PREFIX);
	char *end;
	long i = strtol(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || i >= 1000 || (s[0] == '0' && s[1] != '\0'))
		return vsl_err_make(err, 0, "annotation `%s`: expected " NET_PREFIX "N with N = 0, 1, ...",
				    key);
	return i;
}

struct net_ann {
	unsigned index;
	const char *key, *value;
};

static int cmp_ann(const void *a, const void *b)
{
	const struct net_ann *x = a, *y = b;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Interface names and MACs must differ within the VNF. */
static int check_unique(const struct vsl_nic *v, size_t n, struct vsl_err **err)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++) {
			if (strcmp(v[i].ifname, v[j].ifname) == 0)
				return vsl_err_make(err, 0, "annotation `" NET_PREFIX "%u`: field `ifname`: "
						    "`%s` is already used by " NET_PREFIX "%u",
						    v[i].index, v[i].ifname, v[j].index);
			if (strcmp(v[i].mac, v[j].mac) == 0)
				return vsl_err_make(err, 0, "annotation `" NET_PREFIX "%u`: field `mac`: "
						    "%s is already used by " NET_PREFIX "%u",
						    v[i].index, v[i].mac, v[j].index);
		}
	return 0;
}

static int add_ann(struct net_ann *ann, size_t *count, const char *key, const char *value,
		   struct vsl_err **err)
{
	if (strncmp(key, NET_PREFIX, strlen(NET_PREFIX)) != 0)
		return 0;
	if (*count == VSL_NIC_MAX)
		return vsl_err_make(err, 0, "annotation `%s`: at most %d NICs", key, VSL_NIC_MAX);
	long idx = net_index(key, err);
	if (idx < 0)
		return -1;
	ann[(*count)++] = (struct net_ann){ (unsigned)idx, key, value };
	return 0;
}

static int parse_anns(struct net_ann *ann, size_t count, bool mem_shared, const char *id,
		      struct vsl_nic **out, size_t *n, struct vsl_err **err);

int vsl_nics_parse(const struct vsl_oci_config *c, const char *id, struct vsl_nic **out, size_t *n,
		   struct vsl_err **err)
{
	struct net_ann ann[VSL_NIC_MAX];
	size_t count = 0;
	for (size_t i = 0; i < c->n_annotations; i++)
		if (add_ann(ann, &count, c->annotations[i].key, c->annotations[i].value, err) < 0)
			return -1;
	return parse_anns(ann, count, c->mem_shared, id, out, n, err);
}

int vsl_nics_parse_json(json_t *annotations, const char *id, struct vsl_nic **out, size_t *n,
			struct vsl_err **err)
{
	struct net_ann ann[VSL_NIC_MAX];
	size_t count = 0;
	const char *key;
	json_t *v;
	json_object_foreach(annotations, key, v)
		if (json_is_string(v) && add_ann(ann, &count, key, json_string_value(v), err) < 0)
			return -1;
	return parse_anns(ann, count, true, id, out, n, err);
}

static int parse_anns(struct net_ann *ann, size_t count, bool mem_shared, const char *id,
		      struct vsl_nic **out, size_t *n, struct vsl_err **err)
{
	*out = NULL;
	*n = 0;
	if (count == 0)
		return 0;
	if (!mem_shared)
		return vsl_err_make(err, 0, "annotation `%s`: vhost-user NICs need shared guest memory, "
				    "but org.vessel.mem_share is false: drop one of them", ann[0].key);
	qsort(ann, count, sizeof(ann[0]), cmp_ann); /* default ifnames follow N order */
	struct vsl_nic *v = xzalloc(count * sizeof(*v));
	for (size_t i = 0; i < count; i++) {
		struct ctx x = { .key = ann[i].key, .err = err };
		v[i].index = ann[i].index;
		if (parse_one(&x, id, ann[i].value, i, &v[i]) < 0) {
			vsl_nics_free(v, count);
			return -1;
		}
	}
	if (check_unique(v, count, err) < 0) {
		vsl_nics_free(v, count);
		return -1;
	}
	*out = v;
	*n = count;
	return 0;
}

void vsl_nics_free(struct vsl_nic *nics, size_t n)
{
	if (nics == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(nics[i].bridge);
		free(nics[i].xconnect);
		free(nics[i].ifname);
		for (size_t j = 0; j < nics[i].n_addresses; j++)
			free(nics[i].addresses[j]);
		free(nics[i].addresses);
		for (size_t j = 0; j < nics[i].n_routes; j++) {
			free(nics[i].routes[j].to);
			free(nics[i].routes[j].via);
		}
		free(nics[i].routes);
	}
	free(nics);
}

const char *vsl_nics_dp_socket(const struct vsl_oci_config *c)
{
	const char *s = vsl_oci_config_annotation(c, "org.vessel.dataplane.socket");
	if (s == NULL || *s == '\0')
		s = getenv("VESSEL_DP_SOCKET");
	return s && *s ? s : VSL_DP_SOCKET_DEFAULT;
}

const char *vsl_nics_ovs_db(const struct vsl_oci_config *c)
{
	const char *s = vsl_oci_config_annotation(c, "org.vessel.ovs.db");
	if (s == NULL || *s == '\0')
		s = getenv("VESSEL_OVS_DB");
	return s && *s ? s : NULL;
}

char *vsl_nic_port_name(const char *id, const struct vsl_nic *nic)
{
	return xasprintf("%s.%s", id, nic->ifname);
}
