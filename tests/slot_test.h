/* SPDX-License-Identifier: GPL-2.0 */
/*
 * slot_test.h - what the files of slot_test share: its options, the
 * helpers every topic uses (slot_test.c defines them) and those one topic
 * lends another. Each file of the suite includes this header first and
 * defines HARNESS_FILE_RANK before it: the tests run in the order of
 * the files' ranks, then of their lines (see harness.h), which is the
 * order in which tests/kit/profiles.tsv and the judges expect them.
 *
 *	slot_test.c		options, helpers, main		(no tests)
 *	slot_ioctl.c		rank 1: the channel ioctl
 *	slot_write.c		rank 2: write
 *	slot_read.c		rank 3: read
 *	slot_state.c		rank 4: persistence, per-descriptor channels,
 *				isolation
 *	slot_concurrency.c	rank 5: threads and processes at once
 *	slot_programs.c		rank 6: message_sender and message_reader
 *	slot_censor.c		rank 7: the censorship terms
 *	slot_module.c		rank 8: unload, reload, reference counts
 *
 * A new test goes at the end of the file of its topic (or, for a new
 * topic, in a new file with the next rank, listed in tests/Makefile's
 * slot_test_SRCS); a new case also needs its line in tests/kit/profiles.tsv.
 */
#ifndef SLOT_TEST_H
#define SLOT_TEST_H

#define _GNU_SOURCE
#include "harness.h"

#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "message_slot.h"

#define MAX_LEN		MSG_SLOT_MAX_LEN

/* The assignment's censor character, whatever a header calls it. */
#define CEN_CHAR	'#'

#define SENTINEL	0xa5

#define NR_MINORS	5

static const int minors[NR_MINORS] = { 0, 1, 2, 3, 255 };

/* Options (slot_test.c: main). */
extern unsigned int g_major;
extern unsigned long g_ioctl;
extern const char *g_module_path;
extern char g_module_name[64];
extern const char *g_bindir;
extern const char *g_nodes;
extern unsigned int g_stress_ms;
extern unsigned int g_reload_cycles;
extern uint64_t g_seed;
extern unsigned int g_censor;
extern unsigned long g_cen_ioctl;
extern unsigned int g_sender_args;

/* Set up by the preamble. */
extern char *g_node[256];
extern char *g_full_node;
extern int g_module_was_loaded;

/* ---- helpers (slot_test.c) ---------------------------------------- */

/* A channel id no other test uses in this run and no test uses on purpose. */
uint32_t fresh_channel(void);
void fill_pattern(unsigned char *buf, size_t len, uint64_t seed);
void fill_unique(unsigned char *buf, size_t len, unsigned int salt);
const char *escape(const void *data, size_t len);
void *null_buf(void);

/* ---- device helpers (they end the test on failure) ------------------- */

int open_slot_at(const char *file, int line, int minor);
void set_channel_at(const char *file, int line, int fd, uint32_t id);
void write_msg_at(const char *file, int line, int fd, const void *buf,
		  size_t len);
int expect_read_at(const char *file, int line, int fd, const void *exp,
		   size_t len);
int expect_read_fails_at(const char *file, int line, int fd,
			 size_t len, int err);
void store_at(const char *file, int line, int minor, uint32_t channel,
	      const void *buf, size_t len);
unsigned char *edge_buffer(size_t size, int prot_none);
void edge_context(int fails_before, size_t size, int prot_none);

#define OPEN_SLOT(minor) open_slot_at(__FILE__, __LINE__, (minor))

#define SET_CHANNEL(fd, id) set_channel_at(__FILE__, __LINE__, (fd), (id))

#define WRITE_MSG(fd, buf, len) write_msg_at(__FILE__, __LINE__, (fd), (buf), (len))

/*
 * Read the fd's channel with a large buffer and check that exactly the
 * expected message comes back and nothing beyond it is written.
 */
#define EXPECT_READ(fd, exp, len) expect_read_at(__FILE__, __LINE__, (fd), (exp), (len))

/* A read that must fail with err and leave the buffer as it was. */
#define EXPECT_READ_FAILS(fd, len, err) expect_read_fails_at(__FILE__, __LINE__, (fd), (len), (err))

