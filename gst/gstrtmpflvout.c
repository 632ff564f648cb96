/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtmpsrc's output: FLV tag buffers from RTMP messages, their timeline, the
 * queue to the streaming thread, the FLV header and the streamheader. */

#include "config.h"
#include "gstrtmpflvout.h"
#include "rtmpcommand.h"
#include "rtmpflv.h"

#include <gst/base/gstqueuearray.h>
#include <string.h>

GST_DEBUG_CATEGORY_EXTERN (gst_rtmp_src_debug);
#define GST_CAT_DEFAULT gst_rtmp_src_debug

/* Without onMetaData, the FLV header waits for both audio and video at most
 * this long after the first media message arrived, or until the queued
 * media spans HEADER_WAIT_MEDIA_MS */
#define HEADER_WAIT_MS 1000
#define HEADER_WAIT_MEDIA_MS 500

struct _GstRtmpFlvOut
{
  GstBaseSrc *src; /* borrowed: the element that owns us */

  /* under the element's lock */
  GstQueueArray *queue; /* GstRtmpFlvOutItem */
  gsize queued_bytes;

  /* message timestamps -> ours, under the element's lock */
  gboolean have_timestamp;
  guint32 last_raw_ms;
  gint64 extended_ms;         /* last_raw_ms, 64-bit, wraps counted */
  gboolean is_rebase_pending; /* live: base_ms set by the next A/V */
  gboolean is_continuing;     /* ... to go on after a reconnect */
  gint64 base_ms;
  gboolean have_output;
  gint64 last_out_ms;
  gint64 last_out_wall_us;
  gboolean need_discont;

  /* streaming thread only */
  gboolean is_header_sent;
  gint64 first_item_wall_us;
  guint8 flv_flags;
  GBytes *headers[GST_RTMP_FLV_OUT_N_HEADERS]; /* the current header bodies */
  GstBuffer *header_buffers[GST_RTMP_FLV_OUT_N_HEADERS]; /* for the caps */
  GstBuffer *flv_header;                                 /* for the caps */
  GQueue front; /* GstBuffer *: headers moved first */
};

/* --- messages to tags --- */

void
gst_rtmp_flv_out_tag_clear (GstRtmpFlvOutTag *tag)
{
  g_clear_pointer (&tag->body, g_bytes_unref);
}

/* onMetaData: the FLV header flags it announces (0 when it says nothing)
 * and its duration (0 when none). FALSE when it does not parse. */
static gboolean
read_metadata (GBytes *body, guint8 *flags, gdouble *duration_s, GError **error)
{
  g_autoptr (RtmpMessage) message
      = rtmp_message_new (RTMP_MESSAGE_DATA_AMF0, 0, 0, 0, body);
  g_autoptr (GPtrArray) values = NULL;
  RtmpLimits limits;
  const RtmpAmfValue *object;
  gboolean has_audio, has_video;
  gboolean have_audio_flag, have_video_flag;
  gdouble number;

  *flags = 0;
  *duration_s = 0;
  rtmp_limits_init_default (&limits);
  values = rtmp_data_parse (message, &limits, error);
  if (values == NULL)
    return FALSE;
  if (values->len < 2)
    return TRUE;
  object = values->pdata[1];

  if (rtmp_amf_value_lookup_number (object, "duration", &number) && number > 0)
    *duration_s = number;

  have_audio_flag
      = rtmp_amf_value_lookup_boolean (object, "hasAudio", &has_audio);
  have_video_flag
      = rtmp_amf_value_lookup_boolean (object, "hasVideo", &has_video);
  if (!have_audio_flag)
    has_audio = rtmp_amf_value_peek_field (object, "audiocodecid") != NULL;
  if (!have_video_flag)
    has_video = rtmp_amf_value_peek_field (object, "videocodecid") != NULL;
  if (has_audio)
    *flags |= RTMP_FLV_HEADER_FLAG_AUDIO;
  if (has_video)
    *flags |= RTMP_FLV_HEADER_FLAG_VIDEO;
  /* explicit "false, false" is information too, but a header without
   * either flag helps no demuxer: treat it as saying nothing */
  return TRUE;
}

