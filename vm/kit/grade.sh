# shellcheck shell=bash
# vm/kit/grade.sh: make check IMPL= and make grade: submissions found and unpacked,
# graded in parallel or in shards, and grades.csv/grades.md written.
# Sourced by vm/msgslot-kit.

kit_prepare() {
	deps
	command -v bwrap >/dev/null || die "bwrap is missing (vm/msgslot-vm deps installs bubblewrap as root)"
	kit_suite >"$kit/suite.log" 2>&1 || { cat "$kit/suite.log"; die "could not build the suite"; }
	profile_check "$KIT_PROFILE" "$kit/suite/names" || die "PROFILE=$KIT_PROFILE: see above"
	# A censorship term graded without its cases would score only classic.
	[ "$(profile_censor)" = 0 ] || [ "$(cat "$kit/suite/has-censor")" = 1 ] ||
		die "PROFILE=$KIT_PROFILE: this tests/slot_test.c has no censorship cases (--censor)"
	kit_lanes
	kit_leak_prepare
	rm -f "$out/kvm-state"
	echo "msgslot-kit: boots under $(accel_note x86_64)"
}

# make check IMPL=DIR: a PASS/FAIL/SKIP line per case run (an inconclusive
# one is a SKIP), the score, and "N passed, N failed". A case the profile
# only reports is marked "(reported, not graded)"; for a submission (not
# strict) it is printed but not counted, so the exit status is the graded
# cases' alone. KIT_STRICT=1 (the default on this project's own folder,
# as .ci/run does) counts every case: our module must pass them all.
cmd_check_impl() {
	local src w label strict st mark rp=0 rf=0 ri=0 k bits name v detail
	[ -d "${1:-}" ] || die "IMPL=DIR: no folder ${1:-(empty)}"
	src=$(cd "$1" && pwd)
	w=$kit/impl-$(basename "$src")
	strict=${KIT_STRICT:-$([ "$src" = "$top" ] && echo 1 || echo 0)}
	mkdir -p "$kit"
	kit_prepare
	echo "msgslot-kit: $src, profile $KIT_PROFILE, on ${KERNELS// /, }: $(wc -l <"$(suite_cases)") case runs per kernel, one slot_test process each (work: $w)"
	kit_run "$(basename "$src")" "$src" "$w"
	sed 's/^/msgslot-kit: /' "$w/summary"
	declare -A status=()
	while IFS=$'\t' read -r _ bits name st; do
		status[$bits $name]=$st
	done < <(cut -f3 "$w/results" | sort -u | status_map "$KIT_PROFILE")
	# No working command: one line, not one per case (each failed with it).
	if [ -s "$w/noioctl" ]; then
		k=$(awk -F'\t' '$4 == "fail"' "$w/results" | wc -l)
		fail "$(cat "$w/noioctl") (so every case failed: $k case runs)"
		# The count as if each had its line: every graded run (strict: every run).
		[ "$strict" = 1 ] || k=$(awk -F'\t' '$4 == "fail" && $2 == 64' "$w/results" | cut -f3 | sort -u |
			status_map "$KIT_PROFILE" | awk -F'\t' '$2 == 64 && $4 == "graded"' | wc -l)
		failed=$((failed + k - 1))
		echo "msgslot-kit: score (profile $KIT_PROFILE, graded cases passed): $(score "$w")"
		summary
		return
	fi
	while IFS=$'\t' read -r k bits name v detail; do
		label="$k $([ "$bits" = 32 ] && echo 'm32 ')$name"
		st=${status[$bits $name]:-graded}
		if [ "$st" = graded ]; then
			case $v in
			pass) pass "$label" ;;
			skip | inconclusive) skip "${label#- }: ${detail:-$v}" ;;
			*) fail "$label: $v${detail:+: $detail}" ;;
			esac
			continue
		fi
		mark="(reported, not graded)"
		if [ "$strict" = 1 ]; then
			case $v in
			pass) pass "$label $mark" ;;
			skip | inconclusive) skip "${label#- } $mark: ${detail:-$v}" ;;
			*) fail "$label $mark: $v${detail:+: $detail}" ;;
			esac
			continue
		fi
		case $v in
		pass) rp=$((rp + 1)); echo "PASS $mark $label" ;;
		skip) echo "SKIP $mark ${label#- }: $detail" ;;
		inconclusive) ri=$((ri + 1)); echo "SKIP $mark ${label#- }: ${detail:-$v}" ;;
		*) rf=$((rf + 1)); echo "FAIL $mark $label: $v${detail:+: $detail}" ;;
		esac
	done <"$w/results"
	[ "$strict" = 1 ] ||
		echo "msgslot-kit: reported, not graded (only this project's contract asks them; not counted below): $rp passed, $rf failed, $ri inconclusive"
	echo "msgslot-kit: score (profile $KIT_PROFILE, graded cases passed): $(score "$w")"
	summary
}

