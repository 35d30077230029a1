/*
 * vdectl call: the one connection to vded, one request at a time (libvdeclient), lists gathered
 * page by page, vded's errors mapped to vdectl's exit codes, and the timeout (-t) that keeps a
 * stuck vded from hanging vdectl.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "proto.h"
#include "vdeclient.h"
#include "vdectl.h"

static struct vdeclient *conn;	/* connected on first use, closed at exit */

int call_fd(void)
{
	return conn ? vdeclient_fd(conn) : -1;
}

void call_close(void)
{
	vdeclient_close(conn);
	conn = NULL;
}

/* the one table (common/proto.c): a code this vdectl does not know counts as internal */
static int exit_code_for(const char *code)
{
	return proto_err_exit(proto_err_from_code(code));
}

/*
 * The timeout (opt_timeout seconds, 0: none). A vded that is stuck still has its socket: the kernel
 * completes the connect until the listen backlog is full, takes the request into the socket buffer,
 * and then nothing answers. So every wait is bounded: the connect by SIGALRM (libvdeclient makes and
 * connects the socket in one call, so no option can be set on it before), every send and receive
 * after it by SO_SNDTIMEO and SO_RCVTIMEO, which end a blocking call that waits that long with
 * EAGAIN. Those bound only blocking calls: attach's poll() of the connection, which lasts as long as
 * CMD by design, is not limited.
 */
static volatile sig_atomic_t call_alarmed;

static void call_on_alarm(int sig)
{
	(void)sig;
	call_alarmed = 1;
}

/* Run connect under the alarm; old keeps SIGALRM's disposition for call_alarm_off(). */
static void call_alarm_on(struct sigaction *old)
{
	/* no SA_RESTART, so that the signal ends a connect() that waits; the interval sends it again
	 * should the first one come before connect() began to wait */
	struct sigaction sa = { .sa_handler = call_on_alarm };
	struct itimerval it = { .it_value = { .tv_sec = opt_timeout }, .it_interval = { .tv_sec = 1 } };

	call_alarmed = 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, old);
	setitimer(ITIMER_REAL, &it, NULL);
}

static void call_alarm_off(const struct sigaction *old)
{
	struct itimerval off = { { 0, 0 }, { 0, 0 } };

	/* a signal of the timer is delivered before setitimer() returns: none is left for old */
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, old, NULL);
}

