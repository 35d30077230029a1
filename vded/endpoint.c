#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "endpoint.h"
#include "log.h"
#include "methods.h"
#include "network.h"
#include "policy.h"

#define ENDPOINT_HANDSHAKE_TIMEOUT 5.0	/* seconds a client has to send its request */

struct endpoint {
	struct network *net;
	char dir[PATH_MAX];
	int lfd;
	ev_io lio;
	unsigned seq;			/* makes data socket names unique: NNN.SEQ */
	struct ep_pending *pending;
};

/* A ctl connection that has not sent its request yet. */
struct ep_pending {
	struct endpoint *ep;
	int fd;
	ev_io io;
	ev_timer timeout;
	struct peer peer;
	struct ep_pending *next;
};

/* What an endpoint port owns besides its data fd. */
struct ep_port {
	int ctl;
	ev_io ctl_io;
	char path[108];			/* our data socket, unlinked at close */
};

static struct ev_loop *ep_loop;

/* ---- endpoint ports ---- */

static void ep_port_destroy(struct port *p)
{
	struct ep_port *epp = p->kind_data;

	if (!epp)
		return;
	ev_io_stop(ep_loop, &epp->ctl_io);
	close(epp->ctl);
	unlink(epp->path);
	free(epp);
	p->kind_data = NULL;
}

static const struct port_ops ep_port_ops = {
	.kind = "endpoint",
	.recv_batch = port_dgram_recv_batch,
	.send_batch = port_dgram_send_batch,
	.destroy = ep_port_destroy,
};

/* The ctl connection of a plugged client: silent while plugged, EOF means unplugged. */
static void ep_port_ctl_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ep_port *epp = (struct ep_port *)((char *)w - offsetof(struct ep_port, ctl_io));
	struct port *p = w->data;
	char junk[256];
	ssize_t n = recv(epp->ctl, junk, sizeof(junk), MSG_DONTWAIT);

	if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)))
		return;		/* vde2 clients may send nothing useful here: ignore it */
	log_info("network %s: port %u: client hung up", p->net->def.name, p->id);
	ev_io_stop(loop, w);
	network_port_kill(p);
}

/* The client's socket must belong to the peer: otherwise anyone could aim vded at another
 * process's socket (or /dev/log) and have it deliver network frames there. */
static int ep_check_client_path(const char *path, const struct peer *peer)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return -errno;
	if (!S_ISSOCK(st.st_mode))
		return -ENOTSOCK;
	if (peer->uid != 0 && st.st_uid != peer->uid)
		return -EACCES;
	return 0;
}

