/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* What the libFuzzer targets share. */
#ifndef THINGS_FUZZ_H
#define THINGS_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The input as a file, for parsers that read one: a memfd's
 * /proc/self/fd/N path into path (64 bytes); returns its fd or -1. */
int fuzz_file(const uint8_t *data, size_t size, char *path);

/* The input as a NUL-terminated string, cut at its first NUL. */
char *fuzz_string(const uint8_t *data, size_t size);

/* Whether text names a relay backend that only a resolver could answer:
 * a fuzzer must not send DNS queries. */
bool fuzz_names_a_host(const char *text);

#endif
