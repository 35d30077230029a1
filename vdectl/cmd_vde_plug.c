/*
 * vde_plug — the VDE cable (doc/vde-wire.md §7), command-line compatible with vdeplug4's:
 *   vde_plug [OPTIONS] [VNL]                 one plug, frames streamed on stdin/stdout (vdestream)
 *   vde_plug [OPTIONS] VNL1 VNL2             a cable between two plugs
 *   vde_plug [OPTIONS] [VNL] = CMD [ARGS]    the stream goes to CMD's stdin/stdout
 * As a login shell ("sh -c 'vde_plug ...'" from sshd, i.e. argv = {vde_plug, -c, "vde_plug ..."}) it
 * runs only itself, logs the session and refuses "= CMD"; an interactive login is refused and logged.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libvdeplug.h>

#define DEFAULT_DESCR "vdeplug:"
#define DEFAULT_MODE 0700
#define IPLOG_GROUP "vdeplug_iplog"
#define STREAM_READ 65536
#define IPLOG_SLOTS 64
#define LOGIN_MAX_ARGS 32

static volatile sig_atomic_t stop_signal;
static int log_on, iplog_on;
static const char *log_user = "?";
static const char *pidfile;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage:\n"
		"  vde_plug [OPTIONS] [VNL]                 stream one plug on stdin/stdout\n"
		"  vde_plug [OPTIONS] VNL VNL               a cable between two plugs\n"
		"  vde_plug [OPTIONS] [VNL] = CMD [ARGS]    stream one plug to CMD's stdin/stdout\n"
		"  an omitted or empty VNL is the default network (~/.vdeplug/default, ~/.vde2/default.switch,\n"
		"  /var/run/vde.ctl, /tmp/vde.ctl)\n"
		"Options:\n"
		"  -d, --daemon            run in the background\n"
		"  -p, --pidfile FILE      write the process id to FILE\n"
		"  -l, --log               log START/STOP on syslog\n"
		"  -L, --iplog             -l, and log the IP addresses seen on the stream (or the second VNL)\n"
		"  -g, --group GROUP       group of the communication socket (vde://)\n"
		"  -G, --group2 GROUP      the same for the second VNL\n"
		"  -m, --mod MODE          octal mode of the communication socket (default 0700)\n"
		"  -M, --mod2 MODE         the same for the second VNL\n"
		"      --port N            switch port for the first VNL (obsolete: use vde://DIR[N])\n"
		"      --port2 N           the same for the second VNL\n"
		"  -D, --descr DESCR       description shown by the switch (default \"" DEFAULT_DESCR "\")\n"
		"  -h, --help              this help\n");
}

static void vlog(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void vlog(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsyslog(prio, fmt, ap);
	va_end(ap);
}

/* ---- IP logging: the source addresses of IPv4/IPv6 packets, each logged once ---- */

struct iplog {
	unsigned char addr[IPLOG_SLOTS][17]; /* [0] = 4 or 6, then the address */
	unsigned next;
};

static void iplog_frame(struct iplog *t, const unsigned char *f, size_t len)
{
	unsigned char key[17] = { 0 };
	char text[64];
	size_t off = 12;
	unsigned type;

	if (len < 14)
		return;
	type = (unsigned)f[off] << 8 | f[off + 1];
	/* one 802.1Q/802.1ad tag */
	if ((type == 0x8100 || type == 0x88a8) && len >= 18) {
		off += 4;
		type = (unsigned)f[off] << 8 | f[off + 1];
	}
	off += 2;
	if (type == 0x0800 && len >= off + 20) {
		key[0] = 4;
		memcpy(key + 1, f + off + 12, 4);
		snprintf(text, sizeof(text), "%u.%u.%u.%u", key[1], key[2], key[3], key[4]);
	} else if (type == 0x86dd && len >= off + 40) {
		key[0] = 6;
		memcpy(key + 1, f + off + 8, 16);
		snprintf(text, sizeof(text), "%x:%x:%x:%x:%x:%x:%x:%x",
			 key[1] << 8 | key[2], key[3] << 8 | key[4], key[5] << 8 | key[6], key[7] << 8 | key[8],
			 key[9] << 8 | key[10], key[11] << 8 | key[12], key[13] << 8 | key[14],
			 key[15] << 8 | key[16]);
	} else {
		return;
	}
	for (unsigned i = 0; i < IPLOG_SLOTS; i++)
		if (memcmp(t->addr[i], key, sizeof(key)) == 0)
			return;
	memcpy(t->addr[t->next], key, sizeof(key));
	t->next = (t->next + 1) % IPLOG_SLOTS;
	vlog(LOG_INFO, "user %s IPv%u %s", log_user, key[0], text);
}

