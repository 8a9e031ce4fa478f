/* The image-archive reader on archives built here with libarchive: layers
 * applied in order, whiteouts and opaque directories honoured, OCI blob
 * digests checked, and hostile entries (`..`, symlinked parents) kept inside
 * the rootfs. */
#include <archive.h>
#include <archive_entry.h>
#include <gnutls/crypto.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "image.h"
#include "vessel/cleanup.h"

struct ent {
	const char *name;
	char type;         /* f file, d dir, l symlink */
	const char *data;  /* file content or link target */
};

/* A tar in memory from entries; returns size, *out malloc'd. */
static size_t mk_tar(const struct ent *e, char **out)
{
	size_t cap = 1 << 20, used = 0;
	char *buf = malloc(cap);
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	archive_write_open_memory(a, buf, cap, &used);
	for (; e->name; e++) {
		struct archive_entry *en = archive_entry_new();
		archive_entry_set_pathname(en, e->name);
		archive_entry_set_perm(en, e->type == 'd' ? 0755 : 0644);
		if (e->type == 'd') {
			archive_entry_set_filetype(en, AE_IFDIR);
		} else if (e->type == 'l') {
			archive_entry_set_filetype(en, AE_IFLNK);
			archive_entry_set_symlink(en, e->data);
		} else {
			archive_entry_set_filetype(en, AE_IFREG);
			archive_entry_set_size(en, (la_int64_t)strlen(e->data));
		}
		archive_write_header(a, en);
		if (e->type == 'f')
			archive_write_data(a, e->data, strlen(e->data));
		archive_entry_free(en);
	}
	archive_write_close(a);
	archive_write_free(a);
	*out = buf;
	return used;
}

