#!/usr/bin/env bash
# The optional rasdaemon guest image (guest-images/build-guest-rasdaemon.sh,
# build/images/guest-rasdaemon.cpio and its stage guest-rasdaemon-root/),
# checked without KVM: the files the e2e scenario 48-rasdaemon runs are in
# the archive, every NEEDED library of rasdaemon, perl and the DBI/DBD
# objects is in the root, ras-mc-ctl was built with ARM and memory-failure
# support, the default guest.cpio has none of it, and ras-mc-ctl itself,
# run under qemu-aarch64-static on a database with one arm_event and one
# memory_failure_event row, prints them as the scenario expects, and the
# scenario's LD_PRELOAD object rasd-nowait.so, loaded by the staged glibc,
# answers access(F_OK) at once for an absent event format file only (and
# rasdaemon takes access from libc, so the preload reaches it). One
# PASS/FAIL line per check; SKIP when the image is not built.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
IMG=$ROOT/build/images
R=${RASDAEMON_ROOT:-$IMG/guest-rasdaemon-root}
CPIO=$IMG/guest-rasdaemon.cpio
fail=0
ok() { echo "PASS $1"; }
ko() { echo "FAIL $1: $2"; fail=1; }

if [ ! -s "$CPIO" ] || [ ! -x "$R/usr/sbin/rasdaemon" ]; then
	echo "SKIP rasdaemon-image: not built (guest-images/build-guest-rasdaemon.sh; e2e run.sh rasdaemon builds it)"
	exit 0
fi
# Built before: bring it up to date with this tree (the builder is cached),
# so that a stale image from an older tree is not what is checked.
"$ROOT/guest-images/build-guest-rasdaemon.sh" >/dev/null 2>&1 ||
	ko rasdaemon-image-build "guest-images/build-guest-rasdaemon.sh failed"
T=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT

# --- the archive holds what the scenario runs ---
cpio -it --quiet <"$CPIO" >"$T/list" 2>/dev/null
missing=
for f in init bin/busybox usr/bin/mca-recover usr/sbin/rasdaemon usr/sbin/ras-mc-ctl \
	usr/bin/perl lib/ld-linux-aarch64.so.1 var/lib/rasdaemon usr/lib/microvm-ras/rasd-nowait.so \
	etc/default/rasdaemon; do
	grep -qx "\\./$f\\|$f" "$T/list" || missing="$missing $f"
done
for re in '/DBI\.pm$' '/DBD/SQLite\.pm$' '/auto/DBD/SQLite/SQLite\.so$' '/auto/DBI/DBI\.so$' \
	'/libsqlite3\.so\.0$' '/libtraceevent\.so\.1$' '/File/Find\.pm$'; do
	grep -qE "$re" "$T/list" || missing="$missing $re"
done
if [ -z "$missing" ]; then ok rasd-image-files; else ko rasd-image-files "missing:$missing"; fi

