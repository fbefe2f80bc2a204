# shellcheck shell=bash
# lanes.sh: what `make check` runs on one lane: build, boot and judge the
# suite (check_kernel), and the install checks: make install, DKMS, module
# autoload (install_kernel).

# host_tests: the tests of the host side itself, which need no VM and take
# seconds: the verdict rules on saved consoles (tests/verdicts/run), the
# accelerator choice and the boot function (tests/boot-test). Their
# PASS/FAIL/SKIP lines count in the run's totals.
host_tests() {
	local t out rc failed_before
	for t in tests/verdicts/run tests/boot-test; do
		failed_before=$failed
		out=$("$top/$t" 2>&1)
		rc=$?
		# Their own "N passed, N failed" line: the run's summary counts them.
		count_verdicts < <(grep -vE '^[0-9]+ passed, [0-9]+ failed' <<<"$out")
		# A test program that fails must say which check failed.
		[ "$rc" = 0 ] || [ "$failed" -gt "$failed_before" ] || fail "$t: exited $rc with no FAIL line"
	done
}

# boot VERSION MODE: boot the lane's kernel ($kimg, $karch: locate) with
# $out/VERSION/initramfs-MODE.gz, its console to
# $out/VERSION/console-MODE.log, /init's settings on the kernel command
# line (vm/protocol.sh) plus BOOT_ARGS. Returns vm_boot's status: 99 when
# the guest's /init finished, 124 on timeout.
# slab_nomerge: the module's slab cache stays its own, so a channel left at
# unload makes kmem_cache_destroy() complain (a WARNING), and a cache left
# behind shows in /sys/kernel/slab.
boot() {
	local dir=$out/$1
	vm_boot "${karch:-x86_64}" "${kimg:-/boot/vmlinuz-$1}" "$dir/initramfs-$2.gz" "$dir/console-$2.log" \
		"loglevel=4 panic=-1 slab_nomerge slotmode=$2 fuzz_seed=$SEED fuzz_ops=$N fuzz32_ops=$((N / 5)) ${BOOT_ARGS:-}"
}

# check_kernel LANE [RESULT...]: build, boot and judge the suite (64-bit
# and -m32, except on arm64), the fuzzers, and the RESULTs of /init.
check_kernel() {
	local rc t lane=$1
	shift
	prepare "$lane" check || return
	if grep -qi 'warning' "$out/$ver/build.log"; then
		fail "$ver module_builds_without_warning:"
		grep -i 'warning' "$out/$ver/build.log" | sed 's/^/    /'
	else
		pass "$ver module_builds_without_warning"
	fi
	echo "msgslot-vm: booting $ver, $(accel_note "$karch" "$kimg") (console: $out/$ver/console-check.log)"
	boot "$ver" check
	rc=$?
	judge_boot "$ver" "$out/$ver/console-check.log" "$rc" \
		module_loads major_235_registered module_unloads busy_major_refused "$@"
	judge_tap "$ver" tap ""
	[ "$karch" = arm64 ] || judge_tap "$ver" tap32 "m32 "
	# The censorship terms: x86_64 images only (see make_initramfs).
	if [ "$karch" != arm64 ]; then
		judge_tap "$ver" cen3 "censor3 "
		judge_tap "$ver" cen4 "censor4 "
		t=$(sed -n 's/^msgslot-censor-seconds: \([0-9]*\).*/\1/p' "$out/$ver/console-check.log" | tail -1)
		[ -z "$t" ] || echo "msgslot-vm: $ver: the censorship terms took $t s in the guest"
	fi
	case " ${BOOT_ARGS:-} " in *" faults=1 "*)
		judge_tap "$ver" faults "faults "
		judge_tap "$ver" paths "paths " ;;
	esac
	[ "$karch" = arm64 ] || judge_tap "$ver" limits "limits "
	judge_fuzz "$ver" "$out/$ver/console-check.log" fuzz
	[ "$karch" = arm64 ] || judge_fuzz "$ver" "$out/$ver/console-check.log" fuzz32
}

# dist_files: the files `make dkms-install` copies to /usr/src, as the
# Makefile lists them.
dist_files() {
	make -s --no-print-directory -C "$top" dkms-files
}
DKMS_VERSION=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")

