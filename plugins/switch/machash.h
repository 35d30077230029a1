/*
 * machash — the MAC+VLAN forwarding table of the in-process switch and of vxvde/vxlan learning.
 * Our own table rather than libvdeplug_mod's vde_find_in_hash so that a module behaves the same
 * whichever library (ours or vdeplug4's) loaded it. Set-associative, fixed size, no allocation
 * after machash_new: a flood of new source addresses evicts the oldest entries, it never grows.
 */
#ifndef VDE_PLUGINS_MACHASH_H
#define VDE_PLUGINS_MACHASH_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct machash;

/* A table of about `entries` entries whose payloads are payload_size bytes (copied in). seed
 * perturbs the hash. Returns NULL (errno ENOMEM/EINVAL) on failure. */
struct machash *machash_new(unsigned int entries, uint64_t seed, size_t payload_size);
void machash_free(struct machash *h);

/* The payload learned for mac+vlan, if it was refreshed at or after too_old; else NULL.
 * Borrowed: valid until the next machash_learn/forget. */
void *machash_find(struct machash *h, const uint8_t mac[6], unsigned int vlan, time_t too_old);

/* Learn (or refresh) mac+vlan → payload at time now. */
void machash_learn(struct machash *h, const uint8_t mac[6], unsigned int vlan, const void *payload, time_t now);

/* Forget every entry whose payload equals payload (byte for byte). */
void machash_forget(struct machash *h, const void *payload);

/* Seconds of CLOCK_MONOTONIC: the table's clock (immune to date changes). */
time_t machash_now(void);

#endif
