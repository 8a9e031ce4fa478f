/* The parent side of the QEMU jail (jail.h): reading the paths a QEMU
 * command line names, checking and preparing them for the VNF's own uid,
 * binding the sockets QEMU gets as fds, the uid slot and the cgroup.
 * The child side (namespaces, pivot_root, privilege drop) is jail_enter.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "jail_internal.h"
#include "vessel/cleanup.h"
#include "vessel/log.h"

bool vsl_jail_enabled(void)
{
	const char *v = getenv("VESSEL_HARDENING");
	if (v == NULL || *v == '\0')
		return true;
	return !(strcasecmp(v, "off") == 0 || strcmp(v, "0") == 0 || strcasecmp(v, "no") == 0 ||
		 strcasecmp(v, "false") == 0);
}

uid_t vsl_jail_uid(const struct vsl_jail *j)
{
	return j ? j->uid : 0;
}

/* Value of key in a QEMU option string "a=1,b=2" (",," is a literal comma,
 * which we refuse elsewhere). The first token may be a bare value: key ""
 * matches it. Returns a new string or NULL. */
static char *opt_get(const char *s, const char *key)
{
	size_t klen = strlen(key);
	bool first = true;
	while (*s) {
		size_t n = strcspn(s, ",");
		if (first && klen == 0 && memchr(s, '=', n) == NULL)
			return strndup(s, n);
		if (klen > 0 && n > klen && strncmp(s, key, klen) == 0 && s[klen] == '=')
			return strndup(s + klen + 1, n - klen - 1);
		first = false;
		s += n;
		if (*s == ',')
			s++;
	}
	return NULL;
}

static bool opt_on(const char *s, const char *key)
{
	cleanup_free char *v = opt_get(s, key);
	return v != NULL && (strcmp(v, "on") == 0 || strcmp(v, "true") == 0 || strcmp(v, "yes") == 0);
}

struct scan {
	struct vsl_jail_path *v;
	size_t n, cap;
};

static void scan_add(struct scan *sc, enum vsl_jail_kind kind, char *path, int arg)
{
	if (sc->n == sc->cap) {
		sc->cap = sc->cap ? sc->cap * 2 : 8;
		sc->v = xrealloc(sc->v, sc->cap * sizeof(*sc->v));
	}
	sc->v[sc->n++] = (struct vsl_jail_path){ .kind = kind, .path = path, .arg = arg };
}

/* Is chardev `id` the backend of a vhost-user netdev? (QEMU 7.2 needs fd
 * passing on it, which an fd-given chardev does not offer.) */
static bool vhost_chardev(char *const *argv, const char *id)
{
	for (int i = 0; argv[i] && argv[i + 1]; i++) {
		if (strcmp(argv[i], "-netdev") != 0)
			continue;
		cleanup_free char *type = opt_get(argv[i + 1], "");
		cleanup_free char *chr = opt_get(argv[i + 1], "chardev");
		if (type && strcmp(type, "vhost-user") == 0 && chr && strcmp(chr, id) == 0)
			return true;
	}
	return false;
}

static int scan_chardev(char *const *argv, int i, struct scan *sc, struct vsl_err **err)
{
	const char *v = argv[i + 1];
	cleanup_free char *type = opt_get(v, "");
	if (type == NULL)
		return 0;
	if (strcmp(type, "file") == 0) {
		char *p = opt_get(v, "path");
		if (p)
			scan_add(sc, VSL_JAIL_RW_FILE, p, i + 1);
		return 0;
	}
	if (strcmp(type, "socket") != 0)
		return 0;
	char *p = opt_get(v, "path");
	if (p == NULL)
		return 0;
	if (!opt_on(v, "server")) {
		free(p);
		return vsl_err_make(err, 0, "-chardev `%s`: a client socket cannot be reached from "
				    "the QEMU jail (set VESSEL_HARDENING=off to run it)", v);
	}
	cleanup_free char *id = opt_get(v, "id");
	if (id && vhost_chardev(argv, id)) {
		char *slash = strrchr(p, '/');
		char *dir = slash ? strndup(p, slash == p ? 1 : (size_t)(slash - p)) : xstrdup(".");
		free(p);
		scan_add(sc, VSL_JAIL_SOCK_DIR, dir, i + 1);
		return 0;
	}
	scan_add(sc, VSL_JAIL_FD_SOCK, p, i + 1);
	return 0;
}

