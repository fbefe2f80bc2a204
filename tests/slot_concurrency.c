// SPDX-License-Identifier: GPL-2.0
/*
 * slot_concurrency.c - slot_test's tests of many threads and processes at
 * once on one slot: no torn message, no lost channel; channel growth under
 * load.
 * Part of slot_test: see slot_test.h.
 */
#define HARNESS_FILE_RANK 5
#include "slot_test.h"

/* ---- concurrency ------------------------------------------------------------
 *
 * Every message is self-validating. Layout of a message of len bytes
 * (1..128); P is the top bit of every byte, the low bit of seq:
 *	[0] len - 1	[1] tag (which channel/slot it belongs to)
 *	[2] writer id	[3..5] seq, 7 bits each
 *	[6] checksum of all the other bytes
 *	[7..] bytes derived from (tag, writer, seq, position)
 * Shorter messages are prefixes of that layout. A writer alternates P, so
 * consecutive messages differ in every byte; a reader regenerates the
 * message from its header and compares every byte, so a mix of two
 * messages, a stale length or a stray byte is found.
 *
 * A pass only means something if reads really ran while writes of the
 * same channel ran. Writers count the writes they start on each channel;
 * a read overlapped a write when the count changed while the read was in
 * the kernel. On one CPU that happens only when a reader is preempted
 * right at the end of its read, a few hundred times a second; with two
 * CPUs really running readers and writers side by side, tens of thousands
 * of times. The workers go on past --stress-ms (up to four times as long)
 * until STRESS_MIN_OVERLAPS reads overlapped a write, and a test with
 * fewer fails: it did not test what it is for.
 */

#define STRESS_HDR		7
#define STRESS_INIT_WRITER	127
#define STRESS_MAX_ITERS	(1u << 20)	/* seq fits 21 bits */
#define STRESS_BUF		160
#define STRESS_MAX_TARGETS	8
#define STRESS_MIN_OVERLAPS	5000

/* Writes started on one channel; a cache line each. */
struct stress_window {
	long started;
} __attribute__((aligned(64)));

/* Shared by all the workers of a test, threads or processes. */
struct stress_stats {
	struct stress_window win[STRESS_MAX_TARGETS];
	long overlaps __attribute__((aligned(64)));
	long reads, writes, torn, foreign, stale, errors, changes, logged;
	uint64_t writers_seen;		/* bit w: writer w was read */
	uint64_t deadline, hard_deadline;
};

struct stress_target {
	int minor;
	uint32_t channel;
	unsigned int tag;		/* 1..126 */
	unsigned int win;		/* index in stress_stats.win */
};

struct stress_worker {
	int is_writer;
	unsigned int id;		/* writer id < 63, or reader number */
	unsigned int nwriters;
	const struct stress_target *targets;
	unsigned int ntargets;
	int switch_channel;		/* one fd, ioctl before each op */
	int shared_fd;			/* >= 0: use this fd, channel set */
	unsigned int min_len;
	struct stress_stats *stats;
};

static void stress_build(unsigned char *m, unsigned int len, unsigned int tag,
			 unsigned int writer, uint32_t seq)
{
	unsigned char p = (seq & 1) ? 0x80 : 0;
	const unsigned char hdr[STRESS_HDR] = {
		(unsigned char)(len - 1), (unsigned char)(tag & 0x7f),
		(unsigned char)(writer & 0x7f), (unsigned char)(seq & 0x7f),
		(unsigned char)((seq >> 7) & 0x7f),
		(unsigned char)((seq >> 14) & 0x7f), 0,
	};
	unsigned int i, sum = 0;

	for (i = 0; i < len; i++) {
		if (i < STRESS_HDR)
			m[i] = hdr[i] | p;
		else
			m[i] = (unsigned char)((mix64(((uint64_t)tag << 56) ^
						      ((uint64_t)writer << 48) ^
						      ((uint64_t)seq << 16) ^ i)
						& 0x7f) | p);
		if (i != 6)
			sum += m[i];
	}
	if (len > 6)
		m[6] = (unsigned char)((sum & 0x7f) | p);
}

enum { MSG_OK, MSG_TORN, MSG_FOREIGN };

