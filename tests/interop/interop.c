/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The interop matrix: publishers (rtmpsink, rtmp2sink, ffmpeg) through
 * relaying servers (nginx-rtmp, node-media-server, our one-port relay) to
 * players (rtmpsrc, rtmp2src, ffmpeg, rtmpdump), ffmpeg -listen at either
 * end, RTMPS through stunnel and into our server mode, Enhanced RTMP, our
 * elements with each other (authentication, reconnects), and a tshark check
 * of our elements' bytes. One test case per cell; the run prints the table
 * and writes it to docs/interop.md. */

#include <gst/check/gstcheck.h>

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "interop.h"
#include "rtmpexternal.h"
#include "rtmptestutil.h"
#include "rtmpflv.h"

/* the generated stream: 3 s, a keyframe every second */
#define SOURCE_SECONDS 3
#define SOURCE_FPS 30

typedef enum
{
  SERVER_NGINX,
  SERVER_NMS,
  SERVER_RELAY,
  SERVER_FFMPEG_LISTEN,
  SERVER_RTMPS_NGINX,
  SERVER_RTMPS_RELAY,
  SERVER_OURS,
  SERVER_PROTOCOL,
  N_SERVERS
} ServerKind;

typedef struct
{
  const gchar *id; /* the test case name */
  const gchar *name;
  /* set by the fixture, in the test program before it forks the cells */
  const gchar *scheme;
  guint16 port;
  guint16 port_tls12; /* stunnel that offers TLS 1.2 at most */
  GPid pid;           /* the server, 0 when none is shared */
  gchar *log_path;
  gchar *error; /* why it did not start */
  RtmpExternalNginx *nginx;
  RtmpExternalProcess *process;
  RtmpExternalProcess *stunnel;
  RtmpExternalProcess *stunnel12;
  GArray *cells; /* guint: indices into the cells to run here */
} Server;

static Server servers[N_SERVERS] = {
  { .id = "nginx", .name = "nginx-rtmp" },
  { .id = "nms", .name = "node-media-server" },
  { .id = "relay", .name = "our relay" },
  { .id = "ffmpeg_listen", .name = "ffmpeg -listen 1" },
  { .id = "rtmps_nginx", .name = "stunnel + nginx-rtmp" },
  { .id = "rtmps_relay", .name = "our relay (rtmps)" },
  { .id = "ours", .name = "our elements" },
  { .id = "protocol", .name = "protocol check" },
};

typedef enum
{
  TABLE_NGINX,
  TABLE_NMS,
  TABLE_RELAY,
  TABLE_LISTEN_TARGET,
  TABLE_LISTEN_SOURCE,
  TABLE_RTMPS_NGINX,
  TABLE_RTMPS_RELAY,
  TABLE_ENHANCED_NGINX,
  TABLE_ENHANCED_NMS,
  TABLE_ENHANCED_RELAY,
  N_TABLES
} TableId;

typedef struct
{
  const gchar *id; /* in stream keys */
  const gchar *title;
  const gchar *text;
  ServerKind server;
  gboolean is_enhanced;
} Table;

static const Table tables[N_TABLES] = {
  { "nginx", "Through nginx-rtmp",
      "nginx with libnginx-mod-rtmp, `application live { live on; }`.",
      SERVER_NGINX, FALSE },
  { "nms", "Through node-media-server",
      "node-media-server (from the npm registry, version pinned in "
      "`tests/interop/nms/package.json`) on Debian's Node.js.",
      SERVER_NMS, FALSE },
  { "relay", "Through our one-port relay",
      "`gst-launch-1.0 rtmpsrc mode=server location=rtmp://127.0.0.1:PORT/"
      "live/KEY ! rtmpsink mode=server location=rtmp://127.0.0.1:PORT/live/"
      "KEY async=false`, one such chain per cell in one process, all on "
      "one port, and one chain nobody publishes to so that the process "
      "outlives every stream (`async=false`: see ours-relay-two-chains "
      "below).",
      SERVER_RELAY, FALSE },
  { "ltarget", "Publishing to ffmpeg -listen",
      "`ffmpeg -listen 1 -i rtmp://127.0.0.1:PORT/live/x -c copy -f flv "
      "FILE`: one connection, no relay; the player column is the file "
      "FFmpeg writes.",
      SERVER_FFMPEG_LISTEN, FALSE },
  { "lsource", "Playing from ffmpeg -listen",
      "`ffmpeg -re -i SOURCE -c copy -f flv -listen 1 rtmp://127.0.0.1:PORT/"
      "live/x`: FFmpeg serves the file to the one player that connects.",
      SERVER_FFMPEG_LISTEN, FALSE },
  { "snginx", "RTMPS: stunnel in front of nginx-rtmp",
      "stunnel4 terminates TLS (a certificate made for the run; our "
      "elements trust it with `tls-ca-file`, rtmp2 with "
      "`tls-validation-flags=0`, FFmpeg and rtmpdump do not check) and "
      "forwards to nginx-rtmp.",
      SERVER_RTMPS_NGINX, FALSE },
  { "srelay", "RTMPS directly into our server mode",
      "The relay above with `rtmps://` locations and "
      "`tls-certificate-file`/`tls-key-file`: TLS in our server mode.",
      SERVER_RTMPS_RELAY, FALSE },
  { "enginx", "Enhanced RTMP (HEVC) through nginx-rtmp",
      "A synthetic Enhanced RTMP stream (hvc1 SequenceStart, then "
      "CodedFrames and CodedFramesX, a keyframe every second, written with "
      "`protocol/rtmpflv.h`); every tag must arrive byte for byte.",
      SERVER_NGINX, TRUE },
  { "enms", "Enhanced RTMP (HEVC) through node-media-server",
      "The same synthetic stream.", SERVER_NMS, TRUE },
  { "erelay", "Enhanced RTMP (HEVC) through our relay",
      "The same synthetic stream.", SERVER_RELAY, TRUE },
};

typedef struct
{
  TableId table;
  InteropPublisher publisher;
  InteropPlayer player;
  gchar *key;        /* stream key and result id */
  const gchar *na;   /* (nullable) why the cell cannot exist */
  const gchar *note; /* (nullable) how the cell is set up differently */
} Cell;

