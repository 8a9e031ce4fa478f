/* Unit tests for the cpulist parser/formatter and CPU set helpers
 * (runtime/numa/src/cpulist.c). cpulists come from sysfs, the state file and
 * the command line, so malformed text must give an error quoting it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vessel/err.h"
#include "vessel/numa.h"

static char *roundtrip(const char *text)
{
	struct vsl_cpuset s;
	struct vsl_err *err = NULL;
	if (vsl_cpulist_parse(text, &s, &err) < 0) {
		print_error("parse `%s`: %s\n", text, err->msg);
		vsl_err_free(err);
		return NULL;
	}
	return vsl_cpulist_format(&s);
}

static void expect_canon(const char *in, const char *out)
{
	char *s = roundtrip(in);
	assert_non_null(s);
	assert_string_equal(s, out);
	free(s);
}

static void test_parse_valid(void **state)
{
	(void)state;
	expect_canon("0", "0");
	expect_canon("0-3,8,10-11", "0-3,8,10-11");
	expect_canon("0-3,8,10-11\n", "0-3,8,10-11");
	expect_canon("  5 \n", "5");
	expect_canon("3,1,2", "1-3");        /* unordered input is canonicalised */
	expect_canon("1-1", "1");
	expect_canon("0-2,1-4", "0-4");      /* overlaps merge */
	expect_canon("1023", "1023");
	expect_canon("0-1023", "0-1023");
	expect_canon("", "");
	expect_canon("\n", "");
	expect_canon("007", "7");
}

static void expect_error(const char *in, const char *needle)
{
	struct vsl_cpuset s;
	struct vsl_err *err = NULL;
	vsl_cpuset_zero(&s);
	vsl_cpuset_add(&s, 42);
	assert_true(vsl_cpulist_parse(in, &s, &err) < 0);
	assert_non_null(err);
	if (!strstr(err->msg, needle))
		fail_msg("parse `%s`: error `%s` does not contain `%s`", in, err->msg, needle);
	/* the output set is untouched on error */
	assert_true(vsl_cpuset_has(&s, 42));
	assert_int_equal(vsl_cpuset_count(&s), 1);
	vsl_err_free(err);
}

static void test_parse_invalid(void **state)
{
	(void)state;
	expect_error("3-1", "`3-1`: range end is below its start");
	expect_error("a", "`a`");
	expect_error("1,,2", "empty element");
	expect_error(",1", "empty element");
	expect_error("1,", "empty element");
	expect_error("1-", "`1-`");
	expect_error("-1", "`-1`");
	expect_error("1-2-3", "`1-2-3`");
	expect_error("+1", "`+1`");
	expect_error("0x1", "`0x1`");
	expect_error("1 2", "`1 2`");
	expect_error("1024", "`1024`: cpu number too large");
	expect_error("0-99999", "too large");
	expect_error("18446744073709551617", "too large");
	expect_error("2,7-x", "`7-x`");
	expect_error("1\n2", "`1\n2`");
}

static void test_format_and_sets(void **state)
{
	struct vsl_cpuset a, b;
	char *s;
	(void)state;
	vsl_cpuset_zero(&a);
	s = vsl_cpulist_format(&a);
	assert_string_equal(s, "");
	free(s);
	for (int c = 0; c < VSL_CPUSET_MAX; c += 2)
		vsl_cpuset_add(&a, c);
	assert_int_equal(vsl_cpuset_count(&a), VSL_CPUSET_MAX / 2);
	s = vsl_cpulist_format(&a); /* 512 single elements: long output must not truncate */
	assert_true(strlen(s) > 2000);
	assert_int_equal(strncmp(s, "0,2,4,", 6), 0);
	assert_non_null(strstr(s, ",1020,1022"));
	free(s);
	assert_int_equal(vsl_cpuset_next(&a, 63), 64);
	assert_int_equal(vsl_cpuset_next(&a, 1023), -1);
	vsl_cpuset_zero(&b);
	vsl_cpuset_add(&b, 2);
	vsl_cpuset_add(&b, 3);
	vsl_cpuset_andnot(&a, &b);
	assert_false(vsl_cpuset_has(&a, 2));
	assert_true(vsl_cpuset_has(&a, 4));
	vsl_cpuset_add(&b, VSL_CPUSET_MAX); /* out of range: ignored */
	vsl_cpuset_add(&b, -1);
	assert_int_equal(vsl_cpuset_count(&b), 2);
	vsl_cpuset_or(&b, &a);
	assert_true(vsl_cpuset_has(&b, 3) && vsl_cpuset_has(&b, 1022));
}

static void test_parse_policy_and_size(void **state)
{
	enum vsl_cpu_policy p;
	uint64_t kb;
	(void)state;
	assert_int_equal(vsl_cpu_policy_parse("dedicated", &p), 0);
	assert_int_equal(p, VSL_CPU_DEDICATED);
	assert_int_equal(vsl_cpu_policy_parse("Dedicated", &p), -1);
	assert_int_equal(vsl_hugepage_size_parse("1G", &kb), 0);
	assert_int_equal(kb, 1048576);
	assert_int_equal(vsl_hugepage_size_parse("2M", &kb), 0);
	assert_int_equal(kb, 2048);
	assert_int_equal(vsl_hugepage_size_parse("4M", &kb), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_invalid),
		cmocka_unit_test(test_format_and_sets),
		cmocka_unit_test(test_parse_policy_and_size),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
