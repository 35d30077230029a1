/*
 * vded — the vde daemon: flags, config file, ordered init/exit of the modules, privileges, signals,
 * systemd socket activation and readiness.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <ev.h>
#include <json-c/json.h>

#include "control/config.h"
#include "control/control.h"
#include "log.h"
#include "control/handlers.h"
#include "control/methods.h"
#include "control/replay.h"
#include "backends/endpoint.h"
#include "backends/netns.h"
#include "dataplane/network.h"
#include "control/policy.h"
#include "keep.h"
#include "priv/keeper.h"
#include "priv/priv.h"
#include "backends/slirp.h"
#include "control/store.h"

#define VDED_DEFAULT_CONFIG "/etc/vde/vded.conf"
#define VDED_DEFAULT_GROUP "vde"
#define VDED_DEFAULT_USER "vded"

/* Command-line settings; each wins over the config file. */
struct vded_flags {
	const char *config;
	const char *socket;
	const char *run_dir;
	const char *state_dir;
	const char *group;
	const char *user;
	bool foreground, check_only, keep;
	int verbose;
};

/* What the daemon runs with, resolved from flags, config and the system. */
struct vded_settings {
	char config[PATH_MAX];
	bool config_explicit;
	char run_dir[PATH_MAX];
	char state_dir[PATH_MAX];
	char socket[PATH_MAX];
	bool socket_activated;		/* the control socket came from systemd (socket is then not ours) */
	uid_t uid;			/* the engine's user (started as root); (uid_t)-1: not root, no split */
	gid_t gid;
	struct policy_config policy;
};

static struct vded_flags flags;
static struct vded_settings settings;

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [-F] [-K] [-v]... [-n] [-f CONFIG] [-S CONTROL_SOCKET] [--run-dir DIR] [--state-dir DIR]\n"
		"           [-g GROUP] [-u USER]\n"
		"  -f, --config FILE     configuration (default " VDED_DEFAULT_CONFIG " if it exists)\n"
		"  -S, --socket PATH     control socket (default RUN_DIR/" VDED_SOCKET_NAME ")\n"
		"      --run-dir DIR     sockets and endpoints (default " VDED_DEFAULT_RUN_DIR ")\n"
		"      --state-dir DIR   network definitions (default " VDED_DEFAULT_STATE_DIR ")\n"
		"  -g, --group GROUP     group allowed to use the control socket (default " VDED_DEFAULT_GROUP
		" if it exists)\n"
		"  -u, --user USER       the unprivileged user everything but the privileged acts runs as\n"
		"                        (default " VDED_DEFAULT_USER "; see vded(8), PRIVILEGE SEPARATION)\n"
		"  -F, --foreground      stay in the foreground, log to stderr\n"
		"  -K, --keep            at SIGTERM leave every port to the next vded (systemd's fd store:\n"
		"                        systemctl restart keeps them; see vded(8), RESTARTS)\n"
		"  -v, --verbose         more log (repeat for debug)\n"
		"  -n, --check           check the configuration, print \"configuration OK\" and exit\n"
		"  -h, --help            this help;  --version  the version\n",
		prog);
}

static const char *pick(const char *flag, const char *from_config, const char *dflt)
{
	if (flag)
		return flag;
	return from_config && *from_config ? from_config : dflt;
}

