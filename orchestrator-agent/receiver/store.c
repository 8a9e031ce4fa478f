/* The receiver's storage: one SQLite database (WAL) with a row per node
 * (registration, highest sequence stored, gaps seen) and a row per stored
 * report (raw protobuf and its JSON rendering). A report whose sequence is
 * not above the node's highest is a duplicate: acknowledged, not stored.
 * Sequences that jump (a compacted report covers first_sequence..sequence)
 * are fine; a first_sequence beyond highest + 1 counts as a gap (lost). */
#include <pthread.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "receiver.h"
#include "vessel/cleanup.h"
#include "vessel/log.h"

struct vsl_orch_store {
	sqlite3 *db;
	pthread_mutex_t lock;
};

static const char schema[] =
	"PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
	"CREATE TABLE IF NOT EXISTS nodes (node_id TEXT PRIMARY KEY, hostname TEXT, agent_version TEXT,"
	"  registrations INTEGER NOT NULL DEFAULT 0, registered_at TEXT, last_seen TEXT,"
	"  highest_seq INTEGER NOT NULL DEFAULT 0, reports INTEGER NOT NULL DEFAULT 0,"
	"  duplicates INTEGER NOT NULL DEFAULT 0, gaps INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS reports (id INTEGER PRIMARY KEY AUTOINCREMENT, node_id TEXT NOT NULL,"
	"  seq INTEGER NOT NULL, first_seq INTEGER NOT NULL, kind TEXT NOT NULL, received_at TEXT NOT NULL,"
	"  payload BLOB NOT NULL, json TEXT NOT NULL, UNIQUE (node_id, seq));";

int vsl_orch_store_open(const char *path, struct vsl_orch_store **out, struct vsl_err **err)
{
	struct vsl_orch_store *s = xzalloc(sizeof(*s));
	char *msg = NULL;
	pthread_mutex_init(&s->lock, NULL);
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
			    NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(s->db, 5000) != SQLITE_OK ||
	    sqlite3_exec(s->db, schema, NULL, NULL, &msg) != SQLITE_OK) {
		vsl_err_make(err, 0, "database `%s`: %s", path, msg ? msg : s->db ? sqlite3_errmsg(s->db) : "no memory");
		sqlite3_free(msg);
		vsl_orch_store_close(s);
		return -1;
	}
	*out = s;
	return 0;
}

