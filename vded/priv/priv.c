/*
 * priv — the split, the privileged parent's request table and acts, and the engine's client (priv.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/fsuid.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/ethernet.h>
#include <time.h>
#include <unistd.h>

#include "fdpass.h"
#include "log.h"
#include "priv/keeper.h"
#include "priv/priv.h"
#include "priv/sdnotify.h"
#include "proto.h"
#include "priv/vnl.h"

#define PRIV_MAX_FDS 2
#define PRIV_RM_MAX_DEPTH 8
#define PRIV_RM_MAX_ENTRIES 100000
#define PRIV_RESPAWN_MAX 5		/* crashed engines replaced within PRIV_RESPAWN_WINDOW, then give up */
#define PRIV_RESPAWN_WINDOW 60

/* What the parent keeps of the setup. */
static struct {
	bool split;			/* a parent exists (false: requests run in-process) */
	int sock;			/* the engine's end (in the engine), the parent's end (in the parent) */
	int netdir;			/* RUN_DIR/net, root-owned (parent, or in-process) */
	char netdir_path[PATH_MAX];
	uid_t engine_uid;
	gid_t engine_gid;
	pid_t engine_pid;
	pid_t parent_pid;		/* in the engine */
	unsigned gone_seq;
	unsigned respawns;		/* engines replaced after a crash, in all */
	bool upgrade;			/* the engine asked for an exec of vded once it exits */
	char exe[PATH_MAX];		/* vded's binary, as started (an upgrade replaces the file) */
	char *const *argv;
	sigset_t old_mask;		/* the signal mask to give each engine */
} priv = { .sock = -1, .netdir = -1 };

/* ---- validation (pure) ---- */

static bool priv_str_ok(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

int priv_request_validate(const struct priv_request *r, struct vde_error *e)
{
	switch (r->op) {
	case PRIV_OP_TAP_OPEN: {
		const struct priv_tap *t = &r->u.tap;
		if (!priv_str_ok(t->ifname, sizeof(t->ifname)) || !proto_valid_ifname(t->ifname))
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "not a valid interface name");
		if (!priv_str_ok(t->netns, sizeof(t->netns)) || (t->netns[0] && !proto_valid_name(t->netns)))
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "not a valid namespace name");
		if (t->mtu && (t->mtu < 68 || t->mtu > 9216))
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "mtu %u is out of range (68..9216)",
					     t->mtu);
		if (t->has_mac > 1 || t->up > 1 || (t->has_mac && (t->mac[0] & 1)))
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "bad link settings");
		/* a VM tap lives in vded's own namespace, where the VM manager finds it */
		if (t->has_group > 1 || t->persist > 1 || t->multi_queue > 1 || (t->has_group && t->group == (uint32_t)-1) ||
		    (!t->persist && (t->has_group || t->multi_queue)) || (t->persist && t->netns[0]))
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "bad VM tap settings");
		if (t->naddrs > PRIV_TAP_ADDRS)
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "at most %d addresses", PRIV_TAP_ADDRS);
		for (unsigned i = 0; i < t->naddrs; i++)
			if (!priv_str_ok(t->addrs[i], sizeof(t->addrs[i])) || !vnl_cidr_valid(t->addrs[i]))
				return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "not an address with a prefix length");
		if (!priv_str_ok(t->gateway, sizeof(t->gateway)) || (t->gateway[0] && !vnl_ip_valid(t->gateway)))
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "not a gateway address");
		return 0;
	}
	case PRIV_OP_NETNS_CREATE:
	case PRIV_OP_NETNS_DELETE:
		if (!priv_str_ok(r->u.netns.name, sizeof(r->u.netns.name)) || !proto_valid_name(r->u.netns.name) ||
		    r->u.netns.reuse > 1)
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "not a valid namespace name");
		return 0;
	case PRIV_OP_ENDPOINT_MAKE:
	case PRIV_OP_ENDPOINT_SET:
	case PRIV_OP_ENDPOINT_REMOVE:
		if (!priv_str_ok(r->u.endpoint.name, sizeof(r->u.endpoint.name)) || !proto_valid_name(r->u.endpoint.name))
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "not a valid network name");
		if (r->op != PRIV_OP_ENDPOINT_REMOVE &&
		    ((r->u.endpoint.mode & ~0666u) || r->u.endpoint.gid == (uint32_t)-1 ||
		     r->u.endpoint.owner == (uint32_t)-1))
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "bad endpoint group or mode");
		return 0;
	case PRIV_OP_CONNECT_AS: {
		const char *p = r->u.connect.path;
		if (!priv_str_ok(p, sizeof(r->u.connect.path)) || p[0] != '/')
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "the client socket must be an absolute path");
		return 0;
	}
	case PRIV_OP_SOCKBUF:
		if (r->u.sockbuf.sndbuf > PRIV_SOCKBUF_MAX || r->u.sockbuf.rcvbuf > PRIV_SOCKBUF_MAX)
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "socket buffer above %d bytes",
					     PRIV_SOCKBUF_MAX);
		return 0;
	case PRIV_OP_KEEP:
	case PRIV_OP_FORGET:
		if (!keeper_name_valid(r->u.keep.name, sizeof(r->u.keep.name)))
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "not a valid kept descriptor name");
		return 0;
	case PRIV_OP_READY:
	case PRIV_OP_UPGRADE:
		return 0;
	case PRIV_OP_PACKET_OPEN: {
		const struct priv_packet *k = &r->u.packet;
		/* lo carries the host's own traffic: never a port */
		if (!priv_str_ok(k->ifname, sizeof(k->ifname)) || !proto_valid_ifname(k->ifname) ||
		    strcmp(k->ifname, "lo") == 0)
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "not a valid interface name");
		if (k->keep_ip > 1 || k->ifindex > INT32_MAX || k->rcvbuf > PRIV_SOCKBUF_MAX)
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "bad interface port settings");
		return 0;
	}
	case PRIV_OP_TAP_DELETE:
		if (!priv_str_ok(r->u.tap.ifname, sizeof(r->u.tap.ifname)) || !proto_valid_ifname(r->u.tap.ifname))
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "not a valid interface name");
		return 0;
	case PRIV_OP_VXLAN_CREATE:
	case PRIV_OP_VXLAN_DELETE: {
		const struct priv_vxlan *v = &r->u.vxlan;
		struct in6_addr a6;
		uint32_t a4;

		if (!priv_str_ok(v->ifname, sizeof(v->ifname)) || !proto_valid_ifname(v->ifname) ||
		    strcmp(v->ifname, "lo") == 0)
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "not a valid interface name");
		if (r->op == PRIV_OP_VXLAN_DELETE)
			return 0;
		if (!priv_str_ok(v->dev, sizeof(v->dev)) || (v->dev[0] && !proto_valid_ifname(v->dev)))
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "not a valid underlay interface name");
		if (v->vni > 0xffffff || v->dstport == 0 || v->reuse > 1 || (v->mtu && (v->mtu < 68 || v->mtu > 9216)))
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "bad VXLAN settings");
		memcpy(&a4, v->addr, 4);
		memcpy(&a6, v->addr, 16);
		if (v->family == AF_INET) {
			uint32_t h = ntohl(a4);

			for (int i = 4; i < 16; i++)
				if (v->addr[i])
					return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "bad VXLAN address");
			if (h == 0 || h == 0xffffffffu || (h >> 24) == 127 || (IN_MULTICAST(h) && !v->dev[0]))
				return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL,
						     "a VXLAN remote is a unicast address, or a group with an interface");
		} else if (v->family == AF_INET6) {
			if (IN6_IS_ADDR_UNSPECIFIED(&a6) || IN6_IS_ADDR_LOOPBACK(&a6) ||
			    (IN6_IS_ADDR_MULTICAST(&a6) && !v->dev[0]))
				return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL,
						     "a VXLAN remote is a unicast address, or a group with an interface");
		} else {
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "bad VXLAN address family");
		}
		return 0;
	}
	default:
		return vde_error_set(e, PROTO_ERR_INVALID_REQUEST, EINVAL, "unknown privileged request %u", r->op);
	}
}

