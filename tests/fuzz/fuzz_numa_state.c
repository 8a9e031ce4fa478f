/* libFuzzer target: the placement state loader (runtime/numa/src/place_state.c).
 * The file may be damaged by a crash or an operator's edit; the loader must
 * reject bad documents with a message and never crash. A document it accepts
 * must have no dedicated cpu recorded twice. */
#include <stdint.h>
#include <stdlib.h>

#include "vessel/err.h"
#include "vessel/numa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vsl_place_state *st = NULL;
	struct vsl_err *err = NULL;

	if (vsl_place_state_parse((const char *)data, size, &st, &err) == 0) {
		struct vsl_topo t = {.root = (char *)"/fuzz"};
		struct vsl_cpuset ded;
		int total = 0;
		vsl_place_state_dedicated(st, &ded);
		for (int i = 0; i < vsl_place_state_count(st); i++) {
			struct vsl_place_plan *p = vsl_place_lookup(&t, st, vsl_place_state_vnf(st, i));
			if (!p)
				abort();
			if (p->cpu_policy == VSL_CPU_DEDICATED)
				total += p->vcpus;
			vsl_place_plan_destroy(p);
		}
		if (total != vsl_cpuset_count(&ded))
			abort(); /* a cpu recorded twice got past validation */
		vsl_place_state_destroy(st);
	} else if (!err || !err->msg) {
		abort();
	}
	vsl_err_free(err);
	return 0;
}
