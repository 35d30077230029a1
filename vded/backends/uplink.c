/*
 * Descriptor ownership. The connection (VDECONN) owns its data fd: vde_datafd() lends it until
 * vde_close(), which closes it. The port owns a descriptor of its own, a duplicate of that one (the
 * same open socket, so the same readiness) made each time the link comes up: the first is handed to
 * network_port_add(), which takes it, and later ones replace it in p->fd. Whenever the link goes down
 * (uplink_disconnect) the port's duplicate is closed first and the connection second, so the module's
 * own close is the last one on the socket: its peer (a cmd:// child reading its stdin) sees EOF right
 * there, before the module's SIGTERM. While the link is down p->fd is -1 and its watcher stopped.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libvdeplug.h"
#include "keep.h"
#include "log.h"
#include "dataplane/network.h"
#include "backends/uplink.h"

#define UPLINK_BACKOFF_MIN 1.0
#define UPLINK_BACKOFF_MAX 60.0
#define UPLINK_STABLE 30.0		/* up this long: the next failure retries fast again */

/* libvdeplug, loaded when the first uplink is made: vded does not need it otherwise. */
static struct {
	void *handle;
	VDECONN *(*open)(char *url, char *descr, int version, struct vde_open_args *args);
	ssize_t (*recv)(VDECONN *c, void *buf, size_t len, int flags);
	ssize_t (*send)(VDECONN *c, const void *buf, size_t len, int flags);
	int (*datafd)(VDECONN *c);
	int (*ctlfd)(VDECONN *c);
	int (*close)(VDECONN *c);
} vp;

struct uplink {
	char url[PATH_MAX];
	VDECONN *conn;			/* owned; NULL while down */
	int ctlfd;			/* the connection's, borrowed from conn */
	ev_io ctl_io;
	ev_timer retry;
	double backoff;
	double up_since;
	const char *state;		/* "up" or "retrying" */
	char error[160];
	struct port *port;
};

/* Our own library first (next to vded in the build tree, or the install's libdir), then the system's:
 * modules are found by the library itself, never through vded's environment. */
static int uplink_load(struct vde_error *e)
{
	char exe[PATH_MAX], path[PATH_MAX + 32];
	ssize_t n;

	if (vp.handle)
		return 0;
	unsetenv("VDEPLUGIN_PATH");
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(path, sizeof(path), "%s/../lib/libvdeplug.so.2", exe);
			vp.handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
		}
	}
#ifdef VDE_LIBDIR
	if (!vp.handle)
		vp.handle = dlopen(VDE_LIBDIR "/libvdeplug.so.2", RTLD_NOW | RTLD_LOCAL);
#endif
	if (!vp.handle)
		vp.handle = dlopen("libvdeplug.so.2", RTLD_NOW | RTLD_LOCAL);
	if (!vp.handle)
		return vde_error_set(e, PROTO_ERR_INTERNAL, ENOENT, "cannot load libvdeplug.so.2: %s", dlerror());
	*(void **)&vp.open = dlsym(vp.handle, "vde_open_real");
	*(void **)&vp.recv = dlsym(vp.handle, "vde_recv");
	*(void **)&vp.send = dlsym(vp.handle, "vde_send");
	*(void **)&vp.datafd = dlsym(vp.handle, "vde_datafd");
	*(void **)&vp.ctlfd = dlsym(vp.handle, "vde_ctlfd");
	*(void **)&vp.close = dlsym(vp.handle, "vde_close");
	if (!vp.open || !vp.recv || !vp.send || !vp.datafd || !vp.ctlfd || !vp.close) {
		dlclose(vp.handle);
		vp.handle = NULL;
		return vde_error_set(e, PROTO_ERR_INTERNAL, ENOENT, "libvdeplug.so.2 lacks the vdeplug API");
	}
	return 0;
}

static VDECONN *uplink_open(struct uplink *u, const char *netname)
{
	struct vde_open_args args = { .port = 0, .group = NULL, .mode = 0700 };
	char descr[128];

	snprintf(descr, sizeof(descr), "vded uplink %s", netname);
	return vp.open(u->url, descr, LIBVDEPLUG_INTERFACE_VERSION, &args);
}

static void uplink_ctl_cb(struct ev_loop *loop, ev_io *w, int revents);

