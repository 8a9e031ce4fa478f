/* Frames between the shim and vessel-init (runtime/proto/control.proto):
 * building Create from the OCI config, small commands, and a bounded wait for
 * a given answer that keeps servicing everything else. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "ctl_process.h"
#include "shim.h"
#include "vessel/cleanup.h"
#include "vessel/log.h"

static int send_frame(struct shim *s, Vessel__Ctl__Frame *f, const char *what, struct vsl_err **err)
{
	if (s->ctl_fd < 0)
		return vsl_err_make(err, EPIPE, "container `%s`: send %s: control channel closed",
				    s->id, what);
	int r = vsl_ctl_send(s->ctl_fd, f);
	if (r < 0)
		return vsl_err_make(err, -r, "container `%s`: send %s to the guest", s->id, what);
	return 0;
}

/* Mount types a VM guest can honour itself; bind mounts of host paths cannot
 * cross the VM boundary and are skipped (logged). */
static bool mount_supported(const struct vsl_oci_mount *m)
{
	static const char *const ok[] = { "tmpfs", "proc", "sysfs", "devpts", "mqueue", "cgroup2",
					  "cgroup" };
	for (size_t i = 0; i < m->n_options; i++)
		if (strcmp(m->options[i], "bind") == 0 || strcmp(m->options[i], "rbind") == 0)
			return false;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(m->type, ok[i]) == 0)
			return true;
	return false;
}

int shim_send_create(struct shim *s, struct vsl_err **err)
{
	const struct vsl_oci_config *c = s->cfg;
	Vessel__Ctl__Process proc;
	Vessel__Ctl__EnvVar envs[c->n_env + 1];
	Vessel__Ctl__EnvVar *envp[c->n_env + 1];
	vsl_ctl_process_fill(c, &proc, envs, envp);

	Vessel__Ctl__Mount mounts[c->n_mounts + 1];
	Vessel__Ctl__Mount *mountp[c->n_mounts + 1];
	size_t nm = 0;
	for (size_t i = 0; i < c->n_mounts; i++) {
		const struct vsl_oci_mount *m = &c->mounts[i];
		if (!mount_supported(m)) {
			vsl_debug("container `%s`: mounts[%zu] (%s on %s) cannot cross the VM "
				  "boundary: skipped", s->id, i, m->type[0] ? m->type : "bind",
				  m->destination);
			continue;
		}
		vessel__ctl__mount__init(&mounts[nm]);
		mounts[nm].destination = m->destination;
		mounts[nm].type = m->type;
		mounts[nm].source = m->source;
		mounts[nm].n_options = m->n_options;
		mounts[nm].options = m->options;
		mountp[nm] = &mounts[nm];
		nm++;
	}
	Vessel__Ctl__Create cr = VESSEL__CTL__CREATE__INIT;
	cr.container_id = (char *)s->id;
	cr.hostname = c->hostname;
	cr.rootfs_device = "/dev/vda";
	cr.rootfs_readonly = c->root_readonly;
	cr.n_mounts = nm;
	cr.mounts = mountp;
	cr.process = &proc;
	struct shim_net_ifaces nets;
	shim_net_ifaces(s, &nets);
	cr.n_interfaces = nets.n;
	cr.interfaces = nets.ifp;
	cr.n_sysctls = c->n_sysctls;
	cr.sysctls = c->sysctls;
	Vessel__Ctl__Frame f = VESSEL__CTL__FRAME__INIT;
	f.msg_case = VESSEL__CTL__FRAME__MSG_CREATE;
	f.create = &cr;
	int r = send_frame(s, &f, "Create", err);
	shim_net_ifaces_free(&nets);
	vsl_ctl_process_env_free(envs, c->n_env);
	return r;
}

int shim_send_simple(struct shim *s, Vessel__Ctl__Frame__MsgCase what, struct vsl_err **err)
{
	Vessel__Ctl__Frame f = VESSEL__CTL__FRAME__INIT;
	Vessel__Ctl__Start start = VESSEL__CTL__START__INIT;
	Vessel__Ctl__Shutdown shut = VESSEL__CTL__SHUTDOWN__INIT;
	f.msg_case = what;
	if (what == VESSEL__CTL__FRAME__MSG_START)
		f.start = &start;
	else
		f.shutdown = &shut;
	return send_frame(s, &f, what == VESSEL__CTL__FRAME__MSG_START ? "Start" : "Shutdown", err);
}

