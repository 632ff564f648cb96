/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtmpsrc mode=server with real publishers on 127.0.0.1: our rtmpsink,
 * ffmpeg and rtmp2sink publish into it and the output is checked tag by
 * tag, frame by frame and timestamp by timestamp; Adobe credentials and the
 * authorize-publisher signal, a wrong stream key, a second publisher,
 * on-publisher-gone, RTMPS, waiting for the first publisher and stopping,
 * and the one-port relay into rtmpsink mode=server played by ffmpeg. */

#include <gst/check/gstcheck.h>
#include <string.h>

#include "rtmpexternal.h"
#include "rtmpflv.h"
#include "rtmptestutil.h"

#define MEDIA_FILE RTMP_TEST_FILES_DIR "/media/testsrc-x264-aac.flv"
/* what the file holds (tests/files/README.md, media/): 120 video frames
 * (4 keyframes), 174 AAC frames, timestamps 0 to 4061 ms */
#define MEDIA_VIDEO_FRAMES 120
#define MEDIA_AUDIO_FRAMES 174
/* Every wait is bounded by this */
#define WAIT_MS 30000

/* --- the file as it is (the reference) --- */

/* The FLV tags of @data (the whole stream), checked as they are read */
static GPtrArray *
read_tags (GBytes *data, RtmpFlvHeader *header)
{
  g_autoptr (RtmpFlvReader) reader = rtmp_flv_reader_new (NULL);
  GPtrArray *tags
      = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_flv_tag_free);
  gsize offset = 0, size = g_bytes_get_size (data);

  while (offset < size) {
    RtmpFlvTag *tag = NULL;
    g_autoptr (GError) error = NULL;
    gsize consumed = 0;
    RtmpReadResult result
        = rtmp_flv_reader_read (reader, data, offset, &consumed, &tag, &error);

    fail_if (result == RTMP_READ_ERROR, "FLV at %" G_GSIZE_FORMAT ": %s",
        offset, error ? error->message : "");
    offset += consumed;
    if (result == RTMP_READ_OK)
      g_ptr_array_add (tags, tag);
  }
  fail_if (rtmp_flv_reader_has_partial (reader), "the FLV ends mid-tag");
  if (header)
    fail_unless (rtmp_flv_reader_get_header (reader, header));
  return tags;
}

static GPtrArray *
read_file_tags (const gchar *path)
{
  gchar *contents = NULL;
  gsize len = 0;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) data = NULL;

  fail_unless (g_file_get_contents (path, &contents, &len, &error), "%s: %s",
      path, error ? error->message : "");
  data = g_bytes_new_take (contents, len);
  return read_tags (data, NULL);
}

static gboolean
tag_is_av (const RtmpFlvTag *tag)
{
  return tag->type == RTMP_FLV_TAG_AUDIO || tag->type == RTMP_FLV_TAG_VIDEO;
}

/* The AMF0 script tag names "onMetaData" first */
static gboolean
tag_is_on_metadata (const RtmpFlvTag *tag)
{
  static const guint8 name[]
      = { 0x02, 0x00, 0x0a, 'o', 'n', 'M', 'e', 't', 'a', 'D', 'a', 't', 'a' };
  gsize len;
  const guint8 *data = g_bytes_get_data (tag->payload, &len);

  return tag->type == RTMP_FLV_TAG_SCRIPT && len > sizeof (name)
      && memcmp (data, name, sizeof (name)) == 0;
}

/* The first video frame (not a sequence header) of @tags is a keyframe */
static gboolean
first_video_frame_is_key (GPtrArray *tags)
{
  guint i;

  for (i = 0; i < tags->len; i++) {
    RtmpFlvTag *tag = tags->pdata[i];
    const guint8 *data;
    gsize len;

    if (tag->type != RTMP_FLV_TAG_VIDEO)
      continue;
    data = g_bytes_get_data (tag->payload, &len);
    /* AVC (FLV spec E.4.3.1): frame type in bits 4-7, packet type 0 is
     * the sequence header */
    if (len >= 2 && (data[0] & 0x0f) == 7 && data[1] == 0)
      continue;
    return len >= 1 && (data[0] >> 4) == 1;
  }
  return FALSE;
}

/* --- the receiving pipeline: rtmpsrc mode=server ! flvdemux --- */

typedef struct
{
  GstElement *pipeline;
  GstElement *src;
  GMutex lock;
  GCond cond;
  /* under lock */
  GArray *video_pts, *audio_pts; /* GstClockTime, after flvdemux */
  GByteArray *flv;               /* everything rtmpsrc pushed */
  GArray *discont_ms;            /* timestamps of DISCONT tag buffers */
  guint n_header_buffers;        /* the FLV header */
  GstCaps *caps;                 /* rtmpsrc's last caps */
  GPtrArray *messages;           /* rtmp-client-* structures */
  gboolean is_eos;
  GError *error;   /* the first one */
  guint n_errors;  /* GST_MESSAGE_ERROR posted */
  GError *warning; /* the first one */
} Receiver;

static GstPadProbeReturn
on_src_data (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Receiver *r = user_data;

  g_mutex_lock (&r->lock);
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
    GstMapInfo map;

    fail_unless (gst_buffer_map (buffer, &map, GST_MAP_READ));
    /* the FLV header is the one buffer starting with "FLV" */
    if (map.size >= 3 && memcmp (map.data, "FLV", 3) == 0) {
      r->n_header_buffers++;
    } else if (GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DISCONT)) {
      gint64 ms = GST_BUFFER_DTS (buffer) / GST_MSECOND;

      g_array_append_val (r->discont_ms, ms);
    }
    g_byte_array_append (r->flv, map.data, map.size);
    gst_buffer_unmap (buffer, &map);
  } else if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);

    if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
      GstCaps *caps;

      gst_event_parse_caps (event, &caps);
      gst_caps_replace (&r->caps, caps);
    }
  }
  g_mutex_unlock (&r->lock);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
