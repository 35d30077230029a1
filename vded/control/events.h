/*
 * events — the engine's event bus (doc/protocol.md, events.subscribe). Sources emit an event: a kind
 * (network, port, forward, denial, mac), an action, the network it is about and a JSON object. Subscribers
 * are control connections that called events.subscribe, with filters (one network, some kinds); each
 * gets, after its snapshot, one line per event it may see, numbered by one global sequence number.
 *
 * Who sees what: an event about a network goes to a subscriber that may see that network
 * (policy_can_read, as network.list filters); denials only to root and admins.
 *
 * A slow subscriber never grows memory without bound or slows the daemon: the control module queues
 * its lines up to a bound (struct events_sink says so by refusing a line); a refused line is dropped
 * and counted, and once the subscriber has read its queue it gets one "lost" line with the count.
 * The sequence numbers of the dropped events are missing from what it sees.
 *
 * Ports: the data plane tells this module through its observer (network_set_observer); a port that
 * was added is reported at the end of the loop iteration, once its backend has named it.
 */
#ifndef VDED_EVENTS_H
#define VDED_EVENTS_H

#include <stddef.h>
#include <stdint.h>
#include <ev.h>
#include <json-c/json.h>

#include "control/policy.h"

struct network;
struct events_sub;

/* One bit per kind a subscriber may ask for. */
#define EVENTS_NETWORK  (1u << 0)	/* created, changed, deleted */
#define EVENTS_PORT     (1u << 1)	/* added, removed, state (an uplink up or retrying) */
#define EVENTS_FORWARD  (1u << 2)	/* added, removed */
#define EVENTS_DENIAL   (1u << 3)	/* a policy denial (admins only) */
#define EVENTS_MAC      (1u << 4)	/* learned, moved, aged: asked for by name only, rate-limited */
#define EVENTS_DEFAULT  (EVENTS_NETWORK | EVENTS_PORT | EVENTS_FORWARD | EVENTS_DENIAL)
/* MAC events a subscriber gets at most, per second (a burst of as many): the ones over it are
 * counted and told in a "suppressed" line before the next one that goes out. */
#define EVENTS_MAC_RATE 100

/* Where a subscriber's lines go: the control module's connection. write queues one line of len
 * bytes (no newline; copied) on conn and returns 0, or -ENOBUFS if the subscriber already has as much
 * queued as it may (the line is dropped). */
struct events_sink {
	int (*write)(void *conn, const char *line, size_t len);
};

/* Register with the data plane (port observer) and policy (denials). 0 or -errno. */
int events_init(struct ev_loop *loop);
void events_exit(void);

/* The kind bit named by word ("port"), or 0. */
unsigned events_kind_bit(const char *word);

/*
 * Make conn (with peer, copied) a subscriber of the kinds in mask, of network only (NULL or "": all).
 * Reports the ports still waiting first, so the caller's snapshot and the events after it neither miss
 * nor repeat one. Returns the subscription (freed by events_unsubscribe) or NULL (ENOMEM).
 */
struct events_sub *events_subscribe(void *conn, const struct events_sink *sink, const struct peer *peer,
				    const char *network, unsigned mask);
/* The sequence number of the last event (the snapshot's "seq": the next event is seq + 1). */
uint64_t events_seq(void);
/* Reports the ports added in this loop iteration now (before a snapshot is taken). */
void events_flush_pending(void);
/* The connection is gone. NULL is fine. */
void events_unsubscribe(struct events_sub *sub);
/* conn's queue is empty: tell it how many lines it lost, if any. */
void events_drained(struct events_sub *sub);

/* Sources. data is taken (may be NULL); net is borrowed for the call (who may see the event). */
void events_emit(unsigned kind, const char *action, const struct network *net, struct json_object *data);
/* A network was deleted (after its ports were reported removed): def is a copy of its definition,
 * which says who may see the event. */
struct network_def;
void events_emit_network_deleted(const struct network_def *def);

#endif
