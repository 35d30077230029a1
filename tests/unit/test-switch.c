/*
 * Unit test of vded/switch.c: learning, moving stations, aging, flooding, counters, table limits,
 * port removal, VLANs and the address walk. The switch is pure, so every case is deterministic:
 * time is whatever `now` we pass.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "dataplane/switch.h"

static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t MCAST[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };

/* A locally administered unicast address numbered n. */
static void mac_of(uint8_t mac[6], unsigned n)
{
	mac[0] = 0x02;
	mac[1] = 0x00;
	mac[2] = (uint8_t)(n >> 24);
	mac[3] = (uint8_t)(n >> 16);
	mac[4] = (uint8_t)(n >> 8);
	mac[5] = (uint8_t)n;
}

/* Build a frame dst|src|(optional 802.1Q tag)|ethertype|payload into buf; returns its length. */
static size_t frame_build(uint8_t *buf, size_t len, const uint8_t dst[6], const uint8_t src[6], int vlan)
{
	size_t off = 12;

	memset(buf, 0, len);
	memcpy(buf, dst, 6);
	memcpy(buf + 6, src, 6);
	if (vlan >= 0) {
		buf[off++] = 0x81;
		buf[off++] = 0x00;
		buf[off++] = (uint8_t)(vlan >> 8);
		buf[off++] = (uint8_t)vlan;
	}
	buf[off++] = 0x08;
	buf[off++] = 0x00;
	return len;
}

static uint8_t fbuf[ETH_MAX_FRAME + 16];

/* Send a 64-byte frame from station src to station dst (numbers), untagged, on port in at time now. */
static int fwd(struct vswitch *sw, unsigned in, unsigned src, unsigned dst, uint32_t now)
{
	uint8_t s[6], d[6];

	mac_of(s, src);
	mac_of(d, dst);
	frame_build(fbuf, 64, d, s, -1);
	return switch_forward(sw, in, fbuf, 64, now);
}

static int fwd_vlan(struct vswitch *sw, unsigned in, unsigned src, unsigned dst, int vlan, uint32_t now)
{
	uint8_t s[6], d[6];

	mac_of(s, src);
	mac_of(d, dst);
	frame_build(fbuf, 64, d, s, vlan);
	return switch_forward(sw, in, fbuf, 64, now);
}

static struct vswitch *sw_with_ports(unsigned nports, unsigned macs, unsigned aging)
{
	struct vswitch *sw = switch_new(nports, macs, aging);

	if (!sw) {
		fprintf(stderr, "switch_new(%u, %u, %u) failed\n", nports, macs, aging);
		exit(1);
	}
	for (unsigned p = 0; p < nports; p++)
		CHECK_EQ(switch_port_add(sw, p), 0);
	return sw;
}

static void test_new_and_ports(void)
{
	struct vswitch *sw;

	CHECK(switch_new(0, 16, 300) == NULL);
	CHECK(switch_new(4, 0, 300) == NULL);
	CHECK(switch_new(65536, 16, 300) == NULL);	/* port ids are stored in 16 bits */
	sw = switch_new(4, 16, 300);
	CHECK(sw != NULL);
	if (!sw)
		return;
	CHECK_EQ(switch_port_active(sw, 0), 0);
	CHECK(switch_port_stats(sw, 0) == NULL);
	CHECK_EQ(switch_port_add(sw, 0), 0);
	CHECK_EQ(switch_port_add(sw, 0), -EEXIST);
	CHECK_EQ(switch_port_add(sw, 4), -EINVAL);
	CHECK(switch_port_active(sw, 0) != 0);
	CHECK_EQ(switch_port_active(sw, 4), 0);
	CHECK(switch_port_stats(sw, 0) != NULL);
	/* A frame from an inactive port goes nowhere and is not learned. */
	CHECK_EQ(fwd(sw, 1, 10, 11, 1), SWITCH_DROP);
	CHECK_EQ(fwd(sw, 9, 10, 11, 1), SWITCH_DROP);
	CHECK_EQ(switch_mac_count(sw), 0);
	switch_free(sw);
	switch_free(NULL);
}

static void test_learning(void)
{
	struct vswitch *sw = sw_with_ports(4, 64, 300);

	/* Unknown destination: flood; the source is learned. */
	CHECK_EQ(fwd(sw, 0, 100, 101, 10), SWITCH_FLOOD);
	CHECK_EQ(switch_mac_count(sw), 1);
	/* The reply goes straight back to the learned port. */
	CHECK_EQ(fwd(sw, 2, 101, 100, 11), 0);
	CHECK_EQ(switch_mac_count(sw), 2);
	CHECK_EQ(fwd(sw, 0, 100, 101, 12), 2);
	/* Learning the same address again does not grow the table. */
	CHECK_EQ(fwd(sw, 0, 100, 101, 13), 2);
	CHECK_EQ(switch_mac_count(sw), 2);
	/* Destination behind the ingress port: drop (the station already saw it on its segment). */
	CHECK_EQ(fwd(sw, 3, 102, 103, 14), SWITCH_FLOOD);
	CHECK_EQ(fwd(sw, 3, 103, 102, 14), SWITCH_DROP);
	switch_free(sw);
}

static void test_moving_station(void)
{
	struct vswitch *sw = sw_with_ports(4, 64, 300);

	CHECK_EQ(fwd(sw, 0, 1, 2, 1), SWITCH_FLOOD);
	CHECK_EQ(fwd(sw, 1, 2, 1, 1), 0);
	/* Station 1 shows up on port 3: frames for it follow it there. */
	CHECK_EQ(fwd(sw, 3, 1, 2, 2), 1);
	CHECK_EQ(fwd(sw, 1, 2, 1, 2), 3);
	CHECK_EQ(switch_mac_count(sw), 2);
	switch_free(sw);
}

