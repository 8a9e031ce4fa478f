/* Unit tests for container state handling (runtime/src/state.c): id
 * validation, duplicate ids, atomic state.json round trip, OCI state JSON,
 * stale shims, listing and removal. */
#include <jansson.h>
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

#include "state.h"
#include "vessel/runtime.h"

static int make_root(void **state)
{
	char *dir = strdup("/tmp/vessel-ut-state.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	*state = dir;
	return 0;
}

static int remove_root(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", (char *)*state);
	int r = system(cmd);
	free(*state);
	return r == 0 ? 0 : -1;
}

static void test_id_validation(void **state)
{
	(void)state;
	const char *good[] = { "a", "vnf-1", "A_b.c+d", "0123456789" };
	const char *bad[] = { "", ".", "..", "a/b", "../x", "a b", "x\n", "é" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(vsl_state_validate_id(good[i], NULL), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vsl_err *err = NULL;
		assert_true(vsl_state_validate_id(bad[i], &err) < 0);
		assert_non_null(err);
		vsl_err_free(err);
	}
	char longid[VSL_ID_MAX + 2];
	memset(longid, 'a', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	assert_true(vsl_state_validate_id(longid, NULL) < 0);
	longid[VSL_ID_MAX] = '\0';
	assert_int_equal(vsl_state_validate_id(longid, NULL), 0);
}

static void test_duplicate_id(void **state)
{
	const char *root = *state;
	struct vsl_err *err = NULL;
	assert_int_equal(vsl_state_create_dir(root, "c1", &err), 0);
	assert_true(vsl_state_create_dir(root, "c1", &err) < 0);
	assert_non_null(strstr(err->msg, "`c1` already exists"));
	vsl_err_free(err);
	err = NULL;
	assert_true(vsl_state_create_dir(root, "../evil", &err) < 0);
	vsl_err_free(err);
}

static void test_round_trip(void **state)
{
	const char *root = *state;
	assert_int_equal(vsl_state_create_dir(root, "rt", NULL), 0);
	struct vsl_state st = { .id = "rt", .status = VSL_STATUS_RUNNING, .pid = getpid(),
				.qemu_pid = 42, .bundle = "/b", .created = "2026-01-01T00:00:00Z" };
	st.annotations = json_object();
	vsl_state_annotate(&st, "org.vessel.kernel_release", "6.1.0");
	assert_int_equal(vsl_state_write(root, &st, NULL), 0);
	json_decref(st.annotations);

	struct vsl_state *got = NULL;
	assert_int_equal(vsl_state_read(root, "rt", &got, NULL), 0);
	assert_string_equal(got->id, "rt");
	assert_int_equal(got->status, VSL_STATUS_RUNNING);
	assert_int_equal(got->pid, getpid());
	assert_int_equal(got->qemu_pid, 42);
	assert_string_equal(got->bundle, "/b");
	assert_false(got->exited);
	assert_true(vsl_state_refresh(got)); /* we are alive */
	assert_int_equal(got->status, VSL_STATUS_RUNNING);

	char *json = vsl_state_oci_json(got);
	json_t *o = json_loads(json, 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "ociVersion")), "1.0.2");
	assert_string_equal(json_string_value(json_object_get(o, "status")), "running");
	assert_int_equal(json_integer_value(json_object_get(o, "pid")), getpid());
	assert_string_equal(json_string_value(json_object_get(json_object_get(o, "annotations"),
							      "org.vessel.kernel_release")), "6.1.0");
	assert_null(json_object_get(o, "qemuPid")); /* internal fields stay internal */
	json_decref(o);
	free(json);
	vsl_state_free(got);

	/* no temporary files left next to state.json */
	char path[512];
	snprintf(path, sizeof(path), "%s/rt/.state.json.%d", root, (int)getpid());
	assert_int_equal(access(path, F_OK), -1);
}

static void test_dead_shim_means_stopped(void **state)
{
	const char *root = *state;
	pid_t child = fork();
	if (child == 0)
		_exit(0);
	waitpid(child, NULL, 0);
	assert_int_equal(vsl_state_create_dir(root, "dead", NULL), 0);
	struct vsl_state st = { .id = "dead", .status = VSL_STATUS_RUNNING, .pid = child };
	assert_int_equal(vsl_state_write(root, &st, NULL), 0);
	struct vsl_state *got = NULL;
	assert_int_equal(vsl_state_read(root, "dead", &got, NULL), 0);
	assert_false(vsl_state_refresh(got));
	assert_int_equal(got->status, VSL_STATUS_STOPPED);
	char *json = vsl_state_oci_json(got);
	assert_non_null(strstr(json, "\"pid\": 0"));
	free(json);
	vsl_state_free(got);
}

static void test_unknown_and_malformed(void **state)
{
	const char *root = *state;
	struct vsl_state *got = NULL;
	struct vsl_err *err = NULL;
	assert_true(vsl_state_read(root, "nosuch", &got, &err) < 0);
	assert_non_null(strstr(err->msg, "`nosuch` does not exist"));
	vsl_err_free(err);
	err = NULL;
	assert_int_equal(vsl_state_create_dir(root, "bad", NULL), 0);
	char path[512];
	snprintf(path, sizeof(path), "%s/bad/state.json", root);
	FILE *f = fopen(path, "w");
	fputs("{\"id\":\"bad\",\"status\":\"dancing\"}", f);
	fclose(f);
	assert_true(vsl_state_read(root, "bad", &got, &err) < 0);
	assert_non_null(strstr(err->msg, "malformed"));
	vsl_err_free(err);
}

static void test_list_and_remove(void **state)
{
	const char *root = *state;
	const char *ids[] = { "zeta", "alpha", "mid" };
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(vsl_state_create_dir(root, ids[i], NULL), 0);
		struct vsl_state st = { .id = (char *)ids[i], .status = VSL_STATUS_CREATED };
		assert_int_equal(vsl_state_write(root, &st, NULL), 0);
	}
	char **list = NULL;
	size_t n = 0;
	assert_int_equal(vsl_state_list(root, &list, &n, NULL), 0);
	assert_int_equal(n, 3);
	assert_string_equal(list[0], "alpha");
	assert_string_equal(list[2], "zeta");
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
	char extra[512];
	snprintf(extra, sizeof(extra), "%s/mid/rootfs.erofs", root);
	FILE *f = fopen(extra, "w");
	fclose(f);
	assert_int_equal(vsl_state_remove_dir(root, "mid", NULL), 0);
	snprintf(extra, sizeof(extra), "%s/mid", root);
	assert_int_equal(access(extra, F_OK), -1);
	assert_int_equal(vsl_state_remove_dir(root, "mid", NULL), 0); /* idempotent */
}

