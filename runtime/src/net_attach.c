/* VNF ports on vessel-dp or OVS-DPDK: see net_attach.h. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net_attach.h"
#include "vessel/cleanup.h"
#include "vessel/dp_client.h"
#include "vessel/log.h"
#include "vessel/vhost_path.h"

#define DP_CALL_MS 5000

char *vsl_net_sock_path(const struct vsl_net_ctx *c, size_t i, struct vsl_err **err)
{
	char buf[VSL_VHOST_PATH_MAX + 1];
	int r = vsl_vhost_sock_path(buf, sizeof(buf), c->vhost_root, c->id, c->nics[i].ifname);
	if (r < 0)
		return vsl_err_make(err, 0, "container `%s`: NIC `%s`: vhost-user socket path under "
				    "`%s/vhost/%s/` %s", c->id, c->nics[i].ifname, c->vhost_root, c->id,
				    r == -ENAMETOOLONG ? "is longer than a unix socket allows (107): "
				    "use a shorter --root or id" : "is not valid"), NULL;
	return xstrdup(buf);
}

static char *sock_dir(const struct vsl_net_ctx *c)
{
	return xasprintf("%s/vhost/%s", c->vhost_root, c->id);
}

static void remove_sock_dir(const struct vsl_net_ctx *c)
{
	cleanup_free char *dir = sock_dir(c);
	for (size_t i = 0; i < c->n; i++) {
		cleanup_free char *p = xasprintf("%s/%s.sock", dir, c->nics[i].ifname);
		unlink(p);
	}
	rmdir(dir);
}

/* ---- OVS-DPDK through ovs-vsctl ---------------------------------------- */

