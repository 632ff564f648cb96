/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests for the AMF0 decoder and encoder: every marker, byte-exact vectors
 * (tests/files/amf/), every truncation, references and limits. */

#include <gst/check/gstcheck.h>
#include <math.h>

#include "rtmpamf0.h"
#include "rtmpamf3.h"

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

/* Encodes, decodes and compares; returns the encoding. */
static GBytes *
check_round_trip (const RtmpAmfValue *value, gint line)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (RtmpAmfValue) decoded = NULL;
  gsize consumed = 0;

  rtmp_amf0_encode (out, value);
  decoded = rtmp_amf0_decode (out->data, out->len, &consumed, NULL, &error);
  if (decoded == NULL)
    fail ("line %d: decode failed: %s", line, error->message);
  if (consumed != out->len)
    fail ("line %d: consumed %" G_GSIZE_FORMAT " of %u", line, consumed,
        out->len);
  if (!rtmp_amf_value_equal (value, decoded)) {
    g_autofree gchar *a = rtmp_amf_value_dump_to_string (value, 500);
    g_autofree gchar *b = rtmp_amf_value_dump_to_string (decoded, 500);

    fail ("line %d: round trip changed %s into %s", line, a, b);
  }
  return g_bytes_new (out->data, out->len);
}

/* Every strict prefix of one encoded value is an error, never a crash. */
static void
check_truncations_one (const guint8 *data, gsize len, gint line)
{
  gsize n;

  for (n = 0; n < len; n++) {
    g_autoptr (GError) error = NULL;
    g_autofree guint8 *copy = g_memdup2 (data, n);
    g_autoptr (RtmpAmfValue) value = NULL;
    gsize consumed = 0;

    /* a copy of exactly n bytes, so a read past the end is seen by
     * ASan and valgrind */
    value = rtmp_amf0_decode (copy, n, &consumed, NULL, &error);
    if (value != NULL)
      fail ("line %d: prefix of %" G_GSIZE_FORMAT " bytes decoded", line, n);
    fail_unless (error != NULL && error->domain == RTMP_ERROR);
  }
}

/* For a sequence of values: a prefix decodes only when it ends on a value
 * boundary; otherwise it is an error. */
static void
check_truncations_all (const guint8 *data, gsize len, gint line)
{
  g_autoptr (GArray) boundaries = g_array_new (FALSE, FALSE, sizeof (gsize));
  gsize pos = 0, n;
  guint b = 0;

  g_array_append_val (boundaries, pos);
  while (pos < len) {
    gsize consumed;
    g_autoptr (RtmpAmfValue) value
        = rtmp_amf0_decode (data + pos, len - pos, &consumed, NULL, NULL);

    fail_unless (value != NULL);
    pos += consumed;
    g_array_append_val (boundaries, pos);
  }

  for (n = 0; n < len; n++) {
    g_autoptr (GError) error = NULL;
    g_autofree guint8 *copy = g_memdup2 (data, n);
    g_autoptr (GPtrArray) values = rtmp_amf0_decode_all (copy, n, NULL, &error);
    gboolean at_boundary = FALSE;

    while (b < boundaries->len && g_array_index (boundaries, gsize, b) < n)
      b++;
    at_boundary
        = b < boundaries->len && g_array_index (boundaries, gsize, b) == n;
    if (at_boundary) {
      if (values == NULL)
        fail ("line %d: prefix %" G_GSIZE_FORMAT ": %s", line, n,
            error->message);
      fail_unless_equals_int (values->len, b);
    } else {
      if (values != NULL)
        fail ("line %d: prefix of %" G_GSIZE_FORMAT " bytes decoded", line, n);
      fail_unless (error->domain == RTMP_ERROR);
    }
  }
}

static GPtrArray *
decode_all_ok (GBytes *bytes, gint line)
{
  g_autoptr (GError) error = NULL;
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  GPtrArray *values = rtmp_amf0_decode_all (data, len, NULL, &error);

  if (values == NULL)
    fail ("line %d: %s", line, error->message);
  return values;
}

/* Re-encoding decoded values gives the same bytes. */
static void
check_reencode_exact (GPtrArray *values, GBytes *expected, gint line)
{
  g_autoptr (GBytes) encoded = rtmp_amf0_encode_values (
      (const RtmpAmfValue *const *) values->pdata, values->len);

  if (!g_bytes_equal (encoded, expected))
    fail ("line %d: re-encoding differs (%" G_GSIZE_FORMAT
          " vs %" G_GSIZE_FORMAT " bytes)",
        line, g_bytes_get_size (encoded), g_bytes_get_size (expected));
}

static RtmpAmfValue *
decode_error (const guint8 *data, gsize len, const RtmpLimits *limits,
    gint code, GError **error, gint line)
{
  RtmpAmfValue *value = rtmp_amf0_decode (data, len, NULL, limits, error);

  if (value != NULL)
    fail ("line %d: decoded, expected error %d", line, code);
  if (!g_error_matches (*error, RTMP_ERROR, code))
    fail ("line %d: error %s %d (%s), expected %d", line,
        g_quark_to_string ((*error)->domain), (*error)->code, (*error)->message,
        code);
  return NULL;
}

