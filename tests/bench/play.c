/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Playing-side measurements that need both ends on one clock:
 *   ttfb: time from set_state (PLAYING) on a "SRC ! fakesink" pipeline in
 *         NULL to the first buffer, and to the first audio/video tag,
 *         leaving the source; the sources alternate, one process.
 *   e2e:  appsrc ! SINK publishes numbered tags at a frame rate, SRC !
 *         fakesink plays them back through the server; each tag is stamped
 *         at the sink's pad and when it leaves the source (found by the
 *         number in its payload), on CLOCK_MONOTONIC. "--src session" plays
 *         with the protocol layer's client session on a thread of its own
 *         instead of an element: the floor of what a player can add. */

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gst/app/gstappsrc.h>
#include <gst/gst.h>

#include "benchutil.h"
#include "rtmpurl.h"

static gchar *opt_elements = NULL;
static gchar *opt_location = NULL;
static gint opt_iterations = 10;
static gchar *opt_sink = NULL;
static gchar *opt_src = NULL;
static gchar **opt_sink_set = NULL;
static gchar **opt_src_set = NULL;
static gint opt_frames = 1200;
static gdouble opt_fps = 60.0;
static gdouble opt_warmup_s = 2.0;
static gint opt_video_bytes = 42000;
static gint opt_audio_bytes = 372;
static gchar *opt_output = NULL;
static gboolean opt_quickack = FALSE;

static GOptionEntry entries[] = {
  { "elements", 0, 0, G_OPTION_ARG_STRING, &opt_elements,
      "ttfb: sources, comma-separated (session, session-quickack: the "
      "client session without an element)",
      "A,B" },
  { "location", 0, 0, G_OPTION_ARG_STRING, &opt_location, "stream URL", "URL" },
  { "iterations", 0, 0, G_OPTION_ARG_INT, &opt_iterations,
      "ttfb: starts per source", "N" },
  { "sink", 0, 0, G_OPTION_ARG_STRING, &opt_sink, "e2e: publishing sink",
      "NAME" },
  { "src", 0, 0, G_OPTION_ARG_STRING, &opt_src, "e2e: playing source", "NAME" },
  { "sink-set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_sink_set,
      "e2e: a sink property (repeatable)", "PROP=VALUE" },
  { "src-set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_src_set,
      "a source property (repeatable)", "PROP=VALUE" },
  { "frames", 0, 0, G_OPTION_ARG_INT, &opt_frames, "e2e: video frames measured",
      "N" },
  { "fps", 0, 0, G_OPTION_ARG_DOUBLE, &opt_fps, "e2e: frame rate", "FPS" },
  { "warmup", 0, 0, G_OPTION_ARG_DOUBLE, &opt_warmup_s,
      "e2e: seconds played before measuring", "S" },
  { "video-bytes", 0, 0, G_OPTION_ARG_INT, &opt_video_bytes,
      "e2e: video tag body size", "BYTES" },
  { "audio-bytes", 0, 0, G_OPTION_ARG_INT, &opt_audio_bytes,
      "e2e: audio tag body size", "BYTES" },
  { "output", 0, 0, G_OPTION_ARG_FILENAME, &opt_output,
      "e2e: per-frame results: index kind bytes latency_ns (- when lost)",
      "FILE" },
  { "quickack", 0, 0, G_OPTION_ARG_NONE, &opt_quickack,
      "--src session: TCP_QUICKACK after every read", NULL },
  G_OPTION_ENTRY_NULL,
};

/* The protocol layer's client session playing on a thread, or in the
 * caller's thread until the first media message (ttfb) */
typedef struct
{
  GThread *thread;
  volatile gint stop;
  gchar *error;
  gboolean quickack;
  gboolean stop_at_first_media;
  gint64 first_media_ns;
} SessionPlayer;

static gboolean session_play (SessionPlayer *player, GError **error);

static void
set_properties (GstElement *element, gchar **settings)
{
  guint i;

  for (i = 0; settings && settings[i]; i++) {
    gchar **kv = g_strsplit (settings[i], "=", 2);

    if (kv[0] && kv[1])
      gst_util_set_object_arg (G_OBJECT (element), kv[0], kv[1]);
    g_strfreev (kv);
  }
}