/* Runs ovs-vsctl with args; on failure the error carries its stderr. */
static int ovs_vsctl(const char *db, const char *const *args, struct vsl_err **err)
{
	const char *argv[32];
	int n = 0, pfd[2];
	cleanup_free char *dbopt = db && *db ? xasprintf("--db=%s", db) : NULL;
	argv[n++] = "ovs-vsctl";
	argv[n++] = "--timeout=10";
	if (dbopt)
		argv[n++] = dbopt;
	for (int i = 0; args[i] && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return vsl_err_make(err, errno, "pipe");
	pid_t pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return vsl_err_make(err, errno, "fork ovs-vsctl");
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
		dup2(nul, 0);
		dup2(nul, 1);
		dup2(pfd[1], 2);
		execvp(argv[0], (char *const *)argv);
		dprintf(2, "exec ovs-vsctl: %s (install openvswitch-switch-dpdk)", strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	char msg[512] = "";
	size_t got = 0;
	ssize_t r;
	while ((r = read(pfd[0], msg + got, sizeof(msg) - 1 - got)) > 0 && got < sizeof(msg) - 1)
		got += (size_t)r;
	close(pfd[0]);
	msg[got] = '\0';
	msg[strcspn(msg, "\n")] = '\0';
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	return vsl_err_make(err, 0, "ovs-vsctl%s%s %s %s: %s", db ? " --db=" : "", db ? db : "",
			    args[0], args[1] ? args[1] : "", msg[0] ? msg : "failed");
}

static int ovs_add(const struct vsl_net_ctx *c, const struct vsl_nic *nic, const char *port,
		   const char *sock, struct vsl_err **err)
{
	cleanup_free char *tag = nic->vlan ? xasprintf("tag=%u", nic->vlan) : NULL;
	cleanup_free char *path = xasprintf("options:vhost-server-path=%s", sock);
	cleanup_free char *mtu = nic->mtu ? xasprintf("mtu_request=%u", nic->mtu) : NULL;
	cleanup_free char *rxq = nic->queues > 1 ? xasprintf("options:n_rxq=%u", nic->queues) : NULL;
	const char *args[16];
	int n = 0;
	args[n++] = "add-port";
	args[n++] = nic->bridge;
	args[n++] = port;
	if (tag)
		args[n++] = tag;
	args[n++] = "--";
	args[n++] = "set";
	args[n++] = "Interface";
	args[n++] = port;
	args[n++] = "type=dpdkvhostuserclient";
	args[n++] = path;
	if (mtu)
		args[n++] = mtu;
	if (rxq)
		args[n++] = rxq;
	args[n] = NULL;
	return ovs_vsctl(c->ovs_db, args, err);
}

static int ovs_del(const struct vsl_net_ctx *c, const char *port, struct vsl_err **err)
{
	const char *args[] = { "--if-exists", "del-port", port, NULL };
	return ovs_vsctl(c->ovs_db, args, err);
}

/* ---- vessel-dp --------------------------------------------------------- */

static bool msg_has(const struct vsl_err *e, const char *s)
{
	return e != NULL && e->msg != NULL && strstr(e->msg, s) != NULL;
}

/* The bridge domain exists afterwards (created if missing; never removed by
 * the runtime: bridge domains are the operator's or vesseld's networks). */
static int dp_ensure_bridge(const struct vsl_net_ctx *c, const char *bridge, struct vsl_err **err)
{
	cleanup_err struct vsl_err *e = NULL;
	json_t *r = vsl_dp_call_ms(c->dp_socket, "bridge.add", json_pack("{s:s}", "name", bridge),
				   DP_CALL_MS, &e);
	if (r != NULL || msg_has(e, "already exists")) {
		if (r != NULL)
			vsl_info("container `%s`: created bridge domain `%s` on vessel-dp", c->id, bridge);
		json_decref(r);
		return 0;
	}
	return vsl_err_make(err, 0, "%s", e->msg);
}

/* Joins port to its peer when the peer exists and is free. */
static int dp_xconnect(const struct vsl_net_ctx *c, const char *port, const char *peer,
		       struct vsl_err **err)
{
	json_t *list = vsl_dp_call_ms(c->dp_socket, "port.list", NULL, DP_CALL_MS, err);
	if (list == NULL)
		return -1;
	json_t *ports = json_is_array(list) ? list : json_object_get(list, "ports"), *p;
	size_t i;
	bool found = false;
	json_array_foreach(ports, i, p)
		found |= json_is_string(json_object_get(p, "name")) &&
			 strcmp(json_string_value(json_object_get(p, "name")), peer) == 0;
	json_decref(list);
	if (!found) {
		vsl_info("container `%s`: port `%s`: cross-connect peer `%s` does not exist yet: "
			 "joined when its VNF is created", c->id, port, peer);
		return 0;
	}
	json_t *r = vsl_dp_call_ms(c->dp_socket, "xconnect.add",
				   json_pack("{s:s, s:s}", "a", port, "b", peer), DP_CALL_MS, err);
	json_decref(r);
	return r ? 0 : -1;
}

static int dp_add(const struct vsl_net_ctx *c, const struct vsl_nic *nic, const char *port,
		  const char *sock, struct vsl_err **err)
{
	if (nic->bridge && dp_ensure_bridge(c, nic->bridge, err) < 0)
		return -1;
	json_t *params = json_pack("{s:s, s:s, s:s, s:i}", "name", port, "type", "vhost", "path",
				   sock, "queues", (int)nic->queues);
	if (nic->bridge)
		json_object_set_new(params, "bridge", json_string(nic->bridge));
	if (nic->vlan) {
		json_object_set_new(params, "vlan_mode", json_string("access"));
		json_object_set_new(params, "vlan", json_integer(nic->vlan));
	}
	if (nic->mtu)
		json_object_set_new(params, "mtu", json_integer(nic->mtu));
	json_t *r = vsl_dp_call_ms(c->dp_socket, "port.add", params, DP_CALL_MS, err);
	if (r == NULL)
		return -1;
	json_decref(r);
	if (nic->xconnect && dp_xconnect(c, port, nic->xconnect, err) < 0) {
		json_decref(vsl_dp_call_ms(c->dp_socket, "port.del", json_pack("{s:s}", "name", port),
					   DP_CALL_MS, NULL));
		return -1;
	}
	return 0;
}

static int dp_del(const struct vsl_net_ctx *c, const char *port, struct vsl_err **err)
{
	cleanup_err struct vsl_err *e = NULL;
	json_t *r = vsl_dp_call_ms(c->dp_socket, "port.del", json_pack("{s:s}", "name", port),
				   DP_CALL_MS, &e);
	json_decref(r);
	if (r != NULL || msg_has(e, "no such port"))
		return 0;
	return vsl_err_make(err, 0, "%s", e->msg);
}

/* ---- both -------------------------------------------------------------- */

static int del_one(const struct vsl_net_ctx *c, size_t i, struct vsl_err **err)
{
	const struct vsl_nic *nic = &c->nics[i];
	cleanup_free char *port = vsl_nic_port_name(c->id, nic);
	int r = nic->backend == VSL_NIC_OVS ? ovs_del(c, port, err) : dp_del(c, port, err);
	if (r < 0)
		return vsl_err_wrap(err, "container `%s`: remove port `%s` (org.vessel.net.%u)", c->id,
				    port, nic->index);
	return 0;
}

int vsl_net_attach(const struct vsl_net_ctx *c, struct vsl_err **err)
{
	if (c->n == 0)
		return 0;
	cleanup_free char *vdir = xasprintf("%s/vhost", c->vhost_root);
	cleanup_free char *dir = sock_dir(c);
	if ((mkdir(vdir, 0711) < 0 && errno != EEXIST) || (mkdir(dir, 0700) < 0 && errno != EEXIST))
		return vsl_err_make(err, errno, "container `%s`: create `%s`", c->id, dir);
	size_t added = 0;
	for (; added < c->n; added++) {
		const struct vsl_nic *nic = &c->nics[added];
		cleanup_free char *port = vsl_nic_port_name(c->id, nic);
		cleanup_free char *sock = vsl_net_sock_path(c, added, err);
		int r = sock == NULL ? -1 : strlen(port) > 79
			? vsl_err_make(err, 0, "port name `%s` is longer than 79 characters: use a "
				       "shorter container id", port)
			: nic->backend == VSL_NIC_OVS ? ovs_add(c, nic, port, sock, err)
						      : dp_add(c, nic, port, sock, err);
		if (r < 0) {
			vsl_err_wrap(err, "container `%s`: NIC `%s` (org.vessel.net.%u): add port `%s`",
				     c->id, nic->ifname, nic->index, port);
			if (err && *err && strstr((*err)->msg, "dataplane control socket")) {
				char *m = xasprintf("%s: is vessel-dp running? (org.vessel.dataplane."
						    "socket or VESSEL_DP_SOCKET name its socket)",
						    (*err)->msg);
				free((*err)->msg);
				(*err)->msg = m;
			}
			break;
		}
		vsl_debug("container `%s`: port `%s` added for %s", c->id, port, sock);
	}
	if (added == c->n)
		return 0;
	while (added-- > 0)
		del_one(c, added, NULL);
	remove_sock_dir(c);
	return -1;
}

int vsl_net_detach(const struct vsl_net_ctx *c, struct vsl_err **err)
{
	int r = 0;
	for (size_t i = 0; i < c->n; i++) {
		cleanup_err struct vsl_err *e = NULL;
		if (del_one(c, i, &e) < 0 && r == 0)
			r = vsl_err_make(err, 0, "%s", e->msg);
	}
	if (c->n > 0)
		remove_sock_dir(c);
	return r;
}
