/* Hypervisor backends: what runs the microVM for a shim.
 *
 * The shim owns the container's life (control channel, stdio, exit status);
 * a backend only starts, watches, pauses and ends the VM that
 * struct vsl_vm_spec describes. Each backend is a `const` ops table; the
 * direct one is "qemu" (backend_qemu.c: the shim forks QEMU itself and drives
 * it over QMP).
 *
 * Calls are made from the shim's single thread. A backend sets vm->gone (and
 * vm->status, a wait status, when it knows one) from ->poll once the VM has
 * ended; ->kill must end it for sure.
 */
#ifndef VESSEL_BACKEND_H
#define VESSEL_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "vessel/err.h"
#include "vm.h"

struct vsl_backend;

struct vsl_vm {
	const struct vsl_backend *ops;
	const char *name;     /* container id (borrowed); the libvirt domain name */
	pid_t pid;            /* the hypervisor process, 0 when none/unknown */
	bool gone;            /* the VM has ended */
	int status;           /* wait status of the hypervisor process, when gone */
	const char *log_path; /* the hypervisor's own log, for error hints */
	void *priv;           /* the backend's */
};

struct vsl_backend {
	const char *name;
	/* Starts the VM described by spec (paths relative to the state
	 * directory, the current directory). Returns once it is launched: the
	 * control socket spec->ctl_socket appears soon after. */
	int (*start)(struct vsl_vm *vm, const struct vsl_vm_spec *spec, struct vsl_err **err);
	/* After the guest said Ready: connects the management channel. */
	int (*attach)(struct vsl_vm *vm, struct vsl_err **err);
	/* Non-blocking: sets vm->gone (and vm->status) if the VM has ended. */
	void (*poll)(struct vsl_vm *vm);
	/* Asks the VM to end now (QMP quit); 0 if the request was delivered. */
	int (*quit)(struct vsl_vm *vm);
	/* Ends the VM by force (SIGKILL, destroy). */
	void (*kill)(struct vsl_vm *vm);
	/* Pauses (true) or resumes (false) the vCPUs. */
	int (*pause)(struct vsl_vm *vm, bool pause, struct vsl_err **err);
	/* Host thread ids of the vCPUs in CPU index order (new array *tids). */
	int (*vcpu_threads)(struct vsl_vm *vm, int **tids, size_t *n, struct vsl_err **err);
	/* Frees what start/attach made; the VM is gone or was never started. */
	void (*release)(struct vsl_vm *vm);
};

extern const struct vsl_backend vsl_backend_qemu;

/* "qemu" or "libvirt" -> backend; NULL if unknown. */
const struct vsl_backend *vsl_backend_find(const char *name);

#endif
