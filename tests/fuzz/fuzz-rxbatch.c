/*
 * Fuzz target: the data path's receive compaction (port_rx_collect), which turns what a port kind reported
 * about the slots it was lent into the frames to switch. A kind's report is not trusted: whatever it says,
 * every frame must lie inside its own slot, come out once and in slot order, and skipped slots never.
 * Input: slots (1 byte, 1..PORT_BATCH), slot size (2 bytes, 1..4096), used (4 bytes, signed, as a kind
 * returns it), then per slot off, len and flags (4 bytes each, little-endian; missing bytes are 0).
 * Slots, reports and output are allocated to size, so ASan sees any access past them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/port.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t get32(const uint8_t *data, size_t size, size_t at)
{
	uint32_t v = 0;

	for (size_t i = 0; i < 4; i++)
		if (at + i < size)
			v |= (uint32_t)data[at + i] << (8 * i);
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct port_rxbatch b = { 0 };
	struct port_rxframe *out;
	unsigned n, cap, k, want = 0, lim, last = 0;
	int used;
	volatile uint8_t sink = 0;

	if (size < 7)
		return 0;
	n = data[0] % PORT_BATCH + 1;
	cap = ((unsigned)data[1] | (unsigned)data[2] << 8) % 4096 + 1;
	used = (int)get32(data, size, 3);
	b.n = n;
	b.cap = cap;
	b.buf = malloc((size_t)n * cap);
	b.frame = malloc(n * sizeof(*b.frame));
	out = malloc(n * sizeof(*out));
	if (!b.buf || !b.frame || !out)
		abort();
	memset(b.buf, 0xa5, (size_t)n * cap);
	for (unsigned i = 0; i < n; i++) {
		size_t at = 7 + (size_t)i * 12;
		b.frame[i].off = get32(data, size, at);
		b.frame[i].len = get32(data, size, at + 4);
		b.frame[i].flags = get32(data, size, at + 8);
	}
	k = port_rx_collect(&b, used, out);

	lim = used < 0 ? 0 : (unsigned)used > n ? n : (unsigned)used;
	for (unsigned i = 0; i < lim; i++)
		if (!(b.frame[i].flags & PORT_FRAME_SKIP))
			want++;
	if (k != want)
		abort();
	for (unsigned j = 0, i = 0; j < k; j++, i++) {
		size_t slot, start;

		while (b.frame[i].flags & PORT_FRAME_SKIP)
			i++;		/* the report this frame must come from */
		if (out[j].data < b.buf || out[j].data >= b.buf + (size_t)n * cap)
			abort();
		slot = (size_t)(out[j].data - b.buf) / cap;
		start = slot * cap;
		if (slot != i || (j > 0 && slot <= last))
			abort();
		if ((size_t)(out[j].data - b.buf) + out[j].len > start + cap)
			abort();
		if (b.frame[i].off < cap && b.frame[i].len <= cap - b.frame[i].off) {
			if (out[j].data != b.buf + start + b.frame[i].off || out[j].len != b.frame[i].len ||
			    out[j].trunc != !!(b.frame[i].flags & PORT_FRAME_TRUNC))
				abort();
		} else if (out[j].len != 0) {
			abort();	/* a report that does not fit is an empty frame: an error for the switch */
		}
		for (uint32_t x = 0; x < out[j].len; x++)
			sink ^= out[j].data[x];	/* ASan: every byte the data path would read */
		last = (unsigned)slot;
	}
	(void)sink;
	free(out);
	free(b.frame);
	free(b.buf);
	return 0;
}
