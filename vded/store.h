/* store — network definitions on disk, STATE_DIR/networks/NAME.json, written atomically. */
#ifndef VDED_STORE_H
#define VDED_STORE_H

#include "network.h"

/* Create STATE_DIR/networks (mode 0700) if needed. Returns 0 or -errno. */
int store_init(const char *state_dir);
/* Write def atomically (temporary file, fsync, rename, fsync dir). Returns 0 or -errno. */
int store_save(const struct network *net);
/* Remove NAME.json; a missing file is fine. Returns 0 or -errno. */
int store_remove(const char *name);
/* Recreate every stored network; a corrupt or unreadable file is logged and skipped.
 * Returns how many were loaded. */
int store_load_all(void);

#endif
