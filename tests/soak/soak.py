#!/usr/bin/env python3
"""Fault-injection soak: many sandboxes with random faults, then a check that
the host is exactly as before.

    tests/soak/soak.py [--runs N] [--seed S] [path/to/nucleus]     (root)

Every run happens in a private network namespace the script creates (bridge
runs included), so the machine's real network is never touched. Faults, one
per run, chosen at random: none, a wrong policy hash, a forbidden flag mix,
nucleus SIGKILLed during setup or while the workload runs (with and without
a bridge, with a copy-in-out workspace), a workload OOM kill, a workload that SIGKILLs itself, an
injected setup failure, and two concurrent runs with the same --name.

Afterwards (and after `nucleus gc` and one ordinary bridge run, which reclaim
what killed runs left, as they do on any host) it compares the host with its
state before: processes, mounts, nucleus cgroups, links and nftables
elements in the namespace, /run/nucleus entries and staging directories.
It prints one line per kind of leak and exits 1 if there is any.
"""
import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

NETNS = "nucleus-soak-%d" % os.getpid()
POLICY = b'{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": []}\n'


def snapshot(netns):
    """What a run must leave as it found it."""
    state = {}
    state["processes"] = {pid for pid in os.listdir("/proc") if pid.isdigit()}
    with open("/proc/self/mountinfo") as f:
        state["mounts"] = {" ".join(line.split()[3:5]) for line in f}
    cgroups = set()
    for root, directories, _ in os.walk("/sys/fs/cgroup"):
        for name in directories:
            if name.startswith("nucleus-"):
                cgroups.add(os.path.join(root, name))
    state["cgroups"] = cgroups
    links = subprocess.run(["ip", "-n", netns, "-o", "link"], capture_output=True, text=True).stdout
    state["links"] = {line.split(":")[1].strip().split("@")[0] for line in links.splitlines()}
    ruleset = subprocess.run(
        ["ip", "netns", "exec", netns, "nft", "list", "ruleset"], capture_output=True, text=True
    ).stdout
    state["nftables elements"] = {line.strip() for line in ruleset.splitlines() if " : " in line}
    entries = set()
    for directory in ("/run/nucleus/network", "/run/nucleus/slirp"):
        for root, _, files in os.walk(directory):
            entries.update(os.path.join(root, name) for name in files if not name.endswith(".lock"))
    entries.update("/run/" + name for name in os.listdir("/run") if name.startswith("nucleus-notify-"))
    state["runtime entries"] = entries
    state["staging directories"] = {
        os.path.join(base, name)
        for base in ("/var/tmp", "/tmp")
        for name in os.listdir(base)
        if name.startswith("nucleus-staging") or name.startswith("nucleus-workspace")
    }
    return state


