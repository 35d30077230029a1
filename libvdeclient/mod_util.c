/*
 * Small helpers of libvdeplug_mod.so.2: sizes with suffixes and group names (doc/vde-wire.md §2).
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <libvdeplug_mod.h>

#define EXPORT __attribute__((visibility("default")))

/* strtoull (any base: 0x.., 0..) followed by suffixes. Like vdeplug4, every k/K, m/M, g/G, t/T found
 * after the number multiplies it (by 2^10, 2^20, 2^30, 2^40) and other bytes are ignored, so "1k" is
 * 1024 and "2kk" is 2 MiB. Unlike vdeplug4 an overflow saturates at ULLONG_MAX with errno ERANGE
 * instead of wrapping around. */
EXPORT unsigned long long strtoullm(const char *numstr)
{
	unsigned long long v;
	char *rest;
	unsigned shift;

	if (numstr == NULL)
		return 0;
	v = strtoull(numstr, &rest, 0);
	for (; *rest; rest++) {
		switch (*rest) {
		case 'k': case 'K': shift = 10; break;
		case 'm': case 'M': shift = 20; break;
		case 'g': case 'G': shift = 30; break;
		case 't': case 'T': shift = 40; break;
		default: continue;
		}
		if (v > (ULLONG_MAX >> shift)) {
			errno = ERANGE;
			return ULLONG_MAX;
		}
		v <<= shift;
	}
	return v;
}

/* "" is the effective gid; a group name is looked up first, then a string made only of digits is the
 * gid itself (even if no group has it). Anything else: (gid_t)-1. */
EXPORT gid_t vde_grnam2gid(const char *name)
{
	struct group grp, *res = NULL;
	size_t buflen = 1024;
	char *buf, *end;
	unsigned long v;
	int rc;

	if (name == NULL)
		return (gid_t)-1;
	if (*name == 0)
		return getegid();
	/* a group with many members needs a bigger buffer: grow until it fits */
	for (;;) {
		buf = malloc(buflen);
		if (buf == NULL)
			return (gid_t)-1;
		rc = getgrnam_r(name, &grp, buf, buflen, &res);
		if (rc != ERANGE || buflen >= (1 << 24))
			break;
		free(buf);
		buflen *= 4;
	}
	if (rc == 0 && res) {
		gid_t gid = res->gr_gid;

		free(buf);
		return gid;
	}
	free(buf);
	if (*name < '0' || *name > '9')
		return (gid_t)-1;
	errno = 0;
	v = strtoul(name, &end, 10);
	if (*end || errno || v >= (unsigned long)(gid_t)-1)
		return (gid_t)-1;
	return (gid_t)v;
}
