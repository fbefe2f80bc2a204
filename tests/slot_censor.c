// SPDX-License-Identifier: GPL-2.0
/*
 * slot_censor.c - slot_test's tests of the censorship terms (spring 2025:
 * every 3rd byte, fall 2025/26: every 4th), or the classic module's answer
 * to MSG_SLOT_SET_CEN.
 * Part of slot_test: see slot_test.h.
 */
#define HARNESS_FILE_RANK 7
#include "slot_test.h"

/* ---- censorship (the spring 2025 and fall 2025/26 terms) ------------------ */

/*
 * The one skip of these cases that a run of the classic module expects
 * (vm/judge/verdicts.sh's CENSOR_SKIP matches this text).
 */
#define NOT_CENSOR_BUILD "not a censorship build (--censor 0)"

static void require_censor(void)
{
	if (!g_censor)
		SKIP(NOT_CENSOR_BUILD);
}

#define SET_CEN(fd, mode) set_cen_at(__FILE__, __LINE__, (fd), (mode))

static void set_cen_at(const char *file, int line, int fd, unsigned int mode)
{
	if (ioctl(fd, g_cen_ioctl, (unsigned long)mode) != 0) {
		harness_fail(file, line, "ioctl(fd, MSG_SLOT_SET_CEN 0x%lx, %u): -1 %s",
			     g_cen_ioctl, mode, errno_name(errno));
		harness_leave();
	}
	harness_count_check(1);
}

/*
 * What a censoring write stores, from the assignment's own words ("every
 * P-th byte", counted from 1), not from the module's loop: byte i (0-based)
 * is censored when i + 1 is a multiple of P.
 */
static void censor_expect(unsigned char *out, const void *in, size_t len)
{
	const unsigned char *p = in;
	size_t i;

	for (i = 0; i < len; i++)
		out[i] = (i + 1) % g_censor == 0 ? CEN_CHAR : p[i];
}

/* A unique message with no '#': every censored position shows. */
static void fill_cen(unsigned char *buf, size_t len, unsigned int salt)
{
	size_t i;

	fill_unique(buf, len, salt);
	for (i = 0; i < len; i++)
		if (buf[i] == CEN_CHAR)
			buf[i] = 'x';
}

/*
 * Write len bytes of msg through fd, then read the channel through a new
 * descriptor of minor and ch (mode off): it must hold msg censored (cen 1)
 * or as it was (cen 0). The caller's buffer must come back untouched: the
 * censored copy is the module's, not the writer's.
 */
#define WRITE_EXPECT(fd, minor, ch, msg, len, cen) \
	write_expect_at(__FILE__, __LINE__, (fd), (minor), (ch), (msg), (len), (cen))

static int write_expect_at(const char *file, int line, int fd, int minor,
			   uint32_t ch, const unsigned char *msg, size_t len,
			   int cen)
{
	unsigned char exp[MAX_LEN], before[MAX_LEN];
	int rfd, ok;

	memcpy(before, msg, len);
	write_msg_at(file, line, fd, msg, len);
	if (memcmp(before, msg, len)) {
		harness_fail(file, line, "write() changed the caller's buffer to \"%s\"",
			     escape(msg, len));
		return 0;
	}
	if (cen)
		censor_expect(exp, msg, len);
	else
		memcpy(exp, msg, len);
	rfd = open_slot_at(file, line, minor);
	set_channel_at(file, line, rfd, ch);
	ok = expect_read_at(file, line, rfd, exp, len);
	close(rfd);
	if (!ok)
		harness_diag("(that %zu-byte write was through a descriptor whose censorship is %s; censor period %u)",
			     len, cen ? "on" : "off", g_censor);
	return ok;
}

TEST(censor_new_fd_starts_off)
{
	unsigned char msg[40];
	uint32_t ch = fresh_channel();
	int a, b;

	require_censor();
	fill_cen(msg, sizeof(msg), 1);
	a = OPEN_SLOT(0);
	SET_CHANNEL(a, ch);
	WRITE_EXPECT(a, 0, ch, msg, sizeof(msg), 0);
	SET_CEN(a, 1);
	WRITE_EXPECT(a, 0, ch, msg, sizeof(msg), 1);
	/* While a censors, a new open of the same slot and channel does not. */
	b = OPEN_SLOT(0);
	SET_CHANNEL(b, ch);
	WRITE_EXPECT(b, 0, ch, msg, sizeof(msg), 0);
	/* Nor does one opened after a censoring descriptor was closed. */
	close(a);
	close(b);
	a = OPEN_SLOT(0);
	SET_CHANNEL(a, ch);
	WRITE_EXPECT(a, 0, ch, msg, sizeof(msg), 0);
}

