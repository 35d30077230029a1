/*
 * vdectl — the command-line client of vded (doc/vdectl.1; the wire contract is doc/protocol.md).
 *
 * Grammar: vdectl [-s SOCK] [-j] NOUN VERB [ARGS]. Each NOUN VERB pair is one row of subcommands[],
 * which also carries its synopsis and option help, so the help text, the usage errors and the
 * dispatch cannot drift apart. Results print as tables for people, or verbatim as JSON with -j.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "proto.h"
#include "text.h"
#include "vdeclient.h"

#ifndef VDE_VERSION
#define VDE_VERSION "unknown"
#endif

/* Exit codes (documented in vdectl.1): scripts tell "missing" and "exists" apart without parsing. */
enum {
	VDECTL_OK = 0,
	VDECTL_ERROR = 1,
	VDECTL_USAGE = 2,
	VDECTL_NOT_FOUND = 3,
	VDECTL_DENIED = 4,
	VDECTL_EXISTS = 5,
};

/* Long-only options get values above any char so they never collide with short options. */
enum {
	OPT_VERSION = 256,
	OPT_DESCRIPTION,
	OPT_EXIST_OK,
	OPT_MISSING_OK,
	OPT_MAX_PORTS,
	OPT_MAC_TABLE_SIZE,
	OPT_MAC_AGING,
	OPT_FD,
	OPT_PORT,
	OPT_GROUP,
	OPT_MODE,
	OPT_OWNER,
	OPT_ADDRESS,
	OPT_MTU,
	OPT_UP,
	OPT_VXVDE,
	OPT_VNI,
	OPT_TTL,
	OPT_INTERFACE,
	OPT_SLIRP,
	OPT_SUBNET,
	OPT_IPV6,
	OPT_DNS,
	OPT_NET,
};

/* Where vded (and `ip netns`) pin named network namespaces. */
#define VDECTL_NETNS_DIR "/run/netns"

/* The most positional arguments a subcommand takes (forward add NETWORK PROTO HOST GUEST). */
#define MAX_POS 4

struct subcommand {
	const char *noun;
	const char *verb;
	int (*run)(const struct subcommand *sc, int argc, char **argv);
	const char *args;		/* synopsis after "NOUN VERB" */
	const char *summary;		/* one line for -h */
	const char *help;		/* more for "NOUN VERB -h": details, then "Options:" lines */
	const char *posnames[MAX_POS];	/* required positional arguments, in order */
	int takes_command;		/* positionals are followed by CMD [ARGS...] */
};

static const char *opt_socket;	/* -s; NULL: $VDED_SOCKET, else the default */
static int opt_json;		/* -j */
static struct vdeclient *conn;	/* connected on first use, closed at exit */

static const char common_options[] =
	"  -s, --socket SOCK          control socket (default: $VDED_SOCKET, else\n"
	"                             " VDED_DEFAULT_SOCKET ")\n"
	"  -j, --json                 print the result object as one line of JSON\n"
	"  -h, --help                 show this help\n";

/* ---------------------------------------------------------------- small helpers */

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		fputs("vdectl: out of memory\n", stderr);
		exit(VDECTL_ERROR);
	}
	return p;
}

static void __attribute__((format(printf, 1, 2))) errmsg(const char *fmt, ...)
{
	va_list ap;

	fputs("vdectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* A decimal number without sign or spaces, at most max. Returns 0, or -1 if s is not one. */
static int parse_number(const char *s, long long max, long long *out)
{
	char *end;
	long long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

/*
 * Text from vded may carry another user's description: never let it send escape sequences, bidi
 * overrides or invisible characters to a terminal (V18). Returns a copy with each such byte, and
 * each byte of invalid UTF-8, written as \xNN (common/text.c).
 */
static char *sanitize(const char *s)
{
	size_t size = strlen(s) * 4 + 1;

	return text_escape(s, xmalloc(size), size);
}

/* A field of obj as text: strings as they are, numbers in decimal, booleans yes/no, absent "-". */
static const char *field_text(struct json_object *obj, const char *key, char *buf, size_t size)
{
	struct json_object *v;

	if (!obj || !json_object_object_get_ex(obj, key, &v) || !v)
		return "-";
	switch (json_object_get_type(v)) {
	case json_type_string:
		return json_object_get_string(v);
	case json_type_int:
		snprintf(buf, size, "%lld", (long long)json_object_get_int64(v));
		return buf;
	case json_type_boolean:
		return json_object_get_boolean(v) ? "yes" : "no";
	default:
		snprintf(buf, size, "%s", json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
		return buf;
	}
}

static struct json_object *field_array(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (!obj || !json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_array))
		return NULL;
	return v;
}

/* An id as "alice" (or "1000 (alice)" if numeric) when it has a name here, else the number. */
static const char *id_text(struct json_object *obj, const char *key, int numeric, int group, char *buf, size_t size)
{
	struct json_object *v;
	const char *name = NULL;
	long long id;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_int))
		return "-";
	id = (long long)json_object_get_int64(v);
	if (group) {
		struct group *gr = getgrgid((gid_t)id);
		name = gr ? gr->gr_name : NULL;
	} else {
		struct passwd *pw = getpwuid((uid_t)id);
		name = pw ? pw->pw_name : NULL;
	}
	if (name && !numeric)
		snprintf(buf, size, "%s", name);
	else if (name)
		snprintf(buf, size, "%lld (%s)", id, name);
	else
		snprintf(buf, size, "%lld", id);
	return buf;
}

static const char *uid_text(struct json_object *obj, const char *key, int numeric, char *buf, size_t size)
{
	return id_text(obj, key, numeric, 0, buf, size);
}

static const char *gid_text(struct json_object *obj, const char *key, int numeric, char *buf, size_t size)
{
	return id_text(obj, key, numeric, 1, buf, size);
}

/* A network's mode as "0660 (rw-rw----)": vded sends it as an octal string. */
static const char *mode_text(struct json_object *obj, char *buf, size_t size)
{
	static const char rwx[] = "rwxrwxrwx";
	char tmp[16], bits[10];
	const char *m = field_text(obj, "mode", tmp, sizeof(tmp));
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(m, &end, 8);
	if (!*m || *end || errno || v > 0777) {
		snprintf(buf, size, "%s", m);
		return buf;
	}
	for (int i = 0; i < 9; i++)
		bits[i] = (v & (0400u >> i)) ? rwx[i] : '-';
	bits[9] = '\0';
	snprintf(buf, size, "%04lo (%s)", v, bits);
	return buf;
}

/*
 * A mode from the command line: octal digits only, at most 0777. Returns it normalised as "0660" in
 * buf, or NULL. The daemon checks it too; checking here gives a usage error (exit 2) for a typo.
 */
static const char *mode_arg(const char *s, char *buf, size_t size)
{
	unsigned long v;
	char *end;

	if (!*s || strspn(s, "01234567") != strlen(s))
		return NULL;
	errno = 0;
	v = strtoul(s, &end, 8);
	if (errno || *end || v > 0777)
		return NULL;
	snprintf(buf, size, "%04lo", v);
	return buf;
}

/* ---------------------------------------------------------------- tables */

/* Cells are appended row by row; row 0 is the header. Columns are left-aligned, the last one unpadded. */
struct table {
	size_t ncols, ncells, cap;
	char **cells;
};

static void table_add(struct table *t, const char *s)
{
	if (t->ncells == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		char **cells = realloc(t->cells, cap * sizeof(*cells));
		if (!cells) {
			fputs("vdectl: out of memory\n", stderr);
			exit(VDECTL_ERROR);
		}
		t->cells = cells;
		t->cap = cap;
	}
	t->cells[t->ncells++] = sanitize(s);
}

static void table_addf(struct table *t, struct json_object *obj, const char *key)
{
	char buf[64];

	table_add(t, field_text(obj, key, buf, sizeof(buf)));
}

static void table_init(struct table *t, size_t ncols, const char *const *headers)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	for (size_t i = 0; i < ncols; i++)
		table_add(t, headers[i]);
}

