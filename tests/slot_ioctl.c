// SPDX-License-Identifier: GPL-2.0
/*
 * slot_ioctl.c - slot_test's tests of the channel ioctl: every minor
 * opens, ids from 1 to 2^32-1 are taken, 0 and unknown commands are
 * refused and change nothing.
 * Part of slot_test: see slot_test.h.
 */
#define HARNESS_FILE_RANK 1
#include "slot_test.h"

/* ---- ioctl ------------------------------------------------------------ */

TEST(open_every_minor_succeeds)
{
	int i;

	for (i = 0; i < NR_MINORS; i++) {
		int fd = OPEN_SLOT(minors[i]);

		EXPECT_EQ(0, close(fd));
	}
}

TEST(new_fd_has_no_channel)
{
	unsigned char buf[MAX_LEN];
	uint32_t ch = fresh_channel();
	int a = OPEN_SLOT(0), b;

	SET_CHANNEL(a, ch);
	WRITE_MSG(a, "first fd", 8);
	/* Another open of the same slot starts without a channel. */
	b = OPEN_SLOT(0);
	EXPECT_ERRNO(write(b, "second fd", 9), EINVAL);
	EXPECT_ERRNO(read(b, buf, sizeof(buf)), EINVAL);
	EXPECT_READ(a, "first fd", 8);
}

TEST(ioctl_channel_zero_einval)
{
	int fd = OPEN_SLOT(0);

	EXPECT_ERRNO(ioctl(fd, g_ioctl, 0UL), EINVAL);
	SET_CHANNEL(fd, fresh_channel());
	EXPECT_ERRNO(ioctl(fd, g_ioctl, 0UL), EINVAL);
}

TEST(ioctl_failed_keeps_previous_channel)
{
	static const char five[] = "message on channel five";
	unsigned char other[40];
	int fd = OPEN_SLOT(0);

	fill_unique(other, sizeof(other), 1);
	SET_CHANNEL(fd, 5);
	WRITE_MSG(fd, five, sizeof(five) - 1);
	EXPECT_ERRNO(ioctl(fd, g_ioctl, 0UL), EINVAL);
	EXPECT_READ(fd, five, sizeof(five) - 1);
	/* A write after the failed ioctl goes to channel 5 too. */
	WRITE_MSG(fd, other, sizeof(other));
	EXPECT_STORED(0, 5, other, sizeof(other));
}

TEST(ioctl_failed_on_new_fd_leaves_no_channel)
{
	unsigned char buf[MAX_LEN];
	int fd = OPEN_SLOT(1);

	EXPECT_ERRNO(ioctl(fd, g_ioctl, 0UL), EINVAL);
	EXPECT_ERRNO(write(fd, "abc", 3), EINVAL);
	EXPECT_ERRNO(read(fd, buf, sizeof(buf)), EINVAL);
}

/*
 * The contract's second encoding of the command: --ioctl's (by default
 * MSG_SLOT_CHANNEL) with the size of an unsigned long, so that it follows an
 * implementation whose header uses another major (MSG_SLOT_CHANNEL_UL here).
 */
unsigned long ul_form(unsigned long cmd)
{
	return (cmd & ~((unsigned long)_IOC_SIZEMASK << _IOC_SIZESHIFT)) |
	       ((unsigned long)sizeof(unsigned long) << _IOC_SIZESHIFT);
}

unsigned long ioctl_ul(void)
{
	return ul_form(g_ioctl);
}

TEST(ioctl_unknown_command_einval_keeps_channel)
{
	const unsigned long cmds[] = {
		_IOW(MAJOR_NUM, 1, unsigned int),
		_IOW(MAJOR_NUM, 255, unsigned int),
		_IOR(MAJOR_NUM, 0, unsigned int),
		_IOWR(MAJOR_NUM, 0, unsigned int),
		_IO(MAJOR_NUM, 0),
		_IOW(MAJOR_NUM, 0, unsigned short),
		_IOW(MAJOR_NUM, 0, unsigned char),
		_IOW(MAJOR_NUM + 1, 0, unsigned int),
		_IOW(MAJOR_NUM - 1, 0, unsigned int),
		0, 1, 0x5401 /* TCGETS */,
	};
	unsigned char mine[50], theirs[60];
	uint32_t ch = fresh_channel(), other = fresh_channel();
	size_t i;
	int fd = OPEN_SLOT(0);

	fill_unique(mine, sizeof(mine), 1);
	fill_unique(theirs, sizeof(theirs), 2);
	store(0, other, theirs, sizeof(theirs));
	SET_CHANNEL(fd, ch);
	WRITE_MSG(fd, mine, sizeof(mine));
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (cmds[i] == g_ioctl || cmds[i] == MSG_SLOT_CHANNEL_UL)
			continue;
		/* A censorship build knows MSG_SLOT_SET_CEN (censor_* cases). */
		if (g_censor && (cmds[i] == g_cen_ioctl ||
				 cmds[i] == ul_form(g_cen_ioctl)))
			continue;
		/* The argument is a valid id: the command must not set it. */
		if (!EXPECT_ERRNO(ioctl(fd, cmds[i], (unsigned long)other), EINVAL))
			TH_LOG("command 0x%lx", cmds[i]);
		if (!EXPECT_READ(fd, mine, sizeof(mine)))
			TH_LOG("after command 0x%lx the fd's channel changed",
			       cmds[i]);
	}
}

