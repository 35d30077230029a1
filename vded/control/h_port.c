/* network.attach, port.list, port.show, port.detach: the ports of a network, and attaching clients to it. Detaching
 * a backend's port (tap, uplink, slirp, vxvde) takes that backend out of the saved definition. */
#include <errno.h>

#include "control/handlers.h"
#include "backends/attach.h"
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
