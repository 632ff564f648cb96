/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: AMF3 values with per-message reference tables. Whatever
 * decodes must re-encode and decode again to an equal value. */

#include <glib.h>
#include <stdint.h>
#include <stdlib.h>

#include "rtmpamf0.h"
#include "rtmpamf3.h"

static void
check_equal (GPtrArray *a, GPtrArray *b, const gchar *what)
{
  guint i;

  if (a->len != b->len) {
    g_printerr ("%s: %u values, then %u\n", what, a->len, b->len);
    abort ();
  }
  for (i = 0; i < a->len; i++) {
    if (!rtmp_amf_value_equal (a->pdata[i], b->pdata[i])) {
      g_autofree gchar *x = rtmp_amf_value_dump_to_string (a->pdata[i], 1000);
      g_autofree gchar *y = rtmp_amf_value_dump_to_string (b->pdata[i], 1000);

      g_printerr ("%s: value %u changed:\n  %s\n  %s\n", what, i, x, y);
      abort ();
    }
  }
}

static GPtrArray *
decode_again (GBytes *encoded, gboolean amf0, const gchar *what)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *again;
  RtmpLimits limits;

  /* copies made for references are written inline, each a new object
   * table entry: the tables may grow, nothing else does */
  rtmp_limits_init_default (&limits);
  limits.amf_max_references = G_MAXUINT;
  if (amf0)
    again = rtmp_amf0_decode_all (g_bytes_get_data (encoded, NULL),
        g_bytes_get_size (encoded), &limits, &error);
  else
    again = rtmp_amf3_decode_all (g_bytes_get_data (encoded, NULL),
        g_bytes_get_size (encoded), &limits, &error);
  if (again == NULL) {
    g_printerr ("%s: re-encoded values do not decode: %s\n", what,
        error->message);
    abort ();
  }
  return again;
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

  values = rtmp_amf3_decode_all (data, size, NULL, &error);
  if (values == NULL) {
    if (error == NULL || error->domain != RTMP_ERROR)
      abort ();
  } else {
    g_autoptr (GBytes) amf3 = rtmp_amf3_encode_values (
        (const RtmpAmfValue *const *) values->pdata, values->len);
    g_autoptr (GBytes) amf0 = rtmp_amf0_encode_values (
        (const RtmpAmfValue *const *) values->pdata, values->len);
    g_autoptr (GPtrArray) from_amf3 = decode_again (amf3, FALSE, "AMF3");
    g_autoptr (GPtrArray) from_amf0 = decode_again (amf0, TRUE, "AMF0");

    check_equal (values, from_amf3, "AMF3");
    /* through AMF0 and its 0x11 switches too */
    check_equal (values, from_amf0, "AMF0");
  }

  /* one value with fresh tables */
  {
    g_autoptr (GError) e = NULL;
    gsize consumed = 0;
    g_autoptr (RtmpAmfValue) value
        = rtmp_amf3_decode (data, size, &consumed, NULL, &e);

    if (value != NULL && consumed > size)
      abort ();
    if (value != NULL) {
      g_autofree gchar *dump = rtmp_amf_value_dump_to_string (value, 300);

      if (dump == NULL)
        abort ();
    }
  }
  return 0;
}
