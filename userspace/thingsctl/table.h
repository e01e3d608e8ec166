/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGSCTL_TABLE_H
#define THINGSCTL_TABLE_H

#include <stdio.h>

/*
 * Aligned text tables: rows are collected first, since a column is as wide
 * as its widest cell. Cells are copied. Allocation failure ends the program
 * (exit 1): there is nothing useful to print half a table for.
 */
struct table;

/* align: one letter per column (at most 16), 'l' or 'r' (numbers).
 * headers may be NULL:
 * no header line (key-value lists). */
struct table *table_new(const char *align, const char *const *headers);
/* Exactly as many cells as the table has columns. */
void table_row(struct table *t, ...);
int table_rows(const struct table *t);
/* Prints, then frees the table. */
void table_print(struct table *t, FILE *out);
void table_free(struct table *t);

#endif
