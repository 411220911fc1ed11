#!/bin/sh
# The Raspberry Pi deployment's checks, run by `make deploy-check` (and so by
# CI) once `make deb` has built both packages:
#   1. shellcheck on every shell script of the deployment;
#   2. systemd-analyze verify on the units as packaged;
#   3. the arm64 binary under qemu-user: `thermogate version` and a
#      `thermogate simulate` of deploy/examples, against the expected output;
#   4. both packages' control fields and contents (dpkg-deb -f, -c);
#   5. deploy/pi-setup.sh on a stand-in boot partition, twice, with stand-ins
#      for systemctl, apt-get and friends: what it changes, and that a second
#      run changes nothing;
#   6. lintian, Debian's package checker, on both packages: no error and no
#      warning that deploy/debian/thermogate.lintian-overrides does not
#      override with a written reason;
#   7. with DEB_INSTALL_TEST=1 (CI sets it; it changes this machine): the
#      amd64 package installed with apt, its user, groups and state directory,
#      the installed units verified, then removed and purged with the data kept.
# make passes DEB_VERSION, VERSION and COMMIT.
set -eu
cd "$(dirname "$0")/.."

: "${DEB_VERSION:?DEB_VERSION is not set: run this through make deploy-check}"
: "${VERSION:?VERSION is not set: run this through make deploy-check}"
: "${COMMIT:?COMMIT is not set: run this through make deploy-check}"

fail() {
	echo "deploy-check: FAIL: $*" >&2
	exit 1
}
step() { echo "== deploy-check: $*"; }
passed=0
ok() {
	passed=$((passed + 1))
	echo "   ok: $*"
}

# The tools the checks use (make deploy-check installs them: DEPLOY_DEPS in
# the Makefile; qemu-user comes with the cross-build's packages). A missing
# tool is named as such, never taken for a fault of the package.
need() { # need COMMAND PACKAGE
	command -v "$1" >/dev/null 2>&1 ||
		fail "the tool $1 is missing (Debian package $2): run this through make deploy-check, which installs it"
}
need file file
need shellcheck shellcheck
need systemd-analyze systemd
need lintian lintian
need dpkg-deb dpkg
need qemu-aarch64 qemu-user
./scripts/cross-deps.sh --check >/dev/null || fail "the cross-build's packages are missing: run scripts/cross-deps.sh"

deb_arm64=dist/thermogate_${DEB_VERSION}_arm64.deb
deb_amd64=dist/thermogate_${DEB_VERSION}_amd64.deb
for f in "$deb_arm64" "$deb_amd64"; do
	[ -f "$f" ] || fail "$f is missing: run make deb"
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- 1. shellcheck ----------------------------------------------------------------------
step "shellcheck"
scripts="scripts/deps.sh scripts/cross-deps.sh scripts/deb-version.sh scripts/deb-changelog.sh scripts/check-deploy.sh
scripts/test-pi-setup.sh scripts/test-deb-install.sh scripts/fresh-check.sh deploy/pi-setup.sh deploy/libexec/xserver deploy/debian/postinst deploy/debian/prerm deploy/debian/postrm .ci/run"
# shellcheck disable=SC2086 # the list splits into file names
shellcheck $scripts || fail "shellcheck found problems (above)"
ok "$(echo "$scripts" | wc -w) scripts clean"

# --- 2. systemd units ----------------------------------------------------------------------
step "systemd-analyze verify"
# The units as packaged, in a root made of the package's files and this
# machine's own units (for multi-user.target and friends). xinit and sh are
# not in the package: stand-ins of those names let verify check the commands.
root=$tmp/root
mkdir -p "$root"
dpkg-deb -x "$deb_amd64" "$root"
cp -rn /lib/systemd/system/. "$root/usr/lib/systemd/system/"
for cmd in /usr/bin/xinit /bin/sh; do
	mkdir -p "$root$(dirname "$cmd")"
	printf '#!/bin/sh\nexit 0\n' >"$root$cmd"
	chmod +x "$root$cmd"
