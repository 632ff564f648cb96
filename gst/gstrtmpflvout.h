/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtmpsrc's output, whichever mode receives the stream: RTMP media messages
 * turned into FLV tag buffers on our timeline, queued with the stream's end
 * (EOS or an error) for the streaming thread, which gets them behind an FLV
 * header that says what the stream carries, with the header tags in the
 * caps' streamheader. */

#ifndef __GST_RTMP_FLV_OUT_H__
#define __GST_RTMP_FLV_OUT_H__

#include <gst/gst.h>
#include <gst/base/gstbasesrc.h>
#include "rtmpmessage.h"

G_BEGIN_DECLS

/* The queue between the receiving thread and the streaming thread: full
 * above either bound, drained again below half of both (the element stops
 * reading from the peer meanwhile, so TCP pushes back) */
#define GST_RTMP_FLV_OUT_MAX_QUEUED_BYTES (8 * 1024 * 1024)
#define GST_RTMP_FLV_OUT_MAX_QUEUED_TIME_MS 2000

/* Tags that go into the caps' streamheader, in this order */
typedef enum
{
  GST_RTMP_FLV_OUT_HEADER_METADATA,
  GST_RTMP_FLV_OUT_HEADER_VIDEO,
  GST_RTMP_FLV_OUT_HEADER_AUDIO,
  GST_RTMP_FLV_OUT_N_HEADERS,
  GST_RTMP_FLV_OUT_HEADER_NONE = GST_RTMP_FLV_OUT_N_HEADERS,
} GstRtmpFlvOutHeader;

/* What a media message is as an FLV tag */
typedef struct
{
  guint8 tag_type; /* RtmpFlvTagType */
  GBytes *body;    /* owned: the tag body (AMF0 for script tags) */
  GstRtmpFlvOutHeader header;
  gboolean is_delta;
  gint32 composition_time_ms;
  gboolean is_metadata; /* onMetaData */
  guint8 flv_flags;     /* onMetaData: the FLV header flags it announces */
  gdouble duration_s;   /* onMetaData: its duration, 0 when none */
} GstRtmpFlvOutTag;

/* What the media message @message is as an FLV tag: audio and video as
 * they are, AMF0 and AMF3 data as an AMF0 script tag without a leading
 * "@setDataFrame". FALSE with @error for data that does not parse; FALSE
 * without an error for messages that are no tag (other types, empty
 * payloads). @log_object: for debug output. */
gboolean gst_rtmp_flv_out_describe (GstObject *log_object,
    const RtmpMessage *message, GstRtmpFlvOutTag *tag, GError **error);
void gst_rtmp_flv_out_tag_clear (GstRtmpFlvOutTag *tag);

typedef enum
{
  GST_RTMP_FLV_OUT_ITEM_BUFFER,
  GST_RTMP_FLV_OUT_ITEM_EOS,
  GST_RTMP_FLV_OUT_ITEM_ERROR,
  GST_RTMP_FLV_OUT_ITEM_TAKEN, /* a header moved to the front: skipped */
} GstRtmpFlvOutItemType;

typedef struct
{
  GstRtmpFlvOutItemType type;
  GstBuffer *buffer;          /* BUFFER: one complete FLV tag (owned) */
  guint8 tag_type;            /* BUFFER: RtmpFlvTagType */
  GstRtmpFlvOutHeader header; /* BUFFER: which header it is, or NONE */
  GBytes *body;               /* headers: the tag body (owned), to compare */
  guint8 flv_flags;           /* onMetaData: the FLV header flags */
  gint64 ts_ms;               /* BUFFER: its timestamp */
  gsize size;                 /* BUFFER: bytes counted as queued */
  GError *error;              /* ERROR (owned) */
  gboolean established;       /* ERROR: media had flowed */
  gboolean posted;            /* ERROR: already posted */
} GstRtmpFlvOutItem;

void gst_rtmp_flv_out_item_clear (GstRtmpFlvOutItem *item);

typedef struct _GstRtmpFlvOut GstRtmpFlvOut;

/* @src (borrowed, outlives the output): where the caps go and what logs.
 *
 * Locking: the functions named _locked are called with the element's lock
 * that guards the queue and the timeline (the receiving thread and the
 * streaming thread share them). The others are the streaming thread's
 * (header state, the front queue, caps) and take no lock; they may call
 * gst_base_src_set_caps (), so the element's lock must not be held. */