static gchar *
describe_plugin (GstElement *element)
{
  GstPlugin *plugin = gst_plugin_feature_get_plugin (
      GST_PLUGIN_FEATURE (gst_element_get_factory (element)));
  gchar *text = g_strdup_printf ("%s from %s (source module %s)",
      GST_OBJECT_NAME (gst_element_get_factory (element)),
      gst_plugin_get_filename (plugin), gst_plugin_get_source (plugin));

  gst_object_unref (plugin);
  return text;
}

static gboolean
pop_error (GstElement *pipeline, GstClockTime timeout, GError **error)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *message
      = gst_bus_timed_pop_filtered (bus, timeout, GST_MESSAGE_ERROR);

  gst_object_unref (bus);
  if (message == NULL)
    return FALSE;
  {
    GError *err = NULL;
    gchar *debug = NULL;

    gst_message_parse_error (message, &err, &debug);
    g_set_error (error, err->domain, err->code, "%s: %s (%s)",
        GST_OBJECT_NAME (GST_MESSAGE_SRC (message)), err->message,
        debug ? debug : "");
    g_clear_error (&err);
    g_free (debug);
  }
  gst_message_unref (message);
  return TRUE;
}

/* --- ttfb --- */

typedef struct
{
  GMutex lock;
  GCond cond;
  gint64 first_buffer_ns, first_media_ns; /* 0 = not yet */
} FirstBuffer;

/* TRUE when @buffer holds an audio or video tag: at its start, or after an
 * FLV header at its start */
static gboolean
holds_media_tag (GstBuffer *buffer)
{
  GstMapInfo map;
  gboolean is_media = FALSE;

  if (!gst_buffer_map (buffer, &map, GST_MAP_READ))
    return FALSE;
  {
    gsize pos = 0;

    if (map.size >= BENCH_FLV_HEADER_BYTES && memcmp (map.data, "FLV", 3) == 0)
      pos = BENCH_FLV_HEADER_BYTES;
    if (pos < map.size) {
      guint8 type = map.data[pos] & 0x1f;

      is_media = type == 8 || type == 9;
    }
  }
  gst_buffer_unmap (buffer, &map);
  return is_media;
}

static GstPadProbeReturn
first_buffer_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  gint64 now_ns = bench_now_ns ();
  FirstBuffer *first = user_data;
  gboolean is_media = holds_media_tag (GST_PAD_PROBE_INFO_BUFFER (info));

  g_mutex_lock (&first->lock);
  if (first->first_buffer_ns == 0)
    first->first_buffer_ns = now_ns;
  if (is_media && first->first_media_ns == 0) {
    first->first_media_ns = now_ns;
    g_cond_broadcast (&first->cond);
  }
  g_mutex_unlock (&first->lock);
  return is_media ? GST_PAD_PROBE_REMOVE : GST_PAD_PROBE_OK;
}

/* "session" and "session-quickack" in --elements: the protocol layer's
 * client session, from before its TCP connect to its first media message */
static gboolean
measure_session_first_media (gboolean quickack, gdouble *first_media_ms,
    GError **error)
{
  SessionPlayer player = { 0 };
  gint64 start_ns = bench_now_ns ();

  player.quickack = quickack;
  player.stop_at_first_media = TRUE;
  if (!session_play (&player, error))
    return FALSE;
  *first_media_ms = (player.first_media_ns - start_ns) / 1e6;
  return TRUE;
}

