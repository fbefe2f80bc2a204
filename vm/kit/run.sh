# shellcheck shell=bash
# vm/kit/run.sh: a submission's cases on one kernel: the initramfs, the boots (a
# crash or hang costs one boot, the kit goes on with the cases after it), the
# console judged (vm/judge/), and the kernels of other suites.
# Sourced by vm/msgslot-kit.

# kit_qemu VERSION INITRAMFS LOG: boot (the image is KIT_KIMG, by default
# /boot/vmlinuz-VERSION); returns QEMU's status, 124 when the
# guest printed no line of its own for KIT_STALL seconds (it prints one
# every 20 s while it runs; the kernel's soft-lockup reports, which go on
# when every CPU is stuck, do not count) or the boot took longer than
# VM_TIMEOUT.
# slab_nomerge: a leaked object must keep its own cache, which then
# complains when destroyed. oops=panic: an oops ends the boot at once.
kit_qemu() {
	VM_STALL=$KIT_STALL VM_STALL_MARK=$KIT_MARK \
		vm_boot x86_64 "${KIT_KIMG:-/boot/vmlinuz-$1}" "$2" "$3" \
		"loglevel=4 panic=-1 oops=panic slab_nomerge"
}

# kit_conf WORK KO: vm/guest/kit-init's settings. The candidates are
# "NAME=NUMBER" words (names are C identifiers, numbers decimal); the
# censorship options only under a censor-N profile (--censor 0 under the
# others, when the suite has the option).
kit_conf() {
	local censor
	censor=$(profile_censor)
	[ "$censor" != 0 ] || [ "$(cat "$kit/suite/has-censor")" = 1 ] || censor=
	printf "KIT_MODULE='/impl/%s'\nKIT_REPORTS='%s'\n" "$2" "$REPORTS"
	printf "KIT_CHANNEL_CANDIDATES='%s'\n" "$(awk -F'\t' '$1 == "channel" { printf "%s%s=%s", s, $2, $3; s = " " }' "$1/ioctl-candidates")"
	printf "KIT_CEN_CANDIDATES='%s'\n" "$(awk -F'\t' '$1 == "cen" { printf "%s%s=%s", s, $2, $3; s = " " }' "$1/ioctl-candidates")"
	printf "KIT_CENSOR='%s'\nKIT_STRESS_MS='%s'\n" "$censor" "$KIT_STRESS_MS"
}

