#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "dataplane/network.h"
#include "priv/priv.h"
#include "dataplane/switch.h"
#include "backends/vxvde.h"

union vx_addr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
	struct sockaddr_storage ss;
};

struct vx_entry {
	uint8_t mac[6];
	uint16_t vlan;
	uint32_t last_seen;		/* 0 = free */
	union vx_addr addr;
};

#define VX_LOCAL_MAX 32
#define VX_LOCAL_REFRESH 10		/* seconds between looks at this host's addresses */

struct vx_port {
	struct vxvde_spec spec;
	int mfd;			/* bound to the group: what others send to everyone */
	ev_io mio;
	uint16_t uport;			/* our unicast socket's port (the port's fd) */
	unsigned char hdr[8];
	struct vx_entry table[VXVDE_HASHSIZE];
	union vx_addr local[VX_LOCAL_MAX];	/* this host's addresses, to recognise our own multicast */
	unsigned nlocal;
	uint32_t local_when;
	/* per-batch scratch of the send side (the receive side uses the data path's lent batch) */
	struct mmsghdr out[PORT_BATCH];
	struct iovec oiov[PORT_BATCH][2];
};

void vxvde_header(unsigned vni, unsigned char hdr[8])
{
	hdr[0] = 0x08;
	hdr[1] = hdr[2] = hdr[3] = 0;
	hdr[4] = (unsigned char)(vni >> 16);
	hdr[5] = (unsigned char)(vni >> 8);
	hdr[6] = (unsigned char)vni;
	hdr[7] = 0;
}

enum vxvde_kind vxvde_classify(const unsigned char hdr[8], const uint8_t *d, size_t len)
{
	if (len < 8 || memcmp(d, hdr, 8) != 0)
		return VXVDE_IGNORE;
	if (len == 8)
		return VXVDE_BYE;
	return len >= 8 + ETH_MIN_FRAME && len <= 8 + ETH_MAX_FRAME ? VXVDE_FRAME : VXVDE_IGNORE;
}

int vxvde_parse_group(const char *text, struct vxvde_spec *spec)
{
	char host[64];
	const char *port = NULL;
	unsigned long p = VXVDE_DEFAULT_PORT;
	size_t len;
	union vx_addr a = { 0 };

	if (text[0] == '[') {
		const char *end = strchr(text, ']');
		if (!end || (size_t)(end - text - 1) >= sizeof(host))
			return -EINVAL;
		len = (size_t)(end - text - 1);
		memcpy(host, text + 1, len);
		host[len] = '\0';
		if (end[1] == ':')
			port = end + 2;
		else if (end[1])
			return -EINVAL;
	} else {
		const char *colon = strchr(text, ':');
		if (colon && !strchr(colon + 1, ':')) {		/* IPv4:PORT */
			len = (size_t)(colon - text);
			port = colon + 1;
		} else {
			len = strlen(text);
		}
		if (len >= sizeof(host))
			return -EINVAL;
		memcpy(host, text, len);
		host[len] = '\0';
	}
	if (port) {
		char *end;
		errno = 0;
		p = strtoul(port, &end, 10);
		if (!*port || *end || errno || p == 0 || p > 65535)
			return -EINVAL;
	}
	if (inet_pton(AF_INET, host, &a.in.sin_addr) == 1) {
		if (!IN_MULTICAST(ntohl(a.in.sin_addr.s_addr)))
			return -EINVAL;
		a.in.sin_family = AF_INET;
		a.in.sin_port = htons((uint16_t)p);
		spec->group_len = sizeof(a.in);
	} else if (inet_pton(AF_INET6, host, &a.in6.sin6_addr) == 1) {
		if (!IN6_IS_ADDR_MULTICAST(&a.in6.sin6_addr))
			return -EINVAL;
		a.in6.sin6_family = AF_INET6;
		a.in6.sin6_port = htons((uint16_t)p);
		spec->group_len = sizeof(a.in6);
	} else {
		return -EINVAL;
	}
	memcpy(&spec->group, &a.ss, sizeof(a.ss));
	return 0;
}

static int vx_family(const struct vx_port *vx)
{
	return vx->spec.group.ss_family;
}

static unsigned vx_hash(const uint8_t *mac, uint16_t vlan)
{
	uint64_t k = (uint64_t)mac[0] << 40 | (uint64_t)mac[1] << 32 | (uint64_t)mac[2] << 24 |
		     (uint64_t)mac[3] << 16 | (uint64_t)mac[4] << 8 | mac[5];

	k = (k ^ ((uint64_t)vlan << 48)) * 0x9e3779b97f4a7c15ULL;
	return (unsigned)(k >> 54) & (VXVDE_HASHSIZE - 1);
}

