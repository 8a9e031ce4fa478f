/* config.json parser: see oci_config.h.
 *
 * Each helper takes the JSON path of the value it reads ("process.user.uid")
 * so an error can name exactly the field at fault. Absent optional fields get
 * OCI/runc defaults; present fields of the wrong type are errors, never
 * silently ignored.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci_config.h"
#include "vessel/cleanup.h"

#define CFG "config.json: "

static int want_type(json_t *v, json_type t, const char *what, const char *path,
		     struct vsl_err **err)
{
	if (v != NULL && json_typeof(v) == t)
		return 0;
	return vsl_err_make(err, 0, CFG "%s: expected %s", path, what);
}

/* Optional string member; *out stays NULL (or gets dflt) when absent. */
static int get_str(json_t *obj, const char *key, const char *path, const char *dflt,
		   char **out, struct vsl_err **err)
{
	json_t *v = json_object_get(obj, key);
	if (v == NULL || json_is_null(v)) {
		*out = dflt ? xstrdup(dflt) : NULL;
		return 0;
	}
	if (!json_is_string(v))
		return vsl_err_make(err, 0, CFG "%s: expected a string", path);
	const char *s = json_string_value(v);
	if (strlen(s) != json_string_length(v))
		return vsl_err_make(err, 0, CFG "%s: string contains a NUL byte", path);
	*out = xstrdup(s);
	return 0;
}

static int get_bool(json_t *obj, const char *key, const char *path, bool *out,
		    struct vsl_err **err)
{
	json_t *v = json_object_get(obj, key);
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return vsl_err_make(err, 0, CFG "%s: expected true or false", path);
	*out = json_is_true(v);
	return 0;
}

static int get_u32(json_t *v, const char *path, uint32_t *out, struct vsl_err **err)
{
	if (!json_is_integer(v))
		return vsl_err_make(err, 0, CFG "%s: expected an integer", path);
	json_int_t i = json_integer_value(v);
	if (i < 0 || i > (json_int_t)UINT32_MAX)
		return vsl_err_make(err, 0, CFG "%s: %lld is out of range 0..%u", path,
				    (long long)i, UINT32_MAX);
	*out = (uint32_t)i;
	return 0;
}

/* Optional array of strings. */
static int get_str_array(json_t *obj, const char *key, const char *path, char ***out,
			 size_t *n_out, struct vsl_err **err)
{
	json_t *arr = json_object_get(obj, key);
	*out = NULL;
	*n_out = 0;
	if (arr == NULL || json_is_null(arr))
		return 0;
	if (!json_is_array(arr))
		return vsl_err_make(err, 0, CFG "%s: expected an array of strings", path);
	size_t n = json_array_size(arr);
	char **v = xzalloc((n + 1) * sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(arr, i);
		if (!json_is_string(e) || strlen(json_string_value(e)) != json_string_length(e)) {
			for (size_t j = 0; j < i; j++)
				free(v[j]);
			free(v);
			return vsl_err_make(err, 0, CFG "%s[%zu]: expected a string", path, i);
		}
		v[i] = xstrdup(json_string_value(e));
	}
	*out = v;
	*n_out = n;
	return 0;
}

static int parse_user(json_t *proc, struct vsl_oci_config *c, struct vsl_err **err)
{
	json_t *user = json_object_get(proc, "user");
	if (user == NULL || json_is_null(user))
		return 0;
	if (want_type(user, JSON_OBJECT, "an object", "process.user", err) < 0)
		return -1;
	json_t *v;
	if ((v = json_object_get(user, "uid")) != NULL &&
	    get_u32(v, "process.user.uid", &c->uid, err) < 0)
		return -1;
	if ((v = json_object_get(user, "gid")) != NULL &&
	    get_u32(v, "process.user.gid", &c->gid, err) < 0)
		return -1;
	json_t *gids = json_object_get(user, "additionalGids");
	if (gids == NULL || json_is_null(gids))
		return 0;
	if (!json_is_array(gids))
		return vsl_err_make(err, 0, CFG "process.user.additionalGids: expected an array");
	size_t n = json_array_size(gids);
	c->additional_gids = xzalloc((n + 1) * sizeof(uint32_t));
	for (size_t i = 0; i < n; i++) {
		char path[64];
		snprintf(path, sizeof(path), "process.user.additionalGids[%zu]", i);
		if (get_u32(json_array_get(gids, i), path, &c->additional_gids[i], err) < 0)
			return -1;
		c->n_additional_gids++;
	}
	return 0;
}

