/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtmpsink against the in-process test peer: every command, status and
 * error path, timeouts, reconnects and the end of the stream. */

#include <gst/check/gstcheck.h>
#include <gst/app/gstappsrc.h>
#include "rtmptestpeer.h"
#include "rtmptestutil.h"
#include "rtmpflv.h"
#include "rtmpcommand.h"

#define FLV_FILE RTMP_TEST_FILES_DIR "/flv/gst-x264-aac.flv"
/* tags in FLV_FILE (tests/files/README.md): 1 script, 2 sequence headers,
 * 30 video frames (3 keyframes), 31 AAC frames */
#define FLV_N_TAGS 65
#define WAIT_MS 10000

typedef struct
{
  GstElement *pipeline;
  GstElement *src;
  GstElement *sink;
  GstBus *bus;
  GPtrArray *states; /* gchar *: rtmp-state's state field */
} Pipe;

static Pipe *
pipe_new (const gchar *location, const gchar *props)
{
  Pipe *p = g_new0 (Pipe, 1);
  g_autofree gchar *desc
      = g_strdup_printf ("appsrc name=src format=time "
                         "caps=video/x-flv ! rtmpsink name=sink location=%s %s",
          location, props ? props : "");
  GError *error = NULL;

  rtmp_test_assert_plugin_is_ours ();
  p->pipeline = gst_parse_launch (desc, &error);
  fail_unless (p->pipeline != NULL, "%s", error ? error->message : "");
  p->src = gst_bin_get_by_name (GST_BIN (p->pipeline), "src");
  p->sink = gst_bin_get_by_name (GST_BIN (p->pipeline), "sink");
  fail_unless (rtmp_test_element_is_ours (p->sink));
  p->bus = gst_element_get_bus (p->pipeline);
  p->states = g_ptr_array_new_with_free_func (g_free);
  return p;
}

static void
pipe_free (Pipe *p)
{
  gst_element_set_state (p->pipeline, GST_STATE_NULL);
  gst_object_unref (p->src);
  gst_object_unref (p->sink);
  gst_object_unref (p->bus);
  gst_object_unref (p->pipeline);
  g_ptr_array_unref (p->states);
  g_free (p);
}

static void
pipe_play (Pipe *p)
{
  GstStateChangeReturn ret
      = gst_element_set_state (p->pipeline, GST_STATE_PLAYING);

  fail_unless (ret != GST_STATE_CHANGE_FAILURE);
}

/* Pops messages until an error or EOS (returned) or the timeout (NULL),
 * recording rtmp-state messages on the way */
static GstMessage *
pipe_wait (Pipe *p, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + timeout_ms * (gint64) 1000;

  for (;;) {
    gint64 left = end - g_get_monotonic_time ();
    GstMessage *msg;

    if (left <= 0)
      return NULL;
    msg = gst_bus_timed_pop_filtered (p->bus, left * GST_USECOND,
        GST_MESSAGE_ERROR | GST_MESSAGE_EOS | GST_MESSAGE_ELEMENT);
    if (msg == NULL)
      return NULL;
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT) {
      const GstStructure *s = gst_message_get_structure (msg);

      if (gst_structure_has_name (s, "rtmp-state"))
        g_ptr_array_add (p->states,
            g_strdup (gst_structure_get_string (s, "state")));
      gst_message_unref (msg);
      continue;
    }
    return msg;
  }
}

/* Until the sink posted rtmp-state @state for the @nth time (from 1) */
static gboolean
pipe_wait_for_state (Pipe *p, const gchar *state, guint nth, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + timeout_ms * (gint64) 1000;

  for (;;) {
    guint i, n = 0;
    gint64 left;
    GstMessage *msg;

    for (i = 0; i < p->states->len; i++)
      n += g_str_equal (p->states->pdata[i], state);
    if (n >= nth)
      return TRUE;
    left = end - g_get_monotonic_time ();
    if (left <= 0)
      return FALSE;
    msg = gst_bus_timed_pop_filtered (p->bus, left * GST_USECOND,
        GST_MESSAGE_ELEMENT | GST_MESSAGE_ERROR);
    if (msg == NULL || GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      if (msg)
        gst_message_unref (msg);
      return FALSE;
    }
    if (gst_structure_has_name (gst_message_get_structure (msg), "rtmp-state"))
      g_ptr_array_add (p->states,
          g_strdup (gst_structure_get_string (gst_message_get_structure (msg),
              "state")));
    gst_message_unref (msg);
  }
}

static void
pipe_expect_eos (Pipe *p)
{
  GstMessage *msg = pipe_wait (p, WAIT_MS);

  fail_unless (msg != NULL, "no EOS");
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    g_autoptr (GError) error = NULL;
    g_autofree gchar *debug = NULL;

    gst_message_parse_error (msg, &error, &debug);
    fail ("error instead of EOS: %s (%s)", error->message, debug);
  }
  gst_message_unref (msg);
}

/* The error (transfer full) posted within @timeout_ms */
static GError *
pipe_expect_error (Pipe *p, guint timeout_ms, gchar **debug)
{
  GstMessage *msg = pipe_wait (p, timeout_ms);
  GError *error = NULL;

  fail_unless (msg != NULL, "no error within %u ms", timeout_ms);
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_ERROR);
  fail_unless (GST_MESSAGE_SRC (msg) == GST_OBJECT (p->sink));
  gst_message_parse_error (msg, &error, debug);
  gst_message_unref (msg);
  return error;
}

/* Waits until the sink's stats field @name reaches @min; the bus is the
 * clock of the loop (an error ends the wait) */
