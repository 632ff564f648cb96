/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests for RTMP messages: protocol control messages, user control events
 * and aggregate messages. */

#include <gst/check/gstcheck.h>
#include <string.h>

#include "rtmpmessage.h"

static void
check_payload (guint line, const RtmpMessage *m, const guint8 *expect,
    gsize len)
{
  gsize got_len;
  const guint8 *got = g_bytes_get_data (m->payload, &got_len);

  fail_unless (got_len == len,
      "line %u: %" G_GSIZE_FORMAT " payload bytes, "
      "expected %" G_GSIZE_FORMAT,
      line, got_len, len);
  fail_unless (len == 0 || memcmp (got, expect, len) == 0,
      "line %u: payload differs", line);
}

#define CHECK_PAYLOAD(m, v) check_payload (__LINE__, m, v, sizeof (v))

static RtmpMessage *
message_from (guint8 type, const guint8 *data, gsize len)
{
  return rtmp_message_new_take (type, 0, 0, 0, g_bytes_new (data, len));
}

/* --- the message struct --- */

GST_START_TEST (test_new_copy)
{
  g_autoptr (GBytes) payload = g_bytes_new_static ("abc", 3);
  g_autoptr (RtmpMessage) m
      = rtmp_message_new (RTMP_MESSAGE_VIDEO, 7, 1, 0, payload);
  g_autoptr (RtmpMessage) copy = rtmp_message_copy (m);

  fail_unless_equals_int (m->type, RTMP_MESSAGE_VIDEO);
  fail_unless_equals_int (m->timestamp, 7);
  fail_unless_equals_int (m->stream_id, 1);
  /* csid 0 picks the default */
  fail_unless_equals_int (m->csid, RTMP_CSID_VIDEO);
  /* the payload is shared, not copied */
  fail_unless (m->payload == payload);
  fail_unless (copy->payload == payload);
  fail_unless_equals_int (copy->csid, RTMP_CSID_VIDEO);
  fail_unless_equals_int (copy->timestamp, 7);
}

GST_END_TEST;

GST_START_TEST (test_default_csid)
{
  fail_unless_equals_int (
      rtmp_message_default_csid (RTMP_MESSAGE_SET_CHUNK_SIZE, 0),
      RTMP_CSID_CONTROL);
  fail_unless_equals_int (
      rtmp_message_default_csid (RTMP_MESSAGE_USER_CONTROL, 0),
      RTMP_CSID_CONTROL);
  fail_unless_equals_int (rtmp_message_default_csid (RTMP_MESSAGE_AUDIO, 1),
      RTMP_CSID_AUDIO);
  fail_unless_equals_int (rtmp_message_default_csid (RTMP_MESSAGE_VIDEO, 1),
      RTMP_CSID_VIDEO);
  fail_unless_equals_int (rtmp_message_default_csid (RTMP_MESSAGE_DATA_AMF0, 1),
      RTMP_CSID_DATA);
  fail_unless_equals_int (rtmp_message_default_csid (RTMP_MESSAGE_AGGREGATE, 1),
      RTMP_CSID_DATA);
  fail_unless_equals_int (
      rtmp_message_default_csid (RTMP_MESSAGE_COMMAND_AMF0, 0),
      RTMP_CSID_COMMAND);
  fail_unless_equals_int (
      rtmp_message_default_csid (RTMP_MESSAGE_COMMAND_AMF0, 1),
      RTMP_CSID_STREAM_COMMAND);

  fail_unless (rtmp_message_type_is_media (RTMP_MESSAGE_AUDIO));
  fail_unless (rtmp_message_type_is_media (RTMP_MESSAGE_DATA_AMF3));
  fail_unless (!rtmp_message_type_is_media (RTMP_MESSAGE_COMMAND_AMF0));
  fail_unless (!rtmp_message_type_is_media (RTMP_MESSAGE_AGGREGATE));
  fail_unless_equals_string (rtmp_message_type_get_name (RTMP_MESSAGE_VIDEO),
      "video");
  fail_unless_equals_string (rtmp_message_type_get_name (200), "unknown");
}

GST_END_TEST;

/* --- protocol control messages (§5.4) --- */

