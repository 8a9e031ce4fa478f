/* VNF lifecycle: a VNF spec becomes an OCI bundle (config.json with the
 * annotations of docs/annotations.md) and vesseld drives the vessel-runtime
 * CLI (its stable contract) with a private --root. The workload's stdout and
 * stderr are the fds `vessel-runtime create` inherits, so they go to the
 * VNF's log file. Callers hold op_lock; rows are updated under db_lock. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "vessel/cleanup.h"
#include "vessel/log.h"

char *vsl_vnf_log_path(struct vsl_agent *a, const char *id)
{
	return xasprintf("%s/logs/%s.log", a->cfg.state_dir, id);
}

static char *read_fd_all(int fd)
{
	size_t cap = 4096, len = 0;
	char *buf = xmalloc(cap);
	ssize_t r;
	while ((r = read(fd, buf + len, cap - len - 1)) > 0 || (r < 0 && errno == EINTR)) {
		if (r < 0)
			continue;
		len += (size_t)r;
		if (cap - len < 2)
			buf = xrealloc(buf, cap *= 2);
	}
	buf[len] = '\0';
	return buf;
}

int vsl_rt_run(struct vsl_agent *a, const char *const *args, char **out, const char *log_path,
	       struct vsl_err **err)
{
	const char *argv[32];
	int n = 0, pfd[2] = { -1, -1 }, efd[2] = { -1, -1 };
	argv[n++] = a->cfg.runtime_bin;
	argv[n++] = "--root";
	argv[n++] = a->cfg.runtime_root;
	if (a->cfg.accel) {
		argv[n++] = "--accel";
		argv[n++] = a->cfg.accel;
	}
	for (int i = 0; args[i] && n < 30; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	cleanup_close int logfd = -1;
	off_t log_start = 0;
	if (log_path) {
		logfd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
		if (logfd < 0)
			return vsl_err_make(err, errno, "open log `%s`", log_path);
		log_start = lseek(logfd, 0, SEEK_END);
	}
	if (pipe2(efd, O_CLOEXEC) < 0 || (!log_path && pipe2(pfd, O_CLOEXEC) < 0))
		return vsl_err_make(err, errno, "pipe");
	pid_t pid = fork();
	if (pid < 0)
		return vsl_err_make(err, errno, "fork");
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);
		dup2(nul, 0);
		dup2(log_path ? logfd : pfd[1], 1);
		/* With a log (create), errors also go there, and the shim
		 * inherits it as the workload's stderr. */
		dup2(log_path ? logfd : efd[1], 2);
		execv(argv[0], (char *const *)argv);
		dprintf(2, "exec `%s`: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(efd[1]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	char *o = pfd[0] >= 0 ? read_fd_all(pfd[0]) : NULL;
	cleanup_free char *e = log_path ? NULL : read_fd_all(efd[0]);
	if (pfd[0] >= 0)
		close(pfd[0]);
	close(efd[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (rc != 0) {
		cleanup_free char *tail = NULL;
		if (log_path) { /* last runtime line in the log */
			cleanup_fclose FILE *f = fopen(log_path, "r");
			char line[1024];
			if (f)
				fseeko(f, log_start, SEEK_SET);
			while (f && fgets(line, sizeof(line), f))
				if (strstr(line, "vessel-runtime") || strstr(line, "error")) {
					free(tail);
					tail = xstrdup(line);
				}
		}
		const char *m = e && *e ? e : tail ? tail : "";
		size_t ml = strlen(m);
		while (ml && m[ml - 1] == '\n')
			ml--;
		free(o);
		return vsl_err_make(err, 0, "vessel-runtime %s failed (exit %d): %.*s", args[0], rc,
				    (int)ml, m);
	}
	if (out)
		*out = o;
	else
		free(o);
	return 0;
}

static bool shim_alive(int pid)
{
	char path[64], buf[256] = "";
	if (pid <= 0 || (kill(pid, 0) < 0 && errno == ESRCH))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* zombie or pid reused by something else */
	return n > 0 && strstr(buf, "vessel-shim") != NULL;
}

void vsl_rt_state(struct vsl_agent *a, const char *id, struct vsl_rt_state *st)
{
	cleanup_free char *path = xasprintf("%s/%s/state.json", a->cfg.runtime_root, id);
	memset(st, 0, sizeof(*st));
	json_t *j = json_load_file(path, 0, NULL);
	if (!j)
		return;
	const char *s = json_string_value(json_object_get(j, "status"));
	snprintf(st->status, sizeof(st->status), "%s", s ? s : "stopped");
	st->pid = (int)json_integer_value(json_object_get(j, "pid"));
	st->qemu_pid = (int)json_integer_value(json_object_get(j, "qemuPid"));
	json_t *ex = json_object_get(j, "exitStatus");
	if (json_is_integer(ex)) {
		st->exited = true;
		st->exit_status = (int)json_integer_value(ex);
	}
	if (strcmp(st->status, "stopped") != 0 && !shim_alive(st->pid)) {
		snprintf(st->status, sizeof(st->status), "stopped");
		st->qemu_pid = 0;
	}
	if (strcmp(st->status, "stopped") == 0)
		st->qemu_pid = 0;
	json_decref(j);
}

void vsl_vnf_set_status(struct vsl_agent *a, const char *id, const char *status, const char *error)
{
	cleanup_free char *now = vsl_now_rfc3339();
	pthread_mutex_lock(&a->db_lock);
	vsl_db_exec(a, NULL, "UPDATE vnfs SET status = ?, error = ?, updated_at = ? WHERE id = ?", 4,
		    status, error, now, id);
	pthread_mutex_unlock(&a->db_lock);
}

static json_t *vnf_row(struct vsl_agent *a, const char *id, struct vsl_err **err)
{
	pthread_mutex_lock(&a->db_lock);
	json_t *rows = vsl_db_query(a, err, "SELECT v.*, i.config AS image_config FROM vnfs v "
				    "JOIN images i ON i.digest = v.image WHERE v.id = ?", 1, id);
	pthread_mutex_unlock(&a->db_lock);
	if (!rows)
		return NULL;
	json_t *r = json_incref(json_array_get(rows, 0));
	json_decref(rows);
	if (!r)
		vsl_err_make(err, ENOENT, "vnf `%s`", id);
	return r;
}

static void add_mount(json_t *m, const char *dst, const char *type, const char *opts)
{
	json_t *o = json_pack("{s:s, s:s, s:s}", "destination", dst, "type", type, "source", type);
	if (opts) {
		json_t *arr = json_array();
		char *dup = xstrdup(opts), *save = NULL;
		for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save))
			json_array_append_new(arr, json_string(t));
		free(dup);
		json_object_set_new(o, "options", arr);
	}
	json_array_append_new(m, o);
}

