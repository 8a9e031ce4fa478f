/* vessel-runtime kill [--all] ID [SIGNAL]: signals the workload in the guest
 * (names like TERM/SIGTERM or numbers; default TERM). */
#include <getopt.h>
#include <stddef.h>
#include <signal.h>
#include <stdbool.h>

#include "cli.h"

static int cmd_kill(struct vsl_runtime *rt, int argc, char **argv, struct vsl_err **err)
{
	static const struct option opts[] = { { "all", no_argument, NULL, 'a' },
					      { NULL, 0, NULL, 0 } };
	bool all = false;
	int c;
	while ((c = getopt_long(argc, argv, "a", opts, NULL)) != -1) {
		if (c != 'a')
			return vsl_err_make(err, 0, "kill: usage: %s", vsl_cmd_kill.usage);
		all = true;
	}
	if (vsl_cli_positional(&vsl_cmd_kill, argc, argv, 1, 2, err) < 0)
		return -1;
	int signo = SIGTERM;
	if (argc - optind == 2 && (signo = vsl_signal_parse(argv[optind + 1])) < 0)
		return vsl_err_make(err, 0, "kill: `%s` is not a signal: give a name (TERM, KILL) "
				    "or a number", argv[optind + 1]);
	return vsl_container_kill(rt, argv[optind], signo, all, err);
}

const struct vsl_cli_cmd vsl_cmd_kill = {
	.name = "kill",
	.usage = "kill [--all] ID [SIGNAL]",
	.run = cmd_kill,
};
