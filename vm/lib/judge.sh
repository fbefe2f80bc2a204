# shellcheck shell=bash
# judge.sh: verdicts of vm/msgslot-vm from a boot's console: the boot
# itself (finished, complete, no kernel report, taint), the TAP blocks of
# the suite, the fuzzer's report, and the debug lane's coverage.

# judge_boot LABEL LOG RC NAME...: verdicts on one boot: it finished, its
# console is complete, no kernel report, no unexpected taint, and each
# "msgslot-result: NAME ok" line of its /init or scripts is there.
judge_boot() {
	local ver=$1 log=$2 rc=$3 name taint line
	shift 3

	# Hang or crash first: they explain any missing result below.
	case $rc in
	99) pass "$ver vm_finishes" ;;
	124) fail "$ver vm_finishes: no result within ${VM_TIMEOUT}s (hang); console: $log" ;;
	*) fail "$ver vm_finishes: QEMU exited $rc before /init finished (panic or reboot); console: $log" ;;
	esac

	# The scan is only as good as the dmesg dump is complete.
	if ! grep -q '^msgslot-dmesg-end' "$log" || ! grep -q '^msgslot-done' "$log"; then
		fail "$ver console_complete: the guest's output stops before its end (no dmesg dump or end marker)"
	fi
	if grep -aqE "$REPORTS" "$log"; then
		fail "$ver no_kernel_report: the kernel reported:"
		grep -anE -A12 "$REPORTS" "$log" | head -40 | sed 's/^/    /'
	else
		pass "$ver no_kernel_report"
	fi

	taint=$(sed -n 's/^msgslot-tainted: \([0-9]*\).*/\1/p' "$log" | tail -1)
	if [ -z "$taint" ]; then
		fail "$ver taint_clean: no taint value reported"
	elif [ $((taint & ~TAINT_OK)) -ne 0 ]; then
		fail "$ver taint_clean: /proc/sys/kernel/tainted is $taint (only 4096|8192 expected)"
	else
		pass "$ver taint_clean ($taint)"
	fi

	for name in "$@"; do
		line=$(grep -a "^msgslot-result: $name " "$log" | tail -1 | tr -d '\r')
		case $line in
		*" $name ok") pass "$ver $name" ;;
		"") fail "$ver $name: no result" ;;
		*) fail "$ver $name: ${line#msgslot-result: $name fail }" ;;
		esac
	done
}

# A skip hides a whole test, so only these are accepted; any other fails.
# The censor_* cases skip in a run of the classic module with exactly this
# reason (slot_test --censor 0), whatever the lane's prefix.
EXPECTED_SKIPS=("m32 ext_ioctl_id_above_32_bits_einval_keeps_channel")
CENSOR_SKIP="not a censorship build (--censor 0)"
is_expected_skip() {
	local name=${1%% # SKIP *} reason=${1#* # SKIP } e
	case ${name##* } in
	censor_*) [ "$reason" = "$CENSOR_SKIP" ] && return 0 ;;
	esac
	for e in "${EXPECTED_SKIPS[@]}"; do
		[ "$name" = "$e" ] && return 0
	done
	return 1
}

# judge_tap VERSION BLOCK PREFIX: one verdict per TAP result of the suite
# printed between msgslot-BLOCK-begin and msgslot-BLOCK-end.
judge_tap() {
	local ver=$1 log=$out/$1/console-check.log tap plan results line status
	tap=$(sed -n "/^msgslot-$2-begin/,/^msgslot-$2-end/p" "$log" | tr -d '\r')
	if [ -z "$tap" ]; then
		fail "$ver ${3}suite: no TAP output (see $log)"
		return
	fi
	plan=$(echo "$tap" | sed -n 's/^1\.\.\([0-9]*\)$/\1/p' | head -1)
	results=$(echo "$tap" | grep -cE '^(not )?ok [0-9]+ ')
	if [ -z "$plan" ] || [ "$results" -ne "$plan" ]; then
		fail "$ver ${3}suite_complete: ${results} results for a plan of ${plan:-none}"
	fi
	# The suite's own verdict must agree (it fails a test with no check).
	status=$(echo "$tap" | sed -n 's/^msgslot-suite-exit: //p')
	[ "$status" = 0 ] || fail "$ver ${3}suite_exit: slot_test exited ${status:-nothing}"
	echo "$tap" | awk -v pre="$ver $3" '
		function flush() { if (name != "") print (ok ? "PASS " : "FAIL ") pre name diag; name = "" }
		/^ok [0-9]+ / { flush(); ok = 1; name = $0; sub(/^ok [0-9]+ /, "", name); diag = ""; next }
		/^not ok [0-9]+ / { flush(); ok = 0; name = $0; sub(/^not ok [0-9]+ /, "", name); diag = ""; next }
		/^#/ && name != "" && !ok { diag = diag "\n    " $0; next }
		END { flush() }' >"$out/$ver/verdicts-$2"
	while IFS= read -r line; do
		case $line in
		PASS*"# SKIP "*)
			if is_expected_skip "${line#PASS $ver }"; then
				skip "${line#PASS }"
			else
				fail "${line#PASS } (this skip is not expected here)"
			fi ;;
		PASS*) pass "${line#PASS }" ;;
		FAIL*) fail "${line#FAIL }" ;;
		*) echo "$line" ;;
		esac
	done <"$out/$ver/verdicts-$2"
}

# judge_fuzz LABEL LOG NAME: the fuzzer's verdict, and on a failure its
# report (the difference, the shortest failing prefix, the replay command).
judge_fuzz() {
	local line report
	line=$(grep -a "^msgslot-result: $3 " "$2" | tail -1 | tr -d '\r')
	report=$(sed -n "/^msgslot-$3-begin/,/^msgslot-$3-end/p" "$2" | tr -d '\r')
	case $line in
	*" $3 ok")
		pass "$1 $3 ($(echo "$report" | sed -n 's/^fuzz: \(seed .*, OK\)$/\1/p' | tail -1))" ;;
	"") fail "$1 $3: no result" ;;
	*)
		fail "$1 $3: ${line#msgslot-result: $3 fail }:"
		# The minimized failure with its last operations, else the tail.
		if echo "$report" | grep -q '^fuzz: the failure with'; then
			echo "$report" | sed -n '/^fuzz: the failure with/,$p' | head -40
		else
			echo "$report" | tail -25
		fi | sed 's/^/    /' ;;
	esac
}

# judge_coverage VERSION: line and branch coverage of message_slot.c on
# the debug lane, from the .gcda that the guest dumped at the end of its
# run (vm/init, gcov=1) and the .gcno that the build left beside the
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

