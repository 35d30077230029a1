/*
 * Unit test of params.c alone: the schema (every key once, its field inside struct method_args, its
 * defaults the daemon's own), types and ranges, unknown and missing keys, and what a text may hold.
 * Links params.c, error.c and common/ only.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>

#include "control/params.h"
#include "backends/vxvde.h"
#include "unit.h"

#define ALL (~UINT64_C(0))

/* Parse text (a JSON object, or NULL for no params) with the given key sets; the error code's name
 * ("ok" for success) and, in msg, the message. */
static const char *parse(const char *text, uint64_t allowed, uint64_t required, struct method_args *a, char *msg,
			 size_t msglen)
{
	struct json_object *o = text ? json_tokener_parse(text) : NULL;
	struct vde_error e = { 0 };
	static char code[64];
	int ret;

	if (text && !o) {
		snprintf(code, sizeof(code), "test-json-broken");
		return code;
	}
	ret = params_parse("test.method", allowed, required, o, a, &e);
	snprintf(code, sizeof(code), "%s", ret < 0 ? proto_err_code(e.code) : "ok");
	if (msg)
		snprintf(msg, msglen, "%s", ret < 0 ? e.message : "");
	CHECK(ret == 0 || ret == -EINVAL);
	if (ret == 0)
		CHECK(a->raw == o);
	json_object_put(o);
	return code;
}

static const char *p1(const char *text)
{
	struct method_args a;

	return parse(text, ALL, 0, &a, NULL, 0);
}

