/*
 * Unit test of vded/control/events.c, the event bus, with sinks of its own in place of control
 * connections: who gets which event (filters, visibility as network.list, denials to admins only),
 * the one sequence, ports reported once named, a bounded subscriber's lost events told once drained,
 * and the MAC events' rate (the loop's clock stands still here, so the bucket refills only when the
 * test moves it).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <ev.h>
#include <json-c/json.h>

#include "control/events.h"
#include "control/policy.h"
#include "dataplane/network.h"
#include "dataplane/port.h"
#include "unit.h"

#define MAX_LINES 256

/* A subscriber's connection: the lines it got, and how many it takes before it is "full". */
struct sink_conn {
	struct json_object *line[MAX_LINES];
	unsigned n, cap;
};

static int sink_write(void *conn, const char *line, size_t len)
{
	struct sink_conn *c = conn;

	if (c->n >= c->cap || c->n >= MAX_LINES)
		return -ENOBUFS;
	c->line[c->n++] = json_tokener_parse(line);
	return 0;
}

static const struct events_sink sink = { .write = sink_write };

static void sink_clear(struct sink_conn *c)
{
	for (unsigned i = 0; i < c->n; i++)
		json_object_put(c->line[i]);
	c->n = 0;
}

/* Member key of line i's event, as text ("" if absent). */
static const char *ev_str(struct sink_conn *c, unsigned i, const char *key)
{
	struct json_object *ev, *v;

	if (i >= c->n || !json_object_object_get_ex(c->line[i], "event", &ev) || !json_object_object_get_ex(ev, key, &v))
		return "";
	return json_object_get_string(v);
}

static long long ev_int(struct sink_conn *c, unsigned i, const char *key)
{
	return atoll(ev_str(c, i, key));
}

static struct network *mknet(const char *name, gid_t group, unsigned mode)
{
	struct network_def def = NETWORK_DEF_DEFAULTS;
	struct network *net = NULL;
	struct vde_error e;

	snprintf(def.name, sizeof(def.name), "%s", name);
	def.group = group;
	def.mode = mode;
	CHECK(network_create(&def, &net, &e) == 0);
	return net;
}

static const struct port_ops test_ops = {
	.kind = "test",
	.recv_batch = port_dgram_recv_batch,
	.send_batch = port_dgram_send_batch,
};

