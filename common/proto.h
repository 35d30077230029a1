/*
 * The control protocol's shared vocabulary (doc/protocol.md): message size limit, the stable error
 * codes and their errno, and the single mapping between them. Used by vded, vdectl and libvdeclient.
 */
#ifndef VDE_PROTO_H
#define VDE_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define PROTO_MAX_MSG 65536	/* bytes per request line, newline included */
/* Bytes per reply line, newline included: the largest reply vded sends in one message. Methods whose
 * answer grows with a table (mac.list, port.list, network.show) page so that one page fits; vded's
 * per-connection output cap holds at least two of these, and clients must accept a line this long. */
#define PROTO_MAX_REPLY (1 << 20)
#define PROTO_API_MAJOR 1
#define PROTO_API_MINOR 0
#define VDED_DEFAULT_RUN_DIR "/run/vde"
#define VDED_DEFAULT_STATE_DIR "/var/lib/vded"
#define VDED_SOCKET_NAME "vded.sock"
#define VDED_DEFAULT_SOCKET VDED_DEFAULT_RUN_DIR "/" VDED_SOCKET_NAME

enum proto_err {
	PROTO_OK = 0,
	PROTO_ERR_PARSE,
	PROTO_ERR_INVALID_REQUEST,
	PROTO_ERR_TOO_LARGE,
	PROTO_ERR_UNSUPPORTED,
	PROTO_ERR_INVALID_PARAMS,
	PROTO_ERR_NOT_FOUND,
	PROTO_ERR_EXISTS,
	PROTO_ERR_PERMISSION,
	PROTO_ERR_LIMIT,
	PROTO_ERR_INTERNAL,
};

/*
 * The exit status of a command-line client (vdectl) for each error class: the same class gives the
 * same status whether the client found the error (a bad argument) or vded did (invalid-params), so a
 * script tests one number. Documented in vdectl(1).
 */
enum proto_exit {
	PROTO_EXIT_OK = 0,
	PROTO_EXIT_ERROR = 1,		/* internal, parse-error, too-large, unsupported, a timeout */
	PROTO_EXIT_USAGE = 2,		/* invalid-request, invalid-params, and a bad command line */
	PROTO_EXIT_NOT_FOUND = 3,
	PROTO_EXIT_DENIED = 4,
	PROTO_EXIT_EXISTS = 5,
	PROTO_EXIT_LIMIT = 6,
};

/* The wire name of an error ("not-found"); never NULL. */
const char *proto_err_code(enum proto_err err);
/* The errno that goes with an error class (ENOENT for not-found); internal errors carry their own. */
int proto_err_errno(enum proto_err err);
/* The exit status for an error class (PROTO_EXIT_*); PROTO_EXIT_OK for PROTO_OK. */
int proto_err_exit(enum proto_err err);
/* Class of a negative or positive errno value, for errors raised by system calls. */
enum proto_err proto_err_from_errno(int err);
/* Class named by a wire code; PROTO_ERR_INTERNAL for a code this build does not know. */
enum proto_err proto_err_from_code(const char *code);

/* Network names: 1..63 of [A-Za-z0-9_.-], not starting with '.' or '-'. Returns 1 if valid.
 * PROTO_NAME_RULE says so in the error messages of vded and its clients. */
#define PROTO_NAME_RULE "1-63 of A-Z a-z 0-9 _ . -, not starting with . or -"
int proto_valid_name(const char *name);
/* Interface names: 1..15 bytes, no '/', ':', whitespace or control, not "." or "..". 1 if valid. */
int proto_valid_ifname(const char *name);
/* The value of a hex digit (either case), or -1. */
int proto_hex_digit(char c);

/* A unicast MAC address "xx:xx:xx:xx:xx:xx" (hex, either case) into mac. 1 if valid. */
int proto_parse_mac(const char *text, uint8_t mac[6]);

#endif
