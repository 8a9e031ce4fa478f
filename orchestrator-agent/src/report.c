/* The reporter thread: registration at start-up, a NodeReport every
 * --report-interval and soon after any change of the VNFs, networks or
 * events (an SQLite update hook wakes it; changes within 0.2 s share one
 * report). Each report first goes into the SQLite outbox (outbox.c); the
 * thread then POSTs queued reports in sequence order with libcurl and deletes
 * them when the orchestrator's Ack says it stored them. A failure (no
 * connection, timeout, HTTP error, malformed Ack) keeps every report and
 * retries after an exponential backoff with jitter. All network waits happen
 * here, never on the REST API's threads. */
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "report.h"
#include "vessel/cleanup.h"
#include "vessel/log.h"

#define COALESCE_S 0.2   /* changes this close together share one report */
#define MAX_EVENTS 1000  /* per report; more follow at once */
#define MAX_ACK (1 << 16)

struct vsl_reporter {
	struct vsl_agent *a;
	pthread_t th;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* CLOCK_MONOTONIC */
	bool kicked, stop;
	double kicked_at;
	char *node_id;
	uint64_t last_seq, event_seq;
	CURL *curl;
	struct curl_slist *headers;
	unsigned short rand_state[3];
	/* under lock, for /metrics */
	uint64_t sent, failed, acked;
	unsigned failures; /* consecutive */
	double last_ok;    /* wall clock */
	char last_error[512];
};

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void kick(struct vsl_reporter *rp)
{
	pthread_mutex_lock(&rp->lock);
	if (!rp->kicked) {
		rp->kicked = true;
		rp->kicked_at = mono_s();
	}
	pthread_cond_signal(&rp->cond);
	pthread_mutex_unlock(&rp->lock);
}

/* SQLite update hook (runs on the thread that changed the row, db_lock held). */
static void on_db_change(void *arg, int op, const char *db, const char *table, sqlite3_int64 rowid)
{
	(void)op, (void)db, (void)rowid;
	if (strcmp(table, "vnfs") == 0 || strcmp(table, "events") == 0 || strcmp(table, "networks") == 0)
		kick(arg);
}

struct body {
	uint8_t *data;
	size_t len;
	bool too_big;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	size_t k = size * n;
	if (b->len + k > MAX_ACK) {
		b->too_big = true;
		return 0;
	}
	b->data = xrealloc(b->data, b->len + k + 1);
	memcpy(b->data + b->len, p, k);
	b->len += k;
	return k;
}

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct vsl_reporter *rp = arg;
	(void)dt, (void)dn, (void)ut, (void)un;
	return vsl_agent_stopping(rp->a) || __atomic_load_n(&rp->stop, __ATOMIC_ACQUIRE);
}

/* curl's sockets (kept alive between reports) must not leak into the
 * vessel-runtime processes vesseld forks, whose shims live on. */
static curl_socket_t open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *addr)
{
	(void)arg, (void)purpose;
	return socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
}

/* POSTs one report; *highest = what the orchestrator acknowledged. */
static int post(struct vsl_reporter *rp, const uint8_t *data, size_t len, uint64_t *highest, struct vsl_err **err)
{
	const struct vsl_agent_config *c = &rp->a->cfg;
	struct body b = { 0 };
	char errbuf[CURL_ERROR_SIZE] = "";
	CURL *h = rp->curl;
	long code = 0;
	int r;
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, c->orch_url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, (const char *)data);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, rp->headers);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "vesseld/" VESSEL_VERSION);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(c->report_timeout * 1000));
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(fmin(c->report_timeout, 10) * 1000));
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, rp);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	if (c->orch_ca)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->orch_ca);
	CURLcode cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (b.too_big)
		r = vsl_err_make(err, 0, "orchestrator `%s`: acknowledgement larger than %d bytes", c->orch_url, MAX_ACK);
	else if (cc != CURLE_OK)
		r = vsl_err_make(err, 0, "orchestrator `%s`: %s", c->orch_url, errbuf[0] ? errbuf : curl_easy_strerror(cc));
	else if (code != 200)
		r = vsl_err_make(err, 0, "orchestrator `%s`: HTTP %ld", c->orch_url, code);
	else if ((r = vsl_report_ack_parse(b.data, b.len, rp->node_id, highest, err)) < 0)
		vsl_err_wrap(err, "orchestrator `%s`", c->orch_url);
	free(b.data);
	return r;
}

/* Seconds to wait after the n-th consecutive failure: 1, 2, 4... capped,
 * times a random factor in [0.5, 1] so many nodes do not retry in step. */
