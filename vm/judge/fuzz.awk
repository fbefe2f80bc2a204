# vm/judge/fuzz.awk: the verdict of the fuzzer NAME (fuzz or fuzz32) on a
# boot of vm/msgslot-vm, from its console (the input): its
# "msgslot-result: NAME ok|fail WHY" line (the last), and on a failure its
# report (msgslot-NAME-begin to -end): from the minimized failure on, at
# most 40 lines, else the report's last 25 lines. Variables: label, name.

!inreport && $0 ~ "^msgslot-" name "-begin" { inreport = 1; l = $0; gsub(/\r/, "", l); report[++nr] = l; next }
inreport {
	if ($0 ~ "^msgslot-" name "-end") inreport = 0
	l = $0; gsub(/\r/, "", l); report[++nr] = l
}
index($0, "msgslot-result: " name " ") == 1 { result = $0; gsub(/\r/, "", result) }

END {
	# As the shell read it: trailing empty lines dropped, and no report
	# at all is one empty line.
	while (nr > 0 && report[nr] == "") nr--
	p = "msgslot-result: " name " "
	if (result != "" && substr(result, length(result) - length(name) - 3) == " " name " ok") {
		seed = ""
		for (i = 1; i <= nr; i++)
			if (report[i] ~ /^fuzz: seed .*, OK$/) { seed = report[i]; sub(/^fuzz: /, "", seed) }
		print "PASS " label " " name " (" seed ")"
	} else if (result == "")
		print "FAIL " label " " name ": no result"
	else {
		l = result
		if (index(l, p "fail ") == 1) l = substr(l, length(p "fail ") + 1)
		print "FAIL " label " " name ": " l ":"
		# The minimized failure with its last operations, else the tail.
		from = 0
		for (i = 1; i <= nr; i++) if (report[i] ~ /^fuzz: the failure with/) { from = i; break }
		if (nr == 0) print "    "
		else if (from) { for (i = from; i <= nr && i < from + 40; i++) print "    " report[i] }
		else for (i = (nr > 25 ? nr - 24 : 1); i <= nr; i++) print "    " report[i]
	}
}
