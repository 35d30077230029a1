/*
 * ptp://PATH — a point-to-point cable over an AF_UNIX datagram socket, the flavour of Debian's
 * vdeplug4 4.0.1 (doc/vde-wire.md §6). The same locator is used at both ends:
 *   - the first opener binds PATH and learns its peer's address lazily (it is always PATH+);
 *   - the second finds a live PATH, connects to it and binds PATH+.
 * A stale socket left by a dead process (connect says ECONNREFUSED) is replaced; a third opener
 * while both ends are live gets EADDRINUSE. One frame per datagram, no header.
 * The newer upstream flavour (SOCK_SEQPACKET at PATH) is recognised by its socket type and refused
 * with EPROTOTYPE rather than misread.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <libvdeplug_mod.h>
#include "sendwait.h"

#define ETH_HLEN_MIN 14
#define DEFAULT_MODE 0700
/* See vde.c: the longest a send waits for room at the peer before the frame is dropped. */

struct ptp_conn {
	void *handle;
	struct vdeplug_module *module;
	int fd;
	int connected;			/* the first end connects to its peer on its first send */
	bool sndtimeo_set;		/* see sendwait.h */
	struct sockaddr_un self;	/* bound address, unlinked on close */
	struct sockaddr_un peer;
};

static int set_path(struct sockaddr_un *sun, const char *path, const char *suffix)
{
	int n;

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	n = snprintf(sun->sun_path, sizeof(sun->sun_path), "%s%s", path, suffix);
	if (n < 0 || (size_t)n >= sizeof(sun->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* Is there a live socket listening at addr? 1 yes, 0 no (absent or stale), -1 other error. */
static int socket_alive(const struct sockaddr_un *addr)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), r, err;

	if (fd < 0)
		return -1;
	r = connect(fd, (const struct sockaddr *)addr, sizeof(*addr));
	err = errno;
	close(fd);
	/* EPERM: alive, and already connected to its own peer */
	if (r == 0 || err == EPERM)
		return 1;
	if (err == ECONNREFUSED || err == ENOENT)
		return 0;
	errno = err;
	return -1;
}

/* Bind fd at addr, replacing a stale socket there. Live: EADDRINUSE. */
static int bind_replacing(int fd, const struct sockaddr_un *addr)
{
	int alive;

	if (bind(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0)
		return 0;
	if (errno != EADDRINUSE)
		return -1;
	alive = socket_alive(addr);
	if (alive != 0) {
		if (alive > 0)
			errno = EADDRINUSE;
		return -1;
	}
	if (unlink(addr->sun_path) < 0 && errno != ENOENT)
		return -1;
	return bind(fd, (const struct sockaddr *)addr, sizeof(*addr));
}

static int set_perms(const char *path, struct vde_open_args *open_args)
{
	mode_t mode = open_args && open_args->mode ? open_args->mode : DEFAULT_MODE;

	if (chmod(path, mode) < 0)
		return -1;
	if (open_args && open_args->group) {
		gid_t gid = vde_grnam2gid(open_args->group);

		if (gid == (gid_t)-1) {
			errno = EINVAL;
			return -1;
		}
		if (chown(path, (uid_t)-1, gid) < 0)
			return -1;
	}
	return 0;
}

static VDECONN *ptp_open(char *vnl, char *descr, int interface_version, struct vde_open_args *open_args)
{
	struct sockaddr_un first, second;
	struct ptp_conn *c;
	int fd = -1, err, tries;

	if (!*vnl) {
		errno = EINVAL;
		return NULL;
	}
	if (set_path(&first, vnl, "") < 0 || set_path(&second, vnl, "+") < 0)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	/* Two rounds: a race with another first opener, or a stale PATH, sends us round again. */
	for (tries = 0; tries < 2; tries++) {
		int alive;

		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			goto fail;
		alive = socket_alive(&first);
		if (alive < 0)
			goto fail;
		if (alive == 0) {
			/* first end: PATH is ours (replace a stale one) */
			if (bind_replacing(fd, &first) == 0) {
				c->self = first;
				c->peer = second;
				break;
			}
			if (errno != EADDRINUSE)
				goto fail;
		} else {
			/* second end: talk to PATH from PATH+ */
			if (connect(fd, (struct sockaddr *)&first, sizeof(first)) == 0) {
				if (bind_replacing(fd, &second) < 0)
					goto fail;
				c->self = second;
				c->peer = first;
				c->connected = 1;
				break;
			}
			if (errno == EPERM) {
				/* PATH is talking to its peer already: the cable is complete */
				errno = EADDRINUSE;
				goto fail;
			}
			if (errno != ECONNREFUSED && errno != ENOENT)
				goto fail;
		}
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		errno = EADDRINUSE;
		goto fail;
	}
	c->fd = fd;
	if (set_perms(c->self.sun_path, open_args) < 0) {
		err = errno;
		unlink(c->self.sun_path);
		errno = err;
		goto fail;
	}
	return (VDECONN *)c;
fail:
	err = errno;
	if (fd >= 0)
		close(fd);
	free(c);
	errno = err;
	return NULL;
}

static int same_path(const struct sockaddr_un *a, socklen_t alen, const struct sockaddr_un *b)
{
	size_t off = offsetof(struct sockaddr_un, sun_path);

	if (alen <= off || a->sun_family != AF_UNIX)
		return 0;
	return strncmp(a->sun_path, b->sun_path, sizeof(a->sun_path)) == 0;
}

static ssize_t ptp_recv(VDECONN *conn, void *buf, size_t len, int flags)
{
	struct ptp_conn *c = (struct ptp_conn *)conn;
	int more = 0;

	/* The first end's socket is not connected, so anyone allowed to write to PATH could inject
	 * frames: keep only the peer's, and runts never; stop at the first empty queue (EAGAIN). */
	for (;;) {
		struct sockaddr_un from;
		socklen_t fromlen = sizeof(from);
		/* connected, the kernel admits the peer alone: no address to fetch and compare */
		ssize_t n = c->connected ? recv(c->fd, buf, len, flags | (more ? MSG_DONTWAIT : 0))
					 : recvfrom(c->fd, buf, len, flags | (more ? MSG_DONTWAIT : 0),
						    (struct sockaddr *)&from, &fromlen);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return n;
		if (n < ETH_HLEN_MIN && len >= ETH_HLEN_MIN) {
			more = 1;
			continue;
		}
		if (c->connected)
			return n;
		if (same_path(&from, fromlen, &c->peer)) {
			/* the peer is there: connect now rather than at our first send */
			if (connect(c->fd, (struct sockaddr *)&c->peer, sizeof(c->peer)) == 0)
				c->connected = 1;
			return n;
		}
		more = 1;
	}
}

static ssize_t ptp_send(VDECONN *conn, const void *buf, size_t len, int flags)
{
	struct ptp_conn *c = (struct ptp_conn *)conn;
	int reconnected = 0;
	ssize_t n;

	if (len < ETH_HLEN_MIN)
		return (ssize_t)len;
	for (;;) {
		if (!c->connected) {
			if (connect(c->fd, (struct sockaddr *)&c->peer, sizeof(c->peer)) < 0) {
				/* nobody at the other end of the cable yet: the frame is lost on the wire */
				if (errno == ENOENT || errno == ECONNREFUSED)
					return (ssize_t)len;
				return -1;
			}
			c->connected = 1;
		}
		n = sendwait(c->fd, buf, len, NULL, 0, &c->sndtimeo_set);
		if (n >= 0)
			return n;
		if (errno == ECONNREFUSED && !reconnected) {
			/* the other end was restarted: its new socket has the same name */
			struct sockaddr_un none = { .sun_family = AF_UNSPEC };

			connect(c->fd, (struct sockaddr *)&none, sizeof(none));
			c->connected = 0;
			reconnected = 1;
			continue;
		}
		return -1;
	}
}

static int ptp_datafd(VDECONN *conn)
{
	return ((struct ptp_conn *)conn)->fd;
}

static int ptp_ctlfd(VDECONN *conn)
{
	return -1;
}

static int ptp_close(VDECONN *conn)
{
	struct ptp_conn *c = (struct ptp_conn *)conn;

	unlink(c->self.sun_path);
	close(c->fd);
	free(c);
	return 0;
}

__attribute__((visibility("default"))) struct vdeplug_module vdeplug_ops = {
	.vde_open_real = ptp_open,
	.vde_recv = ptp_recv,
	.vde_send = ptp_send,
	.vde_datafd = ptp_datafd,
	.vde_ctlfd = ptp_ctlfd,
	.vde_close = ptp_close,
};
