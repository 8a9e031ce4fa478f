/* vessel-runtime: the OCI runtime CLI (runc-compatible global flags and
 * verbs). Parses the global flags, sets up logging, dispatches to a verb and
 * turns an error into one line on stderr (and a JSON line in --log when
 * --log-format json) with a non-zero exit. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "oci_config.h"
#include "state.h"
#include "vessel/cleanup.h"
#include "vessel/log.h"
#include "vm.h"

static const struct vsl_cli_cmd *const cmds[] = {
	&vsl_cmd_create, &vsl_cmd_start, &vsl_cmd_run,   &vsl_cmd_state,  &vsl_cmd_kill,
	&vsl_cmd_delete, &vsl_cmd_list,  &vsl_cmd_pause, &vsl_cmd_resume, &vsl_cmd_exec,
	&vsl_cmd_ps,
};

static void usage(FILE *f)
{
	fprintf(f, "usage: vessel-runtime [--root DIR] [--log FILE] [--log-format text|json] "
		   "[--debug] [--accel auto|kvm|tcg] [--hypervisor qemu|libvirt] COMMAND ...\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %s\n", cmds[i]->usage);
	fprintf(f, "\nenvironment: VESSEL_ACCEL, VESSEL_LIB_DIR, VESSEL_IMAGES_DIR\n");
}

int vsl_cli_positional(const struct vsl_cli_cmd *cmd, int argc, char **argv, int min, int max,
		       struct vsl_err **err)
{
	(void)argv;
	int n = argc - optind;
	if (n < min || n > max)
		return vsl_err_make(err, 0, "%s: expected %s: usage: vessel-runtime %s",
				    cmd->name, n < min ? "more arguments" : "fewer arguments",
				    cmd->usage);
	return 0;
}

struct globals {
	struct vsl_runtime rt;
	const char *log_path;
	enum vsl_log_format fmt;
	bool systemd_cgroup;
};

static int parse_globals(int argc, char **argv, struct globals *g)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "log", required_argument, NULL, 'l' },
		{ "log-format", required_argument, NULL, 'f' },
		{ "debug", no_argument, NULL, 'd' },
		{ "systemd-cgroup", no_argument, NULL, 's' },
		{ "accel", required_argument, NULL, 'a' },
		{ "hypervisor", required_argument, NULL, 'H' },
		{ "version", no_argument, NULL, 'v' },
		/* runc's, passed by some managers; meaningless for a microVM */
		{ "criu", required_argument, NULL, 'i' },
		{ "rootless", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	enum vsl_accel a;
	while ((c = getopt_long(argc, argv, "+hv", opts, NULL)) != -1) {
		switch (c) {
		case 'r': g->rt.root = optarg; break;
		case 'l': g->log_path = optarg; break;
		case 'f':
			if (vsl_log_format_parse(optarg, &g->fmt) < 0) {
				fprintf(stderr, "vessel-runtime: --log-format `%s`: use text or json\n",
					optarg);
				return -1;
			}
			g->rt.log_format = optarg;
			break;
		case 'd': g->rt.debug = true; break;
		case 's': g->systemd_cgroup = true; break;
		case 'a':
			if (vsl_accel_parse(optarg, &a) < 0) {
				fprintf(stderr, "vessel-runtime: --accel `%s`: use auto, kvm or tcg\n",
					optarg);
				return -1;
			}
			g->rt.accel = optarg;
			break;
		case 'H':
			if (strcmp(optarg, "qemu") != 0 && strcmp(optarg, "libvirt") != 0) {
				fprintf(stderr, "vessel-runtime: --hypervisor `%s`: use qemu or "
					"libvirt\n", optarg);
				return -1;
			}
			g->rt.hypervisor = optarg;
			break;
		case 'v':
			printf("vessel-runtime version %s\nspec: 1.0.2\n", VESSEL_VERSION);
			return 1;
		case 'h': usage(stdout); return 1;
		case 'i': break;
		default: usage(stderr); return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct globals g = { .rt = { .root = VSL_DEFAULT_ROOT, .log_format = "text" } };
	const char *env = getenv("VESSEL_ACCEL");
	enum vsl_accel a;
	g.rt.accel = env && *env && vsl_accel_parse(env, &a) == 0 ? env : "auto";
	env = getenv("VESSEL_HYPERVISOR");
	g.rt.hypervisor = env && *env ? env : NULL;
	env = getenv("VESSEL_LIB_DIR");
	g.rt.lib_dir = env && *env ? env : VSL_DEFAULT_LIB_DIR;
	int r = parse_globals(argc, argv, &g);
	if (r != 0)
		return r > 0 ? 0 : 2;
	cleanup_err struct vsl_err *err = NULL;
	if (vsl_log_init("vessel-runtime", g.rt.debug ? VSL_LOG_DEBUG : VSL_LOG_WARN, g.fmt,
			 g.log_path, &err) < 0) {
		fprintf(stderr, "vessel-runtime: %s\n", err->msg);
		return 1;
	}
	g.rt.log_path = g.log_path;
	vsl_log_set_echo_errors(g.log_path != NULL);
	if (g.systemd_cgroup)
		vsl_warn("--systemd-cgroup is ignored: a Vessel container's limits are its "
			 "microVM's size");
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	const char *verb = argv[optind];
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(cmds[i]->name, verb) != 0)
			continue;
		int vargc = argc - optind;
		char **vargv = argv + optind;
		optind = 0; /* reinitialise getopt for the verb */
		r = cmds[i]->run(&g.rt, vargc, vargv, &err);
		if (r < 0) {
			vsl_log_err(steal_pointer(&err));
			return 1;
		}
		return r;
	}
	vsl_err_make(&err, 0, "unknown command `%s`: see vessel-runtime --help", verb);
	vsl_log_err(steal_pointer(&err));
	return 2;
}