static int ep_plug(struct ep_pending *pd, const struct vde_request *req)
{
	struct endpoint *ep = pd->ep;
	struct network *net = ep->net;
	struct sockaddr_un ours = { .sun_family = AF_UNIX }, theirs = { .sun_family = AF_UNIX };
	struct vde_error err = { 0 };
	struct ep_port *epp;
	struct port *p;
	int fd, ret;
	char reply[VDE_SUN_LEN];

	/* the kernel already held the client to the endpoint's mode; the policy (and the quota) too */
	ret = policy_check(&pd->peer, "vde endpoint", POLICY_ATTACH, net, NULL, &err);
	if (ret < 0)
		return ret;
	ret = ep_check_client_path(req->path, &pd->peer);
	if (ret < 0) {
		log_warn("network %s: pid %d uid %u: client socket %s refused: %s", net->def.name, pd->peer.pid,
			 pd->peer.uid, req->path, strerror(-ret));
		return ret;
	}
	if (req->port && (req->port > net->def.max_ports || net->ports[req->port])) {
		log_info("network %s: pid %d asked for port %u: %s", net->def.name, pd->peer.pid, req->port,
			 req->port > net->def.max_ports ? "out of range" : "in use");
		return -EADDRINUSE;
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if ((size_t)snprintf(ours.sun_path, sizeof(ours.sun_path), "%s/%03u.%u", ep->dir, req->port, ep->seq++) >=
	    sizeof(ours.sun_path)) {
		close(fd);
		return -ENAMETOOLONG;
	}
	unlink(ours.sun_path);
	strcpy(theirs.sun_path, req->path);
	if (bind(fd, (struct sockaddr *)&ours, sizeof(ours)) < 0 ||
	    chown(ours.sun_path, pd->peer.uid, (gid_t)-1) < 0 || chmod(ours.sun_path, 0600) < 0 ||
	    connect(fd, (struct sockaddr *)&theirs, sizeof(theirs)) < 0 || port_dgram_setup(fd) < 0) {
		ret = -errno;
		unlink(ours.sun_path);
		close(fd);
		return ret;
	}
	epp = calloc(1, sizeof(*epp));
	if (!epp) {
		unlink(ours.sun_path);
		close(fd);
		return -ENOMEM;
	}
	ret = network_port_add(net, fd, &ep_port_ops, req->port, &p, &err);
	if (ret < 0) {
		log_info("network %s: pid %d: %s", net->def.name, pd->peer.pid, err.message);
		unlink(ours.sun_path);
		free(epp);
		return ret;
	}
	snprintf(epp->path, sizeof(epp->path), "%s", ours.sun_path);
	p->uid = pd->peer.uid;
	p->gid = pd->peer.gid;
	p->pid = pd->peer.pid;
	snprintf(p->description, sizeof(p->description), "%s", req->descr);

	/* the reply is our address as a sockaddr_un, 110 bytes */
	memset(reply, 0, sizeof(reply));
	memcpy(reply, &ours, sizeof(ours) < sizeof(reply) ? sizeof(ours) : sizeof(reply));
	if (send(pd->fd, reply, sizeof(reply), MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)sizeof(reply)) {
		ret = -errno;
		free(epp);
		network_port_kill(p);
		return ret ? ret : -EIO;
	}
	/* the ctl connection now belongs to the port */
	epp->ctl = pd->fd;
	pd->fd = -1;
	p->kind_data = epp;
	ev_io_init(&epp->ctl_io, ep_port_ctl_cb, epp->ctl, EV_READ);
	epp->ctl_io.data = p;
	ev_io_start(ep_loop, &epp->ctl_io);
	log_info("network %s: port %u plugged: pid %d uid %u \"%s\"", net->def.name, p->id, p->pid, p->uid,
		 p->description);
	return 0;
}

static void ep_pending_free(struct ep_pending *pd)
{
	struct endpoint *ep = pd->ep;

	for (struct ep_pending **pp = &ep->pending; *pp; pp = &(*pp)->next) {
		if (*pp == pd) {
			*pp = pd->next;
			break;
		}
	}
	ev_io_stop(ep_loop, &pd->io);
	ev_timer_stop(ep_loop, &pd->timeout);
	if (pd->fd >= 0)
		close(pd->fd);
	free(pd);
}

static void ep_pending_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ep_pending *pd = w->data;
	uint8_t buf[VDE_REQ_MAX];
	struct vde_request req;
	ssize_t n;

	/* the reference reads the request in one read of up to 256 bytes: so do we */
	n = recv(pd->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		ep_pending_free(pd);
		return;
	}
	if (vdeproto_parse_request(buf, (size_t)n, &req) < 0) {
		/* unlike the reference, answer a bad request by closing, so the client does not hang */
		log_info("network %s: pid %d: malformed port request (%zd bytes), closing", pd->ep->net->def.name,
			 pd->peer.pid, n);
		ep_pending_free(pd);
		return;
	}
	ep_plug(pd, &req);
	ep_pending_free(pd);	/* closes the ctl fd unless ep_plug took it */
}

static void ep_pending_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	ep_pending_free(w->data);
}

static void ep_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct endpoint *ep = w->data;
	struct ep_pending *pd;
	int fd = accept4(ep->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE)
			log_warn("network %s: out of file descriptors", ep->net->def.name);
		return;
	}
	pd = calloc(1, sizeof(*pd));
	if (!pd) {
		close(fd);
		return;
	}
	pd->ep = ep;
	pd->fd = fd;
	if (policy_peer_from_socket(fd, &pd->peer) < 0) {
		close(fd);
		free(pd);
		return;
	}
	pd->next = ep->pending;
	ep->pending = pd;
	ev_io_init(&pd->io, ep_pending_read_cb, fd, EV_READ);
	pd->io.data = pd;
	ev_io_start(loop, &pd->io);
	ev_timer_init(&pd->timeout, ep_pending_timeout_cb, ENDPOINT_HANDSHAKE_TIMEOUT, 0.);
	pd->timeout.data = pd;
	ev_timer_start(loop, &pd->timeout);
}

