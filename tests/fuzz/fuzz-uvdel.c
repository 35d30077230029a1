/*
 * libFuzzer target: the UVDEL option parsers of libvdeplug_mod (vde_parseparms, vde_parsepathparms,
 * vde_parsenestparms) and strtoullm. Input: one mode byte, then the locator text.
 * Checks besides memory safety: every value and the nested locator point inside the caller's buffer and
 * end before its end, and the cut address never grows.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* built without the library: the sources are part of this program (see the Makefile's fuzz rules) */
#include "../../libvdeclient/mod_parse.c"
#include "../../libvdeclient/mod_util.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_inside(const char *p, const char *buf, size_t len)
{
	if (p == NULL)
		return;
	if (p < buf || p > buf + len || strlen(p) > (size_t)(buf + len - p))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *vals[8] = { 0 };
	struct vdeparms parms[] = {
		{ "vni", &vals[0] }, { "v6", &vals[1] }, { "port", &vals[2] }, { "", &vals[3] },
		{ "x", &vals[4] }, { "trunk", &vals[5] }, { "untag", &vals[6] }, { NULL, NULL },
	};
	char *buf, *nest = NULL;
	size_t len;
	int mode;

	if (size == 0 || size > 65536)
		return 0;
	mode = data[0] % 5;
	len = size - 1;
	buf = malloc(len + 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data + 1, len);
	buf[len] = 0;
	len = strlen(buf);
	switch (mode) {
	case 0:
		vde_parseparms(buf, parms);
		break;
	case 1:
		vde_parsepathparms(buf, parms);
		break;
	case 2:
		nest = vde_parsenestparms(buf);
		check_inside(nest, buf, len);
		vde_parseparms(buf, parms);
		break;
	case 3:
		nest = vde_parsenestparms(buf);
		check_inside(nest, buf, len);
		vde_parsepathparms(buf, parms);
		break;
	default:
		(void)strtoullm(buf);
		break;
	}
	check_inside(buf, buf, len);
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		check_inside(vals[i], buf, len);
	free(buf);
	return 0;
}
