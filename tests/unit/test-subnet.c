/*
 * Unit test of common/subnet.c, the one slirp subnet parser (vded's `subnet`, the slirp:// module's
 * `addr=`): syntax, the 1..27 prefix range that libslirp's layout can serve, masks.
 */
#include <arpa/inet.h>
#include <string.h>

#include "subnet.h"
#include "unit.h"

static int parses(const char *text, unsigned dflt, const char *want_addr, unsigned want_prefix)
{
	struct in_addr a, w;
	unsigned p = 99;

	if (subnet_parse(text, dflt, &a, &p) < 0 || inet_pton(AF_INET, want_addr, &w) != 1)
		return 0;
	return a.s_addr == w.s_addr && p == want_prefix;
}

static int refused(const char *text, unsigned dflt)
{
	struct in_addr a = { 0x12345678 };
	unsigned p = 99;

	return subnet_parse(text, dflt, &a, &p) < 0 && a.s_addr == 0x12345678 && p == 99;
}

int main(void)
{
	CHECK(parses("10.0.2.0/24", 0, "10.0.2.0", 24));
	CHECK(parses("10.0.2.2/24", 0, "10.0.2.2", 24));	/* host bits are the caller's business */
	CHECK(parses("10.0.2.2", 24, "10.0.2.2", 24));
	CHECK(parses("10.0.2.2/16", 24, "10.0.2.2", 16));
	CHECK(parses("0.0.0.0/1", 0, "0.0.0.0", 1));
	CHECK(parses("192.168.7.32/27", 0, "192.168.7.32", 27));
	CHECK(parses("10.0.0.0/08", 0, "10.0.0.0", 8));
	/* out of range: the DHCP pool .15..30 does not fit /28, /0 leaves no gateway */
	CHECK(refused("10.0.2.0/28", 0));
	CHECK(refused("10.0.2.0/30", 0));
	CHECK(refused("10.0.2.0/32", 0));
	CHECK(refused("0.0.0.0/0", 0));
	CHECK(refused("10.0.2.2", 28));
	/* syntax */
	CHECK(refused("10.0.2.0", 0));			/* the prefix is required here */
	CHECK(refused("10.0.2.0/", 0));
	CHECK(refused("10.0.2.0/ 24", 0));
	CHECK(refused("10.0.2.0/+24", 0));
	CHECK(refused("10.0.2.0/-1", 0));
	CHECK(refused("10.0.2.0/024", 0));
	CHECK(refused("10.0.2.0/24x", 0));
	CHECK(refused("10.0.2/24", 0));
	CHECK(refused("10.0.2.256/24", 0));
	CHECK(refused("fd00::/64", 0));
	CHECK(refused("", 24));
	CHECK(refused("/24", 0));
	CHECK(refused("10.0.2.0/24/24", 0));
	CHECK(refused("1111111111111111111/24", 0));
	/* masks */
	CHECK(subnet_mask(0).s_addr == 0);
	CHECK(subnet_mask(1).s_addr == htonl(0x80000000u));
	CHECK(subnet_mask(24).s_addr == htonl(0xffffff00u));
	CHECK(subnet_mask(27).s_addr == htonl(0xffffffe0u));
	CHECK(subnet_mask(32).s_addr == 0xffffffffu);
	/* the layout fits the largest prefix: .15 + 16 leases end at .30, below the broadcast .31 */
	CHECK(SUBNET_DHCP_FIRST + SUBNET_DHCP_LEASES - 1 < (1u << (32 - SUBNET_PREFIX_MAX)) - 1);
	CHECK(SUBNET_DHCP_FIRST + SUBNET_DHCP_LEASES - 1 >= (1u << (32 - SUBNET_PREFIX_MAX - 1)) - 1);
	return unit_report("test-subnet");
}