/*
 * Two descriptors of one process on the same slot and channel, one
 * censoring and one not: the mode belongs to neither the channel, the
 * slot nor the process.
 */
TEST(censor_mode_per_fd_not_channel_slot_or_process)
{
	unsigned char m1[50], m2[51];
	uint32_t ch = fresh_channel(), other = fresh_channel();
	int a = OPEN_SLOT(1), b = OPEN_SLOT(1), c, d;

	require_censor();
	fill_cen(m1, sizeof(m1), 1);
	fill_cen(m2, sizeof(m2), 2);
	SET_CEN(a, 1);
	SET_CHANNEL(a, ch);
	SET_CHANNEL(b, ch);
	WRITE_EXPECT(a, 1, ch, m1, sizeof(m1), 1);
	WRITE_EXPECT(b, 1, ch, m2, sizeof(m2), 0);
	/* b's plain write changed nothing of a's mode. */
	WRITE_EXPECT(a, 1, ch, m2, sizeof(m2), 1);
	/* The other way round. */
	SET_CEN(b, 1);
	SET_CEN(a, 0);
	WRITE_EXPECT(a, 1, ch, m1, sizeof(m1), 0);
	WRITE_EXPECT(b, 1, ch, m1, sizeof(m1), 1);
	/* Descriptors of another slot or channel start off, whatever b does. */
	c = OPEN_SLOT(2);
	SET_CHANNEL(c, ch);
	WRITE_EXPECT(c, 2, ch, m2, sizeof(m2), 0);
	d = OPEN_SLOT(1);
	SET_CHANNEL(d, other);
	WRITE_EXPECT(d, 1, other, m2, sizeof(m2), 0);
	/* And b's mode did not move to them. */
	WRITE_EXPECT(b, 1, ch, m2, sizeof(m2), 1);
}

/* dup() shares the open file, so it shares the mode both ways. */
TEST(censor_mode_shared_by_dup)
{
	unsigned char msg[64];
	uint32_t ch = fresh_channel();
	int a = OPEN_SLOT(0), d;

	require_censor();
	fill_cen(msg, sizeof(msg), 1);
	SET_CHANNEL(a, ch);
	SET_CEN(a, 1);
	d = dup(a);
	ASSERT_LE(0, d);
	WRITE_EXPECT(d, 0, ch, msg, sizeof(msg), 1);
	SET_CEN(d, 0);
	WRITE_EXPECT(a, 0, ch, msg, sizeof(msg), 0);
	SET_CEN(d, 1);
	WRITE_EXPECT(a, 0, ch, msg, sizeof(msg), 1);
}

/*
 * A forked child shares the parent's open file, mode included: another
 * process (another tgid) censors through it, and its change of the mode is
 * the parent's; a descriptor the child opens itself starts off.
 */
TEST(censor_mode_shared_with_forked_child)
{
	unsigned char msg[70];
	uint32_t ch = fresh_channel(), own = fresh_channel();
	int fd = OPEN_SLOT(2);
	pid_t pid;

	require_censor();
	fill_cen(msg, sizeof(msg), 1);
	SET_CHANNEL(fd, ch);
	SET_CEN(fd, 1);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int mine;

		WRITE_EXPECT(fd, 2, ch, msg, sizeof(msg), 1);
		mine = OPEN_SLOT(2);
		SET_CHANNEL(mine, own);
		WRITE_EXPECT(mine, 2, own, msg, sizeof(msg), 0);
		SET_CEN(fd, 0);
		_exit(0);
	}
	EXPECT_CHILD_OK(pid);
	/* The child turned the shared open file's censorship off. */
	WRITE_EXPECT(fd, 2, ch, msg, sizeof(msg), 0);
	SET_CEN(fd, 1);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		WRITE_EXPECT(fd, 2, ch, msg, sizeof(msg), 1);
		_exit(0);
	}
	EXPECT_CHILD_OK(pid);
}

