/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests for AMF-encoded messages: commands (types 20, 17), data messages
 * (18, 15) and shared objects (19, 16). */

#include <gst/check/gstcheck.h>

#include "rtmpamf0.h"
#include "rtmpamf3.h"
#include "rtmpcommand.h"

static GBytes *
load_vector (const gchar *name)
{
  g_autofree gchar *path
      = g_build_filename (RTMP_TEST_FILES_DIR, "amf", name, NULL);
  g_autoptr (GError) error = NULL;
  gchar *contents;
  gsize len;

  if (!g_file_get_contents (path, &contents, &len, &error))
    fail ("cannot read %s: %s", path, error->message);
  return g_bytes_new_take (contents, len);
}

static RtmpMessage *
message_new (guint8 type, const guint8 *data, gsize len)
{
  return rtmp_message_new_take (type, 0, 0, 0, g_bytes_new (data, len));
}

static RtmpCommand *
parse_ok (const RtmpMessage *message, gint line)
{
  g_autoptr (GError) error = NULL;
  RtmpCommand *command = rtmp_command_parse (message, NULL, &error);

  if (command == NULL)
    fail ("line %d: %s", line, error->message);
  return command;
}

static void
parse_error (guint8 type, const guint8 *data, gsize len, gint code,
    const gchar *message_text, gint line)
{
  g_autoptr (RtmpMessage) message = message_new (type, data, len);
  g_autoptr (GError) error = NULL;
  g_autoptr (RtmpCommand) command = rtmp_command_parse (message, NULL, &error);

  if (command != NULL)
    fail ("line %d: parsed, expected an error", line);
  if (!g_error_matches (error, RTMP_ERROR, code))
    fail ("line %d: error %d (%s), expected %d", line, error->code,
        error->message, code);
  if (message_text != NULL && g_strcmp0 (error->message, message_text) != 0)
    fail ("line %d: message '%s', expected '%s'", line, error->message,
        message_text);
}

/* Every prefix of a command payload parses or fails cleanly. */
static void
check_command_truncations (guint8 type, GBytes *payload, gint line)
{
  gsize len, n;
  const guint8 *data = g_bytes_get_data (payload, &len);

  for (n = 0; n < len; n++) {
    g_autofree guint8 *copy = g_memdup2 (data, n);
    g_autoptr (RtmpMessage) message = message_new (type, copy, n);
    g_autoptr (GError) error = NULL;
    g_autoptr (RtmpCommand) command
        = rtmp_command_parse (message, NULL, &error);

    if (command == NULL)
      fail_unless (error != NULL && error->domain == RTMP_ERROR);
  }
}

GST_START_TEST (test_fms_connect)
{
  g_autoptr (GBytes) payload = load_vector ("fms-connect.amf0");
  g_autoptr (RtmpMessage) message
      = rtmp_message_new (RTMP_MESSAGE_COMMAND_AMF0, 0, 0, 0, payload);
  g_autoptr (RtmpCommand) command = parse_ok (message, __LINE__);
  g_autoptr (RtmpMessage) serialized = NULL;
  gdouble number;
  gboolean boolean;

  fail_unless_equals_string (command->name, "connect");
  fail_unless_equals_float (command->transaction_id, 1);
  fail_unless_equals_int (command->arguments->len, 0);
  fail_unless (rtmp_command_peek_argument (command, 0) == NULL);
  fail_unless_equals_string (
      rtmp_amf_value_lookup_string (command->command_object, "app"), "sample");
  fail_unless_equals_string (
      rtmp_amf_value_lookup_string (command->command_object, "flashVer"),
      "MAC 10,2,153,2");
  fail_unless_equals_string (
      rtmp_amf_value_lookup_string (command->command_object, "tcUrl"),
      "rtmpt://127.0.0.1/sample");
  fail_unless (rtmp_amf_value_lookup_boolean (command->command_object, "fpad",
      &boolean));
  fail_if (boolean);
  fail_unless (rtmp_amf_value_lookup_number (command->command_object,
      "capabilities", &number));
  fail_unless_equals_float (number, 239);
  fail_unless (rtmp_amf_value_lookup_number (command->command_object,
      "audioCodecs", &number));
  fail_unless_equals_float (number, 3575);
  fail_unless (rtmp_amf_value_lookup_number (command->command_object,
      "videoCodecs", &number));
  fail_unless_equals_float (number, 252);
  fail_unless (rtmp_amf_value_lookup_number (command->command_object,
      "videoFunction", &number));
  fail_unless_equals_float (number, 1);
  fail_unless (rtmp_amf_value_lookup_number (command->command_object,
      "objectEncoding", &number));
  fail_unless_equals_float (number, 3);

  /* serializes back to the same bytes, on the command chunk stream */
  serialized = rtmp_command_serialize (command, 0);
  fail_unless_equals_int (serialized->type, RTMP_MESSAGE_COMMAND_AMF0);
  fail_unless_equals_int (serialized->stream_id, 0);
  fail_unless_equals_int (serialized->csid, RTMP_CSID_COMMAND);
  fail_unless (g_bytes_equal (serialized->payload, payload));

  check_command_truncations (RTMP_MESSAGE_COMMAND_AMF0, payload, __LINE__);
}

