#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "control/config.h"
#include "control/params.h"

struct config_key {
	const char *key;
	size_t str_off;		/* for strings; 0 for numbers */
	size_t num_off;
	long min, max;
};

#define STR(f) offsetof(struct vded_config, f), 0, 0, 0
#define NUM(f, lo, hi) 0, offsetof(struct vded_config, f), lo, hi

static const struct config_key config_keys[] = {
	{ "run_dir", STR(run_dir) },
	{ "state_dir", STR(state_dir) },
	{ "socket", STR(socket) },
	{ "group", STR(group) },
	{ "create_group", STR(create_group) },
	{ "admin_group", STR(admin_group) },
	{ "user", STR(user) },
	{ "max_networks", NUM(max_networks, 1, 65536) },
	{ "max_networks_per_user", NUM(max_networks_per_user, 0, 65536) },
	{ "max_ports_per_user", NUM(max_ports_per_user, 0, 1 << 20) },
	{ "user_port_max_macs", NUM(user_port_max_macs, 0, 65536) },
};

static int config_error(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int config_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* "forward_addresses": an array of IPv4 address strings (pure: inet_pton only). Kept v4-mapped so
 * that IPv6 can join when forwards take IPv6 host addresses. */
static int config_forward_addresses(struct json_object *val, struct vded_config *cfg, char *err, size_t errlen)
{
	size_t n;

	if (!json_object_is_type(val, json_type_array))
		return config_error(err, errlen, "'forward_addresses' must be an array of addresses");
	n = json_object_array_length(val);
	if (n > CONFIG_MAX_FORWARD_ADDRESSES)
		return config_error(err, errlen, "'forward_addresses' holds at most %d addresses",
				    CONFIG_MAX_FORWARD_ADDRESSES);
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(val, i);
		struct in6_addr *a = &cfg->forward_addresses[i];
		const char *s = json_object_get_string(o);
		struct in_addr v4;

		if (!json_object_is_type(o, json_type_string) || strlen(s) != (size_t)json_object_get_string_len(o))
			return config_error(err, errlen, "forward_addresses[%zu] must be a string", i);
		if (inet_pton(AF_INET, s, &v4) != 1)
			return config_error(err, errlen, "forward_addresses[%zu]: '%.64s' is not an IPv4 address", i, s);
		memset(a, 0, sizeof(*a));
		a->s6_addr[10] = a->s6_addr[11] = 0xff;
		memcpy(&a->s6_addr[12], &v4, sizeof(v4));
	}
	cfg->n_forward_addresses = (int)n;
	return 0;
}

/* Whether text holds nothing but whitespace and comments. */
static int config_blank(const char *t, size_t len)
{
	size_t i = 0;

	while (i < len) {
		if (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r') {
			i++;
		} else if (i + 1 < len && t[i] == '/' && t[i + 1] == '/') {
			while (i < len && t[i] != '\n')
				i++;
		} else if (i + 1 < len && t[i] == '/' && t[i + 1] == '*') {
			for (i += 2; i + 1 < len && !(t[i] == '*' && t[i + 1] == '/'); i++)
				;
			if (i + 1 >= len)
				return 0;
			i += 2;
		} else {
			return 0;
		}
	}
	return 1;
}

struct config_name {
	char name[NETWORK_NAME_MAX];
	size_t index;
};

static int config_name_cmp(const void *a, const void *b)
{
	const struct config_name *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->index > y->index) - (x->index < y->index);
}

/*
 * "networks": each entry checked with network.create's own parser, and no name twice. The first
 * problem in array order is reported, as a reader of the file would find it: an entry that does not
 * parse, or the second entry of a name. Each entry is parsed once and the names are sorted, so a
 * reload of a large file stays O(n log n).
 */
static int config_networks(struct json_object *val, char *err, size_t errlen)
{
	size_t n = json_object_array_length(val), bad = n, dup = n;
	struct vde_error e = { 0 };
	struct config_name *names;
	int ret = 0;

	if (n == 0)
		return 0;
	names = calloc(n, sizeof(*names));
	if (!names)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct method_args args;

		if (params_parse_network_create(json_object_array_get_idx(val, i), &args, &e) < 0) {
			bad = i;
			break;
		}
		memcpy(names[i].name, args.name, sizeof(names[i].name));
		names[i].index = i;
	}
	qsort(names, bad, sizeof(*names), config_name_cmp);
	for (size_t i = 1; i < bad; i++)
		/* any later entry of a name is a duplicate; the first of those in array order is reported */
		if (strcmp(names[i].name, names[i - 1].name) == 0 && names[i].index < dup)
			dup = names[i].index;
	if (dup < bad) {
		for (size_t i = 0; i < bad; i++)
			if (names[i].index == dup)
				ret = config_error(err, errlen, "networks[%zu]: '%s' is defined twice", dup, names[i].name);
	} else if (bad < n) {
		ret = config_error(err, errlen, "networks[%zu]: %s", bad, e.message);
	}
	free(names);
	return ret;
}

