/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Added latency of a publishing sink: appsrc ! SINK publishes numbered FLV
 * tags at a steady frame rate to an in-process RTMP server (the session's
 * server role on a loopback socket, on its own thread); each tag is stamped
 * when it reaches the sink's pad (render) and when the server's read ()
 * returned the message's last byte, both on CLOCK_MONOTONIC. "--sink raw"
 * is the floor: the same bytes written with write () by the pushing thread
 * and read by the same server thread, length-prefixed, without RTMP. */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gst/app/gstappsrc.h>
#include <gst/gst.h>

#include "benchutil.h"

#define READ_BYTES (64 * 1024)
#define RAW_HEADER_BYTES 4
#define WAIT_PUBLISH_NS (10 * G_GINT64_CONSTANT (1000000000))

static gchar *opt_sink = NULL;
static gchar **opt_set = NULL;
static gint opt_frames = 600;
static gint opt_warmup = 30;
static gdouble opt_fps = 60.0;
static gint opt_video_bytes = 42000;
static gint opt_audio_bytes = 372;
static gchar *opt_output = NULL;

static GOptionEntry entries[] = {
  { "sink", 0, 0, G_OPTION_ARG_STRING, &opt_sink,
      "rtmpsink, rtmp2sink, ... or raw", "NAME" },
  { "set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_set,
      "a property of the sink (repeatable)", "PROP=VALUE" },
  { "frames", 0, 0, G_OPTION_ARG_INT, &opt_frames,
      "video frames measured (and as many audio frames)", "N" },
  { "warmup", 0, 0, G_OPTION_ARG_INT, &opt_warmup,
      "video frames sent first and not measured", "N" },
  { "fps", 0, 0, G_OPTION_ARG_DOUBLE, &opt_fps, "video frame rate", "FPS" },
  { "video-bytes", 0, 0, G_OPTION_ARG_INT, &opt_video_bytes,
      "video tag body size", "BYTES" },
  { "audio-bytes", 0, 0, G_OPTION_ARG_INT, &opt_audio_bytes,
      "audio tag body size", "BYTES" },
  { "output", 0, 0, G_OPTION_ARG_FILENAME, &opt_output,
      "per-frame results: index kind bytes latency_ns (- when lost)", "FILE" },
  G_OPTION_ENTRY_NULL
};

typedef struct
{
  int listen_fd;
  int fd; /* the accepted connection, -1 before */
  gboolean raw;
  guint n_frames;
  gint64 *received_ns; /* [n_frames], 0 = not received; server thread */
  guint64 bytes_in;

  GMutex lock;
  GCond cond;
  gboolean is_ready; /* publishing (or connected, raw) */
  gboolean is_done;
  gchar *error;
} Server;

static void
server_set_ready (Server *server)
{
  g_mutex_lock (&server->lock);
  server->is_ready = TRUE;
  g_cond_broadcast (&server->cond);
  g_mutex_unlock (&server->lock);
}

static void
server_record (Server *server, guint32 index, gint64 now_ns)
{
  if (index < server->n_frames && server->received_ns[index] == 0)
    server->received_ns[index] = now_ns;
}

/* The raw floor: [u32 length][tag bytes] records */
static void
serve_raw (Server *server, guint8 *buf)
{
  guint8 header[RAW_HEADER_BYTES];
  gsize have_header = 0, body_left = 0, body_seen = 0;
  guint8 body_start[64];

  server_set_ready (server);
  for (;;) {
    ssize_t n = read (server->fd, buf, READ_BYTES);
    gint64 now_ns = bench_now_ns ();
    gsize pos = 0;

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return;
    server->bytes_in += n;
    while (pos < (gsize) n) {
      if (have_header < RAW_HEADER_BYTES) {
        header[have_header++] = buf[pos++];
        if (have_header == RAW_HEADER_BYTES) {
          body_left = ((gsize) header[0] << 24) | ((gsize) header[1] << 16)
              | ((gsize) header[2] << 8) | header[3];
          body_seen = 0;
        }
      } else {
        gsize take = MIN (body_left, (gsize) n - pos);

        if (body_seen < sizeof (body_start))
          memcpy (body_start + body_seen, buf + pos,
              MIN (take, sizeof (body_start) - body_seen));
        body_seen += take;
        body_left -= take;
        pos += take;
        if (body_left == 0) {
          gsize offset = 0;
          guint32 index;

          if (bench_frame_find (body_start,
                  MIN (body_seen, sizeof (body_start)), &offset, &index))
            server_record (server, index, now_ns);
          have_header = 0;
        }
      }
    }
  }
}

