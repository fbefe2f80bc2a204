# shellcheck shell=bash
# vm/kit/selftest.sh: the kit's own tests that need no submission: make
# profile-test (the profile table, the header reading) and make
# sandbox-test (hostile builds and archives, shards merged).
# Sourced by vm/msgslot-kit.

# profile-test: the table must refuse a case it does not name. A copy of
# tests/kit/profiles.tsv without one case line (and one without a
# profile) must fail profile_check; the table itself must pass it for
# every profile, and give each profile's graded cases.
cmd_profile_test() {
	local d names p victim n
	d=$(mktemp -d)
	tests_make O="$d" slot_test ||
		die "could not build slot_test"
	names=$d/names
	"$d/slot_test" -l >"$names"
	while read -r p; do
		if profile_check "$p" "$names" 2>"$d/err"; then
			n=$(profile_status "$p" <"$names" | awk -F'\t' '{ n[$2]++ } END { printf "%d graded, %d reported, %d not run", n["graded"], n["reported"], n["na"] }')
			pass "profile $p names every case: $n (64-bit; the 32-bit runs are reported)"
		else
			fail "profile $p: $(tr '\n' ' ' <"$d/err")"
		fi
	done < <(awk -F'\t' '$1 == "profile" { print $2 }' "$profiles")
	# A case the table does not name (a new test): the kit must refuse.
	victim=$(grep -v '^ext_\|^concurrent_' "$names" | head -1)
	grep -vP "^case\t$victim\t" "$profiles" >"$d/missing.tsv"
	if profile_check classic "$names" "$d/missing.tsv" 2>"$d/err"; then
		fail "profile-test: a table without $victim was accepted"
	elif grep -q "no class for case $victim" "$d/err"; then
		pass "profile-test: a table without $victim is refused: $(head -1 "$d/err")"
	else
		fail "profile-test: a table without $victim was refused for another reason: $(head -1 "$d/err")"
	fi
	# An unknown profile, and a class nobody declared.
	if profile_check spring-2099 "$names" 2>"$d/err"; then
		fail "profile-test: PROFILE=spring-2099 was accepted"
	else
		pass "profile-test: PROFILE=spring-2099 is refused: $(head -1 "$d/err")"
	fi
	sed 's/^case\tconcurrent_\*\tconcurrency$/case\tconcurrent_*\tconcurency/' "$profiles" >"$d/typo.tsv"
	if profile_check classic "$names" "$d/typo.tsv" 2>"$d/err"; then
		fail "profile-test: a case line with an undeclared class was accepted"
	else
		pass "profile-test: an undeclared class is refused: $(head -1 "$d/err")"
	fi
	# An exact name wins over a pattern; a pattern covers a new case.
	n=$(printf 'censor_mode_2_einval\ncensor_some_new_case\nconcurrent_new_one\n' | profile_status censor-4 | cut -f2 | tr '\n' ' ')
	if [ "$n" = "reported graded reported " ]; then
		pass "profile-test: censor-4 grades censor_some_new_case, reports censor_mode_2_einval and concurrent_new_one"
	else
		fail "profile-test: censor-4 statuses of censor_mode_2_einval, censor_some_new_case, concurrent_new_one: $n"
	fi
	n=$(printf 'censor_x\nioctl_set_cen_unknown_when_classic\nleak_file_memory_freed_on_close\n' | profile_status classic | cut -f2 | tr '\n' ' ')
	if [ "$n" = "na graded reported " ]; then
		pass "profile-test: classic does not run censor_*, grades ioctl_set_cen_unknown_when_classic, reports leak_file_memory_freed_on_close"
	else
		fail "profile-test: classic statuses: $n"
	fi
	ioctl_test "$d"
	rm -rf "$d"
	summary
}