# --- every NEEDED soname is a file (or link to one) in the root's lib dirs ---
unres=
for f in "$R/usr/sbin/rasdaemon" "$R/usr/bin/perl" $(find "$R" -path '*/auto/*.so'); do
	for so in $(readelf -d "$f" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'); do
		[ -e "$R/usr/lib/aarch64-linux-gnu/$so" ] || [ -e "$R/lib/aarch64-linux-gnu/$so" ] ||
			unres="$unres $so($(basename "$f"))"
	done
done
if [ -z "$unres" ]; then ok rasd-image-needed; else ko rasd-image-needed "unresolved:$unres"; fi

# --- built with the ARM and memory-failure handlers; default image untouched ---
if grep -qx '\$has_arm = 1;' "$R/usr/sbin/ras-mc-ctl" &&
	grep -qx '\$has_mem_failure = 1;' "$R/usr/sbin/ras-mc-ctl" &&
	strings "$R/usr/sbin/rasdaemon" | grep -qx arm_event &&
	strings "$R/usr/sbin/rasdaemon" | grep -qx memory_failure_event; then
	ok rasd-image-arm-mf
else
	ko rasd-image-arm-mf "ras-mc-ctl/rasdaemon lack ARM or memory-failure support: $(grep -E '^#?\$has_(arm|mem_failure)' "$R/usr/sbin/ras-mc-ctl" | tr '\n' ' ')"
fi
if [ -s "$IMG/guest.cpio" ] && ! cpio -it --quiet <"$IMG/guest.cpio" 2>/dev/null | grep -qE 'rasdaemon|bin/perl$'; then
	ok rasd-default-image-unchanged
else
	ko rasd-default-image-unchanged "guest.cpio missing or carries rasdaemon/perl"
fi

# --- ras-mc-ctl on a database: every table it queries, with the columns it
# names (read from its own "select ... from TABLE" lines), one arm_event
# and one memory_failure_event row ---
run=()
[ "$(uname -m)" = aarch64 ] || run=(qemu-aarch64-static)
if [ ${#run[@]} -gt 0 ] && ! command -v qemu-aarch64-static >/dev/null; then
	ko rasd-mc-ctl-output "no qemu-aarch64-static"
	exit 1
fi
cp -a "$R" "$T/root"
python3 - "$T/root/usr/sbin/ras-mc-ctl" "$T/root/var/lib/rasdaemon/ras-mc_event.db" <<'EOF' 2>"$T/py" || ko rasd-mc-ctl-db "$(cat "$T/py")"
import re, sqlite3, sys
src = open(sys.argv[1]).read()
tables = {}
for cols, t in re.findall(r'select\s+(.*?)\s+from\s+(\w+)', src):
    for c in cols.split(','):
        c = c.strip()
        if re.fullmatch(r'\w+', c):
            tables.setdefault(t, [])
            if c not in tables[t]:
                tables[t].append(c)
db = sqlite3.connect(sys.argv[2])
for t, cols in tables.items():
    db.execute('create table %s (%s)' % (t, ', '.join(cols)))
db.execute("insert into arm_event (id, timestamp, error_count, affinity, mpidr, running_state, psci_state) "
           "values (1, '2026-11-23 10:00:00 +0000', 1, 0, 2147483649, 1, 0)")
db.execute("insert into memory_failure_event (id, timestamp, pfn, page_type, action_result) "
           "values (1, '2026-11-23 10:00:01 +0000', '0x5c032', 'dirty LRU page', 'Recovered')")
db.commit()
EOF
# The staged perl with its @INC confined to the copy of the root.
export MVR_R=$T/root
for opt in errors summary; do
	"${run[@]}" ${run:+-L "$T/root"} "$T/root/usr/bin/perl" -e '
		@INC = map { "$ENV{MVR_R}$_" } @INC; my $s = shift @ARGV; $0 = $s;
		do $s; die $@ if $@;' \
		"$T/root/usr/sbin/ras-mc-ctl" --$opt >"$T/$opt" 2>&1 </dev/null
done
if grep -qE '^1 .* error: error_count=1, affinity_level=0, mpidr=0x80000001, running_state=0x1, psci_state=0x0$' "$T/errors" &&
	grep -qx '1 2026-11-23 10:00:01 +0000 error: pfn=0x5c032, page_type=dirty LRU page, action_result=Recovered' "$T/errors" &&
	grep -q 'CPU(mpidr=0x80000001) has 1 errors' "$T/summary" &&
	grep -qx "$(printf '\tRecovered errors: 1')" "$T/summary"; then
	ok rasd-mc-ctl-output
else
	ko rasd-mc-ctl-output "$(head -c 600 "$T/errors" | tr '\n' '|') // $(head -c 300 "$T/summary" | tr '\n' '|')"
fi

# --- rasd-nowait.so under the staged loader: POSIX::access, i.e. libc's
# access(), with and without the preload ---
if ! readelf --dyn-syms -W "$R/usr/sbin/rasdaemon" 2>/dev/null | grep -qE ' UND access(@|$)'; then
	ko rasd-nowait "rasdaemon does not import access() from libc: an LD_PRELOAD cannot shorten its waits"
else
	probe() {
		"${run[@]}" ${run:+-L "$T/root"} ${run:+-E "LD_PRELOAD=$1"} "$T/root/usr/bin/perl" -e '
			@INC = map { "$ENV{MVR_R}$_" } @INC; require POSIX;
			for my $p (@ARGV) { print((POSIX::access($p, 0) ? "yes" : "no"), " $p\n"); }' \
			"$T/tr/events/cxl/cxl_poison/format" "$T/tr/events/ras/arm_event/format" \
			"$T/tr/events/cxl/cxl_poison/enable" "$T/tr/per_cpu/cpu0/trace_pipe_raw" 2>&1
	}
	mkdir -p "$T/tr/events/ras/arm_event"
	: >"$T/tr/events/ras/arm_event/format"
	if [ ${#run[@]} -gt 0 ]; then
		with=$(probe /usr/lib/microvm-ras/rasd-nowait.so)
		without=$(probe "")
	else
		with=$(LD_PRELOAD=$T/root/usr/lib/microvm-ras/rasd-nowait.so probe "")
		without=$(probe "")
	fi
	want_with="yes $T/tr/events/cxl/cxl_poison/format
yes $T/tr/events/ras/arm_event/format
no $T/tr/events/cxl/cxl_poison/enable
no $T/tr/per_cpu/cpu0/trace_pipe_raw"
	if [ "$(echo "$with" | grep -v '^rasd-nowait: ')" = "$want_with" ] &&
		echo "$with" | grep -qx "rasd-nowait: absent: $T/tr/events/cxl/cxl_poison/format" &&
		[ "$(echo "$without" | head -n 1)" = "no $T/tr/events/cxl/cxl_poison/format" ]; then
		ok rasd-nowait
	else
		ko rasd-nowait "with: $(echo "$with" | tr '\n' '|') without: $(echo "$without" | tr '\n' '|')"
	fi
fi
exit $fail
