/* The node (topology from libvesselnuma, allocations, dataplane ports),
 * networks on the dataplane, events (long-poll and server-sent events),
 * Prometheus metrics and the health check. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "report.h"
#include "vessel/cleanup.h"
#include "vessel/numa.h"

void vsl_api_healthz(struct vsl_http_req *r, struct vsl_http_reply *out)
{
	pthread_mutex_lock(&r->a->db_lock);
	json_t *rows = vsl_db_query(r->a, NULL, "SELECT COUNT(*) AS n FROM vnfs", 0);
	pthread_mutex_unlock(&r->a->db_lock);
	if (!rows) {
		vsl_api_err_set(&out->err, 503, "unhealthy", NULL, "database does not answer");
		return;
	}
	json_decref(rows);
	out->text = xstrdup("ok\n");
	out->ctype = "text/plain";
}

/* ---- node ---- */

/* Size of the filesystem holding the state dir (images, bundles, logs): what
 * a scheduler (the Nova driver's DISK_GB) can count on. */
static json_t *disk_json(const char *dir)
{
	struct statvfs st;
	if (statvfs(dir, &st) < 0)
		return json_pack("{s:s, s:s}", "path", dir, "error", strerror(errno));
	return json_pack("{s:s, s:I, s:I}", "path", dir,
			 "total_gb", (json_int_t)((unsigned long long)st.f_blocks * st.f_frsize >> 30),
			 "free_gb", (json_int_t)((unsigned long long)st.f_bavail * st.f_frsize >> 30));
}

static json_t *cpuset_json(const struct vsl_cpuset *s)
{
	char *t = vsl_cpulist_format(s);
	json_t *j = json_string(t ? t : "");
	free(t);
	return j;
}

