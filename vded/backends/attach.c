#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <linux/if_tun.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>

#include "backends/attach.h"
#include "control/policy.h"
#include "keep.h"
#include "log.h"

static const struct port_ops attach_port_ops = {
	.kind = "attach",
	.recv_batch = port_dgram_recv_batch,
	.send_batch = port_dgram_send_batch,
};

static const struct port_ops attach_fd_dgram_ops = {
	.kind = "fd",
	.recv_batch = port_dgram_recv_batch,
	.send_batch = port_dgram_send_batch,
};

static const struct port_ops attach_fd_char_ops = {
	.kind = "fd",
	.recv_batch = port_rw_recv_batch,
	.send_batch = port_rw_send_batch,
};

/* Identity and description, and the tie to the control connection, for a new attach port. */
static void attach_finish(struct port *p, const char *description, const struct attach_owner *owner)
{
	if (owner->peer) {
		p->uid = owner->peer->uid;
		p->gid = owner->peer->gid;
		p->pid = owner->peer->pid;
		network_port_limit_macs(p, policy_port_max_macs(owner->peer));
	}
	if (description && *description)
		snprintf(p->description, sizeof(p->description), "%s", description);
	else
		snprintf(p->description, sizeof(p->description), "%s pid=%d", p->ops->kind, (int)p->pid);
	{
		struct json_object *extra = json_object_new_object();
		json_object_object_add(extra, "rw", json_object_new_boolean(p->ops == &attach_fd_char_ops));
		json_object_object_add(extra, "vnet", json_object_new_boolean(p->vnet));
		keep_port(p, NULL, extra);
	}
	if (owner->adopt)
		owner->adopt(owner->conn, p);
	log_info("network %s: port %u attached (%s): pid %d uid %u \"%s\"", p->net->def.name, p->id, p->ops->kind,
		 (int)p->pid, (unsigned)p->uid, p->description);
}

/* What the kernel calls fd (/proc/self/fd/N), reduced to characters safe in a message; "" if unknown. */
static void attach_fd_name(int fd, char *buf, size_t size)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, size - 1);
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	for (char *c = buf; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		      strchr("/._-:[]", *c)))
			*c = '?';
}

static int attach_refuse(struct vde_error *e, const char *kind)
{
	return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL,
			     "the descriptor is %s; \"fd\" takes an unnamed AF_UNIX datagram or seqpacket socketpair "
			     "end that the caller made, or a tap", kind);
}

static const char *attach_inet_kind(int type, int proto)
{
	if (type == SOCK_DGRAM && (proto == IPPROTO_UDP || proto == IPPROTO_UDPLITE))
		return "a UDP socket";
	if (type == SOCK_DGRAM && (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6))
		return "an ICMP socket";
	if (type == SOCK_STREAM)
		return "a TCP socket";
	if (type == SOCK_RAW)
		return "a raw IP socket";
	return proto == IPPROTO_SCTP ? "an SCTP socket" : "an IP socket";
}

/*
 * The inode of the socket at the other end of the AF_UNIX socket with inode ino (sock_diag), or 0 if
 * the kernel does not say. Used to refuse the second end of a pair whose first end is already a port.
 */
static unsigned long attach_unix_peer_ino(unsigned long ino)
{
	struct {
		struct nlmsghdr nlh;
		struct unix_diag_req req;
	} msg = {
		.nlh = { .nlmsg_len = sizeof(msg), .nlmsg_type = SOCK_DIAG_BY_FAMILY, .nlmsg_flags = NLM_F_REQUEST },
		.req = { .sdiag_family = AF_UNIX, .udiag_states = ~0u, .udiag_ino = (unsigned)ino,
			 .udiag_show = UDIAG_SHOW_PEER, .udiag_cookie = { INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE } },
	};
	union {
		struct nlmsghdr nlh;
		char buf[1024];
	} reply;
	unsigned long peer = 0;
	int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	ssize_t n;

	if (nl < 0)
		return 0;
	if (send(nl, &msg, sizeof(msg), 0) < 0)
		goto out;
	/* a request about one inode gets one answer at once; never wait for more */
	n = recv(nl, &reply, sizeof(reply), MSG_DONTWAIT);
	if (n < (ssize_t)sizeof(struct nlmsghdr))
		goto out;
	for (struct nlmsghdr *h = &reply.nlh; NLMSG_OK(h, (unsigned)n); h = NLMSG_NEXT(h, n)) {
		struct unix_diag_msg *m = NLMSG_DATA(h);
		int len;

		if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)) ||
		    m->udiag_ino != (unsigned)ino)
			continue;
		len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*m)));
		for (struct rtattr *a = (struct rtattr *)(m + 1); RTA_OK(a, len); a = RTA_NEXT(a, len))
			if (a->rta_type == UNIX_DIAG_PEER && RTA_PAYLOAD(a) >= sizeof(uint32_t))
				peer = *(uint32_t *)RTA_DATA(a);
	}
out:
	close(nl);
	return peer;
}

