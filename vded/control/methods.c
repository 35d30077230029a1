#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends/attach.h"
#include "log.h"
#include "control/methods.h"
#include "control/params.h"
#include "control/policy.h"
#include "control/store.h"
#include "text.h"
#include "dataplane/switch.h"
#include "priv/priv.h"
#include "backends/tap.h"
#include "backends/vxvde.h"
#include "backends/slirp.h"
#include "backends/netns.h"
#include "backends/uplink.h"
#include <arpa/inet.h>

struct method {
	const char *name;
	enum policy_access access;
	unsigned net_param;		/* PARAM_NAME or PARAM_NETWORK: the one that names a network, or 0 */
	unsigned allowed, required;	/* PARAM_* bits */
	int (*run)(struct method_args *a, struct request_ctx *ctx, struct json_object **result,
		   struct vde_error *e);
};

static char info_run_dir[PATH_MAX - 128], info_state_dir[PATH_MAX];

/* copied: the callers' strings need not outlive this call */
void methods_set_info(const char *run_dir, const char *state_dir)
{
	snprintf(info_run_dir, sizeof(info_run_dir), "%s", run_dir);
	snprintf(info_state_dir, sizeof(info_state_dir), "%s", state_dir);
}

/* ---- objects ---- */

static void json_add_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

