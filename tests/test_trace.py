"""Traceroute stories end to end: thingsd in a namespace two routed hops away
from a client; Debian's traceroute (UDP, ICMP, TCP) and tracepath as the
clients; the reverse zone from `thingsctl trace zone` checked by
named-checkzone and served by NSD, with dig and traceroute reading it."""
import ipaddress
import os
import re
import signal
import time

import pytest

import lab as L

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")

PREFIX = ipaddress.ip_network("2001:db8:1:5707::/64")
ZONE = "7.0.7.5.1.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"
RICK = "2001:db8:1:5707::1"
RICK_LINES = [("2001:db8:1:5707::1:1", "never.gonna.give.you.up"),
              ("2001:db8:1:5707::1:2", "never.gonna.let.you.down"),
              ("2001:db8:1:5707::1:3", "never.gonna.run.around"),
              ("2001:db8:1:5707::1:4", "and.desert.you")]
# An address story: the last two nibbles of 2001:db8:1:5707:a::/80 pick
# hop 1's and hop 2's line.
VERSES = "2001:db8:1:5707:a::/80"
VERSE_TABLES = [[("2001:db8:1:5707::a:%x" % v, "roses-%d.are.red" % v) for v in range(3)],
                [("2001:db8:1:5707::b:%x" % v, "violets-%d.are.blue" % v) for v in range(16)]]
HOSTILE = "2001:db8:1:5707::666"
HOSTILE_LINES = [("2001:db8:1:5707::6:1", "; $ORIGIN evil.example. @ IN NS x"),
                 ("2001:db8:1:5707::6:2", '"quoted" (parens) back\\slash {braces}'),
                 ("2001:db8:1:5707::6:3", "a" * 100 + ".b"),
                 ("2001:db8:1:5707::6:4", "..dots..everywhere..."),
                 ("2001:db8:1:5707::6:5", "Ünïcödé ☃ * @ $ \\# ;"),
                 ("2001:db8:1:5707::6:6", ".".join(["x" * 63] * 4))]


def write_story(path, lines, header=""):
    with open(path, "w", encoding="utf-8") as f:
        f.write(header)
        for addr, name in lines:
            f.write("%s %s\n" % (addr, name))


def verse_file(path):
    with open(path, "w") as f:
        f.write("# two hops, each picked by a nibble\nbits 4\n")
        for table in VERSE_TABLES:
            f.write("table\n")
            for addr, name in table:
                f.write("%s %s\n" % (addr, name))


@pytest.fixture
def trace():
    with L.Lab("tr") as lab:
        client, r1, r2, host = L.trace_topology(lab)
        stories = {name: os.path.join(lab.tmp, name + ".story")
                   for name in ("rick", "verses", "hostile")}
        write_story(stories["rick"], RICK_LINES, "# Rick, one line a hop\n")
        verse_file(stories["verses"])
        write_story(stories["hostile"], HOSTILE_LINES)
        d = lab.thingsd(host, """[interface h0]

[app story]
kind = trace
prefix = %s
story = %s %s
story = %s %s
story = %s %s
""" % (PREFIX, RICK, stories["rick"], VERSES, stories["verses"], HOSTILE,
            stories["hostile"]))
        yield lab, client, r2, d, stories


def hops(output):
    """traceroute or tracepath output -> [(hop, name or address, address)]."""
    got = []
    for line in output.splitlines():
        m = re.match(r"\s*(\d+):?\s+(\S+)(?:\s+\((\S+)\))?", line)
        if m and not m.group(2).startswith("[") and m.group(2) != "no":
            got.append((int(m.group(1)), m.group(2), m.group(3) or m.group(2)))
    return got


def traceroute(client, dest, *args, numeric=True):
    res = client.run("traceroute", "-6", *(("-n",) if numeric else ()), "-q", "1", "-w", "3",
                     "-m", "12", *args, dest, timeout=120)
    return hops(res.stdout), res.stdout


ROUTERS = [L.TRACE_R1_CLIENT, L.TRACE_R2]


@pytest.mark.parametrize("method", [(), ("-I",), ("-T",), ("-U",)],
                         ids=["udp-default", "icmp", "tcp", "udp-port"])
def test_traceroute_tells_the_story(trace, method):
    lab, client, r2, d, stories = trace
    got, out = traceroute(client, RICK, *method)
    want = ROUTERS + [a for a, _ in RICK_LINES] + [RICK]
    assert [a for _, _, a in got] == want, out
    assert [h for h, _, _ in got] == list(range(1, len(want) + 1)), out
    reasons = d.ctl_json("stats")["reasons"]
    assert reasons["tx-time-exceeded"]["packets"] >= len(RICK_LINES)
    # The story's end as the probe's own kind hears it.
    end = {(): "tx-port-unreachable", ("-U",): "tx-port-unreachable",
           ("-I",): "tx-echo-reply", ("-T",): "pass-not-icmp"}[method]
    assert reasons[end]["packets"] >= 1


