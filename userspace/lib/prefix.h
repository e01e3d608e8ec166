/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGS_PREFIX_H
#define THINGS_PREFIX_H

#include <stddef.h>
#include "things_abi.h"

/*
 * Parses "ADDR/LEN" (or a bare ADDR as a /128) into an LPM key. Host bits
 * must be zero unless allow_host_bits, in which case they are cleared.
 * Returns 0, or -EINVAL with *why saying what is wrong.
 */
int things_prefix_parse(const char *text, struct things_prefix_key *key,
			int allow_host_bits, const char **why);

/* "ADDR/LEN" into buf (at least THINGS_PREFIX_STRLEN bytes). */
#define THINGS_PREFIX_STRLEN 50
char *things_prefix_format(const struct things_prefix_key *key, char *buf, size_t len);

/* Is addr inside the prefix key describes? */
int things_prefix_contains(const struct things_prefix_key *key, const unsigned char addr[16]);

/* Prefixes shorter than this need the operator's explicit consent. */
#define THINGS_PREFIX_MIN_LEN 16

/*
 * May an app own this prefix? Not if it overlaps multicast, link-local,
 * the unspecified or loopback address or IPv4-mapped addresses; not if it
 * is shorter than THINGS_PREFIX_MIN_LEN unless allow_wide. 0, or -EINVAL
 * with *why (valid until the next call).
 */
int things_prefix_policy(const struct things_prefix_key *key, int allow_wide, const char **why);

#endif
