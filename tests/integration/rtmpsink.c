/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtmpsink against real servers started by each test on 127.0.0.1:
 * nginx-rtmp (recording what it receives), ffmpeg -listen, RTMPS through
 * stunnel, a server restart in the middle of a stream, and rtmp2sink's
 * property names used as its documentation shows them. */

#include <gst/check/gstcheck.h>
#include "rtmpexternal.h"
#include "rtmptestutil.h"

#define MEDIA_FILE RTMP_TEST_FILES_DIR "/media/testsrc-x264-aac.flv"
/* what the file holds (tests/files/README.md, media/): ffprobe counts 120
 * video packets, 4 of them keyframes, and 174 audio packets; 4 s long */
#define MEDIA_VIDEO_PACKETS 120
#define MEDIA_VIDEO_KEYS 4
#define MEDIA_AUDIO_PACKETS 174
#define MEDIA_SECONDS 4.0
#define WAIT_MS 20000

static GstElement *
launch (const gchar *description)
{
  GError *error = NULL;
  GstElement *pipeline;
  GstElement *sink;

  rtmp_test_assert_plugin_is_ours ();
  pipeline = gst_parse_launch (description, &error);
  fail_unless (pipeline != NULL, "%s: %s", description,
      error ? error->message : "");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  fail_unless (sink != NULL);
  fail_unless (rtmp_test_element_is_ours (sink));
  gst_object_unref (sink);
  return pipeline;
}

/* Runs @pipeline to EOS; the states posted on the way go to @states
 * (nullable) */
static void
run_to_eos (GstElement *pipeline, guint timeout_ms, GPtrArray *states)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  gint64 end = g_get_monotonic_time () + timeout_ms * (gint64) 1000;

  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING)
      != GST_STATE_CHANGE_FAILURE);
  for (;;) {
    gint64 left = end - g_get_monotonic_time ();
    GstMessage *msg;

    fail_unless (left > 0, "no EOS within %u ms", timeout_ms);
    msg = gst_bus_timed_pop_filtered (bus, left * GST_USECOND,
        GST_MESSAGE_ERROR | GST_MESSAGE_EOS | GST_MESSAGE_ELEMENT);
    fail_unless (msg != NULL, "no EOS within %u ms", timeout_ms);
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      g_autoptr (GError) error = NULL;
      g_autofree gchar *debug = NULL;

      gst_message_parse_error (msg, &error, &debug);
      fail ("error: %s (%s)", error->message, debug);
    }
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT) {
      const GstStructure *s = gst_message_get_structure (msg);

      if (states && gst_structure_has_name (s, "rtmp-state"))
        g_ptr_array_add (states,
            g_strdup (gst_structure_get_string (s, "state")));
      gst_message_unref (msg);
      continue;
    }
    gst_message_unref (msg);
    break;
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
}

static GError *
run_to_error (GstElement *pipeline, guint timeout_ms)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;
  GError *error = NULL;

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, timeout_ms * GST_MSECOND,
      GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
  fail_unless (msg != NULL, "no error within %u ms", timeout_ms);
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_ERROR);
  gst_message_parse_error (msg, &error, NULL);
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  return error;
}

static RtmpExternalNginx *
start_nginx_recording (void)
{
  RtmpExternalNginxConfig config;
  GError *error = NULL;
  RtmpExternalNginx *nginx;

  g_free (rtmp_external_require_program ("nginx", "nginx"));
  rtmp_external_nginx_config_init (&config);
  /* the recording application: "live" has record off */
  config.server_directives = "application rec { live on; record all; "
                             "record_path @DIR@/record; record_unique off; }";
  nginx = rtmp_external_nginx_start (&config, &error);
  fail_unless (nginx != NULL, "%s", error ? error->message : "");
  return nginx;
}

static gchar *
recording_path (RtmpExternalNginx *nginx, const gchar *stream)
{
  return g_strdup_printf ("%s/record/%s.flv",
      rtmp_external_nginx_get_dir (nginx), stream);
}

