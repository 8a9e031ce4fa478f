/* Unit tests for the vessel-dp control-request parser (ctl_parse.c): valid
 * requests of each shape, and every kind of bad input answered with the right
 * JSON-RPC error code and the offending field named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ctl_parse.h"

/* Parses s; returns the error code (0 on success) and the field in *field. */
static int parse(const char *s, struct vsl_dp_req *req, char *field, size_t fn)
{
	json_t *err = NULL;
	int code = 0;

	field[0] = '\0';
	if (vsl_dp_req_parse(s, strlen(s), req, &err) == 0)
		return 0;
	assert_non_null(err);
	assert_string_equal(json_string_value(json_object_get(err, "jsonrpc")), "2.0");
	code = (int)json_integer_value(json_object_get(json_object_get(err, "error"), "code"));
	{
		json_t *f = json_object_get(json_object_get(json_object_get(err, "error"), "data"), "field");

		if (f)
			snprintf(field, fn, "%s", json_string_value(f));
	}
	json_decref(err);
	return code;
}

#define REQ(m, p) "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"" m "\",\"params\":" p "}"

static void test_port_add_vhost(void **state)
{
	struct vsl_dp_req r;
	char f[32];

	(void)state;
	assert_int_equal(parse(REQ("port.add", "{\"name\":\"vnf1-eth0\",\"type\":\"vhost\","
				   "\"path\":\"/run/vessel/vhost/vnf1/eth0.sock\",\"bridge\":\"br0\","
				   "\"vlan_mode\":\"access\",\"vlan\":10,\"mtu\":9000}"),
			     &r, f, sizeof(f)), 0);
	assert_int_equal(r.method, VSL_M_PORT_ADD);
	assert_string_equal(r.port.name, "vnf1-eth0");
	assert_int_equal(r.port.type, VSL_PORT_VHOST);
	assert_string_equal(r.port.path, "/run/vessel/vhost/vnf1/eth0.sock");
	assert_string_equal(r.port.bridge, "br0");
	assert_int_equal(r.port.vlan.mode, VSL_VLAN_ACCESS);
	assert_int_equal(r.port.vlan.vlan, 10);
	assert_int_equal(r.port.mtu, 9000);
	assert_int_equal(r.port.queues, 1);
	assert_int_equal(json_integer_value(r.id), 7);
	vsl_dp_req_release(&r);
}

static void test_port_add_trunk_defaults(void **state)
{
	struct vsl_dp_req r;
	char f[32];
	json_t *back;

	(void)state;
	assert_int_equal(parse(REQ("port.add", "{\"name\":\"up\",\"type\":\"ethdev\","
				   "\"devargs\":\"net_tap0,iface=t0\",\"vlan_mode\":\"trunk\","
				   "\"allowed_vlans\":[10,20,20]}"), &r, f, sizeof(f)), 0);
	assert_int_equal(r.port.type, VSL_PORT_ETHDEV);
	assert_int_equal(r.port.vlan.mode, VSL_VLAN_TRUNK);
	assert_false(r.port.vlan.allow_all);
	assert_true(vsl_vlan_bit(&r.port.vlan, 10));
	assert_true(vsl_vlan_bit(&r.port.vlan, 20));
	assert_false(vsl_vlan_bit(&r.port.vlan, 30));
	assert_false(vsl_vlan_bit(&r.port.vlan, 0)); /* untagged not allowed unless listed */
	assert_int_equal(r.port.n_allowed, 2);
	assert_int_equal(r.port.mtu, 1500);
	/* The persisted form round-trips. */
	back = vsl_dp_port_spec_json(&r.port);
	{
		struct vsl_dp_port_spec s2;
		const char *fld, *why;

		assert_int_equal(vsl_dp_port_spec_parse(back, &s2, &fld, &why), 0);
		assert_memory_equal(&s2, &r.port, sizeof(s2));
	}
	json_decref(back);
	vsl_dp_req_release(&r);
}

