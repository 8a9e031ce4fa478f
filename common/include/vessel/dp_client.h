/* A client for vessel-dp's control socket (dataplane/README.md): one
 * newline-terminated JSON-RPC 2.0 request per connection, one answer line
 * back, with a bounded wait so a stuck dataplane never stalls the caller.
 * Shared by vesseld (networks, stats) and the runtime (VNF ports). */
#ifndef VESSEL_DP_CLIENT_H
#define VESSEL_DP_CLIENT_H

#include <jansson.h>

#include "vessel/err.h"

/* Calls `method` with params (stolen; NULL for {}) on the control socket at
 * sock. Returns the "result" (new reference) or NULL with *err set: the
 * error names the socket when it cannot be reached, or carries vessel-dp's
 * own message (which names the object) when the call is refused. Waits at
 * most 3 s for the answer. */
json_t *vsl_dp_call(const char *sock, const char *method, json_t *params, struct vsl_err **err);

/* The same with the answer bound in milliseconds. */
json_t *vsl_dp_call_ms(const char *sock, const char *method, json_t *params, int timeout_ms,
		       struct vsl_err **err);

#endif
