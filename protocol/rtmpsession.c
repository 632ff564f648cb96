/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The RTMP session: one connection's protocol state machine in the client or
 * server role, sans I/O. */

#include "rtmpsession.h"
#include "rtmpchunk.h"

#include <string.h>

#define DEFAULT_WINDOW_ACK_SIZE 2500000
/* Streams one server-side connection may create: players and publishers
 * use one; more is a client leaking streams or attacking. */
#define MAX_SERVER_STREAMS 8
/* Client transactions in flight: connect, releaseStream, FCPublish,
 * createStream, _checkbw... a peer cannot make us track more. */
#define MAX_PENDING_TRANSACTIONS 16
/* Largest command dump built for debug logs */
#define DUMP_MAX_LEN 1024

/* Flash capability bits sent in connect, the values FFmpeg and rtmp2 send
 * (RTMP 1.0 §7.2.1.1, page 32) */
#define CONNECT_AUDIO_CODECS 4071
#define CONNECT_VIDEO_CODECS 252
#define CONNECT_VIDEO_FUNCTION 1
#define CONNECT_CAPABILITIES 15

/* Enhanced RTMP v2: FourCcInfoMap flags and capsEx bits */
#define FOURCC_INFO_CAN_DECODE 0x01
#define FOURCC_INFO_CAN_ENCODE 0x02
#define FOURCC_INFO_CAN_FORWARD 0x04
#define CAPS_EX_RECONNECT 0x01
#define CAPS_EX_MULTITRACK 0x02
#define CAPS_EX_MODEX 0x04

typedef enum
{
  STATE_HANDSHAKE,
  /* client: connect sent, waiting for its answer; server: waiting for
   * connect, or for our user to answer it */
  STATE_CONNECTING,
  STATE_CONNECTED,
  /* our last message is queued; nothing more is processed */
  STATE_CLOSING,
  STATE_FAILED,
} SessionState;

/* Client: where the intent (publish/play) stands once connected */
typedef enum
{
  STEP_NONE,
  STEP_CREATE_STREAM,
  STEP_WAIT_START, /* publish/play sent, waiting for .Start */
  STEP_ACTIVE,
} ClientStep;

typedef enum
{
  TXN_CONNECT,
  TXN_CREATE_STREAM,
  TXN_OTHER,
} TransactionKind;

typedef struct
{
  gdouble id;
  TransactionKind kind;
  const gchar *name; /* static */
} Transaction;

typedef struct
{
  gchar *app;
  gchar *tc_url;
  gchar *flash_ver;
  gchar *swf_url;
  gchar *page_url;
  GStrv fourcc_list;
  RtmpAmfValue *extra_connect_fields;
  GPtrArray *extra_connect_args;
  gchar *stream_name;
  gchar *secure_token;
} ClientStrings;

struct _RtmpSession
{
  RtmpSessionRole role;
  RtmpLimits limits;
  SessionState state;

  RtmpHandshake *handshake;
  RtmpChunkReader *reader;
  RtmpOutputQueue *output;
  RtmpChunkWriter *writer;
  GQueue events; /* RtmpSessionEvent *, owned */
  /* server: messages that came after connect and before our user answered
   * it (clients may pipeline createStream, publish...): handled once
   * connect is accepted */
  GQueue held_messages; /* RtmpMessage *, owned */
  gsize held_bytes;
  /* an error found while handling held messages, reported by the next
   * receive or deadline */
  GError *deferred_error;

  /* timers, all on the caller's clock */
  guint32 phase_timeout_ms;
  guint64 phase_deadline_us; /* G_MAXUINT64 when no phase is timed */
  const gchar *phase_name;   /* static */
  guint32 idle_timeout_ms;
  guint64 last_receive_us;
  guint32 ping_interval_ms;
  guint64 next_ping_us;
  guint64 created_us;
  guint32 ping_sent_value; /* PingRequest timestamp awaiting reply */
  guint64 ping_sent_us;
  gboolean ping_outstanding;

  /* acknowledgements: what the peer asked for and what we sent */
  guint32 peer_window_ack_size;
  guint32 last_ack_bytes;
  guint32 window_ack_size; /* ours */
  guint32 sent_window_ack_size;

  /* commands */
  gdouble next_transaction_id;
  GArray *transactions; /* Transaction */

  /* client */
  RtmpClientConfig client; /* strings point into client_strings */
  ClientStrings client_strings;
  ClientStep step;
  guint32 stream_id;
  gboolean is_publishing;
  gboolean is_playing;
  guint8 auth_random[RTMP_AUTH_RANDOM_SIZE];

  /* server */
  gdouble connect_transaction_id;
  gboolean is_connect_received;
  gdouble object_encoding;
  gboolean is_connect_answered;
  guint32 server_streams[MAX_SERVER_STREAMS];
  guint n_server_streams;
  guint32 next_server_stream_id;

  RtmpSessionStats stats;

  RtmpLogFunc log_func;
  gpointer log_user_data;
  GLogLevelFlags log_level;
};

/* --- logging --- */

static gboolean
log_enabled (RtmpSession *self, GLogLevelFlags level)
{
  return self->log_func != NULL && (self->log_level & level) != 0;
}

static void log_message (RtmpSession *self, GLogLevelFlags level,
    const gchar *format, ...) G_GNUC_PRINTF (3, 4);

static void
log_message (RtmpSession *self, GLogLevelFlags level, const gchar *format, ...)
{
  g_autofree gchar *text = NULL;
  va_list args;

  if (!log_enabled (self, level))
    return;
  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  self->log_func (level, text, self->log_user_data);
}

static void
log_command (RtmpSession *self, const gchar *direction, guint32 stream_id,
    const RtmpCommand *command)
{
  g_autofree gchar *dump = NULL;

  if (!log_enabled (self, G_LOG_LEVEL_DEBUG))
    return;
  dump = rtmp_command_dump (command, DUMP_MAX_LEN);
  log_message (self, G_LOG_LEVEL_DEBUG, "%s stream %u: %s", direction,
      stream_id, dump);
}

/* --- setup --- */

void
rtmp_session_config_init (RtmpSessionConfig *config, RtmpSessionRole role)
{
  memset (config, 0, sizeof (*config));
  config->role = role;
  config->handshake = RTMP_HANDSHAKE_DIGEST;
  config->phase_timeout_ms = 5000;
  config->chunk_size = 4096;
  config->window_ack_size = DEFAULT_WINDOW_ACK_SIZE;
  rtmp_limits_init_default (&config->limits);
  config->client.intent = RTMP_SESSION_INTENT_CONNECT;
  config->client.play_start_ms = RTMP_PLAY_START_ANY;
  config->client.play_duration_ms = RTMP_PLAY_DURATION_ALL;
  config->client.buffer_length_ms = 1000;
  config->log_level = G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL
      | G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO;
}

static void
copy_client_config (RtmpSession *self, const RtmpClientConfig *config)
{
  ClientStrings *s = &self->client_strings;
  guint i;

  self->client = *config;

  s->app = g_strdup (config->app);
  s->tc_url = g_strdup (config->tc_url);
  s->flash_ver = g_strdup (config->flash_ver);
  s->swf_url = g_strdup (config->swf_url);
  s->page_url = g_strdup (config->page_url);
  s->fourcc_list = g_strdupv ((gchar **) config->fourcc_list);
  s->stream_name = g_strdup (config->stream_name);
  s->secure_token = g_strdup (config->secure_token);
  if (config->extra_connect_fields)
    s->extra_connect_fields
        = rtmp_amf_value_copy (config->extra_connect_fields);
  s->extra_connect_args
      = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_amf_value_free);
  for (i = 0; i < config->n_extra_connect_args; i++)
    g_ptr_array_add (s->extra_connect_args,
        rtmp_amf_value_copy (config->extra_connect_args[i]));

  self->client.app = s->app;
  self->client.tc_url = s->tc_url;
  self->client.flash_ver = s->flash_ver;
  self->client.swf_url = s->swf_url;
  self->client.page_url = s->page_url;
  self->client.fourcc_list = (const gchar *const *) s->fourcc_list;
  self->client.stream_name = s->stream_name;
  self->client.secure_token = s->secure_token;
  self->client.extra_connect_fields = s->extra_connect_fields;
  self->client.extra_connect_args = NULL;
  self->client.n_extra_connect_args = 0;
}

static void
clear_client_strings (ClientStrings *s)
{
  g_free (s->app);
  g_free (s->tc_url);
  g_free (s->flash_ver);
  g_free (s->swf_url);
  g_free (s->page_url);
  g_strfreev (s->fourcc_list);
  g_clear_pointer (&s->extra_connect_fields, rtmp_amf_value_free);
  g_clear_pointer (&s->extra_connect_args, g_ptr_array_unref);
  g_free (s->stream_name);
  g_free (s->secure_token);
}