int main(void)
{
	struct method_args a;
	char msg[256], buf[512];

	/* the schema: each key and each bit once, each field inside method_args */
	for (size_t i = 0; i < params_schema_count; i++) {
		const struct param_spec *s = &params_schema[i];

		CHECK(params_lookup(s->key) == s);
		CHECK(params_spec(s->bit) == s);
		CHECK(s->off + s->size <= sizeof(struct method_args));
		CHECK(s->bit && !(s->bit & (s->bit - 1)));
		for (size_t j = 0; j < i; j++)
			CHECK(params_schema[j].bit != s->bit && strcmp(params_schema[j].key, s->key) != 0);
		if (s->type == PT_UINT || s->type == PT_MODE)
			CHECK(s->min <= s->max);
	}
	CHECK(params_lookup("bogus") == NULL);
	CHECK(params_spec(0) == NULL);

	/* the defaults the schema names are the ones the daemon applies */
	static const struct network_def dd = NETWORK_DEF_DEFAULTS;
	const struct {
		uint64_t bit;
		unsigned value;
	} num_defaults[] = {
		{ PARAM_MAX_PORTS, dd.max_ports },
		{ PARAM_MAC_TABLE_SIZE, dd.mac_table_size },
		{ PARAM_MAC_AGING, dd.mac_aging },
		{ PARAM_VNI, VXVDE_DEFAULT_VNI },
		{ PARAM_TTL, VXVDE_DEFAULT_TTL },
		{ PARAM_OFFSET, 0 },
	};
	for (size_t i = 0; i < sizeof(num_defaults) / sizeof(num_defaults[0]); i++) {
		const struct param_spec *s = params_spec(num_defaults[i].bit);

		snprintf(buf, sizeof(buf), "%u", num_defaults[i].value);
		CHECK(s && s->dflt && strcmp(s->dflt, buf) == 0);
		/* and a default is a value the parser takes */
		snprintf(buf, sizeof(buf), "{\"%s\":%s}", s->key, s->dflt);
		CHECK_STR(p1(buf), "ok");
	}
	snprintf(buf, sizeof(buf), "%04o", dd.mode);
	CHECK_STR(params_spec(PARAM_MODE)->dflt, buf);
	CHECK_STR(params_spec(PARAM_SUBNET)->dflt, PARAMS_DEFAULT_SUBNET);

	/* envelope: none, an empty object, not an object */
	CHECK_STR(p1(NULL), "ok");
	CHECK_STR(p1("{}"), "ok");
	CHECK_STR(p1("[]"), "invalid-request");
	CHECK_STR(p1("\"x\""), "invalid-request");

	/* unknown keys: not in the schema, or not the method's */
	CHECK_STR(parse("{\"bogus\":1}", ALL, 0, &a, msg, sizeof(msg)), "invalid-params");
	CHECK_STR(msg, "unknown parameter 'bogus' for test.method");
	CHECK_STR(parse("{\"name\":\"x\"}", PARAM_NETWORK, 0, &a, msg, sizeof(msg)), "invalid-params");
	CHECK_STR(msg, "unknown parameter 'name' for test.method");
	/* missing: the first required key in schema order is named */
	CHECK_STR(parse("{}", PARAM_NAME | PARAM_PORT, PARAM_PORT | PARAM_NAME, &a, msg, sizeof(msg)), "invalid-params");
	CHECK_STR(msg, "missing parameter 'name' for test.method");
	CHECK_STR(parse("{\"name\":\"x\"}", PARAM_NAME | PARAM_PORT, PARAM_PORT | PARAM_NAME, &a, msg, sizeof(msg)),
		  "invalid-params");
	CHECK_STR(msg, "missing parameter 'port' for test.method");

	/* present bits and values */
	CHECK_STR(parse("{\"name\":\"lab\",\"port\":7,\"exist_ok\":true,\"mode\":\"0640\"}", ALL, 0, &a, NULL, 0), "ok");
	CHECK(a.present == (PARAM_NAME | PARAM_PORT | PARAM_EXIST_OK | PARAM_MODE));
	CHECK_STR(a.name, "lab");
	CHECK(a.port == 7 && a.exist_ok && a.mode == 0640 && a.max_ports == 0);

	/* ranges: both ends in, one past each out; only integers */
	static const struct {
		const char *key;
		long long lo, hi;
	} ranges[] = {
		{ "port", 1, NETWORK_MAX_PORTS_LIMIT },
		{ "max_ports", 1, NETWORK_MAX_PORTS_LIMIT },
		{ "mac_table_size", 16, 65536 },
		{ "mac_aging", 1, 86400 },
		{ "mtu", 68, 9216 },
		{ "vni", 0, 0xffffff },
		{ "ttl", 1, 255 },
		{ "offset", 0, UINT32_MAX },
		{ "limit", 1, PARAMS_LIMIT_MAX },
	};
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		const char *k = ranges[i].key;

		snprintf(buf, sizeof(buf), "{\"%s\":%lld}", k, ranges[i].lo);
		CHECK_STR(p1(buf), "ok");
		snprintf(buf, sizeof(buf), "{\"%s\":%lld}", k, ranges[i].hi);
		CHECK_STR(p1(buf), "ok");
		snprintf(buf, sizeof(buf), "{\"%s\":%lld}", k, ranges[i].lo - 1);
		CHECK_STR(p1(buf), "invalid-params");
		snprintf(buf, sizeof(buf), "{\"%s\":%lld}", k, ranges[i].hi + 1);
		CHECK_STR(p1(buf), "invalid-params");
		snprintf(buf, sizeof(buf), "{\"%s\":1.5}", k);
		CHECK_STR(p1(buf), "invalid-params");
		snprintf(buf, sizeof(buf), "{\"%s\":\"1\"}", k);
		CHECK_STR(p1(buf), "invalid-params");
		CHECK(params_lookup(k)->min == ranges[i].lo && params_lookup(k)->max == ranges[i].hi);
	}
	CHECK_STR(p1("{\"port\":99999999999999999999}"), "invalid-params");
	CHECK_STR(parse("{\"mtu\":10}", ALL, 0, &a, msg, sizeof(msg)), "invalid-params");
	CHECK_STR(msg, "'mtu' must be in 68..9216, not 10");
	/* the bad value is named, not only the key */
	CHECK_STR(parse("{\"network\":\"x y\"}", ALL, 0, &a, msg, sizeof(msg)), "invalid-params");
	CHECK(strstr(msg, "'x y' is not a valid network name ('network': ") == msg);
	CHECK_STR(parse("{\"networks\":[\"ok\",\"-bad\"]}", ALL, 0, &a, msg, sizeof(msg)), "invalid-params");
	CHECK(strstr(msg, "'-bad' is not a valid network name ('networks': ") == msg);
	CHECK_STR(parse("{\"ifname\":\"a/b\"}", ALL, 0, &a, msg, sizeof(msg)), "invalid-params");
	CHECK(strstr(msg, "'a/b' is not an interface name") == msg);

	/* booleans are booleans */
	CHECK_STR(p1("{\"exist_ok\":\"yes\"}"), "invalid-params");
	CHECK_STR(p1("{\"missing_ok\":1}"), "invalid-params");
	CHECK_STR(p1("{\"up\":false}"), "ok");

	/* modes: an octal string or the number, at most 0777 */
	CHECK_STR(parse("{\"mode\":432}", ALL, 0, &a, NULL, 0), "ok");
	CHECK(a.mode == 0660);
	CHECK_STR(parse("{\"mode\":\"0777\"}", ALL, 0, &a, NULL, 0), "ok");
	CHECK(a.mode == 0777);
	CHECK_STR(p1("{\"mode\":\"01000\"}"), "invalid-params");
	CHECK_STR(p1("{\"mode\":\"0668\"}"), "invalid-params");
	CHECK_STR(p1("{\"mode\":\"\"}"), "invalid-params");
	CHECK_STR(p1("{\"mode\":-1}"), "invalid-params");
	CHECK_STR(p1("{\"mode\":true}"), "invalid-params");

	/* names */
	CHECK_STR(p1("{\"name\":\"a-b_c.1\"}"), "ok");
	CHECK_STR(p1("{\"name\":\"\"}"), "invalid-params");
	CHECK_STR(p1("{\"name\":\"../etc\"}"), "invalid-params");
	CHECK_STR(p1("{\"name\":\"-x\"}"), "invalid-params");
	CHECK_STR(p1("{\"name\":\".x\"}"), "invalid-params");
	CHECK_STR(p1("{\"network\":\"a b\"}"), "invalid-params");
	CHECK_STR(p1("{\"name\":\"a\\u0000b\"}"), "invalid-params");
	CHECK_STR(p1("{\"name\":5}"), "invalid-params");
	memset(buf, 0, sizeof(buf));
	memcpy(buf, "{\"name\":\"", 9);
	memset(buf + 9, 'n', NETWORK_NAME_MAX);
	strcpy(buf + 9 + NETWORK_NAME_MAX, "\"}");
	CHECK_STR(p1(buf), "invalid-params");

	/* texts: bounded, no NUL, nothing that hides or fakes text (V18) */
	CHECK_STR(p1("{\"description\":\"caf\\u00e9 \\u65e5\\u672c\"}"), "ok");
	CHECK_STR(parse("{\"description\":\"a\\u202eb\"}", ALL, 0, &a, msg, sizeof(msg)), "invalid-params");
	CHECK(strstr(msg, "'description'") && strstr(msg, "U+202E"));
	CHECK_STR(p1("{\"description\":\"a\\nb\"}"), "invalid-params");
	CHECK_STR(p1("{\"description\":\"a\\u0000b\"}"), "invalid-params");
	CHECK_STR(p1("{\"url\":\"cmd://true\"}"), "ok");
	memcpy(buf, "{\"proto\":\"", 10);
	memset(buf + 10, 't', sizeof(a.proto));
	strcpy(buf + 10 + sizeof(a.proto), "\"}");
	CHECK_STR(parse(buf, ALL, 0, &a, msg, sizeof(msg)), "invalid-params");
	CHECK_STR(msg, "'proto' is longer than 7 bytes");

	/* interface names */
	CHECK_STR(parse("{\"ifname\":\"tap0\"}", ALL, 0, &a, NULL, 0), "ok");
	CHECK_STR(a.ifname, "tap0");
	CHECK_STR(p1("{\"ifname\":\"a/b\"}"), "invalid-params");
	CHECK_STR(p1("{\"ifname\":\"0123456789abcdef\"}"), "invalid-params");
	CHECK_STR(p1("{\"interface\":\"..\"}"), "invalid-params");
	CHECK_STR(p1("{\"ifname\":7}"), "invalid-params");

	/* address lists: at most 8 strings, each bounded */
	CHECK_STR(parse("{\"addresses\":[\"10.0.0.1/24\",\"fd00::1/64\"]}", ALL, 0, &a, NULL, 0), "ok");
	CHECK(a.naddrs == 2 && strcmp(a.addresses[1], "fd00::1/64") == 0);
	CHECK_STR(p1("{\"addresses\":[]}"), "ok");
	CHECK_STR(p1("{\"addresses\":[\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\"]}"), "invalid-params");
	CHECK_STR(p1("{\"addresses\":[1]}"), "invalid-params");
	CHECK_STR(p1("{\"addresses\":\"10.0.0.1/24\"}"), "invalid-params");

	/* network lists: 1 to 8 names */
	CHECK_STR(parse("{\"networks\":[\"a\",\"b\"]}", ALL, 0, &a, NULL, 0), "ok");
	CHECK(a.nnets == 2 && strcmp(a.networks[1], "b") == 0);
	CHECK_STR(p1("{\"networks\":[]}"), "invalid-params");
	CHECK_STR(p1("{\"networks\":[\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\"]}"), "invalid-params");
	CHECK_STR(p1("{\"networks\":[\"../x\"]}"), "invalid-params");

	/* network.create's own set, as the config file and the store use it */
	struct json_object *o = json_tokener_parse("{\"name\":\"lab\",\"slirp\":true,\"subnet\":\"10.1.0.0/16\"}");
	struct vde_error e = { 0 };
	CHECK(params_parse_network_create(o, &a, &e) == 0 && a.slirp && strcmp(a.subnet, "10.1.0.0/16") == 0);
	json_object_put(o);
	o = json_tokener_parse("{\"name\":\"lab\",\"port\":1}");
	CHECK(params_parse_network_create(o, &a, &e) == -EINVAL);
	CHECK_STR(e.message, "unknown parameter 'port' for network.create");
	json_object_put(o);
	o = json_tokener_parse("{\"description\":\"x\"}");
	CHECK(params_parse_network_create(o, &a, &e) == -EINVAL);
	CHECK_STR(e.message, "missing parameter 'name' for network.create");
	json_object_put(o);

	/* a MAC: six hex pairs, either case, unicast only */
	CHECK_STR(parse("{\"mac\":\"02:aB:00:00:00:01\"}", ALL, 0, &a, NULL, 0), "ok");
	CHECK(a.mac[0] == 0x02 && a.mac[1] == 0xab && a.mac[5] == 0x01 && (a.present & PARAM_MAC));
	CHECK_STR(p1("{\"mac\":\"01:00:5e:00:00:01\"}"), "invalid-params");	/* multicast */
	CHECK_STR(p1("{\"mac\":\"02:00:00:00:00\"}"), "invalid-params");
	CHECK_STR(p1("{\"mac\":\"02:00:00:00:00:01:\"}"), "invalid-params");
	CHECK_STR(p1("{\"mac\":\"02-00-00-00-00-01\"}"), "invalid-params");
	CHECK_STR(p1("{\"mac\":\"0g:00:00:00:00:01\"}"), "invalid-params");
	CHECK_STR(p1("{\"mac\":2}"), "invalid-params");
	CHECK_STR(parse("{\"transient\":true,\"keep_ip\":true}", ALL, 0, &a, NULL, 0), "ok");
	CHECK(a.transient && a.keep_ip && !a.for_vm);

	return unit_report("test-params");
}