static void json_add_int(struct json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static struct json_object *network_to_json(const struct network *net)
{
	struct json_object *o = json_object_new_object();
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/net/%s", info_run_dir, net->def.name);
	json_add_str(o, "name", net->def.name);
	json_add_str(o, "description", net->def.description);
	json_add_int(o, "owner_uid", net->def.owner_uid);
	json_add_int(o, "group", net->def.group);
	snprintf(path, sizeof(path), "%04o", net->def.mode);
	json_add_str(o, "mode", path);
	snprintf(path, sizeof(path), "%s/net/%s", info_run_dir, net->def.name);
	json_add_str(o, "endpoint", path);
	json_add_int(o, "max_ports", net->def.max_ports);
	json_add_int(o, "mac_table_size", net->def.mac_table_size);
	json_add_int(o, "mac_aging", net->def.mac_aging);
	json_add_int(o, "ports", net->nports);
	if (net->def.slirp) {
		struct json_object *sl = json_object_new_object();
		json_add_str(sl, "subnet", net->def.subnet);
		json_object_object_add(sl, "ipv6", json_object_new_boolean(net->def.ipv6));
		if (net->def.dns[0])
			json_add_str(sl, "dns", net->def.dns);
		json_object_object_add(o, "slirp", sl);
	}
	if (net->def.vxvde[0]) {
		struct json_object *vx = json_object_new_object();
		json_add_str(vx, "group", net->def.vxvde);
		json_add_int(vx, "vni", net->def.vni);
		json_add_int(vx, "ttl", net->def.ttl);
		if (net->def.vxvde_if[0])
			json_add_str(vx, "interface", net->def.vxvde_if);
		json_object_object_add(o, "vxvde", vx);
	}
	json_add_int(o, "macs", switch_mac_count(net->sw));
	return o;
}

static struct json_object *port_to_json(const struct port *p)
{
	struct json_object *o = json_object_new_object();
	const struct switch_port_stats *st = switch_port_stats(p->net->sw, p->id);
	static const struct switch_port_stats zero;

	if (!st)
		st = &zero;
	json_add_int(o, "id", p->id);
	json_add_str(o, "kind", p->ops->kind);
	json_add_str(o, "description", p->description);
	json_add_int(o, "uid", p->uid);
	json_add_int(o, "gid", p->gid);
	json_add_int(o, "pid", p->pid);
	json_add_int(o, "created", p->created);
	json_add_int(o, "rx_frames", (int64_t)st->rx_frames);
	json_add_int(o, "rx_bytes", (int64_t)st->rx_bytes);
	json_add_int(o, "tx_frames", (int64_t)st->tx_frames);
	json_add_int(o, "tx_bytes", (int64_t)st->tx_bytes);
	json_add_int(o, "tx_dropped", (int64_t)st->tx_dropped);
	json_add_int(o, "rx_errors", (int64_t)st->rx_errors);
	if (p->ops->describe)
		p->ops->describe(p, o);
	return o;
}

/*
 * Paging (V15): a list that grows with a table (ports, MACs, networks) is answered a page at a time,
 * params offset (entries to skip, default 0) and limit (most entries, default by method), so that
 * one reply stays well below PROTO_MAX_REPLY whatever the table holds: a page also ends when its
 * entries reach METHODS_PAGE_BYTES (always with at least one entry). The reply says "total" (entries
 * in the whole list) and "next_offset" (where the next page starts, null after the last one).
 */
#define METHODS_PAGE_BYTES (PROTO_MAX_REPLY / 2)

struct methods_page {
	unsigned offset, limit;		/* asked for */
	unsigned index;			/* entries seen so far: the total at the end */
	unsigned count;			/* entries taken */
	bool full;
	unsigned next;			/* the first entry left out once full */
	size_t bytes;			/* serialised size of the entries taken */
	struct json_object *arr;
};

static void page_init(struct methods_page *pg, const struct method_args *a, unsigned default_limit)
{
	memset(pg, 0, sizeof(*pg));
	pg->offset = a->present & PARAM_OFFSET ? a->offset : 0;
	pg->limit = a->present & PARAM_LIMIT ? a->limit : default_limit;
	pg->arr = json_object_new_array();
}

/* The next entry of the list is counted; true if the caller should make it and page_take() it. */
static bool page_wants(struct methods_page *pg)
{
	unsigned i = pg->index++;

	if (i < pg->offset || pg->full)
		return false;
	if (pg->count == pg->limit) {
		pg->full = true;
		pg->next = i;
		return false;
	}
	return true;
}

/* Add the entry page_wants() asked for (takes item), unless it would make the page too large. */
static void page_take(struct methods_page *pg, struct json_object *item)
{
	size_t len = 0;

	json_object_to_json_string_length(item, JSON_C_TO_STRING_PLAIN, &len);
	if (pg->count > 0 && pg->bytes + len + 1 > METHODS_PAGE_BYTES) {
		json_object_put(item);
		pg->full = true;
		pg->next = pg->index - 1;
		return;
	}
	pg->bytes += len + 1;
	pg->count++;
	json_object_array_add(pg->arr, item);
}

/* Put the page into o under key, with "total" and "next_offset". */
static void page_finish(struct methods_page *pg, struct json_object *o, const char *key)
{
	json_object_object_add(o, key, pg->arr);
	json_add_int(o, "total", pg->index);
	json_object_object_add(o, "next_offset", pg->full ? json_object_new_int64(pg->next) : NULL);
	pg->arr = NULL;
}

static void port_list_page(const struct network *net, const struct method_args *a, struct json_object *o,
			   const char *key)
{
	struct methods_page pg;

	page_init(&pg, a, PARAMS_PORTS_LIMIT);
	/* by id, so tables are stable */
	for (unsigned id = 1; id <= net->def.max_ports; id++)
		if (net->ports[id] && !net->ports[id]->dead && page_wants(&pg))
			page_take(&pg, port_to_json(net->ports[id]));
	page_finish(&pg, o, key);
}

/* ---- handlers ---- */

/*
 * The group of a new or changed network: the one asked for (a caller who is not an admin must be a
 * member, as with chgrp), else the creator's primary group — except for root and the config file,
 * whose networks get the control socket's group so that vded's users can use them.
 */
static int methods_pick_group(const struct method_args *a, const struct request_ctx *ctx, gid_t *gid,
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

static struct network *methods_find_network(const char *name, struct vde_error *e)
{
	struct network *net = network_find(name);

	if (!net)
		policy_not_found(e, name);
	return net;
}

/* Networks peer may see (all for NULL: the config file or the store). */
static unsigned methods_count_visible(const struct peer *peer)
{
	unsigned n = 0;

	for (struct network *net = network_first(); net; net = net->next)
		n += !peer || policy_can_read(peer, net);
	return n;
}

static int run_daemon_info(struct method_args *a, struct request_ctx *ctx, struct json_object **res,
			   struct vde_error *e)
{
	struct json_object *o = json_object_new_object(), *api = json_object_new_array(),
			   *feat = json_object_new_array();

	json_add_str(o, "version", VDE_VERSION);
	json_object_array_add(api, json_object_new_int(PROTO_API_MAJOR));
	json_object_array_add(api, json_object_new_int(PROTO_API_MINOR));
	json_object_object_add(o, "api", api);
	json_object_array_add(feat, json_object_new_string("attach"));
	json_object_array_add(feat, json_object_new_string("endpoint"));
	json_object_array_add(feat, json_object_new_string("jumbo"));
	json_object_object_add(o, "features", feat);
	json_add_int(o, "pid", priv_main_pid());
	json_add_int(o, "engine_pid", getpid());
	json_add_str(o, "run_dir", info_run_dir);
	json_add_str(o, "state_dir", info_state_dir);
	json_add_int(o, "networks", methods_count_visible(ctx->peer));
	*res = o;
	return 0;
}

/* The vxvde uplink asked for at creation, checked before anything is made. */
static int methods_vxvde_spec(const struct method_args *a, struct network_def *def, struct vxvde_spec *vx,
			      struct vde_error *e)
{
	memset(vx, 0, sizeof(*vx));
	if (!(a->present & PARAM_VXVDE)) {
		if (a->present & (PARAM_VNI | PARAM_TTL | PARAM_INTERFACE))
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "'vni', 'ttl' and 'interface' need 'vxvde'");
		return 0;
	}
	if (vxvde_parse_group(a->vxvde, vx) < 0)
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL,
				     "vxvde '%s' is not a multicast group (GROUP, GROUP:PORT or [IPV6]:PORT)", a->vxvde);
	vx->vni = a->present & PARAM_VNI ? a->vni : VXVDE_DEFAULT_VNI;
	vx->ttl = a->present & PARAM_TTL ? a->ttl : VXVDE_DEFAULT_TTL;
	snprintf(vx->ifname, sizeof(vx->ifname), "%s", a->interface);
	snprintf(def->vxvde, sizeof(def->vxvde), "%s", a->vxvde);
	def->vni = vx->vni;
	def->ttl = vx->ttl;
	snprintf(def->vxvde_if, sizeof(def->vxvde_if), "%s", a->interface);
	return 0;
}

/* The slirp NAT asked for at creation, checked before anything is made. */
static int methods_slirp_spec(const struct method_args *a, struct network_def *def, struct slirp_spec *sl,
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
				     "subnet '%s' is not an IPv4 network such as 10.0.2.0/24 (prefix 8..28)", a->subnet);
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

static int run_network_create(struct method_args *a, struct request_ctx *ctx, struct json_object **res,
			      struct vde_error *e)
{
	struct network_def def = NETWORK_DEF_DEFAULTS;
	struct network *net = network_find(a->name);
	struct vxvde_spec vx;
	struct slirp_spec sl;
	int ret;

