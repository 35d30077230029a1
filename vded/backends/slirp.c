#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <slirp/libslirp.h>

#include "control/config.h"
#include "keep.h"
#include "log.h"
#include "subnet.h"
#include "dataplane/network.h"
#include "control/policy.h"
#include "backends/slirp.h"

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
	unsigned bits;

	memset(spec, 0, sizeof(*spec));
	/* the prefix is required; a network address: host part zero */
	if (subnet_parse(text, 0, &spec->net, &bits) < 0)
		return -EINVAL;
	spec->mask = subnet_mask(bits);
	if (spec->net.s_addr & ~spec->mask.s_addr) {
		memset(spec, 0, sizeof(*spec));
		return -EINVAL;
	}
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

/*
 * libslirp's state (DHCP leases, its view of the guests' connections) across a restart: written at
 * an exit that leaves the ports to the next life into a memfd kept as k/NET/slirp, loaded when the
 * network's slirp port is made again. The host side of established NAT connections does not
 * survive (those sockets are vded's own): the guests see them reset. doc/restart.md.
 */
static struct sl_port *sl_of(struct network *net);

static void sl_keep_name(char *buf, size_t size, const struct network *net)
{
	snprintf(buf, size, "k/%s/slirp", net->def.name);
}

static ssize_t sl_state_write(const void *buf, size_t len, void *opaque)
{
	return write(*(int *)opaque, buf, len);
}

static ssize_t sl_state_read(void *buf, size_t len, void *opaque)
{
	return read(*(int *)opaque, buf, len);
}

static void sl_state_load(struct network *net, struct sl_port *sl)
{
	char name[128];
	int32_t version;
	int fd, ret;

	sl_keep_name(name, sizeof(name), net);
	fd = keep_claim(name);
	if (fd < 0)
		return;
	keep_forget(name);
	if (lseek(fd, 0, SEEK_SET) == 0 && read(fd, &version, sizeof(version)) == (ssize_t)sizeof(version) &&
	    version == slirp_state_version()) {
		ret = slirp_state_load(sl->slirp, version, sl_state_read, &fd);
		if (ret < 0)
			log_warn("network %s: libslirp's saved state is unusable (%d): starting afresh", net->def.name,
				 ret);
		else
			log_info("network %s: libslirp's state restored (DHCP leases)", net->def.name);
	}
	close(fd);
}

void slirp_save_all(void)
{
	for (struct network *net = network_first(); net; net = net->next) {
		struct sl_port *sl = sl_of(net);
		int32_t version = slirp_state_version();
		char name[128];
		int fd;

		if (!sl)
			continue;
		fd = memfd_create("vded-slirp", MFD_CLOEXEC);
		if (fd < 0)
			continue;
		if (write(fd, &version, sizeof(version)) == (ssize_t)sizeof(version)) {
			slirp_state_save(sl->slirp, sl_state_write, &fd);
			sl_keep_name(name, sizeof(name), net);
			keep_fd(name, fd);
		}
		close(fd);
	}
}

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
	ret = network_port_add(net, sv[0], &sl_port_ops, keep_port_want(net, "slirp", "slirp"), &p, e);
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
	keep_port_made(p, "slirp");
	sl_state_load(net, sl);
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

/* "ADDR" (IPv4) into a v4-mapped address. IPv6 host addresses are refused: libslirp 4.7 accepts a
 * forward from [::1] to an IPv4 guest but carries nothing through it. */
