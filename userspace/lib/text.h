/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGS_TEXT_H
#define THINGS_TEXT_H

#include <stddef.h>

/*
 * Text from outside (the pins, the daemon, a packet) made safe for a
 * terminal: printable ASCII stays, every other byte becomes \xNN. Text
 * escaped already (board messages escape their backslashes too) passes
 * unchanged. out always ends with a NUL; returns the length the whole
 * escaped text needs (as snprintf does).
 */
size_t things_escape(char *out, size_t len, const char *in);
/* The same in a new string (NULL if out of memory). */
char *things_escape_dup(const char *in);

#endif