/* The OCI config for a VNF: process from the spec (else the image's
 * Entrypoint+Cmd), env = image env + spec env, annotations per
 * docs/annotations.md. */
static json_t *bundle_config(struct vsl_agent *a, const char *id, json_t *spec, json_t *icfg,
			     const char *rootfs, struct vsl_err **err)
{
	json_t *args = json_array(), *env = json_array(), *ann = json_object(), *v;
	size_t i;
	const char *k;
	json_t *sargs = json_object_get(spec, "args");
	if (json_array_size(sargs)) {
		json_array_extend(args, sargs);
	} else {
		json_array_extend(args, json_object_get(icfg, "entrypoint"));
		json_array_extend(args, json_object_get(icfg, "cmd"));
	}
	if (json_array_size(args) == 0) {
		json_decref(args), json_decref(env), json_decref(ann);
		vsl_err_make(err, 0, "vnf `%s`: the image has no Entrypoint or Cmd: give `args`", id);
		return NULL;
	}
	bool have_path = false;
	json_array_foreach(json_object_get(icfg, "env"), i, v) {
		const char *s = json_string_value(v);
		if (!s)
			continue;
		const char *eq = strchr(s, '=');
		if (eq) {
			char key[256];
			snprintf(key, sizeof(key), "%.*s", (int)(eq - s), s);
			if (json_object_get(json_object_get(spec, "env"), key))
				continue;
			have_path |= strcmp(key, "PATH") == 0;
		}
		json_array_append(env, v);
	}
	json_object_foreach(json_object_get(spec, "env"), k, v) {
		json_array_append_new(env, json_sprintf("%s=%s", k, json_string_value(v)));
		have_path |= strcmp(k, "PATH") == 0;
	}
	if (!have_path)
		json_array_append_new(env, json_string("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:"
						       "/usr/bin:/sbin:/bin"));
	json_object_set_new(ann, "org.vessel.vcpus",
			    json_sprintf("%lld", json_integer_value(json_object_get(spec, "vcpus"))));
	json_object_set_new(ann, "org.vessel.memory_mb",
			    json_sprintf("%lld", json_integer_value(json_object_get(spec, "memory_mb"))));
	json_object_set_new(ann, "org.vessel.cpu_policy", json_copy(json_object_get(spec, "cpu_policy")));
	json_t *nn = json_object_get(spec, "numa_node");
	json_object_set_new(ann, "org.vessel.numa_node",
			    json_is_integer(nn) ? json_sprintf("%lld", json_integer_value(nn)) : json_string("auto"));
	json_object_set_new(ann, "org.vessel.hugepage_size", json_copy(json_object_get(spec, "hugepage_size")));
	json_object_set_new(ann, "org.vessel.vnf.name", json_copy(json_object_get(spec, "name")));
	if (json_is_string(json_object_get(spec, "hypervisor")))
		json_object_set_new(ann, "org.vessel.hypervisor",
				    json_copy(json_object_get(spec, "hypervisor")));
	json_array_foreach(json_object_get(spec, "nics"), i, v) {
		json_t *net = json_pack("{s:s, s:O, s:s#}", "backend", "vessel-dp", "bridge",
					json_object_get(v, "network"), "ifname", "eth", 3);
		json_object_set_new(net, "ifname", json_sprintf("eth%zu", i));
		if (json_object_get(v, "vlan"))
			json_object_set(net, "vlan", json_object_get(v, "vlan"));
		if (json_object_get(v, "mac"))
			json_object_set(net, "mac", json_object_get(v, "mac"));
		if (json_object_get(v, "ip"))
			json_object_set_new(net, "addresses", json_pack("[O]", json_object_get(v, "ip")));
		if (json_array_size(json_object_get(v, "routes")))
			json_object_set(net, "routes", json_object_get(v, "routes"));
		char key[48];
		snprintf(key, sizeof(key), "org.vessel.net.%zu", i);
		char *nd = json_dumps(net, JSON_COMPACT);
		json_object_set_new(ann, key, json_string(nd));
		free(nd);
		json_decref(net);
	}
	if (a->cfg.dp_socket) /* the runtime adds the NICs' ports there (docs/annotations.md) */
		json_object_set_new(ann, "org.vessel.dataplane.socket", json_string(a->cfg.dp_socket));
	json_t *mounts = json_array();
	add_mount(mounts, "/proc", "proc", NULL);
	add_mount(mounts, "/dev", "tmpfs", "nosuid,strictatime,mode=755,size=65536k");
	add_mount(mounts, "/dev/pts", "devpts", "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620");
	add_mount(mounts, "/dev/shm", "tmpfs", "nosuid,noexec,nodev,mode=1777,size=65536k");
	add_mount(mounts, "/sys", "sysfs", "nosuid,noexec,nodev,ro");
	const char *cwd = json_string_value(json_object_get(icfg, "cwd"));
	return json_pack("{s:s, s:{s:b, s:{s:i, s:i}, s:o, s:o, s:s, s:b}, s:{s:s, s:b}, s:s, s:o, "
			 "s:{s:[{s:s},{s:s},{s:s},{s:s},{s:s}]}, s:o}",
			 "ociVersion", "1.0.2", "process", "terminal", 0, "user", "uid", 0, "gid", 0,
			 "args", args, "env", env, "cwd", cwd && *cwd ? cwd : "/", "noNewPrivileges", 1,
			 "root", "path", rootfs, "readonly", 0, "hostname",
			 json_string_value(json_object_get(spec, "name")), "mounts", mounts, "linux",
			 "namespaces", "type", "pid", "type", "network", "type", "ipc", "type", "uts",
			 "type", "mount", "annotations", ann);
}

