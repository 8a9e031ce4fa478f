/* libvirt domain XML for a Vessel microVM: the same machine as
 * vsl_vm_qemu_argv builds (`microvm`, direct boot of our kernel and
 * initramfs, virtio-mmio devices, fd-backed shared memory, the erofs rootfs
 * read-only, the control channel as a virtio-serial port on a unix socket,
 * the serial console to a file, vhost-user NICs with QEMU as the socket
 * server), plus what placement chose as <cputune>/<numatune>.
 *
 * Written with libxml2's xmlTextWriter so names and paths are escaped. QEMU
 * runs under a static DAC label without relabelling: libvirt changes the
 * ownership of nothing; the backend makes the state directory usable by
 * that user instead (backend_libvirt.c).
 */
#include <libxml/xmlwriter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "vessel/cleanup.h"

#define W(call)                                                                                    \
	do {                                                                                       \
		if ((call) < 0)                                                                    \
			goto fail;                                                                 \
	} while (0)

static int elem_text(xmlTextWriterPtr w, const char *name, const char *text)
{
	return xmlTextWriterWriteElement(w, BAD_CAST name, BAD_CAST text);
}

static int attr(xmlTextWriterPtr w, const char *name, const char *value)
{
	return xmlTextWriterWriteAttribute(w, BAD_CAST name, BAD_CAST value);
}

static int start(xmlTextWriterPtr w, const char *name)
{
	return xmlTextWriterStartElement(w, BAD_CAST name);
}

static int end(xmlTextWriterPtr w)
{
	return xmlTextWriterEndElement(w);
}

/* <name a1=v1 a2=v2/>; unused attributes are NULL. */
static int empty(xmlTextWriterPtr w, const char *name, const char *a1, const char *v1,
		 const char *a2, const char *v2)
{
	if (start(w, name) < 0 || (a1 && attr(w, a1, v1) < 0) || (a2 && attr(w, a2, v2) < 0))
		return -1;
	return end(w);
}

/* microvm has no PCI: every virtio device sits on virtio-mmio. */
static int mmio(xmlTextWriterPtr w)
{
	return empty(w, "address", "type", "virtio-mmio", NULL, NULL);
}

/* A spec path made absolute against the state directory (caller frees). */
static char *abs_path(const struct vsl_domain_opts *o, const char *p)
{
	return p[0] == '/' ? xstrdup(p) : xasprintf("%s/%s", o->dir, p);
}

static int write_tuning(xmlTextWriterPtr w, const struct vsl_vm_spec *s)
{
	char buf[32];
	if (s->vcpu_cpus != NULL || s->shared_cpus != NULL) {
		W(start(w, "cputune"));
		for (unsigned i = 0; s->vcpu_cpus != NULL && i < s->vcpus; i++) {
			char vcpu[16];
			snprintf(vcpu, sizeof(vcpu), "%u", i);
			snprintf(buf, sizeof(buf), "%d", s->vcpu_cpus[i]);
			W(empty(w, "vcpupin", "vcpu", vcpu, "cpuset", buf));
		}
		if (s->shared_cpus != NULL && s->shared_cpus[0] != '\0')
			W(empty(w, "emulatorpin", "cpuset", s->shared_cpus, NULL, NULL));
		W(end(w));
	}
	if (s->numa_node >= 0) {
		snprintf(buf, sizeof(buf), "%d", s->numa_node);
		W(start(w, "numatune"));
		W(empty(w, "memory", "mode", "strict", "nodeset", buf));
		W(end(w));
	}
	W(start(w, "memoryBacking"));
	if (s->hugepage_kb != 0) {
		snprintf(buf, sizeof(buf), "%u", s->hugepage_kb);
		W(start(w, "hugepages"));
		W(empty(w, "page", "size", buf, "unit", "KiB"));
		W(end(w));
	}
	W(empty(w, "source", "type", "memfd", NULL, NULL));
	W(empty(w, "access", "mode", s->private_memory ? "private" : "shared", NULL, NULL));
	if (s->prealloc)
		W(empty(w, "allocation", "mode", "immediate", NULL, NULL));
	W(end(w));
	return 0;
fail:
	return -1;
}

static int write_os(xmlTextWriterPtr w, const struct vsl_vm_spec *s)
{
	cleanup_free char *cmdline = vsl_vm_kernel_cmdline(s);
	W(start(w, "os"));
	W(start(w, "type"));
	W(attr(w, "arch", "x86_64"));
	W(attr(w, "machine", "microvm"));
	W(xmlTextWriterWriteString(w, BAD_CAST "hvm"));
	W(end(w));
	W(elem_text(w, "kernel", s->kernel));
	W(elem_text(w, "initrd", s->initramfs));
	W(elem_text(w, "cmdline", cmdline));
	W(end(w));
	if (s->acpi) {
		W(start(w, "features"));
		W(empty(w, "acpi", NULL, NULL, NULL, NULL));
		W(end(w));
	}
	W(empty(w, "cpu", "mode", s->accel == VSL_ACCEL_KVM ? "host-passthrough" : "maximum", NULL,
		NULL));
	W(elem_text(w, "on_poweroff", "destroy"));
	W(elem_text(w, "on_reboot", "destroy"));
	W(elem_text(w, "on_crash", "destroy"));
	return 0;
fail:
	return -1;
}

