/*
 * Unit test of vdectl/pcap.c: records in, file bytes out. Classic pcap: the nanosecond magic, link
 * type Ethernet, each packet's time, kept and original length; pcapng: a section header, one interface
 * block per port the first time it appears ("port N", ns resolution), enhanced packet blocks padded
 * to 4 bytes with their direction, the comment on segmented frames, and block lengths that agree.
 */
#include <stdint.h>
#include <string.h>

#include "../../vdectl/pcap.h"
#include "unit.h"

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static const uint8_t frame[15] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0, 1, 2, 3, 0x08, 0x06, 0xaa };

static void test_pcap(void)
{
	static struct pcap_writer w;
	uint8_t buf[1024];
	struct caprec r = { .type = CAPREC_FRAME, .port = 3, .orig_len = 60, .ts_ns = 5000000123ull,
			    .data = frame, .caplen = sizeof(frame) };
	size_t n = pcap_begin(&w, false, 262144, buf);

	CHECK(n == 24);
	CHECK(rd32(buf) == 0xa1b23c4d && rd16(buf + 4) == 2 && rd16(buf + 6) == 4);
	CHECK(rd32(buf + 16) == 262144 && rd32(buf + 20) == 1);
	n = pcap_packet(&w, &r, buf, sizeof(buf));
	CHECK(n == 16 + sizeof(frame));
	CHECK(rd32(buf) == 5 && rd32(buf + 4) == 123 && rd32(buf + 8) == sizeof(frame) && rd32(buf + 12) == 60);
	CHECK(memcmp(buf + 16, frame, sizeof(frame)) == 0);
	/* no room, or not a frame: nothing */
	CHECK(pcap_packet(&w, &r, buf, sizeof(frame) + 10) == 0);
	r.type = CAPREC_END;
	CHECK(pcap_packet(&w, &r, buf, sizeof(buf)) == 0);
}

static void test_pcapng(void)
{
	static struct pcap_writer w;
	uint8_t buf[1024];
	struct caprec r = { .type = CAPREC_FRAME, .dir = CAPREC_DIR_IN, .port = 12, .orig_len = 15,
			    .ts_ns = 0x100000002ull, .data = frame, .caplen = sizeof(frame) };
	size_t n = pcap_begin(&w, true, 1500, buf), off, blk;

	CHECK(n == 28 && rd32(buf) == 0x0a0d0d0a && rd32(buf + 4) == 28 && rd32(buf + 8) == 0x1a2b3c4d);
	CHECK(rd32(buf + 24) == 28);

	n = pcap_packet(&w, &r, buf, sizeof(buf));
	/* an interface block for port 12 comes first */
	CHECK(rd32(buf) == 1);
	blk = rd32(buf + 4);
	CHECK(blk % 4 == 0 && rd32(buf + blk - 4) == blk);
	CHECK(rd16(buf + 8) == 1 && rd32(buf + 12) == 1500);
	CHECK(rd16(buf + 16) == 2 && rd16(buf + 18) == 7 && memcmp(buf + 20, "port 12", 7) == 0);
	CHECK(rd16(buf + 28) == 9 && rd16(buf + 30) == 1 && buf[32] == 9);
	/* then the packet: interface 0, the time in two halves, 15 bytes padded to 16, inbound */
	off = blk;
	blk = rd32(buf + off + 4);
	CHECK(rd32(buf + off) == 6 && off + blk == n && rd32(buf + n - 4) == blk && blk % 4 == 0);
	CHECK(rd32(buf + off + 8) == 0 && rd32(buf + off + 12) == 1 && rd32(buf + off + 16) == 2);
	CHECK(rd32(buf + off + 20) == 15 && rd32(buf + off + 24) == 15);
	CHECK(memcmp(buf + off + 28, frame, 15) == 0 && buf[off + 43] == 0);
	CHECK(rd16(buf + off + 44) == 2 && rd16(buf + off + 46) == 4 && rd32(buf + off + 48) == 1);
	CHECK(rd32(buf + off + 52) == 0);	/* end of options */

	/* the same port again: no second interface block; outbound and segmented: a comment */
	r.dir = CAPREC_DIR_OUT;
	r.flags = CAPREC_F_SEGMENTED;
	n = pcap_packet(&w, &r, buf, sizeof(buf));
	CHECK(rd32(buf) == 6 && rd32(buf + 4) == n && rd32(buf + n - 4) == n);
	CHECK(rd32(buf + 48) == 2 && rd16(buf + 52) == 1 && memmem(buf, n, "segmented", 9) != NULL);

	/* another port: interface 1 */
	r.port = 4;
	r.flags = 0;
	n = pcap_packet(&w, &r, buf, sizeof(buf));
	CHECK(rd32(buf) == 1);
	off = rd32(buf + 4);
	CHECK(rd32(buf + off) == 6 && rd32(buf + off + 8) == 1 && w.nifaces == 2);
}

int main(void)
{
	test_pcap();
	test_pcapng();
	return unit_report("test-pcap");
}
