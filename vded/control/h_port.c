/* network.attach, port.list, port.show, port.detach: the ports of a network, and attaching clients to it.
 * Detaching a backend's port (tap, uplink, slirp, vxvde, interface) takes that backend out of the saved
 * definition. port.add, port.remove: host interfaces as ports (backends/ifport.h), saved under
 * "interfaces" unless transient, and re-adopted when their interface comes back. port.set: the
 * settings kept for each port id. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "control/handlers.h"
#include "control/methods.h"
#include "backends/attach.h"
#include "backends/ifport.h"
#include "backends/tap.h"
#include "control/codec.h"
#include "control/store.h"
#include "keep.h"
#include "log.h"

HANDLER(run_network_attach)
{
	struct network *net = handlers_find_network(a->network, e);
	struct attach_owner owner = { .peer = ctx->peer, .conn = ctx->conn, .adopt = ctx->adopt };
	struct switch_port_conf conf;
	struct port *p;
	int ret;

	if (!net)
		return -ENOENT;
	if (a->present & PARAM_SWITCH) {
		/* a port's policy is the network's owner's to set: a user who may only attach must not lift
		 * the limits of its own port */
		if (ctx->peer && (ret = policy_check(ctx->peer, "network.attach 'switch'", POLICY_MODIFY, net, NULL, e)) < 0)
			return ret;
		if ((ret = handlers_port_policy(net, a->port, &a->sw, &conf, e)) < 0)
			return ret;
	}
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
	/* the asked policy on top of what this id has (the client has no frame through yet) */
	if ((a->present & PARAM_SWITCH) && ((ret = handlers_port_policy(net, p->id, &a->sw, &conf, e)) < 0 ||
					    (ret = network_port_configure(p, &conf)) < 0)) {
		network_port_kill(p);
		return e->message[0] ? ret :
			vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "port %u: the policy does not apply", p->id);
	}
	/* the port keeps it in its next life too (keep.h: handlers_resume_port_policies) */
	if (a->present & PARAM_SWITCH)
		keep_port_set(p, "switch", codec_port_switch(&conf, true));
	*res = json_object_new_object();
	json_object_object_add(*res, "port", handlers_port_json(p));
	return 0;
}

HANDLER(run_port_list)
{
	struct network *net = handlers_find_network(a->network, e);

	if (!net)
		return -ENOENT;
	*res = json_object_new_object();
	handlers_port_page(net, a, *res, "ports");
	return 0;
}

HANDLER(run_port_show)
{
	struct network *net = handlers_find_network(a->network, e);
	struct port *p;

	if (!net)
		return -ENOENT;
	p = handlers_find_port(net, a->port, e);
	if (!p)
		return -ENOENT;
	*res = handlers_port_json(p);
	return 0;
}

HANDLER(run_port_detach)
{
	struct network *net = handlers_find_network(a->network, e);
	struct port *p;

	if (!net)
		return -ENOENT;
	p = handlers_find_port(net, a->port, e);
	if (!p) {
		if (!a->missing_ok)
			return -ENOENT;
	} else {
		/* what a saved backend made goes from the definition too, or it comes back at the next
		 * start, still listed (network.show, forward.list) and in the way of tap.remove */
		int ret = handlers_forget_backend(net, p, e);

		if (ret < 0)
			return ret;
		log_notice("network %s: port %u (%s) detached by uid %u", a->network, a->port, p->ops->kind,
			   ctx->peer ? (unsigned)ctx->peer->uid : 0);
		network_port_kill(p);
	}
	*res = json_object_new_object();
	return 0;
}

/* Re-adopt the saved interface ports named ifname (the link events saw it appear): each network
 * whose definition holds one gets it back, as at start, through port.add. */
