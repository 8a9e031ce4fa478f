/* `vessel-dp ctl`: the command-line client of the control socket.
 *
 *   vessel-dp ctl [--socket PATH] [--json] METHOD [key=value ...]
 *   vessel-dp ctl [--socket PATH] [--json] METHOD '{"name":"p0",...}'
 *
 * Values that look like integers are sent as integers, comma lists of
 * integers (and allowed_vlans=) as arrays, true/false as booleans. Results
 * print as tables (or raw JSON with --json); errors go to stderr with the
 * JSON-RPC code, and the exit status is 1 (2 for usage, 3 when the switch
 * cannot be reached).
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "vessel/cleanup.h"

int vsl_dp_cli_main(int argc, char **argv);

static bool is_int(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static json_t *cli_value(const char *key, const char *v)
{
	if (strcmp(key, "allowed_vlans") == 0 || (strchr(v, ',') && strspn(v, "0123456789,") == strlen(v))) {
		json_t *a = json_array();
		cleanup_free char *copy = xstrdup(v);
		char *save = NULL;

		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
			json_array_append_new(a, is_int(t) ? json_integer(atoll(t)) : json_string(t));
		return a;
	}
	if (is_int(v) && strlen(v) < 18)
		return json_integer(atoll(v));
	if (strcmp(v, "true") == 0)
		return json_true();
	if (strcmp(v, "false") == 0)
		return json_false();
	return json_string(v);
}

static int cli_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || strlen(path) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static const char *jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : "-";
}

static long long jint(json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static void print_vlan(json_t *p, char *buf, size_t n)
{
	if (strcmp(jstr(p, "vlan_mode"), "access") == 0) {
		snprintf(buf, n, "access %lld", jint(p, "vlan"));
	} else if (json_object_get(p, "allowed_vlans")) {
		size_t i, off = (size_t)snprintf(buf, n, "trunk ");
		json_t *v;

		json_array_foreach(json_object_get(p, "allowed_vlans"), i, v)
			if (off < n)
				off += (size_t)snprintf(buf + off, n - off, "%s%lld", i ? "," : "",
							(long long)json_integer_value(v));
	} else {
		snprintf(buf, n, "trunk all");
	}
}

static void print_result(const char *method, json_t *r)
{
	size_t i;
	json_t *v;

	if (strcmp(method, "port.list") == 0) {
		printf("%-16s %-6s %-4s %-16s %-16s %-5s %s\n", "NAME", "TYPE", "LINK", "BRIDGE/XC", "VLAN",
		       "MTU", "PATH/DEVARGS");
		json_array_foreach(r, i, v) {
			char vl[64];

			print_vlan(v, vl, sizeof(vl));
			printf("%-16s %-6s %-4s %-16s %-16s %-5lld %s\n", jstr(v, "name"), jstr(v, "type"),
			       jstr(v, "link"),
			       json_object_get(v, "bridge") ? jstr(v, "bridge") : jstr(v, "xconnect"), vl,
			       jint(v, "mtu"),
			       json_object_get(v, "path") ? jstr(v, "path") : jstr(v, "devargs"));
		}
	} else if (strcmp(method, "stats.show") == 0) {
		printf("%-16s %-4s %12s %14s %12s %14s %10s  %s\n", "PORT", "LINK", "RX_PKTS", "RX_BYTES",
		       "TX_PKTS", "TX_BYTES", "DROPS", "DROP REASONS");
		json_array_foreach(json_object_get(r, "ports"), i, v) {
			const char *k;
			json_t *d;

			printf("%-16s %-4s %12lld %14lld %12lld %14lld %10lld ", jstr(v, "name"), jstr(v, "link"),
			       jint(v, "rx_packets"), jint(v, "rx_bytes"), jint(v, "tx_packets"),
			       jint(v, "tx_bytes"), jint(v, "drops"));
			json_object_foreach(json_object_get(v, "drop"), k, d)
				if (json_integer_value(d))
					printf(" %s=%lld", k, (long long)json_integer_value(d));
			printf("\n");
		}
		json_array_foreach(json_object_get(r, "workers"), i, v)
			printf("worker %lld (lcore %lld): busy %.1f%% (%lld of %lld cycles)\n", jint(v, "worker"),
			       jint(v, "lcore"), json_real_value(json_object_get(v, "busy_pct")),
			       jint(v, "busy_cycles"), jint(v, "total_cycles"));
	} else if (strcmp(method, "mac.show") == 0) {
		printf("%-16s %-17s %-4s %-16s %s\n", "BRIDGE", "MAC", "VLAN", "PORT", "AGE");
		json_array_foreach(r, i, v)
			printf("%-16s %-17s %-4lld %-16s %lld\n", jstr(v, "bridge"), jstr(v, "mac"),
			       jint(v, "vlan"), jstr(v, "port"), jint(v, "age"));
	} else if (strcmp(method, "bridge.list") == 0) {
		printf("%-16s %-6s %-7s %s\n", "NAME", "AGING", "SIZE", "PORTS");
		json_array_foreach(r, i, v) {
			size_t j;
			json_t *p;

			printf("%-16s %-6lld %-7lld", jstr(v, "name"), jint(v, "aging"), jint(v, "size"));
			json_array_foreach(json_object_get(v, "ports"), j, p)
				printf(" %s", json_string_value(p));
			printf("\n");
		}
	} else if (strcmp(method, "xconnect.list") == 0) {
		json_array_foreach(r, i, v)
			printf("%s <-> %s\n", jstr(v, "a"), jstr(v, "b"));
	} else {
		cleanup_free char *s = json_dumps(r, JSON_COMPACT);

		printf("ok%s%s\n", json_object_size(r) ? " " : "", json_object_size(r) ? s : "");
	}
}

int vsl_dp_cli_main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "socket", required_argument, NULL, 's' }, { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },          { NULL, 0, NULL, 0 },
	};
	const char *sock = getenv("VESSEL_DP_SOCKET") ? getenv("VESSEL_DP_SOCKET") : "/run/vessel/dp.sock";
	bool raw = false;
	json_t *params, *req, *resp, *e;
	cleanup_free char *line = NULL, *out = NULL;
	cleanup_fclose FILE *f = NULL;
	size_t cap = 0;
	int c, fd, rc;

	while ((c = getopt_long(argc, argv, "+s:jh", lo, NULL)) != -1) {
		if (c == 's')
			sock = optarg;
		else if (c == 'j')
			raw = true;
		else {
			fprintf(c == 'h' ? stdout : stderr,
				"usage: vessel-dp ctl [--socket PATH] [--json] METHOD [key=value ...|JSON]\n"
				"methods: port.add port.del port.list bridge.add bridge.del bridge.list\n"
				"         xconnect.add xconnect.del xconnect.list mac.show mac.flush\n"
				"         stats.show stats.clear\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "vessel-dp ctl: missing METHOD (try --help)\n");
		return 2;
	}
	params = json_object();
	for (int i = optind + 1; i < argc; i++) {
		char *eq = strchr(argv[i], '=');

		if (argv[i][0] == '{') {
			json_decref(params);
			params = json_loads(argv[i], 0, NULL);
			if (!json_is_object(params)) {
				fprintf(stderr, "vessel-dp ctl: `%s` is not a JSON object\n", argv[i]);
				json_decref(params);
				return 2;
			}
			continue;
		}
		if (eq == NULL || eq == argv[i]) {
			fprintf(stderr, "vessel-dp ctl: `%s`: expected key=value\n", argv[i]);
			json_decref(params);
			return 2;
		}
		*eq = '\0';
		json_object_set_new(params, argv[i], cli_value(argv[i], eq + 1));
	}
	req = json_pack("{s:s, s:i, s:s, s:o}", "jsonrpc", "2.0", "id", 1, "method", argv[optind],
			"params", params);
	out = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	fd = cli_connect(sock);
	if (fd < 0) {
		fprintf(stderr, "vessel-dp ctl: cannot connect to `%s`: %s (is vessel-dp running?)\n", sock,
			strerror(errno));
		return 3;
	}
	f = fdopen(fd, "r+");
	if (f == NULL || fprintf(f, "%s\n", out) < 0 || fflush(f) != 0 || getline(&line, &cap, f) < 0) {
		fprintf(stderr, "vessel-dp ctl: `%s`: no response\n", sock);
		if (f == NULL)
			close(fd);
		return 3;
	}
	resp = json_loads(line, 0, NULL);
	if (resp == NULL) {
		fprintf(stderr, "vessel-dp ctl: bad response: %s", line);
		return 1;
	}
	e = json_object_get(resp, "error");
	rc = 0;
	if (raw) {
		cleanup_free char *s = json_dumps(e ? resp : json_object_get(resp, "result"),
						  JSON_INDENT(2) | JSON_ENCODE_ANY);
		printf("%s\n", s);
		rc = e ? 1 : 0;
	} else if (e) {
		fprintf(stderr, "vessel-dp ctl: error %lld: %s\n",
			(long long)json_integer_value(json_object_get(e, "code")),
			json_string_value(json_object_get(e, "message")));
		rc = 1;
	} else {
		print_result(argv[optind], json_object_get(resp, "result"));
	}
	json_decref(resp);
	return rc;
}