/* Check a message read; its tag must be want_tag. */
static int stress_check(const unsigned char *m, size_t n, unsigned int want_tag,
			unsigned int nwriters, unsigned int *writer,
			uint32_t *seq, int *has_seq)
{
	unsigned int tag = want_tag, w = 0;
	unsigned char p;
	size_t i;

	*has_seq = 0;
	if (n < 1 || n > MAX_LEN)
		return MSG_TORN;
	p = m[0] & 0x80;
	for (i = 0; i < n; i++)
		if ((m[i] & 0x80) != p)
			return MSG_TORN;
	if ((size_t)(m[0] & 0x7f) + 1 != n)
		return MSG_TORN;
	if (n >= 2)
		tag = m[1] & 0x7f;
	if (n >= 3) {
		w = m[2] & 0x7f;
		if (w >= nwriters && w != STRESS_INIT_WRITER)
			return MSG_TORN;
	}
	if (n >= 4 && (unsigned char)((m[3] & 1) << 7) != p)
		return MSG_TORN;
	if (n >= 6) {
		uint32_t s = (uint32_t)(m[3] & 0x7f) |
			     (uint32_t)(m[4] & 0x7f) << 7 |
			     (uint32_t)(m[5] & 0x7f) << 14;
		unsigned char expect[MAX_LEN];

		stress_build(expect, (unsigned int)n, tag, w, s);
		if (memcmp(expect, m, n))
			return MSG_TORN;
		*seq = s;
		*has_seq = 1;
	}
	*writer = w;
	return tag == want_tag ? MSG_OK : MSG_FOREIGN;
}

static void stress_log_bad(struct stress_worker *w, const char *what,
			   const unsigned char *m, ssize_t n, unsigned int tag)
{
	char hex[2 * STRESS_BUF + 1];
	ssize_t i;

	if (__atomic_fetch_add(&w->stats->logged, 1, __ATOMIC_RELAXED) >= 6)
		return;
	for (i = 0; i < n && i < STRESS_BUF; i++)
		snprintf(hex + 2 * i, 3, "%02x", m[i]);
	hex[2 * (n > 0 ? (n < STRESS_BUF ? n : STRESS_BUF) : 0)] = '\0';
	harness_diag("reader %u, channel tag %u: %s read of %zd bytes: %s",
		     w->id, tag, what, n, hex);
}

