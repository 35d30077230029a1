#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <libvdeplug_mod.h>

#include "machash.h"
#include "vxproto.h"
#include "vxnet.h"

#define VX_HDRLEN VXPROTO_HDRLEN
#define VX_FLAG_I 0x08		/* RFC 7348: "VNI valid" */
#define VX_RECV_BUDGET 64	/* datagrams one vxnet_recv may consume before it yields */

struct vxnet {
	enum vxnet_kind kind;
	int family;
	int mcast_fd;		/* vxvde: bound to group:port; vxlan: the only socket, on any:port */
	int ucast_fd;		/* vxvde: all sends go out of it; vxlan: == mcast_fd */
	int epoll_fd;		/* vxvde: the data fd, both sockets in it; vxlan: -1 */
	int next_fd;		/* which socket vxnet_recv tries first */
	unsigned streak;	/* frames in a row from next_fd */
	uint8_t hdr[VX_HDRLEN];
	uint32_t vni;
	in_port_t port;		/* network order */
	union vxproto_addr group;
	struct vxproto_self self;	/* vxvde: recognises our own multicast */
	struct machash *table;
	time_t expire;
};

static int vx_family_len(int family)
{
	return family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

/* Strict unsigned number (decimal, 0x hex or 0 octal); -1 on junk. */
static int vx_parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	*out = strtoul(s, &end, 0);
	if (errno != 0 || *end != '\0' || *out > max || *s == '-')
		return -1;
	return 0;
}

/* A number, else a group name (its gid), as vdeplug4's vni= and grp= take. */
static int vx_parse_id(const char *s, unsigned long max, unsigned long *out)
{
	gid_t gid;

	if (vx_parse_ulong(s, max, out) == 0)
		return 0;
	if (s == NULL || *s == '\0' || (*s >= '0' && *s <= '9'))
		return -1;
	gid = vde_grnam2gid(s);
	if (gid == (gid_t)-1 || gid > max)
		return -1;
	*out = gid;
	return 0;
}

static int vx_resolve(const char *host, int family, int passive, union vxproto_addr *out)
{
	struct addrinfo hints = { .ai_family = family, .ai_socktype = SOCK_DGRAM }, *res;

	if (passive)
		hints.ai_flags = AI_NUMERICHOST;
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return -1;
	memset(out, 0, sizeof(*out));
	if (res->ai_addrlen > sizeof(*out) ||
	    (res->ai_family != AF_INET && res->ai_family != AF_INET6)) {
		freeaddrinfo(res);
		return -1;
	}
	memcpy(out, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

/* Set TTL (multicast and unicast) and the outgoing multicast interface on a sending socket. */
static int vx_tx_options(int fd, int family, int ttl, int ifindex)
{
	if (family == AF_INET6) {
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &ttl, sizeof(ttl)) < 0 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof(ttl)) < 0)
			return -1;
		if (ifindex > 0 &&
		    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof(ifindex)) < 0)
			return -1;
	} else {
		struct ip_mreqn mr = { .imr_ifindex = ifindex };

		if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl)) < 0 ||
		    setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) < 0)
			return -1;
		if (ifindex > 0 && setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr)) < 0)
			return -1;
	}
	return 0;
}

static int vx_join(int fd, const union vxproto_addr *group, int ifindex)
{
	if (group->sa.sa_family == AF_INET6) {
		struct ipv6_mreq mr = { .ipv6mr_multiaddr = group->in6.sin6_addr, .ipv6mr_interface = ifindex };

		return setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof(mr));
	}
	struct ip_mreqn mr = { .imr_multiaddr = group->in.sin_addr, .imr_ifindex = ifindex };

	return setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr));
}

static int vx_socket(int family, int rcvbuf)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_UDP);
	int one = 1;

	if (fd < 0)
		return -1;
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	return fd;
}

