#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "control/codec.h"

void codec_add_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

void codec_add_int(struct json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

/* A vxvde network's peers, peer port and key: the key itself only into a saved definition (`saved`), a
 * shown network says whether it has one. */
static void codec_vxvde_extra(const struct network_def *def, struct json_object *o, bool saved)
{
	if (def->npeers) {
		struct json_object *list = json_object_new_array();

		for (unsigned i = 0; i < def->npeers; i++)
			json_object_array_add(list, json_object_new_string(def->peers[i]));
		json_object_object_add(o, "peers", list);
	}
	if (def->peer_port)
		codec_add_int(o, "peer_port", def->peer_port);
	if (saved && def->key[0]) {
		codec_add_str(o, "key", def->key);
		if (def->encrypt)
			json_object_object_add(o, "encrypt", json_object_new_boolean(1));
	} else if (!saved) {
		json_object_object_add(o, "keyed", json_object_new_boolean(def->key[0] != '\0'));
		if (def->key[0])
			json_object_object_add(o, "encrypt", json_object_new_boolean(def->encrypt));
	}
}

void codec_network_def(const struct network_def *def, struct json_object *o)
{
	char mode[16];

	codec_add_str(o, "name", def->name);
	codec_add_str(o, "description", def->description);
	codec_add_int(o, "owner_uid", def->owner_uid);
	/* a number, in the API and in the store alike (files of older vdeds hold it as a string; the
	 * replay takes both, see replay.c) */
	codec_add_int(o, "group", def->group);
	snprintf(mode, sizeof(mode), "%04o", def->mode);
	codec_add_str(o, "mode", mode);
	codec_add_int(o, "max_ports", def->max_ports);
	codec_add_int(o, "mac_table_size", def->mac_table_size);
	codec_add_int(o, "mac_aging", def->mac_aging);
}

struct json_object *codec_network(const struct network *net, const char *run_dir, unsigned macs)
{
	struct json_object *o = json_object_new_object();
	char path[PATH_MAX];

	codec_network_def(&net->def, o);
	snprintf(path, sizeof(path), "%s/net/%s", run_dir, net->def.name);
	codec_add_str(o, "endpoint", path);
	codec_add_int(o, "ports", net->nports);
	if (net->def.slirp) {
		struct json_object *sl = json_object_new_object();
		codec_add_str(sl, "subnet", net->def.subnet);
		json_object_object_add(sl, "ipv6", json_object_new_boolean(net->def.ipv6));
		if (net->def.dns[0])
			codec_add_str(sl, "dns", net->def.dns);
		json_object_object_add(o, "slirp", sl);
	}
	if (net->def.vxvde[0]) {
		struct json_object *vx = json_object_new_object();
		codec_add_str(vx, "group", net->def.vxvde);
		codec_add_int(vx, "vni", net->def.vni);
		codec_add_int(vx, "ttl", net->def.ttl);
		if (net->def.vxvde_if[0])
			codec_add_str(vx, "interface", net->def.vxvde_if);
		codec_vxvde_extra(&net->def, vx, false);
		json_object_object_add(o, "vxvde", vx);
	}
	if (net->def.vxlan) {
		struct json_object *x = json_object_new_object();
		char ifname[24];

		snprintf(ifname, sizeof(ifname), "vdevx%u", net->def.vxlan_vni);
		codec_add_int(x, "vni", net->def.vxlan_vni);
		codec_add_str(x, "remote", net->def.remote);
		codec_add_int(x, "dstport", net->def.dstport);
		codec_add_str(x, "ifname", ifname);
		if (net->def.vxlan_mtu)
			codec_add_int(x, "mtu", net->def.vxlan_mtu);
		if (!net->def.vxvde[0] && net->def.vxvde_if[0])
			codec_add_str(x, "interface", net->def.vxvde_if);
		json_object_object_add(o, "vxlan", x);
	}
	codec_add_int(o, "macs", macs);
	codec_add_int(o, "captures", net->ncaptures);
	codec_add_int(o, "capture_dropped", (int64_t)net->capture_dropped);
	return o;
}

struct json_object *codec_network_definition(const struct network *net)
{
	const struct network_def *def = &net->def;
	struct json_object *o = json_object_new_object();

	codec_network_def(def, o);
	if (def->vxvde[0]) {
		codec_add_str(o, "vxvde", def->vxvde);
		codec_add_int(o, "vni", def->vni);
		codec_add_int(o, "ttl", def->ttl);
		if (def->vxvde_if[0])
			codec_add_str(o, "interface", def->vxvde_if);
		codec_vxvde_extra(def, o, true);
	}
	if (def->vxlan) {
		codec_add_int(o, "vxlan", def->vxlan_vni);
		codec_add_str(o, "remote", def->remote);
		codec_add_int(o, "dstport", def->dstport);
		if (def->vxlan_mtu)
			codec_add_int(o, "mtu", def->vxlan_mtu);
		if (!def->vxvde[0] && def->vxvde_if[0])
			codec_add_str(o, "interface", def->vxvde_if);
	}
	if (def->slirp) {
		json_object_object_add(o, "slirp", json_object_new_boolean(1));
		codec_add_str(o, "subnet", def->subnet);
		if (def->ipv6)
			json_object_object_add(o, "ipv6", json_object_new_boolean(1));
		if (def->dns[0])
			codec_add_str(o, "dns", def->dns);
	}
	if (net->extras) {
		json_object_object_foreach(net->extras, key, val)
			json_object_object_add(o, key, json_object_get(val));
	}
	return o;
}

struct json_object *codec_port(const struct port *p, const struct switch_port_stats *st)
{
	struct json_object *o = json_object_new_object();
	static const struct switch_port_stats zero;

	if (!st)
		st = &zero;
	codec_add_int(o, "id", p->id);
	codec_add_str(o, "kind", p->ops->kind);
	codec_add_str(o, "description", p->description);
	codec_add_int(o, "uid", p->uid);
	codec_add_int(o, "gid", p->gid);
	codec_add_int(o, "pid", p->pid);
	codec_add_int(o, "created", p->created);
	codec_add_int(o, "rx_frames", (int64_t)st->rx_frames);
	codec_add_int(o, "rx_bytes", (int64_t)st->rx_bytes);
	codec_add_int(o, "tx_frames", (int64_t)st->tx_frames);
	codec_add_int(o, "tx_bytes", (int64_t)st->tx_bytes);
	codec_add_int(o, "tx_dropped", (int64_t)st->tx_dropped);
	codec_add_int(o, "rx_errors", (int64_t)st->rx_errors);
	/* what the port's switch policy dropped, by reason (doc/protocol.md) */
	codec_add_int(o, "drop_vlan", (int64_t)st->drop_vlan);
	codec_add_int(o, "drop_isolated", (int64_t)st->drop_isolated);
	codec_add_int(o, "drop_mac_limit", (int64_t)st->drop_mac_limit);
	codec_add_int(o, "drop_mac_pin", (int64_t)st->drop_mac_pin);
	codec_add_int(o, "drop_mac_move", (int64_t)st->drop_mac_move);
	codec_add_int(o, "drop_table_full", (int64_t)st->drop_table_full);
	codec_add_int(o, "drop_storm", (int64_t)st->drop_storm);
	codec_add_int(o, "drop_loop", (int64_t)st->drop_loop);
	codec_add_int(o, "loop_shutdowns", (int64_t)st->loop_shutdowns);
	if (p->ops->describe)
		p->ops->describe(p, o);
	return o;
}

void codec_shaping(const struct shaper_conf *c, struct json_object *o)
{
	const struct {
		const char *key;
		uint64_t v;
	} ints[] = {
		{ "rate_in", c->rate_in }, { "rate_out", c->rate_out }, { "burst", c->burst },
		{ "delay", c->delay_ms }, { "jitter", c->jitter_ms },
	};
	const struct {
		const char *key;
		uint32_t ppm;
	} pcts[] = { { "loss", c->loss }, { "dup", c->dup }, { "reorder", c->reorder } };

	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
		if (ints[i].v)
			codec_add_int(o, ints[i].key, (int64_t)ints[i].v);
	for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++)
		if (pcts[i].ppm)
			json_object_object_add(o, pcts[i].key, json_object_new_double(pcts[i].ppm / 10000.0));
}

