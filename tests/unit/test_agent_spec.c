/* vesseld request parsing: a good VNF spec is normalised with defaults;
 * each kind of bad input is rejected with the field it concerns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "spec.h"

static json_t *parse(const char *s, struct vsl_api_err *e)
{
	json_t *in = vsl_spec_load(s, strlen(s), e);
	if (!in)
		return NULL;
	json_t *out = vsl_spec_vnf(in, e);
	json_decref(in);
	return out;
}

static void test_defaults(void **state)
{
	(void)state;
	struct vsl_api_err e = { 0 };
	json_t *o = parse("{\"name\":\"fw1\",\"image\":\"busybox:test\"}", &e);
	assert_non_null(o);
	assert_int_equal(json_integer_value(json_object_get(o, "vcpus")), 1);
	assert_int_equal(json_integer_value(json_object_get(o, "memory_mb")), 256);
	assert_string_equal(json_string_value(json_object_get(o, "cpu_policy")), "shared");
	assert_string_equal(json_string_value(json_object_get(o, "numa_node")), "auto");
	assert_string_equal(json_string_value(json_object_get(o, "hugepage_size")), "none");
	assert_string_equal(json_string_value(json_object_get(o, "restart_policy")), "never");
	assert_int_equal(json_array_size(json_object_get(o, "nics")), 0);
	assert_null(json_object_get(o, "hypervisor")); /* the node's choice */
	json_decref(o);
}

static void test_full(void **state)
{
	(void)state;
	struct vsl_api_err e = { 0 };
	json_t *o = parse("{\"name\":\"fw1\",\"image\":\"sha256:abc\",\"vcpus\":2,\"memory_mb\":512,"
			  "\"cpu_policy\":\"dedicated\",\"numa_node\":0,\"hugepage_size\":\"2M\","
			  "\"nics\":[{\"network\":\"bd0\",\"vlan\":100,\"mac\":\"52:54:00:00:00:01\","
			  "\"ip\":\"10.0.0.1/24\",\"routes\":[{\"to\":\"default\",\"via\":\"10.0.0.254\"}]}],"
			  "\"args\":[\"sh\",\"-c\",\"true\"],\"env\":{\"A\":\"1\"},\"labels\":{\"nova/uuid\":\"x\"},"
			  "\"restart_policy\":\"on-failure\",\"hypervisor\":\"libvirt\"}", &e);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "hypervisor")), "libvirt");
	assert_int_equal(json_integer_value(json_object_get(o, "numa_node")), 0);
	json_t *nic = json_array_get(json_object_get(o, "nics"), 0);
	assert_int_equal(json_integer_value(json_object_get(nic, "vlan")), 100);
	json_decref(o);
}

