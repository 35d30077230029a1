/*
 * Fuzz target: what vded does with a frame from one of its taps before a port without offloads gets it
 * (offload_segment, offload_csum). Input: a virtio-net header (10 bytes, as the tap writes it) and the
 * frame. The segments must lie in the output buffer, one after the other; together they carry the
 * frame's payload exactly once; their IPv4 header and TCP checksums must be right; a frame without GSO
 * comes out as offload_csum makes it. Buffers are allocated to size, so ASan sees any access past them.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/offload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* As the data path sizes them (network.c): the arena share of one frame and its segment limit. */
#define OUT_CAP (OFFLOAD_MAX_FRAME + 8192)
#define MAX_SEGS 128

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)(p[0] << 8);
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Equal in ones' complement arithmetic, where 0x0000 and 0xffff are both zero. */
static int same_ones(uint16_t a, uint16_t b)
{
	return a == b || (a == 0 && b == 0xffff) || (a == 0xffff && b == 0);
}

/* Check one TCP segment of an untagged IPv4/IPv6 frame; hdrlen is the original frame's headers. */
static void check_segment(const uint8_t *seg, size_t len, int v6, size_t l4, size_t hdrlen, size_t mss)
{
	size_t tcplen = len - l4;
	uint32_t s;

	if (len < hdrlen || len - hdrlen > mss)
		abort();
	if (v6) {
		if ((size_t)(seg[18] << 8 | seg[19]) != len - l4)
			abort();
		s = sum16(seg + 14 + 8, 32, 0) + (uint32_t)(tcplen >> 16) + (uint32_t)(tcplen & 0xffff) + 6;
	} else {
		if ((size_t)(seg[16] << 8 | seg[17]) != len - 14 || fold(sum16(seg + 14, l4 - 14, 0)) != 0xffff)
			abort();
		if (tcplen > 0xffff)
			return;		/* no IPv4 datagram is that long: nothing to check the sum against */
		s = sum16(seg + 14 + 12, 8, 0) + (uint32_t)tcplen + 6;
	}
	if (fold(sum16(seg + l4, tcplen, s)) != 0xffff)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virtio_net_hdr vh;
	struct offload_seg *segs;
	uint8_t *frame, *out, *copy;
	size_t len;
	unsigned gso;
	int n, c;

	if (size < OFFLOAD_HDR_LEN)
		return 0;
	memcpy(&vh, data, OFFLOAD_HDR_LEN);
	len = size - OFFLOAD_HDR_LEN;
	if (len > OFFLOAD_MAX_FRAME)
		return 0;	/* the data path never hands a longer one over */
	frame = malloc(len ? len : 1);
	copy = malloc(len ? len : 1);
	out = malloc(OUT_CAP);
	segs = malloc(MAX_SEGS * sizeof(*segs));
	if (!frame || !copy || !out || !segs)
		abort();
	memcpy(frame, data + OFFLOAD_HDR_LEN, len);
	memcpy(copy, frame, len);

	/* offload_csum alone: fails cleanly or completes a sum whose covered bytes add up */
	c = offload_csum(copy, len, &vh);
	if (c != 0 && c != -EINVAL)
		abort();
	if (c == 0 && (vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) && !(vh.csum_offset & 1)) {
		uint16_t was = (uint16_t)(frame[vh.csum_start + vh.csum_offset] << 8 |
					  frame[vh.csum_start + vh.csum_offset + 1]);
		uint16_t now = fold(sum16(copy + vh.csum_start, len - vh.csum_start, 0));

		/* the field held a partial sum: the bytes now add up to its complement */
		if (!same_ones(now, (uint16_t)~was))
			abort();
	}

	n = offload_segment(frame, len, &vh, out, OUT_CAP, segs, MAX_SEGS);
	if (n == 0 || n > MAX_SEGS || (n < 0 && n != -EINVAL && n != -ENOSPC))
		abort();
	if (n < 0)
		goto out;
	for (int i = 0; i < n; i++) {
		if (segs[i].off > OUT_CAP || segs[i].len > OUT_CAP - segs[i].off)
			abort();
		if (i > 0 && segs[i].off < segs[i - 1].off + segs[i - 1].len)
			abort();
	}
	gso = vh.gso_type & ~VIRTIO_NET_HDR_GSO_ECN;
	if (gso == VIRTIO_NET_HDR_GSO_NONE) {
		/* the frame as offload_csum completes it */
		if (n != 1 || segs[0].len != len || c != 0 || memcmp(out + segs[0].off, copy, len) != 0)
			abort();
	} else {
		int v6 = gso == VIRTIO_NET_HDR_GSO_TCPV6;
		size_t l4 = v6 ? 54 : 14 + (size_t)(frame[14] & 0xf) * 4;
		size_t hdrlen = l4 + (size_t)(frame[l4 + 12] >> 4) * 4, payload = 0;

		for (int i = 0; i < n; i++) {
			const uint8_t *seg = out + segs[i].off;

			check_segment(seg, segs[i].len, v6, l4, hdrlen, vh.gso_size);
			/* the payload, in order, once */
			if (memcmp(seg + hdrlen, frame + hdrlen + payload, segs[i].len - hdrlen) != 0)
				abort();
			payload += segs[i].len - hdrlen;
		}
		if (payload != len - hdrlen)
			abort();
	}
out:
	free(segs);
	free(out);
	free(copy);
	free(frame);
	return 0;
}
