/* libFuzzer target for the vessel-dp control-request parser: any byte string
 * must yield either a valid request or a well-formed JSON-RPC error, never a
 * crash, leak or undefined behaviour. Valid port specs must also survive the
 * persist/restore round trip unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vsl_dp_req req;
	json_t *err = NULL;

	if (vsl_dp_req_parse((const char *)data, size, &req, &err) < 0) {
		json_t *e = json_object_get(err, "error");

		if (!json_is_integer(json_object_get(e, "code")) ||
		    !json_is_string(json_object_get(e, "message")))
			abort();
		json_decref(err);
		return 0;
	}
	if (req.method == VSL_M_PORT_ADD) {
		json_t *back = vsl_dp_port_spec_json(&req.port);
		struct vsl_dp_port_spec s2;
		const char *field, *why;

		if (vsl_dp_port_spec_parse(back, &s2, &field, &why) < 0 ||
		    memcmp(&s2, &req.port, sizeof(s2)) != 0)
			abort();
		json_decref(back);
	}
	vsl_dp_req_release(&req);
	return 0;
}
