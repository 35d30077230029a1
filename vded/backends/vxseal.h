/*
 * vxseal — the membership key of a vxvde network (doc/vde-wire.md §4.4): every datagram a keyed network
 * sends is sealed with ChaCha20-Poly1305 (nettle), authenticated and, if asked, encrypted; a datagram
 * without a valid tag is refused. Pure apart from getrandom() at init: it owns the AEAD context and the
 * nonce of one port, and touches no socket.
 *
 * A sealed datagram:
 *   0  'V' 'X' 'K' 1        magic and version (never vxvde's 0x08: vdeplug4 drops it as not vxvde)
 *   4  flags (VXSEAL_ENCRYPTED), 0, 0, 0
 *   8  nonce: 8 random bytes drawn when the port opens | 4-byte counter, big endian
 *  20  the vxvde datagram (header + frame, goodbye or announcement): plain, or encrypted
 *  ..  16-byte Poly1305 tag over bytes 0..19 as associated data and the payload
 * The nonce never repeats under one key: each port instance draws a fresh 64-bit prefix (a restart
 * or another host draws its own) and counts up from 0; before the counter wraps a new prefix is drawn.
 *
 * Replays: a receiver remembers, for the last VXSEAL_SENDERS prefixes it opened datagrams of, the
 * highest counter and which of the VXSEAL_WINDOW before it it has seen; a datagram at or below the
 * window, or seen already, is refused (-EALREADY) after its tag checked. So a recorded datagram sent
 * again is dropped, and so is the second copy of one that came both by the group and by unicast, and
 * so is our own datagram sent back to us from another address (its prefix is ours). A
 * sender pushed out of the table (more than VXSEAL_SENDERS senders, or four colliding in its slots)
 * starts afresh: its old datagrams could then be replayed once each.
 */
#ifndef VDED_VXSEAL_H
#define VDED_VXSEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <nettle/chacha-poly1305.h>

#define VXSEAL_KEYLEN 32
#define VXSEAL_HDRLEN 20
#define VXSEAL_TAGLEN 16
#define VXSEAL_OVERHEAD (VXSEAL_HDRLEN + VXSEAL_TAGLEN)
#define VXSEAL_ENCRYPTED 0x01

#define VXSEAL_SENDERS 256
#define VXSEAL_WINDOW 64

struct vxseal_sender {
	uint8_t prefix[8];
	uint32_t top;			/* the highest counter opened */
	uint64_t seen;			/* bit i: top - i opened */
	uint64_t used;			/* when last opened (vxseal's own tick), 0: free */
};

struct vxseal {
	struct chacha_poly1305_ctx ctx;
	uint8_t prefix[8];
	uint32_t counter;
	bool encrypt;
	uint64_t tick;
	struct vxseal_sender senders[VXSEAL_SENDERS];
};

/* Set up s for key (VXSEAL_KEYLEN bytes); encrypt: what vxseal_seal() does besides authenticating.
 * 0, or -errno when no random prefix could be drawn. */
int vxseal_init(struct vxseal *s, const uint8_t key[VXSEAL_KEYLEN], bool encrypt);

/* Seal in place: buf holds VXSEAL_HDRLEN free bytes, then the len-byte datagram, then room for the tag.
 * Writes the header and the tag (and encrypts the datagram if s says so); returns the sealed length
 * (len + VXSEAL_OVERHEAD), or -errno if no fresh prefix could be drawn. */
int vxseal_seal(struct vxseal *s, uint8_t *buf, size_t len);

/* Open in place a received datagram of len bytes: 0 with *payload_len set (the datagram starts at
 * buf + VXSEAL_HDRLEN, decrypted if it was encrypted), -EBADMSG (not sealed, or a bad tag) or
 * -EALREADY (authentic, but opened before: a replay or a second copy). */
int vxseal_open(struct vxseal *s, uint8_t *buf, size_t len, size_t *payload_len);

/* Parse a key file's content: 64 hex digits (whitespace around them allowed). 0 or -EINVAL. */
int vxseal_parse_key(const char *text, uint8_t key[VXSEAL_KEYLEN]);

#endif
