/*
 * shaper — a port's rate limits and impairment (what vde-2's wirefilter did, and Linux netem and tbf do):
 * token buckets for ingress policing and egress shaping (bits/s and a burst in bytes), and an egress
 * stage that loses, duplicates, delays (with jitter) and reorders frames. Pure: no syscalls and no clock
 * (callers pass `now` in nanoseconds), no randomness but the seeded generator below, so a unit test
 * states frames in and frames out exactly. It allocates only when a port first queues a frame (its
 * queue starts at SHAPER_QUEUE_FIRST bytes and doubles while full up to SHAPER_QUEUE_BYTES; all queues
 * together at most the global cap).
 *
 * Owns: each struct shaper owns its queue; frames handed to shaper_egress() are copied into it when they
 * must wait, so the caller's buffer (the data path's shared receive batch) is free when it returns.
 */
#ifndef VDED_SHAPER_H
#define VDED_SHAPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHAPER_NS 1000000000ull
#define SHAPER_PPM 1000000u		/* probabilities are in parts per million: 100 % */
#define SHAPER_RATE_MIN 8000ull		/* bits/s: 1 kB/s */
#define SHAPER_RATE_MAX 1000000000000ull	/* bits/s: 1 Tbit/s */
#define SHAPER_BURST_MAX (64u << 20)	/* bytes */
#define SHAPER_DELAY_MAX 10000u		/* ms, for delay and jitter */
#define SHAPER_QUEUE_FIRST (128u << 10)	/* one port's queue of delayed frames, at first */
#define SHAPER_QUEUE_BYTES (2u << 20)	/* and at most */
#define SHAPER_QUEUE_TOTAL (64u << 20)	/* every port's queue together, by default */
#define SHAPER_REORDER_HOLD_NS (10 * 1000000ull)	/* a frame held back for reordering waits at most this */
#define SHAPER_HDR_MAX 16		/* bytes of per-frame header a queued frame may carry (virtio-net) */

/* A port's settings. Zero everywhere is no shaping at all. */
struct shaper_conf {
	uint64_t rate_in, rate_out;	/* bits/s; 0: no limit */
	uint32_t burst;			/* bytes each bucket holds; 0: shaper_default_burst() */
	uint32_t delay_ms, jitter_ms;	/* egress delay, and a uniform variation of +-jitter around it */
	uint32_t loss, dup, reorder;	/* egress, in parts per million */
};

/* True if c asks for anything. */
bool shaper_conf_active(const struct shaper_conf *c);
/* The burst a bucket of this rate gets when none is set: 10 ms at the rate, at least 65550 bytes so that
 * one offloaded 64 KiB frame (with its virtio-net header) fits in it. */
uint32_t shaper_default_burst(uint64_t rate);

/* xoshiro256** seeded by splitmix64: small, fast, and the same sequence for the same seed. */
struct shaper_rng {
	uint64_t s[4];
};
void shaper_rng_seed(struct shaper_rng *r, uint64_t seed);
uint64_t shaper_rng_next(struct shaper_rng *r);
/* True with probability ppm / 1000000 (0: never, 1000000: always). */
bool shaper_rng_chance(struct shaper_rng *r, uint32_t ppm);
/* Uniform in 0..n-1 (n > 0). */
uint64_t shaper_rng_below(struct shaper_rng *r, uint64_t n);

/*
 * A token bucket, in exact integers: credit counts bit-nanoseconds (bits * 10^9), so that rate (bits/s)
 * times elapsed nanoseconds adds exactly, and a frame of len bytes costs len * 8 * 10^9. It starts full.
 */
struct shaper_bucket {
	uint64_t rate;			/* bits/s, > 0 */
	uint64_t cap;			/* burst * 8 * 10^9 */
	uint64_t credit;		/* 0..cap */
	uint64_t last;			/* ns: credit is as of this time (may be ahead of now after shaping) */
};
void shaper_bucket_init(struct shaper_bucket *b, uint64_t rate, uint32_t burst, uint64_t now);
/* Policing: true (and the frame's cost taken) if a frame of len bytes conforms at now, else false
 * (nothing taken: the frame is dropped). A frame larger than the burst never conforms. */
bool shaper_bucket_police(struct shaper_bucket *b, uint32_t len, uint64_t now);
/* Shaping: the time (>= now) at which a frame of len bytes may leave, its cost taken at that time
 * (the bucket runs into the future: the next frame waits behind it). */
uint64_t shaper_bucket_schedule(struct shaper_bucket *b, uint32_t len, uint64_t now);

/* Counters, one per reason a frame was dropped or changed. */
struct shaper_stats {
	uint64_t rx_dropped_rate;	/* ingress frames over rate_in */
	uint64_t tx_dropped_loss;	/* egress frames lost on purpose (loss) */
	uint64_t tx_dropped_queue;	/* egress frames that found the queue full (the port's or all ports') */
	uint64_t tx_duplicated;		/* extra copies sent (dup) */
	uint64_t tx_reordered;		/* frames held back to leave after the next one (reorder) */
	uint64_t tx_delayed;		/* frames that waited in the queue (delay, jitter, rate_out) */
};

struct shaper;

/* A shaper for conf (copied), its generator seeded with seed, buckets full at now. NULL on ENOMEM. */
struct shaper *shaper_new(const struct shaper_conf *conf, uint64_t seed, uint64_t now);
/* Frees the queue too (its frames are lost; not counted: the port is going). */
void shaper_free(struct shaper *s);
/* New settings for a live shaper: the buckets start full again; queued frames stay and leave as
 * they were scheduled. */
void shaper_reconf(struct shaper *s, const struct shaper_conf *conf, uint64_t now);
const struct shaper_conf *shaper_conf(const struct shaper *s);
const struct shaper_stats *shaper_stats(const struct shaper *s);

/* The most bytes all queues together may hold (default SHAPER_QUEUE_TOTAL), and how many they hold. */
void shaper_set_total(size_t bytes);
size_t shaper_total_used(void);

/* Ingress: true to switch a received frame of len bytes, false if rate_in drops it (counted). */
bool shaper_ingress(struct shaper *s, uint32_t len, uint64_t now);

/*
 * Egress: a frame of len bytes (after hdrlen bytes of header, which travel with it; hdrlen <=
 * SHAPER_HDR_MAX) is to leave toward the port at now. Loss may drop it, dup may make two. Returns how
 * many copies the caller sends at once itself (0, 1 or 2); every other copy was copied into the queue
 * (it leaves through shaper_due) or dropped, and counted.
 */
unsigned shaper_egress(struct shaper *s, const void *hdr, uint32_t hdrlen, const void *frame, uint32_t len,
		       uint64_t now);

/* When the queue next has something to release: a time in ns, or UINT64_MAX if it is empty. */
uint64_t shaper_next(const struct shaper *s);

/* A queued frame, borrowed from the queue until shaper_release(). */
struct shaper_frame {
	const uint8_t *hdr;
	uint32_t hdrlen;
	const uint8_t *data;
	uint32_t len;
};

/* The frames due at now, in the order they leave, at most n: fills out[] and returns how many. Call
 * shaper_release() with that count before anything else touches the shaper. */
unsigned shaper_due(const struct shaper *s, uint64_t now, struct shaper_frame *out, unsigned n);
/* Remove the first k frames of the queue (what shaper_due returned). */
void shaper_release(struct shaper *s, unsigned k);
/* Frames and bytes in the queue now. */
unsigned shaper_queued(const struct shaper *s);
size_t shaper_queued_bytes(const struct shaper *s);

#endif