/* Print and free. */
static void table_print(struct table *t)
{
	size_t width[16] = { 0 };

	for (size_t i = 0; i < t->ncells; i++) {
		size_t len = text_width(t->cells[i]);
		size_t col = i % t->ncols;
		if (col < 16 && len > width[col])
			width[col] = len;
	}
	for (size_t row = 0; row < t->ncells / t->ncols; row++) {
		char **cells = t->cells + row * t->ncols;
		size_t last = t->ncols - 1;

		/* no trailing blanks when the last columns are empty */
		while (last > 0 && !cells[last][0])
			last--;
		/* padded by characters, not bytes: a name in another script lines up too */
		for (size_t col = 0; col < last; col++)
			printf("%s%*s  ", cells[col], (int)(width[col < 16 ? col : 15] - text_width(cells[col])), "");
		printf("%s\n", cells[last]);
	}
	for (size_t i = 0; i < t->ncells; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

/* One "key:  value" line of a detail view. */
static void print_kv(const char *key, const char *value)
{
	char *clean = sanitize(value);

	printf("%-16s%s\n", key, clean);
	free(clean);
}

/* ---------------------------------------------------------------- usage */

static const struct subcommand subcommands[];
static const size_t nsubcommands;

static void print_synopsis(FILE *f, const struct subcommand *sc, const char *prefix)
{
	fprintf(f, "%svdectl [-s SOCK] [-j] %s %s%s%s\n", prefix, sc->noun, sc->verb,
		sc->args[0] ? " " : "", sc->args);
}

static void usage_top(FILE *f)
{
	fputs("usage: vdectl [-s SOCK] [-j] NOUN VERB [ARGS...]\n"
	      "       vdectl -h | --version\n", f);
}

static void usage_noun(FILE *f, const char *noun)
{
	const char *prefix = "usage: ";

	for (size_t i = 0; i < nsubcommands; i++) {
		if (strcmp(subcommands[i].noun, noun) == 0) {
			print_synopsis(f, &subcommands[i], prefix);
			prefix = "       ";
		}
	}
}

static void __attribute__((noreturn)) help_top(void)
{
	usage_top(stdout);
	fputs("\nControl vded, the VDE network daemon.\n\nCommands:\n", stdout);
	for (size_t i = 0; i < nsubcommands; i++) {
		const struct subcommand *sc = &subcommands[i];
		printf("  %s %s%s%s\n        %s\n", sc->noun, sc->verb, sc->args[0] ? " " : "", sc->args,
		       sc->summary);
	}
	printf("\nOptions:\n%s      --version              print the version\n", common_options);
	fputs("\nRun 'vdectl NOUN VERB -h' for the options of a command.\n"
	      "Exit status: 0 ok, 1 error, 2 usage, 3 not found, 4 permission denied, 5 exists.\n", stdout);
	exit(VDECTL_OK);
}

static void __attribute__((noreturn)) help_noun(const char *noun)
{
	usage_noun(stdout, noun);
	putchar('\n');
	for (size_t i = 0; i < nsubcommands; i++)
		if (strcmp(subcommands[i].noun, noun) == 0)
			printf("  %-8s %s\n", subcommands[i].verb, subcommands[i].summary);
	printf("\nRun 'vdectl %s VERB -h' for the options of a command.\n", noun);
	exit(VDECTL_OK);
}

static void __attribute__((noreturn)) help_subcommand(const struct subcommand *sc)
{
	print_synopsis(stdout, sc, "usage: ");
	/* sc->help ends with its own "Options:" list when it has one; the common options join it */
	printf("\n%s\n%s", sc->summary, sc->help ? sc->help : "\nOptions:\n");
	fputs(common_options, stdout);
	exit(VDECTL_OK);
}

/*
 * A usage error: one line saying what is wrong, then the usage of the level it happened at
 * (the subcommand if sc, else the noun if noun, else the top level). Exits 2.
 */
static void __attribute__((noreturn, format(printf, 3, 4)))
usage_fail(const char *noun, const struct subcommand *sc, const char *fmt, ...)
{
	va_list ap;

	fputs("vdectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (sc)
		print_synopsis(stderr, sc, "usage: ");
	else if (noun)
		usage_noun(stderr, noun);
	else
		usage_top(stderr);
	exit(VDECTL_USAGE);
}

/* ---------------------------------------------------------------- argument parsing */

/*
 * Options and positional arguments in any order (getopt in "+" mode, restarted after each
 * positional); "--" ends the options. For a subcommand that runs a command, the first argument
 * after the positionals starts CMD, and nothing from there on is parsed.
 */
struct args {
	const struct subcommand *sc;
	int argc;
	char **argv;
	const char *optstring;
	const struct option *longopts;
	const char *pos[MAX_POS];
	int npos;
	int cmd;	/* argv index of CMD (takes_command), else argc */
};

#define COMMON_LONGOPTS \
	{ "socket", required_argument, NULL, 's' }, \
	{ "json", no_argument, NULL, 'j' }, \
	{ "help", no_argument, NULL, 'h' }

static void args_begin(struct args *a, const struct subcommand *sc, int argc, char **argv,
		       const char *optstring, const struct option *longopts)
{
	memset(a, 0, sizeof(*a));
	a->sc = sc;
	a->argc = argc;
	a->argv = argv;
	a->optstring = optstring;
	a->longopts = longopts;
	a->cmd = argc;
	optind = 0;	/* glibc: full reinitialisation, parsing starts at argv[1] */
	opterr = 0;	/* we print our own one-line errors */
}

static size_t args_maxpos(const struct args *a)
{
	size_t n = 0;

	while (n < MAX_POS && a->sc->posnames[n])
		n++;
	return n;
}

/* Take argv[i] as the next positional. Returns 1 if it starts CMD (parsing ends there). */
static int args_positional(struct args *a, int i)
{
	if ((size_t)a->npos < args_maxpos(a)) {
		a->pos[a->npos++] = a->argv[i];
		return 0;
	}
	if (a->sc->takes_command) {
		a->cmd = i;
		return 1;
	}
	usage_fail(NULL, a->sc, "unexpected argument '%s'", a->argv[i]);
}

static void args_finish(struct args *a)
{
	if ((size_t)a->npos < args_maxpos(a))
		usage_fail(NULL, a->sc, "missing %s", a->sc->posnames[a->npos]);
	if (a->sc->takes_command && a->cmd >= a->argc)
		usage_fail(NULL, a->sc, "missing CMD to run");
}

/* The name of the option getopt just complained about, for the error line. */
static const char *args_optname(const struct args *a, int elem, char *buf, size_t size)
{
	const char *arg = elem < a->argc ? a->argv[elem] : "";

	if (strncmp(arg, "--", 2) == 0) {
		snprintf(buf, size, "%.*s", (int)strcspn(arg, "="), arg);
		return buf;
	}
	if (optopt > 0 && optopt < 256) {
		snprintf(buf, size, "-%c", optopt);
		return buf;
	}
	for (const struct option *o = a->longopts; o->name; o++) {
		if (o->val == optopt) {
			snprintf(buf, size, "--%s", o->name);
			return buf;
		}
	}
	return arg;
}

/* The next option specific to the subcommand, or -1 when all arguments are parsed and complete. */
static int args_next(struct args *a)
{
	char name[64];

	for (;;) {
		int before = optind ? optind : 1;
		int c = getopt_long(a->argc, a->argv, a->optstring, a->longopts, NULL);

		switch (c) {
		case 'h':
			help_subcommand(a->sc);
			break;
		case 'j':
			opt_json = 1;
			continue;
		case 's':
			opt_socket = optarg;
			continue;
		case ':':
			usage_fail(NULL, a->sc, "option '%s' needs an argument",
				   args_optname(a, before, name, sizeof(name)));
		case '?':
			if (strncmp(a->argv[before], "--", 2) == 0 && optopt)
				usage_fail(NULL, a->sc, "option '%s' takes no argument",
					   args_optname(a, before, name, sizeof(name)));
			usage_fail(NULL, a->sc, "unknown option '%s'",
				   args_optname(a, before, name, sizeof(name)));
		case -1:
			break;
		default:
			return c;
		}

		if (optind >= a->argc) {
			args_finish(a);
			return -1;
		}
		if (optind == before + 1 && strcmp(a->argv[before], "--") == 0) {
			/* after "--" everything is positional (or CMD) */
			for (int i = optind; i < a->argc; i++)
				if (args_positional(a, i))
					break;
			args_finish(a);
			return -1;
		}
		if (args_positional(a, optind)) {
			args_finish(a);
			return -1;
		}
		optind++;
	}
}

static long long args_number(const struct args *a, const char *what, long long max)
{
	long long v;

	if (parse_number(optarg, max, &v) < 0) {
		if (parse_number(optarg, LLONG_MAX, &v) == 0)
			usage_fail(NULL, a->sc, "%s: %s is out of range (at most %lld)", what, optarg, max);
		usage_fail(NULL, a->sc, "%s: '%s' is not a number", what, optarg);
	}
	return v;
}

/* ---------------------------------------------------------------- talking to vded */

static int exit_code_for(const char *code)
{
	switch (proto_err_from_code(code)) {
	case PROTO_ERR_NOT_FOUND:
		return VDECTL_NOT_FOUND;
	case PROTO_ERR_PERMISSION:
		return VDECTL_DENIED;
	case PROTO_ERR_EXISTS:
		return VDECTL_EXISTS;
	default:
		return VDECTL_ERROR;
	}
}

static void print_json(struct json_object *obj)
{
	puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

/*
 * With -j a failure is also printed on standard output as {"error":{code, errno, message}}, the
 * protocol's error object, so scripts can tell a quota ("limit") from other errors of exit status 1.
 * error is borrowed; if NULL, one is made from code, err and message.
 */
static void print_json_error(struct json_object *error, const char *code, int err, const char *message)
{
	struct json_object *o;

	if (!opt_json)
		return;
	o = json_object_new_object();
	if (error) {
		json_object_object_add(o, "error", json_object_get(error));
	} else {
		struct json_object *e = json_object_new_object();
		json_object_object_add(e, "code", json_object_new_string(code));
		json_object_object_add(e, "errno", json_object_new_int(err));
		json_object_object_add(e, "message", json_object_new_string(message));
		json_object_object_add(o, "error", e);
	}
	print_json(o);
	json_object_put(o);
}

/*
 * One request, connecting first if needed. params is taken. Returns 0 with *result owned by the
 * caller (and *fd, if fd is given, a received descriptor or -1), or prints the error and returns
 * the exit code for it.
 */
static int call(const char *method, struct json_object *params, struct json_object **result, int *fd)
{
	struct json_object *error = NULL, *v;
	int ret;

	if (!conn) {
		const char *path = opt_socket ? opt_socket : vdeclient_default_socket();

		ret = vdeclient_connect(path, &conn);
		if (ret < 0) {
			const char *hint = "";
			int denied = ret == -EACCES || ret == -EPERM;
			char msg[PATH_MAX + 128];

			json_object_put(params);
			if (ret == -ENOENT || ret == -ECONNREFUSED)
				hint = " (is vded running?)";
			else if (denied)
				hint = " (are you in the socket's group?)";
			snprintf(msg, sizeof(msg), "cannot connect to %s: %s%s", path, strerror(-ret), hint);
			errmsg("%s", msg);
			print_json_error(NULL, denied ? "permission-denied" : "unavailable", -ret, msg);
			return denied ? VDECTL_DENIED : VDECTL_ERROR;
		}
	}
	ret = vdeclient_call(conn, method, params, result, &error, fd);
	if (ret == 0)
		return VDECTL_OK;
	if (ret == -EPROTO && error) {
		const char *code = "internal", *message = NULL;
		char *clean;

		if (json_object_object_get_ex(error, "code", &v) && json_object_is_type(v, json_type_string))
			code = json_object_get_string(v);
		if (json_object_object_get_ex(error, "message", &v) && json_object_is_type(v, json_type_string))
			message = json_object_get_string(v);
		clean = sanitize(message && *message ? message : code);
		errmsg("%s", clean);
		free(clean);
		print_json_error(error, NULL, 0, NULL);
		ret = exit_code_for(code);
		json_object_put(error);
		return ret;
	}
	if (ret == -ECONNRESET)
		errmsg("%s: vded closed the connection", method);
	else
		errmsg("%s: %s", method, strerror(-ret));
	return VDECTL_ERROR;
}

/* Call method and print its result: verbatim with -j, else through human (NULL: nothing). */
static int call_and_print(const char *method, struct json_object *params,
			  void (*human)(struct json_object *result))
{
	struct json_object *result;
	int ret = call(method, params, &result, NULL);

	if (ret)
		return ret;
	if (opt_json)
		print_json(result);
	else if (human)
		human(result);
	json_object_put(result);
	return VDECTL_OK;
}

/*
 * Call a method whose list comes in pages (V15) and gather every page into the first one's result,
 * so that tables and -j show the whole list: the array under key grows, "next_offset" ends null.
 * params is taken (NULL: none). A daemon that does not page answers without "next_offset": one call.
 */
static int call_all_pages(const char *method, struct json_object *params, const char *key,
			  struct json_object **result)
{
	struct json_object *all = NULL, *copy = NULL, *page, *arr, *more, *next, *v;
	int64_t last = -1;
	int ret;

	if (params && json_object_deep_copy(params, &copy, NULL) < 0)
		copy = NULL;
	ret = call(method, copy, &all, NULL);
	while (ret == VDECTL_OK && json_object_object_get_ex(all, "next_offset", &next) &&
	       json_object_is_type(next, json_type_int) && (arr = field_array(all, key))) {
		int64_t off = json_object_get_int64(next);

		/* each page must move on, or a confused daemon would keep us here */
		if (off <= last) {
			errmsg("%s: vded sent next_offset %lld twice", method, (long long)off);
			ret = VDECTL_ERROR;
			break;
		}
		last = off;
		copy = NULL;
		if (params && json_object_deep_copy(params, &copy, NULL) < 0)
			copy = NULL;
		if (!copy)
			copy = json_object_new_object();
		json_object_object_add(copy, "offset", json_object_new_int64(off));
		ret = call(method, copy, &page, NULL);
		if (ret != VDECTL_OK)
			break;
		more = field_array(page, key);
		for (size_t i = 0; more && i < json_object_array_length(more); i++)
			json_object_array_add(arr, json_object_get(json_object_array_get_idx(more, i)));
		if (json_object_object_get_ex(page, "total", &v))
			json_object_object_add(all, "total", json_object_get(v));
		json_object_object_get_ex(page, "next_offset", &v);
		json_object_object_add(all, "next_offset", json_object_get(v));
		json_object_put(page);
	}
	json_object_put(params);
	if (ret != VDECTL_OK) {
		json_object_put(all);
		return ret;
	}
	*result = all;
	return VDECTL_OK;
}

/* call_and_print for a paged list: every page, printed as one. */
static int call_and_print_all(const char *method, struct json_object *params, const char *key,
			      void (*human)(struct json_object *result))
{
	struct json_object *result;
	int ret = call_all_pages(method, params, key, &result);

	if (ret)
		return ret;
	if (opt_json)
		print_json(result);
	else
		human(result);
	json_object_put(result);
	return VDECTL_OK;
}

/* ---------------------------------------------------------------- human output */

static void print_network_table(struct json_object *networks)
{
	static const char *const headers[] = {
		"NAME", "PORTS", "MACS", "MAX-PORTS", "OWNER", "GROUP", "MODE", "ENDPOINT", "DESCRIPTION",
	};
	struct table t;
	size_t n = networks ? json_object_array_length(networks) : 0;

	table_init(&t, 9, headers);
	for (size_t i = 0; i < n; i++) {
		struct json_object *net = json_object_array_get_idx(networks, i);
		char buf[64];

		table_addf(&t, net, "name");
		table_addf(&t, net, "ports");
		table_addf(&t, net, "macs");
		table_addf(&t, net, "max_ports");
		table_add(&t, uid_text(net, "owner_uid", 0, buf, sizeof(buf)));
		table_add(&t, gid_text(net, "group", 0, buf, sizeof(buf)));
		table_addf(&t, net, "mode");
		table_addf(&t, net, "endpoint");
		table_addf(&t, net, "description");
	}
	table_print(&t);
}

/*
 * What a port is bound to, by kind: a tap's interface ("tapgw", "vde0@router" inside a namespace),
 * an uplink's locator and state ("udp://... up", "cmd://false retrying: <error>"); else "-".
 */
static const char *port_detail(struct json_object *port, char *buf, size_t size)
{
	char b1[64], b2[64], b3[64];
	const char *ifname = field_text(port, "ifname", b1, sizeof(b1));
	const char *url = field_text(port, "url", b2, sizeof(b2));

	if (strcmp(ifname, "-") != 0) {
		const char *ns = field_text(port, "netns", b2, sizeof(b2));

		if (strcmp(ns, "-") != 0)
			snprintf(buf, size, "%s@%s", ifname, ns);
		else
			snprintf(buf, size, "%s", ifname);
		return buf;
	}
	if (strcmp(url, "-") != 0) {
		const char *state = field_text(port, "state", b1, sizeof(b1));
		const char *error = field_text(port, "error", b3, sizeof(b3));

		if (strcmp(error, "-") != 0)
			snprintf(buf, size, "%s %s: %s", url, state, error);
		else
			snprintf(buf, size, "%s %s", url, state);
		return buf;
	}
	return "-";
}

static void print_port_table(struct json_object *ports)
{
	static const char *const headers[] = {
		"ID", "KIND", "RX-FRAMES", "RX-BYTES", "TX-FRAMES", "TX-BYTES", "DROPS", "UID", "PID",
		"DESCRIPTION", "DETAIL",
	};
	static const char *const keys[] = {
		"id", "kind", "rx_frames", "rx_bytes", "tx_frames", "tx_bytes", "tx_dropped", "uid", "pid",
		"description",
	};
	struct table t;
	size_t n = ports ? json_object_array_length(ports) : 0;

	table_init(&t, 11, headers);
	for (size_t i = 0; i < n; i++) {
		struct json_object *port = json_object_array_get_idx(ports, i);
		char detail[1024];

		for (size_t k = 0; k < 10; k++)
			table_addf(&t, port, keys[k]);
		table_add(&t, port_detail(port, detail, sizeof(detail)));
	}
	table_print(&t);
}

static void print_network_list(struct json_object *result)
{
	print_network_table(field_array(result, "networks"));
}

/* The backends a network was created with, one "key: value" line each. */
static void print_backends(struct json_object *net)
{
	struct json_object *vx, *sl;
	char line[512], b1[64], b2[64], b3[64], b4[64];

	if (json_object_object_get_ex(net, "vxvde", &vx) && json_object_is_type(vx, json_type_object)) {
		const char *ifname = field_text(vx, "interface", b4, sizeof(b4));

		snprintf(line, sizeof(line), "%s vni %s ttl %s%s%s", field_text(vx, "group", b1, sizeof(b1)),
			 field_text(vx, "vni", b2, sizeof(b2)), field_text(vx, "ttl", b3, sizeof(b3)),
			 strcmp(ifname, "-") ? " interface " : "", strcmp(ifname, "-") ? ifname : "");
		print_kv("vxvde:", line);
	}
	if (json_object_object_get_ex(net, "slirp", &sl) && json_object_is_type(sl, json_type_object)) {
		const char *dns = field_text(sl, "dns", b2, sizeof(b2));

		snprintf(line, sizeof(line), "subnet %s%s%s ipv6 %s", field_text(sl, "subnet", b1, sizeof(b1)),
			 strcmp(dns, "-") ? " dns " : "", strcmp(dns, "-") ? dns : "",
			 field_text(sl, "ipv6", b3, sizeof(b3)));
		print_kv("slirp:", line);
	}
}

static void print_network_show(struct json_object *result)
{
	char buf[64];
	struct json_object *ports = field_array(result, "port_list");

	print_kv("name:", field_text(result, "name", buf, sizeof(buf)));
	print_kv("description:", field_text(result, "description", buf, sizeof(buf)));
	print_kv("owner:", uid_text(result, "owner_uid", 1, buf, sizeof(buf)));
	print_kv("group:", gid_text(result, "group", 1, buf, sizeof(buf)));
	print_kv("mode:", mode_text(result, buf, sizeof(buf)));
	print_kv("endpoint:", field_text(result, "endpoint", buf, sizeof(buf)));
	print_kv("max ports:", field_text(result, "max_ports", buf, sizeof(buf)));
	print_kv("mac table size:", field_text(result, "mac_table_size", buf, sizeof(buf)));
	print_kv("mac aging:", field_text(result, "mac_aging", buf, sizeof(buf)));
	print_kv("ports:", field_text(result, "ports", buf, sizeof(buf)));
	print_kv("macs:", field_text(result, "macs", buf, sizeof(buf)));
	print_backends(result);
	if (ports && json_object_array_length(ports) > 0) {
		putchar('\n');
		print_port_table(ports);
	}
}

static void print_port_list(struct json_object *result)
{
	print_port_table(field_array(result, "ports"));
}

static void print_mac_list(struct json_object *result)
{
	static const char *const headers[] = { "MAC", "VLAN", "PORT", "AGE" };
	struct json_object *macs = field_array(result, "macs");
	size_t n = macs ? json_object_array_length(macs) : 0;
	struct table t;

	table_init(&t, 4, headers);
	for (size_t i = 0; i < n; i++) {
		struct json_object *mac = json_object_array_get_idx(macs, i);
		char buf[64], age[80];

		table_addf(&t, mac, "mac");
		table_addf(&t, mac, "vlan");
		table_addf(&t, mac, "port");
		snprintf(age, sizeof(age), "%ss", field_text(mac, "age", buf, sizeof(buf)));
		table_add(&t, age);
	}
	table_print(&t);
}

static void print_daemon_info(struct json_object *result)
{
	struct json_object *api = field_array(result, "api");
	struct json_object *features = field_array(result, "features");
	char buf[256];
	size_t len = 0;

	print_kv("version:", field_text(result, "version", buf, sizeof(buf)));
	if (api && json_object_array_length(api) >= 2) {
		snprintf(buf, sizeof(buf), "%d.%d", json_object_get_int(json_object_array_get_idx(api, 0)),
			 json_object_get_int(json_object_array_get_idx(api, 1)));
		print_kv("api:", buf);
	}
	print_kv("pid:", field_text(result, "pid", buf, sizeof(buf)));
	print_kv("run dir:", field_text(result, "run_dir", buf, sizeof(buf)));
	print_kv("networks:", field_text(result, "networks", buf, sizeof(buf)));
	buf[0] = '\0';
	for (size_t i = 0; features && i < json_object_array_length(features); i++) {
		const char *f = json_object_get_string(json_object_array_get_idx(features, i));
		int n = snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? " " : "", f ? f : "?");
		if (n < 0 || (size_t)n >= sizeof(buf) - len)
			break;
		len += (size_t)n;
	}
	print_kv("features:", buf[0] ? buf : "-");
}

/* ---------------------------------------------------------------- network */

static int cmd_network_create(const struct subcommand *sc, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "description", required_argument, NULL, OPT_DESCRIPTION },
		{ "exist-ok", no_argument, NULL, OPT_EXIST_OK },
		{ "max-ports", required_argument, NULL, OPT_MAX_PORTS },
		{ "mac-table-size", required_argument, NULL, OPT_MAC_TABLE_SIZE },
		{ "mac-aging", required_argument, NULL, OPT_MAC_AGING },
		{ "group", required_argument, NULL, OPT_GROUP },
		{ "mode", required_argument, NULL, OPT_MODE },
		{ "vxvde", required_argument, NULL, OPT_VXVDE },
		{ "vni", required_argument, NULL, OPT_VNI },
		{ "ttl", required_argument, NULL, OPT_TTL },
		{ "interface", required_argument, NULL, OPT_INTERFACE },
		{ "slirp", no_argument, NULL, OPT_SLIRP },
		{ "subnet", required_argument, NULL, OPT_SUBNET },
		{ "ipv6", no_argument, NULL, OPT_IPV6 },
		{ "dns", required_argument, NULL, OPT_DNS },
		{ NULL, 0, NULL, 0 },
	};
	struct json_object *params = json_object_new_object();
	struct args a;
	char mode[8];
	int c, vxvde = 0, vxvde_opts = 0, slirp = 0, slirp_opts = 0;

	args_begin(&a, sc, argc, argv, "+:hjs:", longopts);
	while ((c = args_next(&a)) != -1) {
		switch (c) {
		case OPT_DESCRIPTION:
			json_object_object_add(params, "description", json_object_new_string(optarg));
			break;
		case OPT_EXIST_OK:
			json_object_object_add(params, "exist_ok", json_object_new_boolean(1));
			break;
		case OPT_MAX_PORTS:
			json_object_object_add(params, "max_ports",
					       json_object_new_int64(args_number(&a, "--max-ports", INT_MAX)));
			break;
		case OPT_MAC_TABLE_SIZE:
			json_object_object_add(params, "mac_table_size",
					       json_object_new_int64(args_number(&a, "--mac-table-size", INT_MAX)));
			break;
		case OPT_MAC_AGING:
			json_object_object_add(params, "mac_aging",
					       json_object_new_int64(args_number(&a, "--mac-aging", INT_MAX)));
			break;
		case OPT_GROUP:
			json_object_object_add(params, "group", json_object_new_string(optarg));
			break;
		case OPT_MODE:
			if (!mode_arg(optarg, mode, sizeof(mode)))
				usage_fail(NULL, sc, "--mode: '%s' is not an octal mode (0000..0777)", optarg);
			json_object_object_add(params, "mode", json_object_new_string(mode));
			break;
		case OPT_VXVDE:
			json_object_object_add(params, "vxvde", json_object_new_string(optarg));
			vxvde = 1;
			break;
		case OPT_VNI:
			json_object_object_add(params, "vni", json_object_new_int64(args_number(&a, "--vni", 0xffffff)));
			vxvde_opts = 1;
			break;
		case OPT_TTL:
			json_object_object_add(params, "ttl", json_object_new_int64(args_number(&a, "--ttl", 255)));
			vxvde_opts = 1;
			break;
		case OPT_INTERFACE:
			json_object_object_add(params, "interface", json_object_new_string(optarg));
			vxvde_opts = 1;
			break;
		case OPT_SLIRP:
			json_object_object_add(params, "slirp", json_object_new_boolean(1));
			slirp = 1;
			break;
		case OPT_SUBNET:
			json_object_object_add(params, "subnet", json_object_new_string(optarg));
			slirp_opts = 1;
			break;
		case OPT_IPV6:
			json_object_object_add(params, "ipv6", json_object_new_boolean(1));
			slirp_opts = 1;
			break;
		case OPT_DNS:
			json_object_object_add(params, "dns", json_object_new_string(optarg));
			slirp_opts = 1;
			break;
		}
	}
	/* caught here so that a forgotten --vxvde or --slirp is a usage error, not a daemon error */
	if (vxvde_opts && !vxvde) {
		json_object_put(params);
		usage_fail(NULL, sc, "--vni, --ttl and --interface need --vxvde");
	}
	if (slirp_opts && !slirp) {
		json_object_put(params);
		usage_fail(NULL, sc, "--subnet, --ipv6 and --dns need --slirp");
	}
	json_object_object_add(params, "name", json_object_new_string(a.pos[0]));
	return call_and_print("network.create", params, NULL);
}

static int cmd_network_set(const struct subcommand *sc, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "group", required_argument, NULL, OPT_GROUP },
		{ "mode", required_argument, NULL, OPT_MODE },
		{ "description", required_argument, NULL, OPT_DESCRIPTION },
		{ NULL, 0, NULL, 0 },
	};
	struct json_object *params = json_object_new_object();
	struct args a;
	char mode[8];
	int c, changes = 0;

	args_begin(&a, sc, argc, argv, "+:hjs:", longopts);
	while ((c = args_next(&a)) != -1) {
		switch (c) {
		case OPT_GROUP:
			json_object_object_add(params, "group", json_object_new_string(optarg));
			break;
		case OPT_MODE:
			if (!mode_arg(optarg, mode, sizeof(mode)))
				usage_fail(NULL, sc, "--mode: '%s' is not an octal mode (0000..0777)", optarg);
			json_object_object_add(params, "mode", json_object_new_string(mode));
			break;
		case OPT_DESCRIPTION:
			json_object_object_add(params, "description", json_object_new_string(optarg));
			break;
		}
		changes++;
	}
	if (!changes) {
		json_object_put(params);
		usage_fail(NULL, sc, "nothing to change: give --group, --mode or --description");
	}
	json_object_object_add(params, "name", json_object_new_string(a.pos[0]));
	return call_and_print("network.set", params, NULL);
}

