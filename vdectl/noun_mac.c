/* vdectl mac: the MAC addresses a network has learned; static ones; flushing. */
#include "vdectl.h"

int mac_list(const struct command *cmd, struct request *req)
{
	return call_print_all("mac.list", req, "macs", PRINT_MAC_LIST);
}

int mac_add(const struct command *cmd, struct request *req)
{
	return call_print("mac.add", req, PRINT_NOTHING);
}

int mac_flush(const struct command *cmd, struct request *req)
{
	return call_print("mac.flush", req, PRINT_NOTHING);
}
