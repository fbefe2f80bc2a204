// SPDX-License-Identifier: GPL-2.0
/*
 * message_sender SLOT_FILE CHANNEL MESSAGE
 * message_sender SLOT_FILE CHANNEL CENSOR MESSAGE   (built with CENSOR=3|4)
 *
 * Stores MESSAGE (its strlen() bytes, no terminating NUL) on channel CHANNEL
 * of the message slot SLOT_FILE; in the censorship terms' build it first
 * sets the descriptor's censorship mode to CENSOR (0 off, 1 on), then the
 * channel. Prints nothing on success; on failure prints the failing step
 * and its errno text on stderr. Exit status 0 or 1. Lengths and modes are
 * not checked here: the kernel's verdict is the one reported.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "message_slot.h"

#if MSG_SLOT_CENSOR
#define ARGS		5
#define USAGE		"SLOT_FILE CHANNEL CENSOR MESSAGE"
#else
#define ARGS		4
#define USAGE		"SLOT_FILE CHANNEL MESSAGE"
#endif

/*
 * Parse CHANNEL (and CENSOR): a decimal unsigned 32-bit number, digits
 * only. strtoull() alone accepts blanks, a sign ("-1" wraps) and trailing
 * junk. The same function is in message_reader.c: each program builds from
 * its own file and message_slot.h alone.
 */
static int parse_channel(const char *s, unsigned int *out)
{
	unsigned long long v;
	const char *p;

	if (*s == '\0')
		return -1;
	for (p = s; *p; p++)
		if (*p < '0' || *p > '9')
			return -1;
	errno = 0;
	v = strtoull(s, NULL, 10);
	if (errno != 0 || v > UINT32_MAX)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

static int fail(const char *path, const char *step)
{
	fprintf(stderr, "message_sender: %s: %s: %s\n", path, step,
		strerror(errno));
	return EXIT_FAILURE;
}

int main(int argc, char *argv[])
{
	const char *path, *msg;
	unsigned int channel;
#if MSG_SLOT_CENSOR
	unsigned int mode;
#endif
	int fd;

	if (argc != ARGS) {
		fprintf(stderr, "usage: message_sender " USAGE "\n");
		return EXIT_FAILURE;
	}
	path = argv[1];
	msg = argv[ARGS - 1];
	if (parse_channel(argv[2], &channel) != 0) {
		fprintf(stderr, "message_sender: invalid channel '%s': not a decimal number from 0 to 4294967295\n",
			argv[2]);
		return EXIT_FAILURE;
	}
#if MSG_SLOT_CENSOR
	if (parse_channel(argv[3], &mode) != 0) {
		fprintf(stderr, "message_sender: invalid censorship mode '%s': not a decimal number (0 off, 1 on)\n",
			argv[3]);
		return EXIT_FAILURE;
	}
#endif

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return fail(path, "open");
#if MSG_SLOT_CENSOR
	/* The assignment's order: the mode first, then the channel. */
	if (ioctl(fd, MSG_SLOT_SET_CEN, (unsigned long)mode) < 0) {
		fail(path, "set censorship");
		close(fd);
		return EXIT_FAILURE;
	}
#endif
	/* The id travels by value as the variadic unsigned long argument. */
	if (ioctl(fd, MSG_SLOT_CHANNEL, (unsigned long)channel) < 0) {
		fail(path, "set channel");
		close(fd);
		return EXIT_FAILURE;
	}
	/* One write() of the whole message: a slot stores whole messages. */
	if (write(fd, msg, strlen(msg)) < 0) {
		fail(path, "write");
		close(fd);
		return EXIT_FAILURE;
	}
	if (close(fd) < 0)
		return fail(path, "close");
	return EXIT_SUCCESS;
}
