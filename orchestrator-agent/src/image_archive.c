/* The image-archive reader (see image.h). Two steps: the outer tar is
 * extracted (regular files only, names checked) into a work directory so
 * blobs can be opened by name; then each layer is applied in order in two
 * passes, whiteouts first (they delete from the lower layers), then the
 * entries through archive_write_disk with its secure-path checks. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "image.h"
#include "vessel/cleanup.h"

#define MAX_JSON (4 << 20)

void vsl_image_info_clear(struct vsl_image_info *info)
{
	free(info->name);
	json_decref(info->config);
	memset(info, 0, sizeof(*info));
}

static int rm_at(int dfd, const char *name)
{
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (S_ISDIR(st.st_mode)) {
		int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return -1;
		DIR *d = fdopendir(fd);
		struct dirent *de;
		if (!d) {
			close(fd);
			return -1;
		}
		while ((de = readdir(d)))
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				rm_at(fd, de->d_name);
		closedir(d);
		return unlinkat(dfd, name, AT_REMOVEDIR);
	}
	return unlinkat(dfd, name, 0);
}

int vsl_rmtree(const char *path)
{
	return rm_at(AT_FDCWD, path);
}

/* Removes everything inside directory fd (an opaque whiteout). */
static void clear_dir(int fd)
{
	int dup_fd = dup(fd);
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	struct dirent *de;
	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		return;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			rm_at(fd, de->d_name);
	closedir(d);
}

/* Normalises an entry name ("./a//b/" -> "a/b", "./" -> ""); NULL if it
 * has a `..` component. Caller frees. */
static char *clean_name(const char *in)
{
	char *out = xmalloc(strlen(in) + 1), *o = out;
	const char *p = in;
	while (*p) {
		while (*p == '/')
			p++;
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0)
			break;
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			free(out);
			return NULL;
		}
		if (!(n == 1 && p[0] == '.')) {
			if (o != out)
				*o++ = '/';
			memcpy(o, p, n);
			o += n;
		}
		p += n;
	}
	*o = '\0';
	return out; /* "" for the root itself ("./") */
}

/* Opens directory `rel` under root fd without following any symlink and
 * without leaving the root. */
static int open_beneath(int rootfd, const char *rel)
{
	struct open_how how = { .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
					   RESOLVE_NO_MAGICLINKS };
	return (int)syscall(SYS_openat2, rootfd, *rel ? rel : ".", &how, sizeof(how));
}