GST_START_TEST (test_round_trip_every_type)
{
  g_autoptr (GPtrArray) values
      = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_amf_value_free);
  RtmpAmfValue *v;
  guint i;

  g_ptr_array_add (values, rtmp_amf_value_new_undefined ());
  g_ptr_array_add (values, rtmp_amf_value_new_null ());
  g_ptr_array_add (values, rtmp_amf_value_new_boolean (TRUE));
  g_ptr_array_add (values, rtmp_amf_value_new_boolean (FALSE));
  g_ptr_array_add (values, rtmp_amf_value_new_number (0));
  g_ptr_array_add (values, rtmp_amf_value_new_number (-0.0));
  g_ptr_array_add (values, rtmp_amf_value_new_number (NAN));
  g_ptr_array_add (values, rtmp_amf_value_new_number (INFINITY));
  g_ptr_array_add (values, rtmp_amf_value_new_number (1e-310));
  g_ptr_array_add (values, rtmp_amf_value_new_string (""));
  g_ptr_array_add (values, rtmp_amf_value_new_string_len ("a\0b", 3));
  g_ptr_array_add (values, rtmp_amf_value_new_date (1300000000000.0, -120));
  g_ptr_array_add (values, rtmp_amf_value_new_xml_document ("<a/>", 4));

  v = rtmp_amf_value_new_object ();
  rtmp_amf_value_set_string_field (v, "app", "live");
  rtmp_amf_value_append_field (v, "app", 3, rtmp_amf_value_new_null ());
  rtmp_amf_value_append_field (v, "n\0l", 3, rtmp_amf_value_new_null ());
  g_ptr_array_add (values, v);
  g_ptr_array_add (values, rtmp_amf_value_new_object ());

  v = rtmp_amf_value_new_typed_object ("flex.Point");
  rtmp_amf_value_set_number_field (v, "x", 1);
  g_ptr_array_add (values, v);
  g_ptr_array_add (values, rtmp_amf_value_new_typed_object (""));

  v = rtmp_amf_value_new_ecma_array ();
  rtmp_amf_value_set_number_field (v, "duration", 12.5);
  g_ptr_array_add (values, v);
  g_ptr_array_add (values, rtmp_amf_value_new_ecma_array ());

  v = rtmp_amf_value_new_strict_array ();
  rtmp_amf_value_take_item (v, rtmp_amf_value_new_number (1));
  rtmp_amf_value_take_item (v, rtmp_amf_value_new_strict_array ());
  g_ptr_array_add (values, v);

  /* AMF3-only types go through the 0x11 switch */
  g_ptr_array_add (values, rtmp_amf_value_new_integer (-5));
  v = rtmp_amf_value_new_array ();
  rtmp_amf_value_take_item (v, rtmp_amf_value_new_integer (1));
  rtmp_amf_value_set_string_field (v, "k", "v");
  g_ptr_array_add (values, v);
  g_ptr_array_add (values, rtmp_amf_value_new_xml ("<x/>", 4));
  g_ptr_array_add (values,
      rtmp_amf_value_new_byte_array ((const guint8 *) "\0\1\2", 3));
  v = rtmp_amf_value_new_vector (RTMP_AMF_TYPE_VECTOR_DOUBLE, NULL, TRUE);
  rtmp_amf_value_take_item (v, rtmp_amf_value_new_number (0.5));
  g_ptr_array_add (values, v);
  v = rtmp_amf_value_new_dictionary (FALSE);
  rtmp_amf_value_take_item (v, rtmp_amf_value_new_number (1));
  rtmp_amf_value_take_item (v, rtmp_amf_value_new_string ("one"));
  g_ptr_array_add (values, v);
  v = rtmp_amf_value_new_typed_object ("Sealed");
  rtmp_amf_value_set_number_field (v, "a", 1);
  rtmp_amf_value_set_traits (v, 1, FALSE);
  g_ptr_array_add (values, v);

  for (i = 0; i < values->len; i++) {
    g_autoptr (GBytes) encoded = check_round_trip (values->pdata[i], __LINE__);
    const guint8 *data = g_bytes_get_data (encoded, NULL);
    RtmpAmfType type = rtmp_amf_value_get_type (values->pdata[i]);

    check_truncations_one (data, g_bytes_get_size (encoded), __LINE__);
    /* the switch is used exactly for what AMF0 cannot carry */
    if (type == RTMP_AMF_TYPE_INTEGER || type == RTMP_AMF_TYPE_ARRAY
        || type == RTMP_AMF_TYPE_XML || type == RTMP_AMF_TYPE_BYTE_ARRAY
        || type == RTMP_AMF_TYPE_VECTOR_DOUBLE
        || type == RTMP_AMF_TYPE_DICTIONARY
        || rtmp_amf_value_get_n_sealed (values->pdata[i]) > 0) {
      fail_unless_equals_int (data[0], RTMP_AMF0_AVMPLUS);
    } else {
      fail_unless (data[0] != RTMP_AMF0_AVMPLUS);
    }
  }

  /* and all of them as one message */
  {
    g_autoptr (GBytes) all = rtmp_amf0_encode_values (
        (const RtmpAmfValue *const *) values->pdata, values->len);
    g_autoptr (GPtrArray) decoded = decode_all_ok (all, __LINE__);

    fail_unless_equals_int (decoded->len, values->len);
    for (i = 0; i < values->len; i++)
      fail_unless (rtmp_amf_value_equal (values->pdata[i], decoded->pdata[i]));
  }
}

GST_END_TEST;

GST_START_TEST (test_encoding_bytes)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autoptr (RtmpAmfValue) obj = rtmp_amf_value_new_object ();
  g_autoptr (RtmpAmfValue) date = rtmp_amf_value_new_date (0, -60);
  g_autoptr (RtmpAmfValue) ecma = rtmp_amf_value_new_ecma_array ();
  g_autoptr (RtmpAmfValue) integer = rtmp_amf_value_new_integer (127);
  static const guint8 expected[] = {
    0x03, 0x00, 0x01, 'a', 0x01, 0x01, 0x00, 0x00, 0x09,       /* {a: true} */
    0x0B, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xC4,                  /* date, tz */
    0x08, 0, 0, 0, 1, 0x00, 0x01, 'b', 0x05, 0x00, 0x00, 0x09, /* ECMA */
    0x11, 0x04, 0x7F,                                          /* AMF3 127 */
  };

  rtmp_amf_value_set_boolean_field (obj, "a", TRUE);
  /* an empty name would end the object: skipped */
  rtmp_amf_value_append_field (obj, "", 0, rtmp_amf_value_new_null ());
  rtmp_amf_value_take_field (ecma, "b", rtmp_amf_value_new_null ());
  rtmp_amf0_encode (out, obj);
  rtmp_amf0_encode (out, date);
  rtmp_amf0_encode (out, ecma);
  rtmp_amf0_encode (out, integer);
  fail_unless_equals_int (out->len, sizeof (expected));
  fail_unless (memcmp (out->data, expected, sizeof (expected)) == 0);
}

