/* vessel-runtime ps [--format table|json] ID: the host processes that stand
 * for the container's processes: its shim (the workload) and one exec client
 * per exec'd process. `--format json` prints a JSON array of their pids, what
 * containerd's runc shim reads for `ctr task ps`; the table adds which guest
 * process each stands for. Nothing else of a container runs on the host but
 * its QEMU, which belongs to the shim. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int cmd_ps(struct vsl_runtime *rt, int argc, char **argv, struct vsl_err **err)
{
	static const struct option opts[] = { { "format", required_argument, NULL, 'f' },
					      { NULL, 0, NULL, 0 } };
	const char *format = "table";
	int c;
	while ((c = getopt_long(argc, argv, "+f:", opts, NULL)) != -1) {
		if (c != 'f')
			return vsl_err_make(err, 0, "ps: usage: %s", vsl_cmd_ps.usage);
		format = optarg;
	}
	if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
		return vsl_err_make(err, 0, "ps: --format `%s`: use table or json", format);
	/* runc passes anything after the id to ps(1); there is no host ps to ask */
	if (vsl_cli_positional(&vsl_cmd_ps, argc, argv, 1, argc, err) < 0)
		return -1;
	struct vsl_proc_info *p = NULL;
	size_t n = 0;
	if (vsl_container_ps(rt, argv[optind], &p, &n, err) < 0)
		return -1;
	if (strcmp(format, "json") == 0) {
		printf("[");
		for (size_t i = 0; i < n; i++)
			printf("%s%d", i ? "," : "", (int)p[i].host_pid);
		printf("]\n");
	} else {
		printf("%-10s %-8s %s\n", "PID", "PROC", "GUEST-PID");
		for (size_t i = 0; i < n; i++)
			printf("%-10d %-8s %d\n", (int)p[i].host_pid,
			       p[i].proc_id == 0 ? "init" : "exec", p[i].guest_pid);
	}
	free(p);
	return 0;
}

const struct vsl_cli_cmd vsl_cmd_ps = {
	.name = "ps",
	.usage = "ps [--format table|json] ID",
	.run = cmd_ps,
};
