#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/control.h"
#include "fdpass.h"
#include "keep.h"
#include "dataplane/network.h"
#include "listener.h"
#include "log.h"
#include "control/events.h"
#include "control/methods.h"
#include "control/policy.h"

/*
 * Connections are counted per uid (V14): a uid that is neither root nor in the admin group holds at most
 * a per-uid share (each attached port holds one), and all of them together leave the last few slots to
 * root and admins, so a few users cannot lock them out. The caps follow the descriptor limit: control
 * connections may use half of it (at most CONTROL_MAX_CONNS), so a flood meets a cap and is refused
 * with an answer long before vded runs out of descriptors and every client has to wait.
 */
#define CONTROL_MAX_CONNS 1024
#define CONTROL_MAX_CONNS_PER_UID 128
#define CONTROL_MIN_CONNS 16		/* even at a tiny RLIMIT_NOFILE */

struct ctl_caps {
	unsigned total, reserved, per_uid;
};

/*
 * Output (V15): one reply is at most PROTO_MAX_REPLY (a larger one is answered with too-large instead).
 * Reading stops while more than CONTROL_READ_PAUSE bytes wait, so a client that reads its replies
 * never holds more than that plus one reply: the cap is met only by one that pipelines requests and
 * does not read the answers, and that one is dropped.
 */
#define CONTROL_READ_PAUSE PROTO_MAX_REPLY
#define CONTROL_MAX_PENDING (CONTROL_READ_PAUSE + PROTO_MAX_REPLY)
#define CONTROL_LOG_INTERVAL 10.0	/* seconds between two "refused" lines */
/* A subscriber's event lines wait up to this many bytes (with its replies); past it they are dropped
 * and counted (events.h), so a subscriber that does not read costs at most this much. */
#define CONTROL_EVENTS_QUEUE (256 * 1024)

struct out_msg {
	struct out_msg *next;
	int fd;				/* sent with the first byte, then closed here */
	size_t len, off;
	char data[];
};

struct ctl_conn {
	int fd;
	ev_io rio, wio;
	struct peer peer;
	char *in;			/* partial request line; allocated only while one is pending */
	size_t in_len;
	struct out_msg *out_head, *out_tail;
	size_t out_bytes;
	struct port *ports;		/* attach ports living as long as this connection */
	int fd_in;			/* a descriptor received with the request being read, or -1 */
	bool eof;			/* the client shut its side: send what is queued, then close */
	unsigned keep_id;		/* kept as k/conn/ID while it holds ports (keep.h); 0: not kept */
	struct events_sub *sub;		/* events.subscribe made it a subscriber, or NULL */
	struct ctl_conn *next;
};

static struct ev_loop *ctl_loop;
static int ctl_lfd = -1;
static struct listener ctl_listener;
static char ctl_path[PATH_MAX];
static struct ctl_conn *ctl_conns;
static unsigned ctl_nconns;
static unsigned ctl_refused;			/* since the last "refused" log line */
static unsigned ctl_keep_seq;			/* the last keep_id given (above every inherited one) */
static ev_tstamp ctl_refused_logged;

static void ctl_port_release(struct port *p)
{
	struct ctl_conn *c = p->owner;

	for (struct port **pp = &c->ports; *pp; pp = &(*pp)->owner_next) {
		if (*pp == p) {
			*pp = p->owner_next;
			break;
		}
	}
	p->owner = NULL;
}

static void ctl_keep_name(char *buf, size_t size, unsigned id)
{
	snprintf(buf, size, "k/conn/%u", id);
}

/* p lives as long as c from now on. */
static void ctl_link_port(struct ctl_conn *c, struct port *p)
{
	p->owner = c;
	p->release = ctl_port_release;
	p->owner_next = c->ports;
	c->ports = p;
}

static void ctl_adopt(void *conn, struct port *p)
{
	struct ctl_conn *c = conn;
	char name[32];

	ctl_link_port(c, p);
	/* the port lives as long as this connection, in this life and the next: keep both together */
	if (!c->keep_id) {
		c->keep_id = ++ctl_keep_seq;
		ctl_keep_name(name, sizeof(name), c->keep_id);
		keep_fd(name, c->fd);
	}
	keep_port_set(p, "conn", json_object_new_int64(c->keep_id));
}

