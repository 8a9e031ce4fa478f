/* Unit tests for the config.json parser (runtime/src/oci_config.c): good
 * configs map to the right process, rootfs and guest size; each bad config
 * fails with an error that names the offending field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "oci_config.h"

#define MINIMAL_PROCESS "\"process\":{\"args\":[\"/bin/sh\"]}"
#define MINIMAL_ROOT "\"root\":{\"path\":\"rootfs\"}"

static struct vsl_oci_config *parse_ok(const char *json)
{
	struct vsl_oci_config *c = NULL;
	struct vsl_err *err = NULL;
	int r = vsl_oci_config_parse(json, strlen(json), &c, &err);
	if (r < 0)
		fail_msg("unexpected error: %s", err->msg);
	assert_non_null(c);
	return c;
}

static void test_full_config(void **state)
{
	(void)state;
	struct vsl_oci_config *c = parse_ok(
		"{\"ociVersion\":\"1.0.2\",\"hostname\":\"vnf1\","
		"\"process\":{\"terminal\":true,\"consoleSize\":{\"height\":40,\"width\":120},"
		"\"user\":{\"uid\":1000,\"gid\":100,\"additionalGids\":[10,20]},"
		"\"args\":[\"sh\",\"-c\",\"echo hi\"],\"env\":[\"PATH=/bin\",\"A=b=c\"],\"cwd\":\"/tmp\"},"
		"\"root\":{\"path\":\"/srv/rootfs\",\"readonly\":true},"
		"\"mounts\":[{\"destination\":\"/run\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
		"\"options\":[\"nosuid\",\"size=1m\"]},{\"destination\":\"/etc/hosts\",\"type\":\"bind\"}],"
		"\"annotations\":{\"x\":\"y\"},"
		"\"linux\":{\"resources\":{\"memory\":{\"limit\":536870912},"
		"\"cpu\":{\"quota\":150000,\"period\":100000}}}}");
	assert_string_equal(c->hostname, "vnf1");
	assert_int_equal(c->n_args, 3);
	assert_string_equal(c->args[2], "echo hi");
	assert_int_equal(c->n_env, 2);
	assert_string_equal(c->env[1], "A=b=c");
	assert_string_equal(c->cwd, "/tmp");
	assert_int_equal(c->uid, 1000);
	assert_int_equal(c->gid, 100);
	assert_int_equal(c->n_additional_gids, 2);
	assert_int_equal(c->additional_gids[1], 20);
	assert_true(c->terminal);
	assert_int_equal(c->rows, 40);
	assert_int_equal(c->cols, 120);
	assert_string_equal(c->root_path, "/srv/rootfs");
	assert_true(c->root_readonly);
	assert_int_equal(c->n_mounts, 2);
	assert_string_equal(c->mounts[0].type, "tmpfs");
	assert_string_equal(c->mounts[0].options[1], "size=1m");
	assert_string_equal(vsl_oci_config_annotation(c, "x"), "y");
	assert_int_equal(c->memory_mb, 512);
	assert_int_equal(c->vcpus, 2); /* 1.5 CPUs round up */
	vsl_oci_config_free(c);
}

static void test_defaults(void **state)
{
	(void)state;
	struct vsl_oci_config *c = parse_ok("{" MINIMAL_PROCESS "," MINIMAL_ROOT "}");
	assert_int_equal(c->vcpus, VSL_DEFAULT_VCPUS);
	assert_int_equal(c->memory_mb, VSL_DEFAULT_MEMORY_MB);
	assert_string_equal(c->cwd, "/");
	assert_string_equal(c->hostname, "");
	assert_int_equal(c->uid, 0);
	assert_false(c->terminal);
	assert_false(c->root_readonly);
	assert_int_equal(c->n_env, 0);
	vsl_oci_config_free(c);
}

