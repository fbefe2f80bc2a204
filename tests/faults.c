// SPDX-License-Identifier: GPL-2.0
/*
 * faults.c - memory failure injected into every allocation the message
 * slot module makes, on a kernel with fault injection (the debug kernel:
 * FAULT_INJECTION, FAILSLAB, FAULT_INJECTION_DEBUG_FS).
 *
 * Writing N to /proc/thread-self/fail-nth makes the Nth fault-injectable
 * call of this thread fail; reading it back gives 0 once that happened.
 * failslab ignores allocations that may sleep unless ignore-gfp-wait is 0,
 * and its default verbosity prints a stack trace that the VM harness
 * would take for a kernel report, so both are set first.
 *
 * The module allocates only when a write creates a channel: the channel
 * (always), the slot's first bucket table (its header and its array) on the
 * slot's first channel, and a bigger table when the slot outgrows its
 * buckets. The first two fail the write with ENOMEM and change nothing; a
 * failed resize is not an error (the table stays as it is). ioctl, read,
 * and a write to an existing channel allocate nothing.
 *
 * Build: gcc -O2 -Wall -Wextra -std=gnu11 -static -I. -o tests/faults tests/faults.c
 * Run (as root, module loaded): tests/faults [--major N] [--nodes DIR]
 * The slots it uses (101 to 164) are not used by slot_test or the fuzzer.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <fcntl.h>
#include <getopt.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "message_slot.h"

#define FAILSLAB	"/sys/kernel/debug/failslab"

static unsigned int g_major = MAJOR_NUM;
static const char *g_nodes = "/tmp/faults-nodes";

/* An own node for @minor: the test needs nothing from /dev. */
static int open_slot(unsigned int minor)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/slot%u", g_nodes, minor);
	unlink(path);
	if (mknod(path, S_IFCHR | 0600, makedev(g_major, minor))) {
		FAIL("mknod %s: %s", path, errno_name(errno));
		harness_leave();
	}
	fd = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	return fd;
}

static int write_file(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n = -1;

	if (fd >= 0) {
		n = write(fd, value, strlen(value));
		close(fd);
	}
	return n == (ssize_t)strlen(value) ? 0 : -1;
}

/*
 * This thread's fail-nth, opened once: opening a file allocates, which
 * would consume the count.
 */
static int fail_nth_fd(void)
{
	static int fd = -1;

	if (fd < 0)
		fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		FAIL("/proc/thread-self/fail-nth: %s (no CONFIG_FAULT_INJECTION?)",
		     errno_name(errno));
		harness_leave();
	}
	return fd;
}

/* Fail this thread's @nth fault-injectable call from now on (0: none). */
static void fail_nth(unsigned int nth)
{
	int fd = fail_nth_fd();
	char v[16];
	int len = snprintf(v, sizeof(v), "%u", nth);

	ASSERT_EQ(len, pwrite(fd, v, (size_t)len, 0));
}

/* What is left of the count: 0 once the failure was injected. */
static long fail_nth_left(void)
{
	char v[32] = "";
	ssize_t n = pread(fail_nth_fd(), v, sizeof(v) - 1, 0);

	return n > 0 ? strtol(v, NULL, 10) : -1;
}

static void set_channel(int fd, uint32_t id)
{
	ASSERT_EQ(0, ioctl(fd, MSG_SLOT_CHANNEL, (unsigned long)id));
}

/* The message of channel @id of slot @minor: a few bytes that name both. */
static size_t message(char *m, unsigned int minor, uint32_t id)
{
	return (size_t)snprintf(m, MSG_SLOT_MAX_LEN, "slot %u channel %u", minor, id);
}

static void store(int fd, unsigned int minor, uint32_t id)
{
	char m[MSG_SLOT_MAX_LEN];
	size_t len = message(m, minor, id);

	set_channel(fd, id);
	ASSERT_EQ((ssize_t)len, write(fd, m, len));
}

/* Channel @id of slot @minor holds its message, or (@want == 0) nothing. */
static int expect_stored(int fd, unsigned int minor, uint32_t id, int want)
{
	char m[MSG_SLOT_MAX_LEN], buf[MSG_SLOT_MAX_LEN] = "";
	size_t len = message(m, minor, id);

	set_channel(fd, id);
	if (!want)
		return EXPECT_ERRNO(read(fd, buf, sizeof(buf)), EWOULDBLOCK);
	return EXPECT_EQ((ssize_t)len, read(fd, buf, sizeof(buf))) &&
	       EXPECT_MEMEQ(m, buf, len);
}

enum fault_outcome { NOT_INJECTED, FAILED_ENOMEM, SURVIVED };

/*
 * Write channel @id's message on slot @minor with this thread's @nth
 * fault-injectable call failing. A write that met the failure either
 * failed with ENOMEM and created nothing, and the same write then works;
 * or it succeeded (the failed allocation was one that may fail: a resize,
 * or a debugging aid's own bookkeeping such as kmemleak's). Either way the
 * channel holds its message afterwards.
 */
