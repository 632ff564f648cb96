/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The protocol layer's demo: publishes an FLV file live to an RTMP server,
 * paced by its tag timestamps, over one connection, plays it back over a
 * second one, prints the commands both exchange and statistics every second,
 * and succeeds only when the media really came back. */

#include <gio/gio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>

#include "rtmpcommand.h"
#include "rtmpflv.h"
#include "rtmpsession.h"
#include "rtmpurl.h"

#define DEFAULT_MAX_SECONDS 30
#define DEFAULT_MIN_PERCENT 90
/* connecting, and each phase of a session */
#define CONNECT_TIMEOUT_S 5
#define PHASE_TIMEOUT_MS 5000
/* how long the player may take to see the end once publishing stopped */
#define END_WAIT_US (3 * G_USEC_PER_SEC)
#define REPORT_INTERVAL_US G_USEC_PER_SEC
/* AMF dumps on one line, bounded */
#define DUMP_MAX_LEN 400

typedef struct _Demo Demo;

typedef struct
{
  Demo *demo;        /* the demo it belongs to */
  const gchar *name; /* "publisher", "player" */
  const gchar *arrow_out, *arrow_in;
  GSocketConnection *connection;
  GSocket *socket; /* borrowed from connection */
  RtmpSession *session;
  gboolean is_started; /* Publish.Start / Play.Start */
  gboolean peer_closed;
  GError *error;
  RtmpSessionStats reported; /* at the last report */
} Link;

/* A frame that was published, waiting to come back */
typedef struct
{
  GBytes *payload;
  gint64 sent_us;
  gboolean received;
} SentFrame;

typedef struct
{
  guint n_sent;
  guint n_received;    /* messages of the type the player got */
  guint n_matched;     /* ... that equal a published frame */
  guint n_mismatched;  /* ... that match none */
  GHashTable *pending; /* timestamp -> GPtrArray of SentFrame * */
} Track;

struct _Demo
{
  gint64 start_us;
  gint64 end_us; /* the hard limit */
  Link publisher, player;
  Track video, audio;
  gboolean player_saw_end;
  gboolean have_sent_ts, have_received_ts;
  guint32 last_sent_ts, last_received_ts;
  gint64 last_latency_us;
  gint64 next_report_us;
  gint64 last_report_us;
};

static gdouble
seconds_since_start (const Demo *demo)
{
  return (g_get_monotonic_time () - demo->start_us) / (gdouble) G_USEC_PER_SEC;
}

static void say (const Demo *demo, const gchar *format, ...)
    G_GNUC_PRINTF (2, 3);

static void
say (const Demo *demo, const gchar *format, ...)
{
  g_autofree gchar *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  printf ("[%6.2f] %s\n", seconds_since_start (demo), text);
}

/* --- tracks: what was published and what came back --- */

static void
sent_frame_free (SentFrame *frame)
{
  g_bytes_unref (frame->payload);
  g_free (frame);
}

static void
track_init (Track *track)
{
  track->pending = g_hash_table_new_full (NULL, NULL, NULL,
      (GDestroyNotify) g_ptr_array_unref);
}

static void
track_clear (Track *track)
{
  g_clear_pointer (&track->pending, g_hash_table_unref);
}

static void
track_sent (Track *track, guint32 timestamp, GBytes *payload, gint64 now_us)
{
  GPtrArray *frames
      = g_hash_table_lookup (track->pending, GUINT_TO_POINTER (timestamp));
  SentFrame *frame = g_new0 (SentFrame, 1);

  if (frames == NULL) {
    frames = g_ptr_array_new_with_free_func ((GDestroyNotify) sent_frame_free);
    g_hash_table_insert (track->pending, GUINT_TO_POINTER (timestamp), frames);
  }
  frame->payload = g_bytes_ref (payload);
  frame->sent_us = now_us;
  g_ptr_array_add (frames, frame);
  track->n_sent++;
}

/* The published frame this message equals (same timestamp and bytes), or
 * NULL */
