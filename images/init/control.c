/* vessel-init control handlers: one function per frame the shim may send
 * (Create, Start, Signal, Stdio, Resize, Exec, Shutdown, Ping). Each answers
 * on the control port; a bad or unexpected frame gets an Error naming what
 * was wrong, never a crash.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "init.h"

static struct vi_proc *proc_find(struct vi_state *s, uint32_t id)
{
	for (int i = 0; i < VI_MAX_PROCS; i++)
		if (s->procs[i].used && s->procs[i].id == id)
			return &s->procs[i];
	return NULL;
}

static struct vi_proc *proc_slot(struct vi_state *s)
{
	for (int i = 0; i < VI_MAX_PROCS; i++)
		if (!s->procs[i].used)
			return &s->procs[i];
	return NULL;
}

static int reply_err(struct vi_state *s, uint32_t id, struct vsl_err *e, const char *what)
{
	char msg[1024];
	snprintf(msg, sizeof(msg), "%s: %s", what, e && e->msg ? e->msg : "failed");
	vi_log("vessel-init: %s", msg);
	return vi_send_error(s, id, e ? e->code : 0, msg);
}

static void on_create(struct vi_state *s, const Vessel__Ctl__Create *c)
{
	cleanup_err struct vsl_err *e = NULL;
	Vessel__Ctl__Frame f = VESSEL__CTL__FRAME__INIT;
	Vessel__Ctl__Created done = VESSEL__CTL__CREATED__INIT;

	if (s->created) {
		vi_send_error(s, 0, EEXIST, "create: the container was already created");
		return;
	}
	if (c->process == NULL || c->process->n_args == 0) {
		vi_send_error(s, 0, EINVAL, "create: process.args is empty");
		return;
	}
	if (vi_mount_container(c, &e) < 0) {
		reply_err(s, 0, e, "create");
		return;
	}
	if (c->hostname && *c->hostname && sethostname(c->hostname, strlen(c->hostname)) < 0) {
		vsl_err_make(&e, errno, "hostname `%s`", c->hostname);
		reply_err(s, 0, e, "create");
		return;
	}
	if (vi_net_lo_up(&e) < 0 || vi_net_configure(c->interfaces, c->n_interfaces, &e) < 0 ||
	    vi_sysctls_apply(c->sysctls, c->n_sysctls, &e) < 0) {
		reply_err(s, 0, e, "create");
		return;
	}
	/* keep the process spec for Start */
	s->create_buf_len = vessel__ctl__create__get_packed_size(c);
	s->create_buf = malloc(s->create_buf_len);
	if (s->create_buf == NULL) {
		vi_send_error(s, 0, ENOMEM, "create: out of memory");
		return;
	}
	vessel__ctl__create__pack(c, s->create_buf);
	s->created = true;
	f.msg_case = VESSEL__CTL__FRAME__MSG_CREATED;
	f.created = &done;
	vi_send(s, &f);
}

static void send_started(struct vi_state *s, uint32_t id, pid_t pid)
{
	Vessel__Ctl__Frame f = VESSEL__CTL__FRAME__INIT;
	Vessel__Ctl__Started st = VESSEL__CTL__STARTED__INIT;
	st.proc_id = id;
	st.pid = pid;
	f.msg_case = VESSEL__CTL__FRAME__MSG_STARTED;
	f.started = &st;
	vi_send(s, &f);
}

static void spawn(struct vi_state *s, uint32_t id, const Vessel__Ctl__Process *p, const char *verb)
{
	cleanup_err struct vsl_err *e = NULL;
	struct vi_proc *slot = proc_slot(s);
	if (slot == NULL) {
		vi_send_error(s, id, EAGAIN, "exec: too many processes");
		return;
	}
	if (vi_proc_spawn(slot, id, p, &e) < 0) {
		/* if the child exists it exits 127/126 and is reported as usual */
		reply_err(s, id, e, verb);
		return;
	}
	send_started(s, id, slot->pid);
}

static void on_start(struct vi_state *s)
{
	if (!s->created) {
		vi_send_error(s, 0, EINVAL, "start: the container was not created (send Create first)");
		return;
	}
	if (s->started) {
		vi_send_error(s, 0, EALREADY, "start: the container was already started");
		return;
	}
	Vessel__Ctl__Create *c = vessel__ctl__create__unpack(NULL, s->create_buf_len, s->create_buf);
	if (c == NULL) {
		vi_send_error(s, 0, ENOMEM, "start: lost the process spec");
		return;
	}
	s->started = true;
	spawn(s, 0, c->process, "start");
	vessel__ctl__create__free_unpacked(c, NULL);
}

