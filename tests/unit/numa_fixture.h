/* Fake sysfs trees for the NUMA unit tests (a second NUMA node cannot exist on
 * the CI host, so multi-node placement is tested on these). */
#ifndef VESSEL_TEST_NUMA_FIXTURE_H
#define VESSEL_TEST_NUMA_FIXTURE_H

#include <stdint.h>

#define FIX_MAX_NODES 8

struct numa_fixture_spec {
	int nodes;                        /* 0: no devices/system/node (NUMA disabled) */
	int cores[FIX_MAX_NODES];         /* physical cores per node (node 0 only when nodes == 0) */
	int threads;                      /* threads per core: 1 or 2 */
	long hp2m_nr[FIX_MAX_NODES], hp2m_free[FIX_MAX_NODES];
	long hp1g_nr[FIX_MAX_NODES], hp1g_free[FIX_MAX_NODES]; /* nr -1: no 1G pool directory */
	uint64_t mem_kb[FIX_MAX_NODES];
};

/* Builds the tree in a new temporary directory and returns its path (malloc'd).
 * CPU numbering follows Intel servers: thread 0 of global core k is cpu k,
 * thread 1 is cpu (total cores + k). PCI device 0000:00:03.0 has numa_node -1
 * and 0000:81:00.0 sits on the last node. */
char *numa_fixture_build(const struct numa_fixture_spec *spec);

/* Two sockets of 16 cores with SMT; 512 free 2M pages and 2 free 1G pages each. */
char *numa_fixture_two_socket(void);

/* (Over)writes root/rel with content, creating directories. */
void numa_fixture_write(const char *root, const char *rel, const char *content);

/* Removes the tree and frees root. */
void numa_fixture_remove(char *root);

#endif
