// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz.c - a model-based fuzzer of the message slot module.
 *
 * A small user-space model of SPEC.md (per slot, a map from channel id to
 * message; per open file, its channel) runs side by side with the module.
 * Random sequences of open, close, dup, ioctl, write and read over several
 * slots, up to 8 descriptors and many channels (ids 0, 1, 2, near 2^20,
 * 2^31, 2^32-1, random, recently used, above 2^32-1 on 64-bit builds), with
 * lengths 0 to 200 and valid, NULL, unmapped, half-mapped, read-only and
 * kernel buffers. Every return value, errno and byte is compared with the
 * model; the first difference ends the run. After a failed write the
 * channel is read back (a failed write must leave it as it was), and after
 * the last operation every channel the run set, wrote or tried to write,
 * and every open descriptor, is read back and compared too.
 *
 * The sequence depends only on the seed: the same --seed and --ops replay
 * it exactly, whatever the module answers (the run stops at the first
 * difference). It also depends on the word size: a 32-bit build (-m32,
 * through compat_ioctl) draws no id above 2^32-1 and no kernel address, so
 * replay with the build that failed. On a failure the fuzzer looks for the shortest failing
 * prefix (binary search; each attempt starts from a clean state and ends
 * with the read-back of every channel, so a wrong write is pinned to the
 * operation that made it) and prints the command that replays it.
 *
 * A clean state: with --module PATH the module is unloaded and loaded again
 * (delete_module, finit_module) before the run and before each attempt, so
 * each attempt sees exactly what the replay in a fresh VM will see. Without
 * it the run assumes a freshly loaded module (or at least slots 0, 1, 2, 3
 * and 255 never used), and each attempt uses five other minors, never used
 * before (4 to 8, then 9 to 13, ...), with the same channel ids: exact,
 * unless the failure depends on the minor number itself, in which case the
 * fuzzer says that it did not come back.
 *
 * Build (from the top of the repository):
 *	make -C tests O=DIR fuzz		(BITS=32: the 32-bit build)
 * Run (as root, with the module loaded, or with --module):
 *	tests/fuzz [--seed S] [--ops N] [--major M] [--ioctl NUM]
 *		[--nodes DIR] [--module PATH] [--no-minimize] [--trace]
 * Exit status: 0 if everything matched, 1 on a difference (or a path of
 * the contract never exercised in a run of 10000 operations or more), 2 on
 * a usage or setup error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "message_slot.h"
#include "helpers.h"

#define MAX_MSG		MSG_SLOT_MAX_LEN	/* the contract's limit: 128 */
#define MAX_IO		200	/* longest length an operation passes */
#define NDESC		8	/* descriptors open at most */
#define NRECENT		8	/* recently used ids, picked again to reuse channels */
#define GUARD		32	/* bytes checked on each side of a read buffer */
#define ARENA_SPAN	4000	/* offsets of valid buffers in the arena */
#define RO_SPAN		3800	/* offsets of read-only buffers in their page */
#define HOLE_SPAN	1024	/* offsets of unmapped buffers in the hole */
#define NR_MINORS	5
#define NHIST		12	/* operations shown before a failing one */
#define PROGRESS_EVERY	100000
#define COVERAGE_MIN_OPS 10000

#if UINTPTR_MAX > 0xffffffffu
#define LONG_IS_64 1
/* Not a user address on x86_64 or arm64: the VFS refuses it (EFAULT). */
#define KERNEL_ADDR	0xffffffff81000000ul
#else
#define LONG_IS_64 0
#endif

_Static_assert(EWOULDBLOCK == EAGAIN, "EWOULDBLOCK and EAGAIN differ");
_Static_assert(MAX_MSG == 128, "the contract says 128 bytes");

/* The slots the sequence uses; attempts without --module remap them. */
static const int minors[NR_MINORS] = { 0, 1, 2, 3, 255 };
#define FIRST_SPARE_MINOR 4	/* spare minors: 4 .. 254 */
#define MAX_REMAPS	((255 - FIRST_SPARE_MINOR) / NR_MINORS)

/* ---- options --------------------------------------------------------- */

static uint64_t opt_seed;
static uint64_t opt_ops = 100000;
static unsigned int opt_major = MAJOR_NUM;
static unsigned long opt_ioctl = MSG_SLOT_CHANNEL;
static const char *opt_nodes = "/tmp/fuzz-nodes";
static const char *opt_module;
static char module_name[64];
static int opt_minimize = 1;
static int opt_trace;

/* ---- random numbers: xoshiro256** seeded through splitmix64 ------------ */

struct rng {
	uint64_t s[4];
};

static void rng_init(struct rng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = mix64(seed + 0x632be59bd9b4e019ull * (uint64_t)(i + 1));
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* A number in [0, n), n > 0. */
static uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * n) >> 32);
}

/* ---- names (errno_name() is in helpers.h) ---------------------------- */

/* "-1 EINVAL" or the value. */
static const char *result_str(char *buf, size_t size, long ret, int err)
{
	if (ret == -1)
		snprintf(buf, size, "-1 %s", errno_name(err));
	else
		snprintf(buf, size, "%ld", ret);
	return buf;
}

/* ---- operations -------------------------------------------------------- */

enum op_kind { OP_OPEN, OP_CLOSE, OP_DUP, OP_IOCTL, OP_WRITE, OP_READ, NR_OPS };

static const char *const op_names[NR_OPS] = {
	"open", "close", "dup", "ioctl", "write", "read",
};

enum buf_kind {
	BUF_VALID,	/* mapped, read-write */
	BUF_NULL,
	BUF_UNMAPPED,	/* inside an unmapped page */
	BUF_HALF_NONE,	/* k accessible bytes, then a PROT_NONE page */
	BUF_HALF_HOLE,	/* k accessible bytes, then an unmapped page */
	BUF_RDONLY,	/* a PROT_READ page: fine to write from, not to read into */
	BUF_KERNEL,	/* a kernel address: the VFS says EFAULT (64-bit only) */
};

enum cmd_kind { CMD_MAIN, CMD_TWIN, CMD_UNKNOWN };

struct op {
	enum op_kind kind;
	int desc;		/* descriptor slot 0..NDESC-1 (new one for open, dup) */
	int src;		/* dup: the descriptor duplicated */
	int minor;		/* open: index in minors[] */
	int oflags;		/* open: O_RDWR, O_RDONLY or O_WRONLY */
	enum cmd_kind cmd_kind;	/* ioctl */
	unsigned int cmd;	/* ioctl, CMD_UNKNOWN: the command */
	uint64_t arg;		/* ioctl: the id */
	enum buf_kind buf;	/* write, read */
	size_t len;
	size_t off;		/* offset of a valid, read-only or unmapped buffer */
	size_t k;		/* half-mapped: bytes before the inaccessible page */
	unsigned char data[MAX_IO];	/* write: the bytes, for valid and half buffers */
};

/*
 * The generator. Its state is the random stream, which descriptor slots are
 * open and the recently used ids: nothing that depends on the module's
 * answers, so the sequence depends only on the seed.
 */
struct gen {
	struct rng rng;
	unsigned int used;		/* bit d: descriptor slot d is open */
	uint32_t recent[NRECENT];
	unsigned int nrecent, next_recent;
};

static int pick_bit(struct gen *g, unsigned int mask)
{
	int n = __builtin_popcount(mask), i = (int)rng_below(&g->rng, (uint32_t)n), d;

	for (d = 0; d < NDESC; d++)
		if ((mask >> d) & 1u && i-- == 0)
			return d;
	return -1;
}

static void remember_id(struct gen *g, uint32_t id)
{
	if (!id)
		return;
	g->recent[g->next_recent] = id;
	g->next_recent = (g->next_recent + 1) % NRECENT;
	if (g->nrecent < NRECENT)
		g->nrecent++;
}

