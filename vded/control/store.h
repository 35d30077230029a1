/*
 * store — definitions on disk, written atomically, read with suspicion: STATE_DIR/networks/NAME.json
 * here, and the same helpers for netns.c's STATE_DIR/namespaces. Every access is *at() on a directory
 * fd opened once (O_NOFOLLOW), never by path. A file is loaded only if it is a regular file owned by
 * root or vded's own uid, not writable by group or others, and at most 64 KiB; anything else is
 * skipped with one log line saying why (V16). Temporary files a crash left are removed at load (V20).
 */
#ifndef VDED_STORE_H
#define VDED_STORE_H

#include <stdbool.h>
#include <json-c/json.h>

#include "dataplane/network.h"

/* Create STATE_DIR/networks (mode 0700) if needed and open it. Returns 0 or -errno. */
int store_init(const char *state_dir);
/* Write net's definition (codec_network_definition) atomically (temporary file, fsync, rename, fsync
 * dir). Returns 0 or -errno. */
int store_save(const struct network *net);
/* Remove NAME.json and fsync the directory; a missing file is fine. Returns 0 or -errno. */
int store_remove(const char *name);
/* Offer every stored definition to load(def, arg, e): def (borrowed for the call) is an object whose
 * "name" matches its file; load returns 0 if it took it, or -errno with e filled. A corrupt,
 * unreadable or suspicious file, and one load refused, is logged and skipped. Returns how many
 * load took. (replay.c recreates the networks with it.) */
int store_foreach(int (*load)(struct json_object *def, void *arg, struct vde_error *e), void *arg);

/* The helpers, for any directory of definitions (dfd borrowed). */

/* Open a directory without following a symlink at its last component: an fd (caller closes) or -errno. */
int store_open_dir(const char *path);
/* Write o as BASE.json in dfd atomically (.BASE.json.tmp created O_EXCL, fsync, renameat, fsync dfd).
 * Returns 0 or -errno. */
int store_write_json(int dfd, const char *base, struct json_object *o);
/* Remove BASE.json from dfd and fsync dfd; missing is fine. Returns 0 or -errno. */
int store_unlink_json(int dfd, const char *base);
/* Read and parse file in dfd under the rules above. Returns an object (caller puts) or NULL with *why
 * set to a static text. */
struct json_object *store_read_json(int dfd, const char *file, const char **why);
/* If file is a temporary ".NAME.json.tmp", remove it (logged; dir names dfd in the log) and return
 * true: the loaders skip it. */
bool store_is_stale_tmp(int dfd, const char *dir, const char *file);

#endif
