#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const char *log_ident = "vde";
static int log_use_syslog;
static int log_verbosity;
static int log_to_journal;	/* stderr is systemd's journal: lines start with sd-daemon's <N> */

/* $JOURNAL_STREAM is "DEV:INO" of the stream systemd connected stderr to (systemd.exec(5)): only
 * then are the prefixes read as priorities; anywhere else they would be noise. */
static int log_stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) < 0)
		return 0;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_init(const char *ident, int use_syslog, int verbosity)
{
	log_ident = ident;
	log_use_syslog = use_syslog;
	log_verbosity = verbosity;
	log_to_journal = !use_syslog && log_stderr_is_journal();
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
		if (log_to_journal)
			fprintf(stderr, "<%d>%s[%s]: ", prio & 7, log_ident, names[prio & 7]);
		else
			fprintf(stderr, "%s[%s]: ", log_ident, names[prio & 7]);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}