/* How many fds each request carries from the engine. */
static unsigned priv_request_nfds(uint32_t op)
{
	switch (op) {
	case PRIV_OP_CONNECT_AS: return 2;
	case PRIV_OP_SOCKBUF: return 1;
	case PRIV_OP_KEEP: return 1;
	default: return 0;
	}
}

/* ---- the privileged acts (parent, or in-process without a split) ---- */

static int priv_fail(struct vde_error *e, int err, const char *what)
{
	return vde_error_errno(e, err, "%s: %s", what, strerror(err < 0 ? -err : err));
}

struct tap_make {
	const struct priv_tap *t;
	int fd;
	const char *what;
};

/* Runs inside the target namespace: a tap is created where /dev/net/tun is opened; configured there. */
static int priv_tap_here(void *arg)
{
	struct tap_make *c = arg;
	const struct priv_tap *t = c->t;
	struct ifreq ifr = { 0 };
	struct nl_sock *sk;
	int ret;

	if (if_nametoindex(t->ifname)) {
		c->what = "an interface of that name exists";
		return -EEXIST;
	}
	c->fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (c->fd < 0) {
		c->what = "/dev/net/tun";
		return -errno;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", t->ifname);
	/* with a virtio-net header and TSO, a TCP stream between two of vded's taps crosses vded in
	 * 64 KiB pieces (see offload.h) */
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | (t->multi_queue ? IFF_MULTI_QUEUE : 0);
	c->what = "TUNSETIFF";
	if (ioctl(c->fd, TUNSETIFF, &ifr) < 0)
		goto fail;
	c->what = "TUNSETOFFLOAD";
	if (!t->persist &&
	    ioctl(c->fd, TUNSETOFFLOAD, (unsigned long)(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN)) < 0)
		goto fail;
	c->what = "TUNSETOWNER";
	if (t->owner != (uint32_t)-1 && ioctl(c->fd, TUNSETOWNER, (unsigned long)t->owner) < 0)
		goto fail;
	c->what = "TUNSETGROUP";
	if (t->has_group && ioctl(c->fd, TUNSETGROUP, (unsigned long)t->group) < 0)
		goto fail;
	/* a VM tap outlives this fd: QEMU opens its queues (vded reaches it through a packet socket) */
	c->what = "TUNSETPERSIST";
	if (t->persist && ioctl(c->fd, TUNSETPERSIST, 1UL) < 0)
		goto fail;
	if (!t->mtu && !t->has_mac && !t->up && !t->naddrs && !t->gateway[0])
		return 0;
	c->what = "netlink";
	sk = vnl_open(-1);
	if (!sk)
		goto fail;
	ret = 0;
	if (t->mtu || t->has_mac || t->up) {
		c->what = "setting the link";
		ret = vnl_link_set(sk, t->ifname, t->mtu, t->has_mac ? t->mac : NULL, t->up);
	}
	for (unsigned i = 0; !ret && i < t->naddrs; i++) {
		c->what = t->addrs[i];
		ret = vnl_addr_add(sk, t->ifname, t->addrs[i]);
	}
	if (!ret && t->gateway[0]) {
		c->what = "the default route";
		ret = vnl_route_default(sk, t->ifname, t->gateway);
	}
	vnl_close(sk);
	if (ret == 0)
		return 0;
	errno = -ret;
fail:
	ret = -errno;
	if (t->persist)
		ioctl(c->fd, TUNSETPERSIST, 0UL);
	close(c->fd);		/* closing the only queue of a non-persistent tap removes it */
	c->fd = -1;
	return ret;
}

/* The namespace /run/netns/NAME, opened without following links (the directory is root's). */
static int priv_netns_open(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), NETNS_DIR "/%s", name);
	return open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
}

static int do_tap_open(const struct priv_tap *t, int *out, struct vde_error *e)
{
	struct tap_make c = { .t = t, .fd = -1 };
	int nsfd = -1, ret;

	if (t->netns[0]) {
		nsfd = priv_netns_open(t->netns);
		if (nsfd < 0)
			return vde_error_errno(e, errno, "namespace '%s': %s", t->netns, strerror(errno));
	}
	ret = vnl_in_netns(nsfd, priv_tap_here, &c);
	if (nsfd >= 0)
		close(nsfd);
	if (ret == -EEXIST)
		return vde_error_set(e, PROTO_ERR_EXISTS, EEXIST, "interface '%s' already exists", t->ifname);
	if (ret < 0)
		return vde_error_errno(e, ret, "tap '%s': %s: %s", t->ifname, c.what ? c.what : "namespace",
				       strerror(-ret));
	if (t->persist) {
		close(c.fd);	/* the VM's queues are its own: vded keeps none */
		c.fd = -1;
	}
	*out = c.fd;
	return 0;
}

static int do_vxlan_create(const struct priv_vxlan *v, struct vde_error *e)
{
	struct nl_sock *sk = vnl_open(-1);
	int ret;

	if (!sk)
		return priv_fail(e, errno, "netlink");
	ret = vnl_vxlan_create(sk, v->ifname, v->vni, v->family, v->addr, v->dstport, v->dev, v->mtu);
	/* a restart finds its device: kept only if it is a VXLAN device (never another link taken over) */
	if (ret == -EEXIST && v->reuse && vnl_link_is_vxlan(sk, v->ifname))
		ret = 0;
	else if (ret == 0)
		ret = vnl_link_set(sk, v->ifname, 0, NULL, true);
	vnl_close(sk);
	if (ret == -EEXIST)
		return vde_error_set(e, PROTO_ERR_EXISTS, EEXIST, "interface '%s' exists", v->ifname);
	return ret < 0 ? priv_fail(e, -ret, "VXLAN device") : 0;
}

static int do_vxlan_delete(const struct priv_vxlan *v, struct vde_error *e)
{
	struct nl_sock *sk = vnl_open(-1);
	int ret;

	if (!sk)
		return priv_fail(e, errno, "netlink");
	if (!vnl_link_is_vxlan(sk, v->ifname)) {
		vnl_close(sk);
		return vde_error_set(e, PROTO_ERR_NOT_FOUND, ENODEV, "'%s' is not a VXLAN device", v->ifname);
	}
	ret = vnl_link_delete(sk, v->ifname);
	vnl_close(sk);
	return ret < 0 ? priv_fail(e, -ret, "delete VXLAN device") : 0;
}

static int do_tap_delete(const struct priv_tap *t, struct vde_error *e)
{
	struct vnl_link_info li;
	struct nl_sock *sk;
	int ret;

	if (vnl_link_query(t->ifname, &li) < 0 || !li.is_tun || !li.persist)
		return vde_error_set(e, PROTO_ERR_NOT_FOUND, ENODEV, "'%s' is not a persistent tap", t->ifname);
	sk = vnl_open(-1);
	if (!sk)
		return priv_fail(e, errno, "netlink");
	ret = vnl_link_delete(sk, t->ifname);
	vnl_close(sk);
	if (ret < 0)
		return vde_error_errno(e, ret, "removing tap '%s': %s", t->ifname, strerror(-ret));
	return 0;
}

/* Keep the host stack off an interface port: no IPv6 (no link-local address, no router or neighbour
 * solicitations of the host's own on the port's network). */
static int priv_ipv6_off(const char *ifname)
{
	char path[96];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifname);
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;	/* no IPv6 in this kernel */
	if (write(fd, "1", 1) != 1)
		ret = -errno;
	close(fd);
	return ret;
}

