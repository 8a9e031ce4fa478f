/* Unit tests for placement and the persistent allocation record
 * (runtime/numa/src/place.c, place_state.c) on fake sysfs trees: which node
 * auto picks and why, exhaustion messages, exclusivity of dedicated cores
 * across many allocations, release, persistence and corrupt state files. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "numa_fixture.h"
#include "vessel/err.h"
#include "vessel/numa.h"

struct ctx {
	char *root;       /* fake sysfs */
	char dir[64];     /* state directory */
	struct vsl_topo *t;
	struct vsl_place_state *st;
};

/* The live context, freed by the teardown even when an assertion jumped out. */
static struct ctx *live;
static void ctx_free(struct ctx *c);

static int teardown(void **state)
{
	(void)state;
	if (live)
		ctx_free(live);
	return 0;
}

static struct ctx *ctx_new(char *root)
{
	struct ctx *c = calloc(1, sizeof(*c));
	live = c;
	struct vsl_err *err = NULL;
	c->root = root;
	strcpy(c->dir, "/tmp/vessel-numa-state.XXXXXX");
	assert_non_null(mkdtemp(c->dir));
	if (vsl_topo_load(root, &c->t, &err) < 0 || vsl_place_state_open(c->dir, &c->st, &err) < 0)
		fail_msg("setup: %s", err->msg);
	return c;
}

static void ctx_free(struct ctx *c)
{
	char *p;
	vsl_place_state_destroy(c->st);
	vsl_topo_destroy(c->t);
	numa_fixture_remove(c->root);
	assert_true(asprintf(&p, "rm -rf '%s'", c->dir) > 0);
	assert_int_equal(system(p), 0);
	free(p);
	free(c);
	live = NULL;
}

static struct vsl_place_req req_of(const char *id, int vcpus, enum vsl_cpu_policy pol, uint64_t mb, uint64_t hp_kb)
{
	return (struct vsl_place_req){.vnf_id = id, .vcpus = vcpus, .memory_mb = mb, .cpu_policy = pol,
				      .numa_node = VSL_NUMA_AUTO, .hugepage_kb = hp_kb, .port_node = -1};
}

static struct vsl_place_plan *place_ok(struct ctx *c, const struct vsl_place_req *r)
{
	struct vsl_place_plan *p = NULL;
	struct vsl_err *err = NULL;
	if (vsl_place(c->t, c->st, r, &p, &err) < 0)
		fail_msg("place `%s`: %s", r->vnf_id, err->msg);
	return p;
}

/* Places expecting failure; checks the message contains want. */
static void place_fails(struct ctx *c, const struct vsl_place_req *r, const char *want)
{
	struct vsl_place_plan *p = NULL;
	struct vsl_err *err = NULL;
	if (vsl_place(c->t, c->st, r, &p, &err) == 0)
		fail_msg("place `%s` succeeded on node %d, expected `%s`", r->vnf_id, p->node, want);
	assert_null(p);
	if (!strstr(err->msg, want))
		fail_msg("error `%s`\n  does not contain `%s`", err->msg, want);
	vsl_err_free(err);
}

static void assert_cpus(const struct vsl_cpuset *s, const char *want)
{
	char *got = vsl_cpulist_format(s);
	if (strcmp(got, want) != 0)
		fail_msg("cpus: expected `%s`, got `%s`", want, got);
	free(got);
}

static void test_auto_picks_port_node(void **state)
{
	struct ctx *c = ctx_new(numa_fixture_two_socket());
	struct vsl_place_req r = req_of("fw", 4, VSL_CPU_DEDICATED, 256, 2048);
	struct vsl_place_plan *p;
	(void)state;

	r.port_node = 1;
	p = place_ok(c, &r);
	assert_int_equal(p->node, 1);
	assert_string_equal(p->reason, "node of the dataplane ports");
	for (int v = 0; v < 4; v++)
		assert_int_equal(c->t->cpus[p->vcpu_cpu[v]].node, 1);
	assert_int_equal(p->hugepages, 128);
	vsl_place_plan_destroy(p);

	/* Without ports both nodes are equal but node 1 now has fewer free
	 * hugepages (128 recorded), so auto picks node 0. */
	r = req_of("lb", 2, VSL_CPU_DEDICATED, 256, 2048);
	p = place_ok(c, &r);
	assert_int_equal(p->node, 0);
	assert_string_equal(p->reason, "most free 2M hugepages");
	vsl_place_plan_destroy(p);
	ctx_free(c);
}

