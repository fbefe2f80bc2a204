// SPDX-License-Identifier: GPL-2.0
/*
 * limits.c - the channel limits of the message slot module (issue 13):
 * max_user_channels, max_channels, the usage file in debugfs, and memory
 * cgroups.
 *
 * Runs as root. Every test reloads the module (--module, the .ko file)
 * with the parameters it needs, so it starts from no channel at all and
 * its counts are exact; at the end the module is left loaded with its
 * defaults. Unprivileged writers are forked children that drop to uid
 * 65534 (nobody), 1000 or 1001 with no supplementary group and no
 * capability, so CAP_SYS_RESOURCE does not exempt them. The nodes (mode
 * 0666) are made under --nodes.
 *
 * Build (from the top of the repository):
 *	make -C tests O=DIR limits
 * Run:
 *	tests/limits --module PATH [--major N] [--nodes DIR]
 *		[--loop-channels N] [-t NAME]... [-l]
 * --loop-channels N: the unprivileged loop of default_limits_stop_the_loop
 * runs up to a per-user limit of N instead of the default 2^20 (for slow
 * kernels: 2^20 channels take about 170 MB and several seconds of TCG).
 */
#define _GNU_SOURCE
#include "harness.h"

#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "message_slot.h"

_Static_assert(EWOULDBLOCK == EAGAIN, "EWOULDBLOCK and EAGAIN differ");

#define NOBODY		65534
#define USER_A		1000
#define USER_B		1001
#define PARAMS		"/sys/module/message_slot/parameters/"
#define DEBUGFS		"/sys/kernel/debug"
#define USAGE		DEBUGFS "/message_slot/usage"
#define CGROOT		"/sys/fs/cgroup"
#define CGROUP		CGROOT "/msgslot-limits"
#define DEFAULT_USER_LIMIT	1048576ul	/* 2^20: one user fills one slot */
#define DEBUGFS_MAGIC		0x64626720
#define CGROUP2_MAGIC		0x63677270

static unsigned int g_major = MAJOR_NUM;
static const char *g_module_path;
static const char *g_nodes = "/tmp/limits-nodes";
static unsigned long g_loop_channels;	/* 0: the default limit, 2^20 */

/* ---- small helpers -------------------------------------------------- */

/*
 * The path is built in the caller's own buffer: threads open slots at once
 * (racing_creators_charge_each_channel_once), and snprintf() into a shared
 * one can show another thread an empty path (ENOENT) while it writes.
 */
static int open_slot(unsigned int minor)
{
	char path[128];
	int fd;

	slot_path(path, sizeof(path), g_nodes, minor & 255);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		FAIL("open %s: %s", path, errno_name(errno));
		harness_leave();
	}
	return fd;
}

/*
 * The message of channel @id, generation @gen: the id and generation in
 * its bytes, so a read shows which write it got; 9 to 40 bytes.
 */
static size_t message(uint32_t id, unsigned int gen, char *buf)
{
	int n = snprintf(buf, 64, "id %u gen %u%.*s", id, gen,
			 (int)(id % 16), "................");

	return (size_t)n;
}

/* A number in a file (a module parameter); ULONG_MAX with errno if none. */
static unsigned long read_ulong(const char *path)
{
	char buf[64], *end;
	unsigned long v;

	if (read_file(path, buf, sizeof(buf)) < 0)
		return ULONG_MAX;
	errno = 0;
	v = strtoul(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n')) {
		errno = EPROTO;
		return ULONG_MAX;
	}
	return v;
}

static unsigned long param(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), PARAMS "%s", name);
	return read_ulong(path);
}

static int set_param(const char *name, unsigned long value)
{
	char path[128], v[32];

	snprintf(path, sizeof(path), PARAMS "%s", name);
	snprintf(v, sizeof(v), "%lu", value);
	return write_file(path, v);
}

/* ---- the module ----------------------------------------------------- */

/* Loaded and done loading (/proc/modules also lists a module still loading). */
static int module_live(void)
{
	char buf[64];

	return access("/sys/module/message_slot/initstate", F_OK) == 0 &&
	       read_file("/sys/module/message_slot/initstate", buf, sizeof(buf)) > 0 &&
	       !strcmp(buf, "live\n");
}

/*
 * Unload (if loaded) and load the module with @params. A file a helper
 * process of the previous test had open may still be closing: a busy
 * module is tried again for up to 5 s.
 */
static int module_reload(const char *params)
{
	int tries;

	for (tries = 0; ; tries++) {
		if (!module_unload("message_slot") || errno == ENOENT)
			break;
		if (errno != EWOULDBLOCK || tries == 50)
			return -1;
		sleep_ms(100);
	}
	return module_load(g_module_path, params);
}

/* Start a test from a freshly loaded module with these limits. */
static void load_limits(unsigned long user_limit, unsigned long all_limit)
{
	char params[128];

	if (!g_module_path)
		SKIP("no --module given: the tests load the module with their limits");
	snprintf(params, sizeof(params), "max_user_channels=%lu max_channels=%lu",
		 user_limit, all_limit);
	if (module_reload(params)) {
		FAIL("reloading the module with %s: %s", params, errno_name(errno));
		harness_leave();
	}
	ASSERT_EQ(user_limit, param("max_user_channels"));
	ASSERT_EQ(all_limit, param("max_channels"));
}

/* ---- the usage file ------------------------------------------------- */

#define MAX_USERS	64

struct usage {
	unsigned long max_channels, max_user_channels, channels;
	int users;
	unsigned long uid[MAX_USERS], user_channels[MAX_USERS];
	int has_slot[256];
	unsigned long slot_channels[256], bytes[256], buckets[256], longest[256];
	char text[32768];
};

