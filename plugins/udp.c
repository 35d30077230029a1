/*
 * udp://[SRCADDR:]SRCPORT->DSTHOST:DSTPORT — a point-to-point cable over UDP (doc/vde-wire.md §6):
 * each datagram's payload is one raw Ethernet frame. IPv6 literals may be bracketed ([::1]:2000).
 *
 * The socket stays unconnected: a connected UDP socket would report the ICMP "port unreachable"
 * of a peer that is not up yet as a read error. Instead a socket filter (classic BPF) lets in only
 * datagrams from DST that can hold a frame, so a stranger's datagram never even wakes the poller
 * (which would then get nothing: vdeplug4's own vde_plug ends a cable on a failed read).
 * vde_recv checks the source again, for a kernel that refused the filter.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <linux/filter.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libvdeplug_mod.h>
#include "sendwait.h"

#define ETH_HLEN_MIN 14

struct udp_conn {
	void *handle;
	struct vdeplug_module *module;
	int fd;
	struct sockaddr_storage dst;
	socklen_t dstlen;
	bool sndtimeo_set;		/* see sendwait.h */
};

/* Split "host:port" (or "[v6]:port", or just "port" when host_optional) in place. */
static int split_hostport(char *s, char **host, char **port, int host_optional)
{
	char *colon;

	*host = NULL;
	if (*s == '[') {
		char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return -1;
		*close = '\0';
		*host = s + 1;
		*port = close + 2;
		return **port ? 0 : -1;
	}
	colon = strrchr(s, ':');
	if (!colon) {
		if (!host_optional)
			return -1;
		*port = s;
		return *s ? 0 : -1;
	}
	*colon = '\0';
	*host = s;
	*port = colon + 1;
	return **host && **port ? 0 : -1;
}

#define UDP_HLEN 8
#define BPF_ACCEPT 0xffffffffu

/* Attach a filter: accept only datagrams from dst's address and port with at least a frame
 * header of payload. At filter time the packet starts at the UDP header; the IP header is reached
 * through SKF_NET_OFF. Returns 0 or -1 (the caller falls back to checking in user space). */
static int attach_source_filter(int fd, const struct sockaddr_storage *dst)
{
	struct sock_fprog prog;

	if (dst->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)dst;
		struct sock_filter f[] = {
			BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
			BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, UDP_HLEN + ETH_HLEN_MIN, 0, 5),
			BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 0),	/* source port */
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ntohs(a->sin_port), 0, 3),
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)SKF_NET_OFF + 12),	/* source address */
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ntohl(a->sin_addr.s_addr), 0, 1),
			BPF_STMT(BPF_RET | BPF_K, BPF_ACCEPT),
			BPF_STMT(BPF_RET | BPF_K, 0),
		};

		prog.len = sizeof(f) / sizeof(f[0]);
		prog.filter = f;
		return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
	}
	if (dst->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)dst;
		uint32_t w[4];

		memcpy(w, &a->sin6_addr, sizeof(w));
		struct sock_filter f[] = {
			BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
			BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, UDP_HLEN + ETH_HLEN_MIN, 0, 11),
			BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 0),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ntohs(a->sin6_port), 0, 9),
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)SKF_NET_OFF + 8),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ntohl(w[0]), 0, 7),
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)SKF_NET_OFF + 12),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ntohl(w[1]), 0, 5),
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)SKF_NET_OFF + 16),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ntohl(w[2]), 0, 3),
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)SKF_NET_OFF + 20),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ntohl(w[3]), 0, 1),
			BPF_STMT(BPF_RET | BPF_K, BPF_ACCEPT),
			BPF_STMT(BPF_RET | BPF_K, 0),
		};

		prog.len = sizeof(f) / sizeof(f[0]);
		prog.filter = f;
		return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
	}
	return -1;
}

