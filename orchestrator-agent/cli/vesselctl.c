/* vesselctl: the command-line client of vesseld's REST API, in the habits of
 * virsh/kubectl: `vesselctl vnf list`, `vesselctl image import FILE`, ...
 * Talks HTTP over the agent's unix socket (default) or to --url with a
 * bearer token. Human tables by default, --json for scripts.
 *
 * Exit codes: 0 ok, 1 usage, 2 not found, 3 conflict, 4 other API error,
 * 5 cannot connect. */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vessel/cleanup.h"

enum { EX_OK = 0, EX_USAGE = 1, EX_NOTFOUND = 2, EX_CONFLICT = 3, EX_API = 4, EX_CONNECT = 5 };

static const char *g_socket = "/run/vessel/vesseld.sock";
static const char *g_url;
static char *g_token;
static bool g_json;

struct buf {
	char *p;
	size_t n;
	bool stream; /* write through to stdout */
};

static size_t on_data(char *d, size_t sz, size_t nm, void *cls)
{
	struct buf *b = cls;
	size_t n = sz * nm;
	if (b->stream) {
		fwrite(d, 1, n, stdout);
		fflush(stdout);
		return n;
	}
	b->p = xrealloc(b->p, b->n + n + 1);
	memcpy(b->p + b->n, d, n);
	b->n += n;
	b->p[b->n] = '\0';
	return n;
}

/* Does one request; body (JSON text) or upload file; returns HTTP status or
 * -1 when the agent cannot be reached. *out gets the response body. */
static long request(const char *method, const char *path, const char *body, const char *upload,
		    bool stream, char **out)
{
	CURL *c = curl_easy_init();
	struct buf b = { .stream = stream };
	struct curl_slist *h = NULL;
	FILE *f = NULL;
	long code = -1;
	char url[2048];
	snprintf(url, sizeof(url), "%s%s", g_url ? g_url : "http://localhost", path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	if (!g_url)
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, g_socket);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	h = curl_slist_append(h, "Expect:");
	if (g_token) {
		cleanup_free char *auth = xasprintf("Authorization: Bearer %s", g_token);
		h = curl_slist_append(h, auth);
	}
	if (body) {
		h = curl_slist_append(h, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	} else if (upload) {
		struct stat st;
		f = fopen(upload, "rb");
		if (!f || fstat(fileno(f), &st) < 0) {
			fprintf(stderr, "vesselctl: %s: %s\n", upload, strerror(errno));
			if (f)
				fclose(f);
			curl_easy_cleanup(c);
			return -2;
		}
		h = curl_slist_append(h, "Content-Type: application/x-tar");
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_READDATA, f);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)st.st_size);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	CURLcode rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	else
		fprintf(stderr, "vesselctl: cannot reach vesseld at %s: %s\n", g_url ? g_url : g_socket,
			curl_easy_strerror(rc));
	if (f)
		fclose(f);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	*out = b.p ? b.p : xstrdup("");
	return code;
}

static int exit_for(long code, const char *body)
{
	if (code == -2)
		return EX_USAGE;
	if (code < 0)
		return EX_CONNECT;
	if (code < 400)
		return EX_OK;
	json_t *j = json_loads(body, 0, NULL);
	json_t *e = json_object_get(j, "error");
	const char *msg = json_string_value(json_object_get(e, "message"));
	const char *field = json_string_value(json_object_get(e, "field"));
	if (g_json)
		fprintf(stderr, "%s\n", body);
	else
		fprintf(stderr, "vesselctl: %s%s%s%s\n", msg ? msg : body, field ? " (field " : "",
			field ? field : "", field ? ")" : "");
	json_decref(j);
	return code == 404 ? EX_NOTFOUND : code == 409 ? EX_CONFLICT : EX_API;
}

static const char *str(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	static char num[8][32];
	static int slot;
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		slot = (slot + 1) % 8;
		snprintf(num[slot], sizeof(num[slot]), "%lld", (long long)json_integer_value(v));
		return num[slot];
	}
	return "-";
}

