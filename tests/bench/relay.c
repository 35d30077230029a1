/*
 * relay — the "relay ceiling" of `make bench`: the least work a user-space switch hop can do.
 *
 *   relay [-b] [-S SNDBUF] PATH_A PATH_B
 *
 * Binds two AF_UNIX SOCK_DGRAM sockets. Each connects back to the first client that sends to it
 * (so the pair is mutually connected, like vded's socketpair ports and vde_switch's data sockets).
 * Every frame read on one side is written to the other: recvmmsg/sendmmsg in batches of 64, both
 * directions, epoll, non-blocking. No learning, no parsing. A frame the other side has no room for
 * is dropped and counted, as a switch must (it may not stall one port for another).
 * With -b (backpressure) it keeps such frames instead and stops reading the sending side until the
 * receiving side has room again: the lossless ceiling, which a two-port relay can afford and a
 * switch with many ports cannot do blindly.
 * -S sets the sockets' send buffer (SO_SNDBUFFORCE), which bounds what may wait for a slow receiver:
 * the bench gives it the size vded gives its ports so that the two hops differ only in their code.
 * SIGTERM/SIGINT: print the counters to stderr, remove the socket files, exit 0.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define BATCH 64
#define FRAME_MAX 9234

struct side {
	const char *path;
	int fd;
	int connected;
	int pending;		/* -b: frames of the last batch still to send out of the other side */
	int pending_off;	/* index of the first of them in the other side's out[] */
	struct side *peer;
	int ep;
	unsigned long rx, tx, dropped, batches;
	struct mmsghdr in[BATCH];
	struct mmsghdr out[BATCH];
	struct iovec in_iov[BATCH];
	struct iovec out_iov[BATCH];
	struct sockaddr_un from[BATCH];
	unsigned char buf[BATCH][FRAME_MAX];
};

static volatile sig_atomic_t stop;
static int backpressure;
static int sndbuf;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int side_open(struct side *s, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	s->path = path;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "relay: path too long: %s\n", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	unlink(path);
	s->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "relay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	/* FORCE needs CAP_NET_ADMIN (the bench runs as root) and ignores wmem_max */
	if (sndbuf > 0 && setsockopt(s->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)) < 0 &&
	    setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)) < 0)
		fprintf(stderr, "relay: SO_SNDBUF: %s\n", strerror(errno));
	for (int i = 0; i < BATCH; i++) {
		s->in_iov[i].iov_base = s->buf[i];
		s->out_iov[i].iov_base = s->buf[i];
		s->in[i].msg_hdr.msg_iov = &s->in_iov[i];
		s->in[i].msg_hdr.msg_iovlen = 1;
		s->in[i].msg_hdr.msg_name = &s->from[i];
		s->out[i].msg_hdr.msg_iov = &s->out_iov[i];
		s->out[i].msg_hdr.msg_iovlen = 1;
	}
	return 0;
}

/* Read while nothing of ours waits to go out; watch for room while the peer has frames for us. */
static void side_rearm(struct side *s)
{
	struct epoll_event ev = { .data.ptr = s };

	ev.events = (s->pending ? 0 : EPOLLIN) | (s->peer->pending ? EPOLLOUT : 0);
	epoll_ctl(s->ep, EPOLL_CTL_MOD, s->fd, &ev);
}

