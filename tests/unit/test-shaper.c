/*
 * Unit test of vded/dataplane/shaper.c: the generator, token bucket exactness (policing and shaping),
 * loss, duplication and reordering statistics with a fixed seed, delay and jitter ordering, the queue's
 * bounds and its ring. The shaper is pure: time is the `now` we pass, chance the seed we give.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "unit.h"
#include "dataplane/shaper.h"

#define MS 1000000ull
#define SEC SHAPER_NS

static uint8_t frame[9234];

/* A frame whose bytes say which it is: n in its first four bytes. */
static const uint8_t *numbered(uint32_t n, uint32_t len)
{
	memset(frame, 0, len);
	memcpy(frame, &n, sizeof(n));
	return frame;
}

static uint32_t number_of(const struct shaper_frame *f)
{
	uint32_t n;

	memcpy(&n, f->data, sizeof(n));
	return n;
}

static void test_rng(void)
{
	struct shaper_rng a, b, c;
	uint64_t x[8];
	int same = 1;

	shaper_rng_seed(&a, 42);
	shaper_rng_seed(&b, 42);
	shaper_rng_seed(&c, 43);
	for (int i = 0; i < 8; i++) {
		x[i] = shaper_rng_next(&a);
		CHECK_EQ(x[i], shaper_rng_next(&b));
		if (x[i] != shaper_rng_next(&c))
			same = 0;
	}
	CHECK(!same);
	CHECK(x[0] != x[1]);
	for (int i = 0; i < 10000; i++)
		CHECK(shaper_rng_below(&a, 7) < 7);
	for (int i = 0; i < 1000; i++) {
		CHECK(!shaper_rng_chance(&a, 0));
		CHECK(shaper_rng_chance(&a, SHAPER_PPM));
	}
	/* 30 % over 100000 draws: within 1 % of it */
	unsigned hits = 0;
	for (int i = 0; i < 100000; i++)
		hits += shaper_rng_chance(&a, 300000);
	CHECK(hits > 29000 && hits < 31000);
}

static void test_bucket_police(void)
{
	struct shaper_bucket b;

	/* 8000 bit/s is 1000 bytes a second, 1 byte a millisecond; the bucket holds 1000 bytes, full */
	shaper_bucket_init(&b, 8000, 1000, 0);
	CHECK(shaper_bucket_police(&b, 1000, 0));
	CHECK(!shaper_bucket_police(&b, 1, 0));
	CHECK(!shaper_bucket_police(&b, 1, 999999));		/* 0.999999 ms: not one byte yet */
	CHECK(shaper_bucket_police(&b, 1, 1 * MS));		/* exactly one */
	CHECK(!shaper_bucket_police(&b, 1, 1 * MS));
	CHECK(shaper_bucket_police(&b, 500, 501 * MS));
	CHECK(!shaper_bucket_police(&b, 1, 501 * MS));
	/* a long pause fills it, never past the burst */
	CHECK(!shaper_bucket_police(&b, 1001, 100 * SEC));
	CHECK(shaper_bucket_police(&b, 1000, 100 * SEC));
	CHECK(!shaper_bucket_police(&b, 1, 100 * SEC));
	/* a refused frame takes nothing */
	CHECK(shaper_bucket_police(&b, 10, 100 * SEC + 10 * MS));

	/* what passes in a second of back-to-back 100-byte frames every ms: burst + rate, exactly */
	unsigned passed = 0;
	shaper_bucket_init(&b, 8000, 1000, 0);
	for (uint64_t t = 0; t < SEC; t += MS)
		passed += shaper_bucket_police(&b, 100, t);
	/* 1000 bytes of burst (10 frames) and 999 ms of refill (9 frames, the 10th at 1 s) */
	CHECK_EQ(passed, 19);

	/* 10 Mbit/s for 10 s of 1500-byte frames offered at twice the rate: rate * time + burst */
	uint64_t bytes = 0;
	shaper_bucket_init(&b, 10000000, 15000, 0);
	for (uint64_t t = 0; t <= 10 * SEC; t += 600000)	/* 1500 B every 0.6 ms = 20 Mbit/s */
		if (shaper_bucket_police(&b, 1500, t))
			bytes += 1500;
	CHECK(bytes <= 10000000ull / 8 * 10 + 15000);
	CHECK(bytes >= 10000000ull / 8 * 10 + 15000 - 1500);
}

