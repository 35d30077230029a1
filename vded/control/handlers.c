/* What the handlers share: finding a network, the API objects with their live counts, pages, and the
 * backends kept with a definition (net->extras). */
#include <errno.h>
#include <string.h>

#include "control/handlers.h"
#include "control/policy.h"
#include "control/store.h"
#include "dataplane/switch.h"
#include "backends/ifport.h"
#include "backends/tap.h"
#include "backends/uplink.h"
#include "log.h"

struct network *handlers_find_network(const char *name, struct vde_error *e)
{
	struct network *net = network_find(name);

	if (!net)
		policy_not_found(e, name);
	return net;
}

struct port *handlers_find_port(struct network *net, unsigned id, struct vde_error *e)
{
	struct port *p = id <= net->def.max_ports ? net->ports[id] : NULL;

	if (!p || p->dead) {
		vde_error_set(e, PROTO_ERR_NOT_FOUND, ENOENT, "network '%s' has no port %u", net->def.name, id);
		return NULL;
	}
	return p;
}

struct json_object *handlers_network_json(const struct network *net)
{
	return codec_network(net, handlers_run_dir(), switch_mac_count(net->sw));
}

struct json_object *handlers_port_json(const struct port *p)
{
	struct json_object *o = codec_port(p, switch_port_stats(p->net->sw, p->id)), *sw;
	const struct shaper_conf *c = network_port_shaping(p->net, p->id);
	const struct shaper_stats *st = network_port_shaper_stats(p);
	const struct switch_port_conf *swc = switch_port_get_conf(p->net->sw, p->id);
	uint64_t now = (uint64_t)(ev_now(network_loop()) * 1000.), shut = switch_port_shut_until(p->net->sw, p->id);

	/* a port with rate limits or impairment shows them, and what they dropped or changed */
	if (c) {
		struct json_object *sh = json_object_new_object();
		codec_shaping(c, sh);
		json_object_object_add(o, "shaping", sh);
	}
	if (st)
		codec_shaper_stats(st, o);
	/* and its switch policy when it is not plain, and whether it is shut for looping */
	if (swc) {
		sw = codec_port_switch(swc, false);
		if (json_object_object_length(sw))
			json_object_object_add(o, "switch", sw);
		else
			json_object_put(sw);
	}
	if (shut > now)
		codec_add_int(o, "shut", (int64_t)((shut - now + 999) / 1000));	/* seconds until it opens */
	return o;
}

int handlers_port_policy(const struct network *net, unsigned id, const struct params_portsw *patch,
			 struct switch_port_conf *out, struct vde_error *e)
{
	if (id >= 1 && id <= net->def.max_ports && net->port_conf[id])
		*out = *net->port_conf[id];
	else if (net->port_default)
		*out = *net->port_default;
	else
		switch_port_conf_init(out);
	return params_portsw_apply(patch, out, e);
}

void handlers_page_init(struct codec_page *pg, const struct method_args *a, unsigned default_limit)
{
	codec_page_init(pg, a->present & PARAM_OFFSET ? a->offset : 0,
			a->present & PARAM_LIMIT ? a->limit : default_limit);
}

void handlers_port_page(const struct network *net, const struct method_args *a, struct json_object *o,
			const char *key)
{
	struct codec_page pg;

	handlers_page_init(&pg, a, PARAMS_PORTS_LIMIT);
	/* by id, so tables are stable */
	for (unsigned id = 1; id <= net->def.max_ports; id++)
		if (net->ports[id] && !net->ports[id]->dead && codec_page_wants(&pg))
			codec_page_take(&pg, handlers_port_json(net->ports[id]));
	codec_page_finish(&pg, o, key);
}

/* Remember a backend's params (without "network") under key, and save the definition. */
int handlers_extras_add(struct network *net, const char *key, struct json_object *params,
			const struct request_ctx *ctx, struct vde_error *e)
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

/* Drop the first entry of key whose field equals value (and field2 equals value2, if field2), or
 * every such entry if all; nothing is saved. Returns how many went. */
