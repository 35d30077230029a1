#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "log.h"

static const char *log_ident = "vde";
static int log_use_syslog;
static int log_verbosity;

void log_init(const char *ident, int use_syslog, int verbosity)
{
	log_ident = ident;
	log_use_syslog = use_syslog;
	log_verbosity = verbosity;
	if (use_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_msg(int prio, const char *fmt, ...)
{
	static const char *const names[] = {
		[LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit",
		[LOG_ERR] = "error", [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
		[LOG_INFO] = "info", [LOG_DEBUG] = "debug",
	};
	va_list ap;

	if (prio > LOG_NOTICE + log_verbosity)
		return;
	va_start(ap, fmt);
	if (log_use_syslog) {
		vsyslog(prio, fmt, ap);
	} else {
		fprintf(stderr, "%s[%s]: ", log_ident, names[prio & 7]);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}
