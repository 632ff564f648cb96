/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The in-process RTMP test server: RtmpSession's server role on GIO sockets,
 * one thread with its own GMainContext, scriptable and observable. */

#include "rtmptestpeer.h"

#include <string.h>
#include <sys/socket.h>
#include <gio/gio.h>

#include "rtmpauth.h"
#include "rtmpbytes.h"
#include "rtmpchunk.h"
#include "rtmpcommand.h"
#include "rtmpflv.h"
#include "rtmphandshake.h"
#include "rtmpsession.h"

/* C0 + C1 + C2: what a client sends before its chunk stream starts, and
 * S0 + S1 + S2, what the peer sends before its own */
#define HANDSHAKE_BYTES (1 + 2 * RTMP_HANDSHAKE_PACKET_SIZE)
/* The play source is not queued further ahead than this */
#define PLAY_OUTPUT_HIGH_WATER (64 * 1024)
/* How long a connection the peer closed waits for the client's FIN */
#define LINGER_US (2 * G_USEC_PER_SEC)
#define READ_SIZE 65536
/* Reads per wake-up before the other connections get their turn */
#define MAX_READS_PER_WAKEUP 16
#define MAX_OUTPUT_VECTORS 64
/* Retry rebinding the listening port for this long */
#define REBIND_RETRY_MS 20
#define REBIND_ATTEMPTS 100

#define LLNW_NEED_AUTH \
  "[ AccessManager.Reject ] : [ code=403 need auth; authmod=llnw ] : "
#define LLNW_REJECT "[ AccessManager.Reject ] : [ authmod=llnw ] : "

typedef struct
{
  RtmpTestPeerEnd end;
  gchar *end_reason;
  GPtrArray *media;    /* RtmpMessage * */
  GPtrArray *commands; /* gchar * */
  RtmpAmfValue *connect_object;
  GPtrArray *connect_args; /* RtmpAmfValue * */
  gchar *stream_name;
  guint32 client_chunk_size;
} ConnRecord;

typedef enum
{
  PENDING_NONE,
  PENDING_CONNECT,
  PENDING_PUBLISH,
  PENDING_PLAY,
} PendingRequest;

typedef struct _Conn Conn;

/* Configuration, copied by the API calls under the peer's lock */
typedef struct
{
  RtmpTestPeerPoint stall_at, close_at, garbage_at;
  gsize garbage_len;
  guint64 close_after_bytes;
  gchar *reject_connect;
  gchar *reject_publish_code, *reject_publish_description;
  gchar *reject_play_code, *reject_play_description;
  RtmpTestPeerAuth auth;
  gchar *auth_user, *auth_password;
  gchar *secure_token_key, *secure_token_plaintext;
  guint32 chunk_size;
  guint ping_interval_ms, idle_timeout_ms, receive_buffer;
  guint status_after_media;
  gchar *status_level, *status_code, *status_description;
  GPtrArray *play_media; /* RtmpMessage * */
  gboolean play_realtime, play_loop, play_recorded;
  RtmpTestPeerPlayEnd play_end;
} Config;

/* Lock order: only peer->lock exists. The peer thread holds it for every
 * callback; API calls hold it briefly, or wait on peer->cond. */
struct _RtmpTestPeer
{
  GMutex lock;
  GCond cond;
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;

  GSocket *listener; /* NULL while refusing */
  GSource *listen_source;
  GSource *rebind_source;
  GSource *kick_source;
  guint16 port;

  GPtrArray *conns;    /* Conn *, open connections, owned */
  GPtrArray *records;  /* ConnRecord *, one per connection ever accepted */
  GPtrArray *commands; /* gchar *, all connections in arrival order */
  GPtrArray *media;    /* RtmpMessage *, all connections in arrival order */
  RtmpTestPeerStats stats;

  guint8 adobe_secret[16];
  gchar llnw_nonce[17];

  Config config;
};

struct _Conn
{
  RtmpTestPeer *peer; /* borrowed */
  guint index;
  ConnRecord *record; /* borrowed from peer->records */
  GSocket *socket;
  GSource *read_source;  /* NULL while not reading */
  GSource *write_source; /* NULL unless the socket is full */
  GSource *timer_source;
  RtmpSession *session;
  gboolean session_failed;

  /* a reader of its own over the client's bytes, to see every command
   * (the session answers many without an event) */
  RtmpChunkReader *tap;
  gsize tap_skip; /* handshake bytes still to skip */
  gboolean tap_failed;

  gboolean handshake_seen;
  gboolean connect_accepted;
  gboolean create_stream_point_done;
  gboolean deaf;            /* the client's bytes are read and dropped */
  gboolean reading_stopped; /* stalled at STARTED: no read source */
  gboolean closing;         /* FIN once the output is written */
  gboolean fin_sent;
  gboolean dead; /* freed at the end of the callback */
  guint64 linger_deadline_us;
  /* session output written total at which the connection is cut */
  guint64 write_limit;
  /* garbage goes out once the session output reached garbage_after; the
   * session's later output never does */
  GBytes *garbage;
  gsize garbage_offset;
  guint64 garbage_after;

  PendingRequest pending;
  guint32 pending_stream_id;
  gdouble pending_start_ms;

  guint32 stream_id;
  gboolean started;
  gboolean is_player;
  guint n_media;
  gboolean status_after_media_sent;
  gboolean secure_token_ok;

  /* play source (a snapshot of the configuration at play) */
  GPtrArray *play_media; /* RtmpMessage * */
  gboolean play_realtime, play_loop;
  RtmpTestPeerPlayEnd play_end;
  gboolean play_ended, paused;
  guint play_index;
  guint64 loop_offset;
  guint64 play_base_us;
  guint64 play_base_ts;
  guint64 next_play_us;
};

static void conn_pump (Conn *conn);
static void conn_flush (Conn *conn);

/* --- records --- */

static ConnRecord *
record_new (void)
{
  ConnRecord *record = g_new0 (ConnRecord, 1);

  record->media
      = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_message_free);
  record->commands = g_ptr_array_new_with_free_func (g_free);
  record->connect_args
      = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_amf_value_free);
  record->client_chunk_size = RTMP_DEFAULT_CHUNK_SIZE;
  return record;
}

static void
record_free (ConnRecord *record)
{
  g_free (record->end_reason);
  g_ptr_array_unref (record->media);
  g_ptr_array_unref (record->commands);
  g_clear_pointer (&record->connect_object, rtmp_amf_value_free);
  g_ptr_array_unref (record->connect_args);
  g_free (record->stream_name);
  g_free (record);
}

static void
set_end (Conn *conn, RtmpTestPeerEnd end, const gchar *reason)
{
  RtmpTestPeer *peer = conn->peer;

  if (conn->record->end != RTMP_TEST_PEER_END_OPEN)
    return;
  conn->record->end = end;
  conn->record->end_reason = g_strdup (reason);
  peer->stats.n_ended++;
  if (end == RTMP_TEST_PEER_END_CLIENT_CLEAN)
    peer->stats.n_client_clean_closes++;
}

const gchar *
rtmp_test_peer_end_get_name (RtmpTestPeerEnd end)
{
  switch (end) {
    case RTMP_TEST_PEER_END_OPEN:
      return "open";
    case RTMP_TEST_PEER_END_CLIENT_CLEAN:
      return "client-clean";
    case RTMP_TEST_PEER_END_CLIENT_MID_MESSAGE:
      return "client-mid-message";
    case RTMP_TEST_PEER_END_CLIENT_ERROR:
      return "client-error";
    case RTMP_TEST_PEER_END_PEER:
      return "peer";
  }
  return "unknown";
}

/* --- connection teardown --- */

static void
destroy_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

/* Closes the socket at once; the Conn is freed by conn_release () */
static void
conn_kill (Conn *conn)
{
  if (conn->dead)
    return;
  conn->dead = TRUE;
  destroy_source (&conn->read_source);
  destroy_source (&conn->write_source);
  destroy_source (&conn->timer_source);
  g_socket_close (conn->socket, NULL);
  g_ptr_array_remove (conn->peer->conns, conn);
  conn->peer->stats.n_open--;
}

static void
conn_free (Conn *conn)
{
  g_clear_object (&conn->socket);
  rtmp_session_free (conn->session);
  rtmp_chunk_reader_free (conn->tap);
  g_clear_pointer (&conn->garbage, g_bytes_unref);
  g_clear_pointer (&conn->play_media, g_ptr_array_unref);
  g_free (conn);
}

/* The end of every callback that touched @conn */
static void
conn_release (Conn *conn)
{
  if (conn->dead)
    conn_free (conn);
}

/* The peer closes: what was queued goes out, then FIN */
static void
conn_close (Conn *conn, const gchar *reason)
{
  set_end (conn, RTMP_TEST_PEER_END_PEER, reason);
  conn->closing = TRUE;
}

/* --- output --- */

static gboolean
on_writable (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  Conn *conn = user_data;
  RtmpTestPeer *peer = conn->peer;

  g_mutex_lock (&peer->lock);
  g_clear_pointer (&conn->write_source, g_source_unref);
  conn_pump (conn);
  conn_release (conn);
  g_cond_broadcast (&peer->cond);
  g_mutex_unlock (&peer->lock);
  return G_SOURCE_REMOVE;
}