void vsl_orch_store_close(struct vsl_orch_store *s)
{
	if (!s)
		return;
	sqlite3_close(s->db);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static void now_rfc3339(char *buf, size_t n)
{
	vsl_time_rfc3339(buf, n);
}

/* One statement with text/int64 binds given as a format: 't' text, 'i' int64. */
static int run(sqlite3 *db, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *st = NULL;
	va_list ap;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	va_start(ap, fmt);
	for (int i = 0; fmt[i]; i++) {
		if (fmt[i] == 't')
			sqlite3_bind_text(st, i + 1, va_arg(ap, const char *), -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_int64(st, i + 1, va_arg(ap, sqlite3_int64));
	}
	va_end(ap);
	int r = sqlite3_step(st);
	sqlite3_finalize(st);
	return r == SQLITE_DONE || r == SQLITE_ROW ? 0 : -1;
}

static uint64_t highest_of(sqlite3 *db, const char *node)
{
	sqlite3_stmt *st = NULL;
	uint64_t h = 0;
	sqlite3_prepare_v2(db, "SELECT highest_seq FROM nodes WHERE node_id = ?", -1, &st, NULL);
	sqlite3_bind_text(st, 1, node, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		h = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return h;
}

static int insert_report(sqlite3 *db, const Vessel__NodeReport *r, const uint8_t *raw, size_t len,
			 const char *now)
{
	sqlite3_stmt *st = NULL;
	json_t *j = vsl_pb_to_json(&r->base);
	cleanup_free char *js = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	const ProtobufCEnumValue *k = protobuf_c_enum_descriptor_get_value(&vessel__report_kind__descriptor, r->kind);
	if (sqlite3_prepare_v2(db, "INSERT INTO reports (node_id, seq, first_seq, kind, received_at, payload, json) "
			       "VALUES (?, ?, ?, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, r->node_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)r->sequence);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)(r->first_sequence ? r->first_sequence : r->sequence));
	sqlite3_bind_text(st, 4, k ? k->name : "REPORT_KIND_UNKNOWN", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, now, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, raw, (int)len, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, js ? js : "{}", -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int vsl_orch_store_put(struct vsl_orch_store *s, const Vessel__NodeReport *r, const uint8_t *raw, size_t len,
		       uint64_t *highest, struct vsl_err **err)
{
	char now[64];
	int stored = -1;
	now_rfc3339(now, sizeof(now));
	pthread_mutex_lock(&s->lock);
	sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	run(s->db, "INSERT OR IGNORE INTO nodes (node_id) VALUES (?)", "t", r->node_id);
	uint64_t h = highest_of(s->db, r->node_id);
	uint64_t first = r->first_sequence ? r->first_sequence : r->sequence;
	if (r->sequence <= h) {
		stored = run(s->db, "UPDATE nodes SET duplicates = duplicates + 1, last_seen = ? WHERE node_id = ?", "tt",
			     now, r->node_id) == 0 ? 0 : -1;
	} else if (insert_report(s->db, r, raw, len, now) == 0 &&
		   run(s->db, "UPDATE nodes SET highest_seq = ?, reports = reports + 1, gaps = gaps + ?, last_seen = ?,"
			      " hostname = COALESCE(?, hostname), agent_version = ? WHERE node_id = ?", "iitttt",
		       (sqlite3_int64)r->sequence, (sqlite3_int64)(first > h + 1 ? 1 : 0), now,
		       r->inventory ? r->inventory->hostname : NULL, r->agent_version, r->node_id) == 0 &&
		   (r->kind != VESSEL__REPORT_KIND__REPORT_KIND_REGISTER ||
		    run(s->db, "UPDATE nodes SET registrations = registrations + 1, registered_at = ? WHERE node_id = ?",
			"tt", now, r->node_id) == 0)) {
		stored = 1;
		h = r->sequence;
	}
	if (stored < 0) {
		vsl_err_make(err, 0, "store report %llu of `%s`: %s", (unsigned long long)r->sequence, r->node_id,
			     sqlite3_errmsg(s->db));
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	} else {
		sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	}
	pthread_mutex_unlock(&s->lock);
	*highest = h;
	return stored;
}

static json_t *rows(sqlite3 *db, const char *sql, const char *node, struct vsl_err **err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		vsl_err_make(err, 0, "dump: %s", sqlite3_errmsg(db));
		return NULL;
	}
	sqlite3_bind_text(st, 1, node, -1, SQLITE_STATIC);
	json_t *a = json_array();
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *o = json_object();
		for (int c = 0; c < sqlite3_column_count(st); c++) {
			const char *name = sqlite3_column_name(st, c);
			json_t *v;
			if (strcmp(name, "report") == 0)
				v = json_loads((const char *)sqlite3_column_text(st, c), 0, NULL);
			else if (sqlite3_column_type(st, c) == SQLITE_INTEGER)
				v = json_integer(sqlite3_column_int64(st, c));
			else if (sqlite3_column_type(st, c) == SQLITE_NULL)
				v = json_null();
			else
				v = json_string((const char *)sqlite3_column_text(st, c));
			json_object_set_new(o, name, v ? v : json_null());
		}
		json_array_append_new(a, o);
	}
	sqlite3_finalize(st);
	return a;
}

json_t *vsl_orch_store_dump(struct vsl_orch_store *s, const char *node, struct vsl_err **err)
{
	pthread_mutex_lock(&s->lock);
	json_t *nodes = rows(s->db, "SELECT * FROM nodes WHERE ?1 IS NULL OR node_id = ?1 ORDER BY node_id", node, err);
	json_t *reps = nodes ? rows(s->db, "SELECT id AS arrival, node_id, seq AS sequence, first_seq AS first_sequence,"
				    " kind, received_at, json AS report FROM reports WHERE ?1 IS NULL OR node_id = ?1"
				    " ORDER BY id", node, err) : NULL;
	pthread_mutex_unlock(&s->lock);
	if (!reps) {
		json_decref(nodes);
		return NULL;
	}
	return json_pack("{s:o, s:o}", "nodes", nodes, "reports", reps);
}
