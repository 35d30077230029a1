/*
 * slirp:// — a user-mode NAT router (libslirp) behind a VDE connection (doc/vde-wire.md §6).
 *
 *   slirp://[/OPTION...]
 *
 * Defaults: host 10.0.2.2/24, DHCP from 10.0.2.15, DNS proxy 10.0.2.3, IPv6 host fd00::2/64.
 * Options (address style): v4 v6 (only that family; both or neither: both) addr=|host=A[/N]
 * (N 1..27, default 24: common/subnet.h) addr6=|host6=A/N hostname tftp_server_name tftp_path
 * bootfile dhcp=A vnameserver=A vnameserver6=A vdnssearch=d1,d2 vdomainname mtu mru
 * disable_host_loopback restricted verbose
 * tcpfwd=|udpfwd=[hostIP:]hostport:guestIP:guestport[,...]   (host → guest)
 * unixfwd=[slirpIP:]slirpport:path[,...]                    (guest → a UNIX socket here)
 * cmdfwd=[slirpIP:]slirpport:command[,...]                  (guest → a command's stdio)
 *
 * libslirp is not thread-safe and needs its own poll loop and timers, so each connection runs
 * one helper thread that owns the Slirp instance. The caller talks to it through a
 * SOCK_SEQPACKET socketpair (one frame per record): the caller's end is the data fd, so
 * vde_recv/vde_send are one recv/send and never block (a frame that does not fit is dropped,
 * as a NIC would). Closing the caller's end makes the thread see EOF and exit.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <slirp/libslirp.h>

#include <libvdeplug.h>
#include <libvdeplug_mod.h>

#include "subnet.h"

#define ETH_HLEN 14
/* Socket buffer for the frames queued between the caller and the helper thread. */
#define SLIRP_SOCKBUF (512 * 1024)

struct slirp_timer {
	struct slirp_timer *next;
	SlirpTimerId id;
	void *cb_opaque;
	int64_t expire_ms;	/* -1: not armed */
};

struct slirp_conn {
	void *handle;
	struct vdeplug_module *module;
	int fd;			/* the caller's end: data fd */
	int tfd;		/* the helper thread's end */
	Slirp *slirp;
	pthread_t thread;
	bool running;
	struct slirp_timer *timers;
	/* poll set rebuilt by slirp_pollfds_fill on every turn; [0] is tfd */
	struct pollfd *pfd;
	size_t npfd, pfdcap;
	/* strings the configuration points to */
	char *strs[8];
	const char **dnssearch;
	unsigned char buf[VDE_ETHBUFSIZE];
};

static int64_t clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- libslirp callbacks (all run in the helper thread, or in open before it starts) ---- */

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
	struct slirp_conn *c = opaque;

	/* If the caller is not reading, the frame is lost: TCP retransmits, like on a full NIC ring. */
	(void)send(c->tfd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	return (ssize_t)len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
	(void)opaque;
	fprintf(stderr, "slirp: guest error: %s\n", msg);
}

static int64_t cb_clock_get_ns(void *opaque)
{
	(void)opaque;
	return clock_ns();
}

static void *cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
	struct slirp_conn *c = opaque;
	struct slirp_timer *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->id = id;
	t->cb_opaque = cb_opaque;
	t->expire_ms = -1;
	t->next = c->timers;
	c->timers = t;
	return t;
}

static void cb_timer_free(void *timer, void *opaque)
{
	struct slirp_conn *c = opaque;
	struct slirp_timer **p;

	for (p = &c->timers; *p != NULL; p = &(*p)->next) {
		if (*p == timer) {
			*p = ((struct slirp_timer *)timer)->next;
			free(timer);
			return;
		}
	}
}

static void cb_timer_mod(void *timer, int64_t expire_time, void *opaque)
{
	(void)opaque;
	if (timer != NULL)
		((struct slirp_timer *)timer)->expire_ms = expire_time;
}

/* libslirp's fds are collected again by slirp_pollfds_fill on every loop turn. */
static void cb_register_poll_fd(int fd, void *opaque)
{
	(void)fd;
	(void)opaque;
}

static void cb_unregister_poll_fd(int fd, void *opaque)
{
	(void)fd;
	(void)opaque;
}

static void cb_notify(void *opaque)
{
	(void)opaque;
}

