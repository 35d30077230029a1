#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "caprec.h"
#include "dataplane/network.h"
#include "dataplane/offload.h"
#include "dataplane/switch.h"

static struct ev_loop *net_loop;
static struct network *net_list;
static unsigned net_count;
static unsigned net_max = 1024;
static const struct network_hooks *net_hooks;
static const struct network_capture_ops *net_capture;	/* set with the first capture */
static void (*net_port_gone)(struct port *p);
static const struct network_observer *net_observer;
static bool net_mac_watch;		/* the observer wants MAC table changes (network_set_mac_watch) */
static ev_timer net_age_timer;
static ev_check net_reap_check;
static struct port *net_reap_list;	/* dead ports waiting to be freed, linked by reap_next */

/* The frames of the batch being switched (port.c owns the batch itself; see port_rx_lend). */
static struct port_rxframe rx_kept[PORT_BATCH];
static bool rx_busy;

void network_set_port_gone(void (*fn)(struct port *p))
{
	net_port_gone = fn;
}

struct ev_loop *network_loop(void)
{
	return net_loop;
}

void network_set_max(unsigned max)
{
	net_max = max;
}

struct network *network_first(void)
{
	return net_list;
}

unsigned network_count(void)
{
	return net_count;
}

struct network *network_find(const char *name)
{
	for (struct network *n = net_list; n; n = n->next)
		if (strcmp(n->def.name, name) == 0)
			return n;
	return NULL;
}

/* ---- data path ---- */

/* What the switch recorded of its MAC table, to the observer (only while it watches). */
static void network_report_macs(struct network *net)
{
	unsigned n, lost;
	const struct switch_mac_change *c = switch_changes_take(net->sw, &n, &lost);

	if ((n || lost) && net_observer && net_observer->macs)
		net_observer->macs(net, c, n, lost);
}

static void network_port_flush(struct network *net, struct port *p);

/* The 802.1Q tags the data path inserts, one per VID: an iovec points at them, nothing is copied. */
static uint8_t vlan_tags[SWITCH_VLAN_MAX + 1][4];

/* hdr as it must be for a frame tagged as tx says: itself, or (offsets that count from the frame's
 * start moved by the 4 bytes of a tag) a copy in *moved. */
static inline const struct virtio_net_hdr *network_hdr_for(const struct virtio_net_hdr *hdr, enum switch_tx tx,
							    struct virtio_net_hdr *moved)
{
	int d = tx == SWITCH_TX_PUSH ? 4 : -4;

	if (tx == SWITCH_TX_ASIS || !(hdr->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM || hdr->hdr_len))
		return hdr;
	*moved = *hdr;
	if (moved->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
		moved->csum_start = (uint16_t)(moved->csum_start + d);
	if (moved->hdr_len)
		moved->hdr_len = (uint16_t)(moved->hdr_len + d);
	return moved;
}

/*
 * Queue one frame (after hdr, if not NULL) for p, tagged as tx says (switch_egress): as it is, without
 * its outer tag ([12 bytes][after the tag]) or with a tag of vlan ([12 bytes][tag][rest]); a full queue
 * is sent at once. A virtio-net header whose offsets count from the frame's start is copied into the
 * port's own slot and moved by the 4 bytes.
 */
static inline void network_push_now(struct network *net, struct port *p, const struct virtio_net_hdr *hdr,
				    uint8_t *frame, size_t len, enum switch_tx tx, uint16_t vlan)
{
	struct iovec *iov;
	unsigned k, n = 0;

	if (p->txq_len == PORT_BATCH) {
		network_port_flush(net, p);	/* only segmentation makes more than a batch */
		if (p->dead)
			return;
	}
	k = p->txq_len++;
	if (!p->tx_listed) {
		p->tx_listed = true;
		p->tx_next = net->tx_dirty;
		net->tx_dirty = p;
	}
	iov = &p->txiov[PORT_TXIOV * k];
	p->txq[k].msg_hdr.msg_iov = iov;
	if (hdr) {
		hdr = network_hdr_for(hdr, tx, &p->txhdr[k]);
		iov[n].iov_base = (void *)(uintptr_t)hdr;
		iov[n++].iov_len = OFFLOAD_HDR_LEN;
	}
	switch (tx) {
	case SWITCH_TX_POP:
		iov[n].iov_base = frame;
		iov[n++].iov_len = 12;
		iov[n].iov_base = frame + 16;
		iov[n++].iov_len = len - 16;
		break;
	case SWITCH_TX_PUSH:
		iov[n].iov_base = frame;
		iov[n++].iov_len = 12;
		iov[n].iov_base = vlan_tags[vlan];
		iov[n++].iov_len = 4;
		iov[n].iov_base = frame + 12;
		iov[n++].iov_len = len - 12;
		break;
	default:
		iov[n].iov_base = frame;
		iov[n++].iov_len = len;
		break;
	}
	p->txq[k].msg_hdr.msg_iovlen = n;
}

/* ---- rate limits and impairment (dataplane/shaper.h) ---- */

/* A port's shaper and the timer that releases what it queued. */
struct port_shape {
	struct shaper *sh;
	ev_timer timer;
	uint64_t armed;			/* ns the timer is set for, while active */
	struct port *port;
};

/* The shaper's clock: monotonic, so that setting the wall clock neither stalls nor floods a port. */
static uint64_t shape_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * SHAPER_NS + (uint64_t)ts.tv_nsec;
}

