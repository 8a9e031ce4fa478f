/* The child side of the QEMU jail: runs between fork and exec, as root,
 * from what vsl_jail_create precomputed (no allocation here). Order
 * matters: the cgroup is joined and the mounts made while we are still
 * root; the bounding set is dropped before setuid (which clears the
 * permitted and effective sets); PR_SET_PDEATHSIG is armed again last,
 * because a credential change clears it.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "jail_internal.h"

static int fail(const char *what, const char *path)
{
	dprintf(2, "vessel jail: %s%s%s%s: %s\n", what, path ? " `" : "", path ? path : "",
		path ? "`" : "", strerror(errno));
	return -1;
}

/* mkdir -p of the parents of path (all inside the jail tmpfs). */
static int make_parents(const char *path)
{
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
		errno = ENAMETOOLONG;
		return fail("path", path);
	}
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return fail("mkdir", buf);
		*p = '/';
	}
	return 0;
}

static int bind_one(const struct jail_mount *m)
{
	if (make_parents(m->dst) < 0)
		return -1;
	if (m->dir) {
		if (mkdir(m->dst, 0755) < 0 && errno != EEXIST)
			return fail("mkdir", m->dst);
	} else {
		int fd = open(m->dst, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0)
			return fail("create", m->dst);
		close(fd);
	}
	if (mount(m->src, m->dst, NULL, MS_BIND | MS_REC, NULL) < 0)
		return fail("bind", m->src);
	bool dev = strncmp(m->src, "/dev/", 5) == 0;
	unsigned long fl = MS_REMOUNT | MS_BIND | MS_NOSUID | (dev ? 0 : MS_NODEV) |
			   (m->ro ? MS_RDONLY : 0) |
			   (strcmp(m->src, "/usr") == 0 || dev ? 0 : MS_NOEXEC);
	if (mount(NULL, m->dst, NULL, fl, NULL) < 0 &&
	    (!m->ro || mount(NULL, m->dst, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0))
		return m->ro ? fail("remount read-only", m->dst) : 0;
	return 0;
}

static int build_root(const struct vsl_jail *j)
{
	char path[PATH_MAX];
	if (unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) < 0)
		return fail("unshare namespaces", NULL);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return fail("make mounts private", NULL);
	if (mount("vessel-jail", j->root, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "mode=0755,size=1m,nr_inodes=4096") < 0)
		return fail("mount tmpfs on", j->root);
	for (size_t i = 0; i < j->n_links; i++) {
		snprintf(path, sizeof(path), "%s/%s", j->root, j->links[i].name);
		if (symlink(j->links[i].target, path) < 0)
			return fail("symlink", path);
	}
	for (size_t i = 0; i < j->n_mounts; i++)
		if (bind_one(&j->mounts[i]) < 0)
			return -1;
	if (mount(NULL, j->root, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) < 0)
		return fail("remount read-only", j->root);
	if (chdir(j->root) < 0 || syscall(SYS_pivot_root, ".", ".") < 0)
		return fail("pivot_root into", j->root);
	if (umount2(".", MNT_DETACH) < 0)
		return fail("detach the host root", NULL);
	if (chdir(j->state_dir) < 0)
		return fail("chdir", j->state_dir);
	return 0;
}

static int drop_privileges(const struct vsl_jail *j)
{
	struct rlimit no_core = { 0, 0 };
	if (setrlimit(RLIMIT_CORE, &no_core) < 0)
		return fail("no core dumps", NULL);
	for (int c = 0; c <= j->cap_last; c++)
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			return fail("drop the capability bounding set", NULL);
	if (setgroups(j->n_groups, j->groups) < 0 || setresgid(j->gid, j->gid, j->gid) < 0 ||
	    setresuid(j->uid, j->uid, j->uid) < 0)
		return fail("set uid/gid", NULL);
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data) < 0)
		return fail("clear capabilities", NULL);
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return fail("no_new_privs", NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != j->parent) {
		errno = ESRCH;
		return fail("the shim went away", NULL);
	}
	return 0;
}

int vsl_jail_enter(const struct vsl_jail *j)
{
	char pid[16];
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	for (size_t i = 0; i < j->n_cgroups; i++) {
		int fd = open(j->cg_procs[i], O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, pid, strlen(pid)) < 0)
			return fail("join cgroup", j->cg_procs[i]);
		close(fd);
	}
	if (build_root(j) < 0 || drop_privileges(j) < 0)
		return -1;
	umask(0077);
	for (size_t i = 0; i < j->n_fds; i++)
		if (fcntl(j->fds[i], F_SETFD, 0) < 0)
			return fail("pass a socket to QEMU", NULL);
	return 0;
}

int vsl_jail_shim_drop(struct vsl_err **err)
{
	unsigned long long keep = VSL_JAIL_SHIM_CAPS;
	int last = 63;
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	if (f != NULL) {
		if (fscanf(f, "%d", &last) != 1)
			last = 63;
		fclose(f);
	}
	for (int c = 0; c <= last && c < 64; c++)
		if (!(keep & (1ULL << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			return vsl_err_make(err, errno, "shim: drop capability %d from the bounding set", c);
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];
	memset(data, 0, sizeof(data));
	data[0].permitted = data[0].effective = (__u32)keep;
	data[1].permitted = data[1].effective = (__u32)(keep >> 32);
	if (syscall(SYS_capset, &hdr, data) < 0)
		return vsl_err_make(err, errno, "shim: reduce capabilities");
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return vsl_err_make(err, errno, "shim: no_new_privs");
	return 0;
}
