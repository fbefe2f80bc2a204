// SPDX-License-Identifier: GPL-2.0
/*
 * kit-probe: which ioctl command numbers a submission's module really
 * answers, found in the kit's VM (vm/guest/kit-init) before any case runs, the
 * way a careful grader would try them.
 *
 *   kit-probe NODE channel LABEL=NUM...
 *	the first command that takes channel id 1 and refuses id 0 with
 *	EINVAL; failing that, the first that takes id 1 (a module that
 *	forgot the id-0 check still gets graded, and fails that case)
 *   kit-probe NODE cen CHANNEL_CMD LABEL=NUM...
 *	the first command that takes censorship mode 1 and then 0 on a
 *	descriptor whose channel is set (mode 0 last: nothing stays on)
 *
 * NODE is a device file of the module's major. Each candidate gets a
 * descriptor of its own. Prints "msgslot-kit-ioctl: KIND LABEL NUM NOTE"
 * and exits 0, or "msgslot-kit-ioctl: KIND none tried ..." and exits 1;
 * one "msgslot-kit-probe:" line per candidate tried.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define MAX_CANDIDATES	32

struct candidate {
	const char *label;
	int label_len;
	unsigned long cmd;
};

/* "0" for success, else the errno's name ("EINVAL"), or its number. */
static const char *outcome(long r, int err, char *buf, size_t size)
{
	const char *name;

	if (r == 0)
		return "0";
	name = strerrorname_np(err);
	if (name && r == -1)
		return name;
	snprintf(buf, size, "%ld errno %d", r, err);
	return buf;
}

static int parse(const char *arg, struct candidate *c)
{
	const char *eq = strrchr(arg, '=');
	char *end;

	if (!eq || eq == arg)
		return -1;
	errno = 0;
	c->cmd = strtoul(eq + 1, &end, 0);
	if (errno || *end || eq[1] == '\0')
		return -1;
	c->label = arg;
	c->label_len = (int)(eq - arg);
	return 0;
}

int main(int argc, char **argv)
{
	struct candidate c[MAX_CANDIDATES];
	unsigned long channel_cmd = 0;
	char tried[4096] = "", b1[48], b2[48];
	int n = 0, i, first, weak = -1, cen;

	if (argc < 4 || (strcmp(argv[2], "channel") && strcmp(argv[2], "cen"))) {
		fprintf(stderr, "usage: kit-probe NODE channel LABEL=NUM... | NODE cen CHANNEL_CMD LABEL=NUM...\n");
		return 2;
	}
	cen = !strcmp(argv[2], "cen");
	first = 3;
	if (cen) {
		channel_cmd = strtoul(argv[3], NULL, 0);
		first = 4;
	}
	for (i = first; i < argc && n < MAX_CANDIDATES; i++)
		if (parse(argv[i], &c[n]) == 0)
			n++;

	for (i = 0; i < n; i++) {
		long r1, r0;
		int e1, e0, ok, fd = open(argv[1], O_RDWR);

		if (fd < 0) {
			printf("msgslot-kit-ioctl: %s none open %s: %s\n", argv[2],
			       argv[1], strerror(errno));
			return 1;
		}
		if (cen) {
			/* Some modules want a channel before anything else. */
			if (ioctl(fd, channel_cmd, 1UL) != 0) {
				/* Not theirs to fail here: try without. */
				close(fd);
				fd = open(argv[1], O_RDWR);
				if (fd < 0)
					return 1;
			}
			r1 = ioctl(fd, c[i].cmd, 1UL);
			e1 = errno;
			r0 = ioctl(fd, c[i].cmd, 0UL);
			e0 = errno;
			ok = r1 == 0 && r0 == 0;
		} else {
			r1 = ioctl(fd, c[i].cmd, 1UL);
			e1 = errno;
			r0 = ioctl(fd, c[i].cmd, 0UL);
			e0 = errno;
			ok = r1 == 0 && r0 == -1 && e0 == EINVAL;
			if (!ok && r1 == 0 && weak < 0)
				weak = i;
		}
		close(fd);
		printf("msgslot-kit-probe: %s %.*s 0x%lx: %s 1 -> %s, %s 0 -> %s\n",
		       argv[2], c[i].label_len, c[i].label, c[i].cmd,
		       cen ? "mode" : "id", outcome(r1, e1, b1, sizeof(b1)),
		       cen ? "mode" : "id", outcome(r0, e0, b2, sizeof(b2)));
		if (ok) {
			printf("msgslot-kit-ioctl: %s %.*s %lu %s\n", argv[2],
			       c[i].label_len, c[i].label, c[i].cmd,
			       cen ? "takes-mode-1-and-0" : "takes-id-1-refuses-id-0");
			return 0;
		}
		snprintf(tried + strlen(tried), sizeof(tried) - strlen(tried),
			 "%s%.*s 0x%lx (%s 1: %s, %s 0: %s)", i ? ", " : "",
			 c[i].label_len, c[i].label, c[i].cmd,
			 cen ? "mode" : "id", outcome(r1, e1, b1, sizeof(b1)),
			 cen ? "mode" : "id", outcome(r0, e0, b2, sizeof(b2)));
	}
	if (weak >= 0) {
		printf("msgslot-kit-ioctl: channel %.*s %lu takes-id-1-but-not-refusing-id-0\n",
		       c[weak].label_len, c[weak].label, c[weak].cmd);
		return 0;
	}
	printf("msgslot-kit-ioctl: %s none tried %s\n", argv[2], n ? tried : "nothing");
	return 1;
}
