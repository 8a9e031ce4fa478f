/* /v1/vnfs: create, list, show, delete, actions, logs and stats. The row is
 * the desired state; lifecycle work runs under op_lock and never holds
 * db_lock while a VM boots. A VNF is addressed by id or by name. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "vessel/cleanup.h"
#include "vessel/numa.h"
#include "vessel/log.h"

/* Lifecycle status -> ETSI states and the Zun container status (1:1). */
static const struct {
	const char *status, *inst, *oper, *zun;
} state_map[] = {
	{ "creating", "NOT_INSTANTIATED", "STOPPED", "Creating" },
	{ "created", "INSTANTIATED", "STOPPED", "Created" },
	{ "running", "INSTANTIATED", "STARTED", "Running" },
	{ "stopped", "INSTANTIATED", "STOPPED", "Stopped" },
	{ "paused", "INSTANTIATED", "STARTED", "Paused" },
	{ "error", "NOT_INSTANTIATED", "STOPPED", "Error" },
	{ "deleting", "INSTANTIATED", "STOPPED", "Deleting" },
};

json_t *vsl_vnf_json(json_t *row)
{
	json_t *o = json_object();
	const char *k;
	json_t *v;
	json_object_foreach(row, k, v) {
		if (strcmp(k, "spec") == 0)
			json_object_set_new(o, "spec", json_loads(json_string_value(v), 0, NULL) ?: json_null());
		else if (strcmp(k, "image_config") != 0)
			json_object_set(o, k, v);
	}
	const char *st = json_string_value(json_object_get(row, "status"));
	for (size_t i = 0; st && i < sizeof(state_map) / sizeof(state_map[0]); i++)
		if (strcmp(state_map[i].status, st) == 0) {
			json_object_set_new(o, "instantiation_state", json_string(state_map[i].inst));
			json_object_set_new(o, "operational_state", json_string(state_map[i].oper));
			json_object_set_new(o, "zun_status", json_string(state_map[i].zun));
		}
	return o;
}

/* The row of a VNF by id or name (new reference) or NULL with a 404. */
static json_t *find_vnf(struct vsl_agent *a, const char *id, struct vsl_http_reply *out)
{
	pthread_mutex_lock(&a->db_lock);
	json_t *rows = vsl_db_query(a, NULL, "SELECT * FROM vnfs WHERE id = ? OR name = ?", 2, id, id);
	pthread_mutex_unlock(&a->db_lock);
	json_t *r = json_incref(json_array_get(rows, 0));
	json_decref(rows);
	if (!r)
		vsl_api_err_set(&out->err, 404, "not_found", NULL, "no VNF with id or name `%.100s`", id);
	return r;
}

static void reply_vnf(struct vsl_agent *a, const char *id, int status, struct vsl_http_reply *out)
{
	json_t *row = find_vnf(a, id, out);
	if (row) {
		out->status = status;
		out->json = vsl_vnf_json(row);
		json_decref(row);
	}
}

static void new_uuid(char out[37])
{
	unsigned char b[16];
	if (getrandom(b, sizeof(b), 0) != sizeof(b)) {
		for (int i = 0; i < 16; i++)
			b[i] = (unsigned char)rand();
	}
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
		 b[14], b[15]);
}

/* Resolves spec.image (digest, bare hex, or name) to a digest; 400 naming
 * `image` when unknown. Caller holds db_lock. */
static char *resolve_image(struct vsl_agent *a, const char *ref, struct vsl_http_reply *out)
{
	cleanup_free char *withpfx = xasprintf("sha256:%s", ref);
	json_t *rows = vsl_db_query(a, NULL, "SELECT digest FROM images WHERE digest = ? OR digest = ? "
				    "OR name = ? ORDER BY created_at DESC LIMIT 1", 3, ref, withpfx, ref);
	const char *d = json_string_value(json_object_get(json_array_get(rows, 0), "digest"));
	char *r = d ? xstrdup(d) : NULL;
	json_decref(rows);
	if (!r)
		vsl_api_err_set(&out->err, 400, "unknown_image", "image",
				"field `image`: no imported image `%.100s` (import it with POST /v1/images)", ref);
	return r;
}

