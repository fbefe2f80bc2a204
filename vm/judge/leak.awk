# vm/judge/leak.awk: the kit's leak boot on the debug kernel
# (vm/guest/kit-leak-init), from its console (the input, without carriage
# returns): two lines, "NAME<TAB>VERDICT<TAB>DETAIL", for
# leak_freed_at_unload and leak_file_memory_freed_on_close (the caller
# cuts each to 1200 characters). Variables: rc (QEMU's status);
# JUDGE_REPORTS in the environment: the kernel report regex.

BEGIN { reports = ENVIRON["JUDGE_REPORTS"] }

function hexval(s,   i, n) { n = 0; s = tolower(s)
	for (i = 1; i <= length(s); i++) n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
	return n }
# A bare address of the unloaded module: the symbol below it.
function sym(a,   i, best) { a = tolower(a); sub(/^0x/, "", a); best = 0
	for (i = 1; i <= nsyms; i++) if (saddr[i] <= a && (best == 0 || saddr[i] > saddr[best])) best = i
	# Return addresses lie inside a function: far beyond the last
	# symbol is not the module.
	if (best == 0 || substr(a, 1, 8) != substr(saddr[best], 1, 8) || hexval(substr(a, 9)) - hexval(substr(saddr[best], 9)) > 65536) return ""
	return sprintf("%s+0x%x", sname[best], hexval(substr(a, 9)) - hexval(substr(saddr[best], 9))) }
function clean(s) { gsub(/\t/, " ", s); return s }
# Close the object being read: keep it if it is the module's.
function endobj(   k) {
	if (!inobj) return
	inobj = 0
	if (site == "" && comm !~ /^(insmod|rmmod|leak_files|leak_channels)$/) return
	if (site == "") site = (comm == "insmod" ? "the module's init (code freed since)" : "?") (via != "" ? " via " via : "")
	k = part SUBSEP size " bytes" (alloc != "" ? " from " alloc : "") " at " site " (process " comm ")"
	if (!(k in cnt)) order[part, ++nk[part]] = k
	cnt[k]++; total[part]++
	if (comm == "leak_files") files++
}
# The objects of PART (and of process ONLY, if given), grouped.
function list(p, only,   i, s, k, o) { s = ""
	for (i = 1; i <= nk[p]; i++) { k = order[p, i]; o = k; sub(/^[^\034]*\034/, "", o)
		if (only != "" && index(o, "(process " only ")") == 0) continue
		s = s (s == "" ? "" : "; ") cnt[k] " x " o }
	return s }
/^msgslot-kit-leak-boot:/ { booted = 1; next }
/^msgslot-kit-leak-off:/ { sub(/^msgslot-kit-leak-off: /, ""); off = $0; next }
/^msgslot-kit-load: fail/ { sub(/^msgslot-kit-load: fail /, ""); loadfail = $0; next }
/^msgslot-kit-load: ok/ { loaded = 1; next }
/^msgslot-kit-leak-module: / { mod = $2; next }
/^msgslot-kit-leak-workload: / {
	l = $0; sub(/^msgslot-kit-leak-workload: (leak-workload: )?/, "", l); sub(/ +$/, "", l)
	if (l ~ /^files:/) wfiles = l; else if (l ~ /^channels:/) wchan = l; else wother = wother l " "
	next }
/^msgslot-kit-leak-syms-begin/ { insyms = 1; next }
/^msgslot-kit-leak-syms-end/ { insyms = 0; next }
insyms && NF >= 3 { nsyms++; saddr[nsyms] = tolower($1); sname[nsyms] = $3; next }
/^msgslot-kit-leak-rmmod: ok/ { rmmod = "ok"; next }
/^msgslot-kit-leak-rmmod: fail/ { sub(/^msgslot-kit-leak-rmmod: fail /, ""); rmmod = "fail"; rmwhy = $0; next }
/^msgslot-kit-leak-(loaded|unload)-begin/ { part = ($0 ~ /loaded/ ? "loaded" : "unload"); inleak = 1; next }
# A reading counts only whole.
/^msgslot-kit-leak-(loaded|unload)-end/ { endobj(); inleak = 0; seen[part] = 1; next }
inleak && /^unreferenced object/ { endobj(); inobj = 1; size = $0; sub(/.*\(size /, "", size); sub(/\).*/, "", size)
	comm = ""; site = ""; via = ""; alloc = ""; inbt = 0; next }
