/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests for the AMF3 decoder and encoder: every type, U29 edges, reference
 * tables, byte-exact vectors (tests/files/amf/), truncations and limits. */

#include <gst/check/gstcheck.h>
#include <math.h>

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

static RtmpAmfValue *
decode_ok (const guint8 *data, gsize len, gint line)
{
  g_autoptr (GError) error = NULL;
  gsize consumed = 0;
  RtmpAmfValue *value = rtmp_amf3_decode (data, len, &consumed, NULL, &error);

  if (value == NULL)
    fail ("line %d: %s", line, error->message);
  if (consumed != len)
    fail ("line %d: consumed %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT, line,
        consumed, len);
  return value;
}

static void
decode_error (const guint8 *data, gsize len, const RtmpLimits *limits,
    gint code, GError **error, gint line)
{
  g_autoptr (RtmpAmfValue) value
      = rtmp_amf3_decode (data, len, NULL, limits, error);

  if (value != NULL)
    fail ("line %d: decoded, expected error %d", line, code);
  if (!g_error_matches (*error, RTMP_ERROR, code))
    fail ("line %d: error %d (%s), expected %d", line, (*error)->code,
        (*error)->message, code);
}

/* Every strict prefix of one value is an error, never a crash. */
static void
check_truncations (const guint8 *data, gsize len, gint line)
{
  gsize n;

  for (n = 0; n < len; n++) {
    g_autoptr (GError) error = NULL;
    g_autofree guint8 *copy = g_memdup2 (data, n);
    g_autoptr (RtmpAmfValue) value
        = rtmp_amf3_decode (copy, n, NULL, NULL, &error);

    if (value != NULL)
      fail ("line %d: prefix of %" G_GSIZE_FORMAT " bytes decoded", line, n);
    fail_unless (error != NULL && error->domain == RTMP_ERROR);
  }
}

static GBytes *
check_round_trip (const RtmpAmfValue *value, gint line)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autoptr (RtmpAmfValue) decoded = NULL;

  rtmp_amf3_encode (out, value);
  decoded = decode_ok (out->data, out->len, line);
  if (!rtmp_amf_value_equal (value, decoded)) {
    g_autofree gchar *a = rtmp_amf_value_dump_to_string (value, 500);
    g_autofree gchar *b = rtmp_amf_value_dump_to_string (decoded, 500);

    fail ("line %d: round trip changed %s into %s", line, a, b);
  }
  check_truncations (out->data, out->len, line);
  return g_bytes_new (out->data, out->len);
}

/* Decodes a vector file whole, checks every truncation and, when @exact,
 * that the encoder writes the same bytes back. */
static RtmpAmfValue *
check_vector (const gchar *name, gboolean exact, gint line)
{
  g_autoptr (GBytes) bytes = load_vector (name);
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  RtmpAmfValue *value = decode_ok (data, len, line);
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autoptr (RtmpAmfValue) again = NULL;

  check_truncations (data, len, line);
  rtmp_amf3_encode (out, value);
  again = decode_ok (out->data, out->len, line);
  fail_unless (rtmp_amf_value_equal (value, again));
  if (exact && (out->len != len || memcmp (out->data, data, len) != 0))
    fail ("line %d: %s re-encodes differently", line, name);
  return value;
}

