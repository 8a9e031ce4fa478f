/* vessel-dp internals shared by the control thread and the workers.
 *
 * Two worlds. The control thread (main lcore) owns `struct vsl_dp`: the port,
 * bridge and cross-connect tables, the vhost devices, persistence. Workers
 * never read those. They read an immutable `struct dp_snap` that the control
 * thread rebuilds after every change, publishes with one atomic store and
 * retires after rte_rcu_qsbr_synchronize(): a worker reports a quiescent state
 * only after it has drained its TX buffers, so once the control thread's wait
 * returns no worker holds a packet, a vid or a port from the old snapshot.
 * That is how ports, devices and bridges are removed under traffic.
 *
 * Counters are per worker (no shared writes); the control thread sums them.
 */
#ifndef VSL_DP_H
#define VSL_DP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "classify.h"
#include "ctl_parse.h"
#include "mactable.h"

#define DP_MAX_PORTS 64
#define DP_MAX_BRIDGES 16
#define DP_MAX_WORKERS 8
#define DP_MAX_RXQ 256
#define DP_BURST 32
#define DP_MAX_SOCKETS 8

struct vsl_err;
struct vsl_vhost_port;

/* What a worker needs to know of one port (in a snapshot). */
struct dp_pcfg {
	bool used;       /* present in this snapshot */
	bool up;         /* can receive/transmit: vhost device attached, ethdev started */
	uint8_t type;    /* enum vsl_dp_port_type */
	int vid;         /* vhost device id, -1 when no frontend */
	uint16_t eth_port;
	uint16_t nr_qp;  /* queue pairs in use */
	int16_t xc_peer; /* cross-connect peer slot or -1 */
	int16_t bridge;  /* bridge index or -1 */
	uint32_t mtu;
	struct rte_mempool *mp;
	uint16_t txq[DP_MAX_WORKERS]; /* queue (vhost: pair) each worker transmits on */
	struct vsl_vlan_cfg vlan;
};

struct dp_rxq {
	uint16_t slot;
	uint16_t q;
};

struct dp_snap {
	struct dp_pcfg p[DP_MAX_PORTS];
	struct vsl_mactable *mt[DP_MAX_BRIDGES];
	uint16_t nbports[DP_MAX_BRIDGES];
	uint16_t bports[DP_MAX_BRIDGES][DP_MAX_PORTS];
	uint16_t nrxq[DP_MAX_WORKERS];
	struct dp_rxq rxq[DP_MAX_WORKERS][DP_MAX_RXQ];
};

struct dp_pstats {
	uint64_t rx_pkts, rx_bytes, tx_pkts, tx_bytes;
	uint64_t drop[VSL_DROP__N];
};

struct dp_txbuf {
	uint16_t n;
	struct rte_mbuf *pkts[DP_BURST];
};

/* One worker lcore. Written by that worker only (except `stop`). */
struct dp_worker {
	unsigned idx, lcore;
	_Atomic bool stop;
	struct vsl_dp *dp;
	uint64_t busy_cycles, total_cycles; /* busy: iterations that received packets */
	uint64_t txmask;                    /* slots with buffered packets */
	struct dp_txbuf tx[DP_MAX_PORTS];
	struct dp_pstats st[DP_MAX_PORTS];
} __rte_cache_aligned;

/* Control-thread view of a port. */
struct dp_port {
	bool used;
	struct vsl_dp_port_spec spec;
	struct vsl_vhost_port *vh;
	int vid;
	uint16_t nr_qp;
	uint32_t rx_enabled; /* queue pairs whose guest RX ring is enabled (0: not told, all) */
	int numa;
	uint16_t eth_port;
	bool eth_started;
	int xc_peer; /* slot or -1 */
	int bridge;  /* index or -1 */
	struct dp_pstats base; /* counters at the last stats.clear */
	uint64_t base_err[3];  /* ethdev ierrors, oerrors, imissed at clear */
};

struct dp_bridge {
	bool used;
	char name[VSL_DP_NAME_MAX + 1];
	uint32_t aging, size;
	struct vsl_mactable *mt;
};

struct vsl_dp {
	/* published to workers */
	_Atomic(struct dp_snap *) snap;
	struct rte_rcu_qsbr *qsv;
	unsigned nworkers;
	struct dp_worker *workers[DP_MAX_WORKERS];
	uint64_t drain_tsc;
	/* control thread only */
	struct dp_port ports[DP_MAX_PORTS];
	struct dp_bridge bridges[DP_MAX_BRIDGES];
	struct rte_mempool *mp[DP_MAX_SOCKETS];
	unsigned mbufs; /* per mempool */
	const char *state_path;
	const char *ctl_path;
	bool restoring; /* do not persist while replaying the state file */
};

/* Current time in seconds for MAC aging (monotonic, shared by all threads). */
uint32_t dp_now_s(void);

/* dp_worker.c: the poll loop (rte_eal_remote_launch entry). */
int dp_worker_main(void *arg);

/* dp_snap.c: rebuild, publish and wait (control thread). */
int dp_publish(struct vsl_dp *dp, struct vsl_err **err);

/* dp_port.c */
int dp_port_add(struct vsl_dp *dp, const struct vsl_dp_port_spec *spec, struct vsl_err **err);
int dp_port_del(struct vsl_dp *dp, const char *name, struct vsl_err **err);
int dp_port_find(struct vsl_dp *dp, const char *name);
int dp_bridge_find(struct vsl_dp *dp, const char *name);
int dp_bridge_add(struct vsl_dp *dp, const char *name, uint32_t aging, uint32_t size,
		  struct vsl_err **err);
int dp_bridge_del(struct vsl_dp *dp, const char *name, struct vsl_err **err);
int dp_xc_add(struct vsl_dp *dp, const char *a, const char *b, struct vsl_err **err);
int dp_xc_del(struct vsl_dp *dp, const char *a, struct vsl_err **err);
void dp_vhost_events(struct vsl_dp *dp);
void dp_port_stats(struct vsl_dp *dp, int slot, struct dp_pstats *out);
void dp_shutdown(struct vsl_dp *dp);

/* dp_state.c: persistence (write temp + fsync + rename). */
int dp_state_save(struct vsl_dp *dp, struct vsl_err **err);
int dp_state_restore(struct vsl_dp *dp, struct vsl_err **err);
/* mkdir -p; returns 0 or -1 with errno. */
int dp_mkdir_p(const char *dir);

/* dp_ctl.c: the control socket server loop; returns when *stop is set. */
int dp_ctl_run(struct vsl_dp *dp, volatile int *stop, struct vsl_err **err);
json_t *dp_ctl_handle(struct vsl_dp *dp, const char *line, size_t len);

#endif
