/* Persistence of the switch configuration: bridges, ports and cross-connects
 * as one JSON document, written atomically (temp file in the same directory,
 * fsync, rename, fsync of the directory) after every successful change, and
 * replayed at start-up. A restarted vessel-dp thus comes back with the same
 * ports and reconnects to the frontends' sockets on its own.
 *
 * {"version":1, "bridges":[{"name","aging","size"}], "ports":[<port.add params>],
 *  "xconnects":[{"a","b"}]}
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vessel/cleanup.h"
#include "vessel/err.h"
#include "vessel/log.h"
#include "dp.h"

int dp_mkdir_p(const char *dir)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
				return -1;
			*p = '/';
		}
	return mkdir(tmp, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

static json_t *state_json(struct vsl_dp *dp)
{
	json_t *br = json_array(), *ports = json_array(), *xc = json_array();

	for (int i = 0; i < DP_MAX_BRIDGES; i++)
		if (dp->bridges[i].used)
			json_array_append_new(br, json_pack("{s:s, s:i, s:i}", "name", dp->bridges[i].name,
							    "aging", dp->bridges[i].aging, "size",
							    dp->bridges[i].size));
	for (int i = 0; i < DP_MAX_PORTS; i++) {
		if (!dp->ports[i].used)
			continue;
		json_array_append_new(ports, vsl_dp_port_spec_json(&dp->ports[i].spec));
		if (dp->ports[i].xc_peer > i)
			json_array_append_new(xc, json_pack("{s:s, s:s}", "a", dp->ports[i].spec.name, "b",
							    dp->ports[dp->ports[i].xc_peer].spec.name));
	}
	return json_pack("{s:i, s:o, s:o, s:o}", "version", 1, "bridges", br, "ports", ports,
			 "xconnects", xc);
}

int dp_state_save(struct vsl_dp *dp, struct vsl_err **err)
{
	cleanup_free char *tmp = NULL, *dcopy = NULL;
	cleanup_close int fd = -1, dfd = -1;
	json_t *doc;
	int ret;

	if (dp->restoring || dp->state_path == NULL || dp->state_path[0] == '\0')
		return 0;
	dcopy = xstrdup(dp->state_path);
	if (dp_mkdir_p(dirname(dcopy)) < 0)
		return vsl_err_make(err, errno, "state file `%s`: create directory", dp->state_path);
	tmp = xasprintf("%s.tmp.%d", dp->state_path, getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return vsl_err_make(err, errno, "state file `%s`: open", tmp);
	doc = state_json(dp);
	ret = json_dumpfd(doc, fd, JSON_INDENT(2));
	json_decref(doc);
	if (ret < 0 || write(fd, "\n", 1) != 1 || fsync(fd) < 0) {
		ret = vsl_err_make(err, errno, "state file `%s`: write", tmp);
		unlink(tmp);
		return ret;
	}
	if (rename(tmp, dp->state_path) < 0) {
		ret = vsl_err_make(err, errno, "state file `%s`: rename", dp->state_path);
		unlink(tmp);
		return ret;
	}
	free(dcopy);
	dcopy = xstrdup(dp->state_path);
	dfd = open(dirname(dcopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		fsync(dfd);
	return 0;
}

/* Replays one section; a bad entry is logged and skipped, the rest still load. */
int dp_state_restore(struct vsl_dp *dp, struct vsl_err **err)
{
	json_error_t jerr;
	json_t *doc, *v;
	size_t i;

	if (dp->state_path == NULL || access(dp->state_path, F_OK) < 0)
		return 0;
	doc = json_load_file(dp->state_path, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL || !json_is_object(doc)) {
		json_decref(doc);
		return vsl_err_make(err, EINVAL, "state file `%s`: line %d: %s (fix or remove it)",
				    dp->state_path, jerr.line, doc ? "not an object" : jerr.text);
	}
	dp->restoring = true;
	json_array_foreach(json_object_get(doc, "bridges"), i, v) {
		cleanup_err struct vsl_err *e = NULL;
		json_t *n = json_object_get(v, "name");

		if (!json_is_string(n) || !vsl_dp_name_valid(json_string_value(n)) ||
		    dp_bridge_add(dp, json_string_value(n),
				  (uint32_t)json_integer_value(json_object_get(v, "aging")),
				  json_object_get(v, "size") ? (uint32_t)json_integer_value(json_object_get(v, "size")) : 4096,
				  &e) < 0)
			vsl_warn("state `%s`: bridge %zu not restored: %s", dp->state_path, i,
				 e ? e->msg : "bad name");
	}
	json_array_foreach(json_object_get(doc, "ports"), i, v) {
		cleanup_err struct vsl_err *e = NULL;
		struct vsl_dp_port_spec spec;
		const char *field, *why;

		if (vsl_dp_port_spec_parse(v, &spec, &field, &why) < 0)
			vsl_warn("state `%s`: port %zu not restored: %s: %s", dp->state_path, i, field, why);
		else if (dp_port_add(dp, &spec, &e) < 0)
			vsl_warn("state `%s`: port `%s` not restored: %s", dp->state_path, spec.name, e->msg);
	}
	json_array_foreach(json_object_get(doc, "xconnects"), i, v) {
		cleanup_err struct vsl_err *e = NULL;
		const char *a = json_string_value(json_object_get(v, "a"));
		const char *b = json_string_value(json_object_get(v, "b"));

		if (a == NULL || b == NULL || dp_xc_add(dp, a, b, &e) < 0)
			vsl_warn("state `%s`: xconnect %zu not restored: %s", dp->state_path, i,
				 e ? e->msg : "a/b missing");
	}
	dp->restoring = false;
	json_decref(doc);
	vsl_info("restored configuration from %s", dp->state_path);
	return 0;
}