/* Dry-run placement with libvesselnuma: a request the node cannot meet
 * (dedicated cores, hugepages, a NUMA node) is refused with 409
 * insufficient_resources before anything is stored or booted. When the
 * topology or the placement record cannot be read, the runtime decides. */
static int check_capacity(struct vsl_agent *a, json_t *spec, struct vsl_http_reply *out)
{
	struct vsl_topo *t = NULL;
	struct vsl_place_state *ps = NULL;
	struct vsl_place_plan *plan = NULL;
	cleanup_err struct vsl_err *err = NULL;
	uint64_t hp_kb = 0;
	enum vsl_cpu_policy pol = VSL_CPU_SHARED;
	const char *hp = json_string_value(json_object_get(spec, "hugepage_size"));
	json_t *nn = json_object_get(spec, "numa_node");
	if (vsl_topo_load(a->cfg.sysfs_root, &t, &err) < 0 ||
	    vsl_place_state_open(a->cfg.placement_dir, &ps, &err) < 0) {
		vsl_warn("capacity check skipped: %s", err->msg);
		vsl_topo_destroy(t);
		return 0;
	}
	vsl_cpu_policy_parse(json_string_value(json_object_get(spec, "cpu_policy")), &pol);
	if (strcmp(hp, "none") != 0)
		vsl_hugepage_size_parse(hp, &hp_kb);
	struct vsl_place_req req = {
		.vnf_id = "vesseld-capacity-check",
		.vcpus = (int)json_integer_value(json_object_get(spec, "vcpus")),
		.memory_mb = (uint64_t)json_integer_value(json_object_get(spec, "memory_mb")),
		.cpu_policy = pol,
		.numa_node = json_is_integer(nn) ? (int)json_integer_value(nn) : VSL_NUMA_AUTO,
		.hugepage_kb = hp_kb,
		.port_node = -1,
		.dry_run = true,
	};
	int r = vsl_place(t, ps, &req, &plan, &err);
	if (r < 0) {
		const char *field = json_is_integer(nn) && strstr(err->msg, "numa") ? "numa_node"
				    : hp_kb && strstr(err->msg, "hugepage") ? "hugepage_size"
				    : pol == VSL_CPU_DEDICATED ? "vcpus" : NULL;
		vsl_api_err_set(&out->err, 409, "insufficient_resources", field,
				"this node cannot place the VNF: %s", err->msg);
	}
	vsl_place_plan_destroy(plan);
	vsl_place_state_destroy(ps);
	vsl_topo_destroy(t);
	return r < 0 ? -1 : 0;
}

void vsl_api_vnf_create(struct vsl_http_req *r, struct vsl_http_reply *out)
{
	struct vsl_agent *a = r->a;
	json_t *in = vsl_spec_load(r->body, r->body_len, &out->err), *spec = NULL;
	cleanup_err struct vsl_err *err = NULL;
	cleanup_free char *now = NULL;
	cleanup_free char *spec_s = NULL;
	cleanup_free char *digest = NULL;
	const char *name = NULL;
	char id[37];
	if (!in || !(spec = vsl_spec_vnf(in, &out->err)) || check_capacity(a, spec, out) < 0)
		goto out;
	new_uuid(id);
	now = vsl_now_rfc3339();
	spec_s = json_dumps(spec, JSON_COMPACT | JSON_SORT_KEYS);
	name = json_string_value(json_object_get(spec, "name"));
	pthread_mutex_lock(&a->db_lock);
	digest = resolve_image(a, json_string_value(json_object_get(spec, "image")), out);
	size_t i;
	json_t *nic;
	json_array_foreach(json_object_get(spec, "nics"), i, nic) {
		if (!digest)
			break;
		const char *net = json_string_value(json_object_get(nic, "network"));
		json_t *rows = vsl_db_query(a, NULL, "SELECT name FROM networks WHERE name = ?", 1, net);
		if (json_array_size(rows) == 0) {
			char f[48];
			snprintf(f, sizeof(f), "nics[%zu].network", i);
			vsl_api_err_set(&out->err, 400, "unknown_network", f,
					"field `%s`: no network `%s` (create it with POST /v1/networks)", f, net);
		}
		json_decref(rows);
		if (out->err.http)
			break;
	}
	if (!out->err.http) {
		vsl_db_exec(a, NULL, "BEGIN IMMEDIATE", 0);
		int rc = vsl_db_exec(a, &err, "INSERT INTO vnfs (id, name, image, spec, status, desired, "
				     "created_at, updated_at) VALUES (?, ?, ?, ?, 'creating', 'created', ?, ?)",
				     6, id, name, digest, spec_s, now, now);
		json_array_foreach(json_object_get(spec, "nics"), i, nic)
			if (rc >= 0)
				vsl_db_exec(a, NULL, "INSERT INTO vnf_networks VALUES (?, ?)", 2, id,
					    json_string_value(json_object_get(nic, "network")));
		vsl_db_exec(a, NULL, rc >= 0 ? "COMMIT" : "ROLLBACK", 0);
		if (rc == -SQLITE_CONSTRAINT)
			vsl_api_err_set(&out->err, 409, "conflict", "name", "a VNF named `%s` already exists", name);
		else if (rc < 0)
			vsl_api_err_set(&out->err, 500, "internal", NULL, "%s", err->msg);
		else
			vsl_event_locked(a, "vnf.creating", "vnf", id, name);
	}
	pthread_mutex_unlock(&a->db_lock);
	if (out->err.http)
		goto out;
	pthread_mutex_lock(&a->op_lock);
	int rc = vsl_vnf_do_create(a, id, &err);
	pthread_mutex_unlock(&a->op_lock);
	if (rc < 0) {
		vsl_vnf_set_status(a, id, "error", err->msg);
		vsl_event(a, "vnf.error", "vnf", id, "%s", err->msg);
		vsl_api_err_set(&out->err, 500, "runtime_error", NULL,
				"VNF `%s` (%s) is in status error: %s", name, id, err->msg);
		goto out;
	}
	vsl_event(a, "vnf.created", "vnf", id, "%s", name);
	reply_vnf(a, id, 201, out);
out:
	json_decref(in);
	json_decref(spec);
}

