# vm/judge/fold.awk: one more boot of the kit folded into a submission's
# results on one kernel (run with -F'\t'). Files: the results so far
# ("BITS<TAB>NAME<TAB>VERDICT<TAB>DETAIL"), the boot's parsed console
# (console.awk), and the cases to run ("BITS NAME" a line). Variables:
# results (where the new results go), left (where the cases still without
# a verdict go).
# A case run again (inconclusive) has several lines: the last counts. A
# case whose process stayed stuck in the kernel (HANGLAST) hung. How the
# boot ended decides the rest: the module did not load (LOAD), no ioctl
# command works (NOIOCTL), the boot died before any case (BOOT): every
# case left gets that verdict, and no boot follows; the boot died in a
# case (OPEN): that case gets its verdict, the next boot runs the others.
# Prints "next" (another boot must run the cases left) or "stop", and
# "noioctl REASON" when no command worked.

BEGIN { OFS = "\t" }
FILENAME == ARGV[1] { row[++n] = $0; next }
FILENAME == ARGV[2] {
	if ($0 ~ /^(LOAD|NOIOCTL|OPEN|BOOT|DONE)/) { tail = $0; next }
	if ($0 ~ /^HANGLAST/) { hang_bits = $2; hang_name = $3; hang = 1; next }
	row[++n] = $0
	next
}
FILENAME == ARGV[3] { cases[++nc] = $0; next }

END {
	for (i = 1; i <= n; i++) { split(row[i], f, "\t"); lastpos[f[1] FS f[2]] = i }
	for (i = 1; i <= n; i++) {
		split(row[i], f, "\t")
		if (lastpos[f[1] FS f[2]] != i) continue
		line = row[i]
		if (hang && f[1] == hang_bits && f[2] == hang_name) {
			$0 = line; $3 = "hang"; $4 = "its process was stuck in the kernel after SIGKILL; " $4; line = $0
		}
		print line > results
		seen[f[1] " " f[2]] = 1
	}
	nt = split(tail, t, "\t")
	if (t[1] == "OPEN") {
		print t[2], t[3], t[4], t[5] > results
		seen[t[2] " " t[3]] = 1
	}
	nleft = 0
	for (i = 1; i <= nc; i++) {
		if (cases[i] in seen) continue
		split(cases[i], c, " ")
		if (t[1] == "LOAD") print c[1], c[2], "fail", "the module did not load: " t[3] > results
		else if (t[1] == "NOIOCTL") print c[1], c[2], "fail", t[2] > results
		else if (t[1] == "BOOT") print c[1], c[2], t[2], "while loading the module: " t[3] > results
		else { print cases[i] > left; nleft++ }
	}
	if (nleft == 0) printf "" > left
	close(results); close(left)
	print (nleft && t[1] !~ /^(LOAD|NOIOCTL|BOOT)$/ ? "next" : "stop")
	if (t[1] == "NOIOCTL") print "noioctl " t[2]
}
