/*
 * Unit test of the control API table: request envelope parsing, parameter checking and the
 * network/port/mac handlers, driven through methods_handle_line() as the control socket does.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ev.h>
#include <json-c/json.h>

#include "../../vded/methods.h"
#include "../../vded/network.h"
#include "../../vded/policy.h"
#include "../../vded/store.h"
#include "unit.h"

static struct peer root_peer = { .uid = 0, .gid = 0, .pid = 1 };

/* Send one line; return the reply's error code, or "ok" for a result. *reply keeps the object. */
static const char *call(const char *line, struct peer *peer, int *fd, struct json_object **reply)
{
	static char code[64];
	struct request_ctx ctx = { .peer = peer, .fd_out = -1 };
	struct json_object *r = methods_handle_line(line, strlen(line), &ctx), *err, *c;

	if (fd)
		*fd = ctx.fd_out;
	else if (ctx.fd_out >= 0)
		close(ctx.fd_out);
	if (json_object_object_get_ex(r, "error", &err) && json_object_object_get_ex(err, "code", &c))
		snprintf(code, sizeof(code), "%s", json_object_get_string(c));
	else if (json_object_object_get_ex(r, "result", &c))
		snprintf(code, sizeof(code), "ok");
	else
		snprintf(code, sizeof(code), "malformed-reply");
	if (reply)
		*reply = r;
	else
		json_object_put(r);
	return code;
}

static const char *root(const char *line)
{
	return call(line, &root_peer, NULL, NULL);
}

static int64_t result_int(struct json_object *r, const char *path1, const char *key)
{
	struct json_object *o, *v;

	if (!json_object_object_get_ex(r, "result", &o))
		return -1;
	if (path1 && !json_object_object_get_ex(o, path1, &o))
		return -1;
	if (!json_object_object_get_ex(o, key, &v))
		return -1;
	return json_object_get_int64(v);
}