GST_START_TEST (test_round_trip_every_type)
{
  g_autoptr (GPtrArray) values
      = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_amf_value_free);
  RtmpAmfValue *v, *inner;
  guint i;

  g_ptr_array_add (values, rtmp_amf_value_new_undefined ());
  g_ptr_array_add (values, rtmp_amf_value_new_null ());
  g_ptr_array_add (values, rtmp_amf_value_new_boolean (FALSE));
  g_ptr_array_add (values, rtmp_amf_value_new_boolean (TRUE));
  g_ptr_array_add (values, rtmp_amf_value_new_integer (0));
  g_ptr_array_add (values, rtmp_amf_value_new_integer (RTMP_AMF3_INTEGER_MIN));
  g_ptr_array_add (values, rtmp_amf_value_new_number (-0.0));
  g_ptr_array_add (values, rtmp_amf_value_new_number (NAN));
  g_ptr_array_add (values, rtmp_amf_value_new_number (3));
  g_ptr_array_add (values, rtmp_amf_value_new_string (""));
  g_ptr_array_add (values, rtmp_amf_value_new_string_len ("x\0y", 3));
  g_ptr_array_add (values, rtmp_amf_value_new_xml_document ("<a/>", 4));
  g_ptr_array_add (values, rtmp_amf_value_new_date (-1e3, 0));
  g_ptr_array_add (values, rtmp_amf_value_new_xml ("", 0));
  g_ptr_array_add (values, rtmp_amf_value_new_byte_array (NULL, 0));
  g_ptr_array_add (values,
      rtmp_amf_value_new_byte_array ((const guint8 *) "\xff\x00", 2));

  v = rtmp_amf_value_new_array ();
  rtmp_amf_value_take_item (v, rtmp_amf_value_new_string ("dense"));
  rtmp_amf_value_take_item (v, rtmp_amf_value_new_string ("dense"));
  rtmp_amf_value_set_string_field (v, "dense", "assoc");
  g_ptr_array_add (values, v);
  g_ptr_array_add (values, rtmp_amf_value_new_array ());

  /* anonymous dynamic, typed sealed, typed sealed + dynamic, and the same
   * traits twice (the second written as a traits reference) */
  v = rtmp_amf_value_new_object ();
  rtmp_amf_value_set_number_field (v, "a", 1);
  g_ptr_array_add (values, v);
  v = rtmp_amf_value_new_array ();
  for (i = 0; i < 2; i++) {
    inner = rtmp_amf_value_new_typed_object ("Point");
    rtmp_amf_value_set_number_field (inner, "x", i);
    rtmp_amf_value_set_number_field (inner, "y", i);
    rtmp_amf_value_set_traits (inner, 2, FALSE);
    rtmp_amf_value_take_item (v, inner);
  }
  inner = rtmp_amf_value_new_typed_object ("Point");
  rtmp_amf_value_set_number_field (inner, "x", 5);
  rtmp_amf_value_set_traits (inner, 1, TRUE);
  rtmp_amf_value_set_string_field (inner, "extra", "Point");
  rtmp_amf_value_take_item (v, inner);
  inner = rtmp_amf_value_new_object ();
  rtmp_amf_value_set_traits (inner, 0, FALSE);
  rtmp_amf_value_take_item (v, inner);
  g_ptr_array_add (values, v);

  v = rtmp_amf_value_new_vector (RTMP_AMF_TYPE_VECTOR_INT, NULL, TRUE);
  rtmp_amf_value_take_item (v, rtmp_amf_value_new_integer (G_MININT32));
  rtmp_amf_value_take_item (v, rtmp_amf_value_new_integer (G_MAXINT32));
  g_ptr_array_add (values, v);
  v = rtmp_amf_value_new_vector (RTMP_AMF_TYPE_VECTOR_UINT, NULL, FALSE);
  rtmp_amf_value_take_item (v, rtmp_amf_value_new_number (4294967295.0));
  g_ptr_array_add (values, v);
  v = rtmp_amf_value_new_vector (RTMP_AMF_TYPE_VECTOR_DOUBLE, NULL, FALSE);
  rtmp_amf_value_take_item (v, rtmp_amf_value_new_number (-1.25));
  g_ptr_array_add (values, v);
  v = rtmp_amf_value_new_vector (RTMP_AMF_TYPE_VECTOR_OBJECT, "Point", FALSE);
  rtmp_amf_value_take_item (v, rtmp_amf_value_new_null ());
  g_ptr_array_add (values, v);
  g_ptr_array_add (values,
      rtmp_amf_value_new_vector (RTMP_AMF_TYPE_VECTOR_OBJECT, NULL, TRUE));
  v = rtmp_amf_value_new_dictionary (TRUE);
  rtmp_amf_value_take_item (v, rtmp_amf_value_new_object ());
  rtmp_amf_value_take_item (v, rtmp_amf_value_new_integer (1));
  g_ptr_array_add (values, v);

  for (i = 0; i < values->len; i++)
    g_bytes_unref (check_round_trip (values->pdata[i], __LINE__));

  /* all of them in one message, sharing the tables */
  {
    g_autoptr (GBytes) all = rtmp_amf3_encode_values (
        (const RtmpAmfValue *const *) values->pdata, values->len);
    g_autoptr (GError) error = NULL;
    g_autoptr (GPtrArray) decoded = rtmp_amf3_decode_all (
        g_bytes_get_data (all, NULL), g_bytes_get_size (all), NULL, &error);

    fail_unless (decoded != NULL, "%s", error ? error->message : "");
    fail_unless_equals_int (decoded->len, values->len);
    for (i = 0; i < values->len; i++)
      fail_unless (rtmp_amf_value_equal (values->pdata[i], decoded->pdata[i]));
  }
}

