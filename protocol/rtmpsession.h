/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The RTMP session: one connection's protocol state machine in the client or
 * server role, sans I/O (nghttp2-style: bytes in, events out; calls in,
 * bytes out; time passed in). */

#ifndef __RTMP_SESSION_H__
#define __RTMP_SESSION_H__

#include <glib.h>
#include "rtmpamfvalue.h"
#include "rtmpauth.h"
#include "rtmpcommand.h"
#include "rtmperror.h"
#include "rtmphandshake.h"
#include "rtmplimits.h"
#include "rtmpmessage.h"
#include "rtmpoutput.h"

G_BEGIN_DECLS

typedef enum
{
  RTMP_SESSION_ROLE_CLIENT,
  RTMP_SESSION_ROLE_SERVER,
} RtmpSessionRole;

/* What a client session does once connected */
typedef enum
{
  RTMP_SESSION_INTENT_CONNECT, /* connect only */
  RTMP_SESSION_INTENT_PUBLISH, /* releaseStream, FCPublish, createStream, publish */
  RTMP_SESSION_INTENT_PLAY, /* createStream, SetBufferLength, play */
} RtmpSessionIntent;

typedef enum
{
  RTMP_PUBLISH_TYPE_LIVE,
  RTMP_PUBLISH_TYPE_RECORD,
  RTMP_PUBLISH_TYPE_APPEND,
} RtmpPublishType;

/* Stop commands sent when a publisher stops (rtmp2sink's stop-commands) */
typedef enum
{
  RTMP_STOP_COMMANDS_NONE = 0,
  RTMP_STOP_COMMANDS_FCUNPUBLISH = (1 << 0),
  RTMP_STOP_COMMANDS_CLOSE_STREAM = (1 << 1),
  RTMP_STOP_COMMANDS_DELETE_STREAM = (1 << 2),
} RtmpStopCommands;

/* play's start argument (RTMP 1.0 §7.2.2.1) */
#define RTMP_PLAY_START_ANY (-2.0)  /* live, else recorded from 0 */
#define RTMP_PLAY_START_LIVE (-1.0) /* live only */
#define RTMP_PLAY_DURATION_ALL (-1.0)

typedef struct
{
  /* connect's command object */
  const gchar *app;       /* required */
  const gchar *tc_url;    /* required */
  const gchar *flash_ver; /* nullable: "FMLE/3.0 (compatible; ...)" */
  const gchar *swf_url;   /* nullable */
  const gchar *page_url;  /* nullable */
  /* Enhanced RTMP: FourCCs for fourCcList, videoFourCcInfoMap,
   * audioFourCcInfoMap and capsEx; NULL or empty = none advertised */
  const gchar *const *fourcc_list;
  /* (nullable) an AMF object whose fields go into the command object, and
   * (nullable) AMF values appended after it as further arguments */
  const RtmpAmfValue *extra_connect_fields;
  const RtmpAmfValue *const *extra_connect_args;
  guint n_extra_connect_args;

  RtmpSessionIntent intent;
  const gchar *stream_name; /* publish/play name, query included */
  RtmpPublishType publish_type;
  gdouble play_start_ms;    /* RTMP_PLAY_START_* or a position */
  gdouble play_duration_ms; /* RTMP_PLAY_DURATION_ALL or a length */
  guint32 buffer_length_ms; /* SetBufferLength sent before play */

  /* Authentication: how to answer the server's challenges. The state
   * carries over between the connections of one logical connect. */
  RtmpAuthState *auth;       /* (nullable) borrowed */
  const gchar *secure_token; /* (nullable) TEA key for secureToken */
} RtmpClientConfig;

/* Random bytes a session needs: its handshake's and one authentication
 * step's */
#define RTMP_SESSION_RANDOM_SIZE \
  (RTMP_HANDSHAKE_RANDOM_SIZE + RTMP_AUTH_RANDOM_SIZE)

typedef struct
{
  RtmpSessionRole role;
  RtmpHandshakeType handshake; /* client: what to send */
  /* RTMP_SESSION_RANDOM_SIZE random bytes (borrowed during _new only) */
  const guint8 *random;
  guint32 epoch_ms;         /* handshake time field */
  guint64 now_us;           /* creation time: the handshake's deadline
                                 * starts here */
  guint32 phase_timeout_ms; /* each phase (handshake, connect,
                                 * createStream, publish/play answer); 0 =
                                 * none */
  guint32 idle_timeout_ms;  /* no bytes received for this long: error;
                                 * 0 = none */
  guint32 ping_interval_ms; /* send PingRequest this often (RTT);
                                 * 0 = never */
  guint32 chunk_size;       /* outgoing chunk size, announced after the
                                 * handshake; 0 = 128 (none sent) */
  guint32 window_ack_size;  /* server: Window Ack Size and Set Peer
                                 * Bandwidth sent on connect; client: sent
                                 * when the server sets its bandwidth;
                                 * 0 = 2500000 */
  RtmpLimits limits;
  RtmpClientConfig client; /* client role only; strings copied */
  RtmpLogFunc log_func;
  gpointer log_user_data;
  GLogLevelFlags log_level; /* levels passed to log_func; building AMF
                                 * dumps is skipped unless DEBUG is in */
} RtmpSessionConfig;

