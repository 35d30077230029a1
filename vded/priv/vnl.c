#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/route.h>
#include <netlink/route/link.h>
#include <netlink/route/link/vxlan.h>

#include "priv/vnl.h"

/* libnl's own error numbers, to errno */
static int vnl_errno(int nlerr)
{
	switch (-nlerr) {
	case NLE_EXIST: return -EEXIST;
	case NLE_NOADDR:
	case NLE_OBJ_NOTFOUND:
	case NLE_NODEV: return -ENODEV;
	case NLE_PERM: return -EPERM;
	case NLE_INVAL:
	case NLE_AF_NOSUPPORT:
	case NLE_RANGE: return -EINVAL;
	case NLE_NOMEM: return -ENOMEM;
	case NLE_BUSY: return -EBUSY;
	default: return -EIO;
	}
}

int vnl_in_netns(int netns_fd, int (*fn)(void *arg), void *arg)
{
	int self, ret;

	if (netns_fd < 0)
		return fn(arg);
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	if (setns(netns_fd, CLONE_NEWNET) < 0) {
		ret = -errno;
		close(self);
		return ret;
	}
	ret = fn(arg);
	if (setns(self, CLONE_NEWNET) < 0) {
		/* vded cannot stay in someone else's namespace */
		perror("vded: cannot return to its network namespace");
		_exit(1);
	}
	close(self);
	return ret;
}

struct vnl_open_ctx {
	struct nl_sock *sk;
	int err;
};

static int vnl_open_here(void *arg)
{
	struct vnl_open_ctx *c = arg;

	c->sk = nl_socket_alloc();
	if (!c->sk)
		return c->err = -ENOMEM;
	c->err = nl_connect(c->sk, NETLINK_ROUTE);
	if (c->err < 0) {
		nl_socket_free(c->sk);
		c->sk = NULL;
		return c->err = vnl_errno(c->err);
	}
	return 0;
}

struct nl_sock *vnl_open(int netns_fd)
{
	struct vnl_open_ctx c = { 0 };
	int ret = vnl_in_netns(netns_fd, vnl_open_here, &c);

	if (ret < 0 || !c.sk) {
		errno = ret < 0 ? -ret : -c.err;
		return NULL;
	}
	return c.sk;
}

void vnl_close(struct nl_sock *sk)
{
	if (sk)
		nl_socket_free(sk);
}

int vnl_link_set(struct nl_sock *sk, const char *ifname, unsigned mtu, const uint8_t *mac, bool up)
{
	struct rtnl_link *link = NULL, *change = NULL;
	struct nl_addr *lladdr = NULL;
	int ret;

	ret = rtnl_link_get_kernel(sk, 0, ifname, &link);
	if (ret < 0)
		return vnl_errno(ret);
	change = rtnl_link_alloc();
	if (!change) {
		ret = -ENOMEM;
		goto out;
	}
	if (mtu)
		rtnl_link_set_mtu(change, mtu);
	if (mac) {
		lladdr = nl_addr_build(AF_LLC, mac, 6);
		if (!lladdr) {
			ret = -ENOMEM;
			goto out;
		}
		rtnl_link_set_addr(change, lladdr);
	}
	if (up)
		rtnl_link_set_flags(change, IFF_UP);
	ret = rtnl_link_change(sk, link, change, 0);
	ret = ret < 0 ? vnl_errno(ret) : 0;
out:
	nl_addr_put(lladdr);
	rtnl_link_put(change);
	rtnl_link_put(link);
	return ret;
}

bool vnl_cidr_valid(const char *cidr)
{
	struct nl_addr *a = NULL;
	const char *slash = strchr(cidr, '/');
	bool ok;

	if (!slash || !slash[1] || nl_addr_parse(cidr, AF_UNSPEC, &a) < 0)
		return false;
	ok = nl_addr_get_family(a) == AF_INET || nl_addr_get_family(a) == AF_INET6;
	nl_addr_put(a);
	return ok;
}

bool vnl_ip_valid(const char *ip)
{
	struct in6_addr a;

	return inet_pton(AF_INET, ip, &a) == 1 || inet_pton(AF_INET6, ip, &a) == 1;
}