static void test_bucket_schedule(void)
{
	struct shaper_bucket b;

	shaper_bucket_init(&b, 8000, 1000, 0);
	CHECK_EQ(shaper_bucket_schedule(&b, 1000, 0), 0);		/* the burst */
	CHECK_EQ(shaper_bucket_schedule(&b, 1000, 0), 1 * SEC);	/* waits for 1000 bytes of credit */
	CHECK_EQ(shaper_bucket_schedule(&b, 500, 0), 1500 * MS);	/* behind it */
	CHECK_EQ(shaper_bucket_schedule(&b, 1, 2 * SEC), 2 * SEC);	/* 0.5 s of credit by then */
	/* rounding: 3 bit/s, one byte costs 8/3 s: 2666666667 ns rounded up, the remainder kept */
	shaper_bucket_init(&b, 3, 1, 0);
	CHECK_EQ(shaper_bucket_schedule(&b, 1, 0), 0);
	CHECK_EQ(shaper_bucket_schedule(&b, 1, 0), 2666666667ull);
	CHECK_EQ(shaper_bucket_schedule(&b, 1, 0), 5333333334ull);
	CHECK_EQ(shaper_bucket_schedule(&b, 1, 0), 8000000000ull);	/* 3 bytes: 8 s, no drift */

	/* 1000 frames of 1250 bytes at 10 Mbit/s from a 12500-byte burst: the last leaves when the rest
	 * of the bytes have had their time, (1000 * 1250 - 12500) * 8 / 10^7 s = 0.99 s */
	uint64_t t = 0;
	shaper_bucket_init(&b, 10000000, 12500, 0);
	for (int i = 0; i < 1000; i++)
		t = shaper_bucket_schedule(&b, 1250, 0);
	CHECK_EQ(t, 990 * MS);
}

/* Offer n frames of len bytes, one every step ns from 0; count the copies each call sends at once. */
static unsigned offer(struct shaper *s, unsigned n, uint32_t len, uint64_t step)
{
	unsigned direct = 0;

	for (unsigned i = 0; i < n; i++)
		direct += shaper_egress(s, NULL, 0, numbered(i, len), len, i * step);
	return direct;
}

static void test_loss_dup(void)
{
	struct shaper_conf c = { .loss = 50000 };	/* 5 % */
	struct shaper *s = shaper_new(&c, 1, 0);
	unsigned sent = offer(s, 100000, 64, 1000);

	CHECK_EQ(sent + shaper_stats(s)->tx_dropped_loss, 100000);
	CHECK(shaper_stats(s)->tx_dropped_loss > 4700 && shaper_stats(s)->tx_dropped_loss < 5300);
	CHECK_EQ(shaper_queued(s), 0);	/* loss alone queues nothing */
	shaper_free(s);

	/* the same seed loses the same frames */
	struct shaper *s1 = shaper_new(&c, 7, 0), *s2 = shaper_new(&c, 7, 0);
	int same = 1;
	for (unsigned i = 0; i < 1000; i++)
		if (shaper_egress(s1, NULL, 0, frame, 64, i) != shaper_egress(s2, NULL, 0, frame, 64, i))
			same = 0;
	CHECK(same);
	shaper_free(s1);
	shaper_free(s2);

	c = (struct shaper_conf){ .loss = SHAPER_PPM };
	s = shaper_new(&c, 1, 0);
	CHECK_EQ(offer(s, 1000, 64, 1000), 0);
	shaper_free(s);

	/* 10 % duplicated: each call sends one or two copies */
	c = (struct shaper_conf){ .dup = 100000 };
	s = shaper_new(&c, 2, 0);
	sent = offer(s, 100000, 64, 1000);
	CHECK_EQ(sent, 100000 + shaper_stats(s)->tx_duplicated);
	CHECK(shaper_stats(s)->tx_duplicated > 9500 && shaper_stats(s)->tx_duplicated < 10500);
	shaper_free(s);
}