gboolean
gst_rtmp_flv_out_describe (GstObject *log_object, const RtmpMessage *message,
    GstRtmpFlvOutTag *tag, GError **error)
{
  gsize len;
  const guint8 *data;

  memset (tag, 0, sizeof (*tag));
  tag->header = GST_RTMP_FLV_OUT_HEADER_NONE;

  switch (message->type) {
    case RTMP_MESSAGE_AUDIO:
    case RTMP_MESSAGE_VIDEO:
      tag->tag_type = message->type;
      tag->body = g_bytes_ref (message->payload);
      break;
    case RTMP_MESSAGE_DATA_AMF0:
    case RTMP_MESSAGE_DATA_AMF3: {
      RtmpLimits limits;
      g_autoptr (GBytes) amf0 = NULL;

      rtmp_limits_init_default (&limits);
      amf0 = rtmp_data_to_amf0 (message, &limits, error);
      if (amf0 == NULL)
        return FALSE;
      tag->tag_type = RTMP_FLV_TAG_SCRIPT;
      /* players normally receive onMetaData without it; publishers send
       * "@setDataFrame", and some servers pass it on */
      tag->body = rtmp_flv_script_strip_set_data_frame (amf0);
      break;
    }
    default:
      return FALSE;
  }

  data = g_bytes_get_data (tag->body, &len);
  if (len == 0) {
    /* an empty tag makes flvdemux fail; nothing is lost */
    GST_DEBUG_OBJECT (log_object, "dropping an empty %s message",
        rtmp_message_type_get_name (message->type));
    g_clear_pointer (&tag->body, g_bytes_unref);
    return FALSE;
  }

  switch (tag->tag_type) {
    case RTMP_FLV_TAG_VIDEO: {
      RtmpFlvVideoInfo info;

      if (rtmp_flv_parse_video_header (data, len, &info, NULL)) {
        if (info.is_sequence_header)
          tag->header = GST_RTMP_FLV_OUT_HEADER_VIDEO;
        tag->is_delta = !info.is_keyframe && !info.is_sequence_header;
        tag->composition_time_ms = info.composition_time_ms;
      } else {
        /* a codec we cannot describe passes unchanged; its frame type
         * is in the first byte's bits 4-6 (FLV spec E.4.3.1) */
        tag->is_delta = ((data[0] >> 4) & 0x7) != RTMP_FLV_VIDEO_FRAME_KEY;
      }
      break;
    }
    case RTMP_FLV_TAG_AUDIO: {
      RtmpFlvAudioInfo info;

      if (rtmp_flv_parse_audio_header (data, len, &info, NULL)
          && info.is_sequence_header)
        tag->header = GST_RTMP_FLV_OUT_HEADER_AUDIO;
      break;
    }
    case RTMP_FLV_TAG_SCRIPT:
      if (rtmp_flv_script_is_on_metadata (data, len)) {
        GError *local = NULL;

        if (!read_metadata (tag->body, &tag->flv_flags, &tag->duration_s,
                &local)) {
          g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
              "onMetaData does not parse: %s", local->message);
          g_error_free (local);
          g_clear_pointer (&tag->body, g_bytes_unref);
          return FALSE;
        }
        tag->is_metadata = TRUE;
        tag->header = GST_RTMP_FLV_OUT_HEADER_METADATA;
      }
      break;
  }
  return TRUE;
}

static void
free_tag_header (gpointer data)
{
  g_free (data);
}

/* One FLV tag: header + body (wrapped, no copy) + PreviousTagSize */
static GstBuffer *
make_tag_buffer (guint8 type, GBytes *body, gint64 ts_ms)
{
  gsize size = g_bytes_get_size (body);
  guint8 *bytes = g_malloc (RTMP_FLV_TAG_HEADER_LEN + RTMP_FLV_TAG_TRAILER_LEN);
  GstBuffer *buffer = gst_buffer_new ();
  GstMemory *framing;

  rtmp_flv_write_tag_header (bytes, type, size, (guint32) ts_ms);
  rtmp_flv_write_tag_trailer (bytes + RTMP_FLV_TAG_HEADER_LEN, size);
  framing = gst_memory_new_wrapped (0, bytes,
      RTMP_FLV_TAG_HEADER_LEN + RTMP_FLV_TAG_TRAILER_LEN, 0,
      RTMP_FLV_TAG_HEADER_LEN, bytes, free_tag_header);
  gst_buffer_append_memory (buffer, gst_memory_ref (framing));
  if (size > 0) {
    gconstpointer data = g_bytes_get_data (body, NULL);

    gst_buffer_append_memory (buffer,
        gst_memory_new_wrapped (GST_MEMORY_FLAG_READONLY, (gpointer) data, size,
            0, size, g_bytes_ref (body), (GDestroyNotify) g_bytes_unref));
  }
  gst_buffer_append_memory (buffer,
      gst_memory_share (framing, RTMP_FLV_TAG_HEADER_LEN,
          RTMP_FLV_TAG_TRAILER_LEN));
  gst_memory_unref (framing);
  return buffer;
}

