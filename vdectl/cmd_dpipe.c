/*
 * dpipe — a bidirectional pipe: `dpipe [OPTIONS] cmd1 [args] = cmd2 [args] [= cmd3 ...]` (doc/vde-wire.md §7).
 *
 * cmd1's stdout feeds cmd2's stdin and cmd2's stdout feeds cmd1's stdin. With more commands, each
 * intermediate one talks to the previous on stdin/stdout and to the next on an alternate pair of fds,
 * whose numbers it finds in $ALTERNATE_STDIN and $ALTERNATE_STDOUT (as vde2's dpipe does).
 * The directional forms of vde2's dpipe (=}, {=, }=, ={) are not supported and are refused.
 * dpipe waits for every command; a TERM/INT/HUP it receives is passed on to them.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_CMDS 64

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: dpipe [OPTIONS] cmd1 [args] = cmd2 [args] [= cmd3 [args] ...]\n"
		"  -d, --daemon            run in the background\n"
		"  -p, --pidfile FILE      write the process id of dpipe (with -n: of the last command) to FILE\n"
		"  -P, --pgrpfile FILE     write the (negative) process group id of all the commands to FILE\n"
		"  -n, --nowrapproc        no dpipe process: the last command is the parent of the others\n"
		"  -N, --nowrapnoclean     like -n (files given with -p/-P are left in place)\n"
		"  -h, --help              this help\n"
		"Intermediate commands talk to the next one on the fds in $ALTERNATE_STDIN/$ALTERNATE_STDOUT.\n");
}

static int write_file(const char *path, long value)
{
	FILE *f = fopen(path, "we");

	if (f == NULL || fprintf(f, "%ld\n", value) < 0 || fclose(f) != 0) {
		fprintf(stderr, "dpipe: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* In the child: stdin/stdout become in/out, the alternate pair (ain, aout; -1 if none) gets the lowest
 * numbers from 3 up (shells like dash only redirect single-digit fds), everything else is closed. */
