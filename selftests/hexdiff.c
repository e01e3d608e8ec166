// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Side-by-side hex dump of an expected and an actual packet. A byte that
 * differs (or exists on one side only) is followed by '*', and its row by
 * '<'. Rows far from any difference are elided so a 1.5 KB frame with one
 * wrong checksum stays readable.
 */
#include <stdio.h>

#include "test.h"

#define ROW 16
#define CONTEXT_ROWS 1

static bool byte_differs(const unsigned char *e, size_t elen,
			 const unsigned char *a, size_t alen, size_t i)
{
	if (i >= elen || i >= alen)
		return i < elen || i < alen;
	return e[i] != a[i];
}

static bool row_differs(const unsigned char *e, size_t elen,
			const unsigned char *a, size_t alen, size_t row)
{
	for (size_t i = row * ROW; i < (row + 1) * ROW; i++)
		if (byte_differs(e, elen, a, alen, i))
			return true;
	return false;
}

static bool row_near_difference(const unsigned char *e, size_t elen,
				const unsigned char *a, size_t alen,
				size_t row, size_t rows)
{
	size_t first = row > CONTEXT_ROWS ? row - CONTEXT_ROWS : 0;

	for (size_t r = first; r <= row + CONTEXT_ROWS && r < rows; r++)
		if (row_differs(e, elen, a, alen, r))
			return true;
	return false;
}

/* One side of a row: ROW cells of "xx" plus a mark, blank past the end. */
static int side(char *out, const unsigned char *p, size_t len, size_t row,
		const unsigned char *e, size_t elen, const unsigned char *a, size_t alen)
{
	int n = 0;

	for (size_t i = row * ROW; i < (row + 1) * ROW; i++) {
		if (i < len)
			n += sprintf(out + n, "%02x%c", p[i],
				     byte_differs(e, elen, a, alen, i) ? '*' : ' ');
		else
			n += sprintf(out + n, "   ");
	}
	return n;
}

void test_hexdiff(const void *expected, size_t elen, const void *actual, size_t alen)
{
	const unsigned char *e = expected, *a = actual;
	size_t len = elen > alen ? elen : alen;
	size_t rows = (len + ROW - 1) / ROW;
	bool elided = false;
	char left[ROW * 3 + 1], right[ROW * 3 + 1];

	test_log("      %-*s  %s", ROW * 3, "expected", "actual");
	for (size_t row = 0; row < rows; row++) {
		if (!row_near_difference(e, elen, a, alen, row, rows)) {
			if (!elided)
				test_log("  ...");
			elided = true;
			continue;
		}
		elided = false;
		side(left, e, elen, row, e, elen, a, alen);
		side(right, a, alen, row, e, elen, a, alen);
		test_log("%04zx  %s| %s%s", row * ROW, left, right,
			 row_differs(e, elen, a, alen, row) ? "<" : "");
	}
}

bool test_memeq(const char *file, int line, const void *actual, size_t alen,
		const void *expected, size_t elen, const char *name)
{
	if (alen == elen && !memcmp(actual, expected, elen))
		return true;
	test_fail_at(file, line, "%s: %zu bytes expected, %zu came%s", name, elen,
		     alen, alen == elen ? ", contents differ" : "");
	test_hexdiff(expected, elen, actual, alen);
	return false;
}