on_video (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Receiver *r = user_data;
  GstClockTime pts = GST_BUFFER_PTS (GST_PAD_PROBE_INFO_BUFFER (info));

  g_mutex_lock (&r->lock);
  g_array_append_val (r->video_pts, pts);
  g_cond_broadcast (&r->cond);
  g_mutex_unlock (&r->lock);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
on_audio (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Receiver *r = user_data;
  GstClockTime pts = GST_BUFFER_PTS (GST_PAD_PROBE_INFO_BUFFER (info));

  g_mutex_lock (&r->lock);
  g_array_append_val (r->audio_pts, pts);
  g_cond_broadcast (&r->cond);
  g_mutex_unlock (&r->lock);
  return GST_PAD_PROBE_OK;
}

static GstBusSyncReply
on_receiver_message (GstBus *bus, GstMessage *message, gpointer user_data)
{
  Receiver *r = user_data;
  const GstStructure *s = gst_message_get_structure (message);

  g_mutex_lock (&r->lock);
  switch (GST_MESSAGE_TYPE (message)) {
    case GST_MESSAGE_ERROR:
      if (r->error == NULL)
        gst_message_parse_error (message, &r->error, NULL);
      r->n_errors++;
      break;
    case GST_MESSAGE_WARNING:
      if (r->warning == NULL)
        gst_message_parse_warning (message, &r->warning, NULL);
      break;
    case GST_MESSAGE_EOS:
      r->is_eos = TRUE;
      break;
    case GST_MESSAGE_ELEMENT:
      if (s && g_str_has_prefix (gst_structure_get_name (s), "rtmp-client-"))
        g_ptr_array_add (r->messages, gst_structure_copy (s));
      break;
    default:
      break;
  }
  g_cond_broadcast (&r->cond);
  g_mutex_unlock (&r->lock);
  /* a sync handler that drops a message owns it */
  gst_message_unref (message);
  return GST_BUS_DROP;
}

static void
probe_pad (GstElement *pipeline, const gchar *name, const gchar *pad_name,
    GstPadProbeType type, GstPadProbeCallback callback, Receiver *r)
{
  g_autoptr (GstElement) element
      = gst_bin_get_by_name (GST_BIN (pipeline), name);
  g_autoptr (GstPad) pad = NULL;

  fail_unless (element != NULL, "no element %s", name);
  pad = gst_element_get_static_pad (element, pad_name);
  gst_pad_add_probe (pad, type, callback, r, NULL);
}

/* What follows flvdemux on each branch: with @decode, decoders, so that
 * what is counted are decoded frames */
#define BRANCHES(decode) \
  ((decode) ? "d.video ! queue ! decodebin ! fakesink name=v sync=false " \
              "d.audio ! queue ! decodebin ! fakesink name=a sync=false" \
            : "d.video ! queue ! fakesink name=v sync=false " \
              "d.audio ! queue ! fakesink name=a sync=false")

/* Starts "rtmpsrc mode=server location=@scheme://@host:PORT/live/key
 * @props ! flvdemux" (@decode: and decoders) on a free port and returns
 * once it listens */
static Receiver *
receiver_new_full (const gchar *scheme, const gchar *host, const gchar *props,
    gboolean decode)
{
  Receiver *r = g_new0 (Receiver, 1);
  g_autofree gchar *desc = NULL;
  g_autoptr (GstBus) bus = NULL;
  GError *error = NULL;
  guint16 port = rtmp_external_pick_port (&error);

  fail_unless (port != 0, "%s", error ? error->message : "");
  desc = g_strdup_printf (
      "rtmpsrc name=src mode=server location=%s://%s:%u/live/key %s ! "
      "flvdemux name=d %s",
      scheme, host, port, props ? props : "", BRANCHES (decode));
  rtmp_test_assert_plugin_is_ours ();
  g_mutex_init (&r->lock);
  g_cond_init (&r->cond);
  r->video_pts = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  r->audio_pts = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  r->discont_ms = g_array_new (FALSE, FALSE, sizeof (gint64));
  r->flv = g_byte_array_new ();
  r->messages
      = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_structure_free);
  r->pipeline = gst_parse_launch (desc, &error);
  fail_unless (r->pipeline != NULL, "%s", error ? error->message : "");
  r->src = gst_bin_get_by_name (GST_BIN (r->pipeline), "src");
  fail_unless (rtmp_test_element_is_ours (r->src), "rtmpsrc is not ours");
  probe_pad (r->pipeline, "src", "src",
      GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      on_src_data, r);
  probe_pad (r->pipeline, "v", "sink", GST_PAD_PROBE_TYPE_BUFFER, on_video, r);
  probe_pad (r->pipeline, "a", "sink", GST_PAD_PROBE_TYPE_BUFFER, on_audio, r);
  bus = gst_element_get_bus (r->pipeline);
  gst_bus_set_sync_handler (bus, on_receiver_message, r, NULL);
  /* the listener is up once READY to PAUSED, within this call */
  fail_if (gst_element_set_state (r->pipeline, GST_STATE_PLAYING)
      == GST_STATE_CHANGE_FAILURE);
  return r;
}

static Receiver *
receiver_new (const gchar *scheme, const gchar *props)
{
  return receiver_new_full (scheme, "127.0.0.1", props, FALSE);
}

static void
receiver_free (Receiver *r)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (r->pipeline);

  gst_element_set_state (r->pipeline, GST_STATE_NULL);
  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  gst_object_unref (r->src);
  gst_object_unref (r->pipeline);
  g_array_unref (r->video_pts);
  g_array_unref (r->audio_pts);
  g_array_unref (r->discont_ms);
  g_byte_array_unref (r->flv);
  g_ptr_array_unref (r->messages);
  gst_caps_replace (&r->caps, NULL);
  g_clear_error (&r->error);
  g_clear_error (&r->warning);
  g_mutex_clear (&r->lock);
  g_cond_clear (&r->cond);
  g_free (r);
}

static GstStructure *
receiver_get_stats (Receiver *r)
{
  GstStructure *stats = NULL;

  g_object_get (r->src, "stats", &stats, NULL);
  fail_unless (stats != NULL);
  return stats;
}

/* The port the listener is bound to */
static guint
receiver_get_port (Receiver *r)
{
  g_autoptr (GstStructure) stats = receiver_get_stats (r);
  guint port = 0;

  fail_unless (gst_structure_get_uint (stats, "server-port", &port));
  fail_unless (port > 0);
  return port;
}

/* "rtmp://[user:password@]127.0.0.1:PORT/@path" */
static gchar *
receiver_url (Receiver *r, const gchar *scheme, const gchar *userinfo,
    const gchar *path)
{
  return g_strdup_printf ("%s://%s%s127.0.0.1:%u/%s", scheme,
      userinfo ? userinfo : "", userinfo ? "@" : "", receiver_get_port (r),
      path);
}

/* Waits for EOS (TRUE) or an error (FALSE, @message gets its text) */
static gboolean
receiver_wait_end (Receiver *r, guint timeout_ms, gchar **message)
{
  gint64 end = g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND;
  gboolean eos;

  g_mutex_lock (&r->lock);
  while (!r->is_eos && r->error == NULL)
    if (!g_cond_wait_until (&r->cond, &r->lock, end))
      break;
  fail_unless (r->is_eos || r->error != NULL, "no EOS or error in %u ms",
      timeout_ms);
  eos = r->error == NULL;
  if (message)
    *message = r->error ? g_strdup (r->error->message) : NULL;
  g_mutex_unlock (&r->lock);
  return eos;
}

static void
receiver_expect_eos (Receiver *r)
{
  g_autofree gchar *message = NULL;

  fail_unless (receiver_wait_end (r, WAIT_MS, &message), "error: %s", message);
}

/* The number of rtmp-client-@what messages whose @field contains @text
 * (NULL: any) */
static guint
receiver_count_messages (Receiver *r, const gchar *what, const gchar *field,
    const gchar *text)
{
  g_autofree gchar *name = g_strdup_printf ("rtmp-client-%s", what);
  guint i, n = 0;

  g_mutex_lock (&r->lock);
  for (i = 0; i < r->messages->len; i++) {
    const GstStructure *s = r->messages->pdata[i];
    const gchar *value = field ? gst_structure_get_string (s, field) : NULL;

    if (gst_structure_has_name (s, name)
        && (field == NULL || (value && strstr (value, text))))
      n++;
  }
  g_mutex_unlock (&r->lock);
  return n;
}

static void
receiver_wait_messages (Receiver *r, const gchar *what, const gchar *field,
    const gchar *text, guint count)
{
  gint64 end = g_get_monotonic_time () + WAIT_MS * G_TIME_SPAN_MILLISECOND;

  while (receiver_count_messages (r, what, field, text) < count) {
    g_mutex_lock (&r->lock);
    g_cond_wait_until (&r->cond, &r->lock, end);
    g_mutex_unlock (&r->lock);
    fail_unless (g_get_monotonic_time () < end,
        "no %u rtmp-client-%s messages with %s ~ %s", count, what,
        GST_STR_NULL (field), GST_STR_NULL (text));
  }
}

/* Waits until at least @video frames came out of flvdemux */
static void
receiver_wait_video (Receiver *r, guint video)
{
  gint64 end = g_get_monotonic_time () + WAIT_MS * G_TIME_SPAN_MILLISECOND;

  g_mutex_lock (&r->lock);
  while (r->video_pts->len < video)
    fail_unless (g_cond_wait_until (&r->cond, &r->lock, end),
        "%u video frames, not %u", r->video_pts->len, video);
  g_mutex_unlock (&r->lock);
}

static void
receiver_assert_no_error (Receiver *r)
{
  g_mutex_lock (&r->lock);
  fail_if (r->error != NULL, "error: %s", r->error ? r->error->message : "");
  g_mutex_unlock (&r->lock);
}

static void
receiver_assert_counts (Receiver *r, guint video, guint audio)
{
  g_mutex_lock (&r->lock);
  fail_unless_equals_int (r->video_pts->len, video);
  fail_unless_equals_int (r->audio_pts->len, audio);
  g_mutex_unlock (&r->lock);
}