static gboolean
serve_rtmp (Server *server, guint8 *buf, GError **error)
{
  g_autoptr (RtmpSession) session = NULL;
  guint8 random[RTMP_SESSION_RANDOM_SIZE];
  RtmpSessionConfig config;

  bench_session_config_init (&config, RTMP_SESSION_ROLE_SERVER, random);
  config.idle_timeout_ms = 0;
  session = rtmp_session_new (&config);

  for (;;) {
    ssize_t n = read (server->fd, buf, READ_BYTES);
    gint64 now_ns = bench_now_ns ();
    RtmpSessionEvent event;

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return TRUE;
    server->bytes_in += n;
    if (!rtmp_session_receive (session, buf, n, now_ns / 1000, error))
      return FALSE;
    while (rtmp_session_next_event (session, &event)) {
      switch (event.type) {
        case RTMP_SESSION_EVENT_CONNECT_REQUEST:
          rtmp_session_accept_connect (session, NULL, now_ns / 1000);
          break;
        case RTMP_SESSION_EVENT_PUBLISH_REQUEST:
          rtmp_session_accept_publish (session, event.stream_id);
          server_set_ready (server);
          break;
        case RTMP_SESSION_EVENT_MEDIA: {
          gsize len, offset = 0;
          const guint8 *data = g_bytes_get_data (event.message->payload, &len);
          guint32 index;

          /* the marker is near the start of the body */
          if (bench_frame_find (data, MIN (len, 64), &offset, &index))
            server_record (server, index, now_ns);
          break;
        }
        default:
          break;
      }
      rtmp_session_event_clear (&event);
    }
    if (!bench_session_flush (session, server->fd, error))
      return FALSE;
  }
}

static gpointer
server_thread (gpointer data)
{
  Server *server = data;
  guint8 *buf = g_malloc (READ_BYTES);
  GError *error = NULL;

  server->fd = accept (server->listen_fd, NULL, NULL);
  if (server->fd < 0) {
    error = g_error_new (G_FILE_ERROR, g_file_error_from_errno (errno),
        "accept: %s", g_strerror (errno));
  } else if (server->raw) {
    serve_raw (server, buf);
  } else {
    serve_rtmp (server, buf, &error);
  }
  g_free (buf);
  g_mutex_lock (&server->lock);
  if (error)
    server->error = g_strdup (error->message);
  server->is_done = TRUE;
  g_cond_broadcast (&server->cond);
  g_mutex_unlock (&server->lock);
  g_clear_error (&error);
  return NULL;
}

/* --- the publishing side --- */

static gint64 *rendered_ns; /* [n_frames], written by the streaming thread */
static guint n_frames_total;

static GstPadProbeReturn
render_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  gint64 now_ns = bench_now_ns ();
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  guint64 index = GST_BUFFER_OFFSET (buffer);

  if (index < n_frames_total)
    rendered_ns[index] = now_ns;
  return GST_PAD_PROBE_OK;
}

static gboolean
check_bus (GstElement *pipeline, gboolean wait_eos, GError **error)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *message;
  gboolean ok = TRUE;

  while ((
      message = gst_bus_timed_pop_filtered (bus, wait_eos ? 20 * GST_SECOND : 0,
          GST_MESSAGE_ERROR | GST_MESSAGE_EOS))) {
    if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR) {
      GError *err = NULL;
      gchar *debug = NULL;

      gst_message_parse_error (message, &err, &debug);
      g_set_error (error, err->domain, err->code, "%s: %s (%s)",
          GST_OBJECT_NAME (GST_MESSAGE_SRC (message)), err->message,
          debug ? debug : "");
      g_clear_error (&err);
      g_free (debug);
      ok = FALSE;
    }
    gst_message_unref (message);
    if (!ok || wait_eos)
      break;
  }
  if (ok && wait_eos && message == NULL) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_FAILED,
        "no EOS within 20 s");
    ok = FALSE;
  }
  gst_object_unref (bus);
  return ok;
}

