/*
 * vded — the vde daemon: flags, config file, ordered init/exit of the modules, signals.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <ev.h>
#include <json-c/json.h>

#include "control.h"
#include "log.h"
#include "methods.h"
#include "network.h"
#include "policy.h"
#include "store.h"

#define VDED_DEFAULT_CONFIG "/etc/vde/vded.conf"
#define VDED_DEFAULT_GROUP "vde"
#define CONFIG_MAX_SIZE (1 << 20)

struct vded_opts {
	const char *config;
	const char *socket;
	const char *run_dir;
	const char *state_dir;
	const char *group;
	bool foreground, check_only;
	int verbose;
	struct json_object *networks;	/* from the config file, replayed through network.create */
};

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [-F] [-v]... [-n] [-f CONFIG] [-S CONTROL_SOCKET] [--run-dir DIR] [--state-dir DIR]\n"
		"           [--group GROUP]\n"
		"  -f, --config FILE     configuration (default " VDED_DEFAULT_CONFIG " if it exists)\n"
		"  -S, --socket PATH     control socket (default RUN_DIR/" VDED_SOCKET_NAME ")\n"
		"      --run-dir DIR     sockets and endpoints (default " VDED_DEFAULT_RUN_DIR ")\n"
		"      --state-dir DIR   network definitions (default " VDED_DEFAULT_STATE_DIR ")\n"
		"  -g, --group GROUP     group allowed to use the control socket (default " VDED_DEFAULT_GROUP
		" if it exists)\n"
		"  -F, --foreground      stay in the foreground, log to stderr\n"
		"  -v, --verbose         more log (repeat for debug)\n"
		"  -n, --check           check the configuration, print \"configuration OK\" and exit\n"
		"  -h, --help            this help;  --version  the version\n",
		prog);
}

/* Read and check the config file. Every string stays owned by the returned root object. */
static int config_load(const char *path, bool must_exist, struct vded_opts *o, struct json_object **root)
{
	struct json_tokener *tok;
	struct json_object *cfg;
	char *buf;
	size_t len = 0;
	FILE *f = fopen(path, "re");

	*root = NULL;
	if (!f) {
		if (!must_exist && errno == ENOENT)
			return 0;
		fprintf(stderr, "vded: %s: %s\n", path, strerror(errno));
		return -1;
	}
	buf = malloc(CONFIG_MAX_SIZE + 1);
	if (!buf) {
		fclose(f);
		return -1;
	}
	len = fread(buf, 1, CONFIG_MAX_SIZE + 1, f);
	fclose(f);
	if (len > CONFIG_MAX_SIZE) {
		fprintf(stderr, "vded: %s: larger than %d bytes\n", path, CONFIG_MAX_SIZE);
		free(buf);
		return -1;
	}
	/* JSON with C/C++ comments (json-c's non-strict mode) */
	tok = json_tokener_new();
	cfg = json_tokener_parse_ex(tok, buf, (int)len);
	if (!cfg || json_tokener_get_error(tok) != json_tokener_success) {
		fprintf(stderr, "vded: %s: not valid JSON: %s (near byte %zu)\n", path,
			json_tokener_error_desc(json_tokener_get_error(tok)), json_tokener_get_parse_end(tok));
		json_tokener_free(tok);
		json_object_put(cfg);
		free(buf);
		return -1;
	}
	json_tokener_free(tok);
	free(buf);
	if (!json_object_is_type(cfg, json_type_object)) {
		fprintf(stderr, "vded: %s: the configuration must be a JSON object\n", path);
		goto bad;
	}
	json_object_object_foreach(cfg, key, val) {
		const char **slot = NULL;

		if (strcmp(key, "run_dir") == 0)
			slot = &o->run_dir;
		else if (strcmp(key, "state_dir") == 0)
			slot = &o->state_dir;
		else if (strcmp(key, "socket") == 0)
			slot = &o->socket;
		else if (strcmp(key, "group") == 0)
			slot = &o->group;
		else if (strcmp(key, "networks") == 0) {
			if (!json_object_is_type(val, json_type_array)) {
				fprintf(stderr, "vded: %s: 'networks' must be an array\n", path);
				goto bad;
			}
			for (size_t i = 0; i < json_object_array_length(val); i++) {
				struct json_object *def = json_object_array_get_idx(val, i);
				struct method_args args;
				struct vde_error e = { 0 };

				if (methods_parse("network.create", def, &args, &e) < 0) {
					fprintf(stderr, "vded: %s: networks[%zu]: %s\n", path, i, e.message);
					goto bad;
				}
			}
			o->networks = val;
			continue;
		} else {
			fprintf(stderr, "vded: %s: unknown key '%s'\n", path, key);
			goto bad;
		}
		if (!json_object_is_type(val, json_type_string) || !*json_object_get_string(val)) {
			fprintf(stderr, "vded: %s: '%s' must be a non-empty string\n", path, key);
			goto bad;
		}
		/* command-line flags win over the file */
		if (!*slot)
			*slot = json_object_get_string(val);
	}
	*root = cfg;
	return 0;
bad:
	json_object_put(cfg);
	return -1;
}

