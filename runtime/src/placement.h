/* NUMA placement as the runtime uses it: libvesselnuma (runtime/numa) decides
 * and records where a container's vCPUs and memory go; this module turns the
 * container's annotations into a request, pins QEMU's threads to the plan
 * once QMP names the vCPU threads, and releases the record on delete.
 *
 * The record lives in <dir>/placement.json, dir = $VESSEL_PLACEMENT_DIR, else
 * the runtime's lib dir ($VESSEL_LIB_DIR, default /var/lib/vessel) — the same
 * file vesseld's --placement-dir and `vessel-numa --state-dir` read, so every
 * Vessel process on the node sees the same dedicated cores.
 *
 * Ownership: plans returned through *out belong to the caller
 * (vsl_place_plan_destroy); strings returned are malloc'd (free).
 */
#ifndef VESSEL_PLACEMENT_H
#define VESSEL_PLACEMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "oci_config.h"
#include "vessel/err.h"
#include "vessel/numa.h"

/* The placement directory for a runtime lib dir (caller frees). */
char *vsl_placement_dir(const char *lib_dir);

/* Places container `id` per cfg (vcpus, memory_mb, cpu_policy, numa_node,
 * hugepage_size) against the host topology; port_node is the node of its
 * dataplane ports or -1. Fails before anything starts, naming the node and
 * what it lacked. A record left for the same id with the same request is
 * reused (*out)->existing. */
int vsl_placement_make(const char *dir, const char *id, const struct vsl_oci_config *cfg,
		       int port_node, struct vsl_place_plan **out, struct vsl_err **err);

/* Forgets the record of `id` (none is not an error). */
int vsl_placement_release(const char *dir, const char *id, struct vsl_err **err);

/* Pins QEMU (pid) per plan: vCPU i (thread vcpu_tids[i]) to its dedicated CPU
 * (dedicated policy) or to plan->shared; every other thread of QEMU to
 * plan->shared (the whole node when no shared CPU is left). */
int vsl_placement_pin(const struct vsl_place_plan *plan, pid_t qemu, const int *vcpu_tids,
		      size_t n_tids, struct vsl_err **err);

/* "2-3" style list of the plan's vCPU CPUs in vCPU order ("" for shared);
 * caller frees. */
char *vsl_placement_vcpu_list(const struct vsl_place_plan *plan);

#endif
