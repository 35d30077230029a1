/*
 * endpoint — RUN_DIR/net/NAME, the vde_switch-compatible socket directory of a network.
 *
 * The directory is made by the privileged process (priv.h): owned by vded's user, group = the
 * network's group, setgid and sticky, writable by vded alone (clients bind their own sockets under
 * /tmp, as vdeplug4 does when it cannot in the switch directory). vded itself never chowns,
 * chmods or unlinks by a path a user chose: its sockets are born with the right group (setgid) and
 * mode (umask at bind); ctl is replaced by rename; its files are unlinked relative to the directory
 * fd; a client's socket is connected by the privileged process with that client's credentials.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "backends/endpoint.h"
#include "keep.h"
#include "listener.h"
#include "log.h"
#include "dataplane/network.h"
#include "control/policy.h"
#include "priv/priv.h"
#include "text.h"

#define ENDPOINT_HANDSHAKE_TIMEOUT 5.0	/* seconds a client has to send its request */
/* Handshakes not yet answered hold a descriptor each: bounded per user and in all, with the last
 * ENDPOINT_PENDING_RESERVED places kept for root and admins (SECURITY: rule 4). */
#define ENDPOINT_PENDING_MAX 512
#define ENDPOINT_PENDING_RESERVED 64
#define ENDPOINT_PENDING_PER_UID 16
#define ENDPOINT_BIND_TRIES 8
/* The address a client the policy refuses is answered with (see ep_refuse). */
#define ENDPOINT_DENIED ".denied"

struct endpoint {
	struct network *net;
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];	/* RUN_DIR/net/NAME, for bind() */
	int dirfd;			/* the same, for every *at() call */
	int lfd;
	struct listener listener;
	unsigned seq;			/* makes data socket names unique: NNN.SEQ */
	bool acl;			/* the owner has an ACL entry (inherited by our sockets) */
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
	int dirfd;			/* borrowed from the endpoint, which outlives its ports */
	char name[16];			/* our data socket in the endpoint directory, unlinked at close */
};

static struct ev_loop *ep_loop;
static unsigned ep_npending;		/* over every endpoint */

/* Refused handshakes are logged, but a client can make them as fast as it connects: at most
 * ENDPOINT_LOG_PER_SEC lines a second, then one line counting the rest (SECURITY rule 5). */
#define ENDPOINT_LOG_PER_SEC 10

static bool ep_refusal_log_ok(void)
{
	static ev_tstamp window;
	static unsigned logged, dropped;
	ev_tstamp now = ev_now(ep_loop);

	if (now - window >= 1.0) {
		if (dropped)
			log_notice("endpoints: %u more refused handshake(s) not logged", dropped);
		window = now;
		logged = dropped = 0;
	}
	if (logged < ENDPOINT_LOG_PER_SEC) {
		logged++;
		return true;
	}
	dropped++;
	return false;
}

#define ep_log_refusal(log_fn, ...) do { if (ep_refusal_log_ok()) log_fn(__VA_ARGS__); } while (0)

/* ---- endpoint ports ---- */

