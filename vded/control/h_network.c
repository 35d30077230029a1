/* network.create, .set, .delete, .list, .show: the networks themselves and their definitions. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "control/events.h"
#include "control/handlers.h"
#include "subnet.h"
#include "control/policy.h"
#include "control/store.h"
#include "log.h"
#include "backends/slirp.h"
#include "backends/vxseal.h"
#include "backends/vxlan.h"
#include "backends/vxvde.h"

/*
 * The group of a new or changed network: the one asked for (a caller who is not an admin must be a
 * member, as with chgrp), else the creator's primary group — except for root and the config file,
 * whose networks get the control socket's group so that vded's users can use them.
 */
static int network_pick_group(const struct method_args *a, const struct request_ctx *ctx, gid_t *gid,
			      struct vde_error *e)
{
	const struct peer *peer = ctx->peer;
	int ret;

	if (!(a->present & PARAM_GROUP)) {
		*gid = peer && peer->uid != 0 ? peer->gid : policy_config()->socket_group;
		return 0;
	}
	ret = policy_resolve_group(a->group, gid);
	if (ret < 0)
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "group '%s' does not exist", a->group);
	if (peer && peer->uid != 0 && !policy_peer_in_group(peer, *gid) &&
	    !policy_peer_in_group(peer, policy_config()->admin_group))
		return vde_error_set(e, PROTO_ERR_PERMISSION, EACCES,
				     "uid %u is not a member of group '%s' and cannot give it a network",
				     (unsigned)peer->uid, a->group);
	return 0;
}

/* The configured vxvde peers of a (the given texts) into vx->peers and def; admins only: a peer aims
 * vded's own datagrams at an address. */
static int network_vxvde_peers(const struct method_args *a, const struct request_ctx *ctx, struct network_def *def,
			       struct vxvde_spec *vx, struct vde_error *e)
{
	if (ctx->peer && !policy_peer_is_admin(ctx->peer))
		return vde_error_set(e, PROTO_ERR_PERMISSION, EACCES,
				     "only admins may give a network vxvde peers (uid %u is not one)", (unsigned)ctx->peer->uid);
	vx->npeers = 0;
	for (unsigned i = 0; i < a->npeers; i++) {
		int ret = vxvde_parse_peer(a->peers[i], vx);

		if (ret < 0)
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL,
					     "peer '%s' is not a unicast address of the group's family (ADDR, ADDR:PORT, [IPV6]:PORT)",
					     a->peers[i]);
	}
	def->npeers = a->npeers;
	for (unsigned i = 0; i < a->npeers; i++)
		snprintf(def->peers[i], sizeof(def->peers[i]), "%s", a->peers[i]);
	return 0;
}

/* The vxvde uplink asked for at creation, checked before anything is made. */
static int network_vxvde_spec(const struct method_args *a, const struct request_ctx *ctx, struct network_def *def,
			      struct vxvde_spec *vx, struct vde_error *e)
{
	int ret;

	memset(vx, 0, sizeof(*vx));
	if (!(a->present & PARAM_VXVDE)) {
		if (a->present & (PARAM_VNI | PARAM_TTL | PARAM_PEERS | PARAM_PEER_PORT | PARAM_KEY | PARAM_ENCRYPT) ||
		    (a->present & (PARAM_INTERFACE | PARAM_VXLAN)) == PARAM_INTERFACE)
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL,
					     "'vni', 'ttl', 'interface', 'peers', 'peer_port', 'key' and 'encrypt' need 'vxvde'");
		return 0;
	}
	if (vxvde_parse_group(a->vxvde, vx) < 0)
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL,
				     "vxvde '%s' is not a multicast group (GROUP, GROUP:PORT or [IPV6]:PORT)", a->vxvde);
	vx->vni = a->present & PARAM_VNI ? a->vni : VXVDE_DEFAULT_VNI;
	vx->ttl = a->present & PARAM_TTL ? a->ttl : VXVDE_DEFAULT_TTL;
	snprintf(vx->ifname, sizeof(vx->ifname), "%s", a->interface);
	if ((a->present & PARAM_PEERS) && (ret = network_vxvde_peers(a, ctx, def, vx, e)) < 0)
		return ret;
	if (a->present & PARAM_PEER_PORT) {
		/* a fixed port for others to reach: admins only, like peers (it takes a port of the host) */
		if (ctx->peer && !policy_peer_is_admin(ctx->peer))
			return vde_error_set(e, PROTO_ERR_PERMISSION, EACCES, "only admins may give a network a peer_port");
		vx->peer_port = def->peer_port = a->peer_port;
	}
	if (a->present & PARAM_ENCRYPT && !(a->present & PARAM_KEY))
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "'encrypt' needs 'key'");
	if (a->present & PARAM_KEY) {
		/* the key came in the request (vdectl read the key file with its user's rights) */
		if (vxseal_parse_key(a->key, vx->key) < 0)
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "'key' must be 64 hex digits (32 bytes)");
		vx->keyed = true;
		vx->encrypt = def->encrypt = a->encrypt;
		for (int i = 0; i < VXVDE_KEYLEN; i++)
			snprintf(def->key + 2 * i, 3, "%02x", vx->key[i]);
	}
	snprintf(def->vxvde, sizeof(def->vxvde), "%s", a->vxvde);
	def->vni = vx->vni;
	def->ttl = vx->ttl;
	snprintf(def->vxvde_if, sizeof(def->vxvde_if), "%s", a->interface);
	return 0;
}

