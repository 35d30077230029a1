/*
 * libvdeplug.so.2: the locator resolver, module loader and call dispatch (doc/vde-wire.md §1-2).
 *
 * vde_open_real() turns a locator into "scheme" + "args", finds libvdeplug_<scheme>.so, and calls the
 * module's open. Every connection a module returns begins with { handle, module }, which we fill so that
 * the other calls dispatch through conn->module and vde_close() can dlclose the module.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libvdeplug_mod.h>

#include "vdeplug_internal.h"

#define EXPORT __attribute__((visibility("default")))

/* vdeplug4 exports the value 4 ("the vdeplug4 API") as a 64-bit data object; nothing we know of reads
 * it, but programs linked against vdeplug4 may reference it, so it exists with the same value. */
EXPORT uint64_t __vde_version_tag = 4;

#define MAX_SCHEME 64
/* how many regular files may redirect to one another before we call it a loop */
#define MAX_REDIRECTS 8
#define DEFAULT_MODE 0700

/*
 * Modules keep the symbols they were linked with even if the program defines the same names
 * (RTLD_DEEPBIND) — except in a program running under AddressSanitizer, which refuses DEEPBIND
 * (it would bypass its interceptors): asked at run time, since this library itself is not
 * instrumented but may be loaded by a program that is.
 */
static int dlopen_flags(void)
{
	return dlsym(RTLD_DEFAULT, "__asan_init") ? RTLD_NOW | RTLD_LOCAL : RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND;
}

#if defined(__x86_64__)
#define MULTIARCH "x86_64-linux-gnu"
#elif defined(__aarch64__)
#define MULTIARCH "aarch64-linux-gnu"
#elif defined(__i386__)
#define MULTIARCH "i386-linux-gnu"
#elif defined(__arm__)
#define MULTIARCH "arm-linux-gnueabihf"
#elif defined(__riscv) && __riscv_xlen == 64
#define MULTIARCH "riscv64-linux-gnu"
#endif

int vdeplug_secure(void)
{
	return getauxval(AT_SECURE) != 0;
}

static const char *env(const char *name)
{
	/* a setuid/setcap program must not let its caller choose modules, paths or descriptions */
	return vdeplug_secure() ? NULL : getenv(name);
}

int vdeplug_scheme_valid(const char *scheme, size_t len)
{
	if (len == 0 || len > MAX_SCHEME)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = scheme[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return 0;
	}
	return 1;
}

/* The first line of a file, without its newline, in a malloc'd string; NULL if unreadable or empty. */
static char *read_first_line(const char *path)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (f == NULL)
		return NULL;
	n = getline(&line, &cap, f);
	fclose(f);
	if (n <= 0) {
		free(line);
		return NULL;
	}
	line[strcspn(line, "\r\n")] = 0;
	if (*line == 0 || strlen(line) > PATH_MAX * 2) {
		free(line);
		return NULL;
	}
	return line;
}

static char *home_file(const char *rel)
{
	const char *home = env("HOME");
	struct passwd *pw;
	char *path;

	if (home == NULL || *home == 0) {
		pw = getpwuid(getuid());
		if (pw == NULL || pw->pw_dir == NULL)
			return NULL;
		home = pw->pw_dir;
	}
	if (asprintf(&path, "%s/%s", home, rel) < 0)
		return NULL;
	return path;
}

/* The locator used when the caller gives none: ~/.vdeplug/default, ~/.vde2/default.switch, else the
 * classic switch directories. Returns a malloc'd string. */
static char *default_locator(void)
{
	static const char *const files[] = { ".vdeplug/default", ".vde2/default.switch" };
	struct stat st;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *path = home_file(files[i]);
		char *line = path ? read_first_line(path) : NULL;

		free(path);
		if (line)
			return line;
	}
	if (stat("/var/run/vde.ctl", &st) == 0)
		return strdup("vde:///var/run/vde.ctl");
	return strdup("vde:///tmp/vde.ctl");
}

