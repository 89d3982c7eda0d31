#!/usr/bin/env python3
"""Generates server/commands/command_docs_data.cc from Redis 7.2.4's src/commands/*.json.

Usage: scripts/gen-command-docs.py [REDIS_GIT_DIR]   (default /work/.mirror/redis+redis/repo)

Takes the facts of each command's documentation (since, doc flags, deprecated_since, history
versions, the argument tree with its names, types, tokens, display texts, flags, since and key
spec indices) and its command tips (COMMAND INFO's routing hints) from the 7.2.4 tag, and the prose (history descriptions, replaced_by) from our
own texts in scripts/command_docs_words.py; a history entry without a text of ours is an error.
Summaries and complexities are not taken: they stay in the families' specs, in our words.
Writes the file and formats it with clang-format, so that running it again changes nothing.
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from command_docs_words import HISTORY, REPLACED_BY  # noqa: E402

OUT = os.path.join(HERE, "..", "server", "commands", "command_docs_data.cc")
TAG = "7.2.4"
BUILDERS = {"string": "Str", "integer": "Int", "double": "Dbl", "key": "Key",
            "pattern": "Pattern", "unix-time": "UnixTime"}
ARG_FIELDS = {"name", "type", "token", "display", "optional", "multiple", "multiple_token",
              "since", "deprecated_since", "key_spec_index", "arguments", "value"}
DOC_FLAGS = {"DEPRECATED": "kDocDeprecated", "SYSCMD": "kDocSyscmd"}


def load(git_dir):
    names = subprocess.run(["git", "-C", git_dir, "ls-tree", "--name-only", TAG, "src/commands/"],
                           capture_output=True, text=True, check=True).stdout.split()
    out = {}
    for path in names:
        if not path.endswith(".json"):
            continue
        text = subprocess.run(["git", "-C", git_dir, "show", f"{TAG}:{path}"],
                              capture_output=True, text=True, check=True).stdout
        for name, body in json.loads(text).items():
            full = name.lower()
            if "container" in body:
                full = body["container"].lower() + "|" + full
            out[full] = body
    return out


def q(s):
    return json.dumps(s)  # a C++ string literal for the ASCII texts of the JSON


def arg_expr(a):
    """The builder expression of one argument, as Redis's utils/generate-command-code.py turns
    the JSON into its table: names and display texts in lower case, tokens in upper case."""
    unknown = set(a) - ARG_FIELDS
    if unknown:
        sys.exit(f"argument {a['name']}: fields {unknown} not handled")
    t = a["type"]
    name = q(a["name"].lower())
    # Redis pastes the token into a C literal unescaped, so MIGRATE's `""` becomes "".
    token = q(a["token"].upper().replace('"', "")) if "token" in a else None
    if t == "pure-token":
        e = f"PureToken({name}, {token})" if token else f"Make({name}, ArgType::kPureToken)"
    elif t in ("oneof", "block"):
        children = ", ".join(arg_expr(c) for c in a["arguments"])
        e = f"{'OneOf' if t == 'oneof' else 'Block'}({name}, {{{children}}})"
        if token:
            e += f".Tok({token})"
    else:
        e = f"{BUILDERS[t]}({name})"
        if token:
            e += f".Tok({token})"
    if "display" in a:
        e += f".Display({q(a['display'].lower())})"
    if "key_spec_index" in a:
        e += f".KeySpecIndex({a['key_spec_index']})"
    if "since" in a:
        e += f".Since({q(a['since'])})"
    if "deprecated_since" in a:
        e += f".DeprecatedSince({q(a['deprecated_since'])})"
    if a.get("optional"):
        e += ".Opt()"
    if a.get("multiple"):
        e += ".Multi()"
    if a.get("multiple_token"):
        e += ".MultiToken()"
    return e


def entry(full, body):
    fields = [f".since = {q(body.get('since', ''))}"]
    if "complexity" not in body:
        fields.append(".has_complexity = false")
    flags = [DOC_FLAGS[f] for f in body.get("doc_flags", [])]
    if flags:
        fields.append(".doc_flags = " + " | ".join(flags))
    if "deprecated_since" in body:
        fields.append(f".deprecated_since = {q(body['deprecated_since'])}")
    if "replaced_by" in body:
        if full not in REPLACED_BY:
            sys.exit(f"{full}: no replaced_by text of ours")
        fields.append(f".replaced_by = {q(REPLACED_BY[full])}")
    history = body.get("history", [])
    if history:
        ours = HISTORY.get(full, [])
        if len(ours) != len(history):
            sys.exit(f"{full}: {len(history)} history entries, {len(ours)} texts of ours")
        items = ", ".join(f"{{{q(h[0])}, {q(text)}}}" for h, text in zip(history, ours))
        fields.append(f".history = {{{items}}}")
    if body.get("command_tips"):
        tips = ", ".join(q(t.lower()) for t in body["command_tips"])
        fields.append(f".tips = {{{tips}}}")
    if body.get("arguments"):
        args = ", ".join(arg_expr(a) for a in body["arguments"])
        fields.append(f".arguments = {{{args}}}")
    return f"      {{{q(full)}, {{{', '.join(fields)}}}}},\n"


def main():
    git_dir = sys.argv[1] if len(sys.argv) > 1 else "/work/.mirror/redis+redis/repo"
    docs = load(git_dir)
    for table, what in ((HISTORY, "history"), (REPLACED_BY, "replaced_by")):
        stale = [n for n in table if n not in docs or what not in docs[n]]
        if stale:
            sys.exit(f"texts of ours for no {what} entry: {stale}")
    body = "".join(entry(full, docs[full]) for full in sorted(docs))
    text = f"""\
// GENERATED by scripts/gen-command-docs.py from Redis {TAG}'s src/commands/*.json (facts) and
// scripts/command_docs_words.py (our prose).  Do not edit: change the script or the words and
// run it again.  See command_docs_data.h.
#include <map>

#include "server/commands/command_docs_data.h"

namespace tessera::server {{

namespace {{

using namespace argdoc;  // NOLINT: generated builder expressions

const std::map<std::string_view, RedisCommandDocs>& Table() {{
  static const auto* table = new std::map<std::string_view, RedisCommandDocs>{{
{body}  }};
  return *table;
}}

}}  // namespace

const RedisCommandDocs* FindRedisCommandDocs(std::string_view full_name) {{
  const auto& table = Table();
  auto it = table.find(full_name);
  return it == table.end() ? nullptr : &it->second;
}}

}}  // namespace tessera::server
"""
    with open(OUT, "w") as f:
        f.write(text)
    subprocess.run(["clang-format", "-i", "--style=file", OUT], check=True,
                   cwd=os.path.join(HERE, ".."))
    print(f"wrote {os.path.relpath(OUT)}: {len(docs)} commands")


if __name__ == "__main__":
    main()
