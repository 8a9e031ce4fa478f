/* vessel-init processes: forks a workload into the container root with its
 * stdio (pipes, or a pty with process.terminal), session, groups, uid/gid,
 * cwd and environment, then execs it. A close-on-exec pipe carries the
 * child's errno back if anything fails before exec, so the caller can answer
 * Error; the child then exits 127 (not found) or 126 (not executable), as
 * runc's shell-like callers expect.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "init.h"

/* What failed in the child, sent over the error pipe. */
struct child_failure {
	int err;
	char what[200];
};

int vi_wait_status(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return 255;
}

static void nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static __attribute__((noreturn)) void child_fail(int efd, int e, const char *what)
{
	struct child_failure cf = { .err = e };
	snprintf(cf.what, sizeof(cf.what), "%s", what);
	if (write(efd, &cf, sizeof(cf)) < 0) {
		/* nothing more to do: the parent sees EOF and the exit code */
	}
	_exit(e == ENOENT ? 127 : 126);
}

/* Runs in the child: never returns. fds[0..2] become stdio. */
static __attribute__((noreturn)) void child_exec(const Vessel__Ctl__Process *p, int fds[3],
						 bool terminal, int efd)
{
	sigset_t none;
	char what[200];
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	if (setsid() < 0)
		child_fail(efd, errno, "setsid");
	if (terminal && ioctl(fds[0], TIOCSCTTY, 0) < 0)
		child_fail(efd, errno, "set controlling terminal");
	for (int i = 0; i < 3; i++)
		if (dup2(fds[i], i) < 0)
			child_fail(efd, errno, "dup2 stdio");
	for (int i = 0; i < 3; i++)
		if (fds[i] > 2 && (i == 0 || fds[i] != fds[i - 1]))
			close(fds[i]);
	if (chdir(VI_ROOT) < 0 || chroot(".") < 0)
		child_fail(efd, errno, "chroot " VI_ROOT);
	const char *cwd = p->cwd && *p->cwd ? p->cwd : "/";
	if (chdir(cwd) < 0) {
		snprintf(what, sizeof(what), "chdir to cwd `%s`", cwd);
		child_fail(efd, errno, what);
	}
	gid_t groups[64];
	size_t ng = p->n_additional_gids < 64 ? p->n_additional_gids : 64;
	for (size_t i = 0; i < ng; i++)
		groups[i] = p->additional_gids[i];
	if (setgroups(ng, groups) < 0)
		child_fail(efd, errno, "setgroups");
	if (setgid(p->gid) < 0) {
		snprintf(what, sizeof(what), "setgid %u", p->gid);
		child_fail(efd, errno, what);
	}
	if (setuid(p->uid) < 0) {
		snprintf(what, sizeof(what), "setuid %u", p->uid);
		child_fail(efd, errno, what);
	}
	clearenv();
	for (size_t i = 0; i < p->n_env; i++)
		if (p->env[i]->name && *p->env[i]->name)
			setenv(p->env[i]->name, p->env[i]->value ? p->env[i]->value : "", 1);
	if (getenv("PATH") == NULL)
		setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
	char **argv = calloc(p->n_args + 1, sizeof(char *));
	if (argv == NULL)
		child_fail(efd, ENOMEM, "exec: out of memory");
	memcpy(argv, p->args, p->n_args * sizeof(char *)); /* protobuf-c arrays have no NULL */
	execvp(argv[0], argv);
	int e = errno;
	snprintf(what, sizeof(what), "exec `%s`", p->args[0]);
	child_fail(efd, e, what);
}

/* Creates the child's stdio: ours[] are init's ends, theirs[] the child's. */
static int make_stdio(const Vessel__Ctl__Process *p, struct vi_proc *proc, int theirs[3],
		      struct vsl_err **err)
{
	if (p->terminal) {
		/* Allocate on the container's devpts when it has one, so that
		 * ttyname() finds the slave under its /dev/pts; else on init's. */
		int m = open(VI_ROOT "/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (m < 0)
			m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (m < 0)
			return vsl_err_make(err, errno, "open pty master");
		if (unlockpt(m) < 0) {
			close(m);
			return vsl_err_make(err, errno, "unlock pty");
		}
		/* the slave by the master's fd: its path is in another mount */
		int sl = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (sl < 0) {
			close(m);
			return vsl_err_make(err, errno, "open pty slave");
		}
		struct winsize ws = { .ws_row = (unsigned short)(p->rows ? p->rows : 24),
				      .ws_col = (unsigned short)(p->cols ? p->cols : 80) };
		ioctl(m, TIOCSWINSZ, &ws);
		nonblock(m);
		proc->in_fd = proc->out_fd = m;
		proc->err_fd = -1;
		theirs[0] = theirs[1] = theirs[2] = sl;
		return 0;
	}
	int pin[2], pout[2], perr[2];
	if (pipe2(pin, O_CLOEXEC) < 0)
		return vsl_err_make(err, errno, "pipe");
	if (pipe2(pout, O_CLOEXEC) < 0) {
		close(pin[0]); close(pin[1]);
		return vsl_err_make(err, errno, "pipe");
	}
	if (pipe2(perr, O_CLOEXEC) < 0) {
		close(pin[0]); close(pin[1]); close(pout[0]); close(pout[1]);
		return vsl_err_make(err, errno, "pipe");
	}
	nonblock(pin[1]);
	nonblock(pout[0]);
	nonblock(perr[0]);
	proc->in_fd = pin[1];
	proc->out_fd = pout[0];
	proc->err_fd = perr[0];
	theirs[0] = pin[0];
	theirs[1] = pout[1];
	theirs[2] = perr[1];
	return 0;
}

static void close_theirs(int theirs[3])
{
	for (int i = 0; i < 3; i++)
		if (theirs[i] >= 0 && (i == 0 || theirs[i] != theirs[i - 1]))
			close(theirs[i]);
}

int vi_proc_spawn(struct vi_proc *proc, uint32_t id, const Vessel__Ctl__Process *p,
		  struct vsl_err **err)
{
	int theirs[3] = { -1, -1, -1 }, ep[2];
	if (p == NULL || p->n_args == 0 || p->args[0] == NULL || p->args[0][0] == '\0')
		return vsl_err_make(err, EINVAL, "process.args: must name a program");
	memset(proc, 0, sizeof(*proc));
	proc->in_fd = proc->out_fd = proc->err_fd = -1;
	proc->id = id;
	proc->terminal = p->terminal;
	if (make_stdio(p, proc, theirs, err) < 0)
		return -1;
	if (pipe2(ep, O_CLOEXEC) < 0) {
		close_theirs(theirs);
		vi_proc_close(proc);
		return vsl_err_make(err, errno, "pipe");
	}
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close_theirs(theirs);
		close(ep[0]); close(ep[1]);
		vi_proc_close(proc);
		return vsl_err_make(err, e, "fork");
	}
	if (pid == 0) {
		close(ep[0]);
		child_exec(p, theirs, p->terminal, ep[1]);
	}
	close_theirs(theirs);
	close(ep[1]);
	proc->used = true;
	proc->pid = pid;
	struct child_failure cf;
	ssize_t n;
	do
		n = read(ep[0], &cf, sizeof(cf));
	while (n < 0 && errno == EINTR);
	close(ep[0]);
	if (n == (ssize_t)sizeof(cf)) {
		cf.what[sizeof(cf.what) - 1] = '\0';
		return vsl_err_make(err, cf.err, "%s", cf.what);
	}
	return 0;
}
