/*
 * port — one frame-carrying fd bridged into a network: its ev_io, its identity (who made it, why) and its
 * per-batch transmit queue. Every backend makes ports: attach (socketpair), endpoint (vde_switch
 * protocol client); tap, vxvde, slirp and uplinks later. The default ops move one frame per datagram
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
#define PORT_DESCR_MAX 256

struct port;
struct network;

struct port_ops {
	const char *kind;		/* "attach", "endpoint", ... shown in port.list */
	/* Receive up to n frames into msgs (iovecs set by the caller); returns count, 0 if none, -errno. */
	int (*recv_batch)(struct port *p, struct mmsghdr *msgs, unsigned n);
	/* Send the queued msgs; returns how many went out (>= 0) or -errno for msgs[0]. */
	int (*send_batch)(struct port *p, struct mmsghdr *msgs, unsigned n);
	/* Add kind-specific fields to the port's API object (port.list). May be NULL. */
	void (*describe)(const struct port *p, struct json_object *o);
	/* Release what the kind owns besides the data fd (ctl socket, socket paths). May be NULL. */
	void (*destroy)(struct port *p);
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

	/* Frames queued for this port during the current batch; iovecs point into the rx buffers
	 * (two per message: a virtio-net header and the frame for a vnet port, else the frame). */
	unsigned txq_len;
	bool tx_listed;			/* in the network's list of ports with queued frames */
	struct port *tx_next;
	struct mmsghdr *txq;
	struct iovec *txiov;
	bool vnet;			/* frames in and out carry a virtio-net header (vded's taps) */
	struct port *reap_next;		/* in the list of dead ports to free */

	/* Lifetime link to a control connection (attach): the port dies with it. */
	void *owner;
	struct port *owner_next;
	void (*release)(struct port *p);	/* called at free while owner is set */
	struct port *net_next;		/* in the network's port list */
};

/* The dgram recv/send pair every socket-based kind uses. */
int port_dgram_recv_batch(struct port *p, struct mmsghdr *msgs, unsigned n);
int port_dgram_send_batch(struct port *p, struct mmsghdr *msgs, unsigned n);

/* For descriptors that move one frame per read()/write() (taps): a loop of plain calls. */
int port_rw_recv_batch(struct port *p, struct mmsghdr *msgs, unsigned n);
int port_rw_send_batch(struct port *p, struct mmsghdr *msgs, unsigned n);

/* Make the data fd of a datagram port ready: non-blocking, close-on-exec, a generous send buffer
 * (so a briefly busy reader does not lose frames). Returns 0 or -errno. */
int port_dgram_setup(int fd);

#endif
