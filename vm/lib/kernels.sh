# shellcheck shell=bash
# kernels.sh: where each lane's kernel comes from. The lanes are the lines
# of vm/kernels.tsv; locate LANE finds (or fetches, or builds) the kernel
# image and the module build tree of one: the host's own packages, a chroot
# of another Debian suite, bookworm's arm64 kernels, or the debug kernel.
# Everything fetched or built lives in $cache, not in the checkout.

# kernel_version LINE [FLAVOUR]: the newest installed kernel of that line
# and flavour (default the generic amd64, e.g. 6.1: 6.1.0-56-amd64, not an
# -rt- or -cloud- one) that has both a vmlinuz and a build tree.
kernel_version() {
	local v best='' f=${2:-amd64}
	for v in $(ls /boot 2>/dev/null | sed -n "s/^vmlinuz-\($1\.[0-9][^-]*-[0-9]*-$f\)$/\1/p;s/^vmlinuz-\($1\.[0-9][^-]*+deb[0-9]*-$f\)$/\1/p" | sort -V); do
		[ -d "/lib/modules/$v/build" ] && best=$v
	done
	echo "$best"
}

# The lanes table, vm/kernels.tsv: "LANE KIND SOURCE SETS..." a line.
LANES_TABLE=$top/vm/kernels.tsv

# lanes_in SET: the lanes whose SETS name SET (check, all, install), in
# the table's order, on one line.
lanes_in() {
	awk -v set="$1" '!/^#/ && NF >= 4 { for (i = 4; i <= NF; i++) if ($i == set) { printf "%s%s", s, $1; s = " " } }
		END { print "" }' "$LANES_TABLE"
}

# lane_field LANE N: column N (2 KIND, 3 SOURCE) of LANE's line; fails
# for a lane the table does not have.
lane_field() {
	awk -v lane="$1" -v n="$2" '!/^#/ && $1 == lane { print $n; found = 1 } END { exit !found }' "$LANES_TABLE"
}

# lane_packages SET: the host packages of SET's host lanes (each image's
# package and its headers), for deps.
lane_packages() {
	local lane src
	for lane in $(lanes_in "$1"); do
		[ "$(lane_field "$lane" 2)" = host ] || continue
		src=$(lane_field "$lane" 3)
		echo "$src ${src/linux-image-/linux-headers-}"
	done
}

# locate LANE: sets $ver, $kimg (the kernel image), $kdir (its module build
# tree), $kroot (the chroot to build in, if any), $karch and $kbusybox for
# a lane of vm/kernels.tsv, fetching or building what is missing; on
# failure prints why and returns 1.
locate() {
	local kind src line=${1#arm64-}
	line=${line%-rt}
	kind=$(lane_field "$1" 2) || { echo "no lane $1 in vm/kernels.tsv"; return 1; }
	src=$(lane_field "$1" 3)
	kroot='' karch=x86_64 kbusybox=/bin/busybox
	case $kind in
	host)
		if [ "${1%-rt}" != "$1" ]; then
			ver=$(kernel_version "$line" rt-amd64)
		else
			ver=$(kernel_version "$line")
		fi
		[ -n "$ver" ] || { echo "no /boot/vmlinuz-$line.* with a build tree (vm/msgslot-vm deps installs $src)"; return 1; }
		kimg=/boot/vmlinuz-$ver kdir=/lib/modules/$ver/build ;;
	chroot)
		# SUITE or SUITE/TARGET (a release of the suite, e.g. backports).
		if [ "${src#*/}" != "$src" ]; then
			chroot_kernel "${src%%/*}" "${src#*/}" || return
		else
			chroot_kernel "$src" || return
		fi
		kroot=$croot ;;
	arm64)
		arm_kernel "$line" "$src" || return
		karch=arm64 kbusybox=$kroot/arm64/$ver/bin/busybox ;;
	debug)
		debug_kernel || { echo "the debug kernel did not build; last lines of $out/debug-kernel.log:"; tail -5 "$out/debug-kernel.log"; return 1; }
		ver=$(cat "$dbg/ok") kimg=$dbg/bzImage kdir=$dbg/build ;;
	*) echo "lane $1: unknown kind $kind in vm/kernels.tsv"; return 1 ;;
	esac
	# The lane's number is its kernel line: a suite that moved on to
	# another line is a failure, not a silent change of lane. (The debug
	# lane is named for what it is, not for its line.)
	[ "$kind" != debug ] || return 0
	case $ver in
	"$line" | "$line".* | "$line"-*) ;;
	*) echo "lane $1: the kernel found is $ver, not of the $line line"; ver=''; return 1 ;;
	esac
}