/* The kernel VXLAN uplink asked for at creation (admins only: it makes a host interface). */
static int network_vxlan_spec(const struct method_args *a, const struct request_ctx *ctx, struct network_def *def,
			      struct vxlan_spec *xs, struct vde_error *e)
{
	memset(xs, 0, sizeof(*xs));
	if (!(a->present & PARAM_VXLAN)) {
		if (a->present & (PARAM_REMOTE | PARAM_DSTPORT | PARAM_MTU))
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "'remote', 'dstport' and 'mtu' need 'vxlan'");
		return 0;
	}
	if (ctx->peer && !policy_peer_is_admin(ctx->peer))
		return vde_error_set(e, PROTO_ERR_PERMISSION, EACCES,
				     "only admins may give a network a VXLAN device (uid %u is not one)", (unsigned)ctx->peer->uid);
	if (!(a->present & PARAM_REMOTE))
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "'vxlan' needs 'remote' (a VTEP or a group)");
	if (vxlan_spec_init(xs, a->vxlan, a->remote, a->present & PARAM_DSTPORT ? a->dstport : VXLAN_DEFAULT_PORT,
			    a->interface, a->present & PARAM_MTU ? a->mtu : 0) < 0)
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL,
				     "remote '%s' is not an IPv4 or IPv6 address (a group needs 'interface')", a->remote);
	def->vxlan = true;
	def->vxlan_vni = xs->vni;
	def->dstport = xs->dstport;
	def->vxlan_mtu = xs->mtu;
	snprintf(def->remote, sizeof(def->remote), "%s", a->remote);
	if (!(a->present & PARAM_VXVDE))
		snprintf(def->vxvde_if, sizeof(def->vxvde_if), "%s", a->interface);
	return 0;
}

/* The slirp NAT asked for at creation, checked before anything is made. */
static int network_slirp_spec(const struct method_args *a, struct network_def *def, struct slirp_spec *sl,
			      struct vde_error *e)
{
	memset(sl, 0, sizeof(*sl));
	if (!a->slirp) {
		if (a->present & (PARAM_SUBNET | PARAM_IPV6 | PARAM_DNS))
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "'subnet', 'ipv6' and 'dns' need 'slirp'");
		return 0;
	}
	if (slirp_parse_subnet(a->present & PARAM_SUBNET ? a->subnet : PARAMS_DEFAULT_SUBNET, sl) < 0)
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL,
				     "subnet '%s' is not an IPv4 network such as 10.0.2.0/24 (prefix %d..%d)", a->subnet,
				     SUBNET_PREFIX_MIN, SUBNET_PREFIX_MAX);
	if (a->present & PARAM_DNS) {
		if (inet_pton(AF_INET, a->dns, &sl->dns) != 1 ||
		    (sl->dns.s_addr & sl->mask.s_addr) != sl->net.s_addr)
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL,
					     "dns '%s' is not an address inside the subnet", a->dns);
	}
	sl->ipv6 = a->ipv6;
	def->slirp = true;
	def->ipv6 = a->ipv6;
	snprintf(def->subnet, sizeof(def->subnet), "%s", a->present & PARAM_SUBNET ? a->subnet : PARAMS_DEFAULT_SUBNET);
	snprintf(def->dns, sizeof(def->dns), "%s", a->dns);
	return 0;
}

