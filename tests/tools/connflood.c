/*
 * connflood — hold many idle connections to a UNIX stream socket (an endpoint's ctl or vded's control
 * socket), for the flood tests (V5, V14).
 *
 *   connflood [-s TEXT] [-t SECS] PATH N
 *
 * Opens up to N connections with non-blocking connect (a full backlog, EAGAIN, is retried every 10 ms
 * for up to SECS seconds in all, default 5, then given up: a daemon that stopped accepting must not
 * hang the tool), sends TEXT on each if given (never blocking), and holds them all until SIGTERM or
 * SIGINT. Prints "opened K" once done opening, and at the end "held H" (connections vded had not hung
 * up). Raises its own RLIMIT_NOFILE to the hard limit. Exit 0.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct sigaction sa = { .sa_handler = on_signal };
	struct rlimit rl;
	const char *text = NULL;
	double secs = 5, end;
	int *fds, n, opened = 0, held = 0, opt;

	while ((opt = getopt(argc, argv, "s:t:")) != -1) {
		switch (opt) {
		case 's': text = optarg; break;
		case 't': secs = atof(optarg); break;
		default: return 2;
		}
	}
	if (argc - optind != 2 || (n = atoi(argv[optind + 1])) <= 0 || strlen(argv[optind]) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "usage: connflood [-s TEXT] [-t SECS] PATH N\n");
		return 2;
	}
	strcpy(sun.sun_path, argv[optind]);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	fds = calloc((size_t)n, sizeof(*fds));
	if (fds == NULL)
		return 1;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	end = now() + secs;
	while (opened < n && !stop && now() < end) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		if (fd < 0) {
			fprintf(stderr, "connflood: socket: %s\n", strerror(errno));
			break;
		}
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 && errno != EINPROGRESS) {
			close(fd);
			if (errno != EAGAIN) {
				fprintf(stderr, "connflood: connect: %s\n", strerror(errno));
				break;
			}
			usleep(10000);
			continue;
		}
		if (text)
			(void)send(fd, text, strlen(text), MSG_DONTWAIT | MSG_NOSIGNAL);
		fds[opened++] = fd;
	}
	printf("opened %d\n", opened);
	fflush(stdout);
	while (!stop)
		pause();
	for (int i = 0; i < opened; i++) {
		struct pollfd p = { .fd = fds[i], .events = POLLRDHUP };

		if (poll(&p, 1, 0) == 0 || !(p.revents & (POLLHUP | POLLRDHUP | POLLERR)))
			held++;
		close(fds[i]);
	}
	printf("held %d\n", held);
	return 0;
}