/* The demuxed timestamps are the file's, @offset_ms later */
static void
check_pts (GArray *got, GArray *expected, guint from, gint64 offset_ms,
    const gchar *what)
{
  guint i;

  fail_unless (got->len >= from + expected->len, "%s: %u frames, not %u", what,
      got->len, from + expected->len);
  for (i = 0; i < expected->len; i++) {
    GstClockTime e = g_array_index (expected, GstClockTime, i);
    GstClockTime g = g_array_index (got, GstClockTime, from + i);

    fail_unless ((gint64) (g / GST_MSECOND)
            == (gint64) (e / GST_MSECOND) + offset_ms,
        "%s frame %u: %" GST_TIME_FORMAT ", expected %" GST_TIME_FORMAT
        " + %" G_GINT64_FORMAT " ms",
        what, from + i, GST_TIME_ARGS (g), GST_TIME_ARGS (e), offset_ms);
  }
}

/* --- the reference: the file through flvdemux --- */

/* What rtmp2sink publishes: the file remuxed by flvmux */
#define REMUX \
  "flvdemux name=rd flvmux name=rm streamable=true rd.video ! queue ! " \
  "h264parse ! rm. rd.audio ! queue ! aacparse ! rm. rm. ! "

/* The file (@remux: through REMUX) into flvdemux (@decode: and decoders) */
static Receiver *
reference_new (const gchar *remux, gboolean decode)
{
  Receiver *r = g_new0 (Receiver, 1);
  g_autofree gchar *desc
      = g_strdup_printf ("filesrc location=%s ! %s flvdemux name=d %s",
          MEDIA_FILE, remux ? remux : "", BRANCHES (decode));
  g_autoptr (GstBus) bus = NULL;
  GError *error = NULL;

  g_mutex_init (&r->lock);
  g_cond_init (&r->cond);
  r->video_pts = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  r->audio_pts = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  r->discont_ms = g_array_new (FALSE, FALSE, sizeof (gint64));
  r->flv = g_byte_array_new ();
  r->messages
      = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_structure_free);
  r->pipeline = gst_parse_launch (desc, &error);
  fail_unless (r->pipeline != NULL, "%s", error ? error->message : "");
  r->src = gst_bin_get_by_name (GST_BIN (r->pipeline), "d");
  probe_pad (r->pipeline, "v", "sink", GST_PAD_PROBE_TYPE_BUFFER, on_video, r);
  probe_pad (r->pipeline, "a", "sink", GST_PAD_PROBE_TYPE_BUFFER, on_audio, r);
  bus = gst_element_get_bus (r->pipeline);
  gst_bus_set_sync_handler (bus, on_receiver_message, r, NULL);
  gst_element_set_state (r->pipeline, GST_STATE_PLAYING);
  receiver_expect_eos (r);
  /* the decoders give one frame per packet of this file too */
  receiver_assert_counts (r, MEDIA_VIDEO_FRAMES, MEDIA_AUDIO_FRAMES);
  return r;
}

/* The whole file arrived once (@remux: as REMUX makes it), frame for frame
 * (@decode: decoded frames) and timestamp for timestamp, from the first
 * frame on */
static void
check_whole_stream (Receiver *r, const gchar *remux, gboolean decode)
{
  Receiver *reference = reference_new (remux, decode);

  receiver_assert_counts (r, MEDIA_VIDEO_FRAMES, MEDIA_AUDIO_FRAMES);
  g_mutex_lock (&r->lock);
  check_pts (r->video_pts, reference->video_pts, 0, 0, "video");
  check_pts (r->audio_pts, reference->audio_pts, 0, 0, "audio");
  g_mutex_unlock (&r->lock);
  receiver_free (reference);
}

static void
check_whole_file (Receiver *r)
{
  check_whole_stream (r, NULL, FALSE);
}

/* --- publishers --- */

static gchar *
require_ffmpeg (void)
{
  return rtmp_external_require_program ("ffmpeg", "ffmpeg");
}

/* ffmpeg -re publishing the file to @url, started (not waited for) */
static RtmpExternalProcess *
ffmpeg_start (const gchar *url)
{
  g_autofree gchar *ffmpeg = require_ffmpeg ();
  const gchar *argv[] = { ffmpeg, "-nostdin", "-v", "error", "-re", "-i",
    MEDIA_FILE, "-c", "copy", "-f", "flv", url, NULL };
  GError *error = NULL;
  RtmpExternalProcess *process = rtmp_external_process_start (argv, &error);

  fail_unless (process != NULL, "%s", error ? error->message : "");
  return process;
}

/* Publishes the file with ffmpeg: TRUE when ffmpeg succeeded; @log (nullable)
 * gets what happened */
static gboolean
ffmpeg_publish (const gchar *url, gchar **log)
{
  g_autoptr (RtmpExternalProcess) process = ffmpeg_start (url);
  g_autoptr (GError) error = NULL;
  gboolean ok = rtmp_external_process_wait_success (process, WAIT_MS, &error);

  if (log)
    *log = g_strdup (error ? error->message : "");
  return ok;
}

/* Runs a publishing pipeline to its end: NULL on EOS, else (transfer full)
 * the error message */
static gchar *
run_publisher (const gchar *desc, GQuark *domain, gint *code)
{
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &error);
  g_autoptr (GstBus) bus = NULL;
  GstMessage *msg;
  gchar *text = NULL;

  fail_unless (pipeline != NULL, "%s", error ? error->message : "");
  bus = gst_element_get_bus (pipeline);
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING)
      == GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (bus, WAIT_MS * GST_MSECOND,
      GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
  fail_unless (msg != NULL, "the publisher neither ended nor failed");
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    gst_message_parse_error (msg, &error, NULL);
    text = g_strdup (error->message);
    if (domain)
      *domain = error->domain;
    if (code)
      *code = error->code;
    g_clear_error (&error);
  }
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  return text;
}

/* Our rtmpsink publishing the file as it is (it reads the FLV itself) */
static gchar *
rtmpsink_publish (const gchar *url, const gchar *props, GQuark *domain,
    gint *code)
{
  g_autofree gchar *desc
      = g_strdup_printf ("filesrc location=%s ! rtmpsink name=sink "
                         "location=%s %s",
          MEDIA_FILE, url, props ? props : "");

  return run_publisher (desc, domain, code);
}

/* --- tests --- */

/* Our rtmpsink (client mode) publishes the file, as fast as it can, into
 * rtmpsrc mode=server in the same process: rtmpsrc outputs every audio and
 * video tag of the file byte for byte with its timestamp, after an FLV
 * header saying audio and video and the publisher's "@setDataFrame
 * onMetaData" as an onMetaData tag; the caps' streamheader holds that
 * header, onMetaData and both sequence headers; flvdemux gets every frame
 * at the file's timestamps; the publisher's leaving is EOS. */
