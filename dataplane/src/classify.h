/* Per-frame ingress checks and VLAN rules, as pure functions over the frame
 * bytes so the unit tests exercise exactly what the workers run.
 *
 * Sizes. A frame is a runt when it is shorter than an Ethernet header
 * (VSL_DP_MIN_FRAME = 14 B, or 18 B when it carries an 802.1Q tag). We do not
 * use the 60-byte wire minimum: virtio guests hand over unpadded frames (an
 * ARP request is 42 B) and dropping those would break every VNF. A frame is
 * oversized when its payload (length minus 14 B, minus 4 more if tagged)
 * exceeds the port MTU. Lengths exclude the FCS, as DPDK reports them.
 *
 * VLANs (standard access/trunk semantics, OVS-compatible):
 *  - access port, vlan V: untagged (or priority-tagged, VID 0) frames join
 *    VLAN V; frames tagged with another VID are dropped (vlan); egress carries
 *    only VLAN V, untagged.
 *  - trunk port, native N (default 0), allowed set A (empty = all): a tagged
 *    frame with VID v is accepted if v is in A; an untagged frame joins N and
 *    is accepted if N is in A. Egress: VLANs in A; N leaves untagged, others
 *    tagged.
 * VLAN 0 is the "untagged" domain of plain ports; it never mixes with others.
 */
#ifndef VSL_DP_CLASSIFY_H
#define VSL_DP_CLASSIFY_H

#include <stdbool.h>
#include <stdint.h>

#define VSL_DP_MIN_FRAME 14
#define VSL_DP_ETH_HLEN 14
#define VSL_DP_VLAN_HLEN 4

enum vsl_dp_drop {
	VSL_DROP_RUNT,
	VSL_DROP_OVERSIZE,
	VSL_DROP_VLAN,      /* VLAN not allowed on the port */
	VSL_DROP_NO_ROUTE,  /* port not in a bridge or cross-connect, or nowhere to go */
	VSL_DROP_TX_FULL,   /* egress ring full */
	VSL_DROP_LINK_DOWN, /* egress has no frontend connected */
	VSL_DROP_NO_MBUF,   /* flooding copy failed */
	VSL_DROP__N
};

extern const char *const vsl_dp_drop_names[VSL_DROP__N];

enum vsl_vlan_mode { VSL_VLAN_TRUNK = 0, VSL_VLAN_ACCESS = 1 };

struct vsl_vlan_cfg {
	uint8_t mode;         /* enum vsl_vlan_mode */
	bool allow_all;       /* trunk with no allowed list */
	uint16_t vlan;        /* access VLAN, or trunk native VLAN */
	uint64_t allowed[64]; /* trunk: bitmap of 4096 VIDs */
};

static inline bool vsl_vlan_bit(const struct vsl_vlan_cfg *c, uint16_t v)
{
	return c->allow_all || (c->allowed[(v >> 6) & 63] >> (v & 63)) & 1;
}

/* Checks an ingress frame. On success returns 0 and sets *vlan (the frame's
 * VLAN inside the domain) and *tagged (frame carries an 802.1Q header).
 * Otherwise returns the enum vsl_dp_drop reason + 1 (a positive value). */
static inline int vsl_dp_classify(const uint8_t *f, uint32_t len, uint32_t mtu,
				  const struct vsl_vlan_cfg *c, uint16_t *vlan, bool *tagged)
{
	uint16_t vid = 0;
	bool tag;

	if (len < VSL_DP_MIN_FRAME)
		return VSL_DROP_RUNT + 1;
	tag = f[12] == 0x81 && f[13] == 0x00;
	if (tag) {
		if (len < VSL_DP_ETH_HLEN + VSL_DP_VLAN_HLEN)
			return VSL_DROP_RUNT + 1;
		vid = (uint16_t)(((f[14] & 0x0f) << 8) | f[15]);
	}
	if (len - VSL_DP_ETH_HLEN - (tag ? VSL_DP_VLAN_HLEN : 0) > mtu)
		return VSL_DROP_OVERSIZE + 1;
	*tagged = tag;
	if (c->mode == VSL_VLAN_ACCESS) {
		if (vid != 0 && vid != c->vlan)
			return VSL_DROP_VLAN + 1;
		*vlan = c->vlan;
		return 0;
	}
	if (!tag || vid == 0)
		vid = c->vlan;
	if (!vsl_vlan_bit(c, vid))
		return VSL_DROP_VLAN + 1;
	*vlan = vid;
	return 0;
}

/* May a frame of VLAN vlan leave through a port with cfg c? Sets *tag to
 * whether it leaves tagged. */
static inline bool vsl_dp_egress(const struct vsl_vlan_cfg *c, uint16_t vlan, bool *tag)
{
	if (c->mode == VSL_VLAN_ACCESS) {
		*tag = false;
		return vlan == c->vlan;
	}
	if (!vsl_vlan_bit(c, vlan))
		return false;
	*tag = vlan != c->vlan;
	return true;
}

#endif