static void ep_port_destroy(struct port *p)
{
	struct ep_port *epp = p->kind_data;

	if (!epp)
		return;
	ev_io_stop(ep_loop, &epp->ctl_io);
	close(epp->ctl);
	unlinkat(epp->dirfd, epp->name, 0);
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

/* The mode of the sockets vded makes in the directory: a class that may attach may write to them.
 * A per-port socket is connected to its client, so the kernel lets nobody else send to it. With the
 * owner's ACL entry inherited from the directory, the group bits are the ACL's mask: they must let the
 * owner's entry through (the group's own entry still says what the group gets). */
static mode_t ep_socket_mode(const struct endpoint *ep)
{
	unsigned netmode = ep->net->def.mode;
	mode_t m = 0600;

	if (((netmode >> 3) & 2) || (ep->acl && (netmode & 0200)))
		m |= 0060;
	if (netmode & 2)
		m |= 0006;
	return m;
}

/* Whether the directory carries the owner's default ACL (see priv_endpoint_make). */
static bool ep_has_acl(const struct endpoint *ep)
{
	return fgetxattr(ep->dirfd, "system.posix_acl_default", NULL, 0) > 0;
}

/* A datagram or stream socket bound at dir/name, born with mode (umask) and the directory's group
 * (setgid). -EADDRINUSE if the name is taken (a client may have made it: never unlinked here). */
static int ep_bind(const struct endpoint *ep, int type, const char *name, mode_t mode, int *out)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	mode_t old;
	int fd, ret = 0;

	if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s", ep->dir, name) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	old = umask(0777 & ~mode);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		ret = -errno;
	umask(old);
	if (ret < 0) {
		close(fd);
		return ret;
	}
	*out = fd;
	return 0;
}

static int ep_plug(struct ep_pending *pd, struct vde_request *req)
{
	struct endpoint *ep = pd->ep;
	struct network *net = ep->net;
	struct vde_error err = { 0 };
	struct ep_port *epp;
	struct port *p;
	char name[16], reply[VDE_SUN_LEN];
	struct sockaddr_un ours = { .sun_family = AF_UNIX };
	int fd = -1, ret;

	/* the kernel already held the client to the directory's mode; the policy (and the quota) too */
	ret = policy_check(&pd->peer, "vde endpoint", POLICY_ATTACH, net, NULL, &err);
	if (ret < 0)
		return ret;
	if (req->port && (req->port > net->def.max_ports || net->ports[req->port])) {
		ep_log_refusal(log_info, "network %s: pid %d asked for port %u: %s", net->def.name, pd->peer.pid, req->port,
			 req->port > net->def.max_ports ? "out of range" : "in use");
		return -EADDRINUSE;
	}
	ret = -EADDRINUSE;
	for (int i = 0; i < ENDPOINT_BIND_TRIES && ret == -EADDRINUSE; i++) {
		snprintf(name, sizeof(name), "%03u.%u", req->port, ep->seq++);
		ret = ep_bind(ep, SOCK_DGRAM, name, ep_socket_mode(ep), &fd);
	}
	if (ret < 0) {
		ep_log_refusal(log_info, "network %s: pid %d: data socket: %s", net->def.name, pd->peer.pid, strerror(-ret));
		return ret;
	}
	/* the kernel checks the client's path as the client: a path it could not reach itself fails */
	ret = priv_connect_as(pd->fd, fd, req->path, &err);
	if (ret == 0)
		ret = port_dgram_setup(fd);
	if (ret < 0) {
		ep_log_refusal(log_warn, "network %s: pid %d uid %u: client socket %s refused: %s", net->def.name, pd->peer.pid,
			 pd->peer.uid, req->path, err.message[0] ? err.message : strerror(-ret));
		unlinkat(ep->dirfd, name, 0);
		close(fd);
		return ret;
	}
	epp = calloc(1, sizeof(*epp));
	if (!epp) {
		unlinkat(ep->dirfd, name, 0);
		close(fd);
		return -ENOMEM;
	}
	epp->ctl = -1;
	epp->dirfd = ep->dirfd;
	snprintf(epp->name, sizeof(epp->name), "%s", name);
	ret = network_port_add(net, fd, &ep_port_ops, req->port, &p, &err);
	if (ret < 0) {
		ep_log_refusal(log_info, "network %s: pid %d: %s", net->def.name, pd->peer.pid, err.message);
		unlinkat(ep->dirfd, name, 0);
		free(epp);
		return ret;
	}
	p->kind_data = epp;
	p->uid = pd->peer.uid;
	p->gid = pd->peer.gid;
	p->pid = pd->peer.pid;
	network_port_limit_macs(p, policy_port_max_macs(&pd->peer));
	/* a vde client cannot be told its description is refused: what may not be shown becomes '?' */
	text_sanitise(req->descr);
	snprintf(p->description, sizeof(p->description), "%s", req->descr);

	/* the reply is our address as a sockaddr_un, 110 bytes */
	if ((size_t)snprintf(ours.sun_path, sizeof(ours.sun_path), "%s/%s", ep->dir, name) >= sizeof(ours.sun_path)) {
		network_port_kill(p);	/* cannot be: ep_bind made this very path */
		return -ENAMETOOLONG;
	}
	memset(reply, 0, sizeof(reply));
	memcpy(reply, &ours, sizeof(ours) < sizeof(reply) ? sizeof(ours) : sizeof(reply));
	if (send(pd->fd, reply, sizeof(reply), MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)sizeof(reply)) {
		ret = -errno;
		network_port_kill(p);
		return ret ? ret : -EIO;
	}
	/* the ctl connection now belongs to the port */
	epp->ctl = pd->fd;
	pd->fd = -1;
	ev_io_init(&epp->ctl_io, ep_port_ctl_cb, epp->ctl, EV_READ);
	epp->ctl_io.data = p;
	ev_io_start(ep_loop, &epp->ctl_io);
	{
		struct json_object *extra = json_object_new_object();
		json_object_object_add(extra, "sock", json_object_new_string(epp->name));
		keep_port(p, NULL, extra);
		keep_port_fd(p, "c", epp->ctl);
	}
	log_info("network %s: port %u plugged: pid %d uid %u \"%s\"", net->def.name, p->id, p->pid, p->uid,
		 p->description);
	return 0;
}

