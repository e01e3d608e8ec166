// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The keys of tcp apps, and the steering table built from them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prefix.h"
#include "tcprules.h"

static int parse_port(const char **p, unsigned int *out)
{
	unsigned int v = 0;
	const char *s = *p;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (unsigned int)(*s - '0');
		if (v > 65535)
			return -1;
	}
	if (!v)
		return -1;
	*p = s;
	*out = v;
	return 0;
}

int things_tcp_ports_parse(const char *text, struct things_port_range *r, int *n,
			   const char **why)
{
	const char *p = text;

	*n = 0;
	for (;;) {
		unsigned int lo, hi;

		while (*p == ' ' || *p == '\t')
			p++;
		if (parse_port(&p, &lo)) {
			*why = "ports are numbers from 1 to 65535, or ranges LO-HI, separated by commas";
			return -EINVAL;
		}
		hi = lo;
		if (*p == '-') {
			p++;
			if (parse_port(&p, &hi) || hi < lo) {
				*why = "a port range is LO-HI, LO at most HI, both from 1 to 65535";
				return -EINVAL;
			}
		}
		if (*n == THINGS_TCP_MAX_RANGES) {
			*why = "at most 16 ports or port ranges";
			return -EINVAL;
		}
		for (int i = 0; i < *n; i++)
			if (lo <= r[i].hi && r[i].lo <= hi) {
				*why = "a port is listed twice";
				return -EINVAL;
			}
		r[(*n)++] = (struct things_port_range){ (__u16)lo, (__u16)hi };
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			return 0;
		if (*p++ != ',') {
			*why = "ports are separated by commas";
			return -EINVAL;
		}
	}
}

void things_tcp_ports_format(const struct things_port_range *r, int n, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && used < len; i++) {
		if (r[i].lo == r[i].hi)
			used += (size_t)snprintf(buf + used, len - used, "%s%u", i ? ", " : "", r[i].lo);
		else
			used += (size_t)snprintf(buf + used, len - used, "%s%u-%u", i ? ", " : "",
						 r[i].lo, r[i].hi);
	}
}

bool things_tcp_ports_hold(const struct things_port_range *r, int n, unsigned int port)
{
	for (int i = 0; i < n; i++)
		if (port >= r[i].lo && port <= r[i].hi)
			return true;
	return false;
}

int things_tcp_target_parse(const char *text, int *target, char *path, const char **why)
{
	static const char sb[] = "socketbox:";

	path[0] = '\0';
	if (!strcmp(text, "listen")) {
		*target = THINGS_TCP_LISTEN;
		return 0;
	}
	if (!strncmp(text, sb, sizeof(sb) - 1)) {
		const char *p = text + sizeof(sb) - 1;

		if (p[0] != '/') {
			*why = "a socketbox target is socketbox:/ABSOLUTE/PATH";
			return -EINVAL;
		}
		if (strlen(p) >= THINGS_TCP_PATH_MAX) {
			*why = "a socketbox path is at most 107 bytes (a socket address holds no more)";
			return -EINVAL;
		}
		for (const unsigned char *c = (const unsigned char *)p; *c; c++)
			if (*c < 0x20 || *c == 0x7f) {
				*why = "a socketbox path has no control characters";
				return -EINVAL;
			}
		*target = THINGS_TCP_SOCKETBOX;
		strcpy(path, p);
		return 0;
	}
	if (!strncmp(text, "inetd:", 6) || !strncmp(text, "relay:", 6)) {
		*why = "inetd: and relay: targets are not served by this version yet "
		       "(listen, socketbox:PATH)";
		return -EINVAL;
	}
	*why = "target must be listen or socketbox:PATH";
	return -EINVAL;
}

void things_socketbox_path(const char *tmpl, const unsigned char addr[16], unsigned int port,
			   char *out)
{
	size_t n = strlen(tmpl), i = 0, o = 0;

	while (i < n && o < THINGS_TCP_PATH_MAX - 1) {
		const char *t = tmpl + i;
		int group = -1;

		if (n - i >= 5 && !strncmp(t, "#//", 3) && t[4] == '_') {
			if (t[3] >= '0' && t[3] <= '7')
				group = t[3] - '0';
			else if (t[3] == 'P')
				group = 8;
		}
		if (group < 0 || o + 5 >= THINGS_TCP_PATH_MAX) {
			out[o++] = tmpl[i++];
			continue;
		}
		snprintf(out + o, 6, "%05u",
			 group == 8 ? port : (unsigned int)(addr[2 * group] << 8 | addr[2 * group + 1]));
		o += 5;
		i += 5;
	}
	out[o] = '\0';
}

int things_cmd_split(const char *cmd, char *buf, char **argv, const char **why)
{
	const char *p = cmd;
	char *o = buf;
	int n = 0;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		if (n == THINGS_TCP_EXEC_ARGS) {
			*why = "a command has at most 32 words";
			return -EINVAL;
		}
		argv[n++] = o;
		while (*p && *p != ' ' && *p != '\t') {
			char q = *p;

			if (q != '\'' && q != '"') {
				*o++ = *p++;
				continue;
			}
			for (p++; *p && *p != q; p++) {
				if (q == '"' && *p == '\\' && (p[1] == '"' || p[1] == '\\'))
					p++;
				*o++ = *p;
			}
			if (!*p) {
				*why = "a quote is not closed";
				return -EINVAL;
			}
			p++;
		}
		*o++ = '\0';
	}
	argv[n] = NULL;
	if (!n) {
		*why = "the command is empty";
		return -EINVAL;
	}
	return n;
}

