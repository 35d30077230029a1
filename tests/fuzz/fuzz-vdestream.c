/*
 * libFuzzer target: vdestream_recv (doc/vde-wire.md §5). The input is a byte stream; its first byte picks
 * how the stream is cut into reads. Differential check: the frames delivered when the stream arrives in
 * pieces equal those delivered when it arrives in one read, and every frame is 1..VDE_ETHBUFSIZE bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../libvdeclient/vdeplug_stream.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct digest {
	size_t frames;
	size_t bytes;
	uint64_t hash;
	int errors;
};

static ssize_t on_frame(void *opaque, void *buf, size_t len)
{
	struct digest *d = opaque;
	const unsigned char *p = buf;

	if (len == 0 || len > VDE_ETHBUFSIZE)
		abort();
	d->frames++;
	d->bytes += len;
	/* FNV-1a over the frame and its length: order and content both count */
	d->hash ^= len;
	d->hash *= 0x100000001b3ULL;
	for (size_t i = 0; i < len; i++) {
		d->hash ^= p[i];
		d->hash *= 0x100000001b3ULL;
	}
	return (ssize_t)len;
}

static void on_error(void *opaque, int type, char *format, ...)
{
	struct digest *d = opaque;

	if (type != PACKET_LENGTH_ERROR)
		abort();
	d->errors++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct digest whole = { .hash = 0xcbf29ce484222325ULL }, pieces = { .hash = 0xcbf29ce484222325ULL };
	VDESTREAM *vs;
	unsigned char *copy;
	size_t step, off;
	unsigned seed;

	if (size == 0)
		return 0;
	seed = data[0];
	data++;
	size--;
	copy = malloc(size ? size : 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);

	vs = vdestream_open(&whole, -1, on_frame, on_error);
	vdestream_recv(vs, copy, size);
	vdestream_close(vs);

	/* pieces of 1..(seed+1) bytes, varying: cuts land inside headers and frames */
	vs = vdestream_open(&pieces, -1, on_frame, on_error);
	for (off = 0; off < size; off += step) {
		step = 1 + (seed + off * 31) % (seed + 1u);
		if (step > size - off)
			step = size - off;
		memcpy(copy + off, data + off, step);
		vdestream_recv(vs, copy + off, step);
	}
	vdestream_close(vs);

	if (whole.frames != pieces.frames || whole.bytes != pieces.bytes || whole.hash != pieces.hash ||
	    whole.errors != pieces.errors)
		abort();
	free(copy);
	return 0;
}