static void *stress_worker_run(void *arg)
{
	struct stress_worker *w = arg;
	struct stress_stats local = { 0 };
	unsigned char buf[STRESS_BUF];
	static __thread uint32_t last_seq[STRESS_MAX_TARGETS][128];
	static __thread unsigned char seen[STRESS_MAX_TARGETS][128];
	int fds[STRESS_MAX_TARGETS];
	unsigned int k, nfds, prev_w = ~0u;
	uint32_t seq = 0, prev_s = ~0u;
	struct stress_stats *st = w->stats;
	long overlaps = 0;
	uint64_t rng = mix64(g_seed ^ ((uint64_t)w->id << 8) ^ (uint64_t)w->is_writer);
	uint32_t iter;

	memset(last_seq, 0, sizeof(last_seq));
	memset(seen, 0, sizeof(seen));
	if (w->shared_fd >= 0) {
		fds[0] = w->shared_fd;
		nfds = 0;
	} else if (w->switch_channel) {
		fds[0] = OPEN_SLOT(w->targets[0].minor);
		nfds = 1;
	} else {
		for (k = 0; k < w->ntargets; k++) {
			fds[k] = OPEN_SLOT(w->targets[k].minor);
			SET_CHANNEL(fds[k], w->targets[k].channel);
		}
		nfds = w->ntargets;
	}

	for (iter = 0; iter < STRESS_MAX_ITERS; iter++) {
		const struct stress_target *t;
		int fd;

		if ((iter & 15) == 0) {
			uint64_t now = now_ns();

			__atomic_add_fetch(&st->overlaps, overlaps, __ATOMIC_RELAXED);
			overlaps = 0;
			if (now >= st->hard_deadline ||
			    (now >= st->deadline &&
			     __atomic_load_n(&st->overlaps, __ATOMIC_RELAXED) >=
			     STRESS_MIN_OVERLAPS))
				break;
		}
		rng = mix64(rng);
		k = w->ntargets == 1 ? 0 : (unsigned int)(rng >> 40) % w->ntargets;
		t = &w->targets[k];
		fd = w->switch_channel || w->shared_fd >= 0 ? fds[0] : fds[k];
		if (w->switch_channel &&
		    ioctl(fd, g_ioctl, (unsigned long)t->channel) != 0) {
			if (local.errors++ == 0)
				harness_diag("worker %u: ioctl(%" PRIu32 "): %s",
					     w->id, t->channel, errno_name(errno));
			continue;
		}
		if (w->is_writer) {
			unsigned int len = w->min_len +
				(unsigned int)(rng % (MAX_LEN - w->min_len + 1));
			ssize_t n;

			seq++;
			stress_build(buf, len, t->tag, w->id, seq);
			__atomic_add_fetch(&st->win[t->win].started, 1, __ATOMIC_SEQ_CST);
			n = write(fd, buf, len);
			if (n != (ssize_t)len && local.errors++ == 0)
				harness_diag("writer %u: write of %u bytes: %zd %s",
					     w->id, len, n,
					     n < 0 ? errno_name(errno) : "");
			local.writes++;
		} else {
			unsigned int wr = 0;
			uint32_t sq = 0;
			int has_seq, r;
			ssize_t n, i;
			long started;

			memset(buf, SENTINEL, sizeof(buf));
			started = __atomic_load_n(&st->win[t->win].started, __ATOMIC_SEQ_CST);
			n = read(fd, buf, sizeof(buf));
			if (__atomic_load_n(&st->win[t->win].started, __ATOMIC_SEQ_CST) != started)
				overlaps++;
			local.reads++;
			if (n < 0) {
				if (local.errors++ == 0)
					harness_diag("reader %u: read: %s", w->id,
						     errno_name(errno));
				continue;
			}
			r = stress_check(buf, (size_t)n, t->tag, w->nwriters,
					 &wr, &sq, &has_seq);
			for (i = n; i < STRESS_BUF; i++)
				if (buf[i] != SENTINEL)
					r = MSG_TORN;
			if (r == MSG_TORN) {
				local.torn++;
				stress_log_bad(w, "torn", buf, n, t->tag);
				continue;
			}
			if (r == MSG_FOREIGN) {
				local.foreign++;
				stress_log_bad(w, "foreign", buf, n, t->tag);
				continue;
			}
			if (has_seq) {
				if (seen[k][wr] && sq < last_seq[k][wr]) {
					local.stale++;
					stress_log_bad(w, "stale (older than one read before)",
						       buf, n, t->tag);
				}
				seen[k][wr] = 1;
				last_seq[k][wr] = sq;
			}
			if (wr != prev_w || sq != prev_s)
				local.changes++;
			prev_w = wr;
			prev_s = sq;
			local.writers_seen |= 1ull << (wr < 63 ? wr : 63);
		}
	}
	for (k = 0; k < nfds; k++)
		close(fds[k]);

	__atomic_add_fetch(&st->overlaps, overlaps, __ATOMIC_RELAXED);
	__atomic_add_fetch(&st->reads, local.reads, __ATOMIC_RELAXED);
	__atomic_add_fetch(&st->writes, local.writes, __ATOMIC_RELAXED);
	__atomic_add_fetch(&st->torn, local.torn, __ATOMIC_RELAXED);
	__atomic_add_fetch(&st->foreign, local.foreign, __ATOMIC_RELAXED);
	__atomic_add_fetch(&st->stale, local.stale, __ATOMIC_RELAXED);
	__atomic_add_fetch(&st->errors, local.errors, __ATOMIC_RELAXED);
	__atomic_add_fetch(&st->changes, local.changes, __ATOMIC_RELAXED);
	__atomic_or_fetch(&st->writers_seen, local.writers_seen, __ATOMIC_RELAXED);
	return NULL;
}

static struct stress_stats *stress_stats_new(void)
{
	struct stress_stats *s;

	s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(s != MAP_FAILED);
	memset(s, 0, sizeof(*s));
	return s;
}

static uint64_t stress_deadline(unsigned int share)
{
	return now_ns() + (uint64_t)g_stress_ms * 1000000ull / share;
}

/* Call right before starting the workers. */
static void stress_start(struct stress_stats *s)
{
	uint64_t now = now_ns(), ms = (uint64_t)g_stress_ms * 1000000ull;

	s->deadline = now + ms;
	s->hard_deadline = now + 4 * ms;
}

/* Store the initial message of every target, so no read finds none. */
static void stress_prime(const struct stress_target *t, unsigned int n)
{
	unsigned char m[MAX_LEN];
	unsigned int i;

	for (i = 0; i < n; i++) {
		stress_build(m, 40, t[i].tag, STRESS_INIT_WRITER, 0);
		store(t[i].minor, t[i].channel, m, 40);
	}
}

static void stress_in_processes(struct stress_worker *ws, unsigned int n)
{
	pid_t pids[16];
	unsigned int i;

	ASSERT_LE(n, 16);
	for (i = 0; i < n; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0) {
			stress_worker_run(&ws[i]);
			_exit(0);
		}
	}
	for (i = 0; i < n; i++)
		EXPECT_CHILD_OK(pids[i]);
}

