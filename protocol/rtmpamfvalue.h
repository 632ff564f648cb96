/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The value tree shared by the AMF0 and AMF3 codecs: constructors, accessors,
 * copies, comparison and a one-line dump for logs. */

#ifndef __RTMP_AMF_VALUE_H__
#define __RTMP_AMF_VALUE_H__

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  RTMP_AMF_TYPE_UNDEFINED,
  RTMP_AMF_TYPE_NULL,
  RTMP_AMF_TYPE_BOOLEAN,
  RTMP_AMF_TYPE_NUMBER,        /* IEEE double: AMF0 number, AMF3 double */
  RTMP_AMF_TYPE_INTEGER,       /* AMF3 integer (29-bit signed) */
  RTMP_AMF_TYPE_STRING,        /* AMF0 string and long string, AMF3 string */
  RTMP_AMF_TYPE_OBJECT,        /* fields; optional class name (typed object) */
  RTMP_AMF_TYPE_ECMA_ARRAY,    /* AMF0 ECMA array: fields */
  RTMP_AMF_TYPE_STRICT_ARRAY,  /* AMF0 strict array: items */
  RTMP_AMF_TYPE_ARRAY,         /* AMF3 array: items (dense) + fields */
  RTMP_AMF_TYPE_DATE,          /* milliseconds since the epoch */
  RTMP_AMF_TYPE_XML_DOCUMENT,  /* AMF0 XML document, AMF3 XMLDocument */
  RTMP_AMF_TYPE_XML,           /* AMF3 XML (E4X) */
  RTMP_AMF_TYPE_BYTE_ARRAY,    /* AMF3 ByteArray */
  RTMP_AMF_TYPE_VECTOR_INT,    /* AMF3 Vector.<int>: items are INTEGER */
  RTMP_AMF_TYPE_VECTOR_UINT,   /* AMF3 Vector.<uint>: items are NUMBER */
  RTMP_AMF_TYPE_VECTOR_DOUBLE, /* AMF3 Vector.<Number>: items are NUMBER */
  RTMP_AMF_TYPE_VECTOR_OBJECT, /* AMF3 Vector.<T>: items; class name = T */
  RTMP_AMF_TYPE_DICTIONARY,    /* AMF3 Dictionary: items are key, value, ... */
} RtmpAmfType;

typedef struct _RtmpAmfValue RtmpAmfValue;

/* Constructors: each returns (transfer full) a new value. */
RtmpAmfValue *rtmp_amf_value_new_undefined (void);
RtmpAmfValue *rtmp_amf_value_new_null (void);
RtmpAmfValue *rtmp_amf_value_new_boolean (gboolean value);
RtmpAmfValue *rtmp_amf_value_new_number (gdouble value);
RtmpAmfValue *rtmp_amf_value_new_integer (gint32 value);
/* NUL-terminated UTF-8 (not validated: AMF carries bytes) */
RtmpAmfValue *rtmp_amf_value_new_string (const gchar *value);
/* @len bytes, may contain NUL */
RtmpAmfValue *rtmp_amf_value_new_string_len (const gchar *value, gsize len);
RtmpAmfValue *rtmp_amf_value_new_object (void);
RtmpAmfValue *rtmp_amf_value_new_typed_object (const gchar *class_name);
RtmpAmfValue *rtmp_amf_value_new_ecma_array (void);
RtmpAmfValue *rtmp_amf_value_new_strict_array (void);
RtmpAmfValue *rtmp_amf_value_new_array (void);
/* @timezone_min: AMF0 carries it (and says to send 0); AMF3 drops it */
RtmpAmfValue *rtmp_amf_value_new_date (gdouble ms_since_epoch,
    gint16 timezone_min);
RtmpAmfValue *rtmp_amf_value_new_xml_document (const gchar *xml, gsize len);
RtmpAmfValue *rtmp_amf_value_new_xml (const gchar *xml, gsize len);
RtmpAmfValue *rtmp_amf_value_new_byte_array (const guint8 *data, gsize len);
/* VECTOR_* types; @class_name only for VECTOR_OBJECT (may be NULL) */
RtmpAmfValue *rtmp_amf_value_new_vector (RtmpAmfType type,
    const gchar *class_name, gboolean fixed);
RtmpAmfValue *rtmp_amf_value_new_dictionary (gboolean weak_keys);

void rtmp_amf_value_free (RtmpAmfValue *value);
RtmpAmfValue *rtmp_amf_value_copy (const RtmpAmfValue *value);
gboolean rtmp_amf_value_equal (const RtmpAmfValue *a, const RtmpAmfValue *b);

