/*
 * vdens — a shell (or a command) in new user, network and UTS namespaces whose interfaces
 * vde0, vde1... are plugged into VDE networks. Command line as vdeplug4's vdens (doc/vde-wire.md §7):
 *
 *   vdens [opts] [VNL [cmd args]]
 *   vdens -m|--multi [opts] VNL... [-- cmd args]
 *   opts: -i/--iface PREFIX  -r/--resolvconf FILE  -R/--resolvaddr a,b  -s/--sysadm
 *         -c/--clone  -u/--unshare  -h/--help
 *
 * How: the VDE connections are opened here, in the caller's namespaces (so vded://, vde:// and
 * multicast transports see the caller's network). A child then unshares the namespaces — a fresh
 * fork is single-threaded, which unshare(CLONE_NEWUSER) requires even when a module runs a helper
 * thread (slirp) — maps the caller's uid and gid onto themselves, creates the taps, hands their
 * fds back over a socketpair, raises the ambient network capabilities and execs the command. This
 * process stays outside and relays frames between each tap and its connection until the command
 * exits, then exits with its status. -c and -u (the reference's two ways of doing the same) are
 * accepted and change nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <libvdeplug.h>

#define MAXNETS 64
#define FDSET_MAX 1024

struct net {
	VDECONN *conn;
	int tap;
	bool up;	/* still relaying */
	const char *vnl;
};

static struct net nets[MAXNETS];
static int nnets;
/* fds open when we started: the command inherits those, not ours. */
static unsigned char inherited[FDSET_MAX / 8];

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vdens [OPTIONS] [VNL [COMMAND [ARG...]]]\n"
		"       vdens -m [OPTIONS] VNL [VNL...] [-- COMMAND [ARG...]]\n"
		"Runs COMMAND ($SHELL by default) in new user, network and UTS namespaces whose interfaces\n"
		"vde0, vde1... are connected to the VDE networks VNL (none if VNL is omitted, '', '-' or 'no').\n"
		"  -m, --multi             one interface per VNL\n"
		"  -i, --iface PREFIX      interface name prefix (default vde)\n"
		"  -r, --resolvconf FILE   bind FILE on /etc/resolv.conf (default $VDE_RESOLVCONF)\n"
		"  -R, --resolvaddr A[,B]  a resolv.conf with these name servers (default $VDE_RESOLVADDR)\n"
		"  -s, --sysadm            grant CAP_SYS_ADMIN too (mounts in the namespace)\n"
		"  -c, --clone, -u, --unshare   accepted for compatibility\n"
		"  -h, --help              this help\n");
}

static void remember_inherited(void)
{
	int fd;

	for (fd = 0; fd < FDSET_MAX; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			inherited[fd / 8] |= (unsigned char)(1 << (fd % 8));
}

/* In the child before exec: close every fd this program opened (connections, sockets). */
static void close_ours(void)
{
	int fd;

	for (fd = 3; fd < FDSET_MAX; fd++)
		if (!(inherited[fd / 8] & (1 << (fd % 8))))
			close(fd);
	close_range(FDSET_MAX, ~0U, 0);
}

static bool no_network(const char *vnl)
{
	return vnl == NULL || *vnl == '\0' || strcmp(vnl, "-") == 0 || strcmp(vnl, "no") == 0;
}

/* ---- child side: in the new namespaces ---- */

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* The caller's uid and gid are themselves inside; nothing else is mapped. */
static int map_ids(uid_t uid, gid_t gid)
{
	char line[64];

	snprintf(line, sizeof(line), "%u %u 1\n", (unsigned int)uid, (unsigned int)uid);
	if (write_file("/proc/self/uid_map", line) < 0)
		return -1;
	/* An unprivileged gid_map needs setgroups denied first. */
	if (write_file("/proc/self/setgroups", "deny") < 0 && errno != ENOENT)
		return -1;
	snprintf(line, sizeof(line), "%u %u 1\n", (unsigned int)gid, (unsigned int)gid);
	return write_file("/proc/self/gid_map", line);
}

static int open_tap(const char *prefix, int n)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s%d", prefix, n) >= (int)sizeof(ifr.ifr_name)) {
		close(fd);
		errno = ENAMETOOLONG;
		return -1;
	}
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* A resolv.conf listing the servers of "a,b,c", bound over /etc/resolv.conf. */
static int mount_resolvaddr(const char *list)
{
	char path[] = "/tmp/vdens-resolv.XXXXXX";
	int fd = mkstemp(path), rc = 0;
	const char *p = list;
	FILE *f;

	if (fd < 0)
		return -1;
	f = fdopen(fd, "w");
	if (f == NULL) {
		close(fd);
		unlink(path);
		return -1;
	}
	while (*p) {
		size_t len = strcspn(p, ",");

		if (len > 0)
			fprintf(f, "nameserver %.*s\n", (int)len, p);
		p += len;
		while (*p == ',')
			p++;
	}
	if (fclose(f) != 0)
		rc = -1;
	if (rc == 0)
		rc = mount(path, "/etc/resolv.conf", NULL, MS_BIND, NULL);
	unlink(path);
	return rc;
}

