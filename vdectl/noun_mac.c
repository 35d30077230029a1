/* vdectl mac: the MAC addresses a network has learned. */
#include "vdectl.h"

int mac_list(const struct command *cmd, struct request *req)
{
	return call_print_all("mac.list", req, "macs", PRINT_MAC_LIST);
}
