# vm/judge/console.awk: one boot of the kit (vm/guest/kit-init) from its console
# (the input, without carriage returns): a line per case that got a
# verdict, "BITS<TAB>NAME<TAB>VERDICT<TAB>DETAIL" with VERDICT pass, fail,
# skip, inconclusive (a SKIP "inconclusive: ..."), crash or hang (a case
# run again comes again: the last line counts); "HANGLAST<TAB>BITS<TAB>NAME"
# for a case whose process stayed stuck in the kernel; then one of
# "LOAD<TAB>fail<TAB>reason", "NOIOCTL<TAB>reason",
# "OPEN<TAB>BITS<TAB>NAME<TAB>VERDICT<TAB>DETAIL" (the case the boot died in),
# "BOOT<TAB>VERDICT<TAB>DETAIL" (it died before any case) or "DONE".
# Variables: rc (QEMU's status, 124 for a hang); JUDGE_REPORTS in the
# environment: the kernel report regex.

BEGIN { reports = ENVIRON["JUDGE_REPORTS"] }

# The first report line and the faulting function, on one line.
function report_summary(text,   n, i, lines, first, rip, l, what) {
	n = split(text, lines, "\n"); first = ""; rip = ""; what = ""
	for (i = 1; i <= n; i++) {
		l = lines[i]; sub(/^\[ *[0-9.]+\] /, "", l)
		# SLUB names the cache that still has objects (a leak).
		if (what == "" && l ~ /Objects remaining|still has objects/) what = "; " l
		if (first == "" && l ~ reports && l !~ /Call Trace/) first = l
		if (rip == "" && l ~ /RIP: [0-9a-f]+:/) { rip = l; sub(/.*RIP: [0-9a-f]+:/, "", rip) }
		if (rip == "" && l ~ /^RIP: /) { rip = l; sub(/^RIP: [0-9a-f]*:?/, "", rip) }
	}
	if (first == "") first = "kernel report"
	if (rip != "" && index(first, rip) == 0) first = first " at " rip
	return first what
}
function clean(s) { gsub(/\t/, " ", s); return s }
# A CPU or a task stuck for good is a hang; any other report a crash.
function kind(s) { return s ~ /soft lockup|hard LOCKUP|blocked for more than|stall/ ? "hang" : "crash" }
BEGIN { state = "boot"; text = "" }
/^msgslot-kit-load: ok / { state = "loaded"; major = $3; next }
/^msgslot-kit-load: fail/ { sub(/^msgslot-kit-load: fail /, ""); loadfail = $0; next }
/^msgslot-kit-noioctl: / { sub(/^msgslot-kit-noioctl: /, ""); noioctl = $0; next }
/^msgslot-kit-retry: / { attempt = $4; next }
/^msgslot-kit-start: / { bits = $2; name = $3; state = "case"; verdict = ""; diag = ""
	text = ""; inreport = 0; report = ""; tries = attempt + 0; attempt = 0; next }
/^msgslot-kit-report-begin/ { inreport = 1; next }
/^msgslot-kit-report-end/ { inreport = 0; next }
/^msgslot-kit-end: / {
	if (report != "") { diag = "kernel report: " report_summary(report); verdict = kind(diag) }
	else if (verdict == "") { verdict = "fail"; diag = "no TAP result" }
	if (tries > 1) diag = (verdict == "inconclusive" ? diag "; " : verdict == "pass" ? "" : diag "; ") \
		"attempt " tries " of 3 (the earlier ones were inconclusive)"
	print bits "\t" name "\t" verdict "\t" clean(diag)
	state = "between"; next }
/^msgslot-kit-stuck: / { print "HANGLAST\t" $2 "\t" $3; next }
/^msgslot-kit-done/ { done = 1; next }
/^msgslot-kit-alive/ { next }
state == "case" && inreport { report = report $0 "\n"; next }
state == "case" && /^ok [0-9]+ / {
	if ($0 ~ / # SKIP /) { verdict = "skip"; diag = $0; sub(/.* # SKIP /, "", diag)
		if (diag ~ /^inconclusive/) verdict = "inconclusive" }
	else verdict = "pass"
	next }
state == "case" && /^not ok [0-9]+ / { verdict = "fail"; next }
state == "case" && verdict == "fail" && /^#   / {
	l = $0; sub(/^#   /, "", l); sub(/^[a-z_]+\.[ch]:[0-9]+: /, "", l)
	if (length(diag) < 400) diag = diag (diag == "" ? "" : "; ") l
	next }
{ text = text $0 "\n" }
END {
	if (loadfail != "") { print "LOAD\tfail\t" clean(loadfail); exit }
	if (noioctl != "") { print "NOIOCTL\t" clean(noioctl); exit }
	if (done) { print "DONE"; exit }
	if (state == "case") {
		# The boot ended inside this case.
		if (text ~ reports || report != "") { l = report_summary(report text); print "OPEN\t" bits "\t" name "\t" kind(l) "\t" clean(l) }
		else if (rc == 124) print "OPEN\t" bits "\t" name "\thang\tno output for a while: the kernel hung in this case"
		else print "OPEN\t" bits "\t" name "\tcrash\tthe VM ended in this case (QEMU status " rc ")"
		exit
	}
	if (state == "between") { print "DONE"; exit }
	if (text ~ reports) print "BOOT\tcrash\t" clean(report_summary(text))
	else if (rc == 124) print "BOOT\thang\tthe VM hung before any case"
	else print "BOOT\tcrash\tthe VM ended before any case (QEMU status " rc ")"
}
