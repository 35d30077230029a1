/*
 * vdebench — the client side of `make bench` (tests/bench/run drives it; see tests/bench/README.md).
 *
 *   vdebench send URL [opts]   handshake, then send COUNT data frames, one syscall each
 *   vdebench recv URL [opts]   answer the handshake, count data frames until IDLE ms pass without one
 *   vdebench ping URL [opts]   handshake, then WARMUP + COUNT ping-pong round trips; prints median/p99
 *   vdebench echo URL [opts]   answer the handshake and echo every ping
 *   vdebench rss SOCK PID [opts]  vded memory: networks x ports attached through the control socket
 *
 * URL:
 *   vded:SOCK:NETWORK   network.attach through vded's control socket; send()/recv() on the data fd
 *   unix:PATH           an autobound AF_UNIX SOCK_DGRAM socket connected to PATH (tests/bench/relay)
 *   anything else       opened with libvdeplug (vde://DIR, ptp://PATH, vxvde://, vded://NET):
 *                       vde_send()/vde_recv(). "libvdeplug.so.2" is dlopen()ed ($VDEBENCH_LIBVDEPLUG
 *                       overrides the name) so the bench has no link-time tie to Debian's library nor
 *                       to this project's: LD_LIBRARY_PATH or $VDEBENCH_LIBVDEPLUG picks one, and the
 *                       output names the library and the modules that were actually loaded.
 *
 * Frames are valid Ethernet: dst = the peer's MAC, src = our MAC (02:00:00:00:00:XX, locally
 * administered unicast), ethertype 0x88b5 (IEEE local experimental), then a small header.
 * The handshake (SYN from the sender, SYNACK from the receiver) makes every switch learn both
 * addresses before anything is measured, so data frames are unicast, never flooded.
 * Results go to stdout as one line of key=value pairs.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vdeclient.h"

#define ETHERTYPE_BENCH 0x88b5
#define FRAME_MIN 32		/* Ethernet header + our header */
#define FRAME_MAX 9234

enum frame_kind {
	KIND_SYN = 1,
	KIND_SYNACK = 2,
	KIND_DATA = 3,
	KIND_PING = 4,
	KIND_PONG = 5,
	KIND_HELLO = 6,		/* the passive side announces itself (a relay learns its address) */
};

/* What follows the 14-byte Ethernet header. Unaligned access is avoided with memcpy. */
struct bench_hdr {
	uint8_t kind;
	uint8_t pad[3];
	uint32_t size;
	uint64_t seq;
};

/* The subset of the libvdeplug ABI the bench uses (include/libvdeplug.h of vdeplug4). */
struct vdeplug_api {
	void *(*open_real)(char *url, char *descr, int version, void *args);
	ssize_t (*recv)(void *conn, void *buf, size_t len, int flags);
	ssize_t (*send)(void *conn, const void *buf, size_t len, int flags);
	int (*datafd)(void *conn);
	int (*close)(void *conn);
};

struct conn {
	int fd;			/* data fd: send()/recv() on it, or vde_datafd() */
	void *vde;		/* VDECONN when opened through libvdeplug */
	struct vdeclient *vc;	/* kept open: it keeps the vded port alive */
	/*
	 * The data fd is not a socket (an epoll fd of a multi-socket module, vxvde://): SO_RCVTIMEO does
	 * not apply and vde_recv() need not block, so receiving waits in poll() first.
	 */
	int poll_first;
	int timeout_ms;
};

struct opts {
	size_t size;
	unsigned long count;
	unsigned long warmup;
	double max_secs;
	int idle_ms;
	int self;
	int peer;
	const char *ready;
	const char *query;	/* send: "SOCK:NETWORK" of a vded whose port counters to report */
	unsigned nets;
	unsigned ports;
	unsigned conns_per_net;
};

static struct vdeplug_api vp;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vdebench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static int vdeplug_load(void)
{
	const char *name = getenv("VDEBENCH_LIBVDEPLUG");
	void *h;

	if (vp.open_real)
		return 0;
	if (!name || !*name)
		name = "libvdeplug.so.2";
	h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "vdebench: dlopen %s: %s\n", name, dlerror());
		return -1;
	}
	/* Function pointers from dlsym: go through a union-free cast the compiler accepts. */
	*(void **)&vp.open_real = dlsym(h, "vde_open_real");
	*(void **)&vp.recv = dlsym(h, "vde_recv");
	*(void **)&vp.send = dlsym(h, "vde_send");
	*(void **)&vp.datafd = dlsym(h, "vde_datafd");
	*(void **)&vp.close = dlsym(h, "vde_close");
	if (!vp.open_real || !vp.recv || !vp.send || !vp.datafd || !vp.close) {
		fprintf(stderr, "vdebench: %s lacks the vdeplug API\n", name);
		return -1;
	}
	return 0;
}