static int raise_ambient(bool sysadm)
{
	cap_value_t caps[] = {CAP_NET_ADMIN, CAP_NET_RAW, CAP_NET_BIND_SERVICE, CAP_NET_BROADCAST, CAP_SYS_ADMIN};
	int ncaps = sysadm ? 5 : 4, i;
	cap_t c = cap_get_proc();

	if (c == NULL)
		return -1;
	if (cap_set_flag(c, CAP_INHERITABLE, ncaps, caps, CAP_SET) < 0 || cap_set_proc(c) < 0) {
		cap_free(c);
		return -1;
	}
	cap_free(c);
	for (i = 0; i < ncaps; i++)
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, caps[i], 0, 0) < 0)
			return -1;
	return 0;
}

/* Tell the parent about the taps (fds, or an errno); returns 0 when the fds went. */
static int send_taps(int sock, const int *fds, int n, int err)
{
	char cbuf[CMSG_SPACE(sizeof(int) * MAXNETS)];
	struct iovec iov = {.iov_base = &err, .iov_len = sizeof(err)};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};

	if (err == 0 && n > 0) {
		struct cmsghdr *cm;

		memset(cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)n);
	}
	return sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

static void child(int sock, const char *prefix, const char *resolvconf, const char *resolvaddr, bool sysadm,
		  char **argv, const sigset_t *oldmask)
{
	int flags = CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWUTS, taps[MAXNETS], i, err = 0;
	uid_t uid = geteuid();
	gid_t gid = getegid();
	const char *what = "";

	if (sysadm || resolvconf || resolvaddr)
		flags |= CLONE_NEWNS;
	if (unshare(flags) < 0) {
		err = errno;
		what = "unshare (are unprivileged user namespaces enabled?)";
		goto fail;
	}
	if (map_ids(uid, gid) < 0) {
		err = errno;
		what = "uid/gid map";
		goto fail;
	}
	for (i = 0; i < nnets; i++) {
		taps[i] = open_tap(prefix, i);
		if (taps[i] < 0) {
			err = errno;
			what = "tap (is /dev/net/tun accessible?)";
			goto fail;
		}
	}
	if (resolvaddr != NULL) {
		if (mount_resolvaddr(resolvaddr) < 0) {
			err = errno;
			what = "resolvaddr mount";
			goto fail;
		}
	} else if (resolvconf != NULL && mount(resolvconf, "/etc/resolv.conf", NULL, MS_BIND, NULL) < 0) {
		err = errno;
		what = "resolvconf mount";
		goto fail;
	}
	if (raise_ambient(sysadm) < 0) {
		err = errno;
		what = "ambient capabilities";
		goto fail;
	}
	if (send_taps(sock, taps, nnets, 0) < 0)
		_exit(126);
	/* The parent now holds the taps; our copies and every other fd we opened must not leak. */
	close_ours();
	sigprocmask(SIG_SETMASK, oldmask, NULL);
	execvp(argv[0], argv);
	fprintf(stderr, "vdens: %s: %s\n", argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
fail:
	fprintf(stderr, "vdens: %s: %s\n", what, strerror(err));
	send_taps(sock, NULL, 0, err);
	_exit(1);
}

/* ---- parent side: the relay ---- */

static int recv_taps(int sock, int *fds, int n)
{
	char cbuf[CMSG_SPACE(sizeof(int) * MAXNETS)];
	int err = 0;
	struct iovec iov = {.iov_base = &err, .iov_len = sizeof(err)};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm;
	ssize_t r;

	do
		r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r != (ssize_t)sizeof(err))
		return -1;
	if (err != 0)
		return -1;
	if (n == 0)
		return 0;
	cm = CMSG_FIRSTHDR(&msg);
	if (cm == NULL || cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(sizeof(int) * (size_t)n))
		return -1;
	memcpy(fds, CMSG_DATA(cm), sizeof(int) * (size_t)n);
	return 0;
}