static void test_auto_picks_most_hugepages(void **state)
{
	char *root = numa_fixture_two_socket();
	numa_fixture_write(root, "devices/system/node/node0/hugepages/hugepages-2048kB/free_hugepages", "100\n");
	numa_fixture_write(root, "devices/system/node/node1/hugepages/hugepages-2048kB/free_hugepages", "400\n");
	struct ctx *c = ctx_new(root);
	struct vsl_place_req r = req_of("a", 1, VSL_CPU_SHARED, 128, 2048);
	struct vsl_place_plan *p;
	(void)state;

	p = place_ok(c, &r);
	assert_int_equal(p->node, 1);
	assert_string_equal(p->reason, "most free 2M hugepages");
	vsl_place_plan_destroy(p);

	/* 1G: two per node, a tie; node 1 wins on shared cpus (node 0 gives
	 * up core 0 to housekeeping). The second 2 GB VNF goes to node 0 as
	 * the only one left with 1G pages, a third fails. */
	r = req_of("g1", 1, VSL_CPU_SHARED, 2048, 1048576);
	p = place_ok(c, &r);
	assert_int_equal(p->node, 1);
	assert_int_equal(p->hugepages, 2);
	vsl_place_plan_destroy(p);
	r.vnf_id = "g2";
	p = place_ok(c, &r);
	assert_int_equal(p->node, 0);
	vsl_place_plan_destroy(p);
	r.vnf_id = "g3";
	place_fails(c, &r, "vnf `g3`: no numa node has a shared cpu and 2 free 1G hugepages "
			   "(node 0: 30 shared cpus, 0 free 1G hugepages; node 1: 32 shared cpus, 0 free 1G hugepages)");
	ctx_free(c);
}

static char *lopsided(void)
{
	struct numa_fixture_spec s = {
		.nodes = 2, .cores = {16, 2}, .threads = 2,
		.hp2m_nr = {512, 0}, .hp2m_free = {512, 0},
		.hp1g_nr = {2, -1}, .hp1g_free = {2, 0},
		.mem_kb = {64ULL << 20, 4ULL << 20},
	};
	return numa_fixture_build(&s);
}

static void test_lopsided(void **state)
{
	struct ctx *c = ctx_new(lopsided());
	struct vsl_place_req r;
	struct vsl_place_plan *p;
	(void)state;

	/* node 1 has 2 cores x 2 threads = cpus 16,17,34,35 */
	assert_cpus(&c->t->nodes[1].cpus, "16-17,34-35");
	r = req_of("big", 8, VSL_CPU_DEDICATED, 1024, 0);
	r.numa_node = 1;
	place_fails(c, &r, "vnf `big`: numa node 1: 4 free dedicated cores, 8 requested");
	r.numa_node = VSL_NUMA_AUTO;
	p = place_ok(c, &r);
	assert_int_equal(p->node, 0);
	assert_string_equal(p->reason, "most free dedicated cores");
	vsl_place_plan_destroy(p);

	r = req_of("hp", 2, VSL_CPU_DEDICATED, 256, 2048);
	r.port_node = 1;
	place_fails(c, &r, "vnf `hp`: numa node 1 (node of its dataplane ports; set numa_node to override): "
			   "0 free 2M hugepages, 128 needed (256 MB)");
	r.hugepage_kb = 1048576;
	r.memory_mb = 1024;
	place_fails(c, &r, "numa node 1 (node of its dataplane ports; set numa_node to override): "
			   "no 1G hugepage pool, 1 needed (1024 MB)");
	r.port_node = -1;
	p = place_ok(c, &r);
	assert_int_equal(p->node, 0);
	vsl_place_plan_destroy(p);

	/* node 1 without hugepages still takes memfd VNFs that fit its memory */
	r = req_of("small", 2, VSL_CPU_DEDICATED, 2048, 0);
	r.numa_node = 1;
	p = place_ok(c, &r);
	assert_int_equal(p->node, 1);
	vsl_place_plan_destroy(p);
	r = req_of("huge-mem", 1, VSL_CPU_SHARED, 8192, 0);
	r.numa_node = 1;
	place_fails(c, &r, "numa node 1: 4096 MB memory, 8192 MB requested");
	/* both shortfalls are named */
	r = req_of("both", 4, VSL_CPU_DEDICATED, 256, 2048);
	r.numa_node = 1;
	place_fails(c, &r, "numa node 1: 2 free dedicated cores, 4 requested; 0 free 2M hugepages, 128 needed (256 MB)");
	ctx_free(c);
}