/* Attach to NETWORK through vded at SOCK. The connection stays open in c->vc. */
static int conn_open_vded(struct conn *c, const char *sock, const char *network, const char *descr)
{
	struct json_object *params = json_object_new_object(), *result = NULL, *error = NULL;
	int ret;

	ret = vdeclient_connect(sock, &c->vc);
	if (ret < 0) {
		json_object_put(params);
		fprintf(stderr, "vdebench: connect %s: %s\n", sock, strerror(-ret));
		return -1;
	}
	json_object_object_add(params, "network", json_object_new_string(network));
	json_object_object_add(params, "description", json_object_new_string(descr));
	ret = vdeclient_call(c->vc, "network.attach", params, &result, &error, &c->fd);
	if (ret < 0 || c->fd < 0) {
		fprintf(stderr, "vdebench: network.attach %s: %s\n", network,
			error ? json_object_to_json_string(error) : strerror(-ret));
		json_object_put(result);
		json_object_put(error);
		return -1;
	}
	json_object_put(result);
	return 0;
}

static int conn_open_unix(struct conn *c, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "vdebench: path too long: %s\n", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	c->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -1;
	/* Autobind (an abstract name) so the relay can learn our address and connect back to it. */
	if (bind(c->fd, (struct sockaddr *)&sun, sizeof(sa_family_t)) < 0 ||
	    connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "vdebench: unix %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int conn_open(struct conn *c, const char *url, const char *descr)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (!strncmp(url, "vded:", 5) && strncmp(url, "vded://", 7)) {
		char *sock = strdup(url + 5), *net = sock ? strrchr(sock, ':') : NULL;
		int ret;

		if (!net)
			die("bad vded URL %s (want vded:SOCK:NETWORK)", url);
		*net++ = '\0';
		ret = conn_open_vded(c, sock, net, descr);
		free(sock);
		if (ret < 0)
			return -1;
	} else if (!strncmp(url, "unix:", 5)) {
		if (conn_open_unix(c, url + 5) < 0)
			return -1;
	} else {
		char *u = strdup(url), *d = strdup(descr);

		if (!u || !d || vdeplug_load() < 0)
			return -1;
		c->vde = vp.open_real(u, d, 1, NULL);
		free(u);
		free(d);
		if (!c->vde) {
			fprintf(stderr, "vdebench: vde_open %s: %s\n", url, strerror(errno));
			return -1;
		}
		c->fd = vp.datafd(c->vde);
	}
	/*
	 * One syscall per frame: a blocking fd with a receive timeout, so recv() itself waits and an
	 * EAGAIN means "idle". (Clearing O_NONBLOCK on a plugin's data fd is harmless: the plugins'
	 * send/recv are plain send()/recv() on it.)
	 */
	int fl = fcntl(c->fd, F_GETFL), type;
	socklen_t tlen = sizeof(type);
	if (getsockopt(c->fd, SOL_SOCKET, SO_TYPE, &type, &tlen) < 0 && errno == ENOTSOCK)
		c->poll_first = 1;
	else if (fl >= 0 && (fl & O_NONBLOCK))
		fcntl(c->fd, F_SETFL, fl & ~O_NONBLOCK);
	return 0;
}

/*
 * Which libvdeplug and which modules this process really runs (from /proc/self/maps), printed as
 * "libvdeplug=PATH modules=PATH[,PATH]": the bench compares our library with Debian's and checks
 * that each side loaded what it meant to.
 */
static void print_loaded_libs(void)
{
	char line[4096], lib[1024] = "-", mods[2048] = "";
	FILE *f = fopen("/proc/self/maps", "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *path = strchr(line, '/'), *base, *nl;

		if (!path)
			continue;
		nl = strchr(path, '\n');
		if (nl)
			*nl = '\0';
		base = strrchr(path, '/') + 1;
		if (!strncmp(base, "libvdeplug.so", 13)) {
			snprintf(lib, sizeof(lib), "%s", path);
		} else if (!strncmp(base, "libvdeplug_", 11) && strncmp(base, "libvdeplug_mod", 14) &&
			   !strstr(mods, path)) {
			size_t used = strlen(mods);
			snprintf(mods + used, sizeof(mods) - used, "%s%s", used ? "," : "", path);
		}
	}
	fclose(f);
	printf("libvdeplug=%s modules=%s\n", lib, *mods ? mods : "-");
}

