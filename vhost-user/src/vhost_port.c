/* vhost-user client ports: registration with reconnect, the callback-to-owner
 * event queue and the DEVICE_DOWN handshake. See vessel/vhost_port.h for the
 * threading contract. Everything here is control plane: a mutex and a
 * condition variable are fine; the datapath helpers are inline in the header.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_net.h>

#include "vessel/cleanup.h"
#include "vessel/err.h"
#include "vessel/log.h"
#include "vessel/vhost_port.h"

struct vsl_vhost_waiter {
	int refs;  /* the waiting callback + the queued/popped event */
	bool done;
};

struct vsl_vhost_port {
	char *path;
	void *owner;
	uint16_t nr_qp_max;
	bool detached;
	struct vsl_vhost_port *next;
};

struct event_node {
	struct vsl_vhost_event ev;
	struct event_node *next;
};

/* One lock for the registry, the queue and the waiters. */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;
static struct vsl_vhost_port *g_ports;
static struct event_node *g_head, *g_tail;
static int g_efd = -1;

/* Features we never negotiate: the switch does not segment or checksum, so a
 * guest must hand it whole, checksummed frames no bigger than the port MTU. */
#define VSL_VHOST_DISABLED_FEATURES                                                              \
	((1ULL << VIRTIO_NET_F_HOST_TSO4) | (1ULL << VIRTIO_NET_F_HOST_TSO6) |                    \
	 (1ULL << VIRTIO_NET_F_HOST_ECN) | (1ULL << VIRTIO_NET_F_HOST_UFO) |                      \
	 (1ULL << VIRTIO_NET_F_GUEST_TSO4) | (1ULL << VIRTIO_NET_F_GUEST_TSO6) |                  \
	 (1ULL << VIRTIO_NET_F_GUEST_ECN) | (1ULL << VIRTIO_NET_F_GUEST_UFO) |                    \
	 (1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_CSUM))

/* Caller holds g_lock. */
static struct vsl_vhost_port *port_by_vid_locked(int vid)
{
	char path[PATH_MAX];

	if (rte_vhost_get_ifname(vid, path, sizeof(path)) < 0)
		return NULL;
	for (struct vsl_vhost_port *p = g_ports; p; p = p->next)
		if (strcmp(p->path, path) == 0)
			return p;
	return NULL;
}

/* Caller holds g_lock. */
static void push_locked(const struct vsl_vhost_event *ev)
{
	struct event_node *n = xzalloc(sizeof(*n));
	uint64_t one = 1;

	n->ev = *ev;
	if (g_tail)
		g_tail->next = n;
	else
		g_head = n;
	g_tail = n;
	if (write(g_efd, &one, sizeof(one)) < 0)
		vsl_warn("vhost: eventfd write: %s", strerror(errno));
}

/* Caller holds g_lock. */
static void waiter_put_locked(struct vsl_vhost_waiter *w)
{
	if (w && --w->refs == 0)
		free(w);
}

static int cb_new_device(int vid)
{
	struct vsl_vhost_event ev = { .type = VSL_VHOST_DEVICE_UP, .vid = vid };
	struct vsl_vhost_port *p;
	uint16_t nq = (uint16_t)(rte_vhost_get_vring_num(vid) / 2);

	/* Poll mode: the guest need not kick us. */
	for (uint16_t q = 0; q < nq * 2; q++)
		rte_vhost_enable_guest_notification(vid, q, 0);
	pthread_mutex_lock(&g_lock);
	p = port_by_vid_locked(vid);
	if (p && !p->detached) {
		ev.port = p;
		ev.owner = p->owner;
		ev.nr_qp = nq < 1 ? 1 : (nq > p->nr_qp_max ? p->nr_qp_max : nq);
		ev.numa_node = rte_vhost_get_numa_node(vid);
		push_locked(&ev);
	}
	pthread_mutex_unlock(&g_lock);
	return 0;
}

/* rte_vhost unmaps the device once we return, so wait until the owner has
 * taken it away from the workers (event done) or the port was detached. */
static void cb_destroy_device(int vid)
{
	struct vsl_vhost_event ev = { .type = VSL_VHOST_DEVICE_DOWN, .vid = vid };
	struct vsl_vhost_waiter *w;
	struct vsl_vhost_port *p;

	pthread_mutex_lock(&g_lock);
	p = port_by_vid_locked(vid);
	if (p == NULL || p->detached) {
		pthread_mutex_unlock(&g_lock);
		return;
	}
	w = xzalloc(sizeof(*w));
	w->refs = 2;
	ev.port = p;
	ev.owner = p->owner;
	ev.waiter = w;
	push_locked(&ev);
	while (!w->done && !p->detached) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&g_cond, &g_lock, &ts);
	}
	waiter_put_locked(w);
	pthread_mutex_unlock(&g_lock);
}

