/*
 * vnl — the few link operations vded needs, over libnl-3 (no shelling out to ip): link state, MTU,
 * MAC address and IP addresses of an interface, in vded's own network namespace or in another one.
 */
#ifndef VDED_VNL_H
#define VDED_VNL_H

#include <stdbool.h>
#include <stdint.h>

struct nl_sock;

/* A route netlink socket in the namespace of netns_fd (-1: vded's own). Returns NULL with errno. */
struct nl_sock *vnl_open(int netns_fd);
void vnl_close(struct nl_sock *sk);

/* Set what is given on ifname: mtu (0: leave), mac (NULL: leave), up. Returns 0 or -errno. */
int vnl_link_set(struct nl_sock *sk, const char *ifname, unsigned mtu, const uint8_t *mac, bool up);
/* Add an address in CIDR notation (IPv4 or IPv6) to ifname. -EINVAL for a bad CIDR, -EEXIST. */
int vnl_addr_add(struct nl_sock *sk, const char *ifname, const char *cidr);
/* Remove every address (IPv4 and IPv6) of interface ifindex. Returns 0 or -errno. */
int vnl_addr_flush(struct nl_sock *sk, int ifindex);
/* Delete the link ifname (the caller checked what it is). Returns 0 or -errno. */
int vnl_link_delete(struct nl_sock *sk, const char *ifname);
/* What rtnetlink tells anyone (no capability) of the link ifname in the caller's namespace: its index
 * and, for a tun/tap device, its owner and whether it is persistent. sysfs is not asked: it shows the
 * namespace it was mounted in, not the caller's. 0, -ENODEV if there is no such link, or -errno. */
struct vnl_link_info {
	int ifindex;
	bool is_tun, persist, has_owner;
	uint32_t owner;
};
int vnl_link_query(const char *ifname, struct vnl_link_info *info);
/* Make the kernel VXLAN device ifname: VNI vni, to addr (family AF_INET/AF_INET6; a unicast remote or
 * a multicast group) on UDP port dstport, over dev ("": the routing table's choice; a group needs it),
 * MTU mtu (0: the kernel's). 0, -EEXIST or -errno. */
int vnl_vxlan_create(struct nl_sock *sk, const char *ifname, uint32_t vni, int family, const void *addr,
		     unsigned dstport, const char *dev, unsigned mtu);
/* Whether ifname is a link of kind vxlan. */
bool vnl_link_is_vxlan(struct nl_sock *sk, const char *ifname);
/* Whether cidr parses as an address with a prefix length (pure check before anything is made). */
bool vnl_cidr_valid(const char *cidr);
/* An IPv4 or IPv6 address without a prefix length. Pure. */
bool vnl_ip_valid(const char *ip);
/* The default route of gw's family via gw, on ifname. 0 or -errno. */
int vnl_route_default(struct nl_sock *sk, const char *ifname, const char *gw);

/* Run fn(arg) with the calling thread in the namespace of netns_fd, then come back. Returns fn's
 * result, or -errno if the namespace could not be entered or left. */
int vnl_in_netns(int netns_fd, int (*fn)(void *arg), void *arg);

#endif
