/*
 * priv — vded's privilege separation (the OpenBSD vmd/relayd design; doc/security.md).
 *
 * vded starts as root and splits in two processes joined by a SOCK_SEQPACKET socketpair:
 *  - the privileged parent keeps only the capabilities of its few acts and serves typed, fixed-layout
 *    requests, each validated here: make a tap (in vded's namespace or a vded namespace; or a
 *    persistent one for a VM, left closed), remove such a persistent tap, open a packet socket bound
 *    to an existing interface (an interface port), make or
 *    remove a namespace, make, re-own or remove an endpoint directory under the root-owned
 *    RUN_DIR/net, connect a vde client's socket with that client's own credentials, and force socket
 *    buffers on vded's own UDP sockets. It parses nothing else and runs no event loop.
 *  - the engine (everything else: control socket, policy, store, endpoints, the data path, slirp,
 *    uplinks and cmd://) runs as vded's own user with no capability and NoNewPrivs.
 * If either dies the other exits. Without root there is no split: the requests run in-process
 * through the same validation (a user's own vded can make nothing privileged anyway).
 *
 * Engine-side calls: each blocks until the parent answers (the acts are short) and returns 0/-errno
 * with e filled; fds received are O_CLOEXEC and owned by the caller.
 */
#ifndef VDED_PRIV_H
#define VDED_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

#define PRIV_NAME_MAX 64		/* network and namespace names (proto_valid_name) */
#define PRIV_IFNAME_MAX 16
#define PRIV_TAP_ADDRS 8
#define PRIV_CIDR_MAX 64
#define PRIV_PATH_MAX 108		/* sun_path */
#define PRIV_SOCKBUF_MAX (4 << 20)
/* Where named network namespaces live (ip-netns(8)): the parent makes and removes them there. */
#define NETNS_DIR "/run/netns"

enum priv_op {
	PRIV_OP_TAP_OPEN = 1,		/* -> tap fd */
	PRIV_OP_NETNS_CREATE,
	PRIV_OP_NETNS_DELETE,
	PRIV_OP_ENDPOINT_MAKE,		/* -> directory fd */
	PRIV_OP_ENDPOINT_SET,
	PRIV_OP_ENDPOINT_REMOVE,
	PRIV_OP_CONNECT_AS,		/* fds in: the client's connection, vded's datagram socket */
	PRIV_OP_SOCKBUF,		/* fd in: a UDP socket of vded's */
	PRIV_OP_READY,			/* sd_notify READY=1 from the main process */
	PRIV_OP_PACKET_OPEN,		/* -> AF_PACKET fd bound to an interface */
	PRIV_OP_TAP_DELETE,		/* remove a persistent tap (a VM tap) */
	PRIV_OP_KEEP,			/* fd in: keep it across engine lives (keeper.h) */
	PRIV_OP_FORGET,
	PRIV_OP_UPGRADE,		/* re-execute vded, with every kept fd, once this engine exits */
	PRIV_OP_VXLAN_CREATE,		/* a kernel VXLAN device (a network's fabric uplink) */
	PRIV_OP_VXLAN_DELETE,		/* remove one (only a link of kind vxlan) */
	PRIV_OP_MAX
};

struct priv_tap {
	char ifname[PRIV_IFNAME_MAX];
	char netns[PRIV_NAME_MAX];	/* "": vded's own namespace */
	uint32_t owner;			/* TUNSETOWNER; (uint32_t)-1: none */
	uint32_t mtu;			/* 0: the kernel's */
	uint8_t has_mac, up, pad[2];
	uint8_t mac[6], pad2[2];
	uint32_t naddrs;
	char addrs[PRIV_TAP_ADDRS][PRIV_CIDR_MAX];
	/* A VM tap: made persistent (TUNSETPERSIST) and closed, so that its queues are free for QEMU;
	 * no fd comes back. has_group: TUNSETGROUP to group; multi_queue: IFF_MULTI_QUEUE. */
	uint32_t group;
	uint8_t has_group, persist, multi_queue, pad3;
	char gateway[PRIV_CIDR_MAX];	/* "": none; else an IPv4 or IPv6 address: the default route via it */
};

