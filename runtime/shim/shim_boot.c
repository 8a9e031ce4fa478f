/* Booting the microVM: choose the accelerator, start QEMU, connect the
 * control channel, wait for vessel-init's Ready, send Create.
 *
 * On `--accel auto` a KVM boot that does not reach Ready within
 * KVM_READY_MS (or whose QEMU exits) is abandoned for TCG; the fallback is
 * logged and remembered for the host (vsl_accel_remember_fallback).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "shim.h"
#include "vessel/cleanup.h"
#include "vessel/log.h"

#define KVM_READY_MS 4000   /* a working KVM boot reaches init well under 1 s */
#define TCG_READY_MS 60000  /* ~1-2 s normally; generous for a loaded host */
#define CREATED_MS 30000
#define CTL_CONNECT_MS 10000

/* Notes whether the VM has ended (the backend reaps QEMU if it is our child). */
void shim_reap(struct shim *s)
{
	if (s->vm.ops != NULL)
		s->vm.ops->poll(&s->vm);
}

/* Ends the VM: waits grace_ms for it to exit by itself, then asks it to quit
 * (QMP quit), then forces it. Always waits until it is gone. */
void shim_vm_kill(struct shim *s, int grace_ms)
{
	if (s->vm.ops == NULL || s->vm.priv == NULL)
		return;
	long deadline = shim_now_ms() + grace_ms;
	bool quit_sent = false, killed = false;
	while (!s->vm.gone) {
		shim_reap(s);
		if (s->vm.gone)
			break;
		long now = shim_now_ms();
		if (now >= deadline && !quit_sent) {
			quit_sent = true;
			deadline = now;
			if (s->vm.ops->quit(&s->vm) == 0)
				deadline = now + 2000;
		} else if (now >= deadline && !killed) {
			killed = true;
			s->vm.ops->kill(&s->vm);
		}
		usleep(5000);
	}
	s->vm.ops->release(&s->vm);
}

/* The last telling line of QEMU's own output (skipping its "info:" notes),
 * else of the guest console, for error messages. */
static char *last_line(const char *file, const char *skip)
{
	char line[300], last[300] = "";
	FILE *f = fopen(file, "re");
	if (f == NULL)
		return NULL;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] != '\0' && (skip == NULL || strstr(line, skip) == NULL))
			memcpy(last, line, sizeof(last));
	}
	fclose(f);
	return last[0] ? xasprintf("%s: %s", file, last) : NULL;
}

static char *nic_wait_hint(struct shim *s)
{
	return xasprintf("no output from QEMU or the guest console: QEMU waits until the switch "
			 "connects its NICs; check that %s has port `%s.%s` up",
			 s->nics[0].backend == VSL_NIC_OVS ? "OVS" : "vessel-dp", s->id,
			 s->nics[0].ifname);
}

static char *vm_failure_hint(struct shim *s)
{
	char *h = s->vm.log_path[0] ? last_line(s->vm.log_path, "info:") : NULL;
	if (h == NULL)
		h = last_line("console.log", NULL);
	if (h == NULL && s->n_nics > 0) /* QEMU 7.2 blocks in vhost-user init, before the guest */
		return nic_wait_hint(s);
	return h ? h : xstrdup("no output from QEMU or the guest console");
}

static int connect_ctl(struct shim *s, struct vsl_err **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = "ctl.sock" };
	long deadline = shim_now_ms() + CTL_CONNECT_MS;
	for (;;) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return vsl_err_make(err, errno, "socket");
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			s->ctl_fd = fd;
			return 0;
		}
		int e = errno;
		close(fd);
		shim_reap(s);
		if (s->vm.gone)
			return vsl_err_make(err, 0, "container `%s`: QEMU exited at start (wait "
					    "status %d)", s->id, s->vm.status);
		if ((e != ENOENT && e != ECONNREFUSED) || shim_now_ms() > deadline)
			return vsl_err_make(err, e, "container `%s`: connect to the control socket "
					    "ctl.sock", s->id);
		usleep(2000);
	}
}

/* How long a boot may take to Ready. KVM's bound is what makes the fallback
 * quick; TCG's can be set with VESSEL_BOOT_TIMEOUT (seconds) for slow hosts. */
static int ready_timeout_ms(enum vsl_accel accel)
{
	if (accel == VSL_ACCEL_KVM)
		return KVM_READY_MS;
	const char *env = getenv("VESSEL_BOOT_TIMEOUT");
	int sec = env ? atoi(env) : 0;
	return sec > 0 && sec < 3600 ? sec * 1000 : TCG_READY_MS;
}

