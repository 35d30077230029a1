/* Fuzz target: the vde_switch port request a vde:// client sends to an endpoint (doc/vde-wire.md §3). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vdeproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vde_request req;

	/* the endpoint reads at most VDE_REQ_MAX bytes in one read */
	if (size > VDE_REQ_MAX)
		size = VDE_REQ_MAX;
	if (vdeproto_parse_request(data, size, &req) == 0) {
		if (strnlen(req.path, sizeof(req.path)) >= sizeof(req.path) ||
		    strnlen(req.descr, sizeof(req.descr)) >= sizeof(req.descr) || req.path[0] == '\0')
			abort();
	}
	return 0;
}
