/* The verbs after create: start, kill, pause/resume go to the container's
 * shim; state and list read state.json; delete makes sure nothing of the
 * container remains (shim, QEMU, state directory). */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net_attach.h"
#include "placement.h"
#include "backend.h"
#include "shim_client.h"
#include "state.h"
#include "vessel/cleanup.h"
#include "vessel/log.h"
#include "vessel/runtime.h"

#define REQUEST_MS 30000

/* True if pid runs a program whose name contains `what` (guards against pid
 * reuse before we signal a pid read from state.json). */
static bool pid_runs(pid_t pid, const char *what)
{
	if (pid <= 0)
		return false;
	char path[64], buf[256];
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	struct vsl_state probe = { .pid = pid, .status = VSL_STATUS_RUNNING };
	return n > 0 && strstr(buf, what) != NULL && vsl_state_refresh(&probe);
}

static int wait_gone(pid_t pid, const char *what, int ms)
{
	for (int t = 0; t < ms; t += 10) {
		if (!pid_runs(pid, what))
			return 0;
		usleep(10000);
	}
	return -1;
}

static int load(const struct vsl_runtime *rt, const char *id, struct vsl_state **st,
		struct vsl_err **err)
{
	if (vsl_state_read(rt->root, id, st, err) < 0)
		return -1;
	vsl_state_refresh(*st);
	return 0;
}

int vsl_container_start(const struct vsl_runtime *rt, const char *id, struct vsl_err **err)
{
	cleanup_state struct vsl_state *st = NULL;
	if (load(rt, id, &st, err) < 0)
		return -1;
	if (st->status != VSL_STATUS_CREATED)
		return vsl_err_make(err, 0, "container `%s` is %s, not created: only a created "
				    "container can be started", id, vsl_status_name(st->status));
	return vsl_shim_request(rt->root, id, "start", REQUEST_MS, err);
}

int vsl_container_kill(const struct vsl_runtime *rt, const char *id, int signo, bool all,
		       struct vsl_err **err)
{
	cleanup_state struct vsl_state *st = NULL;
	if (load(rt, id, &st, err) < 0)
		return -1;
	/* runc: --all on a stopped container succeeds (nothing is left to signal) */
	if (all && st->status == VSL_STATUS_STOPPED)
		return 0;
	if (st->status == VSL_STATUS_STOPPED || st->status == VSL_STATUS_CREATING)
		return vsl_err_make(err, 0, "container `%s` is %s: nothing to signal", id,
				    vsl_status_name(st->status));
	char req[32];
	snprintf(req, sizeof(req), "kill %d %d", signo, all ? 1 : 0);
	return vsl_shim_request(rt->root, id, req, REQUEST_MS, err);
}

static int pause_resume(const struct vsl_runtime *rt, const char *id, const char *req,
			struct vsl_err **err)
{
	cleanup_state struct vsl_state *st = NULL;
	if (load(rt, id, &st, err) < 0)
		return -1;
	if (st->status == VSL_STATUS_STOPPED)
		return vsl_err_make(err, 0, "container `%s` is stopped: cannot %s it", id, req);
	return vsl_shim_request(rt->root, id, req, REQUEST_MS, err);
}

int vsl_container_pause(const struct vsl_runtime *rt, const char *id, struct vsl_err **err)
{
	return pause_resume(rt, id, "pause", err);
}

int vsl_container_resume(const struct vsl_runtime *rt, const char *id, struct vsl_err **err)
{
	return pause_resume(rt, id, "resume", err);
}

/* Gives back the container's dedicated cores and hugepages. A placement file
 * that cannot be updated does not keep the container alive: it is reported. */
static void release_placement(const struct vsl_runtime *rt, const char *id)
{
	cleanup_free char *dir = vsl_placement_dir(rt->lib_dir);
	cleanup_err struct vsl_err *e = NULL;
	if (vsl_placement_release(dir, id, &e) < 0)
		vsl_warn("%s (fix the file, then `vessel-numa --state-dir %s release --vnf %s`)",
			 e->msg, dir, id);
}

/* Removes the container's switch ports, found from the org.vessel.net.N
 * annotations recorded in its state. Reported, not fatal: the container goes
 * anyway, and a port left behind is named. */
static void detach_nics(const struct vsl_runtime *rt, const struct vsl_state *st)
{
	struct vsl_nic *nics = NULL;
	size_t n = 0;
	char root[PATH_MAX];
	cleanup_err struct vsl_err *e = NULL;
	if (st->annotations == NULL || vsl_nics_parse_json(st->annotations, st->id, &nics, &n, &e) < 0 ||
	    n == 0 || realpath(rt->root, root) == NULL) {
		if (e != NULL)
			vsl_warn("container `%s`: %s", st->id, e->msg);
		vsl_nics_free(nics, n);
		return;
	}
	const char *dp = json_string_value(json_object_get(st->annotations,
							   "org.vessel.dataplane.socket"));
	struct vsl_net_ctx c = {
		.id = st->id, .vhost_root = root, .dp_socket = dp ? dp : VSL_DP_SOCKET_DEFAULT,
		.ovs_db = json_string_value(json_object_get(st->annotations, "org.vessel.ovs.db")),
		.nics = nics, .n = n,
	};
	if (vsl_net_detach(&c, &e) < 0)
		vsl_warn("%s", e->msg);
	vsl_nics_free(nics, n);
}

/* A libvirt domain outlives its shim only if libvirtd missed the shim's
 * connection closing (autodestroy); destroy it by name and recorded UUID. */
