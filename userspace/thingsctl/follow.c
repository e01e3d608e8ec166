// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * board follow: the board's last messages, then its new ones as the data
 * plane logs them, like tail -f. The board_log is polled, not waited on: a
 * read-only reader has no way to be woken, and ten polls a second cost
 * nothing next to a person reading.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "thingsctl.h"

#define TAIL_LINES 10
/* Events read again at the start: a post logged while the board was being
 * read is then printed once (its seq is checked), not lost. */
#define LOOKBACK 64
#define POLL_NS 100000000L
#define EVENTS 256

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

/* SIGINT and SIGTERM end the loop; so does SIGPIPE, whose write then fails
 * with EPIPE instead of killing us half way through a line. */
static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART */

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
}

static void print_missed(const struct ctl_opts *o, __u64 n)
{
	json_object *m;

	if (!o->json) {
		printf("(%llu message%s missed)\n", (unsigned long long)n, n == 1 ? "" : "s");
		return;
	}
	m = json_object_new_object();
	json_object_object_add(m, "missed", json_object_new_uint64(n));
	print_json(o, m);
	json_object_put(m);
}

/* What the reader still wants, and what it has printed. */
struct follower {
	const struct ctl_opts *o;
	__u64 last;		/* the newest seq printed: a board's seqs have no gaps */
	long left;		/* new messages until --count is met; < 0: no end */
};

/* Prints msg unless it was printed already; false when --count is met. */
static bool follow_msg(struct follower *f, const struct things_board_msg *msg)
{
	json_object *m;

	if (msg->seq <= f->last)
		return true;
	/* Exact for this board, whatever else the log lost: each of its
	 * posts is logged once, numbered in order. */
	if (msg->seq > f->last + 1)
		print_missed(f->o, msg->seq - f->last - 1);
	m = appstate_msg_json(msg);
	board_print_line(f->o, m);
	json_object_put(m);
	f->last = msg->seq;
	return !f->left || --f->left;
}

/* The board's last lines, oldest first; 0 or the exit status. */
static int print_tail(struct follower *f, const struct appstate_app *app)
{
	json_object *msgs = board_messages(f->o, app, TAIL_LINES);
	size_t n;

	if (!msgs)
		return EXIT_FAILURE;
	n = json_object_array_length(msgs);
	for (size_t i = n; i > 0; i--)
		board_print_line(f->o, json_object_array_get_idx(msgs, i - 1));
	if (n)
		f->last = json_object_get_uint64(
			json_object_object_get(json_object_array_get_idx(msgs, 0), "seq"));
	json_object_put(msgs);
	return 0;
}

/* Polls until a signal, --count, or a failure; the exit status. */
static int follow_log(struct follower *f, int log_fd, __u32 app_id, __u64 pos)
{
	struct things_board_event ev[EVENTS];
	char why[APPSTATE_WHY_LEN];
	__u64 lost = 0;
	bool more = true;
	int n = EVENTS;

	while (!stopping && more) {
		if (n < EVENTS)
			nanosleep(&(struct timespec){ .tv_nsec = POLL_NS }, NULL);
		n = appstate_log_read(log_fd, &pos, app_id, ev, EVENTS, &lost, why, sizeof(why));
		if (n < 0)
			return fail("%s", why);
		for (int i = 0; i < n && more; i++)
			more = follow_msg(f, &ev[i].msg);
		if (fflush(stdout)) {
			/* a reader that went away is the normal end of a pipe */
			if (errno == EPIPE)
				return EXIT_SUCCESS;
			return fail("cannot write to standard output: %s", strerror(errno));
		}
	}
	return EXIT_SUCCESS;
}

int cmd_board_follow(const struct ctl_opts *o, const char *cmd, int argc, char **argv)
{
	struct follower f = { .o = o, .left = o->count };
	char why[APPSTATE_WHY_LEN];
	struct appstate_app app;
	__u64 head;
	int fd, ret;

	ret = view_find_app(o, cmd, argc, argv, 1, "NAME", THINGS_KIND_BOARD, &app);
	if (ret)
		return ret;
	fd = appstate_open_pin(o->pin_dir, THINGS_PIN_BOARD_LOG, false, why, sizeof(why));
	if (fd < 0)
		return fail("%s", why);
	/* The head before the board, so nothing falls between the two. */
	if (appstate_log_head(fd, &head, why, sizeof(why))) {
		ret = fail("%s", why);
		goto out;
	}
	catch_signals();
	ret = print_tail(&f, &app);
	if (!ret)
		ret = follow_log(&f, fd, app.id, head > LOOKBACK ? head - LOOKBACK : 0);
out:
	close(fd);
	return ret;
}