static void test_group_addresses(void)
{
	struct vswitch *sw = sw_with_ports(4, 64, 300);
	uint8_t s[6];

	mac_of(s, 7);
	frame_build(fbuf, 60, BCAST, s, -1);
	CHECK_EQ(switch_forward(sw, 1, fbuf, 60, 1), SWITCH_FLOOD);
	frame_build(fbuf, 60, MCAST, s, -1);
	CHECK_EQ(switch_forward(sw, 1, fbuf, 60, 1), SWITCH_FLOOD);
	/* Broadcast and multicast still flood even once a station is known on the ingress port. */
	CHECK_EQ(switch_forward(sw, 1, fbuf, 60, 2), SWITCH_FLOOD);
	CHECK_EQ(switch_mac_count(sw), 1);
	/* A group address as source is never learned (it would capture the broadcast domain). */
	frame_build(fbuf, 60, s, MCAST, -1);
	CHECK_EQ(switch_forward(sw, 2, fbuf, 60, 3), 1);
	frame_build(fbuf, 60, s, BCAST, -1);
	CHECK_EQ(switch_forward(sw, 2, fbuf, 60, 3), 1);
	CHECK_EQ(switch_mac_count(sw), 1);
	frame_build(fbuf, 60, BCAST, s, -1);
	CHECK_EQ(switch_forward(sw, 0, fbuf, 60, 4), SWITCH_FLOOD);
	switch_free(sw);
}

static void test_aging(void)
{
	struct vswitch *sw = sw_with_ports(4, 64, 30);

	CHECK_EQ(fwd(sw, 0, 1, 99, 100), SWITCH_FLOOD);
	CHECK_EQ(fwd(sw, 1, 2, 99, 100), SWITCH_FLOOD);
	CHECK_EQ(switch_mac_count(sw), 2);
	/* Within the aging time nothing is removed. */
	CHECK_EQ(switch_age(sw, 130), 0);
	CHECK_EQ(switch_mac_count(sw), 2);
	CHECK_EQ(fwd(sw, 2, 3, 1, 130), 0);
	/* Lazy expiry: station 1 is stale at 131+ even before switch_age runs, so frames to it flood. */
	CHECK_EQ(fwd(sw, 2, 3, 1, 131), SWITCH_FLOOD);
	/* Station 2 refreshes itself at 140; station 1 does not. */
	CHECK_EQ(fwd(sw, 1, 2, 3, 140), 2);
	CHECK_EQ(switch_mac_count(sw), 3);	/* still in the table until swept */
	CHECK_EQ(switch_age(sw, 150), 1);	/* 1 (seen 100) goes; 2 (140) and 3 (131) stay */
	CHECK_EQ(switch_mac_count(sw), 2);
	CHECK_EQ(fwd(sw, 2, 3, 2, 150), 1);
	CHECK_EQ(switch_age(sw, 1000), 2);
	CHECK_EQ(switch_mac_count(sw), 0);
	CHECK_EQ(fwd(sw, 2, 3, 2, 1000), SWITCH_FLOOD);
	/* An expired station that speaks again is learned again (possibly on a new port). */
	CHECK_EQ(fwd(sw, 0, 2, 3, 1001), 2);
	CHECK_EQ(fwd(sw, 2, 3, 2, 1001), 0);
	switch_free(sw);
}

static void test_lazy_relearn(void)
{
	struct vswitch *sw = sw_with_ports(4, 64, 10);

	/* A stale entry that was never swept is refreshed, and follows a move, when the station speaks. */
	CHECK_EQ(fwd(sw, 0, 1, 99, 0), SWITCH_FLOOD);
	CHECK_EQ(fwd(sw, 3, 1, 99, 50), SWITCH_FLOOD);
	CHECK_EQ(switch_mac_count(sw), 1);
	CHECK_EQ(fwd(sw, 1, 2, 1, 51), 3);
	switch_free(sw);
}

static void test_counters(void)
{
	struct vswitch *sw = sw_with_ports(2, 64, 300);
	struct switch_port_stats *st0, *st1;
	uint8_t s[6], d[6];

	mac_of(s, 1);
	mac_of(d, 2);
	st0 = switch_port_stats(sw, 0);
	st1 = switch_port_stats(sw, 1);
	CHECK(st0 && st1);
	if (!st0 || !st1)
		goto out;
	CHECK_EQ(st0->rx_frames, 0);
	frame_build(fbuf, 14, d, s, -1);
	CHECK_EQ(switch_forward(sw, 0, fbuf, 14, 1), SWITCH_FLOOD);
	frame_build(fbuf, 1514, d, s, -1);
	CHECK_EQ(switch_forward(sw, 0, fbuf, 1514, 1), SWITCH_FLOOD);
	frame_build(fbuf, ETH_MAX_FRAME, d, s, -1);
	CHECK_EQ(switch_forward(sw, 0, fbuf, ETH_MAX_FRAME, 1), SWITCH_FLOOD);
	CHECK_EQ(st0->rx_frames, 3);
	CHECK_EQ(st0->rx_bytes, 14 + 1514 + ETH_MAX_FRAME);
	CHECK_EQ(st0->rx_errors, 0);
	CHECK_EQ(st1->rx_frames, 0);

	/* Not Ethernet frames: counted as errors, dropped, not learned, not in rx_frames/bytes. */
	mac_of(s, 50);
	frame_build(fbuf, sizeof(fbuf), d, s, -1);
	CHECK_EQ(switch_forward(sw, 1, fbuf, 13, 2), SWITCH_DROP);
	CHECK_EQ(switch_forward(sw, 1, fbuf, 0, 2), SWITCH_DROP);
	CHECK_EQ(switch_forward(sw, 1, fbuf, ETH_MAX_FRAME + 1, 2), SWITCH_DROP);
	CHECK_EQ(st1->rx_errors, 3);
	CHECK_EQ(st1->rx_frames, 0);
	CHECK_EQ(st1->rx_bytes, 0);
	CHECK_EQ(switch_mac_count(sw), 1);
	CHECK_EQ(st0->rx_errors, 0);

	/* Re-adding a port starts from zero counters. */
	switch_port_remove(sw, 0);
	CHECK(switch_port_stats(sw, 0) == NULL);
	CHECK_EQ(switch_port_add(sw, 0), 0);
	st0 = switch_port_stats(sw, 0);
	CHECK(st0 != NULL);
	if (st0) {
		CHECK_EQ(st0->rx_frames, 0);
		CHECK_EQ(st0->rx_bytes, 0);
		CHECK_EQ(st0->rx_errors, 0);
	}
out:
	switch_free(sw);
}

