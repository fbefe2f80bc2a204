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

/*
 * ioctl(fd, MSG_SLOT_SET_CEN, mode): censorship of this file descriptor's
 * writes, mode 0 (off) or 1 (on), in the assignment's censorship terms
 * (spring 2025: every 3rd byte, fall 2025/26: every 4th). Only a module
 * loaded with censor=3 or censor=4 knows it; the classic module answers
 * EINVAL, as for any unknown command. Both encodings are accepted.
 */
#define MSG_SLOT_SET_CEN	_IOW(MAJOR_NUM, 1, unsigned int)
#define MSG_SLOT_SET_CEN_UL	_IOW(MAJOR_NUM, 1, unsigned long)

/* What a censored write puts in place of every censored byte. */
#define MSG_SLOT_CEN_CHAR	'#'

/*
 * The build's censorship period: 0 (the classic assignment, the default),
 * 3 (spring 2025) or 4 (fall 2025/26). `make CENSOR=N` sets it for the
 * module (the default of its censor= parameter) and for message_sender
 * (which then takes SLOT_FILE CHANNEL CENSOR MESSAGE).
 */
#ifndef MSG_SLOT_CENSOR
#define MSG_SLOT_CENSOR		0
#endif

/* Longest message, in bytes. Messages are 1 to MSG_SLOT_MAX_LEN bytes. */
#define MSG_SLOT_MAX_LEN	128

#endif /* MESSAGE_SLOT_H */
