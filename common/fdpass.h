/* Sending and receiving one file descriptor with a message over a UNIX socket (SCM_RIGHTS). */
#ifndef VDE_FDPASS_H
#define VDE_FDPASS_H

#include <sys/types.h>

#define FDPASS_MAX 4			/* descriptors one message may carry */

/* sendmsg(buf) with fd attached (fd < 0: none), MSG_NOSIGNAL. Returns bytes sent or -errno.
 * The fd stays the caller's. */
ssize_t fdpass_send(int sock, const void *buf, size_t len, int fd);
/* recvmsg into buf; *fd gets a received descriptor (O_CLOEXEC) or -1. Extra descriptors are closed.
 * Returns bytes read (0 at EOF) or -errno. */
ssize_t fdpass_recv(int sock, void *buf, size_t len, int *fd);

/* The same with up to FDPASS_MAX descriptors (-EINVAL beyond): fds stay the caller's. */
ssize_t fdpass_sendv(int sock, const void *buf, size_t len, const int *fds, unsigned nfds);
/* The same receiving up to max descriptors into fds (*nfds of them, O_CLOEXEC, the caller's); extra
 * ones are closed. Returns bytes read (0 at EOF) or -errno. */
ssize_t fdpass_recvv(int sock, void *buf, size_t len, int *fds, unsigned max, unsigned *nfds);

#endif
