#!/usr/bin/env python3
"""Flags code g++ 12 miscompiles inside co_await expressions.

g++ 12.2 destroys some temporaries of a co_await expression twice (GCC PR
101367 and relatives; reproduced under ASan and valgrind, see
docs/kernel.md). The compile-time checks in sim/ctx.hpp catch lambda
temporaries given to spawn/receive; this lint catches the pattern they
cannot: a conditional operator (`c ? a : b`) inside a co_await statement,
whose class-type result is destroyed twice. Compute it into a local first.
It also flags `if (co_await ...)`: a co_await tested in place, at the end of
a coroutine, compiled to ud2 (SIGILL) although the operation returned ok
(core/tokens/app_server.cpp). Name the result, then test it.

Usage: lint_coawait.py ROOT
"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1])
problems = []
for folder in ["sim", "core", "faults", "scenarios", "tests", "bench"]:
    for path in sorted((root / folder).rglob("*")):
        if path.suffix not in (".cpp", ".hpp"):
            continue
        text = path.read_text()
        # Statements, roughly: split at ; { } keeping line numbers.
        line = 1
        start_line = 1
        buf = ""
        for ch in text:
            if ch == "\n":
                line += 1
            if ch in ";{}":
                stmt = re.sub(r"//[^\n]*", "", buf)
                stmt = re.sub(r'"(\\.|[^"\\])*"', '""', stmt)
                stmt = re.sub(r"'(\\.|[^'\\])*'", "''", stmt)
                if "co_await" in stmt and re.search(r"\?[^:]*:(?!:)", stmt.split("co_await", 1)[1]):
                    problems.append(f"{path.relative_to(root)}:{start_line}: conditional operator in a co_await "
                                    f"expression (g++ 12 destroys its result twice); compute it into a local first")
                if re.search(r"\b(if|while)\s*\(\s*!?\s*co_await\b", stmt):
                    problems.append(f"{path.relative_to(root)}:{start_line}: co_await tested in place in an if/while "
                                    f"condition (g++ 12 miscompiled this to ud2); name the result first")
                buf = ""
                start_line = line
            else:
                if not buf.strip():
                    start_line = line
                buf += ch
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
