/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtmpsrc against real servers started by each test on 127.0.0.1: live
 * streams from nginx-rtmp while ffmpeg, rtmp2sink and our rtmpsink
 * publish, ffmpeg -listen serving a file, decodebin3 and playbin, recorded
 * streams from nginx's play directive (duration, seek, pause), RTMPS
 * through stunnel, and rtmp2src's property names. */

#include <gst/check/gstcheck.h>
#include "rtmpexternal.h"
#include "rtmptestutil.h"

#define MEDIA_DIR RTMP_TEST_FILES_DIR "/media"
#define MEDIA_FILE MEDIA_DIR "/testsrc-x264-aac.flv"
/* what the file holds (tests/files/README.md, media/): 120 video frames
 * (4 keyframes), 174 AAC frames, 4.07 s */
#define MEDIA_VIDEO_FRAMES 120
#define MEDIA_AUDIO_FRAMES 174
#define MEDIA_SECONDS 4.0
#define WAIT_MS 30000

typedef struct
{
  GstElement *pipeline;
  GstElement *src;
  gint video, audio; /* buffers counted after the demuxer */
  GstClockTime first_video_pts, last_video_pts;
  gboolean video_pts_monotonic;
  GstClockTime last_pts_seen;
} Player;

static GstPadProbeReturn
count_video (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Player *p = user_data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  GstClockTime pts = GST_BUFFER_PTS (buffer);

  if (GST_CLOCK_TIME_IS_VALID (pts)) {
    if (!GST_CLOCK_TIME_IS_VALID (p->first_video_pts))
      p->first_video_pts = pts;
    p->last_video_pts = pts;
  }
  g_atomic_int_inc (&p->video);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
count_audio (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Player *p = user_data;

  g_atomic_int_inc (&p->audio);
  return GST_PAD_PROBE_OK;
}

static void
probe_sink (GstElement *pipeline, const gchar *name, GstPadProbeCallback cb,
    Player *p)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (pipeline), name);
  GstPad *pad;

  fail_unless (e != NULL, "no element %s", name);
  pad = gst_element_get_static_pad (e, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, cb, p, NULL);
  gst_object_unref (pad);
  gst_object_unref (e);
}

/* rtmpsrc ! flvdemux, counting the demuxed frames */
static Player *
player_new (const gchar *location, const gchar *props)
{
  Player *p = g_new0 (Player, 1);
  g_autofree gchar *desc = g_strdup_printf (
      "rtmpsrc name=src location=%s "
      "%s ! flvdemux name=d d.video ! queue ! fakesink name=v sync=false "
      "d.audio ! queue ! fakesink name=a sync=false",
      location, props ? props : "");
  GError *error = NULL;

  rtmp_test_assert_plugin_is_ours ();
  p->first_video_pts = p->last_video_pts = GST_CLOCK_TIME_NONE;
  p->pipeline = gst_parse_launch (desc, &error);
  fail_unless (p->pipeline != NULL, "%s", error ? error->message : "");
  p->src = gst_bin_get_by_name (GST_BIN (p->pipeline), "src");
  fail_unless (rtmp_test_element_is_ours (p->src));
  probe_sink (p->pipeline, "v", count_video, p);
  probe_sink (p->pipeline, "a", count_audio, p);
  return p;
}

static void
player_free (Player *p)
{
  gst_element_set_state (p->pipeline, GST_STATE_NULL);
  gst_object_unref (p->src);
  gst_object_unref (p->pipeline);
  g_free (p);
}

/* Runs @pipeline until EOS (TRUE) or an error (@error set) */
static gboolean
run_to_end (GstElement *pipeline, guint timeout_ms, GError **error)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;
  gboolean eos;

  msg = gst_bus_timed_pop_filtered (bus, timeout_ms * GST_MSECOND,
      GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
  gst_object_unref (bus);
  fail_unless (msg != NULL, "no EOS or error within %u ms", timeout_ms);
  eos = GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS;
  if (!eos)
    gst_message_parse_error (msg, error, NULL);
  gst_message_unref (msg);
  return eos;
}

static void
expect_eos (GstElement *pipeline, guint timeout_ms)
{
  g_autoptr (GError) error = NULL;

  fail_unless (run_to_end (pipeline, timeout_ms, &error), "error: %s",
      error ? error->message : "");
}

static void
play (Player *p)
{
  fail_unless (gst_element_set_state (p->pipeline, GST_STATE_PLAYING)
      != GST_STATE_CHANGE_FAILURE);
}

