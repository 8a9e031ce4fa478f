/* The process JSON of `exec --process FILE` (an OCI `process` object, as
 * podman's conmon and containerd's runc shim write it). It is checked by the
 * same code as config.json's `process`, so both accept and refuse the same
 * fields: the object is placed in a minimal config and parsed, and an error's
 * "config.json: process" prefix becomes the name of the file at fault.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "oci_config.h"
#include "oci_process.h"
#include "vessel/cleanup.h"

int vsl_oci_process_parse(const char *text, size_t len, const char *what,
			  struct vsl_oci_config **out, struct vsl_err **err)
{
	json_error_t jerr;
	json_t *proc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (proc == NULL)
		return vsl_err_make(err, 0, "%s: not valid JSON at line %d column %d: %s", what,
				    jerr.line, jerr.column, jerr.text);
	if (!json_is_object(proc)) {
		json_decref(proc);
		return vsl_err_make(err, 0, "%s: expected an object (an OCI process)", what);
	}
	json_t *root = json_pack("{s:o, s:{s:s}}", "process", proc, "root", "path", "/");
	cleanup_free char *cfg = root ? json_dumps(root, JSON_COMPACT) : NULL;
	json_decref(root);
	if (cfg == NULL)
		return vsl_err_make(err, 0, "%s: cannot re-encode the process object", what);
	struct vsl_err *e = NULL;
	if (vsl_oci_config_parse(cfg, strlen(cfg), out, &e) == 0)
		return 0;
	static const char prefix[] = "config.json: process";
	const char *rest = strncmp(e->msg, prefix, sizeof(prefix) - 1) == 0
				   ? e->msg + sizeof(prefix) - 1
				   : e->msg;
	/* "config.json: process.args: ..." -> "<what>: args: ..." */
	if (*rest == '.')
		rest++;
	else if (*rest == ':')
		rest += 2;
	int r = vsl_err_make(err, 0, "%s: %s", what, rest);
	vsl_err_free(e);
	return r;
}
