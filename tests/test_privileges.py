# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Least privilege, judged by the kernel: the capabilities a running
thingsd holds (decoded by capsh), and what other users get when they try
the control socket and the pinned maps (setpriv runs them as nobody, with
and without the socket's group and the capabilities things-web has)."""

import grp
import json
import os
import pwd
import random
import secrets
import subprocess
import sys

import pytest

import lab as L

NOBODY = 65534
ROUTED = "[app routed]\nkind = echo\nprefix = 2001:db8:1::/48\n"
# What userspace/thingsd/privs.h says thingsd keeps, by name: capsh names
# the bits the kernel reports.
KEPT = {"cap_bpf", "cap_perfmon", "cap_net_admin", "cap_sys_admin", "cap_setuid",
        "cap_setgid", "cap_kill", "cap_net_bind_service"}

# Run as another user: tries BPF_OBJ_GET on a pin with each access mode,
# then a write through a read-only descriptor; prints what the kernel said.
PROBE = r"""
import ctypes, errno, json, os, socket, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
SYS_BPF, OBJ_GET, UPDATE = 321, 7, 2
RDONLY, WRONLY = 1 << 3, 1 << 4
def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(attr, 128)
    r = libc.syscall(SYS_BPF, cmd, buf, 128)
    return r if r >= 0 else -ctypes.get_errno()
def obj_get(path, flags):
    p = ctypes.create_string_buffer(path.encode())
    return bpf(OBJ_GET, struct.pack("=QII", ctypes.addressof(p), 0, flags))
out = {}
pin = sys.argv[1]
for name, flags in (("rdwr", 0), ("rdonly", RDONLY), ("wronly", WRONLY)):
    fd = obj_get(pin, flags)
    out[name] = "ok" if fd >= 0 else errno.errorcode[-fd]
    if name == "rdonly" and fd >= 0:
        key, val = ctypes.create_string_buffer(4), ctypes.create_string_buffer(60)
        r = bpf(UPDATE, struct.pack("=I4xQQQ", fd, ctypes.addressof(key),
                                    ctypes.addressof(val), 0))
        out["write_via_rdonly"] = "ok" if r >= 0 else errno.errorcode[-r]
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
try:
    s.connect(sys.argv[2])
    s.send(json.dumps({"command": sys.argv[3]}).encode())
    out["control"] = json.loads(s.recv(65536))
except OSError as e:
    out["control"] = errno.errorcode[e.errno]
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def daemon():
    group = "thtest%s" % secrets.token_hex(3)
    subprocess.run(["groupadd", "--system", group], check=True)
    lab = L.Lab("privs")
    try:
        # Only the socket's own permissions may stop other users.
        os.chmod(lab.tmp, 0o711)
        ns = lab.netns("h")
        d = lab.thingsd(ns, "group = %s\n\n%s" % (group, ROUTED))
        d.group = group
        yield d, grp.getgrnam(group).gr_gid
    finally:
        lab.close()
        subprocess.run(["groupdel", group], check=False)


def caps(pid):
    status = L.proc_status(pid)
    out = {}
    for field in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        dec = subprocess.run(["capsh", "--decode=" + status[field].strip()],
                             capture_output=True, text=True, check=True).stdout
        names = dec.strip().split("=", 1)[1]
        out[field] = set(names.split(",")) if names else set()
    return out


def test_thingsd_keeps_only_what_it_needs(daemon):
    d, _ = daemon
    with open("/proc/%d/comm" % d.proc.pid) as f:
        assert f.read().strip() == "thingsd"
    got = caps(d.proc.pid)
    assert got["CapEff"] == KEPT and got["CapPrm"] == KEPT and got["CapBnd"] == KEPT, got
    assert not got["CapInh"] and not got["CapAmb"], got
    # And it still does its work with them: a reload that adds an app.
    d.write_conf("group = %s\n\n%s[app board]\nkind = board\nprefix = 2001:db8:1:b0a::/64\n"
                 % (d.group, ROUTED))
    d.ctl("reload")
    assert d.ctl("app", "show", "board").returncode == 0
    assert caps(d.proc.pid)["CapEff"] == KEPT


def probe(d, user_args, command="status"):
    sock = os.path.join(d.run_dir, "thingsd.sock")
    res = subprocess.run(["setpriv", *user_args, "--", sys.executable, "-c", PROBE,
                          os.path.join(d.pin_dir, "apps"), sock, command],
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def as_nobody(groups=(), caps=()):
    args = ["--reuid=%d" % NOBODY, "--regid=%d" % NOBODY]
    args += ["--groups=" + ",".join(map(str, groups))] if groups else ["--clear-groups"]
    if caps:
        c = ",".join("+" + c for c in caps)
        args += ["--inh-caps=" + c, "--ambient-caps=" + c]
    return args


def test_outsider_gets_neither_socket_nor_maps(daemon):
    d, _ = daemon
    got = probe(d, as_nobody(caps=("bpf",)))
    assert got["control"] == "EACCES", got
    assert got["rdwr"] == got["rdonly"] == got["wronly"] == "EACCES", got


def test_group_member_reads_but_never_writes(daemon):
    d, gid = daemon
    got = probe(d, as_nobody(groups=(gid,)))
    assert got["control"]["ok"] is True and got["control"]["result"]["running"], got
    denied = probe(d, as_nobody(groups=(gid,)), command="reload")["control"]
    assert denied["ok"] is False and "permission denied" in denied["error"], denied
    # The pins are root's: a member with CAP_BPF opens none of them.
    got = probe(d, as_nobody(groups=(gid,), caps=("bpf",)))
    assert got["rdwr"] == got["rdonly"] == got["wronly"] == "EACCES", got


def test_reader_with_web_privileges_cannot_write(daemon):
    """things-web's unit grants CAP_BPF and CAP_DAC_READ_SEARCH: enough to
    open a map read-only, never for writing, and a read-only descriptor
    writes nothing."""
    d, _ = daemon
    got = probe(d, as_nobody(caps=("bpf", "dac_read_search")))
    assert got["rdonly"] == "ok", got
    assert got["rdwr"] == "EACCES" and got["wronly"] == "EACCES", got
    assert got["write_via_rdonly"] == "EPERM", got


@pytest.mark.parametrize("unit", ["userspace/thingsd/thingsd.service",
                                  "userspace/apps/things-web/things-web.service"])
def test_units_score_as_the_readme_says(unit):
    """systemd's own judge of the sandbox; the README gives the figures."""
    res = subprocess.run(["systemd-analyze", "security", "--offline=true",
                          os.path.join(L.REPO, unit)], capture_output=True, text=True)
    line = [l for l in res.stdout.splitlines() if "Overall exposure level" in l]
    assert line, res.stdout + res.stderr
    score = float(line[0].split(":")[1].split()[0])
    assert score <= 4.0, line[0]
    readme = open(os.path.join(L.REPO, "README.md")).read()
    assert "%s: %.1f" % (os.path.basename(unit), score) in readme


def test_programs_run_as_root_keep_the_bounding_set():
    """An inetd target without user= runs as root and may need any of
    root's powers (sshd -i chroots): the bounding set stays whole for it,
    while thingsd's own capabilities drop all the same."""
    with L.Lab("privs-root") as lab:
        ns = lab.netns("h")
        d = lab.thingsd(ns, ROUTED + L.tcp_app("cat", "2001:db8:1:c::/64", "inetd:/bin/cat"))
        got = caps(d.proc.pid)
        assert got["CapEff"] == KEPT and got["CapPrm"] == KEPT, got
        assert got["CapBnd"] > KEPT and "cap_sys_chroot" in got["CapBnd"], got
        assert "bounding set stays whole" in d.read_log()


def test_thingsd_runs_as_its_user():
    """[daemon] user: once set up, thingsd is that user with the same
    capabilities (and CAP_DAC_READ_SEARCH, for libxdp's lock directory),
    its directories are the user's, and it still does all of its work:
    answers, reloads, keeps runtime apps, attaches again what someone else
    detached, stops cleanly and starts again as root over what it left."""
    user = "thtestu%s" % secrets.token_hex(3)
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                    user], check=True)
    try:
        with L.Lab("privs-user") as lab:
            client, router, host = L.lan_topology(lab)
            uid = pwd.getpwnam(user).pw_uid
            d = lab.thingsd(host, "user = %s\n\n%s" % (user, L.DEMO_APPS))
            status = L.proc_status(d.proc.pid)
            ids = [status["Uid"].split(), status["Gid"].split()]
            assert ids[0] == [str(uid)] * 4, ids
            assert ids[1] == [str(pwd.getpwnam(user).pw_gid)] * 4, ids
            got = caps(d.proc.pid)
            assert got["CapEff"] == KEPT | {"cap_dac_read_search"}, got
            assert got["CapBnd"] == got["CapEff"], got
            for path in (d.pin_dir, d.run_dir, d.state_dir, os.path.join(d.pin_dir, "apps")):
                assert os.lstat(path).st_uid == uid, path

            rng = random.Random(7)
            assert L.ping(client, L.random_address(L.ROUTED, rng))
            assert L.ping(client, L.random_address(L.ONLINK, rng))
            # A reload pins new maps in its directory, as the user.
            d.write_conf("user = %s\n\n%s[app board]\nkind = board\nprefix = 2001:db8:1:b0a::/64\n"
                         % (user, L.DEMO_APPS))
            d.ctl("reload")
            assert L.ping(client, "2001:db8:1:b0a:4869:2121::")
            assert "Hi!!" in d.ctl("board", "show", "board").stdout
            # A runtime app is written to the state directory.
            d.ctl("app", "add", "extra", "kind", "echo", "prefix", "2001:db8:6::/48")
            assert "[app extra]" in open(os.path.join(d.state_dir, "runtime-apps.conf")).read()
            # libxdp's lock is taken again to attach what someone else took off.
            host.ip("link", "set", "dev", "h0", "xdp", "off")
            L.wait_for(lambda: host.ip_json("link", "show", "h0")[0].get("xdp") is not None,
                       what="attached again by thingsd as its user")
            assert L.ping(client, L.random_address(L.ONLINK, rng))

            assert d.stop() == 0, d.read_log()
            assert "xdp" not in host.ip_json("link", "show", "h0")[0], d.read_log()
            assert not [r for r in host.ip_json("-6", "route", "show", "table", "local")
                        if r.get("protocol") == "248"]
            # Root starts again over the user's directories, runtime app and all.
            d.start()
            assert "extra" in d.ctl("app", "list").stdout
            assert L.ping(client, L.random_address(L.ROUTED, rng))
    finally:
        subprocess.run(["userdel", user], check=False)


def test_unknown_user_is_a_config_error(tmp_path):
    conf = tmp_path / "thingsd.conf"
    conf.write_text("[daemon]\nuser = no-such-user-here\n")
    res = subprocess.run([L.THINGSD, "--check", str(conf)], capture_output=True, text=True)
    assert res.returncode == 2, res.stderr
    assert "%s:2: user 'no-such-user-here': no such user" % conf in res.stderr, res.stderr
