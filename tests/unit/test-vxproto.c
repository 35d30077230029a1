/*
 * Unit test of common/vxproto.c, the one vxvde wire codec (vded's uplink and the vxvde:// module):
 * the header bytes vdeplug4 sends, the whole-header comparison, goodbye and frame bounds, vded's
 * group syntax, sender normalisation, and the recognition of our own datagrams (source port ours
 * and source address this host's), with the addresses this host really has.
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <stdint.h>
#include <string.h>

#include "vxproto.h"
#include "unit.h"

static void test_header(void)
{
	static const uint8_t vdeplug4_vni1[8] = { 0x08, 0, 0, 0, 0, 0, 1, 0 };
	uint8_t h[VXPROTO_HDRLEN];
	uint32_t vni = 0;

	vxproto_header(1, h);
	CHECK(memcmp(h, vdeplug4_vni1, 8) == 0);
	vxproto_header(0x123456, h);
	CHECK(h[0] == 0x08 && h[4] == 0x12 && h[5] == 0x34 && h[6] == 0x56 && h[7] == 0);
	CHECK(vxproto_header_vni(h, &vni) == 0 && vni == 0x123456);
	vxproto_header(0xff000001u, h);		/* only 24 bits travel */
	CHECK(vxproto_header_vni(h, &vni) == 0 && vni == 1);
	h[7] = 1;
	CHECK(vxproto_header_vni(h, &vni) < 0);
	h[7] = 0, h[0] = 0x0c;
	CHECK(vxproto_header_vni(h, &vni) < 0);
	h[0] = 0x08, h[2] = 1;
	CHECK(vxproto_header_vni(h, &vni) < 0);
}

static void test_classify(void)
{
	uint8_t ours[VXPROTO_HDRLEN], d[VXPROTO_HDRLEN + VXPROTO_FRAME_MAX + 1];

	vxproto_header(7, ours);
	memset(d, 0, sizeof(d));
	memcpy(d, ours, VXPROTO_HDRLEN);
	CHECK(vxproto_classify(ours, d, 0) == VXPROTO_IGNORE);
	CHECK(vxproto_classify(ours, d, 7) == VXPROTO_IGNORE);
	CHECK(vxproto_classify(ours, d, 8) == VXPROTO_BYE);
	CHECK(vxproto_classify(ours, d, 8 + 13) == VXPROTO_IGNORE);		/* a runt */
	CHECK(vxproto_classify(ours, d, 8 + 14) == VXPROTO_FRAME);
	CHECK(vxproto_classify(ours, d, 8 + VXPROTO_FRAME_MAX) == VXPROTO_FRAME);
	CHECK(vxproto_classify(ours, d, 8 + VXPROTO_FRAME_MAX + 1) == VXPROTO_IGNORE);
	/* another VNI, a flag, a reserved byte: not ours, goodbye included */
	d[6] = 8;
	CHECK(vxproto_classify(ours, d, 8) == VXPROTO_IGNORE);
	CHECK(vxproto_classify(ours, d, 60) == VXPROTO_IGNORE);
	d[6] = 7, d[7] = 0x80;
	CHECK(vxproto_classify(ours, d, 60) == VXPROTO_IGNORE);
	d[7] = 0, d[0] = 0x09;
	CHECK(vxproto_classify(ours, d, 60) == VXPROTO_IGNORE);
}

static in_port_t port_of(const union vxproto_addr *a)
{
	return ntohs(a->sa.sa_family == AF_INET6 ? a->in6.sin6_port : a->in.sin_port);
}