static int parse_env(json_t *proc, struct vsl_oci_config *c, struct vsl_err **err)
{
	if (get_str_array(proc, "env", "process.env", &c->env, &c->n_env, err) < 0)
		return -1;
	for (size_t i = 0; i < c->n_env; i++) {
		const char *eq = strchr(c->env[i], '=');
		if (eq == NULL || eq == c->env[i])
			return vsl_err_make(err, 0, CFG "process.env[%zu]: `%s` is not NAME=value",
					    i, c->env[i]);
	}
	return 0;
}

static int parse_process(json_t *root, struct vsl_oci_config *c, struct vsl_err **err)
{
	json_t *proc = json_object_get(root, "process");
	if (proc == NULL || json_is_null(proc))
		return vsl_err_make(err, 0, CFG "process: required (the program to run)");
	if (want_type(proc, JSON_OBJECT, "an object", "process", err) < 0)
		return -1;
	if (get_str_array(proc, "args", "process.args", &c->args, &c->n_args, err) < 0)
		return -1;
	if (c->n_args == 0)
		return vsl_err_make(err, 0, CFG "process.args: required, at least one element");
	if (c->args[0][0] == '\0')
		return vsl_err_make(err, 0, CFG "process.args[0]: must not be empty");
	if (parse_env(proc, c, err) < 0)
		return -1;
	if (get_str(proc, "cwd", "process.cwd", "/", &c->cwd, err) < 0)
		return -1;
	if (c->cwd[0] != '/')
		return vsl_err_make(err, 0, CFG "process.cwd: `%s` is not an absolute path", c->cwd);
	if (get_bool(proc, "terminal", "process.terminal", &c->terminal, err) < 0)
		return -1;
	json_t *cs = json_object_get(proc, "consoleSize");
	if (cs != NULL && !json_is_null(cs)) {
		if (want_type(cs, JSON_OBJECT, "an object", "process.consoleSize", err) < 0)
			return -1;
		json_t *h = json_object_get(cs, "height"), *w = json_object_get(cs, "width");
		if (h != NULL && get_u32(h, "process.consoleSize.height", &c->rows, err) < 0)
			return -1;
		if (w != NULL && get_u32(w, "process.consoleSize.width", &c->cols, err) < 0)
			return -1;
	}
	return parse_user(proc, c, err);
}

static int parse_root(json_t *root, struct vsl_oci_config *c, struct vsl_err **err)
{
	json_t *r = json_object_get(root, "root");
	if (r == NULL || json_is_null(r))
		return vsl_err_make(err, 0, CFG "root: required (root.path names the rootfs)");
	if (want_type(r, JSON_OBJECT, "an object", "root", err) < 0)
		return -1;
	if (get_str(r, "path", "root.path", NULL, &c->root_path, err) < 0)
		return -1;
	if (c->root_path == NULL || c->root_path[0] == '\0')
		return vsl_err_make(err, 0, CFG "root.path: required");
	return get_bool(r, "readonly", "root.readonly", &c->root_readonly, err);
}

