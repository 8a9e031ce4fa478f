/* Validation of REST request bodies (see spec.h). Field checks are table
 * driven where they are uniform; every failure fills a vsl_api_err with the
 * field's path so the client can point at it. */
#include <ctype.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"
#include "vessel/cleanup.h"

const char *const vsl_status_names[] = { "creating", "created", "running", "stopped",
					 "paused",   "error",   "deleting", NULL };

void vsl_api_err_set(struct vsl_api_err *e, int http, const char *code, const char *field,
		     const char *fmt, ...)
{
	va_list ap;
	if (e->message)
		return; /* keep the first error */
	e->http = http;
	e->code = code;
	va_start(ap, fmt);
	if (vasprintf(&e->message, fmt, ap) < 0)
		e->message = NULL;
	va_end(ap);
	e->field = field ? xstrdup(field) : NULL;
}

void vsl_api_err_clear(struct vsl_api_err *e)
{
	free(e->message);
	free(e->field);
	memset(e, 0, sizeof(*e));
}

char *vsl_api_err_json(const struct vsl_api_err *e)
{
	json_t *o = json_pack("{s:{s:s, s:s, s:o}}", "error", "code", e->code ? e->code : "error",
			      "message", e->message ? e->message : "error", "field",
			      e->field ? json_string(e->field) : json_null());
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

json_t *vsl_spec_load(const char *body, size_t len, struct vsl_api_err *e)
{
	json_error_t je;
	json_t *j;
	if (len == 0) {
		vsl_api_err_set(e, 400, "invalid_json", NULL, "request body is empty: send a JSON object");
		return NULL;
	}
	j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		vsl_api_err_set(e, 400, "invalid_json", NULL, "malformed JSON at line %d column %d: %s",
				je.line, je.column, je.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		vsl_api_err_set(e, 400, "invalid_json", NULL, "request body must be a JSON object");
		return NULL;
	}
	return j;
}

int vsl_spec_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 63 || !isalnum((unsigned char)s[0]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			return 0;
	return strstr(s, "..") == NULL;
}

/* ---- field helpers ---- */

static int unknown_fields(json_t *o, const char *const *allowed, const char *prefix,
			  struct vsl_api_err *e)
{
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v) {
		size_t i;
		for (i = 0; allowed[i] && strcmp(allowed[i], k) != 0; i++)
			;
		if (!allowed[i]) {
			cleanup_free char *f = xasprintf("%s%s", prefix, k);
			vsl_api_err_set(e, 400, "unknown_field", f, "unknown field `%s`", f);
			return -1;
		}
	}
	return 0;
}

static int get_string(json_t *o, const char *key, const char *path, bool required, size_t max,
		      const char **out, struct vsl_api_err *e)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v)) {
		if (required) {
			vsl_api_err_set(e, 400, "missing_field", path, "field `%s` is required", path);
			return -1;
		}
		*out = NULL;
		return 0;
	}
	if (!json_is_string(v)) {
		vsl_api_err_set(e, 400, "invalid_type", path, "field `%s` must be a string", path);
		return -1;
	}
	if (json_string_length(v) == 0 || json_string_length(v) > max ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		vsl_api_err_set(e, 400, "out_of_range", path,
				"field `%s` must be 1..%zu characters without NUL", path, max);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

static int get_int(json_t *o, const char *key, const char *path, long long lo, long long hi,
		   long long def, long long *out, struct vsl_api_err *e)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v)) {
		*out = def;
		return 0;
	}
	if (!json_is_integer(v)) {
		vsl_api_err_set(e, 400, "invalid_type", path, "field `%s` must be an integer", path);
		return -1;
	}
	*out = json_integer_value(v);
	if (*out < lo || *out > hi) {
		vsl_api_err_set(e, 400, "out_of_range", path, "field `%s` must be %lld..%lld, got %lld",
				path, lo, hi, *out);
		return -1;
	}
	return 0;
}

