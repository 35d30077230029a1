/* capture.start: a network's frames on a descriptor for its owner (dataplane/capture.c does the work). */
#include <errno.h>

#include "control/handlers.h"
#include "caprec.h"
#include "dataplane/capture.h"

_Static_assert(PARAMS_MAX_PORTIDS <= CAPTURE_MAX_PORTS, "a capture holds every port \"ports\" may name");

HANDLER(run_capture_start)
{
	struct network *net = handlers_find_network(a->network, e);
	struct capture_req req = { .count = a->count, .snaplen = a->snaplen };
	struct json_object *ports;
	int ret;

	if (!net)
		return -ENOENT;
	if (ctx->replaying)
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "capture.start cannot be replayed");
	if (ctx->peer) {
		req.uid = ctx->peer->uid;
		req.pid = ctx->peer->pid;
	}
	req.nports = a->nportids;
	for (unsigned i = 0; i < a->nportids; i++)
		req.ports[i] = a->portids[i];
	ret = capture_start(net, &req, &ctx->fd_out, e);
	if (ret < 0)
		return ret;
	*res = json_object_new_object();
	codec_add_str(*res, "network", net->def.name);
	ports = json_object_new_array();
	for (unsigned i = 0; i < req.nports; i++)
		json_object_array_add(ports, json_object_new_int((int)req.ports[i]));
	json_object_object_add(*res, "ports", ports);
	codec_add_int(*res, "count", req.count);
	codec_add_int(*res, "snaplen", req.snaplen ? req.snaplen : CAPTURE_SNAPLEN_DEFAULT);
	codec_add_int(*res, "record_version", CAPREC_VERSION);
	return 0;
}
