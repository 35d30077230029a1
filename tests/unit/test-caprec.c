/*
 * Unit test of common/caprec.c, the capture record codec vded and vdectl share: the header's bytes
 * (little-endian, at the offsets doc/protocol.md gives), a frame and an end record round trip, and
 * what a reader must refuse (short, unknown version, type or direction, a frame longer than it was).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "caprec.h"
#include "unit.h"

static void test_frame(void)
{
	uint8_t msg[CAPREC_HDR_LEN + 4] = { 0 };
	struct caprec r = { .type = CAPREC_FRAME, .dir = CAPREC_DIR_OUT, .flags = CAPREC_F_SEGMENTED,
			    .port = 0x0102, .orig_len = 1514, .ts_ns = 0x1122334455667788ull, .dropped = 7 }, d;
	static const uint8_t want[CAPREC_HDR_LEN] = {
		1, 1, 1, 1, 0x02, 0x01, 0, 0, 0xea, 0x05, 0, 0, 0, 0, 0, 0,
		0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 7, 0, 0, 0, 0, 0, 0, 0,
	};

	caprec_encode_hdr(msg, &r);
	CHECK(memcmp(msg, want, sizeof(want)) == 0);
	memcpy(msg + CAPREC_HDR_LEN, "\xff\xff\xff\xff", 4);
	CHECK(caprec_decode(msg, sizeof(msg), &d) == 0);
	CHECK(d.type == CAPREC_FRAME && d.dir == CAPREC_DIR_OUT && d.flags == CAPREC_F_SEGMENTED);
	CHECK(d.port == 0x0102 && d.orig_len == 1514 && d.ts_ns == 0x1122334455667788ull && d.dropped == 7);
	CHECK(d.caplen == 4 && d.data == msg + CAPREC_HDR_LEN);

	/* a header alone is a frame of which nothing was kept */
	CHECK(caprec_decode(msg, CAPREC_HDR_LEN, &d) == 0 && d.caplen == 0);
	/* refused */
	CHECK(caprec_decode(msg, CAPREC_HDR_LEN - 1, &d) == -EINVAL);
	msg[0] = 2;
	CHECK(caprec_decode(msg, sizeof(msg), &d) == -EPROTO);
	msg[0] = 1, msg[1] = 3;
	CHECK(caprec_decode(msg, sizeof(msg), &d) == -EINVAL);
	msg[1] = 1, msg[2] = 2;
	CHECK(caprec_decode(msg, sizeof(msg), &d) == -EINVAL);
	msg[2] = 0;
	msg[8] = 3, msg[9] = 0;		/* original length 3, 4 bytes kept */
	CHECK(caprec_decode(msg, sizeof(msg), &d) == -EINVAL);
}

static void test_end(void)
{
	uint8_t msg[CAPREC_END_LEN + 1];
	struct caprec r = { .end_reason = CAPREC_END_COUNT, .dropped = 3, .written = 10, .orig_len = 99 }, d;

	caprec_encode_end(msg, &r);
	CHECK(msg[1] == CAPREC_END && msg[12] == CAPREC_END_COUNT && msg[8] == 0);
	CHECK(msg[CAPREC_HDR_LEN] == 10);
	CHECK(caprec_decode(msg, CAPREC_END_LEN, &d) == 0);
	CHECK(d.type == CAPREC_END && d.end_reason == CAPREC_END_COUNT && d.dropped == 3 && d.written == 10);
	CHECK(caprec_decode(msg, CAPREC_END_LEN + 1, &d) == -EINVAL);
	CHECK(caprec_decode(msg, CAPREC_HDR_LEN, &d) == -EINVAL);
	CHECK_STR(caprec_end_reason(CAPREC_END_COUNT), "count reached");
	CHECK_STR(caprec_end_reason(0), "unknown");
}

int main(void)
{
	test_frame();
	test_end();
	return unit_report("test-caprec");
}
