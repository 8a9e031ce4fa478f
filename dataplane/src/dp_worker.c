/* The worker poll loop: receive bursts of 32 from this worker's queues,
 * classify (cross-connect, or bridge with VLAN check, MAC learning and
 * lookup, flooding), buffer per egress port, flush full buffers at once and
 * all buffers on a ~100 us drain timer. After each drain the worker reports a
 * quiescent state (see dp.h). No malloc, no locks, no syscalls here: mbufs
 * come from mempools, counters are this worker's own.
 */
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_vhost.h>

#include "dp.h"

static inline void dp_count_drop(struct dp_worker *w, uint16_t slot, int reason,
				 struct rte_mbuf *m)
{
	w->st[slot].drop[reason]++;
	rte_pktmbuf_free(m);
}

/* Sends a port's buffer. The snapshot decides where it goes: a slot removed
 * since the packets were buffered drops them. */
static void dp_flush(struct dp_worker *w, const struct dp_snap *s, uint16_t slot)
{
	struct dp_txbuf *b = &w->tx[slot];
	const struct dp_pcfg *pc = &s->p[slot];
	uint64_t bytes = 0;
	uint16_t n = b->n, sent = 0;

	b->n = 0;
	w->txmask &= ~(1ULL << slot);
	if (!pc->used || !pc->up) {
		rte_pktmbuf_free_bulk(b->pkts, n);
		w->st[slot].drop[VSL_DROP_LINK_DOWN] += n;
		return;
	}
	if (pc->type == VSL_PORT_VHOST) {
		uint32_t len[DP_BURST];

		for (uint16_t i = 0; i < n; i++)
			len[i] = rte_pktmbuf_pkt_len(b->pkts[i]);
		sent = rte_vhost_enqueue_burst(pc->vid, (uint16_t)(pc->txq[w->idx] * 2), b->pkts, n);
		for (uint16_t i = 0; i < sent; i++)
			bytes += len[i];
		rte_pktmbuf_free_bulk(b->pkts, n);
	} else {
		for (uint16_t i = 0; i < n; i++)
			bytes += rte_pktmbuf_pkt_len(b->pkts[i]);
		sent = rte_eth_tx_burst(pc->eth_port, pc->txq[w->idx], b->pkts, n);
		for (uint16_t i = sent; i < n; i++)
			bytes -= rte_pktmbuf_pkt_len(b->pkts[i]);
		if (sent < n)
			rte_pktmbuf_free_bulk(&b->pkts[sent], n - sent);
	}
	w->st[slot].tx_pkts += sent;
	w->st[slot].tx_bytes += bytes;
	w->st[slot].drop[VSL_DROP_TX_FULL] += n - sent;
}

static inline void dp_enqueue(struct dp_worker *w, const struct dp_snap *s, uint16_t slot,
			      struct rte_mbuf *m)
{
	struct dp_txbuf *b = &w->tx[slot];

	b->pkts[b->n++] = m;
	w->txmask |= 1ULL << slot;
	if (b->n == DP_BURST)
		dp_flush(w, s, slot);
}

/* Makes m carry (tag) or not carry the 802.1Q header for vlan. Returns 0, or
 * -1 when there is no headroom (counted as no_mbuf by the caller). */
static inline int dp_vlan_fix(struct rte_mbuf *m, bool tagged, bool want_tag, uint16_t vlan)
{
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);

	if (tagged && !want_tag) {
		memmove(d + 4, d, 12);
		rte_pktmbuf_adj(m, 4);
	} else if (!tagged && want_tag) {
		d = (uint8_t *)rte_pktmbuf_prepend(m, 4);
		if (d == NULL)
			return -1;
		memmove(d, d + 4, 12);
		d[12] = 0x81;
		d[13] = 0x00;
		d[14] = (uint8_t)(vlan >> 8);
		d[15] = (uint8_t)vlan;
	} else if (tagged) {
		d[14] = (uint8_t)((d[14] & 0xf0) | ((vlan >> 8) & 0x0f)); /* keep PCP/DEI */
		d[15] = (uint8_t)vlan;
	}
	return 0;
}

