// SPDX-License-Identifier: GPL-2.0
/*
 * slot_read.c - slot_test's tests of read: the exact message into a large
 * enough buffer; a short or bad buffer, or no message, fails and changes
 * nothing.
 * Part of slot_test: see slot_test.h.
 */
#define HARNESS_FILE_RANK 3
#include "slot_test.h"

/* ---- read ------------------------------------------------------------- */

TEST(read_no_channel_einval)
{
	int fd = OPEN_SLOT(0);

	EXPECT_READ_FAILS(fd, MAX_LEN, EINVAL);
	EXPECT_READ_FAILS(fd, 0, EINVAL);
	EXPECT_ERRNO(read(fd, null_buf(), MAX_LEN), EINVAL);
	EXPECT_ERRNO(read(fd, null_buf(), 0), EINVAL);
}

TEST(read_never_written_ewouldblock)
{
	int fd = OPEN_SLOT(0);

	SET_CHANNEL(fd, fresh_channel());
	EXPECT_READ_FAILS(fd, MAX_LEN, EWOULDBLOCK);
	EXPECT_READ_FAILS(fd, 1024, EWOULDBLOCK);
	EXPECT_ERRNO(read(fd, null_buf(), MAX_LEN), EWOULDBLOCK);
}

TEST(read_order_ewouldblock_before_enospc)
{
	int fd = OPEN_SLOT(2);

	SET_CHANNEL(fd, fresh_channel());
	EXPECT_ERRNO(read(fd, null_buf(), 0), EWOULDBLOCK);
	EXPECT_READ_FAILS(fd, 0, EWOULDBLOCK);
	EXPECT_READ_FAILS(fd, 1, EWOULDBLOCK);
}

TEST(read_len_smaller_than_message_enospc)
{
	unsigned char msg[MAX_LEN];
	int fd = OPEN_SLOT(0);

	fill_unique(msg, sizeof(msg), 1);
	SET_CHANNEL(fd, fresh_channel());
	WRITE_MSG(fd, msg, 10);
	EXPECT_READ_FAILS(fd, 9, ENOSPC);
	EXPECT_READ_FAILS(fd, 1, ENOSPC);
	EXPECT_READ_FAILS(fd, 0, ENOSPC);
	EXPECT_READ(fd, msg, 10);
	WRITE_MSG(fd, msg, MAX_LEN);
	EXPECT_READ_FAILS(fd, MAX_LEN - 1, ENOSPC);
	EXPECT_READ(fd, msg, MAX_LEN);
}

TEST(read_order_enospc_before_efault)
{
	unsigned char msg[10];
	unsigned char *edge = edge_buffer(0, 0);
	int fd = OPEN_SLOT(0);

	fill_unique(msg, sizeof(msg), 1);
	SET_CHANNEL(fd, fresh_channel());
	WRITE_MSG(fd, msg, sizeof(msg));
	EXPECT_ERRNO(read(fd, null_buf(), 9), ENOSPC);
	EXPECT_ERRNO(read(fd, null_buf(), 0), ENOSPC);
	EXPECT_ERRNO(read(fd, edge, 5), ENOSPC);
	EXPECT_READ(fd, msg, sizeof(msg));
}

TEST(read_null_buf_einval)
{
	unsigned char msg[10];
	int fd = OPEN_SLOT(0);

	fill_unique(msg, sizeof(msg), 1);
	SET_CHANNEL(fd, fresh_channel());
	WRITE_MSG(fd, msg, sizeof(msg));
	EXPECT_ERRNO(read(fd, null_buf(), MAX_LEN), EINVAL);
	EXPECT_ERRNO(read(fd, null_buf(), sizeof(msg)), EINVAL);
	EXPECT_READ(fd, msg, sizeof(msg));
}

TEST(read_partly_unmapped_buf_einval)
{
	unsigned char msg[100];
	int kind;

	for (kind = 0; kind < 2; kind++) {
		unsigned char *edge = edge_buffer(50, kind);
		int fails = harness_failed_checks();
		int fd = OPEN_SLOT(0);

		fill_unique(msg, sizeof(msg), (unsigned int)kind);
		SET_CHANNEL(fd, fresh_channel());
		WRITE_MSG(fd, msg, sizeof(msg));
		EXPECT_ERRNO(read(fd, edge, sizeof(msg)), EINVAL);
		EXPECT_ERRNO(read(fd, edge, MAX_LEN), EINVAL);
		EXPECT_READ(fd, msg, sizeof(msg));
		close(fd);
		edge_context(fails, 50, kind);
	}
}

