// SPDX-License-Identifier: GPL-2.0
/*
 * The message slot: an IPC character device.
 *
 * Each minor of major MAJOR_NUM is a slot; each slot maps 32-bit channel ids
 * to channels; each channel holds the last message written to it, which can
 * be read any number of times until it is overwritten. The channel of an
 * open file is chosen with ioctl(MSG_SLOT_CHANNEL) and kept in the file.
 *
 * Channel map: one hash table per slot, chained through the channels
 * themselves (one pointer each). When the slot holds more channels than
 * buckets, a table twice as big is allocated and the channels move to it a
 * few buckets per insert, so no insert waits for a whole resize; a chain
 * grown too long at a normal load gets a table of the same size with a new
 * seed instead. A channel costs its slab object (152 bytes, 26 to a page)
 * plus 8 to 16 bytes of bucket array, whatever its id: dense and scattered
 * ids cost the same.
 *
 * Limits: channels live until the module is unloaded, so their number is
 * bounded per user (max_user_channels, charged to the user who creates the
 * channel; CAP_SYS_RESOURCE is exempt) and in all (max_channels), as the
 * kernel bounds POSIX message queues and epoll watches. Over a limit, the
 * write that would create a channel fails with ENOMEM.
 *
 * Concurrency:
 * - Lookups that find their channel take no lock and never wait: RCU
 *   protects the bucket arrays, and a channel, once created, lives until the
 *   module is unloaded, which cannot happen while a slot file is open.
 *   While a resize runs, a lookup that misses in the current table looks in
 *   the next one too, and a miss that a resize overlapped is confirmed
 *   under the slot's mutex (see msgslot_find()).
 * - Inserts and the resize steps they make are serialized by the slot's
 *   mutex (they allocate, so they may sleep). The channel counts of users
 *   and of the module are guarded by msgslot_limit_lock.
 * - An open file remembers its channel once a read or write has found it
 *   (see msgslot_file_cache()), so later reads and writes skip the lookup.
 *   Its censorship mode (censor=3 or 4) is one bit of the same word.
 * - Each channel's message is guarded by its seqlock. A writer copies the
 *   user's bytes to the stack first (a fault leaves the message as it was),
 *   then stores them under the write lock with a memcpy. A reader copies
 *   the message to the stack without taking the lock, retries (with the
 *   lock) if a writer got in meanwhile, and copies to user space from the
 *   stack. User memory is never touched under a spinlock.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>		/* cmpxchg() */
#include <linux/bits.h>
#include <linux/capability.h>
#include <linux/compiler.h>
#include <linux/cred.h>
#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/init.h>
#include <linux/jhash.h>
#include <linux/kernel.h>		/* upper_32_bits() */
#include <linux/mm.h>			/* kvcalloc(), kvfree() on 5.10 */
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>		/* cond_resched() */
#include <linux/seq_file.h>
#include <linux/seqlock.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/types.h>
#include <linux/uaccess.h>

#include "message_slot.h"

/* Older kernels (5.10) have no such attribute and do not zero the stack. */
#ifndef __uninitialized
#define __uninitialized
#endif

#define MSGSLOT_MINORS		256
#define MSGSLOT_NAME		"message_slot"	/* in /proc/devices */
#define MSGSLOT_MIN_BUCKETS	16
/*
 * The biggest bucket array: kvmalloc() refuses, with a WARN, any request
 * over INT_MAX bytes, and 2^27 pointers is the last power of two below it.
 * Past 2^27 channels a slot's chains just get longer.
 */
#define MSGSLOT_MAX_BUCKETS	BIT(27)
/*
 * Old buckets moved per insert while a resize runs: the resize ends long
 * before the new table is full (one bucket per insert would be enough).
 */
#define MSGSLOT_MOVE_BUCKETS	8
/*
 * An insert that makes a chain longer than this, in a table no fuller
 * than one channel a bucket, starts a rehash: a table of the same size
 * with a new seed, as rhashtable does. With jhash under a random seed such
 * a chain comes about once in 10^13 buckets (Poisson tail at load 1), so
 * it means an unlucky seed or ids chosen against it.
 */
#define MSGSLOT_MAX_CHAIN	16
/*
 * Every allocation a write makes fails rather than warn or wake the OOM
 * killer, the machine's or its memory cgroup's: a first write gets ENOMEM,
 * and a resize (optional: a failed one only leaves longer chains) is tried
 * again later. All are charged to the writer's memory cgroup.
 */
#define MSGSLOT_GFP	(GFP_KERNEL_ACCOUNT | __GFP_NOWARN | __GFP_RETRY_MAYFAIL)
/* max_channels until the module computes its default at load. */
#define MSGSLOT_LIMIT_AUTO	ULONG_MAX

struct msgslot_channel {
	struct msgslot_channel __rcu *next;	/* bucket chain; slot mutex */
	seqlock_t lock;				/* guards len and data */
	u32 id;					/* set before publication */
	u8 len;					/* 1..MSG_SLOT_MAX_LEN */
	u8 data[MSG_SLOT_MAX_LEN];
};

