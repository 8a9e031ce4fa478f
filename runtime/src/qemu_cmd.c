/* QEMU command line for a Vessel microVM: `-M microvm` with direct boot of
 * the PVH ELF kernel, no firmware, no default devices, virtio-mmio for the
 * rootfs (virtio-blk), the control channel (virtio-serial) and NICs
 * (vhost-user-net), guest memory from a shared fd-backed backend. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vessel/cleanup.h"
#include "vm.h"

struct argv_buf {
	char **v;
	size_t n, cap;
};

static void add(struct argv_buf *a, const char *s)
{
	if (a->n + 2 > a->cap) {
		a->cap = a->cap ? a->cap * 2 : 32;
		a->v = xrealloc(a->v, a->cap * sizeof(char *));
	}
	a->v[a->n++] = xstrdup(s);
	a->v[a->n] = NULL;
}

__attribute__((format(printf, 2, 3))) static void addf(struct argv_buf *a, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort(); /* out of memory */
	va_end(ap);
	add(a, s);
	free(s);
}

/* Guest RAM is always fd-backed and shared (vhost-user maps it): a file on
 * hugetlbfs when placement found a mount of the page size, else memfd (with
 * hugetlb=on for hugepages without a mount). */
static void add_memory(struct argv_buf *a, const struct vsl_vm_spec *s)
{
	char opts[96] = "";
	size_t len = 0;
	if (s->mem_path == NULL && s->hugepage_kb != 0)
		len += (size_t)snprintf(opts + len, sizeof(opts) - len, ",hugetlb=on,hugetlbsize=%uK",
					s->hugepage_kb);
	if (s->prealloc)
		len += (size_t)snprintf(opts + len, sizeof(opts) - len, ",prealloc=on");
	if (s->numa_node >= 0)
		snprintf(opts + len, sizeof(opts) - len, ",host-nodes=%d,policy=bind", s->numa_node);
	add(a, "-object");
	if (s->mem_path != NULL)
		addf(a, "memory-backend-file,id=mem,size=%uM,mem-path=%s,share=%s%s", s->memory_mb,
		     s->mem_path, s->private_memory ? "off" : "on", opts);
	else
		addf(a, "memory-backend-memfd,id=mem,size=%uM,share=%s%s", s->memory_mb,
		     s->private_memory ? "off" : "on", opts);
	add(a, "-m");
	addf(a, "%uM", s->memory_mb);
}

char *vsl_vm_kernel_cmdline(const struct vsl_vm_spec *s)
{
	/* Under TCG: the kernel can hang calibrating the TSC on a busy host
	 * unless told its rate, and nolapic_timer skips the local APIC timer
	 * calibration (~0.3 s; the PIT stays the tick). */
	char tsc[64] = "";
	if (s->accel == VSL_ACCEL_TCG)
		snprintf(tsc, sizeof(tsc), " nolapic_timer");
	if (s->accel == VSL_ACCEL_TCG && s->tsc_khz > 0)
		snprintf(tsc + strlen(tsc), sizeof(tsc) - strlen(tsc), " tsc_early_khz=%u",
			 s->tsc_khz);
	return xasprintf("console=ttyS0 quiet reboot=t panic=-1%s%s%s", tsc,
			 s->extra_cmdline ? " " : "", s->extra_cmdline ? s->extra_cmdline : "");
}

static void add_cmdline(struct argv_buf *a, const struct vsl_vm_spec *s)
{
	char *line = vsl_vm_kernel_cmdline(s);
	add(a, "-append");
	add(a, line);
	free(line);
}

static void add_nics(struct argv_buf *a, const struct vsl_vm_spec *s)
{
	for (size_t i = 0; i < s->n_nics; i++) {
		const struct vsl_vm_nic *n = &s->nics[i];
		add(a, "-chardev");
		addf(a, "socket,id=chr-%s,path=%s,server=on,wait=off", n->id, n->socket_path);
		add(a, "-netdev");
		addf(a, "vhost-user,id=%s,chardev=chr-%s,queues=%u", n->id, n->id,
		     n->queues ? n->queues : 1);
		add(a, "-device");
		addf(a, "virtio-net-device,netdev=%s%s%s", n->id, n->mac ? ",mac=" : "",
		     n->mac ? n->mac : "");
	}
}

char **vsl_vm_qemu_argv(const struct vsl_vm_spec *s)
{
	struct argv_buf a = { 0 };
	add(&a, s->qemu_bin ? s->qemu_bin : "qemu-system-x86_64");
	/* No pic=off: without the PIC a TCG guest here fails the APIC timer
	 * check ("APIC timer disabled due to verification failure") and is left
	 * with no timer at all (sleep never returns), and -smp 2 hangs. */
	add(&a, "-M");
	addf(&a, "microvm,acpi=%s,rtc=on,isa-serial=on,x-option-roms=off,memory-backend=mem",
	     s->acpi ? "on" : "off");
	add(&a, "-accel");
	add(&a, s->accel == VSL_ACCEL_KVM ? "kvm" : "tcg");
	add(&a, "-cpu");
	add(&a, s->accel == VSL_ACCEL_KVM ? "host" : "max");
	add(&a, "-smp");
	addf(&a, "%u", s->vcpus ? s->vcpus : 1);
	add_memory(&a, s);
	add(&a, "-nodefaults");
	add(&a, "-no-user-config");
	add(&a, "-no-reboot");
	add(&a, "-display");
	add(&a, "none");
	add(&a, "-kernel");
	add(&a, s->kernel);
	add(&a, "-initrd");
	add(&a, s->initramfs);
	add_cmdline(&a, s);
	add(&a, "-serial");
	addf(&a, "file:%s", s->console_log);
	add(&a, "-qmp");
	addf(&a, "unix:%s,server=on,wait=off", s->qmp_socket);
	if (s->rootfs_image != NULL) {
		add(&a, "-drive");
		addf(&a, "id=rootfs,file=%s,format=raw,if=none,readonly=on", s->rootfs_image);
		add(&a, "-device");
		add(&a, "virtio-blk-device,drive=rootfs");
	}
	add_nics(&a, s);
	/* Last: QEMU waits here until the shim connects, so no guest output is lost. */
	add(&a, "-chardev");
	addf(&a, "socket,id=ctl,path=%s,server=on,wait=on", s->ctl_socket);
	add(&a, "-device");
	add(&a, "virtio-serial-device,max_ports=2");
	add(&a, "-device");
	add(&a, "virtserialport,chardev=ctl,name=org.vessel.ctl");
	return a.v;
}

void vsl_argv_free(char **argv)
{
	if (argv == NULL)
		return;
	for (char **p = argv; *p; p++)
		free(*p);
	free(argv);
}

char *vsl_argv_join(char *const *argv)
{
	size_t n = 1;
	for (char *const *p = argv; *p; p++)
		n += strlen(*p) + 1;
	char *s = xzalloc(n), *w = s;
	for (char *const *p = argv; *p; p++)
		w += sprintf(w, "%s%s", p == argv ? "" : " ", *p);
	return s;
}
