/* Unit tests for the sysfs topology reader (runtime/numa/src/topo.c) on fake
 * trees: a two-socket SMT host, a host without NUMA, and broken trees whose
 * errors must name the file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "numa_fixture.h"
#include "vessel/err.h"
#include "vessel/numa.h"

static void assert_cpulist(const struct vsl_cpuset *s, const char *want)
{
	char *got = vsl_cpulist_format(s);
	if (strcmp(got, want) != 0)
		fail_msg("cpulist: expected `%s`, got `%s`", want, got);
	free(got);
}

static struct vsl_topo *load_ok(const char *root)
{
	struct vsl_topo *t = NULL;
	struct vsl_err *err = NULL;
	if (vsl_topo_load(root, &t, &err) < 0)
		fail_msg("load `%s`: %s", root, err->msg);
	return t;
}

static char *load_err(const char *root)
{
	struct vsl_topo *t = NULL;
	struct vsl_err *err = NULL;
	assert_true(vsl_topo_load(root, &t, &err) < 0);
	assert_null(t);
	assert_non_null(err);
	char *msg = strdup(err->msg);
	vsl_err_free(err);
	return msg;
}

static void test_two_socket(void **state)
{
	char *root = numa_fixture_two_socket();
	struct vsl_topo *t = load_ok(root);
	(void)state;

	assert_true(t->numa_enabled);
	assert_int_equal(t->n_nodes, 2);
	assert_int_equal(t->max_cpu, 63);
	assert_cpulist(&t->online, "0-63");
	assert_cpulist(&t->nodes[0].cpus, "0-15,32-47");
	assert_cpulist(&t->nodes[1].cpus, "16-31,48-63");
	assert_int_equal(t->nodes[1].hp[VSL_HP_2M].nr, 512);
	assert_int_equal(t->nodes[1].hp[VSL_HP_2M].free, 512);
	assert_int_equal(t->nodes[0].hp[VSL_HP_1G].free, 2);
	assert_int_equal(t->nodes[0].mem_total_kb, 64ULL << 20);
	assert_int_equal(t->nodes[0].mem_free_kb, 32ULL << 20);
	/* cpu 17 is core 1 of package 1, sibling of cpu 49 */
	assert_int_equal(t->cpus[17].node, 1);
	assert_int_equal(t->cpus[17].package_id, 1);
	assert_int_equal(t->cpus[17].core_id, 1);
	assert_cpulist(&t->cpus[17].siblings, "17,49");
	assert_cpulist(&t->cpus[49].siblings, "17,49");
	assert_non_null(vsl_topo_node(t, 1));
	assert_null(vsl_topo_node(t, 2));
	vsl_topo_destroy(t);
	numa_fixture_remove(root);
}

static void test_pci_node(void **state)
{
	char *root = numa_fixture_two_socket();
	struct vsl_topo *t = load_ok(root);
	struct vsl_err *err = NULL;
	(void)state;

	assert_int_equal(vsl_topo_pci_node(t, "0000:81:00.0", &err), 1);
	assert_int_equal(vsl_topo_pci_node(t, "0000:00:03.0", &err), 0); /* -1 means node 0 */
	assert_null(err);
	assert_true(vsl_topo_pci_node(t, "0000:82:00.0", &err) < 0);
	assert_non_null(strstr(err->msg, "pci device 0000:82:00.0"));
	vsl_err_freep(&err);
	assert_true(vsl_topo_pci_node(t, "../../../etc", &err) < 0);
	assert_non_null(strstr(err->msg, "`../../../etc`: expected DDDD:BB:DD.F"));
	vsl_err_freep(&err);
	numa_fixture_write(root, "bus/pci/devices/0000:81:00.0/numa_node", "7\n");
	assert_true(vsl_topo_pci_node(t, "0000:81:00.0", &err) < 0);
	assert_non_null(strstr(err->msg, "numa node 7 is not in the topology"));
	vsl_err_freep(&err);
	vsl_topo_destroy(t);
	numa_fixture_remove(root);
}

