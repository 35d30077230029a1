/* events — the event bus: subscribers, the one sequence, who may see what, lines lost to a slow reader. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/events.h"
#include "control/handlers.h"
#include "dataplane/network.h"
#include "dataplane/switch.h"
#include "log.h"

struct events_sub {
	void *conn;
	const struct events_sink *sink;
	struct peer peer;
	char network[NETWORK_NAME_MAX];	/* "" for every network */
	unsigned mask;
	uint64_t lost;			/* lines dropped since the last "lost" line */
	double mac_tokens, mac_last;	/* the MAC events' bucket (EVENTS_MAC_RATE) */
	uint64_t mac_suppressed;	/* MAC events over the rate since the last "suppressed" line */
	bool deliver;			/* gets the event being emitted (events_emit) */
	struct events_sub *next;
};

static struct ev_loop *ev_loop_;
static struct events_sub *subs;
static uint64_t seq;

/* Ports added in this loop iteration, reported before the loop sleeps (their backend names them
 * after network_port_add returns). Only kept while someone listens. */
static struct port **pending;
static size_t npending, cap_pending;
static ev_prepare pending_w;

static const struct {
	const char *word;
	unsigned bit;
} kinds[] = {
	{ "network", EVENTS_NETWORK },
	{ "port", EVENTS_PORT },
	{ "forward", EVENTS_FORWARD },
	{ "denial", EVENTS_DENIAL },
	{ "mac", EVENTS_MAC },
};

unsigned events_kind_bit(const char *word)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].word, word) == 0)
			return kinds[i].bit;
	return 0;
}

static const char *events_kind_word(unsigned bit)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].bit == bit)
			return kinds[i].word;
	return "?";
}

uint64_t events_seq(void)
{
	return seq;
}

/* Whether sub gets an event of kind about net (NULL: about no network). */
static bool events_wants(const struct events_sub *sub, unsigned kind, const struct network *net)
{
	if (!(sub->mask & kind))
		return false;
	if (kind == EVENTS_DENIAL)
		return policy_can_read_all(&sub->peer) && !sub->network[0];
	if (!net)
		return false;
	if (sub->network[0] && strcmp(sub->network, net->def.name) != 0)
		return false;
	return policy_can_read(&sub->peer, net);
}

static void events_write(struct events_sub *sub, const char *text, size_t len)
{
	if (sub->lost) {
		sub->lost++;	/* nothing goes out of order: once behind, wait until drained */
		return;
	}
	if (sub->sink->write(sub->conn, text, len) < 0)
		sub->lost++;
}

/* A line of this module's own for sub (lost, suppressed): kind, count, the last seq so far. */
static int events_write_count(struct events_sub *sub, const char *kind, const char *net, uint64_t count)
{
	struct json_object *line = json_object_new_object(), *ev = json_object_new_object();
	const char *text;
	int ret = -ENOMEM;

	json_object_object_add(ev, "seq", json_object_new_int64((int64_t)seq));
	json_object_object_add(ev, "time", json_object_new_double(ev_loop_ ? ev_now(ev_loop_) : 0.));
	codec_add_str(ev, "kind", kind);
	if (net)
		codec_add_str(ev, "network", net);
	codec_add_int(ev, "count", (int64_t)count);
	json_object_object_add(line, "event", ev);
	text = json_object_to_json_string_ext(line, JSON_C_TO_STRING_PLAIN);
	if (text)
		ret = sub->sink->write(sub->conn, text, strlen(text));
	json_object_put(line);
	return ret;
}

/* Whether sub may have one more MAC event now; else it is counted as suppressed. */
static bool events_mac_allowed(struct events_sub *sub, const struct network *net)
{
	double now = ev_loop_ ? ev_now(ev_loop_) : 0.;

	sub->mac_tokens += (now - sub->mac_last) * EVENTS_MAC_RATE;
	sub->mac_last = now;
	if (sub->mac_tokens > EVENTS_MAC_RATE)
		sub->mac_tokens = EVENTS_MAC_RATE;
	if (sub->mac_tokens < 1.) {
		sub->mac_suppressed++;
		return false;
	}
	sub->mac_tokens -= 1.;
	if (sub->mac_suppressed && !sub->lost &&
	    events_write_count(sub, "suppressed", net ? net->def.name : NULL, sub->mac_suppressed) == 0)
		sub->mac_suppressed = 0;
	return true;
}