static SentFrame *
track_received (Track *track, const RtmpMessage *message)
{
  GPtrArray *frames = g_hash_table_lookup (track->pending,
      GUINT_TO_POINTER (message->timestamp));
  guint i;

  track->n_received++;
  for (i = 0; frames != NULL && i < frames->len; i++) {
    SentFrame *frame = frames->pdata[i];

    if (!frame->received && g_bytes_equal (frame->payload, message->payload)) {
      frame->received = TRUE;
      track->n_matched++;
      return frame;
    }
  }
  track->n_mismatched++;
  return NULL;
}

/* --- links: one session over one socket --- */

static void
link_fail (Link *link, GError *error)
{
  if (link->error == NULL)
    link->error = error;
  else
    g_error_free (error);
}

static gboolean
link_is_active (const Link *link)
{
  return link->socket != NULL && link->error == NULL && !link->peer_closed;
}

/* The session logs each command it sends or receives as "send stream N:
 * name(txn) {...}" (rtmp_command_dump) at DEBUG: print those with arrows,
 * everything else as it is. */
static void
session_log (GLogLevelFlags level, const gchar *message, gpointer user_data)
{
  Link *link = user_data;
  const Demo *demo = link->demo;
  guint stream_id;
  gint used = 0;

  if (sscanf (message, "send stream %u: %n", &stream_id, &used) == 1
      && used > 0) {
    say (demo, "%-9s %s %s (stream %u)", link->name, link->arrow_out,
        message + used, stream_id);
  } else if (sscanf (message, "recv stream %u: %n", &stream_id, &used) == 1
      && used > 0) {
    say (demo, "%-9s %s %s (stream %u)", link->name, link->arrow_in,
        message + used, stream_id);
  } else {
    say (demo, "%-9s   %s", link->name, message);
  }
}

static gboolean
link_open (Demo *demo, Link *link, const RtmpUrl *url, RtmpSessionIntent intent,
    RtmpHandshakeType handshake, GError **error)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autofree gchar *tc_url = rtmp_url_get_tc_url (url);
  guint8 random[RTMP_SESSION_RANDOM_SIZE];
  RtmpSessionConfig config;
  guint i;

  g_socket_client_set_timeout (client, CONNECT_TIMEOUT_S);
  link->connection = g_socket_client_connect_to_host (client, url->host,
      url->port, NULL, error);
  if (link->connection == NULL) {
    g_prefix_error (error, "%s: cannot connect to %s port %u: ", link->name,
        url->host, url->port);
    return FALSE;
  }
  link->socket = g_socket_connection_get_socket (link->connection);
  /* blocking, never forever */
  g_socket_set_timeout (link->socket, CONNECT_TIMEOUT_S);
  g_socket_set_option (link->socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);

  for (i = 0; i < sizeof (random); i++)
    random[i] = g_random_int_range (0, 256);
  rtmp_session_config_init (&config, RTMP_SESSION_ROLE_CLIENT);
  config.handshake = handshake;
  config.random = random;
  config.now_us = g_get_monotonic_time ();
  config.epoch_ms = 0;
  config.phase_timeout_ms = PHASE_TIMEOUT_MS;
  /* PingRequest every second: the round trip goes into the statistics */
  config.ping_interval_ms = 1000;
  config.client.app = url->application;
  config.client.tc_url = tc_url;
  config.client.flash_ver = "FMLE/3.0 (compatible; gst-rtmp protocol demo)";
  config.client.intent = intent;
  config.client.stream_name = url->stream;
  config.client.publish_type = RTMP_PUBLISH_TYPE_LIVE;
  config.client.play_start_ms = RTMP_PLAY_START_LIVE;
  config.client.buffer_length_ms = 1000;
  config.log_func = session_log;
  config.log_user_data = link;
  config.log_level |= G_LOG_LEVEL_DEBUG;
  say (demo, "%-9s   connected to %s port %u, %s handshake", link->name,
      url->host, url->port,
      handshake == RTMP_HANDSHAKE_DIGEST ? "digest" : "simple");
  link->session = rtmp_session_new (&config);
  return TRUE;
}

static void
link_close (Link *link)
{
  if (link->connection != NULL)
    g_io_stream_close (G_IO_STREAM (link->connection), NULL, NULL);
  g_clear_object (&link->connection);
  link->socket = NULL;
}

