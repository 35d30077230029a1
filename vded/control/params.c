#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control/params.h"
#include "proto.h"
#include "text.h"

#define ARG(field) offsetof(struct method_args, field), sizeof(((struct method_args *)0)->field)

/* The order is the order in which a missing required key is reported. A default is what the handler
 * applies when the key is absent (tests/unit/test-params.c holds these to the daemon's constants). */
const struct param_spec params_schema[] = {
	{ "name", PARAM_NAME, PT_NAME, 0, 0, NULL, ARG(name) },
	{ "network", PARAM_NETWORK, PT_NAME, 0, 0, NULL, ARG(network) },
	{ "description", PARAM_DESCRIPTION, PT_TEXT, 0, 0, NULL, ARG(description) },
	{ "port", PARAM_PORT, PT_UINT, 1, NETWORK_MAX_PORTS_LIMIT, "0", ARG(port) },
	{ "exist_ok", PARAM_EXIST_OK, PT_BOOL, 0, 0, "false", ARG(exist_ok) },
	{ "missing_ok", PARAM_MISSING_OK, PT_BOOL, 0, 0, "false", ARG(missing_ok) },
	{ "fd", PARAM_FD, PT_BOOL, 0, 0, "false", ARG(fd) },
	{ "ifname", PARAM_IFNAME, PT_IFNAME, 0, 0, NULL, ARG(ifname) },
	{ "owner", PARAM_OWNER, PT_TEXT, 0, 0, NULL, ARG(owner) },
	{ "addresses", PARAM_ADDRESSES, PT_ADDRLIST, 0, 0, NULL, ARG(addresses) },
	{ "gateway", PARAM_GATEWAY, PT_TEXT, 0, 0, NULL, ARG(gateway) },
	{ "mtu", PARAM_MTU, PT_UINT, 68, 9216, NULL, ARG(mtu) },
	{ "up", PARAM_UP, PT_BOOL, 0, 0, "false", ARG(up) },
	{ "vxvde", PARAM_VXVDE, PT_TEXT, 0, 0, NULL, ARG(vxvde) },
	{ "vni", PARAM_VNI, PT_UINT, 0, 0xffffff, "1", ARG(vni) },
	{ "ttl", PARAM_TTL, PT_UINT, 1, 255, "1", ARG(ttl) },
	{ "interface", PARAM_INTERFACE, PT_IFNAME, 0, 0, NULL, ARG(interface) },
	{ "peers", PARAM_PEERS, PT_PEERLIST, 0, 0, NULL, ARG(peers) },
	{ "peer_port", PARAM_PEER_PORT, PT_UINT, 1024, 65535, NULL, ARG(peer_port) },
	{ "key", PARAM_KEY, PT_TEXT, 0, 0, NULL, ARG(key) },
	{ "encrypt", PARAM_ENCRYPT, PT_BOOL, 0, 0, "false", ARG(encrypt) },
	{ "vxlan", PARAM_VXLAN, PT_UINT, 0, 0xffffff, NULL, ARG(vxlan) },
	{ "remote", PARAM_REMOTE, PT_TEXT, 0, 0, NULL, ARG(remote) },
	{ "dstport", PARAM_DSTPORT, PT_UINT, 1, 65535, "4789", ARG(dstport) },
	{ "slirp", PARAM_SLIRP, PT_BOOL, 0, 0, "false", ARG(slirp) },
	{ "subnet", PARAM_SUBNET, PT_TEXT, 0, 0, PARAMS_DEFAULT_SUBNET, ARG(subnet) },
	{ "ipv6", PARAM_IPV6, PT_BOOL, 0, 0, "false", ARG(ipv6) },
	{ "dns", PARAM_DNS, PT_TEXT, 0, 0, NULL, ARG(dns) },
	{ "proto", PARAM_PROTO, PT_TEXT, 0, 0, NULL, ARG(proto) },
	{ "host", PARAM_HOST, PT_TEXT, 0, 0, NULL, ARG(host) },
	{ "guest", PARAM_GUEST, PT_TEXT, 0, 0, NULL, ARG(guest) },
	{ "networks", PARAM_NETWORKS, PT_NAMELIST, 0, 0, NULL, ARG(networks) },
	{ "url", PARAM_URL, PT_TEXT, 0, 0, NULL, ARG(url) },
	{ "kinds", PARAM_KINDS, PT_WORDLIST, 0, 0, NULL, ARG(kinds) },
	{ "offset", PARAM_OFFSET, PT_UINT, 0, UINT32_MAX, "0", ARG(offset) },
	{ "limit", PARAM_LIMIT, PT_UINT, 1, PARAMS_LIMIT_MAX, NULL, ARG(limit) },
	{ "ports", PARAM_PORTS, PT_PORTLIST, 1, NETWORK_MAX_PORTS_LIMIT, NULL, ARG(portids) },
	{ "count", PARAM_COUNT, PT_UINT, 1, UINT32_MAX, NULL, ARG(count) },
	{ "snaplen", PARAM_SNAPLEN, PT_UINT, 64, 262144, "262144", ARG(snaplen) },
	{ "max_ports", PARAM_MAX_PORTS, PT_UINT, 1, NETWORK_MAX_PORTS_LIMIT, "256", ARG(max_ports) },
	{ "mac_table_size", PARAM_MAC_TABLE_SIZE, PT_UINT, 16, 65536, "4096", ARG(mac_table_size) },
	{ "mac_aging", PARAM_MAC_AGING, PT_UINT, 1, 86400, "300", ARG(mac_aging) },
	{ "group", PARAM_GROUP, PT_TEXT, 0, 0, NULL, ARG(group) },
	{ "mode", PARAM_MODE, PT_MODE, 0, 0777, "0660", ARG(mode) },
	{ "transient", PARAM_TRANSIENT, PT_BOOL, 0, 0, "false", ARG(transient) },
	{ "keep_ip", PARAM_KEEP_IP, PT_BOOL, 0, 0, "false", ARG(keep_ip) },
	{ "for_vm", PARAM_FOR_VM, PT_BOOL, 0, 0, "false", ARG(for_vm) },
	{ "multi_queue", PARAM_MULTI_QUEUE, PT_BOOL, 0, 0, "false", ARG(multi_queue) },
	{ "mac", PARAM_MAC, PT_MAC, 0, 0, NULL, ARG(mac) },
	{ "rate_in", PARAM_RATE_IN, PT_RATE, 0, 0, "0", ARG(rate_in) },
	{ "rate_out", PARAM_RATE_OUT, PT_RATE, 0, 0, "0", ARG(rate_out) },
	{ "burst", PARAM_BURST, PT_UINT, 0, SHAPER_BURST_MAX, "0", ARG(burst) },
	{ "delay", PARAM_DELAY, PT_UINT, 0, SHAPER_DELAY_MAX, "0", ARG(delay) },
	{ "jitter", PARAM_JITTER, PT_UINT, 0, SHAPER_DELAY_MAX, "0", ARG(jitter) },
	{ "loss", PARAM_LOSS, PT_PERCENT, 0, 100, "0", ARG(loss) },
	{ "dup", PARAM_DUP, PT_PERCENT, 0, 100, "0", ARG(dup) },
	{ "reorder", PARAM_REORDER, PT_PERCENT, 0, 100, "0", ARG(reorder) },
	{ "clear_shaping", PARAM_CLEAR_SHAPING, PT_BOOL, 0, 0, "false", ARG(clear_shaping) },
	{ "switch", PARAM_SWITCH, PT_PORTSW, 0, 0, NULL, ARG(sw) },
	{ "port_default", PARAM_PORT_DEFAULT, PT_PORTSW, 0, 0, NULL, ARG(port_default) },
	{ "vlan", PARAM_VLAN, PT_UINT, 0, SWITCH_VLAN_MAX, "0", ARG(vlan) },
	{ "static", PARAM_STATIC, PT_BOOL, 0, 0, "false", ARG(is_static) },
	{ "vlans", PARAM_VLANS, PT_VLANLIST, 0, SWITCH_VLAN_MAX, NULL, ARG(vlans) },
	{ "default", PARAM_SHAPING_DEFAULT, PT_BOOL, 0, 0, "false", ARG(shaping_default) },
};

