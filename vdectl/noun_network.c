/*
 * vdectl network: create, set, delete, list, show, attach (run a command on a new port), connect and
 * disconnect (uplinks). Parsing and checks are options.c's, by the table in main.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vdectl.h"

int network_create(const struct command *cmd, struct request *req)
{
	return call_print("network.create", req, PRINT_NOTHING);
}

int network_set(const struct command *cmd, struct request *req)
{
	return call_print("network.set", req, PRINT_NOTHING);
}

int network_delete(const struct command *cmd, struct request *req)
{
	return call_print("network.delete", req, PRINT_NOTHING);
}

int network_list(const struct command *cmd, struct request *req)
{
	return call_print_all("network.list", req, "networks", PRINT_NETWORK_LIST);
}

int network_show(const struct command *cmd, struct request *req)
{
	return call_print_all("network.show", req, "port_list", PRINT_NETWORK);
}

int network_connect(const struct command *cmd, struct request *req)
{
	return call_print("network.connect", req, PRINT_PORT);
}

int network_disconnect(const struct command *cmd, struct request *req)
{
	return call_print("network.disconnect", req, PRINT_NOTHING);
}

/* The description vded shows for an attached command, in libvdeplug's "<descr> user=U pid=P" style. */
static void attach_description(char *buf, size_t size, const char *cmd)
{
	const char *base = strrchr(cmd, '/');
	struct passwd *pw = getpwuid(getuid());
	char uid[24];

	snprintf(uid, sizeof(uid), "%u", (unsigned)getuid());
	snprintf(buf, size, "vdectl: %.160s user=%s pid=%d", base ? base + 1 : cmd,
		 pw ? pw->pw_name : uid, (int)getpid());
}

/* "HUP", "SIGHUP", "1", "none" (0) -> the signal number; -1 if it is none of them. */
static int signal_by_name(const char *s)
{
	static const struct { const char *name; int sig; } sigs[] = {
		{ "HUP", SIGHUP }, { "INT", SIGINT }, { "TERM", SIGTERM }, { "KILL", SIGKILL },
		{ "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "QUIT", SIGQUIT },
	};
	char *end;
	long n;

	if (strcmp(s, "none") == 0)
		return 0;
	if (strncmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (strcmp(s, sigs[i].name) == 0)
			return sigs[i].sig;
	n = strtol(s, &end, 10);
	return *s && !*end && n > 0 && n < NSIG ? (int)n : -1;
}

/*
 * Run cmd with datafd (taken) at descriptor target, keep the control connection (and so the port)
 * open while it runs, pass on termination signals, and return its exit status (128+N if killed by N).
 */
static int attach_run(int datafd, int target, char **cmd, const char *network, int hangup_sig)
{
	sigset_t sigs, oldmask;
	int sfd, status = 0, ctl = call_fd();
	pid_t pid;

	/* An inherited SIG_IGN for SIGCHLD would make the kernel reap the child behind our back. */
	signal(SIGCHLD, SIG_DFL);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGCHLD);
	/* Blocked before fork, so no signal is lost between fork and the signalfd. */
	if (sigprocmask(SIG_BLOCK, &sigs, &oldmask) < 0) {
		errmsg("sigprocmask: %s", strerror(errno));
		return VDECTL_ERROR;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		errmsg("fork: %s", strerror(errno));
		return VDECTL_ERROR;
	}
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &oldmask, NULL);
		/* The fd arrived O_CLOEXEC; dup2 gives a copy without it, or clear it in place. */
		if (datafd == target) {
			if (fcntl(datafd, F_SETFD, 0) < 0) {
				errmsg("fd %d: %s", target, strerror(errno));
				_exit(126);
			}
		} else {
			if (dup2(datafd, target) < 0) {
				errmsg("cannot use fd %d: %s", target, strerror(errno));
				_exit(126);
			}
			close(datafd);
		}
		execvp(cmd[0], cmd);
		errmsg("cannot run %s: %s", cmd[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}

	close(datafd);	/* the child's copy is the port's only user end now */
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (sfd < 0) {
		errmsg("signalfd: %s", strerror(errno));
		kill(pid, SIGTERM);
		waitpid(pid, &status, 0);
		return VDECTL_ERROR;
	}
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = sfd, .events = POLLIN },
			{ .fd = ctl, .events = POLLIN },
		};
		struct signalfd_siginfo si;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			errmsg("poll: %s", strerror(errno));
			break;
		}
		if (pfd[1].revents) {
			/* Nothing is expected on the connection: EOF means vded dropped the port. */
			char junk[512];
			ssize_t n = recv(ctl, junk, sizeof(junk), MSG_DONTWAIT);

			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
				errmsg("vded closed the control connection: network '%s' port is gone%s", network,
				       hangup_sig ? "; telling the command" : "");
				ctl = -1;	/* poll ignores negative fds */
				if (hangup_sig)
					kill(pid, hangup_sig);
			}
		}
		if (!(pfd[0].revents & POLLIN) || read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo == SIGCHLD) {
			if (waitpid(pid, &status, WNOHANG) == pid)
				break;
			continue;
		}
		/*
		 * A signal from the terminal (SI_KERNEL: ^C, hang-up) already went to the child, which
		 * shares our process group; only pass on the ones sent to us alone (kill, systemd).
		 */
		if (si.ssi_code != SI_KERNEL)
			kill(pid, (int)si.ssi_signo);
	}
	close(sfd);
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return VDECTL_ERROR;
}

int network_attach(const struct command *cmd, struct request *req)
{
	struct json_object *result, *params = req->params;
	long long target = 3;
	char description[256];
	int datafd, ret;

	const char *sig = request_opt(req, "hangup-signal", NULL);
	int hangup_sig = SIGHUP;

	request_opt(req, "fd", &target);
	if (sig) {
		hangup_sig = signal_by_name(sig);
		if (hangup_sig < 0) {
			errmsg("--hangup-signal: '%s' is not a signal (HUP, TERM, USR1, a number, or none)", sig);
			return VDECTL_USAGE;
		}
	}
	if (!request_opt(req, "description", NULL)) {
		attach_description(description, sizeof(description), req->argv_cmd[0]);
		json_object_object_add(params, "description", json_object_new_string(description));
	}
	req->params = NULL;
	ret = call("network.attach", params, &result, &datafd);
	if (ret)
		return ret;
	json_object_put(result);
	if (datafd < 0) {
		errmsg("network.attach: vded sent no descriptor");
		return VDECTL_ERROR;
	}
	return attach_run(datafd, (int)target, req->argv_cmd, req->pos[0], hangup_sig);
}