TEST(censor_off_again_stores_plain)
{
	unsigned char msg[MAX_LEN];
	uint32_t ch = fresh_channel();
	int fd = OPEN_SLOT(3);

	require_censor();
	fill_cen(msg, sizeof(msg), 1);
	SET_CHANNEL(fd, ch);
	SET_CEN(fd, 1);
	WRITE_EXPECT(fd, 3, ch, msg, sizeof(msg), 1);
	SET_CEN(fd, 0);
	WRITE_EXPECT(fd, 3, ch, msg, sizeof(msg), 0);
	/* Off twice is still off; on again censors. */
	SET_CEN(fd, 0);
	WRITE_EXPECT(fd, 3, ch, msg, 37, 0);
	SET_CEN(fd, 1);
	WRITE_EXPECT(fd, 3, ch, msg, 37, 1);
}

/* The mode set first, on a descriptor with no channel yet. */
TEST(censor_set_before_channel)
{
	unsigned char msg[33];
	uint32_t ch = fresh_channel();
	int fd = OPEN_SLOT(0);

	require_censor();
	fill_cen(msg, sizeof(msg), 1);
	SET_CEN(fd, 1);
	/* Setting the mode sets no channel. */
	EXPECT_ERRNO(write(fd, msg, sizeof(msg)), EINVAL);
	EXPECT_ERRNO(read(fd, msg, sizeof(msg)), EINVAL);
	SET_CHANNEL(fd, ch);
	WRITE_EXPECT(fd, 0, ch, msg, sizeof(msg), 1);
}

/* The channel set first, the mode after it. */
TEST(censor_set_after_channel)
{
	unsigned char m1[34], m2[35];
	uint32_t ch = fresh_channel();
	int fd = OPEN_SLOT(0);

	require_censor();
	fill_cen(m1, sizeof(m1), 1);
	fill_cen(m2, sizeof(m2), 2);
	SET_CHANNEL(fd, ch);
	WRITE_EXPECT(fd, 0, ch, m1, sizeof(m1), 0);
	SET_CEN(fd, 1);
	WRITE_EXPECT(fd, 0, ch, m2, sizeof(m2), 1);
}

/* A new channel on the same descriptor, or a failed try, keeps the mode. */
TEST(censor_channel_switch_keeps_mode)
{
	unsigned char msg[60];
	uint32_t ca = fresh_channel(), cb = fresh_channel();
	int fd = OPEN_SLOT(1);

	require_censor();
	fill_cen(msg, sizeof(msg), 1);
	SET_CEN(fd, 1);
	SET_CHANNEL(fd, ca);
	WRITE_EXPECT(fd, 1, ca, msg, sizeof(msg), 1);
	SET_CHANNEL(fd, cb);
	WRITE_EXPECT(fd, 1, cb, msg, 41, 1);
	EXPECT_ERRNO(ioctl(fd, g_ioctl, 0UL), EINVAL);
	WRITE_EXPECT(fd, 1, cb, msg, 42, 1);
	SET_CHANNEL(fd, ca);
	WRITE_EXPECT(fd, 1, ca, msg, 43, 1);
	/* Off, then a switch: still off. */
	SET_CEN(fd, 0);
	SET_CHANNEL(fd, cb);
	WRITE_EXPECT(fd, 1, cb, msg, 44, 0);
}

/* Setting the mode keeps the descriptor's channel, and its message. */
TEST(censor_set_mode_keeps_channel)
{
	unsigned char m1[45], m2[46], m3[47], exp[MAX_LEN];
	uint32_t ch = fresh_channel(), never = fresh_channel();
	int fd = OPEN_SLOT(2);

	require_censor();
	fill_cen(m1, sizeof(m1), 1);
	fill_cen(m2, sizeof(m2), 2);
	fill_cen(m3, sizeof(m3), 3);
	SET_CHANNEL(fd, ch);
	WRITE_MSG(fd, m1, sizeof(m1));
	SET_CEN(fd, 1);
	/* Same channel: its message reads back as stored, uncensored. */
	EXPECT_READ(fd, m1, sizeof(m1));
	WRITE_EXPECT(fd, 2, ch, m2, sizeof(m2), 1);
	SET_CEN(fd, 0);
	censor_expect(exp, m2, sizeof(m2));
	EXPECT_READ(fd, exp, sizeof(m2));
	WRITE_EXPECT(fd, 2, ch, m3, sizeof(m3), 0);
	EXPECT_NEVER_WRITTEN(2, never);
}

