# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""thingsctl, the command line: its surface, the control protocol it speaks,
its fallback to the pinned maps, and a real thingsd.

Four layers, each independent of the ones below it:
  * the surface (usage errors, help, nothing running): no daemon, no pins;
  * a fake daemon on a socket: the exact requests sent, the JSON passed
    through, the tables, error replies and a daemon that never answers;
  * pins made with bpftool in the layout of maps/things_abi.h: the fallback
    reads them as thingsd's own report functions do;
  * a real build/thingsd in a throwaway network namespace, and the pins it
    leaves behind after SIGTERM.
"""

import json
import re
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

import lab as L

REPO = Path(__file__).resolve().parent.parent
BUILD = Path(L.BUILD)
THINGSCTL = BUILD / "thingsctl"
THINGSD = BUILD / "thingsd"
ABI = REPO / "maps" / "things_abi.h"
BPFFS = Path("/sys/fs/bpf")
HINT = "Try 'thingsctl help'."
ROUTED = "2001:db8:1::/48"


def abi_names(macro):
    """The names of an X-macro list in things_abi.h, in enum order."""
    text = ABI.read_text()
    start = text.index(f"#define {macro}(X)")
    return re.findall(r'X\(\w+, "([^"]+)"[,)]', text[start:text.index("\n\n", start)])


KINDS = abi_names("THINGS_KINDS")
ACTIONS = abi_names("THINGS_ACTIONS")
REASONS = abi_names("THINGS_REASONS")


@pytest.fixture(scope="module", autouse=True)
def binaries():
    targets = [str(p) for p in (THINGSCTL, THINGSD)]
    proc = subprocess.run(["make", "-C", str(REPO), *L.MAKE_VARS, *targets],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        pytest.fail(f"make {' '.join(targets)} failed:\n{proc.stdout}{proc.stderr}")


@pytest.fixture
def run_dir():
    path = Path(tempfile.mkdtemp(prefix="thingsctl-run-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def no_pins():
    return BPFFS / f"things-test-absent-{secrets.token_hex(4)}"


def ctl(run_dir, pin_dir, *args, timeout=30):
    return subprocess.run([str(THINGSCTL), "--run-dir", str(run_dir), "--pin-dir", str(pin_dir),
                           *args], capture_output=True, text=True, timeout=timeout, check=False)


def err_lines(proc):
    return proc.stderr.splitlines()


# ---- the surface -----------------------------------------------------------

@pytest.mark.parametrize("args", [["--help"], ["-h"], ["help"], ["stats", "--help"]])
def test_help(args, run_dir, no_pins):
    proc = ctl(run_dir, no_pins, *args)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Usage: thingsctl")
    for words in ("status", "app list", "app show NAME", "app add NAME kind KIND prefix PREFIX",
                  "app del NAME", "iface list", "stats", "reload", "--json", "--pretty",
                  "--run-dir DIR", "--pin-dir DIR"):
        assert words in proc.stdout
    assert proc.stderr == ""


USAGE_ERRORS = [
    ([], "no command"),
    (["bogus"], "'bogus'"),
    (["app", "frob"], "'frob'"),
    (["iface", "frob"], "'frob'"),
    (["status", "extra"], "'extra'"),
    (["stats", "extra"], "'extra'"),
    (["reload", "now"], "'now'"),
    (["app", "list", "x"], "'x'"),
    (["app", "show"], "NAME"),
    (["app", "show", "a", "b"], "'b'"),
    (["app", "show", "a" * 32], "1 to 31"),
    (["app", "del"], "NAME"),
    (["app", "add"], "NAME"),
    (["app", "add", "kind", "echo", "prefix", ROUTED], "NAME before 'kind'"),
    (["app", "add", "x", "prefix", ROUTED], "'kind KIND'"),
    (["app", "add", "x", "kind", "echo"], "'prefix PREFIX'"),
    (["app", "add", "x", "kind", "nope", "prefix", ROUTED], "unknown kind 'nope'"),
    (["app", "add", "x", "kind", "host", "prefix", ROUTED], "unknown kind 'host'"),
    (["app", "add", "x", "kind", "echo", "prefix", "2001:db8::1/48"], "bits set past"),
    (["app", "add", "x", "kind", "echo", "prefix", "2001:db8::/129"], "0 to 128"),
    (["app", "add", "x", "kind", "echo", "prefix", "192.0.2.0/24"], "not an IPv6"),
    (["app", "add", "x", "kind", "echo", "prefix", ROUTED, "loud"], "'loud'"),
    (["app", "add", "x", "kind", "echo", "prefix", ROUTED, "silent", "silent"], "twice"),
    (["app", "add", "x", "kind", "echo", "prefix", ROUTED, "onlink"], "onlink IFNAME"),
    (["app", "add", "x", "kind", "echo", "prefix", ROUTED, "onlink", "i" * 16], "interface name"),
    (["--frob", "status"], "'--frob'"),
    (["-x", "status"], "'-x'"),
    (["--timeout", "0", "status"], "--timeout"),
    (["--timeout", "soon", "status"], "--timeout"),
    (["status", "--timeout"], "needs an argument"),
]


@pytest.mark.parametrize("args,names", USAGE_ERRORS,
                         ids=[" ".join(a) or "(none)" for a, _ in USAGE_ERRORS])
def test_usage_error(args, names, run_dir, no_pins):
    proc = ctl(run_dir, no_pins, *args)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    lines = err_lines(proc)
    assert len(lines) == 2, proc.stderr
    assert lines[0].startswith("thingsctl: ") and names in lines[0], lines[0]
    assert lines[1] == HINT


READ_ONLY = [["status"], ["app", "list"], ["app"], ["app", "show", "e"], ["iface", "list"],
             ["stats"]]


@pytest.mark.parametrize("json_flag", [[], ["-j"]], ids=["text", "json"])
@pytest.mark.parametrize("args", READ_ONLY, ids=[" ".join(a) for a in READ_ONLY])
def test_read_only_without_daemon_or_pins(args, json_flag, run_dir, no_pins):
    proc = ctl(run_dir, no_pins, *json_flag, *args)
    assert proc.returncode == 1
    assert proc.stdout == ""
    lines = err_lines(proc)
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("thingsctl: thingsd is not running")
    assert str(run_dir / "thingsd.sock") in lines[0]
    assert f"{no_pins}/" in lines[0] and "No such file or directory" in lines[0]


WRITES = [["app", "add", "x", "kind", "echo", "prefix", ROUTED], ["app", "del", "x"], ["reload"]]


@pytest.mark.parametrize("args", WRITES, ids=[" ".join(a[:2]) for a in WRITES])
def test_write_needs_daemon(args, run_dir, no_pins):
    proc = ctl(run_dir, no_pins, *args)
    assert proc.returncode == 1
    assert proc.stdout == ""
    lines = err_lines(proc)
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("thingsctl: thingsd is not running") and "needs it" in lines[0]


def test_dead_daemon_socket_means_not_running(run_dir, no_pins):
    """A socket file nobody listens on is what a killed daemon leaves."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    sock.bind(str(run_dir / "thingsd.sock"))
    sock.close()
    proc = ctl(run_dir, no_pins, "status")
    assert proc.returncode == 1
    assert "thingsd is not running" in proc.stderr and "Connection refused" in proc.stderr


