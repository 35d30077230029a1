/* daemon.info: what this vded is, and the run and state dirs main gave it (methods_set_info). */
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "control/handlers.h"
#include "control/methods.h"
#include "control/policy.h"
#include "backends/ifport.h"
#include "keep.h"
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

/*
 * What this vded can do, beyond its methods (which daemon.info lists from the table itself): one
 * name per capability a client may look for before it relies on it (doc/protocol.md, daemon.info).
 */
static const char *const daemon_features[] = {
	"attach",		/* network.attach: a socketpair end by SCM_RIGHTS */
	"attach-fd",		/* network.attach with "fd": the client's own socket or tap */
	"endpoint",		/* a vde_switch-compatible directory per network */
	"jumbo",		/* frames up to 9234 bytes (MTU 9216) */
	"offload",		/* vded's taps use segmentation offload */
	"tap",			/* tap.add / tap.remove */
	"vxvde",		/* network.create vxvde */
	"slirp",		/* network.create slirp, forward.* */
	"keep",			/* ports survive engine crashes, daemon.upgrade and (with -K) systemd restarts */
	"uplink",		/* network.connect: any libvdeplug locator, retried */
	"netns",		/* ns.* */
	"paging",		/* offset/limit on the lists */
	"exist-ok-diff",	/* exist_ok compares the settings */
	"privsep",		/* a privileged parent and an unprivileged engine */
	"persistence",		/* definitions saved and replayed at start */
	"events",		/* events.subscribe */
	"stats",		/* stats.get: counters with a monotonic time, for rates */
	"interface-ports",	/* port.add / port.remove, tap.add for_vm */
	"capture",		/* capture.start: frames as records on a passed descriptor */
	"shaping",		/* port.set: rate limits and impairment per port number */
	"port-policy",		/* port.set's "switch": VLANs, isolation, port security, storm, loops */
	"static-macs",		/* mac.add, mac.flush */
	"vxvde-peers",		/* network.create peers/peer_port, network.set peers, peer announcements */
	"vxvde-key",		/* network.create key/encrypt: sealed vxvde datagrams */
	"vxlan",		/* network.create vxlan: a kernel VXLAN device as the network's uplink */
};

HANDLER(run_daemon_info)
{
	struct json_object *o = json_object_new_object(), *api = json_object_new_array(),
			   *feat = json_object_new_array(), *meth = json_object_new_array();

	codec_add_str(o, "version", VDE_VERSION);
	json_object_array_add(api, json_object_new_int(PROTO_API_MAJOR));
	json_object_array_add(api, json_object_new_int(PROTO_API_MINOR));
	json_object_object_add(o, "api", api);
	for (size_t i = 0; i < sizeof(daemon_features) / sizeof(daemon_features[0]); i++)
		json_object_array_add(feat, json_object_new_string(daemon_features[i]));
	json_object_object_add(o, "features", feat);
	for (size_t i = 0; i < methods_count(); i++)
		json_object_array_add(meth, json_object_new_string(methods_name(i)));
	json_object_object_add(o, "methods", meth);
	codec_add_int(o, "pid", priv_main_pid());
	codec_add_int(o, "engine_pid", getpid());
	codec_add_int(o, "engine_restarts", priv_respawns());
	codec_add_str(o, "run_dir", info_run_dir);
	codec_add_str(o, "state_dir", info_state_dir);
	codec_add_int(o, "networks", daemon_count_visible(ctx->peer));
	/* interface ports removed because their interface went away */
	codec_add_int(o, "interfaces_gone", (int64_t)ifport_gone_count());
	*res = o;
	return 0;
}

/* daemon.upgrade: vded executes its binary again (the file as it is now: a new version after a
 * package upgrade) with every port's descriptors; the answer comes before the exec. */
HANDLER(run_daemon_upgrade)
{
	int ret = priv_upgrade(e);

	if (ret < 0)
		return ret;
	keep_leave();
	*res = json_object_new_object();
	codec_add_str(*res, "status", "upgrading");
	return 0;
}
