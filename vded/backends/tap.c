#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keep.h"
#include "log.h"
#include "dataplane/network.h"
#include "priv/priv.h"
#include "proto.h"
#include "backends/ifport.h"
#include "backends/tap.h"
#include "priv/vnl.h"

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
	return proto_valid_ifname(name);
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

/*
 * What tells this host from the others of a cloud: /etc/machine-id (systemd's, world-readable), else
 * the host name. Without it every host doing `tap add cloud vx0` would give its tap the same MAC.
 */
static const char *tap_host_id(void)
{
	static char id[72];
	static bool loaded;

	if (!loaded) {
		FILE *f = fopen("/etc/machine-id", "re");

		loaded = true;
		if (!f || !fgets(id, sizeof(id), f))
			if (gethostname(id, sizeof(id) - 1) < 0)
				id[0] = '\0';
		if (f)
			fclose(f);
		id[strcspn(id, "\n")] = '\0';
	}
	return id;
}

void tap_stable_mac(const char *key, unsigned i, uint8_t mac[6])
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */

	for (const char *c = tap_host_id(); *c; c++)
		h = (h ^ (uint8_t)*c) * 0x100000001b3ULL;
	h = (h ^ 0xff) * 0x100000001b3ULL;	/* a separator: "ab"+"c" is not "a"+"bc" */
	for (const char *c = key; *c; c++)
		h = (h ^ (uint8_t)*c) * 0x100000001b3ULL;
	h = (h ^ (i + 1)) * 0x100000001b3ULL;
	mac[0] = 0x02;
	for (int k = 1; k < 6; k++)
		mac[k] = (uint8_t)(h >> (8 * k));
}

bool tap_is_vm(const struct port *p)
{
	const struct ifport_spec *s = ifport_spec_of(p);

	return s && s->vm_tap;
}

/* A VM tap: made persistent by the parent (no fd kept), then taken as an interface port. */
static int tap_add_vm(struct network *net, const struct tap_spec *spec, struct priv_tap *req, struct port **out,
		      struct vde_error *e)
{
	struct ifport_spec is = { .transient = true, .vm_tap = true, .admin = true };	/* tap.add is admins' */
	struct ifport_info info;
	int fd = -1, ret;

	if (spec->netns)
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "a VM tap is made in vded's own namespace");
	req->persist = 1;
	req->multi_queue = spec->multi_queue;
	req->has_group = spec->has_group;
	req->group = spec->has_group ? (uint32_t)spec->group : 0;
	req->up = 1;
	if (ifport_lookup(spec->ifname, &info) == 0) {
		/* after a restart the persistent tap is there, maybe with a VM on it: keep it as it is */
		if (!spec->reuse || !info.is_tun || !info.persist)
			return vde_error_set(e, PROTO_ERR_EXISTS, EEXIST, "interface '%s' already exists", spec->ifname);
	} else {
		ret = priv_tap_open(req, &fd, e);
		if (ret < 0)
			return ret;
		if (fd >= 0)
			close(fd);
		if (ifport_lookup(spec->ifname, &info) < 0)
			return vde_error_set(e, PROTO_ERR_INTERNAL, ENODEV, "tap '%s' vanished as it was made", spec->ifname);
	}
	snprintf(is.ifname, sizeof(is.ifname), "%s", spec->ifname);
	ret = ifport_add(net, &is, &info, out, e);
	if (ret < 0 && !spec->reuse)
		priv_tap_delete(spec->ifname, NULL);
	return ret;
}

int tap_remove_vm(struct network *net, const char *ifname, struct vde_error *e)
{
	struct port *p = ifport_find(net, ifname);
	int ret;

	if (p && tap_is_vm(p))
		network_port_kill(p);
	ret = priv_tap_delete(ifname, e);
	return ret == -ENODEV ? 0 : ret;	/* gone already: what was asked */
}

