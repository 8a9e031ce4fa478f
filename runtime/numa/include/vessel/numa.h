/* NUMA topology, CPU/hugepage placement and thread pinning (libvesselnuma).
 *
 * The runtime asks this module where a VNF goes before QEMU starts: which NUMA
 * node, which host CPUs its vCPU threads get (dedicated) or share, and how many
 * hugepages of which size back its memory. Topology is read from a sysfs tree
 * whose root is configurable (tests load fake two-socket trees); dedicated CPUs
 * are handed out exclusively and recorded in a JSON state file so a restart of
 * any Vessel process never hands one out twice.
 *
 * Ownership: every object returned through an `out` pointer belongs to the
 * caller and is freed with its _destroy function (NULL is a no-op). Strings
 * returned by vsl_cpulist_format are malloc'd and freed with free(). Nothing
 * here keeps pointers into caller memory after a call returns.
 */
#ifndef VESSEL_NUMA_H
#define VESSEL_NUMA_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct vsl_err;

/* ---- CPU sets and cpulists ("0-3,8,10-11") ---------------------------- */

#define VSL_CPUSET_MAX 1024 /* same as glibc's CPU_SETSIZE */

struct vsl_cpuset {
	uint64_t bits[VSL_CPUSET_MAX / 64];
};

void vsl_cpuset_zero(struct vsl_cpuset *s);
void vsl_cpuset_add(struct vsl_cpuset *s, int cpu);   /* ignores cpu out of range */
void vsl_cpuset_del(struct vsl_cpuset *s, int cpu);
bool vsl_cpuset_has(const struct vsl_cpuset *s, int cpu);
int vsl_cpuset_count(const struct vsl_cpuset *s);
/* Next member >= from, or -1. Iterate: for (c = next(s,0); c >= 0; c = next(s,c+1)). */
int vsl_cpuset_next(const struct vsl_cpuset *s, int from);
void vsl_cpuset_or(struct vsl_cpuset *dst, const struct vsl_cpuset *src);
void vsl_cpuset_andnot(struct vsl_cpuset *dst, const struct vsl_cpuset *src);
bool vsl_cpuset_equal(const struct vsl_cpuset *a, const struct vsl_cpuset *b);

/* Parses a kernel cpulist ("0-3,8,10-11"; surrounding whitespace and one
 * trailing newline allowed; "" is the empty set). Strict: rejects reversed
 * ranges, empty elements, signs, hex, CPUs >= VSL_CPUSET_MAX; the error quotes
 * the offending element. Returns 0 or negative with *err set. */
int vsl_cpulist_parse(const char *text, struct vsl_cpuset *out, struct vsl_err **err);

/* Formats a set as a canonical cpulist ("" when empty). Caller frees. */
char *vsl_cpulist_format(const struct vsl_cpuset *s);

/* ---- Topology ---------------------------------------------------------- */

enum { VSL_HP_2M = 0, VSL_HP_1G = 1, VSL_HP_NSIZES = 2 };

struct vsl_numa_hugepages {
	long nr;   /* nr_hugepages; -1 when the size is not supported */
	long free; /* free_hugepages */
};

struct vsl_numa_node {
	int id;
	struct vsl_cpuset cpus;       /* online CPUs of the node */
	uint64_t mem_total_kb;        /* 0 when unknown */
	uint64_t mem_free_kb;
	struct vsl_numa_hugepages hp[VSL_HP_NSIZES];
};

struct vsl_numa_cpu {
	int node;       /* -1 when the CPU is offline */
	int core_id;
	int package_id;
	struct vsl_cpuset siblings; /* thread siblings, including itself */
};

struct vsl_topo {
	char *root;             /* sysfs root it was read from */
	bool numa_enabled;      /* false: no node/ directory, one synthetic node 0 */
	int n_nodes;
	struct vsl_numa_node *nodes; /* sorted by id; ids may be sparse */
	struct vsl_cpuset online;
	int max_cpu;            /* highest online CPU */
	struct vsl_numa_cpu *cpus; /* indexed by CPU number, max_cpu + 1 entries */
};

/* Loads the topology from sysfs_root, the directory that mirrors /sys (NULL
 * or "/" mean the host's /sys; tests pass a fake tree).
 * Reads node<N>/{cpulist,meminfo,hugepages}, cpu/online and each CPU's topology/.
 * When the root is the real /sys, cross-checks node count and CPUs against
 * libnuma and fails on a mismatch. Caller owns *out. */
int vsl_topo_load(const char *sysfs_root, struct vsl_topo **out, struct vsl_err **err);
void vsl_topo_destroy(struct vsl_topo *t);

/* The node with this id, or NULL. */
const struct vsl_numa_node *vsl_topo_node(const struct vsl_topo *t, int id);

/* NUMA node of a PCI device ("0000:81:00.0"): reads
 * <root>/bus/pci/devices/<addr>/numa_node; -1 (no affinity) counts as node 0.
 * Returns the node (>= 0) or negative with *err naming the device. */
int vsl_topo_pci_node(const struct vsl_topo *t, const char *pci_addr, struct vsl_err **err);

/* Index into vsl_numa_node.hp for a page size in kB (2048, 1048576), or -1. */
int vsl_hp_index(uint64_t size_kb);

/* ---- Allocation state (persistent) ------------------------------------- */

/* Opaque: the dedicated CPUs and hugepages recorded per VNF, plus the CPUs no
 * VNF may be dedicated (housekeeping, dataplane PMD workers). */
struct vsl_place_state;

#define VSL_PLACE_DEFAULT_DIR "/var/lib/vessel"
#define VSL_PLACE_FILE "placement.json"

