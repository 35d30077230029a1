/*
 * config — vded.conf: a JSON object (comments allowed) read at start and on SIGHUP.
 * config_parse() is pure (no I/O, no lookups) so it can be fuzzed; names of groups and users are
 * resolved by main. Network entries are checked with network.create's own parser.
 */
#ifndef VDED_CONFIG_H
#define VDED_CONFIG_H

#include <stddef.h>
#include <netinet/in.h>
#include <json-c/json.h>

#define CONFIG_MAX_SIZE (1 << 20)
#define CONFIG_STR_MAX 256
#define CONFIG_MAX_FORWARD_ADDRESSES 16

struct vded_config {
	char run_dir[CONFIG_STR_MAX];
	char state_dir[CONFIG_STR_MAX];
	char socket[CONFIG_STR_MAX];
	char group[CONFIG_STR_MAX];		/* control socket's group */
	char create_group[CONFIG_STR_MAX];
	char admin_group[CONFIG_STR_MAX];
	char user[CONFIG_STR_MAX];		/* run as this user after setup */
	long max_networks;			/* -1: not set */
	long max_networks_per_user;
	long max_ports_per_user;
	long user_port_max_macs;	/* -1: not set */
	/* Host addresses non-admins may bind slirp forwards on, IPv4 v4-mapped (::ffff:a.b.c.d).
	 * -1: not set (slirp's default, 127.0.0.1); 0: none. */
	int n_forward_addresses;
	struct in6_addr forward_addresses[CONFIG_MAX_FORWARD_ADDRESSES];
	struct json_object *networks;		/* owned: put with config_free(); NULL if none */
};

/* Parse text (len bytes, need not be NUL-terminated). An empty file (or only comments) is an empty
 * configuration. Returns 0, or -EINVAL with a message in err. */
int config_parse(const char *text, size_t len, struct vded_config *cfg, char *err, size_t errlen);
/* Read path and parse it. -ENOENT if it does not exist (err set), other -errno / -EINVAL. */
int config_load(const char *path, struct vded_config *cfg, char *err, size_t errlen);
void config_free(struct vded_config *cfg);

#endif
