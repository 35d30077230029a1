#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <nettle/memops.h>

#include "proto.h"
#include "backends/vxseal.h"

static const uint8_t vxseal_magic[4] = { 'V', 'X', 'K', 1 };

static int vxseal_new_prefix(struct vxseal *s)
{
	if (getrandom(s->prefix, sizeof(s->prefix), 0) != (ssize_t)sizeof(s->prefix))
		return -EAGAIN;
	s->counter = 0;
	return 0;
}

int vxseal_init(struct vxseal *s, const uint8_t key[VXSEAL_KEYLEN], bool encrypt)
{
	memset(s, 0, sizeof(*s));
	chacha_poly1305_set_key(&s->ctx, key);
	s->encrypt = encrypt;
	return vxseal_new_prefix(s);
}

int vxseal_seal(struct vxseal *s, uint8_t *buf, size_t len)
{
	uint8_t *nonce = buf + 8, *payload = buf + VXSEAL_HDRLEN;

	if (s->counter == UINT32_MAX && vxseal_new_prefix(s) < 0)
		return -EAGAIN;
	memcpy(buf, vxseal_magic, sizeof(vxseal_magic));
	buf[4] = s->encrypt ? VXSEAL_ENCRYPTED : 0;
	buf[5] = buf[6] = buf[7] = 0;
	memcpy(nonce, s->prefix, sizeof(s->prefix));
	nonce[8] = (uint8_t)(s->counter >> 24);
	nonce[9] = (uint8_t)(s->counter >> 16);
	nonce[10] = (uint8_t)(s->counter >> 8);
	nonce[11] = (uint8_t)s->counter;
	s->counter++;
	chacha_poly1305_set_nonce(&s->ctx, nonce);
	/* one update call: nettle wants every call but the last to be whole blocks */
	if (s->encrypt) {
		chacha_poly1305_update(&s->ctx, VXSEAL_HDRLEN, buf);
		chacha_poly1305_encrypt(&s->ctx, len, payload, payload);
	} else {
		chacha_poly1305_update(&s->ctx, VXSEAL_HDRLEN + len, buf);
	}
	chacha_poly1305_digest(&s->ctx, VXSEAL_TAGLEN, payload + len);
	return (int)(len + VXSEAL_OVERHEAD);
}

/* Whether the nonce is new for its sender, and if so remember it. Called for authentic datagrams only,
 * so nobody without the key can fill the table. */
static bool vxseal_fresh(struct vxseal *s, const uint8_t nonce[12])
{
	uint32_t ctr = (uint32_t)nonce[8] << 24 | (uint32_t)nonce[9] << 16 | (uint32_t)nonce[10] << 8 | nonce[11];
	unsigned h = (nonce[0] ^ nonce[3] ^ nonce[5] ^ nonce[7]) % VXSEAL_SENDERS, pick = h;
	struct vxseal_sender *x = NULL;

	/* our own datagram coming back from elsewhere (reflected by someone who recorded it): never new */
	if (memcmp(nonce, s->prefix, sizeof(s->prefix)) == 0)
		return false;
	s->tick++;
	for (unsigned k = 0; k < 4; k++) {
		struct vxseal_sender *c = &s->senders[(h + k) % VXSEAL_SENDERS];

		if (c->used && memcmp(c->prefix, nonce, 8) == 0) {
			x = c;
			break;
		}
		if (c->used < s->senders[pick].used)
			pick = (h + k) % VXSEAL_SENDERS;
	}
	if (!x) {
		/* a new sender (or one pushed out): it starts here */
		x = &s->senders[pick];
		memcpy(x->prefix, nonce, 8);
		x->top = ctr;
		x->seen = 1;
		x->used = s->tick;
		return true;
	}
	x->used = s->tick;
	if (ctr > x->top) {
		uint32_t d = ctr - x->top;

		x->seen = d >= VXSEAL_WINDOW ? 1 : x->seen << d | 1;
		x->top = ctr;
		return true;
	}
	if (x->top - ctr >= VXSEAL_WINDOW || (x->seen >> (x->top - ctr)) & 1)
		return false;
	x->seen |= UINT64_C(1) << (x->top - ctr);
	return true;
}

int vxseal_open(struct vxseal *s, uint8_t *buf, size_t len, size_t *payload_len)
{
	uint8_t tag[VXSEAL_TAGLEN], *payload = buf + VXSEAL_HDRLEN;
	size_t plen;
	bool enc;

	if (len < VXSEAL_OVERHEAD || memcmp(buf, vxseal_magic, sizeof(vxseal_magic)) != 0 ||
	    (buf[4] & ~VXSEAL_ENCRYPTED) || buf[5] || buf[6] || buf[7])
		return -EBADMSG;
	plen = len - VXSEAL_OVERHEAD;
	enc = buf[4] & VXSEAL_ENCRYPTED;
	chacha_poly1305_set_nonce(&s->ctx, buf + 8);
	if (enc) {
		chacha_poly1305_update(&s->ctx, VXSEAL_HDRLEN, buf);
		/* decrypting before the tag is checked is safe here: a bad tag drops the whole datagram */
		chacha_poly1305_decrypt(&s->ctx, plen, payload, payload);
	} else {
		chacha_poly1305_update(&s->ctx, VXSEAL_HDRLEN + plen, buf);
	}
	chacha_poly1305_digest(&s->ctx, VXSEAL_TAGLEN, tag);
	if (!memeql_sec(tag, payload + plen, VXSEAL_TAGLEN))
		return -EBADMSG;
	if (!vxseal_fresh(s, buf + 8))
		return -EALREADY;
	*payload_len = plen;
	return 0;
}

int vxseal_parse_key(const char *text, uint8_t key[VXSEAL_KEYLEN])
{
	const char *p = text + strspn(text, " \t\r\n");

	for (int i = 0; i < VXSEAL_KEYLEN; i++) {
		int hi = proto_hex_digit(p[2 * i]), lo = hi < 0 ? -1 : proto_hex_digit(p[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			memset(key, 0, VXSEAL_KEYLEN);
			return -EINVAL;
		}
		key[i] = (uint8_t)(hi << 4 | lo);
	}
	p += 2 * VXSEAL_KEYLEN;
	if (p[strspn(p, " \t\r\n")] != '\0') {
		memset(key, 0, VXSEAL_KEYLEN);
		return -EINVAL;
	}
	return 0;
}
