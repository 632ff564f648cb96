/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests of rtmpsink mode=server: a live pipeline serves real players
 * (ffprobe, ffmpeg, rtmpdump, rtmp2src) and players made of our protocol
 * layer on loopback: many at once, late joiners, slow players, pause and
 * close, refusals, hostile clients and RTMPS. */

#define _GNU_SOURCE /* memmem */

#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gstrtmpserver.h"
#include "rtmpsession.h"
#include "rtmptestutil.h"

/* ---- helpers: ports, files, processes ---- */

static guint16
pick_port (void)
{
  g_autoptr (GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4,
      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr (GInetAddress) loopback
      = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) local = NULL;

  fail_unless (g_socket_bind (socket, address, TRUE, NULL));
  local = g_socket_get_local_address (socket, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
}

static gchar *
make_temp_dir (void)
{
  GError *error = NULL;
  gchar *dir = g_dir_make_tmp ("rtmp-server-XXXXXX", &error);

  fail_unless (dir != NULL, "%s", error ? error->message : "");
  return dir;
}

static void
remove_dir (const gchar *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  while (d && (name = g_dir_read_name (d)) != NULL) {
    g_autofree gchar *path = g_build_filename (dir, name, NULL);

    g_unlink (path);
  }
  if (d)
    g_dir_close (d);
  g_rmdir (dir);
}

/* A missing peer is a failure, never a skip */
static gchar *
require_program (const gchar *name, const gchar *package)
{
  gchar *path = g_find_program_in_path (name);

  fail_unless (path != NULL, "%s is not installed (Debian package %s)", name,
      package);
  return path;
}

typedef struct
{
  gchar *name;
  GPid pid;
  gboolean reaped;
  gint status;
  gchar *err_path;
} Proc;

/* Starts @argv with stdout to @out_path (nullable: /dev/null) and stderr to
 * a file next to it */
static Proc *
proc_start (const gchar *const *argv, const gchar *out_path,
    const gchar *err_path)
{
  Proc *proc = g_new0 (Proc, 1);
  GError *error = NULL;
  gint out_fd = open (out_path ? out_path : "/dev/null",
      O_WRONLY | O_CREAT | O_TRUNC, 0644);
  gint err_fd = open (err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  gint in_fd = open ("/dev/null", O_RDONLY);

  fail_unless (out_fd >= 0 && err_fd >= 0 && in_fd >= 0);
  proc->name = g_path_get_basename (argv[0]);
  proc->err_path = g_strdup (err_path);
  fail_unless (g_spawn_async_with_fds (NULL, (gchar **) argv, NULL,
                   G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH, NULL, NULL,
                   &proc->pid, in_fd, out_fd, err_fd, &error),
      "could not start %s: %s", argv[0], error ? error->message : "");
  close (in_fd);
  close (out_fd);
  close (err_fd);
  return proc;
}

static gboolean
proc_poll (Proc *proc)
{
  if (!proc->reaped && waitpid (proc->pid, &proc->status, WNOHANG) == proc->pid)
    proc->reaped = TRUE;
  return proc->reaped;
}

/* TRUE when it exited within @timeout_ms */
static gboolean
proc_wait (Proc *proc, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + timeout_ms * (gint64) 1000;

  while (!proc_poll (proc) && g_get_monotonic_time () < end)
    g_usleep (20 * 1000);
  return proc->reaped;
}

/* SIGTERM, SIGKILL after 3 s; always reaps */
static void
proc_stop (Proc *proc)
{
  if (proc_poll (proc))
    return;
  kill (proc->pid, SIGTERM);
  if (!proc_wait (proc, 3000)) {
    kill (proc->pid, SIGKILL);
    waitpid (proc->pid, &proc->status, 0);
    proc->reaped = TRUE;
  }
}

static gboolean
proc_succeeded (Proc *proc)
{
  return proc->reaped && WIFEXITED (proc->status)
      && WEXITSTATUS (proc->status) == 0;
}

static gchar *
proc_dup_stderr (Proc *proc)
{
  gchar *text = NULL;

  g_file_get_contents (proc->err_path, &text, NULL, NULL);
  return text ? text : g_strdup ("");
}

static void
proc_free (Proc *proc)
{
  proc_stop (proc);
  g_spawn_close_pid (proc->pid);
  g_free (proc->name);
  g_free (proc->err_path);
  g_free (proc);
}

/* ffprobe's packets of @input: video/audio counts, whether the first video
 * packet is a keyframe */
typedef struct
{
  guint n_video, n_audio, n_video_key;
  gboolean first_video_is_key;
} Probe;

/* Counts the packets of ffprobe's csv output */
static void
parse_probe (const gchar *out, Probe *probe)
{
  g_auto (GStrv) lines = g_strsplit (out, "\n", -1);
  guint i;

  memset (probe, 0, sizeof (*probe));
  for (i = 0; lines[i]; i++) {
    if (g_str_has_prefix (lines[i], "video,")) {
      gboolean key = lines[i][6] == 'K';

      if (probe->n_video == 0)
        probe->first_video_is_key = key;
      probe->n_video++;
      probe->n_video_key += key;
    } else if (g_str_has_prefix (lines[i], "audio,")) {
      probe->n_audio++;
    }
  }
}

/* ffprobe's arguments for @seconds (0: all) of @input */
#define FFPROBE_ARGV(interval, input) \
  { \
    "ffprobe", "-v", "error", "-read_intervals", interval, "-show_entries", \
        "packet=codec_type,flags", "-of", "csv=p=0", input, NULL \
  }

static gboolean
run_ffprobe (const gchar *input, gdouble seconds, Probe *probe, gchar **log)
{
  g_autofree gchar *interval = g_strdup_printf ("%%+%g", seconds);
  const gchar *argv[] = FFPROBE_ARGV (interval, input);
  g_autofree gchar *out = NULL;
  g_autofree gchar *err = NULL;
  gint status;

  memset (probe, 0, sizeof (*probe));
  if (seconds <= 0)
    argv[3] = argv[4] = "-hide_banner";
  if (!g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL,
          NULL, &out, &err, &status, NULL))
    return FALSE;
  if (log)
    *log = g_strdup (err);
  parse_probe (out, probe);
  return g_spawn_check_wait_status (status, NULL);
}

/* ---- the serving pipeline ---- */

typedef struct
{
  GstElement *pipeline;
  GstElement *sink;
  guint16 port;
  gchar *url;
  GMutex lock;
  GPtrArray *messages; /* GstStructure *: rtmp-client-* */
  gchar *error;
  guint64 buffers; /* reaching the sink */
} Server;

static GstBusSyncReply
on_bus_message (GstBus *bus, GstMessage *message, gpointer user_data)
{
  Server *server = user_data;
  const GstStructure *s = gst_message_get_structure (message);

  g_mutex_lock (&server->lock);
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR
      && server->error == NULL) {
    GError *error = NULL;

    gst_message_parse_error (message, &error, NULL);
    server->error = g_strdup (error->message);
    g_error_free (error);
  } else if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ELEMENT && s
      && g_str_has_prefix (gst_structure_get_name (s), "rtmp-client-")) {
    g_ptr_array_add (server->messages, gst_structure_copy (s));
  }
  g_mutex_unlock (&server->lock);
  return GST_BUS_DROP;
}

static GstPadProbeReturn
count_buffer (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Server *server = user_data;

  g_mutex_lock (&server->lock);
  server->buffers++;
  g_mutex_unlock (&server->lock);
  return GST_PAD_PROBE_OK;
}

/* A live test pattern and tone, H.264 (keyframe every 30 frames at 30 fps)
 * and AAC in FLV, served by rtmpsink mode=server on a free port. Above
 * 1000 kbit/s the picture is noise, so that the encoder reaches the rate. */
static Server *
server_start_full (const gchar *scheme, guint kbps, const gchar *sink_props)
{
  Server *server = g_new0 (Server, 1);
  g_autofree gchar *description = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstPad) pad = NULL;
  GError *error = NULL;

  rtmp_test_assert_plugin_is_ours ();
  g_mutex_init (&server->lock);
  server->messages
      = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_structure_free);
  server->port = pick_port ();
  server->url
      = g_strdup_printf ("%s://127.0.0.1:%u/live/s", scheme, server->port);
  description = g_strdup_printf (
      "videotestsrc is-live=true pattern=%s ! "
      "video/x-raw,width=320,height=240,framerate=30/1 ! "
      "x264enc tune=zerolatency key-int-max=30 speed-preset=ultrafast "
      "bitrate=%u ! flvmux streamable=true name=m ! "
      "rtmpsink name=sink mode=server location=%s %s "
      "audiotestsrc is-live=true ! audioconvert ! voaacenc ! m.",
      kbps > 1000 ? "snow" : "ball", kbps, server->url,
      sink_props ? sink_props : "");
  server->pipeline = gst_parse_launch (description, &error);
  fail_unless (server->pipeline != NULL, "%s", error ? error->message : "");
  server->sink = gst_bin_get_by_name (GST_BIN (server->pipeline), "sink");
  fail_unless (rtmp_test_element_is_ours (server->sink),
      "rtmpsink is not ours");
  pad = gst_element_get_static_pad (server->sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_buffer, server,
      NULL);
  bus = gst_element_get_bus (server->pipeline);
  gst_bus_set_sync_handler (bus, on_bus_message, server, NULL);
  fail_if (gst_element_set_state (server->pipeline, GST_STATE_PLAYING)
      == GST_STATE_CHANGE_FAILURE);
  return server;
}

static Server *
server_start (const gchar *sink_props)
{
  return server_start_full ("rtmp", 500, sink_props);
}

static void
server_assert_no_error (Server *server)
{
  g_mutex_lock (&server->lock);
  fail_unless (server->error == NULL, "pipeline error: %s", server->error);
  g_mutex_unlock (&server->lock);
}

static void
server_free (Server *server)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (server->pipeline);

  gst_element_set_state (server->pipeline, GST_STATE_NULL);
  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  gst_object_unref (server->sink);
  gst_object_unref (server->pipeline);
  g_ptr_array_unref (server->messages);
  g_free (server->error);
  g_free (server->url);
  g_mutex_clear (&server->lock);
  g_free (server);
}

/* rtmp-client-@what messages so far, and optionally one whose reason or
 * code contains @text */
static guint
server_count_messages (Server *server, const gchar *what, const gchar *text)
{
  g_autofree gchar *name = g_strdup_printf ("rtmp-client-%s", what);
  guint i, n = 0;

  g_mutex_lock (&server->lock);
  for (i = 0; i < server->messages->len; i++) {
    const GstStructure *s = server->messages->pdata[i];
    const gchar *reason = gst_structure_get_string (s, "reason");
    const gchar *code = gst_structure_get_string (s, "code");

    if (!gst_structure_has_name (s, name))
      continue;
    if (text == NULL || (reason && strstr (reason, text))
        || (code && strstr (code, text)))
      n++;
  }
  g_mutex_unlock (&server->lock);
  return n;
}

