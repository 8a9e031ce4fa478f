/* Unit tests for the dataplane MAC table (dataplane/src/mactable.c):
 * learn, lookup, move, aging, VLAN separation, flush and a full table,
 * plus concurrent learners (two threads) leaving a consistent table. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mactable.h"

static const uint8_t MA[6] = { 0x02, 0, 0, 0, 0, 0xaa };
static const uint8_t MB[6] = { 0x02, 0, 0, 0, 0, 0xbb };

static void test_learn_lookup(void **state)
{
	struct vsl_mactable *t = vsl_mt_create(64, 300);

	(void)state;
	assert_non_null(t);
	assert_int_equal(vsl_mt_lookup(t, MA, 0), -1);
	assert_int_equal(vsl_mt_learn(t, MA, 0, 3, 100), 0);
	assert_int_equal(vsl_mt_lookup(t, MA, 0), 3);
	assert_int_equal(vsl_mt_lookup(t, MB, 0), -1);
	/* The MAC moves to another port: the newest port wins. */
	assert_int_equal(vsl_mt_learn(t, MA, 0, 5, 101), 0);
	assert_int_equal(vsl_mt_lookup(t, MA, 0), 5);
	assert_int_equal(vsl_mt_dump(t, NULL, 0), 1);
	vsl_mt_destroy(t);
}

static void test_vlan_separation(void **state)
{
	struct vsl_mactable *t = vsl_mt_create(64, 300);

	(void)state;
	vsl_mt_learn(t, MA, 10, 1, 100);
	assert_int_equal(vsl_mt_lookup(t, MA, 10), 1);
	assert_int_equal(vsl_mt_lookup(t, MA, 20), -1); /* same MAC, other VLAN: unknown */
	assert_int_equal(vsl_mt_lookup(t, MA, 0), -1);
	vsl_mt_learn(t, MA, 20, 2, 100);
	assert_int_equal(vsl_mt_lookup(t, MA, 10), 1);
	assert_int_equal(vsl_mt_lookup(t, MA, 20), 2);
	vsl_mt_destroy(t);
}

static void test_bridge_separation(void **state)
{
	struct vsl_mactable *t1 = vsl_mt_create(64, 300), *t2 = vsl_mt_create(64, 300);

	(void)state;
	vsl_mt_learn(t1, MA, 0, 1, 100);
	assert_int_equal(vsl_mt_lookup(t2, MA, 0), -1);
	vsl_mt_destroy(t1);
	vsl_mt_destroy(t2);
}

static void test_aging(void **state)
{
	struct vsl_mactable *t = vsl_mt_create(64, 10), *never = vsl_mt_create(64, 0);

	(void)state;
	vsl_mt_learn(t, MA, 0, 1, 100);
	vsl_mt_learn(t, MB, 0, 2, 105);
	assert_int_equal(vsl_mt_age(t, 110), 0); /* 10 s old: not yet */
	assert_int_equal(vsl_mt_age(t, 111), 1); /* MA is 11 s old */
	assert_int_equal(vsl_mt_lookup(t, MA, 0), -1);
	assert_int_equal(vsl_mt_lookup(t, MB, 0), 2);
	/* Traffic refreshes an entry. */
	vsl_mt_learn(t, MB, 0, 2, 114);
	assert_int_equal(vsl_mt_age(t, 120), 0);
	assert_int_equal(vsl_mt_lookup(t, MB, 0), 2);
	/* aging 0 keeps entries forever */
	vsl_mt_learn(never, MA, 0, 1, 1);
	assert_int_equal(vsl_mt_age(never, 1000000), 0);
	assert_int_equal(vsl_mt_lookup(never, MA, 0), 1);
	vsl_mt_destroy(t);
	vsl_mt_destroy(never);
}

static void test_flush(void **state)
{
	struct vsl_mactable *t = vsl_mt_create(64, 300);

	(void)state;
	vsl_mt_learn(t, MA, 0, 1, 100);
	vsl_mt_learn(t, MB, 0, 2, 100);
	assert_int_equal(vsl_mt_flush(t, 1), 1);
	assert_int_equal(vsl_mt_lookup(t, MA, 0), -1);
	assert_int_equal(vsl_mt_lookup(t, MB, 0), 2);
	assert_int_equal(vsl_mt_flush(t, -1), 1);
	assert_int_equal(vsl_mt_dump(t, NULL, 0), 0);
	vsl_mt_destroy(t);
}