/* Set the timer for the shaper's next release, if that is earlier than it is set for (or it is not). */
static void shape_arm(struct port_shape *ps, uint64_t now)
{
	uint64_t next = shaper_next(ps->sh);

	if (next == UINT64_MAX || (ev_is_active(&ps->timer) && ps->armed <= next))
		return;
	ev_timer_stop(net_loop, &ps->timer);
	ev_timer_set(&ps->timer, next > now ? (double)(next - now) / 1e9 : 0., 0.);
	ev_timer_start(net_loop, &ps->timer);
	ps->armed = next;
}

static void network_flush(struct network *net);

/* The timer: send what is due, a batch at a time, from the shaper's queue (its own copies). Runs from
 * the loop (or a control request), between receive batches: no port has frames of the shared batch
 * queued then. */
static void shape_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct port_shape *ps = (struct port_shape *)((char *)w - offsetof(struct port_shape, timer));
	struct port *p = ps->port;
	struct shaper_frame f[PORT_BATCH];
	uint64_t now = shape_now();
	unsigned n;

	if (p->dead)
		return;
	while ((n = shaper_due(ps->sh, now, f, PORT_BATCH)) > 0) {
		for (unsigned i = 0; i < n; i++)
			network_push_now(p->net, p, f[i].hdrlen ? (const struct virtio_net_hdr *)(const void *)f[i].hdr : NULL,
					 (uint8_t *)(uintptr_t)f[i].data, f[i].len, SWITCH_TX_ASIS, 0);
		network_flush(p->net);
		shaper_release(ps->sh, n);
		if (p->dead)
			return;
	}
	shape_arm(ps, now);
}

static struct port_shape *shape_new(struct port *p, const struct shaper_conf *conf)
{
	struct port_shape *ps = calloc(1, sizeof(*ps));
	uint64_t seed = 0;

	if (!ps)
		return NULL;
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = shape_now() ^ ((uint64_t)p->id << 32);
	ps->sh = shaper_new(conf, seed, shape_now());
	if (!ps->sh) {
		free(ps);
		return NULL;
	}
	ps->port = p;
	ev_init(&ps->timer, shape_timer_cb);
	return ps;
}

static void shape_free(struct port_shape *ps)
{
	if (!ps)
		return;
	ev_timer_stop(net_loop, &ps->timer);
	shaper_free(ps->sh);
	free(ps);
}

/*
 * A frame for a port with shaping: the shaper sends it now (once or twice), queues copies, or drops it.
 * What it queues is the frame as it leaves (tagged as tx says, its header moved to match): a tagged frame
 * is made whole in a scratch buffer first, since the queue keeps one copy of its own.
 */
