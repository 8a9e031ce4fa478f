/* ctl-client: a host-side debug and test client for the guest control
 * channel. It connects to the unix socket of a QEMU virtserialport chardev,
 * waits for vessel-init's Ready and prints how long it took; given a command
 * it sends Create and Start, relays stdio (stdin as stream 0, streams 1/2 to
 * stdout/stderr), forwards SIGTERM/SIGINT/SIGHUP/SIGUSR1/SIGUSR2/SIGQUIT as
 * Signal frames, and exits with the workload's status. It lets tests and
 * perf/boot drive vessel-init without the shim.
 *
 *   ctl-client [options] SOCKET [-- ARGS...]
 *
 * Lines on stderr a script can parse:
 *   READY kernel=<release> init=<version> guest_boot_ms=<n> host_ms=<n>
 *   STARTED proc=<id> pid=<n>, EXIT proc=<id> status=<n>   (with -v)
 * Exit status: the workload's; 0 after Ready alone; 1 on a guest Error
 * before start; 124 on timeout; 255 if the channel breaks.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl_frame.h"

#define MAX_LIST 64

struct opts {
	const char *sock;
	uint64_t t0_ns;
	int timeout_s;
	bool verbose, tty, readonly, no_stdin, shutdown, probe, signal_all;
	const char *exec_cmd;
	uint32_t resize_rows, resize_cols;
	const char *rootfs, *hostname, *cwd;
	uint32_t uid, gid;
	char *env[MAX_LIST];
	size_t n_env;
	char *mounts[MAX_LIST];
	size_t n_mounts;
	char *sysctls[MAX_LIST];
	size_t n_sysctls;
	char *netifs[MAX_LIST];
	size_t n_netifs;
	char **args;
	size_t n_args;
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ctl-client [options] SOCKET [-- ARGS...]\n"
		"  --t0 NS             start time in CLOCK_REALTIME ns (date +%%s%%N); READY host_ms counts from it\n"
		"  --timeout S         give up after S seconds (default 60)\n"
		"  --shutdown          after Ready (no ARGS): send Shutdown\n"
		"  --rootfs DEV        rootfs device in the guest (default /dev/vda)\n"
		"  --readonly          root.readonly: no writable overlay\n"
		"  --hostname H  --cwd DIR  --user UID[:GID]  --env K=V (repeat)  --tty\n"
		"  --mount DEST:TYPE[:OPT,OPT...] (repeat)   --sysctl K=V (repeat)\n"
		"  --netif MAC,NAME[,MTU[,CIDR[,GATEWAY]]] (repeat)\n"
		"  --no-stdin          do not forward stdin   -v  verbose\n"
		"  --exec CMD          once started, also run `sh -c CMD` as proc 1 (Exec); its stdio is relayed\n"
		"  --resize RxC        with --tty: send Resize{rows R, cols C} right after Started\n"
		"  --signal-all        forwarded signals go to every process in the guest (Signal.all)\n"
		"  --probe-bad-frames  after Ready: send an undecodable frame, an empty frame, Start\n"
		"                      before Create and Ping 42; print each reply (ERROR/PONG lines)\n");
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "t0", required_argument, NULL, 'T' },      { "timeout", required_argument, NULL, 't' },
		{ "shutdown", no_argument, NULL, 'S' },      { "rootfs", required_argument, NULL, 'r' },
		{ "readonly", no_argument, NULL, 'R' },      { "hostname", required_argument, NULL, 'h' },
		{ "cwd", required_argument, NULL, 'c' },     { "user", required_argument, NULL, 'u' },
		{ "env", required_argument, NULL, 'e' },     { "tty", no_argument, NULL, 'y' },
		{ "mount", required_argument, NULL, 'm' },   { "sysctl", required_argument, NULL, 's' },
		{ "netif", required_argument, NULL, 'n' },   { "no-stdin", no_argument, NULL, 'I' },
		{ "probe-bad-frames", no_argument, NULL, 'P' },
		{ "exec", required_argument, NULL, 'X' },    { "resize", required_argument, NULL, 'Z' },    { "signal-all", no_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'H' },          { NULL, 0, NULL, 0 },
	};
	int c;
	o->timeout_s = 60;
	o->rootfs = "/dev/vda";
	while ((c = getopt_long(argc, argv, "v", lo, NULL)) != -1) {
		switch (c) {
		case 'T': o->t0_ns = strtoull(optarg, NULL, 10); break;
		case 't': o->timeout_s = atoi(optarg); break;
		case 'S': o->shutdown = true; break;
		case 'r': o->rootfs = optarg; break;
		case 'R': o->readonly = true; break;
		case 'h': o->hostname = optarg; break;
		case 'c': o->cwd = optarg; break;
		case 'u':
			o->uid = (uint32_t)strtoul(optarg, NULL, 10);
			o->gid = strchr(optarg, ':') ? (uint32_t)strtoul(strchr(optarg, ':') + 1, NULL, 10) : o->uid;
			break;
		case 'e': if (o->n_env < MAX_LIST) o->env[o->n_env++] = optarg; break;
		case 'y': o->tty = true; break;
		case 'm': if (o->n_mounts < MAX_LIST) o->mounts[o->n_mounts++] = optarg; break;
		case 's': if (o->n_sysctls < MAX_LIST) o->sysctls[o->n_sysctls++] = optarg; break;
		case 'n': if (o->n_netifs < MAX_LIST) o->netifs[o->n_netifs++] = optarg; break;
		case 'I': o->no_stdin = true; break;
		case 'v': o->verbose = true; break;
		case 'P': o->probe = true; break;
		case 'X': o->exec_cmd = optarg; break;
		case 'Z':
			if (sscanf(optarg, "%ux%u", &o->resize_rows, &o->resize_cols) != 2) {
				fprintf(stderr, "ctl-client: --resize wants ROWSxCOLS, got `%s`\n", optarg);
				return -1;
			}
			break;
		case 'A': o->signal_all = true; break;
		case 'H': usage(stdout); return 1;
		default: usage(stderr); return -1;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return -1;
	}
	o->sock = argv[optind++];
	if (optind < argc && strcmp(argv[optind], "--") == 0)
		optind++;
	o->args = argv + optind;
	o->n_args = (size_t)(argc - optind);
	return 0;
}

static int connect_retry(const char *path, uint64_t deadline)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "ctl-client: socket path `%s` is too long\n", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	for (;;) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -1;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		int e = errno;
		close(fd);
		if (now_ns() > deadline) {
			fprintf(stderr, "ctl-client: connect `%s`: %s\n", path, strerror(e));
			return -1;
		}
		usleep(5000);
	}
}

static Vessel__Ctl__Mount *make_mount(char *spec)
{
	Vessel__Ctl__Mount *m = calloc(1, sizeof(*m));
	vessel__ctl__mount__init(m);
	char *save = NULL;
	m->destination = strtok_r(spec, ":", &save);
	m->type = strtok_r(NULL, ":", &save);
	char *opts = strtok_r(NULL, ":", &save);
	m->source = m->type;
	m->options = calloc(32, sizeof(char *));
	for (char *t = opts ? strtok_r(opts, ",", &save) : NULL; t && m->n_options < 32;
	     t = strtok_r(NULL, ",", &save))
		m->options[m->n_options++] = t;
	return m;
}

static Vessel__Ctl__NetIf *make_netif(char *spec)
{
	Vessel__Ctl__NetIf *n = calloc(1, sizeof(*n));
	vessel__ctl__net_if__init(n);
	char *f[5] = { 0 };
	char *save = NULL;
	for (int i = 0; i < 5; i++)
		f[i] = strtok_r(i ? NULL : spec, ",", &save);
	n->mac = f[0];
	n->name = f[1];
	n->mtu = f[2] ? (uint32_t)atoi(f[2]) : 0;
	if (f[3]) {
		n->addresses = calloc(1, sizeof(char *));
		n->addresses[n->n_addresses++] = f[3];
	}
	if (f[4]) {
		Vessel__Ctl__Route *r = calloc(1, sizeof(*r));
		vessel__ctl__route__init(r);
		r->destination = (char *)"default";
		r->gateway = f[4];
		n->routes = calloc(1, sizeof(*n->routes));
		n->routes[n->n_routes++] = r;
	}
	return n;
}

static int send_create(int fd, struct opts *o)
{
	Vessel__Ctl__Frame f = VESSEL__CTL__FRAME__INIT;
	Vessel__Ctl__Create c = VESSEL__CTL__CREATE__INIT;
	Vessel__Ctl__Process p = VESSEL__CTL__PROCESS__INIT;
	Vessel__Ctl__EnvVar ev[MAX_LIST], *evp[MAX_LIST];
	Vessel__Ctl__Mount *mp[MAX_LIST];
	Vessel__Ctl__NetIf *np[MAX_LIST];

	for (size_t i = 0; i < o->n_env; i++) {
		vessel__ctl__env_var__init(&ev[i]);
		char *eq = strchr(o->env[i], '=');
		if (eq)
			*eq = '\0';
		ev[i].name = o->env[i];
		ev[i].value = eq ? eq + 1 : (char *)"";
		evp[i] = &ev[i];
	}
	for (size_t i = 0; i < o->n_mounts; i++)
		mp[i] = make_mount(o->mounts[i]);
	for (size_t i = 0; i < o->n_netifs; i++)
		np[i] = make_netif(o->netifs[i]);
	p.args = o->args;
	p.n_args = o->n_args;
	p.env = evp;
	p.n_env = o->n_env;
	p.cwd = (char *)(o->cwd ? o->cwd : "/");
	p.uid = o->uid;
	p.gid = o->gid;
	p.terminal = o->tty;
	c.container_id = (char *)"ctl-client";
	c.hostname = (char *)(o->hostname ? o->hostname : "");
	c.rootfs_device = (char *)o->rootfs;
	c.rootfs_readonly = o->readonly;
	c.mounts = mp;
	c.n_mounts = o->n_mounts;
	c.interfaces = np;
	c.n_interfaces = o->n_netifs;
	c.sysctls = o->sysctls;
	c.n_sysctls = o->n_sysctls;
	c.process = &p;
	f.msg_case = VESSEL__CTL__FRAME__MSG_CREATE;
	f.create = &c;
	return vsl_ctl_send(fd, &f);
}

static bool g_signal_all;

static int send_simple(int fd, Vessel__Ctl__Frame__MsgCase which, int signo)
{
	Vessel__Ctl__Frame f = VESSEL__CTL__FRAME__INIT;
	Vessel__Ctl__Start st = VESSEL__CTL__START__INIT;
	Vessel__Ctl__Shutdown sd = VESSEL__CTL__SHUTDOWN__INIT;
	Vessel__Ctl__Signal sg = VESSEL__CTL__SIGNAL__INIT;
	f.msg_case = which;
	if (which == VESSEL__CTL__FRAME__MSG_START)
		f.start = &st;
	else if (which == VESSEL__CTL__FRAME__MSG_SHUTDOWN)
		f.shutdown = &sd;
	else {
		sg.signo = signo;
		sg.all = g_signal_all;
		f.signal = &sg;
	}
	return vsl_ctl_send(fd, &f);
}

static int send_exec(int fd, const char *cmd)
{
	Vessel__Ctl__Frame f = VESSEL__CTL__FRAME__INIT;
	Vessel__Ctl__Exec x = VESSEL__CTL__EXEC__INIT;
	Vessel__Ctl__Process p = VESSEL__CTL__PROCESS__INIT;
	char *args[] = { (char *)"sh", (char *)"-c", (char *)cmd };
	p.args = args;
	p.n_args = 3;
	p.cwd = (char *)"/";
	x.proc_id = 1;
	x.process = &p;
	f.msg_case = VESSEL__CTL__FRAME__MSG_EXEC;
	f.exec = &x;
	return vsl_ctl_send(fd, &f);
}

static int send_resize(int fd, uint32_t rows, uint32_t cols)
{
	Vessel__Ctl__Frame f = VESSEL__CTL__FRAME__INIT;
	Vessel__Ctl__Resize rz = VESSEL__CTL__RESIZE__INIT;
	rz.rows = rows;
	rz.cols = cols;
	f.msg_case = VESSEL__CTL__FRAME__MSG_RESIZE;
	f.resize = &rz;
	return vsl_ctl_send(fd, &f);
}

static int send_stdin(int fd, const void *data, size_t n, bool eof)
{
	Vessel__Ctl__Frame f = VESSEL__CTL__FRAME__INIT;
	Vessel__Ctl__Stdio io = VESSEL__CTL__STDIO__INIT;
	io.stream = 0;
	io.data.data = (uint8_t *)data;
	io.data.len = n;
	io.eof = eof;
	f.msg_case = VESSEL__CTL__FRAME__MSG_STDIO;
	f.stdio = &io;
	return vsl_ctl_send(fd, &f);
}

/* Sends Shutdown and waits (up to 10 s) for the guest to end, which closes
 * the socket: closing first would let QEMU drop the unread frame. */
