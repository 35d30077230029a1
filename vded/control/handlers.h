/*
 * handlers — what the method handlers share (private to vded/control/): the handler of every method
 * the table in methods.c names, one file per noun (h_daemon.c, h_events.c, h_stats.c, h_network.c, h_port.c, h_mac.c,
 * h_tap.c, h_forward.c, h_uplink.c, h_ns.c, h_capture.c), and the helpers they have in common (handlers.c).
 *
 * A handler gets its params parsed and the policy already checked (methods.c), and returns 0 with
 * *res set (a new object, which the reply takes) or -errno with e filled. ctx->peer is NULL on a
 * replay (config file, store), when ctx->replaying is also true.
 */
#ifndef VDED_HANDLERS_H
#define VDED_HANDLERS_H

#include <json-c/json.h>

#include "control/codec.h"
#include "control/params.h"
#include "control/policy.h"
#include "control/request.h"

#define HANDLER(name) \
	int name(struct method_args *a, struct request_ctx *ctx, struct json_object **res, struct vde_error *e)

HANDLER(run_daemon_info);
HANDLER(run_daemon_upgrade);
HANDLER(run_events_subscribe);
HANDLER(run_stats_get);
HANDLER(run_network_create);
HANDLER(run_network_set);
HANDLER(run_network_delete);
HANDLER(run_network_list);
HANDLER(run_network_show);
HANDLER(run_network_attach);
HANDLER(run_port_list);
HANDLER(run_port_show);
HANDLER(run_port_detach);
HANDLER(run_port_add);
HANDLER(run_port_remove);
HANDLER(run_port_set);
HANDLER(run_mac_list);
HANDLER(run_mac_add);
HANDLER(run_mac_flush);
HANDLER(run_port_set);
HANDLER(run_tap_add);
HANDLER(run_tap_remove);
HANDLER(run_forward_add);
HANDLER(run_forward_remove);
HANDLER(run_forward_list);
HANDLER(run_network_connect);
HANDLER(run_network_disconnect);
HANDLER(run_ns_create);
HANDLER(run_ns_delete);
HANDLER(run_ns_list);
HANDLER(run_capture_start);

/* The run dir daemon.info reports and endpoints live under (set by methods_set_info; borrowed). */
const char *handlers_run_dir(void);

/* The network called name, or NULL with the one not-found error in e (policy_not_found). */
struct network *handlers_find_network(const char *name, struct vde_error *e);

/* Port id of net if it exists (and is not being removed), or NULL with a not-found error in e. */
struct port *handlers_find_port(struct network *net, unsigned id, struct vde_error *e);

/* net's API object (codec_network with the run dir and the MAC count). Caller puts. */
struct json_object *handlers_network_json(const struct network *net);
/* p's API object, with its counters. Caller puts. */
struct json_object *handlers_port_json(const struct port *p);
/* One page of net's ports, by id, under key in o (network.show, port.list). */
void handlers_port_page(const struct network *net, const struct method_args *a, struct json_object *o,
			const char *key);
/* The switch policy of port id with patch applied: on top of what port.set saved for the id, else the
 * network's default for new ports, else plain. 0, or -EINVAL with e filled. */
int handlers_port_policy(const struct network *net, unsigned id, const struct params_portsw *patch,
			 struct switch_port_conf *out, struct vde_error *e);
/* Give each port that came back from the previous life the policy it was attached with (keep.h). */
void handlers_resume_port_policies(void);
/* A page of a list that defaults to default_limit entries, offset and limit from a. */
void handlers_page_init(struct codec_page *pg, const struct method_args *a, unsigned default_limit);

/* Backends kept with the definition (net->extras, saved with it and replayed at start). */

/* Remember params (without "network") under key and save the definition; nothing on a replay.
 * 0, or -errno with e filled and nothing kept. */
int handlers_extras_add(struct network *net, const char *key, struct json_object *params,
			const struct request_ctx *ctx, struct vde_error *e);
/* Forget the entry of key whose field equals value (and field2 equals value2, if field2), and save
 * (a failure to save is logged). */
void handlers_extras_remove(struct network *net, const char *key, const char *field, const char *value,
			    const char *field2, const char *value2);
/* Whether net's definition holds an entry of key whose field equals value. */
bool handlers_extras_has(const struct network *net, const char *key, const char *field, const char *value);
/* The same for every entry of key whose field equals value (a name that is unique, as a tap's). */
void handlers_extras_remove_all(struct network *net, const char *key, const char *field, const char *value);
/* Take out of net's definition what made port p (a taps or uplinks entry, the slirp setting and its
 * forwards, the vxvde setting) and save, before p is killed. 0 (also for a port no definition holds),
 * or -errno with e filled and the definition unchanged (a save failed; a namespace's tap, which
 * only ns.delete removes). */
int handlers_forget_backend(struct network *net, const struct port *p, struct vde_error *e);
/* A backend port p was made: keep a's params under key (or kill p) and answer with the port. */
int handlers_keep_backend(struct network *net, const char *key, struct port *p, const struct method_args *a,
			  const struct request_ctx *ctx, struct json_object **res, struct vde_error *e);

#endif