static void network_push_shaped(struct network *net, struct port *p, const struct virtio_net_hdr *hdr,
				uint8_t *frame, size_t len, enum switch_tx tx, uint16_t vlan)
{
	static uint8_t whole[OFFLOAD_MAX_FRAME + 4 + 8];
	struct port_shape *ps = p->shape;
	struct virtio_net_hdr moved;
	const struct virtio_net_hdr *qh = hdr ? network_hdr_for(hdr, tx, &moved) : NULL;
	const uint8_t *qf = frame;
	size_t qlen = len;
	uint64_t now = shape_now();
	unsigned direct;

	if (tx == SWITCH_TX_POP && len >= 16 && len - 4 <= sizeof(whole)) {
		memcpy(whole, frame, 12);
		memcpy(whole + 12, frame + 16, len - 16);
		qf = whole;
		qlen = len - 4;
	} else if (tx == SWITCH_TX_PUSH && len >= 12 && len + 4 <= sizeof(whole)) {
		memcpy(whole, frame, 12);
		memcpy(whole + 12, vlan_tags[vlan], 4);
		memcpy(whole + 16, frame + 12, len - 12);
		qf = whole;
		qlen = len + 4;
	}
	direct = shaper_egress(ps->sh, qh, qh ? (uint32_t)OFFLOAD_HDR_LEN : 0, qf, (uint32_t)qlen, now);
	for (unsigned i = 0; i < direct && !p->dead; i++)
		network_push_now(net, p, hdr, frame, len, tx, vlan);
	shape_arm(ps, now);
}

static inline void network_push(struct network *net, struct port *p, const struct virtio_net_hdr *hdr,
				uint8_t *frame, size_t len, enum switch_tx tx, uint16_t vlan)
{
	if (p->shape) {
		network_push_shaped(net, p, hdr, frame, len, tx, vlan);
		return;
	}
	network_push_now(net, p, hdr, frame, len, tx, vlan);
}

/* Give p the shaping its number has now (its own, else the network's default), or take it away. */
static int shape_apply(struct network *net, struct port *p)
{
	const struct shaper_conf *conf = network_port_shaping(net, p->id);
	static const struct shaper_conf none;

	if (p->dead)
		return 0;
	if (conf && !p->shape) {
		p->shape = shape_new(p, conf);
		return p->shape ? 0 : -ENOMEM;
	}
	if (conf) {
		shaper_reconf(p->shape->sh, conf, shape_now());
	} else if (p->shape) {
		/* what it had queued goes now, as it would have without the settings */
		shaper_reconf(p->shape->sh, &none, shape_now());
		shape_timer_cb(net_loop, &p->shape->timer, 0);
		if (!shaper_queued(p->shape->sh) && !p->dead) {
			shape_free(p->shape);
			p->shape = NULL;
		}
	}
	return 0;
}

int network_port_shaping_set(struct network *net, unsigned id, const struct shaper_conf *conf)
{
	bool on = shaper_conf_active(conf);
	struct shaper_conf old;
	int ret = 0;

	if (id > net->def.max_ports)
		return -EINVAL;
	if (!net->shape_conf) {
		if (!on)
			return 0;
		net->shape_conf = calloc(net->def.max_ports + 1, sizeof(*net->shape_conf));
		if (!net->shape_conf)
			return -ENOMEM;
	}
	old = net->shape_conf[id];
	net->shape_conf[id] = on ? *conf : (struct shaper_conf){ 0 };
	/* the default (0) reaches every port without settings of its own */
	for (struct port *p = net->port_list; p && ret == 0; p = p->net_next)
		if (p->id == id || (id == 0 && !network_port_shaping_own(net, p->id)))
			ret = shape_apply(net, p);
	if (ret < 0) {
		net->shape_conf[id] = old;
		for (struct port *p = net->port_list; p; p = p->net_next)
			if (p->id == id || id == 0)
				shape_apply(net, p);
	}
	return ret;
}

const struct shaper_conf *network_port_shaping_own(const struct network *net, unsigned id)
{
	if (!net->shape_conf || id > net->def.max_ports || !shaper_conf_active(&net->shape_conf[id]))
		return NULL;
	return &net->shape_conf[id];
}

const struct shaper_conf *network_port_shaping(const struct network *net, unsigned id)
{
	const struct shaper_conf *own = network_port_shaping_own(net, id);

	return own ? own : network_port_shaping_own(net, 0);
}

const struct shaper_stats *network_port_shaper_stats(const struct port *p)
{
	return p->shape ? shaper_stats(p->shape->sh) : NULL;
}

/*
 * Segments of the current batch's offloaded frames, made once per frame for every port without
 * offloads that it goes to (a flood reuses them), in an arena reset at each batch.
 */
#define SEG_ARENA_PER_FRAME (OFFLOAD_MAX_FRAME + 8192)
#define SEG_MAX_PER_FRAME 128
static uint8_t *seg_arena;
static size_t seg_arena_used;
static struct offload_seg seg_list[PORT_BATCH * SEG_MAX_PER_FRAME];
static unsigned seg_list_used;
static struct {
	int first, count;	/* count 0: not made yet, -1: could not be made */
} seg_cache[PORT_BATCH];

