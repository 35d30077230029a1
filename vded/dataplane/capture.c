/* capture — frames of a network as records on a socket its owner reads (see capture.h). */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include "caprec.h"
#include "log.h"
#include "dataplane/capture.h"

/* Records queued per capture before a sendmmsg (a batch, and the segments an offloaded frame makes). */
#define CAPTURE_QUEUE 256
/* How long an ended capture waits for room to send its end record before it just closes. */
#define CAPTURE_LINGER 2.0
/* The socket buffer asked for: room for a burst of a few hundred frames while the reader writes a file;
 * the kernel caps it at wmem_max (never forced: V10), and a user holds at most CAPTURE_MAX_PER_USER. */
#define CAPTURE_SNDBUF (1 << 20)

struct capture {
	struct network *net;		/* NULL once ended */
	int fd;				/* vded's end, owned */
	ev_io io;			/* EV_READ while running (the reader's EOF), EV_WRITE while ending */
	ev_timer linger;
	struct capture_req req;
	uint64_t written, dropped;
	uint32_t end_reason;
	uint32_t end_pending;		/* CAPREC_END_* to end with at the batch's flush (count, reader gone) */
	unsigned qlen;
	struct mmsghdr msg[CAPTURE_QUEUE];
	struct iovec iov[CAPTURE_QUEUE][2];
	uint8_t hdr[CAPTURE_QUEUE][CAPREC_HDR_LEN];
	struct capture *next;		/* in net->captures, or in the list of ending ones */
};

static struct capture *capture_ending;	/* ended, waiting to send the end record */

static void capture_free(struct capture *c)
{
	struct ev_loop *loop = network_loop();

	for (struct capture **pp = &capture_ending; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	ev_io_stop(loop, &c->io);
	ev_timer_stop(loop, &c->linger);
	close(c->fd);
	free(c);
}

/* Send the end record; 0 if it went (or cannot ever go), -EAGAIN if the socket is full. */
static int capture_send_end(struct capture *c)
{
	uint8_t end[CAPREC_END_LEN];
	struct caprec r = { .end_reason = c->end_reason, .dropped = c->dropped, .written = c->written };
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	r.ts_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	caprec_encode_end(end, &r);
	if (send(c->fd, end, sizeof(end), MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && (errno == EAGAIN || errno == ENOBUFS))
		return -EAGAIN;
	return 0;
}

static void capture_ending_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct capture *c = (struct capture *)((char *)w - offsetof(struct capture, io));

	if (capture_send_end(c) == 0)
		capture_free(c);
}

static void capture_linger_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct capture *c = (struct capture *)((char *)w - offsetof(struct capture, linger));

	log_info("capture of uid %u: end record not taken within %.0f s, closing", (unsigned)c->req.uid,
		 CAPTURE_LINGER);
	capture_free(c);
}

static void capture_queue_send(struct capture *c);
static void capture_frame(struct network *net, unsigned port, uint8_t dir, const struct capture_piece *pieces,
			  unsigned n, uint8_t flags);
static void capture_flush(struct network *net);
static void capture_port_gone(struct network *net, unsigned id);
static void capture_network_gone(struct network *net);
static void capture_exit(void);

static const struct network_capture_ops capture_ops = {
	.frame = capture_frame,
	.flush = capture_flush,
	.port_gone = capture_port_gone,
	.network_gone = capture_network_gone,
	.exit = capture_exit,
};