int vnl_route_default(struct nl_sock *sk, const char *ifname, const char *gw)
{
	struct rtnl_route *route;
	struct rtnl_nexthop *nh;
	struct nl_addr *via = NULL, *dst = NULL;
	struct rtnl_link *link = NULL;
	int ret, family, ifindex;

	if (!vnl_ip_valid(gw))
		return -EINVAL;
	ret = rtnl_link_get_kernel(sk, 0, ifname, &link);
	if (ret < 0)
		return vnl_errno(ret);
	ifindex = rtnl_link_get_ifindex(link);
	rtnl_link_put(link);
	if (nl_addr_parse(gw, AF_UNSPEC, &via) < 0)
		return -EINVAL;
	family = nl_addr_get_family(via);
	if (nl_addr_parse("default", family, &dst) < 0) {
		nl_addr_put(via);
		return -EINVAL;
	}
	route = rtnl_route_alloc();
	nh = rtnl_route_nh_alloc();
	if (!route || !nh) {
		ret = -ENOMEM;
		goto out;
	}
	rtnl_route_set_family(route, (uint8_t)family);
	rtnl_route_set_dst(route, dst);
	rtnl_route_set_table(route, RT_TABLE_MAIN);
	rtnl_route_set_protocol(route, RTPROT_STATIC);
	rtnl_route_nh_set_ifindex(nh, ifindex);
	rtnl_route_nh_set_gateway(nh, via);
	rtnl_route_add_nexthop(route, nh);
	nh = NULL;			/* the route's now */
	ret = rtnl_route_add(sk, route, NLM_F_CREATE | NLM_F_REPLACE);
	ret = ret < 0 ? vnl_errno(ret) : 0;
out:
	if (nh)
		rtnl_route_nh_free(nh);
	if (route)
		rtnl_route_put(route);
	nl_addr_put(dst);
	nl_addr_put(via);
	return ret;
}

int vnl_addr_add(struct nl_sock *sk, const char *ifname, const char *cidr)
{
	struct rtnl_addr *addr = NULL;
	struct nl_addr *local = NULL;
	unsigned ifindex;
	int ret;

	if (!vnl_cidr_valid(cidr))
		return -EINVAL;
	ifindex = 0;
	{
		struct rtnl_link *link = NULL;
		ret = rtnl_link_get_kernel(sk, 0, ifname, &link);
		if (ret < 0)
			return vnl_errno(ret);
		ifindex = (unsigned)rtnl_link_get_ifindex(link);
		rtnl_link_put(link);
	}
	ret = nl_addr_parse(cidr, AF_UNSPEC, &local);
	if (ret < 0)
		return -EINVAL;
	addr = rtnl_addr_alloc();
	if (!addr) {
		nl_addr_put(local);
		return -ENOMEM;
	}
	rtnl_addr_set_ifindex(addr, (int)ifindex);
	ret = rtnl_addr_set_local(addr, local);
	if (ret >= 0)
		ret = rtnl_addr_add(sk, addr, 0);
	ret = ret < 0 ? vnl_errno(ret) : 0;
	nl_addr_put(local);
	rtnl_addr_put(addr);
	return ret;
}

struct vnl_flush {
	struct nl_sock *sk;
	int ifindex, err;
};

static void vnl_flush_one(struct nl_object *obj, void *arg)
{
	struct vnl_flush *f = arg;
	struct rtnl_addr *addr = (struct rtnl_addr *)obj;
	int ret;

	if (rtnl_addr_get_ifindex(addr) != f->ifindex)
		return;
	ret = rtnl_addr_delete(f->sk, addr, 0);
	/* an IPv6 link-local address may go with the others (or with disable_ipv6): not an error */
	if (ret < 0 && vnl_errno(ret) != -ENODEV && !f->err)
		f->err = vnl_errno(ret);
}

int vnl_addr_flush(struct nl_sock *sk, int ifindex)
{
	struct nl_cache *cache = NULL;
	struct vnl_flush f = { .sk = sk, .ifindex = ifindex };
	int ret = rtnl_addr_alloc_cache(sk, &cache);

	if (ret < 0)
		return vnl_errno(ret);
	nl_cache_foreach(cache, vnl_flush_one, &f);
	nl_cache_free(cache);
	return f.err;
}

int vnl_link_delete(struct nl_sock *sk, const char *ifname)
{
	struct rtnl_link *link = NULL;
	int ret = rtnl_link_get_kernel(sk, 0, ifname, &link);

	if (ret < 0)
		return vnl_errno(ret);
	ret = rtnl_link_delete(sk, link);
	rtnl_link_put(link);
	return ret < 0 ? vnl_errno(ret) : 0;
}

int vnl_vxlan_create(struct nl_sock *sk, const char *ifname, uint32_t vni, int family, const void *addr,
		     unsigned dstport, const char *dev, unsigned mtu)
{
	struct rtnl_link *link = rtnl_link_vxlan_alloc();
	struct nl_addr *a = NULL;
	int ret;

	if (!link)
		return -ENOMEM;
	rtnl_link_set_name(link, ifname);
	if (mtu)
		rtnl_link_set_mtu(link, mtu);
	a = nl_addr_build(family, addr, family == AF_INET ? 4 : 16);
	if (!a) {
		ret = -ENOMEM;
		goto out;
	}
	/* one attribute, the kernel's: a unicast address is the remote, a multicast one the group */
	if ((ret = rtnl_link_vxlan_set_id(link, vni)) < 0 || (ret = rtnl_link_vxlan_set_group(link, a)) < 0 ||
	    (ret = rtnl_link_vxlan_set_port(link, dstport)) < 0)
		goto out;
	if (dev && *dev) {
		unsigned idx = if_nametoindex(dev);

		if (!idx) {
			ret = -ENODEV;
			goto out;
		}
		if ((ret = rtnl_link_vxlan_set_link(link, idx)) < 0)
			goto out;
	}
	ret = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
	ret = ret < 0 ? vnl_errno(ret) : 0;
out:
	nl_addr_put(a);
	rtnl_link_put(link);
	return ret;
}

