/* Turning a parsed OCI process (struct vsl_oci_config) into the control
 * channel's vessel.ctl.Process: one place for the workload (shim, at start)
 * and for exec'd processes (vessel-runtime exec), so both see the same
 * defaults (80x24 terminal) and the same env handling. */
#ifndef VESSEL_CTL_PROCESS_H
#define VESSEL_CTL_PROCESS_H

#include "control.pb-c.h"
#include "oci_config.h"

/* Fills *p from c. envs and envp are caller arrays of at least c->n_env
 * entries; p borrows c's strings and envp; the env names are new strings the
 * caller frees with vsl_ctl_process_env_free once p is packed. */
void vsl_ctl_process_fill(const struct vsl_oci_config *c, Vessel__Ctl__Process *p,
			  Vessel__Ctl__EnvVar *envs, Vessel__Ctl__EnvVar **envp);

/* Frees the env names vsl_ctl_process_fill allocated (n = c->n_env). */
void vsl_ctl_process_env_free(Vessel__Ctl__EnvVar *envs, size_t n);

#endif