static int write_bundle(struct vsl_agent *a, const char *id, json_t *row, char **bundle_out,
			struct vsl_err **err)
{
	json_t *spec = json_loads(json_string_value(json_object_get(row, "spec")), 0, NULL);
	json_t *icfg = json_loads(json_string_value(json_object_get(row, "image_config")), 0, NULL);
	const char *digest = json_string_value(json_object_get(row, "image"));
	cleanup_free char *rootfs = xasprintf("%s/images/%s/rootfs", a->cfg.state_dir,
					      digest + strlen("sha256:"));
	cleanup_free char *dir = xasprintf("%s/bundles/%s", a->cfg.state_dir, id);
	cleanup_free char *cfgp = xasprintf("%s/config.json", dir);
	int r = -1;
	json_t *cfg = spec && icfg ? bundle_config(a, id, spec, icfg, rootfs, err) : NULL;
	if (!cfg) {
		if (!spec || !icfg)
			vsl_err_make(err, 0, "vnf `%s`: stored spec or image config is corrupt", id);
		goto out;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		vsl_err_make(err, errno, "mkdir `%s`", dir);
		goto out;
	}
	if (json_dump_file(cfg, cfgp, JSON_INDENT(1)) < 0) {
		vsl_err_make(err, errno, "write `%s`", cfgp);
		goto out;
	}
	*bundle_out = steal_pointer(&dir);
	r = 0;
out:
	json_decref(spec), json_decref(icfg), json_decref(cfg);
	return r;
}

