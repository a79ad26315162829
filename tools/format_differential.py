#!/usr/bin/env python3
"""Differential test of `shredmit format` against bigquery-etl's formatter on mangled input.

Usage: tools/format_differential.py SHREDMIT BQETL_CHECKOUT [--seeds N] [--limit FILES]

For every .sql file under BQETL_CHECKOUT/sql (or the first FILES of them), and for each of N
random seeds, the file is mangled without changing its tokens: the whitespace between tokens is
replaced at random (one space, several, a line break, blank lines, tabs), and keywords get a
random case. Each mangled copy is formatted by both formatters; the tool counts

  * as the reference: shredmit's output equals bigquery_etl.format_sql's reformat() byte for byte;
  * as the reference's fixed point: it equals reformat() applied until the text stops changing.
    bqetl's formatter is not idempotent on some input (`name AS(`, `lower (x)`: its second run
    changes what its first wrote); shredmit writes the text of its second run in one;
  * idempotent: formatting shredmit's output again with shredmit changes nothing.

It prints the first cases that differ from the fixed point (file, seed, first differing line)
and exits 1 when any case differs from it or is not idempotent. The reference needs only Python's standard library and the
checkout's bigquery_etl/format_sql folder.
"""
import argparse
import os
import random
import subprocess
import sys
import tempfile


SEPARATORS = [" ", " ", "  ", "\n", "\n\n", "\n  ", "\t", " \n    "]


def mangle(text, rng, tokenize, tk):
    """The same tokens as text, with random whitespace between them and random keyword case.

    Between two tokens that stay apart without whitespace (`f(`, `)[0]`, `AS(`), the separator is
    left out with probability 1/3, as hand-written SQL often has it; a line comment is always
    followed by a line break.
    """
    tokens = [t for t in tokenize(text) if not isinstance(t, tk.Whitespace)]
    out = []
    for i, token in enumerate(tokens):
        value = token.value
        if isinstance(token, tk.Keyword) and rng.random() < 0.5:
            value = rng.choice([value.lower(), value.upper(), value.capitalize()])
        out.append(value)
        if isinstance(token, tk.LineComment):
            out.append("\n")
        elif i + 1 < len(tokens):
            out.append("" if can_touch(token, tokens[i + 1], tk) and rng.random() < 1 / 3 else
                       rng.choice(SEPARATORS))
    return "".join(out) + "\n"


def can_touch(a, b, tk):
    """Whether tokens a and b keep apart when written without whitespace between them."""
    brackets = (tk.OpeningBracket, tk.ClosingBracket, tk.ExpressionSeparator,
                tk.StatementSeparator)
    if isinstance(a, (tk.Comment, tk.JinjaExpression, tk.JinjaStatement)) or isinstance(
            b, (tk.Comment, tk.JinjaExpression, tk.JinjaStatement)):
        return False
    return isinstance(a, brackets) or isinstance(b, brackets)


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
                mangled = mangle(text, rng, tk.tokenize, tk)
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
        fixed_point = 0
        shown = 0
        for path, seed, target, mangled in cases:
            reference = reformat(mangled, trailing_newline=True)
            identical += ours[target] == reference
            for _ in range(5):
                again = reformat(reference, trailing_newline=True)
                if again == reference:
                    break
                reference = again
            if ours[target] == reference:
                fixed_point += 1
                continue
            if shown < args.show:
                shown += 1
                a, b = ours[target].splitlines(), reference.splitlines()
                n = next((k for k in range(min(len(a), len(b))) if a[k] != b[k]), min(len(a), len(b)))
                print(f"differs: {os.path.relpath(path, args.checkout)} seed {seed} line {n + 1}")
                print(f"  shredmit:  {a[n] if n < len(a) else '<end>'}")
                print(f"  reference's fixed point: {b[n] if n < len(b) else '<end>'}")
        for target in sorted(not_idempotent)[:args.show]:
            source = next(c for c in cases if c[2] == target)
            second = subprocess.run([args.shredmit, "format"], input=ours[target],
                                    capture_output=True, text=True).stdout
            a, b = ours[target].splitlines(), second.splitlines()
            n = next((k for k in range(min(len(a), len(b))) if a[k] != b[k]), min(len(a), len(b)))
            same_as_reference = reformat(source[3], trailing_newline=True) == ours[target]
            print(f"not idempotent: {os.path.relpath(source[0], args.checkout)} seed {source[1]} "
                  f"line {n + 1}{' (as the reference)' if same_as_reference else ''}")
            print(f"  once:  {a[n] if n < len(a) else '<end>'}")
            print(f"  twice: {b[n] if n < len(b) else '<end>'}")
        print(f"{len(cases)} mangled cases from {len(paths)} files: {identical} as the reference, "
              f"{fixed_point} as the reference's fixed point, "
              f"{len(cases) - len(not_idempotent)} idempotent")
        return 0 if fixed_point == len(cases) and not not_idempotent else 1


if __name__ == "__main__":
    sys.exit(main())