static void test_full_table(void **state)
{
	/* One bucket of VSL_MT_BUCKET entries: the next new MAC is refused,
	 * counted, and existing entries stay intact. */
	struct vsl_mactable *t = vsl_mt_create(1, 300);
	uint8_t mac[6] = { 0x02, 0, 0, 0, 1, 0 };
	int i;

	(void)state;
	assert_int_equal(t->nbuckets, 1);
	for (i = 0; i < VSL_MT_BUCKET; i++) {
		mac[5] = (uint8_t)i;
		assert_int_equal(vsl_mt_learn(t, mac, 0, (uint16_t)i, 100), 0);
	}
	mac[5] = 0xee;
	assert_int_equal(vsl_mt_learn(t, mac, 0, 9, 100), -1);
	assert_int_equal(vsl_mt_lookup(t, mac, 0), -1);
	assert_int_equal((int)t->learn_full, 1);
	for (i = 0; i < VSL_MT_BUCKET; i++) {
		mac[5] = (uint8_t)i;
		assert_int_equal(vsl_mt_lookup(t, mac, 0), i);
	}
	/* Relearning a known MAC in a full table still works. */
	mac[5] = 0;
	assert_int_equal(vsl_mt_learn(t, mac, 0, 7, 101), 0);
	assert_int_equal(vsl_mt_lookup(t, mac, 0), 7);
	/* After aging frees a slot, the new MAC can be learned. */
	assert_int_equal(vsl_mt_age(t, 401), VSL_MT_BUCKET - 1);
	mac[5] = 0xee;
	assert_int_equal(vsl_mt_learn(t, mac, 0, 9, 401), 0);
	vsl_mt_destroy(t);
}

static void test_dump(void **state)
{
	struct vsl_mactable *t = vsl_mt_create(64, 300);
	struct vsl_mt_row rows[4];

	(void)state;
	vsl_mt_learn(t, MA, 42, 7, 123);
	assert_int_equal(vsl_mt_dump(t, rows, 4), 1);
	assert_memory_equal(rows[0].mac, MA, 6);
	assert_int_equal(rows[0].vlan, 42);
	assert_int_equal(rows[0].slot, 7);
	assert_int_equal(rows[0].seen, 123);
	assert_null(vsl_mt_create(0, 1));
	vsl_mt_destroy(NULL);
	vsl_mt_destroy(t);
}

struct learner {
	struct vsl_mactable *t;
	uint16_t slot;
};

static void *learn_many(void *arg)
{
	struct learner *l = arg;
	uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0 };

	for (int round = 0; round < 50; round++)
		for (int i = 0; i < 1000; i++) {
			mac[4] = (uint8_t)(i >> 8);
			mac[5] = (uint8_t)i;
			vsl_mt_learn(l->t, mac, 0, l->slot, (uint32_t)round);
		}
	return NULL;
}

static void test_concurrent_learners(void **state)
{
	struct vsl_mactable *t = vsl_mt_create(4096, 0);
	struct learner a = { t, 1 }, b = { t, 2 };
	pthread_t ta, tb;
	uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0 };

	(void)state;
	pthread_create(&ta, NULL, learn_many, &a);
	pthread_create(&tb, NULL, learn_many, &b);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	/* Each MAC is present exactly once, on one of the two ports. */
	assert_int_equal(vsl_mt_dump(t, NULL, 0), 1000);
	for (int i = 0; i < 1000; i++) {
		int s;

		mac[4] = (uint8_t)(i >> 8);
		mac[5] = (uint8_t)i;
		s = vsl_mt_lookup(t, mac, 0);
		assert_true(s == 1 || s == 2);
	}
	vsl_mt_destroy(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_learn_lookup),  cmocka_unit_test(test_vlan_separation),
		cmocka_unit_test(test_bridge_separation), cmocka_unit_test(test_aging),
		cmocka_unit_test(test_flush),         cmocka_unit_test(test_full_table),
		cmocka_unit_test(test_dump),          cmocka_unit_test(test_concurrent_learners),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
