#!/usr/bin/env bash
# Build build/images/guest-rasdaemon.cpio, an optional L2 initramfs for the
# e2e scenario 48-rasdaemon: the default guest root (guest.cpio, unchanged)
# plus Debian's rasdaemon with what it needs: its shared libraries and
# glibc, and for ras-mc-ctl perl (perl-base), DBI, DBD::SQLite and the few
# perl-modules files the script loads. Only scenarios that ask for it
# ("# E2E-GUEST-IMAGE: guest-rasdaemon.cpio") make tests/e2e/run.sh build it
# and put it in L1 as /guest/guest-rasdaemon.cpio.
#
# The package set is the dependency closure (Depends and Pre-Depends,
# guest-images/lib-deb.sh deb_closure) of rasdaemon, libdbd-sqlite3-perl and
# perl-base, without the packages a guest never runs (PRUNE: dpkg, the
# sqlite3 shell, init-system-helpers; "perl" itself, whose modules come
# file by file: see below). Documentation, manual pages, locales, gconv and
# systemd units are left out.
#
# Suite: RASDAEMON_SUITE (default trixie). Debian 12's rasdaemon 0.6.8 is
# built without ARM processor and memory-failure support (its ras-mc-ctl
# has $has_arm and $has_mem_failure commented out and the binary knows only
# mc_event, aer_event, mce_record and extlog_mem_event), so it would record
# none of the records an arm64 guest kernel traces for our CPER; Debian
# 13's 0.8.3 records arm_event, memory_failure_event and non_standard_event
# as well. Its userland (glibc 2.41, perl 5.40) runs on the 6.1 guest kernel.
#
# LD_PRELOAD /usr/lib/microvm-ras/rasd-nowait.so, our own object
# (guest-images/preload/rasd-nowait.c), lets the scenario's rasdaemon skip
# the 30 s wait for each tracepoint the kernel lacks; rasdaemon itself is
# Debian's binary, unchanged.
#
# Perl modules: ras-mc-ctl is run under qemu-aarch64-static against an
# empty database with the staged perl's @INC confined to the stage; each
# "Can't locate X.pm" adds X.pm from perl-modules-<ver>, until it runs.
#
# Needs guest-images/fetch.sh and build-guest.sh to have run (guest.cpio).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
GI=$ROOT/guest-images
OUT=$ROOT/build/images
CACHE=${MVR_CACHE:-/var/cache/microvm-ras}
SUITE=${RASDAEMON_SUITE:-trixie}
CROSS_CC=${CROSS_CC:-aarch64-linux-gnu-gcc}
ROOTS="rasdaemon libdbd-sqlite3-perl perl-base"
PRUNE="perl sqlite3 init-system-helpers dpkg install-info debconf usr-is-merged usrmerge tar"
STAGE=$OUT/guest-rasdaemon-root
IMAGE=$OUT/guest-rasdaemon.cpio

SUDO=
SANDBOX=
[ "$(id -u)" = 0 ] && SANDBOX="-o APT::Sandbox::User=root" || SUDO=sudo
log() { echo "build-guest-rasdaemon: $*" >&2; }
die() { echo "build-guest-rasdaemon: error: $*" >&2; exit 1; }
. "$GI/lib-deb.sh"
. "$GI/lib-cpio.sh"
: "$SUDO"

[ -s "$OUT/guest.cpio" ] || "$GI/build-guest.sh"
mkdir -p "$CACHE" 2>/dev/null || die "cannot create $CACHE (run guest-images/fetch.sh first)"
[ "$SUITE" = bookworm ] || deb_suite "$SUITE"

# --- the packages ------------------------------------------------------------
PKGS=$(deb_closure "$PRUNE" $ROOTS)
echo "$PKGS" | grep -qx rasdaemon || die "cannot resolve rasdaemon:arm64 in $SUITE"
# perl's own modules package, named by the "perl" package (pruned above).
PMOD=$(apt-cache ${DEB_APT_OPTS:-} depends perl:arm64 2>/dev/null |
	sed -n 's/^ *Depends: \(perl-modules-[0-9.]*\).*/\1/p' | head -n1)
[ -n "$PMOD" ] || die "cannot find perl's perl-modules package in $SUITE"
# shellcheck disable=SC2086 # word lists
DEB_CANDIDATES=$(deb_candidates $PKGS "$PMOD")
debs=()
for p in $PKGS; do
	debs+=("$(deb_download "$p")")
done
PMOD_DEB=$(deb_download "$PMOD")

# --- the root: guest.cpio, then the packages ----------------------------------
X=$OUT/guest-rasdaemon-x
rm -rf "$STAGE" "$X"
mkdir -p "$STAGE" "$X/pkgs" "$X/pmod"
(cd "$STAGE" && cpio -id --quiet --no-absolute-filenames <"$OUT/guest.cpio")
for d in "${debs[@]}"; do
	dpkg-deb -x "$d" "$X/pkgs"
