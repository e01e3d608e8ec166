/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGS_STORY_H
#define THINGS_STORY_H

/*
 * Story files of trace apps: one line a hop, "ADDRESS NAME", in order;
 * '#' starts a comment at the start of a line or after a blank. An
 * address story starts with "bits N" and has one "table" of lines per hop:
 * hop h's line is picked by field h of the destination (maps/things_abi.h,
 * "Traceroute stories"). Read as strictly as the config: the first error
 * is reported with its line, and nothing of a bad file is kept.
 */

#include <limits.h>
#include <netinet/in.h>
#include <stddef.h>

#include "things_abi.h"

/* The longest line a story file may have. */
#define THINGS_STORY_LINE_MAX 1024

struct things_story_line_cfg {
	struct in6_addr addr;
	char name[THINGS_STORY_NAME_MAX];
	unsigned int table;		/* address stories: 0-based hop; else 0 */
	int line;			/* in the story file */
};

struct things_cfg_story {
	struct things_prefix_key dest;	/* an address (/128) or a sub-prefix */
	char path[PATH_MAX];		/* the story file, as given */
	char file[PATH_MAX];		/* as read: relative paths resolved */
	int key_line;			/* of `story =` in the config */
	unsigned int bits;		/* 0: a list of lines */
	unsigned int hops;		/* lines of a list; tables of an address story */
	struct things_story_line_cfg *lines;
	unsigned int n_lines;
	/* Address stories: the first line of table t, and n_lines at hops. */
	unsigned int table_start[THINGS_STORY_MAX_FIELDS + 1];
};

/*
 * Reads s->file into s (lines, bits, hops). Returns 0; or -EINVAL with
 * *line (0: the file as a whole) and msg saying what is wrong; or -errno
 * if the file cannot be read. On failure s keeps no lines.
 */
int things_story_load(struct things_cfg_story *s, int *line, char *msg, size_t msg_len);
void things_story_free(struct things_cfg_story *s);

/* The slots the data plane reads: hops of a list, hops << bits of an
 * address story. */
unsigned int things_story_slots(const struct things_cfg_story *s);
/* The line slot i holds (i < things_story_slots(s)). */
const struct things_story_line_cfg *things_story_slot_line(const struct things_cfg_story *s,
							   unsigned int i);

#endif