static GPtrArray *cells; /* Cell * */

/* Made in main (), before the cells fork */
static gchar *work_dir;
gchar *interop_source_path;
static gchar *enhanced_path;
InteropStream *interop_source_stream;
InteropStream *interop_remuxed_stream;
static InteropStream *enhanced_stream;
static gchar *cert_path, *key_path;
gchar *interop_setup_error;
static gchar *results_path;

/* --- results --- */

void
interop_record_result (const gchar *key, const gchar *status,
    const gchar *detail)
{
  g_autofree gchar *clean = g_strdup (detail ? detail : "");
  g_autofree gchar *line = NULL;
  gint fd;

  g_strdelimit (clean, "\t\r\n", ' ');
  line = g_strdup_printf ("%s\t%s\t%s\n", key, status, clean);
  fd = open (results_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0) {
    if (write (fd, line, strlen (line)) < 0)
      g_printerr ("cannot write %s\n", results_path);
    close (fd);
  }
}

/* A passing cell: the comparison's summary and how the player ended */
void
interop_record_pass (const gchar *key, const gchar *summary,
    gboolean has_player, gboolean ended_by_itself, gint player_status)
{
  GString *detail = g_string_new (summary);

  if (has_player && !ended_by_itself)
    g_string_append (detail,
        "; the player did not end by itself: stopped "
        "after the stream");
  else if (has_player && player_status != 0)
    g_string_append_printf (detail, "; the player exited with status %d",
        player_status);
  interop_record_result (key, "pass", detail->str);
  g_string_free (detail, TRUE);
}

/* Fails @key unless @factory is in the build and ours */
void
interop_require_ours (const gchar *key, const gchar *factory)
{
  GstElement *element;
  gboolean ours;

  rtmp_test_assert_plugin_is_ours ();
  element = gst_element_factory_make (factory, NULL);
  interop_fail_unless (key, element != NULL,
      "%s is not in the build (no such element)", factory);
  ours = rtmp_test_element_is_ours (element);
  gst_object_unref (element);
  interop_fail_unless (key, ours, "%s is not our element", factory);
}

/* --- servers (fixtures: run in the test program, once per test case) --- */

static void
server_reset (Server *server)
{
  g_clear_pointer (&server->stunnel12, rtmp_external_process_free);
  g_clear_pointer (&server->stunnel, rtmp_external_process_free);
  g_clear_pointer (&server->process, rtmp_external_process_free);
  g_clear_pointer (&server->nginx, rtmp_external_nginx_free);
  g_clear_pointer (&server->log_path, g_free);
  g_clear_pointer (&server->error, g_free);
  server->pid = 0;
  server->port = server->port_tls12 = 0;
}

static gboolean
start_nginx (Server *server, GError **error)
{
  RtmpExternalNginxConfig config;

  rtmp_external_nginx_config_init (&config);
  server->nginx = rtmp_external_nginx_start (&config, error);
  if (server->nginx == NULL)
    return FALSE;
  server->port = rtmp_external_nginx_get_port (server->nginx);
  server->pid = rtmp_external_nginx_get_pid (server->nginx);
  server->log_path = g_build_filename (
      rtmp_external_nginx_get_dir (server->nginx), "error.log", NULL);
  return TRUE;
}

/* The stream keys of the cells a relay serves */
static GStrv
relay_keys (Server *server)
{
  GStrvBuilder *builder = g_strv_builder_new ();
  GStrv keys;
  guint i;

  for (i = 0; i < server->cells->len; i++) {
    const Cell *cell = cells->pdata[g_array_index (server->cells, guint, i)];

    g_strv_builder_add (builder, cell->key);
  }
  /* a chain nobody publishes to: gst-launch-1.0 exits once every chain
   * ended, which must not be when the last cell's stream ends */
  g_strv_builder_add (builder, "keepalive");
  keys = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  return keys;
}

static gboolean
start_relay (Server *server, gboolean use_tls, GError **error)
{
  g_auto (GStrv) keys = relay_keys (server);

  server->port = rtmp_external_pick_port (error);
  if (server->port == 0)
    return FALSE;
  if (server->cells->len == 0)
    return TRUE;
  /* async=false: a chain whose publisher has not come yet would hold
   * every other sink of the pipeline in preroll (the case
   * ours-relay-two-chains shows it with the default) */
  server->process = interop_relay_start (server->port,
      (const gchar *const *) keys, use_tls ? cert_path : NULL,
      use_tls ? key_path : NULL, NULL, "async=false", error);
  if (server->process == NULL)
    return FALSE;
  server->pid = rtmp_external_process_get_pid (server->process);
  server->log_path
      = g_strdup (rtmp_external_process_get_stderr_path (server->process));
  return TRUE;
}

static void
server_setup (ServerKind kind)
{
  Server *server = &servers[kind];
  GError *error = NULL;
  gboolean ok = TRUE;

  server_reset (server);
  server->scheme = "rtmp";
  if (interop_setup_error != NULL)
    return;
  switch (kind) {
    case SERVER_NGINX:
      ok = start_nginx (server, &error);
      break;
    case SERVER_NMS: {
      server->port = rtmp_external_pick_port (&error);
      ok = server->port != 0;
      if (ok) {
        server->process = interop_nms_start (RTMP_INTEROP_NMS_DIR,
            RTMP_INTEROP_SOURCE_DIR "/nms-server.js", server->port, &error);
        ok = server->process != NULL;
      }
      if (ok) {
        server->pid = rtmp_external_process_get_pid (server->process);
        server->log_path = g_strdup (
            rtmp_external_process_get_stdout_path (server->process));
      }
      break;
    }
    case SERVER_RELAY:
      ok = start_relay (server, FALSE, &error);
      break;
    case SERVER_RTMPS_NGINX: {
      guint16 nginx_port;

      server->scheme = "rtmps";
      ok = start_nginx (server, &error);
      if (!ok)
        break;
      nginx_port = server->port;
      server->port = rtmp_external_pick_port (&error);
      server->port_tls12 = rtmp_external_pick_port (&error);
      ok = server->port != 0 && server->port_tls12 != 0;
      if (ok) {
        server->stunnel = rtmp_external_stunnel_start (cert_path, key_path,
            server->port, nginx_port, &error);
        ok = server->stunnel != NULL;
      }
      if (ok) {
        server->stunnel12 = interop_stunnel_tls12_start (cert_path, key_path,
            server->port_tls12, nginx_port, &error);
        ok = server->stunnel12 != NULL;
      }
      break;
    }
    case SERVER_RTMPS_RELAY:
      server->scheme = "rtmps";
      ok = start_relay (server, TRUE, &error);
      break;
    case SERVER_FFMPEG_LISTEN:
    case SERVER_OURS:
    case SERVER_PROTOCOL:
    case N_SERVERS:
      break;
  }
  if (!ok) {
    server->error = g_strdup (error ? error->message : "(no reason)");
    g_printerr ("%s did not start: %s\n", server->name, server->error);
    g_clear_error (&error);
  }
}