GST_END_TEST;

GST_START_TEST (test_fms_connect)
{
  g_autoptr (GBytes) bytes = load_vector ("fms-connect.amf0");
  g_autoptr (GPtrArray) values = decode_all_ok (bytes, __LINE__);
  const RtmpAmfValue *obj;
  gdouble number;
  gboolean boolean;
  const gchar *name;

  fail_unless_equals_int (values->len, 3);
  fail_unless_equals_string (
      rtmp_amf_value_peek_string (values->pdata[0], NULL), "connect");
  fail_unless_equals_float (rtmp_amf_value_get_number (values->pdata[1]), 1);
  obj = values->pdata[2];
  fail_unless_equals_int (rtmp_amf_value_get_type (obj), RTMP_AMF_TYPE_OBJECT);
  fail_unless (rtmp_amf_value_peek_class_name (obj) == NULL);
  fail_unless_equals_int (rtmp_amf_value_get_n_fields (obj), 9);
  fail_unless_equals_string (rtmp_amf_value_lookup_string (obj, "app"),
      "sample");
  fail_unless_equals_string (rtmp_amf_value_lookup_string (obj, "flashVer"),
      "MAC 10,2,153,2");
  fail_unless_equals_string (rtmp_amf_value_lookup_string (obj, "tcUrl"),
      "rtmpt://127.0.0.1/sample");
  fail_unless (rtmp_amf_value_lookup_boolean (obj, "fpad", &boolean));
  fail_unless (boolean == FALSE);
  fail_unless (rtmp_amf_value_lookup_number (obj, "capabilities", &number));
  fail_unless_equals_float (number, 239);
  fail_unless (rtmp_amf_value_lookup_number (obj, "audioCodecs", &number));
  fail_unless_equals_float (number, 3575);
  fail_unless (rtmp_amf_value_lookup_number (obj, "videoCodecs", &number));
  fail_unless_equals_float (number, 252);
  fail_unless (rtmp_amf_value_lookup_number (obj, "videoFunction", &number));
  fail_unless_equals_float (number, 1);
  fail_unless (rtmp_amf_value_lookup_number (obj, "objectEncoding", &number));
  fail_unless_equals_float (number, 3);
  /* wire order is kept */
  rtmp_amf_value_peek_field_at (obj, 0, &name);
  fail_unless_equals_string (name, "app");
  rtmp_amf_value_peek_field_at (obj, 8, &name);
  fail_unless_equals_string (name, "objectEncoding");

  check_reencode_exact (values, bytes, __LINE__);
  check_truncations_all (g_bytes_get_data (bytes, NULL),
      g_bytes_get_size (bytes), __LINE__);
}

GST_END_TEST;

GST_START_TEST (test_fms_connect_result)
{
  g_autoptr (GBytes) bytes = load_vector ("fms-connect-result.amf0");
  g_autoptr (GPtrArray) values = decode_all_ok (bytes, __LINE__);
  const RtmpAmfValue *props, *info, *data;
  gdouble number;

  fail_unless_equals_int (values->len, 4);
  fail_unless_equals_string (
      rtmp_amf_value_peek_string (values->pdata[0], NULL), "_result");
  fail_unless_equals_float (rtmp_amf_value_get_number (values->pdata[1]), 1);

  props = values->pdata[2];
  fail_unless_equals_int (rtmp_amf_value_get_n_fields (props), 3);
  fail_unless_equals_string (rtmp_amf_value_lookup_string (props, "fmsVer"),
      "FMS/3,5,5,2004");
  fail_unless (rtmp_amf_value_lookup_number (props, "capabilities", &number));
  fail_unless_equals_float (number, 31);
  fail_unless (rtmp_amf_value_lookup_number (props, "mode", &number));
  fail_unless_equals_float (number, 1);

  info = values->pdata[3];
  fail_unless_equals_int (rtmp_amf_value_get_n_fields (info), 5);
  fail_unless_equals_string (rtmp_amf_value_lookup_string (info, "level"),
      "status");
  fail_unless_equals_string (rtmp_amf_value_lookup_string (info, "code"),
      "NetConnection.Connect.Success");
  fail_unless_equals_string (rtmp_amf_value_lookup_string (info, "description"),
      "Connection succeeded.");
  fail_unless (rtmp_amf_value_lookup_number (info, "objectEncoding", &number));
  fail_unless_equals_float (number, 3);
  data = rtmp_amf_value_peek_field (info, "data");
  fail_unless (data != NULL);
  fail_unless_equals_int (rtmp_amf_value_get_type (data),
      RTMP_AMF_TYPE_ECMA_ARRAY);
  fail_unless_equals_int (rtmp_amf_value_get_n_fields (data), 1);
  fail_unless_equals_string (rtmp_amf_value_lookup_string (data, "version"),
      "3,5,5,2004");

  check_reencode_exact (values, bytes, __LINE__);
  check_truncations_all (g_bytes_get_data (bytes, NULL),
      g_bytes_get_size (bytes), __LINE__);
}

GST_END_TEST;

