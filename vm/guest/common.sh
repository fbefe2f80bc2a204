# shellcheck shell=dash
# common.sh: the part every guest /init shares (vm/guest/init, kit-init,
# kit-leak-init): the mounts, the console, the boot line, the ticker the
# kit's watchdog reads, and the way out of QEMU. Sourced as /common.sh,
# after /protocol.sh (the markers).

/bin/busybox mkdir -p /proc /sys /dev /tmp
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
/bin/busybox mount -t tmpfs tmpfs /tmp
# The initramfs has no /dev/console node: attach to the serial console now.
exec 0<>/dev/console 1>&0 2>&0
/bin/busybox --install -s /bin
export PATH=/bin
echo "$GUEST_BOOT $(uname -r)"

# char_majors: the character majors in /proc/devices, "MAJOR NAME" a line.
char_majors() {
	sed -n '/^Character devices:/,/^$/p' /proc/devices | sed '1d;/^$/d'
}

# guest_ticker: a line every 20 s until guest_exit, for a host watchdog
# that takes a silent guest for a hung one (the kit's VM_STALL).
guest_ticker() {
	( while sleep 20; do echo "$GUEST_ALIVE"; done ) &
	guest_ticker_pid=$!
}

# guest_exit: leave QEMU with GUEST_EXIT_STATUS (see protocol.sh); the
# caller has printed its last line.
guest_exit() {
	[ -z "${guest_ticker_pid:-}" ] || kill "$guest_ticker_pid" 2>/dev/null
	# A console write returns once it is buffered: let the serial port
	# drain before QEMU exits.
	sleep 2
	if [ "$(uname -m)" = x86_64 ]; then
		printf '\061' | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
		sleep 5
	fi
	poweroff -f
}