/*
 * A classic BPF filter so that the kernel discards, before they wake the caller, the datagrams
 * vxnet_recv would drop anyway: our own multicast looped back (source port and address are ours)
 * and other networks' traffic on the same group (wrong header or VNI). A socket filter of a UDP
 * socket sees the packet from the UDP header; SKF_NET_OFF reaches the IP header.
 */
static void vx_attach_filter(struct vxnet *vx, int fd)
{
	struct sock_filter f[32];
	int n = 0, self_words = 0, own_first, own_jumps[4], nj = 0;
	uint32_t self[4];

	/* the source we know is ours (vxproto_self_probe): a subset of what vxproto_is_own drops */
	if (vx->kind == VXNET_VXVDE && vx->self.addr.sa.sa_family == vx->family) {
		if (vx->family == AF_INET6) {
			memcpy(self, &vx->self.addr.in6.sin6_addr, 16);
			self_words = 4;
		} else {
			memcpy(self, &vx->self.addr.in.sin_addr, 4);
			self_words = 1;
		}
	}
	if (self_words > 0) {
		f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 0);
		own_first = n;
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ntohs(vx->self.port), 0, 0);
		own_jumps[nj++] = own_first;
		for (int i = 0; i < self_words; i++) {
			int off = vx->family == AF_INET6 ? 8 + 4 * i : 12;

			f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_NET_OFF + off);
			own_jumps[nj++] = n;
			f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ntohl(self[i]), 0, 0);
		}
		/* all of them matched: it is our own datagram */
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0);
		/* any mismatch jumps here */
		for (int j = 0; j < nj; j++)
			f[own_jumps[j]].jf = (uint8_t)(n - own_jumps[j] - 1);
	}
	if (vx->kind == VXNET_VXVDE) {
		/* the 8-byte header compared as a whole (vxproto_classify), as two words of vx->hdr */
		uint32_t w0, w1;

		memcpy(&w0, vx->hdr, 4);
		memcpy(&w1, vx->hdr + 4, 4);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 8);
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ntohl(w0), 0, 3);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 12);
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ntohl(w1), 0, 1);
	} else {
		/* RFC 7348: the I flag must be set, reserved bits are ignored on receipt */
		f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 8);
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, VX_FLAG_I, 0, 4);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 12);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xffffff00u);
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, vx->vni << 8, 0, 1);
	}
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0xffffffffu);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0);
	struct sock_fprog prog = { .len = (unsigned short)n, .filter = f };

	/* best effort: vxnet_recv checks everything again */
	setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
}

enum { OPT_PORT, OPT_VNI, OPT_TTL, OPT_RCVBUF, OPT_V4, OPT_V6, OPT_HASHSIZE, OPT_EXPIRE, OPT_IF, OPT_BIND,
       OPT_GRP, OPT_N };

struct vxnet *vxnet_open(enum vxnet_kind kind, char *args)
{
	/* table order matters: keys match by prefix, the first wins (v=7 is vni) */
	char *val[OPT_N] = { NULL };
	struct vdeparms parms[] = {
		{ "port", &val[OPT_PORT] }, { "vni", &val[OPT_VNI] }, { "ttl", &val[OPT_TTL] },
		{ "rcvbuf", &val[OPT_RCVBUF] }, { "v4", &val[OPT_V4] }, { "v6", &val[OPT_V6] },
		{ "hashsize", &val[OPT_HASHSIZE] }, { "expiretime", &val[OPT_EXPIRE] }, { "if", &val[OPT_IF] },
		{ "bind", &val[OPT_BIND] }, { "grp", &val[OPT_GRP] }, { NULL, NULL },
	};
	unsigned long port = kind == VXNET_VXVDE ? 14789 : 4789, vni = 1, ttl = 1, hashsize = 1024,
		      expire = 128, gid = 0;
	unsigned long long rcvbuf = 0;
	int family = AF_UNSPEC, ifindex = 0, have_grp = 0, err = EINVAL, one = 1, zero = 0;
	union vxproto_addr bindaddr, any;
	struct vxnet *vx;
	socklen_t alen;