static int do_packet_open(const struct priv_packet *k, int *out, struct vde_error *e)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	struct packet_mreq mr = { .mr_type = PACKET_MR_PROMISC };
	unsigned idx = if_nametoindex(k->ifname);
	struct nl_sock *sk;
	int fd, one = 1, ret;

	if (!idx)
		return vde_error_set(e, PROTO_ERR_NOT_FOUND, ENODEV, "no interface '%s'", k->ifname);
	if (k->ifindex && k->ifindex != idx)
		return vde_error_set(e, PROTO_ERR_NOT_FOUND, ENODEV, "interface '%s' changed while it was checked",
				     k->ifname);
	/* protocol 0: nothing is queued before the bind narrows the socket to this interface */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return priv_fail(e, errno, "AF_PACKET socket");
	sll.sll_ifindex = (int)idx;
	mr.mr_ifindex = (int)idx;
	/* the virtio-net header lets GSO frames cross whole, as between vded's taps (offload.h); frames
	 * the host sends out of the interface (vded's own among them) are not received back */
	if (setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) < 0) {
		ret = priv_fail(e, errno, "PACKET_VNET_HDR");
		goto fail;
	}
	if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) < 0) {
		ret = priv_fail(e, errno, "PACKET_IGNORE_OUTGOING");
		goto fail;
	}
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		ret = vde_error_errno(e, errno, "binding to '%s': %s", k->ifname, strerror(errno));
		goto fail;
	}
	if (k->rcvbuf) {
		int rcv = (int)k->rcvbuf;
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) < 0) {
			ret = priv_fail(e, errno, "SO_RCVBUFFORCE");
			goto fail;
		}
	}
	/* a membership, not IFF_PROMISC: it goes with the socket, and other users' settings stay */
	if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0) {
		ret = priv_fail(e, errno, "PACKET_ADD_MEMBERSHIP");
		goto fail;
	}
	sk = vnl_open(-1);
	if (!sk) {
		ret = priv_fail(e, errno, "netlink");
		goto fail;
	}
	ret = vnl_link_set(sk, k->ifname, 0, NULL, true);
	if (ret == 0 && !k->keep_ip) {
		ret = priv_ipv6_off(k->ifname);
		if (ret == 0)
			ret = vnl_addr_flush(sk, (int)idx);
	}
	vnl_close(sk);
	if (ret < 0) {
		ret = vde_error_errno(e, ret, "setting up '%s': %s", k->ifname, strerror(-ret));
		goto fail;
	}
	*out = fd;
	return 0;
fail:
	close(fd);
	return ret;
}

/* /run/netns must be a shared mount so that the bind mounts below are seen in every mount
 * namespace (what `ip netns add` does too). */
static int priv_netns_prepare_dir(void)
{
	if (mkdir(NETNS_DIR, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (mount("", NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) == 0)
		return 0;
	if (errno != EINVAL)
		return -errno;
	if (mount(NETNS_DIR, NETNS_DIR, "none", MS_BIND | MS_REC, NULL) < 0 ||
	    mount("", NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) < 0)
		return -errno;
	return 0;
}

static int priv_lo_up(void *arg)
{
	struct nl_sock *sk = vnl_open(-1);
	int ret;

	if (!sk)
		return -errno;
	ret = vnl_link_set(sk, "lo", 0, NULL, true);
	vnl_close(sk);
	return ret;
}

/* Whether this process may make namespaces at all (CAP_SYS_ADMIN, effective). */
static bool priv_has_sys_admin(void)
{
	cap_flag_value_t v = CAP_CLEAR;
	cap_t caps = cap_get_proc();

	if (caps) {
		cap_get_flag(caps, CAP_SYS_ADMIN, CAP_EFFECTIVE, &v);
		cap_free(caps);
	}
	return v == CAP_SET;
}

/* What a user reads when the unit does not allow namespaces: the fix, not a bare EPERM. */
static int priv_netns_off(struct vde_error *e, const char *why)
{
	return vde_error_set(e, PROTO_ERR_UNSUPPORTED, EOPNOTSUPP,
			     "network namespaces are off in this vded: %s (under systemd, install the netns "
			     "drop-in: vded(8), NAMESPACES)", why);
}

static int do_netns_create(const struct priv_netns *n, struct vde_error *e)
{
	char path[PATH_MAX];
	int self, fd, ret;

	if (!priv_has_sys_admin())
		return priv_netns_off(e, "it runs without CAP_SYS_ADMIN");
	ret = priv_netns_prepare_dir();
	if (ret == -EROFS || ret == -EACCES || ret == -EPERM)
		return priv_netns_off(e, NETNS_DIR " is read-only for it");
	if (ret < 0)
		return priv_fail(e, ret, NETNS_DIR);
	snprintf(path, sizeof(path), NETNS_DIR "/%s", n->name);
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444);
	if (fd < 0 && (errno == EROFS || errno == EACCES))
		return priv_netns_off(e, NETNS_DIR " is read-only for it");
	if (fd < 0 && errno == EEXIST) {
		if (!n->reuse)
			return vde_error_set(e, PROTO_ERR_EXISTS, EEXIST, "%s already exists", path);
		/* after a vded restart the namespace (and what runs in it) is still there: reuse it */
		return 0;
	}
	if (fd < 0)
		return priv_fail(e, errno, path);
	close(fd);
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0) {
		ret = priv_fail(e, errno, "own namespace");
		unlink(path);
		return ret;
	}
	ret = 0;
	if (unshare(CLONE_NEWNET) < 0) {
		ret = errno == EPERM ? priv_netns_off(e, "unshare(CLONE_NEWNET) is not allowed (RestrictNamespaces=)")
				     : priv_fail(e, errno, "unshare");
	} else {
		if (mount("/proc/thread-self/ns/net", path, "none", MS_BIND, NULL) < 0)
			ret = priv_fail(e, errno, path);
		else
			priv_lo_up(NULL);
		if (setns(self, CLONE_NEWNET) < 0) {
			log_err("cannot return to vded's network namespace: %s", strerror(errno));
			_exit(1);
		}
	}
	close(self);
	if (ret < 0)
		unlink(path);
	return ret;
}

static int do_netns_delete(const struct priv_netns *n, struct vde_error *e)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), NETNS_DIR "/%s", n->name);
	if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL && errno != ENOENT)
		log_warn("%s: %s", path, strerror(errno));
	if (unlink(path) < 0 && errno != ENOENT)
		return priv_fail(e, errno, path);
	return 0;
}

/* Remove name under dirfd and everything below it, never following a link: entries are opened
 * O_NOFOLLOW relative to their parent's fd, so a client swapping a directory for a symlink gets its
 * symlink removed, nothing outside. Bounded in depth and entries. */
static void priv_rm_tree(int parent, const char *name, unsigned depth, unsigned *budget)
{
	int fd;
	DIR *d;
	struct dirent *de;

	if (unlinkat(parent, name, 0) == 0 || errno == ENOENT)
		return;
	if (depth >= PRIV_RM_MAX_DEPTH)
		return;
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) && *budget) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		(*budget)--;
		priv_rm_tree(dirfd(d), de->d_name, depth + 1, budget);
	}
	closedir(d);
	unlinkat(parent, name, AT_REMOVEDIR);
}

