// SPDX-License-Identifier: GPL-2.0
/*
 * message_reader SLOT_FILE CHANNEL
 *
 * Reads the message on channel CHANNEL of the message slot SLOT_FILE and
 * writes exactly its bytes to standard output (no newline). On failure
 * prints the failing step and its errno text on stderr and nothing on
 * stdout. Exit status 0 or 1.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
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
 * function is in message_sender.c: each program builds from its own file
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
	fprintf(stderr, "message_reader: %s: %s: %s\n", path, step,
		strerror(errno));
	return EXIT_FAILURE;
}

/* Write all of buf, looping on short writes and EINTR. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int main(int argc, char *argv[])
{
	char buf[MSG_SLOT_MAX_LEN];
	unsigned int channel;
	const char *path;
	ssize_t len;
	int fd;

	/* A closed stdout pipe is an error to report (EPIPE), not a signal. */
	signal(SIGPIPE, SIG_IGN);
	if (argc != 3) {
		fprintf(stderr, "usage: message_reader SLOT_FILE CHANNEL\n");
		return EXIT_FAILURE;
	}
	path = argv[1];
	if (parse_channel(argv[2], &channel) != 0) {
		fprintf(stderr, "message_reader: invalid channel '%s': not a decimal number from 0 to 4294967295\n",
			argv[2]);
		return EXIT_FAILURE;
	}

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return fail(path, "open");
	/* The id travels by value as the variadic unsigned long argument. */
	if (ioctl(fd, MSG_SLOT_CHANNEL, (unsigned long)channel) < 0) {
		fail(path, "set channel");
		close(fd);
		return EXIT_FAILURE;
	}
	len = read(fd, buf, sizeof(buf));
	if (len < 0) {
		fail(path, "read");
		close(fd);
		return EXIT_FAILURE;
	}
	if (close(fd) < 0)
		return fail(path, "close");
	if (write_all(STDOUT_FILENO, buf, (size_t)len) < 0) {
		fprintf(stderr, "message_reader: standard output: %s\n",
			strerror(errno));
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}