static bool status_ok(const char *s)
{
	for (size_t i = 0; vsl_status_names[i]; i++)
		if (strcmp(vsl_status_names[i], s) == 0)
			return true;
	return false;
}

void vsl_api_vnf_list(struct vsl_http_req *r, struct vsl_http_reply *out)
{
	static const char *const args[] = { "status", "name", "image", "label", NULL };
	struct vsl_agent *a = r->a;
	if (vsl_http_args_only(r, args, out) < 0)
		return;
	const char *status = vsl_http_arg(r, "status"), *name = vsl_http_arg(r, "name");
	const char *image = vsl_http_arg(r, "image"), *label = vsl_http_arg(r, "label");
	if (status && !status_ok(status)) {
		vsl_api_err_set(&out->err, 400, "invalid_value", "?status",
				"query `status` must be one of creating, created, running, stopped, paused, error, deleting");
		return;
	}
	cleanup_free char *lk = label ? xstrdup(label) : NULL;
	char *lv = lk ? strchr(lk, '=') : NULL;
	if (lk && !lv) {
		vsl_api_err_set(&out->err, 400, "invalid_value", "?label", "query `label` must be KEY=VALUE");
		return;
	}
	if (lv)
		*lv++ = '\0';
	pthread_mutex_lock(&a->db_lock);
	json_t *rows = vsl_db_query(a, NULL, "SELECT * FROM vnfs WHERE (?1 IS NULL OR status = ?1) AND "
				    "(?2 IS NULL OR name = ?2) AND (?3 IS NULL OR image = ?3 OR image = 'sha256:' || ?3) "
				    "ORDER BY created_at", 3, status, name, image);
	pthread_mutex_unlock(&a->db_lock);
	json_t *arr = json_array(), *row;
	size_t i;
	json_array_foreach(rows, i, row) {
		json_t *v = vsl_vnf_json(row);
		const char *have = lk ? json_string_value(json_object_get(
				json_object_get(json_object_get(v, "spec"), "labels"), lk)) : NULL;
		if (lk && (!have || strcmp(have, lv) != 0)) {
			json_decref(v);
			continue;
		}
		json_array_append_new(arr, v);
	}
	json_decref(rows);
	out->json = json_pack("{s:o}", "vnfs", arr);
}

void vsl_api_vnf_show(struct vsl_http_req *r, struct vsl_http_reply *out)
{
	reply_vnf(r->a, r->id, 200, out);
}

