/* NUMA topology from sysfs (one code path for real and fake trees).
 *
 * Everything comes from files under a configurable sysfs root so unit tests
 * can load fake two-socket trees: devices/system/cpu/online, each CPU's
 * topology/, devices/system/node/node<N>/{cpulist,meminfo,hugepages/...} and
 * bus/pci/devices/<addr>/numa_node. A host without devices/system/node (NUMA
 * disabled in the kernel) is one node 0 holding every online CPU, with the
 * global hugepage counters of kernel/mm/hugepages. On the real /sys the result
 * is cross-checked against libnuma so a reader bug cannot go unnoticed.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <numa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "numa_internal.h"
#include "vessel/cleanup.h"
#include "vessel/err.h"
#include "vessel/numa.h"

static const uint64_t hp_sizes_kb[VSL_HP_NSIZES] = {2048, 1048576};

int vsl_hp_index(uint64_t size_kb)
{
	for (int i = 0; i < VSL_HP_NSIZES; i++)
		if (hp_sizes_kb[i] == size_kb)
			return i;
	return -1;
}

uint64_t vsl_hp_size_kb(int idx)
{
	return idx >= 0 && idx < VSL_HP_NSIZES ? hp_sizes_kb[idx] : 0;
}

int vsl_numa_read_file(const char *path, char **out, struct vsl_err **err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	char buf[8192];
	size_t len = 0;

	if (fd < 0)
		return vsl_err_make(err, errno, "open `%s`", path);
	for (;;) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return vsl_err_make(err, errno, "read `%s`", path);
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == sizeof(buf) - 1)
			return vsl_err_make(err, 0, "read `%s`: file larger than %zu bytes", path, sizeof(buf) - 1);
	}
	buf[len] = '\0';
	*out = xstrdup(buf);
	return 0;
}

/* Reads a file holding one decimal integer (optional sign, trailing newline). */
static int read_long(const char *path, long *out, struct vsl_err **err)
{
	cleanup_free char *s = NULL;
	char *end;
	long v;

	if (vsl_numa_read_file(path, &s, err) < 0)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	while (*end == '\n' || *end == ' ')
		end++;
	if (end == s || *end != '\0' || errno != 0 || !(isdigit((unsigned char)s[0]) || s[0] == '-'))
		return vsl_err_make(err, 0, "`%s`: expected an integer, got `%.32s`", path, s);
	*out = v;
	return 0;
}

static int read_cpulist(const char *path, struct vsl_cpuset *out, struct vsl_err **err)
{
	cleanup_free char *s = NULL;
	if (vsl_numa_read_file(path, &s, err) < 0)
		return -1;
	if (vsl_cpulist_parse(s, out, err) < 0)
		return vsl_err_wrap(err, "`%s`", path);
	return 0;
}

static bool path_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* Per-node "Node N MemTotal:  123 kB" lines; missing file leaves zeros. */
static int read_meminfo(const char *path, struct vsl_numa_node *n, struct vsl_err **err)
{
	cleanup_free char *s = NULL;
	if (!path_exists(path))
		return 0;
	if (vsl_numa_read_file(path, &s, err) < 0)
		return -1;
	for (char *line = strtok(s, "\n"); line; line = strtok(NULL, "\n")) {
		int id;
		char key[64];
		uint64_t kb;
		if (sscanf(line, "Node %d %63[A-Za-z_]: %" SCNu64 " kB", &id, key, &kb) != 3)
			continue;
		if (strcmp(key, "MemTotal") == 0)
			n->mem_total_kb = kb;
		else if (strcmp(key, "MemFree") == 0)
			n->mem_free_kb = kb;
	}
	return 0;
}

/* dir holds hugepages-<size>kB/{nr,free}_hugepages; an absent size is nr -1. */
static int read_hugepages(const char *dir, struct vsl_numa_hugepages hp[VSL_HP_NSIZES], struct vsl_err **err)
{
	for (int i = 0; i < VSL_HP_NSIZES; i++) {
		cleanup_free char *sub = xasprintf("%s/hugepages-%" PRIu64 "kB", dir, hp_sizes_kb[i]);
		cleanup_free char *nr = xasprintf("%s/nr_hugepages", sub);
		cleanup_free char *fr = xasprintf("%s/free_hugepages", sub);
		hp[i].nr = -1;
		hp[i].free = 0;
		if (!path_exists(sub))
			continue;
		if (read_long(nr, &hp[i].nr, err) < 0 || read_long(fr, &hp[i].free, err) < 0)
			return -1;
		if (hp[i].nr < 0 || hp[i].free < 0 || hp[i].free > hp[i].nr)
			return vsl_err_make(err, 0, "`%s`: inconsistent counts (nr %ld, free %ld)", sub, hp[i].nr,
					    hp[i].free);
	}
	return 0;
}