static uint64_t gen_id(struct gen *g)
{
	static const uint32_t special[] = {
		0, 1, 2, (1u << 20) - 1, 1u << 20, (1u << 20) + 1,
		1u << 31, 0xffffffffu,
	};
	uint32_t r = rng_below(&g->rng, 100), id;

	if (r < 40 && g->nrecent)
		return g->recent[rng_below(&g->rng, g->nrecent)];
	if (r < 40)
		r = 40 + rng_below(&g->rng, 48);
	if (r < 72) {
		id = special[(r - 40) / 4];
	} else if (r < 92 || !LONG_IS_64) {
		id = (uint32_t)rng_next(&g->rng);
	} else {
		/* Above 2^32-1: refused, never truncated (64-bit only). */
		static const uint64_t above[] = {
			1ull << 32, (1ull << 32) + 1, (1ull << 32) + 7,
			(1ull << 32) | (1ull << 31), 1ull << 63, ~0ull,
		};
		uint64_t x = rng_next(&g->rng);

		if (rng_below(&g->rng, 2))
			return above[rng_below(&g->rng, sizeof(above) / sizeof(above[0]))];
		return x | (1ull << (32 + rng_below(&g->rng, 32)));
	}
	remember_id(g, id);
	return id;
}

static unsigned int gen_unknown_cmd(struct gen *g)
{
	static const unsigned int fixed[] = {
		_IO(MAJOR_NUM, 0), _IOR(MAJOR_NUM, 0, unsigned int),
		_IOWR(MAJOR_NUM, 0, unsigned int), _IOW(MAJOR_NUM, 1, unsigned int),
		_IOW(MAJOR_NUM, 0, unsigned short), _IOW(MAJOR_NUM, 0, unsigned char),
		_IOW(MAJOR_NUM - 1, 0, unsigned int),
		_IOW(MAJOR_NUM + 1, 0, unsigned int),
	};
	unsigned int cmd;

	do {
		if (rng_below(&g->rng, 2)) {
			cmd = fixed[rng_below(&g->rng, sizeof(fixed) / sizeof(fixed[0]))];
		} else {
			/*
			 * Random, but of our ioctl type: the VFS handles a few
			 * commands of other types itself (FIOCLEX, FIGETBSZ, ...).
			 */
			cmd = (uint32_t)rng_next(&g->rng);
			cmd = (cmd & ~(_IOC_TYPEMASK << _IOC_TYPESHIFT)) |
			      ((unsigned int)MAJOR_NUM << _IOC_TYPESHIFT);
		}
	} while (cmd == (unsigned int)opt_ioctl ||
		 cmd == (unsigned int)MSG_SLOT_CHANNEL ||
		 cmd == (unsigned int)MSG_SLOT_CHANNEL_UL ||
		 /*
		  * _IOW(235, 0, unsigned long) of the other word size: a
		  * 64-bit kernel sees the same number from a 32-bit program
		  * and rightly accepts it.
		  */
		 cmd == (unsigned int)_IOW(MAJOR_NUM, 0, uint64_t) ||
		 cmd == (unsigned int)_IOW(MAJOR_NUM, 0, uint32_t));
	return cmd;
}

static size_t gen_write_len(struct gen *g)
{
	static const size_t biased[] = { 0, 0, 1, 1, 127, 128, 128, 129, 200 };
	uint32_t r = rng_below(&g->rng, 100);

	if (r < 50)
		return biased[rng_below(&g->rng, sizeof(biased) / sizeof(biased[0]))];
	if (r < 90)
		return 1 + rng_below(&g->rng, MAX_MSG);
	return rng_below(&g->rng, MAX_IO + 1);
}

static size_t gen_read_len(struct gen *g)
{
	static const size_t biased[] = { 0, 1, 2, 126, 127, 128, 128, 129, 200 };
	uint32_t r = rng_below(&g->rng, 100);

	if (r < 55)
		return biased[rng_below(&g->rng, sizeof(biased) / sizeof(biased[0]))];
	return rng_below(&g->rng, MAX_IO + 1);
}

static enum buf_kind gen_buf(struct gen *g)
{
	uint32_t r = rng_below(&g->rng, 100);

	if (r < 64)
		return BUF_VALID;
	if (r < 69)
		return BUF_NULL;
	if (r < 74)
		return BUF_UNMAPPED;
	if (r < 82)
		return BUF_HALF_NONE;
	if (r < 88)
		return BUF_HALF_HOLE;
	if (r < 95)
		return BUF_RDONLY;
	return LONG_IS_64 ? BUF_KERNEL : BUF_VALID;
}

static void gen_buffer(struct gen *g, struct op *op, int for_read)
{
	size_t i, n;

	op->buf = gen_buf(g);
	op->off = 0;
	op->k = 0;
	switch (op->buf) {
	case BUF_VALID:
		op->off = GUARD + rng_below(&g->rng, ARENA_SPAN);
		break;
	case BUF_UNMAPPED:
		op->off = rng_below(&g->rng, HOLE_SPAN);
		break;
	case BUF_RDONLY:
		op->off = rng_below(&g->rng, RO_SPAN);
		break;
	case BUF_HALF_NONE:
	case BUF_HALF_HOLE:
		/*
		 * Mostly fewer accessible bytes than needed; sometimes enough.
		 * For a read what counts is the message's length, which the
		 * generator does not know: any k up to 200 does.
		 */
		if (for_read)
			op->k = rng_below(&g->rng, 2) ? rng_below(&g->rng, MAX_MSG + 2) :
				rng_below(&g->rng, MAX_IO + 1);
		else if (op->len && rng_below(&g->rng, 5))
			op->k = rng_below(&g->rng, (uint32_t)op->len);
		else
			op->k = op->len + rng_below(&g->rng, 8);
		break;
	default:
		break;
	}
	if (for_read)
		return;
	n = op->buf == BUF_VALID ? op->len :
	    (op->buf == BUF_HALF_NONE || op->buf == BUF_HALF_HOLE) ?
	    (op->k < op->len ? op->k : op->len) : 0;
	for (i = 0; i < n; i += 8) {
		uint64_t x = rng_next(&g->rng);
		size_t j;

		for (j = 0; j < 8 && i + j < n; j++)
			op->data[i + j] = (unsigned char)(x >> (8 * j));
	}
}

static void gen_op(struct gen *g, struct op *op)
{
	unsigned int used = g->used, freeslots = ~used & ((1u << NDESC) - 1);
	uint32_t w_open = freeslots ? 6 : 0, w_dup = used && freeslots ? 3 : 0;
	uint32_t w_close = used ? 7 : 0, w_fd = used ? 84 : 0;
	uint32_t r = rng_below(&g->rng, w_open + w_dup + w_close + w_fd);

	memset(op, 0, offsetof(struct op, data));
	if (r < w_open) {
		static const int minor_weights[NR_MINORS] = { 30, 30, 15, 10, 15 };
		uint32_t m = rng_below(&g->rng, 100), f = rng_below(&g->rng, 100);

		op->kind = OP_OPEN;
		op->desc = pick_bit(g, freeslots);
		for (op->minor = 0; op->minor < NR_MINORS - 1; op->minor++) {
			if (m < (uint32_t)minor_weights[op->minor])
				break;
			m -= (uint32_t)minor_weights[op->minor];
		}
		op->oflags = f < 84 ? O_RDWR : f < 92 ? O_RDONLY : O_WRONLY;
		g->used |= 1u << op->desc;
		return;
	}
	r -= w_open;
	if (r < w_dup) {
		op->kind = OP_DUP;
		op->src = pick_bit(g, used);
		op->desc = pick_bit(g, freeslots);
		g->used |= 1u << op->desc;
		return;
	}
	r -= w_dup;
	if (r < w_close) {
		op->kind = OP_CLOSE;
		op->desc = pick_bit(g, used);
		g->used &= ~(1u << op->desc);
		return;
	}
	r -= w_close;
	op->desc = pick_bit(g, used);
	if (r < 20) {
		uint32_t c = rng_below(&g->rng, 100);

		op->kind = OP_IOCTL;
		op->cmd_kind = c < 86 ? CMD_MAIN : c < 92 ? CMD_TWIN : CMD_UNKNOWN;
		if (op->cmd_kind == CMD_UNKNOWN)
			op->cmd = gen_unknown_cmd(g);
		op->arg = gen_id(g);
	} else if (r < 50) {
		op->kind = OP_WRITE;
		op->len = gen_write_len(g);
		gen_buffer(g, op, 0);
	} else {
		op->kind = OP_READ;
		op->len = gen_read_len(g);
		gen_buffer(g, op, 1);
	}
}

