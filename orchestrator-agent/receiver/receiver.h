/* vessel-orch-receiver: the reference orchestrator end of the NodeReport
 * protocol (orchestrator-agent/proto/vessel.proto). It decodes reports,
 * stores them in SQLite deduplicated by (node id, sequence), answers with an
 * Ack, and can be told to misbehave (fail, stall, answer garbage) so tests
 * and demos can show what vesseld does then. Operators use it to look at what
 * a node sends (`--dump`, GET /v1/reports). Internal header. */
#ifndef VSL_ORCH_RECEIVER_H
#define VSL_ORCH_RECEIVER_H

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

#include "vessel.pb-c.h"
#include "vessel/err.h"

/* ---- pb_json.c ---- */
/* Any protobuf-c message as JSON, walking its descriptor (so new fields show
 * up without code changes): field names as in the .proto, enums by name,
 * 64-bit integers as JSON integers, bytes as hex. New reference. */
json_t *vsl_pb_to_json(const ProtobufCMessage *m);

/* ---- report_decode.c (no I/O; fuzzed) ---- */
/* Decodes and checks a NodeReport from the network: node_id 1..128 printable
 * characters, sequence >= 1, first_sequence <= sequence. Returns the message
 * (free with vessel__node_report__free_unpacked) or NULL with *err naming the
 * field. */
Vessel__NodeReport *vsl_orch_report_decode(const uint8_t *buf, size_t len, struct vsl_err **err);
/* An Ack for node_id; *out malloc'd. */
void vsl_orch_ack_encode(const char *node_id, uint64_t highest, uint8_t **out, size_t *out_len);

/* ---- store.c ---- */
struct vsl_orch_store;
int vsl_orch_store_open(const char *path, struct vsl_orch_store **out, struct vsl_err **err);
void vsl_orch_store_close(struct vsl_orch_store *s);
/* Stores a report unless (node, sequence) is not newer than what is stored.
 * *highest gets the node's highest stored sequence afterwards; returns 1
 * stored, 0 duplicate, -1 error. */
int vsl_orch_store_put(struct vsl_orch_store *s, const Vessel__NodeReport *r, const uint8_t *raw, size_t len,
		       uint64_t *highest, struct vsl_err **err);
/* {"nodes": [...], "reports": [...]} in arrival order; node NULL: all. */
json_t *vsl_orch_store_dump(struct vsl_orch_store *s, const char *node, struct vsl_err **err);

#endif
