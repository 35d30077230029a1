#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/if_tun.h>

#include "log.h"
#include "network.h"
#include "tap.h"
#include "vnl.h"

struct tap_port {
	char ifname[IFNAMSIZ];
	char netns[64];			/* "" = vded's own namespace */
};

static void tap_port_destroy(struct port *p)
{
	free(p->kind_data);
	p->kind_data = NULL;
}

static void tap_port_describe(const struct port *p, struct json_object *o)
{
	const struct tap_port *tp = p->kind_data;

	json_object_object_add(o, "ifname", json_object_new_string(tp->ifname));
	if (tp->netns[0])
		json_object_object_add(o, "netns", json_object_new_string(tp->netns));
}

static const struct port_ops tap_port_ops = {
	.kind = "tap",
	.describe = tap_port_describe,
	.recv_batch = port_rw_recv_batch,
	.send_batch = port_rw_send_batch,
	.destroy = tap_port_destroy,
};

bool tap_valid_ifname(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len >= IFNAMSIZ || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (size_t i = 0; i < len; i++)
		if (name[i] == '/' || name[i] == ':' || (unsigned char)name[i] <= ' ' || name[i] == 0x7f)
			return false;
	return true;
}

const char *tap_ifname(const struct port *p)
{
	return p->ops == &tap_port_ops ? ((struct tap_port *)p->kind_data)->ifname : NULL;
}

struct port *tap_find_ns(struct network *net, const char *ns, const char *ifname)
{
	for (struct port *p = net->port_list; p; p = p->net_next) {
		struct tap_port *tp = p->kind_data;
		if (!p->dead && p->ops == &tap_port_ops && strcmp(tp->ifname, ifname) == 0 && strcmp(tp->netns, ns) == 0)
			return p;
	}
	return NULL;
}

struct port *tap_find(struct network *net, const char *ifname)
{
	return tap_find_ns(net, "", ifname);
}

struct tap_open_ctx {
	const struct tap_spec *spec;
	int fd;
	int err;
	const char *what;
};

/* Runs inside the target namespace: the tap is created where /dev/net/tun is opened. */
static int tap_open_here(void *arg)
{
	struct tap_open_ctx *c = arg;
	struct ifreq ifr = { 0 };

	if (if_nametoindex(c->spec->ifname)) {
		c->what = "an interface of that name exists";
		return c->err = -EEXIST;
	}
	c->fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (c->fd < 0) {
		c->what = "/dev/net/tun";
		return c->err = -errno;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", c->spec->ifname);
	/* with a virtio-net header and TSO, a TCP stream between two of vded's taps crosses vded in
	 * 64 KiB pieces (see offload.h) */
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(c->fd, TUNSETIFF, &ifr) < 0) {
		c->what = "TUNSETIFF";
		goto fail;
	}
	if (ioctl(c->fd, TUNSETOFFLOAD, (unsigned long)(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN)) < 0) {
		c->what = "TUNSETOFFLOAD";
		goto fail;
	}
	if (c->spec->has_owner && ioctl(c->fd, TUNSETOWNER, (unsigned long)c->spec->owner) < 0) {
		c->what = "TUNSETOWNER";
		goto fail;
	}
	return 0;
fail:
	c->err = -errno;
	close(c->fd);
	c->fd = -1;
	return c->err;
}

int tap_add(struct network *net, const struct tap_spec *spec, struct port **out, struct vde_error *e)
{
	struct tap_open_ctx c = { .spec = spec, .fd = -1 };
	struct nl_sock *sk = NULL;
	struct tap_port *tp;
	struct port *p = NULL;
	int ret;

	if (!tap_valid_ifname(spec->ifname))
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "'%s' is not a valid interface name",
				     spec->ifname);
	for (unsigned i = 0; i < spec->naddrs; i++)
		if (!vnl_cidr_valid(spec->addrs[i]))
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL,
					     "'%s' is not an address with a prefix length (CIDR)", spec->addrs[i]);
	if (spec->mtu && (spec->mtu < 68 || spec->mtu > 9216))
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "mtu %u is out of range (68..9216)", spec->mtu);
	tp = calloc(1, sizeof(*tp));
	if (!tp)
		return vde_error_set(e, PROTO_ERR_INTERNAL, ENOMEM, "out of memory");
	snprintf(tp->ifname, sizeof(tp->ifname), "%s", spec->ifname);
	snprintf(tp->netns, sizeof(tp->netns), "%s", spec->netns ? spec->netns : "");
	ret = vnl_in_netns(spec->netns_fd, tap_open_here, &c);
	if (ret < 0 || c.fd < 0) {
		free(tp);
		ret = ret < 0 ? ret : c.err;
		if (ret == -EEXIST)
			return vde_error_set(e, PROTO_ERR_EXISTS, EEXIST, "interface '%s' already exists", spec->ifname);
		return vde_error_errno(e, ret, "tap '%s': %s: %s", spec->ifname, c.what ? c.what : "namespace",
				       strerror(-ret));
	}
	/* configure before bridging, so a failure leaves nothing behind: closing the fd removes the tap */
	sk = vnl_open(spec->netns_fd);
	if (!sk) {
		ret = vde_error_errno(e, errno, "netlink: %s", strerror(errno));
		goto fail;
	}
	if (spec->mtu || spec->mac || spec->up) {
		ret = vnl_link_set(sk, spec->ifname, spec->mtu, spec->mac, spec->up);
		if (ret < 0) {
			vde_error_errno(e, ret, "tap '%s': setting link: %s", spec->ifname, strerror(-ret));
			goto fail;
		}
	}
	for (unsigned i = 0; i < spec->naddrs; i++) {
		ret = vnl_addr_add(sk, spec->ifname, spec->addrs[i]);
		if (ret < 0) {
			vde_error_errno(e, ret, "tap '%s': address %s: %s", spec->ifname, spec->addrs[i], strerror(-ret));
			goto fail;
		}
	}
	vnl_close(sk);
	sk = NULL;
	ret = network_port_add(net, c.fd, &tap_port_ops, 0, &p, e);
	c.fd = -1;		/* the port owns it now, or network_port_add closed it */
	if (ret < 0) {
		free(tp);
		return ret;
	}
	p->kind_data = tp;
	p->vnet = true;
	if (spec->netns)
		snprintf(p->description, sizeof(p->description), "ns %s %s", spec->netns, spec->ifname);
	else
		snprintf(p->description, sizeof(p->description), "tap %s", spec->ifname);
	log_info("network %s: port %u: tap %s", net->def.name, p->id, spec->ifname);
	if (out)
		*out = p;
	return 0;
fail:
	vnl_close(sk);
	if (c.fd >= 0)
		close(c.fd);
	free(tp);
	return ret;
}