static int parse_mount(json_t *m, size_t i, struct vsl_oci_mount *out, struct vsl_err **err)
{
	char p[96];
	snprintf(p, sizeof(p), "mounts[%zu]", i);
	if (want_type(m, JSON_OBJECT, "an object", p, err) < 0)
		return -1;
	snprintf(p, sizeof(p), "mounts[%zu].destination", i);
	if (get_str(m, "destination", p, NULL, &out->destination, err) < 0)
		return -1;
	if (out->destination == NULL || out->destination[0] != '/')
		return vsl_err_make(err, 0, CFG "%s: required, an absolute path", p);
	snprintf(p, sizeof(p), "mounts[%zu].type", i);
	if (get_str(m, "type", p, "", &out->type, err) < 0)
		return -1;
	snprintf(p, sizeof(p), "mounts[%zu].source", i);
	if (get_str(m, "source", p, "", &out->source, err) < 0)
		return -1;
	snprintf(p, sizeof(p), "mounts[%zu].options", i);
	return get_str_array(m, "options", p, &out->options, &out->n_options, err);
}

static int parse_mounts(json_t *root, struct vsl_oci_config *c, struct vsl_err **err)
{
	json_t *arr = json_object_get(root, "mounts");
	if (arr == NULL || json_is_null(arr))
		return 0;
	if (!json_is_array(arr))
		return vsl_err_make(err, 0, CFG "mounts: expected an array");
	size_t n = json_array_size(arr);
	c->mounts = xzalloc((n + 1) * sizeof(*c->mounts));
	for (size_t i = 0; i < n; i++) {
		c->n_mounts++; /* count first so _free sees partial entries */
		if (parse_mount(json_array_get(arr, i), i, &c->mounts[i], err) < 0)
			return -1;
	}
	return 0;
}

static int parse_annotations(json_t *root, struct vsl_oci_config *c, struct vsl_err **err)
{
	json_t *obj = json_object_get(root, "annotations");
	if (obj == NULL || json_is_null(obj))
		return 0;
	if (!json_is_object(obj))
		return vsl_err_make(err, 0, CFG "annotations: expected an object of strings");
	c->annotations = xzalloc((json_object_size(obj) + 1) * sizeof(*c->annotations));
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
			return vsl_err_make(err, 0, CFG "annotations.%s: expected a string", key);
		struct vsl_oci_kv *kv = &c->annotations[c->n_annotations++];
		kv->key = xstrdup(key);
		kv->value = xstrdup(json_string_value(v));
	}
	return 0;
}

static int get_i64(json_t *obj, const char *key, const char *path, int64_t *out,
		   struct vsl_err **err)
{
	json_t *v = json_object_get(obj, key);
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v))
		return vsl_err_make(err, 0, CFG "%s: expected an integer", path);
	*out = json_integer_value(v);
	return 0;
}

static int parse_resources(json_t *root, struct vsl_oci_config *c, struct vsl_err **err)
{
	json_t *lx = json_object_get(root, "linux");
	if (lx == NULL || json_is_null(lx))
		return 0;
	if (want_type(lx, JSON_OBJECT, "an object", "linux", err) < 0)
		return -1;
	json_t *res = json_object_get(lx, "resources");
	if (res == NULL || json_is_null(res))
		return 0;
	if (want_type(res, JSON_OBJECT, "an object", "linux.resources", err) < 0)
		return -1;
	json_t *mem = json_object_get(res, "memory");
	if (mem != NULL && !json_is_null(mem)) {
		if (want_type(mem, JSON_OBJECT, "an object", "linux.resources.memory", err) < 0)
			return -1;
		if (get_i64(mem, "limit", "linux.resources.memory.limit", &c->memory_limit, err) < 0)
			return -1;
	}
	json_t *cpu = json_object_get(res, "cpu");
	if (cpu == NULL || json_is_null(cpu))
		return 0;
	if (want_type(cpu, JSON_OBJECT, "an object", "linux.resources.cpu", err) < 0)
		return -1;
	if (get_i64(cpu, "quota", "linux.resources.cpu.quota", &c->cpu_quota, err) < 0)
		return -1;
	int64_t period = 0;
	if (get_i64(cpu, "period", "linux.resources.cpu.period", &period, err) < 0)
		return -1;
	if (period < 0)
		return vsl_err_make(err, 0, CFG "linux.resources.cpu.period: must not be negative");
	c->cpu_period = (uint64_t)period;
	return get_str(cpu, "cpus", "linux.resources.cpu.cpus", NULL, &c->cpus, err);
}

