/*
 * Unit test of store.c in a temporary directory: definitions written atomically through the codec
 * and offered back by store_foreach; V16, V20: only regular files of root's or vded's own, not group or
 * other writable, bounded, whose name matches, are offered; a FIFO does not hang it; stale temporaries
 * go; a save replaces whatever sits under the temporary name and never writes through it. Links
 * store.c, codec.c, error.c and common/ (the networks are this file's own structs).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>

#include "control/store.h"
#include "unit.h"

struct seen {
	unsigned n;
	char names[16][NETWORK_NAME_MAX];
	const char *refuse;		/* a name the loader refuses */
};

static int collect(struct json_object *def, void *arg, struct vde_error *e)
{
	struct seen *s = arg;
	struct json_object *name;
	const char *n;

	CHECK(json_object_is_type(def, json_type_object) && json_object_object_get_ex(def, "name", &name));
	n = json_object_get_string(name);
	if (s->refuse && strcmp(n, s->refuse) == 0)
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "refused by the test");
	if (s->n < 16)
		snprintf(s->names[s->n++], NETWORK_NAME_MAX, "%s", n);
	return 0;
}

static bool seen_has(const struct seen *s, const char *name)
{
	for (unsigned i = 0; i < s->n; i++)
		if (strcmp(s->names[i], name) == 0)
			return true;
	return false;
}

static void write_file(const char *path, const char *text, unsigned mode)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
	CHECK(chmod(path, mode) == 0);
}

