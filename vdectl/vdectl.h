/*
 * vdectl — the command-line client of vded (doc/vdectl.1; the wire contract is doc/protocol.md).
 * This header joins its parts; nothing outside vdectl/ includes it.
 *
 *   main.c      the command table (noun, verb, handler, arguments, options, help) and global options;
 *               every help and usage text is made from that table
 *   options.c   the one argument parser: options and positionals to API params, from the table's specs
 *   call.c      talking to vded: connect, one request, every page of a list, errors to exit codes
 *   print.c     output: one call per object kind prints it as a table, or verbatim with -j
 *   noun_*.c    the handlers of one noun each (network, port, mac, tap, forward, ns, daemon, capture,
 *               topology)
 *   pcap.c      capture records to pcap and pcapng (pure)
 */
#ifndef VDECTL_H
#define VDECTL_H

#include <stddef.h>
#include <stdio.h>

#include <json-c/json.h>

#include "proto.h"

/* Exit codes (documented in vdectl.1): scripts tell "missing" and "exists" apart without parsing.
 * They are common/proto's, one per error class, so a bad argument exits alike whoever finds it. */
enum {
	VDECTL_OK = PROTO_EXIT_OK,
	VDECTL_ERROR = PROTO_EXIT_ERROR,
	VDECTL_USAGE = PROTO_EXIT_USAGE,
	VDECTL_NOT_FOUND = PROTO_EXIT_NOT_FOUND,
	VDECTL_DENIED = PROTO_EXIT_DENIED,
	VDECTL_EXISTS = PROTO_EXIT_EXISTS,
	VDECTL_LIMIT = PROTO_EXIT_LIMIT,
};

/* The most positional arguments a command takes (forward add NETWORK PROTO HOST GUEST). */
#define MAX_POS 4
/* The most options of one command besides -s, -j and -h (network create has 15). */
#define MAX_OPTS 24

/* ---------------------------------------------------------------- the command table (main.c) */

/* What an option's argument is, and so how options.c checks it and puts it into the params. */
enum opt_type {
	OPT_FLAG,	/* no argument: the param is true */
	OPT_STRING,	/* the param is the argument as it is */
	OPT_UINT,	/* a decimal number within [min, max] */
	OPT_MODE,	/* octal permission bits, sent normalised as "0660" */
	OPT_LIST,	/* may be repeated: the param is the array of the arguments */
	OPT_NAMES,	/* NAME[,NAME...], may be repeated: the param is the array of every name */
	OPT_UINTS,	/* may be repeated: the param is the array of the numbers, each within [min, max] */
	OPT_RATE,	/* bits/s: a decimal number with an optional k, M or G (x1000), sent as a number */
	OPT_PERCENT,	/* a decimal number 0..100, fractions allowed, sent as a number */
	OPT_ONOFF,	/* --NAME (true) or --NAME=off (false; also on/yes/no/true/false) */
	OPT_KV,		/* KEY=VALUE, may be repeated: the param is an object (numbers, on/off as booleans) */
	OPT_FILE,	/* a path: the param is the file's content (text, at most 4 KiB), read by vdectl as
			 * its user, so the daemon never opens a path a client names */
};

struct optspec {
	const char *name;	/* long option, without "--"; NULL ends a list */
	const char *arg;	/* its argument in the synopsis and help ("TEXT"); NULL for OPT_FLAG */
	const char *param;	/* the API param it sets ("group.key": a key of the object param group);
				 * NULL: kept for the handler (request_opt) */
	enum opt_type type;
	long long min, max;	/* OPT_UINT */
	const char *needs;	/* another option's name: without it this one is a usage error */
	const char *required;	/* non-NULL: the option must be given; why, for the error line */
	const char *help;	/* its "Options:" text; '\n' starts an aligned continuation line */
	char shortopt;		/* a one-letter name too ('w' for -w), or 0 */
	int optional_arg;	/* the argument may be left out (--watch or --watch=5; arg "[=N]") */
};

