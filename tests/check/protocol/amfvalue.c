/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests for the AMF value tree: constructors, accessors, copies, equality,
 * lookups, the one-line dump and the decoder budget. */

#include <gst/check/gstcheck.h>
#include <math.h>

#include "rtmpamfvalue.h"
#include "rtmperror.h"

static RtmpAmfValue *
make_connect_object (void)
{
  RtmpAmfValue *obj = rtmp_amf_value_new_object ();
  RtmpAmfValue *list = rtmp_amf_value_new_strict_array ();

  rtmp_amf_value_set_string_field (obj, "app", "live");
  rtmp_amf_value_set_number_field (obj, "objectEncoding", 0);
  rtmp_amf_value_take_item (list, rtmp_amf_value_new_number (1));
  rtmp_amf_value_take_item (list, rtmp_amf_value_new_string ("a"));
  rtmp_amf_value_take_field (obj, "list", list);
  return obj;
}

GST_START_TEST (test_scalars)
{
  g_autoptr (RtmpAmfValue) u = rtmp_amf_value_new_undefined ();
  g_autoptr (RtmpAmfValue) n = rtmp_amf_value_new_null ();
  g_autoptr (RtmpAmfValue) b = rtmp_amf_value_new_boolean (42);
  g_autoptr (RtmpAmfValue) num = rtmp_amf_value_new_number (2.5);
  g_autoptr (RtmpAmfValue) i = rtmp_amf_value_new_integer (-7);
  g_autoptr (RtmpAmfValue) s = rtmp_amf_value_new_string_len ("a\0b", 3);
  g_autoptr (RtmpAmfValue) d = rtmp_amf_value_new_date (1e12, -60);
  g_autoptr (RtmpAmfValue) x = rtmp_amf_value_new_xml ("<a/>", 4);
  g_autoptr (RtmpAmfValue) xd = rtmp_amf_value_new_xml_document ("<b/>", 4);
  g_autoptr (RtmpAmfValue) ba
      = rtmp_amf_value_new_byte_array ((const guint8 *) "\x00\xff", 2);
  gsize len;
  gint16 tz;
  gdouble number;

  fail_unless_equals_int (rtmp_amf_value_get_type (u), RTMP_AMF_TYPE_UNDEFINED);
  fail_unless_equals_int (rtmp_amf_value_get_type (n), RTMP_AMF_TYPE_NULL);
  fail_unless (rtmp_amf_value_get_boolean (b) == TRUE);
  fail_unless_equals_float (rtmp_amf_value_get_number (num), 2.5);
  fail_unless_equals_int (rtmp_amf_value_get_integer (i), -7);
  fail_unless (memcmp (rtmp_amf_value_peek_string (s, &len), "a\0b", 4) == 0);
  fail_unless_equals_int (len, 3);
  fail_unless_equals_float (rtmp_amf_value_get_date (d, &tz), 1e12);
  fail_unless_equals_int (tz, -60);
  fail_unless_equals_string (rtmp_amf_value_peek_string (x, NULL), "<a/>");
  fail_unless_equals_string (rtmp_amf_value_peek_string (xd, NULL), "<b/>");
  fail_unless (
      memcmp (rtmp_amf_value_peek_bytes (ba, &len), "\x00\xff", 2) == 0);
  fail_unless_equals_int (len, 2);

  fail_unless (rtmp_amf_value_to_number (num, &number));
  fail_unless_equals_float (number, 2.5);
  fail_unless (rtmp_amf_value_to_number (i, &number));
  fail_unless_equals_float (number, -7);
  fail_if (rtmp_amf_value_to_number (s, &number));
  fail_if (rtmp_amf_value_to_number (NULL, &number));

  fail_unless_equals_string (rtmp_amf_type_get_name (RTMP_AMF_TYPE_ECMA_ARRAY),
      "ecma-array");
  fail_unless (rtmp_amf_type_is_container (RTMP_AMF_TYPE_DICTIONARY));
  fail_if (rtmp_amf_type_is_container (RTMP_AMF_TYPE_DATE));
}

GST_END_TEST;

