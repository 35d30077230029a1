#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <libvdeplug_mod.h>

#include "vdeproto.h"
#include "machash.h"
#include "netnode.h"

#define NN_MAXPORTS 128		/* port numbers 1..127; index 0 is the opener */
#define NN_MAXPENDING 16	/* accepted ctl connections whose request has not arrived yet */
#define NN_BUDGET 64		/* frames read from one fd per wakeup, so no port starves the others */
#define NN_ETH_HDRLEN 14

enum nn_tag { NN_LISTEN, NN_APP, NN_PENDING, NN_CTL, NN_DATA };

struct nn_port {
	int ctl_fd;		/* -1: the port is free */
	int data_fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];	/* our data socket, unlinked at close */
};

struct netnode {
	void *handle;			/* filled by the loader */
	struct vdeplug_module *module;	/* filled by the loader */
	enum netnode_kind kind;
	int app_fd;			/* the opener's end of the pair: the data fd */
	int srv_fd;			/* the node thread's end */
	int listen_fd;
	int ep_fd;
	int made_dir;
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path) - 16];
	char ctl_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	mode_t mode;
	gid_t gid;			/* (gid_t)-1: leave the group alone */
	struct machash *table;		/* switch: MAC+VLAN → port index */
	time_t expire;
	unsigned int rr;		/* bonding: the next port to use */
	unsigned int serial;		/* makes data socket names unique */
	pthread_t thread;
	int pending[NN_MAXPENDING];
	struct nn_port ports[NN_MAXPORTS];
	uint8_t buf[VDE_ETHBUFSIZE];
};

static uint64_t nn_key(enum nn_tag tag, unsigned int index)
{
	return (uint64_t)tag << 32 | index;
}

static int nn_watch(struct netnode *nn, int fd, enum nn_tag tag, unsigned int index)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = nn_key(tag, index) };

	return epoll_ctl(nn->ep_fd, EPOLL_CTL_ADD, fd, &ev);
}

/* A pending ctl connection becomes a port's: same fd, new meaning. */
static int nn_rewatch(struct netnode *nn, int fd, enum nn_tag tag, unsigned int index)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = nn_key(tag, index) };

	return epoll_ctl(nn->ep_fd, EPOLL_CTL_MOD, fd, &ev);
}

static int nn_parse_octal(const char *s, mode_t *out)
{
	char *end;
	unsigned long v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 8);
	if (errno != 0 || *end != '\0' || v > 07777)
		return -1;
	*out = (mode_t)v;
	return 0;
}

static int nn_parse_ulong(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;

	if (s == NULL || *s == '\0' || *s == '-')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0' || *out > max)
		return -1;
	return 0;
}

/* Apply the node's mode and group to one of its files. */
static void nn_protect(struct netnode *nn, const char *path, mode_t mode)
{
	if (chmod(path, mode) < 0)
		return;
	if (nn->gid != (gid_t)-1 && chown(path, (uid_t)-1, nn->gid) < 0)
		return;
}

static void nn_port_close(struct netnode *nn, unsigned int i)
{
	struct nn_port *p = &nn->ports[i];

	if (p->ctl_fd < 0)
		return;
	close(p->ctl_fd);	/* epoll forgets closed fds by itself */
	close(p->data_fd);
	unlink(p->path);
	p->ctl_fd = p->data_fd = -1;
	p->path[0] = '\0';
	if (nn->table != NULL) {
		/* frames for its MACs must flood again rather than vanish into a dead port */
		unsigned int idx = i;

		machash_forget(nn->table, &idx);
	}
}

/* The port request of a pending connection (doc/vde-wire.md §3). Any error closes the connection:
 * the client sees EOF instead of waiting for an answer forever. */
