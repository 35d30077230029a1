/*
 * Fuzz target: what vded does with a vxvde datagram from the wire (header check, goodbye, frame
 * bounds) and with a vxvde group given by a user (GROUP[:PORT], [V6]:PORT). Input: 3 bytes of VNI,
 * then the datagram; the same bytes, cut at the first NUL, are also parsed as a group.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/switch.h"
#include "backends/vxvde.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char hdr[8];
	struct vxvde_spec spec;
	char text[80];
	size_t n;

	if (size < 3)
		return 0;
	vxvde_header((unsigned)(data[0] << 16 | data[1] << 8 | data[2]), hdr);
	switch (vxvde_classify(hdr, data + 3, size - 3)) {
	case VXVDE_FRAME:
		if (size - 3 < 8 + ETH_MIN_FRAME || size - 3 > 8 + ETH_MAX_FRAME || memcmp(data + 3, hdr, 8))
			abort();
		break;
	case VXVDE_BYE:
		if (size - 3 != 8)
			abort();
		break;
	case VXVDE_IGNORE:
		break;
	}
	n = strnlen((const char *)data + 3, size - 3);
	if (n >= sizeof(text))
		n = sizeof(text) - 1;
	memcpy(text, data + 3, n);
	text[n] = '\0';
	if (vxvde_parse_group(text, &spec) == 0 && spec.group.ss_family != AF_INET && spec.group.ss_family != AF_INET6)
		abort();
	return 0;
}
