# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Everything is built into $(BUILD). `make help` lists the targets.

# SANITIZE=1: userspace with ASan and UBSan (LeakSanitizer included), in a
# build folder of its own so the two kinds of objects never mix.
SANITIZE  ?=
ifeq ($(SANITIZE),1)
BUILD     ?= build/sanitize
else
BUILD     ?= build
endif
CLANG     ?= clang
CC        ?= gcc
BPFTOOL   ?= bpftool
PYTHON    ?= /usr/bin/python3

ARCH      := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
MULTIARCH := $(shell $(CC) -dumpmachine 2>/dev/null)

BPF_CFLAGS := -target bpf -O2 -g -Wall -Werror -D__TARGET_ARCH_$(ARCH) \
	      -I/usr/include/$(MULTIARCH) -Imaps
# CFLAGS and LDFLAGS are the user's (`make CFLAGS=-O0`); what the build
# cannot do without is in THINGS_CFLAGS, which the command line leaves alone.
CFLAGS     ?= -O2 -g
LDFLAGS    ?=
THINGS_CFLAGS := -Wall -Wextra -Werror -std=gnu11 -Imaps -Iuserspace/lib -I$(BUILD)
ifeq ($(SANITIZE),1)
SAN_FLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
THINGS_CFLAGS += $(SAN_FLAGS)
THINGS_LDFLAGS := $(SAN_FLAGS)
endif
CC_ALL      = $(CC) $(CFLAGS) $(THINGS_CFLAGS)
LINK_FLAGS  = $(LDFLAGS) $(THINGS_LDFLAGS)
LDLIBS     := -lbpf -lelf -lz -lmnl -ljson-c -linih
DAEMON_LDLIBS := -lxdp $(LDLIBS)

# Debian packages the build, the tests, the demo and the benchmarks use.
DEB_PACKAGES := clang llvm libbpf-dev libxdp-dev bpftool xdp-tools libelf-dev \
	zlib1g-dev pkg-config gcc make iproute2 iputils-ping ndisc6 traceroute \
	python3 python3-pytest python3-scapy libinih-dev libjson-c-dev libmnl-dev \
	ndppd ethtool libpng-dev python3-pil libmicrohttpd-dev chromium chromium-driver \
	python3-selenium prometheus wrk curl iputils-tracepath nsd bind9-dnsutils bind9-utils \
	busybox nginx haproxy socat openssh-server libclang-rt-14-dev libcap2-bin systemd

