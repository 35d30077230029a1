/*
 * chop — a dpipe middle stage that re-cuts a vdestream (doc/vde-wire.md §5) so that the reader after it
 * sees reads ending inside headers and inside frames:
 *
 *   dpipe LEFT = chop [-z] [-l] [-r] = RIGHT
 *
 * -l cuts the bytes going to LEFT (stdout; they come from $ALTERNATE_STDIN), -r those going to RIGHT
 * ($ALTERNATE_STDOUT; from stdin); default -l. A cut stream is written one byte after each record start
 * and in the middle of each frame, with a 1 ms pause after each piece so that the pieces tend to arrive
 * as separate reads (correctness never depends on it). With -z an empty record (length 0) goes before
 * every frame of a cut stream. Other bytes pass unchanged. Exits when either side closes.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUFSZ (2 * 65536 + 4)

struct dir {
	int in, out, cut;
	size_t have;
	unsigned char acc[BUFSZ];
};

static int zero;

static int write_all(int fd, const unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int piece(int fd, const unsigned char *p, size_t n)
{
	if (n == 0)
		return 0;
	if (write_all(fd, p, n) < 0)
		return -1;
	usleep(1000);
	return 0;
}

/* Move what is readable on d->in to d->out. Returns 0, or -1 when a side closed. */
static int pump(struct dir *d)
{
	size_t off = 0, start = 0;
	ssize_t n = read(d->in, d->acc + d->have, sizeof(d->acc) - d->have);

	if (n < 0 && errno == EINTR)
		return 0;
	if (n <= 0)
		return -1;
	if (!d->cut)
		return write_all(d->out, d->acc, (size_t)n);
	d->have += (size_t)n;
	/* each complete record: finish the previous frame, cut after the first header byte (with -z after
	 * an empty record and that byte), then cut in the middle of the frame */
	while (d->have - off >= 2) {
		size_t len = (size_t)d->acc[off] << 8 | d->acc[off + 1];

		if (d->have - off < 2 + len)
			break;
		if (zero) {
			unsigned char z[3] = { 0, 0, d->acc[off] };

			if (piece(d->out, d->acc + start, off - start) < 0 || piece(d->out, z, 3) < 0)
				return -1;
		} else if (piece(d->out, d->acc + start, off + 1 - start) < 0) {
			return -1;
		}
		start = off + 1;
		if (piece(d->out, d->acc + start, 1 + len / 2) < 0)
			return -1;
		start += 1 + len / 2;
		off += 2 + len;
	}
	if (piece(d->out, d->acc + start, off - start) < 0)
		return -1;
	memmove(d->acc, d->acc + off, d->have - off);
	d->have -= off;
	return 0;
}

int main(int argc, char **argv)
{
	static struct dir left, right;
	const char *ai = getenv("ALTERNATE_STDIN"), *ao = getenv("ALTERNATE_STDOUT");
	int opt, any = 0;

	while ((opt = getopt(argc, argv, "zlr")) != -1) {
		switch (opt) {
		case 'z': zero = 1; break;
		case 'l': left.cut = any = 1; break;
		case 'r': right.cut = any = 1; break;
		default: return 2;
		}
	}
	if (!any)
		left.cut = 1;
	if (ai == NULL || ao == NULL) {
		fprintf(stderr, "chop: run me in the middle of a dpipe\n");
		return 2;
	}
	left.in = atoi(ai);
	left.out = 1;
	right.in = 0;
	right.out = atoi(ao);
	for (;;) {
		struct pollfd p[2] = { { .fd = left.in, .events = POLLIN }, { .fd = right.in, .events = POLLIN } };

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (p[0].revents && pump(&left) < 0)
			return 0;
		if (p[1].revents && pump(&right) < 0)
			return 0;
	}
}