GST_START_TEST (test_rtmpsink_publishes)
{
  Receiver *r = receiver_new ("rtmp", NULL);
  g_autofree gchar *url = receiver_url (r, "rtmp", NULL, "live/key");
  g_autofree gchar *failure = rtmpsink_publish (url, NULL, NULL, NULL);
  g_autoptr (GPtrArray) file_tags = read_file_tags (MEDIA_FILE);
  g_autoptr (GPtrArray) out_tags = NULL;
  g_autoptr (GBytes) out = NULL;
  const GValue *streamheader;
  RtmpFlvHeader header;
  guint i, j, n_metadata = 0;

  fail_unless (failure == NULL, "rtmpsink failed: %s", failure);
  receiver_expect_eos (r);
  check_whole_file (r);

  g_mutex_lock (&r->lock);
  out = g_bytes_new (r->flv->data, r->flv->len);
  fail_unless_equals_int (r->n_header_buffers, 1);
  /* the first tag only: one publisher, no gap */
  fail_unless_equals_int (r->discont_ms->len, 1);
  fail_unless (r->caps != NULL);
  streamheader = gst_structure_get_value (gst_caps_get_structure (r->caps, 0),
      "streamheader");
  fail_unless (streamheader != NULL && GST_VALUE_HOLDS_ARRAY (streamheader));
  /* FLV header, onMetaData, AVC and AAC sequence headers */
  fail_unless_equals_int (gst_value_array_get_size (streamheader), 4);
  g_mutex_unlock (&r->lock);

  out_tags = read_tags (out, &header);
  fail_unless_equals_int (header.flags,
      RTMP_FLV_HEADER_FLAG_AUDIO | RTMP_FLV_HEADER_FLAG_VIDEO);
  for (i = 0; i < out_tags->len; i++)
    if (tag_is_on_metadata (out_tags->pdata[i]))
      n_metadata++;
  fail_unless_equals_int (n_metadata, 1);
  fail_unless (tag_is_on_metadata (out_tags->pdata[0]));
  /* every audio and video tag, in order (the sequence headers were moved
   * before the media they came with) */
  for (i = 0, j = 0; i < file_tags->len; i++) {
    RtmpFlvTag *expected = file_tags->pdata[i];
    RtmpFlvTag *got = NULL;

    if (!tag_is_av (expected))
      continue;
    while (j < out_tags->len && !tag_is_av (out_tags->pdata[j]))
      j++;
    fail_unless (j < out_tags->len, "tag %u of the file is missing", i);
    got = out_tags->pdata[j++];
    fail_unless_equals_int (got->type, expected->type);
    fail_unless_equals_int (got->timestamp, expected->timestamp);
    fail_unless (g_bytes_equal (got->payload, expected->payload),
        "tag %u of the file differs", i);
  }
  for (; j < out_tags->len; j++)
    fail_if (tag_is_av (out_tags->pdata[j]), "an extra tag at the end");
  receiver_free (r);
}

GST_END_TEST;

/* ffmpeg publishes the file in real time: every frame decodes, at the
 * file's timestamps, then EOS; meanwhile the element's stats list it */
GST_START_TEST (test_ffmpeg_publishes)
{
  Receiver *r = receiver_new_full ("rtmp", "127.0.0.1", NULL, TRUE);
  g_autofree gchar *url = receiver_url (r, "rtmp", NULL, "live/key");
  g_autoptr (RtmpExternalProcess) ffmpeg = ffmpeg_start (url);
  g_autoptr (GError) error = NULL;
  g_autoptr (GstStructure) stats = NULL;
  const GValue *clients;
  const GstStructure *client;
  guint64 in_bytes = 0, total = 0;
  guint n_clients = 0;

  receiver_wait_video (r, 30);
  stats = receiver_get_stats (r);
  fail_unless (gst_structure_get_uint (stats, "n-clients", &n_clients));
  fail_unless_equals_int (n_clients, 1);
  fail_unless (gst_structure_get_uint64 (stats, "clients-total", &total));
  fail_unless_equals_int (total, 1);
  clients = gst_structure_get_value (stats, "clients");
  fail_unless (clients != NULL && gst_value_array_get_size (clients) == 1);
  client = gst_value_get_structure (gst_value_array_get_value (clients, 0));
  fail_unless (g_str_has_prefix (gst_structure_get_string (client, "address"),
      "127.0.0.1:"));
  fail_unless_equals_string (gst_structure_get_string (client, "kind"),
      "publish");
  fail_unless_equals_string (gst_structure_get_string (client, "stream"),
      "key");
  fail_unless (gst_structure_get_uint64 (client, "in-bytes-total", &in_bytes));
  fail_unless (in_bytes > 10000, "%" G_GUINT64_FORMAT " bytes in", in_bytes);

  fail_unless (rtmp_external_process_wait_success (ffmpeg, WAIT_MS, &error),
      "%s", error ? error->message : "");
  receiver_expect_eos (r);
  check_whole_stream (r, NULL, TRUE);
  fail_unless_equals_int (receiver_count_messages (r, "connected", NULL, NULL),
      1);
  receiver_wait_messages (r, "disconnected", NULL, NULL, 1);
  receiver_free (r);
}

GST_END_TEST;

/* GStreamer's rtmp2sink publishes (remuxed by flvmux, as fast as it can):
 * every frame, then EOS */
GST_START_TEST (test_rtmp2sink_publishes)
{
  Receiver *r = receiver_new ("rtmp", NULL);
  g_autofree gchar *url = receiver_url (r, "rtmp", NULL, "live/key");
  g_autofree gchar *desc = g_strdup_printf (
      "filesrc location=%s ! " REMUX "rtmp2sink location=%s", MEDIA_FILE, url);
  g_autoptr (GstElementFactory) factory
      = gst_element_factory_find ("rtmp2sink");
  g_autofree gchar *failure = NULL;

  fail_unless (factory != NULL,
      "rtmp2sink is missing "
      "(gstreamer1.0-plugins-bad)");
  failure = run_publisher (desc, NULL, NULL);
  fail_unless (failure == NULL, "rtmp2sink failed: %s", failure);
  receiver_expect_eos (r);
  check_whole_stream (r, REMUX, FALSE);
  receiver_free (r);
}

GST_END_TEST;

/* Adobe authentication: ffmpeg answers the challenge itself with the right
 * password and publishes; with a wrong one, or none, it is refused and
 * nothing comes out */
GST_START_TEST (test_ffmpeg_adobe_auth)
{
  Receiver *r = receiver_new ("rtmp", "username=studio password=s3cret");
  g_autofree gchar *wrong
      = receiver_url (r, "rtmp", "studio:guess", "live/key");
  g_autofree gchar *none = receiver_url (r, "rtmp", NULL, "live/key");
  g_autofree gchar *right
      = receiver_url (r, "rtmp", "studio:s3cret", "live/key");
  g_autofree gchar *log = NULL;

  fail_if (ffmpeg_publish (wrong, NULL), "a wrong password was taken");
  fail_if (ffmpeg_publish (none, NULL), "no credentials were taken");
  receiver_wait_messages (r, "refused", "reason", "authentication failed", 1);
  g_mutex_lock (&r->lock);
  fail_unless_equals_int (r->flv->len, 0);
  g_mutex_unlock (&r->lock);

  fail_unless (ffmpeg_publish (right, &log), "%s", log);
  receiver_expect_eos (r);
  check_whole_file (r);
  receiver_free (r);
}

GST_END_TEST;

/* Our rtmpsink's Adobe authentication against it: the right password
 * publishes, a wrong one fails with NOT_AUTHORIZED */
GST_START_TEST (test_rtmpsink_adobe_auth)
{
  Receiver *r = receiver_new ("rtmp", "username=studio password=s3cret");
  g_autofree gchar *wrong
      = receiver_url (r, "rtmp", "studio:guess", "live/key");
  g_autofree gchar *right
      = receiver_url (r, "rtmp", "studio:s3cret", "live/key");
  g_autofree gchar *failure = NULL;
  GQuark domain = 0;
  gint code = 0;

  failure = rtmpsink_publish (wrong, "reconnect-attempts=0", &domain, &code);
  fail_unless (failure != NULL, "a wrong password was taken");
  fail_unless (domain == GST_RESOURCE_ERROR
          && code == GST_RESOURCE_ERROR_NOT_AUTHORIZED,
      "%s", failure);
  g_clear_pointer (&failure, g_free);

  failure = rtmpsink_publish (right, NULL, NULL, NULL);
  fail_unless (failure == NULL, "rtmpsink failed: %s", failure);
  receiver_expect_eos (r);
  check_whole_file (r);
  receiver_free (r);
}

GST_END_TEST;

/* A publisher with another stream key gets NetStream.Publish.BadName and
 * is closed; the element goes on waiting for the right one */