static int get_enum(json_t *o, const char *key, const char *path, const char *const *vals,
		    const char **out, struct vsl_api_err *e)
{
	const char *s;
	if (get_string(o, key, path, false, 32, &s, e) < 0)
		return -1;
	if (!s) {
		*out = vals[0];
		return 0;
	}
	for (size_t i = 0; vals[i]; i++)
		if (strcmp(vals[i], s) == 0) {
			*out = vals[i];
			return 0;
		}
	char list[256] = "";
	for (size_t i = 0; vals[i]; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
			 vals[i]);
	vsl_api_err_set(e, 400, "invalid_value", path, "field `%s` must be one of %s, got `%s`", path,
			list, s);
	return -1;
}

static bool ipv4_cidr_ok(const char *s, bool need_len)
{
	unsigned a, b, c, d, l = 32;
	char tail;
	int n = sscanf(s, "%u.%u.%u.%u/%u%c", &a, &b, &c, &d, &l, &tail);
	if (n == 4 && !need_len && !strchr(s, '/')) {
		/* plain address */
	} else if (n != 5) {
		return false;
	}
	/* sscanf accepts leading '+' or spaces: reject them */
	for (const char *p = s; *p; p++)
		if (!isdigit((unsigned char)*p) && *p != '.' && *p != '/')
			return false;
	return a < 256 && b < 256 && c < 256 && d < 256 && l <= 32;
}

static bool mac_ok(const char *s)
{
	if (strlen(s) != 17)
		return false;
	for (int i = 0; i < 17; i++)
		if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
			return false;
	return (strtoul(s, NULL, 16) & 1) == 0; /* not multicast */
}

/* ---- VNF spec ---- */

static int spec_routes(json_t *routes, const char *prefix, struct vsl_api_err *e)
{
	static const char *const keys[] = { "to", "via", NULL };
	size_t i;
	json_t *r;
	char path[96];
	if (!json_is_array(routes) || json_array_size(routes) > 16) {
		snprintf(path, sizeof(path), "%s.routes", prefix);
		vsl_api_err_set(e, 400, "invalid_type", path, "field `%s` must be an array of at most 16 routes", path);
		return -1;
	}
	json_array_foreach(routes, i, r) {
		const char *to, *via;
		snprintf(path, sizeof(path), "%s.routes[%zu]", prefix, i);
		if (!json_is_object(r)) {
			vsl_api_err_set(e, 400, "invalid_type", path, "field `%s` must be an object", path);
			return -1;
		}
		char p2[128];
		snprintf(p2, sizeof(p2), "%s.", path);
		if (unknown_fields(r, keys, p2, e) < 0)
			return -1;
		snprintf(p2, sizeof(p2), "%s.to", path);
		if (get_string(r, "to", p2, true, 18, &to, e) < 0)
			return -1;
		if (strcmp(to, "default") != 0 && !ipv4_cidr_ok(to, true)) {
			vsl_api_err_set(e, 400, "invalid_value", p2, "field `%s` must be `default` or an IPv4 CIDR", p2);
			return -1;
		}
		snprintf(p2, sizeof(p2), "%s.via", path);
		if (get_string(r, "via", p2, true, 15, &via, e) < 0)
			return -1;
		if (!ipv4_cidr_ok(via, false) || strchr(via, '/')) {
			vsl_api_err_set(e, 400, "invalid_value", p2, "field `%s` must be an IPv4 address", p2);
			return -1;
		}
	}
	return 0;
}