@pytest.mark.parametrize("fields", [(0, 0), (2, 15), (1, 7), (5, 3)])
def test_address_picks_the_lines(trace, fields):
    lab, client, r2, d, stories = trace
    dest = str(ipaddress.ip_network(VERSES).network_address + (fields[0] << 4 | fields[1]))
    got, out = traceroute(client, dest)
    # A table of three lines repeats: field 5 is line 5 % 3.
    lines = [VERSE_TABLES[0][fields[0] % 3][0], VERSE_TABLES[1][fields[1]][0]]
    assert [a for _, _, a in got] == ROUTERS + lines + [dest], out


def test_tracepath(trace):
    lab, client, r2, d, stories = trace
    res = client.run("tracepath", "-6", "-n", RICK, timeout=120)
    got = hops(res.stdout)
    # tracepath asks a hop again when the path MTU changes: each hop once.
    seen = []
    for h, _, a in got:
        if not seen or seen[-1] != (h, a):
            seen.append((h, a))
    want = ROUTERS + [a for a, _ in RICK_LINES] + [RICK]
    assert [a for _, a in seen] == want, res.stdout
    assert re.search(r"\b%d:\s+%s\s.*reached" % (len(want), re.escape(RICK)), res.stdout), \
        res.stdout
    # Each line's error leaves as a node that deep would send it.
    assert "asymm" not in res.stdout, res.stdout
    assert "back %d" % len(want) in res.stdout, res.stdout


def test_trace_show(trace):
    lab, client, r2, d, stories = trace
    shown = {s["destination"]: s for s in d.ctl_json("trace", "show", "story")}
    rick = shown[RICK + "/128"]
    assert (rick["hops"], rick["bits"], rick["missing"]) == (len(RICK_LINES), 0, 0)
    assert [(l["hop"], l["address"], l["name"]) for l in rick["lines"]] == \
        [(i + 1, a, n) for i, (a, n) in enumerate(RICK_LINES)]
    verses = shown[VERSES]
    assert (verses["hops"], verses["bits"]) == (2, 4)
    assert [(l["hop"], l["field"], l["address"]) for l in verses["lines"]] == \
        [(t + 1, v, a) for t, table in enumerate(VERSE_TABLES) for v, (a, _) in enumerate(table)]
    # Text, escaped: no byte of a name reaches the terminal raw.
    text = d.ctl("trace", "show", "story").stdout
    assert "never.gonna.let.you.down" in text
    assert "\\xc3\\x9cn\\xc3\\xafc" in text and "Ü" not in text


def dig_ptr(client, addr):
    res = client.run("dig", "+short", "+time=2", "-x", addr)
    return res.stdout.strip()


def wire_labels(presentation):
    """A name as dig prints it -> its labels as bytes (RFC 1035 5.1)."""
    labels, cur, i = [], bytearray(), 0
    text = presentation.encode()
    while i < len(text):
        c = text[i:i + 1]
        if c == b"\\":
            if text[i + 1:i + 4].isdigit():
                cur.append(int(text[i + 1:i + 4]))
                i += 4
                continue
            cur += text[i + 1:i + 2]
            i += 2
            continue
        if c == b".":
            labels.append(bytes(cur))
            cur = bytearray()
        else:
            cur += c
        i += 1
    if cur:
        labels.append(bytes(cur))
    return labels


def expected_labels(name):
    """What the zone must make of a line's name: its dot-separated labels,
    empty ones dropped, each cut into pieces of 63 bytes, as many as fit in
    255 bytes on the wire."""
    labels, wire = [], 1
    for part in name.encode().split(b"."):
        while part:
            piece, part = part[:63], part[63:]
            if wire + 1 + len(piece) > 255:
                return labels
            labels.append(piece)
            wire += 1 + len(piece)
    return labels


def serve_zone(lab, r2, d, client, *args):
    zone = os.path.join(lab.tmp, "story.zone")
    text = d.ctl("trace", "zone", "story", "ns", "ns1.example", "serial", "2024010101",
                 *args).stdout
    with open(zone, "w") as f:
        f.write(text)
    check = L.sh("named-checkzone", ZONE, zone, check=False)
    assert check.returncode == 0 and check.stdout.rstrip().endswith("OK"), \
        check.stdout + check.stderr + text
    L.Nsd(lab, r2, L.TRACE_R2, ZONE, zone)
    client.resolver(L.TRACE_R2)
    return text


