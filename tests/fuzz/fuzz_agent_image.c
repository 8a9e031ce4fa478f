/* libFuzzer target: the image-archive reader (outer tar, manifest/index
 * JSON, layer tars with whiteouts). The input is written to a file in a
 * private temp dir, unpacked there, and everything is removed; nothing may
 * be created outside that dir. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char dir[] = "/tmp/fuzz_agent_image.XXXXXX";
	char ar[64], work[64], root[64];
	if (!mkdtemp(dir))
		return 0;
	snprintf(ar, sizeof(ar), "%s/a.tar", dir);
	snprintf(work, sizeof(work), "%s/work", dir);
	snprintf(root, sizeof(root), "%s/rootfs", dir);
	FILE *f = fopen(ar, "w");
	if (f) {
		fwrite(data, 1, size, f);
		fclose(f);
		struct vsl_image_info info;
		struct vsl_err *err = NULL;
		if (vsl_image_unpack(ar, work, root, &info, &err) < 0 && !err)
			abort();
		vsl_err_free(err);
		vsl_image_info_clear(&info);
	}
	vsl_rmtree(dir);
	return 0;
}
