/* libvesselvhost: vhost-user client ports over DPDK rte_vhost.
 *
 * vessel-dp is always the vhost-user *client*: the frontend (QEMU, or a
 * net_virtio_user port with server=1) owns the socket, and rte_vhost
 * reconnects whenever the frontend appears, goes away or comes back. So the
 * switch can be restarted without restarting any VNF, and a port can be added
 * before its socket exists.
 *
 * Threading contract. rte_vhost calls our callbacks from its own event thread.
 * They never touch worker state: they queue a struct vsl_vhost_event and wake
 * the owner through an eventfd (vsl_vhost_event_fd). The owner (the dataplane
 * control thread) drains the queue with vsl_vhost_event_next() and publishes
 * the change to its workers (RCU). DEVICE_DOWN is special: rte_vhost frees
 * the device as soon as destroy_device returns, so that callback waits until
 * the owner calls vsl_vhost_event_done() after its workers have let go of the
 * device (or until the owner marks the port detached, see
 * vsl_vhost_port_detach(), which is what makes port removal deadlock-free).
 */
#ifndef VESSEL_VHOST_PORT_H
#define VESSEL_VHOST_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_vhost.h>

struct vsl_err;
struct vsl_vhost_port; /* opaque: one registered socket */

enum vsl_vhost_event_type {
	VSL_VHOST_DEVICE_UP,    /* frontend connected and ready: vid, nr_qp valid */
	VSL_VHOST_DEVICE_DOWN,  /* frontend gone: must be acknowledged */
	VSL_VHOST_VRING_STATE,  /* queue enabled/disabled */
};

struct vsl_vhost_event {
	enum vsl_vhost_event_type type;
	struct vsl_vhost_port *port; /* port the event belongs to */
	void *owner;                 /* the owner pointer given at open */
	int vid;
	uint16_t nr_qp;              /* DEVICE_UP: queue pairs offered */
	int numa_node;               /* DEVICE_UP: NUMA node of guest memory, -1 unknown */
	uint16_t vring;              /* VRING_STATE: vring index */
	bool enabled;                /* VRING_STATE */
	struct vsl_vhost_waiter *waiter; /* internal: the DEVICE_DOWN callback waiting */
};

/* Sets up the event queue. Call once after rte_eal_init(), before any open.
 * Returns 0 or negative with *err set. */
int vsl_vhost_init(struct vsl_err **err);

/* Eventfd that is readable while events are queued (level: drain it fully). */
int vsl_vhost_event_fd(void);

/* Pops the next event into *ev. Returns 1 if one was popped, 0 if empty.
 * A DEVICE_DOWN event must be passed to vsl_vhost_event_done(). */
int vsl_vhost_event_next(struct vsl_vhost_event *ev);

/* Acknowledges a DEVICE_DOWN event: the owner's workers no longer use ev->vid.
 * No-op for other events. */
void vsl_vhost_event_done(struct vsl_vhost_event *ev);

/* Registers a client socket at path and starts connecting (with reconnect).
 * The socket need not exist yet. owner is returned in every event.
 * nr_qp_max caps the queue pairs negotiated. On success *out owns the port:
 * close it with vsl_vhost_port_close(). */
int vsl_vhost_port_open(const char *path, void *owner, uint16_t nr_qp_max,
			struct vsl_vhost_port **out, struct vsl_err **err);

/* Tells a DEVICE_DOWN callback still waiting for this port that the owner's
 * workers no longer reference any of its devices, so it may return at once.
 * Call it after unpublishing the port and waiting for the workers, before
 * vsl_vhost_port_close(). */
void vsl_vhost_port_detach(struct vsl_vhost_port *p);

/* Unregisters the socket (disconnecting a live frontend) and frees p.
 * NULL is a no-op. Must not be called from a vhost callback. */
void vsl_vhost_port_close(struct vsl_vhost_port *p);

/* The socket path of p (owned by p). */
const char *vsl_vhost_port_path(const struct vsl_vhost_port *p);

/* Datapath helpers: queue pair qp, guest TX ring (we dequeue) / guest RX ring
 * (we enqueue). No locks, no allocation except mbufs from mp. */
static inline uint16_t vsl_vhost_rx_burst(int vid, uint16_t qp, struct rte_mempool *mp,
					  struct rte_mbuf **pkts, uint16_t n)
{
	return rte_vhost_dequeue_burst(vid, (uint16_t)(qp * 2 + 1), mp, pkts, n);
}

/* Enqueues (copies) up to n packets and frees all n mbufs; returns how many
 * the guest accepted (the rest are tx-full drops). */
static inline uint16_t vsl_vhost_tx_burst(int vid, uint16_t qp, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t sent = rte_vhost_enqueue_burst(vid, (uint16_t)(qp * 2), pkts, n);

	rte_pktmbuf_free_bulk(pkts, n);
	return sent;
}

#endif