# kit_initramfs WORK VERSION CASES OUT: an initramfs with the suite, the
# submission's module and programs, and the cases left to run.
kit_initramfs() {
	local root=$1/$2/root ko
	ko=$(cat "$1/$2/ko")
	rm -rf "$root"
	mkdir -p "$root/bin" "$root/bin32" "$root/impl" &&
	cp /bin/busybox "$root/bin/busybox" &&
	guest_files "$root" kit-init &&
	cp "$kit/suite/bin/slot_test" "$root/bin/" &&
	cp "$kit/suite/bin32/slot_test" "$root/bin32/" &&
	cp "$kit/suite/bin/kit-probe" "$root/bin/" &&
	cp "$ko" "$root/impl/" &&
	cp -a "$1/progs/bin64" "$1/progs/bin32" "$root/impl/" &&
	cp "$3" "$root/kit.cases" &&
	kit_conf "$1" "${ko##*/}" >"$root/kit.conf" &&
	(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 >"$4"
}

# parse_console LOG RC: from one boot's console, a line per case that got
# a verdict, then how the boot ended (vm/judge/console.awk).
parse_console() {
	judge_console "$1" "$2"
}

# kit_kernel WORK VERSION: every case on that kernel, booting again after
# each crash or hang with the cases left. Results in WORK/VERSION/results
# ("BITS<TAB>NAME<TAB>VERDICT<TAB>DETAIL").
kit_kernel() {
	local w=$1 v=$2 d=$1/$2 n=0 rc
	local res=$d/results left=$d/left
	: >"$res"
	cp "$(suite_cases)" "$left"
	# If the kernel is already not clean after this case, the guest stops:
	# the last case with a verdict is the one that caused it.
	while [ -s "$left" ]; do
		n=$((n + 1))
		if [ "$n" -gt "$KIT_BOOTS" ]; then
			awk '{ print $1 "\t" $2 "\tfail\tnot run: more than '"$KIT_BOOTS"' boots" }' "$left" >>"$res"
			break
		fi
		kit_initramfs "$w" "$v" "$left" "$d/initramfs.gz" ||
			{ echo "kit: could not make the initramfs" >&2; return 1; }
		kit_qemu "$v" "$d/initramfs.gz" "$d/console-$n.log"
		rc=$?
		# Its verdicts into the results; another boot for the cases
		# left, if they can run (vm/judge/console.awk and fold.awk).
		judge_kit_boot "$d/console-$n.log" "$rc" "$d/parsed-$n" "$res" \
			"$(suite_cases)" "$left" "$w/noioctl" || break
	done
	rm -f "$left"
}

# commands_used VERSION-FOLDER: what the VM's probe chose, for the summary:
# a line per command ("MSG_SLOT_CHANNEL: ..."), from the first boot that
# got that far.
commands_used() {
	local log
	log=$(grep -al '^msgslot-kit-ioctl: channel ' "$1"/console-*.log 2>/dev/null | head -1)
	[ -n "$log" ] || return 0
	tr -d '\r' <"$log" | awk -v cands="$2" '
	BEGIN { while ((getline l < cands) > 0) { split(l, f, "\t"); how[f[1] " " f[2]] = f[4] } }
	/^msgslot-kit-load: ok / { major = $3 }
	/^msgslot-kit-ioctl: / {
		kind = $2; what = kind == "channel" ? "MSG_SLOT_CHANNEL" : "MSG_SLOT_SET_CEN"
		seq = kind == "channel" ? 0 : 1
		if ($3 == "none") { sub(/^msgslot-kit-ioctl: [a-z]+ none /, ""); print what ": none works; " $0; next }
		src = $3 == "contract-uint" ? "the contract'"'"'s _IOW(" major ", " seq ", unsigned int), on the major in /proc/devices" : \
		      $3 == "contract-ulong" ? "the contract'"'"'s _IOW(" major ", " seq ", unsigned long), on the major in /proc/devices" : \
		      "the header'"'"'s " $3 ", " how[kind " " $3]
		why = $5 == "takes-id-1-refuses-id-0" ? "it takes id 1 and refuses id 0 with EINVAL" : \
		      $5 == "takes-mode-1-and-0" ? "it takes modes 1 and 0" : \
		      "it takes id 1 (no candidate also refused id 0 with EINVAL)"
		printf "%s: %s (0x%x), %s; probed: %s\n", what, $4, $4, src, why
	}
	/^msgslot-kit-probe: / { sub(/^msgslot-kit-probe: /, ""); tried = tried (tried == "" ? "" : "; ") $0 }
	END { if (tried != "") print "probed in order: " tried }'
}

# kit_run NAME SRC WORK: build SRC and run every case on every kernel in
# KERNELS, under KIT_PROFILE. WORK/summary says how it was built and which
# commands were used; WORK/results has a line per case:
# "KERNEL<TAB>BITS<TAB>NAME<TAB>VERDICT<TAB>DETAIL"; WORK/profile and
# WORK/seconds say under what profile and how long it took.
kit_run() {
	local name=$1 src=$2 w=$3 line v how major why t0 first=1
	t0=$(date +%s)
	rm -rf "$w"
	mkdir -p "$w"
	: >"$w/results"
	: >"$w/summary"
	echo "$KIT_PROFILE" >"$w/profile"
	echo "profile: $KIT_PROFILE$([ "$(profile_censor)" = 0 ] || echo " (built with CENSOR=$(profile_censor), the sender's four-argument form)")" >>"$w/summary"
	ioctl_of "$src" "$w"
	if [ -s "$w/ioctl-candidates" ]; then
		echo "command candidates from $name's message_slot.h: $(awk -F'\t' '{ printf "%s%s %s (0x%x)", s, $1, $2, $3; s = ", " }' "$w/ioctl-candidates"); then the contract's encodings on the module's major" >>"$w/summary"
	else
		echo "command candidates: $name's message_slot.h defines none a user program can use (see $w/ioctl-probe/log); the contract's encodings on the module's major" >>"$w/summary"
	fi
	# WORK/ioctl: one channel command for what runs outside the probe (a
	# leak boot, say): the header's first candidate, else the contract's
	# on 235, until a kernel's probe says which works.
	awk -F'\t' '$1 == "channel" { print $3; exit }' "$w/ioctl-candidates" >"$w/ioctl"
	[ -s "$w/ioctl" ] || echo $(( (1 << 30) | (4 << 16) | (235 << 8) )) >"$w/ioctl"
	build_impl_programs "$src" "$w"
	for line in $KERNELS; do
		v=$(kit_kernel_version "$line")
		if [ -z "$v" ]; then
			echo "$line: $(kit_no_kernel "$line")" >>"$w/summary"
			awk -v k="$line" -v why="$(kit_no_kernel "$line")" '{ print k "\t" $1 "\t" $2 "\tfail\t" why }' \
				"$(suite_cases)" >>"$w/results"
			continue
		fi
		# A kernel of another suite: its chroot builds, its image boots.
		kit_lane_env "$v"
		if ! build_impl_module "$src" "$w" "$v"; then
			echo "$v: build-failed (log: $w/$v/build.log)" >>"$w/summary"
			why=$(grep -m1 -E 'error:|Error [0-9]' "$w/$v/build.log" | sed "s|$w/$v/src-[a-z-]*/||g" | cut -c1-200)
			awk -v k="$v" -v why="${why:-no .ko}" '{ print k "\t" $1 "\t" $2 "\tbuild-failed\t" why }' \
				"$(suite_cases)" >>"$w/results"
			continue
		fi
		case $(cat "$w/$v/method") in
		makefile) how="its own Makefile (make KDIR=...)" ;;
		kbuild) how="kbuild on its folder (make -C KDIR M=...)" ;;
		*) how="the kit's one-line Kbuild (obj-m := message_slot.o)" ;;
		esac
		echo "$v: built with $how: $(basename "$(cat "$w/$v/ko")")" >>"$w/summary"
		kit_kernel "$w" "$v" || return 1
		major=$(cat "$w/$v"/console-*.log | tr -d '\r' | grep -a '^msgslot-kit-load: ok' | head -1 | awk '{ print $3 " (" $4 ")" }')
		echo "$v: major ${major:-unknown (the module did not load)}, $(ls "$w/$v"/console-*.log | wc -l) boot(s), consoles $w/$v/console-*.log" >>"$w/summary"
		# Where the time went: the slowest case runs of this kernel.
		echo "$v: slowest: $(cat "$w/$v"/console-*.log | tr -d '\r' |
			awk '/^msgslot-kit-time: / { print $4 "\t" ($2 == 32 ? "m32 " : "") $3 }' |
			sort -rn | head -4 | awk -F'\t' '{ printf "%s%s %d s", s, $2, $1; s = ", " }')" >>"$w/summary"
		# The commands, once (every kernel probes; the first says it).
		if [ "$first" = 1 ]; then
			commands_used "$w/$v" "$w/ioctl-candidates" >>"$w/summary"
			line=$(cat "$w/$v"/console-*.log | tr -d '\r' | awk '/^msgslot-kit-ioctl: channel / && $3 != "none" { print $4; exit }')
			[ -z "$line" ] || echo "$line" >"$w/ioctl"
			first=0
		fi
		awk -v k="$v" '{ print k "\t" $0 }' "$w/$v/results" >>"$w/results"
	done
	kit_lane_env none
	kit_leak "$name" "$src" "$w" || return 1
	awk '{ print "-\t" $1 "\t" $2 "\tskip\text_*: this project'"'"'s own choice, not the contract'"'"'s" }' \
		"$kit/suite/skipped-$KIT_PROFILE" >>"$w/results"
	echo $(( $(date +%s) - t0 )) >"$w/seconds"
	echo "time: $(cat "$w/seconds") s" >>"$w/summary"
}

