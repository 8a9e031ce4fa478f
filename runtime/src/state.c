/* Container state directory and state.json: see state.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "jail.h"
#include "state.h"
#include "vessel/cleanup.h"
#include "vessel/log.h"

static const char *const status_names[] = {
	[VSL_STATUS_CREATING] = "creating", [VSL_STATUS_CREATED] = "created",
	[VSL_STATUS_RUNNING] = "running",   [VSL_STATUS_PAUSED] = "paused",
	[VSL_STATUS_STOPPED] = "stopped",
};

const char *vsl_status_name(enum vsl_status s)
{
	return (unsigned)s < sizeof(status_names) / sizeof(status_names[0]) ? status_names[s]
									    : "unknown";
}

int vsl_status_parse(const char *s, enum vsl_status *out)
{
	for (size_t i = 0; i < sizeof(status_names) / sizeof(status_names[0]); i++)
		if (strcmp(s, status_names[i]) == 0) {
			*out = (enum vsl_status)i;
			return 0;
		}
	return -1;
}

int vsl_state_validate_id(const char *id, struct vsl_err **err)
{
	size_t n = strlen(id);
	if (n == 0)
		return vsl_err_make(err, EINVAL, "container id is empty: give an id");
	if (n > VSL_ID_MAX)
		return vsl_err_make(err, EINVAL, "container id `%.32s...` is longer than %d characters",
				    id, VSL_ID_MAX);
	if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return vsl_err_make(err, EINVAL, "container id `%s` is not allowed", id);
	for (const char *p = id; *p; p++) {
		char ch = *p;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '+' || ch == '-' || ch == '.'))
			return vsl_err_make(err, EINVAL,
					    "container id `%s` has an invalid character: use only "
					    "letters, digits, `_`, `+`, `-`, `.`", id);
	}
	return 0;
}

char *vsl_state_dir(const char *root, const char *id)
{
	return xasprintf("%s/%s", root, id);
}

static int mkdir_p(const char *path, mode_t mode, struct vsl_err **err)
{
	cleanup_free char *p = xstrdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return vsl_err_make(err, errno, "create directory `%s`", p);
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return vsl_err_make(err, errno, "create directory `%s`", p);
	return 0;
}

int vsl_state_create_dir(const char *root, const char *id, struct vsl_err **err)
{
	if (vsl_state_validate_id(id, err) < 0)
		return -1;
	if (mkdir_p(root, 0711, err) < 0)
		return vsl_err_wrap(err, "runtime root");
	/* whoever can write the root can plant <id> as a symlink for us to
	 * write through: only its owner (us) may */
	struct stat st;
	if (stat(root, &st) < 0)
		return vsl_err_make(err, errno, "runtime root `%s`", root);
	if (st.st_uid != geteuid() || (st.st_mode & 022) != 0)
		return vsl_err_make(err, 0, "runtime root `%s` (owner uid %u, mode %04o) is writable "
				    "by others: chown it to uid %u and chmod go-w", root,
				    (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777),
				    (unsigned)geteuid());
	cleanup_free char *dir = vsl_state_dir(root, id);
	if (mkdir(dir, 0700) < 0) {
		if (errno == EEXIST)
			return vsl_err_make(err, EEXIST, "container `%s` already exists (%s): "
					    "delete it first or pick another id", id, dir);
		return vsl_err_make(err, errno, "create state directory `%s`", dir);
	}
	return 0;
}

int vsl_state_remove_dir(const char *root, const char *id, struct vsl_err **err)
{
	cleanup_free char *dir = vsl_state_dir(root, id);
	if (vsl_state_validate_id(id, err) < 0)
		return -1;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC); /* never a symlink */
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (d == NULL) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return e == ENOENT ? 0 : vsl_err_make(err, e, "open `%s`", dir);
	}
	struct dirent *de;
	int r = 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		/* directories: the (empty) jail mount point of jail.c */
		if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT &&
		    (errno != EISDIR || unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) < 0) && r == 0)
			r = vsl_err_make(err, errno, "remove `%s/%s`", dir, de->d_name);
	}
	closedir(d);
	vsl_jail_cleanup(dir, id);
	if (r == 0 && rmdir(dir) < 0 && errno != ENOENT)
		r = vsl_err_make(err, errno, "remove `%s`", dir);
	return r;
}

char *vsl_state_now(void)
{
	char buf[64];
	vsl_time_rfc3339(buf, sizeof(buf));
	return xstrdup(buf);
}

static json_t *state_to_json(const struct vsl_state *st, bool internal)
{
	json_t *o = json_object();
	json_object_set_new(o, "ociVersion", json_string("1.0.2"));
	json_object_set_new(o, "id", json_string(st->id));
	json_object_set_new(o, "status", json_string(vsl_status_name(st->status)));
	json_object_set_new(o, "pid", json_integer(st->status == VSL_STATUS_STOPPED && !internal
						   ? 0 : st->pid));
	json_object_set_new(o, "bundle", json_string(st->bundle ? st->bundle : ""));
	json_object_set_new(o, "created", json_string(st->created ? st->created : ""));
	json_object_set_new(o, "annotations",
			    st->annotations ? json_incref(st->annotations) : json_object());
	if (!internal)
		return o;
	json_object_set_new(o, "qemuPid", json_integer(st->qemu_pid));
	if (st->exited)
		json_object_set_new(o, "exitStatus", json_integer(st->exit_status));
	if (st->error)
		json_object_set_new(o, "error", json_string(st->error));
	return o;
}

char *vsl_state_oci_json(const struct vsl_state *st)
{
	json_t *o = state_to_json(st, false);
	char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (s == NULL)
		abort(); /* out of memory */
	return s;
}

