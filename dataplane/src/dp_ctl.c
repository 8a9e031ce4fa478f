/* The control socket: a poll loop on the main lcore serving newline-delimited
 * JSON-RPC 2.0 on a unix socket, plus the vhost event fd and a 1 s tick for
 * MAC aging. Requests are parsed by ctl_parse.c; this file runs them against
 * the tables (dp_port.c) and persists every successful change. A bad request
 * costs one error response; forwarding runs on other cores and never waits.
 */
#include <errno.h>
#include <libgen.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "vessel/cleanup.h"
#include "vessel/err.h"
#include "vessel/log.h"
#include "vessel/vhost_port.h"
#include "dp.h"

#define CTL_MAX_CLIENTS 16
#define CTL_LINE_MAX (64 * 1024)

struct ctl_client {
	int fd;
	size_t len;
	char *buf;
};

static json_t *port_json(struct vsl_dp *dp, int slot)
{
	struct dp_port *p = &dp->ports[slot];
	json_t *o = vsl_dp_port_spec_json(&p->spec);
	bool up = p->spec.type == VSL_PORT_VHOST ? p->vid >= 0 : p->eth_started;

	if (p->spec.type == VSL_PORT_ETHDEV && p->eth_started) {
		struct rte_eth_link link;

		if (rte_eth_link_get_nowait(p->eth_port, &link) == 0)
			up = link.link_status == RTE_ETH_LINK_UP;
	}
	json_object_set_new(o, "link", json_string(up ? "up" : "down"));
	if (p->xc_peer >= 0)
		json_object_set_new(o, "xconnect", json_string(dp->ports[p->xc_peer].spec.name));
	if (p->spec.type == VSL_PORT_VHOST)
		json_object_set_new(o, "queues_active", json_integer(p->vid >= 0 ? p->nr_qp : 0));
	return o;
}

static json_t *stats_json(struct vsl_dp *dp, int slot)
{
	struct dp_port *p = &dp->ports[slot];
	struct dp_pstats s;
	json_t *drops = json_object(), *o;
	uint64_t total = 0, errs[3] = { 0, 0, 0 };

	dp_port_stats(dp, slot, &s);
	for (int r = 0; r < VSL_DROP__N; r++) {
		json_object_set_new(drops, vsl_dp_drop_names[r], json_integer((json_int_t)s.drop[r]));
		total += s.drop[r];
	}
	if (p->spec.type == VSL_PORT_ETHDEV && p->eth_started) {
		struct rte_eth_stats es;

		if (rte_eth_stats_get(p->eth_port, &es) == 0) {
			errs[0] = es.ierrors - p->base_err[0];
			errs[1] = es.oerrors - p->base_err[1];
			errs[2] = es.imissed - p->base_err[2];
		}
	}
	o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:o, s:I, s:I, s:I}", "name", p->spec.name,
		      "link", (p->spec.type == VSL_PORT_VHOST ? p->vid >= 0 : p->eth_started) ? "up" : "down",
		      "rx_packets", (json_int_t)s.rx_pkts, "rx_bytes", (json_int_t)s.rx_bytes,
		      "tx_packets", (json_int_t)s.tx_pkts, "tx_bytes", (json_int_t)s.tx_bytes,
		      "drops", (json_int_t)total, "drop", drops, "rx_errors", (json_int_t)errs[0],
		      "tx_errors", (json_int_t)errs[1], "rx_missed", (json_int_t)errs[2]);
	return o;
}

static void stats_clear(struct vsl_dp *dp, int slot)
{
	struct dp_port *p = &dp->ports[slot];
	struct dp_pstats s;

	dp_port_stats(dp, slot, &s);
	p->base.rx_pkts += s.rx_pkts;
	p->base.rx_bytes += s.rx_bytes;
	p->base.tx_pkts += s.tx_pkts;
	p->base.tx_bytes += s.tx_bytes;
	for (int r = 0; r < VSL_DROP__N; r++)
		p->base.drop[r] += s.drop[r];
	if (p->spec.type == VSL_PORT_ETHDEV && p->eth_started) {
		struct rte_eth_stats es;

		if (rte_eth_stats_get(p->eth_port, &es) == 0) {
			p->base_err[0] = es.ierrors;
			p->base_err[1] = es.oerrors;
			p->base_err[2] = es.imissed;
		}
	}
}

