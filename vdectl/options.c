/*
 * vdectl options: the one parser from a command line to API params, driven by the command's
 * positional and option specs (main.c). Every check that can be made without vded is made here, so a
 * typo is a usage error (exit 2) and not a daemon error. vded checks everything again: its ranges are
 * the authority (vded/control/params.h); the ranges here only catch what cannot be a value at all.
 *
 * Options and positionals come in any order (getopt in "+" mode, restarted after each positional);
 * "--" ends the options. For a command that runs a command, the first argument after the
 * positionals starts CMD, and nothing from there on is parsed.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdectl.h"

/* getopt values of a command's own options: OPT_BASE + their index in cmd->opts. */
#define OPT_BASE 256

struct parser {
	struct request *req;
	const struct command *cmd;
	int argc;
	char **argv;
	struct option longopts[4 + MAX_OPTS + 1];	/* -s, -j, -t, -h, the command's, the end */
	char shortopts[16 + 2 * MAX_OPTS];		/* "+:hjps:t:" and the command's short options */
	int npos;
	int cmd_index;	/* argv index of CMD (takes_command), else argc */
};

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
 * A mode from the command line: octal digits only, at most 0777. Returns it normalised as "0660" in
 * buf, or NULL.
 */
static const char *parse_mode(const char *s, char *buf, size_t size)
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

static size_t npos_of(const struct command *cmd)
{
	size_t n = 0;

	while (n < MAX_POS && cmd->pos[n].name)
		n++;
	return n;
}

/* The positionals that must be given: those before the first optional one. */
static size_t nrequired_of(const struct command *cmd)
{
	size_t n = 0;

	while (n < MAX_POS && cmd->pos[n].name && !cmd->pos[n].optional)
		n++;
	return n;
}

static int opt_index(const struct command *cmd, const char *name)
{
	for (int i = 0; cmd->opts && cmd->opts[i].name; i++)
		if (strcmp(cmd->opts[i].name, name) == 0)
			return i;
	return -1;
}

/* Take argv[i] as the next positional. Returns 1 if it starts CMD (parsing ends there). */
static int take_positional(struct parser *p, int i)
{
	if ((size_t)p->npos < npos_of(p->cmd)) {
		p->req->pos[p->npos++] = p->argv[i];
		return 0;
	}
	if (p->cmd->takes_command) {
		p->cmd_index = i;
		return 1;
	}
	usage_fail(NULL, p->cmd, "unexpected argument '%s'", p->argv[i]);
}

/* The name of the option getopt just complained about, for the error line. */
static const char *failed_optname(const struct parser *p, int elem, char *buf, size_t size)
{
	const char *arg = elem < p->argc ? p->argv[elem] : "";

	if (strncmp(arg, "--", 2) == 0) {
		snprintf(buf, size, "%.*s", (int)strcspn(arg, "="), arg);
		return buf;
	}
	if (optopt > 0 && optopt < 256) {
		snprintf(buf, size, "-%c", optopt);
		return buf;
	}
	for (const struct option *o = p->longopts; o->name; o++) {
		if (o->val == optopt) {
			snprintf(buf, size, "--%s", o->name);
			return buf;
		}
	}
	return arg;
}

/* The json array under key in params, made if absent. */
static struct json_object *params_array(struct json_object *params, const char *key)
{
	struct json_object *arr;

	if (json_object_object_get_ex(params, key, &arr) && json_object_is_type(arr, json_type_array))
		return arr;
	arr = json_object_new_array();
	json_object_object_add(params, key, arr);
	return arr;
}

/* Where param goes: "key" in params, or "group.key" in the object params[group] (made if absent). */
static struct json_object *params_target(struct json_object *params, const char *param, const char **key)
{
	const char *dot = strchr(param, '.');
	struct json_object *grp;
	char name[64];

	*key = param;
	if (!dot)
		return params;
	snprintf(name, sizeof(name), "%.*s", (int)(dot - param), param);
	*key = dot + 1;
	if (json_object_object_get_ex(params, name, &grp) && json_object_is_type(grp, json_type_object))
		return grp;
	grp = json_object_new_object();
	json_object_object_add(params, name, grp);
	return grp;
}