/*
 * The bucket array is an allocation of its own, a power of two in size: a
 * header in the same allocation would make kvmalloc() round it up to the
 * next power of two of pages.
 */
struct msgslot_table {
	struct msgslot_channel __rcu **buckets;
	u32 seed;				/* of the bucket hash */
	u32 mask;				/* buckets - 1 */
	struct rcu_head rcu;
};

/* All but the two table pointers are guarded by the mutex. */
struct msgslot_slot {
	struct msgslot_table __rcu *table;	/* NULL until a first channel */
	struct msgslot_table __rcu *next;	/* the new table, in a resize */
	struct mutex lock;			/* inserts and resize steps */
	unsigned long moved;			/* buckets of table moved to next */
	unsigned long count;			/* channels */
	unsigned long retry_at;			/* no resize before this count */
};

/* Channels created by one user, for max_user_channels. */
struct msgslot_user {
	struct hlist_node node;			/* in msgslot_users */
	kuid_t uid;
	unsigned long channels;			/* msgslot_limit_lock */
};

static struct msgslot_slot msgslot_slots[MSGSLOT_MINORS];

static struct kmem_cache *msgslot_channel_cache;

/* Users who created channels, until unload; and all channels. */
static DEFINE_HASHTABLE(msgslot_users, 6);
static DEFINE_SPINLOCK(msgslot_limit_lock);
static unsigned long msgslot_channels;		/* msgslot_limit_lock */

static struct dentry *msgslot_debugfs;

/*
 * Optional: create /dev/slot0 .. /dev/slot<nodes-1> through devtmpfs. The
 * default, 0, leaves node creation to mknod as the classic flow expects.
 */
static unsigned int nodes;
module_param(nodes, uint, 0444);
MODULE_PARM_DESC(nodes, "create /dev/slot0 .. /dev/slot<nodes-1> (0..256, default 0)");

static ushort node_mode = 0666;
module_param(node_mode, ushort, 0444);
MODULE_PARM_DESC(node_mode, "permissions of the created nodes (default 0666)");

/*
 * The limits, writable at run time. One user may fill one slot with 2^20
 * channels (the contract's promise), about 170 MB; in all, the channels
 * that fit in a quarter of RAM, and never fewer than 2^21: one user's
 * 2^20 leaves as many again to everyone else (root's benchmarks and tests
 * fill a slot with 2^20 beside other channels).
 * Lowering a limit keeps the channels that exist.
 */
static unsigned long max_user_channels = BIT(20);
module_param(max_user_channels, ulong, 0644);
MODULE_PARM_DESC(max_user_channels, "channels one user may create, CAP_SYS_RESOURCE exempt (default 1048576)");

static unsigned long max_channels = MSGSLOT_LIMIT_AUTO;
module_param(max_channels, ulong, 0644);
MODULE_PARM_DESC(max_channels, "channels in all slots (default: a quarter of RAM's worth, at least 2097152)");

/*
 * Censorship (the assignment's spring 2025 and fall 2025/26 terms): with
 * censor=N, ioctl(MSG_SLOT_SET_CEN, 1) makes a file's writes store '#' at
 * every N-th byte. Read-only: it is fixed while the module is loaded.
 */
static unsigned int censor = MSG_SLOT_CENSOR;
module_param(censor, uint, 0444);
MODULE_PARM_DESC(censor, "censorship period: 0 (off, MSG_SLOT_SET_CEN unknown), 3 or 4 (default set by the build)");

/*
 * file->private_data is one word: the file's channel and its censorship
 * mode, so that an open file costs no memory and a read or write sees both
 * in one load. Bit 1 is the mode; the rest is 0 (no channel set), a channel,
 * or an id set by ioctl whose channel this file has not found yet (bit 0
 * set; channels are aligned). The first read or write that finds the
 * channel replaces the id with it, unless an ioctl changed the word
 * meanwhile. Channels live until the module is unloaded, so the pointer
 * never dangles; a read or write racing an ioctl uses the old or the new
 * channel, never a mix. On 32-bit kernels an id does not fit beside the tag
 * bits: the file keeps the id alone, every read and write looks it up, and
 * censorship is not available.
 */
#if BITS_PER_LONG == 64
#define MSGSLOT_FILE_ID		1UL
#define MSGSLOT_FILE_CEN	2UL

static unsigned long msgslot_id_to_file(u32 id)
{
	return ((unsigned long)id << 2) | MSGSLOT_FILE_ID;
}

static bool msgslot_file_is_id(unsigned long v)
{
	return v & MSGSLOT_FILE_ID;
}

static u32 msgslot_file_to_id(unsigned long v)
{
	return v >> 2;
}

static struct msgslot_channel *msgslot_file_to_channel(unsigned long v)
{
	return (struct msgslot_channel *)(v & ~(MSGSLOT_FILE_ID | MSGSLOT_FILE_CEN));
}

static bool msgslot_file_censored(unsigned long v)
{
	return v & MSGSLOT_FILE_CEN;
}