static void ctl_conn_free(struct ctl_conn *c)
{
	for (struct ctl_conn **pp = &ctl_conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	ctl_nconns--;
	/* first: the ports closed below are events, and this connection hears them no more */
	events_unsubscribe(c->sub);
	c->sub = NULL;
	if (c->keep_id) {
		char name[32];
		ctl_keep_name(name, sizeof(name), c->keep_id);
		keep_forget(name);
	}
	while (c->ports) {
		struct port *p = c->ports;
		c->ports = p->owner_next;
		p->owner = NULL;
		log_info("network %s: port %u closed with its control connection (pid %d)", p->net->def.name,
			 p->id, (int)c->peer.pid);
		network_port_kill(p);
	}
	while (c->out_head) {
		struct out_msg *m = c->out_head;
		c->out_head = m->next;
		if (m->fd >= 0)
			close(m->fd);
		free(m);
	}
	ev_io_stop(ctl_loop, &c->rio);
	ev_io_stop(ctl_loop, &c->wio);
	if (c->fd_in >= 0)
		close(c->fd_in);
	close(c->fd);
	free(c->in);
	free(c);
}

/* Write what can be written now. Returns 0, or -1 if the connection failed (caller frees it). */
static int ctl_flush(struct ctl_conn *c)
{
	while (c->out_head) {
		struct out_msg *m = c->out_head;
		ssize_t n = fdpass_send(c->fd, m->data + m->off, m->len - m->off, m->off == 0 ? m->fd : -1);

		if (n == -EAGAIN) {
			ev_io_start(ctl_loop, &c->wio);
			return 0;
		}
		if (n < 0)
			return -1;
		if (m->fd >= 0) {
			close(m->fd);	/* the client has its copy now */
			m->fd = -1;
		}
		m->off += (size_t)n;
		c->out_bytes -= (size_t)n;
		if (m->off < m->len)
			continue;
		c->out_head = m->next;
		if (!c->out_head)
			c->out_tail = NULL;
		free(m);
	}
	ev_io_stop(ctl_loop, &c->wio);
	return 0;
}

static const char *ctl_render(struct json_object *reply, size_t *len)
{
	const char *text = json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

	*len = text ? strlen(text) : 0;
	return text;
}

/* Fill m (room for len + 1 bytes) with text and a newline, and queue it last (m takes fd). */
static void ctl_append(struct ctl_conn *c, struct out_msg *m, const char *text, size_t len, int fd)
{
	memcpy(m->data, text, len);
	m->data[len] = '\n';
	m->len = len + 1;
	m->off = 0;
	m->fd = fd;
	m->next = NULL;
	if (c->out_tail)
		c->out_tail->next = m;
	else
		c->out_head = m;
	c->out_tail = m;
	c->out_bytes += m->len;
}

/* Queue one reply (takes fd). Returns 0, or -1 if the client is over its output cap (or memory ran out). */
static int ctl_queue(struct ctl_conn *c, struct json_object *reply, int fd)
{
	struct json_object *big = NULL, *id = NULL;
	struct out_msg *m;
	size_t len;
	const char *text = ctl_render(reply, &len);

	if (text && len + 1 > PROTO_MAX_REPLY) {
		/* A method that does not page enough: the client is not at fault, tell it and keep it. */
		struct vde_error e;

		vde_error_set(&e, PROTO_ERR_TOO_LARGE, EMSGSIZE, "the reply would be %zu bytes, over %d; "
			      "ask for less (offset/limit)", len + 1, PROTO_MAX_REPLY);
		log_warn("pid %d: a reply of %zu bytes exceeds %d, sent too-large instead", (int)c->peer.pid,
			 len + 1, PROTO_MAX_REPLY);
		json_object_object_get_ex(reply, "id", &id);
		big = methods_error_reply(id, &e);
		text = ctl_render(big, &len);
		if (fd >= 0) {
			close(fd);
			fd = -1;
		}
	}
	m = text ? malloc(sizeof(*m) + len + 1) : NULL;
	if (!m || c->out_bytes + len + 1 > CONTROL_MAX_PENDING) {
		free(m);
		json_object_put(big);
		if (fd >= 0)
			close(fd);
		if (text)
			log_warn("pid %d: over %d bytes of replies unread, dropping the connection", (int)c->peer.pid,
				 CONTROL_MAX_PENDING);
		else
			log_warn("pid %d: out of memory for a reply, dropping the connection", (int)c->peer.pid);
		return -1;
	}
	ctl_append(c, m, text, len, fd);
	json_object_put(big);
	return 0;
}

/* An event line for a subscriber (events_sink): queued behind its replies, within its bound, and
 * written from the loop (never from the emitter's call, which may be inside another object's). */
static int ctl_event_write(void *conn, const char *line, size_t len)
{
	struct ctl_conn *c = conn;
	struct out_msg *m;

	if (c->eof || c->out_bytes + len + 1 > CONTROL_EVENTS_QUEUE)
		return -ENOBUFS;
	m = malloc(sizeof(*m) + len + 1);
	if (!m)
		return -ENOBUFS;
	ctl_append(c, m, line, len, -1);
	ev_io_start(ctl_loop, &c->wio);
	return 0;
}

static const struct events_sink ctl_sink = { .write = ctl_event_write };

static int ctl_handle_line(struct ctl_conn *c, const char *line, size_t len)
{
	struct request_ctx ctx = { .peer = &c->peer, .conn = c, .adopt = ctl_adopt, .fd_out = -1, .fd_in = c->fd_in,
				   .sub = &c->sub, .sink = &ctl_sink };
	struct json_object *reply;
	int ret;

	/* a descriptor belongs to the request it came with: whatever the handler does not keep is closed */
	c->fd_in = -1;
	reply = methods_handle_line(line, len, &ctx);
	if (ctx.fd_in >= 0)
		close(ctx.fd_in);
	ret = ctl_queue(c, reply, ctx.fd_out);

	json_object_put(reply);
	return ret;
}

static void ctl_send_too_large(struct ctl_conn *c)
{
	struct vde_error e;
	struct json_object *reply;

	vde_error_set(&e, PROTO_ERR_TOO_LARGE, EMSGSIZE, "request exceeds %d bytes; closing the connection",
		      PROTO_MAX_MSG);
	reply = methods_error_reply(NULL, &e);
	if (ctl_queue(c, reply, -1) == 0)
		ctl_flush(c);
	json_object_put(reply);
	log_info("pid %d: request over %d bytes, connection closed", (int)c->peer.pid, PROTO_MAX_MSG);
}

static void ctl_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl_conn *c = w->data;
	size_t start = 0;
	ssize_t n;

	if (!c->in) {
		c->in = malloc(PROTO_MAX_MSG);
		if (!c->in) {
			ctl_conn_free(c);
			return;
		}
	}
	{
		int got = -1;
		n = fdpass_recv(c->fd, c->in + c->in_len, PROTO_MAX_MSG - c->in_len, &got);
		if (got >= 0) {
			/* one descriptor per request: a second one before the line ends replaces nothing */
			if (c->fd_in >= 0)
				close(got);
			else
				c->fd_in = got;
		}
	}
	if (n == -EAGAIN || n == -EINTR)
		return;
	if (n == 0 && c->out_head) {
		/* a client that half-closes after its requests (socat, shell pipes) still gets every answer */
		c->eof = true;
		ev_io_stop(loop, &c->rio);
		return;
	}
	if (n <= 0) {
		ctl_conn_free(c);
		return;
	}
	c->in_len += (size_t)n;
	for (;;) {
		char *nl = memchr(c->in + start, '\n', c->in_len - start);
		if (!nl)
			break;
		size_t len = (size_t)(nl - (c->in + start));
		if (len > 0 && ctl_handle_line(c, c->in + start, len) < 0) {
			ctl_conn_free(c);
			return;
		}
		start += len + 1;
	}
	if (start == 0 && c->in_len == PROTO_MAX_MSG) {
		ctl_send_too_large(c);
		ctl_conn_free(c);
		return;
	}
	c->in_len -= start;
	if (c->in_len)
		memmove(c->in, c->in + start, c->in_len);
	else {
		free(c->in);	/* idle connections (one per attached VM) hold no buffer */
		c->in = NULL;
	}
	if (ctl_flush(c) < 0) {
		ctl_conn_free(c);
		return;
	}
	/* a client that pipelines faster than it reads its replies waits until they drain */
	if (c->out_bytes > CONTROL_READ_PAUSE)
		ev_io_stop(loop, &c->rio);
}

