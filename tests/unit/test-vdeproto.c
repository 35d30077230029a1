/* Unit test of the vde_switch port request parser (doc/vde-wire.md §3). */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "vdeproto.h"
#include "unit.h"

/* Build a v3 request the way vdeplug4 clients lay it out. */
static size_t make_v3(uint8_t *buf, uint32_t type, const char *path, const char *descr)
{
	size_t len = 12 + VDE_SUN_LEN;

	memset(buf, 0, VDE_REQ_MAX);
	buf[0] = 0xce; buf[1] = 0xfa; buf[2] = 0xed; buf[3] = 0xfe;
	buf[4] = 3;
	buf[8] = type & 0xff; buf[9] = (type >> 8) & 0xff; buf[10] = (type >> 16) & 0xff;
	buf[12] = AF_UNIX;
	memcpy(buf + 14, path, strlen(path));
	memcpy(buf + len, descr, strlen(descr));	/* no terminating NUL on the wire */
	return len + strlen(descr);
}

int main(void)
{
	uint8_t buf[VDE_REQ_MAX];
	struct vde_request req;
	size_t len;

	/* the captured example: port 3, path /tmp/sw/.12945-00000 */
	len = make_v3(buf, 3 << 8, "/tmp/sw/.12945-00000", "QEMU user=root pid=1");
	CHECK(vdeproto_parse_request(buf, len, &req) == 0);
	CHECK(req.version == 3);
	CHECK(req.port == 3);
	CHECK_STR(req.path, "/tmp/sw/.12945-00000");
	CHECK_STR(req.descr, "QEMU user=root pid=1");

	/* any port, empty description */
	len = make_v3(buf, 0, "/x/.1-0", "");
	CHECK(vdeproto_parse_request(buf, len, &req) == 0);
	CHECK(req.port == 0);
	CHECK_STR(req.descr, "");

	/* type 1 (management port 0): vded has none, treated as any */
	len = make_v3(buf, 1, "/x/.1-0", "d");
	CHECK(vdeproto_parse_request(buf, len, &req) == 0 && req.port == 0);

	/* control characters in the description are neutralised */
	len = make_v3(buf, 0, "/x/.1-0", "a\nb\tc");
	CHECK(vdeproto_parse_request(buf, len, &req) == 0);
	CHECK_STR(req.descr, "a b c");

	/* a description with a NUL stops there */
	len = make_v3(buf, 0, "/x/.1-0", "abc");
	buf[len - 2] = 0;
	CHECK(vdeproto_parse_request(buf, len, &req) == 0);
	CHECK_STR(req.descr, "a");

	/* wrong magic, wrong version, truncated, empty path, wrong family */
	len = make_v3(buf, 0, "/x", "d");
	buf[0] = 0;
	CHECK(vdeproto_parse_request(buf, len, &req) == -EPROTO);
	len = make_v3(buf, 0, "/x", "d");
	buf[4] = 2;
	CHECK(vdeproto_parse_request(buf, len, &req) == -EPROTO);
	len = make_v3(buf, 0, "/x", "");
	CHECK(vdeproto_parse_request(buf, len - 1, &req) == -EPROTO);
	CHECK(vdeproto_parse_request(buf, 7, &req) == -EPROTO);
	CHECK(vdeproto_parse_request(buf, 0, &req) == -EPROTO);
	len = make_v3(buf, 0, "", "d");
	CHECK(vdeproto_parse_request(buf, len, &req) == -EPROTO);
	len = make_v3(buf, 0, "/x", "d");
	buf[12] = AF_INET;
	CHECK(vdeproto_parse_request(buf, len, &req) == -EPROTO);

	/* a path filling all 108 bytes has no terminator: refused */
	len = make_v3(buf, 0, "/x", "");
	memset(buf + 14, 'a', 108);
	CHECK(vdeproto_parse_request(buf, len, &req) == -EPROTO);

	/* legacy v1: magic, type 0, mac[6], sockaddr_un, description */
	memset(buf, 0, sizeof(buf));
	buf[0] = 0xce; buf[1] = 0xfa; buf[2] = 0xed; buf[3] = 0xfe;
	buf[14] = AF_UNIX;
	memcpy(buf + 16, "/old/.2-0", 9);
	memcpy(buf + 14 + VDE_SUN_LEN, "vde1", 4);
	CHECK(vdeproto_parse_request(buf, 14 + VDE_SUN_LEN + 4, &req) == 0);
	CHECK(req.version == 1 && req.port == 0);
	CHECK_STR(req.path, "/old/.2-0");
	CHECK_STR(req.descr, "vde1");

	/* a maximal request: 256 bytes, the description is cut to fit */
	len = make_v3(buf, 0, "/x", "");
	memset(buf + len, 'd', VDE_REQ_MAX - len);
	CHECK(vdeproto_parse_request(buf, VDE_REQ_MAX, &req) == 0);
	CHECK(strlen(req.descr) == VDE_REQ_MAX - len);

	return unit_report("test-vdeproto");
}