GST_END_TEST;

GST_START_TEST (test_fms_connect_result)
{
  g_autoptr (GBytes) payload = load_vector ("fms-connect-result.amf0");
  g_autoptr (RtmpMessage) message
      = rtmp_message_new (RTMP_MESSAGE_COMMAND_AMF0, 0, 0, 0, payload);
  g_autoptr (RtmpCommand) command = parse_ok (message, __LINE__);
  g_autoptr (RtmpMessage) serialized = NULL;
  const RtmpAmfValue *info, *data;
  gdouble number;

  fail_unless_equals_string (command->name, "_result");
  fail_unless_equals_float (command->transaction_id, 1);
  fail_unless_equals_string (
      rtmp_amf_value_lookup_string (command->command_object, "fmsVer"),
      "FMS/3,5,5,2004");
  fail_unless (rtmp_amf_value_lookup_number (command->command_object,
      "capabilities", &number));
  fail_unless_equals_float (number, 31);
  fail_unless (
      rtmp_amf_value_lookup_number (command->command_object, "mode", &number));
  fail_unless_equals_float (number, 1);
  fail_unless_equals_int (command->arguments->len, 1);
  info = rtmp_command_peek_argument (command, 0);
  fail_unless_equals_string (rtmp_amf_value_lookup_string (info, "level"),
      "status");
  fail_unless_equals_string (rtmp_amf_value_lookup_string (info, "code"),
      "NetConnection.Connect.Success");
  fail_unless_equals_string (rtmp_amf_value_lookup_string (info, "description"),
      "Connection succeeded.");
  fail_unless (rtmp_amf_value_lookup_number (info, "objectEncoding", &number));
  fail_unless_equals_float (number, 3);
  data = rtmp_amf_value_peek_field (info, "data");
  fail_unless_equals_string (rtmp_amf_value_lookup_string (data, "version"),
      "3,5,5,2004");

  serialized = rtmp_command_serialize (command, 0);
  fail_unless (g_bytes_equal (serialized->payload, payload));
  check_command_truncations (RTMP_MESSAGE_COMMAND_AMF0, payload, __LINE__);
}

GST_END_TEST;

GST_START_TEST (test_round_trip)
{
  g_autoptr (RtmpCommand) command = NULL;
  g_autoptr (RtmpCommand) parsed = NULL;
  g_autoptr (RtmpMessage) message = NULL;
  RtmpAmfValue *obj = rtmp_amf_value_new_object ();
  guint i;

  rtmp_amf_value_set_string_field (obj, "app", "live");
  command = rtmp_command_new ("publish", 5, NULL);
  rtmp_command_take_argument (command, rtmp_amf_value_new_string ("cam1"));
  rtmp_command_take_argument (command, rtmp_amf_value_new_string ("live"));
  rtmp_command_take_argument (command, obj);

  message = rtmp_command_serialize (command, 1);
  fail_unless_equals_int (message->stream_id, 1);
  fail_unless_equals_int (message->csid, RTMP_CSID_STREAM_COMMAND);
  parsed = parse_ok (message, __LINE__);
  fail_unless_equals_string (parsed->name, "publish");
  fail_unless_equals_float (parsed->transaction_id, 5);
  fail_unless_equals_int (rtmp_amf_value_get_type (parsed->command_object),
      RTMP_AMF_TYPE_NULL);
  fail_unless_equals_int (parsed->arguments->len, 3);
  for (i = 0; i < 3; i++)
    fail_unless (rtmp_amf_value_equal (command->arguments->pdata[i],
        parsed->arguments->pdata[i]));
}

