/* Control-channel framing: see ctl_frame.h. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_frame.h"

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd pfd = { .fd = fd, .events = POLLOUT };
				poll(&pfd, 1, 1000);
				continue;
			}
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int vsl_ctl_send(int fd, const Vessel__Ctl__Frame *f)
{
	size_t n = vessel__ctl__frame__get_packed_size(f);
	if (n > VSL_CTL_MAX_FRAME)
		return -EMSGSIZE;
	uint8_t *buf = malloc(n + 4);
	if (buf == NULL)
		return -ENOMEM;
	buf[0] = (uint8_t)(n >> 24);
	buf[1] = (uint8_t)(n >> 16);
	buf[2] = (uint8_t)(n >> 8);
	buf[3] = (uint8_t)n;
	vessel__ctl__frame__pack(f, buf + 4);
	int r = write_all(fd, buf, n + 4);
	free(buf);
	return r;
}

void vsl_ctl_reader_init(struct vsl_ctl_reader *r)
{
	memset(r, 0, sizeof(*r));
}

void vsl_ctl_reader_free(struct vsl_ctl_reader *r)
{
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

static int reserve(struct vsl_ctl_reader *r, size_t extra)
{
	if (r->len + extra <= r->cap)
		return 0;
	size_t cap = r->cap ? r->cap : 4096;
	while (cap < r->len + extra)
		cap *= 2;
	uint8_t *b = realloc(r->buf, cap);
	if (b == NULL)
		return -ENOMEM;
	r->buf = b;
	r->cap = cap;
	return 0;
}

ssize_t vsl_ctl_reader_fill(struct vsl_ctl_reader *r, int fd)
{
	if (reserve(r, 65536) < 0)
		return -ENOMEM;
	for (;;) {
		ssize_t n = read(fd, r->buf + r->len, r->cap - r->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		r->len += (size_t)n;
		return n;
	}
}

void vsl_ctl_reader_feed(struct vsl_ctl_reader *r, const void *data, size_t n)
{
	if (reserve(r, n) < 0)
		abort(); /* out of memory */
	memcpy(r->buf + r->len, data, n);
	r->len += n;
}

int vsl_ctl_next(struct vsl_ctl_reader *r, Vessel__Ctl__Frame **out)
{
	*out = NULL;
	if (r->len < 4)
		return 0;
	size_t n = ((size_t)r->buf[0] << 24) | ((size_t)r->buf[1] << 16) |
		   ((size_t)r->buf[2] << 8) | r->buf[3];
	if (n > VSL_CTL_MAX_FRAME)
		return -EMSGSIZE;
	if (r->len < n + 4)
		return 0;
	Vessel__Ctl__Frame *f = vessel__ctl__frame__unpack(NULL, n, r->buf + 4);
	memmove(r->buf, r->buf + 4 + n, r->len - 4 - n);
	r->len -= 4 + n;
	if (f == NULL)
		return -EBADMSG;
	*out = f;
	return 1;
}

int vsl_ctl_recv(int fd, struct vsl_ctl_reader *r, Vessel__Ctl__Frame **out)
{
	for (;;) {
		int k = vsl_ctl_next(r, out);
		if (k != 0)
			return k;
		ssize_t n = vsl_ctl_reader_fill(r, fd);
		if (n == 0)
			return 0;
		if (n == -EAGAIN) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			poll(&pfd, 1, -1);
			continue;
		}
		if (n < 0)
			return (int)n;
	}
}
