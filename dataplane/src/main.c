/* vessel-dp: Vessel's DPDK vSwitch. `vessel-dp [options] [-- EAL args]` runs
 * the switch: EAL on the main lcore (control thread: control socket, vhost
 * events, MAC aging) and one poll-mode worker per other lcore. `vessel-dp ctl`
 * is the command-line client of the control socket (cli.c).
 *
 * Defaults suit a 2-core host: main lcore 0, one worker on lcore 1; EAL in
 * --in-memory mode (no hugepage files left behind, no shared runtime files),
 * --no-pci unless PCI devices are listed, and a --file-prefix derived from
 * the control socket path so several instances can coexist.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "vessel/cleanup.h"
#include "vessel/err.h"
#include "vessel/log.h"
#include "vessel/vhost_port.h"
#include "dp.h"

int vsl_dp_cli_main(int argc, char **argv); /* cli.c */

#define DP_DEFAULT_CTL "/run/vessel/dp.sock"
#define DP_DEFAULT_STATE "/var/lib/vessel/dataplane/config.json"

struct dp_opts {
	const char *ctl, *state, *lcores, *prefix, *log_file;
	unsigned socket_mem, mbufs;
	bool no_huge;
	const char *pci[16];
	int npci;
	enum vsl_log_level level;
	enum vsl_log_format fmt;
	json_t *config; /* --config document, kept for its strings */
	const char *extra[32];
	int nextra;
};

static volatile int g_stop;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vessel-dp [options] [-- EAL args]   run the switch\n"
		"       vessel-dp ctl [--socket PATH] [--json] METHOD [key=value ...]\n\n"
		"  --ctl-socket PATH   control socket (default " DP_DEFAULT_CTL ")\n"
		"  --state PATH        persisted configuration (default " DP_DEFAULT_STATE ")\n"
		"  --config FILE       JSON: {lcores, file_prefix, socket_mem, no_huge, pci:[..],\n"
		"                      eal_args:[..], ctl_socket, state, mbufs}; flags override it\n"
		"  --lcores LIST       EAL lcores, main first (default 0,1: main 0, worker 1)\n"
		"  --file-prefix P     EAL file prefix (default derived from the control socket)\n"
		"  --socket-mem MB     memory per NUMA node (default: grow on demand)\n"
		"  --no-huge           run without hugepages (testing)\n"
		"  --pci ADDR          allow a PCI device (repeatable; default --no-pci)\n"
		"  --mbufs N           mbufs per NUMA node pool (default 16383)\n"
		"  --log-level L       error|warn|info|debug (default info)\n"
		"  --log-format F      text|json;  --log-file PATH\n");
}

static int load_config(struct dp_opts *o, const char *path, struct vsl_err **err)
{
	json_error_t je;
	json_t *c = json_load_file(path, 0, &je), *v;
	size_t i;

	if (c == NULL || !json_is_object(c)) {
		json_decref(c);
		return vsl_err_make(err, EINVAL, "config `%s`: line %d: %s", path, je.line,
				    c ? "not an object" : je.text);
	}
	o->config = c;
#define STR(key, dst) if ((v = json_object_get(c, key)) && json_is_string(v)) dst = json_string_value(v)
	STR("lcores", o->lcores);
	STR("file_prefix", o->prefix);
	STR("ctl_socket", o->ctl);
	STR("state", o->state);
#undef STR
	if ((v = json_object_get(c, "socket_mem")) && json_is_integer(v))
		o->socket_mem = (unsigned)json_integer_value(v);
	if ((v = json_object_get(c, "mbufs")) && json_is_integer(v))
		o->mbufs = (unsigned)json_integer_value(v);
	if ((v = json_object_get(c, "no_huge")))
		o->no_huge = json_is_true(v);
	json_array_foreach(json_object_get(c, "pci"), i, v)
		if (json_is_string(v) && o->npci < 16)
			o->pci[o->npci++] = json_string_value(v);
	json_array_foreach(json_object_get(c, "eal_args"), i, v)
		if (json_is_string(v) && o->nextra < 32)
			o->extra[o->nextra++] = json_string_value(v);
	return 0;
}

