/* vessel.ctl.Process from a parsed OCI process: see ctl_process.h. */
#include <stdlib.h>
#include <string.h>

#include "ctl_process.h"

void vsl_ctl_process_fill(const struct vsl_oci_config *c, Vessel__Ctl__Process *p,
			  Vessel__Ctl__EnvVar *envs, Vessel__Ctl__EnvVar **envp)
{
	vessel__ctl__process__init(p);
	for (size_t i = 0; i < c->n_env; i++) {
		vessel__ctl__env_var__init(&envs[i]);
		/* the parser guarantees NAME=VALUE */
		char *eq = strchr(c->env[i], '=');
		envs[i].name = strndup(c->env[i], (size_t)(eq - c->env[i]));
		envs[i].value = eq + 1;
		envp[i] = &envs[i];
	}
	p->n_args = c->n_args;
	p->args = c->args;
	p->n_env = c->n_env;
	p->env = envp;
	p->cwd = c->cwd;
	p->uid = c->uid;
	p->gid = c->gid;
	p->n_additional_gids = c->n_additional_gids;
	p->additional_gids = c->additional_gids;
	p->terminal = c->terminal;
	p->rows = c->rows ? c->rows : 24;
	p->cols = c->cols ? c->cols : 80;
}

void vsl_ctl_process_env_free(Vessel__Ctl__EnvVar *envs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(envs[i].name);
}
