/* Unit tests (cmocka, ASan+UBSan) for the orchestrator protocol's pure
 * parts: vesseld's Ack decoder and outbox merge (src/report_proto.c), the
 * receiver's report decoder and JSON rendering (receiver/report_decode.c,
 * receiver/pb_json.c). The end-to-end behaviour is in
 * tests/integration/agent_report.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "receiver.h"
#include "report.h"

static uint8_t *pack_report(uint64_t seq, bool snapshot, const char *const *ev_types, size_t *len)
{
	Vessel__NodeReport r = VESSEL__NODE_REPORT__INIT;
	Vessel__Inventory inv = VESSEL__INVENTORY__INIT;
	Vessel__Event evs[8], *evp[8];
	size_t n = 0;
	r.node_id = "node-1";
	r.agent_version = "test";
	r.sequence = seq;
	r.first_sequence = seq;
	r.kind = snapshot ? VESSEL__REPORT_KIND__REPORT_KIND_PERIODIC : VESSEL__REPORT_KIND__REPORT_KIND_COMPACTED;
	r.snapshot = snapshot;
	inv.hostname = "h";
	inv.cpu_count = 4;
	r.inventory = snapshot ? &inv : NULL;
	for (; ev_types && ev_types[n] && n < 8; n++) {
		evs[n] = (Vessel__Event)VESSEL__EVENT__INIT;
		evs[n].seq = seq * 10 + n;
		evs[n].type = (char *)ev_types[n];
		evp[n] = &evs[n];
	}
	r.n_events = n;
	r.events = evp;
	*len = vessel__node_report__get_packed_size(&r);
	uint8_t *buf = malloc(*len + 1);
	vessel__node_report__pack(&r, buf);
	return buf;
}

static void test_ack_parse(void **state)
{
	(void)state;
	struct vsl_err *err = NULL;
	uint64_t h = 0;
	uint8_t *ack = NULL;
	size_t len = 0;
	vsl_orch_ack_encode("node-1", 42, &ack, &len);
	assert_int_equal(vsl_report_ack_parse(ack, len, "node-1", &h, &err), 0);
	assert_int_equal(h, 42);
	assert_int_equal(vsl_report_ack_parse(ack, len, "node-2", &h, &err), -1);
	assert_non_null(strstr(err->msg, "node `node-1`"));
	vsl_err_freep(&err);
	free(ack);
	static const char html[] = "<html><body>502 Bad Gateway</body></html>\n";
	assert_int_equal(vsl_report_ack_parse((const uint8_t *)html, sizeof(html) - 1, "node-1", &h, &err), -1);
	assert_non_null(strstr(err->msg, "malformed acknowledgement"));
	vsl_err_freep(&err);
	vsl_orch_ack_encode("node-1", UINT64_MAX, &ack, &len);
	assert_int_equal(vsl_report_ack_parse(ack, len, "node-1", &h, &err), -1);
	assert_non_null(strstr(err->msg, "out of range"));
	vsl_err_freep(&err);
	free(ack);
	assert_int_equal(vsl_report_ack_parse((const uint8_t *)"", 0, "node-1", &h, &err), -1);
	assert_non_null(strstr(err->msg, "empty body"));
	vsl_err_freep(&err);
}

static void test_merge_keeps_events_drops_snapshots(void **state)
{
	(void)state;
	static const char *const e1[] = { "vnf.created", NULL }, *const e2[] = { NULL },
				 *const e3[] = { "vnf.started", "vnf.stopped", NULL };
	struct vsl_report_blob in[3];
	size_t l[3];
	uint8_t *b[3] = { pack_report(5, true, e1, &l[0]), pack_report(6, true, e2, &l[1]),
			  pack_report(7, true, e3, &l[2]) };
	for (int i = 0; i < 3; i++)
		in[i] = (struct vsl_report_blob){ b[i], l[i] };
	uint8_t *out = NULL;
	size_t out_len = 0;
	unsigned dropped = 0;
	struct vsl_err *err = NULL;
	assert_int_equal(vsl_report_merge(in, 3, &out, &out_len, &dropped, &err), 0);
	assert_int_equal(dropped, 3);
	Vessel__NodeReport *m = vessel__node_report__unpack(NULL, out_len, out);
	assert_non_null(m);
	assert_int_equal(m->kind, VESSEL__REPORT_KIND__REPORT_KIND_COMPACTED);
	assert_int_equal(m->sequence, 7);
	assert_int_equal(m->first_sequence, 5);
	assert_false(m->snapshot);
	assert_null(m->inventory);
	assert_int_equal(m->snapshots_dropped, 3);
	assert_int_equal(m->n_events, 3);
	assert_string_equal(m->events[0]->type, "vnf.created");
	assert_string_equal(m->events[1]->type, "vnf.started");
	assert_string_equal(m->events[2]->type, "vnf.stopped");
	vessel__node_report__free_unpacked(m, NULL);
	/* merging a merged report again: the count carries over, range grows */
	size_t l4;
	uint8_t *b4 = pack_report(8, true, e1, &l4);
	struct vsl_report_blob again[2] = { { out, out_len }, { b4, l4 } };
	uint8_t *out2 = NULL;
	size_t out2_len = 0;
	assert_int_equal(vsl_report_merge(again, 2, &out2, &out2_len, &dropped, &err), 0);
	assert_int_equal(dropped, 1);
	m = vessel__node_report__unpack(NULL, out2_len, out2);
	assert_non_null(m);
	assert_int_equal(m->first_sequence, 5);
	assert_int_equal(m->sequence, 8);
	assert_int_equal(m->snapshots_dropped, 4);
	assert_int_equal(m->n_events, 4);
	vessel__node_report__free_unpacked(m, NULL);
	/* an undecodable queued report is an error, not a silent loss */
	struct vsl_report_blob bad[2] = { { (const uint8_t *)"\xff\xff\xff", 3 }, { b4, l4 } };
	uint8_t *out3 = NULL;
	size_t out3_len = 0;
	assert_int_equal(vsl_report_merge(bad, 2, &out3, &out3_len, &dropped, &err), -1);
	assert_non_null(strstr(err->msg, "does not decode"));
	vsl_err_freep(&err);
	for (int i = 0; i < 3; i++)
		free(b[i]);
	free(b4);
	free(out);
	free(out2);
}

