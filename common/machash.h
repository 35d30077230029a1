/*
 * machash — the one MAC+VLAN learning table of the modules: the in-process switch (switch://),
 * vxvde:// and vxlan:// learning, vded's vxvde uplink, and libvdeplug_mod's exported
 * vde_find_in_hash()/vde_hash_*() ABI, which is a thin wrapper over it.
 *
 * A fixed-size cache, never grown: `entries` entries (rounded up to a power of two, at least WAYS)
 * in buckets of WAYS entries. A key lives only in its bucket; learning a new key into a full bucket
 * evicts the least recently seen entry of that bucket, so a flood of new source addresses costs old
 * entries, never memory. Entries are not aged eagerly: machash_find() ignores those last seen before
 * `too_old`. The seed is mixed into the bucket hash, so a peer cannot aim addresses at one bucket
 * without knowing it. Pure: no clock (callers pass times), no allocation after machash_new().
 *
 * Modules embed their own copy (hidden symbols) rather than calling libvdeplug_mod's exported table,
 * so that they behave the same whichever library (ours or vdeplug4's) loaded them.
 *
 * vded's own switch (vded/dataplane/switch.c) is a different structure on purpose: it must count and
 * list its addresses, cap them globally and forget a port's addresses when it goes, on the data path.
 */
#ifndef VDE_COMMON_MACHASH_H
#define VDE_COMMON_MACHASH_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define MACHASH_DEFAULT_ENTRIES 1024
#define MACHASH_MAX_ENTRIES (1u << 24)
#define MACHASH_MAX_PAYLOAD 65536

struct machash;

/* A table of `entries` entries (1..MACHASH_MAX_ENTRIES) whose payloads are payload_size bytes
 * (0..MACHASH_MAX_PAYLOAD, copied in, aligned for any type). Returns NULL with errno EINVAL (bad
 * size) or ENOMEM. The caller owns the table: machash_free(). */
struct machash *machash_new(unsigned int entries, uint64_t seed, size_t payload_size);
void machash_free(struct machash *h);

/* The payload learned for mac+vlan (only the low 12 bits of vlan count) if it was seen at or
 * after too_old, else NULL. Borrowed: valid until the next machash_learn/forget/free. */
void *machash_find(struct machash *h, const uint8_t mac[6], unsigned int vlan, time_t too_old);

/* Learn (or refresh) mac+vlan → payload (payload_size bytes, copied) at time now. A group address
 * (mac[0] bit 0) is never a source: it is ignored. */
void machash_learn(struct machash *h, const uint8_t mac[6], unsigned int vlan, const void *payload, time_t now);

/* Forget every entry whose payload equals payload (payload_size bytes, compared byte for byte:
 * callers store normalised payloads, e.g. vxproto_addr_norm()). Walks the whole table. */
void machash_forget(struct machash *h, const void *payload);

/* The VLAN a frame's addresses are learned in: the VID of its outer 802.1Q (0x8100) or 802.1ad
 * (0x88a8) tag, 0 when untagged or too short to carry a tag. Every learner keys the table this way.
 * Inline: the data paths call it per frame. */
static inline unsigned int machash_frame_vlan(const uint8_t *frame, size_t len)
{
	if (len >= 18 && ((frame[12] == 0x81 && frame[13] == 0x00) || (frame[12] == 0x88 && frame[13] == 0xa8)))
		return ((unsigned int)frame[14] << 8 | frame[15]) & 0xfff;
	return 0;
}

/* Seconds of CLOCK_MONOTONIC: the modules' clock for the table (immune to date changes). */
time_t machash_now(void);

#endif