# grade_one NAME SRC WORK: kit_run with its output in WORK/run.log.
grade_one() {
	kit_run "$1" "$2" "$3" >"$3.log" 2>&1
	mv "$3.log" "$3/run.log" 2>/dev/null
	echo "$1: score $(score "$3") ($(cat "$3/profile")); $(tally "$3"); $(cat "$3/seconds" 2>/dev/null || echo '?') s"
}

# ----------------------------------------------------------- submissions

# Limits on one unpacked archive (vm/kit/unpack): a submission is a few
# sources, tens of kilobytes; these leave room for a stray build folder or
# .git, and none for a zip bomb.
KIT_UNPACK_MAX_MB=${KIT_UNPACK_MAX_MB:-64}
KIT_UNPACK_MAX_FILES=${KIT_UNPACK_MAX_FILES:-5000}

# archive_stem FILE: FILE's name without its archive extension, or nothing
# when it is not one.
archive_stem() {
	local b=${1##*/}
	case $b in
	*.zip | *.ZIP) echo "${b%.*}" ;;
	*.tar.gz | *.TAR.GZ) echo "${b%.*.*}" ;;
	*.tgz | *.tar) echo "${b%.*}" ;;
	esac
}

# sub_name RAW: a submission's name as the kit uses it, in folder names,
# kbuild's M= (which cannot take spaces) and grades.csv: every byte but
# letters, digits and ._+- becomes _ (LC_ALL=C, so that every machine of a
# sharded run names it alike), and never a leading dot or dash.
sub_name() {
	printf '%s' "$1" | LC_ALL=C sed 's/[^A-Za-z0-9._+-]/_/g; s/^[.-]/_&/'
}

# list_submissions SUBS: "NAME<TAB>PATH" for each submission in SUBS, sorted:
# each folder, and each .zip, .tar.gz, .tgz or .tar file. Hidden entries
# and other files are left out (said on stderr). Two names that come out
# alike get _2, _3... in the order of the originals.
list_submissions() {
	local p base name n i
	local -A seen=()
	while IFS= read -r -d '' p; do
		base=${p##*/}
		case $base in
		.*) continue ;;
		*$'\n'* | *$'\t'*) echo "grade: left out (a tab or newline in its name): $p" >&2; continue ;;
		esac
		if [ -d "$p" ]; then
			name=$base
		elif [ -f "$p" ] && [ -n "$(archive_stem "$p")" ]; then
			name=$(archive_stem "$p")
		else
			echo "grade: left out (neither a folder nor an archive): $p" >&2
			continue
		fi
		name=$(sub_name "$name")
		n=$name i=1
		while [ -n "${seen[$n]:-}" ]; do
			i=$((i + 1))
			n=${name}_$i
		done
		seen[$n]=1
		printf '%s\t%s\n' "$n" "$p"
	done < <(find "$1" -mindepth 1 -maxdepth 1 -print0 | LC_ALL=C sort -z)
}

# source_folder DIR: the folder under DIR that holds message_slot.c, the
# shallowest (then the first by name); nothing if none does. Students zip
# their folder as often as its files, so the sources may be a level or two
# down (ex3_123/message_slot.c); macOS's __MACOSX copies are not sources.
source_folder() {
	find "$1" -maxdepth 4 -name __MACOSX -prune -o -type f -name message_slot.c -printf '%d %h\n' |
		LC_ALL=C sort -n | head -1 | cut -d' ' -f2-
}