static double backoff(struct vsl_reporter *rp, unsigned n)
{
	double max = rp->a->cfg.report_backoff_max, d = fmin(1.0, max) * pow(2, n > 30 ? 30 : n - 1);
	return fmin(d, max) * (0.5 + 0.5 * erand48(rp->rand_state));
}

/* Builds a report and queues it (then bounds the outbox). */
static void enqueue(struct vsl_reporter *rp, Vessel__ReportKind kind)
{
	struct vsl_agent *a = rp->a;
	cleanup_err struct vsl_err *err = NULL;
	uint64_t ev = rp->event_seq;
	struct vsl_report *r = vsl_report_build(a, rp->node_id, kind, &ev, MAX_EVENTS);
	cleanup_free uint8_t *buf = NULL;
	size_t len = 0;
	vsl_report_encode(r, rp->last_seq + 1, &buf, &len);
	if (vsl_outbox_compact(a, a->cfg.outbox_max, &err) < 0) {
		vsl_warn("report outbox compaction: %s", err->msg);
		vsl_err_freep(&err);
	}
	if (vsl_outbox_push(a, rp->last_seq + 1, ev, kind, vsl_report_n_events(r), buf, len, &err) < 0) {
		vsl_warn("report %" PRIu64 " not queued: %s", rp->last_seq + 1, err->msg);
	} else {
		pthread_mutex_lock(&rp->lock);
		rp->last_seq++;
		pthread_mutex_unlock(&rp->lock);
		rp->event_seq = ev;
		vsl_debug("report %" PRIu64 " queued (%zu bytes, %zu events)", rp->last_seq, len, vsl_report_n_events(r));
		if (vsl_report_more_events(r))
			kick(rp);
	}
	vsl_report_destroy(r);
}

/* "timed out after 1001 ms" and "after 1002 ms" are the same failure. */
static bool same_but_numbers(const char *x, const char *y)
{
	for (;;) {
		while (*x >= '0' && *x <= '9')
			x++;
		while (*y >= '0' && *y <= '9')
			y++;
		if (*x != *y)
			return false;
		if (!*x)
			return true;
		x++, y++;
	}
}

/* Sends queued reports, oldest first, until the outbox is empty (returns 0),
 * a change wants a new report or shutdown begins (1), or a send fails (-1). */
static int drain(struct vsl_reporter *rp)
{
	bool renumbered = false;
	for (;;) {
		cleanup_err struct vsl_err *err = NULL;
		cleanup_free uint8_t *data = NULL;
		uint64_t seq = 0, highest = 0;
		size_t len = 0;
		int got = vsl_outbox_oldest(rp->a, &seq, &data, &len, &err);
		if (got < 0)
			vsl_warn("%s", err->msg);
		if (got <= 0)
			return got;
		int r = post(rp, data, len, &highest, &err);
		if (r == 0 && highest > rp->last_seq && renumbered)
			r = vsl_err_make(&err, 0, "orchestrator `%s` acknowledged %" PRIu64 " again, beyond this node's last "
					 "sequence %" PRIu64, rp->a->cfg.orch_url, highest, rp->last_seq);
		if (r == 0 && highest > rp->last_seq) {
			/* The orchestrator holds numbers we never gave: this node's
			 * database was reset (with --node-id kept). It took our reports
			 * for duplicates; give them numbers after its highest and resend. */
			uint64_t last = 0;
			if (vsl_outbox_renumber(rp->a, highest + 1, &last, &err) < 0) {
				vsl_warn("report outbox: %s", err->msg);
				return -1;
			}
			vsl_warn("orchestrator `%s` already holds sequence %" PRIu64 " of node `%s`, beyond this node's %" PRIu64
				 " (database reset?): queued reports renumbered from %" PRIu64, rp->a->cfg.orch_url, highest,
				 rp->node_id, rp->last_seq, highest + 1);
			pthread_mutex_lock(&rp->lock);
			rp->last_seq = last ? last : highest;
			pthread_mutex_unlock(&rp->lock);
			renumbered = true;
			continue;
		}
		if (r == 0 && vsl_outbox_ack(rp->a, highest, &err) >= 0 && highest < seq)
			r = vsl_err_make(&err, 0, "orchestrator `%s` acknowledged up to %" PRIu64 ", not report %" PRIu64,
					 rp->a->cfg.orch_url, highest, seq);
		pthread_mutex_lock(&rp->lock);
		unsigned before = rp->failures;
		if (r == 0) {
			rp->sent++;
			rp->acked = highest;
			rp->failures = 0;
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			rp->last_ok = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
		} else {
			rp->failed++;
			rp->failures++;
		}
		bool stop = rp->stop || vsl_agent_stopping(rp->a);
		bool build = rp->kicked && mono_s() >= rp->kicked_at + COALESCE_S;
		pthread_mutex_unlock(&rp->lock);
		if (r < 0) {
			/* warn once per kind of failure, not at every retry */
			if (before == 0 || !same_but_numbers(rp->last_error, err->msg))
				vsl_warn("report %" PRIu64 " not delivered (kept in the outbox, retrying): %s", seq, err->msg);
			else
				vsl_debug("report %" PRIu64 ": retry %u failed: %s", seq, before, err->msg);
			snprintf(rp->last_error, sizeof(rp->last_error), "%s", err->msg);
			return -1;
		}
		if (before > 0)
			vsl_info("orchestrator `%s` answers again: report %" PRIu64 " delivered after %u failed attempts",
				 rp->a->cfg.orch_url, seq, before);
		if (stop || build)
			return 1;
	}
}