static gboolean
wait_for_stat (Pipe *p, const gchar *name, guint64 min, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + timeout_ms * (gint64) 1000;

  while (g_get_monotonic_time () < end) {
    GstStructure *stats;
    guint64 value = 0;
    GstMessage *msg;

    g_object_get (p->sink, "stats", &stats, NULL);
    gst_structure_get_uint64 (stats, name, &value);
    gst_structure_free (stats);
    if (value >= min)
      return TRUE;
    msg = gst_bus_timed_pop_filtered (p->bus, 20 * GST_MSECOND,
        GST_MESSAGE_ERROR);
    if (msg) {
      gst_message_unref (msg);
      return FALSE;
    }
  }
  return FALSE;
}

static GBytes *
load_flv (void)
{
  gchar *contents;
  gsize len;
  GError *error = NULL;

  fail_unless (g_file_get_contents (FLV_FILE, &contents, &len, &error), "%s",
      error ? error->message : "");
  return g_bytes_new_take (contents, len);
}

/* Pushes @bytes in buffers of @piece bytes (0: one buffer) */
static void
push_bytes (Pipe *p, GBytes *bytes, gsize piece)
{
  gsize len, offset = 0;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  while (offset < len) {
    gsize n = piece ? MIN (piece, len - offset) : len;
    GstBuffer *buffer = gst_buffer_new_memdup (data + offset, n);

    fail_unless_equals_int (
        gst_app_src_push_buffer (GST_APP_SRC (p->src), buffer), GST_FLOW_OK);
    offset += n;
  }
}

static void
push_flv_and_eos (Pipe *p, gsize piece)
{
  g_autoptr (GBytes) flv = load_flv ();

  push_bytes (p, flv, piece);
  gst_app_src_end_of_stream (GST_APP_SRC (p->src));
}

/* The tags of FLV_FILE */
static GPtrArray *
flv_tags (void)
{
  g_autoptr (GBytes) flv = load_flv ();
  g_autoptr (RtmpFlvReader) reader = rtmp_flv_reader_new (NULL);
  GPtrArray *tags
      = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_flv_tag_free);
  gsize offset = 0;

  for (;;) {
    RtmpFlvTag *tag = NULL;
    gsize consumed = 0;
    RtmpReadResult r
        = rtmp_flv_reader_read (reader, flv, offset, &consumed, &tag, NULL);

    offset += consumed;
    if (r != RTMP_READ_OK)
      break;
    g_ptr_array_add (tags, tag);
  }
  fail_unless_equals_int (tags->len, FLV_N_TAGS);
  return tags;
}

/* Each tag arrived as one message of its type and timestamp, bytes intact;
 * script tags carry @setDataFrame */
static void
check_messages_match_tags (GPtrArray *messages, guint first)
{
  g_autoptr (GPtrArray) tags = flv_tags ();
  guint i;

  fail_unless (messages->len >= first + tags->len, "%u messages, want %u",
      messages->len, first + tags->len);
  for (i = 0; i < tags->len; i++) {
    RtmpFlvTag *tag = tags->pdata[i];
    RtmpMessage *m = messages->pdata[first + i];

    fail_unless_equals_int (m->type, tag->type);
    fail_unless_equals_int (m->timestamp, tag->timestamp);
    if (tag->type == RTMP_FLV_TAG_SCRIPT) {
      g_autoptr (GBytes) with
          = rtmp_flv_script_add_set_data_frame (tag->payload);

      fail_unless (g_bytes_equal (m->payload, with), "tag %u", i);
    } else {
      fail_unless (g_bytes_equal (m->payload, tag->payload), "tag %u", i);
    }
  }
}

static gboolean
strv_has_in_order (GStrv strv, const gchar *const *names)
{
  guint i, j = 0;

  for (i = 0; strv[i] != NULL && names[j] != NULL; i++) {
    if (g_str_equal (strv[i], names[j]))
      j++;
  }
  return names[j] == NULL;
}

static void
check_publish (gsize piece)
{
  static const gchar *const sequence[]
      = { "connect", "releaseStream", "FCPublish", "createStream", "publish",
          "FCUnpublish", "deleteStream", NULL };
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  g_autofree gchar *url = rtmp_test_peer_dup_url (peer, "live", "cam1");
  Pipe *p = pipe_new (url, NULL);
  g_autoptr (GPtrArray) media = NULL;
  g_auto (GStrv) commands = NULL;
  g_autoptr (RtmpAmfValue) connect = NULL;

  pipe_play (p);
  push_flv_and_eos (p, piece);
  pipe_expect_eos (p);

  media = rtmp_test_peer_dup_media (peer, RTMP_TEST_PEER_ALL);
  check_messages_match_tags (media, 0);
  fail_unless_equals_int (media->len, FLV_N_TAGS);

  commands = rtmp_test_peer_dup_commands (peer, 0);
  fail_unless (strv_has_in_order (commands, sequence));
  connect = rtmp_test_peer_dup_connect_object (peer, 0);
  fail_unless_equals_string (rtmp_amf_value_lookup_string (connect, "app"),
      "live");
  fail_unless_equals_string (rtmp_amf_value_lookup_string (connect, "type"),
      "nonprivate");
  fail_unless (g_str_has_prefix (
      rtmp_amf_value_lookup_string (connect, "tcUrl"), "rtmp://127.0.0.1:"));
  fail_unless_equals_int (rtmp_test_peer_get_client_chunk_size (peer, 0), 4096);
  fail_unless_equals_int (rtmp_test_peer_wait_for_end (peer, 0, WAIT_MS),
      RTMP_TEST_PEER_END_CLIENT_CLEAN);

  /* the states, in order */
  fail_unless (p->states->len >= 5);
  fail_unless_equals_string (p->states->pdata[0], "connecting");
  fail_unless_equals_string (p->states->pdata[p->states->len - 1], "stopped");
  pipe_free (p);
}

GST_START_TEST (test_publish_whole_buffer)
{
  check_publish (0);
}

GST_END_TEST;

/* tags split across buffers, several tags per buffer */
GST_START_TEST (test_publish_split_buffers)
{
  check_publish (777);
}

GST_END_TEST;

GST_START_TEST (test_publish_byte_buffers)
{
  check_publish (1);
}