/* Open minor, set channel, write; the fd is closed. */
#define store(minor, ch, buf, len) store_at(__FILE__, __LINE__, (minor), (ch), (buf), (len))

/* Open minor, set channel, check the message; the fd is closed. */
#define EXPECT_STORED(minor, ch, exp, len) ({				\
	int _fd = OPEN_SLOT(minor);					\
	int _ok;							\
	SET_CHANNEL(_fd, ch);						\
	_ok = expect_read_at(__FILE__, __LINE__, _fd, (exp), (len));	\
	close(_fd);							\
	_ok;								\
})

#define EXPECT_NEVER_WRITTEN(minor, ch) ({				\
	int _fd = OPEN_SLOT(minor);					\
	int _ok;							\
	SET_CHANNEL(_fd, ch);						\
	_ok = expect_read_fails_at(__FILE__, __LINE__, _fd, MAX_LEN,	\
				   EWOULDBLOCK);			\
	close(_fd);							\
	_ok;								\
})

/* ---- lent by one topic to another ---------------------------------- */

/* slot_ioctl.c: the ioctl number in its unsigned long form. */
unsigned long ul_form(unsigned long cmd);
unsigned long ioctl_ul(void);

/* slot_state.c */
/* Wait for a helper process and check it ended normally. */
#define EXPECT_CHILD_OK(pid) expect_child_ok_at(__FILE__, __LINE__, (pid))
int expect_child_ok_at(const char *file, int line, pid_t pid);

/* slot_concurrency.c */
#define GROW_MINOR	4		/* no other test's slot: its ids stay apart */

/* slot_programs.c: running message_sender and message_reader. */
struct prog_result {
	int status;		/* from waitpid */
	char cmd[512];		/* for diagnostics */
	char out[8192];
	size_t outlen;
	char err[8192];
	size_t errlen;
};

void require_programs(void);
size_t prog_argv(char **argv, size_t max, const char *prog,
		 const char *const *args, int raw);
void run_prog(struct prog_result *r, const char *prog, int out_fd,
	      const char *const *args, int raw);
int expect_exit_at(const char *file, int line,
		   const struct prog_result *r, int code);
int expect_output_at(const char *file, int line,
		     const struct prog_result *r, int which,
		     const void *exp, size_t len);
int expect_stderr_has_at(const char *file, int line,
			 const struct prog_result *r, const char *text,
			 int nocase);
int expect_rejected_at(const char *file, int line,
		       const struct prog_result *r, const char *text,
		       int nocase);
const char *chan_str(uint32_t ch);

#define RUN(r, prog, ...) run_prog((r), (prog), -1, (const char *const[]){ __VA_ARGS__, NULL }, 0)

#define RUN0(r, prog) run_prog((r), (prog), -1, (const char *const[]){ NULL }, 0)

/* The arguments exactly as given, whatever --sender-args says. */
#define RUN_RAW(r, prog, ...) run_prog((r), (prog), -1, (const char *const[]){ __VA_ARGS__, NULL }, 1)

/* Exit status exactly code (0 or 1): not a signal, not another number. */
#define EXPECT_EXIT(r, code) expect_exit_at(__FILE__, __LINE__, (r), (code))

#define EXPECT_STDOUT(r, exp, len) expect_output_at(__FILE__, __LINE__, (r), 1, (exp), (len))

#define EXPECT_NO_STDOUT(r) expect_output_at(__FILE__, __LINE__, (r), 1, "", 0)

#define EXPECT_NO_STDERR(r) expect_output_at(__FILE__, __LINE__, (r), 2, "", 0)

/* stderr contains text; with text "" it only has to be non-empty. */
#define EXPECT_STDERR_HAS(r, text) expect_stderr_has_at(__FILE__, __LINE__, (r), (text), 0)

/*
 * The program failed cleanly: exit status 1, nothing on stdout, and stderr
 * holding text (any text when it is "").
 */
#define EXPECT_REJECTED(r, text, nocase) expect_rejected_at(__FILE__, __LINE__, (r), (text), (nocase))

#endif /* SLOT_TEST_H */
