/*
 * Fuzz target: Ethernet/VLAN frames through the learning switch. The input is a sequence of
 * records {ingress port (1 byte), time step (1 byte), length (2 bytes), frame}; the switch must keep
 * its invariants: a destination is an active port other than the ingress, the table never exceeds
 * its size, counters add up, no port's egress is the ingress. A record whose time byte has bit 5 set
 * gives its port a policy from the frame's first bytes instead (VLANs, isolation, limits, storm, loops).
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
		if ((data[-3] & 0x20) && len >= 4) {
			struct switch_port_conf c;

			switch_port_conf_init(&c);
			switch (data[0] & 3) {
			case 1:
				c.vlan = (uint16_t)(data[1] % 8 + 1);
				break;
			case 2:
				c.trunk = true;
				for (unsigned v = 1; v <= 8; v++)
					if (data[1] >> (v - 1) & 1)
						switch_conf_trunk_add(&c, v);
				c.native = (uint16_t)(data[2] % 9);
				break;
			}
			c.isolated = data[0] & 4;
			c.max_macs = data[0] & 8 ? data[2] % 4 : 0;
			c.loop_protect = data[0] & 16;
			c.loop_hold = data[3] % 3;
			c.storm_broadcast = data[0] & 32 ? data[3] % 5 : 0;
			c.storm_unknown = data[0] & 64 ? data[3] % 7 : 0;
			c.full_flood = data[0] & 128;
			if (switch_port_active(sw, in) && switch_port_configure(sw, in, &c) < 0 &&
			    switch_port_conf_check(&c, NULL) == 0)
				abort();
			data += len;
			size -= len;
			continue;
		}
		{
			struct switch_verdict v;

			dst = switch_ingress(sw, in, data, len, (uint64_t)now * 1000 + (data[-3] & 7) * 100, &v);
			if (dst != v.dst)
				abort();
			if (dst != SWITCH_DROP && switch_port_active(sw, in) &&
			    switch_egress(sw, in, in, &v) != SWITCH_TX_DROP)
				abort();
			if (v.tagged && len < 18)
				abort();
		}
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