static void hex256(const char *d, size_t n, char hex[65])
{
	unsigned char md[32];
	gnutls_hash_fast(GNUTLS_DIG_SHA256, d, n, md);
	for (int i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
}

struct blob {
	char name[128];
	char *data;
	size_t len;
};

/* Writes a docker-archive (oci=false) or OCI layout with the given layers. */
static void mk_image(const char *path, const struct ent *const *layers, int n, bool oci)
{
	struct blob b[16];
	int nb = 0;
	char lh[8][65], ch[65], mh[65];
	for (int i = 0; i < n; i++) {
		b[nb].len = mk_tar(layers[i], &b[nb].data);
		hex256(b[nb].data, b[nb].len, lh[i]);
		snprintf(b[nb].name, sizeof(b[nb].name), oci ? "blobs/sha256/%s" : "%s.tar", lh[i]);
		nb++;
	}
	const char *cfg = "{\"config\":{\"Cmd\":[\"sh\"],\"Env\":[\"PATH=/bin\"]}}";
	hex256(cfg, strlen(cfg), ch);
	snprintf(b[nb].name, sizeof(b[nb].name), oci ? "blobs/sha256/%s" : "%s.json", ch);
	b[nb].data = strdup(cfg);
	b[nb++].len = strlen(cfg);
	char man[4096], *p = man;
	if (oci) {
		p += sprintf(p, "{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:%s\"},\"layers\":[", ch);
		for (int i = 0; i < n; i++)
			p += sprintf(p, "%s{\"digest\":\"sha256:%s\"}", i ? "," : "", lh[i]);
		strcpy(p, "]}");
		hex256(man, strlen(man), mh);
		snprintf(b[nb].name, sizeof(b[nb].name), "blobs/sha256/%s", mh);
		b[nb].data = strdup(man);
		b[nb++].len = strlen(man);
		char idx[512];
		snprintf(idx, sizeof(idx), "{\"manifests\":[{\"digest\":\"sha256:%s\"}]}", mh);
		snprintf(b[nb].name, sizeof(b[nb].name), "index.json");
		b[nb].data = strdup(idx);
		b[nb++].len = strlen(idx);
	} else {
		p += sprintf(p, "[{\"Config\":\"%s.json\",\"RepoTags\":[\"t:1\"],\"Layers\":[", ch);
		for (int i = 0; i < n; i++)
			p += sprintf(p, "%s\"%s.tar\"", i ? "," : "", lh[i]);
		strcpy(p, "]}]");
		snprintf(b[nb].name, sizeof(b[nb].name), "manifest.json");
		b[nb].data = strdup(man);
		b[nb++].len = strlen(man);
	}
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	archive_write_open_filename(a, path);
	for (int i = 0; i < nb; i++) {
		struct archive_entry *en = archive_entry_new();
		archive_entry_set_pathname(en, b[i].name);
		archive_entry_set_filetype(en, AE_IFREG);
		archive_entry_set_perm(en, 0644);
		archive_entry_set_size(en, (la_int64_t)b[i].len);
		archive_write_header(a, en);
		archive_write_data(a, b[i].data, b[i].len);
		archive_entry_free(en);
		free(b[i].data);
	}
	archive_write_close(a);
	archive_write_free(a);
}

static char tmpl[64];

static int setup(void **state)
{
	(void)state;
	strcpy(tmpl, "/tmp/test_agent_image.XXXXXX");
	return mkdtemp(tmpl) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	vsl_rmtree(tmpl);
	return 0;
}

static bool exists(const char *rel)
{
	char p[256];
	struct stat st;
	snprintf(p, sizeof(p), "%s/rootfs/%s", tmpl, rel);
	return lstat(p, &st) == 0;
}

static int unpack(struct vsl_image_info *info, struct vsl_err **err)
{
	char ar[128], work[128], root[128];
	snprintf(ar, sizeof(ar), "%s/img.tar", tmpl);
	snprintf(work, sizeof(work), "%s/work", tmpl);
	snprintf(root, sizeof(root), "%s/rootfs", tmpl);
	return vsl_image_unpack(ar, work, root, info, err);
}

static const struct ent l1[] = {
	{ "./", 'd', NULL }, { "a/", 'd', NULL }, { "a/x", 'f', "x" }, { "a/y", 'f', "y" },
	{ "b", 'f', "b" }, { "c/", 'd', NULL }, { "c/old", 'f', "old" }, { NULL, 0, NULL },
};
static const struct ent l2[] = {
	{ "a/.wh.x", 'f', "" }, { "c/new", 'f', "new" }, { "c/.wh..wh..opq", 'f', "" },
	{ ".wh.b", 'f', "" }, { "d", 'f', "d" }, { NULL, 0, NULL },
};

static void check_whiteouts(bool oci)
{
	const struct ent *layers[] = { l1, l2 };
	char ar[128];
	struct vsl_image_info info;
	cleanup_err struct vsl_err *err = NULL;
	snprintf(ar, sizeof(ar), "%s/img.tar", tmpl);
	mk_image(ar, layers, 2, oci);
	if (unpack(&info, &err) < 0)
		fail_msg("unpack: %s", err->msg);
	assert_int_equal(info.layers, 2);
	assert_string_equal(info.format, oci ? "oci" : "docker-archive");
	assert_false(exists("a/x"));     /* whiteout */
	assert_true(exists("a/y"));
	assert_false(exists("b"));       /* whiteout at the root */
	assert_false(exists("c/old"));   /* opaque dir hides the lower layer */
	assert_true(exists("c/new"));    /* ... but not its own layer's entries */
	assert_true(exists("d"));
	assert_false(exists("a/.wh.x"));
	assert_false(exists("c/.wh..wh..opq"));
	assert_string_equal(json_string_value(json_array_get(json_object_get(info.config, "cmd"), 0)), "sh");
	assert_int_equal(strncmp(info.digest, "sha256:", 7), 0);
	vsl_image_info_clear(&info);
}

static void test_docker_whiteouts(void **state) { (void)state; check_whiteouts(false); }
static void test_oci_whiteouts(void **state) { (void)state; check_whiteouts(true); }

static void test_dotdot_rejected(void **state)
{
	(void)state;
	static const struct ent evil[] = { { "../escape", 'f', "x" }, { NULL, 0, NULL } };
	const struct ent *layers[] = { evil };
	char ar[128], esc[128];
	struct vsl_image_info info;
	cleanup_err struct vsl_err *err = NULL;
	snprintf(ar, sizeof(ar), "%s/img.tar", tmpl);
	snprintf(esc, sizeof(esc), "%s/escape", tmpl);
	mk_image(ar, layers, 1, false);
	assert_int_equal(unpack(&info, &err) < 0, 1);
	assert_non_null(strstr(err->msg, ".."));
	assert_int_equal(access(esc, F_OK), -1);
	vsl_image_info_clear(&info);
}

static void test_symlink_parent_contained(void **state)
{
	(void)state;
	char outside[128], link_target[128], ar[128];
	snprintf(outside, sizeof(outside), "%s/outside", tmpl);
	mkdir(outside, 0755);
	snprintf(link_target, sizeof(link_target), "%s", outside);
	const struct ent s1[] = { { "l", 'l', link_target }, { NULL, 0, NULL } };
	static const struct ent s2[] = { { "l/pwned", 'f', "x" }, { "l/.wh.keep", 'f', "" }, { NULL, 0, NULL } };
	const struct ent *layers[] = { s1, s2 };
	char keep[160], pwned[160];
	snprintf(keep, sizeof(keep), "%s/keep", outside);
	snprintf(pwned, sizeof(pwned), "%s/pwned", outside);
	FILE *f = fopen(keep, "w");
	fclose(f);
	snprintf(ar, sizeof(ar), "%s/img.tar", tmpl);
	mk_image(ar, layers, 2, false);
	struct vsl_image_info info;
	cleanup_err struct vsl_err *err = NULL;
	unpack(&info, &err); /* may fail; what matters is what happened outside */
	assert_int_equal(access(pwned, F_OK), -1);
	assert_int_equal(access(keep, F_OK), 0);
	vsl_image_info_clear(&info);
}

static void test_bad_blob_digest(void **state)
{
	(void)state;
	char ar[128];
	snprintf(ar, sizeof(ar), "%s/img.tar", tmpl);
	FILE *f = fopen(ar, "w");
	fputs("this is not a tar archive at all", f);
	fclose(f);
	struct vsl_image_info info;
	cleanup_err struct vsl_err *err = NULL;
	assert_true(unpack(&info, &err) < 0);
	assert_non_null(err);
	vsl_image_info_clear(&info);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_docker_whiteouts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oci_whiteouts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dotdot_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_parent_contained, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_blob_digest, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