static void
server_teardown (ServerKind kind)
{
  server_reset (&servers[kind]);
}

#define DEFINE_FIXTURES(kind, name) \
  static void name##_setup (void) \
  { \
    server_setup (kind); \
  } \
  static void name##_teardown (void) \
  { \
    server_teardown (kind); \
  }

DEFINE_FIXTURES (SERVER_NGINX, nginx)
DEFINE_FIXTURES (SERVER_NMS, nms)
DEFINE_FIXTURES (SERVER_RELAY, relay)
DEFINE_FIXTURES (SERVER_FFMPEG_LISTEN, ffmpeg_listen)
DEFINE_FIXTURES (SERVER_RTMPS_NGINX, rtmps_nginx)
DEFINE_FIXTURES (SERVER_RTMPS_RELAY, rtmps_relay)

/* --- one cell --- */

/* Fails the cell unless the shared server still runs */
static void
check_server (const Cell *cell, const Server *server)
{
  if (server->error != NULL)
    interop_fail (cell->key, "%s did not start: %s", server->name,
        server->error);
  if (server->pid != 0 && !interop_pid_is_alive (server->pid)) {
    g_autofree gchar *tail = interop_file_tail (server->log_path, 15);

    interop_fail (cell->key, "%s (pid %d) is gone; its log ends with:\n%s",
        server->name, (gint) server->pid, tail);
  }
}

/* Until a new connection to @port is established (the player's), then a
 * moment for connect and play */
gboolean
interop_wait_for_player (guint16 port, guint before,
    RtmpExternalProcess *player)
{
  gint64 end
      = g_get_monotonic_time () + INTEROP_PLAYER_CONNECT_MS * (gint64) 1000;

  while (g_get_monotonic_time () < end) {
    if (interop_count_established (port) > before) {
      g_usleep (INTEROP_PLAYER_SETTLE_MS * 1000);
      return TRUE;
    }
    if (!rtmp_external_process_is_running (player))
      return FALSE;
    g_usleep (10 * 1000);
  }
  return FALSE;
}

/* Without stopping it: TRUE when @process exited within @timeout_ms */
static gboolean
wait_for_exit (RtmpExternalProcess *process, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + timeout_ms * (gint64) 1000;

  while (rtmp_external_process_is_running (process)) {
    if (g_get_monotonic_time () >= end)
      return FALSE;
    g_usleep (10 * 1000);
  }
  return TRUE;
}

/* The stream is over: the player ends by itself soon, or is asked to
 * finish its file */
void
interop_finish_player (InteropPlayer kind, RtmpExternalProcess *player,
    gboolean *ended_by_itself, gint *status)
{
  /* ffmpeg waits 2 s (-rw_timeout) after the last byte, often twice, for
   * nothing: a signal ends it sooner, after the read it waits in */
  *ended_by_itself = wait_for_exit (player,
      kind == INTEROP_PLAYER_FFMPEG ? 500 : INTEROP_PLAYER_END_MS);
  if (!*ended_by_itself)
    interop_player_stop (kind, player, INTEROP_PLAYER_STOP_MS);
  *status = rtmp_external_process_get_exit_code (player);
}

static void
compare_options_for (const Cell *cell, InteropCompareOptions *options)
{
  interop_compare_options_init (options);
  options->exact_bodies = tables[cell->table].is_enhanced;
  /* ours must deliver every frame; other players may lose the last one or
   * two that were in flight when the stream ended (rtmp2src drops what it
   * holds when the server unpublishes) */
  if (!interop_player_is_ours (cell->player))
    options->max_missing_end = 2;
}

/* Enhanced RTMP through a third-party server: when the server does not
 * relay it, what it does instead is why the cell does not apply. Our own
 * relay never gets here: there it must work. */
static const gchar *
enhanced_not_relayed (const Cell *cell, const InteropStream *received)
{
  const Table *table = &tables[cell->table];
  const InteropTag *first;

  if (!table->is_enhanced || table->server == SERVER_RELAY)
    return NULL;
  if (received->video->len == 0 && received->video_headers->len == 0)
    return "the server relays no Enhanced RTMP video: players get the "
           "stream's start and end (StreamBegin, StreamEOF) but none of "
           "the hvc1 video tags";
  first = received->video_headers->len ? received->video_headers->pdata[0]
                                       : received->video->pdata[0];
  if (!first->is_ex_header && first->fourcc == RTMP_FLV_FOURCC_HVC1)
    return "the server does not relay Enhanced RTMP: it rewrites the hvc1 "
           "tags into legacy FLV tags with the non-standard codec id 12, "
           "which no Enhanced RTMP player reads as HEVC";
  return NULL;
}

