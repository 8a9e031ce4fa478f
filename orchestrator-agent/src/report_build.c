/* Builds one NodeReport: what an orchestrator needs to place work on this
 * node and to see what runs on it. Inventory from libvesselnuma (NUMA nodes,
 * CPUs, hugepages, dedicated/housekeeping/dataplane CPUs) and vessel-dp
 * (ports with counters), every VNF row with its ETSI states, resources and
 * per-NIC counters, and the events that followed the previous report. All
 * protobuf pieces are allocated in one arena freed by vsl_report_destroy. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http.h"
#include "report.h"
#include "vessel/cleanup.h"
#include "vessel/log.h"
#include "vessel/numa.h"

struct vsl_report {
	Vessel__NodeReport msg;
	void **mem; /* the arena */
	size_t n_mem, cap_mem;
	int more_events;
};

static void *ar_alloc(struct vsl_report *r, size_t n)
{
	if (r->n_mem == r->cap_mem) {
		r->cap_mem = r->cap_mem ? 2 * r->cap_mem : 64;
		r->mem = xrealloc(r->mem, r->cap_mem * sizeof(*r->mem));
	}
	return r->mem[r->n_mem++] = xzalloc(n ? n : 1);
}

static char *ar_str(struct vsl_report *r, const char *s)
{
	if (!s)
		return (char *)protobuf_c_empty_string;
	char *d = ar_alloc(r, strlen(s) + 1);
	memcpy(d, s, strlen(s) + 1);
	return d;
}

/* A string member of a JSON object, "" when absent or not a string. */
static char *ar_jstr(struct vsl_report *r, json_t *o, const char *k)
{
	return ar_str(r, json_string_value(json_object_get(o, k)));
}

static char *ar_cpus(struct vsl_report *r, const struct vsl_cpuset *s)
{
	cleanup_free char *t = vsl_cpulist_format(s);
	return ar_str(r, t ? t : "");
}

#define AR_NEW(r, type, init) ({ type *_p = ar_alloc((r), sizeof(type)); *_p = (type)init; _p; })

static uint64_t ju(json_t *o, const char *k)
{
	json_int_t v = json_integer_value(json_object_get(o, k));
	return v > 0 ? (uint64_t)v : 0;
}

static Vessel__PortCounters *counters(struct vsl_report *r, json_t *s)
{
	Vessel__PortCounters *c = AR_NEW(r, Vessel__PortCounters, VESSEL__PORT_COUNTERS__INIT);
	c->rx_packets = ju(s, "rx_packets");
	c->rx_bytes = ju(s, "rx_bytes");
	c->tx_packets = ju(s, "tx_packets");
	c->tx_bytes = ju(s, "tx_bytes");
	c->drops = ju(s, "drops");
	c->rx_errors = ju(s, "rx_errors");
	c->tx_errors = ju(s, "tx_errors");
	c->rx_missed = ju(s, "rx_missed");
	return c;
}

/* The stats.show entry of a port, or NULL. */
static json_t *port_stats(json_t *stats, const char *name)
{
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(stats, "ports"), i, p)
		if (strcmp(json_string_value(json_object_get(p, "name")) ?: "", name) == 0)
			return p;
	return NULL;
}

static Vessel__Dataplane *dataplane(struct vsl_report *r, struct vsl_agent *a, json_t **stats_out)
{
	cleanup_err struct vsl_err *err = NULL;
	Vessel__Dataplane *d = AR_NEW(r, Vessel__Dataplane, VESSEL__DATAPLANE__INIT);
	d->socket = ar_str(r, a->cfg.dp_socket);
	json_t *ports = vsl_dp_call(a->cfg.dp_socket, "port.list", NULL, &err);
	json_t *stats = ports ? vsl_dp_call(a->cfg.dp_socket, "stats.show", NULL, &err) : NULL;
	d->up = ports && stats;
	if (!d->up)
		d->error = ar_str(r, err ? err->msg : "no answer");
	d->n_ports = json_array_size(ports);
	d->ports = ar_alloc(r, d->n_ports * sizeof(*d->ports));
	size_t i;
	json_t *p;
	json_array_foreach(ports, i, p) {
		Vessel__Port *o = d->ports[i] = AR_NEW(r, Vessel__Port, VESSEL__PORT__INIT);
		o->name = ar_jstr(r, p, "name");
		o->type = ar_jstr(r, p, "type");
		o->link = ar_jstr(r, p, "link");
		o->bridge = ar_jstr(r, p, "bridge");
		o->xconnect = ar_jstr(r, p, "xconnect");
		json_t *s = port_stats(stats, o->name);
		o->counters = s ? counters(r, s) : NULL;
	}
	json_decref(ports);
	*stats_out = stats;
	return d;
}

