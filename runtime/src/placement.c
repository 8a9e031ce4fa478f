/* Runtime side of NUMA placement (see placement.h): request from the
 * container config, pinning of QEMU's threads after boot, release. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "placement.h"
#include "vessel/cleanup.h"

static void topo_freep(struct vsl_topo **t)
{
	vsl_topo_destroy(*t);
}

static void place_state_freep(struct vsl_place_state **st)
{
	vsl_place_state_destroy(*st);
}

#define cleanup_topo __attribute__((cleanup(topo_freep)))
#define cleanup_place_state __attribute__((cleanup(place_state_freep)))

char *vsl_placement_dir(const char *lib_dir)
{
	const char *env = getenv("VESSEL_PLACEMENT_DIR");
	if (env != NULL && *env != '\0')
		return xstrdup(env);
	return xstrdup(lib_dir ? lib_dir : VSL_PLACE_DEFAULT_DIR);
}

int vsl_placement_make(const char *dir, const char *id, const struct vsl_oci_config *cfg,
		       int port_node, struct vsl_place_plan **out, struct vsl_err **err)
{
	cleanup_topo struct vsl_topo *t = NULL;
	cleanup_place_state struct vsl_place_state *st = NULL;
	struct vsl_place_req req = {
		.vnf_id = id,
		.vcpus = (int)cfg->vcpus,
		.memory_mb = cfg->memory_mb,
		.cpu_policy = cfg->dedicated ? VSL_CPU_DEDICATED : VSL_CPU_SHARED,
		.numa_node = cfg->numa_node >= 0 ? cfg->numa_node : VSL_NUMA_AUTO,
		.hugepage_kb = cfg->hugepage_kb,
		.port_node = port_node,
	};
	if (vsl_topo_load(NULL, &t, err) < 0 || vsl_place_state_open(dir, &st, err) < 0 ||
	    vsl_place(t, st, &req, out, err) < 0)
		return vsl_err_wrap(err, "container `%s`: placement", id);
	return 0;
}

int vsl_placement_release(const char *dir, const char *id, struct vsl_err **err)
{
	cleanup_place_state struct vsl_place_state *st = NULL;
	if (vsl_place_state_open(dir, &st, err) < 0 || vsl_place_release(st, id, err) < 0)
		return vsl_err_wrap(err, "container `%s`: release its placement", id);
	return 0;
}

static bool is_vcpu(int tid, const int *tids, size_t n, size_t *index)
{
	for (size_t i = 0; i < n; i++)
		if (tids[i] == tid) {
			*index = i;
			return true;
		}
	return false;
}

/* Pins one thread of QEMU: its dedicated CPU if it is a dedicated vCPU, else
 * the shared set. A thread that ended meanwhile is not an error. */
static int pin_one(const struct vsl_place_plan *plan, int tid, const struct vsl_cpuset *shared,
		   const int *vcpu_tids, size_t n_tids, struct vsl_err **err)
{
	size_t i = 0;
	struct vsl_cpuset one;
	const struct vsl_cpuset *set = shared;
	if (is_vcpu(tid, vcpu_tids, n_tids, &i) && plan->cpu_policy == VSL_CPU_DEDICATED) {
		if ((int)i >= plan->vcpus || plan->vcpu_cpu[i] < 0)
			return vsl_err_make(err, 0, "container `%s`: QEMU has vCPU %zu, the placement "
					    "only %d", plan->vnf_id, i, plan->vcpus);
		vsl_cpuset_zero(&one);
		vsl_cpuset_add(&one, plan->vcpu_cpu[i]);
		set = &one;
	}
	cleanup_err struct vsl_err *e = NULL;
	if (vsl_numa_pin_thread(tid, set, &e) < 0 && e->code != ESRCH)
		return vsl_err_make(err, 0, "container `%s`: pin QEMU thread: %s", plan->vnf_id,
				    e->msg);
	return 0;
}

int vsl_placement_pin(const struct vsl_place_plan *plan, pid_t qemu, const int *vcpu_tids,
		      size_t n_tids, struct vsl_err **err)
{
	struct vsl_cpuset shared = plan->shared;
	if (vsl_cpuset_count(&shared) == 0) {
		/* every CPU of the node is dedicated: QEMU's helpers share the node */
		vsl_cpuset_or(&shared, &plan->dedicated);
	}
	if (qemu <= 0) { /* hypervisor pid unknown (a backend that hides it): vCPUs only */
		for (size_t i = 0; i < n_tids; i++)
			if (pin_one(plan, vcpu_tids[i], &shared, vcpu_tids, n_tids, err) < 0)
				return -1;
		return 0;
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)qemu);
	DIR *d = opendir(path);
	if (d == NULL)
		return vsl_err_make(err, errno, "container `%s`: pin QEMU threads: %s", plan->vnf_id,
				    path);
	int r = 0;
	struct dirent *de;
	while (r == 0 && (de = readdir(d)) != NULL) {
		int tid = atoi(de->d_name);
		if (tid > 0)
			r = pin_one(plan, tid, &shared, vcpu_tids, n_tids, err);
	}
	closedir(d);
	return r;
}

char *vsl_placement_vcpu_list(const struct vsl_place_plan *plan)
{
	size_t cap = (size_t)plan->vcpus * 6 + 1, len = 0;
	char *s = xzalloc(cap);
	for (int i = 0; plan->cpu_policy == VSL_CPU_DEDICATED && i < plan->vcpus; i++)
		len += (size_t)snprintf(s + len, cap - len, "%s%d", i ? "," : "", plan->vcpu_cpu[i]);
	return s;
}
