/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: AMF0 values (and the AMF3 values they switch to), plus the
 * AMF-encoded messages built on them. Whatever decodes must re-encode and
 * decode again to an equal value. */

#include <glib.h>
#include <stdint.h>
#include <stdlib.h>

#include "rtmpamf0.h"
#include "rtmpcommand.h"

static void
check_round_trip (GPtrArray *values)
{
  g_autoptr (GBytes) encoded = rtmp_amf0_encode_values (
      (const RtmpAmfValue *const *) values->pdata, values->len);
  g_autoptr (GPtrArray) again = NULL;
  g_autoptr (GError) error = NULL;
  RtmpLimits limits;
  guint i;

  /* the encoder writes the copies made for references inline, each a new
   * reference table entry: the tables may grow, nothing else does */
  rtmp_limits_init_default (&limits);
  limits.amf_max_references = G_MAXUINT;
  again = rtmp_amf0_decode_all (g_bytes_get_data (encoded, NULL),
      g_bytes_get_size (encoded), &limits, &error);
  if (again == NULL) {
    g_printerr ("re-encoded values do not decode: %s\n", error->message);
    abort ();
  }
  if (again->len != values->len) {
    g_printerr ("%u values decoded, %u re-decoded\n", values->len, again->len);
    abort ();
  }
  for (i = 0; i < values->len; i++) {
    if (!rtmp_amf_value_equal (values->pdata[i], again->pdata[i])) {
      g_autofree gchar *a
          = rtmp_amf_value_dump_to_string (values->pdata[i], 1000);
      g_autofree gchar *b
          = rtmp_amf_value_dump_to_string (again->pdata[i], 1000);

      g_printerr ("value %u changed:\n  %s\n  %s\n", i, a, b);
      abort ();
    }
  }
}

static void
check_convert (GPtrArray *values)
{
  guint i;

  for (i = 0; i < values->len; i++) {
    g_autoptr (RtmpAmfValue) converted = rtmp_amf0_convert (values->pdata[i]);
    g_autoptr (RtmpAmfValue) copy = rtmp_amf_value_copy (values->pdata[i]);
    g_autofree gchar *dump = rtmp_amf_value_dump_to_string (converted, 256);
    g_autoptr (GByteArray) out = g_byte_array_new ();

    if (dump == NULL || !rtmp_amf_value_equal (copy, values->pdata[i]))
      abort ();
    rtmp_amf0_encode (out, converted);
  }
}

static void
check_messages (const uint8_t *data, size_t size)
{
  static const guint8 types[] = {
    RTMP_MESSAGE_COMMAND_AMF0,
    RTMP_MESSAGE_COMMAND_AMF3,
    RTMP_MESSAGE_DATA_AMF3,
    RTMP_MESSAGE_SHARED_OBJECT_AMF0,
    RTMP_MESSAGE_SHARED_OBJECT_AMF3,
  };
  g_autoptr (GBytes) payload = g_bytes_new (data, size);
  guint i;

  for (i = 0; i < G_N_ELEMENTS (types); i++) {
    g_autoptr (RtmpMessage) message
        = rtmp_message_new (types[i], 0, 0, 0, payload);
    g_autoptr (GError) error = NULL;

    if (types[i] == RTMP_MESSAGE_COMMAND_AMF0
        || types[i] == RTMP_MESSAGE_COMMAND_AMF3) {
      g_autoptr (RtmpCommand) command
          = rtmp_command_parse (message, NULL, &error);

      if (command != NULL) {
        g_autofree gchar *dump = rtmp_command_dump (command, 200);
        g_autoptr (RtmpMessage) out = rtmp_command_serialize (command, 1);

        if (dump == NULL || out == NULL)
          abort ();
      }
    } else if (types[i] == RTMP_MESSAGE_DATA_AMF3) {
      g_autoptr (GBytes) amf0 = rtmp_data_to_amf0 (message, NULL, &error);

      if (amf0 == NULL && error == NULL)
        abort ();
    } else {
      g_autoptr (RtmpSharedObjectMessage) so
          = rtmp_shared_object_parse (message, &error);

      if (so == NULL && error == NULL)
        abort ();
    }
    if (error != NULL && error->domain != RTMP_ERROR)
      abort ();
  }
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static gboolean initialized = FALSE;
  g_autoptr (GPtrArray) values = NULL;
  g_autoptr (GError) error = NULL;

  if (!initialized) {
    g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
    initialized = TRUE;
  }

  values = rtmp_amf0_decode_all (data, size, NULL, &error);
  if (values == NULL) {
    if (error == NULL || error->domain != RTMP_ERROR)
      abort ();
  } else {
    check_round_trip (values);
    check_convert (values);
  }
  check_messages (data, size);
  return 0;
}
