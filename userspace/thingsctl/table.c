// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"
#include "text.h"
#include "thingsctl.h"

#define MAX_COLS 16

struct table {
	const char *align;
	int cols;
	int rows;		/* including the header, if any */
	char **cells;		/* rows * cols */
};

static void *must(void *p)
{
	if (!p) {
		fail("out of memory");
		exit(EXIT_FAILURE);
	}
	return p;
}

static void add_row(struct table *t, const char *const *cells)
{
	t->cells = must(realloc(t->cells, (size_t)(t->rows + 1) * (size_t)t->cols * sizeof(char *)));
	/* Cells come from the daemon or the pins: never printed raw. */
	for (int c = 0; c < t->cols; c++)
		t->cells[t->rows * t->cols + c] = must(things_escape_dup(cells[c] ? cells[c] : ""));
	t->rows++;
}

struct table *table_new(const char *align, const char *const *headers)
{
	struct table *t = must(calloc(1, sizeof(*t)));

	t->align = align;
	t->cols = (int)strlen(align);
	if (t->cols > MAX_COLS)
		t->cols = MAX_COLS;
	if (headers)
		add_row(t, headers);
	return t;
}

void table_row(struct table *t, ...)
{
	const char *cells[MAX_COLS];
	va_list ap;

	va_start(ap, t);
	for (int c = 0; c < t->cols; c++)
		cells[c] = va_arg(ap, const char *);
	va_end(ap);
	add_row(t, cells);
}

int table_rows(const struct table *t)
{
	return t->rows;
}

void table_print(struct table *t, FILE *out)
{
	int width[MAX_COLS] = { 0 };

	for (int r = 0; r < t->rows; r++)
		for (int c = 0; c < t->cols; c++) {
			int w = (int)strlen(t->cells[r * t->cols + c]);

			if (w > width[c])
				width[c] = w;
		}
	for (int r = 0; r < t->rows; r++) {
		for (int c = 0; c < t->cols; c++) {
			const char *cell = t->cells[r * t->cols + c];
			bool last = c == t->cols - 1;

			if (t->align[c] == 'r')
				fprintf(out, "%*s", width[c], cell);
			else
				/* no padding after the last cell: no trailing blanks */
				fprintf(out, "%-*s", last ? 0 : width[c], cell);
			fputs(last ? "\n" : "  ", out);
		}
	}
	table_free(t);
}

void table_free(struct table *t)
{
	for (int i = 0; i < t->rows * t->cols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}
