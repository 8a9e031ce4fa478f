/* The jail a direct-QEMU microVM runs in (issue 10: least privilege).
 *
 * A VNF is third-party code; if its guest breaks out into QEMU, that QEMU
 * must hold as little of the host as possible. With hardening on (the
 * default; VESSEL_HARDENING=off turns it off for debugging) each QEMU:
 *   - runs under a uid and gid of its own (VESSEL_JAIL_UID_BASE + slot; a slot
 *     is held by an flock in VESSEL_JAIL_DIR for the shim's life), so one
 *     VNF's QEMU can neither signal nor read another's;
 *   - has no capabilities (bounding, permitted, effective, inheritable and
 *     ambient sets empty), no_new_privs, no core dumps;
 *   - runs QEMU's seccomp filter: -sandbox on,obsolete=deny,
 *     elevateprivileges=deny,spawn=deny,resourcecontrol=deny;
 *   - lives in a private mount, network, IPC and UTS namespace whose root
 *     is a small tmpfs holding /usr (read-only), a minimal /dev, and at their
 *     usual absolute paths only the files its command line names (kernel,
 *     initramfs, rootfs image read-only; console log; vhost-user socket
 *     directory; hugepage directory);
 *   - sits in a cgroup (v2 when memory and pids are there, else v1) that caps
 *     its memory (guest + VESSEL_JAIL_MEM_OVERHEAD_MB) and its tasks.
 * The control and QMP sockets are bound by the shim (root, mode 0600) and
 * handed to QEMU as listening fds, so QEMU needs no writable directory next
 * to the shim's files. vhost-user sockets must be bound by QEMU itself (QEMU
 * 7.2 passes no fds over an fd-given chardev): their per-VNF directory is
 * QEMU's until the guest's init says Ready (before any VNF code runs), then
 * vsl_jail_seal gives it back to root, so a compromised QEMU cannot plant
 * symlinks for the dataplane to follow.
 */
#ifndef VESSEL_JAIL_H
#define VESSEL_JAIL_H

#include <stdbool.h>
#include <sys/types.h>

#include "vessel/err.h"

#define VSL_JAIL_UID_BASE_DEFAULT 2000000000u
#define VSL_JAIL_SLOTS 65536u
#define VSL_JAIL_DIR_DEFAULT "/run/vessel-jail"
#define VSL_JAIL_SANDBOX "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"

struct vsl_jail;

/* False when VESSEL_HARDENING is "off", "0", "no" or "false". */
bool vsl_jail_enabled(void);

struct vsl_jail_opts {
	const char *id;        /* container id */
	const char *state_dir; /* absolute; QEMU's working directory */
	unsigned memory_mb;    /* guest RAM */
	unsigned vcpus;
};

/* Parent side, before fork (as root): takes a uid slot, checks and prepares
 * every path *argv names (ownership, modes), binds the control/QMP sockets,
 * creates the cgroup, and rewrites *argv (a new array; the old one is freed)
 * to use the passed fds and the seccomp sandbox. Errors name the path or
 * setting and say how to fix it. Free with vsl_jail_destroy. */
int vsl_jail_create(const struct vsl_jail_opts *o, char ***argv, struct vsl_jail **out,
		    struct vsl_err **err);

/* Child side, between fork and exec, as root: enters the cgroup and the
 * namespaces, pivots into the jail, drops every privilege and re-arms
 * PR_SET_PDEATHSIG. Returns 0, or -1 after writing why to fd 2. Makes no
 * allocation. */
int vsl_jail_enter(const struct vsl_jail *j);

/* Parent, after fork: closes its copies of the fds QEMU now owns. */
void vsl_jail_started(struct vsl_jail *j);

/* After the guest is Ready: QEMU's socket directories go back to root. */
void vsl_jail_seal(struct vsl_jail *j);

/* After QEMU is gone: removes the cgroup and the hugepage directory, and
 * frees the uid slot. NULL is a no-op. */
void vsl_jail_destroy(struct vsl_jail *j);

uid_t vsl_jail_uid(const struct vsl_jail *j);

/* The capabilities a booted shim keeps (VSL_JAIL_SHIM_CAPS): CAP_CHOWN,
 * CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER (the jailed QEMU's files),
 * CAP_KILL (QEMU runs under another uid), CAP_SYS_NICE (its threads'
 * affinity). Everything else leaves the bounding, permitted, effective and
 * inheritable sets, and no_new_privs is set: a shim compromised through the
 * control channel cannot mount, load modules, trace, change uid or reach the
 * network stack's admin side. */
#define VSL_JAIL_SHIM_CAPS 0x80002fULL
int vsl_jail_shim_drop(struct vsl_err **err);

/* Removes what a jail leaves when its shim was killed before it could clean
 * up (cgroup directories of this state directory). Best effort. */
void vsl_jail_cleanup(const char *state_dir, const char *id);

/* For tests: the paths a QEMU argv names, and how the jail exposes them. */
enum vsl_jail_kind {
	VSL_JAIL_RO,       /* read-only file (kernel, initramfs, read-only drive) */
	VSL_JAIL_RW_FILE,  /* file QEMU writes (serial log, writable drive) */
	VSL_JAIL_SOCK_DIR, /* directory QEMU binds vhost-user sockets in */
	VSL_JAIL_FD_SOCK,  /* server socket the shim binds and passes as an fd */
	VSL_JAIL_MEM,      /* memory-backend-file mem-path */
};

struct vsl_jail_path {
	enum vsl_jail_kind kind;
	char *path;
	int arg;  /* index in argv of the option value naming it */
};

/* Lists the paths of argv (new array *out of *n, free each path and the
 * array). Fails on a path QEMU would parse differently (a comma) or an
 * option the jail cannot expose (a client socket chardev). */
int vsl_jail_scan_argv(char *const *argv, struct vsl_jail_path **out, size_t *n,
		       struct vsl_err **err);

#endif
