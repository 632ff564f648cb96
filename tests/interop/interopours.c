/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The interop test's cases beyond the matrix: our elements with each other
 * through our server mode (Adobe authentication, refusals, a relay killed
 * and restarted mid-stream) and the tshark check of the bytes our elements
 * send and receive. */

#include "interop.h"

#include <signal.h>
#include <string.h>

#include "rtmptestutil.h"

/* The rows of the "ours" and "protocol" sections of the report, in order */
const InteropNamedCase interop_named_cases[] = {
  { INTEROP_SECTION_OURS, "ours-auth-adobe",
      "rtmpsink and rtmpsrc authenticate to our server mode (Adobe "
      "challenge/response, credentials in the URL)" },
  { INTEROP_SECTION_OURS, "ours-auth-refused",
      "a wrong password: our server refuses, rtmpsink and rtmpsrc fail "
      "with NOT_AUTHORIZED" },
  { INTEROP_SECTION_OURS, "ours-auth-ffmpeg",
      "FFmpeg publishes with Adobe authentication to our server mode, "
      "rtmpsrc plays with its own credentials" },
  { INTEROP_SECTION_OURS, "ours-auth-rtmp2",
      "rtmp2sink publishes and rtmp2src plays, both with Adobe "
      "authentication (username and password properties) to our server "
      "mode" },
  { INTEROP_SECTION_OURS, "ours-relay-two-chains",
      "two relay chains in one gst-launch-1.0 pipeline with the sinks' "
      "default async=true: the chain whose publisher comes plays while the "
      "other waits for its own" },
  { INTEROP_SECTION_OURS, "ours-reconnect",
      "the relay is killed (SIGKILL) and restarted mid-stream: rtmpsink "
      "and rtmpsrc reconnect and media flows again" },
  { INTEROP_SECTION_OURS, "ours-reconnect-nginx",
      "nginx-rtmp is stopped and started again mid-stream: rtmpsink and "
      "rtmpsrc reconnect and media flows again" },
  { INTEROP_SECTION_PROTOCOL, "protocol-publish",
      "tshark decodes rtmpsink publishing to nginx-rtmp: no malformed "
      "packet, no expert warning" },
  { INTEROP_SECTION_PROTOCOL, "protocol-play",
      "tshark decodes rtmpsrc playing from nginx-rtmp: no malformed "
      "packet, no expert warning" },
  { INTEROP_SECTION_PROTOCOL, "protocol-server",
      "tshark decodes our server mode (the relay) taking FFmpeg's publish "
      "and serving FFmpeg's play: no malformed packet, no expert warning" },
};

const guint interop_n_named_cases = G_N_ELEMENTS (interop_named_cases);

/* --- our elements with our elements --- */

/* The player plays @play->url (connecting to @port) into @play->file; once
 * it is connected the publisher publishes; then the player finishes and its
 * file is compared with the source. Fails @key on any problem. */
static void
play_while_publishing (const gchar *key, InteropPlayer player_kind,
    const InteropEndpoint *play, InteropPublisher publisher_kind,
    const InteropEndpoint *publish, guint16 port)
{
  g_autoptr (RtmpExternalProcess) player = NULL;
  g_autoptr (RtmpExternalProcess) publisher = NULL;
  g_autoptr (InteropStream) received = NULL;
  g_autofree gchar *summary = NULL;
  InteropCompareOptions options;
  GError *error = NULL;
  guint before = interop_count_established (port);
  gboolean ended_by_itself;
  gint status;

  player = interop_player_start (player_kind, play, &error);
  interop_fail_unless (key, player != NULL, "%s", error->message);
  if (!interop_wait_for_player (port, before, player)) {
    g_autofree gchar *description = rtmp_external_process_describe (player);

    interop_fail (key, "the player did not connect: %s", description);
  }
  publisher = interop_publisher_start (publisher_kind, publish, &error);
  interop_fail_unless (key, publisher != NULL, "%s", error->message);
  if (!rtmp_external_process_wait_success (publisher, INTEROP_PUBLISH_MS,
          &error))
    interop_fail (key, "the publisher failed: %s", error->message);
  interop_finish_player (player_kind, player, &ended_by_itself, &status);

  received = interop_stream_load (play->file, &error);
  if (received == NULL) {
    g_autofree gchar *description = rtmp_external_process_describe (player);

    interop_fail (key, "%s; %s", error->message, description);
  }
  interop_compare_options_init (&options);
  /* as in the matrix: ours must deliver every frame, others may lose the
   * last ones in flight at the end */
  if (!interop_player_is_ours (player_kind))
    options.max_missing_end = 2;
  if (!interop_stream_compare (publisher_kind == INTEROP_PUBLISHER_RTMP2SINK
              ? interop_remuxed_stream
              : interop_source_stream,
          received, &options, &summary, &error)) {
    g_autofree gchar *description = rtmp_external_process_describe (player);

    interop_fail (key, "%s (received: %s) %s", error->message, summary,
        description);
  }
  if (interop_player_is_ours (player_kind) && status != 0) {
    g_autofree gchar *description = rtmp_external_process_describe (player);

    interop_fail (key, "rtmpsrc did not end cleanly: %s", description);
  }
  interop_record_pass (key, summary, TRUE, ended_by_itself, status);
}

