// SPDX-License-Identifier: GPL-2.0
/*
 * leak_workload - the workload of the kit's leak boot (vm/guest/kit-leak-init),
 * run on the debug kernel under kmemleak against a submission's module.
 *
 *	leak_workload --phase files|channels [--major N] [--ioctl NUM]
 *		      [--nodes DIR]
 *
 * files: on several slots, many files opened and closed, with and without
 *	a channel set (a few ids, again and again), one ioctl refused (id 0),
 *	two files open on a slot at once; nothing is written. A module whose
 *	channels come into being at ioctl time gets at most a few of them, and
 *	those stay referenced by the module: what kmemleak then finds
 *	unreferenced while the module is still loaded is memory of a file that
 *	outlived its close (the spring 2023-24 rule, freed in release).
 * channels: channels on several slots (ids from 1 to 2^32-1), written,
 *	read back, overwritten with messages of other lengths; two hundred
 *	channels on one slot, all through one file switching channel. Their
 *	memory must stay until the module is unloaded and be freed then.
 *
 * The vm script runs the two phases under different names (leak_files,
 * leak_channels: links to this program) so that kmemleak's report, which
 * names the allocating process, tells them apart.
 *
 * It makes its own device nodes under --nodes (default /tmp/leak-nodes)
 * with the major and the ioctl command the kit found for the submission.
 * Output: one line "leak-workload: PHASE: ..." with what succeeded, so that
 * a verdict can say whether the module was exercised at all; exit status 0,
 * or 2 if it could not even make its nodes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "message_slot.h"
#include "helpers.h"

static const unsigned int minors[] = { 0, 1, 2, 3, 255 };
#define NSLOTS (sizeof(minors) / sizeof(minors[0]))

static unsigned int g_major = MAJOR_NUM;
static unsigned long g_ioctl = MSG_SLOT_CHANNEL;
static const char *g_nodes = "/tmp/leak-nodes";
static char g_path[NSLOTS][256];

/* The first error of each kind, so that the summary says why. */
static char g_why[256];

static void note(const char *what, int err)
{
	if (!g_why[0])
		snprintf(g_why, sizeof(g_why), "%s: %s", what, strerror(err));
}