static void test_parse_group(void)
{
	union vxproto_addr a;
	char s[INET6_ADDRSTRLEN];

	CHECK(vxproto_parse_group("239.0.0.1", VXPROTO_PORT, &a) == 0);
	CHECK(a.sa.sa_family == AF_INET && port_of(&a) == VXPROTO_PORT && vxproto_addr_len(&a) == sizeof(a.in));
	CHECK_STR(inet_ntop(AF_INET, &a.in.sin_addr, s, sizeof(s)), "239.0.0.1");
	CHECK(vxproto_parse_group("239.1.2.3:5000", VXPROTO_PORT, &a) == 0 && port_of(&a) == 5000);
	CHECK(vxproto_parse_group("ff05:56de::1", VXPROTO_PORT, &a) == 0);
	CHECK(a.sa.sa_family == AF_INET6 && port_of(&a) == VXPROTO_PORT && vxproto_addr_len(&a) == sizeof(a.in6));
	CHECK(vxproto_parse_group("[ff02::5]:4000", VXPROTO_PORT, &a) == 0 && port_of(&a) == 4000);
	CHECK(vxproto_parse_group("[ff02::5]", VXPROTO_PORT, &a) == 0 && port_of(&a) == VXPROTO_PORT);
	/* not multicast, not numeric, bad ports, junk */
	CHECK(vxproto_parse_group("10.0.0.1", VXPROTO_PORT, &a) < 0 && a.sa.sa_family == 0);
	CHECK(vxproto_parse_group("2001:db8::1", VXPROTO_PORT, &a) < 0);
	CHECK(vxproto_parse_group("localhost", VXPROTO_PORT, &a) < 0);
	CHECK(vxproto_parse_group("239.0.0.1:0", VXPROTO_PORT, &a) < 0);
	CHECK(vxproto_parse_group("239.0.0.1:65536", VXPROTO_PORT, &a) < 0);
	CHECK(vxproto_parse_group("239.0.0.1:-1", VXPROTO_PORT, &a) < 0);
	CHECK(vxproto_parse_group("239.0.0.1: 1", VXPROTO_PORT, &a) < 0);
	CHECK(vxproto_parse_group("239.0.0.1:", VXPROTO_PORT, &a) < 0);
	CHECK(vxproto_parse_group("[ff02::5]x", VXPROTO_PORT, &a) < 0);
	CHECK(vxproto_parse_group("[ff02::5", VXPROTO_PORT, &a) < 0);
	CHECK(vxproto_parse_group("", VXPROTO_PORT, &a) < 0);
	CHECK(vxproto_parse_group("239.0.0.1", 0, &a) < 0);
	CHECK(vxproto_parse_group("239.0.0.1.239.0.0.1.239.0.0.1.239.0.0.1.239.0.0.1.239.0.0.1.239.0.0.1.1",
				  VXPROTO_PORT, &a) < 0);
}

static void test_norm(void)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	union vxproto_addr a, b;

	memset(&ss, 0xa5, sizeof(ss));		/* junk in every field the kernel does not set */
	s4->sin_family = AF_INET;
	s4->sin_port = htons(14789);
	s4->sin_addr.s_addr = htonl(0x0a000001);
	CHECK(vxproto_addr_norm(&a, &ss, sizeof(*s4)) == 0);
	memset(&b, 0, sizeof(b));
	b.in.sin_family = AF_INET;
	b.in.sin_port = htons(14789);
	b.in.sin_addr.s_addr = htonl(0x0a000001);
	CHECK(memcmp(&a, &b, sizeof(a)) == 0);
	CHECK(vxproto_addr_norm(&a, &ss, sizeof(*s4) - 1) < 0 && a.sa.sa_family == 0);
	CHECK(vxproto_addr_norm(&a, &ss, 1) < 0);

	memset(&ss, 0xa5, sizeof(ss));
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(1);
	s6->sin6_scope_id = 3;
	inet_pton(AF_INET6, "fe80::1", &s6->sin6_addr);
	CHECK(vxproto_addr_norm(&a, &ss, sizeof(*s6)) == 0);
	CHECK(a.in6.sin6_flowinfo == 0 && a.in6.sin6_scope_id == 3 && ntohs(a.in6.sin6_port) == 1);
	CHECK(vxproto_addr_norm(&a, &ss, sizeof(*s6) - 1) < 0);

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNIX;
	CHECK(vxproto_addr_norm(&a, &ss, sizeof(ss)) < 0);
	CHECK(vxproto_addr_len(&a) == 0);
}

static union vxproto_addr v4(const char *ip, unsigned port)
{
	union vxproto_addr a;

	memset(&a, 0, sizeof(a));
	a.in.sin_family = AF_INET;
	a.in.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, ip, &a.in.sin_addr);
	return a;
}

static union vxproto_addr v6(const char *ip, unsigned port)
{
	union vxproto_addr a;

	memset(&a, 0, sizeof(a));
	a.in6.sin6_family = AF_INET6;
	a.in6.sin6_port = htons((uint16_t)port);
	inet_pton(AF_INET6, ip, &a.in6.sin6_addr);
	return a;
}

/* A non-loopback address this host has, of family fam, or 0 if none. */
static int host_address(int fam, union vxproto_addr *out)
{
	struct ifaddrs *ifa, *i;
	int found = 0;

	if (getifaddrs(&ifa) < 0)
		return 0;
	for (i = ifa; i && !found; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != fam)
			continue;
		vxproto_addr_norm(out, i->ifa_addr, fam == AF_INET ? sizeof(out->in) : sizeof(out->in6));
		found = fam == AF_INET ? (ntohl(out->in.sin_addr.s_addr) >> 24) != 127
				       : !IN6_IS_ADDR_LOOPBACK(&out->in6.sin6_addr);
	}
	freeifaddrs(ifa);
	return found;
}