int tap_add(struct network *net, const struct tap_spec *spec, struct port **out, struct vde_error *e)
{
	struct priv_tap req = { .owner = (uint32_t)-1 };
	struct tap_port *tp;
	struct port *p = NULL;
	int fd = -1, ret;

	if (!tap_valid_ifname(spec->ifname))
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "'%s' is not a valid interface name",
				     spec->ifname);
	if (spec->naddrs > TAP_MAX_ADDRS)
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "at most %d addresses", TAP_MAX_ADDRS);
	for (unsigned i = 0; i < spec->naddrs; i++)
		if (!vnl_cidr_valid(spec->addrs[i]))
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL,
					     "'%s' is not an address with a prefix length (CIDR)", spec->addrs[i]);
	if (spec->mtu && (spec->mtu < 68 || spec->mtu > 9216))
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "mtu %u is out of range (68..9216)", spec->mtu);
	if (spec->netns && strlen(spec->netns) >= sizeof(req.netns))
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "namespace name too long");
	snprintf(req.ifname, sizeof(req.ifname), "%s", spec->ifname);
	snprintf(req.netns, sizeof(req.netns), "%s", spec->netns ? spec->netns : "");
	if (spec->has_owner)
		req.owner = (uint32_t)spec->owner;
	req.mtu = spec->mtu;
	req.up = spec->up;
	if (spec->mac) {
		req.has_mac = 1;
		memcpy(req.mac, spec->mac, 6);
	}
	req.naddrs = spec->naddrs;
	for (unsigned i = 0; i < spec->naddrs; i++)
		snprintf(req.addrs[i], sizeof(req.addrs[i]), "%s", spec->addrs[i]);
	if (spec->gateway)
		snprintf(req.gateway, sizeof(req.gateway), "%s", spec->gateway);
	if (spec->for_vm) {
		/* its addresses would be the host's on the VM's network: not asked for */
		if (spec->naddrs)
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "a VM tap takes no addresses");
		return tap_add_vm(net, spec, &req, out, e);
	}
	tp = calloc(1, sizeof(*tp));
	if (!tp)
		return vde_error_set(e, PROTO_ERR_INTERNAL, ENOMEM, "out of memory");
	snprintf(tp->ifname, sizeof(tp->ifname), "%s", spec->ifname);
	snprintf(tp->netns, sizeof(tp->netns), "%s", spec->netns ? spec->netns : "");
	/* a restart: the tap is still there, with its MAC, addresses, routes and bridge, held by its
	 * kept descriptor; it comes back on its old port id */
	char key[PRIV_NAME_MAX + PRIV_IFNAME_MAX + 2], name[128];
	unsigned id = 0;
	struct json_object *rec;

	snprintf(key, sizeof(key), "%s/%s", tp->netns, tp->ifname);
	rec = keep_port_find(net, "tap", key, &id);
	if (rec) {
		keep_port_name(name, sizeof(name), net->def.name, id, "d");
		fd = keep_claim(name);
	}
	if (fd < 0) {
		rec = NULL;
		/* made and configured by the privileged process; closing the fd removes the tap */
		ret = priv_tap_open(&req, &fd, e);
		if (ret < 0) {
			free(tp);
			return ret;
		}
	}
	ret = network_port_add(net, fd, &tap_port_ops, rec && !net->ports[id] ? id : 0, &p, e);
	if (ret < 0) {		/* network_port_add closed fd */
		free(tp);
		return ret;
	}
	p->kind_data = tp;
	p->vnet = true;
	if (spec->netns)
		snprintf(p->description, sizeof(p->description), "ns %s %s", spec->netns, spec->ifname);
	else
		snprintf(p->description, sizeof(p->description), "tap %s", spec->ifname);
	if (rec)
		keep_port_claimed(p, rec);	/* on its old id, or kept again under a new one */
	else
		keep_port(p, key, NULL);
	log_info("network %s: port %u: tap %s%s", net->def.name, p->id, spec->ifname, rec ? " (kept)" : "");
	if (out)
		*out = p;
	return 0;
}
