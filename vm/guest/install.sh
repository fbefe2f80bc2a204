#!/bin/sh
# Install checks, run inside the VM as root (slotmode=install). The
# initramfs holds the tree that `make install DESTDIR=...` produced
# (/lib/modules/$(uname -r)/updates/message_slot.ko*, modules.dep,
# modules.alias) and the module that DKMS built, in /dkms. Each check prints
# one "msgslot-result: NAME ok|fail REASON" line.

result() { echo "msgslot-result: $*"; }
loaded() { grep -q '^message_slot ' /proc/modules; }
registered() { grep -qx '235 message_slot' /proc/devices; }

# check NAME COMMAND...: COMMAND (a function) prints the reason of a failure.
check() {
	name=$1
	shift
	if why=$("$@" 2>&1); then
		result "$name ok"
	else
		result "$name fail $(echo "$why" | tr '\n' ' ')"
	fi
	loaded && rmmod message_slot
}

modprobe_loads() {
	modprobe message_slot || { echo "modprobe exited $?"; return 1; }
	registered || { echo "major 235 not in /proc/devices"; return 1; }
}

# Opening a node of major 235 makes the kernel ask modprobe for
# char-major-235-0, which the module's alias answers.
autoload_on_open() {
	echo /bin/modprobe >/proc/sys/kernel/modprobe
	mknod /tmp/auto0 c 235 0
	loaded && { echo "module already loaded before the open"; return 1; }
	out=$(message_reader /tmp/auto0 1 2>&1)
	loaded || { echo "not loaded after open; reader said: $out"; return 1; }
	case $out in
	*"Resource temporarily unavailable"*) ;;
	*) echo "reader said: $out"; return 1 ;;
	esac
}

nodes_param_creates_nodes() {
	modprobe message_slot nodes=3 node_mode=0640 || { echo "modprobe exited $?"; return 1; }
	for n in 0 1 2; do
		got=$(stat -c '%F %a %t:%T' /dev/slot$n 2>&1)
		[ "$got" = "character special file 640 eb:$n" ] ||
			{ echo "/dev/slot$n: $got"; return 1; }
	done
	[ ! -e /dev/slot3 ] || { echo "/dev/slot3 exists"; return 1; }
	message_sender /dev/slot2 5 "via devtmpfs" || return 1
	got=$(message_reader /dev/slot2 5) || return 1
	[ "$got" = "via devtmpfs" ] || { echo "read back: $got"; return 1; }
	rmmod message_slot || return 1
	[ ! -e /dev/slot0 ] || { echo "/dev/slot0 still there after rmmod"; return 1; }
}

nodes_default_creates_none() {
	modprobe message_slot || { echo "modprobe exited $?"; return 1; }
	[ ! -e /dev/slot0 ] || { echo "/dev/slot0 exists"; return 1; }
	[ ! -d /sys/class/message_slot ] || { echo "class registered"; return 1; }
}

nodes_param_out_of_range_refused() {
	modprobe message_slot nodes=257 2>/dev/null && { echo "nodes=257 loaded"; return 1; }
	registered && { echo "major 235 registered after a failed load"; return 1; }
	modprobe message_slot node_mode=01777 2>/dev/null && { echo "node_mode=01777 loaded"; return 1; }
	! loaded || { echo "module loaded"; return 1; }
}

dkms_module_works() {
	ko=$(ls /dkms/message_slot.ko* 2>/dev/null | head -1)
	[ -n "$ko" ] || { echo "no module from DKMS in the image"; return 1; }
	insmod "$ko" || { echo "insmod $ko exited $?"; return 1; }
	mknod /tmp/dkms0 c 235 0
	message_sender /tmp/dkms0 9 "built by dkms" || return 1
	got=$(message_reader /tmp/dkms0 9) || return 1
	[ "$got" = "built by dkms" ] || { echo "read back: $got"; return 1; }
}

check modprobe_loads modprobe_loads
check autoload_on_open autoload_on_open
check nodes_param_creates_nodes nodes_param_creates_nodes
check nodes_default_creates_none nodes_default_creates_none
check nodes_param_out_of_range_refused nodes_param_out_of_range_refused
check dkms_module_works dkms_module_works
