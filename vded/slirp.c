#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <slirp/libslirp.h>

#include "log.h"
#include "network.h"
#include "slirp.h"

/*
 * Frames libslirp emits go through a socketpair into the port's descriptor, so they enter the data
 * path like any port's frames (libslirp may emit from inside slirp_input, i.e. while vded is flushing
 * a batch: going through the kernel keeps the data path from being re-entered).
 */
struct sl_watch {
	ev_io io;
	int revents;
	struct sl_port *sl;
};

struct sl_timer {
	ev_timer t;
	SlirpTimerCb cb;
	void *cb_opaque;
};

struct sl_port {
	Slirp *slirp;
	struct port *port;
	int out_fd;			/* libslirp's end of the socketpair */
	ev_prepare prepare;
	ev_timer poll_timer;		/* libslirp's own timeouts */
	struct sl_watch *watch;
	unsigned nwatch, capwatch;
};

int slirp_parse_subnet(const char *text, struct slirp_spec *spec)
{
	char addr[32];
	const char *slash = strchr(text, '/');
	char *end;
	unsigned long bits;
	uint32_t a, mask;

	memset(spec, 0, sizeof(*spec));
	if (!slash || (size_t)(slash - text) >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, text, (size_t)(slash - text));
	addr[slash - text] = '\0';
	errno = 0;
	bits = strtoul(slash + 1, &end, 10);
	if (!slash[1] || *end || errno || bits < 8 || bits > 28 || inet_pton(AF_INET, addr, &spec->net) != 1)
		return -EINVAL;
	mask = bits == 32 ? 0xffffffffu : ~(0xffffffffu >> bits);
	a = ntohl(spec->net.s_addr);
	if (a & ~mask)
		return -EINVAL;
	spec->mask.s_addr = htonl(mask);
	return 0;
}

/* ---- libslirp callbacks ---- */

static ssize_t sl_send_packet(const void *buf, size_t len, void *opaque)
{
	struct sl_port *sl = opaque;

	/* a full socket drops the frame: TCP inside retransmits, as with a real congested link */
	if (send(sl->out_fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		log_debug("slirp frame dropped: %s", strerror(errno));
	return (ssize_t)len;
}

static void sl_guest_error(const char *msg, void *opaque)
{
	struct sl_port *sl = opaque;

	log_info("network %s: slirp: %s", sl->port->net->def.name, msg);
}

static int64_t sl_clock_ns(void *opaque)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sl_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct sl_timer *t = (struct sl_timer *)w;

	t->cb(t->cb_opaque);
}

static void *sl_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	struct sl_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->cb = cb;
	t->cb_opaque = cb_opaque;
	ev_timer_init(&t->t, sl_timer_cb, 0., 0.);
	return t;
}

static void sl_timer_free(void *timer, void *opaque)
{
	struct sl_timer *t = timer;

	if (!t)
		return;
	ev_timer_stop(network_loop(), &t->t);
	free(t);
}

static void sl_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	struct sl_timer *t = timer;
	double delay = (double)(expire_ms - sl_clock_ns(NULL) / 1000000) / 1000.;

	ev_timer_stop(network_loop(), &t->t);
	ev_timer_set(&t->t, delay > 0 ? delay : 0., 0.);
	ev_timer_start(network_loop(), &t->t);
}

static void sl_register_fd(int fd, void *opaque)
{
}

static void sl_notify(void *opaque)
{
}

static const SlirpCb sl_callbacks = {
	.send_packet = sl_send_packet,
	.guest_error = sl_guest_error,
	.clock_get_ns = sl_clock_ns,
	.timer_new = sl_timer_new,
	.timer_free = sl_timer_free,
	.timer_mod = sl_timer_mod,
	.register_poll_fd = sl_register_fd,
	.unregister_poll_fd = sl_register_fd,
	.notify = sl_notify,
};

/* ---- libslirp's sockets in vded's loop ---- */

static int sl_get_revents(int idx, void *opaque)
{
	struct sl_port *sl = opaque;

	return idx >= 0 && (unsigned)idx < sl->nwatch ? sl->watch[idx].revents : 0;
}

static void sl_poll(struct sl_port *sl)
{
	slirp_pollfds_poll(sl->slirp, 0, sl_get_revents, sl);
}

static void sl_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct sl_watch *sw = (struct sl_watch *)w;
	struct sl_port *sl = sw->sl;

	sw->revents = (revents & EV_READ ? SLIRP_POLL_IN : 0) | (revents & EV_WRITE ? SLIRP_POLL_OUT : 0);
	sl_poll(sl);
	sw->revents = 0;
}

