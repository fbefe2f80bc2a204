# vm/judge/grades.awk (after grade-rules.awk): grades.csv and grades.md of
# a grading run. Files: the status map (status-map.awk, for every profile
# used), then each submission's results, ROOT/NAME/results. Variables: csv
# and md (the files written), root (ROOT, where each submission's profile,
# seconds, noioctl and summary files are read).
# Per submission the score first: graded cases passed out of graded
# (skipped and inconclusive ones are not counted), under its profile; then
# every case, the ones only reported marked so. A case's verdict is the
# worst over every kernel; its 32-bit run is a column of its own
# ("m32 NAME").

function q(s) { gsub(/"/, "\"\"", s); return "\"" s "\"" }
function m(s) { gsub(/\|/, "\\|", s); return s }
function first_line(f,   l) { l = ""; getline l < f; close(f); return l }
NR == FNR { st[$1 SUBSEP $2 SUBSEP $3] = $4; next }
FNR == 1 {
	sb = FILENAME; sub(/\/results$/, "", sb); sub(/.*\//, "", sb); subs[++ns] = sb
	p = first_line(root "/" sb "/profile"); prof[sb] = p == "" ? "classic" : p; profs[prof[sb]] = 1
	secs[sb] = first_line(root "/" sb "/seconds"); noio[sb] = first_line(root "/" sb "/noioctl")
	f = root "/" sb "/summary"
	while ((getline l < f) > 0) if (l ~ /^(MSG_SLOT_CHANNEL|MSG_SLOT_SET_CEN): /) cmds[sb] = cmds[sb] "- " l "\n"
	close(f)
}
{
	c = ($2 == 32 ? "m32 " : "") $3
	if (!(c in seen)) { seen[c] = 1; cases[++nc] = c; bits[c] = $2; base[c] = $3 }
	k = sb SUBSEP c
	where = ($1 == "-" ? "" : $1) ($2 == 32 ? " m32" : "")
	if (!(k in v) || rank($4) > rank(v[k])) { v[k] = $4; d[k] = $5; w[k] = where }
}
function status(s, c,   x) { x = st[prof[s] SUBSEP bits[c] SUBSEP base[c]]; return x == "" ? "graded" : x }
END {
	for (x in profs) np++
	one = np == 1 ? x : ""
	line = "submission,profile,score,graded_passed,graded_total"
	for (i = 1; i <= nc; i++)
		line = line "," q(cases[i] (one != "" && st[one SUBSEP bits[cases[i]] SUBSEP base[cases[i]]] == "reported" ? " (reported, not graded)" : ""))
	print line ",passed,failed,crash,hang,build-failed,skipped,inconclusive,seconds" > csv
	print "| submission | score | profile | graded: passed | failed | crash | hang | build-failed | reported, not graded: passed | not passed | inconclusive | time |" > md
	print "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |" > md
	for (s = 1; s <= ns; s++) {
		sb = subs[s]; split("", t); split("", g); rp = rn = inc = gp = gt = 0; det = ""; rdet = ""
		line = ""
		for (i = 1; i <= nc; i++) {
			k = sb SUBSEP cases[i]; x = v[k]; sx = status(sb, cases[i])
			# A case this submission never ran (another kit, a profile
			# without it) is an empty cell, counted nowhere.
			if (x == "") { line = line ","; continue }
			t[x]++
			cell = x
			dd = d[k]; if (x == "inconclusive") sub(/^inconclusive: /, "", dd)
			if (x != "pass" && x != "skip" && x != "build-failed") cell = x " [" w[k] "]: " dd
			if (x == "build-failed") why[s] = d[k]
			line = line "," q(cell)
			if (x == "inconclusive") inc++
			if (sx == "graded" && x != "skip" && x != "inconclusive") { gt++; if (x == "pass") gp++; else g[x]++ }
			if (sx == "reported" && x != "skip" && x != "inconclusive") { if (x == "pass") rp++; else rn++ }
			if (x == "pass" || x == "skip" || x == "build-failed") continue
			if (sx == "graded") det = det "| `" cases[i] "` | graded | " m(cell) " |\n"
			else rdet = rdet "| `" cases[i] "` | reported, not graded | " m(cell) " |\n"
		}
		sc[s] = gp "/" gt " = " pct(gp, gt)
		print q(sb) "," q(prof[sb]) "," q(pct(gp, gt)) "," gp "," gt line "," t["pass"]+0 "," t["fail"]+0 "," t["crash"]+0 "," t["hang"]+0 "," t["build-failed"]+0 "," t["skip"]+0 "," inc "," secs[sb] > csv
		print "| " sb " | **" sc[s] "** | " prof[sb] " | " gp " | " g["fail"]+0 " | " g["crash"]+0 " | " g["hang"]+0 " | " g["build-failed"]+0 " | " rp " | " rn " | " inc " | " (secs[sb] == "" ? "" : secs[sb] " s") " |" > md
		details[s] = det rdet
	}
	print "\nThe score is the cases the term's text requires (graded, tests/kit/profiles.tsv) passed out of those graded; a case is graded over every kernel, its worst verdict. Cases only this project's contract asks (orders of checks, concurrency, the 32-bit build, `ext_*`, the other command encoding, the programs' malformed arguments and failing stdout) are reported, not graded. An inconclusive case (a concurrency case that could not reach its overlaps, three times) has no verdict. `ext_*` cases are skipped unless KIT_EXT=1.\n" > md
	for (s = 1; s <= ns; s++) {
		sb = subs[s]
		print "## " sb "\n\nScore **" sc[s] "** (profile " prof[sb] (secs[sb] == "" ? "" : ", " secs[sb] " s") ")\n" > md
		if (cmds[sb] != "" && noio[sb] == "") print "Commands used (probed in the VM):\n" m(cmds[sb]) > md
		if (why[s] != "") print "The module did not build (on at least one kernel; see `grades/" sb "/*/build.log`): `" why[s] "`\n" > md
		if (noio[sb] != "") { print "**" m(noio[sb]) "**: no case could run; each is failed with that.\n" > md; continue }
		if (details[s] == "" && why[s] == "") { print "Every case passed.\n" > md; continue }
		if (details[s] != "") print "| case | | verdict |\n| --- | --- | --- |\n" details[s] > md
	}
	line = "| submission |"; sep = "| --- |"
	for (i = 1; i <= nc; i++) { line = line " " cases[i] " |"; sep = sep " --- |" }
	print "## Every case\n\n" line "\n" sep > md
	if (one != "") {
		line = "| graded in " one "? |"
		for (i = 1; i <= nc; i++) line = line " " (st[one SUBSEP bits[cases[i]] SUBSEP base[cases[i]]] == "reported" ? "reported" : "graded") " |"
		print line > md
	}
	for (s = 1; s <= ns; s++) {
		line = "| " subs[s] " |"
		for (i = 1; i <= nc; i++) line = line " " v[subs[s] SUBSEP cases[i]] " |"
		print line > md
	}
	line = "| passed by |"
	for (i = 1; i <= nc; i++) { n = 0; for (s = 1; s <= ns; s++) n += v[subs[s] SUBSEP cases[i]] == "pass"; line = line " " n "/" ns " |" }
	print line > md
}
