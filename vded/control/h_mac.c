/* mac.list, mac.add, mac.flush: a network's MAC table, a page at a time; static entries (saved with the
 * definition as "macs" and replayed through mac.add); forgetting learned addresses. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "control/handlers.h"
#include "control/store.h"
#include "dataplane/switch.h"
#include "log.h"

struct mac_list_ctx {
	struct codec_page pg;
	uint32_t now;
};

static int mac_list_add(const struct switch_mac_info *m, void *arg)
{
	struct mac_list_ctx *c = arg;

	if (codec_page_wants(&c->pg))
		codec_page_take(&c->pg, codec_mac(m, c->now));
	/* else only counted for the total */
	return 0;
}

HANDLER(run_mac_list)
{
	struct network *net = handlers_find_network(a->network, e);
	struct mac_list_ctx c;

	if (!net)
		return -ENOENT;
	handlers_page_init(&c.pg, a, PARAMS_MACS_LIMIT);
	c.now = (uint32_t)ev_now(network_loop());
	switch_mac_foreach(net->sw, c.now, mac_list_add, &c);
	*res = json_object_new_object();
	codec_page_finish(&c.pg, *res, "macs");
	return 0;
}

static void mac_text(const uint8_t m[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

HANDLER(run_mac_add)
{
	struct network *net = handlers_find_network(a->network, e);
	struct json_object *entry;
	char mac[18], vlan[8];
	int ret;

	if (!net)
		return -ENOENT;
	if (a->port > net->def.max_ports)
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "port %u is out of range for network '%s' (1..%u)",
				     a->port, net->def.name, net->def.max_ports);
	ret = switch_mac_add_static(net->sw, a->mac, (uint16_t)a->vlan, a->port);
	if (ret == -ENOSPC)
		return vde_error_set(e, PROTO_ERR_LIMIT, ENOSPC, "the MAC table of network '%s' is full (%u entries)",
				     net->def.name, net->def.mac_table_size);
	if (ret < 0)
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "cannot add that address");
	mac_text(a->mac, mac);
	if (!ctx->replaying) {
		/* one entry per address and VLAN: a new port replaces the old one */
		snprintf(vlan, sizeof(vlan), "%u", a->vlan);
		handlers_extras_remove(net, "macs", "mac", mac, "vlan", vlan);
		entry = json_object_new_object();
		codec_add_str(entry, "mac", mac);
		codec_add_int(entry, "vlan", a->vlan);
		codec_add_int(entry, "port", a->port);
		ret = handlers_extras_add(net, "macs", entry, ctx, e);
		json_object_put(entry);
		if (ret < 0) {
			switch_mac_forget(net->sw, a->mac, (uint16_t)a->vlan);
			return ret;
		}
		log_notice("network %s: static %s vlan %u on port %u added by uid %u", net->def.name, mac, a->vlan,
			   a->port, ctx->peer ? (unsigned)ctx->peer->uid : 0);
	}
	*res = json_object_new_object();
	codec_add_str(*res, "mac", mac);
	codec_add_int(*res, "vlan", a->vlan);
	codec_add_int(*res, "port", a->port);
	json_object_object_add(*res, "static", json_object_new_boolean(1));
	return 0;
}

HANDLER(run_mac_flush)
{
	struct network *net = handlers_find_network(a->network, e);
	unsigned n;

	if (!net)
		return -ENOENT;
	n = switch_mac_flush(net->sw, (a->present & PARAM_PORT) ? (int)a->port : -1, a->is_static);
	if (a->is_static) {
		char port[16];

		/* static entries go from the definition too, or they come back at the next start */
		if (a->present & PARAM_PORT) {
			snprintf(port, sizeof(port), "%u", a->port);
			handlers_extras_remove_all(net, "macs", "port", port);
		} else if (json_object_object_get_ex(net->extras, "macs", NULL)) {
			json_object_object_del(net->extras, "macs");
			if (store_save(net) < 0)
				log_warn("network %s: could not save the definition", net->def.name);
		}
	}
	log_info("network %s: %u addresses flushed by uid %u", net->def.name, n, ctx->peer ? (unsigned)ctx->peer->uid : 0);
	*res = json_object_new_object();
	codec_add_int(*res, "removed", n);
	return 0;
}
