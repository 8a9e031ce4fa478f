/* vessel-runtime start ID: runs the workload of a created container. */
#include <getopt.h>
#include <stddef.h>

#include "cli.h"

static int cmd_start(struct vsl_runtime *rt, int argc, char **argv, struct vsl_err **err)
{
	if (getopt_long(argc, argv, "", (struct option[]){ { NULL, 0, NULL, 0 } }, NULL) != -1 ||
	    vsl_cli_positional(&vsl_cmd_start, argc, argv, 1, 1, err) < 0)
		return vsl_err_make(err, 0, "start: usage: %s", vsl_cmd_start.usage);
	return vsl_container_start(rt, argv[optind], err);
}

const struct vsl_cli_cmd vsl_cmd_start = {
	.name = "start",
	.usage = "start ID",
	.run = cmd_start,
};