/* The keys of a "switch" object: a second small schema, parsed by params_portsw_parse. */
static const struct {
	const char *key;
	unsigned bit;
	enum param_type type;	/* PT_UINT, PT_BOOL; PT_TEXT: the trunk set; PT_ADDRLIST: the pinned MACs */
	unsigned min, max;
} portsw_schema[] = {
	{ "vlan", PORTSW_VLAN, PT_UINT, 0, SWITCH_VLAN_MAX },
	{ "trunk", PORTSW_TRUNK, PT_TEXT, 0, 0 },
	{ "native", PORTSW_NATIVE, PT_UINT, 0, SWITCH_VLAN_MAX },
	{ "isolated", PORTSW_ISOLATED, PT_BOOL, 0, 0 },
	{ "max_macs", PORTSW_MAX_MACS, PT_UINT, 0, PARAMS_MAX_MACS_MAX },
	{ "macs", PORTSW_MACS, PT_ADDRLIST, 0, SWITCH_PIN_MAX },
	{ "storm_broadcast", PORTSW_STORM_BROADCAST, PT_UINT, 0, PARAMS_STORM_MAX },
	{ "storm_multicast", PORTSW_STORM_MULTICAST, PT_UINT, 0, PARAMS_STORM_MAX },
	{ "storm_unknown", PORTSW_STORM_UNKNOWN, PT_UINT, 0, PARAMS_STORM_MAX },
	{ "loop_protect", PORTSW_LOOP_PROTECT, PT_BOOL, 0, 0 },
	{ "loop_hold", PORTSW_LOOP_HOLD, PT_UINT, 0, 86400 },
	{ "full_flood", PORTSW_FULL_FLOOD, PT_BOOL, 0, 0 },
};

