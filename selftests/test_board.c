// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * board: the 8 bytes of the interface ID are a message. Valid ones are
 * posted to the board's ring of lines and to the board_log; every request
 * with a right checksum is answered as echo, and the map holds exactly what
 * it must afterwards, read back and compared whole.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "apps.h"
#include "test.h"
#include "world.h"

/* bpf_ktime_get_coarse_ns() and clock_gettime(CLOCK_MONOTONIC_COARSE) read
 * the same clock, which the timer tick moves (a few ms at a time); this
 * much apart is still the same instant. */
#define CLOCK_SLACK_NS 1000000ULL

static __u64 coarse_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

static __u32 lines_of(const struct test_env *env, int app)
{
	struct things_app_cfg cfg;

	if (app_cfg_get(env, app, &cfg))
		return 0;
	return cfg.lines > THINGS_BOARD_MAX_LINES ? THINGS_BOARD_MAX_LINES : cfg.lines;
}

struct snapshot {
	struct things_board board;
	struct things_board_event head;
};

static bool snap(const struct test_env *env, int app, struct snapshot *s)
{
	return ASSERT_OK(board_get(env, app, &s->board), "read the board") &&
	       ASSERT_OK(board_log_get(env, THINGS_BOARD_LOG_SLOTS, &s->head), "read the log head");
}

/* A request that must change neither the board nor the log. */
static void expect_unchanged(const struct test_env *env, int app, const struct snapshot *before)
{
	struct snapshot after;

	if (!snap(env, app, &after))
		return;
	ASSERT_MEMEQ(&after.board, sizeof(after.board), &before->board, sizeof(before->board),
		     "the board");
	ASSERT_EQ(after.head.seq, before->head.seq, "events logged");
}

/*
 * Sends in, which must post stored (a string of at most 8 characters)
 * from src to app's board; then the board must be what it was but for
 * that one post, and the log must hold it as its newest event.
 */
static void expect_post(const struct test_env *env, const struct frame *in,
			const struct frame *out, int app, const char *src, const char *stored)
{
	char text[THINGS_BOARD_TEXT];
	struct snapshot before, after;
	struct things_board want;
	struct things_board_event ev;
	struct in6_addr from = addr6(src);
	struct things_board_msg *m;
	__u32 lines = lines_of(env, app);
	__u64 t0, t1, seq;

	memset(text, 0, sizeof(text));
	memcpy(text, stored, strnlen(stored, sizeof(text)));
	if (!ASSERT_TRUE(lines > 0, "the board has lines") || !snap(env, app, &before))
		return;
	t0 = coarse_now();
	if (!check_app(env, in, out, THINGS_R_BOARD_POSTED, app, THINGS_ACT_APP_UPDATE))
		return;
	t1 = coarse_now();
	if (!snap(env, app, &after))
		return;

	seq = before.board.posts + 1;
	want = before.board;
	want.posts = seq;
	memcpy(want.last, text, THINGS_BOARD_TEXT);
	m = &want.msgs[(seq - 1) % lines];
	m->seq = seq;
	m->time_ns = after.board.msgs[(seq - 1) % lines].time_ns;
	memcpy(m->src, &from, sizeof(m->src));
	memcpy(m->text, text, THINGS_BOARD_TEXT);
	ASSERT_MEMEQ(&after.board, sizeof(after.board), &want, sizeof(want),
		     "the board: one more post, in its slot");
	ASSERT_TRUE(m->time_ns + CLOCK_SLACK_NS >= t0 && m->time_ns <= t1 + CLOCK_SLACK_NS,
		    "posted at the time of the request (CLOCK_MONOTONIC_COARSE)");

	if (!ASSERT_EQ(after.head.seq, before.head.seq + 1, "events logged") ||
	    !ASSERT_OK(board_log_get(env, (__u32)(before.head.seq % THINGS_BOARD_LOG_SLOTS), &ev),
		       "read the event"))
		return;
	ASSERT_EQ(ev.seq, after.head.seq, "event seq");
	ASSERT_EQ(ev.app_id, app, "event app");
	ASSERT_EQ(ev.pad, 0, "event pad");
	ASSERT_MEMEQ(&ev.msg, sizeof(ev.msg), m, sizeof(*m), "the event's message");
}

