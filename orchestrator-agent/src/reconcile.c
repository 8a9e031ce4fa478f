/* The reconcile loop: every interval (and when kicked) it compares each
 * VNF's desired state with what the runtime root says (shim alive, workload
 * exit status) and acts: adopt running VNFs after an agent restart, record
 * exits, apply the restart policy with exponential backoff, re-apply
 * networks the dataplane lost, and report missing dataplane ports. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "spec.h"
#include "vessel/cleanup.h"
#include "vessel/log.h"

int vsl_net_apply(struct vsl_agent *a, json_t *spec, struct vsl_err **err);

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One UPDATE under db_lock; n positional text binds follow. */
#define UPDATE(a, sql, n, ...)                                        \
	do {                                                          \
		pthread_mutex_lock(&(a)->db_lock);                    \
		vsl_db_exec((a), NULL, (sql), (n), __VA_ARGS__);      \
		pthread_mutex_unlock(&(a)->db_lock);                  \
	} while (0)

/* The workload or the shim stopped while the VNF should run. */
static void on_exit_seen(struct vsl_agent *a, json_t *row, const struct vsl_rt_state *st, bool startup)
{
	const char *id = json_string_value(json_object_get(row, "id"));
	json_t *spec = json_loads(json_string_value(json_object_get(row, "spec")), 0, NULL);
	const char *policy = json_string_value(json_object_get(spec, "restart_policy")) ?: "never";
	long long count = json_integer_value(json_object_get(row, "restart_count"));
	long long level = json_integer_value(json_object_get(row, "backoff"));
	bool failed = !st->exited || st->exit_status != 0;
	char ex[16];
	snprintf(ex, sizeof(ex), "%d", st->exit_status);
	if (st->exited)
		vsl_event(a, "vnf.exited", "vnf", id, "workload exited with status %d%s", st->exit_status,
			  startup ? " while vesseld was down" : "");
	else
		vsl_event(a, "vnf.died", "vnf", id, "shim or VM gone without an exit status%s",
			  startup ? " (died while vesseld was down)" : "");
	bool restart = strcmp(policy, "always") == 0 || (strcmp(policy, "on-failure") == 0 && failed);
	UPDATE(a, "UPDATE vnfs SET status = 'stopped', exit_status = ?, shim_pid = NULL WHERE id = ?", 2,
	       st->exited ? ex : NULL, id);
	if (restart) {
		double delay = a->cfg.backoff_base * pow(2, (double)(level < 30 ? level : 30));
		if (delay > a->cfg.backoff_max)
			delay = a->cfg.backoff_max;
		char when[32];
		snprintf(when, sizeof(when), "%.3f", now_s() + delay);
		UPDATE(a, "UPDATE vnfs SET next_restart = ? WHERE id = ?", 2, when, id);
		vsl_event(a, "vnf.restart_scheduled", "vnf", id, "restart policy %s: restart %lld in %.1f s",
			  policy, count + 1, delay);
	} else {
		UPDATE(a, "UPDATE vnfs SET desired = 'stopped', next_restart = NULL WHERE id = ?", 1, id);
	}
	json_decref(spec);
}

/* A running VNF's NICs are dataplane ports `<id>.ethN`; reports (once per
 * change) when some are missing, e.g. after the dataplane restarted. */
static void check_ports(struct vsl_agent *a, json_t *row, json_t *ports)
{
	const char *id = json_string_value(json_object_get(row, "id"));
	json_t *spec = json_loads(json_string_value(json_object_get(row, "spec")), 0, NULL);
	size_t n = json_array_size(json_object_get(spec, "nics")), missing = 0;
	char first[96] = "";
	cleanup_free char *have = ports ? json_dumps(ports, JSON_COMPACT) : NULL;
	json_decref(spec);
	if (n == 0 || !have)
		return;
	for (size_t i = 0; i < n; i++) {
		char q[112];
		snprintf(q, sizeof(q), "\"%s.eth%zu\"", id, i);
		if (!strstr(have, q) && missing++ == 0)
			snprintf(first, sizeof(first), "%s.eth%zu", id, i);
	}
	json_t *old = json_object_get(row, "ports_ok");
	bool ok = missing == 0;
	if (json_is_integer(old) && (json_integer_value(old) != 0) == ok)
		return;
	UPDATE(a, "UPDATE vnfs SET ports_ok = ? WHERE id = ?", 2, ok ? "1" : "0", id);
	if (ok)
		vsl_event(a, "vnf.ports_present", "vnf", id, "all %zu dataplane ports present", n);
	else
		vsl_event(a, "vnf.ports_missing", "vnf", id, "%zu of %zu dataplane ports missing (first: %s)",
			  missing, n, first);
}

