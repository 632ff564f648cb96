/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One FLV stream served to many players: headers and the current GOP for
 * players that join mid-stream, per-player bounded queues, and the slow
 * player policy. The streaming thread hands each tag to every player's
 * session (the same GBytes to all of them) and writes what each socket
 * takes at once; it never waits for a player. */

#include "config.h"
#include "gstrtmpfanout.h"
#include "rtmpflv.h"
#include "rtmpmessage.h"

GST_DEBUG_CATEGORY_STATIC (gst_rtmp_fanout_debug);
#define GST_CAT_DEFAULT gst_rtmp_fanout_debug

GType
gst_rtmp_slow_client_policy_get_type (void)
{
  static gsize id = 0;
  static const GEnumValue values[] = {
    { GST_RTMP_SLOW_CLIENT_POLICY_DROP_GOP,
        "Drop whole GOPs until the player catches up", "drop-gop" },
    { GST_RTMP_SLOW_CLIENT_POLICY_DISCONNECT, "Disconnect the player",
        "disconnect" },
    { 0, NULL, NULL },
  };

  if (g_once_init_enter (&id)) {
    GType type = g_enum_register_static ("RtmpGstSlowClientPolicy", values);
    g_once_init_leave (&id, type);
  }
  return id;
}

typedef enum
{
  HEADER_METADATA,
  HEADER_VIDEO,
  HEADER_AUDIO,
  N_HEADERS
} HeaderKind;

typedef struct
{
  guint8 type;
  guint32 timestamp;
  GBytes *payload;
} CachedTag;

typedef struct
{
  GstRtmpServerClient *client; /* strong */
  gboolean is_paused;
  gboolean is_waiting_keyframe;
  guint64 dropped_frames, dropped_bytes, dropped_gops;
} Player;

struct _GstRtmpFanout
{
  GstRtmpFanoutSettings settings; /* immutable */

  GMutex lock;
  GPtrArray *players; /* Player * */
  GBytes *headers[N_HEADERS];
  gboolean has_video;
  GArray *gop; /* CachedTag, from the last keyframe */
  gsize gop_bytes;
  gboolean is_gop_valid; /* caching: a keyframe started it, within bound */
  guint32 last_timestamp;
  gboolean is_ended; /* the end was sent; cleared by the next tag */

  guint64 clients_total, clients_refused, clients_too_slow;
  guint64 dropped_frames, dropped_bytes;
};

static void
cached_tag_clear (gpointer data)
{
  CachedTag *tag = data;

  g_bytes_unref (tag->payload);
}

static void
player_free (gpointer data)
{
  Player *player = data;

  gst_rtmp_server_client_unref (player->client);
  g_free (player);
}

GstRtmpFanout *
gst_rtmp_fanout_new (const GstRtmpFanoutSettings *settings)
{
  GstRtmpFanout *self = g_new0 (GstRtmpFanout, 1);

  if (gst_rtmp_fanout_debug == NULL)
    GST_DEBUG_CATEGORY_INIT (gst_rtmp_fanout_debug, "rtmpfanout", 0,
        "RTMP server mode: serving players");
  self->settings = *settings;
  g_mutex_init (&self->lock);
  self->players = g_ptr_array_new_with_free_func (player_free);
  self->gop = g_array_new (FALSE, FALSE, sizeof (CachedTag));
  g_array_set_clear_func (self->gop, cached_tag_clear);
  return self;
}

static void
clear_gop_locked (GstRtmpFanout *self)
{
  g_array_set_size (self->gop, 0);
  self->gop_bytes = 0;
  self->is_gop_valid = FALSE;
}

void
gst_rtmp_fanout_free (GstRtmpFanout *self)
{
  guint i;

  if (self == NULL)
    return;
  clear_gop_locked (self);
  g_array_unref (self->gop);
  for (i = 0; i < N_HEADERS; i++)
    g_clear_pointer (&self->headers[i], g_bytes_unref);
  g_ptr_array_unref (self->players);
  g_mutex_clear (&self->lock);
  g_free (self);
}