static int write_nics(xmlTextWriterPtr w, const struct vsl_vm_spec *s)
{
	for (size_t i = 0; i < s->n_nics; i++) {
		const struct vsl_vm_nic *n = &s->nics[i];
		char q[16];
		snprintf(q, sizeof(q), "%u", n->queues ? n->queues : 1);
		W(start(w, "interface"));
		W(attr(w, "type", "vhostuser"));
		if (n->mac != NULL)
			W(empty(w, "mac", "address", n->mac, NULL, NULL));
		W(start(w, "source"));
		W(attr(w, "type", "unix"));
		W(attr(w, "path", n->socket_path));
		W(attr(w, "mode", "server"));
		W(end(w));
		W(empty(w, "model", "type", "virtio", NULL, NULL));
		W(empty(w, "driver", "queues", q, NULL, NULL));
		W(mmio(w));
		W(end(w));
	}
	return 0;
fail:
	return -1;
}

static int write_devices(xmlTextWriterPtr w, const struct vsl_vm_spec *s,
			 const struct vsl_domain_opts *o)
{
	cleanup_free char *rootfs = s->rootfs_image ? abs_path(o, s->rootfs_image) : NULL;
	cleanup_free char *console = abs_path(o, s->console_log);
	cleanup_free char *ctl = abs_path(o, s->ctl_socket);
	W(start(w, "devices"));
	W(elem_text(w, "emulator", o->emulator));
	if (rootfs != NULL) {
		W(start(w, "disk"));
		W(attr(w, "type", "file"));
		W(attr(w, "device", "disk"));
		W(empty(w, "driver", "name", "qemu", "type", "raw"));
		W(empty(w, "source", "file", rootfs, NULL, NULL));
		W(empty(w, "target", "dev", "vda", "bus", "virtio"));
		W(empty(w, "readonly", NULL, NULL, NULL, NULL));
		W(mmio(w));
		W(end(w));
	}
	W(write_nics(w, s));
	W(start(w, "serial"));
	W(attr(w, "type", "file"));
	W(empty(w, "source", "path", console, NULL, NULL));
	W(empty(w, "target", "type", "isa-serial", NULL, NULL));
	W(end(w));
	W(start(w, "controller"));
	W(attr(w, "type", "virtio-serial"));
	W(attr(w, "index", "0"));
	W(mmio(w));
	W(end(w));
	W(start(w, "channel"));
	W(attr(w, "type", "unix"));
	W(empty(w, "source", "mode", "bind", "path", ctl));
	W(empty(w, "target", "type", "virtio", "name", "org.vessel.ctl"));
	W(end(w));
	W(empty(w, "controller", "type", "usb", "model", "none"));
	W(empty(w, "memballoon", "model", "none", NULL, NULL));
	W(end(w));
	return 0;
fail:
	return -1;
}

char *vsl_vm_domain_xml(const struct vsl_vm_spec *s, const struct vsl_domain_opts *o)
{
	char buf[64];
	char *out = NULL;
	xmlBufferPtr b = xmlBufferCreate();
	xmlTextWriterPtr w = b ? xmlNewTextWriterMemory(b, 0) : NULL;
	if (w == NULL)
		goto fail;
	xmlTextWriterSetIndent(w, 1);
	xmlTextWriterSetIndentString(w, BAD_CAST "  ");
	W(start(w, "domain"));
	W(attr(w, "type", s->accel == VSL_ACCEL_KVM ? "kvm" : "qemu"));
	W(elem_text(w, "name", o->name));
	snprintf(buf, sizeof(buf), "%u", s->memory_mb);
	W(start(w, "memory"));
	W(attr(w, "unit", "MiB"));
	W(xmlTextWriterWriteString(w, BAD_CAST buf));
	W(end(w));
	snprintf(buf, sizeof(buf), "%u", s->vcpus ? s->vcpus : 1);
	W(start(w, "vcpu"));
	if (s->shared_cpus != NULL && s->shared_cpus[0] != '\0') /* vCPUs not pinned one by one */
		W(attr(w, "cpuset", s->shared_cpus));
	W(xmlTextWriterWriteString(w, BAD_CAST buf));
	W(end(w));
	W(write_tuning(w, s));
	W(write_os(w, s));
	snprintf(buf, sizeof(buf), "+%u:+%u", o->uid, o->gid);
	W(start(w, "seclabel"));
	W(attr(w, "type", "static"));
	W(attr(w, "model", "dac"));
	W(attr(w, "relabel", "no"));
	W(elem_text(w, "label", buf));
	W(end(w));
	W(write_devices(w, s, o));
	W(xmlTextWriterEndDocument(w));
	xmlFreeTextWriter(w);
	w = NULL;
	out = xstrdup((const char *)xmlBufferContent(b));
fail:
	xmlFreeTextWriter(w);
	xmlBufferFree(b);
	return out;
}
