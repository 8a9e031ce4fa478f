/* The placement state file: dedicated CPUs and hugepages recorded per VNF.
 *
 * Stored as JSON (jansson) in <dir>/placement.json, written atomically (temp
 * file, fsync, rename, directory fsync) under an flock on <dir>/placement.lock
 * so that the runtime, the agent and the vessel-numa CLI can all allocate
 * without handing out a core twice, across restarts. A file that fails to
 * parse or validate is reported with its path and left untouched: silently
 * starting from an empty state would double-book every core.
 *
 *   {"version":1,"housekeeping":"0","dataplane":"1",
 *    "vnfs":{"fw1":{"node":0,"cpu_policy":"dedicated","vcpus":2,"vcpu_cpus":[2,3],
 *                   "shared":"0-1","memory_mb":256,"hugepage_kb":2048,"hugepages":128}}}
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "numa_internal.h"
#include "vessel/cleanup.h"
#include "vessel/err.h"
#include "vessel/numa.h"

#define STATE_VERSION 1
#define VNF_ID_MAX 256

static void jsonp(json_t **j)
{
	json_decref(*j);
}
#define cleanup_json __attribute__((cleanup(jsonp)))

static void rec_free(struct vsl_place_rec *r)
{
	free(r->vnf_id);
}

static struct vsl_place_state *state_new(void)
{
	struct vsl_place_state *st = xzalloc(sizeof(*st));
	return st;
}

void vsl_place_state_destroy(struct vsl_place_state *st)
{
	if (!st)
		return;
	for (int i = 0; i < st->n; i++)
		rec_free(&st->recs[i]);
	free(st->recs);
	free(st->dir);
	free(st->path);
	free(st);
}

struct vsl_place_rec *vsl_place_state_find(struct vsl_place_state *st, const char *vnf_id)
{
	for (int i = 0; i < st->n; i++)
		if (strcmp(st->recs[i].vnf_id, vnf_id) == 0)
			return &st->recs[i];
	return NULL;
}

void vsl_place_state_add(struct vsl_place_state *st, struct vsl_place_rec *rec)
{
	st->recs = xrealloc(st->recs, sizeof(*st->recs) * (size_t)(st->n + 1));
	st->recs[st->n++] = *rec;
	rec->vnf_id = NULL;
}

void vsl_place_state_remove(struct vsl_place_state *st, const char *vnf_id)
{
	for (int i = 0; i < st->n; i++) {
		if (strcmp(st->recs[i].vnf_id, vnf_id) != 0)
			continue;
		rec_free(&st->recs[i]);
		memmove(&st->recs[i], &st->recs[i + 1], sizeof(*st->recs) * (size_t)(st->n - i - 1));
		st->n--;
		return;
	}
}

int vsl_place_state_count(const struct vsl_place_state *st)
{
	return st->n;
}

const char *vsl_place_state_vnf(const struct vsl_place_state *st, int i)
{
	return i >= 0 && i < st->n ? st->recs[i].vnf_id : NULL;
}

void vsl_place_state_dedicated(const struct vsl_place_state *st, struct vsl_cpuset *out)
{
	vsl_cpuset_zero(out);
	for (int i = 0; i < st->n; i++)
		if (st->recs[i].cpu_policy == VSL_CPU_DEDICATED)
			for (int v = 0; v < st->recs[i].vcpus; v++)
				vsl_cpuset_add(out, st->recs[i].vcpu_cpu[v]);
}

void vsl_place_state_reserved(const struct vsl_place_state *st, const struct vsl_topo *t,
			      struct vsl_cpuset *housekeeping, struct vsl_cpuset *dataplane)
{
	if (st->have_housekeeping) {
		*housekeeping = st->housekeeping;
	} else {
		/* Default: the physical core of CPU 0 (the boot CPU takes most
		 * kernel housekeeping: timers, unbound work, RCU callbacks). */
		vsl_cpuset_zero(housekeeping);
		vsl_cpuset_add(housekeeping, 0);
		if (t && t->max_cpu >= 0 && vsl_cpuset_has(&t->online, 0))
			vsl_cpuset_or(housekeeping, &t->cpus[0].siblings);
	}
	*dataplane = st->dataplane;
}

/* ---- parsing ----------------------------------------------------------- */

static int get_int(json_t *obj, const char *key, long long lo, long long hi, long long *out, const char *what,
		   struct vsl_err **err)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_integer(v))
		return vsl_err_make(err, 0, "%s: field `%s` missing or not an integer", what, key);
	*out = json_integer_value(v);
	if (*out < lo || *out > hi)
		return vsl_err_make(err, 0, "%s: field `%s` = %lld out of range %lld..%lld", what, key, *out, lo, hi);
	return 0;
}

