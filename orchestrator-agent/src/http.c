/* libmicrohttpd glue: listeners (a unix socket we bind ourselves, mode 0660;
 * an optional TCP listener with a bearer token and optional TLS), request
 * accumulation with size limits, routing with 404/405, the JSON error shape,
 * and the latency histogram behind /metrics. Handlers run on MHD's
 * per-connection threads, so long-polls and log follows may block. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "http_guard.h"
#include "vessel/cleanup.h"
#include "vessel/log.h"

const double vsl_lat_bounds[VSL_LAT_NB] = { 0.0005, 0.001, 0.0025, 0.005, 0.01,
					    0.025,  0.05,  0.1,    0.5,   2.5 };

const struct vsl_route vsl_routes[] = {
	{ "GET", "/healthz", vsl_api_healthz, false, true },
	{ "GET", "/metrics", vsl_api_metrics, false, true },
	{ "GET", "/v1/node", vsl_api_node, false, true },
	{ "GET", "/v1/events", vsl_api_events, false, true },
	{ "GET", "/v1/vnfs", vsl_api_vnf_list, false, true },
	{ "POST", "/v1/vnfs", vsl_api_vnf_create, false, false },
	{ "GET", "/v1/vnfs/{id}", vsl_api_vnf_show, false, true },
	{ "DELETE", "/v1/vnfs/{id}", vsl_api_vnf_delete, false, true },
	{ "POST", "/v1/vnfs/{id}/start", vsl_api_vnf_start, false, false },
	{ "POST", "/v1/vnfs/{id}/stop", vsl_api_vnf_stop, false, false },
	{ "POST", "/v1/vnfs/{id}/restart", vsl_api_vnf_restart, false, false },
	{ "POST", "/v1/vnfs/{id}/kill", vsl_api_vnf_kill, false, false },
	{ "POST", "/v1/vnfs/{id}/pause", vsl_api_vnf_pause, false, false },
	{ "POST", "/v1/vnfs/{id}/unpause", vsl_api_vnf_unpause, false, false },
	{ "GET", "/v1/vnfs/{id}/logs", vsl_api_vnf_logs, false, true },
	{ "GET", "/v1/vnfs/{id}/stats", vsl_api_vnf_stats, false, true },
	{ "GET", "/v1/images", vsl_api_image_list, false, true },
	{ "POST", "/v1/images", vsl_api_image_import, true, false },
	{ "GET", "/v1/images/{id}", vsl_api_image_show, false, true },
	{ "DELETE", "/v1/images/{id}", vsl_api_image_delete, false, true },
	{ "GET", "/v1/networks", vsl_api_net_list, false, true },
	{ "POST", "/v1/networks", vsl_api_net_create, false, false },
	{ "GET", "/v1/networks/{id}", vsl_api_net_show, false, true },
	{ "DELETE", "/v1/networks/{id}", vsl_api_net_delete, false, true },
	{ NULL, NULL, NULL, false, false },
};

void vsl_http_dump_routes(void)
{
	for (const struct vsl_route *r = vsl_routes; r->method; r++)
		printf("%s %s\n", r->method, r->path);
}

struct listener {
	struct vsl_agent *a;
	bool tcp;
};

/* Bytes past the body limit still read (and dropped) so the 413 reaches the client. */
#define HTTP_DRAIN_MAX (8LL << 20)

struct conn_ctx {
	struct timespec start;
	const struct vsl_route *route;
	char id[256];
	bool has_id;
	char *body;
	size_t len;
	long long limit;
	bool too_large;
	bool responded;
	int upload_fd;
	char *upload_path;
	int status;
	/* for the audit log */
	char method[16];
	char path[256];
	char peer[96];
	const char *auth;
};

static struct MHD_Daemon *unix_d, *tcp_d;
static struct listener unix_l, tcp_l;

/* Path match: returns 1 match, 0 no match; stores the {id} segment. */
static int match(const char *pattern, const char *url, char *id, size_t idlen, bool *has_id)
{
	*has_id = false;
	while (*pattern && *url) {
		if (strncmp(pattern, "{id}", 4) == 0) {
			size_t n = strcspn(url, "/");
			if (n == 0 || n >= idlen)
				return 0;
			memcpy(id, url, n);
			id[n] = '\0';
			*has_id = true;
			url += n;
			pattern += 4;
			continue;
		}
		if (*pattern++ != *url++)
			return 0;
	}
	return *pattern == '\0' && *url == '\0';
}