/* linux.sysctl: an object of strings; the guest kernel applies them. */
static int parse_sysctl(json_t *root, struct vsl_oci_config *c, struct vsl_err **err)
{
	json_t *lx = json_object_get(root, "linux");
	json_t *obj = json_is_object(lx) ? json_object_get(lx, "sysctl") : NULL;
	if (obj == NULL || json_is_null(obj))
		return 0;
	if (!json_is_object(obj))
		return vsl_err_make(err, 0, CFG "linux.sysctl: expected an object of strings");
	c->sysctls = xzalloc((json_object_size(obj) + 1) * sizeof(char *));
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
			return vsl_err_make(err, 0, CFG "linux.sysctl.%s: expected a string", key);
		if (key[0] == '\0' || strchr(key, '/') != NULL || strstr(key, "..") != NULL ||
		    strchr(key, '=') != NULL)
			return vsl_err_make(err, 0, CFG "linux.sysctl: `%s` is not a sysctl name", key);
		c->sysctls[c->n_sysctls++] = xasprintf("%s=%s", key, json_string_value(v));
	}
	return 0;
}

int vsl_oci_cpuset_count(const char *s)
{
	int count = 0;
	const char *p = s;
	while (*p != '\0') {
		char *end;
		errno = 0;
		long a = strtol(p, &end, 10);
		if (end == p || errno != 0 || a < 0 || a > 65535)
			return -1;
		long b = a;
		p = end;
		if (*p == '-') {
			b = strtol(p + 1, &end, 10);
			if (end == p + 1 || errno != 0 || b < a || b > 65535)
				return -1;
			p = end;
		}
		count += (int)(b - a + 1);
		if (*p == ',' && p[1] != '\0')
			p++;
		else if (*p != '\0')
			return -1;
	}
	return count > 0 ? count : -1;
}

static int annotation_uint(const struct vsl_oci_config *c, const char *key, unsigned lo,
			   unsigned hi, unsigned *out, struct vsl_err **err)
{
	const char *v = vsl_oci_config_annotation(c, key);
	if (v == NULL)
		return 0;
	char *end;
	errno = 0;
	unsigned long n = strtoul(v, &end, 10);
	if (v[0] == '\0' || v[0] == '-' || *end != '\0' || errno != 0 || n < lo || n > hi)
		return vsl_err_make(err, 0, CFG "annotations.%s: `%s` is not an integer in %u..%u",
				    key, v, lo, hi);
	*out = (unsigned)n;
	return 0;
}

/* Guest size: linux.resources first, then the org.vessel.* annotations win. */
static int derive_size(struct vsl_oci_config *c, struct vsl_err **err)
{
	c->vcpus = VSL_DEFAULT_VCPUS;
	c->memory_mb = VSL_DEFAULT_MEMORY_MB;
	if (c->memory_limit > 0) {
		uint64_t mb = ((uint64_t)c->memory_limit + (1u << 20) - 1) >> 20;
		if (mb > VSL_MAX_MEMORY_MB)
			return vsl_err_make(err, 0, CFG "linux.resources.memory.limit: %lld bytes is "
					    "more than %u MiB", (long long)c->memory_limit,
					    VSL_MAX_MEMORY_MB);
		c->memory_mb = mb < VSL_MIN_MEMORY_MB ? VSL_MIN_MEMORY_MB : (unsigned)mb;
	}
	if (c->cpu_quota > 0) {
		uint64_t period = c->cpu_period ? c->cpu_period : 100000;
		uint64_t n = ((uint64_t)c->cpu_quota + period - 1) / period;
		c->vcpus = n > VSL_MAX_VCPUS ? VSL_MAX_VCPUS : (unsigned)n;
	} else if (c->cpus != NULL && c->cpus[0] != '\0') {
		int n = vsl_oci_cpuset_count(c->cpus);
		if (n < 0)
			return vsl_err_make(err, 0, CFG "linux.resources.cpu.cpus: `%s` is not a "
					    "CPU list like 0-3,6", c->cpus);
		c->vcpus = (unsigned)n > VSL_MAX_VCPUS ? VSL_MAX_VCPUS : (unsigned)n;
	}
	if (annotation_uint(c, "org.vessel.vcpus", 1, VSL_MAX_VCPUS, &c->vcpus, err) < 0)
		return -1;
	return annotation_uint(c, "org.vessel.memory_mb", VSL_MIN_MEMORY_MB, VSL_MAX_MEMORY_MB,
			       &c->memory_mb, err);
}