/*
 * Parse the usage file: "max_channels N", "max_user_channels N",
 * "channels N", then "uid channels" lines, then "slot channels bytes
 * buckets longest_chain" lines. Any other line fails the test.
 */
static void read_usage(struct usage *u)
{
	char *line, *save = NULL, *copy;
	int section = 0, n;
	unsigned long a, b, c, d, e;

	memset(u, 0, offsetof(struct usage, text));
	if (read_file(USAGE, u->text, sizeof(u->text)) < 0) {
		FAIL("read %s: %s", USAGE, errno_name(errno));
		harness_leave();
	}
	copy = strdup(u->text);
	ASSERT_TRUE(copy != NULL);
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strcmp(line, "uid channels")) {
			section = 1;
			continue;
		}
		if (!strcmp(line, "slot channels bytes buckets longest_chain")) {
			section = 2;
			continue;
		}
		if (section == 0 && sscanf(line, "max_channels %lu%n", &a, &n) == 1 && !line[n])
			u->max_channels = a;
		else if (section == 0 && sscanf(line, "max_user_channels %lu%n", &a, &n) == 1 && !line[n])
			u->max_user_channels = a;
		else if (section == 0 && sscanf(line, "channels %lu%n", &a, &n) == 1 && !line[n])
			u->channels = a;
		else if (section == 1 && sscanf(line, "%lu %lu%n", &a, &b, &n) == 2 && !line[n] &&
			 u->users < MAX_USERS) {
			u->uid[u->users] = a;
			u->user_channels[u->users++] = b;
		} else if (section == 2 &&
			   sscanf(line, "%lu %lu %lu %lu %lu%n", &a, &b, &c, &d, &e, &n) == 5 &&
			   !line[n] && a < 256 && !u->has_slot[a]) {
			u->has_slot[a] = 1;
			u->slot_channels[a] = b;
			u->bytes[a] = c;
			u->buckets[a] = d;
			u->longest[a] = e;
		} else {
			FAIL("usage file: unexpected line \"%s\" (section %d)", line, section);
		}
	}
	free(copy);
	ASSERT_EQ(2, section);
}

/* The channels the usage file charges to @uid; 0 when it has no line. */
static unsigned long user_channels(const struct usage *u, unsigned long uid)
{
	int i;

	for (i = 0; i < u->users; i++)
		if (u->uid[i] == uid)
			return u->user_channels[i];
	return 0;
}

/* ---- writers in other processes -------------------------------------- */

/* What a child reports back: in a page it shares with the test. */
struct report {
	long done;
	int err;
	int exited;
};

static struct report *g_report;

static void drop_to(uid_t uid)
{
	char status[4096], *cap;

	if (uid == 0)
		return;
	if (setgroups(0, NULL) || setgid(uid) || setuid(uid)) {
		FAIL("dropping to uid %u: %s", (unsigned int)uid, errno_name(errno));
		harness_leave();
	}
	ASSERT_EQ(uid, getuid());
	ASSERT_EQ(uid, geteuid());
	/* No capability left: CAP_SYS_RESOURCE would exempt it. */
	ASSERT_LE(0, read_file("/proc/self/status", status, sizeof(status)));
	cap = strstr(status, "CapEff:\t");
	ASSERT_TRUE(cap != NULL);
	ASSERT_EQ(0, strncmp(cap, "CapEff:\t0000000000000000\n", 25));
}

enum op { CREATE, REWRITE, REFUSE, READ_NONE };

/*
 * In a child as @uid: on slot @minor, for ids @first .. @first+@n-1, write
 * message(id, gen) (CREATE, REWRITE), or write it and expect ENOMEM
 * (REFUSE), or check that a read finds no message (READ_NONE). Stops at
 * the first write that does not do as expected; returns the number done
 * and leaves that write's errno in *@err (0 if none, or if it succeeded).
 */
static long as_user(uid_t uid, enum op op, unsigned int minor, uint32_t first,
		    long n, unsigned int gen, int *err)
{
	pid_t pid;
	int status;

	memset(g_report, 0, sizeof(*g_report));
	fflush(stdout);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char msg[64], buf[MSG_SLOT_MAX_LEN];
		long i;
		int fd;

		drop_to(uid);
		fd = open_slot(minor);
		for (i = 0; i < n; i++) {
			uint32_t id = first + (uint32_t)i;
			size_t len = message(id, gen, msg);
			ssize_t r;

			ASSERT_EQ(0, ioctl(fd, MSG_SLOT_CHANNEL, id));
			if (op == READ_NONE) {
				if (!EXPECT_ERRNO(read(fd, buf, sizeof(buf)), EWOULDBLOCK))
					TH_LOG("channel %u of slot %u has a message", id, minor);
				continue;
			}
			r = write(fd, msg, len);
			if (op == REFUSE) {
				if (r < 0 && errno == ENOMEM)
					continue;
				g_report->err = r < 0 ? errno : 0;
				break;
			}
			if (r != (ssize_t)len) {
				g_report->err = r < 0 ? errno : EIO;
				break;
			}
		}
		g_report->done = i;
		g_report->exited = 1;
		close(fd);
		harness_leave();
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ASSERT_EQ(1, g_report->exited);
	*err = g_report->err;
	return g_report->done;
}