static void
set_phase (RtmpSession *self, const gchar *name, guint64 now_us)
{
  self->phase_name = name;
  if (name != NULL && self->phase_timeout_ms > 0)
    self->phase_deadline_us = now_us + self->phase_timeout_ms * (guint64) 1000;
  else
    self->phase_deadline_us = G_MAXUINT64;
}

static void flush_handshake_output (RtmpSession *self);

RtmpSession *
rtmp_session_new (const RtmpSessionConfig *config)
{
  RtmpSession *self;
  RtmpHandshakeConfig hs = {
    0,
  };

  g_return_val_if_fail (config->random != NULL, NULL);
  g_return_val_if_fail (config->role == RTMP_SESSION_ROLE_SERVER
          || (config->client.app != NULL && config->client.tc_url != NULL),
      NULL);
  g_return_val_if_fail (config->role == RTMP_SESSION_ROLE_SERVER
          || config->client.intent == RTMP_SESSION_INTENT_CONNECT
          || config->client.stream_name != NULL,
      NULL);

  self = g_new0 (RtmpSession, 1);

  self->role = config->role;
  self->limits = config->limits;
  self->state = STATE_HANDSHAKE;
  self->log_func = config->log_func;
  self->log_user_data = config->log_user_data;
  self->log_level = config->log_level;

  self->output = rtmp_output_queue_new ();
  self->writer = rtmp_chunk_writer_new (self->output);
  self->reader = rtmp_chunk_reader_new (&self->limits);
  g_queue_init (&self->events);
  self->transactions = g_array_new (FALSE, FALSE, sizeof (Transaction));
  self->next_transaction_id = 1;
  self->next_server_stream_id = 1;
  self->peer_window_ack_size = DEFAULT_WINDOW_ACK_SIZE;
  self->window_ack_size = config->window_ack_size ? config->window_ack_size
                                                  : DEFAULT_WINDOW_ACK_SIZE;

  self->phase_timeout_ms = config->phase_timeout_ms;
  self->idle_timeout_ms = config->idle_timeout_ms;
  self->ping_interval_ms = config->ping_interval_ms;
  self->created_us = config->now_us;
  self->last_receive_us = config->now_us;
  self->next_ping_us = G_MAXUINT64;
  set_phase (self, "handshake", config->now_us);

  self->stats.in_chunk_size = RTMP_DEFAULT_CHUNK_SIZE;
  self->stats.out_chunk_size = RTMP_DEFAULT_CHUNK_SIZE;

  if (config->chunk_size != 0 && config->chunk_size != RTMP_DEFAULT_CHUNK_SIZE)
    self->stats.out_chunk_size = config->chunk_size;

  if (config->role == RTMP_SESSION_ROLE_CLIENT) {
    copy_client_config (self, &config->client);
  }

  hs.role = config->role == RTMP_SESSION_ROLE_CLIENT
      ? RTMP_HANDSHAKE_ROLE_CLIENT
      : RTMP_HANDSHAKE_ROLE_SERVER;
  hs.type = config->handshake;
  hs.version = RTMP_HANDSHAKE_VERSION_PLAIN;
  hs.epoch_ms = config->epoch_ms;
  hs.random = config->random;
  hs.log_func = config->log_func;
  hs.log_user_data = config->log_user_data;
  hs.log_level = config->log_level;
  self->handshake = rtmp_handshake_new (&hs);
  memcpy (self->auth_random, config->random + RTMP_HANDSHAKE_RANDOM_SIZE,
      RTMP_AUTH_RANDOM_SIZE);

  flush_handshake_output (self);
  return self;
}

void
rtmp_session_free (RtmpSession *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->handshake, rtmp_handshake_free);
  rtmp_chunk_reader_free (self->reader);
  rtmp_chunk_writer_free (self->writer);
  rtmp_output_queue_free (self->output);
  while (!g_queue_is_empty (&self->events)) {
    RtmpSessionEvent *event = g_queue_pop_head (&self->events);

    rtmp_session_event_clear (event);
    g_free (event);
  }
  g_array_unref (self->transactions);
  g_queue_clear_full (&self->held_messages, (GDestroyNotify) rtmp_message_free);
  g_clear_error (&self->deferred_error);
  if (self->role == RTMP_SESSION_ROLE_CLIENT)
    clear_client_strings (&self->client_strings);
  g_free (self);
}

/* --- events --- */

void
rtmp_session_event_clear (RtmpSessionEvent *event)
{
  g_clear_pointer (&event->message, rtmp_message_free);
  g_clear_pointer (&event->command, rtmp_command_free);
  memset (event, 0, sizeof (*event));
}

static RtmpSessionEvent *
push_event (RtmpSession *self, RtmpSessionEventType type, guint32 stream_id)
{
  RtmpSessionEvent *event = g_new0 (RtmpSessionEvent, 1);

  event->type = type;
  event->stream_id = stream_id;
  g_queue_push_tail (&self->events, event);
  return event;
}

gboolean
rtmp_session_next_event (RtmpSession *self, RtmpSessionEvent *event)
{
  RtmpSessionEvent *head = g_queue_pop_head (&self->events);

  if (head == NULL)
    return FALSE;
  *event = *head;
  g_free (head);
  return TRUE;
}

/* --- output --- */

static void
flush_handshake_output (RtmpSession *self)
{
  GBytes *bytes = rtmp_handshake_take_output (self->handshake);

  if (bytes == NULL)
    return;
  rtmp_output_queue_push_bytes (self->output, bytes, 0,
      g_bytes_get_size (bytes));
  self->stats.out_bytes += g_bytes_get_size (bytes);
  g_bytes_unref (bytes);
}

static void
count_out (RtmpSession *self, guint8 type, gsize payload_len, gsize written)
{
  self->stats.out_messages++;
  self->stats.out_bytes += written;
  switch (type) {
    case RTMP_MESSAGE_AUDIO:
      self->stats.out_messages_audio++;
      self->stats.out_bytes_audio += payload_len;
      break;
    case RTMP_MESSAGE_VIDEO:
      self->stats.out_messages_video++;
      self->stats.out_bytes_video += payload_len;
      break;
    case RTMP_MESSAGE_DATA_AMF0:
    case RTMP_MESSAGE_DATA_AMF3:
      self->stats.out_messages_data++;
      self->stats.out_bytes_data += payload_len;
      break;
    default:
      break;
  }
}

void
rtmp_session_send_message (RtmpSession *self, const RtmpMessage *message)
{
  gsize written;

  g_return_if_fail (self->state != STATE_HANDSHAKE);

  written = rtmp_chunk_writer_write (self->writer, message);
  count_out (self, message->type, g_bytes_get_size (message->payload), written);
}

static void
send_message_take (RtmpSession *self, RtmpMessage *message)
{
  rtmp_session_send_message (self, message);
  rtmp_message_free (message);
}

void
rtmp_session_send_media (RtmpSession *self, guint32 stream_id, guint8 type,
    guint32 timestamp, GBytes *payload)
{
  RtmpMessage message = {
    .type = type,
    .timestamp = timestamp,
    .stream_id = stream_id,
    .csid = rtmp_message_default_csid (type, stream_id),
    .payload = payload,
  };

  rtmp_session_send_message (self, &message);
}

void
rtmp_session_send_command (RtmpSession *self, guint32 stream_id,
    const RtmpCommand *command)
{
  log_command (self, "send", stream_id, command);
  send_message_take (self, rtmp_command_serialize (command, stream_id));
}

void
rtmp_session_send_user_control (RtmpSession *self, const RtmpUserControl *event)
{
  send_message_take (self, rtmp_message_new_user_control (event));
}

static RtmpAmfValue *
new_status_info (const gchar *level, const gchar *code,
    const gchar *description)
{
  RtmpAmfValue *info = rtmp_amf_value_new_object ();

  rtmp_amf_value_set_string_field (info, "level", level);
  rtmp_amf_value_set_string_field (info, "code", code);
  rtmp_amf_value_set_string_field (info, "description",
      description ? description : "");
  return info;
}

void
rtmp_session_send_status (RtmpSession *self, guint32 stream_id,
    const gchar *level, const gchar *code, const gchar *description)
{
  g_autoptr (RtmpCommand) command = rtmp_command_new ("onStatus", 0, NULL);

  rtmp_command_take_argument (command,
      new_status_info (level, code, description));
  rtmp_session_send_command (self, stream_id, command);
}

void
rtmp_session_set_chunk_size (RtmpSession *self, guint32 chunk_size)
{
  g_return_if_fail (chunk_size >= 1 && chunk_size <= RTMP_MAX_CHUNK_SIZE);

  self->stats.out_chunk_size = chunk_size;
  if (self->state == STATE_HANDSHAKE)
    return; /* announced once the handshake is done */
  if (chunk_size == rtmp_chunk_writer_get_chunk_size (self->writer))
    return;
  rtmp_chunk_writer_set_chunk_size (self->writer, chunk_size);
}

