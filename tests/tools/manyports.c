/*
 * manyports — many ports on one network over one control connection (security tests V10, V15).
 *
 *   manyports [-a] [-m MACS] SOCK NETWORK N
 *
 * Makes N ports: by default network.attach {"fd": true} with one end of a fresh socketpair each
 * (kind fd); with -a plain network.attach, keeping the descriptor vded sends back (kind attach).
 * Stops at the first refusal and prints its reply. With -m, sends MACS frames, each from a different
 * source MAC, into the first port (filling the MAC table). Prints "attached K", then holds every port
 * until SIGTERM or SIGINT. Raises its RLIMIT_NOFILE to the hard limit. Exit 0 (1 if nothing attached).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fdpass.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* One request and its reply line; *fd gets a descriptor sent with the reply, or -1. */
static int request(int ctl, const char *req, int sendfd, char *reply, size_t size, int *fd)
{
	size_t got = 0;
	ssize_t n;

	*fd = -1;
	if (fdpass_send(ctl, req, strlen(req), sendfd) < 0)
		return -1;
	while (got < size - 1) {
		int rfd = -1;

		n = fdpass_recv(ctl, reply + got, size - 1 - got, &rfd);
		if (n <= 0)
			break;
		if (rfd >= 0) {
			if (*fd >= 0)
				close(*fd);
			*fd = rfd;
		}
		got += (size_t)n;
		if (memchr(reply, '\n', got))
			break;
	}
	reply[got] = '\0';
	return strstr(reply, "\"result\"") ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct sigaction sa = { .sa_handler = on_signal };
	static char req[512], reply[8192];
	struct rlimit rl;
	int plain = 0, macs = 0, n, k, opt, ctl, first = -1;

	while ((opt = getopt(argc, argv, "am:")) != -1) {
		switch (opt) {
		case 'a': plain = 1; break;
		case 'm': macs = atoi(optarg); break;
		default: return 2;
		}
	}
	if (argc - optind != 3 || (n = atoi(argv[optind + 2])) <= 0 || strlen(argv[optind]) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "usage: manyports [-a] [-m MACS] SOCK NETWORK N\n");
		return 2;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	strcpy(sun.sun_path, argv[optind]);
	ctl = socket(AF_UNIX, SOCK_STREAM, 0);
	if (ctl < 0 || connect(ctl, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		return perror("manyports: connect"), 1;
	snprintf(req, sizeof(req),
		 "{\"id\":1,\"method\":\"network.attach\",\"params\":{\"network\":\"%s\"%s,\"description\":\"manyports\"}}\n",
		 argv[optind + 1], plain ? "" : ",\"fd\":true");
	for (k = 0; k < n; k++) {
		int sv[2] = { -1, -1 }, fd;

		if (!plain && socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) < 0) {
			perror("manyports: socketpair");
			break;
		}
		if (request(ctl, req, sv[1], reply, sizeof(reply), &fd) < 0) {
			printf("refused after %d: %s", k, reply);
			if (sv[0] >= 0)
				close(sv[0]);
			if (sv[1] >= 0)
				close(sv[1]);
			break;
		}
		if (!plain) {
			close(sv[1]);
			fd = sv[0];
		}
		if (first < 0)
			first = fd;
	}
	for (int i = 0; i < macs && first >= 0; i++) {
		unsigned char f[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x4d, 0, (unsigned char)(i >> 16),
					(unsigned char)(i >> 8), (unsigned char)i, 0x88, 0xb5 };

		/* a full socket buffer: wait for vded to read */
		while (send(first, f, sizeof(f), MSG_DONTWAIT) < 0 && !stop)
			usleep(1000);
	}
	printf("attached %d\n", k);
	fflush(stdout);
	if (k == 0)
		return 1;
	while (!stop)
		pause();
	return 0;
}
