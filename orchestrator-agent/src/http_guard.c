/* Caller identity, rate limit and audit log of the REST API (http_guard.h).
 * The limiter keeps a small table of token buckets (one per client address,
 * the least recently used one recycled), enough for the handful of
 * orchestrators and operators that talk to one node; the audit log is
 * written with one write(2) per line on an O_APPEND fd, so lines from
 * concurrent connection threads never interleave. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http_guard.h"
#include "vessel/cleanup.h"
#include "vessel/log.h"

#define RL_SLOTS 256

struct bucket {
	char key[64];
	double tokens;
	double last; /* monotonic seconds */
};

static struct bucket buckets[RL_SLOTS];
static pthread_mutex_t rl_lock = PTHREAD_MUTEX_INITIALIZER;

static double mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

bool vsl_guard_rate_ok(struct vsl_agent *a, const char *key, int *retry_after)
{
	double rate = a->cfg.rate_limit, burst = a->cfg.rate_burst;
	if (rate <= 0)
		return true;
	double now = mono_now();
	pthread_mutex_lock(&rl_lock);
	struct bucket *b = NULL, *oldest = &buckets[0];
	for (size_t i = 0; i < RL_SLOTS && b == NULL; i++) {
		if (strcmp(buckets[i].key, key) == 0)
			b = &buckets[i];
		else if (buckets[i].last < oldest->last)
			oldest = &buckets[i];
	}
	if (b == NULL) {
		b = oldest;
		snprintf(b->key, sizeof(b->key), "%s", key);
		b->tokens = burst;
		b->last = now;
	}
	b->tokens += (now - b->last) * rate;
	if (b->tokens > burst)
		b->tokens = burst;
	b->last = now;
	bool ok = b->tokens >= 1.0;
	if (ok)
		b->tokens -= 1.0;
	else
		*retry_after = (int)((1.0 - b->tokens) / rate) + 1;
	pthread_mutex_unlock(&rl_lock);
	return ok;
}

void vsl_guard_peer(struct MHD_Connection *c, bool tcp, char *peer, size_t n, char *key, size_t kn)
{
	snprintf(peer, n, "unknown");
	snprintf(key, kn, "unknown");
	if (tcp) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		const struct sockaddr *sa = ci ? ci->client_addr : NULL;
		char host[INET6_ADDRSTRLEN] = "?";
		unsigned port = 0;
		if (sa && sa->sa_family == AF_INET) {
			const struct sockaddr_in *in = (const void *)sa;
			inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
			port = ntohs(in->sin_port);
		} else if (sa && sa->sa_family == AF_INET6) {
			const struct sockaddr_in6 *in6 = (const void *)sa;
			inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
			port = ntohs(in6->sin6_port);
		}
		snprintf(peer, n, "%s:%u", host, port);
		snprintf(key, kn, "%s", host);
		return;
	}
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct ucred cred;
	socklen_t len = sizeof(cred);
	if (ci && getsockopt(ci->connect_fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
		snprintf(peer, n, "uid=%u,pid=%d", (unsigned)cred.uid, (int)cred.pid);
		snprintf(key, kn, "uid=%u", (unsigned)cred.uid);
	}
}

int vsl_guard_open_audit(struct vsl_agent *a, struct vsl_err **err)
{
	a->audit_fd = -1;
	if (a->cfg.audit_log == NULL || strcmp(a->cfg.audit_log, "none") == 0)
		return 0;
	a->audit_fd = open(a->cfg.audit_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
			   0600);
	if (a->audit_fd < 0)
		return vsl_err_make(err, errno, "--audit-log `%s`", a->cfg.audit_log);
	return 0;
}

static bool mutating(const char *method)
{
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
	       strcmp(method, "OPTIONS") != 0;
}

void vsl_guard_audit(struct vsl_agent *a, const struct vsl_audit_rec *r)
{
	bool refused = r->status == 401 || r->status == 403 || r->status == 413 || r->status == 429;
	if (a->audit_fd < 0 || !(mutating(r->method) || refused))
		return;
	char *now = vsl_now_rfc3339();
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:I}", "time", now, "listener",
			      r->tcp ? "tcp" : "unix", "peer", r->peer, "method", r->method, "path",
			      r->path, "status", r->status, "auth", r->auth, "bytes",
			      (json_int_t)r->bytes);
	free(now);
	if (o == NULL)
		return;
	char *line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	if (line == NULL)
		return;
	size_t len = strlen(line);
	line[len] = '\n'; /* json_dumps leaves room: we rewrite the NUL */
	if (write(a->audit_fd, line, len + 1) != (ssize_t)(len + 1))
		vsl_warn("audit log `%s`: %s", a->cfg.audit_log, strerror(errno));
	free(line);
}