/* Move RUN_DIR/net/NAME aside (into the root-only parent) and remove it. */
static int priv_endpoint_clear(const char *name)
{
	char gone[96];
	unsigned budget = PRIV_RM_MAX_ENTRIES;
	struct stat st;

	if (fstatat(priv.netdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	snprintf(gone, sizeof(gone), ".gone.%d.%u", (int)getpid(), priv.gone_seq++);
	if (renameat(priv.netdir, name, priv.netdir, gone) < 0)
		return -errno;
	priv_rm_tree(priv.netdir, gone, 0, &budget);
	if (fstatat(priv.netdir, gone, &st, AT_SYMLINK_NOFOLLOW) == 0)
		log_warn("%s/%s: could not remove everything a client left there", priv.netdir_path, gone);
	return 0;
}

/* The directory's mode for a network mode: only vded's user writes in it. A class with 'r' or 'w'
 * may enter and look ('w' also opens ctl, see the sockets' mode in endpoint.c); nobody else may
 * create anything there, so no user can fill /run, squat the names vded binds, or plant files for
 * the next network of that name. vde clients then bind their own data socket under /tmp or
 * /var/tmp, as vdeplug4's and vde2's libraries do when the switch directory is not writable.
 * Setgid: every socket vded makes in it gets the network's group; sticky: belt and braces. */
static unsigned priv_endpoint_classbits(unsigned bits)
{
	return bits & 6 ? 5 : 0;
}

static mode_t priv_endpoint_dirmode(unsigned mode)
{
	return S_ISGID | S_ISVTX | 0700 | priv_endpoint_classbits((mode >> 3) & 7) << 3 |
	       priv_endpoint_classbits(mode & 7);
}

/* Open RUN_DIR/net/NAME as the endpoint directory vded made: a directory owned by the engine's user. */
static int priv_endpoint_open(const char *name)
{
	struct stat st;
	int fd = openat(priv.netdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != priv.engine_uid) {
		close(fd);
		return -EPERM;
	}
	return fd;
}

/* The POSIX ACL xattr (what libacl writes): a version, then {tag, perm, id} entries sorted by tag. */
#define ACL_XATTR_VERSION 2
enum { ACL_TAG_USER_OBJ = 1, ACL_TAG_USER = 2, ACL_TAG_GROUP_OBJ = 4, ACL_TAG_MASK = 0x10, ACL_TAG_OTHER = 0x20 };

struct acl_entry {
	uint16_t tag, perm;
	uint32_t id;
};

static int priv_acl_put(int fd, const char *xattr, unsigned user_obj, uid_t user, unsigned user_perm,
			unsigned group_obj, unsigned other)
{
	struct {
		uint32_t version;
		struct acl_entry e[5];
	} acl = { .version = ACL_XATTR_VERSION, .e = {
		{ ACL_TAG_USER_OBJ, (uint16_t)user_obj, (uint32_t)-1 },
		{ ACL_TAG_USER, (uint16_t)user_perm, (uint32_t)user },
		{ ACL_TAG_GROUP_OBJ, (uint16_t)group_obj, (uint32_t)-1 },
		{ ACL_TAG_MASK, (uint16_t)(user_perm | group_obj), (uint32_t)-1 },
		{ ACL_TAG_OTHER, (uint16_t)other, (uint32_t)-1 },
	} };

	return fsetxattr(fd, xattr, &acl, sizeof(acl), 0) < 0 ? -errno : 0;
}

/* The directory is vded's; the network's owner is a user like the others, so its class bits reach
 * the kernel through an ACL entry: on the directory itself, and as the default its sockets (ctl, the
 * per-port ones) inherit. Without an owner to name, or a file system without ACLs, the mode alone. */
static int priv_endpoint_acl(int fd, const struct priv_endpoint *ep)
{
	unsigned o = (ep->mode >> 6) & 7, g = (ep->mode >> 3) & 7, t = ep->mode & 7;
	unsigned od = priv_endpoint_classbits(o), gd = priv_endpoint_classbits(g), td = priv_endpoint_classbits(t);
	int ret;

	if (ep->owner == 0 || ep->owner == (uint32_t)priv.engine_uid || !(o & 6)) {
		fremovexattr(fd, "system.posix_acl_default");
		return 0;	/* the access ACL went with fchmod */
	}
	ret = priv_acl_put(fd, "system.posix_acl_access", 7, ep->owner, od, gd, td);
	if (ret == 0)
		ret = priv_acl_put(fd, "system.posix_acl_default", 6, ep->owner, o & 2 ? 6 : 0, g & 2 ? 6 : 0,
				   t & 2 ? 6 : 0);
	if (ret == -EOPNOTSUPP) {
		log_warn("%s/%s: no ACLs here: the owner of network %s reaches its endpoint only as group or other",
			 priv.netdir_path, ep->name, ep->name);
		return 0;
	}
	return ret;
}

static int priv_endpoint_own(int fd, const struct priv_endpoint *ep)
{
	if (fchown(fd, priv.engine_uid, (gid_t)ep->gid) < 0 || fchmod(fd, priv_endpoint_dirmode(ep->mode)) < 0)
		return -errno;
	/* fchmod set the plain mode (and dropped any access ACL's extra entries) */
	fremovexattr(fd, "system.posix_acl_access");
	if (fchmod(fd, priv_endpoint_dirmode(ep->mode)) < 0)
		return -errno;
	return priv_endpoint_acl(fd, ep);
}

static int do_endpoint_make(const struct priv_endpoint *ep, int *out, struct vde_error *e)
{
	int fd, ret;

	ret = priv_endpoint_clear(ep->name);
	if (ret < 0)
		return vde_error_errno(e, ret, "cannot clear %s/%s: %s", priv.netdir_path, ep->name, strerror(-ret));
	if (mkdirat(priv.netdir, ep->name, 0700) < 0)
		return vde_error_errno(e, errno, "cannot create %s/%s: %s", priv.netdir_path, ep->name, strerror(errno));
	fd = openat(priv.netdir, ep->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || (ret = priv_endpoint_own(fd, ep)) < 0) {
		ret = fd < 0 ? -errno : ret;
		if (fd >= 0)
			close(fd);
		unlinkat(priv.netdir, ep->name, AT_REMOVEDIR);
		return vde_error_errno(e, ret, "%s/%s: %s", priv.netdir_path, ep->name, strerror(-ret));
	}
	*out = fd;
	return 0;
}

static int do_endpoint_set(const struct priv_endpoint *ep, struct vde_error *e)
{
	int fd = priv_endpoint_open(ep->name), ret;

	if (fd < 0)
		return vde_error_errno(e, fd, "%s/%s: %s", priv.netdir_path, ep->name, strerror(-fd));
	ret = priv_endpoint_own(fd, ep);
	close(fd);
	if (ret < 0)
		return vde_error_errno(e, ret, "%s/%s: %s", priv.netdir_path, ep->name, strerror(-ret));
	return 0;
}

static int do_endpoint_remove(const struct priv_endpoint *ep, struct vde_error *e)
{
	int ret = priv_endpoint_clear(ep->name);

	if (ret < 0)
		return vde_error_errno(e, ret, "%s/%s: %s", priv.netdir_path, ep->name, strerror(-ret));
	return 0;
}

static int priv_sock_is(int fd, int domain, int type)
{
	int d = -1, t = -1;
	socklen_t l1 = sizeof(d), l2 = sizeof(t);

	return getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &d, &l1) == 0 &&
	       getsockopt(fd, SOL_SOCKET, SO_TYPE, &t, &l2) == 0 && d == domain && t == type;
}

/* conn must be a client's connection accepted on one of our endpoints: RUN_DIR/net/NAME/ctl. */
static bool priv_conn_is_endpoint_client(int conn)
{
	struct sockaddr_un sun;
	socklen_t len = sizeof(sun);
	size_t plen = strlen(priv.netdir_path), n;

	memset(&sun, 0, sizeof(sun));
	if (!priv_sock_is(conn, AF_UNIX, SOCK_STREAM) || getsockname(conn, (struct sockaddr *)&sun, &len) < 0)
		return false;
	const char *base;

	n = strnlen(sun.sun_path, sizeof(sun.sun_path));
	if (n >= sizeof(sun.sun_path) || n <= plen + 1 || strncmp(sun.sun_path, priv.netdir_path, plen) ||
	    sun.sun_path[plen] != '/')
		return false;
	/* a listener keeps the name it was bound at (.ctl.XXXXXXXX) after the rename onto ctl */
	base = strrchr(sun.sun_path, '/') + 1;
	return base == sun.sun_path + plen + 1 + strcspn(sun.sun_path + plen + 1, "/") + 1 &&
	       (strcmp(base, "ctl") == 0 || strncmp(base, ".ctl.", 5) == 0);
}

/* Become (for the file system only) the peer of conn, connect, come back. setfsuid() to a non-zero
 * uid drops the file-system capabilities (DAC override) from the effective set, so the kernel checks
 * the client's path exactly as it would for the client; they come back with fsuid 0. */
static int do_connect_as(int conn, int sock, const struct priv_connect *c, struct vde_error *e)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct ucred cred;
	socklen_t len = sizeof(cred);
	gid_t *groups = NULL;
	socklen_t glen = 0;
	struct stat st;
	int ret = 0;

	if (!priv_conn_is_endpoint_client(conn))
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "not a connection to a vded endpoint");
	if (!priv_sock_is(sock, AF_UNIX, SOCK_DGRAM))
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "not an AF_UNIX datagram socket");
	if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return priv_fail(e, errno, "SO_PEERCRED");
	if (getsockopt(conn, SOL_SOCKET, SO_PEERGROUPS, NULL, &glen) < 0 && errno != ERANGE)
		return priv_fail(e, errno, "SO_PEERGROUPS");
	if (glen) {
		groups = malloc(glen);
		if (!groups)
			return priv_fail(e, ENOMEM, "groups");
		if (getsockopt(conn, SOL_SOCKET, SO_PEERGROUPS, groups, &glen) < 0) {
			ret = priv_fail(e, errno, "SO_PEERGROUPS");
			free(groups);
			return ret;
		}
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", c->path);
	if (setgroups(glen / sizeof(gid_t), groups) < 0) {
		ret = priv_fail(e, errno, "setgroups");
		goto out;
	}
	setfsgid(cred.gid);
	setfsuid(cred.uid);
	if ((gid_t)setfsgid((gid_t)-1) != cred.gid || (uid_t)setfsuid((uid_t)-1) != cred.uid) {
		ret = vde_error_set(e, PROTO_ERR_INTERNAL, EPERM, "cannot take the client's credentials");
		goto restore;
	}
	/* only the client's own socket: a socket of another user it may write to is not its port */
	if (lstat(sun.sun_path, &st) < 0) {
		ret = vde_error_errno(e, errno, "%s: %s", sun.sun_path, strerror(errno));
		goto restore;
	}
	if (!S_ISSOCK(st.st_mode) || (cred.uid != 0 && st.st_uid != cred.uid)) {
		ret = vde_error_set(e, PROTO_ERR_PERMISSION, EACCES, "%s: not a socket of uid %u", sun.sun_path,
				    (unsigned)cred.uid);
		goto restore;
	}
	if (connect(sock, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		ret = vde_error_errno(e, errno, "%s: %s", sun.sun_path, strerror(errno));
restore:
	setfsuid(0);
	setfsgid(0);
	if (setgroups(0, NULL) < 0) {
		log_err("cannot restore the privileged process's groups: %s", strerror(errno));
		_exit(1);
	}
out:
	free(groups);
	return ret;
}

static int do_sockbuf(int sock, const struct priv_sockbuf *b, struct vde_error *e)
{
	int snd = (int)b->sndbuf, rcv = (int)b->rcvbuf;

	if (!priv_sock_is(sock, AF_INET, SOCK_DGRAM) && !priv_sock_is(sock, AF_INET6, SOCK_DGRAM))
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "not a UDP socket");
	if (snd && setsockopt(sock, SOL_SOCKET, SO_SNDBUFFORCE, &snd, sizeof(snd)) < 0)
		return priv_fail(e, errno, "SO_SNDBUFFORCE");
	if (rcv && setsockopt(sock, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) < 0)
		return priv_fail(e, errno, "SO_RCVBUFFORCE");
	return 0;
}

static void priv_sd_notify(const char *state)
{
	int ret = sdnotify_send(state, -1);

	if (ret < 0 && ret != -ENOTCONN)
		log_warn("NOTIFY_SOCKET: %s", strerror(-ret));
}

static int priv_exec_self(struct vde_error *e);

/*
 * `daemon upgrade` makes root execute the file vded was started from, as it is now: only if nobody but
 * root could have put it there (rule 1). The file and its directory must be root's and writable by
 * root alone; a vded started from a user's build directory is not upgraded in place.
 */
static int priv_exe_safe(struct vde_error *e)
{
	char dir[PATH_MAX];
	struct stat st;
	char *slash;

	snprintf(dir, sizeof(dir), "%s", priv.exe);
	slash = strrchr(dir, '/');
	if (!priv.exe[0] || !slash)
		return vde_error_set(e, PROTO_ERR_UNSUPPORTED, EOPNOTSUPP, "vded's own binary is unknown");
	*slash = '\0';
	if (stat(priv.exe, &st) < 0 || access(priv.exe, X_OK) < 0)
		return priv_fail(e, errno, priv.exe);
	if (!S_ISREG(st.st_mode))
		return priv_fail(e, ENOEXEC, priv.exe);
	if (geteuid() == 0 && (st.st_uid != 0 || (st.st_mode & 022)))
		return vde_error_set(e, PROTO_ERR_PERMISSION, EPERM,
				     "%s is not root's alone (owner %u, mode %04o): not executed as root", priv.exe,
				     (unsigned)st.st_uid, st.st_mode & 07777);
	if (stat(dir[0] ? dir : "/", &st) < 0)
		return priv_fail(e, errno, dir);
	if (geteuid() == 0 && (st.st_uid != 0 || (st.st_mode & 022)))
		return vde_error_set(e, PROTO_ERR_PERMISSION, EPERM,
				     "%s is writable by others than root: %s not executed as root", dir, priv.exe);
	return 0;
}

/* Validate and run one request. *out_fd gets a descriptor to pass back (or stays -1). */
static int priv_dispatch(const struct priv_request *r, const int *fds, unsigned nfds, int *out_fd,
			 struct vde_error *e)
{
	int ret = priv_request_validate(r, e);

	if (ret < 0)
		return ret;
	if (nfds != priv_request_nfds(r->op))
		return vde_error_set(e, PROTO_ERR_INVALID_REQUEST, EINVAL, "request %u carries %u descriptors", r->op,
				     nfds);
	switch (r->op) {
	case PRIV_OP_TAP_OPEN: return do_tap_open(&r->u.tap, out_fd, e);
	case PRIV_OP_NETNS_CREATE: return do_netns_create(&r->u.netns, e);
	case PRIV_OP_NETNS_DELETE: return do_netns_delete(&r->u.netns, e);
	case PRIV_OP_ENDPOINT_MAKE: return do_endpoint_make(&r->u.endpoint, out_fd, e);
	case PRIV_OP_ENDPOINT_SET: return do_endpoint_set(&r->u.endpoint, e);
	case PRIV_OP_ENDPOINT_REMOVE: return do_endpoint_remove(&r->u.endpoint, e);
	case PRIV_OP_CONNECT_AS: return do_connect_as(fds[0], fds[1], &r->u.connect, e);
	case PRIV_OP_SOCKBUF: return do_sockbuf(fds[0], &r->u.sockbuf, e);
	case PRIV_OP_READY: priv_sd_notify("READY=1\nSTATUS=serving"); return 0;
	case PRIV_OP_PACKET_OPEN: return do_packet_open(&r->u.packet, out_fd, e);
	case PRIV_OP_TAP_DELETE: return do_tap_delete(&r->u.tap, e);
	case PRIV_OP_VXLAN_CREATE: return do_vxlan_create(&r->u.vxlan, e);
	case PRIV_OP_VXLAN_DELETE: return do_vxlan_delete(&r->u.vxlan, e);
	case PRIV_OP_KEEP: {
		int kret = keeper_put(r->u.keep.name, fds[0], false);
		return kret < 0 ? priv_fail(e, kret, "keep") : 0;
	}
	case PRIV_OP_FORGET: keeper_drop(r->u.keep.name); return 0;
	case PRIV_OP_UPGRADE: {
		int uret = priv_exe_safe(e);

		if (uret < 0)
			return uret;
		if (priv.engine_pid == 0)
			return priv_exec_self(e);	/* no split: this very process goes on as the new vded */
		priv.upgrade = true;
		return 0;
	}
	}
	return vde_error_set(e, PROTO_ERR_INVALID_REQUEST, EINVAL, "unknown privileged request");
}

/* ---- the parent ---- */

/* The capabilities the parent's acts need; everything else leaves every set, bounding included. */
static const cap_value_t priv_caps[] = {
	CAP_NET_ADMIN,		/* taps, links, addresses, forced socket buffers */
	CAP_NET_RAW,		/* the packet sockets of interface ports */
	CAP_SYS_ADMIN,		/* namespaces: unshare, setns, bind mounts in /run/netns */
	CAP_CHOWN, CAP_FOWNER,	/* endpoint directories get the engine's user and the network's group, */
	CAP_FSETID,		/* and setgid although the parent is not in that group */
	CAP_DAC_OVERRIDE,	/* remove endpoint directories (they belong to the engine's user) */
	CAP_SETUID, CAP_SETGID,	/* setfsuid/setfsgid/setgroups: connect as the client */
	CAP_KILL,		/* pass signals on to the engine (another uid) */
};
#define PRIV_NCAPS (sizeof(priv_caps) / sizeof(priv_caps[0]))

static int priv_parent_caps(void)
{
	cap_value_t keep[PRIV_NCAPS];
	unsigned n = 0;
	cap_flag_value_t setpcap = CAP_CLEAR;
	cap_t caps = cap_get_proc();
	int ret = 0;

	if (!caps)
		return -errno;
	/* Under systemd's CapabilityBoundingSet some are gone already: keep what is there. */
	for (size_t i = 0; i < PRIV_NCAPS; i++) {
		cap_flag_value_t v = CAP_CLEAR;
		if (cap_get_flag(caps, priv_caps[i], CAP_PERMITTED, &v) == 0 && v == CAP_SET)
			keep[n++] = priv_caps[i];
	}
	cap_get_flag(caps, CAP_SETPCAP, CAP_EFFECTIVE, &setpcap);
	cap_free(caps);
	for (cap_value_t c = 0; setpcap == CAP_SET && c <= CAP_LAST_CAP; c++) {
		bool kept = false;
		for (unsigned i = 0; i < n; i++)
			kept |= keep[i] == c;
		if (!kept && prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1 && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
			return -errno;
	}
	caps = cap_init();
	if (!caps)
		return -errno;
	if ((n && (cap_set_flag(caps, CAP_PERMITTED, (int)n, keep, CAP_SET) < 0 ||
		   cap_set_flag(caps, CAP_EFFECTIVE, (int)n, keep, CAP_SET) < 0)) ||
	    cap_set_proc(caps) < 0)
		ret = -errno;
	cap_free(caps);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	return ret;
}

/* Close every descriptor but the ones the parent works with (the engine has its own copies). */
static void priv_parent_close_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int self;

	if (!d)
		return;
	self = dirfd(d);
	while ((de = readdir(d))) {
		int fd = atoi(de->d_name);
		if (de->d_name[0] == '.' || fd <= 2 || fd == self || fd == priv.sock || fd == priv.netdir ||
		    keeper_holds(fd))
			continue;
		close(fd);
	}
	closedir(d);
}

static void priv_serve_one(void)
{
	struct priv_request req;
	struct priv_reply rep;
	struct vde_error e = { 0 };
	int fds[PRIV_MAX_FDS], out_fd = -1;
	unsigned nfds;
	ssize_t n = fdpass_recvv(priv.sock, &req, sizeof(req), fds, PRIV_MAX_FDS, &nfds);

	if (n == 0) {
		log_info("the engine closed its end: waiting for it to exit");
		close(priv.sock);
		priv.sock = -1;
		return;
	}
	memset(&rep, 0, sizeof(rep));
	if (n < 0)
		rep.err = vde_error_errno(&e, n, "request: %s", strerror((int)-n));
	else if ((size_t)n != sizeof(req))
		rep.err = vde_error_set(&e, PROTO_ERR_INVALID_REQUEST, EINVAL, "request of %zd bytes", n);
	else
		rep.err = priv_dispatch(&req, fds, nfds, &out_fd, &e);
	if (rep.err < 0) {
		snprintf(rep.message, sizeof(rep.message), "%s", e.message);
		/* the engine reports it to whoever asked; here only for debugging (no log flood) */
		log_debug("privileged request %u refused: %s", n == (ssize_t)sizeof(req) ? req.op : 0, e.message);
	}
	for (unsigned i = 0; i < nfds; i++)
		close(fds[i]);
	fdpass_sendv(priv.sock, &rep, sizeof(rep), &out_fd, out_fd >= 0 ? 1 : 0);
	if (out_fd >= 0)
		close(out_fd);
}

static int priv_exit_status(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	log_err("the engine died of signal %d", WTERMSIG(st));
	return 1;
}

/* Become the new vded: every kept descriptor at 3.. with its name ($LISTEN_FDS), same pid (so
 * systemd's main pid, and the engine's parent-death link, stay right). Returns only on failure. */
static int priv_exec_self(struct vde_error *e)
{
	sigset_t none;
	int ret;

	log_notice("upgrade: executing %s", priv.exe);
	ret = keeper_exec_prepare();
	if (ret < 0)
		return priv_fail(e, ret, "upgrade");
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execv(priv.exe, priv.argv);
	ret = -errno;
	log_err("upgrade: %s: %s", priv.exe, strerror(-ret));
	return priv_fail(e, ret, priv.exe);
}

/* Whether a crashed engine may be replaced: not while stopping, and not in a crash loop. */
static bool priv_may_respawn(int st, bool stopping)
{
	static time_t window[PRIV_RESPAWN_MAX];
	static unsigned next;
	time_t now = time(NULL);

	if (stopping || !WIFSIGNALED(st))
		return false;
	if (window[next] && now - window[next] < PRIV_RESPAWN_WINDOW) {
		log_err("%d engines crashed within %d s: giving up", PRIV_RESPAWN_MAX, PRIV_RESPAWN_WINDOW);
		return false;
	}
	window[next] = now;
	next = (next + 1) % PRIV_RESPAWN_MAX;
	return true;
}

/* Serve the engine until it exits. Returns (to fork a new one) only when it crashed and may be
 * replaced; otherwise exits with its status, or executes vded anew after `daemon upgrade`. */
static void priv_parent_run(int sfd)
{
	struct pollfd pfd[2];
	bool stopping = false;
	int st;

	for (;;) {
		pfd[0] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = priv.sock, .events = POLLIN };
		if (poll(pfd, priv.sock >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_err("poll: %s", strerror(errno));
			kill(priv.engine_pid, SIGKILL);
			_exit(1);
		}
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				if (si.ssi_signo == SIGCHLD) {
					if (waitpid(priv.engine_pid, &st, WNOHANG) != priv.engine_pid)
						continue;
					if (priv.sock >= 0)
						close(priv.sock);
					priv.sock = -1;
					if (priv.upgrade && !stopping) {
						struct vde_error e = { 0 };
						priv_exec_self(&e);
						_exit(1);	/* the store (systemd's) still has everything */
					}
					if (priv_may_respawn(st, stopping)) {
						priv.respawns++;
						log_err("the engine died of signal %d: starting a new one with every port",
							WTERMSIG(st));
						return;
					}
					priv_sd_notify("STOPPING=1");
					_exit(priv_exit_status(st));
				} else {
					stopping |= si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT;
					kill(priv.engine_pid, (int)si.ssi_signo);
				}
			}
		}
		if (priv.sock >= 0 && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)))
			priv_serve_one();
	}
}

