"""ioredis's defineCommand (EVALSHA with the EVAL fallback, pipelines, MULTI, concurrent
clients on declared and built key names) against the server: tests/node/define_command.js.

Needs node and the ioredis package in tests/node/node_modules (scripts/setup.sh installs
Debian's nodejs and npm, then runs `npm ci` there).  Without them the test is skipped and says
why; it does not pass silently as if it had run.  Under CI (CI=true), where scripts/setup.sh
has run, a missing one fails the test."""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, run_tests  # noqa: E402

NODE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "node")


def missing_requirement():
    if shutil.which("node") is None:
        return "node is not installed (scripts/setup.sh installs Debian's nodejs)"
    if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "ioredis")):
        return "ioredis is not installed (run `npm ci` in tests/node; scripts/setup.sh does)"
    return None


def test_ioredis_define_command(binary):
    reason = missing_requirement()
    # CI's set-up (scripts/setup.sh) provides both, so there a missing one is a failure.
    assert reason is None or os.environ.get("CI") != "true", reason
    if reason is not None:
        print(f"SKIP test_ioredis_define_command: {reason}", flush=True)
        return
    with Server(binary, "--io-threads", "4") as s:
        out = subprocess.run(["node", os.path.join(NODE_DIR, "define_command.js"), str(s.port)],
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stdout + out.stderr
        assert out.stdout.startswith("ok: "), out.stdout


if __name__ == "__main__":
    run_tests(globals())
