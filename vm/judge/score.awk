# vm/judge/score.awk (after grade-rules.awk): "P/T = X%" over a kit run's
# graded cases. Files: the status map ("PROFILE<TAB>BITS<TAB>NAME<TAB>
# STATUS", status-map.awk), then the run's results ("KERNEL<TAB>BITS<TAB>
# NAME<TAB>VERDICT<TAB>DETAIL"; kernel "-" for a case not run).
NR == FNR { st[$2 " " $3] = $4; next }
$1 != "-" { k = $2 " " $3; if (!(k in v) || rank($4) > rank(v[k])) v[k] = $4 }
END {
	for (k in v) if (st[k] == "graded" && v[k] != "skip" && v[k] != "inconclusive") { t++; p += v[k] == "pass" }
	printf "%d/%d = %s\n", p, t, pct(p, t)
}
