# vm/judge/boot.awk: the verdicts on one boot of vm/msgslot-vm, from its
# console (the input). Variables: label (prefix of each verdict), console
# (the console's path, for the messages), rc (QEMU's status: 99 when the
# guest's /init finished, 124 on timeout), timeout (seconds), taint_ok (taint bits expected), names (the
# "msgslot-result: NAME ok" lines expected, space-separated); JUDGE_REPORTS in the environment: the
# kernel report regex.
# Prints, in this order: vm_finishes, console_complete (a FAIL only),
# no_kernel_report (on a FAIL with the report: the matching lines and 12
# after each, numbered as grep -n -A12 does, at most 40 lines), taint_clean,
# then one verdict per name.

# taint with the bits of taint_ok cleared (mawk has no bitwise and).
function unexpected_taint(t, ok,   bit, r) {
	r = t
	for (bit = 1; ok > 0; bit *= 2) {
		if (ok % 2 && int(t / bit) % 2) r -= bit
		ok = int(ok / 2)
	}
	return r
}

BEGIN {
	reports = ENVIRON["JUDGE_REPORTS"]
	nn = split(names, name, " ")
	last = -1; until = 0; nexcerpt = 0
}

/^msgslot-dmesg-end/ { dmesg_end = 1 }
/^msgslot-done/ { done = 1 }

# The report lines and the 12 after each ("--" between groups apart).
$0 ~ reports || NR <= until {
	if ($0 ~ reports) { mark = ":"; until = NR + 12; reported = 1 } else mark = "-"
	if (nexcerpt < 40 && last >= 0 && NR > last + 1) excerpt[++nexcerpt] = "--"
	if (nexcerpt < 40) excerpt[++nexcerpt] = NR mark $0
	last = NR
}

/^msgslot-tainted: / {
	t = $0; sub(/^msgslot-tainted: /, "", t)
	match(t, /^[0-9]*/); taint = substr(t, 1, RLENGTH)
}

/^msgslot-result: / {
	for (i = 1; i <= nn; i++)
		if (index($0, "msgslot-result: " name[i] " ") == 1) { l = $0; gsub(/\r/, "", l); result[name[i]] = l }
}

END {
	# Hang or crash first: they explain any missing result below.
	if (rc == "99") print "PASS " label " vm_finishes"
	else if (rc == "124") print "FAIL " label " vm_finishes: no result within " timeout "s (hang); console: " console
	else print "FAIL " label " vm_finishes: QEMU exited " rc " before /init finished (panic or reboot); console: " console

	# The scan is only as good as the dmesg dump is complete.
	if (!dmesg_end || !done)
		print "FAIL " label " console_complete: the guest's output stops before its end (no dmesg dump or end marker)"
	if (reported) {
		print "FAIL " label " no_kernel_report: the kernel reported:"
		for (i = 1; i <= nexcerpt; i++) print "    " excerpt[i]
	} else
		print "PASS " label " no_kernel_report"

	if (taint == "")
		print "FAIL " label " taint_clean: no taint value reported"
	else if (unexpected_taint(taint + 0, taint_ok + 0) != 0)
		print "FAIL " label " taint_clean: /proc/sys/kernel/tainted is " taint " (only 4096|8192 expected)"
	else
		print "PASS " label " taint_clean (" taint ")"

	for (i = 1; i <= nn; i++) {
		n = name[i]; l = result[n]; p = "msgslot-result: " n " "
		if (l == "") print "FAIL " label " " n ": no result"
		else if (substr(l, length(l) - length(n) - 3) == " " n " ok") print "PASS " label " " n
		else {
			if (index(l, p "fail ") == 1) l = substr(l, length(p "fail ") + 1)
			print "FAIL " label " " n ": " l
		}
	}
}
