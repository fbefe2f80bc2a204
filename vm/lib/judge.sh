# shellcheck shell=bash
# judge.sh: verdicts of vm/msgslot-vm from a boot's console: the boot
# itself (finished, complete, no kernel report, taint), the TAP blocks of
# the suite, the fuzzer's report, and the debug lane's coverage. The rules
# are vm/judge/'s (verdicts.sh and its awk programs, which the kit uses
# too, tested on saved consoles by tests/verdicts/run); these functions
# count their lines.

# shellcheck source=../judge/verdicts.sh
. "$top/vm/judge/verdicts.sh"

# judge_boot LABEL LOG RC NAME...: verdicts on one boot: it finished, its
# console is complete, no kernel report, no unexpected taint, and each
# "msgslot-result: NAME ok" line of its /init or scripts is there
# (vm/judge/boot.awk).
judge_boot() {
	local label=$1 log=$2 rc=$3
	shift 3
	count_verdicts < <(judge_boot_lines "$label" "$log" "$rc" "$VM_TIMEOUT" "$@")
}

# judge_tap VERSION BLOCK PREFIX: one verdict per TAP result of the suite
# printed between msgslot-BLOCK-begin and msgslot-BLOCK-end; a skip not
# expected fails (vm/judge/tap.awk, EXPECTED_SKIPS in vm/judge/verdicts.sh).
judge_tap() {
	count_verdicts < <(judge_tap_lines "$1" "$out/$1/console-check.log" "$2" "$3" "$out/$1/verdicts-$2")
}

# judge_fuzz LABEL LOG NAME: the fuzzer's verdict, and on a failure its
# report (the difference, the shortest failing prefix, the replay command;
# vm/judge/fuzz.awk).
judge_fuzz() {
	count_verdicts < <(judge_fuzz_lines "$1" "$2" "$3")
}