static void test_table_full(void)
{
	struct vswitch *sw = sw_with_ports(4, 16, 300);
	unsigned n;

	for (n = 0; n < 16; n++)
		CHECK_EQ(fwd(sw, n % 2, 1000 + n, 5000, 1), SWITCH_FLOOD);
	CHECK_EQ(switch_mac_count(sw), 16);
	/* Full: the 17th station is not learned, but its frames are still forwarded... */
	CHECK_EQ(fwd(sw, 2, 2000, 1001, 2), 1);
	CHECK_EQ(switch_mac_count(sw), 16);
	/* ...and frames for it flood, since nobody knows where it is. */
	CHECK_EQ(fwd(sw, 0, 1000, 2000, 2), SWITCH_FLOOD);
	/* Known stations keep working. */
	CHECK_EQ(fwd(sw, 3, 3000, 1000, 2), 0);
	/* After aging frees room the new station is learned. */
	CHECK_EQ(switch_age(sw, 1000), 16);
	CHECK_EQ(fwd(sw, 2, 2000, 1001, 1001), SWITCH_FLOOD);
	CHECK_EQ(fwd(sw, 0, 1000, 2000, 1001), 2);
	CHECK_EQ(switch_mac_count(sw), 2);
	/* Refill after entries were recycled through the free list. */
	for (n = 0; n < 40; n++)
		fwd(sw, 1, 7000 + n, 5000, 1002);
	CHECK_EQ(switch_mac_count(sw), 16);
	CHECK_EQ(fwd(sw, 1, 2000, 1000, 1003), 0);	/* station 1000 survived, station 2000 moved */
	switch_free(sw);
}

static void test_port_removal(void)
{
	struct vswitch *sw = sw_with_ports(4, 64, 300);

	fwd(sw, 0, 1, 99, 1);
	fwd(sw, 1, 2, 99, 1);
	fwd(sw, 1, 3, 99, 1);
	fwd(sw, 2, 4, 99, 1);
	CHECK_EQ(switch_mac_count(sw), 4);
	switch_port_remove(sw, 1);
	CHECK_EQ(switch_port_active(sw, 1), 0);
	CHECK_EQ(switch_mac_count(sw), 2);
	/* Frames for the forgotten stations flood rather than go to the dead port. */
	CHECK_EQ(fwd(sw, 0, 1, 2, 2), SWITCH_FLOOD);
	CHECK_EQ(fwd(sw, 0, 1, 3, 2), SWITCH_FLOOD);
	CHECK_EQ(fwd(sw, 0, 1, 4, 2), 2);
	/* Frames from the removed port are dropped. */
	CHECK_EQ(fwd(sw, 1, 2, 1, 2), SWITCH_DROP);
	/* Removing twice or out of range is harmless. */
	switch_port_remove(sw, 1);
	switch_port_remove(sw, 77);
	CHECK_EQ(switch_mac_count(sw), 2);
	/* The id can be reused; its stations are learned afresh. */
	CHECK_EQ(switch_port_add(sw, 1), 0);
	CHECK_EQ(fwd(sw, 1, 2, 1, 3), 0);
	CHECK_EQ(fwd(sw, 0, 1, 2, 3), 1);
	switch_free(sw);
}

static void test_vlan(void)
{
	struct vswitch *sw = sw_with_ports(4, 64, 300);

	/* Station 1 on VLAN 10 behind port 0, the same MAC on VLAN 20 behind port 1. */
	CHECK_EQ(fwd_vlan(sw, 0, 1, 99, 10, 1), SWITCH_FLOOD);
	CHECK_EQ(fwd_vlan(sw, 1, 1, 99, 20, 1), SWITCH_FLOOD);
	CHECK_EQ(switch_mac_count(sw), 2);
	CHECK_EQ(fwd_vlan(sw, 2, 5, 1, 10, 2), 0);
	CHECK_EQ(fwd_vlan(sw, 2, 5, 1, 20, 2), 1);
	/* Untagged (VLAN 0) does not know station 1. */
	CHECK_EQ(fwd(sw, 2, 5, 1, 2), SWITCH_FLOOD);
	/* The PCP/DEI bits are not part of the VLAN id. */
	CHECK_EQ(fwd_vlan(sw, 2, 5, 1, 0xe000 | 10, 2), 0);
	/* A VLAN the station never used floods. */
	CHECK_EQ(fwd_vlan(sw, 2, 5, 1, 30, 2), SWITCH_FLOOD);

	/* 802.1ad outer tag is honoured too. */
	{
		uint8_t s[6], d[6];

		mac_of(s, 9);
		mac_of(d, 99);
		frame_build(fbuf, 64, d, s, 40);
		fbuf[12] = 0x88;
		fbuf[13] = 0xa8;
		CHECK_EQ(switch_forward(sw, 3, fbuf, 64, 3), SWITCH_FLOOD);
		CHECK_EQ(fwd_vlan(sw, 0, 5, 9, 40, 3), 3);
		CHECK_EQ(fwd(sw, 0, 5, 9, 3), SWITCH_FLOOD);
	}
	switch_free(sw);
}

struct walk {
	unsigned count;
	unsigned seen_mask;	/* bit n set when station n was seen */
	int bad;
	unsigned stop_after;
};

static int walk_cb(const struct switch_mac_info *info, void *ctx)
{
	struct walk *w = ctx;
	uint8_t expect[6];
	unsigned n = info->mac[5];

	mac_of(expect, n);
	if (memcmp(expect, info->mac, 6) != 0 || n >= 32)
		w->bad = 1;
	else
		w->seen_mask |= 1u << n;
	/* Stations 1..3 are on port n-1, VLAN 0, seen at time 10*n; station 4 is on VLAN 7. */
	if (n >= 1 && n <= 4) {
		if (info->port != n - 1 || info->last_seen != 10 * n)
			w->bad = 1;
		if (info->vlan != (n == 4 ? 7 : 0))
			w->bad = 1;
	}
	w->count++;
	return w->stop_after && w->count >= w->stop_after;
}

static void test_mac_foreach(void)
{
	struct vswitch *sw = sw_with_ports(4, 64, 100);
	struct walk w;

	memset(&w, 0, sizeof(w));
	switch_mac_foreach(sw, 0, walk_cb, &w);
	CHECK_EQ(w.count, 0);

	fwd(sw, 0, 1, 99, 10);
	fwd(sw, 1, 2, 99, 20);
	fwd(sw, 2, 3, 99, 30);
	fwd_vlan(sw, 3, 4, 99, 7, 40);

	memset(&w, 0, sizeof(w));
	switch_mac_foreach(sw, 50, walk_cb, &w);
	CHECK_EQ(w.count, 4);
	CHECK_EQ(w.seen_mask, 0x1e);
	CHECK_EQ(w.bad, 0);

	/* Entries past their aging time are not reported even before a sweep. */
	memset(&w, 0, sizeof(w));
	switch_mac_foreach(sw, 125, walk_cb, &w);
	CHECK_EQ(w.count, 2);
	CHECK_EQ(w.seen_mask, (1u << 3) | (1u << 4));
	CHECK_EQ(switch_mac_count(sw), 4);

	/* A non-zero return stops the walk. */
	memset(&w, 0, sizeof(w));
	w.stop_after = 2;
	switch_mac_foreach(sw, 50, walk_cb, &w);
	CHECK_EQ(w.count, 2);
	switch_free(sw);
}

