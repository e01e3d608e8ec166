// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The keys of tcp apps (userspace/lib/tcprules.c): ports, targets,
 * commands, and socketbox path templates with their tokens substituted.
 * The first 18 bytes are the local address and port a path is made for. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "tcprules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct things_port_range r[THINGS_TCP_MAX_RANGES];
	char arg[THINGS_TCP_ARG_MAX], out[THINGS_TCP_PATH_MAX], fmt[256];
	char *words[THINGS_TCP_EXEC_ARGS + 1], *text, *buf;
	struct sockaddr_in6 backend;
	const char *why;
	int n, target;

	if (size < 18)
		return 0;
	text = fuzz_string(data + 18, size - 18);
	if (!things_tcp_ports_parse(text, r, &n, &why)) {
		things_tcp_ports_format(r, n, fmt, sizeof(fmt));
		/* What is written reads back the same. */
		struct things_port_range again[THINGS_TCP_MAX_RANGES];
		int m;

		if (things_tcp_ports_parse(fmt, again, &m, &why) || m != n ||
		    memcmp(r, again, sizeof(r[0]) * (size_t)n))
			__builtin_trap();
	}
	if (!fuzz_names_a_host(text) &&
	    !things_tcp_target_parse(text, &target, arg, &backend, &why))
		things_tcp_target_format(target, arg, fmt, sizeof(fmt));
	buf = malloc(strlen(text) + 1);
	if (buf && things_cmd_split(text, buf, words, &why) > THINGS_TCP_EXEC_ARGS)
		__builtin_trap();
	free(buf);
	if (strlen(text) < THINGS_TCP_PATH_MAX) {
		things_socketbox_path(text, data, (unsigned int)data[16] << 8 | data[17], out);
		/* Tokens keep their length: the path is as long as its template. */
		if (strlen(out) != strlen(text))
			__builtin_trap();
	}
	free(text);
	return 0;
}