/* org.vessel.cpu_policy, numa_node, hugepage_size, mem_prealloc. Values are
 * checked here so a bad one fails create before anything is placed. */
static int parse_placement(struct vsl_oci_config *c, struct vsl_err **err)
{
	const char *v;
	c->numa_node = -1;
	if ((v = vsl_oci_config_annotation(c, "org.vessel.cpu_policy")) != NULL) {
		if (strcmp(v, "dedicated") != 0 && strcmp(v, "shared") != 0)
			return vsl_err_make(err, 0, CFG "annotations.org.vessel.cpu_policy: `%s` is not "
					    "`shared` or `dedicated`", v);
		c->dedicated = strcmp(v, "dedicated") == 0;
		c->placement_asked |= c->dedicated;
	}
	if ((v = vsl_oci_config_annotation(c, "org.vessel.numa_node")) != NULL &&
	    strcmp(v, "auto") != 0) {
		char *end;
		errno = 0;
		long n = strtol(v, &end, 10);
		if (v[0] < '0' || v[0] > '9' || *end != '\0' || errno != 0 || n > 1023)
			return vsl_err_make(err, 0, CFG "annotations.org.vessel.numa_node: `%s` is not "
					    "`auto` or a node number 0..1023", v);
		c->numa_node = (int)n;
		c->placement_asked = true;
	}
	if ((v = vsl_oci_config_annotation(c, "org.vessel.hugepage_size")) != NULL) {
		if (strcmp(v, "2M") == 0)
			c->hugepage_kb = 2048;
		else if (strcmp(v, "1G") == 0)
			c->hugepage_kb = 1048576;
		else if (strcmp(v, "none") != 0)
			return vsl_err_make(err, 0, CFG "annotations.org.vessel.hugepage_size: `%s` is "
					    "not `none`, `2M` or `1G`", v);
		c->placement_asked |= c->hugepage_kb != 0;
		if (c->hugepage_kb && c->memory_mb % (c->hugepage_kb / 1024) != 0)
			return vsl_err_make(err, 0, CFG "annotations.org.vessel.hugepage_size: guest "
					    "memory %u MiB is not a multiple of %s pages", c->memory_mb, v);
	}
	c->mem_shared = true;
	if ((v = vsl_oci_config_annotation(c, "org.vessel.mem_share")) != NULL) {
		if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
			return vsl_err_make(err, 0, CFG "annotations.org.vessel.mem_share: `%s` is "
					    "not `true` or `false`", v);
		c->mem_shared = strcmp(v, "true") == 0;
	}
	if ((v = vsl_oci_config_annotation(c, "org.vessel.mem_prealloc")) != NULL) {
		if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
			return vsl_err_make(err, 0, CFG "annotations.org.vessel.mem_prealloc: `%s` is "
					    "not `true` or `false`", v);
		c->mem_prealloc = strcmp(v, "true") == 0;
	}
	return 0;
}

