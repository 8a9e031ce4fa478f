/* vessel-runtime list [--format table|json] [--quiet] */
#include <getopt.h>
#include <stddef.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void print_json(const struct vsl_container_info *v, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:i, s:s, s:s, s:s}", "id", v[i].id,
						     "pid", (int)v[i].pid, "status", v[i].status,
						     "bundle", v[i].bundle, "created", v[i].created));
	char *s = json_dumps(arr, JSON_PRESERVE_ORDER);
	printf("%s\n", s ? s : "[]");
	free(s);
	json_decref(arr);
}

static int cmd_list(struct vsl_runtime *rt, int argc, char **argv, struct vsl_err **err)
{
	static const struct option opts[] = { { "format", required_argument, NULL, 'f' },
					      { "quiet", no_argument, NULL, 'q' },
					      { NULL, 0, NULL, 0 } };
	const char *format = "table";
	int quiet = 0, c;
	while ((c = getopt_long(argc, argv, "f:q", opts, NULL)) != -1) {
		if (c == 'f')
			format = optarg;
		else if (c == 'q')
			quiet = 1;
		else
			return vsl_err_make(err, 0, "list: usage: %s", vsl_cmd_list.usage);
	}
	if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
		return vsl_err_make(err, 0, "list: --format `%s`: use table or json", format);
	if (vsl_cli_positional(&vsl_cmd_list, argc, argv, 0, 0, err) < 0)
		return -1;
	struct vsl_container_info *v = NULL;
	size_t n = 0;
	if (vsl_container_list(rt, &v, &n, err) < 0)
		return -1;
	if (strcmp(format, "json") == 0)
		print_json(v, n);
	else if (quiet)
		for (size_t i = 0; i < n; i++)
			printf("%s\n", v[i].id);
	else {
		printf("%-20s %-8s %-10s %-48s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED");
		for (size_t i = 0; i < n; i++)
			printf("%-20s %-8d %-10s %-48s %s\n", v[i].id, (int)v[i].pid, v[i].status,
			       v[i].bundle, v[i].created);
	}
	vsl_container_info_free(v, n);
	return 0;
}

const struct vsl_cli_cmd vsl_cmd_list = {
	.name = "list",
	.usage = "list [--format table|json] [--quiet]",
	.run = cmd_list,
};
