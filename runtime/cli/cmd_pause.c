/* vessel-runtime pause ID / resume ID: freeze and thaw the whole microVM. */
#include <getopt.h>
#include <stddef.h>

#include "cli.h"

static int one_id(const struct vsl_cli_cmd *cmd, int argc, char **argv, struct vsl_err **err)
{
	if (getopt_long(argc, argv, "", (struct option[]){ { NULL, 0, NULL, 0 } }, NULL) != -1 ||
	    vsl_cli_positional(cmd, argc, argv, 1, 1, err) < 0)
		return vsl_err_make(err, 0, "%s: usage: %s", cmd->name, cmd->usage);
	return 0;
}

static int cmd_pause(struct vsl_runtime *rt, int argc, char **argv, struct vsl_err **err)
{
	if (one_id(&vsl_cmd_pause, argc, argv, err) < 0)
		return -1;
	return vsl_container_pause(rt, argv[optind], err);
}

static int cmd_resume(struct vsl_runtime *rt, int argc, char **argv, struct vsl_err **err)
{
	if (one_id(&vsl_cmd_resume, argc, argv, err) < 0)
		return -1;
	return vsl_container_resume(rt, argv[optind], err);
}

const struct vsl_cli_cmd vsl_cmd_pause = { .name = "pause", .usage = "pause ID", .run = cmd_pause };
const struct vsl_cli_cmd vsl_cmd_resume = { .name = "resume", .usage = "resume ID",
					    .run = cmd_resume };
