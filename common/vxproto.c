#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vxproto.h"

#define VXPROTO_FLAGS 0x08		/* the "VNI valid" flag of RFC 7348, the only one vxvde sets */

void vxproto_header(uint32_t vni, uint8_t hdr[VXPROTO_HDRLEN])
{
	hdr[0] = VXPROTO_FLAGS;
	hdr[1] = hdr[2] = hdr[3] = 0;
	hdr[4] = (uint8_t)(vni >> 16);
	hdr[5] = (uint8_t)(vni >> 8);
	hdr[6] = (uint8_t)vni;
	hdr[7] = 0;
}

int vxproto_header_vni(const uint8_t hdr[VXPROTO_HDRLEN], uint32_t *vni)
{
	if (hdr[0] != VXPROTO_FLAGS || hdr[1] || hdr[2] || hdr[3] || hdr[7])
		return -EINVAL;
	*vni = (uint32_t)hdr[4] << 16 | (uint32_t)hdr[5] << 8 | hdr[6];
	return 0;
}

enum vxproto_kind vxproto_classify(const uint8_t ours[VXPROTO_HDRLEN], const uint8_t *d, size_t len)
{
	if (len < VXPROTO_HDRLEN || memcmp(d, ours, VXPROTO_HDRLEN) != 0)
		return VXPROTO_IGNORE;
	if (len == VXPROTO_HDRLEN)
		return VXPROTO_BYE;
	len -= VXPROTO_HDRLEN;
	return len >= VXPROTO_FRAME_MIN && len <= VXPROTO_FRAME_MAX ? VXPROTO_FRAME : VXPROTO_IGNORE;
}

/* "HOST", "HOST:PORT", "[V6HOST]:PORT" or "V6HOST", numeric, into *out (port default_port, 1..65535). */
static int vxproto_parse_hostport(const char *text, unsigned default_port, union vxproto_addr *out)
{
	char host[64];
	const char *port = NULL;
	unsigned long p = default_port;
	size_t len;
	union vxproto_addr a;

	memset(&a, 0, sizeof(a));
	memset(out, 0, sizeof(*out));
	if (text[0] == '[') {
		const char *end = strchr(text, ']');

		if (!end || (size_t)(end - text - 1) >= sizeof(host))
			return -EINVAL;
		len = (size_t)(end - text - 1);
		memcpy(host, text + 1, len);
		host[len] = '\0';
		if (end[1] == ':')
			port = end + 2;
		else if (end[1])
			return -EINVAL;
	} else {
		const char *colon = strchr(text, ':');

		if (colon && !strchr(colon + 1, ':')) {		/* IPv4:PORT */
			len = (size_t)(colon - text);
			port = colon + 1;
		} else {
			len = strlen(text);
		}
		if (len >= sizeof(host))
			return -EINVAL;
		memcpy(host, text, len);
		host[len] = '\0';
	}
	if (port) {
		char *end;

		if (*port < '0' || *port > '9')
			return -EINVAL;
		errno = 0;
		p = strtoul(port, &end, 10);
		if (*end || errno || p == 0 || p > 65535)
			return -EINVAL;
	}
	if (p == 0 || p > 65535)
		return -EINVAL;
	if (inet_pton(AF_INET, host, &a.in.sin_addr) == 1) {
		a.in.sin_family = AF_INET;
		a.in.sin_port = htons((uint16_t)p);
	} else if (inet_pton(AF_INET6, host, &a.in6.sin6_addr) == 1) {
		a.in6.sin6_family = AF_INET6;
		a.in6.sin6_port = htons((uint16_t)p);
	} else {
		return -EINVAL;
	}
	*out = a;
	return 0;
}

int vxproto_parse_group(const char *text, unsigned default_port, union vxproto_addr *out)
{
	int ret = vxproto_parse_hostport(text, default_port, out);

	if (ret == 0 && !vxproto_addr_is_multicast(out)) {
		memset(out, 0, sizeof(*out));
		return -EINVAL;
	}
	return ret;
}

int vxproto_parse_peer(const char *text, unsigned default_port, union vxproto_addr *out)
{
	int ret = vxproto_parse_hostport(text, default_port, out);
	bool bad;

	if (ret < 0)
		return ret;
	if (out->sa.sa_family == AF_INET)
		bad = out->in.sin_addr.s_addr == htonl(INADDR_ANY) || out->in.sin_addr.s_addr == htonl(INADDR_BROADCAST);
	else
		bad = IN6_IS_ADDR_UNSPECIFIED(&out->in6.sin6_addr);
	if (bad || vxproto_addr_is_multicast(out)) {
		memset(out, 0, sizeof(*out));
		return -EINVAL;
	}
	return 0;
}

static const uint8_t vxproto_ann_magic[4] = { 'V', 'X', 'P', 1 };

