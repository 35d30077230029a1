/* ifport — see ifport.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "backends/ifport.h"
#include "dataplane/network.h"
#include "keep.h"
#include "log.h"
#include "priv/priv.h"
#include "priv/vnl.h"
#include "proto.h"

#define IFPORT_RCVBUF (4 << 20)

struct ifport {
	struct ifport_spec spec;
	unsigned ifindex;
};

static struct {
	int fd;
	ev_io io;
	void (*appeared)(const char *ifname);
	unsigned long gone;
} ifw = { .fd = -1 };

static void ifport_destroy(struct port *p)
{
	free(p->kind_data);
	p->kind_data = NULL;
}

static void ifport_describe(const struct port *p, struct json_object *o)
{
	const struct ifport *ip = p->kind_data;

	json_object_object_add(o, "ifname", json_object_new_string(ip->spec.ifname));
	json_object_object_add(o, "ifindex", json_object_new_int64(ip->ifindex));
	json_object_object_add(o, "transient", json_object_new_boolean(ip->spec.transient));
	json_object_object_add(o, "keep_ip", json_object_new_boolean(ip->spec.keep_ip));
	if (ip->spec.vm_tap)
		json_object_object_add(o, "vm_tap", json_object_new_boolean(true));
}

/* A link set down reports ENETDOWN once on the socket (the kernel's packet notifier): that is no
 * reason to drop the port, which gets frames again when the link comes back. Its removal is seen
 * through the link events. */
static int ifport_recv_batch(struct port *p, struct port_rxbatch *b)
{
	int n = port_rx_recvmmsg(b, p->fd);

	return n == -ENETDOWN || n == -ENXIO ? 0 : n;
}

static const struct port_ops ifport_ops = {
	.kind = "interface",
	.describe = ifport_describe,
	.recv_batch = ifport_recv_batch,
	.send_batch = port_dgram_send_batch,
	.destroy = ifport_destroy,
};

int ifport_lookup(const char *ifname, struct ifport_info *info)
{
	struct vnl_link_info li;
	int ret;

	memset(info, 0, sizeof(*info));
	if (!proto_valid_ifname(ifname))
		return -EINVAL;
	ret = vnl_link_query(ifname, &li);
	if (ret < 0)
		return ret;
	info->ifindex = (unsigned)li.ifindex;
	info->is_tun = li.is_tun;
	info->persist = li.persist;
	info->has_owner = li.has_owner;
	info->owner = (uid_t)li.owner;
	return 0;
}

const char *ifport_ifname(const struct port *p)
{
	return p->ops == &ifport_ops ? ((struct ifport *)p->kind_data)->spec.ifname : NULL;
}

const struct ifport_spec *ifport_spec_of(const struct port *p)
{
	return p->ops == &ifport_ops ? &((struct ifport *)p->kind_data)->spec : NULL;
}

struct port *ifport_find(struct network *net, const char *ifname)
{
	for (struct port *p = net->port_list; p; p = p->net_next)
		if (!p->dead && p->ops == &ifport_ops && strcmp(((struct ifport *)p->kind_data)->spec.ifname, ifname) == 0)
			return p;
	return NULL;
}

struct port *ifport_find_any(const char *ifname)
{
	for (struct network *net = network_first(); net; net = net->next) {
		struct port *p = ifport_find(net, ifname);
		if (p)
			return p;
	}
	return NULL;
}

int ifport_add(struct network *net, const struct ifport_spec *spec, const struct ifport_info *info,
	       struct port **out, struct vde_error *e)
{
	struct ifport *ip;
	struct port *p = NULL, *other;
	int fd = -1, ret;

