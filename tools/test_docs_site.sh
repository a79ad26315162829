#!/usr/bin/env bash
# The docs site is checked, not just written:
# 1. `mkdocs build --strict` builds it (a broken link or a page missing from the nav fails);
# 2. each command's page lists exactly its options: the `--options` of `shredmit CMD --help`
#    are the `--options` of the page's synopsis (the ```sh lines starting `shredmit CMD`), so an
#    option added, renamed or removed without its page fails, and so does a page that shows an
#    option the command does not have;
# 3. the README stays a front door: at most 250 lines.
# Usage: tools/test_docs_site.sh BUILD_DIR   (run by ctest as Docs.SiteBuildsAndListsEveryOption)
set -euo pipefail
cd "$(dirname "$0")/.."
build="$(cd "${1:?usage: tools/test_docs_site.sh BUILD_DIR}" && pwd)"
site=$(mktemp -d)
trap 'rm -rf "$site"' EXIT
if ! mkdocs build --strict --quiet --site-dir "$site" 2>"$site.log"; then
  cat "$site.log" >&2
  echo "mkdocs build --strict failed (see above)" >&2
  exit 1
fi
rm -f "$site.log"
python3 - "$build/shredmit" <<'PY'
import re, subprocess, sys
shredmit = sys.argv[1]
# Each command and the page that documents it.
pages = {
    "generate": "generate", "parse": "parse", "format": "format", "lint": "lint",
    "simulate": "simulate", "report": "report", "dry-run": "engine",
    "template list": "templates", "template show": "templates", "template render": "templates",
    "aggregates export": "aggregates", "aggregates load-plan": "aggregates",
    "backfill validate": "backfill", "backfill plan": "backfill", "backfill run": "backfill",
}
OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*)")

def help_options(command):
    text = subprocess.run([shredmit, *command.split(), "--help"], capture_output=True,
                          text=True, check=True).stdout
    # CLI11 lists options as lines "  -j,--jobs INT ..." or "  --check ...".
    options = set()
    for line in text.splitlines():
        m = re.match(r"^\s+((?:-\w,)?--[a-z][a-z0-9-]*)", line)
        if m:
            options.add(m.group(1).split(",")[-1])
    options.discard("--help")
    return options

def synopsis_options(page, command):
    text = open(f"docs/{page}.md").read()
    found, seen = set(), False
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        lines = block.splitlines()
        i = 0
        while i < len(lines):
            if re.match(rf"^shredmit {re.escape(command)}(\s|$)", lines[i]):
                seen = True
                statement = [lines[i]]
                i += 1
                # Continuation lines are indented.
                while i < len(lines) and lines[i].startswith(" "):
                    statement.append(lines[i])
                    i += 1
                for line in statement:
                    found |= set(OPTION.findall(line.split("#")[0]))
            else:
                i += 1
    return found if seen else None

failures = []
for command, page in pages.items():
    have, shown = help_options(command), synopsis_options(page, command)
    if shown is None:
        failures.append(f"docs/{page}.md: no ```sh synopsis line starting `shredmit {command}`")
        continue
    for o in sorted(have - shown):
        failures.append(f"docs/{page}.md: `shredmit {command}` has {o}; add it to the synopsis")
    for o in sorted(shown - have):
        failures.append(f"docs/{page}.md: the synopsis of `shredmit {command}` shows {o}, which "
                        f"`shredmit {command} --help` does not list")
if failures:
    sys.exit("\n".join(failures))
print(f"ok: mkdocs --strict built the site; {len(pages)} commands list exactly their options")
PY
lines=$(wc -l <README.md)
if [ "$lines" -gt 250 ]; then
  echo "README.md has $lines lines; keep it at most 250 (the rest belongs in docs/)" >&2
  exit 1
fi
