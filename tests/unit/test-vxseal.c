/*
 * Unit test of vded/backends/vxseal.c, the membership key of vxvde networks: a datagram sealed by one
 * key holder opens for another (authenticated only, and encrypted), the bytes on the wire are what
 * doc/vde-wire.md §4.4 says, a wrong key, a flipped bit anywhere or a cut datagram is refused, nonces
 * never repeat within a port and differ between two ports of the same key, and the key file syntax.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "backends/vxseal.h"
#include "unit.h"

static const uint8_t frame[] = { 0x08, 0, 0, 0, 0, 0, 1, 0,		/* vxvde header, VNI 1 */
				 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 1, 0x08, 0x06, 'h', 'i' };

static void test_roundtrip(bool encrypt)
{
	uint8_t key[VXSEAL_KEYLEN], other[VXSEAL_KEYLEN], buf[256], copy[256];
	struct vxseal a, b, c;
	size_t plen = 0;
	int n;

	memset(key, 0x5a, sizeof(key));
	memset(other, 0x5b, sizeof(other));
	CHECK(vxseal_init(&a, key, encrypt) == 0);
	CHECK(vxseal_init(&b, key, encrypt) == 0);
	CHECK(vxseal_init(&c, other, encrypt) == 0);
	memcpy(buf + VXSEAL_HDRLEN, frame, sizeof(frame));
	n = vxseal_seal(&a, buf, sizeof(frame));
	CHECK(n == (int)(sizeof(frame) + VXSEAL_OVERHEAD));
	/* the header: magic, flags, the nonce (prefix, counter 0) */
	CHECK(buf[0] == 'V' && buf[1] == 'X' && buf[2] == 'K' && buf[3] == 1);
	CHECK(buf[4] == (encrypt ? VXSEAL_ENCRYPTED : 0) && !buf[5] && !buf[6] && !buf[7]);
	CHECK(memcmp(buf + 8, a.prefix, 8) == 0 && !buf[16] && !buf[17] && !buf[18] && buf[19] == 0);
	/* plain or not on the wire, as asked */
	CHECK((memcmp(buf + VXSEAL_HDRLEN, frame, sizeof(frame)) == 0) == !encrypt);
	memcpy(copy, buf, (size_t)n);
	CHECK(vxseal_open(&b, buf, (size_t)n, &plen) == 0);
	CHECK(plen == sizeof(frame) && memcmp(buf + VXSEAL_HDRLEN, frame, sizeof(frame)) == 0);
	/* the same datagram again (a replay, or the group's copy after the unicast one): refused */
	memcpy(buf, copy, (size_t)n);
	CHECK(vxseal_open(&b, buf, (size_t)n, &plen) == -EALREADY);
	/* another key, any flipped bit, a cut datagram: refused */
	memcpy(buf, copy, (size_t)n);
	CHECK(vxseal_open(&c, buf, (size_t)n, &plen) == -EBADMSG);
	for (int i = 0; i < n; i += 7) {
		memcpy(buf, copy, (size_t)n);
		buf[i] ^= 0x10;
		CHECK(vxseal_open(&b, buf, (size_t)n, &plen) == -EBADMSG);
	}
	memcpy(buf, copy, (size_t)n);
	CHECK(vxseal_open(&b, buf, (size_t)n - 1, &plen) == -EBADMSG);
	CHECK(vxseal_open(&b, buf, VXSEAL_OVERHEAD - 1, &plen) == -EBADMSG);
	/* a plain vxvde datagram (vdeplug4's) is not sealed */
	memcpy(buf, frame, sizeof(frame));
	CHECK(vxseal_open(&b, buf, sizeof(frame), &plen) == -EBADMSG);
	/* the next nonce is the next counter; two ports of one key draw different prefixes */
	memcpy(buf + VXSEAL_HDRLEN, frame, sizeof(frame));
	vxseal_seal(&a, buf, sizeof(frame));
	CHECK(memcmp(buf + 8, a.prefix, 8) == 0 && buf[19] == 1);
	CHECK(memcmp(a.prefix, b.prefix, 8) != 0);
	/* the counter's end draws a fresh prefix rather than wrapping */
	{
		uint8_t old[8];

		memcpy(old, a.prefix, 8);
		a.counter = UINT32_MAX;
		memcpy(buf + VXSEAL_HDRLEN, frame, sizeof(frame));
		n = vxseal_seal(&a, buf, sizeof(frame));
		CHECK(memcmp(old, a.prefix, 8) != 0 && buf[19] == 0 && buf[18] == 0);
		CHECK(vxseal_open(&b, buf, (size_t)n, &plen) == 0);
	}
}

