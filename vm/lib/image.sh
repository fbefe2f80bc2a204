# shellcheck shell=bash
# image.sh: what a boot needs: the module built for a lane's kernel
# (natively, in another suite's chroot, or cross-built for arm64), the
# programs and the test suite built statically, and the initramfs that
# carries them with the guest side (vm/guest/).

# copy_module_sources DIR: what kbuild needs to build the module in DIR.
copy_module_sources() {
	mkdir -p "$1" &&
	cp "$top/message_slot.c" "$top/message_slot.h" "$top/Kbuild" "$top/Makefile" "$1/"
}

# build_module VERSION: message_slot.ko for that kernel in $out/VERSION,
# against $kdir (default /lib/modules/VERSION/build): inside the chroot
# $kroot when the kernel is another suite's, cross-compiled when $karch is
# arm64. Prints nothing; the log is $out/VERSION/build.log.
build_module() {
	local dir=$out/$1
	copy_module_sources "$dir"
	copy_busy_major "$dir/busy_major"
	rm -f "$dir/message_slot.ko" "$dir/busy_major/busy_major.ko"
	kbuild "$1" "$dir" >"$dir/build.log" 2>&1 &&
	kbuild "$1" "$dir/busy_major" >>"$dir/build.log" 2>&1
}

# copy_busy_major DIR: the sources of the test helper module that takes
# major 235 first (tests/busy_major), in DIR.
copy_busy_major() {
	mkdir -p "$1" &&
	cp "$top/tests/busy_major/busy_major.c" "$top/tests/busy_major/Kbuild" \
		"$top/message_slot.h" "$1/"
}

# kbuild VERSION DIR: make the modules whose sources are in DIR against
# $kdir (default /lib/modules/VERSION/build), inside the chroot $kroot when
# the kernel is another suite's, cross-compiled when $karch is arm64; the
# .ko files land in DIR.
kbuild() {
	local src=$2 cdir=/msgslot$2
	if [ -z "${kroot:-}" ]; then
		# MSGSLOT_GCOV=1 (the debug lane): the module with gcov (Kbuild).
		make -C "${kdir:-/lib/modules/$1/build}" M="$src" \
			${MSGSLOT_GCOV:+MSGSLOT_GCOV=1} modules
		return
	fi
	rm -rf "${kroot:?}$cdir"
	mkdir -p "$kroot$cdir" &&
	find "$src" -maxdepth 1 -type f \( -name '*.[ch]' -o -name Kbuild -o -name Makefile \) \
		-exec cp {} "$kroot$cdir/" \; || return
	if [ "$karch" = arm64 ]; then
		set -- ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-
	else
		set --
	fi
	# objtool of 7.x reads /proc: mount one in a mount namespace of
	# the build's own, which takes it away when the build ends.
	unshare -m sh -c 'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' \
		"$kroot" make -C "$kdir" M="$cdir" "$@" modules &&
		cp "$kroot$cdir/"*.ko "$src/"
}

# tests_make ARG...: make in tests/ (its Makefile builds every test program)
# with only the variables given here: none of a calling make's (MAKEFLAGS),
# nor a CC, CFLAGS or CENSOR of the environment.
tests_make() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u CC -u CFLAGS -u LDFLAGS \
		-u CENSOR -u BITS -u O -u SRC -u STATIC make -s -C "$top/tests" "$@"
}