static unsigned extras_drop(struct network *net, const char *key, const char *field, const char *value,
			    const char *field2, const char *value2, bool all)
{
	struct json_object *list, *v;
	unsigned n = 0;

	if (!json_object_object_get_ex(net->extras, key, &list) || !json_object_is_type(list, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(list);) {
		struct json_object *entry = json_object_array_get_idx(list, i);
		if (json_object_object_get_ex(entry, field, &v) && strcmp(json_object_get_string(v), value) == 0 &&
		    (!field2 || (json_object_object_get_ex(entry, field2, &v) &&
				 strcmp(json_object_get_string(v), value2) == 0))) {
			json_object_array_del_idx(list, i, 1);
			n++;
			if (!all)
				break;
			continue;
		}
		i++;
	}
	return n;
}

bool handlers_extras_has(const struct network *net, const char *key, const char *field, const char *value)
{
	struct json_object *list, *v;

	if (!json_object_object_get_ex(net->extras, key, &list) || !json_object_is_type(list, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(list); i++)
		if (json_object_object_get_ex(json_object_array_get_idx(list, i), field, &v) &&
		    strcmp(json_object_get_string(v), value) == 0)
			return true;
	return false;
}

/* Forget the entry of key whose field equals value (and field2 equals value2, if given), and save. */
void handlers_extras_remove(struct network *net, const char *key, const char *field, const char *value,
			    const char *field2, const char *value2)
{
	extras_drop(net, key, field, value, field2, value2, false);
	if (store_save(net) < 0)
		log_warn("network %s: could not save the definition", net->def.name);
}

void handlers_extras_remove_all(struct network *net, const char *key, const char *field, const char *value)
{
	extras_drop(net, key, field, value, NULL, NULL, true);
	if (store_save(net) < 0)
		log_warn("network %s: could not save the definition", net->def.name);
}

/*
 * What in net's definition made p, so that detaching p takes it out of the definition as well (as
 * Open vSwitch's del-port does): a tap is its taps entry, an uplink its uplinks entry, the slirp port
 * the network's slirp setting with its forwards (they live on that slirp), the vxvde port the vxvde
 * setting. Changed in memory and saved; if the save fails, the definition is put back as it was and
 * the error returned, so that the caller leaves the port running: what runs and what is saved agree
 * either way. A tap inside a vded namespace belongs to that namespace's definition, not to net's:
 * refused, naming ns.delete. Ports no definition holds (attach, endpoint, fd) need nothing: 0.
 */
int handlers_forget_backend(struct network *net, const struct port *p, struct vde_error *e)
{
	struct network_def old = net->def;
	struct json_object *old_extras = NULL;
	const char *kind = p->ops && p->ops->kind ? p->ops->kind : "";
	const char *ifname = tap_ifname(p), *url = uplink_url(p), *iface = ifport_ifname(p);
	const struct ifport_spec *ifs = ifport_spec_of(p);
	int ret;

	if (ifs && ifs->vm_tap)
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL,
				     "port %u of network '%s' is the VM tap %s: tap remove removes it", p->id,
				     net->def.name, iface);
	if (ifs && ifs->transient)
		return 0;

	if (ifname && tap_find(net, ifname) != p) {
		/* tap_find looks in vded's own namespace only: this one is in a vded namespace */
		struct json_object *o = handlers_port_json(p), *ns = NULL;
		json_object_object_get_ex(o, "netns", &ns);
		ret = vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL,
				    "port %u of network '%s' is interface %s of namespace '%s': ns.delete removes it",
				    p->id, net->def.name, ifname, ns ? json_object_get_string(ns) : "?");
		json_object_put(o);
		return ret;
	}
	if (!ifname && !url && !iface && strcmp(kind, "slirp") != 0 && strcmp(kind, "vxvde") != 0)
		return 0;
	if (json_object_deep_copy(net->extras, &old_extras, NULL) < 0)
		return vde_error_set(e, PROTO_ERR_INTERNAL, ENOMEM, "out of memory");
	if (iface) {
		extras_drop(net, "interfaces", "ifname", iface, NULL, NULL, true);
	} else if (ifname) {
		/* every entry: an older vded saved a tap detached and added again twice */
		extras_drop(net, "taps", "ifname", ifname, NULL, NULL, true);
	} else if (url) {
		/* one entry: two uplinks may share a locator, and only this one goes */
		extras_drop(net, "uplinks", "url", url, NULL, NULL, false);
	} else if (strcmp(kind, "slirp") == 0) {
		net->def.slirp = false;
		net->def.ipv6 = false;
		net->def.subnet[0] = '\0';
		net->def.dns[0] = '\0';
		json_object_object_del(net->extras, "forwards");
	} else {
		net->def.vxvde[0] = '\0';
		net->def.vxvde_if[0] = '\0';
		net->def.vni = 0;
		net->def.ttl = 0;
	}
	ret = store_save(net);
	if (ret < 0) {
		net->def = old;
		json_object_put(net->extras);
		net->extras = old_extras;
		return vde_error_errno(e, ret, "cannot save network '%s': %s", net->def.name, strerror(-ret));
	}
	json_object_put(old_extras);
	return 0;
}

/* A backend port was made: save its params under key (or undo it) and answer with the port. */
int handlers_keep_backend(struct network *net, const char *key, struct port *p, const struct method_args *a,
			  const struct request_ctx *ctx, struct json_object **res, struct vde_error *e)
{
	int ret = handlers_extras_add(net, key, a->raw, ctx, e);

	if (ret < 0) {
		network_port_kill(p);
		return ret;
	}
	*res = json_object_new_object();
	json_object_object_add(*res, "port", handlers_port_json(p));
	return 0;
}