/* Remember @ch in @file if the file's word is still @v. */
static void msgslot_file_cache(struct file *file, unsigned long v,
			       struct msgslot_channel *ch)
{
	cmpxchg(&file->private_data, (void *)v,
		(void *)((unsigned long)ch | (v & MSGSLOT_FILE_CEN)));
}
#else
#define MSGSLOT_FILE_CEN	0UL

static unsigned long msgslot_id_to_file(u32 id)
{
	return id;
}

static bool msgslot_file_is_id(unsigned long v)
{
	return true;
}

static u32 msgslot_file_to_id(unsigned long v)
{
	return v;
}

static struct msgslot_channel *msgslot_file_to_channel(unsigned long v)
{
	return NULL;
}

static bool msgslot_file_censored(unsigned long v)
{
	return false;
}

static void msgslot_file_cache(struct file *file, unsigned long v,
			       struct msgslot_channel *ch)
{
}
#endif

/* No channel set: the word holds at most the mode. */
static bool msgslot_file_has_channel(unsigned long v)
{
	return v & ~MSGSLOT_FILE_CEN;
}

/* The file's word, for one read or write. */
static unsigned long msgslot_file_word(struct file *file)
{
	return (unsigned long)READ_ONCE(file->private_data);
}

/*
 * Replace the bits of @mask in the file's word with @bits, atomically: a
 * read or write that caches its channel at the same time (a cmpxchg from
 * the old word) then fails to, instead of undoing this change.
 */
static void msgslot_file_update(struct file *file, unsigned long mask,
				unsigned long bits)
{
	unsigned long old, cur = msgslot_file_word(file);

	do {
		old = cur;
		cur = (unsigned long)cmpxchg(&file->private_data, (void *)old,
					     (void *)((old & ~mask) | bits));
	} while (cur != old);
}

static struct msgslot_slot *msgslot_file_slot(struct file *file)
{
	return &msgslot_slots[iminor(file_inode(file))];
}

static struct msgslot_channel __rcu **msgslot_bucket(struct msgslot_table *t,
						     u32 id)
{
	return &t->buckets[jhash_1word(id, t->seed) & t->mask];
}

/* Lockless walk of @id's chain; the caller holds rcu_read_lock(). */
static struct msgslot_channel *msgslot_lookup_rcu(struct msgslot_table *t,
						  u32 id)
{
	struct msgslot_channel *ch;

	for (ch = rcu_dereference(*msgslot_bucket(t, id)); ch;
	     ch = rcu_dereference(ch->next))
		if (ch->id == id)
			return ch;
	return NULL;
}

static struct msgslot_channel *msgslot_lookup_one(struct msgslot_table *t,
						  u32 id, struct mutex *lock)
{
	struct msgslot_channel *ch;

	for (ch = rcu_dereference_protected(*msgslot_bucket(t, id),
					    lockdep_is_held(lock));
	     ch; ch = rcu_dereference_protected(ch->next, lockdep_is_held(lock)))
		if (ch->id == id)
			return ch;
	return NULL;
}

/* The same lookup under the slot's mutex, which no resize step overlaps. */
static struct msgslot_channel *msgslot_lookup_locked(struct msgslot_slot *slot,
						     u32 id)
{
	struct msgslot_table *t, *next;
	struct msgslot_channel *ch;

	t = rcu_dereference_protected(slot->table, lockdep_is_held(&slot->lock));
	if (!t)
		return NULL;
	ch = msgslot_lookup_one(t, id, &slot->lock);
	next = rcu_dereference_protected(slot->next, lockdep_is_held(&slot->lock));
	if (!ch && next)
		ch = msgslot_lookup_one(next, id, &slot->lock);
	return ch;
}

/*
 * Channel @id of @slot, or NULL if it has none; the pointer stays valid
 * until the module is unloaded. A hit takes no lock. A resize moves each
 * chain a channel at a time, from its head, so a lookup standing on a
 * moved channel walks on into the next table's chain and can miss the
 * channels still in the old one: a miss is trusted only if no resize
 * overlapped the walk (no next table, and the same table after it), and
 * is otherwise looked up again under the slot's mutex, which no resize
 * step overlaps. Misses are rare (a first write, or a read of a channel
 * never written) and resizes short.
 */
static struct msgslot_channel *msgslot_find(struct msgslot_slot *slot, u32 id)
{
	struct msgslot_table *t, *next;
	struct msgslot_channel *ch = NULL;
	bool sure = false;

	rcu_read_lock();
	t = rcu_dereference(slot->table);
	if (t)
		ch = msgslot_lookup_rcu(t, id);
	if (!ch) {
		/* Moves begin after next is published. */
		smp_rmb();
		next = rcu_dereference(slot->next);
		if (next)
			ch = msgslot_lookup_rcu(next, id);
		/* A resize ends by publishing its table, then clearing next. */
		smp_rmb();
		sure = !next && rcu_access_pointer(slot->table) == t;
	}
	rcu_read_unlock();
	if (ch || sure)
		return ch;

	mutex_lock(&slot->lock);
	ch = msgslot_lookup_locked(slot, id);
	mutex_unlock(&slot->lock);
	return ch;
}

static struct msgslot_table *msgslot_table_alloc(unsigned long buckets)
{
	struct msgslot_table *t;

