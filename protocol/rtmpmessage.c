/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* RTMP messages: the message struct, protocol control and user control
 * messages, and aggregates. */

#include "rtmpmessage.h"
#include "rtmpbytes.h"

RtmpMessage *
rtmp_message_new_take (guint8 type, guint32 timestamp, guint32 stream_id,
    guint32 csid, GBytes *payload)
{
  RtmpMessage *message;

  g_return_val_if_fail (payload != NULL, NULL);

  message = g_new0 (RtmpMessage, 1);
  message->type = type;
  message->timestamp = timestamp;
  message->stream_id = stream_id;
  message->csid = csid ? csid : rtmp_message_default_csid (type, stream_id);
  message->payload = payload;
  return message;
}

RtmpMessage *
rtmp_message_new (guint8 type, guint32 timestamp, guint32 stream_id,
    guint32 csid, GBytes *payload)
{
  g_return_val_if_fail (payload != NULL, NULL);

  return rtmp_message_new_take (type, timestamp, stream_id, csid,
      g_bytes_ref (payload));
}

void
rtmp_message_free (RtmpMessage *message)
{
  if (message == NULL)
    return;
  g_bytes_unref (message->payload);
  g_free (message);
}

RtmpMessage *
rtmp_message_copy (const RtmpMessage *message)
{
  return rtmp_message_new (message->type, message->timestamp,
      message->stream_id, message->csid, message->payload);
}

const gchar *
rtmp_message_type_get_name (guint8 type)
{
  switch (type) {
    case RTMP_MESSAGE_SET_CHUNK_SIZE:
      return "set-chunk-size";
    case RTMP_MESSAGE_ABORT:
      return "abort";
    case RTMP_MESSAGE_ACKNOWLEDGEMENT:
      return "acknowledgement";
    case RTMP_MESSAGE_USER_CONTROL:
      return "user-control";
    case RTMP_MESSAGE_WINDOW_ACK_SIZE:
      return "window-ack-size";
    case RTMP_MESSAGE_SET_PEER_BANDWIDTH:
      return "set-peer-bandwidth";
    case RTMP_MESSAGE_AUDIO:
      return "audio";
    case RTMP_MESSAGE_VIDEO:
      return "video";
    case RTMP_MESSAGE_DATA_AMF3:
      return "data-amf3";
    case RTMP_MESSAGE_SHARED_OBJECT_AMF3:
      return "shared-object-amf3";
    case RTMP_MESSAGE_COMMAND_AMF3:
      return "command-amf3";
    case RTMP_MESSAGE_DATA_AMF0:
      return "data-amf0";
    case RTMP_MESSAGE_SHARED_OBJECT_AMF0:
      return "shared-object-amf0";
    case RTMP_MESSAGE_COMMAND_AMF0:
      return "command-amf0";
    case RTMP_MESSAGE_AGGREGATE:
      return "aggregate";
  }
  return "unknown";
}

guint32
rtmp_message_default_csid (guint8 type, guint32 stream_id)
{
  switch (type) {
    case RTMP_MESSAGE_SET_CHUNK_SIZE:
    case RTMP_MESSAGE_ABORT:
    case RTMP_MESSAGE_ACKNOWLEDGEMENT:
    case RTMP_MESSAGE_USER_CONTROL:
    case RTMP_MESSAGE_WINDOW_ACK_SIZE:
    case RTMP_MESSAGE_SET_PEER_BANDWIDTH:
      return RTMP_CSID_CONTROL;
    case RTMP_MESSAGE_AUDIO:
      return RTMP_CSID_AUDIO;
    case RTMP_MESSAGE_VIDEO:
      return RTMP_CSID_VIDEO;
    case RTMP_MESSAGE_DATA_AMF0:
    case RTMP_MESSAGE_DATA_AMF3:
    case RTMP_MESSAGE_AGGREGATE:
      return RTMP_CSID_DATA;
    default:
      return stream_id == 0 ? RTMP_CSID_COMMAND : RTMP_CSID_STREAM_COMMAND;
  }
}

gboolean
rtmp_message_type_is_media (guint8 type)
{
  return type == RTMP_MESSAGE_AUDIO || type == RTMP_MESSAGE_VIDEO
      || type == RTMP_MESSAGE_DATA_AMF0 || type == RTMP_MESSAGE_DATA_AMF3;
}

static RtmpMessage *
new_control (guint8 type, const guint8 *data, gsize len)
{
  return rtmp_message_new_take (type, 0, 0, RTMP_CSID_CONTROL,
      g_bytes_new (data, len));
}

static RtmpMessage *
new_control_u32 (guint8 type, guint32 value)
{
  guint8 data[4];

  return new_control (type, data, rtmp_bytes_put_u32_be (data, value));
}

RtmpMessage *
rtmp_message_new_set_chunk_size (guint32 chunk_size)
{
  g_return_val_if_fail (chunk_size >= 1 && chunk_size <= 0x7FFFFFFF, NULL);

  return new_control_u32 (RTMP_MESSAGE_SET_CHUNK_SIZE, chunk_size);
}

