/*
 * Unit test of vdestream framing (doc/vde-wire.md §5): 2-byte big-endian length + frame, length 0 skipped,
 * headers and frames split at every byte boundary, several frames per read, oversized lengths skipped.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libvdeplug.h>

#include "unit.h"

#define MAXFRAMES 64

struct sink {
	size_t nframes;
	size_t len[MAXFRAMES];
	unsigned char *data[MAXFRAMES];
	int errors;
	int last_error_type;
};

static ssize_t sink_recv(void *opaque, void *buf, size_t len)
{
	struct sink *s = opaque;

	if (s->nframes < MAXFRAMES) {
		s->data[s->nframes] = malloc(len);
		memcpy(s->data[s->nframes], buf, len);
		s->len[s->nframes] = len;
	}
	s->nframes++;
	return (ssize_t)len;
}

static void sink_err(void *opaque, int type, char *format, ...)
{
	struct sink *s = opaque;

	s->errors++;
	s->last_error_type = type;
}

static void sink_reset(struct sink *s)
{
	for (size_t i = 0; i < s->nframes && i < MAXFRAMES; i++)
		free(s->data[i]);
	memset(s, 0, sizeof(*s));
}

/* Append a record with the given announced length and len bytes of pattern seed. */
static size_t put_record(unsigned char *out, size_t announced, size_t len, unsigned seed)
{
	out[0] = (unsigned char)(announced >> 8);
	out[1] = (unsigned char)announced;
	for (size_t i = 0; i < len; i++)
		out[2 + i] = (unsigned char)(seed + i * 7);
	return 2 + len;
}

static int frame_ok(struct sink *s, size_t i, size_t len, unsigned seed)
{
	if (i >= s->nframes || s->len[i] != len)
		return 0;
	for (size_t k = 0; k < len; k++)
		if (s->data[i][k] != (unsigned char)(seed + k * 7))
			return 0;
	return 1;
}

/* A stream of: 60-byte frame, zero-length record, 1-byte frame, max-size frame, 1514-byte frame. */
static size_t build_stream(unsigned char *buf)
{
	size_t n = 0;

	n += put_record(buf + n, 60, 60, 1);
	n += put_record(buf + n, 0, 0, 0);
	n += put_record(buf + n, 1, 1, 2);
	n += put_record(buf + n, VDE_ETHBUFSIZE, VDE_ETHBUFSIZE, 3);
	n += put_record(buf + n, 1514, 1514, 4);
	return n;
}

static void check_stream_frames(struct sink *s, const char *how, size_t split)
{
	int ok = s->nframes == 4 && frame_ok(s, 0, 60, 1) && frame_ok(s, 1, 1, 2) &&
		 frame_ok(s, 2, VDE_ETHBUFSIZE, 3) && frame_ok(s, 3, 1514, 4) && s->errors == 0;

	unit_checks++;
	if (!ok && unit_failures++ < 20)
		fprintf(stderr, "%s split %zu: %zu frames, %d errors\n", how, split, s->nframes, s->errors);
}

static void test_splits(void)
{
	static unsigned char buf[4 * 2 + 60 + 1 + VDE_ETHBUFSIZE + 1514 + 2];
	struct sink s = { 0 };
	size_t n = build_stream(buf);
	VDESTREAM *vs;

	CHECK(n == sizeof(buf));
	/* one read with everything */
	vs = vdestream_open(&s, -1, sink_recv, sink_err);
	vdestream_recv(vs, buf, n);
	check_stream_frames(&s, "whole", 0);
	vdestream_close(vs);
	sink_reset(&s);

	/* two reads, split at every byte boundary: inside headers, inside frames, between them */
	for (size_t k = 0; k <= n; k++) {
		vs = vdestream_open(&s, -1, sink_recv, sink_err);
		vdestream_recv(vs, buf, k);
		vdestream_recv(vs, buf + k, n - k);
		check_stream_frames(&s, "two reads", k);
		vdestream_close(vs);
		sink_reset(&s);
	}

	/* three reads around the header of the big frame: k..k+2 cover each header byte alone */
	for (size_t k = 60; k < 90; k++) {
		vs = vdestream_open(&s, -1, sink_recv, sink_err);
		vdestream_recv(vs, buf, k);
		vdestream_recv(vs, buf + k, 1);
		vdestream_recv(vs, buf + k + 1, n - k - 1);
		check_stream_frames(&s, "three reads", k);
		vdestream_close(vs);
		sink_reset(&s);
	}

	/* one byte per read */
	vs = vdestream_open(&s, -1, sink_recv, sink_err);
	for (size_t k = 0; k < n; k++)
		vdestream_recv(vs, buf + k, 1);
	check_stream_frames(&s, "bytewise", 1);
	vdestream_close(vs);
	sink_reset(&s);

	/* an empty read changes nothing */
	vs = vdestream_open(&s, -1, sink_recv, sink_err);
	vdestream_recv(vs, buf, 1);
	vdestream_recv(vs, buf + 1, 0);
	vdestream_recv(vs, buf + 1, n - 1);
	check_stream_frames(&s, "empty read", 1);
	vdestream_close(vs);
	sink_reset(&s);
}

