# vm/judge/tap.awk: one verdict per TAP result of a suite that a boot of
# vm/msgslot-vm printed between msgslot-BLOCK-begin and msgslot-BLOCK-end
# (the input is the console). Variables: label (the kernel), console (its
# path, for the messages), block (tap, tap32, cen3, ...), pre (what goes
# before each case's name: "", "m32 ", "censor3 "...), raw (a file for
# the results before the skips are judged, or ""), expected (the skips
# accepted, "PREFIXNAME" a line) and censor_skip (the one reason a
# censor_* case may skip for).
# Prints FAIL lines for a missing block, a plan the results do not meet,
# and a suite whose exit status is not 0; then "PASS label PREcase",
# "FAIL label PREcase" (with the TAP diagnostics after it, indented) or
# "SKIP label PREcase # SKIP reason" per result.

# A skip that is allowed: "PREFIXNAME # SKIP REASON".
function expected_skip(s,   i, nm, reason, last) {
	i = index(s, " # SKIP ")
	if (i) { nm = substr(s, 1, i - 1); reason = substr(s, i + 8) } else nm = reason = s
	last = nm; sub(/.* /, "", last)
	if (last ~ /^censor_/ && reason == censor_skip) return 1
	return nm in allowed
}

# A result line of the awk below, judged and printed.
function emit(line,   rest) {
	if (raw != "") print line > raw
	if (line ~ /^PASS/ && index(line, "# SKIP ")) {
		rest = line; sub(/^PASS /, "", rest)
		if (expected_skip(substr(rest, length(label) + 2))) print "SKIP " rest
		else print "FAIL " rest " (this skip is not expected here)"
	} else print line
}

function flush() {
	if (name == "") return
	emit((ok ? "PASS " : "FAIL ") label " " pre name)
	for (j = 1; j <= ndiag; j++) {
		if (raw != "") print diag[j] > raw
		print diag[j]
	}
	name = ""; ndiag = 0
}

BEGIN {
	n = split(expected, e, "\n")
	for (i = 1; i <= n; i++) if (e[i] != "") allowed[e[i]] = 1
	begin = "^msgslot-" block "-begin"; end = "^msgslot-" block "-end"
}

!inblock && $0 ~ begin { inblock = 1; lines[++nl] = $0; next }
inblock {
	if ($0 ~ end) inblock = 0
	l = $0; gsub(/\r/, "", l); lines[++nl] = l
}

END {
	if (nl == 0) { print "FAIL " label " " pre "suite: no TAP output (see " console ")"; exit }
	plan = ""; results = 0; status = ""; nstatus = 0
	for (i = 1; i <= nl; i++) {
		l = lines[i]
		if (!plan_seen && l ~ /^1\.\.[0-9]*$/) { plan = substr(l, 4); plan_seen = 1 }
		if (l ~ /^(not )?ok [0-9]+ /) results++
		if (index(l, "msgslot-suite-exit: ") == 1) status = status (nstatus++ ? "\n" : "") substr(l, 21)
	}
	if (plan == "" || results != plan + 0)
		print "FAIL " label " " pre "suite_complete: " results " results for a plan of " (plan == "" ? "none" : plan)
	# The suite's own verdict must agree (it fails a test with no check).
	if (status != "0")
		print "FAIL " label " " pre "suite_exit: slot_test exited " (status == "" ? "nothing" : status)
	for (i = 1; i <= nl; i++) {
		l = lines[i]
		if (l ~ /^ok [0-9]+ /) { flush(); ok = 1; name = l; sub(/^ok [0-9]+ /, "", name); continue }
		if (l ~ /^not ok [0-9]+ /) { flush(); ok = 0; name = l; sub(/^not ok [0-9]+ /, "", name); continue }
		if (l ~ /^#/ && name != "" && !ok) diag[++ndiag] = "    " l
	}
	flush()
}