/* Waits up to 3 s for @n such messages; returns how many there are */
static guint
server_wait_messages (Server *server, const gchar *what, const gchar *text,
    guint n)
{
  gint64 end = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;
  guint count;

  while ((count = server_count_messages (server, what, text)) < n
      && g_get_monotonic_time () < end)
    g_usleep (10 * 1000);
  return count;
}

/* Connections reported closed over the pending cap ("count" fields) */
static guint
server_sum_counts (Server *server)
{
  guint i, sum = 0, count;

  g_mutex_lock (&server->lock);
  for (i = 0; i < server->messages->len; i++) {
    const GstStructure *s = server->messages->pdata[i];

    if (gst_structure_has_name (s, "rtmp-client-refused")
        && gst_structure_get_uint (s, "count", &count))
      sum += count;
  }
  g_mutex_unlock (&server->lock);
  return sum;
}

static guint64
server_get_buffers (Server *server)
{
  guint64 n;

  g_mutex_lock (&server->lock);
  n = server->buffers;
  g_mutex_unlock (&server->lock);
  return n;
}

static GstStructure *
server_get_stats (Server *server)
{
  GstStructure *stats = NULL;

  g_object_get (server->sink, "stats", &stats, NULL);
  fail_unless (stats != NULL);
  return stats;
}

static guint
server_get_n_clients (Server *server)
{
  g_autoptr (GstStructure) stats = server_get_stats (server);
  guint n = 0;

  fail_unless (gst_structure_get_uint (stats, "n-clients", &n));
  return n;
}

/* ---- players made of our protocol layer, driven from the test thread ---- */

typedef struct
{
  gchar *name;
  GSocket *socket;
  RtmpSession *session;
  gboolean reading; /* FALSE: a stalled player that reads nothing */
  gboolean closed;
  gchar *error;
  gboolean connected, playing;
  GPtrArray *codes; /* status codes received */
  guint n_video, n_audio, n_metadata, n_video_key;
  gboolean saw_video_header, saw_audio_header;
  gboolean headers_first;  /* metadata and headers before frames */
  gint first_video_is_key; /* -1 unknown */
  gint64 last_video_us, max_video_gap_us;
  guint64 bytes;
} Player;

static Player *
player_new_family (GSocketFamily family, guint16 port, const gchar *app,
    const gchar *stream, RtmpSessionIntent intent, gint rcvbuf)
{
  Player *p = g_new0 (Player, 1);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (family);
  g_autoptr (GSocketAddress) address
      = g_inet_socket_address_new (loopback, port);
  g_autofree gchar *tc_url
      = g_strdup_printf ("rtmp://127.0.0.1:%u/%s", port, app);
  guint8 random[RTMP_SESSION_RANDOM_SIZE];
  RtmpSessionConfig config;
  GError *error = NULL;
  guint i;

  p->name = g_strdup (stream);
  p->reading = TRUE;
  p->headers_first = TRUE;
  p->first_video_is_key = -1;
  p->codes = g_ptr_array_new_with_free_func (g_free);
  p->socket = g_socket_new (family, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
      NULL);
  if (rcvbuf > 0)
    g_socket_set_option (p->socket, SOL_SOCKET, SO_RCVBUF, rcvbuf, NULL);
  fail_unless (g_socket_connect (p->socket, address, NULL, &error), "%s",
      error ? error->message : "");
  g_socket_set_blocking (p->socket, FALSE);

  for (i = 0; i < sizeof (random); i++)
    random[i] = g_random_int_range (0, 256);
  rtmp_session_config_init (&config, RTMP_SESSION_ROLE_CLIENT);
  config.random = random;
  config.now_us = g_get_monotonic_time ();
  config.client.app = app;
  config.client.tc_url = tc_url;
  config.client.intent = intent;
  config.client.stream_name = stream;
  config.client.buffer_length_ms = 500;
  p->session = rtmp_session_new (&config);
  fail_unless (p->session != NULL);
  return p;
}

static Player *
player_new_full (guint16 port, const gchar *app, const gchar *stream,
    RtmpSessionIntent intent, gint rcvbuf)
{
  return player_new_family (G_SOCKET_FAMILY_IPV4, port, app, stream, intent,
      rcvbuf);
}

static Player *
player_new_v6 (guint16 port, const gchar *stream)
{
  return player_new_family (G_SOCKET_FAMILY_IPV6, port, "live", stream,
      RTMP_SESSION_INTENT_PLAY, 0);
}

static Player *
player_new (guint16 port, const gchar *stream)
{
  return player_new_full (port, "live", stream, RTMP_SESSION_INTENT_PLAY, 0);
}

static void
player_free (Player *p)
{
  g_socket_close (p->socket, NULL);
  g_object_unref (p->socket);
  rtmp_session_free (p->session);
  g_ptr_array_unref (p->codes);
  g_free (p->error);
  g_free (p->name);
  g_free (p);
}

static void
player_fail (Player *p, const gchar *what)
{
  if (!p->closed)
    p->error = g_strdup (what);
  p->closed = TRUE;
}

static gboolean
player_has_code (Player *p, const gchar *code)
{
  guint i;

  for (i = 0; i < p->codes->len; i++) {
    if (g_str_equal (p->codes->pdata[i], code))
      return TRUE;
  }
  return FALSE;
}

static void
player_media (Player *p, const RtmpMessage *message)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (message->payload, &len);
  gint64 now = g_get_monotonic_time ();

  if (message->type == RTMP_MESSAGE_VIDEO && len >= 2) {
    gboolean key = (data[0] >> 4) == 1;

    if ((data[0] & 0x0f) == 7 && data[1] == 0) {
      p->saw_video_header = TRUE;
      return;
    }
    if (!p->saw_video_header || p->n_metadata == 0)
      p->headers_first = FALSE;
    if (p->first_video_is_key < 0)
      p->first_video_is_key = key;
    if (p->last_video_us)
      p->max_video_gap_us = MAX (p->max_video_gap_us, now - p->last_video_us);
    p->last_video_us = now;
    p->n_video++;
    p->n_video_key += key;
  } else if (message->type == RTMP_MESSAGE_AUDIO && len >= 2) {
    if ((data[0] >> 4) == 10 && data[1] == 0) {
      p->saw_audio_header = TRUE;
      return;
    }
    if (!p->saw_audio_header || p->n_metadata == 0)
      p->headers_first = FALSE;
    p->n_audio++;
  } else if (message->type == RTMP_MESSAGE_DATA_AMF0) {
    if (memmem (data, len, "onMetaData", 10) != NULL)
      p->n_metadata++;
  }
}

/* Writes, reads and handles events without blocking */
static void
player_step (Player *p)
{
  RtmpSessionEvent event;
  GError *error = NULL;

  if (p->closed)
    return;
  for (;;) {
    RtmpOutputVector vectors[16];
    GOutputVector out[16];
    guint n = rtmp_session_peek_output (p->session, vectors, 16), i;
    gssize sent;

    if (n == 0)
      break;
    for (i = 0; i < n; i++) {
      out[i].buffer = vectors[i].data;
      out[i].size = vectors[i].len;
    }
    sent = g_socket_send_message (p->socket, NULL, out, n, NULL, 0, 0, NULL,
        &error);
    if (sent < 0) {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        player_fail (p, error->message);
      g_clear_error (&error);
      break;
    }
    rtmp_session_consume_output (p->session, sent);
  }
  while (p->reading && !p->closed) {
    guint8 buffer[65536];
    gssize n = g_socket_receive (p->socket, (gchar *) buffer, sizeof (buffer),
        NULL, &error);

    if (n < 0) {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        player_fail (p, error->message);
      g_clear_error (&error);
      break;
    }
    if (n == 0) {
      player_fail (p, "closed by the server");
      break;
    }
    p->bytes += n;
    if (!rtmp_session_receive (p->session, buffer, n, g_get_monotonic_time (),
            &error)) {
      player_fail (p, error->message);
      g_clear_error (&error);
    }
  }
  while (rtmp_session_next_event (p->session, &event)) {
    switch (event.type) {
      case RTMP_SESSION_EVENT_CONNECTED:
        p->connected = TRUE;
        break;
      case RTMP_SESSION_EVENT_PLAYING:
      case RTMP_SESSION_EVENT_PUBLISHING:
        p->playing = TRUE;
        break;
      case RTMP_SESSION_EVENT_STATUS:
        g_ptr_array_add (p->codes, g_strdup (event.code ? event.code : ""));
        break;
      case RTMP_SESSION_EVENT_MEDIA:
        player_media (p, event.message);
        break;
      default:
        break;
    }
    rtmp_session_event_clear (&event);
  }
}

typedef gboolean (*UntilFunc) (GPtrArray *players, gpointer data);

/* Drives @players for @ms or until @until says so (TRUE then) */
static gboolean
players_run (GPtrArray *players, guint ms, UntilFunc until, gpointer data)
{
  gint64 end = g_get_monotonic_time () + ms * (gint64) 1000;
  struct pollfd *fds = g_new0 (struct pollfd, MAX (players->len, 1));

  while (g_get_monotonic_time () < end) {
    guint i;

    for (i = 0; i < players->len; i++)
      player_step (players->pdata[i]);
    if (until && until (players, data)) {
      g_free (fds);
      return TRUE;
    }
    for (i = 0; i < players->len; i++) {
      Player *p = players->pdata[i];

      fds[i].fd = g_socket_get_fd (p->socket);
      fds[i].events = (p->reading && !p->closed ? POLLIN : 0)
          | (rtmp_session_get_output_size (p->session) > 0 ? POLLOUT : 0);
      fds[i].revents = 0;
    }
    poll (fds, players->len, 10);
  }
  g_free (fds);
  return until == NULL;
}

static gboolean
all_playing_with_video (GPtrArray *players, gpointer data)
{
  guint i, min_video = GPOINTER_TO_UINT (data);

  for (i = 0; i < players->len; i++) {
    Player *p = players->pdata[i];

    if (p->closed || !p->playing || p->n_video < min_video)
      return FALSE;
  }
  return TRUE;
}

static gboolean
all_closed (GPtrArray *players, gpointer data)
{
  guint i;

  for (i = 0; i < players->len; i++) {
    if (!((Player *) players->pdata[i])->closed)
      return FALSE;
  }
  return TRUE;
}

static gboolean
all_connected (GPtrArray *players, gpointer data)
{
  guint i;

  for (i = 0; i < players->len; i++) {
    if (!((Player *) players->pdata[i])->connected)
      return FALSE;
  }
  return TRUE;
}

static GPtrArray *
players_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) player_free);
}

/* A player that must play video frames, started at a keyframe after the
 * metadata and sequence headers */