static void test_sizes(void **state)
{
	(void)state;
	struct vsl_oci_config *c = parse_ok(
		"{" MINIMAL_PROCESS "," MINIMAL_ROOT ",\"linux\":{\"resources\":{\"cpu\":{\"cpus\":\"0-2,5\"},"
		"\"memory\":{\"limit\":1000}}}}");
	assert_int_equal(c->vcpus, 4);
	assert_int_equal(c->memory_mb, VSL_MIN_MEMORY_MB); /* tiny limits still boot */
	vsl_oci_config_free(c);
	/* annotations override resources */
	c = parse_ok("{" MINIMAL_PROCESS "," MINIMAL_ROOT ",\"annotations\":{\"org.vessel.vcpus\":"
		     "\"3\",\"org.vessel.memory_mb\":\"768\"},\"linux\":{\"resources\":{\"cpu\":"
		     "{\"quota\":100000},\"memory\":{\"limit\":134217728}}}}");
	assert_int_equal(c->vcpus, 3);
	assert_int_equal(c->memory_mb, 768);
	vsl_oci_config_free(c);
}

static void test_cpuset_count(void **state)
{
	(void)state;
	assert_int_equal(vsl_oci_cpuset_count("0"), 1);
	assert_int_equal(vsl_oci_cpuset_count("0-3"), 4);
	assert_int_equal(vsl_oci_cpuset_count("1,3,5-6"), 4);
	assert_int_equal(vsl_oci_cpuset_count(""), -1);
	assert_int_equal(vsl_oci_cpuset_count("3-1"), -1);
	assert_int_equal(vsl_oci_cpuset_count("a"), -1);
	assert_int_equal(vsl_oci_cpuset_count("1,"), -1);
}