# ---- a fake daemon ---------------------------------------------------------

class FakeDaemon:
    """Answers each request with answer(request) (a dict), or never if it
    returns None; records every request."""

    def __init__(self, run_dir, answer):
        self.answer = answer
        self.requests = []
        self.held = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock.bind(str(run_dir / "thingsd.sock"))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.stopping = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            request = json.loads(conn.recv(1 << 20))
            self.requests.append(request)
            reply = self.answer(request)
            if reply is None:
                self.held.append(conn)
                continue
            conn.send(json.dumps(reply).encode())
            conn.close()

    def stop(self):
        self.stopping = True
        self.thread.join()
        for conn in self.held:
            conn.close()
        self.sock.close()


@pytest.fixture
def fake(run_dir):
    daemons = []

    def start(answer):
        daemons.append(FakeDaemon(run_dir, answer))
        return daemons[-1]

    yield start
    for d in daemons:
        d.stop()


def counters(values=None):
    values = values or {}
    return {a: {"packets": values.get(a, 0), "bytes": 100 * values.get(a, 0)} for a in ACTIONS}


def app(id_, name, prefix, origin="config", **flags):
    out = {"id": id_, "name": name, "kind": "echo", "prefix": prefix,
           "onlink": flags.get("onlink", False), "silent": flags.get("silent", False),
           "router": flags.get("router", False), "ifindex": flags.get("ifindex", 0),
           "counters": counters(flags.get("counts"))}
    if flags.get("interface"):
        out["interface"] = flags["interface"]
    out["origin"] = origin
    return out