static void
wait_writable (Conn *conn)
{
  if (conn->write_source != NULL)
    return;
  conn->write_source = g_socket_create_source (conn->socket, G_IO_OUT, NULL);
  g_source_set_callback (conn->write_source, G_SOURCE_FUNC (on_writable), conn,
      NULL);
  g_source_attach (conn->write_source, conn->peer->context);
}

static gboolean on_readable (GSocket *socket, GIOCondition condition,
    gpointer user_data);

static void
start_reading (Conn *conn)
{
  if (conn->read_source != NULL)
    return;
  conn->read_source = g_socket_create_source (conn->socket, G_IO_IN, NULL);
  g_source_set_callback (conn->read_source, G_SOURCE_FUNC (on_readable), conn,
      NULL);
  g_source_attach (conn->read_source, conn->peer->context);
}

static void
send_fin (Conn *conn)
{
  conn->fin_sent = TRUE;
  conn->linger_deadline_us = g_get_monotonic_time () + LINGER_US;
  g_socket_shutdown (conn->socket, FALSE, TRUE, NULL);
  destroy_source (&conn->write_source);
  /* keep reading until the client closes, so that nothing it sends makes
   * the kernel answer with a reset */
  start_reading (conn);
}

/* What the session may still send: up to the garbage, and the limit */
static guint64
session_output_allowance (Conn *conn)
{
  guint64 written = rtmp_session_get_output_written_total (conn->session);
  guint64 end = conn->write_limit;

  if (conn->garbage != NULL)
    end = MIN (end, conn->garbage_after);
  return end > written ? end - written : 0;
}

/* Writes until the socket is full; returns FALSE when the connection died */
static gboolean
write_some (Conn *conn, const guint8 *data, gsize len, gsize *written)
{
  g_autoptr (GError) error = NULL;
  gssize n
      = g_socket_send (conn->socket, (const gchar *) data, len, NULL, &error);

  *written = 0;
  if (n < 0) {
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
      wait_writable (conn);
      return TRUE;
    }
    set_end (conn, RTMP_TEST_PEER_END_CLIENT_ERROR, error->message);
    conn_kill (conn);
    return FALSE;
  }
  *written = n;
  return TRUE;
}

static void
conn_flush (Conn *conn)
{
  RtmpOutputVector vectors[MAX_OUTPUT_VECTORS];
  GOutputVector out[MAX_OUTPUT_VECTORS];

  if (conn->dead || conn->fin_sent)
    return;

  while (TRUE) {
    guint64 allowance = session_output_allowance (conn);
    guint n = 0, i;
    gsize total = 0;
    gssize sent;
    g_autoptr (GError) error = NULL;

    if (allowance > 0)
      n = rtmp_session_peek_output (conn->session, vectors, MAX_OUTPUT_VECTORS);
    for (i = 0; i < n && total < allowance; i++) {
      out[i].buffer = vectors[i].data;
      out[i].size = MIN (vectors[i].len, allowance - total);
      total += out[i].size;
    }
    n = i;
    if (n == 0)
      break;

    sent = g_socket_send_message (conn->socket, NULL, out, n, NULL, 0, 0, NULL,
        &error);
    if (sent < 0) {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
        wait_writable (conn);
        return;
      }
      set_end (conn, RTMP_TEST_PEER_END_CLIENT_ERROR, error->message);
      conn_kill (conn);
      return;
    }
    rtmp_session_consume_output (conn->session, sent);
    if ((gsize) sent < total) {
      wait_writable (conn);
      return;
    }
  }

  if (conn->garbage != NULL
      && rtmp_session_get_output_written_total (conn->session)
          >= conn->garbage_after) {
    gsize len;
    const guint8 *data = g_bytes_get_data (conn->garbage, &len);

    while (conn->garbage_offset < len) {
      gsize written;

      if (!write_some (conn, data + conn->garbage_offset,
              len - conn->garbage_offset, &written))
        return;
      if (written == 0)
        return;
      conn->garbage_offset += written;
    }
  }

  if (rtmp_session_get_output_written_total (conn->session)
      >= conn->write_limit) {
    set_end (conn, RTMP_TEST_PEER_END_PEER,
        "closed after the configured bytes");
    send_fin (conn);
    return;
  }

  if (rtmp_session_is_closing (conn->session))
    conn->closing = TRUE;
  if (conn->closing
      && (rtmp_session_get_output_size (conn->session) == 0
          || session_output_allowance (conn) == 0)
      && (conn->garbage == NULL
          || conn->garbage_offset == g_bytes_get_size (conn->garbage)))
    send_fin (conn);
}

static void
queue_garbage (Conn *conn)
{
  RtmpTestPeer *peer = conn->peer;
  gsize len = MAX (peer->config.garbage_len, 1), i;
  guint8 *data = g_malloc (len);

  data[0] = 0xff;
  for (i = 1; i < len; i++)
    data[i] = (guint8) (i * 37 + 11);
  g_clear_pointer (&conn->garbage, g_bytes_unref);
  conn->garbage = g_bytes_new_take (data, len);
  conn->garbage_offset = 0;
  conn->garbage_after = rtmp_session_get_output_queued_total (conn->session);
  conn->deaf = TRUE;
}

/* Applies the fault configured at @point; TRUE when one was (the normal
 * answer must not follow) */
static gboolean
apply_fault (Conn *conn, RtmpTestPeerPoint point)
{
  const Config *config = &conn->peer->config;

  if (config->close_at == point) {
    conn_close (conn, "closed at the configured point");
    return TRUE;
  }
  if (config->garbage_at == point) {
    queue_garbage (conn);
    return TRUE;
  }
  return FALSE;
}

/* --- secureToken --- */

/* XXTEA ("corrected block TEA") encryption of @n >= 2 words: the inverse of
 * the client's decryption in protocol/rtmpauth.c. */
static void
xxtea_encrypt (guint32 *v, guint n, const guint32 key[4])
{
  const guint32 delta = 0x9e3779b9;
  guint32 rounds = 6 + 52 / n;
  guint32 sum = 0, y = 0, z = v[n - 1], e;
  guint p;

#define MX \
  ((((z >> 5) ^ (y << 2)) + ((y >> 3) ^ (z << 4))) \
      ^ ((sum ^ y) + (key[(p & 3) ^ e] ^ z)))
  while (rounds-- > 0) {
    sum += delta;
    e = (sum >> 2) & 3;
    for (p = 0; p < n - 1; p++) {
      y = v[p + 1];
      z = v[p] += MX;
    }
    y = v[0];
    z = v[n - 1] += MX;
  }
#undef MX
}

gchar *
rtmp_test_peer_encrypt_secure_token (const gchar *key, const gchar *plaintext)
{
  gsize len = strlen (plaintext), n_words = MAX ((len + 3) / 4, 2), i;
  guint8 key_bytes[16] = { 0 };
  g_autofree guint8 *bytes = g_malloc0 (n_words * 4);
  g_autofree guint32 *words = g_new (guint32, n_words);
  guint32 k[4];
  GString *hex = g_string_new (NULL);
  RtmpBytesReader r;

  memcpy (key_bytes, key, MIN (strlen (key), sizeof (key_bytes)));
  rtmp_bytes_reader_init (&r, key_bytes, sizeof (key_bytes));
  for (i = 0; i < 4; i++)
    rtmp_bytes_read_u32_le (&r, &k[i]);

  memcpy (bytes, plaintext, len);
  rtmp_bytes_reader_init (&r, bytes, n_words * 4);
  for (i = 0; i < n_words; i++)
    rtmp_bytes_read_u32_le (&r, &words[i]);
  xxtea_encrypt (words, n_words, k);
  for (i = 0; i < n_words; i++) {
    rtmp_bytes_put_u32_le (bytes + 4 * i, words[i]);
    g_string_append_printf (hex, "%02x%02x%02x%02x", bytes[4 * i],
        bytes[4 * i + 1], bytes[4 * i + 2], bytes[4 * i + 3]);
  }
  return g_string_free (hex, FALSE);
}

static void
on_secure_token_response (Conn *conn, const RtmpCommand *command)
{
  RtmpTestPeer *peer = conn->peer;
  const RtmpAmfValue *value = rtmp_command_peek_argument (command, 0);
  const gchar *response = NULL;

  if (peer->config.secure_token_key == NULL)
    return;
  if (value != NULL && rtmp_amf_value_get_type (value) == RTMP_AMF_TYPE_STRING)
    response = rtmp_amf_value_peek_string (value, NULL);
  if (g_strcmp0 (response, peer->config.secure_token_plaintext) == 0) {
    conn->secure_token_ok = TRUE;
    peer->stats.n_secure_token_ok++;
  } else {
    peer->stats.n_secure_token_bad++;
    conn_close (conn, "wrong secureTokenResponse");
  }
}

/* --- authentication --- */

static gchar *
md5_hex (const gchar *text)
{
  return g_compute_checksum_for_string (G_CHECKSUM_MD5, text, -1);
}

/* Limelight, as protocol/rtmpauth.c's client answers it:
 * md5hex(md5hex(user:live:password) ":" nonce ":" nc ":" cnonce ":auth:"
 * md5hex("publish:/" app ["/_definst_"])) */