/* --- the timeline --- */

/* The message timestamp in our timeline (ms). Recorded streams keep the
 * server's timeline (the media's); live ones start at 0 and, after a
 * reconnect, go on from the last timestamp plus the time the outage
 * took. */
static gint64
map_timestamp (GstRtmpFlvOut *out, guint32 raw_ms, gboolean is_av,
    gboolean is_recorded)
{
  gint64 now_us = g_get_monotonic_time ();
  gint64 out_ms;

  /* RTMP timestamps wrap at 2^32 ms; small steps back (audio and video
   * interleaved) are steps back, not wraps */
  if (!out->have_timestamp) {
    out->have_timestamp = TRUE;
    out->extended_ms = raw_ms;
  } else {
    out->extended_ms += (gint32) (raw_ms - out->last_raw_ms);
  }
  out->last_raw_ms = raw_ms;

  if (is_recorded) {
    out_ms = out->extended_ms;
  } else {
    if (out->is_rebase_pending && is_av) {
      gint64 target_ms = 0;

      if (out->is_continuing)
        target_ms = out->last_out_ms
            + MAX ((now_us - out->last_out_wall_us) / 1000, 1);
      out->base_ms = out->extended_ms - target_ms;
      out->is_rebase_pending = FALSE;
      out->is_continuing = FALSE;
    }
    /* data before the first audio/video: where the stream is now. It
     * does not move the stream on: the time until the audio or video
     * comes still counts (onMetaData comes first after a reconnect or
     * from the next publisher). */
    if (out->is_rebase_pending) {
      out_ms = out->have_output ? out->last_out_ms : 0;
      if (out->have_output)
        return out_ms;
    } else {
      out_ms = out->extended_ms - out->base_ms;
    }
  }
  out_ms = MAX (out_ms, 0);
  out->have_output = TRUE;
  out->last_out_ms = out_ms;
  out->last_out_wall_us = now_us;
  return out_ms;
}

void
gst_rtmp_flv_out_restart_locked (GstRtmpFlvOut *out, gboolean is_continuation)
{
  out->have_timestamp = FALSE;
  if (is_continuation) {
    out->need_discont = TRUE;
    out->is_rebase_pending = TRUE;
    out->is_continuing = out->have_output;
  }
}

void
gst_rtmp_flv_out_jump_locked (GstRtmpFlvOut *out)
{
  out->have_timestamp = FALSE;
  out->need_discont = TRUE;
}

gboolean
gst_rtmp_flv_out_get_position_locked (GstRtmpFlvOut *out, gint64 *position_ms)
{
  *position_ms = out->have_output ? out->last_out_ms : 0;
  return out->have_output;
}

/* --- the queue --- */

void
gst_rtmp_flv_out_item_clear (GstRtmpFlvOutItem *item)
{
  g_clear_pointer (&item->buffer, gst_buffer_unref);
  g_clear_pointer (&item->body, g_bytes_unref);
  g_clear_error (&item->error);
}

static void
item_clear (gpointer data)
{
  gst_rtmp_flv_out_item_clear (data);
}

static GstQueueArray *
new_queue (void)
{
  GstQueueArray *queue
      = gst_queue_array_new_for_struct (sizeof (GstRtmpFlvOutItem), 64);

  gst_queue_array_set_clear_func (queue, item_clear);
  return queue;
}

GstRtmpFlvOut *
gst_rtmp_flv_out_new (GstBaseSrc *src)
{
  GstRtmpFlvOut *out = g_new0 (GstRtmpFlvOut, 1);

  out->src = src;
  out->queue = new_queue ();
  g_queue_init (&out->front);
  gst_rtmp_flv_out_reset_locked (out);
  return out;
}

