/* Request bodies of the vesseld REST API: parsing and validation into a
 * normalised JSON document (defaults filled in). Pure functions over jansson,
 * no I/O, so the libFuzzer target and the unit tests exercise exactly what the
 * daemon runs. Every rejection names the field ("nics[1].vlan"). */
#ifndef VSL_AGENT_SPEC_H
#define VSL_AGENT_SPEC_H

#include <jansson.h>
#include <stddef.h>

/* An API error: HTTP status, a stable machine code, a message and the
 * offending field (NULL when not about a field). */
struct vsl_api_err {
	int http;
	const char *code; /* static string */
	char *message;
	char *field;
};

void vsl_api_err_set(struct vsl_api_err *e, int http, const char *code, const char *field,
		     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void vsl_api_err_clear(struct vsl_api_err *e);
/* {"error": {"code", "message", "field"}} as a new string. */
char *vsl_api_err_json(const struct vsl_api_err *e);

/* Parses a JSON body (len bytes, not NUL-terminated). Rejects anything but
 * an object, duplicate keys, trailing garbage. Returns a new reference or NULL. */
json_t *vsl_spec_load(const char *body, size_t len, struct vsl_api_err *e);

/* Validates a VNF create spec; returns a new normalised object or NULL. */
json_t *vsl_spec_vnf(json_t *in, struct vsl_api_err *e);
/* Action bodies: stop {grace}, kill {signal}; an empty body is allowed (in NULL). */
int vsl_spec_stop(json_t *in, int *grace, struct vsl_api_err *e);
int vsl_spec_kill(json_t *in, int *signo, struct vsl_api_err *e);
/* Network spec {name, type: bridge|xconnect, aging, a, b}; new normalised object. */
json_t *vsl_spec_network(json_t *in, struct vsl_api_err *e);

/* Names of VNFs, networks: 1..63 of [A-Za-z0-9_.-], starting alphanumeric. */
int vsl_spec_name_ok(const char *s);
/* Signal name ("TERM", "SIGKILL") or number to a signal number, -1 if unknown. */
int vsl_spec_signal(const char *s);
extern const char *const vsl_status_names[]; /* creating..deleting, NULL-terminated */

#endif