GST_START_TEST (test_fields)
{
  g_autoptr (RtmpAmfValue) obj = make_connect_object ();
  const RtmpAmfValue *field;
  const gchar *name;
  gsize name_len;
  gdouble number;
  gboolean boolean;

  fail_unless_equals_int (rtmp_amf_value_get_n_fields (obj), 3);
  field = rtmp_amf_value_peek_field_at (obj, 1, &name);
  fail_unless_equals_string (name, "objectEncoding");
  fail_unless_equals_float (rtmp_amf_value_get_number (field), 0);
  fail_unless (rtmp_amf_value_peek_field_at (obj, 3, &name) == NULL);

  /* replacing keeps the position */
  rtmp_amf_value_set_number_field (obj, "objectEncoding", 3);
  fail_unless_equals_int (rtmp_amf_value_get_n_fields (obj), 3);
  fail_unless (rtmp_amf_value_lookup_number (obj, "objectEncoding", &number));
  fail_unless_equals_float (number, 3);

  fail_unless_equals_string (rtmp_amf_value_lookup_string (obj, "app"), "live");
  fail_unless (rtmp_amf_value_lookup_string (obj, "objectEncoding") == NULL);
  fail_unless (rtmp_amf_value_lookup_string (obj, "missing") == NULL);
  fail_if (rtmp_amf_value_lookup_number (obj, "app", &number));
  fail_if (rtmp_amf_value_lookup_boolean (obj, "app", &boolean));
  rtmp_amf_value_set_boolean_field (obj, "fpad", FALSE);
  fail_unless (rtmp_amf_value_lookup_boolean (obj, "fpad", &boolean));
  fail_unless (boolean == FALSE);

  /* lookups on peer data of the wrong type are not errors */
  fail_unless (rtmp_amf_value_lookup_string (NULL, "app") == NULL);
  {
    g_autoptr (RtmpAmfValue) s = rtmp_amf_value_new_string ("x");

    fail_unless (rtmp_amf_value_lookup_string (s, "app") == NULL);
    fail_if (rtmp_amf_value_lookup_number (s, "app", &number));
    fail_unless_equals_int (rtmp_amf_value_get_n_fields (s), 0);
    fail_unless_equals_int (rtmp_amf_value_get_n_items (s), 0);
  }

  /* appending keeps duplicates and NUL bytes in names */
  rtmp_amf_value_append_field (obj, "app", 3, rtmp_amf_value_new_null ());
  rtmp_amf_value_append_field (obj, "a\0z", 3, rtmp_amf_value_new_null ());
  fail_unless_equals_int (rtmp_amf_value_get_n_fields (obj), 6);
  fail_unless_equals_string (rtmp_amf_value_lookup_string (obj, "app"), "live");
  rtmp_amf_value_peek_field_at_len (obj, 5, &name, &name_len);
  fail_unless_equals_int (name_len, 3);
  fail_unless (memcmp (name, "a\0z", 4) == 0);
}

GST_END_TEST;

GST_START_TEST (test_items_traits_flags)
{
  g_autoptr (RtmpAmfValue) arr = rtmp_amf_value_new_array ();
  g_autoptr (RtmpAmfValue) obj = rtmp_amf_value_new_typed_object ("Point");
  g_autoptr (RtmpAmfValue) vec
      = rtmp_amf_value_new_vector (RTMP_AMF_TYPE_VECTOR_OBJECT, "Point", TRUE);
  g_autoptr (RtmpAmfValue) dict = rtmp_amf_value_new_dictionary (TRUE);
  gsize len;

  rtmp_amf_value_take_item (arr, rtmp_amf_value_new_integer (1));
  rtmp_amf_value_set_string_field (arr, "k", "v");
  fail_unless_equals_int (rtmp_amf_value_get_n_items (arr), 1);
  fail_unless_equals_int (rtmp_amf_value_get_n_fields (arr), 1);
  fail_unless (rtmp_amf_value_peek_item (arr, 1) == NULL);

  fail_unless_equals_string (rtmp_amf_value_peek_class_name (obj), "Point");
  fail_unless_equals_int (rtmp_amf_value_get_n_sealed (obj), 0);
  fail_unless (rtmp_amf_value_is_dynamic (obj));
  rtmp_amf_value_set_number_field (obj, "x", 1);
  rtmp_amf_value_set_traits (obj, 1, FALSE);
  fail_unless_equals_int (rtmp_amf_value_get_n_sealed (obj), 1);
  fail_if (rtmp_amf_value_is_dynamic (obj));
  rtmp_amf_value_set_class_name (obj, "A\0B", 3);
  fail_unless (
      memcmp (rtmp_amf_value_peek_class_name_len (obj, &len), "A\0B", 4) == 0);
  fail_unless_equals_int (len, 3);
  rtmp_amf_value_set_class_name (obj, NULL, 0);
  fail_unless (rtmp_amf_value_peek_class_name (obj) == NULL);

  fail_unless (rtmp_amf_value_get_flag (vec));
  fail_unless_equals_string (rtmp_amf_value_peek_class_name (vec), "Point");
  fail_unless (rtmp_amf_value_get_flag (dict));
  rtmp_amf_value_take_item (dict, rtmp_amf_value_new_string ("key"));
  rtmp_amf_value_take_item (dict, rtmp_amf_value_new_number (5));
  fail_unless_equals_int (rtmp_amf_value_get_n_items (dict), 2);
}