static int cmd_network_delete(const struct subcommand *sc, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "missing-ok", no_argument, NULL, OPT_MISSING_OK },
		{ NULL, 0, NULL, 0 },
	};
	struct json_object *params = json_object_new_object();
	struct args a;

	args_begin(&a, sc, argc, argv, "+:hjs:", longopts);
	while (args_next(&a) == OPT_MISSING_OK)
		json_object_object_add(params, "missing_ok", json_object_new_boolean(1));
	json_object_object_add(params, "name", json_object_new_string(a.pos[0]));
	return call_and_print("network.delete", params, NULL);
}

static const struct option plain_longopts[] = {
	COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

/* The subcommands whose only arguments are their positionals, sent as params under these keys. */
static struct json_object *plain_params(const struct subcommand *sc, int argc, char **argv,
					const char *key)
{
	struct args a;

	args_begin(&a, sc, argc, argv, "+:hjs:", plain_longopts);
	while (args_next(&a) != -1)
		;
	if (!key)
		return NULL;
	struct json_object *params = json_object_new_object();
	json_object_object_add(params, key, json_object_new_string(a.pos[0]));
	return params;
}

static int cmd_network_list(const struct subcommand *sc, int argc, char **argv)
{
	return call_and_print_all("network.list", plain_params(sc, argc, argv, NULL), "networks", print_network_list);
}

static int cmd_network_show(const struct subcommand *sc, int argc, char **argv)
{
	return call_and_print_all("network.show", plain_params(sc, argc, argv, "name"), "port_list", print_network_show);
}

/* The description vded shows for an attached command, in libvdeplug's "<descr> user=U pid=P" style. */
static void attach_description(char *buf, size_t size, const char *cmd)
{
	const char *base = strrchr(cmd, '/');
	struct passwd *pw = getpwuid(getuid());
	char uid[24];

	snprintf(uid, sizeof(uid), "%u", (unsigned)getuid());
	snprintf(buf, size, "vdectl: %.160s user=%s pid=%d", base ? base + 1 : cmd,
		 pw ? pw->pw_name : uid, (int)getpid());
}

/*
 * Run cmd with datafd at descriptor target, keep the control connection (and so the port) open
 * while it runs, pass on termination signals, and return its exit status (128+N if killed by N).
 */
static int attach_run(int datafd, int target, char **cmd, const char *network)
{
	sigset_t sigs, oldmask;
	int sfd, status = 0, ctl = vdeclient_fd(conn);
	pid_t pid;

	/* An inherited SIG_IGN for SIGCHLD would make the kernel reap the child behind our back. */
	signal(SIGCHLD, SIG_DFL);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGCHLD);
	/* Blocked before fork, so no signal is lost between fork and the signalfd. */
	if (sigprocmask(SIG_BLOCK, &sigs, &oldmask) < 0) {
		errmsg("sigprocmask: %s", strerror(errno));
		return VDECTL_ERROR;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		errmsg("fork: %s", strerror(errno));
		return VDECTL_ERROR;
	}
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &oldmask, NULL);
		/* The fd arrived O_CLOEXEC; dup2 gives a copy without it, or clear it in place. */
		if (datafd == target) {
			if (fcntl(datafd, F_SETFD, 0) < 0) {
				errmsg("fd %d: %s", target, strerror(errno));
				_exit(126);
			}
		} else {
			if (dup2(datafd, target) < 0) {
				errmsg("cannot use fd %d: %s", target, strerror(errno));
				_exit(126);
			}
			close(datafd);
		}
		execvp(cmd[0], cmd);
		errmsg("cannot run %s: %s", cmd[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}

	close(datafd);	/* the child's copy is the port's only user end now */
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (sfd < 0) {
		errmsg("signalfd: %s", strerror(errno));
		kill(pid, SIGTERM);
		waitpid(pid, &status, 0);
		return VDECTL_ERROR;
	}
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = sfd, .events = POLLIN },
			{ .fd = ctl, .events = POLLIN },
		};
		struct signalfd_siginfo si;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			errmsg("poll: %s", strerror(errno));
			break;
		}
		if (pfd[1].revents) {
			/* Nothing is expected on the connection: EOF means vded dropped the port. */
			char junk[512];
			ssize_t n = recv(ctl, junk, sizeof(junk), MSG_DONTWAIT);

			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
				errmsg("vded closed the control connection: network '%s' port is gone", network);
				ctl = -1;	/* poll ignores negative fds */
			}
		}
		if (!(pfd[0].revents & POLLIN) || read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo == SIGCHLD) {
			if (waitpid(pid, &status, WNOHANG) == pid)
				break;
			continue;
		}
		/*
		 * A signal from the terminal (SI_KERNEL: ^C, hang-up) already went to the child, which
		 * shares our process group; only pass on the ones sent to us alone (kill, systemd).
		 */
		if (si.ssi_code != SI_KERNEL)
			kill(pid, (int)si.ssi_signo);
	}
	close(sfd);
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return VDECTL_ERROR;
}

