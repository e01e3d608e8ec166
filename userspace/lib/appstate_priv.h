/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGS_APPSTATE_PRIV_H
#define THINGS_APPSTATE_PRIV_H

#include <stddef.h>

/* The appstate files' one way to fail: the message into why, err back. */
__attribute__((format(printf, 4, 5)))
int appstate_failf(char *why, size_t why_len, int err, const char *fmt, ...);
#define failf appstate_failf

#endif
