/*
 * keeper — the descriptors that outlive the engine (doc/restart.md).
 *
 * Every descriptor that carries a port or a client (data sockets, client connections, taps, endpoint
 * directories and listeners, the control socket) and the engine's state memfds is kept here, in the
 * privileged parent, under a name ("k/NET/ID/d", "k/control", ...), and, under systemd, pushed into
 * the service's fd store (FDSTORE=1, FDNAME=name) as it is made. So:
 *  - the engine crashes: the parent forks a new one, which finds every descriptor inherited;
 *  - `vdectl daemon upgrade`: the parent re-executes vded with them ($LISTEN_FDS, $LISTEN_FDNAMES);
 *  - systemd restarts vded (restart, or a crash of the parent under Restart=): the new vded gets them
 *    from the fd store, the same way.
 * A name is kept once: keeping it again replaces (and closes) the old descriptor. The table holds
 * dups: the caller keeps its own descriptor. Only the parent (or, without a split, the one process)
 * runs this; it parses nothing but names it validates.
 */
#ifndef VDED_KEEPER_H
#define VDED_KEEPER_H

#include <stdbool.h>

#define KEEPER_NAME_MAX 96		/* < systemd's 255; "k/" + network name + "/ID/role" fits */
#define KEEPER_PREFIX "k/"

/* Push what is kept into the service manager's fd store ($NOTIFY_SOCKET, FDSTORE=1) too: vded -K,
 * which the unit gives with FileDescriptorStoreMax=. Without it the table alone keeps them (an engine
 * crash, an upgrade), and no descriptor goes to a notification socket that may not be systemd's. */
void keeper_use_fd_store(bool on);

/* Whether name may be kept: "k/" then printable ASCII without ':' (systemd's rule), NUL-terminated
 * within KEEPER_NAME_MAX. Pure. */
bool keeper_name_valid(const char *name, unsigned size);

/*
 * Take what the previous life passed in $LISTEN_FDS/$LISTEN_FDNAMES (for this pid): names under
 * "k/" into the table (already in systemd's store: not pushed again), the first other one (the
 * socket unit's) into the table as "k/control" marked as systemd's own (never pushed). Unsets the
 * variables. Returns how many were taken.
 */
unsigned keeper_import(void);

/* Keep a dup of fd under name (push it to the fd store too unless from_socket_unit). 0 or -errno. */
int keeper_put(const char *name, int fd, bool from_socket_unit);
/* Forget name (close the table's copy; FDSTOREREMOVE). Unknown names are ignored. */
void keeper_drop(const char *name);

/* The table, for a new engine after a fork: entry i's name and fd (borrowed), false past the end. */
bool keeper_entry(unsigned i, const char **name, int *fd);
/* Whether name is kept, and whether it came from the socket unit. */
bool keeper_has(const char *name, bool *from_socket_unit);
/* Whether fd is one of the table's (the parent keeps those open when it closes the rest). */
bool keeper_holds(int fd);

/* Move every kept descriptor to 3.. and set $LISTEN_FDS, $LISTEN_FDNAMES and $LISTEN_PID for an
 * exec of vded in this very process. 0 or -errno (nothing usable then). */
int keeper_exec_prepare(void);

#endif