static void
run_cell (ServerKind kind, guint index)
{
  Server *server = &servers[kind];
  const Cell *cell = cells->pdata[g_array_index (server->cells, guint, index)];
  const Table *table = &tables[cell->table];
  const gchar *source
      = table->is_enhanced ? enhanced_path : interop_source_path;
  const InteropStream *source_info = table->is_enhanced ? enhanced_stream
      : cell->publisher == INTEROP_PUBLISHER_RTMP2SINK  ? interop_remuxed_stream
                                                        : interop_source_stream;
  g_autofree gchar *dir = NULL;
  g_autofree gchar *out = NULL;
  g_autofree gchar *url = NULL;
  g_autoptr (RtmpExternalProcess) listener = NULL;
  g_autoptr (RtmpExternalProcess) player = NULL;
  g_autoptr (RtmpExternalProcess) publisher = NULL;
  g_autoptr (InteropStream) received = NULL;
  g_autofree gchar *summary = NULL;
  InteropEndpoint endpoint = { 0 };
  InteropCompareOptions options;
  GError *error = NULL;
  gboolean ended_by_itself = TRUE;
  gint player_status = 0;
  guint16 port;
  const gchar *reason;

  g_print ("cell %s: %s -> %s -> %s\n", cell->key,
      interop_publisher_name (cell->publisher), server->name,
      interop_player_name (cell->player));
  if (interop_setup_error != NULL)
    interop_fail (cell->key, "%s", interop_setup_error);
  check_server (cell, server);
  if (interop_publisher_is_ours (cell->publisher))
    interop_require_ours (cell->key, "rtmpsink");
  if (interop_player_is_ours (cell->player))
    interop_require_ours (cell->key, "rtmpsrc");

  dir = rtmp_external_make_temp_dir (cell->key, &error);
  interop_fail_unless (cell->key, dir != NULL, "%s", error->message);
  out = g_build_filename (dir, "received.flv", NULL);

  if (kind == SERVER_FFMPEG_LISTEN) {
    port = rtmp_external_pick_port (&error);
    interop_fail_unless (cell->key, port != 0, "%s", error->message);
    url = g_strdup_printf ("rtmp://127.0.0.1:%u/live/x", port);
  } else {
    port = cell->player == INTEROP_PLAYER_RTMPDUMP && server->port_tls12
        ? server->port_tls12
        : server->port;
    url = g_strdup_printf ("%s://127.0.0.1:%u/live/%s", server->scheme, port,
        cell->key);
  }
  endpoint.url = url;
  endpoint.ca_file = g_str_equal (server->scheme, "rtmps") ? cert_path : NULL;
  endpoint.enhanced = table->is_enhanced;
  if (cell->publisher == INTEROP_PUBLISHER_FFMPEG_LISTEN
      && cell->player == INTEROP_PLAYER_RTMPSRC)
    endpoint.extra = "no-eof-is-error=false";

  if (cell->player == INTEROP_PLAYER_FFMPEG_LISTEN) {
    /* the publish target: FFmpeg writes what it receives */
    listener = interop_ffmpeg_listen_target_start (url, port, out, &error);
    interop_fail_unless (cell->key, listener != NULL, "%s", error->message);
    endpoint.file = source;
    publisher = interop_publisher_start (cell->publisher, &endpoint, &error);
    interop_fail_unless (cell->key, publisher != NULL, "%s", error->message);
    if (!rtmp_external_process_wait_success (publisher, INTEROP_PUBLISH_MS,
            &error))
      interop_fail (cell->key, "the publisher failed: %s", error->message);
    if (!rtmp_external_process_wait_success (listener, INTEROP_PLAYER_STOP_MS,
            &error))
      interop_fail (cell->key, "ffmpeg -listen failed: %s", error->message);
  } else if (cell->publisher == INTEROP_PUBLISHER_FFMPEG_LISTEN) {
    /* the play source: FFmpeg serves the file to the player */
    listener = interop_ffmpeg_listen_source_start (url, port, source, &error);
    interop_fail_unless (cell->key, listener != NULL, "%s", error->message);
    endpoint.file = out;
    player = interop_player_start (cell->player, &endpoint, &error);
    interop_fail_unless (cell->key, player != NULL, "%s", error->message);
    if (!rtmp_external_process_wait_success (listener, INTEROP_PUBLISH_MS,
            &error))
      interop_fail (cell->key, "ffmpeg -listen failed: %s", error->message);
  } else {
    guint before = interop_count_established (port);

    endpoint.file = out;
    player = interop_player_start (cell->player, &endpoint, &error);
    interop_fail_unless (cell->key, player != NULL, "%s", error->message);
    if (!interop_wait_for_player (port, before, player)) {
      g_autofree gchar *description = rtmp_external_process_describe (player);

      interop_fail (cell->key, "the player did not connect: %s", description);
    }
    endpoint.file = source;
    publisher = interop_publisher_start (cell->publisher, &endpoint, &error);
    interop_fail_unless (cell->key, publisher != NULL, "%s", error->message);
    if (!rtmp_external_process_wait_success (publisher, INTEROP_PUBLISH_MS,
            &error))
      interop_fail (cell->key, "the publisher failed: %s", error->message);
  }

  if (player != NULL)
    interop_finish_player (cell->player, player, &ended_by_itself,
        &player_status);

  received = interop_stream_load (out, &error);
  if (received == NULL) {
    g_autofree gchar *description
        = player ? rtmp_external_process_describe (player) : g_strdup ("");

    interop_fail (cell->key, "%s; %s", error->message, description);
  }
  reason = enhanced_not_relayed (cell, received);
  if (reason != NULL) {
    g_autofree gchar *numbers = interop_stream_describe (received);
    g_autofree gchar *detail = g_strdup_printf ("%s (%s received: %s)", reason,
        interop_player_name (cell->player), numbers);

    interop_record_result (cell->key, "n/a", detail);
    return;
  }
  compare_options_for (cell, &options);
  if (!interop_stream_compare (source_info, received, &options, &summary,
          &error)) {
    g_autofree gchar *description
        = player ? rtmp_external_process_describe (player) : g_strdup ("");

    interop_fail (cell->key, "%s (received: %s) %s", error->message, summary,
        description);
  }
  /* ours must end cleanly: EOS, not an error */
  if (interop_player_is_ours (cell->player) && player_status != 0) {
    g_autofree gchar *description = rtmp_external_process_describe (player);

    interop_fail (cell->key, "rtmpsrc did not end cleanly: %s", description);
  }
  interop_record_pass (cell->key, summary, player != NULL, ended_by_itself,
      player_status);
}