static void stress_in_threads(struct stress_worker *ws, unsigned int n)
{
	pthread_t th[16];
	unsigned int i;

	ASSERT_LE(n, 16);
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, stress_worker_run, &ws[i]));
	for (i = 0; i < n; i++)
		EXPECT_EQ(0, pthread_join(th[i], NULL));
}

static void stress_report(const struct stress_stats *s, unsigned int nwriters)
{
	uint64_t mask = (1ull << nwriters) - 1;

	TH_LOG("%ld reads (%ld during a write), %ld writes, %ld changes seen, %d writers seen: %ld torn, %ld foreign, %ld stale, %ld errors",
	       s->reads, s->overlaps, s->writes, s->changes,
	       __builtin_popcountll(s->writers_seen & mask), s->torn,
	       s->foreign, s->stale, s->errors);
	EXPECT_EQ(0, s->torn);
	EXPECT_EQ(0, s->foreign);
	EXPECT_EQ(0, s->stale);
	EXPECT_EQ(0, s->errors);
	EXPECT_LT(0, s->writes);
	EXPECT_LT(0, s->reads);
	/* Readers must have seen the writers interleave, or nothing was tried. */
	EXPECT_LE(2, __builtin_popcountll(s->writers_seen & mask));
	EXPECT_LT(nwriters, s->changes);
	/*
	 * Too few overlaps depends on the machine's load, not on the module:
	 * with nothing wrong seen, that is no verdict (the kit runs the case
	 * again), never a failure.
	 */
	if (s->overlaps < STRESS_MIN_OVERLAPS && !harness_failed_checks())
		SKIP("inconclusive: only %ld of %d reads ran during a write (readers and writers did not run in parallel: one CPU, or a loaded machine); nothing wrong in %ld reads",
		     s->overlaps, STRESS_MIN_OVERLAPS, s->reads);
	if (!EXPECT_LE(STRESS_MIN_OVERLAPS, s->overlaps))
		TH_LOG("too few reads ran during a write to test atomicity: readers and writers did not run in parallel (one CPU, or a starved VM?)");
}

static void stress_worker_init(struct stress_worker *w, int is_writer,
			       unsigned int id, unsigned int nwriters,
			       const struct stress_target *targets,
			       unsigned int ntargets, struct stress_stats *stats)
{
	memset(w, 0, sizeof(*w));
	w->is_writer = is_writer;
	w->id = id;
	w->nwriters = nwriters;
	w->targets = targets;
	w->ntargets = ntargets;
	w->shared_fd = -1;
	w->min_len = 1;
	w->stats = stats;
}

TEST(concurrent_processes_one_channel_no_torn_reads)
{
	enum { NW = 3, NR = 3 };
	struct stress_target t = { 0, fresh_channel(), 1, 0 };
	struct stress_stats *stats = stress_stats_new();
	struct stress_worker ws[NW + NR];
	unsigned int i;

	stress_prime(&t, 1);
	for (i = 0; i < NW + NR; i++)
		stress_worker_init(&ws[i], i < NW, i < NW ? i : i - NW, NW,
				   &t, 1, stats);
	stress_start(stats);
	stress_in_processes(ws, NW + NR);
	stress_report(stats, NW);
}

TEST(concurrent_threads_one_channel_no_torn_reads)
{
	enum { NW = 3, NR = 3 };
	struct stress_target t = { 1, fresh_channel(), 2, 0 };
	struct stress_stats *stats = stress_stats_new();
	struct stress_worker ws[NW + NR];
	unsigned int i;
	int shared = OPEN_SLOT(1);

	SET_CHANNEL(shared, t.channel);
	stress_prime(&t, 1);
	for (i = 0; i < NW + NR; i++)
		stress_worker_init(&ws[i], i < NW, i < NW ? i : i - NW, NW,
				   &t, 1, stats);
	/* The last writer and the last reader share one open file. */
	ws[NW - 1].shared_fd = shared;
	ws[NW + NR - 1].shared_fd = shared;
	stress_start(stats);
	stress_in_threads(ws, NW + NR);
	stress_report(stats, NW);
}