static json_t *spec_nic(json_t *n, size_t i, struct vsl_api_err *e)
{
	static const char *const keys[] = { "network", "vlan", "mac", "ip", "routes", NULL };
	char prefix[32], path[64];
	const char *net, *mac, *ip;
	long long vlan;
	snprintf(prefix, sizeof(prefix), "nics[%zu]", i);
	if (!json_is_object(n)) {
		vsl_api_err_set(e, 400, "invalid_type", prefix, "field `%s` must be an object", prefix);
		return NULL;
	}
	snprintf(path, sizeof(path), "%s.", prefix);
	if (unknown_fields(n, keys, path, e) < 0)
		return NULL;
	snprintf(path, sizeof(path), "%s.network", prefix);
	if (get_string(n, "network", path, true, 63, &net, e) < 0)
		return NULL;
	if (!vsl_spec_name_ok(net)) {
		vsl_api_err_set(e, 400, "invalid_value", path, "field `%s`: `%s` is not a valid network name", path, net);
		return NULL;
	}
	snprintf(path, sizeof(path), "%s.vlan", prefix);
	if (get_int(n, "vlan", path, 1, 4094, 0, &vlan, e) < 0)
		return NULL;
	snprintf(path, sizeof(path), "%s.mac", prefix);
	if (get_string(n, "mac", path, false, 17, &mac, e) < 0)
		return NULL;
	if (mac && !mac_ok(mac)) {
		vsl_api_err_set(e, 400, "invalid_value", path, "field `%s` must be a unicast MAC like 52:54:00:12:34:56", path);
		return NULL;
	}
	snprintf(path, sizeof(path), "%s.ip", prefix);
	if (get_string(n, "ip", path, false, 18, &ip, e) < 0)
		return NULL;
	if (ip && !ipv4_cidr_ok(ip, true)) {
		vsl_api_err_set(e, 400, "invalid_value", path, "field `%s` must be an IPv4 CIDR like 10.0.0.1/24", path);
		return NULL;
	}
	json_t *routes = json_object_get(n, "routes");
	if (routes && spec_routes(routes, prefix, e) < 0)
		return NULL;
	json_t *o = json_pack("{s:s}", "network", net);
	if (vlan)
		json_object_set_new(o, "vlan", json_integer(vlan));
	if (mac)
		json_object_set_new(o, "mac", json_string(mac));
	if (ip)
		json_object_set_new(o, "ip", json_string(ip));
	json_object_set_new(o, "routes", routes ? json_deep_copy(routes) : json_array());
	return o;
}

static int spec_strings(json_t *in, json_t *out, struct vsl_api_err *e)
{
	json_t *args = json_object_get(in, "args");
	json_t *env = json_object_get(in, "env");
	json_t *labels = json_object_get(in, "labels");
	size_t i;
	json_t *v;
	const char *k;
	char path[300];
	if (args && !json_is_null(args)) {
		if (!json_is_array(args) || json_array_size(args) > 256) {
			vsl_api_err_set(e, 400, "invalid_type", "args", "field `args` must be an array of at most 256 strings");
			return -1;
		}
		json_array_foreach(args, i, v) {
			snprintf(path, sizeof(path), "args[%zu]", i);
			if (!json_is_string(v) || json_string_length(v) > 4096 ||
			    strlen(json_string_value(v)) != json_string_length(v)) {
				vsl_api_err_set(e, 400, "invalid_type", path, "field `%s` must be a string of at most 4096 bytes without NUL", path);
				return -1;
			}
		}
		json_object_set(out, "args", args);
	}
	json_t *maps[2] = { env, labels };
	const char *names[2] = { "env", "labels" };
	for (int m = 0; m < 2; m++) {
		if (!maps[m] || json_is_null(maps[m]))
			continue;
		if (!json_is_object(maps[m]) || json_object_size(maps[m]) > 256) {
			vsl_api_err_set(e, 400, "invalid_type", names[m], "field `%s` must be an object of at most 256 strings", names[m]);
			return -1;
		}
		json_object_foreach(maps[m], k, v) {
			snprintf(path, sizeof(path), "%s.%.200s", names[m], k);
			bool key_ok = *k && strlen(k) <= 128 && !isdigit((unsigned char)k[0]);
			for (const char *p = k; *p && key_ok; p++)
				key_ok = isalnum((unsigned char)*p) || *p == '_' || (m == 1 && strchr(".-/", *p));
			if (!key_ok) {
				vsl_api_err_set(e, 400, "invalid_value", path, "field `%s`: key must be 1..128 of [A-Za-z0-9_]%s, not starting with a digit", path, m ? " ./-" : "");
				return -1;
			}
			if (!json_is_string(v) || json_string_length(v) > 4096 ||
			    strlen(json_string_value(v)) != json_string_length(v)) {
				vsl_api_err_set(e, 400, "invalid_type", path, "field `%s` must be a string of at most 4096 bytes without NUL", path);
				return -1;
			}
		}
		json_object_set(out, names[m], maps[m]);
	}
	return 0;
}

static bool image_ref_ok(const char *s)
{
	if (strstr(s, "..") || s[0] == '/' || s[strlen(s) - 1] == '/')
		return false;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._:/@-", *p))
			return false;
	return true;
}