/* Sends the interface ID iid (8 bytes) to app from REMOTE: it must post
 * stored. */
static void post(const struct test_env *env, int app, const char *prefix, const char *iid,
		 const char *stored)
{
	struct in6_addr dst = app_addr(prefix, iid);
	struct frame in, out;

	app_pair(&in, &out, REMOTE, &dst, APP_DATA_LEN);
	expect_post(env, &in, &out, app, REMOTE, stored);
}

static void refused(const struct test_env *env, int app, const char *prefix, const char *iid,
		    enum things_reason reason)
{
	struct in6_addr dst = app_addr(prefix, iid);
	struct snapshot before;
	struct frame in, out;

	app_pair(&in, &out, REMOTE, &dst, APP_DATA_LEN);
	if (snap(env, app, &before) &&
	    check_app(env, &in, &out, reason, app, THINGS_ACT_APP_IGNORED))
		expect_unchanged(env, app, &before);
}

/* Interface IDs as 8 bytes each; the stored text NUL-padded. */
static const struct {
	const char *name;
	const char iid[9];
	const char stored[9];
} posted[] = {
	{ "eight-letters", "Great!!!", "Great!!!" },
	{ "trailing-nuls-trimmed", "Hi\0\0\0\0\0\0", "Hi" },
	{ "trailing-spaces-trimmed", "Yo      ", "Yo" },
	{ "trailing-mix-trimmed", "ok \0 \0\0 ", "ok" },
	{ "leading-spaces-kept", "   x\0\0\0\0", "   x" },
	{ "inner-spaces-kept", "a b  c d", "a b  c d" },
	{ "printable-edges", " ~ ~ ~ ~", " ~ ~ ~ ~" },
	{ "one-char", "!", "!" },
	{ "punctuation", "<[{|}]>", "<[{|}]>" },
};

static const struct {
	const char *name;
	const char iid[9];
	enum things_reason reason;
} ignored[] = {
	{ "empty-nuls", "\0\0\0\0\0\0\0\0", THINGS_R_BOARD_EMPTY },
	{ "empty-spaces", "        ", THINGS_R_BOARD_EMPTY },
	{ "empty-mixed", " \0 \0\0 \0 ", THINGS_R_BOARD_EMPTY },
	{ "nul-inside", "Hi\0there", THINGS_R_BOARD_UNPRINTABLE },
	{ "nul-first", "\0abcdefg", THINGS_R_BOARD_UNPRINTABLE },
	{ "space-then-nul-inside", "a \0b", THINGS_R_BOARD_UNPRINTABLE },
	{ "del", "del\x7f", THINGS_R_BOARD_UNPRINTABLE },
	{ "high-bit", "caf\xc3\xa9", THINGS_R_BOARD_UNPRINTABLE },
	{ "byte-ff", "\xff\xff\xff\xff\xff\xff\xff\xff", THINGS_R_BOARD_UNPRINTABLE },
	{ "tab", "tab\there", THINGS_R_BOARD_UNPRINTABLE },
	{ "control-before-spaces", "\x1f       ", THINGS_R_BOARD_UNPRINTABLE },
	{ "newline-last", "line\n", THINGS_R_BOARD_UNPRINTABLE },
};

/* The address is the spec's: prefix:4177:6573:6f6d:6521 is "Awesome!". */
static void literal_address(const struct test_env *env)
{
	struct in6_addr dst = addr6("2001:db8:10:0:4177:6573:6f6d:6521");
	struct frame in, out;

	app_pair(&in, &out, REMOTE, &dst, APP_DATA_LEN);
	expect_post(env, &in, &out, APP_BOARD, REMOTE, "Awesome!");
}

