/*
 * offload — the kernel's segmentation and checksum offloads between vded's own taps.
 *
 * vded's taps run with a virtio-net header (IFF_VNET_HDR) and TSO/checksum offload: a TCP stream
 * between two of them crosses vded as 64 KiB segments with a partial checksum, one read and one
 * write per 40 frames, and the receiving kernel finishes the work. A port that cannot take such a
 * frame (a socket, vxvde, slirp) gets what a wire would carry: offload_segment() cuts it into MSS-sized
 * TCP frames with complete checksums, offload_csum() completes a partial checksum. Pure functions.
 */
#ifndef VDED_OFFLOAD_H
#define VDED_OFFLOAD_H

#include <stddef.h>
#include <stdint.h>
#include <linux/virtio_net.h>

#define OFFLOAD_HDR_LEN sizeof(struct virtio_net_hdr)	/* 10: the tap's default header size */
#define OFFLOAD_MAX_FRAME 65550				/* a GSO frame: 64 KiB of IP plus Ethernet */

struct offload_seg {
	uint32_t off, len;	/* in the output buffer */
};

/* Whether a frame with this header needs work before it goes to a port without offloads. */
static inline int offload_pending(const struct virtio_net_hdr *vh)
{
	return vh && (vh->gso_type != VIRTIO_NET_HDR_GSO_NONE || (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM));
}

/* Complete the partial checksum of frame (len bytes) described by vh, in place.
 * Returns 0, or -EINVAL if csum_start/csum_offset do not fit the frame. */
int offload_csum(uint8_t *frame, size_t len, const struct virtio_net_hdr *vh);

/*
 * Cut a TCP GSO frame (IPv4 or IPv6 over Ethernet, no VLAN tag or IPv6 extension header) into
 * frames of at most gso_size payload each, written back to back into out (cap bytes), with IP and
 * TCP headers and checksums fixed (sequence numbers, lengths, IPv4 ids, FIN/PSH on the last only,
 * CWR on the first only). A frame whose header says no GSO is copied with its checksum completed.
 * Fills segs[] and returns how many, or -EINVAL (malformed), -ENOSPC (out or segs too small).
 */
int offload_segment(const uint8_t *frame, size_t len, const struct virtio_net_hdr *vh, uint8_t *out, size_t cap,
		    struct offload_seg *segs, unsigned maxsegs);

#endif