GST_START_TEST (test_set_chunk_size)
{
  static const guint32 sizes[] = { 1, 128, 4096, 0x7fffffff };
  static const guint8 bytes_4096[] = { 0x00, 0x00, 0x10, 0x00 };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (sizes); i++) {
    g_autoptr (RtmpMessage) m = rtmp_message_new_set_chunk_size (sizes[i]);
    g_autoptr (GError) error = NULL;
    guint32 value = 0;

    fail_unless_equals_int (m->type, RTMP_MESSAGE_SET_CHUNK_SIZE);
    fail_unless_equals_int (m->csid, RTMP_CSID_CONTROL);
    fail_unless_equals_int (m->stream_id, 0);
    fail_unless_equals_int (m->timestamp, 0);
    fail_unless (rtmp_message_parse_u32 (m, &value, &error));
    fail_unless_equals_int (value, sizes[i]);
    if (sizes[i] == 4096)
      CHECK_PAYLOAD (m, bytes_4096);
  }
}

GST_END_TEST;

GST_START_TEST (test_set_chunk_size_parse)
{
  static const guint8 bit31[] = { 0x80, 0x00, 0x10, 0x00 };
  static const guint8 zero[] = { 0x00, 0x00, 0x00, 0x00 };
  static const guint8 bit31_zero[] = { 0x80, 0x00, 0x00, 0x00 };
  static const guint8 longer[] = { 0x00, 0x00, 0x00, 0x80, 0xff };
  g_autoptr (RtmpMessage) m = NULL;
  g_autoptr (GError) error = NULL;
  guint32 value = 0;

  /* bit 31 is masked, not refused */
  m = message_from (RTMP_MESSAGE_SET_CHUNK_SIZE, bit31, sizeof (bit31));
  fail_unless (rtmp_message_parse_u32 (m, &value, NULL));
  fail_unless_equals_int (value, 4096);
  g_clear_pointer (&m, rtmp_message_free);

  /* trailing bytes are ignored */
  m = message_from (RTMP_MESSAGE_SET_CHUNK_SIZE, longer, sizeof (longer));
  fail_unless (rtmp_message_parse_u32 (m, &value, NULL));
  fail_unless_equals_int (value, 128);
  g_clear_pointer (&m, rtmp_message_free);

  m = message_from (RTMP_MESSAGE_SET_CHUNK_SIZE, zero, sizeof (zero));
  fail_unless (!rtmp_message_parse_u32 (m, &value, &error));
  fail_unless (g_error_matches (error, RTMP_ERROR, RTMP_ERROR_MALFORMED));
  fail_unless_equals_string (error->message,
      "set-chunk-size message: chunk size 0");
  g_clear_error (&error);
  g_clear_pointer (&m, rtmp_message_free);

  m = message_from (RTMP_MESSAGE_SET_CHUNK_SIZE, bit31_zero,
      sizeof (bit31_zero));
  fail_unless (!rtmp_message_parse_u32 (m, &value, &error));
  fail_unless (g_error_matches (error, RTMP_ERROR, RTMP_ERROR_MALFORMED));
  g_clear_error (&error);
  g_clear_pointer (&m, rtmp_message_free);

  m = message_from (RTMP_MESSAGE_SET_CHUNK_SIZE, zero, 3);
  fail_unless (!rtmp_message_parse_u32 (m, &value, &error));
  fail_unless (g_error_matches (error, RTMP_ERROR, RTMP_ERROR_MALFORMED));
  fail_unless_equals_string (error->message,
      "set-chunk-size message: payload of 3 bytes, need 4");
}

GST_END_TEST;

/* Abort, Acknowledgement and Window Acknowledgement Size: a 32-bit value,
 * 0 included. */