	t = kmalloc(sizeof(*t), MSGSLOT_GFP);
	if (!t)
		return NULL;
	t->buckets = kvcalloc(buckets, sizeof(*t->buckets), MSGSLOT_GFP);
	if (!t->buckets) {
		kfree(t);
		return NULL;
	}
	t->seed = get_random_u32();
	t->mask = buckets - 1;
	return t;
}

static void msgslot_table_free(struct msgslot_table *t)
{
	kvfree(t->buckets);
	kfree(t);
}

static void msgslot_table_free_rcu(struct rcu_head *head)
{
	msgslot_table_free(container_of(head, struct msgslot_table, rcu));
}

/*
 * Move the channels of bucket @i of @old to @new, head first, in one pass:
 * each is linked into @new before it leaves @old, so a lookup finds it in
 * one or the other, and a lookup that walks on from a moved channel into
 * @new sees slot->next set and confirms its miss (msgslot_find()).
 */
static void msgslot_move_bucket(struct msgslot_slot *slot,
				struct msgslot_table *old,
				struct msgslot_table *new, unsigned long i)
{
	struct msgslot_channel __rcu **b;
	struct msgslot_channel *ch, *rest;

	while ((ch = rcu_dereference_protected(old->buckets[i],
					       lockdep_is_held(&slot->lock)))) {
		rest = rcu_dereference_protected(ch->next, lockdep_is_held(&slot->lock));
		b = msgslot_bucket(new, ch->id);
		rcu_assign_pointer(ch->next,
				   rcu_dereference_protected(*b, lockdep_is_held(&slot->lock)));
		rcu_assign_pointer(*b, ch);
		/* A release store: published in @new before it leaves @old. */
		rcu_assign_pointer(old->buckets[i], rest);
	}
}

/*
 * One step of a resize: move up to MSGSLOT_MOVE_BUCKETS buckets from the
 * current table to the next one; after the last, make the next table the
 * current one and free the old one after a grace period.
 */
static void msgslot_resize_step(struct msgslot_slot *slot)
{
	struct msgslot_table *t, *next;
	int n;

	t = rcu_dereference_protected(slot->table, lockdep_is_held(&slot->lock));
	next = rcu_dereference_protected(slot->next, lockdep_is_held(&slot->lock));
	for (n = 0; n < MSGSLOT_MOVE_BUCKETS && slot->moved <= t->mask; n++)
		msgslot_move_bucket(slot, t, next, slot->moved++);
	if (slot->moved <= t->mask)
		return;
	rcu_assign_pointer(slot->table, next);
	/* Lookups read table again after next: clear next after it. */
	smp_wmb();
	RCU_INIT_POINTER(slot->next, NULL);
	call_rcu(&t->rcu, msgslot_table_free_rcu);
}

/*
 * Start a resize of @t to a table of @buckets: twice as many, or as many
 * with a new seed. If it cannot be allocated, keep @t (chains get longer,
 * nothing fails) and try again after as many inserts again as @t has
 * buckets, so that a shortage of memory costs one attempt per doubling.
 */
static void msgslot_resize(struct msgslot_slot *slot, struct msgslot_table *t,
			   unsigned long buckets)
{
	struct msgslot_table *next = msgslot_table_alloc(buckets);

	if (!next) {
		slot->retry_at = slot->count + (unsigned long)t->mask + 1;
		return;
	}
	slot->moved = 0;
	rcu_assign_pointer(slot->next, next);
	msgslot_resize_step(slot);
}

/* Link the initialized channel @ch into @slot. Called with the mutex held. */
static int msgslot_insert(struct msgslot_slot *slot, struct msgslot_channel *ch)
{
	struct msgslot_table *t, *next;
	struct msgslot_channel __rcu **b;
	struct msgslot_channel *c;
	unsigned long buckets;
	unsigned int chain = 0;

	t = rcu_dereference_protected(slot->table, lockdep_is_held(&slot->lock));
	if (!t) {
		t = msgslot_table_alloc(MSGSLOT_MIN_BUCKETS);
		if (!t)
			return -ENOMEM;
		rcu_assign_pointer(slot->table, t);
	}
	/* While a resize runs, new channels go to the next table. */
	next = rcu_dereference_protected(slot->next, lockdep_is_held(&slot->lock));
	b = msgslot_bucket(next ?: t, ch->id);
	for (c = rcu_dereference_protected(*b, lockdep_is_held(&slot->lock));
	     c && chain < MSGSLOT_MAX_CHAIN;
	     c = rcu_dereference_protected(c->next, lockdep_is_held(&slot->lock)))
		chain++;
	RCU_INIT_POINTER(ch->next,
			 rcu_dereference_protected(*b, lockdep_is_held(&slot->lock)));
	/* The message is in place before the channel becomes visible. */
	rcu_assign_pointer(*b, ch);
	slot->count++;

	if (next) {
		msgslot_resize_step(slot);
		return 0;
	}
	buckets = (unsigned long)t->mask + 1;
	if (slot->count < slot->retry_at)
		return 0;
	if (slot->count > buckets && buckets < MSGSLOT_MAX_BUCKETS)
		msgslot_resize(slot, t, buckets * 2);
	else if (chain >= MSGSLOT_MAX_CHAIN && slot->count <= buckets)
		msgslot_resize(slot, t, buckets);
	return 0;
}