GST_START_TEST (test_ecma_count_zero)
{
  g_autoptr (GBytes) bytes = load_vector ("ecma-count-zero.amf0");
  g_autoptr (GPtrArray) values = decode_all_ok (bytes, __LINE__);
  const RtmpAmfValue *meta;
  gdouble number;

  fail_unless_equals_int (values->len, 2);
  meta = values->pdata[1];
  fail_unless_equals_int (rtmp_amf_value_get_type (meta),
      RTMP_AMF_TYPE_ECMA_ARRAY);
  fail_unless_equals_int (rtmp_amf_value_get_n_fields (meta), 4);
  fail_unless (rtmp_amf_value_lookup_number (meta, "width", &number));
  fail_unless_equals_float (number, 640);
  fail_unless (rtmp_amf_value_lookup_number (meta, "height", &number));
  fail_unless_equals_float (number, 360);
  fail_unless_equals_string (rtmp_amf_value_lookup_string (meta, "encoder"),
      "Lavf58");
  check_truncations_all (g_bytes_get_data (bytes, NULL),
      g_bytes_get_size (bytes), __LINE__);

  /* our encoder writes the real count */
  {
    g_autoptr (GByteArray) out = g_byte_array_new ();

    rtmp_amf0_encode (out, meta);
    fail_unless_equals_int (out->data[0], RTMP_AMF0_ECMA_ARRAY);
    fail_unless_equals_int (out->data[4], 4);
  }
}

GST_END_TEST;

GST_START_TEST (test_ecma_count_wrong)
{
  g_autoptr (GBytes) bytes = load_vector ("ecma-count-wrong.amf0");
  g_autoptr (GPtrArray) values = decode_all_ok (bytes, __LINE__);
  gdouble number;

  fail_unless_equals_int (values->len, 1);
  fail_unless_equals_int (rtmp_amf_value_get_n_fields (values->pdata[0]), 1);
  fail_unless (rtmp_amf_value_lookup_number (values->pdata[0], "a", &number));
  fail_unless_equals_float (number, 1);
  check_truncations_one (g_bytes_get_data (bytes, NULL),
      g_bytes_get_size (bytes), __LINE__);
}

GST_END_TEST;

GST_START_TEST (test_all_types_vector)
{
  g_autoptr (GBytes) bytes = load_vector ("all-types.amf0");
  g_autoptr (GPtrArray) values = decode_all_ok (bytes, __LINE__);
  const RtmpAmfValue *arr;
  static const RtmpAmfType types[] = {
    RTMP_AMF_TYPE_NUMBER,
    RTMP_AMF_TYPE_BOOLEAN,
    RTMP_AMF_TYPE_STRING,
    RTMP_AMF_TYPE_OBJECT,
    RTMP_AMF_TYPE_NULL,
    RTMP_AMF_TYPE_UNDEFINED,
    RTMP_AMF_TYPE_ECMA_ARRAY,
    RTMP_AMF_TYPE_STRICT_ARRAY,
    RTMP_AMF_TYPE_DATE,
    RTMP_AMF_TYPE_STRING,
    RTMP_AMF_TYPE_XML_DOCUMENT,
    RTMP_AMF_TYPE_OBJECT,
    RTMP_AMF_TYPE_INTEGER,
  };
  gint16 tz = 1;
  gsize len;
  guint i;

  fail_unless_equals_int (values->len, 1);
  arr = values->pdata[0];
  fail_unless_equals_int (rtmp_amf_value_get_n_items (arr),
      G_N_ELEMENTS (types));
  for (i = 0; i < G_N_ELEMENTS (types); i++)
    fail_unless_equals_int (
        rtmp_amf_value_get_type (rtmp_amf_value_peek_item (arr, i)), types[i]);
  fail_unless_equals_float (
      rtmp_amf_value_get_number (rtmp_amf_value_peek_item (arr, 0)), -1.5);
  fail_unless_equals_float (
      rtmp_amf_value_get_date (rtmp_amf_value_peek_item (arr, 8), &tz),
      1300000000000.0);
  fail_unless_equals_int (tz, 0);
  fail_unless_equals_string (
      rtmp_amf_value_peek_string (rtmp_amf_value_peek_item (arr, 9), &len),
      "long");
  fail_unless_equals_string (
      rtmp_amf_value_peek_class_name (rtmp_amf_value_peek_item (arr, 11)),
      "Point");
  fail_unless_equals_int (
      rtmp_amf_value_get_integer (rtmp_amf_value_peek_item (arr, 12)), 127);
  check_truncations_one (g_bytes_get_data (bytes, NULL),
      g_bytes_get_size (bytes), __LINE__);

  /* every value but the long string ("long" fits a short string) comes back
   * byte for byte */
  {
    g_autoptr (GByteArray) out = g_byte_array_new ();

    rtmp_amf0_encode (out, arr);
    fail_unless_equals_int (out->len, g_bytes_get_size (bytes) - 2);
  }
}

GST_END_TEST;

GST_START_TEST (test_long_string)
{
  gsize n = 70000;
  g_autofree gchar *text = g_malloc (n);
  g_autoptr (RtmpAmfValue) value = NULL;
  g_autoptr (GBytes) encoded = NULL;
  const guint8 *data;
  gsize len;

  memset (text, 'x', n);
  value = rtmp_amf_value_new_string_len (text, n);
  encoded = check_round_trip (value, __LINE__);
  data = g_bytes_get_data (encoded, &len);
  fail_unless_equals_int (len, 1 + 4 + n);
  fail_unless_equals_int (data[0], RTMP_AMF0_LONG_STRING);
  fail_unless_equals_int (data[1], 0x00);
  fail_unless_equals_int (data[2], 0x01);
  fail_unless_equals_int (data[3], 0x11);
  fail_unless_equals_int (data[4], 0x70);

  /* 65535 bytes still fit a short string */
  {
    g_autoptr (RtmpAmfValue) edge = rtmp_amf_value_new_string_len (text, 65535);
    g_autoptr (GBytes) e = check_round_trip (edge, __LINE__);

    fail_unless_equals_int (((const guint8 *) g_bytes_get_data (e, NULL))[0],
        RTMP_AMF0_STRING);
  }
  /* a long string claiming more than there is */
  {
    static const guint8 bad[] = { 0x0C, 0x00, 0x01, 0x00, 0x00, 'a' };
    g_autoptr (GError) error = NULL;

    decode_error (bad, sizeof (bad), NULL, RTMP_ERROR_MALFORMED, &error,
        __LINE__);
    fail_unless (strstr (error->message, "long string truncated") != NULL);
  }
}