/* The port's own duplicate of the connection's data fd: a new descriptor, or -errno. */
static int uplink_dup_datafd(VDECONN *conn)
{
	int fd = fcntl(vp.datafd(conn), F_DUPFD_CLOEXEC, 0);

	return fd < 0 ? -errno : fd;
}

/* Stop watching, close the port's descriptor, then the connection (see the top of the file). */
static void uplink_disconnect(struct uplink *u)
{
	struct port *p = u->port;

	ev_io_stop(network_loop(), &u->ctl_io);
	ev_io_stop(network_loop(), &p->io);
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	if (u->conn)
		vp.close(u->conn);
	u->conn = NULL;
	u->ctlfd = -1;
}

static void uplink_go_down(struct uplink *u, const char *why)
{
	struct port *p = u->port;

	snprintf(u->error, sizeof(u->error), "%s", why);
	u->state = "retrying";
	/* a link that keeps failing right after it opens (cmd://false) backs off; a stable one retries fast */
	if (ev_now(network_loop()) - u->up_since >= UPLINK_STABLE)
		u->backoff = UPLINK_BACKOFF_MIN;
	else if (u->up_since > 0)
		u->backoff = u->backoff * 2 > UPLINK_BACKOFF_MAX ? UPLINK_BACKOFF_MAX : u->backoff * 2;
	log_warn("network %s: uplink %s (port %u) down: %s; retrying in %.0f s", p->net->def.name, u->url, p->id,
		 why, u->backoff);
	uplink_disconnect(u);
	ev_timer_set(&u->retry, u->backoff, 0.);
	ev_timer_start(network_loop(), &u->retry);	network_port_changed(p);
}

/* The link is open (u->conn) and p->fd is the port's duplicate of its data fd: watch both. */
static void uplink_go_up(struct uplink *u)
{
	struct port *p = u->port;

	u->ctlfd = vp.ctlfd(u->conn);
	u->state = "up";
	u->error[0] = '\0';
	u->up_since = ev_now(network_loop());
	ev_io_stop(network_loop(), &p->io);
	ev_io_set(&p->io, p->fd, EV_READ);
	ev_io_start(network_loop(), &p->io);
	network_port_changed(p);
	/* a module whose ctl fd is its data fd (or none) has no separate hang-up to watch */
	if (u->ctlfd >= 0 && u->ctlfd != vp.datafd(u->conn)) {
		ev_io_init(&u->ctl_io, uplink_ctl_cb, u->ctlfd, EV_READ);
		u->ctl_io.data = u;
		ev_io_start(network_loop(), &u->ctl_io);
	}
}

static void uplink_retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct uplink *u = w->data;
	int fd;

	u->conn = uplink_open(u, u->port->net->def.name);
	if (u->conn) {
		fd = uplink_dup_datafd(u->conn);
		if (fd >= 0) {
			log_notice("network %s: uplink %s (port %u) is up again", u->port->net->def.name, u->url,
				   u->port->id);
			u->port->fd = fd;
			uplink_go_up(u);
			return;
		}
		vp.close(u->conn);
		u->conn = NULL;
		errno = -fd;
	}
	snprintf(u->error, sizeof(u->error), "open: %s", strerror(errno));
	u->backoff = u->backoff * 2 > UPLINK_BACKOFF_MAX ? UPLINK_BACKOFF_MAX : u->backoff * 2;
	ev_timer_set(&u->retry, u->backoff, 0.);
	ev_timer_start(loop, &u->retry);
}

/* The control descriptor of a connection reads EOF when it is hung up. */
static void uplink_ctl_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct uplink *u = w->data;
	char buf[256];
	ssize_t n = read(u->ctlfd, buf, sizeof(buf));

	if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)))
		return;
	uplink_go_down(u, n == 0 ? "hung up" : strerror(errno));
}

