/* Ports, bridge domains and cross-connects: the control thread's tables and
 * every change to them. Each change ends in dp_publish(), so workers switch
 * to the new tables and let go of the old ones before anything is freed:
 * a port is removed from the snapshot first, then its device is torn down.
 */
#include <stdio.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include "vessel/cleanup.h"
#include "vessel/err.h"
#include "vessel/log.h"
#include "vessel/vhost_port.h"
#include "dp.h"

int dp_port_find(struct vsl_dp *dp, const char *name)
{
	for (int i = 0; i < DP_MAX_PORTS; i++)
		if (dp->ports[i].used && strcmp(dp->ports[i].spec.name, name) == 0)
			return i;
	return -1;
}

int dp_bridge_find(struct vsl_dp *dp, const char *name)
{
	for (int i = 0; i < DP_MAX_BRIDGES; i++)
		if (dp->bridges[i].used && strcmp(dp->bridges[i].name, name) == 0)
			return i;
	return -1;
}

/* The mbuf pool of a NUMA node, created on first use. */
static struct rte_mempool *dp_mempool(struct vsl_dp *dp, int socket, struct vsl_err **err)
{
	char name[32];

	if (socket < 0 || socket >= DP_MAX_SOCKETS)
		socket = 0;
	if (dp->mp[socket])
		return dp->mp[socket];
	snprintf(name, sizeof(name), "vsl_mbuf_%d", socket);
	dp->mp[socket] = rte_pktmbuf_pool_create(name, dp->mbufs, 256, 0,
						 RTE_MBUF_DEFAULT_BUF_SIZE, socket);
	if (dp->mp[socket] == NULL) {
		vsl_err_make(err, rte_errno, "mbuf pool on NUMA node %d (%u mbufs): are hugepages "
			     "reserved? (scripts/hugepages reserve N)", socket, dp->mbufs);
		return NULL;
	}
	return dp->mp[socket];
}

static int ethdev_open(struct vsl_dp *dp, struct dp_port *p, struct vsl_err **err)
{
	const struct vsl_dp_port_spec *s = &p->spec;
	struct rte_eth_conf conf = { 0 };
	struct rte_mempool *mp;
	char name[RTE_ETH_NAME_MAX_LEN];
	uint16_t pid;
	int ret, socket;

	snprintf(name, sizeof(name), "%.*s", (int)strcspn(s->devargs, ","), s->devargs);
	if (rte_eth_dev_get_port_by_name(name, &pid) == 0)
		return vsl_err_make(err, EEXIST, "port `%s`: devargs: device `%s` is already in use",
				    s->name, name);
	ret = rte_dev_probe(s->devargs);
	if (ret < 0)
		return vsl_err_make(err, -ret, "port `%s`: devargs: probe `%s` failed", s->name,
				    s->devargs);
	if (rte_eth_dev_get_port_by_name(name, &pid) != 0)
		return vsl_err_make(err, ENODEV, "port `%s`: devargs: `%s` probed but no ethdev named `%s`",
				    s->name, s->devargs, name);
	p->eth_port = pid;
	socket = rte_eth_dev_socket_id(pid);
	p->numa = socket < 0 ? 0 : socket;
	mp = dp_mempool(dp, p->numa, err);
	if (mp == NULL)
		goto fail;
	ret = rte_eth_dev_configure(pid, 1, (uint16_t)dp->nworkers, &conf);
	if (ret == 0)
		ret = rte_eth_rx_queue_setup(pid, 0, 1024, (unsigned)p->numa, NULL, mp);
	for (unsigned w = 0; ret == 0 && w < dp->nworkers; w++)
		ret = rte_eth_tx_queue_setup(pid, (uint16_t)w, 1024, (unsigned)p->numa, NULL);
	if (ret < 0) {
		vsl_err_make(err, -ret, "port `%s`: configure ethdev `%s`", s->name, name);
		goto fail;
	}
	if (s->mtu != 1500 && (ret = rte_eth_dev_set_mtu(pid, (uint16_t)s->mtu)) < 0 && ret != -ENOTSUP)
		vsl_warn("port `%s`: set MTU %u: %s", s->name, s->mtu, rte_strerror(-ret));
	rte_eth_promiscuous_enable(pid);
	ret = rte_eth_dev_start(pid);
	if (ret < 0) {
		vsl_err_make(err, -ret, "port `%s`: start ethdev `%s`", s->name, name);
		goto fail;
	}
	p->eth_started = true;
	return 0;
fail:
	{
		struct rte_eth_dev_info info;

		if (rte_eth_dev_info_get(pid, &info) == 0 && info.device)
			rte_dev_remove(info.device);
	}
	return -1;
}

