/* The libvirt backend: the same microVM as a transient libvirt domain named
 * after the container, for hosts that manage their VMs with libvirt (they
 * show in `virsh list`, libvirt applies the pinning and NUMA policy).
 *
 * The shim stays the container's supervisor: it still owns the control
 * channel (libvirt creates the unix socket, the shim connects), relays stdio
 * and exits with the workload's status. The domain is created with
 * VIR_DOMAIN_START_AUTODESTROY, so libvirtd destroys it when the shim's
 * connection closes: a shim that dies leaves no domain behind, as
 * PR_SET_PDEATHSIG does for the direct backend.
 *
 * libvirt's QEMU runs as an unprivileged user (libvirt-qemu, or
 * $VESSEL_LIBVIRT_USER) under a static DAC label without relabelling: the
 * backend gives the state directory and rootfs image to that user's group
 * and checks that it can reach them, the kernel and the initramfs; a path it
 * cannot reach is an error that names it. Connection: $VESSEL_LIBVIRT_URI,
 * default qemu:///system.
 */
#include <errno.h>
#include <jansson.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "vessel/cleanup.h"
#include "vessel/log.h"

#define LV_RUN_DIR "/run/libvirt/qemu"
#define LV_LOG_DIR "/var/log/libvirt/qemu"
#define POLL_EVERY_MS 20

struct lv_priv {
	virConnectPtr conn;
	virDomainPtr dom;
	long last_poll_ms;
};

static void quiet(void *opaque, virErrorPtr e)
{
	(void)opaque;
	(void)e; /* errors are read with virGetLastErrorMessage and reported by us */
}

static const char *lv_uri(void)
{
	const char *u = getenv("VESSEL_LIBVIRT_URI");
	return u && *u ? u : VSL_LIBVIRT_DEFAULT_URI;
}