/* on/off and its synonyms: 1, 0, or -1. */
static int parse_onoff(const char *s)
{
	static const char *const on[] = { "on", "yes", "true", "1" }, *const off[] = { "off", "no", "false", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (strcmp(s, on[i]) == 0)
			return 1;
		if (strcmp(s, off[i]) == 0)
			return 0;
	}
	return -1;
}

/* KEY=VALUE into obj: a number, on/off as a boolean, else the text; '-' in KEY becomes '_'. */
static void take_kv(struct parser *p, const struct optspec *o, struct json_object *obj, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char key[64];
	long long v;
	int b;

	if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof(key))
		usage_fail(NULL, p->cmd, "--%s: '%s' is not KEY=VALUE", o->name, arg);
	snprintf(key, sizeof(key), "%.*s", (int)(eq - arg), arg);
	for (char *c = key; *c; c++)
		if (*c == '-')
			*c = '_';
	if (parse_number(eq + 1, LLONG_MAX, &v) == 0)
		json_object_object_add(obj, key, json_object_new_int64(v));
	else if ((b = parse_onoff(eq + 1)) >= 0)
		json_object_object_add(obj, key, json_object_new_boolean(b));
	else
		json_object_object_add(obj, key, json_object_new_string(eq + 1));
}

/* Check option i's argument (optarg) by its type and put it where it goes. */
static void take_option(struct parser *p, int i)
{
	const struct optspec *o = &p->cmd->opts[i];
	struct request *req = p->req;
	struct json_object *value = NULL, *where = req->params;
	const char *key = o->param;
	char mode[8];
	long long v;
	int b;

	req->opt_arg[i] = optarg && (o->arg || o->type == OPT_ONOFF) ? optarg : "";
	if (o->optional_arg && !optarg)
		return;		/* given without its argument: opt_num stays 0, the command's default */
	if (o->param)
		where = params_target(req->params, o->param, &key);
	switch (o->type) {
	case OPT_FLAG:
		value = json_object_new_boolean(1);
		break;
	case OPT_ONOFF:
		b = optarg ? parse_onoff(optarg) : 1;
		if (b < 0)
			usage_fail(NULL, p->cmd, "--%s: '%s' is not on or off", o->name, optarg);
		value = json_object_new_boolean(b);
		break;
	case OPT_KV:
		if (o->param) {
			struct json_object *obj;

			if (!json_object_object_get_ex(where, key, &obj) || !json_object_is_type(obj, json_type_object)) {
				obj = json_object_new_object();
				json_object_object_add(where, key, obj);
			}
			take_kv(p, o, obj, optarg);
		}
		return;
	case OPT_STRING:
		value = json_object_new_string(optarg);
		break;
	case OPT_UINT:
	case OPT_UINTS:
		if (parse_number(optarg, o->max, &v) < 0 || v < o->min) {
			if (parse_number(optarg, LLONG_MAX, &v) < 0)
				usage_fail(NULL, p->cmd, "--%s: '%s' is not a number", o->name, optarg);
			if (o->min > 0)
				usage_fail(NULL, p->cmd, "--%s: %s is out of range (%lld..%lld)", o->name, optarg,
					   o->min, o->max);
			usage_fail(NULL, p->cmd, "--%s: %s is out of range (at most %lld)", o->name, optarg, o->max);
		}
		req->opt_num[i] = v;
		if (o->type == OPT_UINTS) {
			if (o->param)
				json_object_array_add(params_array(req->params, o->param), json_object_new_int64(v));
			return;
		}
		value = json_object_new_int64(v);
		break;
	case OPT_RATE: {
		/* 10M is 10,000,000 bits/s, as tc and iperf3 say it; 0 lifts the limit */
		static const struct {
			char suffix;
			long long mult;
		} units[] = { { 'k', 1000 }, { 'K', 1000 }, { 'M', 1000000 }, { 'G', 1000000000 } };
		char num[32];
		size_t len = strlen(optarg);
		long long mult = 1;

		for (size_t u = 0; len > 1 && u < sizeof(units) / sizeof(units[0]); u++)
			if (optarg[len - 1] == units[u].suffix) {
				mult = units[u].mult;
				len--;
			}
		if (len >= sizeof(num))
			usage_fail(NULL, p->cmd, "--%s: '%s' is not a rate (BITS[k|M|G])", o->name, optarg);
		memcpy(num, optarg, len);
		num[len] = '\0';
		if (parse_number(num, o->max / mult, &v) < 0)
			usage_fail(NULL, p->cmd, "--%s: '%s' is not a rate (BITS[k|M|G], at most %lldG)", o->name, optarg,
				   o->max / 1000000000);
		value = json_object_new_int64(v * mult);
		break;
	}
	case OPT_PERCENT: {
		char *end;
		double d;

		errno = 0;
		d = strtod(optarg, &end);
		if (!isdigit((unsigned char)*optarg) || *end || errno || !(d >= 0 && d <= 100))
			usage_fail(NULL, p->cmd, "--%s: '%s' is not a percentage (0..100)", o->name, optarg);
		value = json_object_new_double(d);
		break;
	}
	case OPT_FILE: {
		char buf[4097];
		size_t got;
		FILE *f = fopen(optarg, "re");

		if (!f)
			usage_fail(NULL, p->cmd, "--%s: cannot read '%s': %s", o->name, optarg, strerror(errno));
		got = fread(buf, 1, sizeof(buf) - 1, f);
		if (ferror(f) || !feof(f) || memchr(buf, '\0', got)) {
			fclose(f);
			usage_fail(NULL, p->cmd, "--%s: '%s' is not a text file of at most 4 KiB", o->name, optarg);
		}
		fclose(f);
		buf[got] = '\0';
		value = json_object_new_string(buf);
		explicit_bzero(buf, sizeof(buf));
		break;
	}
	case OPT_MODE:
		if (!parse_mode(optarg, mode, sizeof(mode)))
			usage_fail(NULL, p->cmd, "--%s: '%s' is not an octal mode (0000..0777)", o->name, optarg);
		value = json_object_new_string(mode);
		break;
	case OPT_LIST:
		if (o->param)
			json_object_array_add(params_array(where, key), json_object_new_string(optarg));
		return;
	case OPT_NAMES:
		/* NAME[,NAME...], and the option may be repeated: the array keeps the order given */
		for (const char *s = optarg;;) {
			size_t len = strcspn(s, ",");

			if (len == 0)
				usage_fail(NULL, p->cmd, "--%s: empty name in '%s'", o->name, optarg);
			if (o->param)
				json_object_array_add(params_array(where, key), json_object_new_string_len(s, (int)len));
			if (!s[len])
				break;
			s += len + 1;
		}
		return;
	}
	if (o->param)
		json_object_object_add(where, key, value);
	else
		json_object_put(value);
}