static void net_down(struct net *nt, const char *why)
{
	if (!nt->up)
		return;
	fprintf(stderr, "vdens: %s: %s; the interface stays without a network\n", nt->vnl, why);
	nt->up = false;
}

/* Relay until the child exits; returns its exit status as a shell reports it. */
static int relay(pid_t pid, int sigfd)
{
	struct pollfd pfd[3 * MAXNETS + 1];
	int kind[3 * MAXNETS + 1], idx[3 * MAXNETS + 1];
	static unsigned char buf[VDE_ETHBUFSIZE];

	for (;;) {
		int n = 0, i, r;

		pfd[n] = (struct pollfd){.fd = sigfd, .events = POLLIN};
		kind[n] = 0;
		idx[n++] = 0;
		for (i = 0; i < nnets; i++) {
			if (!nets[i].up)
				continue;
			pfd[n] = (struct pollfd){.fd = vde_datafd(nets[i].conn), .events = POLLIN};
			kind[n] = 1;
			idx[n++] = i;
			pfd[n] = (struct pollfd){.fd = nets[i].tap, .events = POLLIN};
			kind[n] = 2;
			idx[n++] = i;
			if (vde_ctlfd(nets[i].conn) >= 0) {
				pfd[n] = (struct pollfd){.fd = vde_ctlfd(nets[i].conn), .events = POLLIN};
				kind[n] = 3;
				idx[n++] = i;
			}
		}
		r = poll(pfd, (nfds_t)n, -1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			perror("vdens: poll");
			return 1;
		}
		for (i = 0; i < n; i++) {
			struct net *nt = &nets[idx[i]];
			ssize_t len;

			if (pfd[i].revents == 0)
				continue;
			switch (kind[i]) {
			case 0: {
				struct signalfd_siginfo si;
				int st;

				if (read(sigfd, &si, sizeof(si)) != sizeof(si))
					break;
				if (si.ssi_signo != SIGCHLD) {
					kill(pid, (int)si.ssi_signo);
					break;
				}
				if (waitpid(pid, &st, WNOHANG) == pid)
					return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
				break;
			}
			case 1:
				if (!nt->up)
					break;
				len = vde_recv(nt->conn, buf, sizeof(buf), 0);
				if (len >= 14) {
					/* A tap that is down answers EIO: the frame is lost, as on a cable. */
					(void)!write(nt->tap, buf, (size_t)len);
				} else if (len == 0) {
					net_down(nt, "connection closed");
				} else if (len < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
					net_down(nt, strerror(errno));
				}
				break;
			case 2:
				if (!nt->up)
					break;
				len = read(nt->tap, buf, sizeof(buf));
				if (len >= 14)
					vde_send(nt->conn, buf, (size_t)len, 0);
				break;
			case 3:
				if (nt->up) {
					char c;

					/* Readable control fd: EOF or a message; the reference protocol sends none. */
					if (read(vde_ctlfd(nt->conn), &c, 1) <= 0 || (pfd[i].revents & (POLLHUP | POLLERR)))
						net_down(nt, "hung up");
				}
				break;
			}
		}
	}
}

