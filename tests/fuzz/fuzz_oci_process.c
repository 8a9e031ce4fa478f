/* libFuzzer target: arbitrary bytes as the process JSON of `vessel-runtime
 * exec --process` (written by conmon or containerd's shim). The parser must
 * accept it or return an error, never crash or leak. */
#include <stddef.h>
#include <stdint.h>

#include "oci_process.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vsl_oci_config *c = NULL;
	struct vsl_err *err = NULL;
	if (vsl_oci_process_parse((const char *)data, size, "--process", &c, &err) == 0)
		vsl_oci_config_free(c);
	else
		vsl_err_free(err);
	return 0;
}