GST_END_TEST;

/* Caps streamheader as flvmux streamable=true sends it: the headers go
 * first and the in-band copies are not sent again */
GST_START_TEST (test_streamheader_not_sent_twice)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  g_autofree gchar *url = rtmp_test_peer_dup_url (peer, "live", "sh");
  g_autoptr (GPtrArray) tags = flv_tags ();
  g_autoptr (GBytes) flv = load_flv ();
  g_autoptr (GPtrArray) media = NULL;
  Pipe *p = pipe_new (url, NULL);
  GValue array = G_VALUE_INIT;
  GstCaps *caps;
  gsize header_len, len;
  const guint8 *data = g_bytes_get_data (flv, &len);
  guint i, n_headers = 0;

  /* the file header and the first three tags (script + two sequence
   * headers) make the streamheader */
  header_len = RTMP_FLV_FILE_HEADER_LEN;
  for (i = 0; i < 3; i++)
    header_len += RTMP_FLV_TAG_HEADER_LEN
        + g_bytes_get_size (((RtmpFlvTag *) tags->pdata[i])->payload)
        + RTMP_FLV_TAG_TRAILER_LEN;
  g_value_init (&array, GST_TYPE_ARRAY);
  {
    GValue v = G_VALUE_INIT;
    GstBuffer *buffer = gst_buffer_new_memdup (data, header_len);

    GST_BUFFER_FLAG_SET (buffer, GST_BUFFER_FLAG_HEADER);
    g_value_init (&v, GST_TYPE_BUFFER);
    gst_value_set_buffer (&v, buffer);
    gst_value_array_append_and_take_value (&array, &v);
    gst_buffer_unref (buffer);
  }
  caps = gst_caps_new_empty_simple ("video/x-flv");
  gst_caps_set_value (caps, "streamheader", &array);
  g_value_unset (&array);
  gst_app_src_set_caps (GST_APP_SRC (p->src), caps);
  gst_caps_unref (caps);

  pipe_play (p);
  /* the headers in-band too, flagged, then the rest */
  {
    GstBuffer *buffer = gst_buffer_new_memdup (data, header_len);

    GST_BUFFER_FLAG_SET (buffer, GST_BUFFER_FLAG_HEADER);
    gst_app_src_push_buffer (GST_APP_SRC (p->src), buffer);
    gst_app_src_push_buffer (GST_APP_SRC (p->src),
        gst_buffer_new_memdup (data + header_len, len - header_len));
  }
  gst_app_src_end_of_stream (GST_APP_SRC (p->src));
  pipe_expect_eos (p);

  media = rtmp_test_peer_dup_media (peer, RTMP_TEST_PEER_ALL);
  fail_unless_equals_int (media->len, FLV_N_TAGS);
  for (i = 0; i < media->len; i++) {
    RtmpMessage *m = media->pdata[i];

    n_headers += m->type == RTMP_MESSAGE_DATA_AMF0;
  }
  fail_unless_equals_int (n_headers, 1);
  check_messages_match_tags (media, 0);
  pipe_free (p);
}

GST_END_TEST;

/* Enhanced RTMP tags (FourCC headers) pass through unchanged */
GST_START_TEST (test_enhanced_rtmp_passthrough)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  g_autofree gchar *url = rtmp_test_peer_dup_url (peer, "live", "hevc");
  g_autoptr (GByteArray) flv = g_byte_array_new ();
  g_autoptr (GByteArray) seq = g_byte_array_new ();
  g_autoptr (GByteArray) frame = g_byte_array_new ();
  g_autoptr (GPtrArray) media = NULL;
  Pipe *p = pipe_new (url, NULL);
  guint8 header[RTMP_FLV_FILE_HEADER_LEN];
  static const guint8 hvcc[] = { 0x01, 0x02, 0x03, 0x04 };
  static const guint8 nal[] = { 0, 0, 0, 2, 0x26, 0x01 };
  GBytes *bytes;

  g_byte_array_append (flv, header,
      rtmp_flv_write_header (header, RTMP_FLV_HEADER_FLAG_VIDEO));
  rtmp_flv_append_video_ex_header (seq, RTMP_FLV_VIDEO_FRAME_KEY,
      RTMP_FLV_VIDEO_PACKET_SEQUENCE_START, RTMP_FLV_FOURCC_HVC1);
  g_byte_array_append (seq, hvcc, sizeof (hvcc));
  rtmp_flv_append_tag (flv, RTMP_FLV_TAG_VIDEO, 0, seq->data, seq->len);
  rtmp_flv_append_video_ex_header (frame, RTMP_FLV_VIDEO_FRAME_KEY,
      RTMP_FLV_VIDEO_PACKET_CODED_FRAMES_X, RTMP_FLV_FOURCC_HVC1);
  g_byte_array_append (frame, nal, sizeof (nal));
  rtmp_flv_append_tag (flv, RTMP_FLV_TAG_VIDEO, 40, frame->data, frame->len);

  pipe_play (p);
  bytes = g_bytes_new (flv->data, flv->len);
  push_bytes (p, bytes, 0);
  g_bytes_unref (bytes);
  gst_app_src_end_of_stream (GST_APP_SRC (p->src));
  pipe_expect_eos (p);

  media = rtmp_test_peer_dup_media (peer, RTMP_TEST_PEER_ALL);
  fail_unless_equals_int (media->len, 2);
  fail_unless (g_bytes_get_size (((RtmpMessage *) media->pdata[0])->payload)
      == seq->len);
  fail_unless (memcmp (g_bytes_get_data (
                           ((RtmpMessage *) media->pdata[1])->payload, NULL),
                   frame->data, frame->len)
      == 0);
  fail_unless_equals_int (((RtmpMessage *) media->pdata[1])->timestamp, 40);
  pipe_free (p);
}

GST_END_TEST;

