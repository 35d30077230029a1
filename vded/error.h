/* The one error a method, a backend or the config loader reports: a protocol class, an errno and a
 * human message. Mapped to the wire in one place (control.c). */
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