static void msgslot_store(struct msgslot_channel *ch, const void *msg,
			  size_t len)
{
	write_seqlock(&ch->lock);
	ch->len = len;
	memcpy(ch->data, msg, len);
	write_sequnlock(&ch->lock);
}

static struct msgslot_user *msgslot_user_find(kuid_t uid)
{
	struct msgslot_user *u;

	hash_for_each_possible(msgslot_users, u, node, __kuid_val(uid))
		if (uid_eq(u->uid, uid))
			return u;
	return NULL;
}

/* The entry of user @uid, made on the user's first channel; NULL if no memory. */
static struct msgslot_user *msgslot_user_get(kuid_t uid)
{
	struct msgslot_user *u, *new;

	spin_lock(&msgslot_limit_lock);
	u = msgslot_user_find(uid);
	spin_unlock(&msgslot_limit_lock);
	if (u)
		return u;

	new = kmalloc(sizeof(*new), MSGSLOT_GFP);
	if (!new)
		return NULL;
	new->uid = uid;
	new->channels = 0;
	spin_lock(&msgslot_limit_lock);
	u = msgslot_user_find(uid);
	if (!u) {
		hash_add(msgslot_users, &new->node, __kuid_val(uid));
		u = new;
		new = NULL;
	}
	spin_unlock(&msgslot_limit_lock);
	kfree(new);
	return u;
}

/*
 * Count a new channel of @user against the limits, or fail with -ENOMEM
 * (and one rate-limited line naming the limit). CAP_SYS_RESOURCE is
 * asked for only when the user is at the limit, outside the spinlock:
 * capable() may audit.
 */
static int msgslot_charge(struct msgslot_user *user)
{
	bool exempt = false;
	const char *limit;

	for (;;) {
		spin_lock(&msgslot_limit_lock);
		if (msgslot_channels >= READ_ONCE(max_channels)) {
			limit = "max_channels";
			break;
		}
		if (exempt || user->channels < READ_ONCE(max_user_channels)) {
			user->channels++;
			msgslot_channels++;
			spin_unlock(&msgslot_limit_lock);
			return 0;
		}
		spin_unlock(&msgslot_limit_lock);
		if (exempt || !capable(CAP_SYS_RESOURCE)) {
			limit = "max_user_channels";
			goto out_refuse;
		}
		exempt = true;
	}
	spin_unlock(&msgslot_limit_lock);
out_refuse:
	pr_warn_ratelimited("uid %u: no new channel: the %s limit is reached\n",
			    from_kuid_munged(&init_user_ns, user->uid), limit);
	return -ENOMEM;
}

static void msgslot_uncharge(struct msgslot_user *user)
{
	spin_lock(&msgslot_limit_lock);
	user->channels--;
	msgslot_channels--;
	spin_unlock(&msgslot_limit_lock);
}

/*
 * Create channel @id of @slot holding the message @msg of @len bytes, and
 * return it in *@chp. If another writer created it first, store the
 * message in that one instead: only the writer that inserts the channel
 * charges it to its user, under the slot's mutex.
 */
static int msgslot_channel_create(struct msgslot_slot *slot, u32 id,
				  const void *msg, size_t len,
				  struct msgslot_channel **chp)
{
	struct msgslot_channel *ch, *old;
	struct msgslot_user *user;
	int ret = 0;

	user = msgslot_user_get(current_uid());
	if (!user)
		return -ENOMEM;
	ch = kmem_cache_alloc(msgslot_channel_cache, MSGSLOT_GFP);
	if (!ch)
		return -ENOMEM;
	seqlock_init(&ch->lock);
	ch->id = id;
	ch->len = len;
	memcpy(ch->data, msg, len);

	mutex_lock(&slot->lock);
	old = msgslot_lookup_locked(slot, id);
	if (!old) {
		ret = msgslot_charge(user);
		if (!ret) {
			ret = msgslot_insert(slot, ch);
			if (ret)
				msgslot_uncharge(user);
		}
	}
	mutex_unlock(&slot->lock);
	if (old || ret) {
		kmem_cache_free(msgslot_channel_cache, ch);
		if (old)
			msgslot_store(old, msg, len);
		ch = old;
	}
	*chp = ch;
	return ret;
}

/*
 * Copy @ch's message to @msg and return its length. The first pass takes no
 * lock; if a writer got in meanwhile, the second holds the lock, so writers
 * cannot starve a reader. Copying straight to user space instead would save
 * a memcpy, but a pass that is retried could leave bytes of a longer message
 * beyond the end of the final one in the user's buffer, and only the
 * message's bytes may be written.
 */
