# vm/judge/tally.awk: over a kit run's results (the input, "KERNEL<TAB>
# BITS<TAB>NAME<TAB>VERDICT<TAB>DETAIL"), "P pass, F fail, C crash, H hang,
# B build-failed, S skip, I inconclusive" (every run of every case, graded
# or not).
{ n[$4]++ }
END {
	printf "%d pass, %d fail, %d crash, %d hang, %d build-failed, %d skip, %d inconclusive\n",
		n["pass"], n["fail"], n["crash"], n["hang"], n["build-failed"], n["skip"], n["inconclusive"]
}