bool vxproto_is_announce(const uint8_t *d, size_t len)
{
	return len >= sizeof(vxproto_ann_magic) && memcmp(d, vxproto_ann_magic, sizeof(vxproto_ann_magic)) == 0;
}

int vxproto_announce_build(uint32_t vni, const union vxproto_addr *peers, unsigned n, uint8_t *buf)
{
	uint8_t *e = buf + VXPROTO_ANN_HDRLEN;

	if (n > VXPROTO_ANN_MAX)
		return -EINVAL;
	memcpy(buf, vxproto_ann_magic, sizeof(vxproto_ann_magic));
	buf[4] = (uint8_t)(vni >> 16);
	buf[5] = (uint8_t)(vni >> 8);
	buf[6] = (uint8_t)vni;
	buf[7] = (uint8_t)n;
	for (unsigned i = 0; i < n; i++, e += VXPROTO_ANN_ENTRY) {
		in_port_t port;

		memset(e, 0, 16);
		if (peers[i].sa.sa_family == AF_INET) {
			e[10] = e[11] = 0xff;
			memcpy(e + 12, &peers[i].in.sin_addr, 4);
			port = peers[i].in.sin_port;
		} else if (peers[i].sa.sa_family == AF_INET6) {
			memcpy(e, &peers[i].in6.sin6_addr, 16);
			port = peers[i].in6.sin6_port;
		} else {
			return -EINVAL;
		}
		memcpy(e + 16, &port, 2);	/* already network order */
	}
	return (int)(e - buf);
}

int vxproto_announce_parse(const uint8_t *d, size_t len, uint32_t vni, int family, union vxproto_addr *out)
{
	unsigned n, got = 0;
	const uint8_t *e;

	if (len < VXPROTO_ANN_HDRLEN || !vxproto_is_announce(d, len))
		return -EINVAL;
	if (((uint32_t)d[4] << 16 | (uint32_t)d[5] << 8 | d[6]) != (vni & VXPROTO_VNI_MAX))
		return -EINVAL;
	n = d[7];
	if (n > VXPROTO_ANN_MAX || len != VXPROTO_ANN_HDRLEN + (size_t)n * VXPROTO_ANN_ENTRY)
		return -EINVAL;
	e = d + VXPROTO_ANN_HDRLEN;
	for (unsigned i = 0; i < n; i++, e += VXPROTO_ANN_ENTRY) {
		static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
		union vxproto_addr a;
		bool v4 = memcmp(e, mapped, sizeof(mapped)) == 0;

		memset(&a, 0, sizeof(a));
		if (e[16] == 0 && e[17] == 0)
			return -EINVAL;
		if (family == AF_INET && v4) {
			a.in.sin_family = AF_INET;
			memcpy(&a.in.sin_addr, e + 12, 4);
			memcpy(&a.in.sin_port, e + 16, 2);
		} else if (family == AF_INET6 && !v4) {
			a.in6.sin6_family = AF_INET6;
			memcpy(&a.in6.sin6_addr, e, 16);
			memcpy(&a.in6.sin6_port, e + 16, 2);
		} else {
			continue;
		}
		out[got++] = a;
	}
	return (int)got;
}

bool vxproto_addr_is_multicast(const union vxproto_addr *a)
{
	if (a->sa.sa_family == AF_INET6)
		return IN6_IS_ADDR_MULTICAST(&a->in6.sin6_addr);
	return a->sa.sa_family == AF_INET && IN_MULTICAST(ntohl(a->in.sin_addr.s_addr));
}

socklen_t vxproto_addr_len(const union vxproto_addr *a)
{
	switch (a->sa.sa_family) {
	case AF_INET:
		return sizeof(struct sockaddr_in);
	case AF_INET6:
		return sizeof(struct sockaddr_in6);
	default:
		return 0;
	}
}

int vxproto_addr_norm(union vxproto_addr *out, const void *from, socklen_t len)
{
	union vxproto_addr in;

	memset(out, 0, sizeof(*out));
	if (len < sizeof(sa_family_t))
		return -EINVAL;
	memset(&in, 0, sizeof(in));
	memcpy(&in, from, len < sizeof(in) ? len : sizeof(in));
	if (len < vxproto_addr_len(&in) || vxproto_addr_len(&in) == 0)
		return -EINVAL;
	out->sa.sa_family = in.sa.sa_family;
	if (in.sa.sa_family == AF_INET6) {
		out->in6.sin6_port = in.in6.sin6_port;
		out->in6.sin6_addr = in.in6.sin6_addr;
		out->in6.sin6_scope_id = in.in6.sin6_scope_id;
	} else {
		out->in.sin_port = in.in.sin_port;
		out->in.sin_addr = in.in.sin_addr;
	}
	return 0;
}