static void on_exec(struct vi_state *s, const Vessel__Ctl__Exec *x)
{
	if (!s->created) { /* as runc: a created container takes exec'd processes */
		vi_send_error(s, x->proc_id, EINVAL, "exec: the container was not created");
		return;
	}
	if (x->proc_id == 0 || proc_find(s, x->proc_id) != NULL) {
		vi_send_error(s, x->proc_id, EINVAL, "exec: proc_id must be > 0 and not in use");
		return;
	}
	spawn(s, x->proc_id, x->process, "exec");
}

static void on_signal(struct vi_state *s, const Vessel__Ctl__Signal *sg)
{
	struct vi_proc *p = proc_find(s, sg->proc_id);
	char msg[128];
	if (sg->signo <= 0 || sg->signo >= NSIG) {
		snprintf(msg, sizeof(msg), "signal: signo %d out of range", sg->signo);
		vi_send_error(s, sg->proc_id, EINVAL, msg);
		return;
	}
	if (p == NULL || p->exited) {
		snprintf(msg, sizeof(msg), "signal: no running process %u", sg->proc_id);
		vi_send_error(s, sg->proc_id, ESRCH, msg);
		return;
	}
	/* all: every process but init (kill(-1) skips the caller) */
	if (kill(sg->all ? -1 : p->pid, sg->signo) < 0) {
		snprintf(msg, sizeof(msg), "signal %d to process %u: %s", sg->signo, sg->proc_id, strerror(errno));
		vi_send_error(s, sg->proc_id, errno, msg);
	}
}

static void on_stdio(struct vi_state *s, const Vessel__Ctl__Stdio *io)
{
	struct vi_proc *p = proc_find(s, io->proc_id);
	if (io->stream != 0) {
		vi_send_error(s, io->proc_id, EINVAL, "stdio: only stream 0 (stdin) goes to the guest");
		return;
	}
	if (p == NULL)
		return; /* late input for a process that is gone: drop */
	vi_stdio_input(p, io->data.data, io->data.len, io->eof);
}

static void on_resize(struct vi_state *s, const Vessel__Ctl__Resize *rz)
{
	struct vi_proc *p = proc_find(s, rz->proc_id);
	if (p == NULL || !p->terminal || p->out_fd < 0) {
		vi_send_error(s, rz->proc_id, EINVAL, "resize: process has no terminal");
		return;
	}
	struct winsize ws = { .ws_row = (unsigned short)rz->rows, .ws_col = (unsigned short)rz->cols };
	ioctl(p->out_fd, TIOCSWINSZ, &ws);
}

void vi_control_handle(struct vi_state *s, const Vessel__Ctl__Frame *f)
{
	Vessel__Ctl__Frame r = VESSEL__CTL__FRAME__INIT;
	Vessel__Ctl__Pong pong = VESSEL__CTL__PONG__INIT;

	switch (f->msg_case) {
	case VESSEL__CTL__FRAME__MSG_CREATE:
		on_create(s, f->create);
		break;
	case VESSEL__CTL__FRAME__MSG_START:
		on_start(s);
		break;
	case VESSEL__CTL__FRAME__MSG_EXEC:
		on_exec(s, f->exec);
		break;
	case VESSEL__CTL__FRAME__MSG_SIGNAL:
		on_signal(s, f->signal);
		break;
	case VESSEL__CTL__FRAME__MSG_STDIO:
		on_stdio(s, f->stdio);
		break;
	case VESSEL__CTL__FRAME__MSG_RESIZE:
		on_resize(s, f->resize);
		break;
	case VESSEL__CTL__FRAME__MSG_SHUTDOWN:
		s->stopping = true;
		break;
	case VESSEL__CTL__FRAME__MSG_PING:
		pong.nonce = f->ping->nonce;
		r.msg_case = VESSEL__CTL__FRAME__MSG_PONG;
		r.pong = &pong;
		vi_send(s, &r);
		break;
	default: {
		char msg[96];
		snprintf(msg, sizeof(msg), "unexpected frame (oneof case %d) from the host", (int)f->msg_case);
		vi_send_error(s, 0, EINVAL, msg);
		break;
	}
	}
}