#define DEFINE_CELL_TEST(kind, name) \
  GST_START_TEST (name##_cell) \
  { \
    run_cell (kind, __i__); \
  } \
  GST_END_TEST;

DEFINE_CELL_TEST (SERVER_NGINX, nginx)
DEFINE_CELL_TEST (SERVER_NMS, nms)
DEFINE_CELL_TEST (SERVER_RELAY, relay)
DEFINE_CELL_TEST (SERVER_FFMPEG_LISTEN, ffmpeg_listen)
DEFINE_CELL_TEST (SERVER_RTMPS_NGINX, rtmps_nginx)
DEFINE_CELL_TEST (SERVER_RTMPS_RELAY, rtmps_relay)

/* --- the cells --- */

static const gchar *const publisher_ids[] = { "sink", "sink2", "ff", "listen" };
static const gchar *const player_ids[]
    = { "src", "src2", "ff", "dump", "listen" };

/* Why a cell cannot exist, NULL when it can */
static const gchar *
na_reason (TableId table, InteropPublisher publisher, InteropPlayer player)
{
  if (tables[table].is_enhanced) {
    if (publisher == INTEROP_PUBLISHER_FFMPEG)
      return "FFmpeg 5.1 cannot publish Enhanced RTMP (it came with "
             "FFmpeg 6.1)";
    if (publisher == INTEROP_PUBLISHER_RTMP2SINK)
      return "rtmp2sink 1.22 needs one FLV tag per buffer, as only flvmux "
             "makes them, and flvmux 1.22 cannot mux HEVC: from filesrc it "
             "fails (\"Failed to convert FLV to RTMP\") or sends nothing";
    if (player == INTEROP_PLAYER_FFMPEG)
      return "FFmpeg 5.1's FLV demuxer does not read Enhanced RTMP tags";
  }
  if (table == TABLE_RTMPS_RELAY && player == INTEROP_PLAYER_RTMPDUMP)
    return "our server mode offers TLS 1.3 (OpenSSL 3's default; TLS 1.2 "
           "at least) and librtmp 2.4 with GnuTLS fails its RTMP handshake "
           "after a TLS 1.3 handshake (\"RTMP_Connect1, handshake failed\" "
           "through stunnel too; with TLS 1.2 at most it plays, see the "
           "stunnel table)";
  if (table == TABLE_LISTEN_SOURCE && player == INTEROP_PLAYER_RTMP2SRC)
    return "FFmpeg 5.1's -listen server sends media on message stream 0 and "
           "rtmp2src 1.22 drops all of it (debug log: \"Ignoring video "
           "message with stream 0 != 1\"): rtmp2src ends with an empty "
           "stream";
  return NULL;
}

static const gchar *
cell_note (TableId table, InteropPublisher publisher, InteropPlayer player)
{
  if (table == TABLE_LISTEN_SOURCE && player == INTEROP_PLAYER_RTMPSRC)
    return "rtmpsrc runs with no-eof-is-error=false: FFmpeg's -listen "
           "server closes the connection at the end without a status, "
           "which rtmpsrc otherwise reports as an error";
  if (table == TABLE_RTMPS_NGINX && player == INTEROP_PLAYER_RTMPDUMP)
    return "rtmpdump connects through a second stunnel that offers TLS 1.2 "
           "at most: librtmp 2.4 with GnuTLS fails its RTMP handshake after "
           "a TLS 1.3 handshake (\"RTMP_Connect1, handshake failed\")";
  return NULL;
}

static gboolean
cell_selected (const gchar *key)
{
  const gchar *patterns = g_getenv ("INTEROP_CELLS");
  g_auto (GStrv) list = NULL;
  guint i;

  if (patterns == NULL || patterns[0] == '\0')
    return TRUE;
  list = g_strsplit (patterns, ",", -1);
  for (i = 0; list[i] != NULL; i++) {
    if (g_pattern_match_simple (list[i], key))
      return TRUE;
  }
  return FALSE;
}

static void
add_cell (TableId table, InteropPublisher publisher, InteropPlayer player)
{
  Cell *cell = g_new0 (Cell, 1);
  Server *server = &servers[tables[table].server];
  guint index = cells->len;

  cell->table = table;
  cell->publisher = publisher;
  cell->player = player;
  cell->key = g_strdup_printf ("%s-%s-%s", tables[table].id,
      publisher_ids[publisher], player_ids[player]);
  cell->na = na_reason (table, publisher, player);
  cell->note = cell_note (table, publisher, player);
  g_ptr_array_add (cells, cell);
  if (cell->na == NULL && cell_selected (cell->key))
    g_array_append_val (server->cells, index);
}

static void
make_cells (void)
{
  guint t, p, q;

  cells = g_ptr_array_new ();
  for (t = 0; t < N_SERVERS; t++)
    servers[t].cells = g_array_new (FALSE, FALSE, sizeof (guint));
  for (t = 0; t < N_TABLES; t++) {
    if (t == TABLE_LISTEN_TARGET) {
      for (p = 0; p < INTEROP_N_PUBLISHERS; p++)
        add_cell (t, p, INTEROP_PLAYER_FFMPEG_LISTEN);
    } else if (t == TABLE_LISTEN_SOURCE) {
      for (q = 0; q < INTEROP_N_PLAYERS; q++)
        add_cell (t, INTEROP_PUBLISHER_FFMPEG_LISTEN, q);
    } else {
      for (p = 0; p < INTEROP_N_PUBLISHERS; p++)
        for (q = 0; q < INTEROP_N_PLAYERS; q++)
          add_cell (t, p, q);
    }
  }
}

/* --- the media, made once --- */

static gboolean
prepare_media (GError **error)
{
  g_autoptr (GBytes) enhanced = NULL;
  g_autofree gchar *seconds = g_strdup_printf ("%d", SOURCE_SECONDS);
  g_autofree gchar *gop = g_strdup_printf ("%d", SOURCE_FPS);
  g_autofree gchar *video
      = g_strdup_printf ("testsrc2=size=320x240:rate=%d", SOURCE_FPS);

  work_dir = rtmp_external_make_temp_dir ("interop", error);
  if (work_dir == NULL)
    return FALSE;
  interop_source_path = g_build_filename (work_dir, "source.flv", NULL);
  {
    /* H.264 High with B-frames and AAC-LC, as OBS and FFmpeg send them; a
     * keyframe every second exactly */
    const gchar *argv[] = { "ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi",
      "-i", video, "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
      "-t", seconds, "-c:v", "libx264", "-pix_fmt", "yuv420p", "-profile:v",
      "high", "-bf", "2", "-g", gop, "-keyint_min", gop, "-sc_threshold", "0",
      "-c:a", "aac", "-b:a", "64k", "-f", "flv", interop_source_path, NULL };

    if (!rtmp_external_run (argv, 60000, NULL, NULL, error)) {
      g_prefix_error (error, "could not generate the source stream: ");
      return FALSE;
    }
  }
  interop_source_stream = interop_stream_load (interop_source_path, error);
  if (interop_source_stream == NULL)
    return FALSE;
  {
    g_autofree gchar *remuxed
        = g_build_filename (work_dir, "remuxed.flv", NULL);
    g_autofree gchar *location
        = g_strdup_printf ("location=%s", interop_source_path);
    g_autofree gchar *out = g_strdup_printf ("location=%s", remuxed);
    const gchar *argv[] = { "gst-launch-1.0", "-q", "filesrc", location, "!",
      "flvdemux", "name=d", "d.video", "!", "queue", "!", "flvmux",
      "streamable=true", "name=m", "!", "filesink", out, "d.audio", "!",
      "queue", "!", "m.audio", NULL };

    if (!rtmp_external_run (argv, 60000, NULL, NULL, error)) {
      g_prefix_error (error, "could not remux the source with flvmux: ");
      return FALSE;
    }
    interop_remuxed_stream = interop_stream_load (remuxed, error);
    if (interop_remuxed_stream == NULL)
      return FALSE;
  }

  enhanced_path = g_build_filename (work_dir, "enhanced.flv", NULL);
  enhanced
      = interop_make_enhanced_flv (SOURCE_SECONDS * SOURCE_FPS, SOURCE_FPS);
  if (!g_file_set_contents (enhanced_path, g_bytes_get_data (enhanced, NULL),
          g_bytes_get_size (enhanced), error))
    return FALSE;
  enhanced_stream = interop_stream_parse (enhanced, error);
  if (enhanced_stream == NULL)
    return FALSE;

  return rtmp_external_make_certificate (work_dir, &cert_path, &key_path,
      error);
}

/* --- the report --- */

typedef struct
{
  gchar *status;
  gchar *detail;
} Result;

static void
result_free (Result *result)
{
  g_free (result->status);
  g_free (result->detail);
  g_free (result);
}

/* key -> Result, the last line of each key */
static GHashTable *
read_results (void)
{
  GHashTable *results = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) result_free);
  g_autofree gchar *text = NULL;
  g_auto (GStrv) lines = NULL;
  guint i;

  if (!g_file_get_contents (results_path, &text, NULL, NULL))
    return results;
  lines = g_strsplit (text, "\n", -1);
  for (i = 0; lines[i] != NULL; i++) {
    g_auto (GStrv) fields = g_strsplit (lines[i], "\t", 3);
    Result *result;

    if (g_strv_length (fields) < 3)
      continue;
    result = g_new0 (Result, 1);
    result->status = g_strdup (fields[1]);
    result->detail = g_strdup (fields[2]);
    g_hash_table_replace (results, g_strdup (fields[0]), result);
  }
  return results;
}

