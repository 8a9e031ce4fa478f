/* Attaching a VNF's NICs to the switch: vessel-dp ports over its control
 * socket (port.add with bridge/VLAN, xconnect.add) or OVS-DPDK ports through
 * ovs-vsctl (dpdkvhostuserclient). The switch is the vhost-user client and
 * QEMU owns each socket (vhost-user/include/vessel/vhost_path.h), so ports
 * are added *before* QEMU starts: QEMU 7.2 blocks in vhost-user netdev init
 * until a backend connects, and its QMP does not answer meanwhile.
 *
 * Cross-connects: a NIC with `xconnect` is joined to its peer port when the
 * peer exists; otherwise the peer's own `xconnect` (naming this port) joins
 * them when the peer's VNF is created.
 */
#ifndef VESSEL_NET_ATTACH_H
#define VESSEL_NET_ATTACH_H

#include <stddef.h>

#include "oci_net.h"
#include "vessel/err.h"

struct vsl_net_ctx {
	const char *id;        /* container id */
	const char *vhost_root;/* absolute runtime root: sockets under <root>/vhost/<id>/ */
	const char *dp_socket; /* vessel-dp control socket */
	const char *ovs_db;    /* ovs-vsctl --db, NULL for its default */
	const struct vsl_nic *nics;
	size_t n;
};

/* Socket path of NIC i (caller frees), or NULL with *err (too long, bad name). */
char *vsl_net_sock_path(const struct vsl_net_ctx *c, size_t i, struct vsl_err **err);

/* Creates <root>/vhost/<id>/ and adds every NIC's port (bridge domains
 * created when missing). On failure removes what it added and the directory;
 * the error names the dataplane (socket or ovs-vsctl) and the NIC. */
int vsl_net_attach(const struct vsl_net_ctx *c, struct vsl_err **err);

/* Removes every NIC's port (an absent port is not an error) and the socket
 * directory. Tries all; returns the first error. */
int vsl_net_detach(const struct vsl_net_ctx *c, struct vsl_err **err);

#endif
