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

struct vxseal {
	struct chacha_poly1305_ctx ctx;
	uint8_t prefix[8];
	uint32_t counter;
	bool encrypt;
};

/* Set up s for key (VXSEAL_KEYLEN bytes); encrypt: what vxseal_seal() does besides authenticating.
 * 0, or -errno when no random prefix could be drawn. */
int vxseal_init(struct vxseal *s, const uint8_t key[VXSEAL_KEYLEN], bool encrypt);

/* Seal in place: buf holds VXSEAL_HDRLEN free bytes, then the len-byte datagram, then room for the tag.
 * Writes the header and the tag (and encrypts the datagram if s says so); returns the sealed length
 * (len + VXSEAL_OVERHEAD), or -errno if no fresh prefix could be drawn. */
int vxseal_seal(struct vxseal *s, uint8_t *buf, size_t len);

/* Open in place a received datagram of len bytes: 0 with *payload_len set (the datagram starts at
 * buf + VXSEAL_HDRLEN, decrypted if it was encrypted), or -EBADMSG (not sealed, or a bad tag). */
int vxseal_open(struct vxseal *s, uint8_t *buf, size_t len, size_t *payload_len);

/* Parse a key file's content: 64 hex digits (whitespace around them allowed). 0 or -EINVAL. */
int vxseal_parse_key(const char *text, uint8_t key[VXSEAL_KEYLEN]);

#endif