static int load_cpus(struct vsl_topo *t, struct vsl_err **err)
{
	cleanup_free char *online = xasprintf("%s/devices/system/cpu/online", t->root);
	if (read_cpulist(online, &t->online, err) < 0)
		return -1;
	t->max_cpu = -1;
	for (int c = vsl_cpuset_next(&t->online, 0); c >= 0; c = vsl_cpuset_next(&t->online, c + 1))
		t->max_cpu = c;
	if (t->max_cpu < 0)
		return vsl_err_make(err, 0, "`%s`: no online cpus", online);
	t->cpus = xzalloc(sizeof(*t->cpus) * (size_t)(t->max_cpu + 1));
	for (int c = 0; c <= t->max_cpu; c++) {
		struct vsl_numa_cpu *cpu = &t->cpus[c];
		long v;
		cpu->node = -1;
		cpu->core_id = c;
		vsl_cpuset_zero(&cpu->siblings);
		vsl_cpuset_add(&cpu->siblings, c);
		if (!vsl_cpuset_has(&t->online, c))
			continue;
		/* Some virtual machines have no topology/: each CPU is its own core. */
		cleanup_free char *dir = xasprintf("%s/devices/system/cpu/cpu%d/topology", t->root, c);
		if (!path_exists(dir))
			continue;
		cleanup_free char *core = xasprintf("%s/core_id", dir);
		cleanup_free char *pkg = xasprintf("%s/physical_package_id", dir);
		cleanup_free char *sib = xasprintf("%s/thread_siblings_list", dir);
		if (read_long(core, &v, err) < 0)
			return -1;
		cpu->core_id = (int)v;
		if (read_long(pkg, &v, err) < 0)
			return -1;
		cpu->package_id = (int)v;
		if (read_cpulist(sib, &cpu->siblings, err) < 0)
			return -1;
		vsl_cpuset_add(&cpu->siblings, c);
	}
	return 0;
}

static int node_cmp(const void *a, const void *b)
{
	return ((const struct vsl_numa_node *)a)->id - ((const struct vsl_numa_node *)b)->id;
}

/* Collects node<N> ids from dir; returns count or negative. */
static int list_nodes(const char *dir, int **ids_out, struct vsl_err **err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0, cap = 8;
	int *ids;

	if (!d)
		return vsl_err_make(err, errno, "open `%s`", dir);
	ids = xmalloc(sizeof(int) * (size_t)cap);
	while ((de = readdir(d)) != NULL) {
		const char *p = de->d_name;
		char *end;
		long id;
		if (strncmp(p, "node", 4) != 0 || !isdigit((unsigned char)p[4]))
			continue;
		id = strtol(p + 4, &end, 10);
		if (*end != '\0' || id < 0 || id > 4095)
			continue;
		if (n == cap)
			ids = xrealloc(ids, sizeof(int) * (size_t)(cap *= 2));
		ids[n++] = (int)id;
	}
	closedir(d);
	*ids_out = ids;
	return n;
}

static int load_node(struct vsl_topo *t, struct vsl_numa_node *n, struct vsl_err **err)
{
	cleanup_free char *dir = xasprintf("%s/devices/system/node/node%d", t->root, n->id);
	cleanup_free char *cpulist = xasprintf("%s/cpulist", dir);
	cleanup_free char *meminfo = xasprintf("%s/meminfo", dir);
	cleanup_free char *hp = xasprintf("%s/hugepages", dir);

	if (read_cpulist(cpulist, &n->cpus, err) < 0)
		return -1;
	for (int c = vsl_cpuset_next(&n->cpus, 0); c >= 0; c = vsl_cpuset_next(&n->cpus, c + 1)) {
		if (!vsl_cpuset_has(&t->online, c)) {
			vsl_cpuset_del(&n->cpus, c);
			continue;
		}
		if (t->cpus[c].node >= 0)
			return vsl_err_make(err, 0, "`%s`: cpu %d is also listed in node %d", cpulist, c,
					    t->cpus[c].node);
		t->cpus[c].node = n->id;
	}
	if (read_meminfo(meminfo, n, err) < 0)
		return -1;
	return read_hugepages(hp, n->hp, err);
}

static int load_nodes(struct vsl_topo *t, struct vsl_err **err)
{
	cleanup_free char *dir = xasprintf("%s/devices/system/node", t->root);
	cleanup_free int *ids = NULL;
	int n;

	if (!path_exists(dir)) {
		/* NUMA disabled: one node 0 with every online CPU. */
		cleanup_free char *hp = xasprintf("%s/kernel/mm/hugepages", t->root);
		t->numa_enabled = false;
		t->n_nodes = 1;
		t->nodes = xzalloc(sizeof(*t->nodes));
		t->nodes[0].cpus = t->online;
		for (int c = 0; c <= t->max_cpu; c++)
			if (vsl_cpuset_has(&t->online, c))
				t->cpus[c].node = 0;
		return read_hugepages(hp, t->nodes[0].hp, err);
	}
	t->numa_enabled = true;
	n = list_nodes(dir, &ids, err);
	if (n < 0)
		return -1;
	if (n == 0)
		return vsl_err_make(err, 0, "`%s`: no node<N> directories", dir);
	t->n_nodes = n;
	t->nodes = xzalloc(sizeof(*t->nodes) * (size_t)n);
	for (int i = 0; i < n; i++)
		t->nodes[i].id = ids[i];
	qsort(t->nodes, (size_t)n, sizeof(*t->nodes), node_cmp);
	for (int i = 0; i < n; i++)
		if (load_node(t, &t->nodes[i], err) < 0)
			return -1;
	return 0;
}