# ------------------------------------------------------ other Debian suites

# Kernels of other suites are built with the compiler Debian built them
# with, so each suite gets a minbase chroot with that compiler and the
# kernel's headers, from its own apt lists (the machine's own sources stay
# untouched). Chroots, kernels and headers live in $cache, not the checkout.
MIRROR=${MSGSLOT_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${MSGSLOT_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

# suite_chroot SUITE [PACKAGE...]: sets $croot to a minbase chroot of SUITE
# (made once, about 75 s) with make, gcc and the PACKAGEs; trixie also gets
# trixie-backports, bookworm the security updates (the newest kernels).
suite_chroot() {
	local log suite=$1 want
	shift
	want="make gcc $*"
	croot=$cache/chroot/$suite
	log=$cache/chroot/$suite.log
	[ "$(cat "$croot/.msgslot-ok" 2>/dev/null)" = "$want" ] && return 0
	mkdir -p "$cache/chroot"
	if [ ! -f "$croot/.msgslot-ok" ]; then
		rm -rf "$croot.tmp"
		{
			debootstrap --variant=minbase "$suite" "$croot.tmp" "$MIRROR" &&
			case $suite in
			trixie) echo "deb $MIRROR trixie-backports main" ;;
			bookworm) echo "deb $SECURITY_MIRROR bookworm-security main" ;;
			esac >"$croot.tmp/etc/apt/sources.list.d/msgslot.list"
		} >"$log" 2>&1 || { echo "debootstrap of $suite failed (log: $log)"; return 1; }
		rm -rf "$croot"
		mv "$croot.tmp" "$croot"
	fi
	{
		chroot "$croot" apt-get update -q &&
		DEBIAN_FRONTEND=noninteractive chroot "$croot" apt-get install -y -q \
			--no-install-recommends $want &&
		chroot "$croot" apt-get clean &&	# the .debs: 150 to 200 MB a chroot
		echo "$want" >"$croot/.msgslot-ok"
	} >>"$log" 2>&1 || { echo "apt-get install $want in the $suite chroot failed (log: $log)"; return 1; }
}

