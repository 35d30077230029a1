/*
 * policy — who may do what, decided in one place. Now: root, and members of the control socket's group
 * (primary or supplementary). The full per-network owner/group/mode model builds on this function.
 */
#ifndef VDED_POLICY_H
#define VDED_POLICY_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

struct peer;
struct network;

/* The group whose members may use vded (the control socket's group); 0 = root only. */
void policy_set_group(gid_t group);

/* 0 if peer may call method (write: it changes state) on net (NULL: not about one network);
 * else -EACCES with e naming the rule, and a log line. */
int policy_check(const struct peer *peer, const char *method, bool write, const struct network *net,
		 struct vde_error *e);

#endif