static int cmd_network_attach(const struct subcommand *sc, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "fd", required_argument, NULL, OPT_FD },
		{ "description", required_argument, NULL, OPT_DESCRIPTION },
		{ "port", required_argument, NULL, OPT_PORT },
		{ NULL, 0, NULL, 0 },
	};
	struct json_object *params = json_object_new_object(), *result;
	const char *description = NULL;
	char descbuf[256];
	int target = 3, datafd, ret, c;
	struct args a;

	args_begin(&a, sc, argc, argv, "+:hjs:", longopts);
	while ((c = args_next(&a)) != -1) {
		switch (c) {
		case OPT_FD:
			target = (int)args_number(&a, "--fd", INT_MAX);
			break;
		case OPT_DESCRIPTION:
			description = optarg;
			break;
		case OPT_PORT:
			json_object_object_add(params, "port",
					       json_object_new_int64(args_number(&a, "--port", INT_MAX)));
			break;
		}
	}
	if (!description) {
		attach_description(descbuf, sizeof(descbuf), argv[a.cmd]);
		description = descbuf;
	}
	json_object_object_add(params, "network", json_object_new_string(a.pos[0]));
	json_object_object_add(params, "description", json_object_new_string(description));
	ret = call("network.attach", params, &result, &datafd);
	if (ret)
		return ret;
	json_object_put(result);
	if (datafd < 0) {
		errmsg("network.attach: vded sent no descriptor");
		return VDECTL_ERROR;
	}
	return attach_run(datafd, target, argv + a.cmd, a.pos[0]);
}