/* "10,20-30" (or "" for none, "all" for 1-4094) into c's trunk set; 0 or -1. */
static int params_vlanset(const char *s, struct switch_port_conf *c)
{
	memset(c->trunk_vlans, 0, sizeof(c->trunk_vlans));
	if (strcmp(s, "all") == 0) {
		for (unsigned v = 1; v <= SWITCH_VLAN_MAX; v++)
			switch_conf_trunk_add(c, v);
		return 0;
	}
	while (*s) {
		char *end;
		unsigned long lo, hi;

		if (*s < '0' || *s > '9')
			return -1;
		lo = strtoul(s, &end, 10);
		hi = lo;
		if (*end == '-') {
			if (end[1] < '0' || end[1] > '9')
				return -1;
			hi = strtoul(end + 1, &end, 10);
		}
		if (lo < 1 || hi > SWITCH_VLAN_MAX || lo > hi)
			return -1;
		for (unsigned long v = lo; v <= hi; v++)
			switch_conf_trunk_add(c, (unsigned)v);
		if (*end == ',' && end[1])
			end++;
		else if (*end)
			return -1;
		s = end;
	}
	return 0;
}

static int params_portsw_parse(const char *key, struct json_object *o, struct params_portsw *p, struct vde_error *e)
{
	memset(p, 0, sizeof(*p));
	if (!json_object_is_type(o, json_type_object))
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "'%s' must be an object", key);
	json_object_object_foreach(o, k, v) {
		size_t i;
		int64_t n;

		for (i = 0; i < sizeof(portsw_schema) / sizeof(portsw_schema[0]); i++)
			if (strcmp(portsw_schema[i].key, k) == 0)
				break;
		if (i == sizeof(portsw_schema) / sizeof(portsw_schema[0]))
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "unknown key '%s' in '%s'", k, key);
		switch (portsw_schema[i].type) {
		case PT_UINT:
			if (!json_object_is_type(v, json_type_int))
				return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "'%s.%s' must be an integer",
						     key, k);
			errno = 0;
			n = json_object_get_int64(v);
			if (errno || n < portsw_schema[i].min || n > portsw_schema[i].max)
				return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "'%s.%s' must be in %u..%u",
						     key, k, portsw_schema[i].min, portsw_schema[i].max);
			switch (portsw_schema[i].bit) {
			case PORTSW_VLAN: p->v.vlan = (uint16_t)n; break;
			case PORTSW_NATIVE: p->v.native = (uint16_t)n; break;
			case PORTSW_MAX_MACS: p->v.max_macs = (unsigned)n; break;
			case PORTSW_STORM_BROADCAST: p->v.storm_broadcast = (uint32_t)n; break;
			case PORTSW_STORM_MULTICAST: p->v.storm_multicast = (uint32_t)n; break;
			case PORTSW_STORM_UNKNOWN: p->v.storm_unknown = (uint32_t)n; break;
			case PORTSW_LOOP_HOLD: p->v.loop_hold = (uint32_t)n; break;
			}
			break;
		case PT_BOOL:
			if (!json_object_is_type(v, json_type_boolean))
				return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "'%s.%s' must be a boolean",
						     key, k);
			switch (portsw_schema[i].bit) {
			case PORTSW_ISOLATED: p->v.isolated = json_object_get_boolean(v); break;
			case PORTSW_LOOP_PROTECT: p->v.loop_protect = json_object_get_boolean(v); break;
			case PORTSW_FULL_FLOOD: p->v.full_flood = json_object_get_boolean(v); break;
			}
			break;
		case PT_TEXT:
			if (!json_object_is_type(v, json_type_string) ||
			    strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v) ||
			    params_vlanset(json_object_get_string(v), &p->v) < 0)
				return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL,
						     "'%s.%s' must be a set of VLANs 1..4094 such as \"10,20-30\" (or \"all\", or \"\" for none)",
						     key, k);
			p->v.trunk = json_object_get_string_len(v) > 0;
			break;
		default:	/* the pinned MACs */
			if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) > SWITCH_PIN_MAX)
				return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL,
						     "'%s.%s' must be an array of at most %d MAC addresses", key, k,
						     SWITCH_PIN_MAX);
			p->v.npinned = 0;
			for (size_t j = 0; j < json_object_array_length(v); j++) {
				struct json_object *x = json_object_array_get_idx(v, j);
				if (!json_object_is_type(x, json_type_string) ||
				    !proto_parse_mac(json_object_get_string(x), p->v.pinned[p->v.npinned]))
					return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL,
							     "'%s.%s' must hold unicast MAC addresses such as \"52:54:00:12:34:56\"",
							     key, k);
				p->v.npinned++;
			}
			break;
		}
		p->given |= portsw_schema[i].bit;
	}
	return 0;
}

