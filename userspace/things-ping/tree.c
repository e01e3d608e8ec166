// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* tree: the last three groups are the colour, one byte each: ::RR:GG:BB. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "things-ping.h"

static const struct named_colour {
	const char *name;
	uint32_t rgb;
} colours[] = {
	{ "red", 0xff0000 },	{ "green", 0x00ff00 },	 { "blue", 0x0000ff },
	{ "white", 0xffffff },	{ "yellow", 0xffff00 },	 { "orange", 0xff8000 },
	{ "purple", 0x800080 }, { "pink", 0xff69b4 },	 { "cyan", 0x00ffff },
	{ "magenta", 0xff00ff }, { "gold", 0xffd700 },	 { "black", 0x000000 },
};
#define N_COLOURS (sizeof(colours) / sizeof(colours[0]))

/* "#rrggbb", "rrggbb" or a name. */
static int parse_colour(const char *text, uint32_t *rgb)
{
	const char *hex = text[0] == '#' ? text + 1 : text;

	for (size_t k = 0; k < N_COLOURS; k++) {
		if (!strcasecmp(text, colours[k].name)) {
			*rgb = colours[k].rgb;
			return 0;
		}
	}
	/* strtoul alone would take signs, spaces and "0x" */
	if (strlen(hex) != 6 || strspn(hex, "0123456789abcdefABCDEF") != 6)
		return -1;
	*rgb = (uint32_t)strtoul(hex, NULL, 16);
	return 0;
}

int tree_targets(const char *prefix, const char *colour, struct targets **out)
{
	struct in6_addr *addr;
	char q[QUOTE_MAX];
	uint32_t rgb;
	int ret;

	addr = calloc(1, sizeof(*addr));
	if (!addr)
		return fail("out of memory");
	ret = payload_prefix(prefix, 80,
			     "a tree needs an /80 or shorter: the last three groups are the colour",
			     addr);
	if (ret)
		goto err;
	if (parse_colour(colour, &rgb)) {
		char names[160] = "";

		for (size_t k = 0; k < N_COLOURS; k++) {
			strcat(names, k ? ", " : "");
			strcat(names, colours[k].name);
		}
		ret = usage_error("colour '%s' is neither #rrggbb, rrggbb nor one of %s",
				  quote(colour, q, sizeof(q)), names);
		goto err;
	}
	/* one byte per 16-bit group: the high byte of each group stays 0 */
	addr->s6_addr[11] = (uint8_t)(rgb >> 16);
	addr->s6_addr[13] = (uint8_t)(rgb >> 8);
	addr->s6_addr[15] = (uint8_t)rgb;
	*out = list_targets(addr, 1);
	return *out ? 0 : fail("out of memory");
err:
	free(addr);
	return ret;
}
