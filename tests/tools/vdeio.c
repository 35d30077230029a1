/*
 * vdeio — drive one or two VDE connections from a test script, through whichever libvdeplug.so.2 the
 * dynamic linker finds (ours with LD_LIBRARY_PATH=build/lib, else Debian's): it is dlopened, not linked,
 * so the same binary tests both libraries.
 *
 *   vdeio [-t SECS] [-D DESCR] URL_A [URL_B|-] [STEP...]
 *
 * Opens URL_A then URL_B (a failure prints "open URL: strerror" and exits 3). Each STEP is
 *   X>Y:FRAME[:PATTERN]      send FRAME on X, expect on Y a frame matching PATTERN (default FRAME)
 *   X>Y:FRAME:!              send FRAME on X, expect nothing on Y for 1 s (a filtered frame)
 * with X, Y in {A, B}. FRAME is hex (blanks and '.' ignored), optionally ending in "/N": pad to N bytes
 * with bytes 0xa5. PATTERN is the same, where "xx" matches any byte and a final "*" any
 * tail. Sends that fail with ENOENT/ECONNREFUSED/ENOTCONN are retried (the peer may not be up yet),
 * a step whose frame is not received is re-sent once a second and other frames are skipped, all until
 * -t SECS (default 10):
 * this bounds waiting for an event, it is not a performance threshold.
 * Prints "lib: PATH" (the libvdeplug in use), one "ok STEP" per step; exit 0, or 1 on a mismatch.
 */
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libvdeplug.h>

#define MAXF 65536

static VDECONN *(*p_open)(char *, char *, int, struct vde_open_args *);
static ssize_t (*p_recv)(VDECONN *, void *, size_t, int);
static ssize_t (*p_send)(VDECONN *, const void *, size_t, int);
static int (*p_datafd)(VDECONN *);
static int (*p_close)(VDECONN *);

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parse hex into buf (wild[i] set for "xx"); *tail set for a final '*'. Returns the length or -1. */
static long parse_hex(const char *s, unsigned char *buf, unsigned char *wild, int *tail)
{
	long n = 0;

	if (tail)
		*tail = 0;
	while (*s) {
		if (*s == ' ' || *s == '.') {
			s++;
		} else if (*s == '*' && tail && s[1] == 0) {
			*tail = 1;
			s++;
		} else if (*s == '/') {
			long want = strtol(s + 1, NULL, 10);

			if (want > MAXF || want < n)
				return -1;
			for (; n < want; n++) {
				buf[n] = 0xa5;
				if (wild)
					wild[n] = 0;
			}
			break;
		} else if (wild && (s[0] == 'x' && s[1] == 'x')) {
			wild[n] = 1;
			buf[n++] = 0;
			s += 2;
		} else if (hexval(s[0]) >= 0 && hexval(s[1]) >= 0) {
			if (n >= MAXF)
				return -1;
			if (wild)
				wild[n] = 0;
			buf[n++] = (unsigned char)(hexval(s[0]) << 4 | hexval(s[1]));
			s += 2;
		} else {
			return -1;
		}
	}
	return n;
}

static int matches(const unsigned char *f, long n, const unsigned char *pat, const unsigned char *wild, long plen,
		   int tail)
{
	if (tail ? n < plen : n != plen)
		return 0;
	for (long i = 0; i < plen; i++)
		if (!wild[i] && f[i] != pat[i])
			return 0;
	return 1;
}

static void dump(const char *what, const unsigned char *f, long n)
{
	fprintf(stderr, "%s (%ld bytes):", what, n);
	for (long i = 0; i < n && i < 64; i++)
		fprintf(stderr, " %02x", f[i]);
	fprintf(stderr, "%s\n", n > 64 ? " ..." : "");
}

/* Send, retrying while the peer is not there yet. */
static int send_frame(VDECONN *c, const unsigned char *f, long n, double deadline)
{
	for (;;) {
		ssize_t r = p_send(c, f, (size_t)n, 0);

		if (r == n)
			return 0;
		if (r < 0 && (errno == ENOENT || errno == ECONNREFUSED || errno == ENOTCONN || errno == EAGAIN ||
			      errno == ENOBUFS) && now() < deadline) {
			usleep(50000);
			continue;
		}
		fprintf(stderr, "send: %zd (%s)\n", r, r < 0 ? strerror(errno) : "short");
		return -1;
	}
}