GST_START_TEST (test_u32_messages)
{
  static const guint8 abort_bytes[] = { 0x00, 0x00, 0x01, 0x40 };
  static const guint8 ack_bytes[] = { 0xff, 0xff, 0xff, 0xff };
  static const guint8 window_bytes[] = { 0x00, 0x26, 0x25, 0xa0 };
  g_autoptr (RtmpMessage) abort = rtmp_message_new_abort (320);
  g_autoptr (RtmpMessage) ack = rtmp_message_new_acknowledgement (0xffffffff);
  g_autoptr (RtmpMessage) window = rtmp_message_new_window_ack_size (2500000);
  g_autoptr (RtmpMessage) zero = rtmp_message_new_acknowledgement (0);
  g_autoptr (RtmpMessage) short_ack = NULL;
  g_autoptr (GError) error = NULL;
  guint32 value;

  fail_unless_equals_int (abort->type, RTMP_MESSAGE_ABORT);
  fail_unless_equals_int (ack->type, RTMP_MESSAGE_ACKNOWLEDGEMENT);
  fail_unless_equals_int (window->type, RTMP_MESSAGE_WINDOW_ACK_SIZE);
  fail_unless_equals_int (window->csid, RTMP_CSID_CONTROL);
  CHECK_PAYLOAD (abort, abort_bytes);
  CHECK_PAYLOAD (ack, ack_bytes);
  CHECK_PAYLOAD (window, window_bytes);

  fail_unless (rtmp_message_parse_u32 (abort, &value, NULL));
  fail_unless_equals_int (value, 320);
  fail_unless (rtmp_message_parse_u32 (ack, &value, NULL));
  fail_unless_equals_int64 (value, 0xffffffff);
  fail_unless (rtmp_message_parse_u32 (window, &value, NULL));
  fail_unless_equals_int (value, 2500000);
  fail_unless (rtmp_message_parse_u32 (zero, &value, NULL));
  fail_unless_equals_int (value, 0);

  short_ack = message_from (RTMP_MESSAGE_ACKNOWLEDGEMENT, ack_bytes, 2);
  fail_unless (!rtmp_message_parse_u32 (short_ack, &value, &error));
  fail_unless (g_error_matches (error, RTMP_ERROR, RTMP_ERROR_MALFORMED));
  fail_unless_equals_string (error->message,
      "acknowledgement message: payload of 2 bytes, need 4");
}

GST_END_TEST;

GST_START_TEST (test_set_peer_bandwidth)
{
  static const guint8 expect[] = { 0x00, 0x26, 0x25, 0xa0, 0x02 };
  static const guint8 bad_limit[] = { 0x00, 0x26, 0x25, 0xa0, 0x03 };
  RtmpPeerBandwidthLimit limits[] = { RTMP_PEER_BANDWIDTH_HARD,
    RTMP_PEER_BANDWIDTH_SOFT, RTMP_PEER_BANDWIDTH_DYNAMIC };
  g_autoptr (RtmpMessage) m = NULL;
  g_autoptr (GError) error = NULL;
  RtmpPeerBandwidthLimit limit;
  guint32 window;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (limits); i++) {
    g_autoptr (RtmpMessage) built
        = rtmp_message_new_set_peer_bandwidth (2500000, limits[i]);

    fail_unless_equals_int (built->type, RTMP_MESSAGE_SET_PEER_BANDWIDTH);
    fail_unless (
        rtmp_message_parse_set_peer_bandwidth (built, &window, &limit, NULL));
    fail_unless_equals_int (window, 2500000);
    fail_unless_equals_int (limit, limits[i]);
    if (limits[i] == RTMP_PEER_BANDWIDTH_DYNAMIC)
      CHECK_PAYLOAD (built, expect);
  }

  m = message_from (RTMP_MESSAGE_SET_PEER_BANDWIDTH, bad_limit,
      sizeof (bad_limit));
  fail_unless (
      !rtmp_message_parse_set_peer_bandwidth (m, &window, &limit, &error));
  fail_unless (g_error_matches (error, RTMP_ERROR, RTMP_ERROR_MALFORMED));
  fail_unless_equals_string (error->message,
      "set-peer-bandwidth message: limit type 3");
  g_clear_error (&error);
  g_clear_pointer (&m, rtmp_message_free);

  m = message_from (RTMP_MESSAGE_SET_PEER_BANDWIDTH, expect, 4);
  fail_unless (
      !rtmp_message_parse_set_peer_bandwidth (m, &window, &limit, &error));
  fail_unless_equals_string (error->message,
      "set-peer-bandwidth message: payload of 4 bytes, need 5");
}

GST_END_TEST;

/* --- user control messages (§6.2, §7.1.7) --- */

