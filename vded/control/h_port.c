/* network.attach, port.list, port.show, port.detach: the ports of a network, and attaching clients to it.
 * Detaching a backend's port (tap, uplink, slirp, vxvde, interface) takes that backend out of the saved
 * definition. port.add, port.remove: host interfaces as ports (backends/ifport.h), saved under
 * "interfaces" unless transient, and re-adopted when their interface comes back. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "control/handlers.h"
#include "control/methods.h"
#include "backends/attach.h"
#include "backends/ifport.h"
#include "log.h"

HANDLER(run_network_attach)
{
	struct network *net = handlers_find_network(a->network, e);
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
	struct ifport_spec spec = { .keep_ip = a->keep_ip, .transient = a->transient };
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
	ret = ifport_lookup(a->ifname, &info);
	if (ret < 0)
		return vde_error_set(e, PROTO_ERR_NOT_FOUND, ENODEV, "there is no interface '%s'", a->ifname);
	if (ctx->peer && (ret = policy_check_interface(ctx->peer, "port.add", a->ifname, info.has_owner, info.owner,
						       a->transient, e)) < 0)
		return ret;
	ret = ifport_add(net, &spec, &info, &p, e);
	if (ret < 0)
		return ret;
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
