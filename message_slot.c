// SPDX-License-Identifier: GPL-2.0
/*
 * The message slot: an IPC character device.
 *
 * Each minor of major MAJOR_NUM is a slot; each slot maps 32-bit channel ids
 * to channels; each channel holds the last message written to it, which can
 * be read any number of times until it is overwritten. The channel of an
 * open file is chosen with ioctl(MSG_SLOT_CHANNEL) and kept in the file.
 *
 * Concurrency: a slot's channel map is an xarray (its own spinlock for
 * inserts, RCU for lookups). A channel, once created, lives until the module
 * is unloaded, which cannot happen while a slot file is open, so a looked-up
 * channel pointer stays valid for the whole system call. Each channel's
 * message is guarded by the channel's spinlock, held only for a memcpy of at
 * most MSG_SLOT_MAX_LEN bytes between the channel and a kernel buffer on the
 * stack: copy_from_user() and copy_to_user() run outside every lock, so a
 * reader never sees a torn message and a faulting user buffer never touches
 * the stored one.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compiler.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/kernel.h>		/* upper_32_bits() */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/types.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "message_slot.h"

#define MSGSLOT_MINORS	256
#define MSGSLOT_NAME	"message_slot"	/* in /proc/devices */

struct msgslot_channel {
	spinlock_t lock;			/* guards len and data */
	u8 len;					/* 1..MSG_SLOT_MAX_LEN */
	u8 data[MSG_SLOT_MAX_LEN];
};

/*
 * One channel map per minor. Index: channel id; entry: struct
 * msgslot_channel. Entries are only ever added while the module is loaded,
 * and all are freed in msgslot_exit().
 */
static struct xarray msgslot_slots[MSGSLOT_MINORS];

static struct kmem_cache *msgslot_channel_cache;

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
 * The channel id of an open file lives in file->private_data (0: none set),
 * so an open file costs no memory. ioctl may change it while another thread
 * writes through the same file, hence READ_ONCE/WRITE_ONCE.
 */
static u32 msgslot_file_channel(struct file *file)
{
	return (u32)(uintptr_t)READ_ONCE(file->private_data);
}

static struct xarray *msgslot_file_slot(struct file *file)
{
	return &msgslot_slots[iminor(file_inode(file))];
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
	 * usual ENOTTY. Both encodings of command 0 (see message_slot.h) are
	 * the same command.
	 */
	if (cmd != MSG_SLOT_CHANNEL && cmd != MSG_SLOT_CHANNEL_UL)
		return -EINVAL;
	/* The id is a 32-bit value: a larger one must not alias a channel. */
	if (!arg || upper_32_bits(arg))
		return -EINVAL;

	WRITE_ONCE(file->private_data, (void *)(uintptr_t)arg);
	return 0;
}

/*
 * Create channel @id of @slot holding the message @msg of @len bytes, and
 * publish it. The message is in place before the channel is visible, so a
 * reader never finds a created but empty channel. If another writer
 * published the channel first, store the message in that one instead.
 */
static int msgslot_channel_create(struct xarray *slot, u32 id,
				  const u8 *msg, size_t len)
{
	struct msgslot_channel *ch, *old;

	ch = kmem_cache_alloc(msgslot_channel_cache, GFP_KERNEL_ACCOUNT);
	if (!ch)
		return -ENOMEM;
	spin_lock_init(&ch->lock);
	ch->len = len;
	memcpy(ch->data, msg, len);

	old = xa_cmpxchg(slot, id, NULL, ch, GFP_KERNEL_ACCOUNT);
	if (!old)
		return 0;
	kmem_cache_free(msgslot_channel_cache, ch);
	if (xa_is_err(old))
		return xa_err(old);

	spin_lock(&old->lock);
	old->len = len;
	memcpy(old->data, msg, len);
	spin_unlock(&old->lock);
	return 0;
}

static ssize_t msgslot_write(struct file *file, const char __user *ubuf,
			     size_t len, loff_t *ppos)
{
	struct xarray *slot = msgslot_file_slot(file);
	u32 id = msgslot_file_channel(file);
	struct msgslot_channel *ch;
	u8 msg[MSG_SLOT_MAX_LEN];
	int ret;

	/* The contract fixes this order: channel, size, buffer, memory. */
	if (!id)
		return -EINVAL;
	if (len == 0 || len > MSG_SLOT_MAX_LEN)
		return -EMSGSIZE;
	/*
	 * Copy first, outside any lock: a fault leaves the channel as it was.
	 * The contract wants EINVAL for a bad buffer, not the usual EFAULT.
	 */
	if (copy_from_user(msg, ubuf, len))
		return -EINVAL;

	ch = xa_load(slot, id);
	if (!ch) {
		ret = msgslot_channel_create(slot, id, msg, len);
		if (ret)
			return ret;
		return len;
	}

	spin_lock(&ch->lock);
	ch->len = len;
	memcpy(ch->data, msg, len);
	spin_unlock(&ch->lock);
	return len;
}

static ssize_t msgslot_read(struct file *file, char __user *ubuf,
			    size_t len, loff_t *ppos)
{
	u32 id = msgslot_file_channel(file);
	struct msgslot_channel *ch;
	u8 msg[MSG_SLOT_MAX_LEN];
	size_t msg_len;

	/* The contract fixes this order: channel, message, size, buffer. */
	if (!id)
		return -EINVAL;
	ch = xa_load(msgslot_file_slot(file), id);
	if (!ch)
		return -EWOULDBLOCK;

	/* Snapshot under the lock, copy to user space after releasing it. */
	spin_lock(&ch->lock);
	msg_len = ch->len;
	memcpy(msg, ch->data, msg_len);
	spin_unlock(&ch->lock);

	if (len < msg_len)
		return -ENOSPC;
	/* EINVAL, not EFAULT: the contract's choice, as in write. */
	if (copy_to_user(ubuf, msg, msg_len))
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

static void msgslot_free_channels(void)
{
	struct msgslot_channel *ch;
	unsigned long id;
	int minor;

	for (minor = 0; minor < MSGSLOT_MINORS; minor++) {
		xa_for_each(&msgslot_slots[minor], id, ch)
			kmem_cache_free(msgslot_channel_cache, ch);
		xa_destroy(&msgslot_slots[minor]);
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

	msgslot_channel_cache = KMEM_CACHE(msgslot_channel, SLAB_ACCOUNT);
	if (!msgslot_channel_cache)
		return -ENOMEM;
	for (minor = 0; minor < MSGSLOT_MINORS; minor++)
		xa_init_flags(&msgslot_slots[minor], XA_FLAGS_ACCOUNT);

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
	return 0;

out_unregister_chrdev:
	unregister_chrdev(MAJOR_NUM, MSGSLOT_NAME);
out_destroy_cache:
	kmem_cache_destroy(msgslot_channel_cache);
	return ret;
}

static void __exit msgslot_exit(void)
{
	if (nodes)
		msgslot_destroy_nodes(nodes);
	unregister_chrdev(MAJOR_NUM, MSGSLOT_NAME);
	msgslot_free_channels();
	kmem_cache_destroy(msgslot_channel_cache);
}

module_init(msgslot_init);
module_exit(msgslot_exit);

/* Opening a node of major 235 loads the module (request_module). */
MODULE_ALIAS_CHARDEV_MAJOR(MAJOR_NUM);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Message slot: an IPC character device of channels holding one message each");
MODULE_AUTHOR("message-slot developers");
