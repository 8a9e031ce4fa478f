/* Thread pinning: apply a plan's CPU set to a thread and read it back.
 *
 * The runtime pins each vCPU thread (ids from QMP query-cpus-fast) to its
 * dedicated CPU and QEMU's other threads to the plan's shared set; reading the
 * affinity back is how tests and `vessel-numa affinity` verify it.
 */
#include <errno.h>
#include <sched.h>

#include "vessel/err.h"
#include "vessel/numa.h"

int vsl_numa_pin_thread(pid_t tid, const struct vsl_cpuset *set, struct vsl_err **err)
{
	cpu_set_t cs;

	if (vsl_cpuset_count(set) == 0)
		return vsl_err_make(err, 0, "pin thread %d: empty cpu set", (int)tid);
	CPU_ZERO(&cs);
	for (int c = vsl_cpuset_next(set, 0); c >= 0; c = vsl_cpuset_next(set, c + 1))
		CPU_SET((size_t)c, &cs);
	if (sched_setaffinity(tid, sizeof(cs), &cs) < 0)
		return vsl_err_make(err, errno, "pin thread %d", (int)tid);
	return 0;
}

int vsl_numa_get_affinity(pid_t tid, struct vsl_cpuset *out, struct vsl_err **err)
{
	cpu_set_t cs;

	CPU_ZERO(&cs);
	if (sched_getaffinity(tid, sizeof(cs), &cs) < 0)
		return vsl_err_make(err, errno, "affinity of thread %d", (int)tid);
	vsl_cpuset_zero(out);
	for (int c = 0; c < VSL_CPUSET_MAX && c < CPU_SETSIZE; c++)
		if (CPU_ISSET((size_t)c, &cs))
			vsl_cpuset_add(out, c);
	return 0;
}