done
dpkg-deb -x "$PMOD_DEB" "$X/pmod"
(cd "$X/pkgs" && rm -rf usr/share/doc usr/share/man usr/share/info usr/share/lintian \
	usr/share/locale usr/share/bug usr/lib/systemd lib/systemd etc/init.d \
	usr/lib/*/gconv usr/share/perl/*/unicore/*.txt)
# Debian 13 has merged /usr (bin, sbin and lib are symlinks into usr), the
# busybox root has real /bin and /sbin: copy the package trees over it file
# by file, the loader also where the ELF interpreter path names it.
cp -a "$X/pkgs/." "$STAGE/"
if [ ! -e "$STAGE/lib/ld-linux-aarch64.so.1" ]; then
	ld=$(find "$STAGE/usr/lib" -name 'ld-linux-aarch64.so.1' | head -n1)
	[ -n "$ld" ] || die "no ld-linux-aarch64.so.1 in the packages"
	mkdir -p "$STAGE/lib"
	# Relative, so that it also resolves inside the stage under qemu-user.
	ln -s "../${ld#"$STAGE"/}" "$STAGE/lib/ld-linux-aarch64.so.1"
fi
# The multiarch library directory where the loader looks first.
if [ ! -e "$STAGE/lib/aarch64-linux-gnu" ] && [ -d "$STAGE/usr/lib/aarch64-linux-gnu" ]; then
	ln -s ../usr/lib/aarch64-linux-gnu "$STAGE/lib/aarch64-linux-gnu"
fi
for f in usr/sbin/rasdaemon usr/sbin/ras-mc-ctl usr/bin/perl; do
	[ -x "$STAGE/$f" ] || die "no /$f in the staged packages"
done
mkdir -p "$STAGE/var/lib/rasdaemon"
# rasd-nowait.so (guest-images/preload/rasd-nowait.c): LD_PRELOAD for the
# scenario's rasdaemon, which otherwise waits 30 s for each tracepoint the
# guest kernel lacks before it reports it unsupported.
mkdir -p "$STAGE/usr/lib/microvm-ras"
"$CROSS_CC" -shared -fPIC -O2 -Wall -Wextra -o "$STAGE/usr/lib/microvm-ras/rasd-nowait.so" \
	"$GI/preload/rasd-nowait.c"
aarch64-linux-gnu-strip --strip-unneeded "$STAGE/usr/lib/microvm-ras/rasd-nowait.so" 2>/dev/null || true

# --- perl modules ras-mc-ctl loads, from perl-modules-<ver> -------------------
run=()
[ "$(uname -m)" = aarch64 ] || run=(qemu-aarch64-static)
command -v "${run[0]:-true}" >/dev/null || die "qemu-aarch64-static is needed to resolve perl modules"
# inc.pm (outside the stage) turns each @INC entry into the stage's copy.
cat >"$X/inc.pm" <<'EOF'
package inc;
BEGIN { @INC = map { "$ENV{MVR_STAGE}$_" } grep { !/guest-rasdaemon-x/ } @INC; }
1;
EOF
# stage_perl ARGS...: the staged perl under qemu-user, -L the stage for its
# loader and libraries, @INC confined to the stage.
stage_perl() {
	MVR_STAGE=$STAGE "${run[@]}" ${run:+-L "$STAGE"} "$STAGE/usr/bin/perl" \
		-I"$X" -Minc "$@"
}
stage_perl -e 'print "PERL-OK $^V\n"' >"$X/out" 2>&1 || true
grep -q '^PERL-OK' "$X/out" || die "the staged perl does not run: $(head -n 3 "$X/out")"
# Version symlinks of perl-modules' directories (usr/share/perl/5.40 ->
# 5.40.1), which @INC names.
(cd "$X/pmod" && find . -type l -path './usr/share/perl/*') | while read -r l; do
	[ -e "$STAGE/$l" ] || { mkdir -p "$(dirname "$STAGE/$l")"; cp -a "$X/pmod/$l" "$STAGE/$l"; }
done
added=
for _ in $(seq 60); do
	rm -f "$STAGE/var/lib/rasdaemon/ras-mc_event.db"
	missing=
	for opt in --summary --errors; do
		stage_perl "$STAGE/usr/sbin/ras-mc-ctl" $opt >"$X/out" 2>&1 || true
		missing=$(sed -n "s/^Can't locate \([^ ]*\.pm\) in @INC.*/\1/p" "$X/out" | head -n1)
		[ -z "$missing" ] || break
	done
	[ -n "$missing" ] || break
	src=$(cd "$X/pmod" && find . -path "*/perl/*/$missing" | head -n1)
	[ -n "$src" ] || die "ras-mc-ctl needs $missing, which is not in $PMOD: $(head -n 3 "$X/out")"
	install -D -m 0644 "$X/pmod/$src" "$STAGE/${src#./}"
	added="$added $missing"
done
[ -z "$missing" ] || die "perl module resolution did not settle"
stage_perl -e 'use DBI; my $d = DBI->connect("dbi:SQLite:dbname=/nonexistent/x", "", "", { PrintError => 0 }); print "DBI-OK $DBI::VERSION\n"' \
	>"$X/out" 2>&1 || true
grep -q '^DBI-OK' "$X/out" || die "staged DBI does not load: $(head -n 3 "$X/out")"
rm -f "$STAGE/var/lib/rasdaemon/ras-mc_event.db"
echo "$added" | tr ' ' '\n' | sed '/^$/d' >"$OUT/guest-rasdaemon.perl-modules"
echo "$PKGS" "$PMOD" | tr ' ' '\n' | sed '/^$/d' >"$OUT/guest-rasdaemon.packages"
rm -rf "$X"

pack_cpio "$STAGE" "$IMAGE"
log "ok: $IMAGE ($(( $(stat -c %s "$IMAGE") / 1024 )) KiB; $SUITE: $(echo $PKGS | tr '\n' ' '); perl modules:${added:- none})"