static int sl_add_poll(int fd, int events, void *opaque)
{
	struct sl_port *sl = opaque;
	struct sl_watch *sw;
	int ev = 0;

	if (sl->nwatch == sl->capwatch) {
		unsigned cap = sl->capwatch ? sl->capwatch * 2 : 16;
		struct sl_watch *n = realloc(sl->watch, cap * sizeof(*n));
		if (!n)
			return -1;
		sl->watch = n;
		sl->capwatch = cap;
	}
	sw = &sl->watch[sl->nwatch];
	if (events & (SLIRP_POLL_IN | SLIRP_POLL_PRI | SLIRP_POLL_HUP | SLIRP_POLL_ERR))
		ev |= EV_READ;
	if (events & SLIRP_POLL_OUT)
		ev |= EV_WRITE;
	sw->sl = sl;
	sw->revents = 0;
	ev_io_init(&sw->io, sl_io_cb, fd, ev ? ev : EV_READ);
	ev_io_start(network_loop(), &sw->io);
	return (int)sl->nwatch++;
}

static void sl_stop_watches(struct sl_port *sl)
{
	for (unsigned i = 0; i < sl->nwatch; i++)
		ev_io_stop(network_loop(), &sl->watch[i].io);
	sl->nwatch = 0;
}

static void sl_poll_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct sl_port *sl = (struct sl_port *)((char *)w - offsetof(struct sl_port, poll_timer));

	sl_poll(sl);
}

/* Before each wait: ask libslirp which sockets and how long (the watches are rebuilt every time,
 * since a realloc moves them and libslirp's set changes with every connection). */
static void sl_prepare_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct sl_port *sl = (struct sl_port *)((char *)w - offsetof(struct sl_port, prepare));
	uint32_t timeout = 1000;

	sl_stop_watches(sl);
	slirp_pollfds_fill(sl->slirp, &timeout, sl_add_poll, sl);
	ev_timer_stop(loop, &sl->poll_timer);
	ev_timer_set(&sl->poll_timer, timeout / 1000., 0.);
	ev_timer_start(loop, &sl->poll_timer);
}

/* ---- the port ---- */

static int sl_send_batch(struct port *p, struct mmsghdr *msgs, unsigned n)
{
	struct sl_port *sl = p->kind_data;

	for (unsigned i = 0; i < n; i++)
		slirp_input(sl->slirp, msgs[i].msg_hdr.msg_iov->iov_base, (int)msgs[i].msg_hdr.msg_iov->iov_len);
	return (int)n;
}

static void sl_destroy(struct port *p)
{
	struct sl_port *sl = p->kind_data;

	if (!sl)
		return;
	ev_prepare_stop(network_loop(), &sl->prepare);
	ev_timer_stop(network_loop(), &sl->poll_timer);
	sl_stop_watches(sl);
	slirp_cleanup(sl->slirp);
	free(sl->watch);
	close(sl->out_fd);
	free(sl);
	p->kind_data = NULL;
}

static const struct port_ops sl_port_ops = {
	.kind = "slirp",
	.recv_batch = port_dgram_recv_batch,
	.send_batch = sl_send_batch,
	.destroy = sl_destroy,
};