static int scan_one(char *const *argv, int i, struct scan *sc, struct vsl_err **err)
{
	const char *o = argv[i], *v = argv[i + 1];
	if (strcmp(o, "-kernel") == 0 || strcmp(o, "-initrd") == 0 || strcmp(o, "-bios") == 0) {
		scan_add(sc, VSL_JAIL_RO, xstrdup(v), i + 1);
	} else if (strcmp(o, "-drive") == 0) {
		char *p = opt_get(v, "file");
		if (p)
			scan_add(sc, opt_on(v, "readonly") ? VSL_JAIL_RO : VSL_JAIL_RW_FILE, p, i + 1);
	} else if (strcmp(o, "-serial") == 0 && strncmp(v, "file:", 5) == 0) {
		scan_add(sc, VSL_JAIL_RW_FILE, xstrdup(v + 5), i + 1);
	} else if (strcmp(o, "-qmp") == 0 && strncmp(v, "unix:", 5) == 0) {
		if (!opt_on(v, "server"))
			return vsl_err_make(err, 0, "-qmp `%s`: only a server socket can be jailed", v);
		scan_add(sc, VSL_JAIL_FD_SOCK, strndup(v + 5, strcspn(v + 5, ",")), i + 1);
	} else if (strcmp(o, "-chardev") == 0) {
		return scan_chardev(argv, i, sc, err);
	} else if (strcmp(o, "-object") == 0 && strncmp(v, "memory-backend-file,", 20) == 0) {
		char *p = opt_get(v, "mem-path");
		if (p)
			scan_add(sc, VSL_JAIL_MEM, p, i + 1);
	}
	return 0;
}

int vsl_jail_scan_argv(char *const *argv, struct vsl_jail_path **out, size_t *n,
		       struct vsl_err **err)
{
	struct scan sc = { 0 };
	int r = 0;
	for (int i = 1; r == 0 && argv[i] && argv[i + 1]; i++) {
		if (argv[i][0] != '-')
			continue;
		if (strstr(argv[i + 1], ",,") != NULL)
			r = vsl_err_make(err, 0, "QEMU option %s `%s`: paths with commas cannot be "
					 "jailed", argv[i], argv[i + 1]);
		else
			r = scan_one(argv, i, &sc, err);
	}
	/* relative paths are the state directory's own files: no way out of it */
	for (size_t k = 0; r == 0 && k < sc.n; k++)
		if (sc.v[k].path[0] == '\0' ||
		    (sc.v[k].path[0] != '/' && (strcmp(sc.v[k].path, "..") == 0 ||
						strstr(sc.v[k].path, "../") != NULL)))
			r = vsl_err_make(err, 0, "QEMU path `%s`: empty or with `..`: refused by "
					 "the jail", sc.v[k].path);
	if (r < 0) {
		for (size_t k = 0; k < sc.n; k++)
			free(sc.v[k].path);
		free(sc.v);
		return -1;
	}
	*out = sc.v;
	*n = sc.n;
	return 0;
}

/* ---- uid slot ---------------------------------------------------------- */

static unsigned env_uint(const char *name, unsigned def, unsigned min, unsigned max)
{
	const char *v = getenv(name);
	char *end;
	unsigned long x = v ? strtoul(v, &end, 10) : def;
	if (v == NULL || *v == '\0' || *end != '\0' || x < min || x > max)
		return def;
	return (unsigned)x;
}