static void test_seed(void)
{
	struct vswitch *sw = sw_with_ports(4, 64, 300);

	/* Whatever the seed, lookups behave the same. */
	switch_set_seed(sw, 0x1234567890abcdefULL);
	for (unsigned n = 0; n < 64; n++)
		CHECK_EQ(fwd(sw, n % 4, n, 9999, 1), SWITCH_FLOOD);
	CHECK_EQ(switch_mac_count(sw), 64);
	/* Too late to reseed: must not lose the learned table. */
	switch_set_seed(sw, 42);
	for (unsigned n = 0; n < 64; n++)
		CHECK_EQ(fwd(sw, (n + 1) % 4, 9998, n, 2), n % 4);
	switch_free(sw);
}


/* ---- port policy: frames in, frames out ---- */

#define NP 8

/* What left each port for one frame in: out_len[p] 0 if nothing, out[p] the bytes as sent. */
static uint8_t out[NP][ETH_MAX_FRAME + 8];
static size_t out_len[NP];

/* Switch one frame as the data path does: ingress, then per active port the egress and its tagging. */
static int deliver(struct vswitch *sw, unsigned in, const uint8_t *f, size_t len, uint64_t now_ms,
		   struct switch_verdict *v)
{
	int dst = switch_ingress(sw, in, f, len, now_ms, v);

	memset(out_len, 0, sizeof(out_len));
	for (unsigned p = 0; p < NP; p++) {
		enum switch_tx tx;

		if (!switch_port_active(sw, p) || (dst >= 0 && (unsigned)dst != p) || dst == SWITCH_DROP)
			continue;
		tx = switch_egress(sw, in, p, v);
		if (dst >= 0)
			CHECK_EQ(v->tx, tx);	/* the verdict carries the one destination's answer */
		switch (tx) {
		case SWITCH_TX_DROP:
			break;
		case SWITCH_TX_ASIS:
			memcpy(out[p], f, len);
			out_len[p] = len;
			break;
		case SWITCH_TX_POP:
			memcpy(out[p], f, 12);
			memcpy(out[p] + 12, f + 16, len - 16);
			out_len[p] = len - 4;
			break;
		case SWITCH_TX_PUSH:
			memcpy(out[p], f, 12);
			out[p][12] = 0x81;
			out[p][13] = 0x00;
			out[p][14] = (uint8_t)(v->vlan >> 8);
			out[p][15] = (uint8_t)v->vlan;
			memcpy(out[p] + 16, f + 12, len - 12);
			out_len[p] = len + 4;
			break;
		}
	}
	return dst;
}

/* The VID of the outer 802.1Q tag of what left port p, -1 if it left untagged, -2 if nothing left. */
static int out_tag(unsigned p)
{
	if (!out_len[p])
		return -2;
	if (out[p][12] == 0x81 && out[p][13] == 0x00)
		return (out[p][14] & 0x0f) << 8 | out[p][15];
	return -1;
}

/* A frame from station src to dst (a number, or -1: broadcast), with an optional 802.1Q tag. */
static size_t mkframe(uint8_t *buf, int dst, unsigned src, int vlan)
{
	uint8_t s[6], d[6];

	mac_of(s, src);
	if (dst < 0)
		memcpy(d, BCAST, 6);
	else
		mac_of(d, (unsigned)dst);
	return frame_build(buf, 64, d, s, vlan);
}

static struct vswitch *sw_conf(void)
{
	struct vswitch *sw = sw_with_ports(NP, 64, 300);

	return sw;
}

static void conf_port(struct vswitch *sw, unsigned p, const struct switch_port_conf *c)
{
	CHECK_EQ(switch_port_configure(sw, p, c), 0);
}

static void test_conf_check(void)
{
	struct switch_port_conf c;
	const char *why = NULL;

	switch_port_conf_init(&c);
	CHECK_EQ(switch_port_conf_check(&c, &why), 0);
	c.vlan = 4095;
	CHECK_EQ(switch_port_conf_check(&c, &why), -EINVAL);
	CHECK(why != NULL);
	c.vlan = 10;
	c.trunk = true;
	CHECK_EQ(switch_port_conf_check(&c, &why), -EINVAL);
	switch_port_conf_init(&c);
	c.native = 5;
	CHECK_EQ(switch_port_conf_check(&c, &why), -EINVAL);
	c.trunk = true;
	CHECK_EQ(switch_port_conf_check(&c, &why), 0);
	c.npinned = 1;
	memcpy(c.pinned[0], MCAST, 6);
	CHECK_EQ(switch_port_conf_check(&c, &why), -EINVAL);
}

/* Ports: 1, 2 access 10; 3 access 20; 4 trunk {10,20}; 5 trunk {20} native 10; 6 plain. */
static struct vswitch *vlan_net(void)
{
	struct vswitch *sw = sw_conf();
	struct switch_port_conf c;

	switch_port_conf_init(&c);
	c.vlan = 10;
	conf_port(sw, 1, &c);
	conf_port(sw, 2, &c);
	c.vlan = 20;
	conf_port(sw, 3, &c);
	switch_port_conf_init(&c);
	c.trunk = true;
	switch_conf_trunk_add(&c, 10);
	switch_conf_trunk_add(&c, 20);
	conf_port(sw, 4, &c);
	switch_port_conf_init(&c);
	c.trunk = true;
	c.native = 10;
	switch_conf_trunk_add(&c, 20);
	conf_port(sw, 5, &c);
	CHECK(!switch_is_plain(sw));
	return sw;
}