/* Stop capturing: flush what is queued, tell the reader why, close (at once, or when it has room). */
static void capture_end(struct capture *c, uint32_t reason)
{
	struct network *net = c->net;
	struct ev_loop *loop = network_loop();

	if (!net)
		return;
	capture_queue_send(c);
	for (struct capture **pp = &net->captures; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	net->ncaptures--;
	c->net = NULL;
	c->end_reason = reason;
	log_info("network %s: capture of uid %u ended (%s): %llu records written, %llu dropped", net->def.name,
		 (unsigned)c->req.uid, caprec_end_reason(reason), (unsigned long long)c->written,
		 (unsigned long long)c->dropped);
	ev_io_stop(loop, &c->io);
	if (capture_send_end(c) == 0) {
		close(c->fd);
		free(c);
		return;
	}
	c->next = capture_ending;
	capture_ending = c;
	ev_io_init(&c->io, capture_ending_cb, c->fd, EV_WRITE);
	ev_io_start(loop, &c->io);
	ev_timer_init(&c->linger, capture_linger_cb, CAPTURE_LINGER, 0.);
	ev_timer_start(loop, &c->linger);
}

/* The reader wrote something or shut its end: anything it sends is ignored, EOF ends the capture. */
static void capture_readable(struct ev_loop *loop, ev_io *w, int revents)
{
	struct capture *c = (struct capture *)((char *)w - offsetof(struct capture, io));
	uint8_t buf[64];
	ssize_t n;

	for (int i = 0; i < 16; i++) {
		n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			capture_end(c, CAPREC_END_CLOSED);
			return;
		}
		if (n < 0)
			return;
	}
}

static bool capture_watches(const struct capture *c, unsigned id)
{
	for (unsigned i = 0; i < c->req.nports; i++)
		if (c->req.ports[i] == id)
			return true;
	return false;
}

/* Captures running for uid on every network (each holds a socket buffer of kernel memory: rule 4). */
static unsigned capture_count_uid(uid_t uid)
{
	unsigned n = 0;

	for (const struct network *net = network_first(); net; net = net->next)
		for (const struct capture *c = net->captures; c; c = c->next)
			n += c->req.uid == uid;
	return n;
}

int capture_start(struct network *net, const struct capture_req *req, int *fd_out, struct vde_error *e)
{
	struct capture *c;
	int sv[2], size = CAPTURE_SNDBUF;

	for (unsigned i = 0; i < req->nports; i++) {
		unsigned id = req->ports[i];

		if (id == 0 || id > net->def.max_ports || !net->ports[id] || net->ports[id]->dead)
			return vde_error_set(e, PROTO_ERR_NOT_FOUND, ENOENT, "network '%s' has no port %u", net->def.name,
					     id);
	}
	if (net->ncaptures >= CAPTURE_MAX_PER_NETWORK)
		return vde_error_set(e, PROTO_ERR_LIMIT, ENOSPC, "network '%s' has %d captures running, the most it may",
				     net->def.name, CAPTURE_MAX_PER_NETWORK);
	if (req->uid != 0 && capture_count_uid(req->uid) >= CAPTURE_MAX_PER_USER)
		return vde_error_set(e, PROTO_ERR_LIMIT, ENOSPC, "uid %u has %d captures running, the most a user may",
				     (unsigned)req->uid, CAPTURE_MAX_PER_USER);
	c = calloc(1, sizeof(*c));
	if (!c)
		return vde_error_set(e, PROTO_ERR_INTERNAL, ENOMEM, "out of memory");
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		free(c);
		return vde_error_errno(e, errno, "socketpair: %s", strerror(errno));
	}
	/* vded's end never waits; the client's blocks (its reader decides) */
	if (fcntl(sv[0], F_SETFL, O_NONBLOCK) < 0) {
		close(sv[0]);
		close(sv[1]);
		free(c);
		return vde_error_errno(e, errno, "fcntl: %s", strerror(errno));
	}
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	c->fd = sv[0];
	c->req = *req;
	if (!c->req.snaplen)
		c->req.snaplen = CAPTURE_SNAPLEN_DEFAULT;
	for (unsigned i = 0; i < CAPTURE_QUEUE; i++) {
		c->msg[i].msg_hdr.msg_iov = c->iov[i];
		c->msg[i].msg_hdr.msg_iovlen = 2;
		c->iov[i][0].iov_base = c->hdr[i];
		c->iov[i][0].iov_len = CAPREC_HDR_LEN;
	}
	network_set_capture_ops(&capture_ops);
	c->net = net;
	c->next = net->captures;
	net->captures = c;
	net->ncaptures++;
	ev_io_init(&c->io, capture_readable, c->fd, EV_READ);
	ev_io_start(network_loop(), &c->io);
	*fd_out = sv[1];
	log_info("network %s: capture started by uid %u pid %d (%u ports, count %llu, snaplen %u)", net->def.name,
		 (unsigned)req->uid, (int)req->pid, req->nports, (unsigned long long)req->count, c->req.snaplen);
	return 0;
}