static const SlirpCb slirp_callbacks = {
	.send_packet = cb_send_packet,
	.guest_error = cb_guest_error,
	.clock_get_ns = cb_clock_get_ns,
	.timer_free = cb_timer_free,
	.timer_mod = cb_timer_mod,
	.register_poll_fd = cb_register_poll_fd,
	.unregister_poll_fd = cb_unregister_poll_fd,
	.notify = cb_notify,
	.timer_new_opaque = cb_timer_new_opaque,
};

static int add_poll(int fd, int events, void *opaque)
{
	struct slirp_conn *c = opaque;
	short ev = 0;

	if (c->npfd == c->pfdcap) {
		size_t ncap = c->pfdcap ? c->pfdcap * 2 : 16;
		struct pollfd *n = realloc(c->pfd, ncap * sizeof(*n));

		if (n == NULL)
			return -1;	/* not polled this turn; slirp treats the index as no events */
		c->pfd = n;
		c->pfdcap = ncap;
	}
	if (events & SLIRP_POLL_IN)
		ev |= POLLIN;
	if (events & SLIRP_POLL_OUT)
		ev |= POLLOUT;
	if (events & SLIRP_POLL_PRI)
		ev |= POLLPRI;
	c->pfd[c->npfd] = (struct pollfd){.fd = fd, .events = ev};
	return (int)c->npfd++;
}

static int get_revents(int idx, void *opaque)
{
	struct slirp_conn *c = opaque;
	short re;
	int out = 0;

	if (idx < 0 || (size_t)idx >= c->npfd)
		return 0;
	re = c->pfd[idx].revents;
	if (re & POLLIN)
		out |= SLIRP_POLL_IN;
	if (re & POLLOUT)
		out |= SLIRP_POLL_OUT;
	if (re & POLLPRI)
		out |= SLIRP_POLL_PRI;
	if (re & (POLLERR | POLLNVAL))
		out |= SLIRP_POLL_ERR;
	if (re & POLLHUP)
		out |= SLIRP_POLL_HUP;
	return out;
}

/* Frames from the caller into slirp. Returns false once the caller has closed its end. */
static bool slirp_drain_input(struct slirp_conn *c)
{
	for (;;) {
		ssize_t n = recv(c->tfd, c->buf, sizeof(c->buf), MSG_DONTWAIT);

		if (n > 0) {
			if (n >= ETH_HLEN)
				slirp_input(c->slirp, c->buf, (int)n);
			continue;
		}
		if (n == 0)
			return false;
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
	}
}

static void *slirp_thread(void *arg)
{
	struct slirp_conn *c = arg;
	sigset_t all;

	/* Signals are the application's business: leave them to its own threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		uint32_t timeout = UINT32_MAX;
		int64_t now_ms = clock_ns() / 1000000;
		struct slirp_timer *t;
		int r, ms;

		c->npfd = 0;
		add_poll(c->tfd, SLIRP_POLL_IN, c);
		slirp_pollfds_fill(c->slirp, &timeout, add_poll, c);
		for (t = c->timers; t != NULL; t = t->next) {
			if (t->expire_ms < 0)
				continue;
			if (t->expire_ms <= now_ms)
				timeout = 0;
			else if ((uint64_t)(t->expire_ms - now_ms) < timeout)
				timeout = (uint32_t)(t->expire_ms - now_ms);
		}
		ms = timeout == UINT32_MAX ? -1 : timeout > INT_MAX ? INT_MAX : (int)timeout;
		r = poll(c->pfd, c->npfd, ms);
		if (r < 0 && errno != EINTR)
			break;
		slirp_pollfds_poll(c->slirp, r < 0, get_revents, c);
		now_ms = clock_ns() / 1000000;
		/* A timer callback may free or re-arm timers: rescan from the head after each one. */
		for (t = c->timers; t != NULL;) {
			if (t->expire_ms >= 0 && t->expire_ms <= now_ms) {
				t->expire_ms = -1;
				slirp_handle_timer(c->slirp, t->id, t->cb_opaque);
				t = c->timers;
			} else {
				t = t->next;
			}
		}
		if (c->npfd > 0 && (c->pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) && !slirp_drain_input(c))
			break;
	}
	return NULL;
}

/* ---- option parsing ---- */

