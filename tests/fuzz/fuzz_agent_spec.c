/* libFuzzer target: vesseld's request-body parsers (VNF spec, network spec,
 * stop and kill bodies). Any input must give either a normalised object or
 * an error naming a code and a message; never a crash or a leak. */
#include <stdint.h>
#include <stdlib.h>

#include "spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vsl_api_err e = { 0 };
	json_t *in = vsl_spec_load((const char *)data, size, &e);
	if (!in) {
		if (!e.code || !e.message)
			abort();
		vsl_api_err_clear(&e);
		return 0;
	}
	json_t *o = vsl_spec_vnf(in, &e);
	if (!o && (!e.code || !e.message))
		abort();
	json_decref(o);
	vsl_api_err_clear(&e);
	o = vsl_spec_network(in, &e);
	json_decref(o);
	vsl_api_err_clear(&e);
	int g, s;
	vsl_spec_stop(in, &g, &e);
	vsl_api_err_clear(&e);
	vsl_spec_kill(in, &s, &e);
	vsl_api_err_clear(&e);
	char *j = vsl_api_err_json(&e);
	free(j);
	json_decref(in);
	return 0;
}