guint32
rtmp_session_get_chunk_size (const RtmpSession *self)
{
  return self->stats.out_chunk_size;
}

guint32
rtmp_session_get_peer_chunk_size (const RtmpSession *self)
{
  return rtmp_chunk_reader_get_chunk_size (self->reader);
}

guint
rtmp_session_peek_output (RtmpSession *self, RtmpOutputVector *vectors,
    guint n_vectors)
{
  return rtmp_output_queue_peek (self->output, vectors, n_vectors);
}

void
rtmp_session_consume_output (RtmpSession *self, gsize n_bytes)
{
  rtmp_output_queue_consume (self->output, n_bytes);
}

gsize
rtmp_session_get_output_size (const RtmpSession *self)
{
  return rtmp_output_queue_get_size (self->output);
}

guint64
rtmp_session_get_output_queued_total (const RtmpSession *self)
{
  return rtmp_output_queue_get_pushed_total (self->output);
}

guint64
rtmp_session_get_output_written_total (const RtmpSession *self)
{
  return rtmp_output_queue_get_consumed_total (self->output);
}

gboolean
rtmp_session_is_closing (const RtmpSession *self)
{
  return self->state == STATE_CLOSING;
}

void
rtmp_session_get_stats (const RtmpSession *self, RtmpSessionStats *stats)
{
  *stats = self->stats;
  stats->in_chunk_size = rtmp_chunk_reader_get_chunk_size (self->reader);
  stats->out_chunk_size = rtmp_chunk_writer_get_chunk_size (self->writer);
  stats->in_window_ack_size = self->peer_window_ack_size;
  stats->out_window_ack_size = self->sent_window_ack_size;
}

/* --- transactions --- */

static gdouble
add_transaction (RtmpSession *self, TransactionKind kind, const gchar *name)
{
  Transaction txn = { self->next_transaction_id++, kind, name };

  /* a server that never answers (_checkbw, releaseStream) must not make the
   * table grow: forget the oldest */
  if (self->transactions->len >= MAX_PENDING_TRANSACTIONS)
    g_array_remove_index (self->transactions, 0);
  g_array_append_val (self->transactions, txn);
  return txn.id;
}

static gboolean
take_transaction (RtmpSession *self, gdouble id, Transaction *out)
{
  guint i;

  for (i = 0; i < self->transactions->len; i++) {
    Transaction *txn = &g_array_index (self->transactions, Transaction, i);

    if (txn->id == id) {
      *out = *txn;
      g_array_remove_index (self->transactions, i);
      return TRUE;
    }
  }
  return FALSE;
}

static void
send_call (RtmpSession *self, guint32 stream_id, const gchar *name,
    TransactionKind kind, RtmpAmfValue *argument)
{
  gdouble txn_id = add_transaction (self, kind, name);
  g_autoptr (RtmpCommand) command = rtmp_command_new (name, txn_id, NULL);

  if (argument)
    rtmp_command_take_argument (command, argument);
  rtmp_session_send_command (self, stream_id, command);
}

/* A command without an answer (transaction id 0, §7.2.2) */
static void
send_notify (RtmpSession *self, guint32 stream_id, const gchar *name,
    RtmpAmfValue *argument1, RtmpAmfValue *argument2)
{
  g_autoptr (RtmpCommand) command = rtmp_command_new (name, 0, NULL);

  if (argument1)
    rtmp_command_take_argument (command, argument1);
  if (argument2)
    rtmp_command_take_argument (command, argument2);
  rtmp_session_send_command (self, stream_id, command);
}

static void
send_result (RtmpSession *self, gdouble transaction_id,
    RtmpAmfValue *properties, RtmpAmfValue *information)
{
  g_autoptr (RtmpCommand) command
      = rtmp_command_new ("_result", transaction_id, properties);

  if (information)
    rtmp_command_take_argument (command, information);
  rtmp_session_send_command (self, 0, command);
}

static void
send_error_result (RtmpSession *self, gdouble transaction_id,
    RtmpAmfValue *information)
{
  g_autoptr (RtmpCommand) command
      = rtmp_command_new ("_error", transaction_id, NULL);

  rtmp_command_take_argument (command, information);
  rtmp_session_send_command (self, 0, command);
}

/* --- client role --- */

static RtmpAmfValue *
new_fourcc_info_map (const gchar *const *fourccs, gboolean audio, gdouble flags)
{
  static const gchar *const audio_fourccs[]
      = { "Opus", "fLaC", "ac-3", "ec-3", ".mp3", "mp4a", NULL };
  RtmpAmfValue *map = rtmp_amf_value_new_object ();
  guint i;

  for (i = 0; fourccs[i] != NULL; i++) {
    gboolean is_audio = g_strv_contains (audio_fourccs, fourccs[i]);

    if (g_strcmp0 (fourccs[i], "*") == 0 || is_audio == audio)
      rtmp_amf_value_set_number_field (map, fourccs[i], flags);
  }
  return map;
}

static gchar *
append_query (const gchar *base, const gchar *query)
{
  if (query == NULL)
    return g_strdup (base);
  return g_strconcat (base, strchr (base, '?') ? "&" : "?", query, NULL);
}

static void
send_connect (RtmpSession *self)
{
  const RtmpClientConfig *c = &self->client;
  const gchar *auth_query
      = c->auth ? rtmp_auth_state_peek_query (c->auth) : NULL;
  gboolean publish = c->intent == RTMP_SESSION_INTENT_PUBLISH;
  RtmpAmfValue *object = rtmp_amf_value_new_object ();
  g_autoptr (RtmpCommand) command = NULL;
  g_autofree gchar *app = append_query (c->app, auth_query);
  g_autofree gchar *tc_url = append_query (c->tc_url, auth_query);
  guint i;

  rtmp_amf_value_set_string_field (object, "app", app);
  if (publish)
    rtmp_amf_value_set_string_field (object, "type", "nonprivate");
  if (c->flash_ver)
    rtmp_amf_value_set_string_field (object, "flashVer", c->flash_ver);
  if (c->swf_url)
    rtmp_amf_value_set_string_field (object, "swfUrl", c->swf_url);
  rtmp_amf_value_set_string_field (object, "tcUrl", tc_url);
  if (!publish) {
    rtmp_amf_value_set_boolean_field (object, "fpad", FALSE);
    rtmp_amf_value_set_number_field (object, "capabilities",
        CONNECT_CAPABILITIES);
    rtmp_amf_value_set_number_field (object, "audioCodecs",
        CONNECT_AUDIO_CODECS);
    rtmp_amf_value_set_number_field (object, "videoCodecs",
        CONNECT_VIDEO_CODECS);
    rtmp_amf_value_set_number_field (object, "videoFunction",
        CONNECT_VIDEO_FUNCTION);
  }
  if (c->page_url)
    rtmp_amf_value_set_string_field (object, "pageUrl", c->page_url);

  /* Enhanced RTMP v1 fourCcList, v2 info maps and capsEx */
  if (c->fourcc_list != NULL && c->fourcc_list[0] != NULL) {
    RtmpAmfValue *list = rtmp_amf_value_new_strict_array ();
    gdouble flags = publish ? FOURCC_INFO_CAN_ENCODE | FOURCC_INFO_CAN_FORWARD
                            : FOURCC_INFO_CAN_DECODE | FOURCC_INFO_CAN_FORWARD;

    for (i = 0; c->fourcc_list[i] != NULL; i++)
      rtmp_amf_value_take_item (list,
          rtmp_amf_value_new_string (c->fourcc_list[i]));
    rtmp_amf_value_take_field (object, "fourCcList", list);
    rtmp_amf_value_take_field (object, "videoFourCcInfoMap",
        new_fourcc_info_map (c->fourcc_list, FALSE, flags));
    rtmp_amf_value_take_field (object, "audioFourCcInfoMap",
        new_fourcc_info_map (c->fourcc_list, TRUE, flags));
    rtmp_amf_value_set_number_field (object, "capsEx",
        CAPS_EX_RECONNECT | CAPS_EX_MULTITRACK | CAPS_EX_MODEX);
  }

  if (c->extra_connect_fields) {
    guint n = rtmp_amf_value_get_n_fields (c->extra_connect_fields);

    for (i = 0; i < n; i++) {
      const gchar *name;
      const RtmpAmfValue *value
          = rtmp_amf_value_peek_field_at (c->extra_connect_fields, i, &name);

      rtmp_amf_value_take_field (object, name, rtmp_amf_value_copy (value));
    }
  }

  command = rtmp_command_new ("connect",
      add_transaction (self, TXN_CONNECT, "connect"), object);
  for (i = 0; i < self->client_strings.extra_connect_args->len; i++)
    rtmp_command_take_argument (command,
        rtmp_amf_value_copy (
            self->client_strings.extra_connect_args->pdata[i]));
  rtmp_session_send_command (self, 0, command);
}

