/*
 * endpoint — the vde_switch-compatible socket directory of each network (RUN_DIR/net/NAME, PROTOCOLS.md §3),
 * so QEMU's `-netdev vde`, vdeplug4's `vde://` and vde2 tools connect to a vded network unchanged.
 */
#ifndef VDED_ENDPOINT_H
#define VDED_ENDPOINT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <ev.h>

#include "error.h"
#include "vdeproto.h"

struct network;

int endpoint_init(struct ev_loop *loop, const char *run_dir);
void endpoint_exit(void);
/* Make RUN_DIR/net/NAME with its ctl listener for net, owned and moded after the network's policy. */
int endpoint_create(struct network *net, const char *run_dir, struct vde_error *e);
/* Give the directory and ctl socket the network's owner, group and mode again (after network.set):
 * the kernel then holds vde:// clients to the same rule as the control socket. */
void endpoint_apply_policy(struct network *net);
/* Close pending handshakes and the listener, remove the directory (its ports are gone already). */
void endpoint_destroy(struct network *net);

#endif
