# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""The figures of bench/throughput.py's runs, summarised and set out as
Markdown: medians and ranges, ratios taken round by round, the targets, and
the board log's live reader."""
import datetime
import os
import platform
import statistics

from throughput_pairs import LABELS as P_LABELS, PEERS as P_PEERS

# Requests: what the generator sends (loadgen --kind), and the table's words.
LABELS = {
    "echo": "echo, random /48 address",
    "ns": "NS, random /64 target",
    "canvas": "canvas, random opaque pixel, answered",
    "canvas-silent": "canvas, random opaque pixel, silent",
    "board": "board post, new random text",
    "te": "traceroute probe, random story address",
}
# The first table: IPv6 Things against its peers.
KINDS = ("echo", "ns")
# The second: apps that read the address, against this project's echo.
APP_KINDS = ("canvas", "canvas-silent", "board", "te")
# (request, peer, least IPv6 Things / peer): the targets, judged on the
# paired runs where there are any (throughput_pairs.py has the same), on
# these runs' medians where not.
TARGETS = (("echo", "minimal", 0.95), ("echo", "kernel", 15.0),
           ("ns", "minimal", 0.95), ("ns", "ndppd", 100.0))
# (request, least state changes per second / IPv6 Things' echo replies per
# second): pixels painted at nearly the rate of echo.
APP_TARGETS = (("canvas", 0.9), ("canvas-silent", 0.9),
               # Time Exceeded built at 0.7x the rate of echo replies
               ("te", 0.7))
ECHO_PEER = "things-echo"
# Responders: IPv6 Things as `make demo` runs it, and with the apps as well.
OWN, OWN_APPS = "things", "things-apps"


def rate_per_s(run):
    """What a run did per second: the state changes of an app, else the
    replies the responder sent."""
    return run["changed_per_s"] if "changed_per_s" in run else run["answered_per_s"]