static void test_oversized(void)
{
	static unsigned char buf[2 + 20000 + 2 + 60 + 2 + VDE_ETHBUFSIZE + 1 + 2 + 14];
	struct sink s = { 0 };
	size_t n = 0;
	VDESTREAM *vs;

	/* an oversized record is reported and skipped whole; the stream stays aligned */
	n += put_record(buf + n, 20000, 20000, 9);
	n += put_record(buf + n, 60, 60, 1);
	n += put_record(buf + n, VDE_ETHBUFSIZE + 1, VDE_ETHBUFSIZE + 1, 5);
	n += put_record(buf + n, 14, 14, 6);
	CHECK(n == sizeof(buf));
	for (size_t chunk = 1; chunk <= n; chunk = chunk * 3 + 1) {
		vs = vdestream_open(&s, -1, sink_recv, sink_err);
		for (size_t k = 0; k < n; k += chunk)
			vdestream_recv(vs, buf + k, k + chunk <= n ? chunk : n - k);
		unit_checks++;
		if (!(s.nframes == 2 && frame_ok(&s, 0, 60, 1) && frame_ok(&s, 1, 14, 6) && s.errors == 2 &&
		      s.last_error_type == PACKET_LENGTH_ERROR)) {
			unit_failures++;
			fprintf(stderr, "oversized chunk %zu: %zu frames %d errors\n", chunk, s.nframes, s.errors);
		}
		vdestream_close(vs);
		sink_reset(&s);
	}
	/* the largest length on the wire, then a good frame: still aligned */
	put_record(buf, 0xffff, 0, 0);
	vs = vdestream_open(&s, -1, sink_recv, NULL);
	vdestream_recv(vs, buf, 2);
	{
		static unsigned char junk[0xffff];

		vdestream_recv(vs, junk, sizeof(junk));
	}
	n = put_record(buf, 30, 30, 8);
	vdestream_recv(vs, buf, n);
	CHECK(s.nframes == 1 && frame_ok(&s, 0, 30, 8));
	vdestream_close(vs);
	sink_reset(&s);
}

static void test_send(void)
{
	unsigned char frame[VDE_ETHBUFSIZE + 1], out[2 * (VDE_ETHBUFSIZE + 2)];
	struct sink s = { 0 };
	VDESTREAM *tx, *rx;
	int p[2];
	ssize_t n;
	size_t got = 0;

	for (size_t i = 0; i < sizeof(frame); i++)
		frame[i] = (unsigned char)(3 + i * 7);
	if (pipe(p) < 0) {
		perror("pipe");
		exit(1);
	}
	tx = vdestream_open(NULL, p[1], sink_recv, NULL);
	CHECK(vdestream_send(tx, frame, 60) == 60);
	CHECK(vdestream_send(tx, frame, 0) == 0);
	CHECK(vdestream_send(tx, frame, VDE_ETHBUFSIZE) == VDE_ETHBUFSIZE);
	errno = 0;
	CHECK(vdestream_send(tx, frame, VDE_ETHBUFSIZE + 1) == -1 && errno == EMSGSIZE);
	close(p[1]);
	while ((n = read(p[0], out + got, sizeof(out) - got)) > 0)
		got += (size_t)n;
	close(p[0]);
	/* the header is big-endian, then the frame; nothing for the empty and the oversized sends */
	CHECK(got == 2 + 60 + 2 + VDE_ETHBUFSIZE);
	CHECK(out[0] == 0 && out[1] == 60);
	CHECK(out[62] == (VDE_ETHBUFSIZE >> 8) && out[63] == (VDE_ETHBUFSIZE & 0xff));
	rx = vdestream_open(&s, -1, sink_recv, sink_err);
	vdestream_recv(rx, out, got);
	CHECK(s.nframes == 2 && frame_ok(&s, 0, 60, 3) && frame_ok(&s, 1, VDE_ETHBUFSIZE, 3));
	vdestream_close(rx);
	vdestream_close(tx);
	sink_reset(&s);

	/* a closed pipe: -1 (EPIPE), not a crash */
	if (pipe(p) < 0) {
		perror("pipe");
		exit(1);
	}
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	tx = vdestream_open(NULL, p[1], sink_recv, NULL);
	errno = 0;
	CHECK(vdestream_send(tx, frame, 60) == -1 && errno == EPIPE);
	vdestream_close(tx);
	close(p[1]);
	CHECK(vdestream_open(NULL, 1, NULL, NULL) == NULL);
}

int main(void)
{
	test_splits();
	test_oversized();
	test_send();
	return unit_report("test-vdestream");
}