/*
 * The segments of the batch's frame idx (an offloaded frame), made on first use: how many (*first
 * indexes seg_list), or -1 if it cannot be cut (malformed, or more segments than allowed).
 */
static int network_segments(unsigned idx, const uint8_t *frame, size_t len, const struct virtio_net_hdr *vh,
			    int *first)
{
	if (seg_cache[idx].count == 0) {
		int n = -ENOMEM;
		if (!seg_arena)
			seg_arena = malloc((size_t)PORT_BATCH * SEG_ARENA_PER_FRAME);
		if (seg_arena)
			n = offload_segment(frame, len, vh, seg_arena + seg_arena_used,
					    (size_t)PORT_BATCH * SEG_ARENA_PER_FRAME - seg_arena_used,
					    seg_list + seg_list_used, SEG_MAX_PER_FRAME);
		if (n <= 0) {
			seg_cache[idx].count = -1;
		} else {
			seg_cache[idx].first = (int)seg_list_used;
			seg_cache[idx].count = n;
			for (int j = 0; j < n; j++)
				seg_list[seg_list_used + (unsigned)j].off += (uint32_t)seg_arena_used;
			seg_arena_used = seg_list[seg_list_used + (unsigned)n - 1].off +
					 seg_list[seg_list_used + (unsigned)n - 1].len;
			seg_list_used += (unsigned)n;
		}
	}
	*first = seg_cache[idx].first;
	return seg_cache[idx].count;
}

static inline void network_queue(struct network *net, struct port *p, unsigned idx, uint8_t *frame, size_t len,
				 const struct virtio_net_hdr *vh, enum switch_tx tx, uint16_t vlan)
{
	static const struct virtio_net_hdr plain;
	int first, count;

	if (p->vnet) {
		network_push(net, p, vh ? vh : &plain, frame, len, tx, vlan);
		return;
	}
	if (!vh) {
		network_push(net, p, NULL, frame, len, tx, vlan);
		return;
	}
	count = network_segments(idx, frame, len, vh, &first);
	if (count < 0) {
		switch_port_stats(net->sw, p->id)->tx_dropped++;	/* malformed, or more segments than allowed */
		return;
	}
	for (int j = 0; j < count; j++) {
		struct offload_seg *sg = &seg_list[first + j];
		network_push(net, p, NULL, seg_arena + sg->off, sg->len, tx, vlan);
	}
}

/*
 * Hand frame idx of the batch to the network's captures as a wire carries it, as received from port
 * (CAPREC_DIR_IN) or delivered to it (CAPREC_DIR_OUT, as switched: before the port's VLAN tagging): an
 * offloaded frame as the segments the ports without offloads get (the same ones, made once), or whole
 * and marked if it cannot be cut. Only called while a capture runs.
 */
static void network_capture(struct network *net, unsigned port, uint8_t dir, unsigned idx, uint8_t *frame,
			    size_t len, const struct virtio_net_hdr *vh)
{
	struct capture_piece pieces[SEG_MAX_PER_FRAME];
	int first, count;

	if (!vh) {
		pieces[0] = (struct capture_piece){ frame, (uint32_t)len };
		net_capture->frame(net, port, dir, pieces, 1, 0);
		return;
	}
	count = network_segments(idx, frame, len, vh, &first);
	if (count < 0) {
		pieces[0] = (struct capture_piece){ frame, (uint32_t)len };
		net_capture->frame(net, port, dir, pieces, 1, CAPREC_F_GSO);
		return;
	}
	for (int j = 0; j < count; j++)
		pieces[j] = (struct capture_piece){ seg_arena + seg_list[first + j].off, seg_list[first + j].len };
	net_capture->frame(net, port, dir, pieces, (unsigned)count,
			   vh->gso_type != VIRTIO_NET_HDR_GSO_NONE ? CAPREC_F_SEGMENTED : 0);
}

static inline int network_peer_gone(int err)
{
	/* not EIO: a tap that is down answers EIO, and comes back when it is set up */
	return err == ECONNREFUSED || err == EPIPE || err == ENOTCONN || err == ECONNRESET || err == EBADF;
}