static json_t *workers_json(struct vsl_dp *dp)
{
	json_t *a = json_array();

	for (unsigned w = 0; w < dp->nworkers; w++) {
		struct dp_worker *wk = dp->workers[w];
		uint64_t busy = wk->busy_cycles, total = wk->total_cycles;

		json_array_append_new(a, json_pack("{s:i, s:i, s:I, s:I, s:f}", "worker", w, "lcore",
						   wk->lcore, "busy_cycles", (json_int_t)busy,
						   "total_cycles", (json_int_t)total, "busy_pct",
						   total ? 100.0 * (double)busy / (double)total : 0.0));
	}
	return a;
}

static json_t *mac_json(struct vsl_dp *dp, int b)
{
	struct vsl_mactable *mt = dp->bridges[b].mt;
	unsigned n = vsl_mt_dump(mt, NULL, 0), got;
	cleanup_free struct vsl_mt_row *rows = xzalloc((n + 1) * sizeof(*rows));
	uint32_t now = dp_now_s();
	json_t *a = json_array();

	got = vsl_mt_dump(mt, rows, n);
	for (unsigned i = 0; i < got && i < n; i++) {
		char mac[18];
		const char *port = rows[i].slot < DP_MAX_PORTS && dp->ports[rows[i].slot].used
					   ? dp->ports[rows[i].slot].spec.name
					   : "?";

		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", rows[i].mac[0],
			 rows[i].mac[1], rows[i].mac[2], rows[i].mac[3], rows[i].mac[4], rows[i].mac[5]);
		json_array_append_new(a, json_pack("{s:s, s:s, s:i, s:s, s:i}", "bridge",
						   dp->bridges[b].name, "mac", mac, "vlan", rows[i].vlan,
						   "port", port, "age", (int)(now - rows[i].seen)));
	}
	return a;
}

/* One handler per method: returns the result (new reference) or NULL with
 * *err set. *changed tells the caller to persist the configuration. */
typedef json_t *(*ctl_fn)(struct vsl_dp *dp, struct vsl_dp_req *r, bool *changed,
			  struct vsl_err **err);

static json_t *done(int ret, bool *changed)
{
	*changed = ret == 0;
	return ret == 0 ? json_object() : NULL;
}

static json_t *m_port_add(struct vsl_dp *dp, struct vsl_dp_req *r, bool *changed, struct vsl_err **err)
{
	if (dp_port_add(dp, &r->port, err) < 0)
		return NULL;
	*changed = true;
	return port_json(dp, dp_port_find(dp, r->port.name));
}

static json_t *m_port_del(struct vsl_dp *dp, struct vsl_dp_req *r, bool *changed, struct vsl_err **err)
{
	return done(dp_port_del(dp, r->name, err), changed);
}

static json_t *m_port_list(struct vsl_dp *dp, struct vsl_dp_req *r, bool *changed, struct vsl_err **err)
{
	json_t *a = json_array();

	(void)r, (void)changed, (void)err;
	for (int i = 0; i < DP_MAX_PORTS; i++)
		if (dp->ports[i].used)
			json_array_append_new(a, port_json(dp, i));
	return a;
}

static json_t *m_bridge_add(struct vsl_dp *dp, struct vsl_dp_req *r, bool *changed, struct vsl_err **err)
{
	return done(dp_bridge_add(dp, r->name, r->aging, r->size, err), changed);
}