/* Starts QEMU with the given accelerator and waits for Ready. */
static int boot_once(struct shim *s, enum vsl_accel accel, Vessel__Ctl__Frame **ready,
		     struct vsl_err **err)
{
	struct vsl_vm_spec spec = {
		.qemu_bin = getenv("VESSEL_QEMU") ? getenv("VESSEL_QEMU") : "qemu-system-x86_64",
		.kernel = s->kernel,
		.initramfs = s->initramfs,
		.rootfs_image = "rootfs.erofs",
		.ctl_socket = "ctl.sock",
		.qmp_socket = "qmp.sock",
		.console_log = "console.log",
		.extra_cmdline = getenv("VESSEL_KERNEL_CMDLINE"),
		.accel = accel,
		.vcpus = s->cfg->vcpus,
		.memory_mb = s->cfg->memory_mb,
		.tsc_khz = accel == VSL_ACCEL_TCG ? vsl_host_tsc_khz() : 0,
		.acpi = vsl_images_need_acpi(s->kernel),
		.numa_node = s->cfg->placement_asked ? s->plan->node : -1,
		.mem_path = s->plan->mem_path,
		.hugepage_kb = (unsigned)s->plan->hugepage_kb,
		.prealloc = s->cfg->mem_prealloc,
		.private_memory = !s->cfg->mem_shared,
		.nics = s->vm_nics,
		.n_nics = s->n_nics,
	};
	/* a backend that pins at start (libvirt) gets the plan in the spec */
	cleanup_free char *shared = NULL;
	if (s->vm.ops->pins_at_start && s->cfg->placement_asked) {
		struct vsl_cpuset set = s->plan->shared;
		if (vsl_cpuset_count(&set) == 0) /* all dedicated: helpers share the node */
			vsl_cpuset_or(&set, &s->plan->dedicated);
		shared = vsl_cpulist_format(&set);
		spec.shared_cpus = shared;
		if (s->plan->cpu_policy == VSL_CPU_DEDICATED)
			spec.vcpu_cpus = s->plan->vcpu_cpu;
	}
	s->vm.start_timeout_ms = ready_timeout_ms(VSL_ACCEL_TCG); /* the generous bound */
	if (s->vm.ops->start(&s->vm, &spec, err) < 0) {
		s->vm.ops->release(&s->vm);
		if ((*err)->code == ETIMEDOUT && s->n_nics > 0) { /* libvirt: blocked in NIC init */
			cleanup_free char *hint = nic_wait_hint(s);
			char *msg = xasprintf("%s (%s)", (*err)->msg, hint);
			free((*err)->msg);
			(*err)->msg = msg;
		}
		return -2; /* the VM never ran: nothing an accelerator change would fix */
	}
	vsl_ctl_reader_free(&s->rd);
	vsl_ctl_reader_init(&s->rd);
	int r = connect_ctl(s, err);
	if (r == 0)
		r = shim_wait_frame(s, VESSEL__CTL__FRAME__MSG_READY, ready_timeout_ms(accel), ready,
				    err);
	if (r < 0) {
		shim_vm_kill(s, 0);
		if (s->ctl_fd >= 0)
			close(s->ctl_fd);
		s->ctl_fd = -1;
		cleanup_free char *hint = vm_failure_hint(s);
		vsl_err_wrap(err, "boot under %s", vsl_accel_name(accel));
		char *msg = xasprintf("%s (%s)", (*err)->msg, hint);
		free((*err)->msg);
		(*err)->msg = msg;
		return -1;
	}
	return 0;
}

static enum vsl_accel first_accel(struct shim *s, const char *qemu_bin)
{
	if (s->accel_req != VSL_ACCEL_AUTO)
		return s->accel_req;
	if (!vsl_accel_kvm_available()) {
		vsl_info("container `%s`: /dev/kvm is not usable: booting under TCG", s->id);
		return VSL_ACCEL_TCG;
	}
	if (vsl_accel_fallback_remembered(s->lib_dir, qemu_bin)) {
		vsl_info("container `%s`: KVM failed on this host before (%s/accel-fallback.json): "
			 "booting under TCG", s->id, s->lib_dir);
		return VSL_ACCEL_TCG;
	}
	return VSL_ACCEL_KVM;
}

static void note_fallback(struct shim *s, const char *qemu_bin, const char *why)
{
	vsl_warn("container `%s`: KVM boot failed (%s): falling back to TCG; remembered in "
		 "%s/accel-fallback.json", s->id, why, s->lib_dir);
	if (s->sync_fd >= 0)
		dprintf(s->sync_fd, "warn container `%s`: KVM boot failed (%s): falling back to TCG\n",
			s->id, why);
	cleanup_err struct vsl_err *e = NULL;
	if (vsl_accel_remember_fallback(s->lib_dir, qemu_bin, why, &e) < 0)
		vsl_warn("container `%s`: cannot remember the KVM fallback: %s", s->id, e->msg);
}