static void print_vnf_row(json_t *v, bool header)
{
	if (header)
		printf("%-36s  %-20s  %-9s  %-16s  %5s  %6s  %s\n", "ID", "NAME", "STATUS", "OPERATIONAL",
		       "VCPUS", "MEM_MB", "IMAGE");
	json_t *spec = json_object_get(v, "spec");
	printf("%-36s  %-20s  %-9s  %-16s  %5s  %6s  %.19s\n", str(v, "id"), str(v, "name"), str(v, "status"),
	       str(v, "operational_state"), str(spec, "vcpus"), str(spec, "memory_mb"), str(v, "image"));
}

/* Prints the response: JSON as is with --json, else a table or key: value. */
static int show(long code, char *body, const char *kind)
{
	int ex = exit_for(code, body);
	if (ex != EX_OK || code == 204) {
		free(body);
		return ex;
	}
	json_t *j = json_loads(body, 0, NULL);
	if (g_json || !j) {
		printf("%s\n", body);
	} else if (strcmp(kind, "vnfs") == 0) {
		size_t i;
		json_t *v;
		if (json_array_size(json_object_get(j, "vnfs")) == 0)
			printf("no VNFs\n");
		json_array_foreach(json_object_get(j, "vnfs"), i, v)
			print_vnf_row(v, i == 0);
	} else if (strcmp(kind, "images") == 0) {
		size_t i;
		json_t *v;
		printf("%-71s  %-24s  %-14s  %10s\n", "DIGEST", "NAME", "FORMAT", "SIZE");
		json_array_foreach(json_object_get(j, "images"), i, v)
			printf("%-71s  %-24s  %-14s  %10s\n", str(v, "digest"), str(v, "name"), str(v, "format"),
			       str(v, "size"));
	} else if (strcmp(kind, "networks") == 0) {
		size_t i;
		json_t *v;
		printf("%-24s  %-9s  %-7s  %s\n", "NAME", "TYPE", "APPLIED", "DETAIL");
		json_array_foreach(json_object_get(j, "networks"), i, v)
			printf("%-24s  %-9s  %-7s  %s%s%s\n", str(v, "name"), str(v, "type"),
			       json_is_true(json_object_get(v, "applied")) ? "yes" : "no",
			       json_object_get(v, "a") ? str(v, "a") : "", json_object_get(v, "a") ? " <-> " : "",
			       json_object_get(v, "b") ? str(v, "b") : "");
	} else {
		const char *k;
		json_t *v;
		json_object_foreach(j, k, v) {
			char *s = json_is_string(v) ? NULL : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
			printf("%-20s %s\n", k, s ? s : json_string_value(v));
			free(s);
		}
	}
	json_decref(j);
	free(body);
	return EX_OK;
}

static int call(const char *method, const char *path, const char *body, const char *upload,
		const char *kind)
{
	char *out = NULL;
	long code = request(method, path, body, upload, false, &out);
	return show(code, out, kind);
}

