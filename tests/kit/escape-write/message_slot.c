// SPDX-License-Identifier: GPL-2.0
/* Never built: the Makefile fails first (see Makefile). */
#include <linux/module.h>
MODULE_LICENSE("GPL");
