# shellcheck shell=bash
# boot.sh: the one way the project boots a kernel. Every lane of
# vm/msgslot-vm, every kit boot (cases, leak boot) and the limits mutants
# call vm_boot; nothing else starts QEMU.
#
# Accelerator: KVM when /dev/kvm opens read-write, the guest is the host's
# architecture and a first short boot under KVM gets as far as the
# kernel's banner (kvm_works); TCG (software emulation) otherwise. ACCEL=kvm or
# ACCEL=tcg forces one; ACCEL=kvm with no usable /dev/kvm is an error, not
# a silent fallback. Under KVM the guest gets the host's CPU (-cpu host);
# under TCG QEMU's "max" CPU, or VM_CPU (make bench sets its own).

# kvm_usable DEV: DEV is a character device this user can open read-write.
kvm_usable() {
	[ -c "$1" ] && { : <>"$1"; } 2>/dev/null
}

# host_arch: this machine's architecture in the lanes' words (x86_64,
# arm64); MSGSLOT_HOST_ARCH pretends another (the tests).
host_arch() {
	case ${MSGSLOT_HOST_ARCH:-$(uname -m)} in
	aarch64) echo arm64 ;;
	*) echo "${MSGSLOT_HOST_ARCH:-$(uname -m)}" ;;
	esac
}

# kvm_works [KERNEL]: KVM runs a guest here. /dev/kvm may open and still
# not run one: on these build machines (nested virtualisation) QEMU prints
# "KVM internal error. Suberror: 1" at the first instruction and stops.
# So the first call boots KERNEL (default: the first /boot/vmlinuz-*) under
# KVM with no initramfs, for at most 5 s, and KVM works if the kernel
# prints its banner; the answer ("works", or "fails: WHY") is kept in
# MSGSLOT_KVM_STATE (default $out/kvm-state, which each run removes first)
# for every later boot of the run, parallel ones included.
kvm_works() {
	local state=${MSGSLOT_KVM_STATE:-${out:-/tmp}/kvm-state} kimg=${1:-} log pid i why
	if [ ! -s "$state" ]; then
		[ -n "$kimg" ] && [ -r "$kimg" ] || kimg=$(find /boot -maxdepth 1 -name 'vmlinuz-*' -readable 2>/dev/null | sort | head -1)
		if [ -z "$kimg" ]; then
			why="fails: no readable kernel to try KVM with"
		else
			log=$(mktemp /tmp/msgslot-kvm-probe.XXXXXX)
			qemu-system-x86_64 -accel kvm -cpu host -m 256M -nodefaults -no-reboot \
				-display none -monitor none -serial stdio -kernel "$kimg" \
				-append "console=ttyS0 panic=-1" </dev/null >"$log" 2>&1 &
			pid=$!
			# A working KVM shows the banner in well under a second;
			# a failing one shows nothing, for QEMU keeps its error in
			# a buffer until it exits: SIGTERM, then read it.
			why=
			for i in $(seq $((${KVM_PROBE_SECONDS:-5} * 5))); do
				sleep 0.2
				if grep -aq 'Linux version' "$log"; then why=works; break; fi
				kill -0 "$pid" 2>/dev/null || break
			done
			kill "$pid" 2>/dev/null
			sleep 0.5
			kill -9 "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			[ -n "$why" ] || why="fails: no kernel banner within ${KVM_PROBE_SECONDS:-5} s under KVM"
			rm -f "$log"
		fi
		echo "$why" >"$state.$$" && mv "$state.$$" "$state"
	fi
	[ "$(cat "$state")" = works ]
}

# kvm_state: why kvm_works said what it said ("works" or "fails: WHY").
kvm_state() {
	cat "${MSGSLOT_KVM_STATE:-${out:-/tmp}/kvm-state}" 2>/dev/null
}

# choose_accel ARCH [KERNEL]: prints "kvm" or "tcg" for a guest of ARCH
# (x86_64 or arm64) on this host, from ACCEL, the KVM device
# (MSGSLOT_KVM_DEV, default /dev/kvm; the tests point it elsewhere) and
# kvm_works (KERNEL to try it with); fails, saying why on stderr, when
# ACCEL cannot be honoured. A guest of another architecture than the
# host's (arm64 lanes on an x86_64 host) is always emulated.
choose_accel() {
	local arch=$1 dev=${MSGSLOT_KVM_DEV:-/dev/kvm} host
	host=$(host_arch)
	case ${ACCEL:-} in
	tcg) echo tcg ;;
	kvm)
		if [ "$arch" != "$host" ]; then
			echo tcg
		elif ! kvm_usable "$dev"; then
			echo "ACCEL=kvm: $dev cannot be opened read-write (no KVM here, or this user is not in group kvm)" >&2
			return 1
		elif ! kvm_works "${2:-}"; then
			echo "ACCEL=kvm: KVM $(kvm_state)" >&2
			return 1
		else
			echo kvm
		fi ;;
	'')
		if [ "$arch" = "$host" ] && kvm_usable "$dev" && kvm_works "${2:-}"; then echo kvm; else echo tcg; fi ;;
	*)
		echo "ACCEL=${ACCEL}: kvm, tcg, or unset (KVM when /dev/kvm opens)" >&2
		return 1 ;;
	esac
}