	if (net) {
		if (!a->exist_ok)
			return vde_error_set(e, PROTO_ERR_EXISTS, EEXIST, "network '%s' already exists", a->name);
		*res = network_to_json(net);
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
	ret = methods_pick_group(a, ctx, &def.group, e);
	if (ret < 0)
		return ret;
	ret = methods_vxvde_spec(a, &def, &vx, e);
	if (ret < 0)
		return ret;
	ret = methods_slirp_spec(a, &def, &sl, e);
	if (ret < 0)
		return ret;
	ret = network_create(&def, &net, e);
	if (ret < 0)
		return ret;
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
	if (!ctx->replaying) {
		ret = store_save(net);
		if (ret < 0) {
			network_destroy(net);
			return vde_error_errno(e, ret, "cannot save network '%s': %s", a->name, strerror(-ret));
		}
	}
	log_notice("network %s created (uid %u)", def.name, (unsigned)def.owner_uid);
	*res = network_to_json(net);
	return 0;
}

static int run_network_set(struct method_args *a, struct request_ctx *ctx, struct json_object **res,
			   struct vde_error *e)
{
	struct network *net = methods_find_network(a->name, e);
	struct network_def old;
	int ret;

	if (!net)
		return -ENOENT;
	old = net->def;
	if (a->present & PARAM_GROUP) {
		gid_t gid;
		/* decide first: a refused group must not touch the network */
		ret = methods_pick_group(a, ctx, &gid, e);
		if (ret < 0)
			return ret;
		net->def.group = gid;
	}
	if (a->present & PARAM_MODE)
		net->def.mode = a->mode;
	if (a->present & PARAM_DESCRIPTION)
		snprintf(net->def.description, sizeof(net->def.description), "%s", a->description);
	ret = store_save(net);
	if (ret < 0) {
		net->def = old;
		return vde_error_errno(e, ret, "cannot save network '%s': %s", a->name, strerror(-ret));
	}
	network_apply_policy(net);
	log_notice("network %s: group %u mode %04o set by uid %u", a->name, (unsigned)net->def.group, net->def.mode,
		   ctx->peer ? (unsigned)ctx->peer->uid : 0);
	*res = network_to_json(net);
	return 0;
}

static int run_network_delete(struct method_args *a, struct request_ctx *ctx, struct json_object **res,
			      struct vde_error *e)
{
	struct network *net = network_find(a->name);
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
	network_destroy(net);
	*res = json_object_new_object();
	return 0;
}

static int run_network_list(struct method_args *a, struct request_ctx *ctx, struct json_object **res,
			    struct vde_error *e)
{
	struct methods_page pg;
	struct json_object *o;

	/* the registry is newest-first; list in creation order */
	unsigned n = network_count(), i = n;
	struct network **tmp = calloc(n ? n : 1, sizeof(*tmp));

	if (!tmp)
		return vde_error_set(e, PROTO_ERR_INTERNAL, ENOMEM, "out of memory");
	for (struct network *net = network_first(); net && i > 0; net = net->next)
		tmp[--i] = net;
	page_init(&pg, a, PARAMS_NETWORKS_LIMIT);
	for (i = 0; i < n; i++)
		if ((!ctx->peer || policy_can_read(ctx->peer, tmp[i])) && page_wants(&pg))
			page_take(&pg, network_to_json(tmp[i]));
	free(tmp);
	o = json_object_new_object();
	page_finish(&pg, o, "networks");
	*res = o;
	return 0;
}

static int run_network_show(struct method_args *a, struct request_ctx *ctx, struct json_object **res,
			    struct vde_error *e)
{
	struct network *net = methods_find_network(a->name, e);
	struct json_object *o;

	if (!net)
		return -ENOENT;
	o = network_to_json(net);
	port_list_page(net, a, o, "port_list");
	*res = o;
	return 0;
}

static int run_network_attach(struct method_args *a, struct request_ctx *ctx, struct json_object **res,
			      struct vde_error *e)
{
	struct network *net = methods_find_network(a->network, e);
	struct attach_owner owner = { .peer = ctx->peer, .conn = ctx->conn, .adopt = ctx->adopt };
	struct port *p;
	int ret;

	if (!net)
		return -ENOENT;
	if (a->fd) {
		if (ctx->fd_in < 0)
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL,
					     "'fd' is true but no descriptor came with the request");
		ret = attach_fd(net, a->port, a->description, &owner, &ctx->fd_in, &p, e);
	} else {
		ret = attach_socketpair(net, a->port, a->description, &owner, &ctx->fd_out, &p, e);
	}
	if (ret < 0)
		return ret;
	*res = json_object_new_object();
	json_object_object_add(*res, "port", port_to_json(p));
	return 0;
}

static int run_port_list(struct method_args *a, struct request_ctx *ctx, struct json_object **res,
			 struct vde_error *e)
{
	struct network *net = methods_find_network(a->network, e);

	if (!net)
		return -ENOENT;
	*res = json_object_new_object();
	port_list_page(net, a, *res, "ports");
	return 0;
}

static int run_port_detach(struct method_args *a, struct request_ctx *ctx, struct json_object **res,
			   struct vde_error *e)
{
	struct network *net = methods_find_network(a->network, e);
	struct port *p;

	if (!net)
		return -ENOENT;
	p = a->port <= net->def.max_ports ? net->ports[a->port] : NULL;
	if (!p || p->dead) {
		if (!a->missing_ok)
			return vde_error_set(e, PROTO_ERR_NOT_FOUND, ENOENT, "network '%s' has no port %u", a->network,
					     a->port);
	} else {
		log_notice("network %s: port %u detached by uid %u", a->network, a->port,
			   ctx->peer ? (unsigned)ctx->peer->uid : 0);
		network_port_kill(p);
	}
	*res = json_object_new_object();
	return 0;
}

