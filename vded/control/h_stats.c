/*
 * stats.get: every counter of the networks the caller may see (or of one), with a monotonic time,
 * so that a client makes rates from two answers (vdectl stats). Rates are a client's: vded keeps no
 * history and runs no timer for them, each client picks its own interval, and what a scraper wants
 * (Prometheus) is the counters themselves.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control/handlers.h"

static const char *const stats_counters[] = { "rx_frames", "rx_bytes", "tx_frames", "tx_bytes", "tx_dropped",
					       "rx_errors" };

/* net's counters: each port's, and their sums under "totals" (of the ports there now). */
static struct json_object *stats_network(const struct network *net)
{
	struct json_object *o = json_object_new_object(), *ports = json_object_new_array(), *tot, *v;
	int64_t sum[sizeof(stats_counters) / sizeof(stats_counters[0])] = { 0 };

	codec_add_str(o, "name", net->def.name);
	for (unsigned id = 1; id <= net->def.max_ports; id++) {
		struct json_object *p;

		if (!net->ports[id] || net->ports[id]->dead)
			continue;
		p = handlers_port_json(net->ports[id]);
		for (size_t i = 0; i < sizeof(stats_counters) / sizeof(stats_counters[0]); i++)
			if (json_object_object_get_ex(p, stats_counters[i], &v))
				sum[i] += json_object_get_int64(v);
		json_object_array_add(ports, p);
	}
	tot = json_object_new_object();
	codec_add_int(tot, "ports", (int64_t)json_object_array_length(ports));
	for (size_t i = 0; i < sizeof(stats_counters) / sizeof(stats_counters[0]); i++)
		codec_add_int(tot, stats_counters[i], sum[i]);
	json_object_object_add(o, "totals", tot);
	json_object_object_add(o, "ports", ports);
	return o;
}

HANDLER(run_stats_get)
{
	struct codec_page pg;
	struct timespec now;
	unsigned n = network_count(), i = n;
	struct network **tmp;

	if ((a->present & PARAM_NETWORK) && !handlers_find_network(a->network, e))
		return -ENOENT;
	tmp = calloc(n ? n : 1, sizeof(*tmp));
	if (!tmp)
		return vde_error_set(e, PROTO_ERR_INTERNAL, ENOMEM, "out of memory");
	/* the registry is newest-first; creation order, as network.list */
	for (struct network *net = network_first(); net && i > 0; net = net->next)
		tmp[--i] = net;
	clock_gettime(CLOCK_MONOTONIC, &now);
	handlers_page_init(&pg, a, PARAMS_NETWORKS_LIMIT);
	for (i = 0; i < n; i++) {
		if ((a->present & PARAM_NETWORK) && strcmp(tmp[i]->def.name, a->network) != 0)
			continue;
		if ((!ctx->peer || policy_can_read(ctx->peer, tmp[i])) && codec_page_wants(&pg))
			codec_page_take(&pg, stats_network(tmp[i]));
	}
	free(tmp);
	*res = json_object_new_object();
	json_object_object_add(*res, "time", json_object_new_double((double)now.tv_sec + now.tv_nsec / 1e9));
	codec_page_finish(&pg, *res, "networks");
	return 0;
}
