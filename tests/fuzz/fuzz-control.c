/*
 * Fuzz target: one control-socket request line through the whole methods table (envelope, params of
 * every method, policy, handlers) as an unprivileged and as a root caller. Nothing may crash, leak a
 * descriptor, or answer with anything but a result or an error object.
 */
#include <ftw.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ev.h>
#include <json-c/json.h>

#include "backends/endpoint.h"
#include "control/methods.h"
#include "dataplane/network.h"
#include "control/policy.h"
#include "priv/priv.h"
#include "control/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int private_netns;
static char fuzz_dir[64];

static int fuzz_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* the endpoints and definitions inputs made: leave nothing in /tmp */
static void fuzz_control_cleanup(void)
{
	while (network_first())
		network_destroy(network_first());
	if (fuzz_dir[0])
		nftw(fuzz_dir, fuzz_rm, 16, FTW_DEPTH | FTW_PHYS);
}

static void fuzz_control_init(void)
{
	static int done;
	char tmpl[] = "/tmp/vde-fuzz-control.XXXXXX", state[64];
	struct policy_config pc = POLICY_DEFAULTS;
	char *dir;

	if (done)
		return;
	done = 1;
	/* Inputs may make taps, multicast sockets and NAT: keep all of it in a namespace of our own.
	 * Without one (not root), inputs that would touch the network are skipped. */
	private_netns = unshare(CLONE_NEWNET) == 0;
	dir = mkdtemp(tmpl);
	if (!dir)
		abort();
	snprintf(fuzz_dir, sizeof(fuzz_dir), "%s", dir);
	atexit(fuzz_control_cleanup);
	snprintf(state, sizeof(state), "%s/state", dir);
	/* the privileged acts (endpoint directories, taps) run in-process: no split in a fuzzer */
	if (store_init(state) < 0 || network_init(ev_default_loop(0)) < 0 ||
	    endpoint_init(ev_default_loop(0), dir) < 0 || priv_init_inprocess(dir) < 0)
		abort();
	methods_set_info(dir, state);
	pc.socket_group = 4242;
	pc.max_networks_per_user = 4;
	policy_configure(&pc);
}

static void fuzz_control_one(const char *line, size_t len, struct peer *peer)
{
	struct request_ctx ctx = { .peer = peer, .fd_out = -1, .fd_in = -1 };
	struct json_object *reply = methods_handle_line(line, len, &ctx), *v;

	if (!reply || (!json_object_object_get_ex(reply, "result", &v) && !json_object_object_get_ex(reply, "error", &v)))
		abort();
	if (ctx.fd_out >= 0)
		close(ctx.fd_out);
	json_object_put(reply);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct peer user = { .uid = 1000, .gid = 1000, .pid = 7, .ngroups = 1, .groups = { 4242 } };
	struct peer root = { .uid = 0, .gid = 0, .pid = 1 };

	fuzz_control_init();
	if (!private_netns && (memmem(data, size, "vxvde", 5) || memmem(data, size, "tap.", 4) ||
			       memmem(data, size, "slirp", 5) || memmem(data, size, "forward", 7)))
		return 0;
	fuzz_control_one((const char *)data, size, &user);
	fuzz_control_one((const char *)data, size, &root);
	/* keep the daemon state bounded between inputs: forget every network the input made */
	while (network_first())
		network_destroy(network_first());
	return 0;
}