/* "--a, --b and --c" of the options for which pick(o, arg) holds, into buf. */
static const char *list_options(const struct command *cmd, int (*pick)(const struct optspec *, const char *),
				const char *arg, const char *last_sep, char *buf, size_t size)
{
	size_t n = 0, k = 0;

	for (const struct optspec *o = cmd->opts; o && o->name; o++)
		n += pick(o, arg) ? 1 : 0;
	buf[0] = '\0';
	for (const struct optspec *o = cmd->opts; o && o->name; o++) {
		size_t len = strlen(buf);

		if (!pick(o, arg))
			continue;
		snprintf(buf + len, size - len, "%s--%s", k == 0 ? "" : k + 1 == n ? last_sep : ", ", o->name);
		k++;
	}
	return buf;
}

static int needs_this(const struct optspec *o, const char *needed)
{
	return o->needs && strcmp(o->needs, needed) == 0;
}

static int any_option(const struct optspec *o, const char *unused)
{
	(void)unused;
	return 1;
}

/* The rules between arguments, once all are in: missing positionals, needed and required options. */
static void check_complete(struct parser *p)
{
	const struct command *cmd = p->cmd;
	struct request *req = p->req;
	char names[256];
	int given = 0;

	if ((size_t)p->npos < nrequired_of(cmd))
		usage_fail(NULL, cmd, "missing %s", cmd->pos[p->npos].name);
	if (cmd->takes_command && p->cmd_index >= p->argc)
		usage_fail(NULL, cmd, "missing CMD to run");
	for (int i = 0; cmd->opts && cmd->opts[i].name; i++) {
		const struct optspec *o = &cmd->opts[i];
		int needed;

		given += req->opt_arg[i] != NULL;
		if (!req->opt_arg[i] || !o->needs)
			continue;
		needed = opt_index(cmd, o->needs);
		if (needed >= 0 && req->opt_arg[needed])
			continue;
		/* every option that needs the same one is named: the user learns the rule at once */
		list_options(cmd, needs_this, o->needs, " and ", names, sizeof(names));
		usage_fail(NULL, cmd, "%s need%s --%s", names, strchr(names, ',') || strstr(names, " and ") ? "" : "s",
			   o->needs);
	}
	for (int i = 0; cmd->opts && cmd->opts[i].name; i++) {
		const struct optspec *o = &cmd->opts[i];

		if (o->required && !req->opt_arg[i])
			usage_fail(NULL, cmd, "missing --%s %.*s: %s", o->name, (int)strcspn(o->arg ? o->arg : "", "["),
				   o->arg ? o->arg : "", o->required);
	}
	if (cmd->needs_option && !given)
		usage_fail(NULL, cmd, "nothing to change: give %s",
			   list_options(cmd, any_option, NULL, " or ", names, sizeof(names)));
}