/* ---- backends kept with the definition (net->extras) ---- */

/* Remember a backend's params (without "network") under key, and save the definition. */
static int extras_add(struct network *net, const char *key, struct json_object *params, struct request_ctx *ctx,
		      struct vde_error *e)
{
	struct json_object *list, *copy = NULL;
	int ret;

	if (ctx->replaying)
		return 0;	/* replaying the store or the config: it is there already */
	if (json_object_deep_copy(params, &copy, NULL) < 0)
		return vde_error_set(e, PROTO_ERR_INTERNAL, ENOMEM, "out of memory");
	json_object_object_del(copy, "network");
	if (!json_object_object_get_ex(net->extras, key, &list)) {
		list = json_object_new_array();
		json_object_object_add(net->extras, key, list);
	}
	json_object_array_add(list, copy);
	ret = store_save(net);
	if (ret < 0) {
		json_object_array_del_idx(list, json_object_array_length(list) - 1, 1);
		return vde_error_errno(e, ret, "cannot save network '%s': %s", net->def.name, strerror(-ret));
	}
	return 0;
}

/* Forget the entry of key whose field equals value (and field2 equals value2, if given), and save. */
static void extras_remove2(struct network *net, const char *key, const char *field, const char *value,
			   const char *field2, const char *value2)
{
	struct json_object *list, *v;

	if (!json_object_object_get_ex(net->extras, key, &list))
		return;
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *entry = json_object_array_get_idx(list, i);
		if (json_object_object_get_ex(entry, field, &v) && strcmp(json_object_get_string(v), value) == 0 &&
		    (!field2 || (json_object_object_get_ex(entry, field2, &v) &&
				 strcmp(json_object_get_string(v), value2) == 0))) {
			json_object_array_del_idx(list, i, 1);
			break;
		}
	}
	if (store_save(net) < 0)
		log_warn("network %s: could not save the definition", net->def.name);
}

/* A backend port was made: save its params under key (or undo it) and answer with the port. */
static int methods_keep_backend(struct network *net, const char *key, struct port *p, const struct method_args *a,
				struct request_ctx *ctx, struct json_object **res, struct vde_error *e)
{
	int ret = extras_add(net, key, a->raw, ctx, e);

	if (ret < 0) {
		network_port_kill(p);
		return ret;
	}
	*res = json_object_new_object();
	json_object_object_add(*res, "port", port_to_json(p));
	return 0;
}

static void extras_remove(struct network *net, const char *key, const char *field, const char *value)
{
	extras_remove2(net, key, field, value, NULL, NULL);
}

static int run_tap_add(struct method_args *a, struct request_ctx *ctx, struct json_object **res,
		       struct vde_error *e)
{
	struct network *net = methods_find_network(a->network, e);
	struct tap_spec spec = { 0 };
	struct port *p;
	int ret;

	if (!net)
		return -ENOENT;
	snprintf(spec.ifname, sizeof(spec.ifname), "%s", a->ifname);
	if (a->present & PARAM_OWNER) {
		gid_t ignored;
		if (priv_lookup_user(a->owner, &spec.owner, &ignored) < 0)
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "user '%s' does not exist", a->owner);
		spec.has_owner = true;
	}
	spec.naddrs = a->naddrs;
	memcpy(spec.addrs, a->addresses, sizeof(spec.addrs));
	spec.mtu = a->mtu;
	spec.up = a->up;
	ret = tap_add(net, &spec, &p, e);
	if (ret < 0)
		return ret;
	return methods_keep_backend(net, "taps", p, a, ctx, res, e);
}

static int run_tap_remove(struct method_args *a, struct request_ctx *ctx, struct json_object **res,
			  struct vde_error *e)
{
	struct network *net = methods_find_network(a->network, e);
	struct port *p;

	if (!net)
		return -ENOENT;
	p = tap_find(net, a->ifname);
	if (!p && !a->missing_ok)
		return vde_error_set(e, PROTO_ERR_NOT_FOUND, ENOENT, "network '%s' has no tap '%s'", a->network,
				     a->ifname);
	if (p) {
		log_notice("network %s: tap %s removed", a->network, a->ifname);
		network_port_kill(p);
	}
	extras_remove(net, "taps", "ifname", a->ifname);
	*res = json_object_new_object();
	return 0;
}

static int methods_forward_parse(const struct method_args *a, struct slirp_forward *fw, struct vde_error *e)
{
	if (slirp_parse_forward(a->proto, a->host, (a->present & PARAM_GUEST) ? a->guest : "0.0.0.0:1", fw) < 0)
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL,
				     "a forward is proto tcp|udp, host [ADDR:]PORT, guest ADDR:PORT (got %s %s %s)",
				     a->proto, a->host, a->guest);
	return 0;
}

static int run_forward_add(struct method_args *a, struct request_ctx *ctx, struct json_object **res,
			   struct vde_error *e)
{
	struct network *net = methods_find_network(a->network, e);
	struct slirp_forward fw;
	int ret;

	if (!net)
		return -ENOENT;
	ret = methods_forward_parse(a, &fw, e);
	if (ret < 0)
		return ret;
	/* which addresses and ports a caller may bind (V11); saved forwards were checked when made */
	if (ctx->peer && !ctx->replaying && (ret = slirp_forward_allowed(ctx->peer, &fw, e)) < 0)
		return ret;
	ret = slirp_forward_add(net, &fw, e);
	if (ret < 0)
		return ret;
	ret = extras_add(net, "forwards", a->raw, ctx, e);
	if (ret < 0) {
		slirp_forward_remove(net, &fw, NULL);
		return ret;
	}
	log_notice("network %s: forward %s %s -> %s", net->def.name, a->proto, a->host, a->guest);
	*res = json_object_new_object();
	return 0;
}

