# SPDX-License-Identifier: GPL-2.0
#
# message-slot: the kernel module, the two programs, and the test entry points.
#   make                 module (against KDIR) and programs
#   make KDIR=/path      module for another kernel's build tree
#   make CENSOR=3|4      the censorship terms' build: the module censors every
#                        3rd or 4th byte after MSG_SLOT_SET_CEN, and
#                        message_sender takes SLOT_FILE CHANNEL CENSOR MESSAGE
#   make load / unload   on a real machine, as root: insmod + /dev/slot0..3
#   make install         module (modules_install + depmod), programs, man pages
#   make uninstall       removes what install put in place
#   make dkms-install    sources to /usr/src, then dkms add, build, install
#   make dkms-uninstall  dkms remove, sources removed
#   make demo            the example session, in a VM
#   make check           lint and the whole test suite, in VMs of each kernel
#   make check-all       the same on every kernel of the matrix (5.10 to 7.3,
#                        PREEMPT_RT, arm64) and a debug kernel (KASAN, lockdep)
#   make check IMPL=DIR  the suite against another implementation (the kit);
#                        PROFILE=classic (default), spring-2023, censor-3 or
#                        censor-4: the term whose text grades it
#   make grade SUBMISSIONS=DIR   every folder, .zip or .tar.gz in DIR graded:
#                        grades.csv, grades.md (SHARD=K/N: only the K-th of N parts)
#   make grade-merge PARTS="DIR..."  one grades.csv, grades.md from every part
#   make mutants         the kit must catch every tests/mutants/*.patch
#   make sandbox-test    hostile Makefiles and archives must not get out of the
#                        build sandbox; sharded grading must merge to one run's
#   make profile-test    the kit's profile table names every case, or the kit
#                        stops; headers give the right ioctl candidates (no VM)
#   make fuzz SEED=S N=K the model-based fuzzer alone, in a VM of each kernel
#   make bench           speed and memory against pipe and POSIX mq, in a VM
#   make lint            checkpatch, sparse, compiler warnings, cppcheck, man
#                        pages, shellcheck
#   make verdict-test    the verdict rules (vm/judge/) on saved consoles
#                        (tests/verdicts/), no VM, in seconds
#   make boot-test       the accelerator choice and the boot function, with a
#                        fake QEMU, no VM, in seconds
#   make host-test       both (make check and check-all run them first)
# Every target that boots takes ACCEL=kvm or ACCEL=tcg; by default KVM when
# /dev/kvm runs a guest, else TCG (software emulation).
#
# kbuild itself reads Kbuild (obj-m), so this Makefile is for users only and
# still works when a caller such as dkms passes KERNELRELEASE=.

KDIR ?= /lib/modules/$(shell uname -r)/build
# The assignment's term: empty or 0 is the classic contract; 3 (spring 2025)
# and 4 (fall 2025/26) add censorship. Passed to kbuild on the command line.
CENSOR ?=
ifneq ($(filter-out 0 3 4,$(CENSOR)),)
$(error CENSOR=$(CENSOR): 0, 3 or 4)
endif
CC ?= cc
CFLAGS ?= -O2
WARNINGS := -Wall -Wextra -std=c11
PROGRAMS := message_sender message_reader
MAN1 := man/message_sender.1 man/message_reader.1
MAN4 := man/message_slot.4
NODES := 0 1 2 3

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
# The release of the kernel KDIR builds for (`uname -r` there), and where
# its modules live. Debian 6.1's headers say 6.1.192 in kernel.release but
# 6.1.0-NN-amd64 in utsrelease.h, which is the one `uname -r` shows.
KVER = $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' \
	$(KDIR)/include/generated/utsrelease.h 2>/dev/null)
# "updates" comes before the kernel's own modules in depmod's search order.
INSTALL_MOD_DIR ?= updates
# Distribution headers ship no signing key: do not let modules_install try
# to sign with one that is not there (see README, Secure Boot).
NO_SIGN = $(if $(wildcard $(KDIR)/certs/signing_key.pem),,CONFIG_MODULE_SIG_ALL=)
MODULE_DIR = $(DESTDIR)/lib/modules/$(KVER)/$(INSTALL_MOD_DIR)

# What DKMS needs to rebuild the module, copied to /usr/src.
DKMS_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
DKMS_SRC := /usr/src/message-slot-$(DKMS_VERSION)
DKMS_FILES := Kbuild Makefile dkms.conf message_slot.c message_slot.h \
	message_sender.c message_reader.c $(MAN1) $(MAN4)