int vsl_state_write(const char *root, const struct vsl_state *st, struct vsl_err **err)
{
	cleanup_free char *dir = vsl_state_dir(root, st->id);
	cleanup_free char *tmp = xasprintf("%s/.state.json.%d", dir, (int)getpid());
	cleanup_free char *path = xasprintf("%s/state.json", dir);
	json_t *o = state_to_json(st, true);
	cleanup_free char *text = json_dumps(o, JSON_PRESERVE_ORDER);
	json_decref(o);
	cleanup_close int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return vsl_err_make(err, errno, "write state of `%s`: open `%s`", st->id, tmp);
	size_t n = strlen(text);
	if (write(fd, text, n) != (ssize_t)n || fsync(fd) < 0) {
		int e = errno ? errno : EIO;
		unlink(tmp);
		return vsl_err_make(err, e, "write state of `%s` to `%s`", st->id, tmp);
	}
	if (rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return vsl_err_make(err, e, "write state of `%s`: rename to `%s`", st->id, path);
	}
	return 0;
}

static char *dup_member(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? xstrdup(s) : NULL;
}

int vsl_state_read(const char *root, const char *id, struct vsl_state **out, struct vsl_err **err)
{
	if (vsl_state_validate_id(id, err) < 0)
		return -1;
	cleanup_free char *path = xasprintf("%s/%s/state.json", root, id);
	json_error_t jerr;
	json_t *o = json_load_file(path, 0, &jerr);
	if (o == NULL) {
		cleanup_free char *dir = vsl_state_dir(root, id);
		if (access(dir, F_OK) < 0)
			return vsl_err_make(err, ENOENT, "container `%s` does not exist (no `%s`): "
					    "check the id and --root", id, dir);
		return vsl_err_make(err, EIO, "container `%s`: state file `%s` is unreadable: %s; "
				    "delete --force it", id, path, jerr.text);
	}
	struct vsl_state *st = xzalloc(sizeof(*st));
	st->id = dup_member(o, "id");
	st->bundle = dup_member(o, "bundle");
	st->created = dup_member(o, "created");
	st->error = dup_member(o, "error");
	st->pid = (pid_t)json_integer_value(json_object_get(o, "pid"));
	st->qemu_pid = (pid_t)json_integer_value(json_object_get(o, "qemuPid"));
	json_t *es = json_object_get(o, "exitStatus");
	st->exited = json_is_integer(es);
	st->exit_status = (int)json_integer_value(es);
	json_t *ann = json_object_get(o, "annotations");
	st->annotations = json_is_object(ann) ? json_incref(ann) : json_object();
	const char *status = json_string_value(json_object_get(o, "status"));
	int bad = st->id == NULL || status == NULL || vsl_status_parse(status, &st->status) < 0;
	json_decref(o);
	if (bad) {
		vsl_state_free(st);
		return vsl_err_make(err, EIO, "container `%s`: state file `%s` is malformed; "
				    "delete --force it", id, path);
	}
	*out = st;
	return 0;
}

bool vsl_state_refresh(struct vsl_state *st)
{
	bool alive = st->pid > 0 && (kill(st->pid, 0) == 0 || errno == EPERM);
	if (alive) {
		/* a zombie counts as gone (the shim's parent has not reaped it yet) */
		char path[64], buf[512];
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)st->pid);
		FILE *f = fopen(path, "re");
		if (f != NULL) {
			if (fgets(buf, sizeof(buf), f) != NULL) {
				char *rp = strrchr(buf, ')');
				if (rp != NULL && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X'))
					alive = false;
			}
			fclose(f);
		}
	}
	if (!alive && st->status != VSL_STATUS_STOPPED && st->status != VSL_STATUS_CREATING)
		st->status = VSL_STATUS_STOPPED;
	return alive;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int vsl_state_list(const char *root, char ***ids, size_t *n, struct vsl_err **err)
{
	*ids = xzalloc(sizeof(char *));
	*n = 0;
	DIR *d = opendir(root);
	if (d == NULL)
		return errno == ENOENT ? 0 : vsl_err_make(err, errno, "open runtime root `%s`", root);
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || vsl_state_validate_id(de->d_name, NULL) < 0)
			continue;
		cleanup_free char *p = xasprintf("%s/%s/state.json", root, de->d_name);
		if (access(p, F_OK) < 0)
			continue;
		*ids = xrealloc(*ids, (*n + 2) * sizeof(char *));
		(*ids)[(*n)++] = xstrdup(de->d_name);
		(*ids)[*n] = NULL;
	}
	closedir(d);
	qsort(*ids, *n, sizeof(char *), cmp_str);
	return 0;
}

void vsl_state_annotate(struct vsl_state *st, const char *key, const char *value)
{
	if (st->annotations == NULL)
		st->annotations = json_object();
	json_object_set_new(st->annotations, key, json_string(value));
}

void vsl_state_free(struct vsl_state *st)
{
	if (st == NULL)
		return;
	free(st->id);
	free(st->bundle);
	free(st->created);
	free(st->error);
	json_decref(st->annotations);
	free(st);
}

void vsl_state_freep(struct vsl_state **st)
{
	vsl_state_free(*st);
	*st = NULL;
}

int vsl_state_write_pid_file(const char *path, pid_t pid, struct vsl_err **err)
{
	cleanup_free char *tmp = xasprintf("%s.%d.tmp", path, (int)getpid());
	FILE *f = fopen(tmp, "we");
	if (f == NULL)
		return vsl_err_make(err, errno, "--pid-file `%s`", path);
	fprintf(f, "%d", (int)pid);
	if (fclose(f) != 0 || rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return vsl_err_make(err, e, "--pid-file `%s`", path);
	}
	return 0;
}