/* The control socket's group: a name or a number; the default group only if it exists. */
static int resolve_group(const char *name, bool explicit, gid_t *gid)
{
	struct group *gr;
	char *end;
	unsigned long n;

	*gid = 0;
	if (!name)
		return 0;
	errno = 0;
	n = strtoul(name, &end, 10);
	if (*name && !*end && !errno) {
		*gid = (gid_t)n;
		return 0;
	}
	gr = getgrnam(name);
	if (gr) {
		*gid = gr->gr_gid;
		return 0;
	}
	if (!explicit)
		return 0;	/* no 'vde' group on this system: root only */
	fprintf(stderr, "vded: group '%s' does not exist\n", name);
	return -1;
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

static void signal_stop_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	log_notice("signal %d: shutting down", w->signum);
	ev_break(loop, EVBREAK_ALL);
}

static void signal_hup_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	log_notice("SIGHUP: nothing to reload yet; ports and networks untouched");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'f' },
		{ "socket", required_argument, NULL, 'S' },
		{ "run-dir", required_argument, NULL, 'R' },
		{ "state-dir", required_argument, NULL, 'D' },
		{ "group", required_argument, NULL, 'g' },
		{ "foreground", no_argument, NULL, 'F' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "check", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct vded_opts o = { 0 };
	struct json_object *cfg = NULL;
	char sockpath[PATH_MAX];
	struct ev_loop *loop;
	ev_signal sig_int, sig_term, sig_hup;
	gid_t group;
	int c, ret, status = 1;

	while ((c = getopt_long(argc, argv, "f:S:g:Fvnh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': o.config = optarg; break;
		case 'S': o.socket = optarg; break;
		case 'R': o.run_dir = optarg; break;
		case 'D': o.state_dir = optarg; break;
		case 'g': o.group = optarg; break;
		case 'F': o.foreground = true; break;
		case 'v': o.verbose++; break;
		case 'n': o.check_only = true; break;
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
	bool group_explicit = o.group != NULL;
	if (config_load(o.config ? o.config : VDED_DEFAULT_CONFIG, o.config != NULL, &o, &cfg) < 0)
		return 1;
	group_explicit = group_explicit || (cfg && o.group);
	if (!o.run_dir)
		o.run_dir = VDED_DEFAULT_RUN_DIR;
	if (!o.state_dir)
		o.state_dir = VDED_DEFAULT_STATE_DIR;
	if (!o.group)
		o.group = VDED_DEFAULT_GROUP;
	if (o.socket)
		snprintf(sockpath, sizeof(sockpath), "%s", o.socket);
	else
		snprintf(sockpath, sizeof(sockpath), "%s/" VDED_SOCKET_NAME, o.run_dir);
	if (resolve_group(o.group, group_explicit, &group) < 0)
		goto out;
	if (o.check_only) {
		printf("configuration OK\n");
		status = 0;
		goto out;
	}

	log_init("vded", !o.foreground, o.verbose);
	if (!o.foreground && daemon(0, 0) < 0) {
		log_err("daemon: %s", strerror(errno));
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	umask(022);
	loop = ev_default_loop(EVFLAG_AUTO);
	if (!loop) {
		log_err("cannot initialise the event loop");
		goto out;
	}
	ret = mkdir_p(o.run_dir, 0755);
	if (ret < 0) {
		log_err("%s: %s", o.run_dir, strerror(-ret));
		goto out;
	}
	ret = store_init(o.state_dir);
	if (ret < 0) {
		log_err("state dir %s: %s", o.state_dir, strerror(-ret));
		goto out;
	}
	methods_set_info(o.run_dir, o.state_dir);
	policy_set_group(group);
	ret = network_init(loop, o.run_dir, group);
	if (ret < 0) {
		log_err("networks: %s", strerror(-ret));
		goto out_net;
	}
	ret = control_init(loop, sockpath, group);
	if (ret < 0) {
		log_err("control socket %s: %s%s", sockpath, strerror(-ret),
			ret == -EADDRINUSE ? " (another vded is running)" : "");
		goto out_net;
	}
	ret = store_load_all();
	log_info("%d network(s) loaded from %s", ret, o.state_dir);
	if (o.networks) {
		for (size_t i = 0; i < json_object_array_length(o.networks); i++) {
			struct vde_error e = { 0 };
			if (methods_replay_create(json_object_array_get_idx(o.networks, i), false, &e) < 0)
				log_err("config: networks[%zu]: %s", i, e.message);
		}
	}

	ev_signal_init(&sig_int, signal_stop_cb, SIGINT);
	ev_signal_init(&sig_term, signal_stop_cb, SIGTERM);
	ev_signal_init(&sig_hup, signal_hup_cb, SIGHUP);
	ev_signal_start(loop, &sig_int);
	ev_signal_start(loop, &sig_term);
	ev_signal_start(loop, &sig_hup);
	log_notice("vded %s ready: control socket %s, %u network(s)", VDE_VERSION, sockpath, network_count());
	ev_run(loop, 0);
	status = 0;

	control_exit();
out_net:
	network_exit();
out:
	json_object_put(cfg);
	return status;
}