static void ethdev_close(struct dp_port *p)
{
	struct rte_eth_dev_info info;
	struct rte_device *dev = NULL;

	if (rte_eth_dev_info_get(p->eth_port, &info) == 0)
		dev = info.device;
	if (p->eth_started)
		rte_eth_dev_stop(p->eth_port);
	p->eth_started = false;
	if (dev == NULL || rte_dev_remove(dev) < 0)
		rte_eth_dev_close(p->eth_port);
}

int dp_port_add(struct vsl_dp *dp, const struct vsl_dp_port_spec *spec, struct vsl_err **err)
{
	struct dp_port *p = NULL;
	int slot = -1, br = -1;

	if (dp_port_find(dp, spec->name) >= 0)
		return vsl_err_make(err, EEXIST, "port `%s`: name: already exists", spec->name);
	if (spec->bridge[0] && (br = dp_bridge_find(dp, spec->bridge)) < 0)
		return vsl_err_make(err, ENOENT, "port `%s`: bridge: no bridge `%s` (bridge.add it first)",
				    spec->name, spec->bridge);
	for (int i = 0; i < DP_MAX_PORTS; i++)
		if (spec->type == VSL_PORT_VHOST && dp->ports[i].used &&
		    dp->ports[i].spec.type == VSL_PORT_VHOST &&
		    strcmp(dp->ports[i].spec.path, spec->path) == 0)
			return vsl_err_make(err, EEXIST, "port `%s`: path: `%s` is already port `%s`",
					    spec->name, spec->path, dp->ports[i].spec.name);
	for (int i = 0; i < DP_MAX_PORTS && slot < 0; i++)
		if (!dp->ports[i].used)
			slot = i;
	if (slot < 0)
		return vsl_err_make(err, ENOSPC, "port `%s`: too many ports (max %d)", spec->name,
				    DP_MAX_PORTS);
	p = &dp->ports[slot];
	memset(p, 0, sizeof(*p));
	p->spec = *spec;
	p->vid = -1;
	p->xc_peer = -1;
	p->bridge = br;
	p->numa = -1;
	dp_port_stats(dp, slot, &p->base); /* counters start at zero for a reused slot */
	if (spec->type == VSL_PORT_VHOST) {
		if (dp_mempool(dp, (int)rte_socket_id(), err) == NULL)
			return vsl_err_wrap(err, "port `%s`", spec->name);
		if (vsl_vhost_port_open(spec->path, p, spec->queues, &p->vh, err) < 0)
			return vsl_err_wrap(err, "port `%s`: path", spec->name);
	} else if (ethdev_open(dp, p, err) < 0) {
		return -1;
	}
	p->used = true;
	vsl_info("port `%s` added (%s %s)", spec->name, spec->type == VSL_PORT_VHOST ? "vhost" : "ethdev",
		 spec->type == VSL_PORT_VHOST ? spec->path : spec->devargs);
	return dp_publish(dp, err);
}