static gboolean
measure_first_buffer (const gchar *element_name, gdouble *first_buffer_ms,
    gdouble *first_media_ms, GError **error)
{
  GstElement *pipeline = gst_pipeline_new (NULL);
  GstElement *src = gst_element_factory_make (element_name, NULL);
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  FirstBuffer first = { 0 };
  GstPad *pad;
  gint64 start_ns, end_us;
  gboolean ok = TRUE;

  if (g_str_has_prefix (element_name, "session")) {
    gst_object_unref (pipeline);
    gst_object_unref (sink);
    if (!measure_session_first_media (
            g_str_equal (element_name, "session-quickack"), first_media_ms,
            error))
      return FALSE;
    *first_buffer_ms = *first_media_ms;
    return TRUE;
  }
  if (src == NULL) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "no element %s", element_name);
    return FALSE;
  }
  g_mutex_init (&first.lock);
  g_cond_init (&first.cond);
  g_object_set (src, "location", opt_location, NULL);
  set_properties (src, opt_src_set);
  g_object_set (sink, "sync", FALSE, NULL);
  gst_bin_add_many (GST_BIN (pipeline), src, sink, NULL);
  gst_element_link (src, sink);
  pad = gst_element_get_static_pad (src, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, first_buffer_probe, &first,
      NULL);
  gst_object_unref (pad);

  start_ns = bench_now_ns ();
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  end_us = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  g_mutex_lock (&first.lock);
  while (first.first_media_ns == 0)
    if (!g_cond_wait_until (&first.cond, &first.lock, end_us))
      break;
  g_mutex_unlock (&first.lock);

  if (first.first_media_ns == 0) {
    if (!pop_error (pipeline, 0, error))
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
          "%s: no media within 10 s", element_name);
    ok = FALSE;
  } else {
    *first_buffer_ms = (first.first_buffer_ns - start_ns) / 1e6;
    *first_media_ms = (first.first_media_ns - start_ns) / 1e6;
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  g_mutex_clear (&first.lock);
  g_cond_clear (&first.cond);
  return ok;
}

static int
run_ttfb (void)
{
  gchar **names = g_strsplit (opt_elements, ",", -1);
  gint i;
  guint e;

  for (e = 0; names[e]; e++) {
    GstElement *element;
    gchar *text;

    if (g_str_has_prefix (names[e], "session")) {
      printf ("# %s: the protocol layer's client session\n", names[e]);
      continue;
    }
    element = gst_element_factory_make (names[e], NULL);

    if (element == NULL) {
      fprintf (stderr, "bench-play: no element %s\n", names[e]);
      return 1;
    }
    text = describe_plugin (element);
    printf ("# %s\n", text);
    g_free (text);
    gst_object_unref (element);
  }
  printf ("# element iteration first_buffer_ms first_media_ms\n");
  for (i = 0; i < opt_iterations; i++) {
    for (e = 0; names[e]; e++) {
      GError *error = NULL;
      gdouble first_buffer_ms, first_media_ms;

      if (!measure_first_buffer (names[e], &first_buffer_ms, &first_media_ms,
              &error)) {
        fprintf (stderr, "bench-play: %s\n", error->message);
        return 1;
      }
      printf ("%s %d %.3f %.3f\n", names[e], i, first_buffer_ms,
          first_media_ms);
      fflush (stdout);
      /* let the server forget the previous player */
      g_usleep (100 * 1000);
    }
  }
  g_strfreev (names);
  return 0;
}

/* --- e2e --- */

static gint64 *sent_ns, *received_ns; /* [n_frames] */
static guint n_frames;

static GstPadProbeReturn
sent_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  gint64 now_ns = bench_now_ns ();
  guint64 index = GST_BUFFER_OFFSET (GST_PAD_PROBE_INFO_BUFFER (info));

  if (index < n_frames)
    sent_ns[index] = now_ns;
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
received_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  gint64 now_ns = bench_now_ns ();
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  GstMapInfo map;
  gsize offset = 0;
  guint32 index;

  if (!gst_buffer_map (buffer, &map, GST_MAP_READ))
    return GST_PAD_PROBE_OK;
  /* a buffer may hold several tags (or a tag and the FLV header) */
  while (bench_frame_find (map.data, map.size, &offset, &index))
    if (index < n_frames && received_ns[index] == 0)
      received_ns[index] = now_ns;
  gst_buffer_unmap (buffer, &map);
  return GST_PAD_PROBE_OK;
}