void events_emit(unsigned kind, const char *action, const struct network *net, struct json_object *data)
{
	struct json_object *line, *ev;
	const char *text;
	bool any = false;

	/* who gets it, decided first: a MAC event over every subscriber's rate costs no rendering */
	for (struct events_sub *s = subs; s; s = s->next) {
		s->deliver = events_wants(s, kind, net) && (kind != EVENTS_MAC || events_mac_allowed(s, net));
		any |= s->deliver;
	}
	if (!any) {
		json_object_put(data);
		return;
	}
	/* rendered once, whatever the number of subscribers */
	ev = json_object_new_object();
	json_object_object_add(ev, "seq", json_object_new_int64((int64_t)++seq));
	json_object_object_add(ev, "time", json_object_new_double(ev_loop_ ? ev_now(ev_loop_) : 0.));
	codec_add_str(ev, "kind", events_kind_word(kind));
	codec_add_str(ev, "action", action);
	if (net)
		codec_add_str(ev, "network", net->def.name);
	if (data)
		json_object_object_add(ev, "data", data);
	line = json_object_new_object();
	json_object_object_add(line, "event", ev);
	text = json_object_to_json_string_ext(line, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	for (struct events_sub *s = subs; s; s = s->next) {
		if (text && s->deliver)
			events_write(s, text, strlen(text));
		s->deliver = false;
	}
	json_object_put(line);
}

void events_emit_network_deleted(const struct network_def *def)
{
	/* the network is gone; who may see the event is decided on its last definition */
	struct network gone = { .def = *def };

	events_emit(EVENTS_NETWORK, "deleted", &gone, NULL);
}

/* ---- ports, from the data plane's observer ---- */

static bool events_port_listened(void)
{
	for (struct events_sub *s = subs; s; s = s->next)
		if (s->mask & EVENTS_PORT)
			return true;
	return false;
}

void events_flush_pending(void)
{
	/* taken first: an emit could, in a later version, add ports of its own */
	struct port **list = pending;
	size_t n = npending;

	pending = NULL;
	npending = cap_pending = 0;
	if (ev_loop_)
		ev_prepare_stop(ev_loop_, &pending_w);
	for (size_t i = 0; i < n; i++)
		if (!list[i]->dead)
			events_emit(EVENTS_PORT, "added", list[i]->net, handlers_port_json(list[i]));
	free(list);
}

static void events_pending_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	events_flush_pending();
}

static void events_port_added(struct port *p)
{
	if (!events_port_listened())
		return;
	if (npending == cap_pending) {
		size_t cap = cap_pending ? 2 * cap_pending : 16;
		struct port **list = realloc(pending, cap * sizeof(*list));

		if (!list) {
			log_warn("events: out of memory; port %u of %s not reported", p->id, p->net->def.name);
			return;
		}
		pending = list;
		cap_pending = cap;
	}
	pending[npending++] = p;
	ev_prepare_start(ev_loop_, &pending_w);
}

static bool events_port_pending(const struct port *p)
{
	for (size_t i = 0; i < npending; i++)
		if (pending[i] == p)
			return true;
	return false;
}

static void events_port_changed(struct port *p)
{
	/* a port not reported yet is reported as it is then */
	if (events_port_pending(p))
		return;
	events_emit(EVENTS_PORT, "state", p->net, handlers_port_json(p));
}

static void events_port_removed(struct port *p)
{
	/* in order: a port added and removed in one iteration is reported both ways */
	if (events_port_pending(p))
		events_flush_pending();
	events_emit(EVENTS_PORT, "removed", p->net, handlers_port_json(p));
}

/* ---- MAC addresses, from the data plane (only while a subscriber asked for them) ---- */

