/* The jailed QEMU's cgroup: caps its memory (guest RAM plus an overhead for
 * QEMU itself, VESSEL_JAIL_MEM_OVERHEAD_MB, default 256) and its tasks
 * (VESSEL_JAIL_PIDS_MAX, default 256), so a compromised QEMU cannot starve
 * the node. cgroup v2 when its memory and pids controllers are available
 * (a pure v2 host, or the `unified` mount of a hybrid one), else the v1
 * memory and pids hierarchies. The directory is vessel/<id>-<hash of the
 * state directory>, so a later delete can find it without the shim. The
 * hierarchy root is VESSEL_CGROUP_ROOT (default /sys/fs/cgroup).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jail_internal.h"
#include "vessel/cleanup.h"
#include "vessel/log.h"

static const char *cg_root(void)
{
	const char *r = getenv("VESSEL_CGROUP_ROOT");
	return r && *r ? r : "/sys/fs/cgroup";
}

static bool has_controller(const char *dir, const char *name)
{
	char path[512], buf[512] = "";
	snprintf(path, sizeof(path), "%s/cgroup.controllers", dir);
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, name) != NULL;
}

static bool has_controllers(const char *dir)
{
	return has_controller(dir, "memory") && has_controller(dir, "pids");
}

static int write_file(const char *dir, const char *file, const char *value)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, value, strlen(value));
	int e = errno;
	close(fd);
	errno = e;
	return n == (ssize_t)strlen(value) ? 0 : -1;
}

static char *cg_name(const char *state_dir, const char *id)
{
	unsigned h = 2166136261u;
	for (const char *s = state_dir; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return xasprintf("vessel/%.100s-%08x", id, h);
}

static unsigned env_num(const char *name, unsigned def)
{
	const char *v = getenv(name);
	long x = v ? strtol(v, NULL, 10) : 0;
	return x > 0 && x < 1000000 ? (unsigned)x : def;
}

/* Finds where the cgroups go: v2 base in *v2, or v1 (memory, pids) dirs. */
static int cg_layout(char **v2, char **mem, char **pids)
{
	const char *root = cg_root();
	cleanup_free char *unified = xasprintf("%s/unified", root);
	*v2 = *mem = *pids = NULL;
	if (has_controllers(root))
		*v2 = xstrdup(root);
	else if (has_controllers(unified))
		*v2 = xstrdup(unified);
	else {
		char *m = xasprintf("%s/memory", root), *p = xasprintf("%s/pids", root);
		struct stat st;
		if (stat(m, &st) == 0 && stat(p, &st) == 0) {
			*mem = m;
			*pids = p;
		} else {
			free(m);
			free(p);
			return -1;
		}
	}
	return 0;
}

static int add_cgroup(struct vsl_jail *j, const char *base, const char *name,
		      struct vsl_err **err)
{
	cleanup_free char *parent = xasprintf("%s/vessel", base);
	char *dir = xasprintf("%s/%s", base, name);
	if (mkdir(parent, 0755) < 0 && errno != EEXIST) {
		int e = errno;
		free(dir);
		if (e == EROFS || e == EACCES || e == EPERM)
			return 1; /* a read-only cgroupfs (in a container): no limits here */
		return vsl_err_make(err, e, "jail: create cgroup under `%s`", base);
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		int e = errno;
		free(dir);
		return vsl_err_make(err, e, "jail: create cgroup under `%s`", base);
	}
	j->cgroups[j->n_cgroups] = dir;
	j->cg_procs[j->n_cgroups] = xasprintf("%s/cgroup.procs", dir);
	j->n_cgroups++;
	return 0;
}

/* Caps every hugepage size at the guest's RAM (rounded up to a page), so a
 * compromised QEMU cannot grow its hugetlbfs file or map more and starve
 * the other VNFs and the dataplane of hugepages. */
static void hugetlb_limits(const char *dir, unsigned memory_mb)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		unsigned size;
		char unit;
		size_t n = strlen(de->d_name);
		if (strncmp(de->d_name, "hugetlb.", 8) != 0 || n < 12 ||
		    (strcmp(de->d_name + n - 4, ".max") != 0) ||
		    sscanf(de->d_name + 8, "%u%c", &size, &unit) != 2 || size == 0)
			continue;
		unsigned long long page = (unsigned long long)size << (unit == 'G' ? 30 : unit == 'M' ? 20 : 10);
		unsigned long long want = (unsigned long long)memory_mb << 20;
		char v[32];
		snprintf(v, sizeof(v), "%llu", (want + page - 1) / page * page);
		write_file(dir, de->d_name, v); /* hugetlb.<size>.max and .rsvd.max */
	}
	closedir(d);
}