static json_t *m_bridge_del(struct vsl_dp *dp, struct vsl_dp_req *r, bool *changed, struct vsl_err **err)
{
	return done(dp_bridge_del(dp, r->name, err), changed);
}

static json_t *m_bridge_list(struct vsl_dp *dp, struct vsl_dp_req *r, bool *changed, struct vsl_err **err)
{
	json_t *a = json_array();

	(void)r, (void)changed, (void)err;
	for (int i = 0; i < DP_MAX_BRIDGES; i++) {
		json_t *ports;

		if (!dp->bridges[i].used)
			continue;
		ports = json_array();
		for (int p = 0; p < DP_MAX_PORTS; p++)
			if (dp->ports[p].used && dp->ports[p].bridge == i)
				json_array_append_new(ports, json_string(dp->ports[p].spec.name));
		json_array_append_new(a, json_pack("{s:s, s:i, s:i, s:o, s:I}", "name", dp->bridges[i].name,
						   "aging", dp->bridges[i].aging, "size", dp->bridges[i].size,
						   "ports", ports, "learn_full",
						   (json_int_t)dp->bridges[i].mt->learn_full));
	}
	return a;
}

static json_t *m_xc_add(struct vsl_dp *dp, struct vsl_dp_req *r, bool *changed, struct vsl_err **err)
{
	return done(dp_xc_add(dp, r->a, r->b, err), changed);
}

static json_t *m_xc_del(struct vsl_dp *dp, struct vsl_dp_req *r, bool *changed, struct vsl_err **err)
{
	return done(dp_xc_del(dp, r->a, err), changed);
}

static json_t *m_xc_list(struct vsl_dp *dp, struct vsl_dp_req *r, bool *changed, struct vsl_err **err)
{
	json_t *a = json_array();

	(void)r, (void)changed, (void)err;
	for (int i = 0; i < DP_MAX_PORTS; i++)
		if (dp->ports[i].used && dp->ports[i].xc_peer > i)
			json_array_append_new(a, json_pack("{s:s, s:s}", "a", dp->ports[i].spec.name, "b",
							   dp->ports[dp->ports[i].xc_peer].spec.name));
	return a;
}

/* Resolves the optional bridge (r->name) and port (r->a) filters. */
static int filters(struct vsl_dp *dp, struct vsl_dp_req *r, int *b, int *slot, struct vsl_err **err)
{
	*b = -1;
	*slot = -1;
	if (r->name[0] && (*b = dp_bridge_find(dp, r->name)) < 0)
		return vsl_err_make(err, ENOENT, "bridge: no bridge `%s`", r->name);
	if (r->a[0] && (*slot = dp_port_find(dp, r->a)) < 0)
		return vsl_err_make(err, ENOENT, "port: no port `%s`", r->a);
	return 0;
}

static json_t *m_mac_show(struct vsl_dp *dp, struct vsl_dp_req *r, bool *changed, struct vsl_err **err)
{
	json_t *a;
	int b, slot;

	(void)changed;
	if (filters(dp, r, &b, &slot, err) < 0)
		return NULL;
	a = json_array();
	for (int i = 0; i < DP_MAX_BRIDGES; i++) {
		json_t *rows;

		if (!dp->bridges[i].used || (b >= 0 && i != b))
			continue;
		rows = mac_json(dp, i);
		json_array_extend(a, rows);
		json_decref(rows);
	}
	return a;
}

static json_t *m_mac_flush(struct vsl_dp *dp, struct vsl_dp_req *r, bool *changed, struct vsl_err **err)
{
	unsigned n = 0;
	int b, slot;

	(void)changed;
	if (filters(dp, r, &b, &slot, err) < 0)
		return NULL;
	for (int i = 0; i < DP_MAX_BRIDGES; i++)
		if (dp->bridges[i].used && (b < 0 || i == b))
			n += vsl_mt_flush(dp->bridges[i].mt, slot);
	return json_pack("{s:i}", "flushed", n);
}

