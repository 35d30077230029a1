/*
 * MAC+VLAN → payload table for switch-like modules, libvdeplug_mod.so.2's exported hash ABI
 * (vdeplug4's names and semantics): a thin wrapper over common/machash.c, the one table.
 *
 * What the ABI adds to the table: hashsize 0 means the default (1024) and a larger one than the
 * table takes is clamped, not refused; a NULL table is ignored; `struct vde_hashtable` is the
 * machash itself (opaque to modules).
 */
#include <stddef.h>
#include <stdint.h>

#include <libvdeplug_mod.h>

#include "machash.h"

#define EXPORT __attribute__((visibility("default")))

static struct machash *table_of(struct vde_hashtable *table)
{
	return (struct machash *)(void *)table;
}

EXPORT struct vde_hashtable *_vde_hash_init(size_t payload_size, unsigned int hashsize, uint64_t seed)
{
	if (hashsize == 0)
		hashsize = MACHASH_DEFAULT_ENTRIES;
	if (hashsize > MACHASH_MAX_ENTRIES)
		hashsize = MACHASH_MAX_ENTRIES;
	return (struct vde_hashtable *)(void *)machash_new(hashsize, seed, payload_size);
}

EXPORT void vde_hash_fini(struct vde_hashtable *table)
{
	machash_free(table_of(table));
}

EXPORT void *vde_find_in_hash(struct vde_hashtable *table, unsigned char *dst, int vlan, time_t too_old)
{
	if (table == NULL || dst == NULL)
		return NULL;
	return machash_find(table_of(table), dst, (unsigned int)vlan, too_old);
}

EXPORT void vde_find_in_hash_update(struct vde_hashtable *table, unsigned char *src, int vlan, void *payload,
				    time_t now)
{
	if (table == NULL || src == NULL)
		return;
	machash_learn(table_of(table), src, (unsigned int)vlan, payload, now);
}

EXPORT void vde_hash_delete(struct vde_hashtable *table, void *payload)
{
	if (table == NULL)
		return;
	machash_forget(table_of(table), payload);
}