static VDECONN *udp_open(char *vnl, char *descr, int interface_version, struct vde_open_args *open_args)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *dst = NULL, *src = NULL;
	char *spec, *arrow, *shost, *sport, *dhost, *dport;
	struct udp_conn *c = NULL;
	int fd = -1, err, rc;

	spec = strdup(vnl);
	if (!spec)
		return NULL;
	arrow = strstr(spec, "->");
	if (!arrow) {
		err = EINVAL;
		goto fail;
	}
	*arrow = '\0';
	if (split_hostport(spec, &shost, &sport, 1) < 0 || split_hostport(arrow + 2, &dhost, &dport, 0) < 0) {
		err = EINVAL;
		goto fail;
	}
	rc = getaddrinfo(dhost, dport, &hints, &dst);
	if (rc != 0) {
		err = rc == EAI_SYSTEM ? errno : EHOSTUNREACH;
		goto fail;
	}
	/* the local end uses the destination's family; no SRCADDR means any address */
	hints.ai_family = dst->ai_family;
	hints.ai_flags = AI_PASSIVE;
	rc = getaddrinfo(shost, sport, &hints, &src);
	if (rc != 0) {
		err = rc == EAI_SYSTEM ? errno : EADDRNOTAVAIL;
		goto fail;
	}
	fd = socket(dst->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, src->ai_addr, src->ai_addrlen) < 0) {
		err = errno;
		goto fail;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		err = errno;
		goto fail;
	}
	c->fd = fd;
	memcpy(&c->dst, dst->ai_addr, dst->ai_addrlen);
	c->dstlen = dst->ai_addrlen;
	/* best effort: without it vde_recv still drops strangers, one EAGAIN each */
	attach_source_filter(fd, &c->dst);
	freeaddrinfo(dst);
	freeaddrinfo(src);
	free(spec);
	return (VDECONN *)c;
fail:
	if (fd >= 0)
		close(fd);
	if (dst)
		freeaddrinfo(dst);
	if (src)
		freeaddrinfo(src);
	free(spec);
	errno = err;
	return NULL;
}

static int from_peer(const struct udp_conn *c, const struct sockaddr_storage *from, socklen_t fromlen)
{
	if (from->ss_family != c->dst.ss_family)
		return 0;
	if (from->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)from;
		const struct sockaddr_in *b = (const struct sockaddr_in *)&c->dst;

		return a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr;
	}
	if (from->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)from;
		const struct sockaddr_in6 *b = (const struct sockaddr_in6 *)&c->dst;

		return a->sin6_port == b->sin6_port &&
		       memcmp(&a->sin6_addr, &b->sin6_addr, sizeof(a->sin6_addr)) == 0;
	}
	return 0;
}

static ssize_t udp_recv(VDECONN *conn, void *buf, size_t len, int flags)
{
	struct udp_conn *c = (struct udp_conn *)conn;
	int more = 0;

	/* Datagrams from strangers and runts are dropped here; after the first read only what is
	 * already queued is looked at, so an empty queue ends the call with EAGAIN. */
	for (;;) {
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);
		ssize_t n = recvfrom(c->fd, buf, len, flags | (more ? MSG_DONTWAIT : 0),
				     (struct sockaddr *)&from, &fromlen);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return n;
		if ((n >= ETH_HLEN_MIN || len < ETH_HLEN_MIN) && from_peer(c, &from, fromlen))
			return n;
		more = 1;
	}
}

static ssize_t udp_send(VDECONN *conn, const void *buf, size_t len, int flags)
{
	struct udp_conn *c = (struct udp_conn *)conn;

	if (len < ETH_HLEN_MIN)
		return (ssize_t)len;
	return sendwait(c->fd, buf, len, (struct sockaddr *)&c->dst, c->dstlen, &c->sndtimeo_set);
}

static int udp_datafd(VDECONN *conn)
{
	return ((struct udp_conn *)conn)->fd;
}

static int udp_ctlfd(VDECONN *conn)
{
	return -1;
}

static int udp_close(VDECONN *conn)
{
	struct udp_conn *c = (struct udp_conn *)conn;

	close(c->fd);
	free(c);
	return 0;
}

__attribute__((visibility("default"))) struct vdeplug_module vdeplug_ops = {
	.vde_open_real = udp_open,
	.vde_recv = udp_recv,
	.vde_send = udp_send,
	.vde_datafd = udp_datafd,
	.vde_ctlfd = udp_ctlfd,
	.vde_close = udp_close,
};
