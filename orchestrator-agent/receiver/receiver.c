/* vessel-orch-receiver: a reference orchestrator endpoint for vesseld's
 * NodeReports. Serves HTTP(S) with libmicrohttpd (one thread per connection,
 * so a stalled answer never blocks the control routes):
 *
 *   POST /v1/reports      a NodeReport (application/x-protobuf) -> Ack
 *   GET  /v1/reports      what is stored, as JSON (?node=ID)
 *   GET  /control         mode and counters (JSON)
 *   PUT  /control/mode    body ok|fail|stall|garbage: how to answer reports
 *   GET  /healthz       (no token needed)
 *
 * Modes: ok stores and acknowledges; fail answers 500 without storing;
 * stall stores, then holds the answer (--stall-seconds, or until the mode
 * changes); garbage stores, then answers 200 with a body that is not an Ack.
 * `--dump` prints the stored reports of --db as JSON and exits. */
#include <errno.h>
#include <getopt.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "receiver.h"
#include "vessel/cleanup.h"
#include "vessel/log.h"

#define MAX_REPORT (16 << 20)

enum mode { MODE_OK, MODE_FAIL, MODE_STALL, MODE_GARBAGE };
static const char *const mode_names[] = { "ok", "fail", "stall", "garbage", NULL };

static struct {
	struct vsl_orch_store *store;
	char *token;
	int mode;
	double stall_s;
	int stopping;
	unsigned long long received, stored, duplicates, rejected;
} g = { .stall_s = 30 };

struct req {
	char *body;
	size_t len;
	bool too_big;
};

static int mode_parse(const char *s, size_t n)
{
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\r'))
		n--;
	for (int i = 0; mode_names[i]; i++)
		if (strlen(mode_names[i]) == n && strncmp(mode_names[i], s, n) == 0)
			return i;
	return -1;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned code, const char *ctype, const void *data, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(r, "Content-Type", ctype);
	enum MHD_Result ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned code, const char *msg)
{
	char buf[600];
	snprintf(buf, sizeof(buf), "%s\n", msg);
	return reply(c, code, "text/plain", buf, strlen(buf));
}

static enum MHD_Result reply_json(struct MHD_Connection *c, unsigned code, json_t *j)
{
	cleanup_free char *s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return reply(c, code, "application/json", s ? s : "null", s ? strlen(s) : 4);
}

static bool authorised(struct MHD_Connection *c)
{
	if (!g.token)
		return true;
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	if (!h || strncmp(h, "Bearer ", 7) != 0 || strlen(h + 7) != strlen(g.token))
		return false;
	unsigned char diff = 0; /* constant time */
	for (size_t i = 0; g.token[i]; i++)
		diff |= (unsigned char)(h[7 + i] ^ g.token[i]);
	return diff == 0;
}

/* Holds the answer while the mode stays `stall`. */
static void stall(void)
{
	struct timespec step = { 0, 50 * 1000 * 1000 };
	for (double t = 0; t < g.stall_s; t += 0.05) {
		if (__atomic_load_n(&g.mode, __ATOMIC_ACQUIRE) != MODE_STALL ||
		    __atomic_load_n(&g.stopping, __ATOMIC_ACQUIRE))
			return;
		nanosleep(&step, NULL);
	}
}

static enum MHD_Result on_report(struct MHD_Connection *c, struct req *q)
{
	cleanup_err struct vsl_err *err = NULL;
	int mode = __atomic_load_n(&g.mode, __ATOMIC_ACQUIRE);
	__atomic_add_fetch(&g.received, 1, __ATOMIC_RELAXED);
	if (mode == MODE_FAIL)
		return reply_text(c, 500, "receiver in mode fail");
	Vessel__NodeReport *r = vsl_orch_report_decode((const uint8_t *)q->body, q->len, &err);
	if (!r) {
		__atomic_add_fetch(&g.rejected, 1, __ATOMIC_RELAXED);
		vsl_warn("rejected a report: %s", err->msg);
		return reply_text(c, 400, err->msg);
	}
	uint64_t highest = 0;
	int st = vsl_orch_store_put(g.store, r, (const uint8_t *)q->body, q->len, &highest, &err);
	if (st < 0) {
		vessel__node_report__free_unpacked(r, NULL);
		return reply_text(c, 500, err->msg);
	}
	__atomic_add_fetch(st ? &g.stored : &g.duplicates, 1, __ATOMIC_RELAXED);
	vsl_info("node %s report %llu (%s): %s, acknowledging %llu", r->node_id, (unsigned long long)r->sequence,
		 mode_names[mode], st ? "stored" : "duplicate", (unsigned long long)highest);
	cleanup_free uint8_t *ack = NULL;
	size_t ack_len = 0;
	vsl_orch_ack_encode(r->node_id, highest, &ack, &ack_len);
	vessel__node_report__free_unpacked(r, NULL);
	if (mode == MODE_STALL)
		stall();
	if (mode == MODE_GARBAGE) {
		static const char junk[] = "<html><body>502 Bad Gateway</body></html>\n";
		return reply(c, 200, "application/x-protobuf", junk, sizeof(junk) - 1);
	}
	return reply(c, 200, "application/x-protobuf", ack, ack_len);
}