static Player *
find_player_locked (GstRtmpFanout *self, GstRtmpServerClient *client,
    guint *index)
{
  guint i;

  for (i = 0; i < self->players->len; i++) {
    Player *player = self->players->pdata[i];

    if (player->client == client) {
      if (index)
        *index = i;
      return player;
    }
  }
  return NULL;
}

static const guint8 header_types[N_HEADERS]
    = { RTMP_MESSAGE_DATA_AMF0, RTMP_MESSAGE_VIDEO, RTMP_MESSAGE_AUDIO };

/* The headers and the GOP, to a player that joins */
static gboolean
send_start_locked (GstRtmpFanout *self, Player *player)
{
  guint32 start = self->is_gop_valid && self->gop->len > 0
      ? g_array_index (self->gop, CachedTag, 0).timestamp
      : self->last_timestamp;
  guint i;

  /* the headers at the first timestamp the player sees: no jump back */
  for (i = 0; i < N_HEADERS; i++) {
    if (self->headers[i] == NULL)
      continue;
    if (gst_rtmp_server_client_send_media (player->client, header_types[i],
            start, self->headers[i])
        != GST_RTMP_SERVER_SEND_OK)
      return FALSE;
  }
  if (!self->has_video)
    return TRUE;
  if (!self->is_gop_valid) {
    player->is_waiting_keyframe = TRUE;
    return TRUE;
  }
  for (i = 0; i < self->gop->len; i++) {
    CachedTag *tag = &g_array_index (self->gop, CachedTag, i);

    if (gst_rtmp_server_client_send_media (player->client, tag->type,
            tag->timestamp, tag->payload)
        != GST_RTMP_SERVER_SEND_OK)
      return FALSE;
  }
  return TRUE;
}

gboolean
gst_rtmp_fanout_add_player (GstRtmpFanout *self, GstRtmpServerClient *client,
    gchar **refusal)
{
  Player *player;
  gboolean ok;

  g_mutex_lock (&self->lock);
  if (self->settings.max_clients > 0
      && self->players->len >= self->settings.max_clients) {
    self->clients_refused++;
    g_mutex_unlock (&self->lock);
    *refusal = g_strdup_printf ("the server serves at most %u players",
        self->settings.max_clients);
    return FALSE;
  }
  player = g_new0 (Player, 1);
  player->client = gst_rtmp_server_client_ref (client);
  /* accepted now, under the lock: the start goes out before any tag the
   * streaming thread pushes next */
  gst_rtmp_server_client_accept (client);
  ok = send_start_locked (self, player);
  g_ptr_array_add (self->players, player);
  self->clients_total++;
  g_mutex_unlock (&self->lock);

  GST_DEBUG ("%s joins (%s)", gst_rtmp_server_client_get_address (client),
      ok ? "ok" : "gone already");
  return TRUE;
}

void
gst_rtmp_fanout_set_paused (GstRtmpFanout *self, GstRtmpServerClient *client,
    gboolean paused)
{
  Player *player;

  g_mutex_lock (&self->lock);
  player = find_player_locked (self, client, NULL);
  if (player) {
    player->is_paused = paused;
    /* resume cleanly, at a keyframe */
    if (!paused && self->has_video)
      player->is_waiting_keyframe = TRUE;
  }
  g_mutex_unlock (&self->lock);
}

void
gst_rtmp_fanout_remove_player (GstRtmpFanout *self, GstRtmpServerClient *client)
{
  guint index;

  g_mutex_lock (&self->lock);
  if (find_player_locked (self, client, &index))
    g_ptr_array_remove_index_fast (self->players, index);
  g_mutex_unlock (&self->lock);
}

void
gst_rtmp_fanout_set_has_video (GstRtmpFanout *self, gboolean has_video)
{
  g_mutex_lock (&self->lock);
  self->has_video = has_video;
  g_mutex_unlock (&self->lock);
}

/* Players that receive nothing from @type on, the policy applied.
 * Disconnected players leave the list (their "gone" follows). */