static int parse_addr6(const char *s, int dflt, struct in6_addr *addr, int *plen)
{
	char tmp[INET6_ADDRSTRLEN + 5];
	char *slash, *end;
	long n = dflt;

	if (strlen(s) >= sizeof(tmp))
		return -1;
	strcpy(tmp, s);
	slash = strchr(tmp, '/');
	if (slash != NULL) {
		*slash++ = '\0';
		n = strtol(slash, &end, 10);
		if (*slash == '\0' || *end != '\0' || n < 1 || n > 126)
			return -1;
	}
	if (inet_pton(AF_INET6, tmp, addr) != 1)
		return -1;
	*plen = (int)n;
	return 0;
}

static int parse_port(const char *s)
{
	char *end;
	long v;

	if (*s == '\0')
		return -1;
	v = strtol(s, &end, 10);
	return (*end != '\0' || v < 1 || v > 65535) ? -1 : (int)v;
}

/* Does s start a forward item, "[A.B.C.D:]port:"? Used to split lists whose last field (a
 * command) may itself contain commas. */
static bool starts_item(const char *s)
{
	const char *p = s;

	while ((*p >= '0' && *p <= '9') || *p == '.')
		p++;
	if (*p != ':' || p == s)
		return false;
	if (memchr(s, '.', (size_t)(p - s)) == NULL)
		return true;	/* "port:" */
	s = ++p;
	while (*p >= '0' && *p <= '9')
		p++;
	return p != s && *p == ':';
}

/* Next item of a ',' list at *cursor (modified in place); NULL at the end. */
static char *next_item(char **cursor)
{
	char *item = *cursor, *p;

	if (item == NULL || *item == '\0')
		return NULL;
	for (p = item; (p = strchr(p, ',')) != NULL; p++) {
		if (starts_item(p + 1)) {
			*p = '\0';
			*cursor = p + 1;
			return item;
		}
	}
	*cursor = NULL;
	return item;
}

/* tcpfwd/udpfwd item "[hostIP:]hostport:guestIP:guestport". */
static int add_hostfwd(struct slirp_conn *c, bool udp, char *item, bool verbose)
{
	char *f[4];
	int n = 0, hport, gport;
	struct in_addr haddr = {.s_addr = htonl(INADDR_ANY)}, gaddr;
	char *p = item;

	while (n < 4 && p != NULL) {
		f[n++] = p;
		p = strchr(p, ':');
		if (p != NULL)
			*p++ = '\0';
	}
	if (p != NULL || n < 3)
		return -1;
	if (n == 4 && *f[0] != '\0' && inet_pton(AF_INET, f[0], &haddr) != 1)
		return -1;
	hport = parse_port(f[n - 3]);
	gport = parse_port(f[n - 1]);
	if (hport < 0 || gport < 0 || inet_pton(AF_INET, f[n - 2], &gaddr) != 1)
		return -1;
	if (slirp_add_hostfwd(c->slirp, udp, haddr, hport, gaddr, gport) < 0) {
		fprintf(stderr, "slirp: %sfwd %d: cannot listen on the host port\n", udp ? "udp" : "tcp", hport);
		errno = EADDRINUSE;
		return -2;
	}
	if (verbose)
		fprintf(stderr, "slirp: %sfwd host %s:%d -> guest %s:%d\n", udp ? "udp" : "tcp",
			inet_ntoa(haddr), hport, f[n - 2], gport);
	return 0;
}

/* unixfwd/cmdfwd item "[slirpIP:]port:target": guest connections to slirpIP:port reach target. */
static int add_guestfwd(struct slirp_conn *c, bool cmd, char *item, bool verbose)
{
	struct in_addr addr = {.s_addr = 0};	/* 0: libslirp's default, the network's .4 */
	char *colon = strchr(item, ':'), *portstr = item, *target;
	int port;

	if (colon == NULL)
		return -1;
	*colon = '\0';
	target = colon + 1;
	if (strchr(item, '.') != NULL) {
		if (inet_pton(AF_INET, item, &addr) != 1)
			return -1;
		portstr = target;
		colon = strchr(target, ':');
		if (colon == NULL)
			return -1;
		*colon = '\0';
		target = colon + 1;
	}
	port = parse_port(portstr);
	if (port < 0 || *target == '\0')
		return -1;
	if ((cmd ? slirp_add_exec(c->slirp, target, &addr, port) : slirp_add_unix(c->slirp, target, &addr, port)) < 0) {
		fprintf(stderr, "slirp: %sfwd %d: the address is not a free guest address of the network\n",
			cmd ? "cmd" : "unix", port);
		return -1;
	}
	if (verbose)
		fprintf(stderr, "slirp: %sfwd guest %s:%d -> %s\n", cmd ? "cmd" : "unix",
			addr.s_addr ? inet_ntoa(addr) : "(default)", port, target);
	return 0;
}

