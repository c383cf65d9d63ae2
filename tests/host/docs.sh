#!/usr/bin/env bash
# The man page (doc/microvm-ras.1) and the bash completion
# (contrib/bash-completion/microvm-ras) cannot drift from the binary: every
# option 'microvm-ras --help' prints (the arm64 binary under
# qemu-aarch64-static; without it, the option table in vmm/options.c) must
# appear in both. The man page must also format without warnings (groff
# -mdoc -ww, or mandoc -Tlint when installed), and 'make install' must put
# the three files where PREFIX and DESTDIR say.
# Output: one PASS/FAIL line per check; exit status 1 on any FAIL.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MAN=$ROOT/doc/microvm-ras.1
COMP=$ROOT/contrib/bash-completion/microvm-ras
BIN=${BIN:-$ROOT/build/microvm-ras}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1: $2"; fail=$((fail + 1)); }

# --- the options: from --help, else from the source table ---
if [ -x "$BIN" ] && command -v qemu-aarch64-static >/dev/null &&
	qemu-aarch64-static "$BIN" --help >"$T/help" 2>/dev/null; then
	src="--help"
	grep -oE '(^|[ ,(])--[a-z][a-z-]*' "$T/help" | sed 's/^[ ,(]//' | sort -u >"$T/long"
	grep -oE '^ +-[a-z],' "$T/help" | tr -d ' ,' | sort -u >"$T/short"
else
	src="vmm/options.c"
	# { "name", 'x', ... } lines of opt_table, plus the CLI's own switches.
	sed -n '/^const struct opt_def opt_table/,/^};/p' "$ROOT/vmm/options.c" |
		grep -oE '^\s*\{ "[a-z-]+"' | grep -oE '[a-z-]+' | sed 's/^/--/' >"$T/long"
	printf -- '--%s\n' config check force help version >>"$T/long"
	sort -u -o "$T/long" "$T/long"
	sed -n '/^const struct opt_def opt_table/,/^};/p' "$ROOT/vmm/options.c" |
		grep -oE "^\s*\{ \"[a-z-]+\", '[a-z]'" | grep -oE "'[a-z]'" | tr -d "'" |
		sed 's/^/-/' >"$T/short"
	echo -- -h >>"$T/short"
fi
n=$(wc -l <"$T/long")
if [ "$n" -lt 20 ]; then
	ko docs-options "only $n long options found in $src"
else
	ok "docs-options ($n long, $(wc -l <"$T/short") short, from $src)"
fi

# --- each one in the man page (".It Fl -name" / "Fl k") and the completion ---
missing_man= missing_comp=
while read -r o; do
	name=${o#--}
	grep -qE "Fl -$name( |,|\$)" "$MAN" || missing_man="$missing_man $o"
	grep -qE "(^|[[:space:]\"'])$o([[:space:]\"']|\$)" "$COMP" || missing_comp="$missing_comp $o"
done <"$T/long"
while read -r o; do
	grep -qE "Fl ${o#-}( |,|\$)" "$MAN" || missing_man="$missing_man $o"
	grep -qE "(^|[[:space:]])$o([[:space:]]|\$)" "$COMP" || missing_comp="$missing_comp $o"
done <"$T/short"
if [ -z "$missing_man" ]; then ok docs-man-options; else ko docs-man-options "not in doc/microvm-ras.1:$missing_man"; fi
if [ -z "$missing_comp" ]; then ok docs-completion-options; else ko docs-completion-options "not in the completion:$missing_comp"; fi

# Each --serial backend and each exit status in the man page.
bad=
for w in 'Cm stdio' 'Cm file=' 'Cm pty' 'Cm socket=' 'Cm off' 'Ctrl-A Cm x'; do
	grep -qF "$w" "$MAN" || bad="$bad '$w'"
done
for s in 0 1 2 3 4 5 '128 + N'; do
	grep -qxF ".It $s" "$MAN" || bad="$bad status-$s"
done
if [ -z "$bad" ]; then ok docs-man-sections; else ko docs-man-sections "missing:$bad"; fi

# --- the man page formats cleanly ---
if command -v mandoc >/dev/null; then
	if mandoc -Tlint -W warning "$MAN" >"$T/lint" 2>&1; then ok docs-man-lint; else ko docs-man-lint "$(head -3 "$T/lint" | tr '\n' '|')"; fi
elif command -v groff >/dev/null; then
	if groff -mdoc -t -ww -z "$MAN" >"$T/lint" 2>&1 && [ ! -s "$T/lint" ]; then
		ok docs-man-lint
	else
		ko docs-man-lint "$(head -3 "$T/lint" | tr '\n' '|')"
	fi
else
	echo "SKIP docs-man-lint: neither mandoc nor groff installed"
fi

# --- the completion: valid bash, and it completes subcommands and values ---
if bash -n "$COMP" 2>"$T/bash"; then ok docs-completion-syntax; else ko docs-completion-syntax "$(head -1 "$T/bash")"; fi
if [ -r /usr/share/bash-completion/bash_completion ]; then
	# COMP_WORDS as bash would set them; print the candidates.
	complete_words() {
		bash -c '. /usr/share/bash-completion/bash_completion; . "$1"; shift
			COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
			COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
			_microvm_ras; printf "%s\n" "${COMPREPLY[@]}"' sh "$COMP" "$@" 2>/dev/null | sort | tr '\n' ' '
	}
	got1=$(complete_words microvm-ras d)
	got2=$(complete_words microvm-ras run --serial s)
	got3=$(complete_words microvm-ras run --ser)
	if [ "$got1" = "dump-acpi dump-dtb " ] && [ "$got2" = "socket= stdio " ] &&
		[ "$got3" = "--serial " ]; then
		ok docs-completion-words
	else
		ko docs-completion-words "got '$got1' / '$got2' / '$got3'"
	fi
else
	echo "SKIP docs-completion-words: bash-completion not installed"
fi

# --- make install PREFIX=... DESTDIR=... ---
if [ -x "$BIN" ]; then
	if make -s -C "$ROOT" install DESTDIR="$T/stage" PREFIX=/opt/mvr >"$T/inst" 2>&1 &&
		[ -x "$T/stage/opt/mvr/bin/microvm-ras" ] &&
		cmp -s "$MAN" "$T/stage/opt/mvr/share/man/man1/microvm-ras.1" &&
		cmp -s "$COMP" "$T/stage/opt/mvr/share/bash-completion/completions/microvm-ras"; then
		ok docs-install
	else
		ko docs-install "$(head -3 "$T/inst" | tr '\n' '|') $(cd "$T" && find stage -type f | tr '\n' ' ')"
	fi
else
	echo "SKIP docs-install: $BIN not built"
fi

echo "docs: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
