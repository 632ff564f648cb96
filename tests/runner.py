#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs every test of the project and counts individual cases.

Phases: the format check, the whole meson test suite (unit, element,
integration and fuzz corpus replays) in build/, the unit suite again under
AddressSanitizer+UBSan and under Valgrind, and each libFuzzer target for a
while. The last line printed is "N passed, N failed" (", N skipped" when any
were skipped); the exit status is 0 only when nothing failed.

Environment knobs for local iteration (CI uses the defaults):
  RTMP_TEST_PHASES       comma-separated subset of format,main,asan,valgrind,fuzz
  RTMP_TEST_FUZZ_SECONDS seconds per fuzz target (default 30)
"""

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHECKS_RE = re.compile(r"(\d+)%: Checks: (\d+), Failures: (\d+), Errors: (\d+)")
CASE_RE = re.compile(r"^[^:\n]+:\d+:([PFE]):([^:\n]*):([^:\n]*):\d+:?(.*)$", re.M)
EXECS_RE = re.compile(r"stat::number_of_executed_units:\s*(\d+)")

ALL_PHASES = ["format", "main", "asan", "valgrind", "fuzz"]


class Tally:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.failures = []

    def add(self, phase, name, outcome, detail=""):
        if outcome == "pass":
            self.passed += 1
        elif outcome == "skip":
            self.skipped += 1
            print(f"  SKIP {phase}: {name} {detail}".rstrip())
        else:
            self.failed += 1
            self.failures.append(f"{phase}: {name}")
            print(f"  FAIL {phase}: {name} {detail}".rstrip())

    def line(self):
        text = f"{self.passed} passed, {self.failed} failed"
        if self.skipped:
            text += f", {self.skipped} skipped"
        return text


def run(cmd, **kwargs):
    print("+ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, cwd=TOP, **kwargs)


def source_files():
    try:
        out = subprocess.run(["git", "ls-files", "*.c", "*.h"], cwd=TOP,
                             capture_output=True, text=True, check=True).stdout
        files = [f for f in out.split() if os.path.exists(os.path.join(TOP, f))]
        if files:
            return files
    except (OSError, subprocess.CalledProcessError):
        pass
    files = []
    for d in ("gst", "protocol", "tests"):
        for root, _, names in os.walk(os.path.join(TOP, d)):
            files += [os.path.relpath(os.path.join(root, n), TOP)
                      for n in names if n.endswith((".c", ".h"))]
    return sorted(files)


def phase_format(tally):
    bad = []
    for f in source_files():
        r = subprocess.run(["clang-format", "--dry-run", "-Werror", f],
                           cwd=TOP, capture_output=True)
        if r.returncode != 0:
            bad.append(f)
    tally.add("format", "clang-format", "fail" if bad else "pass",
              ("not formatted: " + " ".join(bad)) if bad else "")


def count_meson_log(tally, phase, logfile):
    """Counts the cases of one meson test run from its JSON log."""
    if not os.path.exists(logfile):
        tally.add(phase, "meson test", "fail", "(no test log written)")
        return
    with open(logfile) as f:
        entries = [json.loads(line) for line in f if line.strip()]
    for e in entries:
        name = e["name"]
        result = e["result"]
        out = (e.get("stdout") or "") + (e.get("stderr") or "")
        if result == "SKIP":
            tally.add(phase, name, "skip")
            continue
        checks = CHECKS_RE.findall(out)
        cases = CASE_RE.findall(out)
        failed_cases = [c for c in cases if c[0] != "P"]
        if checks:
            # the summary is the count; gst-check prints the failed cases
            # (and only some programs print the passed ones)
            n, failures, errors = (int(x) for x in checks[-1][1:])
            for _ in range(n - failures - errors):
                tally.add(phase, name, "pass")
            for _, _, case, msg in failed_cases[:failures + errors]:
                tally.add(phase, f"{name}:{case}", "fail", msg.strip())
            for _ in range(failures + errors - len(failed_cases)):
                tally.add(phase, name, "fail", "(see its log)")
            bad = failures + errors
        elif cases:
            for status, _, case, msg in cases:
                tally.add(phase, f"{name}:{case}",
                          "pass" if status == "P" else "fail",
                          "" if status == "P" else msg.strip())
            bad = len(failed_cases)
        else:
            tally.add(phase, name, "pass" if result == "OK" else "fail",
                      "" if result == "OK" else f"({result})")
            continue
        # every case passed but the program still failed: a leak or crash at
        # exit, a sanitizer report, a timeout
        if result != "OK" and bad == 0:
            tally.add(phase, f"{name} (exit)", "fail", f"({result})")


def meson_test(tally, phase, builddir, args, env=None):
    logbase = f"runner-{phase}"
    logdir = os.path.join(TOP, builddir, "meson-logs")
    # meson adds the wrapper's name to the log base ("-valgrind")
    for old in glob.glob(os.path.join(logdir, logbase + "*.json")):
        os.unlink(old)
    full_env = dict(os.environ)
    full_env["CK_VERBOSITY"] = "verbose"
    if env:
        full_env.update(env)
    run(["meson", "test", "-C", builddir, "--num-processes", "2",
         "--print-errorlogs", "--logbase", logbase] + args, env=full_env)
    logs = glob.glob(os.path.join(logdir, logbase + "*.json"))
    count_meson_log(tally, phase, logs[0] if logs else
                    os.path.join(logdir, logbase + ".json"))


def fuzz_targets(builddir):
    out = subprocess.run(["meson", "introspect", "--targets", builddir],
                         cwd=TOP, capture_output=True, text=True).stdout
    return [os.path.relpath(f, os.path.join(TOP, builddir))
            for t in json.loads(out or "[]")
            if t["name"].startswith("fuzz-") and
            not t["name"].startswith("fuzz-replay")
            for f in t["filename"]]


def configure(builddir, options, env=None, targets=None):
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    # reconfigure an existing directory too: test and fuzz sources are
    # picked up when they exist, which meson only checks when configuring
    setup = ["meson", "setup", builddir] + options
    if os.path.exists(os.path.join(TOP, builddir, "build.ninja")):
        setup.insert(2, "--reconfigure")
    r = run(setup, env=full_env)
    if r.returncode != 0:
        return False
    names = targets(builddir) if targets else []
    r = run(["ninja", "-C", builddir] + names, env=full_env)
    return r.returncode == 0


def phase_main(tally):
    if run(["meson", "setup", "--reconfigure", "build"]).returncode != 0 or \
            run(["ninja", "-C", "build"]).returncode != 0:
        tally.add("main", "build", "fail")
        return
    meson_test(tally, "main", "build", [])


SANITIZER_ENV = {
    "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=1:strict_string_checks=1:fast_unwind_on_malloc=0",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
    "LSAN_OPTIONS": "suppressions=" + os.path.join(TOP, "tests", "lsan.supp"),
    "GST_REGISTRY_FORK": "no",
    "G_SLICE": "always-malloc",
}


def phase_asan(tally):
    if not configure("build-asan", ["-Db_sanitize=address,undefined",
                                    "-Db_lundef=false", "-Dbuildtype=debug",
                                    "-Dtests=enabled"], {"CC": "gcc"}):
        tally.add("asan", "build", "fail")
        return
    meson_test(tally, "asan", "build-asan", ["--suite", "unit"],
               SANITIZER_ENV)


def phase_valgrind(tally):
    supp = "/usr/share/glib-2.0/valgrind/glib.supp"
    wrap = ("valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite"
            f" --error-exitcode=1 --suppressions={supp}"
            f" --suppressions={os.path.join(TOP, 'tests', 'valgrind.supp')}")
    meson_test(tally, "valgrind", "build",
               ["--suite", "unit", "--wrap", wrap, "--timeout-multiplier", "10"],
               {"G_SLICE": "always-malloc", "G_DEBUG": "gc-friendly",
                "CK_FORK": "no"})


def phase_fuzz(tally):
    seconds = int(os.environ.get("RTMP_TEST_FUZZ_SECONDS", "30"))
    # only the fuzz targets are built with clang here
    if not configure("build-fuzz", ["-Dfuzzing=enabled",
                                    "-Db_sanitize=address,undefined",
                                    "-Db_lundef=false", "-Dtests=enabled"],
                     {"CC": "clang"}, targets=fuzz_targets):
        tally.add("fuzz", "build", "fail")
        return
    fuzz_dir = os.path.join(TOP, "build-fuzz", "tests", "fuzz")
    targets = sorted(n[len("fuzz-"):] for n in os.listdir(fuzz_dir)
                     if n.startswith("fuzz-") and not n.startswith("fuzz-replay")
                     and os.path.isfile(os.path.join(fuzz_dir, n))
                     and os.access(os.path.join(fuzz_dir, n), os.X_OK))
    if not targets:
        tally.add("fuzz", "targets", "fail", "(no fuzz targets built)")
        return
    artifacts = os.path.join(TOP, "build-fuzz", "artifacts")
    os.makedirs(artifacts, exist_ok=True)
    for t in targets:
        seeds = os.path.join(TOP, "tests", "fuzz", "corpus", t)
        with tempfile.TemporaryDirectory(prefix=f"fuzz-{t}-") as work:
            cmd = [os.path.join(fuzz_dir, "fuzz-" + t),
                   f"-max_total_time={seconds}", "-print_final_stats=1",
                   "-rss_limit_mb=2048", "-timeout=10",
                   f"-artifact_prefix={artifacts}/{t}-", work, seeds]
            print("+ " + " ".join(cmd), flush=True)
            r = subprocess.run(cmd, cwd=TOP, capture_output=True, text=True,
                               env=dict(os.environ, **SANITIZER_ENV))
            execs = EXECS_RE.findall(r.stderr)
            n = execs[-1] if execs else "?"
            if r.returncode == 0:
                print(f"  fuzz {t}: {n} executions in {seconds} s")
                tally.add("fuzz", t, "pass")
            else:
                print(r.stderr[-4000:])
                tally.add("fuzz", t, "fail",
                          f"(exit {r.returncode} after {n} executions; "
                          f"artifacts in build-fuzz/artifacts)")


def main():
    phases = os.environ.get("RTMP_TEST_PHASES", ",".join(ALL_PHASES)).split(",")
    tally = Tally()
    start = time.time()
    for phase in ALL_PHASES:
        if phase not in phases:
            continue
        t0 = time.time()
        print(f"=== {phase} ===", flush=True)
        before = (tally.passed, tally.failed, tally.skipped)
        try:
            globals()["phase_" + phase](tally)
        except Exception as e:  # a broken phase must still be counted
            tally.add(phase, "runner", "fail", f"({e!r})")
        print(f"=== {phase}: {tally.passed - before[0]} passed, "
              f"{tally.failed - before[1]} failed, "
              f"{tally.skipped - before[2]} skipped "
              f"in {time.time() - t0:.0f} s ===", flush=True)
    print(f"total time {time.time() - start:.0f} s")
    if tally.failures:
        print("failed:")
        for f in tally.failures:
            print("  " + f)
    print(tally.line(), flush=True)
    return 0 if tally.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