int params_portsw_apply(const struct params_portsw *p, struct switch_port_conf *c, struct vde_error *e)
{
	const char *why = NULL;

	if (p->given & PORTSW_VLAN) {
		c->vlan = p->v.vlan;
		if (c->vlan) {
			/* an access port is not a trunk */
			c->trunk = false;
			c->native = 0;
			memset(c->trunk_vlans, 0, sizeof(c->trunk_vlans));
		}
	}
	if (p->given & PORTSW_TRUNK) {
		c->trunk = p->v.trunk;
		memcpy(c->trunk_vlans, p->v.trunk_vlans, sizeof(c->trunk_vlans));
		if (c->trunk && !(p->given & PORTSW_VLAN))
			c->vlan = 0;
		if (!c->trunk)
			c->native = 0;
	}
	if (p->given & PORTSW_NATIVE)
		c->native = p->v.native;
	if (p->given & PORTSW_ISOLATED)
		c->isolated = p->v.isolated;
	if (p->given & PORTSW_MAX_MACS)
		c->max_macs = p->v.max_macs;
	if (p->given & PORTSW_MACS) {
		c->npinned = p->v.npinned;
		memcpy(c->pinned, p->v.pinned, sizeof(c->pinned));
	}
	if (p->given & PORTSW_STORM_BROADCAST)
		c->storm_broadcast = p->v.storm_broadcast;
	if (p->given & PORTSW_STORM_MULTICAST)
		c->storm_multicast = p->v.storm_multicast;
	if (p->given & PORTSW_STORM_UNKNOWN)
		c->storm_unknown = p->v.storm_unknown;
	if (p->given & PORTSW_LOOP_PROTECT)
		c->loop_protect = p->v.loop_protect;
	if (p->given & PORTSW_LOOP_HOLD)
		c->loop_hold = p->v.loop_hold;
	if (p->given & PORTSW_FULL_FLOOD)
		c->full_flood = p->v.full_flood;
	if (switch_port_conf_check(c, &why) < 0)
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "'switch': %s", why);
	return 0;
}