GST_START_TEST (test_wrong_stream_key)
{
  Receiver *r = receiver_new ("rtmp", NULL);
  g_autofree gchar *wrong = receiver_url (r, "rtmp", NULL, "live/other");
  g_autofree gchar *right = receiver_url (r, "rtmp", NULL, "live/key");
  g_autofree gchar *failure = NULL;
  g_autofree gchar *log = NULL;
  GQuark domain = 0;
  gint code = 0;

  fail_if (ffmpeg_publish (wrong, &log), "ffmpeg published a wrong key");
  failure = rtmpsink_publish (wrong, "reconnect-attempts=0", &domain, &code);
  fail_unless (failure != NULL, "rtmpsink published a wrong key");
  fail_unless (domain == GST_RESOURCE_ERROR
          && code == GST_RESOURCE_ERROR_NOT_FOUND,
      "%s", failure);
  fail_unless (strstr (failure, "BadName") != NULL
          || receiver_count_messages (r, "refused", "code",
                 "NetStream.Publish.BadName")
              > 0,
      "%s", failure);
  receiver_wait_messages (r, "refused", "code", "NetStream.Publish.BadName", 2);
  g_mutex_lock (&r->lock);
  fail_unless_equals_int (r->flv->len, 0);
  fail_unless (!r->is_eos && r->error == NULL);
  g_mutex_unlock (&r->lock);

  g_clear_pointer (&log, g_free);
  fail_unless (ffmpeg_publish (right, &log), "%s", log);
  receiver_expect_eos (r);
  check_whole_file (r);
  receiver_free (r);
}

GST_END_TEST;

/* While ffmpeg publishes, a second publisher of the key is refused
 * (BadName) and the first one's stream is not disturbed */
GST_START_TEST (test_second_publisher_refused)
{
  Receiver *r = receiver_new ("rtmp", NULL);
  g_autofree gchar *url = receiver_url (r, "rtmp", NULL, "live/key");
  g_autoptr (RtmpExternalProcess) first = ffmpeg_start (url);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *failure = NULL;
  GQuark domain = 0;
  gint code = 0;

  receiver_wait_video (r, 10);
  failure = rtmpsink_publish (url, "reconnect-attempts=0", &domain, &code);
  fail_unless (failure != NULL, "a second publisher was taken");
  fail_unless (domain == GST_RESOURCE_ERROR
          && code == GST_RESOURCE_ERROR_NOT_FOUND,
      "%s", failure);
  fail_if (ffmpeg_publish (url, NULL), "a second ffmpeg was taken");
  receiver_wait_messages (r, "refused", "reason", "already has a publisher", 2);
  fail_unless (rtmp_external_process_is_running (first),
      "the first publisher did not get to the end");

  fail_unless (rtmp_external_process_wait_success (first, WAIT_MS, &error),
      "%s", error ? error->message : "");
  receiver_expect_eos (r);
  check_whole_file (r);
  receiver_free (r);
}

GST_END_TEST;

/* on-publisher-gone=wait: the publisher leaves, nothing ends; the next
 * publisher of the key continues the stream with a DISCONT buffer, its
 * timestamps after the first one's */
GST_START_TEST (test_wait_for_next_publisher)
{
  Receiver *r = receiver_new ("rtmp", "on-publisher-gone=wait");
  g_autofree gchar *url = receiver_url (r, "rtmp", NULL, "live/key");
  g_autoptr (GstStructure) stats = NULL;
  g_autofree gchar *log = NULL;
  g_autofree gchar *failure = NULL;
  Receiver *reference = reference_new (NULL, FALSE);
  GstClockTime last_first, first_second;
  guint64 total = 0;
  gint64 offset_ms, gap_ms;

  fail_unless (ffmpeg_publish (url, &log), "%s", log);
  receiver_wait_messages (r, "disconnected", NULL, NULL, 1);
  receiver_wait_video (r, MEDIA_VIDEO_FRAMES);
  /* a second and a half passes: no EOS, no error */
  g_usleep (3 * G_USEC_PER_SEC / 2);
  g_mutex_lock (&r->lock);
  fail_if (r->is_eos || r->error != NULL);
  g_mutex_unlock (&r->lock);

  failure = rtmpsink_publish (url, "realtime=true", NULL, NULL);
  fail_unless (failure == NULL, "the second publisher failed: %s", failure);
  receiver_wait_video (r, 2 * MEDIA_VIDEO_FRAMES);
  g_usleep (G_USEC_PER_SEC / 2);
  receiver_assert_no_error (r);

  g_mutex_lock (&r->lock);
  fail_if (r->is_eos);
  fail_unless_equals_int (r->video_pts->len, 2 * MEDIA_VIDEO_FRAMES);
  fail_unless_equals_int (r->audio_pts->len, 2 * MEDIA_AUDIO_FRAMES);
  fail_unless_equals_int (r->n_header_buffers, 1);
  /* the first tag, and the first of the second publisher */
  fail_unless_equals_int (r->discont_ms->len, 2);
  fail_unless_equals_int (g_array_index (r->discont_ms, gint64, 0), 0);
  last_first
      = g_array_index (r->video_pts, GstClockTime, MEDIA_VIDEO_FRAMES - 1);
  first_second = g_array_index (r->video_pts, GstClockTime, MEDIA_VIDEO_FRAMES);
  /* the first publisher's frames are the file's */
  check_pts (r->video_pts, reference->video_pts, 0, 0, "video");
  check_pts (r->audio_pts, reference->audio_pts, 0, 0, "audio");
  /* ... and so are the second one's, shifted by where it started: after
   * the first one's last message by the time that passed between the two
   * (1.5 s and more; that last message, FFmpeg's AVC end of sequence, may
   * be up to a frame before the last audio frame) */
  offset_ms = (gint64) (first_second / GST_MSECOND)
      - (gint64) (g_array_index (reference->video_pts, GstClockTime, 0)
          / GST_MSECOND);
  gap_ms = offset_ms
      - (gint64) (g_array_index (r->audio_pts, GstClockTime,
                      MEDIA_AUDIO_FRAMES - 1)
          / GST_MSECOND);
  fail_unless (first_second > last_first);
  fail_unless (gap_ms >= 1400 && gap_ms < 20000, "gap %" G_GINT64_FORMAT " ms",
      gap_ms);
  check_pts (r->video_pts, reference->video_pts, MEDIA_VIDEO_FRAMES, offset_ms,
      "second video");
  check_pts (r->audio_pts, reference->audio_pts, MEDIA_AUDIO_FRAMES, offset_ms,
      "second audio");
  g_mutex_unlock (&r->lock);

  stats = receiver_get_stats (r);
  fail_unless (gst_structure_get_uint64 (stats, "clients-total", &total));
  fail_unless_equals_int (total, 2);
  receiver_free (reference);
  receiver_free (r);
}

GST_END_TEST;

/* on-publisher-gone=eos (the default): once the publisher left, later
 * publishers are refused */
GST_START_TEST (test_eos_refuses_later_publishers)
{
  Receiver *r = receiver_new ("rtmp", NULL);
  g_autofree gchar *url = receiver_url (r, "rtmp", NULL, "live/key");
  g_autofree gchar *failure = NULL;

  failure = rtmpsink_publish (url, NULL, NULL, NULL);
  fail_unless (failure == NULL, "%s", failure);
  receiver_expect_eos (r);
  failure = rtmpsink_publish (url, "reconnect-attempts=0", NULL, NULL);
  fail_unless (failure != NULL, "a publisher was taken after EOS");
  receiver_wait_messages (r, "refused", "reason", "the stream has ended", 1);
  check_whole_file (r);
  receiver_free (r);
}

GST_END_TEST;

typedef struct
{
  gchar *app, *stream, *query, *address;
  guint calls;
} Authorization;

static gboolean
on_authorize (GstElement *src, const gchar *app, const gchar *stream,
    const gchar *query, const gchar *address, Authorization *a)
{
  g_free (a->app);
  g_free (a->stream);
  g_free (a->query);
  g_free (a->address);
  a->app = g_strdup (app);
  a->stream = g_strdup (stream);
  a->query = g_strdup (query);
  a->address = g_strdup (address);
  a->calls++;
  return g_strcmp0 (query, "token=good") == 0;
}

/* The authorize-publisher signal sees app, stream key, query and address,
 * and refuses a publisher (BadName) or lets it in */
