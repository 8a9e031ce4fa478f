/* The direct-QEMU backend: the shim forks `qemu-system-x86_64 -M microvm`
 * itself (argv from vsl_vm_qemu_argv), reaps it, and drives it over QMP
 * (pause/resume, vCPU threads, quit). QEMU's own output goes to qemu.log in
 * the state directory; PR_SET_PDEATHSIG makes sure no QEMU outlives its
 * shim. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend.h"
#include "jail.h"
#include "qmp.h"
#include "vessel/cleanup.h"
#include "vessel/log.h"

#define QEMU_LOG "qemu.log"

struct qemu_priv {
	struct vsl_qmp *qmp;
	char *qmp_socket;
	struct vsl_jail *jail; /* NULL with VESSEL_HARDENING=off */
};

static void exec_qemu(char **argv, const struct vsl_jail *jail)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGKILL); /* no QEMU outlives its shim */
	int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int log = open(QEMU_LOG, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (in < 0 || log < 0 || dup2(in, 0) < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0)
		_exit(127);
	if (jail != NULL && vsl_jail_enter(jail) < 0)
		_exit(127);
	execvp(argv[0], argv);
	dprintf(2, "exec `%s`: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static int jail_create(struct vsl_vm *vm, const struct vsl_vm_spec *spec, char ***argv,
		       struct vsl_jail **out, struct vsl_err **err)
{
	char dir[4096];
	if (getcwd(dir, sizeof(dir)) == NULL)
		return vsl_err_make(err, errno, "container `%s`: state directory", vm->name);
	struct vsl_jail_opts o = { .id = vm->name, .state_dir = dir, .memory_mb = spec->memory_mb,
				   .vcpus = spec->vcpus };
	return vsl_jail_create(&o, argv, out, err);
}

static int qemu_start(struct vsl_vm *vm, const struct vsl_vm_spec *spec, struct vsl_err **err)
{
	struct qemu_priv *p = xzalloc(sizeof(*p));
	vm->priv = p;
	p->qmp_socket = xstrdup(spec->qmp_socket);
	snprintf(vm->log_path, sizeof(vm->log_path), "%s", QEMU_LOG);
	unlink(spec->ctl_socket);
	unlink(spec->qmp_socket);
	char **argv = vsl_vm_qemu_argv(spec);
	if (vsl_jail_enabled() && jail_create(vm, spec, &argv, &p->jail, err) < 0) {
		vsl_argv_free(argv);
		return -1;
	}
	if (vsl_log_enabled(VSL_LOG_DEBUG)) {
		cleanup_free char *line = vsl_argv_join(argv);
		vsl_debug("container `%s`: %s", vm->name, line);
	}
	vm->gone = false;
	vm->status = 0;
	vm->pid = fork();
	if (vm->pid == 0)
		exec_qemu(argv, p->jail);
	vsl_argv_free(argv);
	vsl_jail_started(p->jail);
	if (vm->pid < 0) {
		vm->pid = 0;
		return vsl_err_make(err, errno, "fork QEMU");
	}
	return 0;
}

static int qemu_attach(struct vsl_vm *vm, struct vsl_err **err)
{
	struct qemu_priv *p = vm->priv;
	vsl_jail_seal(p->jail); /* the guest's init is Ready: no VNF code has run yet */
	return vsl_qmp_connect(p->qmp_socket, 5000, &p->qmp, err);
}

static void qemu_poll(struct vsl_vm *vm)
{
	int status;
	if (vm->pid <= 0 || vm->gone)
		return;
	if (waitpid(vm->pid, &status, WNOHANG) == vm->pid) {
		vm->gone = true;
		vm->status = status;
	}
}

static int qemu_quit(struct vsl_vm *vm)
{
	struct qemu_priv *p = vm->priv;
	return p != NULL && p->qmp != NULL ? vsl_qmp_execute(p->qmp, "quit", NULL, NULL, NULL) : -1;
}

static void qemu_kill(struct vsl_vm *vm)
{
	if (vm->pid > 0 && !vm->gone)
		kill(vm->pid, SIGKILL);
}

static int qemu_pause(struct vsl_vm *vm, bool pause, struct vsl_err **err)
{
	struct qemu_priv *p = vm->priv;
	if (p == NULL || p->qmp == NULL)
		return vsl_err_make(err, ENOTCONN, "QMP is not connected");
	return vsl_qmp_execute(p->qmp, pause ? "stop" : "cont", NULL, NULL, err);
}

static int qemu_vcpu_threads(struct vsl_vm *vm, int **tids, size_t *n, struct vsl_err **err)
{
	struct qemu_priv *p = vm->priv;
	if (p == NULL || p->qmp == NULL)
		return vsl_err_make(err, ENOTCONN, "QMP is not connected");
	return vsl_qmp_vcpu_threads(p->qmp, tids, n, err);
}

static void qemu_release(struct vsl_vm *vm)
{
	struct qemu_priv *p = vm->priv;
	if (p == NULL)
		return;
	vsl_qmp_close(p->qmp);
	vsl_jail_destroy(p->jail);
	free(p->qmp_socket);
	free(p);
	vm->priv = NULL;
}

const struct vsl_backend vsl_backend_qemu = {
	.name = "qemu",
	.start = qemu_start,
	.attach = qemu_attach,
	.poll = qemu_poll,
	.quit = qemu_quit,
	.kill = qemu_kill,
	.pause = qemu_pause,
	.vcpu_threads = qemu_vcpu_threads,
	.release = qemu_release,
};