static int parse_host_addr(const char *s, size_t len, struct in6_addr *a)
{
	char buf[INET_ADDRSTRLEN];
	struct in_addr v4;

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, &v4) != 1)
		return -EINVAL;
	memset(a, 0, sizeof(*a));
	a->s6_addr[10] = a->s6_addr[11] = 0xff;
	memcpy(&a->s6_addr[12], &v4, sizeof(v4));
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
		if (parse_host_addr(host, (size_t)(colon - host), &fw->host_addr) < 0 ||
		    parse_port(colon + 1, &fw->host_port) < 0)
			return -EINVAL;
	} else if (parse_port(host, &fw->host_port) < 0) {
		return -EINVAL;
	} else {
		/* no address: the loopback, for everyone, so that a saved "8080" means the same thing
		 * whoever made it and however vded.conf changes later */
		parse_host_addr("127.0.0.1", 9, &fw->host_addr);
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

/* ---- who may forward what ---- */

static struct {
	unsigned n;
	struct in6_addr addr[CONFIG_MAX_FORWARD_ADDRESSES];
} sl_fw_policy;
static bool sl_fw_configured;

static void sl_fw_defaults(void)
{
	sl_fw_policy.n = 1;
	parse_host_addr("127.0.0.1", 9, &sl_fw_policy.addr[0]);
	sl_fw_configured = true;
}

void slirp_configure(const struct vded_config *cfg)
{
	if (cfg->n_forward_addresses < 0) {
		sl_fw_defaults();
		return;
	}
	sl_fw_policy.n = (unsigned)cfg->n_forward_addresses;
	memcpy(sl_fw_policy.addr, cfg->forward_addresses, sl_fw_policy.n * sizeof(sl_fw_policy.addr[0]));
	sl_fw_configured = true;
}

static const char *sl_addr_str(const struct in6_addr *a, char *buf, size_t len)
{
	if (IN6_IS_ADDR_V4MAPPED(a))
		inet_ntop(AF_INET, &a->s6_addr[12], buf, (socklen_t)len);
	else
		inet_ntop(AF_INET6, a, buf, (socklen_t)len);
	return buf;
}

/* The lowest port an unprivileged process may bind in vded's network namespace (1024 if unknown). */
static unsigned sl_unprivileged_port_start(void)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_unprivileged_port_start", "re");
	unsigned v = 1024;

	if (f) {
		if (fscanf(f, "%u", &v) != 1 || v > 65536)
			v = 1024;
		fclose(f);
	}
	return v;
}

int slirp_forward_allowed(const struct peer *peer, const struct slirp_forward *fw, struct vde_error *e)
{
	char want[INET6_ADDRSTRLEN], list[CONFIG_MAX_FORWARD_ADDRESSES * (INET6_ADDRSTRLEN + 2)] = "";
	unsigned start;
	size_t off = 0;

	if (!peer || peer->uid == 0 || policy_peer_in_group(peer, policy_config()->admin_group))
		return 0;
	if (!sl_fw_configured)
		sl_fw_defaults();
	for (unsigned i = 0; i < sl_fw_policy.n; i++)
		if (memcmp(&sl_fw_policy.addr[i], &fw->host_addr, sizeof(fw->host_addr)) == 0)
			goto address_ok;
	for (unsigned i = 0; i < sl_fw_policy.n; i++) {
		char a[INET6_ADDRSTRLEN];
		int n = snprintf(list + off, sizeof(list) - off, "%s%s", i ? ", " : "",
				 sl_addr_str(&sl_fw_policy.addr[i], a, sizeof(a)));
		if (n > 0 && (size_t)n < sizeof(list) - off)
			off += (size_t)n;
	}
	log_notice("denied: uid %u: forward on host address %s", (unsigned)peer->uid,
		   sl_addr_str(&fw->host_addr, want, sizeof(want)));
	return vde_error_set(e, PROTO_ERR_PERMISSION, EACCES,
			     "uid %u is not an admin: forwards bind only %s (forward_addresses in vded.conf), not %s",
			     (unsigned)peer->uid, sl_fw_policy.n ? list : "no address", want);
address_ok:
	start = sl_unprivileged_port_start();
	if (fw->host_port < start) {
		log_notice("denied: uid %u: forward on privileged port %u", (unsigned)peer->uid, fw->host_port);
		return vde_error_set(e, PROTO_ERR_PERMISSION, EACCES,
				     "uid %u is not an admin: binding port %u needs privilege; use a port >= %u",
				     (unsigned)peer->uid, fw->host_port, start);
	}
	return 0;
}