static json_t *m_stats(struct vsl_dp *dp, struct vsl_dp_req *r, bool *changed, struct vsl_err **err)
{
	bool clear = r->method == VSL_M_STATS_CLEAR;
	json_t *a;
	int b, slot;

	(void)changed;
	r->name[0] = '\0';
	if (filters(dp, r, &b, &slot, err) < 0)
		return NULL;
	a = json_array();
	for (int i = 0; i < DP_MAX_PORTS; i++) {
		if (!dp->ports[i].used || (slot >= 0 && i != slot))
			continue;
		if (clear)
			stats_clear(dp, i);
		else
			json_array_append_new(a, stats_json(dp, i));
	}
	if (clear) {
		json_decref(a);
		return json_object();
	}
	return json_pack("{s:o, s:o}", "ports", a, "workers", workers_json(dp));
}

static const ctl_fn ctl_methods[VSL_M__N] = {
	[VSL_M_PORT_ADD] = m_port_add,     [VSL_M_PORT_DEL] = m_port_del,
	[VSL_M_PORT_LIST] = m_port_list,   [VSL_M_BRIDGE_ADD] = m_bridge_add,
	[VSL_M_BRIDGE_DEL] = m_bridge_del, [VSL_M_BRIDGE_LIST] = m_bridge_list,
	[VSL_M_XC_ADD] = m_xc_add,         [VSL_M_XC_DEL] = m_xc_del,
	[VSL_M_XC_LIST] = m_xc_list,       [VSL_M_MAC_SHOW] = m_mac_show,
	[VSL_M_MAC_FLUSH] = m_mac_flush,   [VSL_M_STATS_SHOW] = m_stats,
	[VSL_M_STATS_CLEAR] = m_stats,
};

json_t *dp_ctl_handle(struct vsl_dp *dp, const char *line, size_t len)
{
	cleanup_err struct vsl_err *err = NULL;
	struct vsl_dp_req req;
	json_t *resp, *res;
	bool changed = false;

	if (vsl_dp_req_parse(line, len, &req, &resp) < 0)
		return resp;
	res = ctl_methods[req.method](dp, &req, &changed, &err);
	if (res == NULL) {
		resp = vsl_rpc_error(req.id, VSL_RPC_SERVER_ERROR, NULL, "%s",
				     err ? err->msg : "failed");
	} else {
		resp = vsl_rpc_result(req.id, res);
		if (changed && dp_state_save(dp, &err) < 0)
			vsl_log_err(steal_pointer(&err));
	}
	vsl_dp_req_release(&req);
	return resp;
}