static void test_delay(void)
{
	struct shaper_conf c = { .delay_ms = 10 };
	struct shaper *s = shaper_new(&c, 3, 0);
	struct shaper_frame out[64];

	/* frames at 0, 1, 2 ms leave at 10, 11, 12 ms, in order, with their bytes */
	for (uint32_t i = 0; i < 3; i++)
		CHECK_EQ(shaper_egress(s, NULL, 0, numbered(100 + i, 60 + i), 60 + i, i * MS), 0);
	CHECK_EQ(shaper_queued(s), 3);
	CHECK_EQ(shaper_queued_bytes(s), 60 + 61 + 62);
	CHECK_EQ(shaper_next(s), 10 * MS);
	CHECK_EQ(shaper_due(s, 10 * MS - 1, out, 64), 0);
	CHECK_EQ(shaper_due(s, 11 * MS + 500, out, 64), 2);
	CHECK_EQ(number_of(&out[0]), 100);
	CHECK_EQ(out[0].len, 60);
	CHECK_EQ(number_of(&out[1]), 101);
	CHECK_EQ(out[1].len, 61);
	shaper_release(s, 2);
	CHECK_EQ(shaper_next(s), 12 * MS);
	CHECK_EQ(shaper_due(s, 100 * MS, out, 64), 1);
	CHECK_EQ(number_of(&out[0]), 102);
	shaper_release(s, 1);
	CHECK_EQ(shaper_next(s), UINT64_MAX);
	CHECK_EQ(shaper_stats(s)->tx_delayed, 3);

	/* a header travels with its frame */
	static const uint8_t vh[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	shaper_egress(s, vh, sizeof(vh), numbered(7, 64), 64, 0);
	CHECK_EQ(shaper_due(s, 10 * MS, out, 64), 1);
	CHECK_EQ(out[0].hdrlen, 12);
	CHECK(memcmp(out[0].hdr, vh, 12) == 0);
	CHECK_EQ(number_of(&out[0]), 7);
	shaper_release(s, 1);
	shaper_free(s);

	/* 20 ms +- 5 ms over 10000 frames, one every 0.1 ms: every frame leaves in its order, none before
	 * 15 ms after it came, none later than 25 ms after the one ahead of it allows */
	c = (struct shaper_conf){ .delay_ms = 20, .jitter_ms = 5 };
	s = shaper_new(&c, 4, 0);
	uint32_t expect = 0, bad_order = 0, early = 0;
	uint64_t now = 0, prev = 0;
	for (uint32_t i = 0; i < 10000 || shaper_queued(s); i++) {
		now = (uint64_t)i * 100000;
		if (i < 10000)
			CHECK_EQ(shaper_egress(s, NULL, 0, numbered(i, 64), 64, now), 0);
		unsigned n = shaper_due(s, now, out, 64);
		for (unsigned k = 0; k < n; k++) {
			uint32_t id = number_of(&out[k]);
			bad_order += id != expect;
			early += now < (uint64_t)id * 100000 + 15 * MS;
			expect = id + 1;
		}
		shaper_release(s, n);
		CHECK(shaper_next(s) >= prev || shaper_next(s) == UINT64_MAX);
		if (shaper_next(s) != UINT64_MAX)
			prev = shaper_next(s);
	}
	CHECK_EQ(expect, 10000);
	CHECK_EQ(bad_order, 0);
	CHECK_EQ(early, 0);
	CHECK_EQ(shaper_stats(s)->tx_delayed, 10000);
	shaper_free(s);
}

static void test_reorder(void)
{
	struct shaper_conf c = { .reorder = SHAPER_PPM };
	struct shaper *s = shaper_new(&c, 5, 0);
	struct shaper_frame out[64];

	/* every frame held back: A, B leave as B, A; a lone one waits the hold time, then goes */
	shaper_egress(s, NULL, 0, numbered(1, 64), 64, 0);
	CHECK_EQ(shaper_next(s), SHAPER_REORDER_HOLD_NS);
	CHECK_EQ(shaper_due(s, 0, out, 64), 0);
	shaper_egress(s, NULL, 0, numbered(2, 64), 64, 0);
	CHECK_EQ(shaper_next(s), 0);
	CHECK_EQ(shaper_due(s, 0, out, 64), 2);
	CHECK_EQ(number_of(&out[0]), 2);
	CHECK_EQ(number_of(&out[1]), 1);
	CHECK_EQ(shaper_due(s, 0, out, 1), 0);	/* a pair is never split */
	shaper_release(s, 2);
	shaper_egress(s, NULL, 0, numbered(3, 64), 64, 0);
	CHECK_EQ(shaper_due(s, SHAPER_REORDER_HOLD_NS - 1, out, 64), 0);
	CHECK_EQ(shaper_due(s, SHAPER_REORDER_HOLD_NS, out, 64), 1);
	CHECK_EQ(number_of(&out[0]), 3);
	shaper_release(s, 1);
	shaper_free(s);

	/* 10 %, frames every 0.1 ms, drained every ms: about one in ten leaves after the next one, and
	 * every frame leaves exactly once */
	c = (struct shaper_conf){ .reorder = 100000 };
	s = shaper_new(&c, 6, 0);
	static uint8_t seen[20000];
	unsigned inversions = 0, total = 0, direct = 0;
	uint32_t last = 0;
	for (uint32_t i = 0; i < 20000 || shaper_queued(s); i++) {
		uint64_t now = (uint64_t)i * 100000;
		if (i < 20000 && shaper_egress(s, NULL, 0, numbered(i, 64), 64, now)) {
			seen[i]++;
			direct++;
			inversions += total && i < last;
			last = i;
			total++;
		}
		if (i % 10)
			continue;
		unsigned n = shaper_due(s, now, out, 64);
		for (unsigned k = 0; k < n; k++) {
			uint32_t id = number_of(&out[k]);
			seen[id]++;
			inversions += total && id < last;
			last = id;
			total++;
		}
		shaper_release(s, n);
	}
	CHECK_EQ(total, 20000);
	unsigned once = 0;
	for (unsigned i = 0; i < 20000; i++)
		once += seen[i] == 1;
	CHECK_EQ(once, 20000);
	CHECK(shaper_stats(s)->tx_reordered > 1800 && shaper_stats(s)->tx_reordered < 2200);
	CHECK(inversions > 1500 && inversions <= shaper_stats(s)->tx_reordered);
	CHECK(direct > 0);	/* frames go straight out while nothing is held */
	shaper_free(s);
}

static void test_rate_out(void)
{
	/* egress shaping: 8 Mbit/s (1 byte/us) with a 10000-byte burst; frames of 1000 bytes offered all at
	 * once leave 1 ms apart after the burst */
	struct shaper_conf c = { .rate_out = 8000000, .burst = 10000 };
	struct shaper *s = shaper_new(&c, 8, 0);
	struct shaper_frame out[64];

	CHECK_EQ(offer(s, 20, 1000, 0), 10);
	CHECK_EQ(shaper_queued(s), 10);
	CHECK_EQ(shaper_next(s), 1 * MS);
	CHECK_EQ(shaper_due(s, 5 * MS, out, 64), 5);
	CHECK_EQ(number_of(&out[0]), 10);
	shaper_release(s, 5);
	CHECK_EQ(shaper_next(s), 6 * MS);
	CHECK_EQ(shaper_due(s, 10 * MS, out, 64), 5);
	shaper_release(s, 5);
	/* a frame after the queue drained waits for its own credit only */
	CHECK_EQ(shaper_egress(s, NULL, 0, frame, 1000, 10 * MS), 0);
	CHECK_EQ(shaper_next(s), 11 * MS);
	CHECK_EQ(shaper_egress(s, NULL, 0, frame, 1000, 30 * MS), 0);	/* behind the queued one */
	CHECK_EQ(shaper_due(s, 30 * MS, out, 64), 2);
	shaper_release(s, 2);
	CHECK_EQ(shaper_egress(s, NULL, 0, frame, 1000, 40 * MS), 1);	/* credit again, empty queue */
	shaper_free(s);

	/* ingress policing drops what does not conform, and counts it */
	c = (struct shaper_conf){ .rate_in = 8000, .burst = 1000 };
	s = shaper_new(&c, 9, 0);
	CHECK(shaper_ingress(s, 1000, 0));
	CHECK(!shaper_ingress(s, 100, 0));
	CHECK(shaper_ingress(s, 100, 100 * MS));
	CHECK_EQ(shaper_stats(s)->rx_dropped_rate, 1);
	/* egress is not limited by rate_in */
	CHECK_EQ(offer(s, 10, 1000, 0), 10);
	shaper_free(s);
}

static void test_queue_bounds(void)
{
	struct shaper_conf c = { .delay_ms = 1000 };
	struct shaper *s = shaper_new(&c, 10, 0), *t;
	struct shaper_frame out[64];
	unsigned n = 0;

	/* a port's queue takes SHAPER_QUEUE_BYTES of entries; the rest is dropped and counted */
	while (shaper_stats(s)->tx_dropped_queue == 0 && n < 10000) {
		shaper_egress(s, NULL, 0, frame, 9000, 0);
		n++;
	}
	CHECK(shaper_stats(s)->tx_dropped_queue == 1);
	CHECK(shaper_queued_bytes(s) <= SHAPER_QUEUE_BYTES);
	CHECK(shaper_queued_bytes(s) > SHAPER_QUEUE_BYTES - 2 * 9100);
	CHECK_EQ(shaper_total_used(), SHAPER_QUEUE_BYTES);	/* grown from SHAPER_QUEUE_FIRST, doubling */

	/* all queues together: a second port finds no room and drops, the first is unaffected */
	shaper_set_total(SHAPER_QUEUE_BYTES + SHAPER_QUEUE_FIRST / 2);
	t = shaper_new(&c, 11, 0);
	CHECK_EQ(shaper_egress(t, NULL, 0, frame, 64, 0), 0);
	CHECK_EQ(shaper_stats(t)->tx_dropped_queue, 1);
	CHECK_EQ(shaper_queued(t), 0);
	CHECK_EQ(shaper_total_used(), SHAPER_QUEUE_BYTES);
	shaper_free(s);
	CHECK_EQ(shaper_total_used(), 0);
	CHECK_EQ(shaper_egress(t, NULL, 0, frame, 64, 0), 0);
	CHECK_EQ(shaper_queued(t), 1);
	CHECK_EQ(shaper_total_used(), SHAPER_QUEUE_FIRST);	/* a port that queues little takes little */
	shaper_free(t);

	/* growing keeps what waits, whole and in order, also from a ring that had wrapped */
	c = (struct shaper_conf){ .delay_ms = 1000 };
	s = shaper_new(&c, 13, 0);
	for (uint32_t i = 0; i < 10; i++)
		shaper_egress(s, NULL, 0, numbered(i, 9000), 9000, 0);
	CHECK_EQ(shaper_due(s, 1000 * MS, out, 5), 5);
	shaper_release(s, 5);
	for (uint32_t i = 10; i < 100; i++)	/* wraps in the first ring, then grows three times */
		shaper_egress(s, NULL, 0, numbered(i, 9000), 9000, 0);
	CHECK_EQ(shaper_stats(s)->tx_dropped_queue, 0);
	CHECK_EQ(shaper_total_used(), 8 * SHAPER_QUEUE_FIRST);	/* 95 frames of 9 KB: 1 MiB */
	{
		uint32_t want = 5, bad2 = 0;
		while ((n = shaper_due(s, 1000 * MS, out, 64)) > 0) {
			for (unsigned k = 0; k < n; k++)
				bad2 += number_of(&out[k]) != want++ || out[k].len != 9000;
			shaper_release(s, n);
		}
		CHECK_EQ(want, 100);
		CHECK_EQ(bad2, 0);
	}
	shaper_free(s);
	shaper_set_total(SHAPER_QUEUE_TOTAL);
	CHECK_EQ(shaper_total_used(), 0);

	/* the ring wraps: frames of varied sizes through a queue kept near full come out whole, in order */
	c = (struct shaper_conf){ .delay_ms = 1 };
	s = shaper_new(&c, 12, 0);
	uint32_t in = 0, expect = 0, bad = 0;
	for (uint64_t step = 0; step < 20000; step++) {
		uint64_t now = step * 100000;
		for (int k = 0; k < 3; k++, in++) {
			uint32_t len = 60 + (in * 2654435761u) % 9000;
			numbered(in, len);
			frame[len - 1] = (uint8_t)in;
			shaper_egress(s, NULL, 0, frame, len, now);
		}
		n = shaper_due(s, now, out, 64);
		for (unsigned k = 0; k < n; k++) {
			uint32_t id = number_of(&out[k]);
			/* what was dropped for room is skipped; what came out is whole */
			bad += id < expect || out[k].len != 60 + (id * 2654435761u) % 9000 ||
			       out[k].data[out[k].len - 1] != (uint8_t)id;
			expect = id + 1;
		}
		shaper_release(s, n);
	}
	CHECK_EQ(bad, 0);
	CHECK(expect > 50000);
	shaper_free(s);
}

static void test_conf(void)
{
	struct shaper_conf c = { 0 };

	CHECK(!shaper_conf_active(&c));
	c.jitter_ms = 1;
	CHECK(shaper_conf_active(&c));
	CHECK_EQ(shaper_default_burst(10000000), 65550);
	CHECK_EQ(shaper_default_burst(100000000000ull), 125000000ull > SHAPER_BURST_MAX ? SHAPER_BURST_MAX : 125000000);
	CHECK_EQ(shaper_default_burst(1000000000), 1250000);
}

int main(void)
{
	test_rng();
	test_bucket_police();
	test_bucket_schedule();
	test_loss_dup();
	test_delay();
	test_reorder();
	test_rate_out();
	test_queue_bounds();
	test_conf();
	return unit_report("test-shaper");
}
