/* Framing for the guest control channel (see runtime/proto/control.proto):
 * a 4-byte big-endian length followed by one protobuf-c `Frame`.
 *
 * Shared by vessel-shim (host) and vessel-init (guest, linked statically), so
 * it depends on nothing but libc and protobuf-c: errors are reported as
 * negative errno values, not vsl_err, and the caller words the message.
 */
#ifndef VESSEL_CTL_FRAME_H
#define VESSEL_CTL_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "control.pb-c.h"

#define VSL_CTL_MAX_FRAME (1u << 20)
#define VSL_CTL_PORT_NAME "org.vessel.ctl"

/* Encodes `f` and writes it whole to fd (retrying on EINTR/short writes, and
 * polling on EAGAIN). Returns 0 or -errno; -EMSGSIZE if over the limit. */
int vsl_ctl_send(int fd, const Vessel__Ctl__Frame *f);

/* Incremental reader for a non-blocking or blocking fd. */
struct vsl_ctl_reader {
	uint8_t *buf;
	size_t len, cap;
};

void vsl_ctl_reader_init(struct vsl_ctl_reader *r);
void vsl_ctl_reader_free(struct vsl_ctl_reader *r);

/* Reads what is available from fd into the reader. Returns bytes read (>0),
 * 0 on EOF, -EAGAIN if nothing is available, or -errno. */
ssize_t vsl_ctl_reader_fill(struct vsl_ctl_reader *r, int fd);

/* Feeds bytes obtained elsewhere. */
void vsl_ctl_reader_feed(struct vsl_ctl_reader *r, const void *data, size_t n);

/* Takes the next complete frame out of the buffer. Returns 1 and a frame in
 * *out (free with vessel__ctl__frame__free_unpacked(*out, NULL)), 0 if no whole
 * frame is buffered yet, -EMSGSIZE for an oversized length, -EBADMSG for a
 * frame that does not decode (the stream is then unusable). */
int vsl_ctl_next(struct vsl_ctl_reader *r, Vessel__Ctl__Frame **out);

/* Blocking helper: reads until a whole frame arrives. Returns 1 with a frame,
 * 0 on EOF, or -errno / -EMSGSIZE / -EBADMSG. */
int vsl_ctl_recv(int fd, struct vsl_ctl_reader *r, Vessel__Ctl__Frame **out);

#endif
