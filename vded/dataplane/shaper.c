/* shaper — see shaper.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/shaper.h"

/* ---- settings ---- */

bool shaper_conf_active(const struct shaper_conf *c)
{
	return c->rate_in || c->rate_out || c->delay_ms || c->jitter_ms || c->loss || c->dup || c->reorder;
}

uint32_t shaper_default_burst(uint64_t rate)
{
	uint64_t b = rate / 800;	/* 10 ms: rate / 8 bytes per second / 100 */

	if (b < 65550)
		b = 65550;
	return b > SHAPER_BURST_MAX ? SHAPER_BURST_MAX : (uint32_t)b;
}

/* ---- the generator ---- */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void shaper_rng_seed(struct shaper_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);	/* never all zero: splitmix64 is a bijection of distinct inputs */
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t shaper_rng_next(struct shaper_rng *r)
{
	uint64_t *s = r->s, result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint64_t shaper_rng_below(struct shaper_rng *r, uint64_t n)
{
	/* the high half of a 64x64 product: uniform enough for n far below 2^64, and no division */
	return (uint64_t)(((unsigned __int128)shaper_rng_next(r) * n) >> 64);
}

bool shaper_rng_chance(struct shaper_rng *r, uint32_t ppm)
{
	if (ppm == 0)
		return false;
	if (ppm >= SHAPER_PPM)
		return true;
	return shaper_rng_below(r, SHAPER_PPM) < ppm;
}

/* ---- token bucket ---- */

/* A frame's cost in bit-nanoseconds; lengths past any frame are clamped so the product cannot wrap. */
static inline uint64_t bucket_cost(uint32_t len)
{
	uint64_t l = len > (1u << 26) ? (1u << 26) : len;

	return l * 8 * SHAPER_NS;
}

void shaper_bucket_init(struct shaper_bucket *b, uint64_t rate, uint32_t burst, uint64_t now)
{
	if (!burst)
		burst = shaper_default_burst(rate);
	if (burst > SHAPER_BURST_MAX)
		burst = SHAPER_BURST_MAX;
	b->rate = rate ? rate : 1;
	b->cap = (uint64_t)burst * 8 * SHAPER_NS;
	b->credit = b->cap;
	b->last = now;
}

static void bucket_refill(struct shaper_bucket *b, uint64_t now)
{
	uint64_t dt;

	if (now <= b->last)
		return;
	dt = now - b->last;
	b->last = now;
	/* past the time that fills it the bucket is full; below it rate * dt <= cap, which cannot wrap */
	if (dt >= b->cap / b->rate + 1) {
		b->credit = b->cap;
		return;
	}
	b->credit += b->rate * dt;
	if (b->credit > b->cap)
		b->credit = b->cap;
}

bool shaper_bucket_police(struct shaper_bucket *b, uint32_t len, uint64_t now)
{
	uint64_t cost = bucket_cost(len);

	bucket_refill(b, now);
	if (b->credit < cost)
		return false;
	b->credit -= cost;
	return true;
}

uint64_t shaper_bucket_schedule(struct shaper_bucket *b, uint32_t len, uint64_t now)
{
	uint64_t cost = bucket_cost(len), wait;

	bucket_refill(b, now);
	/* the credit is as of b->last, which is now or later (the frame before this one leaves then) */
	if (b->credit >= cost) {
		b->credit -= cost;
		return b->last;
	}
	wait = (cost - b->credit + b->rate - 1) / b->rate;	/* whole nanoseconds, rounded up */
	b->credit = b->credit + wait * b->rate - cost;		/* < rate: what the rounding left over */
	b->last += wait;
	return b->last;
}

/* ---- the queue: a ring of entries, each a header and the frame's bytes, in the order they leave ---- */

struct entry {
	uint64_t release;		/* ns */
	uint32_t len;
	uint16_t hdrlen;
	uint16_t flags;
};

#define ENTRY_WRAP 1u			/* the rest of the ring is unused: the next entry is at 0 */
#define ENTRY_REORDER 2u		/* leaves after the entry behind it */
#define ENTRY_ALIGN 8u

struct shaper {
	struct shaper_conf conf;
	struct shaper_rng rng;
	struct shaper_bucket in, out;
	struct shaper_stats stats;
	uint64_t last_release;		/* of the newest queued entry: none leaves before one ahead of it */
	uint8_t *ring;			/* NULL until the first frame waits */
	size_t cap, head, tail;		/* bytes; head: the first entry; tail: where the next is written */
	unsigned count;
	size_t bytes;			/* frame bytes queued */
};

static size_t total_max = SHAPER_QUEUE_TOTAL, total_used;

void shaper_set_total(size_t bytes)
{
	total_max = bytes;
}

size_t shaper_total_used(void)
{
	return total_used;
}

static inline size_t entry_size(uint32_t hdrlen, uint32_t len)
{
	return (sizeof(struct entry) + hdrlen + len + ENTRY_ALIGN - 1) & ~(size_t)(ENTRY_ALIGN - 1);
}

/* The entry at off, past a wrap. */
static inline size_t ring_fix(const struct shaper *s, size_t off)
{
	if (s->cap - off < sizeof(struct entry) || (((const struct entry *)(s->ring + off))->flags & ENTRY_WRAP))
		return 0;
	return off;
}

static inline const struct entry *ring_entry(const struct shaper *s, size_t off)
{
	return (const struct entry *)(s->ring + off);
}

static inline size_t ring_next(const struct shaper *s, size_t off)
{
	const struct entry *e = ring_entry(s, off);

	return ring_fix(s, off + entry_size(e->hdrlen, e->len));
}

/* Where an entry of need bytes goes, or SIZE_MAX if it does not fit; *wrap set if it goes at 0. */
static size_t ring_place(const struct shaper *s, size_t need, bool *wrap)
{
	*wrap = false;
	if (need > s->cap)
		return SIZE_MAX;
	if (s->count == 0)
		return 0;
	if (s->tail > s->head) {
		if (s->cap - s->tail >= need)
			return s->tail;
		/* the space after the tail is too small: start again at 0, up to the head */
		if (need < s->head) {
			*wrap = true;
			return 0;
		}
		return SIZE_MAX;
	}
	/* the tail has wrapped behind the head (or meets it: full) */
	return s->head - s->tail > need ? s->tail : SIZE_MAX;
}

/*
 * A ring of twice the size (SHAPER_QUEUE_FIRST for the first), with the entries moved to its start in
 * their order: a port whose queue fills takes more room, up to SHAPER_QUEUE_BYTES, while the global cap
 * allows. 0, or -ENOSPC / -ENOMEM with the ring as it was.
 */
static int ring_grow(struct shaper *s)
{
	size_t cap = s->cap ? 2 * s->cap : SHAPER_QUEUE_FIRST, used = 0, off = s->head;
	uint8_t *ring;

	if (cap > SHAPER_QUEUE_BYTES || total_used - s->cap + cap > total_max)
		return -ENOSPC;
	ring = malloc(cap);
	if (!ring)
		return -ENOMEM;
	for (unsigned i = 0; i < s->count; i++) {
		const struct entry *e = ring_entry(s, off);
		size_t size = entry_size(e->hdrlen, e->len);

		memcpy(ring + used, e, size);
		used += size;
		off = ring_next(s, off);
	}
	total_used = total_used - s->cap + cap;
	free(s->ring);
	s->ring = ring;
	s->cap = cap;
	s->head = 0;
	s->tail = used;
	return 0;
}

static int ring_push(struct shaper *s, uint64_t release, uint16_t flags, const void *hdr, uint32_t hdrlen,
		     const void *frame, uint32_t len)
{
	size_t need = entry_size(hdrlen, len), at;
	struct entry *e;
	bool wrap;
	int ret;

	while (!s->ring || (at = ring_place(s, need, &wrap)) == SIZE_MAX) {
		if ((ret = ring_grow(s)) < 0)
			return ret;
	}
	if (wrap && s->cap - s->tail >= sizeof(struct entry))
		((struct entry *)(s->ring + s->tail))->flags = ENTRY_WRAP;
	if (s->count == 0)
		s->head = at;
	e = (struct entry *)(s->ring + at);
	*e = (struct entry){ .release = release, .len = len, .hdrlen = (uint16_t)hdrlen, .flags = flags };
	if (hdrlen)
		memcpy(e + 1, hdr, hdrlen);
	memcpy((uint8_t *)(e + 1) + hdrlen, frame, len);
	s->tail = at + need;
	s->count++;
	s->bytes += len;
	return 0;
}

/* ---- the shaper ---- */

static void shaper_buckets(struct shaper *s, uint64_t now)
{
	shaper_bucket_init(&s->in, s->conf.rate_in, s->conf.burst, now);
	shaper_bucket_init(&s->out, s->conf.rate_out, s->conf.burst, now);
}

struct shaper *shaper_new(const struct shaper_conf *conf, uint64_t seed, uint64_t now)
{
	struct shaper *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->conf = *conf;
	shaper_rng_seed(&s->rng, seed);
	shaper_buckets(s, now);
	return s;
}

void shaper_free(struct shaper *s)
{
	if (!s)
		return;
	if (s->ring)
		total_used -= s->cap;
	free(s->ring);
	free(s);
}

void shaper_reconf(struct shaper *s, const struct shaper_conf *conf, uint64_t now)
{
	s->conf = *conf;
	shaper_buckets(s, now);
}

const struct shaper_conf *shaper_conf(const struct shaper *s)
{
	return &s->conf;
}

const struct shaper_stats *shaper_stats(const struct shaper *s)
{
	return &s->stats;
}

unsigned shaper_queued(const struct shaper *s)
{
	return s->count;
}

size_t shaper_queued_bytes(const struct shaper *s)
{
	return s->bytes;
}

bool shaper_ingress(struct shaper *s, uint32_t len, uint64_t now)
{
	if (!s->conf.rate_in || shaper_bucket_police(&s->in, len, now))
		return true;
	s->stats.rx_dropped_rate++;
	return false;
}

/* When one copy of a frame leaves, with the bucket it leaves through updated in *out. */
static uint64_t egress_time(struct shaper *s, struct shaper_bucket *out, uint32_t len, uint64_t now)
{
	const struct shaper_conf *c = &s->conf;
	uint64_t t = c->rate_out ? shaper_bucket_schedule(out, len, now) : now;

	if (c->delay_ms || c->jitter_ms) {
		int64_t d = (int64_t)c->delay_ms * 1000000;

		if (c->jitter_ms) {
			uint64_t j = (uint64_t)c->jitter_ms * 1000000;
			d += (int64_t)shaper_rng_below(&s->rng, 2 * j + 1) - (int64_t)j;
		}
		if (d > 0)
			t += (uint64_t)d;
	}
	return t;
}

unsigned shaper_egress(struct shaper *s, const void *hdr, uint32_t hdrlen, const void *frame, uint32_t len,
		       uint64_t now)
{
	const struct shaper_conf *c = &s->conf;
	unsigned copies = 1, direct = 0;

	if (hdrlen > SHAPER_HDR_MAX) {
		s->stats.tx_dropped_queue++;	/* no caller does this; refuse rather than copy past the entry */
		return 0;
	}
	if (c->loss && shaper_rng_chance(&s->rng, c->loss)) {
		s->stats.tx_dropped_loss++;
		return 0;
	}
	if (c->dup && shaper_rng_chance(&s->rng, c->dup)) {
		copies = 2;
		s->stats.tx_duplicated++;
	}
	for (unsigned i = 0; i < copies; i++) {
		struct shaper_bucket out = s->out;	/* taken only if the copy goes */
		uint64_t t = egress_time(s, &out, len, now);
		bool reorder = c->reorder && shaper_rng_chance(&s->rng, c->reorder);

		if (t <= now && !reorder && s->count == 0) {
			s->out = out;
			direct++;
			continue;
		}
		/* first in, first out: jitter varies the wait, never the order (reorder does that) */
		if (s->count && t < s->last_release)
			t = s->last_release;
		if (ring_push(s, t, reorder ? ENTRY_REORDER : 0, hdr, hdrlen, frame, len) < 0) {
			s->stats.tx_dropped_queue++;
			continue;
		}
		s->out = out;
		s->last_release = t;
		s->stats.tx_delayed++;
		if (reorder)
			s->stats.tx_reordered++;
	}
	return direct;
}

uint64_t shaper_next(const struct shaper *s)
{
	const struct entry *e;

	if (!s->count)
		return UINT64_MAX;
	e = ring_entry(s, s->head);
	/* a frame held back for reordering waits for the next one, but not for ever */
	if ((e->flags & ENTRY_REORDER) && s->count == 1)
		return e->release + SHAPER_REORDER_HOLD_NS;
	return e->release;
}

static inline struct shaper_frame entry_frame(const struct shaper *s, size_t off)
{
	const struct entry *e = ring_entry(s, off);
	const uint8_t *p = (const uint8_t *)(e + 1);

	return (struct shaper_frame){ .hdr = p, .hdrlen = e->hdrlen, .data = p + e->hdrlen, .len = e->len };
}

unsigned shaper_due(const struct shaper *s, uint64_t now, struct shaper_frame *out, unsigned n)
{
	size_t off = s->head;
	unsigned left = s->count, k = 0;

	while (left && k < n) {
		const struct entry *e = ring_entry(s, off);

		if (e->flags & ENTRY_REORDER) {
			if (left >= 2) {
				size_t off1;

				if (e->release > now || k + 2 > n)
					break;
				/* the one behind it goes first, even if it was due later: that is the reordering */
				off1 = ring_next(s, off);
				out[k++] = entry_frame(s, off1);
				out[k++] = entry_frame(s, off);
				off = ring_next(s, off1);
				left -= 2;
				continue;
			}
			if (e->release + SHAPER_REORDER_HOLD_NS > now)
				break;
		} else if (e->release > now) {
			break;
		}
		out[k++] = entry_frame(s, off);
		off = ring_next(s, off);
		left--;
	}
	return k;
}

void shaper_release(struct shaper *s, unsigned k)
{
	while (k-- && s->count) {
		const struct entry *e = ring_entry(s, s->head);

		s->bytes -= e->len;
		s->count--;
		s->head = s->count ? ring_next(s, s->head) : 0;
	}
	if (!s->count)
		s->head = s->tail = 0;
}