static void conn_set_timeout(struct conn *c, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	c->timeout_ms = ms;
	if (c->poll_first)
		return;
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static ssize_t conn_send(struct conn *c, const void *buf, size_t len)
{
	for (;;) {
		ssize_t n = c->vde ? vp.send(c->vde, buf, len, 0) : send(c->fd, buf, len, MSG_NOSIGNAL);
		if (n >= 0 || errno != EINTR)
			return n;
	}
}

/* Returns the frame length, 0 for "nothing useful" (a dropped or short frame), -1 + errno. */
static ssize_t conn_recv(struct conn *c, void *buf, size_t len)
{
	ssize_t n;

	if (c->poll_first) {
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		int r = poll(&p, 1, c->timeout_ms);

		if (r < 0)
			return -1;
		if (r == 0) {
			errno = EAGAIN;
			return -1;
		}
	}
	n = c->vde ? vp.recv(c->vde, buf, len, 0) : recv(c->fd, buf, len, 0);

	if (n == 0 && c->vde == NULL) {
		/* a zero-length datagram: nothing to count */
		return 0;
	}
	if (n >= 0 && n < FRAME_MIN)
		return 0;
	return n;
}

static void mac_of(int idx, uint8_t mac[6])
{
	mac[0] = 0x02;
	mac[1] = 0x00;
	mac[2] = 0x00;
	mac[3] = (uint8_t)(idx >> 16);
	mac[4] = (uint8_t)(idx >> 8);
	mac[5] = (uint8_t)idx;
}

static void frame_build(uint8_t *buf, size_t size, int self, int peer, enum frame_kind kind, uint64_t seq)
{
	struct bench_hdr h = { .kind = (uint8_t)kind, .size = (uint32_t)size, .seq = seq };

	if (peer < 0)
		memset(buf, 0xff, 6);
	else
		mac_of(peer, buf);
	mac_of(self, buf + 6);
	buf[12] = ETHERTYPE_BENCH >> 8;
	buf[13] = ETHERTYPE_BENCH & 0xff;
	memcpy(buf + 14, &h, sizeof(h));
}

/* Parse a received frame: the kind (0 if not ours or not for us) and its sequence number. */
static int frame_parse(const uint8_t *buf, ssize_t len, int self, uint64_t *seq)
{
	uint8_t mac[6];
	struct bench_hdr h;

	if (len < FRAME_MIN || buf[12] != (ETHERTYPE_BENCH >> 8) || buf[13] != (ETHERTYPE_BENCH & 0xff))
		return 0;
	mac_of(self, mac);
	if (memcmp(buf, mac, 6) != 0 && !(buf[0] & 1))
		return 0;
	memcpy(&h, buf + 14, sizeof(h));
	*seq = h.seq;
	return h.kind;
}

static void ready_file(const char *path)
{
	int fd;

	if (!path)
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
}

/*
 * SYN until a SYNACK comes back (every 20 ms, for at most 10 s). Frames still in flight from the
 * peer afterwards are harmless: the sender never reads again, the pinger ignores them.
 */
static void handshake_initiate(struct conn *c, uint8_t *buf, const struct opts *o)
{
	double deadline = now() + 10.0;
	uint8_t rbuf[FRAME_MAX];
	uint64_t seq = 0;

	conn_set_timeout(c, 20);
	while (now() < deadline) {
		frame_build(buf, FRAME_MIN + 32, o->self, o->peer, KIND_SYN, seq++);
		/* errors are expected while the peer is not there yet (ptp://: ECONNREFUSED) */
		conn_send(c, buf, FRAME_MIN + 32);
		double until = now() + 0.02;
		while (now() < until) {
			uint64_t s;
			ssize_t n = conn_recv(c, rbuf, sizeof(rbuf));
			if (n < 0)
				break;
			if (frame_parse(rbuf, n, o->self, &s) == KIND_SYNACK)
				return;
		}
	}
	die("no answer from the peer on the data path");
}

/*
 * The passive side speaks first, and again every idle period until the peer shows up: a relay
 * learns where to send only from what it receives. Errors are expected (ptp:// before the peer).
 */
static void announce(struct conn *c, uint8_t *buf, const struct opts *o)
{
	frame_build(buf, FRAME_MIN + 32, o->self, o->peer, KIND_HELLO, 0);
	conn_send(c, buf, FRAME_MIN + 32);
}

/*
 * After a send run through vded: where did frames go? Sums the per-port counters of the network
 * (tx_dropped = frames vded could not hand to a port whose socket was full).
 */
static void vded_report(const char *query)
{
	struct json_object *params, *result = NULL, *error = NULL, *list, *val;
	uint64_t dropped = 0, rx = 0, tx = 0, rx_errors = 0;
	struct vdeclient *vc = NULL;
	char *sock = strdup(query), *net = sock ? strrchr(sock, ':') : NULL;

	if (!net)
		die("bad -q %s (want SOCK:NETWORK)", query);
	*net++ = '\0';
	/* let vded drain what is still queued toward it (the receiver stays for its 300 ms idle time) */
	usleep(100000);
	if (vdeclient_connect(sock, &vc) < 0)
		goto out;
	params = json_object_new_object();
	json_object_object_add(params, "name", json_object_new_string(net));
	if (vdeclient_call(vc, "network.show", params, &result, &error, NULL) < 0 ||
	    !json_object_object_get_ex(result, "port_list", &list))
		goto out;
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *port = json_object_array_get_idx(list, i);
		if (json_object_object_get_ex(port, "tx_dropped", &val))
			dropped += (uint64_t)json_object_get_int64(val);
		if (json_object_object_get_ex(port, "rx_frames", &val))
			rx += (uint64_t)json_object_get_int64(val);
		if (json_object_object_get_ex(port, "tx_frames", &val))
			tx += (uint64_t)json_object_get_int64(val);
		if (json_object_object_get_ex(port, "rx_errors", &val))
			rx_errors += (uint64_t)json_object_get_int64(val);
	}
	printf("vded_rx=%" PRIu64 " vded_tx=%" PRIu64 " vded_tx_dropped=%" PRIu64 " vded_rx_errors=%" PRIu64 "\n",
	       rx, tx, dropped, rx_errors);
out:
	json_object_put(result);
	json_object_put(error);
	vdeclient_close(vc);
	free(sock);
}

