/* vessel-runtime CLI: one file per verb (cmd_*.c), each a thin layer over
 * libvessel (vessel/runtime.h). A verb returns the process exit status, or a
 * negative value with *err set (main prints it as one line and exits 1). */
#ifndef VESSEL_CLI_H
#define VESSEL_CLI_H

#include "vessel/err.h"
#include "vessel/runtime.h"

struct vsl_cli_cmd {
	const char *name;
	const char *usage;
	int (*run)(struct vsl_runtime *rt, int argc, char **argv, struct vsl_err **err);
};

/* Verb tables, one per file. */
extern const struct vsl_cli_cmd vsl_cmd_create, vsl_cmd_start, vsl_cmd_run, vsl_cmd_state,
	vsl_cmd_kill, vsl_cmd_delete, vsl_cmd_list, vsl_cmd_pause, vsl_cmd_resume, vsl_cmd_exec,
	vsl_cmd_ps;

/* Checks that exactly `want` positional arguments remain after options
 * (optind); names the verb's usage otherwise. */
int vsl_cli_positional(const struct vsl_cli_cmd *cmd, int argc, char **argv, int min, int max,
		       struct vsl_err **err);

#endif
