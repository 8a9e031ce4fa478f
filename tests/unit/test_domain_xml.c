/* Unit tests for the libvirt domain XML (runtime/src/domain_xml.c): the
 * document is parsed back with libxml2 and checked with XPath for the
 * microVM shape libvirt must start (microvm, direct boot, memfd shared
 * memory, virtio-mmio devices, control channel, static DAC label), for the
 * placement it must apply (<vcpupin>, <emulatorpin>, <numatune>), for the
 * vhost-user NICs, and for escaping of paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "backend.h"

static struct vsl_vm_spec base(void)
{
	return (struct vsl_vm_spec){ .kernel = "/k/vmlinux", .initramfs = "/k/initramfs.cpio",
				     .rootfs_image = "rootfs.erofs", .ctl_socket = "ctl.sock",
				     .qmp_socket = "qmp.sock", .console_log = "console.log",
				     .accel = VSL_ACCEL_TCG, .vcpus = 2, .memory_mb = 256,
				     .tsc_khz = 2100000, .numa_node = -1 };
}

static const struct vsl_domain_opts opts = { .name = "vnf1", .dir = "/run/vessel/vnf1",
					     .emulator = "/usr/bin/qemu-system-x86_64",
					     .uid = 64055, .gid = 107 };

static xmlDocPtr parse(const struct vsl_vm_spec *s, const struct vsl_domain_opts *o)
{
	char *xml = vsl_vm_domain_xml(s, o);
	assert_non_null(xml);
	xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL, XML_PARSE_NONET);
	free(xml);
	assert_non_null(doc);
	return doc;
}

/* The string value of an XPath expression ("" when it selects nothing). */
static char *xp(xmlDocPtr doc, const char *expr)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathObjectPtr r = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	assert_non_null(r);
	xmlChar *v = xmlXPathCastToString(r);
	char *out = strdup((const char *)v);
	xmlFree(v);
	xmlXPathFreeObject(r);
	xmlXPathFreeContext(ctx);
	return out;
}

#define assert_xp(doc, expr, want)                                                                 \
	do {                                                                                       \
		char *got_ = xp(doc, expr);                                                        \
		assert_string_equal(got_, want);                                                   \
		free(got_);                                                                        \
	} while (0)

static void test_microvm_shape(void **state)
{
	(void)state;
	struct vsl_vm_spec s = base();
	xmlDocPtr d = parse(&s, &opts);
	assert_xp(d, "string(/domain/@type)", "qemu");
	assert_xp(d, "string(/domain/name)", "vnf1");
	assert_xp(d, "string(/domain/memory)", "256");
	assert_xp(d, "string(/domain/memory/@unit)", "MiB");
	assert_xp(d, "string(/domain/vcpu)", "2");
	assert_xp(d, "string(/domain/os/type/@machine)", "microvm");
	assert_xp(d, "string(/domain/os/kernel)", "/k/vmlinux");
	assert_xp(d, "string(/domain/os/initrd)", "/k/initramfs.cpio");
	assert_xp(d, "contains(/domain/os/cmdline, 'nolapic_timer') and "
		     "contains(/domain/os/cmdline, 'tsc_early_khz=2100000') and "
		     "contains(/domain/os/cmdline, 'reboot=t')", "true");
	assert_xp(d, "string(/domain/cpu/@mode)", "maximum");
	assert_xp(d, "count(/domain/features/acpi)", "0");
	assert_xp(d, "string(/domain/memoryBacking/source/@type)", "memfd");
	assert_xp(d, "string(/domain/memoryBacking/access/@mode)", "shared");
	assert_xp(d, "string(/domain/on_reboot)", "destroy");
	assert_xp(d, "string(/domain/on_poweroff)", "destroy");
	assert_xp(d, "string(/domain/seclabel[@model='dac']/@type)", "static");
	assert_xp(d, "string(/domain/seclabel[@model='dac']/@relabel)", "no");
	assert_xp(d, "string(/domain/seclabel/label)", "+64055:+107");
	assert_xp(d, "string(/domain/devices/emulator)", "/usr/bin/qemu-system-x86_64");
	/* relative spec paths are made absolute in the state directory */
	assert_xp(d, "string(/domain/devices/disk/source/@file)", "/run/vessel/vnf1/rootfs.erofs");
	assert_xp(d, "count(/domain/devices/disk/readonly)", "1");
	assert_xp(d, "string(/domain/devices/disk/target/@bus)", "virtio");
	assert_xp(d, "string(/domain/devices/serial/source/@path)", "/run/vessel/vnf1/console.log");
	assert_xp(d, "string(/domain/devices/channel/source/@path)", "/run/vessel/vnf1/ctl.sock");
	assert_xp(d, "string(/domain/devices/channel/source/@mode)", "bind");
	assert_xp(d, "string(/domain/devices/channel/target/@name)", "org.vessel.ctl");
	/* microvm has no PCI bus: every virtio device on virtio-mmio */
	assert_xp(d, "count(//address[@type!='virtio-mmio'])", "0");
	assert_xp(d, "count(/domain/devices/disk/address[@type='virtio-mmio'])", "1");
	assert_xp(d, "count(/domain/devices/controller[@type='virtio-serial']/address)", "1");
	assert_xp(d, "string(/domain/devices/memballoon/@model)", "none");
	/* not placed: libvirt pins nothing */
	assert_xp(d, "count(/domain/cputune)", "0");
	assert_xp(d, "count(/domain/numatune)", "0");
	xmlFreeDoc(d);
}