	if (!proto_valid_ifname(spec->ifname))
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "'%s' is not a valid interface name",
				     spec->ifname);
	other = ifport_find_any(spec->ifname);
	if (other)
		return vde_error_set(e, PROTO_ERR_EXISTS, EEXIST, "interface '%s' is port %u of network '%s' already",
				     spec->ifname, other->id, other->net->def.name);
	ip = calloc(1, sizeof(*ip));
	if (!ip)
		return vde_error_set(e, PROTO_ERR_INTERNAL, ENOMEM, "out of memory");
	ip->spec = *spec;
	ip->ifindex = info->ifindex;
	/* an engine restart: the previous life's packet socket is kept, still bound to the interface, if
	 * that is the same interface (its index: one deleted and made again meanwhile is another) */
	char name[128];
	unsigned id = 0;
	struct json_object *rec = keep_port_find(net, ifport_ops.kind, spec->ifname, &id);

	if (rec && (unsigned)keep_rec_int(rec, "ifindex", 0) == info->ifindex) {
		keep_port_name(name, sizeof(name), net->def.name, id, "d");
		fd = keep_claim(name);
	}
	if (fd < 0) {
		rec = NULL;
		/* 64 KiB GSO frames: where rmem_max is small (212992 by default) an admin's port still gets room
		 * for a TCP window of them; a user's is held to rmem_max like any of its sockets (V10) */
		ret = priv_packet_open(spec->ifname, info->ifindex, spec->keep_ip, spec->admin ? IFPORT_RCVBUF : 0,
				       &fd, e);
		if (ret < 0) {
			free(ip);
			return ret;
		}
	}
	/* a TCP stream arrives in 64 KiB GSO frames: the default receive buffer holds three of them. Plain
	 * SO_RCVBUF and SO_SNDBUF (V10): the kernel caps them at rmem_max and wmem_max */
	int rcv = IFPORT_RCVBUF;

	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	port_dgram_setup(fd);
	ret = network_port_add(net, fd, &ifport_ops, rec && !net->ports[id] ? id : 0, &p, e);
	if (ret < 0) {		/* network_port_add closed fd */
		free(ip);
		return ret;
	}
	p->kind_data = ip;
	/* frames cross with their virtio-net header: GSO frames stay whole to offload-aware ports */
	p->vnet = true;
	if (spec->vm_tap)
		snprintf(p->description, sizeof(p->description), "VM tap %s", spec->ifname);
	else
		snprintf(p->description, sizeof(p->description), "interface %s%s", spec->ifname,
			 spec->transient ? " (transient)" : "");
	if (rec) {
		keep_port_claimed(p, rec);	/* on its old id, or kept again under a new one */
	} else {
		struct json_object *extra = json_object_new_object();

		/* what ifport_restore needs to bring a transient port back after an engine restart */
		json_object_object_add(extra, "ifindex", json_object_new_int64(info->ifindex));
		json_object_object_add(extra, "transient", json_object_new_int(spec->transient));
		json_object_object_add(extra, "keep_ip", json_object_new_int(spec->keep_ip));
		json_object_object_add(extra, "vm_tap", json_object_new_int(spec->vm_tap));
		json_object_object_add(extra, "admin", json_object_new_int(spec->admin));
		keep_port(p, spec->ifname, extra);
	}
	log_info("network %s: port %u: interface %s (index %u)%s%s", net->def.name, p->id, spec->ifname,
		 info->ifindex, spec->keep_ip ? ", addresses kept" : "", rec ? " (kept)" : "");
	if (out)
		*out = p;
	return 0;
}

/* One transient interface port of the previous life (a saved one comes back through port.add). */
static void ifport_restore_one(struct network *net, unsigned id, struct json_object *rec, void *ctx)
{
	const char *ifname = keep_rec_str(rec, "key");
	struct ifport_spec spec = { .transient = true };
	struct ifport_info info;
	struct vde_error e = { 0 };
	struct port *p;

	if (!ifname || !keep_rec_int(rec, "transient", 0) || snprintf(spec.ifname, sizeof(spec.ifname), "%s", ifname) >= (int)sizeof(spec.ifname))
		return;
	spec.keep_ip = keep_rec_int(rec, "keep_ip", 0) != 0;
	spec.vm_tap = keep_rec_int(rec, "vm_tap", 0) != 0;
	spec.admin = keep_rec_int(rec, "admin", 0) != 0;
	/* gone while no engine watched: its socket is closed by keep_finish */
	if (ifport_lookup(ifname, &info) < 0 || (unsigned)keep_rec_int(rec, "ifindex", 0) != info.ifindex)
		return;
	if (ifport_add(net, &spec, &info, &p, &e) < 0)
		log_warn("network %s: interface port %s could not come back: %s", net->def.name, ifname, e.message);
}

