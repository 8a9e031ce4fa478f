/* The process-global logger: see vessel/log.h. JSON lines are built with
 * jansson so messages with quotes or control characters stay valid JSON. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vessel/cleanup.h"
#include "vessel/err.h"
#include "vessel/log.h"

static struct {
	const char *prog;
	enum vsl_log_level level;
	enum vsl_log_format fmt;
	FILE *file; /* NULL: stderr */
	bool echo_errors;
} g_log = { "vessel", VSL_LOG_WARN, VSL_LOG_TEXT, NULL, false };

static const char *const level_names[] = { "error", "warning", "info", "debug" };

int vsl_log_init(const char *prog, enum vsl_log_level level, enum vsl_log_format fmt,
		 const char *path, struct vsl_err **err)
{
	g_log.prog = prog;
	g_log.level = level;
	g_log.fmt = fmt;
	if (path != NULL && *path != '\0') {
		int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (fd < 0)
			return vsl_err_make(err, errno, "open log file `%s`", path);
		FILE *f = fdopen(fd, "a");
		if (f == NULL) {
			close(fd);
			return vsl_err_make(err, errno, "open log file `%s`", path);
		}
		setvbuf(f, NULL, _IOLBF, 0);
		if (g_log.file != NULL)
			fclose(g_log.file);
		g_log.file = f;
	}
	return 0;
}

void vsl_log_set_echo_errors(bool on)
{
	g_log.echo_errors = on;
}

int vsl_log_format_parse(const char *s, enum vsl_log_format *out)
{
	if (strcmp(s, "text") == 0)
		*out = VSL_LOG_TEXT;
	else if (strcmp(s, "json") == 0)
		*out = VSL_LOG_JSON;
	else
		return -1;
	return 0;
}

bool vsl_log_enabled(enum vsl_log_level level)
{
	return level <= g_log.level;
}

void vsl_time_rfc3339(char *buf, size_t n)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t k = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + k, n - k, ".%09ldZ", ts.tv_nsec);
}

static void log_write(FILE *f, enum vsl_log_format fmt, enum vsl_log_level level, const char *msg)
{
	if (fmt == VSL_LOG_JSON) {
		char when[64];
		vsl_time_rfc3339(when, sizeof(when));
		json_t *o = json_pack("{s:s, s:s, s:s}", "level", level_names[level], "msg", msg,
				      "time", when);
		char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
		if (line != NULL)
			fprintf(f, "%s\n", line);
		free(line);
		json_decref(o);
	} else {
		fprintf(f, "%s: %s: %s\n", g_log.prog, level_names[level], msg);
	}
	fflush(f);
}

void vsl_log(enum vsl_log_level level, const char *fmt, ...)
{
	if (!vsl_log_enabled(level))
		return;
	int saved = errno;
	char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (msg == NULL) {
		errno = saved;
		return;
	}
	FILE *f = g_log.file ? g_log.file : stderr;
	log_write(f, g_log.fmt, level, msg);
	if (g_log.file != NULL && g_log.echo_errors && level == VSL_LOG_ERROR)
		log_write(stderr, VSL_LOG_TEXT, level, msg);
	free(msg);
	errno = saved;
}

void vsl_log_err(struct vsl_err *err)
{
	if (err == NULL)
		return;
	vsl_error("%s", err->msg);
	vsl_err_free(err);
}