/*
 * The vde_switch protocol has no error reply: a switch that refuses closes, and clients report
 * whatever that makes of their next call (vdeplug4: EPERM, ours: ECONNREFUSED; QEMU once said
 * "Invalid argument"). So a refused client is answered with the address of a socket inode nobody
 * may write to: its connect() of the data socket fails with EACCES, and QEMU says "Permission
 * denied". The inode is made with mode 0 (chmod also masks any inherited ACL entry); no socket is
 * bound at it, so nothing is ever received there.
 */
static void ep_make_denied(struct endpoint *ep)
{
	if (mknodat(ep->dirfd, ENDPOINT_DENIED, S_IFSOCK, 0) < 0 && errno != EEXIST)
		log_warn("%s/%s: %s (refused clients will see a hang-up)", ep->dir, ENDPOINT_DENIED, strerror(errno));
	else if (fchmodat(ep->dirfd, ENDPOINT_DENIED, 0, 0) < 0)
		log_warn("%s/%s: %s", ep->dir, ENDPOINT_DENIED, strerror(errno));
}

static void ep_refuse(struct ep_pending *pd)
{
	struct sockaddr_un denied = { .sun_family = AF_UNIX };
	char reply[VDE_SUN_LEN];

	if ((size_t)snprintf(denied.sun_path, sizeof(denied.sun_path), "%s/%s", pd->ep->dir, ENDPOINT_DENIED) >=
	    sizeof(denied.sun_path))
		return;
	memset(reply, 0, sizeof(reply));
	memcpy(reply, &denied, sizeof(denied) < sizeof(reply) ? sizeof(denied) : sizeof(reply));
	(void)!send(pd->fd, reply, sizeof(reply), MSG_NOSIGNAL | MSG_DONTWAIT);
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
	ep_npending--;
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
	int ret;

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
		ep_log_refusal(log_info, "network %s: pid %d: malformed port request (%zd bytes), closing", pd->ep->net->def.name,
			 pd->peer.pid, n);
		ep_pending_free(pd);
		return;
	}
	ret = ep_plug(pd, &req);
	/* the policy said no (logged there): tell the client in the only way the protocol allows */
	if (ret == -EACCES || ret == -ENOENT)
		ep_refuse(pd);
	ep_pending_free(pd);	/* closes the ctl fd unless ep_plug took it */
}

