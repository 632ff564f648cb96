/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* RTMP messages: the message struct, protocol control and user control
 * messages, and aggregates. AMF-encoded messages are in rtmpcommand.h. */

#ifndef __RTMP_MESSAGE_H__
#define __RTMP_MESSAGE_H__

#include <glib.h>
#include "rtmperror.h"

G_BEGIN_DECLS

/* RTMP 1.0 §5.4 (protocol control), §6.2 (user control), §7.1 (others) */
typedef enum
{
  RTMP_MESSAGE_SET_CHUNK_SIZE = 1,
  RTMP_MESSAGE_ABORT = 2,
  RTMP_MESSAGE_ACKNOWLEDGEMENT = 3,
  RTMP_MESSAGE_USER_CONTROL = 4,
  RTMP_MESSAGE_WINDOW_ACK_SIZE = 5,
  RTMP_MESSAGE_SET_PEER_BANDWIDTH = 6,
  RTMP_MESSAGE_AUDIO = 8,
  RTMP_MESSAGE_VIDEO = 9,
  RTMP_MESSAGE_DATA_AMF3 = 15,
  RTMP_MESSAGE_SHARED_OBJECT_AMF3 = 16,
  RTMP_MESSAGE_COMMAND_AMF3 = 17,
  RTMP_MESSAGE_DATA_AMF0 = 18,
  RTMP_MESSAGE_SHARED_OBJECT_AMF0 = 19,
  RTMP_MESSAGE_COMMAND_AMF0 = 20,
  RTMP_MESSAGE_AGGREGATE = 22,
} RtmpMessageType;

/* Chunk stream ids this implementation sends on (RTMP 1.0 §5.3.1.1:
 * 2 is reserved for protocol control messages). */
#define RTMP_CSID_CONTROL 2
#define RTMP_CSID_COMMAND 3
#define RTMP_CSID_STREAM_COMMAND 5
#define RTMP_CSID_VIDEO 6
#define RTMP_CSID_AUDIO 7
#define RTMP_CSID_DATA 8

typedef struct
{
  guint8 type;       /* RtmpMessageType; other values are kept as they came */
  guint32 timestamp; /* milliseconds, wraps at 2^32 */
  guint32 stream_id; /* message stream id */
  guint32 csid;      /* chunk stream it came on, or goes out on */
  GBytes *payload;   /* owned */
} RtmpMessage;

/* @payload (transfer none); @csid 0 picks rtmp_message_default_csid () */
RtmpMessage *rtmp_message_new (guint8 type, guint32 timestamp,
    guint32 stream_id, guint32 csid, GBytes *payload);
/* @payload (transfer full) */
RtmpMessage *rtmp_message_new_take (guint8 type, guint32 timestamp,
    guint32 stream_id, guint32 csid, GBytes *payload);
void rtmp_message_free (RtmpMessage *message);
RtmpMessage *rtmp_message_copy (const RtmpMessage *message);
const gchar *rtmp_message_type_get_name (guint8 type);
guint32 rtmp_message_default_csid (guint8 type, guint32 stream_id);
gboolean rtmp_message_type_is_media (guint8 type);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtmpMessage, rtmp_message_free)

/* --- protocol control messages (§5.4), always stream 0, csid 2 --- */

typedef enum
{
  RTMP_PEER_BANDWIDTH_HARD = 0,
  RTMP_PEER_BANDWIDTH_SOFT = 1,
  RTMP_PEER_BANDWIDTH_DYNAMIC = 2,
} RtmpPeerBandwidthLimit;

RtmpMessage *rtmp_message_new_set_chunk_size (guint32 chunk_size);
RtmpMessage *rtmp_message_new_abort (guint32 csid);
RtmpMessage *rtmp_message_new_acknowledgement (guint32 sequence_number);
RtmpMessage *rtmp_message_new_window_ack_size (guint32 window_bytes);
RtmpMessage *rtmp_message_new_set_peer_bandwidth (guint32 window_bytes,
    RtmpPeerBandwidthLimit limit);

/* Set Chunk Size, Abort, Acknowledgement, Window Ack Size: the 32-bit value.
 * Set Chunk Size has bit 31 cleared and 0 refused (§5.4.1). */
gboolean rtmp_message_parse_u32 (const RtmpMessage *message, guint32 *value,
    GError **error);
gboolean rtmp_message_parse_set_peer_bandwidth (const RtmpMessage *message,
    guint32 *window_bytes, RtmpPeerBandwidthLimit *limit, GError **error);

/* --- user control messages (§6.2 / §7.1.7) --- */

typedef enum
{
  RTMP_USER_CONTROL_STREAM_BEGIN = 0,
  RTMP_USER_CONTROL_STREAM_EOF = 1,
  RTMP_USER_CONTROL_STREAM_DRY = 2,
  RTMP_USER_CONTROL_SET_BUFFER_LENGTH = 3,
  RTMP_USER_CONTROL_STREAM_IS_RECORDED = 4,
  RTMP_USER_CONTROL_PING_REQUEST = 6,
  RTMP_USER_CONTROL_PING_RESPONSE = 7,
  /* not in the spec, sent by Flash Media Server and others */
  RTMP_USER_CONTROL_SWF_VERIFY_REQUEST = 26,
  RTMP_USER_CONTROL_SWF_VERIFY_RESPONSE = 27,
  RTMP_USER_CONTROL_BUFFER_EMPTY = 31,
  RTMP_USER_CONTROL_BUFFER_READY = 32,
} RtmpUserControlType;

typedef struct
{
  guint16 type; /* RtmpUserControlType, or an unknown value */
  /* stream id, or the timestamp of a ping */
  guint32 value;
  /* SET_BUFFER_LENGTH: buffer length in ms */
  guint32 buffer_length_ms;
} RtmpUserControl;

RtmpMessage *rtmp_message_new_user_control (const RtmpUserControl *event);
/* Unknown event types parse (value = first 4 bytes when present); a payload
 * too short for a known type is an error. */
gboolean rtmp_user_control_parse (const RtmpMessage *message,
    RtmpUserControl *event, GError **error);
const gchar *rtmp_user_control_type_get_name (guint16 type);

/* --- aggregate messages (§7.1.6) --- */

/* Splits a type 22 message into its sub-messages, appended to @messages
 * (RtmpMessage *, whose free function must be rtmp_message_free: on error
 * the messages appended so far are removed). Payloads are slices of the aggregate's payload (no copy);
 * timestamps are rebased onto the aggregate's timestamp, stream ids are the
 * aggregate's. */
gboolean rtmp_aggregate_split (const RtmpMessage *aggregate,
    GPtrArray *messages, GError **error);

G_END_DECLS

#endif /* __RTMP_MESSAGE_H__ */