TEST(ioctl_unsigned_long_command_accepted)
{
	unsigned char m1[30], m2[31];
	uint32_t ch = fresh_channel();
	int a = OPEN_SLOT(2), b = OPEN_SLOT(2);
	const unsigned long cmd_ul = ioctl_ul();

	TH_LOG("MSG_SLOT_CHANNEL 0x%lx, its unsigned long form 0x%lx",
	       g_ioctl, cmd_ul);
	if (g_ioctl == (unsigned long)MSG_SLOT_CHANNEL)
		EXPECT_EQ((unsigned long)MSG_SLOT_CHANNEL_UL, cmd_ul);
	fill_unique(m1, sizeof(m1), 1);
	fill_unique(m2, sizeof(m2), 2);
	ASSERT_EQ(0, ioctl(a, cmd_ul, (unsigned long)ch));
	WRITE_MSG(a, m1, sizeof(m1));
	SET_CHANNEL(b, ch);
	EXPECT_READ(b, m1, sizeof(m1));
	WRITE_MSG(b, m2, sizeof(m2));
	EXPECT_READ(a, m2, sizeof(m2));
	EXPECT_ERRNO(ioctl(a, cmd_ul, 0UL), EINVAL);
	EXPECT_READ(a, m2, sizeof(m2));
}

/*
 * The classic module (--censor 0) knows one command: MSG_SLOT_SET_CEN, in
 * either encoding and with either mode, is as unknown as any other (EINVAL),
 * sets nothing, and writes stay plain. A module that took it while its
 * censorship is off would give classic users a command their term lacks.
 */
TEST(ioctl_set_cen_unknown_when_classic)
{
	const unsigned long cmds[] = { g_cen_ioctl, ul_form(g_cen_ioctl) };
	unsigned char msg[MAX_LEN];
	uint32_t ch = fresh_channel();
	unsigned long mode;
	size_t i;
	int fd;

	if (g_censor)
		SKIP("a censorship build (--censor %u): MSG_SLOT_SET_CEN is a command there",
		     g_censor);
	fill_unique(msg, sizeof(msg), 1);
	for (i = 0; i < MAX_LEN; i++)
		if (msg[i] == CEN_CHAR)
			msg[i] = 'x';
	fd = OPEN_SLOT(3);
	/* Before a channel is set: still no channel after it. */
	for (i = 0; i < 2; i++)
		if (!EXPECT_ERRNO(ioctl(fd, cmds[i], 1UL), EINVAL))
			TH_LOG("command 0x%lx (MSG_SLOT_SET_CEN), mode 1, no channel set",
			       cmds[i]);
	EXPECT_ERRNO(write(fd, msg, 10), EINVAL);
	SET_CHANNEL(fd, ch);
	for (i = 0; i < 2; i++)
		for (mode = 0; mode < 2; mode++)
			if (!EXPECT_ERRNO(ioctl(fd, cmds[i], mode), EINVAL))
				TH_LOG("command 0x%lx (MSG_SLOT_SET_CEN), mode %lu",
				       cmds[i], mode);
	/* After "mode 1", a write of every length stores the plain bytes. */
	for (i = 1; i <= MAX_LEN; i++) {
		WRITE_MSG(fd, msg, i);
		if (!EXPECT_READ(fd, msg, i)) {
			TH_LOG("(a %zu-byte write after ioctl(MSG_SLOT_SET_CEN, 1))", i);
			break;
		}
	}
	EXPECT_STORED(3, ch, msg, MAX_LEN);
}