/* Whether a parameter of network.create has the same value in x and y (by its schema type). */
static bool network_param_equal(const struct param_spec *s, const struct method_args *x, const struct method_args *y)
{
	const char *fx = (const char *)x + s->off, *fy = (const char *)y + s->off;

	switch (s->type) {
	case PT_BOOL:
		return *(const bool *)fx == *(const bool *)fy;
	case PT_UINT:
	case PT_MODE:
		return *(const unsigned *)fx == *(const unsigned *)fy;
	case PT_NAME:
	case PT_TEXT:
	case PT_IFNAME:
		return strcmp(fx, fy) == 0;
	case PT_PEERLIST:
		if (x->npeers != y->npeers)
			return false;
		for (unsigned i = 0; i < x->npeers; i++)
			if (strcmp(x->peers[i], y->peers[i]) != 0)
				return false;
		return true;
	default:
		/* other lists: network.create takes none */
		return false;
	}
}

/* A parameter's value in a's fields as an `exists` message shows it. */
static void network_param_text(const struct param_spec *s, const struct method_args *a, char *buf, size_t size)
{
	const char *f = (const char *)a + s->off;

	if (s->bit == PARAM_KEY) {
		snprintf(buf, size, "%s", *f ? "a key" : "none");	/* never the key itself */
		return;
	}
	switch (s->type) {
	case PT_PEERLIST:
		snprintf(buf, size, "%u peers", a->npeers);
		return;
	case PT_BOOL:
		snprintf(buf, size, "%s", *(const bool *)f ? "on" : "off");
		break;
	case PT_UINT:
		snprintf(buf, size, "%u", *(const unsigned *)f);
		break;
	case PT_MODE:
		snprintf(buf, size, "%04o", *(const unsigned *)f);
		break;
	default:
		if (*f)
			snprintf(buf, size, "'%s'", f);
		else
			snprintf(buf, size, "none");
		break;
	}
}

/*
 * exist_ok of a network that exists, for a caller who may see it (methods.c answers one it may not
 * see with a plain `exists`, as for a create without exist_ok): the network is taken only if every
 * parameter the request gives equals its definition; what the request leaves out is not compared.
 * The definition is read back as network.create's params, the form the store saves and replays
 * (codec_network_definition, params_parse_network_create), so both sides are compared as parsed.
 * Returns 0, or -EEXIST with e naming the first difference in the schema's order, or -errno with e
 * filled for a group that does not exist.
 */
static int network_exist_check(const struct network *net, const struct method_args *a, struct vde_error *e)
{
	struct json_object *saved = codec_network_definition(net), *params = json_object_new_object();
	/* port_default is not compared: network.set changes it, and a port's own policy wins anyway */
	uint64_t given = a->present & ~(PARAM_NAME | PARAM_EXIST_OK | PARAM_PORT_DEFAULT);
	struct method_args have;
	struct vde_error pe = { 0 };
	char is[NETWORK_DESCR_MAX + 8], asked[NETWORK_DESCR_MAX + 8];
	int ret;

	/* network.create's own keys only: not owner_uid nor the backends kept with the definition, nor
	 * the group, a number there, which is compared as a gid below */
	json_object_object_foreach(saved, key, val) {
		const struct param_spec *s = params_lookup(key);

		if (s && (s->bit & PARAMS_NETWORK_CREATE_ALLOWED) && s->bit != PARAM_GROUP)
			json_object_object_add(params, key, json_object_get(val));
	}
	json_object_put(saved);
	ret = params_parse_network_create(params, &have, &pe);
	json_object_put(params);
	if (ret < 0)
		return vde_error_set(e, PROTO_ERR_INTERNAL, -ret, "network '%s': its definition does not read back: %s",
				     net->def.name, pe.message);
	for (size_t i = 0; i < params_schema_count; i++) {
		const struct param_spec *s = &params_schema[i];

		if (!(given & s->bit))
			continue;
		if (s->bit == PARAM_GROUP) {
			/* a name or a number in the request, a number in the definition */
			gid_t gid;

			if (policy_resolve_group(a->group, &gid) < 0)
				return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "group '%s' does not exist",
						     a->group);
			if (gid == net->def.group)
				continue;
			snprintf(is, sizeof(is), "%u", (unsigned)net->def.group);
			snprintf(asked, sizeof(asked), "'%s'", a->group);
		} else {
			if (network_param_equal(s, a, &have))
				continue;
			network_param_text(s, &have, is, sizeof(is));
			network_param_text(s, a, asked, sizeof(asked));
		}
		return vde_error_set(e, PROTO_ERR_EXISTS, EEXIST, "network '%s' exists with %s %s (asked: %s)",
				     net->def.name, s->key, is, asked);
	}
	return 0;
}

/* The network's policy for new ports from now on, kept with the definition as "port_default" (every key,
 * so it reads back as it is). Not saved here. */
