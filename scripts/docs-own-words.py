#!/usr/bin/env python3
"""Lists COMMAND DOCS texts that repeat Redis 7.2.4's command JSON word for word.

Usage: scripts/docs-own-words.py BUILD/tessera-server [REDIS_GIT_DIR]

Starts the server on a free port, reads COMMAND DOCS, and compares each command's (and
subcommand's) summary, complexity, replaced_by and history descriptions with the same fields of
src/commands/<name>.json at the 7.2.4 tag of a Redis checkout (default
/work/.mirror/redis+redis/repo), ignoring case, whitespace and backquotes; a bare formula such
as "O(1)" is not counted.  Each history description is compared with every one of Redis's for
the same command.  Prints each repeat and exits 1 if there is any.  The texts must be our own.
"""
import json, os, re, socket, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
from benchutil import free_port, wait_for_port  # noqa: E402


# A bare complexity formula ("O(1)", "O(log(N))") or the containers' fixed phrase is not prose.
FORMULA = re.compile(r"^(o\([^ ]*\)|depends on subcommand)\.?$")


def norm(s):
    return " ".join(s.lower().replace("`", "").split())


def redis_docs(git_dir):
    names = subprocess.run(["git", "-C", git_dir, "ls-tree", "--name-only", "7.2.4",
                            "src/commands/"], capture_output=True, text=True,
                           check=True).stdout.split()
    out = {}
    for path in names:
        if not path.endswith(".json"):
            continue
        doc = json.loads(subprocess.run(["git", "-C", git_dir, "show", "7.2.4:" + path],
                                        capture_output=True, text=True, check=True).stdout)
        for name, body in doc.items():
            full = name.lower()
            if "container" in body:
                full = body["container"].lower() + "|" + full
            out[full] = body
    return out


def main():
    binary = os.path.abspath(sys.argv[1])
    git_dir = sys.argv[2] if len(sys.argv) > 2 else "/work/.mirror/redis+redis/repo"
    theirs = redis_docs(git_dir)
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--save", ""],
                            cwd=tempfile.mkdtemp(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, "docs-own-words: server")
        import redis
        r = redis.Redis(port=port, decode_responses=True)
        r.set_response_callback("COMMAND", lambda x, **kw: x)
        raw = r.execute_command("COMMAND", "DOCS")
    finally:
        proc.terminate()
        proc.wait()
    ours = {}

    def walk(reply, prefix=""):
        for i in range(0, len(reply), 2):
            name, body = reply[i], reply[i + 1]
            fields = dict(zip(body[0::2], body[1::2]))
            ours[prefix + name] = fields
            if "subcommands" in fields:
                walk(fields["subcommands"])

    walk(raw)
    repeats = 0
    texts = 0
    for name, fields in sorted(ours.items()):
        body = theirs.get(name)
        if body is None:
            continue
        for field in ("summary", "complexity", "replaced_by"):
            mine, ref = fields.get(field), body.get(field)
            texts += bool(mine)
            if mine and ref and norm(mine) == norm(ref) and not FORMULA.match(norm(mine)):
                print(f"{name} {field}: {mine}")
                repeats += 1
        refs = {norm(change) for _, change in body.get("history", [])}
        for version, change in fields.get("history", []):
            texts += 1
            if norm(change) in refs:
                print(f"{name} history {version}: {change}")
                repeats += 1
    print(f"{repeats} texts repeat Redis's word for word "
          f"({texts} texts of {len(ours)} commands checked)")
    sys.exit(1 if repeats else 0)


if __name__ == "__main__":
    main()
