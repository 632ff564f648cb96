/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Keeps an element's client connection up: builds each connection from the
 * element's settings, follows authentication requests, reconnects with
 * bounded back-off after an established connection drops, and reports its
 * state. Shared by rtmpsrc and rtmpsink. */

#ifndef __GST_RTMP_CLIENT_H__
#define __GST_RTMP_CLIENT_H__

#include "gstrtmpconnection.h"
#include "rtmpurl.h"

G_BEGIN_DECLS

typedef enum
{
  GST_RTMP_CLIENT_STATE_STOPPED,
  GST_RTMP_CLIENT_STATE_CONNECTING,
  GST_RTMP_CLIENT_STATE_HANDSHAKING,
  GST_RTMP_CLIENT_STATE_CONNECTED,
  GST_RTMP_CLIENT_STATE_PUBLISHING,
  GST_RTMP_CLIENT_STATE_PLAYING,
  GST_RTMP_CLIENT_STATE_RECONNECTING,
} GstRtmpClientState;

/* The nick used in the rtmp-state bus message */
const gchar *gst_rtmp_client_state_get_name (GstRtmpClientState state);

/* Everything a connection is built from; strings and values are copied by
 * gst_rtmp_client_new (). */
typedef struct
{
  const RtmpUrl *url; /* scheme, host, port, app, stream, user */
  RtmpHandshakeType handshake;
  guint timeout_s;      /* each phase; 0 = none */
  guint idle_timeout_s; /* no data for this long: error; 0 = none */
  guint32 chunk_size;
  const gchar *flash_ver;
  const gchar *swf_url;
  const gchar *page_url;
  /* nullable strict array: arguments appended to connect */
  const RtmpAmfValue *extra_connect_args;
  const gchar *const *fourcc_list;
  RtmpAuthmod authmod;
  const gchar *secure_token;
  GTlsCertificateFlags tls_validation_flags;
  const gchar *tls_ca_file;
  const gchar *tls_certificate_file;
  const gchar *tls_key_file;
  RtmpSessionIntent intent;
  RtmpPublishType publish_type;
  gdouble play_start_ms;
  gdouble play_duration_ms;
  guint32 buffer_length_ms;
  gint reconnect_attempts;  /* -1 = unlimited */
  guint reconnect_delay_ms; /* first delay; doubles up to 30 s */
  guint ping_interval_ms;
} GstRtmpClientSettings;

typedef struct _GstRtmpClient GstRtmpClient;

/* Called on an I/O thread, without the client's lock. */
typedef struct
{
  /* @reason: why (nullable), @attempt: reconnect attempt (0 = first
   * connection) */
  void (*state) (GstRtmpClient *client, GstRtmpClientState state,
      const gchar *reason, guint attempt, gpointer user_data);
  /* a session event of the current connection (see
   * GstRtmpConnectionCallbacks.event) */
  void (*event) (GstRtmpClient *client, GstRtmpConnection *connection,
      RtmpSessionEvent *event, gpointer user_data);
  /* final: the client gave up (no reconnect left), or the first
   * connection failed; the client is stopped */
  void (
      *error) (GstRtmpClient *client, const GError *error, gpointer user_data);
} GstRtmpClientCallbacks;

GstRtmpClient *gst_rtmp_client_new (const GstRtmpClientSettings *settings,
    const GstRtmpClientCallbacks *callbacks, gpointer user_data);
/* Stops (closes the connection, cancels a pending reconnect) and frees. No
 * callback runs after it returns. */
void gst_rtmp_client_free (GstRtmpClient *client);

void gst_rtmp_client_start (GstRtmpClient *client);

/* (transfer full, nullable): the current connection, NULL while none is
 * (re)connecting */
GstRtmpConnection *gst_rtmp_client_dup_connection (GstRtmpClient *client);

/* The element decided the connection must be dropped (an error status
 * mid-stream, a ReconnectRequest): reconnect when attempts remain (after
 * the back-off), else fail with @error. @tc_url (nullable): a new server
 * to connect to (Enhanced RTMP ReconnectRequest). */
void gst_rtmp_client_reconnect (GstRtmpClient *client, const GError *error,
    const gchar *tc_url);

/* Reconnects done so far */
guint gst_rtmp_client_get_reconnects (GstRtmpClient *client);
/* Monotonic time the current connection reached publishing/playing, 0 */
gint64 gst_rtmp_client_get_connected_time (GstRtmpClient *client);

/* The location with the password removed, for messages */
const gchar *gst_rtmp_client_get_display_url (GstRtmpClient *client);

G_END_DECLS

#endif /* __GST_RTMP_CLIENT_H__ */
