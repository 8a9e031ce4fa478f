/* vessel-init: PID 1 of a Vessel microVM.
 *
 * Boot: mount /dev, /proc, /sys, take /dev/console as stdio, find the
 * virtio-serial port named org.vessel.ctl, say Ready. Then one poll loop over
 * the control port, a SIGCHLD signalfd and the workloads' stdio. When the
 * container's main process (proc 0) exits, its output is drained, Exit goes
 * to the host, every other process is killed, and the VM ends with
 * reboot(RB_AUTOBOOT): QEMU runs with -no-reboot and the guest with reboot=t,
 * so a reset ends QEMU (a kernel without ACPI cannot power off). Anything that
 * fails before the control port opens is printed on the serial console.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "init.h"

#ifndef VESSEL_VERSION
#define VESSEL_VERSION "dev"
#endif

void vi_log(const char *fmt, ...)
{
	char buf[1200];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, (size_t)n) < 0) {
		/* no console: nowhere else to say it */
	}
}

int vi_send(struct vi_state *s, Vessel__Ctl__Frame *f)
{
	if (s->ctl < 0)
		return -ENOTCONN;
	int r = vsl_ctl_send(s->ctl, f);
	if (r < 0)
		vi_log("vessel-init: control port write: %s", strerror(-r));
	return r;
}

int vi_send_error(struct vi_state *s, uint32_t proc_id, int code, const char *msg)
{
	Vessel__Ctl__Frame f = VESSEL__CTL__FRAME__INIT;
	Vessel__Ctl__Error e = VESSEL__CTL__ERROR__INIT;
	e.proc_id = proc_id;
	e.code = code;
	e.message = (char *)msg;
	f.msg_case = VESSEL__CTL__FRAME__MSG_ERROR;
	f.error = &e;
	return vi_send(s, &f);
}

int vi_send_exit(struct vi_state *s, uint32_t proc_id, int status)
{
	Vessel__Ctl__Frame f = VESSEL__CTL__FRAME__INIT;
	Vessel__Ctl__Exit x = VESSEL__CTL__EXIT__INIT;
	x.proc_id = proc_id;
	x.status = status;
	f.msg_case = VESSEL__CTL__FRAME__MSG_EXIT;
	f.exit = &x;
	return vi_send(s, &f);
}

static __attribute__((noreturn)) void vm_end(void)
{
	kill(-1, SIGKILL);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
	sync();
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}

/* Looks up /sys/class/virtio-ports/<dev>/name == VSL_CTL_PORT_NAME. */
static int find_ctl_port(char *dev, size_t len)
{
	DIR *d = opendir("/sys/class/virtio-ports");
	struct dirent *e;
	if (d == NULL)
		return -errno;
	while ((e = readdir(d)) != NULL) {
		char path[512], name[128] = "";
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/class/virtio-ports/%s/name", e->d_name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t n = read(fd, name, sizeof(name) - 1);
		close(fd);
		if (n > 0 && strncmp(name, VSL_CTL_PORT_NAME "\n", strlen(VSL_CTL_PORT_NAME) + 1) == 0) {
			snprintf(dev, len, "/dev/%s", e->d_name);
			closedir(d);
			return 0;
		}
	}
	closedir(d);
	return -ENOENT;
}

/* The port appears asynchronously after the virtio-serial driver probes. */
static int open_ctl_port(struct vsl_err **err)
{
	char dev[300] = "";
	int r = -ENOENT;
	for (int i = 0; i < 10000; i++) {
		r = find_ctl_port(dev, sizeof(dev));
		if (r == 0) {
			int fd = open(dev, O_RDWR | O_CLOEXEC | O_NOCTTY);
			if (fd >= 0)
				return fd;
			r = -errno;
		}
		usleep(1000);
	}
	return vsl_err_make(err, -r, "control port `%s` (%s)", VSL_CTL_PORT_NAME,
			    dev[0] ? dev : "no /sys/class/virtio-ports entry");
}

static int send_ready(struct vi_state *s)
{
	Vessel__Ctl__Frame f = VESSEL__CTL__FRAME__INIT;
	Vessel__Ctl__Ready rd = VESSEL__CTL__READY__INIT;
	struct utsname u;
	struct timespec ts;
	uname(&u);
	clock_gettime(CLOCK_BOOTTIME, &ts);
	rd.init_version = (char *)VESSEL_VERSION;
	rd.kernel_release = u.release;
	rd.boot_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	f.msg_case = VESSEL__CTL__FRAME__MSG_READY;
	f.ready = &rd;
	return vi_send(s, &f);
}

/* Reaps every child; reports processes of ours once their output is out.
 * The main process goes last, since its Exit ends the VM: Exec'd processes
 * that died in the same batch (e.g. Signal all) are reported first. */
