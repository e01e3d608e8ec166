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
    assert not [p for p in made["pins"] + [made["tmp"]] + made["tmp_pairs"]
                if os.path.exists(p)]
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
    # The targets are judged on the paired runs.
    assert [(t["request"], t["peer"]) for t in report["targets"]] == [
        ("echo", "minimal"), ("ns", "minimal"), ("echo", "kernel"), ("ns", "ndppd"),
        ("canvas", "things-echo"), ("canvas-rows", "things-echo"),
        ("canvas-silent", "things-echo"), ("te", "things-echo")]
    assert all(t["paired"] and t["ratio"] > 0 for t in report["targets"]), report["targets"]
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


def test_bench_smoke_pairs(smoke):
    """The paired runs: both sides of every round sent and were answered (a
    silent canvas answers nothing, and is measured by what was sent), each
    app changed its state for every request, and the scale curve's points
    each had their prefixes, and a trie's memory that grows with them."""
    _, report, table = smoke
    pairs = report["pairs"]
    curve = [pt[k] for pt in pairs["curve"]["points"] for k in ("echo", "ns")]
    for res, rounds in [(r, pairs["rounds"]) for r in pairs["peers"] + pairs["apps"]] + \
            [(r, pairs["curve"]["rounds"]) for r in curve]:
        assert len(res["rounds"]) == rounds, res
        for rnd in res["rounds"]:
            assert rnd["a"]["sent"] > 0 and rnd["b"]["sent"] > 0, res
            assert rnd["rate_a"] > 0 and rnd["rate_b"] > 0, res
            silent = res["a"]["request"] == "canvas-silent"
            assert (rnd["a"]["seen"] == 0) == silent, res
            assert rnd["b"]["seen"] > 0, res
    for res in pairs["apps"]:
        assert res["changed"] == res["sent"][0], res
    sizes = [pt["size"] for pt in pairs["curve"]["points"]]
    assert [s["prefixes"] for s in sizes] == [2, 17, 1000]
    assert [s["fast_table"] for s in sizes] == [True, False, False]
    assert sizes[0]["trie_bytes"] < sizes[2]["trie_bytes"]
    for row in ("| echo, random /48 address |", "| canvas, pixels row by row, answered |",
                "Scale, live"):
        assert row in table, row


def test_bench_check(tmp_path):
    """make bench-check's mechanics, never a time: a baseline written by a
    run is read back by the next (a limit of ten times it, which no spell
    of a busy machine reaches, passes), and a case whose baseline is made
    far below anything it can measure fails the check, loudly, with its
    name, after being measured again."""
    micro = os.path.join(L.BUILD, "bench", "micro")
    base = tmp_path / "baseline.json"
    cases = "things_echo_fast,things_ns_fast"
    first = subprocess.run([micro, "--build", L.BUILD, "--quick", "--case", cases,
                            "--write-baseline", str(base)],
                           capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    with open(base) as f:
        written = json.load(f)
    assert set(written["cases"]) == {"things_echo_fast", "things_ns_fast"}
    again = subprocess.run([micro, "--build", L.BUILD, "--quick", "--case", cases,
                            "--check", str(base), "--tolerance", "9"],
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "| things_echo_fast |" in again.stdout and "| things_ns_fast |" in again.stdout
    written["cases"]["things_ns_fast"]["ratio"] = 0.01
    with open(base, "w") as f:
        json.dump(written, f)
    worse = subprocess.run([micro, "--build", L.BUILD, "--quick", "--case", cases,
                            "--check", str(base)],
                           capture_output=True, text=True, timeout=300)
    assert worse.returncode == 1, worse.stdout + worse.stderr
    assert "REGRESSION" in worse.stderr and "things_ns_fast" in worse.stderr
    assert "Measuring the cases past their baseline again" in worse.stdout


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