/* Opens dir/placement.json (dir NULL: VSL_PLACE_DEFAULT_DIR), creating dir if
 * needed; a missing file is an empty state. A file that does not parse or
 * fails validation is an error naming the file (it is never overwritten).
 * dir "" gives an in-memory state that is never saved (tests, dry runs). */
int vsl_place_state_open(const char *dir, struct vsl_place_state **out, struct vsl_err **err);

/* Parses a state document from memory (the file loader and fuzzer use it). */
int vsl_place_state_parse(const char *buf, size_t len, struct vsl_place_state **out,
			  struct vsl_err **err);
void vsl_place_state_destroy(struct vsl_place_state *st);

/* Sets the reserved CPUs (never dedicated to a VNF): housekeeping (NULL keeps
 * the current value; the default is CPU 0 and its thread siblings) and
 * dataplane PMD worker CPUs (NULL keeps). Saved with the state. */
int vsl_place_state_set_reserved(struct vsl_place_state *st, const struct vsl_cpuset *housekeeping,
				 const struct vsl_cpuset *dataplane, struct vsl_err **err);

/* Current reserved sets (housekeeping_set false: default, computed from topo). */
void vsl_place_state_reserved(const struct vsl_place_state *st, const struct vsl_topo *t,
			      struct vsl_cpuset *housekeeping, struct vsl_cpuset *dataplane);

/* All dedicated CPUs recorded for any VNF. */
void vsl_place_state_dedicated(const struct vsl_place_state *st, struct vsl_cpuset *out);

/* Number of VNFs recorded; and the id of the i-th (valid until the next change). */
int vsl_place_state_count(const struct vsl_place_state *st);
const char *vsl_place_state_vnf(const struct vsl_place_state *st, int i);

/* ---- Placement --------------------------------------------------------- */

enum vsl_cpu_policy { VSL_CPU_SHARED = 0, VSL_CPU_DEDICATED = 1 };

#define VSL_NUMA_AUTO (-1)
#define VSL_NUMA_MAX_VCPUS 256

struct vsl_place_req {
	const char *vnf_id;      /* required: key of the record */
	int vcpus;               /* 1..VSL_NUMA_MAX_VCPUS */
	uint64_t memory_mb;      /* > 0 */
	enum vsl_cpu_policy cpu_policy;
	int numa_node;           /* fixed node, or VSL_NUMA_AUTO */
	uint64_t hugepage_kb;    /* 0 (none), 2048 or 1048576 */
	int port_node;           /* node of the dataplane ports, or -1 when none */
	bool dry_run;            /* compute only; record nothing */
};

struct vsl_place_plan {
	char *vnf_id;
	int node;
	enum vsl_cpu_policy cpu_policy;
	int vcpus;
	int vcpu_cpu[VSL_NUMA_MAX_VCPUS]; /* dedicated: host CPU of vCPU i; shared: -1 */
	struct vsl_cpuset dedicated;      /* union of vcpu_cpu (dedicated policy) */
	struct vsl_cpuset shared;         /* shared vCPUs and QEMU's other threads */
	uint64_t memory_mb;
	uint64_t hugepage_kb;             /* 0: no hugepages */
	uint64_t hugepages;               /* count of hugepage_kb pages */
	char *mem_path;                   /* hugetlbfs mount of that size, or NULL: use memfd */
	char *reason;                     /* why this node ("fixed", "dataplane ports", ...) */
	bool existing;                    /* returned from an earlier record (idempotent) */
};

/* Places a VNF. The same vnf_id with the same request returns its recorded
 * plan (existing = true); with a different request it is an error. When the
 * state has a file, it is re-read and rewritten under an flock so concurrent
 * Vessel processes see each other's records. A request that cannot be met
 * fails naming the node and resource ("numa node 1: 2 free dedicated cores,
 * 4 requested"). Caller owns *out (vsl_place_plan_destroy). */
int vsl_place(const struct vsl_topo *t, struct vsl_place_state *st, const struct vsl_place_req *req,
	      struct vsl_place_plan **out, struct vsl_err **err);

/* The recorded plan of vnf_id (existing = true), or NULL when it has none.
 * Uses the state as last loaded (the runtime calls it after a restart to
 * re-pin a running VNF). Caller owns the result. */
struct vsl_place_plan *vsl_place_lookup(const struct vsl_topo *t, const struct vsl_place_state *st,
					const char *vnf_id);

/* Forgets a VNF's record, freeing its dedicated CPUs and hugepages. Releasing
 * an unknown id is not an error (delete is idempotent); returns 1 if a record
 * was removed, 0 if none, negative on a state file error. */
int vsl_place_release(struct vsl_place_state *st, const char *vnf_id, struct vsl_err **err);

/* The CPUs of `node` that shared vCPUs and QEMU's non-vCPU threads may use now:
 * online, not dedicated to a VNF, not dataplane; housekeeping excluded unless
 * nothing else is left. */
void vsl_place_shared_cpus(const struct vsl_topo *t, const struct vsl_place_state *st, int node,
			   struct vsl_cpuset *out);

void vsl_place_plan_destroy(struct vsl_place_plan *p);

/* Parses "dedicated"/"shared" and "2M"/"1G"/"none" (into kB). -1 when unknown. */
int vsl_cpu_policy_parse(const char *s, enum vsl_cpu_policy *out);
int vsl_hugepage_size_parse(const char *s, uint64_t *kb_out);

/* ---- Pinning ----------------------------------------------------------- */

/* Sets the CPU affinity of thread tid (0: the caller) to set. */
int vsl_numa_pin_thread(pid_t tid, const struct vsl_cpuset *set, struct vsl_err **err);
/* Reads the CPU affinity of thread tid (0: the caller). */
int vsl_numa_get_affinity(pid_t tid, struct vsl_cpuset *out, struct vsl_err **err);

#endif
