/* SPDX-License-Identifier: GPL-2.0 */
/*
 * harness.h - a small TAP test harness for the message slot tests.
 *
 * It has the shape of the kernel's kselftest harness but is written from
 * scratch for this project:
 *
 *	TEST(name) { ... }			a test, 60 s timeout
 *	TEST_TIMEOUT(name, seconds) { ... }	a test with its own timeout
 *
 * Every test runs in a forked child that leads its own process group, so
 * a crash, a hang or a stray helper process stays inside that test. The
 * child's verdict lives in a MAP_SHARED page, which the processes and
 * threads a test starts share too: a check that fails in a helper process
 * fails the test. Diagnostics are collected there and printed after the
 * test's result line, as TAP "#" lines:
 *
 *	TAP version 13
 *	1..3
 *	ok 1 name
 *	not ok 2 name
 *	#   slot_test.c:123: expected -1 EINVAL, got -1 EAGAIN [write(fd, NULL, 0)]
 *	ok 3 name # SKIP reason
 *	# 1 passed, 1 failed, 1 skipped
 *
 * Checks (each is an expression of type int: 1 if it held, 0 if not):
 *	EXPECT_EQ(expected, actual)	also _NE, _LT, _LE, _GT, _GE
 *	EXPECT_TRUE(cond), EXPECT_FALSE(cond)
 *	EXPECT_ERRNO(expr, ERRNO)	expr == -1 and errno == ERRNO
 *	EXPECT_MEMEQ(expected, actual, len)
 *	ASSERT_*			the same, but end the test on failure
 *	FAIL(fmt, ...)			fail with a message, go on
 *	SKIP(fmt, ...)			end the test as skipped, with the reason
 *	TH_LOG(fmt, ...)		add a diagnostic line
 *
 * A test that makes no check at all is a failure, never a silent pass.
 * Integer values are compared as intmax_t; when an actual value is -1 the
 * errno name is printed next to it. The helpers every test program shares
 * (errno names, clocks, the module, device nodes) are in helpers.h, which
 * this header includes.
 */
#ifndef SLOT_TEST_HARNESS_H
#define SLOT_TEST_HARNESS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

#define HARNESS_DEFAULT_TIMEOUT	60
#define HARNESS_KILL_GRACE	5	/* seconds to wait for a killed child */
#define HARNESS_DIAG_SIZE	(60 * 1024)

struct harness_test {
	const char *name;
	void (*fn)(void);
	unsigned int timeout;
	int rank;		/* the file's HARNESS_FILE_RANK */
	int line;
	int selected;
	struct harness_test *next;
};

/* State of the running test, shared by the test and every helper it forks. */
struct harness_shared {
	int failures;		/* checks that failed */
	int checks;		/* checks made */
	int skipped;
	int diag_truncated;
	size_t diag_len;
	char skip_reason[256];
	char diag[HARNESS_DIAG_SIZE];
};

/*
 * One program may be several files (slot_test is): their tests and the
 * running test's state are one, as weak definitions that the linker
 * merges into one object, whichever files define them.
 */
#define HARNESS_SHARED __attribute__((weak))

HARNESS_SHARED struct harness_test *harness_tests;
HARNESS_SHARED struct harness_shared *harness_state;
HARNESS_SHARED int harness_index;	/* 1-based number of the running test */
HARNESS_SHARED int (*harness_after_test)(const char *name);
HARNESS_SHARED void (*harness_preamble)(void);
static volatile sig_atomic_t harness_alarm_fired;

/*
 * The tests run in source order: by the file's rank (a program of several
 * files defines HARNESS_FILE_RANK before including this header, 1, 2, ...
 * in the order its tests are to run), then by line.
 */
#ifndef HARNESS_FILE_RANK
#define HARNESS_FILE_RANK 0
#endif