static void reconcile_vnf(struct vsl_agent *a, json_t *row, bool startup, json_t *ports)
{
	const char *id = json_string_value(json_object_get(row, "id"));
	const char *status = json_string_value(json_object_get(row, "status"));
	const char *desired = json_string_value(json_object_get(row, "desired"));
	json_t *next = json_object_get(row, "next_restart");
	struct vsl_rt_state st;
	cleanup_err struct vsl_err *err = NULL;
	vsl_rt_state(a, id, &st);
	bool alive = strcmp(st.status, "running") == 0 || strcmp(st.status, "paused") == 0 ||
		     strcmp(st.status, "created") == 0;
	if (startup && strcmp(status, "creating") == 0) {
		vsl_vnf_set_status(a, id, "error", "vesseld stopped while this VNF was being created");
		return;
	}
	if (strcmp(status, "deleting") == 0) {
		if (startup && vsl_vnf_do_delete(a, id, &err) == 0)
			vsl_event(a, "vnf.deleted", "vnf", id, "delete finished after agent restart");
		return;
	}
	if (alive) {
		if (startup) {
			char pid[16];
			snprintf(pid, sizeof(pid), "%d", st.pid);
			UPDATE(a, "UPDATE vnfs SET status = ?, shim_pid = ? WHERE id = ?", 3, st.status, pid, id);
			vsl_event(a, "vnf.adopted", "vnf", id, "%s with shim pid %d", st.status, st.pid);
		} else if (strcmp(status, st.status) != 0 && strcmp(status, "error") != 0) {
			UPDATE(a, "UPDATE vnfs SET status = ? WHERE id = ?", 2, st.status, id);
		}
		if (strcmp(st.status, "running") == 0) {
			check_ports(a, row, ports);
			if (json_integer_value(json_object_get(row, "backoff")) > 0) {
				char secs[32];
				snprintf(secs, sizeof(secs), "%.3f", a->cfg.restart_reset);
				pthread_mutex_lock(&a->db_lock);
				int n = vsl_db_exec(a, NULL, "UPDATE vnfs SET backoff = 0 WHERE id = ? AND "
						    "(julianday('now') - julianday(started_at)) * 86400 > CAST(? AS REAL)",
						    2, id, secs);
				pthread_mutex_unlock(&a->db_lock);
				if (n > 0)
					vsl_event(a, "vnf.stable", "vnf", id, "running for %.0f s: restart backoff reset",
						  a->cfg.restart_reset);
			}
		}
		return;
	}
	/* not alive */
	if (strcmp(status, "running") == 0 || strcmp(status, "paused") == 0 || strcmp(status, "created") == 0) {
		if (strcmp(desired, "running") == 0)
			on_exit_seen(a, row, &st, startup);
		else
			vsl_vnf_set_status(a, id, "stopped", NULL);
		return;
	}
	if (strcmp(desired, "running") == 0 && json_is_number(next) && now_s() >= json_number_value(next)) {
		UPDATE(a, "UPDATE vnfs SET restart_count = restart_count + 1, backoff = backoff + 1, "
		       "next_restart = NULL WHERE id = ?", 1, id);
		if (vsl_vnf_do_start(a, id, &err) < 0) {
			vsl_event(a, "vnf.error", "vnf", id, "restart failed: %s", err->msg);
			vsl_vnf_set_status(a, id, "error", err->msg);
			/* try again later with a longer delay */
			struct vsl_rt_state none = { 0 };
			on_exit_seen(a, row, &none, false);
			vsl_vnf_set_status(a, id, "error", err->msg);
		} else {
			vsl_event(a, "vnf.restarted", "vnf", id, "restarted by restart policy (restart %lld)",
				  (long long)json_integer_value(json_object_get(row, "restart_count")) + 1);
		}
	}
}