const size_t params_schema_count = sizeof(params_schema) / sizeof(params_schema[0]);

const struct param_spec *params_lookup(const char *key)
{
	for (size_t i = 0; i < params_schema_count; i++)
		if (strcmp(params_schema[i].key, key) == 0)
			return &params_schema[i];
	return NULL;
}

const struct param_spec *params_spec(uint64_t bit)
{
	for (size_t i = 0; i < params_schema_count; i++)
		if (params_schema[i].bit == bit)
			return &params_schema[i];
	return NULL;
}

/*
 * A message names the bad value, not only the key: "'x y' is not a valid network name". The value is
 * the client's own; at most PARAMS_SHOWN bytes of it are quoted (vdectl escapes what a terminal must
 * not see, and JSON escapes the rest).
 */
#define PARAMS_SHOWN 64

static int params_bad_name(const struct param_spec *s, const char *str, struct vde_error *e)
{
	size_t len = strlen(str);

	return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "'%.*s%s' is not a valid network name ('%s': %s)",
			     PARAMS_SHOWN, str, len > PARAMS_SHOWN ? "..." : "", s->key, PROTO_NAME_RULE);
}

/* An array of minn..maxn integers, each in s->min..s->max (what: how the message names them), into
 * out[] and *count. */
static int params_uint_array(const struct param_spec *s, struct json_object *v, size_t minn, size_t maxn,
			     const char *what, unsigned *out, unsigned *count, struct vde_error *e)
{
	size_t len = json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 0;

	if (!json_object_is_type(v, json_type_array) || len < minn || len > maxn)
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "'%s' must be an array of %zu to %zu %s",
				     s->key, minn, maxn, what);
	*count = 0;
	for (size_t i = 0; i < len; i++) {
		struct json_object *x = json_object_array_get_idx(v, i);
		int64_t n;

		errno = 0;
		n = json_object_is_type(x, json_type_int) ? json_object_get_int64(x) : -1;
		if (errno || n < s->min || n > s->max)
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "'%s' must hold %s in %u..%u", s->key,
					     what, s->min, s->max);
		out[(*count)++] = (unsigned)n;
	}
	return 0;
}

static int params_store(const struct param_spec *s, struct json_object *v, struct method_args *a,
		       struct vde_error *e)
{
	char *field = (char *)a + s->off;
	int64_t n;
	const char *str;
	size_t len;
	char why[96];