	if (vde_parseparms(args, parms) != 0)
		return errno = EINVAL, NULL;
	if ((val[OPT_PORT] && (vx_parse_ulong(val[OPT_PORT], 65535, &port) < 0 || port == 0)) ||
	    (val[OPT_VNI] && vx_parse_id(val[OPT_VNI], 0xffffff, &vni) < 0) ||
	    (val[OPT_TTL] && vx_parse_ulong(val[OPT_TTL], 255, &ttl) < 0) ||
	    (val[OPT_HASHSIZE] && (vx_parse_ulong(val[OPT_HASHSIZE], 1u << 24, &hashsize) < 0 || hashsize == 0)) ||
	    (val[OPT_EXPIRE] && vx_parse_ulong(val[OPT_EXPIRE], 1u << 30, &expire) < 0) ||
	    (val[OPT_GRP] && vx_parse_id(val[OPT_GRP], 0xffffffff, &gid) < 0))
		return errno = EINVAL, NULL;
	if (val[OPT_RCVBUF]) {
		rcvbuf = strtoullm(val[OPT_RCVBUF]);
		if (rcvbuf == 0 || rcvbuf > (1u << 30))
			return errno = EINVAL, NULL;
	}
	if (val[OPT_GRP]) {
		have_grp = 1;
		if (val[OPT_VNI] == NULL)
			vni = gid & 0xffffff;
	}
	if (val[OPT_V4])
		family = AF_INET;
	if (val[OPT_V6])
		family = AF_INET6;
	if (val[OPT_IF]) {
		ifindex = (int)if_nametoindex(val[OPT_IF]);
		if (ifindex == 0)
			return errno = ENODEV, NULL;
	}

	vx = calloc(1, sizeof(*vx));
	if (vx == NULL)
		return NULL;
	vx->kind = kind;
	vx->mcast_fd = vx->ucast_fd = vx->epoll_fd = -1;
	if (*args == '\0') {
		if (vx_resolve(family == AF_INET6 ? "ff05:56de::1" : "239.0.0.1", family, 1, &vx->group) < 0)
			goto fail;
	} else if (vx_resolve(args, family, 0, &vx->group) < 0) {
		goto fail;
	}
	vx->family = vx->group.sa.sa_family;
	if (have_grp) {
		/* the gid goes in the low 24 bits of the group address */
		if (vx->family == AF_INET6) {
			uint8_t *a = vx->group.in6.sin6_addr.s6_addr;

			a[13] = (uint8_t)(gid >> 16);
			a[14] = (uint8_t)(gid >> 8);
			a[15] = (uint8_t)gid;
		} else {
			uint32_t a = ntohl(vx->group.in.sin_addr.s_addr);

			vx->group.in.sin_addr.s_addr = htonl((a & 0xff000000u) | (uint32_t)(gid & 0xffffff));
		}
	}
	vx->port = htons((in_port_t)port);
	if (vx->family == AF_INET6)
		vx->group.in6.sin6_port = vx->port;
	else
		vx->group.in.sin_port = vx->port;
	/* vxvde lives on multicast; vxlan may also name a single unicast VTEP */
	if (kind == VXNET_VXVDE && !vxproto_addr_is_multicast(&vx->group))
		goto fail;
	if (val[OPT_BIND]) {
		if (vx_resolve(val[OPT_BIND], vx->family, 1, &bindaddr) < 0)
			goto fail;
	}
	vx->vni = (uint32_t)vni;
	/* vxlan's header is vxvde's: the I flag and the VNI (RFC 7348 §5) */
	vxproto_header((uint32_t)vni, vx->hdr);
	vx->expire = (time_t)expire;
	vx->table = machash_new((unsigned int)hashsize, (uint64_t)getpid() * 0x2545f4914f6cdd1dull,
				sizeof(union vxproto_addr));
	if (vx->table == NULL) {
		err = errno;
		goto fail;
	}

