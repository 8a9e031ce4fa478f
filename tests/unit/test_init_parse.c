/* Unit tests for vessel-init's parsers of host input: OCI mount options,
 * IPv4 CIDRs and sysctl keys. They run on the host (no mounts, no root). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "init.h"

/* mounts.c logs skipped mounts; the tests do not care. */
void vi_log(const char *fmt, ...)
{
	(void)fmt;
}

static void test_mount_options_flags_and_data(void **state)
{
	(void)state;
	char *opts[] = { "nosuid", "strictatime", "mode=755", "size=65536k", "ro", "rprivate" };
	unsigned long flags = 0;
	char *data = NULL;
	struct vsl_err *err = NULL;
	assert_int_equal(vi_mount_parse_options(opts, 6, &flags, &data, &err), 0);
	assert_null(err);
	assert_int_equal(flags, MS_NOSUID | MS_STRICTATIME | MS_RDONLY);
	assert_string_equal(data, "mode=755,size=65536k");
	free(data);
}

static void test_mount_options_rw_clears_ro(void **state)
{
	(void)state;
	char *opts[] = { "ro", "rw", "", "nodev" };
	unsigned long flags = 0;
	char *data = NULL;
	struct vsl_err *err = NULL;
	assert_int_equal(vi_mount_parse_options(opts, 4, &flags, &data, &err), 0);
	assert_int_equal(flags, MS_NODEV);
	assert_string_equal(data, "");
	free(data);
}

static void test_mount_options_bind_refused(void **state)
{
	(void)state;
	char *opts[] = { "rbind", "ro" };
	unsigned long flags = 0;
	char *data = NULL;
	struct vsl_err *err = NULL;
	assert_true(vi_mount_parse_options(opts, 2, &flags, &data, &err) < 0);
	assert_non_null(err);
	assert_non_null(strstr(err->msg, "`rbind`"));
	assert_null(data);
	vsl_err_free(err);
}

static void test_cidr4(void **state)
{
	(void)state;
	uint32_t a = 0;
	int p = -1;
	assert_int_equal(vi_parse_cidr4("10.1.2.3/24", &a, &p), 0);
	assert_int_equal(a, inet_addr("10.1.2.3"));
	assert_int_equal(p, 24);
	assert_int_equal(vi_parse_cidr4("192.168.0.1", &a, &p), 0);
	assert_int_equal(p, 32);
	assert_int_equal(vi_parse_cidr4("10.0.0.0/0", &a, &p), 0);
	assert_int_equal(p, 0);
	assert_int_equal(vi_parse_cidr4("10.1.2.3/33", &a, &p), -EINVAL);
	assert_int_equal(vi_parse_cidr4("10.1.2.3/", &a, &p), -EINVAL);
	assert_int_equal(vi_parse_cidr4("10.1.2.3/2x", &a, &p), -EINVAL);
	assert_int_equal(vi_parse_cidr4("fe80::1/64", &a, &p), -EINVAL);
	assert_int_equal(vi_parse_cidr4("", &a, &p), -EINVAL);
	assert_int_equal(vi_parse_cidr4("1.2.3.4.5/8", &a, &p), -EINVAL);
}

static void check_sysctl_error(const char *kv, const char *needle)
{
	char *list[] = { (char *)kv };
	struct vsl_err *err = NULL;
	assert_true(vi_sysctls_apply(list, 1, &err) < 0);
	assert_non_null(err);
	assert_non_null(strstr(err->msg, needle));
	vsl_err_free(err);
}

static void test_sysctl_bad_keys(void **state)
{
	(void)state;
	check_sysctl_error("net.ipv4.ip_forward", "expected key=value");
	check_sysctl_error("=1", "expected key=value");
	check_sysctl_error("net/ipv4/../../x=1", "bad key");
	check_sysctl_error("kernel..x=1", "bad key");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mount_options_flags_and_data),
		cmocka_unit_test(test_mount_options_rw_clears_ro),
		cmocka_unit_test(test_mount_options_bind_refused),
		cmocka_unit_test(test_cidr4),
		cmocka_unit_test(test_sysctl_bad_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
