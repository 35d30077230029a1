#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
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
#include "backends/vxseal.h"
#include "backends/vxvde.h"

/* A datagram we send: room for the seal around the largest vxvde datagram (keyed networks only). */
#define VX_SEALED_MAX (VXSEAL_OVERHEAD + VXPROTO_HDRLEN + VXPROTO_FRAME_MAX)

struct vx_peer {
	union vxproto_addr a;		/* normalised */
	bool configured;
	time_t heard;			/* its last announcement (learned peers expire without one) */
	time_t mcast;			/* its last datagram on the group: then floods reach it there */
};

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
	uint64_t rx_announce;		/* announcements read */
	uint64_t rx_announce_refused;	/* announcements dropped: malformed, over the rate, or not from a peer */
	uint64_t peers_refused;		/* announced peers not taken: out of scope, or the table full */
	uint64_t rx_bad_tag;		/* keyed network: datagrams that did not open */
	uint64_t rx_replay;		/* keyed network: authentic datagrams opened before (replays, copies) */
	uint64_t tx_peer;		/* unicast copies of floods sent to peers */
	/* the peer table: configured ones first come, learned ones after; at most VXVDE_PEERS_MAX */
	struct vx_peer peers[VXVDE_PEERS_MAX];
	unsigned npeers;
	ev_timer ann;			/* the next announcement */
	unsigned ann_from;		/* where the next announcement's list starts (a rotation) */
	double ann_tokens;		/* announcements that may still be read this second */
	ev_tstamp ann_refill;
	struct vxseal *seal;		/* the key's state; NULL: not keyed */
	uint8_t (*sealed)[VX_SEALED_MAX];	/* PORT_BATCH sealed datagrams (keyed only) */
	/* per-batch scratch of the send side (the receive side uses the data path's lent batch) */
	struct mmsghdr out[PORT_BATCH];
	struct iovec oiov[PORT_BATCH][PORT_TXIOV + 1];
	struct mmsghdr pout[VXVDE_PEERS_MAX];	/* one flooded datagram's copies to peers */
};

static void vx_free(struct vx_port *vx)
{
	if (vx->seal)
		memset(vx->seal, 0, sizeof(*vx->seal));	/* the key schedule */
	free(vx->seal);
	free(vx->sealed);
	free(vx);
}

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

int vxvde_parse_peer(const char *text, struct vxvde_spec *spec)
{
	union vxproto_addr a;

	if (vxproto_parse_peer(text, VXVDE_PEER_PORT, &a) < 0 || a.sa.sa_family != spec->group.ss_family)
		return -EINVAL;
	if (spec->npeers >= VXVDE_PEERS_CONF)
		return -ENOSPC;
	spec->peers[spec->npeers++] = a;
	return 0;
}

static int vx_family(const struct vx_port *vx)
{
	return vx->spec.group.ss_family;
}

static struct vx_peer *vx_peer_find(struct vx_port *vx, const union vxproto_addr *a)
{
	for (unsigned i = 0; i < vx->npeers; i++)
		if (memcmp(&vx->peers[i].a, a, sizeof(*a)) == 0)
			return &vx->peers[i];
	return NULL;
}

/* Whether a lies inside the prefix of one of this host's addresses (on one of its links). */
static bool vx_on_link(const union vxproto_addr *a)
{
	struct ifaddrs *ifa, *i;
	bool found = false;

	if (getifaddrs(&ifa) < 0)
		return false;
	for (i = ifa; i && !found; i = i->ifa_next) {
		const uint8_t *x, *m, *y;
		size_t len;

		if (!i->ifa_addr || !i->ifa_netmask || i->ifa_addr->sa_family != a->sa.sa_family)
			continue;
		if (a->sa.sa_family == AF_INET) {
			x = (const uint8_t *)&((struct sockaddr_in *)i->ifa_addr)->sin_addr;
			m = (const uint8_t *)&((struct sockaddr_in *)i->ifa_netmask)->sin_addr;
			y = (const uint8_t *)&a->in.sin_addr;
			len = 4;
		} else {
			x = (const uint8_t *)&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
			m = (const uint8_t *)&((struct sockaddr_in6 *)i->ifa_netmask)->sin6_addr;
			y = (const uint8_t *)&a->in6.sin6_addr;
			len = 16;
		}
		found = true;
		for (size_t k = 0; k < len; k++)
			if ((x[k] & m[k]) != (y[k] & m[k]))
				found = false;
	}
	freeifaddrs(ifa);
	return found;
}