static void
link_clear (Link *link)
{
  link_close (link);
  g_clear_pointer (&link->session, rtmp_session_free);
  g_clear_error (&link->error);
}

static void
link_flush (Link *link)
{
  while (link_is_active (link)
      && rtmp_session_get_output_size (link->session) > 0) {
    RtmpOutputVector vectors[32];
    GOutputVector out[32];
    GError *error = NULL;
    gssize written;
    guint n, i;

    n = rtmp_session_peek_output (link->session, vectors, G_N_ELEMENTS (out));
    for (i = 0; i < n; i++) {
      out[i].buffer = vectors[i].data;
      out[i].size = vectors[i].len;
    }
    written = g_socket_send_message (link->socket, NULL, out, n, NULL, 0, 0,
        NULL, &error);
    if (written < 0) {
      g_prefix_error (&error, "writing: ");
      link_fail (link, error);
      return;
    }
    rtmp_session_consume_output (link->session, written);
  }
}

/* --- events --- */

static void
print_data_message (const Demo *demo, const Link *link, const gchar *arrow,
    const RtmpMessage *message)
{
  g_autoptr (GPtrArray) values = NULL;
  g_autoptr (GError) error = NULL;
  GString *line = g_string_new (NULL);
  guint i;

  values = rtmp_data_parse (message, NULL, &error);
  if (values == NULL) {
    say (demo, "%-9s %s data message (%s)", link->name, arrow, error->message);
    g_string_free (line, TRUE);
    return;
  }
  for (i = 0; i < values->len; i++) {
    if (i > 0)
      g_string_append_c (line, ' ');
    rtmp_amf_value_dump (values->pdata[i], line, DUMP_MAX_LEN);
  }
  say (demo, "%-9s %s data %s (timestamp %u)", link->name, arrow, line->str,
      message->timestamp);
  g_string_free (line, TRUE);
}

static void
player_media (Demo *demo, const RtmpMessage *message)
{
  SentFrame *frame = NULL;

  switch (message->type) {
    case RTMP_MESSAGE_VIDEO:
      frame = track_received (&demo->video, message);
      demo->have_received_ts = TRUE;
      demo->last_received_ts = message->timestamp;
      break;
    case RTMP_MESSAGE_AUDIO:
      frame = track_received (&demo->audio, message);
      break;
    case RTMP_MESSAGE_DATA_AMF0:
    case RTMP_MESSAGE_DATA_AMF3:
      print_data_message (demo, &demo->player, demo->player.arrow_in, message);
      break;
    default:
      break;
  }
  if (frame != NULL && message->type == RTMP_MESSAGE_VIDEO)
    demo->last_latency_us = g_get_monotonic_time () - frame->sent_us;
}

static void
handle_events (Demo *demo, Link *link)
{
  RtmpSessionEvent event;

  while (rtmp_session_next_event (link->session, &event)) {
    switch (event.type) {
      case RTMP_SESSION_EVENT_PUBLISHING:
      case RTMP_SESSION_EVENT_PLAYING:
        link->is_started = TRUE;
        break;
      case RTMP_SESSION_EVENT_STATUS:
        /* onStatus commands are logged by the session; onPlayStatus comes
         * as a data message */
        if (g_strcmp0 (event.command->name, "onPlayStatus") == 0)
          say (demo, "%-9s %s onPlayStatus %s", link->name, link->arrow_in,
              event.code ? event.code : "(no code)");
        if (link == &demo->player
            && g_strcmp0 (event.code, "NetStream.Play.UnpublishNotify") == 0)
          demo->player_saw_end = TRUE;
        break;
      case RTMP_SESSION_EVENT_STREAM_CONTROL:
        say (demo, "%-9s %s user control %s (stream %u)", link->name,
            link->arrow_in,
            rtmp_user_control_type_get_name (event.control_type),
            event.stream_id);
        if (link == &demo->player
            && event.control_type == RTMP_USER_CONTROL_STREAM_EOF)
          demo->player_saw_end = TRUE;
        break;
      case RTMP_SESSION_EVENT_MEDIA:
        if (link == &demo->player)
          player_media (demo, event.message);
        break;
      default:
        break;
    }
    rtmp_session_event_clear (&event);
  }
}