static void test_receiver_decode_checks_fields(void **state)
{
	(void)state;
	struct vsl_err *err = NULL;
	Vessel__NodeReport r = VESSEL__NODE_REPORT__INIT;
	uint8_t buf[256];
	size_t len;
	r.node_id = "";
	r.sequence = 1;
	len = vessel__node_report__pack(&r, buf);
	assert_null(vsl_orch_report_decode(buf, len, &err));
	assert_non_null(strstr(err->msg, "`node_id`"));
	vsl_err_freep(&err);
	r.node_id = "node-1";
	r.sequence = 0;
	len = vessel__node_report__pack(&r, buf);
	assert_null(vsl_orch_report_decode(buf, len, &err));
	assert_non_null(strstr(err->msg, "`sequence`"));
	vsl_err_freep(&err);
	r.sequence = 3;
	r.first_sequence = 4;
	len = vessel__node_report__pack(&r, buf);
	assert_null(vsl_orch_report_decode(buf, len, &err));
	assert_non_null(strstr(err->msg, "`first_sequence`"));
	vsl_err_freep(&err);
	r.first_sequence = 2;
	r.kind = VESSEL__REPORT_KIND__REPORT_KIND_REGISTER;
	len = vessel__node_report__pack(&r, buf);
	Vessel__NodeReport *ok = vsl_orch_report_decode(buf, len, &err);
	assert_non_null(ok);
	json_t *j = vsl_pb_to_json(&ok->base);
	assert_string_equal(json_string_value(json_object_get(j, "kind")), "REPORT_KIND_REGISTER");
	assert_int_equal(json_integer_value(json_object_get(j, "sequence")), 3);
	assert_true(json_is_array(json_object_get(j, "events")));
	assert_null(json_object_get(j, "inventory")); /* absent sub-message left out */
	json_decref(j);
	vessel__node_report__free_unpacked(ok, NULL);
	assert_null(vsl_orch_report_decode((const uint8_t *)"garbage!", 8, &err));
	vsl_err_freep(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ack_parse),
		cmocka_unit_test(test_merge_keeps_events_drops_snapshots),
		cmocka_unit_test(test_receiver_decode_checks_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
