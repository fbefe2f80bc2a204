// SPDX-License-Identifier: GPL-2.0
/*
 * slot_state.c - slot_test's tests of what a slot keeps: messages across
 * close and reopen, a channel per descriptor, slots and channels apart
 * from each other.
 * Part of slot_test: see slot_test.h.
 */
#define HARNESS_FILE_RANK 4
#include "slot_test.h"

/* ---- persistence -------------------------------------------------------- */

TEST(message_persists_across_close_and_reopen)
{
	unsigned char msg[90];
	uint32_t ch = fresh_channel();

	fill_unique(msg, sizeof(msg), 1);
	store(1, ch, msg, sizeof(msg));
	EXPECT_STORED(1, ch, msg, sizeof(msg));
	EXPECT_STORED(1, ch, msg, sizeof(msg));
}

int expect_child_ok_at(const char *file, int line, pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid) {
		harness_fail(file, line, "waitpid(%d): %s", (int)pid,
			     errno_name(errno));
		return 0;
	}
	if (WIFSIGNALED(status)) {
		harness_fail(file, line, "helper process %d killed by %s",
			     (int)pid, signal_name(WTERMSIG(status)));
		return 0;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		harness_fail(file, line, "helper process %d: status 0x%x",
			     (int)pid, status);
		return 0;
	}
	harness_count_check(1);
	return 1;
}

TEST(message_from_child_process_read_by_parent)
{
	unsigned char msg[70];
	uint32_t ch = fresh_channel();
	pid_t pid;

	fill_unique(msg, sizeof(msg), 1);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		store(2, ch, msg, sizeof(msg));
		_exit(0);
	}
	EXPECT_CHILD_OK(pid);
	EXPECT_STORED(2, ch, msg, sizeof(msg));
}

TEST(message_from_parent_read_by_child_process)
{
	unsigned char msg[71];
	uint32_t ch = fresh_channel();
	pid_t pid;

	fill_unique(msg, sizeof(msg), 1);
	store(2, ch, msg, sizeof(msg));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		EXPECT_STORED(2, ch, msg, sizeof(msg));
		_exit(0);
	}
	EXPECT_CHILD_OK(pid);
}

/* ---- per descriptor ------------------------------------------------------ */

TEST(two_opens_same_slot_have_independent_channels)
{
	uint32_t ca = fresh_channel(), cb = fresh_channel();
	int a = OPEN_SLOT(0), b = OPEN_SLOT(0), c;

	SET_CHANNEL(a, ca);
	SET_CHANNEL(b, cb);
	WRITE_MSG(a, "alpha", 5);
	WRITE_MSG(b, "beta", 4);
	EXPECT_READ(a, "alpha", 5);
	EXPECT_READ(b, "beta", 4);
	c = OPEN_SLOT(0);
	SET_CHANNEL(c, ca);
	EXPECT_READ(c, "alpha", 5);
	EXPECT_READ(b, "beta", 4);
}

TEST(dup_fd_shares_channel)
{
	uint32_t ca = fresh_channel(), cb = fresh_channel();
	int a = OPEN_SLOT(0), d;

	SET_CHANNEL(a, ca);
	d = dup(a);
	ASSERT_LE(0, d);
	WRITE_MSG(d, "via dup", 7);
	EXPECT_READ(a, "via dup", 7);
	/* A channel set through the dup is the original's too. */
	SET_CHANNEL(d, cb);
	WRITE_MSG(a, "via original", 12);
	EXPECT_STORED(0, cb, "via original", 12);
	EXPECT_STORED(0, ca, "via dup", 7);
}

TEST(fork_inherited_fd_shares_channel)
{
	uint32_t ch = fresh_channel(), ch2 = fresh_channel();
	int fd = OPEN_SLOT(1);
	pid_t pid;

	/* The child sets the channel of the inherited open file... */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		SET_CHANNEL(fd, ch);
		_exit(0);
	}
	EXPECT_CHILD_OK(pid);
	/* ...and the parent's writes go there. */
	EXPECT_EQ(6, write(fd, "parent", 6));
	EXPECT_STORED(1, ch, "parent", 6);

	SET_CHANNEL(fd, ch2);
	WRITE_MSG(fd, "second", 6);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		EXPECT_READ(fd, "second", 6);
		_exit(0);
	}
	EXPECT_CHILD_OK(pid);
}

/* ---- isolation ------------------------------------------------------------ */

TEST(same_channel_on_two_slots_unrelated)
{
	uint32_t ch = fresh_channel();

	store(0, 7, "slot zero channel seven", 23);
	store(1, 7, "slot one, channel 7", 19);
	EXPECT_STORED(0, 7, "slot zero channel seven", 23);
	EXPECT_STORED(1, 7, "slot one, channel 7", 19);

	store(0, ch, "only on slot 0", 14);
	EXPECT_NEVER_WRITTEN(1, ch);
	store(1, ch, "slot 1", 6);
	EXPECT_STORED(0, ch, "only on slot 0", 14);
	EXPECT_STORED(1, ch, "slot 1", 6);
}

TEST(channels_within_slot_unrelated)
{
	uint32_t a = fresh_channel(), b = fresh_channel();

	store(2, a, "channel a", 9);
	EXPECT_NEVER_WRITTEN(2, b);
	store(2, b, "channel b!", 10);
	EXPECT_STORED(2, a, "channel a", 9);
	EXPECT_STORED(2, b, "channel b!", 10);
}

TEST(minors_0_1_2_3_255_are_independent_slots)
{
	unsigned char msg[NR_MINORS][40];
	uint32_t ch = fresh_channel();
	int i;

	store(0, ch, "minor 0 first", 13);
	for (i = 1; i < NR_MINORS; i++)
		if (!EXPECT_NEVER_WRITTEN(minors[i], ch))
			TH_LOG("minor %d", minors[i]);
	for (i = 0; i < NR_MINORS; i++) {
		fill_unique(msg[i], sizeof(msg[i]), (unsigned int)i);
		store(minors[i], ch, msg[i], sizeof(msg[i]) - (size_t)i);
	}
	for (i = 0; i < NR_MINORS; i++)
		if (!EXPECT_STORED(minors[i], ch, msg[i], sizeof(msg[i]) - (size_t)i))
			TH_LOG("minor %d", minors[i]);
}

