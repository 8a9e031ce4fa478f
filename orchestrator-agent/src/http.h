/* The REST layer: the route table (also printed by `vesseld --dump-routes`
 * and compared with docs/api/openapi.yaml by a test), the request and reply
 * objects handlers see, and the libmicrohttpd listeners. */
#ifndef VSL_AGENT_HTTP_H
#define VSL_AGENT_HTTP_H

#include <microhttpd.h>
#include <stdbool.h>

#include "agent.h"
#include "spec.h"

struct vsl_http_req {
	struct vsl_agent *a;
	struct MHD_Connection *conn;
	const char *method;
	const char *id;        /* the {id} path parameter, NULL if none */
	const char *body;      /* JSON routes */
	size_t body_len;
	const char *upload;    /* upload routes: temp file with the body */
	long long upload_len;
};

struct vsl_http_reply {
	int status;
	json_t *json;               /* owned; sent as application/json */
	char *text;                 /* owned; sent with ctype */
	const char *ctype;
	struct MHD_Response *resp;  /* a ready response (streams) */
	struct vsl_api_err err;     /* when err.http != 0 */
};

typedef void (*vsl_handler)(struct vsl_http_req *r, struct vsl_http_reply *out);

struct vsl_route {
	const char *method;
	const char *path; /* segments; "{id}" matches one segment */
	vsl_handler h;
	bool upload;      /* body streamed to a file (image import) */
	bool no_body;     /* refuse a non-empty body */
};

extern const struct vsl_route vsl_routes[];
void vsl_http_dump_routes(void);

/* Query argument helper: value or NULL. */
const char *vsl_http_arg(struct vsl_http_req *r, const char *key);
/* Rejects query arguments not in the NULL-terminated list (400 naming it). */
int vsl_http_args_only(struct vsl_http_req *r, const char *const *allowed, struct vsl_http_reply *out);

/* Starts the unix-socket listener and, if configured, the TCP one. */
int vsl_http_start(struct vsl_agent *a, struct vsl_err **err);
void vsl_http_stop(void);

/* Handlers (api_*.c). */
void vsl_api_node(struct vsl_http_req *, struct vsl_http_reply *);
void vsl_api_healthz(struct vsl_http_req *, struct vsl_http_reply *);
void vsl_api_metrics(struct vsl_http_req *, struct vsl_http_reply *);
void vsl_api_events(struct vsl_http_req *, struct vsl_http_reply *);
void vsl_api_vnf_create(struct vsl_http_req *, struct vsl_http_reply *);
void vsl_api_vnf_list(struct vsl_http_req *, struct vsl_http_reply *);
void vsl_api_vnf_show(struct vsl_http_req *, struct vsl_http_reply *);
void vsl_api_vnf_delete(struct vsl_http_req *, struct vsl_http_reply *);
void vsl_api_vnf_start(struct vsl_http_req *, struct vsl_http_reply *);
void vsl_api_vnf_stop(struct vsl_http_req *, struct vsl_http_reply *);
void vsl_api_vnf_restart(struct vsl_http_req *, struct vsl_http_reply *);
void vsl_api_vnf_kill(struct vsl_http_req *, struct vsl_http_reply *);
void vsl_api_vnf_pause(struct vsl_http_req *, struct vsl_http_reply *);
void vsl_api_vnf_unpause(struct vsl_http_req *, struct vsl_http_reply *);
void vsl_api_vnf_logs(struct vsl_http_req *, struct vsl_http_reply *);
void vsl_api_vnf_stats(struct vsl_http_req *, struct vsl_http_reply *);
void vsl_api_image_import(struct vsl_http_req *, struct vsl_http_reply *);
void vsl_api_image_list(struct vsl_http_req *, struct vsl_http_reply *);
void vsl_api_image_show(struct vsl_http_req *, struct vsl_http_reply *);
void vsl_api_image_delete(struct vsl_http_req *, struct vsl_http_reply *);
void vsl_api_net_create(struct vsl_http_req *, struct vsl_http_reply *);
void vsl_api_net_list(struct vsl_http_req *, struct vsl_http_reply *);
void vsl_api_net_show(struct vsl_http_req *, struct vsl_http_reply *);
void vsl_api_net_delete(struct vsl_http_req *, struct vsl_http_reply *);

/* JSON of a vnfs row (with its parsed spec and state mapping). */
json_t *vsl_vnf_json(json_t *row);

#endif