/* @uid creates exactly @n channels, and no write fails. */
#define CREATE_ALL(uid, minor, first, n) do {				\
	int _err;							\
	long _done = as_user(uid, CREATE, minor, first, n, 1, &_err);	\
	if (!EXPECT_EQ((long)(n), _done))				\
		TH_LOG("uid %u, slot %u: the write of channel %lu failed with %s", \
		       (unsigned int)(uid), (unsigned int)(minor),	\
		       (unsigned long)(first) + (unsigned long)_done, errno_name(_err)); \
} while (0)

/* @uid's writes that would create channels @first.. fail with ENOMEM. */
#define REFUSE_ALL(uid, minor, first, n) do {				\
	int _err;							\
	long _done = as_user(uid, REFUSE, minor, first, n, 1, &_err);	\
	if (!EXPECT_EQ((long)(n), _done))				\
		TH_LOG("uid %u, slot %u, channel %lu: expected ENOMEM, got %s", \
		       (unsigned int)(uid), (unsigned int)(minor),	\
		       (unsigned long)(first) + (unsigned long)_done,	\
		       _err ? errno_name(_err) : "a successful write");	\
} while (0)
#define CREATE_REFUSED(uid, minor, id) REFUSE_ALL(uid, minor, id, 1)

/* @uid rewrites existing channels @first.. with generation @gen. */
#define REWRITE_ALL(uid, minor, first, n, gen) do {			\
	int _err;							\
	long _done = as_user(uid, REWRITE, minor, first, n, gen, &_err); \
	if (!EXPECT_EQ((long)(n), _done))				\
		TH_LOG("uid %u, slot %u: rewriting channel %lu failed with %s", \
		       (unsigned int)(uid), (unsigned int)(minor),	\
		       (unsigned long)(first) + (unsigned long)_done, errno_name(_err)); \
} while (0)

/* Channels @first.. of @minor hold generation @gen (read as root). */
static void expect_messages(unsigned int minor, uint32_t first, long n, unsigned int gen)
{
	char want[64], got[MSG_SLOT_MAX_LEN];
	int fd = open_slot(minor);
	long i, bad = 0;

	for (i = 0; i < n; i++) {
		uint32_t id = first + (uint32_t)i;
		size_t len = message(id, gen, want);
		ssize_t r;

		ASSERT_EQ(0, ioctl(fd, MSG_SLOT_CHANNEL, id));
		r = read(fd, got, sizeof(got));
		if (r != (ssize_t)len || memcmp(want, got, len)) {
			if (!bad)
				TH_LOG("slot %u channel %u: read %zd (%s), expected \"%s\"",
				       minor, id, r, r < 0 ? errno_name(errno) : "bytes differ", want);
			bad++;
		}
	}
	close(fd);
	EXPECT_EQ(0, bad);
}

/* ---- the kernel log --------------------------------------------------- */

/* /dev/kmsg, positioned after every record already there. */
static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		FAIL("open /dev/kmsg: %s", errno_name(errno));
		harness_leave();
	}
	ASSERT_LE(0, lseek(fd, 0, SEEK_END));
	return fd;
}

/*
 * The records logged since kmsg_open(), one a line as "LEVEL TEXT" (the
 * level being the record's priority without its facility).
 */
static char *kmsg_records(int fd)
{
	char rec[8192], *all = NULL, *text;
	size_t len = 0;
	FILE *f = open_memstream(&all, &len);

	ASSERT_TRUE(f != NULL);
	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);

		if (n < 0 && errno == EPIPE)	/* records were overwritten */
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		ASSERT_LT(0, n);
		rec[n] = '\0';
		text = strchr(rec, ';');
		if (!text)
			continue;
		*strchrnul(text, '\n') = '\0';
		fprintf(f, "%d %s\n", atoi(rec) & 7, text + 1);
	}
	fclose(f);
	return all;
}

/* Lines of @records that contain @needle (and are at @level, if >= 0). */
static int count_lines(const char *records, int level, const char *needle)
{
	const char *p = records, *nl;
	int count = 0;
	char line[1024];

	for (; *p; p = nl + 1) {
		size_t len;

		nl = strchrnul(p, '\n');
		len = (size_t)(nl - p) < sizeof(line) - 1 ? (size_t)(nl - p) : sizeof(line) - 1;
		memcpy(line, p, len);
		line[len] = '\0';
		if (strstr(line + 2, needle) && (level < 0 || atoi(line) == level))
			count++;
		if (!*nl)
			break;
	}
	return count;
}

/* Diagnostics of several lines: each a TAP "#" line of its own. */
static void log_lines(const char *title, const char *text)
{
	const char *p = text, *nl;

	TH_LOG("%s:", title);
	for (; *p; p = nl + 1) {
		nl = strchrnul(p, '\n');
		TH_LOG("  %.*s", (int)(nl - p), p);
		if (!*nl)
			break;
	}
}

/* ---- the per-user limit ----------------------------------------------- */

TEST(user_limit_refuses_with_enomem_and_changes_nothing)
{
	struct usage before, after;
	int err;

	load_limits(100, 300);
	CREATE_ALL(NOBODY, 0, 1000, 100);
	read_usage(&before);
	EXPECT_EQ(100, user_channels(&before, NOBODY));
	EXPECT_EQ(100, before.channels);
	EXPECT_EQ(100, before.slot_channels[0]);

	/* The 101st, in the same slot and in another one: both refused. */
	CREATE_REFUSED(NOBODY, 0, 1100);
	CREATE_REFUSED(NOBODY, 1, 1100);
	CREATE_REFUSED(NOBODY, 0, 4000000000u);
	/* A refused write created nothing: no message there. */
	EXPECT_EQ(1, as_user(NOBODY, READ_NONE, 0, 1100, 1, 0, &err));
	EXPECT_EQ(1, as_user(NOBODY, READ_NONE, 1, 1100, 1, 0, &err));
	EXPECT_EQ(1, as_user(0, READ_NONE, 0, 4000000000u, 1, 0, &err));
	read_usage(&after);
	if (!EXPECT_EQ(0, strcmp(before.text, after.text))) {
		log_lines("usage before", before.text);
		log_lines("usage after the refused writes", after.text);
	}
	EXPECT_FALSE(after.has_slot[1]);

	/* Full or not, the user's channels still take writes. */
	REWRITE_ALL(NOBODY, 0, 1000, 100, 2);
	expect_messages(0, 1000, 100, 2);
	read_usage(&after);
	EXPECT_EQ(0, strcmp(before.text, after.text));
}