static const struct {
	const char *body, *field, *code;
	int http;
} bad[] = {
	{ "{\"name\":", NULL, "invalid_json", 400 },
	{ "[1,2]", NULL, "invalid_json", 400 },
	{ "{\"name\":\"a\",\"name\":\"b\",\"image\":\"x\"}", NULL, "invalid_json", 400 },
	{ "{\"image\":\"x\"}", "name", "missing_field", 400 },
	{ "{\"name\":\"a\"}", "image", "missing_field", 400 },
	{ "{\"name\":\"a/b\",\"image\":\"x\"}", "name", "invalid_value", 400 },
	{ "{\"name\":\"..\",\"image\":\"x\"}", "name", "invalid_value", 400 },
	{ "{\"name\":\"a..b\",\"image\":\"x\"}", "name", "invalid_value", 400 },
	{ "{\"name\":7,\"image\":\"x\"}", "name", "invalid_type", 400 },
	{ "{\"name\":\"a\",\"image\":\"../x\"}", "image", "invalid_value", 400 },
	{ "{\"name\":\"a\",\"image\":\"x\",\"vcpus\":0}", "vcpus", "out_of_range", 400 },
	{ "{\"name\":\"a\",\"image\":\"x\",\"vcpus\":\"2\"}", "vcpus", "invalid_type", 400 },
	{ "{\"name\":\"a\",\"image\":\"x\",\"vcpus\":1.5}", "vcpus", "invalid_type", 400 },
	{ "{\"name\":\"a\",\"image\":\"x\",\"memory_mb\":1}", "memory_mb", "out_of_range", 400 },
	{ "{\"name\":\"a\",\"image\":\"x\",\"cpu_policy\":\"isolated\"}", "cpu_policy", "invalid_value", 400 },
	{ "{\"name\":\"a\",\"image\":\"x\",\"numa_node\":-1}", "numa_node", "out_of_range", 400 },
	{ "{\"name\":\"a\",\"image\":\"x\",\"hugepage_size\":\"4K\"}", "hugepage_size", "invalid_value", 400 },
	{ "{\"name\":\"a\",\"image\":\"x\",\"restart_policy\":\"sometimes\"}", "restart_policy", "invalid_value", 400 },
	{ "{\"name\":\"a\",\"image\":\"x\",\"hypervisor\":\"xen\"}", "hypervisor", "invalid_value", 400 },
	{ "{\"name\":\"a\",\"image\":\"x\",\"colour\":\"red\"}", "colour", "unknown_field", 400 },
	{ "{\"name\":\"a\",\"image\":\"x\",\"nics\":{}}", "nics", "invalid_type", 400 },
	{ "{\"name\":\"a\",\"image\":\"x\",\"nics\":[{}]}", "nics[0].network", "missing_field", 400 },
	{ "{\"name\":\"a\",\"image\":\"x\",\"nics\":[{\"network\":\"b\",\"vlan\":4095}]}", "nics[0].vlan", "out_of_range", 400 },
	{ "{\"name\":\"a\",\"image\":\"x\",\"nics\":[{\"network\":\"b\",\"mac\":\"01:00:00:00:00:00\"}]}", "nics[0].mac", "invalid_value", 400 },
	{ "{\"name\":\"a\",\"image\":\"x\",\"nics\":[{\"network\":\"b\",\"ip\":\"10.0.0.300/24\"}]}", "nics[0].ip", "invalid_value", 400 },
	{ "{\"name\":\"a\",\"image\":\"x\",\"nics\":[{\"network\":\"b\",\"speed\":1}]}", "nics[0].speed", "unknown_field", 400 },
	{ "{\"name\":\"a\",\"image\":\"x\",\"nics\":[{\"network\":\"b\",\"routes\":[{\"to\":\"default\"}]}]}", "nics[0].routes[0].via", "missing_field", 400 },
	{ "{\"name\":\"a\",\"image\":\"x\",\"args\":[1]}", "args[0]", "invalid_type", 400 },
	{ "{\"name\":\"a\",\"image\":\"x\",\"env\":{\"1A\":\"x\"}}", "env.1A", "invalid_value", 400 },
	{ "{\"name\":\"a\",\"image\":\"x\",\"env\":{\"A\":1}}", "env.A", "invalid_type", 400 },
};

static void test_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vsl_api_err e = { 0 };
		json_t *o = parse(bad[i].body, &e);
		if (o)
			fail_msg("accepted: %s", bad[i].body);
		assert_int_equal(e.http, bad[i].http);
		if (strcmp(e.code, bad[i].code) != 0)
			fail_msg("%s: code %s, want %s (%s)", bad[i].body, e.code, bad[i].code, e.message);
		if (bad[i].field)
			assert_string_equal(e.field, bad[i].field);
		else
			assert_null(e.field);
		assert_non_null(e.message);
		char *j = vsl_api_err_json(&e);
		json_t *parsed = json_loads(j, 0, NULL);
		assert_non_null(json_object_get(json_object_get(parsed, "error"), "message"));
		json_decref(parsed);
		free(j);
		vsl_api_err_clear(&e);
	}
}

static void test_actions(void **state)
{
	(void)state;
	struct vsl_api_err e = { 0 };
	int g, s;
	json_t *in = json_loads("{\"grace\":3}", 0, NULL);
	assert_int_equal(vsl_spec_stop(in, &g, &e), 0);
	assert_int_equal(g, 3);
	json_decref(in);
	in = json_loads("{\"grace\":-1}", 0, NULL);
	assert_int_equal(vsl_spec_stop(in, &g, &e), -1);
	assert_string_equal(e.field, "grace");
	vsl_api_err_clear(&e);
	json_decref(in);
	in = json_loads("{\"signal\":\"SIGTERM\"}", 0, NULL);
	assert_int_equal(vsl_spec_kill(in, &s, &e), 0);
	assert_int_equal(s, 15);
	json_decref(in);
	in = json_loads("{\"signal\":\"BOGUS\"}", 0, NULL);
	assert_int_equal(vsl_spec_kill(in, &s, &e), -1);
	assert_string_equal(e.field, "signal");
	vsl_api_err_clear(&e);
	json_decref(in);
	in = json_loads("{\"name\":\"x1\",\"type\":\"xconnect\",\"a\":\"p\",\"b\":\"p\"}", 0, NULL);
	assert_null(vsl_spec_network(in, &e));
	assert_non_null(e.field);
	vsl_api_err_clear(&e);
	json_decref(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_actions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