def test_names_served_by_nsd(trace):
    lab, client, r2, d, stories = trace
    text = serve_zone(lab, r2, d, client)
    assert "$ORIGIN %s." % ZONE in text
    for addr, name in RICK_LINES:
        assert dig_ptr(client, addr) == name + "."
    got, out = traceroute(client, RICK, numeric=False)
    assert [n for _, n, _ in got[2:2 + len(RICK_LINES)]] == [n for _, n in RICK_LINES], out
    assert [a for _, _, a in got] == ROUTERS + [a for a, _ in RICK_LINES] + [RICK], out
    # The address story's lines have their names too.
    assert dig_ptr(client, VERSE_TABLES[1][9][0]) == "violets-9.are.blue."


def test_hostile_names_cannot_break_the_zone(trace):
    lab, client, r2, d, stories = trace
    text = serve_zone(lab, r2, d, client)
    # Nothing the story says is taken as zone syntax: one record a line,
    # and the zone has only the records we wrote.
    assert "evil.example. @ IN NS" not in text and "\n$ORIGIN evil" not in text
    for addr, name in HOSTILE_LINES:
        got = dig_ptr(client, addr)
        labels = wire_labels(got)
        assert [l.lower() for l in labels] == [l.lower() for l in expected_labels(name)], got
        assert all(len(l) <= 63 for l in labels)
        assert sum(len(l) + 1 for l in labels) + 1 <= 255
    # The apex has only the NS record we wrote: no story added one.
    ns = client.run("dig", "+short", "+time=2", ZONE, "NS")
    assert ns.stdout.strip() == "ns1.example."


def test_tinydns_lines(trace):
    lab, client, r2, d, stories = trace
    out = d.ctl("trace", "zone", "story", "tinydns", "serial", "5", "ttl", "60").stdout
    lines = out.splitlines()
    assert lines[0] == "Z%s:localhost:hostmaster.localhost:5::::::60" % ZONE
    assert lines[1] == "&%s::localhost:60" % ZONE
    ptrs = {l.split(":")[0]: l for l in lines if l.startswith("^")}
    rev = "^" + ipaddress.ip_address(RICK_LINES[0][0]).reverse_pointer
    assert ptrs[rev] == "%s:%s:60" % (rev, RICK_LINES[0][1])
    # A colon-free, octal-escaped name: tinydns-data reads three fields.
    hostile = ptrs["^" + ipaddress.ip_address(HOSTILE_LINES[0][0]).reverse_pointer]
    assert hostile.count(":") == 2 and "\\073\\040\\044ORIGIN" in hostile


def test_reload_rewrites_only_the_changed_story(trace):
    lab, client, r2, d, stories = trace
    changed = RICK_LINES[:2] + [("2001:db8:1:5707::1:9", "a.new.line")]
    write_story(stories["rick"], changed)
    mark = len(d.read_log())
    d.send_signal(signal.SIGHUP)
    deadline = time.time() + 10
    while "reloaded:" not in d.read_log()[mark:] and time.time() < deadline:
        time.sleep(0.1)
    log = d.read_log()[mark:]
    assert "reloaded:" in log, log
    assert "story %s/128 from %s: 3 hop(s), 1 line slot(s) written" % (RICK, stories["rick"]) \
        in log, log
    assert VERSES not in log and HOSTILE not in log, log
    got, out = traceroute(client, RICK)
    assert [a for _, _, a in got] == ROUTERS + [a for a, _ in changed] + [RICK], out
    rick = [s for s in d.ctl_json("trace", "show", "story") if s["destination"] == RICK + "/128"]
    assert [l["name"] for l in rick[0]["lines"]] == [n for _, n in changed]


def test_trace_apps_stay_in_the_config(trace):
    lab, client, r2, d, stories = trace
    res = d.ctl("app", "add", "more", "kind", "trace", "prefix", "2001:db8:1:5708::/64",
                check=False)
    assert res.returncode == 1
    assert "trace apps are added in the config file" in res.stderr


def test_other_probes_and_silence(trace):
    lab, client, r2, d, stories = trace
    # An address of the app no story holds answers ping as echo does.
    res = client.run("ping", "-6", "-n", "-c", "1", "-W", "2", "2001:db8:1:5707::99",
                     check=False)
    assert res.returncode == 0, res.stdout
    assert d.ctl("trace", "show", "nonesuch", check=False).returncode == 1