GST_END_TEST;

GST_START_TEST (test_reference)
{
  g_autoptr (GBytes) bytes = load_vector ("reference.amf0");
  g_autoptr (GPtrArray) values = decode_all_ok (bytes, __LINE__);
  const RtmpAmfValue *arr, *a, *b;

  arr = values->pdata[0];
  fail_unless_equals_int (rtmp_amf_value_get_n_items (arr), 2);
  a = rtmp_amf_value_peek_item (arr, 0);
  b = rtmp_amf_value_peek_item (arr, 1);
  fail_unless (a != b);
  fail_unless (rtmp_amf_value_equal (a, b));
  check_truncations_one (g_bytes_get_data (bytes, NULL),
      g_bytes_get_size (bytes), __LINE__);

  /* references span the values of one message */
  {
    static const guint8 two[] = {
      0x03,
      0x00,
      0x01,
      'k',
      0x05,
      0x00,
      0x00,
      0x09,
      0x07,
      0x00,
      0x00,
    };
    g_autoptr (GPtrArray) v
        = rtmp_amf0_decode_all (two, sizeof (two), NULL, NULL);

    fail_unless (v != NULL);
    fail_unless_equals_int (v->len, 2);
    fail_unless (rtmp_amf_value_equal (v->pdata[0], v->pdata[1]));
  }
}

GST_END_TEST;

GST_START_TEST (test_reference_errors)
{
  g_autoptr (GBytes) cycle = load_vector ("reference-cycle.amf0");
  g_autoptr (GError) error = NULL;
  /* no object before it */
  static const guint8 unknown[] = { 0x0A, 0, 0, 0, 1, 0x07, 0x00, 0x05 };
  /* a reference to a string (strings are not in the table) */
  static const guint8 to_scalar[] = { 0x02, 0x00, 0x01, 'a', 0x07, 0x00, 0x00 };

  decode_error (g_bytes_get_data (cycle, NULL), g_bytes_get_size (cycle), NULL,
      RTMP_ERROR_MALFORMED, &error, __LINE__);
  fail_unless_equals_string (error->message,
      "property \"self\": AMF0 at "
      "offset 7: reference 0 to an object still being decoded (cycle)");
  g_clear_error (&error);

  decode_error (unknown, sizeof (unknown), NULL, RTMP_ERROR_MALFORMED, &error,
      __LINE__);
  fail_unless_equals_string (error->message,
      "strict array item 0: AMF0 at "
      "offset 5: reference 5, but only 1 objects came before");
  g_clear_error (&error);

  {
    g_autoptr (GPtrArray) v
        = rtmp_amf0_decode_all (to_scalar, sizeof (to_scalar), NULL, &error);

    fail_unless (v == NULL);
    fail_unless (g_error_matches (error, RTMP_ERROR, RTMP_ERROR_MALFORMED));
  }
}

GST_END_TEST;

/* [ {k: "xxx…"}, [ref 1, ref 1], [ref 2, ref 2], … ]: every level doubles
 * what the references copy. */
static GByteArray *
make_reference_bomb (guint levels, gsize string_len)
{
  GByteArray *out = g_byte_array_new ();
  guint i;

  rtmp_bytes_append_u8 (out, RTMP_AMF0_STRICT_ARRAY);
  rtmp_bytes_append_u32_be (out, levels + 1);
  rtmp_bytes_append_u8 (out, RTMP_AMF0_OBJECT);
  rtmp_bytes_append_u16_be (out, 1);
  rtmp_bytes_append_u8 (out, 'k');
  rtmp_bytes_append_u8 (out, RTMP_AMF0_LONG_STRING);
  rtmp_bytes_append_u32_be (out, string_len);
  for (i = 0; i < string_len; i++)
    rtmp_bytes_append_u8 (out, 'x');
  rtmp_bytes_append_u16_be (out, 0);
  rtmp_bytes_append_u8 (out, RTMP_AMF0_OBJECT_END);
  for (i = 0; i < levels; i++) {
    /* table: 0 = outer array, 1 = object, 2 + i = level i */
    rtmp_bytes_append_u8 (out, RTMP_AMF0_STRICT_ARRAY);
    rtmp_bytes_append_u32_be (out, 2);
    rtmp_bytes_append_u8 (out, RTMP_AMF0_REFERENCE);
    rtmp_bytes_append_u16_be (out, i + 1);
    rtmp_bytes_append_u8 (out, RTMP_AMF0_REFERENCE);
    rtmp_bytes_append_u16_be (out, i + 1);
  }
  return out;
}