static int get_cpulist(json_t *obj, const char *key, struct vsl_cpuset *out, const char *what,
		       struct vsl_err **err)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_string(v))
		return vsl_err_make(err, 0, "%s: field `%s` missing or not a cpulist string", what, key);
	if (vsl_cpulist_parse(json_string_value(v), out, err) < 0)
		return vsl_err_wrap(err, "%s: field `%s`", what, key);
	return 0;
}

static int parse_rec(const char *id, json_t *o, struct vsl_place_rec *r, struct vsl_err **err)
{
	cleanup_free char *what = xasprintf("vnf `%.64s`", id);
	long long v;
	json_t *pol, *cpus;

	memset(r, 0, sizeof(*r));
	if (!json_is_object(o))
		return vsl_err_make(err, 0, "%s: not an object", what);
	if (*id == '\0' || strlen(id) > VNF_ID_MAX)
		return vsl_err_make(err, 0, "%s: vnf id must be 1..%d characters", what, VNF_ID_MAX);
	if (get_int(o, "node", 0, 4095, &v, what, err) < 0)
		return -1;
	r->node = (int)v;
	pol = json_object_get(o, "cpu_policy");
	if (!json_is_string(pol) || vsl_cpu_policy_parse(json_string_value(pol), &r->cpu_policy) < 0)
		return vsl_err_make(err, 0, "%s: field `cpu_policy` must be \"dedicated\" or \"shared\"", what);
	if (get_int(o, "vcpus", 1, VSL_NUMA_MAX_VCPUS, &v, what, err) < 0)
		return -1;
	r->vcpus = (int)v;
	if (get_int(o, "memory_mb", 1, (long long)1 << 40, &v, what, err) < 0)
		return -1;
	r->memory_mb = (uint64_t)v;
	if (get_int(o, "hugepage_kb", 0, 1048576, &v, what, err) < 0)
		return -1;
	if (v != 0 && vsl_hp_index((uint64_t)v) < 0)
		return vsl_err_make(err, 0, "%s: field `hugepage_kb` must be 0, 2048 or 1048576", what);
	r->hugepage_kb = (uint64_t)v;
	if (get_int(o, "hugepages", 0, (long long)1 << 40, &v, what, err) < 0)
		return -1;
	r->hugepages = (uint64_t)v;
	if (get_cpulist(o, "shared", &r->shared, what, err) < 0)
		return -1;
	cpus = json_object_get(o, "vcpu_cpus");
	if (!json_is_array(cpus))
		return vsl_err_make(err, 0, "%s: field `vcpu_cpus` missing or not an array", what);
	if (r->cpu_policy == VSL_CPU_DEDICATED ? json_array_size(cpus) != (size_t)r->vcpus
					       : json_array_size(cpus) != 0)
		return vsl_err_make(err, 0, "%s: field `vcpu_cpus` has %zu entries, expected %d", what,
				    json_array_size(cpus), r->cpu_policy == VSL_CPU_DEDICATED ? r->vcpus : 0);
	for (int i = 0; i < VSL_NUMA_MAX_VCPUS; i++)
		r->vcpu_cpu[i] = -1;
	for (size_t i = 0; i < json_array_size(cpus); i++) {
		json_t *c = json_array_get(cpus, i);
		if (!json_is_integer(c) || json_integer_value(c) < 0 || json_integer_value(c) >= VSL_CPUSET_MAX)
			return vsl_err_make(err, 0, "%s: field `vcpu_cpus[%zu]` is not a cpu number 0..%d", what, i,
					    VSL_CPUSET_MAX - 1);
		r->vcpu_cpu[i] = (int)json_integer_value(c);
	}
	r->vnf_id = xstrdup(id);
	return 0;
}

/* No dedicated CPU may appear twice, within a VNF or across VNFs. */
static int check_exclusive(const struct vsl_place_state *st, struct vsl_err **err)
{
	static const char none[] = "";
	const char *owner[VSL_CPUSET_MAX] = {0};
	for (int i = 0; i < st->n; i++) {
		const struct vsl_place_rec *r = &st->recs[i];
		if (r->cpu_policy != VSL_CPU_DEDICATED)
			continue;
		for (int v = 0; v < r->vcpus; v++) {
			int c = r->vcpu_cpu[v];
			if (owner[c])
				return vsl_err_make(err, 0, "cpu %d is recorded as dedicated to both vnf `%s` and `%s`",
						    c, owner[c], r->vnf_id);
			owner[c] = r->vnf_id ? r->vnf_id : none;
		}
	}
	return 0;
}

