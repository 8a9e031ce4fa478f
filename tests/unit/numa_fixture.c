/* Fake sysfs trees for the NUMA unit tests: see numa_fixture.h. */
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "numa_fixture.h"
#include "vessel/cleanup.h"

static void mkdirs(const char *path)
{
	char *p = xstrdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0755);
			*s = '/';
		}
	}
	mkdir(p, 0755);
	free(p);
}

void numa_fixture_write(const char *root, const char *rel, const char *content)
{
	char *path = xasprintf("%s/%s", root, rel);
	char *dir = xstrdup(path);
	*strrchr(dir, '/') = '\0';
	mkdirs(dir);
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(content, f);
		fclose(f);
	}
	free(dir);
	free(path);
}

static void writef(const char *root, const char *rel, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void writef(const char *root, const char *rel, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	numa_fixture_write(root, rel, s);
	free(s);
}

static void write_hp(const char *root, const char *dir, long nr2, long fr2, long nr1, long fr1)
{
	char *p;
	p = xasprintf("%s/hugepages-2048kB/nr_hugepages", dir), writef(root, p, "%ld\n", nr2), free(p);
	p = xasprintf("%s/hugepages-2048kB/free_hugepages", dir), writef(root, p, "%ld\n", fr2), free(p);
	if (nr1 < 0)
		return;
	p = xasprintf("%s/hugepages-1048576kB/nr_hugepages", dir), writef(root, p, "%ld\n", nr1), free(p);
	p = xasprintf("%s/hugepages-1048576kB/free_hugepages", dir), writef(root, p, "%ld\n", fr1), free(p);
}

char *numa_fixture_build(const struct numa_fixture_spec *spec)
{
	char tmpl[] = "/tmp/vessel-numa-fixture.XXXXXX";
	char *root;
	int nn = spec->nodes ? spec->nodes : 1, total = 0, threads = spec->threads ? spec->threads : 1;

	if (!mkdtemp(tmpl))
		return NULL;
	root = xstrdup(tmpl);
	for (int n = 0; n < nn; n++)
		total += spec->cores[n];
	writef(root, "devices/system/cpu/online", "0-%d\n", total * threads - 1);
	for (int n = 0, k = 0; n < nn; n++) {
		char list[256] = "";
		int first = k;
		for (int i = 0; i < spec->cores[n]; i++, k++) {
			for (int t = 0; t < threads; t++) {
				int cpu = k + t * total;
				char rel[128];
				snprintf(rel, sizeof(rel), "devices/system/cpu/cpu%d/topology/core_id", cpu);
				writef(root, rel, "%d\n", i);
				snprintf(rel, sizeof(rel), "devices/system/cpu/cpu%d/topology/physical_package_id", cpu);
				writef(root, rel, "%d\n", n);
				snprintf(rel, sizeof(rel), "devices/system/cpu/cpu%d/topology/thread_siblings_list", cpu);
				if (threads == 2)
					writef(root, rel, "%d,%d\n", k, k + total);
				else
					writef(root, rel, "%d\n", k);
			}
		}
		if (spec->cores[n] == 0)
			snprintf(list, sizeof(list), "\n");
		else if (threads == 2)
			snprintf(list, sizeof(list), "%d-%d,%d-%d\n", first, k - 1, first + total, k - 1 + total);
		else
			snprintf(list, sizeof(list), "%d-%d\n", first, k - 1);
		if (!spec->nodes) {
			write_hp(root, "kernel/mm/hugepages", spec->hp2m_nr[0], spec->hp2m_free[0], spec->hp1g_nr[0],
				 spec->hp1g_free[0]);
			continue;
		}
		char *dir = xasprintf("devices/system/node/node%d", n);
		char *rel = xasprintf("%s/cpulist", dir);
		writef(root, rel, "%s", list);
		free(rel);
		rel = xasprintf("%s/meminfo", dir);
		writef(root, rel,
		       "Node %d MemTotal:       %" PRIu64 " kB\nNode %d MemFree:        %" PRIu64 " kB\n"
		       "Node %d MemUsed:        0 kB\n",
		       n, spec->mem_kb[n], n, spec->mem_kb[n] / 2, n);
		free(rel);
		rel = xasprintf("%s/hugepages", dir);
		write_hp(root, rel, spec->hp2m_nr[n], spec->hp2m_free[n], spec->hp1g_nr[n], spec->hp1g_free[n]);
		free(rel);
		free(dir);
	}
	writef(root, "bus/pci/devices/0000:00:03.0/numa_node", "-1\n");
	writef(root, "bus/pci/devices/0000:81:00.0/numa_node", "%d\n", spec->nodes ? spec->nodes - 1 : -1);
	return root;
}

char *numa_fixture_two_socket(void)
{
	struct numa_fixture_spec s = {
		.nodes = 2, .cores = {16, 16}, .threads = 2,
		.hp2m_nr = {512, 512}, .hp2m_free = {512, 512},
		.hp1g_nr = {2, 2}, .hp1g_free = {2, 2},
		.mem_kb = {64ULL << 20, 64ULL << 20},
	};
	return numa_fixture_build(&s);
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(path);
}

void numa_fixture_remove(char *root)
{
	if (root)
		nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(root);
}