# chroot_kernel SUITE [TARGET]: installs the newest generic amd64 kernel
# headers of SUITE (from TARGET, e.g. trixie-backports) in its chroot,
# pulling the kernel's own gcc, and unpacks the matching image there;
# sets $ver, $kimg and $kdir. The headers and image are refreshed at most
# once a day, so a new Debian kernel shows up without a cold cache.
chroot_kernel() {
	local log stamp pkgs f target=${2:+-t $2}
	suite_chroot "$1" || return
	log=$cache/chroot/$1-kernel.log
	stamp=$croot/.msgslot-kernel
	if [ -z "$(find "$stamp" -mtime -1 2>/dev/null)" ]; then
		{
			chroot "$croot" apt-get update -q &&
			DEBIAN_FRONTEND=noninteractive chroot "$croot" apt-get install -y -q \
				--no-install-recommends $target linux-headers-amd64 &&
			chroot "$croot" apt-get clean &&
			touch "$stamp"
		} >"$log" 2>&1 || { echo "apt-get in the $1 chroot failed (log: $log)"; return 1; }
	fi
	ver=$(find "$croot/lib/modules" -mindepth 1 -maxdepth 1 -name '*-amd64' -printf '%f\n' 2>/dev/null | sort -V | tail -1)
	[ -n "$ver" ] || { echo "no kernel headers in the $1 chroot"; return 1; }
	kdir=/lib/modules/$ver/build
	kimg=$croot/boot/vmlinuz-$ver
	if [ ! -f "$kimg" ]; then
		# The image is in linux-image-V, or since 7.x in linux-binary-V.
		{
			pkgs=linux-image-$ver
			! chroot "$croot" apt-cache show "linux-binary-$ver" >/dev/null 2>&1 ||
				pkgs=linux-binary-$ver
			rm -rf "$croot/tmp/msgslot-debs" && mkdir "$croot/tmp/msgslot-debs" &&
			chroot "$croot" sh -c "cd /tmp/msgslot-debs && apt-get download $target $pkgs" &&
			dpkg-deb -x "$croot"/tmp/msgslot-debs/*.deb "$croot/tmp/msgslot-debs/x" &&
			mkdir -p "$croot/boot" &&
			# /boot/vmlinuz-V, or /usr/lib/modules/V/vmlinuz since 7.x.
			for f in boot/vmlinuz-"$ver" usr/lib/modules/"$ver"/vmlinuz; do
				[ ! -f "$croot/tmp/msgslot-debs/x/$f" ] ||
					cp "$croot/tmp/msgslot-debs/x/$f" "$kimg"
			done &&
			rm -rf "$croot/tmp/msgslot-debs" && test -f "$kimg"
		} >>"$log" 2>&1 || { echo "could not fetch the image of $ver in the $1 chroot (log: $log)"; return 1; }
	fi
}

# arm64 kernels (bookworm) run under qemu-system-aarch64; the module is
# cross-built against the arm64 headers with the amd64 linux-kbuild of the
# same version (its host tools run here), so the packages come from an apt
# configuration of our own that knows both architectures. The cross
# compiler lives in a bookworm chroot, because Debian's
# gcc-aarch64-linux-gnu conflicts with the gcc-multilib the -m32 build
# needs; the kernels are unpacked inside that chroot.
# pahole (dwarves): 6.12's headers make the BTF of the module.
ARM_CHROOT_PACKAGES="gcc-aarch64-linux-gnu libc6-dev-arm64-cross dwarves"

arm_apt() {
	local d=$cache/apt-arm64
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
	# bookworm-security carries the newest kernels, as on the host.
	printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' \
		"$MIRROR" bookworm "$MIRROR" bookworm-updates "$SECURITY_MIRROR" bookworm-security \
		>"$d/sources.list"
	touch "$d/status"
	"$@" -o Dir::Etc::SourceList="$d/sources.list" -o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$d/lists" -o Dir::Cache="$d/cache" \
		-o Dir::State::Status="$d/status" -o APT::Sandbox::User=root \
		-o APT::Architecture=arm64 \
		-o APT::Architectures::=arm64 -o APT::Architectures::=amd64
}

# arm_kernel LINE META: the bookworm arm64 kernel of LINE (6.1, 6.12) that
# the image package META depends on (vm/kernels.tsv), with its headers and the amd64 kbuild unpacked in /arm64/VERSION of the
# bookworm chroot, plus the arm64 busybox; sets $ver, $kimg, $kdir (in the
# chroot) and $kroot.
arm_kernel() {
	local d log meta root p pkgs stamp
	suite_chroot bookworm $ARM_CHROOT_PACKAGES || return
	kroot=$croot
	d=$croot/arm64
	log=$d/fetch-$1.log
	mkdir -p "$d"
	meta=$2
	stamp=$d/.lists-$1
	if [ -z "$(find "$stamp" -mtime -1 2>/dev/null)" ]; then
		arm_apt apt-get update -q >"$log" 2>&1 || { echo "apt-get update for arm64 failed (log: $log)"; return 1; }
		# The meta package names the versioned image: linux-image-V-arm64.
		ver=$(arm_apt apt-cache depends "$meta" 2>>"$log" |
			sed -n 's/^ *Depends: linux-image-\([0-9].*-arm64\)$/\1/p' | grep -v unsigned | head -1)
		[ -n "$ver" ] || { echo "no arm64 kernel behind $meta (log: $log)"; return 1; }
		echo "$ver" >"$stamp"
	fi
	ver=$(cat "$stamp")
	root=$d/$ver
	kimg=$root/boot/vmlinuz-$ver
	kdir=/arm64/$ver/usr/src/linux-headers-$ver
	[ -f "$root/.msgslot-ok" ] && return 0
	rm -rf "$root.tmp"
	mkdir -p "$root.tmp/debs"
	{
		# Headers depend on their -common package and on linux-kbuild-X.
		pkgs="linux-image-$ver linux-headers-$ver busybox-static:arm64"
		p=$(arm_apt apt-cache depends "linux-headers-$ver" |
			sed -n 's/^ *Depends: \(linux-\(headers\|kbuild\)-[^ ]*\)$/\1/p' | sed 's/:arm64$//')
		for pkg in $p; do
			case $pkg in
			linux-kbuild-*) pkgs="$pkgs $pkg:amd64" ;;
			*) pkgs="$pkgs $pkg" ;;
			esac
		done
		echo "fetching: $pkgs"
		(cd "$root.tmp/debs" && arm_apt apt-get download $pkgs) &&
		for p in "$root.tmp"/debs/*.deb; do dpkg-deb -x "$p" "$root.tmp" || exit 1; done &&
		# The image's own modules (about 300 MB) are not needed.
		rm -rf "$root.tmp/debs" "$root.tmp/lib/modules" &&
		test -f "$root.tmp/boot/vmlinuz-$ver" && test -d "$root.tmp/usr/src/linux-headers-$ver" &&
		# The headers include their -common Makefile by absolute path:
		# point it at this tree, as the chroot sees it.
		sed -i "s|^include /usr/src/|include /arm64/$ver/usr/src/|" \
			"$root.tmp/usr/src/linux-headers-$ver/Makefile" &&
		touch "$root.tmp/.msgslot-ok"
	} >>"$log" 2>&1 || { echo "could not fetch the arm64 kernel $ver (log: $log)"; return 1; }
	rm -rf "$root"
	mv "$root.tmp" "$root"
}

# ------------------------------------------------------------- debug kernel

# Debian's kernels have no KASAN, lockdep or kmemleak: build one from
# linux-source-6.12 with tinyconfig plus vm/debug.config, once. The cache
# key is the source package's version, the fragment's hash and the
# compiler's version, so a change to any of them builds a new one.
DEBUG_SOURCE=linux-source-6.12

debug_key() {
	local v h
	v=$(dpkg-query -W -f='${Version}' "$DEBUG_SOURCE" 2>/dev/null) || return 1
	h=$(cat "$top/vm/debug.config" - <<<"gcc $(gcc -dumpfullversion)" | sha256sum | cut -c1-12)
	echo "$v-$h" | tr '~+:' '___'
}

# debug_config_ok CONFIG: every line of the fragment made it into CONFIG
# (olddefconfig silently drops an option whose dependencies are missing).
debug_config_ok() {
	local line opt val bad=
	while IFS= read -r line; do
		case $line in CONFIG_*=*) ;; *) continue ;; esac
		opt=${line%%=*}
		val=${line#*=}
		if [ "$val" = n ]; then
			grep -q "^$opt=" "$1" && bad="$bad $opt"
		else
			grep -qx "$opt=$val" "$1" || bad="$bad $opt"
		fi
	done <"$top/vm/debug.config"
	[ -z "$bad" ] || { echo "debug.config: not in the result:$bad"; return 1; }
}

# debug_kernel: sets $dbg to the cached debug kernel (bzImage, config and
# a module build tree, build/), building it first if needed (about 6 min
# on 2 cores). The log is $out/debug-kernel.log.
debug_kernel() {
	local key tarball tmp src t=$SECONDS log=$out/debug-kernel.log
	key=$(debug_key) || { echo "$DEBUG_SOURCE is not installed" >"$log"; return 1; }
	dbg=$cache/debug-kernel/$key
	[ -f "$dbg/ok" ] && return 0
	tarball=$(ls /usr/src/linux-source-6.12.tar.* 2>/dev/null | head -1)
	[ -n "$tarball" ] || { echo "no /usr/src/linux-source-6.12.tar.*" >"$log"; return 1; }
	tmp=$dbg.tmp
	src=$tmp/src
	rm -rf "$tmp"
	mkdir -p "$src"
	echo "msgslot-vm: building the debug kernel $key (log: $log)" >&2
	{
		tar -xf "$tarball" -C "$src" --strip-components=1 &&
		make -C "$src" ARCH=x86_64 tinyconfig &&
		(cd "$src" && scripts/kconfig/merge_config.sh -m .config "$top/vm/debug.config") &&
		make -C "$src" ARCH=x86_64 olddefconfig &&
		debug_config_ok "$src/.config" &&
		make -C "$src" -j"$(nproc)" ARCH=x86_64 bzImage modules_prepare &&
		# modpost needs Module.symvers, which only `make modules` writes.
		make -C "$src" -j"$(nproc)" ARCH=x86_64 modules &&
		(cd "$src" && srctree=. SRCARCH=x86 CC=gcc HOSTCC=gcc MAKE=make \
			sh scripts/package/install-extmod-build "$tmp/build") &&
		cp "$src/.config" "$tmp/build/.config" &&
		cp "$src/.config" "$tmp/config" &&
		cp "$src/System.map" "$tmp/System.map" &&
		cp "$src/arch/x86/boot/bzImage" "$tmp/bzImage"
		echo "msgslot-vm: debug kernel $key built in $((SECONDS - t)) s"
	} >"$log" 2>&1 || return 1
	# The source tree with its objects is about 2 GB: keep only what
	# module builds and boots need (about 70 MB).
	rm -rf "$src"
	cat "$tmp/build/include/config/kernel.release" >"$tmp/ok"
	rm -rf "$dbg"
	mv "$tmp" "$dbg"
}

