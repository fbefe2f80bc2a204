// SPDX-License-Identifier: GPL-2.0
/*
 * slot_programs.c - slot_test's tests of message_sender and
 * message_reader, run as the shell runs them.
 * Part of slot_test: see slot_test.h.
 */
#define HARNESS_FILE_RANK 6
#include "slot_test.h"

/* ---- the programs ----------------------------------------------------------- */

void require_programs(void)
{
	static const char *const progs[] = { "message_sender", "message_reader" };
	char path[PATH_MAX];
	size_t i;

	if (!g_bindir)
		SKIP("no --bindir given: message_sender and message_reader are needed");
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", g_bindir, progs[i]);
		if (access(path, X_OK)) {
			FAIL("%s is not an executable: %s", path, errno_name(errno));
			harness_leave();
		}
	}
}

static void append(char *buf, size_t cap, size_t *len, const char *data,
		   size_t n)
{
	if (n > cap - *len)
		n = cap - *len;
	memcpy(buf + *len, data, n);
	*len += n;
}

/*
 * The arguments of a program run: args as given, except that a sender of
 * the four-argument form (--sender-args 4) gets CENSOR "0" before MESSAGE
 * (the last argument) whenever SLOT_FILE and CHANNEL come first, so that
 * every classic sender case runs unchanged against it; a call with too
 * many arguments keeps one too many. raw: args exactly as given (cases
 * that pass CENSOR themselves, or test the other form's count).
 */
size_t prog_argv(char **argv, size_t max, const char *prog,
		 const char *const *args, int raw)
{
	size_t n = 0, argc = 0, i;

	while (args[n])
		n++;
	for (i = 0; i < n && argc < max; i++) {
		if (!raw && g_sender_args == 4 && n >= 3 && i == n - 1 &&
		    !strcmp(prog, "message_sender"))
			argv[argc++] = "0";
		if (argc < max)
			argv[argc++] = (char *)args[i];
	}
	return argc;
}

/*
 * Run bindir/prog with args (NULL-terminated; see prog_argv()) and collect
 * its stdout, stderr and status. stdout goes to out_fd when that is >= 0.
 */
void run_prog(struct prog_result *r, const char *prog, int out_fd,
	      const char *const *args, int raw)
{
	static char *const envp[] = { "LC_ALL=C", "PATH=/bin:/usr/bin", NULL };
	char path[PATH_MAX], *argv[10];
	int outp[2] = { -1, -1 }, errp[2];
	struct pollfd pfd[2];
	size_t argc, c, a;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	snprintf(path, sizeof(path), "%s/%s", g_bindir, prog);
	argv[0] = path;
	argc = 1 + prog_argv(argv + 1, 8, prog, args, raw);
	argv[argc] = NULL;
	c = (size_t)snprintf(r->cmd, sizeof(r->cmd), "%s", prog);
	for (a = 1; a < argc && c < sizeof(r->cmd); a++)
		c += (size_t)snprintf(r->cmd + c, sizeof(r->cmd) - c, " '%s'",
				      escape(argv[a], strlen(argv[a])));

	if (out_fd < 0)
		ASSERT_EQ(0, pipe2(outp, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(errp, O_CLOEXEC));
	fflush(stdout);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		if (null >= 0)
			dup2(null, 0);
		else
			close(0);
		dup2(out_fd >= 0 ? out_fd : outp[1], 1);
		dup2(errp[1], 2);
		/* A program starts with default signal actions, as from a shell. */
		signal(SIGPIPE, SIG_DFL);
		execve(path, argv, envp);
		_exit(127);
	}
	if (outp[1] >= 0)
		close(outp[1]);
	close(errp[1]);
	pfd[0].fd = outp[0];
	pfd[1].fd = errp[0];
	pfd[0].events = pfd[1].events = POLLIN;
	while (pfd[0].fd >= 0 || pfd[1].fd >= 0) {
		char chunk[4096];
		int i;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			FAIL("poll: %s", errno_name(errno));
			break;
		}
		for (i = 0; i < 2; i++) {
			ssize_t n;

			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			n = read(pfd[i].fd, chunk, sizeof(chunk));
			if (n <= 0) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
			} else if (i == 0) {
				append(r->out, sizeof(r->out), &r->outlen, chunk, (size_t)n);
			} else {
				append(r->err, sizeof(r->err), &r->errlen, chunk, (size_t)n);
			}
		}
	}
	ASSERT_EQ(pid, waitpid(pid, &r->status, 0));
}