/* Common prologue of an action: the row (404), the optional JSON body. */
static json_t *action_begin(struct vsl_http_req *r, struct vsl_http_reply *out, json_t **body)
{
	json_t *row = find_vnf(r->a, r->id, out);
	*body = NULL;
	if (!row)
		return NULL;
	if (r->body_len && !(*body = vsl_spec_load(r->body, r->body_len, &out->err))) {
		json_decref(row);
		return NULL;
	}
	const char *st = json_string_value(json_object_get(row, "status"));
	if (strcmp(st, "creating") == 0 || strcmp(st, "deleting") == 0) {
		vsl_api_err_set(&out->err, 409, "conflict", NULL, "VNF `%s` is %s",
				json_string_value(json_object_get(row, "name")), st);
		json_decref(row);
		json_decref(*body);
		return NULL;
	}
	return row;
}

static void action_end(struct vsl_http_req *r, struct vsl_http_reply *out, json_t *row,
		       struct vsl_err *err, const char *ev)
{
	const char *id = json_string_value(json_object_get(row, "id"));
	if (err) {
		vsl_event(r->a, "vnf.error", "vnf", id, "%s", err->msg);
		vsl_api_err_set(&out->err, 500, "runtime_error", NULL, "%s", err->msg);
	} else {
		vsl_event(r->a, ev, "vnf", id, "%s", json_string_value(json_object_get(row, "name")));
		reply_vnf(r->a, id, 200, out);
	}
	json_decref(row);
}

static void simple_action(struct vsl_http_req *r, struct vsl_http_reply *out, const char *what)
{
	json_t *body, *row = action_begin(r, out, &body);
	cleanup_err struct vsl_err *err = NULL;
	int grace = 10, sig = SIGKILL;
	if (!row)
		return;
	if ((strcmp(what, "stop") == 0 || strcmp(what, "restart") == 0) &&
	    vsl_spec_stop(body, &grace, &out->err) < 0)
		goto bad;
	if (strcmp(what, "kill") == 0 && vsl_spec_kill(body, &sig, &out->err) < 0)
		goto bad;
	if (body && strcmp(what, "stop") && strcmp(what, "restart") && strcmp(what, "kill") &&
	    json_object_size(body)) {
		vsl_api_err_set(&out->err, 400, "unknown_field", json_object_iter_key(json_object_iter(body)),
				"unknown field `%s`", json_object_iter_key(json_object_iter(body)));
		goto bad;
	}
	const char *id = json_string_value(json_object_get(row, "id"));
	const char *st = json_string_value(json_object_get(row, "status"));
	if ((strcmp(what, "pause") == 0 && strcmp(st, "running") != 0) ||
	    (strcmp(what, "unpause") == 0 && strcmp(st, "paused") != 0) ||
	    (strcmp(what, "kill") == 0 && strcmp(st, "running") != 0 && strcmp(st, "paused") != 0)) {
		vsl_api_err_set(&out->err, 409, "conflict", NULL, "VNF `%s` is %s: cannot %s it",
				json_string_value(json_object_get(row, "name")), st, what);
		goto bad;
	}
	pthread_mutex_lock(&r->a->op_lock);
	if (strcmp(what, "start") == 0) {
		pthread_mutex_lock(&r->a->db_lock);
		vsl_db_exec(r->a, NULL, "UPDATE vnfs SET backoff = 0, next_restart = NULL WHERE id = ?", 1, id);
		pthread_mutex_unlock(&r->a->db_lock);
		vsl_vnf_do_start(r->a, id, &err);
	} else if (strcmp(what, "stop") == 0) {
		vsl_vnf_do_stop(r->a, id, grace, &err);
	} else if (strcmp(what, "restart") == 0) {
		if (vsl_vnf_do_stop(r->a, id, grace, &err) == 0)
			vsl_vnf_do_start(r->a, id, &err);
	} else if (strcmp(what, "kill") == 0) {
		char s[8];
		snprintf(s, sizeof(s), "%d", sig);
		vsl_vnf_do_kill(r->a, id, s, &err);
	} else {
		vsl_vnf_do_pause(r->a, id, strcmp(what, "pause") == 0, &err);
	}
	pthread_mutex_unlock(&r->a->op_lock);
	if (strcmp(what, "kill") == 0)
		vsl_reconcile_kick(r->a);
	char ev[32];
	snprintf(ev, sizeof(ev), "vnf.%s", strcmp(what, "stop") == 0 ? "stopped"
				 : strcmp(what, "start") == 0 ? "started" : what);
	json_decref(body);
	action_end(r, out, row, err, ev);
	return;
bad:
	json_decref(body);
	json_decref(row);
}

