# shellcheck shell=bash
# vm/kit/build.sh: a submission built as a grader would: its header read for the
# ioctl commands, its module and programs made in the sandbox (vm/kit/sandbox).
# Sourced by vm/msgslot-kit.

# ioctl_of SRC WORK: the command numbers SRC's header defines, as a user
# program that includes it sees them, in WORK/ioctl-candidates: a line
# "KIND<TAB>NAME<TAB>NUMBER<TAB>HOW", KIND channel (an _IOC command with
# sequence number 0, or named MSG_SLOT_CHANNEL) or cen (1, or named
# MSG_SLOT_SET_CEN), whatever the macro's name, in the order
# the VM tries them: the usual name first (MSG_SLOT_CHANNEL,
# MSG_SLOT_SET_CEN), then names that say CHANNEL or CEN, then the others.
# HOW says whether the header needed <linux/ioctl.h> (and <sys/ioctl.h>)
# before it: a major-240 submission used _IOW without including it.
# Everything is compiled in the sandbox, each macro alone (one that is not
# a number fails alone), and the values read from the assembly: nothing of
# the submission runs on the host.
ioctl_of() {
	local w=$2/ioctl-probe
	rm -rf "$w"
	mkdir -p "$w"
	: >"$2/ioctl-candidates"
	[ -f "$1/message_slot.h" ] || return 0
	cp "$1/message_slot.h" "$w/"
	cat >"$w/list.sh" <<'SH'
pre='#include <sys/ioctl.h>
#include <linux/ioctl.h>
#include <stdint.h>
#include <stddef.h>'
printf '%s\n' "$pre" >pre.c
printf '%s\n#include "message_slot.h"\n' "$pre" >with.c
gcc -E -dM pre.c | sort >pre.macros
gcc -E -dM -I. with.c | sort >with.macros || exit 0
# The macros the header adds (object-like: NAME then a space).
comm -13 pre.macros with.macros | sed -n 's/^#define \([A-Za-z_][A-Za-z0-9_]*\) \(.*\)$/\1 \2/p' >header.macros
while read -r name body; do
	printf '#include "message_slot.h"\nconst unsigned long kit_v = %s;\n' "$name" >v.c
	if gcc -S -O0 -I. -o v.s v.c 2>/dev/null; then
		how=alone
	else
		printf '%s\n#include "message_slot.h"\nconst unsigned long kit_v = %s;\n' "$pre" "$name" >v.c
		if gcc -S -O0 -I. -o v.s v.c 2>/dev/null; then
			how=prelude
		else
			# A header that is no valid C (a typo in a struct the
			# programs never use) still defines its macros: the
			# macro's expansion, evaluated after the prelude alone.
			printf '%s\n#include "message_slot.h"\nkit_expansion %s\n' "$pre" "$name" >e.c
			x=$(gcc -E -P -I. e.c 2>/dev/null | sed -n 's/^kit_expansion //p' | tail -1)
			[ -n "$x" ] || continue
			printf '%s\nconst unsigned long kit_v = %s;\n' "$pre" "$x" >v.c
			gcc -S -O0 -o v.s v.c 2>/dev/null || continue
			how=expanded
		fi
	fi
	v=$(sed -n 's/^[[:space:]]*\.quad[[:space:]]*\([0-9]*\)$/\1/p' v.s | head -1)
	[ -z "$v" ] || printf '%s\t%s\t%s\t%s\n' "$name" "$v" "$how" "$body"
done <header.macros
SH
	# Whatever its status, every value it printed counts.
	"$kit_dir/sandbox" "$w" sh list.sh >"$w/values" 2>"$w/log"
	# An _IOC command: type (the "major") not 0, sequence 0 or 1, below
	# 2^32, with a direction or size or written with an _IO macro (a bare
	# 256 is no command).
	awk -F'\t' '
	{
		v = $2 + 0; nr = v % 256; type = int(v / 256) % 256
		size = int(v / 65536) % 16384; dir = int(v / 1073741824)
		if (v >= 4294967296 || type == 0) next
		if (dir == 0 && size == 0 && $4 !~ /_IO/) next
		# The names the assignment texts use count whatever their sequence
		# number (seen: _IOW of type M, numbers 1 and 2).
		if ($1 == "MSG_SLOT_CHANNEL") kind = "channel"
		else if ($1 == "MSG_SLOT_SET_CEN") kind = "cen"
		else if (nr <= 1) kind = nr == 0 ? "channel" : "cen"
		else next
		pref = kind == "channel" ? ($1 == "MSG_SLOT_CHANNEL" ? 0 : $1 ~ /CHAN/ ? 1 : 2) \
					 : ($1 == "MSG_SLOT_SET_CEN" ? 0 : $1 ~ /CEN/ ? 1 : 2)
		how = $3 == "alone" ? "from its message_slot.h" \
			: $3 == "prelude" ? "from its message_slot.h, with <linux/ioctl.h> included first (the header uses _IO* without including it)" \
			: "from its message_slot.h, the macro alone (the header is no valid C in user space)"
		print kind "\t" pref "\t" $1 "\t" $2 "\t" how
	}' "$w/values" | sort -t$'\t' -k1,1 -k2,2n -k3,3 |
		awk -F'\t' '!seen[$1 " " $4]++ { print $1 "\t" $3 "\t" $4 "\t" $5 }' >"$2/ioctl-candidates"
	return 0
}