GST_END_TEST;

typedef struct
{
  gint32 value;
  guint8 bytes[6];
  gsize len;
} IntegerVector;

GST_START_TEST (test_u29_edges)
{
  static const IntegerVector vectors[] = {
    { 0, { 0x04, 0x00 }, 2 },
    { 0x7F, { 0x04, 0x7F }, 2 },
    { 0x80, { 0x04, 0x81, 0x00 }, 3 },
    { 0x3FFF, { 0x04, 0xFF, 0x7F }, 3 },
    { 0x4000, { 0x04, 0x81, 0x80, 0x00 }, 4 },
    { 0x1FFFFF, { 0x04, 0xFF, 0xFF, 0x7F }, 4 },
    { 0x200000, { 0x04, 0x80, 0xC0, 0x80, 0x00 }, 5 },
    { 0x0FFFFFFF, { 0x04, 0xBF, 0xFF, 0xFF, 0xFF }, 5 },
    { -1, { 0x04, 0xFF, 0xFF, 0xFF, 0xFF }, 5 },
    { -0x10000000, { 0x04, 0xC0, 0x80, 0x80, 0x00 }, 5 },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (vectors); i++) {
    g_autoptr (RtmpAmfValue) value
        = rtmp_amf_value_new_integer (vectors[i].value);
    g_autoptr (GByteArray) out = g_byte_array_new ();
    g_autoptr (RtmpAmfValue) decoded = NULL;

    rtmp_amf3_encode (out, value);
    if (out->len != vectors[i].len
        || memcmp (out->data, vectors[i].bytes, out->len) != 0)
      fail ("integer %d encoded wrong", vectors[i].value);
    decoded = decode_ok (vectors[i].bytes, vectors[i].len, __LINE__);
    fail_unless_equals_int (rtmp_amf_value_get_integer (decoded),
        vectors[i].value);
    check_truncations (vectors[i].bytes, vectors[i].len, __LINE__);
  }

  /* past 29 bits an integer is written as a double */
  {
    g_autoptr (RtmpAmfValue) big = rtmp_amf_value_new_integer (0x10000000);
    g_autoptr (GByteArray) out = g_byte_array_new ();
    g_autoptr (RtmpAmfValue) decoded = NULL;

    rtmp_amf3_encode (out, big);
    fail_unless_equals_int (out->len, 9);
    fail_unless_equals_int (out->data[0], RTMP_AMF3_DOUBLE);
    decoded = decode_ok (out->data, out->len, __LINE__);
    fail_unless_equals_float (rtmp_amf_value_get_number (decoded), 268435456.0);
  }

  /* the raw U29 reader: the fourth byte carries 8 bits */
  {
    static const guint8 max[] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xAA };
    RtmpBytesReader r;
    guint32 v;

    rtmp_bytes_reader_init (&r, max, sizeof (max));
    fail_unless (rtmp_amf3_read_u29 (&r, &v));
    fail_unless_equals_int (v, RTMP_AMF3_U29_MAX);
    fail_unless_equals_int (r.pos, 4);
    rtmp_bytes_reader_init (&r, max, 3);
    fail_if (rtmp_amf3_read_u29 (&r, &v));
    fail_unless_equals_int (r.pos, 0);
  }
}

