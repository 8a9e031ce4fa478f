/* Unit tests for the jail's reading of a QEMU command line
 * (runtime/src/jail.c, vsl_jail_scan_argv): which paths the jailed QEMU
 * gets and how (read-only, written, fd-passed socket, vhost-user socket
 * directory, hugepage path), and the refusals (commas, `..` in a state-dir
 * path, client sockets). The argv is the one qemu_cmd.c builds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jail.h"
#include "vessel/cleanup.h"
#include "vm.h"

static const struct vsl_jail_path *find(const struct vsl_jail_path *v, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].path, path) == 0)
			return &v[i];
	return NULL;
}

static void free_paths(struct vsl_jail_path *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].path);
	free(v);
}

static void test_runtime_argv(void **state)
{
	(void)state;
	struct vsl_vm_nic nic = { .id = "net0", .socket_path = "/run/vessel/vhost/c1/eth0.sock" };
	struct vsl_vm_spec s = { .kernel = "/k/vmlinux", .initramfs = "/k/initramfs.cpio",
				 .rootfs_image = "rootfs.erofs", .ctl_socket = "ctl.sock",
				 .qmp_socket = "qmp.sock", .console_log = "console.log",
				 .accel = VSL_ACCEL_TCG, .vcpus = 1, .memory_mb = 256,
				 .mem_path = "/dev/hugepages", .hugepage_kb = 2048, .numa_node = 0,
				 .nics = &nic, .n_nics = 1 };
	char **argv = vsl_vm_qemu_argv(&s);
	struct vsl_jail_path *v = NULL;
	size_t n = 0;
	cleanup_err struct vsl_err *err = NULL;
	assert_int_equal(vsl_jail_scan_argv(argv, &v, &n, &err), 0);
	const struct vsl_jail_path *p;
	assert_non_null(p = find(v, n, "/k/vmlinux"));
	assert_int_equal(p->kind, VSL_JAIL_RO);
	assert_non_null(p = find(v, n, "/k/initramfs.cpio"));
	assert_int_equal(p->kind, VSL_JAIL_RO);
	assert_non_null(p = find(v, n, "rootfs.erofs"));
	assert_int_equal(p->kind, VSL_JAIL_RO); /* readonly=on */
	assert_non_null(p = find(v, n, "console.log"));
	assert_int_equal(p->kind, VSL_JAIL_RW_FILE);
	assert_non_null(p = find(v, n, "qmp.sock"));
	assert_int_equal(p->kind, VSL_JAIL_FD_SOCK);
	assert_string_equal(argv[p->arg - 1], "-qmp");
	assert_non_null(p = find(v, n, "ctl.sock"));
	assert_int_equal(p->kind, VSL_JAIL_FD_SOCK);
	/* vhost-user: QEMU 7.2 binds it itself, in the VNF's own directory */
	assert_non_null(p = find(v, n, "/run/vessel/vhost/c1"));
	assert_int_equal(p->kind, VSL_JAIL_SOCK_DIR);
	assert_null(find(v, n, "/run/vessel/vhost/c1/eth0.sock"));
	assert_non_null(p = find(v, n, "/dev/hugepages"));
	assert_int_equal(p->kind, VSL_JAIL_MEM);
	assert_int_equal(n, 8);
	free_paths(v, n);
	vsl_argv_free(argv);
}

static void test_refusals(void **state)
{
	(void)state;
	char *comma[] = { "qemu", "-kernel", "/k/a,,b", NULL };
	char *dotdot[] = { "qemu", "-serial", "file:../other/console.log", NULL };
	char *client[] = { "qemu", "-chardev", "socket,id=x,path=/run/x.sock", NULL };
	char *ok_abs[] = { "qemu", "-kernel", "/opt/vessel/bin/../images/vmlinux", NULL };
	char **bad[] = { comma, dotdot, client };
	const char *why[] = { "commas", "`..`", "client socket" };
	for (size_t i = 0; i < 3; i++) {
		struct vsl_jail_path *v = NULL;
		size_t n = 0;
		cleanup_err struct vsl_err *err = NULL;
		assert_int_equal(vsl_jail_scan_argv(bad[i], &v, &n, &err), -1);
		assert_non_null(err);
		assert_non_null(strstr(err->msg, why[i]));
	}
	/* an absolute path outside the state dir is canonicalised later, not refused */
	struct vsl_jail_path *v = NULL;
	size_t n = 0;
	cleanup_err struct vsl_err *err = NULL;
	assert_int_equal(vsl_jail_scan_argv(ok_abs, &v, &n, &err), 0);
	assert_int_equal(n, 1);
	free_paths(v, n);
}

static void test_opt_out(void **state)
{
	(void)state;
	unsetenv("VESSEL_HARDENING");
	assert_true(vsl_jail_enabled());
	setenv("VESSEL_HARDENING", "off", 1);
	assert_false(vsl_jail_enabled());
	setenv("VESSEL_HARDENING", "0", 1);
	assert_false(vsl_jail_enabled());
	setenv("VESSEL_HARDENING", "on", 1);
	assert_true(vsl_jail_enabled());
	unsetenv("VESSEL_HARDENING");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runtime_argv),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_opt_out),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