/* Bound every send and receive on the connection's socket. 0 or -errno. */
static int call_socket_timeouts(int sock)
{
	struct timeval tv = { .tv_sec = opt_timeout };

	if (setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return -errno;
	return 0;
}

static int call_timed_out(void)
{
	char msg[64];

	snprintf(msg, sizeof(msg), "vded did not answer within %u s", opt_timeout);
	errmsg("%s", msg);
	print_json_error(NULL, "timeout", ETIMEDOUT, msg);
	return VDECTL_ERROR;
}

static int call_connect(void)
{
	const char *path = opt_socket ? opt_socket : vdeclient_default_socket();
	const char *hint = "";
	char msg[PATH_MAX + 128];
	struct sigaction old;
	int ret, denied;

	if (opt_timeout)
		call_alarm_on(&old);
	ret = vdeclient_connect(path, &conn);
	if (opt_timeout)
		call_alarm_off(&old);
	if (ret == -EINTR && call_alarmed)
		return call_timed_out();
	if (ret == 0 && opt_timeout && (ret = call_socket_timeouts(vdeclient_fd(conn))) < 0) {
		call_close();
		errmsg("cannot set the timeout on the connection: %s", strerror(-ret));
		return VDECTL_ERROR;
	}
	if (ret == 0)
		return VDECTL_OK;
	denied = ret == -EACCES || ret == -EPERM;
	if (ret == -ENOENT || ret == -ECONNREFUSED)
		hint = " (is vded running?)";
	else if (denied)
		hint = " (are you in the socket's group?)";
	snprintf(msg, sizeof(msg), "cannot connect to %s: %s%s", path, strerror(-ret), hint);
	errmsg("%s", msg);
	print_json_error(NULL, denied ? "permission-denied" : "unavailable", -ret, msg);
	return denied ? VDECTL_DENIED : VDECTL_ERROR;
}

/*
 * vded refuses a connection over its caps (V14) with one error line and hangs up at once; a request
 * sent after that fails with EPIPE, but the line is still queued on our side. Returns that error
 * object (the caller puts it), or NULL if nothing is there. Only called before any reply was read, so
 * libvdeclient holds no part of the line.
 */
static struct json_object *call_pending_error(void)
{
	struct json_object *reply, *error;
	char line[1024];
	ssize_t n = recv(vdeclient_fd(conn), line, sizeof(line) - 1, MSG_DONTWAIT);
	char *nl;

	if (n <= 0)
		return NULL;
	line[n] = '\0';
	nl = strchr(line, '\n');
	if (!nl)
		return NULL;
	*nl = '\0';
	reply = json_tokener_parse(line);
	if (!reply || !json_object_object_get_ex(reply, "error", &error) ||
	    !json_object_is_type(error, json_type_object)) {
		json_object_put(reply);
		return NULL;
	}
	json_object_get(error);
	json_object_put(reply);
	return error;
}

/* Print vded's error object (taken) and return the exit code for its code. */
static int call_error(struct json_object *error)
{
	const char *code = "internal", *message = NULL;
	struct json_object *v;
	char *clean;
	int ret;

	if (json_object_object_get_ex(error, "code", &v) && json_object_is_type(v, json_type_string))
		code = json_object_get_string(v);
	if (json_object_object_get_ex(error, "message", &v) && json_object_is_type(v, json_type_string))
		message = json_object_get_string(v);
	clean = sanitize(message && *message ? message : code);
	errmsg("%s", clean);
	free(clean);
	print_json_error(error, NULL, 0, NULL);
	ret = exit_code_for(code);
	json_object_put(error);
	return ret;
}

int call(const char *method, struct json_object *params, struct json_object **result, int *fd)
{
	static int replies;	/* read on this connection: after one, no refusal line can be pending */
	struct json_object *error = NULL;
	int ret;

	if (!conn) {
		ret = call_connect();
		if (ret) {
			json_object_put(params);
			return ret;
		}
	}
	ret = vdeclient_call(conn, method, params, result, &error, fd);
	if (ret == 0) {
		replies++;
		return VDECTL_OK;
	}
	if (ret == -EPROTO && error) {
		replies++;
		return call_error(error);
	}
	if (ret == -EPIPE && !replies && (error = call_pending_error()) != NULL)
		return call_error(error);
	/* the socket blocks: EAGAIN only comes from SO_SNDTIMEO or SO_RCVTIMEO */
	if (ret == -EAGAIN || ret == -EWOULDBLOCK)
		return call_timed_out();
	if (ret == -ECONNRESET)
		errmsg("%s: vded closed the connection", method);
	else
		errmsg("%s: %s", method, strerror(-ret));
	return VDECTL_ERROR;
}

/*
 * Call a method whose list comes in pages (V15) and gather every page into the first one's result,
 * so that tables and -j show the whole list: the array under key grows, "next_offset" ends null.
 * params is taken (NULL: none). A daemon that does not page answers without "next_offset": one call.
 */
int call_all_pages(const char *method, struct json_object *params, const char *key,
		   struct json_object **result)
{
	struct json_object *all = NULL, *copy = NULL, *page, *arr, *more, *next, *v;
	int64_t last = -1;
	int ret;

	if (params && json_object_deep_copy(params, &copy, NULL) < 0)
		copy = NULL;
	ret = call(method, copy, &all, NULL);
	while (ret == VDECTL_OK && json_object_object_get_ex(all, "next_offset", &next) &&
	       json_object_is_type(next, json_type_int) && json_object_object_get_ex(all, key, &arr) &&
	       json_object_is_type(arr, json_type_array)) {
		int64_t off = json_object_get_int64(next);

		/* each page must move on, or a confused daemon would keep us here */
		if (off <= last) {
			errmsg("%s: vded sent next_offset %lld twice", method, (long long)off);
			ret = VDECTL_ERROR;
			break;
		}
		last = off;
		copy = NULL;
		if (params && json_object_deep_copy(params, &copy, NULL) < 0)
			copy = NULL;
		if (!copy)
			copy = json_object_new_object();
		json_object_object_add(copy, "offset", json_object_new_int64(off));
		ret = call(method, copy, &page, NULL);
		if (ret != VDECTL_OK)
			break;
		if (!json_object_object_get_ex(page, key, &more) || !json_object_is_type(more, json_type_array))
			more = NULL;
		for (size_t i = 0; more && i < json_object_array_length(more); i++)
			json_object_array_add(arr, json_object_get(json_object_array_get_idx(more, i)));
		if (json_object_object_get_ex(page, "total", &v))
			json_object_object_add(all, "total", json_object_get(v));
		json_object_object_get_ex(page, "next_offset", &v);
		json_object_object_add(all, "next_offset", json_object_get(v));
		json_object_put(page);
	}
	json_object_put(params);
	if (ret != VDECTL_OK) {
		json_object_put(all);
		return ret;
	}
	*result = all;
	return VDECTL_OK;
}

int call_next(struct json_object **msg)
{
	struct timeval none = { 0, 0 };
	int ret;

	if (!conn) {
		errmsg("not connected");
		return VDECTL_ERROR;
	}
	setsockopt(vdeclient_fd(conn), SOL_SOCKET, SO_RCVTIMEO, &none, sizeof(none));
	do
		ret = vdeclient_read(conn, msg);
	while (ret == -EINTR);
	if (ret == 0)
		return VDECTL_OK;
	if (ret == -ECONNRESET)
		errmsg("vded closed the connection");
	else
		errmsg("reading events: %s", strerror(-ret));
	return VDECTL_ERROR;
}

int call_print(const char *method, struct request *req, enum print_kind kind)
{
	struct json_object *result, *params = req->params;
	int ret;

	req->params = NULL;
	ret = call(method, params, &result, NULL);
	if (ret)
		return ret;
	print_result(kind, result);
	json_object_put(result);
	return VDECTL_OK;
}

int call_print_all(const char *method, struct request *req, const char *key, enum print_kind kind)
{
	struct json_object *result, *params = req->params;
	int ret;

	req->params = NULL;
	ret = call_all_pages(method, params, key, &result);
	if (ret)
		return ret;
	print_result(kind, result);
	json_object_put(result);
	return VDECTL_OK;
}