static void child_exec(char **argv, int *fds, int nfds, int in, int out, int ain, int aout)
{
	char num[16];

	if (dup2(in, 0) < 0 || dup2(out, 1) < 0)
		_exit(127);
	for (int i = 0; i < nfds; i++)
		if (fds[i] != ain && fds[i] != aout)
			close(fds[i]);
	if (ain >= 0) {
		/* F_DUPFD returns a copy without close-on-exec, at the lowest free number >= 3 */
		int a = fcntl(ain, F_DUPFD, 3), b;

		close(ain);
		b = fcntl(aout, F_DUPFD, 3);
		close(aout);
		if (a < 0 || b < 0)
			_exit(127);
		snprintf(num, sizeof(num), "%d", a);
		setenv("ALTERNATE_STDIN", num, 1);
		snprintf(num, sizeof(num), "%d", b);
		setenv("ALTERNATE_STDOUT", num, 1);
	} else {
		unsetenv("ALTERNATE_STDIN");
		unsetenv("ALTERNATE_STDOUT");
	}
	signal(SIGPIPE, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	execvp(argv[0], argv);
	fprintf(stderr, "dpipe: %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "daemon", no_argument, NULL, 'd' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "pgrpfile", required_argument, NULL, 'P' },
		{ "nowrapproc", no_argument, NULL, 'n' },
		{ "nowrapnoclean", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *pidfile = NULL, *pgrpfile = NULL;
	int daemonize = 0, nowrap = 0, opt, ncmd = 0, rc = 0, alive;
	char **cmds[MAX_CMDS];
	/* link i joins cmd i and cmd i+1: fwd carries i → i+1, back carries i+1 → i */
	int fwd[MAX_CMDS][2], back[MAX_CMDS][2];
	int allfds[MAX_CMDS * 4], nfds = 0;
	pid_t pids[MAX_CMDS];
	struct sigaction sa = { .sa_handler = on_signal };

	/* '+': stop at the first command word, its options are its own */
	while ((opt = getopt_long(argc, argv, "+dp:P:nNh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'd': daemonize = 1; break;
		case 'p': pidfile = optarg; break;
		case 'P': pgrpfile = optarg; break;
		case 'n':
		case 'N': nowrap = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	/* split the remaining words at each "=" into NULL-terminated argvs, in place */
	cmds[ncmd++] = argv + optind;
	for (int i = optind; i < argc; i++) {
		if (strcmp(argv[i], "=}") == 0 || strcmp(argv[i], "}=") == 0 || strcmp(argv[i], "={") == 0 ||
		    strcmp(argv[i], "{=") == 0) {
			fprintf(stderr, "dpipe: directional links (%s) are not supported\n", argv[i]);
			return 2;
		}
		if (strcmp(argv[i], "=") == 0) {
			argv[i] = NULL;
			if (ncmd == MAX_CMDS) {
				fprintf(stderr, "dpipe: at most %d commands\n", MAX_CMDS);
				return 2;
			}
			cmds[ncmd++] = argv + i + 1;
		}
	}
	for (int i = 0; i < ncmd; i++) {
		if (cmds[i][0] == NULL) {
			usage(stderr);
			return 2;
		}
	}
	if (ncmd < 2) {
		usage(stderr);
		return 2;
	}

	if (daemonize && daemon(1, 1) < 0) {
		perror("dpipe: daemon");
		return 1;
	}
	if (pgrpfile && !daemonize && setpgid(0, 0) < 0) {
		perror("dpipe: setpgid");
		return 1;
	}
	if (pidfile && write_file(pidfile, (long)getpid()) < 0)
		return 1;
	if (pgrpfile && write_file(pgrpfile, -(long)getpgrp()) < 0)
		return 1;

	for (int i = 0; i + 1 < ncmd; i++) {
		if (pipe2(fwd[i], O_CLOEXEC) < 0 || pipe2(back[i], O_CLOEXEC) < 0) {
			perror("dpipe: pipe");
			return 1;
		}
		allfds[nfds++] = fwd[i][0];
		allfds[nfds++] = fwd[i][1];
		allfds[nfds++] = back[i][0];
		allfds[nfds++] = back[i][1];
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	for (int i = 0; i < ncmd; i++) {
		/* towards the previous command: stdin/stdout; towards the next one: stdin/stdout for the first
		 * command, the alternate pair for the others */
		int in = -1, out = -1, ain = -1, aout = -1;

		if (i > 0) {
			in = fwd[i - 1][0];
			out = back[i - 1][1];
		}
		if (i + 1 < ncmd) {
			if (i == 0) {
				in = back[i][0];
				out = fwd[i][1];
			} else {
				ain = back[i][0];
				aout = fwd[i][1];
			}
		}
		/* with -n the last command replaces dpipe itself */
		if (nowrap && i == ncmd - 1) {
			child_exec(cmds[i], allfds, nfds, in, out, ain, aout);
		}
		pids[i] = fork();
		if (pids[i] < 0) {
			perror("dpipe: fork");
			got_signal = SIGTERM;
			ncmd = i;
			break;
		}
		if (pids[i] == 0)
			child_exec(cmds[i], allfds, nfds, in, out, ain, aout);
	}
	for (int i = 0; i + 1 < ncmd; i++) {
		close(fwd[i][0]);
		close(fwd[i][1]);
		close(back[i][0]);
		close(back[i][1]);
	}

	alive = ncmd;
	while (alive > 0) {
		int status;
		pid_t pid;

		if (got_signal) {
			for (int i = 0; i < ncmd; i++)
				if (pids[i] > 0)
					kill(pids[i], SIGTERM);
			got_signal = 0;
		}
		pid = waitpid(-1, &status, 0);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < ncmd; i++) {
			if (pids[i] != pid)
				continue;
			pids[i] = 0;
			alive--;
			if (rc == 0)
				rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		}
	}
	if (pidfile)
		unlink(pidfile);
	if (pgrpfile)
		unlink(pgrpfile);
	return rc;
}
