/* vessel-runtime exec [options] ID [COMMAND ARGS...]: runs another process
 * in a running container (runc exec). conmon and containerd's runc shim call
 *   exec --process FILE --pid-file P --detach [--console-socket S] ID
 * and wait on the pid in P, whose exit status is the process's. Options of
 * runc's that have no meaning inside a microVM (labels, apparmor, caps,
 * cgroup) are accepted and ignored. */
#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

#include "cli.h"
#include "vessel/cleanup.h"

enum { OPT_CONSOLE = 1000, OPT_PID_FILE, OPT_IGNORED_ARG, OPT_IGNORED };

static int cmd_exec(struct vsl_runtime *rt, int argc, char **argv, struct vsl_err **err)
{
	static const struct option opts[] = {
		{ "console-socket", required_argument, NULL, OPT_CONSOLE },
		{ "pid-file", required_argument, NULL, OPT_PID_FILE },
		{ "process", required_argument, NULL, 'p' },
		{ "detach", no_argument, NULL, 'd' },
		{ "tty", no_argument, NULL, 't' },
		{ "cwd", required_argument, NULL, 'w' },
		{ "env", required_argument, NULL, 'e' },
		{ "user", required_argument, NULL, 'u' },
		{ "additional-gids", required_argument, NULL, 'g' },
		{ "cap", required_argument, NULL, 'c' },
		{ "process-label", required_argument, NULL, OPT_IGNORED_ARG },
		{ "apparmor", required_argument, NULL, OPT_IGNORED_ARG },
		{ "preserve-fds", required_argument, NULL, OPT_IGNORED_ARG },
		{ "cgroup", required_argument, NULL, OPT_IGNORED_ARG },
		{ "no-new-privs", no_argument, NULL, OPT_IGNORED },
		{ "ignore-paused", no_argument, NULL, OPT_IGNORED },
		{ NULL, 0, NULL, 0 },
	};
	struct vsl_exec_opts o = { 0 };
	cleanup_free char **env = xzalloc((size_t)argc * sizeof(char *));
	o.env = env;
	int c;
	while ((c = getopt_long(argc, argv, "+p:dtw:e:u:g:c:", opts, NULL)) != -1) {
		switch (c) {
		case OPT_CONSOLE: o.console_socket = optarg; break;
		case OPT_PID_FILE: o.pid_file = optarg; break;
		case 'p': o.process_file = optarg; break;
		case 'd': o.detach = true; break;
		case 't': o.tty = true; break;
		case 'w': o.cwd = optarg; break;
		case 'e': env[o.n_env++] = optarg; break;
		case 'u': o.user = optarg; break;
		case 'g': case 'c': case OPT_IGNORED_ARG: case OPT_IGNORED: break;
		default: return vsl_err_make(err, 0, "exec: usage: %s", vsl_cmd_exec.usage);
		}
	}
	if (vsl_cli_positional(&vsl_cmd_exec, argc, argv, 1, argc, err) < 0)
		return -1;
	o.id = argv[optind];
	o.args = argv + optind + 1;
	o.n_args = (size_t)(argc - optind - 1);
	if (o.process_file != NULL && o.n_args > 0)
		return vsl_err_make(err, 0, "exec: give either --process FILE or a command, not "
				    "both");
	int status;
	if (vsl_container_exec(rt, &o, &status, err) < 0)
		return -1;
	return status;
}

const struct vsl_cli_cmd vsl_cmd_exec = {
	.name = "exec",
	.usage = "exec [--process FILE | -t -e NAME=V --cwd DIR -u UID[:GID]] [--detach] "
		 "[--pid-file FILE] [--console-socket SOCK] ID [COMMAND [ARG...]]",
	.run = cmd_exec,
};