GST_START_TEST (test_malformed_flv_is_stream_format_error)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  g_autofree gchar *url = rtmp_test_peer_dup_url (peer, "live", "bad");
  Pipe *p = pipe_new (url, NULL);
  static const guint8 garbage[] = "FLX\x01\x05\0\0\0\x09garbage";
  GBytes *bytes = g_bytes_new_static (garbage, sizeof (garbage));
  g_autoptr (GError) error = NULL;

  pipe_play (p);
  push_bytes (p, bytes, 0);
  g_bytes_unref (bytes);
  error = pipe_expect_error (p, WAIT_MS, NULL);
  fail_unless (
      g_error_matches (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT), "%s",
      error->message);
  pipe_free (p);
}

GST_END_TEST;

/* Each phase stalled: the error names it and comes within timeout + 1 s */
GST_START_TEST (test_stalled_phases)
{
  static const struct
  {
    RtmpTestPeerPoint point;
    const gchar *words;
  } cases[] = {
    { RTMP_TEST_PEER_AT_HANDSHAKE, "handshake" },
    { RTMP_TEST_PEER_AT_CONNECT, "connect" },
    { RTMP_TEST_PEER_AT_CREATE_STREAM, "createStream" },
    { RTMP_TEST_PEER_AT_PUBLISH, "Publish.Start" },
  };
  guint c;

  for (c = 0; c < G_N_ELEMENTS (cases); c++) {
    g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
    g_autofree gchar *url = rtmp_test_peer_dup_url (peer, "live", "x");
    g_autofree gchar *debug = NULL;
    g_autoptr (GError) error = NULL;
    Pipe *p = pipe_new (url, "timeout=1");
    gint64 start;

    rtmp_test_peer_set_stall (peer, cases[c].point);
    start = g_get_monotonic_time ();
    pipe_play (p);
    error = pipe_expect_error (p, 2000, &debug);
    fail_unless (g_get_monotonic_time () - start < 2 * G_USEC_PER_SEC);
    fail_unless (g_error_matches (error, GST_RESOURCE_ERROR,
                     GST_RESOURCE_ERROR_OPEN_WRITE),
        "%s", error->message);
    fail_unless (strstr (error->message, cases[c].words) != NULL,
        "case %u: '%s' does not name %s", c, error->message, cases[c].words);
    pipe_free (p);
  }
}

GST_END_TEST;

GST_START_TEST (test_connect_refused_is_an_error_at_once)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  g_autofree gchar *url = rtmp_test_peer_dup_url (peer, "live", "x");
  g_autoptr (GError) error = NULL;
  Pipe *p = pipe_new (url, "reconnect-attempts=5");

  rtmp_test_peer_refuse_connections (peer, G_MAXUINT);
  pipe_play (p);
  error = pipe_expect_error (p, 3000, NULL);
  fail_unless (g_error_matches (error, GST_RESOURCE_ERROR,
                   GST_RESOURCE_ERROR_OPEN_WRITE),
      "%s", error->message);
  fail_unless (strstr (error->message, "refused") != NULL, "%s",
      error->message);
  pipe_free (p);
}

GST_END_TEST;

GST_START_TEST (test_rejections)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  g_autofree gchar *url = rtmp_test_peer_dup_url (peer, "live", "x");
  g_autofree gchar *debug = NULL;
  GError *error;
  Pipe *p;

  rtmp_test_peer_set_reject_connect (peer, "No such application");
  p = pipe_new (url, NULL);
  pipe_play (p);
  error = pipe_expect_error (p, WAIT_MS, &debug);
  fail_unless (
      g_error_matches (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND),
      "%s", error->message);
  fail_unless (strstr (debug, "No such application") != NULL, "%s", debug);
  g_clear_error (&error);
  g_clear_pointer (&debug, g_free);
  pipe_free (p);

  rtmp_test_peer_set_reject_connect (peer, NULL);
  rtmp_test_peer_set_reject_publish (peer, "NetStream.Publish.BadName",
      "stream key in use");
  p = pipe_new (url, NULL);
  pipe_play (p);
  error = pipe_expect_error (p, WAIT_MS, &debug);
  fail_unless (
      g_error_matches (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND),
      "%s", error->message);
  fail_unless (strstr (debug, "NetStream.Publish.BadName") != NULL, "%s",
      debug);
  g_clear_error (&error);
  pipe_free (p);
}

GST_END_TEST;

static void
check_auth (RtmpTestPeerAuth auth, const gchar *authmod, const gchar *password,
    gboolean in_url, gboolean expect_ok)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  g_autofree gchar *url = NULL;
  g_autofree gchar *props = NULL;
  Pipe *p;

  rtmp_test_peer_set_auth (peer, auth, "alice", "wonderland");
  if (in_url) {
    url = g_strdup_printf ("rtmp://alice:%s@127.0.0.1:%u/live/x", password,
        rtmp_test_peer_get_port (peer));
    props = g_strdup_printf ("authmod=%s", authmod);
  } else {
    url = rtmp_test_peer_dup_url (peer, "live", "x");
    props = g_strdup_printf ("authmod=%s username=alice password=%s", authmod,
        password);
  }
  p = pipe_new (url, props);
  pipe_play (p);
  if (expect_ok) {
    push_flv_and_eos (p, 4096);
    pipe_expect_eos (p);
    fail_unless (rtmp_test_peer_wait_for_media (peer, FLV_N_TAGS, WAIT_MS));
  } else {
    g_autoptr (GError) error = pipe_expect_error (p, WAIT_MS, NULL);

    fail_unless (g_error_matches (error, GST_RESOURCE_ERROR,
                     GST_RESOURCE_ERROR_NOT_AUTHORIZED),
        "%s", error->message);
  }
  pipe_free (p);
}

