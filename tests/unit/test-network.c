/*
 * Unit test of the data path in vded/network.c (with port.c, switch.c, offload.c): network_port_receive
 * driven by fake port kinds over socketpairs. Frames kept, dropped, skipped and decapsulated (offset and
 * shrunk), sender addresses lent to a kind that asks for them, a kind that breaks the loan (bogus
 * reports, its copy of the batch re-pointed at its own memory, then freed: SECURITY.md D1), ports removed
 * between batches; captures (records in, for each frame switched: whole network or chosen ports, both
 * directions; drops when the reader is behind; the end record at count, port gone, network gone). Run under ASan in `make asan`: a stale pointer into a freed kind is a failure there.
 * No hooks are set (no endpoint module): no socket directory is made.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "caprec.h"
#include "dataplane/capture.h"
#include "dataplane/network.h"
#include "dataplane/offload.h"
#include "dataplane/switch.h"
#include "log.h"
#include "unit.h"

/* ---- frames ---- */

#define HDR_LEN 8
static const uint8_t vx_hdr[HDR_LEN] = { 'V', 'X', 'T', 'E', 'S', 'T', 0, 1 };
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* An Ethernet frame of len bytes from src to dst whose payload is derived from seq. */
static size_t make_frame(uint8_t *f, const uint8_t dst[6], unsigned src, unsigned seq, size_t len)
{
	memcpy(f, dst, 6);
	f[6] = 0x02;
	f[7] = 0;
	f[8] = 0;
	f[9] = 0;
	f[10] = (uint8_t)(src >> 8);
	f[11] = (uint8_t)src;
	f[12] = 0x88;
	f[13] = 0xb5;
	for (size_t i = 14; i < len; i++)
		f[i] = (uint8_t)(seq * 31 + i);
	return len;
}

static void mac_of(uint8_t mac[6], unsigned src)
{
	const uint8_t m[6] = { 0x02, 0, 0, 0, (uint8_t)(src >> 8), (uint8_t)src };

	memcpy(mac, m, 6);
}

static int frame_is(const uint8_t *got, size_t got_len, const uint8_t dst[6], unsigned src, unsigned seq,
		    size_t len)
{
	static uint8_t want[ETH_MAX_FRAME];

	make_frame(want, dst, src, seq, len);
	return got_len == len && memcmp(got, want, len) == 0;
}

/* Read one datagram from fd, without waiting; -1 when there is none. */
static ssize_t take(int fd, uint8_t *buf, size_t cap)
{
	return recv(fd, buf, cap, MSG_DONTWAIT);
}

static unsigned pending(int fd)
{
	static uint8_t buf[70000];
	unsigned n = 0;

	while (take(fd, buf, sizeof(buf)) >= 0)
		n++;
	return n;
}

/* ---- fake port kinds ---- */

/* vxvde-like: datagrams are HDR + frame; those with another header are not ours (skipped). */
static int encap_recv(struct port *p, struct port_rxbatch *b)
{
	int got = port_rx_recvmmsg(b, p->fd);

	for (int i = 0; i < got; i++) {
		const uint8_t *d = port_rx_slot(b, (unsigned)i);
		unsigned len = b->frame[i].len;

		if (len < HDR_LEN || memcmp(d, vx_hdr, HDR_LEN) != 0)
			port_rx_set(b, (unsigned)i, 0, 0, PORT_FRAME_SKIP);
		else
			port_rx_set(b, (unsigned)i, HDR_LEN, len - HDR_LEN, 0);
	}
	return got;
}

static const struct port_ops encap_ops = {
	.kind = "encap",
	.recv_batch = encap_recv,
	.send_batch = port_dgram_send_batch,
};

/* A kind that asks for senders and keeps what it saw in its own array (as vxvde keeps a table). */
struct addr_kind {
	char seen[PORT_BATCH][sizeof(((struct sockaddr_un *)0)->sun_path)];
	unsigned nseen;
};

static int addr_recv(struct port *p, struct port_rxbatch *b)
{
	struct addr_kind *k = p->kind_data;
	int got;

	if (!b->addr || !b->addrlen)
		return -EINVAL;
	got = port_rx_recvmmsg(b, p->fd);
	for (int i = 0; i < got; i++) {
		const struct sockaddr_un *sun = (const struct sockaddr_un *)&b->addr[i];
		socklen_t alen = b->addrlen[i];

		memset(k->seen[k->nseen], 0, sizeof(k->seen[0]));
		/* abstract names: a NUL, then the name (not NUL-terminated) */
		if (alen > offsetof(struct sockaddr_un, sun_path) + 1 && sun->sun_family == AF_UNIX)
			memcpy(k->seen[k->nseen], sun->sun_path + 1, alen - offsetof(struct sockaddr_un, sun_path) - 1);
		k->nseen++;
	}
	return got;
}

static void addr_destroy(struct port *p)
{
	free(p->kind_data);
	p->kind_data = NULL;
}

static const struct port_ops addr_ops = {
	.kind = "addr",
	.recv_batch = addr_recv,
	.send_batch = port_dgram_send_batch,
	.destroy = addr_destroy,
	.rx_addr = true,
};