class Soak:
    def __init__(self, binary, rng, workdir):
        self.binary = binary
        self.rng = rng
        self.workdir = workdir
        self.unexpected = []
        self.policy = os.path.join(workdir, "policy.json")
        with open(self.policy, "wb") as f:
            f.write(POLICY)

    def command(self, arguments):
        return ["nsenter", "--net=/run/netns/" + NETNS, self.binary, "run"] + arguments

    def run(self, arguments, expect, environment=None):
        env = dict(os.environ, **(environment or {}))
        result = subprocess.run(self.command(arguments), capture_output=True, env=env, timeout=60)
        if result.returncode not in expect:
            self.unexpected.append(
                "exit %d (expected %s): %s: %s"
                % (result.returncode, sorted(expect), " ".join(arguments), result.stderr.decode().strip()[-300:])
            )

    def kill_after(self, arguments, delay):
        process = subprocess.Popen(self.command(arguments), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()

    def one(self):
        fault = self.rng.choice(FAULTS)
        fault(self)
        return fault.__name__


def none(soak):
    soak.run(["--", "/bin/true"], {0})


def wrong_policy_hash(soak):
    soak.run(["--seccomp-profile", soak.policy, "--seccomp-profile-sha256", "0" * 64, "--", "/bin/true"], {125})


def forbidden_flag_mix(soak):
    soak.run(["--network", "none", "--publish", "8080:80", "--", "/bin/true"], {125})


def killed_during_setup(soak):
    soak.kill_after(["--memory", "64M", "--", "/bin/sleep", "5"], soak.rng.uniform(0, 0.02))


def killed_while_running(soak):
    soak.kill_after(["--memory", "64M", "--", "/bin/sleep", "5"], soak.rng.uniform(0.05, 0.3))


def killed_with_bridge(soak):
    soak.kill_after(["--network", "bridge", "-p", "18080:80", "--", "/bin/sleep", "5"], soak.rng.uniform(0, 0.3))


def killed_with_copied_workspace(soak):
    workspace = os.path.join(soak.workdir, "workspace")
    os.makedirs(workspace, exist_ok=True)
    arguments = ["--workspace", workspace, "--workspace-mode", "copy-in-out", "--", "/bin/sleep", "5"]
    soak.kill_after(arguments, soak.rng.uniform(0, 0.3))


def bridge(soak):
    soak.run(["--network", "bridge", "-p", "18081:80", "--", "/bin/true"], {0})


def workload_oom(soak):
    soak.run(["--memory", "16M", "--", "/usr/bin/python3", "-c", "b = bytearray(256 << 20)"], {137})


def workload_sigkill(soak):
    soak.run(["--", "/bin/sh", "-c", "kill -9 $$"], {137})


def injected_failure(soak):
    step = soak.rng.choice(["id-maps", "after-cgroup", "after-network", "workspace-sync", "3", "7"])
    arguments = ["--memory", "64M", "--network", "bridge", "--", "/bin/true"]
    soak.run(arguments, {0, 125}, {"NUCLEUS_FAULT_STEP": step})


def same_name_twice(soak):
    processes = [
        subprocess.Popen(
            soak.command(["--name", "soak-twin", "--", "/bin/sleep", "0.2"]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    for process in processes:
        _, stderr = process.communicate(timeout=60)
        if process.returncode not in (0, 125):
            soak.unexpected.append("same --name: exit %d: %s" % (process.returncode, stderr.decode().strip()))


FAULTS = [
    none,
    wrong_policy_hash,
    forbidden_flag_mix,
    killed_during_setup,
    killed_while_running,
    killed_with_bridge,
    killed_with_copied_workspace,
    bridge,
    workload_oom,
    workload_sigkill,
    injected_failure,
    same_name_twice,
]


def leaks(before, after):
    lines = []
    for kind in before:
        extra = after[kind] - before[kind]
        if kind == "processes":
            extra = {pid for pid in extra if alive_and_not_ours(pid)}
        if extra:
            shown = ", ".join(sorted(extra)[:5]) + (" ..." if len(extra) > 5 else "")
            lines.append("leak: %d %s: %s" % (len(extra), kind, shown))
    return lines


def alive_and_not_ours(pid):
    try:
        with open("/proc/%s/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return False
    # Not a zombie, not ours, not a kernel thread (children of kthreadd, pid 2).
    return fields[0] != "Z" and int(fields[1]) not in (os.getpid(), 2) and pid != "2"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("binary", nargs="?", default=".build/release/nucleus")
    options = parser.parse_args()
    binary = os.path.realpath(options.binary)
    subprocess.run(["ip", "netns", "add", NETNS], check=True)
    try:
        subprocess.run(["ip", "-n", NETNS, "link", "set", "lo", "up"], check=True)
        with tempfile.TemporaryDirectory(prefix="nucleus-soak-") as workdir:
            soak = Soak(binary, random.Random(options.seed), workdir)
            none(soak)  # the bridge, its table and the caches exist from here on
            bridge(soak)
            before = snapshot(NETNS)
            counts = {}
            for _ in range(options.runs):
                name = soak.one()
                counts[name] = counts.get(name, 0) + 1
            time.sleep(1)
            subprocess.run(["nsenter", "--net=/run/netns/" + NETNS, binary, "gc"], capture_output=True)
            bridge(soak)
            time.sleep(0.5)
            after = snapshot(NETNS)
    finally:
        subprocess.run(["ip", "netns", "del", NETNS])
    print(
        "soak: %d runs, seed %d: %s"
        % (options.runs, options.seed, ", ".join("%s %d" % item for item in sorted(counts.items())))
    )
    problems = soak.unexpected + leaks(before, after)
    for line in problems:
        print(line)
    print("soak: %s" % ("no leaks" if not problems else "%d problems" % len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