#define AUTH_USER "interop"
#define AUTH_PASSWORD "s3cret"
#define AUTH_EXTRA "username=" AUTH_USER " password=" AUTH_PASSWORD

/* A relay of its own for a test of the "ours" case, on a new port. With
 * @keep_running, a second chain that nobody publishes to keeps the process
 * running after the stream (gst-launch-1.0 exits once every chain ended,
 * and a publisher whose server is gone before its FCUnpublish was answered
 * may call that an error); its sinks then need async=false (see
 * test_ours_relay_two_chains). Without, the relay is the plain one-chain
 * pipeline. */
static RtmpExternalProcess *
start_own_relay (const gchar *key, const gchar *stream, const gchar *extra,
    gboolean keep_running, guint16 *port)
{
  const gchar *keys[] = { stream, keep_running ? "keepalive" : NULL, NULL };
  RtmpExternalProcess *relay;
  GError *error = NULL;

  *port = rtmp_external_pick_port (&error);
  interop_fail_unless (key, *port != 0, "%s", error->message);
  relay = interop_relay_start (*port, keys, NULL, NULL, extra,
      keep_running ? "async=false" : NULL, &error);
  interop_fail_unless (key, relay != NULL, "our relay did not start: %s",
      error->message);
  return relay;
}

static gchar *
temp_file (const gchar *key, const gchar *name)
{
  GError *error = NULL;
  g_autofree gchar *dir = rtmp_external_make_temp_dir (key, &error);

  interop_fail_unless (key, dir != NULL, "%s", error->message);
  return g_build_filename (dir, name, NULL);
}

/* @publisher publishes to and @player plays from our relay with Adobe
 * authentication: credentials in the URL, or (@in_url FALSE) rtmp2's
 * username and password properties */
static void
check_auth (const gchar *key, InteropPublisher publisher, InteropPlayer player,
    gboolean in_url)
{
  g_autoptr (RtmpExternalProcess) relay = NULL;
  g_autofree gchar *out = NULL;
  g_autofree gchar *url = NULL;
  InteropEndpoint play = { 0 }, publish = { 0 };
  guint16 port;

  interop_fail_unless (key, interop_setup_error == NULL, "%s",
      interop_setup_error);
  if (publisher == INTEROP_PUBLISHER_RTMPSINK)
    interop_require_ours (key, "rtmpsink");
  if (player == INTEROP_PLAYER_RTMPSRC)
    interop_require_ours (key, "rtmpsrc");
  relay = start_own_relay (key, "auth", AUTH_EXTRA, TRUE, &port);
  out = temp_file (key, "received.flv");
  url = in_url
      ? g_strdup_printf (
          "rtmp://" AUTH_USER ":" AUTH_PASSWORD "@127.0.0.1:%u/live/auth", port)
      : g_strdup_printf ("rtmp://127.0.0.1:%u/live/auth", port);
  play.url = publish.url = url;
  if (!in_url)
    play.extra = publish.extra = AUTH_EXTRA;
  play.file = out;
  publish.file = interop_source_path;
  play_while_publishing (key, player, &play, publisher, &publish, port);
}

GST_START_TEST (test_ours_auth_adobe)
{
  check_auth ("ours-auth-adobe", INTEROP_PUBLISHER_RTMPSINK,
      INTEROP_PLAYER_RTMPSRC, TRUE);
}

GST_END_TEST;

GST_START_TEST (test_ours_auth_ffmpeg)
{
  check_auth ("ours-auth-ffmpeg", INTEROP_PUBLISHER_FFMPEG,
      INTEROP_PLAYER_RTMPSRC, TRUE);
}

