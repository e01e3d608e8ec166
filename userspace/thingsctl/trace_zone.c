// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * trace zone: the reverse zone of a trace app, so that a traceroute shows
 * the stories' names: a PTR record (nibble format) for every hop address
 * in the app's prefix, in zone-file syntax or as tinydns-data lines. The
 * names come from story files, anyone's text: each is made a DNS name no
 * zone parser can misread (dnsname.h).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dnsname.h"
#include "prefix.h"
#include "thingsctl.h"

struct zone_opts {
	const char *ns, *mbox;
	unsigned long ttl, serial;
	bool tinydns;
};

struct ptr {
	unsigned char addr[16];
	const char *name;
};

static int by_addr(const void *a, const void *b)
{
	return memcmp(((const struct ptr *)a)->addr, ((const struct ptr *)b)->addr, 16);
}

/* Every hop address once (the map gives an address one name). */
static struct ptr *collect(const struct appstate_story *s, int n, size_t *count)
{
	size_t total = 0, k = 0;
	struct ptr *p;

	for (int i = 0; i < n; i++)
		total += s[i].n_slots;
	p = calloc(total ? total : 1, sizeof(*p));
	if (!p)
		return NULL;
	for (int i = 0; i < n; i++)
		for (unsigned int j = 0; j < s[i].n_slots; j++)
			if (s[i].slots[j].name[0]) {
				memcpy(p[k].addr, s[i].slots[j].addr, 16);
				p[k++].name = s[i].slots[j].name;
			}
	qsort(p, k, sizeof(*p), by_addr);
	*count = 0;
	for (size_t i = 0; i < k; i++)
		if (!*count || memcmp(p[*count - 1].addr, p[i].addr, 16))
			p[(*count)++] = p[i];
	return p;
}

static int parse_number(const char *word, const char *text, unsigned long max,
			unsigned long *out)
{
	char *end;

	*out = strtoul(text, &end, 10);
	if (*text < '0' || *text > '9' || *end || *out > max)
		return usage_error("%s wants a whole number from 0 to %lu, not '%s'", word, max, text);
	return 0;
}

static int parse_zone_opts(int argc, char **argv, struct zone_opts *z)
{
	for (int i = 0; i < argc; i++) {
		const char *w = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(w, "tinydns")) {
			z->tinydns = true;
			continue;
		}
		if (strcmp(w, "ns") && strcmp(w, "mbox") && strcmp(w, "ttl") && strcmp(w, "serial"))
			return usage_error("unexpected argument '%s' (ns, mbox, ttl, serial, tinydns)",
					   w);
		if (!v)
			return usage_error("'%s' needs a value", w);
		i++;
		if (!strcmp(w, "ns"))
			z->ns = v;
		else if (!strcmp(w, "mbox"))
			z->mbox = v;
		else if (parse_number(w, v, 0x7fffffff, !strcmp(w, "ttl") ? &z->ttl : &z->serial))
			return EXIT_USAGE;
		if (!strcmp(w, "serial") && z->serial > 0xffffffffUL)
			return usage_error("serial must fit in 32 bits");
	}
	return 0;
}

static void zone_file(const struct appstate_app *app, const struct zone_opts *z,
		      const struct ptr *p, size_t n)
{
	char origin[THINGS_ARPA_NAME_LEN], owner[THINGS_ARPA_NAME_LEN], pfx[THINGS_PREFIX_STRLEN];
	char ns[THINGS_DNS_NAME_LEN], mbox[THINGS_DNS_NAME_LEN], name[THINGS_DNS_NAME_LEN];
	char addr[INET6_ADDRSTRLEN];
	unsigned int nib = app->app.prefix.prefixlen / 4;

	things_arpa_name(app->app.prefix.addr, nib, origin);
	things_dns_name(z->ns, THINGS_DNS_ZONE, ns);
	things_dns_name(z->mbox, THINGS_DNS_ZONE, mbox);
	printf("; the reverse zone of trace app '%s' (%s): thingsctl trace zone\n",
	       app->app.name, things_prefix_format(&app->app.prefix, pfx, sizeof(pfx)));
	printf("$ORIGIN %s\n$TTL %lu\n", origin, z->ttl);
	printf("@ IN SOA %s %s %lu 3600 600 604800 %lu\n", ns, mbox, z->serial, z->ttl);
	printf("@ IN NS %s\n", ns);
	for (size_t i = 0; i < n; i++) {
		inet_ntop(AF_INET6, p[i].addr, addr, sizeof(addr));
		if (!things_prefix_contains(&app->app.prefix, p[i].addr)) {
			printf("; %s is outside %s: its PTR belongs in another zone\n", addr, pfx);
			continue;
		}
		things_arpa_name(p[i].addr, 32, owner);
		things_dns_name(p[i].name, THINGS_DNS_ZONE, name);
		printf("%s IN PTR %s ; %s\n", owner, name, addr);
	}
}

static void tinydns(const struct appstate_app *app, const struct zone_opts *z,
		    const struct ptr *p, size_t n)
{
	char origin[THINGS_ARPA_NAME_LEN], owner[THINGS_ARPA_NAME_LEN];
	char ns[THINGS_DNS_NAME_LEN], mbox[THINGS_DNS_NAME_LEN], name[THINGS_DNS_NAME_LEN];

	things_arpa_name(app->app.prefix.addr, app->app.prefix.prefixlen / 4, origin);
	origin[strlen(origin) - 1] = '\0';	/* tinydns-data: no final dot */
	things_dns_name(z->ns, THINGS_DNS_TINYDNS, ns);
	things_dns_name(z->mbox, THINGS_DNS_TINYDNS, mbox);
	printf("Z%s:%s:%s:%lu::::::%lu\n", origin, ns, mbox, z->serial, z->ttl);
	printf("&%s::%s:%lu\n", origin, ns, z->ttl);
	for (size_t i = 0; i < n; i++) {
		if (!things_prefix_contains(&app->app.prefix, p[i].addr))
			continue;
		things_arpa_name(p[i].addr, 32, owner);
		owner[strlen(owner) - 1] = '\0';
		things_dns_name(p[i].name, THINGS_DNS_TINYDNS, name);
		printf("^%s:%s:%lu\n", owner, name, z->ttl);
	}
}

int cmd_trace_zone(const struct ctl_opts *o, const char *cmd, int argc, char **argv)
{
	struct zone_opts z = { .ns = "localhost", .mbox = "hostmaster.localhost", .ttl = 300,
			       .serial = (unsigned long)time(NULL) & 0xffffffffUL };
	struct appstate_story *stories;
	char why[APPSTATE_WHY_LEN];
	struct appstate_app app;
	struct ptr *ptrs;
	size_t count;
	int n, ret;

	if (o->json)
		return usage_error("'%s' writes a zone, not JSON", cmd);
	ret = parse_zone_opts(argc - 1, argv + 1, &z);
	if (!ret)
		ret = view_find_app(o, cmd, argc ? 1 : 0, argv, 1, "NAME", THINGS_KIND_TRACE, &app);
	if (ret)
		return ret;
	n = appstate_stories_read(o->pin_dir, &app, &stories, why, sizeof(why));
	if (n < 0)
		return fail("%s", why);
	ptrs = collect(stories, n, &count);
	if (!ptrs) {
		appstate_stories_free(stories, n);
		return fail("out of memory for the names");
	}
	if (z.tinydns)
		tinydns(&app, &z, ptrs, count);
	else
		zone_file(&app, &z, ptrs, count);
	free(ptrs);
	appstate_stories_free(stories, n);
	return fflush(stdout) ? fail("cannot write the zone") : EXIT_SUCCESS;
}