json_t *vsl_spec_vnf(json_t *in, struct vsl_api_err *e)
{
	static const char *const keys[] = { "name", "image", "vcpus", "memory_mb", "cpu_policy",
					    "numa_node", "hugepage_size", "nics", "args", "env",
					    "labels", "restart_policy", "hypervisor", NULL };
	static const char *const policies[] = { "shared", "dedicated", NULL };
	static const char *const hps[] = { "none", "2M", "1G", NULL };
	static const char *const restarts[] = { "never", "on-failure", "always", NULL };
	static const char *const hypervisors[] = { "qemu", "libvirt", NULL };
	const char *name, *image, *cpu_policy, *hp, *restart, *hv = NULL;
	long long vcpus, mem, node = -1;
	if (!json_is_object(in)) {
		vsl_api_err_set(e, 400, "invalid_json", NULL, "request body must be a JSON object");
		return NULL;
	}
	if (unknown_fields(in, keys, "", e) < 0 ||
	    get_string(in, "name", "name", true, 63, &name, e) < 0)
		return NULL;
	if (!vsl_spec_name_ok(name)) {
		vsl_api_err_set(e, 400, "invalid_value", "name",
				"field `name`: `%s` must be 1..63 of [A-Za-z0-9_.-], start with a letter or digit, no `/` or `..`",
				name);
		return NULL;
	}
	if (get_string(in, "image", "image", true, 255, &image, e) < 0)
		return NULL;
	if (!image_ref_ok(image)) {
		vsl_api_err_set(e, 400, "invalid_value", "image", "field `image`: `%s` is not an image digest or name", image);
		return NULL;
	}
	if (get_int(in, "vcpus", "vcpus", 1, 64, 1, &vcpus, e) < 0 ||
	    get_int(in, "memory_mb", "memory_mb", 64, 65536, 256, &mem, e) < 0 ||
	    get_enum(in, "cpu_policy", "cpu_policy", policies, &cpu_policy, e) < 0 ||
	    get_enum(in, "hugepage_size", "hugepage_size", hps, &hp, e) < 0 ||
	    get_enum(in, "restart_policy", "restart_policy", restarts, &restart, e) < 0 ||
	    (json_object_get(in, "hypervisor") != NULL &&
	     get_enum(in, "hypervisor", "hypervisor", hypervisors, &hv, e) < 0))
		return NULL;
	json_t *nn = json_object_get(in, "numa_node");
	if (nn && json_is_string(nn) && strcmp(json_string_value(nn), "auto") == 0) {
		node = -1;
	} else if (nn && !json_is_null(nn)) {
		if (get_int(in, "numa_node", "numa_node", 0, 1023, -1, &node, e) < 0) {
			vsl_api_err_set(e, 400, "invalid_value", "numa_node", "field `numa_node` must be `auto` or a node number");
			return NULL;
		}
	}
	json_t *out = json_pack("{s:s, s:s, s:I, s:I, s:s, s:s, s:s}", "name", name, "image", image,
				"vcpus", (json_int_t)vcpus, "memory_mb", (json_int_t)mem, "cpu_policy",
				cpu_policy, "hugepage_size", hp, "restart_policy", restart);
	json_object_set_new(out, "numa_node", node < 0 ? json_string("auto") : json_integer(node));
	if (hv != NULL) /* absent: the node's choice (vessel-runtime's VESSEL_HYPERVISOR) */
		json_object_set_new(out, "hypervisor", json_string(hv));
	json_t *nics = json_object_get(in, "nics"), *arr = json_array();
	json_object_set_new(out, "nics", arr);
	if (nics && !json_is_null(nics)) {
		size_t i;
		json_t *n;
		if (!json_is_array(nics) || json_array_size(nics) > 8) {
			vsl_api_err_set(e, 400, "invalid_type", "nics", "field `nics` must be an array of at most 8 NICs");
			goto fail;
		}
		json_array_foreach(nics, i, n) {
			json_t *nic = spec_nic(n, i, e);
			if (!nic)
				goto fail;
			json_array_append_new(arr, nic);
		}
	}
	if (spec_strings(in, out, e) < 0)
		goto fail;
	return out;
fail:
	json_decref(out);
	return NULL;
}

