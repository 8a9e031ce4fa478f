/* vesseld's desired state in SQLite: WAL mode, foreign keys, a busy timeout,
 * and numbered schema migrations recorded in schema_migrations so a newer
 * agent upgrades an older database in place. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "vessel/cleanup.h"

static const char *const migrations[] = {
	/* 1: initial schema */
	"CREATE TABLE images ("
	"  digest TEXT PRIMARY KEY, name TEXT, format TEXT NOT NULL, size INTEGER NOT NULL,"
	"  layers INTEGER NOT NULL, config TEXT NOT NULL, created_at TEXT NOT NULL);"
	"CREATE TABLE networks ("
	"  name TEXT PRIMARY KEY, type TEXT NOT NULL CHECK (type IN ('bridge','xconnect')),"
	"  spec TEXT NOT NULL, applied INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL);"
	"CREATE TABLE vnfs ("
	"  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
	"  image TEXT NOT NULL REFERENCES images(digest) ON DELETE RESTRICT,"
	"  spec TEXT NOT NULL, status TEXT NOT NULL, desired TEXT NOT NULL DEFAULT 'stopped',"
	"  restart_count INTEGER NOT NULL DEFAULT 0, next_restart REAL,"
	"  exit_status INTEGER, shim_pid INTEGER, error TEXT,"
	"  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, started_at TEXT);"
	"CREATE TABLE vnf_networks (vnf TEXT NOT NULL REFERENCES vnfs(id) ON DELETE CASCADE,"
	"  network TEXT NOT NULL REFERENCES networks(name) ON DELETE RESTRICT);"
	"CREATE TABLE events ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, type TEXT NOT NULL,"
	"  object TEXT NOT NULL, object_id TEXT, message TEXT NOT NULL);",
	/* 2: whether a running VNF's dataplane ports were all present at the
	 * last reconcile (NULL: not checked / no NICs) */
	"ALTER TABLE vnfs ADD COLUMN ports_ok INTEGER;",
	/* 3: the backoff exponent, apart from restart_count (a total): reset
	 * when a VNF has run for --restart-reset seconds */
	"ALTER TABLE vnfs ADD COLUMN backoff INTEGER NOT NULL DEFAULT 0;",
	/* 4: reports to the orchestrator (report.c, outbox.c): NodeReports not
	 * yet acknowledged, oldest first, and the reporting state (node id, last
	 * sequence, last event reported, snapshots compacted) */
	"CREATE TABLE report_outbox (seq INTEGER PRIMARY KEY, created_at TEXT NOT NULL,"
	"  kind INTEGER NOT NULL, snapshot INTEGER NOT NULL, events INTEGER NOT NULL, payload BLOB NOT NULL);"
	"CREATE TABLE report_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
};

char *vsl_now_rfc3339(void)
{
	struct timespec ts;
	struct tm tm;
	char buf[64];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	return xasprintf("%s.%06ldZ", buf, ts.tv_nsec / 1000);
}

static int exec_plain(sqlite3 *db, const char *sql, struct vsl_err **err)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		vsl_err_make(err, 0, "sqlite: %s", msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int vsl_db_open(struct vsl_agent *a, const char *path, struct vsl_err **err)
{
	sqlite3_stmt *st = NULL;
	int have = 0;
	if (sqlite3_open_v2(path, &a->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK)
		return vsl_err_make(err, 0, "open database `%s`: %s", path,
				    a->db ? sqlite3_errmsg(a->db) : "out of memory");
	sqlite3_busy_timeout(a->db, 5000);
	if (exec_plain(a->db, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; "
			      "PRAGMA synchronous=NORMAL;"
			      "CREATE TABLE IF NOT EXISTS schema_migrations ("
			      " version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);", err) < 0)
		return vsl_err_wrap(err, "database `%s`", path);
	sqlite3_prepare_v2(a->db, "SELECT COALESCE(MAX(version),0) FROM schema_migrations", -1, &st, NULL);
	if (st && sqlite3_step(st) == SQLITE_ROW)
		have = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	int want = (int)(sizeof(migrations) / sizeof(migrations[0]));
	if (have > want)
		return vsl_err_make(err, 0, "database `%s` has schema version %d, this vesseld knows %d: "
				    "use a newer vesseld", path, have, want);
	for (int v = have + 1; v <= want; v++) {
		cleanup_free char *sql = xasprintf("BEGIN; %s INSERT INTO schema_migrations VALUES (%d, "
						   "strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ','now')); COMMIT;",
						   migrations[v - 1], v);
		if (exec_plain(a->db, sql, err) < 0) {
			sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
			return vsl_err_wrap(err, "database `%s`: migration %d", path, v);
		}
	}
	return 0;
}

void vsl_db_close(struct vsl_agent *a)
{
	if (a->db)
		sqlite3_close(a->db);
	a->db = NULL;
}

static sqlite3_stmt *prepare(struct vsl_agent *a, struct vsl_err **err, const char *sql, int n,
			     va_list ap)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(a->db, sql, -1, &st, NULL) != SQLITE_OK) {
		vsl_err_make(err, 0, "sqlite prepare: %s", sqlite3_errmsg(a->db));
		return NULL;
	}
	for (int i = 0; i < n; i++) {
		const char *v = va_arg(ap, const char *);
		if (v)
			sqlite3_bind_text(st, i + 1, v, -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_null(st, i + 1);
	}
	return st;
}

int vsl_db_exec(struct vsl_agent *a, struct vsl_err **err, const char *sql, int n, ...)
{
	va_list ap;
	va_start(ap, n);
	sqlite3_stmt *st = prepare(a, err, sql, n, ap);
	va_end(ap);
	if (!st)
		return -1;
	int r = sqlite3_step(st);
	while (r == SQLITE_ROW)
		r = sqlite3_step(st);
	sqlite3_finalize(st);
	if (r == SQLITE_DONE)
		return sqlite3_changes(a->db);
	if ((r & 0xff) == SQLITE_CONSTRAINT) {
		vsl_err_make(err, 0, "%s", sqlite3_errmsg(a->db));
		return -SQLITE_CONSTRAINT;
	}
	return vsl_err_make(err, 0, "sqlite: %s", sqlite3_errmsg(a->db)) < 0 ? -1 : -1;
}

json_t *vsl_db_query(struct vsl_agent *a, struct vsl_err **err, const char *sql, int n, ...)
{
	va_list ap;
	va_start(ap, n);
	sqlite3_stmt *st = prepare(a, err, sql, n, ap);
	va_end(ap);
	if (!st)
		return NULL;
	json_t *rows = json_array();
	int r;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *o = json_object();
		for (int c = 0; c < sqlite3_column_count(st); c++) {
			json_t *v;
			switch (sqlite3_column_type(st, c)) {
			case SQLITE_INTEGER: v = json_integer(sqlite3_column_int64(st, c)); break;
			case SQLITE_FLOAT: v = json_real(sqlite3_column_double(st, c)); break;
			case SQLITE_NULL: v = json_null(); break;
			default: v = json_string((const char *)sqlite3_column_text(st, c)); break;
			}
			json_object_set_new(o, sqlite3_column_name(st, c), v ? v : json_null());
		}
		json_array_append_new(rows, o);
	}
	sqlite3_finalize(st);
	if (r != SQLITE_DONE) {
		json_decref(rows);
		vsl_err_make(err, 0, "sqlite: %s", sqlite3_errmsg(a->db));
		return NULL;
	}
	return rows;
}