static RtmpAuthVerdict
check_llnw (RtmpTestPeer *peer, const gchar *app_with_query,
    gchar **description)
{
  const Config *config = &peer->config;
  const gchar *q = strchr (app_with_query, '?');
  g_autoptr (GHashTable) params = NULL;
  const gchar *authmod, *user, *response, *nonce, *cnonce, *nc;
  g_autofree gchar *app = NULL;
  g_autofree gchar *a1 = NULL;
  g_autofree gchar *a2 = NULL;
  g_autofree gchar *ha1 = NULL;
  g_autofree gchar *ha2 = NULL;
  g_autofree gchar *all = NULL;
  g_autofree gchar *expected = NULL;

  if (q != NULL)
    params = g_uri_parse_params (q + 1, -1, "&", G_URI_PARAMS_NONE, NULL);
  authmod = params ? g_hash_table_lookup (params, "authmod") : NULL;
  user = params ? g_hash_table_lookup (params, "user") : NULL;
  if (g_strcmp0 (authmod, "llnw") != 0 || user == NULL) {
    *description = g_strdup (LLNW_NEED_AUTH);
    return RTMP_AUTH_VERDICT_CHALLENGE;
  }
  response = g_hash_table_lookup (params, "response");
  if (response == NULL) {
    *description = g_strdup_printf ("%s?reason=needauth&user=%s&nonce=%s",
        LLNW_REJECT, user, peer->llnw_nonce);
    return RTMP_AUTH_VERDICT_CHALLENGE;
  }
  nonce = g_hash_table_lookup (params, "nonce");
  cnonce = g_hash_table_lookup (params, "cnonce");
  nc = g_hash_table_lookup (params, "nc");
  if (g_strcmp0 (user, config->auth_user) != 0
      || g_strcmp0 (nonce, peer->llnw_nonce) != 0 || cnonce == NULL
      || nc == NULL)
    goto refuse;

  app = rtmp_auth_strip_query (app_with_query);
  a1 = g_strdup_printf ("%s:live:%s", user, config->auth_password);
  a2 = g_strdup_printf ("publish:/%s%s", app,
      strchr (app, '/') ? "" : "/_definst_");
  ha1 = md5_hex (a1);
  ha2 = md5_hex (a2);
  all = g_strdup_printf ("%s:%s:%s:%s:auth:%s", ha1, nonce, nc, cnonce, ha2);
  expected = md5_hex (all);
  if (g_strcmp0 (expected, response) == 0)
    return RTMP_AUTH_VERDICT_ACCEPT;

refuse:
  *description = g_strdup_printf ("%s?reason=authfailed", LLNW_REJECT);
  return RTMP_AUTH_VERDICT_REFUSE;
}

/* --- answering requests --- */

static void
reject_connect (Conn *conn, const gchar *description)
{
  g_autofree gchar *reason
      = g_strdup_printf ("connect rejected: %s", description);

  rtmp_session_reject_connect (conn->session, description);
  conn->peer->stats.n_connects_rejected++;
  conn_close (conn, reason);
}

static void
answer_connect (Conn *conn)
{
  RtmpTestPeer *peer = conn->peer;
  const Config *config = &peer->config;
  const gchar *app
      = rtmp_amf_value_lookup_string (conn->record->connect_object, "app");
  g_autoptr (RtmpAmfValue) extra = NULL;

  if (app == NULL)
    app = "";

  if (config->auth != RTMP_TEST_PEER_AUTH_NONE) {
    g_autofree gchar *description = NULL;
    RtmpAuthVerdict verdict;

    if (config->auth == RTMP_TEST_PEER_AUTH_ADOBE)
      verdict = rtmp_auth_server_check_adobe (app, config->auth_user,
          config->auth_password, peer->adobe_secret,
          sizeof (peer->adobe_secret), g_get_monotonic_time () / G_USEC_PER_SEC,
          &description, NULL);
    else
      verdict = check_llnw (peer, app, &description);
    if (verdict != RTMP_AUTH_VERDICT_ACCEPT) {
      reject_connect (conn, description);
      return;
    }
  }
  if (config->reject_connect != NULL) {
    reject_connect (conn, config->reject_connect);
    return;
  }

  if (config->secure_token_key != NULL) {
    g_autofree gchar *challenge = rtmp_test_peer_encrypt_secure_token (
        config->secure_token_key, config->secure_token_plaintext);

    extra = rtmp_amf_value_new_object ();
    rtmp_amf_value_set_string_field (extra, "secureToken", challenge);
  }
  rtmp_session_accept_connect (conn->session, extra, g_get_monotonic_time ());
  conn->connect_accepted = TRUE;
  peer->stats.n_connects_accepted++;
}

static void
start_play_source (Conn *conn, gdouble start_ms)
{
  const Config *config = &conn->peer->config;
  guint i;

  g_clear_pointer (&conn->play_media, g_ptr_array_unref);
  conn->play_media
      = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_message_free);
  for (i = 0; i < config->play_media->len; i++)
    g_ptr_array_add (conn->play_media,
        rtmp_message_copy (config->play_media->pdata[i]));
  conn->play_realtime = config->play_realtime;
  conn->play_loop = config->play_loop;
  conn->play_end = config->play_end;
  conn->is_player = TRUE;
  conn->play_ended = FALSE;
  conn->loop_offset = 0;
  conn->play_index = 0;
  if (start_ms > 0) {
    while (conn->play_index < conn->play_media->len
        && ((RtmpMessage *) conn->play_media->pdata[conn->play_index])
                ->timestamp
            < start_ms)
      conn->play_index++;
  }
  conn->play_base_us = 0; /* set when the first message is due */
}

static gboolean
secure_token_missing (Conn *conn)
{
  return conn->peer->config.secure_token_key != NULL && !conn->secure_token_ok;
}

static void
answer_stream (Conn *conn, gboolean publish)
{
  RtmpTestPeer *peer = conn->peer;
  const Config *config = &peer->config;
  const gchar *code
      = publish ? config->reject_publish_code : config->reject_play_code;
  const gchar *description = publish ? config->reject_publish_description
                                     : config->reject_play_description;
  g_autofree gchar *reason = NULL;

  if (apply_fault (conn,
          publish ? RTMP_TEST_PEER_AT_PUBLISH : RTMP_TEST_PEER_AT_PLAY))
    return;

  if (secure_token_missing (conn)) {
    code = publish ? "NetStream.Publish.Rejected" : "NetStream.Play.Failed";
    description = "secureToken not answered";
  }
  if (code != NULL) {
    reason = g_strdup_printf ("%s rejected: %s", publish ? "publish" : "play",
        code);
    rtmp_session_reject_stream (conn->session, conn->pending_stream_id, code,
        description, TRUE);
    conn_close (conn, reason);
    return;
  }

  conn->stream_id = conn->pending_stream_id;
  conn->started = TRUE;
  if (publish) {
    rtmp_session_accept_publish (conn->session, conn->stream_id);
    peer->stats.n_publish_started++;
  } else {
    rtmp_session_accept_play (conn->session, conn->stream_id,
        config->play_recorded);
    peer->stats.n_play_started++;
    start_play_source (conn, conn->pending_start_ms);
  }
  apply_fault (conn, RTMP_TEST_PEER_AT_STARTED);
}

/* Answers the pending request unless the configuration stalls it */
static void
process_pending (Conn *conn)
{
  const Config *config = &conn->peer->config;
  PendingRequest pending = conn->pending;

  if (conn->closing || conn->dead || pending == PENDING_NONE)
    return;
  if ((pending == PENDING_CONNECT
          && config->stall_at == RTMP_TEST_PEER_AT_CONNECT)
      || (pending == PENDING_PUBLISH
          && config->stall_at == RTMP_TEST_PEER_AT_PUBLISH)
      || (pending == PENDING_PLAY
          && config->stall_at == RTMP_TEST_PEER_AT_PLAY))
    return;

  conn->pending = PENDING_NONE;
  switch (pending) {
    case PENDING_CONNECT:
      if (!apply_fault (conn, RTMP_TEST_PEER_AT_CONNECT))
        answer_connect (conn);
      break;
    case PENDING_PUBLISH:
      answer_stream (conn, TRUE);
      break;
    case PENDING_PLAY:
      answer_stream (conn, FALSE);
      break;
    case PENDING_NONE:
      break;
  }
}

/* --- play source --- */

static void
seek_play_source (Conn *conn, gdouble position_ms)
{
  conn->play_index = 0;
  conn->loop_offset = 0;
  conn->play_ended = FALSE;
  conn->play_base_us = 0;
  while (conn->play_index < conn->play_media->len
      && ((RtmpMessage *) conn->play_media->pdata[conn->play_index])->timestamp
          < position_ms)
    conn->play_index++;
}

static void
send_play_status (Conn *conn, const gchar *code)
{
  RtmpAmfValue *values[2];
  GBytes *payload;

  values[0] = rtmp_amf_value_new_string ("onPlayStatus");
  values[1] = rtmp_amf_value_new_object ();
  rtmp_amf_value_set_string_field (values[1], "level", "status");
  rtmp_amf_value_set_string_field (values[1], "code", code);
  rtmp_amf_value_set_number_field (values[1], "duration", 0);
  rtmp_amf_value_set_number_field (values[1], "bytes", 0);
  payload = rtmp_data_serialize ((const RtmpAmfValue *const *) values, 2);
  rtmp_session_send_media (conn->session, conn->stream_id,
      RTMP_MESSAGE_DATA_AMF0, 0, payload);
  g_bytes_unref (payload);
  rtmp_amf_value_free (values[0]);
  rtmp_amf_value_free (values[1]);
}

