/*
 * MAC+VLAN → payload table for switch-like modules (vxvde, vxlan, switch, ...), libvdeplug_mod.so.2.
 *
 * A fixed-size cache, never grown: `hashsize` entries (rounded up to a power of two, at least WAYS) in
 * buckets of WAYS entries. A key lives only in its bucket; learning a new key into a full bucket evicts
 * the least recently seen entry. Entries are not timed out eagerly: vde_find_in_hash() ignores those
 * last seen before `too_old`. The seed is mixed into the hash so that peers cannot aim collisions at
 * one bucket without knowing it.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libvdeplug_mod.h>

#define EXPORT __attribute__((visibility("default")))

#define WAYS 4
#define DEFAULT_HASHSIZE 1024
#define MAX_HASHSIZE (1u << 24)
/* keys use 48 bits of MAC and 12 of VLAN; this bit marks a used slot so that 00:..:00/0 is a valid key */
#define KEY_USED (1ULL << 63)

struct hash_entry {
	uint64_t key;
	time_t last_seen;
	/* then payload_size bytes, aligned for any payload type */
	max_align_t payload[];
};

struct vde_hashtable {
	size_t payload_size;
	size_t entry_size;
	unsigned int nbuckets; /* a power of two */
	uint64_t seed;
	unsigned char entries[];
};

static uint64_t make_key(const unsigned char *mac, int vlan)
{
	uint64_t k = 0;

	for (int i = 0; i < 6; i++)
		k = k << 8 | mac[i];
	return KEY_USED | (uint64_t)(vlan & 0xfff) << 48 | k;
}

/* splitmix64's finalizer: every input bit affects every output bit */
static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static struct hash_entry *entry_at(struct vde_hashtable *t, size_t i)
{
	return (struct hash_entry *)(t->entries + i * t->entry_size);
}

static struct hash_entry *bucket_of(struct vde_hashtable *t, uint64_t key)
{
	size_t b = mix(key ^ t->seed) & (t->nbuckets - 1);

	return entry_at(t, b * WAYS);
}

EXPORT struct vde_hashtable *_vde_hash_init(size_t payload_size, unsigned int hashsize, uint64_t seed)
{
	struct vde_hashtable *t;
	size_t entry_size, nentries = WAYS;

	if (hashsize == 0)
		hashsize = DEFAULT_HASHSIZE;
	if (hashsize > MAX_HASHSIZE)
		hashsize = MAX_HASHSIZE;
	while (nentries < hashsize)
		nentries <<= 1;
	if (payload_size > 65536) {
		errno = EINVAL;
		return NULL;
	}
	entry_size = sizeof(struct hash_entry) + payload_size;
	entry_size = (entry_size + _Alignof(max_align_t) - 1) & ~(_Alignof(max_align_t) - 1);
	t = calloc(1, sizeof(*t) + nentries * entry_size);
	if (t == NULL)
		return NULL;
	t->payload_size = payload_size;
	t->entry_size = entry_size;
	t->nbuckets = nentries / WAYS;
	t->seed = seed;
	return t;
}

EXPORT void vde_hash_fini(struct vde_hashtable *table)
{
	free(table);
}

EXPORT void *vde_find_in_hash(struct vde_hashtable *table, unsigned char *dst, int vlan, time_t too_old)
{
	struct hash_entry *e;
	uint64_t key;

	if (table == NULL || dst == NULL)
		return NULL;
	key = make_key(dst, vlan);
	e = bucket_of(table, key);
	for (int i = 0; i < WAYS; i++, e = (struct hash_entry *)((unsigned char *)e + table->entry_size))
		if (e->key == key)
			return e->last_seen >= too_old ? e->payload : NULL;
	return NULL;
}

EXPORT void vde_find_in_hash_update(struct vde_hashtable *table, unsigned char *src, int vlan, void *payload,
				    time_t now)
{
	struct hash_entry *e, *victim = NULL;
	uint64_t key;

	/* a group address is never a source: learning it would only poison the table */
	if (table == NULL || src == NULL || (src[0] & 1))
		return;
	key = make_key(src, vlan);
	e = bucket_of(table, key);
	for (int i = 0; i < WAYS; i++, e = (struct hash_entry *)((unsigned char *)e + table->entry_size)) {
		if (e->key == key) {
			victim = e;
			break;
		}
		if (victim == NULL || victim->key != 0) {
			if (e->key == 0 || victim == NULL || e->last_seen < victim->last_seen)
				victim = e;
		}
	}
	victim->key = key;
	victim->last_seen = now;
	if (table->payload_size)
		memcpy(victim->payload, payload, table->payload_size);
}

EXPORT void vde_hash_delete(struct vde_hashtable *table, void *payload)
{
	size_t n;

	if (table == NULL)
		return;
	n = (size_t)table->nbuckets * WAYS;
	for (size_t i = 0; i < n; i++) {
		struct hash_entry *e = entry_at(table, i);

		if (e->key && memcmp(e->payload, payload, table->payload_size) == 0)
			e->key = 0;
	}
}