static int run_forward_remove(struct method_args *a, struct request_ctx *ctx, struct json_object **res,
			      struct vde_error *e)
{
	struct network *net = methods_find_network(a->network, e);
	struct slirp_forward fw;
	int ret;

	if (!net)
		return -ENOENT;
	ret = methods_forward_parse(a, &fw, e);
	if (ret < 0)
		return ret;
	ret = slirp_forward_remove(net, &fw, e);
	if (ret < 0 && !(ret == -ENOENT && a->missing_ok))
		return ret;
	extras_remove2(net, "forwards", "proto", a->proto, "host", a->host);
	*res = json_object_new_object();
	return 0;
}

static int run_forward_list(struct method_args *a, struct request_ctx *ctx, struct json_object **res,
			    struct vde_error *e)
{
	struct network *net = methods_find_network(a->network, e);
	struct json_object *list = NULL;

	if (!net)
		return -ENOENT;
	*res = json_object_new_object();
	if (json_object_object_get_ex(net->extras, "forwards", &list))
		json_object_object_add(*res, "forwards", json_object_get(list));
	else
		json_object_object_add(*res, "forwards", json_object_new_array());
	return 0;
}

static int run_network_connect(struct method_args *a, struct request_ctx *ctx, struct json_object **res,
			       struct vde_error *e)
{
	struct network *net = methods_find_network(a->network, e);
	struct port *p;
	int ret;

	if (!net)
		return -ENOENT;
	ret = uplink_add(net, a->url, &p, e);
	if (ret < 0)
		return ret;
	return methods_keep_backend(net, "uplinks", p, a, ctx, res, e);
}

static int run_network_disconnect(struct method_args *a, struct request_ctx *ctx, struct json_object **res,
				  struct vde_error *e)
{
	struct network *net = methods_find_network(a->network, e);
	struct port *p;

	if (!net)
		return -ENOENT;
	p = a->port <= net->def.max_ports ? net->ports[a->port] : NULL;
	if (!p || p->dead || !uplink_url(p)) {
		if (a->missing_ok) {
			*res = json_object_new_object();
			return 0;
		}
		return vde_error_set(e, PROTO_ERR_NOT_FOUND, ENOENT, "network '%s' has no uplink on port %u", a->network,
				     a->port);
	}
	log_notice("network %s: uplink %s (port %u) disconnected", a->network, uplink_url(p), p->id);
	extras_remove(net, "uplinks", "url", uplink_url(p));
	network_port_kill(p);
	*res = json_object_new_object();
	return 0;
}

static int run_ns_create(struct method_args *a, struct request_ctx *ctx, struct json_object **res,
			 struct vde_error *e)
{
	int ret = netns_create(a->name, a->networks, a->nnets, false, e);

	if (ret < 0)
		return ret;
	*res = json_object_new_object();
	return 0;
}

static int run_ns_delete(struct method_args *a, struct request_ctx *ctx, struct json_object **res,
			 struct vde_error *e)
{
	int ret = netns_delete(a->name, a->missing_ok, e);

	if (ret < 0)
		return ret;
	*res = json_object_new_object();
	return 0;
}

/*
 * Whether peer may see a namespace from ns.list: it may read every network the namespace is on
 * (V17). Namespaces are an admin's; one on a network the caller may not see, or on one that is
 * gone, would tell it about that network, and is left out.
 */
static bool methods_ns_visible(const struct peer *peer, struct json_object *ns)
{
	struct json_object *ifs, *v;

	if (!json_object_object_get_ex(ns, "interfaces", &ifs) || !json_object_is_type(ifs, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(ifs); i++) {
		struct network *net;

		if (!json_object_object_get_ex(json_object_array_get_idx(ifs, i), "network", &v) ||
		    !(net = network_find(json_object_get_string(v))) || !policy_can_read(peer, net))
			return false;
	}
	return true;
}

static int run_ns_list(struct method_args *a, struct request_ctx *ctx, struct json_object **res,
		       struct vde_error *e)
{
	struct json_object *all = netns_list_json(), *list, *mine;

	if (!ctx->peer || policy_can_read_all(ctx->peer) ||
	    !json_object_object_get_ex(all, "namespaces", &list) || !json_object_is_type(list, json_type_array)) {
		*res = all;
		return 0;
	}
	mine = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *ns = json_object_array_get_idx(list, i);
		if (methods_ns_visible(ctx->peer, ns))
			json_object_array_add(mine, json_object_get(ns));
	}
	json_object_object_add(all, "namespaces", mine);
	*res = all;
	return 0;
}

struct mac_list_ctx {
	struct methods_page pg;
	uint32_t now;
};

static int mac_list_add(const struct switch_mac_info *m, void *arg)
{
	struct mac_list_ctx *c = arg;
	struct json_object *o;
	char mac[18];

	if (!page_wants(&c->pg))
		return 0;	/* counted for the total */
	o = json_object_new_object();
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m->mac[0], m->mac[1], m->mac[2], m->mac[3],
		 m->mac[4], m->mac[5]);
	json_add_str(o, "mac", mac);
	json_add_int(o, "vlan", m->vlan);
	json_add_int(o, "port", m->port);
	json_add_int(o, "age", (int64_t)(c->now - m->last_seen));
	page_take(&c->pg, o);
	return 0;
}

static int run_mac_list(struct method_args *a, struct request_ctx *ctx, struct json_object **res,
			struct vde_error *e)
{
	struct network *net = methods_find_network(a->network, e);
	struct mac_list_ctx c;