/* Turn a parsed config plus the flags into settings. Prints what is wrong; returns 0 or -1. */
static int settings_resolve(const struct vded_config *cfg, struct vded_settings *s)
{
	const char *group = pick(flags.group, cfg->group, NULL), *user = pick(flags.user, cfg->user, NULL);
	struct policy_config pc = POLICY_DEFAULTS;
	int ret;

	snprintf(s->run_dir, sizeof(s->run_dir), "%s", pick(flags.run_dir, cfg->run_dir, VDED_DEFAULT_RUN_DIR));
	snprintf(s->state_dir, sizeof(s->state_dir), "%s",
		 pick(flags.state_dir, cfg->state_dir, VDED_DEFAULT_STATE_DIR));
	if (flags.socket || cfg->socket[0])
		snprintf(s->socket, sizeof(s->socket), "%s", pick(flags.socket, cfg->socket, NULL));
	else if ((size_t)snprintf(s->socket, sizeof(s->socket), "%s/" VDED_SOCKET_NAME, s->run_dir) >=
		 sizeof(s->socket))
		return -1;
	if (group) {
		ret = policy_resolve_group(group, &pc.socket_group);
		if (ret < 0) {
			fprintf(stderr, "vded: group '%s' does not exist\n", group);
			return -1;
		}
	} else if (policy_resolve_group(VDED_DEFAULT_GROUP, &pc.socket_group) < 0) {
		pc.socket_group = 0;	/* no 'vde' group on this system: root only */
	}
	if (cfg->create_group[0] && policy_resolve_group(cfg->create_group, &pc.create_group) < 0) {
		fprintf(stderr, "vded: create_group '%s' does not exist\n", cfg->create_group);
		return -1;
	}
	if (cfg->admin_group[0] && policy_resolve_group(cfg->admin_group, &pc.admin_group) < 0) {
		fprintf(stderr, "vded: admin_group '%s' does not exist\n", cfg->admin_group);
		return -1;
	}
	if (cfg->max_networks_per_user >= 0)
		pc.max_networks_per_user = (unsigned)cfg->max_networks_per_user;
	if (cfg->max_ports_per_user >= 0)
		pc.max_ports_per_user = (unsigned)cfg->max_ports_per_user;
	if (cfg->user_port_max_macs >= 0)
		pc.user_port_max_macs = (unsigned)cfg->user_port_max_macs;
	s->uid = (uid_t)-1;
	s->gid = (gid_t)-1;
	/* as root before the split, and in the engine on reload (to compare with what it runs as) */
	if (geteuid() == 0 || settings.uid != (uid_t)-1) {
		if (priv_lookup_user(user ? user : VDED_DEFAULT_USER, &s->uid, &s->gid) < 0) {
			fprintf(stderr, "vded: user '%s' does not exist%s\n", user ? user : VDED_DEFAULT_USER,
				user ? "" : " (systemd-sysusers makes it from sysusers.d/vde.conf; or name one with -u)");
			return -1;
		}
		if (s->uid == 0) {
			fprintf(stderr, "vded: user '%s' is root: the engine must run unprivileged\n", user);
			return -1;
		}
	}
	s->policy = pc;
	/* last: nothing above may fail after a setting took effect */
	if (cfg->max_networks >= 0)
		network_set_max((unsigned)cfg->max_networks);
	return 0;
}

/* Load the config file (a missing default one is an empty config). Returns 0 or -1 (printed). */
static int config_read(const char *path, bool must_exist, struct vded_config *cfg)
{
	char err[300];
	int ret = config_load(path, cfg, err, sizeof(err));

	if (ret == -ENOENT && !must_exist)
		return config_parse("", 0, cfg, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "vded: %s: %s\n", path, err);
		return -1;
	}
	return 0;
}

/* Refuse directories others could plant sockets or definitions in: vded trusts what it finds there. */
static int dir_check_safe(const char *path, uid_t owner)
{
	struct stat st;

	if (lstat(path, &st) < 0) {
		log_err("%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		log_err("%s: not a directory (a symlink is not accepted either)", path);
		return -1;
	}
	if (st.st_uid != 0 && st.st_uid != owner) {
		log_err("%s: unsafe: owned by uid %u, not by root or vded's user", path, (unsigned)st.st_uid);
		return -1;
	}
	if (st.st_mode & 022) {
		log_err("%s: unsafe: writable by group or others (mode %04o)", path, st.st_mode & 07777);
		return -1;
	}
	return 0;
}

static int mkdir_p(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* The run dir: root's, 0755. Endpoints below it are made by the privileged process. */
static int run_dir_prepare(const char *path)
{
	int ret = mkdir_p(path, 0755);

	if (ret < 0) {
		log_err("%s: %s", path, strerror(-ret));
		return -1;
	}
	return dir_check_safe(path, (uid_t)-1);
}

/* Give the definitions in dir (made by an older vded running as root) to the engine's user, while
 * dir is still root's and nobody else's to write: by fd, never following a link. */
static void state_files_give(int dirfd, uid_t uid, gid_t gid)
{
	DIR *d = fdopendir(dup(dirfd));
	struct dirent *de;
	struct stat st;

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_uid != 0)
			continue;
		if (S_ISREG(st.st_mode)) {
			if (fchownat(dirfd, de->d_name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
				log_warn("%s: %s", de->d_name, strerror(errno));
		} else if (S_ISDIR(st.st_mode) && strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0) {
				state_files_give(sub, uid, gid);
				if (fchown(sub, uid, gid) < 0)
					log_warn("%s: %s", de->d_name, strerror(errno));
				close(sub);
			}
		}
	}
	closedir(d);
}

/* The state dir: the engine's user's (it writes the definitions). */
static int state_dir_prepare(const char *path)
{
	int ret = mkdir_p(path, 0755), fd;

	if (ret < 0) {
		log_err("%s: %s", path, strerror(-ret));
		return -1;
	}
	if (dir_check_safe(path, settings.uid) < 0)
		return -1;
	if (settings.uid == (uid_t)-1)
		return 0;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		log_err("%s: %s", path, strerror(errno));
		return -1;
	}
	state_files_give(fd, settings.uid, settings.gid);
	ret = fchown(fd, settings.uid, settings.gid);
	close(fd);
	if (ret < 0) {
		log_err("%s: chown: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Each connection, port and pending handshake is a descriptor: take what the hard limit allows. */
static void nofile_raise(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			log_warn("RLIMIT_NOFILE: %s", strerror(errno));
	}
}

/* The privileged process is gone (our end of the socketpair reads EOF): nothing privileged can be
 * done any more, so stop cleanly rather than limp. */
static void parent_gone_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	log_err("the privileged process is gone: shutting down");
	ev_io_stop(loop, w);
	ev_break(loop, EVBREAK_ALL);
}

static void replay_config_networks(const struct vded_config *cfg)
{
	if (!cfg->networks)
		return;
	for (size_t i = 0; i < json_object_array_length(cfg->networks); i++) {
		struct vde_error e = { 0 };
		if (replay_network(json_object_array_get_idx(cfg->networks, i), false, &e) < 0)
			log_err("config: networks[%zu]: %s", i, e.message);
	}
}

static bool leave_ports;		/* exit leaving every port to the next life (keep.h) */

static void signal_stop_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	leave_ports = flags.keep && w->signum == SIGTERM;
	log_notice("signal %d: %s", w->signum, leave_ports ? "exiting, every port kept for the next start" :
		   "shutting down");
	ev_break(loop, EVBREAK_ALL);
}

