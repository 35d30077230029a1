/*
 * port — one frame-carrying fd bridged into a network: its ev_io, its identity (who made it, why) and its
 * per-batch transmit queue. Every backend makes ports: attach (socketpair), endpoint (vde_switch
 * protocol client), tap, vxvde, slirp and uplinks. The default ops move one frame per datagram
 * with recvmmsg/sendmmsg.
 */
#ifndef VDED_PORT_H
#define VDED_PORT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <ev.h>
#include <json-c/json.h>

#define PORT_BATCH 64			/* frames per recvmmsg/sendmmsg */
#define PORT_TXIOV 4			/* iovecs per queued frame: [header][12 bytes][tag][rest] */
#define PORT_DESCR_MAX 256

struct port;
struct network;

/*
 * The receive batch: the data path's PORT_BATCH receive slots, the msghdrs and iovecs over them and the
 * senders' addresses, all owned by this module (port.c) and set up once; only it and the kernel touch the
 * msghdrs. For one call of a kind's recv the data path lends a struct port_rxbatch (STYLE.md "Lend data,
 * not control"): the kind fills slot buffers (port_rx_slot, or port_rx_recvmmsg for datagram sockets) and
 * reports in frame[i] what slot i holds; it keeps no pointer into the batch once it returns. The data path
 * finds the frames only through those reports, checked against its own copy of the batch's geometry.
 */
struct port_frame {
	uint32_t off;			/* the frame starts at the slot's buffer + off (past an encapsulation) */
	uint32_t len;			/* and is len bytes long; off < cap, off + len <= cap */
	uint32_t flags;			/* PORT_FRAME_* */
};

#define PORT_FRAME_SKIP  1u		/* nothing to switch in this slot (not ours, a control message) */
#define PORT_FRAME_TRUNC 2u		/* the datagram was larger than the slot: an error, never switched */

struct port_rxbatch {
	struct port_frame *frame;	/* frame[i]: what the kind found in slot i; preset to PORT_FRAME_SKIP */
	/* addr[i], addrlen[i]: the sender of slot i as port_rx_recvmmsg got it, for kinds whose ops set
	 * rx_addr; else NULL */
	const struct sockaddr_storage *addr;
	const socklen_t *addrlen;
	uint8_t *buf;			/* slot i is buf + i * cap */
	size_t cap;
	unsigned n;
};

/* Slot i's buffer: cap bytes, borrowed for the call. */
static inline uint8_t *port_rx_slot(const struct port_rxbatch *b, unsigned i)
{
	return b->buf + (size_t)i * b->cap;
}

/* Mark slot i as holding a frame of len bytes at off (the kind's decapsulation). */
static inline void port_rx_set(struct port_rxbatch *b, unsigned i, uint32_t off, uint32_t len, uint32_t flags)
{
	b->frame[i].off = off;
	b->frame[i].len = len;
	b->frame[i].flags = flags;
}

/* Allocate the receive slots (once, at start): 0 or -ENOMEM. */
int port_rx_init(void);
void port_rx_exit(void);

/*
 * Lend the batch for one recv: *b describes it, every report preset to PORT_FRAME_SKIP, the senders
 * included if want_addr. Only the data path calls this, and it lends one batch at a time.
 */
void port_rx_lend(struct port_rxbatch *b, bool want_addr);

/*
 * Receive up to b->n datagrams from fd into the lent batch with one recvmmsg over the batch's own
 * msghdrs; report each as a whole frame (frame[i] = {0, len}, PORT_FRAME_TRUNC if it did not fit) and,
 * if the batch was lent with senders, fill addr[i] and addrlen[i]. Returns how many, 0 if none is
 * waiting, or -errno.
 */
int port_rx_recvmmsg(struct port_rxbatch *b, int fd);

/* A frame of the batch to switch, as port_rx_collect found it. */
struct port_rxframe {
	uint8_t *data;			/* inside its slot: data + len never passes the slot's end */
	uint32_t len;
	bool trunc;			/* larger than the slot: the data path counts it as an error */
};