APPS = [app(1, "e", ROUTED, counts={"echo-reply": 7}),
        app(2, "lan", "2001:db8:5::/64", "runtime", onlink=True, router=True, ifindex=3,
            interface="veth0")]
REASON_COUNTS = {"tx-echo-reply": 7, "pass-no-prefix": 2}
STATS = {"total": {"packets": 9, "bytes": 900},
         "reasons": {r: {"packets": REASON_COUNTS.get(r, 0), "bytes": 100 * REASON_COUNTS.get(r, 0)}
                     for r in REASONS},
         "apps": APPS}
STATUS = {"pid": 4242, "config": "/etc/things/thingsd.conf", "pin_dir": "/sys/fs/bpf/things",
          "run_dir": "/run/things", "started": int(time.time()) - 3700, "apps": 2,
          "interfaces": [{"name": "veth0", "ifindex": 3, "attached": True, "mode": "generic",
                          "allmulti_set": True}]}
IFACES = [{"ifindex": 3, "name": "veth0", "mac": "02:00:00:00:00:aa", "allmulti_set": True}]
RESULTS = {"status": STATUS, "app-list": APPS, "app-show": APPS[:1], "iface-list": IFACES,
           "stats": STATS}


def canned(request):
    return {"ok": True, "result": RESULTS.get(request["command"], {})}


PROTOCOL = [
    (["status"], {"command": "status"}),
    (["app", "list"], {"command": "app-list"}),
    (["app"], {"command": "app-list"}),
    (["app", "show", "e"], {"command": "app-show", "name": "e"}),
    (["app", "add", "x", "kind", "echo", "prefix", "fd00:1::/64"],
     {"command": "app-add", "app": {"name": "x", "kind": "echo", "prefix": "fd00:1::/64"}}),
    (["app", "add", "lan", "router", "onlink", "veth0", "prefix", "2001:db8:5::/64", "silent",
      "kind", "echo"],
     {"command": "app-add", "app": {"name": "lan", "kind": "echo", "prefix": "2001:db8:5::/64",
                                    "onlink": True, "interface": "veth0", "silent": True,
                                    "router": True}}),
    (["app", "del", "x"], {"command": "app-del", "name": "x"}),
    (["iface", "list"], {"command": "iface-list"}),
    (["iface"], {"command": "iface-list"}),
    (["stats"], {"command": "stats"}),
    (["reload"], {"command": "reload"}),
]


@pytest.mark.parametrize("args,request_", PROTOCOL, ids=[" ".join(a[:3]) for a, _ in PROTOCOL])
def test_request_follows_the_protocol(args, request_, fake, run_dir, no_pins):
    daemon = fake(canned)
    proc = ctl(run_dir, no_pins, *args)
    assert proc.returncode == 0, proc.stderr
    assert daemon.requests == [request_]
    # thingsd answered: nothing about the pins, and no noise on stderr
    assert proc.stderr == ""


@pytest.mark.parametrize("args,command", [(["app", "list"], "app-list"),
                                          (["app", "show", "e"], "app-show"),
                                          (["iface", "list"], "iface-list"),
                                          (["stats"], "stats")])
