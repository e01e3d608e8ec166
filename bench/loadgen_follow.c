// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * loadgen follow: a live reader of the board_log, as `thingsctl board
 * follow` reads it (appstate_log_read, 256 events a call, a sleep once it
 * has caught up) but printing nothing per event, so what it misses is what
 * the log and the library let a reader miss at the rate the board is fed.
 * It runs beside `loadgen send --kind board`, on another CPU.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "appstate.h"
#include "loadgen_cmd.h"
#include "log.h"

#define EVENTS 256

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

/* What was read, and what was wrong with it. */
struct tally {
	__u64 events, missed, reads, sleeps;
	__u64 last_seq;		/* the board's numbering: it only grows */
	__u64 out_of_order, bad_text;
};

/* A board text as the data plane stores it: printable ASCII, then NULs,
 * not empty. */
static bool text_whole(const char *text)
{
	int len = THINGS_BOARD_TEXT;

	while (len && !text[len - 1])
		len--;
	for (int i = 0; i < len; i++)
		if (text[i] < 0x20 || text[i] > 0x7e)
			return false;
	return len > 0;
}

static void tally_events(struct tally *t, const struct things_board_event *ev, int n)
{
	for (int i = 0; i < n; i++) {
		const struct things_board_msg *m = &ev[i].msg;

		if (m->seq <= t->last_seq)
			t->out_of_order++;
		t->last_seq = m->seq;
		if (!text_whole(m->text))
			t->bad_text++;
	}
	t->events += (__u64)n;
}

/* Reads until a signal, then until it has caught up with the head. */
static int follow(const struct loadgen_follow_opts *o, int fd, __u32 app_id, __u64 *pos,
		  struct tally *t)
{
	struct timespec pause = { .tv_sec = o->poll_us / 1000000,
				  .tv_nsec = (long)(o->poll_us % 1000000) * 1000 };
	struct things_board_event ev[EVENTS];
	char why[APPSTATE_WHY_LEN];
	int n;

	for (;;) {
		n = appstate_log_read(fd, pos, app_id, ev, EVENTS, &t->missed, why, sizeof(why));
		if (n < 0) {
			pr_err("%s\n", why);
			return n;
		}
		t->reads++;
		tally_events(t, ev, n);
		if (n == EVENTS)
			continue;
		/* The sender has stopped before the signal: this read was the
		 * last there is. */
		if (stopping)
			return 0;
		if (o->poll_us) {
			nanosleep(&pause, NULL);
			t->sleeps++;
		}
	}
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int loadgen_follow(const struct loadgen_follow_opts *o)
{
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART */
	char why[APPSTATE_WHY_LEN];
	struct appstate_app app;
	struct tally t = {};
	__u64 head, pos;
	double start;
	int fd, err;

	if (loadgen_pin_cpu(o->cpu))
		return 1;
	if (appstate_find_app(o->pin_dir, o->app, &app, why, sizeof(why)) ||
	    appstate_check_kind(&app, THINGS_KIND_BOARD, why, sizeof(why))) {
		pr_err("%s\n", why);
		return 1;
	}
	fd = appstate_open_pin(o->pin_dir, THINGS_PIN_BOARD_LOG, false, why, sizeof(why));
	if (fd < 0) {
		pr_err("%s\n", why);
		return 1;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (appstate_log_head(fd, &head, why, sizeof(why))) {
		pr_err("%s\n", why);
		err = -EIO;
		goto out;
	}
	/* Only what is logged from now on: the caller starts sending once it
	 * has read this line. */
	printf("{\"head\": %llu}\n", (unsigned long long)head);
	fflush(stdout);
	pos = head;
	start = now_seconds();
	err = follow(o, fd, app.id, &pos, &t);
	if (err)
		goto out;
	printf("{\"start\": %llu, \"end\": %llu, \"logged\": %llu, \"events\": %llu,"
	       " \"missed\": %llu, \"reads\": %llu, \"sleeps\": %llu, \"out_of_order\": %llu,"
	       " \"bad_text\": %llu, \"poll_us\": %u, \"slots\": %u, \"seconds\": %.6f}\n",
	       (unsigned long long)head, (unsigned long long)pos,
	       (unsigned long long)(pos - head), (unsigned long long)t.events,
	       (unsigned long long)t.missed, (unsigned long long)t.reads,
	       (unsigned long long)t.sleeps, (unsigned long long)t.out_of_order,
	       (unsigned long long)t.bad_text, o->poll_us, THINGS_BOARD_LOG_SLOTS,
	       now_seconds() - start);
	fflush(stdout);
out:
	close(fd);
	return err ? 1 : 0;
}