GST_START_TEST (test_authorize_publisher_signal)
{
  Receiver *r = receiver_new ("rtmp", NULL);
  g_autofree gchar *bad = receiver_url (r, "rtmp", NULL, "live/key?token=bad");
  g_autofree gchar *good
      = receiver_url (r, "rtmp", NULL, "live/key?token=good");
  g_autofree gchar *failure = NULL;
  g_autoptr (GstStructure) stats = NULL;
  Authorization a = { 0 };
  guint64 refused = 0;
  GQuark domain = 0;
  gint code = 0;

  g_signal_connect (r->src, "authorize-publisher", G_CALLBACK (on_authorize),
      &a);
  failure = rtmpsink_publish (bad, "reconnect-attempts=0", &domain, &code);
  fail_unless (failure != NULL, "the signal did not refuse");
  fail_unless (domain == GST_RESOURCE_ERROR
          && code == GST_RESOURCE_ERROR_NOT_FOUND,
      "%s", failure);
  fail_unless_equals_int (a.calls, 1);
  fail_unless_equals_string (a.app, "live");
  fail_unless_equals_string (a.stream, "key");
  fail_unless_equals_string (a.query, "token=bad");
  fail_unless (g_str_has_prefix (a.address, "127.0.0.1:"), "%s", a.address);
  receiver_wait_messages (r, "refused", "reason", "refused by the application",
      1);
  receiver_wait_messages (r, "refused", "code", "NetStream.Publish.BadName", 1);
  stats = receiver_get_stats (r);
  fail_unless (gst_structure_get_uint64 (stats, "clients-refused", &refused));
  fail_unless_equals_int (refused, 1);

  g_clear_pointer (&failure, g_free);
  failure = rtmpsink_publish (good, NULL, NULL, NULL);
  fail_unless (failure == NULL, "%s", failure);
  fail_unless_equals_int (a.calls, 2);
  fail_unless_equals_string (a.query, "token=good");
  receiver_expect_eos (r);
  check_whole_file (r);
  receiver_free (r);
  g_free (a.app);
  g_free (a.stream);
  g_free (a.query);
  g_free (a.address);
}

GST_END_TEST;

/* RTMPS: ffmpeg publishes over TLS to the element's certificate (ffmpeg
 * does not verify it) */
GST_START_TEST (test_rtmps_ffmpeg)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *dir = rtmp_external_make_temp_dir ("srcserver-tls", &error);
  g_autofree gchar *cert = NULL, *key = NULL, *props = NULL, *url = NULL;
  g_autofree gchar *log = NULL;
  Receiver *r;

  fail_unless (dir != NULL, "%s", error ? error->message : "");
  fail_unless (rtmp_external_make_certificate (dir, &cert, &key, &error), "%s",
      error ? error->message : "");
  props
      = g_strdup_printf ("tls-certificate-file=%s tls-key-file=%s", cert, key);
  r = receiver_new ("rtmps", props);
  url = receiver_url (r, "rtmps", NULL, "live/key");
  fail_unless (ffmpeg_publish (url, &log), "%s", log);
  receiver_expect_eos (r);
  check_whole_file (r);
  receiver_free (r);
  rtmp_external_remove_tree (dir);
}

GST_END_TEST;

/* No publisher: the element waits beyond its timeout without an error or
 * EOS, and stopping it ends the wait at once */
GST_START_TEST (test_waits_and_stops_at_once)
{
  Receiver *r = receiver_new ("rtmp", "timeout=1");
  gint64 start_us;

  fail_unless (receiver_get_port (r) > 0);
  /* three times the timeout */
  g_usleep (3 * G_USEC_PER_SEC);
  receiver_assert_no_error (r);
  g_mutex_lock (&r->lock);
  fail_if (r->is_eos);
  fail_unless_equals_int (r->flv->len, 0);
  g_mutex_unlock (&r->lock);

  start_us = g_get_monotonic_time ();
  fail_unless_equals_int (gst_element_set_state (r->pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless (g_get_monotonic_time () - start_us < G_USEC_PER_SEC / 2,
      "stopping took %" G_GINT64_FORMAT " us",
      g_get_monotonic_time () - start_us);
  receiver_free (r);
}

GST_END_TEST;

/* An invalid location or an address that cannot be bound fails the start
 * with one error */
GST_START_TEST (test_start_errors)
{
  const gchar *cases[] = {
    /* a port another socket listens on */
    "location=rtmp://127.0.0.1:%u/live/key",
    /* an address of no interface here (TEST-NET-1) */
    "location=rtmp://192.0.2.1:1935/live/key",
  };
  g_autoptr (GSocket) blocker = g_socket_new (G_SOCKET_FAMILY_IPV4,
      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr (GInetAddress) loopback
      = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  guint i, port;

  rtmp_test_assert_plugin_is_ours ();
  /* bound without SO_REUSEADDR and listening: nobody else gets the port */
  fail_unless (g_socket_bind (blocker, any, FALSE, NULL));
  fail_unless (g_socket_listen (blocker, NULL));
  bound = g_socket_get_local_address (blocker, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *props = g_strdup_printf (cases[i], port);
    g_autofree gchar *desc
        = g_strdup_printf ("rtmpsrc name=src mode=server %s ! fakesink", props);
    GstElement *pipeline = gst_parse_launch (desc, NULL);
    g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
    GstMessage *msg;
    GError *error = NULL;
    guint n_errors = 0;

    fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_PLAYING),
        GST_STATE_CHANGE_FAILURE);
    while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR)) != NULL) {
      if (n_errors == 0) {
        gst_message_parse_error (msg, &error, NULL);
        fail_unless (g_error_matches (error, GST_RESOURCE_ERROR,
                         GST_RESOURCE_ERROR_OPEN_READ),
            "%s: %s", props, error->message);
        g_clear_error (&error);
      }
      n_errors++;
      gst_message_unref (msg);
    }
    fail_unless_equals_int (n_errors, 1);
    gst_element_set_state (pipeline, GST_STATE_NULL);
    gst_object_unref (pipeline);
  }
}

GST_END_TEST;

/* Writes @tags (RtmpFlvTag *) as an FLV file into a new temporary
 * directory; (transfer full) its path */
static gchar *
write_flv (GPtrArray *tags, guint8 flags)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GByteArray) out = g_byte_array_new ();
  gchar *dir = rtmp_external_make_temp_dir ("srcserver-flv", &error);
  gchar *path;
  guint8 header[RTMP_FLV_FILE_HEADER_LEN];
  guint i;

  fail_unless (dir != NULL, "%s", error ? error->message : "");
  rtmp_flv_write_header (header, flags);
  g_byte_array_append (out, header, sizeof (header));
  for (i = 0; i < tags->len; i++) {
    RtmpFlvTag *tag = tags->pdata[i];
    gsize len;
    const guint8 *body = g_bytes_get_data (tag->payload, &len);

    rtmp_flv_append_tag (out, tag->type, tag->timestamp, body, len);
  }
  path = g_build_filename (dir, "stream.flv", NULL);
  fail_unless (
      g_file_set_contents (path, (const gchar *) out->data, out->len, &error),
      "%s", error ? error->message : "");
  g_free (dir);
  return path;
}

/* The file with its onMetaData cut short: the ECMA array's first number
 * lacks its 8 bytes */
static gchar *
write_broken_metadata_flv (void)
{
  static const guint8 broken[] = { 0x02, 0x00, 0x0a, 'o', 'n', 'M', 'e', 't',
    'a', 'D', 'a', 't', 'a', 0x08, 0x00, 0x00, 0x00, 0x01, 0x00, 0x08, 'd', 'u',
    'r', 'a', 't', 'i', 'o', 'n', 0x00, 0x40 };
  g_autoptr (GPtrArray) tags = read_file_tags (MEDIA_FILE);
  RtmpFlvTag *metadata = tags->pdata[0];

  fail_unless (tag_is_on_metadata (metadata));
  g_bytes_unref (metadata->payload);
  metadata->payload = g_bytes_new_static (broken, sizeof (broken));
  return write_flv (tags,
      RTMP_FLV_HEADER_FLAG_AUDIO | RTMP_FLV_HEADER_FLAG_VIDEO);
}

/* A publisher whose onMetaData does not parse: with on-publisher-gone=eos
 * one error (RESOURCE READ) and nothing else; it is disconnected */