GST_END_TEST;

GST_START_TEST (test_amf3_command)
{
  /* type 17: format byte 0, AMF0 name and transaction id, null, then an
   * argument switched to AMF3: {code: "ok"} with an integer */
  static const guint8 payload[] = {
    0x00,
    0x02,
    0x00,
    0x04,
    'c',
    'a',
    'l',
    'l',
    0x00,
    0x40,
    0x08,
    0,
    0,
    0,
    0,
    0,
    0,
    0x05,
    0x11,
    0x0A,
    0x0B,
    0x01,
    0x09,
    'c',
    'o',
    'd',
    'e',
    0x06,
    0x05,
    'o',
    'k',
    0x03,
    'n',
    0x04,
    0x2A,
    0x01,
  };
  g_autoptr (RtmpMessage) message
      = message_new (RTMP_MESSAGE_COMMAND_AMF3, payload, sizeof (payload));
  g_autoptr (RtmpCommand) command = parse_ok (message, __LINE__);
  const RtmpAmfValue *arg;
  gdouble number;

  fail_unless_equals_string (command->name, "call");
  fail_unless_equals_float (command->transaction_id, 3);
  fail_unless_equals_int (rtmp_amf_value_get_type (command->command_object),
      RTMP_AMF_TYPE_NULL);
  arg = rtmp_command_peek_argument (command, 0);
  fail_unless_equals_string (rtmp_amf_value_lookup_string (arg, "code"), "ok");
  fail_unless (rtmp_amf_value_lookup_number (arg, "n", &number));
  fail_unless_equals_float (number, 42);

  {
    g_autoptr (GBytes) bytes = g_bytes_new_static (payload, sizeof (payload));

    check_command_truncations (RTMP_MESSAGE_COMMAND_AMF3, bytes, __LINE__);
  }

  parse_error (RTMP_MESSAGE_COMMAND_AMF3, payload, 0, RTMP_ERROR_MALFORMED,
      "command-amf3 message: empty payload, no format byte", __LINE__);
  {
    static const guint8 bad[] = { 0x03, 0x02, 0x00, 0x01, 'x' };

    parse_error (RTMP_MESSAGE_COMMAND_AMF3, bad, sizeof (bad),
        RTMP_ERROR_UNSUPPORTED,
        "command-amf3 message: format byte 0x03 "
        "(only 0x00, AMF0 values, is known)",
        __LINE__);
  }
}

GST_END_TEST;

GST_START_TEST (test_missing_txn_id)
{
  /* FFmpeg's onFCPublish: the name alone */
  static const guint8 name_only[] = {
    0x02,
    0x00,
    0x0B,
    'o',
    'n',
    'F',
    'C',
    'P',
    'u',
    'b',
    'l',
    'i',
    's',
    'h',
  };
  /* onStatus with a null transaction id, null, info */
  static const guint8 null_txn[] = {
    0x02,
    0x00,
    0x08,
    'o',
    'n',
    'S',
    't',
    'a',
    't',
    'u',
    's',
    0x05,
    0x05,
    0x03,
    0x00,
    0x04,
    'c',
    'o',
    'd',
    'e',
    0x02,
    0x00,
    0x01,
    'x',
    0x00,
    0x00,
    0x09,
  };
  /* onStatus with its transaction id but nothing after it */
  static const guint8 no_object[] = {
    0x02,
    0x00,
    0x08,
    'o',
    'n',
    'S',
    't',
    'a',
    't',
    'u',
    's',
    0x00,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
  };
  RtmpCommand *command;
  RtmpMessage *message;

  message
      = message_new (RTMP_MESSAGE_COMMAND_AMF0, name_only, sizeof (name_only));
  command = parse_ok (message, __LINE__);
  fail_unless_equals_string (command->name, "onFCPublish");
  fail_unless_equals_float (command->transaction_id, 0);
  fail_unless_equals_int (rtmp_amf_value_get_type (command->command_object),
      RTMP_AMF_TYPE_NULL);
  fail_unless_equals_int (command->arguments->len, 0);
  rtmp_command_free (command);
  rtmp_message_free (message);

  message
      = message_new (RTMP_MESSAGE_COMMAND_AMF0, null_txn, sizeof (null_txn));
  command = parse_ok (message, __LINE__);
  fail_unless_equals_string (command->name, "onStatus");
  fail_unless_equals_float (command->transaction_id, 0);
  fail_unless_equals_string (
      rtmp_amf_value_lookup_string (rtmp_command_peek_argument (command, 0),
          "code"),
      "x");
  rtmp_command_free (command);
  rtmp_message_free (message);

  message
      = message_new (RTMP_MESSAGE_COMMAND_AMF0, no_object, sizeof (no_object));
  command = parse_ok (message, __LINE__);
  fail_unless_equals_int (rtmp_amf_value_get_type (command->command_object),
      RTMP_AMF_TYPE_NULL);
  rtmp_command_free (command);
  rtmp_message_free (message);
}