/* The replay window: later counters pass, out of order within the window passes once, below it never. */
static void test_replay(void)
{
	uint8_t key[VXSEAL_KEYLEN], d[100][64];
	struct vxseal a, b;
	size_t plen;
	int n[100];

	memset(key, 7, sizeof(key));
	CHECK(vxseal_init(&a, key, false) == 0 && vxseal_init(&b, key, false) == 0);
	for (int i = 0; i < 100; i++) {
		memcpy(d[i] + VXSEAL_HDRLEN, frame, 8);
		n[i] = vxseal_seal(&a, d[i], 8);
	}
	CHECK(vxseal_open(&b, d[0], (size_t)n[0], &plen) == 0);
	CHECK(vxseal_open(&b, d[70], (size_t)n[70], &plen) == 0);	/* a jump ahead */
	CHECK(vxseal_open(&b, d[30], (size_t)n[30], &plen) == 0);	/* late, inside the window */
	CHECK(vxseal_open(&b, d[30], (size_t)n[30], &plen) == -EALREADY);
	CHECK(vxseal_open(&b, d[5], (size_t)n[5], &plen) == -EALREADY);	/* below the window */
	CHECK(vxseal_open(&b, d[70], (size_t)n[70], &plen) == -EALREADY);
	CHECK(vxseal_open(&b, d[71], (size_t)n[71], &plen) == 0);
	/* a tampered copy is a bad tag, and leaves the window as it was */
	d[72][VXSEAL_HDRLEN] ^= 1;
	CHECK(vxseal_open(&b, d[72], (size_t)n[72], &plen) == -EBADMSG);
	d[72][VXSEAL_HDRLEN] ^= 1;
	CHECK(vxseal_open(&b, d[72], (size_t)n[72], &plen) == 0);
	/* another sender of the same key (another prefix) has a window of its own */
	{
		struct vxseal c;
		uint8_t x[64];
		int m;

		CHECK(vxseal_init(&c, key, false) == 0);
		memcpy(x + VXSEAL_HDRLEN, frame, 8);
		m = vxseal_seal(&c, x, 8);
		CHECK(vxseal_open(&b, x, (size_t)m, &plen) == 0);
	}
	CHECK(vxseal_open(&b, d[73], (size_t)n[73], &plen) == 0);
	/* a's own datagram reflected back to a (it never opened it: own multicast is dropped earlier) */
	CHECK(vxseal_open(&a, d[99], (size_t)n[99], &plen) == -EALREADY);
}

static void test_parse_key(void)
{
	uint8_t k[VXSEAL_KEYLEN];
	char text[80];

	memset(text, 'a', 64);
	text[64] = '\0';
	CHECK(vxseal_parse_key(text, k) == 0 && k[0] == 0xaa && k[31] == 0xaa);
	snprintf(text, sizeof(text), "  %s\n", "000102030405060708090a0b0c0d0e0f101112131415161718191A1B1C1D1E1F");
	CHECK(vxseal_parse_key(text, k) == 0 && k[0] == 0 && k[1] == 1 && k[31] == 0x1f);
	CHECK(vxseal_parse_key("0011", k) < 0);
	memset(text, 'a', 66);
	text[66] = '\0';
	CHECK(vxseal_parse_key(text, k) < 0);
	memset(text, 'a', 64);
	text[10] = 'g';
	text[64] = '\0';
	CHECK(vxseal_parse_key(text, k) < 0 && k[0] == 0);
	CHECK(vxseal_parse_key("", k) < 0);
}

int main(void)
{
	test_roundtrip(false);
	test_roundtrip(true);
	test_replay();
	test_parse_key();
	return unit_report("test-vxseal");
}
