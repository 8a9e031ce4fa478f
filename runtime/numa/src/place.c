/* Placement: which NUMA node, host CPUs and hugepages a VNF gets.
 *
 * Decisions are made against the topology and the persistent allocation
 * state, under the state's lock, and recorded before returning so no other
 * Vessel process can hand out the same core. A request that cannot be met is
 * refused with what the node lacked, before anything is started.
 *
 * Dedicated CPUs prefer whole physical cores: the VNF first takes every
 * hardware thread of cores whose threads are all free (so vCPU 0 and 1 share a
 * core with each other, not with another VNF), then odd leftovers go to
 * threads of already-split cores, and only then does it split a whole core.
 * "Cores" in messages count host CPUs (hardware threads) free for dedication.
 */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "numa_internal.h"
#include "vessel/cleanup.h"
#include "vessel/err.h"
#include "vessel/numa.h"

static const char *hp_name(uint64_t kb)
{
	return kb == 1048576 ? "1G" : kb == 2048 ? "2M" : "none";
}

/* An error with an errno-style code for callers but no strerror suffix: the
 * message already says what is wrong ("... 4 requested"). */
int vsl_numa_fail(struct vsl_err **err, int code, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	vsl_err_make(err, 0, "%s", msg ? msg : "out of memory");
	free(msg);
	if (err && *err && (*err)->code == 0)
		(*err)->code = code;
	return -code;
}

int vsl_cpu_policy_parse(const char *s, enum vsl_cpu_policy *out)
{
	if (s && strcmp(s, "dedicated") == 0)
		*out = VSL_CPU_DEDICATED;
	else if (s && strcmp(s, "shared") == 0)
		*out = VSL_CPU_SHARED;
	else
		return -1;
	return 0;
}

int vsl_hugepage_size_parse(const char *s, uint64_t *kb_out)
{
	if (!s)
		return -1;
	if (strcmp(s, "2M") == 0 || strcmp(s, "2048") == 0)
		*kb_out = 2048;
	else if (strcmp(s, "1G") == 0 || strcmp(s, "1048576") == 0)
		*kb_out = 1048576;
	else if (strcmp(s, "none") == 0 || strcmp(s, "0") == 0)
		*kb_out = 0;
	else
		return -1;
	return 0;
}

void vsl_place_plan_destroy(struct vsl_place_plan *p)
{
	if (!p)
		return;
	free(p->vnf_id);
	free(p->mem_path);
	free(p->reason);
	free(p);
}

void vsl_place_shared_cpus(const struct vsl_topo *t, const struct vsl_place_state *st, int node,
			   struct vsl_cpuset *out)
{
	const struct vsl_numa_node *n = vsl_topo_node(t, node);
	struct vsl_cpuset hk, dp, ded, left;

	vsl_cpuset_zero(out);
	if (!n)
		return;
	vsl_place_state_reserved(st, t, &hk, &dp);
	vsl_place_state_dedicated(st, &ded);
	left = n->cpus;
	vsl_cpuset_andnot(&left, &ded);
	vsl_cpuset_andnot(&left, &dp);
	*out = left;
	vsl_cpuset_andnot(out, &hk);
	if (vsl_cpuset_count(out) == 0)
		*out = left; /* only housekeeping left on this node: share it */
}

/* What a node can offer right now. */
struct avail {
	const struct vsl_numa_node *node;
	struct vsl_cpuset free_ded; /* CPUs that may be dedicated */
	int n_free_ded;
	int n_shared;
	long hp_free; /* of the requested size; -1 when the size is absent */
};