/* Each bad config and the field its error must name. */
static const struct {
	const char *json;
	const char *field;
} bad[] = {
	{ "{", "not valid JSON" },
	{ "[]", "top level" },
	{ "{" MINIMAL_ROOT "}", "process" },
	{ "{\"process\":{\"args\":[]}," MINIMAL_ROOT "}", "process.args" },
	{ "{\"process\":{\"args\":\"sh\"}," MINIMAL_ROOT "}", "process.args" },
	{ "{\"process\":{\"args\":[\"sh\",1]}," MINIMAL_ROOT "}", "process.args[1]" },
	{ "{\"process\":{\"args\":[\"\"]}," MINIMAL_ROOT "}", "process.args[0]" },
	{ "{\"process\":{\"args\":[\"sh\"],\"env\":[\"NOEQUALS\"]}," MINIMAL_ROOT "}",
	  "process.env[0]" },
	{ "{\"process\":{\"args\":[\"sh\"],\"env\":{}}," MINIMAL_ROOT "}", "process.env" },
	{ "{\"process\":{\"args\":[\"sh\"],\"cwd\":\"tmp\"}," MINIMAL_ROOT "}", "process.cwd" },
	{ "{\"process\":{\"args\":[\"sh\"],\"cwd\":5}," MINIMAL_ROOT "}", "process.cwd" },
	{ "{\"process\":{\"args\":[\"sh\"],\"terminal\":\"yes\"}," MINIMAL_ROOT "}",
	  "process.terminal" },
	{ "{\"process\":{\"args\":[\"sh\"],\"user\":{\"uid\":-1}}," MINIMAL_ROOT "}",
	  "process.user.uid" },
	{ "{\"process\":{\"args\":[\"sh\"],\"user\":{\"gid\":\"0\"}}," MINIMAL_ROOT "}",
	  "process.user.gid" },
	{ "{\"process\":{\"args\":[\"sh\"],\"user\":{\"additionalGids\":[1,true]}}," MINIMAL_ROOT
	  "}", "process.user.additionalGids[1]" },
	{ "{\"process\":{\"args\":[\"sh\"],\"user\":{\"uid\":4294967296}}," MINIMAL_ROOT "}",
	  "process.user.uid" },
	{ "{" MINIMAL_PROCESS "}", "root" },
	{ "{" MINIMAL_PROCESS ",\"root\":{}}", "root.path" },
	{ "{" MINIMAL_PROCESS ",\"root\":{\"path\":\"r\",\"readonly\":1}}", "root.readonly" },
	{ "{" MINIMAL_PROCESS "," MINIMAL_ROOT ",\"hostname\":7}", "hostname" },
	{ "{" MINIMAL_PROCESS "," MINIMAL_ROOT ",\"mounts\":{}}", "mounts" },
	{ "{" MINIMAL_PROCESS "," MINIMAL_ROOT ",\"mounts\":[{\"type\":\"tmpfs\"}]}",
	  "mounts[0].destination" },
	{ "{" MINIMAL_PROCESS "," MINIMAL_ROOT ",\"mounts\":[{\"destination\":\"/a\"},"
	  "{\"destination\":\"/b\",\"options\":[1]}]}", "mounts[1].options[0]" },
	{ "{" MINIMAL_PROCESS "," MINIMAL_ROOT ",\"annotations\":{\"a\":1}}", "annotations.a" },
	{ "{" MINIMAL_PROCESS "," MINIMAL_ROOT ",\"annotations\":{\"org.vessel.vcpus\":\"0\"}}",
	  "annotations.org.vessel.vcpus" },
	{ "{" MINIMAL_PROCESS "," MINIMAL_ROOT ",\"annotations\":{\"org.vessel.memory_mb\":"
	  "\"lots\"}}", "annotations.org.vessel.memory_mb" },
	{ "{" MINIMAL_PROCESS "," MINIMAL_ROOT ",\"linux\":{\"resources\":{\"memory\":"
	  "{\"limit\":\"1G\"}}}}", "linux.resources.memory.limit" },
	{ "{" MINIMAL_PROCESS "," MINIMAL_ROOT ",\"linux\":{\"resources\":{\"cpu\":"
	  "{\"quota\":1.5}}}}", "linux.resources.cpu.quota" },
	{ "{" MINIMAL_PROCESS "," MINIMAL_ROOT ",\"linux\":{\"resources\":{\"cpu\":"
	  "{\"cpus\":\"0-\"}}}}", "linux.resources.cpu.cpus" },
	{ "{" MINIMAL_PROCESS "," MINIMAL_ROOT ",\"linux\":[]}", "linux" },
	{ "{" MINIMAL_PROCESS "," MINIMAL_ROOT ",\"annotations\":{\"org.vessel.cpu_policy\":\"pinned\"}}",
	  "annotations.org.vessel.cpu_policy: `pinned`" },
	{ "{" MINIMAL_PROCESS "," MINIMAL_ROOT ",\"annotations\":{\"org.vessel.numa_node\":\"-1\"}}",
	  "annotations.org.vessel.numa_node: `-1`" },
	{ "{" MINIMAL_PROCESS "," MINIMAL_ROOT ",\"annotations\":{\"org.vessel.numa_node\":\"1x\"}}",
	  "annotations.org.vessel.numa_node" },
	{ "{" MINIMAL_PROCESS "," MINIMAL_ROOT ",\"annotations\":{\"org.vessel.hugepage_size\":\"4K\"}}",
	  "annotations.org.vessel.hugepage_size: `4K`" },
	{ "{" MINIMAL_PROCESS "," MINIMAL_ROOT ",\"annotations\":{\"org.vessel.hugepage_size\":\"1G\"}}",
	  "guest memory 256 MiB is not a multiple of 1G pages" },
	{ "{" MINIMAL_PROCESS "," MINIMAL_ROOT ",\"annotations\":{\"org.vessel.mem_prealloc\":\"yes\"}}",
	  "annotations.org.vessel.mem_prealloc" },
	{ "{" MINIMAL_PROCESS "," MINIMAL_ROOT ",\"hostname\":\"a\",\"hostname\":\"b\"}",
	  "not valid JSON" },
};