static void reconcile_networks(struct vsl_agent *a)
{
	cleanup_err struct vsl_err *err = NULL;
	if (!a->cfg.dp_socket)
		return;
	json_t *bridges = vsl_dp_call(a->cfg.dp_socket, "bridge.list", NULL, &err);
	if (!bridges)
		return; /* dataplane down: try next time */
	cleanup_free char *have = json_dumps(bridges, JSON_COMPACT);
	json_decref(bridges);
	pthread_mutex_lock(&a->db_lock);
	json_t *nets = vsl_db_query(a, NULL, "SELECT name, spec, applied FROM networks", 0);
	pthread_mutex_unlock(&a->db_lock);
	size_t i;
	json_t *n;
	json_array_foreach(nets, i, n) {
		json_t *spec = json_loads(json_string_value(json_object_get(n, "spec")), 0, NULL);
		const char *name = json_string_value(json_object_get(n, "name"));
		bool is_bridge = strcmp(json_string_value(json_object_get(spec, "type")) ?: "", "bridge") == 0;
		char quoted[80];
		snprintf(quoted, sizeof(quoted), "\"%s\"", name);
		bool present = is_bridge ? strstr(have, quoted) != NULL : json_integer_value(json_object_get(n, "applied"));
		if (!present) {
			vsl_err_freep(&err);
			if (vsl_net_apply(a, spec, &err) == 0) {
				UPDATE(a, "UPDATE networks SET applied = 1 WHERE name = ?", 1, name);
				vsl_event(a, "network.applied", "network", name, "re-applied to the dataplane");
			}
		}
		json_decref(spec);
	}
	json_decref(nets);
}

void vsl_reconcile_once(struct vsl_agent *a, bool startup)
{
	pthread_mutex_lock(&a->db_lock);
	json_t *rows = vsl_db_query(a, NULL, "SELECT * FROM vnfs ORDER BY created_at", 0);
	pthread_mutex_unlock(&a->db_lock);
	json_t *ports = a->cfg.dp_socket && json_array_size(rows)
				? vsl_dp_call(a->cfg.dp_socket, "port.list", NULL, NULL) : NULL;
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		if (vsl_agent_stopping(a))
			break;
		pthread_mutex_lock(&a->op_lock);
		/* re-read: an API action may have changed it while we waited */
		pthread_mutex_lock(&a->db_lock);
		json_t *fresh = vsl_db_query(a, NULL, "SELECT * FROM vnfs WHERE id = ?", 1,
					     json_string_value(json_object_get(row, "id")));
		pthread_mutex_unlock(&a->db_lock);
		if (json_array_size(fresh))
			reconcile_vnf(a, json_array_get(fresh, 0), startup, ports);
		json_decref(fresh);
		pthread_mutex_unlock(&a->op_lock);
	}
	json_decref(rows);
	json_decref(ports);
	reconcile_networks(a);
}

void vsl_reconcile_kick(struct vsl_agent *a)
{
	pthread_mutex_lock(&a->rc_lock);
	a->rc_kick = true;
	pthread_cond_signal(&a->rc_cond);
	pthread_mutex_unlock(&a->rc_lock);
}

static void *loop(void *arg)
{
	struct vsl_agent *a = arg;
	for (;;) {
		pthread_mutex_lock(&a->rc_lock);
		struct timespec dl;
		clock_gettime(CLOCK_REALTIME, &dl);
		double iv = a->cfg.reconcile_interval;
		dl.tv_sec += (time_t)iv;
		dl.tv_nsec += (long)((iv - floor(iv)) * 1e9);
		if (dl.tv_nsec >= 1000000000L)
			dl.tv_sec++, dl.tv_nsec -= 1000000000L;
		while (!vsl_agent_stopping(a) && !a->rc_kick)
			if (pthread_cond_timedwait(&a->rc_cond, &a->rc_lock, &dl) == ETIMEDOUT)
				break;
		a->rc_kick = false;
		bool stop = vsl_agent_stopping(a);
		pthread_mutex_unlock(&a->rc_lock);
		if (stop)
			break;
		vsl_reconcile_once(a, false);
	}
	return NULL;
}

int vsl_reconcile_start(struct vsl_agent *a, pthread_t *th, struct vsl_err **err)
{
	int r = pthread_create(th, NULL, loop, a);
	if (r != 0)
		return vsl_err_make(err, r, "reconcile thread");
	return 0;
}
