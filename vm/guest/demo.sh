#!/bin/sh
# The README's example session, run inside the demo VM as root. Each command
# is echoed after "$ "; a failing command shows its exit status. The reader
# prints no newline of its own, so one is added after its output here.

run() {
	line='$'
	for a in "$@"; do
		case $a in
		"" | *[!A-Za-z0-9_./=-]*) line="$line '$a'" ;;
		*) line="$line $a" ;;
		esac
	done
	echo "$line"
	"$@"
	rc=$?
	case "$1" in message_reader) [ $rc -eq 0 ] && echo ;; esac
	[ $rc -eq 0 ] || echo "[exit status $rc]"
}

cd /
run insmod message_slot.ko
run grep message_slot /proc/devices
run mknod /dev/slot0 c 235 0
run mknod /dev/slot1 c 235 1
run chmod 0666 /dev/slot0 /dev/slot1
echo "# one slot, two channels"
run message_sender /dev/slot0 1 "Hello, Slot 1"
run message_sender /dev/slot0 2 "a message on channel 2"
run message_reader /dev/slot0 1
run message_reader /dev/slot0 2
echo "# a message stays until it is overwritten; reading does not consume it"
run message_reader /dev/slot0 1
run message_sender /dev/slot0 1 "overwritten"
run message_reader /dev/slot0 1
echo "# slot 1 is independent: its channel 1 has its own message"
run message_sender /dev/slot1 1 "slot 1, channel 1"
run message_reader /dev/slot1 1
run message_reader /dev/slot0 1
echo "# any 32-bit channel id"
run message_sender /dev/slot1 4294967295 "the largest id"
run message_reader /dev/slot1 4294967295
echo "# errors: the kernel's errno, on stderr, and exit status 1"
run message_reader /dev/slot0 3
run message_sender /dev/slot0 0 "channel 0 is invalid"
run message_sender /dev/slot0 1 ""
run message_sender /dev/slot0 1 "$(printf '%0129d' 0)"
run message_sender /dev/slot0 -1 "not a channel"
echo "# the module cannot be removed while a slot is open"
exec 3</dev/slot0
run rmmod message_slot
exec 3<&-
run rmmod message_slot
run message_reader /dev/slot0 1
