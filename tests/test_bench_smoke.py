# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""`make bench` is not part of `make test`, but this short run of it is, so
that it cannot rot: every responder, every kind of request, the paced runs
and the micro-benchmark go through once. It checks that the run completes
and reports what it must, never how fast anything was."""
import json
import os
import subprocess
import sys

import pytest

import lab as L

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")

THROUGHPUT = os.path.join(L.REPO, "bench", "throughput.py")


def test_bench_smoke(tmp_path):
    proc = subprocess.run([sys.executable, THROUGHPUT, "--smoke", "--build", L.BUILD,
                           "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    with open(tmp_path / "throughput.json") as f:
        report = json.load(f)

    # Nothing the run made is left behind.
    made = report["removed"]
    assert not set(made["netns"]) & set(L.sh("ip", "netns", "list").stdout.split())
    assert not [p for p in made["pins"] + [made["tmp"]] if os.path.exists(p)]
    resp = report["responders"]
    assert set(resp) == {"things", "minimal", "kernel", "ndppd"}
    for key, kinds in (("things", ("echo", "ns", "te")), ("minimal", ("echo", "ns")),
                       ("kernel", ("echo",)), ("ndppd", ("ns",))):
        for kind in kinds:
            s = resp[key]["summary"][kind]
            assert s["answered_per_s"]["median"] > 0, (key, kind)
            assert s["seen_per_s"]["median"] > 0, (key, kind)
            assert len(s["paced"]) == 4, (key, kind)
    # The kernel answers no NS for a prefix: the table must say so.
    assert resp["kernel"]["summary"]["ns"]["answered_per_s"]["median"] == 0
    assert "echo" not in resp["ndppd"]["summary"]
    assert [(t["request"], t["peer"]) for t in report["targets"]] == [
        ("echo", "minimal"), ("echo", "kernel"), ("ns", "minimal"), ("ns", "ndppd"),
        ("te", "things-echo")]
    assert all(t["ratio"] and t["ratio"] > 0 for t in report["targets"]), report["targets"]
    assert report["micro"]["cases"]

    with open(tmp_path / "throughput.md") as f:
        table = f.read()
    assert table == proc.stdout
    for row in ("IPv6 Things (thingsd)", "minimal XDP responder", "Linux, AnyIP", "ndppd"):
        assert "| %s" % row in table, row
    assert "traceroute probe" in table
    assert "ns per packet" in table
