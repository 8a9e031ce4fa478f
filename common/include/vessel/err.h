/* Error objects shared by every Vessel component.
 *
 * A function that can fail returns a negative value (or NULL) and takes
 * `struct vsl_err **err` as its last argument. On failure it stores a newly
 * allocated error there (ownership passes to the caller). Only the top of a
 * call chain (a CLI main, a REST handler, a control-socket handler) prints
 * and frees it. Errors may be wrapped to add context on the way up.
 */
#ifndef VESSEL_ERR_H
#define VESSEL_ERR_H

#include <stdarg.h>

struct vsl_err {
	int code;  /* errno-style value, 0 when not an OS error */
	char *msg; /* full message, context first: "create `x`: open `y`: No such file" */
};

/* Creates an error in *err (if err is non-NULL and *err is NULL); appends
 * strerror(code) when code > 0. Always returns -abs(code) or -1 when code is 0,
 * so callers can write `return vsl_err_make(err, errno, "...")`. */
int vsl_err_make(struct vsl_err **err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefixes context to an existing error ("context: old message").
 * Returns the same negative value as vsl_err_make. No-op if *err is NULL. */
int vsl_err_wrap(struct vsl_err **err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Frees an error; NULL is a no-op. */
void vsl_err_free(struct vsl_err *e);

/* Frees *err and sets it to NULL (for cleanup attributes). */
void vsl_err_freep(struct vsl_err **err);

#define cleanup_err __attribute__((cleanup(vsl_err_freep)))

#endif