/* The positions, spelt out for each period. */
TEST(censor_exact_positions)
{
	static const char text[] = "abcdefghijklmnopqrstuvwxyz0123456789AB";
	static const char *const want[5] = {
		[3] = "ab#de#gh#jk#mn#pq#st#vw#yz#12#45#78#AB",
		[4] = "abc#efg#ijk#mno#qrs#uvw#yz0#234#678#AB",
	};
	uint32_t ch = fresh_channel();
	int fd = OPEN_SLOT(3);

	require_censor();
	ASSERT_TRUE(g_censor == 3 || g_censor == 4);
	SET_CHANNEL(fd, ch);
	SET_CEN(fd, 1);
	WRITE_MSG(fd, text, sizeof(text) - 1);
	EXPECT_STORED(3, ch, want[g_censor], sizeof(text) - 1);
	/* Short ones: nothing to censor below P bytes, the last byte at P. */
	WRITE_MSG(fd, "ab", 2);
	EXPECT_STORED(3, ch, "ab", 2);
	WRITE_MSG(fd, text, g_censor - 1);
	EXPECT_STORED(3, ch, text, g_censor - 1);
	WRITE_MSG(fd, text, g_censor);
	EXPECT_STORED(3, ch, want[g_censor], g_censor);
	EXPECT_EQ(CEN_CHAR, want[g_censor][g_censor - 1]);
}

/*
 * The lengths the assignment's graders try, then every other one: each
 * stored message is checked byte by byte, and holds len / P censor bytes.
 */
TEST(censor_lengths_1_2_3_4_127_128)
{
	static const size_t lens[] = { 1, 2, 3, 4, 127, 128 };
	unsigned char msg[MAX_LEN], exp[MAX_LEN], got[MAX_LEN + 1];
	uint32_t ch = fresh_channel();
	int fd = OPEN_SLOT(255), rfd = OPEN_SLOT(255);
	size_t i, j, hashes;

	require_censor();
	SET_CHANNEL(fd, ch);
	SET_CHANNEL(rfd, ch);
	SET_CEN(fd, 1);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]) + MAX_LEN; i++) {
		size_t len = i < sizeof(lens) / sizeof(lens[0]) ? lens[i] :
			     i - sizeof(lens) / sizeof(lens[0]) + 1;

		fill_cen(msg, len, (unsigned int)i);
		censor_expect(exp, msg, len);
		WRITE_MSG(fd, msg, len);
		if (!EXPECT_READ(rfd, exp, len)) {
			TH_LOG("(a %zu-byte message)", len);
			break;
		}
		ASSERT_EQ((ssize_t)len, read(rfd, got, sizeof(got)));
		for (j = 0, hashes = 0; j < len; j++)
			hashes += got[j] == CEN_CHAR;
		if (!EXPECT_EQ(len / g_censor, hashes)) {
			TH_LOG("(censor bytes in a %zu-byte message)", len);
			break;
		}
	}
}

/* Any bytes: NULs, '#' itself, bytes above 0x7f. */
TEST(censor_binary_bytes_and_nuls)
{
	unsigned char msg[MAX_LEN], exp[MAX_LEN];
	uint32_t ch = fresh_channel();
	int fd = OPEN_SLOT(0);
	size_t i;

	require_censor();
	SET_CHANNEL(fd, ch);
	SET_CEN(fd, 1);
	/* All NULs: only the censored positions change. */
	memset(msg, 0, sizeof(msg));
	censor_expect(exp, msg, sizeof(msg));
	WRITE_MSG(fd, msg, sizeof(msg));
	EXPECT_STORED(0, ch, exp, sizeof(msg));
	/* '#' at every position, and every byte value from 0 to 127... */
	memset(msg, CEN_CHAR, sizeof(msg));
	WRITE_MSG(fd, msg, sizeof(msg));
	EXPECT_STORED(0, ch, msg, sizeof(msg));
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (unsigned char)i;
	censor_expect(exp, msg, sizeof(msg));
	WRITE_MSG(fd, msg, sizeof(msg));
	EXPECT_STORED(0, ch, exp, sizeof(msg));
	/* ...and from 128 to 255, with NULs and '#' where they are kept. */
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (unsigned char)(128 + i);
	msg[0] = 0;
	msg[1] = CEN_CHAR;
	msg[g_censor] = 0;
	msg[MAX_LEN - 2] = 0;
	censor_expect(exp, msg, sizeof(msg));
	EXPECT_EQ(0, exp[0]);
	EXPECT_EQ(CEN_CHAR, exp[1]);
	WRITE_MSG(fd, msg, sizeof(msg));
	EXPECT_STORED(0, ch, exp, sizeof(msg));
}