static void test_no_numa(void **state)
{
	struct numa_fixture_spec s = {.nodes = 0, .cores = {4}, .threads = 2, .hp2m_nr = {64}, .hp2m_free = {60},
				      .hp1g_nr = {-1}};
	char *root = numa_fixture_build(&s);
	struct vsl_topo *t = load_ok(root);
	struct vsl_err *err = NULL;
	(void)state;

	assert_false(t->numa_enabled);
	assert_int_equal(t->n_nodes, 1);
	assert_int_equal(t->nodes[0].id, 0);
	assert_cpulist(&t->nodes[0].cpus, "0-7");
	assert_int_equal(t->cpus[5].node, 0);
	assert_int_equal(t->nodes[0].hp[VSL_HP_2M].free, 60);
	assert_int_equal(t->nodes[0].hp[VSL_HP_1G].nr, -1); /* no 1G pool */
	assert_int_equal(vsl_topo_pci_node(t, "0000:81:00.0", &err), 0);
	vsl_topo_destroy(t);
	numa_fixture_remove(root);
}

static void test_offline_cpus_and_sparse_nodes(void **state)
{
	char *root = numa_fixture_two_socket();
	(void)state;
	/* cpus 60-63 offline; node 1 renamed node 3 (ids need not be dense) */
	numa_fixture_write(root, "devices/system/cpu/online", "0-59\n");
	char *from = NULL, *to = NULL;
	assert_true(asprintf(&from, "%s/devices/system/node/node1", root) > 0);
	assert_true(asprintf(&to, "%s/devices/system/node/node3", root) > 0);
	assert_int_equal(rename(from, to), 0);
	free(from);
	free(to);
	struct vsl_topo *t = load_ok(root);
	assert_int_equal(t->n_nodes, 2);
	assert_int_equal(t->nodes[1].id, 3);
	assert_cpulist(&t->nodes[1].cpus, "16-31,48-59");
	assert_int_equal(t->cpus[20].node, 3);
	assert_int_equal(t->max_cpu, 59);
	vsl_topo_destroy(t);
	numa_fixture_remove(root);
}

static void test_broken_trees(void **state)
{
	char *root, *msg;
	(void)state;

	root = numa_fixture_two_socket();
	numa_fixture_write(root, "devices/system/node/node1/cpulist", "16-31,48-x\n");
	msg = load_err(root);
	assert_non_null(strstr(msg, "node1/cpulist"));
	assert_non_null(strstr(msg, "`48-x`"));
	free(msg);
	numa_fixture_remove(root);

	root = numa_fixture_two_socket();
	numa_fixture_write(root, "devices/system/node/node1/cpulist", "15-31\n");
	msg = load_err(root);
	assert_non_null(strstr(msg, "cpu 15 is also listed in node 0"));
	free(msg);
	numa_fixture_remove(root);

	root = numa_fixture_two_socket();
	numa_fixture_write(root, "devices/system/node/node0/hugepages/hugepages-2048kB/free_hugepages", "lots\n");
	msg = load_err(root);
	assert_non_null(strstr(msg, "node0/hugepages/hugepages-2048kB/free_hugepages"));
	assert_non_null(strstr(msg, "expected an integer, got `lots"));
	free(msg);
	numa_fixture_remove(root);

	root = numa_fixture_two_socket();
	numa_fixture_write(root, "devices/system/node/node0/hugepages/hugepages-2048kB/free_hugepages", "900\n");
	msg = load_err(root);
	assert_non_null(strstr(msg, "inconsistent counts (nr 512, free 900)"));
	free(msg);
	numa_fixture_remove(root);

	msg = load_err("/nonexistent-sysfs");
	assert_non_null(strstr(msg, "/nonexistent-sysfs/devices/system/cpu/online"));
	free(msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_socket),
		cmocka_unit_test(test_pci_node),
		cmocka_unit_test(test_no_numa),
		cmocka_unit_test(test_offline_cpus_and_sparse_nodes),
		cmocka_unit_test(test_broken_trees),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