static size_t msgslot_snapshot(struct msgslot_channel *ch, void *msg)
{
	unsigned int seq;
	size_t msg_len;

	seq = read_seqbegin(&ch->lock);
	msg_len = READ_ONCE(ch->len);
	memcpy(msg, ch->data, msg_len);
	if (!read_seqretry(&ch->lock, seq))
		return msg_len;

	read_seqlock_excl(&ch->lock);
	msg_len = ch->len;
	memcpy(msg, ch->data, msg_len);
	read_sequnlock_excl(&ch->lock);
	return msg_len;
}

/*
 * Copy the @len bytes (1..MSG_SLOT_MAX_LEN) of a message between user space
 * and a buffer on the stack; only the message's bytes are read or written.
 * Return 0, or -EFAULT if a byte is not accessible.
 *
 * These are plain copy_from_user() and copy_to_user(). The module once had
 * loops of eight-byte unsafe_get_user()/unsafe_put_user() here instead,
 * because QEMU's TCG emulates the "rep movsb" that copy_*_user() use from
 * 64 bytes up (on a CPU with ERMS) one byte at a time, which made the slot
 * look slow beside /dev/zero under emulation. A real CPU runs that
 * instruction fast. Under make bench's method (TCG with -cpu max,erms=off,
 * for every column alike) the loops saved at most 5 % of a write+read
 * pair, and counted in instructions (-icount) the plain copies execute
 * 3 % fewer: what the loops saved is TCG's cost of "rep movsq", not work a
 * real CPU does (docs/performance.md has both measurements).
 */
static int msgslot_from_user(u64 *dst, const char __user *src, size_t len)
{
	return copy_from_user(dst, src, len) ? -EFAULT : 0;
}

static int msgslot_to_user(char __user *dst, const u64 *src, size_t len)
{
	return copy_to_user(dst, src, len) ? -EFAULT : 0;
}

/* Every censor-th byte of the message (1-based) becomes MSG_SLOT_CEN_CHAR. */
static void msgslot_censor(u8 *msg, size_t len)
{
	size_t i;

	for (i = censor - 1; i < len; i += censor)
		msg[i] = MSG_SLOT_CEN_CHAR;
}

static int msgslot_open(struct inode *inode, struct file *file)
{
	file->private_data = NULL;
	/* Messages have no offset: lseek, pread and pwrite fail with ESPIPE. */
	return nonseekable_open(inode, file);
}

static long msgslot_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	/*
	 * The contract wants EINVAL for an unknown command too, not the
	 * usual ENOTTY. Both encodings of each command (see message_slot.h)
	 * are the same command; MSG_SLOT_SET_CEN exists only with censor=N.
	 */
	switch (cmd) {
	case MSG_SLOT_CHANNEL:
	case MSG_SLOT_CHANNEL_UL:
		/* The id is a 32-bit value: a larger one must not alias a channel. */
		if (!arg || upper_32_bits(arg))
			return -EINVAL;
		/* A new channel; the censorship mode stays. */
		msgslot_file_update(file, ~MSGSLOT_FILE_CEN, msgslot_id_to_file(arg));
		return 0;
	case MSG_SLOT_SET_CEN:
	case MSG_SLOT_SET_CEN_UL:
		if (!censor || arg > 1)
			return -EINVAL;
		/* A new mode; the channel stays. */
		msgslot_file_update(file, MSGSLOT_FILE_CEN, arg ? MSGSLOT_FILE_CEN : 0);
		return 0;
	default:
		return -EINVAL;
	}
}

static ssize_t msgslot_write(struct file *file, const char __user *ubuf,
			     size_t len, loff_t *ppos)
{
	/* Filled before use, and only @len bytes are used: no zeroing. */
	u64 msg[MSG_SLOT_MAX_LEN / sizeof(u64)] __uninitialized;
	unsigned long v = msgslot_file_word(file);
	struct msgslot_slot *slot;
	struct msgslot_channel *ch;
	int ret;

	/* The contract fixes this order: channel, size, buffer, memory. */
	if (!msgslot_file_has_channel(v))
		return -EINVAL;
	if (len == 0 || len > MSG_SLOT_MAX_LEN)
		return -EMSGSIZE;
	/*
	 * Copy first, outside any lock: a fault leaves the channel as it was.
	 * The contract wants EINVAL for a bad buffer, not the usual EFAULT.
	 */
	if (msgslot_from_user(msg, ubuf, len))
		return -EINVAL;
	/* What is stored is the censored message. */
	if (msgslot_file_censored(v))
		msgslot_censor((u8 *)msg, len);

	if (!msgslot_file_is_id(v)) {
		msgslot_store(msgslot_file_to_channel(v), msg, len);
		return len;
	}
	slot = msgslot_file_slot(file);
	ch = msgslot_find(slot, msgslot_file_to_id(v));
	if (ch) {
		msgslot_store(ch, msg, len);
	} else {
		ret = msgslot_channel_create(slot, msgslot_file_to_id(v), msg,
					     len, &ch);
		if (ret)
			return ret;
	}
	msgslot_file_cache(file, v, ch);
	return len;
}