# accel_note ARCH [KERNEL]: which accelerator a boot of ARCH uses, and
# why, for the log of every run.
accel_note() {
	local a host why
	host=$(host_arch)
	a=$(choose_accel "$1" "${2:-}" 2>&1) || { echo "$a"; return 1; }
	if [ "$a" = kvm ]; then
		echo "KVM ($([ -n "${ACCEL:-}" ] && echo ACCEL=kvm || echo "${MSGSLOT_KVM_DEV:-/dev/kvm} runs a guest"), -cpu host)"
		return
	fi
	if [ "$1" != "$host" ]; then why="a $1 guest on a $host host"
	elif [ "${ACCEL:-}" = tcg ]; then why="ACCEL=tcg"
	elif ! kvm_usable "${MSGSLOT_KVM_DEV:-/dev/kvm}"; then why="no usable ${MSGSLOT_KVM_DEV:-/dev/kvm}"
	else why="${MSGSLOT_KVM_DEV:-/dev/kvm} opens but KVM $(kvm_state)"
	fi
	echo "TCG software emulation ($why, -cpu ${VM_CPU:-max})"
}

# vm_boot ARCH KERNEL INITRD CONSOLE APPEND: boot KERNEL with INITRD on
# 2 vCPUs and VM_MEM of memory, kernel command line APPEND (after the
# console), console to the file CONSOLE. Returns QEMU's status: 99 when the
# guest's /init finished (protocol.sh: GUEST_EXIT), 124 when the boot ran
# past VM_TIMEOUT seconds, or, if VM_STALL is set, when the guest printed
# no line matching VM_STALL_MARK for VM_STALL seconds.
#
# A kernel that dies before /init starts (no GUEST_BOOT line) has nothing
# of ours loaded: under TCG with two vCPUs the kernel's boot-time code
# patching now and then trips ("Oops: int3" in sched_clock_cpu at 1.8 s on
# 6.12, seen twice in hundreds of boots). Such a boot is booted once more;
# the crashed console is kept as CONSOLE.crashed-before-init.
vm_boot() {
	local try rc
	for try in 1 2; do
		vm_boot_once "$@"
		rc=$?
		if [ "$try" = 1 ] && [ -f "$4" ] && ! grep -aq "^$GUEST_BOOT" "$4" &&
				grep -aqE 'Kernel panic|Oops' "$4"; then
			mv "$4" "$4.crashed-before-init"
			echo "vm_boot: the kernel crashed before /init ran (the emulator, not the module: $4.crashed-before-init); booting again" >&2
			continue
		fi
		return "$rc"
	done
}

vm_boot_once() {
	local arch=$1 kimg=$2 initrd=$3 log=$4 append=$5 accel cpu pid start now last lines seen=-1 rc
	local -a qemu
	accel=$(choose_accel "$arch" "$kimg") || { : >"$log"; return 1; }
	if [ "$accel" = kvm ]; then cpu=host; else cpu=${VM_CPU:-max}; fi
	case $arch in
	arm64)
		# -machine virt has no isa-debug-exit: the guest powers off,
		# and QEMU exits 0 (as it also does on a panic with -no-reboot).
		qemu=(qemu-system-aarch64 -machine virt -accel "$accel" -cpu "$cpu")
		append="console=ttyAMA0 $append" ;;
	*)
		# shellcheck disable=SC2054 # the commas are QEMU's
		qemu=(qemu-system-x86_64 -accel "$accel" -cpu "$cpu"
			-device isa-debug-exit,iobase=0xf4,iosize=0x04)
		append="console=ttyS0 $append" ;;
	esac
	# shellcheck disable=SC2086 # VM_QEMU_OPTS: words of QEMU options
	"${qemu[@]}" ${VM_QEMU_OPTS:-} -smp 2 -m "$VM_MEM" \
		-nodefaults -no-reboot -display none -monitor none -serial stdio \
		-kernel "$kimg" -initrd "$initrd" -append "$append" \
		</dev/null >"$log" 2>&1 &
	pid=$!
	start=$SECONDS
	last=$start
	while kill -0 "$pid" 2>/dev/null; do
		sleep "${VM_POLL:-1}"
		now=$SECONDS
		if [ -n "${VM_STALL:-}" ]; then
			lines=$(grep -acE "${VM_STALL_MARK:-^msgslot-}" "$log")
			if [ "$lines" != "$seen" ]; then
				seen=$lines
				last=$now
			fi
		fi
		if [ $((now - start)) -ge "$VM_TIMEOUT" ] ||
				{ [ -n "${VM_STALL:-}" ] && [ $((now - last)) -ge "$VM_STALL" ]; }; then
			kill "$pid" 2>/dev/null
			sleep 1
			kill -9 "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			return 124
		fi
	done
	wait "$pid"
	rc=$?
	# arm64 finished: a power-off after the guest's end marker, no panic.
	if [ "$arch" = arm64 ] && [ "$rc" = 0 ] && ! grep -aq 'Kernel panic' "$log" &&
			[ "$(grep -a "^$GUEST_END_PREFIX" "$log" | tail -1 | tr -d '\r')" = "$GUEST_END" ]; then
		rc=99
	fi
	return "$rc"
}
