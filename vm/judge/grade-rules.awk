# vm/judge/grade-rules.awk: the grading rule, shared by score.awk and
# grades.awk (awk -f grade-rules.awk -f ...), so by check, grade and
# mutants: a case's verdict is the worst over every kernel; the 32-bit run
# of a case is a case of its own (class m32). A graded case counts in the
# score unless skipped or inconclusive (no verdict).
function rank(v) { return v == "build-failed" ? 6 : v == "crash" ? 5 : v == "hang" ? 4 : v == "fail" ? 3 : v == "inconclusive" ? 2 : v == "skip" ? 1 : 0 }
function pct(p, t) { return t ? sprintf("%.1f%%", 100 * p / t) : "n/a" }
