/* Decoding what a node sends: a NodeReport from the network is checked
 * before anything is stored (node id shape, sequence numbers). Pure, so the
 * libFuzzer target (tests/fuzz/fuzz_orch_proto.c) runs exactly this. */
#include <stdlib.h>
#include <string.h>

#include "receiver.h"
#include "vessel/cleanup.h"

static int node_id_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 128)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

Vessel__NodeReport *vsl_orch_report_decode(const uint8_t *buf, size_t len, struct vsl_err **err)
{
	if (len == 0) {
		vsl_err_make(err, 0, "empty body: a vessel.NodeReport protobuf expected");
		return NULL;
	}
	Vessel__NodeReport *r = vessel__node_report__unpack(NULL, len, buf);
	if (!r) {
		vsl_err_make(err, 0, "%zu bytes that are not a vessel.NodeReport protobuf", len);
		return NULL;
	}
	if (!node_id_ok(r->node_id))
		vsl_err_make(err, 0, "field `node_id`: 1..128 printable characters without spaces expected");
	else if (r->sequence == 0)
		vsl_err_make(err, 0, "field `sequence`: must be >= 1");
	else if (r->first_sequence > r->sequence)
		vsl_err_make(err, 0, "field `first_sequence`: %llu is after sequence %llu",
			     (unsigned long long)r->first_sequence, (unsigned long long)r->sequence);
	else
		return r;
	vessel__node_report__free_unpacked(r, NULL);
	return NULL;
}

void vsl_orch_ack_encode(const char *node_id, uint64_t highest, uint8_t **out, size_t *out_len)
{
	Vessel__Ack ack = VESSEL__ACK__INIT;
	ack.node_id = (char *)node_id;
	ack.highest_sequence = highest;
	*out_len = vessel__ack__get_packed_size(&ack);
	*out = xmalloc(*out_len ? *out_len : 1);
	vessel__ack__pack(&ack, *out);
}