GST_END_TEST;

GST_START_TEST (test_string_references)
{
  g_autoptr (RtmpAmfValue) value
      = check_vector ("string-references.amf3", TRUE, __LINE__);
  guint i;

  fail_unless_equals_int (rtmp_amf_value_get_n_items (value), 4);
  for (i = 0; i < 4; i++)
    fail_unless_equals_string (
        rtmp_amf_value_peek_string (rtmp_amf_value_peek_item (value, i), NULL),
        i < 2 ? "abc" : "");

  /* the empty string never enters the table: ref 0 after "" is unknown */
  {
    static const guint8 bytes[] = { 0x09, 0x05, 0x01, 0x06, 0x01, 0x06, 0x00 };
    g_autoptr (GError) error = NULL;

    decode_error (bytes, sizeof (bytes), NULL, RTMP_ERROR_MALFORMED, &error,
        __LINE__);
    fail_unless_equals_string (error->message,
        "array item 1: AMF3 at offset "
        "6: string: string reference 0, but the table holds 0");
  }
}

GST_END_TEST;

GST_START_TEST (test_object_references)
{
  g_autoptr (RtmpAmfValue) value
      = check_vector ("object-reference.amf3", FALSE, __LINE__);
  const RtmpAmfValue *a, *b;
  gdouble number;

  fail_unless_equals_int (rtmp_amf_value_get_n_items (value), 2);
  a = rtmp_amf_value_peek_item (value, 0);
  b = rtmp_amf_value_peek_item (value, 1);
  fail_unless (a != b);
  fail_unless (rtmp_amf_value_equal (a, b));
  fail_unless (rtmp_amf_value_lookup_number (b, "a", &number));
  fail_unless_equals_float (number, 1);
  fail_unless (rtmp_amf_value_is_dynamic (b));

  /* dates, XML and byte arrays are in the object table too */
  {
    g_autoptr (RtmpAmfValue) dates
        = check_vector ("date-reference.amf3", FALSE, __LINE__);

    fail_unless (rtmp_amf_value_equal (rtmp_amf_value_peek_item (dates, 0),
        rtmp_amf_value_peek_item (dates, 1)));
    fail_unless_equals_float (
        rtmp_amf_value_get_date (rtmp_amf_value_peek_item (dates, 1), NULL),
        1300000000000.0);
  }
  {
    /* [ByteArray "ab", XML "<x/>", ref 1, ref 2] */
    static const guint8 bytes[] = {
      0x09,
      0x09,
      0x01,
      0x0C,
      0x05,
      'a',
      'b',
      0x0B,
      0x09,
      '<',
      'x',
      '/',
      '>',
      0x0C,
      0x02,
      0x0B,
      0x04,
    };
    g_autoptr (RtmpAmfValue) v = decode_ok (bytes, sizeof (bytes), __LINE__);

    fail_unless (rtmp_amf_value_equal (rtmp_amf_value_peek_item (v, 0),
        rtmp_amf_value_peek_item (v, 2)));
    fail_unless (rtmp_amf_value_equal (rtmp_amf_value_peek_item (v, 1),
        rtmp_amf_value_peek_item (v, 3)));
    check_truncations (bytes, sizeof (bytes), __LINE__);
  }
}

GST_END_TEST;

GST_START_TEST (test_traits_references)
{
  g_autoptr (RtmpAmfValue) value
      = check_vector ("traits-reference.amf3", TRUE, __LINE__);
  guint i;

  for (i = 0; i < 2; i++) {
    const RtmpAmfValue *p = rtmp_amf_value_peek_item (value, i);
    const gchar *name;

    fail_unless_equals_string (rtmp_amf_value_peek_class_name (p), "Point");
    fail_unless_equals_int (rtmp_amf_value_get_n_sealed (p), 2);
    fail_if (rtmp_amf_value_is_dynamic (p));
    fail_unless_equals_int (
        rtmp_amf_value_get_integer (rtmp_amf_value_peek_field_at (p, 1, &name)),
        2 * i + 2);
    fail_unless_equals_string (name, "y");
  }

  /* a traits reference past the table */
  {
    static const guint8 bytes[] = { 0x0A, 0x05 };
    g_autoptr (GError) error = NULL;

    decode_error (bytes, sizeof (bytes), NULL, RTMP_ERROR_MALFORMED, &error,
        __LINE__);
    fail_unless_equals_string (error->message,
        "AMF3 at offset 0: traits reference 1, but the table holds 0");
  }
}

