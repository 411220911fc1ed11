#!/bin/sh
# The guest image's own settings, run by scripts/vm-image.sh as mmdebstrap's
# last customize hook on the host, with the guest's root directory as $1.
#   - root on /dev/vda; /dev/vdb, a small disk of its own, on
#     /var/lib/thermogate: the kiosk's data partition, which the check fills
#   - DHCP on the virtual network (systemd-networkd)
#   - no login prompt on the serial console: it carries the check's markers
#   - vmcheck.service: at every boot, fetches the guest-side test script
#     from the URL on the kernel command line (vmcheck.url=) and runs it,
#     its output on the serial console. Without vmcheck.url it does nothing.
#   - no apt sources: everything the package needs is in the image, so the
#     installer's `apt-get update` and `apt-get install ./x.deb` stay offline
set -eu
r=$1

echo thermogate-vm >"$r/etc/hostname"
printf '127.0.1.1\tthermogate-vm\n' >>"$r/etc/hosts"
cat >"$r/etc/fstab" <<'FSTAB'
/dev/vda  /                    ext4  rw,errors=remount-ro  0 1
/dev/vdb  /var/lib/thermogate  ext4  rw,nofail,x-systemd.device-timeout=20s  0 2
FSTAB

mkdir -p "$r/etc/systemd/network"
cat >"$r/etc/systemd/network/20-wired.network" <<'NET'
[Match]
Name=en* eth*

[Network]
DHCP=ipv4
NET
chroot "$r" systemctl enable systemd-networkd.service
chroot "$r" systemctl mask serial-getty@ttyAMA0.service
chroot "$r" passwd -d root >/dev/null

cat >"$r/usr/local/sbin/vmcheck-run" <<'RUN'
#!/bin/sh
# Runs the check's guest-side script from the host (see vmcheck.service).
url=$(sed -n 's/.*vmcheck\.url=\([^ ]*\).*/\1/p' /proc/cmdline)
[ -n "$url" ] || exit 0
i=0
until curl -fsS -o /run/vmcheck.sh "$url/vm-guest.sh"; do
	i=$((i + 1))
	[ $i -lt 60 ] || { echo "VMCHECK fail fetch cannot fetch $url/vm-guest.sh"; exit 1; }
	sleep 1
done
exec sh /run/vmcheck.sh "$url"
RUN
chmod 0755 "$r/usr/local/sbin/vmcheck-run"
cat >"$r/etc/systemd/system/vmcheck.service" <<'UNIT'
[Unit]
Description=thermogate vm-check: the guest side of the check
ConditionKernelCommandLine=vmcheck.url
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
ExecStart=/usr/local/sbin/vmcheck-run
StandardInput=null
StandardOutput=tty
StandardError=inherit
TTYPath=/dev/ttyAMA0
TTYReset=no
TTYVHangup=no

[Install]
WantedBy=multi-user.target
UNIT
chroot "$r" systemctl enable vmcheck.service

: >"$r/etc/apt/sources.list"
rm -f "$r/etc/apt/sources.list.d/"*
rm -rf "$r/var/lib/apt/lists/"*
mkdir -p "$r/var/lib/apt/lists/partial"
rm -f "$r/etc/dpkg/dpkg.cfg.d/99mmdebstrap"