static void prog_context(const struct prog_result *r)
{
	harness_diag("command: %s", r->cmd);
	harness_diag("stdout (%zu bytes): \"%s\"", r->outlen, escape(r->out, r->outlen));
	harness_diag("stderr (%zu bytes): \"%s\"", r->errlen, escape(r->err, r->errlen));
}

int expect_exit_at(const char *file, int line,
		   const struct prog_result *r, int code)
{
	int st = r->status;

	if (WIFEXITED(st) && WEXITSTATUS(st) == code) {
		harness_count_check(1);
		return 1;
	}
	if (WIFEXITED(st))
		harness_fail(file, line, "expected exit status %d, got %d%s",
			     code, WEXITSTATUS(st),
			     WEXITSTATUS(st) == 127 ? " (exec failed?)" : "");
	else
		harness_fail(file, line, "expected exit status %d, got signal %s",
			     code, signal_name(WTERMSIG(st)));
	prog_context(r);
	return 0;
}

int expect_output_at(const char *file, int line,
		     const struct prog_result *r, int which,
		     const void *exp, size_t len)
{
	const char *got = which == 1 ? r->out : r->err;
	size_t gotlen = which == 1 ? r->outlen : r->errlen;

	if (gotlen == len && !memcmp(got, exp, len)) {
		harness_count_check(1);
		return 1;
	}
	harness_fail(file, line, "expected %s of %zu bytes \"%s\"",
		     which == 1 ? "stdout" : "stderr", len, escape(exp, len));
	prog_context(r);
	return 0;
}

int expect_stderr_has_at(const char *file, int line,
			 const struct prog_result *r, const char *text,
			 int nocase)
{
	char err[sizeof(r->err) + 1];
	int ok;

	memcpy(err, r->err, r->errlen);
	err[r->errlen] = '\0';
	ok = r->errlen > 0 && strlen(err) == r->errlen &&
	     (nocase ? strcasestr(err, text) : strstr(err, text)) != NULL;
	if (ok) {
		harness_count_check(1);
		return 1;
	}
	harness_fail(file, line, "expected stderr to contain \"%s\"%s", text,
		     nocase ? " (any case)" : "");
	prog_context(r);
	return 0;
}

int expect_rejected_at(const char *file, int line,
		       const struct prog_result *r, const char *text,
		       int nocase)
{
	char err[sizeof(r->err) + 1];
	int ok;

	memcpy(err, r->err, r->errlen);
	err[r->errlen] = '\0';
	ok = WIFEXITED(r->status) && WEXITSTATUS(r->status) == 1 &&
	     r->outlen == 0 && r->errlen > 0 &&
	     (nocase ? strcasestr(err, text) : strstr(err, text)) != NULL;
	if (ok) {
		harness_count_check(1);
		return 1;
	}
	harness_fail(file, line,
		     "expected exit status 1, empty stdout and \"%s\"%s on stderr; got %s %d",
		     text, nocase ? " (any case)" : "",
		     WIFEXITED(r->status) ? "exit status" : "signal",
		     WIFEXITED(r->status) ? WEXITSTATUS(r->status) : WTERMSIG(r->status));
	prog_context(r);
	return 0;
}

const char *chan_str(uint32_t ch)
{
	static char buf[4][16];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%" PRIu32, ch);
	return buf[i];
}

