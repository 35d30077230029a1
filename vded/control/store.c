#include <dirent.h>
#include <stdbool.h>
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
#include "control/codec.h"
#include "control/store.h"

#define STORE_MAX_FILE 65536

/* leaves room for "/.NAME.json.tmp" in PATH_MAX buffers */
static char store_dir[PATH_MAX - 128];
static int store_dfd = -1;

int store_open_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int store_init(const char *state_dir)
{
	int fd;

	if (mkdir(state_dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	if ((size_t)snprintf(store_dir, sizeof(store_dir), "%s/networks", state_dir) >= sizeof(store_dir))
		return -ENAMETOOLONG;
	if (mkdir(store_dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	fd = store_open_dir(store_dir);
	if (fd < 0)
		return fd;
	if (store_dfd >= 0)
		close(store_dfd);
	store_dfd = fd;
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

int store_write_json(int dfd, const char *base, struct json_object *o)
{
	char file[NAME_MAX + 1], tmp[NAME_MAX + 1];
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY);
	int fd, ret;

	if ((size_t)snprintf(file, sizeof(file), "%s.json", base) >= sizeof(file) ||
	    (size_t)snprintf(tmp, sizeof(tmp), ".%s.json.tmp", base) >= sizeof(tmp))
		return -ENAMETOOLONG;
	/* whatever a crash (or anybody) left under the temporary name goes: never write through it */
	if (unlinkat(dfd, tmp, 0) < 0 && errno != ENOENT)
		return -errno;
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	ret = store_write_all(fd, text, strlen(text));
	if (!ret)
		ret = store_write_all(fd, "\n", 1);
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	close(fd);
	if (!ret && renameat(dfd, tmp, dfd, file) < 0)
		ret = -errno;
	if (ret) {
		unlinkat(dfd, tmp, 0);
		return ret;
	}
	/* the rename itself must survive a crash; if the directory cannot be synced the file is there
	 * all the same, and undoing the change now would leave the two disagreeing */
	if (fsync(dfd) < 0)
		log_warn("%s.json: fsync of its directory: %s", base, strerror(errno));
	return 0;
}

int store_unlink_json(int dfd, const char *base)
{
	char file[NAME_MAX + 1];

	if ((size_t)snprintf(file, sizeof(file), "%s.json", base) >= sizeof(file))
		return -ENAMETOOLONG;
	if (unlinkat(dfd, file, 0) < 0)
		return errno == ENOENT ? 0 : -errno;
	/* a deleted definition must stay deleted after a crash, as a saved one stays saved */
	if (fsync(dfd) < 0)
		log_warn("%s: fsync of its directory: %s", file, strerror(errno));
	return 0;
}

int store_save(const struct network *net)
{
	struct json_object *o;
	int ret;

	if (store_dfd < 0)
		return -EBADF;
	o = codec_network_definition(net);
	ret = store_write_json(store_dfd, net->def.name, o);
	if (ret)
		log_warn("%s/%s.json: %s", store_dir, net->def.name, strerror(-ret));
	json_object_put(o);
	return ret;
}

int store_remove(const char *name)
{
	if (store_dfd < 0)
		return -EBADF;
	return store_unlink_json(store_dfd, name);
}

struct json_object *store_read_json(int dfd, const char *file, const char **why)
{
	static char buf[STORE_MAX_FILE + 1];
	struct json_object *o;
	struct stat st;
	ssize_t n;
	size_t len = 0;
	/* O_NONBLOCK: a FIFO or a device must not hang the start; it is refused below anyway */
	int fd = openat(dfd, file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		*why = errno == ELOOP ? "a symbolic link" : strerror(errno);
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		*why = strerror(errno);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		*why = "not a regular file";
		goto fail;
	}
	/* only vded (or root) writes here: a file anybody else could have written is not vded's */
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		*why = "owned by another user (only root's or vded's own files are loaded)";
		goto fail;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		*why = "writable by group or others";
		goto fail;
	}
	if (st.st_size > STORE_MAX_FILE) {
		*why = "file too large";
		goto fail;
	}
	/* bounded whatever the size said: the file may grow while it is read */
	while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			*why = strerror(errno);
			goto fail;
		}
		len += (size_t)n;
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
fail:
	close(fd);
	return NULL;
}

bool store_is_stale_tmp(int dfd, const char *dir, const char *file)
{
	size_t len = strlen(file);

	if (file[0] != '.' || len < 10 || strcmp(file + len - 9, ".json.tmp") != 0)
		return false;
	/* a crash between writing and renaming leaves these; the definition itself is intact */
	if (unlinkat(dfd, file, 0) < 0)
		log_warn("%s/%s: stale temporary file not removed: %s", dir, file, strerror(errno));
	else
		log_notice("%s/%s: stale temporary file removed", dir, file);
	return true;
}

int store_foreach(int (*load)(struct json_object *def, void *arg, struct vde_error *e), void *arg)
{
	DIR *d;
	struct dirent *de;
	int loaded = 0, fd;

	if (store_dfd < 0)
		return 0;
	/* readdir on a duplicate: closedir() closes it, store_dfd stays */
	fd = dup(store_dfd);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		log_warn("%s: %s", store_dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 0;
	}
	rewinddir(d);
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		struct vde_error e = { 0 };
		struct json_object *o, *name;
		const char *why = NULL;

		if (store_is_stale_tmp(store_dfd, store_dir, de->d_name))
			continue;
		if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		o = store_read_json(store_dfd, de->d_name, &why);
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
		if (load(o, arg, &e) < 0)
			log_err("%s/%s: skipped: %s", store_dir, de->d_name, e.message);
		else
			loaded++;
		json_object_put(o);
	}
	closedir(d);
	return loaded;
}