static void nn_handle_request(struct netnode *nn, unsigned int slot)
{
	int ctl = nn->pending[slot], data = -1;
	uint8_t req_buf[VDE_REQ_MAX];
	struct vde_request req;
	struct sockaddr_un me = { .sun_family = AF_UNIX }, peer = { .sun_family = AF_UNIX };
	unsigned int port = 0;
	ssize_t n;

	n = read(ctl, req_buf, sizeof(req_buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	nn->pending[slot] = -1;
	if (n <= 0 || vdeproto_parse_request(req_buf, (size_t)n, &req) < 0)
		goto refuse;
	if (req.port > 0 && req.port < NN_MAXPORTS && nn->ports[req.port].ctl_fd < 0)
		port = req.port;
	for (unsigned int i = 1; port == 0 && i < NN_MAXPORTS; i++)
		if (nn->ports[i].ctl_fd < 0)
			port = i;
	if (port == 0)
		goto refuse;
	data = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (data < 0)
		goto refuse;
	if ((size_t)snprintf(me.sun_path, sizeof(me.sun_path), "%s/%03u.%u", nn->dir, port, nn->serial++) >=
	    sizeof(me.sun_path))
		goto refuse;
	unlink(me.sun_path);
	if (bind(data, (struct sockaddr *)&me, sizeof(me)) < 0)
		goto refuse;
	nn_protect(nn, me.sun_path, nn->mode);
	/* connected first, so that only the client's socket can feed this port */
	memcpy(peer.sun_path, req.path, sizeof(req.path) < sizeof(peer.sun_path) ? sizeof(req.path) :
	       sizeof(peer.sun_path));
	if (connect(data, (struct sockaddr *)&peer, sizeof(peer)) < 0 ||
	    nn_rewatch(nn, ctl, NN_CTL, port) < 0 || nn_watch(nn, data, NN_DATA, port) < 0 ||
	    write(ctl, &me, sizeof(me)) != (ssize_t)sizeof(me)) {
		unlink(me.sun_path);
		goto refuse;
	}
	nn->ports[port].ctl_fd = ctl;
	nn->ports[port].data_fd = data;
	memcpy(nn->ports[port].path, me.sun_path, sizeof(me.sun_path));
	return;

refuse:
	if (data >= 0)
		close(data);
	close(ctl);
}

static void nn_accept(struct netnode *nn)
{
	int fd = accept4(nn->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	for (unsigned int i = 0; i < NN_MAXPENDING; i++) {
		if (nn->pending[i] < 0) {
			if (nn_watch(nn, fd, NN_PENDING, i) < 0)
				break;
			nn->pending[i] = fd;
			return;
		}
	}
	close(fd);	/* too many half-open requests */
}

static void nn_deliver(struct netnode *nn, unsigned int to, const uint8_t *frame, size_t len)
{
	/* a full or dead receiver loses this frame; it never stalls the node */
	if (to == 0)
		send(nn->srv_fd, frame, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	else if (nn->ports[to].ctl_fd >= 0)
		send(nn->ports[to].data_fd, frame, len, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static int nn_active(const struct netnode *nn, unsigned int i)
{
	return i == 0 || nn->ports[i].ctl_fd >= 0;
}

/* Forward one frame that arrived from port index `from` (0 = the opener). */
static void nn_forward(struct netnode *nn, unsigned int from, const uint8_t *frame, size_t len)
{
	switch (nn->kind) {
	case NETNODE_MULTI:
	case NETNODE_BONDING:
		if (from != 0) {
			nn_deliver(nn, 0, frame, len);
			return;
		}
		if (nn->kind == NETNODE_BONDING) {
			for (unsigned int k = 0; k < NN_MAXPORTS - 1; k++) {
				unsigned int i = 1 + (nn->rr + k) % (NN_MAXPORTS - 1);

				if (nn->ports[i].ctl_fd >= 0) {
					nn->rr = i;	/* next time, start after it */
					nn_deliver(nn, i, frame, len);
					return;
				}
			}
			return;
		}
		for (unsigned int i = 1; i < NN_MAXPORTS; i++)
			if (nn->ports[i].ctl_fd >= 0)
				nn_deliver(nn, i, frame, len);
		return;
	case NETNODE_SWITCH: {
		unsigned int vlan = machash_frame_vlan(frame, len), *to;
		time_t now = machash_now();

		machash_learn(nn->table, frame + 6, vlan, &from, now);
		if (!(frame[0] & 1)) {
			to = machash_find(nn->table, frame, vlan, now - nn->expire);
			if (to != NULL && *to < NN_MAXPORTS && nn_active(nn, *to)) {
				if (*to != from)
					nn_deliver(nn, *to, frame, len);
				return;
			}
		}
		/* broadcast, multicast and unknown destinations flood like a hub */
	}
		__attribute__((fallthrough));
	case NETNODE_HUB:
		for (unsigned int i = 0; i < NN_MAXPORTS; i++)
			if (i != from && nn_active(nn, i))
				nn_deliver(nn, i, frame, len);
		return;
	}
}

/* Drain up to a budget of frames from one fd. Returns -1 when the fd reports EOF or a hard error. */
static int nn_drain(struct netnode *nn, int fd, unsigned int from)
{
	for (int k = 0; k < NN_BUDGET; k++) {
		ssize_t n = recv(fd, nn->buf, sizeof(nn->buf), MSG_DONTWAIT);

		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
			       errno == ECONNREFUSED ? 0 : -1;
		if (n == 0 && from == 0)
			return -1;	/* the opener closed its end: vde_close */
		if (n >= NN_ETH_HDRLEN)
			nn_forward(nn, from, nn->buf, (size_t)n);
	}
	return 0;
}

static void nn_cleanup(struct netnode *nn)
{
	for (unsigned int i = 1; i < NN_MAXPORTS; i++)
		nn_port_close(nn, i);
	for (unsigned int i = 0; i < NN_MAXPENDING; i++)
		if (nn->pending[i] >= 0)
			close(nn->pending[i]);
	close(nn->listen_fd);
	unlink(nn->ctl_path);
	if (nn->made_dir)
		rmdir(nn->dir);
	close(nn->ep_fd);
	close(nn->srv_fd);
}

static void *nn_thread(void *arg)
{
	struct netnode *nn = arg;
	struct epoll_event evs[32];

	for (;;) {
		int n = epoll_wait(nn->ep_fd, evs, 32, -1);

		if (n < 0 && errno != EINTR)
			break;
		for (int e = 0; e < n; e++) {
			enum nn_tag tag = (enum nn_tag)(evs[e].data.u64 >> 32);
			unsigned int i = (unsigned int)evs[e].data.u64;

			switch (tag) {
			case NN_LISTEN:
				nn_accept(nn);
				break;
			case NN_APP:
				if (nn_drain(nn, nn->srv_fd, 0) < 0)
					goto out;
				break;
			case NN_PENDING:
				if (nn->pending[i] >= 0)
					nn_handle_request(nn, i);
				break;
			case NN_CTL: {
				char junk[64];
				ssize_t r = read(nn->ports[i].ctl_fd, junk, sizeof(junk));

				/* the ctl connection stays silent; EOF means unplugged */
				if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
					nn_port_close(nn, i);
				break;
			}
			case NN_DATA:
				if (nn->ports[i].ctl_fd >= 0 && nn_drain(nn, nn->ports[i].data_fd, i) < 0)
					nn_port_close(nn, i);
				break;
			}
		}
	}
out:
	nn_cleanup(nn);
	return NULL;
}

/* The ctl socket: a live node at the same place is EADDRINUSE, a stale socket file is replaced. */
static int nn_listen(struct netnode *nn)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	memcpy(sun.sun_path, nn->ctl_path, sizeof(sun.sun_path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int probe, err = errno;

		if (err != EADDRINUSE)
			goto fail;
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			close(probe);
			goto fail;
		}
		if (probe >= 0)
			close(probe);
		unlink(sun.sun_path);
		if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
			err = errno;
			goto fail;
		}
	}
	nn_protect(nn, sun.sun_path, nn->mode);
	if (listen(fd, 16) < 0)
		goto fail;
	return fd;
fail:
	{
		int err = errno;

		close(fd);
		errno = err;
	}
	return -1;
}

VDECONN *netnode_open(enum netnode_kind kind, char *vde_url, char *descr)
{
	char *mode_s = NULL, *dirmode_s = NULL, *grp_s = NULL, *hashsize_s = NULL, *hashseed_s = NULL,
	     *expire_s = NULL;
	struct vdeparms parms[] = {
		{ "mode", &mode_s }, { "dirmode", &dirmode_s }, { "grp", &grp_s }, { "hashsize", &hashsize_s },
		{ "hashseed", &hashseed_s }, { "expiretime", &expire_s }, { NULL, NULL },
	};
	unsigned long long hashsize = 256, hashseed = 0, expire = 120;
	mode_t dirmode;
	int sp[2] = { -1, -1 }, err;
	struct netnode *nn;
	sigset_t all, old;

	nn = calloc(1, sizeof(*nn));
	if (nn == NULL)
		return NULL;
	nn->kind = kind;
	nn->app_fd = nn->srv_fd = nn->listen_fd = nn->ep_fd = -1;
	nn->mode = 0600;
	nn->gid = (gid_t)-1;
	for (unsigned int i = 0; i < NN_MAXPORTS; i++)
		nn->ports[i].ctl_fd = nn->ports[i].data_fd = -1;
	for (unsigned int i = 0; i < NN_MAXPENDING; i++)
		nn->pending[i] = -1;

	err = EINVAL;
	if (vde_parsepathparms(vde_url, parms) != 0)
		goto fail;
	if ((mode_s && nn_parse_octal(mode_s, &nn->mode) < 0) ||
	    (hashsize_s && (nn_parse_ulong(hashsize_s, 1u << 24, &hashsize) < 0 || hashsize == 0)) ||
	    (hashseed_s && nn_parse_ulong(hashseed_s, UINT64_MAX, &hashseed) < 0) ||
	    (expire_s && nn_parse_ulong(expire_s, 1u << 30, &expire) < 0))
		goto fail;
	/* a directory is searchable wherever its sockets are readable or writable */
	dirmode = nn->mode | (nn->mode & 0444) >> 2 | (nn->mode & 0222) >> 1;
	if (dirmode_s && nn_parse_octal(dirmode_s, &dirmode) < 0)
		goto fail;
	if (grp_s) {
		nn->gid = vde_grnam2gid(grp_s);
		if (nn->gid == (gid_t)-1)
			goto fail;
	}
	if (*vde_url != '\0') {
		if (strlen(vde_url) >= sizeof(nn->dir))
			goto fail;
		strcpy(nn->dir, vde_url);
	} else {
		struct passwd *pw = getpwuid(geteuid());

		if (pw == NULL || (size_t)snprintf(nn->dir, sizeof(nn->dir), "/tmp/vdenode_%s", pw->pw_name) >=
		    sizeof(nn->dir))
			goto fail;
	}
	snprintf(nn->ctl_path, sizeof(nn->ctl_path), "%s/ctl", nn->dir);
	nn->expire = (time_t)expire;
	if (kind == NETNODE_SWITCH) {
		nn->table = machash_new((unsigned int)hashsize, hashseed, sizeof(unsigned int));
		if (nn->table == NULL)
			goto fail_errno;
	}

	if (mkdir(nn->dir, dirmode) == 0) {
		nn->made_dir = 1;
		nn_protect(nn, nn->dir, dirmode);
	} else if (errno != EEXIST) {
		goto fail_errno;
	}
	nn->listen_fd = nn_listen(nn);
	if (nn->listen_fd < 0)
		goto fail_errno;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		goto fail_errno;
	nn->app_fd = sp[0];
	nn->srv_fd = sp[1];
	nn->ep_fd = epoll_create1(EPOLL_CLOEXEC);
	if (nn->ep_fd < 0 || nn_watch(nn, nn->listen_fd, NN_LISTEN, 0) < 0 ||
	    nn_watch(nn, nn->srv_fd, NN_APP, 0) < 0)
		goto fail_errno;
	/* signals belong to the caller's threads, never to the node's */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&nn->thread, NULL, nn_thread, nn);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err != 0)
		goto fail;
	return (VDECONN *)nn;

fail_errno:
	err = errno;
fail:
	if (nn->listen_fd >= 0) {
		close(nn->listen_fd);
		unlink(nn->ctl_path);
	}
	if (nn->made_dir)
		rmdir(nn->dir);
	if (nn->ep_fd >= 0)
		close(nn->ep_fd);
	if (sp[0] >= 0) {
		close(sp[0]);
		close(sp[1]);
	}
	machash_free(nn->table);
	free(nn);
	errno = err;
	return NULL;
}

ssize_t netnode_recv(VDECONN *conn, void *buf, size_t len, int flags)
{
	struct netnode *nn = (struct netnode *)conn;

	return recv(nn->app_fd, buf, len, 0);
}

ssize_t netnode_send(VDECONN *conn, const void *buf, size_t len, int flags)
{
	struct netnode *nn = (struct netnode *)conn;

	if (len < NN_ETH_HDRLEN)
		return (ssize_t)len;
	if (send(nn->app_fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		/* the node is busy: the frame is lost, the caller (QEMU) must not block */
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
			return (ssize_t)len;
		return -1;
	}
	return (ssize_t)len;
}

int netnode_datafd(VDECONN *conn)
{
	return ((struct netnode *)conn)->app_fd;
}

int netnode_ctlfd(VDECONN *conn)
{
	return -1;
}

int netnode_close(VDECONN *conn)
{
	struct netnode *nn = (struct netnode *)conn;

	/* EOF on the node's end stops the thread, which unplugs every client and removes its files */
	shutdown(nn->app_fd, SHUT_RDWR);
	pthread_join(nn->thread, NULL);
	close(nn->app_fd);
	machash_free(nn->table);
	free(nn);
	return 0;
}