TEST(sender_success_silent_message_stored)
{
	struct prog_result r;
	uint32_t ch = fresh_channel();

	require_programs();
	RUN(&r, "message_sender", g_node[0], chan_str(ch), "hello, slot!");
	EXPECT_EXIT(&r, 0);
	EXPECT_NO_STDOUT(&r);
	EXPECT_NO_STDERR(&r);
	/* strlen(MESSAGE) bytes, no terminating NUL. */
	EXPECT_STORED(0, ch, "hello, slot!", 12);
}

TEST(reader_prints_exact_message)
{
	static const char msg[] = "reader test message, no newline";
	struct prog_result r;
	uint32_t ch = fresh_channel();

	require_programs();
	store(1, ch, msg, sizeof(msg) - 1);
	RUN(&r, "message_reader", g_node[1], chan_str(ch));
	EXPECT_EXIT(&r, 0);
	EXPECT_STDOUT(&r, msg, sizeof(msg) - 1);
	EXPECT_NO_STDERR(&r);
}

TEST(reader_prints_binary_128_bytes_with_nul)
{
	unsigned char msg[MAX_LEN];
	struct prog_result r;
	uint32_t ch = fresh_channel();

	require_programs();
	fill_unique(msg, sizeof(msg), 1);
	msg[0] = msg[50] = msg[MAX_LEN - 1] = '\0';
	msg[10] = '\n';
	store(255, ch, msg, sizeof(msg));
	RUN(&r, "message_reader", g_node[255], chan_str(ch));
	EXPECT_EXIT(&r, 0);
	EXPECT_STDOUT(&r, msg, sizeof(msg));
	EXPECT_NO_STDERR(&r);
}

/* Markers on the channels that a sloppy channel parser would pick. */
static const uint32_t marker_channels[] = { 1, 12, 16, 4294967295u };
#define NR_MARKERS (sizeof(marker_channels) / sizeof(marker_channels[0]))

static void markers_store(unsigned char msgs[][32])
{
	size_t i;

	for (i = 0; i < NR_MARKERS; i++) {
		fill_unique(msgs[i], 32, 100 + (unsigned int)i);
		store(2, marker_channels[i], msgs[i], 32);
	}
}

static int markers_intact(unsigned char msgs[][32])
{
	size_t i;
	int ok = 1;

	for (i = 0; i < NR_MARKERS; i++)
		if (!EXPECT_STORED(2, marker_channels[i], msgs[i], 32)) {
			TH_LOG("channel %" PRIu32 " of slot 2 was changed",
			       marker_channels[i]);
			ok = 0;
		}
	return ok;
}

/*
 * Every term's text: "validate that the correct number of command line
 * arguments is passed" (an error: exit 1, nothing written). What the
 * program prints then is not fixed by the texts: the usage line is this
 * contract's, checked by the *_prints_usage cases.
 */
#define EXPECT_REFUSED(r) ({ EXPECT_EXIT(r, 1); EXPECT_NO_STDOUT(r); })

static void sender_wrong_counts(int usage)
{
	unsigned char markers[NR_MARKERS][32];
	struct prog_result r;

	require_programs();
	markers_store(markers);
	RUN0(&r, "message_sender");
	usage ? EXPECT_REJECTED(&r, "usage", 1) : EXPECT_REFUSED(&r);
	RUN(&r, "message_sender", g_node[2]);
	usage ? EXPECT_REJECTED(&r, "usage", 1) : EXPECT_REFUSED(&r);
	RUN(&r, "message_sender", g_node[2], "1");
	usage ? EXPECT_REJECTED(&r, "usage", 1) : EXPECT_REFUSED(&r);
	RUN(&r, "message_sender", g_node[2], "1", "intruder", "extra");
	usage ? EXPECT_REJECTED(&r, "usage", 1) : EXPECT_REFUSED(&r);
	/* The four-argument sender refuses the classic form. */
	if (g_sender_args == 4) {
		RUN_RAW(&r, "message_sender", g_node[2], "1", "intruder");
		usage ? EXPECT_REJECTED(&r, "usage", 1) : EXPECT_REFUSED(&r);
	}
	markers_intact(markers);
}