/* ---- the model ----------------------------------------------------------- */

struct mfile {
	int refs;		/* descriptors; 0: this entry is free */
	int minor;		/* index in minors[] */
	int oflags;
	uint32_t chan;		/* 0: none set */
	int set_by;		/* descriptor whose ioctl set chan */
	unsigned int serial;	/* unique per open() */
};

struct mdesc {
	int fd;
	int file;		/* index in files[]; -1: closed */
};

struct chan {
	uint64_t key;		/* minor index << 32 | id */
	uint64_t written_at;	/* op of the last successful write; 0: none */
	unsigned int writer;	/* serial of the file that wrote it */
	unsigned char len;	/* 0: never written */
	unsigned char data[MAX_MSG];
};

static struct mfile files[NDESC];
static struct mdesc descs[NDESC];
static unsigned int file_serial;
static int checker_fd[NR_MINORS];
static int slot_minor[NR_MINORS];	/* the real minors of this attempt */
static char node_path[NR_MINORS][4096];

static struct chan *chans;
static size_t nchans, chans_cap;
static uint32_t *htab;		/* index + 1 into chans; 0: empty */
static size_t hcap;		/* a power of 2 */

static void *xrealloc(void *p, size_t size)
{
	void *q = realloc(p, size);

	if (!q) {
		fprintf(stderr, "fuzz: out of memory\n");
		exit(2);
	}
	return q;
}

static size_t hash_slot(uint64_t key)
{
	return (size_t)mix64(key) & (hcap - 1);
}

static void htab_grow(void)
{
	size_t i, h;

	hcap = hcap ? hcap * 2 : 4096;
	free(htab);
	htab = calloc(hcap, sizeof(*htab));
	if (!htab) {
		fprintf(stderr, "fuzz: out of memory\n");
		exit(2);
	}
	for (i = 0; i < nchans; i++) {
		for (h = hash_slot(chans[i].key); htab[h]; h = (h + 1) & (hcap - 1))
			;
		htab[h] = (uint32_t)i + 1;
	}
}

/* The channel (minor, id), or NULL; with create, made (never written). */
static struct chan *chan_find(int minor, uint32_t id, int create)
{
	uint64_t key = (uint64_t)minor << 32 | id;
	struct chan *c;
	size_t h;

	if (!hcap)
		htab_grow();
	for (h = hash_slot(key); htab[h]; h = (h + 1) & (hcap - 1))
		if (chans[htab[h] - 1].key == key)
			return &chans[htab[h] - 1];
	if (!create)
		return NULL;
	if (nchans == chans_cap) {
		chans_cap = chans_cap ? chans_cap * 2 : 1024;
		chans = xrealloc(chans, chans_cap * sizeof(*chans));
	}
	c = &chans[nchans];
	memset(c, 0, sizeof(*c));
	c->key = key;
	htab[h] = (uint32_t)++nchans;
	if (nchans * 2 > hcap)
		htab_grow();
	return c;
}

static void chans_reset(void)
{
	nchans = 0;
	if (htab)
		memset(htab, 0, hcap * sizeof(*htab));
}

/* ---- statistics ------------------------------------------------------------ */

enum path {
	P_OPEN, P_OPEN_RDONLY, P_OPEN_WRONLY, P_CLOSE, P_CLOSE_SHARED, P_DUP,
	P_IOCTL_SET, P_IOCTL_SET_TWIN, P_IOCTL_RESET, P_IOCTL_ID0,
	P_IOCTL_ABOVE_32, P_IOCTL_BAD_CMD,
	P_WRITE_NEW, P_WRITE_OVERWRITE, P_WRITE_FROM_RDONLY, P_WRITE_HALF_FITS,
	P_WRITE_EBADF, P_WRITE_EFAULT, P_WRITE_NO_CHANNEL,
	P_WRITE_NO_CHANNEL_BAD_LEN, P_WRITE_LEN_0, P_WRITE_LEN_OVER,
	P_WRITE_BAD_LEN_BAD_BUF, P_WRITE_NULL, P_WRITE_UNMAPPED, P_WRITE_HALF,
	P_WRITE_FAILED_KEEPS,
	P_READ_OK, P_READ_EXACT_LEN, P_READ_HALF_FITS, P_READ_OTHER_FILE,
	P_READ_AFTER_CLOSE, P_READ_THROUGH_DUP, P_READ_SAME_ID_OTHER_SLOT,
	P_READ_EBADF, P_READ_EFAULT, P_READ_NO_CHANNEL, P_READ_EAGAIN,
	P_READ_EAGAIN_BAD_BUF, P_READ_ENOSPC, P_READ_ENOSPC_BAD_BUF,
	P_READ_NULL, P_READ_UNMAPPED, P_READ_HALF, P_READ_RDONLY,
	NR_PATHS
};

static const char *const path_names[NR_PATHS] = {
	[P_OPEN] = "open",
	[P_OPEN_RDONLY] = "open O_RDONLY",
	[P_OPEN_WRONLY] = "open O_WRONLY",
	[P_CLOSE] = "close",
	[P_CLOSE_SHARED] = "close one of a dup'ed pair",
	[P_DUP] = "dup",
	[P_IOCTL_SET] = "ioctl sets the channel",
	[P_IOCTL_SET_TWIN] = "ioctl sets it with the other command encoding",
	[P_IOCTL_RESET] = "ioctl changes a channel already set",
	[P_IOCTL_ID0] = "ioctl id 0: EINVAL, channel kept",
	[P_IOCTL_ABOVE_32] = "ioctl id above 2^32-1: EINVAL, channel kept",
	[P_IOCTL_BAD_CMD] = "ioctl unknown command: EINVAL, channel kept",
	[P_WRITE_NEW] = "write creates a channel's message",
	[P_WRITE_OVERWRITE] = "write replaces a message",
	[P_WRITE_FROM_RDONLY] = "write from a read-only buffer",
	[P_WRITE_HALF_FITS] = "write from a buffer ending just before a hole",
	[P_WRITE_EBADF] = "write on O_RDONLY: EBADF",
	[P_WRITE_EFAULT] = "write from a kernel address: EFAULT",
	[P_WRITE_NO_CHANNEL] = "write without a channel: EINVAL",
	[P_WRITE_NO_CHANNEL_BAD_LEN] = "write without a channel, bad length: EINVAL",
	[P_WRITE_LEN_0] = "write of 0 bytes: EMSGSIZE",
	[P_WRITE_LEN_OVER] = "write of more than 128 bytes: EMSGSIZE",
	[P_WRITE_BAD_LEN_BAD_BUF] = "write, bad length and bad buffer: EMSGSIZE",
	[P_WRITE_NULL] = "write from NULL: EINVAL",
	[P_WRITE_UNMAPPED] = "write from an unmapped page: EINVAL",
	[P_WRITE_HALF] = "write from a half-mapped buffer: EINVAL",
	[P_WRITE_FAILED_KEEPS] = "failed write leaves the message as it was",
	[P_READ_OK] = "read a message",
	[P_READ_EXACT_LEN] = "read with len == the message's length",
	[P_READ_HALF_FITS] = "read into a buffer ending just after the message",
	[P_READ_OTHER_FILE] = "read a message written through another open file",
	[P_READ_AFTER_CLOSE] = "read a message whose writer's file is closed",
	[P_READ_THROUGH_DUP] = "read/write on a channel set through a dup",
	[P_READ_SAME_ID_OTHER_SLOT] = "read while the same id holds another message on another slot",
	[P_READ_EBADF] = "read on O_WRONLY: EBADF",
	[P_READ_EFAULT] = "read into a kernel address: EFAULT",
	[P_READ_NO_CHANNEL] = "read without a channel: EINVAL",
	[P_READ_EAGAIN] = "read of a channel never written: EAGAIN",
	[P_READ_EAGAIN_BAD_BUF] = "read of a channel never written, bad buffer: EAGAIN",
	[P_READ_ENOSPC] = "read into a buffer smaller than the message: ENOSPC",
	[P_READ_ENOSPC_BAD_BUF] = "read, smaller and bad buffer: ENOSPC",
	[P_READ_NULL] = "read into NULL: EINVAL",
	[P_READ_UNMAPPED] = "read into an unmapped page: EINVAL",
	[P_READ_HALF] = "read into a half-mapped buffer: EINVAL",
	[P_READ_RDONLY] = "read into a read-only buffer: EINVAL",
};

