/* vessel-runtime delete [--force] ID */
#include <getopt.h>
#include <stddef.h>
#include <stdbool.h>

#include "cli.h"

static int cmd_delete(struct vsl_runtime *rt, int argc, char **argv, struct vsl_err **err)
{
	static const struct option opts[] = { { "force", no_argument, NULL, 'f' },
					      { NULL, 0, NULL, 0 } };
	bool force = false;
	int c;
	while ((c = getopt_long(argc, argv, "f", opts, NULL)) != -1) {
		if (c != 'f')
			return vsl_err_make(err, 0, "delete: usage: %s", vsl_cmd_delete.usage);
		force = true;
	}
	if (vsl_cli_positional(&vsl_cmd_delete, argc, argv, 1, 1, err) < 0)
		return -1;
	return vsl_container_delete(rt, argv[optind], force, err);
}

const struct vsl_cli_cmd vsl_cmd_delete = {
	.name = "delete",
	.usage = "delete [--force] ID",
	.run = cmd_delete,
};
