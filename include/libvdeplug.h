/*
 * libvdeplug — the VDE plug API, binary-compatible with vdeplug4's libvdeplug.so.2 (doc/vde-wire.md §1).
 * Programs built against vdeplug4 (QEMU, VirtualBox, vde_plug, vdens) run on this library unchanged.
 */
#ifndef _VDELIB_H
#define _VDELIB_H

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LIBVDEPLUG_INTERFACE_VERSION 1
#define VDE_MAXMTU 9216
/* largest frame: MTU + Ethernet header + one 802.1Q tag */
#define VDE_ETHBUFSIZE (VDE_MAXMTU + 14 + 4)

struct vdeconn;
typedef struct vdeconn VDECONN;

/* Options for the vde:// family: requested port (0 any), group and mode of the client's socket
 * (mode 0 means the default, 0700). */
struct vde_open_args {
	int port;
	char *group;
	mode_t mode;
};

#define vde_open(vde_url, descr, open_args) \
	vde_open_real((vde_url), (descr), LIBVDEPLUG_INTERFACE_VERSION, (open_args))

/* Open a connection to the network named by a locator ("scheme://address[/opts]{nested}").
 * Returns NULL with errno set (EPROTONOSUPPORT: no module for the scheme). */
VDECONN *vde_open_real(char *vde_url, char *descr, int interface_version, struct vde_open_args *open_args);
/* One frame into buf. Returns its length, 1 for "a frame arrived but it is not for you",
 * 0 when the peer closed, -1 with errno on error. Does not block when vde_datafd() is readable. */
ssize_t vde_recv(VDECONN *conn, void *buf, size_t len, int flags);
/* Send one frame. Returns len or -1 with errno. */
ssize_t vde_send(VDECONN *conn, const void *buf, size_t len, int flags);
/* A descriptor to poll for incoming frames. */
int vde_datafd(VDECONN *conn);
/* A descriptor that reads EOF when the connection is hung up, or -1. */
int vde_ctlfd(VDECONN *conn);
/* Close and free the connection. */
int vde_close(VDECONN *conn);

/* vdestream: frames over a byte stream, each prefixed by its 16-bit big-endian length. */
struct vdestream;
typedef struct vdestream VDESTREAM;

#define PACKET_LENGTH_ERROR 1

VDESTREAM *vdestream_open(void *opaque, int fdout,
			  ssize_t (*frecv)(void *opaque, void *buf, size_t count),
			  void (*ferr)(void *opaque, int type, char *format, ...));
/* Write one frame with its header to fdout. */
ssize_t vdestream_send(VDESTREAM *vdestream, const void *buf, size_t len);
/* Feed len bytes read from the stream; each complete frame goes to frecv. */
void vdestream_recv(VDESTREAM *vdestream, unsigned char *buf, size_t len);
void vdestream_close(VDESTREAM *vdestream);

#ifdef __cplusplus
}
#endif

#endif
