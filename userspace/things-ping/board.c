// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* board: the 8 bytes of the interface ID are the text, NUL-padded. */
#include <stdlib.h>
#include <string.h>

#include "things_abi.h"
#include "things-ping.h"

static int check_text(const char *text, size_t len, bool split)
{
	size_t messages = (len + THINGS_BOARD_TEXT - 1) / THINGS_BOARD_TEXT;

	if (!len)
		return usage_error("the text is empty: a board message is 1 to %d printable ASCII characters",
				   THINGS_BOARD_TEXT);
	/* The board drops any message with a byte it cannot show; better to
	 * say which one here than to have it vanish there. */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c < 0x20 || c > 0x7e)
			return usage_error("byte %zu of the text is 0x%02x, not printable ASCII (0x20 to 0x7e): a board shows nothing else",
					   i + 1, c);
	}
	if (messages > 1 && !split)
		return usage_error("the text is %zu bytes: a board message holds %d (--split sends it as %zu messages)",
				   len, THINGS_BOARD_TEXT, messages);
	return 0;
}

/* A board keeps its last message and refuses the same one again, so a
 * message equal to the one sent just before it is dropped there. */
static void warn_repeats(const struct in6_addr *addrs, size_t n, unsigned int rounds)
{
	size_t repeats = 0, first = 0;

	for (size_t k = 1; k < n; k++) {
		if (memcmp(&addrs[k], &addrs[k - 1], sizeof(addrs[k])))
			continue;
		if (!repeats++)
			first = k;
	}
	if (repeats == 1)
		warn("messages %zu and %zu have the same text: a board refuses an immediate repeat, so it keeps only the first",
		     first, first + 1);
	else if (repeats)
		warn("%zu messages have the same text as the one before (the first: message %zu): a board refuses an immediate repeat, so it drops them",
		     repeats, first + 1);
	if (rounds < 2 || memcmp(&addrs[0], &addrs[n - 1], sizeof(addrs[0])))
		return;
	if (n == 1)
		warn("--count %u sends one message %u times: a board refuses an immediate repeat, so it keeps it once",
		     rounds, rounds);
	else
		warn("each round after the first starts with the text the one before ended with: a board refuses that repeat");
}

int board_targets(const char *prefix, const char *text, const struct board_opts *o,
		  struct targets **out)
{
	size_t len = strlen(text), n;
	struct in6_addr base, *addrs;
	int ret;

	ret = payload_prefix(prefix, 64, "a board needs a /64 or shorter: the interface ID is the text",
			     &base);
	if (ret)
		return ret;
	ret = check_text(text, len, o->split);
	if (ret)
		return ret;
	n = (len + THINGS_BOARD_TEXT - 1) / THINGS_BOARD_TEXT;
	addrs = calloc(n, sizeof(*addrs));
	if (!addrs)
		return fail("out of memory for %zu addresses", n);
	for (size_t k = 0; k < n; k++) {
		size_t off = k * THINGS_BOARD_TEXT;
		size_t chunk = len - off < THINGS_BOARD_TEXT ? len - off : THINGS_BOARD_TEXT;

		/* base's interface ID is zero: that is the NUL padding */
		addrs[k] = base;
		memcpy(addrs[k].s6_addr + 8, text + off, chunk);
	}
	if (!o->quiet)
		warn_repeats(addrs, n, o->rounds);
	*out = list_targets(addrs, n);
	return *out ? 0 : fail("out of memory");
}
