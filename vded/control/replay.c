/* replay — see replay.h. The config file's entries and the store's definitions go through network.create
 * and the backends' own methods, as a client's requests do. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/attach.h"
#include "backends/ifport.h"
#include "control/handlers.h"
#include "control/methods.h"
#include "control/replay.h"
#include "control/store.h"
#include "log.h"
#include "text.h"

/* Replay one backend entry saved under a network: its method with "network" put back. */
static void replay_extra(const char *method, const char *network, struct json_object *entry)
{
	struct request_ctx ctx = { .fd_out = -1, .fd_in = -1, .replaying = true };
	struct json_object *params = NULL, *res = NULL;
	struct vde_error e = { 0 };

	if (json_object_deep_copy(entry, &params, NULL) < 0 || !json_object_is_type(params, json_type_object)) {
		log_err("network %s: a saved %s entry is not an object: skipped", network, method);
		json_object_put(params);
		return;
	}
	json_object_object_add(params, "network", json_object_new_string(network));
	if (methods_call(method, params, &ctx, &res, &e) < 0)
		log_err("network %s: %s: %s (kept in the definition, not active)", network, method, e.message);
	json_object_put(res);
	json_object_put(params);
}

/* Backends saved with a definition, by key, and the method that recreates each. */
static const struct {
	const char *key, *method;
} replay_extras[] = {
	{ "taps", "tap.add" },
	{ "forwards", "forward.add" },
	{ "uplinks", "network.connect" },
	{ "interfaces", "port.add" },
	{ "macs", "mac.add" },
};

/*
 * The settings kept by port id ("ports": {"ID": {port.set params...}}, and "default" for the ids without
 * their own), each through port.set. Kept in the definition as they are, also an entry that fails now.
 */
static void replay_port_settings(struct network *net, struct json_object *extras)
{
	struct json_object *ports;

	if (!json_object_object_get_ex(extras, "ports", &ports))
		return;
	if (!json_object_is_type(ports, json_type_object)) {
		log_err("network %s: 'ports' is not an object: skipped", net->def.name);
		return;
	}
	json_object_object_add(net->extras, "ports", json_object_get(ports));
	json_object_object_foreach(ports, id, entry) {
		struct json_object *one = NULL;
		char *end;
		bool dflt = strcmp(id, "default") == 0;
		unsigned long n = dflt ? 0 : strtoul(id, &end, 10);

		if ((!dflt && (!*id || *end || n < 1 || n > NETWORK_MAX_PORTS_LIMIT)) ||
		    json_object_deep_copy(entry, &one, NULL) < 0 || !json_object_is_type(one, json_type_object)) {
			log_err("network %s: saved settings of port '%s' are not a port id (or default) and an object: "
				"skipped", net->def.name, id);
			json_object_put(one);
			continue;
		}
		if (dflt)
			json_object_object_add(one, "default", json_object_new_boolean(1));
		else
			json_object_object_add(one, "port", json_object_new_int64((int64_t)n));
		replay_extra("port.set", net->def.name, one);
		json_object_put(one);
	}
}

/*
 * A description saved (or configured) before descriptions were checked may hold what the parser now
 * refuses: keep the network and show the text with '?' in place of what may not be shown.
 */
static void replay_sanitise(struct json_object *params)
{
	struct json_object *d, *n;
	char buf[NETWORK_DESCR_MAX];

	if (!json_object_object_get_ex(params, "description", &d) || !json_object_is_type(d, json_type_string) ||
	    (size_t)json_object_get_string_len(d) >= sizeof(buf) ||
	    strlen(json_object_get_string(d)) != (size_t)json_object_get_string_len(d) ||
	    text_check(json_object_get_string(d), strlen(json_object_get_string(d)), NULL, 0) == 0)
		return;
	snprintf(buf, sizeof(buf), "%s", json_object_get_string(d));
	text_sanitise(buf);
	log_warn("network %s: the saved description holds characters that may not be shown: replaced by '?'",
		 json_object_object_get_ex(params, "name", &n) && json_object_is_type(n, json_type_string) ?
			 json_object_get_string(n) : "?");
	json_object_object_add(params, "description", json_object_new_string(buf));
}