GST_END_TEST;

GST_START_TEST (test_ours_auth_rtmp2)
{
  check_auth ("ours-auth-rtmp2", INTEROP_PUBLISHER_RTMP2SINK,
      INTEROP_PLAYER_RTMP2SRC, FALSE);
}

GST_END_TEST;

/* Two relays in one pipeline, as a user writes them (the sinks' default
 * async=true): the chain whose publisher comes must play while the other
 * still waits for its own */
GST_START_TEST (test_ours_relay_two_chains)
{
  const gchar *key = "ours-relay-two-chains";
  const gchar *keys[] = { "idle", "busy", NULL };
  g_autoptr (RtmpExternalProcess) relay = NULL;
  g_autofree gchar *out = NULL;
  g_autofree gchar *url = NULL;
  InteropEndpoint play = { 0 }, publish = { 0 };
  GError *error = NULL;
  guint16 port;

  interop_fail_unless (key, interop_setup_error == NULL, "%s",
      interop_setup_error);
  interop_require_ours (key, "rtmpsink");
  interop_require_ours (key, "rtmpsrc");
  port = rtmp_external_pick_port (&error);
  interop_fail_unless (key, port != 0, "%s", error->message);
  relay = interop_relay_start (port, keys, NULL, NULL, NULL, NULL, &error);
  interop_fail_unless (key, relay != NULL, "our relay did not start: %s",
      error->message);
  out = temp_file (key, "received.flv");
  url = g_strdup_printf ("rtmp://127.0.0.1:%u/live/busy", port);
  play.url = publish.url = url;
  play.file = out;
  publish.file = interop_source_path;
  play_while_publishing (key, INTEROP_PLAYER_RTMPSRC, &play,
      INTEROP_PUBLISHER_RTMPSINK, &publish, port);
}

GST_END_TEST;

/* Runs @description until its first error (or EOS, a failure) */
static GError *
run_to_error (const gchar *key, const gchar *description, guint timeout_ms)
{
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch (description, &error);
  GstBus *bus;
  GstMessage *msg;

  interop_fail_unless (key, pipeline != NULL, "%s: %s", description,
      error ? error->message : "");
  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, timeout_ms * GST_MSECOND,
      GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  interop_fail_unless (key, msg != NULL, "no error within %u ms: %s",
      timeout_ms, description);
  interop_fail_unless (key, GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR,
      "EOS instead of an error: %s", description);
  gst_message_parse_error (msg, &error, NULL);
  gst_message_unref (msg);
  return error;
}

GST_START_TEST (test_ours_auth_refused)
{
  const gchar *key = "ours-auth-refused";
  g_autoptr (RtmpExternalProcess) relay = NULL;
  const gchar *const credentials[]
      = { AUTH_USER ":wrong@", "", "nobody:" AUTH_PASSWORD "@" };
  guint16 port;
  guint i;

  interop_fail_unless (key, interop_setup_error == NULL, "%s",
      interop_setup_error);
  interop_require_ours (key, "rtmpsink");
  interop_require_ours (key, "rtmpsrc");
  relay = start_own_relay (key, "auth", AUTH_EXTRA, TRUE, &port);
  for (i = 0; i < G_N_ELEMENTS (credentials); i++) {
    g_autofree gchar *url = g_strdup_printf ("rtmp://%s127.0.0.1:%u/live/auth",
        credentials[i], port);
    g_autofree gchar *publish = g_strdup_printf ("filesrc location=%s ! "
                                                 "rtmpsink location=%s",
        interop_source_path, url);
    g_autofree gchar *play
        = g_strdup_printf ("rtmpsrc location=%s ! fakesink", url);
    const gchar *descriptions[] = { publish, play };
    guint j;

    for (j = 0; j < G_N_ELEMENTS (descriptions); j++) {
      g_autoptr (GError) error = run_to_error (key, descriptions[j], 15000);

      interop_fail_unless (key,
          g_error_matches (error, GST_RESOURCE_ERROR,
              GST_RESOURCE_ERROR_NOT_AUTHORIZED),
          "%s: %s instead of NOT_AUTHORIZED (%s)", descriptions[j],
          error->message, g_quark_to_string (error->domain));
    }
  }
  interop_record_result (key, "pass",
      "a wrong password, no credentials and an unknown user: rtmpsink and "
      "rtmpsrc fail with NOT_AUTHORIZED");
}