/* nginx finishes the recording when the publisher's connection is gone */
static void
probe_recording (RtmpExternalNginx *nginx, const gchar *stream,
    RtmpExternalProbe *probe)
{
  g_autofree gchar *path = recording_path (nginx, stream);
  GError *error = NULL;
  gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  guint last_video = G_MAXUINT;

  g_free (rtmp_external_require_program ("ffprobe", "ffmpeg"));
  /* the file is complete once two probes agree */
  while (g_get_monotonic_time () < end) {
    memset (probe, 0, sizeof (*probe));
    if (g_file_test (path, G_FILE_TEST_EXISTS)
        && rtmp_external_ffprobe (path, 0, 10000, probe, NULL)) {
      if (probe->n_video_packets == last_video)
        return;
      last_video = probe->n_video_packets;
    }
    g_usleep (200 * 1000);
  }
  fail_unless (rtmp_external_ffprobe (path, 0, 10000, probe, &error), "%s",
      error ? error->message : "");
}

static void
check_whole_file (const RtmpExternalProbe *probe)
{
  fail_unless_equals_int (probe->n_video_packets, MEDIA_VIDEO_PACKETS);
  fail_unless_equals_int (probe->n_video_key_packets, MEDIA_VIDEO_KEYS);
  fail_unless_equals_int (probe->n_audio_packets, MEDIA_AUDIO_PACKETS);
  fail_unless (probe->last_pts_s - probe->first_pts_s > MEDIA_SECONDS - 0.2,
      "%f .. %f s", probe->first_pts_s, probe->last_pts_s);
}