static int network_port_default_keep(struct network *net, const struct switch_port_conf *c, struct vde_error *e)
{
	int ret = network_port_conf_set_default(net, c);

	if (ret < 0)
		return vde_error_errno(e, ret, "network '%s': cannot set its port default: %s", net->def.name,
				       strerror(-ret));
	json_object_object_add(net->extras, "port_default", codec_port_switch(c, true));
	return 0;
}

HANDLER(run_network_create)
{
	struct network_def def = NETWORK_DEF_DEFAULTS;
	struct switch_port_conf pdef;
	struct network *net = network_find(a->name);
	struct vxvde_spec vx;
	struct vxlan_spec xs;
	struct slirp_spec sl;
	int ret;

	if (net) {
		if (!a->exist_ok)
			return vde_error_set(e, PROTO_ERR_EXISTS, EEXIST, "network '%s' already exists", a->name);
		/* a replay (config file, store) leaves a network that exists as it is, whatever it says */
		if (!ctx->replaying) {
			/* a request that could not create the network is refused as such, existing or not */
			if ((ret = network_vxvde_spec(a, ctx, &def, &vx, e)) < 0 ||
			    (ret = network_vxlan_spec(a, ctx, &def, &xs, e)) < 0 ||
			    (ret = network_slirp_spec(a, &def, &sl, e)) < 0 ||
			    (ret = network_exist_check(net, a, e)) < 0)
				return ret;
		}
		*res = handlers_network_json(net);
		return 0;
	}
	snprintf(def.name, sizeof(def.name), "%s", a->name);
	snprintf(def.description, sizeof(def.description), "%s", a->description);
	def.owner_uid = ctx->peer ? ctx->peer->uid : a->owner_uid;
	if (a->present & PARAM_MAX_PORTS)
		def.max_ports = a->max_ports;
	if (a->present & PARAM_MAC_TABLE_SIZE)
		def.mac_table_size = a->mac_table_size;
	if (a->present & PARAM_MAC_AGING)
		def.mac_aging = a->mac_aging;
	if (a->present & PARAM_MODE)
		def.mode = a->mode;
	ret = network_pick_group(a, ctx, &def.group, e);
	if (ret < 0)
		return ret;
	ret = network_vxvde_spec(a, ctx, &def, &vx, e);
	if (ret < 0)
		return ret;
	ret = network_vxlan_spec(a, ctx, &def, &xs, e);
	if (ret < 0)
		return ret;
	ret = network_slirp_spec(a, &def, &sl, e);
	if (ret < 0)
		return ret;
	switch_port_conf_init(&pdef);
	if ((a->present & PARAM_PORT_DEFAULT) && (ret = params_portsw_apply(&a->port_default, &pdef, e)) < 0)
		return ret;
	ret = network_create(&def, &net, e);
	if (ret < 0)
		return ret;
	if ((a->present & PARAM_PORT_DEFAULT) && (ret = network_port_default_keep(net, &pdef, e)) < 0) {
		network_destroy(net);
		return ret;
	}
	if (def.slirp && (ret = slirp_backend_add(net, &sl, NULL, e)) < 0) {
		network_destroy(net);
		return ret;
	}
	if (def.vxvde[0]) {
		/* a network whose uplink cannot open is not made at all */
		ret = vxvde_add(net, &vx, NULL, e);
		if (ret < 0) {
			network_destroy(net);
			return ret;
		}
	}
	if (def.vxlan && (ret = vxlan_add(net, &xs, ctx->replaying, e)) < 0) {
		network_destroy(net);
		return ret;
	}
	if (!ctx->replaying) {
		ret = store_save(net);
		if (ret < 0) {
			network_destroy(net);
			return vde_error_errno(e, ret, "cannot save network '%s': %s", a->name, strerror(-ret));
		}
	}
	log_notice("network %s created (uid %u)", def.name, (unsigned)def.owner_uid);
	events_emit(EVENTS_NETWORK, "created", net, handlers_network_json(net));
	*res = handlers_network_json(net);
	return 0;
}