/* What a positional argument is: checked by options.c before anything is sent. */
enum pos_type {
	POS_STRING,	/* sent as a string */
	POS_NETNAME,	/* a network name (proto_valid_name), sent as a string */
	POS_PORT,	/* a port number, sent as a number */
	POS_PORT_OR_DEFAULT,	/* a port number, or "default" (sent as "default": true instead) */
	POS_PROTO,	/* tcp or udp */
};

struct posspec {
	const char *name;	/* in error lines ("missing NETWORK"); NULL ends the list */
	const char *param;	/* the API param; NULL: kept for the handler (request->pos) */
	enum pos_type type;
	const char *synopsis;	/* how the synopsis shows it; NULL: name */
	int optional;		/* may be left out (then so may those after it); shown as [NAME] */
};

struct request;
struct command {
	const char *noun;
	const char *verb;		/* NULL: the noun alone is the command (vdectl capture NET) */
	int (*run)(const struct command *cmd, struct request *req);
	struct posspec pos[MAX_POS];
	const struct optspec *opts;	/* NULL: only -s, -j, -h */
	int takes_command;		/* the positionals are followed by CMD [ARGS...] */
	int needs_option;		/* at least one option must be given ("nothing to change") */
	const char *summary;		/* one line for the lists of -h */
	const char *details;		/* more for "NOUN VERB -h", before its options; may be NULL */
};

/* Global options: -s SOCK (NULL: $VDED_SOCKET, else the default), -j and -p, valid before or after VERB;
 * -t SECONDS (else $VDECTL_TIMEOUT, else the default; 0: no limit), before NOUN: how long call.c
 * waits for vded to accept, take and answer each request. */
extern const char *opt_socket;
extern int opt_json, opt_pretty;	/* -j; -p (indented JSON, implies -j) */
extern unsigned opt_timeout;
/* A timeout from -t or $VDECTL_TIMEOUT: whole seconds, 0..VDECTL_TIMEOUT_MAX. 0 or -EINVAL. */
int parse_timeout(const char *s, unsigned *out);
#define VDECTL_TIMEOUT_DEFAULT 30
#define VDECTL_TIMEOUT_MAX 2147483647

/* Print "vdectl: <why>" and the usage of cmd (NULL: of noun; both NULL: of vdectl) on stderr; exit 2. */
void __attribute__((noreturn, format(printf, 3, 4)))
usage_fail(const char *noun, const struct command *cmd, const char *fmt, ...);

/* Print the help of cmd on stdout and exit 0. */
void __attribute__((noreturn)) help_command(const struct command *cmd);

/* ---------------------------------------------------------------- parsing (options.c) */

/* A command's arguments, parsed and checked. */
struct request {
	const struct command *cmd;
	struct json_object *params;	/* owned; taken by call_*(); NULL if nothing is sent */
	const char *pos[MAX_POS];	/* the positionals, borrowed from argv */
	char **argv_cmd;		/* CMD [ARGS...] (takes_command), else NULL */
	const char *opt_arg[MAX_OPTS];	/* per cmd->opts[i]: its last argument, "" for a flag, NULL */
	long long opt_num[MAX_OPTS];	/* per cmd->opts[i] of OPT_UINT: its value */
};

/*
 * Parse argv (argv[0] = VERB) by cmd's table row: -h prints its help and exits, a usage error exits 2.
 * Returns with req filled; the caller owns req->params (request_free).
 */
void request_parse(struct request *req, const struct command *cmd, int argc, char **argv);

/* The argument of the option named name, or NULL if not given ("" for a flag). */
const char *request_opt(const struct request *req, const char *name, long long *num);

void request_free(struct request *req);

/* ---------------------------------------------------------------- vded (call.c) */

/* What print_result() shows for a result: each has a table or detail view (print.c). */
enum print_kind {
	PRINT_NOTHING,		/* only -j shows the result */
	PRINT_NETWORK_LIST,
	PRINT_NETWORK,		/* network.show: settings, then its ports */
	PRINT_PORT_LIST,
	PRINT_PORT,		/* {"port": port} of tap.add and network.connect */
	PRINT_PORT_DETAIL,	/* a port object (port.show) */
	PRINT_MAC_LIST,
	PRINT_FORWARD_LIST,
	PRINT_NS_LIST,
	PRINT_DAEMON_INFO,
};

