#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "port.h"

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

int port_dgram_recv_batch(struct port *p, struct port_rxbatch *b)
{
	int got = recvmmsg(p->fd, b->msgs, b->n, MSG_DONTWAIT, NULL);

	if (got < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	for (int i = 0; i < got; i++)
		port_rx_set(b, (unsigned)i, 0, b->msgs[i].msg_len,
			    b->msgs[i].msg_hdr.msg_flags & MSG_TRUNC ? PORT_FRAME_TRUNC : 0);
	return got;
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