static int path_applies(enum path p)
{
	if (LONG_IS_64)
		return 1;
	return p != P_IOCTL_ABOVE_32 && p != P_WRITE_EFAULT && p != P_READ_EFAULT;
}

#define NR_RESULTS 12		/* 0: success; then errnos in order seen */

static int collecting;		/* statistics only for the main run */
static uint64_t op_count[NR_OPS];
static uint64_t result_count[NR_OPS][NR_RESULTS];
static int result_errno[NR_RESULTS];
static int nresult_errno = 1;
static uint64_t path_count[NR_PATHS];
static uint64_t checks_made;	/* read-backs of channels */

static void count_path(enum path p)
{
	if (collecting)
		path_count[p]++;
}

static void count_result(enum op_kind kind, long ret, int err)
{
	int i = 0;

	if (!collecting)
		return;
	op_count[kind]++;
	if (ret == -1) {
		for (i = 1; i < nresult_errno; i++)
			if (result_errno[i] == err)
				break;
		if (i == nresult_errno) {
			if (nresult_errno == NR_RESULTS)
				i = NR_RESULTS - 1;	/* lumped together */
			else
				result_errno[nresult_errno++] = err;
		}
	}
	result_count[kind][i]++;
}

/* ---- the run: failure reports ------------------------------------------------- */

static uint64_t cur_op;		/* 1-based index of the running operation */
static uint64_t run_ops;	/* operations of the running attempt */
static int failed;
static uint64_t fail_op;
static char report[16384];
static size_t report_len;
static int note_minor;		/* the channel of the running operation, */
static uint32_t note_id;	/* 0: none: said in a report */
static size_t report_head;	/* the report's first lines, before the history */
static char hist[NHIST][256];
static uint64_t hist_op[NHIST];