GST_START_TEST (test_reference_bomb)
{
  g_autoptr (GError) error = NULL;
  RtmpLimits limits;

  /* 40 levels: 2^40 copies, from 400 bytes */
  {
    g_autoptr (GByteArray) bomb = make_reference_bomb (40, 4);

    fail_unless (bomb->len < 500);
    decode_error (bomb->data, bomb->len, NULL, RTMP_ERROR_LIMIT, &error,
        __LINE__);
    fail_unless (strstr (error->message, "exceed the limit of 65536") != NULL,
        "%s", error->message);
    g_clear_error (&error);
  }

  /* bytes: few elements, but each copy holds a 1000-byte string */
  rtmp_limits_init_default (&limits);
  limits.amf_max_bytes = 100000;
  {
    g_autoptr (GByteArray) bomb = make_reference_bomb (12, 1000);

    decode_error (bomb->data, bomb->len, &limits, RTMP_ERROR_LIMIT, &error,
        __LINE__);
    fail_unless (strstr (error->message,
                     "decoded bytes exceed the limit of "
                     "100000")
            != NULL,
        "%s", error->message);
    g_clear_error (&error);
  }

  /* a small one fits */
  {
    g_autoptr (GByteArray) bomb = make_reference_bomb (3, 10);
    g_autoptr (RtmpAmfValue) value
        = rtmp_amf0_decode (bomb->data, bomb->len, NULL, NULL, &error);

    fail_unless (value != NULL);
    /* level 2 holds 2 copies of level 1, each 2 copies of the object */
    fail_unless_equals_int (
        rtmp_amf_value_get_n_items (
            rtmp_amf_value_peek_item (rtmp_amf_value_peek_item (value, 3), 0)),
        2);
  }
}

GST_END_TEST;

static GByteArray *
make_nested_objects (guint depth)
{
  GByteArray *out = g_byte_array_new ();
  guint i;

  rtmp_bytes_append_u8 (out, RTMP_AMF0_OBJECT);
  for (i = 1; i < depth; i++) {
    rtmp_bytes_append_u16_be (out, 1);
    rtmp_bytes_append_u8 (out, 'o');
    rtmp_bytes_append_u8 (out, RTMP_AMF0_OBJECT);
  }
  for (i = 0; i < depth; i++) {
    rtmp_bytes_append_u16_be (out, 0);
    rtmp_bytes_append_u8 (out, RTMP_AMF0_OBJECT_END);
  }
  return out;
}

GST_START_TEST (test_depth_limit)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GByteArray) ok = make_nested_objects (32);
  g_autoptr (GByteArray) deep = make_nested_objects (33);
  g_autoptr (RtmpAmfValue) value = NULL;
  RtmpLimits limits;

  value = rtmp_amf0_decode (ok->data, ok->len, NULL, NULL, &error);
  fail_unless (value != NULL);
  g_clear_pointer (&value, rtmp_amf_value_free);

  decode_error (deep->data, deep->len, NULL, RTMP_ERROR_LIMIT, &error,
      __LINE__);
  fail_unless (g_str_has_suffix (error->message,
                   "nesting depth 33 exceeds the limit of 32"),
      "%s", error->message);
  g_clear_error (&error);

  /* a reference may not carry an object deeper than the limit either: with
   * depth 3, [ [ {} ], [ [ ref 2 ] ] ] needs 4 levels for the copy */
  rtmp_limits_init_default (&limits);
  limits.amf_max_depth = 3;
  {
    static const guint8 bytes[] = {
      0x0A,
      0,
      0,
      0,
      2,
      0x0A,
      0,
      0,
      0,
      1,
      0x03,
      0x00,
      0x00,
      0x09,
      0x0A,
      0,
      0,
      0,
      1,
      0x0A,
      0,
      0,
      0,
      1,
      0x07,
      0x00,
      0x02,
    };

    decode_error (bytes, sizeof (bytes), &limits, RTMP_ERROR_LIMIT, &error,
        __LINE__);
    fail_unless (g_str_has_suffix (error->message,
                     "nesting depth 4 exceeds the limit of 3"),
        "%s", error->message);
    g_clear_error (&error);
    /* one level more is enough */
    limits.amf_max_depth = 4;
    value = rtmp_amf0_decode (bytes, sizeof (bytes), NULL, &limits, &error);
    fail_unless (value != NULL);
  }
}

GST_END_TEST;

GST_START_TEST (test_element_limit)
{
  g_autoptr (GError) error = NULL;
  RtmpLimits limits;
  /* [null, null, null, null, null] is 6 values */
  static const guint8 bytes[] = { 0x0A, 0, 0, 0, 5, 5, 5, 5, 5, 5 };
  g_autoptr (RtmpAmfValue) value = NULL;

  rtmp_limits_init_default (&limits);
  limits.amf_max_elements = 5;
  decode_error (bytes, sizeof (bytes), &limits, RTMP_ERROR_LIMIT, &error,
      __LINE__);
  fail_unless_equals_string (error->message,
      "strict array item 4: AMF0 at "
      "offset 9: 6 decoded values exceed the limit of 5");
  g_clear_error (&error);

  limits.amf_max_elements = 6;
  value = rtmp_amf0_decode (bytes, sizeof (bytes), NULL, &limits, &error);
  fail_unless (value != NULL);

  /* the reference table is bounded too */
  limits.amf_max_references = 1;
  {
    static const guint8 two[] = { 0x0A, 0, 0, 0, 1, 0x03, 0x00, 0x00, 0x09 };

    decode_error (two, sizeof (two), &limits, RTMP_ERROR_LIMIT, &error,
        __LINE__);
    fail_unless (strstr (error->message, "object reference table") != NULL);
    g_clear_error (&error);
  }

  /* a strict array count larger than the bytes left fails at once */
  {
    static const guint8 huge[] = { 0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x05 };

    decode_error (huge, sizeof (huge), NULL, RTMP_ERROR_MALFORMED, &error,
        __LINE__);
    fail_unless_equals_string (error->message,
        "AMF0 at offset 0: strict "
        "array of 4294967295 values in 1 bytes");
  }
}

GST_END_TEST;