static void
client_handshake_complete (RtmpSession *self, guint64 now_us)
{
  self->state = STATE_CONNECTING;
  if (self->stats.out_chunk_size != RTMP_DEFAULT_CHUNK_SIZE)
    rtmp_chunk_writer_set_chunk_size (self->writer, self->stats.out_chunk_size);
  send_connect (self);
  set_phase (self, "the answer to connect", now_us);
}

static void
client_start_intent (RtmpSession *self, guint64 now_us)
{
  const RtmpClientConfig *c = &self->client;

  if (c->intent == RTMP_SESSION_INTENT_CONNECT) {
    set_phase (self, NULL, now_us);
    return;
  }
  if (c->intent == RTMP_SESSION_INTENT_PUBLISH) {
    send_call (self, 0, "releaseStream", TXN_OTHER,
        rtmp_amf_value_new_string (c->stream_name));
    send_call (self, 0, "FCPublish", TXN_OTHER,
        rtmp_amf_value_new_string (c->stream_name));
  }
  send_call (self, 0, "createStream", TXN_CREATE_STREAM, NULL);
  self->step = STEP_CREATE_STREAM;
  set_phase (self, "the answer to createStream", now_us);
}

static void
client_stream_created (RtmpSession *self, guint64 now_us)
{
  const RtmpClientConfig *c = &self->client;
  static const gchar *const publish_types[] = { "live", "record", "append" };

  if (c->intent == RTMP_SESSION_INTENT_PUBLISH) {
    send_notify (self, self->stream_id, "publish",
        rtmp_amf_value_new_string (c->stream_name),
        rtmp_amf_value_new_string (publish_types[c->publish_type]));
    set_phase (self, "NetStream.Publish.Start", now_us);
  } else {
    RtmpUserControl buffer = {
      .type = RTMP_USER_CONTROL_SET_BUFFER_LENGTH,
      .value = self->stream_id,
      .buffer_length_ms = c->buffer_length_ms,
    };
    g_autoptr (RtmpCommand) play = rtmp_command_new ("play", 0, NULL);
    /* play's start and duration in ms, -2000 "live or recorded" and -1000
     * "live only", as FFmpeg and librtmp send them and servers read them */
    gdouble start = c->play_start_ms;

    if (start == RTMP_PLAY_START_ANY)
      start = -2000;
    else if (start == RTMP_PLAY_START_LIVE)
      start = -1000;

    rtmp_session_send_user_control (self, &buffer);
    rtmp_command_take_argument (play,
        rtmp_amf_value_new_string (c->stream_name));
    rtmp_command_take_argument (play, rtmp_amf_value_new_number (start));
    if (c->play_duration_ms != RTMP_PLAY_DURATION_ALL) {
      rtmp_command_take_argument (play,
          rtmp_amf_value_new_number (c->play_duration_ms));
    }
    rtmp_session_send_command (self, self->stream_id, play);
    set_phase (self, "NetStream.Play.Start", now_us);
  }
  self->step = STEP_WAIT_START;
}

static gboolean
client_connect_answered (RtmpSession *self, RtmpCommand **command_ptr,
    guint64 now_us, GError **error)
{
  RtmpCommand *command = *command_ptr;
  const RtmpAmfValue *info = rtmp_command_peek_argument (command, 0);
  const gchar *code = rtmp_amf_value_lookup_string (info, "code");
  const gchar *description = rtmp_amf_value_lookup_string (info, "description");
  const gchar *challenge;
  RtmpSessionEvent *event;

  if (g_strcmp0 (command->name, "_result") != 0
      || g_strcmp0 (code, "NetConnection.Connect.Success") != 0) {
    if (self->client.auth != NULL && description != NULL) {
      GError *auth_error = NULL;
      g_autofree gchar *app = rtmp_auth_strip_query (self->client.app);

      if (rtmp_auth_state_handle_rejection (self->client.auth, description, app,
              self->auth_random, &auth_error)) {
        log_message (self, G_LOG_LEVEL_INFO,
            "server asked for %s authentication: reconnecting",
            rtmp_authmod_to_string (
                rtmp_auth_state_get_authmod (self->client.auth)));
        push_event (self, RTMP_SESSION_EVENT_AUTH_RETRY, 0);
        self->state = STATE_CLOSING;
        set_phase (self, NULL, now_us);
        return TRUE;
      }
      if (!g_error_matches (auth_error, RTMP_ERROR, RTMP_ERROR_REJECTED)) {
        g_propagate_error (error, auth_error);
        return FALSE;
      }
      g_clear_error (&auth_error);
    }
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_REJECTED,
        "the server refused connect to application \"%s\": %s%s%s",
        self->client.app, code ? code : command->name, description ? ": " : "",
        description ? description : "");
    return FALSE;
  }

  self->state = STATE_CONNECTED;
  event = push_event (self, RTMP_SESSION_EVENT_CONNECTED, 0);
  event->info = info;
  event->command = g_steal_pointer (command_ptr);

  /* Wowza/FMS secureToken: answer the challenge or fail clearly */
  challenge = rtmp_amf_value_lookup_string (info, "secureToken");
  if (challenge != NULL) {
    g_autofree gchar *response = NULL;

    if (self->client.secure_token == NULL
        || self->client.secure_token[0] == '\0') {
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_AUTH,
          "the server requires a secureToken and none is set");
      return FALSE;
    }
    response = rtmp_auth_secure_token_response (self->client.secure_token,
        challenge, error);
    if (response == NULL)
      return FALSE;
    send_notify (self, 0, "secureTokenResponse",
        rtmp_amf_value_new_string (response), NULL);
  }

  if (self->ping_interval_ms > 0)
    self->next_ping_us = now_us + self->ping_interval_ms * (guint64) 1000;
  client_start_intent (self, now_us);
  return TRUE;
}

static const gchar *
status_stream_verb (const RtmpSession *self)
{
  return self->client.intent == RTMP_SESSION_INTENT_PUBLISH ? "publish"
                                                            : "play";
}

/* onStatus for a client: every status becomes an event; while waiting for
 * .Start, the start moves the session on and an error fails it. */
static gboolean
client_status (RtmpSession *self, RtmpSessionEvent *event, guint64 now_us,
    GError **error)
{
  if (self->step != STEP_WAIT_START || event->stream_id != self->stream_id)
    return TRUE;

  if (g_strcmp0 (event->code, "NetStream.Publish.Start") == 0
      && self->client.intent == RTMP_SESSION_INTENT_PUBLISH) {
    self->step = STEP_ACTIVE;
    self->is_publishing = TRUE;
    set_phase (self, NULL, now_us);
    push_event (self, RTMP_SESSION_EVENT_PUBLISHING, self->stream_id);
    return TRUE;
  }
  if (g_strcmp0 (event->code, "NetStream.Play.Start") == 0
      && self->client.intent == RTMP_SESSION_INTENT_PLAY) {
    self->step = STEP_ACTIVE;
    self->is_playing = TRUE;
    set_phase (self, NULL, now_us);
    push_event (self, RTMP_SESSION_EVENT_PLAYING, self->stream_id);
    return TRUE;
  }
  if (g_strcmp0 (event->level, "error") == 0) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_REJECTED,
        "the server refused to %s \"%s\": %s%s%s", status_stream_verb (self),
        self->client.stream_name, event->code ? event->code : "(no code)",
        event->description ? ": " : "",
        event->description ? event->description : "");
    return FALSE;
  }
  return TRUE;
}

/* Fills a STATUS event from an onStatus/onPlayStatus command and queues it
 * (the command moves into the event). */
static RtmpSessionEvent *
push_status_event (RtmpSession *self, guint32 stream_id,
    RtmpCommand **command_ptr)
{
  RtmpSessionEvent *event
      = push_event (self, RTMP_SESSION_EVENT_STATUS, stream_id);
  const RtmpAmfValue *info = rtmp_command_peek_argument (*command_ptr, 0);

  /* onStatus(0, null, info); some servers put info in the command object's
   * place (seen from Red5 and Wowza with onPlayStatus data messages) */
  if (info == NULL
      && rtmp_amf_value_get_type ((*command_ptr)->command_object)
          == RTMP_AMF_TYPE_OBJECT)
    info = (*command_ptr)->command_object;
  event->command = g_steal_pointer (command_ptr);
  event->info = info;
  event->code = rtmp_amf_value_lookup_string (info, "code");
  event->level = rtmp_amf_value_lookup_string (info, "level");
  event->description = rtmp_amf_value_lookup_string (info, "description");
  return event;
}