static gboolean
session_play (SessionPlayer *player, GError **error)
{
  g_autoptr (RtmpUrl) url = rtmp_url_parse (opt_location, error);
  g_autoptr (RtmpSession) session = NULL;
  g_autofree gchar *tc_url = NULL;
  guint8 random[RTMP_SESSION_RANDOM_SIZE];
  guint8 *buf = NULL;
  RtmpSessionConfig config;
  gboolean ok = TRUE;
  int fd;

  if (url == NULL)
    return FALSE;
  fd = bench_connect_loopback (url->port, error);
  if (fd < 0)
    return FALSE;
  tc_url = rtmp_url_get_tc_url (url);
  bench_session_config_init (&config, RTMP_SESSION_ROLE_CLIENT, random);
  config.client.app = url->application;
  config.client.tc_url = tc_url;
  config.client.intent = RTMP_SESSION_INTENT_PLAY;
  config.client.stream_name = url->stream;
  config.client.play_start_ms = RTMP_PLAY_START_LIVE;
  session = rtmp_session_new (&config);
  buf = g_malloc (64 * 1024);
  while (ok && !g_atomic_int_get (&player->stop)) {
    struct pollfd pfd = { fd, POLLIN, 0 };
    RtmpSessionEvent event;
    gint64 now_ns;
    ssize_t n;

    if (!bench_session_flush (session, fd, error)) {
      ok = FALSE;
      break;
    }
    if (poll (&pfd, 1, 100) <= 0)
      continue;
    n = read (fd, buf, 64 * 1024);
    now_ns = bench_now_ns ();
    if (player->quickack) {
      int one = 1;

      /* ACK at once: a server whose socket has Nagle on (nginx-rtmp) holds
       * the rest of a message until our ACK comes */
      setsockopt (fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof (one));
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
          "the server closed the connection");
      ok = FALSE;
      break;
    }
    ok = rtmp_session_receive (session, buf, n, now_ns / 1000, error);
    while (ok && rtmp_session_next_event (session, &event)) {
      if (event.type == RTMP_SESSION_EVENT_MEDIA) {
        gsize len, offset = 0;
        const guint8 *data = g_bytes_get_data (event.message->payload, &len);
        guint32 index;

        if (player->first_media_ns == 0)
          player->first_media_ns = now_ns;
        if (player->stop_at_first_media)
          g_atomic_int_set (&player->stop, 1);
        if (bench_frame_find (data, MIN (len, 64), &offset, &index)
            && index < n_frames && received_ns[index] == 0)
          received_ns[index] = now_ns;
      }
      rtmp_session_event_clear (&event);
    }
  }
  close (fd);
  g_free (buf);
  return ok;
}

static gpointer
session_player_thread (gpointer data)
{
  SessionPlayer *player = data;
  GError *error = NULL;

  if (!session_play (player, &error)) {
    player->error = g_strdup (error->message);
    g_error_free (error);
  }
  return NULL;
}