TEST(concurrent_distinct_channels_no_foreign_reads)
{
	enum { NC = 4, NW = 2 };
	struct stress_target t[NC];
	struct stress_stats *stats = stress_stats_new();
	struct stress_worker ws[NW + NC + 1];
	unsigned int i, n = 0;

	for (i = 0; i < NC; i++) {
		t[i].minor = 0;
		t[i].channel = fresh_channel();
		t[i].tag = 10 + i;
		t[i].win = i;
	}
	stress_prime(t, NC);
	/* Writers switch their fd between all channels before each write. */
	for (i = 0; i < NW; i++, n++) {
		stress_worker_init(&ws[n], 1, i, NW, t, NC, stats);
		ws[n].switch_channel = 1;
		ws[n].min_len = 2;
	}
	/* One reader per channel, and one that switches between them. */
	for (i = 0; i < NC; i++, n++)
		stress_worker_init(&ws[n], 0, i, NW, &t[i], 1, stats);
	stress_worker_init(&ws[n], 0, NC, NW, t, NC, stats);
	ws[n++].switch_channel = 1;
	stress_start(stats);
	stress_in_processes(ws, n);
	stress_report(stats, NW);
}

TEST(concurrent_distinct_slots_no_foreign_reads)
{
	enum { NS = 4, NW = 2 };
	struct stress_target t[NS];
	struct stress_stats *stats = stress_stats_new();
	struct stress_worker ws[NW + NS + 1];
	uint32_t ch = fresh_channel();
	unsigned int i, n = 0;

	for (i = 0; i < NS; i++) {
		t[i].minor = minors[i];
		t[i].channel = ch;		/* the same id on every slot */
		t[i].tag = 20 + i;
		t[i].win = i;
	}
	stress_prime(t, NS);
	/* Writers hold one fd per slot and write to a random one each time. */
	for (i = 0; i < NW; i++, n++) {
		stress_worker_init(&ws[n], 1, i, NW, t, NS, stats);
		ws[n].min_len = 2;
	}
	for (i = 0; i < NS; i++, n++)
		stress_worker_init(&ws[n], 0, i, NW, &t[i], 1, stats);
	stress_worker_init(&ws[n++], 0, NS, NW, t, NS, stats);
	stress_start(stats);
	stress_in_processes(ws, n);
	stress_report(stats, NW);
}

/*
 * Threads create channels at the same time: each a channel of its own and
 * all of them one shared channel per round. No channel may get lost (a
 * racy insert into the channel map loses nodes) and every thread must see
 * the same message on the shared channel.
 */
#define CREATE_THREADS	4
#define CREATE_ROUNDS	200

struct create_ctx {
	pthread_barrier_t barrier;
	uint64_t deadline;
	int stop;
	unsigned int rounds;
	uint32_t own[CREATE_ROUNDS][CREATE_THREADS];
	uint32_t shared[CREATE_ROUNDS];
	uint32_t shared_seen[CREATE_ROUNDS][CREATE_THREADS];
	long lost, errors;
};

struct create_arg {
	struct create_ctx *ctx;
	unsigned int id;
};

static unsigned int create_len(unsigned int round, unsigned int id)
{
	return 8 + (round * 7 + id * 31) % (MAX_LEN - 7);
}

/* Check channel ch holds writer id's message of round r; 0 if not. */
static int create_expect(struct create_ctx *ctx, int fd, uint32_t ch,
			 unsigned int r, unsigned int id)
{
	unsigned char exp[MAX_LEN], buf[STRESS_BUF];
	unsigned int len = create_len(r, id);
	ssize_t n;

	stress_build(exp, len, 1, id, r);
	if (ioctl(fd, g_ioctl, (unsigned long)ch) != 0) {
		__atomic_add_fetch(&ctx->errors, 1, __ATOMIC_RELAXED);
		return 0;
	}
	n = read(fd, buf, sizeof(buf));
	if (n == (ssize_t)len && !memcmp(exp, buf, len))
		return 1;
	if (__atomic_add_fetch(&ctx->lost, 1, __ATOMIC_RELAXED) <= 4)
		harness_diag("channel %" PRIu32 " (round %u, thread %u): read %zd %s, expected its %u-byte message",
			     ch, r, id, n, n < 0 ? errno_name(errno) : "bytes",
			     len);
	return 0;
}