inleak && inobj && /^ *comm "/ { comm = $0; sub(/^ *comm "/, "", comm); sub(/".*/, "", comm); next }
inleak && inobj && /^ *backtrace/ { inbt = 1; next }
# A frame: "sym+0xoff/0xsize [mod]", or a bare address; older
# kernels put "[<address>] " before it.
inleak && inobj && inbt && /^ +[^ ]/ {
	f = $0; sub(/^ +/, "", f); sub(/^\[<[^]]*>\] /, "", f)
	if (alloc == "" && site == "" && f ~ /alloc|kmalloc|kmem_cache|kzalloc|kvmalloc|vmalloc|krealloc|kstrdup|kmemdup/) { alloc = f; sub(/\+0x.*/, "", alloc) }
	if (site != "") next
	if (mod != "" && index(f, "[" mod "]")) { site = f; sub(/\/0x[0-9a-f]+ \[.*/, "", site); site = site " [" mod "]"; next }
	if (f ~ /^0x[0-9a-f]+$/) { s = sym(f); if (s != "") { site = s " [" mod "]"; next } }
	if (via == "" && f !~ /kmemleak|kasan|slab|kmalloc|kmem_cache|alloc_hook|kvmalloc|kvcalloc|kvzalloc|krealloc|kzalloc|^0x/) { via = f; sub(/\+0x.*/, "", via) }
	next }
# Kernel reports, labelled "loaded" (before rmmod) or "end".
/^msgslot-kit-report-begin/ { inrep = 1; replabel = $2; next }
/^msgslot-kit-report-end/ { inrep = 0; next }
inrep && $0 ~ reports && $0 !~ /Call Trace/ {
	l = $0; sub(/^\[ *[0-9.]+\] /, "", l)
	if (replabel == "loaded" && rep_loaded == "") rep_loaded = l
	if (replabel != "loaded" && rep_end == "") rep_end = l
	next }
/^msgslot-kit-done/ { done = 1; next }
# A report on the console that no /init block holds (a panic).
!inleak && !inrep && rep_end == "" && $0 ~ reports && $0 !~ /kmemleak|unreferenced object|Call Trace/ { rep_end = $0; sub(/^\[ *[0-9.]+\] /, "", rep_end) }
# NAME, then "VERDICT<TAB>DETAIL" with no other tab in the detail.
function out(name, vd,   v) { v = vd; sub(/\t.*/, "", v); sub(/^[^\t]*\t/, "", vd); print name "\t" v "\t" clean(vd) }
function kind(r) { return r ~ /soft lockup|hard LOCKUP|blocked for more than|stall/ ? "hang" : "crash" }
END {
	# Why neither case can be judged, if so.
	if (rep_loaded != "") why = kind(rep_loaded) "\tkernel report on the debug kernel, before rmmod: " rep_loaded
	else if (!booted) why = (rc == 124 ? "hang" : "crash") "\tthe leak boot ended before its /init ran (QEMU status " rc ")"
	else if (off != "") why = "fail\tnot checked: kmemleak is off: " off
	else if (loadfail != "") why = "fail\tnot checked: the module did not load on the debug kernel: " loadfail
	else if (!seen["loaded"]) why = (rc == 124 ? "hang" : "crash") "\tthe leak boot ended during the workload (QEMU status " rc ")" (rep_end != "" ? ": " rep_end : "")
	if (why != "") { out("leak_freed_at_unload", why); out("leak_file_memory_freed_on_close", why); exit }

	# Memory of files closed without a write, read while loaded.
	if (wfiles !~ /^files: [1-9]/ || wfiles ~ / 0 channels set/) fv = "fail\tnot checked: the workload could not open files and set a channel: " wfiles wother
	else if (files > 0) fv = "fail\t" files " object(s) of files (opened, given a channel, closed, never written) still allocated and unreferenced with the module loaded: " list("loaded", "leak_files")
	else fv = "pass\t" wfiles

	# Everything, at the end.
	if (rep_end != "") v = kind(rep_end) "\tkernel report on the debug kernel, at or after rmmod: " rep_end
	else if (!done) v = (rc == 124 ? "hang" : "crash") "\tthe leak boot ended " (rmmod == "" ? "before" : "during or after") " rmmod (QEMU status " rc ")"
	else if (wchan !~ /^channels: [1-9]/) v = "fail\tnot checked: the workload wrote no message: " wchan wother
	else if (rmmod != "ok") v = "fail\trmmod refused: " rmwhy
	else if (total["loaded"] + total["unload"] > 0) {
		v = "fail\t"
		if (total["unload"]) v = v total["unload"] " object(s) left after unload: " list("unload")
		if (total["loaded"]) v = v (total["unload"] ? "; and " : "") total["loaded"] " object(s) lost before unload (unreferenced while loaded): " list("loaded")
	} else v = "pass\t" wchan "; nothing left after rmmod"
	out("leak_freed_at_unload", v)
	out("leak_file_memory_freed_on_close", fv)
}