def test_json_is_the_daemons_result(args, command, fake, run_dir, no_pins):
    fake(canned)
    proc = ctl(run_dir, no_pins, "-j", *args)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("\n") == 1
    assert json.loads(proc.stdout) == RESULTS[command]
    pretty = ctl(run_dir, no_pins, *args, "--json", "--pretty")
    assert pretty.stdout.count("\n") > 3
    assert json.loads(pretty.stdout) == RESULTS[command]
    # prefixes print as typed, not with escaped slashes
    assert "\\/" not in proc.stdout


def test_json_status_says_running(fake, run_dir, no_pins):
    fake(canned)
    proc = ctl(run_dir, no_pins, "-j", "status")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {**STATUS, "running": True}


def test_json_of_a_change_is_the_empty_result(fake, run_dir, no_pins):
    fake(canned)
    proc = ctl(run_dir, no_pins, "-j", "app", "del", "x")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {}
    quiet = ctl(run_dir, no_pins, "app", "del", "x")
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""


@pytest.mark.parametrize("args", [["app", "show", "zz"], ["app", "del", "zz"], ["status"]])
def test_daemon_error_reply(args, fake, run_dir, no_pins):
    fake(lambda req: {"ok": False, "error": "no app named 'zz'"})
    proc = ctl(run_dir, no_pins, *args)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr == "thingsctl: no app named 'zz'\n"