# fresh_copy SRC DIR: DIR becomes a copy of SRC without build outputs (nor
# a build/ folder or .git, when SRC is a whole repository such as ours).
fresh_copy() {
	rm -rf "$2"
	mkdir -p "$2"
	tar -C "$1" --exclude=./build --exclude=./.git -cf - . | tar -C "$2" -xf - &&
	find "$2" \( -name '*.ko' -o -name '*.o' -o -name '*.mod*' -o -name '.*.cmd' \
		-o -name Module.symvers -o -name modules.order \) -delete 2>/dev/null
	return 0
}

# build_impl_module SRC WORK VERSION [KDIR]: the module from SRC for a
# kernel (its build tree KDIR, default /lib/modules/VERSION/build), in
# the sandbox: SRC's own Makefile with KDIR, then kbuild on SRC's folder
# (M=), then a one-line Kbuild of ours. Leaves the .ko path in
# WORK/VERSION/ko and the way that worked in WORK/VERSION/method.
build_impl_module() {
	local src=$1 d=$2/$3 kdir=${4:-/lib/modules/$3/build} b ko how
	mkdir -p "$d"
	rm -f "$d/ko" "$d/method"
	: >"$d/build.log"
	for how in makefile kbuild kit-kbuild; do
		b=$d/src-$how
		fresh_copy "$src" "$b"
		case $how in
		makefile)
			[ -f "$b/Makefile" ] || [ -f "$b/makefile" ] || continue
			set -- make KDIR="$kdir" ;;
		kbuild)
			[ -f "$b/Makefile" ] || [ -f "$b/Kbuild" ] || continue
			set -- make -C "$kdir" M="$b" modules ;;
		kit-kbuild)
			rm -f "$b/Makefile" "$b/makefile" "$b/Kbuild"
			echo 'obj-m := message_slot.o' >"$b/Kbuild"
			set -- make -C "$kdir" M="$b" modules ;;
		esac
		# The censorship terms: our own Makefile and Kbuild read it
		# (the module's default period); a student's ignore it.
		[ "$(profile_censor)" = 0 ] || set -- "$@" CENSOR="$(profile_censor)"
		echo "== $how: $*" >>"$d/build.log"
		"$kit_dir/sandbox" "$b" "$@" </dev/null >>"$d/build.log" 2>&1
		echo "== exit status $?" >>"$d/build.log"
		# A module is what counts: a Makefile whose program part fails
		# still gave us the module.
		ko=$(find "$b" -name message_slot.ko | head -1)
		[ -n "$ko" ] || ko=$(find "$b" -name '*.ko' | sort | head -1)
		if [ -n "$ko" ]; then
			echo "$ko" >"$d/ko"
			echo "$how" >"$d/method"
			return 0
		fi
	done
	return 1
}

# The censorship period of the profile being run: 3, 4, or 0 (none).
profile_censor() {
	case $KIT_PROFILE in
	censor-3) echo 3 ;;
	censor-4) echo 4 ;;
	*) echo 0 ;;
	esac
}

# build_impl_programs SRC WORK: message_sender and message_reader from SRC,
# statically linked for the VM (64-bit in WORK/bin64, 32-bit in
# WORK/bin32), in the sandbox, with -DMSG_SLOT_CENSOR=N (0 unless a
# censor-N profile: our sender's four-argument form). A program that does not build is simply
# missing: its cases fail in the VM.
build_impl_programs() {
	local b=$2/progs bits p
	fresh_copy "$1" "$b"
	for bits in 64 32; do
		mkdir -p "$b/bin$bits"
		for p in message_sender message_reader; do
			"$kit_dir/sandbox" "$b" gcc -m$bits -O2 -std=gnu11 -static -I. \
				-DMSG_SLOT_CENSOR="$(profile_censor)" \
				-o "bin$bits/$p" "$p.c" </dev/null >>"$2/programs.log" 2>&1 ||
				echo "$p ($bits-bit) did not build" >>"$2/programs.log"
		done
	done
}
