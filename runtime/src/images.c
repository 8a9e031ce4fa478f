/* Locates the guest kernel and initramfs. A source tree runs its binaries
 * from build/bin and finds build/images next to it; an installed runtime uses
 * /usr/lib/vessel/images; VESSEL_IMAGES_DIR overrides both (tests). */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vessel/cleanup.h"
#include "vessel/log.h"
#include "vm.h"

static char *exe_images_dir(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return xasprintf("%s/../images", dirname(buf));
}

static int check_dir(const char *dir, char **kernel, char **initramfs, struct vsl_err **err);

/* Debian's kernel (images/debian/make-debian-initramfs into <dir>/debian) is
 * the fallback when the microVM kernel was not built. */
static int try_debian(const char *dir, char **kernel, char **initramfs)
{
	cleanup_free char *deb = xasprintf("%s/debian", dir);
	cleanup_free char *k = xasprintf("%s/vmlinux", deb);
	if (access(k, R_OK) < 0 || check_dir(deb, kernel, initramfs, NULL) < 0)
		return -1;
	vsl_warn("no microVM kernel in `%s`: booting Debian's kernel from `%s` (slower; run "
		 "`make` to build ours)", dir, deb);
	return 0;
}

static int check_dir(const char *dir, char **kernel, char **initramfs, struct vsl_err **err)
{
	cleanup_free char *k = xasprintf("%s/vmlinux", dir);
	cleanup_free char *i = xasprintf("%s/initramfs.cpio", dir);
	if (access(k, R_OK) < 0 && try_debian(dir, kernel, initramfs) == 0)
		return 0;
	if (access(k, R_OK) < 0)
		return vsl_err_make(err, errno, "guest kernel `%s`: run `make` to build the images "
				    "(or set VESSEL_IMAGES_DIR)", k);
	if (access(i, R_OK) < 0)
		return vsl_err_make(err, errno, "guest initramfs `%s`: run `make` to build the "
				    "images (or set VESSEL_IMAGES_DIR)", i);
	*kernel = steal_pointer(&k);
	*initramfs = steal_pointer(&i);
	return 0;
}

int vsl_images_locate(char **kernel, char **initramfs, struct vsl_err **err)
{
	const char *env = getenv("VESSEL_IMAGES_DIR");
	if (env != NULL && *env != '\0')
		return check_dir(env, kernel, initramfs, err);
	cleanup_free char *local = exe_images_dir();
	if (local != NULL && access(local, F_OK) == 0)
		return check_dir(local, kernel, initramfs, err);
	if (access(VSL_SYSTEM_IMAGES_DIR, F_OK) == 0)
		return check_dir(VSL_SYSTEM_IMAGES_DIR, kernel, initramfs, err);
	return check_dir(local ? local : VSL_SYSTEM_IMAGES_DIR, kernel, initramfs, err);
}

bool vsl_images_need_acpi(const char *kernel)
{
	cleanup_free char *dir = xstrdup(kernel);
	cleanup_free char *marker = xasprintf("%s/needs-acpi", dirname(dir));
	return access(marker, F_OK) == 0;
}