int vsl_vnf_do_create(struct vsl_agent *a, const char *id, struct vsl_err **err)
{
	json_t *row = vnf_row(a, id, err);
	cleanup_free char *bundle = NULL;
	cleanup_free char *log = vsl_vnf_log_path(a, id);
	struct vsl_rt_state st;
	if (!row)
		return -1;
	int r = write_bundle(a, id, row, &bundle, err);
	json_decref(row);
	if (r < 0)
		return -1;
	vsl_rt_state(a, id, &st);
	if (st.status[0]) { /* a leftover container of the same id */
		const char *del[] = { "delete", "--force", id, NULL };
		vsl_rt_run(a, del, NULL, NULL, NULL);
	}
	const char *args[] = { "create", "--bundle", bundle, id, NULL };
	if (vsl_rt_run(a, args, NULL, log, err) < 0)
		return -1;
	vsl_rt_state(a, id, &st);
	char pid[16];
	snprintf(pid, sizeof(pid), "%d", st.pid);
	pthread_mutex_lock(&a->db_lock);
	vsl_db_exec(a, NULL, "UPDATE vnfs SET status = 'created', shim_pid = ?, error = NULL, "
		    "exit_status = NULL WHERE id = ?", 2, pid, id);
	pthread_mutex_unlock(&a->db_lock);
	return 0;
}

int vsl_vnf_do_start(struct vsl_agent *a, const char *id, struct vsl_err **err)
{
	struct vsl_rt_state st;
	vsl_rt_state(a, id, &st);
	if (strcmp(st.status, "running") == 0)
		goto running;
	if (strcmp(st.status, "paused") == 0)
		return vsl_vnf_do_pause(a, id, false, err);
	if (strcmp(st.status, "created") != 0) { /* stopped or gone: a fresh VM */
		if (vsl_vnf_do_create(a, id, err) < 0)
			return -1;
	}
	const char *args[] = { "start", id, NULL };
	if (vsl_rt_run(a, args, NULL, NULL, err) < 0)
		return -1;
running:;
	cleanup_free char *now = vsl_now_rfc3339();
	vsl_rt_state(a, id, &st);
	char pid[16];
	snprintf(pid, sizeof(pid), "%d", st.pid);
	pthread_mutex_lock(&a->db_lock);
	vsl_db_exec(a, NULL, "UPDATE vnfs SET status = 'running', desired = 'running', error = NULL, "
		    "shim_pid = ?, started_at = ?, updated_at = ? WHERE id = ?", 4, pid, now, now, id);
	pthread_mutex_unlock(&a->db_lock);
	return 0;
}

static bool wait_stopped(struct vsl_agent *a, const char *id, double seconds)
{
	struct vsl_rt_state st;
	for (double t = 0; t <= seconds; t += 0.05) {
		vsl_rt_state(a, id, &st);
		if (!st.status[0] || strcmp(st.status, "stopped") == 0)
			return true;
		nanosleep(&(struct timespec){ 0, 50 * 1000 * 1000 }, NULL);
	}
	return false;
}