void vsl_api_vnf_start(struct vsl_http_req *r, struct vsl_http_reply *o) { simple_action(r, o, "start"); }
void vsl_api_vnf_stop(struct vsl_http_req *r, struct vsl_http_reply *o) { simple_action(r, o, "stop"); }
void vsl_api_vnf_restart(struct vsl_http_req *r, struct vsl_http_reply *o) { simple_action(r, o, "restart"); }
void vsl_api_vnf_kill(struct vsl_http_req *r, struct vsl_http_reply *o) { simple_action(r, o, "kill"); }
void vsl_api_vnf_pause(struct vsl_http_req *r, struct vsl_http_reply *o) { simple_action(r, o, "pause"); }
void vsl_api_vnf_unpause(struct vsl_http_req *r, struct vsl_http_reply *o) { simple_action(r, o, "unpause"); }

void vsl_api_vnf_delete(struct vsl_http_req *r, struct vsl_http_reply *out)
{
	json_t *row = find_vnf(r->a, r->id, out);
	cleanup_err struct vsl_err *err = NULL;
	if (!row)
		return;
	const char *id = json_string_value(json_object_get(row, "id"));
	pthread_mutex_lock(&r->a->op_lock);
	int rc = vsl_vnf_do_delete(r->a, id, &err);
	pthread_mutex_unlock(&r->a->op_lock);
	if (rc < 0) {
		vsl_api_err_set(&out->err, 500, "runtime_error", NULL, "%s", err->msg);
	} else {
		vsl_event(r->a, "vnf.deleted", "vnf", id, "%s", json_string_value(json_object_get(row, "name")));
		out->status = 204;
	}
	json_decref(row);
}

/* ---- logs ---- */

struct log_stream {
	struct vsl_agent *a;
	char *id;
	int fd;
	bool follow;
};

static bool vnf_active(struct vsl_agent *a, const char *id)
{
	pthread_mutex_lock(&a->db_lock);
	json_t *rows = vsl_db_query(a, NULL, "SELECT status FROM vnfs WHERE id = ?", 1, id);
	pthread_mutex_unlock(&a->db_lock);
	const char *s = json_string_value(json_object_get(json_array_get(rows, 0), "status"));
	bool on = s && (strcmp(s, "running") == 0 || strcmp(s, "paused") == 0 ||
			strcmp(s, "created") == 0 || strcmp(s, "creating") == 0);
	json_decref(rows);
	return on;
}

static ssize_t log_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct log_stream *s = cls;
	(void)pos;
	for (;;) {
		ssize_t n = read(s->fd, buf, max);
		if (n > 0)
			return n;
		if (!s->follow || vsl_agent_stopping(s->a) || !vnf_active(s->a, s->id)) {
			/* one last read: output written just before the stop */
			n = read(s->fd, buf, max);
			return n > 0 ? n : MHD_CONTENT_READER_END_OF_STREAM;
		}
		nanosleep(&(struct timespec){ 0, 200 * 1000 * 1000 }, NULL);
	}
}

static void log_free(void *cls)
{
	struct log_stream *s = cls;
	close(s->fd);
	free(s->id);
	free(s);
}

/* Offset of the start of the last `tail` lines of fd. */
static off_t tail_offset(int fd, long tail)
{
	off_t end = lseek(fd, 0, SEEK_END), pos = end;
	char buf[4096];
	long lines = 0;
	while (pos > 0) {
		size_t n = pos > (off_t)sizeof(buf) ? sizeof(buf) : (size_t)pos;
		pos -= (off_t)n;
		if (pread(fd, buf, n, pos) != (ssize_t)n)
			return 0;
		for (size_t i = n; i-- > 0;) {
			if (buf[i] == '\n' && pos + (off_t)i != end - 1 && ++lines >= tail)
				return pos + (off_t)i + 1;
		}
	}
	return 0;
}

