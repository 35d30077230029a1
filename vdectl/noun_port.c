/* vdectl port: list a network's ports with their counters, show or detach one, set one's policy and limits. */
#include "vdectl.h"

int port_list(const struct command *cmd, struct request *req)
{
	return call_print_all("port.list", req, "ports", PRINT_PORT_LIST);
}

int port_show(const struct command *cmd, struct request *req)
{
	return call_print("port.show", req, PRINT_PORT_DETAIL);
}

int port_add(const struct command *cmd, struct request *req)
{
	return call_print("port.add", req, PRINT_PORT);
}

int port_remove(const struct command *cmd, struct request *req)
{
	return call_print("port.remove", req, PRINT_NOTHING);
}

int port_detach(const struct command *cmd, struct request *req)
{
	return call_print("port.detach", req, PRINT_NOTHING);
}

int port_set(const struct command *cmd, struct request *req)
{
	return call_print("port.set", req, PRINT_NOTHING);
}