/* Drop to the engine's user: no groups, no capability in any set, nothing to regain. */
static int priv_engine_drop(uid_t uid, gid_t gid)
{
	cap_t caps;

	/* Emptying the bounding set needs CAP_SETPCAP, which a systemd unit may not grant: best effort.
	 * With every set empty and NoNewPrivs, no exec can bring a capability back anyway. */
	for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++)
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1)
			prctl(PR_CAPBSET_DROP, c, 0, 0, 0);
	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		return -errno;
	caps = cap_init();		/* all clear; setresuid from 0 cleared them already */
	if (!caps)
		return -errno;
	if (cap_set_proc(caps) < 0) {
		cap_free(caps);
		return -errno;
	}
	cap_free(caps);
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (setuid(0) == 0)		/* paranoia: the way back must be shut */
		return -EPERM;
	return 0;
}

static int priv_open_netdir(const char *run_dir)
{
	struct stat st;

	if ((size_t)snprintf(priv.netdir_path, sizeof(priv.netdir_path), "%s/net", run_dir) >= sizeof(priv.netdir_path))
		return -ENAMETOOLONG;
	if (mkdir(priv.netdir_path, 0755) < 0 && errno != EEXIST)
		return -errno;
	priv.netdir = open(priv.netdir_path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (priv.netdir < 0)
		return -errno;
	/* only root may write here: every endpoint directory below is made, re-owned and removed by name */
	if (fstat(priv.netdir, &st) < 0)
		return -errno;
	if (geteuid() == 0 && (st.st_uid != 0 || (st.st_mode & 022))) {
		if (fchown(priv.netdir, 0, 0) < 0 || fchmod(priv.netdir, 0755) < 0)
			return -errno;
	}
	return 0;
}

/*
 * Under systemd, CAP_SYS_ADMIN says the admin turned namespaces on; they then only work if vded is in
 * the host's mount namespace (its bind mounts in /run/netns must reach everyone). A unit that grants
 * the capability but keeps ProtectSystem= and the other mount settings (half the netns drop-in) would
 * make namespaces nobody else sees: refuse to start, saying so. Returns 0 or -EPERM (logged).
 */
static int priv_check_unit(void)
{
	char self[64] = "", init[64] = "";
	ssize_t a, b;

	if (!getenv("INVOCATION_ID") || !priv_has_sys_admin())
		return 0;
	a = readlink("/proc/self/ns/mnt", self, sizeof(self) - 1);
	b = readlink("/proc/1/ns/mnt", init, sizeof(init) - 1);
	if (a > 0 && b > 0) {
		self[a] = init[b] = '\0';
		if (strcmp(self, init) == 0)
			return 0;
	} else {
		/* PID 1's namespace cannot be read (no CAP_SYS_PTRACE): the unit's mount settings show as a
		 * read-only /run (ProtectSystem=strict, ReadOnlyPaths=/run), where /run/netns must be made */
		struct statvfs sv;

		if (statvfs("/run", &sv) < 0 || !(sv.f_flag & ST_RDONLY))
			return 0;
	}
	log_err("the unit grants CAP_SYS_ADMIN (namespaces) but runs vded in a private mount namespace "
		"(ProtectSystem=, ReadOnlyPaths=, PrivateMounts=, ...): namespaces made here would be invisible "
		"outside. Apply the whole netns drop-in, or none of it (vded(8), NAMESPACES)");
	return -EPERM;
}

/* Fork one engine. In the child (the engine) returns 0; in the parent the engine's pid. */
static pid_t priv_fork_engine(int sfd)
{
	int sv[2], ret;
	pid_t pid, parent = getpid();

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		close(sv[0]);
		close(sv[1]);
		return ret;
	}
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &priv.old_mask, NULL);
		if (sfd >= 0)
			close(sfd);
		close(sv[0]);
		close(priv.netdir);
		priv.netdir = -1;
		priv.sock = sv[1];
		priv.split = true;
		priv.parent_pid = parent;
		ret = priv_engine_drop(priv.engine_uid, priv.engine_gid);
		if (ret < 0) {
			log_err("cannot drop to uid %u: %s", (unsigned)priv.engine_uid, strerror(-ret));
			_exit(1);
		}
		/* after the drop: a change of credentials clears the parent-death signal */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) < 0 || getppid() != parent)
			_exit(1);
		return 0;
	}
	close(sv[1]);
	priv.sock = sv[0];
	priv.engine_pid = pid;
	return pid;
}