/* ---------------------------------------------------------------- port, mac, daemon */

static int cmd_port_list(const struct subcommand *sc, int argc, char **argv)
{
	return call_and_print_all("port.list", plain_params(sc, argc, argv, "network"), "ports", print_port_list);
}

/* NETWORK PORT [--missing-ok]: the shape of port detach and network disconnect */
static int call_network_port(const char *method, const struct subcommand *sc, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "missing-ok", no_argument, NULL, OPT_MISSING_OK },
		{ NULL, 0, NULL, 0 },
	};
	struct json_object *params;
	long long port;
	struct args a;
	int missing_ok = 0;

	args_begin(&a, sc, argc, argv, "+:hjs:", longopts);
	while (args_next(&a) == OPT_MISSING_OK)
		missing_ok = 1;
	if (parse_number(a.pos[1], INT_MAX, &port) < 0)
		usage_fail(NULL, sc, "PORT: '%s' is not a port number", a.pos[1]);
	params = json_object_new_object();
	json_object_object_add(params, "network", json_object_new_string(a.pos[0]));
	json_object_object_add(params, "port", json_object_new_int64(port));
	if (missing_ok)
		json_object_object_add(params, "missing_ok", json_object_new_boolean(1));
	return call_and_print(method, params, NULL);
}

static int cmd_port_detach(const struct subcommand *sc, int argc, char **argv)
{
	return call_network_port("port.detach", sc, argc, argv);
}

