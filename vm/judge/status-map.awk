# vm/judge/status-map.awk (after profiles.awk): for each case name of the
# second file and each profile of profs (space-separated),
# "PROFILE<TAB>BITS<TAB>NAME<TAB>STATUS" for the 64- and the 32-bit runs.
# STATUS graded, reported or na; a name the table lacks (such as a case of
# another kit boot) is graded, so that nothing drops silently. The 32-bit
# run takes the status of class m32 (reported for a profile the table
# lacks), unless na.
NR == FNR { table_line(); next }
{ names[++nn] = $1 }
END {
	n = split(profs, P, " ")
	for (j = 1; j <= n; j++) {
		p = P[j]; m = (p in m32) ? m32[p] : "reported"
		for (i = 1; i <= nn; i++) {
			s = case_status(p, case_class(names[i]))
			if (s == "unknown") s = "graded"
			print p "\t64\t" names[i] "\t" s
			print p "\t32\t" names[i] "\t" (s == "na" ? "na" : m)
		}
	}
}