/* An interface port: an AF_PACKET socket bound to ifname in vded's namespace, promiscuous, with a
 * virtio-net header, outgoing frames ignored; the link is brought up. ifindex, when not 0, must be
 * the interface's index (the engine checked that interface's owner: a rename in between is refused).
 * Without keep_ip the host stack is kept off it: its addresses flushed, IPv6 disabled. */
struct priv_packet {
	char ifname[PRIV_IFNAME_MAX];
	uint32_t ifindex;
	uint8_t keep_ip, pad[3];
	uint32_t rcvbuf;		/* SO_RCVBUFFORCE, <= PRIV_SOCKBUF_MAX; 0: leave (an admin's port only) */
};

/* A kernel VXLAN device in vded's namespace: VNI vni to addr (a unicast remote, or a multicast group,
 * which needs dev) on UDP dstport. reuse: an existing VXLAN device of that name is fine (a restart). */
struct priv_vxlan {
	char ifname[PRIV_IFNAME_MAX];
	char dev[PRIV_IFNAME_MAX];	/* "": the routing table's choice */
	uint32_t vni;			/* 0..0xffffff */
	uint16_t dstport;		/* 1..65535 */
	uint8_t family;			/* AF_INET or AF_INET6 */
	uint8_t reuse;
	uint8_t addr[16];
	uint32_t mtu;			/* 0: the kernel's; else 68..9216 */
};

struct priv_netns {
	char name[PRIV_NAME_MAX];
	uint8_t reuse;			/* an existing /run/netns/NAME is fine (restart) */
	uint8_t pad[3];
};

struct priv_endpoint {
	char name[PRIV_NAME_MAX];
	uint32_t gid;
	uint32_t mode;			/* the network's rw bits for owner, group, other (0660) */
	uint32_t owner;			/* the network's owner: gets the owner bits by an ACL entry */
};

struct priv_connect {
	char path[PRIV_PATH_MAX];	/* the client's socket, as it gave it */
};

struct priv_sockbuf {
	uint32_t sndbuf, rcvbuf;	/* bytes, <= PRIV_SOCKBUF_MAX; 0: leave */
};

struct priv_keep {
	char name[96];			/* KEEPER_NAME_MAX: "k/..." (keeper_name_valid) */
};

struct priv_request {
	uint32_t op;
	uint32_t pad;
	union {
		struct priv_tap tap;
		struct priv_netns netns;
		struct priv_endpoint endpoint;
		struct priv_connect connect;
		struct priv_sockbuf sockbuf;
		struct priv_packet packet;
		struct priv_keep keep;
		struct priv_vxlan vxlan;
	} u;
};

struct priv_reply {
	int32_t err;			/* 0 or -errno */
	char message[256];		/* what failed, for the user (empty on success) */
};

/* How the split goes: the user the engine runs as, and the directories the parent works in. */
struct priv_setup {
	uid_t engine_uid;
	gid_t engine_gid;
	const char *run_dir;		/* endpoints live in RUN_DIR/net (made root-owned 0755 here) */
	char *const *argv;		/* how vded was started: `daemon upgrade` executes it again */
};

/*
 * Split. In the parent this never returns: it serves the engine until the engine exits, then exits
 * with the engine's status (SIGTERM/SIGINT/SIGHUP are passed on to the engine). An engine killed by
 * a signal (a crash) is replaced by a new one, which inherits every kept descriptor (at most
 * PRIV_RESPAWN_MAX times a minute); after `daemon upgrade` the parent executes vded again instead.
 * In the engine it returns 0 after the switch to setup->engine_uid with no capabilities. Not root: returns 0 without
 * forking (requests then run in-process). -errno on failure (nothing forked).
 */
int priv_split(const struct priv_setup *setup);