static void
link_read (Demo *demo, Link *link)
{
  guint8 buffer[64 * 1024];
  GError *error = NULL;
  gssize n;

  n = g_socket_receive (link->socket, (gchar *) buffer, sizeof (buffer), NULL,
      &error);
  if (n < 0) {
    g_prefix_error (&error, "reading: ");
    link_fail (link, error);
  } else if (n == 0) {
    link->peer_closed = TRUE;
    if (!rtmp_session_receive_eof (link->session, &error))
      link_fail (link, error);
  } else if (!rtmp_session_receive (link->session, buffer, n,
                 g_get_monotonic_time (), &error)) {
    link_fail (link, error);
  }
  handle_events (demo, link);
}

/* --- statistics --- */

static gchar *
format_bytes (guint64 bytes)
{
  return g_format_size_full (bytes, G_FORMAT_SIZE_DEFAULT);
}

static void
report_link (Demo *demo, Link *link, gboolean sent, gdouble interval_s)
{
  RtmpSessionStats now;
  g_autofree gchar *video = NULL;
  g_autofree gchar *audio = NULL;
  guint64 messages_video, messages_audio, messages_data, total, last_total;
  gdouble kbit_s;

  rtmp_session_get_stats (link->session, &now);
  if (sent) {
    messages_video = now.out_messages_video;
    messages_audio = now.out_messages_audio;
    messages_data = now.out_messages_data;
    video = format_bytes (now.out_bytes_video);
    audio = format_bytes (now.out_bytes_audio);
    total = now.out_bytes;
    last_total = link->reported.out_bytes;
  } else {
    messages_video = now.in_messages_video;
    messages_audio = now.in_messages_audio;
    messages_data = now.in_messages_data;
    video = format_bytes (now.in_bytes_video);
    audio = format_bytes (now.in_bytes_audio);
    total = now.in_bytes;
    last_total = link->reported.in_bytes;
  }
  kbit_s = interval_s > 0 ? (total - last_total) * 8 / 1000.0 / interval_s : 0;
  say (demo,
      "%-9s   %s video %" G_GUINT64_FORMAT " msgs %s, audio %" G_GUINT64_FORMAT
      " msgs %s, data %" G_GUINT64_FORMAT " msgs; %.0f kbit/s; rtt %.1f ms",
      link->name, sent ? "sent" : "recv", messages_video, video, messages_audio,
      audio, messages_data, kbit_s, now.rtt_us / 1000.0);
  link->reported = now;
}

static void
report (Demo *demo)
{
  gint64 now = g_get_monotonic_time ();
  gdouble interval_s = (now - demo->last_report_us) / (gdouble) G_USEC_PER_SEC;

  if (demo->publisher.session != NULL)
    report_link (demo, &demo->publisher, TRUE, interval_s);
  if (demo->player.session != NULL)
    report_link (demo, &demo->player, FALSE, interval_s);
  if (demo->have_sent_ts && demo->have_received_ts) {
    say (demo,
        "          playback lags %d ms behind publishing (timestamps); last "
        "frame took %.1f ms end to end; %u/%u video, %u/%u audio back",
        (gint) (demo->last_sent_ts - demo->last_received_ts),
        demo->last_latency_us / 1000.0, demo->video.n_matched,
        demo->video.n_sent, demo->audio.n_matched, demo->audio.n_sent);
  }
  demo->last_report_us = now;
  demo->next_report_us = now + REPORT_INTERVAL_US;
}

/* --- the loop --- */

/* Writes what both sessions queued, then waits until @until_us at most
 * (less when a session deadline or the next report comes first) for bytes,
 * feeds them in, runs due deadlines and reports. */
