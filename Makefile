# SPDX-License-Identifier: GPL-2.0
#
# message-slot: the kernel module, the two programs, and the test entry points.
#   make                 module (against KDIR) and programs
#   make KDIR=/path      module for another kernel's build tree
#   make load / unload   on a real machine, as root: insmod + /dev/slot0..3
#   make demo            the example session, in a VM
#   make check           the whole test suite, in VMs of each kernel

ifneq ($(KERNELRELEASE),)
# kbuild part
obj-m := message_slot.o
else

KDIR ?= /lib/modules/$(shell uname -r)/build
CC ?= cc
CFLAGS ?= -O2
WARNINGS := -Wall -Wextra -std=c11
PROGRAMS := message_sender message_reader
NODES := 0 1 2 3

.PHONY: all module programs clean load unload check demo lint

all: module programs

module:
	@test -d "$(KDIR)" || { echo "no kernel build tree at $(KDIR):" \
		"install linux-headers-$$(uname -r) or pass KDIR=/path/to/build" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

programs: $(PROGRAMS)

message_sender message_reader: %: %.c message_slot.h
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARNINGS) $(LDFLAGS) -o $@ $<

# Without KDIR's build tree (as on a machine with no headers for the running
# kernel) remove kbuild's outputs directly instead of failing.
clean:
	rm -f $(PROGRAMS)
	if [ -d "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; else \
		rm -rf *.o .*.o *.ko *.mod *.mod.c .*.cmd modules.order Module.symvers .tmp_versions; fi
	rm -rf build

load:
	insmod message_slot.ko
	for n in $(NODES); do \
		rm -f /dev/slot$$n; mknod -m 0666 /dev/slot$$n c 235 $$n || exit 1; done

unload:
	rmmod message_slot
	for n in $(NODES); do rm -f /dev/slot$$n; done

check:
	vm/msgslot-vm check

demo:
	vm/msgslot-vm demo

lint:
	vm/msgslot-vm lint

endif