GST_START_TEST (test_auth_adobe)
{
  check_auth (RTMP_TEST_PEER_AUTH_ADOBE, "auto", "wonderland", FALSE, TRUE);
  check_auth (RTMP_TEST_PEER_AUTH_ADOBE, "adobe", "wonderland", TRUE, TRUE);
  check_auth (RTMP_TEST_PEER_AUTH_ADOBE, "adobe", "looking-glass", FALSE,
      FALSE);
}

GST_END_TEST;

GST_START_TEST (test_auth_llnw)
{
  check_auth (RTMP_TEST_PEER_AUTH_LLNW, "auto", "wonderland", FALSE, TRUE);
  check_auth (RTMP_TEST_PEER_AUTH_LLNW, "llnw", "looking-glass", TRUE, FALSE);
}

GST_END_TEST;

GST_START_TEST (test_secure_token)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  g_autofree gchar *url = rtmp_test_peer_dup_url (peer, "live", "x");
  g_autoptr (GError) error = NULL;
  RtmpTestPeerStats stats;
  Pipe *p;

  rtmp_test_peer_set_secure_token (peer, "0123456789abcdef", "s3cr3tchall");
  p = pipe_new (url, "secure-token=0123456789abcdef");
  pipe_play (p);
  push_flv_and_eos (p, 0);
  pipe_expect_eos (p);
  rtmp_test_peer_get_stats (peer, &stats);
  fail_unless_equals_int (stats.n_secure_token_ok, 1);
  pipe_free (p);

  /* no token set: a clear authorization error */
  p = pipe_new (url, NULL);
  pipe_play (p);
  error = pipe_expect_error (p, WAIT_MS, NULL);
  fail_unless (g_error_matches (error, GST_RESOURCE_ERROR,
                   GST_RESOURCE_ERROR_NOT_AUTHORIZED),
      "%s", error->message);
  pipe_free (p);
}

GST_END_TEST;

GST_START_TEST (test_extra_connect_args)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  g_autofree gchar *url = rtmp_test_peer_dup_url (peer, "live", "x");
  g_autoptr (GPtrArray) args = NULL;
  const RtmpAmfValue *object;
  gboolean flag;
  gdouble number;
  Pipe *p = pipe_new (url,
      "extra-connect-args=\"conn=S:pass conn=B:1 "
      "conn=O:1 conn=NN:n:2.5 conn=O:0\"");

  pipe_play (p);
  push_flv_and_eos (p, 0);
  pipe_expect_eos (p);
  args = rtmp_test_peer_dup_connect_args (peer, 0);
  fail_unless_equals_int (args->len, 3);
  fail_unless_equals_string (rtmp_amf_value_peek_string (args->pdata[0], NULL),
      "pass");
  flag = rtmp_amf_value_get_boolean (args->pdata[1]);
  fail_unless (flag);
  object = args->pdata[2];
  fail_unless (rtmp_amf_value_lookup_number (object, "n", &number));
  fail_unless (number == 2.5);
  pipe_free (p);
}

GST_END_TEST;

GST_START_TEST (test_bad_extra_connect_args_is_settings_error)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  g_autofree gchar *url = rtmp_test_peer_dup_url (peer, "live", "x");
  Pipe *p = pipe_new (url, "extra-connect-args=\"conn=Q:1\"");
  g_autoptr (GError) error = NULL;

  gst_element_set_state (p->pipeline, GST_STATE_PLAYING);
  error = pipe_expect_error (p, WAIT_MS, NULL);
  fail_unless (
      g_error_matches (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS),
      "%s", error->message);
  pipe_free (p);
}

GST_END_TEST;

static gboolean
two_publishes (const RtmpTestPeerStats *stats, gpointer user_data)
{
  return stats->n_publish_started >= 2;
}

/* The server goes away mid-stream: the sink reconnects, sends the headers
 * again, resumes at a keyframe, and the pipeline never sees an error */
GST_START_TEST (test_reconnect_after_drop)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  g_autofree gchar *url = rtmp_test_peer_dup_url (peer, "live", "x");
  g_autoptr (GBytes) flv = load_flv ();
  g_autoptr (GPtrArray) second = NULL;
  Pipe *p = pipe_new (url, "reconnect-delay=100");
  GstStructure *stats;
  guint reconnects = 0, i;
  gboolean seen_reconnecting = FALSE;
  RtmpFlvVideoInfo info;
  gsize len;
  const guint8 *data;

  pipe_play (p);
  push_bytes (p, flv, 0);
  fail_unless (rtmp_test_peer_wait_for_media (peer, FLV_N_TAGS, WAIT_MS));
  rtmp_test_peer_drop_connections (peer);
  fail_unless (rtmp_test_peer_wait (peer, two_publishes, NULL, WAIT_MS));
  /* what comes while the sink reconnects is dropped: wait until it
   * publishes again */
  fail_unless (pipe_wait_for_state (p, "publishing", 2, WAIT_MS));

  /* the same stream again: only its tags after the headers */
  {
    g_autoptr (GPtrArray) tags = flv_tags ();
    gsize skip = RTMP_FLV_FILE_HEADER_LEN;

    for (i = 0; i < 3; i++)
      skip += RTMP_FLV_TAG_HEADER_LEN
          + g_bytes_get_size (((RtmpFlvTag *) tags->pdata[i])->payload)
          + RTMP_FLV_TAG_TRAILER_LEN;
    data = g_bytes_get_data (flv, &len);
    gst_app_src_push_buffer (GST_APP_SRC (p->src),
        gst_buffer_new_memdup (data + skip, len - skip));
  }
  gst_app_src_end_of_stream (GST_APP_SRC (p->src));
  pipe_expect_eos (p);

  second = rtmp_test_peer_dup_media (peer, 1);
  fail_unless (second->len > 3);
  /* headers first: metadata, then the sequence headers */
  fail_unless_equals_int (((RtmpMessage *) second->pdata[0])->type,
      RTMP_MESSAGE_DATA_AMF0);
  for (i = 1; i < second->len; i++) {
    RtmpMessage *m = second->pdata[i];

    if (m->type != RTMP_MESSAGE_VIDEO)
      continue;
    data = g_bytes_get_data (m->payload, &len);
    fail_unless (rtmp_flv_parse_video_header (data, len, &info, NULL));
    if (info.is_sequence_header)
      continue;
    /* the first coded video after the reconnect is a keyframe */
    fail_unless (info.is_keyframe);
    break;
  }

  g_object_get (p->sink, "stats", &stats, NULL);
  fail_unless (gst_structure_get_uint (stats, "reconnects", &reconnects));
  fail_unless_equals_int (reconnects, 1);
  gst_structure_free (stats);
  for (i = 0; i < p->states->len; i++)
    seen_reconnecting |= g_str_equal (p->states->pdata[i], "reconnecting");
  fail_unless (seen_reconnecting);
  pipe_free (p);
}

