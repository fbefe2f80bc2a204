# shellcheck shell=bash
# vm/kit/suite.sh: the profiles (tests/kit/profiles.tsv: which cases a term grades,
# which it only reports) and the suite the kit runs, built once a run.
# Sourced by vm/msgslot-kit.

# profile_status PROFILE [TABLE]: for each case name on stdin, a line
# "NAME<TAB>STATUS<TAB>CLASS": STATUS graded, reported, na (not run under
# PROFILE) or unknown (no case line matches: the table must be fixed). The
# 32-bit build's runs take the status of class m32 instead, unless na
# (vm/judge/profile-status.awk).
profile_status() {
	judge_profile_status "${2:-$profiles}" "$1"
}

# profile_check PROFILE NAMES [TABLE]: the table knows PROFILE, its
# classes are declared, and every case in the file NAMES has a class;
# otherwise says what is wrong and fails.
profile_check() {
	local t=${3:-$profiles} bad
	bad=$(awk -F'\t' -v p="$1" '
		$1 == "class" { cls[$2] = 1 }
		$1 == "profile" { prof[$2] = 1; used = used "," $3 "," $4 }
		$1 == "case" { used = used "," $3 }
		END {
			if (!(p in prof)) print "no profile " p " (profiles:" names(prof) ")"
			n = split(used, u, ",")
			for (i = 1; i <= n; i++) if (u[i] != "" && !(u[i] in cls) && !(u[i] in said)) {
				print "class " u[i] " is used but not declared"; said[u[i]] = 1 }
		}
		function names(a,   k, s) { for (k in a) s = s " " k; return s }' "$t"
		profile_status "$1" "$t" <"$2" | awk -F'\t' '$2 == "unknown" { print "no class for case " $1 }')
	[ -z "$bad" ] && return 0
	printf '%s\n' "$bad" | while read -r l; do echo "$t: $l"; done >&2
	echo "(every case of slot_test -l needs a case line there: see its comments)" >&2
	return 1
}

# --------------------------------------------------------------- the suite

# kit_suite: slot_test, 64- and 32-bit, and the probe (vm/guest/kit-probe.c) in
# $kit/suite, the names of the cases in $kit/suite/names, checked against
# the profile table, and the cases of every profile (profile_cases).
kit_suite() {
	local d=$kit/suite p
	rm -rf "$d"
	mkdir -p "$d/bin" "$d/bin32"
	tests_make O="$d/bin" BITS=64 slot_test &&
	tests_make O="$d/bin32" BITS=32 slot_test &&
	tests_make O="$d/bin" BITS=64 kit-probe &&
	"$d/bin/slot_test" -l >"$d/names" || return
	# The censorship options (--censor N, --cen-ioctl, --sender-args) are
	# given only to a suite that has them.
	if "$d/bin/slot_test" -h | grep -q -- --censor; then
		echo 1 >"$d/has-censor"
	else
		echo 0 >"$d/has-censor"
	fi
	while read -r p; do
		profile_check "$p" "$d/names" && profile_cases "$p" || return
	done < <(awk -F'\t' '$1 == "profile" { print $2 }' "$profiles")
}

# profile_cases PROFILE: the cases run under PROFILE in
# $kit/suite/cases-PROFILE ("BITS NAME" a line; none that does not apply)
# and the ext_* ones skipped (without KIT_EXT=1) in skipped-PROFILE.
profile_cases() {
	local d=$kit/suite bits name st
	: >"$d/cases-$1"
	: >"$d/skipped-$1"
	for bits in 64 32; do
		[ "$bits" = 64 ] || [ "$KIT_M32" != 0 ] || continue
		while IFS=$'\t' read -r name st _; do
			[ "$st" != na ] || continue
			case $name in
			ext_*) [ "$KIT_EXT" = 1 ] || { echo "$bits $name" >>"$d/skipped-$1"; continue; } ;;
			esac
			echo "$bits $name" >>"$d/cases-$1"
		done < <(profile_status "$1" <"$d/names")
	done
	[ -s "$d/cases-$1" ]
}

# The cases of the profile being run.
suite_cases() { echo "$kit/suite/cases-$KIT_PROFILE"; }
