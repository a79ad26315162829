#!/usr/bin/env bash
# The examples in docs/ are checked, not just written: every YAML file parses; every
# `shredmit ...` command in them (workflow `run:` steps, .pre-commit-hooks.yaml entries) names a
# command that exists, with options that command's --help lists; pre-commit hook ids used in
# docs/pre-commit-config.yaml exist in .pre-commit-hooks.yaml.
# Usage: tools/test_docs.sh BUILD_DIR   (run by ctest as Docs.ExamplesAreValid)
set -euo pipefail
cd "$(dirname "$0")/.."
build="$(cd "${1:?usage: tools/test_docs.sh BUILD_DIR}" && pwd)"
python=python3
"$python" -c 'import yaml' 2>/dev/null || python=/usr/bin/python3
"$python" - "$build/shredmit" <<'PY'
import glob, re, shlex, subprocess, sys
import yaml
shredmit = sys.argv[1]
files = sorted(glob.glob("docs/*.yml") + glob.glob("docs/*.yaml")) + [".pre-commit-hooks.yaml"]
commands = []  # (file, the shredmit command line)
def strings(node):
    if isinstance(node, dict):
        for v in node.values():
            yield from strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from strings(v)
    elif isinstance(node, str):
        yield node
docs = {}
for f in files:
    docs[f] = yaml.safe_load(open(f))
    for text in strings(docs[f]):
        for m in re.finditer(r"\bshredmit((?: [^\s|;&>)\"']+)+)", text):
            commands.append((f, m.group(1).split()))
checked = 0
for f, words in commands:
    path = []
    for w in words:
        if w.startswith("-") or w.startswith('"') or w.startswith("$"):
            break
        parent_help = subprocess.run([shredmit, *path, "--help"], capture_output=True,
                                     text=True).stdout
        if re.search(rf"^\s+{re.escape(w)}\s", parent_help, re.MULTILINE):
            path.append(w)
        else:
            break
    if words and not words[0].startswith("-") and not path:
        sys.exit(f"{f}: `shredmit {' '.join(words)}`: no such command")
    help_text = subprocess.run([shredmit, *path, "--help"], capture_output=True, text=True).stdout
    for w in words:
        if w.startswith("--"):
            option = w.split("=")[0]
            if option not in help_text:
                sys.exit(f"{f}: `shredmit {' '.join(path)}` has no option {option}")
    checked += 1
hook_ids = {h["id"] for h in docs[".pre-commit-hooks.yaml"]}
for repo in docs["docs/pre-commit-config.yaml"]["repos"]:
    for hook in repo["hooks"]:
        if hook["id"] not in hook_ids:
            sys.exit(f"docs/pre-commit-config.yaml: no hook {hook['id']} in .pre-commit-hooks.yaml")
if checked < 6:
    sys.exit(f"only {checked} shredmit commands found in docs/: the check lost its input")
print(f"ok: {len(files)} YAML files parse, {checked} shredmit commands exist with their options")
PY