static int cmd_mac_list(const struct subcommand *sc, int argc, char **argv)
{
	return call_and_print_all("mac.list", plain_params(sc, argc, argv, "network"), "macs", print_mac_list);
}

static int cmd_daemon_info(const struct subcommand *sc, int argc, char **argv)
{
	return call_and_print("daemon.info", plain_params(sc, argc, argv, NULL), print_daemon_info);
}

/* ---------------------------------------------------------------- backends: tap, uplink, forward */

/* The {"port": port} reply of tap add and network connect: its number, kind and what it is bound to. */
static void print_port_result(struct json_object *result)
{
	struct json_object *port;
	char buf[64], detail[1024];

	if (!json_object_object_get_ex(result, "port", &port))
		return;
	print_kv("port:", field_text(port, "id", buf, sizeof(buf)));
	print_kv("kind:", field_text(port, "kind", buf, sizeof(buf)));
	print_kv("detail:", port_detail(port, detail, sizeof(detail)));
}

/* The subcommands whose only option is --missing-ok: their positionals go out under keys. */
static int call_missing_ok(const struct subcommand *sc, int argc, char **argv, const char *method,
			   const char *const *keys)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "missing-ok", no_argument, NULL, OPT_MISSING_OK },
		{ NULL, 0, NULL, 0 },
	};
	struct json_object *params = json_object_new_object();
	struct args a;

	args_begin(&a, sc, argc, argv, "+:hjs:", longopts);
	while (args_next(&a) == OPT_MISSING_OK)
		json_object_object_add(params, "missing_ok", json_object_new_boolean(1));
	for (int i = 0; i < a.npos && keys[i]; i++)
		json_object_object_add(params, keys[i], json_object_new_string(a.pos[i]));
	return call_and_print(method, params, NULL);
}

static int cmd_network_connect(const struct subcommand *sc, int argc, char **argv)
{
	struct args a;
	struct json_object *params = json_object_new_object();

	args_begin(&a, sc, argc, argv, "+:hjs:", plain_longopts);
	while (args_next(&a) != -1)
		;
	json_object_object_add(params, "network", json_object_new_string(a.pos[0]));
	json_object_object_add(params, "url", json_object_new_string(a.pos[1]));
	return call_and_print("network.connect", params, print_port_result);
}

static int cmd_network_disconnect(const struct subcommand *sc, int argc, char **argv)
{
	return call_network_port("network.disconnect", sc, argc, argv);
}

static int cmd_tap_add(const struct subcommand *sc, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "owner", required_argument, NULL, OPT_OWNER },
		{ "address", required_argument, NULL, OPT_ADDRESS },
		{ "mtu", required_argument, NULL, OPT_MTU },
		{ "up", no_argument, NULL, OPT_UP },
		{ NULL, 0, NULL, 0 },
	};
	struct json_object *params = json_object_new_object(), *addresses = NULL;
	struct args a;
	int c;

	args_begin(&a, sc, argc, argv, "+:hjs:", longopts);
	while ((c = args_next(&a)) != -1) {
		switch (c) {
		case OPT_OWNER:
			json_object_object_add(params, "owner", json_object_new_string(optarg));
			break;
		case OPT_ADDRESS:
			if (!addresses) {
				addresses = json_object_new_array();
				json_object_object_add(params, "addresses", addresses);
			}
			json_object_array_add(addresses, json_object_new_string(optarg));
			break;
		case OPT_MTU:
			json_object_object_add(params, "mtu", json_object_new_int64(args_number(&a, "--mtu", INT_MAX)));
			break;
		case OPT_UP:
			json_object_object_add(params, "up", json_object_new_boolean(1));
			break;
		}
	}
	json_object_object_add(params, "network", json_object_new_string(a.pos[0]));
	json_object_object_add(params, "ifname", json_object_new_string(a.pos[1]));
	return call_and_print("tap.add", params, print_port_result);
}

static int cmd_tap_remove(const struct subcommand *sc, int argc, char **argv)
{
	static const char *const keys[] = { "network", "ifname", NULL };

	return call_missing_ok(sc, argc, argv, "tap.remove", keys);
}

/* PROTO must be tcp or udp: checked here so that a typo is a usage error. */
static void forward_check_proto(const struct subcommand *sc, const char *proto)
{
	if (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0)
		usage_fail(NULL, sc, "PROTO: '%s' is neither tcp nor udp", proto);
}

static int cmd_forward_add(const struct subcommand *sc, int argc, char **argv)
{
	struct json_object *params;
	struct args a;

	args_begin(&a, sc, argc, argv, "+:hjs:", plain_longopts);
	while (args_next(&a) != -1)
		;
	forward_check_proto(sc, a.pos[1]);
	params = json_object_new_object();
	json_object_object_add(params, "network", json_object_new_string(a.pos[0]));
	json_object_object_add(params, "proto", json_object_new_string(a.pos[1]));
	json_object_object_add(params, "host", json_object_new_string(a.pos[2]));
	json_object_object_add(params, "guest", json_object_new_string(a.pos[3]));
	return call_and_print("forward.add", params, NULL);
}

static int cmd_forward_remove(const struct subcommand *sc, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "missing-ok", no_argument, NULL, OPT_MISSING_OK },
		{ NULL, 0, NULL, 0 },
	};
	struct json_object *params;
	struct args a;
	int missing_ok = 0;

	args_begin(&a, sc, argc, argv, "+:hjs:", longopts);
	while (args_next(&a) == OPT_MISSING_OK)
		missing_ok = 1;
	forward_check_proto(sc, a.pos[1]);
	params = json_object_new_object();
	json_object_object_add(params, "network", json_object_new_string(a.pos[0]));
	json_object_object_add(params, "proto", json_object_new_string(a.pos[1]));
	json_object_object_add(params, "host", json_object_new_string(a.pos[2]));
	if (missing_ok)
		json_object_object_add(params, "missing_ok", json_object_new_boolean(1));
	return call_and_print("forward.remove", params, NULL);
}

static void print_forward_list(struct json_object *result)
{
	static const char *const headers[] = { "PROTO", "HOST", "GUEST" };
	struct json_object *fws = field_array(result, "forwards");
	size_t n = fws ? json_object_array_length(fws) : 0;
	struct table t;

	table_init(&t, 3, headers);
	for (size_t i = 0; i < n; i++) {
		struct json_object *fw = json_object_array_get_idx(fws, i);

		table_addf(&t, fw, "proto");
		table_addf(&t, fw, "host");
		table_addf(&t, fw, "guest");
	}
	table_print(&t);
}