void
gst_rtmp_flv_out_free (GstRtmpFlvOut *out)
{
  if (out == NULL)
    return;
  gst_rtmp_flv_out_reset_stream (out);
  gst_queue_array_free (out->queue);
  g_free (out);
}

void
gst_rtmp_flv_out_reset_locked (GstRtmpFlvOut *out)
{
  gst_queue_array_clear (out->queue);
  out->queued_bytes = 0;
  out->have_timestamp = FALSE;
  out->is_rebase_pending = TRUE;
  out->is_continuing = FALSE;
  out->have_output = FALSE;
  out->need_discont = TRUE;
}

gint64
gst_rtmp_flv_out_push_tag_locked (GstRtmpFlvOut *out, GstRtmpFlvOutTag *tag,
    guint32 raw_ms, gboolean is_recorded)
{
  GstRtmpFlvOutItem item = {
    0,
  };
  GstBuffer *buffer;
  gint64 ts_ms;

  ts_ms = map_timestamp (out, raw_ms, tag->tag_type != RTMP_FLV_TAG_SCRIPT,
      is_recorded);
  GST_LOG_OBJECT (out->src,
      "tag %u at %u ms (%" G_GSIZE_FORMAT " bytes): "
      "at %" G_GINT64_FORMAT " ms%s",
      tag->tag_type, raw_ms, g_bytes_get_size (tag->body), ts_ms,
      tag->header != GST_RTMP_FLV_OUT_HEADER_NONE ? ", a header" : "");
  buffer = make_tag_buffer (tag->tag_type, tag->body, ts_ms);
  GST_BUFFER_DTS (buffer) = ts_ms * GST_MSECOND;
  GST_BUFFER_PTS (buffer)
      = MAX (ts_ms + tag->composition_time_ms, 0) * GST_MSECOND;
  if (tag->is_delta)
    GST_BUFFER_FLAG_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT);
  if (tag->header != GST_RTMP_FLV_OUT_HEADER_NONE)
    GST_BUFFER_FLAG_SET (buffer, GST_BUFFER_FLAG_HEADER);
  if (out->need_discont) {
    GST_BUFFER_FLAG_SET (buffer, GST_BUFFER_FLAG_DISCONT);
    out->need_discont = FALSE;
  }

  item.type = GST_RTMP_FLV_OUT_ITEM_BUFFER;
  item.buffer = buffer;
  item.tag_type = tag->tag_type;
  item.header = tag->header;
  item.body = tag->header != GST_RTMP_FLV_OUT_HEADER_NONE
      ? g_steal_pointer (&tag->body)
      : NULL;
  item.flv_flags = tag->flv_flags;
  item.ts_ms = ts_ms;
  item.size = gst_buffer_get_size (buffer);
  gst_queue_array_push_tail_struct (out->queue, &item);
  out->queued_bytes += item.size;
  gst_rtmp_flv_out_tag_clear (tag);
  return ts_ms;
}

void
gst_rtmp_flv_out_push_eos_locked (GstRtmpFlvOut *out)
{
  GstRtmpFlvOutItem item = {
    0,
  };

  item.type = GST_RTMP_FLV_OUT_ITEM_EOS;
  gst_queue_array_push_tail_struct (out->queue, &item);
}

void
gst_rtmp_flv_out_push_error_locked (GstRtmpFlvOut *out, const GError *error,
    gboolean established, gboolean posted)
{
  GstRtmpFlvOutItem item = {
    0,
  };

  item.type = GST_RTMP_FLV_OUT_ITEM_ERROR;
  item.error = g_error_copy (error);
  item.established = established;
  item.posted = posted;
  gst_queue_array_push_tail_struct (out->queue, &item);
}

gboolean
gst_rtmp_flv_out_has_buffers_locked (GstRtmpFlvOut *out)
{
  guint i, n = gst_queue_array_get_length (out->queue);

  for (i = 0; i < n; i++) {
    GstRtmpFlvOutItem *item = gst_queue_array_peek_nth_struct (out->queue, i);

    if (item->type == GST_RTMP_FLV_OUT_ITEM_BUFFER)
      return TRUE;
  }
  return FALSE;
}