int replay_network(struct json_object *params, bool from_store, struct vde_error *e)
{
	struct request_ctx ctx = { .fd_out = -1, .replaying = true };
	struct json_object *copy = NULL, *res = NULL, *uid, *gid;
	struct method_args a;
	unsigned owner = 0;
	int ret;

	if (!json_object_is_type(params, json_type_object))
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "a network definition must be an object");
	/* owner_uid is recorded by vded, never accepted from a client: strip it before the common parser */
	if (json_object_deep_copy(params, &copy, NULL) < 0)
		return vde_error_set(e, PROTO_ERR_INTERNAL, ENOMEM, "out of memory");
	if (json_object_object_get_ex(copy, "owner_uid", &uid)) {
		if (!from_store || !json_object_is_type(uid, json_type_int) || json_object_get_int64(uid) < 0 ||
		    json_object_get_int64(uid) > UINT32_MAX) {
			json_object_put(copy);
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "invalid 'owner_uid'");
		}
		owner = (unsigned)json_object_get_int64(uid);
		json_object_object_del(copy, "owner_uid");
	}
	/* the store saves the group as a number, as the API shows it; a client (and the config file)
	 * names it with a string, and older stores saved the number as one: the parser takes strings */
	if (from_store && json_object_object_get_ex(copy, "group", &gid) && json_object_is_type(gid, json_type_int)) {
		char num[24];

		if (json_object_get_int64(gid) < 0 || json_object_get_int64(gid) >= UINT32_MAX) {
			json_object_put(copy);
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "invalid 'group'");
		}
		snprintf(num, sizeof(num), "%lld", (long long)json_object_get_int64(gid));
		json_object_object_add(copy, "group", json_object_new_string(num));
	}
	replay_sanitise(copy);
	/* the backends come back after the network, each through its own method */
	struct json_object *extras = json_object_new_object(), *list = NULL, *ports = NULL;
	if (json_object_object_get_ex(copy, "ports", &ports)) {
		json_object_object_add(extras, "ports", json_object_get(ports));
		json_object_object_del(copy, "ports");
	}
	for (size_t i = 0; i < sizeof(replay_extras) / sizeof(replay_extras[0]); i++) {
		if (json_object_object_get_ex(copy, replay_extras[i].key, &list)) {
			json_object_object_add(extras, replay_extras[i].key, json_object_get(list));
			json_object_object_del(copy, replay_extras[i].key);
		}
	}
	ret = methods_parse("network.create", copy, &a, e);
	json_object_put(copy);
	if (ret < 0)
		goto out;
	a.owner_uid = owner;
	a.exist_ok = true;
	bool existed = network_find(a.name) != NULL;
	ret = run_network_create(&a, &ctx, &res, e);
	if (ret < 0 || existed)
		goto out;
	struct network *net = network_find(a.name);
	/* a restart: the clients' ports come back first, on their ids, then the backends */
	attach_restore(net);
	for (size_t i = 0; i < sizeof(replay_extras) / sizeof(replay_extras[0]); i++) {
		if (!json_object_object_get_ex(extras, replay_extras[i].key, &list) ||
		    !json_object_is_type(list, json_type_array)) {
			if (list)
				log_err("network %s: '%s' is not an array: skipped", a.name, replay_extras[i].key);
			continue;
		}
		/* keep them in the definition even if one fails now (a device may come back later) */
		json_object_object_add(net->extras, replay_extras[i].key, json_object_get(list));
		for (size_t j = 0; j < json_object_array_length(list); j++)
			replay_extra(replay_extras[i].method, a.name, json_object_array_get_idx(list, j));
	}
	/* transient interface ports (libvirt's taps) no definition holds: back from the previous life */
	ifport_restore(net);
	replay_port_settings(net, extras);
out:
	json_object_put(extras);
	json_object_put(res);
	return ret;
}

static int replay_stored(struct json_object *def, void *arg, struct vde_error *e)
{
	return replay_network(def, true, e);
}

int replay_store(void)
{
	return store_foreach(replay_stored, NULL);
}