static void
check_whole_stream (Player *p)
{
  fail_unless_equals_int (g_atomic_int_get (&p->video), MEDIA_VIDEO_FRAMES);
  fail_unless_equals_int (g_atomic_int_get (&p->audio), MEDIA_AUDIO_FRAMES);
  /* live: the first frame is at 0 */
  fail_unless (p->first_video_pts < 100 * GST_MSECOND,
      "first pts %" GST_TIME_FORMAT, GST_TIME_ARGS (p->first_video_pts));
  fail_unless (p->last_video_pts - p->first_video_pts
      > (MEDIA_SECONDS - 0.2) * GST_SECOND);
}

static RtmpExternalNginx *
start_nginx_vod (const gchar *vod_dir)
{
  RtmpExternalNginxConfig config;
  GError *error = NULL;
  RtmpExternalNginx *nginx;

  g_free (rtmp_external_require_program ("nginx", "nginx"));
  rtmp_external_nginx_config_init (&config);
  config.vod_dir = vod_dir;
  nginx = rtmp_external_nginx_start (&config, &error);
  fail_unless (nginx != NULL, "%s", error ? error->message : "");
  return nginx;
}

static RtmpExternalNginx *
start_nginx (void)
{
  return start_nginx_vod (MEDIA_DIR);
}

/* A directory with the media file as nginx can seek in it: an FLV with a
 * keyframe index in its onMetaData, and an MP4 (nginx-rtmp seeks only with
 * an index) */
static gchar *
make_vod_dir (void)
{
  g_autofree gchar *ffmpeg = rtmp_external_require_program ("ffmpeg", "ffmpeg");
  gchar *dir = rtmp_external_make_temp_dir ("vod", NULL);
  g_autofree gchar *flv = g_build_filename (dir, "indexed.flv", NULL);
  g_autofree gchar *mp4 = g_build_filename (dir, "clip.mp4", NULL);
  const gchar *to_flv[] = { ffmpeg, "-nostdin", "-v", "error", "-i", MEDIA_FILE,
    "-c", "copy", "-flvflags", "add_keyframe_index", flv, NULL };
  const gchar *to_mp4[] = { ffmpeg, "-nostdin", "-v", "error", "-i", MEDIA_FILE,
    "-c", "copy", "-movflags", "+faststart", mp4, NULL };
  GError *error = NULL;

  fail_unless (rtmp_external_run (to_flv, 20000, NULL, NULL, &error), "%s",
      error ? error->message : "");
  fail_unless (rtmp_external_run (to_mp4, 20000, NULL, NULL, &error), "%s",
      error ? error->message : "");
  return dir;
}

/* Waits until nginx has a player on @stream: its log says play */
static void
wait_for_player (RtmpExternalNginx *nginx, const gchar *stream)
{
  g_autofree gchar *needle = g_strdup_printf ("play: name='%s'", stream);
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < end) {
    g_autofree gchar *log = rtmp_external_nginx_dup_error_log (nginx);

    if (log && strstr (log, needle))
      return;
    g_usleep (20 * 1000);
  }
  fail ("nginx never saw the player of %s", stream);
}

static void
publish_with_ffmpeg (const gchar *url)
{
  g_autofree gchar *ffmpeg = rtmp_external_require_program ("ffmpeg", "ffmpeg");
  const gchar *argv[] = { ffmpeg, "-nostdin", "-v", "error", "-re", "-i",
    MEDIA_FILE, "-c", "copy", "-f", "flv", url, NULL };
  GError *error = NULL;

  fail_unless (rtmp_external_run (argv, 20000, NULL, NULL, &error), "%s",
      error ? error->message : "");
}

static void
publish_with_gst (const gchar *sink, const gchar *url)
{
  g_autofree gchar *desc = g_strdup_printf (
      "filesrc location=%s ! "
      "flvdemux name=d flvmux name=m streamable=true ! %s location=%s "
      "d.video ! queue ! h264parse ! m. d.audio ! queue ! aacparse ! m.",
      MEDIA_FILE, sink, url);
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &error);

  fail_unless (pipeline != NULL, "%s", error ? error->message : "");
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  expect_eos (pipeline, WAIT_MS);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
}

