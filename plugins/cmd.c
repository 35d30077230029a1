/*
 * cmd://COMMAND — stream a VDE connection through a command (doc/vde-wire.md §5): COMMAND runs under
 * /bin/sh -c with one end of a stream socketpair as its stdin and stdout; frames travel each prefixed
 * by a 16-bit big-endian length (the vdestream framing of vde_plug's stdio), length 0 skipped.
 * cmd://'ssh host vde_plug vde:///run/vde/net/lab' makes a cable to a remote network.
 *
 * Receive reads exactly a header, then exactly its frame, keeping partial headers and frames across
 * calls: nothing is held in user space past a complete frame, so poll() on the data fd stays truthful
 * and a frame split anywhere (inside the 2-byte header too) is never lost.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libvdeplug_mod.h>

#define ETH_HLEN_MIN 14
#define HDR_LEN 2
/* See vde.c: the longest a call waits for the command to make room or finish a frame. */
#define WAIT_MS 50
/* How long the command gets to exit after SIGTERM before SIGKILL. */
#define REAP_MS 1000

extern char **environ;

struct cmd_conn {
	void *handle;
	struct vdeplug_module *module;
	int fd;
	pid_t pid;
	int dead;			/* the stream ended or broke: fd is now a never-readable eventfd */
	size_t hdrlen;			/* header bytes read so far */
	unsigned char hdr[HDR_LEN];
	size_t need, got;		/* frame length announced, bytes read so far */
	size_t outlen, outoff;		/* an unfinished frame still to be written */
	unsigned char in[VDE_ETHBUFSIZE];
	unsigned char out[HDR_LEN + VDE_ETHBUFSIZE];
};

/* The stream is over (EOF, or a length no sender could mean): keep the descriptor number valid for
 * pollers that do not handle 0, but make it quiet so they do not spin. */
static void cmd_go_dead(struct cmd_conn *c)
{
	int e = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	c->dead = 1;
	if (e >= 0) {
		dup3(e, c->fd, O_CLOEXEC);
		close(e);
	}
}

static pid_t spawn_shell(const char *command, int child_fd)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dfl;
	char *argv[] = { (char *)"sh", (char *)"-c", (char *)(uintptr_t)command, NULL };
	pid_t pid;
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, child_fd, STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, child_fd, STDOUT_FILENO);
	posix_spawnattr_init(&attr);
	/* The caller (QEMU, vde_plug) may ignore SIGPIPE or block signals: the command should not. */
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGTERM);
	sigaddset(&dfl, SIGCHLD);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawn(&pid, "/bin/sh", &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	return pid;
}

static VDECONN *cmd_open(char *vnl, char *descr, int interface_version, struct vde_open_args *open_args)
{
	struct cmd_conn *c;
	int sv[2], err;

	if (!*vnl) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		goto fail;
	/* with stdin or stdout closed the child's end could land on 0 or 1 and be lost to dup2 */
	if (sv[1] <= STDERR_FILENO) {
		int moved = fcntl(sv[1], F_DUPFD_CLOEXEC, STDERR_FILENO + 1);

		if (moved < 0)
			goto fail_pair;
		close(sv[1]);
		sv[1] = moved;
	}
	c->pid = spawn_shell(vnl, sv[1]);
	if (c->pid < 0)
		goto fail_pair;
	close(sv[1]);
	c->fd = sv[0];
	return (VDECONN *)c;
fail_pair:
	err = errno;
	close(sv[0]);
	close(sv[1]);
	errno = err;
fail:
	err = errno;
	free(c);
	errno = err;
	return NULL;
}

/* Read what is there, without blocking; after an EAGAIN in the middle of a frame wait a little
 * once, since the rest is normally a moment away. Returns bytes read, 0 at EOF, -1 with errno. */
static ssize_t read_some(struct cmd_conn *c, void *buf, size_t len, int *waited)
{
	for (;;) {
		ssize_t n = recv(c->fd, buf, len, MSG_DONTWAIT);

		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if ((errno != EAGAIN && errno != EWOULDBLOCK) || *waited || (c->hdrlen == 0 && c->got == 0))
			return -1;
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		poll(&pfd, 1, WAIT_MS);
		*waited = 1;
	}
}