static void
assert_played_cleanly (Player *p, guint min_video)
{
  fail_unless (p->playing, "%s: not playing (%s)", p->name,
      p->error ? p->error : "no error");
  fail_unless (p->n_video >= min_video, "%s: %u video frames, expected %u",
      p->name, p->n_video, min_video);
  fail_unless (p->first_video_is_key == 1, "%s: started at a delta frame",
      p->name);
  fail_unless (p->headers_first,
      "%s: a frame came before the metadata and sequence headers "
      "(metadata %u, video header %d, audio header %d)",
      p->name, p->n_metadata, p->saw_video_header, p->saw_audio_header);
  fail_unless (p->n_audio > 0, "%s: no audio", p->name);
}

/* ---- tests ---- */

/* ffprobe, ffmpeg, rtmpdump, rtmp2src and our rtmpsrc play the stream at
 * once. Both flvdemux pads are linked: with video alone linked, a stream
 * whose first tag after the header is audio stops flvdemux as not-linked
 * before the video pad exists. */
static void
on_rtmp2_handoff (GstElement *fakesink, GstBuffer *buffer, GstPad *pad,
    gpointer user_data)
{
  gint *counts = user_data; /* [frames, first is key (1) or not (0)] */

  if (counts[0] == 0)
    counts[1]
        = GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT) ? 0 : 1;
  g_atomic_int_inc (&counts[0]);
}

GST_START_TEST (test_real_players_at_once)
{
  Server *server = server_start (NULL);
  g_autofree gchar *dir = make_temp_dir ();
  g_autofree gchar *ffmpeg_out = g_build_filename (dir, "ffmpeg.flv", NULL);
  g_autofree gchar *rtmpdump_out = g_build_filename (dir, "rtmpdump.flv", NULL);
  g_autofree gchar *ffmpeg_err = g_build_filename (dir, "ffmpeg.err", NULL);
  g_autofree gchar *rtmpdump_err = g_build_filename (dir, "rtmpdump.err", NULL);
  g_autofree gchar *ffprobe_path = require_program ("ffprobe", "ffmpeg");
  g_autofree gchar *ffmpeg_path = require_program ("ffmpeg", "ffmpeg");
  g_autofree gchar *rtmpdump_path = require_program ("rtmpdump", "rtmpdump");
  const gchar *ffmpeg_argv[] = { ffmpeg_path, "-v", "error", "-y", "-i",
    server->url, "-t", "3", "-c", "copy", ffmpeg_out, NULL };
  const gchar *rtmpdump_argv[] = { rtmpdump_path, "-q", "--live", "-r",
    server->url, "-o", rtmpdump_out, NULL };
  g_autofree gchar *ffprobe_out = g_build_filename (dir, "ffprobe.csv", NULL);
  g_autofree gchar *ffprobe_err = g_build_filename (dir, "ffprobe.err", NULL);
  const gchar *ffprobe_argv[] = FFPROBE_ARGV ("%+3", server->url);
  g_autofree gchar *probe_text = NULL;
  Proc *ffprobe;
  g_autofree gchar *rtmp2_description = g_strdup_printf (
      "rtmp2src location=%s ! flvdemux name=d d.video ! queue ! "
      "fakesink name=v signal-handoffs=true sync=false "
      "d.audio ! queue ! fakesink sync=false",
      server->url);
  GstElement *rtmp2 = gst_parse_launch (rtmp2_description, NULL);
  g_autofree gchar *ours_description = g_strdup_printf (
      "rtmpsrc name=src location=%s ! flvdemux name=d d.video ! queue ! "
      "fakesink name=v signal-handoffs=true sync=false "
      "d.audio ! queue ! fakesink sync=false",
      server->url);
  GstElement *ours = gst_parse_launch (ours_description, NULL);
  gint ours_counts[2] = { 0, -1 };
  GstElement *fakesink, *src;
  gint rtmp2_counts[2] = { 0, -1 };
  Proc *ffmpeg, *rtmpdump;
  Probe live, probe;
  g_autofree gchar *log = NULL;
  g_autofree gchar *err = NULL;
  guint max_clients = 0;
  gint64 end;

  fail_unless (rtmp2 != NULL, "rtmp2src is missing (gstreamer1.0-plugins-bad)");
  fakesink = gst_bin_get_by_name (GST_BIN (rtmp2), "v");
  g_signal_connect (fakesink, "handoff", G_CALLBACK (on_rtmp2_handoff),
      rtmp2_counts);
  gst_object_unref (fakesink);
  fail_unless (ours != NULL);
  src = gst_bin_get_by_name (GST_BIN (ours), "src");
  fail_unless (rtmp_test_element_is_ours (src), "rtmpsrc is not ours");
  gst_object_unref (src);
  fakesink = gst_bin_get_by_name (GST_BIN (ours), "v");
  g_signal_connect (fakesink, "handoff", G_CALLBACK (on_rtmp2_handoff),
      ours_counts);
  gst_object_unref (fakesink);

  /* all four at once */
  ffprobe = proc_start (ffprobe_argv, ffprobe_out, ffprobe_err);
  ffmpeg = proc_start (ffmpeg_argv, NULL, ffmpeg_err);
  rtmpdump = proc_start (rtmpdump_argv, NULL, rtmpdump_err);
  fail_if (gst_element_set_state (rtmp2, GST_STATE_PLAYING)
      == GST_STATE_CHANGE_FAILURE);
  fail_if (gst_element_set_state (ours, GST_STATE_PLAYING)
      == GST_STATE_CHANGE_FAILURE);
  end = g_get_monotonic_time () + 2500 * G_TIME_SPAN_MILLISECOND;
  while (g_get_monotonic_time () < end) {
    max_clients = MAX (max_clients, server_get_n_clients (server));
    g_usleep (50 * 1000);
  }
  fail_unless (proc_wait (ffprobe, 15000), "ffprobe did not finish");
  fail_unless (proc_wait (ffmpeg, 15000), "ffmpeg did not finish");
  proc_stop (rtmpdump);
  gst_element_set_state (rtmp2, GST_STATE_NULL);
  gst_object_unref (rtmp2);
  gst_element_set_state (ours, GST_STATE_NULL);
  gst_object_unref (ours);

  log = proc_dup_stderr (ffprobe);
  fail_unless (proc_succeeded (ffprobe), "ffprobe failed: %s", log);
  fail_unless (g_file_get_contents (ffprobe_out, &probe_text, NULL, NULL));
  parse_probe (probe_text, &live);
  fail_unless (live.n_video >= 30 && live.first_video_is_key,
      "ffprobe: %u video packets, first key %d", live.n_video,
      live.first_video_is_key);
  fail_unless (live.n_audio > 0);

  err = proc_dup_stderr (ffmpeg);
  fail_unless (proc_succeeded (ffmpeg), "ffmpeg failed: %s", err);
  fail_unless (run_ffprobe (ffmpeg_out, 0, &probe, NULL));
  fail_unless (probe.n_video >= 60 && probe.first_video_is_key,
      "ffmpeg's copy: %u video packets, first key %d", probe.n_video,
      probe.first_video_is_key);
  fail_unless (probe.n_audio > 0);

  fail_unless (run_ffprobe (rtmpdump_out, 0, &probe, NULL));
  fail_unless (probe.n_video >= 60 && probe.first_video_is_key,
      "rtmpdump's file: %u video packets, first key %d", probe.n_video,
      probe.first_video_is_key);

  fail_unless (rtmp2_counts[0] >= 60, "rtmp2src: %d video frames",
      rtmp2_counts[0]);
  fail_unless_equals_int (rtmp2_counts[1], 1);
  fail_unless (ours_counts[0] >= 60, "rtmpsrc: %d video frames",
      ours_counts[0]);
  fail_unless_equals_int (ours_counts[1], 1);

  /* ffprobe, ffmpeg, rtmpdump, rtmp2src and our rtmpsrc played at once */
  fail_unless (max_clients == 5, "at most %u clients at once", max_clients);
  fail_unless (server_wait_messages (server, "connected", NULL, 5) >= 5);
  server_assert_no_error (server);

  proc_free (ffprobe);
  proc_free (ffmpeg);
  proc_free (rtmpdump);
  remove_dir (dir);
  server_free (server);
}

GST_END_TEST;

#define N_MANY 50

/* 50 players at once, each from the start of a GOP */
GST_START_TEST (test_fifty_players)
{
  Server *server = server_start ("max-clients=60");
  g_autoptr (GPtrArray) players = players_new ();
  g_autoptr (GstStructure) stats = NULL;
  const GValue *clients;
  guint i;

  for (i = 0; i < N_MANY; i++)
    g_ptr_array_add (players, player_new (server->port, "s"));
  fail_unless (players_run (players, 20000, all_playing_with_video,
                   GUINT_TO_POINTER (60)),
      "not all %u players got 60 frames", N_MANY);
  for (i = 0; i < N_MANY; i++)
    assert_played_cleanly (players->pdata[i], 60);

  stats = server_get_stats (server);
  clients = gst_structure_get_value (stats, "clients");
  fail_unless (clients != NULL);
  fail_unless_equals_int (gst_value_array_get_size (clients), N_MANY);
  for (i = 0; i < N_MANY; i++) {
    const GstStructure *client
        = gst_value_get_structure (gst_value_array_get_value (clients, i));
    guint64 out_bytes = 0;

    fail_unless (
        gst_structure_get_uint64 (client, "out-bytes-total", &out_bytes));
    fail_unless (out_bytes > 50000);
    fail_unless (g_str_has_prefix (gst_structure_get_string (client, "address"),
        "127.0.0.1:"));
    fail_unless_equals_string (gst_structure_get_string (client, "stream"),
        "s");
  }
  fail_unless_equals_int (
      server_wait_messages (server, "connected", NULL, N_MANY), N_MANY);

  g_ptr_array_set_size (players, 0);
  for (i = 0; i < 50 && server_get_n_clients (server) > 0; i++)
    g_usleep (100 * 1000);
  fail_unless_equals_int (server_get_n_clients (server), 0);
  fail_unless_equals_int (
      server_wait_messages (server, "disconnected", NULL, N_MANY), N_MANY);
  server_assert_no_error (server);
  server_free (server);
}

GST_END_TEST;

/* A player joining mid-GOP gets metadata and sequence headers first and
 * starts at the cached keyframe, at once */