static void
pump (Demo *demo, gint64 until_us)
{
  Link *links[] = { &demo->publisher, &demo->player };
  GPollFD fds[2];
  Link *polled[2];
  gint64 now = g_get_monotonic_time ();
  gint64 wake = MIN (until_us, demo->next_report_us);
  guint n_fds = 0, i;

  for (i = 0; i < G_N_ELEMENTS (links); i++) {
    Link *link = links[i];
    guint64 deadline;

    if (link->session == NULL)
      continue;
    link_flush (link);
    if (!link_is_active (link))
      continue;
    deadline = rtmp_session_next_deadline (link->session);
    if (deadline < (guint64) wake)
      wake = (gint64) deadline;
    fds[n_fds].fd = g_socket_get_fd (link->socket);
    fds[n_fds].events = G_IO_IN;
    fds[n_fds].revents = 0;
    polled[n_fds++] = link;
  }

  g_poll (fds, n_fds, wake > now ? (gint) ((wake - now + 999) / 1000) : 0);
  for (i = 0; i < n_fds; i++) {
    if (fds[i].revents != 0)
      link_read (demo, polled[i]);
  }

  now = g_get_monotonic_time ();
  for (i = 0; i < G_N_ELEMENTS (links); i++) {
    Link *link = links[i];
    GError *error = NULL;

    if (link->session == NULL || !link_is_active (link)
        || (guint64) now < rtmp_session_next_deadline (link->session))
      continue;
    if (!rtmp_session_handle_deadline (link->session, now, &error))
      link_fail (link, error);
    handle_events (demo, link);
  }
  for (i = 0; i < G_N_ELEMENTS (links); i++) {
    if (links[i]->session != NULL)
      link_flush (links[i]);
  }
  if (now >= demo->next_report_us)
    report (demo);
}

static gboolean
wait_started (Demo *demo, Link *link, GError **error)
{
  while (!link->is_started) {
    if (link->error != NULL) {
      g_propagate_prefixed_error (error, g_steal_pointer (&link->error),
          "%s: ", link->name);
      return FALSE;
    }
    if (!link_is_active (link)) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
          "%s: the server closed the connection", link->name);
      return FALSE;
    }
    if (g_get_monotonic_time () >= demo->end_us) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
          "%s: not started before the time limit", link->name);
      return FALSE;
    }
    pump (demo, demo->end_us);
  }
  return TRUE;
}

/* --- the FLV file --- */

static GPtrArray *
load_flv (const gchar *path, GError **error)
{
  g_autoptr (GPtrArray) tags
      = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_flv_tag_free);
  g_autoptr (RtmpFlvReader) reader = rtmp_flv_reader_new (NULL);
  g_autoptr (GBytes) bytes = NULL;
  gchar *contents;
  gsize len, offset = 0;

  if (!g_file_get_contents (path, &contents, &len, error))
    return NULL;
  bytes = g_bytes_new_take (contents, len);
  while (offset < len) {
    RtmpFlvTag *tag = NULL;
    gsize consumed = 0;
    RtmpReadResult result
        = rtmp_flv_reader_read (reader, bytes, offset, &consumed, &tag, error);

    if (result == RTMP_READ_ERROR) {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }
    offset += consumed;
    if (result == RTMP_READ_NEED_MORE)
      break;
    g_ptr_array_add (tags, tag);
  }
  if (rtmp_flv_reader_has_partial (reader)) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
        "%s ends in the middle of a tag", path);
    return NULL;
  }
  if (tags->len == 0) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED, "%s has no tags",
        path);
    return NULL;
  }
  return g_steal_pointer (&tags);
}