GST_END_TEST;

GST_START_TEST (test_parse_errors)
{
  static const guint8 number_name[] = { 0x00, 0, 0, 0, 0, 0, 0, 0, 0 };
  static const guint8 string_txn[] = {
    0x02,
    0x00,
    0x01,
    'x',
    0x02,
    0x00,
    0x01,
    'y',
  };
  static const guint8 bad_amf[] = { 0x02, 0x00, 0x05, 'x' };

  parse_error (RTMP_MESSAGE_COMMAND_AMF0, NULL, 0, RTMP_ERROR_MALFORMED,
      "command-amf0 message: no command name", __LINE__);
  parse_error (RTMP_MESSAGE_COMMAND_AMF0, number_name, sizeof (number_name),
      RTMP_ERROR_MALFORMED,
      "command-amf0 message: command name is a number, not a string", __LINE__);
  parse_error (RTMP_MESSAGE_COMMAND_AMF0, string_txn, sizeof (string_txn),
      RTMP_ERROR_MALFORMED,
      "command \"x\": transaction id is a string, not a number", __LINE__);
  parse_error (RTMP_MESSAGE_COMMAND_AMF0, bad_amf, sizeof (bad_amf),
      RTMP_ERROR_MALFORMED,
      "command-amf0 message: value 0: AMF0 at offset 1: "
      "string truncated (need 7 bytes, 3 left)",
      __LINE__);
  parse_error (RTMP_MESSAGE_VIDEO, bad_amf, sizeof (bad_amf),
      RTMP_ERROR_PROTOCOL, "message type 9 (video) is not a command", __LINE__);

  /* limits reach the decoder */
  {
    g_autoptr (GBytes) payload = load_vector ("fms-connect.amf0");
    g_autoptr (RtmpMessage) message
        = rtmp_message_new (RTMP_MESSAGE_COMMAND_AMF0, 0, 0, 0, payload);
    g_autoptr (GError) error = NULL;
    g_autoptr (RtmpCommand) command = NULL;
    RtmpLimits limits;

    rtmp_limits_init_default (&limits);
    limits.amf_max_elements = 5;
    command = rtmp_command_parse (message, &limits, &error);
    fail_unless (command == NULL);
    fail_unless (g_error_matches (error, RTMP_ERROR, RTMP_ERROR_LIMIT));
  }
}

GST_END_TEST;

GST_START_TEST (test_dump)
{
  g_autoptr (RtmpCommand) command = NULL;
  RtmpAmfValue *obj = rtmp_amf_value_new_object ();
  g_autofree gchar *full = NULL;
  g_autofree gchar *cut = NULL;
  g_autofree gchar *cut_name = NULL;

  rtmp_amf_value_set_string_field (obj, "app", "live");
  command = rtmp_command_new ("connect", 1, obj);
  rtmp_command_take_argument (command, rtmp_amf_value_new_null ());
  rtmp_command_take_argument (command, rtmp_amf_value_new_string ("x"));

  full = rtmp_command_dump (command, 0);
  fail_unless_equals_string (full, "connect(txn 1) {app: \"live\"} null \"x\"");
  cut = rtmp_command_dump (command, 20);
  fail_unless_equals_string (cut, "connect(txn 1) {app:...");
  cut_name = rtmp_command_dump (command, 4);
  fail_unless_equals_string (cut_name, "conn...");
}

