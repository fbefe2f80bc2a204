# shellcheck shell=sh
# protocol.sh: how the host and a guest talk, declared in one place. The
# host scripts (vm/msgslot-vm, vm/msgslot-kit) source it, and every
# initramfs carries it as /protocol.sh for its /init (vm/guest/).
#
# Host to guest: words on the kernel command line (the kernel hands
# unknown "name=value" words to /init as environment variables), and for
# the kit a file /kit.conf of shell assignments.
#
#   slotmode=MODE      vm/guest/init: check (default: the whole suite), demo,
#                      install, bench, fuzz, limits
#   fuzz_seed=S fuzz_ops=N fuzz32_ops=N   the fuzzer (tests/fuzz.c)
#   stress_ms=MS       slot_test --stress-ms (slower lanes: arm64, debug)
#   reload_cycles=N    slot_test --reload-cycles (the debug lane: 50)
#   faults=1           run tests/faults.c and tests/paths.c (debug lane)
#   gcov=1             dump the module's coverage data at the end
#   limits_loop=N      tests/limits.c --loop-channels N
#   bench_reps=N       tests/bench.c --reps N
#   /kit.conf          KIT_MODULE, KIT_REPORTS, KIT_CHANNEL_CANDIDATES,
#                      KIT_CEN_CANDIDATES, KIT_CENSOR, KIT_STRESS_MS,
#                      KIT_IOCTL (vm/msgslot-kit: kit_conf, kit_leak)
#
# Guest to host: lines on the serial console. The host reads only lines
# that start with "msgslot-"; everything else is the kernel's (scanned for
# reports: vm/judge/).
#
# Every guest:
GUEST_BOOT="msgslot-boot:"            # "msgslot-boot: UNAME", first thing /init does
GUEST_END_PREFIX="msgslot-"
GUEST_END="msgslot-done"              # vm/guest/init's last line (arm64: the end)
# Leaving QEMU: the byte 0x31 to I/O port 0xf4 (QEMU's isa-debug-exit)
# makes QEMU exit with (0x31 << 1) | 1 = 99, a status that no panic or
# reboot produces. arm64's -machine virt has no such device: there a
# power-off after GUEST_END counts as the end.
GUEST_EXIT_STATUS=99
#
# vm/guest/init (vm/msgslot-vm):
GUEST_RESULT="msgslot-result:"        # "msgslot-result: NAME ok" | "... NAME fail REASON"
#   msgslot-tainted: N                 /proc/sys/kernel/tainted at the end
#   msgslot-dmesg-begin / -end         the whole kernel log at the end
#   msgslot-BLOCK-begin / -end         a TAP block: BLOCK is tap, tap32,
#                                      cen3, cen4, faults, paths, limits;
#                                      fuzz, fuzz32 (the fuzzer's report);
#                                      demo, bench (their output)
#   msgslot-suite-exit: N              a TAP program's exit status, in its block
#   msgslot-censor-seconds: N          time of the censorship terms
#   msgslot-gcov-begin PATH / -end     gzip | base64 of message_slot.gcda
#
# vm/guest/kit-init (vm/msgslot-kit, a case per slot_test process):
#   msgslot-kit-load: ok MAJOR NAME | fail REASON
#   msgslot-kit-probe: ...              each ioctl command tried (kit-probe)
#   msgslot-kit-ioctl: KIND LABEL NUM WHY  the command used (KIND channel, cen)
#   msgslot-kit-noioctl: REASON         no working MSG_SLOT_CHANNEL: no case runs
#   msgslot-kit-retry: BITS CASE N      before attempt N of an inconclusive case
#   msgslot-kit-start: BITS CASE        before a case
#   (the case's TAP output)
#   msgslot-kit-report-begin/-end       kernel report lines that came during it
#   msgslot-kit-end: BITS CASE          after it
#   msgslot-kit-time: BITS CASE SECONDS how long it took
#   msgslot-kit-stuck: BITS CASE        its process could not be killed
#   msgslot-kit-reported: BITS CASE     the kernel reported: the guest stops
#   msgslot-kit-tainted: N              at the end
#   msgslot-kit-done                    every case ran
# vm/guest/kit-leak-init (the leak boot): msgslot-kit-leak-* lines, listed
# at the top of that file.
GUEST_ALIVE="msgslot-kit-alive"       # every 20 s from the kit's guests
KIT_MARK="^msgslot-kit-"              # the kit's watchdog counts these lines