static void ctl_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl_conn *c = w->data;

	if (ctl_flush(c) < 0 || (c->eof && !c->out_head)) {
		ctl_conn_free(c);
		return;
	}
	if (!c->out_head)
		events_drained(c->sub);
	if (!c->eof && c->out_bytes <= CONTROL_READ_PAUSE)
		ev_io_start(loop, &c->rio);
}

static struct ctl_caps ctl_caps_now(void)
{
	struct rlimit rl;
	unsigned total = CONTROL_MAX_CONNS;
	struct ctl_caps caps;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur / 2 < total)
		total = rl.rlim_cur / 2 > CONTROL_MIN_CONNS ? (unsigned)(rl.rlim_cur / 2) : CONTROL_MIN_CONNS;
	caps.total = total;
	caps.reserved = total / 16 > 4 ? total / 16 : 4;		/* 64 of 1024 */
	caps.per_uid = total / 8 < CONTROL_MAX_CONNS_PER_UID ? total / 8 : CONTROL_MAX_CONNS_PER_UID;
	if (caps.per_uid < 2)
		caps.per_uid = 2;
	return caps;
}

/* Why peer may not have another connection, or NULL if it may. Root and admins only meet the global cap. */
static const char *ctl_conn_refusal(const struct peer *peer, unsigned *limit)
{
	const struct policy_config *cfg = policy_config();
	bool privileged = peer->uid == 0 || (cfg && policy_peer_in_group(peer, cfg->admin_group));
	struct ctl_caps caps = ctl_caps_now();
	unsigned same = 0;

	if (ctl_nconns >= caps.total) {
		*limit = caps.total;
		return "vded has all the control connections it takes";
	}
	if (privileged)
		return NULL;
	if (ctl_nconns >= caps.total - caps.reserved) {
		*limit = caps.total - caps.reserved;
		return "the remaining control connections are kept for root and admins";
	}
	for (struct ctl_conn *o = ctl_conns; o; o = o->next)
		same += o->peer.uid == peer->uid;
	if (same >= caps.per_uid) {
		*limit = caps.per_uid;
		return "too many control connections from this user";
	}
	return NULL;
}