static enum fault_outcome write_failing(int fd, unsigned int minor, uint32_t id,
					unsigned int nth)
{
	char m[MSG_SLOT_MAX_LEN];
	size_t len = message(m, minor, id);
	enum fault_outcome how = SURVIVED;
	ssize_t n;
	int err;

	set_channel(fd, id);
	fail_nth(nth);
	n = write(fd, m, len);
	err = errno;
	if (fail_nth_left() != 0)
		how = NOT_INJECTED;
	fail_nth(0);
	if (how == SURVIVED && n == -1) {
		how = FAILED_ENOMEM;
		if (!EXPECT_EQ(ENOMEM, err))
			TH_LOG("allocation %u failing: write failed with %s, not ENOMEM",
			       nth, errno_name(err));
		expect_stored(fd, minor, id, 0);
		set_channel(fd, id);
		EXPECT_EQ((ssize_t)len, write(fd, m, len));
	} else if (!EXPECT_EQ((ssize_t)len, n)) {
		TH_LOG("allocation %u failing: write returned %zd %s", nth, n,
		       n < 0 ? errno_name(err) : "");
	}
	expect_stored(fd, minor, id, 1);
	return how;
}

/*
 * The first write on an empty slot (a fresh slot each time), with its 1st,
 * 2nd, 3rd... fault-injectable call failing, until a write meets no
 * failure. Three allocations cannot fail without failing the write: the
 * channel, and the slot's first table (header and bucket array).
 */
TEST(fault_each_allocation_of_a_slot_first_write)
{
	unsigned int nth, enomem = 0, survived = 0;
	enum fault_outcome how = SURVIVED;

	for (nth = 1; nth <= 24 && how != NOT_INJECTED; nth++) {
		unsigned int minor = 110 + nth;
		int fd = open_slot(minor);

		how = write_failing(fd, minor, 7, nth);
		enomem += how == FAILED_ENOMEM;
		survived += how == SURVIVED;
		close(fd);
	}
	TH_LOG("first write on a slot: %u calls failed in turn: %u writes failed with ENOMEM, %u succeeded anyway",
	       nth - 2, enomem, survived);
	EXPECT_EQ(NOT_INJECTED, how);
	EXPECT_LE(3, enomem);
}

/*
 * A new channel on a slot that has channels: its allocation fails, the
 * write returns ENOMEM, the other channels keep their messages, and the
 * next write succeeds.
 */
TEST(fault_channel_allocation_enomem_keeps_others)
{
	const unsigned int minor = 101;
	int fd = open_slot(minor);
	uint32_t id;

	for (id = 1; id <= 5; id++)
		store(fd, minor, id);
	EXPECT_EQ(FAILED_ENOMEM, write_failing(fd, minor, 1000, 1));
	for (id = 1; id <= 5; id++)
		expect_stored(fd, minor, id, 1);
	close(fd);
}

/*
 * The write that outgrows a slot's first table (16 buckets: the 17th
 * channel starts a resize), with its 1st, 2nd, ... call failing in turn on
 * a fresh slot each time. A failed resize is no error: the write succeeds,
 * and the table grows later. At least the new table's header and bucket
 * array fail that way. Every channel stays readable, then and after
 * hundreds more.
 */
TEST(fault_each_allocation_of_a_resize)
{
	unsigned int nth, enomem = 0, survived = 0;
	enum fault_outcome how = SURVIVED;
	uint32_t id;

	for (nth = 1; nth <= 24 && how != NOT_INJECTED; nth++) {
		unsigned int minor = 140 + nth;
		int fd = open_slot(minor);

		for (id = 1; id <= 16; id++)
			store(fd, minor, id);
		how = write_failing(fd, minor, 17, nth);
		enomem += how == FAILED_ENOMEM;
		survived += how == SURVIVED;
		for (id = 18; id <= 400; id++)
			store(fd, minor, id);
		for (id = 1; id <= 400; id++)
			if (!expect_stored(fd, minor, id, 1))
				break;
		close(fd);
	}
	TH_LOG("the 17th channel of a slot: %u calls failed in turn: %u writes failed with ENOMEM, %u succeeded anyway",
	       nth - 2, enomem, survived);
	EXPECT_EQ(NOT_INJECTED, how);
	/* The channel itself. */
	EXPECT_LE(1, enomem);
	/* The new table's header and bucket array. */
	EXPECT_LE(2, survived);
}

/* Once a channel exists, ioctl, write and read allocate nothing. */
TEST(fault_no_allocation_on_existing_channel)
{
	const unsigned int minor = 101;
	int fd = open_slot(minor);
	char m[MSG_SLOT_MAX_LEN], buf[MSG_SLOT_MAX_LEN];
	size_t len = message(m, minor, 3);

	store(fd, minor, 3);
	fail_nth(1);
	EXPECT_EQ(0, ioctl(fd, MSG_SLOT_CHANNEL, 3UL));
	EXPECT_EQ((ssize_t)len, write(fd, m, len));
	EXPECT_EQ((ssize_t)len, read(fd, buf, sizeof(buf)));
	/* Nothing consumed the count: no allocation was even tried. */
	EXPECT_EQ(1, fail_nth_left());
	fail_nth(0);
	EXPECT_MEMEQ(m, buf, len);
	close(fd);
}

static void preamble(void)
{
	/* failslab skips GFP_KERNEL allocations by default; no stack dumps. */
	if (write_file(FAILSLAB "/ignore-gfp-wait", "N") ||
	    write_file(FAILSLAB "/verbose", "1"))
		harness_diag("setup: cannot configure " FAILSLAB ": %s (debugfs mounted? CONFIG_FAILSLAB?)",
			     errno_name(errno));
	if (mkdir(g_nodes, 0700) && errno != EEXIST)
		harness_diag("setup: mkdir %s: %s", g_nodes, errno_name(errno));
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "major", required_argument, NULL, 'M' },
		{ "nodes", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'M':
			g_major = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'n':
			g_nodes = optarg;
			break;
		default:
			fprintf(stderr, "usage: faults [--major N] [--nodes DIR]\n");
			return 2;
		}
	}
	harness_preamble = preamble;
	return harness_run();
}
