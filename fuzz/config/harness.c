// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The config file (userspace/lib/config.c), whole and as runtime apps. */
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct things_config cfg;
	struct things_config_error err;
	char path[64], *text = fuzz_string(data, size);
	bool skip = fuzz_names_a_host(text);
	int fd;

	free(text);
	if (skip)
		return 0;
	fd = fuzz_file(data, size, path);
	if (fd < 0)
		return 0;
	if (!things_config_load(path, &cfg, &err))
		things_config_free(&cfg);
	if (!things_config_load_apps(path, &cfg, &err))
		things_config_free(&cfg);
	close(fd);
	return 0;
}