/* Move one batch from `from` to `to`. Returns the number of frames read (BATCH: there may be more). */
static int relay_batch(struct side *from, struct side *to)
{
	int n, k;

	for (int i = 0; i < BATCH; i++) {
		from->in_iov[i].iov_len = FRAME_MAX;
		from->in[i].msg_hdr.msg_namelen = sizeof(from->from[i]);
	}
	n = recvmmsg(from->fd, from->in, BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return 0;
	from->rx += (unsigned long)n;
	from->batches++;
	if (!from->connected && from->in[0].msg_hdr.msg_namelen > sizeof(sa_family_t)) {
		/* The first client to speak owns this side: answer it, and only it, from now on. */
		if (connect(from->fd, (struct sockaddr *)&from->from[0], from->in[0].msg_hdr.msg_namelen) == 0)
			from->connected = 1;
		else
			fprintf(stderr, "relay: connect back on %s: %s\n", from->path, strerror(errno));
	}
	if (!to->connected) {
		from->dropped += (unsigned long)n;
		return n;
	}
	/* The frames go out of the other side's socket, straight from this side's buffers. */
	for (int i = 0; i < n; i++) {
		to->out_iov[i].iov_base = from->buf[i];
		to->out_iov[i].iov_len = from->in[i].msg_len;
	}
	k = sendmmsg(to->fd, to->out, (unsigned)n, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (k < 0)
		k = 0;
	to->tx += (unsigned long)k;
	if (k < n && backpressure) {
		from->pending = n - k;
		from->pending_off = k;
		side_rearm(from);
		side_rearm(to);
		return n;
	}
	from->dropped += (unsigned long)(n - k);
	return n;
}

/* -b: the other side of `from` became writable: push what is left of from's last batch. */
static void relay_flush(struct side *from)
{
	struct side *to = from->peer;
	int k = sendmmsg(to->fd, to->out + from->pending_off, (unsigned)from->pending,
			 MSG_DONTWAIT | MSG_NOSIGNAL);

	if (k < 0) {
		if (errno == EAGAIN)
			return;
		/* the receiver is gone: these frames can never go out */
		from->dropped += (unsigned long)from->pending;
		k = from->pending;
	} else {
		to->tx += (unsigned long)k;
	}
	from->pending -= k;
	from->pending_off += k;
	if (from->pending == 0) {
		side_rearm(from);
		side_rearm(to);
	}
}

int main(int argc, char **argv)
{
	struct side *a, *b;
	struct sigaction sa = { .sa_handler = on_signal };
	struct epoll_event ev = { .events = EPOLLIN }, evs[2];
	int ep, opt;

	while ((opt = getopt(argc, argv, "bS:")) != -1) {
		switch (opt) {
		case 'b':
			backpressure = 1;
			break;
		case 'S':
			sndbuf = atoi(optarg);
			break;
		default:
			goto usage;
		}
	}
	argv += optind - 1;
	argc -= optind - 1;
	if (argc != 3) {
usage:
		fprintf(stderr, "usage: relay [-b] [-S SNDBUF] PATH_A PATH_B\n");
		return 2;
	}
	a = calloc(1, sizeof(*a));
	b = calloc(1, sizeof(*b));
	if (!a || !b || side_open(a, argv[1]) < 0 || side_open(b, argv[2]) < 0)
		return 1;
	a->peer = b;
	b->peer = a;
	/* no SA_RESTART: epoll_wait must return EINTR so that the loop sees `stop` */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	ep = epoll_create1(EPOLL_CLOEXEC);
	a->ep = b->ep = ep;
	ev.data.ptr = a;
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, a->fd, &ev) < 0)
		return 1;
	ev.data.ptr = b;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, b->fd, &ev) < 0)
		return 1;
	while (!stop) {
		int n = epoll_wait(ep, evs, 2, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("relay: epoll_wait");
			return 1;
		}
		for (int i = 0; i < n; i++) {
			struct side *s = evs[i].data.ptr;
			if ((evs[i].events & EPOLLOUT) && s->peer->pending)
				relay_flush(s->peer);
			if ((evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) && !s->pending)
				relay_batch(s, s->peer);
		}
	}
	fprintf(stderr, "relay: a->b rx=%lu tx=%lu dropped=%lu batches=%lu; b->a rx=%lu tx=%lu dropped=%lu batches=%lu\n",
		a->rx, b->tx, a->dropped, a->batches, b->rx, a->tx, b->dropped, b->batches);
	unlink(a->path);
	unlink(b->path);
	return 0;
}
