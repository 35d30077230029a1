/*
 * ctl-flood — a misbehaving control client for tests: opens N connections to vded's control socket and
 * sends each one kind of abuse, then holds them all open until SIGTERM/SIGINT (or stdin EOF with -w).
 *
 *   ctl-flood SOCK N
 *
 * Connection i gets, by i % 5: random binary bytes without a newline; lines of invalid JSON; a line
 * longer than the 64 KiB limit; 500 pipelined valid requests whose replies are never read; nothing.
 * Sends never block (MSG_DONTWAIT): a daemon that stops reading us must not stall the tool either.
 * Prints "opened N" once every connection is made and its abuse sent, then "held K" (connections still
 * open: not hung up by vded) when told to stop. Exit 0, or 1 if a connect failed.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define FLOOD_MAX 4096

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

/* Send as much of buf as the socket takes now; a full or closed socket is not our problem. */
static void send_some(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

static void abuse(int fd, int kind, unsigned *seed)
{
	static char buf[70 * 1024];

	switch (kind) {
	case 0:
		for (size_t i = 0; i < 4096; i++) {
			buf[i] = (char)(rand_r(seed) & 0xff);
			if (buf[i] == '\n')
				buf[i] = 0;
		}
		send_some(fd, buf, 4096);
		break;
	case 1:
		for (int i = 0; i < 50; i++) {
			static const char *const bad[] = { "garbage\n", "{\"id\":1,\"method\":\n", "[1,2,3]\n", "\"\\u0000\"\n",
							   "{\"method\":\"network.delete\",\"params\":{\"name\":7}}\n" };
			send_some(fd, bad[i % 5], strlen(bad[i % 5]));
		}
		break;
	case 2:
		memset(buf, 'x', sizeof(buf));
		buf[0] = '"';
		send_some(fd, buf, sizeof(buf));
		break;
	case 3:
		for (int i = 0; i < 500; i++) {
			char req[96];
			int n = snprintf(req, sizeof(req), "{\"id\":%d,\"method\":\"network.list\"}\n", i);
			send_some(fd, req, (size_t)n);
		}
		break;
	default:
		break;
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	static int fds[FLOOD_MAX];
	unsigned seed = 12345;
	int n, held = 0;

	if (argc != 3 || (n = atoi(argv[2])) <= 0 || n > FLOOD_MAX || strlen(argv[1]) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "usage: ctl-flood SOCK N (N <= %d)\n", FLOOD_MAX);
		return 2;
	}
	strcpy(sun.sun_path, argv[1]);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < n; i++) {
		fds[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)&sun, sizeof(sun)) < 0) {
			fprintf(stderr, "ctl-flood: connection %d: %s\n", i, strerror(errno));
			return 1;
		}
		abuse(fds[i], i % 5, &seed);
	}
	printf("opened %d\n", n);
	fflush(stdout);
	while (!stop)
		pause();
	for (int i = 0; i < n; i++) {
		/* unread replies may still be queued on a closed connection: ask for hang-up, not data */
		struct pollfd p = { .fd = fds[i], .events = POLLRDHUP };
		if (poll(&p, 1, 0) == 0 || !(p.revents & (POLLHUP | POLLRDHUP | POLLERR)))
			held++;
		close(fds[i]);
	}
	printf("held %d\n", held);
	return 0;
}
