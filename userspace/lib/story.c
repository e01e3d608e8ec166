// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prefix.h"
#include "story.h"

struct story_parse {
	struct things_cfg_story *s;
	int line;
	bool seen_bits, seen_line;
	int *err_line;
	char *msg;
	size_t msg_len;
};

__attribute__((format(printf, 2, 3)))
static int bad(struct story_parse *sp, const char *fmt, ...)
{
	va_list ap;

	*sp->err_line = sp->line;
	va_start(ap, fmt);
	vsnprintf(sp->msg, sp->msg_len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static unsigned int table_lines(const struct things_cfg_story *s, unsigned int t)
{
	return s->table_start[t + 1] - s->table_start[t];
}

/* "bits N": before any line, once. */
static int directive_bits(struct story_parse *sp, const char *arg)
{
	struct things_cfg_story *s = sp->s;
	char *end;
	unsigned long v;

	if (sp->seen_bits)
		return bad(sp, "'bits' is given twice");
	if (sp->seen_line)
		return bad(sp, "'bits' must come before the first line");
	v = strtoul(arg, &end, 10);
	if (!isdigit((unsigned char)*arg) || *end || v < 1 || v > THINGS_STORY_MAX_BITS)
		return bad(sp, "bits must be a whole number from 1 to %d, not '%.32s'",
			   THINGS_STORY_MAX_BITS, arg);
	sp->seen_bits = true;
	s->bits = (unsigned int)v;
	return 0;
}

/* "table": the next hop's lines begin. */
static int directive_table(struct story_parse *sp)
{
	struct things_cfg_story *s = sp->s;

	if (!sp->seen_bits)
		return bad(sp, "'table' belongs to address stories: say 'bits N' first");
	if (s->hops && !table_lines(s, s->hops - 1))
		return bad(sp, "the table before this one has no lines");
	if (s->hops == THINGS_STORY_MAX_FIELDS || (s->hops + 1) * s->bits > 64)
		return bad(sp, "more tables than the interface ID has room for: at most %u of %u bits",
			   64 / s->bits < THINGS_STORY_MAX_FIELDS ? 64 / s->bits :
			   THINGS_STORY_MAX_FIELDS, s->bits);
	s->table_start[s->hops] = s->n_lines;
	s->hops++;
	s->table_start[s->hops] = s->n_lines;
	return 0;
}

/* The text of a name: printable, and not only dots (it would have no
 * label at all as a DNS name). */
static int check_name(struct story_parse *sp, const char *name)
{
	bool label = false;

	if (strlen(name) >= THINGS_STORY_NAME_MAX)
		return bad(sp, "name is longer than %d bytes", THINGS_STORY_NAME_MAX - 1);
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return bad(sp, "name has a control character (byte 0x%02x)", *p);
		label |= *p != '.';
	}
	if (!label)
		return bad(sp, "name has nothing but dots");
	return 0;
}

/* "ADDRESS NAME": text is the line, its blanks and comment gone. */
static int story_line(struct story_parse *sp, char *text)
{
	struct things_cfg_story *s = sp->s;
	struct things_story_line_cfg *l, *more;
	struct things_prefix_key key = { .prefixlen = 128 };
	char *name = text + strcspn(text, " \t");
	const char *why;
	unsigned int limit;

	if (!*name)
		return bad(sp, "a line is 'ADDRESS NAME': no name after '%.50s'", text);
	*name++ = '\0';
	name += strspn(name, " \t");
	if (inet_pton(AF_INET6, text, key.addr) != 1)
		return bad(sp, "'%.50s' is not an IPv6 address", text);
	if (things_prefix_policy(&key, 0, &why))
		return bad(sp, "%s cannot be a hop's address: it %s", text, why + strlen("prefix "));
	if (check_name(sp, name))
		return -EINVAL;
	if (sp->seen_bits && !s->hops)
		return bad(sp, "an address story's lines are in tables: say 'table' first");
	limit = s->bits ? 1U << s->bits : THINGS_STORY_MAX_HOPS;
	if ((s->bits ? table_lines(s, s->hops - 1) : s->n_lines) >= limit)
		return bad(sp, s->bits ? "more lines in this table than %u bits can pick" :
			       "more than %u lines", s->bits ? s->bits : THINGS_STORY_MAX_HOPS);
	for (unsigned int i = 0; i < s->n_lines; i++) {
		l = &s->lines[i];
		if (!memcmp(&l->addr, key.addr, 16) && strcmp(l->name, name))
			return bad(sp, "%s is named '%.60s' on line %d: an address has one name",
				   text, l->name, l->line);
	}
	more = realloc(s->lines, (s->n_lines + 1) * sizeof(*more));
	if (!more)
		return bad(sp, "out of memory");
	s->lines = more;
	l = &s->lines[s->n_lines++];
	memcpy(&l->addr, key.addr, 16);
	strcpy(l->name, name);
	l->table = s->bits ? s->hops - 1 : 0;
	l->line = sp->line;
	sp->seen_line = true;
	if (s->bits)
		s->table_start[s->hops] = s->n_lines;
	else
		s->hops = s->n_lines;
	return 0;
}

/* One line of the file, its newline gone. */
static int parse_line(struct story_parse *sp, char *text, size_t len)
{
	char *p = text, *c;

	if (memchr(text, '\0', len))
		return bad(sp, "line contains a NUL byte");
	/* A UTF-8 byte order mark, as some editors write: not content. */
	if (sp->line == 1 && !strncmp(p, "\xef\xbb\xbf", 3))
		p += 3;
	p += strspn(p, " \t\r");
	/* A comment: '#' first, or after a blank. */
	for (c = p; (c = strchr(c, '#')); c++)
		if (c == p || c[-1] == ' ' || c[-1] == '\t') {
			*c = '\0';
			break;
		}
	for (len = strlen(p); len && strchr(" \t\r", p[len - 1]); len--)
		p[len - 1] = '\0';
	if (!*p)
		return 0;
	if (!strncmp(p, "bits", 4) && (p[4] == ' ' || p[4] == '\t' || !p[4]))
		return directive_bits(sp, p + 4 + strspn(p + 4, " \t"));
	if (!strcmp(p, "table"))
		return directive_table(sp);
	return story_line(sp, p);
}

int things_story_load(struct things_cfg_story *s, int *line, char *msg, size_t msg_len)
{
	struct story_parse sp = { .s = s, .err_line = line, .msg = msg, .msg_len = msg_len };
	char *buf = NULL;
	size_t size = 0;
	ssize_t n;
	FILE *f;
	int err = 0;

	*line = 0;
	s->lines = NULL;
	s->n_lines = s->hops = s->bits = 0;
	memset(s->table_start, 0, sizeof(s->table_start));
	f = fopen(s->file, "re");
	if (!f) {
		err = -errno;
		snprintf(msg, msg_len, "cannot open the story file: %s", strerror(errno));
		return err;
	}
	while (!err && (n = getline(&buf, &size, f)) >= 0) {
		sp.line++;
		if (n > THINGS_STORY_LINE_MAX) {
			err = bad(&sp, "line is longer than %d bytes", THINGS_STORY_LINE_MAX);
			break;
		}
		if (n && buf[n - 1] == '\n')
			buf[--n] = '\0';
		err = parse_line(&sp, buf, (size_t)n);
	}
	if (!err && ferror(f)) {
		err = -EIO;
		snprintf(msg, msg_len, "cannot read the story file: %s", strerror(errno));
	}
	sp.line = 0;
	if (!err && !s->n_lines)
		err = bad(&sp, "the story has no lines");
	if (!err && s->bits && !table_lines(s, s->hops - 1))
		err = bad(&sp, "the last table has no lines");
	free(buf);
	fclose(f);
	if (err)
		things_story_free(s);
	return err;
}

void things_story_free(struct things_cfg_story *s)
{
	free(s->lines);
	s->lines = NULL;
	s->n_lines = s->hops = 0;
}

unsigned int things_story_slots(const struct things_cfg_story *s)
{
	return s->bits ? s->hops << s->bits : s->hops;
}

const struct things_story_line_cfg *things_story_slot_line(const struct things_cfg_story *s,
							   unsigned int i)
{
	unsigned int t, n;

	if (!s->bits)
		return &s->lines[i];
	t = i >> s->bits;
	n = table_lines(s, t);
	/* A table of n lines repeats: field value v is its line v % n. */
	return &s->lines[s->table_start[t] + (i & ((1U << s->bits) - 1)) % n];
}
