/* Sending and receiving one file descriptor with a message over a UNIX socket (SCM_RIGHTS). */
#ifndef VDE_FDPASS_H
#define VDE_FDPASS_H

#include <sys/types.h>

/* sendmsg(buf) with fd attached (fd < 0: none), MSG_NOSIGNAL. Returns bytes sent or -errno.
 * The fd stays the caller's. */
ssize_t fdpass_send(int sock, const void *buf, size_t len, int fd);
/* recvmsg into buf; *fd gets a received descriptor (O_CLOEXEC) or -1. Extra descriptors are closed.
 * Returns bytes read (0 at EOF) or -errno. */
ssize_t fdpass_recv(int sock, void *buf, size_t len, int *fd);

#endif