RtmpAmfType rtmp_amf_value_get_type (const RtmpAmfValue *value);
const gchar *rtmp_amf_type_get_name (RtmpAmfType type);

/* Scalars. Getters on the wrong type are programmer errors
 * (g_return_val_if_fail); check the type first for peer data, or use the
 * lookup helpers below. */
gboolean rtmp_amf_value_get_boolean (const RtmpAmfValue *value);
gdouble rtmp_amf_value_get_number (const RtmpAmfValue *value);
gint32 rtmp_amf_value_get_integer (const RtmpAmfValue *value);
/* STRING, XML_DOCUMENT, XML: borrowed, NUL-terminated; @len (nullable) */
const gchar *rtmp_amf_value_peek_string (const RtmpAmfValue *value, gsize *len);
/* BYTE_ARRAY: borrowed */
const guint8 *rtmp_amf_value_peek_bytes (const RtmpAmfValue *value, gsize *len);
gdouble rtmp_amf_value_get_date (const RtmpAmfValue *value,
    gint16 *timezone_min);
/* OBJECT (typed), VECTOR_OBJECT: NULL when anonymous */
const gchar *rtmp_amf_value_peek_class_name (const RtmpAmfValue *value);

/* NUMBER or INTEGER as a double: FALSE for any other type */
gboolean rtmp_amf_value_to_number (const RtmpAmfValue *value, gdouble *number);

/* Fields (OBJECT, ECMA_ARRAY, ARRAY's associative part), in wire order. */
guint rtmp_amf_value_get_n_fields (const RtmpAmfValue *value);
const RtmpAmfValue *rtmp_amf_value_peek_field_at (const RtmpAmfValue *value,
    guint index, const gchar **name);
/* NULL when absent */
const RtmpAmfValue *rtmp_amf_value_peek_field (const RtmpAmfValue *value,
    const gchar *name);
/* Replaces a field of the same name, or appends: @field (transfer full) */
void rtmp_amf_value_take_field (RtmpAmfValue *value, const gchar *name,
    RtmpAmfValue *field);
void rtmp_amf_value_set_string_field (RtmpAmfValue *value, const gchar *name,
    const gchar *string);
void rtmp_amf_value_set_number_field (RtmpAmfValue *value, const gchar *name,
    gdouble number);
void rtmp_amf_value_set_boolean_field (RtmpAmfValue *value, const gchar *name,
    gboolean boolean);

/* Lookups for peer data: NULL / FALSE when the value is not an object-like
 * value, the field is absent or of another type. */
const gchar *rtmp_amf_value_lookup_string (const RtmpAmfValue *value,
    const gchar *name);
gboolean rtmp_amf_value_lookup_number (const RtmpAmfValue *value,
    const gchar *name, gdouble *number);
gboolean rtmp_amf_value_lookup_boolean (const RtmpAmfValue *value,
    const gchar *name, gboolean *boolean);

/* Items (STRICT_ARRAY, ARRAY's dense part, VECTOR_*, DICTIONARY as
 * key, value pairs flattened). */
guint rtmp_amf_value_get_n_items (const RtmpAmfValue *value);
const RtmpAmfValue *rtmp_amf_value_peek_item (const RtmpAmfValue *value,
    guint index);
/* @item (transfer full) */
void rtmp_amf_value_take_item (RtmpAmfValue *value, RtmpAmfValue *item);

/* AMF3 object traits: the first @n_sealed fields are the sealed members;
 * the rest are dynamic members (only when @is_dynamic). */
void rtmp_amf_value_set_traits (RtmpAmfValue *value, guint n_sealed,
    gboolean is_dynamic);
guint rtmp_amf_value_get_n_sealed (const RtmpAmfValue *value);
gboolean rtmp_amf_value_is_dynamic (const RtmpAmfValue *value);
/* VECTOR_*: fixed-length flag; DICTIONARY: weak keys flag */
gboolean rtmp_amf_value_get_flag (const RtmpAmfValue *value);

/* A readable one-line rendering, for debug logs:
 * {app: "live", objectEncoding: 0, list: [1, "a"]}.
 * Stops after @max_len bytes (0 = no bound) and ends with "...". */
void rtmp_amf_value_dump (const RtmpAmfValue *value, GString *out,
    gsize max_len);
/* (transfer full): a newly allocated dump */
gchar *rtmp_amf_value_dump_to_string (const RtmpAmfValue *value, gsize max_len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtmpAmfValue, rtmp_amf_value_free)

G_END_DECLS

#endif /* __RTMP_AMF_VALUE_H__ */