static void vx_announce_soon(struct vx_port *vx)
{
	/* a batch of news goes out together, a moment later */
	if (ev_timer_remaining(network_loop(), &vx->ann) > 0.2) {
		ev_timer_stop(network_loop(), &vx->ann);
		ev_timer_set(&vx->ann, 0.2, VXVDE_ANNOUNCE_EVERY);
		ev_timer_start(network_loop(), &vx->ann);
	}
}

/* Take a as a learned peer (heard now if it announced itself). Returns it, or NULL when refused. */
static struct vx_peer *vx_peer_learn(struct vx_port *vx, const union vxproto_addr *a, time_t now, bool self)
{
	struct vx_peer *pe = vx_peer_find(vx, a);

	if (!pe) {
		if (vxproto_is_own(&vx->self, a, now))
			return NULL;	/* ourselves, as another peer knows us */
		/* never loopback (services of this host), a group, or without the key off our links */
		bool loop = a->sa.sa_family == AF_INET ? (ntohl(a->in.sin_addr.s_addr) >> 24) == 127
						       : IN6_IS_ADDR_LOOPBACK(&a->in6.sin6_addr) ||
								 IN6_IS_ADDR_V4MAPPED(&a->in6.sin6_addr);

		if (loop || vxproto_addr_is_multicast(a) || (!vx->seal && !vx_on_link(a)) ||
		    vx->npeers >= VXVDE_PEERS_MAX) {
			vx->peers_refused++;
			return NULL;
		}
		pe = &vx->peers[vx->npeers++];
		memset(pe, 0, sizeof(*pe));
		pe->a = *a;
		/* a peer named by another lives as if just heard, until it announces itself or expires */
		pe->heard = now;
		vx_announce_soon(vx);
	}
	if (self)
		pe->heard = now;
	return pe;
}

/* An announcement of len bytes from `from`: learn the sender and what it lists. */
static void vx_announce_read(struct vx_port *vx, const uint8_t *d, size_t len, const union vxproto_addr *from,
			     time_t now)
{
	union vxproto_addr list[VXPROTO_ANN_MAX];
	ev_tstamp t = ev_now(network_loop());
	int n;

	vx->ann_tokens += (t - vx->ann_refill) * VXVDE_ANN_RATE;
	if (vx->ann_tokens > VXVDE_ANN_RATE)
		vx->ann_tokens = VXVDE_ANN_RATE;
	vx->ann_refill = t;
	n = vxproto_announce_parse(d, len, vx->spec.vni, vx_family(vx), list);
	if (n < 0 || vx->ann_tokens < 1) {
		vx->rx_announce_refused++;
		return;
	}
	vx->ann_tokens -= 1;
	vx->rx_announce++;
	if (!vx_peer_learn(vx, from, now, true))
		return;		/* a sender we do not take is not asked who else there is */
	for (int i = 0; i < n; i++)
		vx_peer_learn(vx, &list[i], now, false);
}

/*
 * Receive on fd into the lent batch; report each vxvde frame of our VNI with its header stripped (its
 * sender learned), skip the rest. The senders come with the batch (this kind's ops ask for them); what is
 * kept beyond the call is copied into the port's own table. A keyed network opens each datagram in place
 * first.
 */
