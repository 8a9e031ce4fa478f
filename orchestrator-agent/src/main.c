/* vesseld: the node agent. Parses flags (and an optional JSON --config whose
 * keys are the long flag names), prepares the state and run directories,
 * opens the database, adopts what already runs (startup reconcile), then
 * serves the REST API and runs the reconcile loop until SIGTERM/SIGINT. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http.h"
#include "image.h"
#include "report.h"
#include "vessel/cleanup.h"
#include "vessel/log.h"

static const struct option opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "state-dir", required_argument, NULL, 's' },
	{ "run-dir", required_argument, NULL, 'r' },
	{ "socket", required_argument, NULL, 'S' },
	{ "runtime-root", required_argument, NULL, 'R' },
	{ "runtime", required_argument, NULL, 'b' },
	{ "accel", required_argument, NULL, 'a' },
	{ "dp-socket", required_argument, NULL, 'd' },
	{ "placement-dir", required_argument, NULL, 'p' },
	{ "sysfs-root", required_argument, NULL, 'y' },
	{ "listen-tcp", required_argument, NULL, 't' },
	{ "token-file", required_argument, NULL, 'T' },
	{ "tls-cert", required_argument, NULL, 'C' },
	{ "tls-key", required_argument, NULL, 'K' },
	{ "max-body", required_argument, NULL, 'm' },
	{ "audit-log", required_argument, NULL, 'A' },
	{ "socket-group", required_argument, NULL, 'G' },
	{ "rate-limit", required_argument, NULL, 'L' },
	{ "rate-burst", required_argument, NULL, 'U' },
	{ "max-upload", required_argument, NULL, 'u' },
	{ "reconcile-interval", required_argument, NULL, 'i' },
	{ "backoff-base", required_argument, NULL, 'B' },
	{ "backoff-max", required_argument, NULL, 'M' },
	{ "restart-reset", required_argument, NULL, 'X' },
	{ "orchestrator-url", required_argument, NULL, 1001 },
	{ "orchestrator-token-file", required_argument, NULL, 1002 },
	{ "orchestrator-ca", required_argument, NULL, 1003 },
	{ "node-id", required_argument, NULL, 1004 },
	{ "report-interval", required_argument, NULL, 1005 },
	{ "report-timeout", required_argument, NULL, 1006 },
	{ "report-backoff-max", required_argument, NULL, 1007 },
	{ "outbox-max", required_argument, NULL, 1008 },
	{ "log-level", required_argument, NULL, 'l' },
	{ "dump-routes", no_argument, NULL, 'D' },
	{ "version", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: vesseld [options]\n"
		   "  --config FILE            JSON object; keys are these option names\n"
		   "  --state-dir DIR          database, images, bundles, logs (default /var/lib/vessel)\n"
		   "  --run-dir DIR            sockets and runtime root (default /run/vessel)\n"
		   "  --socket PATH            API unix socket, mode 0660 (default <run-dir>/vesseld.sock)\n"
		   "  --runtime-root DIR       vessel-runtime --root (default <run-dir>/runtime)\n"
		   "  --runtime PATH           vessel-runtime binary (default: next to vesseld)\n"
		   "  --accel auto|kvm|tcg     passed to the runtime\n"
		   "  --dp-socket PATH         vessel-dp control socket (default: no dataplane)\n"
		   "  --placement-dir DIR      libvesselnuma placement.json dir (default /var/lib/vessel)\n"
		   "  --sysfs-root DIR         sysfs tree for the topology (default /sys)\n"
		   "  --listen-tcp [ADDR:]PORT also serve TCP (default address 127.0.0.1); needs --token-file\n"
		   "  --token-file FILE        bearer token for TCP clients\n"
		   "  --tls-cert FILE --tls-key FILE   serve TCP with TLS\n"
		   "  --max-body BYTES         JSON body limit (default 1048576)\n"
		   "  --audit-log FILE|none    mutating and refused requests (default <state-dir>/audit.log)\n"
		   "  --socket-group GROUP     group of the unix socket (mode 0660)\n"
		   "  --rate-limit N --rate-burst N   TCP requests/s per client address (default 20, 40; 0: off)\n"
		   "  --max-upload BYTES       image upload limit (default 4294967296)\n"
		   "  --reconcile-interval S   (default 2)\n"
		   "  --backoff-base S --backoff-max S   restart backoff (default 1, 60)\n"
		   "  --restart-reset S        running this long resets the backoff (default 60)\n"
		   "  --orchestrator-url URL   POST NodeReports (protobuf) there (default: no reporting)\n"
		   "  --orchestrator-token-file FILE   bearer token for the orchestrator\n"
		   "  --orchestrator-ca FILE   CA certificates for an https:// orchestrator\n"
		   "  --node-id ID             node id in reports (default: generated once, stored)\n"
		   "  --report-interval S      periodic report (default 10)\n"
		   "  --report-timeout S       per delivery attempt (default 10)\n"
		   "  --report-backoff-max S   longest retry delay (default 60)\n"
		   "  --outbox-max N           queued reports before old snapshots are compacted (default 1000)\n"
		   "  --log-level error|warn|info|debug\n"
		   "  --dump-routes            print METHOD PATH of every route and exit\n");
}

static int set_opt(struct vsl_agent_config *c, int o, const char *v, struct vsl_err **err)
{
	char *end = NULL;
	double d;
	switch (o) {
	case 's': free(c->state_dir), c->state_dir = xstrdup(v); break;
	case 'r': free(c->run_dir), c->run_dir = xstrdup(v); break;
	case 'S': free(c->socket_path), c->socket_path = xstrdup(v); break;
	case 'R': free(c->runtime_root), c->runtime_root = xstrdup(v); break;
	case 'b': free(c->runtime_bin), c->runtime_bin = xstrdup(v); break;
	case 'a': free(c->accel), c->accel = xstrdup(v); break;
	case 'd': free(c->dp_socket), c->dp_socket = xstrdup(v); break;
	case 'p': free(c->placement_dir), c->placement_dir = xstrdup(v); break;
	case 'y': free(c->sysfs_root), c->sysfs_root = xstrdup(v); break;
	case 't': free(c->tcp_listen), c->tcp_listen = xstrdup(v); break;
	case 'T': free(c->token_file), c->token_file = xstrdup(v); break;
	case 'C': free(c->tls_cert), c->tls_cert = xstrdup(v); break;
	case 'K': free(c->tls_key), c->tls_key = xstrdup(v); break;
	case 'l': free(c->log_level), c->log_level = xstrdup(v); break;
	case 'A': free(c->audit_log), c->audit_log = xstrdup(v); break;
	case 'G': free(c->socket_group), c->socket_group = xstrdup(v); break;
	case 'L': case 'U':
		d = strtod(v, &end);
		if (*end || !(d >= 0 && d <= 1e6))
			return vsl_err_make(err, 0, "`%s`: requests per second >= 0 expected", v);
		*(o == 'L' ? &c->rate_limit : &c->rate_burst) = d;
		break;
	case 'm': c->max_body = strtol(v, &end, 10);
		if (*end || c->max_body < 1024)
			return vsl_err_make(err, 0, "--max-body `%s`: bytes >= 1024", v);
		break;
	case 'u': c->max_upload = strtoll(v, &end, 10);
		if (*end || c->max_upload < 1024)
			return vsl_err_make(err, 0, "--max-upload `%s`: bytes >= 1024", v);
		break;
	case 'i': case 'B': case 'M': case 'X':
		d = strtod(v, &end);
		if (*end || !(d > 0 && d < 86400))
			return vsl_err_make(err, 0, "`%s`: seconds > 0 expected", v);
		*(o == 'i' ? &c->reconcile_interval : o == 'B' ? &c->backoff_base
		  : o == 'M' ? &c->backoff_max : &c->restart_reset) = d;
		break;
	case 1001: free(c->orch_url), c->orch_url = xstrdup(v); break;
	case 1002: free(c->orch_token_file), c->orch_token_file = xstrdup(v); break;
	case 1003: free(c->orch_ca), c->orch_ca = xstrdup(v); break;
	case 1004:
		if (!*v || strlen(v) > 128 || strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
						      "0123456789._:-") != strlen(v))
			return vsl_err_make(err, 0, "--node-id `%s`: 1..128 of [A-Za-z0-9._:-]", v);
		free(c->node_id), c->node_id = xstrdup(v);
		break;
	case 1005: case 1006: case 1007:
		d = strtod(v, &end);
		if (*end || !(d >= 0.1 && d < 86400))
			return vsl_err_make(err, 0, "`%s`: seconds >= 0.1 expected", v);
		*(o == 1005 ? &c->report_interval : o == 1006 ? &c->report_timeout : &c->report_backoff_max) = d;
		break;
	case 1008: c->outbox_max = strtol(v, &end, 10);
		if (*end || c->outbox_max < 4 || c->outbox_max > 1000000)
			return vsl_err_make(err, 0, "--outbox-max `%s`: 4..1000000 reports", v);
		break;
	default: return vsl_err_make(err, 0, "unknown option");
	}
	return 0;
}

static int load_config(struct vsl_agent_config *c, const char *path, struct vsl_err **err)
{
	json_error_t je;
	json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je), *v;
	const char *k;
	if (!j || !json_is_object(j)) {
		json_decref(j);
		return vsl_err_make(err, 0, "config `%s`: %s", path, j ? "must be a JSON object" : je.text);
	}
	json_object_foreach(j, k, v) {
		const struct option *o;
		for (o = opts; o->name && strcmp(o->name, k); o++)
			;
		if (!o->name || o->has_arg != required_argument || o->val == 'c') {
			json_decref(j);
			return vsl_err_make(err, 0, "config `%s`: unknown key `%s`", path, k);
		}
		char num[64];
		const char *s = json_string_value(v);
		if (json_is_number(v)) {
			snprintf(num, sizeof(num), json_is_integer(v) ? "%.0f" : "%g", json_number_value(v));
			s = num;
		}
		if (!s || set_opt(c, o->val, s, err) < 0) {
			json_decref(j);
			if (!s)
				return vsl_err_make(err, 0, "config `%s`: key `%s`: string or number expected", path, k);
			return vsl_err_wrap(err, "config `%s`: key `%s`", path, k);
		}
	}
	json_decref(j);
	return 0;
}

static int mkdirs(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(buf, 0755);
			*p = '/';
		}
	return mkdir(buf, mode) < 0 && errno != EEXIST ? -1 : 0;
}

static int prepare(struct vsl_agent *a, struct vsl_err **err)
{
	struct vsl_agent_config *c = &a->cfg;
	if (!c->socket_path)
		c->socket_path = xasprintf("%s/vesseld.sock", c->run_dir);
	if (!c->runtime_root)
		c->runtime_root = xasprintf("%s/runtime", c->run_dir);
	if (!c->placement_dir)
		c->placement_dir = xstrdup("/var/lib/vessel");
	/* vessel-runtime records the real placement where our dry run and
	 * GET /v1/node read it (set before any thread or child exists). */
	if (setenv("VESSEL_PLACEMENT_DIR", c->placement_dir, 1) < 0)
		return vsl_err_make(err, errno, "setenv VESSEL_PLACEMENT_DIR");
	if (!c->audit_log)
		c->audit_log = xasprintf("%s/audit.log", c->state_dir);
	if (!c->runtime_bin) {
		char exe[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		exe[n > 0 ? n : 0] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		c->runtime_bin = xasprintf("%s/vessel-runtime", n > 0 ? exe : ".");
	}
	if (access(c->runtime_bin, X_OK) < 0)
		return vsl_err_make(err, errno, "runtime `%s` (use --runtime)", c->runtime_bin);
	const char *subs[] = { "", "/images", "/bundles", "/logs", "/tmp" };
	for (size_t i = 0; i < 5; i++) {
		cleanup_free char *d = xasprintf("%s%s", c->state_dir, subs[i]);
		if (mkdirs(d, 0700) < 0)
			return vsl_err_make(err, errno, "state directory `%s`", d);
	}
	if (mkdirs(c->run_dir, 0755) < 0 || mkdirs(c->runtime_root, 0711) < 0)
		return vsl_err_make(err, errno, "run directory `%s`", c->run_dir);
	/* leftovers of imports interrupted by a crash */
	cleanup_free char *tmp = xasprintf("%s/tmp", c->state_dir);
	vsl_rmtree(tmp);
	mkdir(tmp, 0700);
	cleanup_free char *db = xasprintf("%s/vesseld.db", c->state_dir);
	return vsl_db_open(a, db, err);
}


