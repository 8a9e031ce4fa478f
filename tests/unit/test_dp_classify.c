/* Unit tests for the per-frame checks the workers run (classify.h): runts,
 * oversized frames, access/trunk VLAN ingress and egress rules, and the
 * vhost-user socket-path contract (vessel/vhost_path.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "classify.h"
#include "vessel/vhost_path.h"

static uint8_t frame[9300];

static uint32_t mk(uint32_t len, int vid)
{
	memset(frame, 0, sizeof(frame));
	frame[0] = 0xff;
	if (vid >= 0) {
		frame[12] = 0x81;
		frame[13] = 0x00;
		frame[14] = (uint8_t)(0x20 | (vid >> 8)); /* PCP 1 */
		frame[15] = (uint8_t)vid;
	}
	return len;
}

static struct vsl_vlan_cfg access_cfg(uint16_t v)
{
	struct vsl_vlan_cfg c = { .mode = VSL_VLAN_ACCESS, .vlan = v };
	return c;
}

static struct vsl_vlan_cfg trunk_cfg(uint16_t native, const uint16_t *ids, int n)
{
	struct vsl_vlan_cfg c = { .mode = VSL_VLAN_TRUNK, .vlan = native, .allow_all = n == 0 };

	for (int i = 0; i < n; i++)
		c.allowed[ids[i] >> 6] |= 1ULL << (ids[i] & 63);
	return c;
}

static void test_sizes(void **state)
{
	struct vsl_vlan_cfg c = trunk_cfg(0, NULL, 0);
	uint16_t vlan;
	bool tagged;

	(void)state;
	assert_int_equal(vsl_dp_classify(frame, mk(13, -1), 1500, &c, &vlan, &tagged), VSL_DROP_RUNT + 1);
	assert_int_equal(vsl_dp_classify(frame, mk(14, -1), 1500, &c, &vlan, &tagged), 0);
	assert_int_equal(vsl_dp_classify(frame, mk(42, -1), 1500, &c, &vlan, &tagged), 0); /* ARP */
	assert_int_equal(vsl_dp_classify(frame, mk(17, 5), 1500, &c, &vlan, &tagged), VSL_DROP_RUNT + 1);
	assert_int_equal(vsl_dp_classify(frame, mk(1514, -1), 1500, &c, &vlan, &tagged), 0);
	assert_int_equal(vsl_dp_classify(frame, mk(1515, -1), 1500, &c, &vlan, &tagged),
			 VSL_DROP_OVERSIZE + 1);
	assert_int_equal(vsl_dp_classify(frame, mk(1518, 5), 1500, &c, &vlan, &tagged), 0);
	assert_int_equal(vsl_dp_classify(frame, mk(1519, 5), 1500, &c, &vlan, &tagged),
			 VSL_DROP_OVERSIZE + 1);
	assert_int_equal(vsl_dp_classify(frame, mk(9014, -1), 9000, &c, &vlan, &tagged), 0);
}

static void test_access(void **state)
{
	struct vsl_vlan_cfg c = access_cfg(10);
	uint16_t vlan = 0;
	bool tagged, tag;

	(void)state;
	assert_int_equal(vsl_dp_classify(frame, mk(64, -1), 1500, &c, &vlan, &tagged), 0);
	assert_int_equal(vlan, 10);
	assert_false(tagged);
	assert_int_equal(vsl_dp_classify(frame, mk(64, 0), 1500, &c, &vlan, &tagged), 0); /* priority tag */
	assert_int_equal(vlan, 10);
	assert_int_equal(vsl_dp_classify(frame, mk(64, 20), 1500, &c, &vlan, &tagged), VSL_DROP_VLAN + 1);
	assert_true(vsl_dp_egress(&c, 10, &tag));
	assert_false(tag);
	assert_false(vsl_dp_egress(&c, 20, &tag));
	assert_false(vsl_dp_egress(&c, 0, &tag));
}

static void test_trunk(void **state)
{
	static const uint16_t ids[] = { 10, 30 };
	struct vsl_vlan_cfg c = trunk_cfg(0, ids, 2), all = trunk_cfg(0, NULL, 0);
	struct vsl_vlan_cfg nat = trunk_cfg(30, ids, 2);
	uint16_t vlan = 0;
	bool tagged, tag;

	(void)state;
	assert_int_equal(vsl_dp_classify(frame, mk(64, 10), 1500, &c, &vlan, &tagged), 0);
	assert_int_equal(vlan, 10);
	assert_true(tagged);
	assert_int_equal(vsl_dp_classify(frame, mk(64, 20), 1500, &c, &vlan, &tagged), VSL_DROP_VLAN + 1);
	/* untagged joins native VLAN 0, not in the allowed list */
	assert_int_equal(vsl_dp_classify(frame, mk(64, -1), 1500, &c, &vlan, &tagged), VSL_DROP_VLAN + 1);
	assert_int_equal(vsl_dp_classify(frame, mk(64, -1), 1500, &all, &vlan, &tagged), 0);
	assert_int_equal(vlan, 0);
	assert_int_equal(vsl_dp_classify(frame, mk(64, -1), 1500, &nat, &vlan, &tagged), 0);
	assert_int_equal(vlan, 30);
	assert_true(vsl_dp_egress(&c, 10, &tag));
	assert_true(tag);
	assert_false(vsl_dp_egress(&c, 20, &tag));
	assert_true(vsl_dp_egress(&nat, 30, &tag));
	assert_false(tag); /* native leaves untagged */
	assert_true(vsl_dp_egress(&all, 0, &tag));
	assert_false(tag);
	assert_true(vsl_dp_egress(&all, 4094, &tag));
	assert_true(tag);
}

static void test_vhost_path(void **state)
{
	char buf[128];

	(void)state;
	assert_int_equal(vsl_vhost_sock_path(buf, sizeof(buf), NULL, "vnf1", "eth0"),
			 (int)strlen("/run/vessel/vhost/vnf1/eth0.sock"));
	assert_string_equal(buf, "/run/vessel/vhost/vnf1/eth0.sock");
	assert_true(vsl_vhost_sock_path(buf, sizeof(buf), "/tmp/x/", "a", "b") > 0);
	assert_string_equal(buf, "/tmp/x/vhost/a/b.sock");
	assert_int_equal(vsl_vhost_sock_path(buf, sizeof(buf), NULL, "a/b", "eth0"), -EINVAL);
	assert_int_equal(vsl_vhost_sock_path(buf, sizeof(buf), NULL, "..", "eth0"), -EINVAL);
	assert_int_equal(vsl_vhost_sock_path(buf, sizeof(buf), NULL, "vnf", ""), -EINVAL);
	assert_int_equal(vsl_vhost_sock_path(buf, sizeof(buf), "relative", "vnf", "e"), -EINVAL);
	assert_int_equal(vsl_vhost_sock_path(buf, sizeof(buf), "/a/../b", "vnf", "e"), -EINVAL);
	assert_int_equal(vsl_vhost_sock_path(buf, 10, NULL, "vnf", "e"), -ENAMETOOLONG);
	{
		char longname[64];

		memset(longname, 'x', 63);
		longname[63] = '\0';
		/* 63 + 63 + root does not fit a unix socket address */
		assert_int_equal(vsl_vhost_sock_path(buf, sizeof(buf), NULL, longname, longname),
				 -ENAMETOOLONG);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes), cmocka_unit_test(test_access),
		cmocka_unit_test(test_trunk), cmocka_unit_test(test_vhost_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