/*
 * A kind that breaks every rule of the loan it can reach: it reports frames that do not fit their slots,
 * claims more slots than it was lent, and re-points its copy of the batch at its own heap memory (as vxvde
 * pointed the shared msghdrs at its own before D1 was fixed). Once it is freed, the next batch must not
 * read or write there.
 */
struct rogue_kind {
	struct port_frame frame[PORT_BATCH];
	uint8_t bufs[PORT_BATCH][64];
};

static int rogue_recv(struct port *p, struct port_rxbatch *b)
{
	struct rogue_kind *k = p->kind_data;
	int got = port_rx_recvmmsg(b, p->fd);

	for (int i = 0; i < got; i++)
		port_rx_set(b, (unsigned)i, (uint32_t)(i & 1 ? b->cap : 1), (uint32_t)b->cap, 0);
	b->frame = k->frame;
	b->buf = k->bufs[0];
	b->n = 1;
	b->cap = 1 << 30;
	return got < 0 ? got : got + 1000;	/* more slots than it was lent */
}

static void rogue_destroy(struct port *p)
{
	free(p->kind_data);
	p->kind_data = NULL;
}

static const struct port_ops rogue_ops = {
	.kind = "rogue",
	.recv_batch = rogue_recv,
	.send_batch = port_dgram_send_batch,
	.destroy = rogue_destroy,
	.rx_addr = true,
};

/* A kind that checks the loan is as the contract says, then receives as the plain kinds do. */
static unsigned checker_bad;

static int checker_recv(struct port *p, struct port_rxbatch *b)
{
	if (b->n != PORT_BATCH || !b->buf || b->cap < OFFLOAD_HDR_LEN + OFFLOAD_MAX_FRAME || b->addr || b->addrlen)
		checker_bad++;
	for (unsigned i = 0; i < b->n; i++)
		if (b->frame[i].flags != PORT_FRAME_SKIP)
			checker_bad++;
	return port_dgram_recv_batch(p, b);
}

static const struct port_ops checker_ops = {
	.kind = "checker",
	.recv_batch = checker_recv,
	.send_batch = port_dgram_send_batch,
};

static const struct port_ops plain_ops = {
	.kind = "plain",
	.recv_batch = port_dgram_recv_batch,
	.send_batch = port_dgram_send_batch,
};

/* ---- harness ---- */

struct tport {
	struct port *p;
	int peer;		/* the test's end of the socketpair */
};

static struct network *make_net(const char *name)
{
	struct network_def def = NETWORK_DEF_DEFAULTS;
	struct network *net = NULL;
	struct vde_error e = { 0 };

	snprintf(def.name, sizeof(def.name), "%s", name);
	def.max_ports = 16;
	CHECK(network_create(&def, &net, &e) == 0);
	return net;
}

static struct tport add_port(struct network *net, const struct port_ops *ops, void *kind_data)
{
	struct tport t = { NULL, -1 };
	struct vde_error e = { 0 };
	int sv[2];

	CHECK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
	CHECK(network_port_add(net, sv[0], ops, 0, &t.p, &e) == 0);
	if (t.p)
		t.p->kind_data = kind_data;
	t.peer = sv[1];
	return t;
}

static int receive(struct tport *t)
{
	return network_port_receive(t->p, t->p->ops->recv_batch);
}

static void send_frame(int fd, const uint8_t *hdr, const uint8_t dst[6], unsigned src, unsigned seq, size_t len)
{
	static uint8_t buf[HDR_LEN + ETH_MAX_FRAME];
	size_t off = hdr ? HDR_LEN : 0;

	if (hdr)
		memcpy(buf, hdr, HDR_LEN);
	make_frame(buf + off, dst, src, seq, len);
	ssize_t n = send(fd, buf, off + len, 0);

	if (n != (ssize_t)(off + len))
		fprintf(stderr, "send_frame seq %u: %s\n", seq, strerror(errno));
	CHECK(n == (ssize_t)(off + len));
}

/* ---- the cases ---- */

/* Plain datagrams: flooded, then delivered to the learned port only; runts and oversized ones dropped. */
static void check_plain(struct ev_loop *loop)
{
	struct network *net = make_net("plain");
	struct tport a = add_port(net, &plain_ops, NULL), b = add_port(net, &plain_ops, NULL),
		     c = add_port(net, &plain_ops, NULL);
	static uint8_t buf[70000];
	uint8_t mac_b[6];
	ssize_t n;

	for (unsigned s = 0; s < 3; s++)
		send_frame(a.peer, NULL, bcast, 1, s, 60 + s * 500);
	CHECK(receive(&a) == 3);
	for (unsigned s = 0; s < 3; s++) {
		n = take(b.peer, buf, sizeof(buf));
		CHECK(n > 0 && frame_is(buf, (size_t)n, bcast, 1, s, 60 + s * 500));
		n = take(c.peer, buf, sizeof(buf));
		CHECK(n > 0 && frame_is(buf, (size_t)n, bcast, 1, s, 60 + s * 500));
	}
	CHECK(pending(a.peer) == 0 && pending(b.peer) == 0 && pending(c.peer) == 0);

	/* b speaks, then a frame to b's address goes to b alone */
	send_frame(b.peer, NULL, bcast, 2, 9, 60);
	CHECK(receive(&b) == 1);
	CHECK(pending(a.peer) == 1 && pending(c.peer) == 1);
	mac_of(mac_b, 2);
	send_frame(a.peer, NULL, mac_b, 1, 10, 1500);
	CHECK(receive(&a) == 1);
	n = take(b.peer, buf, sizeof(buf));
	CHECK(n > 0 && frame_is(buf, (size_t)n, mac_b, 1, 10, 1500));
	CHECK(pending(c.peer) == 0);

	/* a runt and a datagram larger than a receive slot are errors, not frames */
	CHECK(send(a.peer, "short", 5, 0) == 5);
	memset(buf, 0xff, sizeof(buf));
	CHECK(send(a.peer, buf, sizeof(buf), 0) == (ssize_t)sizeof(buf));
	send_frame(a.peer, NULL, bcast, 1, 11, 64);
	CHECK(receive(&a) == 3);
	CHECK(switch_port_stats(net->sw, a.p->id)->rx_errors == 2);
	n = take(c.peer, buf, sizeof(buf));
	CHECK(n > 0 && frame_is(buf, (size_t)n, bcast, 1, 11, 64));
	CHECK(pending(b.peer) == 1 && pending(c.peer) == 0);

	network_destroy(net);
	close(a.peer);
	close(b.peer);
	close(c.peer);
	(void)loop;
}