static void ep_pending_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	ep_pending_free(w->data);
}

/* Handshakes uid has open on every endpoint. */
static unsigned ep_pending_of(uid_t uid)
{
	unsigned n = 0;

	for (struct network *net = network_first(); net; net = net->next)
		for (struct ep_pending *pd = net->endpoint ? net->endpoint->pending : NULL; pd; pd = pd->next)
			n += pd->peer.uid == uid;
	return n;
}

/* Whether one more handshake from peer fits (rule 4: counted per user, room kept for root/admins). */
static bool ep_pending_allowed(const struct peer *peer)
{
	bool privileged = policy_can_read_all(peer);

	if (ep_npending >= ENDPOINT_PENDING_MAX)
		return false;
	if (privileged)
		return true;
	return ep_npending < ENDPOINT_PENDING_MAX - ENDPOINT_PENDING_RESERVED &&
	       ep_pending_of(peer->uid) < ENDPOINT_PENDING_PER_UID;
}

static void ep_accept(struct listener *l, int fd)
{
	struct endpoint *ep = l->data;
	struct ep_pending *pd = calloc(1, sizeof(*pd));

	if (!pd) {
		close(fd);
		return;
	}
	if (policy_peer_from_socket(fd, &pd->peer) < 0) {
		close(fd);
		free(pd);
		return;
	}
	if (!ep_pending_allowed(&pd->peer)) {
		/* closing at once: the client sees a hang-up, as for a refused request */
		log_debug("network %s: uid %u: too many handshakes open, refused", ep->net->def.name,
			  (unsigned)pd->peer.uid);
		close(fd);
		free(pd);
		return;
	}
	pd->ep = ep;
	pd->fd = fd;
	pd->next = ep->pending;
	ep->pending = pd;
	ep_npending++;
	ev_io_init(&pd->io, ep_pending_read_cb, fd, EV_READ);
	pd->io.data = pd;
	ev_io_start(ep_loop, &pd->io);
	ev_timer_init(&pd->timeout, ep_pending_timeout_cb, ENDPOINT_HANDSHAKE_TIMEOUT, 0.);
	pd->timeout.data = pd;
	ev_timer_start(ep_loop, &pd->timeout);
}

/* A new ctl listener, bound at a fresh random name and renamed onto "ctl": whatever a client may have
 * made under either name, the result is vded's socket with the network's group and mode. */
static int ep_listen(struct endpoint *ep, int *out)
{
	char tmp[16];
	uint32_t r;
	int fd = -1, ret = -EADDRINUSE;

	for (int i = 0; i < ENDPOINT_BIND_TRIES && ret == -EADDRINUSE; i++) {
		if (getrandom(&r, sizeof(r), 0) != sizeof(r))
			r = (uint32_t)rand();
		snprintf(tmp, sizeof(tmp), ".ctl.%08x", r);
		ret = ep_bind(ep, SOCK_STREAM, tmp, ep_socket_mode(ep), &fd);
	}
	if (ret < 0)
		return ret;
	if (listen(fd, 64) < 0 || renameat(ep->dirfd, tmp, ep->dirfd, "ctl") < 0) {
		ret = -errno;
		unlinkat(ep->dirfd, tmp, 0);
		close(fd);
		return ret;
	}
	*out = fd;
	return 0;
}

static void ep_start(struct endpoint *ep)
{
	char what[96];

	snprintf(what, sizeof(what), "network %s endpoint", ep->net->def.name);
	listener_start(ep_loop, &ep->listener, ep->lfd, what, ep_accept, ep);
}

static char ep_run_dir[PATH_MAX];

static void ep_keep_name(char *buf, size_t size, const struct network *net, const char *what)
{
	snprintf(buf, size, "k/%s/%s", net->def.name, what);
}

