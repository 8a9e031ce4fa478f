/* Accelerator choice and the host's memory of a failed KVM.
 *
 * On some hosts /dev/kvm opens but no guest boots (a nested hypervisor that
 * dies with "KVM internal error"). The shim then falls back to TCG and calls
 * vsl_accel_remember_fallback so later boots skip the doomed KVM attempt. The
 * memory is keyed by the QEMU binary (size, mtime) and the host kernel
 * release: upgrading either gives KVM another chance.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vessel/cleanup.h"
#include "vm.h"

#define FALLBACK_FILE "accel-fallback.json"

int vsl_accel_parse(const char *s, enum vsl_accel *out)
{
	if (strcmp(s, "auto") == 0)
		*out = VSL_ACCEL_AUTO;
	else if (strcmp(s, "kvm") == 0)
		*out = VSL_ACCEL_KVM;
	else if (strcmp(s, "tcg") == 0)
		*out = VSL_ACCEL_TCG;
	else
		return -1;
	return 0;
}

const char *vsl_accel_name(enum vsl_accel a)
{
	return a == VSL_ACCEL_KVM ? "kvm" : a == VSL_ACCEL_TCG ? "tcg" : "auto";
}

bool vsl_accel_kvm_available(void)
{
	cleanup_close int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false;
	return ioctl(fd, KVM_GET_API_VERSION, 0) == KVM_API_VERSION;
}

/* Resolves a command name through PATH. */
static char *which(const char *bin)
{
	if (strchr(bin, '/') != NULL)
		return xstrdup(bin);
	const char *path = getenv("PATH");
	cleanup_free char *copy = xstrdup(path ? path : "/usr/bin:/bin");
	char *save = NULL;
	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char *p = xasprintf("%s/%s", d, bin);
		if (access(p, X_OK) == 0)
			return p;
		free(p);
	}
	return xstrdup(bin);
}

/* "size:mtime:host-kernel" identifies this QEMU on this host kernel. */
static char *host_key(const char *qemu_bin)
{
	cleanup_free char *path = which(qemu_bin);
	struct stat st;
	struct utsname u;
	if (stat(path, &st) < 0 || uname(&u) < 0)
		return NULL;
	return xasprintf("%s:%lld:%lld:%s", path, (long long)st.st_size,
			 (long long)st.st_mtime, u.release);
}

bool vsl_accel_fallback_remembered(const char *lib_dir, const char *qemu_bin)
{
	cleanup_free char *path = xasprintf("%s/" FALLBACK_FILE, lib_dir);
	json_t *o = json_load_file(path, 0, NULL);
	if (o == NULL)
		return false;
	cleanup_free char *key = host_key(qemu_bin);
	const char *stored = json_string_value(json_object_get(o, "key"));
	bool same = key != NULL && stored != NULL && strcmp(key, stored) == 0;
	json_decref(o);
	return same;
}

static char *qemu_version(const char *qemu_bin)
{
	cleanup_free char *cmd = xasprintf("'%s' --version 2>/dev/null", qemu_bin);
	FILE *p = popen(cmd, "re");
	char line[256] = "";
	if (p == NULL)
		return xstrdup("unknown");
	if (fgets(line, sizeof(line), p) == NULL)
		line[0] = '\0';
	pclose(p);
	line[strcspn(line, "\n")] = '\0';
	return xstrdup(line[0] ? line : "unknown");
}

int vsl_accel_remember_fallback(const char *lib_dir, const char *qemu_bin, const char *reason,
				struct vsl_err **err)
{
	cleanup_free char *key = host_key(qemu_bin);
	if (key == NULL)
		return vsl_err_make(err, errno, "identify QEMU binary `%s`", qemu_bin);
	if (mkdir(lib_dir, 0755) < 0 && errno != EEXIST)
		return vsl_err_make(err, errno, "create `%s`", lib_dir);
	struct utsname u;
	uname(&u);
	cleanup_free char *version = qemu_version(qemu_bin);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "accel", "tcg", "reason", reason,
			      "qemu_version", version, "host_kernel", u.release, "key", key);
	cleanup_free char *path = xasprintf("%s/" FALLBACK_FILE, lib_dir);
	cleanup_free char *tmp = xasprintf("%s.%d", path, (int)getpid());
	int r = json_dump_file(o, tmp, JSON_INDENT(2));
	json_decref(o);
	if (r < 0 || rename(tmp, path) < 0) {
		int e = errno ? errno : EIO;
		unlink(tmp);
		return vsl_err_make(err, e, "write `%s`", path);
	}
	return 0;
}

unsigned vsl_host_tsc_khz(void)
{
	unsigned khz = 0;
	FILE *f = fopen("/sys/devices/system/cpu/cpu0/tsc_freq_khz", "re");
	if (f != NULL) {
		if (fscanf(f, "%u", &khz) != 1)
			khz = 0;
		fclose(f);
		if (khz > 0)
			return khz;
	}
	/* With constant_tsc the "cpu MHz" of a VM guest is the TSC rate. */
	f = fopen("/proc/cpuinfo", "re");
	if (f == NULL)
		return 0;
	char line[512];
	while (fgets(line, sizeof(line), f) != NULL) {
		double mhz;
		if (strncmp(line, "cpu MHz", 7) == 0 && sscanf(strchr(line, ':') + 1, "%lf", &mhz) == 1) {
			khz = (unsigned)(mhz * 1000.0 + 0.5);
			break;
		}
	}
	fclose(f);
	return khz;
}