static int destroy_domain(const struct vsl_state *st, struct vsl_err **err)
{
	json_t *hv = json_object_get(st->annotations, "org.vessel.hypervisor");
	if (!json_is_string(hv) || strcmp(json_string_value(hv), "libvirt") != 0)
		return 0;
	json_t *uuid = json_object_get(st->annotations, "org.vessel.libvirt.uuid");
	json_t *name = json_object_get(st->annotations, "org.vessel.libvirt.domain");
	if (!json_is_string(uuid) || !json_is_string(name))
		return 0; /* the domain was never created */
	if (vsl_libvirt_destroy(json_string_value(name), json_string_value(uuid), err) < 0)
		return vsl_err_wrap(err, "container `%s`: delete", st->id);
	return 0;
}

int vsl_container_delete(const struct vsl_runtime *rt, const char *id, bool force,
			 struct vsl_err **err)
{
	cleanup_state struct vsl_state *st = NULL;
	if (load(rt, id, &st, err) < 0) {
		/* a directory without a readable state.json (a crashed create) is
		 * removed by --force */
		if (!force || (*err)->code == ENOENT)
			return -1;
		vsl_err_freep(err);
		release_placement(rt, id);
		return vsl_state_remove_dir(rt->root, id, err);
	}
	if (!force && (st->status == VSL_STATUS_RUNNING || st->status == VSL_STATUS_PAUSED))
		return vsl_err_make(err, 0, "container `%s` is %s: stop it first (vessel-runtime "
				    "kill %s KILL) or use delete --force", id,
				    vsl_status_name(st->status), id);
	if (pid_runs(st->pid, "vessel-shim")) {
		vsl_shim_request(rt->root, id, "delete", 5000, NULL);
		if (wait_gone(st->pid, "vessel-shim", 10000) < 0) {
			kill(st->pid, SIGKILL);
			wait_gone(st->pid, "vessel-shim", 2000);
		}
	}
	if (destroy_domain(st, err) < 0)
		return -1;
	if (pid_runs(st->qemu_pid, "qemu")) {
		kill(st->qemu_pid, SIGKILL);
		wait_gone(st->qemu_pid, "qemu", 5000);
	}
	detach_nics(rt, st);
	release_placement(rt, id);
	return vsl_state_remove_dir(rt->root, id, err);
}

int vsl_container_state(const struct vsl_runtime *rt, const char *id, char **json,
			struct vsl_err **err)
{
	cleanup_state struct vsl_state *st = NULL;
	if (load(rt, id, &st, err) < 0)
		return -1;
	*json = vsl_state_oci_json(st);
	return 0;
}

int vsl_container_list(const struct vsl_runtime *rt, struct vsl_container_info **list,
		       size_t *n, struct vsl_err **err)
{
	char **ids = NULL;
	size_t count = 0;
	*list = NULL;
	*n = 0;
	if (vsl_state_list(rt->root, &ids, &count, err) < 0) {
		free(ids);
		return -1;
	}
	struct vsl_container_info *v = xzalloc((count + 1) * sizeof(*v));
	size_t k = 0;
	for (size_t i = 0; i < count; i++) {
		struct vsl_state *st = NULL;
		if (load(rt, ids[i], &st, NULL) == 0) {
			v[k].id = xstrdup(st->id);
			v[k].status = xstrdup(vsl_status_name(st->status));
			v[k].bundle = xstrdup(st->bundle ? st->bundle : "");
			v[k].created = xstrdup(st->created ? st->created : "");
			v[k].pid = st->status == VSL_STATUS_STOPPED ? 0 : st->pid;
			k++;
			vsl_state_free(st);
		}
		free(ids[i]);
	}
	free(ids);
	*list = v;
	*n = k;
	return 0;
}

void vsl_container_info_free(struct vsl_container_info *list, size_t n)
{
	if (list == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(list[i].id);
		free(list[i].status);
		free(list[i].bundle);
		free(list[i].created);
	}
	free(list);
}

int vsl_signal_parse(const char *s)
{
	static const struct { const char *name; int num; } sigs[] = {
		{ "HUP", SIGHUP },   { "INT", SIGINT },     { "QUIT", SIGQUIT }, { "ILL", SIGILL },
		{ "TRAP", SIGTRAP }, { "ABRT", SIGABRT },   { "BUS", SIGBUS },   { "FPE", SIGFPE },
		{ "KILL", SIGKILL }, { "USR1", SIGUSR1 },   { "SEGV", SIGSEGV }, { "USR2", SIGUSR2 },
		{ "PIPE", SIGPIPE }, { "ALRM", SIGALRM },   { "TERM", SIGTERM }, { "CHLD", SIGCHLD },
		{ "CONT", SIGCONT }, { "STOP", SIGSTOP },   { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN },
		{ "TTOU", SIGTTOU }, { "URG", SIGURG },     { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },
		{ "VTALRM", SIGVTALRM }, { "PROF", SIGPROF }, { "WINCH", SIGWINCH }, { "IO", SIGIO },
		{ "PWR", SIGPWR },   { "SYS", SIGSYS },
	};
	if (s == NULL || *s == '\0')
		return -1;
	if (s[0] >= '0' && s[0] <= '9') {
		char *end;
		long n = strtol(s, &end, 10);
		return *end == '\0' && n > 0 && n < 65 ? (int)n : -1;
	}
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (strcasecmp(s, sigs[i].name) == 0)
			return sigs[i].num;
	return -1;
}
