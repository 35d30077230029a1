/*
 * listener — a listening socket that survives running out of descriptors (relayd's control_accept).
 *
 * Every listener of the process shares one reserve descriptor (an open /dev/null). When accept4 fails
 * with EMFILE or ENFILE the listener closes the reserve, accepts one pending connection and closes it
 * at once (that client sees a hang-up instead of waiting for ever), reopens the reserve, stops its
 * ev_io and re-arms it from a one-second timer. It logs at most once per interval, not per event.
 */
#ifndef VDED_LISTENER_H
#define VDED_LISTENER_H

#include <ev.h>

struct listener {
	int fd;				/* the listening socket, borrowed */
	ev_io io;
	ev_timer retry;
	char name[64];			/* for log lines: "control socket", "network lab endpoint" */
	/* A new connection: fd is SOCK_NONBLOCK|SOCK_CLOEXEC and owned by the callee from here. The
	 * callee may call listener_stop() on l. */
	void (*on_accept)(struct listener *l, int fd);
	void *data;			/* the owner's, untouched here */
	ev_tstamp last_log;		/* when the last "out of descriptors" line was written */
};

/* Start accepting on fd (a listening, non-blocking socket; borrowed: the caller closes it after
 * listener_stop()). name is copied (truncated to fit). Opens the reserve descriptor on first use.
 * Returns 0 or -errno (-EINVAL for a NULL callback or negative fd). */
int listener_start(struct ev_loop *loop, struct listener *l, int fd, const char *name,
		   void (*on_accept)(struct listener *l, int fd), void *data);

/* Stop the io watcher and the retry timer; does not close fd. Safe to call twice, and from on_accept. */
void listener_stop(struct ev_loop *loop, struct listener *l);

#endif
