/* Unit tests for the QEMU command-line builder (runtime/src/qemu_cmd.c):
 * the microvm shape the runtime depends on (shared fd-backed memory, direct
 * PVH boot, control port, TCG's tsc_early_khz, no reboot loops). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vm.h"

/* Returns the argument after `opt` whose value contains `needle`, or NULL. */
static const char *find_arg(char **argv, const char *opt, const char *needle)
{
	for (char **p = argv; *p && p[1]; p++)
		if (strcmp(*p, opt) == 0 && strstr(p[1], needle) != NULL)
			return p[1];
	return NULL;
}

static struct vsl_vm_spec base(void)
{
	return (struct vsl_vm_spec){ .kernel = "/k/vmlinux", .initramfs = "/k/initramfs.cpio",
				     .rootfs_image = "rootfs.erofs", .ctl_socket = "ctl.sock",
				     .qmp_socket = "qmp.sock", .console_log = "console.log",
				     .accel = VSL_ACCEL_TCG, .vcpus = 2, .memory_mb = 256,
				     .tsc_khz = 2100000, .numa_node = -1 };
}

static void test_tcg_shape(void **state)
{
	(void)state;
	struct vsl_vm_spec s = base();
	char **argv = vsl_vm_qemu_argv(&s);
	assert_string_equal(argv[0], "qemu-system-x86_64");
	assert_non_null(find_arg(argv, "-M", "microvm,acpi=off"));
	assert_non_null(find_arg(argv, "-M", "memory-backend=mem"));
	assert_non_null(find_arg(argv, "-accel", "tcg"));
	assert_non_null(find_arg(argv, "-cpu", "max"));
	assert_non_null(find_arg(argv, "-smp", "2"));
	assert_non_null(find_arg(argv, "-object", "memory-backend-memfd,id=mem,size=256M,share=on"));
	assert_non_null(find_arg(argv, "-kernel", "/k/vmlinux"));
	assert_non_null(find_arg(argv, "-initrd", "/k/initramfs.cpio"));
	const char *append = find_arg(argv, "-append", "console=ttyS0");
	assert_non_null(append);
	assert_non_null(strstr(append, "reboot=t"));
	assert_non_null(strstr(append, "panic=-1"));
	assert_non_null(strstr(append, "quiet"));
	assert_non_null(strstr(append, "tsc_early_khz=2100000"));
	assert_non_null(strstr(append, "nolapic_timer"));
	assert_non_null(find_arg(argv, "-serial", "file:console.log"));
	assert_non_null(find_arg(argv, "-qmp", "unix:qmp.sock,server=on"));
	assert_non_null(find_arg(argv, "-chardev", "socket,id=ctl,path=ctl.sock,server=on"));
	assert_non_null(find_arg(argv, "-device", "virtserialport,chardev=ctl,name=org.vessel.ctl"));
	assert_non_null(find_arg(argv, "-drive", "file=rootfs.erofs,format=raw,if=none,readonly=on"));
	assert_non_null(find_arg(argv, "-device", "virtio-blk-device,drive=rootfs"));
	int no_reboot = 0, nodefaults = 0;
	for (char **p = argv; *p; p++) {
		no_reboot |= strcmp(*p, "-no-reboot") == 0;
		nodefaults |= strcmp(*p, "-nodefaults") == 0;
	}
	assert_true(no_reboot && nodefaults);
	vsl_argv_free(argv);
}

static void test_kvm_shape(void **state)
{
	(void)state;
	struct vsl_vm_spec s = base();
	s.accel = VSL_ACCEL_KVM;
	char **argv = vsl_vm_qemu_argv(&s);
	assert_non_null(find_arg(argv, "-accel", "kvm"));
	assert_non_null(find_arg(argv, "-cpu", "host"));
	assert_null(find_arg(argv, "-append", "tsc_early_khz")); /* TCG only */
	assert_null(find_arg(argv, "-append", "nolapic_timer"));
	vsl_argv_free(argv);
	s.acpi = true; /* Debian's kernel */
	argv = vsl_vm_qemu_argv(&s);
	assert_non_null(find_arg(argv, "-M", "microvm,acpi=on"));
	vsl_argv_free(argv);
}

static void test_hugepages_numa_nics(void **state)
{
	(void)state;
	struct vsl_vm_nic nic = { .id = "net0", .socket_path = "/run/vessel/vhost/v/eth0.sock",
				  .mac = "52:54:00:00:00:01", .queues = 2 };
	struct vsl_vm_spec s = base();
	s.mem_path = "/dev/hugepages";
	s.numa_node = 1;
	s.nics = &nic;
	s.n_nics = 1;
	char **argv = vsl_vm_qemu_argv(&s);
	const char *mem = find_arg(argv, "-object", "memory-backend-file");
	assert_non_null(mem);
	assert_non_null(strstr(mem, "mem-path=/dev/hugepages"));
	assert_non_null(strstr(mem, "share=on"));
	assert_non_null(strstr(mem, "host-nodes=1,policy=bind"));
	assert_non_null(find_arg(argv, "-netdev", "vhost-user,id=net0,chardev=chr-net0,queues=2"));
	assert_non_null(find_arg(argv, "-device", "virtio-net-device,netdev=net0,mac=52:54:00:00:00:01"));
	assert_non_null(find_arg(argv, "-chardev", "path=/run/vessel/vhost/v/eth0.sock"));
	char *line = vsl_argv_join(argv);
	assert_non_null(strstr(line, "qemu-system-x86_64 -M microvm"));
	free(line);
	vsl_argv_free(argv);
}

static void test_memfd_hugetlb_prealloc(void **state)
{
	(void)state;
	struct vsl_vm_spec s = base();
	s.hugepage_kb = 2048;
	s.prealloc = true;
	s.numa_node = 0;
	char **argv = vsl_vm_qemu_argv(&s);
	assert_non_null(find_arg(argv, "-object", "memory-backend-memfd,id=mem,size=256M,share=on,"
				 "hugetlb=on,hugetlbsize=2048K,prealloc=on,host-nodes=0,policy=bind"));
	vsl_argv_free(argv);
	s = base();
	argv = vsl_vm_qemu_argv(&s);
	const char *mem = find_arg(argv, "-object", "memory-backend-memfd");
	assert_null(strstr(mem, "prealloc"));
	assert_null(strstr(mem, "hugetlb"));
	assert_null(strstr(mem, "host-nodes"));
	vsl_argv_free(argv);
}

static void test_accel_parse(void **state)
{
	(void)state;
	enum vsl_accel a;
	assert_int_equal(vsl_accel_parse("kvm", &a), 0);
	assert_int_equal(a, VSL_ACCEL_KVM);
	assert_int_equal(vsl_accel_parse("tcg", &a), 0);
	assert_int_equal(a, VSL_ACCEL_TCG);
	assert_int_equal(vsl_accel_parse("auto", &a), 0);
	assert_int_equal(a, VSL_ACCEL_AUTO);
	assert_int_equal(vsl_accel_parse("hvf", &a), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcg_shape),
		cmocka_unit_test(test_kvm_shape),
		cmocka_unit_test(test_hugepages_numa_nics),
		cmocka_unit_test(test_memfd_hugetlb_prealloc),
		cmocka_unit_test(test_accel_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