static void test_vlan_matrix(void)
{
	struct vswitch *sw = vlan_net();
	struct switch_verdict v;
	uint8_t f[128];
	size_t len;

	/* broadcast untagged from access 10: access 10 untagged, trunk tagged 10, native-10 trunk untagged,
	 * plain tagged 10; not to VLAN 20, not back */
	len = mkframe(f, -1, 100, -1);
	CHECK_EQ(deliver(sw, 1, f, len, 1000, &v), SWITCH_FLOOD);
	CHECK_EQ(v.vlan, 10);
	CHECK_EQ(out_tag(1), -2);
	CHECK_EQ(out_tag(2), -1);
	CHECK_EQ(out_len[2], 64);
	CHECK_EQ(out_tag(3), -2);
	CHECK_EQ(out_tag(4), 10);
	CHECK_EQ(out_len[4], 68);
	CHECK(memcmp(out[4] + 16, f + 12, 64 - 12) == 0);	/* the rest of the frame follows the tag */
	CHECK_EQ(out_tag(5), -1);
	CHECK_EQ(out_tag(6), 10);
	CHECK_EQ(out_tag(0), 10);	/* port 0 is plain too */

	/* tagged 20 from the trunk: access 20 untagged, the other trunk as is, plain as is */
	len = mkframe(f, -1, 101, 20);
	CHECK_EQ(deliver(sw, 4, f, len, 1000, &v), SWITCH_FLOOD);
	CHECK_EQ(out_tag(1), -2);
	CHECK_EQ(out_tag(2), -2);
	CHECK_EQ(out_tag(3), -1);
	CHECK_EQ(out_len[3], 60);
	CHECK(memcmp(out[3] + 12, f + 16, 60 - 12) == 0);
	CHECK_EQ(out_tag(5), 20);
	CHECK_EQ(out_tag(6), 20);

	/* untagged on a trunk without native, a VLAN the trunk does not carry, tagged on an access port */
	struct switch_port_stats *st4 = switch_port_stats(sw, 4), *st1 = switch_port_stats(sw, 1);
	len = mkframe(f, -1, 102, -1);
	CHECK_EQ(deliver(sw, 4, f, len, 1000, &v), SWITCH_DROP);
	len = mkframe(f, -1, 102, 30);
	CHECK_EQ(deliver(sw, 4, f, len, 1000, &v), SWITCH_DROP);
	CHECK_EQ(st4->drop_vlan, 2);
	len = mkframe(f, -1, 100, 10);
	CHECK_EQ(deliver(sw, 1, f, len, 1000, &v), SWITCH_DROP);
	CHECK_EQ(st1->drop_vlan, 1);

	/* a priority tag (VID 0) on an access port is its VLAN; it leaves access ports without the tag */
	len = mkframe(f, -1, 100, 0);
	CHECK_EQ(deliver(sw, 1, f, len, 1000, &v), SWITCH_FLOOD);
	CHECK_EQ(out_tag(2), -1);
	CHECK_EQ(out_len[2], 60);
	CHECK_EQ(out_tag(4), 0);	/* to a trunk as it came: tagged, VID 0 */

	/* untagged on the native-10 trunk is VLAN 10 */
	len = mkframe(f, -1, 103, -1);
	CHECK_EQ(deliver(sw, 5, f, len, 1000, &v), SWITCH_FLOOD);
	CHECK_EQ(v.vlan, 10);
	CHECK_EQ(out_tag(1), -1);
	CHECK_EQ(out_tag(2), -1);
	CHECK_EQ(out_tag(3), -2);
	CHECK_EQ(out_tag(4), 10);
	/* and tagged 10 from the other trunk to it leaves untagged */
	len = mkframe(f, -1, 104, 10);
	CHECK_EQ(deliver(sw, 4, f, len, 1000, &v), SWITCH_FLOOD);
	CHECK_EQ(out_tag(5), -1);
	CHECK_EQ(out_len[5], 60);

	/* unicast: station 100 was learned on port 1 in VLAN 10; tagged 10 from the trunk reaches it popped */
	len = mkframe(f, 100, 105, 10);
	CHECK_EQ(deliver(sw, 4, f, len, 1000, &v), 1);
	CHECK_EQ(out_tag(1), -1);
	CHECK_EQ(out_len[1], 60);
	/* the same address in VLAN 20 is another station: unknown there, flooded in VLAN 20 only */
	len = mkframe(f, 100, 105, 20);
	CHECK_EQ(deliver(sw, 4, f, len, 1000, &v), SWITCH_FLOOD);
	CHECK_EQ(out_tag(1), -2);
	CHECK_EQ(out_tag(3), -1);
	/* access 10 to access 10, unicast: as is; access 10 to a station of VLAN 20: unknown in 10, flooded in 10 */
	len = mkframe(f, 100, 106, -1);
	CHECK_EQ(deliver(sw, 2, f, len, 1000, &v), 1);
	CHECK_EQ(out_tag(1), -1);
	len = mkframe(f, 101, 106, -1);		/* 101 lives in VLAN 20 (port 4) */
	CHECK_EQ(deliver(sw, 2, f, len, 1000, &v), SWITCH_FLOOD);
	CHECK_EQ(out_tag(3), -2);
	CHECK_EQ(out_tag(4), 10);
	switch_free(sw);
}

static void test_qinq(void)
{
	struct vswitch *sw = vlan_net();
	struct switch_verdict v;
	uint8_t f[128];
	size_t len;

	/* 802.1ad S-tag 20 around a customer's 802.1Q tag 100, from the plain port: VLAN 20 by the outer tag */
	len = mkframe(f, -1, 200, 20);
	f[12] = 0x88;
	f[13] = 0xa8;
	memmove(f + 20, f + 16, 64 - 20);
	f[16] = 0x81;
	f[17] = 0x00;
	f[18] = 0x00;
	f[19] = 100;
	CHECK_EQ(deliver(sw, 6, f, len, 1000, &v), SWITCH_FLOOD);
	CHECK_EQ(v.vlan, 20);
	CHECK(v.tagged);
	/* access 20 gets the customer's frame: the S-tag popped, the C-tag 100 outermost */
	CHECK_EQ(out_tag(3), 100);
	CHECK_EQ(out_len[3], 60);
	/* the trunk of 20 gets it as it came: S-tag kept */
	CHECK_EQ(out_len[4], 64);
	CHECK(out[4][12] == 0x88 && out[4][13] == 0xa8);
	CHECK_EQ(out_tag(1), -2);
	/* an S-tagged frame on a trunk is classified by its outer tag too */
	f[6 + 5] = 201;
	CHECK_EQ(deliver(sw, 5, f, len, 1000, &v), SWITCH_FLOOD);
	CHECK_EQ(out_tag(3), 100);
	switch_free(sw);
}