GST_END_TEST;

GST_START_TEST (test_cycle_refused)
{
  g_autoptr (GBytes) bytes = load_vector ("object-reference-cycle.amf3");
  g_autoptr (GError) error = NULL;

  decode_error (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), NULL,
      RTMP_ERROR_MALFORMED, &error, __LINE__);
  fail_unless_equals_string (error->message,
      "member \"self\": AMF3 at offset "
      "8: object: object reference 0 to a value still being decoded (cycle)");
}

GST_END_TEST;

GST_START_TEST (test_externalizable_refused)
{
  g_autoptr (GBytes) bytes = load_vector ("externalizable.amf3");
  g_autoptr (GError) error = NULL;

  decode_error (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), NULL,
      RTMP_ERROR_UNSUPPORTED, &error, __LINE__);
  fail_unless_equals_string (error->message,
      "AMF3 at offset 0: "
      "externalizable object of class \"flex.messaging.io.ArrayCollection\"");
}

GST_END_TEST;

GST_START_TEST (test_all_types_vector)
{
  g_autoptr (RtmpAmfValue) value
      = check_vector ("all-types.amf3", TRUE, __LINE__);
  static const RtmpAmfType types[] = {
    RTMP_AMF_TYPE_UNDEFINED,
    RTMP_AMF_TYPE_NULL,
    RTMP_AMF_TYPE_BOOLEAN,
    RTMP_AMF_TYPE_BOOLEAN,
    RTMP_AMF_TYPE_INTEGER,
    RTMP_AMF_TYPE_NUMBER,
    RTMP_AMF_TYPE_STRING,
    RTMP_AMF_TYPE_XML_DOCUMENT,
    RTMP_AMF_TYPE_DATE,
    RTMP_AMF_TYPE_ARRAY,
    RTMP_AMF_TYPE_OBJECT,
    RTMP_AMF_TYPE_XML,
    RTMP_AMF_TYPE_BYTE_ARRAY,
    RTMP_AMF_TYPE_VECTOR_INT,
    RTMP_AMF_TYPE_VECTOR_UINT,
    RTMP_AMF_TYPE_VECTOR_DOUBLE,
    RTMP_AMF_TYPE_VECTOR_OBJECT,
    RTMP_AMF_TYPE_DICTIONARY,
  };
  const RtmpAmfValue *v;
  guint i;

  fail_unless_equals_int (rtmp_amf_value_get_n_items (value),
      G_N_ELEMENTS (types));
  for (i = 0; i < G_N_ELEMENTS (types); i++)
    fail_unless_equals_int (
        rtmp_amf_value_get_type (rtmp_amf_value_peek_item (value, i)),
        types[i]);

  fail_unless_equals_int (
      rtmp_amf_value_get_integer (rtmp_amf_value_peek_item (value, 4)), -2);
  v = rtmp_amf_value_peek_item (value, 10);
  fail_unless_equals_string (rtmp_amf_value_peek_class_name (v), "Typed");
  fail_unless_equals_int (rtmp_amf_value_get_n_sealed (v), 1);
  fail_unless (rtmp_amf_value_is_dynamic (v));
  fail_unless_equals_int (rtmp_amf_value_get_n_fields (v), 2);
  v = rtmp_amf_value_peek_item (value, 13);
  fail_unless_equals_int (
      rtmp_amf_value_get_integer (rtmp_amf_value_peek_item (v, 0)), -1);
  v = rtmp_amf_value_peek_item (value, 14);
  fail_unless (rtmp_amf_value_get_flag (v));
  fail_unless_equals_float (
      rtmp_amf_value_get_number (rtmp_amf_value_peek_item (v, 0)),
      4294967295.0);
  v = rtmp_amf_value_peek_item (value, 16);
  fail_unless_equals_string (rtmp_amf_value_peek_class_name (v), "Typed");
  v = rtmp_amf_value_peek_item (value, 17);
  fail_unless_equals_string (
      rtmp_amf_value_peek_string (rtmp_amf_value_peek_item (v, 0), NULL),
      "key");
  fail_unless_equals_int (
      rtmp_amf_value_get_integer (rtmp_amf_value_peek_item (v, 1)), 9);
}