TEST(other_users_and_root_go_on_when_one_user_is_full)
{
	struct usage u;

	load_limits(100, 1000);
	CREATE_ALL(NOBODY, 0, 1, 100);
	CREATE_REFUSED(NOBODY, 0, 101);
	/* Another user has a count of its own, with the same limit. */
	CREATE_ALL(USER_A, 0, 101, 100);
	CREATE_REFUSED(USER_A, 0, 201);
	CREATE_REFUSED(NOBODY, 0, 201);
	/* Root (CAP_SYS_RESOURCE) is not held by the per-user limit. */
	CREATE_ALL(0, 1, 1, 250);
	read_usage(&u);
	EXPECT_EQ(100, user_channels(&u, NOBODY));
	EXPECT_EQ(100, user_channels(&u, USER_A));
	EXPECT_EQ(250, user_channels(&u, 0));
	EXPECT_EQ(450, u.channels);
	EXPECT_EQ(200, u.slot_channels[0]);
	EXPECT_EQ(250, u.slot_channels[1]);
	expect_messages(0, 1, 200, 1);
	expect_messages(1, 1, 250, 1);
}

TEST(raising_the_user_limit_at_run_time_lets_the_user_go_on)
{
	struct usage u;

	load_limits(100, 1000);
	CREATE_ALL(NOBODY, 2, 1, 100);
	CREATE_REFUSED(NOBODY, 2, 101);
	ASSERT_EQ(0, set_param("max_user_channels", 150));
	EXPECT_EQ(150, param("max_user_channels"));
	CREATE_ALL(NOBODY, 2, 101, 50);
	CREATE_REFUSED(NOBODY, 2, 151);
	read_usage(&u);
	EXPECT_EQ(150, u.max_user_channels);
	EXPECT_EQ(150, user_channels(&u, NOBODY));

	/* Lowered below the user's count: channels kept, none created. */
	ASSERT_EQ(0, set_param("max_user_channels", 120));
	CREATE_REFUSED(NOBODY, 2, 151);
	REWRITE_ALL(NOBODY, 2, 1, 150, 3);
	expect_messages(2, 1, 150, 3);
	read_usage(&u);
	EXPECT_EQ(120, u.max_user_channels);
	EXPECT_EQ(150, user_channels(&u, NOBODY));
	EXPECT_EQ(150, u.slot_channels[2]);
}

/* ---- the global limit ------------------------------------------------- */

TEST(global_limit_stops_everyone_but_existing_channels_take_writes)
{
	struct usage before, after;

	load_limits(100, 300);
	CREATE_ALL(NOBODY, 0, 1, 100);
	CREATE_ALL(USER_A, 1, 1, 100);
	CREATE_ALL(0, 2, 1, 100);
	read_usage(&before);
	EXPECT_EQ(300, before.channels);

	/* Root included, and a user who has no channel yet. */
	CREATE_REFUSED(0, 2, 101);
	CREATE_REFUSED(0, 255, 1);
	CREATE_REFUSED(USER_B, 3, 1);
	read_usage(&after);
	EXPECT_EQ(300, after.channels);
	EXPECT_EQ(100, user_channels(&after, 0));
	EXPECT_EQ(0, user_channels(&after, USER_B));
	EXPECT_FALSE(after.has_slot[3]);
	EXPECT_FALSE(after.has_slot[255]);

	/* Everyone's channels, root's too, still take writes. */
	REWRITE_ALL(NOBODY, 0, 1, 100, 4);
	REWRITE_ALL(USER_A, 1, 1, 100, 4);
	REWRITE_ALL(0, 2, 1, 100, 4);
	expect_messages(0, 1, 100, 4);
	expect_messages(1, 1, 100, 4);
	expect_messages(2, 1, 100, 4);

	/* The global limit is writable at run time too. */
	ASSERT_EQ(0, set_param("max_channels", 301));
	CREATE_ALL(USER_B, 3, 1, 1);
	CREATE_REFUSED(0, 3, 2);
	read_usage(&after);
	EXPECT_EQ(301, after.max_channels);
	EXPECT_EQ(301, after.channels);
	EXPECT_EQ(1, user_channels(&after, USER_B));
}

/* ---- the usage file -------------------------------------------------- */