void ifport_restore(struct network *net)
{
	keep_port_foreach(net, ifport_ops.kind, ifport_restore_one, NULL);
}

unsigned long ifport_gone_count(void)
{
	return ifw.gone;
}

/* The interface of index ifindex is gone, or is another one now (renamed): its ports go. */
static void ifport_link_gone(unsigned ifindex, const char *why)
{
	for (struct network *net = network_first(); net; net = net->next)
		for (struct port *p = net->port_list; p; p = p->net_next) {
			struct ifport *ip = p->kind_data;
			if (p->dead || p->ops != &ifport_ops || ip->ifindex != ifindex)
				continue;
			ifw.gone++;
			log_notice("network %s: port %u: interface %s %s: port removed", net->def.name, p->id,
				   ip->spec.ifname, why);
			network_port_kill(p);
		}
}

static void ifport_link_event(const struct nlmsghdr *h)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*ifi));
	char name[IFNAMSIZ] = "";

	if (len < 0 || ifi->ifi_index <= 0)
		return;
	for (const struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		size_t n = RTA_PAYLOAD(a);
		if (a->rta_type != IFLA_IFNAME || n == 0)
			continue;
		if (n > sizeof(name))
			n = sizeof(name);
		memcpy(name, RTA_DATA(a), n);
		name[sizeof(name) - 1] = '\0';
	}
	if (h->nlmsg_type == RTM_DELLINK) {
		ifport_link_gone((unsigned)ifi->ifi_index, "removed");
		return;
	}
	if (!name[0] || !proto_valid_ifname(name))
		return;
	/* a port's interface renamed: the name it was taken by now means another one */
	for (struct network *net = network_first(); net; net = net->next)
		for (struct port *p = net->port_list; p; p = p->net_next) {
			struct ifport *ip = p->kind_data;
			if (!p->dead && p->ops == &ifport_ops && ip->ifindex == (unsigned)ifi->ifi_index &&
			    strcmp(ip->spec.ifname, name) != 0)
				ifport_link_gone(ip->ifindex, "renamed");
		}
	if (ifw.appeared && !ifport_find_any(name))
		ifw.appeared(name);
}

static void ifport_netlink_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	/* aligned for the headers read from it */
	static union {
		struct nlmsghdr h;
		char buf[16384];
	} u;

	for (unsigned round = 0; round < 16; round++) {
		struct sockaddr_nl from = { 0 };
		socklen_t fromlen = sizeof(from);
		ssize_t n = recvfrom(ifw.fd, u.buf, sizeof(u.buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fromlen);

		if (n < 0) {
			if (errno == ENOBUFS)
				log_warn("link events: some were lost (receive buffer full)");
			else if (errno != EAGAIN && errno != EINTR)
				log_warn("link events: %s", strerror(errno));
			if (errno != ENOBUFS)
				return;
			continue;
		}
		if (from.nl_pid != 0)
			continue;	/* only the kernel speaks of links */
		for (struct nlmsghdr *h = &u.h; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n))
			if ((h->nlmsg_type == RTM_NEWLINK || h->nlmsg_type == RTM_DELLINK) &&
			    h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct ifinfomsg)))
				ifport_link_event(h);
	}
}

int ifport_watch(void (*appeared)(const char *ifname))
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };

	if (appeared)
		ifw.appeared = appeared;
	if (ifw.fd >= 0)
		return 0;
	ifw.fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (ifw.fd < 0)
		return -errno;
	if (bind(ifw.fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int ret = -errno;
		close(ifw.fd);
		ifw.fd = -1;
		return ret;
	}
	ev_io_init(&ifw.io, ifport_netlink_cb, ifw.fd, EV_READ);
	ev_io_start(network_loop(), &ifw.io);
	return 0;
}
