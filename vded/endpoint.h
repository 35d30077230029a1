/*
 * endpoint — the vde_switch-compatible socket directory of each network (RUN_DIR/net/NAME, PROTOCOLS.md §3),
 * so QEMU's `-netdev vde`, vdeplug4's `vde://` and vde2 tools connect to a vded network unchanged.
 */
#ifndef VDED_ENDPOINT_H
#define VDED_ENDPOINT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <ev.h>

#include "error.h"

struct network;

#define VDE_REQ_MAGIC 0xfeedfaceu
#define VDE_REQ_MAX 256			/* the server reads a request in one read of at most this */
#define VDE_SUN_LEN 110			/* sizeof(struct sockaddr_un) on Linux */

/* A parsed port request from a vde:// client. */
struct vde_request {
	unsigned version;		/* 1 or 3 */
	unsigned port;			/* requested port, 0 = any */
	char path[108];			/* the client's data socket (NUL-terminated) */
	char descr[256];		/* the client's description (NUL-terminated, may be empty) */
};

/* Parse a request of len bytes (pure). Returns 0, or -EPROTO (bad magic or version, not AF_UNIX,
 * unterminated path, too short). */
int endpoint_parse_request(const uint8_t *buf, size_t len, struct vde_request *req);

int endpoint_init(struct ev_loop *loop, const char *run_dir, gid_t group);
void endpoint_exit(void);
/* Make RUN_DIR/net/NAME with its ctl listener for net. */
int endpoint_create(struct network *net, const char *run_dir, gid_t group, struct vde_error *e);
/* Close pending handshakes and the listener, remove the directory (its ports are gone already). */
void endpoint_destroy(struct network *net);

#endif