GST_END_TEST;

GST_START_TEST (test_dates)
{
  g_autoptr (RtmpAmfValue) date = rtmp_amf_value_new_date (1e12, 0);
  g_autoptr (GBytes) bytes = check_round_trip (date, __LINE__);
  const guint8 *data = g_bytes_get_data (bytes, NULL);

  fail_unless_equals_int (g_bytes_get_size (bytes), 10);
  fail_unless_equals_int (data[0], RTMP_AMF3_DATE);
  fail_unless_equals_int (data[1], 0x01);
  fail_unless_equals_int (data[2], 0x42);

  /* AMF3 has no timezone: it is dropped */
  {
    g_autoptr (RtmpAmfValue) tz = rtmp_amf_value_new_date (5, 120);
    g_autoptr (GByteArray) out = g_byte_array_new ();
    g_autoptr (RtmpAmfValue) back = NULL;
    gint16 minutes = 1;

    rtmp_amf3_encode (out, tz);
    back = decode_ok (out->data, out->len, __LINE__);
    fail_unless_equals_float (rtmp_amf_value_get_date (back, &minutes), 5);
    fail_unless_equals_int (minutes, 0);
  }
}

GST_END_TEST;

GST_START_TEST (test_long_string)
{
  gsize n = 70000;
  g_autofree gchar *text = g_malloc (n);
  g_autoptr (RtmpAmfValue) value = NULL;
  g_autoptr (GBytes) bytes = NULL;
  const guint8 *data;

  memset (text, 'y', n);
  value = rtmp_amf_value_new_string_len (text, n);
  {
    /* not check_round_trip (): every truncation of 70 kB is slow under
     * valgrind; the header's truncations and the last byte are enough */
    g_autoptr (GByteArray) out = g_byte_array_new ();
    g_autoptr (RtmpAmfValue) decoded = NULL;
    g_autoptr (GError) error = NULL;

    rtmp_amf3_encode (out, value);
    decoded = decode_ok (out->data, out->len, __LINE__);
    fail_unless (rtmp_amf_value_equal (value, decoded));
    check_truncations (out->data, 5, __LINE__);
    decode_error (out->data, out->len - 1, NULL, RTMP_ERROR_MALFORMED, &error,
        __LINE__);
    fail_unless_equals_string (error->message,
        "AMF3 at offset 1: string of "
        "70000 bytes, only 69999 left");
    bytes = g_bytes_new (out->data, out->len);
  }
  data = g_bytes_get_data (bytes, NULL);
  /* U29 of 70000 << 1 | 1 = 140001 takes three bytes */
  fail_unless_equals_int (g_bytes_get_size (bytes), 1 + 3 + n);
  fail_unless_equals_int (data[0], RTMP_AMF3_STRING);
  fail_unless_equals_int (data[1], 0x88);
  fail_unless_equals_int (data[2], 0xC5);
  fail_unless_equals_int (data[3], 0x61);
}

GST_END_TEST;