static gboolean
client_result (RtmpSession *self, RtmpCommand **command_ptr, guint64 now_us,
    GError **error)
{
  RtmpCommand *command = *command_ptr;
  Transaction txn;
  const RtmpAmfValue *id_value;
  gdouble id;

  if (!take_transaction (self, command->transaction_id, &txn)) {
    log_message (self, G_LOG_LEVEL_INFO,
        "%s for transaction %g, which we did not start: ignored", command->name,
        command->transaction_id);
    return TRUE;
  }

  switch (txn.kind) {
    case TXN_CONNECT:
      return client_connect_answered (self, command_ptr, now_us, error);
    case TXN_CREATE_STREAM:
      id_value = rtmp_command_peek_argument (command, 0);
      if (g_strcmp0 (command->name, "_result") != 0 || id_value == NULL
          || !rtmp_amf_value_to_number (id_value, &id)
          || !(id >= 1 && id <= G_MAXUINT32)) { /* NaN too */
        g_set_error (error, RTMP_ERROR, RTMP_ERROR_REJECTED,
            "the server refused createStream (%s)", command->name);
        return FALSE;
      }
      self->stream_id = (guint32) id;
      push_event (self, RTMP_SESSION_EVENT_STREAM_CREATED, self->stream_id);
      client_stream_created (self, now_us);
      return TRUE;
    case TXN_OTHER:
      /* releaseStream/FCPublish/_checkbw answers: FMS answers _error to
       * releaseStream of an unknown stream, which is harmless */
      log_message (self, G_LOG_LEVEL_DEBUG, "%s answered %s", txn.name,
          command->name);
      return TRUE;
  }
  return TRUE;
}

/* --- server role --- */

static gboolean
server_has_stream (const RtmpSession *self, guint32 stream_id)
{
  guint i;

  for (i = 0; i < self->n_server_streams; i++) {
    if (self->server_streams[i] == stream_id)
      return TRUE;
  }
  return FALSE;
}

static void
server_remove_stream (RtmpSession *self, guint32 stream_id)
{
  guint i;

  for (i = 0; i < self->n_server_streams; i++) {
    if (self->server_streams[i] == stream_id) {
      self->server_streams[i] = self->server_streams[--self->n_server_streams];
      return;
    }
  }
}

static const gchar *
argument_string (const RtmpCommand *command, guint index)
{
  const RtmpAmfValue *value = rtmp_command_peek_argument (command, index);

  if (value == NULL || rtmp_amf_value_get_type (value) != RTMP_AMF_TYPE_STRING)
    return NULL;
  return rtmp_amf_value_peek_string (value, NULL);
}

static gboolean
argument_number (const RtmpCommand *command, guint index, gdouble *number)
{
  const RtmpAmfValue *value = rtmp_command_peek_argument (command, index);

  return value != NULL && rtmp_amf_value_to_number (value, number);
}

static gboolean
server_connect (RtmpSession *self, RtmpCommand **command_ptr, GError **error)
{
  RtmpCommand *command = *command_ptr;
  RtmpSessionEvent *event;
  const gchar *app;

  if (self->state != STATE_CONNECTING || self->is_connect_answered
      || self->is_connect_received) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_PROTOCOL,
        "connect received twice");
    return FALSE;
  }
  app = rtmp_amf_value_lookup_string (command->command_object, "app");
  if (app == NULL) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
        "connect without an app string in its command object");
    return FALSE;
  }
  self->connect_transaction_id = command->transaction_id;
  self->is_connect_received = TRUE;
  if (!rtmp_amf_value_lookup_number (command->command_object, "objectEncoding",
          &self->object_encoding))
    self->object_encoding = 0;

  /* our user answers; until then no phase of the peer's is timed */
  set_phase (self, NULL, 0);
  event = push_event (self, RTMP_SESSION_EVENT_CONNECT_REQUEST, 0);
  event->name = app;
  event->info = command->command_object;
  event->command = g_steal_pointer (command_ptr);
  return TRUE;
}

static void
server_create_stream (RtmpSession *self, const RtmpCommand *command)
{
  guint32 id;

  if (self->n_server_streams >= MAX_SERVER_STREAMS) {
    log_message (self, G_LOG_LEVEL_WARNING,
        "createStream: the client already has %u streams", MAX_SERVER_STREAMS);
    send_error_result (self, command->transaction_id,
        new_status_info ("error", "NetConnection.Call.Failed",
            "too many streams"));
    return;
  }
  id = self->next_server_stream_id++;
  self->server_streams[self->n_server_streams++] = id;
  send_result (self, command->transaction_id, NULL,
      rtmp_amf_value_new_number (id));
}

static gboolean
check_stream (RtmpSession *self, guint32 stream_id, const gchar *what,
    GError **error)
{
  if (server_has_stream (self, stream_id))
    return TRUE;
  g_set_error (error, RTMP_ERROR, RTMP_ERROR_PROTOCOL,
      "%s on stream %u, which was not created", what, stream_id);
  return FALSE;
}

static gboolean
server_publish (RtmpSession *self, guint32 stream_id, RtmpCommand **command_ptr,
    GError **error)
{
  RtmpCommand *command = *command_ptr;
  const gchar *name = argument_string (command, 0);
  const gchar *type = argument_string (command, 1);
  RtmpSessionEvent *event;

  if (!check_stream (self, stream_id, "publish", error))
    return FALSE;
  if (name == NULL) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
        "publish on stream %u without a stream name", stream_id);
    return FALSE;
  }
  event = push_event (self, RTMP_SESSION_EVENT_PUBLISH_REQUEST, stream_id);
  event->name = name;
  if (g_strcmp0 (type, "record") == 0)
    event->publish_type = RTMP_PUBLISH_TYPE_RECORD;
  else if (g_strcmp0 (type, "append") == 0)
    event->publish_type = RTMP_PUBLISH_TYPE_APPEND;
  else
    event->publish_type = RTMP_PUBLISH_TYPE_LIVE;
  event->command = g_steal_pointer (command_ptr);
  return TRUE;
}

static gboolean
server_play (RtmpSession *self, guint32 stream_id, RtmpCommand **command_ptr,
    GError **error)
{
  RtmpCommand *command = *command_ptr;
  const gchar *name = argument_string (command, 0);
  const RtmpAmfValue *reset = rtmp_command_peek_argument (command, 3);
  RtmpSessionEvent *event;

  if (!check_stream (self, stream_id, "play", error))
    return FALSE;
  if (name == NULL) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
        "play on stream %u without a stream name", stream_id);
    return FALSE;
  }
  event = push_event (self, RTMP_SESSION_EVENT_PLAY_REQUEST, stream_id);
  event->name = name;
  if (!argument_number (command, 1, &event->start_ms))
    event->start_ms = -2000;
  if (!argument_number (command, 2, &event->duration_ms))
    event->duration_ms = RTMP_PLAY_DURATION_ALL;
  event->reset = reset == NULL
      || rtmp_amf_value_get_type (reset) != RTMP_AMF_TYPE_BOOLEAN
      || rtmp_amf_value_get_boolean (reset);
  event->command = g_steal_pointer (command_ptr);
  return TRUE;
}

static gboolean
server_pause (RtmpSession *self, guint32 stream_id, const RtmpCommand *command,
    GError **error)
{
  const RtmpAmfValue *pause = rtmp_command_peek_argument (command, 0);
  RtmpSessionEvent *event;

  if (!check_stream (self, stream_id, "pause", error))
    return FALSE;
  event = push_event (self, RTMP_SESSION_EVENT_PAUSE_REQUEST, stream_id);
  event->pause = pause != NULL
      && rtmp_amf_value_get_type (pause) == RTMP_AMF_TYPE_BOOLEAN
      && rtmp_amf_value_get_boolean (pause);
  argument_number (command, 1, &event->position_ms);
  rtmp_session_send_status (self, stream_id, "status",
      event->pause ? "NetStream.Pause.Notify" : "NetStream.Unpause.Notify",
      event->pause ? "Paused." : "Unpaused.");
  return TRUE;
}

