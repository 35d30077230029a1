/*
 * codec — vded's objects as JSON, written in one place: a network (the API object and the saved
 * definition share one writer of the definition's keys), a port, a MAC table entry, and pages of
 * lists. Pure: it reads only what it is given (counters and counts come as arguments), so it links
 * alone. Every function returning an object gives the caller a reference (json_object_put() it, or
 * hand it to json-c, which steals it).
 */
#ifndef VDED_CODEC_H
#define VDED_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "dataplane/network.h"
#include "dataplane/shaper.h"
#include "dataplane/switch.h"

/* o[k] = v, a new string or number (helpers for every writer of API objects). */
void codec_add_str(struct json_object *o, const char *k, const char *v);
void codec_add_int(struct json_object *o, const char *k, int64_t v);

/* Add the definition's own keys to o: name, description, owner_uid, group (a number), mode ("0660"),
 * max_ports, mac_table_size, mac_aging. The API object and the saved definition both start here. */
void codec_network_def(const struct network_def *def, struct json_object *o);

/* The API object of net (network.show, network.list, network.create): the definition, its endpoint
 * (RUN_DIR/net/NAME), its port count, "slirp" and "vxvde" as nested objects when it has them, and
 * macs, the MAC table's size now. */
struct json_object *codec_network(const struct network *net, const char *run_dir, unsigned macs);

/* The saved definition of net (the store's NAME.json): network.create's params (vxvde and slirp keys
 * flat, as network.create takes them), owner_uid, and the backends kept in net->extras (referenced,
 * not copied). The store's replay reads it back through network.create's parser. */
struct json_object *codec_network_definition(const struct network *net);

/* A port: id, kind, description, creator, counters from st (NULL: zero), and the kind's own keys
 * (ops->describe). */
struct json_object *codec_port(const struct port *p, const struct switch_port_stats *st);

/* Rate limits and impairment as port.set takes them, into o: only the keys that are not zero (rate_in,
 * rate_out in bits/s, burst in bytes, delay and jitter in ms, loss, dup and reorder in percent). */
void codec_shaping(const struct shaper_conf *c, struct json_object *o);
/* The shaper's counters into o, one per reason (rx_dropped_rate, tx_dropped_loss, ...). */
void codec_shaper_stats(const struct shaper_stats *st, struct json_object *o);

/* A MAC table entry as mac.list shows it; age in seconds at now. */
/* A port's switch policy as the "switch" object of port.set: its non-default keys, or every key (full:
 * what is saved, so that it reads back the same whatever the network's default). Caller puts. */
struct json_object *codec_port_switch(const struct switch_port_conf *c, bool full);
struct json_object *codec_mac(const struct switch_mac_info *m, uint32_t now);

/*
 * Paging (V15): a list that grows with a table (ports, MACs, networks) is answered a page at a time,
 * params offset (entries to skip, default 0) and limit (most entries, default by method), so that
 * one reply stays well below PROTO_MAX_REPLY whatever the table holds: a page also ends when its
 * entries reach CODEC_PAGE_BYTES (always with at least one entry). The reply says "total" (entries
 * in the whole list) and "next_offset" (where the next page starts, null after the last one).
 */
#define CODEC_PAGE_BYTES (PROTO_MAX_REPLY / 2)

struct codec_page {
	unsigned offset, limit;		/* asked for */
	unsigned index;			/* entries seen so far: the total at the end */
	unsigned count;			/* entries taken */
	bool full;
	unsigned next;			/* the first entry left out once full */
	size_t bytes;			/* serialised size of the entries taken */
	struct json_object *arr;	/* owned until codec_page_finish() */
};

void codec_page_init(struct codec_page *pg, unsigned offset, unsigned limit);
/* The next entry of the list is counted; true if the caller should make it and codec_page_take() it. */
bool codec_page_wants(struct codec_page *pg);
/* Add the entry codec_page_wants() asked for (takes item), unless it would make the page too large. */
void codec_page_take(struct codec_page *pg, struct json_object *item);
/* Put the page into o under key, with "total" and "next_offset"; pg holds nothing after. */
void codec_page_finish(struct codec_page *pg, struct json_object *o, const char *key);

#endif