/* The hugetlb controller, when it is in cgroup v2: the main cgroup's own
 * directory on a v2 host; on a hybrid host (memory and pids in v1) a second
 * directory under the unified mount. */
static void add_hugetlb(struct vsl_jail *j, const char *v2, const char *name, unsigned memory_mb)
{
	cleanup_free char *unified = xasprintf("%s/unified", cg_root());
	const char *base = v2 ? v2 : unified;
	if (!has_controller(base, "hugetlb"))
		return;
	cleanup_free char *parent = xasprintf("%s/vessel", base);
	write_file(base, "cgroup.subtree_control", "+hugetlb");
	if (v2 == NULL) {
		cleanup_err struct vsl_err *e = NULL;
		if (add_cgroup(j, base, name, &e) != 0)
			return;
	}
	write_file(parent, "cgroup.subtree_control", "+hugetlb");
	hugetlb_limits(j->cgroups[j->n_cgroups - 1], memory_mb);
}

int vsl_jail_cgroup_create(struct vsl_jail *j, const struct vsl_jail_opts *o,
			   struct vsl_err **err)
{
	cleanup_free char *v2 = NULL, *mem = NULL, *pids = NULL;
	cleanup_free char *name = cg_name(o->state_dir, o->id);
	unsigned long long limit = ((unsigned long long)o->memory_mb +
				    env_num("VESSEL_JAIL_MEM_OVERHEAD_MB", 256)) << 20;
	char lim[32], pmax[32];
	snprintf(lim, sizeof(lim), "%llu", limit);
	snprintf(pmax, sizeof(pmax), "%u", env_num("VESSEL_JAIL_PIDS_MAX", 256));
	int r = cg_layout(&v2, &mem, &pids) < 0 ? 1 : 0;
	if (r == 0 && v2 != NULL) {
		write_file(v2, "cgroup.subtree_control", "+memory +pids");
		r = add_cgroup(j, v2, name, err);
	} else if (r == 0) {
		r = add_cgroup(j, mem, name, err);
		if (r == 0)
			r = add_cgroup(j, pids, name, err);
	}
	if (r < 0)
		return -1;
	if (r > 0) {
		vsl_warn("container `%s`: jail: no writable cgroup memory/pids controllers under "
			 "`%s`: QEMU runs without memory and task limits", o->id, cg_root());
		return 0;
	}
	if (v2 != NULL) {
		cleanup_free char *parent = xasprintf("%s/vessel", v2);
		write_file(parent, "cgroup.subtree_control", "+memory +pids");
		if (write_file(j->cgroups[0], "memory.max", lim) < 0 ||
		    write_file(j->cgroups[0], "pids.max", pmax) < 0)
			return vsl_err_make(err, errno, "jail: set memory.max/pids.max in `%s`",
					    j->cgroups[0]);
		write_file(j->cgroups[0], "memory.swap.max", "0");
		add_hugetlb(j, v2, name, o->memory_mb);
		return 0;
	}
	if (write_file(j->cgroups[0], "memory.limit_in_bytes", lim) < 0 ||
	    write_file(j->cgroups[1], "pids.max", pmax) < 0)
		return vsl_err_make(err, errno, "jail: set memory.limit_in_bytes/pids.max in `%s`",
				    j->cgroups[0]);
	add_hugetlb(j, NULL, name, o->memory_mb);
	return 0;
}

void vsl_jail_cgroup_remove(struct vsl_jail *j)
{
	for (size_t i = 0; i < j->n_cgroups; i++) {
		/* the cgroup empties a moment after QEMU is reaped */
		for (int k = 0; k < 100 && rmdir(j->cgroups[i]) < 0 && errno == EBUSY; k++)
			usleep(10000);
		free(j->cg_procs[i]);
		j->cg_procs[i] = NULL;
	}
}

void vsl_jail_cleanup(const char *state_dir, const char *id)
{
	cleanup_free char *v2 = NULL, *mem = NULL, *pids = NULL;
	char real[PATH_MAX];
	if (realpath(state_dir, real) == NULL)
		return;
	cleanup_free char *name = cg_name(real, id);
	if (cg_layout(&v2, &mem, &pids) < 0)
		return;
	cleanup_free char *unified = xasprintf("%s/unified", cg_root());
	const char *bases[] = { v2, mem, pids, v2 ? NULL : unified };
	for (size_t i = 0; i < 4; i++) {
		if (bases[i] == NULL)
			continue;
		cleanup_free char *dir = xasprintf("%s/%s", bases[i], name);
		rmdir(dir);
	}
}