/* Live play from nginx; the publisher starts after the player */
static void
check_live_from_nginx (const gchar *publisher)
{
  g_autoptr (RtmpExternalNginx) nginx = start_nginx ();
  g_autofree gchar *url
      = rtmp_external_nginx_dup_url (nginx, "live", publisher);
  Player *p = player_new (url, NULL);

  play (p);
  wait_for_player (nginx, publisher);
  if (g_str_equal (publisher, "ffmpeg"))
    publish_with_ffmpeg (url);
  else
    publish_with_gst (publisher, url);
  /* the publisher left: UnpublishNotify and Stream EOF end the play */
  expect_eos (p->pipeline, WAIT_MS);
  check_whole_stream (p);
  player_free (p);
}

GST_START_TEST (test_live_from_nginx_ffmpeg_publishing)
{
  check_live_from_nginx ("ffmpeg");
}

GST_END_TEST;

GST_START_TEST (test_live_from_nginx_rtmp2sink_publishing)
{
  check_live_from_nginx ("rtmp2sink");
}

GST_END_TEST;

GST_START_TEST (test_live_from_nginx_rtmpsink_publishing)
{
  check_live_from_nginx ("rtmpsink");
}

GST_END_TEST;

/* ffmpeg as the serving peer: -listen 1 with a file, paced */
GST_START_TEST (test_play_from_ffmpeg_listen)
{
  g_autofree gchar *ffmpeg = rtmp_external_require_program ("ffmpeg", "ffmpeg");
  guint16 port = rtmp_external_pick_port (NULL);
  g_autofree gchar *url = g_strdup_printf ("rtmp://127.0.0.1:%u/live/x", port);
  const gchar *argv[] = { ffmpeg, "-nostdin", "-v", "error", "-re", "-i",
    MEDIA_FILE, "-c", "copy", "-f", "flv", "-listen", "1", url, NULL };
  g_autoptr (RtmpExternalProcess) server = NULL;
  GError *error = NULL;
  Player *p;
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  g_autofree gchar *needle
      = g_strdup_printf ("0100007F:%04X 00000000:0000 0A", port);

  server = rtmp_external_process_start (argv, &error);
  fail_unless (server != NULL, "%s", error ? error->message : "");
  /* listening, without taking ffmpeg's one connection to find out */
  for (;;) {
    g_autofree gchar *table = NULL;

    fail_unless (g_get_monotonic_time () < end, "ffmpeg does not listen");
    if (g_file_get_contents ("/proc/net/tcp", &table, NULL, NULL)
        && strstr (table, needle))
      break;
    g_usleep (20 * 1000);
  }
  /* ffmpeg ends by closing the connection, with no status: rtmp2src's
   * end-of-stream behaviour is what this needs */
  p = player_new (url, "no-eof-is-error=false");
  play (p);
  expect_eos (p->pipeline, WAIT_MS);
  fail_unless (g_atomic_int_get (&p->video) >= MEDIA_VIDEO_FRAMES - 2,
      "%d video frames", p->video);
  fail_unless (g_atomic_int_get (&p->audio) >= MEDIA_AUDIO_FRAMES - 2,
      "%d audio frames", p->audio);
  player_free (p);
}

GST_END_TEST;

static GstPadProbeReturn
count_any (GstPad *pad, GstPadProbeInfo *info, gpointer counter)
{
  g_atomic_int_inc ((gint *) counter);
  return GST_PAD_PROBE_OK;
}

/* decodebin3 decodes what rtmpsrc produces */
GST_START_TEST (test_decodebin3)
{
  g_autoptr (RtmpExternalNginx) nginx = start_nginx ();
  g_autofree gchar *url
      = rtmp_external_nginx_dup_url (nginx, "vod", "testsrc-x264-aac.flv");
  g_autofree gchar *desc = g_strdup_printf (
      "rtmpsrc name=src location=%s "
      "! decodebin3 ! videoconvert ! fakesink name=v sync=false",
      url);
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &error);
  GstElement *v;
  GstPad *pad;
  gint decoded = 0;

  fail_unless (pipeline != NULL, "%s", error ? error->message : "");
  v = gst_bin_get_by_name (GST_BIN (pipeline), "v");
  pad = gst_element_get_static_pad (v, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_any, &decoded, NULL);
  gst_object_unref (pad);
  gst_object_unref (v);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  expect_eos (pipeline, WAIT_MS);
  fail_unless_equals_int (decoded, MEDIA_VIDEO_FRAMES);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
}

GST_END_TEST;

static void
source_setup (GstElement *playbin, GstElement *source, gpointer user_data)
{
  *(gboolean *) user_data = rtmp_test_element_is_ours (source);
}