GST_START_TEST (test_late_joiner_starts_at_keyframe)
{
  Server *server = server_start (NULL);
  g_autoptr (GPtrArray) players = players_new ();
  Player *late;
  gint64 start;

  g_ptr_array_add (players, player_new (server->port, "s"));
  fail_unless (players_run (players, 10000, all_playing_with_video,
      GUINT_TO_POINTER (45)));
  /* 45 frames in: the middle of the second GOP */
  late = player_new (server->port, "s");
  g_ptr_array_add (players, late);
  start = g_get_monotonic_time ();
  fail_unless (players_run (players, 10000, all_playing_with_video,
      GUINT_TO_POINTER (1)));
  /* from the GOP cache: no wait for the next keyframe (1 s away) */
  fail_unless (late->last_video_us - start < 500 * 1000,
      "the first frame took %" G_GINT64_FORMAT " ms",
      (late->last_video_us - start) / 1000);
  fail_unless (players_run (players, 5000, all_playing_with_video,
      GUINT_TO_POINTER (60)));
  assert_played_cleanly (players->pdata[0], 60);
  assert_played_cleanly (late, 60);
  fail_unless_equals_int (late->n_metadata, 1);
  server_assert_no_error (server);
  server_free (server);
}

GST_END_TEST;

/* Without a GOP cache, a late player waits for the next keyframe */
GST_START_TEST (test_late_joiner_without_cache)
{
  Server *server = server_start ("gop-cache-bytes=0");
  g_autoptr (GPtrArray) players = players_new ();

  g_ptr_array_add (players, player_new (server->port, "s"));
  fail_unless (players_run (players, 10000, all_playing_with_video,
      GUINT_TO_POINTER (45)));
  g_ptr_array_add (players, player_new (server->port, "s"));
  fail_unless (players_run (players, 10000, all_playing_with_video,
      GUINT_TO_POINTER (40)));
  assert_played_cleanly (players->pdata[1], 40);
  server_assert_no_error (server);
  server_free (server);
}

GST_END_TEST;

/* A player that reads nothing delays neither the pipeline nor the others;
 * it loses whole GOPs or is disconnected */
static Player *
player_for (Server *server, gint rcvbuf)
{
  return player_new_full (server->port, "live", "s", RTMP_SESSION_INTENT_PLAY,
      rcvbuf);
}

static void
run_slow_player (const gchar *policy, gboolean expect_disconnect)
{
  g_autofree gchar *props = g_strdup_printf (
      "slow-client-policy=%s gop-cache-bytes=262144", policy);
  Server *server = server_start_full ("rtmp", 4000, props);
  g_autoptr (GPtrArray) players = players_new ();
  g_autoptr (GstStructure) stats = NULL;
  Player *stalled, *normal;
  guint64 buffers_before, buffers_after;
  gint64 start, elapsed_us;
  gdouble rate;
  const GValue *clients;
  guint i;

  stalled = player_for (server, 4096);
  normal = player_for (server, 0);
  g_ptr_array_add (players, stalled);
  g_ptr_array_add (players, normal);
  fail_unless (players_run (players, 10000, all_playing_with_video,
      GUINT_TO_POINTER (1)));

  /* from now on one reads nothing */
  stalled->reading = FALSE;
  normal->max_video_gap_us = 0;
  buffers_before = server_get_buffers (server);
  start = g_get_monotonic_time ();
  players_run (players, 8000, NULL, NULL);
  elapsed_us = g_get_monotonic_time () - start;
  buffers_after = server_get_buffers (server);

  /* the pipeline ran at its own pace: 30 video buffers a second and audio
   * (flvmux outputs a buffer per tag) */
  rate = (buffers_after - buffers_before) * (gdouble) G_USEC_PER_SEC
      / elapsed_us;
  GST_INFO ("pipeline: %.1f buffers/s; normal player: max gap %" G_GINT64_FORMAT
            " ms, %u frames",
      rate, normal->max_video_gap_us / 1000, normal->n_video);
  fail_unless (rate > 60, "the pipeline slowed down to %.1f buffers/s", rate);
  fail_unless (normal->max_video_gap_us < 400 * 1000,
      "the normal player waited %" G_GINT64_FORMAT " ms for a frame",
      normal->max_video_gap_us / 1000);
  assert_played_cleanly (normal, 200);
  fail_unless (!normal->closed, "%s", normal->error);

  stats = server_get_stats (server);
  if (expect_disconnect) {
    guint64 too_slow = 0;

    fail_unless (
        server_wait_messages (server, "disconnected", "too slow", 1) == 1);
    fail_unless (
        gst_structure_get_uint64 (stats, "clients-too-slow", &too_slow));
    fail_unless_equals_int (too_slow, 1);
    fail_unless_equals_int (server_get_n_clients (server), 1);
  } else {
    gboolean found = FALSE;

    clients = gst_structure_get_value (stats, "clients");
    for (i = 0; i < gst_value_array_get_size (clients); i++) {
      const GstStructure *client
          = gst_value_get_structure (gst_value_array_get_value (clients, i));
      guint64 gops = 0, dropped = 0;

      gst_structure_get_uint64 (client, "dropped-gops", &gops);
      gst_structure_get_uint64 (client, "dropped-frames", &dropped);
      if (gops > 0) {
        found = TRUE;
        fail_unless (dropped > 0);
        GST_INFO ("stalled player: %" G_GUINT64_FORMAT
                  " GOPs, %" G_GUINT64_FORMAT " frames dropped",
            gops, dropped);
      }
    }
    fail_unless (found, "no player lost a GOP: %s",
        gst_structure_to_string (stats));
    fail_unless_equals_int (server_get_n_clients (server), 2);
  }
  server_assert_no_error (server);
  g_ptr_array_set_size (players, 0);
  server_free (server);
}

GST_START_TEST (test_slow_player_drops_gops)
{
  run_slow_player ("drop-gop", FALSE);
}

GST_END_TEST;

GST_START_TEST (test_slow_player_disconnected)
{
  run_slow_player ("disconnect", TRUE);
}

GST_END_TEST;

/* pause stops the media, unpause resumes it at a keyframe; closeStream
 * ends the player */
GST_START_TEST (test_pause_and_close)
{
  Server *server = server_start (NULL);
  g_autoptr (GPtrArray) players = players_new ();
  Player *p = player_new (server->port, "s");
  guint frames;

  g_ptr_array_add (players, p);
  fail_unless (players_run (players, 10000, all_playing_with_video,
      GUINT_TO_POINTER (10)));
  rtmp_session_pause (p->session, TRUE, 0);
  players_run (players, 500, NULL, NULL);
  fail_unless (player_has_code (p, "NetStream.Pause.Notify"));
  frames = p->n_video;
  players_run (players, 1000, NULL, NULL);
  fail_unless_equals_int (p->n_video, frames);

  rtmp_session_pause (p->session, FALSE, 0);
  p->first_video_is_key = -1;
  fail_unless (players_run (players, 5000, all_playing_with_video,
      GUINT_TO_POINTER (frames + 10)));
  fail_unless (player_has_code (p, "NetStream.Unpause.Notify"));
  fail_unless_equals_int (p->first_video_is_key, 1);

  /* closeStream: the player leaves, its connection may stay */
  rtmp_session_stop (p->session, RTMP_STOP_COMMANDS_CLOSE_STREAM);
  players_run (players, 1000, NULL, NULL);
  fail_unless_equals_int (server_get_n_clients (server), 0);
  fail_unless_equals_int (
      server_wait_messages (server, "disconnected", "closeStream", 1), 1);
  /* one stream per connection: the server closes it soon after */
  fail_unless (players_run (players, 4000, all_closed, NULL),
      "the connection stayed open after its stream ended");
  server_assert_no_error (server);
  server_free (server);
}

GST_END_TEST;

/* play with any start value: -2 (live or recorded), -1 (live), 0, 5000 */
GST_START_TEST (test_play_any_start)
{
  Server *server = server_start (NULL);
  g_autoptr (GPtrArray) players = players_new ();
  const gdouble starts[]
      = { RTMP_PLAY_START_ANY, RTMP_PLAY_START_LIVE, 0, 5000 };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (starts); i++) {
    g_autofree gchar *tc_url
        = g_strdup_printf ("rtmp://127.0.0.1:%u/live", server->port);
    Player *p = player_new (server->port, "s");
    guint8 random[RTMP_SESSION_RANDOM_SIZE] = { 0 };
    RtmpSessionConfig config;

    /* the same player with another start value */
    rtmp_session_free (p->session);
    rtmp_session_config_init (&config, RTMP_SESSION_ROLE_CLIENT);
    config.random = random;
    config.now_us = g_get_monotonic_time ();
    config.client.app = "live";
    config.client.tc_url = tc_url;
    config.client.intent = RTMP_SESSION_INTENT_PLAY;
    config.client.stream_name = "s";
    config.client.play_start_ms = starts[i];
    p->session = rtmp_session_new (&config);
    g_ptr_array_add (players, p);
  }
  fail_unless (players_run (players, 10000, all_playing_with_video,
      GUINT_TO_POINTER (20)));
  for (i = 0; i < players->len; i++)
    assert_played_cleanly (players->pdata[i], 20);
  server_assert_no_error (server);
  server_free (server);
}

GST_END_TEST;

/* Wrong stream key: StreamNotFound and a close; ffprobe fails too */
GST_START_TEST (test_wrong_stream_key)
{
  Server *server = server_start (NULL);
  g_autoptr (GPtrArray) players = players_new ();
  g_autofree gchar *url
      = g_strdup_printf ("rtmp://127.0.0.1:%u/live/nope", server->port);
  Player *p = player_new (server->port, "nope?token=1");
  Probe probe;

  g_ptr_array_add (players, p);
  fail_unless (players_run (players, 5000, all_closed, NULL));
  fail_unless (player_has_code (p, "NetStream.Play.StreamNotFound"));
  fail_if (p->playing);
  fail_unless (
      server_count_messages (server, "refused", "NetStream.Play.StreamNotFound")
      == 1);

  fail_if (run_ffprobe (url, 1, &probe, NULL));
  fail_unless_equals_int (probe.n_video, 0);
  /* the key's query string does not matter */
  g_ptr_array_set_size (players, 0);
  g_ptr_array_add (players, player_new (server->port, "s?token=abc"));
  fail_unless (players_run (players, 10000, all_playing_with_video,
      GUINT_TO_POINTER (5)));
  server_assert_no_error (server);
  server_free (server);
}

GST_END_TEST;

/* Wrong application: connect is rejected and the connection closed */
GST_START_TEST (test_wrong_app)
{
  Server *server = server_start (NULL);
  g_autoptr (GPtrArray) players = players_new ();
  Player *p = player_new_full (server->port, "other", "s",
      RTMP_SESSION_INTENT_PLAY, 0);

  g_ptr_array_add (players, p);
  fail_unless (players_run (players, 5000, all_closed, NULL));
  fail_if (p->connected);
  fail_unless (p->error && strstr (p->error, "NetConnection.Connect.Rejected"),
      "%s", p->error);
  fail_unless (server_count_messages (server, "refused",
                   "NetConnection.Connect.Rejected")
      == 1);
  server_assert_no_error (server);
  server_free (server);
}

GST_END_TEST;