static int cb_vring_state(int vid, uint16_t vring, int enable)
{
	struct vsl_vhost_event ev = { .type = VSL_VHOST_VRING_STATE, .vid = vid };
	struct vsl_vhost_port *p;

	pthread_mutex_lock(&g_lock);
	p = port_by_vid_locked(vid);
	if (p && !p->detached) {
		ev.port = p;
		ev.owner = p->owner;
		ev.vring = vring;
		ev.enabled = enable != 0;
		push_locked(&ev);
	}
	pthread_mutex_unlock(&g_lock);
	return 0;
}

static const struct rte_vhost_device_ops vsl_vhost_ops = {
	.new_device = cb_new_device,
	.destroy_device = cb_destroy_device,
	.vring_state_changed = cb_vring_state,
};

int vsl_vhost_init(struct vsl_err **err)
{
	if (g_efd >= 0)
		return 0;
	g_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (g_efd < 0)
		return vsl_err_make(err, errno, "vhost: eventfd");
	return 0;
}

int vsl_vhost_event_fd(void)
{
	return g_efd;
}

int vsl_vhost_event_next(struct vsl_vhost_event *ev)
{
	struct event_node *n;
	uint64_t v;

	pthread_mutex_lock(&g_lock);
	n = g_head;
	if (n) {
		g_head = n->next;
		if (g_head == NULL)
			g_tail = NULL;
	} else if (read(g_efd, &v, sizeof(v)) < 0 && errno != EAGAIN) {
		vsl_warn("vhost: eventfd read: %s", strerror(errno));
	}
	pthread_mutex_unlock(&g_lock);
	if (n == NULL)
		return 0;
	*ev = n->ev;
	free(n);
	return 1;
}

void vsl_vhost_event_done(struct vsl_vhost_event *ev)
{
	if (ev->waiter == NULL)
		return;
	pthread_mutex_lock(&g_lock);
	ev->waiter->done = true;
	waiter_put_locked(ev->waiter);
	ev->waiter = NULL;
	pthread_cond_broadcast(&g_cond);
	pthread_mutex_unlock(&g_lock);
}

int vsl_vhost_port_open(const char *path, void *owner, uint16_t nr_qp_max,
			struct vsl_vhost_port **out, struct vsl_err **err)
{
	struct vsl_vhost_port *p;
	int ret;

	if (g_efd < 0)
		return vsl_err_make(err, EINVAL, "vhost: vsl_vhost_init() not called");
	ret = rte_vhost_driver_register(path, RTE_VHOST_USER_CLIENT);
	if (ret < 0)
		return vsl_err_make(err, 0, "vhost socket `%s`: register failed (already in use?)", path);
	rte_vhost_driver_disable_features(path, VSL_VHOST_DISABLED_FEATURES);
	if (rte_vhost_driver_callback_register(path, &vsl_vhost_ops) < 0) {
		rte_vhost_driver_unregister(path);
		return vsl_err_make(err, 0, "vhost socket `%s`: callback register failed", path);
	}
	p = xzalloc(sizeof(*p));
	p->path = xstrdup(path);
	p->owner = owner;
	p->nr_qp_max = nr_qp_max ? nr_qp_max : 1;
	pthread_mutex_lock(&g_lock);
	p->next = g_ports;
	g_ports = p;
	pthread_mutex_unlock(&g_lock);
	/* In client mode start() returns 0 even if the socket is missing: the
	 * reconnect thread keeps trying. */
	if (rte_vhost_driver_start(path) < 0) {
		vsl_vhost_port_detach(p);
		vsl_vhost_port_close(p);
		return vsl_err_make(err, 0, "vhost socket `%s`: start failed", path);
	}
	*out = p;
	return 0;
}

void vsl_vhost_port_detach(struct vsl_vhost_port *p)
{
	pthread_mutex_lock(&g_lock);
	p->detached = true;
	pthread_cond_broadcast(&g_cond);
	pthread_mutex_unlock(&g_lock);
}

/* Drops queued events of p, releasing their waiters. Caller holds g_lock. */
static void purge_locked(struct vsl_vhost_port *p)
{
	struct event_node **pp = &g_head, *n;

	g_tail = NULL;
	while ((n = *pp) != NULL) {
		if (n->ev.port == p) {
			*pp = n->next;
			if (n->ev.waiter) {
				n->ev.waiter->done = true;
				waiter_put_locked(n->ev.waiter);
			}
			free(n);
			continue;
		}
		g_tail = n;
		pp = &n->next;
	}
}

void vsl_vhost_port_close(struct vsl_vhost_port *p)
{
	struct vsl_vhost_port **pp;

	if (p == NULL)
		return;
	vsl_vhost_port_detach(p);
	/* May call destroy_device in this thread: it returns at once (detached). */
	rte_vhost_driver_unregister(p->path);
	pthread_mutex_lock(&g_lock);
	for (pp = &g_ports; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	purge_locked(p);
	pthread_cond_broadcast(&g_cond);
	pthread_mutex_unlock(&g_lock);
	free(p->path);
	free(p);
}

const char *vsl_vhost_port_path(const struct vsl_vhost_port *p)
{
	return p->path;
}
