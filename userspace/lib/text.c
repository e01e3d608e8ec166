// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <stdio.h>
#include <stdlib.h>

#include "text.h"

size_t things_escape(char *out, size_t len, const char *in)
{
	size_t need = 0;

	for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
		char piece[5];
		size_t n;

		if (*p >= 0x20 && *p < 0x7f)
			n = (size_t)snprintf(piece, sizeof(piece), "%c", *p);
		else
			n = (size_t)snprintf(piece, sizeof(piece), "\\x%02x", *p);
		for (size_t i = 0; i < n; i++, need++)
			if (need + 1 < len)
				out[need] = piece[i];
	}
	if (len)
		out[need < len ? need : len - 1] = '\0';
	return need;
}

char *things_escape_dup(const char *in)
{
	size_t n = things_escape(NULL, 0, in);
	char *out = malloc(n + 1);

	if (out)
		things_escape(out, n + 1, in);
	return out;
}