# tally WORK: "P pass, F fail, C crash, H hang, B build-failed, S skip,
# I inconclusive" (every run of every case, graded or not;
# vm/judge/tally.awk).
tally() {
	judge_tally "$1"
}

# status_map PROFILE...: for each case name on stdin and each PROFILE,
# "PROFILE<TAB>BITS<TAB>NAME<TAB>STATUS" for the 64- and the 32-bit runs
# (STATUS graded, reported, na; unknown, a name the table lacks, such as
# a case of another kit boot: graded, so that nothing drops silently;
# vm/judge/status-map.awk).
status_map() {
	judge_status_map "$profiles" "$@"
}

# score WORK: "P/T = X%" over WORK's graded cases, under its profile
# (vm/judge/score.awk, with the grading rule of vm/judge/grade-rules.awk).
score() {
	judge_score "$profiles" "$1"
}

# ------------------------------------------------ kernels of other suites

# Besides the host's own kernels (kernel_version), the kit grades on those
# that locate keeps in a chroot of another Debian suite (the lanes of kind
# chroot in vm/kernels.tsv): 5.10 (bullseye, the kernel line of the
# course's own VM) and 7.3 (trixie).
# Their modules are built in the sandbox with the chroot as its system
# (KIT_SANDBOX_ROOT: the suite's own gcc and headers, read-only) and boot
# the chroot's kernel image (KIT_KIMG).

