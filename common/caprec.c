/* caprec — the capture record codec; the layout is in caprec.h. */
#include <errno.h>
#include <string.h>

#include "caprec.h"

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

void caprec_encode_hdr(uint8_t out[CAPREC_HDR_LEN], const struct caprec *r)
{
	out[0] = CAPREC_VERSION;
	out[1] = r->type;
	out[2] = r->dir;
	out[3] = r->flags;
	put16(out + 4, r->port);
	put16(out + 6, 0);
	put32(out + 8, r->orig_len);
	put32(out + 12, r->end_reason);
	put64(out + 16, r->ts_ns);
	put64(out + 24, r->dropped);
}

void caprec_encode_end(uint8_t out[CAPREC_END_LEN], const struct caprec *r)
{
	struct caprec end = *r;

	end.type = CAPREC_END;
	end.orig_len = 0;
	caprec_encode_hdr(out, &end);
	put64(out + CAPREC_HDR_LEN, r->written);
}

int caprec_decode(const uint8_t *msg, size_t len, struct caprec *r)
{
	memset(r, 0, sizeof(*r));
	if (len < CAPREC_HDR_LEN)
		return -EINVAL;
	if (msg[0] != CAPREC_VERSION)
		return -EPROTO;
	r->type = msg[1];
	r->dir = msg[2];
	r->flags = msg[3];
	r->port = get16(msg + 4);
	r->orig_len = get32(msg + 8);
	r->end_reason = get32(msg + 12);
	r->ts_ns = get64(msg + 16);
	r->dropped = get64(msg + 24);
	switch (r->type) {
	case CAPREC_FRAME:
		r->data = msg + CAPREC_HDR_LEN;
		r->caplen = len - CAPREC_HDR_LEN;
		if (r->dir > CAPREC_DIR_OUT || r->caplen > r->orig_len)
			return -EINVAL;
		return 0;
	case CAPREC_END:
		if (len != CAPREC_END_LEN)
			return -EINVAL;
		r->written = get64(msg + CAPREC_HDR_LEN);
		return 0;
	}
	return -EINVAL;
}

const char *caprec_end_reason(uint32_t reason)
{
	switch (reason) {
	case CAPREC_END_CLOSED:
		return "closed";
	case CAPREC_END_COUNT:
		return "count reached";
	case CAPREC_END_NETWORK:
		return "network deleted";
	case CAPREC_END_PORT:
		return "port gone";
	case CAPREC_END_EXIT:
		return "vded stopping";
	}
	return "unknown";
}