int priv_split(const struct priv_setup *setup)
{
	int sfd, ret;
	sigset_t mask;
	pid_t pid;
	ssize_t n;

	ret = priv_init_inprocess(setup->run_dir);
	if (ret < 0) {
		log_err("%s: %s", priv.netdir_path, strerror(-ret));
		return ret;
	}
	priv.argv = setup->argv;
	n = readlink("/proc/self/exe", priv.exe, sizeof(priv.exe) - 1);
	priv.exe[n > 0 ? n : 0] = '\0';
	if (geteuid() != 0)
		return 0;	/* no split: requests run in-process, with what this user may do */
	if (setup->engine_uid == 0)
		return -EPERM;
	ret = priv_check_unit();
	if (ret < 0)
		return ret;
	priv.engine_uid = setup->engine_uid;
	priv.engine_gid = setup->engine_gid;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, &priv.old_mask);
	pid = priv_fork_engine(-1);
	if (pid <= 0) {
		if (pid < 0)
			sigprocmask(SIG_SETMASK, &priv.old_mask, NULL);
		return (int)pid;
	}
	/* the parent */
	priv_parent_close_fds();
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0) {
		log_err("signalfd: %s", strerror(errno));
		kill(pid, SIGKILL);
		_exit(1);
	}
	setgroups(0, NULL);
	ret = priv_parent_caps();
	if (ret < 0) {
		log_err("cannot narrow the privileged process's capabilities: %s", strerror(-ret));
		kill(pid, SIGKILL);
		_exit(1);
	}
	log_info("privileged process %d serving engine %d (uid %u)", (int)getpid(), (int)pid,
		 (unsigned)setup->engine_uid);
	for (;;) {
		priv_parent_run(sfd);
		/* the engine crashed: a new one, with every kept descriptor */
		pid = priv_fork_engine(sfd);
		if (pid == 0)
			return 0;
		if (pid < 0) {
			log_err("cannot start a new engine: %s", strerror((int)-pid));
			_exit(1);
		}
		log_notice("engine %d started (replacement %u)", (int)pid, priv.respawns);
	}
}