static void record_exit(struct vsl_agent *a, const char *id, const char *status)
{
	struct vsl_rt_state st;
	char ex[16];
	vsl_rt_state(a, id, &st);
	snprintf(ex, sizeof(ex), "%d", st.exit_status);
	cleanup_free char *now = vsl_now_rfc3339();
	pthread_mutex_lock(&a->db_lock);
	vsl_db_exec(a, NULL, "UPDATE vnfs SET status = ?, exit_status = ?, shim_pid = NULL, "
		    "updated_at = ? WHERE id = ?", 4, status, st.exited ? ex : NULL, now, id);
	pthread_mutex_unlock(&a->db_lock);
}

int vsl_vnf_do_stop(struct vsl_agent *a, const char *id, int grace, struct vsl_err **err)
{
	struct vsl_rt_state st;
	pthread_mutex_lock(&a->db_lock);
	vsl_db_exec(a, NULL, "UPDATE vnfs SET desired = 'stopped', next_restart = NULL WHERE id = ?", 1, id);
	pthread_mutex_unlock(&a->db_lock);
	vsl_rt_state(a, id, &st);
	if (strcmp(st.status, "paused") == 0) {
		const char *res[] = { "resume", id, NULL };
		vsl_rt_run(a, res, NULL, NULL, NULL);
	}
	if (strcmp(st.status, "running") == 0 || strcmp(st.status, "paused") == 0) {
		const char *term[] = { "kill", id, "TERM", NULL };
		if (vsl_rt_run(a, term, NULL, NULL, err) < 0 && !wait_stopped(a, id, 0))
			return -1;
		vsl_err_freep(err);
		if (!wait_stopped(a, id, grace)) {
			const char *kill9[] = { "kill", id, "KILL", NULL };
			vsl_rt_run(a, kill9, NULL, NULL, NULL);
			if (!wait_stopped(a, id, 10))
				return vsl_err_make(err, 0, "vnf `%s`: still running 10 s after SIGKILL", id);
		}
	} else if (strcmp(st.status, "created") == 0) {
		const char *del[] = { "delete", "--force", id, NULL };
		if (vsl_rt_run(a, del, NULL, NULL, err) < 0)
			return -1;
	}
	record_exit(a, id, "stopped");
	return 0;
}

int vsl_vnf_do_kill(struct vsl_agent *a, const char *id, const char *sig, struct vsl_err **err)
{
	const char *args[] = { "kill", id, sig, NULL };
	return vsl_rt_run(a, args, NULL, NULL, err);
}

int vsl_vnf_do_pause(struct vsl_agent *a, const char *id, bool pause, struct vsl_err **err)
{
	const char *args[] = { pause ? "pause" : "resume", id, NULL };
	if (vsl_rt_run(a, args, NULL, NULL, err) < 0)
		return -1;
	vsl_vnf_set_status(a, id, pause ? "paused" : "running", NULL);
	if (!pause) {
		pthread_mutex_lock(&a->db_lock);
		vsl_db_exec(a, NULL, "UPDATE vnfs SET desired = 'running' WHERE id = ?", 1, id);
		pthread_mutex_unlock(&a->db_lock);
	}
	return 0;
}

int vsl_vnf_do_delete(struct vsl_agent *a, const char *id, struct vsl_err **err)
{
	struct vsl_rt_state st;
	vsl_vnf_set_status(a, id, "deleting", NULL);
	pthread_mutex_lock(&a->db_lock);
	vsl_db_exec(a, NULL, "UPDATE vnfs SET desired = 'deleted' WHERE id = ?", 1, id);
	pthread_mutex_unlock(&a->db_lock);
	vsl_rt_state(a, id, &st);
	if (st.status[0]) {
		const char *args[] = { "delete", "--force", id, NULL };
		if (vsl_rt_run(a, args, NULL, NULL, err) < 0) {
			vsl_vnf_set_status(a, id, "error", (*err)->msg);
			return -1;
		}
	}
	cleanup_free char *cfg = xasprintf("%s/bundles/%s/config.json", a->cfg.state_dir, id);
	cleanup_free char *dir = xasprintf("%s/bundles/%s", a->cfg.state_dir, id);
	cleanup_free char *log = vsl_vnf_log_path(a, id);
	unlink(cfg);
	rmdir(dir);
	unlink(log);
	pthread_mutex_lock(&a->db_lock);
	vsl_db_exec(a, NULL, "DELETE FROM vnfs WHERE id = ?", 1, id);
	pthread_mutex_unlock(&a->db_lock);
	return 0;
}
