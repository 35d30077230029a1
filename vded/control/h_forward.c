/* forward.add, .remove, .list: host-to-guest port forwards of a network's slirp, kept with the definition. */
#include <errno.h>
#include <string.h>
#include <stdio.h>
#include <arpa/inet.h>

#include "control/events.h"
#include "control/handlers.h"
#include "backends/slirp.h"
#include "log.h"

static int forward_parse(const struct method_args *a, struct slirp_forward *fw, struct vde_error *e)
{
	if (slirp_parse_forward(a->proto, a->host, (a->present & PARAM_GUEST) ? a->guest : "0.0.0.0:1", fw) < 0)
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL,
				     "a forward is proto tcp|udp, host [ADDR:]PORT, guest ADDR:PORT (got %s %s %s)",
				     a->proto, a->host, a->guest);
	return 0;
}

/* A forward's host side as saved: ADDR:PORT with the address spelled out, so that "8080" and
 * "127.0.0.1:8080" are one forward for forward.remove and at the next start. */
static void forward_host_canonical(const struct slirp_forward *fw, char *out, size_t size)
{
	struct in_addr v4;

	memcpy(&v4, &fw->host_addr.s6_addr[12], sizeof(v4));	/* IPv4 v4-mapped (slirp.h) */
	snprintf(out, size, "%s:%u", inet_ntoa(v4), fw->host_port);
}

/* A forward's event: {"proto","host","guest"} (guest only when added). */
static void forward_emit(const struct network *net, const char *action, const char *proto, const char *host,
			 const char *guest)
{
	struct json_object *d = json_object_new_object();

	codec_add_str(d, "proto", proto);
	codec_add_str(d, "host", host);
	if (guest)
		codec_add_str(d, "guest", guest);
	events_emit(EVENTS_FORWARD, action, net, d);
}

HANDLER(run_forward_add)
{
	struct network *net = handlers_find_network(a->network, e);
	struct slirp_forward fw;
	char host[32];
	int ret;

	if (!net)
		return -ENOENT;
	ret = forward_parse(a, &fw, e);
	if (ret < 0)
		return ret;
	/* which addresses and ports a caller may bind (V11); saved forwards were checked when made */
	if (ctx->peer && !ctx->replaying && (ret = slirp_forward_allowed(ctx->peer, &fw, e)) < 0)
		return ret;
	ret = slirp_forward_add(net, &fw, e);
	if (ret < 0)
		return ret;
	forward_host_canonical(&fw, host, sizeof(host));
	json_object_object_add(a->raw, "host", json_object_new_string(host));
	ret = handlers_extras_add(net, "forwards", a->raw, ctx, e);
	if (ret < 0) {
		slirp_forward_remove(net, &fw, NULL);
		return ret;
	}
	log_notice("network %s: forward %s %s -> %s", net->def.name, a->proto, a->host, a->guest);
	forward_emit(net, "added", a->proto, host, a->guest);
	*res = json_object_new_object();
	return 0;
}

HANDLER(run_forward_remove)
{
	struct network *net = handlers_find_network(a->network, e);
	struct slirp_forward fw;
	char host[32];
	int ret;

	if (!net)
		return -ENOENT;
	ret = forward_parse(a, &fw, e);
	if (ret < 0)
		return ret;
	ret = slirp_forward_remove(net, &fw, e);
	if (ret < 0 && !(ret == -ENOENT && a->missing_ok))
		return ret;
	forward_host_canonical(&fw, host, sizeof(host));
	handlers_extras_remove(net, "forwards", "proto", a->proto, "host", host);
	if (strcmp(host, a->host))	/* saved by an older vded as it was given */
		handlers_extras_remove(net, "forwards", "proto", a->proto, "host", a->host);
	if (ret == 0)
		forward_emit(net, "removed", a->proto, host, NULL);
	*res = json_object_new_object();
	return 0;
}

HANDLER(run_forward_list)
{
	struct network *net = handlers_find_network(a->network, e);
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
