/* The report outbox: NodeReports wait in SQLite (table report_outbox, same
 * database and WAL as the desired state) until the orchestrator acknowledges
 * them, so neither a WAN outage nor `kill -9` of vesseld loses one. The
 * reporting state (node id, last sequence, last event reported, compaction
 * total) lives in report_state and is updated in the same transaction as the
 * row it describes. The outbox is bounded: past --outbox-max rows the oldest
 * reports are merged into one that keeps every event but drops the
 * inventory/VNF snapshots (vsl_report_merge). Only the reporter thread
 * writes here; every function takes db_lock for its own statements. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "agent.h"
#include "report.h"
#include "vessel/cleanup.h"
#include "vessel/log.h"

static void finalizep(sqlite3_stmt **st)
{
	sqlite3_finalize(*st);
}
#define cleanup_stmt __attribute__((cleanup(finalizep)))

static int sql_err(struct vsl_agent *a, struct vsl_err **err, const char *what)
{
	return vsl_err_make(err, 0, "report outbox: %s: %s", what, sqlite3_errmsg(a->db));
}

/* report_state value (malloc'd) or NULL. Caller holds db_lock. */
static char *state_get(struct vsl_agent *a, const char *key)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(a->db, "SELECT value FROM report_state WHERE key = ?", -1, &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW)
		return NULL;
	return xstrdup((const char *)sqlite3_column_text(st, 0));
}

static uint64_t state_u64(struct vsl_agent *a, const char *key)
{
	cleanup_free char *v = state_get(a, key);
	return v ? strtoull(v, NULL, 10) : 0;
}

/* Caller holds db_lock. */
static int state_set(struct vsl_agent *a, const char *key, const char *value, struct vsl_err **err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(a->db, "INSERT INTO report_state (key, value) VALUES (?, ?) "
			       "ON CONFLICT(key) DO UPDATE SET value = excluded.value", -1, &st, NULL) != SQLITE_OK)
		return sql_err(a, err, "prepare");
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		return sql_err(a, err, key);
	return 0;
}

static int state_set_u64(struct vsl_agent *a, const char *key, uint64_t v, struct vsl_err **err)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return state_set(a, key, buf, err);
}

static void random_uuid(char out[37])
{
	unsigned char b[16];
	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		for (int i = 0; i < 16; i++)
			b[i] = (unsigned char)random();
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
		 b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

int vsl_outbox_open(struct vsl_agent *a, const char *node_id_flag, char **node_id, uint64_t *last_seq,
		    uint64_t *event_seq, struct vsl_err **err)
{
	int r = 0;
	pthread_mutex_lock(&a->db_lock);
	cleanup_free char *id = state_get(a, "node_id");
	if (node_id_flag && (!id || strcmp(id, node_id_flag) != 0)) {
		if (id)
			vsl_warn("node id changes from `%s` to `%s` (--node-id): the orchestrator sees a new node", id,
				 node_id_flag);
		free(id);
		id = xstrdup(node_id_flag);
		r = state_set(a, "node_id", id, err);
	} else if (!id) {
		char u[37];
		random_uuid(u);
		id = xstrdup(u);
		r = state_set(a, "node_id", id, err);
	}
	*last_seq = state_u64(a, "last_seq");
	*event_seq = state_u64(a, "event_seq");
	pthread_mutex_unlock(&a->db_lock);
	if (r == 0)
		*node_id = steal_pointer(&id);
	return r;
}

int vsl_outbox_push(struct vsl_agent *a, uint64_t seq, uint64_t event_seq, int kind, size_t n_events,
		    const uint8_t *data, size_t len, struct vsl_err **err)
{
	cleanup_free char *now = vsl_now_rfc3339();
	int r = -1;
	pthread_mutex_lock(&a->db_lock);
	sqlite3_stmt *st = NULL;
	if (sqlite3_exec(a->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		sql_err(a, err, "begin");
		goto out;
	}
	if (sqlite3_prepare_v2(a->db, "INSERT INTO report_outbox (seq, created_at, kind, snapshot, events, payload) "
			       "VALUES (?, ?, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK) {
		sql_err(a, err, "prepare");
		goto rollback;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, kind);
	sqlite3_bind_int(st, 4, kind != VESSEL__REPORT_KIND__REPORT_KIND_COMPACTED);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)n_events);
	sqlite3_bind_blob(st, 6, data, (int)len, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sql_err(a, err, "insert");
		goto rollback;
	}
	if (state_set_u64(a, "last_seq", seq, err) < 0 || state_set_u64(a, "event_seq", event_seq, err) < 0)
		goto rollback;
	if (sqlite3_exec(a->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		sql_err(a, err, "commit");
		goto rollback;
	}
	r = 0;
	goto out;
rollback:
	sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&a->db_lock);
	return r;
}

int vsl_outbox_oldest(struct vsl_agent *a, uint64_t *seq, uint8_t **data, size_t *len, struct vsl_err **err)
{
	int r = 0;
	pthread_mutex_lock(&a->db_lock);
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(a->db, "SELECT seq, payload FROM report_outbox ORDER BY seq LIMIT 1", -1, &st,
			       NULL) != SQLITE_OK) {
		r = sql_err(a, err, "prepare");
	} else if (sqlite3_step(st) == SQLITE_ROW) {
		*seq = (uint64_t)sqlite3_column_int64(st, 0);
		*len = (size_t)sqlite3_column_bytes(st, 1);
		*data = xmalloc(*len ? *len : 1);
		if (*len)
			memcpy(*data, sqlite3_column_blob(st, 1), *len);
		r = 1;
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&a->db_lock);
	return r;
}