/*
 * A read returns the stored bytes whatever the reader's own mode: a
 * censoring reader gets a plain message plain, a plain reader gets a
 * censored one censored. Censorship happens on write, once.
 */
TEST(censor_read_returns_stored_bytes_whatever_reader_mode)
{
	unsigned char msg[MAX_LEN], exp[MAX_LEN];
	uint32_t ch = fresh_channel();
	int w = OPEN_SLOT(1), r = OPEN_SLOT(1);

	require_censor();
	fill_cen(msg, sizeof(msg), 1);
	censor_expect(exp, msg, sizeof(msg));
	SET_CHANNEL(w, ch);
	SET_CHANNEL(r, ch);
	WRITE_MSG(w, msg, sizeof(msg));
	SET_CEN(r, 1);
	EXPECT_READ(r, msg, sizeof(msg));
	EXPECT_READ(w, msg, sizeof(msg));
	SET_CEN(w, 1);
	SET_CEN(r, 0);
	WRITE_MSG(w, msg, sizeof(msg));
	EXPECT_READ(r, exp, sizeof(msg));
	/* The writer reads its own censored message back as stored. */
	EXPECT_READ(w, exp, sizeof(msg));
	SET_CEN(r, 1);
	EXPECT_READ(r, exp, sizeof(msg));
	/* A reader in another process, mode on or off, sees the same. */
	EXPECT_STORED(1, ch, exp, sizeof(msg));
}

/*
 * A censoring write fails as an ordinary one does, in the same order, and
 * leaves the channel's (censored) message as it was.
 */
TEST(censor_write_errors_are_ordinary)
{
	unsigned char msg[90], exp[90], big[MAX_LEN + 1], *edge;
	uint32_t ch = fresh_channel();
	int fd = OPEN_SLOT(2);

	require_censor();
	fill_cen(msg, sizeof(msg), 1);
	censor_expect(exp, msg, sizeof(msg));
	memset(big, 'z', sizeof(big));
	SET_CEN(fd, 1);
	EXPECT_ERRNO(write(fd, msg, sizeof(msg)), EINVAL);	/* no channel */
	EXPECT_ERRNO(write(fd, null_buf(), 0), EINVAL);
	SET_CHANNEL(fd, ch);
	WRITE_MSG(fd, msg, sizeof(msg));
	EXPECT_ERRNO(write(fd, big, 0), EMSGSIZE);
	EXPECT_ERRNO(write(fd, big, MAX_LEN + 1), EMSGSIZE);
	EXPECT_ERRNO(write(fd, null_buf(), MAX_LEN + 1), EMSGSIZE);
	EXPECT_ERRNO(write(fd, null_buf(), 10), EINVAL);
	edge = edge_buffer(20, 0);
	memset(edge, 'q', 20);
	EXPECT_ERRNO(write(fd, edge, 21), EINVAL);
	EXPECT_STORED(2, ch, exp, sizeof(msg));
	/* A write that fits the edge buffer works, censored. */
	WRITE_EXPECT(fd, 2, ch, edge, 20, 1);
}

/*
 * A mode other than 0 or 1: the texts do not say; this contract, as most
 * submissions, answers EINVAL and keeps the mode. Reported, not graded by
 * the kit: the diagnostic line says what the module did.
 */