int priv_init_inprocess(const char *run_dir)
{
	priv.engine_uid = geteuid();
	priv.engine_gid = getegid();
	return priv_open_netdir(run_dir);
}

bool priv_inherited(unsigned i, const char **name)
{
	int fd;

	return keeper_entry(i, name, &fd);
}

int priv_inherited_take(unsigned i)
{
	const char *name;
	int fd;

	if (!keeper_entry(i, &name, &fd))
		return -1;
	/* with a split the engine's copy is its own (the parent holds another); in-process the table's
	 * copy is the only one and stays the table's */
	return priv.split ? fd : fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

unsigned priv_respawns(void)
{
	return priv.respawns;
}

pid_t priv_main_pid(void)
{
	return priv.split ? priv.parent_pid : getpid();
}

int priv_parent_fd(void)
{
	return priv.split ? priv.sock : -1;
}

/* ---- the engine's client ---- */

/* One request, one reply. fds_in are lent (not closed); *fd_out gets a passed fd or -1. */
static int priv_call(struct priv_request *req, const int *fds_in, unsigned nfds_in, int *fd_out,
		     struct vde_error *e)
{
	struct priv_reply rep;
	int fd = -1, ret;
	unsigned nfds = 0;
	ssize_t n;

	if (fd_out)
		*fd_out = -1;
	if (!priv.split) {
		ret = priv_dispatch(req, fds_in, nfds_in, &fd, e);
		if (ret == 0 && fd_out)
			*fd_out = fd;
		else if (fd >= 0)
			close(fd);
		return ret;
	}
	n = fdpass_sendv(priv.sock, req, sizeof(*req), fds_in, nfds_in);
	if (n == -EBADF || n == -EINVAL)	/* one of our own descriptors: a bug here, not a lost parent */
		return vde_error_errno(e, (int)n, "privileged request %u: %s", req->op, strerror((int)-n));
	if (n < 0)
		goto lost;
	n = fdpass_recvv(priv.sock, &rep, sizeof(rep), &fd, 1, &nfds);
	if (n != (ssize_t)sizeof(rep))
		goto lost;
	if (rep.err < 0) {
		if (nfds)
			close(fd);
		rep.message[sizeof(rep.message) - 1] = '\0';
		return vde_error_errno(e, rep.err, "%s", rep.message);
	}
	if (fd_out && nfds)
		*fd_out = fd;
	else if (nfds)
		close(fd);
	return 0;
lost:
	/* without its parent the engine can make nothing privileged: better to stop than to limp */
	log_err("the privileged process is gone (%s): exiting", n < 0 ? strerror((int)-n) : "short reply");
	exit(1);
}

int priv_tap_open(const struct priv_tap *t, int *fd, struct vde_error *e)
{
	struct priv_request r = { .op = PRIV_OP_TAP_OPEN };

	r.u.tap = *t;
	return priv_call(&r, NULL, 0, fd, e);
}

int priv_vxlan_create(const struct priv_vxlan *v, struct vde_error *e)
{
	struct priv_request r = { .op = PRIV_OP_VXLAN_CREATE };

	r.u.vxlan = *v;
	return priv_call(&r, NULL, 0, NULL, e);
}

int priv_vxlan_delete(const char *ifname, struct vde_error *e)
{
	struct priv_request r = { .op = PRIV_OP_VXLAN_DELETE };

	if (strlen(ifname) >= sizeof(r.u.vxlan.ifname))
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "interface name too long");
	memcpy(r.u.vxlan.ifname, ifname, strlen(ifname));
	return priv_call(&r, NULL, 0, NULL, e);
}