typedef struct
{
  guint passed, failed, na, not_run;
} Counts;

/* "pass", "FAIL", "n/a" or "not run"; and the detail */
static const gchar *
cell_status (GHashTable *results, const gchar *key, const gchar *na,
    gboolean was_run, const gchar **detail, Counts *counts)
{
  Result *result = g_hash_table_lookup (results, key);

  if (na != NULL) {
    *detail = na;
    counts->na++;
    return "n/a";
  }
  if (!was_run) {
    *detail = "not selected in this run (INTEROP_CELLS)";
    counts->not_run++;
    return "not run";
  }
  if (result == NULL) {
    *detail = "no result: the test case timed out or crashed (see the "
              "test log)";
    counts->failed++;
    return "FAIL";
  }
  *detail = result->detail;
  if (g_str_equal (result->status, "pass")) {
    counts->passed++;
    return "pass";
  }
  if (g_str_equal (result->status, "n/a")) {
    counts->na++;
    return "n/a";
  }
  counts->failed++;
  return "FAIL";
}

static gboolean
cell_was_run (const Cell *cell)
{
  const Server *server = &servers[tables[cell->table].server];
  guint i;

  for (i = 0; i < server->cells->len; i++) {
    if (cells->pdata[g_array_index (server->cells, guint, i)] == cell)
      return TRUE;
  }
  return FALSE;
}

static gchar *
package_version (const gchar *package)
{
  const gchar *argv[]
      = { "dpkg-query", "-W", "-f", "${Version}", package, NULL };
  gchar *out = NULL;

  if (!rtmp_external_run (argv, 10000, &out, NULL, NULL)) {
    g_free (out);
    return g_strdup ("not installed");
  }
  return out;
}

static gchar *
nms_version (void)
{
  g_autofree gchar *path = g_build_filename (RTMP_INTEROP_NMS_DIR,
      "node_modules", "node-media-server", "package.json", NULL);
  g_autofree gchar *text = NULL;
  const gchar *p;
  gchar *end;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return g_strdup ("not installed");
  p = strstr (text, "\"version\"");
  if (p == NULL || (p = strchr (p + 9, '"')) == NULL)
    return g_strdup ("?");
  end = strchr (p + 1, '"');
  return end ? g_strndup (p + 1, end - p - 1) : g_strdup ("?");
}

static gchar *
node_version (void)
{
  const gchar *argv[] = { "node", "--version", NULL };
  gchar *out = NULL;

  if (!rtmp_external_run (argv, 10000, &out, NULL, NULL)) {
    g_free (out);
    return g_strdup ("not installed");
  }
  return g_strstrip (out);
}