static int parse_doc(json_t *root, struct vsl_place_state *st, struct vsl_err **err)
{
	long long version;
	json_t *vnfs, *o;
	const char *id;

	if (!json_is_object(root))
		return vsl_err_make(err, 0, "top level is not an object");
	if (get_int(root, "version", STATE_VERSION, STATE_VERSION, &version, "state", err) < 0)
		return -1;
	if (json_object_get(root, "housekeeping")) {
		if (get_cpulist(root, "housekeeping", &st->housekeeping, "state", err) < 0)
			return -1;
		st->have_housekeeping = true;
	}
	if (json_object_get(root, "dataplane") &&
	    get_cpulist(root, "dataplane", &st->dataplane, "state", err) < 0)
		return -1;
	vnfs = json_object_get(root, "vnfs");
	if (!json_is_object(vnfs))
		return vsl_err_make(err, 0, "field `vnfs` missing or not an object");
	json_object_foreach(vnfs, id, o) {
		struct vsl_place_rec r;
		if (parse_rec(id, o, &r, err) < 0)
			return -1;
		vsl_place_state_add(st, &r);
	}
	return check_exclusive(st, err);
}

int vsl_place_state_parse(const char *buf, size_t len, struct vsl_place_state **out, struct vsl_err **err)
{
	json_error_t jerr;
	cleanup_json json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	struct vsl_place_state *st;

	if (!root)
		return vsl_err_make(err, 0, "invalid JSON at line %d column %d: %s", jerr.line, jerr.column,
				    jerr.text);
	st = state_new();
	if (parse_doc(root, st, err) < 0) {
		vsl_place_state_destroy(st);
		return -1;
	}
	*out = st;
	return 0;
}

/* ---- files ------------------------------------------------------------- */

static int mkdir_p(const char *dir, struct vsl_err **err)
{
	cleanup_free char *p = xstrdup(dir);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return vsl_err_make(err, errno, "mkdir `%s`", p);
		*s = '/';
	}
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		return vsl_err_make(err, errno, "mkdir `%s`", p);
	return 0;
}

/* Reads path into a fresh state; a missing file is an empty state. */
static int load_file(const char *path, struct vsl_place_state **out, struct vsl_err **err)
{
	cleanup_fclose FILE *f = fopen(path, "re");
	cleanup_free char *buf = NULL;
	size_t len = 0, cap = 0;

	if (!f && errno == ENOENT) {
		*out = state_new();
		return 0;
	}
	if (!f)
		return vsl_err_make(err, errno, "placement state `%s`", path);
	for (;;) {
		if (len + 4096 > cap)
			buf = xrealloc(buf, cap = cap ? cap * 2 : 16384);
		size_t n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f))
		return vsl_err_make(err, EIO, "placement state `%s`: read", path);
	if (vsl_place_state_parse(buf, len, out, err) < 0)
		return vsl_err_wrap(err, "placement state `%s` is corrupt (fix or move it away; it was not "
					 "modified)", path);
	return 0;
}

int vsl_place_state_open(const char *dir, struct vsl_place_state **out, struct vsl_err **err)
{
	struct vsl_place_state *st = NULL;
	cleanup_free char *path = NULL;

	if (dir && *dir == '\0') {
		*out = state_new();
		return 0;
	}
	if (!dir)
		dir = VSL_PLACE_DEFAULT_DIR;
	if (mkdir_p(dir, err) < 0)
		return vsl_err_wrap(err, "placement state directory");
	path = xasprintf("%s/%s", dir, VSL_PLACE_FILE);
	if (load_file(path, &st, err) < 0)
		return -1;
	st->dir = xstrdup(dir);
	st->path = steal_pointer(&path);
	*out = st;
	return 0;
}

/* Replaces st's contents (not its paths) with those of src. */
static void state_swap_contents(struct vsl_place_state *st, struct vsl_place_state *src)
{
	struct vsl_place_state tmp = *st;
	st->have_housekeeping = src->have_housekeeping;
	st->housekeeping = src->housekeeping;
	st->dataplane = src->dataplane;
	st->n = src->n;
	st->recs = src->recs;
	src->n = tmp.n;
	src->recs = tmp.recs;
}

int vsl_place_state_lock_reload(struct vsl_place_state *st, int *lock_fd, struct vsl_err **err)
{
	struct vsl_place_state *fresh = NULL;
	cleanup_free char *lock = NULL;
	int fd;

	*lock_fd = -1;
	if (!st->path)
		return 0;
	lock = xasprintf("%s/placement.lock", st->dir);
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return vsl_err_make(err, errno, "open `%s`", lock);
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int e = errno;
			close(fd);
			return vsl_err_make(err, e, "lock `%s`", lock);
		}
	}
	if (load_file(st->path, &fresh, err) < 0) {
		close(fd);
		return -1;
	}
	state_swap_contents(st, fresh);
	vsl_place_state_destroy(fresh);
	*lock_fd = fd;
	return 0;
}