/* Same host address (ports and scopes aside). */
static bool vxproto_same_host(const union vxproto_addr *a, const union vxproto_addr *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET6)
		return memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, sizeof(struct in6_addr)) == 0;
	return a->sa.sa_family == AF_INET && a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
}

static in_port_t vxproto_port_of(const union vxproto_addr *a)
{
	return a->sa.sa_family == AF_INET6 ? a->in6.sin6_port : a->in.sin_port;
}

/* Loopback or unspecified: only this host can send from there. */
static bool vxproto_always_local(const union vxproto_addr *a)
{
	if (a->sa.sa_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&a->in6.sin6_addr) || IN6_IS_ADDR_LOOPBACK(&a->in6.sin6_addr) ||
		       (IN6_IS_ADDR_V4MAPPED(&a->in6.sin6_addr) && a->in6.sin6_addr.s6_addr[12] == 127);
	return a->in.sin_addr.s_addr == htonl(INADDR_ANY) || (ntohl(a->in.sin_addr.s_addr) >> 24) == 127;
}

/* Whether a is assigned to an interface of this host now. No answer (getifaddrs failed): not local,
 * the safe side for a peer (a lost echo is a duplicate frame, a lost peer is a partition). */
static bool vxproto_assigned(const union vxproto_addr *a)
{
	struct ifaddrs *ifa, *i;
	bool found = false;

	if (getifaddrs(&ifa) < 0)
		return false;
	for (i = ifa; i && !found; i = i->ifa_next) {
		union vxproto_addr x;

		if (!i->ifa_addr || i->ifa_addr->sa_family != a->sa.sa_family)
			continue;
		memset(&x, 0, sizeof(x));
		memcpy(&x, i->ifa_addr, a->sa.sa_family == AF_INET6 ? sizeof(x.in6) : sizeof(x.in));
		found = vxproto_same_host(&x, a);
	}
	freeifaddrs(ifa);
	return found;
}

void vxproto_self_init(struct vxproto_self *s, const union vxproto_addr *ucast_name)
{
	union vxproto_addr any;

	memset(s, 0, sizeof(*s));
	s->family = ucast_name->sa.sa_family;
	s->port = vxproto_port_of(ucast_name);
	memset(&any, 0, sizeof(any));
	any.sa.sa_family = (sa_family_t)s->family;
	/* a unicast socket bound to one address sends from it, even one getifaddrs does not list
	 * (an address of a local route, e.g. `ip route add local ... dev lo`) */
	if (!vxproto_same_host(ucast_name, &any))
		vxproto_addr_norm(&s->addr, ucast_name, vxproto_addr_len(ucast_name));
}

int vxproto_self_probe(struct vxproto_self *s, const union vxproto_addr *group, unsigned ifindex,
		       const union vxproto_addr *bind_addr)
{
	union vxproto_addr a;
	socklen_t alen = sizeof(a);
	int fd = socket(group->sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP), ret = 0;

	if (fd < 0)
		return -errno;
	if (ifindex) {
		if (group->sa.sa_family == AF_INET6) {
			ret = setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof(ifindex));
		} else {
			struct ip_mreqn mr = { .imr_ifindex = (int)ifindex };

			ret = setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr));
		}
	}
	/* connect() on UDP sends nothing: it only makes the kernel choose the route and the source */
	if (ret == 0 && bind_addr)
		ret = bind(fd, &bind_addr->sa, vxproto_addr_len(bind_addr));
	if (ret == 0)
		ret = connect(fd, &group->sa, vxproto_addr_len(group));
	if (ret == 0)
		ret = getsockname(fd, &a.sa, &alen);
	if (ret == 0 && a.sa.sa_family == s->family)
		vxproto_addr_norm(&s->addr, &a, alen);
	ret = ret < 0 ? -errno : 0;
	close(fd);
	return ret;
}

bool vxproto_is_own(struct vxproto_self *s, const union vxproto_addr *from, time_t now)
{
	if (vxproto_port_of(from) != s->port || from->sa.sa_family != s->family)
		return false;
	if (vxproto_always_local(from) || vxproto_same_host(from, &s->addr))
		return true;
	/* our echo of a moment ago, or a remote peer that happens to use our port number: ask the
	 * kernel again at most once every VXPROTO_RECHECK seconds (addresses move: failover, DHCP) */
	if (vxproto_same_host(from, &s->local) && now - s->local_when < VXPROTO_RECHECK && now >= s->local_when)
		return true;
	if (vxproto_same_host(from, &s->remote) && now - s->remote_when < VXPROTO_RECHECK && now >= s->remote_when)
		return false;
	if (vxproto_assigned(from)) {
		s->local = *from;
		s->local_when = now;
		return true;
	}
	s->remote = *from;
	s->remote_when = now;
	return false;
}