GST_START_TEST (test_broken_publisher_is_an_error)
{
  Receiver *r = receiver_new ("rtmp", NULL);
  g_autofree gchar *url = receiver_url (r, "rtmp", NULL, "live/key");
  g_autofree gchar *path = write_broken_metadata_flv ();
  g_autofree gchar *dir = g_path_get_dirname (path);
  g_autofree gchar *desc = g_strdup_printf (
      "filesrc location=%s ! rtmpsink location=%s reconnect-attempts=0", path,
      url);
  g_autofree gchar *failure = run_publisher (desc, NULL, NULL);
  g_autofree gchar *message = NULL;

  /* it may have sent all before it was dropped: its own end says nothing */
  (void) failure;
  fail_if (receiver_wait_end (r, WAIT_MS, &message), "EOS instead of an error");
  fail_unless (strstr (message, "onMetaData") != NULL, "%s", message);
  receiver_wait_messages (r, "disconnected", NULL, NULL, 1);
  g_mutex_lock (&r->lock);
  fail_unless (
      g_error_matches (r->error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ));
  fail_unless_equals_int (r->n_errors, 1);
  fail_unless_equals_int (r->video_pts->len, 0);
  g_mutex_unlock (&r->lock);
  receiver_free (r);
  rtmp_external_remove_tree (dir);
}

GST_END_TEST;

/* The same with on-publisher-gone=wait: a warning, and the next
 * publisher's stream comes out whole */
GST_START_TEST (test_broken_publisher_waits)
{
  Receiver *r = receiver_new ("rtmp", "on-publisher-gone=wait");
  g_autofree gchar *url = receiver_url (r, "rtmp", NULL, "live/key");
  g_autofree gchar *path = write_broken_metadata_flv ();
  g_autofree gchar *dir = g_path_get_dirname (path);
  g_autofree gchar *desc = g_strdup_printf (
      "filesrc location=%s ! rtmpsink location=%s reconnect-attempts=0", path,
      url);
  g_autofree gchar *failure = run_publisher (desc, NULL, NULL);
  g_autofree gchar *log = NULL;

  /* it may have sent all before it was dropped: its own end says nothing */
  (void) failure;
  receiver_wait_messages (r, "disconnected", NULL, NULL, 1);
  fail_unless (ffmpeg_publish (url, &log), "%s", log);
  receiver_wait_video (r, MEDIA_VIDEO_FRAMES);
  g_mutex_lock (&r->lock);
  fail_unless (r->warning != NULL);
  fail_unless (strstr (r->warning->message, "broken") != NULL, "%s",
      r->warning->message);
  fail_unless (r->error == NULL && !r->is_eos);
  g_mutex_unlock (&r->lock);
  receiver_free (r);
  rtmp_external_remove_tree (dir);
}

GST_END_TEST;

static GstPadProbeReturn
count_pushed (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  gint *bytes = user_data;

  g_atomic_int_add (bytes,
      (gint) gst_buffer_get_size (GST_PAD_PROBE_INFO_BUFFER (info)));
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
hold (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  return GST_PAD_PROBE_OK;
}

static guint64
publisher_in_bytes (GstElement *src)
{
  g_autoptr (GstStructure) stats = NULL;
  guint64 bytes = 0;

  g_object_get (src, "stats", &stats, NULL);
  gst_structure_get_uint64 (stats, "in-bytes-total", &bytes);
  return bytes;
}

static void
expect_eos_on (GstElement *pipeline, const gchar *what)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, WAIT_MS * GST_MSECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);

  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS,
      "%s did not end with EOS", what);
  gst_message_unref (msg);
}

/* A publisher faster than the pipeline: while nothing leaves the element
 * it stops reading after its bound (2 s of media here), so TCP holds the
 * publisher back; once the pipeline takes the stream again everything
 * comes out, nothing lost. (The publisher ends only after that, so that
 * what is checked is the element's queue, not how a publisher closes.) */
GST_START_TEST (test_full_queue_pushes_back)
{
  /* 10 s at 30 fps of 100 KB frames (H.263 by its codec id, so nothing
   * parses the bodies): 30 MB, far beyond the socket buffers */
  const guint n_frames = 300, frame_bytes = 100 * 1024;
  g_autoptr (GByteArray) flv = g_byte_array_new ();
  guint8 header[RTMP_FLV_FILE_HEADER_LEN];
  g_autofree gchar *desc = NULL, *publish = NULL;
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GstElement) src = NULL;
  g_autoptr (GstElement) sink = NULL;
  g_autoptr (GstElement) publisher = NULL;
  g_autoptr (GstElement) appsrc = NULL;
  g_autoptr (GstPad) pad = NULL;
  g_autoptr (GError) error = NULL;
  guint8 *body = g_malloc (frame_bytes);
  guint64 before, after;
  gint64 end;
  gint pushed = 0;
  GstFlowReturn ret;
  gulong hold_id;
  guint16 port;
  guint i;

  rtmp_test_assert_plugin_is_ours ();
  rtmp_flv_write_header (header, RTMP_FLV_HEADER_FLAG_VIDEO);
  g_byte_array_append (flv, header, sizeof (header));
  for (i = 0; i < n_frames; i++) {
    memset (body, i & 0xff, frame_bytes);
    body[0] = (i % 30 == 0 ? 0x10 : 0x20) | 2;
    rtmp_flv_append_tag (flv, RTMP_FLV_TAG_VIDEO, i * 1000 / 30, body,
        frame_bytes);
  }
  g_free (body);

  port = rtmp_external_pick_port (&error);
  fail_unless (port != 0, "%s", error ? error->message : "");
  desc = g_strdup_printf ("rtmpsrc name=src mode=server "
                          "location=rtmp://127.0.0.1:%u/live/key ! "
                          "fakesink name=sink sync=false",
      port);
  pipeline = gst_parse_launch (desc, NULL);
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  fail_unless (rtmp_test_element_is_ours (src));
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_pushed, &pushed,
      NULL);
  /* nothing goes past the sink's pad until it is removed */
  hold_id = gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BLOCK_DOWNSTREAM, hold,
      NULL, NULL);
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING)
      == GST_STATE_CHANGE_FAILURE);

  publish = g_strdup_printf ("appsrc name=in caps=video/x-flv ! rtmpsink "
                             "location=rtmp://127.0.0.1:%u/live/key",
      port);
  publisher = gst_parse_launch (publish, NULL);
  fail_unless (publisher != NULL);
  appsrc = gst_bin_get_by_name (GST_BIN (publisher), "in");
  gst_element_set_state (publisher, GST_STATE_PLAYING);
  g_signal_emit_by_name (appsrc, "push-buffer",
      gst_buffer_new_wrapped (g_memdup2 (flv->data, flv->len), flv->len), &ret);
  fail_unless_equals_int (ret, GST_FLOW_OK);

  /* the element reads up to its bound, then the bytes stop coming */
  do {
    before = publisher_in_bytes (src);
    g_usleep (G_USEC_PER_SEC / 2);
    after = publisher_in_bytes (src);
  } while (after != before || after == 0);
  fail_unless (after < 12 * 1024 * 1024,
      "%" G_GUINT64_FORMAT " bytes read while the pipeline took nothing",
      after);
  fail_unless (after < flv->len / 2);

  /* everything comes out once the pipeline takes it */
  gst_pad_remove_probe (pad, hold_id);
  end = g_get_monotonic_time () + WAIT_MS * G_TIME_SPAN_MILLISECOND;
  while ((guint) g_atomic_int_get (&pushed) < flv->len) {
    fail_unless (g_get_monotonic_time () < end, "%d of %u bytes came out",
        g_atomic_int_get (&pushed), flv->len);
    g_usleep (10 * 1000);
  }
  g_signal_emit_by_name (appsrc, "end-of-stream", &ret);
  expect_eos_on (publisher, "the publisher");
  expect_eos_on (pipeline, "rtmpsrc");
  /* the FLV header and every tag, once */
  fail_unless_equals_int (g_atomic_int_get (&pushed), flv->len);
  gst_element_set_state (publisher, GST_STATE_NULL);
  gst_element_set_state (pipeline, GST_STATE_NULL);
}

