/*
 * netns — network namespaces owned by vded (/run/netns/NAME, usable with `ip netns exec` and
 * `vdectl ns exec`), whose interfaces vde0..N sit on vded networks: vdens --multi without a relay
 * process per interface. Definitions persist in STATE_DIR/namespaces/NAME.json; at start vded
 * re-creates the links (and the namespace itself if it is gone, e.g. after a reboot).
 */
#ifndef VDED_NETNS_H
#define VDED_NETNS_H

#include <stdbool.h>
#include <json-c/json.h>

#include "error.h"
#include "priv/priv.h"	/* NETNS_DIR */

#define NETNS_MAX_NETS 8
#define NETNS_MAX_ADDRS 8

int netns_init(const char *state_dir);
/* Close vded's handles; the namespaces stay (processes may live in them) for the next start. */
void netns_exit(void);

/* Make namespace name with one interface per network (vde0 on nets[0], ...), with addresses
 * ("vdeN=CIDR", or "CIDR" for vde0), a default route (gateway "[vdeN=]IP", NULL or "": none) and access VLANs (vlans[i] for vdeI, 0: none; nvlans <= nnets),
 * both saved with the definition. Nothing is left on failure.
 * replaying: re-establish a saved one (an existing /run/netns/NAME is reused, nothing saved). */
int netns_create(const char *name, char nets[][64], unsigned nnets, char addrs[][64], unsigned naddrs,
		 const unsigned *vlans, unsigned nvlans, const char *gateway, bool replaying, struct vde_error *e);
/* Remove its interfaces, unmount and delete /run/netns/NAME and the saved definition. */
int netns_delete(const char *name, bool missing_ok, struct vde_error *e);
/* {"namespaces": [{"name", "path", "interfaces": [{"ifname","network","port","mac"}...]}...]} */
struct json_object *netns_list_json(void);
/* Re-create every saved namespace (after the networks are loaded). */
void netns_load_all(void);

#endif
