/* daemon.info: what this vded is, and the run and state dirs main gave it (methods_set_info). */
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "control/handlers.h"
#include "control/methods.h"
#include "control/policy.h"
#include "priv/priv.h"

static char info_run_dir[PATH_MAX - 128], info_state_dir[PATH_MAX];

/* copied: the callers' strings need not outlive this call */
void methods_set_info(const char *run_dir, const char *state_dir)
{
	snprintf(info_run_dir, sizeof(info_run_dir), "%s", run_dir);
	snprintf(info_state_dir, sizeof(info_state_dir), "%s", state_dir);
}

const char *handlers_run_dir(void)
{
	return info_run_dir;
}

/* Networks peer may see (all for NULL: the config file or the store). */
static unsigned daemon_count_visible(const struct peer *peer)
{
	unsigned n = 0;

	for (struct network *net = network_first(); net; net = net->next)
		n += !peer || policy_can_read(peer, net);
	return n;
}

HANDLER(run_daemon_info)
{
	struct json_object *o = json_object_new_object(), *api = json_object_new_array(),
			   *feat = json_object_new_array();

	codec_add_str(o, "version", VDE_VERSION);
	json_object_array_add(api, json_object_new_int(PROTO_API_MAJOR));
	json_object_array_add(api, json_object_new_int(PROTO_API_MINOR));
	json_object_object_add(o, "api", api);
	json_object_array_add(feat, json_object_new_string("attach"));
	json_object_array_add(feat, json_object_new_string("endpoint"));
	json_object_array_add(feat, json_object_new_string("jumbo"));
	json_object_object_add(o, "features", feat);
	codec_add_int(o, "pid", priv_main_pid());
	codec_add_int(o, "engine_pid", getpid());
	codec_add_str(o, "run_dir", info_run_dir);
	codec_add_str(o, "state_dir", info_state_dir);
	codec_add_int(o, "networks", daemon_count_visible(ctx->peer));
	*res = o;
	return 0;
}