TEST(censor_mode_2_einval)
{
	unsigned char msg[30], exp[30], got[MAX_LEN];
	uint32_t ch = fresh_channel();
	int fd = OPEN_SLOT(3), ret, err;
	ssize_t n;

	require_censor();
	fill_cen(msg, sizeof(msg), 1);
	censor_expect(exp, msg, sizeof(msg));
	SET_CHANNEL(fd, ch);
	SET_CEN(fd, 1);
	errno = 0;
	ret = ioctl(fd, g_cen_ioctl, 2UL);
	err = errno;
	WRITE_MSG(fd, msg, sizeof(msg));
	n = read(fd, got, sizeof(got));
	TH_LOG("diag: ioctl(MSG_SLOT_SET_CEN, 2) on a censoring descriptor returned %d%s%s; a write after it stored the message %s",
	       ret, ret == -1 ? " " : "", ret == -1 ? errno_name(err) : "",
	       n != (ssize_t)sizeof(msg) ? "(not read back)" :
	       !memcmp(got, exp, sizeof(msg)) ? "censored (mode still on)" :
	       !memcmp(got, msg, sizeof(msg)) ? "plain (mode now off)" :
	       "altered otherwise");
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EINVAL, err);
	EXPECT_STORED(3, ch, exp, sizeof(msg));
	/* From off it stays off. */
	SET_CEN(fd, 0);
	errno = 0;
	ret = ioctl(fd, g_cen_ioctl, 2UL);
	err = errno;
	WRITE_MSG(fd, msg, sizeof(msg));
	n = read(fd, got, sizeof(got));
	TH_LOG("diag: ioctl(MSG_SLOT_SET_CEN, 2) on a plain descriptor returned %d%s%s; a write after it stored the message %s",
	       ret, ret == -1 ? " " : "", ret == -1 ? errno_name(err) : "",
	       n != (ssize_t)sizeof(msg) ? "(not read back)" :
	       !memcmp(got, msg, sizeof(msg)) ? "plain (mode still off)" :
	       !memcmp(got, exp, sizeof(msg)) ? "censored (mode now on)" :
	       "altered otherwise");
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EINVAL, err);
	EXPECT_STORED(3, ch, msg, sizeof(msg));
}

/*
 * This contract takes the command's unsigned long encoding too, as for
 * MSG_SLOT_CHANNEL (the kit reports it, the texts do not ask for it).
 */
TEST(censor_unsigned_long_encoding_accepted)
{
	unsigned char msg[40];
	uint32_t ch = fresh_channel();
	int fd = OPEN_SLOT(0);

	require_censor();
	fill_cen(msg, sizeof(msg), 1);
	TH_LOG("MSG_SLOT_SET_CEN 0x%lx, its unsigned long form 0x%lx",
	       g_cen_ioctl, ul_form(g_cen_ioctl));
	SET_CHANNEL(fd, ch);
	ASSERT_EQ(0, ioctl(fd, ul_form(g_cen_ioctl), 1UL));
	WRITE_EXPECT(fd, 0, ch, msg, sizeof(msg), 1);
	ASSERT_EQ(0, ioctl(fd, ul_form(g_cen_ioctl), 0UL));
	WRITE_EXPECT(fd, 0, ch, msg, sizeof(msg), 0);
}

static void require_sender4(void)
{
	require_programs();
	if (g_sender_args != 4)
		SKIP("message_sender takes 3 arguments (--sender-args 3)");
}

TEST(censor_sender_mode_1_censors)
{
	static const char msg[] = "the quick brown fox jumps over the lazy dog";
	unsigned char exp[sizeof(msg) - 1];
	struct prog_result r;
	uint32_t ch = fresh_channel();

	require_censor();
	require_sender4();
	censor_expect(exp, msg, sizeof(exp));
	RUN_RAW(&r, "message_sender", g_node[1], chan_str(ch), "1", msg);
	EXPECT_EXIT(&r, 0);
	EXPECT_NO_STDOUT(&r);
	EXPECT_NO_STDERR(&r);
	/*
	 * Read back through the device, not the submission's reader: a
	 * sender case must not be lost to a faulty reader, which the
	 * reader_* cases grade on their own.
	 */
	EXPECT_STORED(1, ch, exp, sizeof(exp));
}

TEST(censor_sender_mode_0_plain)
{
	static const char msg[] = "the quick brown fox jumps over the lazy cat";
	struct prog_result r;
	uint32_t ch = fresh_channel();

	require_censor();
	require_sender4();
	RUN_RAW(&r, "message_sender", g_node[1], chan_str(ch), "0", msg);
	EXPECT_EXIT(&r, 0);
	EXPECT_NO_STDOUT(&r);
	EXPECT_NO_STDERR(&r);
	EXPECT_STORED(1, ch, msg, sizeof(msg) - 1);
}