/* A decapsulating kind that skips half of what it reads: the kept frames come out whole and in order. */
static void check_encap(void)
{
	static const uint8_t other[HDR_LEN] = { 'O', 'T', 'H', 'E', 'R', 0, 0, 2 };
	struct network *net = make_net("encap");
	struct tport x = add_port(net, &encap_ops, NULL), y = add_port(net, &plain_ops, NULL);
	static uint8_t buf[70000];
	unsigned kept = 0;
	ssize_t n;

	/* 60 datagrams, every third of another "VNI": the kept ones must not take the skipped ones' bytes */
	for (unsigned s = 0; s < 60; s++)
		send_frame(x.peer, s % 3 == 1 ? other : vx_hdr, bcast, 7, s, 60 + (s * 97) % 1400);
	CHECK(receive(&x) == 40);
	for (unsigned s = 0; s < 60; s++) {
		if (s % 3 == 1)
			continue;
		n = take(y.peer, buf, sizeof(buf));
		CHECK(n > 0 && frame_is(buf, (size_t)n, bcast, 7, s, 60 + (s * 97) % 1400));
		kept++;
	}
	CHECK(kept == 40 && pending(y.peer) == 0);
	/* skipped datagrams are not the port's errors */
	CHECK(switch_port_stats(net->sw, x.p->id)->rx_errors == 0);
	CHECK(switch_port_stats(net->sw, x.p->id)->rx_frames == 40);

	/* what y sends goes out to x as a plain frame (the fake kind does not encapsulate) */
	send_frame(y.peer, NULL, bcast, 8, 100, 100);
	CHECK(receive(&y) == 1);
	n = take(x.peer, buf, sizeof(buf));
	CHECK(n > 0 && frame_is(buf, (size_t)n, bcast, 8, 100, 100));

	network_destroy(net);
	close(x.peer);
	close(y.peer);
}

/* vded's taps carry a virtio-net header: it is stripped for a plain port; a runt header is an error. */
static void check_vnet(void)
{
	struct network *net = make_net("vnet");
	struct tport t = add_port(net, &plain_ops, NULL), u = add_port(net, &plain_ops, NULL);
	static uint8_t buf[OFFLOAD_HDR_LEN + ETH_MAX_FRAME];
	ssize_t n;

	t.p->vnet = true;
	memset(buf, 0, OFFLOAD_HDR_LEN);
	make_frame(buf + OFFLOAD_HDR_LEN, bcast, 3, 1, 200);
	CHECK(send(t.peer, buf, OFFLOAD_HDR_LEN + 200, 0) == (ssize_t)(OFFLOAD_HDR_LEN + 200));
	CHECK(send(t.peer, buf, 4, 0) == 4);
	CHECK(receive(&t) == 2);
	CHECK(switch_port_stats(net->sw, t.p->id)->rx_errors == 1);
	n = take(u.peer, buf, sizeof(buf));
	CHECK(n > 0 && frame_is(buf, (size_t)n, bcast, 3, 1, 200));
	CHECK(pending(u.peer) == 0);

	/* and the other way a vnet port gets a (plain) header in front */
	send_frame(u.peer, NULL, bcast, 4, 2, 300);
	CHECK(receive(&u) == 1);
	n = take(t.peer, buf, sizeof(buf));
	CHECK(n == (ssize_t)(OFFLOAD_HDR_LEN + 300) && buf[0] == 0 &&
	      frame_is(buf + OFFLOAD_HDR_LEN, (size_t)n - OFFLOAD_HDR_LEN, bcast, 4, 2, 300));

	network_destroy(net);
	close(t.peer);
	close(u.peer);
}


/* Tagging on the way out without a copy, and the virtio-net header of a vnet port moved with the tag:
 * port a (vnet, access VLAN 10), b (vnet, trunk of 10), c (plain, trunk of 10). */
