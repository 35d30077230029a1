#include <errno.h>
#include <string.h>

#include "proto.h"

static const struct {
	const char *code;
	int err;
	int exit;
} proto_errs[] = {
	[PROTO_OK] = { "ok", 0, PROTO_EXIT_OK },
	[PROTO_ERR_PARSE] = { "parse-error", EBADMSG, PROTO_EXIT_ERROR },
	[PROTO_ERR_INVALID_REQUEST] = { "invalid-request", EINVAL, PROTO_EXIT_USAGE },
	[PROTO_ERR_TOO_LARGE] = { "too-large", EMSGSIZE, PROTO_EXIT_ERROR },
	[PROTO_ERR_UNSUPPORTED] = { "unsupported", EOPNOTSUPP, PROTO_EXIT_ERROR },
	[PROTO_ERR_INVALID_PARAMS] = { "invalid-params", EINVAL, PROTO_EXIT_USAGE },
	[PROTO_ERR_NOT_FOUND] = { "not-found", ENOENT, PROTO_EXIT_NOT_FOUND },
	[PROTO_ERR_EXISTS] = { "exists", EEXIST, PROTO_EXIT_EXISTS },
	[PROTO_ERR_PERMISSION] = { "permission-denied", EACCES, PROTO_EXIT_DENIED },
	[PROTO_ERR_LIMIT] = { "limit", ENOSPC, PROTO_EXIT_LIMIT },
	[PROTO_ERR_INTERNAL] = { "internal", EIO, PROTO_EXIT_ERROR },
};

const char *proto_err_code(enum proto_err err)
{
	if ((unsigned)err >= sizeof(proto_errs) / sizeof(proto_errs[0]))
		err = PROTO_ERR_INTERNAL;
	return proto_errs[err].code;
}

int proto_err_errno(enum proto_err err)
{
	if ((unsigned)err >= sizeof(proto_errs) / sizeof(proto_errs[0]))
		err = PROTO_ERR_INTERNAL;
	return proto_errs[err].err;
}

int proto_err_exit(enum proto_err err)
{
	if ((unsigned)err >= sizeof(proto_errs) / sizeof(proto_errs[0]))
		err = PROTO_ERR_INTERNAL;
	return proto_errs[err].exit;
}

enum proto_err proto_err_from_errno(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case 0:
		return PROTO_OK;
	case ENOENT:
		return PROTO_ERR_NOT_FOUND;
	case EEXIST:
	case EADDRINUSE:
		return PROTO_ERR_EXISTS;
	case EACCES:
	case EPERM:
		return PROTO_ERR_PERMISSION;
	case EINVAL:
	case ERANGE:
		return PROTO_ERR_INVALID_PARAMS;
	case ENOSPC:
	case EMFILE:
	case ENFILE:
	case EUSERS:
	case EDQUOT:
		return PROTO_ERR_LIMIT;
	case EOPNOTSUPP:
		return PROTO_ERR_UNSUPPORTED;
	case EMSGSIZE:
		return PROTO_ERR_TOO_LARGE;
	default:
		return PROTO_ERR_INTERNAL;
	}
}

enum proto_err proto_err_from_code(const char *code)
{
	for (unsigned i = 1; i < sizeof(proto_errs) / sizeof(proto_errs[0]); i++)
		if (strcmp(code, proto_errs[i].code) == 0)
			return (enum proto_err)i;
	return PROTO_ERR_INTERNAL;
}

int proto_valid_name(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > 63 || name[0] == '.' || name[0] == '-')
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

int proto_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int proto_parse_mac(const char *text, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		const char *p = text + 3 * i;
		int v = 0;
		for (int k = 0; k < 2; k++) {
			int d = proto_hex_digit(p[k]);
			if (d < 0)
				return 0;
			v = v * 16 + d;
		}
		if (p[2] != (i == 5 ? '\0' : ':'))
			return 0;
		mac[i] = (uint8_t)v;
	}
	/* a port's own address: never a group address */
	return !(mac[0] & 1);
}

int proto_valid_ifname(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len >= 16 || !strcmp(name, ".") || !strcmp(name, ".."))
		return 0;
	for (size_t i = 0; i < len; i++)
		if (name[i] == '/' || name[i] == ':' || (unsigned char)name[i] <= ' ' || name[i] == 0x7f)
			return 0;
	return 1;
}