static int uplink_recv_batch(struct port *p, struct port_rxbatch *b)
{
	struct uplink *u = p->kind_data;
	unsigned got = 0;

	while (got < b->n && u->conn) {
		ssize_t len;

		/* the first read is due (the fd was readable); later ones only if more is waiting */
		if (got > 0) {
			struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
			if (poll(&pfd, 1, 0) <= 0)
				break;
		}
		len = vp.recv(u->conn, port_rx_slot(b, got), b->cap, 0);
		if (len < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (len <= 0) {
			uplink_go_down(u, len == 0 ? "peer closed" : strerror(errno));
			break;
		}
		if (len == 1)
			continue;	/* the module's "nothing for you" */
		port_rx_set(b, got, 0, (uint32_t)((size_t)len > b->cap ? b->cap : (size_t)len), 0);
		got++;
	}
	return (int)got;
}

static int uplink_send_batch(struct port *p, struct mmsghdr *msgs, unsigned n)
{
	struct uplink *u = p->kind_data;

	for (unsigned i = 0; i < n; i++) {
		struct iovec *iov = msgs[i].msg_hdr.msg_iov;

		if (!u->conn)
			return i ? (int)i : -EAGAIN;	/* down: its frames are dropped and counted */
		if (vp.send(u->conn, iov->iov_base, iov->iov_len, 0) < 0) {
			if (errno == EAGAIN || errno == EINTR || errno == ENOBUFS)
				return i ? (int)i : -EAGAIN;
			uplink_go_down(u, strerror(errno));
			return i ? (int)i : -EAGAIN;
		}
	}
	return (int)n;
}

static void uplink_describe(const struct port *p, struct json_object *o)
{
	const struct uplink *u = p->kind_data;

	json_object_object_add(o, "url", json_object_new_string(u->url));
	json_object_object_add(o, "state", json_object_new_string(u->state));
	if (u->error[0])
		json_object_object_add(o, "error", json_object_new_string(u->error));
}

static void uplink_destroy(struct port *p)
{
	struct uplink *u = p->kind_data;

	if (!u)
		return;
	ev_timer_stop(network_loop(), &u->retry);
	/* the port's descriptor too, before the connection's: network_port_free then finds p->fd at -1 */
	uplink_disconnect(u);
	free(u);
	p->kind_data = NULL;
}

static const struct port_ops uplink_ops = {
	.kind = "uplink",
	.recv_batch = uplink_recv_batch,
	.send_batch = uplink_send_batch,
	.describe = uplink_describe,
	.destroy = uplink_destroy,
};

const char *uplink_url(const struct port *p)
{
	return p->ops == &uplink_ops ? ((const struct uplink *)p->kind_data)->url : NULL;
}

int uplink_add(struct network *net, const char *url, struct port **out, struct vde_error *e)
{
	struct uplink *u;
	struct port *p;
	int ret, fd;

	ret = uplink_load(e);
	if (ret < 0)
		return ret;
	u = calloc(1, sizeof(*u));
	if (!u)
		return vde_error_set(e, PROTO_ERR_INTERNAL, ENOMEM, "out of memory");
	snprintf(u->url, sizeof(u->url), "%s", url);
	u->ctlfd = -1;
	u->conn = uplink_open(u, net->def.name);
	if (!u->conn) {
		int err = errno;
		free(u);
		return vde_error_set(e, err == EPROTONOSUPPORT || err == EINVAL ? PROTO_ERR_INVALID_PARAMS
										 : proto_err_from_errno(err),
				     err, "cannot open '%s': %s", url,
				     err == EPROTONOSUPPORT ? "no module for that scheme" : strerror(err));
	}
	fd = uplink_dup_datafd(u->conn);
	if (fd < 0) {
		vp.close(u->conn);
		free(u);
		return vde_error_errno(e, fd, "dup: %s", strerror(-fd));
	}
	/* the port's duplicate goes to network_port_add, which takes it (closes it if it fails) */
	ret = network_port_add(net, fd, &uplink_ops, keep_port_want(net, "uplink", url), &p, e);
	if (ret < 0) {
		vp.close(u->conn);
		free(u);
		return ret;
	}
	p->kind_data = u;
	u->port = p;
	u->backoff = UPLINK_BACKOFF_MIN;
	ev_timer_init(&u->retry, uplink_retry_cb, 0., 0.);
	u->retry.data = u;
	uplink_go_up(u);
	snprintf(p->description, sizeof(p->description), "uplink %s", url);
	keep_port_made(p, url);
	log_info("network %s: port %u: uplink %s", net->def.name, p->id, url);
	if (out)
		*out = p;
	return 0;
}
