/* Image archives: an OCI image layout or a docker-archive tar (what
 * `podman save`, `docker save` and `skopeo copy` write) is unpacked layer by
 * layer into a root filesystem, honouring whiteouts (`.wh.NAME`) and opaque
 * directories (`.wh..wh..opq`). Every path comes from outside: names with
 * `..`, absolute names and symlinked parents never escape the rootfs. */
#ifndef VSL_AGENT_IMAGE_H
#define VSL_AGENT_IMAGE_H

#include <jansson.h>

#include "vessel/err.h"

struct vsl_image_info {
	char digest[72];  /* "sha256:<hex>" of the image config */
	char *name;       /* first RepoTag / ref.name, or NULL */
	const char *format; /* "oci" or "docker-archive" */
	int layers;
	json_t *config;   /* {entrypoint:[], cmd:[], env:[], cwd:""} (owned) */
};

/* Unpacks the archive at `archive` using `workdir` (created, must not exist)
 * for the extracted blobs, into the directory `rootfs` (created, must not
 * exist). Fills *info (free with vsl_image_info_clear). On error the caller
 * removes workdir and rootfs. */
int vsl_image_unpack(const char *archive, const char *workdir, const char *rootfs,
		     struct vsl_image_info *info, struct vsl_err **err);
void vsl_image_info_clear(struct vsl_image_info *info);

/* rm -rf without following symlinks; a missing path is not an error. */
int vsl_rmtree(const char *path);

#endif