/* ---- the three ways of moving frames ---- */

struct stream_ctx {
	VDECONN *conn;
	struct iplog *iplog;
};

static ssize_t stream_to_net(void *opaque, void *buf, size_t len)
{
	struct stream_ctx *c = opaque;

	if (c->iplog)
		iplog_frame(c->iplog, buf, len);
	/* a full or slow network drops the frame, as a switch would */
	return vde_send(c->conn, buf, len, 0);
}

static void stream_error(void *opaque, int type, char *format, ...)
{
	va_list ap;

	(void)opaque;
	(void)type;
	fprintf(stderr, "vde_plug: ");
	va_start(ap, format);
	vfprintf(stderr, format, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

/* What one vde_recv() did: 1 go on, 0 the peer closed, -1 error. Forwards the frame with fwd(). */
static int net_readable(VDECONN *conn, unsigned char *buf, int (*fwd)(void *, unsigned char *, size_t), void *arg)
{
	ssize_t n = vde_recv(conn, buf, VDE_ETHBUFSIZE, 0);

	if (n == 0)
		return 0;
	if (n < 0)
		return (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) ? 1 : -1;
	/* 1 is "a frame arrived but it is not for us" */
	if (n == 1)
		return 1;
	return fwd(arg, buf, (size_t)n) < 0 ? -1 : 1;
}

static int fwd_stream(void *arg, unsigned char *buf, size_t len)
{
	return vdestream_send(arg, buf, len) < 0 ? -1 : 0;
}

/* Stream conn over in/out (stdin/stdout or a command's pipes) until EOF on either side, a signal, or the
 * command exiting. Returns the exit status. */
static int run_stream(VDECONN *conn, int in, int out, struct iplog *iplog)
{
	struct stream_ctx ctx = { .conn = conn, .iplog = iplog };
	unsigned char *inbuf = malloc(STREAM_READ);
	unsigned char *netbuf = malloc(VDE_ETHBUFSIZE);
	VDESTREAM *vs = vdestream_open(&ctx, out, stream_to_net, stream_error);
	struct pollfd p[3];
	int rc = 0, ctl = vde_ctlfd(conn);

	if (inbuf == NULL || netbuf == NULL || vs == NULL) {
		perror("vde_plug");
		rc = 1;
		goto out;
	}
	p[0] = (struct pollfd){ .fd = in, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = vde_datafd(conn), .events = POLLIN };
	p[2] = (struct pollfd){ .fd = ctl, .events = POLLIN };
	while (!stop_signal) {
		int r = poll(p, ctl >= 0 ? 3 : 2, -1);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			perror("vde_plug: poll");
			rc = 1;
			break;
		}
		if (p[0].revents) {
			ssize_t n = read(in, inbuf, STREAM_READ);

			if (n == 0)
				break;
			if (n < 0 && errno != EINTR && errno != EAGAIN) {
				perror("vde_plug: read");
				rc = 1;
				break;
			}
			if (n > 0)
				vdestream_recv(vs, inbuf, (size_t)n);
		}
		if (p[1].revents) {
			r = net_readable(conn, netbuf, fwd_stream, vs);
			if (r == 0)
				break;
			if (r < 0) {
				if (errno != EPIPE)
					perror("vde_plug");
				rc = errno == EPIPE ? 0 : 1;
				break;
			}
		}
		/* the ctl connection never speaks: readable means hung up. vded keeps it across its own
		 * restarts, so this is the switch really gone: a failure, for Restart=on-failure. */
		if (ctl >= 0 && p[2].revents) {
			char c;

			if (read(ctl, &c, 1) <= 0) {
				fprintf(stderr, "vde_plug: the switch hung up\n");
				rc = 1;
				break;
			}
		}
	}
out:
	if (vs)
		vdestream_close(vs);
	free(inbuf);
	free(netbuf);
	return rc;
}

struct cable_side {
	VDECONN *to;
	struct iplog *iplog;
};

static int fwd_conn(void *arg, unsigned char *buf, size_t len)
{
	struct cable_side *s = arg;

	if (s->iplog)
		iplog_frame(s->iplog, buf, len);
	/* A failed send drops that frame (a full peer, a tap that is not up yet: EIO): the cable ends
	 * only when a side hangs up, which its receive or control descriptor tells. */
	vde_send(s->to, buf, len, 0);
	return 0;
}

static int run_cable(VDECONN *a, VDECONN *b, struct iplog *iplog)
{
	struct cable_side to_b = { .to = b }, to_a = { .to = a, .iplog = iplog };
	unsigned char *buf = malloc(VDE_ETHBUFSIZE);
	struct pollfd p[4];
	int n = 2, rc = 0;

	if (buf == NULL) {
		perror("vde_plug");
		return 1;
	}
	p[0] = (struct pollfd){ .fd = vde_datafd(a), .events = POLLIN };
	p[1] = (struct pollfd){ .fd = vde_datafd(b), .events = POLLIN };
	if (vde_ctlfd(a) >= 0)
		p[n++] = (struct pollfd){ .fd = vde_ctlfd(a), .events = POLLIN };
	if (vde_ctlfd(b) >= 0)
		p[n++] = (struct pollfd){ .fd = vde_ctlfd(b), .events = POLLIN };
	while (!stop_signal) {
		int r = poll(p, (nfds_t)n, -1);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			perror("vde_plug: poll");
			rc = 1;
			break;
		}
		if (p[0].revents && (r = net_readable(a, buf, fwd_conn, &to_b)) <= 0)
			break;
		if (p[1].revents && (r = net_readable(b, buf, fwd_conn, &to_a)) <= 0)
			break;
		for (int i = 2; i < n; i++) {
			char c;

			if (p[i].revents && read(p[i].fd, &c, 1) <= 0) {
				fprintf(stderr, "vde_plug: a switch hung up\n");
				rc = 1;
				goto out;
			}
		}
	}
out:
	free(buf);
	return rc;
}

