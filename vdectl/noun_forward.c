/* vdectl forward: host ports forwarded into a slirp network. */
#include "vdectl.h"

int forward_add(const struct command *cmd, struct request *req)
{
	return call_print("forward.add", req, PRINT_NOTHING);
}

int forward_remove(const struct command *cmd, struct request *req)
{
	return call_print("forward.remove", req, PRINT_NOTHING);
}

int forward_list(const struct command *cmd, struct request *req)
{
	return call_print("forward.list", req, PRINT_FORWARD_LIST);
}