static int cmd_forward_list(const struct subcommand *sc, int argc, char **argv)
{
	return call_and_print("forward.list", plain_params(sc, argc, argv, "network"), print_forward_list);
}

/* ---------------------------------------------------------------- namespaces */

static int cmd_ns_create(const struct subcommand *sc, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "net", required_argument, NULL, OPT_NET },
		{ NULL, 0, NULL, 0 },
	};
	struct json_object *params = json_object_new_object(), *nets = json_object_new_array();
	struct args a;

	json_object_object_add(params, "networks", nets);
	args_begin(&a, sc, argc, argv, "+:hjs:", longopts);
	while (args_next(&a) == OPT_NET) {
		/* NET[,NET...], and --net may be repeated: vde0, vde1... follow the order given */
		const char *p = optarg;

		for (;;) {
			size_t len = strcspn(p, ",");

			if (len == 0) {
				json_object_put(params);
				usage_fail(NULL, sc, "--net: empty network name in '%s'", optarg);
			}
			json_object_array_add(nets, json_object_new_string_len(p, (int)len));
			if (!p[len])
				break;
			p += len + 1;
		}
	}
	if (json_object_array_length(nets) == 0) {
		json_object_put(params);
		usage_fail(NULL, sc, "missing --net NET: a namespace needs at least one network");
	}
	json_object_object_add(params, "name", json_object_new_string(a.pos[0]));
	return call_and_print("ns.create", params, NULL);
}

static int cmd_ns_delete(const struct subcommand *sc, int argc, char **argv)
{
	static const char *const keys[] = { "name", NULL };

	return call_missing_ok(sc, argc, argv, "ns.delete", keys);
}

/* One row per interface; a namespace without interfaces still gets a row. */
static void print_ns_list(struct json_object *result)
{
	static const char *const headers[] = { "NAME", "IFNAME", "NETWORK", "MAC", "PORT", "PATH" };
	struct json_object *nss = field_array(result, "namespaces");
	size_t n = nss ? json_object_array_length(nss) : 0;
	struct table t;

	table_init(&t, 6, headers);
	for (size_t i = 0; i < n; i++) {
		struct json_object *ns = json_object_array_get_idx(nss, i);
		struct json_object *ifs = field_array(ns, "interfaces");
		size_t nifs = ifs ? json_object_array_length(ifs) : 0;

		for (size_t k = 0; k < (nifs ? nifs : 1); k++) {
			struct json_object *ifc = nifs ? json_object_array_get_idx(ifs, k) : NULL;

			table_addf(&t, ns, "name");
			table_addf(&t, ifc, "ifname");
			table_addf(&t, ifc, "network");
			table_addf(&t, ifc, "mac");
			table_addf(&t, ifc, "port");
			table_addf(&t, ns, "path");
		}
	}
	table_print(&t);
}

static int cmd_ns_list(const struct subcommand *sc, int argc, char **argv)
{
	return call_and_print("ns.list", plain_params(sc, argc, argv, NULL), print_ns_list);
}

/*
 * Give the command a /sys that shows the namespace's interfaces, as `ip netns exec` does: a private
 * mount namespace (so nothing leaks back to ours) with a fresh sysfs on top of /sys. Best effort:
 * netlink tools work without it, so a failure only leaves the old /sys in place.
 */
static void ns_exec_mount_sys(const char *name)
{
	if (unshare(CLONE_NEWNS) < 0)
		return;
	if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return;
	if (mount(name, "/sys", "sysfs", 0, NULL) < 0)
		errmsg("warning: cannot mount a sysfs for namespace '%s' on /sys: %s", name, strerror(errno));
}

static int cmd_ns_exec(const struct subcommand *sc, int argc, char **argv)
{
	char path[PATH_MAX];
	struct args a;
	int fd;

	args_begin(&a, sc, argc, argv, "+:hjs:", plain_longopts);
	while (args_next(&a) != -1)
		;
	if (!a.pos[0][0] || strchr(a.pos[0], '/') || strcmp(a.pos[0], ".") == 0 || strcmp(a.pos[0], "..") == 0)
		usage_fail(NULL, sc, "NAME: '%s' is not a namespace name", a.pos[0]);
	snprintf(path, sizeof(path), "%s/%s", VDECTL_NETNS_DIR, a.pos[0]);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;

		if (err == ENOENT) {
			errmsg("namespace '%s' does not exist (no %s)", a.pos[0], path);
			return VDECTL_NOT_FOUND;
		}
		errmsg("cannot open %s: %s", path, strerror(err));
		return err == EACCES || err == EPERM ? VDECTL_DENIED : VDECTL_ERROR;
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		int err = errno;

		close(fd);
		if (err == EPERM) {
			errmsg("cannot enter namespace '%s': %s (ns exec needs root: CAP_SYS_ADMIN)", a.pos[0],
			       strerror(err));
			return VDECTL_DENIED;
		}
		if (err == EINVAL) {
			errmsg("%s is not a network namespace", path);
			return VDECTL_ERROR;
		}
		errmsg("cannot enter namespace '%s': %s", a.pos[0], strerror(err));
		return VDECTL_ERROR;
	}
	close(fd);
	ns_exec_mount_sys(a.pos[0]);
	fflush(NULL);
	execvp(argv[a.cmd], argv + a.cmd);
	errmsg("cannot run %s: %s", argv[a.cmd], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}

/* ---------------------------------------------------------------- table and main */