int main(void)
{
	char tmpl[] = "/tmp/vde-test-store.XXXXXX", state[256], nets[300], path[512], cmd[600];
	char *dir = mkdtemp(tmpl);
	struct network net = { .def = NETWORK_DEF_DEFAULTS };
	struct seen s = { 0 };
	struct stat st;
	const char *why;
	struct json_object *o, *v;

	if (!dir)
		return 99;
	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(nets, sizeof(nets), "%s/networks", state);
	snprintf(net.def.name, sizeof(net.def.name), "kept");
	net.def.group = 4242;
	net.def.mac_aging = 60;
	net.extras = json_object_new_object();

	/* before init: nothing to save to, nothing to offer */
	CHECK(store_save(&net) == -EBADF);
	CHECK(store_remove("kept") == -EBADF);
	CHECK(store_foreach(collect, &s) == 0 && s.n == 0);

	CHECK(store_init(state) == 0);
	CHECK(stat(nets, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0700);
	/* again (a reload) is fine */
	CHECK(store_init(state) == 0);

	/* save: the codec's definition, 0600, read back as written */
	CHECK(store_save(&net) == 0);
	snprintf(path, sizeof(path), "%s/kept.json", nets);
	CHECK(stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0600);
	int dfd = store_open_dir(nets);
	CHECK(dfd >= 0);
	o = store_read_json(dfd, "kept.json", &why);
	CHECK(o != NULL);
	CHECK(json_object_object_get_ex(o, "group", &v) && json_object_is_type(v, json_type_int) &&
	      json_object_get_int(v) == 4242);
	CHECK(json_object_object_get_ex(o, "mac_aging", &v) && json_object_get_int(v) == 60);
	CHECK(json_object_object_get_ex(o, "mode", &v) && strcmp(json_object_get_string(v), "0660") == 0);
	json_object_put(o);
	CHECK(store_foreach(collect, &s) == 1 && s.n == 1 && seen_has(&s, "kept"));
	/* a definition the loader refuses is not counted */
	memset(&s, 0, sizeof(s));
	s.refuse = "kept";
	CHECK(store_foreach(collect, &s) == 0 && s.n == 0);

	/* V16, V20: hostile files beside it */
	snprintf(path, sizeof(path), "%s/fifo.json", nets);
	CHECK(mkfifo(path, 0600) == 0);
	snprintf(path, sizeof(path), "%s/link.json", nets);
	CHECK(symlink("kept.json", path) == 0);
	snprintf(path, sizeof(path), "%s/dir.json", nets);
	CHECK(mkdir(path, 0700) == 0);
	static const struct {
		const char *name, *text;
		unsigned mode;
		uid_t uid;
	} files[] = {
		{ "good", "{\"name\":\"good\"}\n", 0600, 0 },
		{ "gw", "{\"name\":\"gw\"}\n", 0620, 0 },
		{ "ow", "{\"name\":\"ow\"}\n", 0602, 0 },
		{ "foreign", "{\"name\":\"foreign\"}\n", 0600, 4321 },
		{ "renamed", "{\"name\":\"other\"}\n", 0600, 0 },
		{ "prefix", "{\"name\":\"prefixed\"}\n", 0600, 0 },
		{ "array", "[1,2,3]\n", 0600, 0 },
		{ "garbage", "\x01{{{", 0600, 0 },
		{ "empty", "", 0600, 0 },
		{ "noname", "{\"description\":\"x\"}\n", 0600, 0 },
		{ "numname", "{\"name\":42}\n", 0600, 0 },
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s.json", nets, files[i].name);
		write_file(path, files[i].text, files[i].mode);
		if (files[i].uid && geteuid() == 0)
			CHECK(chown(path, files[i].uid, 0) == 0);
	}
	/* not a definition at all: no .json, or hidden */
	snprintf(path, sizeof(path), "%s/notes.txt", nets);
	write_file(path, "{\"name\":\"notes.txt\"}", 0600);
	snprintf(path, sizeof(path), "%s/.hidden.json", nets);
	write_file(path, "{\"name\":\".hidden\"}", 0600);
	/* larger than 64 KiB, and valid JSON */
	snprintf(path, sizeof(path), "%s/big.json", nets);
	FILE *big = fopen(path, "w");
	CHECK(big != NULL);
	if (big) {
		fprintf(big, "{\"name\":\"big\",\"description\":\"\"");
		for (int i = 0; i < 70000; i++)
			fputc(' ', big);
		fputs("}\n", big);
		fclose(big);
	}
	/* a crash's temporary */
	char stale[512];
	snprintf(stale, sizeof(stale), "%s/.kept.json.tmp", nets);
	write_file(stale, "{", 0600);

	memset(&s, 0, sizeof(s));
	int loaded = store_foreach(collect, &s);
	/* kept and good; foreign too when the test cannot chown it away */
	CHECK(loaded == (geteuid() == 0 ? 2 : 3));
	CHECK((unsigned)loaded == s.n);
	CHECK(seen_has(&s, "kept") && seen_has(&s, "good"));
	CHECK(seen_has(&s, "foreign") == (geteuid() != 0));
	static const char *const never[] = { "fifo", "link", "dir", "gw", "ow", "other", "renamed", "prefixed",
					     "array", "garbage", "empty", "noname", "big", "notes.txt", ".hidden" };
	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
		CHECK(!seen_has(&s, never[i]));
	CHECK(access(stale, F_OK) < 0 && errno == ENOENT);

	/* store_read_json says why */
	CHECK(store_read_json(dfd, "link.json", &why) == NULL);
	CHECK_STR(why, "a symbolic link");
	CHECK(store_read_json(dfd, "fifo.json", &why) == NULL);
	CHECK_STR(why, "not a regular file");
	CHECK(store_read_json(dfd, "gw.json", &why) == NULL);
	CHECK_STR(why, "writable by group or others");
	CHECK(store_read_json(dfd, "big.json", &why) == NULL);
	CHECK_STR(why, "file too large");
	CHECK(store_read_json(dfd, "garbage.json", &why) == NULL);
	CHECK_STR(why, "not valid JSON");
	CHECK(store_read_json(dfd, "missing.json", &why) == NULL);
	if (geteuid() == 0) {
		CHECK(store_read_json(dfd, "foreign.json", &why) == NULL);
		CHECK(why && strstr(why, "owned by another user"));
	}

	/* saving replaces whatever sits under the temporary name, never writes through it */
	snprintf(path, sizeof(path), "%s/victim", dir);
	write_file(path, "untouched", 0600);
	CHECK(symlink(path, stale) == 0);
	snprintf(net.def.description, sizeof(net.def.description), "k");
	CHECK(store_save(&net) == 0);
	CHECK(lstat(stale, &st) < 0 && errno == ENOENT);
	FILE *f = fopen(path, "r");
	char buf[32] = "";
	CHECK(f && fgets(buf, sizeof(buf), f));
	if (f)
		fclose(f);
	CHECK_STR(buf, "untouched");
	o = store_read_json(dfd, "kept.json", &why);
	CHECK(o && json_object_object_get_ex(o, "description", &v) && strcmp(json_object_get_string(v), "k") == 0);
	json_object_put(o);
	/* ...and a directory there is an error, not a write into it */
	CHECK(mkdir(stale, 0700) == 0);
	CHECK(store_save(&net) < 0);
	CHECK(rmdir(stale) == 0);

	/* remove: gone, and again is fine */
	CHECK(store_remove("kept") == 0);
	snprintf(path, sizeof(path), "%s/kept.json", nets);
	CHECK(access(path, F_OK) < 0 && errno == ENOENT);
	CHECK(store_remove("kept") == 0);

	/* the helpers on another directory (netns.c's namespaces) */
	snprintf(path, sizeof(path), "%s/ns", dir);
	CHECK(mkdir(path, 0700) == 0);
	int nfd = store_open_dir(path);
	CHECK(nfd >= 0);
	o = json_tokener_parse("{\"name\":\"n1\",\"interfaces\":[]}");
	CHECK(store_write_json(nfd, "n1", o) == 0);
	json_object_put(o);
	o = store_read_json(nfd, "n1.json", &why);
	CHECK(o && json_object_object_get_ex(o, "interfaces", &v) && json_object_is_type(v, json_type_array));
	json_object_put(o);
	CHECK(store_unlink_json(nfd, "n1") == 0 && store_unlink_json(nfd, "n1") == 0);
	CHECK(store_is_stale_tmp(nfd, path, "n1.json") == false);
	CHECK(openat(nfd, ".n2.json.tmp", O_CREAT | O_WRONLY | O_CLOEXEC, 0600) >= 0);
	CHECK(store_is_stale_tmp(nfd, path, ".n2.json.tmp") == true);
	CHECK(faccessat(nfd, ".n2.json.tmp", F_OK, 0) < 0);
	/* a symlink as the directory is refused */
	snprintf(cmd, sizeof(cmd), "%s/nslink", dir);
	CHECK(symlink(path, cmd) == 0);
	CHECK(store_open_dir(cmd) == -ELOOP || store_open_dir(cmd) == -ENOTDIR);
	close(nfd);
	close(dfd);

	json_object_put(net.extras);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return unit_report("test-store");
}
