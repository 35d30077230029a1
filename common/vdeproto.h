/*
 * vdeproto — the vde_switch port request (doc/vde-wire.md §3), parsed without side effects so that
 * it can be unit-tested and fuzzed on its own.
 */
#ifndef VDED_VDEPROTO_H
#define VDED_VDEPROTO_H

#include <stddef.h>
#include <stdint.h>

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
int vdeproto_parse_request(const uint8_t *buf, size_t len, struct vde_request *req);

#endif