static void
write_table (GString *md, GHashTable *results, TableId t, Counts *counts)
{
  const Table *table = &tables[t];
  g_autoptr (GString) details = g_string_new (NULL);
  guint p, q, n_rows, n_columns;
  gboolean is_target = t == TABLE_LISTEN_TARGET;
  gboolean is_source = t == TABLE_LISTEN_SOURCE;
  guint i = 0;

  g_string_append_printf (md, "## %s\n\n%s\n\n", table->title, table->text);
  n_rows = is_source ? 1 : INTEROP_N_PUBLISHERS;
  n_columns = is_target ? 1 : INTEROP_N_PLAYERS;
  g_string_append (md, "| publisher \\ player |");
  for (q = 0; q < n_columns; q++)
    g_string_append_printf (md, " %s |",
        interop_player_name (is_target ? INTEROP_PLAYER_FFMPEG_LISTEN : q));
  g_string_append (md, "\n|---|");
  for (q = 0; q < n_columns; q++)
    g_string_append (md, "---|");
  g_string_append (md, "\n");

  for (p = 0; p < n_rows; p++) {
    g_string_append_printf (md, "| %s |",
        interop_publisher_name (
            is_source ? INTEROP_PUBLISHER_FFMPEG_LISTEN : p));
    for (q = 0; q < n_columns; q++) {
      const Cell *cell = NULL;
      const gchar *status, *detail;
      guint c;

      for (c = 0; c < cells->len; c++) {
        const Cell *candidate = cells->pdata[c];

        if (candidate->table == t
            && candidate->publisher
                == (is_source ? INTEROP_PUBLISHER_FFMPEG_LISTEN : p)
            && candidate->player
                == (is_target ? INTEROP_PLAYER_FFMPEG_LISTEN : q)) {
          cell = candidate;
          break;
        }
      }
      g_assert (cell != NULL);
      status = cell_status (results, cell->key, cell->na, cell_was_run (cell),
          &detail, counts);
      i++;
      g_string_append_printf (md, " %s%s%s [%u] |",
          g_str_equal (status, "FAIL") ? "**" : "", status,
          g_str_equal (status, "FAIL") ? "**" : "", i);
      g_string_append_printf (details, "%u. %s → %s: %s — %s%s%s\n", i,
          interop_publisher_name (cell->publisher),
          interop_player_name (cell->player), status, detail,
          cell->note ? ". Note: " : "", cell->note ? cell->note : "");
    }
    g_string_append (md, "\n");
  }
  g_string_append_printf (md, "\n%s\n", details->str);
}

/* A row of the "ours" and "protocol" tables: '|' in the detail (a
 * program's stderr) would end its cell */
static void
append_named_row (GString *md, const InteropNamedCase *named,
    const gchar *status, const gchar *detail)
{
  g_auto (GStrv) parts = g_strsplit (detail, "|", -1);
  g_autofree gchar *escaped = g_strjoinv ("\\|", parts);

  g_string_append_printf (md, "| %s: %s | %s | %s |\n", named->key,
      named->title, status, escaped);
}

