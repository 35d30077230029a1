/*
 * vde://DIR[portgroup/port=N/group=G/mode=OCT] — a client of the vde_switch port protocol
 * (doc/vde-wire.md §3). Serves Debian's vde_switch, vded's per-network endpoints and our switch:// alike.
 *
 * The control stream to DIR/ctl (or DIR/<portgroup>) stays open for the life of the port and is the
 * ctl fd: EOF on it means unplugged. Frames travel one per datagram on a connected SOCK_DGRAM socket.
 */
#include <errno.h>
#include <stdbool.h>
#include <grp.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <libvdeplug_mod.h>
#include "sendwait.h"

#define VDE_MAGIC 0xfeedfaceu
#define VDE_REQ_VERSION 3
#define VDE_SUN_LEN 110		/* sizeof(struct sockaddr_un) on Linux, as on the wire */
#define VDE_REQ_HDR 12
#define DEFAULT_MODE 0700
/* How long a send may wait for room in the switch's queue before the frame is dropped:
 * long enough to give a cable back-pressure, short enough never to freeze a VM's main loop. */
/* Tries per directory for a free data socket name. */
#define BIND_TRIES 1000

_Static_assert(sizeof(struct sockaddr_un) == VDE_SUN_LEN, "sockaddr_un is 110 bytes on the wire");

struct vde_conn {
	void *handle;
	struct vdeplug_module *module;
	int ctlfd;
	int datafd;
	bool sndtimeo_set;		/* see sendwait.h */
};

static const char *const default_dirs[] = { "/var/run/vde.ctl", "/tmp/vde.ctl" };
/* Where the data socket goes when the switch directory is not writable, as vdeplug4. */
static const char *const fallback_dirs[] = { "/var/run", "/var/tmp", "/tmp" };

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static int set_path(struct sockaddr_un *sun, const char *path)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun->sun_path, path);
	return 0;
}

/* Connect a new stream socket to path. Returns the fd or -1 with errno. */
static int connect_stream(const char *path)
{
	struct sockaddr_un sun;
	int fd, err;

	if (set_path(&sun, path) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		return fd;
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/* Connect the control stream: DIR/<portgroup> or DIR/ctl, or DIR itself if it is the socket.
 * *in_dir tells whether DIR is a directory the data socket may be put in. */
static int connect_ctl(const char *dir, const char *portgroup, int *in_dir)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
	struct stat st;
	int n, fd;

	*in_dir = 0;
	if (stat(dir, &st) == 0 && S_ISSOCK(st.st_mode) && !portgroup)
		return connect_stream(dir);
	n = snprintf(path, sizeof(path), "%s/%s", dir, portgroup ? portgroup : "ctl");
	if (n < 0 || (size_t)n >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	*in_dir = 1;
	fd = connect_stream(path);
	/* a port group the switch does not serve falls back to its ctl socket, as vdeplug4 does */
	if (fd < 0 && portgroup && errno == ENOENT)
		return connect_ctl(dir, NULL, in_dir);
	return fd;
}

/* Bind fd to a fresh name: DIR/.PID-N when DIR is usable, else PREFIX/vde.PID-N in the fallbacks.
 * The name must be absolute, since the switch resolves it from its own working directory. */
static int bind_data(int fd, const char *dir, int in_dir, struct sockaddr_un *sun)
{
	static unsigned int counter;
	char absdir[PATH_MAX];
	size_t d, ndirs = sizeof(fallback_dirs) / sizeof(fallback_dirs[0]);
	int err = EACCES;

	for (d = in_dir ? 0 : 1; d <= ndirs; d++) {
		const char *base;
		int i;

		if (d == 0) {
			if (!realpath(dir, absdir))
				continue;
			base = absdir;
		} else {
			base = fallback_dirs[d - 1];
		}
		for (i = 0; i < BIND_TRIES; i++) {
			char path[sizeof(sun->sun_path) + 1];
			unsigned int k = __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED) % 100000;
			int n = d == 0 ? snprintf(path, sizeof(path), "%s/.%05d-%05u", base, (int)getpid(), k)
				       : snprintf(path, sizeof(path), "%s/vde.%05d-%05u", base, (int)getpid(), k);

			if (n < 0 || (size_t)n >= sizeof(sun->sun_path)) {
				err = ENAMETOOLONG;
				break;
			}
			set_path(sun, path);
			if (bind(fd, (struct sockaddr *)sun, sizeof(*sun)) == 0)
				return 0;
			err = errno;
			if (err != EADDRINUSE)
				break;
		}
	}
	errno = err;
	return -1;
}

/* Parse a decimal number in [min, max]. Returns 0 or -1 (EINVAL). */
static int parse_int(const char *s, long min, long max, int base, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, base);
	if (errno || end == s || *end != '\0' || v < min || v > max) {
		errno = EINVAL;
		return -1;
	}
	*out = v;
	return 0;
}