static void
send_to_players_locked (GstRtmpFanout *self, guint8 type, guint32 timestamp,
    GBytes *payload, gboolean is_header, gboolean is_keyframe)
{
  gsize size = g_bytes_get_size (payload);
  guint i = 0;

  while (i < self->players->len) {
    Player *player = self->players->pdata[i];
    gboolean gone = FALSE;

    if (player->is_paused && !is_header) {
      i++;
      continue;
    }
    if (!is_header) {
      gsize backlog = gst_rtmp_server_client_get_backlog (player->client);
      gboolean over = backlog > self->settings.max_queue_bytes;

      if (over
          && self->settings.policy == GST_RTMP_SLOW_CLIENT_POLICY_DISCONNECT) {
        g_autofree gchar *reason
            = g_strdup_printf ("too slow: %" G_GSIZE_FORMAT
                               " bytes queued (limit %" G_GSIZE_FORMAT ")",
                backlog, self->settings.max_queue_bytes);

        GST_INFO ("%s: %s", gst_rtmp_server_client_get_address (player->client),
            reason);
        gst_rtmp_server_client_disconnect (player->client, reason);
        self->clients_too_slow++;
        g_ptr_array_remove_index_fast (self->players, i);
        continue;
      }
      if (over && !player->is_waiting_keyframe && self->has_video) {
        /* drop-gop: the rest of this GOP is lost */
        GST_DEBUG ("%s: %" G_GSIZE_FORMAT " bytes queued: dropping to the "
                   "next keyframe",
            gst_rtmp_server_client_get_address (player->client), backlog);
        player->is_waiting_keyframe = TRUE;
        player->dropped_gops++;
      }
      if (player->is_waiting_keyframe && is_keyframe && !over)
        player->is_waiting_keyframe = FALSE;
      if (player->is_waiting_keyframe || (over && !self->has_video)) {
        player->dropped_frames++;
        player->dropped_bytes += size;
        self->dropped_frames++;
        self->dropped_bytes += size;
        i++;
        continue;
      }
    }
    gone = gst_rtmp_server_client_send_media (player->client, type, timestamp,
               payload)
        != GST_RTMP_SERVER_SEND_OK;
    if (gone)
      g_ptr_array_remove_index_fast (self->players, i);
    else
      i++;
  }
}

static gboolean
classify_header (guint8 type, HeaderKind *kind)
{
  switch (type) {
    case RTMP_MESSAGE_VIDEO:
      *kind = HEADER_VIDEO;
      return TRUE;
    case RTMP_MESSAGE_AUDIO:
      *kind = HEADER_AUDIO;
      return TRUE;
    case RTMP_MESSAGE_DATA_AMF0:
      *kind = HEADER_METADATA;
      return TRUE;
    default:
      return FALSE;
  }
}

void
gst_rtmp_fanout_push (GstRtmpFanout *self, guint8 type, guint32 timestamp,
    GBytes *payload, gboolean is_header, gboolean is_keyframe)
{
  g_autoptr (GBytes) body = NULL;
  HeaderKind kind;

  /* players receive onMetaData without the "@setDataFrame" that
   * publishers put before it */
  body = type == RTMP_MESSAGE_DATA_AMF0
      ? rtmp_flv_script_strip_set_data_frame (payload)
      : g_bytes_ref (payload);

  g_mutex_lock (&self->lock);
  self->last_timestamp = timestamp;
  self->is_ended = FALSE;
  if (is_header && classify_header (type, &kind)) {
    if (self->headers[kind] && g_bytes_equal (self->headers[kind], body)) {
      g_mutex_unlock (&self->lock);
      return;
    }
    g_clear_pointer (&self->headers[kind], g_bytes_unref);
    self->headers[kind] = g_bytes_ref (body);
    send_to_players_locked (self, type, timestamp, body, TRUE, FALSE);
    g_mutex_unlock (&self->lock);
    return;
  }

  if (type == RTMP_MESSAGE_VIDEO) {
    self->has_video = TRUE;
    if (is_keyframe) {
      clear_gop_locked (self);
      self->is_gop_valid = self->settings.gop_cache_bytes > 0;
    }
  }
  if (self->is_gop_valid) {
    CachedTag tag = { type, timestamp, g_bytes_ref (body) };

    g_array_append_val (self->gop, tag);
    self->gop_bytes += g_bytes_get_size (body);
    if (self->gop_bytes > self->settings.gop_cache_bytes) {
      /* too big to keep: joining players wait for the next keyframe */
      GST_DEBUG ("GOP passed %" G_GSIZE_FORMAT " bytes: not cached",
          self->settings.gop_cache_bytes);
      clear_gop_locked (self);
    }
  }
  send_to_players_locked (self, type, timestamp, body, FALSE, is_keyframe);
  g_mutex_unlock (&self->lock);
}

