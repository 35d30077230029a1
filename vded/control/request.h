/*
 * request — what a request carries besides its params, from the control socket (or a replay) to the
 * handler: who asks, the connection its ports live as long as, and the descriptors that travel with
 * the request and the reply. Filled by control.c or replay.c, borrowed by the handler for the call.
 */
#ifndef VDED_REQUEST_H
#define VDED_REQUEST_H

#include <stdbool.h>

struct peer;
struct port;
struct events_sink;
struct events_sub;

struct request_ctx {
	const struct peer *peer;	/* NULL on a replay (config file, store): no policy applies */
	/* Ports made by this request live as long as the connection: the handler calls adopt(). */
	void *conn;
	void (*adopt)(void *conn, struct port *p);
	int fd_out;			/* a descriptor to send with the reply, or -1 (the reply path closes it) */
	int fd_in;			/* a descriptor that came with the request, or -1; a handler that
					 * keeps it sets -1, the control module closes what is left */
	bool replaying;			/* config/state replay: no policy, no store writes */
	/* The connection's event subscription (events.subscribe sets it) and where its event lines go;
	 * both NULL on a replay. */
	struct events_sub **sub;
	const struct events_sink *sink;
};

#endif
