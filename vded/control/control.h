/* control — the control socket: accept, peer credentials, NDJSON framing with a size limit, fd passing,
 * bounded output. Requests go to methods_handle_line(); nothing else here knows about methods. */
#ifndef VDED_CONTROL_H
#define VDED_CONTROL_H

#include <sys/types.h>
#include <ev.h>

/* Listen on path (mode 0660, group `group`), replacing a stale socket but refusing a live one
 * (-EADDRINUSE: another vded runs). Returns 0 or -errno. */
int control_init(struct ev_loop *loop, const char *path, gid_t group);
/* Only make the listening socket at path (root-owned run dir: before the privilege split), group
 * group, mode 0660; control_adopt() it in the engine. Returns the fd or -errno. */
int control_listen(const char *path, gid_t group);
/* Serve on an inherited listening socket (systemd socket activation); it is not unlinked at exit. */
int control_adopt(struct ev_loop *loop, int fd);
/* Take back the previous life's kept connections and the attach ports they held (keep.h). After
 * control_adopt() and the networks' replay, before keep_finish(). */
void control_resume(void);
/* Close every connection (their attached ports go too) and remove the socket. */
void control_exit(void);

#endif