done
for unit in thermogate-kiosk.service thermogate-headless.service; do
	# verify only warns (exit 0) on an unknown key: any output is a failure.
	out=$(systemd-analyze verify --root="$root" "/usr/lib/systemd/system/$unit" 2>&1) || fail "$unit: $out"
	[ -z "$out" ] || fail "$unit: $out"
	ok "$unit"
done

# --- 3. the arm64 binary under qemu -------------------------------------------------------------
step "arm64 binary under qemu-aarch64"
# The arm64 libraries come from multiarch (/lib/aarch64-linux-gnu, with its
# loader /lib/ld-linux-aarch64.so.1), so qemu needs no QEMU_LD_PREFIX. (With
# QEMU_LD_PREFIX=/usr/aarch64-linux-gnu the cross toolchain's loader meets the
# multiarch libc, of another build, and a cgo binary hangs at start.)
bin=$tmp/arm64/usr/bin/thermogate
dpkg-deb -x "$deb_arm64" "$tmp/arm64"
file "$bin" | grep -q "ARM aarch64" || fail "the arm64 package's binary is not arm64: $(file "$bin")"
file "$bin" | grep -q "stripped" || fail "the arm64 binary is not stripped"
# Whatever the locale here (none, C.UTF-8 in CI): thermogate prints only its own words.
out=$(qemu-aarch64 "$bin" version 2>&1) || fail "thermogate version failed under qemu: $out"
case "$(echo "$out" | head -n 1)" in
"thermogate $VERSION (commit $COMMIT, built "*"linux/arm64)") ok "$(echo "$out" | head -n 1)" ;;
*) fail "thermogate version under qemu printed '$out', want version $VERSION, commit $COMMIT, linux/arm64" ;;
esac
[ "$(echo "$out" | sed -n 2p | cut -d: -f1)" = "clock check on" ] || fail "the arm64 binary's clock check is off: $out"
[ "$(echo "$out" | wc -l)" -eq 2 ] || fail "thermogate version printed more than its two lines: $out"
qemu-aarch64 "$bin" simulate --bookings deploy/examples/bookings.csv --visitors deploy/examples/visitors.csv \
	>"$tmp/simulate.out" 2>"$tmp/simulate.err" || fail "thermogate simulate failed under qemu: $(cat "$tmp/simulate.err")"
if ! diff -u deploy/examples/simulate-expected.jsonl "$tmp/simulate.out"; then
	fail "thermogate simulate under qemu differs from deploy/examples/simulate-expected.jsonl (above)"
fi
ok "simulate: $(tail -n 1 "$tmp/simulate.err")"