/* Check each positional by its type and add those with a param, after the options. */
static void take_positionals(struct parser *p)
{
	const struct command *cmd = p->cmd;
	struct request *req = p->req;

	for (size_t i = 0; i < npos_of(cmd) && req->pos[i]; i++) {
		const struct posspec *ps = &cmd->pos[i];
		const char *arg = req->pos[i];
		struct json_object *value;
		long long v;

		switch (ps->type) {
		case POS_PORT_OR_DEFAULT:
			if (strcmp(arg, "default") == 0) {
				json_object_object_add(req->params, "default", json_object_new_boolean(1));
				continue;
			}
			/* fall through */
		case POS_PORT:
			if (parse_number(arg, INT_MAX, &v) < 0)
				usage_fail(NULL, cmd, "%s: '%s' is not a port number", ps->name, arg);
			value = json_object_new_int64(v);
			break;
		case POS_NETNAME:
			/* the same rule and words as vded's (params.c), and the same exit status */
			if (!proto_valid_name(arg))
				usage_fail(NULL, cmd, "%s: '%s' is not a valid network name (%s)", ps->name, arg,
					   PROTO_NAME_RULE);
			value = json_object_new_string(arg);
			break;
		case POS_PROTO:
			if (strcmp(arg, "tcp") != 0 && strcmp(arg, "udp") != 0)
				usage_fail(NULL, cmd, "%s: '%s' is neither tcp nor udp", ps->name, arg);
			/* fall through */
		case POS_STRING:
		default:
			value = json_object_new_string(arg);
			break;
		}
		if (ps->param)
			json_object_object_add(req->params, ps->param, value);
		else
			json_object_put(value);
	}
}