static Vessel__Inventory *inventory(struct vsl_report *r, struct vsl_agent *a, json_t **stats)
{
	Vessel__Inventory *inv = AR_NEW(r, Vessel__Inventory, VESSEL__INVENTORY__INIT);
	struct vsl_topo *t = NULL;
	struct vsl_place_state *ps = NULL;
	cleanup_err struct vsl_err *err = NULL;
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	inv->hostname = ar_str(r, host);
	if (a->cfg.dp_socket)
		inv->dataplane = dataplane(r, a, stats);
	if (vsl_topo_load(a->cfg.sysfs_root, &t, &err) < 0)
		return inv; /* an inventory without topology beats no report */
	struct vsl_cpuset ded, hk, dp;
	vsl_cpuset_zero(&ded);
	vsl_cpuset_zero(&hk);
	vsl_cpuset_zero(&dp);
	if (vsl_place_state_open(a->cfg.placement_dir, &ps, NULL) == 0) {
		vsl_place_state_dedicated(ps, &ded);
		vsl_place_state_reserved(ps, t, &hk, &dp);
	}
	inv->numa_enabled = t->numa_enabled;
	inv->cpu_count = (uint32_t)vsl_cpuset_count(&t->online);
	inv->online_cpus = ar_cpus(r, &t->online);
	inv->housekeeping_cpus = ar_cpus(r, &hk);
	inv->dataplane_cpus = ar_cpus(r, &dp);
	inv->dedicated_cpus = ar_cpus(r, &ded);
	inv->n_numa_nodes = (size_t)t->n_nodes;
	inv->numa_nodes = ar_alloc(r, inv->n_numa_nodes * sizeof(*inv->numa_nodes));
	for (int i = 0; i < t->n_nodes; i++) {
		const struct vsl_numa_node *n = &t->nodes[i];
		Vessel__NumaNode *o = inv->numa_nodes[i] = AR_NEW(r, Vessel__NumaNode, VESSEL__NUMA_NODE__INIT);
		struct vsl_cpuset free_set = n->cpus;
		vsl_cpuset_andnot(&free_set, &ded);
		vsl_cpuset_andnot(&free_set, &hk);
		vsl_cpuset_andnot(&free_set, &dp);
		o->id = (uint32_t)n->id;
		o->cpus = ar_cpus(r, &n->cpus);
		o->cpu_count = (uint32_t)vsl_cpuset_count(&n->cpus);
		o->memory_total_mb = n->mem_total_kb / 1024;
		o->memory_free_mb = n->mem_free_kb / 1024;
		o->free_dedicated_cpus = (uint32_t)vsl_cpuset_count(&free_set);
		o->hugepages = ar_alloc(r, VSL_HP_NSIZES * sizeof(*o->hugepages));
		static const uint64_t sizes[VSL_HP_NSIZES] = { 2048, 1048576 };
		for (int h = 0; h < VSL_HP_NSIZES; h++) {
			if (n->hp[h].nr < 0)
				continue;
			Vessel__Hugepages *hp = AR_NEW(r, Vessel__Hugepages, VESSEL__HUGEPAGES__INIT);
			hp->size_kb = sizes[h];
			hp->total = (uint64_t)n->hp[h].nr;
			hp->free = n->hp[h].free > 0 ? (uint64_t)n->hp[h].free : 0;
			o->hugepages[o->n_hugepages++] = hp;
		}
	}
	vsl_place_state_destroy(ps);
	vsl_topo_destroy(t);
	return inv;
}

