/* Internal to libvdeplug.so.2 (hidden symbols): the pieces of vde_open_real(), exposed for unit tests. */
#ifndef VDEPLUG_INTERNAL_H
#define VDEPLUG_INTERNAL_H

#include <stddef.h>

/* A resolved locator: scheme and args point into buf (malloc'd, owned: free(buf)). */
struct vdeplug_locator {
	char scheme[65];
	char *args;
	char *buf;
};

/* 1 in a setuid/setcap (AT_SECURE) process: the environment is ignored. */
int vdeplug_secure(void);
/* 1 if scheme[0..len) is 1..64 of [a-z0-9_]. */
int vdeplug_scheme_valid(const char *scheme, size_t len);
/* Locator → scheme + args: default locator for NULL/"", "://"-less regular files redirect to their first
 * line, other "://"-less strings are vde paths. Returns 0 or -errno (EPROTONOSUPPORT bad scheme, ELOOP,
 * EINVAL unreadable redirect, ENOMEM). */
int vdeplug_resolve(const char *locator, struct vdeplug_locator *out);
/* dlopen libvdeplug_<scheme>.so along the search path. NULL with errno EPROTONOSUPPORT (not found) or
 * ELIBBAD (found, does not load). */
void *vdeplug_load_module(const char *scheme);
/* "<descr> user=<name> pid=<pid>[ SSH=<ip>]", truncated to size-1 bytes. */
void vdeplug_make_descr(char *out, size_t size, const char *descr);

#endif
