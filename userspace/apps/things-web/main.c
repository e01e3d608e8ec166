// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* things-web: options, the listening addresses, and the life of the process. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "text.h"
#include "web.h"

#define DEFAULT_LISTEN "[::1]:8080"

enum {
	OPT_PIN_DIR = 256, OPT_LISTEN, OPT_INTERVAL, OPT_FRAME, OPT_THREADS, OPT_TIMEOUT,
	OPT_MAX_CLIENTS, OPT_MAX_PER_IP, OPT_VERSION,
};

static const struct option long_opts[] = {
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "pin-dir", required_argument, NULL, OPT_PIN_DIR },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "frame-interval", required_argument, NULL, OPT_FRAME },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "max-clients", required_argument, NULL, OPT_MAX_CLIENTS },
	{ "max-per-ip", required_argument, NULL, OPT_MAX_PER_IP },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: things-web [OPTIONS]\n\n"
		"A live web view of the IPv6 Things apps (board, tree, canvas) and Prometheus\n"
		"metrics, read from thingsd's pinned maps, which it opens read-only.\n\n"
		"  --listen ADDR:PORT     listen here; repeatable (default " DEFAULT_LISTEN ");\n"
		"                         an IPv6 address in brackets: [2001:db8::1]:8080\n"
		"  --pin-dir DIR          thingsd's pinned maps (default " THINGS_PIN_DIR ")\n"
		"  --interval MS          how often watched apps are looked at (default %d)\n"
		"  --frame-interval MS    the least time between two canvas frames (default %d)\n"
		"  --threads N            threads per listening address (default: CPUs, 2 to 8)\n"
		"  --timeout SEC          close connections idle this long (default %d)\n"
		"  --max-clients N        connections per listening address (default %d)\n"
		"  --max-per-ip N         connections from one address (default: no limit)\n"
		"  -v, --verbose          more log output; -vv logs every request\n"
		"  --version              the version\n"
		"  -h, --help             this text\n\n"
		"Pages: / (the apps), /board/NAME, /tree/NAME, /canvas/NAME, /canvas/NAME.png;\n"
		"JSON: /api/apps, /api/stats, /api/ifaces, /api/board/NAME, /api/tree/NAME,\n"
		"/api/canvas/NAME; events: /events/apps, /events/KIND/NAME; /metrics.\n\n"
		"Exit status: 0 stopped by a signal, 1 failure, 2 usage error.\n",
		WEB_DEF_INTERVAL_MS, WEB_DEF_FRAME_MS, WEB_DEF_TIMEOUT_S, WEB_DEF_MAX_CLIENTS);
}

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
	char msg[512], safe[4 * sizeof(msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	things_escape(safe, sizeof(safe), msg);
	fprintf(stderr, "things-web: %s\nTry 'things-web --help'.\n", safe);
	return EXIT_USAGE;
}

static int parse_uint(const char *opt, const char *text, unsigned int min, unsigned int max,
		      unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(text, &end, 10);
	if (end == text || *end || errno || *text == '-' || v < min || v > max)
		return usage_error("%s wants a whole number from %u to %u, not '%s'", opt, min, max,
				   text);
	*out = (unsigned int)v;
	return 0;
}

/* "[v6]:port" or "v4:port", numeric only: a name would need a resolver. */
static int parse_listen(const char *text, struct web_listen *l)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE };
	char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	const char *port, *colon = strrchr(text, ':');
	struct addrinfo *res;
	size_t hlen;
	int err;

	if (strlen(text) >= sizeof(l->text) || !colon || !colon[1])
		return usage_error("--listen wants ADDR:PORT, such as [::1]:8080, not '%s'", text);
	port = colon + 1;
	hlen = (size_t)(colon - text);
	if (text[0] == '[') {
		if (hlen < 3 || text[hlen - 1] != ']')
			return usage_error("--listen: '%s' has an unclosed '['", text);
		text++;
		hlen -= 2;
	} else if (memchr(text, ':', hlen)) {
		return usage_error("--listen: an IPv6 address goes in brackets: [%.*s]:%s",
				   (int)hlen, text, port);
	}
	if (hlen >= sizeof(host))
		return usage_error("--listen: '%.*s' is no address", (int)hlen, text);
	memcpy(host, text, hlen);
	host[hlen] = '\0';
	err = getaddrinfo(host, port, &hints, &res);
	if (err)
		return usage_error("--listen: '%s' port '%s': %s", host, port, gai_strerror(err));
	memcpy(&l->addr, res->ai_addr, res->ai_addrlen);
	l->len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static unsigned int default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 2 ? 2 : n > 8 ? 8 : (unsigned int)n;
}

