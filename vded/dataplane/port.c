#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "dataplane/offload.h"
#include "dataplane/port.h"

/* Receive space per slot: one byte more than the largest frame with its virtio-net header, so an
 * oversized datagram is seen as such (MSG_TRUNC) rather than silently cut. */
#define RX_SLOT (OFFLOAD_HDR_LEN + OFFLOAD_MAX_FRAME + 6)

/*
 * One receive batch for the whole daemon: the loop is single-threaded and every batch is switched and
 * flushed before the next receive, so frames never outlive the callback that read them. The msghdrs
 * and iovecs are set up once and never handed out: the kernel writes back only msg_len, msg_flags,
 * msg_controllen (0) and msg_namelen, and port_rx_recvmmsg resets the last after each call.
 */
static uint8_t *rx_buf;
static struct iovec rx_iov[PORT_BATCH];
static struct mmsghdr rx_msgs[PORT_BATCH];		/* without senders */
static struct mmsghdr rx_msgs_addr[PORT_BATCH];	/* with msg_name over rx_addr[i] */
static struct sockaddr_storage rx_addr[PORT_BATCH];
static socklen_t rx_addrlen[PORT_BATCH];
static struct port_frame rx_frame[PORT_BATCH];
static const struct port_frame rx_frame_preset[PORT_BATCH] = { [0 ... PORT_BATCH - 1] = { .flags = PORT_FRAME_SKIP } };
static struct port_rxbatch rx_own;			/* the geometry, as lent; never the kind's copy */
static bool rx_with_addr;

int port_rx_init(void)
{
	if (!rx_buf)
		rx_buf = malloc((size_t)PORT_BATCH * RX_SLOT);
	if (!rx_buf)
		return -ENOMEM;
	for (unsigned i = 0; i < PORT_BATCH; i++) {
		rx_iov[i].iov_base = rx_buf + (size_t)i * RX_SLOT;
		rx_iov[i].iov_len = RX_SLOT;
		rx_msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &rx_iov[i], .msg_iovlen = 1 };
		rx_msgs_addr[i].msg_hdr = (struct msghdr){ .msg_iov = &rx_iov[i], .msg_iovlen = 1,
							   .msg_name = &rx_addr[i], .msg_namelen = sizeof(rx_addr[i]) };
	}
	rx_own = (struct port_rxbatch){ .frame = rx_frame, .buf = rx_buf, .cap = RX_SLOT, .n = PORT_BATCH };
	return 0;
}

void port_rx_exit(void)
{
	free(rx_buf);
	rx_buf = NULL;
	rx_own = (struct port_rxbatch){ 0 };
}

void port_rx_lend(struct port_rxbatch *b, bool want_addr)
{
	memcpy(rx_frame, rx_frame_preset, sizeof(rx_frame));	/* one block copy: this runs per batch */
	rx_with_addr = want_addr;
	*b = rx_own;
	if (want_addr) {
		b->addr = rx_addr;
		b->addrlen = rx_addrlen;
	}
}

int port_rx_recvmmsg(struct port_rxbatch *b, int fd)
{
	struct mmsghdr *msgs = rx_with_addr ? rx_msgs_addr : rx_msgs;
	int got = recvmmsg(fd, msgs, rx_own.n, MSG_DONTWAIT, NULL);

	if (got < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	for (int i = 0; i < got; i++) {
		rx_frame[i] = (struct port_frame){ .len = msgs[i].msg_len,
						   .flags = msgs[i].msg_hdr.msg_flags & MSG_TRUNC ? PORT_FRAME_TRUNC : 0 };
		if (rx_with_addr) {
			rx_addrlen[i] = msgs[i].msg_hdr.msg_namelen;
			msgs[i].msg_hdr.msg_namelen = sizeof(rx_addr[i]);
		}
	}
	return got;
}

unsigned port_rx_collect(const struct port_rxbatch *b, int used, struct port_rxframe *out)
{
	unsigned n = used < 0 ? 0 : (unsigned)used > b->n ? b->n : (unsigned)used, k = 0;

	for (unsigned i = 0; i < n; i++) {
		const struct port_frame *f = &b->frame[i];
		uint8_t *slot = port_rx_slot(b, i);

		if (f->flags & PORT_FRAME_SKIP)
			continue;
		/* a kind's arithmetic gone wrong costs its frame, never a read past the slot */
		if (f->off >= b->cap || f->len > b->cap - f->off) {
			out[k++] = (struct port_rxframe){ .data = slot, .len = 0 };
			continue;
		}
		out[k++] = (struct port_rxframe){ .data = slot + f->off, .len = f->len,
						  .trunc = (f->flags & PORT_FRAME_TRUNC) != 0 };
	}
	return k;
}

unsigned port_rx_take(int used, struct port_rxframe *out)
{
	return port_rx_collect(&rx_own, used, out);
}

int port_dgram_recv_batch(struct port *p, struct port_rxbatch *b)
{
	return port_rx_recvmmsg(b, p->fd);
}

int port_dgram_send_batch(struct port *p, struct mmsghdr *msgs, unsigned n)
{
	int sent = sendmmsg(p->fd, msgs, n, MSG_DONTWAIT | MSG_NOSIGNAL);

	return sent < 0 ? -errno : sent;
}

int port_rw_recv_batch(struct port *p, struct port_rxbatch *b)
{
	unsigned got = 0;

	while (got < b->n) {
		ssize_t len = read(p->fd, port_rx_slot(b, got), b->cap);

		if (len < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return got ? (int)got : -errno;
		}
		if (len == 0)
			return got ? (int)got : -EPIPE;	/* a tap does not end; anything else that does is gone */
		port_rx_set(b, got, 0, (uint32_t)len, 0);
		got++;
	}
	return (int)got;
}

int port_rw_send_batch(struct port *p, struct mmsghdr *msgs, unsigned n)
{
	unsigned sent = 0;

	while (sent < n) {
		ssize_t len = writev(p->fd, msgs[sent].msg_hdr.msg_iov, (int)msgs[sent].msg_hdr.msg_iovlen);

		if (len < 0)
			return sent ? (int)sent : -errno;
		sent++;
	}
	return (int)sent;
}

/* Bytes of send buffer asked for: about 1000 full-size frames, so a reader that is briefly descheduled
 * does not lose frames. Asked with plain SO_SNDBUF (V10): the kernel caps it at net.core.wmem_max, the
 * administrator's fair share per socket, and charges it only while frames are queued. */
#define PORT_DGRAM_SNDBUF (4 << 20)

int port_dgram_setup(int fd)
{
	int flags = fcntl(fd, F_GETFL), size = PORT_DGRAM_SNDBUF;

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return -errno;
	/* never SO_SNDBUFFORCE: a user's port must not pin memory past wmem_max (and the engine has no
	 * CAP_NET_ADMIN); a smaller buffer than asked is fine */
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	return 0;
}