void vsl_api_vnf_logs(struct vsl_http_req *r, struct vsl_http_reply *out)
{
	static const char *const args[] = { "source", "tail", "follow", NULL };
	if (vsl_http_args_only(r, args, out) < 0)
		return;
	json_t *row = find_vnf(r->a, r->id, out);
	if (!row)
		return;
	cleanup_free char *id = xstrdup(json_string_value(json_object_get(row, "id")));
	json_decref(row);
	const char *src = vsl_http_arg(r, "source") ?: "workload";
	const char *tail = vsl_http_arg(r, "tail"), *follow = vsl_http_arg(r, "follow");
	char *end = NULL;
	long nt = tail ? strtol(tail, &end, 10) : -1;
	if (tail && (!*tail || *end || nt < 0 || nt > 1000000)) {
		vsl_api_err_set(&out->err, 400, "invalid_value", "?tail", "query `tail` must be 0..1000000");
		return;
	}
	if (follow && strcmp(follow, "1") && strcmp(follow, "true") && strcmp(follow, "0") &&
	    strcmp(follow, "false")) {
		vsl_api_err_set(&out->err, 400, "invalid_value", "?follow", "query `follow` must be true or false");
		return;
	}
	cleanup_free char *path = NULL;
	if (strcmp(src, "workload") == 0)
		path = vsl_vnf_log_path(r->a, id);
	else if (strcmp(src, "console") == 0)
		path = xasprintf("%s/%s/console.log", r->a->cfg.runtime_root, id);
	else {
		vsl_api_err_set(&out->err, 400, "invalid_value", "?source", "query `source` must be workload or console");
		return;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		out->text = xstrdup("");
		out->ctype = "text/plain; charset=utf-8";
		return;
	}
	if (nt >= 0)
		lseek(fd, nt == 0 ? lseek(fd, 0, SEEK_END) : tail_offset(fd, nt), SEEK_SET);
	else
		lseek(fd, 0, SEEK_SET);
	struct log_stream *s = xzalloc(sizeof(*s));
	*s = (struct log_stream){ r->a, xstrdup(id), fd,
				  follow && (strcmp(follow, "1") == 0 || strcmp(follow, "true") == 0) };
	out->resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, log_read, s, log_free);
	MHD_add_response_header(out->resp, "Content-Type", "text/plain; charset=utf-8");
}

/* ---- stats ---- */

void vsl_api_vnf_stats(struct vsl_http_req *r, struct vsl_http_reply *out)
{
	json_t *row = find_vnf(r->a, r->id, out);
	if (!row)
		return;
	const char *id = json_string_value(json_object_get(row, "id"));
	struct vsl_rt_state st;
	vsl_rt_state(r->a, id, &st);
	double cpu = 0;
	long long rss = 0;
	json_t *o = json_pack("{s:s, s:s, s:s}", "id", id, "name",
			      json_string_value(json_object_get(row, "name")), "runtime_status",
			      st.status[0] ? st.status : "absent");
	if (st.qemu_pid > 0 && vsl_proc_usage(st.qemu_pid, &cpu, &rss) == 0) {
		json_object_set_new(o, "qemu_pid", json_integer(st.qemu_pid));
		json_object_set_new(o, "cpu_seconds", json_real(cpu));
		json_object_set_new(o, "memory_rss_bytes", json_integer(rss));
	} else {
		json_object_set_new(o, "cpu_seconds", json_null());
		json_object_set_new(o, "memory_rss_bytes", json_null());
	}
	json_t *nics = json_array(), *spec = json_loads(json_string_value(json_object_get(row, "spec")), 0, NULL);
	for (size_t i = 0; i < json_array_size(json_object_get(spec, "nics")); i++) {
		char port[96];
		snprintf(port, sizeof(port), "%s.eth%zu", id, i);
		json_t *n = json_pack("{s:s}", "port", port);
		if (r->a->cfg.dp_socket) {
			cleanup_err struct vsl_err *err = NULL;
			json_t *c = vsl_dp_call(r->a->cfg.dp_socket, "stats.show", json_pack("{s:s}", "port", port), &err);
			json_object_set_new(n, "counters", c ? c : json_null());
			if (!c)
				json_object_set_new(n, "error", json_string(err->msg));
		}
		json_array_append_new(nics, n);
	}
	json_decref(spec);
	json_object_set_new(o, "nics", nics);
	json_decref(row);
	out->json = o;
}
