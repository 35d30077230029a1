/*
 * uplink — any VDE locator (udp://, cmd://, vxlan://, ptp://, vde://, ...) opened inside vded through
 * libvdeplug and bridged into a network as a port: every plugin can be an uplink. A failing uplink
 * (peer gone, command exited) stays listed with its state and error, and is reopened with
 * exponential backoff; it never takes its network down.
 */
#ifndef VDED_UPLINK_H
#define VDED_UPLINK_H

#include "error.h"

struct network;
struct port;

/* Open url now (a failure is an error, nothing is made) and add it as a port of kind "uplink". */
int uplink_add(struct network *net, const char *url, struct port **out, struct vde_error *e);
/* The locator of an uplink port (borrowed), NULL for other kinds. */
const char *uplink_url(const struct port *p);

#endif