/* One plugged client of the previous life: its data socket (still bound in the directory and
 * connected to the client) and its ctl connection, on its old port id. */
static void ep_restore_port(struct network *net, unsigned id, struct json_object *rec, void *ctx)
{
	struct endpoint *ep = ctx;
	const char *sock = keep_rec_str(rec, "sock");
	struct vde_error e = { 0 };
	struct ep_port *epp;
	struct port *p;
	char name[128];
	int fd, ctl;

	keep_port_name(name, sizeof(name), net->def.name, id, "d");
	fd = keep_claim(name);
	keep_port_name(name, sizeof(name), net->def.name, id, "c");
	ctl = keep_claim(name);
	epp = calloc(1, sizeof(*epp));
	if (fd < 0 || ctl < 0 || !sock || strlen(sock) >= sizeof(epp->name) || strchr(sock, '/') || !epp) {
		if (fd >= 0)
			close(fd);
		if (ctl >= 0)
			close(ctl);
		free(epp);
		return;
	}
	epp->ctl = ctl;
	epp->dirfd = ep->dirfd;
	snprintf(epp->name, sizeof(epp->name), "%s", sock);
	if (network_port_add(net, fd, &ep_port_ops, net->ports[id] ? 0 : id, &p, &e) < 0) {
		log_warn("network %s: port %u could not come back: %s", net->def.name, id, e.message);
		close(ctl);
		unlinkat(ep->dirfd, epp->name, 0);
		free(epp);
		return;
	}
	p->kind_data = epp;
	keep_port_claimed(p, rec);
	/* the limit a user's port had (a policy of its port number came back with network_port_add) */
	network_port_limit_macs(p, policy_port_max_macs_of(p->uid, p->gid));
	if (p->id != id)
		keep_port_fd(p, "c", ctl);	/* keep_port_claimed moved the data fd to the new id */
	ev_io_init(&epp->ctl_io, ep_port_ctl_cb, epp->ctl, EV_READ);
	epp->ctl_io.data = p;
	ev_io_start(ep_loop, &epp->ctl_io);
}

/* The previous life's directory and ctl listener, if both are still good: clients connected to them,
 * and their data sockets are bound in that directory. */
static bool ep_adopt(struct endpoint *ep)
{
	char name[128];
	int dirfd, lfd, listening = 0;
	socklen_t len = sizeof(listening);
	struct stat st;

	ep_keep_name(name, sizeof(name), ep->net, "dir");
	dirfd = keep_claim(name);
	ep_keep_name(name, sizeof(name), ep->net, "ctl");
	lfd = keep_claim(name);
	if (dirfd < 0 || lfd < 0 || fstat(dirfd, &st) < 0 || !S_ISDIR(st.st_mode) ||
	    getsockopt(lfd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 || !listening) {
		if (dirfd >= 0)
			close(dirfd);
		if (lfd >= 0)
			close(lfd);
		return false;
	}
	ep->dirfd = dirfd;
	ep->lfd = lfd;
	return true;
}

static void ep_keep(struct endpoint *ep)
{
	char name[128];

	ep_keep_name(name, sizeof(name), ep->net, "dir");
	keep_fd(name, ep->dirfd);
	ep_keep_name(name, sizeof(name), ep->net, "ctl");
	keep_fd(name, ep->lfd);
}

static int endpoint_create(struct network *net, struct vde_error *e)
{
	const char *run_dir = ep_run_dir;
	struct endpoint *ep = calloc(1, sizeof(*ep));
	int ret;

	if (!ep)
		return vde_error_set(e, PROTO_ERR_INTERNAL, ENOMEM, "out of memory");
	ep->net = net;
	ep->lfd = -1;
	ep->dirfd = -1;
	/* room for the longest name made in it, ".ctl.XXXXXXXX" or "NNNN.SEQ" */
	if ((size_t)snprintf(ep->dir, sizeof(ep->dir), "%s/net/%s", run_dir, net->def.name) >= sizeof(ep->dir) - 16) {
		ret = vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL,
				    "endpoint path %s/ctl is too long for a UNIX socket (shorter name or run dir)", ep->dir);
		free(ep);
		return ret;
	}
	if (ep_adopt(ep)) {
		/* a restart: same directory, same ctl, every plugged client back on its port */
		ep->acl = ep_has_acl(ep);
		ep->seq = (uint32_t)time(NULL);	/* new data socket names cannot meet the old ones */
		net->endpoint = ep;
		keep_port_foreach(net, "endpoint", ep_restore_port, ep);
		ep_start(ep);
		return 0;
	}
	ret = priv_endpoint_make(net->def.name, net->def.owner_uid, net->def.group, net->def.mode, &ep->dirfd, e);
	if (ret < 0) {
		free(ep);
		return ret;
	}
	ep->acl = ep_has_acl(ep);
	ep_make_denied(ep);
	ret = ep_listen(ep, &ep->lfd);
	if (ret < 0) {
		vde_error_errno(e, ret, "cannot listen in %s: %s", ep->dir, strerror(-ret));
		close(ep->dirfd);
		priv_endpoint_remove(net->def.name, NULL);
		free(ep);
		return ret;
	}
	net->endpoint = ep;
	ep_keep(ep);
	ep_start(ep);
	return 0;
}