int main(int argc, char **argv)
{
	static unsigned char frame[MAXF], pat[MAXF], wild[MAXF], got[MAXF];
	struct vde_open_args args = { 0, NULL, 0700 };
	const char *descr = "vdeio";
	double timeout = 10;
	VDECONN *conn[2] = { NULL, NULL };
	void *lib;
	Dl_info info;
	int opt, rc = 0;

	while ((opt = getopt(argc, argv, "+t:D:")) != -1) {
		switch (opt) {
		case 't': timeout = atof(optarg); break;
		case 'D': descr = optarg; break;
		default: return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: vdeio [-t SECS] [-D DESCR] URL_A [URL_B|-] [STEP...]\n");
		return 2;
	}
	lib = dlopen("libvdeplug.so.2", RTLD_NOW | RTLD_GLOBAL);
	if (lib == NULL) {
		fprintf(stderr, "%s\n", dlerror());
		return 3;
	}
	p_open = (VDECONN * (*)(char *, char *, int, struct vde_open_args *)) dlsym(lib, "vde_open_real");
	p_recv = (ssize_t(*)(VDECONN *, void *, size_t, int))dlsym(lib, "vde_recv");
	p_send = (ssize_t(*)(VDECONN *, const void *, size_t, int))dlsym(lib, "vde_send");
	p_datafd = (int (*)(VDECONN *))dlsym(lib, "vde_datafd");
	p_close = (int (*)(VDECONN *))dlsym(lib, "vde_close");
	if (!p_open || !p_recv || !p_send || !p_datafd || !p_close) {
		fprintf(stderr, "libvdeplug.so.2 lacks the API\n");
		return 3;
	}
	if (dladdr((void *)p_open, &info) && info.dli_fname)
		printf("lib: %s\n", info.dli_fname);
	for (int i = 0; i < 2 && optind < argc; i++, optind++) {
		if (i == 1 && (strcmp(argv[optind], "-") == 0 || strchr(argv[optind], '>'))) {
			if (strcmp(argv[optind], "-") == 0)
				optind++;
			break;
		}
		conn[i] = p_open(argv[optind], (char *)(unsigned long)(const void *)descr, 1, &args);
		if (conn[i] == NULL) {
			printf("open %s: %s\n", argv[optind], strerror(errno));
			fflush(stdout);
			return 3;
		}
		printf("opened %s\n", argv[optind]);
	}
	fflush(stdout);
	for (; optind < argc && rc == 0; optind++) {
		char *step = argv[optind], *fr, *pt;
		int from, to, tail = 0, expect_none = 0, ok = 0;
		long flen, plen;
		double deadline = now() + timeout, resend;

		if (strlen(step) < 5 || step[1] != '>' || step[3] != ':' || (step[0] != 'A' && step[0] != 'B') ||
		    (step[2] != 'A' && step[2] != 'B')) {
			fprintf(stderr, "bad step %s\n", step);
			return 2;
		}
		from = step[0] - 'A';
		to = step[2] - 'A';
		if (!conn[from] || !conn[to]) {
			fprintf(stderr, "step %s: no such connection\n", step);
			return 2;
		}
		fr = strdup(step + 4);
		pt = strchr(fr, ':');
		if (pt)
			*pt++ = 0;
		flen = parse_hex(fr, frame, NULL, NULL);
		if (pt && strcmp(pt, "!") == 0) {
			expect_none = 1;
			deadline = now() + 1;
			plen = 0;
		} else {
			plen = pt ? parse_hex(pt, pat, wild, &tail) : flen;
			if (!pt) {
				memcpy(pat, frame, (size_t)(flen > 0 ? flen : 0));
				memset(wild, 0, (size_t)(flen > 0 ? flen : 0));
			}
		}
		if (flen < 0 || plen < 0) {
			fprintf(stderr, "bad hex in %s\n", step);
			return 2;
		}
		if (send_frame(conn[from], frame, flen, deadline) < 0) {
			rc = 1;
			break;
		}
		resend = now() + 1;
		while (!ok && now() < deadline) {
			struct pollfd p = { .fd = p_datafd(conn[to]), .events = POLLIN };
			ssize_t n;

			if (poll(&p, 1, 100) <= 0) {
				/* lost on the way (a peer just starting): send again */
				if (!expect_none && now() > resend) {
					resend = now() + 1;
					if (send_frame(conn[from], frame, flen, deadline) < 0)
						break;
				}
				continue;
			}
			n = p_recv(conn[to], got, sizeof(got), 0);
			/* "arrived but not for you": 1 (vdeplug4's way) or -1/EAGAIN (a module that filtered it) */
			if (n == 1 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)))
				continue;
			if (n <= 0) {
				fprintf(stderr, "recv: %zd (%s)\n", n, n < 0 ? strerror(errno) : "closed");
				break;
			}
			if (expect_none) {
				dump("unexpected frame", got, n);
				break;
			}
			/* anything else (a duplicate of an earlier re-sent frame, a peer's own chatter) is shown
			 * and skipped: a wrong transformation still fails, at the deadline */
			if (matches(got, n, pat, wild, plen, tail)) {
				ok = 1;
			} else {
				dump("skipped", got, n);
				dump("   want", pat, plen);
			}
		}
		if (expect_none && now() >= deadline)
			ok = 1;
		if (!ok) {
			fprintf(stderr, "step %s failed\n", step);
			rc = 1;
		} else {
			printf("ok %c>%c %ld bytes\n", step[0], step[2], flen);
			fflush(stdout);
		}
		free(fr);
	}
	for (int i = 1; i >= 0; i--)
		if (conn[i])
			p_close(conn[i]);
	return rc;
}