void vsl_api_node(struct vsl_http_req *r, struct vsl_http_reply *out)
{
	struct vsl_agent *a = r->a;
	struct vsl_topo *t = NULL;
	struct vsl_place_state *ps = NULL;
	cleanup_err struct vsl_err *err = NULL;
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	json_t *o = json_pack("{s:s, s:s}", "hostname", host, "agent_version", VESSEL_VERSION);
	if (vsl_topo_load(a->cfg.sysfs_root, &t, &err) < 0) {
		vsl_api_err_set(&out->err, 500, "internal", NULL, "topology: %s", err->msg);
		json_decref(o);
		return;
	}
	struct vsl_cpuset ded, hk, dp;
	vsl_cpuset_zero(&ded);
	vsl_cpuset_zero(&hk);
	vsl_cpuset_zero(&dp);
	if (vsl_place_state_open(a->cfg.placement_dir, &ps, &err) == 0) {
		vsl_place_state_dedicated(ps, &ded);
		vsl_place_state_reserved(ps, t, &hk, &dp);
	} else {
		json_object_set_new(o, "placement_error", json_string(err->msg));
		vsl_err_freep(&err);
	}
	json_t *nodes = json_array();
	long total_mem_mb = 0;
	for (int i = 0; i < t->n_nodes; i++) {
		const struct vsl_numa_node *n = &t->nodes[i];
		struct vsl_cpuset free_set = n->cpus;
		vsl_cpuset_andnot(&free_set, &ded);
		vsl_cpuset_andnot(&free_set, &hk);
		vsl_cpuset_andnot(&free_set, &dp);
		json_t *hp = json_object();
		const char *names[VSL_HP_NSIZES] = { "2M", "1G" };
		for (int h = 0; h < VSL_HP_NSIZES; h++)
			if (n->hp[h].nr >= 0)
				json_object_set_new(hp, names[h], json_pack("{s:I, s:I}", "total", (json_int_t)n->hp[h].nr,
									    "free", (json_int_t)n->hp[h].free));
		struct vsl_cpuset nd = n->cpus;
		vsl_cpuset_andnot(&nd, &free_set);
		vsl_cpuset_andnot(&nd, &hk);
		vsl_cpuset_andnot(&nd, &dp);
		json_array_append_new(nodes, json_pack("{s:i, s:o, s:i, s:I, s:I, s:o, s:o, s:i}", "id", n->id,
						       "cpus", cpuset_json(&n->cpus), "cpu_count", vsl_cpuset_count(&n->cpus),
						       "memory_total_mb", (json_int_t)(n->mem_total_kb / 1024),
						       "memory_free_mb", (json_int_t)(n->mem_free_kb / 1024),
						       "hugepages", hp, "dedicated_cpus", cpuset_json(&nd),
						       "free_dedicated_cpus", vsl_cpuset_count(&free_set)));
		total_mem_mb += (long)(n->mem_total_kb / 1024);
	}
	json_object_set_new(o, "numa_enabled", json_boolean(t->numa_enabled));
	json_object_set_new(o, "online_cpus", cpuset_json(&t->online));
	json_object_set_new(o, "cpu_count", json_integer(vsl_cpuset_count(&t->online)));
	json_object_set_new(o, "numa_nodes", nodes);
	json_object_set_new(o, "housekeeping_cpus", cpuset_json(&hk));
	json_object_set_new(o, "dataplane_cpus", cpuset_json(&dp));
	json_object_set_new(o, "dedicated_cpus", cpuset_json(&ded));
	pthread_mutex_lock(&a->db_lock);
	json_t *alloc = vsl_db_query(a, NULL,
		"SELECT COUNT(*) AS vnfs, COALESCE(SUM(json_extract(spec,'$.vcpus')),0) AS vcpus, "
		"COALESCE(SUM(json_extract(spec,'$.memory_mb')),0) AS memory_mb, "
		"COALESCE(SUM(CASE WHEN json_extract(spec,'$.cpu_policy')='dedicated' THEN json_extract(spec,'$.vcpus') ELSE 0 END),0) AS dedicated_vcpus "
		"FROM vnfs WHERE status NOT IN ('stopped','error')", 0);
	pthread_mutex_unlock(&a->db_lock);
	json_object_set_new(o, "capacity", json_pack("{s:i, s:i, s:I}", "vcpus", vsl_cpuset_count(&t->online),
						     "pcpus", vsl_cpuset_count(&t->online) - vsl_cpuset_count(&hk) - vsl_cpuset_count(&dp),
						     "memory_mb", (json_int_t)total_mem_mb));
	json_object_set_new(o, "allocations", json_incref(json_array_get(alloc, 0)) ?: json_object());
	json_object_set_new(o, "disk", disk_json(a->cfg.state_dir));
	json_decref(alloc);
	json_t *places = json_array();
	for (int i = 0; ps && i < vsl_place_state_count(ps); i++)
		json_array_append_new(places, json_string(vsl_place_state_vnf(ps, i)));
	json_object_set_new(o, "placements", places);
	if (a->cfg.dp_socket) {
		json_t *ports = vsl_dp_call(a->cfg.dp_socket, "port.list", NULL, &err);
		json_object_set_new(o, "dataplane", ports ? json_pack("{s:s, s:o}", "socket", a->cfg.dp_socket, "ports", ports)
						    : json_pack("{s:s, s:s}", "socket", a->cfg.dp_socket, "error", err->msg));
	} else {
		json_object_set_new(o, "dataplane", json_null());
	}
	vsl_place_state_destroy(ps);
	vsl_topo_destroy(t);
	out->json = o;
}

/* ---- networks ---- */

static json_t *net_json(json_t *row)
{
	json_t *o = json_loads(json_string_value(json_object_get(row, "spec")), 0, NULL) ?: json_object();
	json_object_set(o, "applied", json_object_get(row, "applied"));
	json_object_set(o, "created_at", json_object_get(row, "created_at"));
	json_object_set_new(o, "applied", json_boolean(json_integer_value(json_object_get(row, "applied"))));
	return o;
}

/* Applies a network to the dataplane; 0 ok (or no dataplane), -1 with *err. */
int vsl_net_apply(struct vsl_agent *a, json_t *spec, struct vsl_err **err);
int vsl_net_apply(struct vsl_agent *a, json_t *spec, struct vsl_err **err)
{
	json_t *res;
	const char *type = json_string_value(json_object_get(spec, "type"));
	if (strcmp(type, "bridge") == 0)
		res = vsl_dp_call(a->cfg.dp_socket, "bridge.add",
				  json_pack("{s:O, s:O}", "name", json_object_get(spec, "name"), "aging",
					    json_object_get(spec, "aging")), err);
	else
		res = vsl_dp_call(a->cfg.dp_socket, "xconnect.add",
				  json_pack("{s:O, s:O}", "a", json_object_get(spec, "a"), "b",
					    json_object_get(spec, "b")), err);
	json_decref(res);
	return res ? 0 : -1;
}