static void test_no_node_fits(void **state)
{
	char *root = numa_fixture_two_socket();
	numa_fixture_write(root, "devices/system/node/node0/hugepages/hugepages-2048kB/free_hugepages", "64\n");
	numa_fixture_write(root, "devices/system/node/node1/hugepages/hugepages-2048kB/free_hugepages", "100\n");
	struct ctx *c = ctx_new(root);
	struct vsl_place_req r = req_of("x", 4, VSL_CPU_DEDICATED, 512, 2048);
	(void)state;

	place_fails(c, &r, "vnf `x`: no numa node has 4 free dedicated cores and 256 free 2M hugepages "
			   "(node 0: 30 free dedicated cores, 64 free 2M hugepages; "
			   "node 1: 32 free dedicated cores, 100 free 2M hugepages)");
	r.numa_node = 0;
	r.memory_mb = 256;
	place_fails(c, &r, "vnf `x`: numa node 0: 64 free 2M hugepages, 128 needed (256 MB)");
	ctx_free(c);
}

static void test_recorded_hugepages_are_not_reused(void **state)
{
	struct ctx *c = ctx_new(numa_fixture_two_socket());
	struct vsl_place_req r = req_of("", 1, VSL_CPU_SHARED, 256, 2048);
	char id[16];
	(void)state;

	/* sysfs keeps saying 512 free (QEMU never faulted the pages in), yet
	 * four 128-page VNFs use up node 0. */
	r.numa_node = 0;
	for (int i = 0; i < 4; i++) {
		snprintf(id, sizeof(id), "v%d", i);
		r.vnf_id = id;
		vsl_place_plan_destroy(place_ok(c, &r));
	}
	r.vnf_id = "v4";
	place_fails(c, &r, "numa node 0: 0 free 2M hugepages, 128 needed (256 MB)");
	assert_int_equal(vsl_place_release(c->st, "v2", NULL), 1);
	vsl_place_plan_destroy(place_ok(c, &r));
	ctx_free(c);
}

static void test_whole_cores_first(void **state)
{
	struct ctx *c = ctx_new(numa_fixture_two_socket());
	struct vsl_place_req r = req_of("pair", 2, VSL_CPU_DEDICATED, 256, 0);
	struct vsl_place_plan *p;
	(void)state;

	r.numa_node = 0; /* housekeeping is core 0 = cpus 0,32 */
	p = place_ok(c, &r);
	assert_int_equal(p->vcpu_cpu[0], 1);
	assert_int_equal(p->vcpu_cpu[1], 33); /* both threads of core 1 */
	assert_cpus(&p->shared, "2-15,34-47");
	vsl_place_plan_destroy(p);
	r = req_of("one", 1, VSL_CPU_DEDICATED, 256, 0);
	r.numa_node = 0;
	p = place_ok(c, &r);
	assert_int_equal(p->vcpu_cpu[0], 2); /* splits core 2 ... */
	vsl_place_plan_destroy(p);
	r.vnf_id = "three";
	r.vcpus = 3;
	p = place_ok(c, &r);
	/* ... and the next odd vCPU fills the split core's other thread */
	assert_int_equal(p->vcpu_cpu[0], 3);
	assert_int_equal(p->vcpu_cpu[1], 35);
	assert_int_equal(p->vcpu_cpu[2], 34);
	vsl_place_plan_destroy(p);
	ctx_free(c);
}

/* Checks the recorded dedicated cpus are disjoint and avoid reserved ones,
 * as seen by a fresh process reading the file. Returns the number of VNFs. */
