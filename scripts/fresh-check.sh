#!/usr/bin/env bash
# make fresh-check: what a newcomer on a bare Debian 12 (or Raspberry Pi OS
# Lite) meets. In a bare Debian bookworm chroot (debootstrap minbase with git,
# make, sudo, ca-certificates and this machine's Go), it clones the commit
# being tested (HEAD) and runs exactly the README's two Quick-start commands,
# `make demo` (no display there: the simulation path) and `make test`, then
# `make deploy-check` as .ci/run does. It fails if any of them fails and
# prints each one's wall time.
#
# Every run starts from a bare system, so it proves that the project's own
# files install everything: the chroot made by fresh-debian.sh is kept as a
# pristine base (FRESH_DIR/base, rebuilt when older than a week, when this
# machine's Go changed or when the tool changed), and each run works in a
# fresh copy of it (FRESH_DIR/run), with no Debian packages, Go modules or
# Go build cache from earlier runs. That is the slow, honest choice: a warm
# cache would hide a missing dependency and the cold-build times a newcomer
# waits through. The copy stays after a failure, for a look inside; the next
# run replaces it.
#
#   FRESH_TOOLS  folder with fresh-debian.sh and in-fresh.sh (default ../shared/tools)
#   FRESH_DIR    where the chroots live (default /var/tmp/thermogate-fresh)
#
# Needs root (debootstrap, chroot, mount). Everything mounted is unmounted
# on exit, also on failure or interrupt.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

tools=${FRESH_TOOLS:-../shared/tools}
dir=${FRESH_DIR:-/var/tmp/thermogate-fresh}
base=$dir/base
run=$dir/run

fail() {
	echo "fresh-check: FAIL: $*" >&2
	exit 1
}
for t in fresh-debian.sh in-fresh.sh; do
	[ -f "$tools/$t" ] || fail "no $tools/$t: set FRESH_TOOLS to the folder with the chroot tools"
done
[ "$(id -u)" -eq 0 ] || fail "needs root (debootstrap, chroot, mount): run it as root"
case "$dir" in
"$repo" | "$repo"/*) fail "FRESH_DIR=$dir is inside the repository; put it outside (default /var/tmp/thermogate-fresh)" ;;
esac
commit=$(git rev-parse HEAD)
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
	echo "fresh-check: note: uncommitted changes are not checked; it checks the commit $commit"
fi

# unmount_all DIR: everything mounted under DIR, deepest first; processes
# left running inside it (an Xvfb, say) are stopped first, or /dev would stay busy.
unmount_all() {
	local d=$1 p m
	[ -d "$d" ] || return 0
	d=$(realpath "$d")
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" = "$d" ] && kill -KILL "${p#/proc/}" 2>/dev/null
	done
	while read -r m; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || echo "fresh-check: could not unmount $m" >&2
	done < <(awk -v d="$d" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/self/mounts | sort -r)
}
trap 'unmount_all "$run"; unmount_all "$base"' EXIT
trap 'exit 130' INT TERM

# --- the bare base, made once and reused while it is current -------------------------------
stamp="go: $(go version) | tools: $(sha256sum <"$tools/fresh-debian.sh" | cut -c1-16)"
if [ -d "$base" ] && { [ "$(cat "$base/.thermogate-fresh" 2>/dev/null)" != "$stamp" ] ||
	[ -n "$(find "$base/.thermogate-fresh" -mtime +7)" ]; }; then
	echo "fresh-check: the base chroot is out of date (Go, the tool, or older than a week): making it anew"
	unmount_all "$base"
	rm -rf --one-file-system "$base"
fi
if [ ! -f "$base/.thermogate-fresh" ]; then
	rm -rf --one-file-system "$base"
	mkdir -p "$dir"
	echo "fresh-check: making a bare Debian bookworm chroot in $base (debootstrap, a few minutes)"
	t0=$(date +%s)
	bash "$tools/fresh-debian.sh" "$base" >/dev/null || fail "fresh-debian.sh $base failed"
	echo "$stamp" >"$base/.thermogate-fresh"
	echo "fresh-check: base chroot made in $(($(date +%s) - t0)) s"
fi

# --- a fresh copy of it, with the commit cloned in -----------------------------------------------
unmount_all "$run"
rm -rf --one-file-system "$run"
cp -a "$base" "$run"
bash "$tools/fresh-debian.sh" "$run" >/dev/null || fail "fresh-debian.sh $run failed" # this machine's apt/proxy settings as of now
git clone --quiet --no-checkout "$repo" "$run/root/thermogate"
git -C "$run/root/thermogate" checkout --quiet "$commit"
echo "fresh-check: commit $(git log -1 --format='%h %s' "$commit") in a bare Debian bookworm chroot ($run)"

# step NAME COMMANDS: run in the chroot as a new login shell of root with a
# clean environment (no LANG, no DISPLAY: a bare server's), timed.
step() {
	local name=$1 t0 t rc=0
	shift
	t0=$(date +%s)
	env -i HOME=/root TERM=dumb PATH=/usr/sbin:/usr/bin:/sbin:/bin CI="${CI:-}" \
		bash "$tools/in-fresh.sh" "$run" "cd /root/thermogate && $*" || rc=$?
	t=$(($(date +%s) - t0))
	if [ $rc -ne 0 ]; then
		echo "fresh-check: FAIL: $name failed (exit $rc) after $((t / 60)) min $((t % 60)) s; the chroot stays in $run" >&2
		exit 1
	fi
	echo "fresh-check: $name: ok, wall time $((t / 60)) min $((t % 60)) s"
	times="$times${times:+, }$name $((t / 60)) min $((t % 60)) s"
}
times=""
step "make demo" make demo
step "make test" make test
# With DEB_INSTALL_TEST=1: the chroot is thrown away, so the package is installed, removed and purged for real.
step "make deploy-check" DEB_INSTALL_TEST=1 make deploy-check
echo "fresh-check: passed: $times"
unmount_all "$run"
rm -rf --one-file-system "$run"