static void *create_thread(void *arg)
{
	struct create_arg *a = arg;
	struct create_ctx *ctx = a->ctx;
	unsigned char m[MAX_LEN], buf[STRESS_BUF];
	unsigned int r, t, id = a->id;
	int fd = OPEN_SLOT(0);

	for (r = 0; r < CREATE_ROUNDS; r++) {
		unsigned int len = create_len(r, id), w = 0;
		uint32_t s = 0;
		int has_seq;

		if (id == 0 && now_ns() >= ctx->deadline)
			ctx->stop = 1;
		pthread_barrier_wait(&ctx->barrier);
		if (ctx->stop)
			break;
		stress_build(m, len, 1, id, r);
		if (ioctl(fd, g_ioctl, (unsigned long)ctx->own[r][id]) ||
		    write(fd, m, len) != (ssize_t)len ||
		    ioctl(fd, g_ioctl, (unsigned long)ctx->shared[r]) ||
		    write(fd, m, len) != (ssize_t)len)
			__atomic_add_fetch(&ctx->errors, 1, __ATOMIC_RELAXED);
		pthread_barrier_wait(&ctx->barrier);
		for (t = 0; t < CREATE_THREADS; t++)
			create_expect(ctx, fd, ctx->own[r][t], r, t);
		ctx->shared_seen[r][id] = ~0u;
		if (ioctl(fd, g_ioctl, (unsigned long)ctx->shared[r]) == 0) {
			ssize_t n = read(fd, buf, sizeof(buf));

			if (n > 0 &&
			    stress_check(buf, (size_t)n, 1, CREATE_THREADS, &w,
					 &s, &has_seq) == MSG_OK &&
			    has_seq && s == r)
				ctx->shared_seen[r][id] = w;
		}
		if (id == 0)
			ctx->rounds = r + 1;
	}
	/* Every channel of every round is still there. */
	for (t = 0; t < ctx->rounds; t++)
		create_expect(ctx, fd, ctx->own[t][id], t, id);
	close(fd);
	return NULL;
}

TEST(concurrent_channel_creation_no_lost_channels)
{
	static struct create_ctx ctx;
	struct create_arg args[CREATE_THREADS];
	pthread_t th[CREATE_THREADS];
	unsigned int r, t;
	long split = 0;

	for (r = 0; r < CREATE_ROUNDS; r++) {
		ctx.shared[r] = fresh_channel();
		for (t = 0; t < CREATE_THREADS; t++)
			ctx.own[r][t] = fresh_channel();
	}
	ctx.deadline = stress_deadline(2);
	ASSERT_EQ(0, pthread_barrier_init(&ctx.barrier, NULL, CREATE_THREADS));
	for (t = 0; t < CREATE_THREADS; t++) {
		args[t].ctx = &ctx;
		args[t].id = t;
		ASSERT_EQ(0, pthread_create(&th[t], NULL, create_thread, &args[t]));
	}
	for (t = 0; t < CREATE_THREADS; t++)
		EXPECT_EQ(0, pthread_join(th[t], NULL));
	for (r = 0; r < ctx.rounds; r++)
		for (t = 1; t < CREATE_THREADS; t++)
			if (ctx.shared_seen[r][t] != ctx.shared_seen[r][0] ||
			    ctx.shared_seen[r][t] >= CREATE_THREADS) {
				split++;
				break;
			}
	TH_LOG("%u rounds of %d threads: %ld lost or wrong channels, %ld rounds where the shared channel was not one message, %ld errors",
	       ctx.rounds, CREATE_THREADS, ctx.lost, split, ctx.errors);
	EXPECT_LT(0, ctx.rounds);
	EXPECT_EQ(0, ctx.lost);
	EXPECT_EQ(0, split);
	EXPECT_EQ(0, ctx.errors);
}

/*
 * Eight processes, four of them with two threads: four writers and eight
 * readers over four channels on three slots (one id on two slots, two ids
 * on one slot). The two writer threads of the second process switch
 * between the channels of slot 0 with an ioctl before every write; every
 * other worker keeps one descriptor per channel.
 */
TEST(concurrent_8_processes_with_threads_no_torn_reads)
{
	enum { NP = 8, NW = 4, NR = 8, NT = 4 };
	/* Workers per process (threads); the first three processes write. */
	static const unsigned int threads[NP] = { 1, 2, 1, 2, 1, 2, 1, 2 };
	uint32_t shared_id = fresh_channel();
	const struct stress_target t[NT] = {
		{ 0, shared_id, 1, 0 }, { 0, fresh_channel(), 2, 1 },
		{ 255, shared_id, 3, 2 }, { 3, fresh_channel(), 4, 3 },
	};
	struct stress_stats *stats = stress_stats_new();
	struct stress_worker ws[NW + NR];
	unsigned int p, i, first = 0;
	pid_t pids[NP];

	stress_prime(t, NT);
	for (i = 0; i < NW + NR; i++)
		stress_worker_init(&ws[i], i < NW, i < NW ? i : i - NW, NW,
				   t, NT, stats);
	for (i = 1; i <= 2; i++) {
		ws[i].ntargets = 2;
		ws[i].switch_channel = 1;
	}
	stress_start(stats);
	for (p = 0; p < NP; p++) {
		pids[p] = fork();
		ASSERT_LE(0, pids[p]);
		if (pids[p] == 0) {
			stress_in_threads(&ws[first], threads[p]);
			harness_leave();
		}
		first += threads[p];
	}
	for (p = 0; p < NP; p++)
		EXPECT_CHILD_OK(pids[p]);
	stress_report(stats, NW);
}

