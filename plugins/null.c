/*
 * null:// — a network terminator (doc/vde-wire.md §6): every frame sent vanishes, nothing ever arrives.
 * The data fd is an eventfd that is never signalled, so pollers see a valid descriptor that stays quiet.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <libvdeplug_mod.h>

struct null_conn {
	void *handle;
	struct vdeplug_module *module;
	int fd;
};

static VDECONN *null_open(char *vnl, char *descr, int interface_version, struct vde_open_args *open_args)
{
	struct null_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->fd < 0) {
		int err = errno;
		free(c);
		errno = err;
		return NULL;
	}
	return (VDECONN *)c;
}

/* Only reached if a caller reads without polling: there is never anything to read. */
static ssize_t null_recv(VDECONN *conn, void *buf, size_t len, int flags)
{
	errno = EAGAIN;
	return -1;
}

static ssize_t null_send(VDECONN *conn, const void *buf, size_t len, int flags)
{
	return (ssize_t)len;
}

static int null_datafd(VDECONN *conn)
{
	return ((struct null_conn *)conn)->fd;
}

static int null_ctlfd(VDECONN *conn)
{
	return -1;
}

static int null_close(VDECONN *conn)
{
	struct null_conn *c = (struct null_conn *)conn;

	close(c->fd);
	free(c);
	return 0;
}

__attribute__((visibility("default"))) struct vdeplug_module vdeplug_ops = {
	.vde_open_real = null_open,
	.vde_recv = null_recv,
	.vde_send = null_send,
	.vde_datafd = null_datafd,
	.vde_ctlfd = null_ctlfd,
	.vde_close = null_close,
};
