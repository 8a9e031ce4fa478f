/* Processes added to a running container by `vessel-runtime exec` (runc
 * exec): the shim side. Each one is a guest process with a proc_id > 0 and a
 * host stand-in, the exec client (container_exec.c), whose pid is the one a
 * container manager waits on. The client connects to shim.sock and sends
 *
 *     "exec <len>\n" + <len> bytes of a packed vessel.ctl.Process
 *
 * with its stdin, stdout and stderr attached (SCM_RIGHTS). The connection
 * stays open for the process's life: the shim answers "started <guest pid>"
 * (or "error <msg>" and closes), relays the process's output to the passed
 * fds and the passed stdin to the guest, and finally says "exit <status>"
 * (runc style, 128+signal) and closes. The client may send "signal <n>" and
 * "resize <rows> <cols>" lines; if it goes away, the guest process is killed. When the container
 * ends, every exec still running ends with 137 (killed with the VM).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "shim.h"
#include "shim_client.h"
#include "vessel/cleanup.h"
#include "vessel/log.h"

struct shim_exec {
	uint32_t id;
	int conn;           /* exec client's connection */
	pid_t client_pid;   /* SO_PEERCRED of conn: the host stand-in */
	int in_fd, out_fd, err_fd;
	bool in_open, started, terminal;
	int guest_pid;
	char rbuf[128];     /* partial request line from the client */
	size_t rlen;
};

static struct shim_exec *execs[SHIM_MAX_EXECS];
static uint32_t next_id = 1;

static void say(struct shim_exec *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct shim_exec *x, const char *fmt, ...)
{
	char line[1100];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || x->conn < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	send(x->conn, line, (size_t)n, MSG_NOSIGNAL);
}

static void exec_free(struct shim_exec *x)
{
	for (size_t i = 0; i < SHIM_MAX_EXECS; i++)
		if (execs[i] == x)
			execs[i] = NULL;
	int fds[3] = { x->in_fd, x->out_fd, x->err_fd };
	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0 && (i == 0 || fds[i] != fds[i - 1]) && (i < 2 || fds[i] != fds[0]))
			close(fds[i]);
	if (x->conn >= 0)
		close(x->conn);
	free(x);
}

static struct shim_exec *exec_find(uint32_t id)
{
	for (size_t i = 0; i < SHIM_MAX_EXECS; i++)
		if (execs[i] != NULL && execs[i]->id == id)
			return execs[i];
	return NULL;
}

/* Reads the rest of the packed Process: `have` bytes came with the request
 * line, the remainder follows on the connection within a few seconds. */
static Vessel__Ctl__Process *read_spec(int fd, size_t len, const char *have, size_t n_have)
{
	if (len == 0 || len > VSL_EXEC_SPEC_MAX || n_have > len)
		return NULL;
	cleanup_free uint8_t *buf = xmalloc(len);
	memcpy(buf, have, n_have);
	size_t got = n_have;
	while (got < len) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 2000) <= 0)
			return NULL;
		ssize_t r = recv(fd, buf + got, len - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return NULL;
		got += (size_t)r;
	}
	return vessel__ctl__process__unpack(NULL, len, buf);
}

static int send_exec(struct shim *s, struct shim_exec *x, Vessel__Ctl__Process *proc,
		     struct vsl_err **err)
{
	Vessel__Ctl__Exec ex = VESSEL__CTL__EXEC__INIT;
	ex.proc_id = x->id;
	ex.process = proc;
	Vessel__Ctl__Frame f = VESSEL__CTL__FRAME__INIT;
	f.msg_case = VESSEL__CTL__FRAME__MSG_EXEC;
	f.exec = &ex;
	if (s->ctl_fd < 0)
		return vsl_err_make(err, EPIPE, "container `%s`: control channel closed", s->id);
	int r = vsl_ctl_send(s->ctl_fd, &f);
	return r < 0 ? vsl_err_make(err, -r, "container `%s`: send Exec to the guest", s->id) : 0;
}