static json_t *rec_to_json(const struct vsl_place_rec *r)
{
	json_t *o = json_object();
	json_t *cpus = json_array();
	cleanup_free char *shared = vsl_cpulist_format(&r->shared);

	json_object_set_new(o, "node", json_integer(r->node));
	json_object_set_new(o, "cpu_policy", json_string(r->cpu_policy == VSL_CPU_DEDICATED ? "dedicated" : "shared"));
	json_object_set_new(o, "vcpus", json_integer(r->vcpus));
	if (r->cpu_policy == VSL_CPU_DEDICATED)
		for (int v = 0; v < r->vcpus; v++)
			json_array_append_new(cpus, json_integer(r->vcpu_cpu[v]));
	json_object_set_new(o, "vcpu_cpus", cpus);
	json_object_set_new(o, "shared", json_string(shared));
	json_object_set_new(o, "memory_mb", json_integer((json_int_t)r->memory_mb));
	json_object_set_new(o, "hugepage_kb", json_integer((json_int_t)r->hugepage_kb));
	json_object_set_new(o, "hugepages", json_integer((json_int_t)r->hugepages));
	return o;
}

static char *state_dump(const struct vsl_place_state *st)
{
	cleanup_json json_t *root = json_object();
	json_t *vnfs = json_object();
	cleanup_free char *dp = vsl_cpulist_format(&st->dataplane);

	json_object_set_new(root, "version", json_integer(STATE_VERSION));
	if (st->have_housekeeping) {
		cleanup_free char *hk = vsl_cpulist_format(&st->housekeeping);
		json_object_set_new(root, "housekeeping", json_string(hk));
	}
	json_object_set_new(root, "dataplane", json_string(dp));
	for (int i = 0; i < st->n; i++)
		json_object_set_new(vnfs, st->recs[i].vnf_id, rec_to_json(&st->recs[i]));
	json_object_set_new(root, "vnfs", vnfs);
	return json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
}

static int write_all(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, s, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

int vsl_place_state_save(struct vsl_place_state *st, struct vsl_err **err)
{
	cleanup_free char *text = NULL;
	cleanup_free char *tmp = NULL;
	cleanup_close int fd = -1;
	cleanup_close int dfd = -1;

	if (!st->path)
		return 0;
	text = state_dump(st);
	if (!text)
		return vsl_err_make(err, ENOMEM, "placement state `%s`: serialise", st->path);
	tmp = xasprintf("%s.XXXXXX", st->path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return vsl_err_make(err, errno, "placement state: create `%s`", tmp);
	if (write_all(fd, text, strlen(text)) < 0 || write_all(fd, "\n", 1) < 0 || fchmod(fd, 0644) < 0 ||
	    fsync(fd) < 0) {
		int e = errno;
		unlink(tmp);
		return vsl_err_make(err, e, "placement state: write `%s`", tmp);
	}
	if (rename(tmp, st->path) < 0) {
		int e = errno;
		unlink(tmp);
		return vsl_err_make(err, e, "placement state: rename `%s` to `%s`", tmp, st->path);
	}
	dfd = open(st->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		(void)fsync(dfd);
	return 0;
}

int vsl_place_state_set_reserved(struct vsl_place_state *st, const struct vsl_cpuset *housekeeping,
				 const struct vsl_cpuset *dataplane, struct vsl_err **err)
{
	cleanup_close int lock = -1;
	struct vsl_cpuset ded, both;

	if (vsl_place_state_lock_reload(st, &lock, err) < 0)
		return -1;
	vsl_place_state_dedicated(st, &ded);
	vsl_cpuset_zero(&both);
	if (housekeeping)
		vsl_cpuset_or(&both, housekeeping);
	if (dataplane)
		vsl_cpuset_or(&both, dataplane);
	for (int c = vsl_cpuset_next(&both, 0); c >= 0; c = vsl_cpuset_next(&both, c + 1)) {
		if (!vsl_cpuset_has(&ded, c))
			continue;
		for (int i = 0; i < st->n; i++)
			for (int v = 0; v < st->recs[i].vcpus; v++)
				if (st->recs[i].cpu_policy == VSL_CPU_DEDICATED && st->recs[i].vcpu_cpu[v] == c)
					return vsl_numa_fail(err, EBUSY, "cpu %d is dedicated to vnf `%s`; release it "
									"before reserving the cpu",
							    c, st->recs[i].vnf_id);
	}
	if (housekeeping) {
		st->housekeeping = *housekeeping;
		st->have_housekeeping = true;
	}
	if (dataplane)
		st->dataplane = *dataplane;
	return vsl_place_state_save(st, err);
}
