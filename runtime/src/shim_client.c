/* Shim control-socket client: see shim_client.h. The socket is reached
 * through /proc/self/fd/<dirfd>/shim.sock so long state paths do not hit the
 * 108-byte sun_path limit. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "shim_client.h"
#include "state.h"
#include "vessel/cleanup.h"

int vsl_shim_connect(const char *root, const char *id, struct vsl_err **err)
{
	cleanup_free char *dir = vsl_state_dir(root, id);
	cleanup_close int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return vsl_err_make(err, errno, "container `%s`: state directory `%s`", id, dir);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/shim.sock", dfd);
	cleanup_close int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return vsl_err_make(err, errno, "socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return vsl_err_make(err, errno, "container `%s`: its shim does not answer on "
				    "`%s/shim.sock` (is it stopped?)", id, dir);
	return steal_fd(&fd);
}

int vsl_shim_request(const char *root, const char *id, const char *req, int timeout_ms,
		     struct vsl_err **err)
{
	cleanup_free char *answer = NULL;
	return vsl_shim_query(root, id, req, timeout_ms, &answer, err);
}

int vsl_shim_query(const char *root, const char *id, const char *req, int timeout_ms,
		   char **answer, struct vsl_err **err)
{
	*answer = NULL;
	cleanup_close int fd = vsl_shim_connect(root, id, err);
	if (fd < 0)
		return -1;
	cleanup_free char *line = xasprintf("%s\n", req);
	if (send(fd, line, strlen(line), MSG_NOSIGNAL) < 0)
		return vsl_err_make(err, errno, "container `%s`: send to shim", id);
	char buf[4096];
	size_t len = 0;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, timeout_ms);
		if (r == 0)
			return vsl_err_make(err, ETIMEDOUT, "container `%s`: shim did not answer `%s`",
					    id, req);
		if (r < 0 && errno == EINTR)
			continue;
		ssize_t n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (memchr(buf, '\n', len) != NULL || len == sizeof(buf) - 1)
			break;
	}
	buf[len] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (strcmp(buf, "ok") == 0 || strncmp(buf, "ok ", 3) == 0) {
		*answer = xstrdup(buf[2] ? buf + 3 : "");
		return 0;
	}
	if (strncmp(buf, "error ", 6) == 0)
		return vsl_err_make(err, 0, "%s", buf + 6);
	return vsl_err_make(err, EPROTO, "container `%s`: shim ended without answering `%s` "
			    "(the container stopped?)", id, req);
}