static int mode_send(struct conn *c, const struct opts *o)
{
	uint8_t *buf = calloc(1, FRAME_MAX);
	unsigned long sent = 0, errors = 0;
	double t0, t1, deadline;

	if (!buf)
		return 1;
	handshake_initiate(c, buf, o);
	/* The receiver must not still be answering SYNs when data starts: give it a moment. */
	usleep(20000);
	frame_build(buf, o->size, o->self, o->peer, KIND_DATA, 0);
	t0 = now();
	deadline = t0 + o->max_secs;
	for (unsigned long i = 0; i < o->count; i++) {
		uint64_t seq = i;
		memcpy(buf + 14 + offsetof(struct bench_hdr, seq), &seq, sizeof(seq));
		if (conn_send(c, buf, o->size) < 0) {
			if (errno == EAGAIN || errno == ENOBUFS) {
				/* a non-blocking fd after all: wait for room, then retry this frame */
				struct pollfd p = { .fd = c->fd, .events = POLLOUT };
				poll(&p, 1, 100);
				errors++;
				i--;
				continue;
			}
			fprintf(stderr, "vdebench: send: %s\n", strerror(errno));
			break;
		}
		sent++;
		/* Checking the clock every frame would cost a vDSO call per frame: every 1024 is plenty. */
		if ((i & 1023) == 0 && now() > deadline)
			break;
	}
	t1 = now();
	printf("sent=%lu secs=%.6f fps=%.0f eagain=%lu\n", sent, t1 - t0, (double)sent / (t1 - t0), errors);
	if (o->query)
		vded_report(o->query);
	free(buf);
	return 0;
}

