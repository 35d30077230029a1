/* sdnotify — systemd's notification protocol (sd_notify(3)), written out: one datagram to
 * $NOTIFY_SOCKET, optionally with one descriptor (FDSTORE=1). Only the main process sends them
 * (the unit keeps NotifyAccess=main). */
#ifndef VDED_SDNOTIFY_H
#define VDED_SDNOTIFY_H

#include <stdbool.h>

/* Whether $NOTIFY_SOCKET is set (vded runs under a service manager that listens). */
bool sdnotify_enabled(void);
/* Send state ("READY=1\n...") with fd attached (fd < 0: none). 0 or -errno (-ENOTCONN: no socket). */
int sdnotify_send(const char *state, int fd);

#endif