GST_END_TEST;

static const guint8 metadata_amf0[] = {
  0x02,
  0x00,
  0x0A,
  'o',
  'n',
  'M',
  'e',
  't',
  'a',
  'D',
  'a',
  't',
  'a',
  0x08,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x05,
  'w',
  'i',
  'd',
  't',
  'h',
  0x00,
  0x40,
  0x84,
  0,
  0,
  0,
  0,
  0,
  0,
  0x00,
  0x00,
  0x09,
};

GST_START_TEST (test_data_onmetadata)
{
  g_autoptr (RtmpMessage) message = message_new (RTMP_MESSAGE_DATA_AMF0,
      metadata_amf0, sizeof (metadata_amf0));
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) values = rtmp_data_parse (message, NULL, &error);
  g_autoptr (GBytes) amf0 = NULL;
  gdouble number;

  fail_unless (values != NULL);
  fail_unless_equals_int (values->len, 2);
  fail_unless_equals_string (
      rtmp_amf_value_peek_string (values->pdata[0], NULL), "onMetaData");
  fail_unless (
      rtmp_amf_value_lookup_number (values->pdata[1], "width", &number));
  fail_unless_equals_float (number, 640);

  /* AMF0 passes through: the same GBytes */
  amf0 = rtmp_data_to_amf0 (message, NULL, &error);
  fail_unless (amf0 == message->payload);

  /* empty AMF0 data is no values */
  {
    g_autoptr (RtmpMessage) empty
        = message_new (RTMP_MESSAGE_DATA_AMF0, NULL, 0);
    g_autoptr (GPtrArray) none = rtmp_data_parse (empty, NULL, &error);

    fail_unless (none != NULL);
    fail_unless_equals_int (none->len, 0);
  }
  /* not a data message */
  {
    g_autoptr (RtmpMessage) video = message_new (RTMP_MESSAGE_VIDEO,
        metadata_amf0, sizeof (metadata_amf0));
    g_autoptr (GPtrArray) none = rtmp_data_parse (video, NULL, &error);

    fail_unless (none == NULL);
    fail_unless (g_error_matches (error, RTMP_ERROR, RTMP_ERROR_PROTOCOL));
  }
}

GST_END_TEST;

GST_START_TEST (test_data_setdataframe)
{
  g_autoptr (GPtrArray) values
      = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_amf_value_free);
  RtmpAmfValue *meta = rtmp_amf_value_new_ecma_array ();
  g_autoptr (GBytes) payload = NULL;
  g_autoptr (RtmpMessage) message = NULL;
  g_autoptr (GPtrArray) parsed = NULL;
  g_autoptr (GError) error = NULL;
  guint i;

  rtmp_amf_value_set_number_field (meta, "framerate", 30);
  rtmp_amf_value_set_string_field (meta, "encoder", "gst-rtmp");
  g_ptr_array_add (values, rtmp_amf_value_new_string ("@setDataFrame"));
  g_ptr_array_add (values, rtmp_amf_value_new_string ("onMetaData"));
  g_ptr_array_add (values, meta);

  payload = rtmp_data_serialize ((const RtmpAmfValue *const *) values->pdata,
      values->len);
  message = rtmp_message_new (RTMP_MESSAGE_DATA_AMF0, 0, 1, 0, payload);
  fail_unless_equals_int (message->csid, RTMP_CSID_DATA);
  parsed = rtmp_data_parse (message, NULL, &error);
  fail_unless (parsed != NULL);
  fail_unless_equals_int (parsed->len, 3);
  for (i = 0; i < 3; i++)
    fail_unless (rtmp_amf_value_equal (values->pdata[i], parsed->pdata[i]));
}

GST_END_TEST;

