/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtmpsink: publishes an FLV stream to an RTMP or RTMPS server. */

#ifndef __GST_RTMP_SINK_H__
#define __GST_RTMP_SINK_H__

#include <gst/base/gstbasesink.h>

G_BEGIN_DECLS

#define GST_TYPE_RTMP_SINK (gst_rtmp_sink_get_type ())
G_DECLARE_FINAL_TYPE (GstRtmpSink, gst_rtmp_sink, GST, RTMP_SINK, GstBaseSink)

G_END_DECLS

#endif /* __GST_RTMP_SINK_H__ */