static inline void harness_register(struct harness_test *t)
{
	struct harness_test **p = &harness_tests;

	/* Keep source order whatever order the constructors run in. */
	while (*p && ((*p)->rank < t->rank ||
		      ((*p)->rank == t->rank && (*p)->line < t->line)))
		p = &(*p)->next;
	t->next = *p;
	*p = t;
}

#define TEST_TIMEOUT(test_name, seconds)				\
	static void htest_fn_##test_name(void);				\
	static struct harness_test htest_case_##test_name = {		\
		.name = #test_name,					\
		.fn = htest_fn_##test_name,				\
		.timeout = (seconds),					\
		.rank = HARNESS_FILE_RANK,				\
		.line = __LINE__,					\
	};								\
	__attribute__((constructor)) static void			\
	htest_register_##test_name(void)				\
	{								\
		harness_register(&htest_case_##test_name);		\
	}								\
	static void htest_fn_##test_name(void)

#define TEST(test_name) TEST_TIMEOUT(test_name, HARNESS_DEFAULT_TIMEOUT)

/* ---- diagnostics and verdicts ------------------------------------- */

static inline const char *harness_basename(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/*
 * Append one "#   ..." line to the diagnostics. Safe from several
 * processes and threads at once: each line reserves its own space.
 */
__attribute__((format(printf, 1, 2)))
static inline void harness_diag(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	size_t len, at;
	int n;

	memcpy(line, "#   ", 4);
	va_start(ap, fmt);
	n = vsnprintf(line + 4, sizeof(line) - 5, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	len = strlen(line);
	if (!harness_state) {
		/* Outside a test (setup in main): straight to stdout. */
		printf("%s\n", line);
		return;
	}
	line[len++] = '\n';
	at = __atomic_fetch_add(&harness_state->diag_len, len, __ATOMIC_RELAXED);
	if (at + len > sizeof(harness_state->diag)) {
		__atomic_store_n(&harness_state->diag_truncated, 1, __ATOMIC_RELAXED);
		return;
	}
	memcpy(harness_state->diag + at, line, len);
}

#define TH_LOG(fmt, ...) harness_diag(fmt, ##__VA_ARGS__)

static inline void harness_count_check(int ok)
{
	if (!harness_state)
		return;
	__atomic_add_fetch(&harness_state->checks, 1, __ATOMIC_RELAXED);
	if (!ok)
		__atomic_add_fetch(&harness_state->failures, 1, __ATOMIC_RELAXED);
}

/* Checks failed so far in this test (in every process of it). */
static inline int harness_failed_checks(void)
{
	return harness_state ? __atomic_load_n(&harness_state->failures,
					       __ATOMIC_RELAXED) : 0;
}

/* Leave the test now. The parent decides the verdict from harness_state. */
__attribute__((noreturn))
static inline void harness_leave(void)
{
	fflush(stdout);
	fflush(stderr);
	_exit(0);
}

/* " EINVAL" after a -1, nothing otherwise. */
static inline const char *harness_err_suffix(intmax_t value, int err, char *buf,
					     size_t size)
{
	if (value != -1)
		return "";
	snprintf(buf, size, " %s", errno_name(err));
	return buf;
}

static inline int harness_cmp(int ok, const char *file, int line,
			      const char *op, const char *expected_expr,
			      const char *actual_expr, intmax_t expected,
			      intmax_t actual, int err)
{
	char eb[48];

	harness_count_check(ok);
	if (ok)
		return 1;
	if (!strcmp(op, "=="))
		harness_diag("%s:%d: expected %jd, got %jd%s [%s == %s]",
			     harness_basename(file), line, expected, actual,
			     harness_err_suffix(actual, err, eb, sizeof(eb)),
			     expected_expr, actual_expr);
	else
		harness_diag("%s:%d: expected %jd %s value, got %jd%s [%s %s %s]",
			     harness_basename(file), line, expected, op, actual,
			     harness_err_suffix(actual, err, eb, sizeof(eb)),
			     expected_expr, op, actual_expr);
	return 0;
}

static inline int harness_errno_check(const char *file, int line,
				      const char *expr, intmax_t ret, int err,
				      int want)
{
	char eb[48];
	int ok = ret == -1 && err == want;

	harness_count_check(ok);
	if (ok)
		return 1;
	harness_diag("%s:%d: expected -1 %s, got %jd%s [%s]",
		     harness_basename(file), line, errno_name(want), ret,
		     harness_err_suffix(ret, err, eb, sizeof(eb)), expr);
	return 0;
}

static inline int harness_mem_check(const char *file, int line,
				    const char *expr, const void *expected,
				    const void *actual, size_t len)
{
	const unsigned char *e = expected, *a = actual;
	size_t i;

	for (i = 0; i < len; i++)
		if (e[i] != a[i])
			break;
	harness_count_check(i == len);
	if (i == len)
		return 1;
	harness_diag("%s:%d: %zu bytes differ first at offset %zu: expected 0x%02x, got 0x%02x [%s]",
		     harness_basename(file), line, len, i, e[i], a[i], expr);
	return 0;
}

static inline int harness_true_check(int ok, const char *file, int line,
				     const char *expr, int want)
{
	harness_count_check(ok);
	if (!ok)
		harness_diag("%s:%d: expected %s to be %s",
			     harness_basename(file), line, expr,
			     want ? "true" : "false");
	return ok;
}

__attribute__((format(printf, 3, 4)))
static inline void harness_fail(const char *file, int line, const char *fmt, ...)
{
	char msg[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	harness_count_check(0);
	harness_diag("%s:%d: %s", harness_basename(file), line, msg);
}

__attribute__((noreturn, format(printf, 1, 2)))
static inline void harness_skip(const char *fmt, ...)
{
	if (harness_state) {
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(harness_state->skip_reason,
			  sizeof(harness_state->skip_reason), fmt, ap);
		va_end(ap);
		__atomic_store_n(&harness_state->skipped, 1, __ATOMIC_RELAXED);
	}
	harness_leave();
}

#define HARNESS_CMP(op, expected, actual) ({				\
	intmax_t _h_exp = (intmax_t)(expected);				\
	intmax_t _h_act;						\
	int _h_err;							\
	errno = 0;							\
	_h_act = (intmax_t)(actual);					\
	_h_err = errno;							\
	_h_exp = harness_cmp(_h_exp op _h_act, __FILE__, __LINE__, #op,	\
			     #expected, #actual, _h_exp, _h_act, _h_err); \
	errno = _h_err;		/* for the caller's own diagnostics */	\
	(int)_h_exp;							\
})

/* "EXPECT_LT(a, b)" reads "expected a < b". */
#define EXPECT_EQ(expected, actual)	HARNESS_CMP(==, expected, actual)
#define EXPECT_NE(expected, actual)	HARNESS_CMP(!=, expected, actual)
#define EXPECT_LT(expected, actual)	HARNESS_CMP(<, expected, actual)
#define EXPECT_LE(expected, actual)	HARNESS_CMP(<=, expected, actual)
#define EXPECT_GT(expected, actual)	HARNESS_CMP(>, expected, actual)
#define EXPECT_GE(expected, actual)	HARNESS_CMP(>=, expected, actual)

#define EXPECT_ERRNO(expr, want) ({					\
	intmax_t _h_ret;						\
	int _h_err;							\
	errno = 0;							\
	_h_ret = (intmax_t)(expr);					\
	_h_err = errno;							\
	_h_ret = harness_errno_check(__FILE__, __LINE__, #expr, _h_ret,	\
				     _h_err, (want));			\
	errno = _h_err;							\
	(int)_h_ret;							\
})

#define EXPECT_MEMEQ(expected, actual, len)				\
	harness_mem_check(__FILE__, __LINE__, #actual, (expected),	\
			  (actual), (len))

#define EXPECT_TRUE(cond)						\
	harness_true_check(!!(cond), __FILE__, __LINE__, #cond, 1)
#define EXPECT_FALSE(cond)						\
	harness_true_check(!(cond), __FILE__, __LINE__, #cond, 0)

#define HARNESS_ASSERT(check) do {					\
	if (!(check))							\
		harness_leave();					\
} while (0)

#define ASSERT_EQ(e, a)		HARNESS_ASSERT(EXPECT_EQ(e, a))
#define ASSERT_NE(e, a)		HARNESS_ASSERT(EXPECT_NE(e, a))
#define ASSERT_LT(e, a)		HARNESS_ASSERT(EXPECT_LT(e, a))
#define ASSERT_LE(e, a)		HARNESS_ASSERT(EXPECT_LE(e, a))
#define ASSERT_GT(e, a)		HARNESS_ASSERT(EXPECT_GT(e, a))
#define ASSERT_GE(e, a)		HARNESS_ASSERT(EXPECT_GE(e, a))
#define ASSERT_ERRNO(x, e)	HARNESS_ASSERT(EXPECT_ERRNO(x, e))
#define ASSERT_MEMEQ(e, a, n)	HARNESS_ASSERT(EXPECT_MEMEQ(e, a, n))
#define ASSERT_TRUE(c)		HARNESS_ASSERT(EXPECT_TRUE(c))
#define ASSERT_FALSE(c)		HARNESS_ASSERT(EXPECT_FALSE(c))

#define FAIL(fmt, ...) harness_fail(__FILE__, __LINE__, fmt, ##__VA_ARGS__)
#define SKIP(fmt, ...) harness_skip(fmt, ##__VA_ARGS__)

/* ---- running ------------------------------------------------------ */

static inline void harness_on_alarm(int sig)
{
	(void)sig;
	harness_alarm_fired = 1;
}

/*
 * Wait for the child to terminate without reaping it (so its process
 * group id stays reserved). Returns 0 when it terminated, -1 when the
 * alarm fired first.
 */
static inline int harness_wait_child(pid_t pid, siginfo_t *si, unsigned int seconds)
{
	harness_alarm_fired = 0;
	alarm(seconds);
	for (;;) {
		memset(si, 0, sizeof(*si));
		if (waitid(P_PID, (id_t)pid, si, WEXITED | WNOWAIT) == 0) {
			alarm(0);
			return 0;
		}
		if (errno != EINTR || harness_alarm_fired) {
			alarm(0);
			return -1;
		}
	}
}

/* Reap whatever descendants are left (we are their subreaper). */
static inline void harness_reap_orphans(unsigned int seconds)
{
	harness_alarm_fired = 0;
	alarm(seconds);
	while (waitpid(-1, NULL, __WALL) > 0 || errno == EINTR)
		if (harness_alarm_fired) {
			harness_diag("harness: helper processes of this test did not exit");
			break;
		}
	alarm(0);
}

static inline void harness_print_diag(void)
{
	size_t len = harness_state->diag_len;

	if (len > sizeof(harness_state->diag))
		len = sizeof(harness_state->diag);
	fwrite(harness_state->diag, 1, len, stdout);
	if (harness_state->diag_truncated)
		fputs("#   (more diagnostics were dropped)\n", stdout);
}

/* Runs one test; returns 0 passed, 1 failed, 2 skipped. */
static inline int harness_run_one(struct harness_test *t, int number)
{
	siginfo_t si;
	pid_t pid;
	int failed = 0, killed = 0, stuck = 0;

	memset(harness_state, 0, sizeof(*harness_state));
	harness_index = number;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		printf("not ok %d %s\n#   fork: %s\n", number, t->name,
		       errno_name(errno));
		return 1;
	}
	if (pid == 0) {
		setpgid(0, 0);
		signal(SIGALRM, SIG_DFL);
		t->fn();
		harness_leave();
	}
	setpgid(pid, pid);

	if (harness_wait_child(pid, &si, t->timeout) < 0) {
		killed = 1;
		kill(-pid, SIGKILL);
		if (harness_wait_child(pid, &si, HARNESS_KILL_GRACE) < 0)
			stuck = 1;
	}
	if (!stuck) {
		/* End helper processes the test left behind, then reap. */
		kill(-pid, SIGKILL);
		waitpid(pid, NULL, 0);
		harness_reap_orphans(HARNESS_KILL_GRACE);
	}

	if (stuck) {
		harness_diag("timed out after %u s and still alive %d s after SIGKILL (stuck in the kernel?)",
			     t->timeout, HARNESS_KILL_GRACE);
		failed = 1;
	} else if (killed) {
		harness_diag("timed out after %u s", t->timeout);
		failed = 1;
	} else if (si.si_code == CLD_EXITED && si.si_status != 0) {
		harness_diag("test process exited with status %d", si.si_status);
		failed = 1;
	} else if (si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED) {
		harness_diag("test process terminated by signal %d (%s)",
			     si.si_status, signal_name(si.si_status));
		failed = 1;
	}
	if (harness_state->failures)
		failed = 1;
	if (!failed && !harness_state->skipped && harness_state->checks == 0) {
		harness_diag("the test made no check");
		failed = 1;
	}
	if (harness_after_test && harness_after_test(t->name))
		failed = 1;

	if (failed)
		printf("not ok %d %s\n", number, t->name);
	else if (harness_state->skipped)
		printf("ok %d %s # SKIP %s\n", number, t->name,
		       harness_state->skip_reason);
	else
		printf("ok %d %s\n", number, t->name);
	harness_print_diag();
	fflush(stdout);
	return failed ? 1 : harness_state->skipped ? 2 : 0;
}

/* ---- the interface for main() ------------------------------------- */

/* Select a test by name for the run; -1 if there is no such test. */
static inline int harness_select(const char *name)
{
	struct harness_test *t;

	for (t = harness_tests; t; t = t->next)
		if (!strcmp(t->name, name)) {
			t->selected = 1;
			return 0;
		}
	return -1;
}

static inline void harness_list(void)
{
	struct harness_test *t;

	for (t = harness_tests; t; t = t->next)
		printf("%s\n", t->name);
}

/* Called in the parent after each test; nonzero fails that test. */
static inline void harness_set_after_test(int (*fn)(const char *name))
{
	harness_after_test = fn;
}

/* Called once after the TAP plan, before the first test ("#" lines only). */
static inline void harness_set_preamble(void (*fn)(void))
{
	harness_preamble = fn;
}

/* Run the selected tests (all if none was selected); the exit status. */
static inline int harness_run(void)
{
	struct harness_test *t;
	struct sigaction sa;
	int any_selected = 0, total = 0, number = 0;
	int passed = 0, failed = 0, skipped = 0;

	for (t = harness_tests; t; t = t->next)
		any_selected |= t->selected;
	for (t = harness_tests; t; t = t->next)
		if (!any_selected || t->selected)
			total++;

	harness_state = mmap(NULL, sizeof(*harness_state),
			     PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (harness_state == MAP_FAILED) {
		perror("harness: mmap");
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = harness_on_alarm;	/* no SA_RESTART: wake waitid */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	/* Orphaned helpers come back to us, so none outlives its test. */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

	printf("TAP version 13\n1..%d\n", total);
	if (harness_preamble) {
		struct harness_shared *state = harness_state;

		harness_state = NULL;	/* its diagnostics go to stdout */
		harness_preamble();
		harness_state = state;
		fflush(stdout);
	}
	for (t = harness_tests; t; t = t->next) {
		if (any_selected && !t->selected)
			continue;
		switch (harness_run_one(t, ++number)) {
		case 0:
			passed++;
			break;
		case 1:
			failed++;
			break;
		default:
			skipped++;
			break;
		}
	}
	printf("# %d passed, %d failed, %d skipped\n", passed, failed, skipped);
	fflush(stdout);
	munmap(harness_state, sizeof(*harness_state));
	harness_state = NULL;
	return failed ? 1 : 0;
}

#endif /* SLOT_TEST_HARNESS_H */