int vsl_oci_config_parse(const char *text, size_t len, struct vsl_oci_config **out,
			 struct vsl_err **err)
{
	json_error_t jerr;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return vsl_err_make(err, 0, CFG "not valid JSON at line %d column %d: %s",
				    jerr.line, jerr.column, jerr.text);
	struct vsl_oci_config *c = xzalloc(sizeof(*c));
	c->memory_limit = -1;
	c->cpu_quota = -1;
	int r = -1;
	if (!json_is_object(root)) {
		vsl_err_make(err, 0, CFG "top level: expected an object");
		goto out;
	}
	if (get_str(root, "ociVersion", "ociVersion", "1.0.2", &c->oci_version, err) < 0 ||
	    parse_process(root, c, err) < 0 || parse_root(root, c, err) < 0 ||
	    get_str(root, "hostname", "hostname", "", &c->hostname, err) < 0 ||
	    parse_mounts(root, c, err) < 0 || parse_annotations(root, c, err) < 0 ||
	    parse_resources(root, c, err) < 0 || parse_sysctl(root, c, err) < 0 ||
	    derive_size(c, err) < 0 ||
	    parse_placement(c, err) < 0)
		goto out;
	if (strchr(c->hostname, '/') != NULL || strlen(c->hostname) > 64)
		vsl_err_make(err, 0, CFG "hostname: `%s` is not a valid host name", c->hostname);
	else
		r = 0;
out:
	json_decref(root);
	if (r < 0) {
		vsl_oci_config_free(c);
		return -1;
	}
	*out = c;
	return 0;
}

static int read_file(const char *path, char **out, size_t *len, struct vsl_err **err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vsl_err_make(err, errno, "open `%s`", path);
	size_t cap = 4096, n = 0;
	cleanup_free char *buf = xmalloc(cap);
	for (;;) {
		if (n == cap) {
			if (cap >= (16u << 20))
				return vsl_err_make(err, EFBIG, "read `%s`", path);
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return vsl_err_make(err, errno, "read `%s`", path);
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*len = n;
	*out = steal_pointer(&buf);
	return 0;
}

int vsl_oci_config_load(const char *bundle, struct vsl_oci_config **out, struct vsl_err **err)
{
	cleanup_free char *path = xasprintf("%s/config.json", bundle);
	cleanup_free char *text = NULL;
	size_t len = 0;
	if (read_file(path, &text, &len, err) < 0)
		return vsl_err_wrap(err, "bundle `%s`", bundle);
	struct vsl_oci_config *c = NULL;
	if (vsl_oci_config_parse(text, len, &c, err) < 0)
		return vsl_err_wrap(err, "bundle `%s`", bundle);
	if (c->root_path[0] != '/') {
		char *abs = xasprintf("%s/%s", bundle, c->root_path);
		free(c->root_path);
		c->root_path = abs;
	}
	struct stat st;
	int bad = 0;
	if (stat(c->root_path, &st) < 0)
		bad = vsl_err_make(err, errno, "bundle `%s`: root.path `%s`: create the rootfs directory",
				   bundle, c->root_path);
	else if (!S_ISDIR(st.st_mode))
		bad = vsl_err_make(err, 0, "bundle `%s`: root.path `%s` is not a directory", bundle,
				   c->root_path);
	if (bad < 0) {
		vsl_oci_config_free(c);
		return -1;
	}
	*out = c;
	return 0;
}

const char *vsl_oci_config_annotation(const struct vsl_oci_config *c, const char *key)
{
	for (size_t i = 0; i < c->n_annotations; i++)
		if (strcmp(c->annotations[i].key, key) == 0)
			return c->annotations[i].value;
	return NULL;
}

static void free_strv(char **v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void vsl_oci_config_free(struct vsl_oci_config *c)
{
	if (c == NULL)
		return;
	free(c->oci_version);
	free_strv(c->args, c->n_args);
	free_strv(c->env, c->n_env);
	free(c->cwd);
	free(c->additional_gids);
	free(c->hostname);
	free(c->root_path);
	for (size_t i = 0; i < c->n_mounts; i++) {
		free(c->mounts[i].destination);
		free(c->mounts[i].type);
		free(c->mounts[i].source);
		free_strv(c->mounts[i].options, c->mounts[i].n_options);
	}
	free(c->mounts);
	for (size_t i = 0; i < c->n_annotations; i++) {
		free(c->annotations[i].key);
		free(c->annotations[i].value);
	}
	free(c->annotations);
	free(c->cpus);
	free_strv(c->sysctls, c->n_sysctls);
	free(c);
}

void vsl_oci_config_freep(struct vsl_oci_config **c)
{
	vsl_oci_config_free(*c);
	*c = NULL;
}
