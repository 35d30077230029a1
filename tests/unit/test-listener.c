/*
 * listener: a connection is handed to on_accept; at the descriptor limit a waiting client is hung up
 * on (not left waiting), the listener pauses instead of spinning, and it accepts again by itself once
 * descriptors are free.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <ev.h>

#include "../../vded/listener.h"
#include "log.h"
#include "unit.h"

#define FILLERS 256

static int accepted;
static int deadline_hit;

static void on_accept(struct listener *l, int fd)
{
	int flags = fcntl(fd, F_GETFL), fdflags = fcntl(fd, F_GETFD);

	CHECK(l->data == &accepted);
	CHECK(flags >= 0 && (flags & O_NONBLOCK));
	CHECK(fdflags >= 0 && (fdflags & FD_CLOEXEC));
	accepted++;
	close(fd);
}

static void deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	deadline_hit = 1;
}

/* Run the loop until cond() holds or a generous deadline passes (liveness, not timing). */
static int run_until(struct ev_loop *loop, int (*cond)(void))
{
	ev_timer deadline;

	deadline_hit = 0;
	ev_timer_init(&deadline, deadline_cb, 5., 0.);
	ev_timer_start(loop, &deadline);
	while (!cond() && !deadline_hit)
		ev_run(loop, EVRUN_ONCE);
	ev_timer_stop(loop, &deadline);
	return cond();
}

static int hung_up_fd = -1;

static int one_accepted(void)
{
	return accepted == 1;
}

static int two_accepted(void)
{
	return accepted == 2;
}

static int client_hung_up(void)
{
	struct pollfd p = { .fd = hung_up_fd, .events = POLLIN };
	char c;

	return poll(&p, 1, 0) == 1 && recv(hung_up_fd, &c, 1, MSG_DONTWAIT) == 0;
}

static int client_connect(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd >= 0 && connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int main(void)
{
	struct ev_loop *loop = ev_default_loop(0);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct listener l;
	struct rlimit old, low;
	char dir[] = "/tmp/test-listener-XXXXXX";
	int lfd, c0, c1, c2, fillers[FILLERS], nfill = 0;

	log_init("test-listener", 0, 0);
	CHECK(mkdtemp(dir) != NULL);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/sock", dir);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	CHECK(lfd >= 0);
	CHECK(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) == 0 && listen(lfd, 16) == 0);
	CHECK(listener_start(loop, &l, -1, "bad", on_accept, NULL) == -EINVAL);
	CHECK(listener_start(loop, &l, lfd, "test listener", on_accept, &accepted) == 0);

	c0 = client_connect(&sun);
	CHECK(c0 >= 0);
	CHECK(run_until(loop, one_accepted));

	/* Two clients wait in the backlog; then every descriptor is taken. */
	c1 = client_connect(&sun);
	c2 = client_connect(&sun);
	CHECK(c1 >= 0 && c2 >= 0);
	CHECK(getrlimit(RLIMIT_NOFILE, &old) == 0);
	low = old;
	low.rlim_cur = 64;
	CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0);
	while (nfill < FILLERS && (fillers[nfill] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
		nfill++;
	CHECK(nfill < FILLERS && errno == EMFILE);

	/* The first is told (EOF) rather than left waiting, and the listener pauses on its timer. */
	hung_up_fd = c1;
	CHECK(run_until(loop, client_hung_up));
	CHECK(accepted == 1);
	CHECK(!ev_is_active(&l.io) && ev_is_active(&l.retry));
	CHECK(l.last_log != 0.);

	/* Descriptors come back before the retry: the second client is accepted without anyone's help. */
	while (nfill > 0)
		close(fillers[--nfill]);
	CHECK(setrlimit(RLIMIT_NOFILE, &old) == 0);
	CHECK(run_until(loop, two_accepted));
	CHECK(ev_is_active(&l.io));

	listener_stop(loop, &l);
	CHECK(!ev_is_active(&l.io) && !ev_is_active(&l.retry));
	listener_stop(loop, &l);	/* twice is fine */
	close(c0);
	close(c1);
	close(c2);
	close(lfd);
	unlink(sun.sun_path);
	rmdir(dir);
	return unit_report("listener");
}
