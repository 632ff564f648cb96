/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The elements of the rtmp plugin. */

#ifndef __GST_RTMP_ELEMENTS_H__
#define __GST_RTMP_ELEMENTS_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/* Above rtmp2src/rtmp2sink (GST_RANK_PRIMARY + 1): playbin, uridecodebin
 * and gst_element_make_from_uri () pick ours for rtmp:// and rtmps:// */
#define GST_RTMP_ELEMENT_RANK (GST_RANK_PRIMARY + 2)

GST_ELEMENT_REGISTER_DECLARE (rtmpsink);
GST_ELEMENT_REGISTER_DECLARE (rtmpsrc);

G_END_DECLS

#endif /* __GST_RTMP_ELEMENTS_H__ */
