/* vessel-runtime state ID: prints the OCI state JSON. */
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static int cmd_state(struct vsl_runtime *rt, int argc, char **argv, struct vsl_err **err)
{
	if (getopt_long(argc, argv, "", (struct option[]){ { NULL, 0, NULL, 0 } }, NULL) != -1 ||
	    vsl_cli_positional(&vsl_cmd_state, argc, argv, 1, 1, err) < 0)
		return vsl_err_make(err, 0, "state: usage: %s", vsl_cmd_state.usage);
	char *json = NULL;
	if (vsl_container_state(rt, argv[optind], &json, err) < 0)
		return -1;
	printf("%s\n", json);
	free(json);
	return 0;
}

const struct vsl_cli_cmd vsl_cmd_state = {
	.name = "state",
	.usage = "state ID",
	.run = cmd_state,
};