	if (!net)
		return -ENOENT;
	page_init(&c.pg, a, PARAMS_MACS_LIMIT);
	c.now = (uint32_t)ev_now(network_loop());
	switch_mac_foreach(net->sw, c.now, mac_list_add, &c);
	*res = json_object_new_object();
	page_finish(&c.pg, *res, "macs");
	return 0;
}

#define PAGE (PARAM_OFFSET | PARAM_LIMIT)

/* Sorted by name (bsearch). */
static const struct method methods[] = {
	{ "daemon.info", POLICY_CONNECT, 0, 0, 0, run_daemon_info },
	{ "forward.add", POLICY_MODIFY, PARAM_NETWORK, PARAM_NETWORK | PARAM_PROTO | PARAM_HOST | PARAM_GUEST,
	  PARAM_NETWORK | PARAM_PROTO | PARAM_HOST | PARAM_GUEST, run_forward_add },
	{ "forward.list", POLICY_READ, PARAM_NETWORK, PARAM_NETWORK, PARAM_NETWORK, run_forward_list },
	{ "forward.remove", POLICY_MODIFY, PARAM_NETWORK, PARAM_NETWORK | PARAM_PROTO | PARAM_HOST | PARAM_MISSING_OK,
	  PARAM_NETWORK | PARAM_PROTO | PARAM_HOST, run_forward_remove },
	{ "mac.list", POLICY_READ, PARAM_NETWORK, PARAM_NETWORK | PAGE, PARAM_NETWORK, run_mac_list },
	{ "network.attach", POLICY_ATTACH, PARAM_NETWORK, PARAM_NETWORK | PARAM_DESCRIPTION | PARAM_PORT | PARAM_FD, PARAM_NETWORK,
	  run_network_attach },
	{ "network.connect", POLICY_ADMIN, PARAM_NETWORK, PARAM_NETWORK | PARAM_URL, PARAM_NETWORK | PARAM_URL, run_network_connect },
	{ "network.create", POLICY_CREATE, PARAM_NAME, PARAMS_NETWORK_CREATE_ALLOWED, PARAMS_NETWORK_CREATE_REQUIRED,
	  run_network_create },
	{ "network.delete", POLICY_MODIFY, PARAM_NAME, PARAM_NAME | PARAM_MISSING_OK, PARAM_NAME, run_network_delete },
	{ "network.disconnect", POLICY_ADMIN, PARAM_NETWORK, PARAM_NETWORK | PARAM_PORT | PARAM_MISSING_OK, PARAM_NETWORK | PARAM_PORT,
	  run_network_disconnect },
	{ "network.list", POLICY_CONNECT, 0, PAGE, 0, run_network_list },
	{ "network.set", POLICY_MODIFY, PARAM_NAME, PARAM_NAME | PARAM_GROUP | PARAM_MODE | PARAM_DESCRIPTION, PARAM_NAME,
	  run_network_set },
	{ "network.show", POLICY_READ, PARAM_NAME, PARAM_NAME | PAGE, PARAM_NAME, run_network_show },
	{ "ns.create", POLICY_ADMIN, 0, PARAM_NAME | PARAM_NETWORKS, PARAM_NAME | PARAM_NETWORKS, run_ns_create },
	{ "ns.delete", POLICY_ADMIN, 0, PARAM_NAME | PARAM_MISSING_OK, PARAM_NAME, run_ns_delete },
	{ "ns.list", POLICY_CONNECT, 0, 0, 0, run_ns_list },
	{ "port.detach", POLICY_DETACH, PARAM_NETWORK, PARAM_NETWORK | PARAM_PORT | PARAM_MISSING_OK, PARAM_NETWORK | PARAM_PORT,
	  run_port_detach },
	{ "port.list", POLICY_READ, PARAM_NETWORK, PARAM_NETWORK | PAGE, PARAM_NETWORK, run_port_list },
	{ "tap.add", POLICY_ADMIN, PARAM_NETWORK, PARAM_NETWORK | PARAM_IFNAME | PARAM_OWNER | PARAM_ADDRESSES | PARAM_MTU | PARAM_UP,
	  PARAM_NETWORK | PARAM_IFNAME, run_tap_add },
	{ "tap.remove", POLICY_ADMIN, PARAM_NETWORK, PARAM_NETWORK | PARAM_IFNAME | PARAM_MISSING_OK, PARAM_NETWORK | PARAM_IFNAME,
	  run_tap_remove },
};

static int method_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct method *)elem)->name);
}

static const struct method *method_lookup(const char *name)
{
	return bsearch(name, methods, sizeof(methods) / sizeof(methods[0]), sizeof(methods[0]), method_cmp);
}

int methods_parse(const char *method, struct json_object *params, struct method_args *args, struct vde_error *e)
{
	const struct method *m = method_lookup(method);

	if (!m)
		return vde_error_set(e, PROTO_ERR_UNSUPPORTED, EOPNOTSUPP, "unknown method '%s'", method);
	return params_parse(m->name, m->allowed, m->required, params, args, e);
}

struct json_object *methods_error_reply(struct json_object *id, const struct vde_error *e)
{
	struct json_object *r = json_object_new_object(), *err = json_object_new_object();

	json_object_object_add(r, "id", id ? json_object_get(id) : NULL);
	json_add_str(err, "code", proto_err_code(e->code));
	json_add_int(err, "errno", e->err);
	json_add_str(err, "message", e->message);
	json_object_object_add(r, "error", err);
	return r;
}

