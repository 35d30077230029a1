/*
 * vxproto — the one vxvde wire codec (doc/vde-wire.md), used by vded's vxvde uplink
 * (vded/backends/vxvde.c) and by the vxvde:// module (plugins/vxvde/vxnet.c), wire-compatible with
 * vdeplug4's vxvde.
 *
 * A datagram on UDP (default port 14789) is an 8-byte header `08 00 00 00 | VNI (24 bits, big
 * endian) | 00` followed by one Ethernet frame; the header alone says "goodbye" (the sender is
 * closing: forget what was learned from it). Receivers compare the 8 bytes as one value, so flags
 * and reserved bytes must match exactly. Broadcast, multicast and unknown destinations go to the
 * group; known ones to the unicast address learned from the MAC's frames. Every datagram leaves from
 * the sender's unicast socket, and multicast loop stays on (several instances per host), so each
 * instance gets its own multicast back and must recognise it: vxproto_is_own().
 *
 * Everything here is pure except vxproto_is_own() (it may read this host's addresses) and
 * vxproto_self_probe() (a throwaway socket).
 */
#ifndef VDE_COMMON_VXPROTO_H
#define VDE_COMMON_VXPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define VXPROTO_PORT 14789
#define VXPROTO_GROUP4 "239.0.0.1"
#define VXPROTO_GROUP6 "ff05:56de::1"
#define VXPROTO_VNI 1
#define VXPROTO_VNI_MAX 0xffffffu
#define VXPROTO_HDRLEN 8
#define VXPROTO_FRAME_MIN 14		/* an Ethernet header */
#define VXPROTO_FRAME_MAX 9234		/* 9216 MTU + 14 header + 4 VLAN tag: vdeplug4's VDE_ETHBUFSIZE */

/* A peer: what the MAC table stores (normalised by vxproto_addr_norm so equal peers memcmp equal). */
union vxproto_addr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

/* The header of a VNI (only its low 24 bits count). */
void vxproto_header(uint32_t vni, uint8_t hdr[VXPROTO_HDRLEN]);

/* The VNI of a received header, if its flag and reserved bytes are exactly ours: 0, or -EINVAL
 * (not vxvde). Reads the first 8 bytes of hdr. */
int vxproto_header_vni(const uint8_t hdr[VXPROTO_HDRLEN], uint32_t *vni);

enum vxproto_kind {
	VXPROTO_IGNORE,			/* not ours: another VNI, not vxvde, a runt or a giant */
	VXPROTO_FRAME,			/* our header + an Ethernet frame of 14..9234 bytes */
	VXPROTO_BYE,			/* our header alone: the sender is closing */
};

/* What a received datagram of len bytes is for a port whose header is `ours`. Reads only the first
 * 8 bytes of d (d may be a separately received header), so len >= 8 must be the datagram's length. */
enum vxproto_kind vxproto_classify(const uint8_t ours[VXPROTO_HDRLEN], const uint8_t *d, size_t len);

/* Parse vded's group syntax "GROUP", "GROUP:PORT", "[V6GROUP]:PORT" or "V6GROUP" (numeric only; the
 * port defaults to default_port) into *out with the port set (pure). The group must be multicast.
 * Returns 0 or -EINVAL. */
int vxproto_parse_group(const char *text, unsigned default_port, union vxproto_addr *out);

bool vxproto_addr_is_multicast(const union vxproto_addr *a);
/* The sockaddr length of a's family (sizeof sockaddr_in or sockaddr_in6; 0 for another family). */
socklen_t vxproto_addr_len(const union vxproto_addr *a);
/* Copy the len bytes of a received sender address keeping only what identifies a peer (family,
 * address, port, IPv6 scope), zeroing the rest, so that equal peers compare equal with memcmp.
 * -EINVAL (out zeroed) if it is not a complete IPv4 or IPv6 address. */
int vxproto_addr_norm(union vxproto_addr *out, const void *from, socklen_t len);

/* Parse a unicast peer "ADDR", "ADDR:PORT", "[V6ADDR]:PORT" or "V6ADDR" (numeric; the port defaults
 * to default_port) into *out (pure). Refused (-EINVAL): a multicast, unspecified or broadcast
 * address, port 0. */
int vxproto_parse_peer(const char *text, unsigned default_port, union vxproto_addr *out);