static void events_macs(struct network *net, const struct switch_mac_change *c, unsigned n, unsigned lost)
{
	static const char *const what[] = { [SWITCH_MAC_LEARNED] = "learned", [SWITCH_MAC_MOVED] = "moved",
					    [SWITCH_MAC_AGED] = "aged" };

	for (unsigned i = 0; i < n; i++) {
		struct json_object *d = json_object_new_object();
		char mac[18];

		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", c[i].mac[0], c[i].mac[1], c[i].mac[2],
			 c[i].mac[3], c[i].mac[4], c[i].mac[5]);
		codec_add_str(d, "mac", mac);
		codec_add_int(d, "vlan", c[i].vlan);
		codec_add_int(d, "port", c[i].port);
		if (c[i].what == SWITCH_MAC_MOVED)
			codec_add_int(d, "from", c[i].from);
		events_emit(EVENTS_MAC, c[i].what <= SWITCH_MAC_AGED ? what[c[i].what] : "?", net, d);
	}
	if (lost) {
		struct json_object *d = json_object_new_object();

		/* more changes in one batch than the switch keeps: said, not listed */
		codec_add_int(d, "count", lost);
		events_emit(EVENTS_MAC, "unrecorded", net, d);
	}
}

/* MAC changes are recorded only while a subscriber wants them. */
static void events_mac_watch_update(void)
{
	bool any = false;

	for (struct events_sub *s = subs; s && !any; s = s->next)
		any = s->mask & EVENTS_MAC;
	network_set_mac_watch(any);
}

static const struct network_observer events_observer = {
	.added = events_port_added,
	.changed = events_port_changed,
	.removed = events_port_removed,
	.macs = events_macs,
};

/* ---- denials, from policy ---- */

static void events_denied(const struct peer *peer, const char *method, const char *why)
{
	struct json_object *d;

	if (!subs)
		return;
	d = json_object_new_object();
	codec_add_int(d, "uid", peer->uid);
	codec_add_int(d, "pid", peer->pid);
	codec_add_str(d, "method", method);
	codec_add_str(d, "message", why);
	events_emit(EVENTS_DENIAL, "denied", NULL, d);
}

/* ---- subscribers ---- */

struct events_sub *events_subscribe(void *conn, const struct events_sink *sink, const struct peer *peer,
				    const char *network, unsigned mask)
{
	struct events_sub *sub;

	events_flush_pending();
	sub = calloc(1, sizeof(*sub));
	if (!sub)
		return NULL;
	sub->conn = conn;
	sub->sink = sink;
	sub->peer = *peer;
	snprintf(sub->network, sizeof(sub->network), "%s", network ? network : "");
	sub->mask = mask;
	sub->mac_tokens = EVENTS_MAC_RATE;
	sub->mac_last = ev_loop_ ? ev_now(ev_loop_) : 0.;
	sub->next = subs;
	subs = sub;
	if (mask & EVENTS_MAC)
		events_mac_watch_update();
	return sub;
}

void events_unsubscribe(struct events_sub *sub)
{
	if (!sub)
		return;
	for (struct events_sub **pp = &subs; *pp; pp = &(*pp)->next) {
		if (*pp == sub) {
			*pp = sub->next;
			break;
		}
	}
	if (sub->mask & EVENTS_MAC) {
		sub->mask = 0;
		events_mac_watch_update();
	}
	free(sub);
	/* nobody left to tell: the ports waiting need not be reported */
	if (!events_port_listened() && npending) {
		free(pending);
		pending = NULL;
		npending = cap_pending = 0;
		ev_prepare_stop(ev_loop_, &pending_w);
	}
}

void events_drained(struct events_sub *sub)
{
	if (!sub || !sub->lost)
		return;
	if (events_write_count(sub, "lost", NULL, sub->lost) == 0) {
		log_info("events: uid %u pid %d lost %llu events (not reading)", (unsigned)sub->peer.uid,
			 (int)sub->peer.pid, (unsigned long long)sub->lost);
		sub->lost = 0;
	}
}

int events_init(struct ev_loop *loop)
{
	ev_loop_ = loop;
	ev_prepare_init(&pending_w, events_pending_cb);
	network_set_observer(&events_observer);
	policy_set_denial_hook(events_denied);
	return 0;
}

void events_exit(void)
{
	network_set_observer(NULL);
	policy_set_denial_hook(NULL);
	while (subs)
		events_unsubscribe(subs);
	if (ev_loop_)
		ev_prepare_stop(ev_loop_, &pending_w);
	free(pending);
	pending = NULL;
	npending = cap_pending = 0;
}