int vdeplug_resolve(const char *locator, struct vdeplug_locator *out)
{
	char *cur, *sep;
	struct stat st;
	int redirects = 0;

	memset(out, 0, sizeof(*out));
	cur = (locator && *locator) ? strdup(locator) : default_locator();
	if (cur == NULL)
		return -ENOMEM;
	for (;;) {
		sep = strstr(cur, "://");
		if (sep)
			break;
		/* a regular file named instead of a locator holds the real locator on its first line */
		if (stat(cur, &st) == 0 && S_ISREG(st.st_mode)) {
			char *line;

			if (++redirects > MAX_REDIRECTS) {
				free(cur);
				return -ELOOP;
			}
			line = read_first_line(cur);
			free(cur);
			if (line == NULL)
				return -EINVAL;
			cur = line;
			continue;
		}
		/* a plain path is a vde_switch directory */
		out->buf = cur;
		snprintf(out->scheme, sizeof(out->scheme), "vde");
		out->args = cur;
		return 0;
	}
	if (!vdeplug_scheme_valid(cur, (size_t)(sep - cur))) {
		free(cur);
		return -EPROTONOSUPPORT;
	}
	memcpy(out->scheme, cur, (size_t)(sep - cur));
	out->scheme[sep - cur] = 0;
	out->buf = cur;
	out->args = sep + 3;
	return 0;
}

/* dlopen dir/libvdeplug_<scheme>.so. Returns the handle; NULL with *missing set when the file is absent,
 * NULL with *missing clear when it exists but does not load. */
static void *try_dir(const char *dir, size_t dirlen, const char *scheme, int *missing)
{
	char path[PATH_MAX];
	void *h;
	int n;

	*missing = 1;
	if (dirlen == 0)
		return NULL;
	n = snprintf(path, sizeof(path), "%.*s%slibvdeplug_%s.so", (int)dirlen, dir,
		     dir[dirlen - 1] == '/' ? "" : "/", scheme);
	if (n < 0 || (size_t)n >= sizeof(path) || access(path, F_OK) != 0)
		return NULL;
	*missing = 0;
	h = dlopen(path, dlopen_flags());
	if (h == NULL && env("VDEPLUG_DEBUG"))
		fprintf(stderr, "libvdeplug: %s\n", dlerror());
	return h;
}

/* Try each ':'-separated dir of list, each with suffix appended. */
static void *try_list(const char *list, const char *suffix, const char *scheme, int *missing)
{
	char dir[PATH_MAX];
	void *h;

	*missing = 1;
	while (list && *list) {
		size_t len = strcspn(list, ":");
		int n = snprintf(dir, sizeof(dir), "%.*s%s", (int)len, list, suffix);

		if (len > 0 && n > 0 && (size_t)n < sizeof(dir)) {
			h = try_dir(dir, (size_t)n, scheme, missing);
			if (h || !*missing)
				return h;
		}
		list += len;
		if (*list == ':')
			list++;
	}
	*missing = 1;
	return NULL;
}

void *vdeplug_load_module(const char *scheme)
{
	static const char *const fixed[] = {
		"/lib/vdeplug/", "/usr/lib/vdeplug/",
#ifdef MULTIARCH
		/* where Debian's own modules live: lets them load in this library when it is installed
		 * elsewhere (e.g. /usr/local/lib) */
		"/usr/lib/" MULTIARCH "/vdeplug/",
#endif
	};
	const char *path_env = env("VDEPLUGIN_PATH");
	char libdir[PATH_MAX] = "";
	char name[MAX_SCHEME + 32];
	Dl_info info;
	void *h;
	int missing;

	if (!vdeplug_scheme_valid(scheme, strlen(scheme))) {
		errno = EPROTONOSUPPORT;
		return NULL;
	}
	if (path_env) {
		h = try_list(path_env, "", scheme, &missing);
		goto out;
	}
	/* <libdir>: wherever this library was loaded from */
	if (dladdr((void *)vdeplug_load_module, &info) && info.dli_fname) {
		const char *slash = strrchr(info.dli_fname, '/');

		if (slash && (size_t)(slash - info.dli_fname) + 1 < sizeof(libdir)) {
			memcpy(libdir, info.dli_fname, (size_t)(slash - info.dli_fname) + 1);
			libdir[slash - info.dli_fname + 1] = 0;
		}
	}
	if (*libdir) {
		h = try_list(libdir, "vdeplug/", scheme, &missing);
		if (h || !missing)
			goto out;
		h = try_dir(libdir, strlen(libdir), scheme, &missing);
		if (h || !missing)
			goto out;
	}
	h = try_list(env("LD_LIBRARY_PATH"), "/vdeplug/", scheme, &missing);
	if (h || !missing)
		goto out;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		h = try_dir(fixed[i], strlen(fixed[i]), scheme, &missing);
		if (h || !missing)
			goto out;
	}
	/* last, the dynamic linker's own search (which ignores LD_LIBRARY_PATH in a secure process) */
	snprintf(name, sizeof(name), "libvdeplug_%s.so", scheme);
	h = dlopen(name, dlopen_flags());
	missing = h == NULL;
