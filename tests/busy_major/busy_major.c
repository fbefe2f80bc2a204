// SPDX-License-Identifier: GPL-2.0
/*
 * busy_major: a test helper that only holds major 235 (as some other
 * driver might), so that the test image can check that message_slot then
 * refuses to load with EBUSY, says why at KERN_ERR, and leaves nothing
 * behind. Never installed; built only for the test VM.
 */

#include <linux/fs.h>
#include <linux/module.h>

#include "message_slot.h"	/* copied beside this file by vm/msgslot-vm */

static const struct file_operations busy_major_fops = {
	.owner = THIS_MODULE,
};

static int __init busy_major_init(void)
{
	int ret = register_chrdev(MAJOR_NUM, "busy_major", &busy_major_fops);

	return ret < 0 ? ret : 0;
}

static void __exit busy_major_exit(void)
{
	unregister_chrdev(MAJOR_NUM, "busy_major");
}

module_init(busy_major_init);
module_exit(busy_major_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Test helper: holds the message slot's major number");