static void *loop(void *arg)
{
	struct vsl_reporter *rp = arg;
	const struct vsl_agent_config *c = &rp->a->cfg;
	Vessel__ReportKind kind = VESSEL__REPORT_KIND__REPORT_KIND_REGISTER;
	double next_build = mono_s(), next_send = 0;
	bool pending = vsl_outbox_count(rp->a) != 0;
	for (;;) {
		bool build = false, send = false, kicked;
		pthread_mutex_lock(&rp->lock);
		for (;;) {
			double now = mono_s();
			double kick_due = rp->kicked ? rp->kicked_at + COALESCE_S : INFINITY;
			double send_due = pending ? next_send : INFINITY;
			if (rp->stop || vsl_agent_stopping(rp->a)) {
				pthread_mutex_unlock(&rp->lock);
				return NULL;
			}
			build = now >= next_build || now >= kick_due;
			send = now >= send_due;
			if (build || send)
				break;
			double due = fmin(fmin(next_build, kick_due), send_due);
			struct timespec dl = { (time_t)due, (long)((due - floor(due)) * 1e9) };
			pthread_cond_timedwait(&rp->cond, &rp->lock, &dl);
		}
		kicked = rp->kicked;
		if (build)
			rp->kicked = false;
		pthread_mutex_unlock(&rp->lock);
		if (build) {
			if (kind != VESSEL__REPORT_KIND__REPORT_KIND_REGISTER)
				kind = kicked ? VESSEL__REPORT_KIND__REPORT_KIND_STATE_CHANGE
					      : VESSEL__REPORT_KIND__REPORT_KIND_PERIODIC;
			enqueue(rp, kind);
			kind = VESSEL__REPORT_KIND__REPORT_KIND_PERIODIC;
			next_build = mono_s() + c->report_interval;
			pending = true;
		}
		if (pending && mono_s() >= next_send) {
			int d = drain(rp);
			pending = d != 0;
			if (d < 0) {
				pthread_mutex_lock(&rp->lock);
				next_send = mono_s() + backoff(rp, rp->failures);
				pthread_mutex_unlock(&rp->lock);
			}
		}
	}
}

static char *read_token(const char *path, struct vsl_err **err)
{
	cleanup_fclose FILE *f = fopen(path, "re");
	char buf[4096];
	if (!f) {
		vsl_err_make(err, errno, "--orchestrator-token-file `%s`", path);
		return NULL;
	}
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	if (n == 0 || strpbrk(buf, "\r\n")) {
		vsl_err_make(err, 0, "--orchestrator-token-file `%s`: one line with the bearer token expected", path);
		return NULL;
	}
	return xstrdup(buf);
}

