/* vsl_container_exec and vsl_container_ps: processes beside the workload.
 *
 * An exec'd process runs in the guest; on the host it is stood for by an
 * exec client (this file), which is what a container manager waits on: conmon
 * and containerd's runc shim read its pid from --pid-file, reap it as its
 * subreaper and take its exit status as the process's. The client connects to
 * the container's shim, hands over its stdio (SCM_RIGHTS; a host pty's slave
 * with --console-socket) and the packed process spec (shim_exec.c has the
 * protocol), then forwards the signals it receives and exits with the guest
 * process's status. With --detach, `exec` forks the client, waits until the
 * guest process has started (or failed: then exec fails, as runc's does),
 * writes the pid file and returns; the client outlives it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "console.h"
#include "ctl_process.h"
#include "control.pb-c.h"
#include "oci_config.h"
#include "oci_process.h"
#include "shim_client.h"
#include "state.h"
#include "vessel/cleanup.h"
#include "vessel/log.h"
#include "vessel/runtime.h"

#define EXEC_START_MS 30000 /* generous: TCG guests on a loaded host */

static int read_text(const char *path, char **out, size_t *len, struct vsl_err **err)
{
	cleanup_fclose FILE *f = fopen(path, "re");
	if (f == NULL)
		return vsl_err_make(err, errno, "--process `%s`", path);
	size_t cap = 4096, n = 0;
	cleanup_free char *buf = xmalloc(cap);
	size_t r;
	while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n > VSL_EXEC_SPEC_MAX)
			return vsl_err_make(err, EFBIG, "--process `%s`", path);
		if (n == cap)
			buf = xrealloc(buf, cap *= 2);
	}
	if (ferror(f))
		return vsl_err_make(err, EIO, "--process `%s`", path);
	*len = n;
	*out = steal_pointer(&buf);
	return 0;
}

static void strv_set(char ***v, size_t *n, char **src, size_t n_src)
{
	for (size_t i = 0; i < *n; i++)
		free((*v)[i]);
	free(*v);
	*v = xzalloc((n_src + 1) * sizeof(char *));
	for (size_t i = 0; i < n_src; i++)
		(*v)[i] = xstrdup(src[i]);
	*n = n_src;
}

/* --env NAME=value replaces NAME or is added. */
static int env_put(struct vsl_oci_config *c, const char *kv, struct vsl_err **err)
{
	const char *eq = strchr(kv, '=');
	if (eq == NULL || eq == kv)
		return vsl_err_make(err, EINVAL, "--env `%s`: expected NAME=value", kv);
	size_t k = (size_t)(eq - kv) + 1;
	for (size_t i = 0; i < c->n_env; i++)
		if (strncmp(c->env[i], kv, k) == 0) {
			free(c->env[i]);
			c->env[i] = xstrdup(kv);
			return 0;
		}
	c->env = xrealloc(c->env, (c->n_env + 2) * sizeof(char *));
	c->env[c->n_env++] = xstrdup(kv);
	c->env[c->n_env] = NULL;
	return 0;
}

static int parse_user(const char *s, uint32_t *uid, uint32_t *gid, struct vsl_err **err)
{
	char *end;
	unsigned long u = strtoul(s, &end, 10), g = *gid;
	if (end != s && *end == ':') {
		const char *gs = end + 1;
		g = strtoul(gs, &end, 10);
		if (end == gs)
			end = (char *)"x";
	}
	if (end == s || *end != '\0' || u > UINT32_MAX || g > UINT32_MAX)
		return vsl_err_make(err, EINVAL, "--user `%s`: expected UID[:GID] (numbers: the "
				    "guest has no host user database)", s);
	*uid = (uint32_t)u;
	*gid = (uint32_t)g;
	return 0;
}

/* The process to run: --process FILE, or the container's own process with
 * the command line's args, --env, --cwd, --user and --tty. */