# judge_coverage VERSION: line and branch coverage of message_slot.c on
# the debug lane, from the .gcda that the guest dumped at the end of its
# run (vm/guest/init, gcov=1) and the .gcno that the build left beside the
# module, by the host's gcov (gcc 12 built the kernel and the module).
# One PASS line with the figures; every line never run, with its text, in
# $out/coverage-message_slot.txt (the annotated source beside it) and the
# first of them here; and a FAIL for each line never run that
# tests/coverage-unreachable does not list as unable to run on x86_64 (or
# as depending on a race), so a test that stops reaching a line is seen.
judge_coverage() {
	local ver=$1 dir=$out/$1 log=$out/$1/console-check.log g report allow
	local figures unrun untaken unexpected stale listed
	g=$dir/gcov
	report=$out/coverage-message_slot.txt
	allow=$top/tests/coverage-unreachable
	rm -rf "$g" "$dir/message_slot.gcda" "$report"
	mkdir -p "$g"
	# Only base64 lines: a kernel message may land between them.
	if ! sed -n '/^msgslot-gcov-begin/,/^msgslot-gcov-end/p' "$log" | tr -d '\r' |
			sed '1d;$d' | grep -E '^[A-Za-z0-9+/=]+$' | base64 -d |
			gunzip >"$dir/message_slot.gcda" 2>"$g/decode.log" ||
			[ ! -s "$dir/message_slot.gcda" ]; then
		fail "$ver coverage: no coverage data could be decoded from $log"
		return 1
	fi
	if ! (cd "$g" && gcov -b -c -o "$dir" "$dir/message_slot.c") >"$g/gcov.log" 2>&1 ||
			[ ! -s "$g/message_slot.c.gcov" ]; then
		fail "$ver coverage: gcov failed:"
		sed 's/^/    /' "$g/gcov.log"
		return 1
	fi
	cp "$g/message_slot.c.gcov" "$out/message_slot.c.gcov"
	# A .gcov line is "COUNT:LINE:SOURCE": COUNT is "-" (no code),
	# "#####" (never run) or a number (with "*" if a block of it never
	# ran). Branch lines: "branch N taken K" or "branch N never executed".
	# Unrun lines are keyed "FUNCTION: trimmed source" for the allow list,
	# FUNCTION from the source (a definition starts at column 0), since
	# gcov names only the functions that were not inlined.
	# Most branches never taken are RCU's lockdep checks (each
	# rcu_dereference*() and rcu_assign_pointer() expands to a few, taken
	# only when the check fails): counted apart.
	figures=$(awk '
		/^ *([-0-9]+\*?|#####|=====): *[0-9]+:/ { rcu = $0 ~ /rcu_|RCU_/ }
		/^function / { next }
		/^branch / {
			nb++
			if ($3 == "taken" && $4 + 0 > 0) tb++
			else if (rcu) nr++
			next
		}
		/^ *(#####|=====|[0-9]+\*?):/ { n++; if ($1 !~ /^(#####|=====):/) r++ }
		END { printf "lines %.1f%% (%d/%d), branches %.1f%% (%d/%d taken at least once; %d of the %d never taken are RCU lockdep checks)",
			n ? 100 * r / n : 0, r, n, nb ? 100 * tb / nb : 0, tb, nb, nr, nb - tb }' "$g/message_slot.c.gcov")
	# The other branches never taken, by line, for the report.
	untaken=$(awk '
		function flush() { if (miss && src !~ /rcu_|RCU_/) printf "message_slot.c:%d: %s (%d of %d never taken)\n", line, src, miss, tot }
		/^ *([-0-9]+\*?|#####|=====): *[0-9]+:/ {
			flush(); split($0, f, ":"); line = f[2] + 0
			src = substr($0, index($0, f[2] ":") + length(f[2]) + 1)
			gsub(/^[ \t]+|[ \t]+$/, "", src); miss = tot = 0; next
		}
		/^branch / { tot++; if (!($3 == "taken" && $4 + 0 > 0)) miss++ }
		END { flush() }' "$g/message_slot.c.gcov")
	unrun=$(awk '
		/^ *([-0-9]+\*?|#####|=====): *[0-9]+:/ {
			split($0, f, ":"); line = f[2] + 0
			src = substr($0, index($0, f[2] ":") + length(f[2]) + 1)
			if (line > 0 && src ~ /^[A-Za-z_].*[A-Za-z0-9_]\(/ && src !~ /;[ \t]*$/) {
				fn = src; sub(/\(.*/, "", fn); sub(/.*[^A-Za-z0-9_]/, "", fn)
			}
			if (f[1] !~ /(#####|=====)$/)
				next
			key = src; gsub(/^[ \t]+|[ \t]+$/, "", key)
			printf "message_slot.c:%d: %s\037%s: %s\n", line, key, fn, key
		}' "$g/message_slot.c.gcov")
	{
		echo "debug coverage message_slot.c: $figures"
		echo "lines never run: $(grep -c . <<<"$unrun") (annotated source: $out/message_slot.c.gcov)"
		cut -d $'\037' -f1 <<<"$unrun"
		echo
		echo "branches never taken, outside RCU's lockdep checks:"
		echo "$untaken"
	} >"$report"
	pass "$ver coverage message_slot.c: $figures"
	if [ -n "$unrun" ]; then
		echo "    lines never run (all in $report):"
		cut -d $'\037' -f1 <<<"$unrun" | head -15 | sed 's/^/    /'
	fi
	# The allow list: "FUNCTION: source" lines; "#" lines say why.
	unexpected=$(cut -d $'\037' -f2 <<<"$unrun" | grep -vxF -f <(grep -v '^#' "$allow" | sed '/^$/d') | sed '/^$/d')
	stale=$(grep -v '^#' "$allow" | sed '/^$/d' | grep -vxF -f <(cut -d $'\037' -f2 <<<"$unrun" | sed '/^$/d'))
	if [ -n "$unexpected" ]; then
		fail "$ver coverage_every_line_that_can_run: never run, and not in tests/coverage-unreachable:"
		grep -F -f <(echo "$unexpected") <<<"$unrun" | cut -d $'\037' -f1 | sed 's/^/    /'
	else
		pass "$ver coverage_every_line_that_can_run"
	fi
	# A listed line that ran is not proof of an error (a race may have
	# happened): say so, without failing.
	if [ -n "$stale" ]; then
		echo "    listed in tests/coverage-unreachable, yet ran this time:"
		mapfile -t listed <<<"$stale"
		printf '      %s\n' "${listed[@]}"
	fi
}

