/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The value tree shared by the AMF0 and AMF3 codecs: constructors, accessors,
 * copies, comparison and a one-line dump for logs. */

#ifndef __RTMP_AMF_VALUE_H__
#define __RTMP_AMF_VALUE_H__

#include <glib.h>
#include "rtmplimits.h"

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
/* Same, with the length (class names from the wire may hold NUL bytes) */
const gchar *rtmp_amf_value_peek_class_name_len (const RtmpAmfValue *value,
    gsize *len);
/* OBJECT, VECTOR_OBJECT: @name of @len bytes (-1: NUL-terminated), NULL
 * makes the value anonymous */
void rtmp_amf_value_set_class_name (RtmpAmfValue *value, const gchar *name,
    gssize len);

/* NUMBER or INTEGER as a double: FALSE for any other type */
gboolean rtmp_amf_value_to_number (const RtmpAmfValue *value, gdouble *number);

/* Fields (OBJECT, ECMA_ARRAY, ARRAY's associative part), in wire order. */
guint rtmp_amf_value_get_n_fields (const RtmpAmfValue *value);
const RtmpAmfValue *rtmp_amf_value_peek_field_at (const RtmpAmfValue *value,
    guint index, const gchar **name);
/* Like peek_field_at, for names that may hold NUL bytes (decoded names keep
 * every byte they had on the wire): @name_len (nullable) */
const RtmpAmfValue *rtmp_amf_value_peek_field_at_len (const RtmpAmfValue *value,
    guint index, const gchar **name, gsize *name_len);
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
/* Appends without looking for a field of the same name (decoders keep
 * duplicates and wire order, in linear time): @name is @name_len bytes,
 * @field (transfer full). Field names must not be empty: AMF0 and AMF3 end
 * their field lists with an empty name. */
void rtmp_amf_value_append_field (RtmpAmfValue *value, const gchar *name,
    gsize name_len, RtmpAmfValue *field);

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
 * the rest are dynamic members (only when @is_dynamic). New objects have no
 * sealed members and are dynamic, which is all AMF0 can carry: the AMF0
 * encoder switches to AMF3 for objects with other traits. */
void rtmp_amf_value_set_traits (RtmpAmfValue *value, guint n_sealed,
    gboolean is_dynamic);
guint rtmp_amf_value_get_n_sealed (const RtmpAmfValue *value);
gboolean rtmp_amf_value_is_dynamic (const RtmpAmfValue *value);
/* VECTOR_*: fixed-length flag; DICTIONARY: weak keys flag */
gboolean rtmp_amf_value_get_flag (const RtmpAmfValue *value);

/* True for the types that hold other values (objects, arrays, vectors,
 * dictionaries) */
gboolean rtmp_amf_type_is_container (RtmpAmfType type);

/* A readable one-line rendering, for debug logs:
 * {app: "live", objectEncoding: 0, list: [1, "a"]}.
 * Stops after @max_len bytes (0 = no bound) and ends with "..." (so at most
 * @max_len + 3 bytes are appended). */
void rtmp_amf_value_dump (const RtmpAmfValue *value, GString *out,
    gsize max_len);
/* (transfer full): a newly allocated dump */
gchar *rtmp_amf_value_dump_to_string (const RtmpAmfValue *value, gsize max_len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtmpAmfValue, rtmp_amf_value_free)

/* --- decoder accounting, shared by the AMF0 and AMF3 decoders --- */

/* What the decode of one message has used of its RtmpLimits. Every value
 * decoded counts one element, and every copy made for a reference counts
 * all the elements it copies; strings, byte arrays, field names and class
 * names count their bytes. An AMF0 message that switches to AMF3 (marker
 * 0x11) charges one budget across both codecs. */
typedef struct
{
  const gchar *codec; /* "AMF0", "AMF3": prefix of error messages */
  guint max_depth;
  guint max_elements;
  guint max_references;
  gsize max_bytes;
  guint n_elements;
  gsize n_bytes;
} RtmpAmfBudget;

/* @limits (nullable): NULL means the defaults */
void rtmp_amf_budget_init (RtmpAmfBudget *budget, const gchar *codec,
    const RtmpLimits *limits);
/* Adds @n_elements and @n_bytes; RTMP_ERROR_LIMIT naming @offset and the
 * numbers when a limit is passed. */
gboolean rtmp_amf_budget_charge (RtmpAmfBudget *budget, guint n_elements,
    gsize n_bytes, gsize offset, GError **error);
/* RTMP_ERROR_LIMIT when @depth containers nested in each other exceed
 * amf_max_depth. */
gboolean rtmp_amf_budget_check_depth (RtmpAmfBudget *budget, guint depth,
    gsize offset, GError **error);
/* RTMP_ERROR_LIMIT when a reference table named @table would grow past
 * amf_max_references by adding one more entry to its @n_entries. */
gboolean rtmp_amf_budget_check_table (RtmpAmfBudget *budget, const gchar *table,
    guint n_entries, gsize offset, GError **error);

G_END_DECLS

#endif /* __RTMP_AMF_VALUE_H__ */