GST_START_TEST (test_bad_markers)
{
  static const guint8 movieclip[] = { 0x04 };
  static const guint8 recordset[] = { 0x0E };
  static const guint8 unknown[] = { 0x12 };
  static const guint8 object_end[] = { 0x09 };
  /* empty name followed by something else than object end */
  static const guint8 bad_end[] = { 0x03, 0x00, 0x00, 0x05 };
  /* the object end is missing at the end of the buffer */
  static const guint8 no_end[] = { 0x03, 0x00, 0x01, 'a', 0x05 };
  static const guint8 no_end2[] = { 0x03, 0x00, 0x01, 'a', 0x05, 0x00, 0x00 };
  static const guint8 unsupported[] = { 0x0D };
  g_autoptr (GError) error = NULL;
  g_autoptr (RtmpAmfValue) value = NULL;

  decode_error (movieclip, 1, NULL, RTMP_ERROR_MALFORMED, &error, __LINE__);
  fail_unless_equals_string (error->message,
      "AMF0 at offset 0: movieclip marker 0x04 is reserved");
  g_clear_error (&error);
  decode_error (recordset, 1, NULL, RTMP_ERROR_MALFORMED, &error, __LINE__);
  g_clear_error (&error);
  decode_error (unknown, 1, NULL, RTMP_ERROR_MALFORMED, &error, __LINE__);
  fail_unless_equals_string (error->message,
      "AMF0 at offset 0: unknown marker 0x12");
  g_clear_error (&error);
  decode_error (object_end, 1, NULL, RTMP_ERROR_MALFORMED, &error, __LINE__);
  g_clear_error (&error);
  decode_error (bad_end, sizeof (bad_end), NULL, RTMP_ERROR_MALFORMED, &error,
      __LINE__);
  fail_unless_equals_string (error->message,
      "AMF0 at offset 1: empty "
      "property name followed by marker 0x05, not object end");
  g_clear_error (&error);
  decode_error (no_end, sizeof (no_end), NULL, RTMP_ERROR_MALFORMED, &error,
      __LINE__);
  g_clear_error (&error);
  decode_error (no_end2, sizeof (no_end2), NULL, RTMP_ERROR_MALFORMED, &error,
      __LINE__);
  fail_unless (strstr (error->message, "object end marker truncated"));
  g_clear_error (&error);

  value = rtmp_amf0_decode (unsupported, 1, NULL, NULL, &error);
  fail_unless (value != NULL);
  fail_unless_equals_int (rtmp_amf_value_get_type (value),
      RTMP_AMF_TYPE_UNDEFINED);
}

GST_END_TEST;

GST_START_TEST (test_amf3_switch)
{
  /* two switched values: each has fresh AMF3 reference tables, so the
   * second cannot refer to the first's string */
  static const guint8 fresh[] = {
    0x11,
    0x06,
    0x07,
    'a',
    'b',
    'c',
    0x11,
    0x06,
    0x07,
    'a',
    'b',
    'c',
  };
  static const guint8 cross_ref[] = {
    0x11,
    0x06,
    0x07,
    'a',
    'b',
    'c',
    0x11,
    0x06,
    0x00,
  };
  /* a switch inside an AMF0 object */
  static const guint8 nested[] = {
    0x03,
    0x00,
    0x01,
    'i',
    0x11,
    0x04,
    0x81,
    0x00,
    0x00,
    0x00,
    0x09,
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) values = NULL;
  g_autoptr (RtmpAmfValue) value = NULL;
  gdouble number;

  values = rtmp_amf0_decode_all (fresh, sizeof (fresh), NULL, &error);
  fail_unless (values != NULL);
  fail_unless_equals_int (values->len, 2);
  fail_unless_equals_string (
      rtmp_amf_value_peek_string (values->pdata[1], NULL), "abc");
  g_clear_pointer (&values, g_ptr_array_unref);

  values = rtmp_amf0_decode_all (cross_ref, sizeof (cross_ref), NULL, &error);
  fail_unless (values == NULL);
  fail_unless_equals_string (error->message,
      "value 1: AMF0 at offset 6: "
      "AMF3 value: AMF3 at offset 1: string: string reference 0, but the "
      "table holds 0");
  g_clear_error (&error);

  value = rtmp_amf0_decode (nested, sizeof (nested), NULL, NULL, &error);
  fail_unless (value != NULL);
  fail_unless (rtmp_amf_value_lookup_number (value, "i", &number));
  fail_unless_equals_float (number, 128);
  check_truncations_one (nested, sizeof (nested), __LINE__);
}

GST_END_TEST;