int main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},	{"multi", no_argument, NULL, 'm'},
		{"iface", required_argument, NULL, 'i'},	{"sysadm", no_argument, NULL, 's'},
		{"unshare", no_argument, NULL, 'u'},	{"clone", no_argument, NULL, 'c'},
		{"resolvconf", required_argument, NULL, 'r'}, {"resolvaddr", required_argument, NULL, 'R'},
		{NULL, 0, NULL, 0},
	};
	const char *prefix = "vde", *resolvconf = getenv("VDE_RESOLVCONF"), *resolvaddr = getenv("VDE_RESOLVADDR");
	char *shellv[] = {getenv("SHELL"), NULL}, **cmd = shellv;
	bool multi = false, sysadm = false;
	int opt, i, sv[2], taps[MAXNETS], sigfd, status;
	sigset_t mask, oldmask;
	pid_t pid;

	while ((opt = getopt_long(argc, argv, "+hmi:sucr:R:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'm':
			multi = true;
			break;
		case 'i':
			prefix = optarg;
			break;
		case 's':
			sysadm = true;
			break;
		case 'r':
			resolvconf = optarg;
			break;
		case 'R':
			resolvaddr = optarg;
			break;
		case 'u':
		case 'c':
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (resolvaddr != NULL && *resolvaddr == '\0')
		resolvaddr = NULL;
	if (resolvconf != NULL && *resolvconf == '\0')
		resolvconf = NULL;

	remember_inherited();
	if (multi) {
		int k;

		if (argc < 1) {
			usage(stderr);
			return 2;
		}
		for (k = 0; k < argc && strcmp(argv[k], "--") != 0; k++) {
			if (nnets == MAXNETS) {
				fprintf(stderr, "vdens: at most %d networks\n", MAXNETS);
				return 2;
			}
			nets[nnets++].vnl = argv[k];
		}
		if (k + 1 < argc)
			cmd = argv + k + 1;
	} else if (argc >= 1) {
		if (!no_network(argv[0]))
			nets[nnets++].vnl = argv[0];
		if (argc >= 2)
			cmd = argv + 1;
	}
	if (cmd[0] == NULL) {
		fprintf(stderr, "vdens: no command and $SHELL is not set\n");
		return 2;
	}
	for (i = 0; i < nnets; i++) {
		nets[i].conn = vde_open((char *)(uintptr_t)nets[i].vnl, "vdens", NULL);
		if (nets[i].conn == NULL) {
			fprintf(stderr, "vdens: %s: %s\n", nets[i].vnl, strerror(errno));
			return 1;
		}
		nets[i].up = true;
	}

	/* SIGCHLD and the signals we pass on are read from a signalfd; the child restores the mask. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, &oldmask);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		perror("vdens: socketpair");
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		perror("vdens: fork");
		return 1;
	}
	if (pid == 0) {
		close(sv[0]);
		child(sv[1], prefix, resolvconf, resolvaddr, sysadm, cmd, &oldmask);
	}
	close(sv[1]);
	/* The terminal's ^C and ^\ are for the command, not for the relay. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	if (recv_taps(sv[0], taps, nnets) < 0) {
		waitpid(pid, &status, 0);
		return WIFEXITED(status) && WEXITSTATUS(status) != 0 ? WEXITSTATUS(status) : 1;
	}
	close(sv[0]);
	for (i = 0; i < nnets; i++)
		nets[i].tap = taps[i];
	sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sigfd < 0) {
		perror("vdens: signalfd");
		return 1;
	}
	status = relay(pid, sigfd);
	for (i = 0; i < nnets; i++) {
		vde_close(nets[i].conn);
		close(nets[i].tap);
	}
	return status;
}
