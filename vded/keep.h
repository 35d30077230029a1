/*
 * keep — what one engine hands to the next (doc/restart.md): the descriptors of every port and client,
 * kept by the privileged parent (priv/keeper.h) and systemd's fd store under names, and a state
 * document (one record per port: network, id, kind, owner, description, and the kind's own fields)
 * in two memfds kept the same way, rewritten at the end of each loop turn in which something changed.
 *
 * At start the engine finds what the previous life kept (priv_inherited): each module claims its
 * descriptors and records while it comes back (endpoint directories, ports with their old ids,
 * taps, control connections); keep_finish() then closes and forgets whatever nobody claimed.
 *
 * Names: "k/control", "k/conn/N", "k/NET/dir", "k/NET/ctl", "k/NET/ID/ROLE" (ROLE "d" the port's data
 * fd, "c" its client connection), "k/NET/slirp" (libslirp's state), "k/state/0" and "k/state/1".
 */
#ifndef VDED_KEEP_H
#define VDED_KEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <ev.h>
#include <json-c/json.h>

struct port;
struct network;

/* Load what the previous life left (inherited descriptors, the newest valid state) and start
 * writing this life's. 0 or -errno (nothing kept then: ports do not survive, vded still runs). */
int keep_init(struct ev_loop *loop);
/* Whether a previous life left a state (this start is a restart). */
bool keep_resuming(void);
/* Close and forget what nobody claimed; drop the records of ports that did not come back. */
void keep_finish(void);
/* Write the state now (before an exit that leaves the ports to the next life). */
void keep_flush(void);

/* End this engine soon (after the current replies are out), leaving every port to the next life:
 * `daemon upgrade`. keep_leaving() tells main not to tear anything down. */
void keep_leave(void);
bool keep_leaving(void);

/* The inherited descriptor of that name, handed over once (the caller's; -1 if there is none). */
int keep_claim(const char *name);
/* Keep fd (it stays the caller's) under name, replacing what had that name. 0 or -errno (logged). */
int keep_fd(const char *name, int fd);
void keep_forget(const char *name);

/* "k/NET/ID/role" into buf. */
void keep_port_name(char *buf, size_t size, const char *net, unsigned id, const char *role);

/*
 * A new port: keep its data fd (role "d") and write its record, with key (what identifies a backend's
 * port across lives: a tap's ifname, NULL for clients) and the kind's own fields in extra (taken).
 */
void keep_port(struct port *p, const char *key, struct json_object *extra);
/* The same for a port vded remakes from the definition at start (vxvde, slirp, uplinks): only the
 * record, so it comes back on the same id. */
void keep_port_id(struct port *p, const char *key);
/* A port made from the definition: the id its previous life had (0: none, or taken now). Marks the
 * record as claimed once the port exists (keep_port_made). */
unsigned keep_port_want(const struct network *net, const char *kind, const char *key);
void keep_port_made(struct port *p, const char *key);
/* Keep another descriptor of p under role (the endpoint client's connection: "c"). */
void keep_port_fd(struct port *p, const char *role, int fd);
/* Add or replace one field of p's record (the control connection an attach port lives with). */
void keep_port_set(struct port *p, const char *field, struct json_object *val);
/* This life's record of p (borrowed), or NULL. */
struct json_object *keep_port_current(const struct port *p);
/* p is gone for good: forget its record and descriptors. */
void keep_port_gone(struct port *p);

/*
 * The previous life's port of net with this kind and key (key NULL: any not yet claimed), or NULL.
 * *id gets its port id. keep_port_claimed() then marks it as back (p carries the record's owner,
 * pid, creation time and description) so keep_finish() keeps it.
 */
struct json_object *keep_port_find(const struct network *net, const char *kind, const char *key, unsigned *id);
void keep_port_claimed(struct port *p, struct json_object *rec);
/* Call fn for each unclaimed record of net of that kind (previous life). */
void keep_port_foreach(struct network *net, const char *kind,
		       void (*fn)(struct network *net, unsigned id, struct json_object *rec, void *ctx), void *ctx);

/* A string/int field of a record, or the default. */
const char *keep_rec_str(struct json_object *rec, const char *field);
long long keep_rec_int(struct json_object *rec, const char *field, long long dflt);

#endif
