/*
 * fdattach SOCKET NETWORK: a client that hands vded its own descriptors (network.attach with
 * "fd": true), the unprivileged path of issue 5. It makes two socketpairs, gives vded one end of
 * each as two ports of NETWORK, sends a broadcast frame into the first and expects it out of the
 * second, then a unicast reply back. Prints the two port objects; exit 0 on success, 1 otherwise.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fdpass.h"

static int ctl;

static int attach(const char *network, int fd)
{
	char req[256], reply[4096];
	ssize_t n;
	size_t got = 0;

	snprintf(req, sizeof(req),
		 "{\"id\":1,\"method\":\"network.attach\",\"params\":{\"network\":\"%s\",\"fd\":true,"
		 "\"description\":\"fdattach\"}}\n", network);
	if (fdpass_send(ctl, req, strlen(req), fd) < 0)
		return -1;
	while (got < sizeof(reply) - 1 && (n = recv(ctl, reply + got, sizeof(reply) - 1 - got, 0)) > 0) {
		got += (size_t)n;
		if (memchr(reply, '\n', got))
			break;
	}
	reply[got] = '\0';
	printf("%s", reply);
	return strstr(reply, "\"result\"") ? 0 : -1;
}

static int expect(int fd, const unsigned char *frame, size_t len)
{
	unsigned char buf[2048];
	struct pollfd p = { .fd = fd, .events = POLLIN };

	/* other traffic may pass (IPv6 router solicitations...): look for ours for a while */
	for (int tries = 0; tries < 50; tries++) {
		if (poll(&p, 1, 100) <= 0)
			continue;
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n == (ssize_t)len && memcmp(buf, frame, len) == 0)
			return 0;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	unsigned char bcast[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0xa0, 0x01, 0x88, 0xb5 };
	unsigned char reply[60] = { 0x02, 0, 0, 0, 0xa0, 0x01, 0x02, 0, 0, 0, 0xa0, 0x02, 0x88, 0xb5 };
	int a[2], b[2];

	if (argc != 3 || strlen(argv[1]) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "usage: fdattach SOCKET NETWORK\n");
		return 2;
	}
	strcpy(sun.sun_path, argv[1]);
	memcpy(bcast + 14, "fdattach broadcast", 18);
	memcpy(reply + 14, "fdattach unicast", 16);
	ctl = socket(AF_UNIX, SOCK_STREAM, 0);
	if (ctl < 0 || connect(ctl, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		perror("fdattach: connect");
		return 1;
	}
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, a) < 0 || socketpair(AF_UNIX, SOCK_DGRAM, 0, b) < 0)
		return 1;
	if (attach(argv[2], a[1]) < 0 || attach(argv[2], b[1]) < 0) {
		fprintf(stderr, "fdattach: attach refused\n");
		return 1;
	}
	close(a[1]);	/* vded holds them now */
	close(b[1]);
	if (send(a[0], bcast, sizeof(bcast), 0) < 0 || expect(b[0], bcast, sizeof(bcast)) < 0) {
		fprintf(stderr, "fdattach: the broadcast did not come out of the second port\n");
		return 1;
	}
	/* vded learned 02:..:a0:01 on the first port: the reply is unicast back to it */
	if (send(b[0], reply, sizeof(reply), 0) < 0 || expect(a[0], reply, sizeof(reply)) < 0) {
		fprintf(stderr, "fdattach: the unicast reply did not come back\n");
		return 1;
	}
	printf("fdattach: frames crossed both ways\n");
	return 0;
}
