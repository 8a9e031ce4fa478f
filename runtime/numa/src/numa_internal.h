/* Internal interfaces shared by the files of libvesselnuma (not installed). */
#ifndef VESSEL_NUMA_INTERNAL_H
#define VESSEL_NUMA_INTERNAL_H

#include <stdint.h>

#include "vessel/numa.h"

/* Reads a small file (< 8 KiB) into a new string. */
int vsl_numa_read_file(const char *path, char **out, struct vsl_err **err);
uint64_t vsl_hp_size_kb(int idx);
/* Like vsl_err_make with code set but no strerror text appended. */
int vsl_numa_fail(struct vsl_err **err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* One recorded VNF placement, as stored in the state file. */
struct vsl_place_rec {
	char *vnf_id;
	int node;
	enum vsl_cpu_policy cpu_policy;
	int vcpus;
	int vcpu_cpu[VSL_NUMA_MAX_VCPUS];
	struct vsl_cpuset shared;
	uint64_t memory_mb;
	uint64_t hugepage_kb;
	uint64_t hugepages;
};

struct vsl_place_state {
	char *dir;  /* NULL: in memory only */
	char *path; /* dir/placement.json */
	bool have_housekeeping;
	struct vsl_cpuset housekeeping;
	struct vsl_cpuset dataplane;
	int n;
	struct vsl_place_rec *recs;
};

struct vsl_place_rec *vsl_place_state_find(struct vsl_place_state *st, const char *vnf_id);
/* Appends a copy of rec (takes ownership of rec->vnf_id). */
void vsl_place_state_add(struct vsl_place_state *st, struct vsl_place_rec *rec);
void vsl_place_state_remove(struct vsl_place_state *st, const char *vnf_id);

/* With a file: takes the lock (fd returned in *lock_fd) and re-reads the file
 * into st. Without: no-op, *lock_fd = -1. */
int vsl_place_state_lock_reload(struct vsl_place_state *st, int *lock_fd, struct vsl_err **err);
/* With a file: writes st atomically (tmp + fsync + rename + dir fsync). */
int vsl_place_state_save(struct vsl_place_state *st, struct vsl_err **err);

#endif
