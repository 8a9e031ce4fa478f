/* Cleanup helpers and aborting allocators: see vessel/cleanup.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vessel/cleanup.h"

void vsl_freep(void *p)
{
	free(*(void **)p);
}

void vsl_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
		*fd = -1;
	}
}

void vsl_fclosep(FILE **f)
{
	if (*f != NULL) {
		int saved = errno;
		fclose(*f);
		errno = saved;
		*f = NULL;
	}
}

static void *oom(size_t n)
{
	fprintf(stderr, "vessel: out of memory allocating %zu bytes\n", n);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	return p ? p : oom(n);
}

void *xzalloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);
	return p ? p : oom(n);
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	return q ? q : oom(n);
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);
	return p ? p : oom(strlen(s));
}

char *xasprintf(const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&s, fmt, ap);
	va_end(ap);
	return r < 0 ? oom(0) : s;
}