static void port_interface_appeared(const char *ifname)
{
	for (struct network *net = network_first(); net; net = net->next) {
		struct json_object *list, *v;

		if (!json_object_object_get_ex(net->extras, "interfaces", &list) ||
		    !json_object_is_type(list, json_type_array))
			continue;
		for (size_t i = 0; i < json_object_array_length(list); i++) {
			struct json_object *entry = json_object_array_get_idx(list, i), *params = NULL, *res = NULL;
			struct request_ctx rctx = { .fd_out = -1, .fd_in = -1, .replaying = true };
			struct vde_error e = { 0 };

			if (!json_object_object_get_ex(entry, "ifname", &v) ||
			    strcmp(json_object_get_string(v), ifname) != 0 || ifport_find_any(ifname))
				continue;
			if (json_object_deep_copy(entry, &params, NULL) < 0)
				continue;
			json_object_object_add(params, "network", json_object_new_string(net->def.name));
			if (methods_call("port.add", params, &rctx, &res, &e) < 0)
				log_warn("network %s: interface %s is back but could not be re-adopted: %s", net->def.name,
					 ifname, e.message);
			else
				log_notice("network %s: interface %s is back: re-adopted", net->def.name, ifname);
			json_object_put(res);
			json_object_put(params);
		}
	}
}

HANDLER(run_port_add)
{
	struct network *net = handlers_find_network(a->network, e);
	struct ifport_spec spec = { .keep_ip = a->keep_ip, .transient = a->transient,
				    .admin = !ctx->peer || policy_can_read_all(ctx->peer) };
	struct ifport_info info;
	struct port *p;
	int ret;

	if (!net)
		return -ENOENT;
	/* watching from the first port.add on, also when this one fails: its interface may come */
	ret = ifport_watch(port_interface_appeared);
	if (ret < 0)
		log_warn("link events: %s (interface ports will not follow their interfaces)", strerror(-ret));
	snprintf(spec.ifname, sizeof(spec.ifname), "%s", a->ifname);
	/* vded's own tap already carries its network's frames: a second reader would see them twice */
	for (struct network *n = network_first(); n; n = n->next)
		if (tap_find(n, a->ifname))
			return vde_error_set(e, PROTO_ERR_EXISTS, EEXIST, "'%s' is a tap of network '%s' already",
					     a->ifname, n->def.name);
	ret = ifport_lookup(a->ifname, &info);
	if (ret < 0)
		return vde_error_set(e, PROTO_ERR_NOT_FOUND, ENODEV, "there is no interface '%s'", a->ifname);
	if (ctx->peer && (ret = policy_check_interface(ctx->peer, "port.add", a->ifname, info.has_owner, info.owner,
						       a->transient, e)) < 0)
		return ret;
	/* a policy of its own is the network's owner's to give, as on network.attach */
	if (a->present & PARAM_SWITCH) {
		struct switch_port_conf conf;

		if (ctx->peer && (ret = policy_check(ctx->peer, "port.add 'switch'", POLICY_MODIFY, net, NULL, e)) < 0)
			return ret;
		if ((ret = handlers_port_policy(net, 0, &a->sw, &conf, e)) < 0)
			return ret;
	}
	ret = ifport_add(net, &spec, &info, &p, e);
	if (ret < 0)
		return ret;
	if (a->present & PARAM_SWITCH) {
		struct switch_port_conf conf;

		if ((ret = handlers_port_policy(net, p->id, &a->sw, &conf, e)) < 0 ||
		    (ret = network_port_configure(p, &conf)) < 0) {
			network_port_kill(p);
			return e->message[0] ? ret :
				vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "port %u: the policy does not apply", p->id);
		}
	}
	if (ctx->peer) {
		p->uid = ctx->peer->uid;
		p->gid = ctx->peer->gid;
		p->pid = ctx->peer->pid;
	}
	if (a->transient) {
		*res = json_object_new_object();
		json_object_object_add(*res, "port", handlers_port_json(p));
		return 0;
	}
	/* one entry per name: a re-adoption or a second add after a removal finds it there */
	if (!ctx->replaying && handlers_extras_has(net, "interfaces", "ifname", a->ifname))
		handlers_extras_remove_all(net, "interfaces", "ifname", a->ifname);
	return handlers_keep_backend(net, "interfaces", p, a, ctx, res, e);
}