static int exec_config(const struct vsl_state *st, const struct vsl_exec_opts *o,
		       struct vsl_oci_config **out, struct vsl_err **err)
{
	if (o->process_file != NULL) {
		cleanup_free char *text = NULL;
		size_t len = 0;
		cleanup_free char *what = xasprintf("--process `%s`", o->process_file);
		if (read_text(o->process_file, &text, &len, err) < 0)
			return -1;
		return vsl_oci_process_parse(text, len, what, out, err);
	}
	if (o->n_args == 0)
		return vsl_err_make(err, EINVAL, "exec: give --process FILE or a command after "
				    "the container id");
	cleanup_oci_config struct vsl_oci_config *c = NULL;
	if (vsl_oci_config_load(st->bundle, &c, err) < 0)
		return vsl_err_wrap(err, "container `%s`", st->id);
	strv_set(&c->args, &c->n_args, o->args, o->n_args);
	for (size_t i = 0; i < o->n_env; i++)
		if (env_put(c, o->env[i], err) < 0)
			return -1;
	if (o->cwd != NULL) {
		if (o->cwd[0] != '/')
			return vsl_err_make(err, EINVAL, "--cwd `%s`: must be absolute", o->cwd);
		free(c->cwd);
		c->cwd = xstrdup(o->cwd);
	}
	if (o->user != NULL && parse_user(o->user, &c->uid, &c->gid, err) < 0)
		return -1;
	c->terminal = o->tty;
	*out = steal_pointer(&c);
	return 0;
}

/* Packs a config's process as a vessel.ctl.Process (caller frees *buf). */
static uint8_t *pack_process(const struct vsl_oci_config *c, size_t *len)
{
	Vessel__Ctl__Process p;
	Vessel__Ctl__EnvVar envs[c->n_env + 1];
	Vessel__Ctl__EnvVar *envp[c->n_env + 1];
	vsl_ctl_process_fill(c, &p, envs, envp);
	*len = vessel__ctl__process__get_packed_size(&p);
	uint8_t *buf = xmalloc(*len ? *len : 1);
	vessel__ctl__process__pack(&p, buf);
	vsl_ctl_process_env_free(envs, c->n_env);
	return buf;
}