/* max-clients: one more is refused with NetStream.Play.Failed */
GST_START_TEST (test_max_clients)
{
  Server *server = server_start ("max-clients=2");
  g_autoptr (GPtrArray) players = players_new ();
  g_autoptr (GPtrArray) third = players_new ();
  g_autoptr (GstStructure) stats = NULL;
  guint64 refused = 0;
  Player *p;

  g_ptr_array_add (players, player_new (server->port, "s"));
  g_ptr_array_add (players, player_new (server->port, "s"));
  fail_unless (players_run (players, 10000, all_playing_with_video,
      GUINT_TO_POINTER (5)));
  p = player_new (server->port, "s");
  g_ptr_array_add (third, p);
  fail_unless (players_run (third, 5000, all_closed, NULL));
  fail_unless (player_has_code (p, "NetStream.Play.Failed"));
  stats = server_get_stats (server);
  fail_unless (gst_structure_get_uint64 (stats, "clients-refused", &refused));
  fail_unless_equals_int (refused, 1);
  fail_unless_equals_int (server_get_n_clients (server), 2);
  server_assert_no_error (server);
  server_free (server);
}

GST_END_TEST;

/* Two sinks of two pipelines share one port; the same route twice is an
 * error */
GST_START_TEST (test_shared_listener)
{
  Server *server = server_start (NULL);
  g_autofree gchar *description = g_strdup_printf (
      "audiotestsrc is-live=true ! audioconvert ! voaacenc ! "
      "flvmux streamable=true ! rtmpsink name=sink mode=server "
      "location=rtmp://127.0.0.1:%u/radio/a",
      server->port);
  g_autofree gchar *same
      = g_strdup_printf ("fakesrc ! rtmpsink mode=server "
                         "location=rtmp://127.0.0.1:%u/live/s",
          server->port);
  GstElement *radio = gst_parse_launch (description, NULL);
  GstElement *twin = gst_parse_launch (same, NULL);
  g_autoptr (GPtrArray) players = players_new ();
  Player *listener;

  fail_unless (gst_element_set_state (radio, GST_STATE_PLAYING)
      != GST_STATE_CHANGE_FAILURE);
  fail_unless (gst_element_set_state (twin, GST_STATE_PLAYING)
      == GST_STATE_CHANGE_FAILURE);
  gst_element_set_state (twin, GST_STATE_NULL);
  gst_object_unref (twin);

  g_ptr_array_add (players, player_new (server->port, "s"));
  listener = player_new_full (server->port, "radio", "a",
      RTMP_SESSION_INTENT_PLAY, 0);
  g_ptr_array_add (players, listener);
  players_run (players, 3000, NULL, NULL);
  assert_played_cleanly (players->pdata[0], 30);
  fail_unless (listener->playing && listener->n_audio > 20
          && listener->n_video == 0,
      "radio: %u audio", listener->n_audio);

  /* the first pipeline going away keeps the port open for the other */
  gst_element_set_state (radio, GST_STATE_NULL);
  gst_object_unref (radio);
  g_ptr_array_set_size (players, 0);
  g_ptr_array_add (players, player_new (server->port, "s"));
  fail_unless (players_run (players, 10000, all_playing_with_video,
      GUINT_TO_POINTER (5)));
  server_assert_no_error (server);
  server_free (server);
}

GST_END_TEST;

/* The element on an IPv6 address; when it stops, its players hear
 * NetStream.Play.Stop before the close */
GST_START_TEST (test_ipv6_element_and_stop)
{
  guint16 port = pick_port ();
  g_autofree gchar *url = g_strdup_printf ("rtmp://[::1]:%u/live/s", port);
  g_autofree gchar *description = g_strdup_printf (
      "videotestsrc is-live=true ! "
      "video/x-raw,width=160,height=120,framerate=30/1 ! "
      "x264enc tune=zerolatency key-int-max=30 speed-preset=ultrafast ! "
      "flvmux streamable=true ! rtmpsink name=sink mode=server location=%s",
      url);
  g_autoptr (GPtrArray) players = players_new ();
  g_autofree gchar *log = NULL;
  GstElement *pipeline, *sink;
  Player *p;
  Probe probe;

  rtmp_test_assert_plugin_is_ours ();
  pipeline = gst_parse_launch (description, NULL);
  fail_unless (pipeline != NULL);
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  fail_unless (rtmp_test_element_is_ours (sink));
  gst_object_unref (sink);
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING)
      == GST_STATE_CHANGE_FAILURE);

  /* ffprobe over IPv6 */
  fail_unless (run_ffprobe (url, 2, &probe, &log), "%s", log);
  fail_unless (probe.n_video > 20 && probe.first_video_is_key);

  /* one of ours over IPv6 too, then the element stops */
  p = player_new_v6 (port, "s");
  g_ptr_array_add (players, p);
  fail_unless (players_run (players, 10000, all_playing_with_video,
      GUINT_TO_POINTER (10)));
  gst_element_set_state (pipeline, GST_STATE_NULL);
  fail_unless (players_run (players, 5000, all_closed, NULL));
  fail_unless (player_has_code (p, "NetStream.Play.Stop"));
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* What keeps the element from starting is one error at start: the port
 * taken by another program, rtmps:// without a certificate, a certificate
 * file that does not exist */
static gchar *
start_error (const gchar *location, const gchar *props)
{
  g_autofree gchar *description = g_strdup_printf (
      "fakesrc ! rtmpsink name=sink mode=server location=%s %s", location,
      props);
  GstElement *pipeline = gst_parse_launch (description, NULL);
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GstMessage *message;
  GError *error = NULL;
  gchar *text;

  fail_unless (rtmp_test_element_is_ours (sink));
  gst_object_unref (sink);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PAUSED)
      == GST_STATE_CHANGE_FAILURE);
  message = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (message != NULL);
  gst_message_parse_error (message, &error, NULL);
  fail_unless (g_error_matches (error, GST_RESOURCE_ERROR,
                   GST_RESOURCE_ERROR_OPEN_WRITE),
      "%s", error->message);
  text = g_strdup (error->message);
  g_error_free (error);
  gst_message_unref (message);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  return text;
}

GST_START_TEST (test_start_errors)
{
  g_autoptr (GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4,
      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr (GInetAddress) loopback
      = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) local = NULL;
  g_autofree gchar *taken = NULL;
  g_autofree gchar *tls = NULL;
  g_autofree gchar *message = NULL;
  guint16 port;

  rtmp_test_assert_plugin_is_ours ();
  /* another program listens there, without SO_REUSEPORT */
  fail_unless (g_socket_bind (socket, address, FALSE, NULL));
  fail_unless (g_socket_listen (socket, NULL));
  local = g_socket_get_local_address (socket, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  taken = g_strdup_printf ("rtmp://127.0.0.1:%u/live/s", port);
  message = start_error (taken, "");
  fail_unless (strstr (message, "in use") != NULL, "%s", message);
  g_free (message);

  tls = g_strdup_printf ("rtmps://127.0.0.1:%u/live/s", pick_port ());
  message = start_error (tls, "");
  fail_unless (strstr (message, "tls-certificate-file") != NULL, "%s", message);
  g_free (message);
  message = start_error (tls,
      "tls-certificate-file=/nonexistent/cert.pem "
      "tls-key-file=/nonexistent/key.pem");
  fail_unless (strstr (message, "/nonexistent/") != NULL, "%s", message);
}

GST_END_TEST;

/* idle-timeout: a player that answers nothing (it reads nothing, so not
 * the server's pings either) is dropped; one that only reads is not, even
 * when the timeout is shorter than the usual ping interval */
GST_START_TEST (test_idle_timeout)
{
  Server *server = server_start ("idle-timeout=2");
  g_autoptr (GPtrArray) players = players_new ();
  Player *reader = player_new (server->port, "s");
  Player *mute = player_new (server->port, "s");
  gint64 start;

  g_ptr_array_add (players, reader);
  g_ptr_array_add (players, mute);
  fail_unless (players_run (players, 10000, all_playing_with_video,
      GUINT_TO_POINTER (1)));
  mute->reading = FALSE;
  start = g_get_monotonic_time ();
  while (server_count_messages (server, "disconnected", "no data") == 0
      && g_get_monotonic_time () - start < 5 * G_USEC_PER_SEC)
    players_run (players, 10, NULL, NULL);
  fail_unless_equals_int (
      server_count_messages (server, "disconnected", "no data"), 1);
  GST_INFO ("the mute player was dropped after %" G_GINT64_FORMAT " ms",
      (g_get_monotonic_time () - start) / 1000);
  players_run (players, 4000, NULL, NULL);
  fail_unless (!reader->closed, "%s", reader->error);
  fail_unless_equals_int (server_get_n_clients (server), 1);
  server_assert_no_error (server);
  server_free (server);
}

GST_END_TEST;

/* ---- hostile clients ---- */

static GSocket *
raw_connect (guint16 port)
{
  g_autoptr (GInetAddress) loopback
      = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address
      = g_inet_socket_address_new (loopback, port);
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL);

  fail_unless (g_socket_connect (socket, address, NULL, NULL));
  return socket;
}

/* ms until the server closes @socket (reading and dropping what it sends),
 * or -1 after @timeout_ms; @players (nullable) are driven meanwhile */
static gint64
ms_until_closed_driving (GSocket *socket, guint timeout_ms, GPtrArray *players)
{
  gint64 start = g_get_monotonic_time ();
  gint64 end = start + timeout_ms * (gint64) 1000;

  g_socket_set_blocking (socket, FALSE);
  while (g_get_monotonic_time () < end) {
    gchar buffer[4096];
    GError *error = NULL;
    gssize n = g_socket_receive (socket, buffer, sizeof (buffer), NULL, &error);

    if (n == 0
        || (n < 0
            && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))) {
      g_clear_error (&error);
      return (g_get_monotonic_time () - start) / 1000;
    }
    g_clear_error (&error);
    if (n > 0)
      continue;
    if (players)
      players_run (players, 10, NULL, NULL);
    else
      g_socket_condition_timed_wait (socket, G_IO_IN, 10 * 1000, NULL, NULL);
  }
  return -1;
}

static gint64
ms_until_closed (GSocket *socket, guint timeout_ms)
{
  return ms_until_closed_driving (socket, timeout_ms, NULL);
}

/* a normal player plays on, without a gap, while @func attacks */
static Player *
start_witness (Server *server, GPtrArray *players)
{
  Player *witness = player_new (server->port, "s");

  g_ptr_array_add (players, witness);
  fail_unless (players_run (players, 10000, all_playing_with_video,
      GUINT_TO_POINTER (5)));
  witness->max_video_gap_us = 0;
  return witness;
}

static void
assert_witness_fine (Player *witness, guint frames_before)
{
  fail_unless (!witness->closed, "witness: %s", witness->error);
  fail_unless (witness->n_video > frames_before + 20);
  fail_unless (witness->max_video_gap_us < 500 * 1000,
      "the witness waited %" G_GINT64_FORMAT " ms for a frame",
      witness->max_video_gap_us / 1000);
}