TEST(read_readonly_buf_einval)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	unsigned char msg[20], zeros[MAX_LEN] = { 0 }, *ro;
	int fd = OPEN_SLOT(0);

	ro = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(ro != MAP_FAILED);
	fill_unique(msg, sizeof(msg), 1);
	SET_CHANNEL(fd, fresh_channel());
	WRITE_MSG(fd, msg, sizeof(msg));
	EXPECT_ERRNO(read(fd, ro, MAX_LEN), EINVAL);
	EXPECT_ERRNO(read(fd, ro, sizeof(msg)), EINVAL);
	EXPECT_MEMEQ(zeros, ro, MAX_LEN);
	EXPECT_READ(fd, msg, sizeof(msg));
}

TEST(read_buf_writable_only_for_message_ok)
{
	/* len may exceed the message; only the message's bytes are written. */
	unsigned char msg[20];
	int kind;

	for (kind = 0; kind < 2; kind++) {
		unsigned char *edge = edge_buffer(sizeof(msg), kind);
		int fails = harness_failed_checks();
		int fd = OPEN_SLOT(0);

		fill_unique(msg, sizeof(msg), (unsigned int)kind);
		memset(edge, SENTINEL, sizeof(msg));
		SET_CHANNEL(fd, fresh_channel());
		WRITE_MSG(fd, msg, sizeof(msg));
		EXPECT_EQ((ssize_t)sizeof(msg), read(fd, edge, MAX_LEN));
		EXPECT_MEMEQ(msg, edge, sizeof(msg));
		close(fd);
		edge_context(fails, sizeof(msg), kind);
	}
}

TEST(read_returns_exact_length_and_bytes)
{
	unsigned char msg[37], buf[256];
	size_t i;
	int fd = OPEN_SLOT(0);

	fill_unique(msg, sizeof(msg), 1);
	SET_CHANNEL(fd, fresh_channel());
	WRITE_MSG(fd, msg, sizeof(msg));
	/* Two sentinels, so a byte that equals one of them cannot hide. */
	for (i = 0; i < 2; i++) {
		unsigned char s = i ? 0x00 : 0xff;
		size_t j, changed = 0;

		memset(buf, s, sizeof(buf));
		EXPECT_EQ((ssize_t)sizeof(msg), read(fd, buf, sizeof(buf)));
		EXPECT_MEMEQ(msg, buf, sizeof(msg));
		for (j = sizeof(msg); j < sizeof(buf); j++)
			changed += buf[j] != s;
		if (!EXPECT_EQ(0, changed))
			TH_LOG("bytes beyond the message were written (sentinel 0x%02x)", s);
	}
}

TEST(read_len_equal_or_larger_than_message_ok)
{
	static const size_t lens[] = { 64, 65, 127, MAX_LEN, 129, 4096 };
	unsigned char msg[64], buf[4096];
	size_t i;
	int fd = OPEN_SLOT(0);

	fill_unique(msg, sizeof(msg), 1);
	SET_CHANNEL(fd, fresh_channel());
	WRITE_MSG(fd, msg, sizeof(msg));
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		memset(buf, SENTINEL, sizeof(buf));
		if (!EXPECT_EQ((ssize_t)sizeof(msg), read(fd, buf, lens[i])) ||
		    !EXPECT_MEMEQ(msg, buf, sizeof(msg)))
			TH_LOG("read with len %zu", lens[i]);
	}
}

TEST(read_does_not_consume)
{
	unsigned char msg[50];
	uint32_t ch = fresh_channel();
	int fd = OPEN_SLOT(0);

	fill_unique(msg, sizeof(msg), 1);
	SET_CHANNEL(fd, ch);
	WRITE_MSG(fd, msg, sizeof(msg));
	EXPECT_READ(fd, msg, sizeof(msg));
	EXPECT_READ(fd, msg, sizeof(msg));
	EXPECT_READ(fd, msg, sizeof(msg));
	close(fd);
	EXPECT_STORED(0, ch, msg, sizeof(msg));
}

TEST(shorter_message_replaces_longer_completely)
{
	unsigned char big[MAX_LEN];
	int fd = OPEN_SLOT(0);

	memset(big, 'A', sizeof(big));
	SET_CHANNEL(fd, fresh_channel());
	WRITE_MSG(fd, big, sizeof(big));
	WRITE_MSG(fd, "bcdef", 5);
	EXPECT_READ(fd, "bcdef", 5);
	WRITE_MSG(fd, "\0", 1);
	EXPECT_READ(fd, "\0", 1);
	WRITE_MSG(fd, big, sizeof(big));
	EXPECT_READ(fd, big, sizeof(big));
}