static void endpoint_apply_policy(struct network *net)
{
	struct endpoint *ep = net->endpoint;
	struct vde_error e = { 0 };
	int lfd, fd;

	if (!ep)
		return;
	if (priv_endpoint_set(net->def.name, net->def.owner_uid, net->def.group, net->def.mode, &e) < 0) {
		log_warn("%s: %s", ep->dir, e.message);
		return;
	}
	ep->acl = ep_has_acl(ep);
	/* a new ctl born with the new group and mode replaces the old one; connections already queued
	 * on the old one are taken first */
	if (ep_listen(ep, &lfd) < 0) {
		log_warn("%s: cannot replace ctl: %s", ep->dir, strerror(errno));
		return;
	}
	listener_stop(ep_loop, &ep->listener);
	while ((fd = accept4(ep->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0)
		ep_accept(&ep->listener, fd);
	close(ep->lfd);
	ep->lfd = lfd;
	ep_keep(ep);
	ep_start(ep);
}

static void endpoint_destroy(struct network *net)
{
	struct endpoint *ep = net->endpoint;
	struct vde_error e = { 0 };

	if (!ep)
		return;
	while (ep->pending)
		ep_pending_free(ep->pending);
	listener_stop(ep_loop, &ep->listener);
	close(ep->lfd);
	close(ep->dirfd);
	{
		char name[128];
		ep_keep_name(name, sizeof(name), net, "dir");
		keep_forget(name);
		ep_keep_name(name, sizeof(name), net, "ctl");
		keep_forget(name);
	}
	/* the directory goes with everything clients left in it: a later network of the same name
	 * starts from an empty one */
	if (priv_endpoint_remove(net->def.name, &e) < 0)
		log_warn("%s: %s", ep->dir, e.message);
	free(ep);
	net->endpoint = NULL;
}

static const struct network_hooks ep_network_hooks = {
	.created = endpoint_create,
	.changed = endpoint_apply_policy,
	.destroying = endpoint_destroy,
};

int endpoint_init(struct ev_loop *loop, const char *run_dir)
{
	/* RUN_DIR/net is the privileged process's (priv_split made it, root-owned) */
	if ((size_t)snprintf(ep_run_dir, sizeof(ep_run_dir), "%s", run_dir) >= sizeof(ep_run_dir))
		return -ENAMETOOLONG;
	ep_loop = loop;
	network_set_hooks(&ep_network_hooks);
	return 0;
}

void endpoint_exit(void)
{
	network_set_hooks(NULL);
}
