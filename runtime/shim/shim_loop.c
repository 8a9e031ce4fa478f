/* The shim's life after boot: one poll loop over the guest control channel,
 * the workload's host stdin, the shim control socket and a signalfd.
 *
 * Requests on <state dir>/shim.sock are one line each ("start", "kill SIG
 * ALL", "pause", "resume", "delete", "ps") answered with "ok" or "error <msg>";
 * "exec" keeps its connection (shim_exec.c).
 * The loop ends when the workload has exited and QEMU is gone (or the
 * container was deleted, or QEMU died); the caller exits with the status.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"
#include "vessel/cleanup.h"
#include "vessel/log.h"

#define EXIT_FLUSH_MS 3000 /* after Exit, how long init gets to flush and reboot */

long shim_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int shim_save_state(struct shim *s)
{
	cleanup_err struct vsl_err *e = NULL;
	s->st->qemu_pid = s->vm.gone ? 0 : s->vm.pid;
	if (vsl_state_write(s->root, s->st, &e) < 0) {
		vsl_error("%s", e->msg);
		return -1;
	}
	return 0;
}

void shim_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* reader gone: output is dropped, as a closed pipe would */
		p += w;
		n -= (size_t)w;
	}
}

static void reply(int *fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reply(int *fd, const char *fmt, ...)
{
	if (*fd < 0)
		return;
	cleanup_free char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (msg != NULL) {
		cleanup_free char *line = xasprintf("%s\n", msg);
		send(*fd, line, strlen(line), MSG_NOSIGNAL);
	}
	close(*fd);
	*fd = -1;
}

void shim_handle_frame(struct shim *s, Vessel__Ctl__Frame *f)
{
	if (shim_exec_frame(s, f))
		return;
	switch (f->msg_case) {
	case VESSEL__CTL__FRAME__MSG_STDIO:
		if (f->stdio->proc_id == 0 && f->stdio->data.len > 0)
			shim_write_all(f->stdio->stream == 2 ? s->err_fd : s->out_fd, f->stdio->data.data,
				  f->stdio->data.len);
		break;
	case VESSEL__CTL__FRAME__MSG_STARTED:
		if (f->started->proc_id != 0)
			break;
		s->started = true;
		s->guest_pid = f->started->pid;
		s->in_open = s->in_fd >= 0;
		if (s->st->status == VSL_STATUS_CREATED)
			s->st->status = VSL_STATUS_RUNNING;
		shim_save_state(s);
		vsl_debug("container `%s`: workload started (guest pid %d)", s->id, f->started->pid);
		struct winsize ws;
		if (s->cfg->terminal && ioctl(s->in_fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0)
			shim_send_resize(s, ws.ws_row, ws.ws_col, NULL);
		reply(&s->pending_start_fd, "ok");
		break;
	case VESSEL__CTL__FRAME__MSG_EXIT:
		if (f->exit->proc_id != 0 || s->exited)
			break;
		s->exited = true;
		s->exit_status = f->exit->status;
		vsl_debug("container `%s`: workload exited with status %d", s->id, s->exit_status);
		break;
	case VESSEL__CTL__FRAME__MSG_ERROR:
		vsl_error("container `%s`: guest: %s", s->id, f->error->message);
		reply(&s->pending_start_fd, "error container `%s`: guest: %s", s->id,
		      f->error->message);
		break;
	default:
		break;
	}
}

/* The container ends without its workload reporting an exit (delete, kill
 * before start, QEMU death): record why and stop the VM. */
static void shim_terminate(struct shim *s, int status, const char *why)
{
	if (!s->exited) {
		s->exited = true;
		s->exit_status = status;
	}
	if (why != NULL && s->st->error == NULL)
		s->st->error = xstrdup(why);
	s->quitting = true;
	if (s->ctl_fd >= 0) {
		shim_send_simple(s, VESSEL__CTL__FRAME__MSG_SHUTDOWN, NULL);
		close(s->ctl_fd);
		s->ctl_fd = -1;
	}
	shim_vm_kill(s, 0);
}

static void req_kill(struct shim *s, int *fd, int signo, bool all)
{
	if (s->exited) {
		reply(fd, "error container `%s` is not running", s->id);
		return;
	}
	if (!s->started) {
		/* runc kills a created container's init; here that is the VM */
		reply(fd, "ok");
		shim_terminate(s, 128 + signo, NULL);
		return;
	}
	cleanup_err struct vsl_err *e = NULL;
	if (shim_send_signal(s, signo, all, &e) < 0) {
		reply(fd, "error %s", e->msg);
		return;
	}
	reply(fd, "ok");
}

static void req_pause(struct shim *s, int *fd, bool pause)
{
	/* as runc: a created container can be paused too; resume returns it to
	 * created or running, whichever it was */
	enum vsl_status cur = s->st->status;
	bool ok = pause ? cur == VSL_STATUS_RUNNING || cur == VSL_STATUS_CREATED
			: cur == VSL_STATUS_PAUSED;
	if (!ok || s->exited) {
		reply(fd, "error container `%s` is %s, not %s", s->id, vsl_status_name(cur),
		      pause ? "running" : "paused");
		return;
	}
	cleanup_err struct vsl_err *e = NULL;
	if (s->vm.ops->pause(&s->vm, pause, &e) < 0) {
		reply(fd, "error container `%s`: %s", s->id, e->msg);
		return;
	}
	s->st->status = pause ? VSL_STATUS_PAUSED
			      : s->started ? VSL_STATUS_RUNNING : VSL_STATUS_CREATED;
	shim_save_state(s);
	reply(fd, "ok");
}

static void req_start(struct shim *s, int *fd)
{
	if (s->st->status != VSL_STATUS_CREATED || s->started || s->pending_start_fd >= 0) {
		reply(fd, "error container `%s` is %s, not created: only a created "
			     "container can be started", s->id,
			     s->pending_start_fd >= 0 ? "starting" : vsl_status_name(s->st->status));
		return;
	}
	cleanup_err struct vsl_err *e = NULL;
	if (shim_send_simple(s, VESSEL__CTL__FRAME__MSG_START, &e) < 0) {
		reply(fd, "error %s", e->msg);
		return;
	}
	s->pending_start_fd = *fd; /* answered when Started (or Error) arrives */
	*fd = -1;
}

/* Reads the first chunk of a request and any fds passed with it (exec). */
static ssize_t recv_request(int fd, char *buf, size_t len, int *fds, int *nfds)
{
	union { char buf[CMSG_SPACE(3 * sizeof(int))]; struct cmsghdr align; } u;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			      .msg_controllen = sizeof(u.buf) };
	struct pollfd p = { .fd = fd, .events = POLLIN };
	*nfds = 0;
	if (poll(&p, 1, 2000) != 1)
		return -1;
	ssize_t n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); n >= 0 && cm; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
			int k = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			memcpy(fds, CMSG_DATA(cm), (size_t)(k > 3 ? 3 : k) * sizeof(int));
			*nfds = k > 3 ? 3 : k;
		}
	return n;
}

