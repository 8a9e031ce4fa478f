/* vsl_container_create: validate, build the rootfs image, start the shim and
 * wait for its verdict.
 *
 * The shim is forked here and detached with setsid; it inherits our stdio
 * (a container manager such as conmon hands the container's pipes to
 * `create`). It reports on a pipe: "warn <msg>" lines, then "ok" or
 * "error <msg>". On any failure the state directory is removed, so a failed
 * create leaves nothing behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "oci_config.h"
#include "state.h"
#include "vessel/cleanup.h"
#include "vessel/log.h"
#include "vessel/runtime.h"
#include "vm.h"

/* Runs argv, output to <dir>/name.log; returns its exit status or -1. */
static int run_tool(char *const *argv, const char *logpath, struct vsl_err **err)
{
	pid_t pid = fork();
	if (pid < 0)
		return vsl_err_make(err, errno, "fork");
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
		int log = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (in < 0 || log < 0 || dup2(in, 0) < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0)
			_exit(127);
		execvp(argv[0], argv);
		dprintf(2, "exec `%s`: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return vsl_err_make(err, errno, "wait for `%s`", argv[0]);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static char *first_line(const char *path)
{
	char line[512] = "";
	FILE *f = fopen(path, "re");
	if (f != NULL) {
		while (fgets(line, sizeof(line), f) != NULL && line[0] == '\n')
			;
		fclose(f);
	}
	line[strcspn(line, "\n")] = '\0';
	return xstrdup(line[0] ? line : "no output");
}

static int build_rootfs(const char *dir, const char *rootfs, struct vsl_err **err)
{
	cleanup_free char *image = xasprintf("%s/rootfs.erofs", dir);
	cleanup_free char *log = xasprintf("%s/mkfs.log", dir);
	char *argv[] = { "mkfs.erofs", image, (char *)rootfs, NULL };
	int r = run_tool(argv, log, err);
	if (r < 0)
		return -1;
	if (r != 0) {
		cleanup_free char *why = first_line(log);
		return vsl_err_make(err, 0, "build the rootfs image of root.path `%s` with "
				    "mkfs.erofs (exit %d: %s): install erofs-utils "
				    "(scripts/install-deps) and check the directory", rootfs, r, why);
	}
	unlink(log);
	return 0;
}

static char *shim_path(void)
{
	const char *env = getenv("VESSEL_SHIM");
	if (env != NULL && *env != '\0')
		return xstrdup(env);
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = '\0';
		char *p = xasprintf("%s/vessel-shim", dirname(buf));
		if (access(p, X_OK) == 0)
			return p;
		free(p);
	}
	return xstrdup("vessel-shim");
}

static void exec_shim(const struct vsl_runtime *rt, const struct vsl_create_opts *o,
		      const char *bundle, int sync_fd)
{
	setsid();
	/* the shim lives long: it must not hold the caller's other fds (pipes
	 * a test harness or manager waits on); keep stdio and the sync pipe */
	if (sync_fd != 3 && dup2(sync_fd, 3) == 3)
		sync_fd = 3;
	close_range(4, ~0U, 0);
	fcntl(sync_fd, F_SETFD, 0);
	char fdbuf[16];
	snprintf(fdbuf, sizeof(fdbuf), "%d", sync_fd);
	cleanup_free char *shim = shim_path();
	const char *argv[24];
	int n = 0;
	argv[n++] = shim;
	argv[n++] = "--root";
	argv[n++] = rt->root;
	argv[n++] = "--id";
	argv[n++] = o->id;
	argv[n++] = "--bundle";
	argv[n++] = bundle;
	argv[n++] = "--sync-fd";
	argv[n++] = fdbuf;
	argv[n++] = "--accel";
	argv[n++] = rt->accel ? rt->accel : "auto";
	argv[n++] = "--lib-dir";
	argv[n++] = rt->lib_dir;
	if (rt->hypervisor) {
		argv[n++] = "--hypervisor";
		argv[n++] = rt->hypervisor;
	}
	if (o->console_socket) {
		argv[n++] = "--console-socket";
		argv[n++] = o->console_socket;
	}
	if (rt->log_path) {
		argv[n++] = "--log";
		argv[n++] = rt->log_path;
		argv[n++] = "--log-format";
		argv[n++] = rt->log_format ? rt->log_format : "text";
	}
	if (rt->debug)
		argv[n++] = "--debug";
	argv[n] = NULL;
	execvp(shim, (char **)argv);
	dprintf(sync_fd, "error start `%s`: %s: build it with `make`\n", shim, strerror(errno));
	_exit(127);
}

/* Reads the shim's verdict. Returns 0 on "ok". */
static int await_shim(int fd, const char *id, struct vsl_err **err)
{
	cleanup_fclose FILE *f = fdopen(fd, "r");
	if (f == NULL) {
		close(fd);
		return vsl_err_make(err, errno, "fdopen");
	}
	char line[4096];
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line, "ok") == 0)
			return 0;
		if (strncmp(line, "warn ", 5) == 0)
			vsl_warn("%s", line + 5);
		else if (strncmp(line, "error ", 6) == 0)
			return vsl_err_make(err, 0, "%s", line + 6);
	}
	return vsl_err_make(err, 0, "container `%s`: vessel-shim exited during create", id);
}

