// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The app's prefix, fixed lists of addresses, and --print. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prefix.h"
#include "things-ping.h"

int payload_prefix(const char *text, unsigned int max_len, const char *need,
		   struct in6_addr *out)
{
	struct things_prefix_key key;
	char q[QUOTE_MAX];
	const char *why;

	if (things_prefix_parse(text, &key, 0, &why))
		return usage_error("prefix '%s': %s", quote(text, q, sizeof(q)), why);
	/* The bits past max_len are the payload: a longer prefix would fix
	 * some of them, and a bare address is a /128. */
	if (key.prefixlen > max_len)
		return usage_error("prefix '%s' is a /%u: %s", quote(text, q, sizeof(q)),
				   key.prefixlen, need);
	memcpy(out->s6_addr, key.addr, sizeof(key.addr));
	return 0;
}

struct addr_list {
	struct targets t;
	struct in6_addr *addrs;
	size_t pos;
};

static bool list_next(struct targets *t, struct in6_addr *dst)
{
	struct addr_list *l = (struct addr_list *)t;

	if (l->pos >= t->count)
		return false;
	*dst = l->addrs[l->pos++];
	return true;
}

static void list_rewind(struct targets *t)
{
	((struct addr_list *)t)->pos = 0;
}

static void list_destroy(struct targets *t)
{
	struct addr_list *l = (struct addr_list *)t;

	free(l->addrs);
	free(l);
}

struct targets *list_targets(struct in6_addr *addrs, size_t n)
{
	struct addr_list *l = calloc(1, sizeof(*l));

	if (!l) {
		free(addrs);
		return NULL;
	}
	l->t = (struct targets){ .count = n, .next = list_next, .rewind = list_rewind,
				 .destroy = list_destroy };
	l->addrs = addrs;
	return &l->t;
}

int print_targets(struct targets *t, unsigned int rounds)
{
	char text[INET6_ADDRSTRLEN];
	struct in6_addr dst;

	for (unsigned int r = 0; r < rounds; r++) {
		t->rewind(t);
		while (t->next(t, &dst)) {
			inet_ntop(AF_INET6, &dst, text, sizeof(text));
			puts(text);
		}
	}
	if (fflush(stdout) || ferror(stdout))
		return fail("cannot write the addresses: %s", strerror(errno));
	return EXIT_SUCCESS;
}