static void handle_request(struct shim *s)
{
	int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	char line[4096];
	int fds[3], nfds;
	ssize_t n = recv_request(fd, line, sizeof(line) - 1, fds, &nfds);
	if (n <= 0) {
		for (int i = 0; i < nfds; i++)
			close(fds[i]);
		close(fd);
		return;
	}
	line[n] = '\0';
	size_t end = strcspn(line, "\n");
	const char *rest = line + end + (end < (size_t)n);
	line[strcspn(line, "\r\n")] = '\0';
	int signo = 0, all = 0;
	vsl_debug("container `%s`: request `%s`", s->id, line);
	if (strncmp(line, "exec ", 5) == 0) {
		shim_exec_request(s, &fd, line, rest, (size_t)(line + n - rest), fds, nfds);
		return;
	}
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	if (strcmp(line, "ps") == 0) {
		cleanup_free char *ps = shim_exec_ps(s);
		reply(&fd, "ok %s", ps);
	} else if (strcmp(line, "start") == 0)
		req_start(s, &fd);
	else if (sscanf(line, "kill %d %d", &signo, &all) == 2 && signo > 0 && signo < 65)
		req_kill(s, &fd, signo, all != 0);
	else if (strcmp(line, "pause") == 0 || strcmp(line, "resume") == 0)
		req_pause(s, &fd, line[0] == 'p');
	else if (strcmp(line, "delete") == 0) {
		reply(&fd, "ok");
		shim_terminate(s, 128 + SIGKILL, NULL);
	} else
		reply(&fd, "error unknown request `%s`", line);
}