HANDLER(run_port_remove)
{
	struct network *net = handlers_find_network(a->network, e);
	struct port *p;
	int ret;

	if (!net)
		return -ENOENT;
	p = ifport_find(net, a->ifname);
	if (p && ctx->peer && (ret = policy_check(ctx->peer, "port.remove", POLICY_DETACH, net, p, e)) < 0)
		return ret;
	if (!p && !a->missing_ok && !handlers_extras_has(net, "interfaces", "ifname", a->ifname))
		return vde_error_set(e, PROTO_ERR_NOT_FOUND, ENOENT, "network '%s' has no interface port '%s'",
				     a->network, a->ifname);
	if (p && ifport_spec_of(p)->vm_tap)
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL,
				     "'%s' is a VM tap of network '%s': tap remove removes it", a->ifname, a->network);
	if (p) {
		log_notice("network %s: interface port %s (port %u) removed by uid %u", a->network, a->ifname, p->id,
			   ctx->peer ? (unsigned)ctx->peer->uid : 0);
		network_port_kill(p);
	}
	/* a saved one whose interface is away now goes from the definition all the same */
	handlers_extras_remove_all(net, "interfaces", "ifname", a->ifname);
	*res = json_object_new_object();
	return 0;
}

/*
 * The settings kept for each port id are saved with the network as "ports": {"ID": {...}} (net->extras),
 * one object per id holding each feature's keys ("switch": the switch policy's group; the rate limits and
 * impairment flat), and "default" for the shaping of ids without their own; replayed through port.set
 * at start. Each feature rewrites only its own keys there.
 */
static const char *const shaping_keys[] = { "rate_in", "rate_out", "burst", "delay", "jitter", "loss", "dup",
					    "reorder" };

/* The saved settings of id (its number, or "default" for 0), made if absent; key gets their name. */
static struct json_object *port_settings_entry(struct network *net, unsigned id, char *key, size_t size)
{
	struct json_object *ports, *entry;

	if (id)
		snprintf(key, size, "%u", id);
	else
		snprintf(key, size, "default");
	if (!json_object_object_get_ex(net->extras, "ports", &ports) || !json_object_is_type(ports, json_type_object)) {
		ports = json_object_new_object();
		json_object_object_add(net->extras, "ports", ports);
	}
	if (!json_object_object_get_ex(ports, key, &entry) || !json_object_is_type(entry, json_type_object)) {
		entry = json_object_new_object();
		json_object_object_add(ports, key, entry);
	}
	return entry;
}

/* An entry left empty goes, and "ports" with its last one. */
static void port_settings_tidy(struct network *net, const char *key)
{
	struct json_object *ports, *entry;

	if (!json_object_object_get_ex(net->extras, "ports", &ports))
		return;
	if (json_object_object_get_ex(ports, key, &entry) && json_object_object_length(entry) == 0)
		json_object_object_del(ports, key);
	if (json_object_object_length(ports) == 0)
		json_object_object_del(net->extras, "ports");
}

static void port_settings_put(struct network *net, unsigned id, const char *group, struct json_object *val)
{
	char key[16];
	struct json_object *entry = port_settings_entry(net, id, key, sizeof(key));

	if (val)
		json_object_object_add(entry, group, val);
	else
		json_object_object_del(entry, group);
	port_settings_tidy(net, key);
}

/* Put c's shaping keys into the saved settings of id (the others stay). */
static void port_settings_put_shaping(struct network *net, unsigned id, const struct shaper_conf *c)
{
	char key[16];
	struct json_object *entry = port_settings_entry(net, id, key, sizeof(key));

	for (size_t i = 0; i < sizeof(shaping_keys) / sizeof(shaping_keys[0]); i++)
		json_object_object_del(entry, shaping_keys[i]);
	codec_shaping(c, entry);
	port_settings_tidy(net, key);
}

