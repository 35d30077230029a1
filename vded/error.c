#include <stdarg.h>
#include <stdio.h>

#include "error.h"

static int vde_error_vset(struct vde_error *e, enum proto_err code, int err, const char *fmt, va_list ap)
{
	if (err < 0)
		err = -err;
	if (e) {
		e->code = code;
		e->err = err ? err : proto_err_errno(code);
		vsnprintf(e->message, sizeof(e->message), fmt, ap);
	}
	return -(err ? err : proto_err_errno(code));
}

int vde_error_set(struct vde_error *e, enum proto_err code, int err, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vde_error_vset(e, code, err, fmt, ap);
	va_end(ap);
	return ret;
}

int vde_error_errno(struct vde_error *e, int err, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vde_error_vset(e, proto_err_from_errno(err), err, fmt, ap);
	va_end(ap);
	return ret;
}