static void handle_signals(struct shim *s)
{
	struct signalfd_siginfo si;
	while (read(s->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		int sig = (int)si.ssi_signo;
		if (sig == SIGCHLD)
			continue;
		if (sig == SIGWINCH) {
			struct winsize ws;
			/* before Started the guest has no pty yet: Started sends the size */
			if (s->cfg->terminal && s->started && !s->exited &&
			    ioctl(s->in_fd, TIOCGWINSZ, &ws) == 0)
				shim_send_resize(s, ws.ws_row, ws.ws_col, NULL);
			continue;
		}
		/* the shim stands for the workload: forward what it receives */
		if (s->started && !s->exited)
			shim_send_signal(s, sig, false, NULL);
		else if (!s->exited)
			shim_terminate(s, 128 + sig, NULL);
	}
	shim_reap(s);
}

static void handle_stdin(struct shim *s)
{
	char buf[16384];
	ssize_t n = read(s->in_fd, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		s->in_open = false;
		shim_send_stdin(s, 0, NULL, 0, true, NULL);
		return;
	}
	shim_send_stdin(s, 0, buf, (size_t)n, false, NULL);
}

static void handle_ctl(struct shim *s)
{
	ssize_t n = vsl_ctl_reader_fill(&s->rd, s->ctl_fd);
	if (n == -EAGAIN || n == -EINTR)
		return;
	for (;;) {
		Vessel__Ctl__Frame *f = NULL;
		int r = vsl_ctl_next(&s->rd, &f);
		if (r <= 0) {
			if (r < 0)
				vsl_error("container `%s`: bad frame from the guest", s->id);
			if (r < 0)
				n = 0;
			break;
		}
		shim_handle_frame(s, f);
		vessel__ctl__frame__free_unpacked(f, NULL);
	}
	if (n <= 0) { /* EOF: QEMU is ending (or the stream is broken) */
		close(s->ctl_fd);
		s->ctl_fd = -1;
	}
}

int shim_loop(struct shim *s)
{
	long exit_deadline = 0;
	while (!(s->ctl_fd < 0 && s->vm.gone)) {
		if (s->exited && exit_deadline == 0)
			exit_deadline = shim_now_ms() + EXIT_FLUSH_MS;
		if (s->ctl_fd < 0 && !s->vm.gone) {
			shim_vm_kill(s, s->exited ? 2000 : 1000);
			break;
		}
		struct pollfd p[4 + 2 * SHIM_MAX_EXECS] = {
			{ .fd = s->ctl_fd, .events = POLLIN },
			{ .fd = s->sig_fd, .events = POLLIN },
			{ .fd = s->quitting ? -1 : s->listen_fd, .events = POLLIN },
			{ .fd = s->in_open ? s->in_fd : -1, .events = POLLIN },
		};
		struct shim_exec *owner[2 * SHIM_MAX_EXECS];
		int nx = shim_exec_pollfds(p + 4, owner, 2 * SHIM_MAX_EXECS);
		int timeout = -1;
		if (exit_deadline) {
			long left = exit_deadline - shim_now_ms();
			timeout = left > 0 ? (int)left : 0;
		}
		int r = poll(p, (nfds_t)(4 + nx), timeout);
		if (r < 0 && errno != EINTR)
			break;
		if (r == 0 && exit_deadline) { /* init did not end the VM: do it */
			shim_terminate(s, s->exit_status, NULL);
			break;
		}
		if (p[1].revents & POLLIN)
			handle_signals(s);
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR))
			handle_ctl(s);
		if (p[2].revents & POLLIN)
			handle_request(s);
		if (p[3].revents & (POLLIN | POLLHUP | POLLERR))
			handle_stdin(s);
		shim_exec_poll(s, p + 4, owner, nx);
	}
	shim_vm_kill(s, 0);
	if (!s->exited) {
		cleanup_free char *why = xasprintf("QEMU exited unexpectedly (wait status %d): see "
						   "console.log in the state directory",
						   s->vm.status);
		vsl_error("container `%s`: %s", s->id, why);
		shim_terminate(s, SHIM_EXIT_VM_FAILED, why);
	}
	reply(&s->pending_start_fd, "error container `%s` stopped before it started", s->id);
	shim_exec_end_all(s, 128 + SIGKILL); /* init killed them with the VM */
	s->st->status = VSL_STATUS_STOPPED;
	s->st->exited = true;
	s->st->exit_status = s->exit_status;
	shim_save_state(s);
	unlink("shim.sock");
	return s->exit_status;
}
