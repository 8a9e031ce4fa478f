/* libFuzzer target: arbitrary bytes as config.json. The parser must either
 * accept the input or return an error naming a field, never crash or leak. */
#include <stddef.h>
#include <stdint.h>

#include "oci_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vsl_oci_config *c = NULL;
	struct vsl_err *err = NULL;
	if (vsl_oci_config_parse((const char *)data, size, &c, &err) == 0)
		vsl_oci_config_free(c);
	else
		vsl_err_free(err);
	return 0;
}