void rtmp_session_config_init (RtmpSessionConfig *config, RtmpSessionRole role);

typedef enum
{
  RTMP_SESSION_EVENT_HANDSHAKE_COMPLETE,
  /* client: connect answered with NetConnection.Connect.Success
   * (info = the information object) */
  RTMP_SESSION_EVENT_CONNECTED,
  /* client: createStream answered (stream_id) */
  RTMP_SESSION_EVENT_STREAM_CREATED,
  /* client: NetStream.Publish.Start / first NetStream.Play.Start */
  RTMP_SESSION_EVENT_PUBLISHING,
  RTMP_SESSION_EVENT_PLAYING,
  /* client: the server rejected connect for authentication and the session
   * computed the next step: reconnect with the same config (the auth state
   * was updated); not an error */
  RTMP_SESSION_EVENT_AUTH_RETRY,
  /* onStatus (both roles: code, level, description, info, stream_id) */
  RTMP_SESSION_EVENT_STATUS,
  /* user control Stream Begin/EOF/Dry/IsRecorded/BufferEmpty/BufferReady
   * (control_type, stream_id) */
  RTMP_SESSION_EVENT_STREAM_CONTROL,
  /* audio, video or data message, aggregates already split (message) */
  RTMP_SESSION_EVENT_MEDIA,
  /* a command the session leaves to its user (command, stream_id) */
  RTMP_SESSION_EVENT_COMMAND,
  /* a PingResponse matched our PingRequest (rtt_us) */
  RTMP_SESSION_EVENT_RTT,
  /* server: connect (name = app, info = command object); answer with
   * rtmp_session_accept_connect () or rtmp_session_reject () */
  RTMP_SESSION_EVENT_CONNECT_REQUEST,
  /* server: publish (stream_id, name, publish_type); answer with
   * rtmp_session_accept_publish () or rtmp_session_reject_stream () */
  RTMP_SESSION_EVENT_PUBLISH_REQUEST,
  /* server: play (stream_id, name, start_ms, duration_ms, reset); answer
   * with rtmp_session_accept_play () or rtmp_session_reject_stream () */
  RTMP_SESSION_EVENT_PLAY_REQUEST,
  /* server: pause (stream_id, pause, position_ms); answered already */
  RTMP_SESSION_EVENT_PAUSE_REQUEST,
  /* server: seek (stream_id, position_ms); answer with send_status */
  RTMP_SESSION_EVENT_SEEK_REQUEST,
  /* server: the peer ended a stream: FCUnpublish, closeStream or
   * deleteStream (stream_id, name = the command) */
  RTMP_SESSION_EVENT_STREAM_CLOSED,
} RtmpSessionEventType;

typedef struct
{
  RtmpSessionEventType type;
  guint32 stream_id;
  /* owned by the event, freed by rtmp_session_event_clear () */
  RtmpMessage *message; /* MEDIA */
  RtmpCommand *command; /* STATUS, COMMAND, *_REQUEST */
  /* borrowed from command (valid until clear) */
  const RtmpAmfValue *info;
  const gchar *code;        /* STATUS */
  const gchar *level;       /* STATUS: "status", "warning", "error" */
  const gchar *description; /* STATUS, nullable */
  const gchar *name;        /* CONNECT_REQUEST app; stream name */
  RtmpPublishType publish_type;
  guint16 control_type; /* STREAM_CONTROL: RtmpUserControlType */
  gdouble start_ms, duration_ms, position_ms;
  gboolean reset, pause;
  guint64 rtt_us;
} RtmpSessionEvent;

void rtmp_session_event_clear (RtmpSessionEvent *event);

typedef struct _RtmpSession RtmpSession;

/* A client queues its handshake at once; the rest follows as the server
 * answers. */
RtmpSession *rtmp_session_new (const RtmpSessionConfig *config);
void rtmp_session_free (RtmpSession *session);

/* Consumes all of @data. FALSE (error set) when the peer broke the protocol,
 * refused us, or a limit was hit; the session is then dead. */
gboolean rtmp_session_receive (RtmpSession *session, const guint8 *data,
    gsize len, guint64 now_us, GError **error);
/* The peer closed its end: an error unless we were done (publisher stopped,
 * EOF expected); mid-message closes say so. */
gboolean rtmp_session_receive_eof (RtmpSession *session, GError **error);

/* TRUE and fills @event (clear it after use) while events are pending */
gboolean rtmp_session_next_event (RtmpSession *session,
    RtmpSessionEvent *event);

/* Bytes to write: see rtmp_output_queue_peek/consume */
guint rtmp_session_peek_output (RtmpSession *session, RtmpOutputVector *vectors,
    guint n_vectors);