static void check_vlan_tagging(void)
{
	struct network *net = make_net("vlan");
	struct tport a = add_port(net, &plain_ops, NULL), b = add_port(net, &plain_ops, NULL),
		     c = add_port(net, &plain_ops, NULL);
	struct switch_port_conf access, trunk;
	static uint8_t buf[OFFLOAD_HDR_LEN + ETH_MAX_FRAME], want[ETH_MAX_FRAME];
	struct virtio_net_hdr vh = { 0 }, got;
	ssize_t n;

	a.p->vnet = true;
	b.p->vnet = true;
	switch_port_conf_init(&access);
	access.vlan = 10;
	switch_port_conf_init(&trunk);
	trunk.trunk = true;
	switch_conf_trunk_add(&trunk, 10);
	CHECK(network_port_configure(a.p, &access) == 0);
	CHECK(network_port_configure(b.p, &trunk) == 0);
	CHECK(network_port_configure(c.p, &trunk) == 0);

	/* from the access port, with a partial checksum from byte 34 (its field at 34 + 16) */
	vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh.csum_start = 34;
	vh.csum_offset = 16;
	vh.hdr_len = 54;
	memcpy(buf, &vh, OFFLOAD_HDR_LEN);
	make_frame(buf + OFFLOAD_HDR_LEN, bcast, 5, 7, 200);
	CHECK(send(a.peer, buf, OFFLOAD_HDR_LEN + 200, 0) == (ssize_t)(OFFLOAD_HDR_LEN + 200));
	CHECK(receive(&a) == 1);
	/* the expected frame out: [12 bytes][0x8100, VID 10][the rest] */
	make_frame(want + 4, bcast, 5, 7, 200);
	memmove(want, want + 4, 12);
	want[12] = 0x81;
	want[13] = 0x00;
	want[14] = 0x00;
	want[15] = 10;
	/* b (vnet): the header moved by the tag, the frame tagged, the checksum still the kernel's to do */
	n = take(b.peer, buf, sizeof(buf));
	CHECK(n == (ssize_t)(OFFLOAD_HDR_LEN + 204));
	memcpy(&got, buf, OFFLOAD_HDR_LEN);
	CHECK(got.flags == VIRTIO_NET_HDR_F_NEEDS_CSUM && got.csum_start == 38 && got.csum_offset == 16 &&
	      got.hdr_len == 58);
	CHECK(n > 0 && memcmp(buf + OFFLOAD_HDR_LEN, want, 204) == 0);
	/* c (plain): the checksum completed on the segment, then the tag pushed in front of it */
	n = take(c.peer, buf, sizeof(buf));
	CHECK(n == 204);
	CHECK(n > 0 && memcmp(buf, want, 12) == 0 && memcmp(buf + 12, want + 12, 4) == 0);
	CHECK(n > 0 && memcmp(buf + 16, want + 16, 34 - 16) == 0);	/* up to the checksummed part */
	CHECK(pending(a.peer) == 0);

	/* back from the trunk, tagged 10, header counted with the tag: a gets it popped, header moved back */
	vh.csum_start = 38;
	vh.hdr_len = 58;
	memcpy(buf, &vh, OFFLOAD_HDR_LEN);
	memcpy(buf + OFFLOAD_HDR_LEN, want, 204);
	memset(buf + OFFLOAD_HDR_LEN, 0xff, 6);
	CHECK(send(b.peer, buf, OFFLOAD_HDR_LEN + 204, 0) == (ssize_t)(OFFLOAD_HDR_LEN + 204));
	CHECK(receive(&b) == 1);
	n = take(a.peer, buf, sizeof(buf));
	CHECK(n == (ssize_t)(OFFLOAD_HDR_LEN + 200));
	memcpy(&got, buf, OFFLOAD_HDR_LEN);
	CHECK(got.csum_start == 34 && got.hdr_len == 54);
	make_frame(want, bcast, 5, 7, 200);
	CHECK(n > 0 && memcmp(buf + OFFLOAD_HDR_LEN, want, 200) == 0);
	/* c, a trunk too: as it came, tagged */
	n = take(c.peer, buf, sizeof(buf));
	CHECK(n == 204 && buf[12] == 0x81 && buf[15] == 10);
	/* the tx counters count the frame's bytes, tag included, header not */
	CHECK(switch_port_stats(net->sw, b.p->id)->tx_bytes == 204);
	CHECK(switch_port_stats(net->sw, a.p->id)->tx_bytes == 200);

	network_destroy(net);
	close(a.peer);
	close(b.peer);
	close(c.peer);
}

