/* The microVM: where its images live, which accelerator boots it, and the
 * QEMU command line that runs it.
 *
 * The command-line builder takes a plain spec so later features (vhost-user
 * NICs, hugepage-backed memory, NUMA binding: issue 5) only add fields here;
 * guest memory is always an fd-backed shared memory backend so vhost-user
 * devices can map it.
 */
#ifndef VESSEL_VM_H
#define VESSEL_VM_H

#include <stdbool.h>
#include <stddef.h>

#include "vessel/err.h"

#define VSL_DEFAULT_LIB_DIR "/var/lib/vessel"
#define VSL_SYSTEM_IMAGES_DIR "/usr/lib/vessel/images"

enum vsl_accel { VSL_ACCEL_AUTO, VSL_ACCEL_KVM, VSL_ACCEL_TCG };

/* "auto", "kvm", "tcg" -> enum; -1 if unknown. */
int vsl_accel_parse(const char *s, enum vsl_accel *out);
const char *vsl_accel_name(enum vsl_accel a);

/* True if /dev/kvm opens and answers KVM_GET_API_VERSION. This does not
 * prove a guest boots: see the fallback in the shim. */
bool vsl_accel_kvm_available(void);

/* True if <lib_dir>/accel-fallback.json says KVM failed on this host with
 * this QEMU binary and this host kernel (a change of either voids it). */
bool vsl_accel_fallback_remembered(const char *lib_dir, const char *qemu_bin);

/* Records that KVM boots fail here (reason, QEMU version, host kernel). */
int vsl_accel_remember_fallback(const char *lib_dir, const char *qemu_bin, const char *reason,
				struct vsl_err **err);

/* Host TSC frequency in kHz (sysfs, else /proc/cpuinfo); 0 if unknown. */
unsigned vsl_host_tsc_khz(void);

/* Finds vmlinux and initramfs.cpio: $VESSEL_IMAGES_DIR, else
 * <dir of executable>/../images, else /usr/lib/vessel/images. Returns new
 * strings in *kernel and *initramfs; the error names the missing file.
 * A `needs-acpi` file next to them marks a kernel (Debian's) whose
 * virtio-mmio devices bind through ACPI: vsl_images_need_acpi tells. */
int vsl_images_locate(char **kernel, char **initramfs, struct vsl_err **err);
bool vsl_images_need_acpi(const char *kernel);

/* A guest NIC: a vhost-user-net device whose socket QEMU owns (server). */
struct vsl_vm_nic {
	const char *id;
	const char *socket_path;
	const char *mac;
	unsigned queues;
};

struct vsl_vm_spec {
	const char *qemu_bin;     /* default qemu-system-x86_64 */
	const char *kernel;
	const char *initramfs;
	const char *rootfs_image; /* read-only virtio-blk, NULL for none */
	const char *ctl_socket;   /* control channel chardev (server, QEMU waits for us) */
	const char *qmp_socket;
	const char *console_log;
	const char *extra_cmdline; /* appended to the guest command line, may be NULL */
	enum vsl_accel accel;     /* KVM or TCG (not AUTO) */
	unsigned vcpus;
	unsigned memory_mb;
	unsigned tsc_khz;         /* TCG: passed as tsc_early_khz when non-zero */
	bool acpi;                /* a kernel whose virtio-mmio binds via ACPI (Debian's) */
	const char *mem_path;     /* NULL: memfd; else a hugetlbfs directory */
	unsigned hugepage_kb;     /* memfd only: non-zero gives hugetlb=on,hugetlbsize= */
	bool prealloc;            /* fault all guest memory in at start */
	bool private_memory;      /* share=off (org.vessel.mem_share=false; never with NICs) */
	int numa_node;            /* -1: no binding; else host-nodes=N,policy=bind */
	const struct vsl_vm_nic *nics;
	size_t n_nics;
	/* Pinning for backends that pin at start (libvirt <cputune>); the direct
	 * backend pins after boot from the QMP vCPU thread ids instead. */
	const int *vcpu_cpus;    /* host CPU of vCPU i (vcpus entries), NULL: not one by one */
	const char *shared_cpus; /* cpulist for QEMU's other threads and vCPUs not pinned one
				  * by one, NULL: not pinned */
};

/* The guest kernel command line both backends boot with (caller frees). */
char *vsl_vm_kernel_cmdline(const struct vsl_vm_spec *spec);

/* Builds a NULL-terminated argv for QEMU (free with vsl_argv_free). */
char **vsl_vm_qemu_argv(const struct vsl_vm_spec *spec);
void vsl_argv_free(char **argv);

/* Joins argv with spaces for logs (caller frees). */
char *vsl_argv_join(char *const *argv);

#endif
