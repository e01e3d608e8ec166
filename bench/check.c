// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench-check: each case's cost as a ratio to the minimal responder's on
 * the same frame, taken round by round, against a committed baseline of
 * the same ratios. A ratio, unlike a time, means the same on a slow
 * machine and a fast one, and on a quiet machine and a busy one: both
 * sides of it ran within the same second.
 *
 * A case regresses when even the lower quartile of its per-round ratios
 * is past its baseline by more than the tolerance: three rounds in four
 * say so, not a few slow ones. A case that regresses is measured again
 * before the check fails (micro.c), so that one bad spell of the machine
 * does not fail it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include <json-c/json.h>

#include "log.h"
#include "micro.h"

/* The cases the check covers: every case but the references themselves. */
static int checked(const struct bench *b, enum case_id id)
{
	return bench_case_on(&b->opt, id) && id != C_NOP && cases[id].minimal != id;
}

int write_baseline(const struct bench *b, const char *path)
{
	json_object *root = json_object_new_object(), *list = json_object_new_object();
	enum prog_id things = report_things(b);
	char when[32];
	struct utsname u;
	time_t now = time(NULL);
	int err = 0;

	uname(&u);
	strftime(when, sizeof(when), "%Y-%m-%d", gmtime(&now));
	json_object_object_add(root, "about", json_object_new_string(
		"bench/micro --write-baseline: each case's ns/packet over the minimal responder's"
		" on the same frame, the median of the ratios round by round (q1, q3: the middle"
		" half of them). `make bench-check` compares a new run with these."));
	json_object_object_add(root, "kernel", json_object_new_string(u.release));
	json_object_object_add(root, "date", json_object_new_string(when));
	json_object_object_add(root, "rounds", json_object_new_int((int)b->opt.rounds));
	if (things) {
		json_object_object_add(root, "things_xdp_xlated_insns",
				       json_object_new_int((int)(b->info[things].xlated_prog_len / 8)));
		json_object_object_add(root, "things_xdp_jited_bytes",
				       json_object_new_int((int)b->info[things].jited_prog_len));
	}
	for (int id = 0; id < C_COUNT; id++) {
		struct ratio r = bench_ratio(b, id, cases[id].minimal);
		json_object *c;

		if (!checked(b, id))
			continue;
		c = json_object_new_object();
		json_object_object_add(c, "reference",
				       json_object_new_string(cases[cases[id].minimal].key));
		json_object_object_add(c, "ratio", json_object_new_double(r.median));
		json_object_object_add(c, "q1", json_object_new_double(r.q1));
		json_object_object_add(c, "q3", json_object_new_double(r.q3));
		json_object_object_add(c, "ns", json_object_new_double(b->result[id].median));
		json_object_object_add(list, cases[id].key, c);
	}
	json_object_object_add(root, "cases", list);
	if (json_object_to_file_ext(path, root, JSON_C_TO_STRING_PRETTY |
					      JSON_C_TO_STRING_SPACED)) {
		err = -EIO;
		pr_err("%s: writing the baseline failed: %s\n", path, json_util_get_last_err());
	} else {
		printf("\nBaseline written to %s.\n", path);
	}
	json_object_put(root);
	return err;
}

/* Returns 0 (no regression), 1 (some; *failed says which) or -errno. */
int check_baseline(const struct bench *b, const char *path, unsigned long long *failed)
{
	json_object *root = json_object_from_file(path), *list, *c, *v;
	double tol = b->opt.tolerance;
	int regressed = 0, compared = 0;

	*failed = 0;
	if (!root || !json_object_object_get_ex(root, "cases", &list) ||
	    !json_object_is_type(list, json_type_object)) {
		pr_err("%s: not a baseline that micro --write-baseline wrote: %s\n", path,
		       root ? "no \"cases\" object" : json_util_get_last_err());
		json_object_put(root);
		return -EINVAL;
	}
	printf("\nbench-check against %s (tolerance %.0f%%): a case regresses when the lower"
	       " quartile of its ratios round by round is past its baseline ratio by more.\n\n",
	       path, 100 * tol);
	printf("| case | baseline x minimal | now x minimal (middle half) | limit | verdict |\n");
	printf("| --- | ---: | ---: | ---: | --- |\n");
	for (int id = 0; id < C_COUNT; id++) {
		struct ratio r;
		double base, limit;
		const char *verdict;

		if (!checked(b, id))
			continue;
		if (!json_object_object_get_ex(list, cases[id].key, &c) ||
		    !json_object_object_get_ex(c, "ratio", &v)) {
			printf("| %s | | | | no baseline |\n", cases[id].key);
			continue;
		}
		base = json_object_get_double(v);
		limit = base * (1 + tol);
		r = bench_ratio(b, id, cases[id].minimal);
		compared++;
		if (r.q1 > limit) {
			verdict = "**REGRESSED**";
			regressed++;
			*failed |= 1ULL << id;
		} else if (r.median > limit) {
			verdict = "noisy: the median is past the limit, the lower quartile not";
		} else if (r.q3 < base / (1 + tol)) {
			verdict = "faster than the baseline: write a new one";
		} else {
			verdict = "ok";
		}
		printf("| %s | %.3f | %.3f (%.3f-%.3f) | %.3f | %s |\n", cases[id].key, base,
		       r.median, r.q1, r.q3, limit, verdict);
	}
	json_object_put(root);
	if (!compared) {
		pr_err("%s: no case of this run has a baseline\n", path);
		return -ENOENT;
	}
	return regressed ? 1 : 0;
}
