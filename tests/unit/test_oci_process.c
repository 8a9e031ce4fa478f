/* Unit tests for the exec process parser (runtime/src/oci_process.c): the
 * process.json that conmon and containerd's runc shim write parses to the
 * same fields as config.json's process, and each bad one fails with an error
 * that starts with the file's name and names the field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "oci_process.h"

static const char *const what = "--process `p.json`";

static void expect_error(const char *json, const char *msg)
{
	struct vsl_oci_config *c = NULL;
	struct vsl_err *err = NULL;
	assert_int_equal(vsl_oci_process_parse(json, strlen(json), what, &c, &err), -1);
	assert_null(c);
	assert_non_null(err);
	char got[512];
	snprintf(got, sizeof(got), "%s", err->msg);
	vsl_err_free(err);
	if (strcmp(got, msg) != 0)
		fail_msg("expected [%s], got [%s]", msg, got);
}

static void test_conmon_process(void **state)
{
	(void)state;
	/* the shape podman 4 writes for `podman exec -t` */
	const char *json =
		"{\"terminal\":true,\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\",\"-c\",\"tty\"],"
		"\"env\":[\"PATH=/bin\",\"TERM=xterm\"],\"cwd\":\"/\",\"capabilities\":"
		"{\"bounding\":[\"CAP_KILL\"]},\"noNewPrivileges\":false,"
		"\"consoleSize\":{\"height\":30,\"width\":100}}";
	struct vsl_oci_config *c = NULL;
	struct vsl_err *err = NULL;
	assert_int_equal(vsl_oci_process_parse(json, strlen(json), what, &c, &err), 0);
	assert_int_equal(c->n_args, 3);
	assert_string_equal(c->args[2], "tty");
	assert_int_equal(c->n_env, 2);
	assert_true(c->terminal);
	assert_int_equal(c->rows, 30);
	assert_int_equal(c->cols, 100);
	assert_string_equal(c->cwd, "/");
	vsl_oci_config_free(c);
}

static void test_errors_name_file_and_field(void **state)
{
	(void)state;
	expect_error("{\"args\":[]}", "--process `p.json`: args: required, at least one element");
	expect_error("{\"args\":[\"sh\",1]}", "--process `p.json`: args[1]: expected a string");
	expect_error("{\"args\":[\"sh\"],\"cwd\":\"tmp\"}",
		     "--process `p.json`: cwd: `tmp` is not an absolute path");
	expect_error("{\"args\":[\"sh\"],\"user\":{\"uid\":-1}}",
		     "--process `p.json`: user.uid: -1 is out of range 0..4294967295");
	expect_error("[1]", "--process `p.json`: expected an object (an OCI process)");
	expect_error("{\"args\":", "--process `p.json`: not valid JSON at line 1 column 8: "
				   "unexpected token near end of file");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conmon_process),
		cmocka_unit_test(test_errors_name_file_and_field),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
