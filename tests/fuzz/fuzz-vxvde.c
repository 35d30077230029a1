/*
 * Fuzz target: the vxvde wire codec (common/vxproto.c) as vded and the vxvde:// module use it on
 * what arrives from the wire (header check, goodbye, frame bounds, the VNI of a header, the sender
 * address) and on a group given by a user (GROUP[:PORT], [V6]:PORT). Input: 3 bytes of VNI, then
 * the datagram; the same bytes, cut at the first NUL, are also parsed as a group, and the first
 * bytes of the datagram are taken as a received sender address. The datagram is also read as a peer
 * announcement (its parse rebuilds to the same bytes when every entry is of the family asked), and the
 * text as a unicast peer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vxproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t hdr[VXPROTO_HDRLEN];
	union vxproto_addr a, n;
	uint32_t vni, got;
	char text[80];
	size_t len;

	if (size < 3)
		return 0;
	vni = (uint32_t)(data[0] << 16 | data[1] << 8 | data[2]);
	vxproto_header(vni, hdr);
	if (vxproto_header_vni(hdr, &got) != 0 || got != vni)
		abort();
	data += 3;
	size -= 3;
	switch (vxproto_classify(hdr, data, size)) {
	case VXPROTO_FRAME:
		if (size < VXPROTO_HDRLEN + VXPROTO_FRAME_MIN || size > VXPROTO_HDRLEN + VXPROTO_FRAME_MAX ||
		    memcmp(data, hdr, VXPROTO_HDRLEN) || vxproto_header_vni(data, &got) != 0 || got != vni)
			abort();
		break;
	case VXPROTO_BYE:
		if (size != VXPROTO_HDRLEN || memcmp(data, hdr, VXPROTO_HDRLEN))
			abort();
		break;
	case VXPROTO_IGNORE:
		if (size >= VXPROTO_HDRLEN + VXPROTO_FRAME_MIN && size <= VXPROTO_HDRLEN + VXPROTO_FRAME_MAX &&
		    !memcmp(data, hdr, VXPROTO_HDRLEN))
			abort();
		break;
	}
	/* a sender address as recvmmsg could report it: normalising is idempotent */
	if (vxproto_addr_norm(&a, data, (socklen_t)(size < sizeof(a) ? size : sizeof(a))) == 0) {
		if (vxproto_addr_len(&a) == 0 || vxproto_addr_norm(&n, &a, vxproto_addr_len(&a)) != 0 ||
		    memcmp(&a, &n, sizeof(a)))
			abort();
	}
	len = strnlen((const char *)data, size);
	if (len >= sizeof(text))
		len = sizeof(text) - 1;
	memcpy(text, data, len);
	text[len] = '\0';
	if (vxproto_parse_group(text, VXPROTO_PORT, &a) == 0 &&
	    (vxproto_addr_len(&a) == 0 || !vxproto_addr_is_multicast(&a) ||
	     (a.sa.sa_family == AF_INET ? a.in.sin_port : a.in6.sin6_port) == 0))
		abort();
	if (vxproto_parse_peer(text, 14790, &a) == 0 &&
	    (vxproto_addr_len(&a) == 0 || vxproto_addr_is_multicast(&a) ||
	     (a.sa.sa_family == AF_INET ? a.in.sin_port : a.in6.sin6_port) == 0))
		abort();
	for (int fam = 0; fam < 2; fam++) {
		union vxproto_addr peers[VXPROTO_ANN_MAX];
		uint8_t again[VXPROTO_ANN_SIZE];
		int k = vxproto_announce_parse(data, size, vni, fam ? AF_INET6 : AF_INET, peers);

		if (k < 0)
			continue;
		if (k > VXPROTO_ANN_MAX || size != VXPROTO_ANN_HDRLEN + (size_t)data[7] * VXPROTO_ANN_ENTRY)
			abort();
		/* all entries kept: building them again gives the datagram back */
		if (k == data[7] && (vxproto_announce_build(vni, peers, (unsigned)k, again) != (int)size ||
				     memcmp(again, data, size)))
			abort();
	}
	return 0;
}