GstRtmpFlvOut *gst_rtmp_flv_out_new (GstBaseSrc *src);
void gst_rtmp_flv_out_free (GstRtmpFlvOut *out);

/* --- the receiving side --- */

/* Empties the queue and starts a new timeline */
void gst_rtmp_flv_out_reset_locked (GstRtmpFlvOut *out);

/* Queues @tag (its body is taken) as an FLV tag buffer: the message
 * timestamp @raw_ms is extended past the 32-bit wrap; a recorded stream
 * keeps it, a live one starts at 0 and after gst_rtmp_flv_out_continue
 * goes on from where it was. Returns the tag's timestamp on our timeline
 * (ms). */
gint64 gst_rtmp_flv_out_push_tag_locked (GstRtmpFlvOut *out,
    GstRtmpFlvOutTag *tag, guint32 raw_ms, gboolean is_recorded);
/* Queues EOS, or an error (copied), after what is queued */
void gst_rtmp_flv_out_push_eos_locked (GstRtmpFlvOut *out);
void gst_rtmp_flv_out_push_error_locked (GstRtmpFlvOut *out,
    const GError *error, gboolean established, gboolean posted);

/* A new connection or publisher: its timestamps start a timeline of their
 * own. With @is_continuation (not the first one), a live stream goes on
 * from the last timestamp plus the time that passed, with DISCONT. */
void gst_rtmp_flv_out_restart_locked (GstRtmpFlvOut *out,
    gboolean is_continuation);
/* The server seeked: its timeline starts over at the new position, and
 * the next buffer has DISCONT */
void gst_rtmp_flv_out_jump_locked (GstRtmpFlvOut *out);
/* The last timestamp queued (ms); FALSE when none yet */
gboolean gst_rtmp_flv_out_get_position_locked (GstRtmpFlvOut *out,
    gint64 *position_ms);

/* Above GST_RTMP_FLV_OUT_MAX_QUEUED_BYTES or _TIME_MS */
gboolean gst_rtmp_flv_out_is_full_locked (GstRtmpFlvOut *out);
/* At or below half of both bounds */
gboolean gst_rtmp_flv_out_is_drained_locked (GstRtmpFlvOut *out);
gboolean gst_rtmp_flv_out_has_buffers_locked (GstRtmpFlvOut *out);
/* Drops the queued media (a seek), keeping errors: TRUE when an error
 * remains */
gboolean gst_rtmp_flv_out_flush_locked (GstRtmpFlvOut *out);

/* --- the streaming thread --- */

/* Forgets the header, the front queue and the caps' buffers (stop) */
void gst_rtmp_flv_out_reset_stream (GstRtmpFlvOut *out);

/* A header tag moved before the rest: push it first (transfer full).
 * FALSE when there is none. */
gboolean gst_rtmp_flv_out_pop_front (GstRtmpFlvOut *out, GstBuffer **buffer);

/* (transfer none, nullable) the head of the queue, as it is */
GstRtmpFlvOutItem *gst_rtmp_flv_out_peek_head_locked (GstRtmpFlvOut *out);

/* What the streaming thread outputs next. The FLV header first: it is
 * written once onMetaData said what the stream has, both audio and video
 * came, or a bounded wait after the first tag (1 s, or 500 ms of media) is
 * over; the header tags queued by then are moved to the front. Returns:
 *  - the head item (transfer none) once the header is out, or EOS/ERROR;
 *  - NULL and @header (transfer full): push it, after unlocking and
 *    calling gst_rtmp_flv_out_update_caps ();
 *  - NULL: nothing yet; @deadline is lowered to the end of the header
 *    wait when one runs. */
GstRtmpFlvOutItem *gst_rtmp_flv_out_next_locked (GstRtmpFlvOut *out,
    gint64 now_us, gint64 *deadline, GstBuffer **header);
/* Pops the head into @item (the caller owns it) */
void gst_rtmp_flv_out_pop_locked (GstRtmpFlvOut *out, GstRtmpFlvOutItem *item);

/* The buffer of a popped BUFFER item to push (transfer full; taken from
 * @item); a new header tag updates the caps first */
GstBuffer *gst_rtmp_flv_out_finish (GstRtmpFlvOut *out,
    GstRtmpFlvOutItem *item);
/* Sets video/x-flv caps with the streamheader: the FLV header and the
 * current header tags */
gboolean gst_rtmp_flv_out_update_caps (GstRtmpFlvOut *out);

G_END_DECLS

#endif /* __GST_RTMP_FLV_OUT_H__ */