static void
send_stream_eof (Conn *conn)
{
  RtmpUserControl eof = { RTMP_USER_CONTROL_STREAM_EOF, conn->stream_id, 0 };

  rtmp_session_send_user_control (conn->session, &eof);
}

static void
end_play_source (Conn *conn)
{
  conn->play_ended = TRUE;
  switch (conn->play_end) {
    case RTMP_TEST_PEER_PLAY_END_NONE:
      break;
    case RTMP_TEST_PEER_PLAY_END_COMPLETE:
      send_play_status (conn, "NetStream.Play.Complete");
      send_stream_eof (conn);
      break;
    case RTMP_TEST_PEER_PLAY_END_STOP:
      send_stream_eof (conn);
      rtmp_session_send_status (conn->session, conn->stream_id, "status",
          "NetStream.Play.Stop", "Stopped playing.");
      break;
    case RTMP_TEST_PEER_PLAY_END_UNPUBLISH:
      rtmp_session_send_status (conn->session, conn->stream_id, "status",
          "NetStream.Play.UnpublishNotify", "The publisher is gone.");
      send_stream_eof (conn);
      break;
    case RTMP_TEST_PEER_PLAY_END_CLOSE:
    case RTMP_TEST_PEER_PLAY_END_CLOSE_MID_MESSAGE:
      conn_close (conn, "play source ended with a close");
      break;
  }
}

/* The time one pass over the list takes, for loops: the span of the
 * timestamps plus one average gap */
static guint64
loop_span (Conn *conn)
{
  guint n = conn->play_media->len;
  guint32 first = ((RtmpMessage *) conn->play_media->pdata[0])->timestamp;
  guint32 last = ((RtmpMessage *) conn->play_media->pdata[n - 1])->timestamp;
  guint64 span = last >= first ? last - first : 0;

  return span + (n > 1 ? MAX (span / (n - 1), 1) : 40);
}

static void
send_play_media (Conn *conn, guint64 now_us)
{
  RtmpTestPeer *peer = conn->peer;

  conn->next_play_us = G_MAXUINT64;
  if (!conn->is_player || conn->play_ended || conn->paused || conn->closing
      || conn->reading_stopped)
    return;

  while (
      rtmp_session_get_output_size (conn->session) < PLAY_OUTPUT_HIGH_WATER) {
    const RtmpMessage *message;
    guint64 timestamp;
    gboolean is_last;

    if (conn->play_index >= conn->play_media->len) {
      if (conn->play_loop && conn->play_media->len > 0) {
        conn->loop_offset += loop_span (conn);
        conn->play_index = 0;
        continue;
      }
      end_play_source (conn);
      return;
    }
    message = conn->play_media->pdata[conn->play_index];
    timestamp = message->timestamp + conn->loop_offset;
    if (conn->play_realtime) {
      guint64 due_us;

      if (conn->play_base_us == 0) {
        conn->play_base_us = now_us;
        conn->play_base_ts = timestamp;
      }
      due_us = conn->play_base_us
          + (timestamp >= conn->play_base_ts ? timestamp - conn->play_base_ts
                                             : 0)
              * 1000;
      if (due_us > now_us) {
        conn->next_play_us = due_us;
        return;
      }
    }

    is_last = conn->play_index + 1 == conn->play_media->len && !conn->play_loop;
    if (is_last
        && conn->play_end == RTMP_TEST_PEER_PLAY_END_CLOSE_MID_MESSAGE) {
      guint64 before = rtmp_session_get_output_queued_total (conn->session);
      guint64 after;

      rtmp_session_send_media (conn->session, conn->stream_id, message->type,
          (guint32) timestamp, message->payload);
      after = rtmp_session_get_output_queued_total (conn->session);
      conn->write_limit = before + (after - before) / 2;
      conn->play_index++;
      peer->stats.n_media_sent++;
      conn->play_ended = TRUE;
      conn_close (conn, "play source ended in the middle of a message");
      return;
    }
    rtmp_session_send_media (conn->session, conn->stream_id, message->type,
        (guint32) timestamp, message->payload);
    conn->play_index++;
    peer->stats.n_media_sent++;
  }
  /* queued far enough ahead: more is due as soon as the socket took it */
  conn->next_play_us = now_us;
}

/* --- events --- */

static void
on_media (Conn *conn, RtmpSessionEvent *event)
{
  RtmpTestPeer *peer = conn->peer;
  const Config *config = &peer->config;
  RtmpMessage *message = g_steal_pointer (&event->message);

  peer->stats.n_media++;
  peer->stats.n_media_bytes += g_bytes_get_size (message->payload);
  conn->n_media++;
  g_ptr_array_add (peer->media, rtmp_message_copy (message));
  g_ptr_array_add (conn->record->media, message);

  if (config->status_code != NULL && !conn->status_after_media_sent
      && conn->n_media >= config->status_after_media) {
    conn->status_after_media_sent = TRUE;
    rtmp_session_send_status (conn->session,
        conn->stream_id ? conn->stream_id : message->stream_id,
        config->status_level, config->status_code, config->status_description);
  }
}

static void
on_event (Conn *conn, RtmpSessionEvent *event)
{
  RtmpTestPeer *peer = conn->peer;
  ConnRecord *record = conn->record;
  guint i;

  switch (event->type) {
    case RTMP_SESSION_EVENT_HANDSHAKE_COMPLETE:
      peer->stats.n_handshakes++;
      break;
    case RTMP_SESSION_EVENT_CONNECT_REQUEST:
      peer->stats.n_connects++;
      g_clear_pointer (&record->connect_object, rtmp_amf_value_free);
      record->connect_object = rtmp_amf_value_copy (event->info);
      g_ptr_array_set_size (record->connect_args, 0);
      for (i = 0; i < event->command->arguments->len; i++)
        g_ptr_array_add (record->connect_args,
            rtmp_amf_value_copy (event->command->arguments->pdata[i]));
      conn->pending = PENDING_CONNECT;
      process_pending (conn);
      break;
    case RTMP_SESSION_EVENT_PUBLISH_REQUEST:
    case RTMP_SESSION_EVENT_PLAY_REQUEST:
      g_free (record->stream_name);
      record->stream_name = g_strdup (event->name);
      conn->pending = event->type == RTMP_SESSION_EVENT_PUBLISH_REQUEST
          ? PENDING_PUBLISH
          : PENDING_PLAY;
      conn->pending_stream_id = event->stream_id;
      conn->pending_start_ms = event->start_ms;
      process_pending (conn);
      break;
    case RTMP_SESSION_EVENT_MEDIA:
      on_media (conn, event);
      break;
    case RTMP_SESSION_EVENT_COMMAND:
      if (g_strcmp0 (event->name, "secureTokenResponse") == 0)
        on_secure_token_response (conn, event->command);
      break;
    case RTMP_SESSION_EVENT_SEEK_REQUEST:
      rtmp_session_send_status (conn->session, event->stream_id, "status",
          "NetStream.Seek.Notify", "Seeking.");
      rtmp_session_send_status (conn->session, event->stream_id, "status",
          "NetStream.Play.Start", "Started playing.");
      if (conn->is_player)
        seek_play_source (conn, event->position_ms);
      break;
    case RTMP_SESSION_EVENT_PAUSE_REQUEST:
      conn->paused = event->pause;
      /* pacing restarts from the next message */
      conn->play_base_us = 0;
      break;
    case RTMP_SESSION_EVENT_STREAM_CLOSED:
      peer->stats.n_streams_closed++;
      break;
    default:
      break;
  }
}

static void
process_events (Conn *conn)
{
  RtmpSessionEvent event;

  while (rtmp_session_next_event (conn->session, &event)) {
    if (!conn->closing && !conn->dead)
      on_event (conn, &event);
    rtmp_session_event_clear (&event);
  }
}

/* --- input --- */

static void
tap_feed (Conn *conn, const guint8 *data, gsize len)
{
  RtmpTestPeer *peer = conn->peer;
  gsize skip = MIN (conn->tap_skip, len);

  conn->tap_skip -= skip;
  data += skip;
  len -= skip;

  while (!conn->tap_failed) {
    g_autoptr (GError) error = NULL;
    g_autoptr (RtmpMessage) message = NULL;
    gsize consumed = 0;
    RtmpReadResult result = rtmp_chunk_reader_read (conn->tap, data, len,
        &consumed, &message, &error);

    if (result == RTMP_READ_ERROR) {
      conn->tap_failed = TRUE;
      return;
    }
    data += consumed;
    len -= consumed;
    if (result == RTMP_READ_NEED_MORE)
      return;

    if (message->type == RTMP_MESSAGE_SET_CHUNK_SIZE) {
      conn->record->client_chunk_size
          = rtmp_chunk_reader_get_chunk_size (conn->tap);
      peer->stats.client_chunk_size = conn->record->client_chunk_size;
    } else if (message->type == RTMP_MESSAGE_COMMAND_AMF0
        || message->type == RTMP_MESSAGE_COMMAND_AMF3) {
      g_autoptr (RtmpCommand) command
          = rtmp_command_parse (message, NULL, NULL);

      if (command != NULL) {
        g_ptr_array_add (conn->record->commands, g_strdup (command->name));
        g_ptr_array_add (peer->commands, g_strdup (command->name));
      }
    }
  }
}

