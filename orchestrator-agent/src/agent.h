/* vesseld internals: the agent object shared by the HTTP handlers, the
 * reconcile thread and the lifecycle code. One SQLite connection guarded by
 * db_lock (queries are short); lifecycle actions on VNFs (which run
 * vessel-runtime and take seconds under TCG) are serialised by op_lock so the
 * API's read paths never wait for a VM to boot. */
#ifndef VSL_AGENT_H
#define VSL_AGENT_H

#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "vessel/dp_client.h"
#include "vessel/err.h"

struct vsl_agent_config {
	char *state_dir;   /* SQLite, images, bundles, logs */
	char *run_dir;     /* unix socket, runtime root */
	char *socket_path; /* default <run_dir>/vesseld.sock */
	char *runtime_root;/* default <run_dir>/runtime */
	char *runtime_bin; /* vessel-runtime */
	char *accel;       /* passed as --accel to the runtime, NULL: runtime default */
	char *dp_socket;   /* vessel-dp control socket, NULL: no dataplane */
	char *placement_dir; /* libvesselnuma placement.json directory */
	char *sysfs_root;  /* NULL: host /sys */
	char *tcp_listen;  /* "PORT" or "127.0.0.1:PORT", NULL: none */
	char *token_file;
	char *tls_cert, *tls_key;
	char *audit_log;      /* JSON lines; "none": off. Default <state_dir>/audit.log */
	char *socket_group;   /* group of the unix socket (0660), NULL: root's */
	double rate_limit;    /* TCP requests per second per client address, 0: off */
	double rate_burst;
	char *log_level;
	long max_body;        /* JSON request bodies */
	long long max_upload; /* image uploads */
	double reconcile_interval;
	double backoff_base, backoff_max;
	double restart_reset; /* seconds of running that reset the backoff */
	/* reporting to an orchestrator (report.c); orch_url NULL: off */
	char *orch_url, *orch_token_file, *orch_ca;
	char *node_id;        /* NULL: generated once and stored in the database */
	double report_interval, report_timeout, report_backoff_max;
	long outbox_max;      /* queued reports before compaction */
};

/* API latency histogram buckets (seconds). */
#define VSL_LAT_NB 10
extern const double vsl_lat_bounds[VSL_LAT_NB];

struct vsl_agent {
	struct vsl_agent_config cfg;
	sqlite3 *db;
	pthread_mutex_t db_lock;
	pthread_mutex_t op_lock;
	pthread_cond_t ev_cond; /* signalled (with db_lock) when an event is added */
	pthread_mutex_t rc_lock;
	pthread_cond_t rc_cond; /* wakes the reconcile loop */
	bool rc_kick;
	int stop;               /* set once at shutdown; read with vsl_agent_stopping() */
	char *token;            /* bearer token for TCP, NULL: no TCP */
	int audit_fd;           /* -1: no audit log */
	/* metrics */
	pthread_mutex_t m_lock;
	uint64_t lat_count[VSL_LAT_NB + 1];
	double lat_sum;
	uint64_t lat_total;
	uint64_t req_by_class[6]; /* 1xx..5xx */
	struct vsl_reporter *reporter; /* report.c, NULL when not reporting */
};

/* True once shutdown began (long-polls, log follows and loops end). */
static inline bool vsl_agent_stopping(struct vsl_agent *a)
{
	return __atomic_load_n(&a->stop, __ATOMIC_ACQUIRE) != 0;
}

/* ---- db.c ---- */
int vsl_db_open(struct vsl_agent *a, const char *path, struct vsl_err **err);
void vsl_db_close(struct vsl_agent *a);
/* Runs sql with positional text binds (NULL binds SQL NULL); caller holds db_lock.
 * Returns SQLITE_DONE/SQLITE_ROW style: 0 ok, -SQLITE_CONSTRAINT on a
 * constraint, other negative on error (with *err). */
int vsl_db_exec(struct vsl_agent *a, struct vsl_err **err, const char *sql, int n, ...);
/* Runs a query and returns rows as a JSON array of objects (column name ->
 * text/integer/real/null). Caller holds db_lock. */
json_t *vsl_db_query(struct vsl_agent *a, struct vsl_err **err, const char *sql, int n, ...);
char *vsl_now_rfc3339(void);

/* ---- events.c ---- */
/* Records an event (takes db_lock itself) and wakes long-pollers. */
void vsl_event(struct vsl_agent *a, const char *type, const char *object, const char *id,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Same, caller holds db_lock. */
void vsl_event_locked(struct vsl_agent *a, const char *type, const char *object, const char *id,
		      const char *msg);

/* ---- lifecycle.c ---- */
/* Runs vessel-runtime with args (NULL-terminated, after the global flags);
 * stdout captured into *out if out != NULL; workload output appended to
 * log_path when given. Returns exit status or negative. */
int vsl_rt_run(struct vsl_agent *a, const char *const *args, char **out, const char *log_path,
	       struct vsl_err **err);
struct vsl_rt_state {
	char status[16]; /* creating|created|running|paused|stopped|"" (absent) */
	int pid;         /* shim */
	int qemu_pid;
	bool exited;
	int exit_status;
};
/* Reads <runtime_root>/<id>/state.json; status "" when the container does
 * not exist. A dead shim turns running/created/paused into stopped. */
void vsl_rt_state(struct vsl_agent *a, const char *id, struct vsl_rt_state *st);
char *vsl_vnf_log_path(struct vsl_agent *a, const char *id);
/* Lifecycle operations, op_lock held by the caller. Each updates the row. */
int vsl_vnf_do_create(struct vsl_agent *a, const char *id, struct vsl_err **err);
int vsl_vnf_do_start(struct vsl_agent *a, const char *id, struct vsl_err **err);
int vsl_vnf_do_stop(struct vsl_agent *a, const char *id, int grace, struct vsl_err **err);
int vsl_vnf_do_kill(struct vsl_agent *a, const char *id, const char *sig, struct vsl_err **err);
int vsl_vnf_do_pause(struct vsl_agent *a, const char *id, bool pause, struct vsl_err **err);
int vsl_vnf_do_delete(struct vsl_agent *a, const char *id, struct vsl_err **err);
void vsl_vnf_set_status(struct vsl_agent *a, const char *id, const char *status, const char *error);

/* ---- reconcile.c ---- */
int vsl_reconcile_start(struct vsl_agent *a, pthread_t *th, struct vsl_err **err);
void vsl_reconcile_kick(struct vsl_agent *a);
void vsl_reconcile_once(struct vsl_agent *a, bool startup);

/* vsl_dp_call (vessel-dp control client) lives in common/: vessel/dp_client.h */

/* ---- procstat.c ---- */
int vsl_proc_usage(int pid, double *cpu_seconds, long long *rss_bytes);

#endif
