/*
 * capture — packet capture on a network (capture.start): the frames crossing it, or those of chosen
 * ports in both directions, written as records (common/caprec.h) on a SOCK_SEQPACKET socketpair whose
 * other end the client holds. The data path hands each switched frame to this module (through the
 * struct network_capture_ops it registers) only while net->captures is set (one pointer test per frame
 * otherwise), and tells it when a batch ends: the batch's records leave in one sendmmsg(MSG_DONTWAIT),
 * and those the socket cannot take are dropped and counted (in the records, the end record and the
 * network's capture_dropped), never waited for. A capture ends when its reader shuts or closes its end, when count records were
 * written, or when the network or a port it watches goes; an end record then says why.
 *
 * This module owns each capture, its descriptor (vded's end) and its watchers.
 */
#ifndef VDED_CAPTURE_H
#define VDED_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "dataplane/network.h"
#include "error.h"

#define CAPTURE_MAX_PORTS 16		/* ports one capture may watch */
#define CAPTURE_MAX_PER_NETWORK 8	/* captures running at once on one network */
#define CAPTURE_MAX_PER_USER 8		/* ... and for one uid other than root, over all networks */
#define CAPTURE_SNAPLEN_DEFAULT 262144
#define CAPTURE_SNAPLEN_MIN 64

struct capture_req {
	unsigned nports;
	unsigned ports[CAPTURE_MAX_PORTS];	/* none: every frame the network receives */
	uint64_t count;				/* 0: no limit */
	uint32_t snaplen;			/* 0: CAPTURE_SNAPLEN_DEFAULT */
	uid_t uid;				/* who asked: the per-user limit, the log */
	pid_t pid;
};

/* Start a capture on net: the client's end of the socketpair goes to *fd_out (the caller sends and
 * closes it). 0, or -errno with e filled (a port that does not exist: not-found; more than
 * CAPTURE_MAX_PER_NETWORK on net or CAPTURE_MAX_PER_USER for req->uid: limit). */
int capture_start(struct network *net, const struct capture_req *req, int *fd_out, struct vde_error *e);

#endif