static enum MHD_Result route(struct MHD_Connection *c, const char *url, const char *method, struct req *q)
{
	if (strcmp(url, "/healthz") == 0)
		return reply_text(c, 200, "ok");
	if (!authorised(c))
		return reply_text(c, 401, "bearer token required");
	if (strcmp(url, "/v1/reports") == 0 && strcmp(method, "POST") == 0) {
		if (q->too_big)
			return reply_text(c, 413, "report larger than 16 MiB");
		return on_report(c, q);
	}
	if (strcmp(url, "/v1/reports") == 0 && strcmp(method, "GET") == 0) {
		cleanup_err struct vsl_err *err = NULL;
		json_t *j = vsl_orch_store_dump(g.store, MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "node"), &err);
		return j ? reply_json(c, 200, j) : reply_text(c, 500, err->msg);
	}
	if (strcmp(url, "/control") == 0 && strcmp(method, "GET") == 0)
		return reply_json(c, 200, json_pack("{s:s, s:I, s:I, s:I, s:I}", "mode",
						    mode_names[__atomic_load_n(&g.mode, __ATOMIC_ACQUIRE)],
						    (json_int_t)g.received, (json_int_t)g.stored,
						    (json_int_t)g.duplicates, (json_int_t)g.rejected));
	if (strcmp(url, "/control/mode") == 0 && (strcmp(method, "PUT") == 0 || strcmp(method, "POST") == 0)) {
		int m = mode_parse(q->body ? q->body : "", q->len);
		if (m < 0)
			return reply_text(c, 400, "mode: one of ok, fail, stall, garbage");
		__atomic_store_n(&g.mode, m, __ATOMIC_RELEASE);
		vsl_info("mode %s", mode_names[m]);
		return reply(c, 204, "text/plain", "", 0);
	}
	return reply_text(c, 404, "routes: POST/GET /v1/reports, GET /control, PUT /control/mode, GET /healthz");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *data, size_t *size, void **con_cls)
{
	(void)cls, (void)version;
	struct req *q = *con_cls;
	if (!q) {
		*con_cls = xzalloc(sizeof(struct req));
		return MHD_YES;
	}
	if (*size) {
		if (q->len + *size > MAX_REPORT) {
			q->too_big = true;
		} else {
			q->body = xrealloc(q->body, q->len + *size + 1);
			memcpy(q->body + q->len, data, *size);
			q->len += *size;
			q->body[q->len] = '\0';
		}
		*size = 0;
		return MHD_YES;
	}
	return route(c, url, method, q);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t)
{
	(void)cls, (void)c, (void)t;
	struct req *q = *con_cls;
	if (q)
		free(q->body);
	free(q);
	*con_cls = NULL;
}

static char *slurp(const char *path, struct vsl_err **err)
{
	cleanup_fclose FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0;
	if (!f || getdelim(&buf, &cap, '\0', f) < 0) {
		vsl_err_make(err, errno, "read `%s`", path);
		free(buf);
		return NULL;
	}
	return buf;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: vessel-orch-receiver --db FILE [--listen [ADDR:]PORT] [options]\n"
		   "       vessel-orch-receiver --db FILE --dump [--node ID]\n"
		   "  --listen [ADDR:]PORT   default 127.0.0.1:8440; port 0 picks a free one\n"
		   "  --port-file FILE       write the port listened on\n"
		   "  --token-file FILE      require Authorization: Bearer <token>\n"
		   "  --tls-cert F --tls-key F   serve HTTPS\n"
		   "  --mode ok|fail|stall|garbage   how to answer reports (default ok; PUT /control/mode)\n"
		   "  --stall-seconds S      how long stall holds an answer (default 30)\n"
		   "  --dump [--node ID]     print stored reports as JSON and exit\n");
}