static void test_placement(void **state)
{
	(void)state;
	struct vsl_vm_spec s = base();
	int cpus[] = { 2, 3 };
	s.vcpu_cpus = cpus;
	s.shared_cpus = "0-1";
	s.numa_node = 0;
	xmlDocPtr d = parse(&s, &opts);
	assert_xp(d, "count(/domain/cputune/vcpupin)", "2");
	assert_xp(d, "string(/domain/cputune/vcpupin[@vcpu='0']/@cpuset)", "2");
	assert_xp(d, "string(/domain/cputune/vcpupin[@vcpu='1']/@cpuset)", "3");
	assert_xp(d, "string(/domain/cputune/emulatorpin/@cpuset)", "0-1");
	assert_xp(d, "string(/domain/numatune/memory/@mode)", "strict");
	assert_xp(d, "string(/domain/numatune/memory/@nodeset)", "0");
	assert_xp(d, "string(/domain/vcpu/@cpuset)", "0-1");
	assert_xp(d, "count(/domain/memoryBacking/hugepages)", "0");
	xmlFreeDoc(d);
	/* shared policy on hugepages: vCPUs float on the shared set, memory prefaulted */
	s.vcpu_cpus = NULL;
	s.hugepage_kb = 2048;
	s.prealloc = true;
	d = parse(&s, &opts);
	assert_xp(d, "count(/domain/cputune/vcpupin)", "0");
	assert_xp(d, "string(/domain/vcpu/@cpuset)", "0-1");
	assert_xp(d, "string(/domain/memoryBacking/hugepages/page/@size)", "2048");
	assert_xp(d, "string(/domain/memoryBacking/hugepages/page/@unit)", "KiB");
	assert_xp(d, "string(/domain/memoryBacking/source/@type)", "memfd");
	assert_xp(d, "string(/domain/memoryBacking/access/@mode)", "shared");
	assert_xp(d, "string(/domain/memoryBacking/allocation/@mode)", "immediate");
	xmlFreeDoc(d);
}

static void test_nics_and_kvm(void **state)
{
	(void)state;
	struct vsl_vm_spec s = base();
	struct vsl_vm_nic nics[] = {
		{ .id = "eth0", .socket_path = "/run/vessel/vhost/vnf1/eth0.sock",
		  .mac = "52:54:00:12:34:56", .queues = 2 },
		{ .id = "eth1", .socket_path = "/run/vessel/vhost/vnf1/eth1.sock" },
	};
	s.nics = nics;
	s.n_nics = 2;
	s.accel = VSL_ACCEL_KVM;
	s.acpi = true;
	xmlDocPtr d = parse(&s, &opts);
	assert_xp(d, "string(/domain/@type)", "kvm");
	assert_xp(d, "string(/domain/cpu/@mode)", "host-passthrough");
	assert_xp(d, "count(/domain/features/acpi)", "1");
	assert_xp(d, "count(/domain/devices/interface[@type='vhostuser'])", "2");
	assert_xp(d, "string(/domain/devices/interface[1]/source/@path)",
		  "/run/vessel/vhost/vnf1/eth0.sock");
	assert_xp(d, "string(/domain/devices/interface[1]/source/@mode)", "server");
	assert_xp(d, "string(/domain/devices/interface[1]/mac/@address)", "52:54:00:12:34:56");
	assert_xp(d, "string(/domain/devices/interface[1]/driver/@queues)", "2");
	assert_xp(d, "string(/domain/devices/interface[1]/model/@type)", "virtio");
	assert_xp(d, "count(/domain/devices/interface[2]/mac)", "0");
	assert_xp(d, "string(/domain/devices/interface[2]/driver/@queues)", "1");
	assert_xp(d, "count(/domain/devices/interface/address[@type='virtio-mmio'])", "2");
	xmlFreeDoc(d);
}

static void test_paths_are_escaped(void **state)
{
	(void)state;
	struct vsl_vm_spec s = base();
	s.kernel = "/k/<odd> & 'name'/vmlinux";
	s.extra_cmdline = "a=\"b\" <c>";
	struct vsl_domain_opts o = opts;
	o.dir = "/tmp/x&y";
	xmlDocPtr d = parse(&s, &o);
	assert_xp(d, "string(/domain/os/kernel)", "/k/<odd> & 'name'/vmlinux");
	assert_xp(d, "contains(/domain/os/cmdline, 'a=\"b\" <c>')", "true");
	assert_xp(d, "string(/domain/devices/channel/source/@path)", "/tmp/x&y/ctl.sock");
	xmlFreeDoc(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_microvm_shape),
		cmocka_unit_test(test_placement),
		cmocka_unit_test(test_nics_and_kvm),
		cmocka_unit_test(test_paths_are_escaped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
