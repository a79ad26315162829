#!/usr/bin/env python3
"""Differential test of `shredmit format` against bigquery-etl's formatter on mangled input.

Usage: tools/format_differential.py SHREDMIT BQETL_CHECKOUT [--seeds N] [--limit FILES]

For every .sql file under BQETL_CHECKOUT/sql (or the first FILES of them), and for each of N
random seeds, the file is mangled without changing its tokens: the whitespace between tokens is
replaced at random (one space, several, a line break, blank lines, tabs), and keywords get a
random case. Each mangled copy is formatted by both formatters; the tool counts

  * identical: shredmit's output equals bigquery_etl.format_sql's reformat() byte for byte;
  * idempotent: formatting shredmit's output again with shredmit changes nothing.

It prints the first differing cases (file, seed, first differing line) and exits 1 when any
case differs or is not idempotent. The reference needs only Python's standard library and the
checkout's bigquery_etl/format_sql folder.
"""
import argparse
import os
import random
import subprocess
import sys
import tempfile


def mangle(text, rng, tokenize, whitespace, line_comment, keyword, jinja):
    """The same tokens as text, with random whitespace between them and random keyword case."""
    out = []
    for token in tokenize(text):
        if isinstance(token, whitespace):
            continue
        value = token.value
        if isinstance(token, keyword) and rng.random() < 0.5:
            value = rng.choice([value.lower(), value.upper(), value.capitalize()])
        if out:
            # A line comment must stay the last thing on its line; Jinja statements keep at least
            # one separator so that their whitespace control is not changed.
            out.append(rng.choice([" ", " ", "  ", "\n", "\n\n", "\n  ", "\t", " \n    "]))
        out.append(value)
        if isinstance(token, line_comment):
            out.append("\n")
    return "".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("shredmit")
    parser.add_argument("checkout")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--show", type=int, default=5, help="differing cases to print")
    args = parser.parse_args()
    sys.path.insert(0, args.checkout)
    from bigquery_etl.format_sql.formatter import reformat
    from bigquery_etl.format_sql import tokenizer as tk

    paths = sorted(
        os.path.join(d, f)
        for d, _, fs in os.walk(os.path.join(args.checkout, "sql"))
        for f in fs
        if f.endswith(".sql"))
    if args.limit:
        paths = paths[:args.limit]
    with tempfile.TemporaryDirectory() as work:
        cases = []  # (source path, seed, mangled path)
        for i, path in enumerate(paths):
            text = open(path, encoding="utf-8").read()
            for seed in range(args.seeds):
                rng = random.Random(f"{os.path.relpath(path, args.checkout)}:{seed}")
                mangled = mangle(text, rng, tk.tokenize, tk.Whitespace, tk.LineComment, tk.Keyword,
                                 tk.JinjaStatement)
                target = os.path.join(work, "cases", f"{i}_{seed}.sql")
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with open(target, "w", encoding="utf-8") as f:
                    f.write(mangled)
                cases.append((path, seed, target, mangled))
        subprocess.run([args.shredmit, "format", "--no-skip", os.path.join(work, "cases")],
                       capture_output=True)
        ours = {c[2]: open(c[2], encoding="utf-8").read() for c in cases}
        again = subprocess.run(
            [args.shredmit, "format", "--check", "--no-skip", os.path.join(work, "cases")],
            capture_output=True, text=True)
        not_idempotent = {line.split(":")[0] for line in again.stdout.splitlines() if line}
        identical = 0
        shown = 0
        for path, seed, target, mangled in cases:
            reference = reformat(mangled, trailing_newline=True)
            if ours[target] == reference:
                identical += 1
                continue
            if shown < args.show:
                shown += 1
                a, b = ours[target].splitlines(), reference.splitlines()
                n = next((k for k in range(min(len(a), len(b))) if a[k] != b[k]), min(len(a), len(b)))
                print(f"differs: {os.path.relpath(path, args.checkout)} seed {seed} line {n + 1}")
                print(f"  shredmit:  {a[n] if n < len(a) else '<end>'}")
                print(f"  reference: {b[n] if n < len(b) else '<end>'}")
        for target in sorted(not_idempotent)[:args.show]:
            source = next(c for c in cases if c[2] == target)
            print(f"not idempotent: {os.path.relpath(source[0], args.checkout)} seed {source[1]}")
        print(f"{len(cases)} mangled cases from {len(paths)} files: {identical} identical to the "
              f"reference, {len(cases) - len(not_idempotent)} idempotent")
        return 0 if identical == len(cases) and not not_idempotent else 1


if __name__ == "__main__":
    sys.exit(main())