void codec_shaper_stats(const struct shaper_stats *st, struct json_object *o)
{
	codec_add_int(o, "rx_dropped_rate", (int64_t)st->rx_dropped_rate);
	codec_add_int(o, "tx_dropped_loss", (int64_t)st->tx_dropped_loss);
	codec_add_int(o, "tx_dropped_queue", (int64_t)st->tx_dropped_queue);
	codec_add_int(o, "tx_duplicated", (int64_t)st->tx_duplicated);
	codec_add_int(o, "tx_reordered", (int64_t)st->tx_reordered);
	codec_add_int(o, "tx_delayed", (int64_t)st->tx_delayed);
}

static void codec_mac_text(const uint8_t m[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* A trunk set as "10,20-30" (what params.c parses back). */
static void codec_vlanset(const struct switch_port_conf *c, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned v = 1; v <= SWITCH_VLAN_MAX && n < size; v++) {
		unsigned end = v;

		if (!switch_conf_trunk_has(c, v))
			continue;
		while (end < SWITCH_VLAN_MAX && switch_conf_trunk_has(c, end + 1))
			end++;
		if (end == v)
			n += (size_t)snprintf(buf + n, size - n, "%s%u", n ? "," : "", v);
		else
			n += (size_t)snprintf(buf + n, size - n, "%s%u-%u", n ? "," : "", v, end);
		v = end;
	}
}

struct json_object *codec_port_switch(const struct switch_port_conf *c, bool full)
{
	struct json_object *o = json_object_new_object();
	char buf[20480];

	if (c->vlan || full)
		codec_add_int(o, "vlan", c->vlan);
	if (c->trunk || full) {
		codec_vlanset(c, buf, sizeof(buf));
		codec_add_str(o, "trunk", buf);
	}
	if (c->native || full)
		codec_add_int(o, "native", c->native);
	if (c->isolated || full)
		json_object_object_add(o, "isolated", json_object_new_boolean(c->isolated));
	if (c->max_macs || full)
		codec_add_int(o, "max_macs", c->max_macs);
	if (c->npinned || full) {
		struct json_object *arr = json_object_new_array();

		for (unsigned i = 0; i < c->npinned; i++) {
			codec_mac_text(c->pinned[i], buf);
			json_object_array_add(arr, json_object_new_string(buf));
		}
		json_object_object_add(o, "macs", arr);
	}
	if (c->storm_broadcast || full)
		codec_add_int(o, "storm_broadcast", c->storm_broadcast);
	if (c->storm_multicast || full)
		codec_add_int(o, "storm_multicast", c->storm_multicast);
	if (c->storm_unknown || full)
		codec_add_int(o, "storm_unknown", c->storm_unknown);
	if (c->loop_protect || full)
		json_object_object_add(o, "loop_protect", json_object_new_boolean(c->loop_protect));
	if (c->loop_hold || full)
		codec_add_int(o, "loop_hold", c->loop_hold);
	if (c->full_flood || full)
		json_object_object_add(o, "full_flood", json_object_new_boolean(c->full_flood));
	return o;
}

struct json_object *codec_mac(const struct switch_mac_info *m, uint32_t now)
{
	struct json_object *o = json_object_new_object();
	char mac[18];

	codec_mac_text(m->mac, mac);
	codec_add_str(o, "mac", mac);
	codec_add_int(o, "vlan", m->vlan);
	codec_add_int(o, "port", m->port);
	codec_add_int(o, "age", (int64_t)(now - m->last_seen));
	if (m->is_static)
		json_object_object_add(o, "static", json_object_new_boolean(1));
	return o;
}

void codec_page_init(struct codec_page *pg, unsigned offset, unsigned limit)
{
	memset(pg, 0, sizeof(*pg));
	pg->offset = offset;
	pg->limit = limit;
	pg->arr = json_object_new_array();
}

bool codec_page_wants(struct codec_page *pg)
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

void codec_page_take(struct codec_page *pg, struct json_object *item)
{
	size_t len = 0;

	json_object_to_json_string_length(item, JSON_C_TO_STRING_PLAIN, &len);
	if (pg->count > 0 && pg->bytes + len + 1 > CODEC_PAGE_BYTES) {
		json_object_put(item);
		pg->full = true;
		pg->next = pg->index - 1;
		return;
	}
	pg->bytes += len + 1;
	pg->count++;
	json_object_array_add(pg->arr, item);
}

void codec_page_finish(struct codec_page *pg, struct json_object *o, const char *key)
{
	json_object_object_add(o, key, pg->arr);
	codec_add_int(o, "total", pg->index);
	json_object_object_add(o, "next_offset", pg->full ? json_object_new_int64(pg->next) : NULL);
	pg->arr = NULL;
}