/* No split, for tests and fuzzing: the privileged acts run in this process, on run_dir/net (made if
 * missing). Returns 0 or -errno. */
int priv_init_inprocess(const char *run_dir);

/* The pid to signal and to show: the privileged parent's with a split, else our own. */
pid_t priv_main_pid(void);

/* The engine's fd watching the parent (readable at EOF: the parent is gone), or -1 without a split. */
int priv_parent_fd(void);

/* Pure: whether a request is well formed (names, sizes, ranges). 0 or -EINVAL with e filled.
 * The parent checks every request with it; unit-tested. */
int priv_request_validate(const struct priv_request *req, struct vde_error *e);

/* The engine's calls. */
int priv_tap_open(const struct priv_tap *t, int *fd, struct vde_error *e);
/* Remove the persistent tap ifname (only a tun/tap device with IFF_PERSIST: never another link). */
int priv_tap_delete(const char *ifname, struct vde_error *e);
/* Make (or with reuse, keep) the kernel VXLAN device of struct priv_vxlan; remove one (never a link of
 * another kind). */
int priv_vxlan_create(const struct priv_vxlan *v, struct vde_error *e);
int priv_vxlan_delete(const char *ifname, struct vde_error *e);
/* The packet socket of an interface port (struct priv_packet). *fd: non-blocking, close-on-exec. */
int priv_packet_open(const char *ifname, unsigned ifindex, bool keep_ip, unsigned rcvbuf, int *fd,
		     struct vde_error *e);
int priv_netns_create(const char *name, bool reuse, struct vde_error *e);
int priv_netns_delete(const char *name, struct vde_error *e);
/* Make RUN_DIR/net/NAME anew (whatever was there goes): owned by the engine's user, group gid,
 * setgid + sticky, class bits from mode; the network's owner (not root) gets the owner bits through
 * an access ACL on the directory and a default ACL its sockets inherit. *out gets it (O_DIRECTORY). */
int priv_endpoint_make(const char *name, uid_t owner, gid_t gid, unsigned mode, int *out, struct vde_error *e);
/* Give the existing endpoint directory a new owner, group and mode. */
int priv_endpoint_set(const char *name, uid_t owner, gid_t gid, unsigned mode, struct vde_error *e);
/* Remove RUN_DIR/net/NAME and everything in it (clients' files and directories too). */
int priv_endpoint_remove(const char *name, struct vde_error *e);
/* Connect sock (an unbound-or-bound AF_UNIX datagram socket of the engine's) to path with the
 * credentials of the peer of conn (the client's connection): the kernel checks the path as the client. */
int priv_connect_as(int conn, int sock, const char *path, struct vde_error *e);
/* SO_SNDBUFFORCE/SO_RCVBUFFORCE on one of vded's own UDP sockets (never a user's port). */
int priv_sockbuf(int sock, unsigned sndbuf, unsigned rcvbuf, struct vde_error *e);
/* Tell systemd (through the main process) that vded is ready. */
void priv_ready(void);

/*
 * Descriptors across engine lives (keeper.h, doc/restart.md). priv_keep: the parent keeps a copy of
 * fd under name (and pushes it to systemd's fd store); fd stays the caller's. priv_forget: no more.
 * priv_upgrade: once this engine exits, the parent executes vded again with every kept descriptor.
 */
int priv_keep(const char *name, int fd);
void priv_forget(const char *name);
int priv_upgrade(struct vde_error *e);
/* What this engine inherited from the previous one (or from systemd): entry i, false past the end.
 * priv_inherited_take() hands over entry i's descriptor (the caller's from then on; -1 if taken). */
bool priv_inherited(unsigned i, const char **name);
int priv_inherited_take(unsigned i);
/* How many times this engine's parent replaced a crashed engine (daemon.info). */
unsigned priv_respawns(void);

/* Resolve user (name or number) to uid/gid. -ENOENT if unknown. */
int priv_lookup_user(const char *user, uid_t *uid, gid_t *gid);

#endif
