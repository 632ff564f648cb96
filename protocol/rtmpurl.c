/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* placeholder until the unit lands */

#include <glib.h>
