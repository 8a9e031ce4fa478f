/* Hypervisor backends: what runs the microVM for a shim.
 *
 * The shim owns the container's life (control channel, stdio, exit status);
 * a backend only starts, watches, pauses and ends the VM that
 * struct vsl_vm_spec describes. Each backend is a `const` ops table:
 * "qemu" (backend_qemu.c: the shim forks QEMU itself and drives it over QMP)
 * and "libvirt" (backend_libvirt.c: the same microVM as a transient libvirt
 * domain named after the container, domain_xml.c). Selected per node
 * (vessel-runtime --hypervisor, VESSEL_HYPERVISOR) or per container
 * (annotation org.vessel.hypervisor), see vsl_backend_choose.
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
	char log_path[256];   /* the hypervisor's own log, for error hints ("" if none) */
	char id[64];          /* the backend's id of the VM (libvirt: domain UUID), "" if none */
	char handle[160];     /* the backend's name of the VM (libvirt: domain name), "" if none */
	int start_timeout_ms; /* bound on a start that blocks (libvirt), 0: none */
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
	/* True if start already pinned the threads per spec->vcpu_cpus and
	 * spec->shared_cpus (the caller must not pin them again). */
	bool pins_at_start;
};

extern const struct vsl_backend vsl_backend_qemu;
/* In the module backend-libvirt.so (runtime/libvirt/), loaded by
 * vsl_backend_find on first use. */
extern const struct vsl_backend vsl_backend_libvirt;

/* "qemu" or "libvirt" -> backend; NULL if unknown, or NULL with *err when
 * the libvirt module cannot be loaded. */
const struct vsl_backend *vsl_backend_find(const char *name, struct vsl_err **err);

/* The backend name for a container: the annotation org.vessel.hypervisor
 * (may be NULL) wins over the node's choice (may be NULL), default "qemu".
 * An unknown name is an error naming where it came from. */
int vsl_backend_choose(const char *annotation, const char *node, const struct vsl_backend **out,
		       struct vsl_err **err);

/* libvirt (backend_libvirt.c) ------------------------------------------ */

#define VSL_LIBVIRT_DEFAULT_URI "qemu:///system"
#define VSL_LIBVIRT_DEFAULT_USER "libvirt-qemu"
/* Domains are named $VESSEL_LIBVIRT_PREFIX<container id> (no prefix by
 * default), so runtimes with separate roots can share one libvirtd. */

struct vsl_domain_opts {
	const char *name;     /* domain name: the container id */
	const char *dir;      /* absolute state directory; relative spec paths are in it */
	const char *emulator; /* absolute path of the QEMU binary */
	unsigned uid, gid;    /* the user QEMU runs as (static DAC label) */
};

/* Domain XML for spec (caller frees); NULL only if libxml2 fails. */
char *vsl_vm_domain_xml(const struct vsl_vm_spec *spec, const struct vsl_domain_opts *o);

/* Destroys the transient domain `name` (as recorded at start, prefix
 * included) if it still runs with the given UUID
 * (recorded at start; NULL: any). For delete after a shim died. 1 if one was
 * destroyed, 0 if none, -1 with *err when libvirt cannot be asked. */
int vsl_libvirt_destroy(const char *name, const char *uuid, struct vsl_err **err);
/* The module's implementation of vsl_libvirt_destroy (which loads it). */
int vsl_libvirt_module_destroy(const char *name, const char *uuid, struct vsl_err **err);

#endif