static int parse_options(int argc, char **argv, struct web_opts *o, bool *done)
{
	int opt, err = 0;

	while (!err && (opt = getopt_long(argc, argv, "vh", long_opts, NULL)) != -1) {
		switch (opt) {
		case OPT_LISTEN:
			if (o->n_listen == WEB_MAX_LISTEN)
				return usage_error("at most %d --listen addresses", WEB_MAX_LISTEN);
			err = parse_listen(optarg, &o->listen[o->n_listen]);
			snprintf(o->listen[o->n_listen++].text, sizeof(o->listen[0].text), "%s",
				 optarg);
			break;
		case OPT_PIN_DIR:
			o->pin_dir = optarg;
			break;
		case OPT_INTERVAL:
			err = parse_uint("--interval", optarg, 1, 60000, &o->interval_ms);
			break;
		case OPT_FRAME:
			err = parse_uint("--frame-interval", optarg, 0, 60000, &o->frame_ms);
			break;
		case OPT_THREADS:
			err = parse_uint("--threads", optarg, 1, 256, &o->threads);
			break;
		case OPT_TIMEOUT:
			err = parse_uint("--timeout", optarg, 1, 86400, &o->timeout_s);
			break;
		case OPT_MAX_CLIENTS:
			err = parse_uint("--max-clients", optarg, 1, 1000000, &o->max_clients);
			break;
		case OPT_MAX_PER_IP:
			err = parse_uint("--max-per-ip", optarg, 0, 1000000, &o->max_per_ip);
			break;
		case 'v':
			o->verbose++;
			break;
		case OPT_VERSION:
			printf("things-web %s\n", THINGS_WEB_VERSION);
			*done = true;
			return 0;
		case 'h':
			usage(stdout);
			*done = true;
			return 0;
		default:
			return usage_error("unknown option or missing argument: '%s'",
					   argv[optind - 1]);
		}
	}
	if (!err && optind < argc)
		err = usage_error("unexpected argument '%s'", argv[optind]);
	if (!err && !o->n_listen) {
		err = parse_listen(DEFAULT_LISTEN, &o->listen[0]);
		snprintf(o->listen[o->n_listen++].text, sizeof(o->listen[0].text), DEFAULT_LISTEN);
	}
	return err;
}

int main(int argc, char **argv)
{
	struct web_opts o = {
		.pin_dir = THINGS_PIN_DIR,
		.interval_ms = WEB_DEF_INTERVAL_MS,
		.frame_ms = WEB_DEF_FRAME_MS,
		.threads = default_threads(),
		.timeout_s = WEB_DEF_TIMEOUT_S,
		.max_clients = WEB_DEF_MAX_CLIENTS,
	};
	struct server *servers[WEB_MAX_LISTEN] = { 0 };
	char why[APPSTATE_WHY_LEN];
	struct appstate_app *apps;
	static struct hub hub;
	bool done = false;
	int ret, sig;
	sigset_t set;

	ret = parse_options(argc, argv, &o, &done);
	if (ret || done)
		return ret;
	things_log_set_ident("things-web");
	things_log_set_level(o.verbose > 1 ? THINGS_LOG_DEBUG :
			     o.verbose ? THINGS_LOG_INFO : THINGS_LOG_WARN);
	things_log_libbpf();

	/* Signals are taken by sigwait() here, never by the server threads,
	 * which inherit this mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* Not fatal: the pages say so until thingsd has made the pins. */
	apps = malloc(THINGS_MAX_APPS * sizeof(*apps));
	if (apps && appstate_read_apps(o.pin_dir, apps, why, sizeof(why)) < 0)
		pr_warn("%s; serving anyway\n", why);
	free(apps);

	if (hub_start(&hub, &o))
		return EXIT_FAILURE;
	ret = EXIT_SUCCESS;
	for (unsigned int i = 0; i < o.n_listen; i++) {
		servers[i] = server_start(&hub, &o, &o.listen[i]);
		if (!servers[i]) {
			ret = EXIT_FAILURE;
			goto stop;
		}
		pr_info("listening on http://%s/\n", o.listen[i].text);
	}
	do {
		if (sigwait(&set, &sig))
			break;
		if (sig == SIGHUP)
			pr_info("SIGHUP: nothing to reload, the pins are read at each request\n");
	} while (sig == SIGHUP);
	pr_info("stopping\n");
stop:
	hub_close(&hub);
	for (unsigned int i = 0; i < o.n_listen; i++)
		server_stop(servers[i]);
	hub_destroy(&hub);
	return ret;
}