static void test_status_names(void **state)
{
	(void)state;
	enum vsl_status s;
	const char *names[] = { "creating", "created", "running", "paused", "stopped" };
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(vsl_status_parse(names[i], &s), 0);
		assert_string_equal(vsl_status_name(s), names[i]);
	}
	assert_int_equal(vsl_status_parse("zombie", &s), -1);
}

static void test_signal_parse(void **state)
{
	(void)state;
	assert_int_equal(vsl_signal_parse("TERM"), 15);
	assert_int_equal(vsl_signal_parse("SIGKILL"), 9);
	assert_int_equal(vsl_signal_parse("sigusr1"), 10);
	assert_int_equal(vsl_signal_parse("2"), 2);
	assert_int_equal(vsl_signal_parse("0"), -1);
	assert_int_equal(vsl_signal_parse("99"), -1);
	assert_int_equal(vsl_signal_parse("NOPE"), -1);
	assert_int_equal(vsl_signal_parse("15x"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_validation),
		cmocka_unit_test_setup_teardown(test_duplicate_id, make_root, remove_root),
		cmocka_unit_test_setup_teardown(test_round_trip, make_root, remove_root),
		cmocka_unit_test_setup_teardown(test_dead_shim_means_stopped, make_root, remove_root),
		cmocka_unit_test_setup_teardown(test_unknown_and_malformed, make_root, remove_root),
		cmocka_unit_test_setup_teardown(test_list_and_remove, make_root, remove_root),
		cmocka_unit_test(test_status_names),
		cmocka_unit_test(test_signal_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
