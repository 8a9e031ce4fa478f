/* vessel-init mounts: the guest's own /proc, /sys, /dev at boot, then the
 * container root for Create: the erofs image from virtio-blk as the lower
 * layer of an overlayfs over a tmpfs upper, the OCI mounts under it, a /dev
 * with the standard nodes, and for root.readonly a read-only root mount. The workload later chroots
 * into VI_ROOT (pivot_root does not work from an initramfs, and the VM is the
 * isolation boundary).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "init.h"

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[4096];
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int vi_mount_early(struct vsl_err **err)
{
	static const struct {
		const char *src, *dst, *type, *data;
		unsigned long flags;
	} m[] = {
		{ "devtmpfs", "/dev", "devtmpfs", "mode=0755", MS_NOSUID },
		{ "proc", "/proc", "proc", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC },
		{ "sysfs", "/sys", "sysfs", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC },
		{ "devpts", "/dev/pts", "devpts", "ptmxmode=0666,mode=0620", MS_NOSUID | MS_NOEXEC },
		{ "tmpfs", "/run", "tmpfs", "mode=0755", MS_NOSUID | MS_NODEV },
	};
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		mkdir(m[i].dst, 0755);
		if (mount(m[i].src, m[i].dst, m[i].type, m[i].flags, m[i].data) < 0 && errno != EBUSY)
			return vsl_err_make(err, errno, "mount %s on %s", m[i].type, m[i].dst);
	}
	return 0;
}

static const struct {
	const char *name;
	unsigned long set, clear;
} mount_flags[] = {
	{ "ro", MS_RDONLY, 0 },          { "rw", 0, MS_RDONLY },
	{ "nosuid", MS_NOSUID, 0 },      { "suid", 0, MS_NOSUID },
	{ "nodev", MS_NODEV, 0 },        { "dev", 0, MS_NODEV },
	{ "noexec", MS_NOEXEC, 0 },      { "exec", 0, MS_NOEXEC },
	{ "sync", MS_SYNCHRONOUS, 0 },   { "async", 0, MS_SYNCHRONOUS },
	{ "noatime", MS_NOATIME, 0 },    { "atime", 0, MS_NOATIME },
	{ "nodiratime", MS_NODIRATIME, 0 }, { "diratime", 0, MS_NODIRATIME },
	{ "relatime", MS_RELATIME, 0 },  { "norelatime", 0, MS_RELATIME },
	{ "strictatime", MS_STRICTATIME, 0 }, { "nostrictatime", 0, MS_STRICTATIME },
	{ "dirsync", MS_DIRSYNC, 0 },    { "mand", 0, 0 }, { "nomand", 0, 0 },
	/* propagation flags mean nothing for a VM-private tree */
	{ "private", 0, 0 }, { "rprivate", 0, 0 }, { "shared", 0, 0 }, { "rshared", 0, 0 },
	{ "slave", 0, 0 }, { "rslave", 0, 0 }, { "unbindable", 0, 0 }, { "runbindable", 0, 0 },
	{ "defaults", 0, 0 },
};

int vi_mount_parse_options(char **opts, size_t n, unsigned long *flags,
			   char **data, struct vsl_err **err)
{
	size_t cap = 1, len = 0;
	for (size_t i = 0; i < n; i++)
		cap += strlen(opts[i] ? opts[i] : "") + 1;
	char *d = malloc(cap);
	if (d == NULL)
		return vsl_err_make(err, ENOMEM, "mount options");
	d[0] = '\0';
	*flags = 0;
	for (size_t i = 0; i < n; i++) {
		const char *o = opts[i] ? opts[i] : "";
		size_t k;
		if (*o == '\0')
			continue;
		for (k = 0; k < sizeof(mount_flags) / sizeof(mount_flags[0]); k++)
			if (strcmp(o, mount_flags[k].name) == 0)
				break;
		if (k < sizeof(mount_flags) / sizeof(mount_flags[0])) {
			*flags = (*flags & ~mount_flags[k].clear) | mount_flags[k].set;
			continue;
		}
		if (strcmp(o, "bind") == 0 || strcmp(o, "rbind") == 0) {
			free(d);
			return vsl_err_make(err, EINVAL, "option `%s` is not supported in a microVM", o);
		}
		len += (size_t)sprintf(d + len, "%s%s", len ? "," : "", o);
	}
	*data = d;
	return 0;
}

static bool fs_supported(const char *type)
{
	cleanup_fclose FILE *f = fopen("/proc/filesystems", "re");
	char line[128];
	if (f == NULL)
		return true;
	while (fgets(line, sizeof(line), f)) {
		char *t = strrchr(line, '\t');
		t = t ? t + 1 : line;
		t[strcspn(t, "\n")] = '\0';
		if (strcmp(t, type) == 0)
			return true;
	}
	return false;
}