/* Start argv with its stdin/stdout on pipes; *in reads its stdout, *out writes its stdin. */
static pid_t spawn(char **argv, int *in, int *out)
{
	int to_cmd[2], from_cmd[2];
	pid_t pid;

	if (pipe2(to_cmd, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(from_cmd, O_CLOEXEC) < 0) {
		close(to_cmd[0]);
		close(to_cmd[1]);
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		if (dup2(to_cmd[0], 0) < 0 || dup2(from_cmd[1], 1) < 0)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
		fprintf(stderr, "vde_plug: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(to_cmd[0]);
	close(from_cmd[1]);
	if (pid < 0) {
		close(to_cmd[1]);
		close(from_cmd[0]);
		return -1;
	}
	*in = from_cmd[0];
	*out = to_cmd[1];
	return pid;
}

/* ---- login shell ---- */

static int in_group(const char *name)
{
	struct group *g = getgrnam(name);
	gid_t groups[256];
	int n;

	if (g == NULL)
		return 0;
	if (getgid() == g->gr_gid || getegid() == g->gr_gid)
		return 1;
	n = getgroups(256, groups);
	for (int i = 0; i < n; i++)
		if (groups[i] == g->gr_gid)
			return 1;
	return 0;
}

/* sshd runs the user's shell as `vde_plug -c "vde_plug ARGS"`: split the string on blanks (no quoting:
 * a login user gets no shell features) into a fresh argv. Only vde_plug itself may be run. */
static char **login_argv(const char *cmdline, int *argc)
{
	static char *words[LOGIN_MAX_ARGS + 1];
	char *copy = strdup(cmdline), *save = NULL, *w;
	const char *base;
	int n = 0;

	if (copy == NULL)
		return NULL;
	for (w = strtok_r(copy, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
		if (n == LOGIN_MAX_ARGS)
			return NULL;
		words[n++] = w;
	}
	words[n] = NULL;
	if (n == 0)
		return NULL;
	base = strrchr(words[0], '/');
	base = base ? base + 1 : words[0];
	if (strcmp(base, "vde_plug") != 0)
		return NULL;
	*argc = n;
	return words;
}

static void remove_pidfile(void)
{
	if (pidfile)
		unlink(pidfile);
}

static int write_pidfile(const char *path)
{
	FILE *f = fopen(path, "we");

	if (f == NULL || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) != 0) {
		fprintf(stderr, "vde_plug: %s: %s\n", path, strerror(errno));
		return -1;
	}
	pidfile = path;
	atexit(remove_pidfile);
	return 0;
}

static VDECONN *open_plug(const char *vnl, const char *descr, struct vde_open_args *args)
{
	VDECONN *c = vde_open((char *)(uintptr_t)vnl, (char *)(uintptr_t)descr, args);

	if (c == NULL)
		fprintf(stderr, "vde_open %s: %s\n", vnl, strerror(errno));
	return c;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "daemon", no_argument, NULL, 'd' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "log", no_argument, NULL, 'l' },
		{ "iplog", no_argument, NULL, 'L' },
		{ "group", required_argument, NULL, 'g' },
		{ "group2", required_argument, NULL, 'G' },
		{ "mod", required_argument, NULL, 'm' },
		{ "mod2", required_argument, NULL, 'M' },
		{ "port", required_argument, NULL, 'P' },
		{ "port2", required_argument, NULL, 'Q' },
		{ "descr", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct vde_open_args args[2] = { { .mode = DEFAULT_MODE }, { .mode = DEFAULT_MODE } };
	const char *descr = DEFAULT_DESCR, *vnl[2] = { "", "" };
	struct passwd *pw = getpwuid(getuid());
	struct iplog *iplog = NULL;
	struct sigaction sa = { .sa_handler = on_signal };
	int login = 0, daemonize = 0, nvnl, eq, opt, rc = 1, cmd_in = -1, cmd_out = -1;
	char **cmd = NULL;
	VDECONN *c1 = NULL, *c2 = NULL;
	pid_t child = -1;
	char *end;

	if (pw)
		log_user = pw->pw_name;
	openlog("vde_plug", LOG_PID, LOG_DAEMON);
	/* login shell: interactive logins are refused, "-c CMD" may run only vde_plug */
	if (argv[0][0] == '-') {
		vlog(LOG_WARNING, "user %s: interactive login refused", log_user);
		fprintf(stderr, "This account only runs vde_plug.\n");
		return 1;
	}
	if (argc == 3 && strcmp(argv[1], "-c") == 0) {
		const char *cmdline = argv[2];

		argv = login_argv(cmdline, &argc);
		if (argv == NULL) {
			vlog(LOG_WARNING, "user %s: command refused: %.200s", log_user, cmdline);
			fprintf(stderr, "This account only runs vde_plug.\n");
			return 1;
		}
		login = 1;
		log_on = 1;
		iplog_on = in_group(IPLOG_GROUP);
	}

	/* options come before "=": what follows belongs to the command */
	for (eq = 1; eq < argc && strcmp(argv[eq], "=") != 0; eq++)
		;
	while ((opt = getopt_long(eq, argv, "dp:lLg:G:m:M:D:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'd': daemonize = 1; break;
		case 'p': pidfile = optarg; break;
		case 'l': log_on = 1; break;
		case 'L': log_on = iplog_on = 1; break;
		case 'g': args[0].group = optarg; break;
		case 'G': args[1].group = optarg; break;
		case 'm':
		case 'M':
			args[opt == 'M'].mode = (mode_t)strtoul(optarg, &end, 8);
			if (*end || end == optarg) {
				fprintf(stderr, "vde_plug: bad mode %s\n", optarg);
				return 2;
			}
			break;
		case 'P':
		case 'Q':
			args[opt == 'Q'].port = (int)strtol(optarg, &end, 10);
			if (*end || end == optarg || args[opt == 'Q'].port < 0) {
				fprintf(stderr, "vde_plug: bad port %s\n", optarg);
				return 2;
			}
			break;
		case 'D': descr = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	nvnl = eq - optind;
	if (eq < argc) {
		cmd = argv + eq + 1;
		if (nvnl > 1 || *cmd == NULL) {
			usage(stderr);
			return 2;
		}
	} else if (nvnl > 2) {
		usage(stderr);
		return 2;
	}
	for (int i = 0; i < nvnl; i++)
		vnl[i] = argv[optind + i];
	/* a login user must not reach a shell: no command, and no cmd:// module (which runs one) */
	if (login && (cmd || daemonize || pidfile || strstr(vnl[0], "cmd://") || strstr(vnl[1], "cmd://"))) {
		vlog(LOG_WARNING, "user %s: option refused in login mode", log_user);
		fprintf(stderr, "vde_plug: not allowed for this account\n");
		return 1;
	}

	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	c1 = open_plug(vnl[0], descr, &args[0]);
	if (c1 == NULL)
		goto out;
	if (nvnl == 2 && cmd == NULL) {
		c2 = open_plug(vnl[1], descr, &args[1]);
		if (c2 == NULL)
			goto out;
	}
	if (daemonize && daemon(0, cmd == NULL && c2 == NULL) < 0) {
		perror("vde_plug: daemon");
		goto out;
	}
	if (pidfile && write_pidfile(pidfile) < 0)
		goto out;
	if (iplog_on)
		iplog = calloc(1, sizeof(*iplog));
	if (log_on) {
		const char *ssh = getenv("SSH_CLIENT");

		vlog(LOG_INFO, "START user %s%s%.*s", log_user, ssh ? " from " : "",
		     ssh ? (int)strcspn(ssh, " ") : 0, ssh ? ssh : "");
	}
	if (cmd) {
		child = spawn(cmd, &cmd_in, &cmd_out);
		if (child < 0) {
			perror("vde_plug: fork");
			goto out;
		}
		rc = run_stream(c1, cmd_in, cmd_out, iplog);
	} else if (c2) {
		rc = run_cable(c1, c2, iplog);
	} else {
		rc = run_stream(c1, 0, 1, iplog);
	}
	if (log_on)
		vlog(LOG_INFO, "STOP user %s", log_user);
out:
	if (cmd_in >= 0)
		close(cmd_in);
	if (cmd_out >= 0)
		close(cmd_out);
	if (child > 0) {
		int status;

		/* closing its pipes told the command we are gone; a signal to us is one to it too */
		if (stop_signal)
			kill(child, SIGTERM);
		while (waitpid(child, &status, 0) < 0 && errno == EINTR)
			;
	}
	if (c2)
		vde_close(c2);
	if (c1)
		vde_close(c1);
	free(iplog);
	return rc;
}