struct opts {
	const char *db, *listen, *port_file, *token_file, *cert, *key, *node;
	bool dump;
};

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "db", required_argument, NULL, 'd' },       { "listen", required_argument, NULL, 'l' },
		{ "port-file", required_argument, NULL, 'p' }, { "token-file", required_argument, NULL, 't' },
		{ "tls-cert", required_argument, NULL, 'C' },  { "tls-key", required_argument, NULL, 'K' },
		{ "mode", required_argument, NULL, 'm' },      { "stall-seconds", required_argument, NULL, 's' },
		{ "dump", no_argument, NULL, 'D' },            { "node", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },            { NULL, 0, NULL, 0 },
	};
	int c;
	char *end;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'd': o->db = optarg; break;
		case 'l': o->listen = optarg; break;
		case 'p': o->port_file = optarg; break;
		case 't': o->token_file = optarg; break;
		case 'C': o->cert = optarg; break;
		case 'K': o->key = optarg; break;
		case 'n': o->node = optarg; break;
		case 'D': o->dump = true; break;
		case 'm':
			if ((g.mode = mode_parse(optarg, strlen(optarg))) < 0) {
				fprintf(stderr, "vessel-orch-receiver: --mode `%s`: ok, fail, stall or garbage\n", optarg);
				return 1;
			}
			break;
		case 's':
			g.stall_s = strtod(optarg, &end);
			if (*end || !(g.stall_s >= 0 && g.stall_s <= 3600)) {
				fprintf(stderr, "vessel-orch-receiver: --stall-seconds `%s`: 0..3600\n", optarg);
				return 1;
			}
			break;
		case 'h': usage(stdout); return 2;
		default: usage(stderr); return 1;
		}
	}
	if (!o->db || optind < argc || !o->cert != !o->key) {
		usage(stderr);
		return 1;
	}
	return 0;
}

static int listen_addr(const char *s, struct sockaddr_in *sin)
{
	const char *colon = strrchr(s, ':');
	char host[64] = "127.0.0.1", *end;
	if (colon && (size_t)(colon - s) < sizeof(host))
		snprintf(host, sizeof(host), "%.*s", (int)(colon - s), s);
	long port = strtol(colon ? colon + 1 : s, &end, 10);
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	return *end || port < 0 || port > 65535 || inet_pton(AF_INET, host, &sin->sin_addr) != 1 ? -1 : 0;
}

static int serve(const struct opts *o)
{
	cleanup_err struct vsl_err *err = NULL;
	cleanup_free char *cert = o->cert ? slurp(o->cert, &err) : NULL;
	cleanup_free char *key = o->key && !err ? slurp(o->key, &err) : NULL;
	struct sockaddr_in sin = { 0 };
	if (err || listen_addr(o->listen ? o->listen : "8440", &sin) < 0) {
		fprintf(stderr, "vessel-orch-receiver: %s\n", err ? err->msg : "--listen: [ADDR:]PORT expected");
		return 1;
	}
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG |
			 (cert ? MHD_USE_TLS : 0);
	struct MHD_Daemon *d = cert ? MHD_start_daemon(flags, 0, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR,
						      &sin, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
						      MHD_OPTION_HTTPS_MEM_CERT, cert, MHD_OPTION_HTTPS_MEM_KEY, key,
						      MHD_OPTION_CONNECTION_TIMEOUT, 600u, MHD_OPTION_END)
				    : MHD_start_daemon(flags, 0, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR,
						      &sin, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
						      MHD_OPTION_CONNECTION_TIMEOUT, 600u, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "vessel-orch-receiver: cannot listen on %s\n", o->listen ? o->listen : "8440");
		return 1;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	unsigned port = info ? info->port : ntohs(sin.sin_port);
	if (o->port_file) {
		FILE *f = fopen(o->port_file, "we");
		if (f) {
			fprintf(f, "%u\n", port);
			fclose(f);
		}
	}
	vsl_info("listening on %s://%s:%u/v1/reports (mode %s)", cert ? "https" : "http", inet_ntoa(sin.sin_addr),
		 port, mode_names[g.mode]);
	sigset_t set;
	int sig;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigwait(&set, &sig);
	__atomic_store_n(&g.stopping, 1, __ATOMIC_RELEASE);
	MHD_stop_daemon(d);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	cleanup_err struct vsl_err *err = NULL;
	int r = parse(argc, argv, &o);
	if (r)
		return r == 2 ? 0 : 1;
	vsl_log_init("vessel-orch-receiver", VSL_LOG_INFO, VSL_LOG_TEXT, NULL, NULL);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (o.token_file) {
		g.token = slurp(o.token_file, &err);
		size_t n = g.token ? strlen(g.token) : 0;
		while (n > 0 && (g.token[n - 1] == '\n' || g.token[n - 1] == '\r' || g.token[n - 1] == ' '))
			g.token[--n] = '\0';
		if (!g.token || n == 0) {
			fprintf(stderr, "vessel-orch-receiver: --token-file: %s\n", err ? err->msg : "empty token");
			return 1;
		}
	}
	if (vsl_orch_store_open(o.db, &g.store, &err) < 0) {
		fprintf(stderr, "vessel-orch-receiver: %s\n", err->msg);
		return 1;
	}
	if (o.dump) {
		json_t *j = vsl_orch_store_dump(g.store, o.node, &err);
		if (j)
			json_dumpf(j, stdout, JSON_INDENT(2)), putchar('\n');
		else
			fprintf(stderr, "vessel-orch-receiver: %s\n", err->msg);
		json_decref(j);
		vsl_orch_store_close(g.store);
		return j ? 0 : 1;
	}
	r = serve(&o);
	vsl_orch_store_close(g.store);
	free(g.token);
	return r;
}
