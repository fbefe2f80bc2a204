/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Interface of the message slot character device, shared
 * by the kernel module and by user programs.
 *
 * A slot is a device file of major MAJOR_NUM; each minor is an independent
 * slot. ioctl(fd, MSG_SLOT_CHANNEL, id) picks the channel of that file
 * descriptor (id 1 .. 2^32-1); write() then stores a message of 1 to
 * MSG_SLOT_MAX_LEN bytes on the channel and read() returns it until it is
 * overwritten.
 */
#ifndef MESSAGE_SLOT_H
#define MESSAGE_SLOT_H

#include <linux/ioctl.h>

#define MAJOR_NUM		235

/* The id is passed by value in the ioctl argument, not through a pointer. */
#define MSG_SLOT_CHANNEL	_IOW(MAJOR_NUM, 0, unsigned int)

/*
 * Many published test programs encode the command with an unsigned long;
 * on 64-bit machines that is a different number, so the module accepts it
 * as the same command. On 32-bit machines the two are equal.
 */
#define MSG_SLOT_CHANNEL_UL	_IOW(MAJOR_NUM, 0, unsigned long)

/* Longest message, in bytes. Messages are 1 to MSG_SLOT_MAX_LEN bytes. */
#define MSG_SLOT_MAX_LEN	128

#endif /* MESSAGE_SLOT_H */