/*
 * The sender's system calls, seen with ptrace: PTRACE_GET_SYSCALL_INFO
 * (Linux 5.3) gives the number and arguments on every architecture; the
 * numbers below are those of the architecture slot_test is built for, so
 * the sender must be built for it too.
 */
#if defined(__x86_64__) && !defined(__ILP32__)
#define TRACE_AUDIT_ARCH	0xc000003eu	/* AUDIT_ARCH_X86_64 */
#elif defined(__i386__)
#define TRACE_AUDIT_ARCH	0x40000003u	/* AUDIT_ARCH_I386 */
#elif defined(__aarch64__) && !defined(__AARCH64EB__)
#define TRACE_AUDIT_ARCH	0xc00000b7u	/* AUDIT_ARCH_AARCH64 */
#endif

#ifdef TRACE_AUDIT_ARCH
struct trace_call {
	char what;			/* 'o'pen, 'i'octl, 'w'rite, 'c'lose */
	unsigned long long a1, a2;	/* ioctl: request, argument; write: length */
	long long ret;
};

#define TRACE_MAX	16

/* Is fd of process pid the slot device (char g_major:minor)? */
static int trace_is_slot(pid_t pid, long long fd, int minor)
{
	char path[64];
	struct stat st;

	if (fd < 0 || fd > INT_MAX)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/fd/%lld", (int)pid, fd);
	return !stat(path, &st) && S_ISCHR(st.st_mode) &&
	       st.st_rdev == makedev(g_major, (unsigned int)minor);
}

/*
 * Run bindir/message_sender with args under ptrace; record its calls on
 * the slot device of minor in calls[] (*n of them) and its exit status.
 * Returns 0, or -1 after a failed check.
 */
static int trace_sender(const char *const *args, int minor,
			struct trace_call *calls, size_t *n, int *status)
{
	static char *const envp[] = { "LC_ALL=C", "PATH=/bin:/usr/bin", NULL };
	char path[PATH_MAX], *argv[10];
	struct __ptrace_syscall_info si;
	unsigned long long nr = ~0ull;
	int sig = 0, st, pending = 0;
	size_t argc;
	pid_t pid;

	*n = 0;
	snprintf(path, sizeof(path), "%s/message_sender", g_bindir);
	argv[0] = path;
	argc = 1 + prog_argv(argv + 1, 8, "message_sender", args, 1);
	argv[argc] = NULL;
	fflush(stdout);
	pid = fork();
	if (!EXPECT_LE(0, pid))
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
			_exit(126);
		execve(path, argv, envp);
		_exit(127);
	}
	/* The tracee stops with SIGTRAP once execve() has succeeded. */
	if (!EXPECT_EQ(pid, waitpid(pid, &st, 0)))
		return -1;
	if (!WIFSTOPPED(st)) {
		FAIL("%s did not start under ptrace: status 0x%x", path, st);
		return -1;
	}
	if (!EXPECT_EQ(0, ptrace(PTRACE_SETOPTIONS, pid, NULL,
				 (void *)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL))))
		return -1;
	for (;;) {
		if (ptrace(PTRACE_SYSCALL, pid, NULL, (void *)(long)sig)) {
			FAIL("ptrace(PTRACE_SYSCALL): %s", errno_name(errno));
			return -1;
		}
		sig = 0;
		if (!EXPECT_EQ(pid, waitpid(pid, &st, 0)))
			return -1;
		if (WIFEXITED(st) || WIFSIGNALED(st))
			break;
		if (WSTOPSIG(st) != (SIGTRAP | 0x80)) {
			sig = WSTOPSIG(st);	/* a signal of its own: deliver it */
			continue;
		}
		memset(&si, 0, sizeof(si));
		if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof(si), &si) <= 0) {
			FAIL("ptrace(PTRACE_GET_SYSCALL_INFO): %s (Linux 5.3 or later needed)",
			     errno_name(errno));
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -1;
		}
		if (si.arch != TRACE_AUDIT_ARCH) {
			FAIL("the sender runs as audit arch 0x%x, slot_test as 0x%x: build both for one architecture",
			     si.arch, TRACE_AUDIT_ARCH);
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -1;
		}
		if (si.op == PTRACE_SYSCALL_INFO_ENTRY) {
			struct trace_call c = { 0, 0, 0, 0 };

			nr = si.entry.nr;
			pending = 0;
			if (nr == SYS_ioctl)
				c = (struct trace_call){ 'i', si.entry.args[1],
							 si.entry.args[2], 0 };
			else if (nr == SYS_write)
				c = (struct trace_call){ 'w', si.entry.args[2], 0, 0 };
			else if (nr == SYS_close)
				c = (struct trace_call){ 'c', 0, 0, 0 };
			/* Calls on the slot's descriptor; open is seen on exit. */
			if (c.what && *n < TRACE_MAX &&
			    trace_is_slot(pid, (long long)si.entry.args[0], minor)) {
				calls[(*n)++] = c;
				pending = 1;
			}
		} else if (si.op == PTRACE_SYSCALL_INFO_EXIT) {
#ifdef SYS_open
			int is_open = nr == SYS_open || nr == SYS_openat;
#else
			int is_open = nr == SYS_openat;
#endif
			if (pending)
				calls[*n - 1].ret = si.exit.rval;
			else if (is_open && *n < TRACE_MAX &&
				 trace_is_slot(pid, si.exit.rval, minor))
				calls[(*n)++] = (struct trace_call){ 'o', 0, 0, si.exit.rval };
			pending = 0;
		}
	}
	*status = st;
	return 0;
}