static void
on_bytes (Conn *conn, const guint8 *data, gsize len)
{
  const Config *config = &conn->peer->config;
  g_autoptr (GError) error = NULL;

  if (conn->closing)
    return; /* lingering: dropped */

  if (!conn->handshake_seen) {
    conn->handshake_seen = TRUE;
    if (config->stall_at == RTMP_TEST_PEER_AT_HANDSHAKE)
      conn->deaf = TRUE;
    else if (apply_fault (conn, RTMP_TEST_PEER_AT_HANDSHAKE))
      return;
  }

  tap_feed (conn, data, len);
  if (conn->deaf)
    return;

  if (conn->connect_accepted && !conn->create_stream_point_done) {
    conn->create_stream_point_done = TRUE;
    if (config->stall_at == RTMP_TEST_PEER_AT_CREATE_STREAM) {
      conn->deaf = TRUE;
      return;
    }
    if (apply_fault (conn, RTMP_TEST_PEER_AT_CREATE_STREAM)) {
      conn->deaf = TRUE;
      return;
    }
  }

  if (!rtmp_session_receive (conn->session, data, len, g_get_monotonic_time (),
          &error)) {
    conn->session_failed = TRUE;
    set_end (conn, RTMP_TEST_PEER_END_CLIENT_ERROR, error->message);
    conn->closing = TRUE;
    return;
  }
  process_events (conn);
}

static void
on_eof (Conn *conn)
{
  if (conn->tap_skip > 0)
    set_end (conn, RTMP_TEST_PEER_END_CLIENT_MID_MESSAGE,
        "the client closed during the handshake");
  else if (rtmp_chunk_reader_get_buffered_bytes (conn->tap) > 0)
    set_end (conn, RTMP_TEST_PEER_END_CLIENT_MID_MESSAGE,
        "the client closed in the middle of a message");
  else
    set_end (conn, RTMP_TEST_PEER_END_CLIENT_CLEAN, "the client closed");
  conn_kill (conn);
}

static gboolean
on_readable (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  Conn *conn = user_data;
  RtmpTestPeer *peer = conn->peer;
  guint8 buffer[READ_SIZE];
  guint i;

  g_mutex_lock (&peer->lock);
  for (i = 0; i < MAX_READS_PER_WAKEUP && !conn->dead && !conn->reading_stopped;
       i++) {
    g_autoptr (GError) error = NULL;
    gssize n = g_socket_receive (socket, (gchar *) buffer, sizeof (buffer),
        NULL, &error);

    if (n < 0) {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        break;
      set_end (conn, RTMP_TEST_PEER_END_CLIENT_ERROR, error->message);
      conn_kill (conn);
      break;
    }
    if (n == 0) {
      on_eof (conn);
      break;
    }
    on_bytes (conn, buffer, n);
  }
  conn_pump (conn);
  conn_release (conn);
  g_cond_broadcast (&peer->cond);
  g_mutex_unlock (&peer->lock);
  /* the source is destroyed when reading stops or the connection dies */
  return G_SOURCE_CONTINUE;
}

/* --- timers and the pump --- */

static gboolean
timer_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  g_source_set_ready_time (source, -1);
  return callback (user_data);
}

static GSourceFuncs timer_funcs = {
  NULL,
  NULL,
  timer_dispatch,
  NULL,
  NULL,
  NULL,
};

static gboolean
on_timer (gpointer user_data)
{
  Conn *conn = user_data;
  RtmpTestPeer *peer = conn->peer;

  g_mutex_lock (&peer->lock);
  conn_pump (conn);
  conn_release (conn);
  g_cond_broadcast (&peer->cond);
  g_mutex_unlock (&peer->lock);
  return G_SOURCE_CONTINUE;
}

static gboolean
session_is_live (Conn *conn)
{
  return !conn->deaf && !conn->closing && !conn->session_failed;
}

/* Does everything due on @conn: deadlines, pending answers, the play
 * source, writing, closing, and the next wake-up. */
static void
conn_pump (Conn *conn)
{
  const Config *config = &conn->peer->config;
  guint64 now_us = g_get_monotonic_time ();
  guint64 wake_us = G_MAXUINT64;

  if (conn->dead)
    return;

  if (conn->fin_sent) {
    if (now_us >= conn->linger_deadline_us) {
      conn_kill (conn);
      return;
    }
    g_source_set_ready_time (conn->timer_source, conn->linger_deadline_us);
    return;
  }

  if (session_is_live (conn)
      && now_us >= rtmp_session_next_deadline (conn->session)) {
    g_autoptr (GError) error = NULL;

    if (!rtmp_session_handle_deadline (conn->session, now_us, &error)) {
      conn->session_failed = TRUE;
      conn_close (conn, error->message);
    }
  }
  if (session_is_live (conn))
    process_events (conn);
  process_pending (conn);

  /* a stall at STARTED stops reading; another configuration resumes it */
  if (conn->started && !conn->closing
      && config->stall_at == RTMP_TEST_PEER_AT_STARTED) {
    conn->reading_stopped = TRUE;
    destroy_source (&conn->read_source);
  } else if (conn->reading_stopped) {
    conn->reading_stopped = FALSE;
    start_reading (conn);
  }

  if (session_is_live (conn))
    send_play_media (conn, now_us);
  conn_flush (conn);
  if (conn->dead)
    return;

  if (conn->fin_sent) {
    wake_us = conn->linger_deadline_us;
  } else {
    if (session_is_live (conn))
      wake_us = rtmp_session_next_deadline (conn->session);
    if (conn->write_source == NULL)
      wake_us = MIN (wake_us, conn->next_play_us);
  }
  g_source_set_ready_time (conn->timer_source,
      wake_us == G_MAXUINT64 ? -1 : (gint64) wake_us);
}

/* --- accepting --- */

static void
conn_new (RtmpTestPeer *peer, GSocket *socket)
{
  const Config *config = &peer->config;
  Conn *conn = g_new0 (Conn, 1);
  RtmpSessionConfig session_config;
  guint8 random[RTMP_SESSION_RANDOM_SIZE];
  guint i;

  for (i = 0; i < sizeof (random); i++)
    random[i] = g_random_int_range (0, 256);

  rtmp_session_config_init (&session_config, RTMP_SESSION_ROLE_SERVER);
  session_config.random = random;
  session_config.now_us = g_get_monotonic_time ();
  /* the peer never times a client's phases out: tests decide */
  session_config.phase_timeout_ms = 0;
  session_config.idle_timeout_ms = config->idle_timeout_ms;
  session_config.ping_interval_ms = config->ping_interval_ms;
  session_config.chunk_size = config->chunk_size;

  conn->peer = peer;
  conn->socket = socket;
  conn->session = rtmp_session_new (&session_config);
  conn->tap = rtmp_chunk_reader_new (NULL);
  conn->tap_skip = HANDSHAKE_BYTES;
  conn->write_limit = config->close_after_bytes > 0
      ? HANDSHAKE_BYTES + config->close_after_bytes
      : G_MAXUINT64;
  conn->next_play_us = G_MAXUINT64;
  conn->record = record_new ();
  conn->index = peer->records->len;
  g_ptr_array_add (peer->records, conn->record);
  g_ptr_array_add (peer->conns, conn);
  peer->stats.n_connections++;
  peer->stats.n_open++;

  g_socket_set_blocking (socket, FALSE);
  if (config->receive_buffer > 0)
    g_socket_set_option (socket, SOL_SOCKET, SO_RCVBUF, config->receive_buffer,
        NULL);

  conn->timer_source = g_source_new (&timer_funcs, sizeof (GSource));
  g_source_set_callback (conn->timer_source, on_timer, conn, NULL);
  g_source_attach (conn->timer_source, peer->context);
  start_reading (conn);
  conn_pump (conn);
}

static gboolean
on_incoming (GSocket *listener, GIOCondition condition, gpointer user_data)
{
  RtmpTestPeer *peer = user_data;

  g_mutex_lock (&peer->lock);
  while (TRUE) {
    g_autoptr (GError) error = NULL;
    GSocket *socket = g_socket_accept (listener, NULL, &error);

    if (socket == NULL) {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        g_warning ("test peer: accept failed: %s", error->message);
      break;
    }
    conn_new (peer, socket);
  }
  g_cond_broadcast (&peer->cond);
  g_mutex_unlock (&peer->lock);
  return G_SOURCE_CONTINUE;
}