/* Media time between the oldest and the newest queued tag */
static gint64
queued_time (GstRtmpFlvOut *out)
{
  guint i, n = gst_queue_array_get_length (out->queue);
  GstRtmpFlvOutItem *last = NULL;

  for (i = n; i > 0; i--) {
    GstRtmpFlvOutItem *item
        = gst_queue_array_peek_nth_struct (out->queue, i - 1);

    if (item->type == GST_RTMP_FLV_OUT_ITEM_BUFFER) {
      last = item;
      break;
    }
  }
  for (i = 0; last != NULL && i < n; i++) {
    GstRtmpFlvOutItem *item = gst_queue_array_peek_nth_struct (out->queue, i);

    if (item->type == GST_RTMP_FLV_OUT_ITEM_BUFFER)
      return MAX (last->ts_ms - item->ts_ms, 0);
  }
  return 0;
}

gboolean
gst_rtmp_flv_out_is_full_locked (GstRtmpFlvOut *out)
{
  return out->queued_bytes > GST_RTMP_FLV_OUT_MAX_QUEUED_BYTES
      || queued_time (out) > GST_RTMP_FLV_OUT_MAX_QUEUED_TIME_MS;
}

gboolean
gst_rtmp_flv_out_is_drained_locked (GstRtmpFlvOut *out)
{
  return out->queued_bytes <= GST_RTMP_FLV_OUT_MAX_QUEUED_BYTES / 2
      && queued_time (out) <= GST_RTMP_FLV_OUT_MAX_QUEUED_TIME_MS / 2;
}

gboolean
gst_rtmp_flv_out_flush_locked (GstRtmpFlvOut *out)
{
  GstQueueArray *kept = new_queue ();

  while (!gst_queue_array_is_empty (out->queue)) {
    GstRtmpFlvOutItem item
        = *(GstRtmpFlvOutItem *) gst_queue_array_pop_head_struct (out->queue);

    if (item.type == GST_RTMP_FLV_OUT_ITEM_ERROR)
      gst_queue_array_push_tail_struct (kept, &item);
    else
      gst_rtmp_flv_out_item_clear (&item);
  }
  gst_queue_array_free (out->queue);
  out->queue = kept;
  out->queued_bytes = 0;
  return !gst_queue_array_is_empty (kept);
}

GstRtmpFlvOutItem *
gst_rtmp_flv_out_peek_head_locked (GstRtmpFlvOut *out)
{
  return gst_queue_array_peek_head_struct (out->queue);
}

void
gst_rtmp_flv_out_pop_locked (GstRtmpFlvOut *out, GstRtmpFlvOutItem *item)
{
  *item = *(GstRtmpFlvOutItem *) gst_queue_array_pop_head_struct (out->queue);
  if (item->type == GST_RTMP_FLV_OUT_ITEM_BUFFER)
    out->queued_bytes -= item->size;
}

/* --- the streaming thread: the FLV header and the caps --- */

void
gst_rtmp_flv_out_reset_stream (GstRtmpFlvOut *out)
{
  guint i;

  out->is_header_sent = FALSE;
  out->first_item_wall_us = 0;
  out->flv_flags = 0;
  for (i = 0; i < GST_RTMP_FLV_OUT_N_HEADERS; i++) {
    g_clear_pointer (&out->headers[i], g_bytes_unref);
    g_clear_pointer (&out->header_buffers[i], gst_buffer_unref);
  }
  g_clear_pointer (&out->flv_header, gst_buffer_unref);
  g_queue_clear_full (&out->front, (GDestroyNotify) gst_buffer_unref);
}

gboolean
gst_rtmp_flv_out_pop_front (GstRtmpFlvOut *out, GstBuffer **buffer)
{
  if (g_queue_is_empty (&out->front))
    return FALSE;
  *buffer = g_queue_pop_head (&out->front);
  return TRUE;
}

/* Whether the FLV header can be written: onMetaData said what the stream
 * has, both audio and video came, or the bounded wait is over. Waiting for
 * the kinds onMetaData announces would cost up to a GOP at the start of a
 * live stream (nginx-rtmp sends video from the next keyframe on): their
 * sequence headers update the caps when they come. @deadline gets the end
 * of the wait. Called with buffers queued. */