TEST(usage_file_shows_each_count_exactly)
{
	struct usage u, again;
	unsigned long object_size, rest;
	struct stat st;
	int minor, slots = 0;

	load_limits(100, 1000);
	ASSERT_EQ(0, stat(USAGE, &st));
	EXPECT_EQ(0444, st.st_mode & 07777);
	read_usage(&u);
	EXPECT_EQ(1000, u.max_channels);
	EXPECT_EQ(100, u.max_user_channels);
	EXPECT_EQ(0, u.channels);
	EXPECT_EQ(0, u.users);
	for (minor = 0; minor < 256; minor++)
		slots += u.has_slot[minor];
	EXPECT_EQ(0, slots);

	CREATE_ALL(NOBODY, 0, 1, 10);
	CREATE_ALL(NOBODY, 1, 1, 20);
	CREATE_ALL(USER_A, 1, 21, 5);
	CREATE_ALL(USER_A, 255, 7, 7);
	CREATE_ALL(0, 2, 4000000000u, 3);
	/* Writes to existing channels charge nothing. */
	REWRITE_ALL(USER_A, 1, 1, 25, 2);
	read_usage(&u);
	EXPECT_EQ(45, u.channels);
	EXPECT_EQ(3, u.users);
	EXPECT_EQ(30, user_channels(&u, NOBODY));
	EXPECT_EQ(12, user_channels(&u, USER_A));
	EXPECT_EQ(3, user_channels(&u, 0));
	for (slots = 0, minor = 0; minor < 256; minor++)
		slots += u.has_slot[minor];
	EXPECT_EQ(4, slots);
	EXPECT_EQ(10, u.slot_channels[0]);
	EXPECT_EQ(25, u.slot_channels[1]);
	EXPECT_EQ(3, u.slot_channels[2]);
	EXPECT_EQ(7, u.slot_channels[255]);

	/*
	 * A slot's bytes: its channels' objects, its bucket pointers and a
	 * small table header (two of each table while a resize runs).
	 */
	object_size = read_ulong("/sys/kernel/slab/msgslot_channel/object_size");
	if (object_size == ULONG_MAX) {
		TH_LOG("no /sys/kernel/slab/msgslot_channel/object_size (%s): bytes checked against 128-byte messages only",
		       errno_name(errno));
		object_size = MSG_SLOT_MAX_LEN;
	} else {
		EXPECT_LE(MSG_SLOT_MAX_LEN, object_size);
	}
	for (minor = 0; minor < 256; minor++) {
		if (!u.has_slot[minor])
			continue;
		/* A power of two, at least 16 (the smallest table). */
		EXPECT_LE(16, u.buckets[minor]);
		EXPECT_EQ(0, u.buckets[minor] & (u.buckets[minor] - 1));
		EXPECT_LE(1, u.longest[minor]);
		EXPECT_GE(u.slot_channels[minor], u.longest[minor]);
		ASSERT_LT(u.slot_channels[minor] * object_size + u.buckets[minor] * sizeof(void *),
			  u.bytes[minor]);
		rest = u.bytes[minor] - u.slot_channels[minor] * object_size -
		       u.buckets[minor] * sizeof(void *);
		if (!EXPECT_GE(128, rest))
			TH_LOG("slot %d: %lu bytes for %lu channels of %lu and %lu buckets",
			       minor, u.bytes[minor], u.slot_channels[minor],
			       object_size, u.buckets[minor]);
	}
	/* Reading changes nothing. */
	read_usage(&again);
	EXPECT_EQ(0, strcmp(u.text, again.text));
	log_lines(USAGE, u.text);
}

/* ---- the warning ------------------------------------------------------ */

TEST(refusals_log_a_rate_limited_warning_naming_the_limit)
{
	const char *user_line = "message_slot: uid 65534: no new channel: the max_user_channels limit is reached";
	const char *all_line = "message_slot: uid 0: no new channel: the max_channels limit is reached";
	char *records;
	uint64_t t0;
	double secs;
	int fd, users, alls, lines;

	load_limits(100, 300);
	CREATE_ALL(NOBODY, 0, 1, 100);
	CREATE_ALL(0, 1, 1, 200);
	fd = kmsg_open();
	t0 = now_ns();
	CREATE_REFUSED(0, 1, 201);
	ASSERT_EQ(0, set_param("max_channels", 1000));
	/*
	 * 50 refused writes in a row: at most 10 lines in 5 s (the burst of
	 * printk_ratelimited, whose state the two limits share).
	 */
	REFUSE_ALL(NOBODY, 0, 101, 50);
	secs = (double)(now_ns() - t0) / 1e9;
	records = kmsg_records(fd);
	close(fd);
	users = count_lines(records, 4, user_line);
	alls = count_lines(records, 4, all_line);
	lines = count_lines(records, -1, "no new channel");
	TH_LOG("in %.1f s: %d max_channels and %d max_user_channels lines of %d", secs, alls, users, lines);
	if (!EXPECT_EQ(1, alls) || !EXPECT_LE(1, users))
		log_lines("the kernel log had", records);
	/* Every line is a KERN_WARNING one and names a limit. */
	EXPECT_EQ(lines, users + alls);
	if (secs < 5)
		EXPECT_GE(10, lines);
	else
		EXPECT_GE(10 * (int)(secs / 5 + 1), lines);
	free(records);
}

/* ---- a creation race -------------------------------------------------- */

#define RACE_THREADS	4
#define RACE_CHANNELS	5000
#define RACE_FIRST	5000

/*
 * A spinning barrier: the threads on a CPU leave it at the same moment,
 * where a futex barrier wakes them one after the other (and the first
 * would often create the channel before the next one ran). It yields
 * while it spins, since there are more threads than CPUs.
 */
static unsigned int race_arrived, race_round;

static void race_barrier(void)
{
	unsigned int round = __atomic_load_n(&race_round, __ATOMIC_ACQUIRE);

	if (__atomic_add_fetch(&race_arrived, 1, __ATOMIC_ACQ_REL) == RACE_THREADS) {
		__atomic_store_n(&race_arrived, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&race_round, round + 1, __ATOMIC_RELEASE);
		return;
	}
	while (__atomic_load_n(&race_round, __ATOMIC_ACQUIRE) == round)
		sched_yield();
}