static gboolean
server_command (RtmpSession *self, guint32 stream_id, RtmpCommand **command_ptr,
    GError **error)
{
  RtmpCommand *command = *command_ptr;
  const gchar *name = command->name;
  RtmpSessionEvent *event;
  gdouble number;

  if (g_str_equal (name, "connect"))
    return server_connect (self, command_ptr, error);

  if (self->state != STATE_CONNECTED) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_PROTOCOL,
        "command \"%s\" before connect was accepted", name);
    return FALSE;
  }

  if (g_str_equal (name, "createStream")) {
    server_create_stream (self, command);
  } else if (g_str_equal (name, "releaseStream")
      || g_str_equal (name, "FCPublish") || g_str_equal (name, "_checkbw")
      || g_str_equal (name, "FCSubscribe")) {
    if (command->transaction_id != 0)
      send_result (self, command->transaction_id, NULL, NULL);
  } else if (g_str_equal (name, "publish")) {
    return server_publish (self, stream_id, command_ptr, error);
  } else if (g_str_equal (name, "play")) {
    return server_play (self, stream_id, command_ptr, error);
  } else if (g_str_equal (name, "pause")) {
    return server_pause (self, stream_id, command, error);
  } else if (g_str_equal (name, "seek")) {
    if (!check_stream (self, stream_id, "seek", error))
      return FALSE;
    event = push_event (self, RTMP_SESSION_EVENT_SEEK_REQUEST, stream_id);
    argument_number (command, 0, &event->position_ms);
  } else if (g_str_equal (name, "closeStream")
      || g_str_equal (name, "FCUnpublish")) {
    event = push_event (self, RTMP_SESSION_EVENT_STREAM_CLOSED, stream_id);
    event->command = g_steal_pointer (command_ptr);
    event->name = event->command->name;
  } else if (g_str_equal (name, "deleteStream")) {
    /* deleteStream(0, null, id) on stream 0 (§7.2.2.3) */
    if (argument_number (command, 0, &number) && number >= 1
        && number <= G_MAXUINT32)
      stream_id = (guint32) number;
    server_remove_stream (self, stream_id);
    event = push_event (self, RTMP_SESSION_EVENT_STREAM_CLOSED, stream_id);
    event->command = g_steal_pointer (command_ptr);
    event->name = event->command->name;
  } else if (g_str_equal (name, "getStreamLength")) {
    if (command->transaction_id != 0)
      send_result (self, command->transaction_id, NULL,
          rtmp_amf_value_new_number (0));
  } else if (g_str_equal (name, "receiveAudio")
      || g_str_equal (name, "receiveVideo")) {
    /* players may turn a track off; we keep sending both, as nginx does */
  } else {
    event = push_event (self, RTMP_SESSION_EVENT_COMMAND, stream_id);
    event->command = g_steal_pointer (command_ptr);
    event->name = event->command->name;
  }
  return TRUE;
}

static gboolean handle_message (RtmpSession *self, RtmpMessage *message,
    guint64 now_us, GError **error);

void
rtmp_session_accept_connect (RtmpSession *self, const RtmpAmfValue *extra_info,
    guint64 now_us)
{
  RtmpAmfValue *properties, *info;

  g_return_if_fail (self->role == RTMP_SESSION_ROLE_SERVER);
  g_return_if_fail (self->state == STATE_CONNECTING);
  g_return_if_fail (!self->is_connect_answered);

  self->is_connect_answered = TRUE;
  send_message_take (self,
      rtmp_message_new_window_ack_size (self->window_ack_size));
  self->sent_window_ack_size = self->window_ack_size;
  send_message_take (self,
      rtmp_message_new_set_peer_bandwidth (self->window_ack_size,
          RTMP_PEER_BANDWIDTH_DYNAMIC));
  if (self->stats.out_chunk_size
      != rtmp_chunk_writer_get_chunk_size (self->writer))
    rtmp_chunk_writer_set_chunk_size (self->writer, self->stats.out_chunk_size);

  properties = rtmp_amf_value_new_object ();
  rtmp_amf_value_set_string_field (properties, "fmsVer", "FMS/3,5,7,7009");
  rtmp_amf_value_set_number_field (properties, "capabilities", 31);
  rtmp_amf_value_set_number_field (properties, "mode", 1);
  info = new_status_info ("status", "NetConnection.Connect.Success",
      "Connection succeeded.");
  rtmp_amf_value_set_number_field (info, "objectEncoding",
      self->object_encoding);
  if (extra_info) {
    guint i, n = rtmp_amf_value_get_n_fields (extra_info);

    for (i = 0; i < n; i++) {
      const gchar *name;
      const RtmpAmfValue *value
          = rtmp_amf_value_peek_field_at (extra_info, i, &name);

      rtmp_amf_value_take_field (info, name, rtmp_amf_value_copy (value));
    }
  }
  send_result (self, self->connect_transaction_id, properties, info);

  self->state = STATE_CONNECTED;
  set_phase (self, "publish or play", now_us);
  if (self->ping_interval_ms > 0)
    self->next_ping_us = now_us + self->ping_interval_ms * (guint64) 1000;

  /* what the client sent meanwhile: an error is reported by the next
   * receive or deadline */
  while (!g_queue_is_empty (&self->held_messages)) {
    RtmpMessage *message = g_queue_pop_head (&self->held_messages);

    self->held_bytes -= g_bytes_get_size (message->payload);
    if (self->state == STATE_FAILED) {
      rtmp_message_free (message);
      continue;
    }
    if (!handle_message (self, message, now_us, &self->deferred_error))
      self->state = STATE_FAILED;
  }
}

void
rtmp_session_reject_connect (RtmpSession *self, const gchar *description)
{
  g_return_if_fail (self->role == RTMP_SESSION_ROLE_SERVER);
  g_return_if_fail (self->state == STATE_CONNECTING);

  self->is_connect_answered = TRUE;
  g_queue_clear_full (&self->held_messages, (GDestroyNotify) rtmp_message_free);
  self->held_bytes = 0;
  send_error_result (self, self->connect_transaction_id,
      new_status_info ("error", "NetConnection.Connect.Rejected", description));
  self->state = STATE_CLOSING;
  set_phase (self, NULL, 0);
}

void
rtmp_session_accept_publish (RtmpSession *self, guint32 stream_id)
{
  RtmpUserControl begin = { RTMP_USER_CONTROL_STREAM_BEGIN, stream_id, 0 };

  g_return_if_fail (self->role == RTMP_SESSION_ROLE_SERVER);

  rtmp_session_send_user_control (self, &begin);
  rtmp_session_send_status (self, stream_id, "status",
      "NetStream.Publish.Start", "Publishing started.");
  set_phase (self, NULL, 0);
}

void
rtmp_session_accept_play (RtmpSession *self, guint32 stream_id,
    gboolean is_recorded)
{
  RtmpUserControl control = { RTMP_USER_CONTROL_STREAM_BEGIN, stream_id, 0 };
  RtmpAmfValue *values[3];
  GBytes *payload;

  g_return_if_fail (self->role == RTMP_SESSION_ROLE_SERVER);

  if (is_recorded) {
    RtmpUserControl recorded
        = { RTMP_USER_CONTROL_STREAM_IS_RECORDED, stream_id, 0 };
    rtmp_session_send_user_control (self, &recorded);
  }
  rtmp_session_send_user_control (self, &control);
  rtmp_session_send_status (self, stream_id, "status", "NetStream.Play.Reset",
      "Playing and resetting.");
  rtmp_session_send_status (self, stream_id, "status", "NetStream.Play.Start",
      "Started playing.");

  /* |RtmpSampleAccess(true, true): lets Flash players read the media */
  values[0] = rtmp_amf_value_new_string ("|RtmpSampleAccess");
  values[1] = rtmp_amf_value_new_boolean (TRUE);
  values[2] = rtmp_amf_value_new_boolean (TRUE);
  payload = rtmp_data_serialize ((const RtmpAmfValue *const *) values, 3);
  rtmp_session_send_media (self, stream_id, RTMP_MESSAGE_DATA_AMF0, 0, payload);
  g_bytes_unref (payload);
  rtmp_amf_value_free (values[0]);
  rtmp_amf_value_free (values[1]);
  rtmp_amf_value_free (values[2]);
  set_phase (self, NULL, 0);
}

void
rtmp_session_reject_stream (RtmpSession *self, guint32 stream_id,
    const gchar *code, const gchar *description, gboolean close)
{
  g_return_if_fail (self->role == RTMP_SESSION_ROLE_SERVER);

  rtmp_session_send_status (self, stream_id, "error", code, description);
  if (close) {
    self->state = STATE_CLOSING;
    set_phase (self, NULL, 0);
  }
}

/* --- client calls --- */

guint32
rtmp_session_get_stream_id (const RtmpSession *self)
{
  return self->stream_id;
}

gboolean
rtmp_session_is_publishing (const RtmpSession *self)
{
  return self->is_publishing;
}

gboolean
rtmp_session_is_playing (const RtmpSession *self)
{
  return self->is_playing;
}

void
rtmp_session_stop (RtmpSession *self, RtmpStopCommands commands)
{
  g_return_if_fail (self->role == RTMP_SESSION_ROLE_CLIENT);

  if (self->state == STATE_CONNECTED) {
    if ((commands & RTMP_STOP_COMMANDS_FCUNPUBLISH)
        && self->client.intent == RTMP_SESSION_INTENT_PUBLISH)
      send_notify (self, 0, "FCUnpublish",
          rtmp_amf_value_new_string (self->client.stream_name), NULL);
    if ((commands & RTMP_STOP_COMMANDS_CLOSE_STREAM) && self->stream_id != 0)
      send_notify (self, self->stream_id, "closeStream", NULL, NULL);
    if ((commands & RTMP_STOP_COMMANDS_DELETE_STREAM) && self->stream_id != 0)
      send_notify (self, 0, "deleteStream",
          rtmp_amf_value_new_number (self->stream_id), NULL);
  }
  self->is_publishing = FALSE;
  self->is_playing = FALSE;
  if (self->state != STATE_FAILED)
    self->state = STATE_CLOSING;
  set_phase (self, NULL, 0);
}