void rtmp_session_consume_output (RtmpSession *session, gsize n_bytes);
gsize rtmp_session_get_output_size (const RtmpSession *session);
/* Total bytes ever queued / written; a caller waiting for "everything up to
 * now is on the wire" records the queued total and waits for the written
 * total to reach it. */
guint64 rtmp_session_get_output_queued_total (const RtmpSession *session);
guint64 rtmp_session_get_output_written_total (const RtmpSession *session);

/* The next time (µs, caller's clock) rtmp_session_handle_deadline must be
 * called, or G_MAXUINT64 for none. */
guint64 rtmp_session_next_deadline (const RtmpSession *session);
/* FALSE (RTMP_ERROR_TIMEOUT naming the phase) when a phase deadline
 * passed; sends pings when due. */
gboolean rtmp_session_handle_deadline (RtmpSession *session, guint64 now_us,
    GError **error);

/* TRUE once the session has sent its last message (stop commands, a
 * rejection) and the connection should be closed when the output is
 * written. */
gboolean rtmp_session_is_closing (const RtmpSession *session);

/* --- both roles --- */

/* Sends @message; message->stream_id and csid are used as they are. */
void rtmp_session_send_message (RtmpSession *session,
    const RtmpMessage *message);
/* Audio/video/data on @stream_id, without copying @payload */
void rtmp_session_send_media (RtmpSession *session, guint32 stream_id,
    guint8 type, guint32 timestamp, GBytes *payload);
void rtmp_session_send_command (RtmpSession *session, guint32 stream_id,
    const RtmpCommand *command);
/* onStatus(0, null, {level, code, description}) on @stream_id */
void rtmp_session_send_status (RtmpSession *session, guint32 stream_id,
    const gchar *level, const gchar *code, const gchar *description);
void rtmp_session_send_user_control (RtmpSession *session,
    const RtmpUserControl *event);
/* Announces and uses a new outgoing chunk size */
void rtmp_session_set_chunk_size (RtmpSession *session, guint32 chunk_size);
guint32 rtmp_session_get_chunk_size (const RtmpSession *session);
guint32 rtmp_session_get_peer_chunk_size (const RtmpSession *session);

/* --- client role --- */

/* The stream id createStream returned (0 before) */
guint32 rtmp_session_get_stream_id (const RtmpSession *session);
gboolean rtmp_session_is_publishing (const RtmpSession *session);
gboolean rtmp_session_is_playing (const RtmpSession *session);
/* Publisher: the stop commands, then the session is closing */
void rtmp_session_stop (RtmpSession *session, RtmpStopCommands commands);
/* Player: seek / pause the recorded stream (§7.2.2.7, §7.2.2.8) */
void rtmp_session_seek (RtmpSession *session, gdouble position_ms);
void rtmp_session_pause (RtmpSession *session, gboolean pause,
    gdouble position_ms);

/* --- server role --- */

/* Answers connect with Window Ack Size, Set Peer Bandwidth, the chunk size
 * and _result NetConnection.Connect.Success; @extra_info (nullable): fields
 * added to the information object (e.g. a secureToken challenge). */
void rtmp_session_accept_connect (RtmpSession *session,
    const RtmpAmfValue *extra_info, guint64 now_us);
/* _error with NetConnection.Connect.Rejected and @description; the session
 * is closing */
void rtmp_session_reject_connect (RtmpSession *session,
    const gchar *description);
void rtmp_session_accept_publish (RtmpSession *session, guint32 stream_id);
/* Stream Begin (+ StreamIsRecorded), Play.Reset, Play.Start and
 * |RtmpSampleAccess */
void rtmp_session_accept_play (RtmpSession *session, guint32 stream_id,
    gboolean is_recorded);
/* onStatus error @code (e.g. NetStream.Publish.BadName,
 * NetStream.Play.StreamNotFound); @close: the session is closing */
void rtmp_session_reject_stream (RtmpSession *session, guint32 stream_id,
    const gchar *code, const gchar *description, gboolean close);

/* --- statistics --- */

typedef struct
{
  guint64 in_bytes, out_bytes;
  guint64 in_messages, out_messages;
  guint64 in_bytes_audio, in_bytes_video, in_bytes_data;
  guint64 out_bytes_audio, out_bytes_video, out_bytes_data;
  guint64 in_messages_audio, in_messages_video, in_messages_data;
  guint64 out_messages_audio, out_messages_video, out_messages_data;
  guint64 rtt_us; /* last measured, 0 when never */
  guint32 in_chunk_size, out_chunk_size;
  guint32 in_window_ack_size, out_window_ack_size;
  guint64 in_acks; /* acknowledgements received */
  /* the sequence number of the last Acknowledgement received (our bytes
   * the peer confirmed) and sent (the peer's bytes we confirmed) */
  guint32 out_bytes_acked, in_bytes_acked;
} RtmpSessionStats;

void rtmp_session_get_stats (const RtmpSession *session,
    RtmpSessionStats *stats);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtmpSession, rtmp_session_free)

G_END_DECLS

#endif /* __RTMP_SESSION_H__ */
