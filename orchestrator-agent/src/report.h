/* Reporting to an orchestrator (issue 7): vesseld builds NodeReport
 * protobufs (orchestrator-agent/proto/vessel.proto), keeps each one in an
 * SQLite outbox until the orchestrator acknowledges it, and sends them in
 * order from its own thread (report.c), so the REST API never waits on the
 * WAN. This header splits the work: report_build.c (snapshot of the node),
 * outbox.c (the SQLite queue, bounded by compaction), report_proto.c (pure
 * protobuf functions: the acknowledgement decoder and the compaction merge,
 * fuzzed by tests/fuzz/fuzz_orch_proto.c), report.c (the sender thread). */
#ifndef VSL_AGENT_REPORT_H
#define VSL_AGENT_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vessel.pb-c.h"
#include "vessel/err.h"

struct vsl_agent;

/* ---- report_proto.c (no I/O) ---- */

/* Decodes an orchestrator's answer. The Ack must name node_id; *highest gets
 * the highest sequence the orchestrator stored. Returns 0, or -1 with *err
 * saying what is wrong with it (malformed, other node). */
int vsl_report_ack_parse(const uint8_t *buf, size_t len, const char *node_id, uint64_t *highest,
			 struct vsl_err **err);

/* One queued report as stored in the outbox. */
struct vsl_report_blob {
	const uint8_t *data;
	size_t len;
};

/* Merges n queued reports (oldest first, n >= 1) into one COMPACTED report:
 * the snapshots (inventory, VNFs) are dropped, every event is kept in order,
 * sequence = the last one's, first_sequence = the first one's. *dropped gets
 * the number of snapshots thrown away. *out is malloc'd (caller frees).
 * Returns 0 or -1 with *err (an input that does not decode). */
int vsl_report_merge(const struct vsl_report_blob *in, size_t n, uint8_t **out, size_t *out_len,
		     unsigned *dropped, struct vsl_err **err);

/* Re-encodes a queued report with sequence (and first_sequence) = seq. */
int vsl_report_resequence(const struct vsl_report_blob *in, uint64_t seq, uint8_t **out, size_t *out_len,
			  struct vsl_err **err);

/* ---- report_build.c ---- */

/* A report under construction: the protobuf plus the memory it points to. */
struct vsl_report;

/* Snapshots the node (topology, placement, dataplane ports and counters),
 * every VNF, and the events after *event_seq (at most max_events; *event_seq
 * is advanced to the last included). Takes db_lock briefly; the dataplane is
 * asked without it. Never fails: missing parts are left out of the report. */
struct vsl_report *vsl_report_build(struct vsl_agent *a, const char *node_id, Vessel__ReportKind kind,
				    uint64_t *event_seq, size_t max_events);
/* Sets the sequence number and encodes; *out is malloc'd. */
int vsl_report_encode(struct vsl_report *r, uint64_t sequence, uint8_t **out, size_t *out_len);
/* True when events were cut at max_events (another report should follow). */
int vsl_report_more_events(const struct vsl_report *r);
size_t vsl_report_n_events(const struct vsl_report *r);
void vsl_report_destroy(struct vsl_report *r);

/* ---- outbox.c (each function takes db_lock itself) ---- */

/* Reads the persistent reporting state: node id (created on first use, or the
 * given one), last sequence, last reported event, compacted total. */
int vsl_outbox_open(struct vsl_agent *a, const char *node_id_flag, char **node_id, uint64_t *last_seq,
		    uint64_t *event_seq, struct vsl_err **err);
/* Appends a report and, in the same transaction, records seq and event_seq. */
int vsl_outbox_push(struct vsl_agent *a, uint64_t seq, uint64_t event_seq, int kind, size_t n_events,
		    const uint8_t *data, size_t len, struct vsl_err **err);
/* The oldest queued report: 1 (found, *data malloc'd), 0 (empty), -1 error. */
int vsl_outbox_oldest(struct vsl_agent *a, uint64_t *seq, uint8_t **data, size_t *len, struct vsl_err **err);
/* Deletes every report up to highest (acknowledged); returns rows deleted. */
int vsl_outbox_ack(struct vsl_agent *a, uint64_t highest, struct vsl_err **err);
/* Rows queued, or -1. */
long vsl_outbox_count(struct vsl_agent *a);
/* Snapshots dropped by compaction since the database was created. */
uint64_t vsl_outbox_compacted(struct vsl_agent *a);
/* Called before a push: when max (>= 4) reports are queued, merges the
 * oldest ones (all but the newest max/2) into one COMPACTED report, so the
 * outbox never holds more than max. Returns snapshots dropped (>= 0) or -1
 * with *err. */
int vsl_outbox_compact(struct vsl_agent *a, long max, struct vsl_err **err);

/* Gives every queued report a new sequence number from first on, in order
 * (the orchestrator already holds our old numbers: this node's database was
 * reset). *last gets the last number given. Returns 0 or -1 with *err. */
int vsl_outbox_renumber(struct vsl_agent *a, uint64_t first, uint64_t *last, struct vsl_err **err);

/* ---- report.c ---- */

/* Starts the sender thread when --orchestrator-url is set (else a no-op). */
int vsl_report_start(struct vsl_agent *a, struct vsl_err **err);
/* Stops it (aborting a transfer in flight) and frees it. */
void vsl_report_stop(struct vsl_agent *a);
/* Prometheus lines for /metrics (nothing when reporting is off). */
void vsl_report_metrics(struct vsl_agent *a, FILE *f);

#endif