static int lv_connect(virConnectPtr *out, struct vsl_err **err)
{
	virSetErrorFunc(NULL, quiet);
	*out = virConnectOpen(lv_uri());
	if (*out == NULL)
		return vsl_err_make(err, 0, "libvirt: cannot connect to `%s` (is libvirtd "
				    "running? `virtlogd -d; libvirtd -d`): %s", lv_uri(),
				    virGetLastErrorMessage());
	return 0;
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* True if the user (uid, gid) has the permission `other_bit` (given as the
 * "other" bit, e.g. S_IXOTH) on the file st describes, by its mode bits. */
static bool bits_ok(const struct stat *st, uid_t uid, gid_t gid, mode_t other_bit)
{
	if (st->st_uid == uid)
		return st->st_mode & (other_bit << 6);
	if (st->st_gid == gid)
		return st->st_mode & (other_bit << 3);
	return st->st_mode & other_bit;
}

/* Checks that the user (uid, gid) can search every directory above path and,
 * if want (an "other" bit) is non-zero, has that permission on path itself.
 * The error names the first directory or file that stops it. */
static int check_reachable(const char *what, const char *path, uid_t uid, gid_t gid,
			   mode_t want, struct vsl_err **err)
{
	char real[PATH_MAX];
	if (realpath(path, real) == NULL)
		return vsl_err_make(err, errno, "libvirt: %s `%s`", what, path);
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", real);
	struct stat st;
	if (want != 0 && (stat(real, &st) < 0 || !bits_ok(&st, uid, gid, want)))
		return vsl_err_make(err, EACCES, "libvirt: %s `%s` is not accessible to libvirt's "
				    "QEMU user (uid %u): make it readable", what, real,
				    (unsigned)uid);
	for (char *slash = strrchr(dir, '/'); slash != NULL; slash = strrchr(dir, '/')) {
		slash[slash == dir ? 1 : 0] = '\0';
		if (stat(dir, &st) == 0 && !bits_ok(&st, uid, gid, S_IXOTH))
			return vsl_err_make(err, EACCES, "libvirt: %s `%s`: directory `%s` (mode %04o) "
					    "is not searchable by libvirt's QEMU user (uid %u): use "
					    "a path it can reach (e.g. a --root under /run)", what,
					    real, dir, (unsigned)(st.st_mode & 07777), (unsigned)uid);
		if (slash == dir)
			break;
	}
	return 0;
}

/* QEMU binds each NIC's vhost-user socket (server mode) in
 * <root>/vhost/<id>/: that directory becomes QEMU's group's (0770) and its
 * parent searchable (not listable) by others. */
static int prepare_nic_dirs(const struct vsl_vm_spec *spec, uid_t uid, gid_t gid,
			    struct vsl_err **err)
{
	for (size_t i = 0; i < spec->n_nics; i++) {
		cleanup_free char *dir = xstrdup(spec->nics[i].socket_path);
		char *slash = strrchr(dir, '/');
		if (slash == NULL || slash == dir)
			continue;
		*slash = '\0';
		cleanup_free char *parent = xstrdup(dir);
		char *pslash = strrchr(parent, '/');
		struct stat st;
		if (pslash != NULL && pslash != parent) {
			*pslash = '\0';
			if (stat(parent, &st) == 0 && !(st.st_mode & S_IXOTH))
				chmod(parent, (st.st_mode & 07777) | S_IXOTH);
		}
		if (chown(dir, (uid_t)-1, gid) < 0 || chmod(dir, 0770) < 0)
			return vsl_err_make(err, errno, "libvirt: vhost-user socket directory `%s`", dir);
		if (check_reachable("vhost-user socket directory", dir, uid, gid, 0, err) < 0)
			return -1;
	}
	return 0;
}

/* Gives the state directory and the rootfs image to QEMU's group (read
 * only) and checks everything QEMU opens itself is reachable. */
static int prepare_files(const struct vsl_vm_spec *spec, const char *dir, uid_t uid, gid_t gid,
			 struct vsl_err **err)
{
	if (chown(dir, (uid_t)-1, gid) < 0 || chmod(dir, 0750) < 0)
		return vsl_err_make(err, errno, "libvirt: state directory `%s`", dir);
	if (spec->rootfs_image != NULL &&
	    (chown(spec->rootfs_image, (uid_t)-1, gid) < 0 || chmod(spec->rootfs_image, 0640) < 0))
		return vsl_err_make(err, errno, "libvirt: rootfs image `%s/%s`", dir,
				    spec->rootfs_image);
	if (prepare_nic_dirs(spec, uid, gid, err) < 0 ||
	    check_reachable("state directory", dir, uid, gid, 0, err) < 0 ||
	    check_reachable("kernel", spec->kernel, uid, gid, S_IROTH, err) < 0 ||
	    check_reachable("initramfs", spec->initramfs, uid, gid, S_IROTH, err) < 0)
		return -1;
	return 0;
}

static int qemu_user(uid_t *uid, gid_t *gid, struct vsl_err **err)
{
	const char *name = getenv("VESSEL_LIBVIRT_USER");
	if (name == NULL || *name == '\0')
		name = VSL_LIBVIRT_DEFAULT_USER;
	struct passwd *pw = getpwnam(name);
	if (pw == NULL)
		return vsl_err_make(err, ENOENT, "libvirt: no user `%s` for libvirt's QEMU (install "
				    "libvirt-daemon-system or set VESSEL_LIBVIRT_USER)", name);
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

/* The QEMU binary by absolute path, as <emulator> needs (caller frees). */
static char *emulator_path(const char *bin)
{
	if (strchr(bin, '/') != NULL)
		return realpath(bin, NULL);
	const char *path = getenv("PATH");
	cleanup_free char *copy = xstrdup(path ? path : "/usr/bin:/bin");
	char *save = NULL;
	for (char *d = strtok_r(copy, ":", &save); d != NULL; d = strtok_r(NULL, ":", &save)) {
		char *p = xasprintf("%s/%s", d, bin);
		if (access(p, X_OK) == 0)
			return p;
		free(p);
	}
	return NULL;
}

/* libvirt's QEMU is not our child: its pid comes from libvirt's pid file. */
static pid_t read_pid(const char *name)
{
	cleanup_free char *path = xasprintf("%s/%s.pid", LV_RUN_DIR, name);
	cleanup_fclose FILE *f = fopen(path, "re");
	int pid = 0;
	if (f == NULL || fscanf(f, "%d", &pid) != 1)
		return 0;
	return (pid_t)pid;
}

/* virDomainCreateXML returns only once QEMU has initialised, and QEMU 7.2
 * waits in vhost-user netdev init until the switch connects: a switch that
 * never does would block create for good. The watchdog destroys the domain
 * (from a connection of its own) after start_timeout_ms, which ends the
 * create with an error. */
struct watchdog {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done, fired;
	int ms;
	const char *name;
};

static void *watchdog_run(void *arg)
{
	struct watchdog *w = arg;
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += w->ms / 1000;
	dl.tv_nsec += (long)(w->ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&w->mu);
	int r = 0;
	while (!w->done && r != ETIMEDOUT)
		r = pthread_cond_timedwait(&w->cv, &w->mu, &dl);
	w->fired = !w->done;
	pthread_mutex_unlock(&w->mu);
	if (!w->fired)
		return NULL;
	virConnectPtr c = virConnectOpen(lv_uri());
	virDomainPtr d = c ? virDomainLookupByName(c, w->name) : NULL;
	if (d != NULL) {
		virDomainDestroy(d);
		virDomainFree(d);
	}
	if (c != NULL)
		virConnectClose(c);
	return NULL;
}

static virDomainPtr create_bounded(struct vsl_vm *vm, virConnectPtr conn, const char *xml,
				   bool *timed_out)
{
	struct watchdog w = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER,
			      .ms = vm->start_timeout_ms, .name = vm->handle };
	pthread_t t;
	bool watching = w.ms > 0 && pthread_create(&t, NULL, watchdog_run, &w) == 0;
	virDomainPtr dom = virDomainCreateXML(conn, xml, VIR_DOMAIN_START_AUTODESTROY);
	if (watching) {
		pthread_mutex_lock(&w.mu);
		w.done = true;
		pthread_cond_signal(&w.cv);
		pthread_mutex_unlock(&w.mu);
		pthread_join(t, NULL);
	}
	*timed_out = w.fired;
	if (w.fired && dom != NULL) { /* it came up just as the watchdog fired */
		virDomainDestroy(dom);
		virDomainFree(dom);
		dom = NULL;
	}
	return dom;
}

static int lv_create(struct vsl_vm *vm, struct lv_priv *p, const struct vsl_vm_spec *spec,
		     const char *dir, uid_t uid, gid_t gid, struct vsl_err **err)
{
	cleanup_free char *emulator = emulator_path(spec->qemu_bin ? spec->qemu_bin
							       : "qemu-system-x86_64");
	if (emulator == NULL)
		return vsl_err_make(err, ENOENT, "libvirt: QEMU binary `%s` not found",
				    spec->qemu_bin ? spec->qemu_bin : "qemu-system-x86_64");
	struct vsl_domain_opts o = { .name = vm->handle, .dir = dir, .emulator = emulator,
				     .uid = uid, .gid = gid };
	cleanup_free char *xml = vsl_vm_domain_xml(spec, &o);
	if (xml == NULL)
		return vsl_err_make(err, ENOMEM, "libvirt: domain XML for `%s`", vm->name);
	vsl_debug("container `%s`: libvirt domain XML:\n%s", vm->name, xml);
	bool timed_out = false;
	p->dom = create_bounded(vm, p->conn, xml, &timed_out);
	if (p->dom == NULL && timed_out)
		return vsl_err_make(err, ETIMEDOUT, "libvirt: domain `%s` did not start within %d ms",
				    vm->handle, vm->start_timeout_ms);
	if (p->dom == NULL)
		return vsl_err_make(err, 0, "libvirt refused domain `%s`: %s", vm->handle,
				    virGetLastErrorMessage());
	char uuid[VIR_UUID_STRING_BUFLEN] = "";
	virDomainGetUUIDString(p->dom, uuid);
	snprintf(vm->id, sizeof(vm->id), "%s", uuid);
	vm->pid = read_pid(vm->handle);
	return 0;
}

static int lv_start(struct vsl_vm *vm, const struct vsl_vm_spec *spec, struct vsl_err **err)
{
	struct lv_priv *p = xzalloc(sizeof(*p));
	vm->priv = p;
	vm->gone = false;
	vm->status = 0;
	vm->pid = 0;
	const char *prefix = getenv("VESSEL_LIBVIRT_PREFIX");
	snprintf(vm->handle, sizeof(vm->handle), "%s%s", prefix ? prefix : "", vm->name);
	snprintf(vm->log_path, sizeof(vm->log_path), "%s/%s.log", LV_LOG_DIR, vm->handle);
	char dir[PATH_MAX];
	uid_t uid = 0;
	gid_t gid = 0;
	if (getcwd(dir, sizeof(dir)) == NULL)
		return vsl_err_make(err, errno, "getcwd");
	unlink(spec->ctl_socket);
	if (qemu_user(&uid, &gid, err) < 0 || prepare_files(spec, dir, uid, gid, err) < 0 ||
	    lv_connect(&p->conn, err) < 0)
		return -1;
	return lv_create(vm, p, spec, dir, uid, gid, err);
}

static int lv_attach(struct vsl_vm *vm, struct vsl_err **err)
{
	(void)vm;
	(void)err; /* libvirt owns the monitor; the domain handle is all we use */
	return 0;
}

static void lv_poll(struct vsl_vm *vm)
{
	struct lv_priv *p = vm->priv;
	if (p == NULL || p->dom == NULL || vm->gone)
		return;
	long now = now_ms();
	if (now - p->last_poll_ms < POLL_EVERY_MS)
		return;
	p->last_poll_ms = now;
	int state = 0, reason = 0;
	if (virDomainGetState(p->dom, &state, &reason, 0) < 0) {
		/* a transient domain is undefined once it is off */
		if (virGetLastErrorCode() == VIR_ERR_NO_DOMAIN ||
		    (vm->pid > 0 && kill(vm->pid, 0) < 0 && errno == ESRCH)) {
			vm->gone = true;
			vm->status = 0;
		}
		return;
	}
	if (state == VIR_DOMAIN_SHUTOFF || state == VIR_DOMAIN_CRASHED) {
		vm->gone = true;
		/* no wait status through libvirt: a crash reads as exit status 1 */
		vm->status = reason == VIR_DOMAIN_SHUTOFF_SHUTDOWN ? 0 : 1 << 8;
	}
}

static int lv_quit(struct vsl_vm *vm)
{
	struct lv_priv *p = vm->priv;
	return p != NULL && p->dom != NULL ? virDomainDestroyFlags(p->dom,
								   VIR_DOMAIN_DESTROY_GRACEFUL)
					   : -1;
}

static void lv_kill(struct vsl_vm *vm)
{
	struct lv_priv *p = vm->priv;
	if (p != NULL && p->dom != NULL && virDomainDestroy(p->dom) < 0 &&
	    virGetLastErrorCode() != VIR_ERR_NO_DOMAIN)
		vsl_warn("container `%s`: libvirt: destroy domain: %s", vm->name,
			 virGetLastErrorMessage());
}

static int lv_pause(struct vsl_vm *vm, bool pause, struct vsl_err **err)
{
	struct lv_priv *p = vm->priv;
	if (p == NULL || p->dom == NULL)
		return vsl_err_make(err, ENOTCONN, "libvirt: no domain");
	if ((pause ? virDomainSuspend(p->dom) : virDomainResume(p->dom)) < 0)
		return vsl_err_make(err, 0, "libvirt: %s domain `%s`: %s",
				    pause ? "suspend" : "resume", vm->name,
				    virGetLastErrorMessage());
	return 0;
}

/* vCPU thread ids through libvirt's monitor passthrough (query-cpus-fast);
 * libvirt marks the domain "custom-monitor" in its log, nothing more. */
static int lv_vcpu_threads(struct vsl_vm *vm, int **tids, size_t *n, struct vsl_err **err)
{
	struct lv_priv *p = vm->priv;
	char *reply = NULL;
	if (p == NULL || p->dom == NULL ||
	    virDomainQemuMonitorCommand(p->dom, "{\"execute\":\"query-cpus-fast\"}", &reply, 0) < 0)
		return vsl_err_make(err, 0, "libvirt: query-cpus-fast on `%s`: %s", vm->name,
				    virGetLastErrorMessage());
	json_t *j = json_loads(reply, 0, NULL);
	free(reply);
	json_t *ret = json_object_get(j, "return");
	if (!json_is_array(ret)) {
		json_decref(j);
		return vsl_err_make(err, EPROTO, "libvirt: query-cpus-fast on `%s`: no answer",
				    vm->name);
	}
	*n = json_array_size(ret);
	*tids = xzalloc((*n + 1) * sizeof(int));
	size_t i;
	json_t *cpu;
	json_array_foreach(ret, i, cpu) {
		size_t idx = (size_t)json_integer_value(json_object_get(cpu, "cpu-index"));
		if (idx < *n)
			(*tids)[idx] = (int)json_integer_value(json_object_get(cpu, "thread-id"));
	}
	json_decref(j);
	return 0;
}

static void lv_release(struct vsl_vm *vm)
{
	struct lv_priv *p = vm->priv;
	if (p == NULL)
		return;
	if (p->dom != NULL)
		virDomainFree(p->dom);
	if (p->conn != NULL)
		virConnectClose(p->conn); /* autodestroy: a domain still alive goes now */
	free(p);
	vm->priv = NULL;
}

const struct vsl_backend vsl_backend_libvirt = {
	.name = "libvirt",
	.start = lv_start,
	.attach = lv_attach,
	.poll = lv_poll,
	.quit = lv_quit,
	.kill = lv_kill,
	.pause = lv_pause,
	.vcpu_threads = lv_vcpu_threads,
	.release = lv_release,
	.pins_at_start = true,
};

int vsl_libvirt_module_destroy(const char *name, const char *uuid, struct vsl_err **err)
{
	virConnectPtr conn = NULL;
	if (lv_connect(&conn, err) < 0)
		return -1;
	int r = 0;
	virDomainPtr dom = virDomainLookupByName(conn, name);
	char got[VIR_UUID_STRING_BUFLEN] = "";
	if (dom != NULL && virDomainGetUUIDString(dom, got) == 0 &&
	    (uuid == NULL || *uuid == '\0' || strcmp(uuid, got) == 0)) {
		if (virDomainDestroy(dom) == 0)
			r = 1;
		else if (virGetLastErrorCode() != VIR_ERR_NO_DOMAIN)
			r = vsl_err_make(err, 0, "libvirt: destroy domain `%s`: %s", name,
					 virGetLastErrorMessage());
	}
	if (dom != NULL)
		virDomainFree(dom);
	virConnectClose(conn);
	return r;
}