static int parse_args(int argc, char **argv, struct dp_opts *o, struct vsl_err **err)
{
	static const struct option lo[] = {
		{ "ctl-socket", required_argument, NULL, 'c' }, { "state", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'C' },     { "lcores", required_argument, NULL, 'l' },
		{ "file-prefix", required_argument, NULL, 'p' }, { "socket-mem", required_argument, NULL, 'm' },
		{ "no-huge", no_argument, NULL, 'H' },          { "pci", required_argument, NULL, 'P' },
		{ "mbufs", required_argument, NULL, 'n' },      { "log-level", required_argument, NULL, 'L' },
		{ "log-format", required_argument, NULL, 'F' }, { "log-file", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },             { "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	/* --config first, so flags override it wherever they are. */
	for (int i = 1; i + 1 < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--config") == 0 && load_config(o, argv[i + 1], err) < 0)
			return -1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'c': o->ctl = optarg; break;
		case 's': o->state = optarg; break;
		case 'C': break;
		case 'l': o->lcores = optarg; break;
		case 'p': o->prefix = optarg; break;
		case 'm': o->socket_mem = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'H': o->no_huge = true; break;
		case 'P':
			if (o->npci < 16)
				o->pci[o->npci++] = optarg;
			break;
		case 'n': o->mbufs = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'L':
			if (!strcmp(optarg, "error")) o->level = VSL_LOG_ERROR;
			else if (!strcmp(optarg, "warn")) o->level = VSL_LOG_WARN;
			else if (!strcmp(optarg, "info")) o->level = VSL_LOG_INFO;
			else if (!strcmp(optarg, "debug")) o->level = VSL_LOG_DEBUG;
			else return vsl_err_make(err, EINVAL, "--log-level: unknown level `%s`", optarg);
			break;
		case 'F':
			if (vsl_log_format_parse(optarg, &o->fmt) < 0)
				return vsl_err_make(err, EINVAL, "--log-format: `%s` is not text or json", optarg);
			break;
		case 'f': o->log_file = optarg; break;
		case 'h': usage(stdout); return 1;
		case 'V': printf("vessel-dp %s\n", VESSEL_VERSION); return 1;
		default: usage(stderr); return vsl_err_make(err, EINVAL, "bad arguments");
		}
	}
	for (int i = optind; i < argc && o->nextra < 32; i++)
		o->extra[o->nextra++] = argv[i];
	if (o->mbufs < 1024 || o->mbufs > (1U << 22))
		return vsl_err_make(err, EINVAL, "--mbufs: %u out of range 1024..4194304", o->mbufs);
	return 0;
}

/* Builds the EAL argv; strings live in o or in static storage. */
static int eal_argv(struct dp_opts *o, const char **av, int max)
{
	static char prefix[64], mem[32], main_lcore[16];
	unsigned long h = 5381;
	int n = 0;

	for (const char *p = o->ctl; *p; p++)
		h = h * 33 + (unsigned char)*p;
	if (o->prefix == NULL) {
		snprintf(prefix, sizeof(prefix), "vsldp-%08lx", h & 0xffffffffUL);
		o->prefix = prefix;
	}
	snprintf(main_lcore, sizeof(main_lcore), "%d", atoi(o->lcores));
	av[n++] = "vessel-dp";
	av[n++] = "-l";
	av[n++] = o->lcores;
	av[n++] = "--main-lcore";
	av[n++] = main_lcore;
	av[n++] = "--file-prefix";
	av[n++] = o->prefix;
	av[n++] = "--in-memory";
	av[n++] = "--log-level=notice";
	if (o->no_huge)
		av[n++] = "--no-huge";
	if (o->socket_mem || o->no_huge) {
		snprintf(mem, sizeof(mem), "%u", o->socket_mem ? o->socket_mem : 256);
		av[n++] = "-m";
		av[n++] = mem;
	}
	if (o->npci == 0)
		av[n++] = "--no-pci";
	for (int i = 0; i < o->npci && n + 2 < max; i++) {
		av[n++] = "-a";
		av[n++] = o->pci[i];
	}
	for (int i = 0; i < o->nextra && n + 1 < max; i++)
		av[n++] = o->extra[i];
	av[n] = NULL;
	return n;
}

static int dp_start_workers(struct vsl_dp *dp, struct vsl_err **err)
{
	unsigned lc;
	size_t sz;

	RTE_LCORE_FOREACH_WORKER(lc) {
		struct dp_worker *w;

		if (dp->nworkers == DP_MAX_WORKERS)
			break;
		w = rte_zmalloc_socket("dp_worker", sizeof(*w), RTE_CACHE_LINE_SIZE,
				       (int)rte_lcore_to_socket_id(lc));
		if (w == NULL)
			return vsl_err_make(err, ENOMEM, "worker state for lcore %u", lc);
		w->idx = dp->nworkers;
		w->lcore = lc;
		w->dp = dp;
		dp->workers[dp->nworkers++] = w;
	}
	if (dp->nworkers == 0)
		return vsl_err_make(err, EINVAL, "--lcores: need a main lcore and at least one worker");
	sz = rte_rcu_qsbr_get_memsize(dp->nworkers);
	dp->qsv = rte_zmalloc("dp_rcu", sz, RTE_CACHE_LINE_SIZE);
	if (dp->qsv == NULL || rte_rcu_qsbr_init(dp->qsv, dp->nworkers) < 0)
		return vsl_err_make(err, ENOMEM, "RCU state");
	dp->drain_tsc = rte_get_tsc_hz() / 10000; /* 100 us */
	if (dp_publish(dp, err) < 0)
		return -1;
	for (unsigned i = 0; i < dp->nworkers; i++)
		rte_eal_remote_launch(dp_worker_main, dp->workers[i], dp->workers[i]->lcore);
	vsl_info("%u worker(s) polling", dp->nworkers);
	return 0;
}

static int dp_run(struct dp_opts *o, struct vsl_err **err)
{
	static struct vsl_dp dp;
	const char *av[96];
	int ac = eal_argv(o, av, 95), ret;
	sigset_t set;
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* EAL and vhost threads inherit this */
	if (rte_eal_init(ac, (char **)av) < 0)
		return vsl_err_make(err, rte_errno, "EAL init failed (hugepages reserved? try "
				    "scripts/hugepages reserve 256, or --no-huge)");
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	dp.ctl_path = o->ctl;
	dp.state_path = o->state;
	dp.mbufs = o->mbufs;
	ret = vsl_vhost_init(err);
	if (ret == 0)
		ret = dp_start_workers(&dp, err);
	if (ret == 0 && dp_state_restore(&dp, err) < 0) {
		vsl_log_err(steal_pointer(err)); /* start empty rather than not at all */
	}
	if (ret == 0)
		ret = dp_ctl_run(&dp, &g_stop, err);
	for (unsigned i = 0; i < dp.nworkers; i++)
		atomic_store(&dp.workers[i]->stop, true);
	rte_eal_mp_wait_lcore();
	dp_shutdown(&dp);
	rte_eal_cleanup();
	vsl_info("stopped");
	return ret;
}

int main(int argc, char **argv)
{
	struct dp_opts o = {
		.ctl = DP_DEFAULT_CTL, .state = DP_DEFAULT_STATE, .lcores = "0,1",
		.mbufs = 16383, .level = VSL_LOG_INFO, .fmt = VSL_LOG_TEXT,
	};
	cleanup_err struct vsl_err *err = NULL;
	int ret;

	if (argc > 1 && strcmp(argv[1], "ctl") == 0)
		return vsl_dp_cli_main(argc - 1, argv + 1);
	ret = parse_args(argc, argv, &o, &err);
	if (ret == 0)
		ret = vsl_log_init("vessel-dp", o.level, o.fmt, o.log_file, &err);
	if (ret == 0)
		ret = dp_run(&o, &err);
	json_decref(o.config);
	if (ret < 0) {
		vsl_log_err(steal_pointer(&err));
		return 1;
	}
	return 0;
}
