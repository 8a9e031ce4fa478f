/* vessel-shim: the per-container supervisor started (detached) by
 * `vessel-runtime create`. Its pid is the one the container manager sees; it
 * inherits create's stdio and relays the workload's stdio on it.
 *
 *   vessel-shim --root R --id ID --bundle B --sync-fd N [--console-socket S]
 *               [--accel auto|kvm|tcg] [--lib-dir D] [--log F]
 *               [--log-format text|json] [--debug] [--hypervisor qemu|libvirt]
 *
 * It answers create on the sync fd with "ok", "warn <msg>" lines or
 * "error <msg>", then runs until the workload ends and exits with its status.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "console.h"
#include "jail.h"
#include "shim.h"
#include "vessel/cleanup.h"
#include "vessel/log.h"

static int parse_args(struct shim *s, int argc, char **argv, const char **log,
		      enum vsl_log_format *fmt, bool *debug)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },   { "id", required_argument, NULL, 'i' },
		{ "bundle", required_argument, NULL, 'b' }, { "sync-fd", required_argument, NULL, 's' },
		{ "console-socket", required_argument, NULL, 'c' },
		{ "accel", required_argument, NULL, 'a' },  { "lib-dir", required_argument, NULL, 'L' },
		{ "log", required_argument, NULL, 'l' },    { "log-format", required_argument, NULL, 'f' },
		{ "debug", no_argument, NULL, 'd' },        { "hypervisor", required_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r': s->root = optarg; break;
		case 'i': s->id = optarg; break;
		case 'b': s->bundle = optarg; break;
		case 's': s->sync_fd = atoi(optarg); break;
		case 'c': s->console_socket = optarg; break;
		case 'a':
			if (vsl_accel_parse(optarg, &s->accel_req) < 0)
				return -1;
			break;
		case 'L': s->lib_dir = optarg; break;
		case 'l': *log = optarg; break;
		case 'f':
			if (vsl_log_format_parse(optarg, fmt) < 0)
				return -1;
			break;
		case 'd': *debug = true; break;
		case 'H': s->hypervisor = optarg; break;
		default: return -1;
		}
	}
	return s->root && s->id && s->bundle && s->lib_dir ? 0 : -1;
}

static int setup_signals(struct shim *s, struct vsl_err **err)
{
	sigset_t set;
	sigemptyset(&set);
	int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&set, sigs[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	s->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return s->sig_fd < 0 ? vsl_err_make(err, errno, "signalfd") : 0;
}

static int listen_socket(struct shim *s, struct vsl_err **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = "shim.sock" };
	s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->listen_fd < 0)
		return vsl_err_make(err, errno, "socket");
	unlink("shim.sock");
	if (bind(s->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(s->listen_fd, 16) < 0)
		return vsl_err_make(err, errno, "container `%s`: listen on shim.sock", s->id);
	return 0;
}

/* terminal: true with --console-socket: make a host pty, hand its master to
 * the manager over SCM_RIGHTS (runc's protocol) and relay the slave. */
static int setup_console(struct shim *s, struct vsl_err **err)
{
	int master, slave;
	if (vsl_console_open(s->cfg->rows, s->cfg->cols, &master, &slave, err) < 0)
		return vsl_err_wrap(err, "container `%s`", s->id);
	int r = vsl_console_send(s->console_socket, master, err);
	close(master);
	if (r < 0) {
		close(slave);
		return vsl_err_wrap(err, "container `%s`", s->id);
	}
	/* our controlling terminal (the shim is a session leader): the manager's
	 * resizes of the master come as SIGWINCH and go on to the guest */
	ioctl(slave, TIOCSCTTY, 0);
	s->in_fd = s->out_fd = s->err_fd = s->pty_master = slave;
	/* the pty is the workload's stdio now; create's stdio must not stay open
	 * here: containerd's shim reads `create`'s output until EOF (runc's
	 * create leaves nothing holding it either) */
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int i = 0; i < 3 && null >= 0; i++)
		dup2(null, i);
	if (null > 2)
		close(null);
	return 0;
}