static int check_exclusive(struct ctx *c, const struct vsl_cpuset *reserved, const char *ids[], int n)
{
	struct vsl_place_state *fresh = NULL;
	struct vsl_err *err = NULL;
	struct vsl_cpuset seen;
	int vnfs = 0;

	if (vsl_place_state_open(c->dir, &fresh, &err) < 0)
		fail_msg("reopen: %s", err->msg);
	vsl_cpuset_zero(&seen);
	for (int i = 0; i < n; i++) {
		struct vsl_place_plan *p = vsl_place_lookup(c->t, fresh, ids[i]);
		if (!p)
			continue;
		vnfs++;
		for (int v = 0; v < p->vcpus; v++) {
			int cpu = p->vcpu_cpu[v];
			if (vsl_cpuset_has(&seen, cpu) || vsl_cpuset_has(reserved, cpu))
				fail_msg("cpu %d handed out twice or reserved (vnf %s)", cpu, ids[i]);
			vsl_cpuset_add(&seen, cpu);
			assert_int_equal(c->t->cpus[cpu].node, p->node);
		}
		vsl_place_plan_destroy(p);
	}
	assert_int_equal(vsl_place_state_count(fresh), vnfs);
	vsl_place_state_destroy(fresh);
	return vnfs;
}

static void test_no_core_twice(void **state)
{
	struct ctx *c = ctx_new(numa_fixture_two_socket());
	struct vsl_cpuset hk, dp, reserved;
	struct vsl_err *err = NULL;
	static char names[40][16];
	const char *ids[40];
	int placed = 0, refused = 0;
	unsigned seed = 12345;
	(void)state;

	/* dataplane PMD workers on cpus 1 and 17 (one per node) */
	assert_int_equal(vsl_cpulist_parse("1,17", &dp, NULL), 0);
	if (vsl_place_state_set_reserved(c->st, NULL, &dp, &err) < 0)
		fail_msg("%s", err->msg);
	vsl_place_state_reserved(c->st, c->t, &hk, &dp);
	assert_cpus(&hk, "0,32");
	reserved = hk;
	vsl_cpuset_or(&reserved, &dp);
	for (int i = 0; i < 40; i++) {
		snprintf(names[i], sizeof(names[i]), "vnf%d", i);
		ids[i] = names[i];
	}
	for (int step = 0; step < 400; step++) {
		int i = (int)(rand_r(&seed) % 40);
		if (rand_r(&seed) % 3 == 0) {
			assert_true(vsl_place_release(c->st, ids[i], NULL) >= 0);
		} else {
			struct vsl_place_req r = req_of(ids[i], 1 + (int)(rand_r(&seed) % 6), VSL_CPU_DEDICATED, 256, 0);
			struct vsl_place_plan *p = NULL;
			struct vsl_place_plan *old = vsl_place_lookup(c->t, c->st, ids[i]);
			if (old)
				r.vcpus = old->vcpus; /* idempotent re-allocation */
			if (vsl_place(c->t, c->st, &r, &p, &err) == 0) {
				placed++;
				if (old)
					assert_true(p->existing && vsl_cpuset_equal(&p->dedicated, &old->dedicated));
			} else {
				refused++;
				assert_non_null(strstr(err->msg, "no numa node has"));
				vsl_err_freep(&err);
			}
			vsl_place_plan_destroy(p);
			vsl_place_plan_destroy(old);
		}
		check_exclusive(c, &reserved, ids, 40);
	}
	/* 40 VNFs of up to 6 vCPUs against 60 free cpus: both paths were taken */
	assert_true(placed > 50);
	assert_true(refused > 5);
	ctx_free(c);
}

/* Several processes placing at once through their own state objects: the
 * flock + re-read in vsl_place must keep every dedicated cpu exclusive. */
static void test_concurrent_processes(void **state)
{
	struct ctx *c = ctx_new(numa_fixture_two_socket());
	static char names[24][16];
	const char *ids[24];
	struct vsl_cpuset reserved;
	(void)state;

	for (int i = 0; i < 24; i++) {
		snprintf(names[i], sizeof(names[i]), "p%d-%d", i / 4, i % 4);
		ids[i] = names[i];
	}
	for (int p = 0; p < 6; p++) {
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct vsl_place_state *st = NULL;
			int bad = vsl_place_state_open(c->dir, &st, NULL) < 0;
			for (int i = 0; i < 4 && !bad; i++) {
				struct vsl_place_req r = req_of(ids[p * 4 + i], 2, VSL_CPU_DEDICATED, 256, 0);
				struct vsl_place_plan *pl = NULL;
				bad |= vsl_place(c->t, st, &r, &pl, NULL) < 0;
				vsl_place_plan_destroy(pl);
			}
			vsl_place_state_destroy(st);
			_exit(bad);
		}
	}
	for (int p = 0; p < 6; p++) {
		int status;
		assert_true(wait(&status) > 0);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	vsl_cpuset_zero(&reserved);
	vsl_cpuset_add(&reserved, 0);
	vsl_cpuset_add(&reserved, 32);
	/* 24 VNFs x 2 vCPUs = 48 of the 62 free cpus, all distinct */
	assert_int_equal(check_exclusive(c, &reserved, ids, 24), 24);
	ctx_free(c);
}

