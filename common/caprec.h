/*
 * caprec — the one codec of capture records (doc/protocol.md "capture.start"): what vded writes on a
 * capture socket and vdectl reads. Each SOCK_SEQPACKET message is one record: a fixed header of
 * CAPREC_HDR_LEN bytes, little-endian, then (for a frame) its first bytes, up to the snap length.
 *
 *   0  u8  version (CAPREC_VERSION)     8  u32 original length of the frame (bytes)
 *   1  u8  type (CAPREC_FRAME, _END)    12 u32 end: why the capture ended (CAPREC_END_*); else 0
 *   2  u8  direction (CAPREC_DIR_*)     16 u64 time, ns since the epoch (CLOCK_REALTIME)
 *   3  u8  flags (CAPREC_F_*)           24 u64 records dropped so far (the reader was slow)
 *   4  u16 port id                      32 the frame's bytes (an end record: u64 records written)
 *   6  u16 0
 *
 * Pure functions, no I/O.
 */
#ifndef VDE_COMMON_CAPREC_H
#define VDE_COMMON_CAPREC_H

#include <stddef.h>
#include <stdint.h>

#define CAPREC_VERSION 1
#define CAPREC_HDR_LEN 32
#define CAPREC_END_LEN (CAPREC_HDR_LEN + 8)

enum caprec_type {
	CAPREC_FRAME = 1,
	CAPREC_END = 2,
};

enum caprec_dir {
	CAPREC_DIR_IN = 0,	/* vded received it from the port */
	CAPREC_DIR_OUT = 1,	/* vded delivered it to the port */
};

/* A frame vded cut from a segmentation offload frame (one of vded's taps) as a wire carries it. */
#define CAPREC_F_SEGMENTED 1u
/* A segmentation offload frame vded could not cut (malformed): recorded whole, as it came. */
#define CAPREC_F_GSO 2u

enum caprec_end {
	CAPREC_END_CLOSED = 1,		/* the reader shut its end */
	CAPREC_END_COUNT = 2,		/* count records were written */
	CAPREC_END_NETWORK = 3,		/* the network was deleted */
	CAPREC_END_PORT = 4,		/* a port it watched went away */
	CAPREC_END_EXIT = 5,		/* vded is stopping */
};

struct caprec {
	uint8_t type, dir, flags;
	uint16_t port;
	uint32_t orig_len;
	uint32_t end_reason;
	uint64_t ts_ns;
	uint64_t dropped;
	uint64_t written;		/* an end record: the frame records written in all */
	const uint8_t *data;		/* a frame record: its bytes in the message (borrowed) */
	size_t caplen;
};

/* Write r's header (and nothing else) into out. */
void caprec_encode_hdr(uint8_t out[CAPREC_HDR_LEN], const struct caprec *r);

/* Write an end record (CAPREC_END_LEN bytes) for r into out. */
void caprec_encode_end(uint8_t out[CAPREC_END_LEN], const struct caprec *r);

/*
 * Read one message of len bytes into r (r->data points into msg). 0, or -EPROTO for a version this
 * codec does not know, -EINVAL for anything malformed (short, an unknown type or direction, a frame
 * longer than its original length, an end record of the wrong size).
 */
int caprec_decode(const uint8_t *msg, size_t len, struct caprec *r);

/* The reason of an end record as a word for people ("count reached", ...); "unknown" otherwise. */
const char *caprec_end_reason(uint32_t reason);

#endif