@pytest.mark.parametrize("reply", [b"not json", b'{"result": {}}'])
def test_malformed_reply(reply, run_dir, no_pins):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    sock.bind(str(run_dir / "thingsd.sock"))
    sock.listen(1)
    try:
        proc = subprocess.Popen([str(THINGSCTL), "--run-dir", str(run_dir), "--pin-dir",
                                 str(no_pins), "status"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        conn, _ = sock.accept()
        conn.recv(4096)
        conn.send(reply)
        conn.close()
        out, err = proc.communicate(timeout=10)
    finally:
        sock.close()
    assert proc.returncode == 1
    assert out == "" and err.startswith("thingsctl: ") and "reply" in err


def test_result_of_the_wrong_type(fake, run_dir, no_pins):
    fake(lambda req: {"ok": True, "result": {"apps": []}})
    proc = ctl(run_dir, no_pins, "app", "list")
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr == ("thingsctl: thingsd answered 'app-list' with JSON of type object, "
                           "not array\n")


def test_odd_shapes_inside_print_as_nothing(fake, run_dir, no_pins):
    """json-c aborts on a wrong type; the tables must not."""
    fake(lambda req: {"ok": True, "result": {"total": 1, "reasons": [], "apps": {"e": 1}}})
    proc = ctl(run_dir, no_pins, "-v", "stats")
    assert proc.returncode == 0, proc.stderr
    assert [line.split() for line in proc.stdout.splitlines()] == [
        ["REASON", "PACKETS", "BYTES"], ["total", "0", "0"]]


def test_daemon_that_never_answers(fake, run_dir, no_pins):
    fake(lambda req: None)
    start = time.monotonic()
    proc = ctl(run_dir, no_pins, "--timeout", "1", "app", "list")
    assert time.monotonic() - start < 5
    assert proc.returncode == 1
    assert proc.stderr == "thingsctl: thingsd did not answer within 1 s (see --timeout)\n"


def test_text_app_list(fake, run_dir, no_pins):
    fake(canned)
    proc = ctl(run_dir, no_pins, "app", "list")
    assert proc.returncode == 0, proc.stderr
    header, *rows = proc.stdout.splitlines()
    assert header.split() == ["ID", "NAME", "KIND", "PREFIX", "FLAGS", "INTERFACE", "ORIGIN"]
    assert len(rows) == 2
    prefix_at = header.index("PREFIX")
    assert rows[0][prefix_at:].startswith(ROUTED)
    assert rows[1][prefix_at:].startswith("2001:db8:5::/64")
    assert rows[0].split()[1:] == ["e", "echo", ROUTED, "-", "-", "config"]
    assert rows[1].split()[1:] == ["lan", "echo", "2001:db8:5::/64", "onlink,router", "veth0",
                                   "runtime"]
    assert not any(line.endswith(" ") for line in proc.stdout.splitlines())


def test_text_app_show(fake, run_dir, no_pins):
    fake(canned)
    proc = ctl(run_dir, no_pins, "app", "show", "e")
    assert proc.returncode == 0, proc.stderr
    rows = {line.split()[0]: line.split()[1:] for line in proc.stdout.splitlines() if line}
    assert rows["app"] == ["e"] and rows["prefix"] == [ROUTED] and rows["origin"] == ["config"]
    # one app shows every action, zero or not
    for action in ACTIONS:
        assert rows[action] == (["7", "700"] if action == "echo-reply" else ["0", "0"])


def test_text_stats(fake, run_dir, no_pins):
    fake(canned)
    proc = ctl(run_dir, no_pins, "stats")
    assert proc.returncode == 0, proc.stderr
    reasons, apps = proc.stdout.split("\n\n")
    rows = [line.split() for line in reasons.splitlines()]
    assert rows[0] == ["REASON", "PACKETS", "BYTES"]
    assert rows[1:] == [["tx-echo-reply", "7", "700"], ["pass-no-prefix", "2", "200"],
                        ["total", "9", "900"]]
    assert [line.split() for line in apps.splitlines()] == [
        ["APP", "ACTION", "PACKETS", "BYTES"], ["e", "echo-reply", "7", "700"]]

    verbose = ctl(run_dir, no_pins, "-v", "stats")
    reasons, apps = verbose.stdout.split("\n\n")
    assert [line.split()[0] for line in reasons.splitlines()] == ["REASON", *REASONS, "total"]
    assert len(apps.splitlines()) == 1 + 2 * len(ACTIONS)


def test_text_status_and_ifaces(fake, run_dir, no_pins):
    # Started 1 h 1 min 40 s before now, not before the module was read: a
    # long suite run would otherwise add its own minutes.
    STATUS["started"] = int(time.time()) - 3700
    fake(canned)
    proc = ctl(run_dir, no_pins, "status")
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"^thingsd +running, pid 4242, since .* \(up 1h 0[12]m\)$", proc.stdout, re.M)
    assert re.search(r"^config +/etc/things/thingsd.conf$", proc.stdout, re.M)
    assert re.search(r"^apps +2$", proc.stdout, re.M)
    assert re.search(r"^veth0 +3 +yes +generic +yes$", proc.stdout, re.M)
    proc = ctl(run_dir, no_pins, "iface", "list")
    assert proc.stdout.splitlines()[1].split() == ["3", "veth0", "02:00:00:00:00:aa", "yes"]


# ---- pins made by hand -----------------------------------------------------

def ensure_bpffs():
    fs = subprocess.run(["stat", "-f", "-c", "%T", str(BPFFS)], capture_output=True, text=True,
                        check=True).stdout.strip()
    if fs != "bpf_fs":
        subprocess.run(["mount", "-t", "bpf", "bpf", str(BPFFS)], check=True)


def possible_cpus():
    n = 0
    for part in Path("/sys/devices/system/cpu/possible").read_text().strip().split(","):
        lo, _, hi = part.partition("-")
        n += int(hi or lo) - int(lo) + 1
    return n


def bpftool(*args):
    subprocess.run(["bpftool", *args], check=True, capture_output=True)


def hexbytes(data):
    return ["hex", *(f"{b:02x}" for b in data)]


def update(path, key, value):
    bpftool("map", "update", "pinned", str(path), "key", *hexbytes(struct.pack("=I", key)),
            "value", *hexbytes(value))


def counter(packets):
    return struct.pack("=QQ", packets, 100 * packets)


def app_value(name, prefix, plen, kind, flags, ifindex):
    # struct things_app: name[32], things_prefix_key {u32 len, u8 addr[16]}, kind, flags, ifindex
    addr = socket.inet_pton(socket.AF_INET6, prefix)
    return struct.pack("=32sI16sHHI", name.encode(), plen, addr, kind, flags, ifindex)


@pytest.fixture
def hand_pins():
    """The three maps thingsctl reads, in the ABI layout: two apps, some
    counters (bpftool writes a per-CPU value on every CPU), lo as an
    interface."""
    ensure_bpffs()
    pin = BPFFS / f"things-test-{secrets.token_hex(4)}"
    pin.mkdir()
    try:
        bpftool("map", "create", str(pin / "apps"), "type", "array", "key", "4", "value", "60",
                "entries", "256", "name", "apps")
        bpftool("map", "create", str(pin / "stats"), "type", "percpu_array", "key", "4",
                "value", "16", "entries", str(256 * 64), "name", "stats")
        bpftool("map", "create", str(pin / "ifaces"), "type", "array", "key", "4", "value", "16",
                "entries", "1024", "name", "ifaces")
        echo = KINDS.index("echo")
        update(pin / "apps", 1, app_value("e", "2001:db8:1::", 48, echo, 0, 0))
        # onlink (1 << 0) | router (1 << 2), on lo (ifindex 1)
        update(pin / "apps", 2, app_value("lan", "2001:db8:5::", 64, echo, 0b101, 1))
        # stats[app * 64 + reason]: app 1 answered 3 echoes, 2 packets matched nothing
        update(pin / "stats", 1 * 64 + REASONS.index("tx-echo-reply"), counter(3))
        update(pin / "stats", 0 * 64 + REASONS.index("pass-no-prefix"), counter(2))
        # lo in its slot (ifindex % 1024): MAC, flags (allmulti set), ifindex
        update(pin / "ifaces", 1, bytes.fromhex("0200000000aa") + struct.pack("=HII", 1, 1, 0))
        yield pin
    finally:
        shutil.rmtree(pin, ignore_errors=True)


def test_pins_status(hand_pins, run_dir):
    proc = ctl(run_dir, hand_pins, "status")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == f"thingsctl: thingsd is not running: reading the pins in {hand_pins}\n"
    assert re.search(r"^thingsd +not running", proc.stdout, re.M)
    assert re.search(r"^program +not pinned", proc.stdout, re.M)
    quiet = ctl(run_dir, hand_pins, "-j", "status")
    assert quiet.returncode == 0 and quiet.stderr == ""
    status = json.loads(quiet.stdout)
    lo = status.pop("interfaces")
    assert status == {"running": False, "pin_dir": str(hand_pins), "run_dir": str(run_dir),
                      "program": None, "apps": 2}
    assert lo == [{"ifindex": 1, "name": "lo", "mac": "02:00:00:00:00:aa", "allmulti_set": True,
                   "attached": False, "mode": "none"}]


def test_pins_apps(hand_pins, run_dir):
    proc = ctl(run_dir, hand_pins, "-j", "app", "list")
    assert proc.returncode == 0, proc.stderr
    apps = json.loads(proc.stdout)
    assert [(a["id"], a["name"], a["kind"], a["prefix"], a["onlink"], a["silent"], a["router"],
             a["ifindex"], a.get("interface")) for a in apps] == [
        (1, "e", "echo", ROUTED, False, False, False, 0, None),
        (2, "lan", "echo", "2001:db8:5::/64", True, False, True, 1, "lo")]
    # only the daemon knows where an app came from
    assert not any("origin" in a for a in apps)
    ncpu = possible_cpus()
    assert apps[0]["counters"] == counters({"echo-reply": 3 * ncpu})

    text = ctl(run_dir, hand_pins, "app", "list").stdout.splitlines()
    assert text[2].split()[1:] == ["lan", "echo", "2001:db8:5::/64", "onlink,router", "lo", "-"]
    show = ctl(run_dir, hand_pins, "-j", "app", "show", "lan")
    assert json.loads(show.stdout) == apps[1:]
    missing = ctl(run_dir, hand_pins, "app", "show", "nope")
    assert missing.returncode == 1
    assert err_lines(missing)[-1] == "thingsctl: no app named 'nope'"


def test_pins_stats_add_up(hand_pins, run_dir):
    proc = ctl(run_dir, hand_pins, "-j", "stats")
    assert proc.returncode == 0, proc.stderr
    stats = json.loads(proc.stdout)
    ncpu = possible_cpus()
    assert list(stats["reasons"]) == REASONS
    assert stats["total"] == {"packets": 5 * ncpu, "bytes": 500 * ncpu}
    assert sum(c["packets"] for c in stats["reasons"].values()) == stats["total"]["packets"]
    text = ctl(run_dir, hand_pins, "stats").stdout
    assert [line.split()[0] for line in text.split("\n\n")[0].splitlines()] == [
        "REASON", "tx-echo-reply", "pass-no-prefix", "total"]


def test_pins_ifaces(hand_pins, run_dir):
    proc = ctl(run_dir, hand_pins, "iface", "list")
    assert proc.returncode == 0, proc.stderr
    assert [line.split() for line in proc.stdout.splitlines()] == [
        ["IFINDEX", "NAME", "MAC", "ALLMULTI"], ["1", "lo", "02:00:00:00:00:aa", "yes"]]


def test_pins_do_not_allow_changes(hand_pins, run_dir):
    proc = ctl(run_dir, hand_pins, "app", "del", "e")
    assert proc.returncode == 1 and "thingsd is not running" in proc.stderr
    assert json.loads(ctl(run_dir, hand_pins, "-j", "app", "list").stdout)[0]["name"] == "e"


# ---- a real thingsd --------------------------------------------------------

class Thingsd:
    """build/thingsd in its own network namespace, with a [daemon] section
    and one routed echo app, and no interfaces."""

    def __init__(self):
        ensure_bpffs()
        tag = secrets.token_hex(4)
        self.netns = f"things-ctl-{tag}"
        self.pin_dir = BPFFS / f"things-test-{tag}"
        self.run_dir = Path(tempfile.mkdtemp(prefix="thingsd-run-", dir="/tmp"))
        self.log = self.run_dir / "thingsd.log"
        self.proc = None
        self.netns_made = False

    def start(self):
        conf = self.run_dir / "thingsd.conf"
        conf.write_text(f"[daemon]\npin_dir = {self.pin_dir}\nrun_dir = {self.run_dir}\n"
                        f"state_dir = {self.run_dir}/state\n\n"
                        f"[app e]\nkind = echo\nprefix = {ROUTED}\n")
        subprocess.run(["ip", "netns", "add", self.netns], check=True)
        self.netns_made = True
        subprocess.run(["ip", "-n", self.netns, "link", "set", "lo", "up"], check=True)
        # nsenter, not `ip netns exec`: that remounts /sys and hides bpffs.
        # nsenter execs thingsd, so this pid is the daemon's.
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(["nsenter", f"--net=/run/netns/{self.netns}", str(THINGSD),
                                          "-c", str(conf)], stdout=log, stderr=subprocess.STDOUT)

    def ctl(self, *args, timeout=30):
        return ctl(self.run_dir, self.pin_dir, *args, timeout=timeout)

    def where(self):
        """What the daemon is doing, for a failure message."""
        state = f"thingsd pid {self.proc.pid} "
        if self.proc.poll() is not None:
            state += f"exited with {self.proc.returncode}"
        else:
            try:
                state += "blocked in " + Path(f"/proc/{self.proc.pid}/wchan").read_text()
            except OSError:
                state += "(no wchan)"
        return f"{state}\nits log:\n{self.log.read_text()}"

    def wait_ready(self, seconds=15):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            proc = self.ctl("--timeout", "1", "-j", "status", timeout=10)
            if proc.returncode == 0 and json.loads(proc.stdout).get("running"):
                return
            time.sleep(0.2)
        pytest.fail(f"thingsd did not answer on {self.run_dir}/thingsd.sock within {seconds} s: "
                    f"{self.where()}")

    def stop(self, seconds=5):
        """SIGTERM; the exit status, or None if it had to be killed."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=seconds)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return None
        return self.proc.returncode

    def close(self):
        if self.proc:
            self.stop()
        if self.netns_made:
            subprocess.run(["ip", "netns", "del", self.netns], check=False)
        shutil.rmtree(self.pin_dir, ignore_errors=True)
        shutil.rmtree(self.run_dir, ignore_errors=True)


@pytest.fixture
def thingsd():
    d = Thingsd()
    try:
        d.start()
        yield d
    finally:
        d.close()


def test_daemon_status(thingsd):
    thingsd.wait_ready()
    proc = thingsd.ctl("-j", "status")
    assert proc.returncode == 0, proc.stderr
    status = json.loads(proc.stdout)
    assert status["running"] is True and status["pid"] == thingsd.proc.pid
    assert status["pin_dir"] == str(thingsd.pin_dir) and status["run_dir"] == str(thingsd.run_dir)
    assert status["apps"] == 1 and status["interfaces"] == []
    text = thingsd.ctl("status")
    assert re.search(rf"^thingsd +running, pid {thingsd.proc.pid}, ", text.stdout, re.M)
    assert text.stderr == ""


def test_daemon_apps(thingsd):
    thingsd.wait_ready()
    apps = json.loads(thingsd.ctl("-j", "app", "list").stdout)
    assert [(a["name"], a["kind"], a["prefix"], a["origin"]) for a in apps] == [
        ("e", "echo", ROUTED, "config")]

    add = thingsd.ctl("app", "add", "x", "kind", "echo", "prefix", "2001:db8:2::/48", "silent")
    assert (add.returncode, add.stdout, add.stderr) == (0, "", "")
    apps = json.loads(thingsd.ctl("-j", "app", "list").stdout)
    assert [(a["name"], a["prefix"], a["silent"], a["origin"]) for a in apps] == [
        ("e", ROUTED, False, "config"), ("x", "2001:db8:2::/48", True, "runtime")]
    show = json.loads(thingsd.ctl("-j", "app", "show", "x").stdout)
    assert len(show) == 1 and list(show[0]["counters"]) == ACTIONS

    again = thingsd.ctl("app", "add", "x", "kind", "echo", "prefix", "2001:db8:3::/48")
    assert again.returncode == 1
    assert again.stderr.startswith("thingsctl: ") and "exists" in again.stderr
    assert len(err_lines(again)) == 1

    assert thingsd.ctl("app", "del", "x").returncode == 0
    gone = thingsd.ctl("app", "del", "x")
    assert (gone.returncode, gone.stderr) == (1, "thingsctl: no app named 'x'\n")
    assert [a["name"] for a in json.loads(thingsd.ctl("-j", "app", "list").stdout)] == ["e"]


def test_daemon_stats_and_reload(thingsd):
    thingsd.wait_ready()
    stats = json.loads(thingsd.ctl("-j", "stats").stdout)
    assert list(stats["reasons"]) == REASONS
    assert sum(c["packets"] for c in stats["reasons"].values()) == stats["total"]["packets"]
    assert [a["name"] for a in stats["apps"]] == ["e"]
    reload = thingsd.ctl("reload")
    assert (reload.returncode, reload.stdout, reload.stderr) == (0, "", "")
    thingsd.wait_ready()
    assert [a["name"] for a in json.loads(thingsd.ctl("-j", "app", "list").stdout)] == ["e"]


def test_pins_after_the_daemon_stops(thingsd):
    thingsd.wait_ready()
    assert thingsd.stop() == 0, f"thingsd did not stop on SIGTERM within 5 s: {thingsd.where()}"
    assert not (thingsd.run_dir / "thingsd.sock").exists()

    status = thingsd.ctl("status")
    assert status.returncode == 0, status.stderr
    assert status.stderr == (f"thingsctl: thingsd is not running: reading the pins in "
                             f"{thingsd.pin_dir}\n")
    assert re.search(r"^thingsd +not running", status.stdout, re.M)
    st = json.loads(thingsd.ctl("-j", "status").stdout)
    assert (st["running"], st["apps"], st["interfaces"]) == (False, 1, [])

    apps = json.loads(thingsd.ctl("-j", "app", "list").stdout)
    assert [(a["id"], a["name"], a["prefix"]) for a in apps] == [(1, "e", ROUTED)]
    assert json.loads(thingsd.ctl("-j", "iface", "list").stdout) == []
    stats = thingsd.ctl("-j", "stats")
    assert stats.returncode == 0 and list(json.loads(stats.stdout)["reasons"]) == REASONS
    add = thingsd.ctl("app", "add", "y", "kind", "echo", "prefix", "2001:db8:9::/48")
    assert add.returncode == 1 and "thingsd is not running" in add.stderr