GST_END_TEST;

GST_START_TEST (test_copy_equal)
{
  g_autoptr (RtmpAmfValue) a = make_connect_object ();
  g_autoptr (RtmpAmfValue) b = rtmp_amf_value_copy (a);
  g_autoptr (RtmpAmfValue) nan1 = rtmp_amf_value_new_number (NAN);
  g_autoptr (RtmpAmfValue) nan2 = rtmp_amf_value_new_number (NAN);
  g_autoptr (RtmpAmfValue) zero = rtmp_amf_value_new_number (0.0);
  g_autoptr (RtmpAmfValue) minus_zero = rtmp_amf_value_new_number (-0.0);
  g_autoptr (RtmpAmfValue) one = rtmp_amf_value_new_number (1);
  g_autoptr (RtmpAmfValue) int_one = rtmp_amf_value_new_integer (1);
  g_autoptr (RtmpAmfValue) t1 = rtmp_amf_value_new_typed_object ("A");
  g_autoptr (RtmpAmfValue) t2 = rtmp_amf_value_new_object ();
  g_autoptr (RtmpAmfValue) d1 = rtmp_amf_value_new_date (5, 0);
  g_autoptr (RtmpAmfValue) d2 = rtmp_amf_value_new_date (5, 60);

  fail_unless (rtmp_amf_value_equal (a, b));
  fail_unless (rtmp_amf_value_equal (NULL, NULL));
  fail_if (rtmp_amf_value_equal (a, NULL));

  /* the copy is deep */
  rtmp_amf_value_set_string_field (b, "app", "other");
  fail_if (rtmp_amf_value_equal (a, b));
  fail_unless_equals_string (rtmp_amf_value_lookup_string (a, "app"), "live");

  fail_unless (rtmp_amf_value_equal (nan1, nan2));
  fail_if (rtmp_amf_value_equal (zero, minus_zero));
  fail_if (rtmp_amf_value_equal (one, int_one));
  fail_if (rtmp_amf_value_equal (t1, t2));
  fail_if (rtmp_amf_value_equal (d1, d2));

  /* field order matters */
  {
    g_autoptr (RtmpAmfValue) x = rtmp_amf_value_new_object ();
    g_autoptr (RtmpAmfValue) y = rtmp_amf_value_new_object ();

    rtmp_amf_value_set_number_field (x, "a", 1);
    rtmp_amf_value_set_number_field (x, "b", 2);
    rtmp_amf_value_set_number_field (y, "b", 2);
    rtmp_amf_value_set_number_field (y, "a", 1);
    fail_if (rtmp_amf_value_equal (x, y));
  }
  /* traits matter */
  {
    g_autoptr (RtmpAmfValue) x = rtmp_amf_value_new_object ();
    g_autoptr (RtmpAmfValue) y = NULL;

    rtmp_amf_value_set_number_field (x, "a", 1);
    y = rtmp_amf_value_copy (x);
    fail_unless (rtmp_amf_value_equal (x, y));
    rtmp_amf_value_set_traits (y, 1, TRUE);
    fail_if (rtmp_amf_value_equal (x, y));
    rtmp_amf_value_set_traits (y, 0, FALSE);
    fail_if (rtmp_amf_value_equal (x, y));
  }
}

GST_END_TEST;