int dp_port_del(struct vsl_dp *dp, const char *name, struct vsl_err **err)
{
	int slot = dp_port_find(dp, name);
	struct dp_port *p;

	if (slot < 0)
		return vsl_err_make(err, ENOENT, "port `%s`: name: no such port", name);
	p = &dp->ports[slot];
	if (p->xc_peer >= 0)
		dp->ports[p->xc_peer].xc_peer = -1;
	p->used = false;
	/* Workers stop using the port (and its device) before it is torn down. */
	if (dp_publish(dp, err) < 0)
		return -1;
	if (p->bridge >= 0)
		vsl_mt_flush(dp->bridges[p->bridge].mt, slot);
	if (p->spec.type == VSL_PORT_VHOST) {
		vsl_vhost_port_detach(p->vh);
		vsl_vhost_port_close(p->vh);
		p->vh = NULL;
	} else {
		ethdev_close(p);
	}
	vsl_info("port `%s` deleted", name);
	memset(p, 0, sizeof(*p));
	return 0;
}

int dp_bridge_add(struct vsl_dp *dp, const char *name, uint32_t aging, uint32_t size,
		  struct vsl_err **err)
{
	int b = -1;

	if (dp_bridge_find(dp, name) >= 0)
		return vsl_err_make(err, EEXIST, "bridge `%s`: name: already exists", name);
	for (int i = 0; i < DP_MAX_BRIDGES && b < 0; i++)
		if (!dp->bridges[i].used)
			b = i;
	if (b < 0)
		return vsl_err_make(err, ENOSPC, "bridge `%s`: too many bridges (max %d)", name,
				    DP_MAX_BRIDGES);
	dp->bridges[b].mt = vsl_mt_create(size, aging);
	if (dp->bridges[b].mt == NULL)
		return vsl_err_make(err, ENOMEM, "bridge `%s`: size: cannot allocate %u entries", name,
				    size);
	snprintf(dp->bridges[b].name, sizeof(dp->bridges[b].name), "%s", name);
	dp->bridges[b].aging = aging;
	dp->bridges[b].size = size;
	dp->bridges[b].used = true;
	return dp_publish(dp, err);
}

int dp_bridge_del(struct vsl_dp *dp, const char *name, struct vsl_err **err)
{
	int b = dp_bridge_find(dp, name);
	struct vsl_mactable *mt;

	if (b < 0)
		return vsl_err_make(err, ENOENT, "bridge `%s`: name: no such bridge", name);
	for (int i = 0; i < DP_MAX_PORTS; i++)
		if (dp->ports[i].used && dp->ports[i].bridge == b)
			return vsl_err_make(err, EBUSY, "bridge `%s`: port `%s` is still attached (port.del it first)",
					    name, dp->ports[i].spec.name);
	mt = dp->bridges[b].mt;
	memset(&dp->bridges[b], 0, sizeof(dp->bridges[b]));
	if (dp_publish(dp, err) < 0)
		return -1;
	vsl_mt_destroy(mt);
	return 0;
}

int dp_xc_add(struct vsl_dp *dp, const char *a, const char *b, struct vsl_err **err)
{
	int pa = dp_port_find(dp, a), pb = dp_port_find(dp, b);

	if (pa < 0)
		return vsl_err_make(err, ENOENT, "xconnect: a: no port `%s`", a);
	if (pb < 0)
		return vsl_err_make(err, ENOENT, "xconnect: b: no port `%s`", b);
	if (dp->ports[pa].bridge >= 0 || dp->ports[pa].xc_peer >= 0)
		return vsl_err_make(err, EBUSY, "xconnect: a: port `%s` is already in a bridge or cross-connect", a);
	if (dp->ports[pb].bridge >= 0 || dp->ports[pb].xc_peer >= 0)
		return vsl_err_make(err, EBUSY, "xconnect: b: port `%s` is already in a bridge or cross-connect", b);
	dp->ports[pa].xc_peer = pb;
	dp->ports[pb].xc_peer = pa;
	return dp_publish(dp, err);
}