static unsigned hash_str(const char *s)
{
	unsigned h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static int take_slot(struct vsl_jail *j, const char *state_dir, struct vsl_err **err)
{
	const char *dir = getenv("VESSEL_JAIL_DIR");
	if (dir == NULL || *dir == '\0')
		dir = VSL_JAIL_DIR_DEFAULT;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return vsl_err_make(err, errno, "jail: create the uid slot directory `%s` "
				    "(VESSEL_JAIL_DIR)", dir);
	unsigned base = env_uint("VESSEL_JAIL_UID_BASE", VSL_JAIL_UID_BASE_DEFAULT, 1000,
				 4000000000u);
	unsigned start = hash_str(state_dir) % VSL_JAIL_SLOTS;
	for (unsigned k = 0; k < VSL_JAIL_SLOTS; k++) {
		unsigned slot = (start + k) % VSL_JAIL_SLOTS;
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/%u.lock", dir, slot);
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0)
			return vsl_err_make(err, errno, "jail: uid slot `%s`", path);
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			if (ftruncate(fd, 0) == 0)
				dprintf(fd, "%d %s\n", (int)getpid(), state_dir);
			j->lock_fd = fd;
			j->uid = base + slot;
			j->gid = base + slot;
			return 0;
		}
		close(fd);
	}
	return vsl_err_make(err, 0, "jail: all %u uid slots in `%s` are taken", VSL_JAIL_SLOTS, dir);
}

/* ---- paths -------------------------------------------------------------- */

static void add_mount(struct vsl_jail *j, const char *src, bool dir, bool ro)
{
	if (j->n_mounts == j->cap_mounts) {
		j->cap_mounts = j->cap_mounts ? j->cap_mounts * 2 : 16;
		j->mounts = xrealloc(j->mounts, j->cap_mounts * sizeof(*j->mounts));
	}
	char *abs = src[0] == '/' ? xstrdup(src) : xasprintf("%s/%s", j->state_dir, src);
	j->mounts[j->n_mounts++] = (struct jail_mount){
		.src = abs, .dst = xasprintf("%s%s", j->root, abs), .dir = dir, .ro = ro };
}

/* Is path (relative to the state dir, or absolute) inside the state dir? */
static bool in_state_dir(const struct vsl_jail *j, const char *path)
{
	if (path[0] != '/')
		return true;
	size_t n = strlen(j->state_dir);
	return strncmp(path, j->state_dir, n) == 0 && path[n] == '/';
}

/* Exposes a read-only file; one outside the state directory by its
 * canonical path, returned in real (QEMU's argument is rewritten to it). */
static int prep_ro(struct vsl_jail *j, const char *path, char *real, struct vsl_err **err)
{
	struct stat st;
	real[0] = '\0';
	if (in_state_dir(j, path)) {
		/* ours (the rootfs image): root-owned, readable by this VNF's gid only */
		cleanup_close int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0)
			return vsl_err_make(err, errno, "jail: `%s`", path);
		if (!S_ISREG(st.st_mode))
			return vsl_err_make(err, 0, "jail: `%s` is not a regular file", path);
		if (fchown(fd, 0, j->gid) < 0 || fchmod(fd, 0440) < 0)
			return vsl_err_make(err, errno, "jail: give `%s` to gid %u", path,
					    (unsigned)j->gid);
	} else {
		if (realpath(path, real) == NULL || stat(real, &st) < 0)
			return vsl_err_make(err, errno, "jail: `%s`", path);
		path = real;
		if (!(st.st_mode & S_IROTH))
			return vsl_err_make(err, 0, "jail: `%s` is not world-readable: the jailed "
					    "QEMU (uid %u) cannot read it; chmod o+r it or set "
					    "VESSEL_HARDENING=off", path, (unsigned)j->uid);
	}
	add_mount(j, path, false, true);
	return 0;
}