void vsl_api_net_create(struct vsl_http_req *r, struct vsl_http_reply *out)
{
	struct vsl_agent *a = r->a;
	cleanup_err struct vsl_err *err = NULL;
	cleanup_free char *s = NULL;
	cleanup_free char *now = NULL;
	json_t *in = vsl_spec_load(r->body, r->body_len, &out->err), *spec = NULL;
	if (!in || !(spec = vsl_spec_network(in, &out->err)))
		goto out;
	const char *name = json_string_value(json_object_get(spec, "name"));
	pthread_mutex_lock(&a->db_lock);
	json_t *ex = vsl_db_query(a, NULL, "SELECT name FROM networks WHERE name = ?", 1, name);
	pthread_mutex_unlock(&a->db_lock);
	bool dup = json_array_size(ex) > 0;
	json_decref(ex);
	if (dup) {
		vsl_api_err_set(&out->err, 409, "conflict", "name", "a network named `%s` already exists", name);
		goto out;
	}
	bool applied = false;
	if (a->cfg.dp_socket) {
		if (vsl_net_apply(a, spec, &err) < 0) {
			vsl_api_err_set(&out->err, 502, "dataplane_error", NULL, "%s", err->msg);
			goto out;
		}
		applied = true;
	}
	s = json_dumps(spec, JSON_COMPACT | JSON_SORT_KEYS);
	now = vsl_now_rfc3339();
	pthread_mutex_lock(&a->db_lock);
	int rc = vsl_db_exec(a, &err, "INSERT INTO networks VALUES (?, ?, ?, ?, ?)", 5, name,
			     json_string_value(json_object_get(spec, "type")), s, applied ? "1" : "0", now);
	if (rc >= 0)
		vsl_event_locked(a, "network.created", "network", name, applied ? "applied" : "stored (no dataplane)");
	json_t *rows = vsl_db_query(a, NULL, "SELECT * FROM networks WHERE name = ?", 1, name);
	pthread_mutex_unlock(&a->db_lock);
	if (rc < 0)
		vsl_api_err_set(&out->err, rc == -SQLITE_CONSTRAINT ? 409 : 500,
				rc == -SQLITE_CONSTRAINT ? "conflict" : "internal", "name", "%s", err->msg);
	else {
		out->status = 201;
		out->json = net_json(json_array_get(rows, 0));
	}
	json_decref(rows);
out:
	json_decref(in);
	json_decref(spec);
}

void vsl_api_net_list(struct vsl_http_req *r, struct vsl_http_reply *out)
{
	static const char *const args[] = { NULL };
	if (vsl_http_args_only(r, args, out) < 0)
		return;
	pthread_mutex_lock(&r->a->db_lock);
	json_t *rows = vsl_db_query(r->a, NULL, "SELECT * FROM networks ORDER BY name", 0);
	pthread_mutex_unlock(&r->a->db_lock);
	json_t *arr = json_array(), *row;
	size_t i;
	json_array_foreach(rows, i, row)
		json_array_append_new(arr, net_json(row));
	json_decref(rows);
	out->json = json_pack("{s:o}", "networks", arr);
}

void vsl_api_net_show(struct vsl_http_req *r, struct vsl_http_reply *out)
{
	pthread_mutex_lock(&r->a->db_lock);
	json_t *rows = vsl_db_query(r->a, NULL, "SELECT * FROM networks WHERE name = ?", 1, r->id);
	pthread_mutex_unlock(&r->a->db_lock);
	if (json_array_size(rows))
		out->json = net_json(json_array_get(rows, 0));
	else
		vsl_api_err_set(&out->err, 404, "not_found", NULL, "no network `%.100s`", r->id);
	json_decref(rows);
}

