#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "machash.h"

#define MACHASH_WAYS 4
#define KEY_VALID (1ull << 63)

struct machash_entry {
	uint64_t key;		/* KEY_VALID | vlan << 48 | mac; 0 = empty */
	time_t seen;
	unsigned char payload[];
};

struct machash {
	size_t entry_size;
	size_t payload_size;
	unsigned int mask;	/* buckets - 1 */
	uint64_t seed;
	unsigned char *slots;
};

static uint64_t machash_key(const uint8_t mac[6], unsigned int vlan)
{
	uint64_t k = KEY_VALID | (uint64_t)(vlan & 0xfff) << 48;

	for (int i = 0; i < 6; i++)
		k |= (uint64_t)mac[i] << (8 * (5 - i));
	return k;
}

static struct machash_entry *machash_slot(struct machash *h, unsigned int i)
{
	return (struct machash_entry *)(h->slots + (size_t)i * h->entry_size);
}

static struct machash_entry *machash_bucket(struct machash *h, uint64_t key)
{
	uint64_t x = (key ^ h->seed) * 0x9e3779b97f4a7c15ull;

	x ^= x >> 29;
	return machash_slot(h, (unsigned int)(x & h->mask) * MACHASH_WAYS);
}

struct machash *machash_new(unsigned int entries, uint64_t seed, size_t payload_size)
{
	struct machash *h;
	unsigned int buckets = 1;

	if (entries == 0 || entries > (1u << 24) || payload_size > 256) {
		errno = EINVAL;
		return NULL;
	}
	while (buckets * MACHASH_WAYS < entries)
		buckets <<= 1;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return NULL;
	/* keep entries aligned for the payload (sockaddrs, pointers) */
	h->entry_size = (sizeof(struct machash_entry) + payload_size + 7) & ~(size_t)7;
	h->payload_size = payload_size;
	h->mask = buckets - 1;
	h->seed = seed;
	h->slots = calloc((size_t)buckets * MACHASH_WAYS, h->entry_size);
	if (h->slots == NULL) {
		free(h);
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
	struct machash_entry *b = machash_bucket(h, key);

	for (int w = 0; w < MACHASH_WAYS; w++) {
		struct machash_entry *e = (struct machash_entry *)((unsigned char *)b + w * h->entry_size);

		if (e->key == key)
			return e->seen >= too_old ? e->payload : NULL;
	}
	return NULL;
}

void machash_learn(struct machash *h, const uint8_t mac[6], unsigned int vlan, const void *payload, time_t now)
{
	uint64_t key = machash_key(mac, vlan);
	struct machash_entry *b = machash_bucket(h, key), *victim = NULL;

	for (int w = 0; w < MACHASH_WAYS; w++) {
		struct machash_entry *e = (struct machash_entry *)((unsigned char *)b + w * h->entry_size);

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
	memcpy(victim->payload, payload, h->payload_size);
}

void machash_forget(struct machash *h, const void *payload)
{
	unsigned int n = (h->mask + 1) * MACHASH_WAYS;

	for (unsigned int i = 0; i < n; i++) {
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