static void node_avail(const struct vsl_topo *t, const struct vsl_place_state *st, const struct vsl_numa_node *n,
		       uint64_t hp_kb, struct avail *a)
{
	struct vsl_cpuset hk, dp, ded, sh;
	int idx = vsl_hp_index(hp_kb);

	a->node = n;
	vsl_place_state_reserved(st, t, &hk, &dp);
	vsl_place_state_dedicated(st, &ded);
	a->free_ded = n->cpus;
	vsl_cpuset_andnot(&a->free_ded, &hk);
	vsl_cpuset_andnot(&a->free_ded, &dp);
	vsl_cpuset_andnot(&a->free_ded, &ded);
	a->n_free_ded = vsl_cpuset_count(&a->free_ded);
	vsl_place_shared_cpus(t, st, n->id, &sh);
	a->n_shared = vsl_cpuset_count(&sh);
	a->hp_free = 0;
	if (idx < 0)
		return;
	if (n->hp[idx].nr < 0) {
		a->hp_free = -1;
		return;
	}
	/* Pages recorded for VNFs may not be faulted in yet, so the kernel's free
	 * count alone would hand them out twice; take the smaller of the two. */
	long recorded = 0;
	for (int i = 0; i < st->n; i++)
		if (st->recs[i].node == n->id && st->recs[i].hugepage_kb == hp_kb)
			recorded += (long)st->recs[i].hugepages;
	long unbooked = n->hp[idx].nr - recorded;
	a->hp_free = n->hp[idx].free < unbooked ? n->hp[idx].free : unbooked;
	if (a->hp_free < 0)
		a->hp_free = 0;
}

/* Describes a node's shortfall for req ("" when it fits). Caller frees. */
static char *shortfall(const struct avail *a, const struct vsl_place_req *req, uint64_t pages)
{
	char buf[512] = "";
	size_t len = 0;
#define ADD(...) len += (size_t)snprintf(buf + len, sizeof(buf) - len, __VA_ARGS__)
	if (req->cpu_policy == VSL_CPU_DEDICATED && a->n_free_ded < req->vcpus)
		ADD("%s%d free dedicated cores, %d requested", len ? "; " : "", a->n_free_ded, req->vcpus);
	if (req->cpu_policy == VSL_CPU_SHARED && a->n_shared == 0)
		ADD("%sno cpus left for shared vcpus (all dedicated or dataplane)", len ? "; " : "");
	if (req->hugepage_kb && a->hp_free < 0)
		ADD("%sno %s hugepage pool, %" PRIu64 " needed (%" PRIu64 " MB)", len ? "; " : "",
		    hp_name(req->hugepage_kb), pages, req->memory_mb);
	else if (req->hugepage_kb && (uint64_t)a->hp_free < pages)
		ADD("%s%ld free %s hugepages, %" PRIu64 " needed (%" PRIu64 " MB)", len ? "; " : "", a->hp_free,
		    hp_name(req->hugepage_kb), pages, req->memory_mb);
	if (!req->hugepage_kb && a->node->mem_total_kb && req->memory_mb * 1024 > a->node->mem_total_kb)
		ADD("%s%" PRIu64 " MB memory, %" PRIu64 " MB requested", len ? "; " : "",
		    a->node->mem_total_kb / 1024, req->memory_mb);
#undef ADD
	return xstrdup(buf);
}

/* "node 0: 2 free dedicated cores, 300 free 2M hugepages" for the summary. */
static char *node_summary(const struct avail *a, const struct vsl_place_req *req)
{
	char cores[64] = "", hp[64] = "";
	if (req->cpu_policy == VSL_CPU_DEDICATED)
		snprintf(cores, sizeof(cores), "%d free dedicated cores", a->n_free_ded);
	else
		snprintf(cores, sizeof(cores), "%d shared cpus", a->n_shared);
	if (req->hugepage_kb && a->hp_free < 0)
		snprintf(hp, sizeof(hp), ", no %s hugepage pool", hp_name(req->hugepage_kb));
	else if (req->hugepage_kb)
		snprintf(hp, sizeof(hp), ", %ld free %s hugepages", a->hp_free, hp_name(req->hugepage_kb));
	return xasprintf("node %d: %s%s", a->node->id, cores, hp);
}