static void shutdown_and_wait(int fd)
{
	char buf[4096];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	send_simple(fd, VESSEL__CTL__FRAME__MSG_SHUTDOWN, 0);
	uint64_t end = now_ns() + 10000000000ull;
	while (now_ns() < end && poll(&p, 1, 100) >= 0) {
		if (p.revents && read(fd, buf, sizeof(buf)) <= 0)
			return;
	}
}

/* Robustness probe: init must answer each bad frame with Error and keep
 * serving (the Ping after them must still get its Pong). */
static int probe_bad_frames(int fd)
{
	static const uint8_t garbage[] = { 0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t empty[] = { 0, 0, 0, 0 };
	Vessel__Ctl__Frame f = VESSEL__CTL__FRAME__INIT;
	Vessel__Ctl__Ping ping = VESSEL__CTL__PING__INIT;
	struct vsl_ctl_reader rd;
	Vessel__Ctl__Frame *in;
	int r;

	if (write(fd, garbage, sizeof(garbage)) < 0 || write(fd, empty, sizeof(empty)) < 0)
		return 255;
	send_simple(fd, VESSEL__CTL__FRAME__MSG_START, 0);
	ping.nonce = 42;
	f.msg_case = VESSEL__CTL__FRAME__MSG_PING;
	f.ping = &ping;
	vsl_ctl_send(fd, &f);
	vsl_ctl_reader_init(&rd);
	while ((r = vsl_ctl_recv(fd, &rd, &in)) == 1) {
		bool pong = in->msg_case == VESSEL__CTL__FRAME__MSG_PONG;
		if (pong)
			printf("PONG %llu\n", (unsigned long long)in->pong->nonce);
		else if (in->msg_case == VESSEL__CTL__FRAME__MSG_ERROR)
			printf("ERROR %s\n", in->error->message);
		else
			printf("OTHER %d\n", (int)in->msg_case);
		vessel__ctl__frame__free_unpacked(in, NULL);
		if (pong)
			break;
	}
	fflush(stdout);
	vsl_ctl_reader_free(&rd);
	shutdown_and_wait(fd);
	return r == 1 ? 0 : 255;
}

enum phase { WAIT_READY, WAIT_CREATED, RUNNING };

struct client {
	struct opts *o;
	int fd;
	enum phase ph;
	bool started, stdin_open;
	int pending_sig;
};

static void write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/* Returns -1 to continue, else the exit status. */
static int on_frame(struct client *c, const Vessel__Ctl__Frame *f)
{
	switch (f->msg_case) {
	case VESSEL__CTL__FRAME__MSG_READY: {
		uint64_t t = now_ns();
		fprintf(stderr, "READY kernel=%s init=%s guest_boot_ms=%.1f host_ms=%.1f\n",
			f->ready->kernel_release, f->ready->init_version, f->ready->boot_ns / 1e6,
			c->o->t0_ns ? (double)(t - c->o->t0_ns) / 1e6 : 0.0);
		if (c->o->probe)
			return probe_bad_frames(c->fd);
		if (c->o->n_args == 0) {
			if (c->o->shutdown)
				shutdown_and_wait(c->fd);
			return 0;
		}
		send_create(c->fd, c->o);
		c->ph = WAIT_CREATED;
		return -1;
	}
	case VESSEL__CTL__FRAME__MSG_CREATED:
		if (c->o->verbose)
			fprintf(stderr, "CREATED\n");
		send_simple(c->fd, VESSEL__CTL__FRAME__MSG_START, 0);
		c->ph = RUNNING;
		return -1;
	case VESSEL__CTL__FRAME__MSG_STARTED:
		if (c->o->verbose)
			fprintf(stderr, "STARTED proc=%u pid=%d\n", f->started->proc_id, f->started->pid);
		if (f->started->proc_id != 0)
			return -1;
		c->started = true;
		if (c->o->exec_cmd)
			send_exec(c->fd, c->o->exec_cmd);
		if (c->o->resize_rows)
			send_resize(c->fd, c->o->resize_rows, c->o->resize_cols);
		c->stdin_open = !c->o->no_stdin;
		if (c->o->no_stdin)
			send_stdin(c->fd, NULL, 0, true);
		if (c->pending_sig)
			send_simple(c->fd, VESSEL__CTL__FRAME__MSG_SIGNAL, c->pending_sig);
		return -1;
	case VESSEL__CTL__FRAME__MSG_STDIO:
		write_all(f->stdio->stream == 2 ? 2 : 1, f->stdio->data.data, f->stdio->data.len);
		return -1;
	case VESSEL__CTL__FRAME__MSG_ERROR:
		fprintf(stderr, "ctl-client: guest error: %s\n", f->error->message);
		if (c->ph == WAIT_CREATED) {
			shutdown_and_wait(c->fd);
			return 1;
		}
		return -1;
	case VESSEL__CTL__FRAME__MSG_EXIT:
		if (c->o->verbose)
			fprintf(stderr, "EXIT proc=%u status=%d\n", f->exit->proc_id, f->exit->status);
		return f->exit->proc_id == 0 ? f->exit->status : -1;
	default:
		fprintf(stderr, "ctl-client: unexpected frame %d\n", (int)f->msg_case);
		return -1;
	}
}

static int run(struct client *c, uint64_t deadline)
{
	struct vsl_ctl_reader rd;
	sigset_t mask;
	int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGQUIT };
	sigemptyset(&mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&mask, sigs[i]);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	vsl_ctl_reader_init(&rd);
	for (;;) {
		struct pollfd p[3] = {
			{ .fd = c->fd, .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
			{ .fd = c->stdin_open ? 0 : -1, .events = POLLIN },
		};
		uint64_t now = now_ns();
		if (now > deadline) {
			fprintf(stderr, "ctl-client: timeout after %d s\n", c->o->timeout_s);
			return 124;
		}
		int r = poll(p, 3, (int)((deadline - now) / 1000000) + 1);
		if (r < 0 && errno != EINTR)
			return 255;
		if (r <= 0)
			continue;
		if (p[1].revents) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				if (c->started)
					send_simple(c->fd, VESSEL__CTL__FRAME__MSG_SIGNAL, (int)si.ssi_signo);
				else
					c->pending_sig = (int)si.ssi_signo;
			}
		}
		if (p[2].revents) {
			uint8_t buf[16384];
			ssize_t n = read(0, buf, sizeof(buf));
			if (n > 0)
				send_stdin(c->fd, buf, (size_t)n, false);
			else {
				send_stdin(c->fd, NULL, 0, true);
				c->stdin_open = false;
			}
		}
		if (!p[0].revents)
			continue;
		ssize_t n = vsl_ctl_reader_fill(&rd, c->fd);
		if (n == 0) {
			fprintf(stderr, "ctl-client: the guest closed the control channel\n");
			return 255;
		}
		Vessel__Ctl__Frame *f;
		int k;
		while ((k = vsl_ctl_next(&rd, &f)) == 1) {
			int st = on_frame(c, f);
			vessel__ctl__frame__free_unpacked(f, NULL);
			if (st >= 0)
				return st;
		}
		if (k < 0) {
			fprintf(stderr, "ctl-client: bad frame from the guest: %s\n", strerror(-k));
			return 255;
		}
	}
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	int r = parse_opts(argc, argv, &o);
	if (r != 0)
		return r < 0 ? 2 : 0;
	signal(SIGPIPE, SIG_IGN);
	uint64_t deadline = now_ns() + (uint64_t)o.timeout_s * 1000000000ull;
	struct client c = { .o = &o, .ph = WAIT_READY };
	g_signal_all = o.signal_all;
	c.fd = connect_retry(o.sock, deadline);
	if (c.fd < 0)
		return 255;
	return run(&c, deadline);
}