static void network_port_flush(struct network *net, struct port *p)
{
	struct switch_port_stats *st = switch_port_stats(net->sw, p->id);
	unsigned done = 0, n = p->txq_len;

	p->txq_len = 0;
	while (done < n) {
		int sent = p->ops->send_batch(p, p->txq + done, n - done);

		if (sent > 0) {
			st->tx_frames += (unsigned)sent;
			for (int i = 0; i < sent; i++) {
				const struct msghdr *h = &p->txq[done + (unsigned)i].msg_hdr;
				/* the frame (its pieces, when tagged on the way out), not its header */
				for (size_t j = p->vnet ? 1 : 0; j < h->msg_iovlen; j++)
					st->tx_bytes += h->msg_iov[j].iov_len;
			}
			done += (unsigned)sent;
			continue;
		}
		if (sent == 0 || sent == -EAGAIN || sent == -ENOBUFS || sent == -EINTR) {
			/* the port is not keeping up: it loses its own frames, nobody waits for it */
			st->tx_dropped += n - done;
			return;
		}
		if (network_peer_gone(-sent)) {
			st->tx_dropped += n - done;
			log_info("network %s: port %u: peer gone (%s), removing", net->def.name, p->id,
				 strerror(-sent));
			network_port_kill(p);
			return;
		}
		/* a frame this port cannot take (EMSGSIZE: MTU of a tap, ...): skip just that one */
		st->tx_dropped++;
		done++;
	}
}

static void network_flush(struct network *net)
{
	struct port *p = net->tx_dirty;

	net->tx_dirty = NULL;
	while (p) {
		struct port *next = p->tx_next;
		p->tx_listed = false;
		if (!p->dead)
			network_port_flush(net, p);
		else
			p->txq_len = 0;
		p = next;
	}
}

int network_port_receive(struct port *in, int (*recv)(struct port *p, struct port_rxbatch *b))
{
	struct network *net = in->net;
	struct port_rxbatch lent;
	uint64_t now;
	unsigned kept;
	bool plain;
	int n;

	/* a receive from inside a flush would overwrite frames still queued: leave it to the next turn */
	if (in->dead || rx_busy)
		return 0;
	rx_busy = true;
	port_rx_lend(&lent, in->ops->rx_addr);
	n = recv(in, &lent);
	if (n < 0) {
		rx_busy = false;
		log_info("network %s: port %u: receive failed (%s), removing", net->def.name, in->id,
			 strerror(-n));
		network_port_kill(in);
		return n;
	}
	kept = port_rx_take(n, rx_kept);
	now = (uint64_t)(ev_now(net_loop) * 1000.);
	plain = switch_is_plain(net->sw);
	seg_arena_used = 0;
	seg_list_used = 0;
	for (unsigned i = 0; i < kept; i++) {
		uint8_t *frame = rx_kept[i].data;
		size_t len = rx_kept[i].len, swlen;
		const struct virtio_net_hdr *vh = NULL;
		struct switch_verdict v;
		int dst;

		seg_cache[i].count = 0;
		if (rx_kept[i].trunc || (in->vnet && len < OFFLOAD_HDR_LEN)) {
			switch_ingress(net->sw, in->id, frame, 0, now, &v);	/* counted as rx_errors */
			continue;
		}
		if (in->vnet) {
			vh = (const struct virtio_net_hdr *)frame;
			frame += OFFLOAD_HDR_LEN;
			len -= OFFLOAD_HDR_LEN;
			if (!offload_pending(vh))
				vh = NULL;
		}
		if (in->shape && !shaper_ingress(in->shape->sh, (uint32_t)len, shape_now()))
			continue;	/* over rate_in: policed, counted by the shaper */
		/* the switch judges Ethernet frames; a segmentation offload frame stands for several */
		swlen = vh && vh->gso_type != VIRTIO_NET_HDR_GSO_NONE && len > ETH_MAX_FRAME ? ETH_MAX_FRAME : len;
		dst = switch_ingress(net->sw, in->id, frame, swlen, now, &v);
		if (swlen != len && dst != SWITCH_DROP)
			switch_port_stats(net->sw, in->id)->rx_bytes += len - swlen;
		if (net->captures)
			network_capture(net, in->id, CAPREC_DIR_IN, i, frame, len, vh);
		if (dst >= 0) {
			struct port *out = net->ports[dst];
			if (out && !out->dead) {
				network_queue(net, out, i, frame, len, vh, (enum switch_tx)v.tx, v.vlan);
				if (net->captures)
					network_capture(net, out->id, CAPREC_DIR_OUT, i, frame, len, vh);
			}
		} else if (dst == SWITCH_FLOOD) {
			for (struct port *out = net->port_list; out; out = out->net_next) {
				enum switch_tx tx;

				if (out == in || out->dead)
					continue;
				tx = plain ? SWITCH_TX_ASIS : switch_egress(net->sw, in->id, out->id, &v);
				if (tx == SWITCH_TX_DROP)
					continue;
				network_queue(net, out, i, frame, len, vh, tx, v.vlan);
				if (net->captures)
					network_capture(net, out->id, CAPREC_DIR_OUT, i, frame, len, vh);
			}
		} else if (v.loop_shut) {
			log_warn("network %s: port %u sends back frames flooded to it (a loop): shut for %u s",
				 net->def.name, in->id,
				 (unsigned)((switch_port_shut_until(net->sw, in->id) - now + 999) / 1000));
			network_port_changed(in);	/* its object shows "shut" */
		}
		if (v.loop_open) {
			log_notice("network %s: port %u: its loop hold time is over, open again", net->def.name, in->id);
			network_port_changed(in);
		}
		plain = switch_is_plain(net->sw);	/* a port shut or opened again by this frame */
	}
	network_flush(net);
	if (net->captures)
		net_capture->flush(net);
	rx_busy = false;
	if (net_mac_watch)
		network_report_macs(net);
	return (int)kept;
}