GST_START_TEST (test_hostile_garbage_handshake)
{
  Server *server = server_start ("timeout=2");
  g_autoptr (GPtrArray) players = players_new ();
  Player *witness = start_witness (server, players);
  guint frames = witness->n_video;
  const gchar http[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  GSocket *socket = raw_connect (server->port);
  gint64 ms;

  fail_unless (g_socket_send (socket, http, sizeof (http) - 1, NULL, NULL) > 0);
  ms = ms_until_closed_driving (socket, 3000, players);
  fail_unless (ms >= 0 && ms < 1000, "closed after %" G_GINT64_FORMAT " ms",
      ms);
  g_object_unref (socket);
  players_run (players, 1000, NULL, NULL);
  assert_witness_fine (witness, frames);
  server_assert_no_error (server);
  server_free (server);
}

GST_END_TEST;

/* a few bytes, then silence: dropped at the handshake's deadline */
GST_START_TEST (test_hostile_slowloris)
{
  Server *server = server_start ("timeout=2");
  g_autoptr (GPtrArray) players = players_new ();
  Player *witness = start_witness (server, players);
  guint frames = witness->n_video;
  GSocket *sockets[3];
  guint8 c0c1[200] = { 3 };
  guint i;
  gint64 start = g_get_monotonic_time ();

  for (i = 0; i < G_N_ELEMENTS (sockets); i++) {
    sockets[i] = raw_connect (server->port);
    /* C0 and part of C1 */
    fail_unless (
        g_socket_send (sockets[i], (gchar *) c0c1, 1 + i * 50, NULL, NULL) > 0);
  }
  players_run (players, 1500, NULL, NULL);
  for (i = 0; i < G_N_ELEMENTS (sockets); i++) {
    gint64 ms = ms_until_closed_driving (sockets[i], 4000, players);

    fail_unless (ms >= 0, "still open after %" G_GINT64_FORMAT " ms",
        (g_get_monotonic_time () - start) / 1000);
    g_object_unref (sockets[i]);
  }
  /* 2 s phase timeout */
  fail_unless ((g_get_monotonic_time () - start) / 1000 >= 1900);
  players_run (players, 500, NULL, NULL);
  assert_witness_fine (witness, frames);
  server_assert_no_error (server);
  server_free (server);
}

GST_END_TEST;

/* after connect, a chunk announcing a 16 MiB message: over the server's
 * limit, dropped at once */
GST_START_TEST (test_hostile_huge_message)
{
  Server *server = server_start ("timeout=2");
  g_autoptr (GPtrArray) players = players_new ();
  g_autoptr (GPtrArray) attackers = players_new ();
  Player *witness = start_witness (server, players);
  guint frames = witness->n_video;
  Player *attacker = player_new_full (server->port, "live", NULL,
      RTMP_SESSION_INTENT_CONNECT, 0);
  /* fmt 0, csid 3, timestamp 0, length 0xFFFFFF, type 20, stream 0 */
  const guint8 header[] = { 0x03, 0, 0, 0, 0xff, 0xff, 0xff, 0x14, 0, 0, 0, 0 };
  guint8 body[4096];
  gint64 ms;
  guint i;

  g_ptr_array_add (attackers, attacker);
  players_run (attackers, 5000, all_connected, NULL);
  fail_unless (attacker->connected, "%s", attacker->error);
  g_socket_set_blocking (attacker->socket, TRUE);
  memset (body, 0x41, sizeof (body));
  fail_unless (g_socket_send (attacker->socket, (const gchar *) header,
                   sizeof (header), NULL, NULL)
      > 0);
  for (i = 0; i < 4; i++)
    g_socket_send (attacker->socket, (const gchar *) body, sizeof (body), NULL,
        NULL);
  ms = ms_until_closed_driving (attacker->socket, 3000, players);
  fail_unless (ms >= 0 && ms < 1000, "closed after %" G_GINT64_FORMAT " ms",
      ms);
  players_run (players, 1000, NULL, NULL);
  assert_witness_fine (witness, frames);
  server_assert_no_error (server);
  server_free (server);
}

GST_END_TEST;

/* Set Chunk Size 0x7fffffff: framing changes, nothing is reserved; the
 * client is dropped at the phase deadline and the stream goes on */
GST_START_TEST (test_hostile_huge_chunk_size)
{
  Server *server = server_start ("timeout=2");
  g_autoptr (GPtrArray) players = players_new ();
  g_autoptr (GPtrArray) attackers = players_new ();
  Player *witness = start_witness (server, players);
  guint frames = witness->n_video;
  Player *attacker = player_new_full (server->port, "live", NULL,
      RTMP_SESSION_INTENT_CONNECT, 0);
  /* fmt 0, csid 2, Set Chunk Size (1), 4 bytes: 0x7fffffff; then a
   * message announcing 1 MiB of which 64 KiB come */
  const guint8 set_chunk_size[]
      = { 0x02, 0, 0, 0, 0, 0, 4, 0x01, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff };
  const guint8 header[] = { 0x03, 0, 0, 0, 0x10, 0x00, 0x00, 0x14, 0, 0, 0, 0 };
  guint8 body[4096];
  gint64 ms;
  guint i;

  g_ptr_array_add (attackers, attacker);
  players_run (attackers, 5000, all_connected, NULL);
  fail_unless (attacker->connected, "%s", attacker->error);
  g_socket_set_blocking (attacker->socket, TRUE);
  memset (body, 0x41, sizeof (body));
  fail_unless (g_socket_send (attacker->socket, (const gchar *) set_chunk_size,
                   sizeof (set_chunk_size), NULL, NULL)
      > 0);
  fail_unless (g_socket_send (attacker->socket, (const gchar *) header,
                   sizeof (header), NULL, NULL)
      > 0);
  for (i = 0; i < 16; i++)
    g_socket_send (attacker->socket, (const gchar *) body, sizeof (body), NULL,
        NULL);
  ms = ms_until_closed_driving (attacker->socket, 5000, players);
  fail_unless (ms >= 0 && ms < 3000, "closed after %" G_GINT64_FORMAT " ms",
      ms);
  assert_witness_fine (witness, frames);
  server_assert_no_error (server);
  server_free (server);
}

GST_END_TEST;

/* commands sent as fast as possible, their answers never read: dropped
 * within the phase timeout, memory bounded */
GST_START_TEST (test_hostile_command_flood)
{
  Server *server = server_start ("timeout=2");
  g_autoptr (GPtrArray) players = players_new ();
  g_autoptr (GPtrArray) attackers = players_new ();
  Player *witness = start_witness (server, players);
  guint frames = witness->n_video;
  Player *attacker = player_new_full (server->port, "live", NULL,
      RTMP_SESSION_INTENT_CONNECT, 4096);
  gint64 start, end;
  gboolean closed = FALSE;
  guint sent = 0;

  g_ptr_array_add (attackers, attacker);
  players_run (attackers, 3000, all_connected, NULL);
  fail_unless (attacker->connected, "%s", attacker->error);
  attacker->reading = FALSE;
  start = g_get_monotonic_time ();
  end = start + 6 * G_USEC_PER_SEC;
  while (!closed && g_get_monotonic_time () < end) {
    guint i;

    for (i = 0; i < 200; i++) {
      g_autoptr (RtmpCommand) command
          = rtmp_command_new ("_checkbw", ++sent, NULL);

      rtmp_session_send_command (attacker->session, 0, command);
    }
    player_step (attacker);
    closed = attacker->closed;
    players_run (players, 5, NULL, NULL);
    if (rtmp_session_get_output_size (attacker->session) > 4 * 1024 * 1024) {
      /* the server stopped reading us: see whether it closed */
      closed = ms_until_closed (attacker->socket, 10) >= 0;
    }
  }
  if (!closed)
    closed = ms_until_closed_driving (attacker->socket, 3000, players) >= 0;
  fail_unless (closed,
      "a flooding client is still connected after %u "
      "commands",
      sent);
  GST_INFO ("flood: %u commands, dropped after %" G_GINT64_FORMAT " ms", sent,
      (g_get_monotonic_time () - start) / 1000);
  players_run (players, 500, NULL, NULL);
  assert_witness_fine (witness, frames);
  server_assert_no_error (server);
  server_free (server);
}

GST_END_TEST;

/* 300 connections that send nothing: beyond 256 pending they are closed at
 * once, the rest at the handshake deadline; players still join and play */
GST_START_TEST (test_hostile_many_connections)
{
  Server *server = server_start ("timeout=2");
  g_autoptr (GPtrArray) players = players_new ();
  Player *witness = start_witness (server, players);
  guint frames = witness->n_video;
  GSocket *sockets[300];
  guint i, n_open = 0, refused;
  gint64 start = g_get_monotonic_time ();

  for (i = 0; i < G_N_ELEMENTS (sockets); i++)
    sockets[i] = raw_connect (server->port);
  /* reported within a second or two (one message a second) */
  for (i = 0; i < 300 && server_sum_counts (server) < 300 - 256; i++)
    players_run (players, 10, NULL, NULL);
  refused = server_sum_counts (server);
  fail_unless (refused >= 300 - GST_RTMP_SERVER_MAX_PENDING, "%u refused",
      refused);
  /* a message a second, not one per connection */
  fail_unless (server_count_messages (server, "refused", "too many") <= 3);
  for (i = 0; i < G_N_ELEMENTS (sockets); i++) {
    gint64 ms = ms_until_closed_driving (sockets[i], 4000, players);

    n_open += ms < 0;
    g_object_unref (sockets[i]);
  }
  fail_unless_equals_int (n_open, 0);
  GST_INFO (
      "300 connections: %u refused at once, all closed after %" G_GINT64_FORMAT
      " ms",
      refused, (g_get_monotonic_time () - start) / 1000);
  players_run (players, 500, NULL, NULL);
  assert_witness_fine (witness, frames);
  /* a new player is served again */
  g_ptr_array_add (players, player_new (server->port, "s"));
  fail_unless (players_run (players, 10000, all_playing_with_video,
      GUINT_TO_POINTER (witness->n_video + 5)));
  server_assert_no_error (server);
  server_free (server);
}

GST_END_TEST;

/* ---- RTMPS ---- */

GST_START_TEST (test_rtmps_with_ffmpeg)
{
  g_autofree gchar *dir = make_temp_dir ();
  g_autofree gchar *cert = g_build_filename (dir, "cert.pem", NULL);
  g_autofree gchar *key = g_build_filename (dir, "key.pem", NULL);
  g_autofree gchar *out = g_build_filename (dir, "out.flv", NULL);
  g_autofree gchar *err_path = g_build_filename (dir, "ffmpeg.err", NULL);
  g_autofree gchar *openssl = require_program ("openssl", "openssl");
  g_autofree gchar *ffmpeg_path = require_program ("ffmpeg", "ffmpeg");
  const gchar *openssl_argv[]
      = { openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
          key, "-out", cert, "-days", "1", "-subj", "/CN=localhost", NULL };
  g_autofree gchar *props = NULL;
  g_autofree gchar *err = NULL;
  Server *server;
  Proc *ffmpeg;
  Probe probe;
  gint status;

  fail_unless (g_spawn_sync (NULL, (gchar **) openssl_argv, NULL,
      G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL,
      NULL, &status, NULL));
  fail_unless (g_spawn_check_wait_status (status, NULL));
  props
      = g_strdup_printf ("tls-certificate-file=%s tls-key-file=%s", cert, key);
  server = server_start_full ("rtmps", 500, props);
  {
    const gchar *argv[] = { ffmpeg_path, "-v", "error", "-y", "-i", server->url,
      "-t", "3", "-c", "copy", out, NULL };

    ffmpeg = proc_start (argv, NULL, err_path);
  }
  fail_unless (proc_wait (ffmpeg, 20000), "ffmpeg did not finish");
  err = proc_dup_stderr (ffmpeg);
  fail_unless (proc_succeeded (ffmpeg), "ffmpeg over rtmps failed: %s", err);
  fail_unless (run_ffprobe (out, 0, &probe, NULL));
  fail_unless (probe.n_video >= 60 && probe.first_video_is_key,
      "%u video packets over TLS", probe.n_video);
  fail_unless (probe.n_audio > 0);

  /* a plain RTMP client on the TLS port is dropped */
  {
    g_autoptr (GPtrArray) players = players_new ();
    Player *plain = player_new (server->port, "s");

    g_ptr_array_add (players, plain);
    fail_unless (players_run (players, 5000, all_closed, NULL));
    fail_if (plain->playing);
  }
  server_assert_no_error (server);
  proc_free (ffmpeg);
  server_free (server);
  remove_dir (dir);
}

GST_END_TEST;

/* Adobe authentication of players: ffprobe with the right credentials
 * plays, with wrong ones it is refused */
GST_START_TEST (test_adobe_auth)
{
  Server *server = server_start ("username=viewer password=secret");
  g_autofree gchar *good = g_strdup_printf (
      "rtmp://viewer:secret@127.0.0.1:%u/live/s", server->port);
  g_autofree gchar *bad = g_strdup_printf (
      "rtmp://viewer:guess@127.0.0.1:%u/live/s", server->port);
  g_autofree gchar *ffprobe = require_program ("ffprobe", "ffmpeg");
  g_autoptr (GPtrArray) players = players_new ();
  g_autofree gchar *log = NULL;
  Player *anonymous;
  Probe probe;

  fail_unless (run_ffprobe (good, 2, &probe, &log), "%s", log);
  fail_unless (probe.n_video > 20 && probe.first_video_is_key);
  fail_if (run_ffprobe (bad, 2, &probe, NULL));
  fail_unless (
      server_count_messages (server, "refused", "authentication failed") >= 1);
  anonymous = player_new (server->port, "s");
  g_ptr_array_add (players, anonymous);
  fail_unless (players_run (players, 5000, all_closed, NULL));
  fail_if (anonymous->playing);
  server_assert_no_error (server);
  server_free (server);
}

GST_END_TEST;

static gboolean
all_stopped (GPtrArray *players, gpointer data)
{
  guint i;

  for (i = 0; i < players->len; i++) {
    if (!player_has_code (players->pdata[i], "NetStream.Play.Stop"))
      return FALSE;
  }
  return TRUE;
}

/* At EOS the players hear Stream EOF, UnpublishNotify and Play.Stop; ffmpeg
 * then ends by itself */
GST_START_TEST (test_eos_stops_players)
{
  guint16 port = pick_port ();
  g_autofree gchar *url = g_strdup_printf ("rtmp://127.0.0.1:%u/live/s", port);
  g_autofree gchar *description = g_strdup_printf (
      "videotestsrc is-live=true num-buffers=120 ! "
      "video/x-raw,width=160,height=120,framerate=30/1 ! "
      "x264enc tune=zerolatency key-int-max=30 speed-preset=ultrafast ! "
      "flvmux streamable=true ! rtmpsink name=sink mode=server location=%s",
      url);
  g_autofree gchar *dir = make_temp_dir ();
  g_autofree gchar *out = g_build_filename (dir, "out.flv", NULL);
  g_autofree gchar *err_path = g_build_filename (dir, "ffmpeg.err", NULL);
  g_autofree gchar *ffmpeg_path = require_program ("ffmpeg", "ffmpeg");
  const gchar *argv[] = { ffmpeg_path, "-v", "error", "-y", "-i", url, "-c",
    "copy", out, NULL };
  GstElement *pipeline, *sink;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GPtrArray) players = players_new ();
  GstMessage *message;
  Player *p;
  Proc *ffmpeg;

  rtmp_test_assert_plugin_is_ours ();
  pipeline = gst_parse_launch (description, NULL);
  fail_unless (pipeline != NULL);
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  fail_unless (rtmp_test_element_is_ours (sink));
  gst_object_unref (sink);
  bus = gst_element_get_bus (pipeline);
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING)
      == GST_STATE_CHANGE_FAILURE);
  p = player_new (port, "s");
  g_ptr_array_add (players, p);
  ffmpeg = proc_start (argv, NULL, err_path);

  /* about 4 s of stream, then EOS */
  players_run (players, 15000, all_stopped, NULL);
  fail_unless (player_has_code (p, "NetStream.Play.Stop"), "no Play.Stop (%s)",
      p->error ? p->error : "still open");
  fail_unless (player_has_code (p, "NetStream.Play.UnpublishNotify"));
  fail_unless (p->n_video > 60);
  message = gst_bus_timed_pop_filtered (bus, 10 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (message != NULL);
  fail_unless_equals_int (GST_MESSAGE_TYPE (message), GST_MESSAGE_EOS);
  gst_message_unref (message);
  fail_unless (proc_wait (ffmpeg, 10000), "ffmpeg kept playing after EOS");
  fail_unless (proc_succeeded (ffmpeg));
  proc_free (ffmpeg);
  /* stopping after EOS does not say it again */
  gst_element_set_state (pipeline, GST_STATE_NULL);
  players_run (players, 500, all_closed, NULL);
  {
    guint i, n_stop = 0;

    for (i = 0; i < p->codes->len; i++)
      n_stop += g_str_equal (p->codes->pdata[i], "NetStream.Play.Stop");
    fail_unless_equals_int (n_stop, 1);
  }
  gst_object_unref (pipeline);
  remove_dir (dir);
}