static char *slurp(const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (!f)
		return NULL;
	size_t n = 0, cap = 4096;
	char *b = xmalloc(cap);
	size_t r;
	while ((r = fread(b + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (cap - n < 2)
			b = xrealloc(b, cap *= 2);
	}
	b[n] = '\0';
	if (f != stdin)
		fclose(f);
	return b;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: vesselctl [--socket PATH | --url URL [--token-file F]] [--json] COMMAND\n"
		"  vnf create -f SPEC.json [--start]      vnf list [--status S] [--name N] [--label K=V]\n"
		"  vnf show|start|restart|delete|pause|unpause|stats ID\n"
		"  vnf stop ID [--grace SECONDS]          vnf kill ID [SIGNAL]\n"
		"  vnf logs ID [-f] [--tail N] [--console]\n"
		"  image import FILE [--name NAME]        image list | show ID | rm ID\n"
		"  node show\n"
		"  net create NAME [--xconnect A B] [--aging S]   net list | show NAME | rm NAME\n"
		"  events [--since N] [--wait SECONDS]\n"
		"exit codes: 0 ok, 1 usage, 2 not found, 3 conflict, 4 other API error, 5 cannot connect\n");
	return EX_USAGE;
}

static char *enc(const char *s)
{
	CURL *c = curl_easy_init();
	char *e = curl_easy_escape(c, s, 0);
	char *r = xstrdup(e);
	curl_free(e);
	curl_easy_cleanup(c);
	return r;
}

static const char *opt(int argc, char **argv, const char *name)
{
	for (int i = 0; i < argc - 1; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return NULL;
}

static bool flag(int argc, char **argv, const char *name)
{
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return true;
	return false;
}

static int cmd_vnf(int argc, char **argv)
{
	char *body = NULL;
	if (argc < 1)
		return usage();
	const char *v = argv[0];
	if (strcmp(v, "list") == 0) {
		char q[1024] = "";
		const char *keys[] = { "--status", "status", "--name", "name", "--label", "label", "--image", "image" };
		for (int k = 0; k < 8; k += 2) {
			const char *val = opt(argc, argv, keys[k]);
			if (val) {
				cleanup_free char *e = enc(val);
				snprintf(q + strlen(q), sizeof(q) - strlen(q), "%c%s=%s", q[0] ? '&' : '?', keys[k + 1], e);
			}
		}
		cleanup_free char *p = xasprintf("/v1/vnfs%s", q);
		return call("GET", p, NULL, NULL, "vnfs");
	}
	if (strcmp(v, "create") == 0) {
		const char *f = opt(argc, argv, "-f");
		if (!f)
			return usage();
		cleanup_free char *spec = slurp(f);
		if (!spec) {
			fprintf(stderr, "vesselctl: %s: %s\n", f, strerror(errno));
			return EX_USAGE;
		}
		long code = request("POST", "/v1/vnfs", spec, NULL, false, &body);
		if (code != 201 || !flag(argc, argv, "--start"))
			return show(code, body, "vnf");
		json_t *j = json_loads(body, 0, NULL);
		cleanup_free char *p = xasprintf("/v1/vnfs/%s/start", str(j, "id"));
		json_decref(j);
		free(body);
		return call("POST", p, NULL, NULL, "vnf");
	}
	if (argc < 2)
		return usage();
	cleanup_free char *id = enc(argv[1]);
	cleanup_free char *p = NULL;
	if (strcmp(v, "show") == 0 || strcmp(v, "stats") == 0) {
		p = xasprintf("/v1/vnfs/%s%s", id, v[1] == 't' ? "/stats" : "");
		return call("GET", p, NULL, NULL, "vnf");
	}
	if (strcmp(v, "delete") == 0 || strcmp(v, "rm") == 0) {
		p = xasprintf("/v1/vnfs/%s", id);
		return call("DELETE", p, NULL, NULL, "vnf");
	}
	if (strcmp(v, "logs") == 0) {
		const char *tail = opt(argc, argv, "--tail");
		bool f = flag(argc, argv, "-f") || flag(argc, argv, "--follow");
		p = xasprintf("/v1/vnfs/%s/logs?source=%s%s%s%s", id, flag(argc, argv, "--console") ? "console" : "workload",
			      f ? "&follow=true" : "", tail ? "&tail=" : "", tail ? tail : "");
		long code = request("GET", p, NULL, NULL, true, &body);
		int ex = exit_for(code, body);
		free(body);
		return ex;
	}
	const char *actions[] = { "start", "stop", "restart", "kill", "pause", "unpause" };
	for (size_t i = 0; i < 6; i++) {
		if (strcmp(v, actions[i]) != 0)
			continue;
		cleanup_free char *jb = NULL;
		const char *g = opt(argc, argv, "--grace");
		if (g && (i == 1 || i == 2))
			jb = xasprintf("{\"grace\": %d}", atoi(g));
		if (i == 3 && argc > 2)
			jb = xasprintf("{\"signal\": \"%s\"}", argv[2][0] == '-' ? argv[2] + 1 : argv[2]);
		p = xasprintf("/v1/vnfs/%s/%s", id, v);
		return call("POST", p, jb, NULL, "vnf");
	}
	return usage();
}

static int cmd_image(int argc, char **argv)
{

	if (argc >= 1 && strcmp(argv[0], "list") == 0)
		return call("GET", "/v1/images", NULL, NULL, "images");
	if (argc < 2)
		return usage();
	cleanup_free char *p = NULL;
	if (strcmp(argv[0], "import") == 0) {
		const char *name = opt(argc, argv, "--name");
		cleanup_free char *e = name ? enc(name) : NULL;
		p = xasprintf("/v1/images%s%s", e ? "?name=" : "", e ? e : "");
		return call("POST", p, NULL, argv[1], "image");
	}
	cleanup_free char *id = enc(argv[1]);
	p = xasprintf("/v1/images/%s", id);
	if (strcmp(argv[0], "show") == 0)
		return call("GET", p, NULL, NULL, "image");
	if (strcmp(argv[0], "rm") == 0 || strcmp(argv[0], "delete") == 0)
		return call("DELETE", p, NULL, NULL, "image");
	return usage();
}

static int cmd_net(int argc, char **argv)
{

	if (argc >= 1 && strcmp(argv[0], "list") == 0)
		return call("GET", "/v1/networks", NULL, NULL, "networks");
	if (argc < 2)
		return usage();
	cleanup_free char *p = NULL;
	if (strcmp(argv[0], "create") == 0) {
		json_t *j = json_pack("{s:s}", "name", argv[1]);
		for (int i = 2; i < argc; i++) {
			if (strcmp(argv[i], "--xconnect") == 0 && i + 2 < argc) {
				json_object_set_new(j, "type", json_string("xconnect"));
				json_object_set_new(j, "a", json_string(argv[i + 1]));
				json_object_set_new(j, "b", json_string(argv[i + 2]));
				i += 2;
			} else if (strcmp(argv[i], "--aging") == 0 && i + 1 < argc) {
				json_object_set_new(j, "aging", json_integer(atoi(argv[++i])));
			} else {
				json_decref(j);
				return usage();
			}
		}
		cleanup_free char *s = json_dumps(j, JSON_COMPACT);
		json_decref(j);
		return call("POST", "/v1/networks", s, NULL, "network");
	}
	cleanup_free char *id = enc(argv[1]);
	p = xasprintf("/v1/networks/%s", id);
	if (strcmp(argv[0], "show") == 0)
		return call("GET", p, NULL, NULL, "network");
	if (strcmp(argv[0], "rm") == 0 || strcmp(argv[0], "delete") == 0)
		return call("DELETE", p, NULL, NULL, "network");
	return usage();
}

int main(int argc, char **argv)
{
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			g_json = true;
		} else if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc) {
			g_socket = argv[++i];
		} else if (strcmp(argv[i], "--url") == 0 && i + 1 < argc) {
			g_url = argv[++i];
		} else if (strcmp(argv[i], "--token-file") == 0 && i + 1 < argc) {
			g_token = slurp(argv[++i]);
			if (!g_token) {
				fprintf(stderr, "vesselctl: token file `%s`: %s\n", argv[i], strerror(errno));
				return EX_USAGE;
			}
			g_token[strcspn(g_token, "\r\n")] = '\0';
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage();
			return EX_OK;
		} else {
			return usage();
		}
	}
	const char *env = getenv("VESSELD_SOCKET");
	if (env && *env && g_socket && strcmp(g_socket, "/run/vessel/vesseld.sock") == 0)
		g_socket = env;
	if (i >= argc)
		return usage();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const char *cmd = argv[i];
	int r;

	if (strcmp(cmd, "vnf") == 0)
		r = cmd_vnf(argc - i - 1, argv + i + 1);
	else if (strcmp(cmd, "image") == 0)
		r = cmd_image(argc - i - 1, argv + i + 1);
	else if (strcmp(cmd, "net") == 0)
		r = cmd_net(argc - i - 1, argv + i + 1);
	else if (strcmp(cmd, "node") == 0)
		r = call("GET", "/v1/node", NULL, NULL, "node");
	else if (strcmp(cmd, "events") == 0) {
		const char *s = opt(argc, argv, "--since"), *w = opt(argc, argv, "--wait");
		cleanup_free char *p = xasprintf("/v1/events?since=%d&timeout=%d", s ? atoi(s) : 0, w ? atoi(w) : 0);
		r = call("GET", p, NULL, NULL, "events");
	} else
		r = usage();
	free(g_token);
	curl_global_cleanup();
	return r;
}