BPF_SRCS   := $(wildcard bpf/*.bpf.c)
BPF_OBJS   := $(patsubst bpf/%.bpf.c,$(BUILD)/%.bpf.o,$(BPF_SRCS))
SKELS      := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))
BPF_HDRS   := $(wildcard bpf/lib/*.h) $(wildcard bpf/apps/*.h) $(wildcard maps/*.h)

LIB_SRCS   := $(wildcard userspace/lib/*.c)
LIB_OBJS   := $(patsubst userspace/lib/%.c,$(BUILD)/lib/%.o,$(LIB_SRCS))
LIB_HDRS   := $(wildcard userspace/lib/*.h) $(wildcard maps/*.h)
LIBTHINGS  := $(BUILD)/libthings.a

SELFTEST_SRCS := $(wildcard selftests/*.c)
SELFTEST_HDRS := $(wildcard selftests/*.h)
SELFTEST_BIN  := $(BUILD)/selftests/test_things

TESTRUN_BIN := $(BUILD)/xdp-testrun
XDP_PASS_OBJ := $(BUILD)/xdp_pass.bpf.o
RTNL_TOOL_BIN := $(BUILD)/rtnl-tool

THINGSD_SRCS   := $(wildcard userspace/thingsd/*.c)
THINGSD_HDRS   := $(wildcard userspace/thingsd/*.h)
THINGSD_BIN    := $(BUILD)/thingsd
THINGSCTL_SRCS := $(wildcard userspace/thingsctl/*.c)
THINGSCTL_HDRS := $(wildcard userspace/thingsctl/*.h)
THINGSCTL_BIN  := $(BUILD)/thingsctl
THINGS_PING_SRCS := $(wildcard userspace/things-ping/*.c)
THINGS_PING_HDRS := $(wildcard userspace/things-ping/*.h)
THINGS_PING_BIN  := $(BUILD)/things-ping
THINGS_WEB_SRCS  := $(wildcard userspace/apps/things-web/*.c)
THINGS_WEB_HDRS  := $(wildcard userspace/apps/things-web/*.h)
THINGS_WEB_BIN   := $(BUILD)/things-web

BENCH_BPF_SRCS := $(wildcard bench/*.bpf.c)
BENCH_BPF_OBJS := $(patsubst bench/%.bpf.c,$(BUILD)/bench/%.bpf.o,$(BENCH_BPF_SRCS))
BENCH_SRCS     := $(wildcard bench/*.c)
# loadgen*.c is the throughput benchmark's own program; the rest is micro,
# and trie.c is both's.
LOADGEN_ONLY   := $(filter-out %.bpf.c,$(wildcard bench/loadgen*.c))
LOADGEN_SRCS   := $(LOADGEN_ONLY) bench/trie.c
# tcpbench.c: the TCP server and client of bench/tcp.py and tests/test_tcp.py.
TCPBENCH_SRCS  := bench/tcpbench.c
BENCH_C_SRCS   := $(filter-out %.bpf.c $(LOADGEN_ONLY) $(TCPBENCH_SRCS),$(BENCH_SRCS))
BENCH_HDRS     := $(wildcard bench/*.h)
BENCH_BIN      := $(BUILD)/bench/micro
LOADGEN_BIN    := $(BUILD)/bench/loadgen
TCPBENCH_BIN   := $(BUILD)/bench/tcpbench

.PHONY: all deps selftest test test-sanitize demo bench bench-micro bench-check bench-baseline install clean help \
	fuzz fuzz-build fuzz-smoke fuzz-dataplane
.DELETE_ON_ERROR:

all: $(BPF_OBJS) $(SKELS) $(LIBTHINGS) $(XDP_PASS_OBJ) $(THINGSD_BIN) $(if $(THINGSCTL_SRCS),$(THINGSCTL_BIN)) $(if $(THINGS_PING_SRCS),$(THINGS_PING_BIN)) $(if $(THINGS_WEB_SRCS),$(THINGS_WEB_BIN)) $(SELFTEST_BIN) $(TESTRUN_BIN) $(RTNL_TOOL_BIN) \
     $(BENCH_BPF_OBJS) $(if $(BENCH_C_SRCS),$(BENCH_BIN)) $(LOADGEN_BIN) $(TCPBENCH_BIN)

help:
	@echo "make            build everything into $(BUILD)/"
	@echo "make deps       install the Debian packages (apt-get; idempotent)"
	@echo "make selftest   run the BPF_PROG_TEST_RUN selftests"
	@echo "make test       deps + build + selftests + short fuzzing + pytest suite"
	@echo "make test-sanitize  the suite again against SANITIZE=1's build"
	@echo "make fuzz       libFuzzer, FUZZ_SECONDS per target (FUZZ_TARGETS)"
	@echo "make fuzz-dataplane SECONDS=N  the data plane against its model"
	@echo "make demo       deps + build + a live demo in network namespaces"
	@echo "make bench      deps + build + throughput against the kernel, ndppd and"
	@echo "                a minimal XDP responder, and the micro-benchmark (BENCH_ARGS);"
	@echo "                then TCP connections through listen and socketbox (TCP_BENCH_ARGS),"
	@echo "                then relay and inetd beside direct and socat (RELAY_BENCH_ARGS)"
	@echo "make bench-micro  ns/packet micro-benchmark"
	@echo "make bench-check  the micro-benchmark against bench/baseline.json: fails on a"
	@echo "                regression (BENCH_CHECK_ARGS, e.g. --tolerance 0.15)"
	@echo "make bench-baseline  write bench/baseline.json from a run of this machine"
	@echo "make install    thingsd, thingsctl, man pages, systemd unit (PREFIX, DESTDIR)"
	@echo "make SANITIZE=1 ...  the same with ASan and UBSan, into build/sanitize/"
	@echo "make clean      remove $(BUILD)/"

deps:
	@missing=""; \
	for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${db:Status-Abbrev}' $$p 2>/dev/null | grep -q '^ii' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "deps: installing$$missing"; \
		# The servers are for the tests, which start their own in \
		# namespaces: their packages must not start them on the host. \
		policy=""; \
		if [ ! -e /usr/sbin/policy-rc.d ]; then \
			policy=/usr/sbin/policy-rc.d; \
			printf '#!/bin/sh\nexit 101\n' > $$policy && chmod 755 $$policy; \
		fi; \
		apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
		rc=$$?; [ -z "$$policy" ] || rm -f $$policy; exit $$rc; \
	else \
		echo "deps: all $(words $(DEB_PACKAGES)) Debian packages are installed"; \
	fi

$(BUILD) $(BUILD)/lib $(BUILD)/selftests $(BUILD)/bench:
	@mkdir -p $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) | $(BUILD)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(BPFTOOL) gen skeleton $< > $@

$(BUILD)/lib/%.o: userspace/lib/%.c $(LIB_HDRS) | $(BUILD)/lib
	$(CC_ALL) -c $< -o $@

$(LIBTHINGS): $(LIB_OBJS)
	$(AR) rcs $@ $^

$(SELFTEST_BIN): $(SELFTEST_SRCS) $(SELFTEST_HDRS) $(SKELS) $(LIBTHINGS) | $(BUILD)/selftests
	$(CC_ALL) -Iselftests $(SELFTEST_SRCS) $(LIBTHINGS) $(LDLIBS) $(LINK_FLAGS) -o $@

$(THINGSD_BIN): $(THINGSD_SRCS) $(THINGSD_HDRS) $(SKELS) $(LIBTHINGS) $(LIB_HDRS) | $(BUILD)
	$(CC_ALL) -Iuserspace/thingsd $(THINGSD_SRCS) $(LIBTHINGS) $(DAEMON_LDLIBS) $(LINK_FLAGS) -o $@

$(THINGSCTL_BIN): $(THINGSCTL_SRCS) $(THINGSCTL_HDRS) $(LIBTHINGS) $(LIB_HDRS) | $(BUILD)
	$(CC_ALL) -Iuserspace/thingsctl $(THINGSCTL_SRCS) $(LIBTHINGS) $(LDLIBS) -lpng $(LINK_FLAGS) -o $@

# The web view: a separate program that reads the pins, never writes them.
$(THINGS_WEB_BIN): $(THINGS_WEB_SRCS) $(THINGS_WEB_HDRS) $(LIBTHINGS) $(LIB_HDRS) | $(BUILD)
	$(CC_ALL) -Iuserspace/apps/things-web $(THINGS_WEB_SRCS) $(LIBTHINGS) $(LDLIBS) -lpng -lmicrohttpd -lpthread $(LINK_FLAGS) -o $@

# The client needs no daemon and no pins: libthings only for prefixes.
$(THINGS_PING_BIN): $(THINGS_PING_SRCS) $(THINGS_PING_HDRS) $(LIBTHINGS) $(LIB_HDRS) | $(BUILD)
	$(CC_ALL) -Iuserspace/things-ping $(THINGS_PING_SRCS) $(LIBTHINGS) -lpng $(LINK_FLAGS) -o $@

TESTRUN_SRCS := tests/helpers/xdp_testrun.c tests/helpers/xdp_testrun_json.c
$(TESTRUN_BIN): $(TESTRUN_SRCS) tests/helpers/xdp_testrun.h $(LIBTHINGS) $(LIB_HDRS) | $(BUILD)
	$(CC_ALL) -Itests/helpers $(TESTRUN_SRCS) $(LIBTHINGS) $(LDLIBS) $(LINK_FLAGS) -o $@

$(RTNL_TOOL_BIN): tests/helpers/rtnl_tool.c $(LIBTHINGS) $(LIB_HDRS) | $(BUILD)
	$(CC_ALL) $< $(LIBTHINGS) $(LDLIBS) $(LINK_FLAGS) -o $@

$(XDP_PASS_OBJ): tests/helpers/xdp_pass.bpf.c | $(BUILD)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bench/%.bpf.o: bench/%.bpf.c $(BPF_HDRS) $(BENCH_HDRS) | $(BUILD)/bench
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# The micro-benchmark's harnesses hold the programs they time compiled in.
$(BUILD)/bench/harness_things.bpf.o: bpf/things.bpf.c
$(BUILD)/bench/harness_minimal.bpf.o: bench/minimal.bpf.c
$(BUILD)/bench/harness_nop.bpf.o: bench/nop.bpf.c

$(BENCH_BIN): $(BENCH_C_SRCS) $(BENCH_HDRS) $(LIBTHINGS) $(LIB_HDRS) $(SKELS) | $(BUILD)/bench
	$(CC_ALL) -Ibench $(BENCH_C_SRCS) $(LIBTHINGS) $(LDLIBS) $(LINK_FLAGS) -o $@

$(LOADGEN_BIN): $(LOADGEN_SRCS) $(BENCH_HDRS) $(LIBTHINGS) $(LIB_HDRS) | $(BUILD)/bench
	$(CC_ALL) -Ibench $(LOADGEN_SRCS) $(LIBTHINGS) $(LDLIBS) $(LINK_FLAGS) -o $@

$(TCPBENCH_BIN): $(TCPBENCH_SRCS) $(LIBTHINGS) $(LIB_HDRS) | $(BUILD)/bench
	$(CC_ALL) $(TCPBENCH_SRCS) $(LIBTHINGS) $(LINK_FLAGS) -o $@

# libFuzzer targets, one per parser of untrusted or operator input, with
# ASan and UBSan; built with clang whatever CC is (gcc has no libFuzzer).
FUZZ_TARGETS := config story control tcprules proxyproto things_ping
FUZZ_BINS    := $(patsubst %,$(BUILD)/fuzz/fuzz_%,$(FUZZ_TARGETS))
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS  := -g -O1 -fno-omit-frame-pointer -Wall -Wextra -Werror -std=gnu11 -Imaps \
	-Iuserspace/lib -Ifuzz
FUZZ_LIB_OBJS := $(patsubst userspace/lib/%.c,$(BUILD)/fuzz/lib/%.o,$(LIB_SRCS))
FUZZ_EXTRA_control := userspace/thingsd/control_parse.c
FUZZ_EXTRA_things_ping := $(filter-out %/main.c %/send.c %/replies.c,$(THINGS_PING_SRCS))
FUZZ_SECONDS ?= 600
FUZZ_SMOKE_SECONDS ?= 15
FUZZ_ARGS := -close_fd_mask=3 -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1

$(BUILD)/fuzz/lib/%.o: userspace/lib/%.c $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c $< -o $@

$(BUILD)/fuzz/fuzz_%: fuzz/%/harness.c fuzz/fuzz.c fuzz/fuzz.h $(FUZZ_LIB_OBJS) $(THINGS_PING_HDRS) \
		$(THINGSD_HDRS) $(FUZZ_EXTRA_control) $(FUZZ_EXTRA_things_ping)
	$(CLANG) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer -Iuserspace/thingsd \
		-Iuserspace/things-ping $< fuzz/fuzz.c $(FUZZ_EXTRA_$*) $(FUZZ_LIB_OBJS) \
		$(LDLIBS) -lpng -o $@

fuzz-build: $(FUZZ_BINS)

# Every kept crash replayed, then FUZZ_SMOKE_SECONDS of fuzzing per target
# from its corpus; what it finds new goes to $(BUILD), not to the corpus.
fuzz-smoke: $(FUZZ_BINS)
	@for t in $(FUZZ_TARGETS); do \
		bin=$(BUILD)/fuzz/fuzz_$$t; \
		crashes=$$(ls fuzz/$$t/crashes/* 2>/dev/null); \
		if [ -n "$$crashes" ]; then $$bin $(FUZZ_ARGS) $$crashes || exit 1; fi; \
		rm -rf $(BUILD)/fuzz/$$t.new && mkdir -p $(BUILD)/fuzz/$$t.new; \
		echo "fuzz-smoke: $$t for $(FUZZ_SMOKE_SECONDS) s"; \
		$$bin $(FUZZ_ARGS) -max_total_time=$(FUZZ_SMOKE_SECONDS) \
			-artifact_prefix=$(BUILD)/fuzz/$$t- $(BUILD)/fuzz/$$t.new fuzz/$$t/corpus \
			2> $(BUILD)/fuzz/$$t.log || { tail -40 $(BUILD)/fuzz/$$t.log; exit 1; }; \
		grep -h "stat::number_of_executed_units" $(BUILD)/fuzz/$$t.log; \
	done

# Long runs, FUZZ_SECONDS per target (FUZZ_TARGETS to choose): new inputs
# join the corpus in the tree, crashes go to fuzz/TARGET/crashes/ to be
# kept as regressions once fixed.
fuzz: $(FUZZ_BINS)
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p fuzz/$$t/crashes; \
		echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
		$(BUILD)/fuzz/fuzz_$$t $(FUZZ_ARGS) -max_total_time=$(FUZZ_SECONDS) \
			-artifact_prefix=fuzz/$$t/crashes/ fuzz/$$t/corpus \
			2> $(BUILD)/fuzz/$$t.log || { tail -40 $(BUILD)/fuzz/$$t.log; exit 1; }; \
		grep -h "stat::number_of_executed_units" $(BUILD)/fuzz/$$t.log; \
	done

# Differential fuzzing of the data plane against its model, as long as asked.
SECONDS ?= 600
fuzz-dataplane: $(BPF_OBJS) $(TESTRUN_BIN)
	$(PYTHON) tests/fuzz_dataplane.py --build $(BUILD) --seconds $(SECONDS)

selftest: $(SELFTEST_BIN) $(BPF_OBJS)
	$(SELFTEST_BIN) -o $(BUILD)/things.bpf.o

# Only what the benchmark loads: it needs neither the selftests nor the
# test helpers to build.
bench-micro: $(BPF_OBJS) $(BENCH_BPF_OBJS) $(BENCH_BIN)
	$(BENCH_BIN) --build $(BUILD)

# Each case's ns/packet over the minimal responder's, round by round,
# against the committed baseline: exit status 1 on a regression past it.
# The ratios are this kind of machine's (bench/README.md): not part of
# `make test`.
BENCH_BASELINE ?= bench/baseline.json
BENCH_CHECK_ARGS ?=
bench-check: $(BPF_OBJS) $(BENCH_BPF_OBJS) $(BENCH_BIN)
	$(BENCH_BIN) --build $(BUILD) --check $(BENCH_BASELINE) $(BENCH_CHECK_ARGS)

bench-baseline: $(BPF_OBJS) $(BENCH_BPF_OBJS) $(BENCH_BIN)
	$(BENCH_BIN) --build $(BUILD) --write-baseline $(BENCH_BASELINE) $(BENCH_CHECK_ARGS)

# Everything bench/throughput.py runs: the responders, the load generator
# and the micro-benchmark whose table it includes.
BENCH_NEEDS := $(BPF_OBJS) $(BENCH_BPF_OBJS) $(BENCH_BIN) $(LOADGEN_BIN) $(THINGSD_BIN) \
	$(THINGSCTL_BIN) $(TCPBENCH_BIN)
TCP_BENCH_ARGS ?=
RELAY_BENCH_ARGS ?=
BENCH_ARGS ?=

bench: deps
	$(MAKE) $(BENCH_NEEDS)
	$(PYTHON) bench/throughput.py --build $(BUILD) $(BENCH_ARGS)
	$(PYTHON) bench/tcp.py --build $(BUILD) $(TCP_BENCH_ARGS)
	$(PYTHON) bench/relay.py --build $(BUILD) $(RELAY_BENCH_ARGS)

test: deps
	$(MAKE) all
	$(MAKE) selftest
	$(MAKE) fuzz-smoke
	$(PYTHON) -m pytest -q tests

# The same suite against ASan, UBSan and LeakSanitizer builds of every
# program (build/sanitize); a report from any program fails it. The
# differential fuzzing and the soak run shorter here: their figures come
# from the plain pass, and the sanitizers watch the same code paths.
test-sanitize: deps
	$(MAKE) SANITIZE=1 all
	$(MAKE) SANITIZE=1 selftest
	THINGS_SANITIZE=1 THINGS_FUZZ_FRAMES=20000 THINGS_SOAK_SECONDS=60 \
		$(PYTHON) -m pytest -q tests

demo: deps
	$(MAKE) all
	$(PYTHON) examples/demo.py

PREFIX  ?= /usr/local
DESTDIR ?=

install: $(THINGSD_BIN) $(THINGSCTL_BIN) $(THINGS_PING_BIN) $(THINGS_WEB_BIN)
	install -D -m 0755 $(THINGSD_BIN) $(DESTDIR)$(PREFIX)/sbin/thingsd
	install -D -m 0755 $(THINGSCTL_BIN) $(DESTDIR)$(PREFIX)/sbin/thingsctl
	install -D -m 0755 $(THINGS_PING_BIN) $(DESTDIR)$(PREFIX)/bin/things-ping
	install -D -m 0755 $(THINGS_WEB_BIN) $(DESTDIR)$(PREFIX)/sbin/things-web
	install -D -m 0644 userspace/things-ping/things-ping.1 $(DESTDIR)$(PREFIX)/share/man/man1/things-ping.1
	install -D -m 0644 userspace/thingsd/thingsd.8 $(DESTDIR)$(PREFIX)/share/man/man8/thingsd.8
	install -D -m 0644 userspace/thingsctl/thingsctl.8 $(DESTDIR)$(PREFIX)/share/man/man8/thingsctl.8
	install -D -m 0644 userspace/apps/things-web/things-web.8 $(DESTDIR)$(PREFIX)/share/man/man8/things-web.8
	install -D -m 0644 userspace/thingsd/thingsd.service $(DESTDIR)/etc/systemd/system/thingsd.service
	install -D -m 0644 userspace/apps/things-web/things-web.service $(DESTDIR)/etc/systemd/system/things-web.service
	install -D -m 0644 userspace/thingsd/things.sysusers $(DESTDIR)/usr/lib/sysusers.d/things.conf
	@# The group exists from now on, not only once the unit first starts.
	if [ -z "$(DESTDIR)" ] && command -v systemd-sysusers >/dev/null; then \
		systemd-sysusers things.conf; fi

clean:
	rm -rf $(BUILD)
