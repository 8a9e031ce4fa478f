/* QMP client: see qmp.h. Each message is one JSON object per line. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "qmp.h"
#include "vessel/cleanup.h"

#define QMP_TIMEOUT_MS 5000

struct vsl_qmp {
	int fd;
	char *buf;
	size_t len, cap;
};

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Reads one line (one JSON message) and parses it. */
static int read_msg(struct vsl_qmp *q, json_t **out, struct vsl_err **err)
{
	long deadline = now_ms() + QMP_TIMEOUT_MS;
	for (;;) {
		char *nl = q->len ? memchr(q->buf, '\n', q->len) : NULL;
		if (nl != NULL) {
			size_t n = (size_t)(nl - q->buf) + 1;
			json_error_t jerr;
			*out = json_loadb(q->buf, n, 0, &jerr);
			memmove(q->buf, q->buf + n, q->len - n);
			q->len -= n;
			if (*out == NULL)
				return vsl_err_make(err, EPROTO, "QMP: bad JSON from QEMU: %s", jerr.text);
			return 0;
		}
		if (q->len + 4096 > q->cap) {
			q->cap = q->cap ? q->cap * 2 : 8192;
			q->buf = xrealloc(q->buf, q->cap);
		}
		struct pollfd p = { .fd = q->fd, .events = POLLIN };
		long left = deadline - now_ms();
		if (left <= 0 || poll(&p, 1, (int)left) == 0)
			return vsl_err_make(err, ETIMEDOUT, "QMP: no answer from QEMU");
		ssize_t r = read(q->fd, q->buf + q->len, q->cap - q->len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return vsl_err_make(err, errno, "QMP: read");
		if (r == 0)
			return vsl_err_make(err, ECONNRESET, "QMP: QEMU closed the connection");
		q->len += (size_t)r;
	}
}

int vsl_qmp_execute(struct vsl_qmp *q, const char *cmd, json_t *args, json_t **ret,
		    struct vsl_err **err)
{
	json_t *req = json_pack("{s:s}", "execute", cmd);
	if (args != NULL)
		json_object_set(req, "arguments", args);
	cleanup_free char *text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	cleanup_free char *line = xasprintf("%s\n", text);
	size_t n = strlen(line);
	if (send(q->fd, line, n, MSG_NOSIGNAL) != (ssize_t)n)
		return vsl_err_make(err, errno ? errno : EIO, "QMP `%s`: send", cmd);
	for (;;) {
		json_t *msg = NULL;
		if (read_msg(q, &msg, err) < 0)
			return vsl_err_wrap(err, "QMP `%s`", cmd);
		if (json_object_get(msg, "event") != NULL) {
			json_decref(msg);
			continue;
		}
		json_t *e = json_object_get(msg, "error");
		if (e != NULL) {
			const char *desc = json_string_value(json_object_get(e, "desc"));
			int r = vsl_err_make(err, 0, "QMP `%s`: %s", cmd, desc ? desc : "error");
			json_decref(msg);
			return r;
		}
		if (ret != NULL)
			*ret = json_incref(json_object_get(msg, "return"));
		json_decref(msg);
		return 0;
	}
}

int vsl_qmp_connect(const char *path, int timeout_ms, struct vsl_qmp **out, struct vsl_err **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return vsl_err_make(err, ENAMETOOLONG, "QMP socket `%s`", path);
	strcpy(sa.sun_path, path);
	cleanup_close int fd = -1;
	long deadline = now_ms() + timeout_ms;
	for (;;) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return vsl_err_make(err, errno, "QMP: socket");
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		int e = errno;
		close(fd);
		fd = -1;
		if ((e != ENOENT && e != ECONNREFUSED) || now_ms() >= deadline)
			return vsl_err_make(err, e, "QMP: connect `%s`", path);
		usleep(5000);
	}
	struct vsl_qmp *q = xzalloc(sizeof(*q));
	q->fd = steal_fd(&fd);
	json_t *greeting = NULL;
	if (read_msg(q, &greeting, err) < 0 ||
	    vsl_qmp_execute(q, "qmp_capabilities", NULL, NULL, err) < 0) {
		json_decref(greeting);
		vsl_qmp_close(q);
		return vsl_err_wrap(err, "QMP `%s`", path);
	}
	json_decref(greeting);
	*out = q;
	return 0;
}

int vsl_qmp_vcpu_threads(struct vsl_qmp *q, int **tids, size_t *n, struct vsl_err **err)
{
	json_t *ret = NULL;
	if (vsl_qmp_execute(q, "query-cpus-fast", NULL, &ret, err) < 0)
		return -1;
	size_t count = json_array_size(ret);
	int *v = xzalloc((count + 1) * sizeof(int));
	for (size_t i = 0; i < count; i++) {
		json_t *cpu = json_array_get(ret, i);
		json_int_t idx = json_integer_value(json_object_get(cpu, "cpu-index"));
		if (idx >= 0 && (size_t)idx < count)
			v[idx] = (int)json_integer_value(json_object_get(cpu, "thread-id"));
	}
	json_decref(ret);
	*tids = v;
	*n = count;
	return 0;
}

int vsl_qmp_fd(const struct vsl_qmp *q)
{
	return q->fd;
}

void vsl_qmp_close(struct vsl_qmp *q)
{
	if (q == NULL)
		return;
	if (q->fd >= 0)
		close(q->fd);
	free(q->buf);
	free(q);
}