/* playbin with an rtmp:// URI picks our source and plays to EOS */
static void
check_playbin (const gchar *app, const gchar *stream)
{
  g_autoptr (RtmpExternalNginx) nginx = start_nginx ();
  g_autofree gchar *url = rtmp_external_nginx_dup_url (nginx, app, stream);
  GstElement *playbin = gst_element_factory_make ("playbin", NULL);
  gboolean ours = FALSE;

  rtmp_test_assert_plugin_is_ours ();
  fail_unless (playbin != NULL);
  g_object_set (playbin, "uri", url, "video-sink",
      gst_element_factory_make ("fakesink", NULL), "audio-sink",
      gst_element_factory_make ("fakesink", NULL), NULL);
  g_signal_connect (playbin, "source-setup", G_CALLBACK (source_setup), &ours);
  gst_element_set_state (playbin, GST_STATE_PLAYING);
  expect_eos (playbin, WAIT_MS);
  fail_unless (ours, "playbin did not use our rtmpsrc");
  gst_element_set_state (playbin, GST_STATE_NULL);
  gst_object_unref (playbin);
}

GST_START_TEST (test_playbin_recorded)
{
  check_playbin ("vod", "testsrc-x264-aac.flv");
}

GST_END_TEST;

/* Recorded streams: duration, a seek to the middle, pause and resume, EOS
 * at the end */
static void
check_vod (const gchar *file)
{
  g_autofree gchar *vod_dir = make_vod_dir ();
  g_autoptr (RtmpExternalNginx) nginx = start_nginx_vod (vod_dir);
  g_autofree gchar *url = rtmp_external_nginx_dup_url (nginx, "vod", file);
  Player *p = player_new (url, "play-type=recorded");
  GstStateChangeReturn ret;
  gint64 duration = -1;
  gint video_before;

  ret = gst_element_set_state (p->pipeline, GST_STATE_PAUSED);
  fail_unless (ret != GST_STATE_CHANGE_FAILURE);
  fail_unless_equals_int (
      gst_element_get_state (p->pipeline, NULL, NULL, 10 * GST_SECOND),
      GST_STATE_CHANGE_SUCCESS);
  /* not live: it prerolled */
  fail_unless (gst_element_query_duration (p->src, GST_FORMAT_TIME, &duration));
  fail_unless (duration > 3.8 * GST_SECOND && duration < 4.3 * GST_SECOND,
      "duration %" GST_TIME_FORMAT, GST_TIME_ARGS (duration));

  /* to the middle: what prerolls after the flush is from there */
  video_before = g_atomic_int_get (&p->video);
  p->first_video_pts = GST_CLOCK_TIME_NONE;
  fail_unless (gst_element_seek_simple (p->pipeline, GST_FORMAT_TIME,
      GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_KEY_UNIT, 2 * GST_SECOND));
  fail_unless_equals_int (
      gst_element_get_state (p->pipeline, NULL, NULL, 10 * GST_SECOND),
      GST_STATE_CHANGE_SUCCESS);

  play (p);
  /* pause and resume on the way */
  gst_element_set_state (p->pipeline, GST_STATE_PAUSED);
  fail_unless_equals_int (
      gst_element_get_state (p->pipeline, NULL, NULL, 10 * GST_SECOND),
      GST_STATE_CHANGE_SUCCESS);
  play (p);
  expect_eos (p->pipeline, WAIT_MS);
  /* the second half, from a keyframe near 2 s: nginx-rtmp's FLV seek
   * (keyframe index) lands on the keyframe after the next one (3.067 s
   * for 2 s, keyframes every second from 0.067), its MP4 seek on 2.067 */
  fail_unless (GST_CLOCK_TIME_IS_VALID (p->first_video_pts));
  fail_unless (p->first_video_pts >= 1 * GST_SECOND
          && p->first_video_pts <= 3.1 * GST_SECOND,
      "first pts after the seek %" GST_TIME_FORMAT,
      GST_TIME_ARGS (p->first_video_pts));
  fail_unless (g_atomic_int_get (&p->video) - video_before < MEDIA_VIDEO_FRAMES,
      "the whole stream came again after the seek");
  fail_unless (p->last_video_pts > 3.8 * GST_SECOND);
  player_free (p);
}

GST_START_TEST (test_vod_flv)
{
  check_vod ("indexed.flv");
}

GST_END_TEST;

GST_START_TEST (test_vod_mp4)
{
  check_vod ("mp4:clip.mp4");
}

GST_END_TEST;