/* On the real host, libnuma must agree with what we read from sysfs. */
static int crosscheck_libnuma(const struct vsl_topo *t, struct vsl_err **err)
{
	struct bitmask *mask;
	int rc = 0;

	if (numa_available() < 0)
		return t->n_nodes == 1 ? 0
				       : vsl_err_make(err, 0, "topology: sysfs lists %d numa nodes but libnuma "
							      "says NUMA is not available", t->n_nodes);
	if (numa_max_node() != t->nodes[t->n_nodes - 1].id)
		return vsl_err_make(err, 0, "topology: sysfs highest numa node is %d, libnuma says %d",
				    t->nodes[t->n_nodes - 1].id, numa_max_node());
	mask = numa_allocate_cpumask();
	for (int i = 0; i < t->n_nodes && rc == 0; i++) {
		struct vsl_cpuset ln;
		vsl_cpuset_zero(&ln);
		if (numa_node_to_cpus(t->nodes[i].id, mask) < 0) {
			rc = vsl_err_make(err, errno, "libnuma: cpus of node %d", t->nodes[i].id);
			break;
		}
		for (unsigned c = 0; c < mask->size && c < VSL_CPUSET_MAX; c++)
			if (numa_bitmask_isbitset(mask, c) && vsl_cpuset_has(&t->online, (int)c))
				vsl_cpuset_add(&ln, (int)c);
		if (!vsl_cpuset_equal(&ln, &t->nodes[i].cpus)) {
			cleanup_free char *a = vsl_cpulist_format(&t->nodes[i].cpus);
			cleanup_free char *b = vsl_cpulist_format(&ln);
			rc = vsl_err_make(err, 0, "topology: sysfs says node %d has cpus `%s`, libnuma says `%s`",
					  t->nodes[i].id, a, b);
		}
	}
	numa_free_cpumask(mask);
	return rc;
}

int vsl_topo_load(const char *sysfs_root, struct vsl_topo **out, struct vsl_err **err)
{
	struct vsl_topo *t = xzalloc(sizeof(*t));
	char real[PATH_MAX];

	/* "/" (the host's root) and NULL both mean the host's sysfs. */
	t->root = xstrdup(sysfs_root && *sysfs_root && strcmp(sysfs_root, "/") != 0 ? sysfs_root : "/sys");
	if (load_cpus(t, err) < 0 || load_nodes(t, err) < 0)
		goto fail;
	if (realpath(t->root, real) && strcmp(real, "/sys") == 0 && crosscheck_libnuma(t, err) < 0)
		goto fail;
	*out = t;
	return 0;
fail:
	vsl_err_wrap(err, "numa topology from `%s`", t->root);
	vsl_topo_destroy(t);
	return -1;
}

void vsl_topo_destroy(struct vsl_topo *t)
{
	if (!t)
		return;
	free(t->root);
	free(t->nodes);
	free(t->cpus);
	free(t);
}

const struct vsl_numa_node *vsl_topo_node(const struct vsl_topo *t, int id)
{
	for (int i = 0; i < t->n_nodes; i++)
		if (t->nodes[i].id == id)
			return &t->nodes[i];
	return NULL;
}

/* "DDDD:BB:DD.F" in hex: keeps the address from escaping the sysfs directory. */
static bool pci_addr_valid(const char *a)
{
	static const char pat[] = "xxxx:xx:xx.x";
	if (strlen(a) != sizeof(pat) - 1)
		return false;
	for (size_t i = 0; pat[i]; i++)
		if (pat[i] == 'x' ? !isxdigit((unsigned char)a[i]) : a[i] != pat[i])
			return false;
	return true;
}

int vsl_topo_pci_node(const struct vsl_topo *t, const char *pci_addr, struct vsl_err **err)
{
	long node;
	if (!pci_addr || !pci_addr_valid(pci_addr))
		return vsl_err_make(err, 0, "pci address `%s`: expected DDDD:BB:DD.F", pci_addr ? pci_addr : "");
	cleanup_free char *dev = xasprintf("%s/bus/pci/devices/%s", t->root, pci_addr);
	cleanup_free char *path = xasprintf("%s/numa_node", dev);
	if (!path_exists(dev))
		return vsl_err_make(err, ENOENT, "pci device %s", pci_addr);
	if (!path_exists(path))
		return 0; /* kernel without NUMA: everything is node 0 */
	if (read_long(path, &node, err) < 0)
		return vsl_err_wrap(err, "pci device %s", pci_addr);
	if (node < 0)
		node = 0;
	if (!vsl_topo_node(t, (int)node))
		return vsl_err_make(err, 0, "pci device %s: numa node %ld is not in the topology", pci_addr, node);
	return (int)node;
}