static void
write_report (gdouble seconds)
{
  g_autoptr (GHashTable) results = read_results ();
  g_autoptr (GString) md = g_string_new (NULL);
  g_autofree gchar *nginx = package_version ("nginx");
  g_autofree gchar *module = package_version ("libnginx-mod-rtmp");
  g_autofree gchar *ffmpeg = package_version ("ffmpeg");
  g_autofree gchar *rtmpdump = package_version ("rtmpdump");
  g_autofree gchar *stunnel = package_version ("stunnel4");
  g_autofree gchar *tshark = package_version ("tshark");
  g_autofree gchar *bad = package_version ("gstreamer1.0-plugins-bad");
  g_autofree gchar *nms = nms_version ();
  g_autofree gchar *node = node_version ();
  g_autofree gchar *gst = gst_version_string ();
  g_autofree gchar *source_text = interop_source_stream
      ? interop_stream_describe (interop_source_stream)
      : g_strdup ("not made");
  gboolean is_full_run = TRUE;
  Counts counts = { 0 };
  guint t, i;

  for (i = 0; i < cells->len; i++) {
    const Cell *cell = cells->pdata[i];

    if (cell->na == NULL && !cell_was_run (cell))
      is_full_run = FALSE;
  }
  if (g_getenv ("GST_CHECKS") || g_getenv ("GST_CHECKS_IGNORE")
      || g_getenv ("CK_RUN_CASE") || g_getenv ("CK_RUN_SUITE"))
    is_full_run = FALSE;

  g_string_append (md,
      "# Interoperability matrix\n\n"
      "Written by the interop test (`tests/interop/`, suite `interop` of "
      "`scripts/test`; `meson test -C build --suite interop`) on every full "
      "run: do not edit. `INTEROP_CELLS=GLOB,...` (cell names such as "
      "`nginx-sink-src`, `lsource-listen-*`) or `CK_RUN_CASE=nginx` run a "
      "part and write the table to the build directory only. Each server "
      "is started once for its cells and stopped by pid; every process has "
      "a timeout. Every cell publishes a stream and checks what the "
      "player wrote (FLV): every frame's codec data, keyframe flag, "
      "composition time and timestamp relative to the first frame, in "
      "order (frames may be missing only at the start or the end, and here "
      "none may be: each player starts before the publisher where the "
      "server allows it), timestamps that never go back, and sequence "
      "headers (AVCDecoderConfigurationRecord, AudioSpecificConfig) equal "
      "to the source's. The source is made by FFmpeg for each run: ");
  g_string_append_printf (md,
      "%d s of `testsrc2` 320x240 at %d fps in H.264 High with B-frames, a "
      "keyframe every second, and AAC-LC at 44.1 kHz (%s). Publishers send "
      "it in real time: `filesrc ! rtmpsink realtime=true`, `filesrc ! "
      "flvdemux ! flvmux streamable=true ! rtmp2sink` (paced by the "
      "clock), `ffmpeg -re -i FILE -c copy -f flv URL`. Players: `rtmpsrc "
      "! filesink`, `rtmp2src ! filesink` (gst-launch-1.0 -e), `ffmpeg -i "
      "URL -c copy -f flv FILE`, `rtmpdump -v -r URL -o FILE`. What rtmp2sink "
      "publishes is compared with what `flvdemux ! flvmux` makes of the "
      "source (flvmux 1.22 starts the PTS at 0 and clamps the first DTS at "
      "0). Players other than ours may miss the last two frames of a "
      "track (rtmp2src drops what it holds when the server unpublishes); "
      "ours must deliver all.\n\n",
      SOURCE_SECONDS, SOURCE_FPS, source_text);
  g_string_append_printf (md,
      "Peers: nginx %s with libnginx-mod-rtmp %s, FFmpeg %s, rtmpdump %s, "
      "stunnel4 %s, tshark %s, %s (rtmp2 from "
      "gstreamer1.0-plugins-bad %s), node-media-server %s on Node.js %s.\n\n",
      nginx, module, ffmpeg, rtmpdump, stunnel, tshark, gst, bad, nms, node);

  for (t = 0; t < N_TABLES; t++)
    write_table (md, results, t, &counts);

  g_string_append (md,
      "## Our elements with our elements\n\n"
      "| case | result | detail |\n|---|---|---|\n");
  for (i = 0; i < interop_n_named_cases; i++) {
    const gchar *detail;
    const gchar *status;

    if (interop_named_cases[i].section != INTEROP_SECTION_OURS)
      continue;
    status = cell_status (results, interop_named_cases[i].key, NULL, TRUE,
        &detail, &counts);
    append_named_row (md, &interop_named_cases[i], status, detail);
  }
  g_string_append (md,
      "\nRTMP and RTMPS (the two schemes our elements support) are also "
      "covered, ours to ours, by the relay tables above.\n\n"
      "## Protocol check\n\n"
      "tshark captures our element's connection on loopback (capture "
      "filter `tcp port PORT` on `lo`; nginx listens on a second port for "
      "the FFmpeg end, which is not captured; for our server mode every "
      "connection to the relay is captured), decodes it with `-d "
      "tcp.port==PORT,rtmpt` and shows `-Y '" INTEROP_TSHARK_FILTER "'`, which "
      "must show nothing.\n\n| case | result | detail |\n|---|---|---|\n");
  for (i = 0; i < interop_n_named_cases; i++) {
    const gchar *detail;
    const gchar *status;

    if (interop_named_cases[i].section != INTEROP_SECTION_PROTOCOL)
      continue;
    status = cell_status (results, interop_named_cases[i].key, NULL, TRUE,
        &detail, &counts);
    append_named_row (md, &interop_named_cases[i], status, detail);
  }
  g_string_append_printf (md,
      "\n## Totals\n\n%u passed, %u failed, %u not applicable", counts.passed,
      counts.failed, counts.na);
  if (counts.not_run)
    g_string_append_printf (md, ", %u not run", counts.not_run);
  g_string_append_printf (md, " in %.0f s.\n", seconds);

  g_print ("\n%s\n", md->str);
  {
    g_autofree gchar *path = is_full_run
        ? g_strdup (RTMP_INTEROP_DOCS)
        : g_build_filename (RTMP_INTEROP_BUILD_DIR, "interop.md", NULL);
    GError *error = NULL;

    if (!g_file_set_contents (path, md->str, -1, &error)) {
      g_printerr ("cannot write %s: %s\n", path, error->message);
      g_error_free (error);
    } else {
      g_print ("the table was written to %s%s\n", path,
          is_full_run ? "" : " (not a full run: docs/interop.md unchanged)");
    }
  }
}

/* --- the suite --- */

/* One test case per cell of the server's: a loop test over its cells, the
 * server started once around them */
static void
add_cell_case (Suite *suite, ServerKind kind, TFun test, const gchar *test_name,
    void (*setup) (void), void (*teardown) (void))
{
  TCase *tc;

  if (servers[kind].cells->len == 0)
    return;
  tc = tcase_create (servers[kind].id);
  tcase_set_timeout (tc, INTEROP_CASE_TIMEOUT_S);
  tcase_add_unchecked_fixture (tc, setup, teardown);
  _tcase_add_test (tc, test, test_name, 0, 0, 0, servers[kind].cells->len);
  suite_add_tcase (suite, tc);
}

#define ADD_CELL_CASE(suite, kind, name) \
  add_cell_case (suite, kind, name##_cell, #name "_cell", name##_setup, \
      name##_teardown)

static Suite *
interop_suite (void)
{
  Suite *s = suite_create ("interop");

  ADD_CELL_CASE (s, SERVER_NGINX, nginx);
  ADD_CELL_CASE (s, SERVER_NMS, nms);
  ADD_CELL_CASE (s, SERVER_RELAY, relay);
  ADD_CELL_CASE (s, SERVER_FFMPEG_LISTEN, ffmpeg_listen);
  ADD_CELL_CASE (s, SERVER_RTMPS_NGINX, rtmps_nginx);
  ADD_CELL_CASE (s, SERVER_RTMPS_RELAY, rtmps_relay);

  interop_add_named_cases (s);
  return s;
}

int
main (int argc, char **argv)
{
  gint64 start = g_get_monotonic_time ();
  GError *error = NULL;
  SRunner *runner;
  Suite *suite;
  gint n_failed;

  gst_check_init (&argc, &argv);
  results_path
      = g_build_filename (RTMP_INTEROP_BUILD_DIR, "interop-results.txt", NULL);
  g_unlink (results_path);
  make_cells ();
  if (!prepare_media (&error)) {
    interop_setup_error
        = g_strdup_printf ("the media could not be made: %s", error->message);
    g_printerr ("%s\n", interop_setup_error);
    g_clear_error (&error);
  }
  suite = interop_suite ();
  /* CK_VERBOSE, not gst_check_run_suite ()'s CK_NORMAL: a line for every
   * case that passed too, so that scripts/test counts each cell even when
   * some failed */
  runner = srunner_create (suite);
  srunner_run_all (runner, CK_VERBOSE);
  n_failed = srunner_ntests_failed (runner);
  srunner_free (runner);
  write_report ((g_get_monotonic_time () - start) / (gdouble) G_USEC_PER_SEC);
  return n_failed == 0 ? 0 : 1;
}
