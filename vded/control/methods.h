/*
 * methods — the control API's one table: method name → pure params parser (params.c) → policy →
 * handler (h_<noun>.c) → reply (doc/protocol.md). Only control.c touches sockets; handlers get a
 * request context (request.h) and return a result or a vde_error. The config file and the state store
 * replay through the same table (replay.c, methods_call).
 */
#ifndef VDED_METHODS_H
#define VDED_METHODS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <json-c/json.h>

#include "error.h"
#include "dataplane/network.h"
#include "control/policy.h"
#include "control/params.h"
#include "control/request.h"

/* Handle one request line of len bytes (need not be NUL-terminated). Always returns a reply object
 * (result or error) that the caller puts; ctx->fd_out may be set. */
struct json_object *methods_handle_line(const char *line, size_t len, struct request_ctx *ctx);

/* Parse params for method (pure: no side effects). Returns 0 or -errno with e filled
 * (unsupported for an unknown method). params NULL means none. */
int methods_parse(const char *method, struct json_object *params, struct method_args *args, struct vde_error *e);

/* Parse params for method and run it, without policy: for replays (ctx->peer NULL, ctx->replaying).
 * 0 with *result set (caller puts), or -errno with e filled. */
int methods_call(const char *method, struct json_object *params, struct request_ctx *ctx,
		 struct json_object **result, struct vde_error *e);

/* The methods of the table, in name order (daemon.info lists them): how many, and the name of the
 * i-th (static; NULL past the end). */
size_t methods_count(void);
const char *methods_name(size_t i);

/* An error reply for id (borrowed; NULL means null). */
struct json_object *methods_error_reply(struct json_object *id, const struct vde_error *e);

/* Daemon facts daemon.info reports, set by main (copied; h_daemon.c). */
void methods_set_info(const char *run_dir, const char *state_dir);

#endif
