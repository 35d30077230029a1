/* vdectl daemon: what vded is (version, API level, features), and its upgrade in place. */
#include "vdectl.h"

int daemon_info(const struct command *cmd, struct request *req)
{
	return call_print("daemon.info", req, PRINT_DAEMON_INFO);
}

int daemon_upgrade(const struct command *cmd, struct request *req)
{
	int ret = call_print("daemon.upgrade", req, PRINT_NOTHING);

	if (ret == 0 && !opt_json)
		printf("vded is executing itself again; every port stays plugged\n");
	return ret;
}