static void dp_flood(struct dp_worker *w, const struct dp_snap *s, uint16_t in, int16_t br,
		     struct rte_mbuf *m, uint16_t vlan, bool tagged)
{
	uint16_t out[DP_MAX_PORTS];
	bool tag[DP_MAX_PORTS];
	unsigned n = 0;

	for (unsigned i = 0; i < s->nbports[br]; i++) {
		uint16_t o = s->bports[br][i];

		if (o != in && s->p[o].up && vsl_dp_egress(&s->p[o].vlan, vlan, &tag[n]))
			out[n++] = o;
	}
	if (n == 0) {
		dp_count_drop(w, in, VSL_DROP_NO_ROUTE, m);
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *c = m;

		if (i + 1 < n) {
			c = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);
			if (c == NULL) {
				w->st[out[i]].drop[VSL_DROP_NO_MBUF]++;
				continue;
			}
		}
		if (dp_vlan_fix(c, tagged, tag[i], vlan) < 0) {
			dp_count_drop(w, out[i], VSL_DROP_NO_MBUF, c);
			continue;
		}
		dp_enqueue(w, s, out[i], c);
	}
}

/* Per-burst memo of the last source learned and the last destination found:
 * frames of one burst mostly share both, so the MAC table is touched once per
 * burst instead of twice per frame (as OVS's exact-match cache does for flows). */
struct dp_bcache {
	uint64_t src, dst; /* 1<<63 | vlan<<48 | mac; 0 = empty */
	uint16_t out;
	bool want_tag;
};

static inline uint64_t dp_mac_key(const uint8_t *m, uint16_t vlan)
{
	return (1ULL << 63) | ((uint64_t)vlan << 48) | ((uint64_t)m[0] << 40) |
	       ((uint64_t)m[1] << 32) | ((uint64_t)m[2] << 24) | ((uint64_t)m[3] << 16) |
	       ((uint64_t)m[4] << 8) | m[5];
}

static inline void dp_bridge_pkt(struct dp_worker *w, const struct dp_snap *s, uint16_t in,
				 const struct dp_pcfg *pc, struct rte_mbuf *m, uint32_t now,
				 struct dp_bcache *bc)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	struct vsl_mactable *mt = s->mt[pc->bridge];
	uint16_t vlan = 0;
	bool tagged = false, want;
	uint64_t key;
	int r, o;

	r = vsl_dp_classify(f, rte_pktmbuf_pkt_len(m), pc->mtu, &pc->vlan, &vlan, &tagged);
	if (r) {
		dp_count_drop(w, in, r - 1, m);
		return;
	}
	key = dp_mac_key(f + 6, vlan);
	if (key != bc->src) {
		if (!(f[6] & 1)) /* never learn a multicast source */
			vsl_mt_learn(mt, f + 6, vlan, in, now);
		bc->src = key;
	}
	if (f[0] & 1) {
		dp_flood(w, s, in, pc->bridge, m, vlan, tagged);
		return;
	}
	key = dp_mac_key(f, vlan);
	if (key == bc->dst) {
		o = bc->out;
		want = bc->want_tag;
	} else {
		o = vsl_mt_lookup(mt, f, vlan);
		if (o < 0 || o >= DP_MAX_PORTS || !s->p[o].used || s->p[o].bridge != pc->bridge ||
		    !vsl_dp_egress(&s->p[o].vlan, vlan, &want)) {
			dp_flood(w, s, in, pc->bridge, m, vlan, tagged);
			return;
		}
		bc->dst = key;
		bc->out = (uint16_t)o;
		bc->want_tag = want;
	}
	if (o == in) { /* destination is behind the port it came from */
		dp_count_drop(w, in, VSL_DROP_NO_ROUTE, m);
		return;
	}
	if (dp_vlan_fix(m, tagged, want, vlan) < 0) {
		dp_count_drop(w, (uint16_t)o, VSL_DROP_NO_MBUF, m);
		return;
	}
	dp_enqueue(w, s, (uint16_t)o, m);
}