/*
 * Every thread writes each id in turn, all at once: one of them creates
 * the channel and the others find it, or lose the race to create it
 * (both missed it in the lockless lookup; the loser finds it under the
 * slot's mutex). Each write must succeed.
 */
static void *race_thread(void *arg)
{
	long t = (long)arg;
	char msg[64];
	int fd = open_slot(0), i, failed = 0;

	for (i = 0; i < RACE_CHANNELS; i++) {
		uint32_t id = RACE_FIRST + (uint32_t)i;
		size_t len = message(id, (unsigned int)t, msg);
		ssize_t r;

		race_barrier();
		if (ioctl(fd, MSG_SLOT_CHANNEL, id)) {
			FAIL("ioctl channel %u: %s", id, errno_name(errno));
			failed++;
			continue;
		}
		r = write(fd, msg, len);
		if (r != (ssize_t)len) {
			if (!failed)
				FAIL("thread %ld: write of channel %u returned %zd (%s)",
				     t, id, r, r < 0 ? errno_name(errno) : "short");
			failed++;
		}
	}
	close(fd);
	return (void *)(long)failed;
}

/* Each channel holds the message of one of the threads. */
static void expect_race_messages(void)
{
	char want[64], got[MSG_SLOT_MAX_LEN];
	int fd = open_slot(0), i, t, bad = 0;

	for (i = 0; i < RACE_CHANNELS; i++) {
		uint32_t id = RACE_FIRST + (uint32_t)i;
		ssize_t r;

		ASSERT_EQ(0, ioctl(fd, MSG_SLOT_CHANNEL, id));
		r = read(fd, got, sizeof(got));
		for (t = 0; t < RACE_THREADS; t++) {
			size_t len = message(id, (unsigned int)t, want);

			if (r == (ssize_t)len && !memcmp(want, got, len))
				break;
		}
		if (t == RACE_THREADS && !bad++)
			TH_LOG("channel %u: read %zd (%s), no thread's message", id, r,
			       r < 0 ? errno_name(errno) : "bytes differ");
	}
	close(fd);
	EXPECT_EQ(0, bad);
}

/*
 * The mutant that charges a writer who lost the race to create a channel
 * (and never gives it back) is caught when at least one race is lost in
 * the run: the limit is then reached before the last channel, whose
 * writes fail, and the counts are off. In the runs measured, hundreds of
 * the 5,000 channels were raced for.
 */
TEST_TIMEOUT(racing_creators_charge_each_channel_once, 120)
{
	struct usage u;
	pthread_t th[RACE_THREADS];
	uint64_t t0;
	pid_t pid;
	int status;

	/* Exactly as many as the channels: one extra charge refuses a write. */
	load_limits(RACE_CHANNELS, 100000);
	t0 = now_ns();
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		long t, failed = 0;
		void *ret;

		drop_to(NOBODY);
		for (t = 0; t < RACE_THREADS; t++)
			ASSERT_EQ(0, pthread_create(&th[t], NULL, race_thread, (void *)t));
		for (t = 0; t < RACE_THREADS; t++) {
			ASSERT_EQ(0, pthread_join(th[t], &ret));
			failed += (long)ret;
		}
		EXPECT_EQ(0, failed);
		harness_leave();
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	TH_LOG("%d threads, %d channels: %.1f s", RACE_THREADS, RACE_CHANNELS,
	       (double)(now_ns() - t0) / 1e9);
	read_usage(&u);
	EXPECT_EQ(RACE_CHANNELS, user_channels(&u, NOBODY));
	EXPECT_EQ(RACE_CHANNELS, u.channels);
	EXPECT_EQ(RACE_CHANNELS, u.slot_channels[0]);
	/* At the limit now, and exactly there. */
	CREATE_REFUSED(NOBODY, 0, RACE_FIRST + RACE_CHANNELS);
	read_usage(&u);
	EXPECT_EQ(RACE_CHANNELS, user_channels(&u, NOBODY));
	expect_race_messages();
}

/* ---- a memory cgroup ------------------------------------------------- */

static int fs_type_is(const char *path, long magic)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 && (long)sf.f_type == magic;
}

/* The value of KEY in a "key value" file (memory.events); -1 if none. */
static long keyed(const char *path, const char *key)
{
	char buf[4096], *p;
	size_t klen = strlen(key);

	if (read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, klen) && p[klen] == ' ')
			return atol(p + klen + 1);
	return -1;
}

/* Write every page of the next 128 kB of stack (copied on write after a fork). */
static __attribute__((noinline)) void touch_stack(void)
{
	volatile char buf[128 * 1024];
	size_t i;

	for (i = 0; i < sizeof(buf); i += 4096)
		buf[i] = 1;
}