static int apply_whiteouts(struct archive *ar, int rootfd, const char *layer, struct vsl_err **err)
{
	struct archive_entry *en;
	int r;
	while ((r = archive_read_next_header(ar, &en)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		const char *raw = archive_entry_pathname(en);
		cleanup_free char *name = raw ? clean_name(raw) : NULL;
		if (!name)
			return vsl_err_make(err, 0, "layer `%s`: entry `%s`: name has `..`",
					    layer, raw ? raw : "");
		if (!*name)
			continue;
		char *slash = strrchr(name, '/');
		const char *base = slash ? slash + 1 : name;
		if (strncmp(base, ".wh.", 4) != 0)
			continue;
		if (slash)
			*slash = '\0';
		cleanup_close int dfd = open_beneath(rootfd, slash ? name : "");
		if (dfd < 0)
			continue; /* parent absent (or a symlink): nothing to hide */
		if (strcmp(base, ".wh..wh..opq") == 0)
			clear_dir(dfd);
		else if (base[4] && strcmp(base + 4, ".") && strcmp(base + 4, ".."))
			rm_at(dfd, base + 4);
	}
	if (r != ARCHIVE_EOF)
		return vsl_err_make(err, 0, "layer `%s`: %s", layer, archive_error_string(ar));
	return 0;
}

static struct archive *open_layer(const char *path, struct vsl_err **err)
{
	struct archive *ar = archive_read_new();
	archive_read_support_filter_all(ar);
	archive_read_support_format_tar(ar);
	if (archive_read_open_filename(ar, path, 65536) != ARCHIVE_OK) {
		vsl_err_make(err, 0, "layer `%s`: %s", path, archive_error_string(ar));
		archive_read_free(ar);
		return NULL;
	}
	return ar;
}

static int extract_entries(struct archive *ar, const char *rootfs, const char *layer,
			   struct vsl_err **err)
{
	struct archive *w = archive_write_disk_new();
	struct archive_entry *en;
	int r, ret = 0;
	archive_write_disk_set_options(w, ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
					  ARCHIVE_EXTRACT_UNLINK | ARCHIVE_EXTRACT_PERM |
					  ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_TIME |
					  ARCHIVE_EXTRACT_XATTR);
	while ((r = archive_read_next_header(ar, &en)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		cleanup_free char *name = clean_name(archive_entry_pathname(en) ?: "");
		if (!name) {
			ret = vsl_err_make(err, 0, "layer `%s`: entry name has `..`", layer);
			break;
		}
		if (!*name)
			continue; /* the root directory itself */
		const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
		mode_t type = archive_entry_filetype(en);
		if (strncmp(base, ".wh.", 4) == 0 || type == AE_IFCHR || type == AE_IFBLK)
			continue; /* whiteouts done; no device nodes from uploads */
		cleanup_free char *full = xasprintf("%s/%s", rootfs, name);
		archive_entry_set_pathname(en, full);
		const char *hl = archive_entry_hardlink(en);
		if (hl) {
			cleanup_free char *h = clean_name(hl);
			if (!h || !*h) {
				ret = vsl_err_make(err, 0, "layer `%s`: entry `%s`: hard link target has `..`",
						   layer, name);
				break;
			}
			cleanup_free char *hfull = xasprintf("%s/%s", rootfs, h);
			archive_entry_set_hardlink(en, hfull);
		}
		if (archive_write_header(w, en) < ARCHIVE_WARN) {
			ret = vsl_err_make(err, 0, "layer `%s`: entry `%s`: %s", layer, name,
					   archive_error_string(w));
			break;
		}
		const void *buf;
		size_t sz;
		la_int64_t off;
		int dr;
		while ((dr = archive_read_data_block(ar, &buf, &sz, &off)) == ARCHIVE_OK)
			if (archive_write_data_block(w, buf, sz, off) < ARCHIVE_WARN)
				break;
		if (dr < ARCHIVE_WARN) {
			ret = vsl_err_make(err, 0, "layer `%s`: entry `%s`: %s", layer, name,
					   archive_error_string(ar));
			break;
		}
		archive_write_finish_entry(w);
	}
	if (ret == 0 && r != ARCHIVE_EOF)
		ret = vsl_err_make(err, 0, "layer `%s`: %s", layer, archive_error_string(ar));
	archive_write_close(w);
	archive_write_free(w);
	return ret;
}

static int apply_layer(const char *path, const char *rootfs, int rootfd, const char *label,
		       struct vsl_err **err)
{
	struct archive *ar = open_layer(path, err);
	if (!ar)
		return -1;
	int r = apply_whiteouts(ar, rootfd, label, err);
	archive_read_free(ar);
	if (r < 0 || !(ar = open_layer(path, err)))
		return -1;
	r = extract_entries(ar, rootfs, label, err);
	archive_read_free(ar);
	return r;
}

/* Step 1: regular files of the outer archive into workdir. */
static int extract_outer(const char *archive, const char *workdir, struct vsl_err **err)
{
	struct archive *ar = archive_read_new();
	struct archive_entry *en;
	int r, ret = 0;
	cleanup_close int wfd = -1;
	archive_read_support_format_tar(ar);
	if (archive_read_open_filename(ar, archive, 65536) != ARCHIVE_OK) {
		ret = vsl_err_make(err, 0, "archive: not a tar archive: %s", archive_error_string(ar));
		goto out;
	}
	wfd = open(workdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (wfd < 0) {
		ret = vsl_err_make(err, errno, "open `%s`", workdir);
		goto out;
	}
	while ((r = archive_read_next_header(ar, &en)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		if (archive_entry_filetype(en) != AE_IFREG)
			continue;
		cleanup_free char *name = clean_name(archive_entry_pathname(en) ?: "");
		if (!name || !*name) {
			ret = vsl_err_make(err, 0, "archive: entry `%s`: name is empty or has `..`",
					   archive_entry_pathname(en) ?: "");
			goto out;
		}
		/* parents: plain directories created beneath workdir */
		for (char *s = strchr(name, '/'); s; s = strchr(s + 1, '/')) {
			*s = '\0';
			mkdirat(wfd, name, 0700);
			*s = '/';
		}
		char *slash = strrchr(name, '/');
		cleanup_close int dfd = -1;
		if (slash) {
			*slash = '\0';
			dfd = open_beneath(wfd, name);
			*slash = '/';
		} else {
			dfd = dup(wfd);
		}
		int fd = dfd < 0 ? -1 : openat(dfd, slash ? slash + 1 : name,
					       O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0) {
			ret = vsl_err_make(err, errno, "archive: entry `%s`", name);
			goto out;
		}
		if (archive_read_data_into_fd(ar, fd) < ARCHIVE_WARN) {
			close(fd);
			ret = vsl_err_make(err, 0, "archive: entry `%s`: %s", name, archive_error_string(ar));
			goto out;
		}
		close(fd);
	}
	if (r != ARCHIVE_EOF)
		ret = vsl_err_make(err, 0, "archive: %s", archive_error_string(ar));
out:
	archive_read_free(ar);
	return ret;
}

static int sha256_file(const char *path, char hex[65])
{
	gnutls_hash_hd_t h;
	unsigned char buf[65536], md[32];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	gnutls_hash_init(&h, GNUTLS_DIG_SHA256);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		gnutls_hash(h, buf, (size_t)n);
	close(fd);
	gnutls_hash_deinit(h, md);
	for (int i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
	return n < 0 ? -1 : 0;
}

/* A file inside workdir as JSON (bounded size). */
static json_t *load_json(const char *workdir, const char *rel, const char *what, struct vsl_err **err)
{
	cleanup_free char *clean = clean_name(rel);
	if (!clean || !*clean) {
		vsl_err_make(err, 0, "archive: %s: bad path `%s`", what, rel);
		return NULL;
	}
	cleanup_free char *p = xasprintf("%s/%s", workdir, clean);
	struct stat st;
	if (lstat(p, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_JSON) {
		vsl_err_make(err, 0, "archive: %s `%s` is missing or too large", what, clean);
		return NULL;
	}
	json_error_t je;
	json_t *j = json_load_file(p, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		vsl_err_make(err, 0, "archive: %s `%s`: %s", what, clean, je.text);
	return j;
}

/* "sha256:<64 hex>" -> "blobs/sha256/<hex>"; NULL if malformed. */
static char *blob_path(const char *digest)
{
	if (!digest || strncmp(digest, "sha256:", 7) != 0 || strlen(digest) != 71 ||
	    strspn(digest + 7, "0123456789abcdef") != 64)
		return NULL;
	return xasprintf("blobs/sha256/%s", digest + 7);
}

static int verify_blob(const char *workdir, const char *digest, struct vsl_err **err)
{
	char hex[65];
	cleanup_free char *p = xasprintf("%s/blobs/sha256/%s", workdir, digest + 7);
	if (sha256_file(p, hex) < 0)
		return vsl_err_make(err, errno, "archive: blob `%s` is missing", digest);
	if (strcmp(hex, digest + 7) != 0)
		return vsl_err_make(err, 0, "archive: blob `%s`: content has digest sha256:%s", digest, hex);
	return 0;
}

static json_t *image_config(json_t *cfg)
{
	json_t *c = json_object_get(cfg, "config");
	json_t *out = json_object(), *v;
	const char *keys[][2] = { { "Entrypoint", "entrypoint" }, { "Cmd", "cmd" }, { "Env", "env" } };
	for (int i = 0; i < 3; i++) {
		json_t *arr = json_array();
		size_t k;
		json_array_foreach(json_object_get(c, keys[i][0]), k, v)
			if (json_is_string(v))
				json_array_append(arr, v);
		json_object_set_new(out, keys[i][1], arr);
	}
	const char *wd = json_string_value(json_object_get(c, "WorkingDir"));
	json_object_set_new(out, "cwd", json_string(wd && wd[0] == '/' ? wd : "/"));
	return out;
}

/* Fills layer paths (relative to workdir) and the config path. */
static int read_oci(const char *workdir, struct vsl_image_info *info, json_t **layers,
		    char **config, struct vsl_err **err)
{
	json_t *idx = load_json(workdir, "index.json", "index", err), *man = NULL;
	int r = -1;
	if (!idx)
		return -1;
	json_t *m0 = json_array_get(json_object_get(idx, "manifests"), 0);
	const char *d = json_string_value(json_object_get(m0, "digest"));
	for (int depth = 0; depth < 3; depth++) {
		cleanup_free char *bp = blob_path(d);
		if (!bp) {
			vsl_err_make(err, 0, "archive: index.json: manifests[0].digest is missing or malformed");
			goto out;
		}
		if (verify_blob(workdir, d, err) < 0 || !(man = load_json(workdir, bp, "manifest", err)))
			goto out;
		if (!json_object_get(man, "manifests"))
			break; /* an image manifest, not a nested index */
		d = json_string_value(json_object_get(json_array_get(json_object_get(man, "manifests"), 0), "digest"));
		json_decref(man);
		man = NULL;
	}
	if (!man || !json_is_array(json_object_get(man, "layers"))) {
		vsl_err_make(err, 0, "archive: OCI manifest has no `layers`");
		goto out;
	}
	const char *name = json_string_value(json_object_get(json_object_get(m0, "annotations"),
							     "org.opencontainers.image.ref.name"));
	if (name)
		info->name = xstrdup(name);
	const char *cd = json_string_value(json_object_get(json_object_get(man, "config"), "digest"));
	if (!(*config = blob_path(cd))) {
		vsl_err_make(err, 0, "archive: OCI manifest: config.digest is missing or malformed");
		goto out;
	}
	if (verify_blob(workdir, cd, err) < 0)
		goto out;
	*layers = json_array();
	size_t i;
	json_t *l;
	json_array_foreach(json_object_get(man, "layers"), i, l) {
		const char *ld = json_string_value(json_object_get(l, "digest"));
		char *lp = blob_path(ld);
		if (!lp) {
			vsl_err_make(err, 0, "archive: OCI manifest: layers[%zu].digest is malformed", i);
			goto out;
		}
		json_array_append_new(*layers, json_string(lp));
		free(lp);
		if (verify_blob(workdir, ld, err) < 0)
			goto out;
	}
	info->format = "oci";
	r = 0;
out:
	json_decref(idx);
	json_decref(man);
	return r;
}

static int read_docker(const char *workdir, struct vsl_image_info *info, json_t **layers,
		       char **config, struct vsl_err **err)
{
	json_t *man = load_json(workdir, "manifest.json", "manifest.json", err);
	if (!man)
		return -1;
	json_t *m0 = json_array_get(man, 0);
	const char *c = json_string_value(json_object_get(m0, "Config"));
	json_t *ls = json_object_get(m0, "Layers");
	if (!c || !json_is_array(ls)) {
		json_decref(man);
		return vsl_err_make(err, 0, "archive: manifest.json[0] needs `Config` and `Layers`");
	}
	const char *tag = json_string_value(json_array_get(json_object_get(m0, "RepoTags"), 0));
	if (tag)
		info->name = xstrdup(tag);
	*config = xstrdup(c);
	*layers = json_array();
	size_t i;
	json_t *l;
	json_array_foreach(ls, i, l) {
		if (!json_is_string(l)) {
			json_decref(man);
			return vsl_err_make(err, 0, "archive: manifest.json[0].Layers[%zu] is not a string", i);
		}
		json_array_append(*layers, l);
	}
	info->format = "docker-archive";
	json_decref(man);
	return 0;
}

int vsl_image_unpack(const char *archive, const char *workdir, const char *rootfs,
		     struct vsl_image_info *info, struct vsl_err **err)
{
	json_t *layers = NULL, *cfg = NULL;
	cleanup_free char *config = NULL;
	cleanup_free char *rootreal = NULL;
	cleanup_close int rootfd = -1;
	cleanup_free char *cclean = NULL;
	cleanup_free char *cpath = NULL;
	int r = -1;
	memset(info, 0, sizeof(*info));
	if (mkdir(workdir, 0700) < 0)
		return vsl_err_make(err, errno, "mkdir `%s`", workdir);
	if (extract_outer(archive, workdir, err) < 0)
		return -1;
	cleanup_free char *idx = xasprintf("%s/index.json", workdir);
	cleanup_free char *man = xasprintf("%s/manifest.json", workdir);
	if (access(idx, F_OK) == 0)
		r = read_oci(workdir, info, &layers, &config, err);
	else if (access(man, F_OK) == 0)
		r = read_docker(workdir, info, &layers, &config, err);
	else
		r = vsl_err_make(err, 0, "archive: neither an OCI layout (index.json) nor a "
				 "docker-archive (manifest.json)");
	if (r < 0)
		goto out;
	r = -1;
	if (!(cfg = load_json(workdir, config, "image config", err)))
		goto out;
	cclean = clean_name(config);
	cpath = xasprintf("%s/%s", workdir, cclean);
	char hex[65];
	if (sha256_file(cpath, hex) < 0) {
		vsl_err_make(err, errno, "archive: image config `%s`", config);
		goto out;
	}
	snprintf(info->digest, sizeof(info->digest), "sha256:%s", hex);
	info->config = image_config(cfg);
	if (mkdir(rootfs, 0755) < 0 || !(rootreal = realpath(rootfs, NULL)) ||
	    (rootfd = open(rootreal, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		vsl_err_make(err, errno, "rootfs `%s`", rootfs);
		goto out;
	}
	size_t i;
	json_t *l;
	json_array_foreach(layers, i, l) {
		cleanup_free char *lc = clean_name(json_string_value(l));
		if (!lc || !*lc) {
			vsl_err_make(err, 0, "archive: layer %zu: bad path", i);
			goto out;
		}
		cleanup_free char *lp = xasprintf("%s/%s", workdir, lc);
		struct stat st;
		if (lstat(lp, &st) < 0 || !S_ISREG(st.st_mode)) {
			vsl_err_make(err, 0, "archive: layer %zu `%s` is not in the archive", i, lc);
			goto out;
		}
		if (apply_layer(lp, rootreal, rootfd, lc, err) < 0)
			goto out;
		info->layers++;
	}
	r = 0;
out:
	json_decref(layers);
	json_decref(cfg);
	return r;
}
