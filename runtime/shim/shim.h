/* vessel-shim internals. One shim per container: it boots the microVM
 * (shim_boot.c), then serves the container's life (shim_loop.c): guest
 * control frames, stdio relay, requests from later vessel-runtime calls on
 * <state dir>/shim.sock, and signals. Its exit status is the workload's. */
#ifndef VESSEL_SHIM_H
#define VESSEL_SHIM_H

#include <stdbool.h>
#include <sys/types.h>
#include <termios.h>

#include "backend.h"
#include "ctl_frame.h"
#include "oci_config.h"
#include "oci_net.h"
#include "placement.h"
#include "state.h"
#include "vm.h"

#define SHIM_EXIT_VM_FAILED 255
#define SHIM_MAX_EXECS 32 /* exec'd processes at once (vessel-init allows 63) */

struct shim {
	/* arguments */
	const char *root, *id, *bundle, *lib_dir, *console_socket;
	const char *hypervisor; /* the node's backend (--hypervisor), NULL: qemu */
	enum vsl_accel accel_req;
	int sync_fd; /* create waits on it; -1 once answered */
	/* container */
	struct vsl_oci_config *cfg;
	struct vsl_state *st;
	char *kernel, *initramfs;
	enum vsl_accel accel; /* the one that booted */
	char *place_dir;              /* placement.json directory */
	struct vsl_place_plan *plan;  /* recorded by this shim; released if create fails */
	struct vsl_nic *nics;         /* org.vessel.net.N (shim_net.c) */
	size_t n_nics;
	char *vhost_root;             /* absolute root of the vhost-user sockets */
	struct vsl_vm_nic *vm_nics;   /* QEMU's side of nics */
	char **nic_ids, **nic_socks;
	bool nets_attached;           /* switch ports added; removed if create fails */
	/* VM */
	struct vsl_vm vm; /* vm.ops: the backend that runs it (backend.h) */
	int ctl_fd;
	struct vsl_ctl_reader rd;
	/* loop */
	int sig_fd;
	int listen_fd;
	int in_fd, out_fd, err_fd; /* host side of the workload's stdio */
	int pty_master;            /* console-socket mode: our end of the host pty */
	bool in_open;
	bool tty_saved;            /* terminal: true on a host tty: raw mode to undo */
	struct termios saved_tio;
	int pending_start_fd; /* client waiting for Started */
	bool started, exited, quitting;
	int exit_status;
	int guest_pid; /* the workload's pid in the guest, once started */
};

/* shim_net.c */
struct shim_net_ifaces {
	size_t n;
	Vessel__Ctl__NetIf *ifs, **ifp;
	Vessel__Ctl__Route **routes, ***routep;
};
int shim_net_parse(struct shim *s, struct vsl_err **err);
int shim_net_attach(struct shim *s, struct vsl_err **err);
void shim_net_detach(struct shim *s);
void shim_net_free(struct shim *s);
void shim_net_ifaces(struct shim *s, struct shim_net_ifaces *b);
void shim_net_ifaces_free(struct shim_net_ifaces *b);

/* shim_boot.c */
int shim_place(struct shim *s, struct vsl_err **err);
void shim_unplace(struct shim *s);
int shim_boot(struct shim *s, struct vsl_err **err);
void shim_vm_kill(struct shim *s, int grace_ms);
void shim_reap(struct shim *s);

/* shim_guest.c: frames to and from vessel-init */
int shim_send_create(struct shim *s, struct vsl_err **err);
int shim_send_simple(struct shim *s, Vessel__Ctl__Frame__MsgCase what, struct vsl_err **err);
int shim_send_signal(struct shim *s, int signo, bool all, struct vsl_err **err);
int shim_send_stdin(struct shim *s, uint32_t proc_id, const void *data, size_t n, bool eof,
		    struct vsl_err **err);
int shim_send_resize(struct shim *s, unsigned rows, unsigned cols, struct vsl_err **err);
/* Waits up to timeout_ms for a frame of type `want` (others are handled by
 * shim_handle_frame); an Error frame becomes *err. */
int shim_wait_frame(struct shim *s, Vessel__Ctl__Frame__MsgCase want, int timeout_ms,
		    Vessel__Ctl__Frame **out, struct vsl_err **err);

/* shim_loop.c */
int shim_loop(struct shim *s);
void shim_handle_frame(struct shim *s, Vessel__Ctl__Frame *f);
int shim_save_state(struct shim *s);
long shim_now_ms(void);

/* Writes all of buf to fd; drops the rest when the reader is gone. */
void shim_write_all(int fd, const void *buf, size_t n);

/* shim_exec.c: processes added by `vessel-runtime exec` (proc_id > 0) */
struct pollfd;
struct shim_exec;
/* Takes an "exec <len>" request on connection *fd (kept on success, set to
 * -1) with rest_len bytes already read after the line and the client's three
 * stdio fds (always taken). */
void shim_exec_request(struct shim *s, int *fd, const char *line, const char *rest,
		       size_t rest_len, int *fds, int nfds);
/* Handles a guest frame for an exec'd process; false if it is proc 0's. */
bool shim_exec_frame(struct shim *s, Vessel__Ctl__Frame *f);
/* Fills up to max pollfds (and their owners) for exec clients and stdin. */
int shim_exec_pollfds(struct pollfd *p, struct shim_exec **owner, int max);
void shim_exec_poll(struct shim *s, const struct pollfd *p, struct shim_exec **owner, int n);
/* The container ended: tells every exec client `status` and lets it go. */
void shim_exec_end_all(struct shim *s, int status);
/* "proc:hostpid:guestpid ..." for proc 0 (the shim) and each exec (caller frees). */
char *shim_exec_ps(struct shim *s);

#endif