GST_START_TEST (test_user_control_round_trip)
{
  static const guint16 types[] = {
    RTMP_USER_CONTROL_STREAM_BEGIN,
    RTMP_USER_CONTROL_STREAM_EOF,
    RTMP_USER_CONTROL_STREAM_DRY,
    RTMP_USER_CONTROL_SET_BUFFER_LENGTH,
    RTMP_USER_CONTROL_STREAM_IS_RECORDED,
    RTMP_USER_CONTROL_PING_REQUEST,
    RTMP_USER_CONTROL_PING_RESPONSE,
    RTMP_USER_CONTROL_BUFFER_EMPTY,
    RTMP_USER_CONTROL_BUFFER_READY,
    0x1234,
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (types); i++) {
    RtmpUserControl event = { types[i], 0x01020304 + i, 0 };
    RtmpUserControl parsed;
    g_autoptr (RtmpMessage) m = NULL;
    g_autoptr (GError) error = NULL;

    if (types[i] == RTMP_USER_CONTROL_SET_BUFFER_LENGTH)
      event.buffer_length_ms = 3000;
    m = rtmp_message_new_user_control (&event);
    fail_unless_equals_int (m->type, RTMP_MESSAGE_USER_CONTROL);
    fail_unless_equals_int (m->csid, RTMP_CSID_CONTROL);
    fail_unless_equals_int (m->stream_id, 0);
    fail_unless_equals_int (g_bytes_get_size (m->payload),
        types[i] == RTMP_USER_CONTROL_SET_BUFFER_LENGTH ? 10 : 6);
    fail_unless (rtmp_user_control_parse (m, &parsed, &error), "type %u: %s",
        types[i], error ? error->message : "");
    fail_unless_equals_int (parsed.type, event.type);
    fail_unless_equals_int (parsed.value, event.value);
    fail_unless_equals_int (parsed.buffer_length_ms, event.buffer_length_ms);
  }
}

GST_END_TEST;

GST_START_TEST (test_user_control_bytes)
{
  static const guint8 stream_begin[] = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x01 };
  static const guint8 buffer_length[] = {
    0x00,
    0x03,
    0x00,
    0x00,
    0x00,
    0x01,
    0x00,
    0x00,
    0x0b,
    0xb8,
  };
  static const guint8 ping[] = { 0x00, 0x06, 0x12, 0x34, 0x56, 0x78 };
  static const guint8 pong[] = { 0x00, 0x07, 0x12, 0x34, 0x56, 0x78 };
  RtmpUserControl event = { RTMP_USER_CONTROL_STREAM_BEGIN, 1, 0 };
  RtmpUserControl parsed;
  g_autoptr (RtmpMessage) m = rtmp_message_new_user_control (&event);
  g_autoptr (RtmpMessage) m_buffer = NULL;
  g_autoptr (RtmpMessage) m_ping = NULL;
  g_autoptr (RtmpMessage) m_pong = NULL;

  CHECK_PAYLOAD (m, stream_begin);

  event.type = RTMP_USER_CONTROL_SET_BUFFER_LENGTH;
  event.buffer_length_ms = 3000;
  m_buffer = rtmp_message_new_user_control (&event);
  CHECK_PAYLOAD (m_buffer, buffer_length);

  /* a ping request is answered by a response with the same timestamp */
  m_ping = message_from (RTMP_MESSAGE_USER_CONTROL, ping, sizeof (ping));
  fail_unless (rtmp_user_control_parse (m_ping, &parsed, NULL));
  fail_unless_equals_int (parsed.type, RTMP_USER_CONTROL_PING_REQUEST);
  fail_unless_equals_int (parsed.value, 0x12345678);
  parsed.type = RTMP_USER_CONTROL_PING_RESPONSE;
  m_pong = rtmp_message_new_user_control (&parsed);
  CHECK_PAYLOAD (m_pong, pong);

  fail_unless_equals_string (
      rtmp_user_control_type_get_name (RTMP_USER_CONTROL_PING_REQUEST),
      "ping-request");
  fail_unless_equals_string (rtmp_user_control_type_get_name (0x1234),
      "unknown");
}

GST_END_TEST;

/* Unknown events parse with whatever value they carry; SWF verification
 * requests carry none. */