void
rtmp_session_seek (RtmpSession *self, gdouble position_ms)
{
  g_return_if_fail (self->role == RTMP_SESSION_ROLE_CLIENT);
  g_return_if_fail (self->stream_id != 0);

  send_notify (self, self->stream_id, "seek",
      rtmp_amf_value_new_number (position_ms), NULL);
}

void
rtmp_session_pause (RtmpSession *self, gboolean pause, gdouble position_ms)
{
  g_return_if_fail (self->role == RTMP_SESSION_ROLE_CLIENT);
  g_return_if_fail (self->stream_id != 0);

  send_notify (self, self->stream_id, "pause",
      rtmp_amf_value_new_boolean (pause),
      rtmp_amf_value_new_number (position_ms));
}

/* --- incoming messages --- */

static gboolean
handle_command (RtmpSession *self, guint32 stream_id, RtmpCommand *command,
    guint64 now_us, GError **error)
{
  g_autoptr (RtmpCommand) owned = command;
  const gchar *name = command->name;
  RtmpSessionEvent *event;

  log_command (self, "recv", stream_id, command);

  if (g_str_equal (name, "onStatus")) {
    event = push_status_event (self, stream_id, &owned);
    if (self->role == RTMP_SESSION_ROLE_CLIENT)
      return client_status (self, event, now_us, error);
    return TRUE;
  }

  if (self->role == RTMP_SESSION_ROLE_SERVER)
    return server_command (self, stream_id, &owned, error);

  if (g_str_equal (name, "_result") || g_str_equal (name, "_error"))
    return client_result (self, &owned, now_us, error);

  if (g_str_equal (name, "onBWDone")) {
    /* FMS and Wowza expect the bandwidth check to be answered (as Flash and
     * librtmp do) before they consider the client settled */
    send_call (self, 0, "_checkbw", TXN_OTHER, NULL);
  } else if (g_str_equal (name, "_checkbw")
      || g_str_equal (name, "_onbwcheck")) {
    if (command->transaction_id != 0)
      send_result (self, command->transaction_id, NULL, NULL);
  } else if (g_str_equal (name, "close")) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_CLOSED,
        "the server closed the connection (close command)");
    return FALSE;
  } else {
    /* onFCPublish, onFCUnpublish, onFCSubscribe, application calls */
    event = push_event (self, RTMP_SESSION_EVENT_COMMAND, stream_id);
    event->command = g_steal_pointer (&owned);
    event->name = event->command->name;
  }
  return TRUE;
}

static void
count_in (RtmpSession *self, const RtmpMessage *message)
{
  gsize len = g_bytes_get_size (message->payload);

  self->stats.in_messages++;
  switch (message->type) {
    case RTMP_MESSAGE_AUDIO:
      self->stats.in_messages_audio++;
      self->stats.in_bytes_audio += len;
      break;
    case RTMP_MESSAGE_VIDEO:
      self->stats.in_messages_video++;
      self->stats.in_bytes_video += len;
      break;
    case RTMP_MESSAGE_DATA_AMF0:
    case RTMP_MESSAGE_DATA_AMF3:
      self->stats.in_messages_data++;
      self->stats.in_bytes_data += len;
      break;
    default:
      break;
  }
}

/* A data message whose first value is the string onPlayStatus: the end of
 * a recorded stream (NetStream.Play.Complete) is reported this way. */
static gboolean
is_play_status (const RtmpMessage *message)
{
  static const guint8 prefix[] = { 0x02, 0x00, 0x0c, 'o', 'n', 'P', 'l', 'a',
    'y', 'S', 't', 'a', 't', 'u', 's' };
  gsize len;
  const guint8 *data = g_bytes_get_data (message->payload, &len);

  if (message->type == RTMP_MESSAGE_DATA_AMF3 && len > 0) {
    data++; /* the format selector byte */
    len--;
  }
  return len >= sizeof (prefix) && memcmp (data, prefix, sizeof (prefix)) == 0;
}

static gboolean
handle_media (RtmpSession *self, RtmpMessage *message, GError **error)
{
  RtmpSessionEvent *event;

  count_in (self, message);

  if ((message->type == RTMP_MESSAGE_DATA_AMF0
          || message->type == RTMP_MESSAGE_DATA_AMF3)
      && is_play_status (message)) {
    g_autoptr (GPtrArray) values
        = rtmp_data_parse (message, &self->limits, error);
    RtmpCommand *command;

    if (values == NULL) {
      rtmp_message_free (message);
      return FALSE;
    }
    command = rtmp_command_new ("onPlayStatus", 0, NULL);
    if (values->len > 1)
      rtmp_command_take_argument (command, g_ptr_array_steal_index (values, 1));
    push_status_event (self, message->stream_id, &command);
    rtmp_message_free (message);
    return TRUE;
  }

  event = push_event (self, RTMP_SESSION_EVENT_MEDIA, message->stream_id);
  event->message = message;
  return TRUE;
}

static gboolean
handle_user_control (RtmpSession *self, const RtmpMessage *message,
    guint64 now_us, GError **error)
{
  RtmpUserControl control;
  RtmpSessionEvent *event;

  if (!rtmp_user_control_parse (message, &control, error))
    return FALSE;

  switch (control.type) {
    case RTMP_USER_CONTROL_PING_REQUEST: {
      RtmpUserControl response
          = { RTMP_USER_CONTROL_PING_RESPONSE, control.value, 0 };
      rtmp_session_send_user_control (self, &response);
      break;
    }
    case RTMP_USER_CONTROL_PING_RESPONSE:
      if (self->ping_outstanding && control.value == self->ping_sent_value) {
        self->ping_outstanding = FALSE;
        self->stats.rtt_us = now_us - self->ping_sent_us;
        event = push_event (self, RTMP_SESSION_EVENT_RTT, 0);
        event->rtt_us = self->stats.rtt_us;
      }
      break;
    case RTMP_USER_CONTROL_STREAM_BEGIN:
    case RTMP_USER_CONTROL_STREAM_EOF:
    case RTMP_USER_CONTROL_STREAM_DRY:
    case RTMP_USER_CONTROL_STREAM_IS_RECORDED:
    case RTMP_USER_CONTROL_BUFFER_EMPTY:
    case RTMP_USER_CONTROL_BUFFER_READY:
      event
          = push_event (self, RTMP_SESSION_EVENT_STREAM_CONTROL, control.value);
      event->control_type = control.type;
      break;
    case RTMP_USER_CONTROL_SWF_VERIFY_REQUEST:
      log_message (self, G_LOG_LEVEL_WARNING,
          "the server asks for SWF verification, which is not supported; "
          "it may close the connection");
      break;
    default:
      log_message (self, G_LOG_LEVEL_DEBUG, "user control %s (%u) ignored",
          rtmp_user_control_type_get_name (control.type), control.type);
      break;
  }
  return TRUE;
}

static gboolean
handle_message (RtmpSession *self, RtmpMessage *message, guint64 now_us,
    GError **error)
{
  g_autoptr (RtmpMessage) owned = message;
  guint32 value;
  RtmpPeerBandwidthLimit limit;

  switch (message->type) {
    case RTMP_MESSAGE_SET_CHUNK_SIZE:
    case RTMP_MESSAGE_ABORT:
      /* applied by the chunk reader */
      return TRUE;
    case RTMP_MESSAGE_ACKNOWLEDGEMENT:
      if (!rtmp_message_parse_u32 (message, &value, error))
        return FALSE;
      self->stats.in_acks++;
      self->stats.out_bytes_acked = value;
      return TRUE;
    case RTMP_MESSAGE_USER_CONTROL:
      return handle_user_control (self, message, now_us, error);
    case RTMP_MESSAGE_WINDOW_ACK_SIZE:
      if (!rtmp_message_parse_u32 (message, &value, error))
        return FALSE;
      /* a window of 0 would mean an ack after every byte: take it as 1 */
      self->peer_window_ack_size = MAX (value, 1);
      return TRUE;
    case RTMP_MESSAGE_SET_PEER_BANDWIDTH:
      if (!rtmp_message_parse_set_peer_bandwidth (message, &value, &limit,
              error))
        return FALSE;
      /* §5.4.5: answer with Window Acknowledgement Size when it changed */
      if (value != self->sent_window_ack_size && value > 0) {
        send_message_take (self, rtmp_message_new_window_ack_size (value));
        self->sent_window_ack_size = value;
      }
      return TRUE;
    case RTMP_MESSAGE_AUDIO:
    case RTMP_MESSAGE_VIDEO:
    case RTMP_MESSAGE_DATA_AMF0:
    case RTMP_MESSAGE_DATA_AMF3:
      return handle_media (self, g_steal_pointer (&owned), error);
    case RTMP_MESSAGE_AGGREGATE: {
      g_autoptr (GPtrArray) parts
          = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_message_free);
      guint i;

      if (!rtmp_aggregate_split (message, parts, error))
        return FALSE;
      for (i = 0; i < parts->len; i++) {
        RtmpMessage *part = parts->pdata[i];

        parts->pdata[i] = NULL;
        if (!rtmp_message_type_is_media (part->type)) {
          rtmp_message_free (part);
          continue;
        }
        if (!handle_media (self, part, error))
          return FALSE;
      }
      return TRUE;
    }
    case RTMP_MESSAGE_COMMAND_AMF0:
    case RTMP_MESSAGE_COMMAND_AMF3: {
      RtmpCommand *command = rtmp_command_parse (message, &self->limits, error);

      if (command == NULL)
        return FALSE;
      return handle_command (self, message->stream_id, command, now_us, error);
    }
    case RTMP_MESSAGE_SHARED_OBJECT_AMF0:
    case RTMP_MESSAGE_SHARED_OBJECT_AMF3: {
      g_autoptr (RtmpSharedObjectMessage) so
          = rtmp_shared_object_parse (message, error);

      if (so == NULL)
        return FALSE;
      log_message (self, G_LOG_LEVEL_INFO,
          "shared object \"%s\" message with %u events ignored: shared "
          "objects are not supported",
          so->name, so->events->len);
      return TRUE;
    }
    default:
      log_message (self, G_LOG_LEVEL_INFO,
          "message of unknown type %u (%" G_GSIZE_FORMAT " bytes) ignored",
          message->type, g_bytes_get_size (message->payload));
      return TRUE;
  }
}

