/* vessel-init stdio relay: a process's stdout/stderr pipes (or its pty
 * master) become Stdio frames on the control port (streams 1 and 2), and
 * Stdio frames for stream 0 are queued and written to its stdin without ever
 * blocking init. After a process exits, its output is drained before its
 * Exit frame goes out, so the host sees every byte first.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "init.h"

#define CHUNK 32768

static void send_chunk(struct vi_state *s, uint32_t id, uint32_t stream, const uint8_t *buf,
		       size_t n, bool eof)
{
	Vessel__Ctl__Frame f = VESSEL__CTL__FRAME__INIT;
	Vessel__Ctl__Stdio io = VESSEL__CTL__STDIO__INIT;
	io.proc_id = id;
	io.stream = stream;
	io.data.data = (uint8_t *)buf;
	io.data.len = n;
	io.eof = eof;
	f.msg_case = VESSEL__CTL__FRAME__MSG_STDIO;
	f.stdio = &io;
	vi_send(s, &f);
}

int vi_stdio_pump(struct vi_state *s, struct vi_proc *p, int *fd, uint32_t stream)
{
	uint8_t buf[CHUNK];
	if (*fd < 0)
		return -1;
	ssize_t n = read(*fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		/* EOF, or EIO from a pty master whose slave side is gone */
		if (*fd == p->in_fd)
			p->in_fd = -1;
		close(*fd);
		*fd = -1;
		send_chunk(s, p->id, stream, NULL, 0, true);
		return -1;
	}
	send_chunk(s, p->id, stream, buf, (size_t)n, false);
	return 1;
}

void vi_stdio_drain(struct vi_state *s, struct vi_proc *p)
{
	/* Pipes: everything the process wrote is buffered already. A pty moves
	 * data to the master side from a workqueue, so give it a moment. */
	int idle = 0;
	while (p->out_fd >= 0 || p->err_fd >= 0) {
		int got = 0;
		if (p->out_fd >= 0 && vi_stdio_pump(s, p, &p->out_fd, 1) > 0)
			got = 1;
		if (p->err_fd >= 0 && vi_stdio_pump(s, p, &p->err_fd, 2) > 0)
			got = 1;
		if (got) {
			idle = 0;
			continue;
		}
		if (!p->terminal || ++idle > 3)
			break;
		struct pollfd pfd = { .fd = p->out_fd, .events = POLLIN };
		poll(&pfd, 1, 10);
	}
}

void vi_stdio_input(struct vi_proc *p, const uint8_t *data, size_t n, bool eof)
{
	if (p->in_fd < 0 || p->stdin_eof)
		return;
	if (n > 0 && p->pending_len + n <= VI_MAX_PENDING) {
		uint8_t *b = realloc(p->pending, p->pending_len + n);
		if (b != NULL) {
			memcpy(b + p->pending_len, data, n);
			p->pending = b;
			p->pending_len += n;
		}
	}
	if (eof)
		p->stdin_eof = true;
	vi_stdio_flush_input(p);
}

void vi_stdio_flush_input(struct vi_proc *p)
{
	while (p->in_fd >= 0 && p->pending_len > 0) {
		ssize_t w = write(p->in_fd, p->pending, p->pending_len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return;
		if (w <= 0) { /* reader gone: drop the rest */
			p->pending_len = 0;
			break;
		}
		memmove(p->pending, p->pending + w, p->pending_len - (size_t)w);
		p->pending_len -= (size_t)w;
	}
	if (p->stdin_eof && p->pending_len == 0 && p->in_fd >= 0) {
		if (p->terminal) {
			/* a terminal has no half-close: send VEOF (^D) once */
			if (write(p->in_fd, "\x04", 1) < 0) {
				/* nothing to do */
			}
			p->stdin_eof = false;
			p->in_fd = -2; /* master stays open as out_fd */
			return;
		}
		close(p->in_fd);
		p->in_fd = -1;
	}
}

void vi_proc_close(struct vi_proc *p)
{
	if (p->in_fd >= 0 && p->in_fd != p->out_fd)
		close(p->in_fd);
	if (p->out_fd >= 0)
		close(p->out_fd);
	if (p->err_fd >= 0)
		close(p->err_fd);
	p->in_fd = p->out_fd = p->err_fd = -1;
	free(p->pending);
	p->pending = NULL;
	p->pending_len = 0;
}
