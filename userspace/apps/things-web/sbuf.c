// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Text that grows, with the escapes HTML and Prometheus need; shared bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web.h"

static bool grow(struct sbuf *b, size_t more)
{
	size_t cap;
	char *s;

	if (b->failed)
		return false;
	if (b->len + more + 1 <= b->cap)
		return true;
	cap = b->cap ? b->cap : 1024;
	while (cap < b->len + more + 1)
		cap *= 2;
	s = realloc(b->s, cap);
	if (!s) {
		b->failed = true;
		return false;
	}
	b->s = s;
	b->cap = cap;
	return true;
}

void sb_putn(struct sbuf *b, const char *s, size_t n)
{
	if (!grow(b, n))
		return;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void sb_puts(struct sbuf *b, const char *s)
{
	sb_putn(b, s, strlen(s));
}

void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !grow(b, (size_t)n)) {
		b->failed = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* s with each byte that has an entry in subst replaced by it. */
static void sb_escape(struct sbuf *b, const char *s, const char *const subst[256])
{
	const char *run = s;

	for (; *s; s++) {
		const char *e = subst[(unsigned char)*s];

		if (!e)
			continue;
		sb_putn(b, run, (size_t)(s - run));
		sb_puts(b, e);
		run = s + 1;
	}
	sb_putn(b, run, (size_t)(s - run));
}

void sb_html(struct sbuf *b, const char *s)
{
	static const char *const subst[256] = {
		['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;", ['\''] = "&#39;",
	};

	sb_escape(b, s, subst);
}

void sb_label(struct sbuf *b, const char *s)
{
	static const char *const subst[256] = {
		['\\'] = "\\\\", ['"'] = "\\\"", ['\n'] = "\\n",
	};

	sb_escape(b, s, subst);
}

void sb_free(struct sbuf *b)
{
	free(b->s);
	*b = (struct sbuf){ 0 };
}

struct blob *blob_wrap(void *data, size_t len)
{
	struct blob *b = malloc(sizeof(*b));

	if (!b) {
		free(data);
		return NULL;
	}
	atomic_init(&b->refs, 1);
	b->borrowed = false;
	b->account = NULL;
	b->len = len;
	b->data = data;
	return b;
}

struct blob *blob_from_sbuf(struct sbuf *b)
{
	struct blob *out;

	if (b->failed || !grow(b, 0)) {
		sb_free(b);
		return NULL;
	}
	out = blob_wrap(b->s, b->len);
	*b = (struct sbuf){ 0 };
	return out;
}

struct blob *blob_static(const char *data, size_t len)
{
	struct blob *b = malloc(sizeof(*b));

	if (!b)
		return NULL;
	atomic_init(&b->refs, 1);
	b->borrowed = true;
	b->account = NULL;
	b->len = len;
	b->data = (char *)data;
	return b;
}

void blob_account(struct blob *b, atomic_size_t *account)
{
	b->account = account;
	atomic_fetch_add(account, b->len);
}

struct blob *blob_ref(struct blob *b)
{
	if (b)
		atomic_fetch_add(&b->refs, 1);
	return b;
}

void blob_unref(struct blob *b)
{
	if (b && atomic_fetch_sub(&b->refs, 1) == 1) {
		if (b->account)
			atomic_fetch_sub(b->account, b->len);
		if (!b->borrowed)
			free(b->data);
		free(b);
	}
}