RtmpMessage *
rtmp_message_new_abort (guint32 csid)
{
  return new_control_u32 (RTMP_MESSAGE_ABORT, csid);
}

RtmpMessage *
rtmp_message_new_acknowledgement (guint32 sequence_number)
{
  return new_control_u32 (RTMP_MESSAGE_ACKNOWLEDGEMENT, sequence_number);
}

RtmpMessage *
rtmp_message_new_window_ack_size (guint32 window_bytes)
{
  return new_control_u32 (RTMP_MESSAGE_WINDOW_ACK_SIZE, window_bytes);
}

RtmpMessage *
rtmp_message_new_set_peer_bandwidth (guint32 window_bytes,
    RtmpPeerBandwidthLimit limit)
{
  guint8 data[5];

  rtmp_bytes_put_u32_be (data, window_bytes);
  data[4] = limit;
  return new_control (RTMP_MESSAGE_SET_PEER_BANDWIDTH, data, sizeof (data));
}

static gboolean
check_control (const RtmpMessage *message, RtmpBytesReader *r, gsize need,
    GError **error)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (message->payload, &len);

  if (len < need) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
        "%s message: payload of %" G_GSIZE_FORMAT
        " bytes, need %" G_GSIZE_FORMAT,
        rtmp_message_type_get_name (message->type), len, need);
    return FALSE;
  }
  rtmp_bytes_reader_init (r, data, len);
  return TRUE;
}

gboolean
rtmp_message_parse_u32 (const RtmpMessage *message, guint32 *value,
    GError **error)
{
  RtmpBytesReader r;

  if (!check_control (message, &r, 4, error))
    return FALSE;
  rtmp_bytes_read_u32_be (&r, value);

  if (message->type == RTMP_MESSAGE_SET_CHUNK_SIZE) {
    /* §5.4.1: bit 31 must be zero; the rest is the size, at least 1. Some
     * encoders set bit 31 by mistake, so it is masked rather than refused. */
    *value &= 0x7FFFFFFF;
    if (*value == 0) {
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
          "set-chunk-size message: chunk size 0");
      return FALSE;
    }
  }
  return TRUE;
}

gboolean
rtmp_message_parse_set_peer_bandwidth (const RtmpMessage *message,
    guint32 *window_bytes, RtmpPeerBandwidthLimit *limit, GError **error)
{
  RtmpBytesReader r;
  guint8 limit_type;

  if (!check_control (message, &r, 5, error))
    return FALSE;
  rtmp_bytes_read_u32_be (&r, window_bytes);
  rtmp_bytes_read_u8 (&r, &limit_type);
  if (limit_type > RTMP_PEER_BANDWIDTH_DYNAMIC) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
        "set-peer-bandwidth message: limit type %u", limit_type);
    return FALSE;
  }
  *limit = limit_type;
  return TRUE;
}

RtmpMessage *
rtmp_message_new_user_control (const RtmpUserControl *event)
{
  guint8 data[10];
  gsize len = 0;

  len += rtmp_bytes_put_u16_be (data, event->type);
  len += rtmp_bytes_put_u32_be (data + len, event->value);
  if (event->type == RTMP_USER_CONTROL_SET_BUFFER_LENGTH)
    len += rtmp_bytes_put_u32_be (data + len, event->buffer_length_ms);
  return new_control (RTMP_MESSAGE_USER_CONTROL, data, len);
}

gboolean
rtmp_user_control_parse (const RtmpMessage *message, RtmpUserControl *event,
    GError **error)
{
  RtmpBytesReader r;
  gsize need;

  if (!check_control (message, &r, 2, error))
    return FALSE;

  memset (event, 0, sizeof (*event));
  rtmp_bytes_read_u16_be (&r, &event->type);

  switch (event->type) {
    case RTMP_USER_CONTROL_SET_BUFFER_LENGTH:
      need = 8;
      break;
    case RTMP_USER_CONTROL_STREAM_BEGIN:
    case RTMP_USER_CONTROL_STREAM_EOF:
    case RTMP_USER_CONTROL_STREAM_DRY:
    case RTMP_USER_CONTROL_STREAM_IS_RECORDED:
    case RTMP_USER_CONTROL_PING_REQUEST:
    case RTMP_USER_CONTROL_PING_RESPONSE:
    case RTMP_USER_CONTROL_BUFFER_EMPTY:
    case RTMP_USER_CONTROL_BUFFER_READY:
      need = 4;
      break;
    default:
      /* unknown (and SWF verification, whose body differs in size): keep
       * the first 4 bytes when there are any */
      need = 0;
      break;
  }

  if (rtmp_bytes_reader_remaining (&r) < need) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
        "user control %s: %" G_GSIZE_FORMAT
        " bytes of event data, need %" G_GSIZE_FORMAT,
        rtmp_user_control_type_get_name (event->type),
        rtmp_bytes_reader_remaining (&r), need);
    return FALSE;
  }

  rtmp_bytes_read_u32_be (&r, &event->value);
  if (event->type == RTMP_USER_CONTROL_SET_BUFFER_LENGTH)
    rtmp_bytes_read_u32_be (&r, &event->buffer_length_ms);
  return TRUE;
}

