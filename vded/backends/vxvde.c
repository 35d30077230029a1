#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>

#include "keep.h"
#include "log.h"
#include "machash.h"
#include "vxproto.h"
#include "dataplane/network.h"
#include "priv/priv.h"
#include "backends/vxvde.h"

struct vx_port {
	struct vxvde_spec spec;
	int mfd;			/* bound to the group: what others send to everyone */
	ev_io mio;
	uint8_t hdr[VXPROTO_HDRLEN];
	struct machash *table;		/* MAC+VLAN → the peer's union vxproto_addr */
	struct vxproto_self self;	/* to recognise our own multicast */
	/* what the receive side skipped, by reason (port.list shows them: every drop has a counter) */
	uint64_t rx_foreign;		/* not vxvde, another VNI, a runt, a truncated giant, no sender */
	uint64_t rx_own;		/* our own multicast, looped back */
	uint64_t rx_bye;		/* goodbyes (a peer closing) */
	/* per-batch scratch of the send side (the receive side uses the data path's lent batch) */
	struct mmsghdr out[PORT_BATCH];
	struct iovec oiov[PORT_BATCH][2];
};

int vxvde_parse_group(const char *text, struct vxvde_spec *spec)
{
	union vxproto_addr a;
	int ret = vxproto_parse_group(text, VXVDE_DEFAULT_PORT, &a);

	if (ret < 0)
		return ret;
	memset(&spec->group, 0, sizeof(spec->group));
	memcpy(&spec->group, &a, vxproto_addr_len(&a));
	spec->group_len = vxproto_addr_len(&a);
	return 0;
}

static int vx_family(const struct vx_port *vx)
{
	return vx->spec.group.ss_family;
}

/*
 * Receive on fd into the lent batch; report each vxvde frame of our VNI with its header stripped (its
 * sender learned), skip the rest. The senders come with the batch (this kind's ops ask for them); what is
 * kept beyond the call is copied into the port's own table.
 */
