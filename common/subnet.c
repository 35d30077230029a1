#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "subnet.h"

int subnet_parse(const char *text, unsigned default_prefix, struct in_addr *addr, unsigned *prefix)
{
	char host[INET_ADDRSTRLEN];
	const char *slash = strchr(text, '/');
	size_t len = slash ? (size_t)(slash - text) : strlen(text);
	unsigned bits = default_prefix;
	struct in_addr a;

	if (len >= sizeof(host))
		return -EINVAL;
	memcpy(host, text, len);
	host[len] = '\0';
	if (slash) {
		const char *p = slash + 1;

		/* at most two digits: no sign, no space, no 0x, no overflow */
		if (!*p || strlen(p) > 2 || strspn(p, "0123456789") != strlen(p))
			return -EINVAL;
		bits = 0;
		for (; *p; p++)
			bits = bits * 10 + (unsigned)(*p - '0');
	} else if (default_prefix == 0) {
		return -EINVAL;
	}
	if (bits < SUBNET_PREFIX_MIN || bits > SUBNET_PREFIX_MAX || inet_pton(AF_INET, host, &a) != 1)
		return -EINVAL;
	*addr = a;
	*prefix = bits;
	return 0;
}

struct in_addr subnet_mask(unsigned prefix)
{
	struct in_addr m;

	m.s_addr = prefix == 0 ? 0 : htonl(prefix >= 32 ? 0xffffffffu : ~(0xffffffffu >> prefix));
	return m;
}