GST_END_TEST;

/* IPv6: rtmp://[::1]:PORT/... listens on IPv6; ffmpeg publishes there */
GST_START_TEST (test_ipv6)
{
  Receiver *r = receiver_new_full ("rtmp", "[::1]", NULL, FALSE);
  g_autofree gchar *url
      = g_strdup_printf ("rtmp://[::1]:%u/live/key", receiver_get_port (r));
  g_autofree gchar *log = NULL;

  fail_unless (ffmpeg_publish (url, &log), "%s", log);
  receiver_expect_eos (r);
  check_whole_file (r);
  receiver_free (r);
}

GST_END_TEST;

/* ffmpeg playing rtmp://127.0.0.1:@port/live/out into @path until the
 * stream ends */
static RtmpExternalProcess *
ffmpeg_play_start (guint port, const gchar *path)
{
  g_autofree gchar *ffmpeg = require_ffmpeg ();
  g_autofree gchar *url
      = g_strdup_printf ("rtmp://127.0.0.1:%u/live/out", port);
  const gchar *argv[] = { ffmpeg, "-nostdin", "-v", "error", "-y", "-i", url,
    "-c", "copy", "-f", "flv", path, NULL };
  GError *error = NULL;
  RtmpExternalProcess *process = rtmp_external_process_start (argv, &error);

  fail_unless (process != NULL, "%s", error ? error->message : "");
  return process;
}

/* The one-port relay: rtmpsrc mode=server (live/in) ! rtmpsink
 * mode=server (live/out) share one listening socket. ffmpeg publishes into
 * live/in; one ffmpeg player started before it gets every frame, one
 * started mid-stream starts at a keyframe; both end when the publisher
 * leaves; ffprobe counts what they wrote. */
GST_START_TEST (test_one_port_relay)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *ffprobe
      = rtmp_external_require_program ("ffprobe", "ffmpeg");
  g_autofree gchar *dir
      = rtmp_external_make_temp_dir ("srcserver-relay", &error);
  g_autofree gchar *early_path = NULL, *late_path = NULL, *desc = NULL;
  g_autofree gchar *in_url = NULL;
  g_autoptr (RtmpExternalProcess) early = NULL;
  g_autoptr (RtmpExternalProcess) late = NULL;
  g_autoptr (RtmpExternalProcess) publisher = NULL;
  g_autoptr (GPtrArray) early_tags = NULL;
  g_autoptr (GPtrArray) late_tags = NULL;
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GstElement) src = NULL;
  g_autoptr (GstElement) sink = NULL;
  g_autoptr (GstBus) bus = NULL;
  RtmpExternalProbe probe;
  GstMessage *msg;
  guint16 port;

  rtmp_test_assert_plugin_is_ours ();
  fail_unless (dir != NULL, "%s", error ? error->message : "");
  early_path = g_build_filename (dir, "early.flv", NULL);
  late_path = g_build_filename (dir, "late.flv", NULL);
  port = rtmp_external_pick_port (&error);
  fail_unless (port != 0, "%s", error ? error->message : "");
  desc = g_strdup_printf (
      "rtmpsrc name=src mode=server location=rtmp://127.0.0.1:%u/live/in ! "
      "queue ! rtmpsink name=sink mode=server "
      "location=rtmp://127.0.0.1:%u/live/out",
      port, port);
  pipeline = gst_parse_launch (desc, NULL);
  fail_unless (pipeline != NULL);
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  fail_unless (rtmp_test_element_is_ours (src));
  fail_unless (rtmp_test_element_is_ours (sink));
  bus = gst_element_get_bus (pipeline);
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING)
      == GST_STATE_CHANGE_FAILURE);

  /* the early player waits for the stream before it exists */
  early = ffmpeg_play_start (port, early_path);
  {
    /* until the sink serves it */
    gint64 end = g_get_monotonic_time () + WAIT_MS * G_TIME_SPAN_MILLISECOND;
    guint n_clients = 0;

    while (n_clients == 0) {
      g_autoptr (GstStructure) stats = NULL;

      fail_unless (g_get_monotonic_time () < end, "the player never came");
      fail_unless (rtmp_external_process_is_running (early), "ffmpeg ended");
      g_object_get (sink, "stats", &stats, NULL);
      gst_structure_get_uint (stats, "n-clients", &n_clients);
      if (n_clients == 0)
        g_usleep (20 * 1000);
    }
  }

  in_url = g_strdup_printf ("rtmp://127.0.0.1:%u/live/in", port);
  publisher = ffmpeg_start (in_url);
  /* the late player joins about half-way */
  g_usleep (2 * G_USEC_PER_SEC);
  fail_unless (rtmp_external_process_is_running (publisher));
  late = ffmpeg_play_start (port, late_path);

  fail_unless (rtmp_external_process_wait_success (publisher, WAIT_MS, &error),
      "%s", error ? error->message : "");
  /* the publisher left: EOS through the relay, the players are told */
  msg = gst_bus_timed_pop_filtered (bus, WAIT_MS * GST_MSECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS,
      "the relay did not end cleanly");
  gst_message_unref (msg);
  fail_unless (rtmp_external_process_wait_success (early, WAIT_MS, &error),
      "%s", error ? error->message : "");
  fail_unless (rtmp_external_process_wait_success (late, WAIT_MS, &error), "%s",
      error ? error->message : "");
  gst_element_set_state (pipeline, GST_STATE_NULL);

  /* the early player got everything */
  fail_unless (rtmp_external_ffprobe (early_path, 0, WAIT_MS, &probe, &error),
      "%s", error ? error->message : "");
  fail_unless_equals_int (probe.n_video_packets, MEDIA_VIDEO_FRAMES);
  fail_unless_equals_int (probe.n_audio_packets, MEDIA_AUDIO_FRAMES);
  fail_unless_equals_int (probe.n_video_key_packets, 4);
  early_tags = read_file_tags (early_path);
  fail_unless (first_video_frame_is_key (early_tags));
  /* the late one from a keyframe on, to the end */
  fail_unless (rtmp_external_ffprobe (late_path, 0, WAIT_MS, &probe, &error),
      "%s", error ? error->message : "");
  fail_unless (probe.n_video_packets >= 30
          && probe.n_video_packets < MEDIA_VIDEO_FRAMES,
      "the late player got %u video frames", probe.n_video_packets);
  fail_unless (probe.n_video_key_packets >= 1);
  fail_unless (probe.n_audio_packets > 0);
  late_tags = read_file_tags (late_path);
  fail_unless (first_video_frame_is_key (late_tags));
  rtmp_external_remove_tree (dir);
}

GST_END_TEST;

static Suite *
srcserver_suite (void)
{
  Suite *s = suite_create ("srcserver");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_rtmpsink_publishes);
  tcase_add_test (tc, test_ffmpeg_publishes);
  tcase_add_test (tc, test_rtmp2sink_publishes);
  tcase_add_test (tc, test_ffmpeg_adobe_auth);
  tcase_add_test (tc, test_rtmpsink_adobe_auth);
  tcase_add_test (tc, test_wrong_stream_key);
  tcase_add_test (tc, test_second_publisher_refused);
  tcase_add_test (tc, test_wait_for_next_publisher);
  tcase_add_test (tc, test_eos_refuses_later_publishers);
  tcase_add_test (tc, test_authorize_publisher_signal);
  tcase_add_test (tc, test_rtmps_ffmpeg);
  tcase_add_test (tc, test_waits_and_stops_at_once);
  tcase_add_test (tc, test_start_errors);
  tcase_add_test (tc, test_broken_publisher_is_an_error);
  tcase_add_test (tc, test_broken_publisher_waits);
  tcase_add_test (tc, test_full_queue_pushes_back);
  tcase_add_test (tc, test_ipv6);
  tcase_add_test (tc, test_one_port_relay);
  return s;
}

GST_CHECK_MAIN (srcserver);