	err = 0;
	memset(&any, 0, sizeof(any));
	any.sa.sa_family = (sa_family_t)vx->family;
	vx->mcast_fd = vx_socket(vx->family, (int)rcvbuf);
	if (vx->mcast_fd < 0)
		goto fail_errno;
	if (kind == VXNET_VXVDE) {
		/* several instances per host share the group socket address (not SO_REUSEPORT: every
		 * one of them must get every multicast datagram) */
		if (setsockopt(vx->mcast_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
		    bind(vx->mcast_fd, &vx->group.sa, vx_family_len(vx->family)) < 0)
			goto fail_errno;
		vx->ucast_fd = vx_socket(vx->family, (int)rcvbuf);
		if (vx->ucast_fd < 0)
			goto fail_errno;
		if (bind(vx->ucast_fd, val[OPT_BIND] ? &bindaddr.sa : &any.sa, vx_family_len(vx->family)) < 0)
			goto fail_errno;
	} else {
		/* a standard VTEP: peers send to the well-known port, so we listen on it and send from it */
		union vxproto_addr local = val[OPT_BIND] ? bindaddr : any;

		if (vx->family == AF_INET6)
			local.in6.sin6_port = vx->port;
		else
			local.in.sin_port = vx->port;
		if (bind(vx->mcast_fd, &local.sa, vx_family_len(vx->family)) < 0)
			goto fail_errno;
		vx->ucast_fd = vx->mcast_fd;
		/* one instance per host: our own multicast need not come back */
		setsockopt(vx->mcast_fd, vx->family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP,
			   vx->family == AF_INET6 ? IPV6_MULTICAST_LOOP : IP_MULTICAST_LOOP, &zero, sizeof(zero));
	}
	if (vxproto_addr_is_multicast(&vx->group) && vx_join(vx->mcast_fd, &vx->group, ifindex) < 0)
		goto fail_errno;
	if (vx_tx_options(vx->ucast_fd, vx->family, (int)ttl, ifindex) < 0)
		goto fail_errno;
	alen = sizeof(any);
	if (getsockname(vx->ucast_fd, &any.sa, &alen) < 0)
		goto fail_errno;
	vxproto_self_init(&vx->self, &any);

	if (kind == VXNET_VXVDE) {
		struct epoll_event ev = { .events = EPOLLIN };

		/* best effort: it lets the kernel's filter drop our echo; vxproto_is_own does the rest */
		vxproto_self_probe(&vx->self, &vx->group, (unsigned)ifindex, val[OPT_BIND] ? &bindaddr : NULL);
		vx_attach_filter(vx, vx->mcast_fd);
		vx_attach_filter(vx, vx->ucast_fd);
		vx->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
		if (vx->epoll_fd < 0)
			goto fail_errno;
		ev.data.fd = vx->mcast_fd;
		if (epoll_ctl(vx->epoll_fd, EPOLL_CTL_ADD, vx->mcast_fd, &ev) < 0)
			goto fail_errno;
		ev.data.fd = vx->ucast_fd;
		if (epoll_ctl(vx->epoll_fd, EPOLL_CTL_ADD, vx->ucast_fd, &ev) < 0)
			goto fail_errno;
	} else {
		vx_attach_filter(vx, vx->mcast_fd);
	}
	vx->next_fd = vx->mcast_fd;
	return vx;

fail_errno:
	err = errno;
fail:
	if (err == 0)
		err = EINVAL;
	if (vx->epoll_fd >= 0)
		close(vx->epoll_fd);
	if (vx->ucast_fd >= 0 && vx->ucast_fd != vx->mcast_fd)
		close(vx->ucast_fd);
	if (vx->mcast_fd >= 0)
		close(vx->mcast_fd);
	machash_free(vx->table);
	free(vx);
	errno = err;
	return NULL;
}

/* What a datagram of len bytes with header h is: vxvde's header is compared whole (vxproto);
 * vxlan wants the I flag and the VNI and ignores the reserved bits (RFC 7348), and says no goodbye. */
static enum vxproto_kind vx_classify(const struct vxnet *vx, const uint8_t *h, size_t len)
{
	if (vx->kind == VXNET_VXVDE)
		return vxproto_classify(vx->hdr, h, len);
	if (len < VX_HDRLEN || !(h[0] & VX_FLAG_I) || memcmp(h + 4, vx->hdr + 4, 3) != 0)
		return VXPROTO_IGNORE;
	len -= VX_HDRLEN;
	return len >= VXPROTO_FRAME_MIN && len <= VXPROTO_FRAME_MAX ? VXPROTO_FRAME : VXPROTO_IGNORE;
}

#define VX_STREAK 16

/* One datagram from fd: 1 = a frame for the caller (*flen set), 0 = consumed, -1 = errno. */
static int vx_recv_one(struct vxnet *vx, int fd, void *buf, size_t len, size_t *flen)
{
	uint8_t hdr[VX_HDRLEN];
	union vxproto_addr from, peer;
	struct iovec iov[2] = { { hdr, sizeof(hdr) }, { buf, len } };
	struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = iov, .msg_iovlen = 2 };
	const uint8_t *frame = buf;
	enum vxproto_kind kind;
	time_t now;
	ssize_t n;