static void test_fill_and_release(void **state)
{
	struct ctx *c = ctx_new(numa_fixture_two_socket());
	struct vsl_place_req r;
	struct vsl_place_plan *p;
	char id[16];
	int freed_cpu = -1;
	(void)state;

	for (int i = 0; i < 32; i++) { /* node 1 has 32 cpus, none reserved */
		snprintf(id, sizeof(id), "n1-%d", i);
		r = req_of(id, 1, VSL_CPU_DEDICATED, 64, 0);
		r.numa_node = 1;
		p = place_ok(c, &r);
		if (i == 7)
			freed_cpu = p->vcpu_cpu[0];
		vsl_place_plan_destroy(p);
	}
	r = req_of("extra", 1, VSL_CPU_DEDICATED, 64, 0);
	r.numa_node = 1;
	place_fails(c, &r, "vnf `extra`: numa node 1: 0 free dedicated cores, 1 requested");
	/* a shared VNF on a fully dedicated node has nowhere to run */
	r.cpu_policy = VSL_CPU_SHARED;
	place_fails(c, &r, "numa node 1: no cpus left for shared vcpus");
	r.cpu_policy = VSL_CPU_DEDICATED;
	assert_int_equal(vsl_place_release(c->st, "n1-7", NULL), 1);
	assert_int_equal(vsl_place_release(c->st, "n1-7", NULL), 0); /* delete is idempotent */
	p = place_ok(c, &r);
	assert_int_equal(p->vcpu_cpu[0], freed_cpu);
	vsl_place_plan_destroy(p);
	ctx_free(c);
}

static void test_persistence(void **state)
{
	struct ctx *c = ctx_new(numa_fixture_two_socket());
	struct vsl_place_state *other = NULL;
	struct vsl_err *err = NULL;
	struct vsl_place_req ra = req_of("a", 4, VSL_CPU_DEDICATED, 256, 2048);
	struct vsl_place_req rb = req_of("b", 4, VSL_CPU_DEDICATED, 256, 2048);
	struct vsl_place_plan *pa, *pb, *again;
	(void)state;

	/* a second "process" opened the state before a was placed */
	assert_int_equal(vsl_place_state_open(c->dir, &other, &err), 0);
	ra.numa_node = rb.numa_node = 0;
	pa = place_ok(c, &ra);
	{
		struct vsl_place_state *save = c->st;
		c->st = other;
		pb = place_ok(c, &rb); /* re-reads the file under the lock */
		c->st = save;
	}
	for (int v = 0; v < 4; v++)
		assert_false(vsl_cpuset_has(&pa->dedicated, pb->vcpu_cpu[v]));
	/* restart: a fresh state returns a's existing plan, same cpus */
	vsl_place_state_destroy(c->st);
	vsl_place_state_destroy(other);
	assert_int_equal(vsl_place_state_open(c->dir, &c->st, &err), 0);
	assert_int_equal(vsl_place_state_count(c->st), 2);
	again = place_ok(c, &ra);
	assert_true(again->existing);
	assert_true(vsl_cpuset_equal(&again->dedicated, &pa->dedicated));
	assert_true(vsl_cpuset_equal(&again->shared, &pa->shared));
	assert_int_equal(again->hugepages, 128);
	/* a different request under the same id is refused */
	ra.vcpus = 2;
	place_fails(c, &ra, "vnf `a` already has a placement (4 vcpus dedicated, 256 MB, numa node 0)");
	vsl_place_plan_destroy(pa);
	vsl_place_plan_destroy(pb);
	vsl_place_plan_destroy(again);
	ctx_free(c);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 65536);
	assert_non_null(f);
	assert_true(fread(buf, 1, 65535, f) > 0);
	fclose(f);
	return buf;
}

static void write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(s, f);
	fclose(f);
}

