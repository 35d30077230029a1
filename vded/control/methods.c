/* methods — the table and the dispatch of one request: frame → lookup → parse → policy → run → reply.
 * The handlers are in h_<noun>.c, the parameters in params.c, the objects in codec.c. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control/codec.h"
#include "control/handlers.h"
#include "control/methods.h"
#include "control/params.h"
#include "control/policy.h"

struct method {
	const char *name;
	enum policy_access access;
	uint64_t net_param;		/* PARAM_NAME or PARAM_NETWORK: the one that names a network, or 0 */
	uint64_t allowed, required;	/* PARAM_* bits */
	int (*run)(struct method_args *a, struct request_ctx *ctx, struct json_object **result,
		   struct vde_error *e);
};

#define PAGE (PARAM_OFFSET | PARAM_LIMIT)

/* Sorted by name (bsearch). */
static const struct method methods[] = {
	{ "capture.start", POLICY_CAPTURE, PARAM_NETWORK, PARAM_NETWORK | PARAM_PORTS | PARAM_COUNT | PARAM_SNAPLEN,
	  PARAM_NETWORK, run_capture_start },
	{ "daemon.info", POLICY_CONNECT, 0, 0, 0, run_daemon_info },
	{ "daemon.upgrade", POLICY_ADMIN, 0, 0, 0, run_daemon_upgrade },
	{ "events.subscribe", POLICY_READ, PARAM_NETWORK, PARAM_NETWORK | PARAM_KINDS, 0, run_events_subscribe },
	{ "forward.add", POLICY_MODIFY, PARAM_NETWORK, PARAM_NETWORK | PARAM_PROTO | PARAM_HOST | PARAM_GUEST,
	  PARAM_NETWORK | PARAM_PROTO | PARAM_HOST | PARAM_GUEST, run_forward_add },
	{ "forward.list", POLICY_READ, PARAM_NETWORK, PARAM_NETWORK, PARAM_NETWORK, run_forward_list },
	{ "forward.remove", POLICY_MODIFY, PARAM_NETWORK, PARAM_NETWORK | PARAM_PROTO | PARAM_HOST | PARAM_MISSING_OK,
	  PARAM_NETWORK | PARAM_PROTO | PARAM_HOST, run_forward_remove },
	{ "mac.add", POLICY_MODIFY, PARAM_NETWORK, PARAM_NETWORK | PARAM_MAC | PARAM_PORT | PARAM_VLAN,
	  PARAM_NETWORK | PARAM_MAC | PARAM_PORT, run_mac_add },
	{ "mac.flush", POLICY_MODIFY, PARAM_NETWORK, PARAM_NETWORK | PARAM_PORT | PARAM_STATIC, PARAM_NETWORK,
	  run_mac_flush },
	{ "mac.list", POLICY_READ, PARAM_NETWORK, PARAM_NETWORK | PAGE, PARAM_NETWORK, run_mac_list },
	{ "network.attach", POLICY_ATTACH, PARAM_NETWORK, PARAM_NETWORK | PARAM_DESCRIPTION | PARAM_PORT | PARAM_FD | PARAM_SWITCH, PARAM_NETWORK,
	  run_network_attach },
	{ "network.connect", POLICY_ADMIN, PARAM_NETWORK, PARAM_NETWORK | PARAM_URL, PARAM_NETWORK | PARAM_URL, run_network_connect },
	{ "network.create", POLICY_CREATE, PARAM_NAME, PARAMS_NETWORK_CREATE_ALLOWED, PARAMS_NETWORK_CREATE_REQUIRED,
	  run_network_create },
	{ "network.delete", POLICY_MODIFY, PARAM_NAME, PARAM_NAME | PARAM_MISSING_OK, PARAM_NAME, run_network_delete },
	{ "network.disconnect", POLICY_ADMIN, PARAM_NETWORK, PARAM_NETWORK | PARAM_PORT | PARAM_MISSING_OK, PARAM_NETWORK | PARAM_PORT,
	  run_network_disconnect },
	{ "network.list", POLICY_CONNECT, 0, PAGE, 0, run_network_list },
	{ "network.set", POLICY_MODIFY, PARAM_NAME, PARAM_NAME | PARAM_GROUP | PARAM_MODE | PARAM_DESCRIPTION | PARAM_PORT_DEFAULT | PARAM_PEERS, PARAM_NAME,
	  run_network_set },
	{ "network.show", POLICY_READ, PARAM_NAME, PARAM_NAME | PAGE, PARAM_NAME, run_network_show },
	{ "ns.create", POLICY_ADMIN, 0, PARAM_NAME | PARAM_NETWORKS | PARAM_ADDRESSES | PARAM_GATEWAY | PARAM_VLANS, PARAM_NAME | PARAM_NETWORKS,
	  run_ns_create },
	{ "ns.delete", POLICY_ADMIN, 0, PARAM_NAME | PARAM_MISSING_OK, PARAM_NAME, run_ns_delete },
	{ "ns.list", POLICY_CONNECT, 0, 0, 0, run_ns_list },
	{ "port.add", POLICY_ATTACH, PARAM_NETWORK, PARAM_NETWORK | PARAM_IFNAME | PARAM_TRANSIENT | PARAM_KEEP_IP | PARAM_SWITCH,
	  PARAM_NETWORK | PARAM_IFNAME, run_port_add },
	{ "port.detach", POLICY_DETACH, PARAM_NETWORK, PARAM_NETWORK | PARAM_PORT | PARAM_MISSING_OK, PARAM_NETWORK | PARAM_PORT,
	  run_port_detach },
	{ "port.list", POLICY_READ, PARAM_NETWORK, PARAM_NETWORK | PAGE, PARAM_NETWORK, run_port_list },
	/* READ here: the handler judges the port it finds by name as port.detach would */
	{ "port.remove", POLICY_READ, PARAM_NETWORK, PARAM_NETWORK | PARAM_IFNAME | PARAM_MISSING_OK,
	  PARAM_NETWORK | PARAM_IFNAME, run_port_remove },
	{ "port.set", POLICY_MODIFY, PARAM_NETWORK,
	  PARAM_NETWORK | PARAM_PORT | PARAM_SHAPING_DEFAULT | PARAMS_PORT_SHAPING | PARAM_SWITCH, PARAM_NETWORK,
	  run_port_set },
	{ "port.show", POLICY_READ, PARAM_NETWORK, PARAM_NETWORK | PARAM_PORT, PARAM_NETWORK | PARAM_PORT, run_port_show },
	{ "stats.get", POLICY_READ, PARAM_NETWORK, PARAM_NETWORK | PAGE, 0, run_stats_get },
	{ "tap.add", POLICY_ADMIN, PARAM_NETWORK, PARAM_NETWORK | PARAM_IFNAME | PARAM_OWNER | PARAM_ADDRESSES | PARAM_MTU | PARAM_UP |
	  PARAM_FOR_VM | PARAM_GROUP | PARAM_MULTI_QUEUE | PARAM_MAC | PARAM_SWITCH,
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

size_t methods_count(void)
{
	return sizeof(methods) / sizeof(methods[0]);
}

const char *methods_name(size_t i)
{
	return i < methods_count() ? methods[i].name : NULL;
}

int methods_parse(const char *method, struct json_object *params, struct method_args *args, struct vde_error *e)
{
	const struct method *m = method_lookup(method);

	if (!m)
		return vde_error_set(e, PROTO_ERR_UNSUPPORTED, EOPNOTSUPP, "unknown method '%s'", method);
	return params_parse(m->name, m->allowed, m->required, params, args, e);
}

int methods_call(const char *method, struct json_object *params, struct request_ctx *ctx,
		 struct json_object **result, struct vde_error *e)
{
	const struct method *m = method_lookup(method);
	struct method_args a;
	int ret;

	if (!m)
		return vde_error_set(e, PROTO_ERR_UNSUPPORTED, EOPNOTSUPP, "unknown method '%s'", method);
	ret = params_parse(m->name, m->allowed, m->required, params, &a, e);
	return ret < 0 ? ret : m->run(&a, ctx, result, e);
}

struct json_object *methods_error_reply(struct json_object *id, const struct vde_error *e)
{
	struct json_object *r = json_object_new_object(), *err = json_object_new_object();

	json_object_object_add(r, "id", id ? json_object_get(id) : NULL);
	codec_add_str(err, "code", proto_err_code(e->code));
	codec_add_int(err, "errno", e->err);
	codec_add_str(err, "message", e->message);
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
