/* vdectl tap: tap interfaces on the host, made by vded's privileged parent and kept with a network. */
#include "vdectl.h"

int tap_add(const struct command *cmd, struct request *req)
{
	return call_print("tap.add", req, PRINT_PORT);
}

int tap_remove(const struct command *cmd, struct request *req)
{
	return call_print("tap.remove", req, PRINT_NOTHING);
}