	n = recvmsg(fd, &msg, MSG_DONTWAIT);
	if (n < 0)
		return -1;
	/* vx_classify reads only the 8 header bytes, received apart from the frame */
	kind = msg.msg_flags & MSG_TRUNC ? VXPROTO_IGNORE : vx_classify(vx, hdr, (size_t)n);
	if (kind == VXPROTO_IGNORE || vxproto_addr_norm(&peer, &from, msg.msg_namelen) < 0 ||
	    peer.sa.sa_family != vx->family)
		return 0;
	now = machash_now();
	if (vx->kind == VXNET_VXVDE && vxproto_is_own(&vx->self, &peer, now))
		return 0;	/* our own multicast, looped back */
	if (vx->kind == VXNET_VXLAN) {
		/* a standard VTEP sends from any port but receives on the well-known one */
		if (vx->family == AF_INET6)
			peer.in6.sin6_port = vx->port;
		else
			peer.in.sin_port = vx->port;
	}
	if (kind == VXPROTO_BYE) {
		/* vxvde close notice: everything learned from that peer is stale */
		machash_forget(vx->table, &peer);
		return 0;
	}
	n -= VX_HDRLEN;
	machash_learn(vx->table, frame + 6, machash_frame_vlan(frame, (size_t)n), &peer, now);
	*flen = (size_t)n;
	return 1;
}

ssize_t vxnet_recv(struct vxnet *vx, void *buf, size_t len)
{
	int fds[2] = { vx->next_fd, vx->next_fd == vx->mcast_fd ? vx->ucast_fd : vx->mcast_fd };
	int nfds = vx->ucast_fd == vx->mcast_fd ? 1 : 2, again = 0, err = EAGAIN;
	size_t flen;

	/* Drop inside the module what is not for the caller, and keep reading: returning 1 ("drop")
	 * makes QEMU hand the guest a 1-byte frame. */
	for (int budget = 0; budget < VX_RECV_BUDGET && again < nfds;) {
		again = 0;
		for (int i = 0; i < nfds; i++, budget++) {
			int r = vx_recv_one(vx, fds[i], buf, len, &flen);

			if (r == 1) {
				/* Keep trying first the socket that has traffic (a unicast stream then costs one
				 * call per frame, not two), but let the other go first now and then so neither
				 * can starve the other. */
				if (fds[i] == vx->next_fd && ++vx->streak < VX_STREAK)
					return (ssize_t)flen;
				vx->streak = 0;
				vx->next_fd = fds[i] == vx->next_fd ? fds[i ^ (nfds - 1)] : fds[i];
				return (ssize_t)flen;
			}
			if (r < 0) {
				if (errno != EAGAIN && errno != EWOULDBLOCK)
					err = errno;
				again++;
			}
		}
	}
	if (err != EAGAIN) {
		errno = err;
		return -1;
	}
	/* Only datagrams meant for the module (a close notice, or more than the budget of them):
	 * the one case vde_recv's "drop" value exists for. Never -1 here: vdeplug4's vde_plug
	 * ends a cable on -1. */
	return 1;
}