/* Publishes @tags in real time: each one when its timestamp is due */
static void
publish (Demo *demo, GPtrArray *tags)
{
  guint32 stream_id = rtmp_session_get_stream_id (demo->publisher.session);
  gint64 t0 = g_get_monotonic_time ();
  guint32 first_ts = ((const RtmpFlvTag *) tags->pdata[0])->timestamp;
  guint i;

  for (i = 0; i < tags->len; i++) {
    const RtmpFlvTag *tag = tags->pdata[i];
    gint64 due = t0 + (gint64) (guint32) (tag->timestamp - first_ts) * 1000;
    g_autoptr (GBytes) payload = NULL;

    while (g_get_monotonic_time () < MIN (due, demo->end_us)
        && link_is_active (&demo->publisher))
      pump (demo, MIN (due, demo->end_us));
    if (!link_is_active (&demo->publisher)) {
      say (demo, "publisher stopped before the end of the file");
      return;
    }
    if (g_get_monotonic_time () >= demo->end_us) {
      say (demo, "time limit reached after %u of %u tags", i, tags->len);
      return;
    }

    if (tag->type == RTMP_FLV_TAG_SCRIPT) {
      RtmpMessage message = {
        .type = RTMP_MESSAGE_DATA_AMF0,
        .timestamp = tag->timestamp,
        .stream_id = stream_id,
      };

      payload = rtmp_flv_script_add_set_data_frame (tag->payload);
      message.payload = payload;
      print_data_message (demo, &demo->publisher, demo->publisher.arrow_out,
          &message);
    } else {
      payload = g_bytes_ref (tag->payload);
      if (tag->type == RTMP_FLV_TAG_VIDEO) {
        track_sent (&demo->video, tag->timestamp, payload,
            g_get_monotonic_time ());
        demo->have_sent_ts = TRUE;
        demo->last_sent_ts = tag->timestamp;
      } else if (tag->type == RTMP_FLV_TAG_AUDIO) {
        track_sent (&demo->audio, tag->timestamp, payload,
            g_get_monotonic_time ());
      }
    }
    rtmp_session_send_media (demo->publisher.session, stream_id, tag->type,
        tag->timestamp, payload);
    link_flush (&demo->publisher);
  }
}

static gboolean
track_passes (const Track *track, guint min_percent)
{
  return track->n_sent > 0
      && track->n_matched * (guint64) 100
      >= track->n_sent * (guint64) min_percent;
}