int config_parse(const char *text, size_t len, struct vded_config *cfg, char *err, size_t errlen)
{
	struct json_tokener *tok;
	struct json_object *root;
	int ret = 0;

	memset(cfg, 0, sizeof(*cfg));
	cfg->max_networks = cfg->max_networks_per_user = cfg->max_ports_per_user = cfg->user_port_max_macs = -1;
	cfg->n_forward_addresses = -1;
	if (len > CONFIG_MAX_SIZE)
		return config_error(err, errlen, "larger than %d bytes", CONFIG_MAX_SIZE);
	if (config_blank(text, len))
		return 0;
	if (memchr(text, '\0', len))
		return config_error(err, errlen, "contains a NUL byte");
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	/* json-c's default (non-strict) mode takes C and C++ comments */
	root = json_tokener_parse_ex(tok, text, (int)len);
	if (!root || json_tokener_get_error(tok) != json_tokener_success) {
		enum json_tokener_error je = json_tokener_get_error(tok);
		size_t at = json_tokener_get_parse_end(tok);
		json_tokener_free(tok);
		json_object_put(root);
		return config_error(err, errlen, "not valid JSON: %s (near byte %zu)",
				    je == json_tokener_continue ? "unexpected end" : json_tokener_error_desc(je), at);
	}
	if (!config_blank(text + json_tokener_get_parse_end(tok), len - json_tokener_get_parse_end(tok)))
		ret = config_error(err, errlen, "trailing data after the configuration object");
	json_tokener_free(tok);
	if (!ret && !json_object_is_type(root, json_type_object))
		ret = config_error(err, errlen, "the configuration must be a JSON object");
	if (ret) {
		json_object_put(root);
		return ret;
	}
	json_object_object_foreach(root, key, val) {
		const struct config_key *k = NULL;

		if (strcmp(key, "networks") == 0) {
			if (!json_object_is_type(val, json_type_array)) {
				ret = config_error(err, errlen, "'networks' must be an array");
				goto out;
			}
			ret = config_networks(val, err, errlen);
			if (ret < 0)
				goto out;
			cfg->networks = json_object_get(val);
			continue;
		}
		if (strcmp(key, "forward_addresses") == 0) {
			ret = config_forward_addresses(val, cfg, err, errlen);
			if (ret < 0)
				goto out;
			continue;
		}
		for (size_t i = 0; i < sizeof(config_keys) / sizeof(config_keys[0]); i++)
			if (strcmp(key, config_keys[i].key) == 0)
				k = &config_keys[i];
		if (!k) {
			ret = config_error(err, errlen, "unknown key '%s'", key);
			goto out;
		}
		if (k->str_off) {
			const char *s = json_object_get_string(val);
			if (!json_object_is_type(val, json_type_string) || !*s ||
			    strlen(s) != (size_t)json_object_get_string_len(val) || strlen(s) >= CONFIG_STR_MAX) {
				ret = config_error(err, errlen, "'%s' must be a non-empty string shorter than %d bytes",
						   key, CONFIG_STR_MAX);
				goto out;
			}
			strcpy((char *)cfg + k->str_off, s);
		} else {
			int64_t n = json_object_get_int64(val);
			if (!json_object_is_type(val, json_type_int) || n < k->min || n > k->max) {
				ret = config_error(err, errlen, "'%s' must be an integer in %ld..%ld", key, k->min, k->max);
				goto out;
			}
			*(long *)((char *)cfg + k->num_off) = (long)n;
		}
	}
out:
	json_object_put(root);
	if (ret)
		config_free(cfg);
	return ret;
}

int config_load(const char *path, struct vded_config *cfg, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t len;
	int ret;

	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s", strerror(errno));
		return ret;
	}
	buf = malloc(CONFIG_MAX_SIZE + 1);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	len = fread(buf, 1, CONFIG_MAX_SIZE + 1, f);
	if (ferror(f)) {
		ret = -errno;
		snprintf(err, errlen, "read error");
	} else {
		ret = config_parse(buf, len, cfg, err, errlen);
	}
	fclose(f);
	free(buf);
	return ret;
}

void config_free(struct vded_config *cfg)
{
	json_object_put(cfg->networks);
	cfg->networks = NULL;
}
