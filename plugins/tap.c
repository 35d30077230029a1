/*
 * tap://IFNAME — a Linux tap interface (doc/vde-wire.md §6): /dev/net/tun with IFF_TAP|IFF_NO_PI, so each
 * read or write is exactly one Ethernet frame. An empty name lets the kernel choose one (tapN).
 * The interface is left down: configuring it is the caller's business, as with vdeplug4.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <libvdeplug_mod.h>

#define ETH_HLEN_MIN 14

struct tap_conn {
	void *handle;
	struct vdeplug_module *module;
	int fd;
};

static VDECONN *tap_open(char *vnl, char *descr, int interface_version, struct vde_open_args *open_args)
{
	struct ifreq ifr;
	struct tap_conn *c;
	int fd, err;

	if (strlen(vnl) >= IFNAMSIZ) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	strcpy(ifr.ifr_name, vnl);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		goto fail;
	c = calloc(1, sizeof(*c));
	if (!c)
		goto fail;
	c->fd = fd;
	return (VDECONN *)c;
fail:
	err = errno;
	close(fd);
	errno = err;
	return NULL;
}

static ssize_t tap_recv(VDECONN *conn, void *buf, size_t len, int flags)
{
	struct tap_conn *c = (struct tap_conn *)conn;

	/* The kernel only hands out whole frames; a zero-length read would look like a hang-up. */
	return read(c->fd, buf, len);
}

static ssize_t tap_send(VDECONN *conn, const void *buf, size_t len, int flags)
{
	struct tap_conn *c = (struct tap_conn *)conn;
	ssize_t n;

	/* A runt would make the kernel answer EINVAL; it is not a frame, drop it like a NIC would. */
	if (len < ETH_HLEN_MIN)
		return (ssize_t)len;
	do
		n = write(c->fd, buf, len);
	while (n < 0 && errno == EINTR);
	/* EIO: the interface is down. Like a NIC with no carrier the frame is simply lost; it is
	 * not an error of the connection (vdeplug4's vde_plug ignores it, a caller may not). */
	if (n < 0 && errno == EIO)
		return (ssize_t)len;
	return n;
}

static int tap_datafd(VDECONN *conn)
{
	return ((struct tap_conn *)conn)->fd;
}

static int tap_ctlfd(VDECONN *conn)
{
	return -1;
}

static int tap_close(VDECONN *conn)
{
	struct tap_conn *c = (struct tap_conn *)conn;

	close(c->fd);
	free(c);
	return 0;
}

__attribute__((visibility("default"))) struct vdeplug_module vdeplug_ops = {
	.vde_open_real = tap_open,
	.vde_recv = tap_recv,
	.vde_send = tap_send,
	.vde_datafd = tap_datafd,
	.vde_ctlfd = tap_ctlfd,
	.vde_close = tap_close,
};
