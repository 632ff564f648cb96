#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Serving cost per player: rtmpsink mode=server against nginx-rtmp.

One 3 Mbit/s H.264+AAC stream (made once with ffmpeg, 1280x720 at 30 fps)
is served to N players (rtmpdump, which costs little) by

  ours:  gst-launch-1.0 filesrc ! rtmpsink mode=server realtime=true
  nginx: nginx with libnginx-mod-rtmp, fed by ffmpeg -re -c copy

and the server's CPU (utime + stime of its processes, from /proc) and RSS
are sampled over a window for each N, after a warm-up. Per-player figures
are above the same server's N = 0 baseline. Everything on 127.0.0.1.
Not a test: prints a table.

  tests/bench/server_players.py --build-dir build [--players 1,10,100]
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


def tree(pid):
    """pid and its descendants"""
    pids = [pid]
    for p in pids:
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                pids += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return pids


def cpu_seconds(pids):
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / TICKS


def rss_bytes(pids):
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * PAGE
        except OSError:
            pass
    return total


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(3)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def make_source(path, seconds):
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
         "testsrc2=size=1280x720:rate=30", "-f", "lavfi", "-i",
         "sine=frequency=440:sample_rate=48000", "-t", str(seconds),
         "-c:v", "libx264", "-preset", "veryfast", "-b:v", "2850k",
         "-maxrate", "2850k", "-bufsize", "2850k", "-g", "60",
         "-c:a", "aac", "-b:a", "128k", "-f", "flv", path],
        check=True)


class Ours:
    name = "rtmpsink mode=server"

    def __init__(self, build_dir, source, port, workdir):
        env = dict(os.environ)
        env["GST_PLUGIN_PATH"] = os.path.join(build_dir, "gst")
        env["GST_REGISTRY"] = os.path.join(workdir, "registry.bin")
        self.url = f"rtmp://127.0.0.1:{port}/live/s"
        self.proc = subprocess.Popen(
            ["gst-launch-1.0", "-q", "filesrc", f"location={source}", "!",
             "rtmpsink", "mode=server", "realtime=true", "max-clients=0",
             f"location={self.url}"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(port)
        self.pids = lambda: tree(self.proc.pid)

    def close(self):
        stop(self.proc)


class Nginx:
    name = "nginx-rtmp"

    def __init__(self, build_dir, source, port, workdir):
        conf = os.path.join(workdir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;
daemon off; master_process on; worker_processes 1;
error_log {workdir}/error.log; pid {workdir}/nginx.pid;
events {{ worker_connections 4096; }}
rtmp {{ server {{ listen 127.0.0.1:{port}; chunk_size 4096;
  application live {{ live on; record off; }} }} }}
""")
        self.url = f"rtmp://127.0.0.1:{port}/live/s"
        self.proc = subprocess.Popen(
            ["nginx", "-c", conf, "-p", workdir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(port)
        self.publisher = subprocess.Popen(
            ["ffmpeg", "-v", "error", "-re", "-i", source, "-c", "copy",
             "-f", "flv", self.url],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)
        self.pids = lambda: tree(self.proc.pid)

    def close(self):
        stop(self.publisher)
        stop(self.proc)


def measure(server, n, warmup, window):
    players = [subprocess.Popen(
        ["rtmpdump", "-q", "--live", "-r", server.url, "-o", "/dev/null"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(n)]
    time.sleep(warmup)
    pids = server.pids()
    cpu0, t0 = cpu_seconds(pids), time.monotonic()
    time.sleep(window)
    cpu1, t1 = cpu_seconds(server.pids()), time.monotonic()
    rss = rss_bytes(server.pids())
    alive = sum(p.poll() is None for p in players)
    for p in players:
        stop(p)
    time.sleep(1.0)
    return (cpu1 - cpu0) / (t1 - t0) * 60.0, rss, alive


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", default="build")
    parser.add_argument("--players", default="1,10,100")
    parser.add_argument("--warmup", type=float, default=4.0)
    parser.add_argument("--window", type=float, default=15.0)
    args = parser.parse_args()
    counts = [0] + [int(n) for n in args.players.split(",")]
    for program in ("ffmpeg", "rtmpdump", "nginx", "gst-launch-1.0"):
        if shutil.which(program) is None and not os.path.exists(
                f"/usr/sbin/{program}"):
            sys.exit(f"{program} is missing")
    os.environ["PATH"] += ":/usr/sbin"

    with tempfile.TemporaryDirectory(prefix="rtmp-bench-") as workdir:
        seconds = int(len(counts) * (args.warmup + args.window + 1.5) + 20)
        source = os.path.join(workdir, "source.flv")
        make_source(source, seconds)
        rate = os.path.getsize(source) * 8 / seconds / 1e6
        print(f"stream: {rate:.2f} Mbit/s, {seconds} s; window "
              f"{args.window:g} s after {args.warmup:g} s warm-up")
        results = {}
        for cls in (Ours, Nginx):
            server = cls(os.path.abspath(args.build_dir), source,
                         free_port(), workdir)
            try:
                results[cls.name] = [measure(server, n, args.warmup,
                                             args.window) for n in counts]
            finally:
                server.close()

        print(f"{'server':22} {'N':>4} {'alive':>5} {'CPU s/min':>10} "
              f"{'per player':>11} {'RSS MiB':>8} {'per player':>11}")
        per_player = {}
        for name, rows in results.items():
            base_cpu, base_rss, _ = rows[0]
            for n, (cpu, rss, alive) in zip(counts, rows):
                pp_cpu = (cpu - base_cpu) / n if n else 0.0
                pp_rss = (rss - base_rss) / n / 1024 if n else 0.0
                per_player[(name, n)] = pp_cpu
                print(f"{name:22} {n:>4} {alive:>5} {cpu:>10.2f} "
                      f"{pp_cpu:>11.3f} {rss / 2**20:>8.1f} "
                      f"{pp_rss:>8.0f} KiB")
        for n in counts[1:]:
            ours = per_player[(Ours.name, n)]
            theirs = per_player[(Nginx.name, n)]
            if theirs > 0:
                print(f"N={n}: per-player CPU ours/nginx = "
                      f"{ours / theirs:.2f}")


if __name__ == "__main__":
    main()