static int vx_recv_from(struct port *p, int fd, struct port_rxbatch *b, bool mcast)
{
	struct vx_port *vx = p->kind_data;
	time_t now = (time_t)ev_now(network_loop());
	int got;

	if (!b->addr)
		return -EINVAL;		/* vx_port_ops asks for senders: without them nothing can be learned */
	got = port_rx_recvmmsg(b, fd);
	for (int i = 0; i < got; i++) {
		size_t len = b->frame[i].len, off = 0;
		uint8_t *d = port_rx_slot(b, (unsigned)i);
		bool trunc = b->frame[i].flags & PORT_FRAME_TRUNC;
		enum vxproto_kind kind;
		union vxproto_addr from;
		struct vx_peer *pe;

		b->frame[i].flags = PORT_FRAME_SKIP;
		if (trunc || vxproto_addr_norm(&from, &b->addr[i], b->addrlen[i]) < 0 ||
		    from.sa.sa_family != vx_family(vx)) {
			vx->rx_foreign++;	/* a giant, or no usable sender */
			continue;
		}
		if (vxproto_is_own(&vx->self, &from, now)) {
			vx->rx_own++;
			continue;
		}
		if (vx->seal) {
			int r = vxseal_open(vx->seal, d, len, &len);

			if (r < 0) {
				if (r == -EALREADY)
					vx->rx_replay++;
				else
					vx->rx_bad_tag++;
				continue;
			}
			d += VXSEAL_HDRLEN;
			off = VXSEAL_HDRLEN;
		}
		if (mcast && (pe = vx_peer_find(vx, &from)))
			pe->mcast = now;
		if (!mcast && vxproto_is_announce(d, len)) {
			vx_announce_read(vx, d, len, &from, now);
			continue;
		}
		kind = vxproto_classify(vx->hdr, d, len);
		if (kind == VXPROTO_IGNORE) {
			vx->rx_foreign++;	/* another VNI, not vxvde, a runt */
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
		port_rx_set(b, (unsigned)i, (uint32_t)(off + VXPROTO_HDRLEN), (uint32_t)len, 0);
	}
	return got;
}

static int vx_recv_unicast(struct port *p, struct port_rxbatch *b)
{
	return vx_recv_from(p, p->fd, b, false);
}

static int vx_recv_multicast(struct port *p, struct port_rxbatch *b)
{
	return vx_recv_from(p, ((struct vx_port *)p->kind_data)->mfd, b, true);
}

static void vx_mcast_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	network_port_receive(w->data, vx_recv_multicast);
}

static int vx_send_errno(int err)
{
	/* an unreachable peer or a full queue costs that frame, never the uplink */
	if (err == EAGAIN || err == ENOBUFS)
		return -EAGAIN;
	return err == ENETUNREACH || err == EHOSTUNREACH || err == ECONNREFUSED || err == EMSGSIZE ? -EMSGSIZE
												    : -err;
}

/* Seal message h (its iovecs: our header and the frame's pieces) into buffer k; h then points at it. */
static int vx_seal_msg(struct vx_port *vx, struct msghdr *h, unsigned k)
{
	uint8_t *buf = vx->sealed[k], *at = buf + VXSEAL_HDRLEN;
	size_t len = 0;
	int ret;

	for (size_t j = 0; j < h->msg_iovlen; j++) {
		if (h->msg_iov[j].iov_len > VXPROTO_HDRLEN + VXPROTO_FRAME_MAX - len)
			return -EMSGSIZE;
		memcpy(at + len, h->msg_iov[j].iov_base, h->msg_iov[j].iov_len);
		len += h->msg_iov[j].iov_len;
	}
	ret = vxseal_seal(vx->seal, buf, len);
	if (ret < 0)
		return ret;
	h->msg_iov[0].iov_base = buf;
	h->msg_iov[0].iov_len = (size_t)ret;
	h->msg_iovlen = 1;
	return 0;
}