ssize_t vxnet_send(struct vxnet *vx, const void *buf, size_t len)
{
	const uint8_t *frame = buf;
	const union vxproto_addr *dst = &vx->group;
	struct iovec iov[2] = { { vx->hdr, VX_HDRLEN }, { (void *)(uintptr_t)buf, len } };
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };

	if (len < VXPROTO_FRAME_MIN)
		return (ssize_t)len;	/* not a frame: nothing to carry */
	if (!(frame[0] & 1)) {
		union vxproto_addr *peer = machash_find(vx->table, frame, machash_frame_vlan(frame, len),
							machash_now() - vx->expire);

		if (peer != NULL)
			dst = peer;
	}
	msg.msg_name = (void *)(uintptr_t)dst;
	msg.msg_namelen = (socklen_t)vx_family_len(vx->family);
	if (sendmsg(vx->ucast_fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		/* a full queue is a congested wire: the frame is lost, the caller must not block */
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
			return (ssize_t)len;
		return -1;
	}
	return (ssize_t)len;
}

int vxnet_datafd(const struct vxnet *vx)
{
	return vx->epoll_fd >= 0 ? vx->epoll_fd : vx->mcast_fd;
}

void vxnet_close(struct vxnet *vx)
{
	if (vx == NULL)
		return;
	if (vx->kind == VXNET_VXVDE)
		/* a header alone: peers forget what they learned about us */
		sendto(vx->ucast_fd, vx->hdr, VX_HDRLEN, MSG_DONTWAIT | MSG_NOSIGNAL, &vx->group.sa,
		       (socklen_t)vx_family_len(vx->family));
	if (vx->epoll_fd >= 0)
		close(vx->epoll_fd);
	if (vx->ucast_fd != vx->mcast_fd)
		close(vx->ucast_fd);
	close(vx->mcast_fd);
	machash_free(vx->table);
	free(vx);
}

/* ---- the module entry points (vxnet.h) ---- */

struct vxnet_conn {
	void *handle;			/* filled by the loader */
	struct vdeplug_module *module;	/* filled by the loader */
	struct vxnet *net;
};

VDECONN *vxnet_module_open(enum vxnet_kind kind, char *vde_url)
{
	struct vxnet_conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->net = vxnet_open(kind, vde_url);
	if (c->net == NULL) {
		int err = errno;

		free(c);
		errno = err;
		return NULL;
	}
	return (VDECONN *)c;
}

ssize_t vxnet_module_recv(VDECONN *conn, void *buf, size_t len, int flags)
{
	return vxnet_recv(((struct vxnet_conn *)conn)->net, buf, len);
}

ssize_t vxnet_module_send(VDECONN *conn, const void *buf, size_t len, int flags)
{
	return vxnet_send(((struct vxnet_conn *)conn)->net, buf, len);
}

int vxnet_module_datafd(VDECONN *conn)
{
	return vxnet_datafd(((struct vxnet_conn *)conn)->net);
}

int vxnet_module_ctlfd(VDECONN *conn)
{
	return -1;
}

int vxnet_module_close(VDECONN *conn)
{
	vxnet_close(((struct vxnet_conn *)conn)->net);
	free(conn);
	return 0;
}
