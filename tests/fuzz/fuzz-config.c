/* Fuzz target: vded.conf parsing (config_parse), including its network entries. */
#include <stdint.h>
#include <stdlib.h>

#include "control/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vded_config cfg;
	char err[256];

	if (config_parse((const char *)data, size, &cfg, err, sizeof(err)) == 0)
		config_free(&cfg);
	return 0;
}