/*
 * A socket is acceptable only as an end of a socketpair the requester made (V6, V8): AF_UNIX, datagram
 * or seqpacket, not listening, unnamed, its peer (the pair's creator, from the kernel) the process on
 * the control connection. That refuses sockets connected to services (journald, sd_notify), sockets of
 * other families (UDP, netlink), the ends vded itself handed out, and the second end of a pair whose
 * first end is a port of this network already: either would loop every frame for ever.
 */
static int attach_check_socket(int fd, const struct stat *st, const struct network *net,
			       const struct peer *peer, struct vde_error *e)
{
	int domain = -1, type = -1, proto = 0, listening = 0;
	socklen_t len = sizeof(int);
	struct sockaddr_un sun;
	struct ucred cred;
	char what[96];
	unsigned long other;

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0)
		return attach_refuse(e, "a socket whose family cannot be read");
	len = sizeof(int);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
		return attach_refuse(e, "a socket whose type cannot be read");
	len = sizeof(int);
	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) < 0)
		proto = 0;
	switch (domain) {
	case AF_UNIX:
		break;
	case AF_INET:
	case AF_INET6:
		return attach_refuse(e, attach_inet_kind(type, proto));
	case AF_NETLINK:
		return attach_refuse(e, "a netlink socket");
	case AF_PACKET:
		return attach_refuse(e, "a packet socket");
	default:
		snprintf(what, sizeof(what), "a socket of address family %d", domain);
		return attach_refuse(e, what);
	}
	if (type == SOCK_STREAM)
		return attach_refuse(e, "an AF_UNIX stream socket (frames need one message each)");
	if (type != SOCK_DGRAM && type != SOCK_SEQPACKET) {
		snprintf(what, sizeof(what), "an AF_UNIX socket of type %d", type);
		return attach_refuse(e, what);
	}
	len = sizeof(listening);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 || listening)
		return attach_refuse(e, "a listening AF_UNIX socket");
	len = sizeof(sun);
	if (getsockname(fd, (struct sockaddr *)&sun, &len) < 0)
		return attach_refuse(e, "an AF_UNIX socket whose address cannot be read");
	if (len > sizeof(sa_family_t))
		return attach_refuse(e, "an AF_UNIX socket bound to an address (a socketpair end has none)");
	len = sizeof(sun);
	if (getpeername(fd, (struct sockaddr *)&sun, &len) < 0)
		return attach_refuse(e, "an unconnected AF_UNIX socket");
	if (len > sizeof(sa_family_t))
		return attach_refuse(e, "an AF_UNIX socket connected to another process (by address)");
	len = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.pid <= 0)
		return attach_refuse(e, "an AF_UNIX socket whose peer the kernel does not name");
	if (cred.pid == getpid())
		return attach_refuse(e, "a socket vded handed out itself (attached back, it would loop every frame)");
	if (!peer || cred.pid != peer->pid || cred.uid != peer->uid)
		return attach_refuse(e, "an AF_UNIX socket connected to another process");
	other = attach_unix_peer_ino(st->st_ino);
	for (const struct port *p = net->port_list; other && p; p = p->net_next) {
		struct stat pst;

		if (!p->dead && fstat(p->fd, &pst) == 0 && S_ISSOCK(pst.st_mode) && pst.st_ino == other) {
			snprintf(what, sizeof(what), "the other end of port %u's socketpair (it would loop every frame)",
				 p->id);
			return attach_refuse(e, what);
		}
	}
	return 0;
}

/* A character device is acceptable only as a real tap (V9): TUNGETIFF says IFF_TAP, frames without a
 * packet-information header, open for reading and writing. *vnet says whether frames carry a
 * virtio-net header. */
static int attach_check_tap(int fd, int flags, const struct stat *st, bool *vnet, struct vde_error *e)
{
	struct ifreq ifr;
	char what[160], name[64];

	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, TUNGETIFF, &ifr) < 0) {
		if (errno == EBADFD)
			return attach_refuse(e, "a tun/tap descriptor not attached to any interface (TUNSETIFF first)");
		attach_fd_name(fd, name, sizeof(name));
		if (name[0])
			snprintf(what, sizeof(what), "a character device that is not a tap (%s)", name);
		else
			snprintf(what, sizeof(what), "a character device that is not a tap (%u:%u)", major(st->st_rdev),
				 minor(st->st_rdev));
		return attach_refuse(e, what);
	}
	if (ifr.ifr_flags & IFF_TUN)
		return attach_refuse(e, "a tun device (IP packets, not Ethernet frames)");
	if (!(ifr.ifr_flags & IFF_TAP))
		return attach_refuse(e, "a tun/tap descriptor that is not a tap");
	if (!(ifr.ifr_flags & IFF_NO_PI))
		return attach_refuse(e, "a tap without IFF_NO_PI (each frame would carry a packet-information header)");
	if ((flags & O_ACCMODE) != O_RDWR)
		return attach_refuse(e, "a tap not open for both reading and writing");
	*vnet = ifr.ifr_flags & IFF_VNET_HDR;
	return 0;
}

