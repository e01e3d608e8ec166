# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""The command-line contract of build/xdp-testrun, which the oracle relies on."""

import subprocess

import pytest
from scapy.layers.inet6 import ICMPv6EchoRequest, IPv6
from scapy.layers.l2 import Ether

import xdp

ECHO = bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:aa") /
             IPv6(src="2001:db8:ffff::2", dst="2001:db8:1::1") / ICMPv6EchoRequest())


def run_cli(*args, stdin=""):
    return subprocess.run([str(xdp.TESTRUN), "--obj", str(xdp.BPF_OBJ), *args],
                          input=stdin, capture_output=True, text=True, timeout=60,
                          check=False)


@pytest.mark.parametrize("args, message", [
    (["--prefix", "2001:db8:1::/48"], "app= and kind= are required"),
    (["--prefix", "2001:db8:1::1/48,app=1,kind=echo"], "bits set past the prefix length"),
    (["--prefix", "2001:db8:1::/48,app=1,kind=teapot"], "unknown kind 'teapot'"),
    (["--prefix", "2001:db8:1::/48,app=1,kind=echo,loud"], "unknown field 'loud'"),
    (["--iface", "1,02:00:00:00:00"], "bad MAC"),
    (["--iface", "0,02:00:00:00:00:01"], "bad interface index"),
    (["--ifindex", "lo"], "not an interface index"),
    (["--bogus"], "usage:"),
    (["extra"], "unexpected argument 'extra'"),
], ids=["no-app", "host-bits", "kind", "field", "mac", "ifindex-0", "ifindex-name",
        "option", "argument"])
def test_usage_errors_exit_2(args, message):
    proc = run_cli(*args)
    assert proc.returncode == 2
    assert message in proc.stderr


def test_help_exits_0():
    proc = run_cli("--help")
    assert proc.returncode == 0
    assert "--prefix" in proc.stdout


@pytest.mark.parametrize("args, stdin, message", [
    (["--obj", "/nonexistent/things.bpf.o"], "", "No such file or directory"),
    (["--prog", "no_such_prog"], "", "has no program no_such_prog"),
    ([], "0g\n", "stdin line 1: not a hex digit"),
    ([], "abc\n", "stdin line 1: odd number of hex digits"),
    ([], ECHO.hex() + "\n00\n", "stdin line 2: BPF_PROG_TEST_RUN"),
], ids=["object", "program", "hex", "odd", "runt-frame"])
def test_failures_exit_1(args, stdin, message):
    proc = run_cli(*args, stdin=stdin)
    assert proc.returncode == 1
    assert message in proc.stderr


def test_stats_output():
    proc = run_cli("--prefix", "2001:db8:1::/48,app=9,kind=echo", "--stats",
                   stdin=ECHO.hex() + "\n" + ECHO.hex() + "\n")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert [line.split()[0] for line in lines[:2]] == ["XDP_TX", "XDP_TX"]
    assert lines[2:] == ["reason tx-echo-reply 2", "app 9 echo-reply 2"]
