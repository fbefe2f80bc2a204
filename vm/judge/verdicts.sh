# shellcheck shell=bash
# vm/judge/verdicts.sh: the rules that turn a VM's console into verdicts,
# and verdicts into grades, as functions with their inputs named; sourced
# by vm/msgslot-vm (so by vm/msgslot-kit too) and by tests/verdicts/run,
# which checks every rule against saved consoles with no VM. Each rule is
# an awk program beside this file (awk -f); these functions only feed it.
# Nothing here counts or prints a verdict of the run itself: the judges
# print "PASS ...", "FAIL ..." and "SKIP ..." lines (with indented detail
# lines) that the caller counts.

judge_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Kernel reports that fail a run, wherever they appear on the console (an
# extended regex, for grep -E and awk alike; the awk programs read it from
# their environment, JUDGE_REPORTS, where no awk rewrites its backslashes
# as it does those of -v). The kit's guests get it too (KIT_REPORTS in
# their kit.conf).
REPORTS='BUG:|kernel BUG at|WARNING:|Oops|\] RIP: |Call Trace|general protection fault|Kernel panic|KASAN|UBSAN|kmemleak:.*new suspected|unreferenced object|circular locking|recursive locking|inconsistent lock state|sleeping function called|scheduling while atomic|soft lockup|hard LOCKUP|blocked for more than|rcu: INFO|self-detected stall|list_add corruption|list_del corruption'

# Taint bits expected from loading an unsigned out-of-tree module:
# O (4096, out-of-tree) and E (8192, unsigned).
TAINT_OK=$((4096 | 8192))

# A skip hides a whole test, so only these are accepted; any other fails.
# The censor_* cases skip in a run of the classic module with exactly this
# reason (slot_test --censor 0), whatever the lane's prefix.
EXPECTED_SKIPS=("m32 ext_ioctl_id_above_32_bits_einval_keeps_channel")
CENSOR_SKIP="not a censorship build (--censor 0)"

# ------------------------------------------------------- vm/msgslot-vm

# judge_boot_lines LABEL LOG RC TIMEOUT NAME...: one boot: it finished
# (QEMU status RC: 99 when /init finished, 124 on a timeout of TIMEOUT
# seconds), its console LOG is complete, no kernel report, no unexpected
# taint, and each "msgslot-result: NAME ok" line is there.
judge_boot_lines() {
	local label=$1 log=$2 rc=$3 timeout=$4
	shift 4
	# (Through cat: a console that cannot be read is judged as an empty one.)
	cat -- "$log" | JUDGE_REPORTS=$REPORTS awk -v label="$label" -v console="$log" \
		-v rc="$rc" -v timeout="$timeout" -v taint_ok="$TAINT_OK" -v names="$*" \
		-f "$judge_dir/boot.awk"
}

# judge_tap_lines LABEL LOG BLOCK PREFIX [RAW]: a verdict per TAP result of
# the suite printed between msgslot-BLOCK-begin and msgslot-BLOCK-end in
# LOG, each named "LABEL PREFIXcase"; a skip not in EXPECTED_SKIPS (or a
# censor_* one for another reason than CENSOR_SKIP) fails. RAW, if given,
# gets the TAP results as PASS/FAIL lines before the skips are judged.
judge_tap_lines() {
	cat -- "$2" | awk -v label="$1" -v console="$2" -v block="$3" -v pre="$4" \
		-v raw="${5:-}" -v expected="$(printf '%s\n' "${EXPECTED_SKIPS[@]}")" \
		-v censor_skip="$CENSOR_SKIP" -f "$judge_dir/tap.awk"
}

# judge_fuzz_lines LABEL LOG NAME: the fuzzer NAME's verdict (fuzz or
# fuzz32), and on a failure its report.
judge_fuzz_lines() {
	cat -- "$2" | awk -v label="$1" -v name="$3" -f "$judge_dir/fuzz.awk"
}

# ------------------------------------------------------- vm/msgslot-kit

# judge_console LOG RC: one kit boot's console (vm/guest/kit-init), a line per
# case that got a verdict, then how the boot ended (see console.awk).
judge_console() {
	tr -d '\r' <"$1" | JUDGE_REPORTS=$REPORTS awk -v rc="$2" -f "$judge_dir/console.awk"
}

# judge_fold RESULTS PARSED CASES LEFT: the verdicts of one more boot
# (PARSED, from judge_console) folded into RESULTS ("BITS<TAB>NAME<TAB>
# VERDICT<TAB>DETAIL"), and the cases of CASES ("BITS NAME") still to run
# in LEFT. Prints "next" when another boot must run the cases left, or
# "stop" (none left, or none can run: the module did not load, no ioctl
# command works, the boot died before any case), then "noioctl REASON"
# when no command worked.
judge_fold() {
	awk -F'\t' -v results="$1.new" -v left="$4" -f "$judge_dir/fold.awk" "$1" "$2" "$3" &&
		mv "$1.new" "$1"
}

# judge_kit_boot LOG RC PARSED RESULTS CASES LEFT NOIOCTL: one boot of the
# kit judged (judge_console, into PARSED) and folded into RESULTS
# (judge_fold); NOIOCTL written when no command worked. Succeeds when
# another boot must run the cases left in LEFT.
judge_kit_boot() {
	local fold
	# (A console that cannot be read judges as an empty one: the VM
	# ended before any case.)
	judge_console "$1" "$2" >"$3"
	fold=$(judge_fold "$4" "$3" "$5" "$6") || return 1
	case $fold in
	*$'\n'"noioctl "*) printf '%s\n' "${fold#*$'\n'noioctl }" >"$7" ;;
	esac
	[ "${fold%%$'\n'*}" = next ]
}