def spread(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def summarise_reader(runs, paced):
    """The board log's reader over full-speed runs: medians per second of
    sending, and the share of what was logged that it missed; and whether
    its counts add up in every run, paced ones too."""
    timed = [(r["reader"], r["seconds"]) for r in runs if "reader" in r]
    if not timed:
        return None
    readers = [r for r, _ in timed]
    # Every post is logged once, and read or missed: nothing in between.
    whole = [r["reader"]["events"] + r["reader"]["missed"] == r["reader"]["logged"] ==
             r["changed"] and not r["reader"]["out_of_order"] and not r["reader"]["bad_text"]
             for r in runs + paced if "reader" in r]
    return {
        "events_per_s": spread([r["events"] / t for r, t in timed]),
        "missed_per_s": spread([r["missed"] / t for r, t in timed]),
        "missed_fraction": spread([r["missed"] / r["logged"] if r["logged"] else 0.0
                                   for r in readers]),
        "logged_per_s": spread([r["logged"] / t for r, t in timed]),
        "slots": readers[0]["slots"],
        "poll_us": readers[0]["poll_us"],
        "consistent": all(whole),
    }


def paced_summary(r):
    p = {"rate": r["rate"], "offered_per_s": r["sent_per_s"],
         "answered_fraction": r["answered"] / r["sent"] if r["sent"] else 0,
         "seen_fraction": r["seen"] / r["sent"] if r["sent"] else 0}
    if "changed" in r:
        p["changed_fraction"] = r["changed"] / r["sent"] if r["sent"] else 0
        p["changed_per_s"] = r["changed_per_s"]
    if "reader" in r:
        p["reader"], p["seconds"] = r["reader"], r["seconds"]
    return p


def summarise(results):
    for res in results.values():
        res["summary"] = {}
        for kind, runs in res["runs"].items():
            s = {}
            for what in ("sent", "answered", "seen", "changed"):
                if runs and what + "_per_s" in runs[0]:
                    s[what + "_per_s"] = spread([r[what + "_per_s"] for r in runs])
            if runs and "refused" in runs[0]:
                s["refused"] = sum(r["refused"] for r in runs + res["paced"][kind])
            s["other_cpus_busy_max"] = max(r["other_cpus_busy_fraction"] for r in runs)
            s["paced"] = [paced_summary(r) for r in res["paced"][kind]]
            reader = summarise_reader(runs, res["paced"][kind])
            if reader:
                s["reader"] = reader
            res["summary"][kind] = s


def round_ratios(results, kind, peer, peer_kind=None, own=OWN):
    """IPv6 Things' rate over the peer's, round by round: both sides of each
    were measured a few seconds apart."""
    try:
        a = results[own]["runs"][kind]
        b = results[peer]["runs"][peer_kind or kind]
    except KeyError:
        return []
    return [rate_per_s(x) / rate_per_s(y) if rate_per_s(y) else None for x, y in zip(a, b)]


def ratio(results, kind, peer, peer_kind=None, own=OWN):
    """IPv6 Things' median rate over the peer's, or None."""
    try:
        a = results[own]["summary"][kind]
        b = results[peer]["summary"][peer_kind or kind]
    except KeyError:
        return None
    a = (a.get("changed_per_s") or a["answered_per_s"])["median"]
    b = (b.get("changed_per_s") or b["answered_per_s"])["median"]
    return a / b if b else None


def pair_targets(pairs):
    """The targets as the paired runs judge them: the median of the ratios
    round by round."""
    out = []
    for res in pairs["peers"]:
        out.append({"request": res["a"]["request"], "peer": res["b"]["server"],
                    "least": res["least"], "ratio": (res["ratio"] or {}).get("median"),
                    "spread": res["ratio"], "met": res["met"], "paired": True,
                    "round_ratios": [r["ratio"] for r in res["rounds"]]})
    for res in pairs["apps"]:
        if res["least"] is None:
            continue
        out.append({"request": res["a"]["request"], "peer": ECHO_PEER, "least": res["least"],
                    "ratio": (res["ratio"] or {}).get("median"), "spread": res["ratio"],
                    "met": res["met"], "paired": True,
                    "round_ratios": [r["ratio"] for r in res["rounds"]]})
    return out


def targets(results, pairs=None):
    if pairs:
        return pair_targets(pairs)
    out = []
    for kind, peer, least in TARGETS:
        r = ratio(results, kind, peer)
        out.append({"request": kind, "peer": peer, "least": least, "ratio": r,
                    "met": r is not None and r >= least,
                    "round_ratios": round_ratios(results, kind, peer)})
    for kind, least in APP_TARGETS:
        r = ratio(results, kind, OWN_APPS, "echo", OWN_APPS)
        out.append({"request": kind, "peer": ECHO_PEER, "least": least, "ratio": r,
                    "met": r is not None and r >= least,
                    "round_ratios": round_ratios(results, kind, OWN_APPS, "echo", OWN_APPS)})
    return out


def rate_label(r):
    """25000 -> 25k, 5000000 -> 5M."""
    for div, unit in ((1e6, "M"), (1e3, "k")):
        if r >= div:
            return "%g%s" % (r / div, unit)
    return str(r)


def rate_text(v):
    if v >= 1e6:
        return "%.2f M" % (v / 1e6)
    if v >= 1e3:
        return "%.1f k" % (v / 1e3)
    return "%d" % round(v)


def spread_text(s):
    """median (min-max), the range in the median's unit."""
    if not s["max"]:
        return "0"
    div, fmt = (1e6, "%.2f") if s["median"] >= 1e6 else (1e3, "%.1f") if s["median"] >= 1e3 \
        else (1, "%d")
    return "%s (%s-%s)" % (rate_text(s["median"]), fmt % (s["min"] / div), fmt % (s["max"] / div))


def percent(frac):
    """Never 100% or 0% unless exactly so."""
    if frac in (0, 1):
        return "%d%%" % (100 * frac)
    return "%.1f%%" % (100 * min(max(frac, 0.001), 0.999))


def paced_text(p):
    cell = percent(p["seen_fraction"])
    if p["offered_per_s"] < 0.9 * p["rate"]:
        cell += " of %s" % rate_text(p["offered_per_s"])
    return cell


def target_text(t):
    return ">= %g: %s" % (t["least"], "met" if t["met"] else "**missed**") if t else ""


def machine():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"kernel": platform.release(), "arch": platform.machine(), "cpu": model,
            "cpus": os.cpu_count(), "date": datetime.date.today().isoformat()}


def peers_table(results, goal, rates):
    lines = [
        "| responder | request | answered/s | replies seen/s | IPv6 Things ÷ it | target |" +
        "".join(" at %s/s |" % rate_label(r) for r in rates),
        "| --- | --- | ---: | ---: | ---: | --- |" + " ---: |" * len(rates),
    ]
    for kind in KINDS:
        for key, res in results.items():
            if kind not in res["summary"] or key == OWN_APPS:
                continue
            s = res["summary"][kind]
            r = ratio(results, kind, key) if key != OWN else None
            lines.append("| %s | %s | %s | %s | %s | %s |%s" % (
                res["label"], LABELS[kind], spread_text(s["answered_per_s"]),
                spread_text(s["seen_per_s"]), "%.2f" % r if r is not None else "",
                target_text(goal.get((kind, key))),
                "".join(" %s |" % paced_text(p) for p in s["paced"])))
    return lines


