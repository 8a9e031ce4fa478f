/* Parser for the process JSON of `vessel-runtime exec --process FILE`. */
#ifndef VESSEL_OCI_PROCESS_H
#define VESSEL_OCI_PROCESS_H

#include <stddef.h>

#include "oci_config.h"
#include "vessel/err.h"

/* Parses an OCI process object (text of len bytes) with config.json's
 * rules. On success *out is a new config whose process fields are set (free
 * with vsl_oci_config_free); errors start with `what` (e.g. "--process
 * `/tmp/p.json`") and name the field, e.g. "...: args: required". */
int vsl_oci_process_parse(const char *text, size_t len, const char *what,
			  struct vsl_oci_config **out, struct vsl_err **err);

#endif
