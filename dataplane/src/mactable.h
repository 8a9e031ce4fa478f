/* A fixed-size MAC table for one bridge domain: (VLAN, MAC) -> port slot.
 *
 * Workers learn and look up concurrently without locks: each entry is two
 * 64-bit atomics (key, value); a free slot is claimed with a compare-and-swap
 * on the key. The control thread ages and flushes entries. The table never
 * grows: when a bucket is full, learning fails (counted) and frames to that
 * MAC are flooded, which is correct, only slower.
 *
 * Races are benign by construction: a reader may see a key whose value is not
 * written yet (treated as a miss: flood), or a just-aged entry (one frame goes
 * to the port that last owned the MAC; slots are validated by the caller).
 * Pure C11, no DPDK, so unit tests run it directly.
 */
#ifndef VSL_DP_MACTABLE_H
#define VSL_DP_MACTABLE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define VSL_MT_BUCKET 8

struct vsl_mt_entry {
	_Atomic uint64_t key; /* 0: free; else 1<<63 | vlan<<48 | mac */
	_Atomic uint64_t val; /* 0: not yet written; else 1<<63 | slot<<32 | seen (s) */
};

struct vsl_mactable {
	uint32_t nbuckets; /* power of two */
	uint32_t aging_s;
	_Atomic uint64_t learn_full; /* learns refused: bucket full */
	struct vsl_mt_entry e[];    /* nbuckets * VSL_MT_BUCKET */
};

/* One row of a dump. */
struct vsl_mt_row {
	uint8_t mac[6];
	uint16_t vlan;
	uint16_t slot;
	uint32_t seen; /* seconds, caller's clock */
};

/* Creates a table holding up to `entries` MACs (rounded up to a power of two,
 * at least one bucket of VSL_MT_BUCKET). aging_s: 0 never ages. NULL on bad
 * arguments. Free with vsl_mt_destroy (NULL is a no-op). */
struct vsl_mactable *vsl_mt_create(uint32_t entries, uint32_t aging_s);
void vsl_mt_destroy(struct vsl_mactable *t);

/* Learns mac on vlan at slot, seen at now_s. Returns 0, or -1 if the bucket is
 * full (nothing learned). Cheap when nothing changed: no store. */
int vsl_mt_learn(struct vsl_mactable *t, const uint8_t mac[6], uint16_t vlan, uint16_t slot,
		 uint32_t now_s);

/* Returns the slot for (mac, vlan) or -1 if unknown. */
int vsl_mt_lookup(const struct vsl_mactable *t, const uint8_t mac[6], uint16_t vlan);

/* Removes entries last seen more than aging_s before now_s. Returns how many. */
unsigned vsl_mt_age(struct vsl_mactable *t, uint32_t now_s);

/* Removes entries pointing at slot (slot < 0: all). Returns how many. */
unsigned vsl_mt_flush(struct vsl_mactable *t, int slot);

/* Copies up to max rows into rows; returns the number of entries present
 * (may exceed max). */
unsigned vsl_mt_dump(const struct vsl_mactable *t, struct vsl_mt_row *rows, unsigned max);

#endif