GST_END_TEST;

typedef struct
{
  GMutex lock;
  guint n_buffers;
  guint n_buffers_after_restart;
  gboolean is_restarted;
} PlayCount;

static GstPadProbeReturn
count_buffer (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  PlayCount *count = user_data;

  g_mutex_lock (&count->lock);
  count->n_buffers++;
  if (count->is_restarted)
    count->n_buffers_after_restart++;
  g_mutex_unlock (&count->lock);
  return GST_PAD_PROBE_OK;
}

/* The "rtmp-state" states an element posted, in order, comma-separated */
static void
collect_states (GstBus *bus, GString *states, gboolean *is_eos, GString *errors)
{
  GstMessage *msg;

  while ((msg = gst_bus_pop_filtered (bus,
              GST_MESSAGE_ERROR | GST_MESSAGE_EOS | GST_MESSAGE_ELEMENT))) {
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      g_autoptr (GError) error = NULL;
      g_autofree gchar *debug = NULL;

      gst_message_parse_error (msg, &error, &debug);
      g_string_append_printf (errors, "%s (%s); ", error->message, debug);
    } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
      *is_eos = TRUE;
    } else if (gst_structure_has_name (gst_message_get_structure (msg),
                   "rtmp-state")) {
      const gchar *state
          = gst_structure_get_string (gst_message_get_structure (msg), "state");

      g_string_append_printf (states, "%s%s", states->len ? "," : "", state);
    }
    gst_message_unref (msg);
  }
}

/* "reconnecting" followed, later, by @state */
static gboolean
states_reconnected (const gchar *states, const gchar *state)
{
  const gchar *reconnecting = strstr (states, "reconnecting");

  return reconnecting != NULL && strstr (reconnecting, state) != NULL;
}

/* The server of a reconnect test: our relay (a process killed with
 * SIGKILL, its connections dropped without a word) or nginx-rtmp (stopped
 * as its init script would, then started again) */
typedef struct
{
  const gchar *key;
  RtmpExternalProcess *relay;
  RtmpExternalNginx *nginx;
  guint16 port;
} RestartingServer;

static void
restarting_server_start (RestartingServer *server, gboolean use_nginx)
{
  GError *error = NULL;

  if (use_nginx) {
    RtmpExternalNginxConfig config;

    rtmp_external_nginx_config_init (&config);
    server->nginx = rtmp_external_nginx_start (&config, &error);
    interop_fail_unless (server->key, server->nginx != NULL, "%s",
        error ? error->message : "");
    server->port = rtmp_external_nginx_get_port (server->nginx);
  } else {
    server->relay
        = start_own_relay (server->key, "rc", NULL, FALSE, &server->port);
  }
}

static void
restarting_server_restart (RestartingServer *server)
{
  const gchar *keys[] = { "rc", NULL };
  GError *error = NULL;

  if (server->nginx != NULL) {
    interop_fail_unless (server->key,
        rtmp_external_nginx_restart (server->nginx, &error),
        "nginx did not restart: %s", error ? error->message : "");
    return;
  }
  kill (rtmp_external_process_get_pid (server->relay), SIGKILL);
  rtmp_external_process_wait (server->relay, 5000);
  g_clear_pointer (&server->relay, rtmp_external_process_free);
  server->relay = interop_relay_start (server->port, keys, NULL, NULL, NULL,
      NULL, &error);
  interop_fail_unless (server->key, server->relay != NULL,
      "the relay did not restart: %s", error ? error->message : "");
}

static void
restarting_server_clear (RestartingServer *server)
{
  g_clear_pointer (&server->relay, rtmp_external_process_free);
  g_clear_pointer (&server->nginx, rtmp_external_nginx_free);
}

/* rtmpsink publishes live video and rtmpsrc plays it; 2.5 s in, the
 * server goes away and comes back on the same port: both must reconnect
 * (their rtmp-state messages) and media must flow again */
