#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "machash.h"

#define WAYS 4
/* keys use 48 bits of MAC and 12 of VLAN; this bit marks a used slot so that 00:..:00/0 is a valid key */
#define KEY_USED (1ull << 63)

struct machash_entry {
	uint64_t key;		/* KEY_USED | vlan << 48 | mac; 0 = empty */
	time_t seen;
	max_align_t payload[];	/* payload_size bytes */
};

struct machash {
	size_t entry_size;
	size_t payload_size;
	unsigned int nbuckets;	/* a power of two */
	uint64_t seed;
	unsigned char *slots;
};

static uint64_t machash_key(const uint8_t mac[6], unsigned int vlan)
{
	uint64_t k = 0;

	for (int i = 0; i < 6; i++)
		k = k << 8 | mac[i];
	return KEY_USED | (uint64_t)(vlan & 0xfff) << 48 | k;
}

/* splitmix64's finalizer: every input bit affects every output bit, low ones included */
static uint64_t machash_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

static struct machash_entry *machash_slot(struct machash *h, size_t i)
{
	return (struct machash_entry *)(h->slots + i * h->entry_size);
}

static struct machash_entry *machash_bucket(struct machash *h, uint64_t key)
{
	return machash_slot(h, (size_t)(machash_mix(key ^ h->seed) & (h->nbuckets - 1)) * WAYS);
}

struct machash *machash_new(unsigned int entries, uint64_t seed, size_t payload_size)
{
	struct machash *h;
	size_t n = WAYS;

	if (entries == 0 || entries > MACHASH_MAX_ENTRIES || payload_size > MACHASH_MAX_PAYLOAD) {
		errno = EINVAL;
		return NULL;
	}
	while (n < entries)
		n <<= 1;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return NULL;
	h->entry_size = (sizeof(struct machash_entry) + payload_size + _Alignof(max_align_t) - 1) &
			~(_Alignof(max_align_t) - 1);
	h->payload_size = payload_size;
	h->nbuckets = (unsigned int)(n / WAYS);
	h->seed = seed;
	/* calloc: the pages of a large table stay untouched until addresses are learned */
	h->slots = calloc(n, h->entry_size);
	if (h->slots == NULL) {
		free(h);
		errno = ENOMEM;
		return NULL;
	}
	return h;
}

void machash_free(struct machash *h)
{
	if (h == NULL)
		return;
	free(h->slots);
	free(h);
}

void *machash_find(struct machash *h, const uint8_t mac[6], unsigned int vlan, time_t too_old)
{
	uint64_t key = machash_key(mac, vlan);
	struct machash_entry *e = machash_bucket(h, key);

	for (int w = 0; w < WAYS; w++, e = (struct machash_entry *)((unsigned char *)e + h->entry_size))
		if (e->key == key)
			return e->seen >= too_old ? e->payload : NULL;
	return NULL;
}

void machash_learn(struct machash *h, const uint8_t mac[6], unsigned int vlan, const void *payload, time_t now)
{
	uint64_t key;
	struct machash_entry *e, *victim = NULL;

	/* a group address is never a source: learning it would only poison the table */
	if (mac[0] & 1)
		return;
	key = machash_key(mac, vlan);
	e = machash_bucket(h, key);
	for (int w = 0; w < WAYS; w++, e = (struct machash_entry *)((unsigned char *)e + h->entry_size)) {
		if (e->key == key) {
			victim = e;
			break;
		}
		/* an empty way, else the least recently seen one */
		if (victim == NULL || (victim->key != 0 && (e->key == 0 || e->seen < victim->seen)))
			victim = e;
	}
	victim->key = key;
	victim->seen = now;
	if (h->payload_size)
		memcpy(victim->payload, payload, h->payload_size);
}

void machash_forget(struct machash *h, const void *payload)
{
	size_t n = (size_t)h->nbuckets * WAYS;

	for (size_t i = 0; i < n; i++) {
		struct machash_entry *e = machash_slot(h, i);

		if (e->key != 0 && memcmp(e->payload, payload, h->payload_size) == 0)
			e->key = 0;
	}
}

time_t machash_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}