/* Copies of flooded message h to every peer not heard on the group. */
static void vx_send_peers(struct vx_port *vx, int fd, const struct msghdr *h, time_t now)
{
	unsigned n = 0;

	for (unsigned i = 0; i < vx->npeers; i++) {
		struct msghdr *c = &vx->pout[n].msg_hdr;

		if (vx->peers[i].mcast && now - vx->peers[i].mcast < VXVDE_MCAST_SEEN)
			continue;
		*c = *h;
		c->msg_name = &vx->peers[i].a;
		c->msg_namelen = vxproto_addr_len(&vx->peers[i].a);
		n++;
	}
	for (unsigned done = 0; done < n;) {
		int sent = sendmmsg(fd, vx->pout + done, n - done, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (sent <= 0) {
			done++;		/* that peer misses this one; the others still get theirs */
			continue;
		}
		vx->tx_peer += (unsigned)sent;
		done += (unsigned)sent;
	}
}

static int vx_send_batch(struct port *p, struct mmsghdr *msgs, unsigned n)
{
	struct vx_port *vx = p->kind_data;
	time_t now = (time_t)ev_now(network_loop());
	int sent;

	for (unsigned i = 0; i < n; i++) {
		const struct msghdr *in = &msgs[i].msg_hdr;
		const uint8_t *f = in->msg_iov[0].iov_base;
		union vxproto_addr *to = NULL;
		struct msghdr *h = &vx->out[i].msg_hdr;
		uint8_t head[16];
		size_t have = 0;

		/* the destination and its VLAN tag may span the frame's first pieces (tagged on the way out) */
		for (size_t j = 0; j < in->msg_iovlen && have < sizeof(head); j++) {
			size_t take = in->msg_iov[j].iov_len < sizeof(head) - have ? in->msg_iov[j].iov_len
										: sizeof(head) - have;
			memcpy(head + have, in->msg_iov[j].iov_base, take);
			have += take;
		}
		if (have >= 6 && !(f[0] & 1))
			to = machash_find(vx->table, head, machash_frame_vlan(head, have), now - VXVDE_EXPIRE);
		vx->oiov[i][0].iov_base = vx->hdr;
		vx->oiov[i][0].iov_len = VXPROTO_HDRLEN;
		memset(h, 0, sizeof(*h));
		for (size_t j = 0; j < in->msg_iovlen && j < PORT_TXIOV; j++)
			vx->oiov[i][1 + j] = in->msg_iov[j];
		h->msg_iov = vx->oiov[i];
		h->msg_iovlen = 1 + (in->msg_iovlen < PORT_TXIOV ? in->msg_iovlen : PORT_TXIOV);
		h->msg_name = to ? (void *)to : (void *)&vx->spec.group;
		h->msg_namelen = to ? vxproto_addr_len(to) : vx->spec.group_len;
		if (vx->seal && vx_seal_msg(vx, h, i) < 0) {
			/* cannot happen for frames the data path sends; dropped as too big if it does */
			h->msg_iovlen = 1;
			h->msg_iov[0].iov_len = 0;
		}
	}
	/* every send leaves from the unicast socket: its source port is how peers learn us */
	sent = sendmmsg(p->fd, vx->out, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (sent < 0)
		return vx_send_errno(errno);
	if (vx->npeers)
		for (int i = 0; i < sent; i++)
			if (vx->out[i].msg_hdr.msg_name == (void *)&vx->spec.group)
				vx_send_peers(vx, p->fd, &vx->out[i].msg_hdr, now);
	return sent;
}

/* Send one of our own datagrams (goodbye, announcement: d, len) to `to`, sealed on a keyed network. */
static void vx_send_own(struct port *p, const uint8_t *d, size_t len, const void *to, socklen_t tolen)
{
	struct vx_port *vx = p->kind_data;
	uint8_t buf[VXSEAL_OVERHEAD + VXPROTO_ANN_SIZE];
	int n = (int)len;

	if (len > VXPROTO_ANN_SIZE)
		return;
	if (vx->seal) {
		memcpy(buf + VXSEAL_HDRLEN, d, len);
		if ((n = vxseal_seal(vx->seal, buf, len)) < 0)
			return;
		d = buf;
	}
	sendto(p->fd, d, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL, to, tolen);
}

/* Every VXVDE_ANNOUNCE_EVERY seconds: drop the learned peers gone quiet, tell each peer the others. */
static void vx_announce_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct port *p = w->data;
	struct vx_port *vx = p->kind_data;
	time_t now = (time_t)ev_now(loop);
	union vxproto_addr list[VXPROTO_ANN_MAX];
	uint8_t ann[VXPROTO_ANN_SIZE];

	for (unsigned i = 0; i < vx->npeers;) {
		if (!vx->peers[i].configured && now - vx->peers[i].heard > VXVDE_PEER_EXPIRE)
			vx->peers[i] = vx->peers[--vx->npeers];
		else
			i++;
	}
	for (unsigned to = 0; to < vx->npeers; to++) {
		unsigned n = 0;
		int len;

		/* a peer heard on the group learns the others there itself */
		if (vx->peers[to].mcast && now - vx->peers[to].mcast < VXVDE_MCAST_SEEN)
			continue;
		for (unsigned k = 0; k < vx->npeers && n < VXPROTO_ANN_MAX; k++) {
			unsigned i = (vx->ann_from + k) % vx->npeers;

			if (i != to)
				list[n++] = vx->peers[i].a;
		}
		len = vxproto_announce_build(vx->spec.vni, list, n, ann);
		if (len > 0)
			vx_send_own(p, ann, (size_t)len, &vx->peers[to].a, vxproto_addr_len(&vx->peers[to].a));
	}
	if (vx->npeers > VXPROTO_ANN_MAX)
		vx->ann_from = (vx->ann_from + VXPROTO_ANN_MAX) % vx->npeers;
	ev_timer_stop(loop, w);
	ev_timer_set(w, VXVDE_ANNOUNCE_EVERY, VXVDE_ANNOUNCE_EVERY);
	ev_timer_start(loop, w);
}

int vxvde_set_peers(struct port *p, const union vxproto_addr *peers, unsigned n)
{
	struct vx_port *vx = p->kind_data;

	if (!vx || n > VXVDE_PEERS_CONF)
		return -EINVAL;
	for (unsigned i = 0; i < vx->npeers; i++)
		vx->peers[i].configured = false;
	for (unsigned i = 0; i < n; i++) {
		struct vx_peer *pe = vx_peer_find(vx, &peers[i]);

		if (!pe) {
			unsigned j = vx->npeers;

			/* full: a configured peer takes a learned one's place (there are at most 16 configured) */
			if (j >= VXVDE_PEERS_MAX)
				for (j = 0; j < vx->npeers && vx->peers[j].configured; j++)
					;
			if (j >= VXVDE_PEERS_MAX)
				return -ENOSPC;
			if (j == vx->npeers)
				vx->npeers++;
			pe = &vx->peers[j];
			memset(pe, 0, sizeof(*pe));
			pe->a = peers[i];
			pe->heard = (time_t)ev_now(network_loop());
		}
		pe->configured = true;
	}
	memcpy(vx->spec.peers, peers, n * sizeof(*peers));
	vx->spec.npeers = n;
	vx_announce_soon(vx);
	return 0;
}

struct port *vxvde_find(struct network *net)
{
	for (struct port *p = net->port_list; p; p = p->net_next)
		if (!p->dead && p->ops->send_batch == vx_send_batch)
			return p;
	return NULL;
}

static void vx_destroy(struct port *p)
{
	struct vx_port *vx = p->kind_data;

	if (!vx)
		return;
	/* goodbye: peers drop what they learned from us at once */
	vx_send_own(p, vx->hdr, VXPROTO_HDRLEN, &vx->spec.group, vx->spec.group_len);
	for (unsigned i = 0; i < vx->npeers; i++)
		vx_send_own(p, vx->hdr, VXPROTO_HDRLEN, &vx->peers[i].a, vxproto_addr_len(&vx->peers[i].a));
	ev_io_stop(network_loop(), &vx->mio);
	ev_timer_stop(network_loop(), &vx->ann);
	close(vx->mfd);
	machash_free(vx->table);
	vx_free(vx);
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
	json_object_object_add(v, "rx_announce", json_object_new_int64((int64_t)vx->rx_announce));
	json_object_object_add(v, "rx_announce_refused", json_object_new_int64((int64_t)vx->rx_announce_refused));
	json_object_object_add(v, "peers_refused", json_object_new_int64((int64_t)vx->peers_refused));
	json_object_object_add(v, "tx_peer", json_object_new_int64((int64_t)vx->tx_peer));
	json_object_object_add(v, "keyed", json_object_new_boolean(vx->seal != NULL));
	if (vx->seal) {
		json_object_object_add(v, "encrypted", json_object_new_boolean(vx->seal->encrypt));
		json_object_object_add(v, "rx_bad_tag", json_object_new_int64((int64_t)vx->rx_bad_tag));
		json_object_object_add(v, "rx_replay", json_object_new_int64((int64_t)vx->rx_replay));
	}
	json_object_object_add(v, "local_port", json_object_new_int((int)ntohs(vx->self.port)));
	{
		struct json_object *list = json_object_new_array();
		time_t now = (time_t)ev_now(network_loop());

		for (unsigned i = 0; i < vx->npeers; i++) {
			const struct vx_peer *pe = &vx->peers[i];
			struct json_object *x = json_object_new_object();
			char host[INET6_ADDRSTRLEN] = "?", text[INET6_ADDRSTRLEN + 10];

			if (pe->a.sa.sa_family == AF_INET)
				inet_ntop(AF_INET, &pe->a.in.sin_addr, host, sizeof(host));
			else
				inet_ntop(AF_INET6, &pe->a.in6.sin6_addr, host, sizeof(host));
			snprintf(text, sizeof(text), pe->a.sa.sa_family == AF_INET ? "%s:%u" : "[%s]:%u", host,
				 ntohs(pe->a.sa.sa_family == AF_INET ? pe->a.in.sin_port : pe->a.in6.sin6_port));
			json_object_object_add(x, "address", json_object_new_string(text));
			json_object_object_add(x, "configured", json_object_new_boolean(pe->configured));
			json_object_object_add(x, "heard", json_object_new_int64((int64_t)(now - pe->heard)));
			json_object_object_add(x, "on_group",
					       json_object_new_boolean(pe->mcast && now - pe->mcast < VXVDE_MCAST_SEEN));
			json_object_array_add(list, x);
		}
		json_object_object_add(v, "peers", list);
	}
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
		any.in.sin_port = htons((uint16_t)vx->spec.peer_port);
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
		any.in6.sin6_port = htons((uint16_t)vx->spec.peer_port);
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
	if (spec->keyed) {
		vx->seal = malloc(sizeof(*vx->seal));
		vx->sealed = malloc(PORT_BATCH * sizeof(*vx->sealed));
		if (!vx->seal || !vx->sealed || vxseal_init(vx->seal, spec->key, spec->encrypt) < 0) {
			vx_free(vx);
			return vde_error_set(e, PROTO_ERR_INTERNAL, EAGAIN, "cannot set up the network key");
		}
		/* the port's copy is the one in use; the spec's is the caller's */
		memset(vx->spec.key, 0, sizeof(vx->spec.key));
	}
	/* seeded per port: a peer cannot aim its source addresses at one bucket */
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed))
		seed = (uint64_t)(uintptr_t)vx * 0x9e3779b97f4a7c15ull ^ (uint64_t)ev_now(network_loop());
	vx->table = machash_new(VXVDE_HASHSIZE, seed, sizeof(union vxproto_addr));
	if (!vx->table) {
		vx_free(vx);
		return vde_error_set(e, PROTO_ERR_INTERNAL, ENOMEM, "out of memory");
	}
	ret = vx_open_sockets(vx, &ufd, e);
	if (ret < 0) {
		machash_free(vx->table);
		vx_free(vx);
		return ret;
	}
	ret = network_port_add(net, ufd, &vx_port_ops, keep_port_want(net, "vxvde", "vxvde"), &p, e);
	if (ret < 0) {
		close(vx->mfd);
		machash_free(vx->table);
		vx_free(vx);
		return ret;
	}
	p->kind_data = vx;
	ev_io_init(&vx->mio, vx_mcast_cb, vx->mfd, EV_READ);
	vx->mio.data = p;
	ev_io_start(network_loop(), &vx->mio);
	ev_timer_init(&vx->ann, vx_announce_cb, VXVDE_ANNOUNCE_EVERY, VXVDE_ANNOUNCE_EVERY);
	vx->ann.data = p;
	ev_timer_start(network_loop(), &vx->ann);
	vx->ann_tokens = VXVDE_ANN_RATE;
	vx->ann_refill = ev_now(network_loop());
	vxvde_set_peers(p, spec->peers, spec->npeers);
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