static enum MHD_Result send_json(struct MHD_Connection *c, int status, char *s)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(r, "Content-Type", "application/json");
	enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_err(struct MHD_Connection *c, struct conn_ctx *x, int http,
				const char *code, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
static enum MHD_Result send_err(struct MHD_Connection *c, struct conn_ctx *x, int http,
				const char *code, const char *field, const char *fmt, ...)
{
	struct vsl_api_err e = { .http = http, .code = code };
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&e.message, fmt, ap) < 0)
		e.message = NULL;
	va_end(ap);
	e.field = field ? xstrdup(field) : NULL;
	x->status = http;
	x->responded = true;
	enum MHD_Result r = send_json(c, http, vsl_api_err_json(&e));
	vsl_api_err_clear(&e);
	return r;
}

static bool ct_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	unsigned char d = alen != blen;
	for (size_t i = 0; i < alen; i++)
		d |= (unsigned char)(a[i] ^ b[i < blen ? i : 0]);
	return d == 0 && blen > 0;
}

/* Sets *how to "ok", "missing" or "wrong" (for the audit log). */
static bool authorized(struct vsl_agent *a, struct MHD_Connection *c, const char **how)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	*how = "missing";
	if (!h || !a->token || strncmp(h, "Bearer ", 7) != 0)
		return false;
	bool ok = ct_equal(h + 7, strlen(h + 7), a->token, strlen(a->token));
	*how = ok ? "ok" : "wrong";
	return ok;
}

static enum MHD_Result send_rate_limited(struct MHD_Connection *c, struct conn_ctx *x, int retry)
{
	struct vsl_api_err e = { .http = 429, .code = "rate_limited" };
	e.message = xasprintf("too many requests from this address: retry in %d s", retry);
	char *s = vsl_api_err_json(&e);
	vsl_api_err_clear(&e);
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
	char ra[16];
	snprintf(ra, sizeof(ra), "%d", retry);
	MHD_add_response_header(r, "Content-Type", "application/json");
	MHD_add_response_header(r, "Retry-After", ra);
	x->status = 429;
	x->responded = true;
	enum MHD_Result ret = MHD_queue_response(c, 429, r);
	MHD_destroy_response(r);
	return ret;
}

const char *vsl_http_arg(struct vsl_http_req *r, const char *key)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

struct args_check {
	const char *const *allowed;
	const char *bad;
};

static enum MHD_Result arg_iter(void *cls, enum MHD_ValueKind kind, const char *key, const char *v)
{
	struct args_check *ac = cls;
	(void)kind, (void)v;
	for (size_t i = 0; ac->allowed[i]; i++)
		if (strcmp(ac->allowed[i], key) == 0)
			return MHD_YES;
	ac->bad = key;
	return MHD_NO;
}

int vsl_http_args_only(struct vsl_http_req *r, const char *const *allowed, struct vsl_http_reply *out)
{
	struct args_check ac = { allowed, NULL };
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, arg_iter, &ac);
	if (!ac.bad)
		return 0;
	cleanup_free char *f = xasprintf("?%.100s", ac.bad);
	vsl_api_err_set(&out->err, 400, "unknown_parameter", f, "unknown query parameter `%.100s`", ac.bad);
	return -1;
}