static int prep_rw_file(struct vsl_jail *j, const char *path, struct vsl_err **err)
{
	if (!in_state_dir(j, path))
		return vsl_err_make(err, 0, "jail: QEMU would write `%s`, outside the state "
				    "directory `%s`", path, j->state_dir);
	cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return vsl_err_make(err, errno, "jail: `%s`", path);
	if (!S_ISREG(st.st_mode))
		return vsl_err_make(err, 0, "jail: `%s` is not a regular file", path);
	if (fchown(fd, j->uid, j->gid) < 0 || fchmod(fd, 0600) < 0)
		return vsl_err_make(err, errno, "jail: give `%s` to uid %u", path, (unsigned)j->uid);
	add_mount(j, path, false, false);
	return 0;
}

/* A directory QEMU binds vhost-user sockets in: it must belong to this VNF
 * alone (<root>/vhost/<id>), never a shared one. */
static int prep_sock_dir(struct vsl_jail *j, const char *dir, struct vsl_err **err)
{
	struct stat st;
	const char *base = strrchr(dir, '/');
	base = base ? base + 1 : dir;
	if (strcmp(base, j->id) != 0)
		return vsl_err_make(err, 0, "jail: socket directory `%s` is not this VNF's own "
				    "(`.../%s`): QEMU cannot be given write access to it", dir, j->id);
	if (lstat(dir, &st) < 0 && errno == ENOENT) { /* <root>/vhost/<id>: made here if first */
		cleanup_free char *parent = strndup(dir, (size_t)(base - dir));
		if (parent[0] != '\0' && mkdir(parent, 0711) < 0 && errno != EEXIST)
			return vsl_err_make(err, errno, "jail: socket directory `%s`", parent);
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return vsl_err_make(err, errno, "jail: socket directory `%s`", dir);
	}
	if (lstat(dir, &st) < 0)
		return vsl_err_make(err, errno, "jail: socket directory `%s`", dir);
	if (!S_ISDIR(st.st_mode))
		return vsl_err_make(err, 0, "jail: socket directory `%s` is not a directory "
				    "(a symlink?)", dir);
	if (chown(dir, j->uid, j->gid) < 0 || chmod(dir, 0700) < 0)
		return vsl_err_make(err, errno, "jail: give `%s` to uid %u", dir, (unsigned)j->uid);
	j->sock_dirs = xrealloc(j->sock_dirs, (j->n_sock_dirs + 1) * sizeof(char *));
	j->sock_dirs[j->n_sock_dirs++] = xstrdup(dir);
	add_mount(j, dir, true, false);
	return 0;
}

/* Binds a server socket for QEMU (mode 0600, root) and returns its fd. */
static int bind_fd_sock(struct vsl_jail *j, const char *path, struct vsl_err **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	if (!in_state_dir(j, path))
		return vsl_err_make(err, 0, "jail: socket `%s` is outside the state directory", path);
	if (strlen(path) >= sizeof(sa.sun_path))
		return vsl_err_make(err, 0, "jail: socket path `%s` is too long", path);
	strcpy(sa.sun_path, path);
	if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode))
		return vsl_err_make(err, 0, "jail: `%s` exists and is not a socket", path);
	unlink(path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return vsl_err_make(err, errno, "socket");
	mode_t old = umask(0077);
	int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || chmod(path, 0600) < 0 || listen(fd, 8) < 0) {
		int e = errno;
		close(fd);
		return vsl_err_make(err, e, "jail: listen on `%s`", path);
	}
	j->fds = xrealloc(j->fds, (j->n_fds + 1) * sizeof(int));
	j->fds[j->n_fds++] = fd;
	return fd;
}

/* memory-backend-file: a hugetlbfs directory gets a per-VNF subdirectory
 * (QEMU creates and at once unlinks its file there); a file path is given
 * to the VNF. Returns the (possibly new) mem-path in *use. */
