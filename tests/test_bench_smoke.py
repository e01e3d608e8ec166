# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""`make bench` is not part of `make test`, but this short run of it is, so
that it cannot rot: every responder, every kind of request, the paced runs,
the board log's reader and the micro-benchmark go through once. It checks
that the run completes and reports what it must, never how fast anything
was."""
import json
import os
import subprocess
import sys

import pytest

import lab as L

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")

THROUGHPUT = os.path.join(L.REPO, "bench", "throughput.py")
APP_KINDS = ("canvas", "canvas-silent", "board")


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    proc = subprocess.run([sys.executable, THROUGHPUT, "--smoke", "--build", L.BUILD,
                           "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    with open(out / "throughput.json") as f:
        report = json.load(f)
    with open(out / "throughput.md") as f:
        table = f.read()
    return proc, report, table


def test_bench_smoke(smoke):
    proc, report, table = smoke
    # Nothing the run made is left behind.
    made = report["removed"]
    assert not set(made["netns"]) & set(L.sh("ip", "netns", "list").stdout.split())
    assert not [p for p in made["pins"] + [made["tmp"]] if os.path.exists(p)]
    resp = report["responders"]
    assert set(resp) == {"things", "things-apps", "minimal", "kernel", "ndppd"}
    for key, kinds in (("things", ("echo", "ns")), ("minimal", ("echo", "ns")),
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
        ("canvas", "things-echo"), ("canvas-silent", "things-echo"), ("te", "things-echo")]
    assert all(t["ratio"] and t["ratio"] > 0 for t in report["targets"]), report["targets"]
    assert report["micro"]["cases"]

    assert table == proc.stdout
    for row in ("IPv6 Things (thingsd)", "minimal XDP responder", "Linux, AnyIP", "ndppd"):
        assert "| %s" % row in table, row
    assert "ns per packet" in table


def test_bench_smoke_apps(smoke):
    """Every request to an app changed its state, by thingsd's own count:
    pixels painted, texts posted (none refused as a repeat)."""
    _, report, table = smoke
    things = report["responders"]["things-apps"]
    assert set(things["runs"]) == {"echo", "te"} | set(APP_KINDS)
    # Traceroute probes: each answered with Time Exceeded, seen by the client.
    te = things["runs"]["te"][0]
    assert te["answered"] > 0 and te["seen"] > 0, te
    assert "| IPv6 Things (thingsd), with the apps | traceroute probe" in table
    assert things["summary"]["echo"]["answered_per_s"]["median"] > 0
    for kind in APP_KINDS:
        runs = things["runs"][kind]
        assert len(runs) == 1, kind
        for run in runs + things["paced"][kind]:
            assert run["changed"] > 0, (kind, run)
            assert run["refused"] == 0, (kind, run)
    # Answered apps sent a reply for each change; the silent canvas none.
    for kind in ("canvas", "board"):
        run = things["runs"][kind][0]
        assert run["answered"] == run["changed"], (kind, run)
        assert run["seen"] > 0, (kind, run)
        s = report["responders"]["minimal"]["summary"][kind]
        assert s["answered_per_s"]["median"] > 0 and s["seen_per_s"]["median"] > 0, kind
    silent = things["runs"]["canvas-silent"][0]
    assert silent["answered"] == 0 and silent["seen"] == 0, silent
    assert "canvas-silent" not in report["responders"]["minimal"]["runs"]
    for row in ("canvas, random opaque pixel, answered", "canvas, random opaque pixel, silent",
                "board post, new random text"):
        assert "| IPv6 Things (thingsd), with the apps | %s |" % row in table, row


def test_bench_smoke_board_reader(smoke):
    """The reader saw the board's posts in the log: what it read and what it
    missed add up to what the board posted, every event whole and in order."""
    _, report, table = smoke
    board = report["responders"]["things-apps"]
    runs = board["runs"]["board"] + board["paced"]["board"]
    assert len(runs) == 1 + 4
    for run in runs:
        r = run["reader"]
        assert r["logged"] == run["changed"], run
        assert r["events"] > 0, run
        assert r["events"] + r["missed"] == r["logged"], run
        assert r["out_of_order"] == 0 and r["bad_text"] == 0, run
    assert board["summary"]["board"]["reader"]["consistent"]
    assert "| full speed |" in table