def ratio_text(results, kind, peer, peer_kind=None, own=OWN):
    """The ratio of the medians, and the range of the ratios round by
    round: each round's two sides ran seconds apart, so the range shows how
    far a slow spell of the machine moved it."""
    r = ratio(results, kind, peer, peer_kind, own)
    if r is None:
        return ""
    rounds = [x for x in round_ratios(results, kind, peer, peer_kind, own) if x is not None]
    if len(rounds) < 2:
        return "%.2f" % r
    return "%.2f (%.2f-%.2f)" % (r, min(rounds), max(rounds))


def apps_table(results, goal):
    """Apps that read the address: IPv6 Things' state changes per second
    against its own echo, and the minimal responder on the same frames."""
    lines = [
        "| responder | request | changed/s | answered/s | replies seen/s |"
        " ÷ IPv6 Things echo (by round) | IPv6 Things ÷ it (by round) | target |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    rows = [(OWN_APPS, "echo")] + [(key, kind) for kind in APP_KINDS for key in results
                                   if key in (OWN_APPS, "minimal")]
    for key, kind in rows:
        res = results.get(key)
        if not res or kind not in res["summary"]:
            continue
        s = res["summary"][kind]
        own = key == OWN_APPS
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            res["label"], LABELS[kind],
            spread_text(s["changed_per_s"]) if "changed_per_s" in s else "",
            spread_text(s["answered_per_s"]), spread_text(s["seen_per_s"]),
            ratio_text(results, kind, OWN_APPS, "echo", OWN_APPS) if own and kind != "echo"
            else "",
            ratio_text(results, kind, key, own=OWN_APPS) if not own else "",
            target_text(goal.get((kind, ECHO_PEER)) if own else None)))
    return lines


def reader_row(label, posts, logged, reader):
    return "| %s | %s | %s | %s | %s | %s |" % (
        label, posts, logged, reader["events"], reader["missed"], reader["missed_share"])


def reader_table(res):
    """The board log's live reader, at full speed and paced."""
    s = res["summary"].get("board")
    if not s or "reader" not in s:
        return []
    r = s["reader"]
    lines = [
        "| board fed at | posts/s | logged/s | reader read/s | reader missed/s |"
        " missed, of logged |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        reader_row("full speed", spread_text(s["changed_per_s"]), spread_text(r["logged_per_s"]),
                   {"events": spread_text(r["events_per_s"]),
                    "missed": spread_text(r["missed_per_s"]),
                    "missed_share": "%s (%s-%s)" % tuple(
                        percent(r["missed_fraction"][k]) for k in ("median", "min", "max"))}),
    ]
    for p in s["paced"]:
        if "reader" not in p:
            continue
        rd, secs = p["reader"], p["seconds"]
        lines.append(reader_row(
            "%s/s%s" % (rate_label(p["rate"]), " (offered %s)" % rate_text(p["offered_per_s"])
                        if p["offered_per_s"] < 0.9 * p["rate"] else ""),
            rate_text(p["changed_per_s"]), rate_text(rd["logged"] / secs),
            {"events": rate_text(rd["events"] / secs), "missed": rate_text(rd["missed"] / secs),
             "missed_share": percent(rd["missed"] / rd["logged"] if rd["logged"] else 0)}))
    return lines


def app_notes(results, args):
    s = results.get(OWN_APPS, {}).get("summary", {})
    notes = []
    refused = sum(s[k].get("refused", 0) for k in APP_KINDS if k in s)
    if any(k in s for k in APP_KINDS):
        notes.append(
            "changed: pixels painted or posts made, by thingsd's stats (reasons canvas-painted,"
            " board-posted); answered: echo replies sent (a silent canvas sends none). Each"
            " request is valid, checksum included: %s." %
            ("every one changed the app's state" if not refused else
             "**%d were refused** (repeats, pixels out of range, bad checksums)" % refused))
    board = s.get("board", {})
    if "reader" in board:
        r = board["reader"]
        notes.append(
            "The reader follows the board_log (%d slots) on CPU %s with appstate_log_read(),"
            " 256 events a call, sleeping %g ms once it has caught up, as `thingsctl board"
            " follow` does. missed: events overwritten before it read them; read + missed"
            " = logged = posts %s." % (r["slots"], args.reader_cpu, r["poll_us"] / 1000,
                               "in every run" if r["consistent"] else "**not in every run**"))
    return notes


def middle_text(sp):
    """A ratio over the rounds: median (middle half) [extremes]."""
    if not sp:
        return ""
    return "%.2f (%.2f-%.2f) [%.2f-%.2f]" % (sp["median"], sp["q1"], sp["q3"], sp["min"],
                                             sp["max"])


def bytes_text(n):
    return "%.1f MiB" % (n / 1048576) if n >= 1048576 else "%.0f KiB" % (n / 1024)