static void network_port_readable(struct ev_loop *loop, ev_io *w, int revents)
{
	struct port *in = (struct port *)((char *)w - offsetof(struct port, io));

	network_port_receive(in, in->ops->recv_batch);
}

/* ---- port lifecycle ---- */

int network_port_add(struct network *net, int fd, const struct port_ops *ops, unsigned want_id,
		     struct port **out, struct vde_error *e)
{
	struct port *p;
	unsigned id = want_id;
	size_t size = sizeof(*p) + PORT_BATCH * (sizeof(struct mmsghdr) + PORT_TXIOV * sizeof(struct iovec) +
						 sizeof(struct virtio_net_hdr));

	if (want_id > net->def.max_ports) {
		close(fd);
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL,
				     "port %u is out of range for network '%s' (1..%u)", want_id, net->def.name,
				     net->def.max_ports);
	}
	if (want_id && net->ports[want_id]) {
		close(fd);
		return vde_error_set(e, PROTO_ERR_EXISTS, EADDRINUSE, "port %u of network '%s' is in use", want_id,
				     net->def.name);
	}
	if (!want_id) {
		/* the next free id after the last one handed out, as for pids: an id just freed is not
		 * given to the next comer at once, so a script that detaches by id cannot hit it */
		unsigned max = net->def.max_ports, k;

		for (k = 0, id = net->last_port_id; k < max; k++) {
			id = id % max + 1;
			if (!net->ports[id])
				break;
		}
		if (k == max) {
			close(fd);
			return vde_error_set(e, PROTO_ERR_LIMIT, ENOSPC, "network '%s' has no free port (max_ports %u)",
					     net->def.name, net->def.max_ports);
		}
	}
	p = calloc(1, size);
	if (!p) {
		close(fd);
		return vde_error_set(e, PROTO_ERR_INTERNAL, ENOMEM, "out of memory");
	}
	p->id = id;
	/* the id's limits hold from the first frame: a port never runs without them, even for a moment */
	if (network_port_shaping(net, id)) {
		p->shape = shape_new(p, network_port_shaping(net, id));
		if (!p->shape) {
			free(p);
			close(fd);
			return vde_error_set(e, PROTO_ERR_INTERNAL, ENOMEM, "out of memory");
		}
	}
	p->txq = (struct mmsghdr *)(p + 1);
	p->txiov = (struct iovec *)(p->txq + PORT_BATCH);
	p->txhdr = (struct virtio_net_hdr *)(p->txiov + PORT_TXIOV * PORT_BATCH);
	for (unsigned i = 0; i < PORT_BATCH; i++) {
		p->txq[i].msg_hdr.msg_iov = &p->txiov[PORT_TXIOV * i];
		p->txq[i].msg_hdr.msg_iovlen = 1;
	}
	p->net = net;
	p->id = id;
	if (!want_id)
		net->last_port_id = id;
	p->fd = fd;
	p->ops = ops;
	p->created = time(NULL);
	switch_port_add(net->sw, id);
	/* the policy saved for this id (port.set), else the network's default for new ports */
	if (net->port_conf[id] || net->port_default)
		switch_port_configure(net->sw, id, net->port_conf[id] ? net->port_conf[id] : net->port_default);
	net->ports[id] = p;
	p->net_next = net->port_list;
	net->port_list = p;
	net->nports++;
	ev_io_init(&p->io, network_port_readable, fd, EV_READ);
	ev_io_start(net_loop, &p->io);
	if (net_observer && net_observer->added)
		net_observer->added(p);
	*out = p;
	return 0;
}

