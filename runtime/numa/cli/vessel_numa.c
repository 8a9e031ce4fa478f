/* vessel-numa: the NUMA topology and placement module from the command line.
 *
 * Operators use it to see what Vessel sees (show), to try or record a
 * placement (plan, release, list), to set the CPUs no VNF may be dedicated
 * (reserve), and to pin or inspect a thread (pin, affinity); integration tests
 * drive it against the real host. Every verb is a thin wrapper over
 * libvesselnuma; output is text, or JSON with --json.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vessel/cleanup.h"
#include "vessel/err.h"
#include "vessel/log.h"
#include "vessel/numa.h"

struct opts {
	const char *sysfs, *state_dir, *vnf, *port_pci, *cpus, *housekeeping, *dataplane;
	bool json, commit;
	struct vsl_place_req req;
	long tid;
};

static const char usage[] =
	"usage: vessel-numa [--sysfs DIR] [--state-dir DIR] VERB [options]\n"
	"  show [--json]                      nodes, cpus, hugepages as read from sysfs\n"
	"  plan --vcpus N --memory-mb M [--cpu-policy dedicated|shared] [--numa-node auto|N]\n"
	"       [--hugepage-size none|2M|1G] [--port-pci ADDR | --port-node N]\n"
	"       [--vnf ID --commit] [--json]  compute (and with --commit record) a placement\n"
	"  release --vnf ID                   forget a VNF's placement\n"
	"  list [--json]                      recorded placements and reserved cpus\n"
	"  reserve [--housekeeping LIST] [--dataplane LIST]\n"
	"  pin --tid TID --cpus LIST          set a thread's cpu affinity\n"
	"  affinity --tid TID                 print a thread's cpu affinity as a cpulist\n"
	"defaults: --sysfs /sys, --state-dir " VSL_PLACE_DEFAULT_DIR "\n";

static int parse_long(const char *s, long lo, long hi, long *out, const char *what, struct vsl_err **err)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < lo || v > hi)
		return vsl_err_make(err, 0, "%s `%s`: expected an integer %ld..%ld", what, s, lo, hi);
	*out = v;
	return 0;
}

static json_t *cpuset_json(const struct vsl_cpuset *s)
{
	cleanup_free char *t = vsl_cpulist_format(s);
	return json_string(t);
}

static void print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2));
	if (s)
		printf("%s\n", s);
	free(s);
	json_decref(j);
}

static const char *hp_label[VSL_HP_NSIZES] = {"2M", "1G"};

static json_t *topo_json(const struct vsl_topo *t)
{
	json_t *root = json_object(), *nodes = json_array(), *cpus = json_array();
	json_object_set_new(root, "sysfs", json_string(t->root));
	json_object_set_new(root, "numa_enabled", json_boolean(t->numa_enabled));
	json_object_set_new(root, "online", cpuset_json(&t->online));
	for (int i = 0; i < t->n_nodes; i++) {
		const struct vsl_numa_node *n = &t->nodes[i];
		json_t *o = json_object(), *hp = json_object();
		json_object_set_new(o, "id", json_integer(n->id));
		json_object_set_new(o, "cpus", cpuset_json(&n->cpus));
		json_object_set_new(o, "mem_total_kb", json_integer((json_int_t)n->mem_total_kb));
		json_object_set_new(o, "mem_free_kb", json_integer((json_int_t)n->mem_free_kb));
		for (int h = 0; h < VSL_HP_NSIZES; h++)
			if (n->hp[h].nr >= 0)
				json_object_set_new(hp, hp_label[h],
						    json_pack("{s:I,s:I}", "nr", (json_int_t)n->hp[h].nr, "free",
							      (json_int_t)n->hp[h].free));
		json_object_set_new(o, "hugepages", hp);
		json_array_append_new(nodes, o);
	}
	for (int c = 0; c <= t->max_cpu; c++) {
		if (!vsl_cpuset_has(&t->online, c))
			continue;
		json_t *o = json_pack("{s:i,s:i,s:i,s:i}", "cpu", c, "node", t->cpus[c].node, "package",
				      t->cpus[c].package_id, "core", t->cpus[c].core_id);
		json_object_set_new(o, "siblings", cpuset_json(&t->cpus[c].siblings));
		json_array_append_new(cpus, o);
	}
	json_object_set_new(root, "nodes", nodes);
	json_object_set_new(root, "cpus", cpus);
	return root;
}

static int cmd_show(const struct opts *o, const struct vsl_topo *t)
{
	if (o->json) {
		print_json(topo_json(t));
		return 0;
	}
	cleanup_free char *online = vsl_cpulist_format(&t->online);
	printf("sysfs %s: numa %s, %d node(s), online cpus %s\n", t->root,
	       t->numa_enabled ? "enabled" : "disabled (one node 0)", t->n_nodes, online);
	for (int i = 0; i < t->n_nodes; i++) {
		const struct vsl_numa_node *n = &t->nodes[i];
		cleanup_free char *cpus = vsl_cpulist_format(&n->cpus);
		printf("node %d: cpus %s (%d), memory %" PRIu64 " MB, free %" PRIu64 " MB", n->id, cpus,
		       vsl_cpuset_count(&n->cpus), n->mem_total_kb / 1024, n->mem_free_kb / 1024);
		for (int h = 0; h < VSL_HP_NSIZES; h++)
			if (n->hp[h].nr >= 0)
				printf(", %s hugepages %ld free of %ld", hp_label[h], n->hp[h].free, n->hp[h].nr);
		printf("\n");
	}
	for (int c = 0; c <= t->max_cpu; c++) {
		if (!vsl_cpuset_has(&t->online, c))
			continue;
		cleanup_free char *sib = vsl_cpulist_format(&t->cpus[c].siblings);
		printf("cpu %d: node %d package %d core %d siblings %s\n", c, t->cpus[c].node, t->cpus[c].package_id,
		       t->cpus[c].core_id, sib);
	}
	return 0;
}

static json_t *plan_json(const struct vsl_place_plan *p, bool committed)
{
	json_t *o = json_object(), *cpus = json_array();
	for (int v = 0; v < p->vcpus && p->cpu_policy == VSL_CPU_DEDICATED; v++)
		json_array_append_new(cpus, json_integer(p->vcpu_cpu[v]));
	json_object_set_new(o, "vnf_id", json_string(p->vnf_id));
	json_object_set_new(o, "node", json_integer(p->node));
	json_object_set_new(o, "cpu_policy", json_string(p->cpu_policy == VSL_CPU_DEDICATED ? "dedicated" : "shared"));
	json_object_set_new(o, "vcpus", json_integer(p->vcpus));
	json_object_set_new(o, "vcpu_cpus", cpus);
	json_object_set_new(o, "dedicated", cpuset_json(&p->dedicated));
	json_object_set_new(o, "shared", cpuset_json(&p->shared));
	json_object_set_new(o, "memory_mb", json_integer((json_int_t)p->memory_mb));
	json_object_set_new(o, "hugepage_kb", json_integer((json_int_t)p->hugepage_kb));
	json_object_set_new(o, "hugepages", json_integer((json_int_t)p->hugepages));
	json_object_set_new(o, "mem_path", p->mem_path ? json_string(p->mem_path) : json_null());
	json_object_set_new(o, "reason", json_string(p->reason));
	json_object_set_new(o, "existing", json_boolean(p->existing));
	json_object_set_new(o, "committed", json_boolean(committed));
	return o;
}

static void print_plan(const struct vsl_place_plan *p, bool committed)
{
	cleanup_free char *ded = vsl_cpulist_format(&p->dedicated);
	cleanup_free char *sh = vsl_cpulist_format(&p->shared);
	printf("vnf %s: numa node %d (%s)%s%s\n", p->vnf_id, p->node, p->reason, p->existing ? ", existing" : "",
	       committed ? ", recorded" : ", not recorded (dry run)");
	if (p->cpu_policy == VSL_CPU_DEDICATED) {
		printf("  vcpus: %d dedicated:", p->vcpus);
		for (int v = 0; v < p->vcpus; v++)
			printf(" %d->%d", v, p->vcpu_cpu[v]);
		printf(" (cpus %s)\n", ded);
	} else {
		printf("  vcpus: %d shared on cpus %s\n", p->vcpus, sh);
	}
	printf("  other qemu threads: cpus %s\n", sh);
	if (p->hugepage_kb)
		printf("  memory: %" PRIu64 " MB in %" PRIu64 " %s hugepages on node %d, %s\n", p->memory_mb,
		       p->hugepages, p->hugepage_kb == 2048 ? "2M" : "1G", p->node,
		       p->mem_path ? p->mem_path : "memfd hugetlb=on (no hugetlbfs mount of that size)");
	else
		printf("  memory: %" PRIu64 " MB, memfd, bound to node %d\n", p->memory_mb, p->node);
}

static int cmd_plan(struct opts *o, const struct vsl_topo *t, struct vsl_place_state *st, struct vsl_err **err)
{
	struct vsl_place_plan *p = NULL;

	if (o->commit && !o->vnf)
		return vsl_err_make(err, 0, "plan --commit needs --vnf ID");
	if (o->req.vcpus <= 0 || o->req.memory_mb == 0)
		return vsl_err_make(err, 0, "plan needs --vcpus N and --memory-mb M");
	o->req.vnf_id = o->vnf ? o->vnf : "dry-run";
	o->req.dry_run = !o->commit;
	if (o->port_pci) {
		int node = vsl_topo_pci_node(t, o->port_pci, err);
		if (node < 0)
			return vsl_err_wrap(err, "--port-pci");
		o->req.port_node = node;
	}
	if (vsl_place(t, st, &o->req, &p, err) < 0)
		return -1;
	if (o->json)
		print_json(plan_json(p, o->commit));
	else
		print_plan(p, o->commit);
	vsl_place_plan_destroy(p);
	return 0;
}

static int cmd_list(const struct opts *o, const struct vsl_topo *t, struct vsl_place_state *st,
		    struct vsl_err **err)
{
	struct vsl_cpuset hk, dp, ded;
	json_t *root = json_object(), *vnfs = json_object();

	vsl_place_state_reserved(st, t, &hk, &dp);
	vsl_place_state_dedicated(st, &ded);
	json_object_set_new(root, "housekeeping", cpuset_json(&hk));
	json_object_set_new(root, "dataplane", cpuset_json(&dp));
	json_object_set_new(root, "dedicated", cpuset_json(&ded));
	for (int i = 0; i < vsl_place_state_count(st); i++) {
		struct vsl_place_plan *p = vsl_place_lookup(t, st, vsl_place_state_vnf(st, i));
		json_object_set_new(vnfs, p->vnf_id, plan_json(p, true));
		vsl_place_plan_destroy(p);
	}
	json_object_set_new(root, "vnfs", vnfs);
	if (o->json) {
		print_json(root);
		return 0;
	}
	cleanup_free char *a = vsl_cpulist_format(&hk);
	cleanup_free char *b = vsl_cpulist_format(&dp);
	cleanup_free char *c = vsl_cpulist_format(&ded);
	printf("housekeeping cpus: %s\ndataplane cpus: %s\ndedicated to vnfs: %s\n", a, b[0] ? b : "-",
	       c[0] ? c : "-");
	for (int i = 0; i < vsl_place_state_count(st); i++) {
		struct vsl_place_plan *p = vsl_place_lookup(t, st, vsl_place_state_vnf(st, i));
		print_plan(p, true);
		vsl_place_plan_destroy(p);
	}
	json_decref(root);
	(void)err;
	return 0;
}

static int cmd_reserve(const struct opts *o, struct vsl_place_state *st, struct vsl_err **err)
{
	struct vsl_cpuset hk, dp;
	if (o->housekeeping && vsl_cpulist_parse(o->housekeeping, &hk, err) < 0)
		return vsl_err_wrap(err, "--housekeeping");
	if (o->dataplane && vsl_cpulist_parse(o->dataplane, &dp, err) < 0)
		return vsl_err_wrap(err, "--dataplane");
	return vsl_place_state_set_reserved(st, o->housekeeping ? &hk : NULL, o->dataplane ? &dp : NULL, err);
}

static int cmd_pin(const struct opts *o, bool set, struct vsl_err **err)
{
	struct vsl_cpuset cs;
	if (o->tid < 0)
		return vsl_err_make(err, 0, "--tid TID is required");
	if (set) {
		if (!o->cpus)
			return vsl_err_make(err, 0, "pin needs --cpus LIST");
		if (vsl_cpulist_parse(o->cpus, &cs, err) < 0)
			return vsl_err_wrap(err, "--cpus");
		if (vsl_numa_pin_thread((pid_t)o->tid, &cs, err) < 0)
			return -1;
	}
	if (vsl_numa_get_affinity((pid_t)o->tid, &cs, err) < 0)
		return -1;
	cleanup_free char *s = vsl_cpulist_format(&cs);
	printf("%s\n", s);
	return 0;
}

enum { O_SYSFS = 256, O_STATE, O_VCPUS, O_MEM, O_POLICY, O_NODE, O_HP, O_PCI, O_PNODE, O_HK, O_DP };

static int parse_opts(int argc, char **argv, struct opts *o, const char **verb, struct vsl_err **err)
{
	static const struct option lo[] = {
		{"sysfs", 1, 0, O_SYSFS},       {"state-dir", 1, 0, O_STATE},	 {"json", 0, 0, 'j'},
		{"vcpus", 1, 0, O_VCPUS},       {"memory-mb", 1, 0, O_MEM},	 {"cpu-policy", 1, 0, O_POLICY},
		{"numa-node", 1, 0, O_NODE},    {"hugepage-size", 1, 0, O_HP},	 {"port-pci", 1, 0, O_PCI},
		{"port-node", 1, 0, O_PNODE},   {"vnf", 1, 0, 'v'},		 {"commit", 0, 0, 'c'},
		{"tid", 1, 0, 't'},		{"cpus", 1, 0, 'C'},		 {"housekeeping", 1, 0, O_HK},
		{"dataplane", 1, 0, O_DP},      {"help", 0, 0, 'h'},		 {0, 0, 0, 0},
	};
	long v;
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case O_SYSFS: o->sysfs = optarg; break;
		case O_STATE: o->state_dir = optarg; break;
		case 'j': o->json = true; break;
		case O_VCPUS:
			if (parse_long(optarg, 1, VSL_NUMA_MAX_VCPUS, &v, "--vcpus", err) < 0)
				return -1;
			o->req.vcpus = (int)v;
			break;
		case O_MEM:
			if (parse_long(optarg, 1, 1L << 30, &v, "--memory-mb", err) < 0)
				return -1;
			o->req.memory_mb = (uint64_t)v;
			break;
		case O_POLICY:
			if (vsl_cpu_policy_parse(optarg, &o->req.cpu_policy) < 0)
				return vsl_err_make(err, 0, "--cpu-policy `%s`: use dedicated or shared", optarg);
			break;
		case O_NODE:
			if (strcmp(optarg, "auto") == 0)
				o->req.numa_node = VSL_NUMA_AUTO;
			else if (parse_long(optarg, 0, 4095, &v, "--numa-node", err) < 0)
				return vsl_err_wrap(err, "(or auto)");
			else
				o->req.numa_node = (int)v;
			break;
		case O_HP:
			if (vsl_hugepage_size_parse(optarg, &o->req.hugepage_kb) < 0)
				return vsl_err_make(err, 0, "--hugepage-size `%s`: use none, 2M or 1G", optarg);
			break;
		case O_PCI: o->port_pci = optarg; break;
		case O_PNODE:
			if (parse_long(optarg, 0, 4095, &v, "--port-node", err) < 0)
				return -1;
			o->req.port_node = (int)v;
			break;
		case 'v': o->vnf = optarg; break;
		case 'c': o->commit = true; break;
		case 't':
			if (parse_long(optarg, 0, 1L << 30, &o->tid, "--tid", err) < 0)
				return -1;
			break;
		case 'C': o->cpus = optarg; break;
		case O_HK: o->housekeeping = optarg; break;
		case O_DP: o->dataplane = optarg; break;
		case 'h': fputs(usage, stdout); *verb = "help"; return 0;
		default: return vsl_err_make(err, 0, "bad option (see vessel-numa --help)");
		}
	}
	if (optind != argc - 1)
		return vsl_err_make(err, 0, "expected one verb (see vessel-numa --help)");
	*verb = argv[optind];
	return 0;
}

static int run(int argc, char **argv, struct vsl_err **err)
{
	struct opts o = {.tid = -1, .req = {.numa_node = VSL_NUMA_AUTO, .port_node = -1}};
	struct vsl_topo *t = NULL;
	struct vsl_place_state *st = NULL;
	const char *verb = NULL;
	int rc;

	if (parse_opts(argc, argv, &o, &verb, err) < 0)
		return -1;
	if (strcmp(verb, "help") == 0)
		return 0;
	if (strcmp(verb, "pin") == 0 || strcmp(verb, "affinity") == 0)
		return cmd_pin(&o, strcmp(verb, "pin") == 0, err);
	if (strcmp(verb, "show") && strcmp(verb, "plan") && strcmp(verb, "release") && strcmp(verb, "list") &&
	    strcmp(verb, "reserve"))
		return vsl_err_make(err, 0, "unknown verb `%s` (see vessel-numa --help)", verb);
	if (vsl_topo_load(o.sysfs, &t, err) < 0)
		return -1;
	if (strcmp(verb, "show") == 0) {
		rc = cmd_show(&o, t);
		goto out;
	}
	rc = vsl_place_state_open(o.state_dir, &st, err);
	if (rc < 0)
		goto out;
	if (strcmp(verb, "plan") == 0)
		rc = cmd_plan(&o, t, st, err);
	else if (strcmp(verb, "list") == 0)
		rc = cmd_list(&o, t, st, err);
	else if (strcmp(verb, "reserve") == 0)
		rc = cmd_reserve(&o, st, err);
	else if (!o.vnf)
		rc = vsl_err_make(err, 0, "release needs --vnf ID");
	else if ((rc = vsl_place_release(st, o.vnf, err)) >= 0)
		printf("vnf %s: %s\n", o.vnf, rc ? "released" : "had no placement");
out:
	vsl_place_state_destroy(st);
	vsl_topo_destroy(t);
	return rc < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct vsl_err *err = NULL;

	vsl_log_init("vessel-numa", VSL_LOG_INFO, VSL_LOG_TEXT, NULL, NULL);
	if (run(argc, argv, &err) < 0) {
		vsl_log_err(err);
		return 1;
	}
	return 0;
}
