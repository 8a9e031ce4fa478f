/* Unit tests for the org.vessel.net.N parser (runtime/src/oci_net.c): a full
 * NIC spec, defaults (ifname by position, a stable locally administered MAC),
 * N ordering, and errors that name the annotation and the field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "oci_net.h"

struct cfg {
	struct vsl_oci_kv kv[8];
	struct vsl_oci_config c;
};

/* A config whose annotations are key, value pairs (NULL-terminated). */
static void make(struct cfg *x, ...)
{
	va_list ap;
	memset(x, 0, sizeof(*x));
	va_start(ap, x);
	const char *k;
	size_t n = 0;
	while ((k = va_arg(ap, const char *)) != NULL) {
		x->kv[n].key = (char *)k;
		x->kv[n].value = va_arg(ap, char *);
		n++;
	}
	va_end(ap);
	x->c.annotations = x->kv;
	x->c.n_annotations = n;
	x->c.mem_shared = true;
}

static void test_full_spec(void **state)
{
	(void)state;
	struct cfg x;
	make(&x, "org.vessel.net.0",
	     "{\"backend\":\"vessel-dp\",\"bridge\":\"bd0\",\"vlan\":100,\"ifname\":\"wan\","
	     "\"mac\":\"52:54:00:AB:cd:01\",\"mtu\":9000,\"queues\":2,\"addresses\":[\"10.0.0.1/24\","
	     "\"fd00::1/64\"],\"routes\":[{\"to\":\"default\",\"via\":\"10.0.0.254\"},{\"to\":\"10.9.0.0/16\"}]}",
	     NULL);
	struct vsl_nic *v = NULL;
	size_t n = 0;
	struct vsl_err *err = NULL;
	assert_int_equal(vsl_nics_parse(&x.c, "fw1", &v, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].backend, VSL_NIC_VESSEL_DP);
	assert_string_equal(v[0].bridge, "bd0");
	assert_null(v[0].xconnect);
	assert_int_equal(v[0].vlan, 100);
	assert_string_equal(v[0].ifname, "wan");
	assert_string_equal(v[0].mac, "52:54:00:ab:cd:01");
	assert_int_equal(v[0].mtu, 9000);
	assert_int_equal(v[0].queues, 2);
	assert_int_equal(v[0].n_addresses, 2);
	assert_string_equal(v[0].addresses[1], "fd00::1/64");
	assert_int_equal(v[0].n_routes, 2);
	assert_string_equal(v[0].routes[0].via, "10.0.0.254");
	assert_null(v[0].routes[1].via);
	char *port = vsl_nic_port_name("fw1", &v[0]);
	assert_string_equal(port, "fw1.wan");
	free(port);
	vsl_nics_free(v, n);
}

static void test_defaults_and_order(void **state)
{
	(void)state;
	struct cfg x;
	make(&x, "org.vessel.net.10", "{\"xconnect\":\"r.eth0\"}", "other", "x",
	     "org.vessel.net.2", "{\"backend\":\"ovs\",\"bridge\":\"br-int\"}", NULL);
	struct vsl_nic *v = NULL, *w = NULL;
	size_t n = 0, m = 0;
	struct vsl_err *err = NULL;
	assert_int_equal(vsl_nics_parse(&x.c, "a", &v, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].index, 2); /* N order, not annotation order */
	assert_int_equal(v[0].backend, VSL_NIC_OVS);
	assert_string_equal(v[0].ifname, "eth0");
	assert_string_equal(v[1].ifname, "eth1");
	assert_string_equal(v[1].xconnect, "r.eth0");
	assert_int_equal(v[1].queues, 1);
	assert_int_equal(v[1].mtu, 0);
	/* default MACs: locally administered unicast, stable, distinct */
	assert_int_equal(strncmp(v[0].mac, "52:", 3), 0);
	assert_string_not_equal(v[0].mac, v[1].mac);
	assert_int_equal(vsl_nics_parse(&x.c, "a", &w, &m, &err), 0);
	assert_string_equal(v[1].mac, w[1].mac);
	vsl_nics_free(w, m);
	assert_int_equal(vsl_nics_parse(&x.c, "b", &w, &m, &err), 0);
	assert_string_not_equal(v[1].mac, w[1].mac); /* another VNF, another MAC */
	vsl_nics_free(w, m);
	vsl_nics_free(v, n);
}