# unpack_archive ARCHIVE STAGE: ARCHIVE unpacked into STAGE/files by
# vm/kit/unpack, in the build sandbox with STAGE the only place it can
# write. On refusal prints the reason, removes what was unpacked, and fails.
unpack_archive() {
	local a=$1 st=$2 why
	rm -rf "$st"
	mkdir -p "$st/files"
	if [ "$(stat -c %s "$a")" -gt $((KIT_UNPACK_MAX_MB << 20)) ]; then
		echo "archive refused: ${a##*/} is over ${KIT_UNPACK_MAX_MB} MB"
		return 1
	fi
	cp "$a" "$st/archive"
	"$kit_dir/sandbox" "$st" python3 - archive files "$KIT_UNPACK_MAX_MB" "$KIT_UNPACK_MAX_FILES" \
		<"$kit_dir/unpack" >"$st/unpack.log" 2>&1
	case $? in
	0)
		# What the unpacker let through, checked once more from outside.
		why=$(find "$st/files" ! -type f ! -type d -printf '%P ' | cut -c1-200) ;;
	124) why="unpacking took over ${KIT_BUILD_TIMEOUT:-300} s" ;;
	*) why=$(grep '^refused: ' "$st/unpack.log" | tail -1 | cut -c10-300)
	   why=${why:-vm/kit/unpack failed: $(tail -1 "$st/unpack.log" | cut -c1-200)} ;;
	esac
	rm -f "$st/archive"
	[ -z "$why" ] && return 0
	rm -rf "$st/files"
	echo "archive refused (${a##*/}): $why"
	return 1
}

# submission_source PATH STAGE: the folder to build for the submission at
# PATH, printed: PATH itself or the folder in it that holds message_slot.c;
# an archive, or a folder holding one archive and no message_slot.c (a
# course system's bulk download), unpacked into STAGE/files first. Says
# where the sources came from in STAGE.note. Fails, printing why, when the
# archive is refused.
submission_source() {
	local p=$1 st=$2 top found
	local -a archives=()
	rm -rf "$st" "$st.note"
	mkdir -p "${st%/*}"
	if [ -d "$p" ] && [ -z "$(source_folder "$p")" ]; then
		while IFS= read -r -d '' found; do
			[ -n "$(archive_stem "$found")" ] && archives+=("$found")
		done < <(find "$p" -mindepth 1 -maxdepth 1 -type f -print0 | LC_ALL=C sort -z)
		if [ "${#archives[@]}" -gt 1 ]; then
			echo "archive refused: ${#archives[@]} archives in ${p##*/}, which one is the submission?" |
				tee "$st.note"
			return 1
		fi
		[ "${#archives[@]}" -eq 0 ] || p=${archives[0]}
	fi
	if [ -d "$p" ]; then
		top=$p
	else
		unpack_archive "$p" "$st" >"$st.note" || { cat "$st.note"; return 1; }
		top=$st/files
	fi
	found=$(source_folder "$top")
	if [ -z "$found" ]; then
		echo "sources: ${p##*/}, which holds no message_slot.c" >>"$st.note"
	elif [ "$found" = "$top" ]; then
		echo "sources: ${p##*/}" >>"$st.note"
	else
		echo "sources: ${p##*/}, in its folder ${found#"$top"/}/" >>"$st.note"
	fi
	echo "${found:-$top}"
}

# refused_results NAME WORK REASON [LOG]: WORK/results for a submission
# that was not built at all, as kit_run writes a build failure: every case
# of every kernel build-failed with REASON; REASON and LOG (the unpacker's)
# as each kernel's build.log, where grades.md points.
refused_results() {
	local line v
	rm -rf "$2"
	mkdir -p "$2"
	echo "$1: $3" >"$2/summary"
	: >"$2/results"
	for line in $KERNELS; do
		v=$(kernel_version "$line")
		mkdir -p "$2/${v:-$line}"
		{ echo "$3"; cat "${4:-/dev/null}" 2>/dev/null; } >"$2/${v:-$line}/build.log"
		awk -v k="${v:-$line}" -v why="$3" '{ print k "\t" $1 "\t" $2 "\tbuild-failed\t" why }' \
			"$(suite_cases)" >>"$2/results"
	done
	awk '{ print "-\t" $1 "\t" $2 "\tskip\text_*: this project'"'"'s own choice, not the contract'"'"'s" }' \
		"$kit/suite/skipped-$KIT_PROFILE" >>"$2/results"
}

