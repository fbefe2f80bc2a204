# shellcheck shell=bash
# vm/kit/leak.sh: the leak boot (kmemleak on the debug kernel), one per submission.
# Sourced by vm/msgslot-kit.

# Every term's text requires that unloading frees everything; students
# allocate with kmalloc, so on a stock kernel a leak leaves no trace. One
# more boot per submission, on the debug kernel (kmemleak, KASAN, lockdep)
# with vm/guest/kit-leak-init and tests/leak_workload.c, gives two cases:
#   leak_freed_at_unload              no memory of the module's left
#                                     unreferenced, after rmmod or before
#   leak_file_memory_freed_on_close   (the spring 2023-24 rule) none left
#                                     unreferenced by files opened, given a
#                                     channel and closed without a write,
#                                     while the module is still loaded
# An object counts when its backtrace runs through the module, or it was
# allocated by a process of the workload (insmod, rmmod, leak_files,
# leak_channels); the verdict's detail gives each one's size, process and
# allocation site. A kernel report (KASAN, lockdep, BUG...) is a crash.
# KIT_LEAK: 1 (default) uses the debug kernel if it is built (make
# check-all, or vm/msgslot-vm debug-kernel) and skips both cases, saying
# why, if not; "build" builds it first (about 6 min, once); 0 turns the
# boot off.
KIT_LEAK=${KIT_LEAK:-1}
KIT_LEAK_CASES="leak_freed_at_unload leak_file_memory_freed_on_close"

# kit_leak_prepare: once, from kit_prepare: the workload in $kit/leak, and
# $kit/leak/kernel (the debug kernel's folder) or $kit/leak/missing (why
# there is no leak boot).
kit_leak_prepare() {
	local d=$kit/leak key
	rm -rf "$d"
	mkdir -p "$d"
	[ "$KIT_LEAK" != 0 ] || return 0
	if ! tests_make O="$d" BITS=64 leak_workload >"$d/build.log" 2>&1; then
		echo "tests/leak_workload.c did not build: $(head -3 "$d/build.log" | tr '\n' ' ')" >"$d/missing"
		return 0
	fi
	if [ "$KIT_LEAK" = build ]; then
		if debug_kernel; then
			echo "$dbg" >"$d/kernel"
		else
			echo "the debug kernel did not build: $(tail -3 "$out/debug-kernel.log" | tr '\n' ' ')" >"$d/missing"
		fi
	elif key=$(debug_key) && [ -f "$cache/debug-kernel/$key/ok" ]; then
		echo "$cache/debug-kernel/$key" >"$d/kernel"
	else
		echo "no debug kernel built for this tree (make check-all builds it, or KIT_LEAK=build, or vm/msgslot-vm debug-kernel: about 6 min, once)" >"$d/missing"
	fi
	[ ! -f "$d/missing" ] || echo "msgslot-kit: leak cases skipped: $(cat "$d/missing")"
}

# kit_leak_results WORK VERDICT DETAIL: both leak cases with one verdict.
kit_leak_results() {
	local c
	for c in $KIT_LEAK_CASES; do
		printf 'debug\t64\t%s\t%s\t%s\n' "$c" "$2" "$3" >>"$1/results"
	done
}

# kit_leak NAME SRC WORK: the leak boot of SRC; two lines in WORK/results
# (kernel column "debug"), the boot's console in WORK/leak/console.log.
kit_leak() {
	local src=$2 w=$3 d=$3/leak dbg ver root t rc why
	[ "$KIT_LEAK" != 0 ] || return 0
	if [ -f "$kit/leak/missing" ]; then
		why=$(cat "$kit/leak/missing")
		echo "leak boot: skipped: $why" >>"$w/summary"
		kit_leak_results "$w" skip "not checked: $why"
		return 0
	fi
	dbg=$(cat "$kit/leak/kernel")
	ver=$(cat "$dbg/ok")
	# The module against the debug kernel's build tree, which lives in
	# the cache, outside the sandbox's /usr: bound read-only.
	if ! KIT_SANDBOX_ROOT='' KIT_SANDBOX_RO=$dbg build_impl_module "$src" "$w" leak "$dbg/build"; then
		why=$(grep -m1 -E 'error:|Error [0-9]' "$d/build.log" | sed "s|$d/src-[a-z-]*/||g" | cut -c1-200)
		echo "leak boot: build-failed against the debug kernel $ver (log: $d/build.log)" >>"$w/summary"
		kit_leak_results "$w" build-failed "against the debug kernel $ver: ${why:-no .ko}"
		return 0
	fi
	root=$d/root
	rm -rf "$root"
	if ! { mkdir -p "$root/bin" "$root/impl" &&
		cp /bin/busybox "$kit/leak/leak_workload" "$root/bin/" &&
		guest_files "$root" kit-leak-init &&
		cp "$(cat "$d/ko")" "$root/impl/" &&
		printf "KIT_MODULE='/impl/%s'\nKIT_IOCTL='%s'\nKIT_REPORTS='%s'\n" \
			"$(basename "$(cat "$d/ko")")" "$(cat "$w/ioctl")" "$REPORTS" >"$root/kit.conf" &&
		(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 >"$d/initramfs.gz"; }; then
		echo "kit: could not make the leak boot's initramfs" >&2
		return 1
	fi
	t=$SECONDS
	# 512 MiB: every kmemleak scan reads all of memory's page structs, and
	# the short workload needs little (KIT_LEAK_MEM to change it).
	# It takes 35 to 60 s: 4 minutes mean it hangs (its /init prints a line
	# every 20 s, so KIT_STALL alone would wait VM_TIMEOUT out).
	VM_TIMEOUT=240 VM_MEM=${KIT_LEAK_MEM:-512M} KIT_KIMG=$dbg/bzImage kit_qemu "$ver" "$d/initramfs.gz" "$d/console.log"
	rc=$?
	echo "leak boot: debug kernel $ver, $((SECONDS - t)) s (QEMU status $rc), console $d/console.log" >>"$w/summary"
	kit_leak_judge "$d/console.log" "$rc" | awk '{ print "debug\t64\t" $0 }' >>"$w/results"
}

# kit_leak_judge CONSOLE RC: the two leak cases' lines, "NAME<TAB>VERDICT
# <TAB>DETAIL", from the leak boot's console (vm/judge/leak.awk).
kit_leak_judge() {
	judge_leak "$1" "$2"
}
