/* Events: an append-only table with a sequence number clients resume from
 * (GET /v1/events?since=N). Adding one wakes long-polling requests. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "agent.h"
#include "vessel/cleanup.h"
#include "vessel/log.h"

void vsl_event_locked(struct vsl_agent *a, const char *type, const char *object, const char *id,
		      const char *msg)
{
	cleanup_err struct vsl_err *err = NULL;
	cleanup_free char *now = vsl_now_rfc3339();
	if (vsl_db_exec(a, &err, "INSERT INTO events (time, type, object, object_id, message) "
			"VALUES (?, ?, ?, ?, ?)", 5, now, type, object, id, msg) < 0)
		vsl_warn("event %s %s: %s", type, id ? id : "", err->msg);
	/* keep the table bounded */
	vsl_db_exec(a, NULL, "DELETE FROM events WHERE seq < (SELECT MAX(seq) FROM events) - 10000", 0);
	pthread_cond_broadcast(&a->ev_cond);
	vsl_info("event %s %s %s: %s", type, object, id ? id : "", msg);
}

void vsl_event(struct vsl_agent *a, const char *type, const char *object, const char *id,
	       const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	pthread_mutex_lock(&a->db_lock);
	vsl_event_locked(a, type, object, id, msg ? msg : type);
	pthread_mutex_unlock(&a->db_lock);
	free(msg);
}