/* A kind that asks for senders gets them in the data path's storage; one that does not, gets none. */
static void check_addresses(void)
{
	struct network *net = make_net("addr");
	struct addr_kind *k = calloc(1, sizeof(*k));
	struct tport out = add_port(net, &checker_ops, NULL);
	struct port *p = NULL;
	struct vde_error e = { 0 };
	struct sockaddr_un me = { .sun_family = AF_UNIX }, from[2];
	socklen_t mlen;
	static uint8_t buf[2000];
	int fd, snd[2];
	char name[64];

	/* the kind's socket and two senders, bound to abstract names (no file, gone with the fds) */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	snprintf(name, sizeof(name), "vde-test-network-%d-rx", (int)getpid());
	memcpy(me.sun_path + 1, name, strlen(name));
	mlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
	CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&me, mlen) == 0);
	for (int i = 0; i < 2; i++) {
		socklen_t flen;
		from[i] = (struct sockaddr_un){ .sun_family = AF_UNIX };
		snprintf(name, sizeof(name), "vde-test-network-%d-tx%d", (int)getpid(), i);
		memcpy(from[i].sun_path + 1, name, strlen(name));
		flen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
		snd[i] = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		CHECK(snd[i] >= 0 && bind(snd[i], (struct sockaddr *)&from[i], flen) == 0);
	}
	CHECK(k && network_port_add(net, fd, &addr_ops, 0, &p, &e) == 0);
	p->kind_data = k;

	for (unsigned s = 0; s < 6; s++) {
		make_frame(buf, bcast, 20 + s % 2, s, 80);
		CHECK(sendto(snd[s % 2], buf, 80, 0, (struct sockaddr *)&me, mlen) == 80);
	}
	CHECK(network_port_receive(p, p->ops->recv_batch) == 6);
	CHECK(k->nseen == 6);
	for (unsigned s = 0; s < k->nseen; s++) {
		snprintf(name, sizeof(name), "vde-test-network-%d-tx%u", (int)getpid(), s % 2);
		CHECK_STR(k->seen[s], name);
	}
	CHECK(pending(out.peer) == 6);

	/* the next kind, which did not ask, finds no name and a batch as fresh as the contract says */
	checker_bad = 0;
	send_frame(out.peer, NULL, bcast, 30, 1, 60);
	CHECK(receive(&out) == 1);
	CHECK(checker_bad == 0);

	network_destroy(net);
	close(out.peer);
	close(snd[0]);
	close(snd[1]);
}

/* SECURITY.md D1: a kind that re-points the batch at its own memory, removed; the next batches are intact. */
static void check_rogue_then_deleted(struct ev_loop *loop)
{
	struct network *vx = make_net("rogue"), *net = make_net("after");
	struct tport r = add_port(vx, &rogue_ops, calloc(1, sizeof(struct rogue_kind))),
		     r2 = add_port(vx, &plain_ops, NULL);
	struct tport a = add_port(net, &checker_ops, NULL), b = add_port(net, &plain_ops, NULL);
	static uint8_t buf[70000];
	ssize_t n;
	int got;

	for (unsigned s = 0; s < 5; s++)
		send_frame(r.peer, NULL, bcast, 40, s, 100);
	got = receive(&r);
	/* its reports do not fit its slots, and it claimed more slots than lent: 5 errors, nothing sent */
	CHECK(got == 5);
	CHECK(switch_port_stats(vx->sw, r.p->id)->rx_errors == 5);
	CHECK(pending(r2.peer) == 0);

	/* the rogue port goes (as a vxvde network is deleted); its memory is freed */
	network_destroy(vx);
	close(r.peer);
	close(r2.peer);

	/* anyone's traffic now: with the old restore loop the kernel wrote the senders into freed memory */
	checker_bad = 0;
	for (unsigned s = 0; s < PORT_BATCH; s++)
		send_frame(a.peer, NULL, bcast, 41, s, 60 + s * 20);
	CHECK(receive(&a) == PORT_BATCH);
	CHECK(checker_bad == 0);
	for (unsigned s = 0; s < PORT_BATCH; s++) {
		n = take(b.peer, buf, sizeof(buf));
		CHECK(n > 0 && frame_is(buf, (size_t)n, bcast, 41, s, 60 + s * 20));
	}
	CHECK(pending(b.peer) == 0);

	/* an output port killed between batches gets nothing more; its removal completes in the loop */
	network_port_kill(b.p);
	send_frame(a.peer, NULL, bcast, 41, 99, 60);
	CHECK(receive(&a) == 1);
	CHECK(pending(b.peer) == 0);
	ev_run(loop, EVRUN_NOWAIT);
	CHECK(net->nports == 1 && net->ports[2] == NULL);
	close(b.peer);
	/* and a killed input port receives nothing */
	network_port_kill(a.p);
	send_frame(a.peer, NULL, bcast, 41, 100, 60);
	CHECK(network_port_receive(a.p, a.p->ops->recv_batch) == 0);
	ev_run(loop, EVRUN_NOWAIT);
	CHECK(net->nports == 0);

	network_destroy(net);
	close(a.peer);
}

/* The compaction itself: reports out of range are empty frames, skips are left out, used is clamped. */
static void check_collect(void)
{
	static uint8_t slots[4 * 100];
	struct port_frame fr[4] = {
		{ .off = 0, .len = 100 },
		{ .flags = PORT_FRAME_SKIP },
		{ .off = 60, .len = 41 },		/* one byte past the slot */
		{ .off = 8, .len = 50, .flags = PORT_FRAME_TRUNC },
	};
	struct port_rxbatch b = { .frame = fr, .buf = slots, .cap = 100, .n = 4 };
	struct port_rxframe out[4];

	CHECK(port_rx_collect(&b, -5, out) == 0);
	CHECK(port_rx_collect(&b, 1, out) == 1 && out[0].data == slots && out[0].len == 100 && !out[0].trunc);
	CHECK(port_rx_collect(&b, 99, out) == 3);
	CHECK(out[1].data == slots + 200 && out[1].len == 0);
	CHECK(out[2].data == slots + 308 && out[2].len == 50 && out[2].trunc);
	fr[2].off = 100;		/* a frame starts inside its slot, even an empty one */
	fr[2].len = 0;
	CHECK(port_rx_collect(&b, 4, out) == 3 && out[1].len == 0 && out[1].data == slots + 200);
	fr[2].off = 101;
	CHECK(port_rx_collect(&b, 4, out) == 3 && out[1].len == 0 && out[1].data == slots + 200);
	fr[2].off = 0xffffffffu;
	fr[2].len = 2;
	CHECK(port_rx_collect(&b, 4, out) == 3 && out[1].len == 0);
}

