/* Error objects: see vessel/err.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vessel/cleanup.h"
#include "vessel/err.h"

static int err_ret(int code)
{
	if (code > 0)
		return -code;
	if (code < 0)
		return code;
	return -1;
}

int vsl_err_make(struct vsl_err **err, int code, const char *fmt, ...)
{
	if (code < 0)
		code = -code;
	if (err == NULL || *err != NULL)
		return err_ret(code);

	char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);

	struct vsl_err *e = xzalloc(sizeof(*e));
	e->code = code;
	if (code > 0) {
		e->msg = xasprintf("%s: %s", msg, strerror(code));
		free(msg);
	} else {
		e->msg = msg;
	}
	*err = e;
	return err_ret(code);
}

int vsl_err_wrap(struct vsl_err **err, const char *fmt, ...)
{
	if (err == NULL || *err == NULL)
		return -1;

	char *ctx = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&ctx, fmt, ap) < 0)
		abort();
	va_end(ap);

	char *msg = xasprintf("%s: %s", ctx, (*err)->msg);
	free(ctx);
	free((*err)->msg);
	(*err)->msg = msg;
	return err_ret((*err)->code);
}

void vsl_err_free(struct vsl_err *e)
{
	if (e == NULL)
		return;
	free(e->msg);
	free(e);
}

void vsl_err_freep(struct vsl_err **err)
{
	vsl_err_free(*err);
	*err = NULL;
}