GST_START_TEST (test_decode_all_shares_tables)
{
  /* "abc", then a reference to it in the next value of the message */
  static const guint8 bytes[] = { 0x06, 0x07, 'a', 'b', 'c', 0x06, 0x00 };
  g_autoptr (GPtrArray) values
      = rtmp_amf3_decode_all (bytes, sizeof (bytes), NULL, NULL);

  fail_unless (values != NULL);
  fail_unless_equals_int (values->len, 2);
  fail_unless_equals_string (
      rtmp_amf_value_peek_string (values->pdata[1], NULL), "abc");
  /* one value alone has fresh tables */
  {
    g_autoptr (GError) error = NULL;

    decode_error (bytes + 5, 2, NULL, RTMP_ERROR_MALFORMED, &error, __LINE__);
  }
}

GST_END_TEST;

GST_START_TEST (test_reference_bomb)
{
  /* [ [s], [ref 1, ref 1], [ref 2, ref 2], ... ] doubles at every level */
  g_autoptr (GByteArray) bomb = g_byte_array_new ();
  g_autoptr (GError) error = NULL;
  guint i, levels = 40;

  rtmp_bytes_append_u8 (bomb, RTMP_AMF3_ARRAY);
  rtmp_amf3_append_u29 (bomb, ((levels + 1) << 1) | 1);
  rtmp_bytes_append_u8 (bomb, 0x01);
  rtmp_bytes_append_u8 (bomb, RTMP_AMF3_ARRAY);
  rtmp_bytes_append_u8 (bomb, 0x03);
  rtmp_bytes_append_u8 (bomb, 0x01);
  rtmp_bytes_append_u8 (bomb, RTMP_AMF3_STRING);
  rtmp_bytes_append_u8 (bomb, 0x07);
  rtmp_bytes_append (bomb, "abc", 3);
  for (i = 0; i < levels; i++) {
    rtmp_bytes_append_u8 (bomb, RTMP_AMF3_ARRAY);
    rtmp_bytes_append_u8 (bomb, 0x05);
    rtmp_bytes_append_u8 (bomb, 0x01);
    rtmp_bytes_append_u8 (bomb, RTMP_AMF3_ARRAY);
    rtmp_amf3_append_u29 (bomb, (i + 1) << 1);
    rtmp_bytes_append_u8 (bomb, RTMP_AMF3_ARRAY);
    rtmp_amf3_append_u29 (bomb, (i + 1) << 1);
  }
  fail_unless (bomb->len < 500);
  decode_error (bomb->data, bomb->len, NULL, RTMP_ERROR_LIMIT, &error,
      __LINE__);
  fail_unless (strstr (error->message,
                   "decoded values exceed the limit of "
                   "65536")
          != NULL,
      "%s", error->message);
}

GST_END_TEST;

GST_START_TEST (test_limits)
{
  RtmpLimits limits;
  g_autoptr (GError) error = NULL;
  g_autoptr (GByteArray) deep = g_byte_array_new ();
  guint i;

  rtmp_limits_init_default (&limits);

  /* depth: 33 nested arrays */
  for (i = 0; i < 33; i++) {
    rtmp_bytes_append_u8 (deep, RTMP_AMF3_ARRAY);
    rtmp_bytes_append_u8 (deep, i < 32 ? 0x03 : 0x01);
    rtmp_bytes_append_u8 (deep, 0x01);
  }
  decode_error (deep->data, deep->len, NULL, RTMP_ERROR_LIMIT, &error,
      __LINE__);
  fail_unless (g_str_has_suffix (error->message,
                   "nesting depth 33 exceeds the limit of 32"),
      "%s", error->message);
  g_clear_error (&error);
  limits.amf_max_depth = 33;
  {
    g_autoptr (RtmpAmfValue) v
        = rtmp_amf3_decode (deep->data, deep->len, NULL, &limits, &error);

    fail_unless (v != NULL);
  }

  /* string table: 3 distinct strings with a limit of 2 */
  limits.amf_max_references = 2;
  {
    static const guint8 bytes[] = {
      0x09,
      0x07,
      0x01,
      0x06,
      0x03,
      'a',
      0x06,
      0x03,
      'b',
      0x06,
      0x03,
      'c',
    };

    decode_error (bytes, sizeof (bytes), &limits, RTMP_ERROR_LIMIT, &error,
        __LINE__);
    fail_unless (strstr (error->message,
                     "string reference table would hold "
                     "3 entries, more than the limit of 2")
            != NULL,
        "%s", error->message);
    g_clear_error (&error);
  }
  /* traits table */
  limits.amf_max_references = 3;
  {
    /* [A{}, B{}]: objects 0..2 fit, the second traits entry fits, a third
     * object does not */
    static const guint8 bytes[] = {
      0x09,
      0x07,
      0x01,
      0x0A,
      0x03,
      0x03,
      'A',
      0x0A,
      0x03,
      0x03,
      'B',
      0x0A,
      0x03,
      0x03,
      'C',
    };

    decode_error (bytes, sizeof (bytes), &limits, RTMP_ERROR_LIMIT, &error,
        __LINE__);
    g_clear_error (&error);
  }
  /* bytes: a string bigger than the limit */
  rtmp_limits_init_default (&limits);
  limits.amf_max_bytes = 3;
  {
    static const guint8 bytes[] = { 0x06, 0x09, 'a', 'b', 'c', 'd' };

    decode_error (bytes, sizeof (bytes), &limits, RTMP_ERROR_LIMIT, &error,
        __LINE__);
    fail_unless_equals_string (error->message,
        "AMF3 at offset 0: 4 decoded "
        "bytes exceed the limit of 3");
    g_clear_error (&error);
  }
}