static int prepare(struct shim *s, struct vsl_err **err)
{
	cleanup_free char *dir = vsl_state_dir(s->root, s->id);
	if (chdir(dir) < 0)
		return vsl_err_make(err, errno, "container `%s`: state directory `%s`", s->id, dir);
	if (setup_signals(s, err) < 0 || vsl_state_read(s->root, s->id, &s->st, err) < 0 ||
	    vsl_oci_config_load(s->bundle, &s->cfg, err) < 0 ||
	    vsl_images_locate(&s->kernel, &s->initramfs, err) < 0 || listen_socket(s, err) < 0)
		return -1;
	if (s->cfg->terminal && s->console_socket != NULL && setup_console(s, err) < 0)
		return -1;
	if (vsl_backend_choose(vsl_oci_config_annotation(s->cfg, "org.vessel.hypervisor"),
			       s->hypervisor, &s->vm.ops, err) < 0)
		return vsl_err_wrap(err, "container `%s`", s->id);
	s->vm.name = s->id;
	vsl_state_annotate(s->st, "org.vessel.hypervisor", s->vm.ops->name);
	if (shim_net_parse(s, err) < 0 || shim_place(s, err) < 0 || shim_net_attach(s, err) < 0 ||
	    shim_boot(s, err) < 0)
		return -1;
	s->st->status = VSL_STATUS_CREATED;
	s->st->pid = getpid();
	return shim_save_state(s);
}

int main(int argc, char **argv)
{
	struct shim s = { .sync_fd = -1, .ctl_fd = -1, .sig_fd = -1, .listen_fd = -1,
			  .in_fd = 0, .out_fd = 1, .err_fd = 2, .pty_master = -1,
			  .pending_start_fd = -1, .accel_req = VSL_ACCEL_AUTO };
	const char *log = NULL;
	enum vsl_log_format fmt = VSL_LOG_TEXT;
	bool debug = false;
	if (parse_args(&s, argc, argv, &log, &fmt, &debug) < 0) {
		fprintf(stderr, "vessel-shim: started by vessel-runtime create, not by hand\n");
		return 2;
	}
	if (s.sync_fd >= 0)
		fcntl(s.sync_fd, F_SETFD, FD_CLOEXEC); /* QEMU must not hold create's pipe */
	cleanup_err struct vsl_err *err = NULL;
	cleanup_free char *own_log = log ? NULL : xasprintf("%s/%s/shim.log", s.root, s.id);
	vsl_log_init("vessel-shim", debug ? VSL_LOG_DEBUG : VSL_LOG_INFO, log ? fmt : VSL_LOG_TEXT,
		     log ? log : own_log, NULL);
	vsl_ctl_reader_init(&s.rd);
	if (s.cfg == NULL && prepare(&s, &err) < 0) {
		vsl_error("%s", err->msg);
		shim_vm_kill(&s, 0);
		shim_net_detach(&s);
		shim_unplace(&s);
		if (s.sync_fd < 0 || dprintf(s.sync_fd, "error %s\n", err->msg) < 0)
			vsl_state_remove_dir(s.root, s.id, NULL); /* nobody else will */
		return 1;
	}
	/* booted: from here on the shim parses what an untrusted guest sends */
	if (vsl_jail_enabled() && vsl_jail_shim_drop(&err) < 0) {
		vsl_warn("container `%s`: %s", s.id, err->msg);
		vsl_err_freep(&err);
	}
	if (s.cfg->terminal && s.console_socket == NULL) {
		/* the guest pty does the line discipline; a host tty passes bytes */
		s.err_fd = s.out_fd;
		if (isatty(s.in_fd) && tcgetattr(s.in_fd, &s.saved_tio) == 0) {
			struct termios raw = s.saved_tio;
			cfmakeraw(&raw);
			s.tty_saved = tcsetattr(s.in_fd, TCSANOW, &raw) == 0;
		}
	}
	if (s.sync_fd >= 0) {
		int r = dprintf(s.sync_fd, "ok\n");
		close(s.sync_fd);
		s.sync_fd = -1;
		if (r < 0) { /* create was killed while we booted: undo everything */
			vsl_error("container `%s`: create went away before the container was ready: "
				  "removing it", s.id);
			s.quitting = true;
			shim_vm_kill(&s, 0);
			shim_net_detach(&s);
			shim_unplace(&s);
			vsl_state_remove_dir(s.root, s.id, NULL);
			return 1;
		}
	}
	int status = shim_loop(&s);
	if (s.tty_saved)
		tcsetattr(s.in_fd, TCSANOW, &s.saved_tio);
	vsl_oci_config_free(s.cfg);
	vsl_state_free(s.st);
	vsl_ctl_reader_free(&s.rd);
	free(s.kernel);
	free(s.initramfs);
	vsl_place_plan_destroy(s.plan);
	shim_net_free(&s);
	free(s.place_dir);
	return status;
}