	switch (s->type) {
	case PT_BOOL:
		if (!json_object_is_type(v, json_type_boolean))
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "'%s' must be a boolean", s->key);
		*(bool *)field = json_object_get_boolean(v);
		return 0;
	case PT_UINT:
		if (!json_object_is_type(v, json_type_int))
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "'%s' must be an integer", s->key);
		errno = 0;
		n = json_object_get_int64(v);
		if (errno)
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "'%s' must be in %u..%u, not %s",
					     s->key, s->min, s->max, json_object_get_string(v));
		if (n < s->min || n > s->max)
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "'%s' must be in %u..%u, not %lld",
					     s->key, s->min, s->max, (long long)n);
		*(unsigned *)field = (unsigned)n;
		return 0;
	case PT_RATE:
		if (!json_object_is_type(v, json_type_int))
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "'%s' must be an integer (bits/s)", s->key);
		errno = 0;
		n = json_object_get_int64(v);
		if (errno || (n != 0 && (n < (int64_t)SHAPER_RATE_MIN || n > (int64_t)SHAPER_RATE_MAX)))
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL,
					     "'%s' must be 0 (no limit) or %llu..%llu bits/s", s->key,
					     (unsigned long long)SHAPER_RATE_MIN, (unsigned long long)SHAPER_RATE_MAX);
		*(uint64_t *)field = (uint64_t)n;
		return 0;
	case PT_PERCENT: {
		/* a percentage, kept exactly enough: parts per million, rounded to the nearest */
		double d;

		if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "'%s' must be a number (percent)", s->key);
		d = json_object_get_double(v);
		if (!(d >= s->min && d <= s->max))	/* NaN fails too */
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "'%s' must be in %u..%u (percent)", s->key,
					     s->min, s->max);
		*(unsigned *)field = (unsigned)(d * (SHAPER_PPM / 100) + 0.5);
		return 0;
	}
	case PT_MODE:
		/* a mode is octal: a string "0660" (clear), or a number taken as its value (432 = 0660) */
		if (json_object_is_type(v, json_type_string)) {
			const char *m = json_object_get_string(v);
			char *end;
			errno = 0;
			n = strtol(m, &end, 8);
			if (!*m || *end || errno)
				n = -1;
		} else if (json_object_is_type(v, json_type_int)) {
			n = json_object_get_int64(v);
		} else {
			n = -1;
		}
		if (n < 0 || n > s->max)
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL,
					     "'%s' must be an octal mode such as \"0660\" (at most 0777)", s->key);
		*(unsigned *)field = (unsigned)n;
		return 0;
	case PT_ADDRLIST:
		if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) > PARAMS_MAX_ADDRESSES)
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL,
					     "'%s' must be an array of at most %d addresses", s->key, PARAMS_MAX_ADDRESSES);
		a->naddrs = 0;
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			struct json_object *x = json_object_array_get_idx(v, i);
			if (!json_object_is_type(x, json_type_string) ||
			    (size_t)json_object_get_string_len(x) >= sizeof(a->addresses[0]) ||
			    strlen(json_object_get_string(x)) != (size_t)json_object_get_string_len(x))
				return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL,
						     "'%s' must hold CIDR strings such as \"10.0.0.1/24\"", s->key);
			strcpy(a->addresses[a->naddrs++], json_object_get_string(x));
		}
		return 0;
	case PT_NAMELIST:
		if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) == 0 ||
		    json_object_array_length(v) > PARAMS_MAX_NETWORKS)
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL,
					     "'%s' must be an array of 1 to %d network names", s->key, PARAMS_MAX_NETWORKS);
		a->nnets = 0;
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			struct json_object *x = json_object_array_get_idx(v, i);
			if (!json_object_is_type(x, json_type_string) ||
			    strlen(json_object_get_string(x)) != (size_t)json_object_get_string_len(x))
				return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL,
						     "'%s' must hold network names", s->key);
			if (!proto_valid_name(json_object_get_string(x)))
				return params_bad_name(s, json_object_get_string(x), e);
			strcpy(a->networks[a->nnets++], json_object_get_string(x));
		}
		return 0;
	case PT_PORTLIST:
		return params_uint_array(s, v, 1, PARAMS_MAX_PORTIDS, "port ids", a->portids, &a->nportids, e);
	case PT_PEERLIST:
		if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) > PARAMS_MAX_PEERS)
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "'%s' must be an array of at most %d addresses",
					     s->key, PARAMS_MAX_PEERS);
		a->npeers = 0;
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			struct json_object *x = json_object_array_get_idx(v, i);

			if (!json_object_is_type(x, json_type_string) ||
			    (size_t)json_object_get_string_len(x) >= sizeof(a->peers[0]) ||
			    strlen(json_object_get_string(x)) != (size_t)json_object_get_string_len(x))
				return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL,
						     "'%s' must hold addresses such as \"192.0.2.7:14790\"", s->key);
			strcpy(a->peers[a->npeers++], json_object_get_string(x));
		}
		return 0;
	case PT_WORDLIST:
		if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) == 0 ||
		    json_object_array_length(v) > PARAMS_MAX_WORDS)
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "'%s' must be an array of 1 to %d words",
					     s->key, PARAMS_MAX_WORDS);
		a->nkinds = 0;
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			struct json_object *x = json_object_array_get_idx(v, i);
			const char *w = json_object_is_type(x, json_type_string) ? json_object_get_string(x) : "";
			size_t wl = json_object_is_type(x, json_type_string) ? (size_t)json_object_get_string_len(x) : 0;

			if (wl == 0 || wl >= PARAMS_WORD_MAX || strspn(w, "abcdefghijklmnopqrstuvwxyz-") != wl)
				return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL,
						     "'%s' must hold words of a-z and - (at most %d letters)", s->key,
						     PARAMS_WORD_MAX - 1);
			memcpy(a->kinds[a->nkinds++], w, wl + 1);
		}
		return 0;
	case PT_PORTSW:
		return params_portsw_parse(s->key, v, (struct params_portsw *)field, e);
	case PT_VLANLIST:
		return params_uint_array(s, v, 0, PARAMS_MAX_NETWORKS, "VLANs (0: none)", a->vlans, &a->nvlans, e);
	case PT_IFNAME:
		if (!json_object_is_type(v, json_type_string))
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "'%s' must be a string", s->key);
		if (!proto_valid_ifname(json_object_get_string(v)))
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL,
					     "'%.*s' is not an interface name ('%s': 1-15 characters, no '/', ':' or spaces)",
					     PARAMS_SHOWN, json_object_get_string(v), s->key);
		strcpy(field, json_object_get_string(v));
		return 0;
	case PT_MAC:
		if (!json_object_is_type(v, json_type_string) || !proto_parse_mac(json_object_get_string(v), (uint8_t *)field))
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL,
					     "'%s' must be a unicast MAC address such as \"02:00:00:00:00:01\"", s->key);
		return 0;
	case PT_NAME:
	case PT_TEXT:
		if (!json_object_is_type(v, json_type_string))
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "'%s' must be a string", s->key);
		str = json_object_get_string(v);
		len = (size_t)json_object_get_string_len(v);
		if (strlen(str) != len)
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "'%s' contains a NUL byte", s->key);
		if (s->type == PT_NAME && !proto_valid_name(str))
			return params_bad_name(s, str, e);
		if (len >= s->size)
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "'%s' is longer than %zu bytes", s->key,
					     s->size - 1);
		/* others read these (descriptions in tables, names in logs): nothing that hides or fakes text */
		if (text_check(str, len, why, sizeof(why)) < 0)
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "'%s' contains %s", s->key, why);
		memcpy(field, str, len + 1);
		return 0;
	}
	return -EINVAL;
}

