/*
 * endpoint — the vde_switch-compatible socket directory of each network (RUN_DIR/net/NAME, doc/vde-wire.md),
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

/* Start the module: from here on every network made gets its endpoint directory under RUN_DIR/net
 * (made by the privileged process, priv.h), kept after its owner, group and mode, removed with it:
 * the module registers itself as the networks' hooks (network_set_hooks). 0 or -errno. */
int endpoint_init(struct ev_loop *loop, const char *run_dir);
void endpoint_exit(void);

#endif