static void test_isolation(void)
{
	struct vswitch *sw = sw_conf();
	struct switch_port_conf c;
	struct switch_verdict v;
	uint8_t f[128];
	size_t len;

	switch_port_conf_init(&c);
	c.isolated = true;
	conf_port(sw, 1, &c);
	conf_port(sw, 2, &c);
	/* 3 is the gateway (plain) */
	len = mkframe(f, -1, 1, -1);
	CHECK_EQ(deliver(sw, 1, f, len, 1000, &v), SWITCH_FLOOD);
	CHECK_EQ(out_tag(2), -2);
	CHECK_EQ(out_tag(3), -1);
	len = mkframe(f, -1, 2, -1);
	CHECK_EQ(deliver(sw, 2, f, len, 1000, &v), SWITCH_FLOOD);
	CHECK_EQ(out_tag(1), -2);
	CHECK_EQ(out_tag(3), -1);
	len = mkframe(f, -1, 3, -1);
	CHECK_EQ(deliver(sw, 3, f, len, 1000, &v), SWITCH_FLOOD);
	CHECK_EQ(out_tag(1), -1);
	CHECK_EQ(out_tag(2), -1);
	/* unicast between the isolated pair is dropped and counted; to and from the gateway it passes */
	len = mkframe(f, 2, 1, -1);
	CHECK_EQ(deliver(sw, 1, f, len, 1000, &v), SWITCH_DROP);
	CHECK_EQ(switch_port_stats(sw, 1)->drop_isolated, 1);
	len = mkframe(f, 3, 1, -1);
	CHECK_EQ(deliver(sw, 1, f, len, 1000, &v), 3);
	len = mkframe(f, 2, 3, -1);
	CHECK_EQ(deliver(sw, 3, f, len, 1000, &v), 2);
	switch_free(sw);
}

static void test_mac_limit_and_pin(void)
{
	struct vswitch *sw = sw_conf();
	struct switch_port_conf c;
	struct switch_verdict v;
	struct switch_port_stats *st;
	uint8_t f[128];

	switch_port_conf_init(&c);
	c.max_macs = 2;
	conf_port(sw, 1, &c);
	st = switch_port_stats(sw, 1);
	CHECK_EQ(deliver(sw, 1, f, mkframe(f, -1, 10, -1), 1000, &v), SWITCH_FLOOD);
	CHECK_EQ(deliver(sw, 1, f, mkframe(f, -1, 11, -1), 1000, &v), SWITCH_FLOOD);
	CHECK_EQ(deliver(sw, 1, f, mkframe(f, -1, 12, -1), 1000, &v), SWITCH_DROP);
	CHECK_EQ(st->drop_mac_limit, 1);
	CHECK_EQ(deliver(sw, 1, f, mkframe(f, -1, 10, -1), 2000, &v), SWITCH_FLOOD);
	CHECK_EQ(switch_mac_count(sw), 2);
	/* once 11 ages out there is room again */
	CHECK_EQ(switch_age(sw, 302), 1);
	CHECK_EQ(deliver(sw, 1, f, mkframe(f, -1, 12, -1), 302000, &v), SWITCH_FLOOD);

	/* pinning: only the pinned source passes */
	switch_port_conf_init(&c);
	c.npinned = 1;
	mac_of(c.pinned[0], 20);
	conf_port(sw, 2, &c);
	st = switch_port_stats(sw, 2);
	CHECK_EQ(deliver(sw, 2, f, mkframe(f, -1, 20, -1), 303000, &v), SWITCH_FLOOD);
	CHECK_EQ(deliver(sw, 2, f, mkframe(f, -1, 21, -1), 303000, &v), SWITCH_DROP);
	CHECK_EQ(deliver(sw, 2, f, mkframe(f, 12, 21, -1), 303000, &v), SWITCH_DROP);
	CHECK_EQ(st->drop_mac_pin, 2);
	CHECK_EQ(deliver(sw, 2, f, mkframe(f, 12, 20, -1), 303000, &v), 1);
	switch_free(sw);
}

static void test_move_protection(void)
{
	struct vswitch *sw = sw_conf();
	struct switch_port_conf c;
	struct switch_verdict v;
	uint8_t f[128];

	switch_port_conf_init(&c);
	c.max_macs = 4;
	conf_port(sw, 1, &c);
	/* the victim (station 10) on secured port 1; an attacker on plain port 2 forges its source */
	CHECK_EQ(deliver(sw, 1, f, mkframe(f, -1, 10, -1), 1000, &v), SWITCH_FLOOD);
	CHECK_EQ(deliver(sw, 2, f, mkframe(f, -1, 10, -1), 1000, &v), SWITCH_DROP);
	CHECK_EQ(switch_port_stats(sw, 2)->drop_mac_move, 1);
	/* frames for the victim still go to port 1 */
	CHECK_EQ(deliver(sw, 3, f, mkframe(f, 10, 30, -1), 1001, &v), 1);
	/* a secured port takes no address that lives elsewhere: 30 is on port 3 */
	CHECK_EQ(deliver(sw, 1, f, mkframe(f, -1, 30, -1), 1002, &v), SWITCH_DROP);
	CHECK_EQ(switch_port_stats(sw, 1)->drop_mac_move, 1);
	CHECK_EQ(deliver(sw, 0, f, mkframe(f, 30, 31, -1), 1003, &v), 3);
	/* between plain ports a station still moves */
	CHECK_EQ(deliver(sw, 2, f, mkframe(f, -1, 30, -1), 1004, &v), SWITCH_FLOOD);
	CHECK_EQ(deliver(sw, 0, f, mkframe(f, 30, 31, -1), 1005, &v), 2);
	/* once the victim's entry has aged out, the address may live elsewhere */
	CHECK_EQ(deliver(sw, 2, f, mkframe(f, -1, 10, -1), 400000, &v), SWITCH_FLOOD);
	CHECK_EQ(deliver(sw, 0, f, mkframe(f, 10, 31, -1), 400001, &v), 2);
	switch_free(sw);
}