/* Only the last message is compared: a repeat further back is posted. */
static void repeats(const struct test_env *env)
{
	post(env, APP_BOARD, PREFIX_BOARD, "Again!!!", "Again!!!");
	refused(env, APP_BOARD, PREFIX_BOARD, "Again!!!", THINGS_R_BOARD_REPEAT);
	/* The same text once trimmed. */
	post(env, APP_BOARD, PREFIX_BOARD, "Ag\0\0\0\0\0", "Ag");
	refused(env, APP_BOARD, PREFIX_BOARD, "Ag      ", THINGS_R_BOARD_REPEAT);
	post(env, APP_BOARD, PREFIX_BOARD, "Again!!!", "Again!!!");
}

/* More posts than lines: each goes to slot (seq - 1) % lines. */
static void round_the_ring(const struct test_env *env)
{
	char text[9];

	for (int i = 0; i < 2 * BOARD_LINES + 1; i++) {
		memset(text, 0, sizeof(text));
		snprintf(text, sizeof(text), "ring %d", i);
		post(env, APP_BOARD, PREFIX_BOARD, text, text);
	}
}

static void bad_checksum(const struct test_env *env, int app, const char *prefix)
{
	struct in6_addr dst = app_addr(prefix, "Checksum");
	struct snapshot before;
	struct frame in, out;

	app_pair(&in, &out, REMOTE, &dst, APP_DATA_LEN);
	in.b[in.len - 1] ^= 0x40;
	if (snap(env, app, &before) &&
	    check_app_passed(env, &in, THINGS_R_APP_CHECKSUM, app))
		expect_unchanged(env, app, &before);
}

/* Without lines the board has nowhere to post: answered, unchanged. */
static void no_lines(const struct test_env *env)
{
	struct things_app_cfg cfg = world_app_cfg(APP_BOARD);

	cfg.lines = 0;
	if (!ASSERT_OK(app_cfg_set(env, APP_BOARD, &cfg), "set lines = 0"))
		return;
	refused(env, APP_BOARD, PREFIX_BOARD, "No lines", THINGS_R_APP_NO_STATE);
	cfg = world_app_cfg(APP_BOARD);
	ASSERT_OK(app_cfg_set(env, APP_BOARD, &cfg), "restore the settings");
}

/* More lines than a board has room for are as many as it has. */
static void lines_clamped(const struct test_env *env)
{
	struct things_app_cfg cfg = world_app_cfg(APP_BOARD);

	cfg.lines = 60000;
	if (!ASSERT_OK(app_cfg_set(env, APP_BOARD, &cfg), "set lines = 60000"))
		return;
	post(env, APP_BOARD, PREFIX_BOARD, "Clamped\0", "Clamped");
	post(env, APP_BOARD, PREFIX_BOARD, "Clamped!", "Clamped!");
	cfg = world_app_cfg(APP_BOARD);
	ASSERT_OK(app_cfg_set(env, APP_BOARD, &cfg), "restore the settings");
}

/* Decoded from the address wherever the headers put it; the reply drops
 * the extension headers and keeps the tag, as for echo. */
static void tagged_with_options(const struct test_env *env)
{
	struct in6_addr dst = app_addr(PREFIX_BOARD, "VLAN+ext");
	struct hdrs h = hdrs_to(NEIGHBOR, "::");
	struct frame in, out;
	uint8_t data[20] = "twenty bytes of data";

	h.dst = dst;
	hdrs_vary(&h, VAR_VLAN | VAR_FOUR_EXT | VAR_CLASS_FLOW);
	build_echo_pair(&in, &out, &h, &(struct echo){ .type = ICMP6_ECHO_REQUEST,
			.id = 1, .seq = 2, .data = data, .data_len = sizeof(data) });
	frame_fill(&in, 0, 6);	/* Ethernet padding: outside the checksum */
	expect_post(env, &in, &out, APP_BOARD, NEIGHBOR, "VLAN+ext");
}

/* board_log is one ring for all boards: THINGS_BOARD_LOG_SLOTS more posts
 * take it once round, event n always in slot (n - 1) % slots. */