int vsl_report_start(struct vsl_agent *a, struct vsl_err **err)
{
	const struct vsl_agent_config *c = &a->cfg;
	if (!c->orch_url)
		return 0;
	if (strncmp(c->orch_url, "http://", 7) != 0 && strncmp(c->orch_url, "https://", 8) != 0)
		return vsl_err_make(err, 0, "--orchestrator-url `%s`: http:// or https:// URL expected", c->orch_url);
	cleanup_free char *token = c->orch_token_file ? read_token(c->orch_token_file, err) : NULL;
	if (c->orch_token_file && !token)
		return -1;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return vsl_err_make(err, 0, "libcurl initialisation failed");
	struct vsl_reporter *rp = xzalloc(sizeof(*rp));
	rp->a = a;
	if (vsl_outbox_open(a, c->node_id, &rp->node_id, &rp->last_seq, &rp->event_seq, err) < 0) {
		free(rp);
		return -1;
	}
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&rp->cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&rp->lock, NULL);
	if (getrandom(rp->rand_state, sizeof(rp->rand_state), 0) != sizeof(rp->rand_state))
		rp->rand_state[0] = (unsigned short)getpid();
	rp->curl = curl_easy_init();
	rp->headers = curl_slist_append(NULL, "Content-Type: application/x-protobuf");
	rp->headers = curl_slist_append(rp->headers, "Accept: application/x-protobuf");
	rp->headers = curl_slist_append(rp->headers, "Expect:");
	if (token) {
		cleanup_free char *h = xasprintf("Authorization: Bearer %s", token);
		rp->headers = curl_slist_append(rp->headers, h);
	}
	a->reporter = rp;
	pthread_mutex_lock(&a->db_lock);
	sqlite3_update_hook(a->db, on_db_change, rp);
	pthread_mutex_unlock(&a->db_lock);
	int e = pthread_create(&rp->th, NULL, loop, rp);
	if (e != 0) {
		vsl_report_stop(a);
		return vsl_err_make(err, e, "reporter thread");
	}
	vsl_info("reporting to `%s` as node `%s` every %.1f s (%ld reports queued, last sequence %" PRIu64 ")",
		 c->orch_url, rp->node_id, c->report_interval, vsl_outbox_count(a), rp->last_seq);
	return 0;
}

void vsl_report_stop(struct vsl_agent *a)
{
	struct vsl_reporter *rp = a->reporter;
	if (!rp)
		return;
	pthread_mutex_lock(&a->db_lock);
	sqlite3_update_hook(a->db, NULL, NULL);
	pthread_mutex_unlock(&a->db_lock);
	if (rp->th) {
		pthread_mutex_lock(&rp->lock);
		__atomic_store_n(&rp->stop, true, __ATOMIC_RELEASE);
		pthread_cond_broadcast(&rp->cond);
		pthread_mutex_unlock(&rp->lock);
		pthread_join(rp->th, NULL);
	}
	curl_slist_free_all(rp->headers);
	curl_easy_cleanup(rp->curl);
	free(rp->node_id);
	a->reporter = NULL;
	free(rp);
}

void vsl_report_metrics(struct vsl_agent *a, FILE *f)
{
	struct vsl_reporter *rp = a->reporter;
	if (!rp)
		return;
	long queued = vsl_outbox_count(a);
	uint64_t compacted = vsl_outbox_compacted(a);
	pthread_mutex_lock(&rp->lock);
	fprintf(f, "# HELP vessel_report_queued Reports waiting in the outbox for the orchestrator's acknowledgement.\n"
		   "# TYPE vessel_report_queued gauge\nvessel_report_queued %ld\n"
		   "# HELP vessel_report_compacted_total Snapshots dropped from queued reports because the outbox was full (events kept).\n"
		   "# TYPE vessel_report_compacted_total counter\nvessel_report_compacted_total %" PRIu64 "\n"
		   "# HELP vessel_report_sent_total Reports the orchestrator acknowledged.\n"
		   "# TYPE vessel_report_sent_total counter\nvessel_report_sent_total %" PRIu64 "\n"
		   "# HELP vessel_report_send_failures_total Failed deliveries (no connection, timeout, HTTP error, bad acknowledgement).\n"
		   "# TYPE vessel_report_send_failures_total counter\nvessel_report_send_failures_total %" PRIu64 "\n"
		   "# HELP vessel_report_sequence Sequence of the last report built.\n"
		   "# TYPE vessel_report_sequence gauge\nvessel_report_sequence %" PRIu64 "\n"
		   "# HELP vessel_report_acked_sequence Highest sequence the orchestrator acknowledged.\n"
		   "# TYPE vessel_report_acked_sequence gauge\nvessel_report_acked_sequence %" PRIu64 "\n"
		   "# HELP vessel_report_orchestrator_up 1 if the last delivery attempt succeeded.\n"
		   "# TYPE vessel_report_orchestrator_up gauge\nvessel_report_orchestrator_up %d\n"
		   "# HELP vessel_report_last_success_timestamp_seconds When the orchestrator last acknowledged a report.\n"
		   "# TYPE vessel_report_last_success_timestamp_seconds gauge\nvessel_report_last_success_timestamp_seconds %.3f\n",
		queued, compacted, rp->sent, rp->failed, rp->last_seq, rp->acked, rp->failures == 0 && rp->sent > 0,
		rp->last_ok);
	pthread_mutex_unlock(&rp->lock);
}