static void
run_reconnect (const gchar *key, gboolean use_nginx)
{
  RestartingServer server = { key, NULL, NULL, 0 };
  g_autoptr (GString) sink_states = g_string_new (NULL);
  g_autoptr (GString) src_states = g_string_new (NULL);
  g_autoptr (GString) errors = g_string_new (NULL);
  g_autofree gchar *url = NULL;
  g_autofree gchar *publish = NULL;
  g_autofree gchar *play = NULL;
  GstElement *publisher, *player, *sink;
  GstBus *publisher_bus, *player_bus;
  GstPad *pad;
  PlayCount count = { 0 };
  gboolean publisher_eos = FALSE, player_eos = FALSE;
  GError *error = NULL;
  gint64 start, end;

  interop_fail_unless (key, interop_setup_error == NULL, "%s",
      interop_setup_error);
  interop_require_ours (key, "rtmpsink");
  interop_require_ours (key, "rtmpsrc");
  restarting_server_start (&server, use_nginx);
  url = g_strdup_printf ("rtmp://127.0.0.1:%u/live/rc", server.port);
  /* 7 s of live video, a keyframe every 0.5 s */
  publish = g_strdup_printf (
      "videotestsrc is-live=true num-buffers=210 ! "
      "video/x-raw,width=320,height=240,framerate=30/1 ! "
      "x264enc tune=zerolatency key-int-max=15 speed-preset=ultrafast ! "
      "flvmux streamable=true ! rtmpsink location=%s reconnect-delay=200",
      url);
  play = g_strdup_printf ("rtmpsrc location=%s reconnect-attempts=20 "
                          "reconnect-delay=200 ! fakesink name=out",
      url);
  publisher = gst_parse_launch (publish, &error);
  interop_fail_unless (key, publisher != NULL, "%s",
      error ? error->message : "");
  player = gst_parse_launch (play, &error);
  interop_fail_unless (key, player != NULL, "%s", error ? error->message : "");
  g_mutex_init (&count.lock);
  sink = gst_bin_get_by_name (GST_BIN (player), "out");
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_buffer, &count,
      NULL);
  gst_object_unref (pad);
  gst_object_unref (sink);
  publisher_bus = gst_element_get_bus (publisher);
  player_bus = gst_element_get_bus (player);

  gst_element_set_state (player, GST_STATE_PLAYING);
  g_usleep (500 * 1000);
  gst_element_set_state (publisher, GST_STATE_PLAYING);
  start = g_get_monotonic_time ();
  end = start + 30 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < end && !(publisher_eos && player_eos)) {
    if (!count.is_restarted
        && g_get_monotonic_time () - start > 2500 * G_TIME_SPAN_MILLISECOND) {
      g_mutex_lock (&count.lock);
      count.is_restarted = TRUE;
      g_mutex_unlock (&count.lock);
      restarting_server_restart (&server);
    }
    collect_states (publisher_bus, sink_states, &publisher_eos, errors);
    collect_states (player_bus, src_states, &player_eos, errors);
    if (errors->len > 0)
      break;
    g_usleep (50 * 1000);
  }
  gst_element_set_state (publisher, GST_STATE_NULL);
  gst_element_set_state (player, GST_STATE_NULL);
  gst_object_unref (publisher_bus);
  gst_object_unref (player_bus);
  gst_object_unref (publisher);
  gst_object_unref (player);

  interop_fail_unless (key, errors->len == 0,
      "errors: %s (rtmpsink states %s, "
      "rtmpsrc states %s)",
      errors->str, sink_states->str, src_states->str);
  interop_fail_unless (key, publisher_eos,
      "rtmpsink did not finish its stream "
      "(states %s)",
      sink_states->str);
  interop_fail_unless (key, states_reconnected (sink_states->str, "publishing"),
      "rtmpsink did not publish again: states %s", sink_states->str);
  interop_fail_unless (key, states_reconnected (src_states->str, "playing"),
      "rtmpsrc did not play again: states %s", src_states->str);
  /* about 4 s of video after the restart, less the reconnection time */
  interop_fail_unless (key, count.n_buffers_after_restart > 30,
      "rtmpsrc received %u buffers after the restart (%u in all)",
      count.n_buffers_after_restart, count.n_buffers);
  {
    g_autofree gchar *detail = g_strdup_printf (
        "rtmpsink states %s; rtmpsrc states %s; rtmpsrc received %u "
        "buffers, %u after the restart%s",
        sink_states->str, src_states->str, count.n_buffers,
        count.n_buffers_after_restart,
        player_eos ? ", then EOS" : "; no EOS at the end");

    interop_record_result (key, "pass", detail);
  }
  g_mutex_clear (&count.lock);
  restarting_server_clear (&server);
}

GST_START_TEST (test_ours_reconnect)
{
  run_reconnect ("ours-reconnect", FALSE);
}

GST_END_TEST;