static gboolean
header_ready (GstRtmpFlvOut *out, gint64 now_us, gint64 *deadline)
{
  guint i, n = gst_queue_array_get_length (out->queue);
  guint8 seen = 0;
  gboolean have_av = FALSE;
  gint64 first_ms = 0, last_ms = 0;

  if (out->first_item_wall_us == 0)
    out->first_item_wall_us = now_us;
  /* the element stopped reading: nothing more comes before a pop */
  if (gst_rtmp_flv_out_is_full_locked (out))
    return TRUE;
  for (i = 0; i < n; i++) {
    GstRtmpFlvOutItem *item = gst_queue_array_peek_nth_struct (out->queue, i);

    if (item->type == GST_RTMP_FLV_OUT_ITEM_TAKEN)
      continue;
    if (item->type != GST_RTMP_FLV_OUT_ITEM_BUFFER)
      return TRUE;
    if (item->header == GST_RTMP_FLV_OUT_HEADER_METADATA
        && item->flv_flags != 0)
      return TRUE;
    if (item->tag_type == RTMP_FLV_TAG_SCRIPT)
      continue;
    seen |= item->tag_type == RTMP_FLV_TAG_AUDIO ? RTMP_FLV_HEADER_FLAG_AUDIO
                                                 : RTMP_FLV_HEADER_FLAG_VIDEO;
    if (!have_av)
      first_ms = item->ts_ms;
    have_av = TRUE;
    last_ms = item->ts_ms;
  }
  if (seen == (RTMP_FLV_HEADER_FLAG_AUDIO | RTMP_FLV_HEADER_FLAG_VIDEO))
    return TRUE;
  if (have_av && last_ms - first_ms >= HEADER_WAIT_MEDIA_MS)
    return TRUE;
  if (now_us - out->first_item_wall_us
      >= HEADER_WAIT_MS * G_TIME_SPAN_MILLISECOND)
    return TRUE;
  *deadline = MIN (*deadline,
      out->first_item_wall_us + HEADER_WAIT_MS * G_TIME_SPAN_MILLISECOND);
  return FALSE;
}

static void
add_streamheader (GValue *array, GstBuffer *buffer)
{
  GValue value = G_VALUE_INIT;

  g_value_init (&value, GST_TYPE_BUFFER);
  gst_value_set_buffer (&value, buffer);
  gst_value_array_append_and_take_value (array, &value);
}

gboolean
gst_rtmp_flv_out_update_caps (GstRtmpFlvOut *out)
{
  GstCaps *caps = gst_caps_new_empty_simple ("video/x-flv");
  GValue array = G_VALUE_INIT;
  gboolean ok;
  guint i;

  g_value_init (&array, GST_TYPE_ARRAY);
  add_streamheader (&array, out->flv_header);
  for (i = 0; i < GST_RTMP_FLV_OUT_N_HEADERS; i++) {
    if (out->header_buffers[i])
      add_streamheader (&array, out->header_buffers[i]);
  }
  gst_structure_take_value (gst_caps_get_structure (caps, 0), "streamheader",
      &array);
  GST_DEBUG_OBJECT (out->src, "caps %" GST_PTR_FORMAT, caps);
  ok = gst_base_src_set_caps (out->src, caps);
  gst_caps_unref (caps);
  return ok;
}

/* Remembers a header tag for the caps; TRUE when it changed them */
static gboolean
store_header (GstRtmpFlvOut *out, GstRtmpFlvOutHeader kind, GBytes *body,
    GstBuffer *buffer)
{
  GstBuffer *copy;

  if (out->headers[kind] && g_bytes_equal (out->headers[kind], body))
    return FALSE;
  g_clear_pointer (&out->headers[kind], g_bytes_unref);
  out->headers[kind] = g_bytes_ref (body);
  /* the caps hold their own buffer: the pushed one may be changed */
  copy = gst_buffer_copy (buffer);
  GST_BUFFER_FLAG_UNSET (copy, GST_BUFFER_FLAG_DISCONT);
  g_clear_pointer (&out->header_buffers[kind], gst_buffer_unref);
  out->header_buffers[kind] = copy;
  return TRUE;
}

/* The FLV header and the header tags queued so far, which are moved to the
 * front. Returns the FLV header buffer. */