/* Remove what a previous run (or a client) left in dir, without following symlinks out of it. */
static void ep_dir_clean(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
}

int endpoint_create(struct network *net, const char *run_dir, struct vde_error *e)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct endpoint *ep = calloc(1, sizeof(*ep));
	int ret;

	if (!ep)
		return vde_error_set(e, PROTO_ERR_INTERNAL, ENOMEM, "out of memory");
	ep->net = net;
	ep->lfd = -1;
	snprintf(ep->dir, sizeof(ep->dir), "%s/net/%s", run_dir, net->def.name);
	if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/ctl", ep->dir) >= sizeof(sun.sun_path) - 12) {
		ret = vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL,
				    "endpoint path %s/ctl is too long for a UNIX socket (shorter name or run dir)", ep->dir);
		free(ep);
		return ret;
	}
	ep_dir_clean(ep->dir);
	if (mkdir(ep->dir, 0770) < 0 && errno != EEXIST) {
		ret = vde_error_errno(e, errno, "cannot create %s: %s", ep->dir, strerror(errno));
		goto fail;
	}
	ep->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ep->lfd < 0 || bind(ep->lfd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(ep->lfd, 64) < 0) {
		ret = vde_error_errno(e, errno, "cannot listen on %s: %s", sun.sun_path, strerror(errno));
		goto fail;
	}
	net->endpoint = ep;
	endpoint_apply_policy(net);
	ev_io_init(&ep->lio, ep_accept_cb, ep->lfd, EV_READ);
	ep->lio.data = ep;
	ev_io_start(ep_loop, &ep->lio);
	return 0;
fail:
	if (ep->lfd >= 0)
		close(ep->lfd);
	ep_dir_clean(ep->dir);
	rmdir(ep->dir);
	free(ep);
	return ret;
}

/* For each class (owner, group, other) of the network's mode: 'w' (may attach) opens the directory
 * (clients create their data sockets in it) and the ctl socket; 'r' alone lets them look. */
void endpoint_apply_policy(struct network *net)
{
	struct endpoint *ep = net->endpoint;
	mode_t dirmode = 0, ctlmode = 0;
	char ctl[PATH_MAX + 8];

	if (!ep)
		return;
	for (int shift = 0; shift <= 6; shift += 3) {
		unsigned bits = (net->def.mode >> shift) & 7;
		if (bits & 2) {
			dirmode |= 7u << shift;
			ctlmode |= 6u << shift;
		} else if (bits & 4) {
			dirmode |= 5u << shift;
		}
	}
	snprintf(ctl, sizeof(ctl), "%s/ctl", ep->dir);
	if (chown(ep->dir, net->def.owner_uid, net->def.group) < 0 || chmod(ep->dir, dirmode) < 0 ||
	    chown(ctl, net->def.owner_uid, net->def.group) < 0 || chmod(ctl, ctlmode) < 0)
		log_warn("%s: cannot set owner/mode: %s", ep->dir, strerror(errno));
}

void endpoint_destroy(struct network *net)
{
	struct endpoint *ep = net->endpoint;

	if (!ep)
		return;
	while (ep->pending)
		ep_pending_free(ep->pending);
	ev_io_stop(ep_loop, &ep->lio);
	close(ep->lfd);
	ep_dir_clean(ep->dir);
	if (rmdir(ep->dir) < 0)
		log_warn("%s: %s", ep->dir, strerror(errno));
	free(ep);
	net->endpoint = NULL;
}

int endpoint_init(struct ev_loop *loop, const char *run_dir)
{
	char dir[PATH_MAX];

	ep_loop = loop;
	snprintf(dir, sizeof(dir), "%s/net", run_dir);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

void endpoint_exit(void)
{
}