GST_END_TEST;

/* Reconnecting gives up after reconnect-attempts, with a clear error */
GST_START_TEST (test_reconnect_gives_up)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  g_autofree gchar *url = rtmp_test_peer_dup_url (peer, "live", "x");
  g_autoptr (GBytes) flv = load_flv ();
  g_autoptr (GError) error = NULL;
  Pipe *p = pipe_new (url, "reconnect-attempts=2 reconnect-delay=50");

  pipe_play (p);
  push_bytes (p, flv, 0);
  fail_unless (rtmp_test_peer_wait_for_media (peer, FLV_N_TAGS, WAIT_MS));
  rtmp_test_peer_refuse_connections (peer, G_MAXUINT);
  rtmp_test_peer_drop_connections (peer);
  error = pipe_expect_error (p, WAIT_MS, NULL);
  fail_unless (strstr (error->message, "2 reconnect attempts") != NULL, "%s",
      error->message);
  pipe_free (p);
}

GST_END_TEST;

/* An error status mid-stream is never ignored: an error without reconnect */
GST_START_TEST (test_error_status_mid_stream)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  g_autofree gchar *url = rtmp_test_peer_dup_url (peer, "live", "x");
  g_autoptr (GBytes) flv = load_flv ();
  g_autofree gchar *debug = NULL;
  g_autoptr (GError) error = NULL;
  Pipe *p = pipe_new (url, "reconnect-attempts=0");

  rtmp_test_peer_set_status_after_media (peer, 10, "error", "NetStream.Failed",
      "disk full");
  pipe_play (p);
  push_bytes (p, flv, 0);
  error = pipe_expect_error (p, WAIT_MS, &debug);
  fail_unless (strstr (error->message, "NetStream.Failed") != NULL
          || strstr (debug, "NetStream.Failed") != NULL,
      "%s / %s", error->message, debug);
  pipe_free (p);
}

GST_END_TEST;

/* ... and a reconnect when attempts are left */
GST_START_TEST (test_error_status_reconnects)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  g_autofree gchar *url = rtmp_test_peer_dup_url (peer, "live", "x");
  g_autoptr (GBytes) flv = load_flv ();
  Pipe *p = pipe_new (url, "reconnect-delay=50");

  rtmp_test_peer_set_status_after_media (peer, 10, "error", "NetStream.Failed",
      "try again");
  pipe_play (p);
  push_bytes (p, flv, 0);
  fail_unless (rtmp_test_peer_wait (peer, two_publishes, NULL, WAIT_MS));
  gst_app_src_end_of_stream (GST_APP_SRC (p->src));
  pipe_expect_eos (p);
  pipe_free (p);
}

GST_END_TEST;

/* Enhanced RTMP ReconnectRequest: a new connection, to the tcUrl given */
GST_START_TEST (test_reconnect_request)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  g_autoptr (RtmpTestPeer) other = rtmp_test_peer_new ();
  g_autofree gchar *url = rtmp_test_peer_dup_url (peer, "live", "x");
  g_autofree gchar *tc_url = rtmp_test_peer_dup_url (other, "live2", NULL);
  g_autoptr (GBytes) flv = load_flv ();
  g_autoptr (RtmpAmfValue) connect = NULL;
  g_autofree gchar *stream = NULL;
  Pipe *p = pipe_new (url, "reconnect-delay=50");

  pipe_play (p);
  push_bytes (p, flv, 0);
  fail_unless (rtmp_test_peer_wait_for_media (peer, FLV_N_TAGS, WAIT_MS));
  fail_unless_equals_int (
      rtmp_test_peer_send_reconnect_request (peer, tc_url, "moving"), 1);
  fail_unless (rtmp_test_peer_wait_for_command (other, "publish", 1, WAIT_MS));
  connect = rtmp_test_peer_dup_connect_object (other, 0);
  fail_unless_equals_string (rtmp_amf_value_lookup_string (connect, "app"),
      "live2");
  stream = rtmp_test_peer_dup_stream_name (other, 0);
  fail_unless_equals_string (stream, "x");
  gst_app_src_end_of_stream (GST_APP_SRC (p->src));
  pipe_expect_eos (p);
  pipe_free (p);
}

GST_END_TEST;

GST_START_TEST (test_garbage_from_server)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  g_autofree gchar *url = rtmp_test_peer_dup_url (peer, "live", "x");
  g_autoptr (GError) error = NULL;
  Pipe *p = pipe_new (url, NULL);

  rtmp_test_peer_set_garbage_at (peer, RTMP_TEST_PEER_AT_CONNECT, 64);
  pipe_play (p);
  error = pipe_expect_error (p, WAIT_MS, NULL);
  fail_unless (error->domain == GST_RESOURCE_ERROR, "%s", error->message);
  pipe_free (p);
}

GST_END_TEST;