/*
 * One request, connecting first if needed. params is taken (NULL: none). Returns 0 with *result owned
 * by the caller (and *fd, if fd is given, a received descriptor or -1), or prints the error (and, with
 * -j, its error object on stdout) and returns the exit code for it.
 */
int call(const char *method, struct json_object *params, struct json_object **result, int *fd);

/* Every page of a list method (params taken, NULL: none) gathered under key into one *result (the
 * caller puts it). Returns an exit code, having printed the error. */
int call_all_pages(const char *method, struct json_object *params, const char *key,
		   struct json_object **result);

/* Send req's params to method and print the result as kind. Returns an exit code. */
int call_print(const char *method, struct request *req, enum print_kind kind);

/* The same for a list that comes in pages (V15): every page is gathered under key, printed as one. */
int call_print_all(const char *method, struct request *req, const char *key, enum print_kind kind);

/*
 * After a call that made the connection a stream (events.subscribe): wait for its next line, with no
 * timeout (-t bounds the calls, not how long a stream stays quiet). 0 with *msg owned by the caller,
 * or prints the error and returns an exit code (vded closed the connection: VDECTL_ERROR).
 */
int call_next(struct json_object **msg);

/* The control connection's socket, or -1 before the first call. */
int call_fd(void);

/* Close the connection (ports attached through it go away). */
void call_close(void);

/* ---------------------------------------------------------------- output (print.c) */

/* Print result as kind: verbatim as one JSON line with -j, else for people. result is borrowed. */
void print_result(enum print_kind kind, struct json_object *result);

/* With -j only: {"error": error} on stdout (error borrowed), or one made of code, err and message. */
void print_json_error(struct json_object *error, const char *code, int err, const char *message);

/* Text from vded escaped for a terminal (V18): the caller frees it. */
char *sanitize(const char *s);

/* "vdectl: ..." on stderr. */
void __attribute__((format(printf, 1, 2))) errmsg(const char *fmt, ...);

/* malloc that exits with VDECTL_ERROR when out of memory. */
void *xmalloc(size_t n);

/* ---------------------------------------------------------------- handlers (noun_*.c) */

int network_create(const struct command *cmd, struct request *req);
int network_set(const struct command *cmd, struct request *req);
int network_delete(const struct command *cmd, struct request *req);
int network_list(const struct command *cmd, struct request *req);
int network_show(const struct command *cmd, struct request *req);
int network_attach(const struct command *cmd, struct request *req);
int network_connect(const struct command *cmd, struct request *req);
int network_disconnect(const struct command *cmd, struct request *req);
int tap_add(const struct command *cmd, struct request *req);
int tap_remove(const struct command *cmd, struct request *req);
int forward_add(const struct command *cmd, struct request *req);
int forward_remove(const struct command *cmd, struct request *req);
int forward_list(const struct command *cmd, struct request *req);
int ns_create(const struct command *cmd, struct request *req);
int ns_delete(const struct command *cmd, struct request *req);
int ns_list(const struct command *cmd, struct request *req);
int ns_exec(const struct command *cmd, struct request *req);
int port_list(const struct command *cmd, struct request *req);
int port_show(const struct command *cmd, struct request *req);
int port_set(const struct command *cmd, struct request *req);
int port_detach(const struct command *cmd, struct request *req);
int port_add(const struct command *cmd, struct request *req);
int port_remove(const struct command *cmd, struct request *req);
int port_set(const struct command *cmd, struct request *req);
int mac_list(const struct command *cmd, struct request *req);
int mac_add(const struct command *cmd, struct request *req);
int mac_flush(const struct command *cmd, struct request *req);
int daemon_info(const struct command *cmd, struct request *req);
int capture_run(const struct command *cmd, struct request *req);
int daemon_upgrade(const struct command *cmd, struct request *req);
int monitor(const struct command *cmd, struct request *req);
int topology_run(const struct command *cmd, struct request *req);
int stats(const struct command *cmd, struct request *req);

#endif
