#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "port.h"

int port_dgram_recv_batch(struct port *p, struct mmsghdr *msgs, unsigned n)
{
	int got = recvmmsg(p->fd, msgs, n, MSG_DONTWAIT, NULL);

	if (got < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	return got;
}

int port_dgram_send_batch(struct port *p, struct mmsghdr *msgs, unsigned n)
{
	int sent = sendmmsg(p->fd, msgs, n, MSG_DONTWAIT | MSG_NOSIGNAL);

	return sent < 0 ? -errno : sent;
}

int port_rw_recv_batch(struct port *p, struct mmsghdr *msgs, unsigned n)
{
	unsigned got = 0;

	while (got < n) {
		struct iovec *iov = msgs[got].msg_hdr.msg_iov;
		ssize_t len = read(p->fd, iov->iov_base, iov->iov_len);

		if (len < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return got ? (int)got : -errno;
		}
		if (len == 0)
			return got ? (int)got : -EPIPE;	/* a tap does not end; anything else that does is gone */
		msgs[got].msg_len = (unsigned)len;
		msgs[got].msg_hdr.msg_flags = 0;
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
