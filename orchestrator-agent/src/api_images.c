/* /v1/images: import by upload (the body is the archive, streamed to a temp
 * file by the HTTP layer), then unpack with image_archive.c and pack the
 * rootfs with mkfs.erofs into images/<hex>/image.erofs, addressed by the
 * digest of the image config. Delete is refused (409) while a VNF uses it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "http.h"
#include "image.h"
#include "vessel/cleanup.h"
#include "vessel/log.h"

static int run_mkfs(const char *image, const char *rootfs, struct vsl_err **err)
{
	pid_t pid = fork();
	if (pid < 0)
		return vsl_err_make(err, errno, "fork");
	if (pid == 0) {
		int nul = open("/dev/null", O_WRONLY);
		dup2(nul, 1);
		dup2(nul, 2);
		execlp("mkfs.erofs", "mkfs.erofs", "--quiet", image, rootfs, (char *)NULL);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return vsl_err_make(err, 0, "mkfs.erofs `%s` failed (status %d): is erofs-utils installed?",
				    image, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}

static json_t *image_json(json_t *row)
{
	json_t *o = json_deep_copy(row);
	json_object_set_new(o, "config", json_loads(json_string_value(json_object_get(row, "config")), 0, NULL) ?: json_null());
	return o;
}

static json_t *find_image(struct vsl_agent *a, const char *ref, struct vsl_http_reply *out)
{
	cleanup_free char *withpfx = xasprintf("sha256:%s", ref);
	pthread_mutex_lock(&a->db_lock);
	json_t *rows = vsl_db_query(a, NULL, "SELECT * FROM images WHERE digest = ? OR digest = ? OR name = ? "
				    "ORDER BY created_at DESC LIMIT 1", 3, ref, withpfx, ref);
	pthread_mutex_unlock(&a->db_lock);
	json_t *r = json_incref(json_array_get(rows, 0));
	json_decref(rows);
	if (!r)
		vsl_api_err_set(&out->err, 404, "not_found", NULL, "no image `%.100s`", ref);
	return r;
}

void vsl_api_image_import(struct vsl_http_req *r, struct vsl_http_reply *out)
{
	static const char *const args[] = { "name", NULL };
	struct vsl_agent *a = r->a;
	struct vsl_image_info info = { 0 };
	cleanup_err struct vsl_err *err = NULL;
	cleanup_free char *dst = NULL;
	cleanup_free char *cfg = NULL;
	cleanup_free char *now = NULL;
	if (vsl_http_args_only(r, args, out) < 0)
		return;
	const char *name = vsl_http_arg(r, "name");
	if (name && (strlen(name) > 255 || strstr(name, "..") || strspn(name,
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:/@-") != strlen(name))) {
		vsl_api_err_set(&out->err, 400, "invalid_value", "?name", "query `name` must be an image name like busybox:latest");
		return;
	}
	if (r->upload_len == 0) {
		vsl_api_err_set(&out->err, 400, "missing_body", NULL, "send the image archive (tar) as the request body");
		return;
	}
	cleanup_free char *tmp = xasprintf("%s/tmp/import.XXXXXX", a->cfg.state_dir);
	if (!mkdtemp(tmp)) {
		vsl_api_err_set(&out->err, 500, "internal", NULL, "mkdtemp `%s`: %s", tmp, strerror(errno));
		return;
	}
	cleanup_free char *work = xasprintf("%s/work", tmp);
	cleanup_free char *rootfs = xasprintf("%s/rootfs", tmp);
	cleanup_free char *erofs = xasprintf("%s/image.erofs", tmp);
	if (vsl_image_unpack(r->upload, work, rootfs, &info, &err) < 0) {
		vsl_api_err_set(&out->err, 400, "invalid_archive", NULL, "image import: %s", err->msg);
		goto out;
	}
	vsl_rmtree(work);
	struct vsl_http_reply probe = { 0 };
	json_t *existing = find_image(a, info.digest, &probe);
	vsl_api_err_clear(&probe.err); /* "not found" is the usual answer here */
	if (existing) { /* the same image again: idempotent */
		out->json = image_json(existing);
		json_decref(existing);
		goto out;
	}
	if (run_mkfs(erofs, rootfs, &err) < 0) {
		vsl_api_err_set(&out->err, 500, "internal", NULL, "%s", err->msg);
		goto out;
	}
	struct stat st;
	stat(erofs, &st);
	dst = xasprintf("%s/images/%s", a->cfg.state_dir, info.digest + 7);
	if (rename(tmp, dst) < 0) {
		vsl_api_err_set(&out->err, 500, "internal", NULL, "rename to `%s`: %s", dst, strerror(errno));
		goto out;
	}
	chmod(dst, 0755);
	cfg = json_dumps(info.config, JSON_COMPACT);
	now = vsl_now_rfc3339();
	char size[32], layers[16];
	snprintf(size, sizeof(size), "%lld", (long long)st.st_size);
	snprintf(layers, sizeof(layers), "%d", info.layers);
	pthread_mutex_lock(&a->db_lock);
	int rc = vsl_db_exec(a, &err, "INSERT INTO images VALUES (?, ?, ?, ?, ?, ?, ?)", 7, info.digest,
			     name ? name : info.name, info.format, size, layers, cfg, now);
	if (rc >= 0)
		vsl_event_locked(a, "image.imported", "image", info.digest, name ? name : info.name ? info.name : "");
	pthread_mutex_unlock(&a->db_lock);
	if (rc < 0) {
		vsl_rmtree(dst);
		vsl_api_err_set(&out->err, rc == -SQLITE_CONSTRAINT ? 409 : 500,
				rc == -SQLITE_CONSTRAINT ? "conflict" : "internal", NULL, "%s", err->msg);
		goto out;
	}
	json_t *row = find_image(a, info.digest, out);
	out->status = 201;
	out->json = row ? image_json(row) : NULL;
	json_decref(row);
