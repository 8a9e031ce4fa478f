/* Per-container state directory under the runtime root (default /run/vessel).
 *
 *   <root>/<id>/state.json   written atomically (temp file + rename)
 *   <root>/<id>/shim.sock    the shim's control socket (shim_client.h)
 *   <root>/<id>/ctl.sock, qmp.sock, console.log, rootfs.erofs
 *
 * The shim is the main writer of state.json once it runs; the CLI writes the
 * first version at create and removes the directory at delete.
 */
#ifndef VESSEL_STATE_H
#define VESSEL_STATE_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "vessel/err.h"

#define VSL_DEFAULT_ROOT "/run/vessel"
#define VSL_ID_MAX 128

enum vsl_status {
	VSL_STATUS_CREATING,
	VSL_STATUS_CREATED,
	VSL_STATUS_RUNNING,
	VSL_STATUS_PAUSED,
	VSL_STATUS_STOPPED,
};

struct vsl_state {
	char *id;
	enum vsl_status status;
	pid_t pid;      /* vessel-shim */
	pid_t qemu_pid; /* 0 when none */
	char *bundle;
	char *created;  /* RFC 3339 UTC */
	json_t *annotations; /* object of strings, owned (one reference) */
	bool exited;
	int exit_status; /* runc-style, valid when exited */
	char *error;    /* why the container stopped abnormally, NULL if not */
};

/* Checks a container id: 1..128 chars of [A-Za-z0-9_+.-], not "." or "..". */
int vsl_state_validate_id(const char *id, struct vsl_err **err);

const char *vsl_status_name(enum vsl_status s);
int vsl_status_parse(const char *s, enum vsl_status *out);

/* Returns "<root>/<id>" (caller frees). */
char *vsl_state_dir(const char *root, const char *id);

/* Creates <root> (if needed) and <root>/<id>. A second create of the same id
 * fails with EEXIST and a message telling the user to delete it first. */
int vsl_state_create_dir(const char *root, const char *id, struct vsl_err **err);

/* Removes <root>/<id> and everything in it (files only, one level). Missing
 * directory is not an error. */
int vsl_state_remove_dir(const char *root, const char *id, struct vsl_err **err);

/* Writes <root>/<id>/state.json atomically. */
int vsl_state_write(const char *root, const struct vsl_state *st, struct vsl_err **err);

/* Reads <root>/<id>/state.json into a new state (*out, free with
 * vsl_state_free). An unknown id gives ENOENT and names the id. */
int vsl_state_read(const char *root, const char *id, struct vsl_state **out, struct vsl_err **err);

/* If the shim is gone but the state says it is alive, the container is
 * stopped: adjusts st->status. Returns true if the shim is alive. */
bool vsl_state_refresh(struct vsl_state *st);

/* OCI state JSON (ociVersion, id, status, pid, bundle, created, annotations);
 * returns a new string (caller frees). */
char *vsl_state_oci_json(const struct vsl_state *st);

/* Lists container ids under root (sorted). *ids is a NULL-terminated array
 * the caller frees (each string and the array). */
int vsl_state_list(const char *root, char ***ids, size_t *n, struct vsl_err **err);

/* Sets annotation key=value (replacing). */
void vsl_state_annotate(struct vsl_state *st, const char *key, const char *value);

/* Current time as RFC 3339 (caller frees). */
char *vsl_state_now(void);

void vsl_state_free(struct vsl_state *st);
void vsl_state_freep(struct vsl_state **st);
#define cleanup_state __attribute__((cleanup(vsl_state_freep)))

/* Writes pid to path atomically (a temporary file renamed into place), as
 * --pid-file of create and exec: a manager polling the file never reads a
 * partial number. Errors name the --pid-file path. */
int vsl_state_write_pid_file(const char *path, pid_t pid, struct vsl_err **err);

#endif
