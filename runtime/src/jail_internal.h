/* What the parent side of the jail (jail.c, jail_cgroup.c) hands to the
 * child side (jail_enter.c): everything precomputed, so the child between
 * fork and exec makes no allocation. */
#ifndef VESSEL_JAIL_INTERNAL_H
#define VESSEL_JAIL_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "jail.h"

struct jail_mount {
	char *src; /* host path */
	char *dst; /* <jail root><src> */
	bool dir;
	bool ro;
};

struct jail_link {
	char name[16];
	char target[64];
};

struct vsl_jail {
	char *id, *state_dir;
	char *root;            /* <state dir>/jail: the tmpfs QEMU pivots into */
	uid_t uid;
	gid_t gid;
	gid_t groups[4];       /* supplementary (the group of /dev/kvm) */
	size_t n_groups;
	int lock_fd;           /* flock on the uid slot */
	pid_t parent;          /* the shim: PR_SET_PDEATHSIG is re-armed after setuid */
	int cap_last;
	struct jail_mount *mounts;
	size_t n_mounts, cap_mounts;
	struct jail_link links[6]; /* /lib -> usr/lib and friends */
	size_t n_links;
	int *fds;              /* listening sockets handed to QEMU */
	size_t n_fds;
	char **sock_dirs;      /* vhost-user socket directories, sealed after Ready */
	size_t n_sock_dirs;
	char *mem_dir;         /* per-VNF hugetlbfs directory, NULL if none */
	char *cgroups[3];      /* cgroup directories (v2: one; v1: memory, pids; + v2 hugetlb) */
	size_t n_cgroups;
	char *cg_procs[3];     /* their cgroup.procs */
};

int vsl_jail_cgroup_create(struct vsl_jail *j, const struct vsl_jail_opts *o,
			   struct vsl_err **err);
void vsl_jail_cgroup_remove(struct vsl_jail *j);

#endif
