/*
 * Fuzz target: Ethernet/VLAN frames through the learning switch. The input is a sequence of
 * records {ingress port (1 byte), time step (1 byte), length (2 bytes), frame}; the switch must keep
 * its invariants: a destination is an active port other than the ingress, the table never exceeds
 * its size, counters add up.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/switch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_PORTS 8
#define FUZZ_MACS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vswitch *sw = switch_new(FUZZ_PORTS, FUZZ_MACS, 5);
	uint32_t now = 1000;
	uint64_t frames = 0;

	if (!sw)
		abort();
	for (unsigned p = 1; p < FUZZ_PORTS; p++)
		switch_port_add(sw, p);
	while (size >= 4) {
		unsigned in = data[0] % FUZZ_PORTS;
		size_t len = (size_t)(data[2] << 8 | data[3]);
		int dst;

		now += data[1] & 7;
		if (data[1] & 0x80) {	/* now and then a port goes away and comes back */
			switch_port_remove(sw, in);
			switch_port_add(sw, in);
		}
		if (data[1] & 0x40)
			switch_age(sw, now);
		data += 4;
		size -= 4;
		if (len > size)
			len = size;
		dst = switch_forward(sw, in, data, len, now);
		if (dst >= 0 && (dst == (int)in || !switch_port_active(sw, (unsigned)dst)))
			abort();
		if (dst != SWITCH_DROP && (len < ETH_MIN_FRAME || len > ETH_MAX_FRAME))
			abort();
		frames += len >= ETH_MIN_FRAME && len <= ETH_MAX_FRAME && switch_port_active(sw, in);
		if (switch_mac_count(sw) > FUZZ_MACS)
			abort();
		data += len;
		size -= len;
	}
	{
		uint64_t rx = 0;
		for (unsigned p = 0; p < FUZZ_PORTS; p++) {
			struct switch_port_stats *st = switch_port_stats(sw, p);
			if (st)
				rx += st->rx_frames;
		}
		/* removed-and-readded ports restart their counters: rx can only be at most the frames seen */
		if (rx > frames)
			abort();
	}
	switch_free(sw);
	return 0;
}