int slirp_backend_add(struct network *net, const struct slirp_spec *spec, struct port **out, struct vde_error *e)
{
	struct sl_port *sl = calloc(1, sizeof(*sl));
	SlirpConfig cfg = { .version = 1 };
	uint32_t base = ntohl(spec->net.s_addr);
	struct port *p;
	int sv[2], ret;
	char net_s[INET_ADDRSTRLEN];

	if (!sl)
		return vde_error_set(e, PROTO_ERR_INTERNAL, ENOMEM, "out of memory");
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0) {
		free(sl);
		return vde_error_errno(e, errno, "socketpair: %s", strerror(errno));
	}
	port_dgram_setup(sv[0]);
	port_dgram_setup(sv[1]);
	sl->out_fd = sv[1];
	cfg.in_enabled = true;
	cfg.vnetwork = spec->net;
	cfg.vnetmask = spec->mask;
	cfg.vhost.s_addr = htonl(base + 2);
	cfg.vdhcp_start.s_addr = htonl(base + 15);
	cfg.vnameserver.s_addr = spec->dns.s_addr ? spec->dns.s_addr : htonl(base + 3);
	cfg.in6_enabled = spec->ipv6;
	if (spec->ipv6) {
		inet_pton(AF_INET6, "fd00::", &cfg.vprefix_addr6);
		cfg.vprefix_len = 64;
		inet_pton(AF_INET6, "fd00::2", &cfg.vhost6);
		inet_pton(AF_INET6, "fd00::3", &cfg.vnameserver6);
	}
	cfg.vhostname = "vded";
	sl->slirp = slirp_new(&cfg, &sl_callbacks, sl);
	if (!sl->slirp) {
		close(sv[0]);
		close(sv[1]);
		free(sl);
		return vde_error_set(e, PROTO_ERR_INTERNAL, EIO, "libslirp refused the configuration");
	}
	ret = network_port_add(net, sv[0], &sl_port_ops, 0, &p, e);
	if (ret < 0) {
		slirp_cleanup(sl->slirp);
		close(sv[1]);
		free(sl);
		return ret;
	}
	sl->port = p;
	p->kind_data = sl;
	ev_prepare_init(&sl->prepare, sl_prepare_cb);
	ev_prepare_start(network_loop(), &sl->prepare);
	ev_timer_init(&sl->poll_timer, sl_poll_timer_cb, 1., 0.);
	inet_ntop(AF_INET, &spec->net, net_s, sizeof(net_s));
	snprintf(p->description, sizeof(p->description), "slirp %s/%d (libslirp %s)", net_s,
		 __builtin_popcount(ntohl(spec->mask.s_addr)), slirp_version_string());
	log_info("network %s: port %u: %s", net->def.name, p->id, p->description);
	if (out)
		*out = p;
	return 0;
}

static struct sl_port *sl_of(struct network *net)
{
	for (struct port *p = net->port_list; p; p = p->net_next)
		if (!p->dead && p->ops == &sl_port_ops)
			return p->kind_data;
	return NULL;
}

static int parse_port(const char *s, unsigned *port)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(s, &end, 10);
	if (!*s || *end || errno || n == 0 || n > 65535)
		return -EINVAL;
	*port = (unsigned)n;
	return 0;
}

int slirp_parse_forward(const char *proto, const char *host, const char *guest, struct slirp_forward *fw)
{
	char buf[64];
	const char *colon;

	memset(fw, 0, sizeof(*fw));
	if (strcmp(proto, "tcp") == 0)
		fw->udp = false;
	else if (strcmp(proto, "udp") == 0)
		fw->udp = true;
	else
		return -EINVAL;
	colon = strrchr(host, ':');
	if (colon) {
		if ((size_t)(colon - host) >= sizeof(buf))
			return -EINVAL;
		memcpy(buf, host, (size_t)(colon - host));
		buf[colon - host] = '\0';
		if (inet_pton(AF_INET, buf, &fw->host_addr) != 1 || parse_port(colon + 1, &fw->host_port) < 0)
			return -EINVAL;
	} else if (parse_port(host, &fw->host_port) < 0) {
		return -EINVAL;
	}
	colon = strrchr(guest, ':');
	if (!colon || (size_t)(colon - guest) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, guest, (size_t)(colon - guest));
	buf[colon - guest] = '\0';
	if (inet_pton(AF_INET, buf, &fw->guest_addr) != 1 || parse_port(colon + 1, &fw->guest_port) < 0)
		return -EINVAL;
	return 0;
}

int slirp_forward_add(struct network *net, const struct slirp_forward *fw, struct vde_error *e)
{
	struct sl_port *sl = sl_of(net);

	if (!sl)
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, ENODEV, "network '%s' has no slirp", net->def.name);
	if (slirp_add_hostfwd(sl->slirp, fw->udp, fw->host_addr, (int)fw->host_port, fw->guest_addr,
			      (int)fw->guest_port) < 0)
		return vde_error_set(e, PROTO_ERR_EXISTS, EADDRINUSE, "%s port %u on the host is in use",
				     fw->udp ? "udp" : "tcp", fw->host_port);
	return 0;
}

int slirp_forward_remove(struct network *net, const struct slirp_forward *fw, struct vde_error *e)
{
	struct sl_port *sl = sl_of(net);

	if (!sl)
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, ENODEV, "network '%s' has no slirp", net->def.name);
	if (slirp_remove_hostfwd(sl->slirp, fw->udp, fw->host_addr, (int)fw->host_port) < 0)
		return vde_error_set(e, PROTO_ERR_NOT_FOUND, ENOENT, "no %s forward from host port %u",
				     fw->udp ? "udp" : "tcp", fw->host_port);
	return 0;
}