bool vnl_link_is_vxlan(struct nl_sock *sk, const char *ifname)
{
	struct rtnl_link *link = NULL;
	const char *type;
	bool yes;

	if (rtnl_link_get_kernel(sk, 0, ifname, &link) < 0)
		return false;
	type = rtnl_link_get_type(link);
	yes = type && strcmp(type, "vxlan") == 0;
	rtnl_link_put(link);
	return yes;
}

/* The attributes nested in a, each at most once: tb[type] (types up to max) or NULL. */
static void vnl_nested(const struct rtattr *a, int len, const struct rtattr **tb, unsigned max)
{
	memset(tb, 0, sizeof(*tb) * (max + 1));
	for (; RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type <= max)
			tb[a->rta_type] = a;
}

int vnl_link_query(const char *ifname, struct vnl_link_info *info)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg ifi;
		char attrs[64];
	} req = { 0 };
	union {
		struct nlmsghdr h;
		char buf[8192];
	} rep;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct rtattr *a;
	const struct rtattr *tb[IFLA_MAX + 1], *li[IFLA_INFO_MAX + 1], *tun[IFLA_TUN_MAX + 1];
	size_t n = strlen(ifname);
	ssize_t got;
	int fd, ret = -EIO;

	memset(info, 0, sizeof(*info));
	if (n == 0 || n >= IFNAMSIZ)
		return -ENODEV;
	req.h.nlmsg_type = RTM_GETLINK;
	req.h.nlmsg_flags = NLM_F_REQUEST;
	req.h.nlmsg_seq = 1;
	req.ifi.ifi_family = AF_UNSPEC;
	a = (struct rtattr *)req.attrs;
	a->rta_type = IFLA_IFNAME;
	a->rta_len = (unsigned short)RTA_LENGTH(n + 1);
	memcpy(RTA_DATA(a), ifname, n + 1);
	req.h.nlmsg_len = (uint32_t)(NLMSG_LENGTH(sizeof(req.ifi)) + RTA_ALIGN(a->rta_len));
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (sendto(fd, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		ret = -errno;
		goto out;
	}
	got = recv(fd, rep.buf, sizeof(rep.buf), 0);
	if (got < 0) {
		ret = -errno;
		goto out;
	}
	for (struct nlmsghdr *h = &rep.h; NLMSG_OK(h, (size_t)got); h = NLMSG_NEXT(h, got)) {
		if (h->nlmsg_type == NLMSG_ERROR && h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
			int err = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			ret = err == -ENODEV || err == 0 ? -ENODEV : err;
			break;
		}
		if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
			continue;
		const struct ifinfomsg *ifi = NLMSG_DATA(h);
		vnl_nested(IFLA_RTA(ifi), (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi))), tb, IFLA_MAX);
		info->ifindex = ifi->ifi_index;
		ret = info->ifindex > 0 ? 0 : -ENODEV;
		if (!tb[IFLA_LINKINFO])
			break;
		vnl_nested(RTA_DATA(tb[IFLA_LINKINFO]), (int)RTA_PAYLOAD(tb[IFLA_LINKINFO]), li, IFLA_INFO_MAX);
		if (!li[IFLA_INFO_KIND] || RTA_PAYLOAD(li[IFLA_INFO_KIND]) < 4 ||
		    memcmp(RTA_DATA(li[IFLA_INFO_KIND]), "tun", 4) != 0)
			break;
		info->is_tun = true;
		if (!li[IFLA_INFO_DATA])
			break;
		vnl_nested(RTA_DATA(li[IFLA_INFO_DATA]), (int)RTA_PAYLOAD(li[IFLA_INFO_DATA]), tun, IFLA_TUN_MAX);
		if (tun[IFLA_TUN_PERSIST] && RTA_PAYLOAD(tun[IFLA_TUN_PERSIST]) >= 1)
			info->persist = *(const uint8_t *)RTA_DATA(tun[IFLA_TUN_PERSIST]) != 0;
		if (tun[IFLA_TUN_OWNER] && RTA_PAYLOAD(tun[IFLA_TUN_OWNER]) >= 4) {
			memcpy(&info->owner, RTA_DATA(tun[IFLA_TUN_OWNER]), 4);
			info->has_owner = true;
		}
		break;
	}
out:
	close(fd);
	return ret;
}
