/* The pure protobuf side of reporting: decoding the orchestrator's Ack (bytes
 * from the network, so strict and fuzzed) and merging queued reports when
 * the outbox is full (bytes from our own database, decoded just as strictly).
 * No I/O and no agent state, so tests/fuzz/fuzz_orch_proto.c runs exactly
 * this code. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "vessel/cleanup.h"

int vsl_report_ack_parse(const uint8_t *buf, size_t len, const char *node_id, uint64_t *highest,
			 struct vsl_err **err)
{
	if (len == 0)
		return vsl_err_make(err, 0, "malformed acknowledgement: empty body (expected a vessel.Ack protobuf)");
	Vessel__Ack *ack = vessel__ack__unpack(NULL, len, buf);
	if (!ack)
		return vsl_err_make(err, 0, "malformed acknowledgement: %zu bytes that are not a vessel.Ack protobuf",
				    len);
	int r = 0;
	if (strcmp(ack->node_id, node_id) != 0)
		r = vsl_err_make(err, 0, "acknowledgement for node `%.64s`, this node is `%s`", ack->node_id, node_id);
	else if (ack->highest_sequence > INT64_MAX)
		r = vsl_err_make(err, 0, "malformed acknowledgement: highest_sequence %llu out of range",
				 (unsigned long long)ack->highest_sequence);
	else
		*highest = ack->highest_sequence;
	vessel__ack__free_unpacked(ack, NULL);
	return r;
}

int vsl_report_merge(const struct vsl_report_blob *in, size_t n, uint8_t **out, size_t *out_len,
		     unsigned *dropped, struct vsl_err **err)
{
	Vessel__NodeReport **reps = xzalloc((n ? n : 1) * sizeof(*reps));
	Vessel__NodeReport merged = VESSEL__NODE_REPORT__INIT;
	size_t nev = 0;
	int r = -1;
	*dropped = 0;
	if (n == 0) {
		vsl_err_make(err, 0, "nothing to merge");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		reps[i] = vessel__node_report__unpack(NULL, in[i].len, in[i].data);
		if (!reps[i]) {
			vsl_err_make(err, 0, "queued report %zu of %zu does not decode", i + 1, n);
			goto out;
		}
		nev += reps[i]->n_events;
		*dropped += reps[i]->snapshot ? 1 : 0;
	}
	const Vessel__NodeReport *first = reps[0], *last = reps[n - 1];
	merged.node_id = last->node_id;
	merged.agent_version = last->agent_version;
	merged.sequence = last->sequence;
	merged.time = last->time;
	merged.kind = VESSEL__REPORT_KIND__REPORT_KIND_COMPACTED;
	merged.snapshot = 0;
	merged.first_sequence = first->first_sequence ? first->first_sequence : first->sequence;
	merged.n_events = nev;
	merged.events = xzalloc((nev ? nev : 1) * sizeof(*merged.events));
	nev = 0;
	for (size_t i = 0; i < n; i++) {
		merged.snapshots_dropped += reps[i]->snapshots_dropped;
		for (size_t e = 0; e < reps[i]->n_events; e++)
			merged.events[nev++] = reps[i]->events[e];
	}
	merged.snapshots_dropped += *dropped;
	*out_len = vessel__node_report__get_packed_size(&merged);
	*out = xmalloc(*out_len ? *out_len : 1);
	vessel__node_report__pack(&merged, *out);
	free(merged.events);
	r = 0;
out:
	for (size_t i = 0; i < n; i++)
		if (reps[i])
			vessel__node_report__free_unpacked(reps[i], NULL);
	free(reps);
	return r;
}

int vsl_report_resequence(const struct vsl_report_blob *in, uint64_t seq, uint8_t **out, size_t *out_len,
			  struct vsl_err **err)
{
	Vessel__NodeReport *r = vessel__node_report__unpack(NULL, in->len, in->data);
	if (!r)
		return vsl_err_make(err, 0, "queued report does not decode");
	r->sequence = seq;
	r->first_sequence = seq;
	*out_len = vessel__node_report__get_packed_size(r);
	*out = xmalloc(*out_len ? *out_len : 1);
	vessel__node_report__pack(r, *out);
	vessel__node_report__free_unpacked(r, NULL);
	return 0;
}