static int ctl_listen(const char *path, struct vsl_err **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	cleanup_close int fd = -1;

	if (strlen(path) >= sizeof(sa.sun_path))
		return vsl_err_make(err, ENAMETOOLONG, "control socket `%s`", path);
	strcpy(sa.sun_path, path);
	{
		cleanup_free char *d = xstrdup(path);

		if (dp_mkdir_p(dirname(d)) < 0)
			return vsl_err_make(err, errno, "control socket `%s`: create directory", path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return vsl_err_make(err, errno, "control socket `%s`: socket", path);
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return vsl_err_make(err, errno, "control socket `%s`: bind (does the directory exist?)", path);
	chmod(path, 0660);
	if (listen(fd, 16) < 0)
		return vsl_err_make(err, errno, "control socket `%s`: listen", path);
	return steal_fd(&fd);
}

static void client_close(struct ctl_client *c)
{
	close(c->fd);
	free(c->buf);
	c->fd = -1;
	c->buf = NULL;
	c->len = 0;
}

static void client_send(struct ctl_client *c, json_t *resp)
{
	cleanup_free char *s = json_dumps(resp, JSON_COMPACT);
	size_t n, off = 0;

	json_decref(resp);
	if (s == NULL)
		return;
	n = strlen(s);
	s[n++] = '\n'; /* json_dumps leaves room: replace the NUL */
	while (off < n) {
		ssize_t w = write(c->fd, s + off, n - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd pf = { .fd = c->fd, .events = POLLOUT };

				if (poll(&pf, 1, 2000) > 0)
					continue;
			}
			client_close(c);
			return;
		}
		off += (size_t)w;
	}
}

/* Reads what is there and answers every complete line. */
static void client_read(struct vsl_dp *dp, struct ctl_client *c)
{
	ssize_t r;
	char *nl;

	if (c->buf == NULL)
		c->buf = xmalloc(CTL_LINE_MAX + 1);
	r = read(c->fd, c->buf + c->len, CTL_LINE_MAX - c->len);
	if (r <= 0) {
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		client_close(c);
		return;
	}
	c->len += (size_t)r;
	while (c->fd >= 0 && (nl = memchr(c->buf, '\n', c->len)) != NULL) {
		size_t l = (size_t)(nl - c->buf);

		if (l > 0 && !(l == 1 && c->buf[0] == '\r'))
			client_send(c, dp_ctl_handle(dp, c->buf, l));
		if (c->fd < 0)
			return;
		memmove(c->buf, nl + 1, c->len - l - 1);
		c->len -= l + 1;
	}
	if (c->len == CTL_LINE_MAX) {
		client_send(c, vsl_rpc_error(NULL, VSL_RPC_INVALID_REQUEST, NULL,
					     "request longer than %d bytes", CTL_LINE_MAX));
		if (c->fd >= 0)
			client_close(c);
	}
}

static void ctl_age(struct vsl_dp *dp)
{
	uint32_t now = dp_now_s();

	for (int b = 0; b < DP_MAX_BRIDGES; b++)
		if (dp->bridges[b].used)
			vsl_mt_age(dp->bridges[b].mt, now);
}

int dp_ctl_run(struct vsl_dp *dp, volatile int *stop, struct vsl_err **err)
{
	struct ctl_client cl[CTL_MAX_CLIENTS];
	cleanup_close int lfd = ctl_listen(dp->ctl_path, err);
	uint32_t last_age = dp_now_s();

	if (lfd < 0)
		return -1;
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		cl[i] = (struct ctl_client){ .fd = -1 };
	vsl_info("control socket %s ready", dp->ctl_path);
	while (!*stop) {
		struct pollfd pf[CTL_MAX_CLIENTS + 2];
		int map[CTL_MAX_CLIENTS + 2], n = 0, r;

		pf[n] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		map[n++] = -1;
		pf[n] = (struct pollfd){ .fd = vsl_vhost_event_fd(), .events = POLLIN };
		map[n++] = -2;
		for (int i = 0; i < CTL_MAX_CLIENTS; i++)
			if (cl[i].fd >= 0) {
				pf[n] = (struct pollfd){ .fd = cl[i].fd, .events = POLLIN };
				map[n++] = i;
			}
		r = poll(pf, (nfds_t)n, 1000);
		if (r < 0 && errno != EINTR) {
			vsl_err_make(err, errno, "control loop: poll");
			break;
		}
		dp_vhost_events(dp);
		for (int i = 0; r > 0 && i < n; i++) {
			if (!pf[i].revents || map[i] == -2)
				continue;
			if (map[i] == -1) {
				int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
				int j = 0;

				while (fd >= 0 && j < CTL_MAX_CLIENTS && cl[j].fd >= 0)
					j++;
				if (fd >= 0 && j == CTL_MAX_CLIENTS) {
					close(fd); /* too many clients: they will retry */
					continue;
				}
				if (fd >= 0)
					cl[j].fd = fd;
				continue;
			}
			client_read(dp, &cl[map[i]]);
		}
		if (dp_now_s() != last_age) {
			last_age = dp_now_s();
			ctl_age(dp);
		}
	}
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		if (cl[i].fd >= 0)
			client_close(&cl[i]);
	unlink(dp->ctl_path);
	return *stop ? 0 : -1;
}
