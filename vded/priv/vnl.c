#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>

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
