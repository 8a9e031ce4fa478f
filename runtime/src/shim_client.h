/* Talking to a running vessel-shim over <state dir>/shim.sock: one request
 * line, one answer line ("ok" or "error <message>"). */
#ifndef VESSEL_SHIM_CLIENT_H
#define VESSEL_SHIM_CLIENT_H

#include "vessel/err.h"

/* Sends req to the shim of container id and waits up to timeout_ms for its
 * answer. An "error" answer becomes *err. */
int vsl_shim_request(const char *root, const char *id, const char *req, int timeout_ms,
		     struct vsl_err **err);

#endif
