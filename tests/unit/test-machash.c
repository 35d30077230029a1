/*
 * Unit test of common/machash.c, the one MAC+VLAN learning table (modules, vded's vxvde uplink,
 * libvdeplug_mod's vde_find_in_hash ABI): learning and refreshing, VLAN separation, expiry through
 * too_old, eviction of the least recently seen way of a full bucket, forgetting by payload, group
 * sources, sizes, payload alignment, and the VLAN every learner keys frames by. Pure: time is what
 * we pass.
 */
#include <errno.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "machash.h"
#include "unit.h"

static void mac_of(uint8_t mac[6], unsigned n)
{
	mac[0] = 0x02;
	mac[1] = 0;
	mac[2] = (uint8_t)(n >> 24);
	mac[3] = (uint8_t)(n >> 16);
	mac[4] = (uint8_t)(n >> 8);
	mac[5] = (uint8_t)n;
}

static void test_sizes(void)
{
	struct machash *h;

	errno = 0;
	CHECK(machash_new(0, 1, 4) == NULL && errno == EINVAL);
	errno = 0;
	CHECK(machash_new(MACHASH_MAX_ENTRIES + 1, 1, 4) == NULL && errno == EINVAL);
	errno = 0;
	CHECK(machash_new(16, 1, MACHASH_MAX_PAYLOAD + 1) == NULL && errno == EINVAL);
	h = machash_new(1, 1, 0);	/* one bucket of four ways, no payload: a set of addresses */
	CHECK(h != NULL);
	if (h) {
		uint8_t m[6];

		mac_of(m, 1);
		CHECK(machash_find(h, m, 0, 0) == NULL);
		machash_learn(h, m, 0, NULL, 5);
		CHECK(machash_find(h, m, 0, 0) != NULL);
		machash_free(h);
	}
	machash_free(NULL);
}

static void test_learn_find(void)
{
	struct machash *h = machash_new(64, 12345, sizeof(unsigned));
	uint8_t a[6], b[6], zero[6] = { 0 }, bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	unsigned one = 1, two = 2, *got;

	CHECK(h != NULL);
	if (!h)
		return;
	mac_of(a, 1);
	mac_of(b, 2);
	CHECK(machash_find(h, a, 0, 0) == NULL);
	machash_learn(h, a, 0, &one, 100);
	got = machash_find(h, a, 0, 100);
	CHECK(got && *got == 1);
	CHECK(((uintptr_t)got % alignof(max_align_t)) == 0);
	/* another VLAN is another key; only the low 12 bits of the VLAN count */
	CHECK(machash_find(h, a, 1, 0) == NULL);
	CHECK(machash_find(h, a, 0x1000, 0) != NULL);
	/* too old: seen at 100, asked for at least 101 */
	CHECK(machash_find(h, a, 0, 101) == NULL);
	/* a station that moved: refreshed with the new payload */
	machash_learn(h, a, 0, &two, 200);
	got = machash_find(h, a, 0, 150);
	CHECK(got && *got == 2);
	/* group sources are never learned, the all-zero address is a valid key */
	machash_learn(h, bcast, 0, &one, 200);
	CHECK(machash_find(h, bcast, 0, 0) == NULL);
	machash_learn(h, zero, 0, &one, 200);
	CHECK(machash_find(h, zero, 0, 0) != NULL);
	/* forget by payload: every entry with it, nothing else */
	machash_learn(h, b, 7, &two, 200);
	machash_forget(h, &two);
	CHECK(machash_find(h, a, 0, 0) == NULL);
	CHECK(machash_find(h, b, 7, 0) == NULL);
	CHECK(machash_find(h, zero, 0, 0) != NULL);
	machash_free(h);
}

/* A full bucket gives up its least recently seen way; the table never grows. */
static void test_eviction(void)
{
	struct machash *h = machash_new(4, 99, sizeof(unsigned));	/* exactly one bucket */
	uint8_t m[6];

	CHECK(h != NULL);
	if (!h)
		return;
	for (unsigned i = 0; i < 4; i++) {
		mac_of(m, i);
		machash_learn(h, m, 0, &i, 10 + i);
	}
	/* refresh 0: now 1 is the oldest */
	mac_of(m, 0);
	machash_learn(h, m, 0, &(unsigned){ 0 }, 50);
	mac_of(m, 4);
	machash_learn(h, m, 0, &(unsigned){ 4 }, 60);
	mac_of(m, 1);
	CHECK(machash_find(h, m, 0, 0) == NULL);
	for (unsigned i = 0; i <= 4; i++) {
		unsigned *got;

		if (i == 1)
			continue;
		mac_of(m, i);
		got = machash_find(h, m, 0, 0);
		CHECK(got && *got == i);
	}
	machash_free(h);

	/* a flood into a real table: the newest addresses are all found */
	h = machash_new(1024, 7, sizeof(unsigned));
	CHECK(h != NULL);
	if (!h)
		return;
	for (unsigned i = 0; i < 100000; i++) {
		mac_of(m, i);
		machash_learn(h, m, 0, &i, (time_t)i);
	}
	{
		unsigned found = 0;

		for (unsigned i = 100000 - 256; i < 100000; i++) {
			unsigned *got;

			mac_of(m, i);
			got = machash_find(h, m, 0, 0);
			found += got && *got == i;
		}
		/* the last 256 spread over 256 buckets of 4: at most a rare bucket with 5 of them */
		CHECK(found >= 250);
	}
	machash_free(h);
}

static void test_frame_vlan(void)
{
	uint8_t f[64];

	memset(f, 0, sizeof(f));
	CHECK(machash_frame_vlan(f, sizeof(f)) == 0);
	f[12] = 0x81, f[13] = 0x00, f[14] = 0xf0, f[15] = 0x2a;	/* PCP 7, VID 42 */
	CHECK(machash_frame_vlan(f, sizeof(f)) == 42);
	CHECK(machash_frame_vlan(f, 18) == 42);
	CHECK(machash_frame_vlan(f, 17) == 0);			/* no room for the tag */
	f[12] = 0x88, f[13] = 0xa8, f[14] = 0x0f, f[15] = 0xff;	/* 802.1ad outer tag */
	CHECK(machash_frame_vlan(f, sizeof(f)) == 4095);
	f[12] = 0x08, f[13] = 0x00;				/* IPv4 */
	CHECK(machash_frame_vlan(f, sizeof(f)) == 0);
	f[12] = 0x91, f[13] = 0x00;				/* old QinQ TPID: not a tag we key on */
	CHECK(machash_frame_vlan(f, sizeof(f)) == 0);
}

int main(void)
{
	test_sizes();
	test_learn_find();
	test_eviction();
	test_frame_vlan();
	{
		time_t t1 = machash_now(), t2 = machash_now();

		CHECK(t1 >= 0 && t2 >= t1);	/* monotonic */
	}
	return unit_report("test-machash");
}