static void test_bad_configs_name_the_field(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vsl_oci_config *c = NULL;
		struct vsl_err *err = NULL;
		int r = vsl_oci_config_parse(bad[i].json, strlen(bad[i].json), &c, &err);
		if (r >= 0)
			fail_msg("config %zu accepted: %s", i, bad[i].json);
		assert_null(c);
		assert_non_null(err);
		char want[128];
		snprintf(want, sizeof(want), "%s", bad[i].field);
		if (strstr(err->msg, want) == NULL)
			fail_msg("config %zu: error `%s` does not name `%s`", i, err->msg, want);
		vsl_err_free(err);
	}
}

static void test_placement_annotations(void **state)
{
	(void)state;
	struct vsl_oci_config *c = parse_ok("{" MINIMAL_PROCESS "," MINIMAL_ROOT "}");
	assert_false(c->dedicated);
	assert_int_equal(c->numa_node, -1);
	assert_int_equal(c->hugepage_kb, 0);
	assert_false(c->placement_asked);
	vsl_oci_config_free(c);
	c = parse_ok("{" MINIMAL_PROCESS "," MINIMAL_ROOT ",\"annotations\":{"
		     "\"org.vessel.cpu_policy\":\"shared\",\"org.vessel.numa_node\":\"auto\","
		     "\"org.vessel.hugepage_size\":\"none\"}}");
	assert_false(c->placement_asked); /* all defaults spelled out */
	vsl_oci_config_free(c);
	c = parse_ok("{" MINIMAL_PROCESS "," MINIMAL_ROOT ",\"annotations\":{"
		     "\"org.vessel.cpu_policy\":\"dedicated\",\"org.vessel.numa_node\":\"1\","
		     "\"org.vessel.memory_mb\":\"2048\",\"org.vessel.hugepage_size\":\"1G\","
		     "\"org.vessel.mem_prealloc\":\"true\"}}");
	assert_true(c->dedicated);
	assert_int_equal(c->numa_node, 1);
	assert_int_equal(c->hugepage_kb, 1048576);
	assert_true(c->mem_prealloc);
	assert_true(c->placement_asked);
	vsl_oci_config_free(c);
	c = parse_ok("{" MINIMAL_PROCESS "," MINIMAL_ROOT ",\"annotations\":{"
		     "\"org.vessel.numa_node\":\"0\"}}");
	assert_int_equal(c->numa_node, 0);
	assert_true(c->placement_asked);
	vsl_oci_config_free(c);
}

static void test_load_resolves_rootfs(void **state)
{
	(void)state;
	char dir[] = "/tmp/vessel-ut.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof(path), "%s/config.json", dir);
	FILE *f = fopen(path, "w");
	fputs("{" MINIMAL_PROCESS "," MINIMAL_ROOT "}", f);
	fclose(f);
	struct vsl_oci_config *c = NULL;
	struct vsl_err *err = NULL;
	/* rootfs missing: the error names root.path and the directory */
	assert_true(vsl_oci_config_load(dir, &c, &err) < 0);
	assert_non_null(strstr(err->msg, "root.path"));
	assert_non_null(strstr(err->msg, "/rootfs"));
	vsl_err_free(err);
	err = NULL;
	snprintf(path, sizeof(path), "%s/rootfs", dir);
	mkdir(path, 0755);
	assert_int_equal(vsl_oci_config_load(dir, &c, &err), 0);
	assert_string_equal(c->root_path, path);
	vsl_oci_config_free(c);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/config.json", dir);
	unlink(path);
	/* missing config.json names the file */
	assert_true(vsl_oci_config_load(dir, &c, &err) < 0);
	assert_non_null(strstr(err->msg, "config.json"));
	vsl_err_free(err);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_config),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_cpuset_count),
		cmocka_unit_test(test_bad_configs_name_the_field),
		cmocka_unit_test(test_placement_annotations),
		cmocka_unit_test(test_load_resolves_rootfs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
