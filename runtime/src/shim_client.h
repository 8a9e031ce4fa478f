/* Talking to a running vessel-shim over <state dir>/shim.sock: one request
 * line, one answer line ("ok" or "error <message>"). */
#ifndef VESSEL_SHIM_CLIENT_H
#define VESSEL_SHIM_CLIENT_H

#include "vessel/err.h"

/* Sends req to the shim of container id and waits up to timeout_ms for its
 * answer. An "error" answer becomes *err. */
int vsl_shim_request(const char *root, const char *id, const char *req, int timeout_ms,
		     struct vsl_err **err);

/* Like vsl_shim_request, for requests answered "ok <text>": the text goes to
 * *answer (caller frees; "" for a bare "ok"). */
int vsl_shim_query(const char *root, const char *id, const char *req, int timeout_ms,
		   char **answer, struct vsl_err **err);

/* Connects to the shim of container id; returns the socket (close-on-exec). */
int vsl_shim_connect(const char *root, const char *id, struct vsl_err **err);

/* Largest packed process spec an exec request may carry. */
#define VSL_EXEC_SPEC_MAX (256u << 10)

#endif