/* Applies every item of a forward list; on a syntax error errno is EINVAL. */
static int add_forwards(struct slirp_conn *c, const char *list, int kind, bool verbose)
{
	char *copy, *cursor, *item;
	int rc = 0;

	if (list == NULL)
		return 0;
	copy = strdup(list);
	if (copy == NULL)
		return -1;
	cursor = copy;
	while ((item = next_item(&cursor)) != NULL) {
		char *orig = strdup(item);

		switch (kind) {
		case 0:
		case 1:
			rc = add_hostfwd(c, kind == 1, item, verbose);
			break;
		default:
			rc = add_guestfwd(c, kind == 3, item, verbose);
			break;
		}
		if (rc == -1) {
			fprintf(stderr, "slirp: bad forward '%s'\n", orig ? orig : item);
			errno = EINVAL;
		}
		free(orig);
		if (rc < 0)
			break;
	}
	free(copy);
	return rc < 0 ? -1 : 0;
}

/* "a,b,c" as the NULL-terminated list libslirp wants; the strings live in c->strs[5]. */
static const char **split_dnssearch(struct slirp_conn *c, const char *list)
{
	const char **v, *q;
	char *p, *save = NULL;
	size_t n = 2, i = 0;

	for (q = list; *q; q++)
		n += *q == ',';
	v = calloc(n, sizeof(*v));
	c->strs[5] = strdup(list);
	if (v == NULL || c->strs[5] == NULL) {
		free(v);
		return NULL;
	}
	for (p = strtok_r(c->strs[5], ",", &save); p != NULL; p = strtok_r(NULL, ",", &save))
		v[i++] = p;
	return v;
}

static void print_config(const SlirpConfig *cfg)
{
	char a[INET6_ADDRSTRLEN];
	const char **s;

	fprintf(stderr, "slirp: ipv4 %s", cfg->in_enabled ? "on" : "off");
	fprintf(stderr, " host %s", inet_ntop(AF_INET, &cfg->vhost, a, sizeof(a)));
	fprintf(stderr, " network %s", inet_ntop(AF_INET, &cfg->vnetwork, a, sizeof(a)));
	fprintf(stderr, "/%s", inet_ntop(AF_INET, &cfg->vnetmask, a, sizeof(a)));
	fprintf(stderr, " dhcp %s", inet_ntop(AF_INET, &cfg->vdhcp_start, a, sizeof(a)));
	fprintf(stderr, " dns %s\n", inet_ntop(AF_INET, &cfg->vnameserver, a, sizeof(a)));
	fprintf(stderr, "slirp: ipv6 %s", cfg->in6_enabled ? "on" : "off");
	fprintf(stderr, " host %s", inet_ntop(AF_INET6, &cfg->vhost6, a, sizeof(a)));
	fprintf(stderr, " prefix %s/%d", inet_ntop(AF_INET6, &cfg->vprefix_addr6, a, sizeof(a)), cfg->vprefix_len);
	fprintf(stderr, " dns %s\n", inet_ntop(AF_INET6, &cfg->vnameserver6, a, sizeof(a)));
	fprintf(stderr, "slirp: hostname %s domain %s tftp %s path %s bootfile %s mtu %zu mru %zu%s%s\n",
		cfg->vhostname ? cfg->vhostname : "-", cfg->vdomainname ? cfg->vdomainname : "-",
		cfg->tftp_server_name ? cfg->tftp_server_name : "-", cfg->tftp_path ? cfg->tftp_path : "-",
		cfg->bootfile ? cfg->bootfile : "-", cfg->if_mtu, cfg->if_mru,
		cfg->disable_host_loopback ? " no-host-loopback" : "", cfg->restricted ? " restricted" : "");
	fprintf(stderr, "slirp: dns search");
	for (s = cfg->vdnssearch; s != NULL && *s != NULL; s++)
		fprintf(stderr, " %s", *s);
	fprintf(stderr, "\n");
}

