/* libFuzzer target for the orchestrator protocol's decoders: the input is
 * fed to vesseld's acknowledgement decoder, to the receiver's NodeReport
 * decoder (with its JSON rendering of whatever decoded) and, as a queued
 * report, to the outbox compaction merge. Seeds: tests/fuzz/corpus/orch_proto
 * (real reports and acks captured from tests/integration/agent_report.sh). */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "receiver.h"
#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vsl_err *err = NULL;
	uint64_t highest = 0;
	vsl_report_ack_parse(data, size, "node-1", &highest, &err);
	vsl_err_freep(&err);

	Vessel__NodeReport *r = vsl_orch_report_decode(data, size, &err);
	vsl_err_freep(&err);
	if (r) {
		json_t *j = vsl_pb_to_json(&r->base);
		free(json_dumps(j, JSON_COMPACT));
		json_decref(j);
		vessel__node_report__free_unpacked(r, NULL);
	}

	struct vsl_report_blob two[2] = { { data, size }, { data, size } };
	uint8_t *out = NULL;
	size_t out_len = 0;
	unsigned dropped = 0;
	if (vsl_report_merge(two, 2, &out, &out_len, &dropped, &err) == 0) {
		/* the merge must produce a report that decodes again */
		Vessel__NodeReport *m = vessel__node_report__unpack(NULL, out_len, out);
		if (!m)
			abort();
		vessel__node_report__free_unpacked(m, NULL);
	}
	free(out);
	vsl_err_freep(&err);
	return 0;
}