GST_START_TEST (test_server_closes_mid_message)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  g_autofree gchar *url = rtmp_test_peer_dup_url (peer, "live", "x");
  g_autoptr (GError) error = NULL;
  Pipe *p = pipe_new (url, NULL);

  /* inside connect's _result */
  rtmp_test_peer_set_close_after_bytes (peer, 60);
  pipe_play (p);
  error = pipe_expect_error (p, WAIT_MS, NULL);
  fail_unless (strstr (error->message, "closed") != NULL, "%s", error->message);
  pipe_free (p);
}

GST_END_TEST;

/* EOS with a server that stopped reading: the final flush is bounded by
 * the timeout, and stopping the pipeline never waits for it */
GST_START_TEST (test_eos_with_stalled_server)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  g_autofree gchar *url = rtmp_test_peer_dup_url (peer, "live", "x");
  g_autoptr (GBytes) big = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GByteArray) flv = g_byte_array_new ();
  g_autoptr (GByteArray) body = g_byte_array_new ();
  guint8 header[RTMP_FLV_FILE_HEADER_LEN];
  Pipe *p = pipe_new (url, "timeout=1 reconnect-attempts=0");
  gint64 start;
  guint i;

  rtmp_test_peer_set_receive_buffer (peer, 4096);
  rtmp_test_peer_set_stall (peer, RTMP_TEST_PEER_AT_STARTED);
  /* 8 MB of video keyframes, more than the socket buffers and the sink's
   * queue hold: either render finds the server stalled or the final flush
   * at EOS does; both must end in an error within timeout + 1 s of the
   * last byte that could be written */
  g_byte_array_append (flv, header,
      rtmp_flv_write_header (header, RTMP_FLV_HEADER_FLAG_VIDEO));
  g_byte_array_set_size (body, 100000);
  memset (body->data, 0, body->len);
  body->data[0] = 0x17; /* AVC keyframe */
  body->data[1] = 1;    /* NALU, not a sequence header */
  for (i = 0; i < 80; i++)
    rtmp_flv_append_tag (flv, RTMP_FLV_TAG_VIDEO, i * 40, body->data,
        body->len);
  big = g_bytes_new (flv->data, flv->len);

  pipe_play (p);
  start = g_get_monotonic_time ();
  push_bytes (p, big, 0);
  gst_app_src_end_of_stream (GST_APP_SRC (p->src));
  error = pipe_expect_error (p, 5000, NULL);
  fail_unless (g_get_monotonic_time () - start < 4 * G_USEC_PER_SEC);
  fail_unless (strstr (error->message, "Timed out") != NULL
          || strstr (error->message, "took no data") != NULL,
      "%s", error->message);
  pipe_free (p);
}

GST_END_TEST;

/* A server that stops reading mid-stream blocks render; going to NULL
 * interrupts it at once */
GST_START_TEST (test_unlock_while_blocked)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  g_autofree gchar *url = rtmp_test_peer_dup_url (peer, "live", "x");
  g_autoptr (GByteArray) flv = g_byte_array_new ();
  g_autoptr (GByteArray) body = g_byte_array_new ();
  guint8 header[RTMP_FLV_FILE_HEADER_LEN];
  g_autoptr (GBytes) big = NULL;
  Pipe *p = pipe_new (url, "timeout=30");
  gint64 start;
  guint i;

  rtmp_test_peer_set_receive_buffer (peer, 4096);
  rtmp_test_peer_set_stall (peer, RTMP_TEST_PEER_AT_STARTED);
  g_byte_array_append (flv, header,
      rtmp_flv_write_header (header, RTMP_FLV_HEADER_FLAG_VIDEO));
  g_byte_array_set_size (body, 200000);
  memset (body->data, 0, body->len);
  body->data[0] = 0x17; /* AVC keyframe */
  body->data[1] = 1;    /* NALU, not a sequence header */
  for (i = 0; i < 60; i++)
    rtmp_flv_append_tag (flv, RTMP_FLV_TAG_VIDEO, i * 40, body->data,
        body->len);
  big = g_bytes_new (flv->data, flv->len);

  pipe_play (p);
  push_bytes (p, big, 65536);
  /* let it fill its queue (4 MiB) and block */
  fail_unless (wait_for_stat (p, "out-bytes-total", 4 * 1024 * 1024, WAIT_MS));
  start = g_get_monotonic_time ();
  fail_unless_equals_int (gst_element_set_state (p->pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless (g_get_monotonic_time () - start < G_USEC_PER_SEC,
      "stopping took %" G_GINT64_FORMAT " us", g_get_monotonic_time () - start);
  pipe_free (p);
}

GST_END_TEST;

/* max-queue-time: a slow server makes the sink drop runs of non-keyframes
 * instead of blocking, and count them */
GST_START_TEST (test_max_queue_time_drops)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  g_autofree gchar *url = rtmp_test_peer_dup_url (peer, "live", "x");
  g_autoptr (GByteArray) flv = g_byte_array_new ();
  g_autoptr (GByteArray) body = g_byte_array_new ();
  guint8 header[RTMP_FLV_FILE_HEADER_LEN];
  g_autoptr (GBytes) big = NULL;
  Pipe *p = pipe_new (url, "max-queue-time=200000000 timeout=1");
  g_autoptr (GError) error = NULL;
  GstStructure *stats;
  guint64 dropped = 0;
  guint i;

  rtmp_test_peer_set_receive_buffer (peer, 4096);
  rtmp_test_peer_set_stall (peer, RTMP_TEST_PEER_AT_STARTED);
  g_byte_array_append (flv, header,
      rtmp_flv_write_header (header, RTMP_FLV_HEADER_FLAG_VIDEO));
  g_byte_array_set_size (body, 50000);
  memset (body->data, 0, body->len);
  for (i = 0; i < 200; i++) {
    /* a keyframe every 25 frames, inter frames between */
    body->data[0] = i % 25 == 0 ? 0x17 : 0x27;
    body->data[1] = 1;
    rtmp_flv_append_tag (flv, RTMP_FLV_TAG_VIDEO, i * 40, body->data,
        body->len);
  }
  big = g_bytes_new (flv->data, flv->len);
  pipe_play (p);
  push_bytes (p, big, 100000);
  gst_app_src_end_of_stream (GST_APP_SRC (p->src));
  /* EOS flush times out (the peer reads nothing), but rendering never
   * blocked: everything was taken in */
  error = pipe_expect_error (p, WAIT_MS, NULL);
  fail_unless (error != NULL);
  g_object_get (p->sink, "stats", &stats, NULL);
  fail_unless (gst_structure_get_uint64 (stats, "dropped-frames", &dropped));
  fail_unless (dropped > 0);
  gst_structure_free (stats);
  pipe_free (p);
}

