/*
 * vdectl ns: network namespaces with interfaces on networks. create, delete and list ask vded; exec
 * enters a namespace itself, as `ip netns exec` does.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "vdectl.h"

/* Where vded (and `ip netns`) pin named network namespaces. */
#define VDECTL_NETNS_DIR "/run/netns"

/*
 * --net NET:vlan=N: the interface on NET is an access port of VLAN N. The networks go as names, the
 * VLANs as "vlans" (one per network, 0 for none), which vded keeps with the namespace.
 */
static void ns_create_vlans(const struct command *cmd, struct request *req)
{
	struct json_object *nets, *vlans = NULL;
	size_t n;

	if (!json_object_object_get_ex(req->params, "networks", &nets) || !json_object_is_type(nets, json_type_array))
		return;
	n = json_object_array_length(nets);
	for (size_t i = 0; i < n; i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(nets, i));
		const char *colon = strchr(s, ':');
		char *end;
		unsigned long v = 0;

		if (colon) {
			if (strncmp(colon, ":vlan=", 6) != 0 || !colon[6])
				usage_fail(NULL, cmd, "--net: '%s' is not NET or NET:vlan=N", s);
			v = strtoul(colon + 6, &end, 10);
			if (*end || v < 1 || v > 4094)
				usage_fail(NULL, cmd, "--net: '%s': a VLAN is 1..4094", s);
			if (!vlans) {
				vlans = json_object_new_array();
				for (size_t k = 0; k < i; k++)
					json_object_array_add(vlans, json_object_new_int(0));
			}
			json_object_array_put_idx(nets, i, json_object_new_string_len(s, (int)(colon - s)));
		}
		if (vlans)
			json_object_array_add(vlans, json_object_new_int((int)v));
	}
	if (vlans)
		json_object_object_add(req->params, "vlans", vlans);
}

int ns_create(const struct command *cmd, struct request *req)
{
	ns_create_vlans(cmd, req);
	return call_print("ns.create", req, PRINT_NOTHING);
}

int ns_delete(const struct command *cmd, struct request *req)
{
	return call_print("ns.delete", req, PRINT_NOTHING);
}

int ns_list(const struct command *cmd, struct request *req)
{
	return call_print("ns.list", req, PRINT_NS_LIST);
}

/*
 * Give the command a /sys that shows the namespace's interfaces, as `ip netns exec` does: a private
 * mount namespace (so nothing leaks back to ours) with a fresh sysfs on top of /sys. Best effort:
 * netlink tools work without it, so a failure only leaves the old /sys in place.
 */
static void ns_exec_mount_sys(const char *name)
{
	if (unshare(CLONE_NEWNS) < 0)
		return;
	if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return;
	if (mount(name, "/sys", "sysfs", 0, NULL) < 0)
		errmsg("warning: cannot mount a sysfs for namespace '%s' on /sys: %s", name, strerror(errno));
}

int ns_exec(const struct command *cmd, struct request *req)
{
	const char *name = req->pos[0];
	char path[PATH_MAX];
	int fd;

	if (!name[0] || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		usage_fail(NULL, cmd, "NAME: '%s' is not a namespace name", name);
	snprintf(path, sizeof(path), "%s/%s", VDECTL_NETNS_DIR, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;

		if (err == ENOENT) {
			errmsg("namespace '%s' does not exist (no %s)", name, path);
			return VDECTL_NOT_FOUND;
		}
		errmsg("cannot open %s: %s", path, strerror(err));
		return err == EACCES || err == EPERM ? VDECTL_DENIED : VDECTL_ERROR;
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		int err = errno;

		close(fd);
		if (err == EPERM) {
			errmsg("cannot enter namespace '%s': %s (ns exec needs root: CAP_SYS_ADMIN)", name,
			       strerror(err));
			return VDECTL_DENIED;
		}
		if (err == EINVAL) {
			errmsg("%s is not a network namespace", path);
			return VDECTL_ERROR;
		}
		errmsg("cannot enter namespace '%s': %s", name, strerror(err));
		return VDECTL_ERROR;
	}
	close(fd);
	ns_exec_mount_sys(name);
	fflush(NULL);
	execvp(req->argv_cmd[0], req->argv_cmd);
	fd = errno;	/* before errmsg can change it */
	errmsg("cannot run %s: %s", req->argv_cmd[0], strerror(fd));
	return fd == ENOENT ? 127 : 126;
}