static ssize_t cmd_recv(VDECONN *conn, void *buf, size_t len, int flags)
{
	struct cmd_conn *c = (struct cmd_conn *)conn;
	int waited = 0;
	ssize_t n;

	if (c->dead)
		return 0;
	for (;;) {
		if (c->hdrlen < HDR_LEN) {
			n = read_some(c, c->hdr + c->hdrlen, HDR_LEN - c->hdrlen, &waited);
			if (n <= 0)
				goto out;
			c->hdrlen += (size_t)n;
			if (c->hdrlen < HDR_LEN)
				continue;
			c->need = (size_t)c->hdr[0] << 8 | c->hdr[1];
			c->got = 0;
			if (c->need == 0) {
				c->hdrlen = 0;	/* an empty frame: skipped */
				continue;
			}
			if (c->need > VDE_ETHBUFSIZE) {
				/* not a length any sender writes: the stream is out of step for good */
				cmd_go_dead(c);
				return 0;
			}
		}
		n = read_some(c, c->in + c->got, c->need - c->got, &waited);
		if (n <= 0)
			goto out;
		c->got += (size_t)n;
		if (c->got < c->need)
			continue;
		c->hdrlen = 0;
		if (c->need < ETH_HLEN_MIN)
			continue;	/* a runt: not a frame */
		n = (ssize_t)(c->need < len ? c->need : len);
		memcpy(buf, c->in, (size_t)n);
		return n;
	}
out:
	if (n == 0)
		cmd_go_dead(c);
	return n;
}

/* Push out the unfinished frame. Returns 0 when nothing is left, -1 with errno otherwise. */
static int flush_out(struct cmd_conn *c)
{
	int waited = 0;

	while (c->outoff < c->outlen) {
		ssize_t n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n >= 0) {
			c->outoff += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if ((errno != EAGAIN && errno != EWOULDBLOCK) || waited)
			return -1;
		struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };
		poll(&pfd, 1, WAIT_MS);
		waited = 1;
	}
	c->outlen = c->outoff = 0;
	return 0;
}

static ssize_t cmd_send(VDECONN *conn, const void *buf, size_t len, int flags)
{
	struct cmd_conn *c = (struct cmd_conn *)conn;

	if (c->dead) {
		errno = EPIPE;
		return -1;
	}
	if (len > VDE_ETHBUFSIZE) {
		errno = EMSGSIZE;
		return -1;
	}
	if (len < ETH_HLEN_MIN)
		return (ssize_t)len;
	/* A frame half written earlier goes first, whole, or the stream would fall out of step;
	 * if the command still is not reading, this frame is dropped. */
	if (flush_out(c) < 0)
		return -1;
	c->out[0] = (unsigned char)(len >> 8);
	c->out[1] = (unsigned char)len;
	memcpy(c->out + HDR_LEN, buf, len);
	c->outlen = HDR_LEN + len;
	c->outoff = 0;
	if (flush_out(c) < 0) {
		if (c->outoff == 0) {
			c->outlen = 0;	/* nothing of it went out: dropped whole */
			return -1;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		/* the rest goes with the next frame */
	}
	return (ssize_t)len;
}

static int cmd_datafd(VDECONN *conn)
{
	return ((struct cmd_conn *)conn)->fd;
}

static int cmd_ctlfd(VDECONN *conn)
{
	return -1;
}

static int cmd_close(VDECONN *conn)
{
	struct cmd_conn *c = (struct cmd_conn *)conn;
	int i;

	/* EOF on its stdin ends most commands (ssh, vde_plug); TERM then KILL the others */
	close(c->fd);
	kill(c->pid, SIGTERM);
	for (i = 0; i < REAP_MS / 10; i++) {
		pid_t r = waitpid(c->pid, NULL, WNOHANG);

		if (r == c->pid || (r < 0 && errno != EINTR))
			break;
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
	}
	if (i == REAP_MS / 10) {
		kill(c->pid, SIGKILL);
		while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	free(c);
	return 0;
}

__attribute__((visibility("default"))) struct vdeplug_module vdeplug_ops = {
	.vde_open_real = cmd_open,
	.vde_recv = cmd_recv,
	.vde_send = cmd_send,
	.vde_datafd = cmd_datafd,
	.vde_ctlfd = cmd_ctlfd,
	.vde_close = cmd_close,
};