int shim_send_signal(struct shim *s, int signo, bool all, struct vsl_err **err)
{
	Vessel__Ctl__Signal sig = VESSEL__CTL__SIGNAL__INIT;
	sig.proc_id = 0;
	sig.signo = signo;
	sig.all = all;
	Vessel__Ctl__Frame f = VESSEL__CTL__FRAME__INIT;
	f.msg_case = VESSEL__CTL__FRAME__MSG_SIGNAL;
	f.signal = &sig;
	return send_frame(s, &f, "Signal", err);
}

int shim_send_stdin(struct shim *s, uint32_t proc_id, const void *data, size_t n, bool eof,
		    struct vsl_err **err)
{
	Vessel__Ctl__Stdio io = VESSEL__CTL__STDIO__INIT;
	io.proc_id = proc_id;
	io.stream = 0;
	io.data.data = (uint8_t *)data;
	io.data.len = n;
	io.eof = eof;
	Vessel__Ctl__Frame f = VESSEL__CTL__FRAME__INIT;
	f.msg_case = VESSEL__CTL__FRAME__MSG_STDIO;
	f.stdio = &io;
	return send_frame(s, &f, "Stdio", err);
}

int shim_send_resize(struct shim *s, unsigned rows, unsigned cols, struct vsl_err **err)
{
	Vessel__Ctl__Resize rz = VESSEL__CTL__RESIZE__INIT;
	rz.rows = rows;
	rz.cols = cols;
	Vessel__Ctl__Frame f = VESSEL__CTL__FRAME__INIT;
	f.msg_case = VESSEL__CTL__FRAME__MSG_RESIZE;
	f.resize = &rz;
	return send_frame(s, &f, "Resize", err);
}

/* Drains the signalfd during boot: reaps children, and reports whether a
 * termination signal asked us to give up. */
static bool boot_signals(struct shim *s)
{
	struct signalfd_siginfo si;
	bool stop = false;
	while (read(s->sig_fd, &si, sizeof(si)) == sizeof(si))
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT || si.ssi_signo == SIGHUP)
			stop = true;
	shim_reap(s);
	return stop;
}

static const char *frame_name(Vessel__Ctl__Frame__MsgCase c)
{
	switch (c) {
	case VESSEL__CTL__FRAME__MSG_READY: return "READY";
	case VESSEL__CTL__FRAME__MSG_CREATED: return "Created";
	case VESSEL__CTL__FRAME__MSG_STARTED: return "Started";
	default: return "answer";
	}
}

int shim_wait_frame(struct shim *s, Vessel__Ctl__Frame__MsgCase want, int timeout_ms,
		    Vessel__Ctl__Frame **out, struct vsl_err **err)
{
	long deadline = shim_now_ms() + timeout_ms;
	for (;;) {
		Vessel__Ctl__Frame *f = NULL;
		int r = vsl_ctl_next(&s->rd, &f);
		if (r < 0)
			return vsl_err_make(err, -r, "container `%s`: bad frame from the guest", s->id);
		if (r > 0) {
			if (f->msg_case == want) {
				*out = f;
				return 0;
			}
			if (f->msg_case == VESSEL__CTL__FRAME__MSG_ERROR) {
				/* the guest's message already words the errno */
				r = vsl_err_make(err, 0, "container `%s`: guest: %s", s->id,
						 f->error->message);
				(*err)->code = f->error->code;
				vessel__ctl__frame__free_unpacked(f, NULL);
				return r;
			}
			shim_handle_frame(s, f);
			vessel__ctl__frame__free_unpacked(f, NULL);
			continue;
		}
		if (s->vm.gone)
			return vsl_err_make(err, 0, "container `%s`: QEMU exited (wait status %d)",
					    s->id, s->vm.status);
		long left = deadline - shim_now_ms();
		if (left <= 0)
			return vsl_err_make(err, 0, "container `%s`: no %s from the guest within %d ms",
					    s->id, frame_name(want), timeout_ms);
		struct pollfd p[2] = { { .fd = s->ctl_fd, .events = POLLIN },
				       { .fd = s->sig_fd, .events = POLLIN } };
		if (poll(p, 2, (int)left) < 0 && errno != EINTR)
			return vsl_err_make(err, errno, "poll");
		if (p[1].revents & POLLIN && boot_signals(s))
			return vsl_err_make(err, EINTR, "container `%s`: interrupted by a signal", s->id);
		if (p[0].revents & (POLLIN | POLLHUP)) {
			ssize_t n = vsl_ctl_reader_fill(&s->rd, s->ctl_fd);
			if (n == 0) {
				/* the guest side closed: QEMU is going away; let it be reaped */
				close(s->ctl_fd);
				s->ctl_fd = -1;
				shim_vm_kill(s, 2000);
				return vsl_err_make(err, 0, "container `%s`: QEMU exited (wait status %d)",
						    s->id, s->vm.status);
			}
		}
	}
}
