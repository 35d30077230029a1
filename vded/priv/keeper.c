/* keeper — see keeper.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "priv/keeper.h"
#include "priv/sdnotify.h"

#define SD_LISTEN_FDS_START 3
/* A bound on what a (compromised) engine can make the parent hold: well above any real use (ports
 * times two, plus networks, plus connections) and below the parent's descriptor limit. */
#define KEEPER_MAX 65536

struct kept {
	char name[KEEPER_NAME_MAX];
	int fd;
	bool socket_unit;		/* systemd's own (vded.socket): passed anew each start, never stored */
};

static struct kept *kept;
static unsigned nkept, capkept;
static bool store_warned;
static bool store_push;		/* vded -K: the service manager keeps them too */

void keeper_use_fd_store(bool on)
{
	store_push = on;
}

bool keeper_name_valid(const char *name, unsigned size)
{
	const char *end = memchr(name, '\0', size < KEEPER_NAME_MAX ? size : KEEPER_NAME_MAX);

	if (!end || strncmp(name, KEEPER_PREFIX, strlen(KEEPER_PREFIX)) || end == name + strlen(KEEPER_PREFIX))
		return false;
	for (const char *c = name; c < end; c++)
		if (*c <= ' ' || *c > '~' || *c == ':')
			return false;
	return true;
}

static struct kept *keeper_find(const char *name)
{
	for (unsigned i = 0; i < nkept; i++)
		if (strcmp(kept[i].name, name) == 0)
			return &kept[i];
	return NULL;
}

/* Tell the service manager; a manager without a store (FileDescriptorStoreMax=0) drops them, which
 * only costs the restart path, so say it once. */
static void keeper_push(const char *what, const char *name, int fd)
{
	char msg[KEEPER_NAME_MAX + 40];
	int ret;

	if (!store_push || !sdnotify_enabled())
		return;
	snprintf(msg, sizeof(msg), "%s=1\nFDNAME=%s", what, name);
	ret = sdnotify_send(msg, fd);
	if (ret < 0 && !store_warned) {
		store_warned = true;
		log_warn("fd store: %s: %s (ports will not survive a restart by systemd)", name, strerror(-ret));
	}
}

static int keeper_add(const char *name, int fd, bool socket_unit)
{
	struct kept *k = keeper_find(name);

	if (k) {
		if (!k->socket_unit)
			keeper_push("FDSTOREREMOVE", k->name, -1);
		close(k->fd);
	} else {
		if (nkept >= KEEPER_MAX)
			return -ENOSPC;
		if (nkept == capkept) {
			unsigned cap = capkept ? capkept * 2 : 64;
			struct kept *n = realloc(kept, cap * sizeof(*n));
			if (!n)
				return -ENOMEM;
			kept = n;
			capkept = cap;
		}
		k = &kept[nkept++];
		snprintf(k->name, sizeof(k->name), "%s", name);
	}
	k->fd = fd;
	k->socket_unit = socket_unit;
	return 0;
}

int keeper_put(const char *name, int fd, bool from_socket_unit)
{
	int dup, ret;

	if (!keeper_name_valid(name, (unsigned)strlen(name) + 1))
		return -EINVAL;
	dup = fcntl(fd, F_DUPFD_CLOEXEC, SD_LISTEN_FDS_START);
	if (dup < 0)
		return -errno;
	ret = keeper_add(name, dup, from_socket_unit);
	if (ret < 0) {
		close(dup);
		return ret;
	}
	if (!from_socket_unit)
		keeper_push("FDSTORE", name, dup);
	return 0;
}

void keeper_drop(const char *name)
{
	struct kept *k = keeper_find(name);

	if (!k)
		return;
	if (!k->socket_unit)
		keeper_push("FDSTOREREMOVE", k->name, -1);
	close(k->fd);
	*k = kept[--nkept];
}

unsigned keeper_import(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS"), *names = getenv("LISTEN_FDNAMES");
	char *copy = NULL, *save = NULL, *name;
	bool have_control = false;
	unsigned taken = 0;
	long n;

	if (!pid || !fds || strtol(pid, NULL, 10) != getpid())
		goto out;
	n = strtol(fds, NULL, 10);
	if (n <= 0 || n > 1 << 20)
		goto out;
	copy = names ? strdup(names) : NULL;
	name = copy ? strtok_r(copy, ":", &save) : NULL;
	for (long i = 0; i < n; i++, name = name ? strtok_r(NULL, ":", &save) : NULL) {
		int fd = SD_LISTEN_FDS_START + (int)i;

		fcntl(fd, F_SETFD, FD_CLOEXEC);
		if (name && keeper_name_valid(name, (unsigned)strlen(name) + 1) && !keeper_find(name)) {
			/* ours from the previous life: systemd holds it already */
			if (keeper_add(name, fd, false) == 0) {
				taken++;
				continue;
			}
		} else if (!have_control && (!name || strncmp(name, KEEPER_PREFIX, strlen(KEEPER_PREFIX)))) {
			/* the socket unit's listener (its name is the unit's, or FileDescriptorName=) */
			if (keeper_add(KEEPER_PREFIX "control", fd, true) == 0) {
				have_control = true;
				taken++;
				continue;
			}
		}
		log_warn("inherited descriptor %d (%s) is not one of vded's: closed", fd, name ? name : "no name");
		if (name && strncmp(name, KEEPER_PREFIX, strlen(KEEPER_PREFIX)) == 0)
			keeper_push("FDSTOREREMOVE", name, -1);
		close(fd);
	}
out:
	free(copy);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return taken;
}

bool keeper_entry(unsigned i, const char **name, int *fd)
{
	if (i >= nkept)
		return false;
	*name = kept[i].name;
	*fd = kept[i].fd;
	return true;
}

bool keeper_has(const char *name, bool *from_socket_unit)
{
	struct kept *k = keeper_find(name);

	if (k && from_socket_unit)
		*from_socket_unit = k->socket_unit;
	return k != NULL;
}

bool keeper_holds(int fd)
{
	for (unsigned i = 0; i < nkept; i++)
		if (kept[i].fd == fd)
			return true;
	return false;
}

int keeper_exec_prepare(void)
{
	size_t len = 1;
	char *names, num[16];

	/* first out of the way (above every target number), then down to 3.. in order */
	for (unsigned i = 0; i < nkept; i++) {
		int fd = fcntl(kept[i].fd, F_DUPFD_CLOEXEC, SD_LISTEN_FDS_START + (int)nkept);
		if (fd < 0)
			return -errno;
		close(kept[i].fd);
		kept[i].fd = fd;
		len += strlen(kept[i].name) + 1;
	}
	names = malloc(len);
	if (!names)
		return -ENOMEM;
	names[0] = '\0';
	for (unsigned i = 0; i < nkept; i++) {
		int target = SD_LISTEN_FDS_START + (int)i;
		if (dup2(kept[i].fd, target) < 0) {
			free(names);
			return -errno;
		}
		close(kept[i].fd);
		kept[i].fd = target;	/* dup2 leaves close-on-exec off: the new image gets it */
		if (i)
			strcat(names, ":");
		/* the socket unit's listener goes back under a name that is not ours: it is taken as the
		 * control socket again, and not mistaken for a stored descriptor */
		strcat(names, kept[i].socket_unit ? "vded.socket" : kept[i].name);
	}
	snprintf(num, sizeof(num), "%u", nkept);
	setenv("LISTEN_FDS", num, 1);
	setenv("LISTEN_FDNAMES", names, 1);
	snprintf(num, sizeof(num), "%d", (int)getpid());
	setenv("LISTEN_PID", num, 1);
	free(names);
	return 0;
}