/* TLS through stunnel in front of nginx; an untrusted certificate fails */
GST_START_TEST (test_rtmps_through_stunnel)
{
  g_autoptr (RtmpExternalNginx) nginx = start_nginx ();
  g_autofree gchar *dir = rtmp_external_make_temp_dir ("tls", NULL);
  g_autofree gchar *cert = NULL;
  g_autofree gchar *key = NULL;
  g_autoptr (RtmpExternalProcess) stunnel = NULL;
  guint16 tls_port = rtmp_external_pick_port (NULL);
  g_autofree gchar *location = NULL;
  g_autofree gchar *props = NULL;
  GError *error = NULL;
  Player *p;

  g_free (rtmp_external_require_program ("stunnel4", "stunnel4"));
  fail_unless (rtmp_external_make_certificate (dir, &cert, &key, &error), "%s",
      error ? error->message : "");
  stunnel = rtmp_external_stunnel_start (cert, key, tls_port,
      rtmp_external_nginx_get_port (nginx), &error);
  fail_unless (stunnel != NULL, "%s", error ? error->message : "");

  location = g_strdup_printf ("rtmps://localhost:%u/vod/testsrc-x264-aac.flv",
      tls_port);
  props = g_strdup_printf ("tls-ca-file=%s", cert);
  p = player_new (location, props);
  play (p);
  expect_eos (p->pipeline, WAIT_MS);
  fail_unless_equals_int (g_atomic_int_get (&p->video), MEDIA_VIDEO_FRAMES);
  player_free (p);

  /* the system store does not know the test certificate (the state
   * change may fail: the source decides live or recorded while going to
   * PAUSED) */
  p = player_new (location, NULL);
  gst_element_set_state (p->pipeline, GST_STATE_PLAYING);
  fail_if (run_to_end (p->pipeline, WAIT_MS, &error));
  fail_unless (strstr (error->message, "unknown authority") != NULL, "%s",
      error->message);
  g_clear_error (&error);
  player_free (p);
}

GST_END_TEST;

/* A pipeline written for rtmp2src, properties as its documentation shows
 * them, only the element name changed */
GST_START_TEST (test_rtmp2src_property_names)
{
  g_autoptr (RtmpExternalNginx) nginx = start_nginx ();
  g_autofree gchar *props = g_strdup_printf (
      "host=127.0.0.1 port=%u "
      "application=vod stream=testsrc-x264-aac.flv scheme=rtmp timeout=5 "
      "async-connect=true idle-timeout=0 no-eof-is-error=false "
      "authmod=auto tls-validation-flags=validate-all",
      rtmp_external_nginx_get_port (nginx));
  Player *p;

  /* location first: the parts then override it, as in rtmp2src */
  p = player_new ("rtmp://localhost/live/myStream", props);
  play (p);
  expect_eos (p->pipeline, WAIT_MS);
  fail_unless_equals_int (g_atomic_int_get (&p->video), MEDIA_VIDEO_FRAMES);
  player_free (p);
}

GST_END_TEST;

/* The stream does not exist: a NOT_FOUND error naming it */
GST_START_TEST (test_stream_not_found)
{
  g_autoptr (RtmpExternalNginx) nginx = start_nginx ();
  g_autofree gchar *url
      = rtmp_external_nginx_dup_url (nginx, "vod", "missing.flv");
  Player *p = player_new (url, NULL);
  g_autoptr (GError) error = NULL;

  gst_element_set_state (p->pipeline, GST_STATE_PLAYING);
  fail_if (run_to_end (p->pipeline, WAIT_MS, &error));
  fail_unless (
      g_error_matches (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND),
      "%s", error->message);
  fail_unless (strstr (error->message, "missing.flv") != NULL, "%s",
      error->message);
  player_free (p);
}

GST_END_TEST;

static Suite *
rtmpsrc_integration_suite (void)
{
  Suite *s = suite_create ("rtmpsrc-integration");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_live_from_nginx_ffmpeg_publishing);
  tcase_add_test (tc, test_live_from_nginx_rtmp2sink_publishing);
  tcase_add_test (tc, test_live_from_nginx_rtmpsink_publishing);
  tcase_add_test (tc, test_play_from_ffmpeg_listen);
  tcase_add_test (tc, test_decodebin3);
  tcase_add_test (tc, test_playbin_recorded);
  tcase_add_test (tc, test_vod_flv);
  tcase_add_test (tc, test_vod_mp4);
  tcase_add_test (tc, test_rtmps_through_stunnel);
  tcase_add_test (tc, test_rtmp2src_property_names);
  tcase_add_test (tc, test_stream_not_found);
  return s;
}

GST_CHECK_MAIN (rtmpsrc_integration);