static Vessel__Vnf *vnf(struct vsl_report *r, json_t *row, json_t *stats)
{
	Vessel__Vnf *v = AR_NEW(r, Vessel__Vnf, VESSEL__VNF__INIT);
	json_t *j = vsl_vnf_json(row), *spec = json_object_get(j, "spec");
	const char *inst = json_string_value(json_object_get(j, "instantiation_state")) ?: "";
	const char *oper = json_string_value(json_object_get(j, "operational_state")) ?: "";
	v->id = ar_jstr(r, row, "id");
	v->name = ar_jstr(r, row, "name");
	v->image = ar_jstr(r, row, "image");
	v->image_name = ar_jstr(r, row, "image_name");
	v->status = ar_jstr(r, row, "status");
	v->desired = ar_jstr(r, row, "desired");
	v->instantiation_state = !strcmp(inst, "INSTANTIATED") ? VESSEL__INSTANTIATION_STATE__INSTANTIATED
				 : !strcmp(inst, "NOT_INSTANTIATED") ? VESSEL__INSTANTIATION_STATE__NOT_INSTANTIATED
				 : VESSEL__INSTANTIATION_STATE__INSTANTIATION_STATE_UNSPECIFIED;
	v->operational_state = !strcmp(oper, "STARTED") ? VESSEL__OPERATIONAL_STATE__STARTED
			       : !strcmp(oper, "STOPPED") ? VESSEL__OPERATIONAL_STATE__STOPPED
			       : VESSEL__OPERATIONAL_STATE__OPERATIONAL_STATE_UNSPECIFIED;
	v->restart_count = (uint32_t)ju(row, "restart_count");
	v->exited = json_is_integer(json_object_get(row, "exit_status"));
	v->exit_status = (int32_t)json_integer_value(json_object_get(row, "exit_status"));
	v->error = ar_jstr(r, row, "error");
	v->created_at = ar_jstr(r, row, "created_at");
	v->started_at = ar_jstr(r, row, "started_at");
	Vessel__Resources *res = v->resources = AR_NEW(r, Vessel__Resources, VESSEL__RESOURCES__INIT);
	res->vcpus = (uint32_t)ju(spec, "vcpus");
	res->memory_mb = (uint32_t)ju(spec, "memory_mb");
	res->cpu_policy = ar_jstr(r, spec, "cpu_policy");
	json_t *nn = json_object_get(spec, "numa_node");
	char nbuf[24];
	snprintf(nbuf, sizeof(nbuf), "%lld", (long long)json_integer_value(nn));
	res->numa_node = ar_str(r, json_is_integer(nn) ? nbuf : json_string_value(nn) ?: "auto");
	res->hugepage_size = ar_jstr(r, spec, "hugepage_size");
	json_t *nics = json_object_get(spec, "nics"), *nic;
	size_t i;
	v->n_nics = json_array_size(nics);
	v->nics = ar_alloc(r, v->n_nics * sizeof(*v->nics));
	json_array_foreach(nics, i, nic) {
		Vessel__Nic *o = v->nics[i] = AR_NEW(r, Vessel__Nic, VESSEL__NIC__INIT);
		char port[96];
		snprintf(port, sizeof(port), "%s.eth%zu", v->id, i);
		o->port = ar_str(r, port);
		o->network = ar_jstr(r, nic, "network");
		o->vlan = (uint32_t)ju(nic, "vlan");
		o->mac = ar_jstr(r, nic, "mac");
		json_t *s = port_stats(stats, port);
		o->present = s != NULL;
		o->counters = s ? counters(r, s) : NULL;
	}
	const char *lk;
	json_t *lv;
	json_t *labels = json_object_get(spec, "labels");
	v->labels = ar_alloc(r, json_object_size(labels) * sizeof(*v->labels));
	json_object_foreach(labels, lk, lv) {
		Vessel__Label *l = AR_NEW(r, Vessel__Label, VESSEL__LABEL__INIT);
		l->key = ar_str(r, lk);
		l->value = ar_str(r, json_string_value(lv) ?: "");
		v->labels[v->n_labels++] = l;
	}
	json_decref(j);
	return v;
}

