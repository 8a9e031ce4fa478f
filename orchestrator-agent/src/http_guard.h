/* The API's guard rails (issue 10): who is calling (TCP address or the unix
 * peer's uid/pid), a per-client-address request rate limit on the TCP
 * listener, and the audit log: one JSON line for every mutating request
 * and every refused one (401, 413, 429), with time, listener, peer, method,
 * path, status and how the bearer token fared. */
#ifndef VSL_AGENT_HTTP_GUARD_H
#define VSL_AGENT_HTTP_GUARD_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

#include "agent.h"

struct vsl_audit_rec {
	bool tcp;
	const char *peer;
	const char *method;
	const char *path;
	const char *auth; /* "ok", "missing", "wrong", "none" (unix socket) */
	int status;       /* 0: the connection ended before a reply */
	long long bytes;  /* request body bytes received */
};

/* Opens cfg.audit_log (append, 0600, no symlinks). */
int vsl_guard_open_audit(struct vsl_agent *a, struct vsl_err **err);

/* "ADDR:PORT" for TCP, "uid=U,pid=P" for the unix socket. In *key (for the
 * rate limit) the address alone. */
void vsl_guard_peer(struct MHD_Connection *c, bool tcp, char *peer, size_t n, char *key, size_t kn);

/* Token bucket per client address: true if this request may go on; else
 * *retry_after is the seconds until a token is back. */
bool vsl_guard_rate_ok(struct vsl_agent *a, const char *key, int *retry_after);

/* Writes the audit line if the request is mutating or was refused. */
void vsl_guard_audit(struct vsl_agent *a, const struct vsl_audit_rec *r);

#endif