/* The shaping a's keys ask for id, on top of what id has of its own now (or of nothing, with
 * clear_shaping). */
static void port_shaping_of(const struct network *net, unsigned id, const struct method_args *a,
			    struct shaper_conf *c)
{
	const struct shaper_conf *old = network_port_shaping_own(net, id);

	*c = old && !a->clear_shaping ? *old : (struct shaper_conf){ 0 };
	if (a->present & PARAM_RATE_IN)
		c->rate_in = a->rate_in;
	if (a->present & PARAM_RATE_OUT)
		c->rate_out = a->rate_out;
	if (a->present & PARAM_BURST)
		c->burst = a->burst;
	if (a->present & PARAM_DELAY)
		c->delay_ms = a->delay;
	if (a->present & PARAM_JITTER)
		c->jitter_ms = a->jitter;
	if (a->present & PARAM_LOSS)
		c->loss = a->loss;
	if (a->present & PARAM_DUP)
		c->dup = a->dup;
	if (a->present & PARAM_REORDER)
		c->reorder = a->reorder;
	/* a burst alone limits nothing: it goes with the rates */
	if (!c->rate_in && !c->rate_out)
		c->burst = 0;
}

/*
 * port.set's "switch" group: the switch policy of port id a->port. Its keys change only what they name,
 * on top of what the id had (its saved policy, else the network's default); saved under the id's
 * "switch" (every key, so that it reads back the same whatever the default). 0, or -errno with e
 * filled and nothing changed.
 */
static int port_set_switch(struct network *net, const struct method_args *a, const struct request_ctx *ctx,
			   struct vde_error *e)
{
	struct switch_port_conf conf, old_conf;
	struct json_object *saved = NULL;
	bool had_conf = net->port_conf[a->port] != NULL;
	int ret;

	if (had_conf)
		old_conf = *net->port_conf[a->port];
	ret = handlers_port_policy(net, a->port, &a->sw, &conf, e);
	if (ret < 0)
		return ret;
	if (!ctx->replaying && json_object_deep_copy(net->extras, &saved, NULL) < 0)
		return vde_error_set(e, PROTO_ERR_INTERNAL, ENOMEM, "out of memory");
	ret = network_port_conf_save(net, a->port, &conf);
	if (ret < 0) {
		json_object_put(saved);
		return vde_error_errno(e, ret, "port %u of network '%s': %s", a->port, net->def.name, strerror(-ret));
	}
	if (ctx->replaying)
		return 0;
	/* what runs and what is saved agree: a failed save puts the old policy back */
	port_settings_put(net, a->port, "switch", codec_port_switch(&conf, true));
	ret = store_save(net);
	if (ret < 0) {
		json_object_put(net->extras);
		net->extras = saved;
		network_port_conf_save(net, a->port, had_conf ? &old_conf : NULL);
		return vde_error_errno(e, ret, "cannot save network '%s': %s", net->def.name, strerror(-ret));
	}
	json_object_put(saved);
	log_notice("network %s: port %u switch policy set by uid %u", net->def.name, a->port,
		   ctx->peer ? (unsigned)ctx->peer->uid : 0);
	return 0;
}

/*
 * port.set: the settings of port number PORT of a network, for the port there now and any that takes
 * the number later (as a hardware switch's port keeps its configuration whoever plugs in), or with
 * "default" those of every number without settings of its own (so that attaching at another number
 * does not escape them). Only the network's owner and admins (POLICY_MODIFY): a user who attached must
 * not lift the limits of its own port.
 */