/* Standard device nodes of an OCI container, made in a tmpfs /dev. */
static int populate_dev(struct vsl_err **err)
{
	static const struct { const char *name; unsigned maj, min; } nodes[] = {
		{ "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
		{ "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
	};
	static const struct { const char *name, *target; } links[] = {
		{ "ptmx", "pts/ptmx" }, { "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" },
		{ "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" },
	};
	const char *dev = VI_ROOT "/dev";
	char path[64];
	for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dev, nodes[i].name);
		if (mknod(path, S_IFCHR | 0666, makedev(nodes[i].maj, nodes[i].min)) < 0 && errno != EEXIST)
			return vsl_err_make(err, errno, "mknod `%s`", path);
		chmod(path, 0666);
	}
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dev, links[i].name);
		if (symlink(links[i].target, path) < 0 && errno != EEXIST)
			return vsl_err_make(err, errno, "symlink `%s`", path);
	}
	snprintf(path, sizeof(path), "%s/pts", dev);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/shm", dev);
	mkdir(path, 01777);
	return 0;
}

static int mount_one(const Vessel__Ctl__Mount *m, bool *have_dev, struct vsl_err **err)
{
	const char *type = m->type && *m->type ? m->type : "none";
	const char *dst = m->destination ? m->destination : "";
	unsigned long flags = 0;
	cleanup_free char *data = NULL;
	char path[4096];

	if (dst[0] != '/' || strstr(dst, "..") != NULL)
		return vsl_err_make(err, EINVAL, "mount destination `%s` must be an absolute path without `..`", dst);
	if (vi_mount_parse_options(m->options, m->n_options, &flags, &data, err) < 0)
		return vsl_err_wrap(err, "mount `%s`", dst);
	if (strcmp(type, "bind") == 0 || strcmp(type, "none") == 0)
		return vsl_err_make(err, EINVAL, "mount `%s`: bind mounts are not supported in a microVM", dst);
	if (strncmp(type, "cgroup", 6) == 0 || !fs_supported(type)) {
		vi_log("vessel-init: skipping mount `%s`: the guest kernel has no %s", dst, type);
		return 0;
	}
	if (snprintf(path, sizeof(path), VI_ROOT "%s", dst) >= (int)sizeof(path))
		return vsl_err_make(err, ENAMETOOLONG, "mount `%s`", dst);
	int r = mkdir_p(path, 0755);
	if (r < 0)
		return vsl_err_make(err, -r, "mount `%s`: mkdir", dst);
	const char *src = m->source && *m->source ? m->source : type;
	if (mount(src, path, type, flags, data) < 0)
		return vsl_err_make(err, errno, "mount `%s` (%s, options `%s`)", dst, type, data);
	if (strcmp(dst, "/dev") == 0) {
		*have_dev = true;
		if (strcmp(type, "tmpfs") == 0 && populate_dev(err) < 0)
			return vsl_err_wrap(err, "mount `/dev`");
	}
	return 0;
}

/* The erofs image is the lower layer of an overlay over a tmpfs, also for
 * root.readonly: like runc, init must be able to create missing mount points;
 * the root mount is made read-only once the mounts are in place. */
static int mount_root(const Vessel__Ctl__Create *c, struct vsl_err **err)
{
	const char *dev = c->rootfs_device && *c->rootfs_device ? c->rootfs_device : "/dev/vda";
	mkdir(VI_ROOT, 0755);
	mkdir(VI_LOWER, 0755);
	if (access(dev, F_OK) < 0)
		return vsl_err_make(err, errno, "mount rootfs `%s`", dev);
	if (mount(dev, VI_LOWER, "erofs", MS_RDONLY | MS_NODEV, NULL) < 0)
		return vsl_err_make(err, errno, "mount rootfs `%s` (erofs) on %s", dev, VI_LOWER);
	mkdir(VI_RW, 0755);
	if (mount("tmpfs", VI_RW, "tmpfs", MS_NODEV, "mode=0755") < 0)
		return vsl_err_make(err, errno, "mount tmpfs on %s (overlay upper)", VI_RW);
	if (mkdir(VI_RW "/upper", 0755) < 0 || mkdir(VI_RW "/work", 0755) < 0)
		return vsl_err_make(err, errno, "mkdir overlay upper/work in %s", VI_RW);
	if (mount("overlay", VI_ROOT, "overlay", 0,
		  "lowerdir=" VI_LOWER ",upperdir=" VI_RW "/upper,workdir=" VI_RW "/work") < 0)
		return vsl_err_make(err, errno, "mount overlay on rootfs `%s`", dev);
	return 0;
}

int vi_mount_container(const Vessel__Ctl__Create *c, struct vsl_err **err)
{
	bool have_dev = false;
	if (mount_root(c, err) < 0)
		return -1;
	for (size_t i = 0; i < c->n_mounts; i++)
		if (mount_one(c->mounts[i], &have_dev, err) < 0)
			return -1;
	if (!have_dev && access(VI_ROOT "/dev", F_OK) == 0 &&
	    mount("devtmpfs", VI_ROOT "/dev", "devtmpfs", MS_NOSUID, "mode=0755") < 0)
		return vsl_err_make(err, errno, "mount devtmpfs on container /dev");
	if (c->rootfs_readonly &&
	    mount(NULL, VI_ROOT, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
		return vsl_err_make(err, errno, "make the root read-only (root.readonly)");
	return 0;
}