void vsl_api_net_delete(struct vsl_http_req *r, struct vsl_http_reply *out)
{
	struct vsl_agent *a = r->a;
	cleanup_err struct vsl_err *err = NULL;
	pthread_mutex_lock(&a->db_lock);
	json_t *rows = vsl_db_query(a, NULL, "SELECT * FROM networks WHERE name = ?", 1, r->id);
	json_t *users = vsl_db_query(a, NULL, "SELECT v.name FROM vnf_networks n JOIN vnfs v ON v.id = n.vnf "
				     "WHERE n.network = ?", 1, r->id);
	pthread_mutex_unlock(&a->db_lock);
	json_t *spec = json_array_size(rows) ? json_loads(json_string_value(json_object_get(json_array_get(rows, 0), "spec")), 0, NULL) : NULL;
	if (!json_array_size(rows)) {
		vsl_api_err_set(&out->err, 404, "not_found", NULL, "no network `%.100s`", r->id);
	} else if (json_array_size(users)) {
		vsl_api_err_set(&out->err, 409, "conflict", NULL, "network `%s` is used by VNF `%s`: delete the VNF first",
				r->id, json_string_value(json_object_get(json_array_get(users, 0), "name")));
	} else {
		/* the row goes first: reconcile reads the dataplane, then the rows,
		 * so it can no longer see the row without the bridge and re-apply it */
		pthread_mutex_lock(&a->db_lock);
		vsl_db_exec(a, NULL, "DELETE FROM networks WHERE name = ?", 1, r->id);
		pthread_mutex_unlock(&a->db_lock);
		if (a->cfg.dp_socket && spec) {
			bool br = strcmp(json_string_value(json_object_get(spec, "type")), "bridge") == 0;
			json_t *res = vsl_dp_call(a->cfg.dp_socket, br ? "bridge.del" : "xconnect.del",
						  br ? json_pack("{s:O}", "name", json_object_get(spec, "name"))
						     : json_pack("{s:O}", "a", json_object_get(spec, "a")), &err);
			json_decref(res);
		}
		pthread_mutex_lock(&a->db_lock);
		vsl_event_locked(a, "network.deleted", "network", r->id, err ? err->msg : "deleted");
		pthread_mutex_unlock(&a->db_lock);
		out->status = 204;
	}
	json_decref(spec);
	json_decref(rows);
	json_decref(users);
}

/* ---- events ---- */

static json_t *events_since(struct vsl_agent *a, long long since, int limit)
{
	char s[32], l[16];
	snprintf(s, sizeof(s), "%lld", since);
	snprintf(l, sizeof(l), "%d", limit);
	return vsl_db_query(a, NULL, "SELECT * FROM events WHERE seq > CAST(? AS INTEGER) ORDER BY seq "
			    "LIMIT CAST(? AS INTEGER)", 2, s, l);
}

/* Waits (db_lock held) until an event newer than since exists or the deadline. */
static json_t *wait_events(struct vsl_agent *a, long long since, double timeout)
{
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += (time_t)timeout;
	dl.tv_nsec += (long)((timeout - floor(timeout)) * 1e9);
	if (dl.tv_nsec >= 1000000000L)
		dl.tv_sec++, dl.tv_nsec -= 1000000000L;
	json_t *ev = events_since(a, since, 1000);
	while (json_array_size(ev) == 0 && !vsl_agent_stopping(a)) {
		if (pthread_cond_timedwait(&a->ev_cond, &a->db_lock, &dl) == ETIMEDOUT)
			break;
		json_decref(ev);
		ev = events_since(a, since, 1000);
	}
	return ev;
}

struct sse {
	struct vsl_agent *a;
	long long since;
	char *pending;
	size_t off;
};

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct sse *s = cls;
	(void)pos;
	while (!s->pending) {
		if (vsl_agent_stopping(s->a))
			return MHD_CONTENT_READER_END_OF_STREAM;
		pthread_mutex_lock(&s->a->db_lock);
		json_t *ev = wait_events(s->a, s->since, 15);
		pthread_mutex_unlock(&s->a->db_lock);
		size_t i;
		json_t *e;
		size_t cap = 0;
		FILE *m = open_memstream(&s->pending, &cap);
		json_array_foreach(ev, i, e) {
			char *d = json_dumps(e, JSON_COMPACT);
			s->since = json_integer_value(json_object_get(e, "seq"));
			fprintf(m, "id: %lld\nevent: %s\ndata: %s\n\n", s->since,
				json_string_value(json_object_get(e, "type")), d);
			free(d);
		}
		if (json_array_size(ev) == 0)
			fprintf(m, ": keepalive\n\n"); /* finds clients that went away */
		fclose(m);
		json_decref(ev);
		s->off = 0;
	}
	size_t n = strlen(s->pending + s->off);
	if (n > max)
		n = max;
	memcpy(buf, s->pending + s->off, n);
	s->off += n;
	if (!s->pending[s->off]) {
		free(s->pending);
		s->pending = NULL;
	}
	return (ssize_t)n;
}

