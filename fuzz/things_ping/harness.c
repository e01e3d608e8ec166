// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* things-ping's inputs (userspace/things-ping/): a prefix, a board's text,
 * a tree's colour, and a PNG made into canvas pixels. The first byte picks
 * which; for text the input is "PREFIX\nTEXT". */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "things-ping.h"

static void drain(struct targets *t)
{
	struct in6_addr a;
	size_t n = 0;

	while (n <= t->count && t->next(t, &a))
		n++;
	if (n != t->count)
		__builtin_trap();
	t->destroy(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct canvas_opts co = { 0 };
	struct board_opts bo = { .rounds = 1, .quiet = true };
	struct targets *t = NULL;
	char *text, *nl, path[64];
	int fd;

	if (size < 1)
		return 0;
	if (data[0] % 3 == 2) {
		/* A canvas 256 wide: images are ends of a size, not of time. */
		co.width = co.height = 256;
		fd = fuzz_file(data + 1, size - 1, path);
		if (fd >= 0 && !canvas_targets("2001:db8:12::/64", path, &co, &t))
			drain(t);
		if (fd >= 0)
			close(fd);
		return 0;
	}
	text = fuzz_string(data + 1, size - 1);
	nl = strchr(text, '\n');
	if (nl) {
		*nl = '\0';
		if (data[0] % 3 == 0 && !board_targets(text, nl + 1, &bo, &t))
			drain(t);
		else if (data[0] % 3 == 1 && !tree_targets(text, nl + 1, &t))
			drain(t);
	}
	free(text);
	return 0;
}