int
main (int argc, char **argv)
{
  g_autofree gchar *location = NULL;
  g_autofree gchar *file = NULL;
  g_autofree gchar *handshake_name = NULL;
  gint max_seconds = DEFAULT_MAX_SECONDS;
  gint min_percent = DEFAULT_MIN_PERCENT;
  GOptionEntry entries[] = {
    { "url", 'u', 0, G_OPTION_ARG_STRING, &location,
        "rtmp://HOST:PORT/APP/STREAM to publish to and play from", "URL" },
    { "file", 'f', 0, G_OPTION_ARG_FILENAME, &file,
        "FLV file to publish in real time", "FILE" },
    { "max-seconds", 0, 0, G_OPTION_ARG_INT, &max_seconds,
        "stop after this many seconds in all (default 30)", "S" },
    { "min-percent", 0, 0, G_OPTION_ARG_INT, &min_percent,
        "share of published audio and video frames that must come back "
        "(default 90)",
        "P" },
    { "handshake", 0, 0, G_OPTION_ARG_STRING, &handshake_name,
        "simple or digest (default digest)", "TYPE" },
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (RtmpUrl) url = NULL;
  g_autoptr (GPtrArray) tags = NULL;
  g_autoptr (GError) error = NULL;
  RtmpHandshakeType handshake = RTMP_HANDSHAKE_DIGEST;
  Demo demo = {
    0,
  };
  gint64 end_wait;
  gboolean ok;

  setvbuf (stdout, NULL, _IOLBF, 0);
  context = g_option_context_new ("- publish an FLV file live and play it "
                                  "back through an RTMP server");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    g_printerr ("rtmp-protocol-demo: %s\n", error->message);
    return 2;
  }
  if (location == NULL || file == NULL || max_seconds <= 0 || min_percent < 0
      || min_percent > 100) {
    g_printerr ("rtmp-protocol-demo: --url and --file are required, "
                "--max-seconds > 0, 0 <= --min-percent <= 100\n");
    return 2;
  }
  if (handshake_name != NULL) {
    if (g_str_equal (handshake_name, "simple")) {
      handshake = RTMP_HANDSHAKE_SIMPLE;
    } else if (!g_str_equal (handshake_name, "digest")) {
      g_printerr ("rtmp-protocol-demo: --handshake is simple or digest\n");
      return 2;
    }
  }

  url = rtmp_url_parse (location, &error);
  if (url == NULL) {
    g_printerr ("rtmp-protocol-demo: %s\n", error->message);
    return 2;
  }
  if (url->scheme != RTMP_SCHEME_RTMP || url->stream[0] == '\0') {
    g_printerr ("rtmp-protocol-demo: %s: the demo speaks plain rtmp:// to a "
                "named stream only\n",
        location);
    return 2;
  }
  tags = load_flv (file, &error);
  if (tags == NULL) {
    g_printerr ("rtmp-protocol-demo: %s\n", error->message);
    return 2;
  }

  demo.start_us = g_get_monotonic_time ();
  demo.end_us = demo.start_us + max_seconds * G_USEC_PER_SEC;
  demo.last_report_us = demo.start_us;
  demo.next_report_us = demo.start_us + REPORT_INTERVAL_US;
  demo.publisher.demo = &demo;
  demo.player.demo = &demo;
  demo.publisher.name = "publisher";
  demo.publisher.arrow_out = ">>";
  demo.publisher.arrow_in = "<<";
  demo.player.name = "player";
  demo.player.arrow_out = ">>";
  demo.player.arrow_in = "<<";
  track_init (&demo.video);
  track_init (&demo.audio);
  say (&demo,
      "publishing %s (%u tags) to %s and playing it back, for at "
      "most %d s",
      file, tags->len, location, max_seconds);

  /* the player first, so that it sees the stream from its first tag */
  if (!link_open (&demo, &demo.player, url, RTMP_SESSION_INTENT_PLAY, handshake,
          &error)
      || !wait_started (&demo, &demo.player, &error)
      || !link_open (&demo, &demo.publisher, url, RTMP_SESSION_INTENT_PUBLISH,
          handshake, &error)
      || !wait_started (&demo, &demo.publisher, &error)) {
    g_printerr ("rtmp-protocol-demo: FAILED: %s\n", error->message);
    ok = FALSE;
    goto done;
  }

  publish (&demo, tags);

  /* unpublish, then let the player see the end */
  if (link_is_active (&demo.publisher)) {
    rtmp_session_stop (demo.publisher.session,
        RTMP_STOP_COMMANDS_FCUNPUBLISH | RTMP_STOP_COMMANDS_DELETE_STREAM);
    link_flush (&demo.publisher);
  }
  end_wait = MIN (g_get_monotonic_time () + END_WAIT_US, demo.end_us);
  while (!demo.player_saw_end && link_is_active (&demo.player)
      && g_get_monotonic_time () < end_wait)
    pump (&demo, end_wait);
  link_close (&demo.publisher);
  link_close (&demo.player);
  report (&demo);

  say (&demo,
      "video: %u frames published, %u came back intact, %u "
      "messages that match none",
      demo.video.n_sent, demo.video.n_matched, demo.video.n_mismatched);
  say (&demo,
      "audio: %u frames published, %u came back intact, %u "
      "messages that match none",
      demo.audio.n_sent, demo.audio.n_matched, demo.audio.n_mismatched);
  if (demo.publisher.error != NULL)
    say (&demo, "publisher error: %s", demo.publisher.error->message);
  if (demo.player.error != NULL)
    say (&demo, "player error: %s", demo.player.error->message);
  if (!demo.player_saw_end)
    say (&demo, "the player did not see the end of the stream");

  ok = track_passes (&demo.video, min_percent)
      && track_passes (&demo.audio, min_percent);
  if (ok) {
    printf ("rtmp-protocol-demo: OK: %u of %u video and %u of %u audio "
            "frames came back through the server with the same bytes and "
            "timestamps\n",
        demo.video.n_matched, demo.video.n_sent, demo.audio.n_matched,
        demo.audio.n_sent);
  } else {
    g_printerr ("rtmp-protocol-demo: FAILED: only %u of %u video and %u of "
                "%u audio frames came back intact (%d%% of each needed)\n",
        demo.video.n_matched, demo.video.n_sent, demo.audio.n_matched,
        demo.audio.n_sent, min_percent);
  }

done:
  link_clear (&demo.publisher);
  link_clear (&demo.player);
  track_clear (&demo.video);
  track_clear (&demo.audio);
  return ok ? 0 : 1;
}