int vsl_spec_signal(const char *s)
{
	static const struct { const char *n; int v; } sigs[] = {
		{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "KILL", SIGKILL },
		{ "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "TERM", SIGTERM }, { "CONT", SIGCONT },
		{ "STOP", SIGSTOP },
	};
	char *end;
	if (strncmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (strcmp(s, sigs[i].n) == 0)
			return sigs[i].v;
	long v = strtol(s, &end, 10);
	return (*s && !*end && v >= 1 && v <= 64) ? (int)v : -1;
}

int vsl_spec_stop(json_t *in, int *grace, struct vsl_api_err *e)
{
	static const char *const keys[] = { "grace", NULL };
	long long g;
	*grace = 10;
	if (!in)
		return 0;
	if (unknown_fields(in, keys, "", e) < 0 || get_int(in, "grace", "grace", 0, 3600, 10, &g, e) < 0)
		return -1;
	*grace = (int)g;
	return 0;
}

int vsl_spec_kill(json_t *in, int *signo, struct vsl_api_err *e)
{
	static const char *const keys[] = { "signal", NULL };
	json_t *v = in ? json_object_get(in, "signal") : NULL;
	*signo = SIGKILL;
	if (!in || !v)
		return unknown_fields(in ? in : json_object(), keys, "", e) < 0 ? -1 : 0;
	if (unknown_fields(in, keys, "", e) < 0)
		return -1;
	if (json_is_integer(v)) {
		long long s = json_integer_value(v);
		*signo = (s >= 1 && s <= 64) ? (int)s : -1;
	} else if (json_is_string(v)) {
		*signo = vsl_spec_signal(json_string_value(v));
	} else {
		vsl_api_err_set(e, 400, "invalid_type", "signal", "field `signal` must be a name like TERM or a number");
		return -1;
	}
	if (*signo < 0) {
		vsl_api_err_set(e, 400, "invalid_value", "signal", "field `signal`: unknown signal");
		return -1;
	}
	return 0;
}

json_t *vsl_spec_network(json_t *in, struct vsl_api_err *e)
{
	static const char *const keys[] = { "name", "type", "aging", "a", "b", NULL };
	static const char *const types[] = { "bridge", "xconnect", NULL };
	const char *name, *type, *a = NULL, *b = NULL;
	long long aging;
	if (unknown_fields(in, keys, "", e) < 0 || get_string(in, "name", "name", true, 63, &name, e) < 0)
		return NULL;
	if (!vsl_spec_name_ok(name)) {
		vsl_api_err_set(e, 400, "invalid_value", "name", "field `name`: `%s` must be 1..63 of [A-Za-z0-9_.-], no `/` or `..`", name);
		return NULL;
	}
	if (get_enum(in, "type", "type", types, &type, e) < 0 ||
	    get_int(in, "aging", "aging", 0, 86400, 300, &aging, e) < 0)
		return NULL;
	json_t *out = json_pack("{s:s, s:s}", "name", name, "type", type);
	if (strcmp(type, "bridge") == 0) {
		if (json_object_get(in, "a") || json_object_get(in, "b")) {
			vsl_api_err_set(e, 400, "invalid_value", json_object_get(in, "a") ? "a" : "b",
					"fields `a` and `b` are for type `xconnect` only");
			json_decref(out);
			return NULL;
		}
		json_object_set_new(out, "aging", json_integer(aging));
		return out;
	}
	if (get_string(in, "a", "a", true, 63, &a, e) < 0 || get_string(in, "b", "b", true, 63, &b, e) < 0 ||
	    !vsl_spec_name_ok(a) || !vsl_spec_name_ok(b) || strcmp(a, b) == 0) {
		if (a && b)
			vsl_api_err_set(e, 400, "invalid_value", vsl_spec_name_ok(a) ? "b" : "a",
					"fields `a` and `b` must be two different dataplane port names");
		json_decref(out);
		return NULL;
	}
	json_object_set_new(out, "a", json_string(a));
	json_object_set_new(out, "b", json_string(b));
	return out;
}
