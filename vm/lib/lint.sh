# shellcheck shell=bash
# lint.sh: the static checks of `make lint` (and of every check run):
# checkpatch and sparse on the module, the programs' and the suite's
# compiler warnings, cppcheck, the man pages.

checkpatch_dir() {
	local d=$cache/checkpatch src
	if [ ! -x "$d/scripts/checkpatch.pl" ]; then
		src=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -1)
		[ -n "$src" ] || return 1
		mkdir -p "$d"
		tar -xJf "$src" -C "$d" --strip-components=1 --wildcards \
			'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
			'*/scripts/const_structs.checkpatch' || return 1
	fi
	echo "$d"
}

lint() {
	local d f tmp ver out_log srcs
	if d=$(checkpatch_dir); then
		if out_log=$(cd "$top" && perl "$d/scripts/checkpatch.pl" --no-tree --strict -f \
				message_slot.c message_slot.h tests/busy_major/busy_major.c 2>&1); then
			pass "lint checkpatch --strict"
		else
			fail "lint checkpatch --strict:"
			echo "$out_log" | sed 's/^/    /'
		fi
	else
		fail "lint checkpatch: no linux-source tarball in /usr/src"
	fi

	for f in message_sender message_reader; do
		tmp=$(mktemp -d)
		cp "$top/$f.c" "$top/message_slot.h" "$tmp/"
		# And in the censorship terms' form (make CENSOR=4).
		for cen in 0 4; do
			if out_log=$(tests_make SRC="$tmp" O="$tmp" BITS= CFLAGS=-O3 STATIC= \
					CENSOR=$cen "$f" 2>&1) && [ -z "$out_log" ]; then
				pass "lint $f builds alone without warning (CENSOR=$cen)"
			else
				fail "lint $f builds alone without warning (CENSOR=$cen):"
				echo "$out_log" | sed 's/^/    /'
			fi
		done
		rm -rf "$tmp"
	done
	tmp=$(mktemp -d)
	printf '#include "message_slot.h"\nint main(void) { return MSG_SLOT_CHANNEL != 0 ? 0 : 1; }\n' >"$tmp/h.c"
	cp "$top/message_slot.h" "$tmp/"
	if out_log=$(gcc -O3 -Wall -Wextra -std=c11 -o "$tmp/h" "$tmp/h.c" 2>&1) && [ -z "$out_log" ]; then
		pass "lint header compiles in user space without warning"
	else
		fail "lint header compiles in user space without warning:"
		echo "$out_log" | sed 's/^/    /'
	fi
	rm -rf "$tmp"

	# Static analysis of the user-space code: the programs and the suite.
	read -ra srcs < <(tests_make sources)
	if out_log=$(cd "$top" && cppcheck --quiet --enable=warning,style,performance,portability \
			--std=c11 --error-exitcode=1 -I. message_sender.c message_reader.c \
			"${srcs[@]/#/tests/}" 2>&1) && [ -z "$out_log" ]; then
		pass "lint cppcheck programs and tests"
	else
		fail "lint cppcheck programs and tests:"
		echo "$out_log" | sed 's/^/    /'
	fi

	# The man pages render without a single groff warning.
	for f in "$top"/man/*.[1-9]; do
		if out_log=$(groff -man -ww -z "$f" 2>&1) && [ -z "$out_log" ] &&
				[ -s "$f" ]; then
			pass "lint man page ${f##*/} renders without warning"
		else
			fail "lint man page ${f##*/} renders without warning:${out_log:- empty page}"
			echo "$out_log" | sed 's/^/    /'
		fi
	done

	for line in $KERNELS; do
		ver=$(kernel_version "$line")
		[ -n "$ver" ] || { fail "lint sparse $line: kernel not installed"; continue; }
		copy_module_sources "$out/sparse-$ver"
		out_log=$(make -C "/lib/modules/$ver/build" M="$out/sparse-$ver" C=2 CHECK=sparse modules 2>&1)
		if [ $? -ne 0 ]; then
			fail "lint sparse $ver: build failed"
			echo "$out_log" | tail -15 | sed 's/^/    /'
		elif echo "$out_log" | grep -qE 'warning:|error:'; then
			fail "lint sparse $ver:"
			echo "$out_log" | grep -E 'warning:|error:' | sed 's/^/    /'
		else
			pass "lint sparse $ver"
		fi
	done
	lint_shell
}


# shell_scripts: every shell script of the project, relative to $top: the
# files with a sh or bash first line, and the sourced ones (*.sh).
shell_scripts() {
	(cd "$top" && find .ci vm tests -type f \( -name '*.sh' -o -perm -u+x \) 2>/dev/null |
		while read -r f; do
			case $f in *.sh) echo "${f#./}"; continue ;; esac
			head -1 "$f" | grep -qE '^#!.*[/ ](ba|busybox |da)?sh( |$)' && echo "${f#./}"
		done | sort)
}

# lint_shell: shellcheck (Debian's package) on every script, warnings and
# errors (its style notes are not failures). The entry points are checked
# with the files they source (-x); a sourced file alone also gets SC2034
# and SC2154 off: its variables are set or read by the files that source
# it (vm/msgslot-vm and vm/msgslot-kit read those checks whole).
lint_shell() {
	local f files=() sourced=() out_log
	command -v shellcheck >/dev/null || { fail "lint shellcheck: not installed (vm/msgslot-vm deps)"; return; }
	while read -r f; do
		case $f in
		*.sh) sourced+=("$f") ;;
		*) files+=("$f") ;;
		esac
	done < <(shell_scripts)
	if out_log=$(cd "$top" && shellcheck -x -S warning "${files[@]}" 2>&1 &&
			shellcheck -x -S warning -e SC2034,SC2154 "${sourced[@]}" 2>&1); then
		pass "lint shellcheck (${#files[@]} scripts, ${#sourced[@]} sourced files)"
	else
		fail "lint shellcheck:"
		echo "$out_log" | sed 's/^/    /'
	fi
}
