#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "vdeproto.h"

int vdeproto_parse_request(const uint8_t *buf, size_t len, struct vde_request *req)
{
	uint32_t magic, word2, type;
	size_t sun_off, descr_off, n;
	uint16_t family;

	memset(req, 0, sizeof(*req));
	if (len < 8)
		return -EPROTO;
	/* packed little-endian on the wire, whatever this host is */
	magic = (uint32_t)buf[0] | (uint32_t)buf[1] << 8 | (uint32_t)buf[2] << 16 | (uint32_t)buf[3] << 24;
	word2 = (uint32_t)buf[4] | (uint32_t)buf[5] << 8 | (uint32_t)buf[6] << 16 | (uint32_t)buf[7] << 24;
	if (magic != VDE_REQ_MAGIC)
		return -EPROTO;
	if (word2 == 3) {
		/* v3: magic, version, type, sockaddr_un, description */
		if (len < 12 + VDE_SUN_LEN)
			return -EPROTO;
		type = (uint32_t)buf[8] | (uint32_t)buf[9] << 8 | (uint32_t)buf[10] << 16 | (uint32_t)buf[11] << 24;
		req->version = 3;
		/* 0: new port, any; N << 8: port N; 1: port 0, which vded does not have: any */
		req->port = (type & 0xff) == 0 ? type >> 8 : 0;
		sun_off = 12;
	} else if (word2 == 0 || word2 == 1) {
		/* v1: magic, type, mac[6], sockaddr_un, description */
		if (len < 14 + VDE_SUN_LEN)
			return -EPROTO;
		req->version = 1;
		sun_off = 14;
	} else {
		return -EPROTO;
	}
	family = (uint16_t)(buf[sun_off] | buf[sun_off + 1] << 8);
	if (family != AF_UNIX)
		return -EPROTO;
	n = strnlen((const char *)buf + sun_off + 2, sizeof(req->path));
	if (n == 0 || n >= sizeof(req->path))
		return -EPROTO;
	memcpy(req->path, buf + sun_off + 2, n);
	descr_off = sun_off + VDE_SUN_LEN;
	n = len - descr_off;
	if (n >= sizeof(req->descr))
		n = sizeof(req->descr) - 1;
	memcpy(req->descr, buf + descr_off, n);
	req->descr[strnlen(req->descr, n)] = '\0';
	for (char *c = req->descr; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';	/* descriptions end up in logs and tables */
	return 0;
}