static int make_nodes(void)
{
	unsigned int i;

	if (mkdir(g_nodes, 0755) && errno != EEXIST) {
		fprintf(stderr, "leak-workload: mkdir %s: %s\n", g_nodes, strerror(errno));
		return -1;
	}
	for (i = 0; i < NSLOTS; i++) {
		slot_path(g_path[i], sizeof(g_path[i]), g_nodes, minors[i]);
		if (make_node(g_path[i], g_major, minors[i], 0666)) {
			fprintf(stderr, "leak-workload: mknod %s: %s\n", g_path[i], strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int open_slot(unsigned int i, unsigned int *opened)
{
	int fd = open(g_path[i], O_RDWR);

	if (fd < 0)
		note("open", errno);
	else
		(*opened)++;
	return fd;
}

static int set_channel(int fd, unsigned long id, unsigned int *set)
{
	if (ioctl(fd, g_ioctl, id)) {
		note("ioctl", errno);
		return -1;
	}
	(*set)++;
	return 0;
}

static void phase_files(void)
{
	unsigned int i, n, opened = 0, set = 0, tries = 0;
	int fd, fd2;

	for (i = 0; i < NSLOTS; i++) {
		for (n = 0; n < 64; n++) {
			tries++;
			fd = open_slot(i, &opened);
			if (fd >= 0)
				close(fd);
		}
		for (n = 0; n < 128; n++) {
			tries++;
			fd = open_slot(i, &opened);
			if (fd < 0)
				continue;
			set_channel(fd, 1 + n % 4, &set);
			/* Setting it again must not cost memory either. */
			if (n % 8 == 0)
				set_channel(fd, 2 + n % 4, &set);
			close(fd);
		}
		/* A refused ioctl (id 0) on an error path of its own. */
		for (n = 0; n < 8; n++) {
			tries++;
			fd = open_slot(i, &opened);
			if (fd < 0)
				continue;
			if (ioctl(fd, g_ioctl, 0UL) == 0)
				note("ioctl of id 0 succeeded", 0);
			close(fd);
		}
		/* Two files on one slot at once, closed in either order. */
		for (n = 0; n < 16; n++) {
			tries += 2;
			fd = open_slot(i, &opened);
			fd2 = open_slot(i, &opened);
			if (fd >= 0)
				set_channel(fd, 5, &set);
			if (fd2 >= 0)
				set_channel(fd2, 6, &set);
			if (n % 2) {
				if (fd >= 0)
					close(fd);
				if (fd2 >= 0)
					close(fd2);
			} else {
				if (fd2 >= 0)
					close(fd2);
				if (fd >= 0)
					close(fd);
			}
		}
	}
	printf("leak-workload: files: %u of %u opened and closed, %u channels set, no write%s%s\n",
	       opened, tries, set, g_why[0] ? "; first error: " : "", g_why);
}

/* Write a message of @len bytes to @id on @fd and read it back. */
static void write_read(int fd, unsigned long id, size_t len, unsigned int *written,
		       unsigned int *matched)
{
	char msg[MSG_SLOT_MAX_LEN], back[MSG_SLOT_MAX_LEN];
	size_t k;
	ssize_t r;

	for (k = 0; k < len; k++)
		msg[k] = (char)('a' + (id + k) % 26);
	r = write(fd, msg, len);
	if (r != (ssize_t)len) {
		note("write", r < 0 ? errno : EIO);
		return;
	}
	(*written)++;
	r = read(fd, back, sizeof(back));
	if (r == (ssize_t)len && !memcmp(msg, back, len))
		(*matched)++;
	else if (r < 0)
		note("read", errno);
}

static void phase_channels(void)
{
	static const unsigned long ids[] = { 1, 2, 3, 7, 1000, 0x80000000UL, 0xffffffffUL };
	unsigned int i, k, opened = 0, set = 0, written = 0, matched = 0, tries = 0;
	int fd;

	for (i = 0; i < NSLOTS; i++) {
		for (k = 0; k < sizeof(ids) / sizeof(ids[0]); k++) {
			fd = open_slot(i, &opened);
			if (fd < 0)
				continue;
			tries += 2;
			if (!set_channel(fd, ids[k], &set)) {
				write_read(fd, ids[k], 1 + (i * 7 + k * 13) % MSG_SLOT_MAX_LEN,
					   &written, &matched);
				/* Overwritten with another length. */
				write_read(fd, ids[k], MSG_SLOT_MAX_LEN - k, &written, &matched);
			}
			close(fd);
		}
	}
	/* Many channels on one slot, through one file switching channel. */
	fd = open_slot(0, &opened);
	if (fd >= 0) {
		unsigned int n;

		for (n = 0; n < 200; n++) {
			tries++;
			if (!set_channel(fd, 100 + n, &set))
				write_read(fd, 100 + n, 1 + n % MSG_SLOT_MAX_LEN, &written, &matched);
		}
		for (n = 0; n < 200; n += 10) {
			tries++;
			if (!set_channel(fd, 100 + n, &set))
				write_read(fd, 100 + n, MSG_SLOT_MAX_LEN - n % 64, &written, &matched);
		}
		close(fd);
	}
	printf("leak-workload: channels: %u of %u writes, %u read back the same, %u files%s%s\n",
	       written, tries, matched, opened, g_why[0] ? "; first error: " : "", g_why);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "phase", required_argument, NULL, 'p' },
		{ "major", required_argument, NULL, 'M' },
		{ "ioctl", required_argument, NULL, 'I' },
		{ "nodes", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	const char *phase = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			phase = optarg;
			break;
		case 'M':
			g_major = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'I':
			g_ioctl = strtoul(optarg, NULL, 0);
			break;
		case 'n':
			g_nodes = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (!phase || (strcmp(phase, "files") && strcmp(phase, "channels")))
		goto usage;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (make_nodes())
		return 2;
	if (!strcmp(phase, "files"))
		phase_files();
	else
		phase_channels();
	return 0;
usage:
	fprintf(stderr, "usage: leak_workload --phase files|channels [--major N] [--ioctl NUM] [--nodes DIR]\n");
	return 2;
}
