/* The one logger. Levels, text or JSON lines, stderr or a file.
 *
 * Text:  "vessel-runtime: error: create `x`: ...\n"
 * JSON:  {"level":"error","msg":"...","time":"2026-..."}  (runc/podman shape)
 * The logger is process-global and set up once by main().
 */
#ifndef VESSEL_LOG_H
#define VESSEL_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum vsl_log_level { VSL_LOG_ERROR, VSL_LOG_WARN, VSL_LOG_INFO, VSL_LOG_DEBUG };
enum vsl_log_format { VSL_LOG_TEXT, VSL_LOG_JSON };

struct vsl_err;

/* Sets the program name, minimum level, format, and an optional log file
 * (NULL: stderr). Returns -1 with an error if the file cannot be opened. */
int vsl_log_init(const char *prog, enum vsl_log_level level, enum vsl_log_format fmt,
		 const char *path, struct vsl_err **err);

/* When a log file is set, errors are also echoed to stderr in text form
 * (what runc does: managers read the file, humans the terminal). */
void vsl_log_set_echo_errors(bool on);

/* Parses "text"/"json"; returns -1 if unknown. */
int vsl_log_format_parse(const char *s, enum vsl_log_format *out);

void vsl_log(enum vsl_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool vsl_log_enabled(enum vsl_log_level level);

#define vsl_error(...) vsl_log(VSL_LOG_ERROR, __VA_ARGS__)
#define vsl_warn(...) vsl_log(VSL_LOG_WARN, __VA_ARGS__)
#define vsl_info(...) vsl_log(VSL_LOG_INFO, __VA_ARGS__)
#define vsl_debug(...) vsl_log(VSL_LOG_DEBUG, __VA_ARGS__)

/* Writes the current UTC time as RFC 3339 with nanoseconds
 * ("2026-12-01T08:00:00.123456789Z") into buf (at least 32 bytes). */
void vsl_time_rfc3339(char *buf, size_t n);

/* Logs err at error level and frees it. */
void vsl_log_err(struct vsl_err *err);

#endif