static void reader_wrong_counts(int usage)
{
	unsigned char markers[NR_MARKERS][32];
	struct prog_result r;

	require_programs();
	markers_store(markers);
	RUN0(&r, "message_reader");
	usage ? EXPECT_REJECTED(&r, "usage", 1) : EXPECT_REFUSED(&r);
	RUN(&r, "message_reader", g_node[2]);
	usage ? EXPECT_REJECTED(&r, "usage", 1) : EXPECT_REFUSED(&r);
	RUN(&r, "message_reader", g_node[2], "1", "extra");
	usage ? EXPECT_REJECTED(&r, "usage", 1) : EXPECT_REFUSED(&r);
}

TEST(sender_wrong_argument_count_exits_1)
{
	sender_wrong_counts(0);
}

TEST(reader_wrong_argument_count_exits_1)
{
	reader_wrong_counts(0);
}

TEST(sender_wrong_argument_count_prints_usage)
{
	sender_wrong_counts(1);
}

TEST(reader_wrong_argument_count_prints_usage)
{
	reader_wrong_counts(1);
}

static const char *const bad_channels[] = {
	"", "-1", "+1", " 1", "abc", "12x", "0x10", "4294967296",
	"99999999999999999999", "1 ", "-0", "4294967295x",
};

TEST(sender_rejects_malformed_channel)
{
	unsigned char markers[NR_MARKERS][32];
	struct prog_result r;
	size_t i;

	require_programs();
	markers_store(markers);
	for (i = 0; i < sizeof(bad_channels) / sizeof(bad_channels[0]); i++) {
		RUN(&r, "message_sender", g_node[2], bad_channels[i], "intruder");
		EXPECT_REJECTED(&r, "", 0);
		if (!markers_intact(markers))
			TH_LOG("after channel \"%s\"", bad_channels[i]);
	}
}

TEST(reader_rejects_malformed_channel)
{
	unsigned char markers[NR_MARKERS][32];
	struct prog_result r;
	size_t i;

	require_programs();
	markers_store(markers);
	for (i = 0; i < sizeof(bad_channels) / sizeof(bad_channels[0]); i++) {
		RUN(&r, "message_reader", g_node[2], bad_channels[i]);
		EXPECT_REJECTED(&r, "", 0);
	}
	markers_intact(markers);
}

TEST(sender_channel_zero_invalid_argument)
{
	struct prog_result r;

	require_programs();
	RUN(&r, "message_sender", g_node[0], "0", "zero");
	EXPECT_EXIT(&r, 1);
	EXPECT_NO_STDOUT(&r);
	EXPECT_STDERR_HAS(&r, "Invalid argument");
}

TEST(reader_channel_zero_invalid_argument)
{
	struct prog_result r;

	require_programs();
	RUN(&r, "message_reader", g_node[0], "0");
	EXPECT_EXIT(&r, 1);
	EXPECT_NO_STDOUT(&r);
	EXPECT_STDERR_HAS(&r, "Invalid argument");
}

TEST(programs_channel_4294967295_works)
{
	char msg[40];
	struct prog_result r;

	require_programs();
	snprintf(msg, sizeof(msg), "top channel %016" PRIx64, g_seed);
	RUN(&r, "message_sender", g_node[3], "4294967295", msg);
	EXPECT_EXIT(&r, 0);
	EXPECT_NO_STDOUT(&r);
	EXPECT_NO_STDERR(&r);
	EXPECT_STORED(3, 4294967295u, msg, strlen(msg));
	RUN(&r, "message_reader", g_node[3], "4294967295");
	EXPECT_EXIT(&r, 0);
	EXPECT_STDOUT(&r, msg, strlen(msg));
	EXPECT_NO_STDERR(&r);
}

TEST(sender_empty_message_too_long)
{
	struct prog_result r;
	uint32_t ch = fresh_channel();

	require_programs();
	store(0, ch, "before", 6);
	RUN(&r, "message_sender", g_node[0], chan_str(ch), "");
	EXPECT_EXIT(&r, 1);
	EXPECT_NO_STDOUT(&r);
	EXPECT_STDERR_HAS(&r, "Message too long");
	EXPECT_STORED(0, ch, "before", 6);
}