/* What a descriptor that is neither a socket nor a character device is, for the refusal. */
static void attach_other_kind(int fd, const struct stat *st, char *what, size_t size)
{
	char name[64];

	if (S_ISREG(st->st_mode)) {
		snprintf(what, size, "a regular file or memfd");
	} else if (S_ISFIFO(st->st_mode)) {
		snprintf(what, size, "a pipe or FIFO");
	} else if (S_ISDIR(st->st_mode)) {
		snprintf(what, size, "a directory");
	} else if (S_ISBLK(st->st_mode)) {
		snprintf(what, size, "a block device");
	} else if (S_ISLNK(st->st_mode)) {
		snprintf(what, size, "a symbolic link");
	} else {
		attach_fd_name(fd, name, sizeof(name));
		snprintf(what, size, "%s%s", name[0] ? "an " : "an anonymous inode", name);
	}
}

int attach_fd(struct network *net, unsigned want_port, const char *description,
	      const struct attach_owner *owner, int *fd_in, struct port **out, struct vde_error *e)
{
	const struct port_ops *ops;
	struct stat st;
	int fd = *fd_in, ret, flags;
	bool vnet = false;
	char what[96];

	if (fstat(fd, &st) < 0)
		return vde_error_errno(e, errno, "the descriptor: %s", strerror(errno));
	flags = fcntl(fd, F_GETFL);
	if (flags < 0)
		return vde_error_errno(e, errno, "the descriptor: %s", strerror(errno));
	if (flags & O_PATH)
		return attach_refuse(e, "an O_PATH descriptor (it cannot carry frames)");
	if (S_ISSOCK(st.st_mode)) {
		ret = attach_check_socket(fd, &st, net, owner->peer, e);
		if (ret < 0)
			return ret;
		/* the client shares this socket: leave its flags alone, every call passes MSG_DONTWAIT */
		ops = &attach_fd_dgram_ops;
	} else if (S_ISCHR(st.st_mode)) {
		ret = attach_check_tap(fd, flags, &st, &vnet, e);
		if (ret < 0)
			return ret;
		/* read/write move one frame each. O_NONBLOCK is on the open file the client shares; it
		 * gave the descriptor away to have it bridged, so that is fine. */
		if (fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
			return vde_error_errno(e, errno, "the descriptor: %s", strerror(errno));
		ops = &attach_fd_char_ops;
	} else {
		attach_other_kind(fd, &st, what, sizeof(what));
		return attach_refuse(e, what);
	}
	*fd_in = -1;	/* network_port_add owns it from here, even on failure */
	ret = network_port_add(net, fd, ops, want_port, out, e);
	if (ret < 0)
		return ret;
	(*out)->vnet = vnet;
	attach_finish(*out, description, owner);
	return 0;
}

int attach_socketpair(struct network *net, unsigned want_port, const char *description,
		      const struct attach_owner *owner, int *fd_out, struct port **out, struct vde_error *e)
{
	int sv[2], ret, size = 4 << 20;
	struct port *p;

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0)
		return vde_error_errno(e, errno, "socketpair: %s", strerror(errno));
	ret = port_dgram_setup(sv[0]);
	if (ret < 0) {
		close(sv[0]);
		close(sv[1]);
		return vde_error_errno(e, ret, "socket setup: %s", strerror(-ret));
	}
	/* The client's end stays blocking (its owner decides), but gets room for bursts toward vded:
	 * as much as wmem_max allows, no more (V10: the kernel's cap is what keeps memory fair). */
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	ret = network_port_add(net, sv[0], &attach_port_ops, want_port, &p, e);
	if (ret < 0) {
		close(sv[1]);
		return ret;
	}
	*fd_out = sv[1];
	attach_finish(p, description, owner);
	*out = p;
	return 0;
}

/* One port of the previous life, on its old id if it is free. */
static void attach_restore_one(struct network *net, unsigned id, struct json_object *rec, void *ctx)
{
	const char *kind = keep_rec_str(rec, "kind");
	const struct port_ops *ops = strcmp(kind, "attach") == 0 ? &attach_port_ops :
				     keep_rec_int(rec, "rw", 0) ? &attach_fd_char_ops : &attach_fd_dgram_ops;
	struct vde_error e = { 0 };
	struct port *p;
	char name[128];
	int fd;

	keep_port_name(name, sizeof(name), net->def.name, id, "d");
	fd = keep_claim(name);
	if (fd < 0)
		return;
	if (network_port_add(net, fd, ops, net->ports[id] ? 0 : id, &p, &e) < 0) {
		log_warn("network %s: port %u could not come back: %s", net->def.name, id, e.message);
		return;
	}
	p->vnet = keep_rec_int(rec, "vnet", 0) != 0;
	keep_port_claimed(p, rec);
	/* the limit a user's port had (a policy of its port number came back with network_port_add) */
	network_port_limit_macs(p, policy_port_max_macs_of(p->uid, p->gid));
}

void attach_restore(struct network *net)
{
	keep_port_foreach(net, "attach", attach_restore_one, NULL);
	keep_port_foreach(net, "fd", attach_restore_one, NULL);
}
