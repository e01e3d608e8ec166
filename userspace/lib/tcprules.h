/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGS_TCPRULES_H
#define THINGS_TCPRULES_H

#include <stdbool.h>
#include <stddef.h>
#include "things_abi.h"

/* The pieces of a tcp app's keys (config.c keeps them in the app). */
#define THINGS_TCP_MAX_RANGES	16
#define THINGS_TCP_PATH_MAX	108	/* sun_path, with its NUL */
#define THINGS_TCP_EXEC_MAX	512
#define THINGS_TCP_EXEC_ARGS	32
#define THINGS_TCP_ID_MAX	33	/* a user or group name, with its NUL */

struct things_port_range {
	__u16 lo, hi;		/* inclusive */
};

enum things_tcp_target {
	THINGS_TCP_LISTEN,	/* the server's own socket, steered to */
	THINGS_TCP_SOCKETBOX,	/* thingsd accepts and passes each connection */
};

/* "80, 443, 8000-8100": 1 to THINGS_TCP_MAX_RANGES ports or ranges of
 * ports 1-65535, none overlapping another. 0, or -EINVAL with *why. */
int things_tcp_ports_parse(const char *text, struct things_port_range *r, int *n,
			   const char **why);
/* Writes them back in the same syntax. */
void things_tcp_ports_format(const struct things_port_range *r, int n, char *buf, size_t len);
bool things_tcp_ports_hold(const struct things_port_range *r, int n, unsigned int port);

/* "listen" or "socketbox:PATH": the kind, and PATH into path
 * (THINGS_TCP_PATH_MAX bytes). 0, or -EINVAL with *why. */
int things_tcp_target_parse(const char *text, int *target, char *path, const char **why);

/*
 * socketbox's path tokens: #//0_ to #//7_ become the 16-bit group n of the
 * local address, #//P_ the local port, each as 5 decimal digits, so a path
 * is as long expanded as it was. out has THINGS_TCP_PATH_MAX bytes.
 */
void things_socketbox_path(const char *tmpl, const unsigned char addr[16], unsigned int port,
			   char *out);

/*
 * Splits a command line into words at blanks; '...' and "..." quote (in
 * "...", \" and \\ escape). No shell, no expansion. Words point into buf
 * (strlen(cmd) + 1 bytes); argv gets at most THINGS_TCP_EXEC_ARGS words and
 * a NULL. Returns the number of words, or -EINVAL with *why.
 */
int things_cmd_split(const char *cmd, char *buf, char **argv, const char **why);

/* One rule: a tcp app's id and its match. */
struct things_tcp_rule {
	__u32 app_id;
	struct things_prefix_key prefix;
	struct things_prefix_key from;	/* prefixlen 0: any client */
	const struct things_port_range *ports;
	int n_ports;
};

/*
 * Builds the `tcp_rules` entries for a set of rules (things_abi.h, "TCP
 * apps"), calling emit for each, unless emit is NULL (a check only).
 * Returns the number of entries, or -EINVAL when two rules cannot be
 * ordered, more than THINGS_TCP_CANDIDATES may match one connection, or
 * there are more than THINGS_TCP_MAX_KEYS entries: *bad is the index of
 * the rule that cannot be placed and *why says why. Other -errno from emit.
 */
typedef int (*things_tcp_emit_fn)(const struct things_tcp_key *key,
				  const struct things_tcp_match *m, void *arg);
int things_tcp_build(const struct things_tcp_rule *rules, int n, things_tcp_emit_fn emit,
		     void *arg, int *bad, const char **why);

#endif
