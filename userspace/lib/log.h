/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGS_LOG_H
#define THINGS_LOG_H

enum things_log_level {
	THINGS_LOG_ERROR,
	THINGS_LOG_WARN,
	THINGS_LOG_INFO,
	THINGS_LOG_DEBUG,
};

/* Messages above this level are dropped; each -v raises it by one. */
void things_log_set_level(enum things_log_level level);
/* base raised by one per -v, up to one past debug (libbpf's own debug
 * output too). */
void things_log_set_verbosity(enum things_log_level base, int verbose);
enum things_log_level things_log_level(void);
/* Prefix every line with this program name (default: none). */
void things_log_set_ident(const char *ident);
/* Route libbpf's own messages through this module (debug ones at -vv). */
void things_log_libbpf(void);

__attribute__((format(printf, 2, 3)))
void things_log(enum things_log_level level, const char *fmt, ...);

#define pr_err(...)	things_log(THINGS_LOG_ERROR, __VA_ARGS__)
#define pr_warn(...)	things_log(THINGS_LOG_WARN, __VA_ARGS__)
#define pr_info(...)	things_log(THINGS_LOG_INFO, __VA_ARGS__)
#define pr_debug(...)	things_log(THINGS_LOG_DEBUG, __VA_ARGS__)

#endif
