#!/usr/bin/env python3
"""Turn the compile commands of `make -nB ...` (read on stdin) into a JSON
compilation database (clang's compile_commands.json) on stdout: one entry
per source file, the first command that compiles it winning (the Makefile
lists the arm64 build before the native unit tests)."""
import json
import os
import shlex
import sys


def compile_entry(line, directory):
    """The database entry for one compiler invocation with -c, or None."""
    try:
        args = shlex.split(line)
    except ValueError:
        return None
    if not args or not args[0].endswith(("gcc", "cc", "clang")) or "-c" not in args:
        return None
    src = args[args.index("-c") + 1] if args.index("-c") + 1 < len(args) else None
    if not src or not src.endswith(".c"):
        return None
    entry = {"directory": directory, "arguments": args, "file": src}
    if "-o" in args and args.index("-o") + 1 < len(args):
        entry["output"] = args[args.index("-o") + 1]
    return entry


def main():
    directory = os.getcwd()
    seen = set()
    db = []
    for line in sys.stdin:
        entry = compile_entry(line.strip(), directory)
        if entry and entry["file"] not in seen:
            seen.add(entry["file"])
            db.append(entry)
    if not db:
        sys.exit("compdb: no compile commands in the input")
    json.dump(db, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