static void test_own(void)
{
	struct vxproto_self s;
	union vxproto_addr name = v4("0.0.0.0", 40000), a, local;
	time_t t = 1000;

	vxproto_self_init(&s, &name);
	CHECK(s.addr.sa.sa_family == 0);	/* bound to the wildcard: no address known yet */
	/* another port is never ours, whatever the address */
	a = v4("127.0.0.1", 40001);
	CHECK(!vxproto_is_own(&s, &a, t));
	/* loopback and unspecified sources can only be this host */
	a = v4("127.0.0.1", 40000);
	CHECK(vxproto_is_own(&s, &a, t));
	a = v4("127.3.4.5", 40000);
	CHECK(vxproto_is_own(&s, &a, t));
	a = v4("0.0.0.0", 40000);
	CHECK(vxproto_is_own(&s, &a, t));
	/* TEST-NET-1 is nobody's address here: a remote peer that uses our port number */
	a = v4("192.0.2.1", 40000);
	CHECK(!vxproto_is_own(&s, &a, t));
	CHECK(!vxproto_is_own(&s, &a, t));	/* the cached answer */
	CHECK(!vxproto_is_own(&s, &a, t + VXPROTO_RECHECK));
	/* another family is not ours */
	a = v6("::1", 40000);
	CHECK(!vxproto_is_own(&s, &a, t));
	/* an address this host has, with our port: ours */
	if (host_address(AF_INET, &local)) {
		local.in.sin_port = htons(40000);
		CHECK(vxproto_is_own(&s, &local, t));
		CHECK(vxproto_is_own(&s, &local, t));
		local.in.sin_port = htons(40002);
		CHECK(!vxproto_is_own(&s, &local, t));
	}

	/* a unicast socket bound to one address sends from it, listed or not */
	name = v4("192.0.2.7", 40000);
	vxproto_self_init(&s, &name);
	a = v4("192.0.2.7", 40000);
	CHECK(vxproto_is_own(&s, &a, t));
	a = v4("192.0.2.8", 40000);
	CHECK(!vxproto_is_own(&s, &a, t));

	/* the probe learns the source the kernel picks (to loopback here: nothing is sent) */
	name = v4("0.0.0.0", 40000);
	vxproto_self_init(&s, &name);
	a = v4("127.0.0.1", 9);
	CHECK(vxproto_self_probe(&s, &a, 0, NULL) == 0);
	CHECK(s.addr.sa.sa_family == AF_INET && s.addr.in.sin_addr.s_addr == htonl(INADDR_LOOPBACK));

	/* IPv6 */
	name = v6("::", 40000);
	vxproto_self_init(&s, &name);
	a = v6("::1", 40000);
	CHECK(vxproto_is_own(&s, &a, t));
	a = v6("::", 40000);
	CHECK(vxproto_is_own(&s, &a, t));
	a = v6("2001:db8::1", 40000);
	CHECK(!vxproto_is_own(&s, &a, t));
	if (host_address(AF_INET6, &local)) {
		local.in6.sin6_port = htons(40000);
		CHECK(vxproto_is_own(&s, &local, t));
	}
}

static void test_parse_peer(void)
{
	union vxproto_addr a;

	CHECK(vxproto_parse_peer("10.250.0.1", 14790, &a) == 0);
	CHECK(a.sa.sa_family == AF_INET && ntohs(a.in.sin_port) == 14790 &&
	      a.in.sin_addr.s_addr == htonl(0x0afa0001));
	CHECK(vxproto_parse_peer("192.0.2.7:5000", 14790, &a) == 0 && ntohs(a.in.sin_port) == 5000);
	CHECK(vxproto_parse_peer("[2001:db8::1]:6000", 14790, &a) == 0);
	CHECK(a.sa.sa_family == AF_INET6 && ntohs(a.in6.sin6_port) == 6000);
	CHECK(vxproto_parse_peer("2001:db8::1", 14790, &a) == 0 && ntohs(a.in6.sin6_port) == 14790);
	/* a group, the unspecified and broadcast addresses, port 0, names and junk are refused */
	CHECK(vxproto_parse_peer("239.5.5.5", 14790, &a) < 0 && a.sa.sa_family == 0);
	CHECK(vxproto_parse_peer("ff05::1", 14790, &a) < 0);
	CHECK(vxproto_parse_peer("0.0.0.0", 14790, &a) < 0);
	CHECK(vxproto_parse_peer("255.255.255.255", 14790, &a) < 0);
	CHECK(vxproto_parse_peer("::", 14790, &a) < 0);
	CHECK(vxproto_parse_peer("10.0.0.1:0", 14790, &a) < 0);
	CHECK(vxproto_parse_peer("10.0.0.1:65536", 14790, &a) < 0);
	CHECK(vxproto_parse_peer("10.0.0.1:x", 14790, &a) < 0);
	CHECK(vxproto_parse_peer("example.org", 14790, &a) < 0);
	CHECK(vxproto_parse_peer("[10.0.0.1", 14790, &a) < 0);
	/* and the group parser still refuses unicast */
	CHECK(vxproto_parse_group("10.0.0.1", 14789, &a) < 0);
	CHECK(vxproto_parse_group("239.5.5.5", 14789, &a) == 0 && ntohs(a.in.sin_port) == 14789);
}