static void test_static_and_flush(void)
{
	struct vswitch *sw = sw_conf();
	struct switch_verdict v;
	uint8_t f[128], m[6];

	mac_of(m, 10);
	CHECK_EQ(switch_mac_add_static(sw, m, 0, 2), 0);
	CHECK_EQ(switch_mac_add_static(sw, MCAST, 0, 2), -EINVAL);
	CHECK_EQ(switch_mac_add_static(sw, m, 0, NP), -EINVAL);
	CHECK_EQ(deliver(sw, 1, f, mkframe(f, 10, 11, -1), 1000, &v), 2);
	/* learning does not move it, whoever forges it */
	CHECK_EQ(deliver(sw, 3, f, mkframe(f, -1, 10, -1), 1000, &v), SWITCH_DROP);
	CHECK_EQ(switch_port_stats(sw, 3)->drop_mac_move, 1);
	/* frames from its own port pass */
	CHECK_EQ(deliver(sw, 2, f, mkframe(f, 11, 10, -1), 1000, &v), 1);
	/* aging, the port going and a flush of learned entries leave it */
	CHECK_EQ(switch_age(sw, 100000), 1);	/* 11 went */
	switch_port_remove(sw, 2);
	CHECK_EQ(switch_port_add(sw, 2), 0);
	CHECK_EQ(switch_mac_flush(sw, -1, false), 0);
	CHECK_EQ(switch_mac_count(sw), 1);
	CHECK_EQ(deliver(sw, 1, f, mkframe(f, 10, 11, -1), 100001, &v), 2);
	/* flush by port: learned of that port only */
	CHECK_EQ(deliver(sw, 3, f, mkframe(f, -1, 12, -1), 100002, &v), SWITCH_FLOOD);
	CHECK_EQ(switch_mac_count(sw), 3);
	CHECK_EQ(switch_mac_flush(sw, 3, false), 1);
	CHECK_EQ(switch_mac_flush(sw, 2, false), 0);
	CHECK_EQ(switch_mac_flush(sw, -1, true), 2);
	CHECK_EQ(switch_mac_count(sw), 0);
	switch_free(sw);
}

static void test_full_table(void)
{
	struct vswitch *sw = sw_with_ports(NP, 16, 300);
	struct switch_port_conf c;
	struct switch_verdict v;
	uint8_t f[128];

	switch_port_conf_init(&c);
	c.max_macs = 4;
	conf_port(sw, 1, &c);
	conf_port(sw, 2, &c);
	CHECK_EQ(deliver(sw, 1, f, mkframe(f, -1, 1, -1), 1000, &v), SWITCH_FLOOD);
	/* plain port 3 fills the table */
	for (unsigned n = 0; n < 40; n++)
		deliver(sw, 3, f, mkframe(f, -1, 1000 + n, -1), 1000, &v);
	CHECK_EQ(switch_mac_count(sw), 16);
	/* unknown unicast from a secured port: not to the other secured port, to the plain ones */
	CHECK_EQ(deliver(sw, 1, f, mkframe(f, 77, 1, -1), 1001, &v), SWITCH_FLOOD);
	CHECK(v.restricted);
	CHECK_EQ(out_tag(2), -2);
	CHECK_EQ(out_tag(3), -1);
	CHECK_EQ(out_tag(0), -1);
	CHECK_EQ(switch_port_stats(sw, 1)->drop_table_full, 1);
	/* from a plain port it floods as before */
	CHECK_EQ(deliver(sw, 3, f, mkframe(f, 77, 1000, -1), 1001, &v), SWITCH_FLOOD);
	CHECK_EQ(out_tag(2), -1);
	/* full_flood: everyone */
	c.full_flood = true;
	conf_port(sw, 1, &c);
	CHECK_EQ(deliver(sw, 1, f, mkframe(f, 77, 1, -1), 1002, &v), SWITCH_FLOOD);
	CHECK_EQ(out_tag(2), -1);
	switch_free(sw);
}

static void test_storm(void)
{
	struct vswitch *sw = sw_conf();
	struct switch_port_conf c;
	struct switch_verdict v;
	uint8_t f[128], m[6];
	int passed = 0;

	switch_port_conf_init(&c);
	c.storm_broadcast = 10;
	c.storm_multicast = 5;
	c.storm_unknown = 2;
	conf_port(sw, 1, &c);
	/* a full second's worth at once, then one frame per 100 ms */
	for (int i = 0; i < 15; i++)
		passed += deliver(sw, 1, f, mkframe(f, -1, 1, -1), 5000, &v) == SWITCH_FLOOD;
	CHECK_EQ(passed, 10);
	CHECK_EQ(switch_port_stats(sw, 1)->drop_storm, 5);
	CHECK_EQ(deliver(sw, 1, f, mkframe(f, -1, 1, -1), 5099, &v), SWITCH_DROP);
	CHECK_EQ(deliver(sw, 1, f, mkframe(f, -1, 1, -1), 5100, &v), SWITCH_FLOOD);
	CHECK_EQ(deliver(sw, 1, f, mkframe(f, -1, 1, -1), 5100, &v), SWITCH_DROP);
	/* multicast has its own bucket */
	mac_of(m, 1);
	passed = 0;
	for (int i = 0; i < 8; i++) {
		frame_build(f, 64, MCAST, m, -1);
		passed += deliver(sw, 1, f, 64, 5100, &v) == SWITCH_FLOOD;
	}
	CHECK_EQ(passed, 5);
	/* unknown unicast: 2 per second; known unicast is not limited */
	passed = 0;
	for (int i = 0; i < 4; i++)
		passed += deliver(sw, 1, f, mkframe(f, 99, 1, -1), 5100, &v) == SWITCH_FLOOD;
	CHECK_EQ(passed, 2);
	deliver(sw, 2, f, mkframe(f, -1, 2, -1), 5100, &v);
	passed = 0;
	for (int i = 0; i < 50; i++)
		passed += deliver(sw, 1, f, mkframe(f, 2, 1, -1), 5100, &v) == 2;
	CHECK_EQ(passed, 50);
	/* after 10 s idle the bucket holds one second's worth, not more */
	passed = 0;
	for (int i = 0; i < 15; i++)
		passed += deliver(sw, 1, f, mkframe(f, -1, 1, -1), 15100, &v) == SWITCH_FLOOD;
	CHECK_EQ(passed, 10);
	switch_free(sw);
}