static void reap(struct vi_state *s)
{
	struct signalfd_siginfo si;
	struct vi_proc *main_proc = NULL;
	int ws;
	pid_t pid;
	while (read(s->sigfd, &si, sizeof(si)) > 0)
		;
	while ((pid = waitpid(-1, &ws, WNOHANG)) > 0) {
		for (int i = 0; i < VI_MAX_PROCS; i++) {
			struct vi_proc *p = &s->procs[i];
			if (!p->used || p->pid != pid || p->exited)
				continue;
			p->exited = true;
			p->status = vi_wait_status(ws);
			if (p->id == 0) {
				main_proc = p;
				continue;
			}
			vi_stdio_drain(s, p);
			vi_send_exit(s, p->id, p->status);
			vi_proc_close(p);
			memset(p, 0, sizeof(*p));
		}
	}
	if (main_proc != NULL) {
		vi_stdio_drain(s, main_proc);
		vi_send_exit(s, 0, main_proc->status);
		vm_end();
	}
}

static void read_ctl(struct vi_state *s)
{
	ssize_t n = vsl_ctl_reader_fill(&s->rd, s->ctl);
	if (n == 0) {
		s->ctl_hup = true; /* host end closed; it may come back */
		return;
	}
	for (;;) {
		Vessel__Ctl__Frame *f = NULL;
		int k = vsl_ctl_next(&s->rd, &f);
		if (k == 0)
			return;
		if (k < 0) {
			vi_send_error(s, 0, -k, k == -EMSGSIZE ? "frame larger than 1 MiB: stream reset"
							      : "frame does not decode as vessel.ctl.Frame");
			if (k == -EMSGSIZE)
				s->rd.len = 0;
			continue;
		}
		vi_control_handle(s, f);
		vessel__ctl__frame__free_unpacked(f, NULL);
		if (s->stopping)
			return;
	}
}

static void loop(struct vi_state *s)
{
	while (!s->stopping) {
		struct pollfd pfd[2 + 2 * VI_MAX_PROCS];
		struct vi_proc *owner[2 + 2 * VI_MAX_PROCS];
		int n = 0;
		pfd[n++] = (struct pollfd){ .fd = s->sigfd, .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = s->ctl_hup ? -1 : s->ctl, .events = POLLIN };
		for (int i = 0; i < VI_MAX_PROCS; i++) {
			struct vi_proc *p = &s->procs[i];
			if (!p->used)
				continue;
			short ev = p->pending_len && p->in_fd == p->out_fd ? POLLOUT : 0;
			if (p->out_fd >= 0) {
				owner[n] = p;
				pfd[n++] = (struct pollfd){ .fd = p->out_fd, .events = POLLIN | ev };
			}
			if (p->err_fd >= 0) {
				owner[n] = p;
				pfd[n++] = (struct pollfd){ .fd = p->err_fd, .events = POLLIN };
			}
			if (p->pending_len && p->in_fd >= 0 && p->in_fd != p->out_fd) {
				owner[n] = p;
				pfd[n++] = (struct pollfd){ .fd = p->in_fd, .events = POLLOUT };
			}
		}
		int r = poll(pfd, (nfds_t)n, s->ctl_hup ? 200 : -1);
		if (r < 0 && errno != EINTR) {
			vi_log("vessel-init: poll: %s", strerror(errno));
			return;
		}
		if (s->ctl_hup && r == 0)
			s->ctl_hup = false; /* retry the port */
		if (r <= 0)
			continue;
		for (int i = 2; i < n; i++) {
			struct vi_proc *p = owner[i];
			if (pfd[i].revents & POLLOUT)
				vi_stdio_flush_input(p);
			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (pfd[i].fd == p->out_fd)
				vi_stdio_pump(s, p, &p->out_fd, 1);
			else if (pfd[i].fd == p->err_fd)
				vi_stdio_pump(s, p, &p->err_fd, 2);
		}
		if (pfd[1].revents)
			read_ctl(s);
		if (pfd[0].revents)
			reap(s);
	}
}

int main(void)
{
	static struct vi_state st = { .ctl = -1, .sigfd = -1 };
	cleanup_err struct vsl_err *e = NULL;
	sigset_t mask;

	int early = vi_mount_early(&e);
	int con = open("/dev/console", O_RDWR | O_NOCTTY);
	if (con >= 0) {
		dup2(con, 0), dup2(con, 1), dup2(con, 2);
		if (con > 2)
			close(con);
	}
	if (early < 0 || vi_modules_load("/modules", &e) < 0) {
		vi_log("vessel-init: %s", e->msg);
		vm_end();
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	st.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	vsl_ctl_reader_init(&st.rd);
	st.ctl = open_ctl_port(&e);
	if (st.ctl < 0 || st.sigfd < 0) {
		vi_log("vessel-init: %s", e ? e->msg : "signalfd failed");
		vm_end();
	}
	if (send_ready(&st) < 0)
		vm_end();
	loop(&st);
	vm_end();
}