GST_END_TEST;

GST_START_TEST (test_malformed)
{
  static const guint8 unknown[] = { 0x12 };
  /* Vector.<double> of 2^27 - 1 items in 8 bytes: refused before any loop */
  static const guint8 big_vector[] = {
    0x0F,
    0xBF,
    0xFF,
    0xFF,
    0xFF,
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
  static const guint8 big_array[] = { 0x09, 0xBF, 0xFF, 0xFF, 0xFF, 0x01 };
  static const guint8 big_traits[] = { 0x0A, 0xBF, 0xFF, 0xFF, 0xF3, 0x01 };
  static const guint8 bad_object_ref[] = { 0x0A, 0x02 };
  g_autoptr (GError) error = NULL;

  decode_error (unknown, 1, NULL, RTMP_ERROR_MALFORMED, &error, __LINE__);
  fail_unless_equals_string (error->message,
      "AMF3 at offset 0: unknown marker 0x12");
  g_clear_error (&error);
  decode_error (big_vector, sizeof (big_vector), NULL, RTMP_ERROR_MALFORMED,
      &error, __LINE__);
  fail_unless_equals_string (error->message,
      "AMF3 at offset 0: vector of 134217727 items in 8 bytes");
  g_clear_error (&error);
  decode_error (big_array, sizeof (big_array), NULL, RTMP_ERROR_MALFORMED,
      &error, __LINE__);
  g_clear_error (&error);
  decode_error (big_traits, sizeof (big_traits), NULL, RTMP_ERROR_MALFORMED,
      &error, __LINE__);
  g_clear_error (&error);
  decode_error (bad_object_ref, sizeof (bad_object_ref), NULL,
      RTMP_ERROR_MALFORMED, &error, __LINE__);
  fail_unless_equals_string (error->message,
      "AMF3 at offset 0: object: "
      "object reference 1, but the table holds 0");
}

GST_END_TEST;

static Suite *
amf3_suite (void)
{
  Suite *s = suite_create ("amf3");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_round_trip_every_type);
  tcase_add_test (tc, test_u29_edges);
  tcase_add_test (tc, test_string_references);
  tcase_add_test (tc, test_object_references);
  tcase_add_test (tc, test_traits_references);
  tcase_add_test (tc, test_cycle_refused);
  tcase_add_test (tc, test_externalizable_refused);
  tcase_add_test (tc, test_all_types_vector);
  tcase_add_test (tc, test_dates);
  tcase_add_test (tc, test_long_string);
  tcase_add_test (tc, test_decode_all_shares_tables);
  tcase_add_test (tc, test_reference_bomb);
  tcase_add_test (tc, test_limits);
  tcase_add_test (tc, test_malformed);
  return s;
}

GST_CHECK_MAIN (amf3);