/* Binds 127.0.0.1:@port (0: any) and listens; FALSE with @error */
static gboolean
listen_on (RtmpTestPeer *peer, guint16 port, GError **error)
{
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GInetAddress) loopback = NULL;
  g_autoptr (GSocketAddress) address = NULL;
  g_autoptr (GSocketAddress) local = NULL;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return FALSE;
  loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  address = g_inet_socket_address_new (loopback, port);
  if (!g_socket_bind (socket, address, TRUE, error))
    return FALSE;
  g_socket_set_listen_backlog (socket, 64);
  if (!g_socket_listen (socket, error))
    return FALSE;
  g_socket_set_blocking (socket, FALSE);
  local = g_socket_get_local_address (socket, error);
  if (local == NULL)
    return FALSE;
  if (peer->config.receive_buffer > 0)
    g_socket_set_option (socket, SOL_SOCKET, SO_RCVBUF,
        peer->config.receive_buffer, NULL);

  peer->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  peer->listener = g_steal_pointer (&socket);
  peer->listen_source = g_socket_create_source (peer->listener, G_IO_IN, NULL);
  g_source_set_callback (peer->listen_source, G_SOURCE_FUNC (on_incoming), peer,
      NULL);
  g_source_attach (peer->listen_source, peer->context);
  return TRUE;
}

static void
stop_listening (RtmpTestPeer *peer)
{
  destroy_source (&peer->listen_source);
  if (peer->listener != NULL)
    g_socket_close (peer->listener, NULL);
  g_clear_object (&peer->listener);
}

/* --- the thread and calls into it --- */

static gpointer
peer_thread (gpointer user_data)
{
  RtmpTestPeer *peer = user_data;

  g_main_context_push_thread_default (peer->context);
  g_main_loop_run (peer->loop);
  g_main_context_pop_thread_default (peer->context);
  return NULL;
}

typedef void (*PeerFunc) (RtmpTestPeer *peer, gpointer data);

typedef struct
{
  RtmpTestPeer *peer;
  PeerFunc func;
  gpointer data;
  gboolean done;
} SyncCall;

static gboolean
sync_call_dispatch (gpointer user_data)
{
  SyncCall *call = user_data;
  RtmpTestPeer *peer = call->peer;

  g_mutex_lock (&peer->lock);
  call->func (peer, call->data);
  call->done = TRUE;
  g_cond_broadcast (&peer->cond);
  g_mutex_unlock (&peer->lock);
  return G_SOURCE_REMOVE;
}

/* Runs @func on the peer thread with the lock held and waits for it */
static void
run_sync (RtmpTestPeer *peer, PeerFunc func, gpointer data)
{
  SyncCall call = { peer, func, data, FALSE };
  GSource *source;

  g_assert (g_thread_self () != peer->thread);
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_HIGH);
  g_source_set_callback (source, sync_call_dispatch, &call, NULL);
  g_mutex_lock (&peer->lock);
  g_source_attach (source, peer->context);
  while (!call.done)
    g_cond_wait (&peer->cond, &peer->lock);
  g_mutex_unlock (&peer->lock);
  g_source_unref (source);
}

static void
pump_all (RtmpTestPeer *peer)
{
  g_autoptr (GPtrArray) conns = g_ptr_array_copy (peer->conns, NULL, NULL);
  guint i;

  for (i = 0; i < conns->len; i++) {
    Conn *conn = conns->pdata[i];

    conn_pump (conn);
    conn_release (conn);
  }
}

static gboolean
on_kick (gpointer user_data)
{
  RtmpTestPeer *peer = user_data;

  g_mutex_lock (&peer->lock);
  g_clear_pointer (&peer->kick_source, g_source_unref);
  pump_all (peer);
  g_cond_broadcast (&peer->cond);
  g_mutex_unlock (&peer->lock);
  return G_SOURCE_REMOVE;
}

/* After a configuration change: open connections look at it again.
 * Called with the lock held. */
static void
kick (RtmpTestPeer *peer)
{
  if (peer->kick_source != NULL || peer->loop == NULL)
    return;
  peer->kick_source = g_idle_source_new ();
  g_source_set_callback (peer->kick_source, on_kick, peer, NULL);
  g_source_attach (peer->kick_source, peer->context);
}

/* --- lifetime --- */

static void
config_clear (Config *config)
{
  g_free (config->reject_connect);
  g_free (config->reject_publish_code);
  g_free (config->reject_publish_description);
  g_free (config->reject_play_code);
  g_free (config->reject_play_description);
  g_free (config->auth_user);
  g_free (config->auth_password);
  g_free (config->secure_token_key);
  g_free (config->secure_token_plaintext);
  g_free (config->status_level);
  g_free (config->status_code);
  g_free (config->status_description);
  g_clear_pointer (&config->play_media, g_ptr_array_unref);
}

RtmpTestPeer *
rtmp_test_peer_new (void)
{
  RtmpTestPeer *peer = g_new0 (RtmpTestPeer, 1);
  g_autoptr (GError) error = NULL;
  guint i;

  g_mutex_init (&peer->lock);
  g_cond_init (&peer->cond);
  peer->context = g_main_context_new ();
  peer->conns = g_ptr_array_new ();
  peer->records = g_ptr_array_new_with_free_func ((GDestroyNotify) record_free);
  peer->commands = g_ptr_array_new_with_free_func (g_free);
  peer->media
      = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_message_free);
  peer->stats.client_chunk_size = RTMP_DEFAULT_CHUNK_SIZE;
  for (i = 0; i < sizeof (peer->adobe_secret); i++)
    peer->adobe_secret[i] = g_random_int_range (0, 256);
  for (i = 0; i < sizeof (peer->llnw_nonce) - 1; i++)
    peer->llnw_nonce[i] = "0123456789abcdef"[g_random_int_range (0, 16)];

  peer->config.chunk_size = 4096;
  peer->config.play_media
      = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_message_free);

  if (!listen_on (peer, 0, &error))
    g_error ("test peer: cannot listen on 127.0.0.1: %s", error->message);
  peer->loop = g_main_loop_new (peer->context, FALSE);
  peer->thread = g_thread_new ("rtmp-test-peer", peer_thread, peer);
  return peer;
}

static void
shutdown_func (RtmpTestPeer *peer, gpointer data)
{
  while (peer->conns->len > 0) {
    Conn *conn = peer->conns->pdata[0];

    set_end (conn, RTMP_TEST_PEER_END_PEER, "the peer was freed");
    conn_kill (conn);
    conn_release (conn);
  }
  stop_listening (peer);
  destroy_source (&peer->rebind_source);
  destroy_source (&peer->kick_source);
  g_main_loop_quit (peer->loop);
}

void
rtmp_test_peer_free (RtmpTestPeer *peer)
{
  if (peer == NULL)
    return;
  run_sync (peer, shutdown_func, NULL);
  g_thread_join (peer->thread);
  g_main_loop_unref (peer->loop);
  g_main_context_unref (peer->context);
  g_ptr_array_unref (peer->conns);
  g_ptr_array_unref (peer->records);
  g_ptr_array_unref (peer->commands);
  g_ptr_array_unref (peer->media);
  config_clear (&peer->config);
  g_mutex_clear (&peer->lock);
  g_cond_clear (&peer->cond);
  g_free (peer);
}

guint16
rtmp_test_peer_get_port (RtmpTestPeer *peer)
{
  guint16 port;

  g_mutex_lock (&peer->lock);
  port = peer->port;
  g_mutex_unlock (&peer->lock);
  return port;
}

gchar *
rtmp_test_peer_dup_url (RtmpTestPeer *peer, const gchar *app,
    const gchar *stream)
{
  guint16 port = rtmp_test_peer_get_port (peer);

  if (stream == NULL)
    return g_strdup_printf ("rtmp://127.0.0.1:%u/%s", port, app);
  return g_strdup_printf ("rtmp://127.0.0.1:%u/%s/%s", port, app, stream);
}

/* --- configuration --- */

static void
config_lock (RtmpTestPeer *peer)
{
  g_mutex_lock (&peer->lock);
}

/* Open connections look at the new configuration on the peer thread */
static void
config_unlock (RtmpTestPeer *peer)
{
  kick (peer);
  g_mutex_unlock (&peer->lock);
}

static void
replace_string (gchar **field, const gchar *value)
{
  g_free (*field);
  *field = g_strdup (value);
}

void
rtmp_test_peer_set_stall (RtmpTestPeer *peer, RtmpTestPeerPoint point)
{
  config_lock (peer);
  peer->config.stall_at = point;
  config_unlock (peer);
}

void
rtmp_test_peer_set_close_at (RtmpTestPeer *peer, RtmpTestPeerPoint point)
{
  config_lock (peer);
  peer->config.close_at = point;
  config_unlock (peer);
}

void
rtmp_test_peer_set_garbage_at (RtmpTestPeer *peer, RtmpTestPeerPoint point,
    gsize n_bytes)
{
  config_lock (peer);
  peer->config.garbage_at = point;
  peer->config.garbage_len = n_bytes;
  config_unlock (peer);
}

void
rtmp_test_peer_set_close_after_bytes (RtmpTestPeer *peer, guint64 n_bytes)
{
  config_lock (peer);
  peer->config.close_after_bytes = n_bytes;
  config_unlock (peer);
}

void
rtmp_test_peer_set_reject_connect (RtmpTestPeer *peer, const gchar *description)
{
  config_lock (peer);
  replace_string (&peer->config.reject_connect, description);
  config_unlock (peer);
}