static void events(struct vsl_report *r, json_t *rows, uint64_t *event_seq)
{
	size_t i;
	json_t *e;
	Vessel__NodeReport *m = &r->msg;
	m->n_events = json_array_size(rows);
	m->events = ar_alloc(r, m->n_events * sizeof(*m->events));
	json_array_foreach(rows, i, e) {
		Vessel__Event *o = m->events[i] = AR_NEW(r, Vessel__Event, VESSEL__EVENT__INIT);
		o->seq = ju(e, "seq");
		o->time = ar_jstr(r, e, "time");
		o->type = ar_jstr(r, e, "type");
		o->object = ar_jstr(r, e, "object");
		o->object_id = ar_jstr(r, e, "object_id");
		o->message = ar_jstr(r, e, "message");
		*event_seq = o->seq;
	}
}

struct vsl_report *vsl_report_build(struct vsl_agent *a, const char *node_id, Vessel__ReportKind kind,
				    uint64_t *event_seq, size_t max_events)
{
	struct vsl_report *r = xzalloc(sizeof(*r));
	Vessel__NodeReport *m = &r->msg;
	json_t *stats = NULL;
	char now[64], since[32], lim[32];
	*m = (Vessel__NodeReport)VESSEL__NODE_REPORT__INIT;
	vsl_time_rfc3339(now, sizeof(now));
	m->node_id = ar_str(r, node_id);
	m->agent_version = ar_str(r, VESSEL_VERSION);
	m->time = ar_str(r, now);
	m->kind = kind;
	m->snapshot = 1;
	m->inventory = inventory(r, a, &stats);
	snprintf(since, sizeof(since), "%llu", (unsigned long long)*event_seq);
	snprintf(lim, sizeof(lim), "%zu", max_events + 1);
	pthread_mutex_lock(&a->db_lock);
	json_t *rows = vsl_db_query(a, NULL, "SELECT v.*, i.name AS image_name FROM vnfs v "
				    "LEFT JOIN images i ON i.digest = v.image ORDER BY v.created_at, v.id", 0);
	json_t *ev = vsl_db_query(a, NULL, "SELECT * FROM events WHERE seq > CAST(? AS INTEGER) ORDER BY seq "
				  "LIMIT CAST(? AS INTEGER)", 2, since, lim);
	pthread_mutex_unlock(&a->db_lock);
	if (json_array_size(ev) > max_events) {
		json_array_remove(ev, max_events);
		r->more_events = 1;
	}
	size_t i;
	json_t *row;
	m->n_vnfs = json_array_size(rows);
	m->vnfs = ar_alloc(r, m->n_vnfs * sizeof(*m->vnfs));
	json_array_foreach(rows, i, row)
		m->vnfs[i] = vnf(r, row, stats);
	events(r, ev, event_seq);
	json_decref(rows);
	json_decref(ev);
	json_decref(stats);
	return r;
}

int vsl_report_encode(struct vsl_report *r, uint64_t sequence, uint8_t **out, size_t *out_len)
{
	r->msg.sequence = sequence;
	r->msg.first_sequence = sequence;
	*out_len = vessel__node_report__get_packed_size(&r->msg);
	*out = xmalloc(*out_len ? *out_len : 1);
	vessel__node_report__pack(&r->msg, *out);
	return 0;
}

int vsl_report_more_events(const struct vsl_report *r)
{
	return r->more_events;
}

size_t vsl_report_n_events(const struct vsl_report *r)
{
	return r->msg.n_events;
}

void vsl_report_destroy(struct vsl_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_mem; i++)
		free(r->mem[i]);
	free(r->mem);
	free(r);
}