HANDLER(run_port_set)
{
	struct network *net = handlers_find_network(a->network, e);
	struct shaper_conf c, old = { 0 };
	struct json_object *saved = NULL, *settings;
	char what[32];
	struct port *p;
	unsigned id;
	int ret;

	if (!net)
		return -ENOENT;
	if (!(a->present & PARAM_PORT) == !a->shaping_default)
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL,
				     "port.set needs either 'port' or 'default': true, not %s",
				     a->shaping_default ? "both" : "neither");
	if (a->shaping_default && (a->present & PARAM_SWITCH))
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL,
				     "'default' sets the rates and impairment of ports; the switch policy's default is "
				     "network.set's 'port_default'");
	id = a->shaping_default ? 0 : a->port;
	if (id > net->def.max_ports)
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "port %u is out of range for network '%s' (1..%u)",
				     id, net->def.name, net->def.max_ports);
	if (id)
		snprintf(what, sizeof(what), "port %u", id);
	else
		snprintf(what, sizeof(what), "the port default");
	/* each feature's group on its own: the switch policy first (nothing changed if it is refused) */
	if ((a->present & PARAM_SWITCH) && (ret = port_set_switch(net, a, ctx, e)) < 0)
		return ret;
	if (network_port_shaping_own(net, id))
		old = *network_port_shaping_own(net, id);
	port_shaping_of(net, id, a, &c);
	if (!ctx->replaying && json_object_deep_copy(net->extras, &saved, NULL) < 0)
		return vde_error_set(e, PROTO_ERR_INTERNAL, ENOMEM, "out of memory");
	ret = network_port_shaping_set(net, id, &c);
	if (ret < 0) {
		json_object_put(saved);
		return vde_error_errno(e, ret, "network '%s': cannot set the shaping of %s: %s", net->def.name, what,
				       strerror(-ret));
	}
	if (!ctx->replaying) {
		/* what runs and what is saved agree: a failed save puts the old settings back */
		port_settings_put_shaping(net, id, &c);
		ret = store_save(net);
		if (ret < 0) {
			json_object_put(net->extras);
			net->extras = saved;
			network_port_shaping_set(net, id, &old);
			return vde_error_errno(e, ret, "cannot save network '%s': %s", net->def.name, strerror(-ret));
		}
		json_object_put(saved);
		log_notice("network %s: settings of %s changed by uid %u", net->def.name, what,
			   ctx->peer ? (unsigned)ctx->peer->uid : 0);
	}
	*res = json_object_new_object();
	if (id)
		codec_add_int(*res, "port", id);
	else
		json_object_object_add(*res, "default", json_object_new_boolean(1));
	settings = json_object_new_object();
	codec_shaping(&c, settings);
	json_object_object_add(*res, "settings", settings);
	if (id && net->port_conf[id])
		json_object_object_add(*res, "switch", codec_port_switch(net->port_conf[id], false));
	p = id ? net->ports[id] : NULL;
	if (p && !p->dead)
		json_object_object_add(*res, "attached", handlers_port_json(p));
	return 0;
}

/*
 * After a restart (keep.h): a port that came back with the policy it was attached with gets it again
 * (the switch's state is the engine's own and did not survive). Parsed as a network.attach would be.
 */
void handlers_resume_port_policies(void)
{
	for (struct network *net = network_first(); net; net = net->next) {
		for (struct port *p = net->port_list; p; p = p->net_next) {
			struct json_object *rec = keep_port_current(p), *sw, *params;
			struct switch_port_conf conf;
			struct vde_error e = { 0 };
			struct method_args a;

			if (!rec || !json_object_object_get_ex(rec, "switch", &sw))
				continue;
			params = json_object_new_object();
			json_object_object_add(params, "network", json_object_new_string(net->def.name));
			json_object_object_add(params, "switch", json_object_get(sw));
			if (methods_parse("network.attach", params, &a, &e) < 0 ||
			    handlers_port_policy(net, p->id, &a.sw, &conf, &e) < 0 || network_port_configure(p, &conf) < 0)
				log_warn("network %s: port %u: its policy did not come back: %s", net->def.name, p->id,
					 e.message[0] ? e.message : "refused by the switch");
			json_object_put(params);
		}
	}
}