static uint16_t vx_frame_vlan(const uint8_t *f, size_t len)
{
	if (len >= 18 && f[12] == 0x81 && f[13] == 0x00)
		return (uint16_t)(((f[14] << 8) | f[15]) & 0xfff);
	return 0;
}

/* Linear probing over a few slots; a full neighbourhood gives its oldest slot. */
#define VX_PROBE 8

static struct vx_entry *vx_lookup(struct vx_port *vx, const uint8_t *mac, uint16_t vlan, uint32_t now)
{
	unsigned h = vx_hash(mac, vlan);

	for (unsigned i = 0; i < VX_PROBE; i++) {
		struct vx_entry *e = &vx->table[(h + i) & (VXVDE_HASHSIZE - 1)];
		if (e->last_seen && e->vlan == vlan && memcmp(e->mac, mac, 6) == 0)
			return now - e->last_seen <= VXVDE_EXPIRE ? e : NULL;
	}
	return NULL;
}

static void vx_learn(struct vx_port *vx, const uint8_t *mac, uint16_t vlan, const union vx_addr *from, uint32_t now)
{
	unsigned h = vx_hash(mac, vlan);
	struct vx_entry *slot = NULL;

	for (unsigned i = 0; i < VX_PROBE; i++) {
		struct vx_entry *e = &vx->table[(h + i) & (VXVDE_HASHSIZE - 1)];
		if (e->last_seen && e->vlan == vlan && memcmp(e->mac, mac, 6) == 0) {
			slot = e;
			break;
		}
		if (!slot || !e->last_seen || (slot->last_seen && e->last_seen < slot->last_seen))
			slot = e;
	}
	memcpy(slot->mac, mac, 6);
	slot->vlan = vlan;
	slot->last_seen = now ? now : 1;
	slot->addr = *from;
}

static bool vx_same_addr(const union vx_addr *a, const union vx_addr *b, bool with_port)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET)
		return a->in.sin_addr.s_addr == b->in.sin_addr.s_addr && (!with_port || a->in.sin_port == b->in.sin_port);
	return !memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, sizeof(struct in6_addr)) &&
	       (!with_port || a->in6.sin6_port == b->in6.sin6_port);
}

/* A sender said goodbye (a header-only datagram): forget what we learned from it. */
static void vx_forget(struct vx_port *vx, const union vx_addr *from)
{
	for (unsigned i = 0; i < VXVDE_HASHSIZE; i++)
		if (vx->table[i].last_seen && vx_same_addr(&vx->table[i].addr, from, true))
			vx->table[i].last_seen = 0;
}

static void vx_refresh_local(struct vx_port *vx, uint32_t now)
{
	struct ifaddrs *ifa, *i;

	if (vx->local_when && now - vx->local_when < VX_LOCAL_REFRESH)
		return;
	vx->local_when = now;
	vx->nlocal = 0;
	if (getifaddrs(&ifa) < 0)
		return;
	for (i = ifa; i && vx->nlocal < VX_LOCAL_MAX; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != vx_family(vx))
			continue;
		memcpy(&vx->local[vx->nlocal++], i->ifa_addr,
		       vx_family(vx) == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
	}
	freeifaddrs(ifa);
}

/* Our own multicast comes back (loop is on, so that instances on one host see each other). */
static bool vx_is_own(struct vx_port *vx, const union vx_addr *from, uint32_t now)
{
	uint16_t port = from->sa.sa_family == AF_INET ? from->in.sin_port : from->in6.sin6_port;

	if (ntohs(port) != vx->uport)
		return false;
	/* with no address but loopback the kernel sends from the unspecified address */
	if (from->sa.sa_family == AF_INET ? from->in.sin_addr.s_addr == htonl(INADDR_ANY) ||
						    (ntohl(from->in.sin_addr.s_addr) >> 24) == 127
					  : IN6_IS_ADDR_UNSPECIFIED(&from->in6.sin6_addr) ||
						    IN6_IS_ADDR_LOOPBACK(&from->in6.sin6_addr))
		return true;
	vx_refresh_local(vx, now);
	for (unsigned i = 0; i < vx->nlocal; i++)
		if (vx_same_addr(&vx->local[i], from, false))
			return true;
	return false;
}

/*
 * Receive on fd into the lent batch; report each vxvde frame of our VNI with its header stripped (its
 * sender learned), skip the rest. The senders come with the batch (this kind's ops ask for them); what is
 * kept beyond the call is copied into the port's own table.
 */
