/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The selftest framework, after the kernel's test_progs: each file defines
 * a test group with DEFINE_TEST; a group runs its cases one after another,
 * each opened with test_start(). ASSERT_* log what was expected and what
 * came, with file:line, and return whether they held, so a case can
 * `goto cleanup` on the first failure.
 */
#ifndef SELFTEST_TEST_H
#define SELFTEST_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct test_env;

struct test_def {
	const char *name;
	void (*run)(struct test_env *env);
	struct test_def *next;
};

void test_register(struct test_def *def);

/* The group's function may use env only once test_start() has returned
 * true: the program is loaded on the first case that is actually run. */
#define DEFINE_TEST(group)						\
	static void test_##group(struct test_env *env);			\
	static struct test_def test_def_##group = {			\
		.name = #group, .run = test_##group,			\
	};								\
	__attribute__((constructor)) static void test_reg_##group(void)	\
	{								\
		test_register(&test_def_##group);			\
	}								\
	static void test_##group(struct test_env *env)

/* Ends the previous case and opens the next; false when it is filtered
 * out, only listed, or the environment could not be set up. */
bool test_start(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Lines kept with the current case, shown when it fails or with -v. */
void test_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void test_fail_at(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Expected and actual bytes side by side, differing bytes marked. */
void test_hexdiff(const void *expected, size_t elen, const void *actual, size_t alen);

#define ASSERT_TRUE(cond, name) ({					\
	bool ___ok = (cond);						\
	if (!___ok)							\
		test_fail_at(__FILE__, __LINE__, "%s: not true: %s",	\
			     (name), #cond);				\
	___ok;								\
})

#define ASSERT_EQ(actual, expected, name) ({				\
	long long ___a = (long long)(actual);				\
	long long ___e = (long long)(expected);				\
	bool ___ok = ___a == ___e;					\
	if (!___ok)							\
		test_fail_at(__FILE__, __LINE__,			\
			     "%s: expected %lld (%#llx), got %lld (%#llx)", \
			     (name), ___e, ___e, ___a, ___a);		\
	___ok;								\
})

/* For calls that return 0 or a negative errno. */
#define ASSERT_OK(res, name) ({						\
	long long ___r = (long long)(res);				\
	bool ___ok = ___r == 0;						\
	if (!___ok)							\
		test_fail_at(__FILE__, __LINE__, "%s: failed: %lld (%s)", \
			     (name), ___r, strerror((int)-___r));	\
	___ok;								\
})

#define ASSERT_MEMEQ(actual, alen, expected, elen, name)		\
	test_memeq(__FILE__, __LINE__, (actual), (alen), (expected), (elen), (name))

bool test_memeq(const char *file, int line, const void *actual, size_t alen,
		const void *expected, size_t elen, const char *name);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