# --- 4. the packages --------------------------------------------------------------------------------
step "package control fields and contents"
for arch in arm64 amd64; do
	deb=dist/thermogate_${DEB_VERSION}_$arch.deb
	field() { dpkg-deb -f "$deb" "$1"; }
	[ "$(field Package)" = thermogate ] || fail "$deb: Package is '$(field Package)'"
	[ "$(field Version)" = "$DEB_VERSION" ] || fail "$deb: Version is '$(field Version)', want $DEB_VERSION"
	[ "$(field Architecture)" = "$arch" ] || fail "$deb: Architecture is '$(field Architecture)', want $arch"
	depends=$(field Depends)
	for p in libgl1 libx11-6 libxcursor1 libxrandr2 libxi6 libxinerama1 libxxf86vm1 \
		xserver-xorg-core xserver-xorg-input-libinput xinit adduser procps; do
		echo "$depends" | tr ',' '\n' | sed 's/^ *//; s/ .*//' | grep -qx "$p" || fail "$deb: Depends lacks $p: $depends"
	done
	dpkg-deb -I "$deb" conffiles >"$tmp/conffiles"
	for f in /etc/thermogate/config.toml /etc/default/thermogate; do
		grep -qx "$f" "$tmp/conffiles" || fail "$deb: $f is not a conffile"
	done
	dpkg-deb -c "$deb" >"$tmp/contents"
	# want MODE PATH: the package holds PATH with MODE, owned by root.
	want() {
		grep -Eq "^$1 root/root +[0-9]+ [0-9-]+ [0-9:]+ \./${2#/}\$" "$tmp/contents" ||
			fail "$deb: no $2 with mode $1 owned by root: $(grep -F "${2#/}" "$tmp/contents" || echo missing)"
	}
	want -rwxr-xr-x /usr/bin/thermogate
	want -rwxr-xr-x /usr/libexec/thermogate/xserver
	want -rw-r--r-- /usr/lib/systemd/system/thermogate-kiosk.service
	want -rw-r--r-- /usr/lib/systemd/system/thermogate-headless.service
	want -rw-r--r-- /usr/lib/udev/rules.d/60-thermogate-i2c.rules
	want -rw-r--r-- /usr/lib/modules-load.d/thermogate.conf
	want -rw-r--r-- /etc/thermogate/config.toml
	want -rw-r--r-- /etc/default/thermogate
	want -rw-r--r-- /usr/share/doc/thermogate/README.md
	want -rw-r--r-- /usr/share/doc/thermogate/wiring.svg
	if grep -q "var/lib/thermogate" "$tmp/contents"; then
		fail "$deb ships /var/lib/thermogate: dpkg would own the kiosk's data"
	fi
	dpkg-deb -x "$deb" "$tmp/x-$arch"
	cmp -s "$tmp/x-$arch/etc/thermogate/config.toml" deploy/config.example.toml ||
		fail "$deb: /etc/thermogate/config.toml is not deploy/config.example.toml"
	for s in postinst prerm postrm; do
		dpkg-deb -I "$deb" "$s" | cmp -s - "deploy/debian/$s" || fail "$deb: its $s is not deploy/debian/$s"
	done
	ok "$deb: $(du -k "$deb" | cut -f1) KiB, $(grep -c . "$tmp/contents") entries"
done
# The copyright file names every Go module linked into the binary.
for m in $(go version -m "$tmp/x-amd64/usr/bin/thermogate" | awk '$1 == "dep" { print $2 }'); do
	grep -q "^  $m " deploy/debian/copyright || fail "deploy/debian/copyright does not name the module $m, which the binary links"
done
ok "deploy/debian/copyright names every Go module in the binary"

# --- 5. pi-setup.sh --------------------------------------------------------------------------------
step "deploy/pi-setup.sh on a stand-in Pi"
./scripts/test-pi-setup.sh "$deb_arm64" "$tmp/pi"
ok "pi-setup.sh: edits, dry run and a second run that changes nothing"

# --- 6. lintian ------------------------------------------------------------------------------------
step "lintian"
for arch in arm64 amd64; do
	deb=dist/thermogate_${DEB_VERSION}_$arch.deb
	# Errors and warnings fail (overridden tags are not shown); info lines are shown.
	lintian --fail-on error,warning --display-info "$deb" >"$tmp/lintian" 2>&1 ||
		fail "lintian on $deb (override a tag only with a reason, in deploy/debian/thermogate.lintian-overrides):
$(cat "$tmp/lintian")"
	if grep -q . "$tmp/lintian"; then sed 's/^/   /' "$tmp/lintian"; fi
	ok "lintian: $deb has no error and no warning"
done

# --- 7. install, remove, purge (CI) ----------------------------------------------------------------
if [ "${DEB_INSTALL_TEST:-0}" = 1 ]; then
	step "install the amd64 package on this machine"
	./scripts/test-deb-install.sh "$deb_amd64"
	ok "installed, verified, removed and purged; the data stayed"
else
	echo "   (skipped installing the package: set DEB_INSTALL_TEST=1 on a machine you may change; CI does)"
fi

echo "deploy-check: $passed passed, 0 failed"