HANDLER(run_network_set)
{
	struct network *net = handlers_find_network(a->name, e);
	struct switch_port_conf pdef, old_pdef;
	struct json_object *old_extras = NULL;
	bool had_pdef = net && net->port_default;
	struct network_def old;
	int ret;

	if (!net)
		return -ENOENT;
	old = net->def;
	if (a->present & PARAM_PORT_DEFAULT) {
		/* the keys given change the default; ports that exist, and ids port.set configured, keep theirs */
		if (had_pdef)
			old_pdef = *net->port_default;
		else
			switch_port_conf_init(&old_pdef);
		pdef = old_pdef;
		if ((ret = params_portsw_apply(&a->port_default, &pdef, e)) < 0)
			return ret;
		if (json_object_deep_copy(net->extras, &old_extras, NULL) < 0)
			return vde_error_set(e, PROTO_ERR_INTERNAL, ENOMEM, "out of memory");
		if ((ret = network_port_default_keep(net, &pdef, e)) < 0) {
			json_object_put(old_extras);
			return ret;
		}
	}
	if (a->present & PARAM_GROUP) {
		gid_t gid;
		/* decide first: a refused group must not touch the network */
		ret = network_pick_group(a, ctx, &gid, e);
		if (ret < 0)
			return ret;
		net->def.group = gid;
	}
	if (a->present & PARAM_MODE)
		net->def.mode = a->mode;
	if (a->present & PARAM_DESCRIPTION)
		snprintf(net->def.description, sizeof(net->def.description), "%s", a->description);
	if (a->present & PARAM_PEERS) {
		struct vxvde_spec vx;
		struct port *vp = vxvde_find(net);

		memset(&vx, 0, sizeof(vx));
		if (!net->def.vxvde[0] || !vp || vxvde_parse_group(net->def.vxvde, &vx) < 0) {
			net->def = old;
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "network '%s' has no vxvde uplink", a->name);
		}
		if ((ret = network_vxvde_peers(a, ctx, &net->def, &vx, e)) < 0) {
			net->def = old;
			return ret;
		}
		vxvde_set_peers(vp, vx.peers, vx.npeers);
	}
	ret = store_save(net);
	if (ret < 0) {
		net->def = old;
		if (old_extras) {
			json_object_put(net->extras);
			net->extras = old_extras;
			network_port_conf_set_default(net, had_pdef ? &old_pdef : NULL);
		}
		return vde_error_errno(e, ret, "cannot save network '%s': %s", a->name, strerror(-ret));
	}
	json_object_put(old_extras);
	network_apply_policy(net);
	log_notice("network %s: group %u mode %04o set by uid %u", a->name, (unsigned)net->def.group, net->def.mode,
		   ctx->peer ? (unsigned)ctx->peer->uid : 0);
	/* judged on the new rule: who may no longer see the network hears nothing more of it */
	events_emit(EVENTS_NETWORK, "changed", net, handlers_network_json(net));
	*res = handlers_network_json(net);
	return 0;
}

HANDLER(run_network_delete)
{
	struct network *net = network_find(a->name);
	struct network_def def;
	int ret;

	if (!net) {
		if (!a->missing_ok)
			return policy_not_found(e, a->name);
		*res = json_object_new_object();
		return 0;
	}
	ret = store_remove(a->name);
	if (ret < 0)
		return vde_error_errno(e, ret, "cannot remove the definition of '%s': %s", a->name, strerror(-ret));
	log_notice("network %s deleted (%u ports closed)", a->name, net->nports);
	def = net->def;
	network_destroy(net);
	if (def.vxlan)
		vxlan_remove(def.vxlan_vni);	/* its port is closed: the device is the network's */
	events_emit_network_deleted(&def);
	*res = json_object_new_object();
	return 0;
}

HANDLER(run_network_list)
{
	struct codec_page pg;
	struct json_object *o;

	/* the registry is newest-first; list in creation order */
	unsigned n = network_count(), i = n;
	struct network **tmp = calloc(n ? n : 1, sizeof(*tmp));

	if (!tmp)
		return vde_error_set(e, PROTO_ERR_INTERNAL, ENOMEM, "out of memory");
	for (struct network *net = network_first(); net && i > 0; net = net->next)
		tmp[--i] = net;
	handlers_page_init(&pg, a, PARAMS_NETWORKS_LIMIT);
	for (i = 0; i < n; i++)
		if ((!ctx->peer || policy_can_read(ctx->peer, tmp[i])) && codec_page_wants(&pg))
			codec_page_take(&pg, handlers_network_json(tmp[i]));
	free(tmp);
	o = json_object_new_object();
	codec_page_finish(&pg, o, "networks");
	*res = o;
	return 0;
}

HANDLER(run_network_show)
{
	struct network *net = handlers_find_network(a->name, e);
	struct json_object *o;

	if (!net)
		return -ENOENT;
	o = handlers_network_json(net);
	handlers_port_page(net, a, o, "port_list");
	*res = o;
	return 0;
}