def pairs_tables(pairs, goal, labels):
    """The paired runs: IPv6 Things against its peers, its apps against its
    own echo, and the scale curve against the minimal responder."""
    lines = [
        "Paired runs: the load in turns of %d ms, A then B, B then A, %d rounds; the rate of"
        " a side is replies seen a second (requests sent, for a silent canvas), the ratio is"
        " taken round by round: median (middle half) [lowest-highest]." %
        (pairs["slice_ms"], pairs["rounds"]),
        "",
        "| request | IPv6 Things /s | peer | peer /s | IPv6 Things ÷ peer | target |",
        "| --- | ---: | --- | ---: | ---: | --- |",
    ]
    for res in pairs["peers"]:
        kind, peer = res["a"]["request"], res["b"]["server"]
        lines.append("| %s | %s | %s | %s | %s | %s |" % (
            labels[kind], rate_text(res["rate_a"]["median"]), P_PEERS.get(peer, peer),
            rate_text(res["rate_b"]["median"]), middle_text(res["ratio"]),
            target_text(goal.get((kind, peer)))))
    lines += [
        "",
        "| request to an app (thingsd with the apps) | app /s | its echo /s | ÷ echo |"
        " state changed, of sent | target |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for res in pairs["apps"]:
        kind = res["a"]["request"]
        lines.append("| %s | %s | %s | %s | %s | %s |" % (
            P_LABELS.get(kind, kind), rate_text(res["rate_a"]["median"]),
            rate_text(res["rate_b"]["median"]), middle_text(res["ratio"]),
            percent(res["changed"] / res["sent"][0]) if res["sent"][0] else "",
            target_text(goal.get((kind, ECHO_PEER)))))
    curve = pairs["curve"]
    lines += [
        "",
        "Scale, live: things_xdp with N prefixes (the two of `make demo` and random /48s to"
        " /64s in fd00::/8; up to 16 in the fast table), loaded by `loadgen things`, in turns"
        " with the minimal responder (%d rounds of %d ms):" % (curve["rounds"],
                                                               curve["slice_ms"]),
        "",
        "| prefixes | lookup | echo /s | ÷ minimal | NS /s | ÷ minimal | trie memory |"
        " all maps |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for pt in curve["points"]:
        lines.append("| %d | %s | %s | %s | %s | %s | %s | %s |" % (
            pt["prefixes"], "fast table" if pt["size"]["fast_table"] else "trie",
            rate_text(pt["echo"]["rate_a"]["median"]), middle_text(pt["echo"]["ratio"]),
            rate_text(pt["ns"]["rate_a"]["median"]), middle_text(pt["ns"]["ratio"]),
            bytes_text(pt["size"]["trie_bytes"]), bytes_text(pt["size"]["map_bytes"])))
    return lines


def markdown(results, tgts, args, mach, micro_table, pairs=None):
    lines = [
        "Linux %s %s, %d x %s, %s. Median (min-max) of %d run%s of %g s; generator on CPU %d."
        % (mach["kernel"], mach["arch"], mach["cpus"], mach["cpu"], mach["date"], args.runs,
           "s" if args.runs > 1 else "", args.seconds, args.cpu),
        "",
    ]
    goal = {(t["request"], t["peer"]): t for t in tgts}
    if pairs:
        lines += pairs_tables(pairs, goal, LABELS) + [
            "", "The same responders one after another, each for %g s a run:" % args.seconds,
            ""]
        # The targets are the paired runs'; these runs show the rates.
        goal = {}
    lines += peers_table(results, goal, args.rates)
    lines += [
        "",
        "answered: replies the responder sent (its own counter); seen: replies that reached"
        " the client; at N/s: replies seen per request sent, paced in bursts every %d us"
        " (\"of X\": the rate actually offered, when the path could not take N/s)." %
        args.slice_us,
    ]
    busy = max((s["other_cpus_busy_max"] for res in results.values() if not res["elsewhere"]
                for kind, s in res["summary"].items() if kind != "board"), default=0)
    if busy > 0.1:
        lines += ["", "Other CPUs were up to %.0f%% busy during a full-speed run of a responder"
                  " that does not use them: this machine was not quiet." % (100 * busy)]
    apps = apps_table(results, goal)
    if len(apps) > 2:
        lines += ["", "Apps that read the address, in the same rounds:", ""] + apps
        reader = reader_table(results.get(OWN_APPS, {"summary": {}}))
        if reader:
            lines += ["", "The board's live reader, in the same runs:", ""] + reader
        lines += [""] + "\n\n".join(app_notes(results, args)).split("\n")
    if micro_table:
        lines += ["", "ns per packet under BPF_PROG_TEST_RUN (bench/micro):", "", micro_table]
    return "\n".join(lines) + "\n"