int main(int argc, char **argv)
{
	static struct vsl_agent a = {
		.db_lock = PTHREAD_MUTEX_INITIALIZER, .op_lock = PTHREAD_MUTEX_INITIALIZER,
		.ev_cond = PTHREAD_COND_INITIALIZER, .rc_lock = PTHREAD_MUTEX_INITIALIZER,
		.rc_cond = PTHREAD_COND_INITIALIZER, .m_lock = PTHREAD_MUTEX_INITIALIZER,
	};
	cleanup_err struct vsl_err *err = NULL;
	struct vsl_agent_config *c = &a.cfg;
	int o;
	c->state_dir = xstrdup("/var/lib/vessel");
	c->run_dir = xstrdup("/run/vessel");
	c->max_body = 1 << 20;
	c->rate_limit = 20;
	c->rate_burst = 40;
	c->max_upload = 4LL << 30;
	c->reconcile_interval = 2;
	c->backoff_base = 1;
	c->backoff_max = 60;
	c->restart_reset = 60;
	c->report_interval = 10;
	c->report_timeout = 10;
	c->report_backoff_max = 60;
	c->outbox_max = 1000;
	/* --config first, so flags override it */
	for (int i = 1; i < argc - 1; i++)
		if (strcmp(argv[i], "--config") == 0 && load_config(c, argv[i + 1], &err) < 0) {
			fprintf(stderr, "vesseld: %s\n", err->msg);
			return 1;
		}
	while ((o = getopt_long(argc, argv, "hv", opts, NULL)) != -1) {
		if (o == 'h') {
			usage(stdout);
			return 0;
		}
		if (o == 'v') {
			printf("vesseld %s\n", VESSEL_VERSION);
			return 0;
		}
		if (o == 'D') {
			vsl_http_dump_routes();
			return 0;
		}
		if (o == '?') {
			usage(stderr);
			return 1;
		}
		if (o != 'c' && set_opt(c, o, optarg, &err) < 0) {
			fprintf(stderr, "vesseld: %s\n", err->msg);
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vesseld: unexpected argument `%s`\n", argv[optind]);
		return 1;
	}
	enum vsl_log_level lvl = VSL_LOG_INFO;
	if (c->log_level)
		lvl = !strcmp(c->log_level, "error") ? VSL_LOG_ERROR : !strcmp(c->log_level, "warn") ? VSL_LOG_WARN
		      : !strcmp(c->log_level, "debug") ? VSL_LOG_DEBUG : VSL_LOG_INFO;
	vsl_log_init("vesseld", lvl, VSL_LOG_TEXT, NULL, NULL);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (prepare(&a, &err) < 0) {
		fprintf(stderr, "vesseld: %s\n", err->msg);
		return 1;
	}
	vsl_reconcile_once(&a, true); /* adopt what runs before serving */
	pthread_t th;
	if (vsl_report_start(&a, &err) < 0) {
		fprintf(stderr, "vesseld: %s\n", err->msg);
		return 1;
	}
	if (vsl_http_start(&a, &err) < 0 || vsl_reconcile_start(&a, &th, &err) < 0) {
		fprintf(stderr, "vesseld: %s\n", err->msg);
		vsl_http_stop();
		vsl_report_stop(&a);
		return 1;
	}
	vsl_info("vesseld %s ready (state %s, runtime root %s)", VESSEL_VERSION, c->state_dir, c->runtime_root);
	int sig = 0;
	sigwait(&set, &sig);
	vsl_info("signal %d: stopping (VNFs keep running)", sig);
	pthread_mutex_lock(&a.rc_lock);
	__atomic_store_n(&a.stop, 1, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&a.rc_cond);
	pthread_mutex_unlock(&a.rc_lock);
	pthread_mutex_lock(&a.db_lock);
	pthread_cond_broadcast(&a.ev_cond);
	pthread_mutex_unlock(&a.db_lock);
	pthread_join(th, NULL);
	vsl_report_stop(&a);
	vsl_http_stop();
	unlink(c->socket_path);
	vsl_db_close(&a);
	return 0;
}