static int vx_recv_from(struct port *p, int fd, struct port_rxbatch *b)
{
	struct vx_port *vx = p->kind_data;
	uint32_t now = (uint32_t)ev_now(network_loop());
	socklen_t need = vx_family(vx) == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	int got;

	if (!b->addr)
		return -EINVAL;		/* vx_port_ops asks for senders: without them nothing can be learned */
	got = port_rx_recvmmsg(b, fd);
	for (int i = 0; i < got; i++) {
		unsigned len = b->frame[i].len;
		const uint8_t *d = port_rx_slot(b, (unsigned)i);
		enum vxvde_kind kind = b->frame[i].flags & PORT_FRAME_TRUNC ? VXVDE_IGNORE
									 : vxvde_classify(vx->hdr, d, len);
		union vx_addr from;

		b->frame[i].flags = PORT_FRAME_SKIP;
		if (kind == VXVDE_IGNORE || b->addrlen[i] < need || b->addrlen[i] > sizeof(from))
			continue;	/* another VNI, not vxvde, a runt, or no usable sender */
		memset(&from, 0, sizeof(from));
		memcpy(&from, &b->addr[i], b->addrlen[i]);
		if (from.sa.sa_family != vx_family(vx) || vx_is_own(vx, &from, now))
			continue;	/* ourselves */
		if (kind == VXVDE_BYE) {
			vx_forget(vx, &from);
			continue;
		}
		if (!(d[8 + 6] & 1))
			vx_learn(vx, d + 8 + 6, vx_frame_vlan(d + 8, len - 8), &from, now);
		port_rx_set(b, (unsigned)i, 8, len - 8, 0);
	}
	return got;
}

static int vx_recv_unicast(struct port *p, struct port_rxbatch *b)
{
	return vx_recv_from(p, p->fd, b);
}

static int vx_recv_multicast(struct port *p, struct port_rxbatch *b)
{
	return vx_recv_from(p, ((struct vx_port *)p->kind_data)->mfd, b);
}

static void vx_mcast_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	network_port_receive(w->data, vx_recv_multicast);
}