static void
check_dump (const RtmpAmfValue *value, gsize max_len, const gchar *expected,
    gint line)
{
  g_autofree gchar *dump = rtmp_amf_value_dump_to_string (value, max_len);

  if (g_strcmp0 (dump, expected) != 0)
    fail ("line %d: dump '%s', expected '%s'", line, dump, expected);
}

GST_START_TEST (test_dump)
{
  g_autoptr (RtmpAmfValue) obj = make_connect_object ();
  g_autoptr (RtmpAmfValue) typed = rtmp_amf_value_new_typed_object ("Pt");
  g_autoptr (RtmpAmfValue) arr = rtmp_amf_value_new_array ();
  g_autoptr (RtmpAmfValue) vec
      = rtmp_amf_value_new_vector (RTMP_AMF_TYPE_VECTOR_INT, NULL, FALSE);
  g_autoptr (RtmpAmfValue) dict = rtmp_amf_value_new_dictionary (FALSE);
  g_autoptr (RtmpAmfValue) s
      = rtmp_amf_value_new_string_len ("q\"\\\n\x01\xc3\xa9", 7);
  g_autoptr (RtmpAmfValue) scalars = rtmp_amf_value_new_strict_array ();
  g_autoptr (RtmpAmfValue) ecma = rtmp_amf_value_new_ecma_array ();
  GString *out;

  check_dump (obj, 0, "{app: \"live\", objectEncoding: 0, list: [1, \"a\"]}",
      __LINE__);

  rtmp_amf_value_set_number_field (typed, "x", 1.5);
  rtmp_amf_value_set_number_field (typed, "my key", -0.0);
  check_dump (typed, 0, "Pt {x: 1.5, \"my key\": -0}", __LINE__);

  rtmp_amf_value_take_item (arr, rtmp_amf_value_new_integer (-3));
  rtmp_amf_value_set_boolean_field (arr, "ok", TRUE);
  check_dump (arr, 0, "[-3, ok: true]", __LINE__);

  rtmp_amf_value_take_item (vec, rtmp_amf_value_new_integer (7));
  rtmp_amf_value_take_item (vec, rtmp_amf_value_new_integer (8));
  check_dump (vec, 0, "Vector.<int>[7, 8]", __LINE__);

  rtmp_amf_value_take_item (dict, rtmp_amf_value_new_string ("k"));
  rtmp_amf_value_take_item (dict, rtmp_amf_value_new_null ());
  rtmp_amf_value_take_item (dict, rtmp_amf_value_new_number (2));
  rtmp_amf_value_take_item (dict, rtmp_amf_value_new_undefined ());
  check_dump (dict, 0, "Dictionary{\"k\" => null, 2 => undefined}", __LINE__);

  check_dump (s, 0, "\"q\\\"\\\\\\n\\x01\xc3\xa9\"", __LINE__);

  rtmp_amf_value_take_item (scalars, rtmp_amf_value_new_date (1000, 0));
  rtmp_amf_value_take_item (scalars, rtmp_amf_value_new_xml ("<a/>", 4));
  rtmp_amf_value_take_item (scalars,
      rtmp_amf_value_new_byte_array ((const guint8 *) "abc", 3));
  rtmp_amf_value_take_item (scalars, rtmp_amf_value_new_number (1e300));
  check_dump (scalars, 0,
      "[Date(1000), XML(\"<a/>\"), ByteArray(3 bytes), 1e+300]", __LINE__);

  rtmp_amf_value_set_string_field (ecma, "version", "3,5,5,2004");
  check_dump (ecma, 0, "{version: \"3,5,5,2004\"}", __LINE__);

  /* bounded: cut at max_len bytes, then "..." */
  check_dump (obj, 10, "{app: \"liv...", __LINE__);
  check_dump (obj, 1000, "{app: \"live\", objectEncoding: 0, list: [1, \"a\"]}",
      __LINE__);
  /* never half a UTF-8 sequence */
  check_dump (s, 12, "\"q\\\"\\\\\\n\\x01...", __LINE__);

  /* appends to what the string holds; the bound counts only the dump */
  out = g_string_new ("cmd ");
  rtmp_amf_value_dump (obj, out, 5);
  fail_unless_equals_string (out->str, "cmd {app:...");
  g_string_free (out, TRUE);

  /* a huge value stops early */
  {
    g_autoptr (RtmpAmfValue) big = rtmp_amf_value_new_strict_array ();
    g_autofree gchar *dump = NULL;
    guint i;

    for (i = 0; i < 100000; i++)
      rtmp_amf_value_take_item (big, rtmp_amf_value_new_number (i));
    dump = rtmp_amf_value_dump_to_string (big, 64);
    fail_unless_equals_int (strlen (dump), 64 + 3);
    fail_unless (g_str_has_suffix (dump, "..."));
  }
}

