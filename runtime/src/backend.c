/* Backend lookup by name (see backend.h). */
#include <string.h>

#include "backend.h"

const struct vsl_backend *vsl_backend_find(const char *name)
{
	static const struct vsl_backend *const all[] = { &vsl_backend_qemu };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (name != NULL && strcmp(name, all[i]->name) == 0)
			return all[i];
	return NULL;
}