# ioctl_test DIR: ioctl_of on headers as real submissions write them; each
# must give exactly the candidates a careful grader would try (KIND NAME
# NUMBER, in order). Needs bwrap (the sandbox), no VM.
ioctl_test() {
	local d=$1 t want got
	command -v bwrap >/dev/null || { skip "ioctl candidates: bwrap is missing"; return 0; }
	mkdir -p "$d/h/renamed" "$d/h/no-include" "$d/h/typo" "$d/h/raw"
	# A name of its own, a censorship command of its own name, major 240
	# without <linux/ioctl.h>, an _IO command, and a buffer size of 256
	# (_IO(1, 0) by value, but no command).
	printf '%s\n' '#define MAJOR_NUMBER 240' '#define BUF_LEN 256' \
		'#define IOCTL_SET_MSG_SLOT_CHANNEL _IOW(MAJOR_NUMBER, 0, unsigned int)' \
		'#define SET_CEN_MODE _IOW(MAJOR_NUMBER, 1, unsigned int)' \
		'#define OTHER _IO(MAJOR_NUMBER, 0)' >"$d/h/no-include/message_slot.h"
	printf '%s\n' '#include <linux/ioctl.h>' '#define MAJOR_NUM 235' \
		'#define MSG_SLOT_CHANNEL_UL _IOW(MAJOR_NUM, 0, unsigned long)' \
		'#define IOCTL_SET_MSG_SLOT_CHANNEL _IOW(MAJOR_NUM, 0, unsigned int)' \
		'#define MSG_SLOT_CHANNEL IOCTL_SET_MSG_SLOT_CHANNEL' >"$d/h/renamed/message_slot.h"
	# No valid C (a struct the programs never use): the macro still counts.
	printf '%s\n' '#include <linux/ioctl.h>' '#define MSG_SLOT_CHANNEL _IOW(235, 0, unsigned long)' \
		'struct ch { char[128] message; };' >"$d/h/typo/message_slot.h"
	printf '%s\n' '#define MSG_SLOT_CHANNEL 0x4004eb00' '#define NAME "message_slot"' >"$d/h/raw/message_slot.h"
	for t in no-include renamed typo raw; do
		case $t in
		no-include) want="channel IOCTL_SET_MSG_SLOT_CHANNEL 1074065408,channel OTHER 61440,cen SET_CEN_MODE 1074065409," ;;
		renamed) want="channel MSG_SLOT_CHANNEL 1074064128,channel MSG_SLOT_CHANNEL_UL 1074326272," ;;
		typo) want="channel MSG_SLOT_CHANNEL 1074326272," ;;
		raw) want="channel MSG_SLOT_CHANNEL 1074064128," ;;
		esac
		ioctl_of "$d/h/$t" "$d/w-$t"
		got=$(sort -s -t$'\t' -k1,1r "$d/w-$t/ioctl-candidates" | cut -f1-3 | tr '\t\n' ' ,' | sed 's/ ,/,/g')
		if [ "$got" = "$want" ]; then
			pass "ioctl candidates of a header ($t): $got"
		else
			fail "ioctl candidates of a header ($t): got '$got', want '$want'"
		fi
	done
}

# --------------------------------------------------------------- sandbox

# A hostile submission (tests/kit/NAME) must fail to build, and nothing
# outside its copy may change: escape-write writes a marker above its copy,
# in /tmp, /root, / and /dev/shm; escape-net connects to a listener of ours
# on the host's loopback and to an outside address; endless-build never
# ends and must be stopped by the time limit (KIT_BUILD_TIMEOUT=20 here).
SANDBOX_MARKERS="/tmp/kit-escaped /root/kit-escaped /kit-escaped /dev/shm/kit-escaped"
cmd_sandbox_test() {
	local t name w k m f leaked listener t0 secs
	command -v bwrap >/dev/null || deps
	k=$(kernel_version 6.12)
	for t in "$top"/tests/kit/*/; do
		name=$(basename "$t")
		w=$(mktemp -d)
		fresh_copy "$t" "$w/src"
		rm -f $SANDBOX_MARKERS "$w/connected"
		# A listener on the host's loopback: a connection is written down.
		python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 47123)); s.listen(1); s.settimeout(60)
try:
    c, _ = s.accept(); open(sys.argv[1], "w").write("connected\n")
except OSError:
    pass' "$w/connected" &
		listener=$!
		sleep 0.5
		t0=$(date +%s)
		KIT_BUILD_TIMEOUT=20 "$kit_dir/sandbox" "$w/src" \
			make KDIR="/lib/modules/${k:-none}/build" </dev/null >"$w/log" 2>&1
		m=$?
		secs=$(( $(date +%s) - t0 ))
		kill "$listener" 2>/dev/null
		wait "$listener" 2>/dev/null
		leaked=
		for f in $SANDBOX_MARKERS "$w/kit-escaped" "$w/connected"; do
			[ -e "$f" ] && leaked="$leaked $f"
		done
		if [ -n "$leaked" ]; then
			fail "sandbox $name: it got out:$leaked"
		elif [ "$m" -eq 0 ]; then
			fail "sandbox $name: its build succeeded; log:"
			sed 's/^/    /' "$w/log"
		elif [ "$m" -eq 124 ]; then
			pass "sandbox $name: stopped by the time limit after ${secs}s"
		else
			pass "sandbox $name: refused, build failed (make exited $m):"
			grep -E 'Read-only|denied|unreachable|refused|No such|Terminated' "$w/log" |
				sort -u | head -8 | sed 's/^/    /'
		fi
		rm -rf "$w"
	done
	sandbox_archives_test
	summary
}

# Stand-ins for the VM part of grading, for sandbox_archives_test: a
# two-case suite, and a kit_run whose results say whether it was given the
# sources, and which: a fail that quotes message_slot.c's last line (each
# test submission's own mark), so that a mix-up between submissions shows.
# No detail depends on where it ran.
fake_kit_prepare() {
	mkdir -p "$kit/suite"
	printf '64 sources_found\n64 source_mark\n' >"$(suite_cases)"
	printf '64 ext_fake\n' >"$kit/suite/skipped-$KIT_PROFILE"
}
fake_kit_run() {
	local v=fail
	rm -rf "$3"
	mkdir -p "$3"
	: >"$3/summary"
	[ -f "$2/message_slot.c" ] && [ -f "$2/message_sender.c" ] && v=pass
	{
		printf 'fake\t64\tsources_found\t%s\tin %s\n' "$v" "${2##*/}"
		printf 'fake\t64\tsource_mark\tfail\t%s\n' "$(tail -1 "$2/message_slot.c" 2>/dev/null)"
		printf -- '-\t64\text_fake\tskip\tnot run\n'
	} >"$3/results"
}

