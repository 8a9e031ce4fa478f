/* vessel-dp control socket client: see vessel/dp_client.h. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vessel/cleanup.h"
#include "vessel/dp_client.h"

json_t *vsl_dp_call_ms(const char *sock, const char *method, json_t *params, int timeout_ms,
		       struct vsl_err **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	static int next_id;
	json_t *req = json_pack("{s:s, s:i, s:s, s:o}", "jsonrpc", "2.0", "id",
				__atomic_add_fetch(&next_id, 1, __ATOMIC_RELAXED), "method", method,
				"params", params ? params : json_object());
	cleanup_free char *line = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!sock || strlen(sock) >= sizeof(sa.sun_path)) {
		vsl_err_make(err, 0, "no dataplane control socket configured (--dp-socket)");
		return NULL;
	}
	strcpy(sa.sun_path, sock);
	cleanup_close int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		vsl_err_make(err, errno, "dataplane control socket `%s`", sock);
		return NULL;
	}
	size_t len = strlen(line);
	line = xrealloc(line, len + 2);
	line[len++] = '\n';
	if (write(fd, line, len) != (ssize_t)len) {
		vsl_err_make(err, errno, "dataplane `%s`: write", sock);
		return NULL;
	}
	char buf[1 << 16];
	size_t got = 0;
	while (got < sizeof(buf) - 1 && !memchr(buf, '\n', got)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, timeout_ms) <= 0) {
			vsl_err_make(err, ETIMEDOUT, "dataplane `%s`: no answer to %s", sock, method);
			return NULL;
		}
		ssize_t r = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (r <= 0) {
			vsl_err_make(err, r < 0 ? errno : 0, "dataplane `%s`: closed during %s", sock, method);
			return NULL;
		}
		got += (size_t)r;
	}
	json_t *resp = json_loadb(buf, got, 0, NULL);
	json_t *res = json_incref(json_object_get(resp, "result"));
	if (!res) {
		json_t *e = json_object_get(resp, "error");
		vsl_err_make(err, 0, "dataplane %s: %s", method,
			     e ? json_string_value(json_object_get(e, "message")) ?: "error" : "malformed answer");
	}
	json_decref(resp);
	return res;
}

json_t *vsl_dp_call(const char *sock, const char *method, json_t *params, struct vsl_err **err)
{
	return vsl_dp_call_ms(sock, method, params, 3000, err);
}