/* Sends "exec <len>\n" + spec with fds[0..2] attached. */
static int send_request(int conn, const uint8_t *spec, size_t len, const int fds[3],
			struct vsl_err **err)
{
	char head[32];
	int hn = snprintf(head, sizeof(head), "exec %zu\n", len);
	struct iovec iov[2] = { { .iov_base = head, .iov_len = (size_t)hn },
				{ .iov_base = (void *)spec, .iov_len = len } };
	union { char buf[CMSG_SPACE(3 * sizeof(int))]; struct cmsghdr align; } u;
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2, .msg_control = u.buf,
			      .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(3 * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, 3 * sizeof(int));
	ssize_t n = sendmsg(conn, &msg, MSG_NOSIGNAL);
	if (n < 0)
		return vsl_err_make(err, errno, "send the exec request to the shim");
	size_t sent = (size_t)n, total = (size_t)hn + len;
	while (sent < total) { /* the rest of a large spec */
		size_t off = sent - (size_t)hn;
		n = send(conn, spec + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return vsl_err_make(err, errno, "send the exec request to the shim");
		sent += (size_t)n;
	}
	return 0;
}

struct client {
	const char *id;
	int conn, sig_fd;
	int tty_fd; /* terminal whose size the guest process follows, or -1 */
	char buf[1200];
	size_t len;
};

/* Tells the shim the terminal's size (on start and on SIGWINCH). */
static void send_size(struct client *c)
{
	struct winsize ws;
	if (c->tty_fd >= 0 && ioctl(c->tty_fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0)
		dprintf(c->conn, "resize %u %u\n", ws.ws_row, ws.ws_col);
}

/* Waits for the next line from the shim, forwarding signals meanwhile.
 * Returns 1 with a line in out, 0 at EOF, -1 on timeout. */
static int next_line(struct client *c, char *out, size_t outlen, int timeout_ms)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		if (nl != NULL) {
			size_t k = (size_t)(nl - c->buf);
			snprintf(out, outlen, "%.*s", (int)k, c->buf);
			memmove(c->buf, nl + 1, c->len - k - 1);
			c->len -= k + 1;
			return 1;
		}
		if (c->len == sizeof(c->buf))
			c->len = 0;
		struct pollfd p[2] = { { .fd = c->conn, .events = POLLIN },
				       { .fd = c->sig_fd, .events = POLLIN } };
		int r = poll(p, 2, timeout_ms);
		if (r == 0)
			return -1;
		if (r < 0)
			continue;
		struct signalfd_siginfo si;
		while ((p[1].revents & POLLIN) && read(c->sig_fd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGWINCH)
				send_size(c);
			else
				dprintf(c->conn, "signal %u\n", si.ssi_signo);
		}
		if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		ssize_t n = recv(c->conn, c->buf + c->len, sizeof(c->buf) - c->len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		c->len += (size_t)n;
	}
}

/* Waits for "started" (0) or "error ..." (-1 with *err). */
static int await_started(struct client *c, struct vsl_err **err)
{
	char line[1200];
	int r = next_line(c, line, sizeof(line), EXEC_START_MS);
	if (r < 0)
		return vsl_err_make(err, ETIMEDOUT, "container `%s`: the exec'd process did not "
				    "start within %d ms", c->id, EXEC_START_MS);
	if (r == 0)
		return vsl_err_make(err, EPIPE, "container `%s`: the shim went away during exec "
				    "(the container stopped?)", c->id);
	if (strncmp(line, "started ", 8) == 0) {
		send_size(c); /* the manager may have sized the pty already */
		return 0;
	}
	return vsl_err_make(err, 0, "%s", strncmp(line, "error ", 6) == 0 ? line + 6 : line);
}

/* After "started": relays signals until "exit N"; returns N. */
static int await_exit(struct client *c)
{
	char line[1200];
	int status;
	for (;;) {
		int r = next_line(c, line, sizeof(line), -1);
		if (r <= 0)
			return 128 + SIGKILL; /* the shim is gone: so is the VM */
		if (sscanf(line, "exit %d", &status) == 1)
			return status;
	}
}

static int client_signals(void)
{
	sigset_t set;
	sigemptyset(&set);
	int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&set, sigs[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* Connects, sends the request and waits for the start. Our copies of the
 * passed fds are closed once the shim has them. */
static int client_start(const struct vsl_runtime *rt, struct client *c, const uint8_t *spec,
			size_t len, int fds[3], struct vsl_err **err)
{
	c->sig_fd = client_signals();
	c->conn = vsl_shim_connect(rt->root, c->id, err);
	if (c->conn < 0 || c->sig_fd < 0)
		return c->conn < 0 ? -1 : vsl_err_make(err, errno, "signalfd");
	if (send_request(c->conn, spec, len, fds, err) < 0)
		return vsl_err_wrap(err, "container `%s`", c->id);
	return await_started(c, err);
}

/* The detached client: reports the start on report_fd, then waits until
 * the parent has written the pid file (go_fd reaches EOF when it exits) and
 * the process has ended. Never returns. */
static __attribute__((noreturn)) void detached_client(const struct vsl_runtime *rt,
						       struct client *c, const uint8_t *spec,
						       size_t len, int fds[3], int report_fd,
						       int go_fd)
{
	setsid();
	/* a pty from --console-socket becomes our controlling terminal, so the
	 * manager's resizes of its master reach us as SIGWINCH */
	if (c->tty_fd > 2)
		ioctl(c->tty_fd, TIOCSCTTY, 0);
	cleanup_err struct vsl_err *e = NULL;
	if (client_start(rt, c, spec, len, fds, &e) < 0) {
		dprintf(report_fd, "error %s\n", e->msg);
		_exit(1);
	}
	/* the shim holds the stdio now: a manager waiting for EOF on its pipes
	 * must not wait for us */
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int i = 0; i < 3 && null >= 0; i++)
		dup2(null, i);
	dprintf(report_fd, "ok\n");
	close(report_fd);
	int status = await_exit(c);
	char b;
	while (read(go_fd, &b, 1) > 0 || errno == EINTR)
		;
	_exit(status & 0xff);
}

static int run_detached(const struct vsl_runtime *rt, struct client *c,
			const struct vsl_exec_opts *o, const uint8_t *spec, size_t len, int fds[3],
			struct vsl_err **err)
{
	int rep[2], go[2];
	if (pipe2(rep, O_CLOEXEC) < 0)
		return vsl_err_make(err, errno, "pipe");
	if (pipe2(go, O_CLOEXEC) < 0) {
		close(rep[0]), close(rep[1]);
		return vsl_err_make(err, errno, "pipe");
	}
	pid_t pid = fork();
	if (pid < 0) {
		close(rep[0]), close(rep[1]), close(go[0]), close(go[1]);
		return vsl_err_make(err, errno, "fork the exec client");
	}
	if (pid == 0) {
		close(rep[0]);
		close(go[1]);
		detached_client(rt, c, spec, len, fds, rep[1], go[0]);
	}
	close(rep[1]);
	close(go[0]);
	char line[1300] = "";
	cleanup_fclose FILE *f = fdopen(rep[0], "r");
	if (f == NULL || fgets(line, sizeof(line), f) == NULL)
		snprintf(line, sizeof(line), "error container `%s`: the exec client died", c->id);
	line[strcspn(line, "\n")] = '\0';
	if (strcmp(line, "ok") != 0) {
		close(go[1]);
		waitpid(pid, NULL, 0);
		return vsl_err_make(err, 0, "%s", strncmp(line, "error ", 6) == 0 ? line + 6 : line);
	}
	int r = o->pid_file ? vsl_state_write_pid_file(o->pid_file, pid, err) : 0;
	if (r < 0)
		kill(pid, SIGKILL);
	close(go[1]); /* the client may end now */
	return r;
}

static int check_state(const struct vsl_runtime *rt, const char *id, struct vsl_state **st,
		       struct vsl_err **err)
{
	if (vsl_state_read(rt->root, id, st, err) < 0)
		return -1;
	vsl_state_refresh(*st);
	switch ((*st)->status) {
	case VSL_STATUS_RUNNING:
	case VSL_STATUS_CREATED: /* runc too runs exec'd processes before start */
		return 0;
	case VSL_STATUS_PAUSED:
		return vsl_err_make(err, 0, "container `%s` is paused: cannot exec in a paused "
				    "container (resume it first)", id);
	default:
		return vsl_err_make(err, 0, "container `%s` is %s, not running: cannot exec in it",
				    id, vsl_status_name((*st)->status));
	}
}

int vsl_container_exec(const struct vsl_runtime *rt, const struct vsl_exec_opts *o,
		       int *status, struct vsl_err **err)
{
	cleanup_state struct vsl_state *st = NULL;
	cleanup_oci_config struct vsl_oci_config *cfg = NULL;
	*status = 0;
	if (check_state(rt, o->id, &st, err) < 0 || exec_config(st, o, &cfg, err) < 0)
		return -1;
	size_t len;
	cleanup_free uint8_t *spec = pack_process(cfg, &len);
	int fds[3] = { 0, 1, 2 };
	cleanup_close int master = -1, slave = -1;
	if (cfg->terminal && o->console_socket != NULL) {
		if (vsl_console_open(cfg->rows, cfg->cols, &master, &slave, err) < 0 ||
		    vsl_console_send(o->console_socket, master, err) < 0)
			return vsl_err_wrap(err, "container `%s`: exec", o->id);
		fds[0] = fds[1] = fds[2] = slave;
	}
	struct client c = { .id = o->id, .conn = -1, .sig_fd = -1,
			    .tty_fd = !cfg->terminal ? -1 : slave >= 0 ? slave : 0 };
	if (o->detach) {
		int r = run_detached(rt, &c, o, spec, len, fds, err);
		return r;
	}
	struct termios saved;
	bool raw = cfg->terminal && o->console_socket == NULL && isatty(0) &&
		   tcgetattr(0, &saved) == 0;
	if (raw) {
		struct termios t = saved;
		cfmakeraw(&t);
		tcsetattr(0, TCSANOW, &t);
	}
	int r = client_start(rt, &c, spec, len, fds, err);
	if (r == 0)
		*status = await_exit(&c);
	if (raw)
		tcsetattr(0, TCSANOW, &saved);
	if (c.conn >= 0)
		close(c.conn);
	if (c.sig_fd >= 0)
		close(c.sig_fd);
	return r;
}

int vsl_container_ps(const struct vsl_runtime *rt, const char *id,
		     struct vsl_proc_info **procs, size_t *n, struct vsl_err **err)
{
	cleanup_state struct vsl_state *st = NULL;
	*procs = NULL;
	*n = 0;
	if (vsl_state_read(rt->root, id, &st, err) < 0)
		return -1;
	if (!vsl_state_refresh(st) || st->status == VSL_STATUS_STOPPED)
		return 0; /* nothing runs in a stopped container */
	cleanup_free char *answer = NULL;
	if (vsl_shim_query(rt->root, id, "ps", 5000, &answer, err) < 0)
		return -1;
	size_t cap = 1;
	for (const char *p = answer; *p; p++)
		cap += *p == ' ';
	struct vsl_proc_info *v = xzalloc(cap * sizeof(*v));
	size_t k = 0;
	for (char *tok = strtok(answer, " "); tok && k < cap; tok = strtok(NULL, " ")) {
		unsigned id_n;
		int host, guest;
		if (sscanf(tok, "%u:%d:%d", &id_n, &host, &guest) == 3 && host > 0)
			v[k++] = (struct vsl_proc_info){ .proc_id = id_n, .host_pid = host,
							 .guest_pid = guest };
	}
	*procs = v;
	*n = k;
	return 0;
}
