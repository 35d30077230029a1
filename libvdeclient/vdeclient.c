#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vdeclient.h"
#include "fdpass.h"
#include "proto.h"

/* Replies are read into a buffer that starts small and grows as a reply needs, up to the largest
 * reply vded may send (PROTO_MAX_REPLY, V15) plus the terminating NUL. */
#define VDECLIENT_BUF_INITIAL 65536
#define VDECLIENT_BUF_MAX (PROTO_MAX_REPLY + 1)

struct vdeclient {
	int sock;
	long next_id;
	size_t len;		/* bytes buffered in buf */
	size_t cap;		/* bytes allocated at buf */
	char *buf;
};

const char *vdeclient_default_socket(void)
{
	const char *env = getenv("VDED_SOCKET");

	return env && *env ? env : VDED_DEFAULT_SOCKET;
}

int vdeclient_connect(const char *path, struct vdeclient **out)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct vdeclient *c;

	if (!path)
		path = vdeclient_default_socket();
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->cap = VDECLIENT_BUF_INITIAL;
	c->buf = malloc(c->cap);
	if (!c->buf) {
		free(c);
		return -ENOMEM;
	}
	c->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->sock < 0 || connect(c->sock, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int err = -errno;
		if (c->sock >= 0)
			close(c->sock);
		free(c->buf);
		free(c);
		return err;
	}
	c->next_id = 1;
	*out = c;
	return 0;
}

int vdeclient_fd(const struct vdeclient *c)
{
	return c->sock;
}

void vdeclient_close(struct vdeclient *c)
{
	if (!c)
		return;
	close(c->sock);
	free(c->buf);
	free(c);
}

static int vdeclient_send_all(int sock, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(sock, buf, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read one reply line into *line (NUL-terminated, inside c->buf); keep any fd that comes with it. */
static int vdeclient_read_line(struct vdeclient *c, char **line, size_t *linelen, int *fd)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		if (nl) {
			*nl = '\0';
			*line = c->buf;
			*linelen = (size_t)(nl - c->buf);
			return 0;
		}
		if (c->len >= c->cap - 1) {
			size_t cap = c->cap * 2 < VDECLIENT_BUF_MAX ? c->cap * 2 : VDECLIENT_BUF_MAX;
			char *buf;

			if (c->len >= cap - 1)
				return -EMSGSIZE;
			buf = realloc(c->buf, cap);
			if (!buf)
				return -ENOMEM;
			c->buf = buf;
			c->cap = cap;
		}
		int got = -1;
		ssize_t n = fdpass_recv(c->sock, c->buf + c->len, c->cap - 1 - c->len, &got);
		if (n < 0)
			return (int)n;
		if (got >= 0) {
			if (*fd >= 0)
				close(got);
			else
				*fd = got;
		}
		if (n == 0)
			return -ECONNRESET;
		c->len += (size_t)n;
	}
}

int vdeclient_read(struct vdeclient *c, struct json_object **msg)
{
	char *line = NULL;
	size_t linelen = 0;
	int fd = -1, ret = vdeclient_read_line(c, &line, &linelen, &fd);

	*msg = NULL;
	if (fd >= 0)
		close(fd);	/* no event carries one */
	if (ret < 0)
		return ret;
	*msg = json_tokener_parse(line);
	c->len -= linelen + 1;
	memmove(c->buf, c->buf + linelen + 1, c->len);
	if (!*msg || !json_object_is_type(*msg, json_type_object)) {
		json_object_put(*msg);
		*msg = NULL;
		return -EBADMSG;
	}
	return 0;
}

int vdeclient_call(struct vdeclient *c, const char *method, struct json_object *params,
		   struct json_object **result, struct json_object **error, int *fd)
{
	struct json_object *req = json_object_new_object(), *reply = NULL, *val;
	int recv_fd = -1, ret;
	long id = c->next_id++;
	const char *text;
	char *line = NULL;
	size_t linelen = 0;

	*result = NULL;
	if (error)
		*error = NULL;
	if (fd)
		*fd = -1;
	json_object_object_add(req, "id", json_object_new_int64(id));
	json_object_object_add(req, "method", json_object_new_string(method));
	if (params)
		json_object_object_add(req, "params", params);
	text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	size_t tlen = strlen(text);
	char *out = malloc(tlen + 2);
	if (!out) {
		json_object_put(req);
		return -ENOMEM;
	}
	memcpy(out, text, tlen);
	out[tlen] = '\n';
	json_object_put(req);
	ret = vdeclient_send_all(c->sock, out, tlen + 1);
	free(out);
	if (ret < 0)
		return ret;

	ret = vdeclient_read_line(c, &line, &linelen, &recv_fd);
	if (ret < 0)
		goto out;
	reply = json_tokener_parse(line);
	/* drop the line (and its newline) from the buffer */
	c->len -= linelen + 1;
	memmove(c->buf, c->buf + linelen + 1, c->len);
	if (!reply || !json_object_is_type(reply, json_type_object)) {
		ret = -EBADMSG;
		goto out;
	}
	if (json_object_object_get_ex(reply, "result", &val)) {
		*result = json_object_get(val);
		ret = 0;
	} else if (json_object_object_get_ex(reply, "error", &val)) {
		if (error)
			*error = json_object_get(val);
		ret = -EPROTO;
	} else {
		ret = -EBADMSG;
	}
out:
	json_object_put(reply);
	if (fd && ret == 0)
		*fd = recv_fd;
	else if (recv_fd >= 0)
		close(recv_fd);
	return ret;
}