static int vx_send_batch(struct port *p, struct mmsghdr *msgs, unsigned n)
{
	struct vx_port *vx = p->kind_data;
	uint32_t now = (uint32_t)ev_now(network_loop());
	int sent;

	for (unsigned i = 0; i < n; i++) {
		struct iovec *frame = msgs[i].msg_hdr.msg_iov;
		const uint8_t *f = frame->iov_base;
		struct vx_entry *e = NULL;
		struct msghdr *h = &vx->out[i].msg_hdr;

		if (!(f[0] & 1))
			e = vx_lookup(vx, f, vx_frame_vlan(f, frame->iov_len), now);
		vx->oiov[i][0].iov_base = vx->hdr;
		vx->oiov[i][0].iov_len = 8;
		vx->oiov[i][1] = *frame;
		memset(h, 0, sizeof(*h));
		h->msg_iov = vx->oiov[i];
		h->msg_iovlen = 2;
		h->msg_name = e ? (void *)&e->addr : (void *)&vx->spec.group;
		h->msg_namelen = e ? (e->addr.sa.sa_family == AF_INET ? sizeof(struct sockaddr_in)
								      : sizeof(struct sockaddr_in6))
				   : vx->spec.group_len;
	}
	/* every send leaves from the unicast socket: its source port is how peers learn us */
	sent = sendmmsg(p->fd, vx->out, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (sent < 0) {
		/* an unreachable peer or a full queue costs that frame, never the uplink */
		if (errno == EAGAIN || errno == ENOBUFS)
			return -EAGAIN;
		return errno == ENETUNREACH || errno == EHOSTUNREACH || errno == ECONNREFUSED || errno == EMSGSIZE
			       ? -EMSGSIZE : -errno;
	}
	return sent;
}

static void vx_destroy(struct port *p)
{
	struct vx_port *vx = p->kind_data;

	if (!vx)
		return;
	/* goodbye: peers drop what they learned from us at once */
	sendto(p->fd, vx->hdr, 8, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&vx->spec.group, vx->spec.group_len);
	ev_io_stop(network_loop(), &vx->mio);
	close(vx->mfd);
	free(vx);
	p->kind_data = NULL;
}

static const struct port_ops vx_port_ops = {
	.kind = "vxvde",
	.recv_batch = vx_recv_unicast,
	.send_batch = vx_send_batch,
	.destroy = vx_destroy,
	.rx_addr = true,
};

static int vx_open_sockets(struct vx_port *vx, int *ufd, struct vde_error *e)
{
	int fam = vx_family(vx), one = 1, ttl = (int)vx->spec.ttl, loop = 1;
	unsigned ifindex = 0;
	union vx_addr any = { 0 };
	socklen_t len;

	*ufd = -1;
	if (vx->spec.ifname[0] && !(ifindex = if_nametoindex(vx->spec.ifname)))
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "interface '%s' does not exist",
				     vx->spec.ifname);
	vx->mfd = socket(fam, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	*ufd = socket(fam, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (vx->mfd < 0 || *ufd < 0)
		goto sys;
	/* SO_REUSEADDR (not REUSEPORT): every instance on the host gets each multicast datagram */
	if (setsockopt(vx->mfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		goto sys;
	/* room for bursts: a datagram the socket cannot queue is a frame lost for TCP to resend */
	for (int k = 0; k < 2; k++) {
		int fd = k ? *ufd : vx->mfd, size = 4 << 20;
		/* these are vded's own sockets (not a user's port): the privileged process may force the
		 * size past rmem_max/wmem_max; without it, what the kernel allows */
		if (priv_sockbuf(fd, (unsigned)size, (unsigned)size, NULL) < 0) {
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
		}
	}
	if (fam == AF_INET) {
		struct ip_mreqn mr = { .imr_multiaddr = ((struct sockaddr_in *)&vx->spec.group)->sin_addr,
				       .imr_ifindex = (int)ifindex };
		struct sockaddr_in b = *(struct sockaddr_in *)&vx->spec.group;
		if (bind(vx->mfd, (struct sockaddr *)&b, sizeof(b)) < 0 ||
		    setsockopt(vx->mfd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0)
			goto sys;
		any.in.sin_family = AF_INET;
		if (bind(*ufd, &any.sa, sizeof(any.in)) < 0 ||
		    setsockopt(*ufd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl)) < 0 ||
		    setsockopt(*ufd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) < 0 ||
		    setsockopt(*ufd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof(loop)) < 0)
			goto sys;
		if (ifindex) {
			struct ip_mreqn m = { .imr_ifindex = (int)ifindex };
			if (setsockopt(*ufd, IPPROTO_IP, IP_MULTICAST_IF, &m, sizeof(m)) < 0)
				goto sys;
		}
	} else {
		struct ipv6_mreq mr = { .ipv6mr_multiaddr = ((struct sockaddr_in6 *)&vx->spec.group)->sin6_addr,
					.ipv6mr_interface = ifindex };
		struct sockaddr_in6 b = *(struct sockaddr_in6 *)&vx->spec.group;
		if (bind(vx->mfd, (struct sockaddr *)&b, sizeof(b)) < 0 ||
		    setsockopt(vx->mfd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof(mr)) < 0)
			goto sys;
		any.in6.sin6_family = AF_INET6;
		if (bind(*ufd, &any.sa, sizeof(any.in6)) < 0 ||
		    setsockopt(*ufd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &ttl, sizeof(ttl)) < 0 ||
		    setsockopt(*ufd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof(ttl)) < 0 ||
		    setsockopt(*ufd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &loop, sizeof(loop)) < 0)
			goto sys;
		if (ifindex && setsockopt(*ufd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof(ifindex)) < 0)
			goto sys;
	}
	len = sizeof(any);
	if (getsockname(*ufd, &any.sa, &len) < 0)
		goto sys;
	vx->uport = ntohs(fam == AF_INET ? any.in.sin_port : any.in6.sin6_port);
	return 0;
sys:
	{
		int err = errno;
		if (vx->mfd >= 0)
			close(vx->mfd);
		if (*ufd >= 0)
			close(*ufd);
		vx->mfd = *ufd = -1;
		return vde_error_errno(e, err, "vxvde sockets: %s", strerror(err));
	}
}

int vxvde_add(struct network *net, const struct vxvde_spec *spec, struct port **out, struct vde_error *e)
{
	struct vx_port *vx = calloc(1, sizeof(*vx));
	struct port *p;
	int ufd, ret;
	char where[INET6_ADDRSTRLEN] = "?";

	if (!vx)
		return vde_error_set(e, PROTO_ERR_INTERNAL, ENOMEM, "out of memory");
	vx->spec = *spec;
	vx->mfd = -1;
	vxvde_header(spec->vni, vx->hdr);
	ret = vx_open_sockets(vx, &ufd, e);
	if (ret < 0) {
		free(vx);
		return ret;
	}
	ret = network_port_add(net, ufd, &vx_port_ops, 0, &p, e);
	if (ret < 0) {
		close(vx->mfd);
		free(vx);
		return ret;
	}
	p->kind_data = vx;
	ev_io_init(&vx->mio, vx_mcast_cb, vx->mfd, EV_READ);
	vx->mio.data = p;
	ev_io_start(network_loop(), &vx->mio);
	{
		union vx_addr g;
		memcpy(&g.ss, &spec->group, sizeof(g.ss));
		if (g.sa.sa_family == AF_INET)
			inet_ntop(AF_INET, &g.in.sin_addr, where, sizeof(where));
		else
			inet_ntop(AF_INET6, &g.in6.sin6_addr, where, sizeof(where));
		snprintf(p->description, sizeof(p->description), "vxvde %s port %u vni %u", where,
			 ntohs(g.sa.sa_family == AF_INET ? g.in.sin_port : g.in6.sin6_port), spec->vni);
	}
	log_info("network %s: port %u: %s", net->def.name, p->id, p->description);
	if (out)
		*out = p;
	return 0;
}