/*
 * The policy checks of one request (V4, V17). The method's own rule comes first and is never relaxed:
 * an admin-only method is admin-only whatever it names, whether that exists or not. Then each network
 * the request names: a missing one is left to the handler (not-found, or fine with missing_ok), one
 * the caller may not see is answered exactly as a missing one. A port.detach is judged on the port it
 * names. Returns 0 to run the handler, 1 if the answer is an empty result (missing_ok on a network
 * the caller may not see), or -errno with e filled.
 */
static int methods_policy(const struct method *m, const struct method_args *a, const struct peer *peer,
			  struct network *net, struct vde_error *e)
{
	const struct port *port = NULL;
	const char *name = (m->net_param & PARAM_NETWORK) ? a->network : a->name;
	int ret;

	switch (m->access) {
	case POLICY_CREATE:
		if (net && a->exist_ok) {
			/* exist_ok of a network that exists only looks at it: no create right, no quota; one the
			 * caller may not see is simply taken, as it would be for a plain create */
			ret = policy_check(peer, m->name, POLICY_READ, net, NULL, e);
			if (ret == -ENOENT)
				return vde_error_set(e, PROTO_ERR_EXISTS, EEXIST, "network '%s' already exists", name);
			if (ret < 0)
				return ret;
			break;
		}
		/* fall through */
	case POLICY_CONNECT:
	case POLICY_ADMIN:
		ret = policy_check(peer, m->name, m->access, NULL, NULL, e);
		if (ret < 0)
			return ret;
		break;
	default:
		/* without a network only the right to use vded at all is left to decide */
		if (!net) {
			ret = policy_check(peer, m->name, POLICY_CONNECT, NULL, NULL, e);
			if (ret < 0)
				return ret;
			break;
		}
		if (m->access == POLICY_DETACH && a->port <= net->def.max_ports)
			port = net->ports[a->port];
		ret = policy_check(peer, m->name, m->access, net, port, e);
		/* as for a missing network: missing_ok is about the network itself only where it is the
		 * name (network.delete); elsewhere it is about a port or a forward, and the answer not-found */
		if (ret == -ENOENT && a->missing_ok && m->net_param == PARAM_NAME)
			return 1;
		if (ret < 0)
			return ret;
		break;
	}
	/* every network of a list (ns.create): the caller must be able to attach to each */
	for (unsigned i = 0; (a->present & PARAM_NETWORKS) && i < a->nnets; i++) {
		struct network *n = network_find(a->networks[i]);

		ret = n ? policy_check(peer, m->name, POLICY_ATTACH, n, NULL, e) : policy_not_found(e, a->networks[i]);
		if (ret < 0)
			return ret;
	}
	return 0;
}

struct json_object *methods_handle_line(const char *line, size_t len, struct request_ctx *ctx)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *req = NULL, *id = NULL, *jmethod = NULL, *params = NULL, *result = NULL, *reply;
	struct vde_error e = { 0 };
	struct method_args args;
	const struct method *m;
	struct network *net = NULL;
	const char *method;
	int ret;

	if (!tok) {
		vde_error_set(&e, PROTO_ERR_INTERNAL, ENOMEM, "out of memory");
		return methods_error_reply(NULL, &e);
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	req = json_tokener_parse_ex(tok, line, (int)len);
	if (!req || json_tokener_get_error(tok) != json_tokener_success ||
	    (size_t)json_tokener_get_parse_end(tok) != len) {
		/* trailing whitespace (a CR from a telnet-style client) is fine, anything else is not */
		size_t end = req ? json_tokener_get_parse_end(tok) : 0;
		int trailing_ok = req && json_tokener_get_error(tok) == json_tokener_success;
		for (size_t i = end; trailing_ok && i < len; i++)
			if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
				trailing_ok = 0;
		if (!trailing_ok) {
			vde_error_set(&e, PROTO_ERR_PARSE, EBADMSG, "request is not valid JSON: %s",
				      req ? "trailing data" : json_tokener_error_desc(json_tokener_get_error(tok)));
			goto fail;
		}
	}
	if (!json_object_is_type(req, json_type_object)) {
		vde_error_set(&e, PROTO_ERR_PARSE, EBADMSG, "request is not a JSON object");
		goto fail;
	}
	json_object_object_foreach(req, key, val) {
		if (strcmp(key, "id") == 0)
			id = val;
		else if (strcmp(key, "method") == 0)
			jmethod = val;
		else if (strcmp(key, "params") == 0)
			params = val;
		else {
			vde_error_set(&e, PROTO_ERR_INVALID_REQUEST, EINVAL, "unknown request member '%s'", key);
			goto fail;
		}
	}
	if (id && !json_object_is_type(id, json_type_int) && !json_object_is_type(id, json_type_string) &&
	    !json_object_is_type(id, json_type_double) && !json_object_is_type(id, json_type_null)) {
		id = NULL;
		vde_error_set(&e, PROTO_ERR_INVALID_REQUEST, EINVAL, "'id' must be a number or a string");
		goto fail;
	}
	if (!jmethod || !json_object_is_type(jmethod, json_type_string)) {
		vde_error_set(&e, PROTO_ERR_INVALID_REQUEST, EINVAL, "'method' must be a string");
		goto fail;
	}
	method = json_object_get_string(jmethod);
	m = method_lookup(method);
	if (!m) {
		vde_error_set(&e, PROTO_ERR_UNSUPPORTED, EOPNOTSUPP, "unknown method '%s'", method);
		goto fail;
	}
	if (params_parse(m->name, m->allowed, m->required, params, &args, &e) < 0)
		goto fail;
	if (m->net_param & PARAM_NETWORK)
		net = network_find(args.network);
	else if (m->net_param & PARAM_NAME)
		net = network_find(args.name);
	ret = ctx->peer ? methods_policy(m, &args, ctx->peer, net, &e) : 0;
	if (ret < 0)
		goto fail;
	if (ret > 0)
		result = json_object_new_object();
	else if (m->run(&args, ctx, &result, &e) < 0)
		goto fail;
	reply = json_object_new_object();
	json_object_object_add(reply, "id", id ? json_object_get(id) : NULL);
	json_object_object_add(reply, "result", result);
	json_object_put(req);
	json_tokener_free(tok);
	return reply;
fail:
	reply = methods_error_reply(id, &e);
	json_object_put(req);
	json_tokener_free(tok);
	return reply;
}