/* ---- captures ---- */

/* The next record on a capture's descriptor, decoded into r (its data in buf); -1 if none is waiting. */
static int next_record(int fd, uint8_t *buf, size_t cap, struct caprec *r)
{
	ssize_t n = recv(fd, buf, cap, MSG_DONTWAIT);

	if (n < 0)
		return -1;
	return caprec_decode(buf, (size_t)n, r);
}

static int start_capture(struct network *net, const unsigned *ports, unsigned nports, uint64_t count, uint32_t snaplen)
{
	struct capture_req req = { .nports = nports, .count = count, .snaplen = snaplen };
	struct vde_error e = { 0 };
	int fd = -1;

	if (nports)
		memcpy(req.ports, ports, nports * sizeof(*ports));
	CHECK(capture_start(net, &req, &fd, &e) == 0);
	return fd;
}

static void check_capture(void)
{
	struct network *net = make_net("cap");
	struct tport a = add_port(net, &plain_ops, NULL), b = add_port(net, &plain_ops, NULL),
		     c = add_port(net, &plain_ops, NULL);
	static uint8_t buf[70000];
	struct caprec r;
	struct capture_req bad = { .nports = 1, .ports = { 9 } };
	struct vde_error e = { 0 };
	uint8_t mac_b[6];
	unsigned only_b[1], seen_out = 0, seen_in = 0, total;
	int whole, fd;

	mac_of(mac_b, 2);
	CHECK(net->captures == NULL && net->ncaptures == 0);
	/* a port that is not there */
	fd = -1;
	CHECK(capture_start(net, &bad, &fd, &e) == -ENOENT && fd < 0 && net->ncaptures == 0);

	/* the whole network: each frame once, as it came in, with its port, its length and the time */
	whole = start_capture(net, NULL, 0, 0, 100);
	CHECK(net->ncaptures == 1);
	send_frame(a.peer, NULL, bcast, 1, 1, 300);
	CHECK(receive(&a) == 1);
	send_frame(b.peer, NULL, bcast, 2, 2, 60);
	CHECK(receive(&b) == 1);
	CHECK(next_record(whole, buf, sizeof(buf), &r) == 0);
	CHECK(r.type == CAPREC_FRAME && r.port == a.p->id && r.dir == CAPREC_DIR_IN && r.orig_len == 300);
	CHECK(r.caplen == 100 && r.dropped == 0 && r.ts_ns > 1500000000ull * 1000000000ull);
	make_frame(buf + 1000, bcast, 1, 1, 300);
	CHECK(memcmp(r.data, buf + 1000, 100) == 0);	/* the first snaplen bytes of the frame */
	CHECK(next_record(whole, buf, sizeof(buf), &r) == 0 && r.port == b.p->id && r.orig_len == 60 && r.caplen == 60);
	CHECK(next_record(whole, buf, sizeof(buf), &r) < 0);
	CHECK(pending(a.peer) == 1 && pending(b.peer) == 1 && pending(c.peer) == 2);	/* delivery as ever */

	/* port b alone: what b sends (in) and what it is sent (out, flooded or to its address); c's
	 * traffic to a is not b's */
	only_b[0] = b.p->id;
	fd = start_capture(net, only_b, 1, 0, 0);
	close(whole);	/* the reader closed: vded sees it on its next turn */
	ev_run(network_loop(), EVRUN_NOWAIT);
	CHECK(net->ncaptures == 1);
	send_frame(a.peer, NULL, mac_b, 1, 3, 80);
	CHECK(receive(&a) == 1);
	send_frame(b.peer, NULL, bcast, 2, 4, 90);
	CHECK(receive(&b) == 1);
	mac_of(buf, 1);
	send_frame(c.peer, NULL, buf, 3, 5, 70);
	CHECK(receive(&c) == 1);
	CHECK(next_record(fd, buf, sizeof(buf), &r) == 0 && r.port == b.p->id && r.dir == CAPREC_DIR_OUT && r.orig_len == 80);
	CHECK(next_record(fd, buf, sizeof(buf), &r) == 0 && r.port == b.p->id && r.dir == CAPREC_DIR_IN && r.orig_len == 90);
	CHECK(next_record(fd, buf, sizeof(buf), &r) < 0);
	pending(a.peer), pending(b.peer), pending(c.peer);

	/* a reader that does not read: vded drops its records (counted) and the frames still go through */
	for (unsigned s = 0; s < 2000; s++) {
		send_frame(a.peer, NULL, mac_b, 1, s, 1400);
		CHECK(receive(&a) == 1);
		CHECK(pending(b.peer) == 1);
	}
	CHECK(net->capture_dropped > 0);
	total = 0;
	while (next_record(fd, buf, sizeof(buf), &r) == 0 && r.type == CAPREC_FRAME) {
		total++;
		seen_out += r.dir == CAPREC_DIR_OUT;
	}
	CHECK(total > 0 && total + r.dropped <= 2000 && seen_out == total);
	CHECK(total + net->capture_dropped >= 2000 - 1);	/* dropped: as the records and the network say */

	/* port b goes: its capture ends with an end record that says why and how many were dropped */
	network_port_kill(b.p);
	CHECK(net->ncaptures == 0 && net->captures == NULL);
	while (next_record(fd, buf, sizeof(buf), &r) == 0 && r.type == CAPREC_FRAME)
		;
	CHECK(r.type == CAPREC_END && r.end_reason == CAPREC_END_PORT && r.dropped == net->capture_dropped);
	close(fd);

	/* count: the capture stops after that many records, with an end record */
	fd = start_capture(net, NULL, 0, 2, 0);
	for (unsigned s = 0; s < 3; s++) {
		send_frame(a.peer, NULL, bcast, 1, s, 64);
		CHECK(receive(&a) == 1);
	}
	CHECK(net->ncaptures == 0);
	total = 0;
	while (next_record(fd, buf, sizeof(buf), &r) == 0 && r.type == CAPREC_FRAME)
		total++;
	CHECK(total == 2 && r.type == CAPREC_END && r.end_reason == CAPREC_END_COUNT && r.written == 2);
	close(fd);

	/* an offloaded frame that cannot be cut is recorded whole, marked */
	fd = start_capture(net, NULL, 0, 0, 0);
	c.p->vnet = true;
	{
		struct virtio_net_hdr vh = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
					     .gso_size = 1000, .csum_start = 34, .csum_offset = 16 };

		memcpy(buf, &vh, sizeof(vh));
		make_frame(buf + OFFLOAD_HDR_LEN, bcast, 3, 6, 200);	/* not TCP: cannot be segmented */
		CHECK(send(c.peer, buf, OFFLOAD_HDR_LEN + 200, 0) == (ssize_t)(OFFLOAD_HDR_LEN + 200));
	}
	CHECK(receive(&c) == 1);
	CHECK(next_record(fd, buf, sizeof(buf), &r) == 0 && r.flags == CAPREC_F_GSO && r.orig_len == 200 && r.port == c.p->id);
	seen_in = r.dir == CAPREC_DIR_IN;
	CHECK(seen_in);

	/* the network goes: the capture ends, saying so */
	network_destroy(net);
	CHECK(next_record(fd, buf, sizeof(buf), &r) == 0 && r.type == CAPREC_END && r.end_reason == CAPREC_END_NETWORK);
	close(fd);
	close(a.peer);
	close(b.peer);
	close(c.peer);
}