GST_START_TEST (test_user_control_unknown)
{
  static const guint8 swf_request[] = { 0x00, 0x1a };
  static const guint8 unknown_short[] = { 0x12, 0x34, 0xaa };
  static const guint8 unknown_long[] = {
    0x12,
    0x34,
    0x00,
    0x00,
    0x00,
    0x09,
    0xff,
    0xff,
  };
  g_autoptr (RtmpMessage) m1 = message_from (RTMP_MESSAGE_USER_CONTROL,
      swf_request, sizeof (swf_request));
  g_autoptr (RtmpMessage) m2 = message_from (RTMP_MESSAGE_USER_CONTROL,
      unknown_short, sizeof (unknown_short));
  g_autoptr (RtmpMessage) m3 = message_from (RTMP_MESSAGE_USER_CONTROL,
      unknown_long, sizeof (unknown_long));
  RtmpUserControl parsed;

  fail_unless (rtmp_user_control_parse (m1, &parsed, NULL));
  fail_unless_equals_int (parsed.type, RTMP_USER_CONTROL_SWF_VERIFY_REQUEST);
  fail_unless_equals_int (parsed.value, 0);
  fail_unless (rtmp_user_control_parse (m2, &parsed, NULL));
  fail_unless_equals_int (parsed.type, 0x1234);
  fail_unless_equals_int (parsed.value, 0);
  fail_unless (rtmp_user_control_parse (m3, &parsed, NULL));
  fail_unless_equals_int (parsed.value, 9);
}

GST_END_TEST;

GST_START_TEST (test_user_control_too_short)
{
  static const guint8 empty[] = { 0x00 };
  static const guint8 stream_begin[] = { 0x00, 0x00, 0x00, 0x00, 0x01 };
  static const guint8 buffer_length[] = {
    0x00,
    0x03,
    0x00,
    0x00,
    0x00,
    0x01,
    0x00,
    0x00,
    0x0b,
  };
  static const guint8 ping[] = { 0x00, 0x06 };
  struct
  {
    const guint8 *data;
    gsize len;
    const gchar *message;
  } cases[] = {
    { empty, 0, "user-control message: payload of 0 bytes, need 2" },
    { empty, 1, "user-control message: payload of 1 bytes, need 2" },
    { stream_begin, sizeof (stream_begin),
        "user control stream-begin: 3 bytes of event data, need 4" },
    { buffer_length, sizeof (buffer_length),
        "user control set-buffer-length: 7 bytes of event data, need 8" },
    { ping, sizeof (ping),
        "user control ping-request: 0 bytes of event data, need 4" },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (RtmpMessage) m
        = message_from (RTMP_MESSAGE_USER_CONTROL, cases[i].data, cases[i].len);
    g_autoptr (GError) error = NULL;
    RtmpUserControl parsed;

    fail_unless (!rtmp_user_control_parse (m, &parsed, &error), "case %u", i);
    fail_unless (g_error_matches (error, RTMP_ERROR, RTMP_ERROR_MALFORMED));
    fail_unless_equals_string (error->message, cases[i].message);
  }
}

GST_END_TEST;

/* --- aggregate messages (§7.1.6) --- */

/* clang-format off */
/* Two sub-messages: audio at 5000 ms and video at 5040 ms, stream id 1 in
 * the sub-headers. */
static const guint8 aggregate_two[] = {
  /* type, size 3, timestamp 0x001388 + high 0x00, stream id 1 */
  0x08, 0x00, 0x00, 0x03, 0x00, 0x13, 0x88, 0x00, 0x00, 0x00, 0x01,
  'a', 'a', 'a',
  0x00, 0x00, 0x00, 0x0e, /* back pointer 11 + 3 */
  0x09, 0x00, 0x00, 0x02, 0x00, 0x13, 0xb0, 0x00, 0x00, 0x00, 0x01,
  'v', 'v',
  0x00, 0x00, 0x00, 0x0d,
};

/* the same without the last back pointer (Wowza) */
static const guint8 aggregate_no_last_back_pointer[] = {
  0x08, 0x00, 0x00, 0x03, 0x00, 0x13, 0x88, 0x00, 0x00, 0x00, 0x01,
  'a', 'a', 'a',
  0x00, 0x00, 0x00, 0x0e,
  0x09, 0x00, 0x00, 0x02, 0x00, 0x13, 0xb0, 0x00, 0x00, 0x00, 0x01,
  'v', 'v',
};

/* timestamps 0xffffff00 and 0x00000010 (high byte 0xff, then 0x00): a
 * forward step of 0x110 across the 32-bit wrap */
static const guint8 aggregate_wrap[] = {
  0x08, 0x00, 0x00, 0x01, 0xff, 0xff, 0x00, 0xff, 0x00, 0x00, 0x01,
  'a',
  0x00, 0x00, 0x00, 0x0c,
  0x08, 0x00, 0x00, 0x01, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x01,
  'b',
  0x00, 0x00, 0x00, 0x0c,
};

