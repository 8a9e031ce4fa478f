/* Scope-bound cleanup helpers (GCC/Clang `cleanup` attribute) and the one
 * allowed abort: xmalloc and friends abort on out-of-memory. */
#ifndef VESSEL_CLEANUP_H
#define VESSEL_CLEANUP_H

#include <stddef.h>
#include <stdio.h>

void vsl_freep(void *p);   /* free(*(void **)p) */
void vsl_closep(int *fd);  /* close(*fd) if >= 0, preserving errno */
void vsl_fclosep(FILE **f);

#define cleanup_free __attribute__((cleanup(vsl_freep)))
#define cleanup_close __attribute__((cleanup(vsl_closep)))
#define cleanup_fclose __attribute__((cleanup(vsl_fclosep)))

/* Returns the value and sets the variable to a "nothing to clean" value:
 * ownership hand-off, as in `*out = steal_pointer(&p);`. */
#define steal_pointer(pp) ({ __typeof__(*(pp)) _v = *(pp); *(pp) = NULL; _v; })
#define steal_fd(pfd) ({ int _fd = *(pfd); *(pfd) = -1; _fd; })

void *xmalloc(size_t n);
void *xzalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
