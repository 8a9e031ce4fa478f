/* vessel-runtime run [--bundle DIR] [--pid-file F] [--detach] ID: create,
 * start, wait; exits with the workload's status and removes the container
 * (as runc run does). Signals sent to this process go to the workload. */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/wait.h>

#include "cli.h"
#include "vessel/log.h"

static volatile sig_atomic_t g_shim_pid; /* for the forwarding handler only */

static void forward(int sig)
{
	if (g_shim_pid > 0)
		kill((pid_t)g_shim_pid, sig);
}

static int wait_shim(pid_t pid)
{
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 255;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int cmd_run(struct vsl_runtime *rt, int argc, char **argv, struct vsl_err **err)
{
	static const struct option opts[] = {
		{ "bundle", required_argument, NULL, 'b' },
		{ "pid-file", required_argument, NULL, 'p' },
		{ "console-socket", required_argument, NULL, 'c' },
		{ "detach", no_argument, NULL, 'd' },
		{ "no-pivot", no_argument, NULL, 'n' },
		{ "no-new-keyring", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct vsl_create_opts o = { .bundle = "." };
	bool detach = false;
	int c;
	while ((c = getopt_long(argc, argv, "b:d", opts, NULL)) != -1) {
		switch (c) {
		case 'b': o.bundle = optarg; break;
		case 'p': o.pid_file = optarg; break;
		case 'c': o.console_socket = optarg; break;
		case 'd': detach = true; break;
		case 'n': break;
		default: return vsl_err_make(err, 0, "run: usage: %s", vsl_cmd_run.usage);
		}
	}
	if (vsl_cli_positional(&vsl_cmd_run, argc, argv, 1, 1, err) < 0)
		return -1;
	o.id = argv[optind];
	pid_t pid;
	if (vsl_container_create(rt, &o, &pid, err) < 0)
		return -1;
	g_shim_pid = pid;
	struct sigaction sa = { .sa_handler = forward };
	int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
	for (size_t i = 0; !detach && i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	if (vsl_container_start(rt, o.id, err) < 0) {
		vsl_container_delete(rt, o.id, true, NULL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	if (detach)
		return 0;
	int status = wait_shim(pid);
	struct vsl_err *derr = NULL;
	if (vsl_container_delete(rt, o.id, true, &derr) < 0)
		vsl_log_err(derr);
	return status;
}

const struct vsl_cli_cmd vsl_cmd_run = {
	.name = "run",
	.usage = "run [--bundle DIR] [--pid-file FILE] [--detach] ID",
	.run = cmd_run,
};