int main(void)
{
	struct ev_loop *loop = ev_default_loop(0);
	struct policy_config cfg = POLICY_DEFAULTS;
	struct peer root = { .uid = 0, .gid = 0, .pid = 1 };
	struct peer user = { .uid = 1001, .gid = 1001, .pid = 2, .ngroups = 1, .groups = { 100 } };
	struct sink_conn c_root = { .cap = MAX_LINES }, c_user = { .cap = MAX_LINES }, c_pub = { .cap = MAX_LINES },
			 c_small = { .cap = 2 }, c_mac = { .cap = MAX_LINES };
	struct events_sub *s_root, *s_user, *s_pub, *s_small, *s_mac;
	struct network *pub, *priv;
	struct vde_error e;
	struct port *p;
	int sv[2];

	cfg.socket_group = 100;
	policy_configure(&cfg);
	CHECK(network_init(loop) == 0);
	CHECK(events_init(loop) == 0);
	CHECK(events_kind_bit("port") == EVENTS_PORT && events_kind_bit("mac") == EVENTS_MAC);
	CHECK(events_kind_bit("bogus") == 0);

	pub = mknet("pub", 100, 0660);
	priv = mknet("priv", 0, 0600);
	s_root = events_subscribe(&c_root, &sink, &root, NULL, EVENTS_DEFAULT);
	s_user = events_subscribe(&c_user, &sink, &user, NULL, EVENTS_DEFAULT);
	s_pub = events_subscribe(&c_pub, &sink, &root, "pub", EVENTS_DEFAULT);
	CHECK(s_root && s_user && s_pub);
	CHECK(events_seq() == 0);

	/* networks: everyone who may see it; the filtered one only its network */
	events_emit(EVENTS_NETWORK, "created", pub, NULL);
	events_emit(EVENTS_NETWORK, "created", priv, NULL);
	CHECK(c_root.n == 2 && c_user.n == 1 && c_pub.n == 1);
	CHECK(ev_int(&c_root, 0, "seq") == 1 && ev_int(&c_root, 1, "seq") == 2);
	CHECK_STR(ev_str(&c_user, 0, "network"), "pub");
	CHECK(ev_int(&c_user, 0, "seq") == 1);
	CHECK_STR(ev_str(&c_pub, 0, "action"), "created");
	/* an event nobody may see takes no number */
	sink_clear(&c_root);
	events_emit(EVENTS_FORWARD, "added", priv, NULL);
	events_emit(EVENTS_FORWARD, "added", pub, json_object_new_object());
	CHECK(c_root.n == 2 && ev_int(&c_root, 1, "seq") == 4);
	CHECK(c_user.n == 2 && ev_int(&c_user, 1, "seq") == 4);

	/* a denial: to root (no filter) only */
	sink_clear(&c_root);
	sink_clear(&c_user);
	sink_clear(&c_pub);
	CHECK(policy_check(&user, "network.delete", POLICY_MODIFY, pub, NULL, &e) == -EACCES);
	CHECK(c_root.n == 1 && c_user.n == 0 && c_pub.n == 0);
	CHECK_STR(ev_str(&c_root, 0, "kind"), "denial");

	/* ports: reported once the loop is about to sleep (here: flushed), then removed */
	sink_clear(&c_root);
	CHECK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv) == 0);
	close(sv[1]);
	CHECK(network_port_add(pub, sv[0], &test_ops, 0, &p, &e) == 0);
	snprintf(p->description, sizeof(p->description), "named later");
	CHECK(c_root.n == 0);
	events_flush_pending();
	CHECK(c_root.n == 1 && c_user.n == 1 && c_pub.n == 1);
	CHECK_STR(ev_str(&c_root, 0, "action"), "added");
	{
		struct json_object *ev, *d, *v;

		CHECK(json_object_object_get_ex(c_root.line[0], "event", &ev) && json_object_object_get_ex(ev, "data", &d) &&
		      json_object_object_get_ex(d, "description", &v) && strcmp(json_object_get_string(v), "named later") == 0);
	}
	network_port_kill(p);
	CHECK(c_root.n == 2);
	CHECK_STR(ev_str(&c_root, 1, "action"), "removed");
	/* added and removed before the flush: both, in order */
	CHECK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv) == 0);
	close(sv[1]);
	CHECK(network_port_add(pub, sv[0], &test_ops, 0, &p, &e) == 0);
	network_port_kill(p);
	CHECK(c_root.n == 4);
	CHECK_STR(ev_str(&c_root, 2, "action"), "added");
	CHECK_STR(ev_str(&c_root, 3, "action"), "removed");
	CHECK(ev_int(&c_root, 3, "seq") == ev_int(&c_root, 2, "seq") + 1);

	/* a subscriber that takes 2 lines: the rest is lost, counted, told once it drained */
	sink_clear(&c_root);
	s_small = events_subscribe(&c_small, &sink, &root, NULL, EVENTS_DEFAULT);
	for (int i = 0; i < 5; i++)
		events_emit(EVENTS_NETWORK, "changed", pub, NULL);
	CHECK(c_small.n == 2 && c_root.n == 5);
	c_small.cap = 10;
	events_emit(EVENTS_NETWORK, "changed", pub, NULL);	/* still behind: dropped too */
	CHECK(c_small.n == 2);
	events_drained(s_small);
	CHECK(c_small.n == 3);
	CHECK_STR(ev_str(&c_small, 2, "kind"), "lost");
	CHECK(ev_int(&c_small, 2, "count") == 4);
	events_emit(EVENTS_NETWORK, "changed", pub, NULL);
	CHECK(c_small.n == 4);
	CHECK(ev_int(&c_small, 3, "seq") == ev_int(&c_small, 1, "seq") + 5);	/* the gap: 4 lost */
	events_unsubscribe(s_small);

	/* MAC events: only by name, at most EVENTS_MAC_RATE at once, the rest counted */
	sink_clear(&c_root);
	s_mac = events_subscribe(&c_mac, &sink, &root, NULL, EVENTS_MAC);
	for (int i = 0; i < EVENTS_MAC_RATE + 20; i++)
		events_emit(EVENTS_MAC, "learned", pub, NULL);
	CHECK(c_root.n == 0);
	CHECK(c_mac.n == EVENTS_MAC_RATE);
	sink_clear(&c_mac);
	/* 0.5 s later: 50 more may go, the first after a line counting the 20 */
	ev_now_update(loop);
	{
		ev_tstamp t0 = ev_now(loop);

		while (ev_now(loop) - t0 < 0.5) {
			usleep(100000);
			ev_now_update(loop);
		}
	}
	events_emit(EVENTS_MAC, "learned", pub, NULL);
	CHECK(c_mac.n == 2);
	CHECK_STR(ev_str(&c_mac, 0, "kind"), "suppressed");
	CHECK(ev_int(&c_mac, 0, "count") == 20);
	CHECK_STR(ev_str(&c_mac, 1, "kind"), "mac");
	events_unsubscribe(s_mac);

	sink_clear(&c_root);
	sink_clear(&c_user);
	sink_clear(&c_pub);
	sink_clear(&c_small);
	sink_clear(&c_mac);
	events_unsubscribe(s_root);
	events_unsubscribe(s_user);
	events_unsubscribe(s_pub);
	events_exit();
	network_exit();
	return unit_report("test-events");
}