__attribute__((format(printf, 1, 2)))
static void rep(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (report_len >= sizeof(report) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(report + report_len, sizeof(report) - report_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		report_len += (size_t)n;
	if (report_len >= sizeof(report))
		report_len = sizeof(report) - 1;
}

static const char *op_label(char *buf, size_t size)
{
	if (cur_op > run_ops)
		snprintf(buf, size, "the check after op %" PRIu64, run_ops);
	else
		snprintf(buf, size, "op %" PRIu64, cur_op);
	return buf;
}

/* The first difference: what ran, what the model expected, what came. */
static struct chan *chan_find(int minor, uint32_t id, int create);

static void mismatch(const char *what, const char *expected, const char *actual)
{
	char label[64];

	failed = 1;
	fail_op = cur_op > run_ops ? run_ops : cur_op;
	rep("fuzz: MISMATCH at %s (seed %" PRIu64 "): %s\n",
	    op_label(label, sizeof(label)), opt_seed, what);
	rep("fuzz:   expected %s\n", expected);
	rep("fuzz:   got      %s\n", actual);
	if (note_id) {
		const struct chan *c = chan_find(note_minor, note_id, 0);

		if (c && c->len)
			rep("fuzz:   (the model: that channel holds %u bytes, written at op %"
			    PRIu64 ")\n", c->len, c->written_at);
		else
			rep("fuzz:   (the model: that channel was never written)\n");
	}
	report_head = report_len;
	if (cur_op >= 1) {
		uint64_t i, from = cur_op > NHIST ? cur_op - NHIST : 1;

		rep("fuzz:   the last operations:\n");
		for (i = from; i <= cur_op && i <= run_ops; i++)
			if (hist_op[i % NHIST] == i)
				rep("fuzz:     op %" PRIu64 ": %s\n", i, hist[i % NHIST]);
	}
}

static int check_result(const char *what, long want, int want_err, long ret,
			int err)
{
	char e[64], a[64];

	if (ret == want && (want != -1 || err == want_err))
		return 0;
	mismatch(what, result_str(e, sizeof(e), want, want_err),
		 result_str(a, sizeof(a), ret, err));
	return -1;
}

static struct chan *chan_find(int minor, uint32_t id, int create);

static char *hexbytes(char *out, size_t size, const unsigned char *p, size_t n)
{
	size_t i, o = 0;

	out[0] = '\0';
	for (i = 0; i < n && o + 4 < size; i++)
		o += (size_t)snprintf(out + o, size - o, "%02x", p[i]);
	if (i < n && o + 4 < size)
		snprintf(out + o, size - o, "...");
	return out;
}

/* ---- memory the buffers live in --------------------------------------------------- */

static size_t page;
static unsigned char *arena;		/* read-write */
static size_t arena_size;
static unsigned char *edge_none;	/* a read-write page, then a PROT_NONE one */
static unsigned char *edge_hole;	/* a read-write page, then a hole */
static unsigned char *hole;		/* an unmapped page */
static unsigned char *ro_page;		/* PROT_READ, random bytes */
static unsigned char check_buf[MAX_IO + GUARD];

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "fuzz: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void *map(size_t size, int prot)
{
	void *p = mmap(NULL, size, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap: %s", errno_name(errno));
	return p;
}

static void setup_memory(uint64_t seed)
{
	struct rng r;
	size_t i;

	page = (size_t)sysconf(_SC_PAGESIZE);
	if (page < 4096)
		die("page size %zu", page);
	arena_size = (GUARD + ARENA_SPAN + MAX_IO + GUARD + page - 1) / page * page;
	arena = map(arena_size, PROT_READ | PROT_WRITE);

	edge_none = map(2 * page, PROT_READ | PROT_WRITE);
	if (mprotect(edge_none + page, page, PROT_NONE))
		die("mprotect: %s", errno_name(errno));

	ro_page = map(page, PROT_READ | PROT_WRITE);
	rng_init(&r, seed ^ 0x5eed5eed5eed5eedull);
	for (i = 0; i < page; i++)
		ro_page[i] = (unsigned char)rng_next(&r);
	if (mprotect(ro_page, page, PROT_READ))
		die("mprotect: %s", errno_name(errno));

	/*
	 * Last, so that no mapping of ours fills it: three pages, read-write,
	 * the hole, and one more to keep it a hole. check_hole() makes sure.
	 */
	edge_hole = map(3 * page, PROT_READ | PROT_WRITE);
	hole = edge_hole + page;
	if (munmap(hole, page))
		die("munmap: %s", errno_name(errno));
}

/* The hole must still be unmapped: nothing the program maps may land there. */
static void check_hole(void)
{
	if (msync(hole, page, MS_ASYNC) == 0 || errno != ENOMEM)
		die("internal: the unmapped page at %p got mapped", (void *)hole);
}

/* ---- device and module --------------------------------------------------------- */

/*
 * The nodes of this attempt's minors: attempt 0 and every attempt with
 * --module use the sequence's own; the others, five spare ones each.
 */
static int make_nodes(unsigned int attempt_no)
{
	int i;

	if (mkdir(opt_nodes, 0700) && errno != EEXIST)
		die("mkdir %s: %s", opt_nodes, errno_name(errno));
	if (!opt_module && attempt_no > MAX_REMAPS)
		return -1;
	for (i = 0; i < NR_MINORS; i++) {
		slot_minor[i] = opt_module || !attempt_no ? minors[i] :
				FIRST_SPARE_MINOR + (int)(attempt_no - 1) * NR_MINORS + i;
		slot_path(node_path[i], sizeof(node_path[i]), opt_nodes,
			  (unsigned int)slot_minor[i]);
		if (make_node(node_path[i], opt_major, (unsigned int)slot_minor[i], 0600))
			die("mknod %s (char %u:%d): %s", node_path[i], opt_major,
			    slot_minor[i], errno_name(errno));
	}
	return 0;
}

/* "slot 1", or "slot 1 (as minor 5)" in an attempt that remaps them. */
static const char *slot_name(char *out, size_t size, int minor)
{
	if (slot_minor[minor] == minors[minor])
		snprintf(out, size, "slot %d", minors[minor]);
	else
		snprintf(out, size, "slot %d (as minor %d)", minors[minor],
			 slot_minor[minor]);
	return out;
}

static int module_reload(void)
{
	if (module_unload(module_name) && errno != ENOENT) {
		fprintf(stderr, "fuzz: delete_module(%s): %s\n", module_name,
			errno_name(errno));
		return -1;
	}
	if (module_load(opt_module, "")) {
		fprintf(stderr, "fuzz: finit_module(%s): %s\n", opt_module,
			errno_name(errno));
		return -1;
	}
	return 0;
}

static long sys_read(int fd, void *buf, size_t len)
{
	return syscall(SYS_read, fd, buf, len);
}

static long sys_write(int fd, const void *buf, size_t len)
{
	return syscall(SYS_write, fd, buf, len);
}

static long sys_ioctl(int fd, unsigned long cmd, unsigned long arg)
{
	return syscall(SYS_ioctl, fd, cmd, arg);
}

static int checker(int minor)
{
	if (checker_fd[minor] < 0) {
		checker_fd[minor] = open(node_path[minor], O_RDWR | O_CLOEXEC);
		if (checker_fd[minor] < 0)
			die("open %s: %s", node_path[minor], errno_name(errno));
	}
	return checker_fd[minor];
}

/*
 * Read channel c back through a descriptor of our own and compare it with
 * the model. why says when (after which operation).
 */
static int check_channel(const struct chan *c, const char *why)
{
	int minor = (int)(c->key >> 32), fd = checker(minor), err;
	uint32_t id = (uint32_t)c->key;
	char what[256], sn[48];
	long ret;

	checks_made++;
	note_minor = minor;
	note_id = id;
	slot_name(sn, sizeof(sn), minor);
	snprintf(what, sizeof(what), "%s: ioctl(%s, %" PRIu32 ")", why, sn, id);
	ret = sys_ioctl(fd, opt_ioctl, id);
	err = errno;
	if (check_result(what, 0, 0, ret, err))
		return -1;
	snprintf(what, sizeof(what), "%s: read back %s channel %" PRIu32
		 " (last written at op %" PRIu64 ") with read(fd, buf, %d)", why,
		 sn, id, c->written_at, MAX_IO);
	if (!c->written_at)
		snprintf(what, sizeof(what), "%s: read back %s channel %" PRIu32
			 " (never written) with read(fd, buf, %d)", why, sn, id, MAX_IO);
	ret = sys_read(fd, check_buf, MAX_IO);
	err = errno;
	if (check_result(what, c->len ? c->len : -1, EAGAIN, ret, err))
		return -1;
	if (c->len && memcmp(check_buf, c->data, c->len)) {
		char e[300], a[300];

		mismatch(what, hexbytes(e, sizeof(e), c->data, c->len),
			 hexbytes(a, sizeof(a), check_buf, c->len));
		return -1;
	}
	return 0;
}

/* ---- executing operations --------------------------------------------------------- */

static const char *oflags_name(int oflags)
{
	return oflags == O_RDONLY ? "O_RDONLY" : oflags == O_WRONLY ? "O_WRONLY" : "O_RDWR";
}

static const char *buf_name(char *out, size_t size, const struct op *op)
{
	switch (op->buf) {
	case BUF_VALID:
		return "a valid buffer";
	case BUF_NULL:
		return "NULL";
	case BUF_UNMAPPED:
		return "an unmapped page";
	case BUF_HALF_NONE:
		snprintf(out, size, "%zu accessible bytes before a PROT_NONE page", op->k);
		return out;
	case BUF_HALF_HOLE:
		snprintf(out, size, "%zu accessible bytes before an unmapped page", op->k);
		return out;
	case BUF_RDONLY:
		return "a read-only (PROT_READ) buffer";
	case BUF_KERNEL:
		return "a kernel address";
	}
	return "?";
}

static const char *file_desc(char *out, size_t size, int d)
{
	const struct mfile *f = &files[descs[d].file];
	char sn[48];

	slot_name(sn, sizeof(sn), f->minor);
	if (f->chan)
		snprintf(out, size, "d%d: %s %s, channel %" PRIu32 "%s", d, sn,
			 oflags_name(f->oflags), f->chan,
			 f->refs > 1 ? ", shared by dup" : "");
	else
		snprintf(out, size, "d%d: %s %s, no channel%s", d, sn,
			 oflags_name(f->oflags), f->refs > 1 ? ", shared by dup" : "");
	return out;
}

static void describe(const struct op *op, char *out, size_t size)
{
	char fb[128], bb[96], ab[64];

	switch (op->kind) {
	case OP_OPEN:
		snprintf(out, size, "open(%s, %s) as d%d",
			 slot_name(ab, sizeof(ab), op->minor), oflags_name(op->oflags),
			 op->desc);
		break;
	case OP_CLOSE:
		snprintf(out, size, "close(%s)", file_desc(fb, sizeof(fb), op->desc));
		break;
	case OP_DUP:
		snprintf(out, size, "dup(%s) as d%d",
			 file_desc(fb, sizeof(fb), op->src), op->desc);
		break;
	case OP_IOCTL:
		snprintf(ab, sizeof(ab), "%" PRIu64, op->arg);
		snprintf(out, size, "ioctl(%s, %s 0x%x, %s)",
			 file_desc(fb, sizeof(fb), op->desc),
			 op->cmd_kind == CMD_UNKNOWN ? "unknown command" :
			 op->cmd_kind == CMD_TWIN ? "other encoding" : "command",
			 op->cmd_kind == CMD_UNKNOWN ? op->cmd : (unsigned int)opt_ioctl,
			 ab);
		if (op->cmd_kind == CMD_TWIN)
			snprintf(out, size, "ioctl(%s, %s, %s)",
				 file_desc(fb, sizeof(fb), op->desc),
				 opt_ioctl == MSG_SLOT_CHANNEL ? "MSG_SLOT_CHANNEL_UL" :
				 "MSG_SLOT_CHANNEL", ab);
		break;
	case OP_WRITE:
	case OP_READ:
		snprintf(out, size, "%s(%s, %s, %zu)", op_names[op->kind],
			 file_desc(fb, sizeof(fb), op->desc),
			 buf_name(bb, sizeof(bb), op), op->len);
		break;
	default:
		snprintf(out, size, "?");
	}
}

static unsigned long ioctl_cmd(const struct op *op)
{
	if (op->cmd_kind == CMD_UNKNOWN)
		return op->cmd;
	if (op->cmd_kind == CMD_TWIN) {
		if (opt_ioctl == MSG_SLOT_CHANNEL)
			return MSG_SLOT_CHANNEL_UL;
		if (opt_ioctl == MSG_SLOT_CHANNEL_UL)
			return MSG_SLOT_CHANNEL;
	}
	return opt_ioctl;
}

static int do_open(const struct op *op, const char *what)
{
	int f, fd, err;

	for (f = 0; f < NDESC - 1 && files[f].refs; f++)
		;
	fd = open(node_path[op->minor], op->oflags | O_CLOEXEC);
	err = errno;
	count_result(OP_OPEN, fd < 0 ? -1 : 0, err);
	if (fd < 0) {
		char a[64];

		mismatch(what, "a descriptor", result_str(a, sizeof(a), -1, err));
		return -1;
	}
	files[f].refs = 1;
	files[f].minor = op->minor;
	files[f].oflags = op->oflags;
	files[f].chan = 0;
	files[f].set_by = -1;
	files[f].serial = ++file_serial;
	descs[op->desc].fd = fd;
	descs[op->desc].file = f;
	count_path(P_OPEN);
	if (op->oflags == O_RDONLY)
		count_path(P_OPEN_RDONLY);
	if (op->oflags == O_WRONLY)
		count_path(P_OPEN_WRONLY);
	return 0;
}

static int do_dup(const struct op *op, const char *what)
{
	int fd = fcntl(descs[op->src].fd, F_DUPFD_CLOEXEC, 0), err = errno;

	count_result(OP_DUP, fd < 0 ? -1 : 0, err);
	if (fd < 0) {
		char a[64];

		mismatch(what, "a descriptor", result_str(a, sizeof(a), -1, err));
		return -1;
	}
	descs[op->desc].fd = fd;
	descs[op->desc].file = descs[op->src].file;
	files[descs[op->src].file].refs++;
	count_path(P_DUP);
	return 0;
}

static int do_close(const struct op *op, const char *what)
{
	struct mdesc *d = &descs[op->desc];
	struct mfile *f = &files[d->file];
	long ret = close(d->fd);
	int err = errno;

	count_result(OP_CLOSE, ret, err);
	if (f->refs > 1)
		count_path(P_CLOSE_SHARED);
	count_path(P_CLOSE);
	f->refs--;
	if (f->set_by == op->desc)
		f->set_by = -1;
	d->file = -1;
	d->fd = -1;
	return check_result(what, 0, 0, ret, err);
}

static int do_ioctl(const struct op *op, const char *what)
{
	struct mfile *f = &files[descs[op->desc].file];
	uint64_t arg = op->arg;
	int err, want_err = 0;
	long ret, want = 0;
	enum path p;

	if (op->cmd_kind == CMD_UNKNOWN) {
		want = -1;
		want_err = EINVAL;
		p = P_IOCTL_BAD_CMD;
	} else if (!arg) {
		want = -1;
		want_err = EINVAL;
		p = P_IOCTL_ID0;
	} else if (arg > 0xffffffffull) {
		want = -1;
		want_err = EINVAL;
		p = P_IOCTL_ABOVE_32;
	} else {
		p = op->cmd_kind == CMD_TWIN ? P_IOCTL_SET_TWIN :
		    f->chan ? P_IOCTL_RESET : P_IOCTL_SET;
	}
	ret = sys_ioctl(descs[op->desc].fd, ioctl_cmd(op), (unsigned long)arg);
	err = errno;
	count_result(OP_IOCTL, ret, err);
	if (check_result(what, want, want_err, ret, err))
		return -1;
	count_path(p);
	if (!want) {
		f->chan = (uint32_t)arg;
		f->set_by = op->desc;
		/* Known to the model, so the end-of-run check reads it too. */
		chan_find(f->minor, f->chan, 1);
	}
	return 0;
}

static int file_alive(unsigned int serial)
{
	int i;

	for (i = 0; i < NDESC; i++)
		if (files[i].refs && files[i].serial == serial)
			return 1;
	return 0;
}

static int do_write(const struct op *op, const char *what)
{
	struct mdesc *d = &descs[op->desc];
	struct mfile *f = &files[d->file];
	const unsigned char *src = op->data;
	unsigned char *buf = NULL;
	size_t readable = 0;
	struct chan *c = NULL;
	long ret, want = -1;
	int err, want_err = 0, reached = 0, had;
	enum path p = P_WRITE_NEW;

	switch (op->buf) {
	case BUF_VALID:
		buf = arena + op->off;
		memcpy(buf, op->data, op->len);
		readable = op->len;
		break;
	case BUF_NULL:
		break;
	case BUF_UNMAPPED:
		check_hole();
		buf = hole + op->off;
		break;
	case BUF_HALF_NONE:
	case BUF_HALF_HOLE:
		if (op->buf == BUF_HALF_HOLE)
			check_hole();
		buf = (op->buf == BUF_HALF_NONE ? edge_none : edge_hole) + page - op->k;
		memcpy(buf, op->data, op->k < op->len ? op->k : op->len);
		readable = op->k;
		break;
	case BUF_RDONLY:
		buf = ro_page + op->off;
		src = buf;
		readable = op->len;
		break;
	case BUF_KERNEL:
#if LONG_IS_64
		buf = (unsigned char *)KERNEL_ADDR;
#endif
		break;
	}

	/* The contract's order, after the VFS's own checks. */
	if (f->oflags == O_RDONLY) {
		want_err = EBADF;
		p = P_WRITE_EBADF;
	} else if (op->buf == BUF_KERNEL) {
		want_err = EFAULT;
		p = P_WRITE_EFAULT;
	} else if (!f->chan) {
		want_err = EINVAL;
		p = op->len == 0 || op->len > MAX_MSG ? P_WRITE_NO_CHANNEL_BAD_LEN :
		    P_WRITE_NO_CHANNEL;
	} else {
		reached = 1;
		c = chan_find(f->minor, f->chan, 1);
		if (op->len == 0 || op->len > MAX_MSG) {
			want_err = EMSGSIZE;
			/* Would the buffer be readable for len (at least 1) bytes? */
			p = readable < (op->len ? op->len : 1) ? P_WRITE_BAD_LEN_BAD_BUF :
			    op->len ? P_WRITE_LEN_OVER : P_WRITE_LEN_0;
		} else if (readable < op->len) {
			want_err = EINVAL;
			p = op->buf == BUF_NULL ? P_WRITE_NULL :
			    op->buf == BUF_UNMAPPED ? P_WRITE_UNMAPPED : P_WRITE_HALF;
		} else {
			want = (long)op->len;
			p = op->buf == BUF_RDONLY ? P_WRITE_FROM_RDONLY :
			    op->buf != BUF_VALID ? P_WRITE_HALF_FITS :
			    c->len ? P_WRITE_OVERWRITE : P_WRITE_NEW;
		}
	}

	note_minor = f->minor;
	note_id = f->chan;
	ret = sys_write(d->fd, buf, op->len);
	err = errno;
	count_result(OP_WRITE, ret, err);
	if (check_result(what, want, want_err, ret, err))
		return -1;
	count_path(p);
	if (want >= 0) {
		memcpy(c->data, src, op->len);
		c->len = (unsigned char)op->len;
		c->written_at = cur_op;
		c->writer = f->serial;
		if (f->refs > 1 && f->set_by != op->desc)
			count_path(P_READ_THROUGH_DUP);
		return 0;
	}
	if (!reached)
		return 0;
	/* A failed write leaves the channel exactly as it was. */
	had = c->len != 0;
	if (check_channel(c, "after the failed write"))
		return -1;
	if (had)
		count_path(P_WRITE_FAILED_KEEPS);
	return 0;
}

/* A byte pattern for the bytes around a read buffer. */
static void fill_pattern(unsigned char *p, size_t n, uint64_t seed)
{
	uint32_t x = (uint32_t)mix64(seed) | 1;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (unsigned char)x;
	}
}

static int do_read(const struct op *op, const char *what)
{
	struct mdesc *d = &descs[op->desc];
	struct mfile *f = &files[d->file];
	unsigned char before[GUARD + MAX_IO + GUARD + 8];
	unsigned char *buf = NULL, *region = NULL;
	size_t writable = 0, region_len = 0, i, msg = 0;
	const struct chan *c = NULL;
	long ret, want = -1;
	int err, want_err = 0;
	enum path p = P_READ_OK;
	char e[300], a[300];

	switch (op->buf) {
	case BUF_VALID:
		buf = arena + op->off;
		region = buf - GUARD;
		region_len = GUARD + op->len + GUARD;
		writable = SIZE_MAX;
		break;
	case BUF_NULL:
		break;
	case BUF_UNMAPPED:
		check_hole();
		buf = hole + op->off;
		break;
	case BUF_HALF_NONE:
	case BUF_HALF_HOLE:
		if (op->buf == BUF_HALF_HOLE)
			check_hole();
		buf = (op->buf == BUF_HALF_NONE ? edge_none : edge_hole) + page - op->k;
		region = buf - GUARD;
		region_len = GUARD + op->k;
		writable = op->k;
		break;
	case BUF_RDONLY:
		buf = ro_page + op->off;
		break;
	case BUF_KERNEL:
#if LONG_IS_64
		buf = (unsigned char *)KERNEL_ADDR;
#endif
		break;
	}
	if (region) {
		fill_pattern(region, region_len, cur_op);
		memcpy(before, region, region_len);
	}

	if (f->oflags == O_WRONLY) {
		want_err = EBADF;
		p = P_READ_EBADF;
	} else if (op->buf == BUF_KERNEL) {
		want_err = EFAULT;
		p = P_READ_EFAULT;
	} else if (!f->chan) {
		want_err = EINVAL;
		p = P_READ_NO_CHANNEL;
	} else if (c = chan_find(f->minor, f->chan, 0), !c || !c->len) {
		want_err = EAGAIN;
		p = op->buf == BUF_VALID ? P_READ_EAGAIN : P_READ_EAGAIN_BAD_BUF;
	} else if (msg = c->len, op->len < msg) {
		want_err = ENOSPC;
		p = writable < msg ? P_READ_ENOSPC_BAD_BUF : P_READ_ENOSPC;
	} else if (writable < msg) {
		want_err = EINVAL;
		p = op->buf == BUF_NULL ? P_READ_NULL :
		    op->buf == BUF_UNMAPPED ? P_READ_UNMAPPED :
		    op->buf == BUF_RDONLY ? P_READ_RDONLY : P_READ_HALF;
	} else {
		want = (long)msg;
		p = op->buf == BUF_VALID ? P_READ_OK : P_READ_HALF_FITS;
	}

	note_minor = f->minor;
	note_id = f->chan;
	ret = sys_read(d->fd, buf, op->len);
	err = errno;
	count_result(OP_READ, ret, err);
	if (check_result(what, want, want_err, ret, err))
		return -1;

	/* The bytes: exactly the message, nothing before or after it. */
	if (region) {
		size_t at = GUARD;	/* the buffer's offset in region */

		for (i = 0; i < region_len; i++) {
			size_t pos = i - at;	/* wraps below at: before the buffer */
			int in_msg = i >= at && pos < msg;

			if (want >= 0 && in_msg) {
				if (region[i] == c->data[pos])
					continue;
				snprintf(a, sizeof(a), "the message's byte %zu is 0x%02x, "
					 "not 0x%02x; message: %s", pos, region[i],
					 c->data[pos], hexbytes(e, sizeof(e), region + at, msg));
				mismatch(what, "the message's bytes", a);
				return -1;
			}
			/* A read that faults may have copied a part of the message. */
			if (want < 0 && want_err == EINVAL && in_msg &&
			    region[i] == c->data[pos])
				continue;
			if (region[i] == before[i])
				continue;
			if (i < at)
				snprintf(a, sizeof(a), "the byte %zu before the buffer changed "
					 "from 0x%02x to 0x%02x", at - i, before[i], region[i]);
			else
				snprintf(a, sizeof(a), "the buffer's byte %zu (%s) changed from "
					 "0x%02x to 0x%02x", pos, pos < msg ?
					 "in the message's span" : "after the message's span",
					 before[i], region[i]);
			mismatch(what, want >= 0 ? "nothing written after the message" :
				 "nothing written by a failed read", a);
			return -1;
		}
	}
	count_path(p);
	if (want >= 0) {
		size_t m;

		if (op->len == msg)
			count_path(P_READ_EXACT_LEN);
		if (c->writer != f->serial) {
			count_path(P_READ_OTHER_FILE);
			if (!file_alive(c->writer))
				count_path(P_READ_AFTER_CLOSE);
		}
		if (f->refs > 1 && f->set_by != op->desc)
			count_path(P_READ_THROUGH_DUP);
		for (m = 0; m < NR_MINORS; m++) {
			const struct chan *o;

			if ((int)m == f->minor)
				continue;
			o = chan_find((int)m, f->chan, 0);
			if (o && o->len && (o->len != c->len ||
					    memcmp(o->data, c->data, c->len))) {
				count_path(P_READ_SAME_ID_OTHER_SLOT);
				break;
			}
		}
	}
	return 0;
}

static int exec_op(const struct op *op)
{
	char what[256];

	describe(op, what, sizeof(what));
	if (opt_trace && collecting)
		printf("fuzz: op %" PRIu64 ": %s\n", cur_op, what);
	snprintf(hist[cur_op % NHIST], sizeof(hist[0]), "%s", what);
	note_id = 0;
	hist_op[cur_op % NHIST] = cur_op;
	switch (op->kind) {
	case OP_OPEN:
		return do_open(op, what);
	case OP_CLOSE:
		return do_close(op, what);
	case OP_DUP:
		return do_dup(op, what);
	case OP_IOCTL:
		return do_ioctl(op, what);
	case OP_WRITE:
		return do_write(op, what);
	case OP_READ:
		return do_read(op, what);
	default:
		return 0;
	}
}

/*
 * The check at the end of a run: every open descriptor reads its channel
 * (so a channel changed by a failed ioctl shows), and every channel the run
 * set, wrote or tried to write holds what the model says (so a write that
 * went wrong shows at the write, not at a later read).
 */
static int final_check(void)
{
	char what[200], fb[128];
	int d, err;
	size_t i;
	long ret;

	cur_op = run_ops + 1;
	for (d = 0; d < NDESC; d++) {
		const struct mfile *f;
		const struct chan *c;

		if (descs[d].file < 0)
			continue;
		f = &files[descs[d].file];
		if (f->oflags == O_WRONLY)
			continue;
		c = f->chan ? chan_find(f->minor, f->chan, 0) : NULL;
		snprintf(what, sizeof(what), "read(%s, a valid buffer, %d)",
			 file_desc(fb, sizeof(fb), d), MAX_IO);
		note_minor = f->minor;
		note_id = f->chan;
		ret = sys_read(descs[d].fd, check_buf, MAX_IO);
		err = errno;
		if (check_result(what, c && c->len ? c->len : -1,
				 f->chan ? EAGAIN : EINVAL, ret, err))
			return -1;
		if (c && c->len && memcmp(check_buf, c->data, c->len)) {
			char e[300], a[300];

			mismatch(what, hexbytes(e, sizeof(e), c->data, c->len),
				 hexbytes(a, sizeof(a), check_buf, c->len));
			return -1;
		}
	}
	for (i = 0; i < nchans; i++)
		if (check_channel(&chans[i], "end-of-run check"))
			return -1;
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void close_all(void)
{
	int i;

	for (i = 0; i < NDESC; i++) {
		if (descs[i].file >= 0)
			close(descs[i].fd);
		descs[i].file = -1;
		descs[i].fd = -1;
		files[i].refs = 0;
	}
	for (i = 0; i < NR_MINORS; i++) {
		if (checker_fd[i] >= 0)
			close(checker_fd[i]);
		checker_fd[i] = -1;
	}
}

/*
 * One run of the first nops operations from a clean state, then the
 * end-of-run check. Returns 0 if everything matched, 1 if not, -1 if no
 * clean state could be made.
 */
static int attempt(uint64_t nops, unsigned int attempt_no, int main_run)
{
	struct gen g;
	struct op op;
	double start = now(), last = start;

	close_all();
	if (opt_module && module_reload())
		return -1;
	if (make_nodes(attempt_no))
		return -1;
	chans_reset();
	failed = 0;
	report_len = 0;
	report[0] = '\0';
	collecting = main_run;
	run_ops = nops;
	memset(&g, 0, sizeof(g));
	rng_init(&g.rng, opt_seed);

	for (cur_op = 1; cur_op <= nops; cur_op++) {
		gen_op(&g, &op);
		if (exec_op(&op))
			break;
		if (main_run && cur_op % PROGRESS_EVERY == 0) {
			double t = now();

			printf("fuzz: %" PRIu64 "/%" PRIu64 " ops, %.1f s, %.0f ops/s\n",
			       cur_op, nops, t - start, PROGRESS_EVERY / (t - last));
			fflush(stdout);
			last = t;
		}
	}
	if (!failed)
		final_check();
	close_all();
	return failed;
}

/* ---- main ---------------------------------------------------------------------------- */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: fuzz [--seed S] [--ops N] [--major M] [--ioctl NUM] [--nodes DIR]\n"
		"            [--module PATH] [--minimize | --no-minimize] [--trace]\n"
		"  --seed S       the sequence's seed (default: from the clock; always printed)\n"
		"  --ops N        operations (default 100000)\n"
		"  --major M      the device's major (default %d)\n"
		"  --ioctl NUM    the set-channel command (default MSG_SLOT_CHANNEL, 0x%lx)\n"
		"  --nodes DIR    where to make the device nodes (default /tmp/fuzz-nodes)\n"
		"  --module PATH  the .ko: reload it before the run and before each\n"
		"                 minimizing attempt, for a clean state\n"
		"  --no-minimize  on a failure, do not look for the shortest failing prefix\n"
		"  --trace        print every operation\n",
		MAJOR_NUM, (unsigned long)MSG_SLOT_CHANNEL);
}

static uint64_t parse_u64(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-')
		die("bad %s: '%s'", what, s);
	return v;
}

static void print_stats(double secs, uint64_t nops, int paths)
{
	int k, i;
	enum path p;

	printf("fuzz: %" PRIu64 " ops in %.1f s: %.0f ops/s; %" PRIu64
	       " read-backs of channels\n", nops, secs, secs > 0 ? (double)nops / secs : 0.0,
	       checks_made);
	for (k = 0; k < NR_OPS; k++) {
		printf("fuzz:   %-5s %9" PRIu64 ":", op_names[k], op_count[k]);
		for (i = 0; i < nresult_errno; i++)
			if (result_count[k][i])
				printf(" %s %" PRIu64, i ? errno_name(result_errno[i]) : "ok",
				       result_count[k][i]);
		printf("\n");
	}
	if (!paths)
		return;
	printf("fuzz: paths of the contract exercised:\n");
	for (p = 0; p < NR_PATHS; p++)
		if (path_applies(p))
			printf("fuzz:   %9" PRIu64 "  %s\n", path_count[p], path_names[p]);
}

/* Paths of the contract never exercised by the main run; prints them. */
static int report_coverage(void)
{
	int missing = 0;
	enum path p;

	for (p = 0; p < NR_PATHS; p++)
		if (path_applies(p) && !path_count[p]) {
			printf("fuzz: never exercised: %s\n", path_names[p]);
			missing++;
		}
	return missing;
}

/*
 * The shortest failing prefix, by binary search between a passing length
 * (0: nothing to fail) and a failing one. Every attempt starts from a clean
 * state and ends with the end-of-run check, so a prefix fails as soon as it
 * holds the operation that went wrong, even one only a later read shows.
 */
static void minimize(uint64_t orig_fail)
{
	static char best_report[sizeof(report)];
	uint64_t lo = 0, hi = 0, best_fail = 0;
	unsigned int n = 1;
	int r;

	printf("fuzz: minimize: looking for the shortest failing prefix "
	       "(binary search, each attempt from a clean state)\n");
	/* First: does the failure come back from a clean state? */
	r = attempt(orig_fail, n++, 0);
	if (r > 0) {
		hi = orig_fail;
	} else if (r == 0 && orig_fail < opt_ops) {
		r = attempt(opt_ops, n++, 0);
		if (r > 0)
			hi = opt_ops;
	}
	if (hi) {
		best_fail = fail_op;
		memcpy(best_report, report, report_len + 1);
	}
	printf("fuzz: minimize: %" PRIu64 " ops: %s\n", hi ? hi : orig_fail,
	       hi ? "fails" : r < 0 ? "no clean state" : "passes");
	while (hi && hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;

		r = attempt(mid, n++, 0);
		if (r < 0) {
			printf("fuzz: minimize: no clean state for more attempts%s; "
			       "stopping here\n", opt_module ? "" : " (out of spare minors)");
			break;
		}
		if (r > 0) {
			printf("fuzz: minimize: %" PRIu64 " ops: fails at %s %" PRIu64 "\n",
			       mid, cur_op > mid ? "the check after op" : "op", fail_op);
			hi = mid;
			best_fail = fail_op;
			memcpy(best_report, report, report_len + 1);
		} else {
			printf("fuzz: minimize: %" PRIu64 " ops: passes\n", mid);
			lo = mid;
		}
	}
	if (!hi) {
		printf("fuzz: the failure did not come back from a clean state%s; "
		       "replay with: make fuzz SEED=%" PRIu64 " N=%" PRIu64 "\n",
		       opt_module ? "" : " on other minors (it may depend on the minor: "
		       "minimize with --module for exact attempts)", opt_seed, orig_fail);
		return;
	}
	printf("fuzz: the failure with %" PRIu64 " ops (at op %" PRIu64 "):\n",
	       hi, best_fail);
	fputs(best_report, stdout);
	printf("fuzz: shortest failing prefix: %" PRIu64 " ops; replay with: "
	       "make fuzz SEED=%" PRIu64 " N=%" PRIu64 "\n", hi, opt_seed, hi);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "ops", required_argument, NULL, 'n' },
		{ "major", required_argument, NULL, 'm' },
		{ "ioctl", required_argument, NULL, 'i' },
		{ "nodes", required_argument, NULL, 'd' },
		{ "module", required_argument, NULL, 'k' },
		{ "minimize", no_argument, NULL, 'M' },
		{ "no-minimize", no_argument, NULL, 'N' },
		{ "trace", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, seed_given = 0, result, fd, i;
	uint64_t orig_fail;
	double start, secs;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			opt_seed = parse_u64(optarg, "seed");
			seed_given = 1;
			break;
		case 'n':
			opt_ops = parse_u64(optarg, "number of operations");
			break;
		case 'm':
			opt_major = (unsigned int)parse_u64(optarg, "major");
			break;
		case 'i':
			opt_ioctl = (unsigned long)parse_u64(optarg, "ioctl command");
			break;
		case 'd':
			opt_nodes = optarg;
			break;
		case 'k':
			opt_module = optarg;
			break;
		case 'M':
			opt_minimize = 1;
			break;
		case 'N':
			opt_minimize = 0;
			break;
		case 't':
			opt_trace = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (!seed_given) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		opt_seed = mix64((uint64_t)ts.tv_sec * 1000000000ull +
				 (uint64_t)ts.tv_nsec) ^ (uint64_t)getpid();
		opt_seed %= 10000000000000ull;	/* short enough to type */
	}
	if (opt_module)
		module_name_of(opt_module, module_name, sizeof(module_name));

	printf("fuzz: seed %" PRIu64 "%s, %" PRIu64 " ops, slots 0 1 2 3 255 of major %u, "
	       "ioctl 0x%lx, %d-bit\n", opt_seed, seed_given ? "" : " (from the clock)",
	       opt_ops, opt_major, opt_ioctl, LONG_IS_64 ? 64 : 32);
	if (opt_module)
		printf("fuzz: clean state: %s is reloaded before the run and before each "
		       "minimizing attempt\n", opt_module);
	else
		printf("fuzz: clean state: assumes a freshly loaded module; minimizing "
		       "attempts use spare minors (4..254)\n");

	for (i = 0; i < NR_MINORS; i++)
		checker_fd[i] = -1;
	for (i = 0; i < NDESC; i++) {
		descs[i].file = -1;
		descs[i].fd = -1;
	}
	setup_memory(opt_seed);
	make_nodes(0);
	if (opt_module && module_reload())
		die("cannot load %s", opt_module);
	fd = open(node_path[0], O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("open %s (char %u:0): %s: is the module loaded?", node_path[0],
		    opt_major, errno_name(errno));
	close(fd);

	start = now();
	result = attempt(opt_ops, 0, 1);
	secs = now() - start;
	if (result < 0)
		die("cannot make a clean state");
	if (!result) {
		int missing;

		print_stats(secs, opt_ops, 1);
		missing = opt_ops >= COVERAGE_MIN_OPS ? report_coverage() : 0;
		if (missing) {
			printf("fuzz: seed %" PRIu64 ", %" PRIu64 " ops, FAILED: %d paths "
			       "of the contract never exercised\n", opt_seed, opt_ops, missing);
			return 1;
		}
		printf("fuzz: seed %" PRIu64 ", %" PRIu64 " ops, OK\n", opt_seed, opt_ops);
		return 0;
	}

	orig_fail = fail_op;
	/* With minimizing, the history comes with the shortest prefix's report. */
	if (opt_minimize)
		report[report_head] = '\0';
	fputs(report, stdout);
	print_stats(secs, orig_fail, 0);
	if (opt_minimize)
		minimize(orig_fail);
	else
		printf("fuzz: replay with: make fuzz SEED=%" PRIu64 " N=%" PRIu64 "\n",
		       opt_seed, orig_fail);
	printf("fuzz: seed %" PRIu64 ", FAILED at op %" PRIu64 "\n", opt_seed, orig_fail);
	return 1;
}
