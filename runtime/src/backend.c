/* Backend lookup and choice (see backend.h). The libvirt backend lives in a
 * module (backend-libvirt.so, runtime/libvirt/) loaded on first use: linked
 * in, libvirt and libxml2 pull ~60 shared libraries into every shim and took
 * its PSS from ~0.4 MB to ~8 MB, for hosts that mostly never use libvirt. */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"

/* $VESSEL_BACKEND_DIR, else ../lib/vessel beside this executable (the
 * build tree and an installed prefix have the same shape). */
static void *libvirt_module(struct vsl_err **err)
{
	static void *handle;
	if (handle != NULL)
		return handle;
	char path[PATH_MAX + 64], exe[PATH_MAX];
	const char *dir = getenv("VESSEL_BACKEND_DIR");
	if (dir != NULL && *dir != '\0') {
		snprintf(path, sizeof(path), "%s/backend-libvirt.so", dir);
	} else {
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n < 0)
			return vsl_err_make(err, errno, "libvirt backend: /proc/self/exe"), NULL;
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash != NULL)
			*slash = '\0';
		snprintf(path, sizeof(path), "%s/../lib/vessel/backend-libvirt.so", exe);
	}
	handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (handle == NULL)
		vsl_err_make(err, ENOENT, "libvirt backend module `%s`: %s (set VESSEL_BACKEND_DIR, "
			     "or use the qemu backend)", path, dlerror());
	return handle;
}

static const struct vsl_backend *libvirt_backend(struct vsl_err **err)
{
	void *h = libvirt_module(err);
	const struct vsl_backend *b = h ? dlsym(h, "vsl_backend_libvirt") : NULL;
	if (h != NULL && b == NULL)
		vsl_err_make(err, ENOENT, "libvirt backend module: no vsl_backend_libvirt");
	return b;
}

int vsl_libvirt_destroy(const char *name, const char *uuid, struct vsl_err **err)
{
	void *h = libvirt_module(err);
	int (*fn)(const char *, const char *, struct vsl_err **) =
		h ? (int (*)(const char *, const char *, struct vsl_err **))dlsym(h, "vsl_libvirt_module_destroy") : NULL;
	if (fn == NULL)
		return h ? vsl_err_make(err, ENOENT, "libvirt backend module: no vsl_libvirt_module_destroy") : -1;
	return fn(name, uuid, err);
}

const struct vsl_backend *vsl_backend_find(const char *name, struct vsl_err **err)
{
	if (name != NULL && strcmp(name, vsl_backend_qemu.name) == 0)
		return &vsl_backend_qemu;
	if (name != NULL && strcmp(name, "libvirt") == 0)
		return libvirt_backend(err);
	return NULL;
}

int vsl_backend_choose(const char *annotation, const char *node, const struct vsl_backend **out,
		       struct vsl_err **err)
{
	if (annotation != NULL) {
		*out = vsl_backend_find(annotation, err);
		if (*out == NULL && err != NULL && *err != NULL)
			return vsl_err_wrap(err, "annotation `org.vessel.hypervisor`: `%s`", annotation);
		if (*out == NULL)
			return vsl_err_make(err, EINVAL, "annotation `org.vessel.hypervisor`: `%s` is "
					    "not a hypervisor backend: use qemu or libvirt",
					    annotation);
		return 0;
	}
	const char *want = node != NULL && *node != '\0' ? node : "qemu";
	*out = vsl_backend_find(want, err);
	if (*out == NULL && err != NULL && *err != NULL)
		return vsl_err_wrap(err, "--hypervisor (or VESSEL_HYPERVISOR) `%s`", want);
	if (*out == NULL)
		return vsl_err_make(err, EINVAL, "--hypervisor (or VESSEL_HYPERVISOR) `%s`: use qemu "
				    "or libvirt", node);
	return 0;
}
