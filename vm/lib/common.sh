# shellcheck shell=bash
# common.sh: what every host script shares: the build and cache folders,
# the boot settings, the verdict lines (pass, fail, skip, summary) and the
# Debian packages a machine needs (deps). Sourced first, after $top is set.

out=${MSGSLOT_OUT:-$top/build}
cache=${MSGSLOT_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/message-slot}
SEED=${SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
N=${N:-1000000}
VM_TIMEOUT=${VM_TIMEOUT:-600}
VM_MEM=${VM_MEM:-512M}

# Debian package names (bookworm), besides the kernels of vm/kernels.tsv
# (lane_packages); linux-source-6.12 carries checkpatch.pl.
PACKAGES="qemu-system-x86 busybox-static cpio gzip xz-utils perl gcc gcc-multilib make libc6-dev
	kmod dkms sparse cppcheck groff-base shellcheck linux-source-6.12"
# And for check-all: the chroots of other suites (debootstrap), arm64
# (QEMU, cross compiler and C library) and the debug kernel's build (flex
# bison bc libelf-dev libssl-dev).
# The arm64 cross compiler goes in a chroot (see arm_kernel), not here.
PACKAGES_ALL="debootstrap debian-archive-keyring qemu-system-arm
	flex bison bc libelf-dev libssl-dev"


passed=0
failed=0
skipped=0
pass() { passed=$((passed + 1)); echo "PASS $*"; }
# A skip (with its reason) counts apart: "N passed, N failed, N skipped".
skip() { skipped=$((skipped + 1)); echo "SKIP $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
die() { echo "${0##*/}: $*" >&2; exit 1; }

# count_verdicts: counts the PASS/FAIL/SKIP lines a judge prints on its
# stdin, and prints the others (their detail lines).
count_verdicts() {
	local line
	while IFS= read -r line; do
		case $line in
		"PASS "*) pass "${line#PASS }" ;;
		"FAIL "*) fail "${line#FAIL }" ;;
		"SKIP "*) skip "${line#SKIP }" ;;
		*) printf '%s\n' "$line" ;;
		esac
	done
}

summary() {
	local extra=
	[ "$skipped" -eq 0 ] || extra=", $skipped skipped"
	echo "$passed passed, $failed failed$extra"
	[ "$failed" -eq 0 ]
}

# ---------------------------------------------------------------- packages

missing_packages() {
	local p
	for p in $PACKAGES $(lane_packages check) ${ALL:+$PACKAGES_ALL $(lane_packages all)}; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || echo "$p"
	done
}

deps() {
	local missing
	command -v dpkg-query >/dev/null ||
		die "not a Debian or Ubuntu system: install QEMU, busybox (static), cpio, sparse, and kernels 6.1 and 6.12 with their headers by hand"
	missing=$(missing_packages | tr '\n' ' ')
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "msgslot-vm: missing packages; as root run:" >&2
		echo "  apt-get update && INITRD=No apt-get install -y --no-install-recommends $missing" >&2
		exit 1
	fi
	echo "msgslot-vm: installing $missing"
	# INITRD=No: the VMs boot our own initramfs, so skip update-initramfs
	# (about 60 s per kernel).
	apt-get update -q >/dev/null &&
		DEBIAN_FRONTEND=noninteractive INITRD=No apt-get install -y -q \
			--no-install-recommends $missing >"$out/apt.log" 2>&1 ||
		{ tail -20 "$out/apt.log" >&2; die "apt-get install failed (log: $out/apt.log)"; }
}

