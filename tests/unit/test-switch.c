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

#include "dataplane/switch.h"

static unsigned checks, failures;

#define CHECK(cond)                                                              \
	do {                                                                     \
		checks++;                                                        \
		if (!(cond)) {                                                   \
			failures++;                                              \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                \
	} while (0)

#define CHECK_EQ(a, b)                                                           \
	do {                                                                     \
		long long va_ = (long long)(a), vb_ = (long long)(b);            \
		checks++;                                                        \
		if (va_ != vb_) {                                                \
			failures++;                                              \
			fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", \
				__FILE__, __LINE__, #a, va_, #b, vb_);           \
		}                                                                \
	} while (0)

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
	printf("test-switch: %u checks, %u failed\n", checks, failures);
	return failures ? 1 : 0;
}