TEST_TIMEOUT(memory_cgroup_limit_ends_in_enomem_without_oom_kill, 120)
{
	char controllers[512] = "", *records;
	struct report *rep = g_report;
	struct usage u;
	int kfd, go[2], status, killed;
	pid_t pid;

	if (!fs_type_is(CGROOT, CGROUP2_MAGIC)) {
		mkdir(CGROOT, 0755);
		if (mount("cgroup2", CGROOT, "cgroup2", 0, NULL)) {
			if (errno == ENODEV)
				SKIP("the kernel has no cgroup2 file system");
			FAIL("mount cgroup2 on %s: %s", CGROOT, errno_name(errno));
			harness_leave();
		}
	}
	ASSERT_LE(0, read_file(CGROOT "/cgroup.controllers", controllers, sizeof(controllers)));
	if (!strstr(controllers, "memory"))
		SKIP("no memory controller in cgroup2 (CONFIG_MEMCG off): %s", controllers);
	/* Enabled once, for the children of the root group. */
	ASSERT_EQ(0, write_file(CGROOT "/cgroup.subtree_control", "+memory"));
	if (rmdir(CGROUP) && errno != ENOENT)
		TH_LOG("rmdir %s (left by an earlier run): %s", CGROUP, errno_name(errno));
	ASSERT_EQ(0, mkdir(CGROUP, 0755));
	ASSERT_EQ(0, write_file(CGROUP "/memory.max", "4M"));
	ASSERT_EQ(4194304, read_ulong(CGROUP "/memory.max"));

	/* Only memory may stop it: root, and limits far above 4 MB's worth. */
	load_limits(100000000, 100000000);
	kfd = kmsg_open();
	ASSERT_EQ(0, pipe(go));
	memset(rep, 0, sizeof(*rep));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char msg[64], buf[MSG_SLOT_MAX_LEN], c;
		int fd = open_slot(0);
		uint32_t id;
		ssize_t r;

		/*
		 * Touch now every page the loop uses, so that in the group
		 * only the module allocates: a page fault there at the limit
		 * would be the cgroup OOM killer's, not the module's.
		 */
		touch_stack();
		(void)message(1, 1, msg);
		(void)close(-1);	/* errno's page, written once */
		rep->done = 0;
		close(go[1]);
		ASSERT_EQ(1, read(go[0], &c, 1));
		for (id = 1; ; id++) {
			size_t len = message(id, 1, msg);

			if (ioctl(fd, MSG_SLOT_CHANNEL, id)) {
				rep->err = -errno;	/* not the write's */
				break;
			}
			r = write(fd, msg, len);
			if (r != (ssize_t)len) {
				rep->err = r < 0 ? errno : EIO;
				break;
			}
			rep->done++;
		}
		/* The refused channel has no message. */
		r = read(fd, buf, sizeof(buf));
		rep->exited = r < 0 && errno == EWOULDBLOCK ? 1 : 2;
		_exit(0);
	}
	close(go[0]);
	{
		char v[32];

		snprintf(v, sizeof(v), "%d", (int)pid);
		if (!EXPECT_EQ(0, write_file(CGROUP "/cgroup.procs", v)))
			TH_LOG("moving %d into %s: %s", (int)pid, CGROUP, errno_name(errno));
	}
	ASSERT_EQ(1, write(go[1], "g", 1));
	close(go[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	if (!EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		TH_LOG("the child in the group %s %d after %ld channels",
		       WIFSIGNALED(status) ? "was killed by signal" : "exited with",
		       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status), rep->done);
	if (!EXPECT_EQ(ENOMEM, rep->err))
		TH_LOG("the loop ended with %s (negative: its ioctl failed)",
		       rep->err < 0 ? errno_name(-rep->err) : errno_name(rep->err));
	EXPECT_EQ(1, rep->exited);
	/* 4 MB is about 26,000 channels of 160 bytes; less counting the rest. */
	EXPECT_LT(1000, rep->done);
	EXPECT_GT(30000, rep->done);
	TH_LOG("the group stopped at %ld channels; memory.events: max %ld, oom %ld, oom_kill %ld",
	       rep->done, keyed(CGROUP "/memory.events", "max"),
	       keyed(CGROUP "/memory.events", "oom"), keyed(CGROUP "/memory.events", "oom_kill"));
	EXPECT_LT(0, keyed(CGROUP "/memory.events", "max"));
	EXPECT_EQ(0, keyed(CGROUP "/memory.events", "oom"));
	EXPECT_EQ(0, keyed(CGROUP "/memory.events", "oom_kill"));
	records = kmsg_records(kfd);
	close(kfd);
	killed = count_lines(records, -1, "Killed process") +
		 count_lines(records, -1, "invoked oom-killer") +
		 count_lines(records, -1, "oom-kill:");
	if (!EXPECT_EQ(0, killed))
		log_lines("the kernel log had", records);
	free(records);
	/* The module counted exactly what was created. */
	read_usage(&u);
	EXPECT_EQ((unsigned long)rep->done, u.channels);
	EXPECT_EQ((unsigned long)rep->done, u.slot_channels[0]);
	/* This process, outside the group, still allocates and runs. */
	CREATE_ALL(0, 1, 1, 100);
	expect_messages(0, 1, 100 < rep->done ? 100 : rep->done, 1);
	if (rmdir(CGROUP))
		TH_LOG("rmdir %s: %s", CGROUP, errno_name(errno));
}

/* ---- the defaults, and the loop of issue 13 -------------------------- */

static unsigned long mem_available_kb(void)
{
	char buf[4096], *p;

	if (read_file("/proc/meminfo", buf, sizeof(buf)) < 0)
		return 0;
	p = strstr(buf, "MemAvailable:");
	return p ? strtoul(p + 13, NULL, 10) : 0;
}

/*
 * An unprivileged process creating channels as fast as it can stops at
 * the per-user limit with ENOMEM, and the machine goes on.
 */
TEST_TIMEOUT(default_limits_stop_the_loop, 600)
{
	unsigned long limit, before_kb, after_kb;
	struct usage u;
	uint64_t t0;
	double secs;
	long done;
	int err;

	if (!g_module_path)
		SKIP("no --module given: the test loads the module with its defaults");
	if (module_reload("")) {
		FAIL("reloading the module with its defaults: %s", errno_name(errno));
		harness_leave();
	}
	EXPECT_EQ(DEFAULT_USER_LIMIT, param("max_user_channels"));
	/* The default global limit leaves one full user as many again. */
	EXPECT_LE(2 * DEFAULT_USER_LIMIT, param("max_channels"));
	read_usage(&u);
	EXPECT_EQ(DEFAULT_USER_LIMIT, u.max_user_channels);
	EXPECT_EQ(param("max_channels"), u.max_channels);
	TH_LOG("defaults: max_user_channels %lu, max_channels %lu",
	       u.max_user_channels, u.max_channels);

	limit = DEFAULT_USER_LIMIT;
	if (g_loop_channels && g_loop_channels < limit) {
		limit = g_loop_channels;
		ASSERT_EQ(0, set_param("max_user_channels", limit));
		TH_LOG("--loop-channels: the loop runs to a per-user limit of %lu, not 2^20", limit);
	}
	before_kb = mem_available_kb();
	t0 = now_ns();
	done = as_user(NOBODY, CREATE, 0, 1, (long)limit + 1000, 1, &err);
	secs = (double)(now_ns() - t0) / 1e9;
	after_kb = mem_available_kb();
	TH_LOG("uid %d created %ld channels in %.1f s, then %s; MemAvailable %lu -> %lu kB",
	       NOBODY, done, secs, errno_name(err), before_kb, after_kb);
	EXPECT_EQ((long)limit, done);
	EXPECT_EQ(ENOMEM, err);
	read_usage(&u);
	EXPECT_EQ(limit, user_channels(&u, NOBODY));
	EXPECT_EQ(limit, u.channels);
	EXPECT_EQ(limit, u.slot_channels[0]);
	/* Memory left: the VM is up and has room (a quarter of what it had). */
	EXPECT_LT(before_kb / 4, after_kb);
	/* The user's channels, the first and the last, still take writes. */
	REWRITE_ALL(NOBODY, 0, 1, 16, 2);
	REWRITE_ALL(NOBODY, 0, (uint32_t)(limit - 15), 16, 2);
	expect_messages(0, 1, 16, 2);
	expect_messages(0, (uint32_t)(limit - 15), 16, 2);
	/* Frees them all: the next test and what follows start with none. */
	if (module_reload(""))
		FAIL("reloading the module with its defaults: %s", errno_name(errno));
}

/* ---- main ------------------------------------------------------------------- */

static void preamble(void)
{
	unsigned int minors[] = { 0, 1, 2, 3, 255 };
	size_t i;

	harness_diag("major %u, module %s, nodes %s, loop channels %lu",
		     g_major, g_module_path ? g_module_path : "(none)", g_nodes,
		     g_loop_channels ? g_loop_channels : DEFAULT_USER_LIMIT);
	if (mkdir(g_nodes, 0755) && errno != EEXIST)
		harness_diag("setup: mkdir %s: %s", g_nodes, errno_name(errno));
	/* The unprivileged writers must reach the nodes. */
	if (chmod(g_nodes, 0755))
		harness_diag("setup: chmod %s: %s", g_nodes, errno_name(errno));
	for (i = 0; i < sizeof(minors) / sizeof(minors[0]); i++) {
		char path[128];

		slot_path(path, sizeof(path), g_nodes, minors[i]);
		if (make_node(path, g_major, minors[i], 0666))
			harness_diag("setup: mknod %s: %s", path, errno_name(errno));
	}
	if (!fs_type_is(DEBUGFS, DEBUGFS_MAGIC) &&
	    mount("debugfs", DEBUGFS, "debugfs", 0, NULL))
		harness_diag("setup: mount debugfs on %s: %s", DEBUGFS, errno_name(errno));
}

static void usage(FILE *f)
{
	fprintf(f, "usage: limits --module PATH [--major N] [--nodes DIR] [--loop-channels N]\n"
		   "              [-t NAME]... [-l]\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "major", required_argument, NULL, 'M' },
		{ "module", required_argument, NULL, 'm' },
		{ "nodes", required_argument, NULL, 'n' },
		{ "loop-channels", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	int c, list = 0, ret;

	while ((c = getopt_long(argc, argv, "t:lh", opts, NULL)) != -1) {
		switch (c) {
		case 'M':
			if (parse_ulong(optarg, 4095, &v) || v == 0)
				goto bad;
			g_major = (unsigned int)v;
			break;
		case 'm':
			g_module_path = optarg;
			break;
		case 'n':
			g_nodes = optarg;
			break;
		case 'L':
			if (parse_ulong(optarg, DEFAULT_USER_LIMIT, &v) || v < 32)
				goto bad;
			g_loop_channels = v;
			break;
		case 't':
			if (harness_select(optarg)) {
				fprintf(stderr, "limits: no test named %s (see -l)\n", optarg);
				return 2;
			}
			break;
		case 'l':
			list = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		continue;
bad:
		fprintf(stderr, "limits: bad value \"%s\" for an option\n", optarg);
		usage(stderr);
		return 2;
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (list) {
		harness_list();
		return 0;
	}
	g_report = mmap(NULL, sizeof(*g_report), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (g_report == MAP_FAILED) {
		perror("limits: mmap");
		return 1;
	}
	harness_set_preamble(preamble);
	ret = harness_run();
	/* Leave the module as later steps expect it: loaded, with its defaults. */
	if (g_module_path && (!module_live() || param("max_user_channels") != DEFAULT_USER_LIMIT) &&
	    module_reload("")) {
		printf("# limits: reloading the module with its defaults: %s\n", errno_name(errno));
		ret = 1;
	}
	return ret;
}