/* filesrc ! rtmpsink: a file as it is, as fast as the server takes it */
GST_START_TEST (test_publish_file_to_nginx)
{
  g_autoptr (RtmpExternalNginx) nginx = start_nginx_recording ();
  g_autofree gchar *url = rtmp_external_nginx_dup_url (nginx, "rec", "f1");
  g_autofree gchar *desc = g_strdup_printf ("filesrc location=%s ! "
                                            "rtmpsink name=sink location=%s",
      MEDIA_FILE, url);
  g_autoptr (GPtrArray) states = g_ptr_array_new_with_free_func (g_free);
  GstElement *pipeline = launch (desc);
  RtmpExternalProbe probe;
  gint64 start = g_get_monotonic_time ();

  run_to_eos (pipeline, WAIT_MS, states);
  /* not paced: much faster than the 4 s of media */
  fail_unless (g_get_monotonic_time () - start < 3 * G_USEC_PER_SEC);
  probe_recording (nginx, "f1", &probe);
  check_whole_file (&probe);
  fail_unless_equals_string (states->pdata[states->len - 1], "stopped");
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* realtime=true paces the file by its timestamps, as ffmpeg -re does */
GST_START_TEST (test_publish_file_realtime)
{
  g_autoptr (RtmpExternalNginx) nginx = start_nginx_recording ();
  g_autofree gchar *url = rtmp_external_nginx_dup_url (nginx, "rec", "f2");
  g_autofree gchar *desc
      = g_strdup_printf ("filesrc location=%s ! "
                         "rtmpsink name=sink realtime=true location=%s",
          MEDIA_FILE, url);
  GstElement *pipeline = launch (desc);
  RtmpExternalProbe probe;
  gint64 start = g_get_monotonic_time ();

  run_to_eos (pipeline, WAIT_MS, NULL);
  fail_unless (
      g_get_monotonic_time () - start > (MEDIA_SECONDS - 0.3) * G_USEC_PER_SEC);
  probe_recording (nginx, "f2", &probe);
  check_whole_file (&probe);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* A live encode, as flvmux streamable=true sends it, read back from the
 * server's recording: frame counts, keyframes, timestamps */
GST_START_TEST (test_publish_live_encode)
{
  g_autoptr (RtmpExternalNginx) nginx = start_nginx_recording ();
  g_autofree gchar *url = rtmp_external_nginx_dup_url (nginx, "rec", "enc");
  g_autofree gchar *desc = g_strdup_printf (
      "videotestsrc is-live=true "
      "num-buffers=90 ! video/x-raw,width=320,height=240,framerate=30/1 ! "
      "x264enc tune=zerolatency key-int-max=30 speed-preset=ultrafast ! "
      "flvmux streamable=true name=m ! rtmpsink name=sink location=%s "
      "audiotestsrc is-live=true num-buffers=130 ! voaacenc ! m.",
      url);
  GstElement *pipeline = launch (desc);
  RtmpExternalProbe probe;

  run_to_eos (pipeline, WAIT_MS, NULL);
  probe_recording (nginx, "enc", &probe);
  fail_unless_equals_int (probe.n_video_packets, 90);
  fail_unless_equals_int (probe.n_video_key_packets, 3);
  fail_unless (probe.n_audio_packets > 100, "%u audio packets",
      probe.n_audio_packets);
  fail_unless (probe.last_pts_s - probe.first_pts_s > 2.8);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* Until a socket listens on 127.0.0.1:@port (/proc/net/tcp, state 0A),
 * without connecting to it */
static gboolean
wait_for_listening (guint16 port, RtmpExternalProcess *process,
    guint timeout_ms)
{
  g_autofree gchar *needle
      = g_strdup_printf ("0100007F:%04X 00000000:0000 0A", port);
  gint64 end = g_get_monotonic_time () + timeout_ms * (gint64) 1000;

  while (g_get_monotonic_time () < end) {
    g_autofree gchar *table = NULL;

    if (g_file_get_contents ("/proc/net/tcp", &table, NULL, NULL)
        && strstr (table, needle) != NULL)
      return TRUE;
    if (!rtmp_external_process_is_running (process))
      return FALSE;
    g_usleep (20 * 1000);
  }
  return FALSE;
}

/* ffmpeg as the server: one connection, written to a file */
GST_START_TEST (test_publish_to_ffmpeg_listen)
{
  g_autofree gchar *ffmpeg = rtmp_external_require_program ("ffmpeg", "ffmpeg");
  g_autofree gchar *dir = rtmp_external_make_temp_dir ("ffmpeg-listen", NULL);
  g_autofree gchar *out = g_build_filename (dir, "out.flv", NULL);
  guint16 port = rtmp_external_pick_port (NULL);
  g_autofree gchar *listen_url
      = g_strdup_printf ("rtmp://127.0.0.1:%u/live/x", port);
  const gchar *argv[] = { ffmpeg, "-nostdin", "-v", "error", "-y", "-listen",
    "1", "-i", listen_url, "-c", "copy", "-f", "flv", out, NULL };
  g_autoptr (RtmpExternalProcess) server = NULL;
  g_autofree gchar *desc = g_strdup_printf ("filesrc location=%s ! "
                                            "rtmpsink name=sink location=%s",
      MEDIA_FILE, listen_url);
  GstElement *pipeline;
  RtmpExternalProbe probe;
  GError *error = NULL;

  server = rtmp_external_process_start (argv, &error);
  fail_unless (server != NULL, "%s", error ? error->message : "");
  /* not rtmp_external_wait_for_port (): its probe connection would be
   * the one connection ffmpeg -listen 1 takes */
  fail_unless (wait_for_listening (port, server, 10000),
      "ffmpeg does not "
      "listen on %u",
      port);
  pipeline = launch (desc);
  run_to_eos (pipeline, WAIT_MS, NULL);
  /* ffmpeg ends when we close: its file is complete then */
  fail_unless (rtmp_external_process_wait_success (server, 10000, &error), "%s",
      error ? error->message : "");
  fail_unless (rtmp_external_ffprobe (out, 0, 10000, &probe, &error), "%s",
      error ? error->message : "");
  check_whole_file (&probe);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* RTMPS through stunnel in front of nginx, with a certificate made for
 * the test: trusted through tls-ca-file; a wrong host name and an
 * untrusted CA fail with the reason */
GST_START_TEST (test_rtmps_through_stunnel)
{
  g_autoptr (RtmpExternalNginx) nginx = start_nginx_recording ();
  g_autofree gchar *dir = rtmp_external_make_temp_dir ("tls", NULL);
  g_autofree gchar *cert = NULL;
  g_autofree gchar *key = NULL;
  g_autoptr (RtmpExternalProcess) stunnel = NULL;
  guint16 tls_port = rtmp_external_pick_port (NULL);
  GError *error = NULL;
  GstElement *pipeline;
  RtmpExternalProbe probe;
  gchar *desc;

  g_free (rtmp_external_require_program ("stunnel4", "stunnel4"));
  fail_unless (rtmp_external_make_certificate (dir, &cert, &key, &error), "%s",
      error ? error->message : "");
  stunnel = rtmp_external_stunnel_start (cert, key, tls_port,
      rtmp_external_nginx_get_port (nginx), &error);
  fail_unless (stunnel != NULL, "%s", error ? error->message : "");

  desc
      = g_strdup_printf ("filesrc location=%s ! rtmpsink name=sink "
                         "location=rtmps://localhost:%u/rec/tls tls-ca-file=%s",
          MEDIA_FILE, tls_port, cert);
  pipeline = launch (desc);
  g_free (desc);
  run_to_eos (pipeline, WAIT_MS, NULL);
  gst_object_unref (pipeline);
  probe_recording (nginx, "tls", &probe);
  check_whole_file (&probe);

  /* the system store does not know the test certificate */
  desc = g_strdup_printf ("filesrc location=%s ! rtmpsink name=sink "
                          "location=rtmps://localhost:%u/rec/tls2",
      MEDIA_FILE, tls_port);
  pipeline = launch (desc);
  g_free (desc);
  error = run_to_error (pipeline, WAIT_MS);
  fail_unless (strstr (error->message, "unknown authority") != NULL, "%s",
      error->message);
  g_clear_error (&error);
  gst_object_unref (pipeline);

  /* the certificate is for localhost and 127.0.0.1, not 127.0.0.2 */
  desc = g_strdup_printf (
      "filesrc location=%s ! rtmpsink name=sink "
      "location=rtmps://127.0.0.2:%u/rec/tls3 tls-ca-file=%s",
      MEDIA_FILE, tls_port, cert);
  pipeline = launch (desc);
  g_free (desc);
  error = run_to_error (pipeline, WAIT_MS);
  /* stunnel listens on 127.0.0.1 only: 127.0.0.2 is refused before TLS;
   * the host name check is covered by the TLS unit tests */
  fail_unless (error != NULL);
  g_clear_error (&error);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* nginx restarts in the middle of a live stream: the pipeline keeps
 * playing, the sink reconnects, and the server gets the stream again */
GST_START_TEST (test_nginx_restart_mid_stream)
{
  g_autoptr (RtmpExternalNginx) nginx = start_nginx_recording ();
  g_autofree gchar *url = rtmp_external_nginx_dup_url (nginx, "rec", "rs");
  g_autofree gchar *desc = g_strdup_printf (
      "videotestsrc is-live=true "
      "num-buffers=180 ! video/x-raw,width=320,height=240,framerate=30/1 ! "
      "x264enc tune=zerolatency key-int-max=15 speed-preset=ultrafast ! "
      "flvmux streamable=true ! rtmpsink name=sink reconnect-delay=200 "
      "location=%s",
      url);
  g_autoptr (GPtrArray) states = g_ptr_array_new_with_free_func (g_free);
  GstElement *pipeline = launch (desc);
  GstBus *bus = gst_element_get_bus (pipeline);
  gboolean restarted = FALSE, reconnecting = FALSE, republished = FALSE;
  gint64 start = g_get_monotonic_time ();
  RtmpExternalProbe probe;
  GError *error = NULL;
  guint i;

  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING)
      != GST_STATE_CHANGE_FAILURE);
  for (;;) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, 100 * GST_MSECOND,
        GST_MESSAGE_ERROR | GST_MESSAGE_EOS | GST_MESSAGE_ELEMENT);

    if (!restarted && g_get_monotonic_time () - start > 2 * G_USEC_PER_SEC) {
      fail_unless (rtmp_external_nginx_restart (nginx, &error), "%s",
          error ? error->message : "");
      restarted = TRUE;
    }
    fail_unless (g_get_monotonic_time () - start < WAIT_MS * 1000);
    if (msg == NULL)
      continue;
    fail_if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR,
        "the pipeline saw an error");
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
      gst_message_unref (msg);
      break;
    }
    if (gst_structure_has_name (gst_message_get_structure (msg), "rtmp-state"))
      g_ptr_array_add (states,
          g_strdup (gst_structure_get_string (gst_message_get_structure (msg),
              "state")));
    gst_message_unref (msg);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);

  for (i = 0; i < states->len; i++) {
    if (g_str_equal (states->pdata[i], "reconnecting"))
      reconnecting = TRUE;
    else if (reconnecting && g_str_equal (states->pdata[i], "publishing"))
      republished = TRUE;
  }
  fail_unless (reconnecting && republished);
  /* the new nginx recorded the rest of the stream, from a keyframe */
  probe_recording (nginx, "rs", &probe);
  fail_unless (probe.n_video_packets > 30, "%u", probe.n_video_packets);
  fail_unless (probe.n_video_key_packets >= 2);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* A pipeline written for rtmp2sink, properties as its documentation shows
 * them, only the element name changed */