static void expect_open_fails(const char *dir, const char *want)
{
	struct vsl_place_state *st = NULL;
	struct vsl_err *err = NULL;
	assert_true(vsl_place_state_open(dir, &st, &err) < 0);
	assert_null(st);
	if (!strstr(err->msg, want))
		fail_msg("error `%s`\n  does not contain `%s`", err->msg, want);
	assert_non_null(strstr(err->msg, "was not modified"));
	vsl_err_free(err);
}

static void test_corrupt_state(void **state)
{
	struct ctx *c = ctx_new(numa_fixture_two_socket());
	struct vsl_place_req r = req_of("a", 2, VSL_CPU_DEDICATED, 256, 0);
	char path[128], *before, *after;
	(void)state;

	snprintf(path, sizeof(path), "%s/placement.json", c->dir);
	vsl_place_plan_destroy(place_ok(c, &r));
	/* truncated write by something else: open and place both refuse, file kept */
	write_file(path, "{\"version\":1,\"vnfs\":{\"a\":{\"node\":0,");
	before = slurp(path);
	expect_open_fails(c->dir, "invalid JSON at line 1");
	r.vnf_id = "b";
	place_fails(c, &r, "placement state `");
	after = slurp(path);
	assert_string_equal(before, after);
	free(before);
	free(after);

	write_file(path, "{\"version\":1,\"vnfs\":{\"a\":{\"node\":0,\"cpu_policy\":\"dedicated\",\"vcpus\":1,"
			 "\"vcpu_cpus\":[5],\"shared\":\"0\",\"memory_mb\":1,\"hugepage_kb\":0,\"hugepages\":0},"
			 "\"b\":{\"node\":0,\"cpu_policy\":\"dedicated\",\"vcpus\":1,\"vcpu_cpus\":[5],"
			 "\"shared\":\"0\",\"memory_mb\":1,\"hugepage_kb\":0,\"hugepages\":0}}}");
	expect_open_fails(c->dir, "cpu 5 is recorded as dedicated to both vnf `a` and `b`");
	write_file(path, "{\"version\":2,\"vnfs\":{}}");
	expect_open_fails(c->dir, "field `version` = 2 out of range 1..1");
	write_file(path, "{\"version\":1,\"vnfs\":{\"a\":{\"node\":0,\"cpu_policy\":\"pinned\"}}}");
	expect_open_fails(c->dir, "vnf `a`: field `cpu_policy` must be");
	write_file(path, "{\"version\":1,\"vnfs\":{\"a\":{\"node\":0,\"cpu_policy\":\"shared\",\"vcpus\":1,"
			 "\"vcpu_cpus\":[],\"shared\":\"0-x\",\"memory_mb\":1,\"hugepage_kb\":0,\"hugepages\":0}}}");
	expect_open_fails(c->dir, "vnf `a`: field `shared`: cpulist `0-x`");
	write_file(path, "{\"version\":1,\"vnfs\":{\"a\":{\"node\":0,\"cpu_policy\":\"dedicated\",\"vcpus\":2,"
			 "\"vcpu_cpus\":[3],\"shared\":\"0\",\"memory_mb\":1,\"hugepage_kb\":0,\"hugepages\":0}}}");
	expect_open_fails(c->dir, "field `vcpu_cpus` has 1 entries, expected 2");
	ctx_free(c);
}

static void test_reserved_and_shared(void **state)
{
	struct ctx *c = ctx_new(numa_fixture_two_socket());
	struct vsl_place_req r = req_of("a", 2, VSL_CPU_DEDICATED, 256, 0);
	struct vsl_place_plan *p, *s;
	struct vsl_cpuset dp;
	struct vsl_err *err = NULL;
	(void)state;

	r.numa_node = 0;
	p = place_ok(c, &r); /* cpus 1,33 */
	assert_int_equal(vsl_cpulist_parse("33", &dp, NULL), 0);
	assert_true(vsl_place_state_set_reserved(c->st, NULL, &dp, &err) < 0);
	assert_string_equal(err->msg, "cpu 33 is dedicated to vnf `a`; release it before reserving the cpu");
	assert_int_equal(err->code, EBUSY);
	vsl_err_freep(&err);
	assert_int_equal(vsl_cpulist_parse("2-3", &dp, NULL), 0);
	assert_int_equal(vsl_place_state_set_reserved(c->st, NULL, &dp, &err), 0);
	/* shared VNFs avoid dedicated, dataplane and housekeeping cpus */
	r = req_of("s", 4, VSL_CPU_SHARED, 256, 0);
	r.numa_node = 0;
	s = place_ok(c, &r);
	assert_cpus(&s->shared, "4-15,34-47");
	for (int v = 0; v < 4; v++)
		assert_int_equal(s->vcpu_cpu[v], -1);
	/* dedicated VNFs are never placed on dataplane cpus */
	r = req_of("d", 2, VSL_CPU_DEDICATED, 256, 0);
	r.numa_node = 0;
	vsl_place_plan_destroy(p);
	p = place_ok(c, &r);
	assert_cpus(&p->dedicated, "4,36");
	vsl_place_plan_destroy(p);
	vsl_place_plan_destroy(s);
	ctx_free(c);
}

