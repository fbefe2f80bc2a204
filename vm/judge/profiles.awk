# vm/judge/profiles.awk: the profile table (tests/kit/profiles.tsv, the
# first file; run with -F'\t'), for profile-status.awk and status-map.awk:
#   profile NAME GRADED-CLASSES REPORTED-CLASSES   (comma-separated)
#   case NAME CLASS       (NAME* a prefix: the first such line that fits)
# A class both graded and reported in a profile is reported.

function table_line(   n, i, g, r) {
	if ($1 == "profile") {
		if (!($2 in m32))
			m32[$2] = index("," $3 ",", ",m32,") ? "graded" : index("," $4 ",", ",m32,") ? "reported" : "na"
		n = split($3, g, ","); for (i = 1; i <= n; i++) st[$2, g[i]] = "graded"
		n = split($4, r, ","); for (i = 1; i <= n; i++) st[$2, r[i]] = "reported"
	} else if ($1 == "case" && $2 ~ /\*$/) {
		pat[++np] = substr($2, 1, length($2) - 1); pcl[np] = $3
	} else if ($1 == "case")
		exact[$2] = $3
}

# The class of case NAME, or "" when no case line fits.
function case_class(name,   i) {
	if (name in exact) return exact[name]
	for (i = 1; i <= np; i++)
		if (substr(name, 1, length(pat[i])) == pat[i]) return pcl[i]
	return ""
}

# graded, reported or na (not run) under profile P; unknown for no class.
function case_status(p, c) {
	return c == "" ? "unknown" : ((p, c) in st) ? st[p, c] : "na"
}
