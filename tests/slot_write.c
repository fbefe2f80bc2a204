// SPDX-License-Identifier: GPL-2.0
/*
 * slot_write.c - slot_test's tests of write: 1 to 128 bytes are stored
 * whole; anything else, or a failed copy, fails and changes nothing.
 * Part of slot_test: see slot_test.h.
 */
#define HARNESS_FILE_RANK 2
#include "slot_test.h"

/* ---- write ------------------------------------------------------------ */

TEST(write_no_channel_einval)
{
	int fd = OPEN_SLOT(0);

	EXPECT_ERRNO(write(fd, "hello", 5), EINVAL);
	EXPECT_ERRNO(write(fd, "x", 1), EINVAL);
}

TEST(write_order_no_channel_before_emsgsize)
{
	unsigned char big[4096];
	int fd = OPEN_SLOT(0);

	memset(big, 'b', sizeof(big));
	EXPECT_ERRNO(write(fd, null_buf(), 0), EINVAL);
	EXPECT_ERRNO(write(fd, big, 0), EINVAL);
	EXPECT_ERRNO(write(fd, null_buf(), MAX_LEN + 1), EINVAL);
	EXPECT_ERRNO(write(fd, big, MAX_LEN + 1), EINVAL);
}

TEST(write_len0_emsgsize_even_with_null_buf)
{
	unsigned char msg[77];
	uint32_t ch = fresh_channel();
	int fd = OPEN_SLOT(0);

	fill_unique(msg, sizeof(msg), 1);
	SET_CHANNEL(fd, ch);
	EXPECT_ERRNO(write(fd, msg, 0), EMSGSIZE);
	EXPECT_ERRNO(write(fd, null_buf(), 0), EMSGSIZE);
	/* Still never written. */
	EXPECT_READ_FAILS(fd, MAX_LEN, EWOULDBLOCK);
	WRITE_MSG(fd, msg, sizeof(msg));
	EXPECT_ERRNO(write(fd, msg, 0), EMSGSIZE);
	EXPECT_ERRNO(write(fd, null_buf(), 0), EMSGSIZE);
	EXPECT_READ(fd, msg, sizeof(msg));
}

TEST(write_len129_emsgsize_even_with_null_buf)
{
	unsigned char msg[60], big[4096];
	uint32_t ch = fresh_channel();
	int fd = OPEN_SLOT(0);

	fill_unique(msg, sizeof(msg), 1);
	fill_unique(big, sizeof(big), 2);
	SET_CHANNEL(fd, ch);
	EXPECT_ERRNO(write(fd, big, MAX_LEN + 1), EMSGSIZE);
	EXPECT_READ_FAILS(fd, MAX_LEN, EWOULDBLOCK);
	WRITE_MSG(fd, msg, sizeof(msg));
	EXPECT_ERRNO(write(fd, big, MAX_LEN + 1), EMSGSIZE);
	EXPECT_ERRNO(write(fd, null_buf(), MAX_LEN + 1), EMSGSIZE);
	EXPECT_ERRNO(write(fd, big, 200), EMSGSIZE);
	EXPECT_ERRNO(write(fd, big, sizeof(big)), EMSGSIZE);
	EXPECT_READ(fd, msg, sizeof(msg));
}

TEST(write_null_buf_einval)
{
	unsigned char msg[40];
	uint32_t ch = fresh_channel();
	int fd = OPEN_SLOT(0);

	fill_unique(msg, sizeof(msg), 1);
	SET_CHANNEL(fd, ch);
	EXPECT_ERRNO(write(fd, null_buf(), 5), EINVAL);
	EXPECT_READ_FAILS(fd, MAX_LEN, EWOULDBLOCK);
	WRITE_MSG(fd, msg, sizeof(msg));
	EXPECT_ERRNO(write(fd, null_buf(), 5), EINVAL);
	EXPECT_ERRNO(write(fd, null_buf(), MAX_LEN), EINVAL);
	EXPECT_ERRNO(write(fd, null_buf(), 1), EINVAL);
	EXPECT_READ(fd, msg, sizeof(msg));
}