# grade_submission NAME PATH ROOT: one submission (a folder or an archive,
# see submission_source) graded into ROOT/NAME; its sources, when unpacked,
# in ROOT/.unpacked/NAME. Prints NAME and its tally.
grade_submission() {
	local stage=$3/.unpacked/$1 src
	if src=$(submission_source "$2" "$stage"); then
		grade_one "$1" "$src" "$3/$1"
	else
		refused_results "$1" "$3/$1" "$src" "$stage/unpack.log"
		echo "$1: $(tally "$3/$1")"
	fi
	cp "$stage.note" "$3/$1/source" 2>/dev/null
	return 0
}

# --------------------------------------------------------------- shards

# shard_of NAME N: which of N parts (1 to N) grades NAME: its name's CRC
# (cksum, the same on every machine) mod N. It depends on the name alone,
# so adding submissions never moves one already graded to another part.
shard_of() {
	echo $(( $(printf '%s' "$1" | cksum | cut -d' ' -f1) % $2 + 1 ))
}

# shard_manifest SUBS N: list_submissions with each one's part first:
# "PART<TAB>NAME<TAB>PATH". Every part writes the whole of it (as
# shard-K-of-N.tsv), so that the merge can tell a missing part or
# submission from one that has none.
shard_manifest() {
	local name path
	list_submissions "$1" | while IFS=$'\t' read -r name path; do
		printf '%s\t%s\t%s\n' "$(shard_of "$name" "$2")" "$name" "$path"
	done
}