static void build_longopts(struct parser *p)
{
	struct option *lo = p->longopts;
	size_t n = 0;

	lo[n++] = (struct option){ "socket", required_argument, NULL, 's' };
	lo[n++] = (struct option){ "json", no_argument, NULL, 'j' };
	lo[n++] = (struct option){ "pretty", no_argument, NULL, 'p' };
	lo[n++] = (struct option){ "timeout", required_argument, NULL, 't' };
	lo[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	for (int i = 0; p->cmd->opts && p->cmd->opts[i].name; i++) {
		const struct optspec *o = &p->cmd->opts[i];

		if (i >= MAX_OPTS) {
			/* a table error, found by the first run of the command */
			errmsg("%s %s: more than %d options", p->cmd->noun, p->cmd->verb ? p->cmd->verb : "", MAX_OPTS);
			exit(VDECTL_ERROR);
		}
		lo[n++] = (struct option){ o->name,
					   !o->arg ? (o->type == OPT_ONOFF ? optional_argument : no_argument) :
					   o->optional_arg ? optional_argument : required_argument,
					   NULL, OPT_BASE + i };
	}
	lo[n] = (struct option){ NULL, 0, NULL, 0 };
	n = (size_t)snprintf(p->shortopts, sizeof(p->shortopts), "+:hjps:t:");
	for (int i = 0; p->cmd->opts && p->cmd->opts[i].name; i++) {
		const struct optspec *o = &p->cmd->opts[i];

		if (!o->shortopt)
			continue;
		p->shortopts[n++] = o->shortopt;
		if (o->arg)
			p->shortopts[n++] = ':';
	}
	p->shortopts[n] = '\0';
}

/* The index in cmd->opts of the option whose short name is c, or -1. */
static int short_index(const struct command *cmd, int c)
{
	for (int i = 0; cmd->opts && cmd->opts[i].name; i++)
		if (cmd->opts[i].shortopt == c)
			return i;
	return -1;
}

void request_parse(struct request *req, const struct command *cmd, int argc, char **argv)
{
	struct parser p = { .req = req, .cmd = cmd, .argc = argc, .argv = argv, .cmd_index = argc };
	char name[64];

	memset(req, 0, sizeof(*req));
	req->cmd = cmd;
	req->params = json_object_new_object();
	build_longopts(&p);
	optind = 0;	/* glibc: full reinitialisation, parsing starts at argv[1] */
	opterr = 0;	/* we print our own one-line errors */
	for (;;) {
		int before = optind ? optind : 1;
		int c = getopt_long(argc, argv, p.shortopts, p.longopts, NULL);

		switch (c) {
		case 'h':
			help_command(cmd);
		case 'j':
			opt_json = 1;
			continue;
		case 'p':
			opt_json = opt_pretty = 1;
			continue;
		case 's':
			opt_socket = optarg;
			continue;
		case 't':	/* the global options work after the verb too */
			if (parse_timeout(optarg, &opt_timeout) < 0)
				usage_fail(NULL, cmd, "timeout '%s' is not a number of seconds (0..%d)", optarg,
					   VDECTL_TIMEOUT_MAX);
			continue;
		case ':':
			usage_fail(NULL, cmd, "option '%s' needs an argument",
				   failed_optname(&p, before, name, sizeof(name)));
		case '?':
			if (strncmp(argv[before], "--", 2) == 0 && optopt)
				usage_fail(NULL, cmd, "option '%s' takes no argument",
					   failed_optname(&p, before, name, sizeof(name)));
			usage_fail(NULL, cmd, "unknown option '%s'", failed_optname(&p, before, name, sizeof(name)));
		case -1:
			break;
		default:
			take_option(&p, c >= OPT_BASE ? c - OPT_BASE : short_index(cmd, c));
			continue;
		}

		if (optind >= argc)
			break;
		if (optind == before + 1 && strcmp(argv[before], "--") == 0) {
			/* after "--" everything is positional (or CMD) */
			for (int i = optind; i < argc; i++)
				if (take_positional(&p, i))
					break;
			break;
		}
		if (take_positional(&p, optind))
			break;
		optind++;
	}
	check_complete(&p);
	take_positionals(&p);
	if (cmd->takes_command)
		req->argv_cmd = argv + p.cmd_index;
	/* a command without params sends no "params" member, as it always has */
	if (json_object_object_length(req->params) == 0) {
		json_object_put(req->params);
		req->params = NULL;
	}
}

const char *request_opt(const struct request *req, const char *name, long long *num)
{
	int i = opt_index(req->cmd, name);

	if (i < 0 || !req->opt_arg[i])
		return NULL;
	if (num)
		*num = req->opt_num[i];
	return req->opt_arg[i];
}

void request_free(struct request *req)
{
	json_object_put(req->params);
	req->params = NULL;
}