# kit_lanes: once, from kit_prepare (it may debootstrap the chroot and runs
# apt-get in it, which parallel submissions must not do each on its own):
# $kit/lanes/LINE holds "VERSION IMAGE CHROOT" for each such line of
# KERNELS, or $kit/lanes/LINE.missing the reason there is none.
kit_lanes() {
	local line
	rm -rf "$kit/lanes"
	mkdir -p "$kit/lanes"
	for line in $KERNELS; do
		[ -z "$(kernel_version "$line")" ] || continue
		[ "$(lane_field "$line" 2)" = chroot ] || continue
		echo "msgslot-kit: locating the $line kernel (a chroot of vm/msgslot-vm; the first time takes minutes)"
		( locate "$line" >"$kit/lanes/$line.log" 2>&1 &&
			echo "$ver $kimg $kroot" >"$kit/lanes/$line" ) ||
			tr '\n' ' ' <"$kit/lanes/$line.log" >"$kit/lanes/$line.missing"
	done
}

# kit_kernel_version LINE: as kernel_version, or the chroot kernel of LINE.
kit_kernel_version() {
	local v
	v=$(kernel_version "$1")
	[ -n "$v" ] || [ ! -f "$kit/lanes/$1" ] || v=$(cut -d' ' -f1 "$kit/lanes/$1")
	echo "$v"
}

# kit_no_kernel LINE: why LINE has no kernel.
kit_no_kernel() {
	if [ -f "$kit/lanes/$1.missing" ]; then
		echo "no $1 kernel: $(cat "$kit/lanes/$1.missing")"
	else
		echo "no $1 kernel installed (vm/msgslot-vm deps)"
	fi
}

# kit_lane_env VERSION: KIT_KIMG and KIT_SANDBOX_ROOT for a chroot kernel,
# empty for a host one.
kit_lane_env() {
	local f lv limg lroot
	KIT_KIMG='' KIT_SANDBOX_ROOT=''
	for f in "$kit"/lanes/*; do
		case $f in *.log|*.missing) continue ;; esac
		[ -f "$f" ] || continue
		read -r lv limg lroot <"$f"
		if [ "$lv" = "$1" ]; then
			KIT_KIMG=$limg KIT_SANDBOX_ROOT=$lroot
			break
		fi
	done
	export KIT_KIMG KIT_SANDBOX_ROOT
}
