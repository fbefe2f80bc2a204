# shellcheck shell=bash
# vm/kit/mutants.sh: make mutants: the kit must catch each tests/mutants/*.patch.
# Sourced by vm/msgslot-kit.

# mutant_sources NAME: our sources with tests/mutants/NAME.patch applied,
# in $kit/mutants/src/NAME; fails loudly if the patch does not apply.
mutant_sources() {
	local d=$kit/mutants/src/$1
	rm -rf "$d"
	mkdir -p "$d"
	cp "$top/message_slot.c" "$top/message_slot.h" "$top/Kbuild" "$top/Makefile" \
		"$top/message_sender.c" "$top/message_reader.c" "$d/" &&
	patch -p1 -d "$d" --forward --batch --no-backup-if-mismatch -r - \
		<"$top/tests/mutants/$1.patch" >"$kit/mutants/$1.patch.log" 2>&1
}

# mutant_profile NAME: the profile a mutant runs under: censor3-* and
# censor4-* patches are faults of the censorship terms (censor-3, censor-4),
# the others of the classic contract.
mutant_profile() {
	case $1 in
	censor3-*) echo censor-3 ;;
	censor4-*) echo censor-4 ;;
	limits-*) echo limits ;;
	*) echo classic ;;
	esac
}

# limits_mutant SRC WORK: a mutant of this project's own channel limits
# (issue 13). The assignment has no limits, so no case of the kit can see
# one: tests/limits.c runs instead, alone in a boot of its own on 6.12
# (vm/guest/init's slotmode=limits; its unprivileged loop to 65536 channels).
# WORK/results gets a line per limits case, as kit_run writes them.
limits_mutant() {
	local src=$1 w=$2 root rc log tap
	rm -rf "$w"
	mkdir -p "$w/build" "$w/root/bin"
	: >"$w/results"
	echo limits >"$w/profile"
	(
		locate 6.12 >"$w/locate.log" &&
		cp "$src/message_slot.c" "$src/message_slot.h" "$src/Kbuild" "$w/build/" &&
		kbuild "$ver" "$w/build" >"$w/build.log" 2>&1 &&
		tests_make O="$w/root/bin" BITS=64 limits >>"$w/build.log" 2>&1 &&
		echo "$ver" >"$w/version" && echo "$kimg" >"$w/kimg"
	) || { printf '6.12\t64\tlimits\tbuild-failed\tsee %s\n' "$w/build.log" >"$w/results"; return 0; }
	root=$w/root
	cp /bin/busybox "$root/bin/" && guest_files "$root" init &&
	cp "$w/build/message_slot.ko" "$root/" &&
	(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 >"$w/initramfs.gz" || return 1
	log=$w/console.log
	vm_boot x86_64 "$(cat "$w/kimg")" "$w/initramfs.gz" "$log" \
		"loglevel=4 panic=-1 slab_nomerge slotmode=limits"
	rc=$?
	tap=$(tr -d '\r' <"$log" | sed -n '/^msgslot-limits-begin/,/^msgslot-limits-end/p')
	echo "$tap" | awk -v k="$(cat "$w/version")" '
		function flush() { if (n != "") print k "\t64\tlimits " n "\t" v "\t" d; n = "" }
		/^ok [0-9]+ / { flush(); n = $0; sub(/^ok [0-9]+ /, "", n); v = n ~ / # SKIP / ? "skip" : "pass"; sub(/ # SKIP .*/, "", n); d = ""; next }
		/^not ok [0-9]+ / { flush(); n = $0; sub(/^not ok [0-9]+ /, "", n); v = "fail"; d = ""; next }
		/^#   / && v == "fail" && length(d) < 300 { l = $0; sub(/^#   /, "", l); d = d (d == "" ? "" : "; ") l }
		END { flush() }' >>"$w/results"
	if grep -aqE "$REPORTS" "$log"; then
		printf '%s\t64\tlimits kernel\tcrash\t%s\n' "$(cat "$w/version")" \
			"$(grep -aE "$REPORTS" "$log" | head -1 | tr -d '\r\t' | cut -c1-200)" >>"$w/results"
	elif [ ! -s "$w/results" ] || [ "$rc" != 99 ]; then
		printf '%s\t64\tlimits\tfail\tno complete TAP output (QEMU status %s; %s)\n' \
			"$(cat "$w/version")" "$rc" "$log" >>"$w/results"
	fi
	return 0
}

# Each mutant on the 6.12 kernel and the 64-bit suite unless KERNELS or
# KIT_M32 say otherwise: about 35 s a mutant, plus a minute per hang.
# MUTANT_FILTER (an extended regex) picks some by name. A mutant is caught
# when any case of its profile fails, graded or only reported (a fault is
# a fault); the line says whether a graded case caught it, that is,
# whether a grader's score would have shown it.
cmd_mutants() {
	local p name n=0 caught=0 bad=0 r how graded prof runs
	KERNELS=${MUTANT_KERNELS:-6.12}
	KIT_M32=${MUTANT_M32:-0}
	mkdir -p "$kit"
	rm -rf "$kit/mutants"
	mkdir -p "$kit/mutants/src"
	for p in "$top"/tests/mutants/*.patch; do
		name=$(basename "$p" .patch)
		[ -z "${MUTANT_FILTER:-}" ] || [[ $name =~ $MUTANT_FILTER ]] || continue
		echo "$name" >>"$kit/mutants/selected"
		if ! mutant_sources "$name"; then
			fail "mutant $name: the patch does not apply to message_slot.c:"
			sed 's/^/    /' "$kit/mutants/$name.patch.log"
			bad=1
		fi
	done
	[ -s "$kit/mutants/selected" ] || die "no mutant matches MUTANT_FILTER=${MUTANT_FILTER:-}"
	[ "$bad" = 0 ] || { summary; exit 1; }
	kit_prepare
	# One run_all per profile, each over the mutants of that profile (in
	# a folder of their own: run_all grades every subfolder).
	# The leak mutants (leak-*) apart: only they get the leak boot on the
	# debug kernel (about 25 s each), which no other fault needs.
	while read -r name; do
		prof=$(mutant_profile "$name")
		case $name in leak-*) prof=$prof-leak ;; esac
		mkdir -p "$kit/mutants/src/$prof"
		mv "$kit/mutants/src/$name" "$kit/mutants/src/$prof/"
	done <"$kit/mutants/selected"
	for p in "$kit/mutants/src/"*/; do
		prof=$(basename "$p")
		case $prof in
		limits) ;;
		*-leak) KIT_PROFILE=${prof%-leak} run_all "$p" "$kit/mutants/grades" ;;
		*) KIT_LEAK=0 KIT_PROFILE=$prof run_all "$p" "$kit/mutants/grades" ;;
		esac
	done
	for p in "$kit/mutants/src/limits/"*/; do
		[ -d "$p" ] || continue
		name=$(basename "$p")
		echo "mutants: $name: tests/limits.c in a boot of its own"
		limits_mutant "$p" "$kit/mutants/limits/$name"
	done
	! ls "$kit/mutants/grades/"*/results >/dev/null 2>&1 ||
		write_grades "$kit/mutants/grades" "$kit/mutants"
	while read -r name; do
		r=$kit/mutants/grades/$name/results
		prof=$(mutant_profile "$name")
		n=$((n + 1))
		if [ "$prof" = limits ]; then
			r=$kit/mutants/limits/$name/results
			how=$(awk -F'\t' '$4 != "pass" && $4 != "skip" { printf "%s%s (%s)", sep, $3, $4; sep = ", " }' "$r" | cut -c1-400)
			if grep -qP '\tbuild-failed\t' "$r"; then
				fail "mutant $name (limits): does not build (log: $kit/mutants/limits/$name/build.log)"
			elif [ -n "$how" ]; then
				caught=$((caught + 1))
				pass "mutant $name (limits, tests/limits.c) caught by: $how"
			else
				fail "mutant $name (limits, tests/limits.c): not caught, every case passed"
			fi
			continue
		fi
		how=$(awk -F'\t' '$4 != "pass" && $4 != "skip" && $4 != "inconclusive" { printf "%s%s %s%s (%s)", sep, $1, ($2 == 32 ? "m32 " : ""), $3, $4; sep = ", " }' "$r" | cut -c1-400)
		graded=$(score "$kit/mutants/grades/$name")
		if grep -qP '\tbuild-failed\t' "$r"; then
			fail "mutant $name ($prof): does not build (log: $kit/mutants/grades/$name/)"
		elif [ -n "$how" ]; then
			caught=$((caught + 1))
			case $graded in
			"${graded%%/*}/${graded%%/*} "*) pass "mutant $name ($prof) caught, by reported cases only (score still $graded): $how" ;;
			*) pass "mutant $name ($prof) caught, by graded cases too (score $graded): $how" ;;
			esac
		else
			fail "mutant $name ($prof): not caught, every case passed"
		fi
		# A crash or hang must not hide the other cases: all have a verdict.
		if grep -qP '\t(crash|hang)\t' "$r"; then
			runs=$(( $(wc -l <"$kit/suite/cases-$prof") * $(wc -w <<<"$KERNELS") ))
			if [ "$(cut -f1-3 "$r" | sort -u | wc -l)" -eq "$(wc -l <"$r")" ] &&
				[ "$(grep -vcE '^(-|debug)'$'\t' "$r")" -eq "$runs" ]; then
				pass "mutant $name: $(grep -cP '\t(crash|hang)\t' "$r") crash/hang verdict(s), and every other case still ran ($(tally "$kit/mutants/grades/$name"))"
			else
				fail "mutant $name: cases are missing after its crash or hang"
			fi
		fi
	done <"$kit/mutants/selected"
	echo "mutation score: $caught/$n caught; grades in $kit/mutants/grades.md"
	summary
}