static int validate_req(const struct vsl_topo *t, const struct vsl_place_req *req, uint64_t *pages,
			struct vsl_err **err)
{
	if (!req->vnf_id || !*req->vnf_id || strlen(req->vnf_id) > 256)
		return vsl_numa_fail(err, EINVAL, "placement: vnf id must be 1..256 characters");
	if (req->vcpus < 1 || req->vcpus > VSL_NUMA_MAX_VCPUS)
		return vsl_numa_fail(err, EINVAL, "vnf `%s`: vcpus %d out of range 1..%d", req->vnf_id, req->vcpus,
				    VSL_NUMA_MAX_VCPUS);
	if (req->memory_mb == 0 || req->memory_mb > ((uint64_t)1 << 30))
		return vsl_numa_fail(err, EINVAL, "vnf `%s`: memory_mb %" PRIu64 " out of range", req->vnf_id,
				    req->memory_mb);
	if (req->cpu_policy != VSL_CPU_DEDICATED && req->cpu_policy != VSL_CPU_SHARED)
		return vsl_numa_fail(err, EINVAL, "vnf `%s`: unknown cpu_policy", req->vnf_id);
	if (req->hugepage_kb && vsl_hp_index(req->hugepage_kb) < 0)
		return vsl_numa_fail(err, EINVAL, "vnf `%s`: hugepage size %" PRIu64 " kB (use 2M or 1G)",
				    req->vnf_id, req->hugepage_kb);
	if (req->hugepage_kb && (req->memory_mb * 1024) % req->hugepage_kb)
		return vsl_numa_fail(err, EINVAL, "vnf `%s`: memory_mb %" PRIu64 " is not a multiple of the %s "
						 "hugepage size",
				    req->vnf_id, req->memory_mb, hp_name(req->hugepage_kb));
	if (req->numa_node != VSL_NUMA_AUTO && !vsl_topo_node(t, req->numa_node))
		return vsl_numa_fail(err, EINVAL, "vnf `%s`: numa_node %d does not exist on this host (nodes: %d..%d)",
				    req->vnf_id, req->numa_node, t->nodes[0].id, t->nodes[t->n_nodes - 1].id);
	if (req->port_node >= 0 && !vsl_topo_node(t, req->port_node))
		return vsl_numa_fail(err, EINVAL, "vnf `%s`: dataplane port numa node %d does not exist",
				    req->vnf_id, req->port_node);
	*pages = req->hugepage_kb ? req->memory_mb * 1024 / req->hugepage_kb : 0;
	return 0;
}

/* Orders candidate nodes: more free hugepages, then more free dedicated cores
 * (dedicated) or shared cpus, then the lower id. */
static bool better(const struct avail *a, const struct avail *b, const struct vsl_place_req *req)
{
	if (req->hugepage_kb && a->hp_free != b->hp_free)
		return a->hp_free > b->hp_free;
	if (req->cpu_policy == VSL_CPU_DEDICATED && a->n_free_ded != b->n_free_ded)
		return a->n_free_ded > b->n_free_ded;
	if (a->n_shared != b->n_shared)
		return a->n_shared > b->n_shared;
	return a->node->id < b->node->id;
}

/* Picks the node; returns its index into t->nodes and a reason, or an error. */
static int choose_node(const struct vsl_topo *t, const struct vsl_place_state *st, const struct vsl_place_req *req,
		       uint64_t pages, char **reason, struct vsl_err **err)
{
	cleanup_free struct avail *av = xzalloc(sizeof(*av) * (size_t)t->n_nodes);
	int fixed = req->numa_node != VSL_NUMA_AUTO ? req->numa_node : req->port_node;
	int best = -1;

	for (int i = 0; i < t->n_nodes; i++)
		node_avail(t, st, &t->nodes[i], req->hugepage_kb, &av[i]);
	if (fixed >= 0 || t->n_nodes == 1) {
		int i = 0;
		while (fixed >= 0 && t->nodes[i].id != fixed)
			i++;
		cleanup_free char *why = shortfall(&av[i], req, pages);
		if (*why)
			return vsl_numa_fail(err, ENOSPC, "vnf `%s`: numa node %d%s: %s", req->vnf_id, t->nodes[i].id,
					    req->numa_node == VSL_NUMA_AUTO && req->port_node >= 0
						    ? " (node of its dataplane ports; set numa_node to override)"
						    : "",
					    why);
		*reason = xstrdup(req->numa_node != VSL_NUMA_AUTO ? "fixed numa_node"
				  : req->port_node >= 0	  ? "node of the dataplane ports"
							  : "only numa node");
		return i;
	}
	for (int i = 0; i < t->n_nodes; i++) {
		cleanup_free char *why = shortfall(&av[i], req, pages);
		if (!*why && (best < 0 || better(&av[i], &av[best], req)))
			best = i;
	}
	if (best < 0) {
		char want[160] = "", all[2048] = "";
		size_t len = 0;
		if (req->cpu_policy == VSL_CPU_DEDICATED)
			len += (size_t)snprintf(want, sizeof(want), "%d free dedicated cores", req->vcpus);
		else
			len += (size_t)snprintf(want, sizeof(want), "a shared cpu");
		if (req->hugepage_kb)
			snprintf(want + len, sizeof(want) - len, " and %" PRIu64 " free %s hugepages", pages,
				 hp_name(req->hugepage_kb));
		len = 0;
		for (int i = 0; i < t->n_nodes && len < sizeof(all); i++) {
			cleanup_free char *s = node_summary(&av[i], req);
			len += (size_t)snprintf(all + len, sizeof(all) - len, "%s%s", i ? "; " : "", s);
		}
		return vsl_numa_fail(err, ENOSPC, "vnf `%s`: no numa node has %s (%s)", req->vnf_id, want, all);
	}
	*reason = req->hugepage_kb ? xasprintf("most free %s hugepages", hp_name(req->hugepage_kb))
		  : req->cpu_policy == VSL_CPU_DEDICATED ? xstrdup("most free dedicated cores")
							 : xstrdup("most shared cpus");
	return best;
}