static void slirp_conn_free(struct slirp_conn *c)
{
	size_t i;

	if (c->slirp != NULL)
		slirp_cleanup(c->slirp);
	while (c->timers != NULL) {
		struct slirp_timer *t = c->timers;

		c->timers = t->next;
		free(t);
	}
	if (c->fd >= 0)
		close(c->fd);
	if (c->tfd >= 0)
		close(c->tfd);
	for (i = 0; i < sizeof(c->strs) / sizeof(c->strs[0]); i++)
		free(c->strs[i]);
	free(c->dnssearch);
	free(c->pfd);
	free(c);
}

/* A copy the configuration can point to for the connection's lifetime. */
static const char *keep(struct slirp_conn *c, int slot, const char *s)
{
	if (s == NULL)
		return NULL;
	c->strs[slot] = strdup(s);
	return c->strs[slot];
}

static int parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (*s == '\0' || errno != 0 || *end != '\0' || v > 65536)
		return -1;
	*out = v;
	return 0;
}

static VDECONN *slirp_open(char *given_url, char *descr, int interface_version, struct vde_open_args *open_args)
{
	char *restricted = NULL, *v4 = NULL, *v6 = NULL, *host4 = NULL, *host6 = NULL, *hostname = NULL;
	char *tftp_server_name = NULL, *tftp_path = NULL, *bootfile = NULL, *dhcp = NULL, *dns = NULL;
	char *dns6 = NULL, *dnssearch = NULL, *domain = NULL, *mtu = NULL, *mru = NULL, *noloop = NULL;
	char *tcpfwd = NULL, *udpfwd = NULL, *unixfwd = NULL, *cmdfwd = NULL, *verbose = NULL;
	struct vdeparms parms[] = {
		{"restricted", &restricted}, {"v4", &v4}, {"v6", &v6},
		{"host", &host4}, {"addr", &host4}, {"host6", &host6}, {"addr6", &host6},
		{"hostname", &hostname}, {"tftp_server_name", &tftp_server_name}, {"tftp_path", &tftp_path},
		{"bootfile", &bootfile}, {"dhcp", &dhcp}, {"vnameserver", &dns}, {"vnameserver6", &dns6},
		{"vdnssearch", &dnssearch}, {"vdomainname", &domain}, {"mtu", &mtu}, {"mru", &mru},
		{"disable_host_loopback", &noloop}, {"tcpfwd", &tcpfwd}, {"udpfwd", &udpfwd},
		{"unixfwd", &unixfwd}, {"cmdfwd", &cmdfwd}, {"verbose", &verbose},
		{NULL, NULL},
	};
	SlirpConfig cfg = {.version = 4};
	struct slirp_conn *c;
	int sv[2], plen6 = 64, i, bufsz = SLIRP_SOCKBUF;
	unsigned plen4 = 24;
	uint32_t mask, net;

	(void)descr;
	(void)interface_version;
	(void)open_args;
	if (vde_parseparms(given_url, parms) != 0)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->fd = c->tfd = -1;

	cfg.in_enabled = v4 != NULL || v6 == NULL;
	cfg.in6_enabled = v6 != NULL || v4 == NULL;
	cfg.restricted = restricted != NULL;
	cfg.disable_host_loopback = noloop != NULL;
	inet_pton(AF_INET, "10.0.2.2", &cfg.vhost);
	/* the host address and its prefix: common/subnet.c's parser and range, as vded's slirp */
	if (host4 != NULL && subnet_parse(host4, 24, &cfg.vhost, &plen4) < 0)
		goto inval;
	mask = subnet_mask(plen4).s_addr;
	net = cfg.vhost.s_addr & mask;
	cfg.vnetmask.s_addr = mask;
	cfg.vnetwork.s_addr = net;
	/* DHCP from .15 and the DNS proxy at .3 of whatever network the host address is in. */
	cfg.vdhcp_start.s_addr = net | htonl(SUBNET_DHCP_FIRST);
	cfg.vnameserver.s_addr = net | htonl(SUBNET_DNS);
	if (dhcp != NULL && inet_pton(AF_INET, dhcp, &cfg.vdhcp_start) != 1)
		goto inval;
	if (dns != NULL && inet_pton(AF_INET, dns, &cfg.vnameserver) != 1)
		goto inval;

	inet_pton(AF_INET6, "fd00::2", &cfg.vhost6);
	if (host6 != NULL && parse_addr6(host6, 64, &cfg.vhost6, &plen6) < 0)
		goto inval;
	cfg.vprefix_len = (uint8_t)plen6;
	for (i = 0; i < 16; i++) {
		int bits = plen6 - i * 8;
		unsigned char m = bits >= 8 ? 0xff : bits <= 0 ? 0 : (unsigned char)(0xff << (8 - bits));

		cfg.vprefix_addr6.s6_addr[i] = cfg.vhost6.s6_addr[i] & m;
	}
	cfg.vnameserver6 = cfg.vprefix_addr6;
	cfg.vnameserver6.s6_addr[15] |= 3;
	if (dns6 != NULL && inet_pton(AF_INET6, dns6, &cfg.vnameserver6) != 1)
		goto inval;

	cfg.vhostname = keep(c, 0, hostname ? hostname : "slirp");
	cfg.tftp_server_name = keep(c, 1, tftp_server_name);
	cfg.tftp_path = keep(c, 2, tftp_path);
	cfg.bootfile = keep(c, 3, bootfile);
	cfg.vdomainname = keep(c, 4, domain);
	if (dnssearch != NULL) {
		c->dnssearch = split_dnssearch(c, dnssearch);
		if (c->dnssearch == NULL)
			goto fail;
		cfg.vdnssearch = c->dnssearch;
	}
	if ((mtu != NULL && parse_size(mtu, &cfg.if_mtu) < 0) || (mru != NULL && parse_size(mru, &cfg.if_mru) < 0))
		goto inval;
	if (verbose != NULL)
		print_config(&cfg);

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		goto fail;
	c->fd = sv[0];
	c->tfd = sv[1];
	/* Room for bursts both ways; a failure only means the kernel default. */
	setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
	setsockopt(c->tfd, SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));

	c->slirp = slirp_new(&cfg, &slirp_callbacks, c);
	if (c->slirp == NULL)
		goto inval;
	if (add_forwards(c, tcpfwd, 0, verbose != NULL) < 0 || add_forwards(c, udpfwd, 1, verbose != NULL) < 0 ||
	    add_forwards(c, unixfwd, 2, verbose != NULL) < 0 || add_forwards(c, cmdfwd, 3, verbose != NULL) < 0)
		goto fail;
	errno = pthread_create(&c->thread, NULL, slirp_thread, c);
	if (errno != 0)
		goto fail;
	c->running = true;
	return (VDECONN *)c;