static GstBuffer *
build_header (GstRtmpFlvOut *out)
{
  guint i, n = gst_queue_array_get_length (out->queue);
  guint8 metadata_flags = 0, tag_flags = 0;
  gint64 first_ms = -1;
  GstBuffer *buffer;
  GstMapInfo map;

  for (i = 0; i < n; i++) {
    GstRtmpFlvOutItem *item = gst_queue_array_peek_nth_struct (out->queue, i);

    if (item->type == GST_RTMP_FLV_OUT_ITEM_TAKEN)
      continue;
    if (item->type != GST_RTMP_FLV_OUT_ITEM_BUFFER)
      break;
    if (first_ms < 0)
      first_ms = item->ts_ms;
    if (item->header == GST_RTMP_FLV_OUT_HEADER_METADATA && metadata_flags == 0)
      metadata_flags = item->flv_flags;
    if (item->tag_type == RTMP_FLV_TAG_AUDIO)
      tag_flags |= RTMP_FLV_HEADER_FLAG_AUDIO;
    else if (item->tag_type == RTMP_FLV_TAG_VIDEO)
      tag_flags |= RTMP_FLV_HEADER_FLAG_VIDEO;
    if (item->header != GST_RTMP_FLV_OUT_HEADER_NONE
        && out->headers[item->header] == NULL) {
      store_header (out, item->header, item->body, item->buffer);
      g_queue_push_tail (&out->front, g_steal_pointer (&item->buffer));
      out->queued_bytes -= item->size;
      g_clear_pointer (&item->body, g_bytes_unref);
      item->type = GST_RTMP_FLV_OUT_ITEM_TAKEN;
    }
  }
  out->flv_flags = metadata_flags ? metadata_flags : tag_flags;
  /* nothing known (only script tags came): say both, as rtmp2src does */
  if (out->flv_flags == 0)
    out->flv_flags = RTMP_FLV_HEADER_FLAG_AUDIO | RTMP_FLV_HEADER_FLAG_VIDEO;

  buffer = gst_buffer_new_allocate (NULL, RTMP_FLV_FILE_HEADER_LEN, NULL);
  gst_buffer_map (buffer, &map, GST_MAP_WRITE);
  rtmp_flv_write_header (map.data, out->flv_flags);
  gst_buffer_unmap (buffer, &map);
  GST_BUFFER_PTS (buffer) = GST_BUFFER_DTS (buffer)
      = MAX (first_ms, 0) * GST_MSECOND;
  GST_BUFFER_FLAG_SET (buffer, GST_BUFFER_FLAG_HEADER);
  g_clear_pointer (&out->flv_header, gst_buffer_unref);
  out->flv_header = gst_buffer_copy (buffer);
  GST_BUFFER_FLAG_SET (buffer, GST_BUFFER_FLAG_DISCONT);
  GST_INFO_OBJECT (out->src, "FLV header:%s%s (from %s)",
      out->flv_flags & RTMP_FLV_HEADER_FLAG_AUDIO ? " audio" : "",
      out->flv_flags & RTMP_FLV_HEADER_FLAG_VIDEO ? " video" : "",
      metadata_flags ? "onMetaData" : "the first tags");
  return buffer;
}

GstRtmpFlvOutItem *
gst_rtmp_flv_out_next_locked (GstRtmpFlvOut *out, gint64 now_us,
    gint64 *deadline, GstBuffer **header)
{
  GstRtmpFlvOutItem *head;

  while ((head = gst_queue_array_peek_head_struct (out->queue)) != NULL
      && head->type == GST_RTMP_FLV_OUT_ITEM_TAKEN)
    gst_rtmp_flv_out_item_clear (gst_queue_array_pop_head_struct (out->queue));

  if (head != NULL && head->type == GST_RTMP_FLV_OUT_ITEM_BUFFER
      && !out->is_header_sent) {
    if (header_ready (out, now_us, deadline)) {
      *header = build_header (out);
      out->is_header_sent = TRUE;
    }
    return NULL;
  }
  return head;
}

GstBuffer *
gst_rtmp_flv_out_finish (GstRtmpFlvOut *out, GstRtmpFlvOutItem *item)
{
  GstBuffer *buffer = g_steal_pointer (&item->buffer);

  if (item->header != GST_RTMP_FLV_OUT_HEADER_NONE
      && store_header (out, item->header, item->body, buffer))
    gst_rtmp_flv_out_update_caps (out);
  /* as flvmux does: with video, only video keyframes start a stream */
  if (item->tag_type == RTMP_FLV_TAG_AUDIO
      && item->header == GST_RTMP_FLV_OUT_HEADER_NONE
      && (out->flv_flags & RTMP_FLV_HEADER_FLAG_VIDEO))
    GST_BUFFER_FLAG_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT);
  return buffer;
}