static void dp_rx(struct dp_worker *w, const struct dp_snap *s, const struct dp_rxq *q,
		  struct rte_mbuf **pkts, uint16_t n, uint32_t now)
{
	const struct dp_pcfg *pc = &s->p[q->slot];
	uint16_t in = q->slot;
	uint64_t bytes = 0;

	for (uint16_t i = 0; i < n; i++)
		bytes += rte_pktmbuf_pkt_len(pkts[i]);
	w->st[in].rx_pkts += n;
	w->st[in].rx_bytes += bytes;
	if (pc->xc_peer >= 0) {
		uint16_t peer = (uint16_t)pc->xc_peer;

		for (uint16_t i = 0; i < n; i++) {
			uint32_t len = rte_pktmbuf_pkt_len(pkts[i]);

			if (unlikely(len < VSL_DP_MIN_FRAME))
				dp_count_drop(w, in, VSL_DROP_RUNT, pkts[i]);
			else if (unlikely(len - VSL_DP_ETH_HLEN > pc->mtu + VSL_DP_VLAN_HLEN))
				dp_count_drop(w, in, VSL_DROP_OVERSIZE, pkts[i]);
			else
				dp_enqueue(w, s, peer, pkts[i]);
		}
		return;
	}
	if (pc->bridge < 0) {
		w->st[in].drop[VSL_DROP_NO_ROUTE] += n;
		rte_pktmbuf_free_bulk(pkts, n);
		return;
	}
	{
		struct dp_bcache bc = { 0, 0, 0, false };

		for (uint16_t i = 0; i < n; i++) {
			if (i + 1 < n)
				rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
			dp_bridge_pkt(w, s, in, pc, pkts[i], now, &bc);
		}
	}
}

static inline uint16_t dp_poll(const struct dp_snap *s, const struct dp_rxq *q,
			       struct rte_mbuf **pkts)
{
	const struct dp_pcfg *pc = &s->p[q->slot];

	if (!pc->up)
		return 0;
	if (pc->type == VSL_PORT_VHOST)
		return rte_vhost_dequeue_burst(pc->vid, (uint16_t)(q->q * 2 + 1), pc->mp, pkts,
					       DP_BURST);
	return rte_eth_rx_burst(pc->eth_port, q->q, pkts, DP_BURST);
}

int dp_worker_main(void *arg)
{
	struct dp_worker *w = arg;
	struct vsl_dp *dp = w->dp;
	struct rte_mbuf *pkts[DP_BURST];
	uint64_t last_drain = rte_rdtsc(), t0 = last_drain;
	uint32_t now = dp_now_s();

	rte_rcu_qsbr_thread_register(dp->qsv, w->idx);
	rte_rcu_qsbr_thread_online(dp->qsv, w->idx);
	while (!atomic_load_explicit(&w->stop, memory_order_relaxed)) {
		const struct dp_snap *s = atomic_load_explicit(&dp->snap, memory_order_acquire);
		unsigned nq = s->nrxq[w->idx];
		uint64_t t1, got = 0;

		for (unsigned i = 0; i < nq; i++) {
			const struct dp_rxq *q = &s->rxq[w->idx][i];
			uint16_t n = dp_poll(s, q, pkts);

			if (n) {
				dp_rx(w, s, q, pkts, n, now);
				got += n;
			}
		}
		t1 = rte_rdtsc();
		if (got)
			w->busy_cycles += t1 - t0;
		w->total_cycles += t1 - t0;
		t0 = t1;
		if (t1 - last_drain >= dp->drain_tsc) {
			while (w->txmask)
				dp_flush(w, s, (uint16_t)__builtin_ctzll(w->txmask));
			last_drain = t1;
			now = dp_now_s();
			rte_rcu_qsbr_quiescent(dp->qsv, w->idx);
		}
	}
	{
		const struct dp_snap *s = atomic_load_explicit(&dp->snap, memory_order_acquire);

		while (w->txmask)
			dp_flush(w, s, (uint16_t)__builtin_ctzll(w->txmask));
	}
	rte_rcu_qsbr_thread_offline(dp->qsv, w->idx);
	rte_rcu_qsbr_thread_unregister(dp->qsv, w->idx);
	return 0;
}