static void network_port_free(struct port *p)
{
	struct network *net = p->net;

	for (struct port **pp = &net->port_list; *pp; pp = &(*pp)->net_next) {
		if (*pp == p) {
			*pp = p->net_next;
			break;
		}
	}
	net->ports[p->id] = NULL;
	net->nports--;
	if (net_port_gone)
		net_port_gone(p);	/* gone for good: the next life must not find it (keep.h) */
	if (p->owner && p->release)
		p->release(p);
	if (p->ops->destroy)
		p->ops->destroy(p);
	shape_free(p->shape);
	close(p->fd);
	free(p);
}

static void network_reap(void)
{
	while (net_reap_list) {
		struct port *p = net_reap_list;
		net_reap_list = p->reap_next;
		network_port_free(p);
	}
	ev_check_stop(net_loop, &net_reap_check);
}

static void network_reap_cb(struct ev_loop *loop, ev_check *w, int revents)
{
	network_reap();
}

void network_port_kill(struct port *p)
{
	if (p->dead)
		return;
	if (net_observer && net_observer->removed)
		net_observer->removed(p);
	p->dead = 1;
	ev_io_stop(net_loop, &p->io);
	if (p->shape)
		ev_timer_stop(net_loop, &p->shape->timer);
	switch_port_remove(p->net->sw, p->id);
	if (p->net->captures)
		net_capture->port_gone(p->net, p->id);
	log_debug("network %s: port %u removed", p->net->def.name, p->id);
	/* it may still be in a network's list of ports to flush: that list skips dead ports */
	p->reap_next = net_reap_list;
	net_reap_list = p;
	ev_check_start(net_loop, &net_reap_check);
}

/* ---- networks ---- */

int network_create(const struct network_def *def, struct network **out, struct vde_error *e)
{
	struct network *net;
	uint64_t seed;
	int ret;

	if (network_find(def->name))
		return vde_error_set(e, PROTO_ERR_EXISTS, EEXIST, "network '%s' already exists", def->name);
	if (net_count >= net_max)
		return vde_error_set(e, PROTO_ERR_LIMIT, ENOSPC, "vded has %u networks, its limit (max_networks)",
				     net_count);
	net = calloc(1, sizeof(*net));
	if (!net)
		return vde_error_set(e, PROTO_ERR_INTERNAL, ENOMEM, "out of memory");
	net->def = *def;
	net->extras = json_object_new_object();
	net->ports = calloc(def->max_ports + 1, sizeof(*net->ports));
	net->port_conf = calloc(def->max_ports + 1, sizeof(*net->port_conf));
	net->sw = switch_new(def->max_ports + 1, def->mac_table_size, def->mac_aging);
	if (!net->ports || !net->port_conf || !net->sw) {
		ret = vde_error_set(e, PROTO_ERR_INTERNAL, ENOMEM, "out of memory");
		goto fail;
	}
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == sizeof(seed))
		switch_set_seed(net->sw, seed);
	switch_changes_enable(net->sw, net_mac_watch);
	ret = net_hooks && net_hooks->created ? net_hooks->created(net, e) : 0;
	if (ret < 0)
		goto fail;
	net->next = net_list;
	net_list = net;
	net_count++;
	if (out)
		*out = net;
	return 0;
fail:
	switch_free(net->sw);
	free(net->ports);
	free(net->port_conf);
	json_object_put(net->extras);
	free(net);
	return ret;
}

void network_apply_policy(struct network *net)
{
	if (net_hooks && net_hooks->changed)
		net_hooks->changed(net);
}

void network_set_observer(const struct network_observer *obs)
{
	net_observer = obs;
}