# build_programs [suite]: the programs (and the suite), statically linked
# for the VM: 64-bit in $out/user, 32-bit in $out/user32; with the suite
# also the programs of the censorship terms (make CENSOR=3|4: the
# four-argument sender), 64-bit, in $out/user-cen3 and $out/user-cen4.
build_programs() {
	local bits dir p
	local -a suite_progs=() only64
	rm -rf "$out/user-cen3" "$out/user-cen4"
	if [ "${1:-}" = suite ]; then
		suite_progs=(slot_test fuzz faults paths)
		for p in 3 4; do
			tests_make O="$out/user-cen$p" BITS= CENSOR=$p programs || return
		done
	fi
	for bits in 64 32; do
		dir=$out/user${bits#64}
		rm -rf "$dir"
		# bench is 64-bit only, and so is limits (issue 13): the limits
		# do not depend on the caller's word size.
		only64=(bench)
		[ ${#suite_progs[@]} -eq 0 ] || only64+=(limits)
		[ "$bits" = 64 ] || only64=()
		tests_make O="$dir" BITS=$bits programs "${suite_progs[@]}" "${only64[@]}" || return
	done
}

# build_programs_arm64: the programs, the suite and the fuzzer, statically
# cross-built for arm64 (in the bookworm chroot) into $out/user-arm64; no
# 32-bit build there.
build_programs_arm64() {
	local dir=$out/user-arm64 src
	suite_chroot bookworm $ARM_CHROOT_PACKAGES || return
	src=$croot/msgslot/src
	rm -rf "$dir" "$src"
	mkdir -p "$dir" "$src/tests" "$src/bin"
	cp "$top"/message_s*.[ch] "$top"/message_reader.c "$src/" &&
	cp "$top/tests/"*.[ch] "$top/tests/Makefile" "$src/tests/" &&
	chroot "$croot" env -i PATH=/usr/bin:/bin make -s -C /msgslot/src/tests \
		O=/msgslot/src/bin BITS= CC=aarch64-linux-gnu-gcc programs slot_test fuzz &&
	cp "$src/bin/"* "$dir/"
}

# make_initramfs VERSION MODE [TREE]: busybox, /init, the guest scripts, the
# module, the programs and the suite, plus the files of TREE if given, in
# $out/VERSION/initramfs-MODE.gz. On arm64 ($karch) the busybox and the
# programs are the arm64 ones, and there is no bin32, nor the censorship
# terms' programs (bin-cen3, bin-cen4: /init runs those terms when they
# are there).
make_initramfs() {
	local dir=$out/$1 root=$out/$1/root-$2
	rm -rf "$root"
	mkdir -p "$root/bin" &&
	if [ "${karch:-x86_64}" = arm64 ]; then
		cp "$kbusybox" "$root/bin/busybox" &&
		cp "$out/user-arm64/"* "$root/bin/"
	else
		mkdir -p "$root/bin32" &&
		cp /bin/busybox "$root/bin/busybox" &&
		cp "$out/user/"* "$root/bin/" &&
		cp "$out/user32/"* "$root/bin32/" &&
		for p in 3 4; do
			[ ! -d "$out/user-cen$p" ] ||
			{ mkdir -p "$root/bin-cen$p" && cp "$out/user-cen$p/"* "$root/bin-cen$p/"; } || return 1
		done
	fi &&
	guest_files "$root" init &&
	cp "$top/vm/guest/demo.sh" "$top/vm/guest/install.sh" "$root/" &&
	cp "$dir/message_slot.ko" "$root/" &&
	{ [ ! -e "$dir/busy_major/busy_major.ko" ] || cp "$dir/busy_major/busy_major.ko" "$root/"; } &&
	{ [ -z "${3:-}" ] || cp -a "$3/." "$root/"; } &&
	(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 >"$dir/initramfs-$2.gz"
}

# guest_files ROOT INIT: the guest side every initramfs carries: ROOT/init
# (vm/guest/INIT), and the two files every /init sources, /protocol.sh
# and /common.sh.
guest_files() {
	cp "$top/vm/guest/$2" "$1/init" &&
	cp "$top/vm/protocol.sh" "$1/protocol.sh" &&
	cp "$top/vm/guest/common.sh" "$1/common.sh"
}

# prepare LANE MODE: sets $ver and builds the module and the initramfs of
# MODE; a failure is a FAIL line and returns 1.
prepare() {
	if ! locate "$1" >"$out/locate.log"; then
		fail "$1 kernel: $(tr '\n' ' ' <"$out/locate.log")"
		return 1
	fi
	if [ ! -r "$kimg" ]; then
		fail "$ver kernel: $kimg is not readable (run as root)"
		return 1
	fi
	if ! build_module "$ver"; then
		fail "$ver module_builds: make failed; last lines of $out/$ver/build.log:"
		tail -15 "$out/$ver/build.log" | sed 's/^/    /'
		return 1
	fi
	make_initramfs "$ver" "$2" || {
		fail "$ver initramfs: could not make $out/$ver/initramfs-$2.gz"
		return 1
	}
}

