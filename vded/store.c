#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>

#include "log.h"
#include "methods.h"
#include "store.h"

#define STORE_MAX_FILE 65536

/* leaves room for "/.NAME.json.tmp" in PATH_MAX buffers */
static char store_dir[PATH_MAX - 128];

int store_init(const char *state_dir)
{
	if (mkdir(state_dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	if ((size_t)snprintf(store_dir, sizeof(store_dir), "%s/networks", state_dir) >= sizeof(store_dir))
		return -ENAMETOOLONG;
	if (mkdir(store_dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int store_write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int store_save(const struct network *net)
{
	const struct network_def *def = &net->def;
	struct json_object *o = json_object_new_object();
	char path[PATH_MAX], tmp[PATH_MAX], num[16];
	const char *text;
	int fd, ret = 0, dfd;

	json_object_object_add(o, "name", json_object_new_string(def->name));
	json_object_object_add(o, "description", json_object_new_string(def->description));
	json_object_object_add(o, "owner_uid", json_object_new_int64(def->owner_uid));
	snprintf(num, sizeof(num), "%u", (unsigned)def->group);
	json_object_object_add(o, "group", json_object_new_string(num));
	snprintf(num, sizeof(num), "%04o", def->mode);
	json_object_object_add(o, "mode", json_object_new_string(num));
	json_object_object_add(o, "max_ports", json_object_new_int64(def->max_ports));
	json_object_object_add(o, "mac_table_size", json_object_new_int64(def->mac_table_size));
	json_object_object_add(o, "mac_aging", json_object_new_int64(def->mac_aging));
	if (def->vxvde[0]) {
		json_object_object_add(o, "vxvde", json_object_new_string(def->vxvde));
		json_object_object_add(o, "vni", json_object_new_int64(def->vni));
		json_object_object_add(o, "ttl", json_object_new_int64(def->ttl));
		if (def->vxvde_if[0])
			json_object_object_add(o, "interface", json_object_new_string(def->vxvde_if));
	}
	if (def->slirp) {
		json_object_object_add(o, "slirp", json_object_new_boolean(1));
		json_object_object_add(o, "subnet", json_object_new_string(def->subnet));
		if (def->ipv6)
			json_object_object_add(o, "ipv6", json_object_new_boolean(1));
		if (def->dns[0])
			json_object_object_add(o, "dns", json_object_new_string(def->dns));
	}
	json_object_object_foreach(net->extras, key, val)
		json_object_object_add(o, key, json_object_get(val));
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY);
	snprintf(path, sizeof(path), "%s/%s.json", store_dir, def->name);
	snprintf(tmp, sizeof(tmp), "%s/.%s.json.tmp", store_dir, def->name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	ret = store_write_all(fd, text, strlen(text));
	if (!ret)
		ret = store_write_all(fd, "\n", 1);
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	close(fd);
	if (!ret && rename(tmp, path) < 0)
		ret = -errno;
	if (ret) {
		unlink(tmp);
		goto out;
	}
	/* the rename itself must survive a crash */
	dfd = open(store_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
out:
	if (ret)
		log_warn("%s: %s", path, strerror(-ret));
	json_object_put(o);
	return ret;
}

int store_remove(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s.json", store_dir, name);
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* Read a whole definition file (bounded). Returns a parsed object or NULL with *why set. */
static struct json_object *store_read(int dfd, const char *file, const char **why)
{
	static char buf[STORE_MAX_FILE + 1];
	struct json_object *o;
	ssize_t n;
	size_t len = 0;
	int fd = openat(dfd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0) {
		*why = strerror(errno);
		return NULL;
	}
	while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	if (n < 0) {
		*why = strerror(errno);
		close(fd);
		return NULL;
	}
	close(fd);
	if (len >= STORE_MAX_FILE) {
		*why = "file too large";
		return NULL;
	}
	buf[len] = '\0';
	o = json_tokener_parse(buf);
	if (!o)
		*why = "not valid JSON";
	return o;
}

int store_load_all(void)
{
	DIR *d = opendir(store_dir);
	struct dirent *de;
	int loaded = 0;

	if (!d) {
		log_warn("%s: %s", store_dir, strerror(errno));
		return 0;
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		struct vde_error e = { 0 };
		struct json_object *o, *name;
		const char *why = NULL;

		if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		o = store_read(dirfd(d), de->d_name, &why);
		if (!o) {
			log_err("%s/%s: skipped: %s", store_dir, de->d_name, why);
			continue;
		}
		/* the file name and the name inside must agree, or a rename would fork identities */
		if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, "name", &name) ||
		    !json_object_is_type(name, json_type_string) ||
		    strncmp(json_object_get_string(name), de->d_name, len - 5) != 0 ||
		    strlen(json_object_get_string(name)) != len - 5) {
			log_err("%s/%s: skipped: not a network definition for '%.*s'", store_dir, de->d_name,
				(int)(len - 5), de->d_name);
			json_object_put(o);
			continue;
		}
		if (methods_replay_create(o, true, &e) < 0)
			log_err("%s/%s: skipped: %s", store_dir, de->d_name, e.message);
		else
			loaded++;
		json_object_put(o);
	}
	closedir(d);
	return loaded;
}
