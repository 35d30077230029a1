/*
 * vdeflow — a victim's steady traffic between two VDE connections, every frame checked (security tests:
 * traffic must keep flowing during an attack, and arrive intact: D1 mixed frames between receive slots).
 *
 *   vdeflow [-t SECS] [-i MS] [-b BURST] URL_A URL_B
 *
 * Opens both URLs through the libvdeplug.so.2 the dynamic linker finds (dlopened, as vdeio does) and
 * prints "ready". Every MS milliseconds (default 50) for SECS seconds (default 5) it sends BURST frames
 * (default 8) from A to B and BURST from B to A, then reads what arrived. Each frame carries a magic,
 * its direction, a sequence number and its own length (60..1514, varying), and the rest of the payload
 * is a function of the sequence number: the receiver checks all of it. Frames without the magic (a
 * peer's chatter) are ignored. At the end prints
 *   "sent N ok M corrupt C dup D lost L maxgap MS"
 * (maxgap: the longest time between two good frames). Exit 0 if nothing was corrupt, 1 otherwise,
 * 3 if a URL could not be opened.
 */
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libvdeplug.h>

#define MAGIC 0x7646u
#define MAXSEQ (1u << 20)

static VDECONN *(*p_open)(char *, char *, int, struct vde_open_args *);
static ssize_t (*p_recv)(VDECONN *, void *, size_t, int);
static ssize_t (*p_send)(VDECONN *, const void *, size_t, int);
static int (*p_datafd)(VDECONN *);

static unsigned char *seen[2];
static long sent, ok, corrupt, dups;
static double last_ok, maxgap;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t frame_len(uint32_t seq)
{
	return 60 + (seq * 97u) % (1514 - 60 + 1);
}

static unsigned char fill(uint32_t seq, size_t i)
{
	return (unsigned char)(seq * 31u + i * 7u + (i >> 8));
}

static void make(unsigned char *f, int dir, uint32_t seq)
{
	size_t len = frame_len(seq);

	memset(f, 0xff, 6);
	memcpy(f + 6, (unsigned char[]){ 0x02, 0, 0, 0, 0xf1, (unsigned char)dir }, 6);
	f[12] = 0x88;
	f[13] = 0xb5;
	f[14] = MAGIC >> 8;
	f[15] = MAGIC & 0xff;
	f[16] = (unsigned char)dir;
	memcpy(f + 17, &seq, 4);
	f[21] = (unsigned char)(len >> 8);
	f[22] = (unsigned char)len;
	for (size_t i = 23; i < len; i++)
		f[i] = fill(seq, i);
}

/* Check one received frame for direction dir. */
static void check(const unsigned char *f, ssize_t n, int dir)
{
	uint32_t seq;
	size_t len;

	if (n < 23 || f[12] != 0x88 || f[13] != 0xb5 || f[14] != (MAGIC >> 8) || f[15] != (MAGIC & 0xff))
		return;	/* not ours (or mangled beyond recognition: then it is counted as lost) */
	memcpy(&seq, f + 17, 4);
	len = (size_t)f[21] << 8 | f[22];
	if (f[16] != dir || seq >= MAXSEQ || len != frame_len(seq) || (size_t)n != len) {
		fprintf(stderr, "corrupt: %zd bytes, header says dir %u seq %u len %zu\n", n, f[16], seq, len);
		corrupt++;
		return;
	}
	for (size_t i = 23; i < len; i++) {
		if (f[i] != fill(seq, i)) {
			fprintf(stderr, "corrupt: seq %u: byte %zu is %02x, expected %02x\n", seq, i, f[i], fill(seq, i));
			corrupt++;
			return;
		}
	}
	if (seen[dir][seq]) {
		dups++;
		return;
	}
	seen[dir][seq] = 1;
	ok++;
	if (now() - last_ok > maxgap)
		maxgap = now() - last_ok;
	last_ok = now();
}

static void drain(VDECONN *c, int dir, int wait_ms)
{
	static unsigned char buf[65536];
	struct pollfd p = { .fd = p_datafd(c), .events = POLLIN };

	while (poll(&p, 1, wait_ms) > 0) {
		ssize_t n = p_recv(c, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return;
		if (n > 1)
			check(buf, n, dir);
		wait_ms = 0;
	}
}

int main(int argc, char **argv)
{
	static unsigned char f[1514];
	struct vde_open_args args = { 0, NULL, 0700 };
	double secs = 5, interval = 0.05, end;
	int burst = 8, opt;
	uint32_t seq[2] = { 0, 0 };
	VDECONN *c[2];
	void *lib;

	while ((opt = getopt(argc, argv, "t:i:b:")) != -1) {
		switch (opt) {
		case 't': secs = atof(optarg); break;
		case 'i': interval = atof(optarg) / 1000; break;
		case 'b': burst = atoi(optarg); break;
		default: return 2;
		}
	}
	if (argc - optind != 2 || burst < 1) {
		fprintf(stderr, "usage: vdeflow [-t SECS] [-i MS] [-b BURST] URL_A URL_B\n");
		return 2;
	}
	lib = dlopen("libvdeplug.so.2", RTLD_NOW | RTLD_GLOBAL);
	if (lib == NULL)
		return fprintf(stderr, "%s\n", dlerror()), 3;
	p_open = (VDECONN * (*)(char *, char *, int, struct vde_open_args *)) dlsym(lib, "vde_open_real");
	p_recv = (ssize_t(*)(VDECONN *, void *, size_t, int))dlsym(lib, "vde_recv");
	p_send = (ssize_t(*)(VDECONN *, const void *, size_t, int))dlsym(lib, "vde_send");
	p_datafd = (int (*)(VDECONN *))dlsym(lib, "vde_datafd");
	if (!p_open || !p_recv || !p_send || !p_datafd)
		return fprintf(stderr, "libvdeplug.so.2 lacks the API\n"), 3;
	for (int i = 0; i < 2; i++) {
		c[i] = p_open(argv[optind + i], "vdeflow", 1, &args);
		if (c[i] == NULL) {
			printf("open %s: %s\n", argv[optind + i], strerror(errno));
			return 3;
		}
		seen[i] = calloc(MAXSEQ, 1);
		if (seen[i] == NULL)
			return 3;
	}
	printf("ready\n");
	fflush(stdout);
	last_ok = now();
	end = now() + secs;
	while (now() < end) {
		double next = now() + interval;

		for (int d = 0; d < 2; d++) {
			for (int k = 0; k < burst && seq[d] < MAXSEQ; k++) {
				make(f, d, seq[d]);
				if (p_send(c[d], f, frame_len(seq[d]), 0) > 0)
					sent++;
				seq[d]++;
			}
		}
		do {
			drain(c[1], 0, 5);
			drain(c[0], 1, 5);
		} while (now() < next);
	}
	drain(c[1], 0, 200);
	drain(c[0], 1, 200);
	if (now() - last_ok > maxgap)
		maxgap = now() - last_ok;
	printf("sent %ld ok %ld corrupt %ld dup %ld lost %ld maxgap %.0f\n", sent, ok, corrupt, dups, sent - ok,
	       maxgap * 1000);
	return corrupt ? 1 : 0;
}