static void sse_free(void *cls)
{
	struct sse *s = cls;
	free(s->pending);
	free(s);
}

void vsl_api_events(struct vsl_http_req *r, struct vsl_http_reply *out)
{
	static const char *const args[] = { "since", "timeout", NULL };
	if (vsl_http_args_only(r, args, out) < 0)
		return;
	const char *since_s = vsl_http_arg(r, "since"), *to_s = vsl_http_arg(r, "timeout");
	char *end = NULL;
	long long since = since_s ? strtoll(since_s, &end, 10) : 0;
	if (since_s && (!*since_s || *end || since < 0)) {
		vsl_api_err_set(&out->err, 400, "invalid_value", "?since", "query `since` must be an event sequence number >= 0");
		return;
	}
	double to = to_s ? strtod(to_s, &end) : 0;
	if (to_s && (!*to_s || *end || !(to >= 0 && to <= 300))) {
		vsl_api_err_set(&out->err, 400, "invalid_value", "?timeout", "query `timeout` must be 0..300 seconds");
		return;
	}
	const char *accept = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Accept");
	if (accept && strstr(accept, "text/event-stream")) {
		struct sse *s = xzalloc(sizeof(*s));
		s->a = r->a;
		s->since = since;
		out->resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, sse_read, s, sse_free);
		MHD_add_response_header(out->resp, "Content-Type", "text/event-stream");
		MHD_add_response_header(out->resp, "Cache-Control", "no-cache");
		return;
	}
	pthread_mutex_lock(&r->a->db_lock);
	json_t *ev = wait_events(r->a, since, to);
	json_t *last = vsl_db_query(r->a, NULL, "SELECT COALESCE(MAX(seq),0) AS m FROM events", 0);
	pthread_mutex_unlock(&r->a->db_lock);
	out->json = json_pack("{s:o, s:O}", "events", ev, "last",
			      json_object_get(json_array_get(last, 0), "m"));
	json_decref(last);
}

/* ---- metrics ---- */