static int
run_e2e (void)
{
  GError *error = NULL;
  GstElement *publisher, *player, *appsrc, *sink, *src, *fakesink;
  GstCaps *caps;
  GstPad *pad;
  GBytes **tags;
  gint64 period_ns, start_ns, player_start_ns;
  guint n_video, i, first_measured = G_MAXUINT;
  guint player_start_frame, video_lost = 0, audio_lost = 0;
  gboolean player_started = FALSE, is_session;
  SessionPlayer session_player = { 0 };
  GArray *video_lat, *audio_lat;
  FILE *out = NULL;
  gchar *text;

  period_ns = (gint64) (1e9 / opt_fps);
  /* the player starts after 0.5 s, plays opt_warmup_s, then is measured;
   * 2 s of margin for its start */
  player_start_frame = (guint) (0.5 * opt_fps);
  n_video = player_start_frame + (guint) ((opt_warmup_s + 2.0) * opt_fps)
      + opt_frames;
  n_frames = 2 * n_video;
  sent_ns = g_new0 (gint64, n_frames);
  received_ns = g_new0 (gint64, n_frames);
  tags = g_new0 (GBytes *, n_frames);
  for (i = 0; i < n_video; i++) {
    guint32 ts_ms = (guint32) ((gint64) i * period_ns / 1000000);

    tags[2 * i] = bench_frame_tag_new (BENCH_FRAME_VIDEO, 2 * i, ts_ms,
        opt_video_bytes, i % 60 == 0);
    tags[2 * i + 1] = bench_frame_tag_new (BENCH_FRAME_AUDIO, 2 * i + 1,
        ts_ms + period_ns / 2000000, opt_audio_bytes, FALSE);
  }

  publisher = gst_pipeline_new ("publisher");
  appsrc = gst_element_factory_make ("appsrc", NULL);
  sink = gst_element_factory_make (opt_sink, NULL);
  player = gst_pipeline_new ("player");
  is_session = g_str_equal (opt_src, "session");
  src = gst_element_factory_make (is_session ? "fakesrc" : opt_src, NULL);
  fakesink = gst_element_factory_make ("fakesink", NULL);
  if (sink == NULL || src == NULL) {
    fprintf (stderr, "bench-play: no element %s\n", sink ? opt_src : opt_sink);
    return 1;
  }
  text = describe_plugin (sink);
  printf ("# %s\n", text);
  g_free (text);
  if (is_session) {
    printf ("# session: the protocol layer's client session\n");
  } else {
    text = describe_plugin (src);
    printf ("# %s\n", text);
    g_free (text);
  }

  caps = gst_caps_new_empty_simple ("video/x-flv");
  g_object_set (appsrc, "caps", caps, "format", GST_FORMAT_TIME, "is-live",
      TRUE, "max-bytes", (guint64) 256 * 1024 * 1024, NULL);
  gst_caps_unref (caps);
  g_object_set (sink, "location", opt_location, "sync", FALSE, NULL);
  set_properties (sink, opt_sink_set);
  gst_bin_add_many (GST_BIN (publisher), appsrc, sink, NULL);
  gst_element_link (appsrc, sink);
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, sent_probe, NULL, NULL);
  gst_object_unref (pad);

  if (!is_session) {
    g_object_set (src, "location", opt_location, NULL);
    set_properties (src, opt_src_set);
  }
  g_object_set (fakesink, "sync", FALSE, NULL);
  gst_bin_add_many (GST_BIN (player), src, fakesink, NULL);
  gst_element_link (src, fakesink);
  pad = gst_element_get_static_pad (src, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, received_probe, NULL,
      NULL);
  gst_object_unref (pad);

  gst_element_set_state (publisher, GST_STATE_PLAYING);
  gst_app_src_push_buffer (GST_APP_SRC (appsrc),
      gst_buffer_new_wrapped_bytes (bench_flv_header_new ()));

  start_ns = bench_now_ns () + 100 * 1000 * 1000;
  player_start_ns = 0;
  for (i = 0; i < n_frames; i++) {
    GstBuffer *buffer;

    bench_sleep_until_ns (
        start_ns + (i / 2) * period_ns + (i % 2) * period_ns / 2);
    buffer = gst_buffer_new_wrapped_bytes (tags[i]);
    GST_BUFFER_OFFSET (buffer) = i;
    GST_BUFFER_PTS (buffer) = (i / 2) * period_ns + (i % 2) * period_ns / 2;
    gst_app_src_push_buffer (GST_APP_SRC (appsrc), buffer);

    if (!player_started && i / 2 >= player_start_frame) {
      player_start_ns = bench_now_ns ();
      session_player.quickack = opt_quickack;
      if (is_session)
        session_player.thread = g_thread_new ("bench-player",
            session_player_thread, &session_player);
      else
        gst_element_set_state (player, GST_STATE_PLAYING);
      player_started = TRUE;
    }
    if (i % 60 == 0
        && (pop_error (publisher, 0, &error)
            || pop_error (player, 0, &error))) {
      fprintf (stderr, "bench-play: %s\n", error->message);
      return 1;
    }
  }
  /* what is still on its way */
  g_usleep (G_USEC_PER_SEC);
  gst_app_src_end_of_stream (GST_APP_SRC (appsrc));
  {
    GstBus *bus = gst_element_get_bus (publisher);
    GstMessage *message = gst_bus_timed_pop_filtered (bus, 10 * GST_SECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR);

    if (message)
      gst_message_unref (message);
    gst_object_unref (bus);
  }
  gst_element_set_state (player, GST_STATE_NULL);
  gst_element_set_state (publisher, GST_STATE_NULL);
  if (session_player.thread) {
    g_atomic_int_set (&session_player.stop, 1);
    g_thread_join (session_player.thread);
    if (session_player.error) {
      fprintf (stderr, "bench-play: session player: %s\n",
          session_player.error);
      return 1;
    }
  }

  /* measured: from opt_warmup_s after the first video frame the player
   * got (a server may hold video back until a key frame) */
  for (i = 0; i < n_frames; i += 2)
    if (received_ns[i] != 0) {
      first_measured = i + 2 * (guint) (opt_warmup_s * opt_fps);
      break;
    }
  if (first_measured >= n_frames) {
    fprintf (stderr, "bench-play: the player received no frame\n");
    return 1;
  }
  first_measured &= ~1u; /* start at a video frame */
  if (opt_output) {
    out = fopen (opt_output, "w");
    if (out == NULL) {
      fprintf (stderr, "bench-play: %s: %s\n", opt_output, g_strerror (errno));
      return 1;
    }
    fprintf (out, "# index kind bytes latency_ns\n");
  }
  video_lat = g_array_new (FALSE, FALSE, sizeof (gdouble));
  audio_lat = g_array_new (FALSE, FALSE, sizeof (gdouble));
  for (i = first_measured;
       i < n_frames && i < first_measured + 2 * (guint) opt_frames; i++) {
    gboolean is_video = i % 2 == 0;
    gboolean is_lost = sent_ns[i] == 0 || received_ns[i] == 0;
    gdouble lat = received_ns[i] - sent_ns[i];

    if (is_lost)
      *(is_video ? &video_lost : &audio_lost) += 1;
    else
      g_array_append_val (is_video ? video_lat : audio_lat, lat);
    if (out) {
      if (is_lost)
        fprintf (out, "%u %s %" G_GSIZE_FORMAT " -\n", i,
            is_video ? "video" : "audio", g_bytes_get_size (tags[i]));
      else
        fprintf (out, "%u %s %" G_GSIZE_FORMAT " %.0f\n", i,
            is_video ? "video" : "audio", g_bytes_get_size (tags[i]), lat);
    }
  }
  if (out)
    fclose (out);
  printf ("player started %.1f ms after the publisher's first frame\n",
      (player_start_ns - start_ns) / 1e6);
  printf ("video: %u frames, %u lost, median %.1f us, p99 %.1f us\n",
      video_lat->len, video_lost, bench_quantile (video_lat, 0.5) / 1000,
      bench_quantile (video_lat, 0.99) / 1000);
  printf ("audio: %u frames, %u lost, median %.1f us, p99 %.1f us\n",
      audio_lat->len, audio_lost, bench_quantile (audio_lat, 0.5) / 1000,
      bench_quantile (audio_lat, 0.99) / 1000);
  gst_object_unref (player);
  gst_object_unref (publisher);
  return 0;
}

int
main (int argc, char **argv)
{
  GOptionContext *context;
  GError *error = NULL;

  context = g_option_context_new ("ttfb|e2e - playing-side measurements");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_group (context, gst_init_get_option_group ());
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    fprintf (stderr, "bench-play: %s\n", error->message);
    return 2;
  }
  g_option_context_free (context);
  gst_init (&argc, &argv);
  if (argc == 2 && g_str_equal (argv[1], "ttfb") && opt_elements
      && opt_location)
    return run_ttfb ();
  if (argc == 2 && g_str_equal (argv[1], "e2e") && opt_sink && opt_src
      && opt_location)
    return run_e2e ();
  fprintf (stderr,
      "usage: bench-play ttfb --elements A,B --location URL\n"
      "       bench-play e2e --sink S --src R --location URL\n");
  return 2;
}
