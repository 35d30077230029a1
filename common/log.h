/* Logging for vded and the tools: stderr in the foreground, syslog otherwise. */
#ifndef VDE_LOG_H
#define VDE_LOG_H

#include <syslog.h>

/* verbosity: 0 = notices and worse, 1 = info, 2 = debug. */
void log_init(const char *ident, int use_syslog, int verbosity);
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(fmt, ...)   log_msg(LOG_ERR, fmt, ##__VA_ARGS__)
#define log_warn(fmt, ...)  log_msg(LOG_WARNING, "%s: " fmt, __func__, ##__VA_ARGS__)
#define log_notice(fmt, ...) log_msg(LOG_NOTICE, fmt, ##__VA_ARGS__)
#define log_info(fmt, ...)  log_msg(LOG_INFO, fmt, ##__VA_ARGS__)
#define log_debug(fmt, ...) log_msg(LOG_DEBUG, "%s: " fmt, __func__, ##__VA_ARGS__)

#endif
