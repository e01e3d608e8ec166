// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The tree as SVG: three tiers of green, a trunk, a star, and the lights in
 * rows from the top, each row the other way round, so that light after
 * light runs along a garland as the tree is lit. Dark lights are grey. The
 * page's script changes only the lights' fill as they are lit.
 */
#include "web.h"

#define DARK "#2b303b"
#define TOP 34.0		/* the first row of lights */
#define BOTTOM 200.0		/* the last */
#define APEX 14.0		/* where the outline starts */
#define BASE 212.0		/* and where it is widest */
#define HALF_BASE 86.0

/* Half the tree's width at height y, less a margin for the lights. */
static double half_width(double y)
{
	return (y - APEX) / (BASE - APEX) * HALF_BASE * 0.82;
}

static void light_xy(unsigned int i, unsigned int n, double *x, double *y, double *step)
{
	unsigned int rows = 1, first = 0, row, in_row, count;
	double hw;

	/* Row r holds r lights: as many rows as the triangle needs. */
	while (rows * (rows + 1) / 2 < n)
		rows++;
	for (row = 1; first + row <= i; row++)
		first += row;
	in_row = i - first;
	count = row;
	if (first + count > n)
		count = n - first;
	*step = (BOTTOM - TOP) / rows;
	*y = TOP + (row - 0.5) * *step;
	hw = half_width(*y);
	if (row % 2 == 0)
		in_row = count - 1 - in_row;
	*x = 100.0 - hw + (in_row + 0.5) * (2 * hw / count);
}

void tree_svg(struct sbuf *b, const __u32 *lights, unsigned int n, bool small)
{
	double x, y, step, r;

	sb_printf(b, "<svg class=\"tree%s\" viewBox=\"0 0 200 240\" role=\"img\" "
			 "aria-label=\"a tree with %u lights\" xmlns=\"http://www.w3.org/2000/svg\">",
		  small ? " mini" : "", n);
	sb_puts(b, "<polygon class=\"t3\" points=\"100,96 16,212 184,212\" fill=\"#1f6f3f\"/>"
		   "<polygon class=\"t2\" points=\"100,52 34,150 166,150\" fill=\"#268a4c\"/>"
		   "<polygon class=\"t1\" points=\"100,14 54,92 146,92\" fill=\"#2fa65a\"/>"
		   "<rect x=\"88\" y=\"212\" width=\"24\" height=\"24\" rx=\"3\" fill=\"#7a4a26\"/>"
		   "<polygon points=\"100,0 103.5,9 113,9 105.5,14.5 108.5,24 100,18 91.5,24 "
		   "94.5,14.5 87,9 96.5,9\" fill=\"#ffd23f\"/>");
	if (n > 1) {
		sb_puts(b, "<polyline class=\"garland\" fill=\"none\" stroke=\"#e8c46a\" "
			   "stroke-opacity=\"0.45\" stroke-width=\"0.8\" points=\"");
		for (unsigned int i = 0; i < n; i++) {
			light_xy(i, n, &x, &y, &step);
			sb_printf(b, "%s%.1f,%.1f", i ? " " : "", x, y);
		}
		sb_puts(b, "\"/>");
	}
	for (unsigned int i = 0; i < n; i++) {
		__u32 v = lights[i];
		char fill[8];

		light_xy(i, n, &x, &y, &step);
		r = step * 0.32 < 7.0 ? step * 0.32 : 7.0;
		snprintf(fill, sizeof(fill), "#%06x", v & 0xffffffU);
		sb_printf(b, "<circle data-i=\"%u\" class=\"light %s\" cx=\"%.1f\" cy=\"%.1f\" "
			     "r=\"%.1f\" fill=\"%s\"/>",
			  i, v & THINGS_LIGHT_ON ? "on" : "off", x, y, r,
			  v & THINGS_LIGHT_ON ? fill : DARK);
	}
	sb_puts(b, "</svg>");
}