int priv_tap_delete(const char *ifname, struct vde_error *e)
{
	struct priv_request r = { .op = PRIV_OP_TAP_DELETE };

	if (strlen(ifname) >= sizeof(r.u.tap.ifname))
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "interface name too long");
	memcpy(r.u.tap.ifname, ifname, strlen(ifname));
	return priv_call(&r, NULL, 0, NULL, e);
}

int priv_packet_open(const char *ifname, unsigned ifindex, bool keep_ip, unsigned rcvbuf, int *fd,
		     struct vde_error *e)
{
	struct priv_request r = { .op = PRIV_OP_PACKET_OPEN };
	int ret;

	if (strlen(ifname) >= sizeof(r.u.packet.ifname))
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "interface name too long");
	memcpy(r.u.packet.ifname, ifname, strlen(ifname));
	r.u.packet.ifindex = ifindex;
	r.u.packet.keep_ip = keep_ip;
	r.u.packet.rcvbuf = rcvbuf;
	ret = priv_call(&r, NULL, 0, fd, e);
	if (ret == 0 && *fd < 0)
		return vde_error_set(e, PROTO_ERR_INTERNAL, EIO, "no packet socket came back");
	return ret;
}

static int priv_netns_call(uint32_t op, const char *name, bool reuse, struct vde_error *e)
{
	struct priv_request r = { .op = op };

	if (strlen(name) >= sizeof(r.u.netns.name))
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "namespace name too long");
	memcpy(r.u.netns.name, name, strlen(name));
	r.u.netns.reuse = reuse;
	return priv_call(&r, NULL, 0, NULL, e);
}

int priv_netns_create(const char *name, bool reuse, struct vde_error *e)
{
	return priv_netns_call(PRIV_OP_NETNS_CREATE, name, reuse, e);
}

int priv_netns_delete(const char *name, struct vde_error *e)
{
	return priv_netns_call(PRIV_OP_NETNS_DELETE, name, false, e);
}

static int priv_endpoint_call(uint32_t op, const char *name, uid_t owner, gid_t gid, unsigned mode, int *fd,
			      struct vde_error *e)
{
	struct priv_request r = { .op = op };

	r.u.endpoint.owner = (uint32_t)owner;
	if (strlen(name) >= sizeof(r.u.endpoint.name))
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "network name too long");
	memcpy(r.u.endpoint.name, name, strlen(name));
	r.u.endpoint.gid = (uint32_t)gid;
	r.u.endpoint.mode = mode;
	return priv_call(&r, NULL, 0, fd, e);
}

int priv_endpoint_make(const char *name, uid_t owner, gid_t gid, unsigned mode, int *out, struct vde_error *e)
{
	int ret = priv_endpoint_call(PRIV_OP_ENDPOINT_MAKE, name, owner, gid, mode, out, e);

	if (ret == 0 && *out < 0)
		return vde_error_set(e, PROTO_ERR_INTERNAL, EIO, "no directory came back");
	return ret;
}

int priv_endpoint_set(const char *name, uid_t owner, gid_t gid, unsigned mode, struct vde_error *e)
{
	return priv_endpoint_call(PRIV_OP_ENDPOINT_SET, name, owner, gid, mode, NULL, e);
}

int priv_endpoint_remove(const char *name, struct vde_error *e)
{
	return priv_endpoint_call(PRIV_OP_ENDPOINT_REMOVE, name, 0, 0, 0, NULL, e);
}

int priv_connect_as(int conn, int sock, const char *path, struct vde_error *e)
{
	struct priv_request r = { .op = PRIV_OP_CONNECT_AS };
	int fds[2] = { conn, sock };

	if (strlen(path) >= sizeof(r.u.connect.path))
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, ENAMETOOLONG, "client socket path too long");
	memcpy(r.u.connect.path, path, strlen(path));
	return priv_call(&r, fds, 2, NULL, e);
}

int priv_sockbuf(int sock, unsigned sndbuf, unsigned rcvbuf, struct vde_error *e)
{
	struct priv_request r = { .op = PRIV_OP_SOCKBUF };

	r.u.sockbuf.sndbuf = sndbuf;
	r.u.sockbuf.rcvbuf = rcvbuf;
	return priv_call(&r, &sock, 1, NULL, e);
}

void priv_ready(void)
{
	struct priv_request r = { .op = PRIV_OP_READY };

	priv_call(&r, NULL, 0, NULL, NULL);
}

int priv_lookup_user(const char *user, uid_t *uid, gid_t *gid)
{
	struct passwd *pw;
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(user, &end, 10);
	pw = *user && !*end && !errno ? getpwuid((uid_t)n) : getpwnam(user);
	if (!pw)
		return -ENOENT;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

int priv_keep(const char *name, int fd)
{
	struct priv_request r = { .op = PRIV_OP_KEEP };
	struct vde_error e = { 0 };

	if ((size_t)snprintf(r.u.keep.name, sizeof(r.u.keep.name), "%s", name) >= sizeof(r.u.keep.name))
		return -ENAMETOOLONG;
	return priv_call(&r, &fd, 1, NULL, &e);
}

void priv_forget(const char *name)
{
	struct priv_request r = { .op = PRIV_OP_FORGET };
	struct vde_error e = { 0 };

	if ((size_t)snprintf(r.u.keep.name, sizeof(r.u.keep.name), "%s", name) < sizeof(r.u.keep.name))
		priv_call(&r, NULL, 0, NULL, &e);
}

int priv_upgrade(struct vde_error *e)
{
	struct priv_request r = { .op = PRIV_OP_UPGRADE };

	return priv_call(&r, NULL, 0, NULL, e);
}
