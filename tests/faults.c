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
 * The module allocates only when a write creates a channel: the entry of
 * the writing user (on the user's first channel since the module was
 * loaded), the channel (always), the slot's first bucket table (its header
 * and its array) on the slot's first channel, and a bigger table when the
 * slot outgrows its buckets. The first three fail the write with ENOMEM and
 * change nothing; a failed growth is not an error (the table stays as it
 * is, and is grown again later). ioctl, read, and a write to an existing
 * channel allocate nothing. The usage file (debugfs) shows what each slot
 * and each user holds, and each slot's longest chain.
 *
 * Build: make -C tests O=DIR faults (BITS=32 for the 32-bit build)
 * Run (as root, module loaded): tests/faults [--major N] [--nodes DIR]
 * The slots it uses (100 to 164, 170 to 229) are not used by slot_test or
 * the fuzzer; the user it writes as (a uid from 4201 up) owns nothing else.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "message_slot.h"

#define FAILSLAB	"/sys/kernel/debug/failslab"
#define FAIL_PAGE_ALLOC	"/sys/kernel/debug/fail_page_alloc"
#define USAGE		"/sys/kernel/debug/message_slot/usage"
/* The module's bound on a chain (MSGSLOT_MAX_CHAIN in message_slot.c). */
#define MAX_CHAIN	16

static unsigned int g_major = MAJOR_NUM;
static const char *g_nodes = "/tmp/faults-nodes";

/* An own node for @minor: the test needs nothing from /dev. */
static int open_slot(unsigned int minor)
{
	char path[256];
	int fd;

	slot_path(path, sizeof(path), g_nodes, minor);
	if (make_node(path, g_major, minor, 0600)) {
		FAIL("mknod %s: %s", path, errno_name(errno));
		harness_leave();
	}
	fd = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	return fd;
}

/*
 * This thread's fail-nth, opened once: opening a file allocates, which
 * would consume the count. A forked child must open its own
 * (fail_nth_reopen()): the inherited descriptor is its parent's.
 */
static int g_fail_nth_fd = -1;

static int fail_nth_fd(void)
{
	int fd = g_fail_nth_fd;

	if (fd < 0)
		fd = g_fail_nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		FAIL("/proc/thread-self/fail-nth: %s (no CONFIG_FAULT_INJECTION?)",
		     errno_name(errno));
		harness_leave();
	}
	return fd;
}