GST_START_TEST (test_data_amf3_to_amf0)
{
  /* type 15: format byte, "onMetaData", then AMF3 {width: int 640,
   * tags: ["a"]} after the switch */
  static const guint8 payload[] = {
    0x00,
    0x02,
    0x00,
    0x0A,
    'o',
    'n',
    'M',
    'e',
    't',
    'a',
    'D',
    'a',
    't',
    'a',
    0x11,
    0x0A,
    0x0B,
    0x01,
    0x0B,
    'w',
    'i',
    'd',
    't',
    'h',
    0x04,
    0x85,
    0x00,
    0x09,
    't',
    'a',
    'g',
    's',
    0x09,
    0x03,
    0x01,
    0x06,
    0x03,
    'a',
    0x01,
  };
  /* the same in plain AMF0 */
  static const guint8 expected[] = {
    0x02,
    0x00,
    0x0A,
    'o',
    'n',
    'M',
    'e',
    't',
    'a',
    'D',
    'a',
    't',
    'a',
    0x03,
    0x00,
    0x05,
    'w',
    'i',
    'd',
    't',
    'h',
    0x00,
    0x40,
    0x84,
    0,
    0,
    0,
    0,
    0,
    0,
    0x00,
    0x04,
    't',
    'a',
    'g',
    's',
    0x0A,
    0,
    0,
    0,
    1,
    0x02,
    0x00,
    0x01,
    'a',
    0x00,
    0x00,
    0x09,
  };
  g_autoptr (RtmpMessage) message
      = message_new (RTMP_MESSAGE_DATA_AMF3, payload, sizeof (payload));
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) values = rtmp_data_parse (message, NULL, &error);
  g_autoptr (GBytes) amf0 = NULL;
  gsize len;
  const guint8 *data;

  fail_unless (values != NULL, "%s", error ? error->message : "");
  fail_unless_equals_int (values->len, 2);
  fail_unless_equals_int (
      rtmp_amf_value_get_integer (
          rtmp_amf_value_peek_field (values->pdata[1], "width")),
      640);

  amf0 = rtmp_data_to_amf0 (message, NULL, &error);
  fail_unless (amf0 != NULL);
  data = g_bytes_get_data (amf0, &len);
  fail_unless_equals_int (len, sizeof (expected));
  fail_unless (memcmp (data, expected, len) == 0);

  /* a type 15 message without its format byte */
  {
    g_autoptr (RtmpMessage) bad
        = message_new (RTMP_MESSAGE_DATA_AMF3, expected, sizeof (expected));
    g_autoptr (GBytes) none = rtmp_data_to_amf0 (bad, NULL, &error);

    fail_unless (none == NULL);
    fail_unless (g_error_matches (error, RTMP_ERROR, RTMP_ERROR_UNSUPPORTED));
  }
}

GST_END_TEST;

/* "chat", version 5, persistent flags, events: use (1, no data) and
 * change (4) with 6 bytes */
static const guint8 shared_object[] = {
  0x00,
  0x04,
  'c',
  'h',
  'a',
  't',
  0x00,
  0x00,
  0x00,
  0x05,
  0x00,
  0x00,
  0x00,
  0x02,
  0x00,
  0x00,
  0x00,
  0x00,
  0x01,
  0x00,
  0x00,
  0x00,
  0x00,
  0x04,
  0x00,
  0x00,
  0x00,
  0x06,
  0x00,
  0x01,
  'k',
  0x02,
  0x00,
  0x00,
};