static int mode_recv(struct conn *c, const struct opts *o)
{
	uint8_t *buf = calloc(1, FRAME_MAX), *out = calloc(1, FRAME_MAX);
	unsigned long got = 0, other = 0;
	uint64_t bytes = 0, maxseq = 0;
	double first = 0, last = 0, deadline = now() + 15.0;

	if (!buf || !out)
		return 1;
	conn_set_timeout(c, o->idle_ms);
	ready_file(o->ready);
	announce(c, out, o);
	for (;;) {
		uint64_t seq;
		ssize_t n = conn_recv(c, buf, FRAME_MAX);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				fprintf(stderr, "vdebench: recv: %s\n", strerror(errno));
				return 1;
			}
			if (got > 0)
				break;	/* idle after data: done */
			if (now() > deadline) {
				fprintf(stderr, "vdebench: no data arrived\n");
				return 1;
			}
			announce(c, out, o);
			continue;
		}
		switch (frame_parse(buf, n, o->self, &seq)) {
		case KIND_DATA:
			last = now();
			if (got++ == 0)
				first = last;
			bytes += (uint64_t)n;
			if (seq > maxseq)
				maxseq = seq;
			break;
		case KIND_SYN:
			if (got == 0) {
				frame_build(out, FRAME_MIN + 32, o->self, o->peer, KIND_SYNACK, seq);
				conn_send(c, out, FRAME_MIN + 32);
			}
			break;
		default:
			other++;
			break;
		}
	}
	double span = last - first;
	printf("recv=%lu secs=%.6f bytes=%" PRIu64 " maxseq=%" PRIu64 " other=%lu fps=%.0f\n", got, span, bytes,
	       maxseq, other, span > 0 ? (double)got / span : 0.0);
	free(buf);
	free(out);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int mode_ping(struct conn *c, const struct opts *o)
{
	uint8_t *buf = calloc(1, FRAME_MAX), *rbuf = calloc(1, FRAME_MAX);
	double *rtt = calloc(o->count ? o->count : 1, sizeof(double));
	unsigned long lost = 0, n_rtt = 0;
	uint64_t seq = 1000;

	if (!buf || !rbuf || !rtt)
		return 1;
	handshake_initiate(c, buf, o);
	conn_set_timeout(c, 1000);
	for (unsigned long i = 0; i < o->warmup + o->count; i++) {
		uint64_t s;
		double t0, t1;
		int kind;
		ssize_t n;

		seq++;
		frame_build(buf, o->size, o->self, o->peer, KIND_PING, seq);
		t0 = now();
		if (conn_send(c, buf, o->size) < 0) {
			fprintf(stderr, "vdebench: send: %s\n", strerror(errno));
			return 1;
		}
		for (;;) {
			n = conn_recv(c, rbuf, FRAME_MAX);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				break;
			}
			kind = frame_parse(rbuf, n, o->self, &s);
			if (kind == KIND_PONG && s == seq)
				break;
		}
		t1 = now();
		if (n < 0) {
			lost++;
			if (lost > 100)
				die("too many lost pings");
			continue;
		}
		if (i >= o->warmup)
			rtt[n_rtt++] = (t1 - t0) * 1e6;
	}
	if (n_rtt == 0)
		die("no round trip");
	qsort(rtt, n_rtt, sizeof(double), cmp_double);
	printf("rtts=%lu lost=%lu min_us=%.2f median_us=%.2f p99_us=%.2f max_us=%.2f\n", n_rtt, lost, rtt[0],
	       rtt[n_rtt / 2], rtt[(size_t)((double)n_rtt * 0.99)], rtt[n_rtt - 1]);
	free(buf);
	free(rbuf);
	free(rtt);
	return 0;
}

static int mode_echo(struct conn *c, const struct opts *o)
{
	uint8_t *buf = calloc(1, FRAME_MAX);
	unsigned long echoed = 0;
	double deadline = now() + 60.0;

	if (!buf)
		return 1;
	conn_set_timeout(c, o->idle_ms);
	ready_file(o->ready);
	announce(c, buf, o);
	for (;;) {
		uint64_t seq;
		ssize_t n = conn_recv(c, buf, FRAME_MAX);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return 1;
			if (echoed > 0 || now() > deadline)
				break;	/* the pinger is done (or never came) */
			announce(c, buf, o);
			continue;
		}
		switch (frame_parse(buf, n, o->self, &seq)) {
		case KIND_SYN:
			frame_build(buf, FRAME_MIN + 32, o->self, o->peer, KIND_SYNACK, seq);
			conn_send(c, buf, FRAME_MIN + 32);
			break;
		case KIND_PING:
			/* Same length back, only the addresses and the kind change. */
			frame_build(buf, (size_t)n, o->self, o->peer, KIND_PONG, seq);
			conn_send(c, buf, (size_t)n);
			echoed++;
			break;
		default:
			break;
		}
	}
	printf("echoed=%lu\n", echoed);
	free(buf);
	return 0;
}