/* sendmmsg the queue; what the socket does not take is dropped and counted. */
static void capture_queue_send(struct capture *c)
{
	unsigned done = 0;
	bool gone = false;

	while (done < c->qlen) {
		int n = sendmmsg(c->fd, c->msg + done, c->qlen - done, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n > 0) {
			done += (unsigned)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		/* full (EAGAIN, ENOBUFS): dropped; or the reader is gone (EPIPE...): nothing to count */
		gone = n < 0 && errno != EAGAIN && errno != ENOBUFS;
		break;
	}
	c->written += done;
	if (gone) {
		c->end_pending = CAPREC_END_CLOSED;
	} else if (done < c->qlen) {
		c->dropped += c->qlen - done;
		if (c->net)
			c->net->capture_dropped += c->qlen - done;
	}
	c->qlen = 0;
	if (c->req.count && c->written >= c->req.count)
		c->end_pending = CAPREC_END_COUNT;
}

static void capture_record(struct capture *c, unsigned port, uint8_t dir, uint8_t flags, const struct capture_piece *p,
			   uint64_t ts_ns)
{
	struct caprec r = { .type = CAPREC_FRAME, .dir = dir, .flags = flags, .port = (uint16_t)port,
			    .orig_len = p->len, .ts_ns = ts_ns, .dropped = c->dropped };
	unsigned k;

	if (c->end_pending)
		return;
	/* never more than count records, those queued included */
	if (c->req.count && c->written + c->qlen >= c->req.count)
		return;
	if (c->qlen == CAPTURE_QUEUE) {
		capture_queue_send(c);
		if (c->end_pending)
			return;
	}
	k = c->qlen++;
	caprec_encode_hdr(c->hdr[k], &r);
	c->iov[k][1].iov_base = (void *)(uintptr_t)p->data;
	c->iov[k][1].iov_len = p->len < c->req.snaplen ? p->len : c->req.snaplen;
}

static void capture_frame(struct network *net, unsigned port, uint8_t dir, const struct capture_piece *pieces,
			  unsigned n, uint8_t flags)
{
	struct timespec ts;
	uint64_t ts_ns;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	for (struct capture *c = net->captures; c; c = c->next) {
		/* the whole network: each frame once, as it comes in; else the chosen ports, both ways */
		if (c->req.nports ? !capture_watches(c, port) : dir != CAPREC_DIR_IN)
			continue;
		for (unsigned j = 0; j < n; j++)
			capture_record(c, port, dir, flags, &pieces[j], ts_ns);
	}
}

static void capture_flush(struct network *net)
{
	struct capture *c = net->captures, *next;

	for (; c; c = next) {
		next = c->next;
		if (c->qlen)
			capture_queue_send(c);
		if (c->end_pending)
			capture_end(c, c->end_pending);
	}
}

static void capture_port_gone(struct network *net, unsigned id)
{
	struct capture *c = net->captures, *next;

	for (; c; c = next) {
		next = c->next;
		if (capture_watches(c, id))
			capture_end(c, CAPREC_END_PORT);
	}
}

static void capture_network_gone(struct network *net)
{
	while (net->captures)
		capture_end(net->captures, CAPREC_END_NETWORK);
}

static void capture_exit(void)
{
	while (capture_ending)
		capture_free(capture_ending);
}
