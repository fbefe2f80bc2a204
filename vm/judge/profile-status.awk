# vm/judge/profile-status.awk (after profiles.awk): for each case name of
# the second file, "NAME<TAB>STATUS<TAB>CLASS" under profile p: STATUS
# graded, reported, na (not run under p) or unknown (no case line fits:
# the table must be fixed).
NR == FNR { table_line(); next }
{ c = case_class($1); print $1 "\t" case_status(p, c) "\t" c }