/* VmRSS / VmHWM of pid in KiB, -1 if unreadable. */
static long proc_status_kib(long pid, const char *key)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	long val = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			val = strtol(line + klen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return val;
}

static int call_simple(struct vdeclient *vc, const char *method, struct json_object *params)
{
	struct json_object *result = NULL, *error = NULL;
	int ret = vdeclient_call(vc, method, params, &result, &error, NULL);

	if (ret < 0)
		fprintf(stderr, "vdebench: %s: %s\n", method,
			error ? json_object_to_json_string(error) : strerror(-ret));
	json_object_put(result);
	json_object_put(error);
	return ret;
}

struct rss_port {
	struct vdeclient *vc;	/* NULL when it shares a connection with an earlier port */
	int fd;
};

/* Let vded's loop catch up before reading its RSS: the attach replies are all in, traffic may not be. */
static void settle(void)
{
	usleep(300000);
}

/*
 * vded's resident memory: idle with one network, then with NETS networks x PORTS ports attached
 * through the control socket (CONNS control connections per network, each kept open), then after
 * every port sent traffic (a broadcast so the switch learns it, then unicast to its neighbour).
 */
static int mode_rss(const char *sock, long pid, const struct opts *o)
{
	unsigned total = o->nets * o->ports;
	struct rss_port *ports = calloc(total ? total : 1, sizeof(*ports));
	struct vdeclient *admin = NULL;
	uint8_t buf[256];
	struct rlimit rl;
	char name[32];
	long rss_idle = -1, rss_nets, rss_ports, rss_traffic;
	unsigned long sent = 0, received = 0;
	int ret;

	if (!ports)
		return 1;
	/* One fd per port plus one per control connection: lift the soft limit to the hard one. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	ret = vdeclient_connect(sock, &admin);
	if (ret < 0)
		die("connect %s: %s", sock, strerror(-ret));
	for (unsigned n = 0; n < o->nets; n++) {
		struct json_object *p = json_object_new_object();
		snprintf(name, sizeof(name), "rss%03u", n);
		json_object_object_add(p, "name", json_object_new_string(name));
		json_object_object_add(p, "exist_ok", json_object_new_boolean(1));
		if (call_simple(admin, "network.create", p) < 0)
			return 1;
		if (n == 0) {
			settle();
			rss_idle = proc_status_kib(pid, "VmRSS");
		}
	}
	settle();
	rss_nets = proc_status_kib(pid, "VmRSS");

	unsigned per_conn = o->conns_per_net ? (o->ports + o->conns_per_net - 1) / o->conns_per_net : 1;
	for (unsigned n = 0; n < o->nets; n++) {
		struct vdeclient *vc = NULL;
		snprintf(name, sizeof(name), "rss%03u", n);
		for (unsigned k = 0; k < o->ports; k++) {
			struct rss_port *pt = &ports[n * o->ports + k];
			struct json_object *p = json_object_new_object(), *result = NULL, *error = NULL;
			if (k % per_conn == 0) {
				ret = vdeclient_connect(sock, &vc);
				if (ret < 0)
					die("connect %s: %s", sock, strerror(-ret));
				pt->vc = vc;
			}
			json_object_object_add(p, "network", json_object_new_string(name));
			json_object_object_add(p, "description", json_object_new_string("vdebench rss"));
			ret = vdeclient_call(vc, "network.attach", p, &result, &error, &pt->fd);
			if (ret < 0 || pt->fd < 0) {
				fprintf(stderr, "vdebench: attach #%u to %s: %s\n", n * o->ports + k, name,
					error ? json_object_to_json_string(error) : strerror(-ret));
				return 1;
			}
			json_object_put(result);
			json_object_put(error);
			/* the receive side below must never block */
			fcntl(pt->fd, F_SETFL, O_NONBLOCK);
		}
	}
	settle();
	rss_ports = proc_status_kib(pid, "VmRSS");

	/* Traffic: every port announces itself, then 100 unicast frames of 256 B to its neighbour. */
	for (int round = 0; round < 101; round++) {
		for (unsigned i = 0; i < total; i++) {
			unsigned n = i / o->ports, k = i % o->ports;
			int self = (int)(i + 1), peer = (int)(n * o->ports + (k + 1) % o->ports + 1);
			size_t len = round == 0 ? 64 : sizeof(buf);
			frame_build(buf, len, self, round == 0 ? -1 : peer, KIND_DATA, (uint64_t)round);
			if (send(ports[i].fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)len)
				sent++;
		}
		/* drain what arrived so no queue stays full */
		for (unsigned i = 0; i < total; i++)
			while (recv(ports[i].fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
				received++;
	}
	settle();
	for (unsigned i = 0; i < total; i++)
		while (recv(ports[i].fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			received++;
	rss_traffic = proc_status_kib(pid, "VmRSS");

	printf("rss_idle_kib=%ld rss_nets_kib=%ld rss_ports_kib=%ld rss_traffic_kib=%ld hwm_kib=%ld "
	       "nets=%u ports=%u conns=%u sent=%lu received=%lu\n",
	       rss_idle, rss_nets, rss_ports, rss_traffic, proc_status_kib(pid, "VmHWM"), o->nets, total,
	       o->nets * (o->conns_per_net ? o->conns_per_net : o->ports), sent, received);
	fflush(stdout);
	for (unsigned i = 0; i < total; i++) {
		close(ports[i].fd);
		vdeclient_close(ports[i].vc);
	}
	vdeclient_close(admin);
	free(ports);
	return 0;
}

static void usage(void) __attribute__((noreturn));
static void usage(void)
{
	fprintf(stderr,
		"usage: vdebench send|recv|ping|echo URL [-s SIZE] [-n COUNT] [-w WARMUP] [-t MAXSECS]\n"
		"                [-i IDLE_MS] [-a SELF] [-b PEER] [-r READYFILE] [-q VDEDSOCK:NETWORK]\n"
		"       vdebench rss SOCK VDED_PID [-N NETS] [-P PORTS_PER_NET] [-C CONNS_PER_NET]\n"
		"URL: vded:SOCK:NETWORK | unix:PATH | any libvdeplug URL (vde://DIR, ptp://PATH, vxvde://, vded://NET)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct opts o = {
		.size = 64, .count = 1000000, .warmup = 1000, .max_secs = 5.0, .idle_ms = 300,
		.self = 1, .peer = 2, .nets = 100, .ports = 10, .conns_per_net = 0,
	};
	const char *mode, *url;
	struct conn c;
	int opt, ret;

	if (argc < 3)
		usage();
	mode = argv[1];
	url = argv[2];
	optind = strcmp(mode, "rss") ? 3 : 4;
	if (optind > argc)
		usage();
	while ((opt = getopt(argc, argv, "s:n:w:t:i:a:b:r:q:N:P:C:")) != -1) {
		switch (opt) {
		case 's': o.size = strtoul(optarg, NULL, 0); break;
		case 'n': o.count = strtoul(optarg, NULL, 0); break;
		case 'w': o.warmup = strtoul(optarg, NULL, 0); break;
		case 't': o.max_secs = strtod(optarg, NULL); break;
		case 'i': o.idle_ms = atoi(optarg); break;
		case 'a': o.self = atoi(optarg); break;
		case 'b': o.peer = atoi(optarg); break;
		case 'r': o.ready = optarg; break;
		case 'q': o.query = optarg; break;
		case 'N': o.nets = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'P': o.ports = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'C': o.conns_per_net = (unsigned)strtoul(optarg, NULL, 0); break;
		default: usage();
		}
	}
	if (o.size < FRAME_MIN || o.size > FRAME_MAX || o.idle_ms <= 0 || o.self <= 0 || o.peer <= 0)
		usage();
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (!strcmp(mode, "rss")) {
		if (o.nets == 0 || o.ports == 0)
			usage();
		return mode_rss(url, strtol(argv[3], NULL, 10), &o);
	}
	if (strcmp(mode, "send") && strcmp(mode, "recv") && strcmp(mode, "ping") && strcmp(mode, "echo"))
		usage();
	if (conn_open(&c, url, "vdebench") < 0)
		return 1;
	if (c.vde)
		print_loaded_libs();
	if (!strcmp(mode, "send"))
		ret = mode_send(&c, &o);
	else if (!strcmp(mode, "recv"))
		ret = mode_recv(&c, &o);
	else if (!strcmp(mode, "ping"))
		ret = mode_ping(&c, &o);
	else
		ret = mode_echo(&c, &o);
	if (c.vde)
		vp.close(c.vde);
	else if (c.fd >= 0)
		close(c.fd);
	vdeclient_close(c.vc);
	return ret;
}