TEST(write_partly_unmapped_buf_einval_keeps_message)
{
	unsigned char prev[100];
	int kind;

	for (kind = 0; kind < 2; kind++) {
		uint32_t ch = fresh_channel();
		unsigned char *edge = edge_buffer(64, kind);
		int fails = harness_failed_checks();
		int fd = OPEN_SLOT(0);

		fill_unique(prev, sizeof(prev), (unsigned int)kind);
		fill_unique(edge, 64, 10u + (unsigned int)kind);
		SET_CHANNEL(fd, ch);
		WRITE_MSG(fd, prev, sizeof(prev));
		EXPECT_ERRNO(write(fd, edge, MAX_LEN), EINVAL);
		EXPECT_ERRNO(write(fd, edge, 65), EINVAL);
		EXPECT_READ(fd, prev, sizeof(prev));
		/* The same bytes that fit the mapping are fine. */
		EXPECT_EQ(64, write(fd, edge, 64));
		EXPECT_READ(fd, edge, 64);
		close(fd);
		edge_context(fails, 64, kind);
	}
}

TEST(write_partly_unmapped_buf_never_written_stays_empty)
{
	int kind;

	for (kind = 0; kind < 2; kind++) {
		unsigned char *edge = edge_buffer(64, kind);
		int fails = harness_failed_checks();
		int fd = OPEN_SLOT(1);

		memset(edge, 'e', 64);
		SET_CHANNEL(fd, fresh_channel());
		EXPECT_ERRNO(write(fd, edge, MAX_LEN), EINVAL);
		EXPECT_READ_FAILS(fd, MAX_LEN, EWOULDBLOCK);
		close(fd);
		edge_context(fails, 64, kind);
	}
}

TEST(write_unmapped_buf_einval)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	unsigned char prev[33], *p;
	int fd = OPEN_SLOT(0);

	p = mmap(NULL, page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	ASSERT_EQ(0, munmap(p, page));
	fill_unique(prev, sizeof(prev), 1);
	SET_CHANNEL(fd, fresh_channel());
	WRITE_MSG(fd, prev, sizeof(prev));
	EXPECT_ERRNO(write(fd, p, 10), EINVAL);
	EXPECT_ERRNO(write(fd, p, MAX_LEN), EINVAL);
	EXPECT_READ(fd, prev, sizeof(prev));
}

TEST(write_returns_len_for_every_length)
{
	unsigned char msg[MAX_LEN];
	size_t len;
	int fd = OPEN_SLOT(0);

	SET_CHANNEL(fd, fresh_channel());
	for (len = 1; len <= MAX_LEN; len++) {
		fill_unique(msg, len, (unsigned int)len);
		msg[len / 2] = '\0';
		if (!EXPECT_EQ((ssize_t)len, write(fd, msg, len)) ||
		    !EXPECT_READ(fd, msg, len)) {
			TH_LOG("at length %zu", len);
			break;
		}
	}
}

TEST(write_message_with_nul_bytes)
{
	static const unsigned char nuls[] = { 0, 'a', 0, 0, 'b', 0 };
	unsigned char zeros[MAX_LEN] = { 0 };
	int fd = OPEN_SLOT(0);

	SET_CHANNEL(fd, fresh_channel());
	EXPECT_EQ((ssize_t)sizeof(nuls), write(fd, nuls, sizeof(nuls)));
	EXPECT_READ(fd, nuls, sizeof(nuls));
	EXPECT_EQ(MAX_LEN, write(fd, zeros, MAX_LEN));
	EXPECT_READ(fd, zeros, MAX_LEN);
	EXPECT_EQ(1, write(fd, zeros, 1));
	EXPECT_READ(fd, zeros, 1);
}

TEST(write_one_byte_message)
{
	int fd = OPEN_SLOT(0);

	SET_CHANNEL(fd, fresh_channel());
	EXPECT_EQ(1, write(fd, "Z", 1));
	EXPECT_READ(fd, "Z", 1);
	EXPECT_EQ(1, write(fd, "\xff", 1));
	EXPECT_READ(fd, "\xff", 1);
}

TEST(write_128_byte_binary_all_byte_values)
{
	unsigned char msg[3][MAX_LEN];
	uint32_t ch[3];
	int i, j, fd = OPEN_SLOT(1);

	for (j = 0; j < MAX_LEN; j++) {
		msg[0][j] = (unsigned char)j;			/* 0..127 */
		msg[1][j] = (unsigned char)(255 - j);		/* 255..128 */
		msg[2][j] = (unsigned char)(j * 37 + 128);	/* NUL at 64 */
	}
	for (i = 0; i < 3; i++) {
		ch[i] = fresh_channel();
		SET_CHANNEL(fd, ch[i]);
		EXPECT_EQ(MAX_LEN, write(fd, msg[i], MAX_LEN));
	}
	for (i = 0; i < 3; i++) {
		SET_CHANNEL(fd, ch[i]);
		if (!EXPECT_READ(fd, msg[i], MAX_LEN))
			TH_LOG("message %d", i);
	}
}