static void test_no_numa_host(void **state)
{
	/* Like this CI host: 2 cpus, no SMT; here with NUMA disabled. */
	struct numa_fixture_spec spec = {.nodes = 0, .cores = {2}, .threads = 1, .hp2m_nr = {256},
					 .hp2m_free = {256}, .hp1g_nr = {0}, .hp1g_free = {0}};
	struct ctx *c = ctx_new(numa_fixture_build(&spec));
	struct vsl_place_req r = req_of("only", 1, VSL_CPU_DEDICATED, 256, 2048);
	struct vsl_place_plan *p;
	(void)state;

	p = place_ok(c, &r);
	assert_int_equal(p->node, 0);
	assert_string_equal(p->reason, "only numa node");
	assert_int_equal(p->vcpu_cpu[0], 1);
	assert_cpus(&p->shared, "0"); /* only housekeeping left: QEMU's other threads share it */
	vsl_place_plan_destroy(p);
	r.vnf_id = "second";
	place_fails(c, &r, "vnf `second`: numa node 0: 0 free dedicated cores, 1 requested");
	r = req_of("gig", 1, VSL_CPU_SHARED, 1024, 1048576);
	place_fails(c, &r, "numa node 0: 0 free 1G hugepages, 1 needed (1024 MB)");
	ctx_free(c);
}

static void test_validation_and_dry_run(void **state)
{
	struct ctx *c = ctx_new(numa_fixture_two_socket());
	struct vsl_place_req r = req_of("v", 2, VSL_CPU_DEDICATED, 1000, 1048576);
	struct vsl_place_plan *p;
	char path[128];
	struct stat sb;
	(void)state;

	place_fails(c, &r, "vnf `v`: memory_mb 1000 is not a multiple of the 1G hugepage size");
	r = req_of("v", 2, VSL_CPU_DEDICATED, 256, 0);
	r.numa_node = 5;
	place_fails(c, &r, "vnf `v`: numa_node 5 does not exist on this host (nodes: 0..1)");
	r.numa_node = VSL_NUMA_AUTO;
	r.vcpus = 0;
	place_fails(c, &r, "vnf `v`: vcpus 0 out of range 1..256");
	r.vcpus = 2;
	r.vnf_id = "";
	place_fails(c, &r, "vnf id must be 1..256 characters");
	r.vnf_id = "dry";
	r.dry_run = true;
	p = place_ok(c, &r);
	assert_false(p->existing);
	vsl_place_plan_destroy(p);
	assert_int_equal(vsl_place_state_count(c->st), 0);
	snprintf(path, sizeof(path), "%s/placement.json", c->dir);
	assert_int_equal(stat(path, &sb), -1); /* nothing written */
	ctx_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_auto_picks_port_node, teardown),
		cmocka_unit_test_teardown(test_auto_picks_most_hugepages, teardown),
		cmocka_unit_test_teardown(test_lopsided, teardown),
		cmocka_unit_test_teardown(test_no_node_fits, teardown),
		cmocka_unit_test_teardown(test_recorded_hugepages_are_not_reused, teardown),
		cmocka_unit_test_teardown(test_whole_cores_first, teardown),
		cmocka_unit_test_teardown(test_no_core_twice, teardown),
		cmocka_unit_test_teardown(test_concurrent_processes, teardown),
		cmocka_unit_test_teardown(test_fill_and_release, teardown),
		cmocka_unit_test_teardown(test_persistence, teardown),
		cmocka_unit_test_teardown(test_corrupt_state, teardown),
		cmocka_unit_test_teardown(test_reserved_and_shared, teardown),
		cmocka_unit_test_teardown(test_no_numa_host, teardown),
		cmocka_unit_test_teardown(test_validation_and_dry_run, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