void shim_exec_request(struct shim *s, int *fd, const char *line, const char *rest,
		       size_t rest_len, int *fds, int nfds)
{
	unsigned long len = 0;
	const char *why = NULL;
	if (sscanf(line, "exec %lu", &len) != 1)
		why = "malformed exec request";
	else if (nfds != 3)
		why = "exec request without its three stdio descriptors";
	else if (s->exited || (s->st->status != VSL_STATUS_RUNNING &&
				 s->st->status != VSL_STATUS_CREATED))
		why = "not running";
	size_t slot = 0;
	while (why == NULL && slot < SHIM_MAX_EXECS && execs[slot] != NULL)
		slot++;
	if (why == NULL && slot == SHIM_MAX_EXECS)
		why = "too many exec processes";
	Vessel__Ctl__Process *proc = why ? NULL : read_spec(*fd, len, rest, rest_len);
	if (why == NULL && proc == NULL)
		why = "exec process spec missing or does not decode";
	if (why != NULL) {
		dprintf(*fd, "error container `%s`: %s%s\n", s->id,
			strcmp(why, "not running") == 0 ? "cannot exec: the container is " : "", why);
		for (int i = 0; i < nfds; i++)
			close(fds[i]);
		close(*fd);
		*fd = -1;
		return;
	}
	struct shim_exec *x = xzalloc(sizeof(*x));
	x->id = next_id++;
	x->conn = steal_fd(fd);
	x->in_fd = fds[0];
	x->out_fd = fds[1];
	x->err_fd = fds[2];
	x->terminal = proc->terminal;
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	if (getsockopt(x->conn, SOL_SOCKET, SO_PEERCRED, &cred, &cl) == 0)
		x->client_pid = cred.pid;
	execs[slot] = x;
	cleanup_err struct vsl_err *e = NULL;
	int r = send_exec(s, x, proc, &e);
	vessel__ctl__process__free_unpacked(proc, NULL);
	if (r < 0) {
		say(x, "error %s", e->msg);
		exec_free(x);
		return;
	}
	vsl_debug("container `%s`: exec %u for host pid %d sent", s->id, x->id, (int)x->client_pid);
}

static void send_guest(struct shim *s, Vessel__Ctl__Frame *f)
{
	if (s->ctl_fd >= 0)
		vsl_ctl_send(s->ctl_fd, f);
}

static void signal_guest(struct shim *s, uint32_t id, int signo)
{
	Vessel__Ctl__Signal sig = VESSEL__CTL__SIGNAL__INIT;
	sig.proc_id = id;
	sig.signo = signo;
	Vessel__Ctl__Frame f = VESSEL__CTL__FRAME__INIT;
	f.msg_case = VESSEL__CTL__FRAME__MSG_SIGNAL;
	f.signal = &sig;
	send_guest(s, &f);
}

static void resize_guest(struct shim *s, uint32_t id, unsigned rows, unsigned cols)
{
	Vessel__Ctl__Resize rz = VESSEL__CTL__RESIZE__INIT;
	rz.proc_id = id;
	rz.rows = rows;
	rz.cols = cols;
	Vessel__Ctl__Frame f = VESSEL__CTL__FRAME__INIT;
	f.msg_case = VESSEL__CTL__FRAME__MSG_RESIZE;
	f.resize = &rz;
	send_guest(s, &f);
}

bool shim_exec_frame(struct shim *s, Vessel__Ctl__Frame *f)
{
	uint32_t id;
	switch (f->msg_case) {
	case VESSEL__CTL__FRAME__MSG_STDIO: id = f->stdio->proc_id; break;
	case VESSEL__CTL__FRAME__MSG_STARTED: id = f->started->proc_id; break;
	case VESSEL__CTL__FRAME__MSG_EXIT: id = f->exit->proc_id; break;
	case VESSEL__CTL__FRAME__MSG_ERROR: id = f->error->proc_id; break;
	default: return false;
	}
	if (id == 0)
		return false;
	struct shim_exec *x = exec_find(id);
	if (x == NULL)
		return true; /* late frame of a process we already let go */
	switch (f->msg_case) {
	case VESSEL__CTL__FRAME__MSG_STDIO:
		if (f->stdio->data.len > 0)
			shim_write_all(f->stdio->stream == 2 && !x->terminal ? x->err_fd : x->out_fd,
				       f->stdio->data.data, f->stdio->data.len);
		break;
	case VESSEL__CTL__FRAME__MSG_STARTED:
		x->started = true;
		x->guest_pid = f->started->pid;
		x->in_open = x->in_fd >= 0;
		say(x, "started %d", x->guest_pid);
		break;
	case VESSEL__CTL__FRAME__MSG_EXIT:
		vsl_debug("container `%s`: exec %u exited with %d", s->id, id, f->exit->status);
		say(x, "exit %d", f->exit->status);
		exec_free(x);
		break;
	default: /* Error */
		vsl_debug("container `%s`: exec %u: guest: %s", s->id, id, f->error->message);
		if (!x->started) {
			say(x, "error container `%s`: exec failed: %s", s->id, f->error->message);
			exec_free(x);
		}
		break;
	}
	return true;
}