static gboolean
wait_ready (Server *server, GError **error)
{
  gint64 end = g_get_monotonic_time () + WAIT_PUBLISH_NS / 1000;
  gboolean ok;

  g_mutex_lock (&server->lock);
  while (!server->is_ready && !server->is_done)
    if (!g_cond_wait_until (&server->cond, &server->lock, end))
      break;
  ok = server->is_ready;
  if (!ok)
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
        "the sink did not publish within 10 s%s%s", server->error ? ": " : "",
        server->error ? server->error : "");
  g_mutex_unlock (&server->lock);
  return ok;
}

static gboolean
write_all (int fd, const guint8 *data, gsize len)
{
  while (len > 0) {
    ssize_t n = write (fd, data, len);

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return FALSE;
    data += n;
    len -= n;
  }
  return TRUE;
}

static void
print_summary (const gchar *kind, GArray *values, guint lost)
{
  gdouble median = bench_quantile (values, 0.5);
  gdouble p99 = bench_quantile (values, 0.99);

  printf ("%s: %u frames, %u lost, median %.1f us, p99 %.1f us\n", kind,
      values->len, lost, median / 1000.0, p99 / 1000.0);
}

int
main (int argc, char **argv)
{
  GOptionContext *context;
  GError *error = NULL;
  Server server = { 0 };
  GstElement *pipeline = NULL, *appsrc = NULL, *sink = NULL;
  GBytes **tags;
  guint16 port = 0;
  int client_fd = -1;
  guint i, n_video;
  gint64 period_ns, start_ns;
  GThread *thread;
  FILE *out = NULL;
  GArray *video_lat, *audio_lat;
  guint video_lost = 0, audio_lost = 0;

  context = g_option_context_new ("- added latency of a publishing sink");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_group (context, gst_init_get_option_group ());
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    fprintf (stderr, "bench-latency: %s\n", error->message);
    return 2;
  }
  g_option_context_free (context);
  if (opt_sink == NULL || opt_frames <= 0 || opt_warmup < 0 || opt_fps <= 0) {
    fprintf (stderr, "bench-latency: --sink is required\n");
    return 2;
  }

  n_video = opt_warmup + opt_frames;
  n_frames_total = 2 * n_video;
  rendered_ns = g_new0 (gint64, n_frames_total);
  server.received_ns = g_new0 (gint64, n_frames_total);
  server.n_frames = n_frames_total;
  server.raw = g_str_equal (opt_sink, "raw");
  server.fd = -1;
  g_mutex_init (&server.lock);
  g_cond_init (&server.cond);

  /* every tag exists before the clock starts: no allocation in the path */
  period_ns = (gint64) (1e9 / opt_fps);
  tags = g_new0 (GBytes *, n_frames_total);
  for (i = 0; i < n_video; i++) {
    guint32 ts_ms = (guint32) ((gint64) i * period_ns / 1000000);

    tags[2 * i] = bench_frame_tag_new (BENCH_FRAME_VIDEO, 2 * i, ts_ms,
        opt_video_bytes, i % 120 == 0);
    tags[2 * i + 1] = bench_frame_tag_new (BENCH_FRAME_AUDIO, 2 * i + 1,
        ts_ms + period_ns / 2000000, opt_audio_bytes, FALSE);
  }

  server.listen_fd = bench_listen_loopback (&port, &error);
  if (server.listen_fd < 0)
    goto failed;
  thread = g_thread_new ("bench-server", server_thread, &server);

  if (server.raw) {
    client_fd = bench_connect_loopback (port, &error);
    if (client_fd < 0)
      goto failed;
  } else {
    gchar *location;
    GstPad *pad;
    GstPlugin *plugin;
    GstCaps *caps;

    gst_init (&argc, &argv);
    pipeline = gst_pipeline_new ("publisher");
    appsrc = gst_element_factory_make ("appsrc", NULL);
    sink = gst_element_factory_make (opt_sink, NULL);
    if (appsrc == NULL || sink == NULL) {
      g_set_error (&error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
          "no element %s", sink ? "appsrc" : opt_sink);
      goto failed;
    }
    plugin = gst_plugin_feature_get_plugin (
        GST_PLUGIN_FEATURE (gst_element_get_factory (sink)));
    printf ("sink %s from %s (source module %s)\n", opt_sink,
        gst_plugin_get_filename (plugin), gst_plugin_get_source (plugin));
    gst_object_unref (plugin);

    caps = gst_caps_new_empty_simple ("video/x-flv");
    g_object_set (appsrc, "caps", caps, "format", GST_FORMAT_TIME, "is-live",
        TRUE, "max-bytes", (guint64) 256 * 1024 * 1024, NULL);
    gst_caps_unref (caps);
    location = g_strdup_printf ("rtmp://127.0.0.1:%u/live/latency", port);
    g_object_set (sink, "location", location, "sync", FALSE, NULL);
    g_free (location);
    for (i = 0; opt_set && opt_set[i]; i++) {
      gchar **kv = g_strsplit (opt_set[i], "=", 2);

      if (kv[0] && kv[1])
        gst_util_set_object_arg (G_OBJECT (sink), kv[0], kv[1]);
      g_strfreev (kv);
    }
    gst_bin_add_many (GST_BIN (pipeline), appsrc, sink, NULL);
    gst_element_link (appsrc, sink);
    pad = gst_element_get_static_pad (sink, "sink");
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, render_probe, NULL,
        NULL);
    gst_object_unref (pad);
    gst_element_set_state (pipeline, GST_STATE_PLAYING);
    gst_app_src_push_buffer (GST_APP_SRC (appsrc),
        gst_buffer_new_wrapped_bytes (bench_flv_header_new ()));
  }

  if (!wait_ready (&server, &error))
    goto failed;

  start_ns = bench_now_ns () + 20 * 1000 * 1000;
  for (i = 0; i < n_frames_total; i++) {
    gint64 deadline = start_ns + (i / 2) * period_ns + (i % 2) * period_ns / 2;

    bench_sleep_until_ns (deadline);
    if (server.raw) {
      gsize len;
      const guint8 *data = g_bytes_get_data (tags[i], &len);
      guint8 header[RAW_HEADER_BYTES] = { len >> 24, len >> 16, len >> 8, len };

      rendered_ns[i] = bench_now_ns ();
      if (!write_all (client_fd, header, sizeof (header))
          || !write_all (client_fd, data, len)) {
        g_set_error (&error, G_FILE_ERROR, g_file_error_from_errno (errno),
            "write: %s", g_strerror (errno));
        goto failed;
      }
    } else {
      GstBuffer *buffer = gst_buffer_new_wrapped_bytes (tags[i]);

      GST_BUFFER_OFFSET (buffer) = i;
      GST_BUFFER_PTS (buffer) = (i / 2) * period_ns + (i % 2) * period_ns / 2;
      gst_app_src_push_buffer (GST_APP_SRC (appsrc), buffer);
      if (i % 60 == 0 && !check_bus (pipeline, FALSE, &error))
        goto failed;
    }
  }

  if (server.raw) {
    shutdown (client_fd, SHUT_WR);
  } else {
    gst_app_src_end_of_stream (GST_APP_SRC (appsrc));
    if (!check_bus (pipeline, TRUE, &error))
      goto failed;
    gst_element_set_state (pipeline, GST_STATE_NULL);
  }
  /* the sink has closed its connection (or we did): the server ends; one
   * that leaves it open is cut off after 5 s */
  {
    gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

    g_mutex_lock (&server.lock);
    while (!server.is_done)
      if (!g_cond_wait_until (&server.cond, &server.lock, end))
        break;
    if (!server.is_done && server.fd >= 0)
      shutdown (server.fd, SHUT_RDWR);
    g_mutex_unlock (&server.lock);
  }
  g_thread_join (thread);
  if (server.error) {
    g_set_error (&error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "server: %s",
        server.error);
    goto failed;
  }

  if (opt_output) {
    out = fopen (opt_output, "w");
    if (out == NULL) {
      g_set_error (&error, G_FILE_ERROR, g_file_error_from_errno (errno),
          "%s: %s", opt_output, g_strerror (errno));
      goto failed;
    }
    fprintf (out, "# index kind bytes latency_ns\n");
  }
  video_lat = g_array_new (FALSE, FALSE, sizeof (gdouble));
  audio_lat = g_array_new (FALSE, FALSE, sizeof (gdouble));
  for (i = 2 * opt_warmup; i < n_frames_total; i++) {
    gboolean is_video = i % 2 == 0;
    gboolean is_lost = rendered_ns[i] == 0 || server.received_ns[i] == 0;
    gdouble lat = server.received_ns[i] - rendered_ns[i];

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
  printf ("server received %" G_GUINT64_FORMAT " bytes\n", server.bytes_in);
  print_summary ("video", video_lat, video_lost);
  print_summary ("audio", audio_lat, audio_lost);
  return 0;

failed:
  fprintf (stderr, "bench-latency: %s\n", error->message);
  return 1;
}