/* Tell a refused client why in one error line (best effort: its socket is new, so there is room) and
 * hang up. Logged at most once per interval, with the count since: a flood must not flood the log. */
static void ctl_refuse(int fd, const struct peer *peer, const char *why, unsigned limit)
{
	struct vde_error e;
	struct json_object *reply;
	size_t len;
	const char *text;
	ev_tstamp now = ev_now(ctl_loop);

	vde_error_set(&e, PROTO_ERR_LIMIT, ENOSPC, "%s (%u)", why, limit);
	reply = methods_error_reply(NULL, &e);
	text = ctl_render(reply, &len);
	if (text) {
		char line[512];	/* an error object with a short message */
		int n = snprintf(line, sizeof(line), "%s\n", text);

		if (n > 0 && (size_t)n < sizeof(line) && send(fd, line, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			log_debug("could not tell it: %s", strerror(errno));
	}
	json_object_put(reply);
	close(fd);
	ctl_refused++;
	if (ctl_refused_logged == 0. || now - ctl_refused_logged >= CONTROL_LOG_INTERVAL) {
		log_notice("uid %u pid %d: control connection refused: %s (%u); %u refused in all since the "
			   "last such line", (unsigned)peer->uid, (int)peer->pid, why, limit, ctl_refused);
		ctl_refused = 0;
		ctl_refused_logged = now;
	}
}

static void ctl_conn_start(struct ctl_conn *c)
{
	ev_io_init(&c->rio, ctl_read_cb, c->fd, EV_READ);
	ev_io_init(&c->wio, ctl_write_cb, c->fd, EV_WRITE);
	c->rio.data = c->wio.data = c;
	ev_io_start(ctl_loop, &c->rio);
	c->next = ctl_conns;
	ctl_conns = c;
	ctl_nconns++;
}

static void ctl_accept(struct listener *l, int fd)
{
	struct ctl_conn *c;
	const char *why;
	unsigned limit = 0;

	(void)l;
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->fd = fd;
	c->fd_in = -1;
	if (policy_peer_from_socket(fd, &c->peer) < 0) {
		close(fd);
		free(c);
		return;
	}
	why = ctl_conn_refusal(&c->peer, &limit);
	if (why) {
		ctl_refuse(fd, &c->peer, why, limit);
		free(c);
		return;
	}
	ctl_conn_start(c);
}

/* Kept connections of the previous life come back before anything is accepted: each with the
 * ports it held (attach ports restored with their network, named by the connection's keep id). */
void control_resume(void)
{
	for (struct network *net = network_first(); net; net = net->next) {
		for (struct port *p = net->port_list; p; p = p->net_next) {
			struct json_object *rec = keep_port_current(p);
			long long id = rec ? keep_rec_int(rec, "conn", 0) : 0;
			struct ctl_conn *c;
			char name[32];
			int fd;

			if (id <= 0 || id > UINT32_MAX || p->owner)
				continue;
			for (c = ctl_conns; c && c->keep_id != (unsigned)id; c = c->next)
				;
			if (!c) {
				ctl_keep_name(name, sizeof(name), (unsigned)id);
				fd = keep_claim(name);
				if (fd < 0)
					continue;	/* the connection did not survive: the port goes with it */
				c = calloc(1, sizeof(*c));
				if (!c || policy_peer_from_socket(fd, &c->peer) < 0 || fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
					free(c);
					close(fd);
					continue;
				}
				c->fd = fd;
				c->fd_in = -1;
				c->keep_id = (unsigned)id;
				ctl_conn_start(c);
			}
			if ((unsigned)id > ctl_keep_seq)
				ctl_keep_seq = (unsigned)id;
			ctl_link_port(c, p);
		}
	}
	/* an attach port whose connection did not come back would live for ever: it goes now */
	for (struct network *net = network_first(); net; net = net->next)
		for (struct port *p = net->port_list; p; p = p->net_next) {
			struct json_object *rec = keep_port_current(p);
			if (rec && keep_rec_int(rec, "conn", 0) > 0 && !p->owner)
				network_port_kill(p);
		}
}

int control_listen(const char *path, gid_t group)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int probe, fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	/* a socket that still answers belongs to a running vded: never steal it */
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0) {
		int alive = connect(probe, (struct sockaddr *)&sun, sizeof(sun)) == 0;
		close(probe);
		if (alive)
			return -EADDRINUSE;
	}
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, 128) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	if (chown(path, 0, group) < 0 || chmod(path, 0660) < 0)
		log_warn("%s: cannot set owner/mode: %s", path, strerror(errno));
	return fd;
}

int control_init(struct ev_loop *loop, const char *path, gid_t group)
{
	int fd = control_listen(path, group), ret;

	if (fd < 0)
		return fd;
	ret = control_adopt(loop, fd);
	if (ret < 0) {
		close(fd);
		return ret;
	}
	snprintf(ctl_path, sizeof(ctl_path), "%s", path);
	return 0;
}

int control_adopt(struct ev_loop *loop, int fd)
{
	int type = 0, listening = 0, flags;
	socklen_t len = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_STREAM)
		return -ENOTSOCK;
	len = sizeof(listening);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 || !listening)
		return -EINVAL;
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return -errno;
	ctl_loop = loop;
	ctl_lfd = fd;
	events_init(loop);
	ctl_path[0] = '\0';	/* systemd owns the path */
	return listener_start(loop, &ctl_listener, ctl_lfd, "control socket", ctl_accept, NULL);
}

void control_exit(void)
{
	while (ctl_conns)
		ctl_conn_free(ctl_conns);
	events_exit();
	if (ctl_lfd >= 0) {
		listener_stop(ctl_loop, &ctl_listener);
		close(ctl_lfd);
		ctl_lfd = -1;
		if (ctl_path[0])
			unlink(ctl_path);
	}
}
