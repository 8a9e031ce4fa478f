/* Terminals for `terminal: true` processes handed to a container manager:
 * a host pty whose master goes to the manager over --console-socket (runc's
 * protocol: one SCM_RIGHTS message carrying the master, with the name as
 * data) while Vessel relays the slave to the guest's own pty. */
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "console.h"
#include "vessel/cleanup.h"

int vsl_console_open(unsigned rows, unsigned cols, int *master, int *slave,
		     struct vsl_err **err)
{
	struct winsize ws = { .ws_row = (unsigned short)(rows ? rows : 24),
			      .ws_col = (unsigned short)(cols ? cols : 80) };
	if (openpty(master, slave, NULL, NULL, &ws) < 0)
		return vsl_err_make(err, errno, "openpty");
	fcntl(*master, F_SETFD, FD_CLOEXEC);
	fcntl(*slave, F_SETFD, FD_CLOEXEC);
	struct termios t;
	if (tcgetattr(*slave, &t) == 0) {
		cfmakeraw(&t); /* the guest's pty does the line discipline */
		tcsetattr(*slave, TCSANOW, &t);
	}
	return 0;
}

int vsl_console_send(const char *socket_path, int master, struct vsl_err **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(socket_path) >= sizeof(sa.sun_path))
		return vsl_err_make(err, ENAMETOOLONG, "--console-socket `%s`", socket_path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", socket_path);
	cleanup_close int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return vsl_err_make(err, errno, "--console-socket `%s`", socket_path);
	char name[] = "/dev/ptmx";
	struct iovec iov = { .iov_base = name, .iov_len = sizeof(name) };
	union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			      .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &master, sizeof(int));
	if (sendmsg(fd, &msg, MSG_NOSIGNAL) < 0)
		return vsl_err_make(err, errno, "--console-socket `%s`: send the pty master",
				    socket_path);
	return 0;
}
