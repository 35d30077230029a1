#include <errno.h>
#include <string.h>

#include "dataplane/offload.h"

/* ones' complement sum of len bytes, big-endian 16-bit words */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	while (len > 1) {
		sum += (uint32_t)(p[0] << 8 | p[1]);
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)(p[0] << 8);
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int offload_csum(uint8_t *frame, size_t len, const struct virtio_net_hdr *vh)
{
	size_t start = vh->csum_start, at = (size_t)vh->csum_start + vh->csum_offset;

	if (!(vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		return 0;
	if (start >= len || at + 2 > len)
		return -EINVAL;
	/* the field holds the pseudo-header sum already: sum everything from csum_start and fold */
	put16(frame + at, csum_fold(csum_add(0, frame + start, len - start)));
	return 0;
}

/* TCP checksum of a segment: pseudo-header (from the IP header at l3) plus the TCP header and data. */
static void tcp_checksum(uint8_t *seg, size_t l3, int v6, size_t l4, size_t tcplen)
{
	uint32_t sum = 0;

	seg[l4 + 16] = seg[l4 + 17] = 0;
	if (v6) {
		sum = csum_add(sum, seg + l3 + 8, 32);
		sum += (uint32_t)(tcplen >> 16) + (uint32_t)(tcplen & 0xffff) + 6;
	} else {
		sum = csum_add(sum, seg + l3 + 12, 8);
		sum += (uint32_t)tcplen + 6;
	}
	sum = csum_add(sum, seg + l4, tcplen);
	put16(seg + l4 + 16, csum_fold(sum));
}

int offload_segment(const uint8_t *frame, size_t len, const struct virtio_net_hdr *vh, uint8_t *out, size_t cap,
		    struct offload_seg *segs, unsigned maxsegs)
{
	size_t l3 = 14, l4, hdrlen, payload, mss, used = 0;
	unsigned gso = vh->gso_type & ~VIRTIO_NET_HDR_GSO_ECN, n = 0;
	uint16_t ethertype, ipid = 0;
	uint32_t seq;
	int v6;

	if (len < l3)
		return -EINVAL;
	if (gso == VIRTIO_NET_HDR_GSO_NONE) {
		if (len > cap || maxsegs < 1)
			return -ENOSPC;
		memcpy(out, frame, len);
		if (offload_csum(out, len, vh) < 0)
			return -EINVAL;
		segs[0].off = 0;
		segs[0].len = (uint32_t)len;
		return 1;
	}
	ethertype = get16(frame + 12);
	if (gso == VIRTIO_NET_HDR_GSO_TCPV4 && ethertype == 0x0800) {
		if (len < l3 + 20 || (frame[l3] >> 4) != 4 || (frame[l3] & 0xf) < 5 || frame[l3 + 9] != 6)
			return -EINVAL;
		l4 = l3 + (size_t)(frame[l3] & 0xf) * 4;
		ipid = get16(frame + l3 + 4);
		v6 = 0;
	} else if (gso == VIRTIO_NET_HDR_GSO_TCPV6 && ethertype == 0x86dd) {
		if (len < l3 + 40 || (frame[l3] >> 4) != 6 || frame[l3 + 6] != 6)
			return -EINVAL;
		l4 = l3 + 40;
		v6 = 1;
	} else {
		return -EINVAL;		/* UDP GSO is never enabled on vded's taps; tagged frames do not come from them */
	}
	if (len < l4 + 20 || (frame[l4 + 12] >> 4) < 5)
		return -EINVAL;
	hdrlen = l4 + (size_t)(frame[l4 + 12] >> 4) * 4;
	mss = vh->gso_size;
	if (len < hdrlen || mss == 0)
		return -EINVAL;
	payload = len - hdrlen;
	seq = (uint32_t)frame[l4 + 4] << 24 | (uint32_t)frame[l4 + 5] << 16 | (uint32_t)frame[l4 + 6] << 8 | frame[l4 + 7];
	for (size_t off = 0; off < payload || (payload == 0 && n == 0); off += mss) {
		size_t chunk = payload - off < mss ? payload - off : mss, seglen = hdrlen + chunk;
		uint8_t *seg = out + used;
		uint32_t s = seq + (uint32_t)off;
		int last = off + chunk >= payload;

		if (n == maxsegs || used + seglen > cap)
			return -ENOSPC;
		memcpy(seg, frame, hdrlen);
		memcpy(seg + hdrlen, frame + hdrlen + off, chunk);
		if (v6) {
			put16(seg + l3 + 4, (uint16_t)(seglen - l4));
		} else {
			put16(seg + l3 + 2, (uint16_t)(seglen - l3));
			put16(seg + l3 + 4, (uint16_t)(ipid + n));
			seg[l3 + 10] = seg[l3 + 11] = 0;
			put16(seg + l3 + 10, csum_fold(csum_add(0, seg + l3, l4 - l3)));
		}
		seg[l4 + 4] = (uint8_t)(s >> 24);
		seg[l4 + 5] = (uint8_t)(s >> 16);
		seg[l4 + 6] = (uint8_t)(s >> 8);
		seg[l4 + 7] = (uint8_t)s;
		if (!last)
			seg[l4 + 13] &= (uint8_t)~0x09;	/* FIN, PSH: the last segment only */
		if (n > 0)
			seg[l4 + 13] &= (uint8_t)~0x80;	/* CWR: the first segment only */
		tcp_checksum(seg, l3, v6, l4, seglen - l4);
		segs[n].off = (uint32_t)used;
		segs[n].len = (uint32_t)seglen;
		used += seglen;
		n++;
		if (payload == 0)
			break;
	}
	return (int)n;
}