static void test_announce(void)
{
	/* the bytes of an announcement of 10.250.0.1:14790 and 10.250.0.2:40000 on VNI 0x010203 */
	static const uint8_t two[8 + 2 * 18] = {
		'V', 'X', 'P', 1, 0x01, 0x02, 0x03, 2,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 250, 0, 1, 0x39, 0xc6,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 250, 0, 2, 0x9c, 0x40,
	};
	union vxproto_addr p[2], out[VXPROTO_ANN_MAX + 1];
	uint8_t buf[VXPROTO_ANN_SIZE + 32], bad[sizeof(two)];
	uint8_t ours[VXPROTO_HDRLEN];
	int n;

	CHECK(vxproto_parse_peer("10.250.0.1:14790", 1, &p[0]) == 0);
	CHECK(vxproto_parse_peer("10.250.0.2:40000", 1, &p[1]) == 0);
	n = vxproto_announce_build(0x010203, p, 2, buf);
	CHECK(n == (int)sizeof(two) && memcmp(buf, two, sizeof(two)) == 0);
	CHECK(vxproto_is_announce(two, sizeof(two)));
	/* vxvde's receivers (ours and vdeplug4's compare the whole header) take it for nothing */
	vxproto_header(0x010203, ours);
	CHECK(vxproto_classify(ours, two, sizeof(two)) == VXPROTO_IGNORE);
	CHECK(vxproto_announce_parse(two, sizeof(two), 0x010203, AF_INET, out) == 2);
	CHECK(memcmp(&out[0], &p[0], sizeof(p[0])) == 0 && memcmp(&out[1], &p[1], sizeof(p[1])) == 0);
	/* an IPv6 network skips the IPv4 entries */
	CHECK(vxproto_announce_parse(two, sizeof(two), 0x010203, AF_INET6, out) == 0);
	/* refused whole: another VNI, a length that is not the count's, a bad magic, port 0, too many */
	CHECK(vxproto_announce_parse(two, sizeof(two), 7, AF_INET, out) < 0);
	CHECK(vxproto_announce_parse(two, sizeof(two) - 1, 0x010203, AF_INET, out) < 0);
	memcpy(buf, two, sizeof(two));
	CHECK(vxproto_announce_parse(buf, sizeof(two) + 1, 0x010203, AF_INET, out) < 0);
	memcpy(bad, two, sizeof(two));
	bad[3] = 2;
	CHECK(!vxproto_is_announce(bad, sizeof(bad)) && vxproto_announce_parse(bad, sizeof(bad), 0x010203, AF_INET, out) < 0);
	memcpy(bad, two, sizeof(two));
	bad[8 + 18 + 16] = bad[8 + 18 + 17] = 0;
	CHECK(vxproto_announce_parse(bad, sizeof(bad), 0x010203, AF_INET, out) < 0);
	memset(buf, 0, sizeof(buf));
	memcpy(buf, two, 8);
	buf[7] = VXPROTO_ANN_MAX + 1;
	CHECK(vxproto_announce_parse(buf, 8 + (VXPROTO_ANN_MAX + 1) * 18, 0x010203, AF_INET, out) < 0);
	CHECK(vxproto_announce_build(1, out, VXPROTO_ANN_MAX + 1, buf) < 0);
	/* the largest fits VXPROTO_ANN_SIZE */
	for (int i = 0; i < VXPROTO_ANN_MAX; i++)
		out[i] = p[i % 2];
	CHECK(vxproto_announce_build(1, out, VXPROTO_ANN_MAX, buf) == VXPROTO_ANN_SIZE);
	CHECK(vxproto_announce_parse(buf, VXPROTO_ANN_SIZE, 1, AF_INET, out) == VXPROTO_ANN_MAX);
	CHECK(vxproto_announce_build(1, NULL, 0, buf) == 8 && vxproto_announce_parse(buf, 8, 1, AF_INET, out) == 0);
}

int main(void)
{
	test_parse_peer();
	test_announce();
	test_header();
	test_classify();
	test_parse_group();
	test_norm();
	test_own();
	return unit_report("test-vxproto");
}