int main(void)
{
	char tmpl[] = "/tmp/vde-test-methods.XXXXXX", state[256], line[512];
	char *dir = mkdtemp(tmpl);
	struct ev_loop *loop = ev_default_loop(0);
	struct json_object *r, *v;
	int fd;

	if (!dir || !loop)
		return 99;
	snprintf(state, sizeof(state), "%s/state", dir);
	CHECK(store_init(state) == 0);
	CHECK(network_init(loop, dir) == 0);
	methods_set_info(dir, state);
	struct policy_config pc = POLICY_DEFAULTS;
	pc.socket_group = 4242;
	policy_configure(&pc);

	/* envelope */
	CHECK_STR(root("not json"), "parse-error");
	CHECK_STR(root("{\"id\":1,\"method\":\"network.li"), "parse-error");
	CHECK_STR(root("[1,2]"), "parse-error");
	CHECK_STR(root("{\"id\":1,\"method\":\"network.list\"} trailing"), "parse-error");
	CHECK_STR(root("{\"id\":1,\"method\":\"network.list\"}\r"), "ok");
	CHECK_STR(root("{\"id\":1}"), "invalid-request");
	CHECK_STR(root("{\"id\":1,\"method\":7}"), "invalid-request");
	CHECK_STR(root("{\"id\":{},\"method\":\"network.list\"}"), "invalid-request");
	CHECK_STR(root("{\"id\":1,\"method\":\"network.list\",\"extra\":1}"), "invalid-request");
	CHECK_STR(root("{\"id\":1,\"method\":\"network.list\",\"params\":[]}"), "invalid-request");
	CHECK_STR(root("{\"id\":1,\"method\":\"network.explode\"}"), "unsupported");
	CHECK_STR(root("{\"method\":\"daemon.info\"}"), "ok");

	/* the id comes back verbatim, also on errors */
	call("{\"id\":\"abc\",\"method\":\"nope\"}", &root_peer, NULL, &r);
	CHECK(json_object_object_get_ex(r, "id", &v) && strcmp(json_object_get_string(v), "abc") == 0);
	json_object_put(r);

	/* parameters */
	CHECK_STR(root("{\"method\":\"network.create\"}"), "invalid-params");
	CHECK_STR(root("{\"method\":\"network.create\",\"params\":{\"name\":5}}"), "invalid-params");
	CHECK_STR(root("{\"method\":\"network.create\",\"params\":{\"name\":\"\"}}"), "invalid-params");
	CHECK_STR(root("{\"method\":\"network.create\",\"params\":{\"name\":\"../etc\"}}"), "invalid-params");
	CHECK_STR(root("{\"method\":\"network.create\",\"params\":{\"name\":\"-x\"}}"), "invalid-params");
	CHECK_STR(root("{\"method\":\"network.create\",\"params\":{\"name\":\"a\\u0000b\"}}"), "invalid-params");
	CHECK_STR(root("{\"method\":\"network.create\",\"params\":{\"name\":\"lab\",\"bogus\":1}}"), "invalid-params");
	CHECK_STR(root("{\"method\":\"network.create\",\"params\":{\"name\":\"lab\",\"exist_ok\":\"yes\"}}"),
		  "invalid-params");
	CHECK_STR(root("{\"method\":\"network.create\",\"params\":{\"name\":\"lab\",\"max_ports\":0}}"), "invalid-params");
	CHECK_STR(root("{\"method\":\"network.create\",\"params\":{\"name\":\"lab\",\"max_ports\":99999}}"),
		  "invalid-params");
	CHECK_STR(root("{\"method\":\"network.create\",\"params\":{\"name\":\"lab\",\"max_ports\":1.5}}"),
		  "invalid-params");
	CHECK_STR(root("{\"method\":\"network.create\",\"params\":{\"name\":\"lab\",\"description\":\"a\\nb\"}}"),
		  "invalid-params");
	/* a parameter of another method is unknown here */
	CHECK_STR(root("{\"method\":\"network.list\",\"params\":{\"name\":\"lab\"}}"), "invalid-params");
	/* none of the refused requests made anything */
	call("{\"method\":\"network.list\"}", &root_peer, NULL, &r);
	CHECK(json_object_object_get_ex(r, "result", &v) && json_object_object_get_ex(v, "networks", &v) &&
	      json_object_array_length(v) == 0);
	json_object_put(r);

	/* create, exists, exist_ok, list, show */
	CHECK_STR(root("{\"method\":\"network.create\",\"params\":{\"name\":\"lab\",\"max_ports\":2}}"), "ok");
	CHECK_STR(root("{\"method\":\"network.create\",\"params\":{\"name\":\"lab\"}}"), "exists");
	CHECK_STR(root("{\"method\":\"network.create\",\"params\":{\"name\":\"lab\",\"exist_ok\":true}}"), "ok");
	snprintf(line, sizeof(line), "%s/networks/lab.json", state);
	CHECK(access(line, R_OK) == 0);
	call("{\"method\":\"network.show\",\"params\":{\"name\":\"lab\"}}", &root_peer, NULL, &r);
	CHECK(result_int(r, NULL, "max_ports") == 2);
	CHECK(result_int(r, NULL, "ports") == 0);
	json_object_put(r);
	CHECK_STR(root("{\"method\":\"network.show\",\"params\":{\"name\":\"nope\"}}"), "not-found");

	/* attach: an fd comes back, the port shows in port.list; the network's port limit holds */
	CHECK(strcmp(call("{\"method\":\"network.attach\",\"params\":{\"network\":\"lab\",\"description\":\"one\"}}",
			  &root_peer, &fd, &r), "ok") == 0);
	CHECK(fd >= 0);
	CHECK(result_int(r, "port", "id") == 1);
	json_object_put(r);
	CHECK_STR(root("{\"method\":\"network.attach\",\"params\":{\"network\":\"lab\",\"port\":1}}"), "exists");
	CHECK_STR(root("{\"method\":\"network.attach\",\"params\":{\"network\":\"lab\",\"port\":3}}"), "invalid-params");
	CHECK_STR(root("{\"method\":\"network.attach\",\"params\":{\"network\":\"lab\"}}"), "ok");
	CHECK_STR(root("{\"method\":\"network.attach\",\"params\":{\"network\":\"lab\"}}"), "limit");
	CHECK_STR(root("{\"method\":\"network.attach\",\"params\":{\"network\":\"nope\"}}"), "not-found");
	call("{\"method\":\"port.list\",\"params\":{\"network\":\"lab\"}}", &root_peer, NULL, &r);
	CHECK(json_object_object_get_ex(r, "result", &v) && json_object_object_get_ex(v, "ports", &v) &&
	      json_object_array_length(v) == 2);
	json_object_put(r);
	CHECK_STR(root("{\"method\":\"port.detach\",\"params\":{\"network\":\"lab\",\"port\":2}}"), "ok");
	CHECK_STR(root("{\"method\":\"port.detach\",\"params\":{\"network\":\"lab\",\"port\":2}}"), "not-found");
	CHECK_STR(root("{\"method\":\"port.detach\",\"params\":{\"network\":\"lab\",\"port\":2,\"missing_ok\":true}}"),
		  "ok");
	CHECK_STR(root("{\"method\":\"mac.list\",\"params\":{\"network\":\"lab\"}}"), "ok");
	close(fd);

	/* policy: a user outside the group is refused and nothing changes */
	struct peer user = { .uid = 1000, .gid = 1000, .pid = 2 };
	CHECK_STR(call("{\"method\":\"network.delete\",\"params\":{\"name\":\"lab\"}}", &user, NULL, NULL),
		  "permission-denied");
	CHECK(network_find("lab") != NULL);
	user.ngroups = 1;
	user.groups[0] = 4242;
	CHECK_STR(call("{\"method\":\"network.list\"}", &user, NULL, NULL), "ok");

	/* delete, missing_ok */
	CHECK_STR(root("{\"method\":\"network.delete\",\"params\":{\"name\":\"lab\"}}"), "ok");
	CHECK(access(line, F_OK) < 0 && errno == ENOENT);
	CHECK_STR(root("{\"method\":\"network.delete\",\"params\":{\"name\":\"lab\"}}"), "not-found");
	CHECK_STR(root("{\"method\":\"network.delete\",\"params\":{\"name\":\"lab\",\"missing_ok\":true}}"), "ok");

	/* the store replays what it saved */
	CHECK_STR(root("{\"method\":\"network.create\",\"params\":{\"name\":\"kept\",\"mac_aging\":60}}"), "ok");
	network_destroy(network_find("kept"));
	CHECK(network_find("kept") == NULL);
	CHECK(store_load_all() == 1);
	CHECK(network_find("kept") && network_find("kept")->def.mac_aging == 60);

	network_exit();
	snprintf(line, sizeof(line), "rm -rf '%s'", dir);
	if (system(line) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return unit_report("test-methods");
}