static void test_other_methods(void **state)
{
	struct vsl_dp_req r;
	char f[32];

	(void)state;
	assert_int_equal(parse(REQ("bridge.add", "{\"name\":\"br0\",\"aging\":5}"), &r, f, sizeof(f)), 0);
	assert_int_equal(r.method, VSL_M_BRIDGE_ADD);
	assert_int_equal(r.aging, 5);
	assert_int_equal(r.size, 4096);
	vsl_dp_req_release(&r);
	assert_int_equal(parse(REQ("xconnect.add", "{\"a\":\"p1\",\"b\":\"p2\"}"), &r, f, sizeof(f)), 0);
	assert_string_equal(r.a, "p1");
	assert_string_equal(r.b, "p2");
	vsl_dp_req_release(&r);
	/* params may be omitted for list methods; id may be a string */
	assert_int_equal(parse("{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"method\":\"port.list\"}", &r, f,
			       sizeof(f)), 0);
	assert_int_equal(r.method, VSL_M_PORT_LIST);
	vsl_dp_req_release(&r);
	assert_int_equal(parse(REQ("stats.show", "{\"port\":\"p1\"}"), &r, f, sizeof(f)), 0);
	assert_string_equal(r.a, "p1");
	vsl_dp_req_release(&r);
}

static void test_bad_json(void **state)
{
	struct vsl_dp_req r;
	char f[32];

	(void)state;
	assert_int_equal(parse("{\"jsonrpc\":\"2.0\",", &r, f, sizeof(f)), VSL_RPC_PARSE_ERROR);
	assert_int_equal(parse("", &r, f, sizeof(f)), VSL_RPC_PARSE_ERROR);
	assert_int_equal(parse("\x01\x02garbage", &r, f, sizeof(f)), VSL_RPC_PARSE_ERROR);
	assert_int_equal(parse("[1,2]", &r, f, sizeof(f)), VSL_RPC_INVALID_REQUEST);
	assert_int_equal(parse("{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"port.list\"}", &r, f, sizeof(f)),
			 VSL_RPC_INVALID_REQUEST);
	assert_string_equal(f, "jsonrpc");
	assert_int_equal(parse("{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"port.list\"}", &r, f, sizeof(f)),
			 VSL_RPC_INVALID_REQUEST);
	assert_string_equal(f, "id");
	assert_int_equal(parse("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":5}", &r, f, sizeof(f)),
			 VSL_RPC_INVALID_REQUEST);
	assert_string_equal(f, "method");
	/* duplicate keys are rejected, not silently resolved */
	assert_int_equal(parse("{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"method\":\"port.list\"}", &r, f,
			       sizeof(f)), VSL_RPC_PARSE_ERROR);
}

static void test_unknown_method(void **state)
{
	struct vsl_dp_req r;
	char f[32];

	(void)state;
	assert_int_equal(parse(REQ("port.explode", "{}"), &r, f, sizeof(f)), VSL_RPC_METHOD_NOT_FOUND);
	assert_string_equal(f, "method");
}

struct bad_case {
	const char *params;
	const char *field;
};

