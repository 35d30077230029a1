/*
 * sendwait — how socket modules send one frame: wait at most SENDWAIT_MS for room, never block a
 * caller (QEMU) indefinitely, never return 0. On a blocking socket the kernel does the bounded wait
 * itself (SO_SNDTIMEO, set on the first send): one call per frame. If the caller made the socket
 * non-blocking, a poll() stands in for it. Also the receive and send of one frame on a connected
 * datagram socket, which the vde:// and vded:// modules share.
 */
#ifndef VDE_PLUGINS_SENDWAIT_H
#define VDE_PLUGINS_SENDWAIT_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/time.h>

#define SENDWAIT_MS 50
#define SENDWAIT_ETH_HLEN_MIN 14	/* shorter is not an Ethernet frame */

/* sendto(fd, buf, len, to) (to NULL: the connected peer). *timeo_set: per connection, false at first.
 * Returns what sendto returns; -1 with EAGAIN when there was no room within SENDWAIT_MS. */
static inline ssize_t sendwait(int fd, const void *buf, size_t len, const struct sockaddr *to, socklen_t tolen,
			       bool *timeo_set)
{
	bool waited = false;

	if (!*timeo_set) {
		struct timeval tv = { .tv_sec = 0, .tv_usec = SENDWAIT_MS * 1000 };
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		*timeo_set = true;
	}
	for (;;) {
		ssize_t n = sendto(fd, buf, len, MSG_NOSIGNAL | (waited ? MSG_DONTWAIT : 0), to, tolen);
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };

		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if ((errno != EAGAIN && errno != EWOULDBLOCK) || waited || !(fcntl(fd, F_GETFL) & O_NONBLOCK))
			return -1;	/* an error, or the kernel has waited already */
		poll(&pfd, 1, SENDWAIT_MS);
		waited = true;
	}
}

/* One frame from a connected datagram socket. Runts are dropped here, never handed up: an empty
 * datagram would read as 0 ("closed"), and the module API's "drop" value is 1. Only the first read
 * may block (as flags say); after a runt only frames already queued are looked at, so the call
 * never blocks longer than the caller asked: with nothing left it fails with EAGAIN. */
static inline ssize_t dgram_recv_frame(int fd, void *buf, size_t len, int flags)
{
	int more = 0;
	ssize_t n;

	for (;;) {
		n = recv(fd, buf, len, flags | (more ? MSG_DONTWAIT : 0));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || n >= SENDWAIT_ETH_HLEN_MIN || len < SENDWAIT_ETH_HLEN_MIN)
			return n;
		more = 1;
	}
}

/* One frame to the connected peer with the bounded wait above; a runt is not sent (the switch would
 * ignore it) but reported as sent. */
static inline ssize_t dgram_send_frame(int fd, const void *buf, size_t len, bool *timeo_set)
{
	if (len < SENDWAIT_ETH_HLEN_MIN)
		return (ssize_t)len;
	return sendwait(fd, buf, len, NULL, 0, timeo_set);
}

#endif
