/* libvessel: run OCI bundles in QEMU microVMs (the library under the
 * vessel-runtime CLI; see runtime/cli/ for the verbs).
 *
 * Every call takes the runtime options (state root, lib dir, ...) and works
 * on a container by id. Functions return 0 (or a positive value where said)
 * and a negative value with a new error in *err (the caller frees it with
 * vsl_err_free). Strings handed out are owned by the caller.
 */
#ifndef VESSEL_RUNTIME_H
#define VESSEL_RUNTIME_H

#include <stdbool.h>
#include <sys/types.h>

#include "vessel/err.h"

struct vsl_runtime {
	const char *root;       /* state root, default /run/vessel */
	const char *lib_dir;    /* host memory (KVM fallback), default /var/lib/vessel */
	const char *accel;      /* "auto" | "kvm" | "tcg" */
	const char *hypervisor; /* "qemu" | "libvirt" (annotation org.vessel.hypervisor wins), NULL: qemu */
	const char *log_path;   /* passed on to the shim, may be NULL */
	const char *log_format; /* "text" | "json" */
	bool debug;
};

struct vsl_create_opts {
	const char *id;
	const char *bundle;         /* directory holding config.json */
	const char *pid_file;       /* where the shim's pid goes, may be NULL */
	const char *console_socket; /* terminal: true: receives the pty master */
};

/* Creates a container: validates the bundle, builds the rootfs image, starts
 * a detached vessel-shim (which inherits the caller's stdio) and waits until
 * the guest has the container ready. Stores the shim's pid in *shim_pid.
 * On failure nothing is left behind. */
int vsl_container_create(const struct vsl_runtime *rt, const struct vsl_create_opts *o,
			 pid_t *shim_pid, struct vsl_err **err);

/* Starts the workload of a created container. */
int vsl_container_start(const struct vsl_runtime *rt, const char *id, struct vsl_err **err);

/* Sends signo to the workload (all: to every process of the container). */
int vsl_container_kill(const struct vsl_runtime *rt, const char *id, int signo, bool all,
		       struct vsl_err **err);

/* Removes a container. A running or paused one is refused unless force, which
 * kills it first. Afterwards no QEMU, shim or state remains. */
int vsl_container_delete(const struct vsl_runtime *rt, const char *id, bool force,
			 struct vsl_err **err);

/* OCI state JSON of a container in *json (caller frees). */
int vsl_container_state(const struct vsl_runtime *rt, const char *id, char **json,
			struct vsl_err **err);

/* Freezes (QMP stop) / thaws (QMP cont) the whole microVM. */
int vsl_container_pause(const struct vsl_runtime *rt, const char *id, struct vsl_err **err);
int vsl_container_resume(const struct vsl_runtime *rt, const char *id, struct vsl_err **err);

struct vsl_container_info {
	char *id, *status, *bundle, *created;
	pid_t pid;
};

/* All containers under the root, sorted by id: *list has *n entries (free
 * with vsl_container_info_free). */
int vsl_container_list(const struct vsl_runtime *rt, struct vsl_container_info **list,
		       size_t *n, struct vsl_err **err);
void vsl_container_info_free(struct vsl_container_info *list, size_t n);

struct vsl_exec_opts {
	const char *id;
	const char *process_file;   /* --process: an OCI process JSON, or NULL: */
	char **args;                /* the command, run like the container's process */
	size_t n_args;
	char **env;                 /* --env NAME=value (added or replacing) */
	size_t n_env;
	const char *cwd;            /* --cwd, may be NULL */
	const char *user;           /* --user UID[:GID], may be NULL */
	bool tty;                   /* --tty (with args; --process has `terminal`) */
	bool detach;                /* --detach */
	const char *pid_file;       /* --pid-file, may be NULL */
	const char *console_socket; /* terminal: receives the pty master */
};

/* Runs an additional process in a running container (runc exec). Without
 * detach it waits and stores the process's status (runc style) in *status.
 * With detach it returns once the process runs (*status = 0); the pid file
 * then names a host process that lives as long as the guest process and
 * exits with its status. A process that cannot start is an error. */
int vsl_container_exec(const struct vsl_runtime *rt, const struct vsl_exec_opts *o,
		       int *status, struct vsl_err **err);

struct vsl_proc_info {
	unsigned proc_id; /* 0: the workload, else an exec'd process */
	pid_t host_pid;   /* the shim (proc 0) or the exec client standing for it */
	int guest_pid;
};

/* Processes of a container: *procs has *n entries (caller frees the array);
 * none for a stopped container. */
int vsl_container_ps(const struct vsl_runtime *rt, const char *id,
		     struct vsl_proc_info **procs, size_t *n, struct vsl_err **err);

/* Parses a signal given as a name ("TERM", "SIGTERM") or a number. Returns
 * the number or -1. */
int vsl_signal_parse(const char *s);

#endif