/* ---- forwards ---- */

/* fw's host side as a socket address for libslirp; the IPv6 ones V6ONLY, so that [::] is not also
 * 0.0.0.0. Returns the length. */
static socklen_t sl_host_sockaddr(const struct slirp_forward *fw, struct sockaddr_storage *ss, int *flags)
{
	memset(ss, 0, sizeof(*ss));
	*flags = fw->udp ? SLIRP_HOSTFWD_UDP : 0;
	if (IN6_IS_ADDR_V4MAPPED(&fw->host_addr)) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)fw->host_port);
		memcpy(&sin->sin_addr, &fw->host_addr.s6_addr[12], sizeof(sin->sin_addr));
		return sizeof(*sin);
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons((uint16_t)fw->host_port);
	sin6->sin6_addr = fw->host_addr;
	*flags |= SLIRP_HOSTFWD_V6ONLY;
	return sizeof(*sin6);
}

int slirp_forward_add(struct network *net, const struct slirp_forward *fw, struct vde_error *e)
{
	struct sl_port *sl = sl_of(net);
	const char *proto = fw->udp ? "udp" : "tcp";
	struct sockaddr_storage host;
	struct sockaddr_in guest = { .sin_family = AF_INET };
	char a[INET6_ADDRSTRLEN];
	socklen_t hlen;
	int flags, err;

	if (!sl)
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, ENODEV, "network '%s' has no slirp", net->def.name);
	hlen = sl_host_sockaddr(fw, &host, &flags);
	guest.sin_addr = fw->guest_addr;
	guest.sin_port = htons((uint16_t)fw->guest_port);
	errno = 0;
	if (slirp_add_hostxfwd(sl->slirp, (struct sockaddr *)&host, hlen, (struct sockaddr *)&guest, sizeof(guest),
			       flags) == 0)
		return 0;
	/* libslirp keeps the errno of the socket call that failed: say what it means */
	err = errno ? errno : EIO;
	sl_addr_str(&fw->host_addr, a, sizeof(a));
	switch (err) {
	case EACCES:
	case EPERM:
		if (fw->host_port < sl_unprivileged_port_start())
			return vde_error_set(e, PROTO_ERR_PERMISSION, EACCES,
					     "binding port %u needs privilege; use a port >= %u",
					     fw->host_port, sl_unprivileged_port_start());
		return vde_error_set(e, PROTO_ERR_PERMISSION, err, "binding %s %s port %u: %s", proto, a,
				     fw->host_port, strerror(err));
	case EADDRINUSE:
		return vde_error_set(e, PROTO_ERR_EXISTS, EADDRINUSE, "%s port %u on %s is in use", proto,
				     fw->host_port, a);
	case EADDRNOTAVAIL:
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EADDRNOTAVAIL, "%s is not an address of this host", a);
	case EAFNOSUPPORT:
		return vde_error_set(e, PROTO_ERR_UNSUPPORTED, EAFNOSUPPORT, "this host has no IPv6 for %s", a);
	default:
		return vde_error_errno(e, err, "forward %s %s port %u: %s", proto, a, fw->host_port, strerror(err));
	}
}

int slirp_forward_remove(struct network *net, const struct slirp_forward *fw, struct vde_error *e)
{
	struct sl_port *sl = sl_of(net);
	struct sockaddr_storage host;
	char a[INET6_ADDRSTRLEN];
	socklen_t hlen;
	int flags;

	if (!sl)
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, ENODEV, "network '%s' has no slirp", net->def.name);
	hlen = sl_host_sockaddr(fw, &host, &flags);
	if (slirp_remove_hostxfwd(sl->slirp, (struct sockaddr *)&host, hlen, flags) < 0)
		return vde_error_set(e, PROTO_ERR_NOT_FOUND, ENOENT, "no %s forward from host %s port %u",
				     fw->udp ? "udp" : "tcp", sl_addr_str(&fw->host_addr, a, sizeof(a)), fw->host_port);
	return 0;
}