static const struct {
	const char *key, *value, *want;
} bad[] = {
	{ "org.vessel.net.0", "{\"bridge\":\"bd0\",\"vlan\":0}",
	  "annotation `org.vessel.net.0`: field `vlan`: must be an integer 1..4094" },
	{ "org.vessel.net.0", "{\"bridge\":\"bd0\",\"vlan\":\"7\"}", "field `vlan`" },
	{ "org.vessel.net.1", "{\"bridge\":\"bd 0\"}", "annotation `org.vessel.net.1`: field `bridge`" },
	{ "org.vessel.net.0", "{\"bridge\":\"bd0\",\"xconnect\":\"p\"}", "field `xconnect`: give either" },
	{ "org.vessel.net.0", "{\"xconnect\":\"p\",\"vlan\":3}", "field `vlan`: a cross-connect" },
	{ "org.vessel.net.0", "{\"backend\":\"ovs\",\"xconnect\":\"p\"}", "field `xconnect`: not available" },
	{ "org.vessel.net.0", "{\"backend\":\"linuxbridge\",\"bridge\":\"b\"}", "field `backend`" },
	{ "org.vessel.net.0", "{}", "annotation `org.vessel.net.0`: needs `bridge`" },
	{ "org.vessel.net.0", "[1]", "expected a JSON object" },
	{ "org.vessel.net.0", "{\"bridge\":", "not valid JSON" },
	{ "org.vessel.net.0", "{\"bridge\":\"b\",\"mac\":\"01:00:5e:00:00:01\"}", "multicast" },
	{ "org.vessel.net.0", "{\"bridge\":\"b\",\"mac\":\"52:54:00:00:00\"}", "field `mac`" },
	{ "org.vessel.net.0", "{\"bridge\":\"b\",\"mac\":\"52:54:00:00:00:0g\"}", "field `mac`" },
	{ "org.vessel.net.0", "{\"bridge\":\"b\",\"mtu\":67}", "field `mtu`: must be an integer 68..9000" },
	{ "org.vessel.net.0", "{\"bridge\":\"b\",\"queues\":9}", "field `queues`" },
	{ "org.vessel.net.0", "{\"bridge\":\"b\",\"ifname\":\"averyveryverylongname\"}", "field `ifname`" },
	{ "org.vessel.net.0", "{\"bridge\":\"b\",\"addresses\":[\"10.0.0.1\"]}", "field `addresses[0]`" },
	{ "org.vessel.net.0", "{\"bridge\":\"b\",\"addresses\":[\"10.0.0.300/24\"]}", "field `addresses[0]`" },
	{ "org.vessel.net.0", "{\"bridge\":\"b\",\"routes\":[{\"to\":\"default\",\"via\":\"x\"}]}",
	  "field `routes[0]`: `via`" },
	{ "org.vessel.net.0", "{\"bridge\":\"b\",\"routes\":[{\"to\":\"default\",\"gw\":\"1.2.3.4\"}]}",
	  "field `routes[0]`: unknown field `gw`" },
	{ "org.vessel.net.0", "{\"bridge\":\"b\",\"vlna\":3}", "field `vlna`: unknown field" },
	{ "org.vessel.net.eth0", "{\"bridge\":\"b\"}", "annotation `org.vessel.net.eth0`" },
	{ "org.vessel.net.01", "{\"bridge\":\"b\"}", "annotation `org.vessel.net.01`" },
};

static void test_errors_name_annotation_and_field(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cfg x;
		make(&x, bad[i].key, bad[i].value, NULL);
		struct vsl_nic *v = NULL;
		size_t n = 0;
		struct vsl_err *err = NULL;
		if (vsl_nics_parse(&x.c, "a", &v, &n, &err) == 0)
			fail_msg("case %zu accepted: %s", i, bad[i].value);
		assert_null(v);
		if (strstr(err->msg, bad[i].want) == NULL)
			fail_msg("case %zu: error `%s` lacks `%s`", i, err->msg, bad[i].want);
		vsl_err_free(err);
	}
}

static void test_duplicates_and_shared_memory(void **state)
{
	(void)state;
	struct cfg x;
	struct vsl_nic *v = NULL;
	size_t n = 0;
	struct vsl_err *err = NULL;
	make(&x, "org.vessel.net.0", "{\"bridge\":\"b\",\"ifname\":\"eth1\"}", "org.vessel.net.1",
	     "{\"bridge\":\"b\"}", NULL);
	assert_int_equal(vsl_nics_parse(&x.c, "a", &v, &n, &err), -1);
	assert_non_null(strstr(err->msg, "`org.vessel.net.1`: field `ifname`: `eth1` is already used"));
	vsl_err_free(err);
	err = NULL;
	make(&x, "org.vessel.net.0", "{\"bridge\":\"b\"}", NULL);
	x.c.mem_shared = false;
	assert_int_equal(vsl_nics_parse(&x.c, "a", &v, &n, &err), -1);
	assert_non_null(strstr(err->msg, "need shared guest memory"));
	vsl_err_free(err);
}

static void test_dp_socket_choice(void **state)
{
	(void)state;
	struct cfg x;
	make(&x, NULL);
	unsetenv("VESSEL_DP_SOCKET");
	assert_string_equal(vsl_nics_dp_socket(&x.c), VSL_DP_SOCKET_DEFAULT);
	setenv("VESSEL_DP_SOCKET", "/env/dp.sock", 1);
	assert_string_equal(vsl_nics_dp_socket(&x.c), "/env/dp.sock");
	make(&x, "org.vessel.dataplane.socket", "/ann/dp.sock", NULL);
	assert_string_equal(vsl_nics_dp_socket(&x.c), "/ann/dp.sock");
	unsetenv("VESSEL_DP_SOCKET");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_spec),
		cmocka_unit_test(test_defaults_and_order),
		cmocka_unit_test(test_errors_name_annotation_and_field),
		cmocka_unit_test(test_duplicates_and_shared_memory),
		cmocka_unit_test(test_dp_socket_choice),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