void network_set_mac_watch(bool on)
{
	net_mac_watch = on;
	for (struct network *n = net_list; n; n = n->next)
		switch_changes_enable(n->sw, on);
}

void network_port_changed(struct port *p)
{
	if (!p->dead && net_observer && net_observer->changed)
		net_observer->changed(p);
}

void network_set_hooks(const struct network_hooks *hooks)
{
	net_hooks = hooks;
}

void network_set_capture_ops(const struct network_capture_ops *ops)
{
	net_capture = ops;
}

void network_destroy(struct network *net)
{
	for (struct network **pp = &net_list; *pp; pp = &(*pp)->next) {
		if (*pp == net) {
			*pp = net->next;
			net_count--;
			break;
		}
	}
	if (net->captures)
		net_capture->network_gone(net);
	for (struct port *p = net->port_list; p; p = p->net_next)
		network_port_kill(p);
	/* Called from control or exit paths, never from inside a port callback: free now. */
	network_reap();
	if (net_hooks && net_hooks->destroying)
		net_hooks->destroying(net);
	switch_free(net->sw);
	free(net->ports);
	for (unsigned id = 0; id <= net->def.max_ports; id++)
		free(net->port_conf[id]);
	free(net->port_conf);
	free(net->port_default);
	free(net->shape_conf);
	json_object_put(net->extras);
	free(net);
}

/* Replace *slot by a copy of c (NULL: none). */
static int network_conf_store(struct switch_port_conf **slot, const struct switch_port_conf *c)
{
	struct switch_port_conf *copy = NULL;

	if (c) {
		if (switch_port_conf_check(c, NULL) < 0)
			return -EINVAL;
		copy = malloc(sizeof(*copy));
		if (!copy)
			return -ENOMEM;
		*copy = *c;
	}
	free(*slot);
	*slot = copy;
	return 0;
}

int network_port_conf_save(struct network *net, unsigned id, const struct switch_port_conf *c)
{
	struct switch_port_conf plain;
	int ret;

	if (id == 0 || id > net->def.max_ports)
		return -EINVAL;
	ret = network_conf_store(&net->port_conf[id], c);
	if (ret < 0)
		return ret;
	if (net->ports[id] && !net->ports[id]->dead) {
		switch_port_conf_init(&plain);
		c = net->port_conf[id] ? net->port_conf[id] : net->port_default ? net->port_default : &plain;
		switch_port_configure(net->sw, id, c);
	}
	return 0;
}

int network_port_conf_set_default(struct network *net, const struct switch_port_conf *c)
{
	return network_conf_store(&net->port_default, c);
}

int network_port_limit_macs(struct port *p, unsigned max_macs)
{
	const struct switch_port_conf *c = switch_port_get_conf(p->net->sw, p->id);
	struct switch_port_conf lim;

	if (!max_macs || !c || c->max_macs)
		return 0;
	lim = *c;
	lim.max_macs = max_macs;
	return switch_port_configure(p->net->sw, p->id, &lim);
}

int network_port_configure(struct port *p, const struct switch_port_conf *c)
{
	return switch_port_configure(p->net->sw, p->id, c);
}

static void network_age_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	uint32_t now = (uint32_t)ev_now(loop);

	for (struct network *n = net_list; n; n = n->next) {
		switch_age(n->sw, now);
		if (net_mac_watch)
			network_report_macs(n);
	}
}

int network_init(struct ev_loop *loop)
{
	net_loop = loop;
	for (unsigned vid = 0; vid <= SWITCH_VLAN_MAX; vid++) {
		vlan_tags[vid][0] = 0x81;
		vlan_tags[vid][1] = 0x00;
		vlan_tags[vid][2] = (uint8_t)(vid >> 8);
		vlan_tags[vid][3] = (uint8_t)vid;
	}
	if (port_rx_init() < 0)
		return -ENOMEM;
	ev_check_init(&net_reap_check, network_reap_cb);
	ev_timer_init(&net_age_timer, network_age_cb, 5., 5.);
	ev_timer_start(loop, &net_age_timer);
	ev_unref(loop);		/* the aging timer alone does not keep the loop alive */
	return 0;
}

void network_exit(void)
{
	while (net_list)
		network_destroy(net_list);
	if (net_loop) {
		ev_ref(net_loop);
		ev_timer_stop(net_loop, &net_age_timer);
	}
	if (net_capture)
		net_capture->exit();
	port_rx_exit();
}