GST_START_TEST (test_shared_object)
{
  g_autoptr (RtmpMessage) message = message_new (
      RTMP_MESSAGE_SHARED_OBJECT_AMF0, shared_object, sizeof (shared_object));
  g_autoptr (GError) error = NULL;
  g_autoptr (RtmpSharedObjectMessage) so
      = rtmp_shared_object_parse (message, &error);
  const RtmpSharedObjectEvent *event;
  gsize n;

  fail_unless (so != NULL);
  fail_unless_equals_string (so->name, "chat");
  fail_unless_equals_int (so->version, 5);
  fail_unless_equals_int (so->flags, 2);
  fail_unless_equals_int (so->events->len, 2);
  event = &g_array_index (so->events, RtmpSharedObjectEvent, 0);
  fail_unless_equals_int (event->type, 1);
  fail_unless_equals_int (g_bytes_get_size (event->data), 0);
  event = &g_array_index (so->events, RtmpSharedObjectEvent, 1);
  fail_unless_equals_int (event->type, 4);
  fail_unless_equals_int (g_bytes_get_size (event->data), 6);
  fail_unless (
      memcmp (g_bytes_get_data (event->data, NULL), shared_object + 28, 6)
      == 0);

  /* every truncation: an error, except where an event ends */
  for (n = 0; n < sizeof (shared_object); n++) {
    g_autoptr (RtmpMessage) m
        = message_new (RTMP_MESSAGE_SHARED_OBJECT_AMF0, shared_object, n);
    g_autoptr (GError) e = NULL;
    g_autoptr (RtmpSharedObjectMessage) s = rtmp_shared_object_parse (m, &e);

    if (n == 18 || n == 23) {
      fail_unless (s != NULL, "%" G_GSIZE_FORMAT ": %s", n, e->message);
      fail_unless_equals_int (s->events->len, n == 18 ? 0 : 1);
    } else {
      fail_unless (s == NULL, "prefix %" G_GSIZE_FORMAT " parsed", n);
      fail_unless (g_error_matches (e, RTMP_ERROR, RTMP_ERROR_MALFORMED));
    }
  }
  {
    g_autoptr (RtmpMessage) m
        = message_new (RTMP_MESSAGE_SHARED_OBJECT_AMF0, shared_object, 30);
    g_autoptr (GError) e = NULL;
    g_autoptr (RtmpSharedObjectMessage) s = rtmp_shared_object_parse (m, &e);

    fail_unless (s == NULL);
    fail_unless_equals_string (e->message,
        "shared-object-amf0 message "
        "\"chat\": event 1 (type 4) of 6 bytes, only 2 left");
  }
  {
    g_autoptr (RtmpMessage) m
        = message_new (RTMP_MESSAGE_SHARED_OBJECT_AMF0, shared_object, 3);
    g_autoptr (GError) e = NULL;
    g_autoptr (RtmpSharedObjectMessage) s = rtmp_shared_object_parse (m, &e);

    fail_unless (s == NULL);
    fail_unless_equals_string (e->message,
        "shared-object-amf0 message: name "
        "truncated at offset 2 of 3");
  }
}

GST_END_TEST;

GST_START_TEST (test_shared_object_amf3)
{
  g_autofree guint8 *payload = g_malloc (sizeof (shared_object) + 1);
  g_autoptr (RtmpMessage) message = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (RtmpSharedObjectMessage) so = NULL;

  payload[0] = 0x00;
  memcpy (payload + 1, shared_object, sizeof (shared_object));
  message = message_new (RTMP_MESSAGE_SHARED_OBJECT_AMF3, payload,
      sizeof (shared_object) + 1);
  so = rtmp_shared_object_parse (message, &error);
  fail_unless (so != NULL);
  fail_unless_equals_string (so->name, "chat");
  fail_unless_equals_int (so->events->len, 2);

  {
    g_autoptr (RtmpMessage) empty
        = message_new (RTMP_MESSAGE_SHARED_OBJECT_AMF3, NULL, 0);
    g_autoptr (RtmpSharedObjectMessage) none
        = rtmp_shared_object_parse (empty, &error);

    fail_unless (none == NULL);
    fail_unless_equals_string (error->message,
        "shared-object-amf3 message: "
        "format byte truncated at offset 0 of 0");
    g_clear_error (&error);
  }
  {
    g_autoptr (RtmpMessage) cmd
        = message_new (RTMP_MESSAGE_COMMAND_AMF0, payload, 4);
    g_autoptr (RtmpSharedObjectMessage) none
        = rtmp_shared_object_parse (cmd, &error);

    fail_unless (none == NULL);
    fail_unless (g_error_matches (error, RTMP_ERROR, RTMP_ERROR_PROTOCOL));
  }
}

GST_END_TEST;

static Suite *
command_suite (void)
{
  Suite *s = suite_create ("command");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_fms_connect);
  tcase_add_test (tc, test_fms_connect_result);
  tcase_add_test (tc, test_round_trip);
  tcase_add_test (tc, test_amf3_command);
  tcase_add_test (tc, test_missing_txn_id);
  tcase_add_test (tc, test_parse_errors);
  tcase_add_test (tc, test_dump);
  tcase_add_test (tc, test_data_onmetadata);
  tcase_add_test (tc, test_data_setdataframe);
  tcase_add_test (tc, test_data_amf3_to_amf0);
  tcase_add_test (tc, test_shared_object);
  tcase_add_test (tc, test_shared_object_amf3);
  return s;
}

GST_CHECK_MAIN (command);
