/* vdectl daemon: what vded is (version, API level, features). */
#include "vdectl.h"

int daemon_info(const struct command *cmd, struct request *req)
{
	return call_print("daemon.info", req, PRINT_DAEMON_INFO);
}