out:
	if (h == NULL)
		errno = missing ? EPROTONOSUPPORT : ELIBBAD;
	return h;
}

void vdeplug_make_descr(char *out, size_t size, const char *descr)
{
	char user[64];
	struct passwd *pw = getpwuid(getuid());
	const char *ssh = env("SSH_CLIENT");
	int n;

	if (pw && pw->pw_name)
		snprintf(user, sizeof(user), "%s", pw->pw_name);
	else
		snprintf(user, sizeof(user), "%u", (unsigned)getuid());
	n = snprintf(out, size, "%s user=%s pid=%d", descr ? descr : "", user, (int)getpid());
	/* $SSH_CLIENT is "client-ip client-port server-port": keep the ip */
	if (ssh && *ssh && n > 0 && (size_t)n < size)
		snprintf(out + n, size - (size_t)n, " SSH=%.*s", (int)strcspn(ssh, " "), ssh);
}

EXPORT VDECONN *vde_open_real(char *vde_url, char *descr, int interface_version,
			      struct vde_open_args *open_args)
{
	struct vdeplug_locator loc;
	struct vdeplug_module *ops;
	struct vde_open_args args;
	char newdescr[MAXDESCR];
	void *handle;
	VDECONN *conn;
	int rc, saved;

	if (interface_version != 1) {
		errno = EINVAL;
		return NULL;
	}
	rc = vdeplug_resolve(vde_url, &loc);
	if (rc < 0) {
		errno = -rc;
		return NULL;
	}
	handle = vdeplug_load_module(loc.scheme);
	if (handle == NULL)
		goto fail;
	ops = dlsym(handle, "vdeplug_ops");
	if (ops == NULL || ops->vde_open_real == NULL) {
		dlclose(handle);
		errno = ELIBBAD;
		goto fail;
	}
	vdeplug_make_descr(newdescr, sizeof(newdescr), descr);
	if (open_args) {
		/* mode 0 means "the default": vdeplug4 applied it literally and locked the caller out */
		args = *open_args;
		if (args.mode == 0)
			args.mode = DEFAULT_MODE;
		open_args = &args;
	}
	conn = ops->vde_open_real(loc.args, newdescr, interface_version, open_args);
	if (conn == NULL) {
		saved = errno ? errno : EINVAL;
		dlclose(handle);
		errno = saved;
		goto fail;
	}
	conn->handle = handle;
	conn->module = ops;
	free(loc.buf);
	return conn;
fail:
	saved = errno;
	free(loc.buf);
	errno = saved;
	return NULL;
}

EXPORT ssize_t vde_recv(VDECONN *conn, void *buf, size_t len, int flags)
{
	if (conn == NULL || conn->module == NULL || conn->module->vde_recv == NULL) {
		errno = EBADF;
		return -1;
	}
	return conn->module->vde_recv(conn, buf, len, flags);
}

EXPORT ssize_t vde_send(VDECONN *conn, const void *buf, size_t len, int flags)
{
	if (conn == NULL || conn->module == NULL || conn->module->vde_send == NULL) {
		errno = EBADF;
		return -1;
	}
	return conn->module->vde_send(conn, buf, len, flags);
}

EXPORT int vde_datafd(VDECONN *conn)
{
	if (conn == NULL || conn->module == NULL || conn->module->vde_datafd == NULL) {
		errno = EBADF;
		return -1;
	}
	return conn->module->vde_datafd(conn);
}

EXPORT int vde_ctlfd(VDECONN *conn)
{
	if (conn == NULL || conn->module == NULL || conn->module->vde_ctlfd == NULL) {
		errno = EBADF;
		return -1;
	}
	return conn->module->vde_ctlfd(conn);
}

EXPORT int vde_close(VDECONN *conn)
{
	void *handle;
	int rc, saved;

	if (conn == NULL || conn->module == NULL || conn->module->vde_close == NULL) {
		errno = EBADF;
		return -1;
	}
	/* the module frees conn: keep what we need before */
	handle = conn->handle;
	rc = conn->module->vde_close(conn);
	saved = errno;
	if (handle)
		dlclose(handle);
	errno = saved;
	return rc;
}