static const guint8 aggregate_bad_back_pointer[] = {
  0x08, 0x00, 0x00, 0x03, 0x00, 0x13, 0x88, 0x00, 0x00, 0x00, 0x01,
  'a', 'a', 'a',
  0x00, 0x00, 0x00, 0x0f,
};

static const guint8 aggregate_truncated_header[] = {
  0x08, 0x00, 0x00, 0x03, 0x00, 0x13, 0x88, 0x00, 0x00, 0x00, 0x01,
  'a', 'a', 'a',
  0x00, 0x00, 0x00, 0x0e,
  0x09, 0x00, 0x00, 0x02, 0x00,
};

static const guint8 aggregate_truncated_body[] = {
  0x08, 0x00, 0x00, 0x05, 0x00, 0x13, 0x88, 0x00, 0x00, 0x00, 0x01,
  'a', 'a', 'a',
};

static const guint8 aggregate_truncated_back_pointer[] = {
  0x08, 0x00, 0x00, 0x03, 0x00, 0x13, 0x88, 0x00, 0x00, 0x00, 0x01,
  'a', 'a', 'a',
  0x00, 0x00,
};
/* clang-format on */

static RtmpMessage *
aggregate_from (const guint8 *data, gsize len)
{
  /* an aggregate on stream 3 at 1000 ms */
  return rtmp_message_new_take (RTMP_MESSAGE_AGGREGATE, 1000, 3, 0,
      g_bytes_new (data, len));
}

static void
check_sub (guint line, const RtmpMessage *aggregate, const RtmpMessage *m,
    guint8 type, guint32 timestamp, const gchar *payload, gsize offset)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (m->payload, &len);
  const guint8 *base = g_bytes_get_data (aggregate->payload, NULL);

  fail_unless (m->type == type, "line %u: type %u", line, m->type);
  fail_unless (m->timestamp == timestamp, "line %u: timestamp %u", line,
      m->timestamp);
  fail_unless (m->stream_id == aggregate->stream_id, "line %u", line);
  fail_unless (m->csid == rtmp_message_default_csid (type, m->stream_id),
      "line %u", line);
  fail_unless (len == strlen (payload) && memcmp (data, payload, len) == 0,
      "line %u: payload", line);
  /* a slice of the aggregate's payload, not a copy */
  fail_unless (data == base + offset, "line %u: payload copied", line);
}

GST_START_TEST (test_aggregate_split)
{
  g_autoptr (RtmpMessage) aggregate
      = aggregate_from (aggregate_two, sizeof (aggregate_two));
  g_autoptr (GPtrArray) messages
      = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_message_free);

  fail_unless (rtmp_aggregate_split (aggregate, messages, NULL));
  fail_unless_equals_int (messages->len, 2);
  /* timestamps rebased: the first sub-message gets the aggregate's */
  check_sub (__LINE__, aggregate, messages->pdata[0], RTMP_MESSAGE_AUDIO, 1000,
      "aaa", 11);
  check_sub (__LINE__, aggregate, messages->pdata[1], RTMP_MESSAGE_VIDEO, 1040,
      "vv", 29);
}

GST_END_TEST;

GST_START_TEST (test_aggregate_no_last_back_pointer)
{
  g_autoptr (RtmpMessage) aggregate = aggregate_from (
      aggregate_no_last_back_pointer, sizeof (aggregate_no_last_back_pointer));
  g_autoptr (GPtrArray) messages
      = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_message_free);

  fail_unless (rtmp_aggregate_split (aggregate, messages, NULL));
  fail_unless_equals_int (messages->len, 2);
  check_sub (__LINE__, aggregate, messages->pdata[1], RTMP_MESSAGE_VIDEO, 1040,
      "vv", 29);
}

GST_END_TEST;

GST_START_TEST (test_aggregate_wrap)
{
  g_autoptr (RtmpMessage) aggregate
      = aggregate_from (aggregate_wrap, sizeof (aggregate_wrap));
  g_autoptr (GPtrArray) messages
      = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_message_free);

  fail_unless (rtmp_aggregate_split (aggregate, messages, NULL));
  fail_unless_equals_int (messages->len, 2);
  check_sub (__LINE__, aggregate, messages->pdata[0], RTMP_MESSAGE_AUDIO, 1000,
      "a", 11);
  check_sub (__LINE__, aggregate, messages->pdata[1], RTMP_MESSAGE_AUDIO,
      1000 + 0x110, "b", 27);
}

