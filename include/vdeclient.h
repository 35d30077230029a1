/*
 * vdeclient — a small client for vded's control socket (doc/protocol.md), internal to this tree:
 * libvdeclient/vdeclient.c is compiled into vdectl, the vded:// module and the test and bench tools,
 * and neither it nor this header is installed (its calls trade json-c objects, which would make
 * json-c's ABI part of ours). Programs outside the tree speak the protocol itself, or open
 * vded://NETWORK through libvdeplug. An error reply's "code" maps to an errno through common/proto.h
 * (proto_err_from_code, proto_err_errno), the one table.
 * All functions return 0 or a negative errno; they never exit or print.
 */
#ifndef VDECLIENT_H
#define VDECLIENT_H

#include <json-c/json.h>

struct vdeclient;

/* The socket path a client uses when none is given: $VDED_SOCKET, else /run/vde/vded.sock. */
const char *vdeclient_default_socket(void);

/* Connect to vded at path (NULL: the default). On success *out owns the connection. */
int vdeclient_connect(const char *path, struct vdeclient **out);

/*
 * One request/reply round trip. params is taken (json_object_put by the callee, NULL for none).
 * On a result reply returns 0 and *result owns the "result" object (caller puts it).
 * On an error reply returns -EPROTO and *error owns the "error" object ({code, errno, message}).
 * fd (may be NULL) receives a descriptor passed with the reply, or -1; the caller closes it.
 * Other negative errno values are transport failures (the connection is then unusable); a reply
 * line longer than PROTO_MAX_REPLY (1 MiB, the most vded sends) gives -EMSGSIZE. Lists that grow
 * with a table come a page at a time: pass "offset" (the reply's "next_offset") until it is null.
 */
int vdeclient_call(struct vdeclient *c, const char *method, struct json_object *params,
		   struct json_object **result, struct json_object **error, int *fd);

/*
 * The next line vded sends that answers no request: an event of a subscription (events.subscribe),
 * {"event": {...}}. Blocks until one comes. 0 with *msg owned by the caller, -EBADMSG for a line that
 * is not a JSON object, or a transport error (-ECONNRESET when vded closed the connection).
 */
int vdeclient_read(struct vdeclient *c, struct json_object **msg);

/* The connection's socket: kept open, it keeps alive the ports attached through it. */
int vdeclient_fd(const struct vdeclient *c);

/* Close the connection (ports attached through it go away) and free it. NULL is fine. */
void vdeclient_close(struct vdeclient *c);

#endif
