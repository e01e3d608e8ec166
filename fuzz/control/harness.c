// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* A control request (userspace/thingsd/control_parse.c) as thingsd reads
 * it off the socket: NUL-terminated after its n bytes, which may hold
 * NULs of their own; then app-add's "app" object with the config's rules. */
#include <stdlib.h>
#include <string.h>

#include "control_parse.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const allowed[] = { "command", "name", "app", NULL };
	static struct things_cfg_app app;
	char *buf = fuzz_string(data, size);
	const char *why, *cmd;
	json_object *req, *j;

	if (fuzz_names_a_host(buf)) {
		free(buf);
		return 0;
	}
	req = control_parse_request(buf, size, &why);
	if (req) {
		control_unknown_field(req, allowed);
		control_get_str(req, "command", &cmd);
		if (json_object_object_get_ex(req, "app", &j))
			control_parse_app(j, &app);
		json_object_put(req);
	}
	free(buf);
	return 0;
}