static int prep_mem(struct vsl_jail *j, const char *path, char **use, struct vsl_err **err)
{
	struct stat st;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		j->mem_dir = xasprintf("%s/vessel-jail-%u", path, (unsigned)j->uid);
		if (mkdir(j->mem_dir, 0700) < 0 && errno != EEXIST)
			return vsl_err_make(err, errno, "jail: hugepage directory `%s`", j->mem_dir);
		if (lstat(j->mem_dir, &st) < 0 || !S_ISDIR(st.st_mode) ||
		    chown(j->mem_dir, j->uid, j->gid) < 0)
			return vsl_err_make(err, errno, "jail: hugepage directory `%s`", j->mem_dir);
		add_mount(j, j->mem_dir, true, false);
		*use = xstrdup(j->mem_dir);
		return 0;
	}
	cleanup_close int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || fstat(fd, &st) < 0)
		return vsl_err_make(err, errno, "jail: memory file `%s`", path);
	if (!S_ISREG(st.st_mode) || fchown(fd, j->uid, j->gid) < 0)
		return vsl_err_make(err, errno, "jail: memory file `%s`", path);
	add_mount(j, path, false, false);
	*use = xstrdup(path);
	return 0;
}

/* Replaces key=value in a QEMU option string (key must be present). */
static char *opt_replace(const char *s, const char *key, const char *repl)
{
	size_t klen = strlen(key);
	const char *p = s;
	while (*p) {
		size_t n = strcspn(p, ",");
		if (strncmp(p, key, klen) == 0 && p[klen] == '=')
			return xasprintf("%.*s%s%s", (int)(p - s), s, repl, p + n);
		p += n;
		if (*p == ',')
			p++;
	}
	return xstrdup(s);
}