/* ---- the steering table ---- */

static bool prefix_holds(const struct things_prefix_key *outer, const struct things_prefix_key *in)
{
	return outer->prefixlen <= in->prefixlen && things_prefix_contains(outer, in->addr);
}

static void mask_of(const struct things_prefix_key *k, __u64 addr[2], __u64 mask[2])
{
	unsigned char m[16] = { 0 };

	for (unsigned int b = 0; b < k->prefixlen; b++)
		m[b / 8] |= (unsigned char)(0x80 >> (b % 8));
	memcpy(mask, m, 16);
	memcpy(addr, k->addr, 16);
	addr[0] &= mask[0];
	addr[1] &= mask[1];
}

struct cand {
	const struct things_tcp_rule *r;
	int index;
};

/* Most specific first: the longer local prefix, then the longer from. */
static int cand_cmp(const void *a, const void *b)
{
	const struct things_tcp_rule *x = ((const struct cand *)a)->r, *y = ((const struct cand *)b)->r;

	if (x->prefix.prefixlen != y->prefix.prefixlen)
		return x->prefix.prefixlen > y->prefix.prefixlen ? -1 : 1;
	if (x->from.prefixlen != y->from.prefixlen)
		return x->from.prefixlen > y->from.prefixlen ? -1 : 1;
	return ((const struct cand *)a)->index - ((const struct cand *)b)->index;
}

/* The candidates for (port, rule i's prefix), into m; -EINVAL if two of
 * them cannot be ordered. */
static int candidates(const struct things_tcp_rule *rules, int n, int i, unsigned int port,
		      struct things_tcp_match *m, int *bad, const char **why)
{
	static char msg[200];
	struct cand c[THINGS_MAX_APPS];
	int k = 0;

	for (int j = 0; j < n && k < THINGS_MAX_APPS; j++)
		if (prefix_holds(&rules[j].prefix, &rules[i].prefix) &&
		    things_tcp_ports_hold(rules[j].ports, rules[j].n_ports, port))
			c[k++] = (struct cand){ &rules[j], j };
	qsort(c, (size_t)k, sizeof(c[0]), cand_cmp);
	for (int a = 1; a < k; a++) {
		const struct things_tcp_rule *x = c[a - 1].r, *y = c[a].r;

		if (x->prefix.prefixlen == y->prefix.prefixlen &&
		    x->from.prefixlen == y->from.prefixlen &&
		    !memcmp(&x->from, &y->from, sizeof(x->from))) {
			*bad = c[a].index > c[a - 1].index ? c[a].index : c[a - 1].index;
			snprintf(msg, sizeof(msg),
				 "port %u of this prefix is another rule's already, for the same %s: "
				 "neither can win",
				 port, x->from.prefixlen ? "clients (from)" : "clients");
			*why = msg;
			return -EINVAL;
		}
	}
	if (k > THINGS_TCP_CANDIDATES) {
		*bad = i;
		snprintf(msg, sizeof(msg),
			 "more than %d rules may take a connection to port %u of this prefix",
			 THINGS_TCP_CANDIDATES, port);
		*why = msg;
		return -EINVAL;
	}
	memset(m, 0, sizeof(*m));
	m->count = (__u32)k;
	for (int a = 0; a < k; a++) {
		mask_of(&c[a].r->from, m->cand[a].from, m->cand[a].from_mask);
		m->cand[a].app_id = c[a].r->app_id;
	}
	return 0;
}

/* The next port after p (within [p, hi]) where the set of rules holding
 * it may change: one past the end of a range, or the start of one. */
static unsigned int segment_end(const struct things_tcp_rule *rules, int n, unsigned int p,
				unsigned int hi)
{
	unsigned int end = hi;

	for (int j = 0; j < n; j++)
		for (int r = 0; r < rules[j].n_ports; r++) {
			const struct things_port_range *pr = &rules[j].ports[r];

			if (pr->lo > p && pr->lo - 1u < end)
				end = pr->lo - 1u;
			if (pr->hi >= p && pr->hi < end)
				end = pr->hi;
		}
	return end;
}

int things_tcp_build(const struct things_tcp_rule *rules, int n, things_tcp_emit_fn emit,
		     void *arg, int *bad, const char **why)
{
	struct things_tcp_match m;
	struct things_tcp_key key;
	unsigned int keys = 0;
	int err;

	for (int i = 0; i < n; i++) {
		for (int r = 0; r < rules[i].n_ports; r++) {
			unsigned int p = rules[i].ports[r].lo, hi = rules[i].ports[r].hi;

			while (p <= hi) {
				/* The candidates are the same across a segment. */
				unsigned int end = segment_end(rules, n, p, hi);

				err = candidates(rules, n, i, p, &m, bad, why);
				if (err)
					return err;
				keys += end - p + 1;
				if (keys > THINGS_TCP_MAX_KEYS) {
					*bad = i;
					*why = "the tcp apps' ports and prefixes make more than 262144 "
					       "steering entries";
					return -EINVAL;
				}
				for (; emit && p <= end; p++) {
					memset(&key, 0, sizeof(key));
					key.prefixlen = 16 + rules[i].prefix.prefixlen;
					key.port[0] = (__u8)(p >> 8);
					key.port[1] = (__u8)p;
					memcpy(key.addr, rules[i].prefix.addr, 16);
					err = emit(&key, &m, arg);
					if (err)
						return err;
				}
				p = end + 1;
			}
		}
	}
	return (int)keys;
}
