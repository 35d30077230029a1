/*
 * replay — networks come back from the config file and from the store through the same method table
 * and parsers as a client's requests (network.create, then tap.add, forward.add, network.connect for
 * the backends saved with a definition), with no caller: no policy, and nothing written back.
 */
#ifndef VDED_REPLAY_H
#define VDED_REPLAY_H

#include <stdbool.h>
#include <json-c/json.h>

#include "error.h"

/* Create the network params defines (a config entry, or a stored definition if from_store: only then
 * is owner_uid taken) and the backends saved with it. A network that exists already is left as it
 * is. A backend that cannot be recreated is logged and kept in the definition. 0 or -errno, e filled. */
int replay_network(struct json_object *params, bool from_store, struct vde_error *e);

/* Recreate every network of the store (store_foreach); what is refused is logged and skipped.
 * Returns how many were loaded. */
int replay_store(void);

#endif
