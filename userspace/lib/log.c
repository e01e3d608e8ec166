// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <stdarg.h>
#include <stdio.h>

#include <bpf/libbpf.h>

#include "log.h"

static enum things_log_level max_level = THINGS_LOG_WARN;
static const char *ident;

static const char *const level_tags[] = {
	[THINGS_LOG_ERROR] = "error",
	[THINGS_LOG_WARN] = "warning",
	[THINGS_LOG_INFO] = "info",
	[THINGS_LOG_DEBUG] = "debug",
};

void things_log_set_level(enum things_log_level level)
{
	max_level = level;
}

void things_log_set_verbosity(enum things_log_level base, int verbose)
{
	int level = (int)base + (verbose > 0 ? verbose : 0);

	max_level = (enum things_log_level)(level > THINGS_LOG_DEBUG + 1 ? THINGS_LOG_DEBUG + 1
									: level);
}

enum things_log_level things_log_level(void)
{
	return max_level;
}

void things_log_set_ident(const char *name)
{
	ident = name;
}

static void vlog(enum things_log_level level, const char *fmt, va_list ap)
{
	if (level > max_level)
		return;
	if (ident)
		fprintf(stderr, "%s: ", ident);
	fprintf(stderr, "%s: ", level_tags[level]);
	vfprintf(stderr, fmt, ap);
}

void things_log(enum things_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libbpf's warnings explain failures we report ourselves, so they
	 * are detail: shown from -v on, its debug output from -vv. */
	if (level == LIBBPF_DEBUG) {
		if (max_level > THINGS_LOG_DEBUG)
			vlog(THINGS_LOG_DEBUG, fmt, ap);
		return 0;
	}
	vlog(level == LIBBPF_WARN ? THINGS_LOG_INFO : THINGS_LOG_DEBUG, fmt, ap);
	return 0;
}

void things_log_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
