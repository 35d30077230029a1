/* mac.list: a network's MAC table, a page at a time. */
#include <errno.h>

#include "control/handlers.h"
#include "dataplane/switch.h"

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