/* Replay one backend entry saved under a network: its method with "network" put back. */
static void methods_replay_extra(const char *method, const char *network, struct json_object *entry)
{
	struct request_ctx ctx = { .fd_out = -1, .fd_in = -1, .replaying = true };
	const struct method *m = method_lookup(method);
	struct json_object *params = NULL, *res = NULL;
	struct method_args a;
	struct vde_error e = { 0 };

	if (json_object_deep_copy(entry, &params, NULL) < 0 || !json_object_is_type(params, json_type_object)) {
		log_err("network %s: a saved %s entry is not an object: skipped", network, method);
		json_object_put(params);
		return;
	}
	json_object_object_add(params, "network", json_object_new_string(network));
	if (params_parse(m->name, m->allowed, m->required, params, &a, &e) < 0 || m->run(&a, &ctx, &res, &e) < 0)
		log_err("network %s: %s: %s (kept in the definition, not active)", network, method, e.message);
	json_object_put(res);
	json_object_put(params);
}

/* Backends saved with a definition, by key, and the method that recreates each. */
static const struct {
	const char *key, *method;
} methods_extras[] = {
	{ "taps", "tap.add" },
	{ "forwards", "forward.add" },
	{ "uplinks", "network.connect" },
};

/*
 * A description saved (or configured) before descriptions were checked may hold what the parser now
 * refuses: keep the network and show the text with '?' in place of what may not be shown.
 */
static void methods_replay_sanitise(struct json_object *params)
{
	struct json_object *d, *n;
	char buf[NETWORK_DESCR_MAX];

	if (!json_object_object_get_ex(params, "description", &d) || !json_object_is_type(d, json_type_string) ||
	    (size_t)json_object_get_string_len(d) >= sizeof(buf) ||
	    strlen(json_object_get_string(d)) != (size_t)json_object_get_string_len(d) ||
	    text_check(json_object_get_string(d), strlen(json_object_get_string(d)), NULL, 0) == 0)
		return;
	snprintf(buf, sizeof(buf), "%s", json_object_get_string(d));
	text_sanitise(buf);
	log_warn("network %s: the saved description holds characters that may not be shown: replaced by '?'",
		 json_object_object_get_ex(params, "name", &n) && json_object_is_type(n, json_type_string) ?
			 json_object_get_string(n) : "?");
	json_object_object_add(params, "description", json_object_new_string(buf));
}

int methods_replay_create(struct json_object *params, bool from_store, struct vde_error *e)
{
	struct request_ctx ctx = { .fd_out = -1, .replaying = true };
	struct json_object *copy = NULL, *res = NULL, *uid;
	struct method_args a;
	unsigned owner = 0;
	int ret;

	if (!json_object_is_type(params, json_type_object))
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "a network definition must be an object");
	/* owner_uid is recorded by vded, never accepted from a client: strip it before the common parser */
	if (json_object_deep_copy(params, &copy, NULL) < 0)
		return vde_error_set(e, PROTO_ERR_INTERNAL, ENOMEM, "out of memory");
	if (json_object_object_get_ex(copy, "owner_uid", &uid)) {
		if (!from_store || !json_object_is_type(uid, json_type_int) || json_object_get_int64(uid) < 0 ||
		    json_object_get_int64(uid) > UINT32_MAX) {
			json_object_put(copy);
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "invalid 'owner_uid'");
		}
		owner = (unsigned)json_object_get_int64(uid);
		json_object_object_del(copy, "owner_uid");
	}
	methods_replay_sanitise(copy);
	/* the backends come back after the network, each through its own method */
	struct json_object *extras = json_object_new_object(), *list = NULL;
	for (size_t i = 0; i < sizeof(methods_extras) / sizeof(methods_extras[0]); i++) {
		if (json_object_object_get_ex(copy, methods_extras[i].key, &list)) {
			json_object_object_add(extras, methods_extras[i].key, json_object_get(list));
			json_object_object_del(copy, methods_extras[i].key);
		}
	}
	ret = methods_parse("network.create", copy, &a, e);
	json_object_put(copy);
	if (ret < 0)
		goto out;
	a.owner_uid = owner;
	a.exist_ok = true;
	bool existed = network_find(a.name) != NULL;
	ret = run_network_create(&a, &ctx, &res, e);
	if (ret < 0 || existed)
		goto out;
	struct network *net = network_find(a.name);
	for (size_t i = 0; i < sizeof(methods_extras) / sizeof(methods_extras[0]); i++) {
		if (!json_object_object_get_ex(extras, methods_extras[i].key, &list) ||
		    !json_object_is_type(list, json_type_array)) {
			if (list)
				log_err("network %s: '%s' is not an array: skipped", a.name, methods_extras[i].key);
			continue;
		}
		/* keep them in the definition even if one fails now (a device may come back later) */
		json_object_object_add(net->extras, methods_extras[i].key, json_object_get(list));
		for (size_t j = 0; j < json_object_array_length(list); j++)
			methods_replay_extra(methods_extras[i].method, a.name, json_object_array_get_idx(list, j));
	}
out:
	json_object_put(extras);
	json_object_put(res);
	return ret;
}