GST_END_TEST;

/* found by fuzz-amf0: integral-looking checks cast huge doubles to gint64
 * (undefined behaviour) */
GST_START_TEST (test_dump_huge_numbers)
{
  g_autoptr (RtmpAmfValue) arr = rtmp_amf_value_new_strict_array ();

  rtmp_amf_value_take_item (arr, rtmp_amf_value_new_number (2.923e48));
  rtmp_amf_value_take_item (arr, rtmp_amf_value_new_number (-1e19));
  rtmp_amf_value_take_item (arr, rtmp_amf_value_new_number (NAN));
  rtmp_amf_value_take_item (arr, rtmp_amf_value_new_number (-INFINITY));
  rtmp_amf_value_take_item (arr, rtmp_amf_value_new_number (999999999999999));
  check_dump (arr, 0, "[2.923e+48, -1e+19, nan, -inf, 999999999999999]",
      __LINE__);
}

GST_END_TEST;

GST_START_TEST (test_budget)
{
  RtmpLimits limits;
  RtmpAmfBudget budget;
  g_autoptr (GError) error = NULL;

  rtmp_limits_init_default (&limits);
  limits.amf_max_elements = 10;
  limits.amf_max_bytes = 100;
  limits.amf_max_depth = 3;
  limits.amf_max_references = 2;
  rtmp_amf_budget_init (&budget, "AMF0", &limits);

  fail_unless (rtmp_amf_budget_charge (&budget, 10, 100, 0, &error));
  fail_if (rtmp_amf_budget_charge (&budget, 1, 0, 7, &error));
  fail_unless (g_error_matches (error, RTMP_ERROR, RTMP_ERROR_LIMIT));
  fail_unless_equals_string (error->message,
      "AMF0 at offset 7: 11 decoded values exceed the limit of 10");
  g_clear_error (&error);

  fail_if (rtmp_amf_budget_charge (&budget, 0, 1, 8, &error));
  fail_unless_equals_string (error->message,
      "AMF0 at offset 8: 101 decoded bytes exceed the limit of 100");
  g_clear_error (&error);

  fail_unless (rtmp_amf_budget_check_depth (&budget, 3, 0, &error));
  fail_if (rtmp_amf_budget_check_depth (&budget, 4, 9, &error));
  fail_unless_equals_string (error->message,
      "AMF0 at offset 9: nesting depth 4 exceeds the limit of 3");
  g_clear_error (&error);

  fail_unless (rtmp_amf_budget_check_table (&budget, "string", 1, 0, &error));
  fail_if (rtmp_amf_budget_check_table (&budget, "string", 2, 3, &error));
  fail_unless_equals_string (error->message,
      "AMF0 at offset 3: string reference table would hold 3 entries, more "
      "than the limit of 2");
  g_clear_error (&error);

  /* NULL limits are the defaults */
  rtmp_amf_budget_init (&budget, "AMF3", NULL);
  fail_unless_equals_int (budget.max_elements,
      RTMP_LIMITS_DEFAULT_AMF_MAX_ELEMENTS);
  fail_unless_equals_int (budget.max_depth, RTMP_LIMITS_DEFAULT_AMF_MAX_DEPTH);
}

GST_END_TEST;

static Suite *
amfvalue_suite (void)
{
  Suite *s = suite_create ("amfvalue");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_scalars);
  tcase_add_test (tc, test_fields);
  tcase_add_test (tc, test_items_traits_flags);
  tcase_add_test (tc, test_copy_equal);
  tcase_add_test (tc, test_dump);
  tcase_add_test (tc, test_dump_huge_numbers);
  tcase_add_test (tc, test_budget);
  return s;
}

GST_CHECK_MAIN (amfvalue);