static int vx_recv_from(struct port *p, int fd, struct port_rxbatch *b)
{
	struct vx_port *vx = p->kind_data;
	time_t now = (time_t)ev_now(network_loop());
	int got;

	if (!b->addr)
		return -EINVAL;		/* vx_port_ops asks for senders: without them nothing can be learned */
	got = port_rx_recvmmsg(b, fd);
	for (int i = 0; i < got; i++) {
		unsigned len = b->frame[i].len;
		const uint8_t *d = port_rx_slot(b, (unsigned)i);
		enum vxproto_kind kind = b->frame[i].flags & PORT_FRAME_TRUNC ? VXPROTO_IGNORE
									 : vxproto_classify(vx->hdr, d, len);
		union vxproto_addr from;

		b->frame[i].flags = PORT_FRAME_SKIP;
		if (kind == VXPROTO_IGNORE || vxproto_addr_norm(&from, &b->addr[i], b->addrlen[i]) < 0 ||
		    from.sa.sa_family != vx_family(vx)) {
			vx->rx_foreign++;	/* another VNI, not vxvde, a runt, or no usable sender */
			continue;
		}
		if (vxproto_is_own(&vx->self, &from, now)) {
			vx->rx_own++;
			continue;
		}
		if (kind == VXPROTO_BYE) {
			vx->rx_bye++;
			machash_forget(vx->table, &from);
			continue;
		}
		d += VXPROTO_HDRLEN;
		len -= VXPROTO_HDRLEN;
		machash_learn(vx->table, d + 6, machash_frame_vlan(d, len), &from, now);
		port_rx_set(b, (unsigned)i, VXPROTO_HDRLEN, len, 0);
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
	time_t now = (time_t)ev_now(network_loop());
	int sent;

	for (unsigned i = 0; i < n; i++) {
		struct iovec *frame = msgs[i].msg_hdr.msg_iov;
		const uint8_t *f = frame->iov_base;
		union vxproto_addr *to = NULL;
		struct msghdr *h = &vx->out[i].msg_hdr;

		if (!(f[0] & 1))
			to = machash_find(vx->table, f, machash_frame_vlan(f, frame->iov_len), now - VXVDE_EXPIRE);
		vx->oiov[i][0].iov_base = vx->hdr;
		vx->oiov[i][0].iov_len = VXPROTO_HDRLEN;
		vx->oiov[i][1] = *frame;
		memset(h, 0, sizeof(*h));
		h->msg_iov = vx->oiov[i];
		h->msg_iovlen = 2;
		h->msg_name = to ? (void *)to : (void *)&vx->spec.group;
		h->msg_namelen = to ? vxproto_addr_len(to) : vx->spec.group_len;
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
	sendto(p->fd, vx->hdr, VXPROTO_HDRLEN, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&vx->spec.group,
	       vx->spec.group_len);
	ev_io_stop(network_loop(), &vx->mio);
	close(vx->mfd);
	machash_free(vx->table);
	free(vx);
	p->kind_data = NULL;
}

static void vx_describe(const struct port *p, struct json_object *o)
{
	const struct vx_port *vx = p->kind_data;
	struct json_object *v;

	if (!vx)
		return;
	v = json_object_new_object();
	json_object_object_add(v, "rx_foreign", json_object_new_int64((int64_t)vx->rx_foreign));
	json_object_object_add(v, "rx_own", json_object_new_int64((int64_t)vx->rx_own));
	json_object_object_add(v, "rx_bye", json_object_new_int64((int64_t)vx->rx_bye));
	json_object_object_add(o, "vxvde", v);
}

static const struct port_ops vx_port_ops = {
	.kind = "vxvde",
	.describe = vx_describe,
	.recv_batch = vx_recv_unicast,
	.send_batch = vx_send_batch,
	.destroy = vx_destroy,
	.rx_addr = true,
};

static int vx_open_sockets(struct vx_port *vx, int *ufd, struct vde_error *e)
{
	int fam = vx_family(vx), one = 1, ttl = (int)vx->spec.ttl, loop = 1;
	unsigned ifindex = 0;
	union vxproto_addr any;
	socklen_t len;

	*ufd = -1;
	memset(&any, 0, sizeof(any));
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
	vxproto_self_init(&vx->self, &any);
	/* best effort: without it the source address is still recognised, by a look at this host's */
	vxproto_self_probe(&vx->self, (const union vxproto_addr *)&vx->spec.group, ifindex, NULL);
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
	uint64_t seed;
	char where[INET6_ADDRSTRLEN] = "?";

	if (!vx)
		return vde_error_set(e, PROTO_ERR_INTERNAL, ENOMEM, "out of memory");
	vx->spec = *spec;
	vx->mfd = -1;
	vxproto_header(spec->vni, vx->hdr);
	/* seeded per port: a peer cannot aim its source addresses at one bucket */
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed))
		seed = (uint64_t)(uintptr_t)vx * 0x9e3779b97f4a7c15ull ^ (uint64_t)ev_now(network_loop());
	vx->table = machash_new(VXVDE_HASHSIZE, seed, sizeof(union vxproto_addr));
	if (!vx->table) {
		free(vx);
		return vde_error_set(e, PROTO_ERR_INTERNAL, ENOMEM, "out of memory");
	}
	ret = vx_open_sockets(vx, &ufd, e);
	if (ret < 0) {
		machash_free(vx->table);
		free(vx);
		return ret;
	}
	ret = network_port_add(net, ufd, &vx_port_ops, keep_port_want(net, "vxvde", "vxvde"), &p, e);
	if (ret < 0) {
		close(vx->mfd);
		machash_free(vx->table);
		free(vx);
		return ret;
	}
	p->kind_data = vx;
	ev_io_init(&vx->mio, vx_mcast_cb, vx->mfd, EV_READ);
	vx->mio.data = p;
	ev_io_start(network_loop(), &vx->mio);
	{
		union vxproto_addr g;
		memcpy(&g, &spec->group, sizeof(g));
		if (g.sa.sa_family == AF_INET)
			inet_ntop(AF_INET, &g.in.sin_addr, where, sizeof(where));
		else
			inet_ntop(AF_INET6, &g.in6.sin6_addr, where, sizeof(where));
		snprintf(p->description, sizeof(p->description), "vxvde %s port %u vni %u", where,
			 ntohs(g.sa.sa_family == AF_INET ? g.in.sin_port : g.in6.sin6_port), spec->vni);
	}
	keep_port_made(p, "vxvde");
	log_info("network %s: port %u: %s", net->def.name, p->id, p->description);
	if (out)
		*out = p;
	return 0;
}