/* SIGHUP: re-read the config; apply groups and quotas, create networks it adds. Ports, existing
 * networks, directories and the socket stay as they are (those changes need a restart). */
static void signal_hup_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct vded_config cfg;
	struct vded_settings s;

	log_notice("SIGHUP: reloading %s", settings.config);
	if (config_read(settings.config, settings.config_explicit, &cfg) < 0) {
		log_err("reload: %s unusable, keeping the running configuration", settings.config);
		return;
	}
	if (settings_resolve(&cfg, &s) < 0) {
		log_err("reload: keeping the running configuration");
		config_free(&cfg);
		return;
	}
	{
		/* name only what changed: a warning about settings nobody touched is noise */
		char what[96] = "";
		if (strcmp(s.run_dir, settings.run_dir))
			strcat(what, ", run_dir");
		if (strcmp(s.state_dir, settings.state_dir))
			strcat(what, ", state_dir");
		if (!settings.socket_activated && strcmp(s.socket, settings.socket))
			strcat(what, ", socket");
		if (s.uid != settings.uid)
			strcat(what, ", user");
		if (what[0])
			log_warn("reload: the change of %s takes effect at the next start", what + 2);
	}
	settings.policy = s.policy;
	policy_configure(&settings.policy);
	slirp_configure(&cfg);
	replay_config_networks(&cfg);
	config_free(&cfg);
	log_notice("reload done: socket group %u, create group %d, admin group %d, quotas %u networks / %u ports",
		   (unsigned)s.policy.socket_group, (int)s.policy.create_group, (int)s.policy.admin_group,
		   s.policy.max_networks_per_user, s.policy.max_ports_per_user);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'f' },
		{ "socket", required_argument, NULL, 'S' },
		{ "run-dir", required_argument, NULL, 'R' },
		{ "state-dir", required_argument, NULL, 'D' },
		{ "group", required_argument, NULL, 'g' },
		{ "user", required_argument, NULL, 'u' },
		{ "foreground", no_argument, NULL, 'F' },
		{ "keep", no_argument, NULL, 'K' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "check", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct vded_config cfg = { 0 };
	struct ev_loop *loop;
	ev_signal sig_int, sig_term, sig_hup;
	ev_io parent_watch;
	int c, ret, status = 1, listen_fd;

	while ((c = getopt_long(argc, argv, "f:S:g:u:FKvnh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': flags.config = optarg; break;
		case 'S': flags.socket = optarg; break;
		case 'R': flags.run_dir = optarg; break;
		case 'D': flags.state_dir = optarg; break;
		case 'g': flags.group = optarg; break;
		case 'u': flags.user = optarg; break;
		case 'F': flags.foreground = true; break;
		case 'K': flags.keep = true; break;
		case 'v': flags.verbose++; break;
		case 'n': flags.check_only = true; break;
		case 'h': usage(stdout, argv[0]); return 0;
		case 'V': printf("vded " VDE_VERSION "\n"); return 0;
		default: usage(stderr, argv[0]); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vded: unexpected argument '%s'\n", argv[optind]);
		usage(stderr, argv[0]);
		return 2;
	}
	snprintf(settings.config, sizeof(settings.config), "%s", flags.config ? flags.config : VDED_DEFAULT_CONFIG);
	settings.config_explicit = flags.config != NULL;
	if (config_read(settings.config, settings.config_explicit, &cfg) < 0 || settings_resolve(&cfg, &settings) < 0)
		goto out;
	if (flags.check_only) {
		printf("configuration OK\n");
		status = 0;
		goto out;
	}

	/* what the previous life left: systemd's socket and fd store, or an upgrade's exec */
	keeper_use_fd_store(flags.keep);
	keeper_import();
	log_init("vded", !flags.foreground, flags.verbose);
	if (!flags.foreground && !keeper_has(KEEPER_PREFIX "control", NULL) && daemon(0, 0) < 0) {
		log_err("daemon: %s", strerror(errno));
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	umask(022);
	nofile_raise();
	/* as root, before the split: what lives in root-owned places */
	if (run_dir_prepare(settings.run_dir) < 0 || state_dir_prepare(settings.state_dir) < 0)
		goto out;
	if (!keeper_has(KEEPER_PREFIX "control", &settings.socket_activated)) {
		listen_fd = control_listen(settings.socket, settings.policy.socket_group);
		if (listen_fd < 0) {
			log_err("control socket %s: %s%s", settings.socket, strerror(-listen_fd),
				listen_fd == -EADDRINUSE ? " (another vded is running)" : "");
			goto out;
		}
		/* kept, so a new engine (or vded) serves the very same socket */
		ret = keeper_put(KEEPER_PREFIX "control", listen_fd, false);
		close(listen_fd);
		if (ret < 0) {
			log_err("control socket: %s", strerror(-ret));
			goto out;
		}
	}
	{
		struct priv_setup ps = { .engine_uid = settings.uid, .engine_gid = settings.gid,
					 .run_dir = settings.run_dir, .argv = argv };
		/* the parent stays in here for good; what returns is the engine, unprivileged */
		ret = priv_split(&ps);
		if (ret < 0) {
			log_err("privilege separation: %s", strerror(-ret));
			goto out;
		}
	}
	loop = ev_default_loop(EVFLAG_AUTO);
	if (!loop) {
		log_err("cannot initialise the event loop");
		goto out;
	}
	if (keep_init(loop) < 0)
		log_warn("keep: ports will not survive a restart");
	listen_fd = keep_claim(KEEPER_PREFIX "control");
	ret = store_init(settings.state_dir);
	if (ret < 0) {
		log_err("state dir %s: %s", settings.state_dir, strerror(-ret));
		goto out;
	}
	ret = netns_init(settings.state_dir);
	if (ret < 0) {
		log_err("state dir %s: %s", settings.state_dir, strerror(-ret));
		goto out;
	}
	methods_set_info(settings.run_dir, settings.state_dir);
	policy_configure(&settings.policy);
	slirp_configure(&cfg);
	ret = network_init(loop);
	if (ret == 0)
		ret = endpoint_init(loop, settings.run_dir);
	if (ret < 0) {
		log_err("networks: %s", strerror(-ret));
		goto out_net;
	}
	ret = control_adopt(loop, listen_fd);
	if (ret < 0) {
		log_err("control socket %s: %s", settings.socket, strerror(-ret));
		goto out_net;
	}
	if (priv_parent_fd() >= 0) {
		ev_io_init(&parent_watch, parent_gone_cb, priv_parent_fd(), EV_READ);
		ev_io_start(loop, &parent_watch);
	}
	ret = replay_store();
	log_info("%d network(s) loaded from %s", ret, settings.state_dir);
	replay_config_networks(&cfg);
	netns_load_all();
	control_resume();
	handlers_resume_port_policies();
	keep_finish();

	ev_signal_init(&sig_int, signal_stop_cb, SIGINT);
	ev_signal_init(&sig_term, signal_stop_cb, SIGTERM);
	ev_signal_init(&sig_hup, signal_hup_cb, SIGHUP);
	ev_signal_start(loop, &sig_int);
	ev_signal_start(loop, &sig_term);
	ev_signal_start(loop, &sig_hup);
	log_notice("vded %s ready: control socket %s, %u network(s)%s", VDE_VERSION,
		   settings.socket_activated ? "(socket activation)" : settings.socket, network_count(),
		   keep_resuming() ? ", resumed" : "");
	priv_ready();
	ev_run(loop, 0);
	status = 0;
	if (leave_ports || keep_leaving()) {
		/* no teardown: the descriptors are the next life's (the parent and systemd hold them) */
		slirp_save_all();
		keep_flush();
		goto out;
	}
	control_exit();
out_net:
	netns_exit();
	network_exit();
	endpoint_exit();
out:
	config_free(&cfg);
	return status;
}
