// SPDX-License-Identifier: GPL-2.0
/*
 * message_sender SLOT_FILE CHANNEL MESSAGE
 *
 * Stores MESSAGE (its strlen() bytes, no terminating NUL) on channel CHANNEL
 * of the message slot SLOT_FILE. Prints nothing on success; on failure
 * prints the failing step and its errno text on stderr. Exit status 0 or 1.
 * Lengths are not checked here: the kernel's verdict is the one reported.
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

/*
 * Parse CHANNEL: a decimal unsigned 32-bit number, digits only. strtoull()
 * alone accepts blanks, a sign ("-1" wraps) and trailing junk. The same
 * function is in message_reader.c: each program builds from its own file
 * and message_slot.h alone.
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
	int fd;

	if (argc != 4) {
		fprintf(stderr, "usage: message_sender SLOT_FILE CHANNEL MESSAGE\n");
		return EXIT_FAILURE;
	}
	path = argv[1];
	msg = argv[3];
	if (parse_channel(argv[2], &channel) != 0) {
		fprintf(stderr, "message_sender: invalid channel '%s': not a decimal number from 0 to 4294967295\n",
			argv[2]);
		return EXIT_FAILURE;
	}

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return fail(path, "open");
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
