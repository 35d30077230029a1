/*
 * fdattack — hand vded a hostile descriptor with network.attach {"fd": true}, then check that a
 * victim's traffic still crosses the network (security tests, V6/V8/V9).
 *
 *   fdattack SOCK NETWORK KIND [ARG]    KIND: unix PATH | udp PORT | netlink | open PATH |
 *                                             selfloop | pair | tap IFNAME
 *   fdattack -l unix:PATH|udp:PORT SECS a listener: counts datagrams for SECS, prints "got N"
 *
 * unix/udp: a datagram socket connected to PATH / 127.0.0.1:PORT (a listener the test owns);
 * netlink: a NETLINK_ROUTE socket; open: open(PATH, O_RDWR) (/dev/zero, /dev/ptmx); selfloop: both
 * ends of one socketpair (the first is accepted, the second is the attack); pair: a good socketpair
 * end; tap: IFNAME set on /dev/net/tun (a tap the caller owns; the /dev/net/tun open on fd 3 if there
 * is one, else its own).
 * Prints "attack: REPLY" (the reply to the hostile attach). Then, over the same connection, it attaches
 * two good socketpair ends V1, V2, sends one broadcast into V1 and counts for 1 s its copies out of V2:
 * "victim: N frames" (1 is right; 0: the network is broken; more: a loop). Exit 0, or 1 if the tool
 * itself failed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fdpass.h"

static int ctl;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* network.attach with fd; the reply line goes to reply. Returns 0 on a result, -1 otherwise. */
static int attach(const char *network, int fd, char *reply, size_t size)
{
	char req[256];
	ssize_t n;
	size_t got = 0;

	snprintf(req, sizeof(req),
		 "{\"id\":1,\"method\":\"network.attach\",\"params\":{\"network\":\"%s\",\"fd\":true,"
		 "\"description\":\"fdattack\"}}\n", network);
	if (fdpass_send(ctl, req, strlen(req), fd) < 0)
		return -1;
	while (got < size - 1 && (n = recv(ctl, reply + got, size - 1 - got, 0)) > 0) {
		got += (size_t)n;
		if (memchr(reply, '\n', got))
			break;
	}
	reply[got] = '\0';
	return strstr(reply, "\"result\"") ? 0 : -1;
}

/* Datagrams received on fd in secs seconds; with want, only copies of that frame. */
static long count_frames(int fd, double secs, const unsigned char *want, size_t len)
{
	static unsigned char buf[65536];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	double end = now() + secs;
	ssize_t r;
	long n = 0;

	while (now() < end) {
		if (poll(&p, 1, 50) <= 0)
			continue;
		while ((r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) >= 0)
			if (!want || ((size_t)r == len && memcmp(buf, want, len) == 0))
				n++;
	}
	return n;
}

static int listener(const char *spec, double secs)
{
	int fd;

	if (strncmp(spec, "unix:", 5) == 0) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };

		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", spec + 5);
		fd = socket(AF_UNIX, SOCK_DGRAM, 0);
		unlink(sun.sun_path);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
			return perror("fdattack: bind"), 1;
		chmod(sun.sun_path, 0666);
	} else if (strncmp(spec, "udp:", 4) == 0) {
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(spec + 4)) };

		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
			return perror("fdattack: bind"), 1;
	} else {
		return 2;
	}
	printf("listening\n");
	fflush(stdout);
	printf("got %ld\n", count_frames(fd, secs, NULL, 0));
	return 0;
}

static int hostile_fd(const char *kind, const char *arg, int *keep)
{
	int fd = -1;

	*keep = -1;
	if (strcmp(kind, "unix") == 0 && arg) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };

		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", arg);
		fd = socket(AF_UNIX, SOCK_DGRAM, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
			return perror("fdattack: connect to the listener"), -1;
	} else if (strcmp(kind, "udp") == 0 && arg) {
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(arg)) };

		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
			return perror("fdattack: udp connect"), -1;
	} else if (strcmp(kind, "netlink") == 0) {
		fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	} else if (strcmp(kind, "open") == 0 && arg) {
		fd = open(arg, O_RDWR | O_NOCTTY);
	} else if (strcmp(kind, "pair") == 0 || strcmp(kind, "selfloop") == 0) {
		int sv[2];

		if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) < 0)
			return -1;
		fd = sv[1];
		*keep = sv[0];
	} else if (strcmp(kind, "tap") == 0 && arg) {
		struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };

		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", arg);
		/* /dev/net/tun may be root-only: then the caller hands us one open on fd 3 */
		fd = fcntl(3, F_GETFD) >= 0 ? 3 : open("/dev/net/tun", O_RDWR);
		if (fd >= 0 && ioctl(fd, TUNSETIFF, &ifr) < 0)
			return perror("fdattack: TUNSETIFF"), -1;
	} else {
		return -2;
	}
	if (fd < 0)
		perror("fdattack: making the descriptor");
	return fd;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	unsigned char bcast[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0xa1, 0x01, 0x88, 0xb5 };
	static char reply[8192];
	const char *kind, *arg;
	int fd, keep, v1[2], v2[2];

	if (argc == 4 && strcmp(argv[1], "-l") == 0)
		return listener(argv[2], atof(argv[3]));
	if (argc < 4 || strlen(argv[1]) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "usage: fdattack SOCK NETWORK KIND [ARG] | fdattack -l unix:PATH|udp:PORT SECS\n");
		return 2;
	}
	kind = argv[3];
	arg = argc > 4 ? argv[4] : NULL;
	strcpy(sun.sun_path, argv[1]);
	fd = hostile_fd(kind, arg, &keep);	/* first: fd 3 may be an inherited /dev/net/tun */
	if (fd == -2)
		return fprintf(stderr, "fdattack: unknown kind %s\n", kind), 2;
	if (fd < 0)
		return 1;
	ctl = socket(AF_UNIX, SOCK_STREAM, 0);
	if (ctl < 0 || connect(ctl, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		return perror("fdattack: connect"), 1;
	if (strcmp(kind, "selfloop") == 0) {
		/* the first end is an ordinary port; the attack is its peer, held by vded too */
		if (attach(argv[2], fd, reply, sizeof(reply)) < 0)
			return fprintf(stderr, "fdattack: the first end was refused: %s", reply), 1;
		close(fd);
		fd = keep;
		keep = -1;
	}
	attach(argv[2], fd, reply, sizeof(reply));
	printf("attack: %s", reply);
	if (strcmp(kind, "selfloop") != 0 && strcmp(kind, "tap") != 0)
		close(fd);	/* vded holds it now, if it took it */

	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, v1) < 0 || socketpair(AF_UNIX, SOCK_DGRAM, 0, v2) < 0)
		return 1;
	if (attach(argv[2], v1[1], reply, sizeof(reply)) < 0 || attach(argv[2], v2[1], reply, sizeof(reply)) < 0)
		return fprintf(stderr, "fdattack: a good socketpair was refused: %s", reply), 1;
	close(v1[1]);
	close(v2[1]);
	memcpy(bcast + 14, "fdattack victim broadcast", 25);
	if (send(v1[0], bcast, sizeof(bcast), 0) < 0)
		return perror("fdattack: send"), 1;
	printf("victim: %ld frames\n", count_frames(v2[0], 1, bcast, sizeof(bcast)));
	fflush(stdout);
	return 0;
}