# dkms_build VERSION: build with DKMS for that kernel, in a dkms tree of our
# own under $out/dkms (the system's stays untouched; dkms still makes its
# signing key /var/lib/dkms/mok.key on first use, as on any machine).
dkms_build() {
	local d=$out/dkms src
	src=$d/src/message-slot-$DKMS_VERSION
	if [ ! -d "$d/tree/message-slot" ]; then
		rm -rf "$d"
		mkdir -p "$src" "$d/tree" "$d/inst"
		(cd "$top" && mapfile -t f < <(dist_files | tr -s " " "\n") && cp --parents "${f[@]}" "$src/") &&
		dkms --dkmstree "$d/tree" --sourcetree "$d/src" --installtree "$d/inst" \
			add -m message-slot -v "$DKMS_VERSION" >"$d/add.log" 2>&1 || return 1
	fi
	dkms --dkmstree "$d/tree" --sourcetree "$d/src" --installtree "$d/inst" \
		build -m message-slot -v "$DKMS_VERSION" -k "$1"
}

# install_kernel LINE: make install into a staging root and DKMS build on
# the host, then boot with both and check modprobe, the char-major alias,
# the nodes parameter and the DKMS-built module; then make uninstall.
install_kernel() {
	local dir src stage rc ko missing f
	locate "$1" >/dev/null || return	# check_kernel has reported it
	dir=$out/$ver/install
	src=$dir/src
	stage=$dir/stage
	rm -rf "$dir"
	mkdir -p "$src" "$stage/dkms"
	(cd "$top" && mapfile -t f < <(dist_files | tr -s " " "\n") && cp --parents "${f[@]}" "$src/")

	if make -C "$src" KDIR="/lib/modules/$ver/build" DESTDIR="$dir/root" PREFIX=/usr \
			install >"$dir/install.log" 2>&1; then
		missing=
		for f in usr/bin/message_sender usr/bin/message_reader \
				usr/share/man/man1/message_sender.1 usr/share/man/man1/message_reader.1 \
				usr/share/man/man4/message_slot.4 "lib/modules/$ver/modules.dep"; do
			[ -e "$dir/root/$f" ] || missing="$missing $f"
		done
		ls "$dir/root/lib/modules/$ver/updates/message_slot.ko"* >/dev/null 2>&1 ||
			missing="$missing lib/modules/$ver/updates/message_slot.ko*"
		grep -q '^alias char-major-235-\* message_slot$' "$dir/root/lib/modules/$ver/modules.alias" 2>/dev/null ||
			missing="$missing modules.alias:char-major-235-*"
		if [ -z "$missing" ]; then
			pass "$ver make_install"
		else
			fail "$ver make_install: missing$missing"
		fi
		cp -a "$dir/root/lib" "$stage/"
	else
		fail "$ver make_install: failed; last lines of $dir/install.log:"
		tail -15 "$dir/install.log" | sed 's/^/    /'
	fi

	if dkms_build "$ver" >"$dir/dkms.log" 2>&1; then
		ko=$(ls "$out/dkms/tree/message-slot/$DKMS_VERSION/$ver/"*/module/message_slot.ko* 2>/dev/null | head -1)
		if [ -n "$ko" ]; then
			pass "$ver dkms_build"
			cp "$ko" "$stage/dkms/"
		else
			fail "$ver dkms_build: dkms built no message_slot.ko (log: $dir/dkms.log)"
		fi
	else
		fail "$ver dkms_build: failed; last lines of $dir/dkms.log:"
		tail -15 "$dir/dkms.log" | sed 's/^/    /'
	fi

	if make_initramfs "$ver" install "$stage"; then
		echo "msgslot-vm: booting $ver, $(accel_note "$karch" "$kimg") (console: $out/$ver/console-install.log)"
		boot "$ver" install
		rc=$?
		judge_boot "$ver install" "$out/$ver/console-install.log" "$rc" \
			modprobe_loads autoload_on_open nodes_param_creates_nodes \
			nodes_default_creates_none nodes_param_out_of_range_refused \
			dkms_module_works
	else
		fail "$ver install initramfs: could not make it"
	fi

	if make -C "$src" KDIR="/lib/modules/$ver/build" DESTDIR="$dir/root" PREFIX=/usr \
			uninstall >>"$dir/install.log" 2>&1 &&
			[ -z "$(find "$dir/root" -name 'message_s*')" ]; then
		pass "$ver make_uninstall"
	else
		fail "$ver make_uninstall: left $(find "$dir/root" -name 'message_s*' | tr '\n' ' ')"
	fi
}