GST_END_TEST;

GST_START_TEST (test_aggregate_empty)
{
  g_autoptr (RtmpMessage) aggregate = aggregate_from (NULL, 0);
  g_autoptr (GPtrArray) messages
      = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_message_free);

  fail_unless (rtmp_aggregate_split (aggregate, messages, NULL));
  fail_unless_equals_int (messages->len, 0);
}

GST_END_TEST;

/* On error the array is left as it was, including what it held before. */
static void
check_aggregate_error (guint line, const guint8 *data, gsize len,
    const gchar *message)
{
  g_autoptr (RtmpMessage) aggregate = aggregate_from (data, len);
  g_autoptr (GPtrArray) messages
      = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_message_free);
  g_autoptr (GError) error = NULL;
  RtmpMessage *before = rtmp_message_new_abort (1);

  g_ptr_array_add (messages, before);
  fail_unless (!rtmp_aggregate_split (aggregate, messages, &error),
      "line %u: no error", line);
  fail_unless (g_error_matches (error, RTMP_ERROR, RTMP_ERROR_MALFORMED),
      "line %u", line);
  fail_unless (g_strcmp0 (error->message, message) == 0, "line %u: '%s'", line,
      error->message);
  fail_unless (messages->len == 1 && messages->pdata[0] == before,
      "line %u: %u messages left", line, messages->len);
}

GST_START_TEST (test_aggregate_errors)
{
  check_aggregate_error (__LINE__, aggregate_bad_back_pointer,
      sizeof (aggregate_bad_back_pointer),
      "aggregate message: back pointer 15 does not match sub-message size 14 "
      "at offset 14");
  check_aggregate_error (__LINE__, aggregate_truncated_header,
      sizeof (aggregate_truncated_header),
      "aggregate message: sub-message header truncated at offset 18 of 23");
  check_aggregate_error (__LINE__, aggregate_truncated_body,
      sizeof (aggregate_truncated_body),
      "aggregate message: sub-message body runs past the end (3 bytes left "
      "at offset 11)");
  check_aggregate_error (__LINE__, aggregate_truncated_back_pointer,
      sizeof (aggregate_truncated_back_pointer),
      "aggregate message: back pointer truncated at offset 14");
}

GST_END_TEST;

/* Every prefix of a valid aggregate either splits (a whole number of
 * sub-messages, the last one maybe without back pointer) or fails. */
GST_START_TEST (test_aggregate_truncations)
{
  gsize len;

  for (len = 0; len <= sizeof (aggregate_two); len++) {
    g_autoptr (RtmpMessage) aggregate = aggregate_from (aggregate_two, len);
    g_autoptr (GPtrArray) messages
        = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_message_free);
    g_autoptr (GError) error = NULL;
    gboolean ok = rtmp_aggregate_split (aggregate, messages, &error);
    gboolean expect_ok
        = len == 0 || len == 14 || len == 18 || len == 31 || len == 35;

    fail_unless (ok == expect_ok, "length %" G_GSIZE_FORMAT ": %s", len,
        error ? error->message : "ok");
    if (!ok)
      fail_unless_equals_int (messages->len, 0);
  }
}

GST_END_TEST;

static Suite *
message_suite (void)
{
  Suite *s = suite_create ("message");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_new_copy);
  tcase_add_test (tc, test_default_csid);
  tcase_add_test (tc, test_set_chunk_size);
  tcase_add_test (tc, test_set_chunk_size_parse);
  tcase_add_test (tc, test_u32_messages);
  tcase_add_test (tc, test_set_peer_bandwidth);
  tcase_add_test (tc, test_user_control_round_trip);
  tcase_add_test (tc, test_user_control_bytes);
  tcase_add_test (tc, test_user_control_unknown);
  tcase_add_test (tc, test_user_control_too_short);
  tcase_add_test (tc, test_aggregate_split);
  tcase_add_test (tc, test_aggregate_no_last_back_pointer);
  tcase_add_test (tc, test_aggregate_wrap);
  tcase_add_test (tc, test_aggregate_empty);
  tcase_add_test (tc, test_aggregate_errors);
  tcase_add_test (tc, test_aggregate_truncations);
  return s;
}

GST_CHECK_MAIN (message);