GST_START_TEST (test_ours_reconnect_nginx)
{
  run_reconnect ("ours-reconnect-nginx", TRUE);
}

GST_END_TEST;

/* --- protocol check --- */

static guint
count_lines (const gchar *text)
{
  guint n = 0;

  for (; *text; text++)
    n += *text == '\n';
  return n;
}

/* tshark -r @pcap decoding @port as RTMP, showing the packets @filter
 * keeps: (transfer full) its output */
static gchar *
tshark_read (const gchar *key, const gchar *pcap, guint16 port,
    const gchar *filter)
{
  g_autofree gchar *decode = g_strdup_printf ("tcp.port==%u,rtmpt", port);
  const gchar *argv[]
      = { "tshark", "-n", "-r", pcap, "-d", decode, "-Y", filter, NULL };
  gchar *out = NULL;
  g_autofree gchar *err = NULL;
  GError *error = NULL;

  if (!rtmp_external_run (argv, 60000, &out, &err, &error))
    interop_fail (key, "tshark -r failed: %s", error->message);
  return out;
}

typedef enum
{
  CHECK_RTMPSINK, /* rtmpsink publishes to nginx, FFmpeg plays */
  CHECK_RTMPSRC,  /* FFmpeg publishes to nginx, rtmpsrc plays */
  CHECK_SERVER,   /* FFmpeg publishes to our relay and FFmpeg plays */
} ProtocolCheck;

static void
run_protocol_check (const gchar *key, ProtocolCheck check)
{
  gboolean ours_publishes = check == CHECK_RTMPSINK;
  g_autoptr (RtmpExternalNginx) nginx = NULL;
  g_autoptr (RtmpExternalProcess) relay = NULL;
  g_autoptr (RtmpExternalProcess) tshark = NULL;
  g_autofree gchar *dir = NULL;
  g_autofree gchar *pcap = NULL;
  g_autofree gchar *out = NULL;
  g_autofree gchar *filter_text = NULL;
  g_autofree gchar *capture_filter = NULL;
  g_autofree gchar *listen = NULL;
  g_autofree gchar *captured_url = NULL;
  g_autofree gchar *other_url = NULL;
  g_autofree gchar *all = NULL;
  g_autofree gchar *commands = NULL;
  RtmpExternalNginxConfig config;
  InteropEndpoint play = { 0 }, publish = { 0 };
  GError *error = NULL;
  guint16 port, other_port;
  gint64 end;

  interop_fail_unless (key, interop_setup_error == NULL, "%s",
      interop_setup_error);
  interop_require_ours (key,
      check == CHECK_RTMPSINK      ? "rtmpsink"
          : check == CHECK_RTMPSRC ? "rtmpsrc"
                                   : "rtmpsink");
  g_free (rtmp_external_require_program ("tshark", "tshark"));

  if (check == CHECK_SERVER) {
    /* every byte on the relay's port is our server's or FFmpeg's */
    relay = start_own_relay (key, "check", NULL, TRUE, &port);
    other_port = port;
  } else {
    /* nginx listens on two ports: ours talks on the captured one, the
     * other end (FFmpeg) on the other, so that only our element's bytes
     * are checked */
    other_port = rtmp_external_pick_port (&error);
    interop_fail_unless (key, other_port != 0, "%s", error->message);
    listen = g_strdup_printf ("listen 127.0.0.1:%u;", other_port);
    rtmp_external_nginx_config_init (&config);
    config.server_directives = listen;
    nginx = rtmp_external_nginx_start (&config, &error);
    interop_fail_unless (key, nginx != NULL, "%s", error ? error->message : "");
    port = rtmp_external_nginx_get_port (nginx);
  }

  dir = rtmp_external_make_temp_dir (key, &error);
  interop_fail_unless (key, dir != NULL, "%s", error->message);
  pcap = g_build_filename (dir, "capture.pcapng", NULL);
  out = g_build_filename (dir, "received.flv", NULL);
  capture_filter = g_strdup_printf ("tcp port %u", port);
  {
    const gchar *argv[] = { "tshark", "-n", "-q", "-i", "lo", "-f",
      capture_filter, "-w", pcap, NULL };

    tshark = rtmp_external_process_start (argv, &error);
    interop_fail_unless (key, tshark != NULL, "%s", error->message);
  }
  /* dumpcap says so on stderr once it captures */
  end = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;
  for (;;) {
    g_autofree gchar *err = rtmp_external_process_dup_stderr (tshark);

    if (strstr (err, "Capturing on") != NULL)
      break;
    if (!rtmp_external_process_is_running (tshark)
        || g_get_monotonic_time () > end) {
      g_autofree gchar *description = rtmp_external_process_describe (tshark);

      interop_fail (key, "tshark does not capture: %s", description);
    }
    g_usleep (20 * 1000);
  }

  captured_url = g_strdup_printf ("rtmp://127.0.0.1:%u/live/check", port);
  other_url = g_strdup_printf ("rtmp://127.0.0.1:%u/live/check", other_port);
  play.file = out;
  publish.file = interop_source_path;
  if (check == CHECK_SERVER) {
    play.url = publish.url = captured_url;
    play_while_publishing (key, INTEROP_PLAYER_FFMPEG, &play,
        INTEROP_PUBLISHER_FFMPEG, &publish, port);
  } else if (ours_publishes) {
    play.url = other_url;
    publish.url = captured_url;
    play_while_publishing (key, INTEROP_PLAYER_FFMPEG, &play,
        INTEROP_PUBLISHER_RTMPSINK, &publish, other_port);
  } else {
    play.url = captured_url;
    publish.url = other_url;
    play_while_publishing (key, INTEROP_PLAYER_RTMPSRC, &play,
        INTEROP_PUBLISHER_FFMPEG, &publish, port);
  }
  /* play_while_publishing recorded a pass for the media: the bytes decide
   * from here on */
  kill (rtmp_external_process_get_pid (tshark), SIGINT);
  if (rtmp_external_process_wait (tshark, 10000)
      == RTMP_EXTERNAL_STATUS_TIMED_OUT)
    interop_fail (key, "tshark did not stop");

  all = tshark_read (key, pcap, port, "rtmpt");
  commands = tshark_read (key, pcap, port,
      ours_publishes ? "amf.string == \"publish\"" : "amf.string == \"play\"");
  filter_text = tshark_read (key, pcap, port, INTEROP_TSHARK_FILTER);
  interop_fail_unless (key, count_lines (all) >= 50,
      "tshark decoded only %u RTMP packets on port %u", count_lines (all),
      port);
  interop_fail_unless (key, count_lines (commands) >= 1,
      "tshark saw no %s command on port %u",
      ours_publishes ? "publish" : "play", port);
  if (filter_text[0] != '\0') {
    g_print ("%s: tshark -Y '%s' shows:\n%s", key, INTEROP_TSHARK_FILTER,
        filter_text);
    interop_fail (key,
        "tshark flags %u packets (malformed or expert "
        "warnings): %s",
        count_lines (filter_text), filter_text);
  }
  {
    g_autofree gchar *detail
        = g_strdup_printf ("%u RTMP packets decoded, none malformed, no "
                           "expert warning",
            count_lines (all));

    interop_record_result (key, "pass", detail);
  }
}