int shim_exec_pollfds(struct pollfd *p, struct shim_exec **owner, int max)
{
	int n = 0;
	for (size_t i = 0; i < SHIM_MAX_EXECS && n + 2 <= max; i++) {
		struct shim_exec *x = execs[i];
		if (x == NULL)
			continue;
		owner[n] = x;
		p[n++] = (struct pollfd){ .fd = x->conn, .events = POLLIN };
		owner[n] = x;
		p[n++] = (struct pollfd){ .fd = x->in_open ? x->in_fd : -1, .events = POLLIN };
	}
	return n;
}

/* A line from the exec client ("signal N"); EOF: the client is gone. */
static bool client_input(struct shim *s, struct shim_exec *x)
{
	ssize_t r = recv(x->conn, x->rbuf + x->rlen, sizeof(x->rbuf) - 1 - x->rlen, MSG_DONTWAIT);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return true;
	if (r <= 0) {
		vsl_debug("container `%s`: exec %u: client went away: killing the process", s->id,
			  x->id);
		signal_guest(s, x->id, SIGKILL);
		exec_free(x);
		return false;
	}
	x->rlen += (size_t)r;
	x->rbuf[x->rlen] = '\0';
	char *nl;
	while ((nl = strchr(x->rbuf, '\n')) != NULL) {
		*nl = '\0';
		int signo;
		unsigned rows, cols;
		if (sscanf(x->rbuf, "signal %d", &signo) == 1 && signo > 0 && signo < 65)
			signal_guest(s, x->id, signo);
		else if (sscanf(x->rbuf, "resize %u %u", &rows, &cols) == 2 && x->terminal)
			resize_guest(s, x->id, rows, cols);
		size_t used = (size_t)(nl + 1 - x->rbuf);
		memmove(x->rbuf, nl + 1, x->rlen - used + 1);
		x->rlen -= used;
	}
	if (x->rlen == sizeof(x->rbuf) - 1)
		x->rlen = 0; /* a line that long is garbage */
	return true;
}

static void stdin_input(struct shim *s, struct shim_exec *x)
{
	char buf[16384];
	ssize_t n = read(x->in_fd, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		x->in_open = false;
		shim_send_stdin(s, x->id, NULL, 0, true, NULL);
		return;
	}
	shim_send_stdin(s, x->id, buf, (size_t)n, false, NULL);
}

void shim_exec_poll(struct shim *s, const struct pollfd *p, struct shim_exec **owner, int n)
{
	for (int i = 0; i < n; i += 2) {
		struct shim_exec *x = owner[i];
		if (exec_find(x->id) != x)
			continue;
		if ((p[i].revents & (POLLIN | POLLHUP | POLLERR)) && !client_input(s, x))
			continue;
		if (x->in_open && (p[i + 1].revents & (POLLIN | POLLHUP | POLLERR)))
			stdin_input(s, x);
	}
}

void shim_exec_end_all(struct shim *s, int status)
{
	for (size_t i = 0; i < SHIM_MAX_EXECS; i++) {
		struct shim_exec *x = execs[i];
		if (x == NULL)
			continue;
		vsl_debug("container `%s`: exec %u ends with the container", s->id, x->id);
		if (x->started)
			say(x, "exit %d", status);
		else
			say(x, "error container `%s` stopped before the exec'd process started", s->id);
		exec_free(x);
	}
}

char *shim_exec_ps(struct shim *s)
{
	char *out = xasprintf("0:%d:%d", (int)getpid(), s->guest_pid);
	for (size_t i = 0; i < SHIM_MAX_EXECS; i++) {
		struct shim_exec *x = execs[i];
		if (x == NULL || !x->started)
			continue;
		char *more = xasprintf("%s %u:%d:%d", out, x->id, (int)x->client_pid, x->guest_pid);
		free(out);
		out = more;
	}
	return out;
}
