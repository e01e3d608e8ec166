"""thingsd as a hostile operator and a careless one would try it: silent
clients, a second instance, someone detaching the program, directories
another user controls, configs that cannot start, prefixes that break the
host, hostile names, lenient parsing, huge files, state that must last,
and the build's flags. The kernel, iproute2, ping and setpriv judge."""
import json
import os
import random
import signal
import socket
import subprocess
import time

import pytest

import lab as L

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")

NOBODY = 65534


@pytest.fixture
def lan():
    with L.Lab("rb") as lab:
        client, router, host = L.lan_topology(lab)
        yield lab, client, router, host


wait_for, ping = L.wait_for, L.ping


def ours_routes(ns):
    return sorted(r["dst"] for r in ns.ip_json("-6", "route", "show", "table", "local")
                  if r.get("protocol") == "248")


def xdp_id(ns, dev):
    return ns.ip_json("link", "show", dev)[0].get("xdp", {}).get("prog", {}).get("id")


def raw_request(run_dir, payload, timeout=5):
    """One request on the control socket, as bytes; the reply as JSON."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(timeout)
    try:
        s.connect(os.path.join(run_dir, "thingsd.sock"))
        s.send(payload)
        return json.loads(s.recv(1 << 20))
    finally:
        s.close()


class Instance:
    """Another thingsd on the lab's host, with directories of its own."""

    def __init__(self, lab, ns, tag, body):
        self.ns = ns
        self.pin_dir = "%s/things-%s-%s" % (L.BPFFS, tag, lab.suffix)
        self.base = os.path.join(lab.tmp, tag)
        os.makedirs(self.base)
        self.run_dir = os.path.join(self.base, "run")
        self.conf = os.path.join(self.base, "thingsd.conf")
        with open(self.conf, "w") as f:
            f.write("[daemon]\npin_dir = %s\nrun_dir = %s\nstate_dir = %s/state\n\n%s" %
                    (self.pin_dir, self.run_dir, self.base, body))
        self.proc = None
        lab.undo.append(self.cleanup)

    def start(self, wait=True):
        self.log = open(os.path.join(self.base, "log"), "a")
        self.proc = self.ns.popen(L.THINGSD, "-c", self.conf, "-v", stdout=self.log,
                                  stderr=subprocess.STDOUT)
        if wait:
            wait_for(lambda: self.proc.poll() is not None or self.running(),
                     what="second instance ready")
            assert self.proc.poll() is None, self.read_log()

    def running(self):
        res = self.ctl("-j", "status")
        return res.returncode == 0 and json.loads(res.stdout).get("running")

    def ctl(self, *args):
        return L.sh("nsenter", "--net=" + self.ns.path, L.THINGSCTL, "--run-dir", self.run_dir,
                    "--pin-dir", self.pin_dir, *args, check=False)

    def read_log(self):
        with open(os.path.join(self.base, "log")) as f:
            return f.read()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)
        return self.proc.returncode

    def cleanup(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        L.sh("rm", "-rf", self.pin_dir, check=False)


# ---- 1. silent clients ------------------------------------------------------

def test_thousand_silent_clients_do_not_stall_the_daemon(lan):
    lab, client, router, host = lan
    d = lab.thingsd(host, L.DEMO_APPS)
    path = os.path.join(d.run_dir, "thingsd.sock")
    silent = []
    try:
        for _ in range(1000):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            s.setblocking(False)
            try:
                s.connect(path)
            except BlockingIOError:
                pass  # in the backlog: the daemon takes it soon enough
            silent.append(s)
        # With every one of them connected and saying nothing, a real
        # client is answered, well inside its own timeout.
        for _ in range(5):
            res = d.ctl("--timeout", "3", "-j", "status", check=False)
            assert res.returncode == 0, res.stderr
            assert json.loads(res.stdout)["running"] is True
        # The daemon holds a bounded number of them, not a thousand.
        fds = len(os.listdir("/proc/%d/fd" % d.proc.pid))
        assert fds < 200, fds
    finally:
        for s in silent:
            s.close()
    # One that stays silent is hung up on after its deadline.
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(10)
    s.connect(path)
    start = time.time()
    assert s.recv(100) == b""
    assert time.time() - start < 8
    s.close()


def test_client_that_never_reads_its_reply(lan):
    lab, client, router, host = lan
    d = lab.thingsd(host, L.DEMO_APPS)
    path = os.path.join(d.run_dir, "thingsd.sock")
    hogs = []
    for _ in range(50):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.connect(path)
        s.send(b'{"command": "stats"}')
        hogs.append(s)
    assert d.ctl("--timeout", "3", "status", check=False).returncode == 0
    for s in hogs:
        s.close()


# ---- 2. instances -------------------------------------------------------------

def test_second_instance_on_the_same_interface_is_refused(lan):
    lab, client, router, host = lan
    a = lab.thingsd(host, L.DEMO_APPS)
    prog = xdp_id(host, "h0")
    routes = ours_routes(host)
    b = Instance(lab, host, "b", "[interface h0]\n\n[app other]\nkind = echo\n"
                 "prefix = 2001:db8:7::/48\n")
    b.start(wait=False)
    assert b.proc.wait(15) == 1
    log = b.read_log()
    assert "another thingsd's things_xdp" in log and "one interface is served by one instance" in log, log
    # The first instance lost nothing.
    assert xdp_id(host, "h0") == prog
    assert ours_routes(host) == routes
    assert ping(client, L.random_address(L.ROUTED, random.Random(1)))
    assert ping(client, L.random_address(L.ONLINK, random.Random(2)))
    st = a.ctl_json("status")
    assert st["interfaces"][0]["attached"] is True
    assert st["interfaces"][0]["program"] == "ours"


def test_instances_on_two_interfaces_run_side_by_side(lan):
    lab, client, router, host = lan
    lab.veth(host, "h1", router, "rh1")
    router.ip("link", "set", "rh1", "master", "br0")
    lab.xdp_pass(router, "rh1")
    second = L.ipaddress.ip_network("2001:db8:2:7::/64")
    client.ip("-6", "route", "add", str(second), "dev", "c0")
    a = lab.thingsd(host, L.DEMO_APPS)
    b = Instance(lab, host, "b", "[interface h1]\n\n[app b]\nkind = echo\nprefix = %s\n"
                 "onlink = yes\ninterface = h1\n" % second)
    b.start()
    a_routes = sorted([str(L.ROUTED), str(L.ONLINK)])
    assert ours_routes(host) == sorted(a_routes + [str(second)])
    assert xdp_id(host, "h0") and xdp_id(host, "h1") and xdp_id(host, "h0") != xdp_id(host, "h1")
    rng = random.Random(3)
    assert ping(client, L.random_address(L.ONLINK, rng))
    assert ping(client, L.random_address(second, rng))
    b_mac = host.link_mac("h1")
    neigh = {n["dst"]: n.get("lladdr") for n in client.ip_json("-6", "neigh", "show", "dev", "c0")}
    assert b_mac in neigh.values()

    # Stopping the second takes only its own program and route.
    prog_a = xdp_id(host, "h0")
    assert b.stop() == 0
    assert ours_routes(host) == a_routes
    assert xdp_id(host, "h0") == prog_a and xdp_id(host, "h1") is None
    assert ping(client, L.random_address(L.ROUTED, rng))
    # A third with no interfaces and no apps removes nothing either.
    c = Instance(lab, host, "c", "")
    c.start()
    assert c.stop() == 0
    assert ours_routes(host) == a_routes
    assert a.ctl_json("status")["interfaces"][0]["attached"] is True


# ---- 3. a program detached by someone else ----------------------------------

def test_program_detached_by_someone_else_is_attached_again(lan):
    lab, client, router, host = lan
    d = lab.thingsd(host, L.DEMO_APPS)
    host.ip("link", "set", "dev", "h0", "xdp", "off")
    # The link notification alone brings it back.
    wait_for(lambda: xdp_id(host, "h0") is not None, what="re-attached after xdp off")
    assert "detached by someone else" in d.read_log()
    assert d.ctl_json("status")["interfaces"][0]["attached"] is True
    assert ping(client, L.random_address(L.ONLINK, random.Random(4)))
    # And status says what is so, not what was done last.
    host.ip("link", "set", "dev", "h0", "xdp", "off")
    d.send_signal(signal.SIGHUP)
    wait_for(lambda: xdp_id(host, "h0") is not None)
    assert ping(client, L.random_address(L.ONLINK, random.Random(5)))


# ---- 4. symlinks and directories of other users -------------------------------

def as_nobody(*args):
    return L.sh("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *args)


def start_with(lab, host, daemon, body="[app a]\nkind = echo\nprefix = 2001:db8:1::/48\n"):
    conf = os.path.join(lab.tmp, "conf-%s" % random.randrange(1 << 30))
    with open(conf, "w") as f:
        f.write("[daemon]\n%s\n%s" % (daemon, body))
    proc = host.popen(L.THINGSD, "-c", conf, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                      text=True)
    out, err = proc.communicate(timeout=20)
    return proc.returncode, err, conf


def test_lock_symlink_in_a_directory_of_another_user(lan):
    lab, client, router, host = lan
    os.chmod(lab.tmp, 0o755)
    victim = os.path.join(lab.tmp, "victim")
    with open(victim, "w") as f:
        f.write("precious\n")
    evil = os.path.join(lab.tmp, "evil")
    os.mkdir(evil)
    os.chown(evil, NOBODY, NOBODY)
    as_nobody("mkdir", evil + "/run")
    as_nobody("ln", "-s", victim, evil + "/run/thingsd.lock")
    rc, err, conf = start_with(lab, host, "run_dir = %s/run\nstate_dir = %s/state\npin_dir = "
                               "%s/things-evil-%s" % (evil, lab.tmp, L.BPFFS, lab.suffix))
    assert rc == 2, err
    assert "%s:2: run_dir: %s" % (conf, evil) in err and "owned by uid %d" % NOBODY in err, err
    with open(victim) as f:
        assert f.read() == "precious\n"
    assert not os.path.exists("%s/things-evil-%s" % (L.BPFFS, lab.suffix))

    # A root-owned run_dir inside the other user's directory: refused too,
    # since they could rename it away and put their own in its place.
    os.mkdir(evil + "/rootrun")
    rc, err, _ = start_with(lab, host, "run_dir = %s/rootrun\nstate_dir = %s/state" % (evil, lab.tmp))
    assert rc == 2 and "%s is owned by uid %d" % (evil, NOBODY) in err, err


def test_lock_file_is_never_opened_through_a_symlink(lan):
    lab, client, router, host = lan
    victim = os.path.join(lab.tmp, "victim")
    with open(victim, "w") as f:
        f.write("precious\n")
    run = os.path.join(lab.tmp, "run")
    os.mkdir(run)
    os.symlink(victim, run + "/thingsd.lock")
    rc, err, _ = start_with(lab, host, "run_dir = %s\nstate_dir = %s/state\npin_dir = "
                            "%s/things-sl-%s" % (run, lab.tmp, L.BPFFS, lab.suffix))
    L.sh("rm", "-rf", "%s/things-sl-%s" % (L.BPFFS, lab.suffix), check=False)
    assert rc == 1 and "it is a symlink" in err, err
    with open(victim) as f:
        assert f.read() == "precious\n"


def test_pin_dir_made_by_another_user_is_refused(lan):
    lab, client, router, host = lan
    L.ensure_bpffs()
    pins = "%s/things-foreign-%s" % (L.BPFFS, lab.suffix)
    as_nobody("mkdir", pins)
    lab.undo.append(lambda: L.sh("rm", "-rf", pins, check=False))
    rc, err, conf = start_with(lab, host, "pin_dir = %s\nrun_dir = %s/run\nstate_dir = %s/state" %
                               (pins, lab.tmp, lab.tmp))
    assert rc == 2, err
    assert "%s:2: pin_dir: %s is owned by uid %d" % (conf, pins, NOBODY) in err, err
    assert os.listdir(pins) == []
    assert not os.path.exists(os.path.join(lab.tmp, "run"))


# ---- 5. --check knows what cannot start ---------------------------------------

def check(lab, text, name="c.conf"):
    path = os.path.join(lab.tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path, L.sh(L.THINGSD, "--check", path, check=False)


def test_check_refuses_what_cannot_start(lan):
    lab, client, router, host = lan
    long_dir = lab.tmp + "/" + "r" * (107 - len(lab.tmp))
    path, res = check(lab, "[daemon]\nrun_dir = %s\n" % long_dir)
    assert res.returncode == 2 and res.stderr.startswith(path + ":2: run_dir is too long"), res.stderr
    path, res = check(lab, "[daemon]\npin_dir = %s/pins\n" % lab.tmp)
    assert res.returncode == 2, res.stderr
    assert res.stderr.startswith(path + ":2: pin_dir: %s/pins is not on a BPF filesystem" % lab.tmp)

    # Started for real, the same configs create nothing at all.
    for daemon in ("run_dir = %s\nstate_dir = %s/state" % (long_dir, lab.tmp),
                   "pin_dir = %s/pins\nrun_dir = %s/run\nstate_dir = %s/state" %
                   (lab.tmp, lab.tmp, lab.tmp)):
        rc, err, _ = start_with(lab, host, daemon)
        assert rc == 2, err
        assert not os.path.exists(long_dir) and not os.path.exists(lab.tmp + "/run")
        assert not os.path.exists(lab.tmp + "/state") and not os.path.exists(lab.tmp + "/pins")


def test_pin_dir_with_missing_parents_is_made(lan):
    lab, client, router, host = lan
    L.ensure_bpffs()
    top = "%s/things-deep-%s" % (L.BPFFS, lab.suffix)
    lab.undo.append(lambda: L.sh("rm", "-rf", top, check=False))
    path, res = check(lab, "[daemon]\npin_dir = %s/a/b\nrun_dir = %s/run\n" % (top, lab.tmp))
    assert res.returncode == 0, res.stderr
    assert not os.path.exists(top)
    d = L.Thingsd.__new__(L.Thingsd)
    conf = os.path.join(lab.tmp, "deep.conf")
    with open(conf, "w") as f:
        f.write("[daemon]\npin_dir = %s/a/b\nrun_dir = %s/run\nstate_dir = %s/state\n"
                "[app a]\nkind = echo\nprefix = 2001:db8:1::/48\n" % (top, lab.tmp, lab.tmp))
    d = lab.thingsd(host, conf_file=conf)
    assert os.path.exists(top + "/a/b/apps")
    assert oct(os.stat(top + "/a").st_mode & 0o777) == "0o700"
    assert d.stop() == 0


# ---- 6. prefixes that break the host ------------------------------------------

BAD_PREFIXES = [
    ("::/0", "overlaps multicast"),
    ("fe80::/64", "overlaps link-local"),
    ("ff02::/16", "overlaps multicast"),
    ("::ffff:0:0/96", "overlaps IPv4-mapped"),
    ("::ffff:10.0.0.0/104", "overlaps IPv4-mapped"),
    ("::/127", "overlaps the unspecified address"),
    ("::1/128", "overlaps the loopback address"),
    ("2000::/8", "shorter than /16"),
    ("2000::/15", "shorter than /16"),
]


@pytest.mark.parametrize("prefix,why", BAD_PREFIXES)
def test_prefixes_that_break_the_host_are_refused(tmp_path, prefix, why):
    conf = tmp_path / "p.conf"
    conf.write_text("[app a]\nkind = echo\n\nprefix = %s\n" % prefix)
    res = L.sh(L.THINGSD, "--check", str(conf), check=False)
    assert res.returncode == 2 and res.stderr.startswith("%s:4: app 'a': " % conf), res.stderr
    assert why in res.stderr, res.stderr


def test_allow_wide(tmp_path):
    conf = tmp_path / "w.conf"
    conf.write_text("[app a]\nkind = echo\nprefix = 2000::/8\nallow_wide = yes\n")
    assert L.sh(L.THINGSD, "--check", str(conf), check=False).returncode == 0
    # Wide is not a way round the reserved ranges.
    conf.write_text("[app a]\nkind = echo\nprefix = ::/0\nallow_wide = yes\n")
    res = L.sh(L.THINGSD, "--check", str(conf), check=False)
    assert res.returncode == 2 and "multicast" in res.stderr


def test_prefix_holding_a_gateway_is_warned_of(lan):
    lab, client, router, host = lan
    conf = os.path.join(lab.tmp, "gw.conf")
    with open(conf, "w") as f:
        f.write("[daemon]\nrun_dir = %s/run\n[app lan]\nkind = echo\nprefix = %s\n" %
                (lab.tmp, L.LAN))
    res = L.sh("nsenter", "--net=" + host.path, L.THINGSD, "--check", conf, check=False)
    assert res.returncode == 0, res.stderr
    assert ("%s:5: warning: app 'lan' prefix %s holds %s, the gateway of the route to ::/0"
            % (conf, L.LAN, L.ROUTER_LAN)) in res.stderr, res.stderr


def test_runtime_app_with_a_bad_prefix_is_refused(lan):
    lab, client, router, host = lan
    d = lab.thingsd(host, L.DEMO_APPS)
    res = d.ctl("app", "add", "ll", "kind", "echo", "prefix", "fe80::/64", check=False)
    assert res.returncode == 1 and "link-local" in res.stderr, res.stderr
    assert not [r for r in ours_routes(host) if r.startswith("fe80")]


# ---- 7. names and text --------------------------------------------------------

@pytest.mark.parametrize("name", ["a\x1b[31mb", "new\nline", "sp ace", "sl/ash", "x" * 32, "\u00e9"])
def test_app_names_are_restricted(tmp_path, name):
    conf = tmp_path / "n.conf"
    conf.write_bytes(("[app %s]\nkind = echo\nprefix = 2001:db8::/48\n" % name).encode())
    res = L.sh(L.THINGSD, "--check", str(conf), check=False)
    assert res.returncode == 2, res


def test_hostile_names_are_refused_and_never_echoed_raw(lan):
    lab, client, router, host = lan
    d = lab.thingsd(host, L.DEMO_APPS)
    evil = "x\x1b]0;pwned\x07\n| fake row"
    reply = raw_request(d.run_dir, json.dumps({"command": "app-add", "app": {
        "name": evil, "kind": "echo", "prefix": "2001:db8:9::/48"}}).encode())
    assert reply["ok"] is False and "app name" in reply["error"]
    res = d.ctl("app", "add", "a\x1bb", "kind", "echo", "prefix", "2001:db8:9::/48", check=False)
    assert res.returncode == 2
    assert "\x1b" not in res.stderr and "\\x1b" in res.stderr, res.stderr
    assert "bytes" in res.stderr
    assert [a["name"] for a in d.ctl_json("app", "list")] == ["routed", "lan"]


# ---- 8. lenient parsing -----------------------------------------------------------

APP = "[app a]\nkind = echo\nprefix = 2001:db8::/48\n"
STRICT = {
    "duplicate-key": ("[app a]\nkind = echo\nprefix = 2001:db8::/48\nprefix = 2001:db8:1::/48\n",
                      4, "duplicate key 'prefix' (first on line 3)"),
    "duplicate-daemon-key": ("[daemon]\nrun_dir = /run/a\nrun_dir = /run/b\n", 3,
                             "duplicate key 'run_dir'"),
    "length-with-space-sign": ("[app a]\nkind = echo\nprefix = 2001:db8:1::/ +48\n", 3,
                               "prefix length must be 0 to 128"),
    "length-with-sign": ("[app a]\nkind = echo\nprefix = 2001:db8:1::/+48\n", 3,
                         "prefix length must be 0 to 128"),
    "junk-after-header": ("[app a] junk\nkind = echo\nprefix = 2001:db8::/48\n", 1,
                          "unexpected text after the section header"),
    "unclosed-header": ("[daemon]\nrun_dir = /run/x\n[app a\nkind = echo\n", 3,
                        "section header has no closing ']'"),
    "nul-byte": ("[app a]\nkind = echo\nprefix = 2001:db8::/48\x00\n", 3, "NUL byte"),
    "number-with-sign": ("[app a]\nkind = board\nprefix = 2001:db8::/64\nlines = +5\n", 4,
                         "lines must be a whole number"),
    "number-hex": ("[app a]\nkind = board\nprefix = 2001:db8::/64\nlines = 0x10\n", 4,
                   "lines must be a whole number"),
    "continuation": ("[app a]\nkind = echo\nprefix = 2001:db8::/48\n  more\n", 4,
                     "not a section header"),
    "key-for-another-kind": ("[app a]\nkind = echo\nprefix = 2001:db8::/48\nlines = 5\n", 4,
                             "lines does not apply to kind echo"),
    "long-line": ("[app a]\nkind = echo\n# " + "x" * 300 + "\n", 3, "longer than"),
}


@pytest.mark.parametrize("name", sorted(STRICT))
def test_lenient_parsing_is_an_error(tmp_path, name):
    body, line, why = STRICT[name]
    conf = tmp_path / "s.conf"
    conf.write_bytes(body.encode())
    res = L.sh(L.THINGSD, "--check", str(conf), check=False)
    assert res.returncode == 2, res
    assert res.stderr.startswith("%s:%d: " % (conf, line)), res.stderr
    assert why in res.stderr, res.stderr


def test_byte_order_mark_is_read_past(tmp_path):
    conf = tmp_path / "bom.conf"
    conf.write_bytes(b"\xef\xbb\xbf" + APP.encode())
    res = L.sh(L.THINGSD, "--check", str(conf), check=False)
    assert res.returncode == 0 and "1 app(s)" in res.stdout, res.stderr


def test_inline_comments(tmp_path):
    conf = tmp_path / "c.conf"
    conf.write_text("[interface eth0]   # attach here\n[app a]  ; web\nkind = echo   # ok\n"
                    "prefix = 2001:db8::/48    # routed here\n")
    res = L.sh(L.THINGSD, "--check", str(conf), check=False)
    assert res.returncode == 0, res.stderr


JSON_ERRORS = [
    ({"command": "app-add", "app": {"name": "j", "prefix": "2001:db8:9::/48", "silent": "no"}},
     'field "silent" must be true or false'),
    ({"command": "app-add", "app": {"name": "j", "prefix": "2001:db8:9::/48", "colour": 1}},
     'unknown field "colour"'),
    ({"command": "app-add", "app": {"name": "j", "kind": "board", "prefix": "2001:db8:9::/64",
                                    "lines": "5"}}, 'field "lines" must be a whole number'),
    ({"command": "app-add", "app": {"name": "j", "kind": "board", "prefix": "2001:db8:9::/64",
                                    "lines": -1}}, 'field "lines" must be a whole number'),
    ({"command": "status", "extra": 1}, 'status takes no field "extra"'),
    ({"command": 5}, 'field "command" must be a string'),
    ({"command": "app-show", "name": 7}, 'field "name" must be a string'),
]


def test_json_requests_are_checked_strictly(lan):
    lab, client, router, host = lan
    d = lab.thingsd(host, L.DEMO_APPS)
    for req, why in JSON_ERRORS:
        reply = raw_request(d.run_dir, json.dumps(req).encode())
        assert reply == {"ok": False, "error": why} or (
            reply["ok"] is False and why in reply["error"]), (req, reply)
    for payload, why in ((b'{"command": "status"} x', "bytes after its JSON object"),
                         (b'{"command": "status"}{}', "bytes after its JSON object"),
                         (b'["status"]', "not a JSON object"),
                         (b'{"command": "status"', "not JSON")):
        reply = raw_request(d.run_dir, payload)
        assert reply["ok"] is False and why in reply["error"], (payload, reply)
    assert raw_request(d.run_dir, b'{"command": "status"}\n')["ok"] is True
    assert [a["name"] for a in d.ctl_json("app", "list")] == ["routed", "lan"]


# ---- 9. size limits ----------------------------------------------------------------

def test_too_many_interfaces_stops_at_the_first_one_over(tmp_path):
    conf = tmp_path / "i.conf"
    conf.write_text("".join("[interface e%d]\n" % i for i in range(80000)))
    res = subprocess.run([L.THINGSD, "--check", str(conf)], capture_output=True, text=True,
                         timeout=30)
    assert res.returncode == 2
    assert res.stderr == "%s:257: more than 256 interfaces\n" % conf


def test_too_many_apps_stops_at_the_first_one_over(tmp_path):
    conf = tmp_path / "a.conf"
    conf.write_text("".join("[app a%d]\nkind = echo\nprefix = 2001:db8:%x::/48\n" % (i, i)
                            for i in range(80000)))
    res = subprocess.run([L.THINGSD, "--check", str(conf)], capture_output=True, text=True,
                         timeout=30)
    assert res.returncode == 2
    assert res.stderr == "%s:%d: more than 255 apps\n" % (conf, 255 * 3 + 1)


def test_fifty_megabytes_of_sections(tmp_path):
    conf = tmp_path / "big.conf"
    with open(conf, "w") as f:
        for i in range(2_000_000):
            f.write("[app n%07d]\n" % i)
    assert os.path.getsize(conf) > 25_000_000
    res = subprocess.run([L.THINGSD, "--check", str(conf)], capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == 2 and ":256: more than 255 apps" in res.stderr, res.stderr


# ---- 10. state that lasts, and who may change it ------------------------------

def test_runtime_apps_survive_restart_and_crash(lan):
    lab, client, router, host = lan
    extra = L.ipaddress.ip_network("2001:db8:6::/48")
    router.ip("-6", "route", "add", str(extra), "via", L.HOST_LAN)
    d = lab.thingsd(host, L.DEMO_APPS)
    d.ctl("app", "add", "extra", "kind", "echo", "prefix", str(extra))
    dst = L.random_address(extra, random.Random(6))
    assert ping(client, dst)
    with open(os.path.join(d.state_dir, "runtime-apps.conf")) as f:
        assert "[app extra]" in f.read()

    for how in (signal.SIGTERM, signal.SIGKILL):
        d.stop(sig=how)
        d.start()
        apps = {a["name"]: a for a in d.ctl_json("app", "list")}
        assert apps["extra"]["origin"] == "runtime" and apps["extra"]["prefix"] == str(extra)
        assert str(extra) in ours_routes(host)
        assert ping(client, dst)

    d.ctl("app", "del", "extra")
    d.stop()
    d.start()
    assert "extra" not in [a["name"] for a in d.ctl_json("app", "list")]


def test_group_members_may_read_and_not_change(lan):
    lab, client, router, host = lan
    d = lab.thingsd(host, L.DEMO_APPS)
    d.write_conf("[daemon]\n" if False else "")
    # A config naming an existing group: nogroup stands in for "things".
    with open(d.conf, "w") as f:
        f.write("[daemon]\npin_dir = %s\nrun_dir = %s\nstate_dir = %s\ngroup = nogroup\n\n%s" %
                (d.pin_dir, d.run_dir, d.state_dir, L.DEMO_APPS))
    d.stop()
    d.start()
    os.chmod(lab.tmp, 0o755)
    os.chmod(d.run_dir, 0o755)
    sock = os.path.join(d.run_dir, "thingsd.sock")
    st = os.stat(sock)
    assert oct(st.st_mode & 0o777) == "0o660" and st.st_gid == NOBODY

    def as_user(gid, *args):
        return L.sh("setpriv", "--reuid=nobody", "--regid=%s" % gid, "--clear-groups",
                    L.THINGSCTL, "--run-dir", d.run_dir, "--pin-dir", "/nonexistent", *args,
                    check=False)

    member = as_user("nogroup", "-j", "status")
    assert member.returncode == 0 and json.loads(member.stdout)["running"], member.stderr
    assert as_user("nogroup", "-j", "stats").returncode == 0
    change = as_user("nogroup", "app", "add", "z", "kind", "echo", "prefix", "2001:db8:8::/48")
    assert change.returncode == 1 and "only root" in change.stderr, change.stderr
    assert as_user("nogroup", "reload").returncode == 1
    # Not in the group: the file mode keeps them out, and so would the daemon.
    os.chmod(sock, 0o666)
    outsider = as_user("users", "status")
    assert outsider.returncode == 1 and "permission denied" in outsider.stderr, outsider.stderr
    assert "z" not in [a["name"] for a in d.ctl_json("app", "list")]


def test_make_install_creates_the_group_file(tmp_path):
    res = subprocess.run(["make", "-C", L.REPO, "install", "DESTDIR=%s" % tmp_path],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    sysusers = tmp_path / "usr/lib/sysusers.d/things.conf"
    assert [l.split() for l in sysusers.read_text().splitlines()
            if l and not l.startswith("#")] == [["g", "things", "-"],
                                                ["u", "things", "-:things", "-", "-", "-"]]
    unit = (tmp_path / "etc/systemd/system/thingsd.service").read_text()
    assert "systemd-sysusers things.conf" in unit and "StateDirectory=things" in unit


# ---- 11. the build's flags -------------------------------------------------------

def test_make_with_own_cflags_and_sanitize(tmp_path):
    plain = tmp_path / "o1"
    res = subprocess.run(["make", "-C", L.REPO, "BUILD=%s" % plain, "CFLAGS=-O1",
                          "%s/thingsd" % plain], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "-O1" in res.stdout and "-Werror" in res.stdout
    san = tmp_path / "san"
    res = subprocess.run(["make", "-C", L.REPO, "SANITIZE=1", "BUILD=%s" % san,
                          "%s/thingsctl" % san], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "-fsanitize=address,undefined" in res.stdout
    assert "__asan_init" in subprocess.run(["nm", str(san / "thingsctl")], capture_output=True,
                                           text=True).stdout
    run = subprocess.run([str(san / "thingsctl"), "--pin-dir", "/nonexistent", "--run-dir",
                          str(tmp_path), "status"], capture_output=True, text=True)
    assert run.returncode == 1 and "AddressSanitizer" not in run.stderr, run.stderr