static enum MHD_Result dispatch(struct vsl_agent *a, struct MHD_Connection *c, struct conn_ctx *x,
				const char *method)
{
	struct vsl_http_req r = { .a = a, .conn = c, .method = method,
				  .id = x->has_id ? x->id : NULL, .body = x->body,
				  .body_len = x->len, .upload = x->upload_path,
				  .upload_len = (long long)x->len };
	struct vsl_http_reply out = { .status = 200 };
	if (x->route->no_body && x->len > 0)
		vsl_api_err_set(&out.err, 400, "unexpected_body", NULL,
				"%s %s takes no request body", method, x->route->path);
	else
		x->route->h(&r, &out);
	if (out.err.http) {
		x->status = out.err.http;
		json_decref(out.json);
		free(out.text);
		if (out.resp)
			MHD_destroy_response(out.resp);
		enum MHD_Result ret = send_json(c, out.err.http, vsl_api_err_json(&out.err));
		vsl_api_err_clear(&out.err);
		return ret;
	}
	x->status = out.status;
	if (out.resp) {
		enum MHD_Result ret = MHD_queue_response(c, (unsigned)out.status, out.resp);
		MHD_destroy_response(out.resp);
		return ret;
	}
	if (out.json) {
		char *s = json_dumps(out.json, JSON_COMPACT);
		json_decref(out.json);
		return send_json(c, out.status, s);
	}
	char *t = out.text ? out.text : xstrdup("");
	struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(t), t, MHD_RESPMEM_MUST_FREE);
	if (out.ctype)
		MHD_add_response_header(resp, "Content-Type", out.ctype);
	enum MHD_Result ret = MHD_queue_response(c, (unsigned)out.status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result first_call(struct listener *l, struct MHD_Connection *c, struct conn_ctx *x,
				  const char *url, const char *method)
{
	struct vsl_agent *a = l->a;
	char key[64];
	int retry = 1;
	snprintf(x->method, sizeof(x->method), "%s", method);
	snprintf(x->path, sizeof(x->path), "%s", url);
	vsl_guard_peer(c, l->tcp, x->peer, sizeof(x->peer), key, sizeof(key));
	x->auth = "none";
	/* the limit comes first, so it also slows down token guessing */
	if (l->tcp && !vsl_guard_rate_ok(a, key, &retry))
		return send_rate_limited(c, x, retry);
	if (l->tcp && !authorized(a, c, &x->auth))
		return send_err(c, x, 401, "unauthorized", NULL,
				"missing or wrong `Authorization: Bearer <token>`");
	bool path_known = false;
	char allow[128] = "";
	for (const struct vsl_route *r = vsl_routes; r->method; r++) {
		if (!match(r->path, url, x->id, sizeof(x->id), &x->has_id))
			continue;
		path_known = true;
		if (strcmp(r->method, method) == 0) {
			x->route = r;
			break;
		}
		snprintf(allow + strlen(allow), sizeof(allow) - strlen(allow), "%s%s",
			 allow[0] ? ", " : "", r->method);
	}
	if (!x->route && !path_known)
		return send_err(c, x, 404, "not_found", NULL, "no such resource `%.200s`", url);
	if (!x->route) {
		cleanup_free char *s = NULL;
		struct vsl_api_err e = { .http = 405, .code = "method_not_allowed" };
		e.message = xasprintf("method %.20s is not allowed on `%.200s` (allowed: %s)", method, url, allow);
		s = vsl_api_err_json(&e);
		vsl_api_err_clear(&e);
		struct MHD_Response *r = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_COPY);
		MHD_add_response_header(r, "Content-Type", "application/json");
		MHD_add_response_header(r, "Allow", allow);
		x->status = 405;
		x->responded = true;
		enum MHD_Result ret = MHD_queue_response(c, 405, r);
		MHD_destroy_response(r);
		return ret;
	}
	x->limit = x->route->upload ? a->cfg.max_upload : a->cfg.max_body;
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
	if (cl && atoll(cl) > x->limit) {
		/* Answering before the body is read makes MHD close the socket
		 * with unread data in it: the kernel resets the connection and
		 * the client may never see the 413. Drain modest excesses and
		 * answer after; refuse at once only what is far too big. */
		if (atoll(cl) - x->limit > HTTP_DRAIN_MAX)
			return send_err(c, x, 413, "payload_too_large", NULL,
					"request body of %s bytes exceeds the limit of %lld bytes", cl, x->limit);
		x->too_large = true;
		return MHD_YES;
	}
	if (x->route->upload) {
		x->upload_path = xasprintf("%s/tmp/upload.XXXXXX", a->cfg.state_dir);
		x->upload_fd = mkostemp(x->upload_path, O_CLOEXEC);
		if (x->upload_fd < 0)
			return send_err(c, x, 500, "internal", NULL, "temp file `%s`: %s", x->upload_path,
					strerror(errno));
	}
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *data_size, void **con_cls)
{
	struct listener *l = cls;
	struct conn_ctx *x = *con_cls;
	(void)version;
	if (!x) {
		x = xzalloc(sizeof(*x));
		x->upload_fd = -1;
		clock_gettime(CLOCK_MONOTONIC, &x->start);
		*con_cls = x;
		return first_call(l, c, x, url, method);
	}
	if (x->responded) { /* an early error: discard the rest */
		*data_size = 0;
		return MHD_YES;
	}
	if (*data_size) {
		if (x->too_large || (long long)(x->len + *data_size) > x->limit) {
			x->too_large = true;
		} else if (x->upload_fd >= 0) {
			if (write(x->upload_fd, data, *data_size) != (ssize_t)*data_size)
				x->too_large = true; /* disk full: reported below */
			x->len += *data_size;
		} else {
			x->body = xrealloc(x->body, x->len + *data_size + 1);
			memcpy(x->body + x->len, data, *data_size);
			x->len += *data_size;
			x->body[x->len] = '\0';
		}
		*data_size = 0;
		return MHD_YES;
	}
	if (x->too_large)
		return send_err(c, x, 413, "payload_too_large", NULL,
				"request body exceeds the limit of %lld bytes", x->limit);
	x->responded = true;
	return dispatch(l->a, c, x, method);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct listener *l = cls;
	struct conn_ctx *x = *con_cls;
	struct timespec end;
	(void)c, (void)toe;
	if (!x)
		return;
	clock_gettime(CLOCK_MONOTONIC, &end);
	double dt = (double)(end.tv_sec - x->start.tv_sec) + (double)(end.tv_nsec - x->start.tv_nsec) / 1e9;
	struct vsl_agent *a = l->a;
	pthread_mutex_lock(&a->m_lock);
	int b = 0;
	while (b < VSL_LAT_NB && dt > vsl_lat_bounds[b])
		b++;
	a->lat_count[b]++;
	a->lat_sum += dt;
	a->lat_total++;
	if (x->status >= 100 && x->status < 600)
		a->req_by_class[x->status / 100]++;
	pthread_mutex_unlock(&a->m_lock);
	struct vsl_audit_rec rec = { .tcp = l->tcp, .peer = x->peer, .method = x->method,
				     .path = x->path, .auth = x->auth ? x->auth : "none",
				     .status = x->status, .bytes = (long long)x->len };
	vsl_guard_audit(a, &rec);
	if (x->upload_fd >= 0)
		close(x->upload_fd);
	if (x->upload_path)
		unlink(x->upload_path);
	free(x->upload_path);
	free(x->body);
	free(x);
	*con_cls = NULL;
}

