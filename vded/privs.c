#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "log.h"
#include "privs.h"

static const cap_value_t privs_keep[] = { CAP_NET_ADMIN, CAP_CHOWN, CAP_FOWNER, CAP_DAC_OVERRIDE, CAP_SYS_ADMIN };
/* the effective set while not making namespaces: all but CAP_SYS_ADMIN (last above) */
#define PRIVS_NEFFECTIVE 4
static bool privs_dropped;
#define PRIVS_NKEEP (sizeof(privs_keep) / sizeof(privs_keep[0]))

int privs_lookup_user(const char *user, uid_t *uid, gid_t *gid)
{
	struct passwd *pw;
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(user, &end, 10);
	pw = *user && !*end && !errno ? getpwuid((uid_t)n) : getpwnam(user);
	if (!pw)
		return -ENOENT;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

static int privs_kept(cap_value_t c)
{
	for (size_t i = 0; i < PRIVS_NKEEP; i++)
		if (privs_keep[i] == c)
			return 1;
	return 0;
}

int privs_drop(uid_t uid, gid_t gid)
{
	cap_t caps;
	int ret = 0;

	cap_value_t keep[PRIVS_NKEEP];
	unsigned nkeep = 0, neff = 0;

	if (geteuid() != 0)
		return 0;
	/* Under systemd's CapabilityBoundingSet some of these are gone already, and without CAP_SETPCAP
	 * the bounding set cannot be narrowed further: take what is there, drop what can be dropped. */
	caps = cap_get_proc();
	if (!caps)
		return -errno;
	for (size_t i = 0; i < PRIVS_NKEEP; i++) {
		cap_flag_value_t v = CAP_CLEAR;
		if (cap_get_flag(caps, privs_keep[i], CAP_PERMITTED, &v) == 0 && v == CAP_SET) {
			keep[nkeep++] = privs_keep[i];
			neff += i < PRIVS_NEFFECTIVE;
		}
	}
	{
		cap_flag_value_t setpcap = CAP_CLEAR;
		cap_get_flag(caps, CAP_SETPCAP, CAP_EFFECTIVE, &setpcap);
		cap_free(caps);
		for (cap_value_t c = 0; setpcap == CAP_SET && c <= CAP_LAST_CAP; c++)
			if (!privs_kept(c) && prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1 &&
			    prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
				return -errno;
	}
	if (uid != (uid_t)-1 && uid != 0) {
		/* keep the permitted set across setuid, then narrow it below */
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
		    setresuid(uid, uid, uid) < 0)
			return -errno;
	}
	caps = cap_init();
	if (!caps)
		return -errno;
	/* keep[] preserves privs_keep's order: the effective ones come first */
	if ((nkeep && cap_set_flag(caps, CAP_PERMITTED, (int)nkeep, keep, CAP_SET) < 0) ||
	    (neff && cap_set_flag(caps, CAP_EFFECTIVE, (int)neff, keep, CAP_SET) < 0) || cap_set_proc(caps) < 0)
		ret = -errno;
	cap_free(caps);
	if (!ret) {
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		privs_dropped = true;
	}
	return ret;
}

int privs_sysadmin(bool on)
{
	cap_value_t c = CAP_SYS_ADMIN;
	cap_t caps;
	int ret = 0;

	if (!privs_dropped)
		return 0;	/* never dropped (not root, or before setup): nothing to raise */
	caps = cap_get_proc();
	if (!caps)
		return -errno;
	if (cap_set_flag(caps, CAP_EFFECTIVE, 1, &c, on ? CAP_SET : CAP_CLEAR) < 0 || cap_set_proc(caps) < 0)
		ret = -errno;
	cap_free(caps);
	return ret;
}