static void esc_label(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

void vsl_api_metrics(struct vsl_http_req *r, struct vsl_http_reply *out)
{
	struct vsl_agent *a = r->a;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	pthread_mutex_lock(&a->db_lock);
	json_t *rows = vsl_db_query(a, NULL, "SELECT id, name, status, restart_count FROM vnfs", 0);
	json_t *nimg = vsl_db_query(a, NULL, "SELECT COUNT(*) AS n FROM images", 0);
	pthread_mutex_unlock(&a->db_lock);
	fprintf(f, "# HELP vessel_vnfs Number of VNFs by lifecycle status.\n# TYPE vessel_vnfs gauge\n");
	for (size_t s = 0; vsl_status_names[s]; s++) {
		int n = 0;
		size_t i;
		json_t *row;
		json_array_foreach(rows, i, row)
			n += strcmp(json_string_value(json_object_get(row, "status")), vsl_status_names[s]) == 0;
		fprintf(f, "vessel_vnfs{status=\"%s\"} %d\n", vsl_status_names[s], n);
	}
	fprintf(f, "# HELP vessel_images Number of imported images.\n# TYPE vessel_images gauge\nvessel_images %lld\n",
		(long long)json_integer_value(json_object_get(json_array_get(nimg, 0), "n")));
	json_decref(nimg);
	fprintf(f, "# HELP vessel_vnf_up 1 if the VNF is running.\n# TYPE vessel_vnf_up gauge\n"
		   "# HELP vessel_vnf_cpu_seconds_total CPU time of the VNF's QEMU.\n# TYPE vessel_vnf_cpu_seconds_total counter\n"
		   "# HELP vessel_vnf_memory_rss_bytes Resident memory of the VNF's QEMU.\n# TYPE vessel_vnf_memory_rss_bytes gauge\n"
		   "# HELP vessel_vnf_restarts_total Restarts by the restart policy.\n# TYPE vessel_vnf_restarts_total counter\n");
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		const char *id = json_string_value(json_object_get(row, "id"));
		const char *name = json_string_value(json_object_get(row, "name"));
		struct vsl_rt_state st;
		double cpu;
		long long rss;
		vsl_rt_state(a, id, &st);
		fprintf(f, "vessel_vnf_up{id=\"%s\",name=\"", id);
		esc_label(f, name);
		fprintf(f, "\"} %d\n", strcmp(st.status, "running") == 0);
		fprintf(f, "vessel_vnf_restarts_total{id=\"%s\"} %lld\n", id,
			(long long)json_integer_value(json_object_get(row, "restart_count")));
		if (st.qemu_pid > 0 && vsl_proc_usage(st.qemu_pid, &cpu, &rss) == 0) {
			fprintf(f, "vessel_vnf_cpu_seconds_total{id=\"%s\"} %.2f\n", id, cpu);
			fprintf(f, "vessel_vnf_memory_rss_bytes{id=\"%s\"} %lld\n", id, rss);
		}
	}
	json_decref(rows);
	if (a->cfg.dp_socket) {
		cleanup_err struct vsl_err *err = NULL;
		json_t *stats = vsl_dp_call(a->cfg.dp_socket, "stats.show", NULL, &err);
		fprintf(f, "# HELP vessel_dp_up 1 if the dataplane control socket answers.\n# TYPE vessel_dp_up gauge\nvessel_dp_up %d\n",
			stats != NULL);
		json_t *ports = json_object_get(stats, "ports");
		if (!ports)
			ports = stats;
		const char *pk;
		json_t *pv;
		size_t pi;
		json_t *p;
		if (json_is_array(ports)) {
			json_array_foreach(ports, pi, p) {
				const char *pn = json_string_value(json_object_get(p, "name")) ?: json_string_value(json_object_get(p, "port"));
				json_object_foreach(p, pk, pv)
					if (json_is_integer(pv) && pn)
						fprintf(f, "vessel_dp_port_%s{port=\"%s\"} %lld\n", pk, pn, (long long)json_integer_value(pv));
			}
		} else if (json_is_object(ports)) {
			json_object_foreach(ports, pk, pv) {
				const char *ck;
				json_t *cv;
				json_object_foreach(pv, ck, cv)
					if (json_is_integer(cv))
						fprintf(f, "vessel_dp_port_%s{port=\"%s\"} %lld\n", ck, pk, (long long)json_integer_value(cv));
			}
		}
		json_decref(stats);
	}
	pthread_mutex_lock(&a->m_lock);
	fprintf(f, "# HELP vessel_api_request_duration_seconds REST API request latency.\n"
		   "# TYPE vessel_api_request_duration_seconds histogram\n");
	uint64_t cum = 0;
	for (int b = 0; b < VSL_LAT_NB; b++) {
		cum += a->lat_count[b];
		fprintf(f, "vessel_api_request_duration_seconds_bucket{le=\"%g\"} %llu\n", vsl_lat_bounds[b],
			(unsigned long long)cum);
	}
	cum += a->lat_count[VSL_LAT_NB];
	fprintf(f, "vessel_api_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n", (unsigned long long)cum);
	fprintf(f, "vessel_api_request_duration_seconds_sum %.6f\nvessel_api_request_duration_seconds_count %llu\n",
		a->lat_sum, (unsigned long long)a->lat_total);
	fprintf(f, "# HELP vessel_api_requests_total REST API requests by status class.\n# TYPE vessel_api_requests_total counter\n");
	for (int c = 1; c < 6; c++)
		fprintf(f, "vessel_api_requests_total{code=\"%dxx\"} %llu\n", c, (unsigned long long)a->req_by_class[c]);
	pthread_mutex_unlock(&a->m_lock);
	vsl_report_metrics(a, f);
	fclose(f);
	out->text = buf;
	out->ctype = "text/plain; version=0.0.4";
}
