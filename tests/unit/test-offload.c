/* Unit test of vded/offload.c: TCP segmentation and checksum completion for ports without offloads. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/offload.h"
#include "unit.h"

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)(p[0] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* A checksum is right when the sum over the covered bytes (field included) folds to 0xffff. */
static int tcp_ok(const uint8_t *f, size_t len, int v6)
{
	size_t l3 = 14, l4 = v6 ? 54 : 14 + (size_t)(f[14] & 0xf) * 4, tl = len - l4;
	uint32_t s = 0;

	if (v6)
		s = sum16(f + l3 + 8, 32, 0) + (uint32_t)tl + 6;
	else
		s = sum16(f + l3 + 12, 8, 0) + (uint32_t)tl + 6;
	return sum16(f + l4, tl, s) == 0xffff;
}

static size_t make_tcp(uint8_t *f, int v6, size_t payload, uint8_t flags)
{
	size_t l4 = v6 ? 54 : 34, len = l4 + 20 + payload;

	memset(f, 0, len);
	memcpy(f, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01", 12);
	if (v6) {
		f[12] = 0x86; f[13] = 0xdd;
		f[14] = 0x60; f[20] = 6; f[21] = 64;
		f[14 + 8 + 15] = 1; f[14 + 24 + 15] = 2;	/* ::1 -> ::2 */
	} else {
		f[12] = 0x08; f[13] = 0x00;
		f[14] = 0x45; f[14 + 8] = 64; f[14 + 9] = 6; f[18] = 0x12; f[19] = 0x34;
		memcpy(f + 26, "\x0a\0\0\x01\x0a\0\0\x02", 8);
	}
	f[l4 + 4] = 0xff; f[l4 + 5] = 0xff; f[l4 + 6] = 0xf0; f[l4 + 7] = 0x00;	/* seq near wrap */
	f[l4 + 12] = 0x50;
	f[l4 + 13] = flags;
	for (size_t i = 0; i < payload; i++)
		f[l4 + 20 + i] = (uint8_t)(i * 7 + 3);
	return len;
}

static void check_segmentation(int v6)
{
	static uint8_t frame[OFFLOAD_MAX_FRAME], out[2 * OFFLOAD_MAX_FRAME];
	struct offload_seg segs[64];
	struct virtio_net_hdr vh = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				     .gso_type = v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4,
				     .gso_size = 1448 };
	size_t l4 = v6 ? 54 : 34, payload = 5000, len = make_tcp(frame, v6, payload, 0x19 /* FIN PSH ACK */ | 0x80);
	size_t got = 0;
	int n = offload_segment(frame, len, &vh, out, sizeof(out), segs, 64);

	CHECK(n == 4);
	for (int i = 0; i < n && n > 0; i++) {
		uint8_t *s = out + segs[i].off;
		size_t chunk = segs[i].len - l4 - 20;
		uint32_t seq = (uint32_t)s[l4 + 4] << 24 | (uint32_t)s[l4 + 5] << 16 | (uint32_t)s[l4 + 6] << 8 | s[l4 + 7];

		CHECK(chunk == (i < 3 ? 1448u : 656u));
		CHECK(seq == 0xfffff000u + (uint32_t)got);	/* wraps past 2^32 */
		CHECK(memcmp(s + l4 + 20, frame + l4 + 20 + got, chunk) == 0);
		CHECK(tcp_ok(s, segs[i].len, v6));
		CHECK(((s[l4 + 13] & 0x09) != 0) == (i == n - 1));	/* FIN/PSH last only */
		CHECK(((s[l4 + 13] & 0x80) != 0) == (i == 0));		/* CWR first only */
		CHECK((s[l4 + 13] & 0x10) != 0);			/* ACK on all */
		if (v6) {
			CHECK((size_t)(s[18] << 8 | s[19]) == segs[i].len - 54);
		} else {
			CHECK((size_t)(s[16] << 8 | s[17]) == segs[i].len - 14);
			CHECK(sum16(s + 14, 20, 0) == 0xffff);
			CHECK((s[18] << 8 | s[19]) == 0x1234 + i);
		}
		got += chunk;
	}
	CHECK(got == payload);
	/* too little room is refused, not overrun */
	CHECK(offload_segment(frame, len, &vh, out, 3000, segs, 64) == -ENOSPC);
	CHECK(offload_segment(frame, len, &vh, out, sizeof(out), segs, 2) == -ENOSPC);
	/* malformed: not TCP, truncated, zero MSS */
	vh.gso_size = 0;
	CHECK(offload_segment(frame, len, &vh, out, sizeof(out), segs, 64) == -EINVAL);
	vh.gso_size = 1448;
	CHECK(offload_segment(frame, 40, &vh, out, sizeof(out), segs, 64) == -EINVAL);
	frame[v6 ? 20 : 23] = 17;
	CHECK(offload_segment(frame, len, &vh, out, sizeof(out), segs, 64) == -EINVAL);
}

static void check_csum(void)
{
	uint8_t f[200], ref[200];
	size_t len = make_tcp(f, 0, 77, 0x18);
	struct virtio_net_hdr vh = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 34, .csum_offset = 16 };
	uint32_t seed = sum16(f + 26, 8, 0) + (uint32_t)(len - 34) + 6;

	while (seed >> 16)
		seed = (seed & 0xffff) + (seed >> 16);
	/* what a kernel hands over: the pseudo-header sum, not complemented, in the field */
	f[50] = (uint8_t)(seed >> 8);
	f[51] = (uint8_t)seed;
	memcpy(ref, f, len);
	CHECK(offload_csum(f, len, &vh) == 0);
	CHECK(tcp_ok(f, len, 0));
	CHECK(memcmp(f, ref, 50) == 0 && memcmp(f + 52, ref + 52, len - 52) == 0);
	vh.csum_start = 250;
	CHECK(offload_csum(f, len, &vh) == -EINVAL);
	vh.csum_start = 34;
	vh.csum_offset = (uint16_t)(len - 34 - 1);
	CHECK(offload_csum(f, len, &vh) == -EINVAL);
}

int main(void)
{
	check_segmentation(0);
	check_segmentation(1);
	check_csum();
	return unit_report("test-offload");
}