void
rtmp_test_peer_set_reject_publish (RtmpTestPeer *peer, const gchar *code,
    const gchar *description)
{
  config_lock (peer);
  replace_string (&peer->config.reject_publish_code, code);
  replace_string (&peer->config.reject_publish_description, description);
  config_unlock (peer);
}

void
rtmp_test_peer_set_reject_play (RtmpTestPeer *peer, const gchar *code,
    const gchar *description)
{
  config_lock (peer);
  replace_string (&peer->config.reject_play_code, code);
  replace_string (&peer->config.reject_play_description, description);
  config_unlock (peer);
}

void
rtmp_test_peer_set_auth (RtmpTestPeer *peer, RtmpTestPeerAuth auth,
    const gchar *user, const gchar *password)
{
  config_lock (peer);
  peer->config.auth = auth;
  replace_string (&peer->config.auth_user, user);
  replace_string (&peer->config.auth_password, password);
  config_unlock (peer);
}

void
rtmp_test_peer_set_secure_token (RtmpTestPeer *peer, const gchar *key,
    const gchar *plaintext)
{
  g_return_if_fail (key == NULL || (plaintext && strlen (plaintext) > 4));

  config_lock (peer);
  replace_string (&peer->config.secure_token_key, key);
  replace_string (&peer->config.secure_token_plaintext, key ? plaintext : NULL);
  config_unlock (peer);
}

void
rtmp_test_peer_set_chunk_size (RtmpTestPeer *peer, guint32 chunk_size)
{
  g_return_if_fail (chunk_size >= 1 && chunk_size <= RTMP_MAX_CHUNK_SIZE);

  config_lock (peer);
  peer->config.chunk_size = chunk_size;
  config_unlock (peer);
}

void
rtmp_test_peer_set_ping_interval (RtmpTestPeer *peer, guint interval_ms)
{
  config_lock (peer);
  peer->config.ping_interval_ms = interval_ms;
  config_unlock (peer);
}

void
rtmp_test_peer_set_idle_timeout (RtmpTestPeer *peer, guint timeout_ms)
{
  config_lock (peer);
  peer->config.idle_timeout_ms = timeout_ms;
  config_unlock (peer);
}

void
rtmp_test_peer_set_receive_buffer (RtmpTestPeer *peer, guint n_bytes)
{
  config_lock (peer);
  peer->config.receive_buffer = n_bytes;
  config_unlock (peer);
}

void
rtmp_test_peer_set_status_after_media (RtmpTestPeer *peer, guint n_media,
    const gchar *level, const gchar *code, const gchar *description)
{
  config_lock (peer);
  peer->config.status_after_media = n_media;
  replace_string (&peer->config.status_level, level ? level : "error");
  replace_string (&peer->config.status_code, code);
  replace_string (&peer->config.status_description, description);
  config_unlock (peer);
}

/* --- actions --- */

typedef struct
{
  const gchar *level, *code, *description, *tc_url;
  guint count;
} StatusAction;

static void
reconnect_request_func (RtmpTestPeer *peer, gpointer data)
{
  StatusAction *action = data;
  guint i;

  for (i = 0; i < peer->conns->len; i++) {
    Conn *conn = peer->conns->pdata[i];
    g_autoptr (RtmpCommand) command = NULL;
    RtmpAmfValue *info;

    if (!conn->connect_accepted || conn->closing || !session_is_live (conn))
      continue;
    info = rtmp_amf_value_new_object ();
    rtmp_amf_value_set_string_field (info, "level", "status");
    rtmp_amf_value_set_string_field (info, "code",
        "NetConnection.Connect.ReconnectRequest");
    rtmp_amf_value_set_string_field (info, "description",
        action->description ? action->description : "");
    if (action->tc_url != NULL)
      rtmp_amf_value_set_string_field (info, "tcUrl", action->tc_url);
    command = rtmp_command_new ("onStatus", 0, NULL);
    rtmp_command_take_argument (command, info);
    rtmp_session_send_command (conn->session, 0, command);
    action->count++;
  }
  pump_all (peer);
}

guint
rtmp_test_peer_send_reconnect_request (RtmpTestPeer *peer, const gchar *tc_url,
    const gchar *description)
{
  StatusAction action = { NULL, NULL, description, tc_url, 0 };

  run_sync (peer, reconnect_request_func, &action);
  return action.count;
}

static void
send_status_func (RtmpTestPeer *peer, gpointer data)
{
  StatusAction *action = data;
  guint i;

  for (i = 0; i < peer->conns->len; i++) {
    Conn *conn = peer->conns->pdata[i];

    if (!conn->started || !session_is_live (conn))
      continue;
    rtmp_session_send_status (conn->session, conn->stream_id, action->level,
        action->code, action->description);
    action->count++;
  }
  pump_all (peer);
}

guint
rtmp_test_peer_send_status (RtmpTestPeer *peer, const gchar *level,
    const gchar *code, const gchar *description)
{
  StatusAction action = { level, code, description, NULL, 0 };

  run_sync (peer, send_status_func, &action);
  return action.count;
}

static void
drop_func (RtmpTestPeer *peer, gpointer data)
{
  guint i;

  for (i = 0; i < peer->conns->len; i++) {
    Conn *conn = peer->conns->pdata[i];

    set_end (conn, RTMP_TEST_PEER_END_PEER, "dropped");
    conn->closing = TRUE;
    conn->deaf = TRUE;
    /* nothing more of what was queued goes out */
    conn->write_limit = 0;
    if (!conn->fin_sent)
      send_fin (conn);
  }
}

void
rtmp_test_peer_drop_connections (RtmpTestPeer *peer)
{
  run_sync (peer, drop_func, NULL);
}

static gboolean
on_rebind (gpointer user_data)
{
  RtmpTestPeer *peer = user_data;
  g_autoptr (GError) error = NULL;
  guint attempt;

  g_mutex_lock (&peer->lock);
  g_clear_pointer (&peer->rebind_source, g_source_unref);
  /* the port was ours a moment ago; another process taking it in between
   * would be a freak: retry briefly, then say so */
  for (attempt = 0; peer->listener == NULL; attempt++) {
    g_clear_error (&error);
    if (listen_on (peer, peer->port, &error))
      break;
    if (attempt == REBIND_ATTEMPTS) {
      g_warning ("test peer: cannot listen on port %u again: %s", peer->port,
          error->message);
      break;
    }
    g_usleep (REBIND_RETRY_MS * 1000);
  }
  g_cond_broadcast (&peer->cond);
  g_mutex_unlock (&peer->lock);
  return G_SOURCE_REMOVE;
}

static void
refuse_func (RtmpTestPeer *peer, gpointer data)
{
  guint duration_ms = GPOINTER_TO_UINT (data);

  stop_listening (peer);
  destroy_source (&peer->rebind_source);
  if (duration_ms == G_MAXUINT)
    return;
  peer->rebind_source = g_timeout_source_new (duration_ms);
  g_source_set_callback (peer->rebind_source, on_rebind, peer, NULL);
  g_source_attach (peer->rebind_source, peer->context);
}

void
rtmp_test_peer_refuse_connections (RtmpTestPeer *peer, guint duration_ms)
{
  run_sync (peer, refuse_func, GUINT_TO_POINTER (duration_ms));
}

static void
accept_func (RtmpTestPeer *peer, gpointer data)
{
  destroy_source (&peer->rebind_source);
  peer->rebind_source = g_idle_source_new ();
  g_source_set_priority (peer->rebind_source, G_PRIORITY_HIGH);
  g_source_set_callback (peer->rebind_source, on_rebind, peer, NULL);
  g_source_attach (peer->rebind_source, peer->context);
}

static gboolean
is_listening (const RtmpTestPeer *peer)
{
  return peer->listener != NULL;
}

void
rtmp_test_peer_accept_connections (RtmpTestPeer *peer)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  run_sync (peer, accept_func, NULL);
  g_mutex_lock (&peer->lock);
  while (!is_listening (peer)
      && g_cond_wait_until (&peer->cond, &peer->lock, deadline))
    ;
  g_mutex_unlock (&peer->lock);
}

/* --- play source --- */

void
rtmp_test_peer_add_play_media (RtmpTestPeer *peer, guint8 type,
    guint32 timestamp, GBytes *payload)
{
  config_lock (peer);
  g_ptr_array_add (peer->config.play_media,
      rtmp_message_new (type, timestamp, 0, 0, payload));
  config_unlock (peer);
}

gboolean
rtmp_test_peer_add_play_flv (RtmpTestPeer *peer, GBytes *flv, GError **error)
{
  g_autoptr (RtmpFlvReader) reader = rtmp_flv_reader_new (NULL);
  g_autoptr (GPtrArray) messages
      = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_message_free);
  gsize offset = 0, size = g_bytes_get_size (flv);

  while (TRUE) {
    RtmpFlvTag *tag = NULL;
    gsize consumed = 0;
    RtmpReadResult result
        = rtmp_flv_reader_read (reader, flv, offset, &consumed, &tag, error);

    if (result == RTMP_READ_ERROR)
      return FALSE;
    offset += consumed;
    if (result == RTMP_READ_NEED_MORE)
      break;
    g_ptr_array_add (messages,
        rtmp_message_new (tag->type, tag->timestamp, 0, 0, tag->payload));
    rtmp_flv_tag_free (tag);
  }
  if (offset != size || rtmp_flv_reader_has_partial (reader)) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
        "FLV stream truncated at offset %" G_GSIZE_FORMAT, offset);
    return FALSE;
  }

  config_lock (peer);
  g_ptr_array_extend_and_steal (peer->config.play_media,
      g_steal_pointer (&messages));
  config_unlock (peer);
  return TRUE;
}