# cmd_grade_merge PART...: the grades.csv and grades.md of one run, in
# GRADES (default .), from the GRADES folders of every part of a SHARD=K/N
# run (or one folder they all shared). Refuses, saying why, unless every
# part 1..N is there, they agree on the submissions, and each part graded
# each of its own.
cmd_grade_merge() {
	local o=${GRADES:-$PWD} p d m k n='' ref='' name missing='' extra
	local -A part_dir=() want=()
	[ $# -gt 0 ] || die "grade-merge: PARTS=\"DIR...\": the GRADES folders of a SHARD=K/N run"
	mkdir -p "$o/grades"
	o=$(cd "$o" && pwd)
	for p; do
		[ -d "$p" ] || die "grade-merge: no folder $p"
		d=$(cd "$p" && pwd)
		for m in "$d"/shard-*-of-*.tsv; do
			[ -f "$m" ] || continue
			k=${m##*/shard-}
			k=${k%%-of-*}
			[ -z "${part_dir[$k]:-}" ] || [ "${part_dir[$k]}" = "$d" ] ||
				die "grade-merge: part $k is in both ${part_dir[$k]} and $d"
			part_dir[$k]=$d
			[ -n "$n" ] || { n=${m##*-of-}; n=${n%.tsv}; ref=$m; }
			[ "${m##*-of-}" = "$n.tsv" ] || die "grade-merge: $m is not a part of $n"
			cmp -s <(cut -f1,2 "$m") <(cut -f1,2 "$ref") ||
				die "grade-merge: $m and $ref list different submissions (graded from different folders?)"
		done
	done
	[ -n "$n" ] || die "grade-merge: no shard-K-of-N.tsv in $*: were they graded with SHARD=K/N?"
	for k in $(seq 1 "$n"); do
		[ -n "${part_dir[$k]:-}" ] || missing="$missing $k/$n"
	done
	[ -z "$missing" ] || die "grade-merge: missing part(s):$missing"
	while IFS=$'\t' read -r k name _; do
		want[$name]=1
		d=${part_dir[$k]}/grades/$name
		[ -f "$d/results" ] || die "grade-merge: part $k/$n has no results for $name ($d)"
		[ "$d" = "$o/grades/$name" ] && continue
		rm -rf "${o:?}/grades/$name"
		cp -a "$d" "$o/grades/$name"
	done <"$ref"
	# grades.csv takes every grades/*/results: none may be stale.
	extra=$(for d in "$o"/grades/*/results; do
			[ -f "$d" ] || continue
			d=${d%/results}
			[ -n "${want[${d##*/}]:-}" ] || printf ' %s' "${d##*/}"
		done)
	[ -z "$extra" ] || die "grade-merge: $o/grades holds submissions of no part:$extra (remove them)"
	write_grades "$o/grades" "$o"
	echo "grade-merge: $n parts, $(wc -l <"$ref") submissions: $o/grades.csv, $o/grades.md"
}

# run_all SUBS WORKROOT [LIST]: grade_submission on every submission in
# SUBS (list_submissions), or on those in LIST ("NAME<TAB>PATH" lines), JOBS
# at a time, with a progress line as each starts and ends.
run_all() {
	local subs=$1 root=$2 list=${3:-} name path total i=0 done=0 t0 running=0
	mkdir -p "$root"
	if [ -z "$list" ]; then
		list=$root/.list
		list_submissions "$subs" >"$list"
	fi
	total=$(wc -l <"$list")
	[ "$total" -gt 0 ] || [ -n "${3:-}" ] || die "no submissions (folders, .zip or .tar.gz files) in $subs"
	t0=$(date +%s)
	echo "grade: $total submissions, $JOBS at a time, kernels ${KERNELS// /, }"
	# Names and paths may hold spaces (a course system's folders carry
	# the student's full name): read whole lines, from fd 3 so that
	# nothing a job runs can eat the list.
	while IFS=$'\t' read -r -u 3 name path; do
		if [ "$running" -ge "$JOBS" ]; then
			wait -n
			running=$((running - 1))
			done=$((done + 1))
		fi
		i=$((i + 1))
		echo "grade: [$done/$total done, $(( $(date +%s) - t0 )) s] starting $name ($i/$total)"
		( r=$(grade_submission "$name" "$path" "$root")
		  echo "grade: finished $r" ) </dev/null 3<&- &
		running=$((running + 1))
	done 3<"$list"
	wait
	echo "grade: [$total/$total done, $(( $(date +%s) - t0 )) s]"
}

# write_grades ROOT OUTDIR: grades.csv and grades.md from ROOT/*/results
# (and each submission's profile, summary and seconds). Per submission the
# score first: graded cases passed out of graded (skipped and inconclusive
# ones are not counted), under its profile; then every case, the ones
# only reported marked so. A case's verdict is the worst over every
# kernel; its 32-bit run is a column of its own ("m32 NAME";
# vm/judge/grades.awk).
write_grades() {
	judge_grades "$profiles" "$1" "$2"
}

cmd_grade() {
	local subs o k n
	[ -d "${1:-}" ] || die "SUBMISSIONS=DIR: no folder ${1:-(empty)}"
	subs=$(cd "$1" && pwd)
	o=${GRADES:-$PWD}
	if [ -n "${SHARD:-}" ]; then
		[[ $SHARD =~ ^([0-9]+)/([0-9]+)$ ]] || die "SHARD=K/N, not $SHARD"
		k=$((10#${BASH_REMATCH[1]})) n=$((10#${BASH_REMATCH[2]}))
		if [ "$k" -lt 1 ] || [ "$k" -gt "$n" ]; then die "SHARD=K/N with 1 <= K <= N, not $SHARD"; fi
		# Parts may run side by side from one checkout: each its own suite.
		kit=$kit-shard-$k-of-$n
	fi
	mkdir -p "$o/grades" "$kit"
	kit_prepare
	echo "grade: profile $KIT_PROFILE: $(profile_status "$KIT_PROFILE" <"$kit/suite/names" | awk -F'\t' '{ n[$2]++ } END { printf "%d cases graded, %d reported only, %d not run", n["graded"], n["reported"], n["na"] }') (64-bit; the 32-bit runs: $([ "$KIT_M32" = 0 ] && echo none || echo reported))"
	if [ -z "${SHARD:-}" ]; then
		run_all "$subs" "$o/grades"
		write_grades "$o/grades" "$o"
		echo "grade: $o/grades.csv, $o/grades.md; build logs and consoles in $o/grades/NAME/"
		return
	fi
	shard_manifest "$subs" "$n" >"$o/grades/.shard-$k-of-$n.tsv"
	awk -F'\t' -v k="$k" 'BEGIN { OFS = "\t" } $1 == k { print $2, $3 }' \
		"$o/grades/.shard-$k-of-$n.tsv" >"$o/grades/.list-$k-of-$n"
	echo "grade: part $k of $n: $(wc -l <"$o/grades/.list-$k-of-$n") of $(wc -l <"$o/grades/.shard-$k-of-$n.tsv") submissions"
	run_all "$subs" "$o/grades" "$o/grades/.list-$k-of-$n"
	# Written last: a part counts for the merge once it has finished.
	mv "$o/grades/.shard-$k-of-$n.tsv" "$o/shard-$k-of-$n.tsv"
	echo "grade: part $k of $n in $o/grades/NAME/; merge every part with make grade-merge PARTS=\"DIR...\""
}
