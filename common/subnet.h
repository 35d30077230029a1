/*
 * subnet — the one parser of a slirp IPv4 subnet ("A.B.C.D/N"), for vded's slirp backend
 * (vded/backends/slirp.c: `subnet` 10.0.2.0/24) and the slirp:// module (plugins/slirp.c:
 * `addr=10.0.2.2/24`). Pure.
 *
 * The prefix range is what a libslirp network can serve, not what libslirp checks: libslirp
 * (4.7) validates no address or mask at all in slirp_new(). Both users lay the subnet out the
 * same way, as QEMU does: the host (gateway) at .2, the DNS forwarder at .3, and libslirp's DHCP
 * pool of 16 leases (its NB_BOOTP_CLIENTS) from .15, so .15..30 are handed out and .31 must still
 * be inside and not the broadcast address: the subnet needs at least 32 addresses, a prefix of at
 * most 27. A prefix of 0 would make the whole IPv4 space on-link for the guest, which then never
 * uses the gateway (slirp answers ARP only for its own addresses): at least 1.
 */
#ifndef VDE_COMMON_SUBNET_H
#define VDE_COMMON_SUBNET_H

#include <netinet/in.h>

#define SUBNET_PREFIX_MIN 1
#define SUBNET_PREFIX_MAX 27
#define SUBNET_HOST 2			/* host parts of the layout above */
#define SUBNET_DNS 3
#define SUBNET_DHCP_FIRST 15
#define SUBNET_DHCP_LEASES 16

/* Parse "A.B.C.D/N", or "A.B.C.D" with the prefix default_prefix (0: the prefix is required),
 * into *addr (network order, host bits kept: the caller decides whether they may be set) and
 * *prefix. The prefix is decimal digits only, SUBNET_PREFIX_MIN..SUBNET_PREFIX_MAX. Returns 0 or
 * -EINVAL (*addr and *prefix untouched). */
int subnet_parse(const char *text, unsigned default_prefix, struct in_addr *addr, unsigned *prefix);

/* The netmask of a prefix of 0..32 bits, in network order. */
struct in_addr subnet_mask(unsigned prefix);

#endif
