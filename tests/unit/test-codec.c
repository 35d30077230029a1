/*
 * Unit test of codec.c: the API object and the saved definition of a network share their definition
 * keys (group a number in both), a saved definition reads back through network.create's own parser to
 * the same definition, ports and MAC entries, and pages (offset, limit, the byte bound, total and
 * next_offset). Links codec.c with params.c, error.c and common/: no daemon state.
 */
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>

#include "control/codec.h"
#include "control/params.h"
#include "unit.h"

static int64_t get_int(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_int) ? json_object_get_int64(v)
											      : -1;
}

static const char *get_str(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string) ?
		       json_object_get_string(v) : NULL;
}

static void describe_test(const struct port *p, struct json_object *o)
{
	codec_add_str(o, "extra", "yes");
}

static const struct port_ops test_ops = { .kind = "test", .describe = describe_test };

int main(void)
{
	struct network net = { .def = NETWORK_DEF_DEFAULTS };
	struct json_object *api, *def, *v;
	struct method_args a;
	struct vde_error e = { 0 };

	snprintf(net.def.name, sizeof(net.def.name), "lab");
	snprintf(net.def.description, sizeof(net.def.description), "the lab");
	net.def.owner_uid = 1000;
	net.def.group = 4242;
	net.def.mode = 0640;
	net.nports = 3;
	net.extras = json_object_new_object();

	/* the API object: definition keys, endpoint, counts; no backends */
	api = codec_network(&net, "/run/vde", 17);
	CHECK_STR(get_str(api, "name"), "lab");
	CHECK_STR(get_str(api, "description"), "the lab");
	CHECK(get_int(api, "owner_uid") == 1000);
	CHECK(get_int(api, "group") == 4242);
	CHECK_STR(get_str(api, "mode"), "0640");
	CHECK(get_int(api, "max_ports") == 256 && get_int(api, "mac_table_size") == 4096 &&
	      get_int(api, "mac_aging") == 300);
	CHECK_STR(get_str(api, "endpoint"), "/run/vde/net/lab");
	CHECK(get_int(api, "ports") == 3 && get_int(api, "macs") == 17);
	CHECK(!json_object_object_get_ex(api, "slirp", NULL) && !json_object_object_get_ex(api, "vxvde", NULL));
	json_object_put(api);

	/* with both backends: nested in the API object, flat in the definition */
	net.def.slirp = true;
	snprintf(net.def.subnet, sizeof(net.def.subnet), "10.1.0.0/16");
	snprintf(net.def.dns, sizeof(net.def.dns), "10.1.0.53");
	net.def.ipv6 = true;
	snprintf(net.def.vxvde, sizeof(net.def.vxvde), "239.1.2.3:14789");
	net.def.vni = 7;
	net.def.ttl = 2;
	snprintf(net.def.vxvde_if, sizeof(net.def.vxvde_if), "eth0");
	json_object_object_add(net.extras, "taps", json_tokener_parse("[{\"ifname\":\"tap0\"}]"));
	api = codec_network(&net, "/run/vde", 0);
	CHECK(json_object_object_get_ex(api, "slirp", &v) && strcmp(get_str(v, "subnet"), "10.1.0.0/16") == 0 &&
	      strcmp(get_str(v, "dns"), "10.1.0.53") == 0);
	CHECK(json_object_object_get_ex(v, "ipv6", &v) && json_object_get_boolean(v));
	CHECK(json_object_object_get_ex(api, "vxvde", &v) && strcmp(get_str(v, "group"), "239.1.2.3:14789") == 0 &&
	      get_int(v, "vni") == 7 && get_int(v, "ttl") == 2 && strcmp(get_str(v, "interface"), "eth0") == 0);
	CHECK(!json_object_object_get_ex(api, "taps", NULL));

	def = codec_network_definition(&net);
	/* one writer of the definition keys: the same values in both */
	static const char *const shared[] = { "name", "description", "owner_uid", "group", "mode",
					      "max_ports", "mac_table_size", "mac_aging" };
	for (size_t i = 0; i < sizeof(shared) / sizeof(shared[0]); i++) {
		struct json_object *x, *y;

		CHECK(json_object_object_get_ex(api, shared[i], &x) && json_object_object_get_ex(def, shared[i], &y) &&
		      json_object_equal(x, y));
	}
	CHECK(get_int(def, "group") == 4242);
	CHECK_STR(get_str(def, "vxvde"), "239.1.2.3:14789");
	CHECK(get_int(def, "vni") == 7 && get_int(def, "ttl") == 2);
	CHECK_STR(get_str(def, "interface"), "eth0");
	CHECK(json_object_object_get_ex(def, "slirp", &v) && json_object_get_boolean(v));
	CHECK_STR(get_str(def, "subnet"), "10.1.0.0/16");
	CHECK(json_object_object_get_ex(def, "taps", &v) && json_object_array_length(v) == 1);
	CHECK(!json_object_object_get_ex(def, "endpoint", NULL) && !json_object_object_get_ex(def, "ports", NULL));
	json_object_put(api);

	/* the definition reads back through network.create's parser (as replay.c does: owner_uid taken
	 * apart, the group number as its string, the backends replayed on their own) */
	json_object_object_del(def, "owner_uid");
	json_object_object_del(def, "taps");
	json_object_object_add(def, "group", json_object_new_string("4242"));
	CHECK(params_parse_network_create(def, &a, &e) == 0);
	CHECK_STR(a.name, "lab");
	CHECK_STR(a.description, "the lab");
	CHECK_STR(a.group, "4242");
	CHECK(a.mode == 0640 && a.max_ports == 256 && a.mac_table_size == 4096 && a.mac_aging == 300);
	CHECK(a.slirp && a.ipv6 && strcmp(a.subnet, "10.1.0.0/16") == 0 && strcmp(a.dns, "10.1.0.53") == 0);
	CHECK(strcmp(a.vxvde, "239.1.2.3:14789") == 0 && a.vni == 7 && a.ttl == 2 && strcmp(a.interface, "eth0") == 0);
	json_object_put(def);
	/* ...also without backends (no stray keys) */
	net.def.slirp = false;
	net.def.vxvde[0] = '\0';
	def = codec_network_definition(&net);
	json_object_object_del(def, "owner_uid");
	json_object_object_del(def, "taps");
	json_object_object_add(def, "group", json_object_new_string("4242"));
	CHECK(params_parse_network_create(def, &a, &e) == 0);
	CHECK(!(a.present & (PARAM_SLIRP | PARAM_SUBNET | PARAM_VXVDE | PARAM_VNI | PARAM_INTERFACE)));
	json_object_put(def);
	json_object_put(net.extras);

	/* a port: identity, counters (zero without stats), the kind's own keys */
	struct port p = { .net = &net, .id = 5, .ops = &test_ops, .uid = 1000, .gid = 100, .pid = 42, .created = 99 };
	struct switch_port_stats st = { .rx_frames = 1, .rx_bytes = 2, .tx_frames = 3, .tx_bytes = 4,
					.tx_dropped = 5, .rx_errors = 6 };
	snprintf(p.description, sizeof(p.description), "qemu");
	v = codec_port(&p, &st);
	CHECK(get_int(v, "id") == 5 && get_int(v, "uid") == 1000 && get_int(v, "gid") == 100 && get_int(v, "pid") == 42 &&
	      get_int(v, "created") == 99);
	CHECK_STR(get_str(v, "kind"), "test");
	CHECK_STR(get_str(v, "description"), "qemu");
	CHECK(get_int(v, "rx_frames") == 1 && get_int(v, "rx_bytes") == 2 && get_int(v, "tx_frames") == 3 &&
	      get_int(v, "tx_bytes") == 4 && get_int(v, "tx_dropped") == 5 && get_int(v, "rx_errors") == 6);
	CHECK_STR(get_str(v, "extra"), "yes");
	json_object_put(v);
	v = codec_port(&p, NULL);
	CHECK(get_int(v, "rx_frames") == 0 && get_int(v, "tx_dropped") == 0);
	json_object_put(v);

	/* a MAC entry */
	struct switch_mac_info m = { .mac = { 0x02, 0, 0x5e, 0xa, 0xbc, 0xff }, .vlan = 12, .port = 3, .last_seen = 90 };
	v = codec_mac(&m, 100);
	CHECK_STR(get_str(v, "mac"), "02:00:5e:0a:bc:ff");
	CHECK(get_int(v, "vlan") == 12 && get_int(v, "port") == 3 && get_int(v, "age") == 10);
	json_object_put(v);

	/* pages: offset and limit, total counts every entry, next_offset where the next page starts */
	struct codec_page pg;
	struct json_object *o = json_object_new_object();
	codec_page_init(&pg, 2, 3);
	for (int i = 0; i < 10; i++)
		if (codec_page_wants(&pg))
			codec_page_take(&pg, json_object_new_int(i));
	codec_page_finish(&pg, o, "items");
	CHECK(json_object_object_get_ex(o, "items", &v) && json_object_array_length(v) == 3 &&
	      json_object_get_int(json_object_array_get_idx(v, 0)) == 2);
	CHECK(get_int(o, "total") == 10 && get_int(o, "next_offset") == 5);
	json_object_put(o);
	/* the last page: next_offset is null */
	o = json_object_new_object();
	codec_page_init(&pg, 8, 5);
	for (int i = 0; i < 10; i++)
		if (codec_page_wants(&pg))
			codec_page_take(&pg, json_object_new_int(i));
	codec_page_finish(&pg, o, "items");
	CHECK(json_object_object_get_ex(o, "items", &v) && json_object_array_length(v) == 2);
	CHECK(json_object_object_get_ex(o, "next_offset", &v) && v == NULL);
	CHECK(get_int(o, "total") == 10);
	json_object_put(o);
	/* the byte bound ends a page whatever the limit, but a page always holds one entry */
	static char big[PROTO_MAX_REPLY / 4];
	memset(big, 'x', sizeof(big) - 1);
	o = json_object_new_object();
	codec_page_init(&pg, 0, PARAMS_LIMIT_MAX);
	for (int i = 0; i < 10; i++)
		if (codec_page_wants(&pg))
			codec_page_take(&pg, json_object_new_string(big));
	codec_page_finish(&pg, o, "items");
	CHECK(json_object_object_get_ex(o, "items", &v) && json_object_array_length(v) == 1);
	CHECK(get_int(o, "total") == 10 && get_int(o, "next_offset") == 1);
	json_object_put(o);
	static char huge[PROTO_MAX_REPLY];
	memset(huge, 'y', sizeof(huge) - 1);
	o = json_object_new_object();
	codec_page_init(&pg, 0, 10);
	for (int i = 0; i < 3; i++)
		if (codec_page_wants(&pg))
			codec_page_take(&pg, json_object_new_string(huge));
	codec_page_finish(&pg, o, "items");
	CHECK(json_object_object_get_ex(o, "items", &v) && json_object_array_length(v) == 1);
	json_object_put(o);

	return unit_report("test-codec");
}