static ssize_t msgslot_read(struct file *file, char __user *ubuf,
			    size_t len, loff_t *ppos)
{
	/* Filled before use, and only the message's bytes are used. */
	u64 msg[MSG_SLOT_MAX_LEN / sizeof(u64)] __uninitialized;
	unsigned long v = msgslot_file_word(file);
	struct msgslot_channel *ch;
	size_t msg_len;

	/* The contract fixes this order: channel, message, size, buffer. */
	if (!msgslot_file_has_channel(v))
		return -EINVAL;
	if (!msgslot_file_is_id(v)) {
		ch = msgslot_file_to_channel(v);
	} else {
		ch = msgslot_find(msgslot_file_slot(file), msgslot_file_to_id(v));
		if (!ch)
			return -EWOULDBLOCK;
		msgslot_file_cache(file, v, ch);
	}

	msg_len = msgslot_snapshot(ch, msg);
	if (len < msg_len)
		return -ENOSPC;
	/* EINVAL, not EFAULT: the contract's choice, as in write. */
	if (msgslot_to_user(ubuf, msg, msg_len))
		return -EINVAL;
	return msg_len;
}

static const struct file_operations msgslot_fops = {
	.owner		= THIS_MODULE,
	.open		= msgslot_open,
	.read		= msgslot_read,
	.write		= msgslot_write,
	.unlocked_ioctl	= msgslot_ioctl,
	/* The argument is a value, not a pointer: no conversion needed. */
	.compat_ioctl	= msgslot_ioctl,
};

static char *msgslot_devnode(const struct device *dev, umode_t *mode)
{
	if (mode)
		*mode = node_mode;
	return NULL;
}

static char *msgslot_devnode_nonconst(struct device *dev, umode_t *mode)
{
	return msgslot_devnode(dev, mode);
}

/*
 * class.devnode's device became const in 6.2: pick the callback that
 * matches this kernel's type rather than its version number, so that
 * backports build too. A static class with class_register() builds on
 * every kernel; class_create() lost its owner argument in 6.4.
 */
#define msgslot_devnode_for(type)					\
	__builtin_choose_expr(__builtin_types_compatible_p(type,	\
		char *(*)(const struct device *, umode_t *)),		\
		msgslot_devnode, msgslot_devnode_nonconst)

static struct class msgslot_class = {
	.name		= MSGSLOT_NAME,
	.devnode	= msgslot_devnode_for(typeof(((struct class *)NULL)->devnode)),
};

static void msgslot_destroy_nodes(unsigned int count)
{
	while (count--)
		device_destroy(&msgslot_class, MKDEV(MAJOR_NUM, count));
	class_unregister(&msgslot_class);
}

static int msgslot_create_nodes(void)
{
	struct device *dev;
	unsigned int minor;
	int ret;

	ret = class_register(&msgslot_class);
	if (ret)
		return ret;
	for (minor = 0; minor < nodes; minor++) {
		dev = device_create(&msgslot_class, NULL, MKDEV(MAJOR_NUM, minor),
				    NULL, "slot%u", minor);
		if (IS_ERR(dev)) {
			msgslot_destroy_nodes(minor);
			return PTR_ERR(dev);
		}
	}
	return 0;
}

static void msgslot_free_table(struct msgslot_table *t)
{
	struct msgslot_channel *ch, *next;
	unsigned long i;

	for (i = 0; i <= t->mask; i++) {
		for (ch = rcu_dereference_protected(t->buckets[i], 1); ch; ch = next) {
			next = rcu_dereference_protected(ch->next, 1);
			kmem_cache_free(msgslot_channel_cache, ch);
		}
		if (!(i & 4095))
			cond_resched();
	}
	msgslot_table_free(t);
}

/*
 * /sys/kernel/debug/message_slot/usage: the limits, and what each slot and
 * each user holds. Several values in one file, read by people and tests,
 * with no promise of a stable format: debugfs, not sysfs (one value a
 * file) nor /proc. A slot's bytes are its channels' slab objects and its
 * bucket arrays; its longest chain shows the hash table's health.
 */
static unsigned long msgslot_longest_chain(struct msgslot_slot *slot,
					   struct msgslot_table *t)
{
	struct msgslot_channel *ch;
	unsigned long i, n, longest = 0;

	for (i = 0; i <= t->mask; i++) {
		n = 0;
		for (ch = rcu_dereference_protected(t->buckets[i], lockdep_is_held(&slot->lock));
		     ch; ch = rcu_dereference_protected(ch->next, lockdep_is_held(&slot->lock)))
			n++;
		longest = max(longest, n);
		if (!(i & 4095))
			cond_resched();
	}
	return longest;
}