static void test_bad_params_name_field(void **state)
{
	static const struct bad_case cases[] = {
		{ "{\"type\":\"vhost\",\"path\":\"/x.sock\"}", "name" },
		{ "{\"name\":\"a/b\",\"type\":\"vhost\",\"path\":\"/x.sock\"}", "name" },
		{ "{\"name\":\"..\",\"type\":\"vhost\",\"path\":\"/x.sock\"}", "name" },
		/* 80 characters: one more than VSL_DP_NAME_MAX */
		{ "{\"name\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"type\":\"vhost\",\"path\":\"/x\"}", "name" },
		{ "{\"name\":1,\"type\":\"vhost\",\"path\":\"/x.sock\"}", "name" },
		{ "{\"name\":\"p\"}", "type" },
		{ "{\"name\":\"p\",\"type\":\"nic\"}", "type" },
		{ "{\"name\":\"p\",\"type\":\"vhost\"}", "path" },
		{ "{\"name\":\"p\",\"type\":\"vhost\",\"path\":\"relative.sock\"}", "path" },
		{ "{\"name\":\"p\",\"type\":\"ethdev\"}", "devargs" },
		{ "{\"name\":\"p\",\"type\":\"ethdev\",\"devargs\":\"\"}", "devargs" },
		{ "{\"name\":\"p\",\"type\":\"vhost\",\"path\":\"/x\",\"vlan_mode\":\"hybrid\"}", "vlan_mode" },
		{ "{\"name\":\"p\",\"type\":\"vhost\",\"path\":\"/x\",\"vlan\":4095}", "vlan" },
		{ "{\"name\":\"p\",\"type\":\"vhost\",\"path\":\"/x\",\"vlan_mode\":\"access\"}", "vlan" },
		{ "{\"name\":\"p\",\"type\":\"vhost\",\"path\":\"/x\",\"vlan\":\"10\"}", "vlan" },
		{ "{\"name\":\"p\",\"type\":\"vhost\",\"path\":\"/x\",\"allowed_vlans\":[1,\"2\"]}", "allowed_vlans" },
		{ "{\"name\":\"p\",\"type\":\"vhost\",\"path\":\"/x\",\"allowed_vlans\":5}", "allowed_vlans" },
		{ "{\"name\":\"p\",\"type\":\"vhost\",\"path\":\"/x\",\"vlan\":5,\"allowed_vlans\":[5]}", "allowed_vlans" },
		{ "{\"name\":\"p\",\"type\":\"vhost\",\"path\":\"/x\",\"mtu\":20}", "mtu" },
		{ "{\"name\":\"p\",\"type\":\"vhost\",\"path\":\"/x\",\"mtu\":1e3}", "mtu" },
		{ "{\"name\":\"p\",\"type\":\"vhost\",\"path\":\"/x\",\"queues\":0}", "queues" },
		{ "{\"name\":\"p\",\"type\":\"vhost\",\"path\":\"/x\",\"bridge\":\"b r\"}", "bridge" },
	};
	char buf[512], f[32];
	struct vsl_dp_req r;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(buf, sizeof(buf), REQ("port.add", "%s"), cases[i].params);
		assert_int_equal(parse(buf, &r, f, sizeof(f)), VSL_RPC_INVALID_PARAMS);
		if (strcmp(f, cases[i].field) != 0)
			fail_msg("case %zu (%s): field `%s`, expected `%s`", i, cases[i].params, f,
				 cases[i].field);
	}
	assert_int_equal(parse(REQ("port.add", "[1]"), &r, f, sizeof(f)), VSL_RPC_INVALID_PARAMS);
	assert_string_equal(f, "params");
	assert_int_equal(parse(REQ("port.del", "{}"), &r, f, sizeof(f)), VSL_RPC_INVALID_PARAMS);
	assert_string_equal(f, "name");
	assert_int_equal(parse(REQ("xconnect.add", "{\"a\":\"p\",\"b\":\"p\"}"), &r, f, sizeof(f)),
			 VSL_RPC_INVALID_PARAMS);
	assert_string_equal(f, "b");
	assert_int_equal(parse(REQ("bridge.add", "{\"name\":\"b\",\"aging\":-1}"), &r, f, sizeof(f)),
			 VSL_RPC_INVALID_PARAMS);
	assert_string_equal(f, "aging");
}

static void test_error_keeps_id(void **state)
{
	json_t *err = NULL;
	struct vsl_dp_req r;
	const char *s = REQ("port.del", "{}");

	(void)state;
	assert_int_equal(vsl_dp_req_parse(s, strlen(s), &r, &err), -1);
	assert_int_equal(json_integer_value(json_object_get(err, "id")), 7);
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(err, "error"), "message")),
			       "name"));
	json_decref(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_port_add_vhost),  cmocka_unit_test(test_port_add_trunk_defaults),
		cmocka_unit_test(test_other_methods),   cmocka_unit_test(test_bad_json),
		cmocka_unit_test(test_unknown_method),  cmocka_unit_test(test_bad_params_name_field),
		cmocka_unit_test(test_error_keeps_id),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