/*
 * Lookups while a slot's channel map grows. One thread creates GROW_CHANNELS
 * new channels on one slot, which makes the map grow through several sizes;
 * two others read random channels that already exist, with an ioctl before
 * every read so that each read looks its channel up. A map that loses a
 * channel while it moves channels between tables fails here with
 * EWOULDBLOCK, or with another channel's message. The slot is one no other
 * test uses, so no other test's channel can share an id with these.
 */
#define GROW_CHANNELS	65536
#define GROW_READERS	2
/*
 * Creating the channels may take this long at most: a map this case is
 * about does it in a second or two even under emulation, while a list
 * (most students' choice, and no fault) takes minutes; past that the case
 * stops growing and, with nothing wrong seen, skips: it did not test what
 * it is for.
 */
#define GROW_DEADLINE_MS	15000

struct grow_ctx {
	uint32_t ids[GROW_CHANNELS];
	long created;			/* ids[0..created-1] exist */
	int done;
	long reads[GROW_READERS], lost[GROW_READERS], wrong[GROW_READERS];
};

/* The message of channel @id: its id, its complement, then a length tag. */
static size_t grow_message(unsigned char *m, uint32_t id)
{
	uint32_t not_id = ~id;
	size_t len = 8 + id % 57;

	memcpy(m, &id, 4);
	memcpy(m + 4, &not_id, 4);
	memset(m + 8, (int)(id & 0xff), len - 8);
	return len;
}

struct grow_arg {
	struct grow_ctx *ctx;
	unsigned int k;
	int fd;
};

static void *grow_reader(void *arg)
{
	struct grow_arg *a = arg;
	struct grow_ctx *ctx = a->ctx;
	unsigned char want[MAX_LEN], buf[STRESS_BUF];
	uint64_t rng = mix64(g_seed + a->k);

	while (!__atomic_load_n(&ctx->done, __ATOMIC_ACQUIRE)) {
		long have = __atomic_load_n(&ctx->created, __ATOMIC_ACQUIRE);
		uint32_t id;
		size_t len;
		ssize_t n;

		rng = mix64(rng);
		id = ctx->ids[rng % (uint64_t)have];
		len = grow_message(want, id);
		ctx->reads[a->k]++;
		if (ioctl(a->fd, g_ioctl, (unsigned long)id)) {
			ctx->wrong[a->k]++;
			continue;
		}
		n = read(a->fd, buf, sizeof(buf));
		if (n < 0 && errno == EWOULDBLOCK) {
			if (ctx->lost[a->k]++ == 0)
				harness_diag("reader %u: channel %" PRIu32 " (of %ld created) not found",
					     a->k, id, have);
		} else if (n != (ssize_t)len || memcmp(buf, want, len)) {
			if (ctx->wrong[a->k]++ == 0)
				harness_diag("reader %u: channel %" PRIu32 ": read %zd (%s), expected %zu bytes",
					     a->k, id, n, n < 0 ? errno_name(errno) : "bytes differ", len);
		}
	}
	return NULL;
}