int vsl_outbox_ack(struct vsl_agent *a, uint64_t highest, struct vsl_err **err)
{
	int r;
	pthread_mutex_lock(&a->db_lock);
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(a->db, "DELETE FROM report_outbox WHERE seq <= ?", -1, &st, NULL) != SQLITE_OK) {
		r = sql_err(a, err, "prepare");
	} else {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)(highest > INT64_MAX ? INT64_MAX : highest));
		r = sqlite3_step(st) == SQLITE_DONE ? sqlite3_changes(a->db) : sql_err(a, err, "delete");
		if (r >= 0)
			state_set_u64(a, "acked_seq", highest, NULL);
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&a->db_lock);
	return r;
}

long vsl_outbox_count(struct vsl_agent *a)
{
	long n = -1;
	pthread_mutex_lock(&a->db_lock);
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(a->db, "SELECT COUNT(*) FROM report_outbox", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	pthread_mutex_unlock(&a->db_lock);
	return n;
}

uint64_t vsl_outbox_compacted(struct vsl_agent *a)
{
	pthread_mutex_lock(&a->db_lock);
	uint64_t v = state_u64(a, "compacted_total");
	pthread_mutex_unlock(&a->db_lock);
	return v;
}

struct queued {
	uint64_t seq;
	struct vsl_report_blob b;
};

/* Loads the oldest n rows. Caller holds db_lock. */
static struct queued *load_oldest(struct vsl_agent *a, long n, long *got, struct vsl_err **err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct queued *q = xzalloc((size_t)n * sizeof(*q));
	*got = 0;
	if (sqlite3_prepare_v2(a->db, "SELECT seq, payload FROM report_outbox ORDER BY seq LIMIT ?", -1, &st,
			       NULL) != SQLITE_OK) {
		sql_err(a, err, "prepare");
		free(q);
		return NULL;
	}
	sqlite3_bind_int64(st, 1, n);
	while (*got < n && sqlite3_step(st) == SQLITE_ROW) {
		size_t len = (size_t)sqlite3_column_bytes(st, 1);
		uint8_t *d = xmalloc(len ? len : 1);
		if (len)
			memcpy(d, sqlite3_column_blob(st, 1), len);
		q[*got] = (struct queued){ (uint64_t)sqlite3_column_int64(st, 0), { d, len } };
		(*got)++;
	}
	return q;
}

/* Replaces rows first..last by one merged row with seq last. Caller holds db_lock. */
static int replace_rows(struct vsl_agent *a, uint64_t first, uint64_t last, const uint8_t *data, size_t len,
			unsigned dropped, struct vsl_err **err)
{
	cleanup_stmt sqlite3_stmt *del = NULL, *ins = NULL;
	cleanup_free char *now = vsl_now_rfc3339();
	if (sqlite3_exec(a->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return sql_err(a, err, "begin");
	if (sqlite3_prepare_v2(a->db, "DELETE FROM report_outbox WHERE seq BETWEEN ? AND ?", -1, &del, NULL) ||
	    sqlite3_prepare_v2(a->db, "INSERT INTO report_outbox (seq, created_at, kind, snapshot, events, payload) "
			       "VALUES (?, ?, ?, 0, -1, ?)", -1, &ins, NULL))
		goto fail;
	sqlite3_bind_int64(del, 1, (sqlite3_int64)first);
	sqlite3_bind_int64(del, 2, (sqlite3_int64)last);
	sqlite3_bind_int64(ins, 1, (sqlite3_int64)last);
	sqlite3_bind_text(ins, 2, now, -1, SQLITE_STATIC);
	sqlite3_bind_int(ins, 3, VESSEL__REPORT_KIND__REPORT_KIND_COMPACTED);
	sqlite3_bind_blob(ins, 4, data, (int)len, SQLITE_STATIC);
	if (sqlite3_step(del) != SQLITE_DONE || sqlite3_step(ins) != SQLITE_DONE ||
	    state_set_u64(a, "compacted_total", state_u64(a, "compacted_total") + dropped, err) < 0 ||
	    sqlite3_exec(a->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	return 0;
fail:
	if (!err || !*err)
		sql_err(a, err, "compact");
	sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int vsl_outbox_compact(struct vsl_agent *a, long max, struct vsl_err **err)
{
	long count = vsl_outbox_count(a), got = 0;
	if (max < 4)
		max = 4;
	if (count < max)
		return 0;
	/* merge the oldest into one, keep the newest max/2 as they are: with the
	 * report about to be pushed, max/2 + 2 <= max rows */
	long n = count - max / 2;
	int r = -1;
	unsigned dropped = 0;
	cleanup_free uint8_t *out = NULL;
	size_t out_len = 0;
	pthread_mutex_lock(&a->db_lock);
	struct queued *q = load_oldest(a, n, &got, err);
	if (q && got >= 2) {
		struct vsl_report_blob *bl = xzalloc((size_t)got * sizeof(*bl));
		for (long i = 0; i < got; i++)
			bl[i] = q[i].b;
		if (vsl_report_merge(bl, (size_t)got, &out, &out_len, &dropped, err) == 0 &&
		    replace_rows(a, q[0].seq, q[got - 1].seq, out, out_len, dropped, err) == 0)
			r = (int)dropped;
		free(bl);
	} else if (q) {
		r = 0;
	}
	for (long i = 0; q && i < got; i++)
		free((void *)q[i].b.data);
	free(q);
	pthread_mutex_unlock(&a->db_lock);
	if (r > 0)
		vsl_info("report outbox: %ld reports queued (max %ld): merged the oldest %ld, %d snapshots dropped, "
			 "events kept", count, max, got, r);
	return r;
}

int vsl_outbox_renumber(struct vsl_agent *a, uint64_t first, uint64_t *last, struct vsl_err **err)
{
	long got = 0;
	int r = -1;
	pthread_mutex_lock(&a->db_lock);
	long n = 0;
	{
		cleanup_stmt sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(a->db, "SELECT COUNT(*) FROM report_outbox", -1, &st, NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW)
			n = (long)sqlite3_column_int64(st, 0);
	}
	struct queued *q = n ? load_oldest(a, n, &got, err) : NULL;
	uint64_t seq = first - 1;
	if (n && !q)
		goto out;
	if (sqlite3_exec(a->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		sql_err(a, err, "begin");
		goto out;
	}
	for (long i = 0; i < got; i++) {
		cleanup_stmt sqlite3_stmt *st = NULL;
		cleanup_free uint8_t *buf = NULL;
		size_t len = 0;
		if (vsl_report_resequence(&q[i].b, ++seq, &buf, &len, err) < 0 ||
		    sqlite3_prepare_v2(a->db, "UPDATE report_outbox SET seq = ?, payload = ? WHERE seq = ?", -1, &st,
				       NULL) != SQLITE_OK)
			goto rollback;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
		sqlite3_bind_blob(st, 2, buf, (int)len, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)q[i].seq);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto rollback;
	}
	if (state_set_u64(a, "last_seq", seq, err) < 0 || sqlite3_exec(a->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto rollback;
	*last = seq;
	r = 0;
	goto out;
rollback:
	if (!err || !*err)
		sql_err(a, err, "renumber");
	sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
out:
	for (long i = 0; q && i < got; i++)
		free((void *)q[i].b.data);
	free(q);
	pthread_mutex_unlock(&a->db_lock);
	return r;
}