inval:
	errno = EINVAL;
fail:
	i = errno;
	slirp_conn_free(c);
	errno = i;
	return NULL;
}

static ssize_t slirp_recv(VDECONN *conn, void *buf, size_t len, int flags)
{
	struct slirp_conn *c = (struct slirp_conn *)conn;

	(void)flags;
	return recv(c->fd, buf, len, MSG_DONTWAIT);
}

static ssize_t slirp_send(VDECONN *conn, const void *buf, size_t len, int flags)
{
	struct slirp_conn *c = (struct slirp_conn *)conn;
	ssize_t n;

	(void)flags;
	if (len < ETH_HLEN)
		return (ssize_t)len;
	n = send(c->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	/* The router is busy: lose this frame rather than stall the caller (QEMU's main loop). */
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS))
		return (ssize_t)len;
	return n;
}

static int slirp_datafd(VDECONN *conn)
{
	return ((struct slirp_conn *)conn)->fd;
}

static int slirp_ctlfd(VDECONN *conn)
{
	(void)conn;
	return -1;
}

static int slirp_close(VDECONN *conn)
{
	struct slirp_conn *c = (struct slirp_conn *)conn;

	if (c->running) {
		/* EOF on the thread's end ends its loop. */
		shutdown(c->fd, SHUT_RDWR);
		pthread_join(c->thread, NULL);
	}
	slirp_conn_free(c);
	return 0;
}

__attribute__((visibility("default"))) struct vdeplug_module vdeplug_ops = {
	.flags = 0,
	.vde_open_real = slirp_open,
	.vde_recv = slirp_recv,
	.vde_send = slirp_send,
	.vde_datafd = slirp_datafd,
	.vde_ctlfd = slirp_ctlfd,
	.vde_close = slirp_close,
};
