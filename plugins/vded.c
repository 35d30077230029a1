/*
 * vded://NETWORK[/description=TEXT/port=N/socket=PATH] — a port on a vded network, asked of the daemon
 * over its control socket (network.attach, doc/protocol.md). The reply carries the data fd (an AF_UNIX
 * datagram socket, one raw frame per datagram) by SCM_RIGHTS; the control connection is the ctl fd
 * and must stay open, since the port lives exactly as long as it does.
 *
 * Control socket: socket=PATH, else $VDED_SOCKET, else /run/vde/vded.sock.
 * errno on failure: ECONNREFUSED no daemon (the socket file missing counts as no daemon too), EACCES
 * the socket's permissions keep the caller out, EINVAL a bad locator or network name (refused here,
 * before connecting), ENOMEM. An error the daemon answers maps through common/proto.c's one table,
 * as for every client: ENOENT not-found, EACCES permission-denied, EINVAL invalid-params or
 * invalid-request, EEXIST exists (the port number is taken), ENOSPC limit, EOPNOTSUPP unsupported,
 * EMSGSIZE too-large, EBADMSG parse-error, EIO internal and any code this build does not know.
 */
#include <errno.h>
#include <stdbool.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libvdeplug_mod.h>
#include "sendwait.h"

#include "proto.h"
#include "vdeclient.h"

#define MAX_DESCR 255		/* network.attach's limit */

struct vded_conn {
	void *handle;
	struct vdeplug_module *module;
	int datafd;
	struct vdeclient *client;
	bool sndtimeo_set;		/* see sendwait.h */
};

/* The daemon's error object ({code, errno, message}) → errno, by the one table of common/proto.c. The
 * code decides, not the object's errno field: for internal errors that field is whatever system call
 * failed inside vded, which means nothing to the caller's program. */
static int attach_errno(struct json_object *error)
{
	struct json_object *code;
	const char *s = NULL;

	if (error && json_object_object_get_ex(error, "code", &code) && json_object_is_type(code, json_type_string))
		s = json_object_get_string(code);
	return proto_err_errno(s ? proto_err_from_code(s) : PROTO_ERR_INTERNAL);
}

static VDECONN *vded_open(char *vnl, char *descr, int interface_version, struct vde_open_args *open_args)
{
	char *description = NULL, *portstr = NULL, *sockpath = NULL;
	struct vdeparms parms[] = {
		{ "description", &description }, { "port", &portstr }, { "socket", &sockpath }, { NULL, NULL },
	};
	struct json_object *params, *result = NULL, *error = NULL;
	struct vdeclient *client = NULL;
	struct vded_conn *c;
	long port = open_args ? open_args->port : 0;
	int fd = -1, rc, err;

	if (vde_parseparms(vnl, parms) != 0) {
		errno = EINVAL;
		return NULL;
	}
	if (!proto_valid_name(vnl)) {
		errno = EINVAL;
		return NULL;
	}
	if (portstr) {
		char *end;

		errno = 0;
		port = strtol(portstr, &end, 10);
		if (errno || end == portstr || *end || port < 0 || port > INT_MAX) {
			errno = EINVAL;
			return NULL;
		}
	}
	if (!description)
		description = descr;
	if (sockpath && !*sockpath)
		sockpath = NULL;

	rc = vdeclient_connect(sockpath, &client);
	if (rc < 0) {
		/* no socket file and nobody listening on it both mean: no daemon */
		errno = rc == -ENOENT || rc == -ECONNREFUSED ? ECONNREFUSED : -rc;
		return NULL;
	}
	params = json_object_new_object();
	if (!params) {
		err = ENOMEM;
		goto fail;
	}
	json_object_object_add(params, "network", json_object_new_string(vnl));
	if (description && *description)
		json_object_object_add(params, "description",
				       json_object_new_string_len(description, (int)strnlen(description, MAX_DESCR)));
	if (port > 0)
		json_object_object_add(params, "port", json_object_new_int64(port));
	rc = vdeclient_call(client, "network.attach", params, &result, &error, &fd);
	if (rc == -EPROTO) {
		err = attach_errno(error);
		goto fail;
	}
	if (rc < 0) {
		/* the daemon went away mid-call, or spoke nonsense */
		err = rc == -ECONNRESET || rc == -EPIPE ? ECONNREFUSED : EIO;
		goto fail;
	}
	if (fd < 0) {
		err = EIO;
		goto fail;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		err = ENOMEM;
		goto fail;
	}
	json_object_put(result);
	c->datafd = fd;
	c->client = client;
	return (VDECONN *)c;
fail:
	json_object_put(result);
	json_object_put(error);
	if (fd >= 0)
		close(fd);
	vdeclient_close(client);
	errno = err;
	return NULL;
}

static ssize_t vded_recv(VDECONN *conn, void *buf, size_t len, int flags)
{
	return dgram_recv_frame(((struct vded_conn *)conn)->datafd, buf, len, flags);
}

static ssize_t vded_send(VDECONN *conn, const void *buf, size_t len, int flags)
{
	struct vded_conn *c = (struct vded_conn *)conn;

	return dgram_send_frame(c->datafd, buf, len, &c->sndtimeo_set);
}

static int vded_datafd(VDECONN *conn)
{
	return ((struct vded_conn *)conn)->datafd;
}

static int vded_ctlfd(VDECONN *conn)
{
	return vdeclient_fd(((struct vded_conn *)conn)->client);
}

static int vded_close(VDECONN *conn)
{
	struct vded_conn *c = (struct vded_conn *)conn;

	close(c->datafd);
	vdeclient_close(c->client);
	free(c);
	return 0;
}

__attribute__((visibility("default"))) struct vdeplug_module vdeplug_ops = {
	.vde_open_real = vded_open,
	.vde_recv = vded_recv,
	.vde_send = vded_send,
	.vde_datafd = vded_datafd,
	.vde_ctlfd = vded_ctlfd,
	.vde_close = vded_close,
};