TEST(ioctl_channel_ids_distinct_across_32_bits)
{
	/*
	 * Ids that collide when an id is truncated to 8, 16, 20 or 31 bits,
	 * or kept in a signed int: 2^20+1 -> 1, 2^31+1 -> 1 or negative,
	 * 2^32-1 -> 255, 65535, 2^31-1 or -1.
	 */
	static const uint32_t ids[] = {
		1, 2, 255, 256, 65535, 65536, 65537, 1048576, 1048577,
		2147483647u, 2147483648u, 2147483649u, 4294967294u,
		4294967295u,
	};
	enum { N = sizeof(ids) / sizeof(ids[0]) };
	unsigned char msgs[N][24];
	size_t i;
	int fd = OPEN_SLOT(3);

	for (i = 0; i < N; i++) {
		fill_unique(msgs[i], sizeof(msgs[i]), (unsigned int)i);
		snprintf((char *)msgs[i], 12, "%" PRIu32, ids[i]);
		SET_CHANNEL(fd, ids[i]);
		WRITE_MSG(fd, msgs[i], sizeof(msgs[i]) - i);
	}
	for (i = 0; i < N; i++) {
		SET_CHANNEL(fd, ids[i]);
		if (!EXPECT_READ(fd, msgs[i], sizeof(msgs[i]) - i))
			TH_LOG("channel %" PRIu32 " lost its message", ids[i]);
	}
	/* The same from a second descriptor, in reverse order. */
	close(fd);
	fd = OPEN_SLOT(3);
	for (i = N; i-- > 0;) {
		SET_CHANNEL(fd, ids[i]);
		if (!EXPECT_READ(fd, msgs[i], sizeof(msgs[i]) - i))
			TH_LOG("channel %" PRIu32 " via a new fd", ids[i]);
	}
	EXPECT_NEVER_WRITTEN(3, fresh_channel());
}

TEST(ioctl_switch_channel_on_same_fd)
{
	uint32_t a = fresh_channel(), b = fresh_channel();
	int fd = OPEN_SLOT(0);

	SET_CHANNEL(fd, a);
	WRITE_MSG(fd, "on a", 4);
	SET_CHANNEL(fd, b);
	EXPECT_READ_FAILS(fd, MAX_LEN, EWOULDBLOCK);
	WRITE_MSG(fd, "on channel b", 12);
	SET_CHANNEL(fd, a);
	EXPECT_READ(fd, "on a", 4);
	SET_CHANNEL(fd, b);
	EXPECT_READ(fd, "on channel b", 12);
}

/*
 * The tests named ext_* check choices of ours that the contract leaves open
 * (README, "Choices where the contract is silent"), not the contract itself.
 */
TEST(ext_ioctl_id_above_32_bits_einval_keeps_channel)
{
	static const char msg[] = "channel 3";
	int fd;

	if (sizeof(unsigned long) < 8)
		SKIP("unsigned long has 32 bits here: no id above 2^32-1 to pass");
	fd = OPEN_SLOT(0);
	SET_CHANNEL(fd, 3);
	WRITE_MSG(fd, msg, sizeof(msg) - 1);
	/* 2^32 + 3 must not alias channel 3, nor 2^32 channel 0. */
	EXPECT_ERRNO(ioctl(fd, g_ioctl, (unsigned long)((1ULL << 32) + 3)), EINVAL);
	EXPECT_ERRNO(ioctl(fd, g_ioctl, (unsigned long)(1ULL << 32)), EINVAL);
	EXPECT_ERRNO(ioctl(fd, g_ioctl, ~0UL), EINVAL);
	EXPECT_READ(fd, msg, sizeof(msg) - 1);
}

TEST(ext_slot_not_seekable_espipe)
{
	static const char msg[] = "no offsets";
	unsigned char buf[MAX_LEN];
	int fd = OPEN_SLOT(0);

	SET_CHANNEL(fd, fresh_channel());
	WRITE_MSG(fd, msg, sizeof(msg) - 1);
	EXPECT_ERRNO(lseek(fd, 0, SEEK_SET), ESPIPE);
	EXPECT_ERRNO(pread(fd, buf, sizeof(buf), 0), ESPIPE);
	EXPECT_ERRNO(pwrite(fd, msg, sizeof(msg) - 1, 0), ESPIPE);
	EXPECT_READ(fd, msg, sizeof(msg) - 1);
}