static void fail_nth_reopen(void)
{
	if (g_fail_nth_fd >= 0)
		close(g_fail_nth_fd);
	g_fail_nth_fd = -1;
	fail_nth_fd();
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

/* One slot's line of the usage file; all 0 if the slot has no table. */
struct slot_usage {
	unsigned long channels, bytes, buckets, longest_chain;
};

/*
 * Read the usage file: slot @minor's line into *@slot (if not NULL), user
 * @uid's channels into *@user (-1 if the user has no entry), and the
 * module's channel count, which is returned. Opening the file allocates:
 * never call this with fail-nth armed.
 */
static long read_usage(unsigned int minor, struct slot_usage *slot,
		       unsigned int uid, long *user)
{
	char line[256];
	enum { HEAD, USERS, SLOTS } part = HEAD;
	long total = -1;
	FILE *f = fopen(USAGE, "re");

	if (!f) {
		FAIL("%s: %s (debugfs mounted?)", USAGE, errno_name(errno));
		harness_leave();
	}
	if (slot)
		memset(slot, 0, sizeof(*slot));
	if (user)
		*user = -1;
	while (fgets(line, sizeof(line), f)) {
		struct slot_usage u;
		unsigned long n;
		unsigned int id;

		if (!strncmp(line, "uid channels", 12))
			part = USERS;
		else if (!strncmp(line, "slot channels", 13))
			part = SLOTS;
		else if (part == HEAD && sscanf(line, "channels %lu", &n) == 1)
			total = (long)n;
		else if (part == USERS && user &&
			 sscanf(line, "%u %lu", &id, &n) == 2 && id == uid)
			*user = (long)n;
		else if (part == SLOTS && slot &&
			 sscanf(line, "%u %lu %lu %lu %lu", &id, &u.channels,
				&u.bytes, &u.buckets, &u.longest_chain) == 5 &&
			 id == minor)
			*slot = u;
	}
	fclose(f);
	if (total < 0) {
		FAIL("%s: no \"channels N\" line", USAGE);
		harness_leave();
	}
	return total;
}

static struct slot_usage slot_usage(unsigned int minor)
{
	struct slot_usage u;

	read_usage(minor, &u, 0, NULL);
	return u;
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
 * channel, and the slot's first table (header and bucket array). (Root's
 * user entry, which a user's first channel also allocates, exists already:
 * the preamble made it, so that the count does not depend on whether
 * anything wrote before this program; fault_user_entry_allocation fails
 * that allocation.)
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

/*
 * What the usage file must show for a slot, from the module's growth
 * policy (msgslot_insert(), msgslot_resize(), msgslot_resize_step()): a
 * table of B buckets starts growing to 2B at the first insert that makes
 * the count exceed B while no resize runs; the resize moves 8 buckets per
 * insert, the first ones in the insert that starts it, and the usage file
 * counts both tables' buckets meanwhile; a growth that fails is tried
 * again at the insert that makes the count the one it failed at plus B.
 */
struct table_model {
	unsigned long count;	/* channels */
	unsigned long buckets;	/* of the current table */
	unsigned long next;	/* of the next table, 0 when no resize runs */
	unsigned long steps;	/* inserts left to finish the resize */
	unsigned long retry_at;	/* no growth before this count */
};

#define MOVE_BUCKETS	8	/* MSGSLOT_MOVE_BUCKETS */

static int model_grows(const struct table_model *t)
{
	return !t->next && t->count + 1 >= t->retry_at &&
	       t->count + 1 > t->buckets;
}

static void model_insert(struct table_model *t, int growth_failed)
{
	int grows = model_grows(t);

	t->count++;
	if (t->next) {
		if (!--t->steps) {
			t->buckets = t->next;
			t->next = 0;
		}
	} else if (grows && growth_failed) {
		t->retry_at = t->count + t->buckets;
	} else if (grows) {
		t->next = 2 * t->buckets;
		/* The growing insert made the first step. */
		t->steps = t->buckets / MOVE_BUCKETS - 1;
	}
}

static unsigned long model_usage_buckets(const struct table_model *t)
{
	return t->buckets + t->next;
}

/* Growths with failures injected: tables of 16 to 1024 buckets. */
#define GROWTH_LEVELS	7
#define GROWTH_FILL	4200	/* channels a round ends with */

/*
 * Every allocation of every growth failing in turn: in round N (a fresh
 * slot), the write that starts each growth of the slot's table, from 16
 * buckets to 1024 (the slab's bucket arrays, kmalloc's biggest and the
 * page allocator's with its vmalloc fallback), has its Nth fault-injectable
 * call fail (the first attempt at each size; a retry meets no failure),
 * until a round meets no failure at all. Every write succeeds
 * (or, when the failure hit the new channel itself, fails with ENOMEM and
 * succeeds when repeated), every channel stays readable, the table grows
 * exactly when the model says (a failed growth is retried after as many
 * inserts as the table has buckets, not before and not never), and at the
 * end of each round the table holds its channels at a load of at most one
 * with no chain longer than the module's bound.
 */
TEST_TIMEOUT(fault_each_growth_allocation, 900)
{
	const unsigned int first_minor = 170, last_minor = 229;
	unsigned int nth, minor = first_minor, level, i;
	unsigned int failed[GROWTH_LEVELS] = { 0 }, attempts = 0;
	struct table_model t;
	struct slot_usage u;
	uint32_t id;

	for (nth = 1;; nth++) {
		unsigned long tried;
		unsigned int injected;
		int fd = open_slot(minor);

		store(fd, minor, 1);
		t = (struct table_model){ .count = 1, .buckets = 16 };
		injected = 0;
		tried = 0;
		for (id = 2; id <= GROWTH_FILL; id++) {
			int failing, growth_failed = 0;
			enum fault_outcome how = NOT_INJECTED;

			if (!model_grows(&t)) {
				store(fd, minor, id);
				model_insert(&t, 0);
				continue;
			}
			/* Not before its time. */
			u = slot_usage(minor);
			if (!EXPECT_EQ(t.buckets, u.buckets) ||
			    !EXPECT_EQ(t.count, u.channels)) {
				TH_LOG("round %u, before channel %u: the slot has %lu buckets for %lu channels; %lu buckets expected",
				       nth, id, u.buckets, u.channels, t.buckets);
				break;
			}
			/* A retry meets no failure: the table must catch up. */
			failing = t.buckets <= 1024 && t.buckets > tried;
			if (failing) {
				tried = t.buckets;
				how = write_failing(fd, minor, id, nth);
			} else {
				store(fd, minor, id);
			}
			injected += how != NOT_INJECTED;
			u = slot_usage(minor);
			/* The table stayed as it was: its growth failed. */
			if (how == SURVIVED && u.buckets == t.buckets) {
				growth_failed = 1;
				for (level = 0; (16UL << level) < t.buckets; level++)
					;
				failed[level]++;
			}
			attempts++;
			model_insert(&t, growth_failed);
			/* And not never: grown, or failed and no more. */
			if (!EXPECT_EQ(model_usage_buckets(&t), u.buckets)) {
				TH_LOG("round %u, channel %u (%s): the slot has %lu buckets; %lu expected",
				       nth, id,
				       how == NOT_INJECTED ? "no failure injected" :
				       how == FAILED_ENOMEM ? "the write failed with ENOMEM" :
				       "the write succeeded", u.buckets,
				       model_usage_buckets(&t));
				break;
			}
		}
		if (id > GROWTH_FILL) {
			u = slot_usage(minor);
			EXPECT_EQ(GROWTH_FILL, u.channels);
			EXPECT_EQ(model_usage_buckets(&t), u.buckets);
			EXPECT_LE(u.channels, u.buckets);
			if (!EXPECT_LE(u.longest_chain, MAX_CHAIN))
				TH_LOG("round %u: a chain of %lu channels in %lu buckets",
				       nth, u.longest_chain, u.buckets);
			for (id = 1; id <= GROWTH_FILL; id++)
				if (!expect_stored(fd, minor, id, 1))
					break;
		}
		close(fd);
		if (!injected)
			break;
		if (++minor > last_minor) {
			FAIL("round %u still met a failure: more than %u rounds",
			     nth, last_minor - first_minor + 1);
			break;
		}
	}
	TH_LOG("%u rounds, %u growth attempts; growths that failed, from 16 buckets up: %u %u %u %u %u %u %u",
	       nth, attempts, failed[0], failed[1], failed[2], failed[3],
	       failed[4], failed[5], failed[6]);
	/*
	 * The header and the bucket array each fail a growth; from 512
	 * buckets up (8 KiB arrays and more) kvcalloc() falls back to vmalloc
	 * when the slab or page allocation fails, so only the header does.
	 */
	for (i = 0; i < GROWTH_LEVELS; i++)
		if (!EXPECT_LE((16U << i) <= 256 ? 2U : 1U, failed[i]))
			TH_LOG("the growth from %u buckets never failed", 16U << i);
}

static char g_user_node[256];

/*
 * As user @uid (real, effective and saved uid and gid; no capabilities),
 * in a child with its own fail-nth: write channel @uid's message on slot
 * 100, with its @nth fault-injectable call failing (0: none); the write
 * must then fail with ENOMEM, else succeed. The child cannot read the
 * usage file (debugfs is root's): the test does, around it.
 */
static void write_as_user(unsigned int uid, unsigned int nth)
{
	const unsigned int minor = 100;
	pid_t pid = fork();
	int status;

	ASSERT_LE(0, pid);
	if (!pid) {
		char m[MSG_SLOT_MAX_LEN];
		size_t len = message(m, minor, uid);
		int fd;

		fail_nth_reopen();
		if (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
		    setresuid(uid, uid, uid)) {
			FAIL("dropping to uid %u: %s", uid, errno_name(errno));
			_exit(1);
		}
		fd = open(g_user_node, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fd);
		set_channel(fd, uid);
		fail_nth(nth);
		if (nth) {
			EXPECT_ERRNO(write(fd, m, len), ENOMEM);
			EXPECT_EQ(0, fail_nth_left());
			fail_nth(0);
		} else {
			EXPECT_EQ((ssize_t)len, write(fd, m, len));
		}
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/*
 * A user's first channel allocates the user's entry first (once per user
 * while the module is loaded, in msgslot_user_get()): that allocation
 * failing fails the write with ENOMEM and leaves no trace, neither an
 * entry nor a channel nor a count; the next write makes both, counted
 * once.
 */
TEST(fault_user_entry_allocation)
{
	const unsigned int minor = 100;
	struct slot_usage before, after;
	unsigned int uid;
	long total, entry;
	int fd;

	/*
	 * A uid in root's bucket of the module's table of users (hash_min()
	 * of a 32-bit key: the top 6 bits of key * GOLDEN_RATIO_32), so that
	 * finding either entry walks past the other one.
	 */
	for (uid = 4201; (uint32_t)(uid * 0x61C88647u) >> 26 != 0; uid++)
		;

	/* Slot 100 has a channel (the preamble's): open it to the user. */
	fd = open_slot(minor);
	snprintf(g_user_node, sizeof(g_user_node), "%s/slot%u", g_nodes, minor);
	ASSERT_EQ(0, chmod(g_user_node, 0666));
	ASSERT_EQ(0, chmod(g_nodes, 0711));

	total = read_usage(minor, &before, uid, &entry);
	if (entry != -1) {
		FAIL("uid %u has an entry already (the module was not reloaded since this test last ran?)",
		     uid);
		return;
	}
	write_as_user(uid, 1);
	EXPECT_EQ(total, read_usage(minor, &after, uid, &entry));
	if (!EXPECT_EQ(-1, entry))
		TH_LOG("uid %u has an entry with %ld channels after its allocation failed",
		       uid, entry);
	EXPECT_EQ(before.channels, after.channels);
	EXPECT_EQ(before.bytes, after.bytes);
	expect_stored(fd, minor, uid, 0);

	write_as_user(uid, 0);
	EXPECT_EQ(total + 1, read_usage(minor, &after, uid, &entry));
	EXPECT_EQ(1, entry);
	EXPECT_EQ(before.channels + 1, after.channels);
	expect_stored(fd, minor, uid, 1);
	close(fd);
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

/* A channel on slot @minor, outside any test (no checks: diagnostics). */
static void preamble_store(unsigned int minor, uint32_t id)
{
	char path[256], m[MSG_SLOT_MAX_LEN];
	size_t len = message(m, minor, id);
	int fd;

	snprintf(path, sizeof(path), "%s/slot%u", g_nodes, minor);
	unlink(path);
	if (mknod(path, S_IFCHR | 0600, makedev(g_major, minor)) ||
	    (fd = open(path, O_RDWR | O_CLOEXEC)) < 0) {
		harness_diag("setup: %s: %s", path, errno_name(errno));
		return;
	}
	if (ioctl(fd, MSG_SLOT_CHANNEL, (unsigned long)id) ||
	    write(fd, m, len) != (ssize_t)len)
		harness_diag("setup: a channel on %s: %s", path, errno_name(errno));
	close(fd);
}

static void preamble(void)
{
	/* failslab skips GFP_KERNEL allocations by default; no stack dumps. */
	if (write_file(FAILSLAB "/ignore-gfp-wait", "N") ||
	    write_file(FAILSLAB "/verbose", "1"))
		harness_diag("setup: cannot configure " FAILSLAB ": %s (debugfs mounted? CONFIG_FAILSLAB?)",
			     errno_name(errno));
	/*
	 * The page allocator too, for bucket arrays past kmalloc's caches
	 * (kvcalloc() then falls back to vmalloc). Its min-order stays 1:
	 * order-0 pages are what page tables and KASAN's shadow take
	 * without __GFP_NOWARN, whose failure would print a warning that is
	 * the kernel's, not the module's.
	 */
	if (write_file(FAIL_PAGE_ALLOC "/ignore-gfp-wait", "N") ||
	    write_file(FAIL_PAGE_ALLOC "/verbose", "1"))
		harness_diag("setup: cannot configure " FAIL_PAGE_ALLOC ": %s (CONFIG_FAIL_PAGE_ALLOC?)",
			     errno_name(errno));
	if (mkdir(g_nodes, 0700) && errno != EEXIST)
		harness_diag("setup: mkdir %s: %s", g_nodes, errno_name(errno));
	/*
	 * Root's entry in the module's users, made by a user's first channel
	 * once per module load: made here, so that the tests' counts of a
	 * write's allocations do not depend on what wrote before.
	 */
	preamble_store(100, 1);
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