GST_END_TEST;

/* ---- the route API's publish side, as rtmpsrc uses it ---- */

typedef struct
{
  GMutex lock;
  guint n_requests, n_video, n_audio, n_data, n_gone;
  guint32 last_timestamp;
  gchar *gone_reason;
  GstRtmpServerClient *publisher; /* strong while publishing */
} PublishLog;

static gboolean
on_publish_request (GstRtmpServerRoute *route, GstRtmpServerClient *client,
    gchar **refusal, gpointer user_data)
{
  PublishLog *log = user_data;

  g_mutex_lock (&log->lock);
  log->n_requests++;
  fail_unless (log->publisher == NULL);
  log->publisher = gst_rtmp_server_client_ref (client);
  g_mutex_unlock (&log->lock);
  return TRUE;
}

static void
on_publish_media (GstRtmpServerRoute *route, GstRtmpServerClient *client,
    const RtmpMessage *message, gpointer user_data)
{
  PublishLog *log = user_data;

  g_mutex_lock (&log->lock);
  fail_unless (client == log->publisher);
  if (message->type == RTMP_MESSAGE_VIDEO)
    log->n_video++;
  else if (message->type == RTMP_MESSAGE_AUDIO)
    log->n_audio++;
  else
    log->n_data++;
  log->last_timestamp = message->timestamp;
  g_mutex_unlock (&log->lock);
}

static void
on_publish_gone (GstRtmpServerRoute *route, GstRtmpServerClient *client,
    const gchar *reason, gpointer user_data)
{
  PublishLog *log = user_data;

  g_mutex_lock (&log->lock);
  fail_unless (client == log->publisher);
  log->n_gone++;
  g_free (log->gone_reason);
  log->gone_reason = g_strdup (reason);
  g_clear_pointer (&log->publisher, gst_rtmp_server_client_unref);
  g_mutex_unlock (&log->lock);
}

static const GstRtmpServerRouteCallbacks publish_callbacks = {
  .request = on_publish_request,
  .media = on_publish_media,
  .gone = on_publish_gone,
};

static guint
publish_log_get (PublishLog *log, guint *field)
{
  guint value;

  g_mutex_lock (&log->lock);
  value = *field;
  g_mutex_unlock (&log->lock);
  return value;
}

static gboolean
publish_log_wait (PublishLog *log, guint *field, guint n, GPtrArray *players)
{
  gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  while (publish_log_get (log, field) < n && g_get_monotonic_time () < end) {
    if (players)
      players_run (players, 10, NULL, NULL);
    else
      g_usleep (10 * 1000);
  }
  return publish_log_get (log, field) >= n;
}

static GstRtmpServerRoute *
publish_route_new (GstElement *element, guint16 port, const gchar *user,
    const gchar *password, PublishLog *log)
{
  GstRtmpServerRouteConfig config = {
    .element = element,
    .host = "127.0.0.1",
    .port = port,
    .application = "live",
    .stream = "in",
    .kind = GST_RTMP_SERVER_ROUTE_PUBLISH,
    .username = user,
    .password = password,
    .timeout_s = 3,
  };
  GError *error = NULL;
  GstRtmpServerRoute *route;

  route = gst_rtmp_server_route_new (&config, &publish_callbacks, log, NULL,
      &error);
  fail_unless (route != NULL, "%s", error ? error->message : "");
  return route;
}

static void
publish_log_clear (PublishLog *log)
{
  g_clear_pointer (&log->publisher, gst_rtmp_server_client_unref);
  g_free (log->gone_reason);
  g_mutex_clear (&log->lock);
}

static void
send_test_media (Player *p, guint n)
{
  static const guint8 key[] = { 0x17, 0x01, 0, 0, 0, 0xaa };
  static const guint8 aac[] = { 0xaf, 0x01, 0x21 };
  g_autoptr (GBytes) video = g_bytes_new_static (key, sizeof (key));
  g_autoptr (GBytes) audio = g_bytes_new_static (aac, sizeof (aac));
  guint32 stream_id = rtmp_session_get_stream_id (p->session);
  guint i;

  for (i = 0; i < n; i++) {
    rtmp_session_send_media (p->session, stream_id, RTMP_MESSAGE_VIDEO, i * 33,
        video);
    rtmp_session_send_media (p->session, stream_id, RTMP_MESSAGE_AUDIO, i * 33,
        audio);
  }
}

