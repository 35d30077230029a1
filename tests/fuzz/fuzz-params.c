/*
 * Fuzz target: the pure parameter parser of the control API (vded/control/params.c) on its own.
 * The input is a JSON text (parsed strictly, as the control socket does); byte 0 picks which keys are
 * allowed and required, so every key's type and range checks and the unknown/missing-key paths run.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "control/params.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_tokener *tok;
	struct json_object *obj;
	struct method_args a;
	struct vde_error e;
	uint64_t allowed = ~UINT64_C(0), required = 0;

	if (size < 1 || size > 65536)
		return 0;
	if (data[0] & 1)
		allowed = PARAMS_NETWORK_CREATE_ALLOWED;
	if (data[0] & 2)
		required = PARAMS_NETWORK_CREATE_REQUIRED;
	tok = json_tokener_new();
	if (!tok)
		return 0;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, (const char *)data + 1, (int)(size - 1));
	memset(&e, 0, sizeof(e));
	params_parse("fuzz", allowed, required, obj, &a, &e);
	if (data[0] & 4)
		params_parse_network_create(obj, &a, &e);
	json_object_put(obj);
	json_tokener_free(tok);
	return 0;
}