/* Run the loop until fd has a datagram waiting, at most about a second; returns whether it has. */
static int wait_readable(struct ev_loop *loop, int fd)
{
	uint8_t c;

	for (int i = 0; i < 100; i++) {
		if (recv(fd, &c, 1, MSG_DONTWAIT | MSG_PEEK) >= 0)
			return 1;
		ev_run(loop, EVRUN_NOWAIT);
		usleep(10000);
	}
	return 0;
}

/*
 * Rate limits and impairment in the data path: a delayed frame is copied out of the shared receive batch
 * (the next batch overwrites the slots before it leaves, and it leaves whole, in order), loss drops and
 * counts, ingress policing drops at receive, the settings stay with the port number for the next port
 * that takes it, and lifting them leaves the port without a shaper.
 */
static void check_shaping(struct ev_loop *loop)
{
	struct network *net = make_net("shape");
	struct tport a = add_port(net, &plain_ops, NULL), b = add_port(net, &plain_ops, NULL);
	struct shaper_conf c = { .delay_ms = 20 };
	static uint8_t buf[70000];
	struct vde_error e = { 0 };
	unsigned bid = b.p->id;
	ssize_t n;
	int sv[2];

	CHECK(network_port_shaping_set(net, net->def.max_ports + 1, &c) == -EINVAL);
	CHECK(network_port_shaping(net, bid) == NULL && b.p->shape == NULL);
	CHECK(network_port_shaping_set(net, bid, &c) == 0);
	CHECK(network_port_shaping(net, bid) && network_port_shaping(net, bid)->delay_ms == 20);
	CHECK(b.p->shape != NULL && a.p->shape == NULL);

	/* two batches: the second overwrites the receive slots while the first still waits for b */
	for (unsigned s = 0; s < 3; s++)
		send_frame(a.peer, NULL, bcast, 1, s, 100 + s);
	CHECK(receive(&a) == 3);
	for (unsigned s = 3; s < 6; s++)
		send_frame(a.peer, NULL, bcast, 1, s, 100 + s);
	CHECK(receive(&a) == 3);
	CHECK(pending(b.peer) == 0);	/* nothing yet: 20 ms */
	for (unsigned s = 0; s < 6; s++) {
		CHECK(wait_readable(loop, b.peer));
		n = take(b.peer, buf, sizeof(buf));
		CHECK(n > 0 && frame_is(buf, (size_t)n, bcast, 1, s, 100 + s));
	}
	CHECK(network_port_shaper_stats(b.p) && network_port_shaper_stats(b.p)->tx_delayed == 6);
	CHECK(switch_port_stats(net->sw, bid)->tx_frames == 6);

	/* all lost, and counted */
	c = (struct shaper_conf){ .loss = SHAPER_PPM };
	CHECK(network_port_shaping_set(net, bid, &c) == 0);
	for (unsigned s = 0; s < 4; s++)
		send_frame(a.peer, NULL, bcast, 1, s, 80);
	CHECK(receive(&a) == 4);
	ev_run(loop, EVRUN_NOWAIT);
	CHECK(pending(b.peer) == 0);
	CHECK(network_port_shaper_stats(b.p)->tx_dropped_loss == 4);

	/* lifted: frames go at once, and the port has no shaper left */
	c = (struct shaper_conf){ 0 };
	CHECK(network_port_shaping_set(net, bid, &c) == 0);
	CHECK(b.p->shape == NULL && network_port_shaping(net, bid) == NULL && network_port_shaper_stats(b.p) == NULL);
	send_frame(a.peer, NULL, bcast, 1, 7, 80);
	CHECK(receive(&a) == 1);
	CHECK(pending(b.peer) == 1);

	/* policing at receive: 1000 bytes of burst at 1000 bytes/s lets one 600-byte frame of two through */
	c = (struct shaper_conf){ .rate_in = 8000, .burst = 1000 };
	CHECK(network_port_shaping_set(net, a.p->id, &c) == 0);
	send_frame(a.peer, NULL, bcast, 1, 8, 600);
	send_frame(a.peer, NULL, bcast, 1, 9, 600);
	CHECK(receive(&a) == 2);
	n = take(b.peer, buf, sizeof(buf));
	CHECK(n > 0 && frame_is(buf, (size_t)n, bcast, 1, 8, 600));
	CHECK(pending(b.peer) == 0);
	CHECK(network_port_shaper_stats(a.p)->rx_dropped_rate == 1);
	CHECK(switch_port_stats(net->sw, a.p->id)->rx_frames == 12);	/* the policed one never reached the switch */

	/* the settings belong to the number: b goes, the next port at that number has them from the start */
	c = (struct shaper_conf){ .delay_ms = 5 };
	CHECK(network_port_shaping_set(net, bid, &c) == 0);
	network_port_kill(b.p);
	ev_run(loop, EVRUN_NOWAIT);	/* reaped */
	close(b.peer);
	CHECK(network_port_shaping(net, bid) && network_port_shaping(net, bid)->delay_ms == 5);
	CHECK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
	CHECK(network_port_add(net, sv[0], &plain_ops, bid, &b.p, &e) == 0);
	b.peer = sv[1];
	CHECK(b.p->shape != NULL);
	c = (struct shaper_conf){ 0 };
	CHECK(network_port_shaping_set(net, a.p->id, &c) == 0);
	send_frame(a.peer, NULL, bcast, 1, 10, 70);
	CHECK(receive(&a) == 1);
	CHECK(pending(b.peer) == 0);
	CHECK(wait_readable(loop, b.peer));
	n = take(b.peer, buf, sizeof(buf));
	CHECK(n > 0 && frame_is(buf, (size_t)n, bcast, 1, 10, 70));

	/* the default reaches every number without settings of its own, now and later; its own win */
	c = (struct shaper_conf){ .loss = SHAPER_PPM };
	CHECK(network_port_shaping_set(net, 0, &c) == 0);
	CHECK(network_port_shaping_own(net, 0) && network_port_shaping(net, 0)->loss == SHAPER_PPM);
	CHECK(a.p->shape != NULL && network_port_shaping(net, a.p->id)->loss == SHAPER_PPM);
	CHECK(network_port_shaping(net, bid)->delay_ms == 5 && network_port_shaping(net, bid)->loss == 0);
	CHECK(network_port_shaping_own(net, a.p->id) == NULL);
	send_frame(b.peer, NULL, bcast, 2, 12, 70);
	CHECK(receive(&b) == 1);
	ev_run(loop, EVRUN_NOWAIT);
	CHECK(pending(a.peer) == 0 && network_port_shaper_stats(a.p)->tx_dropped_loss == 1);
	{
		struct tport d = add_port(net, &plain_ops, NULL);	/* a new number: the default from the start */

		CHECK(d.p->shape != NULL && network_port_shaping(net, d.p->id)->loss == SHAPER_PPM);
		network_port_kill(d.p);
		close(d.peer);
	}
	c = (struct shaper_conf){ 0 };
	CHECK(network_port_shaping_set(net, 0, &c) == 0);
	CHECK(a.p->shape == NULL && b.p->shape != NULL && network_port_shaping(net, 0) == NULL);

	/* a port that goes with frames queued frees them with its shaper */
	send_frame(a.peer, NULL, bcast, 1, 11, 70);
	CHECK(receive(&a) == 1);
	network_destroy(net);
	CHECK(shaper_total_used() == 0);
	close(a.peer);
	close(b.peer);
}

int main(void)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);

	log_init("test-network", 0, 0);
	CHECK(loop && network_init(loop) == 0);
	check_collect();
	check_plain(loop);
	check_encap();
	check_vnet();
	check_vlan_tagging();
	check_addresses();
	check_rogue_then_deleted(loop);
	check_capture();
	check_shaping(loop);
	network_exit();
	ev_loop_destroy(loop);
	return unit_report("test-network");
}