GST_END_TEST;

GST_START_TEST (test_realtime_paces_by_timestamps)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  g_autofree gchar *url = rtmp_test_peer_dup_url (peer, "live", "x");
  g_autoptr (GPtrArray) tags = flv_tags ();
  Pipe *p = pipe_new (url, "realtime=true");
  guint32 span = ((RtmpFlvTag *) tags->pdata[tags->len - 1])->timestamp;
  gint64 start;

  pipe_play (p);
  start = g_get_monotonic_time ();
  push_flv_and_eos (p, 0);
  pipe_expect_eos (p);
  /* the file's own duration, not as fast as possible */
  fail_unless (g_get_monotonic_time () - start >= (span - 100) * 1000,
      "took %" G_GINT64_FORMAT " us for %u ms of media",
      g_get_monotonic_time () - start, span);
  pipe_free (p);
}

GST_END_TEST;

GST_START_TEST (test_chunk_size_while_playing)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  g_autofree gchar *url = rtmp_test_peer_dup_url (peer, "live", "x");
  g_autoptr (GBytes) flv = load_flv ();
  Pipe *p = pipe_new (url, "chunk-size=1024");

  pipe_play (p);
  push_bytes (p, flv, 0);
  fail_unless (rtmp_test_peer_wait_for_media (peer, FLV_N_TAGS, WAIT_MS));
  fail_unless_equals_int (rtmp_test_peer_get_client_chunk_size (peer, 0), 1024);
  g_object_set (p->sink, "chunk-size", 60000, NULL);
  push_bytes (p, flv, 0);
  gst_app_src_end_of_stream (GST_APP_SRC (p->src));
  pipe_expect_eos (p);
  fail_unless_equals_int (rtmp_test_peer_get_client_chunk_size (peer, 0),
      60000);
  pipe_free (p);
}

GST_END_TEST;

GST_START_TEST (test_stats)
{
  g_autoptr (RtmpTestPeer) peer = rtmp_test_peer_new ();
  g_autofree gchar *url = rtmp_test_peer_dup_url (peer, "live", "x");
  g_autoptr (GBytes) flv = load_flv ();
  static const gchar *const fields[] = {
    "in-chunk-size",
    "out-chunk-size",
    "in-window-ack-size",
    "out-window-ack-size",
    "in-bytes-total",
    "out-bytes-total",
    "in-bytes-acked",
    "out-bytes-acked",
    "out-bytes-video",
    "out-bytes-audio",
    "out-messages-video",
    "dropped-frames",
    "reconnects",
    "rtt-us",
    "bitrate",
    "connected-time",
  };
  Pipe *p = pipe_new (url, NULL);
  GstStructure *stats;
  guint64 video = 0;
  guint i;

  pipe_play (p);
  push_bytes (p, flv, 0);
  fail_unless (rtmp_test_peer_wait_for_media (peer, FLV_N_TAGS, WAIT_MS));
  g_object_get (p->sink, "stats", &stats, NULL);
  for (i = 0; i < G_N_ELEMENTS (fields); i++)
    fail_unless (gst_structure_has_field (stats, fields[i]), "no %s",
        fields[i]);
  fail_unless (gst_structure_get_uint64 (stats, "out-messages-video", &video));
  fail_unless_equals_int (video, 32);
  gst_structure_free (stats);
  gst_app_src_end_of_stream (GST_APP_SRC (p->src));
  pipe_expect_eos (p);
  pipe_free (p);
}

GST_END_TEST;

static Suite *
rtmpsink_suite (void)
{
  Suite *s = suite_create ("rtmpsink");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_publish_whole_buffer);
  tcase_add_test (tc, test_publish_split_buffers);
  tcase_add_test (tc, test_publish_byte_buffers);
  tcase_add_test (tc, test_streamheader_not_sent_twice);
  tcase_add_test (tc, test_enhanced_rtmp_passthrough);
  tcase_add_test (tc, test_malformed_flv_is_stream_format_error);
  tcase_add_test (tc, test_stalled_phases);
  tcase_add_test (tc, test_connect_refused_is_an_error_at_once);
  tcase_add_test (tc, test_rejections);
  tcase_add_test (tc, test_auth_adobe);
  tcase_add_test (tc, test_auth_llnw);
  tcase_add_test (tc, test_secure_token);
  tcase_add_test (tc, test_extra_connect_args);
  tcase_add_test (tc, test_bad_extra_connect_args_is_settings_error);
  tcase_add_test (tc, test_reconnect_after_drop);
  tcase_add_test (tc, test_reconnect_gives_up);
  tcase_add_test (tc, test_error_status_mid_stream);
  tcase_add_test (tc, test_error_status_reconnects);
  tcase_add_test (tc, test_reconnect_request);
  tcase_add_test (tc, test_garbage_from_server);
  tcase_add_test (tc, test_server_closes_mid_message);
  tcase_add_test (tc, test_eos_with_stalled_server);
  tcase_add_test (tc, test_unlock_while_blocked);
  tcase_add_test (tc, test_max_queue_time_drops);
  tcase_add_test (tc, test_realtime_paces_by_timestamps);
  tcase_add_test (tc, test_chunk_size_while_playing);
  tcase_add_test (tc, test_stats);
  return s;
}

GST_CHECK_MAIN (rtmpsink);