static void test_loop(void)
{
	struct vswitch *sw = sw_conf();
	struct switch_port_conf c;
	struct switch_verdict v;
	uint8_t f[128];
	size_t len;

	switch_port_conf_init(&c);
	c.loop_protect = true;
	c.loop_hold = 2;
	conf_port(sw, 2, &c);
	conf_port(sw, 3, &c);
	/* port 2 talks normally: its own broadcasts, also repeated, are no loop */
	len = mkframe(f, -1, 20, -1);
	CHECK_EQ(deliver(sw, 2, f, len, 1000, &v), SWITCH_FLOOD);
	CHECK_EQ(deliver(sw, 2, f, len, 1001, &v), SWITCH_FLOOD);
	CHECK(!v.loop_shut);
	/* station 1 on port 1 broadcasts; port 3 sends the very frame back: shut */
	len = mkframe(f, -1, 1, -1);
	CHECK_EQ(deliver(sw, 1, f, len, 2000, &v), SWITCH_FLOOD);
	CHECK_EQ(out_tag(3), -1);
	CHECK_EQ(deliver(sw, 3, f, len, 2001, &v), SWITCH_DROP);
	CHECK(v.loop_shut);
	CHECK_EQ(switch_port_stats(sw, 3)->loop_shutdowns, 1);
	CHECK_EQ(switch_port_shut_until(sw, 3), 4001);
	/* it learned nothing from the looped frame: station 1 is still on port 1 */
	CHECK_EQ(deliver(sw, 0, f, mkframe(f, 1, 5, -1), 2002, &v), 1);
	/* while shut: nothing from it, nothing to it */
	CHECK_EQ(deliver(sw, 3, f, mkframe(f, -1, 30, -1), 2500, &v), SWITCH_DROP);
	CHECK_EQ(switch_port_stats(sw, 3)->drop_loop, 2);
	CHECK_EQ(deliver(sw, 1, f, mkframe(f, -1, 1, -1), 3000, &v), SWITCH_FLOOD);
	CHECK_EQ(out_tag(3), -2);
	CHECK_EQ(out_tag(2), -1);
	/* after the hold time it is open again */
	CHECK_EQ(deliver(sw, 3, f, mkframe(f, -1, 30, -1), 4001, &v), SWITCH_FLOOD);
	CHECK_EQ(switch_port_shut_until(sw, 3), 0);
	CHECK_EQ(deliver(sw, 1, f, mkframe(f, -1, 1, -1), 4002, &v), SWITCH_FLOOD);
	CHECK_EQ(out_tag(3), -1);
	/* a port without loop protection is never shut */
	len = mkframe(f, -1, 7, -1);
	CHECK_EQ(deliver(sw, 2, f, len, 5000, &v), SWITCH_FLOOD);
	CHECK_EQ(deliver(sw, 1, f, len, 5001, &v), SWITCH_FLOOD);
	CHECK(!v.loop_shut);
	switch_free(sw);
}
/* The MAC table's changes, recorded only when asked: frames in, changes out. */
static void test_mac_changes(void)
{
	struct vswitch *sw = sw_with_ports(4, 4, 30);
	const struct switch_mac_change *c;
	unsigned n, lost;
	uint8_t m1[6], m2[6];

	mac_of(m1, 1);
	mac_of(m2, 2);
	/* off by default: nothing recorded */
	CHECK_EQ(fwd(sw, 0, 1, 99, 100), SWITCH_FLOOD);
	c = switch_changes_take(sw, &n, &lost);
	CHECK_EQ(n, 0);
	CHECK_EQ(lost, 0);
	switch_changes_enable(sw, true);
	/* a known station on its own port: no change; a new one: learned; one that moved: moved */
	CHECK_EQ(fwd(sw, 0, 1, 99, 101), SWITCH_FLOOD);
	CHECK_EQ(fwd(sw, 1, 2, 1, 101), 0);
	CHECK_EQ(fwd(sw, 3, 1, 2, 102), 1);
	CHECK_EQ(fwd_vlan(sw, 2, 1, 2, 7, 102), SWITCH_FLOOD);	/* the same MAC on VLAN 7 is another entry */
	c = switch_changes_take(sw, &n, &lost);
	CHECK_EQ(n, 3);
	CHECK_EQ(lost, 0);
	if (n == 3) {
		CHECK(c[0].what == SWITCH_MAC_LEARNED && memcmp(c[0].mac, m2, 6) == 0 && c[0].port == 1 && c[0].vlan == 0);
		CHECK(c[1].what == SWITCH_MAC_MOVED && memcmp(c[1].mac, m1, 6) == 0 && c[1].port == 3 && c[1].from == 0);
		CHECK(c[2].what == SWITCH_MAC_LEARNED && memcmp(c[2].mac, m1, 6) == 0 && c[2].port == 2 && c[2].vlan == 7);
	}
	/* taken: cleared */
	switch_changes_take(sw, &n, &lost);
	CHECK_EQ(n, 0);
	/* aged out */
	CHECK_EQ(fwd(sw, 1, 2, 99, 120), SWITCH_FLOOD);
	CHECK_EQ(switch_age(sw, 140), 2);	/* m1 on 3 and on VLAN 7 (102); m2 (120) stays */
	c = switch_changes_take(sw, &n, &lost);
	CHECK_EQ(n, 2);
	for (unsigned i = 0; i < n && i < 2; i++)
		CHECK(c[i].what == SWITCH_MAC_AGED && memcmp(c[i].mac, m1, 6) == 0);
	/* a full record counts what does not fit, and a table that is full learns (and records) nothing */
	switch_free(sw);
	sw = sw_with_ports(4, 4096, 300);
	switch_changes_enable(sw, true);
	for (unsigned i = 0; i < SWITCH_CHANGES_MAX + 10; i++)
		fwd(sw, 0, 1000 + i, 99, 1);
	c = switch_changes_take(sw, &n, &lost);
	CHECK_EQ(n, SWITCH_CHANGES_MAX);
	CHECK_EQ(lost, 10);
	/* off: forgotten, and nothing more recorded */
	fwd(sw, 0, 5000, 99, 1);
	switch_changes_enable(sw, false);
	fwd(sw, 0, 5001, 99, 1);
	switch_changes_take(sw, &n, &lost);
	CHECK_EQ(n, 0);
	CHECK_EQ(lost, 0);
	switch_free(sw);
}

int main(void)
{
	test_new_and_ports();
	test_learning();
	test_moving_station();
	test_group_addresses();
	test_aging();
	test_lazy_relearn();
	test_counters();
	test_table_full();
	test_port_removal();
	test_vlan();
	test_mac_foreach();
	test_seed();
	test_conf_check();
	test_vlan_matrix();
	test_qinq();
	test_isolation();
	test_mac_limit_and_pin();
	test_move_protection();
	test_static_and_flush();
	test_full_table();
	test_storm();
	test_loop();
	test_mac_changes();
	return unit_report("test-switch");
}
