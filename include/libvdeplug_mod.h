/*
 * libvdeplug_mod — the module ABI shared with vdeplug4 (doc/vde-wire.md §2). A module is
 * libvdeplug_<scheme>.so exporting `struct vdeplug_module vdeplug_ops`; modules built for vdeplug4
 * load in this library and ours load in vdeplug4's. Helpers live in libvdeplug_mod.so.2.
 */
#ifndef VDE_PLUG_H
#define VDE_PLUG_H

#define MAXDESCR 128
#define CONNECTED_P2P

#include <libvdeplug.h>
#include <stdint.h>
#include <time.h>

struct vdeplug_module;

/* Every module's connection begins with these two fields; the loader fills them after open. */
struct vdeconn {
	void *handle;
	struct vdeplug_module *module;
	unsigned char data[];
};

struct vdeplug_module {
	int flags;
	VDECONN *(*vde_open_real)(char *given_vde_url, char *descr, int interface_version,
				  struct vde_open_args *open_args);
	ssize_t (*vde_recv)(VDECONN *conn, void *buf, size_t len, int flags);
	ssize_t (*vde_send)(VDECONN *conn, const void *buf, size_t len, int flags);
	int (*vde_datafd)(VDECONN *conn);
	int (*vde_ctlfd)(VDECONN *conn);
	int (*vde_close)(VDECONN *conn);
};

/* Option tables: tag is the key, *value receives a pointer into the parsed string ("" for a flag). */
struct vdeparms {
	char *tag;
	char **value;
};

/* addr/key=val/flag: cuts str at the first unquoted '/', options after it. Returns 0 or -1 (EINVAL). */
int vde_parseparms(char *str, struct vdeparms *parms);
/* path[key=val/key/N]: options between the first unquoted '[' and the last ']'. Returns 0 or -1. */
int vde_parsepathparms(char *str, struct vdeparms *parms);
/* scheme args{inner}: cuts the nested locator out of str and returns it (NULL if none). */
char *vde_parsenestparms(char *str);

/* MAC+VLAN hash tables for switch-like modules. */
struct vde_hashtable;
void *vde_find_in_hash(struct vde_hashtable *table, unsigned char *dst, int vlan, time_t too_old);
void vde_find_in_hash_update(struct vde_hashtable *table, unsigned char *src, int vlan, void *payload, time_t now);
void vde_hash_delete(struct vde_hashtable *table, void *payload);
#define vde_hash_init(type, hashsize, seed) _vde_hash_init(sizeof(type), (hashsize), (seed))
struct vde_hashtable *_vde_hash_init(size_t payload_size, unsigned int hashsize, uint64_t seed);
void vde_hash_fini(struct vde_hashtable *table);

/* A number with an optional k/M/G/T suffix. */
unsigned long long strtoullm(const char *numstr);
/* A group: "" → the effective gid, a number, or a name; (gid_t)-1 if unknown. */
gid_t vde_grnam2gid(const char *name);

#endif