# judge_leak LOG RC: the leak boot's two cases, "NAME<TAB>VERDICT<TAB>
# DETAIL" (see leak.awk).
judge_leak() {
	tr -d '\r' <"$1" | JUDGE_REPORTS=$REPORTS awk -v rc="$2" -f "$judge_dir/leak.awk" | cut -c1-1200
}

# judge_profile_status TABLE PROFILE: for each case name on stdin,
# "NAME<TAB>STATUS<TAB>CLASS" under PROFILE of TABLE (profiles.awk).
judge_profile_status() {
	awk -F'\t' -v p="$2" -f "$judge_dir/profiles.awk" -f "$judge_dir/profile-status.awk" "$1" -
}

# judge_status_map TABLE PROFILE...: for each case name on stdin and each
# PROFILE, "PROFILE<TAB>BITS<TAB>NAME<TAB>STATUS" for the 64- and the
# 32-bit runs (STATUS graded, reported, na; a name TABLE lacks is graded,
# so that nothing drops silently).
judge_status_map() {
	local table=$1 names
	shift
	names=$(cat)
	echo "$names" | awk -F'\t' -v profs="$*" -f "$judge_dir/profiles.awk" \
		-f "$judge_dir/status-map.awk" "$table" -
}

# judge_tally WORK: "P pass, F fail, ..." over WORK/results.
judge_tally() {
	awk -F'\t' -f "$judge_dir/tally.awk" "$1/results"
}

# judge_score TABLE WORK: "P/T = X%" over WORK's graded cases, under its
# profile (WORK/profile, default classic).
judge_score() {
	local p
	p=$(cat "$2/profile" 2>/dev/null || echo classic)
	cut -f3 "$2/results" | sort -u | judge_status_map "$1" "$p" |
		awk -F'\t' -f "$judge_dir/grade-rules.awk" -f "$judge_dir/score.awk" - "$2/results"
}

# judge_grades TABLE ROOT OUTDIR: OUTDIR/grades.csv and OUTDIR/grades.md
# from ROOT/*/results (and each submission's profile, summary, seconds
# and noioctl files).
judge_grades() {
	local table=$1 root=$2 o=$3 profs
	profs=$(cat "$root"/*/profile 2>/dev/null | sort -u)
	# shellcheck disable=SC2086 # profile names are words
	cat "$root"/*/results | cut -f3 | sort -u | judge_status_map "$table" ${profs:-classic} >"$o/.status"
	awk -F'\t' -v csv="$o/grades.csv" -v md="$o/grades.md" -v root="$root" \
		-f "$judge_dir/grade-rules.awk" -f "$judge_dir/grades.awk" "$o/.status" "$root"/*/results
	rm -f "$o/.status"
}