GST_START_TEST (test_convert)
{
  g_autoptr (RtmpAmfValue) arr = rtmp_amf_value_new_array ();
  g_autoptr (RtmpAmfValue) mixed = rtmp_amf_value_new_array ();
  g_autoptr (RtmpAmfValue) obj = rtmp_amf_value_new_typed_object ("T");
  g_autoptr (RtmpAmfValue) dict = rtmp_amf_value_new_dictionary (FALSE);
  g_autoptr (RtmpAmfValue) vec
      = rtmp_amf_value_new_vector (RTMP_AMF_TYPE_VECTOR_INT, NULL, FALSE);
  g_autoptr (RtmpAmfValue) top = rtmp_amf_value_new_ecma_array ();
  g_autoptr (RtmpAmfValue) converted = NULL;
  g_autoptr (GByteArray) out = g_byte_array_new ();
  const RtmpAmfValue *v;
  const gchar *name;
  gdouble number;
  guint i;

  rtmp_amf_value_take_item (arr, rtmp_amf_value_new_integer (1));
  rtmp_amf_value_take_item (arr, rtmp_amf_value_new_xml ("<a/>", 4));
  rtmp_amf_value_take_item (mixed, rtmp_amf_value_new_string ("first"));
  rtmp_amf_value_set_number_field (mixed, "k", 2);
  rtmp_amf_value_set_number_field (obj, "sealed", 1);
  rtmp_amf_value_set_traits (obj, 1, FALSE);
  rtmp_amf_value_take_item (dict, rtmp_amf_value_new_integer (7));
  rtmp_amf_value_take_item (dict,
      rtmp_amf_value_new_byte_array ((const guint8 *) "ab", 2));
  rtmp_amf_value_take_item (vec, rtmp_amf_value_new_integer (-1));
  rtmp_amf_value_take_field (top, "arr", g_steal_pointer (&arr));
  rtmp_amf_value_take_field (top, "mixed", g_steal_pointer (&mixed));
  rtmp_amf_value_take_field (top, "obj", g_steal_pointer (&obj));
  rtmp_amf_value_take_field (top, "dict", g_steal_pointer (&dict));
  rtmp_amf_value_take_field (top, "vec", g_steal_pointer (&vec));

  converted = rtmp_amf0_convert (top);
  rtmp_amf0_encode (out, converted);
  for (i = 0; i < out->len; i++) {
    /* no 0x11 marker anywhere: the only byte 0x11 could be is a marker, as
     * no name, string or number here contains it */
    fail_if (out->data[i] == RTMP_AMF0_AVMPLUS);
  }

  v = rtmp_amf_value_peek_field (converted, "arr");
  fail_unless_equals_int (rtmp_amf_value_get_type (v),
      RTMP_AMF_TYPE_STRICT_ARRAY);
  fail_unless_equals_int (
      rtmp_amf_value_get_type (rtmp_amf_value_peek_item (v, 0)),
      RTMP_AMF_TYPE_NUMBER);
  fail_unless_equals_int (
      rtmp_amf_value_get_type (rtmp_amf_value_peek_item (v, 1)),
      RTMP_AMF_TYPE_XML_DOCUMENT);
  v = rtmp_amf_value_peek_field (converted, "mixed");
  fail_unless_equals_int (rtmp_amf_value_get_type (v),
      RTMP_AMF_TYPE_ECMA_ARRAY);
  rtmp_amf_value_peek_field_at (v, 0, &name);
  fail_unless_equals_string (name, "0");
  fail_unless_equals_string (rtmp_amf_value_lookup_string (v, "0"), "first");
  fail_unless (rtmp_amf_value_lookup_number (v, "k", &number));
  v = rtmp_amf_value_peek_field (converted, "obj");
  fail_unless_equals_int (rtmp_amf_value_get_n_sealed (v), 0);
  fail_unless (rtmp_amf_value_is_dynamic (v));
  fail_unless_equals_string (rtmp_amf_value_peek_class_name (v), "T");
  v = rtmp_amf_value_peek_field (converted, "dict");
  fail_unless_equals_string (rtmp_amf_value_lookup_string (v, "7"), "ab");
  v = rtmp_amf_value_peek_field (converted, "vec");
  fail_unless_equals_int (rtmp_amf_value_get_type (v),
      RTMP_AMF_TYPE_STRICT_ARRAY);
  fail_unless_equals_float (
      rtmp_amf_value_get_number (rtmp_amf_value_peek_item (v, 0)), -1);
}

GST_END_TEST;

/* found by fuzz-amf0: a Dictionary key of 3.17638e+24 was cast to gint64
 * (undefined behaviour) when naming the ECMA array field */
GST_START_TEST (test_convert_huge_dictionary_key)
{
  g_autoptr (RtmpAmfValue) dict = rtmp_amf_value_new_dictionary (FALSE);
  g_autoptr (RtmpAmfValue) converted = NULL;
  const gchar *name;

  rtmp_amf_value_take_item (dict, rtmp_amf_value_new_number (3.17638e+24));
  rtmp_amf_value_take_item (dict, rtmp_amf_value_new_null ());
  rtmp_amf_value_take_item (dict, rtmp_amf_value_new_number (-2));
  rtmp_amf_value_take_item (dict, rtmp_amf_value_new_null ());
  converted = rtmp_amf0_convert (dict);
  rtmp_amf_value_peek_field_at (converted, 0, &name);
  fail_unless_equals_string (name, "3.17638e+24");
  rtmp_amf_value_peek_field_at (converted, 1, &name);
  fail_unless_equals_string (name, "-2");
}

GST_END_TEST;

GST_START_TEST (test_decode_all_empty)
{
  g_autoptr (GPtrArray) values = rtmp_amf0_decode_all (NULL, 0, NULL, NULL);
  g_autoptr (GBytes) none = rtmp_amf0_encode_values (NULL, 0);

  fail_unless (values != NULL);
  fail_unless_equals_int (values->len, 0);
  fail_unless_equals_int (g_bytes_get_size (none), 0);
}

GST_END_TEST;

static Suite *
amf0_suite (void)
{
  Suite *s = suite_create ("amf0");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_round_trip_every_type);
  tcase_add_test (tc, test_encoding_bytes);
  tcase_add_test (tc, test_fms_connect);
  tcase_add_test (tc, test_fms_connect_result);
  tcase_add_test (tc, test_ecma_count_zero);
  tcase_add_test (tc, test_ecma_count_wrong);
  tcase_add_test (tc, test_all_types_vector);
  tcase_add_test (tc, test_long_string);
  tcase_add_test (tc, test_reference);
  tcase_add_test (tc, test_reference_errors);
  tcase_add_test (tc, test_reference_bomb);
  tcase_add_test (tc, test_depth_limit);
  tcase_add_test (tc, test_element_limit);
  tcase_add_test (tc, test_bad_markers);
  tcase_add_test (tc, test_amf3_switch);
  tcase_add_test (tc, test_convert);
  tcase_add_test (tc, test_convert_huge_dictionary_key);
  tcase_add_test (tc, test_decode_all_empty);
  return s;
}

GST_CHECK_MAIN (amf0);