static const char *trace_name(const struct trace_call *c)
{
	static char buf[96];

	switch (c->what) {
	case 'o':
		return "open";
	case 'i':
		snprintf(buf, sizeof(buf), "ioctl(0x%llx, %llu) = %lld",
			 c->a1, c->a2, c->ret);
		return buf;
	case 'w':
		snprintf(buf, sizeof(buf), "write(%llu bytes) = %lld", c->a1, c->ret);
		return buf;
	default:
		return "close";
	}
}
#endif

/*
 * The four-argument sender's order, as the assignment gives it: open, set
 * the mode, set the channel, write, close. A sender that sets the channel
 * first stores the same bytes, so only its system calls tell.
 */
TEST(censor_sender_order_mode_then_channel)
{
#ifdef TRACE_AUDIT_ARCH
	static const char msg[] = "order, order";
	struct trace_call calls[TRACE_MAX];
	unsigned char exp[sizeof(msg) - 1];
	uint32_t ch = fresh_channel();
	size_t n;
	int st, ok;

	require_censor();
	require_sender4();
	if (trace_sender((const char *const[]){ g_node[3], chan_str(ch), "1", msg, NULL },
			 3, calls, &n, &st))
		return;
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ok = EXPECT_EQ(5, n);
	ok &= n >= 1 && EXPECT_EQ('o', calls[0].what);
	ok &= n >= 2 && EXPECT_EQ('i', calls[1].what) &&
	      EXPECT_TRUE(calls[1].a1 == g_cen_ioctl ||
			  calls[1].a1 == ul_form(g_cen_ioctl)) &&
	      EXPECT_EQ(1, calls[1].a2);
	ok &= n >= 3 && EXPECT_EQ('i', calls[2].what) &&
	      EXPECT_TRUE(calls[2].a1 == g_ioctl || calls[2].a1 == ioctl_ul()) &&
	      EXPECT_EQ(ch, calls[2].a2);
	ok &= n >= 4 && EXPECT_EQ('w', calls[3].what) &&
	      EXPECT_EQ(sizeof(msg) - 1, calls[3].a1);
	ok &= n >= 5 && EXPECT_EQ('c', calls[4].what);
	if (!ok) {
		TH_LOG("expected on the slot: open, ioctl(MSG_SLOT_SET_CEN 0x%lx, 1), ioctl(MSG_SLOT_CHANNEL 0x%lx, %" PRIu32 "), write(%zu bytes), close; the sender made:",
		       g_cen_ioctl, g_ioctl, ch, sizeof(msg) - 1);
		for (size_t i = 0; i < n; i++)
			TH_LOG("  %s", trace_name(&calls[i]));
	}
	censor_expect(exp, msg, sizeof(exp));
	EXPECT_STORED(3, ch, exp, sizeof(exp));
#else
	require_censor();
	SKIP("the sender's system calls are traced on x86_64, i386 and arm64 only");
#endif
}