.PHONY: all module programs clean load unload install uninstall \
	dkms-install dkms-uninstall dkms-files check check-all fuzz bench demo lint \
	grade grade-merge mutants sandbox-test profile-test verdict-test boot-test host-test

all: module programs

module:
	@test -d "$(KDIR)" || { echo "no kernel build tree at $(KDIR):" \
		"install linux-headers-$$(uname -r) or pass KDIR=/path/to/build" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

programs: $(PROGRAMS)

message_sender message_reader: %: %.c message_slot.h .censor
	$(CC) $(CPPFLAGS) $(if $(CENSOR),-DMSG_SLOT_CENSOR=$(CENSOR)) $(CFLAGS) \
		$(WARNINGS) $(LDFLAGS) -o $@ $<

# The programs' build setting, rewritten only when CENSOR changes, so that
# they are rebuilt then (kbuild tracks the module's flags itself).
.censor: FORCE
	@echo '$(CENSOR)' | cmp -s - $@ || echo '$(CENSOR)' >$@

.PHONY: FORCE
FORCE:

# Without KDIR's build tree (as on a machine with no headers for the running
# kernel) remove kbuild's outputs directly instead of failing.
clean:
	rm -f $(PROGRAMS) .censor
	if [ -d "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; else \
		rm -rf *.o .*.o *.ko *.mod *.mod.c .*.cmd modules.order Module.symvers .tmp_versions; fi
	rm -rf build

install: all
	$(MAKE) -C $(KDIR) M=$(CURDIR) KERNELRELEASE=$(KVER) $(NO_SIGN) \
		INSTALL_MOD_PATH=$(DESTDIR) INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) modules_install
	depmod -b "$(DESTDIR)/" $(KVER)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man4
	install -m 0755 $(PROGRAMS) $(DESTDIR)$(BINDIR)/
	install -m 0644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(MAN4) $(DESTDIR)$(MANDIR)/man4/

uninstall:
	rm -f $(MODULE_DIR)/message_slot.ko*
	if [ -d "$(DESTDIR)/lib/modules/$(KVER)" ]; then depmod -b "$(DESTDIR)/" $(KVER); fi
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(PROGRAMS))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MAN1)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man4/,$(notdir $(MAN4)))

dkms-install:
	rm -rf $(DKMS_SRC)
	install -d $(DKMS_SRC)
	cp --parents $(DKMS_FILES) $(DKMS_SRC)/
	dkms add message-slot/$(DKMS_VERSION)
	dkms build message-slot/$(DKMS_VERSION)
	dkms install message-slot/$(DKMS_VERSION)

# The list above, for vm/msgslot-vm's DKMS and install checks.
dkms-files:
	@echo $(DKMS_FILES)

dkms-uninstall:
	-dkms remove message-slot/$(DKMS_VERSION) --all
	rm -rf $(DKMS_SRC)

load:
	insmod message_slot.ko
	for n in $(NODES); do \
		rm -f /dev/slot$$n; mknod -m 0666 /dev/slot$$n c 235 $$n || exit 1; done

unload:
	rmmod message_slot
	for n in $(NODES); do rm -f /dev/slot$$n; done

# With IMPL=DIR the conformance kit tests the implementation in DIR instead.
check:
ifeq ($(IMPL),)
	vm/msgslot-vm check
else
	vm/msgslot-kit check "$(IMPL)"
endif

# SHARD, GRADES, JOBS, KERNELS...: as variables on make's command line, they
# reach the kit in its environment.
grade:
	vm/msgslot-kit grade "$(SUBMISSIONS)"

grade-merge:
	vm/msgslot-kit grade-merge $(PARTS)

mutants:
	vm/msgslot-kit mutants

sandbox-test:
	vm/msgslot-kit sandbox-test

profile-test:
	vm/msgslot-kit profile-test

boot-test:
	tests/boot-test

host-test:
	vm/msgslot-vm host-test

check-all:
	vm/msgslot-vm check-all

fuzz:
	SEED="$(SEED)" N="$(N)" vm/msgslot-vm fuzz

bench:
	vm/msgslot-vm bench

demo:
	vm/msgslot-vm demo

lint:
	vm/msgslot-vm lint

verdict-test:
	tests/verdicts/run
