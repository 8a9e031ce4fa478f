/* The shim's part of VNF networking: parse org.vessel.net.N, add the switch
 * ports before QEMU starts (net_attach.h says why), give QEMU its vhost-user
 * NICs and vessel-init the guest side (names, MTU, addresses, routes), and
 * take the ports away again if create fails. delete removes them otherwise
 * (container_ops.c, from the annotations recorded in state.json). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net_attach.h"
#include "shim.h"
#include "vessel/cleanup.h"
#include "vessel/log.h"

static void net_ctx(const struct shim *s, struct vsl_net_ctx *c)
{
	*c = (struct vsl_net_ctx){ .id = s->id, .vhost_root = s->vhost_root,
				   .dp_socket = vsl_nics_dp_socket(s->cfg),
				   .ovs_db = vsl_nics_ovs_db(s->cfg), .nics = s->nics, .n = s->n_nics };
}

int shim_net_parse(struct shim *s, struct vsl_err **err)
{
	char root[PATH_MAX];
	if (vsl_nics_parse(s->cfg, s->id, &s->nics, &s->n_nics, err) < 0)
		return vsl_err_wrap(err, "container `%s`", s->id);
	if (s->n_nics == 0)
		return 0;
	/* the shim runs in <root>/<id>: a relative --root is resolved from there */
	if (realpath(s->root[0] == '/' ? s->root : "..", root) == NULL)
		return vsl_err_make(err, errno, "container `%s`: runtime root `%s`", s->id, s->root);
	s->vhost_root = xstrdup(root);
	struct vsl_net_ctx c;
	net_ctx(s, &c);
	s->vm_nics = xzalloc(s->n_nics * sizeof(*s->vm_nics));
	s->nic_ids = xzalloc(s->n_nics * sizeof(char *));
	s->nic_socks = xzalloc(s->n_nics * sizeof(char *));
	for (size_t i = 0; i < s->n_nics; i++) {
		s->nic_ids[i] = xasprintf("net%zu", i);
		if ((s->nic_socks[i] = vsl_net_sock_path(&c, i, err)) == NULL)
			return -1;
		s->vm_nics[i] = (struct vsl_vm_nic){ .id = s->nic_ids[i], .socket_path = s->nic_socks[i],
						     .mac = s->nics[i].mac, .queues = s->nics[i].queues };
	}
	vsl_state_annotate(s->st, "org.vessel.dataplane.socket", c.dp_socket);
	if (c.ovs_db)
		vsl_state_annotate(s->st, "org.vessel.ovs.db", c.ovs_db);
	return 0;
}

int shim_net_attach(struct shim *s, struct vsl_err **err)
{
	struct vsl_net_ctx c;
	net_ctx(s, &c);
	if (vsl_net_attach(&c, err) < 0)
		return -1;
	s->nets_attached = s->n_nics > 0;
	return 0;
}

void shim_net_detach(struct shim *s)
{
	if (!s->nets_attached)
		return;
	struct vsl_net_ctx c;
	net_ctx(s, &c);
	cleanup_err struct vsl_err *e = NULL;
	if (vsl_net_detach(&c, &e) < 0)
		vsl_warn("%s", e->msg);
	s->nets_attached = false;
}

void shim_net_free(struct shim *s)
{
	for (size_t i = 0; s->nic_ids && i < s->n_nics; i++) {
		free(s->nic_ids[i]);
		free(s->nic_socks[i]);
	}
	free(s->nic_ids);
	free(s->nic_socks);
	free(s->vm_nics);
	free(s->vhost_root);
	vsl_nics_free(s->nics, s->n_nics);
}

/* Guest side of each NIC for Create (arrays live in *b until freed). */
void shim_net_ifaces(struct shim *s, struct shim_net_ifaces *b)
{
	memset(b, 0, sizeof(*b));
	b->n = s->n_nics;
	if (b->n == 0)
		return;
	b->ifs = xzalloc(b->n * sizeof(*b->ifs));
	b->ifp = xzalloc(b->n * sizeof(*b->ifp));
	b->routes = xzalloc(b->n * sizeof(*b->routes));
	b->routep = xzalloc(b->n * sizeof(*b->routep));
	for (size_t i = 0; i < b->n; i++) {
		const struct vsl_nic *nic = &s->nics[i];
		Vessel__Ctl__NetIf *nif = &b->ifs[i];
		vessel__ctl__net_if__init(nif);
		nif->mac = (char *)nic->mac;
		nif->name = nic->ifname;
		nif->mtu = nic->mtu;
		nif->n_addresses = nic->n_addresses;
		nif->addresses = nic->addresses;
		b->routes[i] = xzalloc((nic->n_routes + 1) * sizeof(Vessel__Ctl__Route));
		b->routep[i] = xzalloc((nic->n_routes + 1) * sizeof(Vessel__Ctl__Route *));
		for (size_t j = 0; j < nic->n_routes; j++) {
			vessel__ctl__route__init(&b->routes[i][j]);
			b->routes[i][j].destination = nic->routes[j].to;
			b->routes[i][j].gateway = nic->routes[j].via ? nic->routes[j].via : (char *)"";
			b->routep[i][j] = &b->routes[i][j];
		}
		nif->n_routes = nic->n_routes;
		nif->routes = b->routep[i];
		b->ifp[i] = nif;
	}
}

void shim_net_ifaces_free(struct shim_net_ifaces *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->routes[i]);
		free(b->routep[i]);
	}
	free(b->routes);
	free(b->routep);
	free(b->ifs);
	free(b->ifp);
}