static void
maybe_send_ack (RtmpSession *self)
{
  guint32 bytes_read = rtmp_chunk_reader_get_bytes_read (self->reader);

  if (self->state != STATE_CONNECTING && self->state != STATE_CONNECTED)
    return;
  /* §5.4.3: acknowledge every window's worth of bytes; the counter wraps
   * at 2^32 like the sequence number */
  if ((guint32) (bytes_read - self->last_ack_bytes)
      >= self->peer_window_ack_size) {
    send_message_take (self, rtmp_message_new_acknowledgement (bytes_read));
    self->last_ack_bytes = bytes_read;
    self->stats.in_bytes_acked = bytes_read;
  }
}

static void
handshake_complete (RtmpSession *self, guint64 now_us)
{
  push_event (self, RTMP_SESSION_EVENT_HANDSHAKE_COMPLETE, 0);
  if (self->role == RTMP_SESSION_ROLE_CLIENT) {
    client_handshake_complete (self, now_us);
  } else {
    self->state = STATE_CONNECTING;
    set_phase (self, "connect", now_us);
  }
}

/* What a client may send after connect and before its answer */
#define MAX_HELD_MESSAGES 32
#define MAX_HELD_BYTES (256 * 1024)

static gboolean
is_awaiting_connect_answer (const RtmpSession *self)
{
  return self->role == RTMP_SESSION_ROLE_SERVER
      && self->state == STATE_CONNECTING && self->is_connect_received
      && !self->is_connect_answered;
}

/* Handles a message, or holds it while connect waits for our user's
 * answer: protocol control messages are always handled at once */
static gboolean
receive_message (RtmpSession *self, RtmpMessage *message, guint64 now_us,
    GError **error)
{
  gsize size;

  if (!is_awaiting_connect_answer (self)
      || message->type <= RTMP_MESSAGE_SET_PEER_BANDWIDTH)
    return handle_message (self, message, now_us, error);

  size = g_bytes_get_size (message->payload);
  if (self->held_messages.length >= MAX_HELD_MESSAGES
      || self->held_bytes + size > MAX_HELD_BYTES) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_LIMIT,
        "the client sent more than %u messages or %u bytes before its "
        "connect was answered",
        MAX_HELD_MESSAGES, MAX_HELD_BYTES);
    rtmp_message_free (message);
    return FALSE;
  }
  self->held_bytes += size;
  g_queue_push_tail (&self->held_messages, message);
  return TRUE;
}

static gboolean
take_deferred_error (RtmpSession *self, GError **error)
{
  if (self->deferred_error == NULL)
    return FALSE;
  g_propagate_error (error, g_steal_pointer (&self->deferred_error));
  return TRUE;
}

gboolean
rtmp_session_receive (RtmpSession *self, const guint8 *data, gsize len,
    guint64 now_us, GError **error)
{
  if (take_deferred_error (self, error))
    return FALSE;

  if (self->state == STATE_FAILED) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_PROTOCOL,
        "the session already failed");
    return FALSE;
  }

  self->last_receive_us = now_us;
  self->stats.in_bytes += len;

  /* The chunk reader is called until it needs more, even with no input
   * left: bytes it held back can still complete messages (see
   * rtmp_chunk_reader_read) */
  while (self->state != STATE_CLOSING && self->state != STATE_FAILED) {
    gsize consumed = 0;
    RtmpReadResult result;

    if (self->state == STATE_HANDSHAKE) {
      if (len == 0)
        break;
      result = rtmp_handshake_receive (self->handshake, data, len, &consumed,
          error);
      flush_handshake_output (self);
      if (result == RTMP_READ_ERROR)
        goto failed;
      data += consumed;
      len -= consumed;
      if (result == RTMP_READ_NEED_MORE)
        break;
      handshake_complete (self, now_us);
      continue;
    } else {
      RtmpMessage *message = NULL;

      result = rtmp_chunk_reader_read (self->reader, data, len, &consumed,
          &message, error);
      if (result == RTMP_READ_ERROR)
        goto failed;
      data += consumed;
      len -= consumed;
      if (result == RTMP_READ_NEED_MORE)
        break;
      if (!receive_message (self, message, now_us, error))
        goto failed;
      maybe_send_ack (self);
    }
  }
  return TRUE;

failed:
  self->state = STATE_FAILED;
  return FALSE;
}

gboolean
rtmp_session_receive_eof (RtmpSession *self, GError **error)
{
  gboolean partial = rtmp_chunk_reader_get_buffered_bytes (self->reader) > 0;

  if (self->state == STATE_CLOSING)
    return TRUE;

  if (self->state == STATE_HANDSHAKE)
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_CLOSED,
        "the peer closed the connection during the handshake");
  else if (partial)
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_CLOSED,
        "the peer closed the connection in the middle of a message");
  else if (self->phase_name != NULL && self->role == RTMP_SESSION_ROLE_CLIENT
      && self->state == STATE_CONNECTING)
    /* nginx-rtmp closes without _error on an application it does not
     * have: say what we asked for */
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_CLOSED,
        "the peer closed the connection while waiting for %s to "
        "application \"%s\" (does the server have that application?)",
        self->phase_name, self->client.app);
  else if (self->phase_name != NULL)
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_CLOSED,
        "the peer closed the connection while waiting for %s",
        self->phase_name);
  else
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_CLOSED,
        "the peer closed the connection");
  self->state = STATE_FAILED;
  return FALSE;
}

/* --- timers --- */

guint64
rtmp_session_next_deadline (const RtmpSession *self)
{
  guint64 deadline = self->phase_deadline_us;

  /* an error held for the caller: due now */
  if (self->deferred_error != NULL)
    return 0;
  if (self->state == STATE_CLOSING || self->state == STATE_FAILED)
    return G_MAXUINT64;
  if (self->idle_timeout_ms > 0)
    deadline = MIN (deadline,
        self->last_receive_us + self->idle_timeout_ms * (guint64) 1000);
  return MIN (deadline, self->next_ping_us);
}

gboolean
rtmp_session_handle_deadline (RtmpSession *self, guint64 now_us, GError **error)
{
  if (take_deferred_error (self, error))
    return FALSE;
  if (self->state == STATE_CLOSING || self->state == STATE_FAILED)
    return TRUE;

  if (now_us >= self->phase_deadline_us) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_TIMEOUT,
        "timed out after %u ms waiting for %s", self->phase_timeout_ms,
        self->phase_name);
    self->state = STATE_FAILED;
    return FALSE;
  }
  if (self->idle_timeout_ms > 0
      && now_us
          >= self->last_receive_us + self->idle_timeout_ms * (guint64) 1000) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_TIMEOUT,
        "no data from the peer for %u ms", self->idle_timeout_ms);
    self->state = STATE_FAILED;
    return FALSE;
  }
  if (now_us >= self->next_ping_us) {
    RtmpUserControl ping = { RTMP_USER_CONTROL_PING_REQUEST, 0, 0 };

    ping.value = (guint32) ((now_us - self->created_us) / 1000);
    rtmp_session_send_user_control (self, &ping);
    self->ping_sent_value = ping.value;
    self->ping_sent_us = now_us;
    self->ping_outstanding = TRUE;
    self->next_ping_us = now_us + self->ping_interval_ms * (guint64) 1000;
  }
  return TRUE;
}
