/* Backend lookup and choice (see backend.h). */
#include <errno.h>
#include <string.h>

#include "backend.h"

const struct vsl_backend *vsl_backend_find(const char *name)
{
	static const struct vsl_backend *const all[] = { &vsl_backend_qemu, &vsl_backend_libvirt };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (name != NULL && strcmp(name, all[i]->name) == 0)
			return all[i];
	return NULL;
}

int vsl_backend_choose(const char *annotation, const char *node, const struct vsl_backend **out,
		       struct vsl_err **err)
{
	if (annotation != NULL) {
		*out = vsl_backend_find(annotation);
		if (*out == NULL)
			return vsl_err_make(err, EINVAL, "annotation `org.vessel.hypervisor`: `%s` is "
					    "not a hypervisor backend: use qemu or libvirt",
					    annotation);
		return 0;
	}
	*out = vsl_backend_find(node != NULL && *node != '\0' ? node : "qemu");
	if (*out == NULL)
		return vsl_err_make(err, EINVAL, "--hypervisor (or VESSEL_HYPERVISOR) `%s`: use qemu "
				    "or libvirt", node);
	return 0;
}
