/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtmpsrc: plays a live or recorded RTMP or RTMPS stream as FLV. */

#ifndef __GST_RTMP_SRC_H__
#define __GST_RTMP_SRC_H__

#include <gst/base/gstpushsrc.h>

G_BEGIN_DECLS

#define GST_TYPE_RTMP_SRC (gst_rtmp_src_get_type ())
G_DECLARE_FINAL_TYPE (GstRtmpSrc, gst_rtmp_src, GST, RTMP_SRC, GstPushSrc)

G_END_DECLS

#endif /* __GST_RTMP_SRC_H__ */