void
gst_rtmp_fanout_reset (GstRtmpFanout *self)
{
  guint i;

  g_mutex_lock (&self->lock);
  clear_gop_locked (self);
  for (i = 0; i < N_HEADERS; i++)
    g_clear_pointer (&self->headers[i], g_bytes_unref);
  /* the new stream starts at its first keyframe for everyone */
  for (i = 0; i < self->players->len && self->has_video; i++)
    ((Player *) self->players->pdata[i])->is_waiting_keyframe = TRUE;
  g_mutex_unlock (&self->lock);
}

void
gst_rtmp_fanout_end (GstRtmpFanout *self)
{
  guint i;

  g_mutex_lock (&self->lock);
  /* EOS, then stop (): the players hear it once */
  if (self->is_ended) {
    g_mutex_unlock (&self->lock);
    return;
  }
  self->is_ended = TRUE;
  for (i = 0; i < self->players->len; i++) {
    Player *player = self->players->pdata[i];

    gst_rtmp_server_client_send_status (player->client, "status",
        "NetStream.Play.UnpublishNotify", "The stream ended.", TRUE);
    gst_rtmp_server_client_send_status (player->client, "status",
        "NetStream.Play.Stop", "Stopped playing.", FALSE);
  }
  g_mutex_unlock (&self->lock);
}

guint
gst_rtmp_fanout_get_n_players (GstRtmpFanout *self)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = self->players->len;
  g_mutex_unlock (&self->lock);
  return n;
}

void
gst_rtmp_fanout_add_stats (GstRtmpFanout *self, GstStructure *s)
{
  GValue clients = G_VALUE_INIT;
  guint i;

  g_value_init (&clients, GST_TYPE_ARRAY);
  g_mutex_lock (&self->lock);
  for (i = 0; i < self->players->len; i++) {
    Player *player = self->players->pdata[i];
    GstStructure *client = gst_rtmp_server_client_dup_stats (player->client);
    GValue value = G_VALUE_INIT;

    gst_structure_set (client, "dropped-frames", G_TYPE_UINT64,
        player->dropped_frames, "dropped-bytes", G_TYPE_UINT64,
        player->dropped_bytes, "dropped-gops", G_TYPE_UINT64,
        player->dropped_gops, "paused", G_TYPE_BOOLEAN, player->is_paused,
        "waiting-keyframe", G_TYPE_BOOLEAN, player->is_waiting_keyframe, NULL);
    g_value_init (&value, GST_TYPE_STRUCTURE);
    g_value_take_boxed (&value, client);
    gst_value_array_append_and_take_value (&clients, &value);
  }
  gst_structure_set (s, "n-clients", G_TYPE_UINT, self->players->len,
      "clients-total", G_TYPE_UINT64, self->clients_total, "clients-refused",
      G_TYPE_UINT64, self->clients_refused, "clients-too-slow", G_TYPE_UINT64,
      self->clients_too_slow, "gop-cache-bytes-used", G_TYPE_UINT64,
      (guint64) (self->is_gop_valid ? self->gop_bytes : 0), "dropped-frames",
      G_TYPE_UINT64, self->dropped_frames, "dropped-bytes", G_TYPE_UINT64,
      self->dropped_bytes, NULL);
  g_mutex_unlock (&self->lock);
  gst_structure_take_value (s, "clients", &clients);
}