/* s with the first occurrence of from replaced by to (new string). */
static char *str_replace(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	if (at == NULL)
		return xstrdup(s);
	return xasprintf("%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
}

struct argv_out {
	char **v;
	size_t n, cap;
};

static void out_add(struct argv_out *a, char *s)
{
	if (a->n + 2 > a->cap) {
		a->cap = a->cap ? a->cap * 2 : 64;
		a->v = xrealloc(a->v, a->cap * sizeof(char *));
	}
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

/* Prepares one path and stores the rewritten option value (if any) in
 * repl[arg]. */
static int prep_path(struct vsl_jail *j, char **argv, const struct vsl_jail_path *p, char **repl,
		     struct vsl_err **err)
{
	switch (p->kind) {
	case VSL_JAIL_RO: {
		char real[PATH_MAX];
		if (prep_ro(j, p->path, real, err) < 0)
			return -1;
		if (real[0] != '\0' && strcmp(real, p->path) != 0)
			repl[p->arg] = str_replace(argv[p->arg], p->path, real);
		return 0;
	}
	case VSL_JAIL_RW_FILE: return prep_rw_file(j, p->path, err);
	case VSL_JAIL_SOCK_DIR: return prep_sock_dir(j, p->path, err);
	case VSL_JAIL_MEM: {
		cleanup_free char *use = NULL;
		if (prep_mem(j, p->path, &use, err) < 0)
			return -1;
		cleanup_free char *kv = xasprintf("mem-path=%s", use);
		repl[p->arg] = opt_replace(argv[p->arg], "mem-path", kv);
		return 0;
	}
	case VSL_JAIL_FD_SOCK: {
		int fd = bind_fd_sock(j, p->path, err);
		if (fd < 0)
			return -1;
		cleanup_free char *kv = xasprintf("fd=%d", fd);
		if (strcmp(argv[p->arg - 1], "-qmp") == 0) {
			const char *rest = argv[p->arg] + 5 + strcspn(argv[p->arg] + 5, ",");
			repl[p->arg] = xasprintf("socket,id=vsl-qmp%d,%s%s\001chardev=vsl-qmp%d,"
						 "mode=control", fd, kv, rest, fd);
		} else {
			repl[p->arg] = opt_replace(argv[p->arg], "path", kv);
		}
		return 0;
	}
	}
	return 0;
}

/* The new argv: replaced values, -qmp turned into -chardev + -mon (the \x01
 * in a replacement separates the -mon value), and the seccomp sandbox. */
static char **rewrite_argv(char **argv, char **repl)
{
	struct argv_out a = { 0 };
	for (int i = 0; argv[i]; i++) {
		if (repl[i] == NULL) {
			out_add(&a, xstrdup(argv[i]));
			continue;
		}
		char *mon = strchr(repl[i], '\x01');
		if (mon != NULL) {
			*mon++ = '\0';
			free(a.v[--a.n]); /* "-qmp" */
			out_add(&a, xstrdup("-chardev"));
			out_add(&a, xstrdup(repl[i]));
			out_add(&a, xstrdup("-mon"));
			out_add(&a, xstrdup(mon));
		} else {
			out_add(&a, xstrdup(repl[i]));
		}
	}
	out_add(&a, xstrdup("-sandbox"));
	out_add(&a, xstrdup(VSL_JAIL_SANDBOX));
	return a.v;
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int prep_argv(struct vsl_jail *j, char ***argvp, struct vsl_err **err)
{
	char **argv = *argvp;
	size_t argc = 0;
	while (argv[argc])
		argc++;
	struct vsl_jail_path *paths = NULL;
	size_t n = 0;
	if (vsl_jail_scan_argv(argv, &paths, &n, err) < 0)
		return -1;
	char **repl = xzalloc((argc + 1) * sizeof(char *));
	int r = 0;
	for (size_t k = 0; r == 0 && k < n; k++)
		r = prep_path(j, argv, &paths[k], repl, err);
	/* the binary itself, when it is not under /usr (a test's QEMU) */
	if (r == 0 && strchr(argv[0], '/') != NULL && strncmp(argv[0], "/usr/", 5) != 0)
		r = prep_ro(j, argv[0], (char[PATH_MAX]){ 0 }, err);
	if (r == 0) {
		char **nv = rewrite_argv(argv, repl);
		free_strv(argv, argc);
		*argvp = nv;
	}
	free_strv(repl, argc);
	for (size_t k = 0; k < n; k++)
		free(paths[k].path);
	free(paths);
	return r;
}

/* ---- whole jail ----------------------------------------------------------- */

static void jail_free(struct vsl_jail *j)
{
	for (size_t i = 0; i < j->n_mounts; i++) {
		free(j->mounts[i].src);
		free(j->mounts[i].dst);
	}
	free(j->mounts);
	for (size_t i = 0; i < j->n_fds; i++)
		if (j->fds[i] >= 0)
			close(j->fds[i]);
	free(j->fds);
	free_strv(j->sock_dirs, j->n_sock_dirs);
	for (size_t i = 0; i < j->n_cgroups; i++) {
		free(j->cgroups[i]);
		free(j->cg_procs[i]);
	}
	if (j->lock_fd >= 0)
		close(j->lock_fd);
	free(j->mem_dir);
	free(j->id);
	free(j->state_dir);
	free(j->root);
	free(j);
}

static void host_mounts(struct vsl_jail *j)
{
	static const char *const top[] = { "bin", "sbin", "lib", "lib32", "lib64", "libx32" };
	static const char *const dev[] = { "/dev/null", "/dev/zero", "/dev/full", "/dev/random",
					   "/dev/urandom", "/dev/kvm" };
	add_mount(j, "/usr", true, true);
	for (size_t i = 0; i < sizeof(top) / sizeof(top[0]); i++) {
		char path[64], link[PATH_MAX];
		snprintf(path, sizeof(path), "/%s", top[i]);
		ssize_t n = readlink(path, link, sizeof(link) - 1);
		struct stat st;
		if (n > 0 && (size_t)n < sizeof(j->links[0].target) &&
		    j->n_links < sizeof(j->links) / sizeof(j->links[0])) {
			link[n] = '\0';
			snprintf(j->links[j->n_links].name, sizeof(j->links[0].name), "%s", top[i]);
			memcpy(j->links[j->n_links].target, link, (size_t)n + 1);
			j->n_links++;
		} else if (n < 0 && lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			add_mount(j, path, true, true);
		}
	}
	for (size_t i = 0; i < sizeof(dev) / sizeof(dev[0]); i++) {
		struct stat st;
		if (stat(dev[i], &st) == 0 && S_ISCHR(st.st_mode)) {
			add_mount(j, dev[i], false, false);
			if (strcmp(dev[i], "/dev/kvm") == 0 && st.st_gid != 0)
				j->groups[j->n_groups++] = st.st_gid;
		}
	}
}

static int read_cap_last(void)
{
	int last = 40;
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	if (f != NULL) {
		if (fscanf(f, "%d", &last) != 1)
			last = 40;
		fclose(f);
	}
	return last;
}

int vsl_jail_create(const struct vsl_jail_opts *o, char ***argv, struct vsl_jail **out,
		    struct vsl_err **err)
{
	struct vsl_jail *j = xzalloc(sizeof(*j));
	j->lock_fd = -1;
	j->id = xstrdup(o->id);
	j->state_dir = xstrdup(o->state_dir);
	j->root = xasprintf("%s/jail", o->state_dir);
	j->parent = getpid();
	j->cap_last = read_cap_last();
	int r = take_slot(j, o->state_dir, err);
	if (r == 0 && mkdir(j->root, 0700) < 0 && errno != EEXIST)
		r = vsl_err_make(err, errno, "jail: create `%s`", j->root);
	if (r == 0) {
		host_mounts(j);
		r = prep_argv(j, argv, err);
	}
	if (r == 0)
		r = vsl_jail_cgroup_create(j, o, err);
	if (r < 0) {
		vsl_jail_destroy(j);
		return vsl_err_wrap(err, "container `%s`", o->id);
	}
	vsl_debug("container `%s`: QEMU jailed as uid %u in `%s` (%zu paths, cgroup %s)", o->id,
		  (unsigned)j->uid, j->root, j->n_mounts, j->n_cgroups ? j->cgroups[0] : "none");
	*out = j;
	return 0;
}

void vsl_jail_started(struct vsl_jail *j)
{
	if (j == NULL)
		return;
	for (size_t i = 0; i < j->n_fds; i++)
		if (j->fds[i] >= 0)
			close(j->fds[i]);
	j->n_fds = 0;
}

void vsl_jail_seal(struct vsl_jail *j)
{
	if (j == NULL)
		return;
	for (size_t i = 0; i < j->n_sock_dirs; i++)
		if (chown(j->sock_dirs[i], 0, 0) < 0 || chmod(j->sock_dirs[i], 0755) < 0)
			vsl_warn("container `%s`: jail: give `%s` back to root: %s", j->id,
				 j->sock_dirs[i], strerror(errno));
	/* QEMU has made (and unlinked) its guest RAM file: no new ones */
	if (j->mem_dir != NULL && (chown(j->mem_dir, 0, 0) < 0 || chmod(j->mem_dir, 0755) < 0))
		vsl_warn("container `%s`: jail: give `%s` back to root: %s", j->id, j->mem_dir,
			 strerror(errno));
}

void vsl_jail_destroy(struct vsl_jail *j)
{
	if (j == NULL)
		return;
	vsl_jail_seal(j);
	vsl_jail_cgroup_remove(j);
	if (j->mem_dir != NULL && rmdir(j->mem_dir) < 0 && errno != ENOENT)
		vsl_warn("container `%s`: jail: remove `%s`: %s", j->id, j->mem_dir, strerror(errno));
	rmdir(j->root);
	jail_free(j);
}