static void log_round(const struct test_env *env)
{
	struct things_board_event head, ev, first;
	struct xdp_result res;
	struct frame in, out;
	char text[9];
	__u64 start;

	if (!ASSERT_OK(board_log_get(env, THINGS_BOARD_LOG_SLOTS, &head), "read the head"))
		return;
	start = head.seq;
	for (__u32 i = 1; i <= THINGS_BOARD_LOG_SLOTS + 1; i++) {
		struct in6_addr dst;

		snprintf(text, sizeof(text), "log%05u", i);
		dst = app_addr(PREFIX_BOARD, text);
		app_pair(&in, &out, REMOTE, &dst, 0);
		if (!ASSERT_OK(env_run(env, in.b, in.len, &res), "BPF_PROG_TEST_RUN") ||
		    !ASSERT_EQ(res.verdict, XDP_TX, "answered"))
			return;
		if (i == 1 && !ASSERT_OK(board_log_get(env, (__u32)(start % THINGS_BOARD_LOG_SLOTS),
							&first), "read the first event"))
			return;
	}
	if (!ASSERT_OK(board_log_get(env, THINGS_BOARD_LOG_SLOTS, &head), "read the head"))
		return;
	ASSERT_EQ(head.seq, start + THINGS_BOARD_LOG_SLOTS + 1, "events logged");
	ASSERT_EQ(first.seq, start + 1, "the first event's seq");
	ASSERT_MEMEQ(first.msg.text, 8, "log00001", 8, "the first event's text");
	/* Its slot now holds the newest, one round later; the oldest left
	 * is the second. */
	if (ASSERT_OK(board_log_get(env, (__u32)(start % THINGS_BOARD_LOG_SLOTS), &ev), "read")) {
		ASSERT_EQ(ev.seq, start + 1 + THINGS_BOARD_LOG_SLOTS, "the newest event");
		ASSERT_MEMEQ(ev.msg.text, 8, "log04097", 8, "the newest event's text");
		ASSERT_EQ(ev.app_id, APP_BOARD, "the newest event's app");
	}
	if (ASSERT_OK(board_log_get(env, (__u32)((start + 1) % THINGS_BOARD_LOG_SLOTS), &ev),
		      "read")) {
		ASSERT_EQ(ev.seq, start + 2, "the oldest event left");
		ASSERT_MEMEQ(ev.msg.text, 8, "log00002", 8, "the oldest event's text");
	}
}

DEFINE_TEST(board)
{
	if (test_start("literal-address"))
		literal_address(env);
	for (size_t i = 0; i < ARRAY_SIZE(posted); i++)
		if (test_start("posted-%s", posted[i].name))
			post(env, APP_BOARD, PREFIX_BOARD, posted[i].iid, posted[i].stored);
	for (size_t i = 0; i < ARRAY_SIZE(ignored); i++)
		if (test_start("ignored-%s", ignored[i].name))
			refused(env, APP_BOARD, PREFIX_BOARD, ignored[i].iid, ignored[i].reason);
	if (test_start("repeat"))
		repeats(env);
	if (test_start("round-the-ring"))
		round_the_ring(env);
	if (test_start("bad-checksum"))
		bad_checksum(env, APP_BOARD, PREFIX_BOARD);
	if (test_start("no-lines-no-state"))
		no_lines(env);
	if (test_start("lines-clamped"))
		lines_clamped(env);
	if (test_start("vlan-options-padding"))
		tagged_with_options(env);
	if (test_start("silent-posts"))
		post(env, APP_BOARD_SILENT, PREFIX_BOARD_SILENT, "Quiet!!!", "Quiet!!!");
	if (test_start("silent-repeat"))
		refused(env, APP_BOARD_SILENT, PREFIX_BOARD_SILENT, "Quiet!!!",
			THINGS_R_BOARD_REPEAT);
	if (test_start("silent-empty"))
		refused(env, APP_BOARD_SILENT, PREFIX_BOARD_SILENT, "\0\0\0\0\0\0\0",
				THINGS_R_BOARD_EMPTY);
	if (test_start("silent-bad-checksum"))
		bad_checksum(env, APP_BOARD_SILENT, PREFIX_BOARD_SILENT);
	if (test_start("log-round"))
		log_round(env);
}