# fake_grade GRADES [SHARD] [SUBS]: the real cmd_grade (listing, unpacking
# in the sandbox, sharding, write_grades) on SUBS, with the fakes above.
fake_grade() {
	(
		kit=$w/kit KERNELS=6.12 JOBS=2 GRADES=$1 SHARD=${2:-}
		# shellcheck disable=SC2317 # called by cmd_grade
		kit_prepare() { fake_kit_prepare; }
		# shellcheck disable=SC2317
		kit_run() { fake_kit_run "$@"; }
		cmd_grade "${3:-$w/subs}"
	) >"$1.log" 2>&1
}

# sandbox_archives_test: submissions as graders get them (tests/kit/
# make-archives.py): the good ones found whatever their layout, and a
# folder whose name holds spaces one submission; the hostile archives
# refused, each a build failure of its own, with nothing written outside
# its folder. Then the same submissions graded in two parts side by side
# and merged must give the very grades.csv and grades.md of one run.
# Grading is faked (no VM); all the rest is the kit's own code.
sandbox_archives_test() {
	local w a why r got n1 n2
	w=$(mktemp -d)
	rm -f /tmp/kit-escaped-*
	python3 "$top/tests/kit/make-archives.py" "$top" "$w/subs" ||
		{ fail "sandbox archives: could not make the test archives"; return; }
	fake_grade "$w/one"
	for a in "traversal:a path outside its folder: ../kit-escaped-up" \
		"symlink-out:a symbolic link pointing outside: up -> .." \
		"bomb:more than 64 MB unpacked"; do
		why=${a#*:}
		r=$w/one/grades/${a%%:*}/results
		got=$(grep -v '^-' "$r" 2>/dev/null | cut -f4,5 | sort -u)
		if [ "$(echo "$got" | wc -l)" = 1 ] && [[ $got == build-failed$'\t'*"$why"* ]]; then
			pass "sandbox archive ${a%%:*}: refused, every case build-failed: ${got#*$'\t'}"
		else
			fail "sandbox archive ${a%%:*}: expected every case build-failed with \"$why\", got: $got"
		fi
	done
	got=$(find "$w" /tmp -name 'kit-escaped*' 2>/dev/null | sort -u)
	if [ -z "$got" ]; then
		pass "sandbox archives: nothing written outside (no kit-escaped* in /tmp or the grading folder)"
	else
		fail "sandbox archives: written outside: $(echo "$got" | tr '\n' ' ')"
	fi
	got=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) { h = $i; gsub(/"/, "", h); c[h] = i }; next } { print $1 "," $c["sources_found"] "," $c["source_mark"] }' "$w/one/grades.csv" | tr -d '"')
	if [ "$got" = "$(printf '%s\n' \
		'Student_One_111_assignsubmission_file_,pass,fail [fake]: /* test submission 111 */' \
		'Student_Two_222_assignsubmission_file_,pass,fail [fake]: /* test submission 222 */' \
		'bomb,build-failed,build-failed' \
		'ex3_333,pass,fail [fake]: /* test submission 333 */' \
		'nested_555,pass,fail [fake]: /* test submission 555 */' \
		'plain_444,pass,fail [fake]: /* test submission 444 */' \
		'symlink-out,build-failed,build-failed' \
		'traversal,build-failed,build-failed')" ]; then
		pass "sandbox archives: 8 submissions, each found and graded on its own sources (zip, tar.gz, a folder holding one, a level or two down)"
	else
		fail "sandbox archives: grades.csv's rows: $(echo "$got" | tr '\n' ' ')"
	fi

	fake_grade "$w/part1" 1/2 & fake_grade "$w/part2" 2/2 & wait
	n1=$(find "$w/part1/grades" -name results | wc -l)
	n2=$(find "$w/part2/grades" -name results | wc -l)
	if [ "$n1" -gt 0 ] && [ "$n2" -gt 0 ] && [ $((n1 + n2)) = 8 ] &&
			GRADES=$w/merged cmd_grade_merge "$w/part1" "$w/part2" >"$w/merge.log" 2>&1 &&
			cmp -s "$w/one/grades.csv" "$w/merged/grades.csv" &&
			cmp -s "$w/one/grades.md" "$w/merged/grades.md"; then
		pass "shards: parts of $n1 and $n2 submissions, graded side by side and merged, give one run's grades.csv and grades.md"
	else
		fail "shards: parts of $n1 and $n2, merged, differ from one run: $(tail -1 "$w/merge.log" 2>/dev/null)"
		diff "$w/one/grades.csv" "$w/merged/grades.csv" | head -5
	fi
	if (GRADES=$w/merged-half cmd_grade_merge "$w/part1") >"$w/half.log" 2>&1; then
		fail "shards: a merge without part 2 did not refuse"
	else
		pass "shards: a merge without part 2 refuses: $(tail -1 "$w/half.log")"
	fi
	rm -rf "$w"
}