static int bind_unix(const char *path, const char *group, struct vsl_err **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	if (strlen(path) >= sizeof(sa.sun_path))
		return vsl_err_make(err, 0, "socket path `%s` is too long", path);
	strcpy(sa.sun_path, path);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return vsl_err_make(err, 0, "`%s` exists and is not a socket", path);
		unlink(path);
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return vsl_err_make(err, errno, "socket");
	mode_t old = umask(0117);
	int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || chmod(path, 0660) < 0 || listen(fd, 128) < 0) {
		close(fd);
		return vsl_err_make(err, errno, "listen on `%s`", path);
	}
	if (group != NULL) { /* members of the group may use the API */
		struct group *g = getgrnam(group);
		if (g == NULL || chown(path, (uid_t)-1, g->gr_gid) < 0) {
			close(fd);
			return vsl_err_make(err, g ? errno : 0, "--socket-group `%s`: %s", group,
					    g ? "chown of the socket failed" : "no such group");
		}
	}
	return fd;
}

static char *slurp(const char *path, struct vsl_err **err)
{
	cleanup_fclose FILE *f = fopen(path, "re");
	if (!f) {
		vsl_err_make(err, errno, "open `%s`", path);
		return NULL;
	}
	char *buf = xzalloc(1 << 20);
	size_t n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	return buf;
}

/* TCP clients are the least trusted: bounded connections overall and per
 * address (slow clients cannot hold every thread), and headers at most
 * 32 KiB per connection. */
#define TCP_LIMITS                                                              \
	MHD_OPTION_CONNECTION_LIMIT, 128u, MHD_OPTION_PER_IP_CONNECTION_LIMIT, 32u, \
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024)