static void record_boot(struct shim *s, const Vessel__Ctl__Ready *ready, long t0)
{
	if (s->vm.id[0] != '\0')
		vsl_state_annotate(s->st, "org.vessel.libvirt.uuid", s->vm.id);
	if (s->vm.handle[0] != '\0')
		vsl_state_annotate(s->st, "org.vessel.libvirt.domain", s->vm.handle);
	vsl_state_annotate(s->st, "org.vessel.kernel_release", ready->kernel_release);
	vsl_state_annotate(s->st, "org.vessel.accel", vsl_accel_name(s->accel));
	vsl_info("container `%s`: guest kernel %s booted under %s, vessel-init %s READY after %ld ms",
		 s->id, ready->kernel_release, vsl_accel_name(s->accel), ready->init_version,
		 shim_now_ms() - t0);
}

/* Places the container (before QEMU exists): a request the host cannot meet
 * fails create here, naming the node and what it lacked. */
int shim_place(struct shim *s, struct vsl_err **err)
{
	s->place_dir = vsl_placement_dir(s->lib_dir);
	if (vsl_placement_make(s->place_dir, s->id, s->cfg, -1, &s->plan, err) < 0)
		return -1;
	if (s->plan->existing)
		vsl_warn("container `%s`: reusing the placement recorded in %s/placement.json",
			 s->id, s->place_dir);
	if (s->plan->hugepage_kb && s->plan->mem_path == NULL)
		vsl_info("container `%s`: no hugetlbfs mount of %lluK pages: using memfd hugetlb=on",
			 s->id, (unsigned long long)s->plan->hugepage_kb);
	cleanup_free char *vcpus = vsl_placement_vcpu_list(s->plan);
	cleanup_free char *shared = vsl_cpulist_format(&s->plan->shared);
	char node[16], pages[32];
	snprintf(node, sizeof(node), "%d", s->plan->node);
	snprintf(pages, sizeof(pages), "%llu", (unsigned long long)s->plan->hugepages);
	vsl_state_annotate(s->st, "org.vessel.placement.node", node);
	vsl_state_annotate(s->st, "org.vessel.placement.vcpu_cpus", vcpus);
	vsl_state_annotate(s->st, "org.vessel.placement.shared_cpus", shared);
	vsl_state_annotate(s->st, "org.vessel.placement.hugepages", pages);
	return 0;
}

/* Create failed: give the placement back (delete does it otherwise). */
void shim_unplace(struct shim *s)
{
	if (s->plan == NULL)
		return;
	cleanup_err struct vsl_err *e = NULL;
	if (vsl_placement_release(s->place_dir, s->id, &e) < 0)
		vsl_warn("%s", e->msg);
	vsl_place_plan_destroy(s->plan);
	s->plan = NULL;
}

/* Records the vCPU thread ids and pins QEMU's threads per the placement. A
 * VNF that asked for no placement (shared, auto, no hugepages) floats like
 * any process, as an unpinned Nova instance does. */
static int pin_vcpus(struct shim *s, struct vsl_err **err)
{
	cleanup_free int *tids = NULL;
	size_t n = 0;
	if (s->vm.ops->vcpu_threads(&s->vm, &tids, &n, err) < 0)
		return vsl_err_wrap(err, "container `%s`", s->id);
	char buf[256] = "";
	size_t len = 0;
	for (size_t i = 0; i < n && len < sizeof(buf) - 16; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%d", i ? "," : "", tids[i]);
	vsl_state_annotate(s->st, "org.vessel.vcpu_threads", buf);
	if (!s->cfg->placement_asked || s->vm.ops->pins_at_start)
		return 0; /* libvirt pinned them from <cputune> */
	return vsl_placement_pin(s->plan, s->vm.pid, tids, n, err);
}

int shim_boot(struct shim *s, struct vsl_err **err)
{
	const char *qemu_bin = getenv("VESSEL_QEMU") ? getenv("VESSEL_QEMU") : "qemu-system-x86_64";
	long t0 = shim_now_ms();
	Vessel__Ctl__Frame *ready = NULL;
	s->accel = first_accel(s, qemu_bin);
	int r = boot_once(s, s->accel, &ready, err);
	if (r == -1 && s->accel == VSL_ACCEL_KVM && s->accel_req == VSL_ACCEL_AUTO) {
		note_fallback(s, qemu_bin, (*err)->msg);
		vsl_err_freep(err);
		s->accel = VSL_ACCEL_TCG;
		r = boot_once(s, s->accel, &ready, err);
	}
	if (r < 0)
		return -1;
	record_boot(s, ready->ready, t0);
	vessel__ctl__frame__free_unpacked(ready, NULL);
	if (s->vm.ops->attach(&s->vm, err) < 0)
		return -1;
	if (pin_vcpus(s, err) < 0)
		return -1;
	Vessel__Ctl__Frame *created = NULL;
	if (shim_send_create(s, err) < 0 ||
	    shim_wait_frame(s, VESSEL__CTL__FRAME__MSG_CREATED, CREATED_MS, &created, err) < 0)
		return -1;
	vessel__ctl__frame__free_unpacked(created, NULL);
	return 0;
}