static int msgslot_usage_show(struct seq_file *m, void *unused)
{
	struct msgslot_table *t[2];
	struct msgslot_slot *slot;
	struct msgslot_user *u;
	unsigned long bytes, buckets, longest;
	int minor, i, bkt;

	spin_lock(&msgslot_limit_lock);
	seq_printf(m, "max_channels %lu\nmax_user_channels %lu\nchannels %lu\n",
		   READ_ONCE(max_channels), READ_ONCE(max_user_channels),
		   msgslot_channels);
	seq_puts(m, "\nuid channels\n");
	hash_for_each(msgslot_users, bkt, u, node)
		seq_printf(m, "%u %lu\n", from_kuid_munged(seq_user_ns(m), u->uid),
			   u->channels);
	spin_unlock(&msgslot_limit_lock);

	seq_puts(m, "\nslot channels bytes buckets longest_chain\n");
	for (minor = 0; minor < MSGSLOT_MINORS; minor++) {
		slot = &msgslot_slots[minor];
		mutex_lock(&slot->lock);
		t[0] = rcu_dereference_protected(slot->table, lockdep_is_held(&slot->lock));
		t[1] = rcu_dereference_protected(slot->next, lockdep_is_held(&slot->lock));
		bytes = slot->count * kmem_cache_size(msgslot_channel_cache);
		buckets = 0;
		longest = 0;
		for (i = 0; i < 2 && t[i]; i++) {
			buckets += (unsigned long)t[i]->mask + 1;
			bytes += sizeof(*t[i]) +
				 ((unsigned long)t[i]->mask + 1) * sizeof(*t[i]->buckets);
			longest = max(longest, msgslot_longest_chain(slot, t[i]));
		}
		if (t[0])
			seq_printf(m, "%d %lu %lu %lu %lu\n", minor, slot->count,
				   bytes, buckets, longest);
		mutex_unlock(&slot->lock);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(msgslot_usage);

static void msgslot_free_users(void)
{
	struct hlist_node *tmp;
	struct msgslot_user *u;
	int bkt;

	hash_for_each_safe(msgslot_users, bkt, tmp, u, node)
		kfree(u);
}

static void msgslot_free_channels(void)
{
	struct msgslot_table *t;
	int minor;

	for (minor = 0; minor < MSGSLOT_MINORS; minor++) {
		/* In a resize, the moved buckets of table are empty. */
		t = rcu_dereference_protected(msgslot_slots[minor].next, 1);
		if (t)
			msgslot_free_table(t);
		t = rcu_dereference_protected(msgslot_slots[minor].table, 1);
		if (t)
			msgslot_free_table(t);
	}
}

static int __init msgslot_init(void)
{
	int minor, ret;

	if (nodes > MSGSLOT_MINORS || node_mode > 0777) {
		pr_err("nodes=%u node_mode=0%o: at most %d nodes, mode at most 0777\n",
		       nodes, node_mode, MSGSLOT_MINORS);
		return -EINVAL;
	}
	/* The mode needs a bit of the file's word beside the id (64-bit). */
	if ((censor && censor != 3 && censor != 4) ||
	    (censor && BITS_PER_LONG != 64)) {
		pr_err("censor=%u: 0, 3 or 4 (and 3 or 4 only on 64-bit kernels)\n",
		       censor);
		return -EINVAL;
	}

	msgslot_channel_cache = KMEM_CACHE(msgslot_channel, SLAB_ACCOUNT);
	if (!msgslot_channel_cache)
		return -ENOMEM;
	/* A quarter of RAM, a channel being its object and a bucket pointer. */
	if (max_channels == MSGSLOT_LIMIT_AUTO)
		max_channels = max((totalram_pages() << PAGE_SHIFT) / 4 /
				   (kmem_cache_size(msgslot_channel_cache) + sizeof(void *)),
				   BIT(21));
	for (minor = 0; minor < MSGSLOT_MINORS; minor++)
		mutex_init(&msgslot_slots[minor].lock);

	/* 235 is in the dynamic range (234-254) and may already be taken. */
	ret = register_chrdev(MAJOR_NUM, MSGSLOT_NAME, &msgslot_fops);
	if (ret < 0) {
		pr_err("cannot register major %d: error %d\n", MAJOR_NUM, ret);
		goto out_destroy_cache;
	}

	if (nodes) {
		ret = msgslot_create_nodes();
		if (ret) {
			pr_err("cannot create /dev/slot* nodes: error %d\n", ret);
			goto out_unregister_chrdev;
		}
	}
	/* Optional: without debugfs the module works, with no usage file. */
	msgslot_debugfs = debugfs_create_dir(MSGSLOT_NAME, NULL);
	debugfs_create_file("usage", 0444, msgslot_debugfs, NULL, &msgslot_usage_fops);
	return 0;

out_unregister_chrdev:
	unregister_chrdev(MAJOR_NUM, MSGSLOT_NAME);
out_destroy_cache:
	kmem_cache_destroy(msgslot_channel_cache);
	return ret;
}

static void __exit msgslot_exit(void)
{
	debugfs_remove_recursive(msgslot_debugfs);
	if (nodes)
		msgslot_destroy_nodes(nodes);
	unregister_chrdev(MAJOR_NUM, MSGSLOT_NAME);
	/* Bucket arrays replaced by a resize are freed by RCU callbacks. */
	rcu_barrier();
	msgslot_free_channels();
	msgslot_free_users();
	kmem_cache_destroy(msgslot_channel_cache);
}

module_init(msgslot_init);
module_exit(msgslot_exit);

/* Opening a node of major 235 loads the module (request_module). */
MODULE_ALIAS_CHARDEV_MAJOR(MAJOR_NUM);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Message slot: an IPC character device of channels holding one message each");
MODULE_AUTHOR("message-slot developers");