TEST(sender_129_char_message_too_long)
{
	char msg[MAX_LEN + 2];
	struct prog_result r;
	uint32_t ch = fresh_channel();

	require_programs();
	memset(msg, 'x', MAX_LEN + 1);
	msg[MAX_LEN + 1] = '\0';
	store(0, ch, "before", 6);
	RUN(&r, "message_sender", g_node[0], chan_str(ch), msg);
	EXPECT_EXIT(&r, 1);
	EXPECT_NO_STDOUT(&r);
	EXPECT_STDERR_HAS(&r, "Message too long");
	EXPECT_STORED(0, ch, "before", 6);
}

TEST(sender_128_char_message_ok)
{
	char msg[MAX_LEN + 1];
	struct prog_result r;
	uint32_t ch = fresh_channel();

	require_programs();
	memset(msg, 'y', MAX_LEN);
	msg[MAX_LEN] = '\0';
	RUN(&r, "message_sender", g_node[0], chan_str(ch), msg);
	EXPECT_EXIT(&r, 0);
	EXPECT_NO_STDOUT(&r);
	EXPECT_NO_STDERR(&r);
	EXPECT_STORED(0, ch, msg, MAX_LEN);
}

TEST(reader_never_written_resource_unavailable)
{
	struct prog_result r;

	require_programs();
	RUN(&r, "message_reader", g_node[0], chan_str(fresh_channel()));
	EXPECT_EXIT(&r, 1);
	EXPECT_NO_STDOUT(&r);
	EXPECT_STDERR_HAS(&r, "Resource temporarily unavailable");
}

TEST(sender_missing_slot_file_enoent)
{
	char path[PATH_MAX];
	struct prog_result r;

	require_programs();
	snprintf(path, sizeof(path), "%s/no-such-slot", g_nodes);
	unlink(path);
	RUN(&r, "message_sender", path, "1", "nobody");
	EXPECT_EXIT(&r, 1);
	EXPECT_NO_STDOUT(&r);
	EXPECT_STDERR_HAS(&r, "No such file or directory");
	EXPECT_ERRNO(access(path, F_OK), ENOENT);
}

TEST(reader_missing_slot_file_enoent)
{
	char path[PATH_MAX];
	struct prog_result r;

	require_programs();
	snprintf(path, sizeof(path), "%s/no-such-slot", g_nodes);
	unlink(path);
	RUN(&r, "message_reader", path, "1");
	EXPECT_EXIT(&r, 1);
	EXPECT_NO_STDOUT(&r);
	EXPECT_STDERR_HAS(&r, "No such file or directory");
}

TEST(reader_stdout_full_enospc)
{
	struct prog_result r;
	uint32_t ch = fresh_channel();
	int full;

	require_programs();
	ASSERT_TRUE(g_full_node != NULL);
	full = open(g_full_node, O_WRONLY | O_CLOEXEC);
	if (!EXPECT_LE(0, full)) {
		TH_LOG("open(%s): %s", g_full_node, errno_name(errno));
		return;
	}
	store(0, ch, "to nowhere", 10);
	run_prog(&r, "message_reader", full,
		 (const char *const[]){ g_node[0], chan_str(ch), NULL }, 0);
	EXPECT_EXIT(&r, 1);
	EXPECT_STDERR_HAS(&r, "No space left on device");
}

TEST(reader_stdout_closed_pipe_epipe)
{
	struct prog_result r;
	uint32_t ch = fresh_channel();
	int p[2];

	require_programs();
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	close(p[0]);	/* nobody will read: write() gets EPIPE or SIGPIPE */
	store(0, ch, "to a closed pipe", 16);
	run_prog(&r, "message_reader", p[1],
		 (const char *const[]){ g_node[0], chan_str(ch), NULL }, 0);
	close(p[1]);
	/* Exit status 1 with the error, not death by SIGPIPE. */
	EXPECT_EXIT(&r, 1);
	EXPECT_STDERR_HAS(&r, "Broken pipe");
}