/* Fills r->vcpu_cpu from free, whole physical cores first (see file comment). */
static void pick_cpus(const struct vsl_topo *t, const struct vsl_cpuset *free_set, int want,
		      struct vsl_place_rec *r)
{
	struct vsl_cpuset left = *free_set;
	int n = 0;

	for (int phase = 0; phase < 3 && n < want; phase++) {
		for (int c = vsl_cpuset_next(&left, 0); c >= 0 && n < want; c = vsl_cpuset_next(&left, c + 1)) {
			const struct vsl_cpuset *sib = &t->cpus[c].siblings;
			struct vsl_cpuset busy = *sib;
			int k = vsl_cpuset_count(sib);
			vsl_cpuset_andnot(&busy, free_set);
			bool whole = vsl_cpuset_count(&busy) == 0;
			if (vsl_cpuset_next(sib, 0) != c && whole && phase == 0)
				continue; /* whole cores are taken from their first thread */
			if (phase == 0 && (!whole || want - n < k))
				continue;
			if (phase == 1 && whole)
				continue;
			if (phase == 0) {
				for (int s = vsl_cpuset_next(sib, 0); s >= 0; s = vsl_cpuset_next(sib, s + 1)) {
					r->vcpu_cpu[n++] = s;
					vsl_cpuset_del(&left, s);
				}
			} else {
				r->vcpu_cpu[n++] = c;
				vsl_cpuset_del(&left, c);
			}
		}
	}
}

static char *find_hugetlbfs(uint64_t kb)
{
	cleanup_fclose FILE *f = fopen("/proc/self/mounts", "re");
	char dev[256], dir[1024], type[64], opts[1024];
	long default_kb = 2048;

	if (!f)
		return NULL;
	while (fscanf(f, "%255s %1023s %63s %1023s %*d %*d", dev, dir, type, opts) == 4) {
		long size = default_kb;
		char *p;
		if (strcmp(type, "hugetlbfs") != 0)
			continue;
		if ((p = strstr(opts, "pagesize=")) != NULL) {
			char unit = 0;
			if (sscanf(p + 9, "%ld%c", &size, &unit) == 2)
				size *= unit == 'G' ? 1048576 : unit == 'M' ? 1024 : unit == 'K' ? 1 : 0;
		}
		if ((uint64_t)size == kb)
			return xstrdup(dir);
	}
	return NULL;
}

static struct vsl_place_plan *plan_from_rec(const struct vsl_topo *t, const struct vsl_place_rec *r,
					    const char *reason, bool existing)
{
	struct vsl_place_plan *p = xzalloc(sizeof(*p));
	p->vnf_id = xstrdup(r->vnf_id);
	p->node = r->node;
	p->cpu_policy = r->cpu_policy;
	p->vcpus = r->vcpus;
	for (int v = 0; v < VSL_NUMA_MAX_VCPUS; v++) {
		p->vcpu_cpu[v] = r->cpu_policy == VSL_CPU_DEDICATED && v < r->vcpus ? r->vcpu_cpu[v] : -1;
		if (p->vcpu_cpu[v] >= 0)
			vsl_cpuset_add(&p->dedicated, p->vcpu_cpu[v]);
	}
	p->shared = r->shared;
	p->memory_mb = r->memory_mb;
	p->hugepage_kb = r->hugepage_kb;
	p->hugepages = r->hugepages;
	if (r->hugepage_kb && strcmp(t->root, "/sys") == 0)
		p->mem_path = find_hugetlbfs(r->hugepage_kb);
	p->reason = xstrdup(reason);
	p->existing = existing;
	return p;
}

