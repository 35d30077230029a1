#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "listener.h"
#include "log.h"

#define LISTENER_RETRY 1.0		/* seconds a paused listener waits before accepting again */
#define LISTENER_LOG_INTERVAL 10.0	/* at most one "out of descriptors" line per listener this often */
#define LISTENER_BURST 16		/* connections taken per wakeup, so one listener cannot starve the loop */

/* One for the whole process: whichever listener hits the limit first spends it and puts it back. */
static int listener_reserve = -1;

static void listener_reserve_open(void)
{
	if (listener_reserve < 0)
		listener_reserve = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static void listener_pause(struct ev_loop *loop, struct listener *l)
{
	ev_io_stop(loop, &l->io);
	ev_timer_stop(loop, &l->retry);
	ev_timer_set(&l->retry, LISTENER_RETRY, 0.);
	ev_timer_start(loop, &l->retry);
}

/* Whether this is the first failure line of the interval (and the interval restarts). */
static int listener_should_log(struct ev_loop *loop, struct listener *l)
{
	ev_tstamp now = ev_now(loop);

	if (l->last_log != 0. && now - l->last_log < LISTENER_LOG_INTERVAL)
		return 0;
	l->last_log = now;
	return 1;
}

/* Out of descriptors: hang up on one waiting client with the reserve's slot, so it is told rather
 * than left waiting, then pause. A busy loop on a readable listener is what this prevents. */
static void listener_shed(struct ev_loop *loop, struct listener *l, int err)
{
	int shed = 0, fd;

	if (listener_reserve >= 0) {
		close(listener_reserve);
		listener_reserve = -1;
		fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			close(fd);
			shed = 1;
		}
		listener_reserve_open();
	}
	if (listener_should_log(loop, l))
		log_warn("%s: %s: %s, accepting again in %.0f s (logged at most every %.0f s)", l->name,
			 strerror(err), shed ? "hung up on one client" : "no reserve descriptor", LISTENER_RETRY,
			 LISTENER_LOG_INTERVAL);
	listener_pause(loop, l);
}

static void listener_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct listener *l = w->data;

	(void)revents;
	for (int i = 0; i < LISTENER_BURST && ev_is_active(&l->io); i++) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			l->on_accept(l, fd);
			continue;
		}
		switch (errno) {
		case EAGAIN:
		case EINTR:
			return;
		case ECONNABORTED:
		case EPROTO:
			continue;	/* that client went away before we got to it */
		case EMFILE:
		case ENFILE:
			listener_shed(loop, l, errno);
			return;
		default:
			/* ENOBUFS, ENOMEM, or a broken socket: retrying at once would spin */
			if (listener_should_log(loop, l))
				log_warn("%s: accept: %s, accepting again in %.0f s", l->name, strerror(errno),
					 LISTENER_RETRY);
			listener_pause(loop, l);
			return;
		}
	}
}

static void listener_retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct listener *l = w->data;

	(void)revents;
	listener_reserve_open();	/* in case it could not be reopened while descriptors were short */
	ev_io_start(loop, &l->io);
}

int listener_start(struct ev_loop *loop, struct listener *l, int fd, const char *name,
		   void (*on_accept)(struct listener *l, int fd), void *data)
{
	if (fd < 0 || !on_accept)
		return -EINVAL;
	listener_reserve_open();
	if (listener_reserve < 0)
		log_warn("%s: no reserve descriptor (/dev/null: %s); at the descriptor limit clients wait "
			 "instead of being hung up on", name, strerror(errno));
	l->fd = fd;
	snprintf(l->name, sizeof(l->name), "%s", name ? name : "listener");
	l->on_accept = on_accept;
	l->data = data;
	l->last_log = 0.;
	ev_io_init(&l->io, listener_accept_cb, fd, EV_READ);
	l->io.data = l;
	ev_timer_init(&l->retry, listener_retry_cb, LISTENER_RETRY, 0.);
	l->retry.data = l;
	ev_io_start(loop, &l->io);
	return 0;
}

void listener_stop(struct ev_loop *loop, struct listener *l)
{
	ev_io_stop(loop, &l->io);
	ev_timer_stop(loop, &l->retry);
}
