/* Builds the workers' view (struct dp_snap) from the control tables,
 * publishes it and retires the previous one once every worker has passed a
 * quiescent state. Called by the control thread after every change. */
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include "vessel/err.h"
#include "dp.h"

uint32_t dp_now_s(void)
{
	return (uint32_t)(rte_get_tsc_cycles() / rte_get_tsc_hz());
}

/* The queue pair worker w transmits on: spread the workers over the pairs
 * the guest enabled (a guest may use fewer than offered until `ethtool -L`). */
static uint16_t vhost_txq(const struct dp_port *p, uint16_t nr_qp, unsigned w)
{
	uint32_t en = p->rx_enabled & ((nr_qp >= 32 ? 0U : 1U << nr_qp) - 1U);
	unsigned n = (unsigned)__builtin_popcount(en), k;

	if (n == 0)
		return (uint16_t)(w % nr_qp);
	k = w % n;
	for (uint16_t q = 0; q < nr_qp; q++)
		if ((en >> q) & 1 && k-- == 0)
			return q;
	return 0;
}

static void snap_port(struct vsl_dp *dp, struct dp_snap *s, unsigned slot)
{
	struct dp_port *p = &dp->ports[slot];
	struct dp_pcfg *pc = &s->p[slot];

	pc->used = true;
	pc->type = p->spec.type;
	pc->vid = p->vid;
	pc->eth_port = p->eth_port;
	pc->mtu = p->spec.mtu;
	pc->vlan = p->spec.vlan;
	pc->xc_peer = (int16_t)p->xc_peer;
	pc->bridge = (int16_t)p->bridge;
	if (p->spec.type == VSL_PORT_VHOST) {
		int sock = p->numa >= 0 && p->numa < DP_MAX_SOCKETS && dp->mp[p->numa] ? p->numa : 0;

		pc->up = p->vid >= 0;
		pc->nr_qp = p->nr_qp ? p->nr_qp : 1;
		pc->mp = dp->mp[sock];
		if (pc->mp == NULL)
			for (int i = 0; i < DP_MAX_SOCKETS && !pc->mp; i++)
				pc->mp = dp->mp[i];
	} else {
		pc->up = p->eth_started;
		pc->nr_qp = 1;
	}
	for (unsigned w = 0; w < dp->nworkers; w++)
		pc->txq[w] = (uint16_t)(pc->type == VSL_PORT_VHOST ? vhost_txq(p, pc->nr_qp, w) : w);
	if (!pc->up)
		return;
	for (uint16_t q = 0; q < pc->nr_qp; q++) {
		unsigned w = (slot + q) % dp->nworkers;

		if (s->nrxq[w] < DP_MAX_RXQ)
			s->rxq[w][s->nrxq[w]++] = (struct dp_rxq){ .slot = (uint16_t)slot, .q = q };
	}
}

int dp_publish(struct vsl_dp *dp, struct vsl_err **err)
{
	struct dp_snap *s = calloc(1, sizeof(*s)), *old;

	if (s == NULL)
		return vsl_err_make(err, ENOMEM, "publish forwarding tables");
	for (unsigned i = 0; i < DP_MAX_PORTS; i++) {
		s->p[i].xc_peer = -1;
		s->p[i].bridge = -1;
		s->p[i].vid = -1;
	}
	for (unsigned b = 0; b < DP_MAX_BRIDGES; b++)
		if (dp->bridges[b].used)
			s->mt[b] = dp->bridges[b].mt;
	for (unsigned i = 0; i < DP_MAX_PORTS; i++) {
		if (!dp->ports[i].used)
			continue;
		snap_port(dp, s, i);
		if (dp->ports[i].bridge >= 0) {
			int b = dp->ports[i].bridge;

			s->bports[b][s->nbports[b]++] = (uint16_t)i;
		}
	}
	old = atomic_exchange_explicit(&dp->snap, s, memory_order_acq_rel);
	/* Workers that are offline (not started yet, or stopped) do not block. */
	rte_rcu_qsbr_synchronize(dp->qsv, RTE_QSBR_THRID_INVALID);
	free(old);
	return 0;
}