/*
 * The peer announcement (doc/vde-wire.md §4.3): vded's own datagram, sent only by unicast to the
 * peers of a network, never to a group, listing peers the sender knows so that a cloud grows from
 * one seed. Its first byte is 'V' (0x56), never vxvde's flags byte 0x08, so vdeplug4's vxvde and any
 * VXLAN receiver drop it as not theirs, and vxproto_classify() says VXPROTO_IGNORE.
 *
 *   0  'V' 'X' 'P' 1        magic and version
 *   4  VNI (24 bits, big endian) | count (8 bits, 0..VXPROTO_ANN_MAX)
 *   8  count x { 16-byte address (IPv4 as ::ffff:a.b.c.d) | 2-byte port, big endian }
 *
 * A datagram with any other length for its count, another magic or version, or an entry with
 * port 0 is refused whole.
 */
#define VXPROTO_ANN_MAX 32
#define VXPROTO_ANN_ENTRY 18
#define VXPROTO_ANN_HDRLEN 8
#define VXPROTO_ANN_SIZE (VXPROTO_ANN_HDRLEN + VXPROTO_ANN_MAX * VXPROTO_ANN_ENTRY)

/* Whether the datagram's first bytes are an announcement's (len >= 4). */
bool vxproto_is_announce(const uint8_t *d, size_t len);
/* Write the announcement of n (<= VXPROTO_ANN_MAX) peers of one family into buf (VXPROTO_ANN_SIZE
 * bytes); returns its length, or -EINVAL (too many, or an address of no family). */
int vxproto_announce_build(uint32_t vni, const union vxproto_addr *peers, unsigned n, uint8_t *buf);
/* Read an announcement for VNI vni in a network of family `family`: the peers into out (at most
 * VXPROTO_ANN_MAX, normalised, of that family; IPv4-mapped entries become IPv4 in an IPv4 network,
 * entries of the other family are skipped). Returns how many, or -EINVAL (malformed, another VNI). */
int vxproto_announce_parse(const uint8_t *d, size_t len, uint32_t vni, int family, union vxproto_addr *out);

/*
 * Recognising our own datagrams. A datagram is ours exactly when its source port is our unicast
 * socket's port and its source address is one of this host's: that socket is bound to the port on
 * every local address without SO_REUSEADDR, so no other socket of this host can send from it, and
 * no other host sends from our addresses. "One of this host's" is checked against the kernel's list
 * of assigned addresses (getifaddrs), read afresh when needed: not a snapshot (addresses come and
 * go) and not a bind() probe (with net.ipv4.ip_nonlocal_bind=1 a probe "succeeds" for a remote
 * peer's address and that peer would be dropped for ever). Loopback and the unspecified address
 * (what the kernel sends from before any address is configured) are always local, and so is the
 * address the unicast socket is bound to or was found to send from (vxproto_self_probe). The
 * answers for the last local and the last remote sender are kept for VXPROTO_RECHECK seconds, so a
 * stream costs at most one getifaddrs() a second.
 */
#define VXPROTO_RECHECK 1

struct vxproto_self {
	in_port_t port;			/* network order: our unicast socket's port */
	int family;
	union vxproto_addr addr;	/* a source we know is ours (bound or probed); family 0 if none */
	union vxproto_addr local;	/* the last sender found to be local ... */
	time_t local_when;		/* ... and when */
	union vxproto_addr remote;	/* the last sender found not to be local ... */
	time_t remote_when;		/* ... and when */
};

/* Start with the unicast socket's own name (getsockname: family, port, and the bound address
 * unless it is the wildcard). */
void vxproto_self_init(struct vxproto_self *s, const union vxproto_addr *ucast_name);
/* Learn the source address the kernel picks for datagrams to group (out of interface ifindex, 0 =
 * the kernel's choice, from bind_addr if not NULL): a connected throwaway UDP socket tells. Best
 * effort: 0, or -errno with s unchanged. */
int vxproto_self_probe(struct vxproto_self *s, const union vxproto_addr *group, unsigned ifindex,
		       const union vxproto_addr *bind_addr);
/* Whether a datagram from `from` (a normalised sender, vxproto_addr_norm) is our own, at now
 * (seconds of any monotonic clock). */
bool vxproto_is_own(struct vxproto_self *s, const union vxproto_addr *from, time_t now);

#endif