void
rtmp_test_peer_clear_play_media (RtmpTestPeer *peer)
{
  config_lock (peer);
  g_ptr_array_set_size (peer->config.play_media, 0);
  config_unlock (peer);
}

void
rtmp_test_peer_set_play_options (RtmpTestPeer *peer, gboolean realtime,
    gboolean loop, gboolean recorded, RtmpTestPeerPlayEnd end)
{
  config_lock (peer);
  peer->config.play_realtime = realtime;
  peer->config.play_loop = loop;
  peer->config.play_recorded = recorded;
  peer->config.play_end = end;
  config_unlock (peer);
}

/* --- observation --- */

void
rtmp_test_peer_get_stats (RtmpTestPeer *peer, RtmpTestPeerStats *stats)
{
  g_mutex_lock (&peer->lock);
  *stats = peer->stats;
  g_mutex_unlock (&peer->lock);
}

gboolean
rtmp_test_peer_wait (RtmpTestPeer *peer, RtmpTestPeerCondition condition,
    gpointer user_data, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * (gint64) 1000;
  gboolean met;

  g_mutex_lock (&peer->lock);
  while (!(met = condition (&peer->stats, user_data))) {
    if (!g_cond_wait_until (&peer->cond, &peer->lock, deadline)) {
      met = condition (&peer->stats, user_data);
      break;
    }
  }
  g_mutex_unlock (&peer->lock);
  return met;
}

static gboolean
enough_connections (const RtmpTestPeerStats *stats, gpointer user_data)
{
  return stats->n_connections >= GPOINTER_TO_UINT (user_data);
}

static gboolean
enough_media (const RtmpTestPeerStats *stats, gpointer user_data)
{
  return stats->n_media >= GPOINTER_TO_UINT (user_data);
}

static gboolean
enough_ended (const RtmpTestPeerStats *stats, gpointer user_data)
{
  return stats->n_ended >= GPOINTER_TO_UINT (user_data);
}

gboolean
rtmp_test_peer_wait_for_connections (RtmpTestPeer *peer, guint n,
    guint timeout_ms)
{
  return rtmp_test_peer_wait (peer, enough_connections, GUINT_TO_POINTER (n),
      timeout_ms);
}

gboolean
rtmp_test_peer_wait_for_media (RtmpTestPeer *peer, guint n, guint timeout_ms)
{
  return rtmp_test_peer_wait (peer, enough_media, GUINT_TO_POINTER (n),
      timeout_ms);
}

gboolean
rtmp_test_peer_wait_for_ended (RtmpTestPeer *peer, guint n, guint timeout_ms)
{
  return rtmp_test_peer_wait (peer, enough_ended, GUINT_TO_POINTER (n),
      timeout_ms);
}

static guint
count_commands (RtmpTestPeer *peer, const gchar *name)
{
  guint i, n = 0;

  for (i = 0; i < peer->commands->len; i++) {
    if (g_str_equal (peer->commands->pdata[i], name))
      n++;
  }
  return n;
}

gboolean
rtmp_test_peer_wait_for_command (RtmpTestPeer *peer, const gchar *name, guint n,
    guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * (gint64) 1000;
  gboolean met;

  g_mutex_lock (&peer->lock);
  while (!(met = count_commands (peer, name) >= n)) {
    if (!g_cond_wait_until (&peer->cond, &peer->lock, deadline)) {
      met = count_commands (peer, name) >= n;
      break;
    }
  }
  g_mutex_unlock (&peer->lock);
  return met;
}

/* The record of @connection, or NULL; called with the lock held */
static ConnRecord *
lookup_record (RtmpTestPeer *peer, gint connection)
{
  if (connection == RTMP_TEST_PEER_LAST)
    connection = (gint) peer->records->len - 1;
  if (connection < 0 || (guint) connection >= peer->records->len)
    return NULL;
  return peer->records->pdata[connection];
}

static RtmpTestPeerEnd
record_end (RtmpTestPeer *peer, gint connection)
{
  ConnRecord *record = lookup_record (peer, connection);

  return record ? record->end : RTMP_TEST_PEER_END_OPEN;
}

RtmpTestPeerEnd
rtmp_test_peer_wait_for_end (RtmpTestPeer *peer, gint connection,
    guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * (gint64) 1000;
  RtmpTestPeerEnd end;

  g_mutex_lock (&peer->lock);
  while ((end = record_end (peer, connection)) == RTMP_TEST_PEER_END_OPEN) {
    if (!g_cond_wait_until (&peer->cond, &peer->lock, deadline)) {
      end = record_end (peer, connection);
      break;
    }
  }
  g_mutex_unlock (&peer->lock);
  return end;
}

RtmpTestPeerEnd
rtmp_test_peer_get_end (RtmpTestPeer *peer, gint connection)
{
  RtmpTestPeerEnd end;

  g_mutex_lock (&peer->lock);
  end = record_end (peer, connection);
  g_mutex_unlock (&peer->lock);
  return end;
}

static GPtrArray *
copy_media (GPtrArray *media)
{
  GPtrArray *copy
      = g_ptr_array_new_full (media->len, (GDestroyNotify) rtmp_message_free);
  guint i;

  for (i = 0; i < media->len; i++)
    g_ptr_array_add (copy, rtmp_message_copy (media->pdata[i]));
  return copy;
}

GPtrArray *
rtmp_test_peer_dup_media (RtmpTestPeer *peer, gint connection)
{
  GPtrArray *media;
  ConnRecord *record;

  g_mutex_lock (&peer->lock);
  if (connection == RTMP_TEST_PEER_ALL) {
    media = copy_media (peer->media);
  } else {
    record = lookup_record (peer, connection);
    media = record
        ? copy_media (record->media)
        : g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_message_free);
  }
  g_mutex_unlock (&peer->lock);
  return media;
}

static GStrv
copy_strv (GPtrArray *strings)
{
  GStrv strv = g_new0 (gchar *, (strings ? strings->len : 0) + 1);
  guint i;

  for (i = 0; strings && i < strings->len; i++)
    strv[i] = g_strdup (strings->pdata[i]);
  return strv;
}

GStrv
rtmp_test_peer_dup_commands (RtmpTestPeer *peer, gint connection)
{
  GStrv commands;
  ConnRecord *record;

  g_mutex_lock (&peer->lock);
  if (connection == RTMP_TEST_PEER_ALL) {
    commands = copy_strv (peer->commands);
  } else {
    record = lookup_record (peer, connection);
    commands = copy_strv (record ? record->commands : NULL);
  }
  g_mutex_unlock (&peer->lock);
  return commands;
}

RtmpAmfValue *
rtmp_test_peer_dup_connect_object (RtmpTestPeer *peer, gint connection)
{
  RtmpAmfValue *object = NULL;
  ConnRecord *record;

  g_mutex_lock (&peer->lock);
  record = lookup_record (peer, connection);
  if (record != NULL && record->connect_object != NULL)
    object = rtmp_amf_value_copy (record->connect_object);
  g_mutex_unlock (&peer->lock);
  return object;
}

GPtrArray *
rtmp_test_peer_dup_connect_args (RtmpTestPeer *peer, gint connection)
{
  GPtrArray *args
      = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_amf_value_free);
  ConnRecord *record;
  guint i;

  g_mutex_lock (&peer->lock);
  record = lookup_record (peer, connection);
  for (i = 0; record != NULL && i < record->connect_args->len; i++)
    g_ptr_array_add (args,
        rtmp_amf_value_copy (record->connect_args->pdata[i]));
  g_mutex_unlock (&peer->lock);
  return args;
}

gchar *
rtmp_test_peer_dup_stream_name (RtmpTestPeer *peer, gint connection)
{
  gchar *name = NULL;
  ConnRecord *record;

  g_mutex_lock (&peer->lock);
  record = lookup_record (peer, connection);
  if (record != NULL)
    name = g_strdup (record->stream_name);
  g_mutex_unlock (&peer->lock);
  return name;
}

gchar *
rtmp_test_peer_dup_end_reason (RtmpTestPeer *peer, gint connection)
{
  gchar *reason = NULL;
  ConnRecord *record;

  g_mutex_lock (&peer->lock);
  record = lookup_record (peer, connection);
  if (record != NULL)
    reason = g_strdup (record->end_reason);
  g_mutex_unlock (&peer->lock);
  return reason;
}

guint32
rtmp_test_peer_get_client_chunk_size (RtmpTestPeer *peer, gint connection)
{
  guint32 chunk_size = RTMP_DEFAULT_CHUNK_SIZE;
  ConnRecord *record;

  g_mutex_lock (&peer->lock);
  record = lookup_record (peer, connection);
  if (record != NULL)
    chunk_size = record->client_chunk_size;
  g_mutex_unlock (&peer->lock);
  return chunk_size;
}