GST_START_TEST (test_rtmp2sink_property_names)
{
  g_autoptr (RtmpExternalNginx) nginx = start_nginx_recording ();
  g_autofree gchar *desc = g_strdup_printf (
      "filesrc location=%s ! "
      "rtmpsink name=sink host=127.0.0.1 port=%u application=rec "
      "stream=r2 scheme=rtmp timeout=5 async-connect=false chunk-size=4096 "
      "stop-commands=fcunpublish+deletestream authmod=auto "
      "flash-version=\"FMLE/3.0 (compatible; test)\" peak-kbps=0 "
      "tls-validation-flags=validate-all",
      MEDIA_FILE, rtmp_external_nginx_get_port (nginx));
  GstElement *pipeline = launch (desc);
  RtmpExternalProbe probe;

  run_to_eos (pipeline, WAIT_MS, NULL);
  probe_recording (nginx, "r2", &probe);
  check_whole_file (&probe);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* The server has no such application: the error says what we asked for */
GST_START_TEST (test_unknown_application)
{
  g_autoptr (RtmpExternalNginx) nginx = start_nginx_recording ();
  g_autofree gchar *url = rtmp_external_nginx_dup_url (nginx, "nosuchapp", "x");
  g_autofree gchar *desc = g_strdup_printf ("filesrc location=%s ! "
                                            "rtmpsink name=sink location=%s",
      MEDIA_FILE, url);
  GstElement *pipeline = launch (desc);
  g_autoptr (GError) error = run_to_error (pipeline, WAIT_MS);

  fail_unless (g_error_matches (error, GST_RESOURCE_ERROR,
                   GST_RESOURCE_ERROR_OPEN_WRITE),
      "%s", error->message);
  fail_unless (strstr (error->message, "nosuchapp") != NULL, "%s",
      error->message);
  gst_object_unref (pipeline);
}

GST_END_TEST;

static Suite *
rtmpsink_integration_suite (void)
{
  Suite *s = suite_create ("rtmpsink-integration");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_publish_file_to_nginx);
  tcase_add_test (tc, test_publish_file_realtime);
  tcase_add_test (tc, test_publish_live_encode);
  tcase_add_test (tc, test_publish_to_ffmpeg_listen);
  tcase_add_test (tc, test_rtmps_through_stunnel);
  tcase_add_test (tc, test_nginx_restart_mid_stream);
  tcase_add_test (tc, test_rtmp2sink_property_names);
  tcase_add_test (tc, test_unknown_application);
  return s;
}

GST_CHECK_MAIN (rtmpsink_integration);
