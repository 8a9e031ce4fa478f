/* A small synchronous QMP client (QEMU Machine Protocol over a unix socket).
 * Commands are sent one at a time; asynchronous events that arrive while a
 * command waits for its answer are skipped. */
#ifndef VESSEL_QMP_H
#define VESSEL_QMP_H

#include <jansson.h>

#include "vessel/err.h"

struct vsl_qmp;

/* Connects to the QMP socket at path, retrying for up to timeout_ms while
 * QEMU creates it, reads the greeting and negotiates capabilities. Returns a
 * new client in *out (free with vsl_qmp_close). */
int vsl_qmp_connect(const char *path, int timeout_ms, struct vsl_qmp **out, struct vsl_err **err);

/* Executes cmd with optional args (borrowed). On success stores the "return"
 * value in *ret (new reference, may be NULL if ret is NULL). A QMP error
 * becomes a vsl_err with QEMU's description. */
int vsl_qmp_execute(struct vsl_qmp *q, const char *cmd, json_t *args, json_t **ret,
		    struct vsl_err **err);

/* Returns the host thread ids of the vCPUs (query-cpus-fast), in CPU index
 * order, as a new array in *tids with *n entries. */
int vsl_qmp_vcpu_threads(struct vsl_qmp *q, int **tids, size_t *n, struct vsl_err **err);

/* The socket fd (to poll for hang-up). */
int vsl_qmp_fd(const struct vsl_qmp *q);

void vsl_qmp_close(struct vsl_qmp *q);

#endif