static int is_number(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* Send the port request and read the switch's data socket address. Returns 0 or -1 with errno. */
static int handshake(int ctlfd, const struct sockaddr_un *mine, int port, const char *descr,
		     struct sockaddr_un *theirs)
{
	unsigned char req[VDE_REQ_HDR + VDE_SUN_LEN + MAXDESCR];
	size_t dlen = descr ? strnlen(descr, MAXDESCR - 1) : 0, total = VDE_REQ_HDR + VDE_SUN_LEN + dlen, got;
	ssize_t n;

	put_le32(req, VDE_MAGIC);
	put_le32(req + 4, VDE_REQ_VERSION);
	/* type: 0 asks for any port, N << 8 for port N */
	put_le32(req + 8, port > 0 ? (uint32_t)port << 8 : 0);
	memcpy(req + VDE_REQ_HDR, mine, VDE_SUN_LEN);
	if (dlen)
		memcpy(req + VDE_REQ_HDR + VDE_SUN_LEN, descr, dlen);
	/* one write: the switch reads the request with a single read */
	do
		n = send(ctlfd, req, total, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if ((size_t)n != total) {
		errno = EIO;
		return -1;
	}
	memset(theirs, 0, sizeof(*theirs));
	for (got = 0; got < VDE_SUN_LEN; got += (size_t)n) {
		n = read(ctlfd, (char *)theirs + got, VDE_SUN_LEN - got);
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n < 0)
			return -1;
		if (n == 0) {
			/* the switch closed without answering: port taken, bad group, full */
			errno = ECONNREFUSED;
			return -1;
		}
	}
	if (theirs->sun_family != AF_UNIX) {
		errno = EPROTO;
		return -1;
	}
	theirs->sun_path[sizeof(theirs->sun_path) - 1] = '\0';
	return 0;
}

static VDECONN *vdesw_open(char *vnl, char *descr, int interface_version, struct vde_open_args *open_args)
{
	char *posarg = NULL, *portstr = NULL, *portgroup = NULL, *groupstr = NULL, *modestr = NULL;
	/* The leading "" entry takes a bare token, as vdeplug4 (which wants it first): a number is
	 * the port, a name the port group. */
	struct vdeparms parms[] = {
		{ "", &posarg }, { "port", &portstr }, { "portgroup", &portgroup }, { "group", &groupstr },
		{ "mode", &modestr }, { NULL, NULL },
	};
	struct sockaddr_un mine, theirs;
	struct vde_conn *c = NULL;
	const char *group = NULL, *dir = NULL;
	mode_t mode = DEFAULT_MODE;
	int port = 0, ctlfd = -1, datafd = -1, in_dir = 0, bound = 0, err;
	long v;

	if (open_args) {
		port = open_args->port;
		group = open_args->group;
		if (open_args->mode)
			mode = open_args->mode;
	}
	if (vde_parsepathparms(vnl, parms) != 0) {
		errno = EINVAL;
		return NULL;
	}
	if (posarg && *posarg) {
		if (is_number(posarg)) {
			if (parse_int(posarg, 0, INT_MAX, 10, &v) < 0)
				return NULL;
			port = (int)v;
		} else {
			portgroup = posarg;
		}
	}
	if (portstr) {
		if (parse_int(portstr, 0, INT_MAX, 10, &v) < 0)
			return NULL;
		port = (int)v;
	}
	if (portgroup && (!*portgroup || strchr(portgroup, '/'))) {
		errno = EINVAL;
		return NULL;
	}
	if (groupstr)
		group = groupstr;
	if (modestr) {
		if (parse_int(modestr, 0, 07777, 8, &v) < 0)
			return NULL;
		if (v)
			mode = (mode_t)v;
	}

	if (*vnl) {
		dir = vnl;
		ctlfd = connect_ctl(dir, portgroup, &in_dir);
	} else {
		size_t i;

		for (i = 0; i < sizeof(default_dirs) / sizeof(default_dirs[0]); i++) {
			ctlfd = connect_ctl(default_dirs[i], portgroup, &in_dir);
			if (ctlfd >= 0) {
				dir = default_dirs[i];
				break;
			}
		}
	}
	if (ctlfd < 0)
		return NULL;

	datafd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (datafd < 0)
		goto fail;
	if (bind_data(datafd, dir, in_dir, &mine) < 0)
		goto fail;
	bound = 1;
	/* The switch connects to this socket: it must be able to write to it. */
	if (chmod(mine.sun_path, mode) < 0)
		goto fail;
	if (group) {
		gid_t gid = vde_grnam2gid(group);

		if (gid == (gid_t)-1) {
			errno = EINVAL;
			goto fail;
		}
		if (chown(mine.sun_path, (uid_t)-1, gid) < 0)
			goto fail;
	}
	if (handshake(ctlfd, &mine, port, descr, &theirs) < 0)
		goto fail;
	if (connect(datafd, (struct sockaddr *)&theirs, sizeof(theirs)) < 0)
		goto fail;
	unlink(mine.sun_path);
	/* Narrow who else may write into our port, as vdeplug4 does. Only possible when the server
	 * gave us the socket (vded chowns it to the client; vde_switch when it runs as us): best effort. */
	if (chmod(theirs.sun_path, mode) == 0 && group)
		(void)!chown(theirs.sun_path, (uid_t)-1, vde_grnam2gid(group));
	c = calloc(1, sizeof(*c));
	if (!c)
		goto fail;
	c->ctlfd = ctlfd;
	c->datafd = datafd;
	return (VDECONN *)c;

fail:
	err = errno;
	if (bound)
		unlink(mine.sun_path);
	if (datafd >= 0)
		close(datafd);
	close(ctlfd);
	errno = err;
	return NULL;
}

static ssize_t vdesw_recv(VDECONN *conn, void *buf, size_t len, int flags)
{
	return dgram_recv_frame(((struct vde_conn *)conn)->datafd, buf, len, flags);
}

static ssize_t vdesw_send(VDECONN *conn, const void *buf, size_t len, int flags)
{
	struct vde_conn *c = (struct vde_conn *)conn;

	return dgram_send_frame(c->datafd, buf, len, &c->sndtimeo_set);
}

static int vdesw_datafd(VDECONN *conn)
{
	return ((struct vde_conn *)conn)->datafd;
}

static int vdesw_ctlfd(VDECONN *conn)
{
	return ((struct vde_conn *)conn)->ctlfd;
}

static int vdesw_close(VDECONN *conn)
{
	struct vde_conn *c = (struct vde_conn *)conn;

	close(c->datafd);
	close(c->ctlfd);
	free(c);
	return 0;
}

__attribute__((visibility("default"))) struct vdeplug_module vdeplug_ops = {
	.vde_open_real = vdesw_open,
	.vde_recv = vdesw_recv,
	.vde_send = vdesw_send,
	.vde_datafd = vdesw_datafd,
	.vde_ctlfd = vdesw_ctlfd,
	.vde_close = vdesw_close,
};