const gchar *
rtmp_user_control_type_get_name (guint16 type)
{
  switch (type) {
    case RTMP_USER_CONTROL_STREAM_BEGIN:
      return "stream-begin";
    case RTMP_USER_CONTROL_STREAM_EOF:
      return "stream-eof";
    case RTMP_USER_CONTROL_STREAM_DRY:
      return "stream-dry";
    case RTMP_USER_CONTROL_SET_BUFFER_LENGTH:
      return "set-buffer-length";
    case RTMP_USER_CONTROL_STREAM_IS_RECORDED:
      return "stream-is-recorded";
    case RTMP_USER_CONTROL_PING_REQUEST:
      return "ping-request";
    case RTMP_USER_CONTROL_PING_RESPONSE:
      return "ping-response";
    case RTMP_USER_CONTROL_SWF_VERIFY_REQUEST:
      return "swf-verify-request";
    case RTMP_USER_CONTROL_SWF_VERIFY_RESPONSE:
      return "swf-verify-response";
    case RTMP_USER_CONTROL_BUFFER_EMPTY:
      return "buffer-empty";
    case RTMP_USER_CONTROL_BUFFER_READY:
      return "buffer-ready";
  }
  return "unknown";
}

/* §7.1.6: each sub-message is an 11-byte header (type, 24-bit size, 24-bit
 * timestamp + 8 high bits, 24-bit stream id), the body and a 4-byte back
 * pointer (11 + size). */
#define AGGREGATE_HEADER_LEN 11
#define AGGREGATE_BACK_POINTER_LEN 4

gboolean
rtmp_aggregate_split (const RtmpMessage *aggregate, GPtrArray *messages,
    GError **error)
{
  RtmpBytesReader r;
  gsize len;
  const guint8 *data = g_bytes_get_data (aggregate->payload, &len);
  guint first_new = messages->len;
  guint32 first_timestamp = 0;
  gboolean have_first = FALSE;
  guint32 size = 0, back_pointer = 0;
  gsize header_start = 0;

  rtmp_bytes_reader_init (&r, data, len);

  while (rtmp_bytes_reader_remaining (&r) > 0) {
    guint8 type, ts_high;
    guint32 ts_low, sub_stream_id, timestamp;
    gsize offset;
    RtmpMessage *sub;

    header_start = r.pos;
    if (!rtmp_bytes_read_u8 (&r, &type) || !rtmp_bytes_read_u24_be (&r, &size)
        || !rtmp_bytes_read_u24_be (&r, &ts_low)
        || !rtmp_bytes_read_u8 (&r, &ts_high)
        || !rtmp_bytes_read_u24_be (&r, &sub_stream_id))
      goto truncated_header;

    offset = r.pos;
    if (!rtmp_bytes_skip (&r, size))
      goto truncated_body;

    /* The back pointer is required by §7.1.6, but some servers leave it off
     * the last sub-message (seen from Wowza); accept its absence there. */
    if (rtmp_bytes_reader_remaining (&r) > 0) {
      if (!rtmp_bytes_read_u32_be (&r, &back_pointer))
        goto truncated_back_pointer;
      if (back_pointer != AGGREGATE_HEADER_LEN + size)
        goto bad_back_pointer;
    }

    timestamp = ((guint32) ts_high << 24) | ts_low;
    if (!have_first) {
      first_timestamp = timestamp;
      have_first = TRUE;
    }

    sub = rtmp_message_new_take (type,
        aggregate->timestamp + (timestamp - first_timestamp),
        aggregate->stream_id, 0,
        g_bytes_new_from_bytes (aggregate->payload, offset, size));
    g_ptr_array_add (messages, sub);
  }
  return TRUE;

  /* ERRORS */
truncated_header : {
  g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
      "aggregate message: sub-message header truncated at offset "
      "%" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT,
      header_start, len);
  goto fail;
}
truncated_body : {
  g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
      "aggregate message: sub-message body runs past the end (%" G_GSIZE_FORMAT
      " bytes left at offset %" G_GSIZE_FORMAT ")",
      rtmp_bytes_reader_remaining (&r), r.pos);
  goto fail;
}
truncated_back_pointer : {
  g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
      "aggregate message: back pointer truncated at offset %" G_GSIZE_FORMAT,
      r.pos);
  goto fail;
}
bad_back_pointer : {
  g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
      "aggregate message: back pointer %u does not match sub-message "
      "size %u at offset %" G_GSIZE_FORMAT,
      back_pointer, AGGREGATE_HEADER_LEN + size,
      r.pos - AGGREGATE_BACK_POINTER_LEN);
  goto fail;
}
fail:
  g_ptr_array_remove_range (messages, first_new, messages->len - first_new);
  return FALSE;
}
