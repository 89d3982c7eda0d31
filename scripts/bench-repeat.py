#!/usr/bin/env python3
"""Run ../shared/tools/bench-compare several times and summarise each workload across the runs.

One unpipelined bench-compare run on this machine swings about +-10% per workload (shared
cores, a VM), so a single run cannot tell a 3% difference from noise.  This runs it N times
and prints, per workload, every run's throughput and CPU ratios and their geometric mean.

Usage:
  scripts/bench-repeat.py [-n RUNS] [--only NAME,NAME] [--tool PATH] SERVER [-- SERVER_ARGS...]

--only takes exact workload names ("lpush c50 P1"), unlike bench-compare's substring filter:
"set c50 P1" would otherwise also select "lpush c50 P1" and "hset c50 P1".
"""
import argparse, math, os, re, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_TOOL = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "tools", "bench-compare"))
# A result line: name, ref req/s, server req/s, ratio, ref us/req, server us/req, cpu ratio.
LINE = re.compile(r"^(.*?)\s+(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+|nan)$")


def exact_name_tool(tool):
    # A copy of bench-compare whose --only matches whole workload names.
    with open(tool) as f:
        text = f.read()
    substring_filter = "if only and not any(s in name for s in only)"
    if substring_filter not in text:
        sys.exit(f"bench-repeat: {tool} no longer has the --only filter this script rewrites")
    fd, path = tempfile.mkstemp(prefix="bench-compare-exact-", suffix=".py")
    with os.fdopen(fd, "w") as f:
        f.write(text.replace(substring_filter, "if only and name not in only"))
    return path


def geomean(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--runs", type=int, default=5)
    ap.add_argument("--only", default="", help="comma-separated exact workload names")
    ap.add_argument("--tool", default=DEFAULT_TOOL, help="path of bench-compare")
    ap.add_argument("server")
    ap.add_argument("server_args", nargs="*")
    a = ap.parse_args()
    if a.runs < 1:
        sys.exit("bench-repeat: --runs must be at least 1")
    tool = exact_name_tool(a.tool)
    results = {}  # name -> [(throughput ratio, cpu ratio)]
    try:
        for run in range(1, a.runs + 1):
            cmd = [sys.executable, tool]
            if a.only:
                cmd += ["--only", a.only]
            cmd += [a.server, "--"] + a.server_args
            out = subprocess.run(cmd, capture_output=True, text=True)
            if out.returncode != 0:
                sys.exit(f"bench-repeat: run {run} failed:\n{out.stdout}\n{out.stderr}")
            for line in out.stdout.splitlines():
                m = LINE.match(line.strip())
                if m and m.group(7) != "nan":
                    results.setdefault(m.group(1), []).append((float(m.group(4)), float(m.group(7))))
            print(f"run {run}/{a.runs} done", file=sys.stderr, flush=True)
    finally:
        os.unlink(tool)
    if not results:
        sys.exit("bench-repeat: no workload matched")
    print(f"{'workload':28} {'throughput ratio per run':>40} {'geomean':>8}   {'CPU ratio per run':>40} {'geomean':>8}")
    for name, rs in results.items():
        thr = " ".join(f"{t:.2f}" for t, _ in rs)
        cpu = " ".join(f"{c:.2f}" for _, c in rs)
        print(f"{name:28} {thr:>40} {geomean([t for t, _ in rs]):8.3f}   {cpu:>40} {geomean([c for _, c in rs]):8.3f}")


if __name__ == "__main__":
    main()