TEST_TIMEOUT(concurrent_lookups_while_map_grows, 300)
{
	static struct grow_ctx ctx;
	struct grow_arg args[GROW_READERS];
	pthread_t th[GROW_READERS];
	unsigned char m[MAX_LEN];
	long i, reads = 0, lost = 0, wrong = 0;
	unsigned int k;
	int fd = OPEN_SLOT(GROW_MINOR), slow = 0;
	uint64_t deadline = now_ns() + GROW_DEADLINE_MS * 1000000ull;

	for (i = 0; i < GROW_CHANNELS; i++)
		ctx.ids[i] = fresh_channel();
	/* The first channel exists before the readers start. */
	SET_CHANNEL(fd, ctx.ids[0]);
	WRITE_MSG(fd, m, grow_message(m, ctx.ids[0]));
	ctx.created = 1;
	for (k = 0; k < GROW_READERS; k++) {
		args[k].ctx = &ctx;
		args[k].k = k;
		args[k].fd = OPEN_SLOT(GROW_MINOR);
		ASSERT_EQ(0, pthread_create(&th[k], NULL, grow_reader, &args[k]));
	}
	for (i = 1; i < GROW_CHANNELS; i++) {
		size_t len = grow_message(m, ctx.ids[i]);

		if ((i & 255) == 0 && now_ns() >= deadline) {
			slow = 1;
			break;
		}
		if (ioctl(fd, g_ioctl, (unsigned long)ctx.ids[i]) ||
		    write(fd, m, len) != (ssize_t)len) {
			harness_diag("creating channel %ld: %s", i, errno_name(errno));
			break;
		}
		__atomic_store_n(&ctx.created, i + 1, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&ctx.done, 1, __ATOMIC_RELEASE);
	for (k = 0; k < GROW_READERS; k++) {
		EXPECT_EQ(0, pthread_join(th[k], NULL));
		close(args[k].fd);
		reads += ctx.reads[k];
		lost += ctx.lost[k];
		wrong += ctx.wrong[k];
	}
	close(fd);
	TH_LOG("%ld channels created on slot %d, %ld reads of existing channels meanwhile: %ld lost, %ld wrong",
	       ctx.created, GROW_MINOR, reads, lost, wrong);
	EXPECT_EQ(0, lost);
	EXPECT_EQ(0, wrong);
	if (slow && !harness_failed_checks())
		SKIP("too slow for this case: %ld of %d channels created in %d s (it tests lookups while a fast map grows); nothing wrong in %ld reads",
		     ctx.created, GROW_CHANNELS, GROW_DEADLINE_MS / 1000, reads);
	EXPECT_EQ(GROW_CHANNELS, ctx.created);
	/*
	 * Too few reads would not have tested the moves; how many ran depends
	 * on the machine's load, so with nothing wrong seen it is no verdict.
	 */
	if (reads < 10000 && !harness_failed_checks())
		SKIP("inconclusive: only %ld of 10000 reads ran while the map grew (a loaded machine); nothing wrong in them",
		     reads);
	EXPECT_LE(10000, reads);
}

/* Threads open, use and close descriptors over and over, each on its own channel. */
struct churn_arg {
	unsigned int id;
	uint32_t channel;
	uint64_t deadline;
	long rounds, bad;
};

static void *churn_thread(void *arg)
{
	struct churn_arg *a = arg;
	unsigned char m[MAX_LEN], buf[STRESS_BUF];
	int minor = minors[a->id % NR_MINORS];
	unsigned int prev_len = 0;
	uint32_t seq;

	for (seq = 1; seq < STRESS_MAX_ITERS && now_ns() < a->deadline; seq++) {
		unsigned int len = 1 + (seq * 13 + a->id) % MAX_LEN;
		int fd = open(g_node[minor], O_RDWR | O_CLOEXEC);
		ssize_t n;

		if (fd < 0 || ioctl(fd, g_ioctl, (unsigned long)a->channel)) {
			if (a->bad++ == 0)
				harness_diag("churn %u: open/ioctl: %s", a->id,
					     errno_name(errno));
			if (fd >= 0)
				close(fd);
			continue;
		}
		/* The previous round's message is still there. */
		n = read(fd, buf, sizeof(buf));
		if (prev_len ? n != (ssize_t)prev_len || memcmp(buf, m, prev_len)
			     : !(n == -1 && errno == EWOULDBLOCK)) {
			if (a->bad++ == 0)
				harness_diag("churn %u: reopened channel read %zd, expected %u",
					     a->id, n, prev_len);
		}
		stress_build(m, len, 3, a->id, seq);
		n = write(fd, m, len);
		if (n != (ssize_t)len || read(fd, buf, sizeof(buf)) != (ssize_t)len ||
		    memcmp(buf, m, len)) {
			if (a->bad++ == 0)
				harness_diag("churn %u: write %u bytes then read back failed",
					     a->id, len);
		}
		prev_len = len;
		close(fd);
		a->rounds++;
	}
	return NULL;
}

TEST(concurrent_open_close_churn)
{
	enum { NT = 4 };
	struct churn_arg args[NT];
	pthread_t th[NT];
	uint64_t deadline = stress_deadline(2);
	long rounds = 0, bad = 0;
	unsigned int i;

	for (i = 0; i < NT; i++) {
		memset(&args[i], 0, sizeof(args[i]));
		args[i].id = i;
		args[i].channel = fresh_channel();
		args[i].deadline = deadline;
		ASSERT_EQ(0, pthread_create(&th[i], NULL, churn_thread, &args[i]));
	}
	for (i = 0; i < NT; i++) {
		EXPECT_EQ(0, pthread_join(th[i], NULL));
		rounds += args[i].rounds;
		bad += args[i].bad;
	}
	TH_LOG("%ld open-write-read-close rounds in %d threads, %ld bad",
	       rounds, NT, bad);
	EXPECT_LT(0, rounds);
	EXPECT_EQ(0, bad);
}

