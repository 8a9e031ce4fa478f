/* Lock-free fixed-size MAC table; see mactable.h for the concurrency rules. */
#include <stdlib.h>
#include <string.h>

#include "mactable.h"

#define KEY_VALID (1ULL << 63)
#define VAL_VALID (1ULL << 63)

static inline uint64_t mt_key(const uint8_t mac[6], uint16_t vlan)
{
	uint64_t k = 0;

	for (int i = 0; i < 6; i++)
		k = (k << 8) | mac[i];
	return KEY_VALID | ((uint64_t)(vlan & 0xfff) << 48) | k;
}

static inline uint32_t mt_bucket(const struct vsl_mactable *t, uint64_t key)
{
	uint64_t h = key * 0x9e3779b97f4a7c15ULL;

	return (uint32_t)(h >> 32) & (t->nbuckets - 1);
}

struct vsl_mactable *vsl_mt_create(uint32_t entries, uint32_t aging_s)
{
	struct vsl_mactable *t;
	uint32_t nb = 1;

	if (entries == 0 || entries > (1U << 24))
		return NULL;
	while (nb * VSL_MT_BUCKET < entries)
		nb <<= 1;
	t = calloc(1, sizeof(*t) + (size_t)nb * VSL_MT_BUCKET * sizeof(struct vsl_mt_entry));
	if (t == NULL)
		return NULL;
	t->nbuckets = nb;
	t->aging_s = aging_s;
	return t;
}

void vsl_mt_destroy(struct vsl_mactable *t)
{
	free(t);
}

int vsl_mt_learn(struct vsl_mactable *t, const uint8_t mac[6], uint16_t vlan, uint16_t slot,
		 uint32_t now_s)
{
	uint64_t key = mt_key(mac, vlan);
	uint64_t val = VAL_VALID | ((uint64_t)slot << 32) | now_s;
	struct vsl_mt_entry *b = &t->e[(size_t)mt_bucket(t, key) * VSL_MT_BUCKET];
	int free_i = -1;

	for (int i = 0; i < VSL_MT_BUCKET; i++) {
		uint64_t k = atomic_load_explicit(&b[i].key, memory_order_acquire);

		if (k == key) {
			if (atomic_load_explicit(&b[i].val, memory_order_relaxed) != val)
				atomic_store_explicit(&b[i].val, val, memory_order_release);
			return 0;
		}
		if (k == 0 && free_i < 0)
			free_i = i;
	}
	for (int i = free_i < 0 ? VSL_MT_BUCKET : free_i; i < VSL_MT_BUCKET; i++) {
		uint64_t expect = 0;

		if (atomic_compare_exchange_strong(&b[i].key, &expect, key)) {
			atomic_store_explicit(&b[i].val, val, memory_order_release);
			return 0;
		}
		if (expect == key) /* another worker learned it just now */
			return 0;
	}
	atomic_fetch_add_explicit(&t->learn_full, 1, memory_order_relaxed);
	return -1;
}

int vsl_mt_lookup(const struct vsl_mactable *t, const uint8_t mac[6], uint16_t vlan)
{
	uint64_t key = mt_key(mac, vlan);
	const struct vsl_mt_entry *b = &t->e[(size_t)mt_bucket(t, key) * VSL_MT_BUCKET];

	for (int i = 0; i < VSL_MT_BUCKET; i++) {
		if (atomic_load_explicit(&b[i].key, memory_order_acquire) == key) {
			uint64_t v = atomic_load_explicit(&b[i].val, memory_order_acquire);

			return (v & VAL_VALID) ? (int)((v >> 32) & 0xffff) : -1;
		}
	}
	return -1;
}

/* Clears an entry: value first, so a reader never pairs a stale value with a
 * newly claimed key for long. */
static void mt_clear(struct vsl_mt_entry *e)
{
	atomic_store_explicit(&e->val, 0, memory_order_release);
	atomic_store_explicit(&e->key, 0, memory_order_release);
}

unsigned vsl_mt_age(struct vsl_mactable *t, uint32_t now_s)
{
	unsigned n = 0;

	if (t->aging_s == 0)
		return 0;
	for (size_t i = 0; i < (size_t)t->nbuckets * VSL_MT_BUCKET; i++) {
		uint64_t v = atomic_load_explicit(&t->e[i].val, memory_order_acquire);

		if (atomic_load_explicit(&t->e[i].key, memory_order_relaxed) == 0 || !(v & VAL_VALID))
			continue;
		if (now_s - (uint32_t)v > t->aging_s) {
			mt_clear(&t->e[i]);
			n++;
		}
	}
	return n;
}

unsigned vsl_mt_flush(struct vsl_mactable *t, int slot)
{
	unsigned n = 0;

	for (size_t i = 0; i < (size_t)t->nbuckets * VSL_MT_BUCKET; i++) {
		uint64_t v = atomic_load_explicit(&t->e[i].val, memory_order_acquire);

		if (atomic_load_explicit(&t->e[i].key, memory_order_relaxed) == 0)
			continue;
		if (slot < 0 || ((v >> 32) & 0xffff) == (uint64_t)slot) {
			mt_clear(&t->e[i]);
			n++;
		}
	}
	return n;
}

unsigned vsl_mt_dump(const struct vsl_mactable *t, struct vsl_mt_row *rows, unsigned max)
{
	unsigned n = 0;

	for (size_t i = 0; i < (size_t)t->nbuckets * VSL_MT_BUCKET; i++) {
		uint64_t k = atomic_load_explicit(&t->e[i].key, memory_order_acquire);
		uint64_t v = atomic_load_explicit(&t->e[i].val, memory_order_acquire);

		if (k == 0 || !(v & VAL_VALID))
			continue;
		if (n < max) {
			for (int j = 0; j < 6; j++)
				rows[n].mac[j] = (uint8_t)(k >> (40 - 8 * j));
			rows[n].vlan = (uint16_t)((k >> 48) & 0xfff);
			rows[n].slot = (uint16_t)((v >> 32) & 0xffff);
			rows[n].seen = (uint32_t)v;
		}
		n++;
	}
	return n;
}
