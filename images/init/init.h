/* vessel-init internals: PID 1 of a Vessel microVM guest.
 *
 * vessel-init is a static binary (libc + protobuf-c, plus libvslcommon's
 * err/cleanup objects, which need nothing else). main.c boots the guest
 * (mounts, console, control port) and runs the event loop; mounts.c prepares
 * the container root; net.c configures interfaces; process.c forks and execs
 * workloads; stdio.c relays their stdio as Stdio frames. Everything here runs
 * in one thread; all fds are non-blocking except the control port, whose
 * blocking writes return only once QEMU has taken the data.
 */
#ifndef VESSEL_INIT_H
#define VESSEL_INIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "control.pb-c.h"
#include "ctl_frame.h"
#include "vessel/cleanup.h"
#include "vessel/err.h"

#define VI_ROOT "/newroot"  /* container root inside the initramfs */
#define VI_LOWER "/lower"   /* erofs image (overlay lower layer) */
#define VI_RW "/rw"         /* tmpfs holding overlay upper + work */
#define VI_MAX_PROCS 64
#define VI_MAX_PENDING (4u << 20) /* stdin bytes buffered per process */

/* One process init started: the container's main process (id 0) or an
 * Exec'd one. Output fds are -1 once at EOF; pid is 0 once reaped. */
struct vi_proc {
	bool used;
	uint32_t id;
	pid_t pid;
	bool terminal;
	int in_fd;          /* pipe write end or pty master (shared with out_fd) */
	int out_fd;         /* stdout pipe or pty master */
	int err_fd;         /* stderr pipe, -1 with a terminal */
	uint8_t *pending;   /* stdin bytes not yet written */
	size_t pending_len;
	bool stdin_eof;     /* host closed stdin: close in_fd once pending drains */
	bool exited;
	int status;         /* runc-style: code, or 128 + signal */
};

struct vi_state {
	int ctl;                    /* control port, -1 before open */
	bool ctl_hup;               /* host end disconnected */
	struct vsl_ctl_reader rd;
	int sigfd;                  /* SIGCHLD signalfd */
	bool created, started, stopping;
	uint8_t *create_buf;        /* packed Create, kept for Start */
	size_t create_buf_len;
	struct vi_proc procs[VI_MAX_PROCS];
};

/* console/log (main.c) */
void vi_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* control replies (main.c) */
int vi_send(struct vi_state *s, Vessel__Ctl__Frame *f);
int vi_send_error(struct vi_state *s, uint32_t proc_id, int code, const char *msg);
int vi_send_exit(struct vi_state *s, uint32_t proc_id, int status);

/* control.c: acts on one frame from the host. */
void vi_control_handle(struct vi_state *s, const Vessel__Ctl__Frame *f);

/* mounts.c */
/* Mounts /proc, /sys, /dev (devtmpfs), /dev/pts and /run in the initramfs. */
int vi_mount_early(struct vsl_err **err);
/* Builds VI_ROOT from Create: erofs rootfs, overlay unless read-only, OCI
 * mounts, container /dev. */
int vi_mount_container(const Vessel__Ctl__Create *c, struct vsl_err **err);
/* Parses OCI mount options into mount(2) flags and a data string (comma
 * separated, caller frees). Unknown options go to data. */
int vi_mount_parse_options(char **opts, size_t n, unsigned long *flags,
			   char **data, struct vsl_err **err);

/* modules.c: loads dir/order's modules (none when dir/order is absent). */
int vi_modules_load(const char *dir, struct vsl_err **err);

/* net.c */
int vi_net_lo_up(struct vsl_err **err);
int vi_net_configure(Vessel__Ctl__NetIf **ifs, size_t n, struct vsl_err **err);
int vi_sysctls_apply(char **kv, size_t n, struct vsl_err **err);
/* Parses "a.b.c.d/len" (IPv4) into address and prefix length. */
int vi_parse_cidr4(const char *s, uint32_t *addr_be, int *prefix);

/* process.c */
/* Forks p->args in VI_ROOT with its user, cwd, env and stdio. On success
 * fills proc (pid, fds). On exec failure returns the child's errno negated
 * with *err set; the child then exits 127 or 126 and is reaped as usual. */
int vi_proc_spawn(struct vi_proc *proc, uint32_t id,
		  const Vessel__Ctl__Process *p, struct vsl_err **err);
/* runc-style status from a wait status. */
int vi_wait_status(int wstatus);

/* stdio.c */
/* Reads what is available on fd and sends Stdio frames. Returns 1 if data
 * was sent, 0 on EAGAIN, -1 at EOF (fd closed and set to -1). */
int vi_stdio_pump(struct vi_state *s, struct vi_proc *p, int *fd, uint32_t stream);
/* Reads a process's output until nothing more is buffered (after it exits). */
void vi_stdio_drain(struct vi_state *s, struct vi_proc *p);
/* Queues host stdin for a process; eof closes its stdin once written. */
void vi_stdio_input(struct vi_proc *p, const uint8_t *data, size_t n, bool eof);
/* Writes queued stdin when in_fd is writable. */
void vi_stdio_flush_input(struct vi_proc *p);
void vi_proc_close(struct vi_proc *p);

#endif