out:
	vsl_rmtree(tmp);
	vsl_image_info_clear(&info);
}

void vsl_api_image_list(struct vsl_http_req *r, struct vsl_http_reply *out)
{
	static const char *const args[] = { NULL };
	if (vsl_http_args_only(r, args, out) < 0)
		return;
	pthread_mutex_lock(&r->a->db_lock);
	json_t *rows = vsl_db_query(r->a, NULL, "SELECT * FROM images ORDER BY created_at", 0);
	pthread_mutex_unlock(&r->a->db_lock);
	json_t *arr = json_array(), *row;
	size_t i;
	json_array_foreach(rows, i, row)
		json_array_append_new(arr, image_json(row));
	json_decref(rows);
	out->json = json_pack("{s:o}", "images", arr);
}

void vsl_api_image_show(struct vsl_http_req *r, struct vsl_http_reply *out)
{
	json_t *row = find_image(r->a, r->id, out);
	if (row) {
		out->json = image_json(row);
		json_decref(row);
	}
}

void vsl_api_image_delete(struct vsl_http_req *r, struct vsl_http_reply *out)
{
	struct vsl_agent *a = r->a;
	json_t *row = find_image(a, r->id, out);
	if (!row)
		return;
	const char *digest = json_string_value(json_object_get(row, "digest"));
	pthread_mutex_lock(&a->db_lock);
	json_t *users = vsl_db_query(a, NULL, "SELECT name FROM vnfs WHERE image = ?", 1, digest);
	int rc = 0;
	if (json_array_size(users) == 0)
		rc = vsl_db_exec(a, NULL, "DELETE FROM images WHERE digest = ?", 1, digest);
	if (json_array_size(users) == 0 && rc >= 0)
		vsl_event_locked(a, "image.deleted", "image", digest, "deleted");
	pthread_mutex_unlock(&a->db_lock);
	if (json_array_size(users) || rc == -SQLITE_CONSTRAINT) {
		vsl_api_err_set(&out->err, 409, "conflict", NULL, "image `%s` is used by VNF `%s`: delete the VNF first",
				digest, json_string_value(json_object_get(json_array_get(users, 0), "name")) ?: "?");
	} else {
		cleanup_free char *dir = xasprintf("%s/images/%s", a->cfg.state_dir, digest + 7);
		vsl_rmtree(dir);
		out->status = 204;
	}
	json_decref(users);
	json_decref(row);
}
