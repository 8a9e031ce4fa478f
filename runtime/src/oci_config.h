/* OCI bundle configuration (config.json) as Vessel needs it.
 *
 * The parser reads the subset of the OCI runtime spec that a microVM can
 * honour (process, hostname, root, mounts, linux.resources, annotations) and
 * derives the guest size from it. It depends only on jansson and
 * libvslcommon, so the libFuzzer target links it alone. Every schema
 * violation yields an error that names the JSON field, e.g.
 * "config.json: process.args[1]: expected a string".
 */
#ifndef VESSEL_OCI_CONFIG_H
#define VESSEL_OCI_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vessel/err.h"

#define VSL_DEFAULT_VCPUS 1u
#define VSL_DEFAULT_MEMORY_MB 256u
#define VSL_MIN_MEMORY_MB 64u
#define VSL_MAX_VCPUS 64u
#define VSL_MAX_MEMORY_MB (1u << 20)

struct vsl_oci_mount {
	char *destination;
	char *type;   /* "" when absent */
	char *source; /* "" when absent */
	char **options;
	size_t n_options;
};

struct vsl_oci_kv {
	char *key;
	char *value;
};

struct vsl_oci_config {
	char *oci_version;
	/* process */
	char **args;
	size_t n_args;
	char **env; /* "NAME=value" */
	size_t n_env;
	char *cwd;
	uint32_t uid, gid;
	uint32_t *additional_gids;
	size_t n_additional_gids;
	bool terminal;
	uint32_t rows, cols; /* process.consoleSize, 0 when absent */
	/* container */
	char *hostname; /* "" when absent */
	char *root_path; /* absolute (resolved against the bundle by _load) */
	bool root_readonly;
	struct vsl_oci_mount *mounts;
	size_t n_mounts;
	struct vsl_oci_kv *annotations;
	size_t n_annotations;
	/* linux.resources as read (0/-1 when absent) */
	int64_t memory_limit;
	int64_t cpu_quota;
	uint64_t cpu_period;
	char *cpus;
	/* derived guest size */
	unsigned vcpus;
	unsigned memory_mb;
	/* placement annotations (docs/annotations.md) */
	bool dedicated;        /* org.vessel.cpu_policy=dedicated */
	int numa_node;         /* org.vessel.numa_node, -1 for auto */
	unsigned hugepage_kb;  /* org.vessel.hugepage_size: 0 (none), 2048 or 1048576 */
	bool mem_prealloc;     /* org.vessel.mem_prealloc=true */
	bool mem_shared;       /* org.vessel.mem_share (default true; vhost-user NICs need it) */
	char **sysctls;        /* linux.sysctl as "key=value", applied by vessel-init */
	size_t n_sysctls;
	bool placement_asked;  /* any of cpu_policy/numa_node/hugepage_size given (not defaults) */
};

/* Parses config.json text. On success stores a new config in *out (free with
 * vsl_oci_config_free) and returns 0; otherwise returns -1 with an error that
 * names the field. root_path is kept as written (possibly relative). */
int vsl_oci_config_parse(const char *text, size_t len, struct vsl_oci_config **out,
			 struct vsl_err **err);

/* Reads <bundle>/config.json, parses it and resolves root.path against the
 * bundle directory. Checks that the rootfs directory exists. */
int vsl_oci_config_load(const char *bundle, struct vsl_oci_config **out, struct vsl_err **err);

/* Returns an annotation's value or NULL. The config keeps ownership. */
const char *vsl_oci_config_annotation(const struct vsl_oci_config *c, const char *key);

/* Counts the CPUs in a cpuset list such as "0-3,6". Returns -1 if malformed. */
int vsl_oci_cpuset_count(const char *s);

/* Frees a config; NULL is a no-op. */
void vsl_oci_config_free(struct vsl_oci_config *c);
void vsl_oci_config_freep(struct vsl_oci_config **c);
#define cleanup_oci_config __attribute__((cleanup(vsl_oci_config_freep)))

#endif