int dp_xc_del(struct vsl_dp *dp, const char *a, struct vsl_err **err)
{
	int pa = dp_port_find(dp, a);

	if (pa < 0)
		return vsl_err_make(err, ENOENT, "xconnect: a: no port `%s`", a);
	if (dp->ports[pa].xc_peer < 0)
		return vsl_err_make(err, ENOENT, "xconnect: a: port `%s` is not cross-connected", a);
	dp->ports[dp->ports[pa].xc_peer].xc_peer = -1;
	dp->ports[pa].xc_peer = -1;
	return dp_publish(dp, err);
}

/* Applies queued vhost events (control thread). */
void dp_vhost_events(struct vsl_dp *dp)
{
	struct vsl_vhost_event ev;

	while (vsl_vhost_event_next(&ev)) {
		struct dp_port *p = ev.owner;
		cleanup_err struct vsl_err *err = NULL;

		if (p == NULL || !p->used || p->vh != ev.port) {
			vsl_vhost_event_done(&ev);
			continue;
		}
		switch (ev.type) {
		case VSL_VHOST_DEVICE_UP:
			p->vid = ev.vid;
			p->nr_qp = ev.nr_qp;
			p->numa = ev.numa_node;
			if (p->numa >= 0 && p->numa < DP_MAX_SOCKETS && dp->mp[p->numa] == NULL &&
			    dp_mempool(dp, p->numa, &err) == NULL) {
				vsl_warn("port `%s`: %s; using another node's pool", p->spec.name, err->msg);
				p->numa = -1;
			}
			vsl_info("port `%s`: frontend connected (vid %d, %u queue pairs)", p->spec.name,
				 ev.vid, ev.nr_qp);
			break;
		case VSL_VHOST_DEVICE_DOWN:
			p->vid = -1;
			p->rx_enabled = 0;
			vsl_info("port `%s`: frontend disconnected", p->spec.name);
			break;
		case VSL_VHOST_VRING_STATE:
			vsl_debug("port `%s`: vring %u %s", p->spec.name, ev.vring,
				  ev.enabled ? "enabled" : "disabled");
			if (ev.vring % 2 != 0 || ev.vring / 2 >= 32)
				continue; /* only the guest RX rings decide where we transmit */
			if (ev.enabled)
				p->rx_enabled |= 1U << (ev.vring / 2);
			else
				p->rx_enabled &= ~(1U << (ev.vring / 2));
			if (p->vid < 0)
				continue; /* published with DEVICE_UP */
			break;
		}
		if (dp_publish(dp, &err) < 0)
			vsl_log_err(steal_pointer(&err));
		vsl_vhost_event_done(&ev);
	}
}

void dp_port_stats(struct vsl_dp *dp, int slot, struct dp_pstats *out)
{
	const struct dp_pstats *b = &dp->ports[slot].base;

	memset(out, 0, sizeof(*out));
	for (unsigned w = 0; w < dp->nworkers; w++) {
		const struct dp_pstats *s = &dp->workers[w]->st[slot];

		out->rx_pkts += s->rx_pkts;
		out->rx_bytes += s->rx_bytes;
		out->tx_pkts += s->tx_pkts;
		out->tx_bytes += s->tx_bytes;
		for (int r = 0; r < VSL_DROP__N; r++)
			out->drop[r] += s->drop[r];
	}
	out->rx_pkts -= b->rx_pkts;
	out->rx_bytes -= b->rx_bytes;
	out->tx_pkts -= b->tx_pkts;
	out->tx_bytes -= b->tx_bytes;
	for (int r = 0; r < VSL_DROP__N; r++)
		out->drop[r] -= b->drop[r];
}

void dp_shutdown(struct vsl_dp *dp)
{
	for (int i = 0; i < DP_MAX_PORTS; i++) {
		struct dp_port *p = &dp->ports[i];

		if (!p->used)
			continue;
		if (p->spec.type == VSL_PORT_VHOST) {
			vsl_vhost_port_detach(p->vh);
			vsl_vhost_port_close(p->vh);
		} else {
			ethdev_close(p);
		}
		p->used = false;
	}
}