GST_START_TEST (test_protocol_publish)
{
  run_protocol_check ("protocol-publish", CHECK_RTMPSINK);
}

GST_END_TEST;

GST_START_TEST (test_protocol_play)
{
  run_protocol_check ("protocol-play", CHECK_RTMPSRC);
}

GST_END_TEST;

GST_START_TEST (test_protocol_server)
{
  run_protocol_check ("protocol-server", CHECK_SERVER);
}

GST_END_TEST;

void
interop_add_named_cases (Suite *suite)
{
  TCase *ours = tcase_create ("ours");
  TCase *protocol = tcase_create ("protocol");

  tcase_set_timeout (ours, INTEROP_CASE_TIMEOUT_S);
  tcase_add_test (ours, test_ours_auth_adobe);
  tcase_add_test (ours, test_ours_auth_refused);
  tcase_add_test (ours, test_ours_auth_ffmpeg);
  tcase_add_test (ours, test_ours_auth_rtmp2);
  tcase_add_test (ours, test_ours_relay_two_chains);
  tcase_add_test (ours, test_ours_reconnect);
  tcase_add_test (ours, test_ours_reconnect_nginx);
  suite_add_tcase (suite, ours);

  tcase_set_timeout (protocol, INTEROP_CASE_TIMEOUT_S);
  tcase_add_test (protocol, test_protocol_publish);
  tcase_add_test (protocol, test_protocol_play);
  tcase_add_test (protocol, test_protocol_server);
  suite_add_tcase (suite, protocol);
}
