/* The one error a method, a backend or the config loader reports: a protocol class, an errno and a
 * human message. The class's wire name and its errno come from the one table in common/proto.c
 * (proto_err_code, proto_err_errno, proto_err_from_errno), which the clients (vdectl, the vded://
 * module) read back with proto_err_from_code; an error becomes the reply's {code, errno, message}
 * in one function, methods_error_reply() (control/methods.h), used for every error vded answers. */
#ifndef VDED_ERROR_H
#define VDED_ERROR_H

#include "proto.h"

struct vde_error {
	enum proto_err code;
	int err;		/* positive errno */
	char message[256];
};

/* Fill e (NULL is fine) and return -err, so callers can `return vde_error_set(...)`. */
int vde_error_set(struct vde_error *e, enum proto_err code, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Same, the class derived from err. */
int vde_error_errno(struct vde_error *e, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