/* One publisher per stream key: its media reaches the route in order, a
 * second one and a wrong key are refused (BadName), and once it leaves
 * the next one is taken */
GST_START_TEST (test_publish_route)
{
  GstElement *element = gst_pipeline_new ("publish-test");
  guint16 port = pick_port ();
  PublishLog log = { 0 };
  GstRtmpServerRoute *route;
  g_autoptr (GPtrArray) players = players_new ();
  g_autoptr (GPtrArray) others = players_new ();
  Player *first, *second, *wrong, *next;

  /* as every test here: the registry's rtmp plugin is ours */
  rtmp_test_assert_plugin_is_ours ();

  g_mutex_init (&log.lock);
  route = publish_route_new (element, port, NULL, NULL, &log);

  first = player_new_full (port, "live", "in?key=1",
      RTMP_SESSION_INTENT_PUBLISH, 0);
  g_ptr_array_add (players, first);
  fail_unless (players_run (players, 5000, all_playing_with_video, 0), "%s",
      first->error);
  fail_unless (player_has_code (first, "NetStream.Publish.Start"));
  send_test_media (first, 30);
  fail_unless (publish_log_wait (&log, &log.n_video, 30, players));
  fail_unless (publish_log_wait (&log, &log.n_audio, 30, players));
  fail_unless_equals_int (log.last_timestamp, 29 * 33);
  fail_unless_equals_string (gst_rtmp_server_client_get_stream (log.publisher),
      "in?key=1");

  second = player_new_full (port, "live", "in", RTMP_SESSION_INTENT_PUBLISH, 0);
  wrong = player_new_full (port, "live", "out", RTMP_SESSION_INTENT_PUBLISH, 0);
  g_ptr_array_add (others, second);
  g_ptr_array_add (others, wrong);
  fail_unless (players_run (others, 5000, all_closed, NULL));
  fail_unless (player_has_code (second, "NetStream.Publish.BadName"));
  fail_unless (player_has_code (wrong, "NetStream.Publish.BadName"));
  fail_unless_equals_int (publish_log_get (&log, &log.n_requests), 1);

  /* the publisher goes: the route hears it, the key is free again */
  g_ptr_array_set_size (players, 0);
  fail_unless (publish_log_wait (&log, &log.n_gone, 1, NULL));
  next = player_new_full (port, "live", "in", RTMP_SESSION_INTENT_PUBLISH, 0);
  g_ptr_array_add (players, next);
  fail_unless (players_run (players, 5000, all_playing_with_video, 0));

  /* FCUnpublish/deleteStream end publishing, then the route goes */
  rtmp_session_stop (next->session,
      RTMP_STOP_COMMANDS_FCUNPUBLISH | RTMP_STOP_COMMANDS_DELETE_STREAM);
  fail_unless (publish_log_wait (&log, &log.n_gone, 2, players));
  fail_unless (strstr (log.gone_reason, "FCUnpublish") != NULL, "%s",
      log.gone_reason);
  gst_rtmp_server_route_free (route);
  fail_unless (players_run (players, 3000, all_closed, NULL));
  publish_log_clear (&log);
  gst_object_unref (element);
}

GST_END_TEST;

/* ffmpeg publishes with Adobe authentication (rtmp://user:password@...);
 * a wrong password is refused */
GST_START_TEST (test_ffmpeg_publishes_with_adobe_auth)
{
  GstElement *element = gst_pipeline_new ("publish-test");
  g_autoptr (GstBus) bus = gst_element_get_bus (element);
  g_autofree gchar *dir = make_temp_dir ();
  g_autofree gchar *err_path = g_build_filename (dir, "ffmpeg.err", NULL);
  g_autofree gchar *ffmpeg_path = require_program ("ffmpeg", "ffmpeg");
  guint16 port = pick_port ();
  g_autofree gchar *good
      = g_strdup_printf ("rtmp://pub:s3cret@127.0.0.1:%u/live/in", port);
  g_autofree gchar *bad
      = g_strdup_printf ("rtmp://pub:guess@127.0.0.1:%u/live/in", port);
  const gchar *argv[] = { ffmpeg_path, "-v", "error", "-re", "-f", "lavfi",
    "-i", "testsrc=size=160x120:rate=30", "-f", "lavfi", "-i",
    "sine=frequency=440", "-t", "2", "-c:v", "libx264", "-g", "30", "-c:a",
    "aac", "-f", "flv", good, NULL };
  PublishLog log = { 0 };
  GstRtmpServerRoute *route;
  GstMessage *message;
  g_autofree gchar *err = NULL;
  Proc *ffmpeg;
  gboolean refused = FALSE;

  /* as every test here: the registry's rtmp plugin is ours */
  rtmp_test_assert_plugin_is_ours ();

  g_mutex_init (&log.lock);
  route = publish_route_new (element, port, "pub", "s3cret", &log);
  ffmpeg = proc_start (argv, NULL, err_path);
  fail_unless (proc_wait (ffmpeg, 20000), "ffmpeg did not finish");
  err = proc_dup_stderr (ffmpeg);
  fail_unless (proc_succeeded (ffmpeg), "ffmpeg failed: %s", err);
  proc_free (ffmpeg);
  fail_unless (publish_log_wait (&log, &log.n_gone, 1, NULL));
  fail_unless_equals_int (publish_log_get (&log, &log.n_requests), 1);
  fail_unless (publish_log_get (&log, &log.n_video) >= 55, "%u video",
      log.n_video);
  fail_unless (publish_log_get (&log, &log.n_audio) > 50);
  fail_unless (publish_log_get (&log, &log.n_data) >= 1); /* onMetaData */

  argv[G_N_ELEMENTS (argv) - 2] = bad;
  ffmpeg = proc_start (argv, NULL, err_path);
  fail_unless (proc_wait (ffmpeg, 20000), "ffmpeg did not finish");
  fail_if (proc_succeeded (ffmpeg), "ffmpeg published with a wrong password");
  proc_free (ffmpeg);
  fail_unless_equals_int (publish_log_get (&log, &log.n_requests), 1);
  while ((message = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    const GstStructure *s = gst_message_get_structure (message);

    if (gst_structure_has_name (s, "rtmp-client-refused")
        && g_strcmp0 (gst_structure_get_string (s, "reason"),
               "authentication failed")
            == 0)
      refused = TRUE;
    gst_message_unref (message);
  }
  fail_unless (refused);

  gst_rtmp_server_route_free (route);
  publish_log_clear (&log);
  gst_object_unref (element);
  remove_dir (dir);
}

GST_END_TEST;

/* IPv6 and the wildcard address: rtmp://[::1]:PORT and
 * rtmp://0.0.0.0:PORT serve players */
GST_START_TEST (test_ipv6_and_wildcard)
{
  GstElement *element = gst_pipeline_new ("publish-test");
  const gchar *hosts[] = { "::1", "0.0.0.0", "::" };
  guint i;

  /* as every test here: the registry's rtmp plugin is ours */
  rtmp_test_assert_plugin_is_ours ();

  for (i = 0; i < G_N_ELEMENTS (hosts); i++) {
    guint16 port = pick_port ();
    GstRtmpServerRouteConfig config = {
      .element = element,
      .host = hosts[i],
      .port = port,
      .application = "live",
      .stream = "in",
      .kind = GST_RTMP_SERVER_ROUTE_PUBLISH,
      .timeout_s = 2,
    };
    PublishLog log = { 0 };
    g_autoptr (GError) error = NULL;
    g_autoptr (GPtrArray) players = players_new ();
    g_autoptr (GSocketAddress) address = NULL;
    g_autoptr (GSocket) socket = NULL;
    GstRtmpServerRoute *route;

    g_mutex_init (&log.lock);
    route = gst_rtmp_server_route_new (&config, &publish_callbacks, &log, NULL,
        &error);
    fail_unless (route != NULL, "%s: %s", hosts[i], error->message);
    fail_unless_equals_int (gst_rtmp_server_route_get_port (route), port);

    if (strchr (hosts[i], ':')) {
      /* reached over IPv6 */
      socket = g_socket_new (G_SOCKET_FAMILY_IPV6, G_SOCKET_TYPE_STREAM,
          G_SOCKET_PROTOCOL_TCP, NULL);
      address = g_inet_socket_address_new_from_string ("::1", port);
      fail_unless (g_socket_connect (socket, address, NULL, NULL));
      fail_unless (ms_until_closed (socket, 4000) >= 0,
          "an idle connection was not dropped");
    }
    /* over IPv4 (dual stack for "::") */
    if (!g_str_equal (hosts[i], "::1")) {
      g_ptr_array_add (players,
          player_new_full (port, "live", "in", RTMP_SESSION_INTENT_PUBLISH, 0));
      fail_unless (players_run (players, 5000, all_playing_with_video, 0), "%s",
          hosts[i]);
    }
    gst_rtmp_server_route_free (route);
    g_ptr_array_set_size (players, 0);
    publish_log_clear (&log);
  }
  gst_object_unref (element);
}

GST_END_TEST;

static Suite *
server_suite (void)
{
  Suite *s = suite_create ("rtmpsink-server");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_real_players_at_once);
  tcase_add_test (tc, test_fifty_players);
  tcase_add_test (tc, test_late_joiner_starts_at_keyframe);
  tcase_add_test (tc, test_late_joiner_without_cache);
  tcase_add_test (tc, test_slow_player_drops_gops);
  tcase_add_test (tc, test_slow_player_disconnected);
  tcase_add_test (tc, test_pause_and_close);
  tcase_add_test (tc, test_play_any_start);
  tcase_add_test (tc, test_wrong_stream_key);
  tcase_add_test (tc, test_wrong_app);
  tcase_add_test (tc, test_max_clients);
  tcase_add_test (tc, test_shared_listener);
  tcase_add_test (tc, test_ipv6_element_and_stop);
  tcase_add_test (tc, test_start_errors);
  tcase_add_test (tc, test_idle_timeout);
  tcase_add_test (tc, test_hostile_garbage_handshake);
  tcase_add_test (tc, test_hostile_slowloris);
  tcase_add_test (tc, test_hostile_huge_message);
  tcase_add_test (tc, test_hostile_huge_chunk_size);
  tcase_add_test (tc, test_hostile_command_flood);
  tcase_add_test (tc, test_hostile_many_connections);
  tcase_add_test (tc, test_rtmps_with_ffmpeg);
  tcase_add_test (tc, test_adobe_auth);
  tcase_add_test (tc, test_eos_stops_players);
  tcase_add_test (tc, test_publish_route);
  tcase_add_test (tc, test_ffmpeg_publishes_with_adobe_auth);
  tcase_add_test (tc, test_ipv6_and_wildcard);
  return s;
}

GST_CHECK_MAIN (server);