int params_parse(const char *method, uint64_t allowed, uint64_t required, struct json_object *params,
		 struct method_args *a, struct vde_error *e)
{
	memset(a, 0, sizeof(*a));
	a->raw = params;
	if (params && !json_object_is_type(params, json_type_object))
		return vde_error_set(e, PROTO_ERR_INVALID_REQUEST, EINVAL, "'params' must be an object");
	if (params) {
		json_object_object_foreach(params, key, val) {
			const struct param_spec *s = params_lookup(key);
			int ret;

			if (!s || !(allowed & s->bit))
				return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL,
						     "unknown parameter '%s' for %s", key, method);
			ret = params_store(s, val, a, e);
			if (ret < 0)
				return ret;
			a->present |= s->bit;
		}
	}
	if ((a->present & required) != required) {
		for (size_t i = 0; i < params_schema_count; i++)
			if ((required & params_schema[i].bit) && !(a->present & params_schema[i].bit))
				return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL,
						     "missing parameter '%s' for %s", params_schema[i].key, method);
	}
	return 0;
}

int params_parse_network_create(struct json_object *params, struct method_args *a, struct vde_error *e)
{
	return params_parse("network.create", PARAMS_NETWORK_CREATE_ALLOWED, PARAMS_NETWORK_CREATE_REQUIRED, params,
			    a, e);
}