static bool same_request(const struct vsl_place_rec *r, const struct vsl_place_req *req)
{
	return r->vcpus == req->vcpus && r->memory_mb == req->memory_mb && r->cpu_policy == req->cpu_policy &&
	       r->hugepage_kb == req->hugepage_kb && (req->numa_node == VSL_NUMA_AUTO || req->numa_node == r->node);
}

int vsl_place(const struct vsl_topo *t, struct vsl_place_state *st, const struct vsl_place_req *req,
	      struct vsl_place_plan **out, struct vsl_err **err)
{
	cleanup_close int lock = -1;
	cleanup_free char *reason = NULL;
	struct vsl_place_rec rec, *old;
	uint64_t pages = 0;
	int idx;

	if (validate_req(t, req, &pages, err) < 0)
		return -1;
	if (vsl_place_state_lock_reload(st, &lock, err) < 0)
		return vsl_err_wrap(err, "vnf `%s`", req->vnf_id);
	old = vsl_place_state_find(st, req->vnf_id);
	if (old && !same_request(old, req))
		return vsl_numa_fail(err, EEXIST, "vnf `%s` already has a placement (%d vcpus %s, %" PRIu64 " MB, "
						 "numa node %d) that differs from this request; release it first",
				    req->vnf_id, old->vcpus, old->cpu_policy == VSL_CPU_DEDICATED ? "dedicated" : "shared",
				    old->memory_mb, old->node);
	if (old) {
		*out = plan_from_rec(t, old, "existing placement", true);
		return 0;
	}
	idx = choose_node(t, st, req, pages, &reason, err);
	if (idx < 0)
		return -1;
	memset(&rec, 0, sizeof(rec));
	rec.vnf_id = xstrdup(req->vnf_id);
	rec.node = t->nodes[idx].id;
	rec.cpu_policy = req->cpu_policy;
	rec.vcpus = req->vcpus;
	rec.memory_mb = req->memory_mb;
	rec.hugepage_kb = req->hugepage_kb;
	rec.hugepages = pages;
	for (int v = 0; v < VSL_NUMA_MAX_VCPUS; v++)
		rec.vcpu_cpu[v] = -1;
	if (req->cpu_policy == VSL_CPU_DEDICATED) {
		struct avail a;
		node_avail(t, st, &t->nodes[idx], req->hugepage_kb, &a);
		pick_cpus(t, &a.free_ded, req->vcpus, &rec);
	}
	vsl_place_state_add(st, &rec);
	old = &st->recs[st->n - 1];
	vsl_place_shared_cpus(t, st, old->node, &old->shared);
	if (req->cpu_policy == VSL_CPU_DEDICATED && vsl_cpuset_count(&old->shared) == 0)
		vsl_place_state_reserved(st, t, &old->shared, &(struct vsl_cpuset){{0}});
	*out = plan_from_rec(t, old, reason, false);
	if (req->dry_run) {
		vsl_place_state_remove(st, req->vnf_id);
		return 0;
	}
	if (vsl_place_state_save(st, err) < 0) {
		vsl_place_state_remove(st, req->vnf_id);
		vsl_place_plan_destroy(*out);
		*out = NULL;
		return vsl_err_wrap(err, "vnf `%s`: record placement", req->vnf_id);
	}
	return 0;
}

struct vsl_place_plan *vsl_place_lookup(const struct vsl_topo *t, const struct vsl_place_state *st,
					const char *vnf_id)
{
	for (int i = 0; i < st->n; i++)
		if (strcmp(st->recs[i].vnf_id, vnf_id) == 0)
			return plan_from_rec(t, &st->recs[i], "existing placement", true);
	return NULL;
}

int vsl_place_release(struct vsl_place_state *st, const char *vnf_id, struct vsl_err **err)
{
	cleanup_close int lock = -1;

	if (vsl_place_state_lock_reload(st, &lock, err) < 0)
		return vsl_err_wrap(err, "release vnf `%s`", vnf_id);
	if (!vsl_place_state_find(st, vnf_id))
		return 0;
	vsl_place_state_remove(st, vnf_id);
	if (vsl_place_state_save(st, err) < 0)
		return vsl_err_wrap(err, "release vnf `%s`", vnf_id);
	return 1;
}
