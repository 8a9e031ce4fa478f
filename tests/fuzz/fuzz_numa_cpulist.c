/* libFuzzer target: the cpulist parser (runtime/numa/src/cpulist.c).
 * Inputs come from sysfs, the placement state file and the command line. A
 * parsed set must format to a canonical list that parses back to the same set. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vessel/err.h"
#include "vessel/numa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct vsl_cpuset a, b;
	struct vsl_err *err = NULL;

	memcpy(text, data, size);
	text[size] = '\0';
	if (vsl_cpulist_parse(text, &a, &err) == 0) {
		char *canon = vsl_cpulist_format(&a);
		if (vsl_cpulist_parse(canon, &b, NULL) != 0 || !vsl_cpuset_equal(&a, &b))
			abort(); /* canonical output must round-trip */
		free(canon);
	} else if (!err || !err->msg) {
		abort(); /* a failure always carries a message */
	}
	vsl_err_free(err);
	free(text);
	return 0;
}
