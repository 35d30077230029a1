/*
 * privs — least privilege for vded (libcap). After setup vded keeps only what running needs:
 * CAP_NET_ADMIN (large socket buffers, taps later), CAP_CHOWN and CAP_FOWNER (endpoint directories
 * get each network's owner, group and mode), CAP_DAC_OVERRIDE (connect to a vde:// client's data
 * socket whatever mode the client gave it). CAP_SYS_ADMIN stays permitted but not effective: it is
 * raised only while namespaces are made or entered (privs_sysadmin). Everything else leaves the
 * bounding set too, so nothing vded executes can regain it. Optionally it becomes a dedicated user first.
 */
#ifndef VDED_PRIVS_H
#define VDED_PRIVS_H

#include <stdbool.h>
#include <sys/types.h>

/* Resolve user (name or number) to uid/gid. -ENOENT if unknown. */
int privs_lookup_user(const char *user, uid_t *uid, gid_t *gid);
/* Switch to uid/gid (if not -1) keeping the needed capabilities, then drop the rest.
 * A no-op (returns 0) when not running as root. Returns 0 or -errno. */
int privs_drop(uid_t uid, gid_t gid);

/* Raise (on) or lower (off) CAP_SYS_ADMIN in the effective set. Returns 0 or -errno. */
int privs_sysadmin(bool on);

#endif
