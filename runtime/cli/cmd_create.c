/* vessel-runtime create --bundle DIR [--pid-file F] [--console-socket S] ID */
#include <getopt.h>
#include <stddef.h>

#include "cli.h"

static int cmd_create(struct vsl_runtime *rt, int argc, char **argv, struct vsl_err **err)
{
	static const struct option opts[] = {
		{ "bundle", required_argument, NULL, 'b' },
		{ "pid-file", required_argument, NULL, 'p' },
		{ "console-socket", required_argument, NULL, 'c' },
		{ "no-pivot", no_argument, NULL, 'n' },
		{ "no-new-keyring", no_argument, NULL, 'n' },
		{ "preserve-fds", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct vsl_create_opts o = { .bundle = "." };
	int c;
	while ((c = getopt_long(argc, argv, "b:", opts, NULL)) != -1) {
		switch (c) {
		case 'b': o.bundle = optarg; break;
		case 'p': o.pid_file = optarg; break;
		case 'c': o.console_socket = optarg; break;
		case 'n': break; /* runc options with no meaning for a microVM */
		default: return vsl_err_make(err, 0, "create: usage: %s", vsl_cmd_create.usage);
		}
	}
	if (vsl_cli_positional(&vsl_cmd_create, argc, argv, 1, 1, err) < 0)
		return -1;
	o.id = argv[optind];
	pid_t pid;
	return vsl_container_create(rt, &o, &pid, err);
}

const struct vsl_cli_cmd vsl_cmd_create = {
	.name = "create",
	.usage = "create --bundle DIR [--pid-file FILE] [--console-socket SOCK] ID",
	.run = cmd_create,
};