static int start_tcp(struct vsl_agent *a, struct vsl_err **err)
{
	const char *spec = a->cfg.tcp_listen, *colon = strrchr(spec, ':');
	struct sockaddr_in sin = { .sin_family = AF_INET };
	char host[64] = "127.0.0.1";
	long port = strtol(colon ? colon + 1 : spec, NULL, 10);
	if (colon)
		snprintf(host, sizeof(host), "%.*s", (int)(colon - spec), spec);
	if (port < 1 || port > 65535 || inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		return vsl_err_make(err, 0, "--listen-tcp `%s`: use PORT or ADDR:PORT", spec);
	sin.sin_port = htons((uint16_t)port);
	if (!a->cfg.token_file)
		return vsl_err_make(err, 0, "--listen-tcp needs --token-file (the TCP API requires a bearer token)");
	char *tok = slurp(a->cfg.token_file, err);
	if (!tok)
		return vsl_err_wrap(err, "token file");
	tok[strcspn(tok, "\r\n")] = '\0';
	if (strlen(tok) < 16) {
		free(tok);
		return vsl_err_make(err, 0, "token file `%s`: token must be at least 16 characters",
				    a->cfg.token_file);
	}
	a->token = tok;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;
	cleanup_free char *cert = NULL;
	cleanup_free char *key = NULL;
	if (a->cfg.tls_cert || a->cfg.tls_key) {
		if (!a->cfg.tls_cert || !a->cfg.tls_key)
			return vsl_err_make(err, 0, "TLS needs both --tls-cert and --tls-key");
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
			return vsl_err_make(err, 0, "this libmicrohttpd has no TLS support");
		if (!(cert = slurp(a->cfg.tls_cert, err)) || !(key = slurp(a->cfg.tls_key, err)))
			return vsl_err_wrap(err, "TLS");
		flags |= MHD_USE_TLS;
	}
	tcp_l = (struct listener){ a, true };
	tcp_d = cert ? MHD_start_daemon(flags, 0, NULL, NULL, on_request, &tcp_l, MHD_OPTION_SOCK_ADDR, &sin,
					MHD_OPTION_NOTIFY_COMPLETED, on_completed, &tcp_l,
					MHD_OPTION_HTTPS_MEM_CERT, cert, MHD_OPTION_HTTPS_MEM_KEY, key,
					MHD_OPTION_CONNECTION_TIMEOUT, 600u, TCP_LIMITS, MHD_OPTION_END)
		     : MHD_start_daemon(flags, 0, NULL, NULL, on_request, &tcp_l, MHD_OPTION_SOCK_ADDR, &sin,
					MHD_OPTION_NOTIFY_COMPLETED, on_completed, &tcp_l,
					MHD_OPTION_CONNECTION_TIMEOUT, 600u, TCP_LIMITS, MHD_OPTION_END);
	if (!tcp_d)
		return vsl_err_make(err, 0, "cannot listen on %s:%ld (in use?)", host, port);
	vsl_info("listening on %s://%s:%ld", cert ? "https" : "http", host, port);
	return 0;
}

int vsl_http_start(struct vsl_agent *a, struct vsl_err **err)
{
	if (vsl_guard_open_audit(a, err) < 0)
		return -1;
	int fd = bind_unix(a->cfg.socket_path, a->cfg.socket_group, err);
	if (fd < 0)
		return -1;
	unix_l = (struct listener){ a, false };
	unix_d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
				  MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, &unix_l,
				  MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
				  &unix_l, MHD_OPTION_CONNECTION_TIMEOUT, 600u, MHD_OPTION_END);
	if (!unix_d) {
		close(fd);
		return vsl_err_make(err, 0, "libmicrohttpd could not start on `%s`", a->cfg.socket_path);
	}
	vsl_info("listening on unix:%s", a->cfg.socket_path);
	if (a->cfg.tcp_listen && start_tcp(a, err) < 0)
		return -1;
	return 0;
}

void vsl_http_stop(void)
{
	if (tcp_d)
		MHD_stop_daemon(tcp_d);
	if (unix_d)
		MHD_stop_daemon(unix_d);
	tcp_d = unix_d = NULL;
}