/*
 * Check what a kind reported for the first used slots of b (used as recv returned it: clamped to 0..n)
 * and list the frames to switch in slot order in out (room for b->n entries). Skipped slots are left
 * out; a report that does not fit its slot (off at or past cap, or len past it) becomes an empty frame,
 * which the switch counts as an error. Returns how many frames. Pure: fuzzed.
 */
unsigned port_rx_collect(const struct port_rxbatch *b, int used, struct port_rxframe *out);

/* The same for the batch as lent last (its geometry from this module, not from the kind's copy). */
unsigned port_rx_take(int used, struct port_rxframe *out);

struct port_ops {
	const char *kind;		/* "attach", "endpoint", ... shown in port.list */
	/* Receive up to b->n frames into the lent batch (see struct port_rxbatch) and report each slot it
	 * used in b->frame[]; returns how many slots it used (0 if none), or -errno (the port is removed). */
	int (*recv_batch)(struct port *p, struct port_rxbatch *b);
	/* Send the queued msgs; returns how many went out (>= 0) or -errno for msgs[0]. */
	int (*send_batch)(struct port *p, struct mmsghdr *msgs, unsigned n);
	/* Add kind-specific fields to the port's API object (port.list). May be NULL. */
	void (*describe)(const struct port *p, struct json_object *o);
	/* Release what the kind owns besides the data fd (ctl socket, socket paths). May be NULL. */
	void (*destroy)(struct port *p);
	/* The kind wants each datagram's sender: the batch is lent with addr[] (see port_rx_recvmmsg). */
	bool rx_addr;
};

struct port {
	struct network *net;
	unsigned id;
	int fd;				/* the data fd, owned */
	ev_io io;
	const struct port_ops *ops;
	void *kind_data;		/* the kind's own state, freed by ops->destroy */

	char description[PORT_DESCR_MAX];
	uid_t uid;
	gid_t gid;
	pid_t pid;
	time_t created;
	int dead;			/* removal pending: ignored by the data path */
	bool kept;			/* its descriptors and record are kept for the next life (keep.h) */

	/* Frames queued for this port during the current batch; iovecs point into the rx buffers
	 * (PORT_TXIOV per message: a virtio-net header for a vnet port, then the frame, in two pieces
	 * around a 4-byte tag pushed or in two around a tag popped). txhdr[k]: message k's own copy
	 * of a header that tagging moved. */
	unsigned txq_len;
	bool tx_listed;			/* in the network's list of ports with queued frames */
	struct port *tx_next;
	struct mmsghdr *txq;
	struct iovec *txiov;
	struct virtio_net_hdr *txhdr;
	bool vnet;			/* frames in and out carry a virtio-net header (vded's taps) */
	/* Rate limits and impairment (network.c's, over dataplane/shaper.h); NULL for a port without them,
	 * which is all the data path tests. */
	struct port_shape *shape;
	struct port *reap_next;		/* in the list of dead ports to free */

	/* Lifetime link to a control connection (attach): the port dies with it. */
	void *owner;
	struct port *owner_next;
	void (*release)(struct port *p);	/* called at free while owner is set */
	struct port *net_next;		/* in the network's port list */
};

/* The dgram recv/send pair every socket-based kind uses: one frame per datagram, with recvmmsg. */
int port_dgram_recv_batch(struct port *p, struct port_rxbatch *b);
int port_dgram_send_batch(struct port *p, struct mmsghdr *msgs, unsigned n);

/* For descriptors that move one frame per read()/write() (taps): a loop of plain calls. */
int port_rw_recv_batch(struct port *p, struct port_rxbatch *b);
int port_rw_send_batch(struct port *p, struct mmsghdr *msgs, unsigned n);

/* Make the data fd of a datagram port ready: non-blocking, close-on-exec, a generous send buffer
 * (so a briefly busy reader does not lose frames). Returns 0 or -errno. */
int port_dgram_setup(int fd);

#endif