static const struct subcommand subcommands[] = {
	{ "network", "create", cmd_network_create,
	  "NAME [--description TEXT] [--exist-ok] [--group GROUP] [--mode MODE] [--max-ports N]"
	  " [--mac-table-size N] [--mac-aging SECONDS] [--vxvde GROUP[:PORT]] [--vni N] [--ttl N]"
	  " [--interface IF] [--slirp] [--subnet CIDR] [--ipv6] [--dns ADDR]",
	  "Create a network (a virtual switch) named NAME.",
	  "\nYou own the network. Who else may see it and attach to it is set by its group and mode,\n"
	  "like a file's: 'r' lets a class (owner, group, others) see it, 'w' lets it attach.\n"
	  "With --vxvde the network also joins a vxvde multicast group (wire-compatible with\n"
	  "vdeplug4's vxvde://); with --slirp it gets a NAT to the host with DHCP and DNS.\n"
	  "\nOptions:\n"
	  "      --description TEXT     free text shown by list and show\n"
	  "      --exist-ok             succeed if NAME already exists\n"
	  "      --group GROUP          the network's group, a name or number (default: your primary\n"
	  "                             group; for root, vded's socket group); you must be a member\n"
	  "      --mode MODE            octal, e.g. 0660 (default) or 0640 (group may look, not attach)\n"
	  "      --max-ports N          most ports at once (default 256)\n"
	  "      --mac-table-size N     MAC addresses the switch learns (default 4096)\n"
	  "      --mac-aging SECONDS    forget a MAC address unseen for this long (default 300)\n"
	  "      --vxvde GROUP[:PORT]   join a vxvde multicast group: 239.1.2.3, 239.1.2.3:14789 or\n"
	  "                             [ff05::1]:14789 (default port 14789)\n"
	  "      --vni N                vxvde network identifier, 0..16777215 (default 1)\n"
	  "      --ttl N                multicast TTL, 1..255 (default 1: this link only)\n"
	  "      --interface IF         the interface to send and join the group on\n"
	  "      --slirp                NAT to the host's networks (libslirp): host .2, DHCP from .15, DNS .3\n"
	  "      --subnet CIDR          the slirp subnet (default 10.0.2.0/24)\n"
	  "      --ipv6                 slirp IPv6 too (fd00::/64)\n"
	  "      --dns ADDR             the slirp DNS address, inside the subnet\n",
	  { "NAME" }, 0 },
	{ "network", "set", cmd_network_set, "NAME [--group GROUP] [--mode MODE] [--description TEXT]",
	  "Change the group, mode or description of a network (its owner or an admin).",
	  "\nPorts already attached stay attached; the new rule holds for the next attach.\n"
	  "\nOptions:\n"
	  "      --group GROUP          new group, a name or number; you must be a member\n"
	  "      --mode MODE            new octal mode, e.g. 0660\n"
	  "      --description TEXT     new description\n",
	  { "NAME" }, 0 },
	{ "network", "delete", cmd_network_delete, "NAME [--missing-ok]",
	  "Delete a network, closing every port on it.",
	  "\nOptions:\n"
	  "      --missing-ok           succeed if NAME does not exist\n",
	  { "NAME" }, 0 },
	{ "network", "list", cmd_network_list, "",
	  "List the networks.", NULL, { NULL }, 0 },
	{ "network", "show", cmd_network_show, "NAME",
	  "Show a network's settings and ports.", NULL, { "NAME" }, 0 },
	{ "network", "attach", cmd_network_attach,
	  "NAME [--fd N] [--description TEXT] [--port N] [--] CMD [ARGS...]",
	  "Run CMD holding a new port of network NAME as descriptor N.",
	  "\nThe port lives as long as CMD. Each datagram on the descriptor is one Ethernet frame;\n"
	  "QEMU takes it as -netdev socket,id=n0,fd=3. vdectl passes SIGINT, SIGTERM and SIGHUP on\n"
	  "to CMD and exits with CMD's exit status (128+N if CMD was killed by signal N).\n"
	  "\nOptions:\n"
	  "      --fd N                 descriptor number CMD finds the port on (default 3)\n"
	  "      --description TEXT     port description (default \"vdectl: CMD user=USER pid=PID\")\n"
	  "      --port N               ask for port number N\n",
	  { "NAME" }, 1 },
	{ "network", "connect", cmd_network_connect, "NETWORK UVDEL",
	  "Connect a network to any libvdeplug locator (an uplink), e.g. udp://5000->10.0.0.2:5000.",
	  "\nThe uplink is a port of kind 'uplink'. It is kept with the network's definition, and\n"
	  "reopened with backoff (1 s doubling to 60 s) whenever it fails; 'port list' shows its\n"
	  "state and last error. Admins only.\n"
	  "\nOptions:\n",
	  { "NETWORK", "UVDEL" }, 0 },
	{ "network", "disconnect", cmd_network_disconnect, "NETWORK PORT [--missing-ok]",
	  "Remove the uplink on port number PORT of a network.",
	  "\nOptions:\n"
	  "      --missing-ok           succeed if there is no such uplink\n",
	  { "NETWORK", "PORT" }, 0 },
	{ "tap", "add", cmd_tap_add,
	  "NETWORK IFNAME [--owner USER] [--address CIDR]... [--mtu N] [--up]",
	  "Make a tap interface IFNAME on the host, plugged into a network.",
	  "\nThe tap is kept with the network's definition and made again when vded starts.\n"
	  "Admins only.\n"
	  "\nOptions:\n"
	  "      --owner USER           the tap device's owner, a user name or number\n"
	  "      --address CIDR         an IPv4 or IPv6 address with its prefix, e.g. 10.0.0.1/24;\n"
	  "                             may be repeated (at most 8)\n"
	  "      --mtu N                the interface MTU, 68..9216\n"
	  "      --up                   bring the interface up\n",
	  { "NETWORK", "IFNAME" }, 0 },
	{ "tap", "remove", cmd_tap_remove, "NETWORK IFNAME [--missing-ok]",
	  "Remove a tap interface made by 'tap add'.",
	  "\nOptions:\n"
	  "      --missing-ok           succeed if the network has no such tap\n",
	  { "NETWORK", "IFNAME" }, 0 },
	{ "forward", "add", cmd_forward_add, "NETWORK tcp|udp [HOSTADDR:]HOSTPORT GUESTADDR:GUESTPORT",
	  "Forward a host port to an address inside a slirp network.",
	  "\nConnections to HOSTADDR:HOSTPORT on the host (HOSTADDR default: every address) reach\n"
	  "GUESTADDR:GUESTPORT inside the network. The network needs --slirp. A host port in use is\n"
	  "an error (exit status 5).\n"
	  "\nOptions:\n",
	  { "NETWORK", "PROTO", "HOST", "GUEST" }, 0 },
	{ "forward", "remove", cmd_forward_remove, "NETWORK tcp|udp [HOSTADDR:]HOSTPORT [--missing-ok]",
	  "Remove a port forward.",
	  "\nOptions:\n"
	  "      --missing-ok           succeed if there is no such forward\n",
	  { "NETWORK", "PROTO", "HOST" }, 0 },
	{ "forward", "list", cmd_forward_list, "NETWORK",
	  "List the port forwards of a slirp network.", NULL, { "NETWORK" }, 0 },
	{ "ns", "create", cmd_ns_create, "NAME --net NET[,NET...]",
	  "Make a network namespace /run/netns/NAME with interfaces vde0, vde1... on networks.",
	  "\nThe interfaces are up, with stable MAC addresses, in the order of the networks given.\n"
	  "The namespace is made again when vded starts. Admins only.\n"
	  "\nOptions:\n"
	  "      --net NET[,NET...]     the networks, in interface order; may be repeated\n",
	  { "NAME" }, 0 },
	{ "ns", "delete", cmd_ns_delete, "NAME [--missing-ok]",
	  "Delete a namespace made by 'ns create'.",
	  "\nOptions:\n"
	  "      --missing-ok           succeed if there is no such namespace\n",
	  { "NAME" }, 0 },
	{ "ns", "list", cmd_ns_list, "",
	  "List vded's namespaces and their interfaces.", NULL, { NULL }, 0 },
	{ "ns", "exec", cmd_ns_exec, "NAME [--] CMD [ARGS...]",
	  "Run CMD inside namespace NAME (as 'ip netns exec'; needs root).",
	  "\nvdectl enters /run/netns/NAME itself, without asking vded, then runs CMD in place of\n"
	  "itself with a /sys showing the namespace's interfaces. It exits with CMD's status, 127 if\n"
	  "CMD was not found, 126 if it could not be run.\n"
	  "\nOptions:\n",
	  { "NAME" }, 1 },
	{ "port", "list", cmd_port_list, "NETWORK",
	  "List the ports of a network with their traffic counters.", NULL, { "NETWORK" }, 0 },
	{ "port", "detach", cmd_port_detach, "NETWORK PORT [--missing-ok]",
	  "Close port number PORT of a network.",
	  "\nOptions:\n"
	  "      --missing-ok           succeed if the port does not exist\n",
	  { "NETWORK", "PORT" }, 0 },
	{ "mac", "list", cmd_mac_list, "NETWORK",
	  "List the MAC addresses a network has learned, with their port and age.", NULL,
	  { "NETWORK" }, 0 },
	{ "daemon", "info", cmd_daemon_info, "",
	  "Show vded's version, API level and features.", NULL, { NULL }, 0 },
};
static const size_t nsubcommands = sizeof(subcommands) / sizeof(subcommands[0]);

static int noun_known(const char *noun)
{
	for (size_t i = 0; i < nsubcommands; i++)
		if (strcmp(subcommands[i].noun, noun) == 0)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	const char *noun, *verb;
	int c, ret;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:hjs:", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			help_top();
			break;
		case 'j':
			opt_json = 1;
			break;
		case 's':
			opt_socket = optarg;
			break;
		case OPT_VERSION:
			printf("vdectl %s\n", VDE_VERSION);
			return VDECTL_OK;
		case ':':
			usage_fail(NULL, NULL, "option '%s' needs an argument", argv[optind - 1]);
		default:
			if (optopt > 0 && optopt < 256 && strncmp(argv[optind - 1], "--", 2) != 0)
				usage_fail(NULL, NULL, "unknown option '-%c'", optopt);
			usage_fail(NULL, NULL, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		usage_fail(NULL, NULL, "missing command (try 'vdectl -h')");
	noun = argv[optind];
	if (!noun_known(noun))
		usage_fail(NULL, NULL, "unknown command '%s' (try 'vdectl -h')", noun);
	if (optind + 1 >= argc)
		usage_fail(noun, NULL, "missing VERB after '%s'", noun);
	verb = argv[optind + 1];
	if (strcmp(verb, "-h") == 0 || strcmp(verb, "--help") == 0)
		help_noun(noun);
	if (verb[0] == '-')
		usage_fail(noun, NULL, "unknown option '%s'", verb);
	for (size_t i = 0; i < nsubcommands; i++) {
		const struct subcommand *sc = &subcommands[i];

		if (strcmp(sc->noun, noun) != 0 || strcmp(sc->verb, verb) != 0)
			continue;
		/* the subcommand sees argv[0] = VERB, like a program of its own */
		ret = sc->run(sc, argc - optind - 1, argv + optind + 1);
		vdeclient_close(conn);
		if (fflush(stdout) != 0 || ferror(stdout)) {
			errmsg("write error: %s", strerror(errno));
			return VDECTL_ERROR;
		}
		return ret;
	}
	usage_fail(noun, NULL, "unknown verb '%s' for '%s'", verb, noun);
}
