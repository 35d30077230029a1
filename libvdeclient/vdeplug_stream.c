/*
 * vdestream: Ethernet frames over a byte stream (doc/vde-wire.md §5), used by vde_plug on stdin/stdout,
 * `vde_plug URL = cmd`, cmd:// and ssh cables. Each frame is a 2-byte big-endian length and the frame.
 *
 * The receiver is a small state machine fed with whatever read() returned, so headers and frames may be
 * split at any byte (vdeplug4 lost a frame when a read ended inside the header; we buffer it).
 * Length 0 is a no-op record and is skipped.
 * Resync policy: a length larger than a frame can be (> VDE_ETHBUFSIZE) is reported once through
 * ferr(PACKET_LENGTH_ERROR) and that many bytes are skipped. The stream has no other markers, so trusting
 * the length is the only way to stay aligned; a peer that sends jumbo frames bigger than ours loses just
 * those frames, and a peer that sends garbage was never aligned to begin with.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <libvdeplug.h>

#define EXPORT __attribute__((visibility("default")))

struct vdestream {
	void *opaque;
	int fdout;
	ssize_t (*frecv)(void *opaque, void *buf, size_t count);
	void (*ferr)(void *opaque, int type, char *format, ...);
	/* receive state: bytes of the header seen (0..2), then the frame being filled or skipped */
	unsigned char hdr[2];
	size_t hdrlen;
	size_t framelen;	/* length announced by the current header */
	size_t have;		/* bytes of the current frame received so far */
	int skipping;		/* the current frame is oversized: count its bytes, keep none */
	unsigned char frame[VDE_ETHBUFSIZE];
};

EXPORT VDESTREAM *vdestream_open(void *opaque, int fdout,
				 ssize_t (*frecv)(void *opaque, void *buf, size_t count),
				 void (*ferr)(void *opaque, int type, char *format, ...))
{
	struct vdestream *vs;

	if (frecv == NULL) {
		errno = EINVAL;
		return NULL;
	}
	vs = calloc(1, sizeof(*vs));
	if (vs == NULL)
		return NULL;
	vs->opaque = opaque;
	vs->fdout = fdout;
	vs->frecv = frecv;
	vs->ferr = ferr;
	return vs;
}

/* Write all of iov, waiting for a non-blocking fd to drain: a short write would break the framing for
 * every following frame. Returns 0 or -1 with errno. */
static int write_all(int fd, struct iovec *iov, int iovcnt)
{
	while (iovcnt > 0) {
		ssize_t n = writev(fd, iov, iovcnt);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				struct pollfd p = { .fd = fd, .events = POLLOUT };

				if (poll(&p, 1, -1) < 0 && errno != EINTR)
					return -1;
				continue;
			}
			return -1;
		}
		while (iovcnt > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			iovcnt--;
		}
		if (iovcnt > 0) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

EXPORT ssize_t vdestream_send(VDESTREAM *vs, const void *buf, size_t len)
{
	unsigned char hdr[2];
	struct iovec iov[2];

	if (vs == NULL) {
		errno = EBADF;
		return -1;
	}
	if (len == 0)
		return 0;
	if (len > VDE_ETHBUFSIZE) {
		errno = EMSGSIZE;
		return -1;
	}
	hdr[0] = (unsigned char)(len >> 8);
	hdr[1] = (unsigned char)len;
	iov[0].iov_base = hdr;
	iov[0].iov_len = 2;
	iov[1].iov_base = (void *)(uintptr_t)buf;
	iov[1].iov_len = len;
	if (write_all(vs->fdout, iov, 2) < 0)
		return -1;
	return (ssize_t)len;
}

EXPORT void vdestream_recv(VDESTREAM *vs, unsigned char *buf, size_t len)
{
	if (vs == NULL || buf == NULL)
		return;
	while (len > 0) {
		size_t take;

		if (vs->hdrlen < 2) {
			vs->hdr[vs->hdrlen++] = *buf++;
			len--;
			if (vs->hdrlen < 2)
				continue;
			vs->framelen = (size_t)vs->hdr[0] << 8 | vs->hdr[1];
			vs->have = 0;
			vs->skipping = vs->framelen > VDE_ETHBUFSIZE;
			if (vs->framelen == 0) {
				vs->hdrlen = 0;
			} else if (vs->skipping && vs->ferr) {
				vs->ferr(vs->opaque, PACKET_LENGTH_ERROR,
					 "Packet length error: %zu bytes, skipped", vs->framelen);
			}
			continue;
		}
		if (!vs->skipping && vs->have == 0 && len >= vs->framelen) {
			/* the common case, a whole frame in this read: no copy */
			take = vs->framelen;
			vs->frecv(vs->opaque, buf, take);
			buf += take;
			len -= take;
			vs->hdrlen = 0;
			continue;
		}
		take = vs->framelen - vs->have;
		if (take > len)
			take = len;
		if (!vs->skipping)
			memcpy(vs->frame + vs->have, buf, take);
		vs->have += take;
		buf += take;
		len -= take;
		if (vs->have == vs->framelen) {
			if (!vs->skipping)
				vs->frecv(vs->opaque, vs->frame, vs->framelen);
			vs->hdrlen = 0;
		}
	}
}

EXPORT void vdestream_close(VDESTREAM *vs)
{
	free(vs);
}