static void reap_failed_shim(pid_t pid)
{
	for (int i = 0; i < 500; i++) { /* 5 s, then no more patience */
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static int spawn_shim(const struct vsl_runtime *rt, const struct vsl_create_opts *o,
		      const char *bundle, pid_t *shim_pid, struct vsl_err **err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return vsl_err_make(err, errno, "pipe");
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return vsl_err_make(err, errno, "fork vessel-shim");
	}
	if (pid == 0) {
		close(p[0]);
		exec_shim(rt, o, bundle, p[1]);
	}
	close(p[1]);
	if (await_shim(p[0], o->id, err) < 0) {
		reap_failed_shim(pid);
		return -1;
	}
	*shim_pid = pid;
	return 0;
}

int vsl_container_create(const struct vsl_runtime *rt, const struct vsl_create_opts *o,
			 pid_t *shim_pid, struct vsl_err **err)
{
	char bundle[PATH_MAX];
	cleanup_oci_config struct vsl_oci_config *cfg = NULL;
	cleanup_free char *kernel = NULL, *initramfs = NULL;
	if (vsl_state_validate_id(o->id, err) < 0)
		return -1;
	if (realpath(o->bundle ? o->bundle : ".", bundle) == NULL)
		return vsl_err_make(err, errno, "container `%s`: --bundle `%s`", o->id,
				    o->bundle ? o->bundle : ".");
	if (vsl_oci_config_load(bundle, &cfg, err) < 0 ||
	    vsl_images_locate(&kernel, &initramfs, err) < 0)
		return vsl_err_wrap(err, "container `%s`", o->id);
	const struct vsl_backend *backend;
	if (vsl_backend_choose(vsl_oci_config_annotation(cfg, "org.vessel.hypervisor"),
			       rt->hypervisor, &backend, err) < 0)
		return vsl_err_wrap(err, "container `%s`", o->id);
	if (cfg->terminal && o->console_socket == NULL && !isatty(0))
		vsl_debug("container `%s`: terminal: true without a tty or --console-socket: "
			  "relaying the guest pty on stdio", o->id);
	if (vsl_state_create_dir(rt->root, o->id, err) < 0)
		return -1;
	cleanup_free char *dir = vsl_state_dir(rt->root, o->id);
	struct vsl_state st = { .id = (char *)o->id, .status = VSL_STATUS_CREATING,
				.bundle = bundle, .created = vsl_state_now() };
	st.annotations = json_object();
	for (size_t i = 0; i < cfg->n_annotations; i++)
		vsl_state_annotate(&st, cfg->annotations[i].key, cfg->annotations[i].value);
	int r = vsl_state_write(rt->root, &st, err);
	free(st.created);
	json_decref(st.annotations);
	if (r == 0)
		r = build_rootfs(dir, cfg->root_path, err);
	if (r == 0)
		r = spawn_shim(rt, o, bundle, shim_pid, err);
	if (r == 0 && o->pid_file != NULL && vsl_state_write_pid_file(o->pid_file, *shim_pid, err) < 0) {
		kill(*shim_pid, SIGKILL);
		waitpid(*shim_pid, NULL, 0);
		r = -1;
	}
	if (r < 0) {
		vsl_state_remove_dir(rt->root, o->id, NULL);
		return -1;
	}
	return 0;
}
