/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* AMF-encoded messages: commands, data messages and shared objects. */

#include "rtmpcommand.h"
#include "rtmpamf0.h"
#include "rtmpbytes.h"

#include <string.h>

/* --- commands --- */

RtmpCommand *
rtmp_command_new (const gchar *name, gdouble transaction_id,
    RtmpAmfValue *command_object)
{
  RtmpCommand *command;

  g_return_val_if_fail (name != NULL, NULL);

  command = g_new0 (RtmpCommand, 1);
  command->name = g_strdup (name);
  command->transaction_id = transaction_id;
  command->command_object
      = command_object ? command_object : rtmp_amf_value_new_null ();
  command->arguments
      = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_amf_value_free);
  return command;
}

void
rtmp_command_take_argument (RtmpCommand *command, RtmpAmfValue *argument)
{
  g_return_if_fail (command != NULL);
  g_return_if_fail (argument != NULL);

  g_ptr_array_add (command->arguments, argument);
}

const RtmpAmfValue *
rtmp_command_peek_argument (const RtmpCommand *command, guint index)
{
  g_return_val_if_fail (command != NULL, NULL);

  if (index >= command->arguments->len)
    return NULL;
  return command->arguments->pdata[index];
}

void
rtmp_command_free (RtmpCommand *command)
{
  if (command == NULL)
    return;
  g_free (command->name);
  rtmp_amf_value_free (command->command_object);
  g_ptr_array_unref (command->arguments);
  g_free (command);
}

/* Types 17, 15 and 16 start with one format byte: 0 says AMF0 values follow
 * (which may switch to AMF3 with marker 0x11). */
static gboolean
skip_format_byte (const RtmpMessage *message, const guint8 **data, gsize *len,
    GError **error)
{
  if (*len < 1) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
        "%s message: empty payload, no format byte",
        rtmp_message_type_get_name (message->type));
    return FALSE;
  }
  if ((*data)[0] != 0) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_UNSUPPORTED,
        "%s message: format byte 0x%02x (only 0x00, AMF0 values, is known)",
        rtmp_message_type_get_name (message->type), (*data)[0]);
    return FALSE;
  }
  (*data)++;
  (*len)--;
  return TRUE;
}

/* Decodes the AMF values of a command or data message. */
static GPtrArray *
decode_values (const RtmpMessage *message, gboolean has_format_byte,
    const RtmpLimits *limits, GError **error)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (message->payload, &len);
  GPtrArray *values;

  if (has_format_byte && !skip_format_byte (message, &data, &len, error))
    return NULL;
  values = rtmp_amf0_decode_all (data, len, limits, error);
  if (values == NULL)
    g_prefix_error (error,
        "%s message: ", rtmp_message_type_get_name (message->type));
  return values;
}

RtmpCommand *
rtmp_command_parse (const RtmpMessage *message, const RtmpLimits *limits,
    GError **error)
{
  g_autoptr (GPtrArray) values = NULL;
  RtmpCommand *command;
  const RtmpAmfValue *name, *txn;
  gdouble transaction_id = 0;
  const gchar *name_str;
  gsize name_len;
  guint i;

  g_return_val_if_fail (message != NULL, NULL);

  if (message->type != RTMP_MESSAGE_COMMAND_AMF0
      && message->type != RTMP_MESSAGE_COMMAND_AMF3) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_PROTOCOL,
        "message type %u (%s) is not a command", message->type,
        rtmp_message_type_get_name (message->type));
    return NULL;
  }

  values = decode_values (message, message->type == RTMP_MESSAGE_COMMAND_AMF3,
      limits, error);
  if (values == NULL)
    return NULL;

  if (values->len == 0) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
        "%s message: no command name",
        rtmp_message_type_get_name (message->type));
    return NULL;
  }
  name = values->pdata[0];
  if (rtmp_amf_value_get_type (name) != RTMP_AMF_TYPE_STRING) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
        "%s message: command name is a %s, not a string",
        rtmp_message_type_get_name (message->type),
        rtmp_amf_type_get_name (rtmp_amf_value_get_type (name)));
    return NULL;
  }
  name_str = rtmp_amf_value_peek_string (name, &name_len);

  /* FFmpeg's onFCPublish carries only its name; some servers send null */
  if (values->len > 1) {
    txn = values->pdata[1];
    if (!rtmp_amf_value_to_number (txn, &transaction_id)) {
      RtmpAmfType type = rtmp_amf_value_get_type (txn);

      if (type != RTMP_AMF_TYPE_NULL && type != RTMP_AMF_TYPE_UNDEFINED) {
        g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
            "command \"%.*s\": transaction id is a %s, not a number",
            (gint) MIN (name_len, 64), name_str, rtmp_amf_type_get_name (type));
        return NULL;
      }
      transaction_id = 0;
    }
  }

  command = g_new0 (RtmpCommand, 1);
  command->name = g_strndup (name_str, name_len);
  command->transaction_id = transaction_id;
  command->arguments
      = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_amf_value_free);
  if (values->len > 2) {
    command->command_object = values->pdata[2];
    values->pdata[2] = NULL;
  } else {
    command->command_object = rtmp_amf_value_new_null ();
  }
  for (i = 3; i < values->len; i++) {
    g_ptr_array_add (command->arguments, values->pdata[i]);
    values->pdata[i] = NULL;
  }
  return command;
}

RtmpMessage *
rtmp_command_serialize (const RtmpCommand *command, guint32 stream_id)
{
  GByteArray *out;
  RtmpAmfValue *value;
  guint i;

  g_return_val_if_fail (command != NULL, NULL);
  g_return_val_if_fail (command->name != NULL, NULL);

  out = g_byte_array_new ();
  value = rtmp_amf_value_new_string (command->name);
  rtmp_amf0_encode (out, value);
  rtmp_amf_value_free (value);
  value = rtmp_amf_value_new_number (command->transaction_id);
  rtmp_amf0_encode (out, value);
  rtmp_amf_value_free (value);
  if (command->command_object != NULL) {
    rtmp_amf0_encode (out, command->command_object);
  } else {
    rtmp_bytes_append_u8 (out, RTMP_AMF0_NULL);
  }
  for (i = 0; i < command->arguments->len; i++)
    rtmp_amf0_encode (out, command->arguments->pdata[i]);

  return rtmp_message_new_take (RTMP_MESSAGE_COMMAND_AMF0, 0, stream_id, 0,
      g_byte_array_free_to_bytes (out));
}

/* Appends " " and @value's dump within what is left of @max_len (0: no
 * bound); FALSE once the bound is reached ("..." appended). */
static gboolean
dump_part (GString *out, const RtmpAmfValue *value, gsize max_len)
{
  g_string_append_c (out, ' ');
  if (max_len == 0) {
    rtmp_amf_value_dump (value, out, 0);
    return TRUE;
  }
  if (out->len >= max_len) {
    g_string_truncate (out, max_len);
    g_string_append (out, "...");
    return FALSE;
  }
  rtmp_amf_value_dump (value, out, max_len - out->len);
  return out->len <= max_len;
}

gchar *
rtmp_command_dump (const RtmpCommand *command, gsize max_len)
{
  GString *out;
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];
  guint i;

  g_return_val_if_fail (command != NULL, NULL);

  out = g_string_new (command->name);
  g_string_append_printf (out, "(txn %s)",
      g_ascii_formatd (buf, sizeof (buf), "%.15g", command->transaction_id));
  if (max_len > 0 && out->len > max_len) {
    g_string_truncate (out, max_len);
    g_string_append (out, "...");
    return g_string_free (out, FALSE);
  }
  if (command->command_object != NULL
      && !dump_part (out, command->command_object, max_len))
    return g_string_free (out, FALSE);
  for (i = 0; i < command->arguments->len; i++) {
    if (!dump_part (out, command->arguments->pdata[i], max_len))
      break;
  }
  return g_string_free (out, FALSE);
}

/* --- data messages --- */

GPtrArray *
rtmp_data_parse (const RtmpMessage *message, const RtmpLimits *limits,
    GError **error)
{
  g_return_val_if_fail (message != NULL, NULL);

  if (message->type != RTMP_MESSAGE_DATA_AMF0
      && message->type != RTMP_MESSAGE_DATA_AMF3) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_PROTOCOL,
        "message type %u (%s) is not a data message", message->type,
        rtmp_message_type_get_name (message->type));
    return NULL;
  }
  return decode_values (message, message->type == RTMP_MESSAGE_DATA_AMF3,
      limits, error);
}

GBytes *
rtmp_data_serialize (const RtmpAmfValue *const *values, guint n_values)
{
  return rtmp_amf0_encode_values (values, n_values);
}

GBytes *
rtmp_data_to_amf0 (const RtmpMessage *message, const RtmpLimits *limits,
    GError **error)
{
  g_autoptr (GPtrArray) values = NULL;
  GByteArray *out;
  guint i;

  g_return_val_if_fail (message != NULL, NULL);

  if (message->type == RTMP_MESSAGE_DATA_AMF0)
    return g_bytes_ref (message->payload);

  values = rtmp_data_parse (message, limits, error);
  if (values == NULL)
    return NULL;
  out = g_byte_array_new ();
  for (i = 0; i < values->len; i++) {
    g_autoptr (RtmpAmfValue) converted = rtmp_amf0_convert (values->pdata[i]);

    rtmp_amf0_encode (out, converted);
  }
  return g_byte_array_free_to_bytes (out);
}

/* --- shared objects --- */

static void
clear_event (gpointer data)
{
  RtmpSharedObjectEvent *event = data;

  g_clear_pointer (&event->data, g_bytes_unref);
}

void
rtmp_shared_object_message_free (RtmpSharedObjectMessage *so)
{
  if (so == NULL)
    return;
  g_free (so->name);
  if (so->events != NULL)
    g_array_unref (so->events);
  g_free (so);
}

RtmpSharedObjectMessage *
rtmp_shared_object_parse (const RtmpMessage *message, GError **error)
{
  g_autoptr (RtmpSharedObjectMessage) so = NULL;
  RtmpBytesReader r;
  gsize len;
  const guint8 *data;
  const guint8 *name;
  guint16 name_len;
  const gchar *what = "header";

  g_return_val_if_fail (message != NULL, NULL);

  if (message->type != RTMP_MESSAGE_SHARED_OBJECT_AMF0
      && message->type != RTMP_MESSAGE_SHARED_OBJECT_AMF3) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_PROTOCOL,
        "message type %u (%s) is not a shared object message", message->type,
        rtmp_message_type_get_name (message->type));
    return NULL;
  }

  data = g_bytes_get_data (message->payload, &len);
  rtmp_bytes_reader_init (&r, data, len);
  /* Type 16 starts with one byte before the AMF0 layout (Red5 skips it
   * unread); its value is not checked. */
  if (message->type == RTMP_MESSAGE_SHARED_OBJECT_AMF3) {
    what = "format byte";
    if (!rtmp_bytes_skip (&r, 1))
      goto truncated;
  }

  so = g_new0 (RtmpSharedObjectMessage, 1);
  so->events = g_array_new (FALSE, TRUE, sizeof (RtmpSharedObjectEvent));
  g_array_set_clear_func (so->events, clear_event);

  what = "name";
  if (!rtmp_bytes_read_u16_be (&r, &name_len)
      || !rtmp_bytes_read_pointer (&r, name_len, &name))
    goto truncated;
  so->name = g_strndup ((const gchar *) name, name_len);
  what = "version and flags";
  if (!rtmp_bytes_read_u32_be (&r, &so->version)
      || !rtmp_bytes_read_u32_be (&r, &so->flags) || !rtmp_bytes_skip (&r, 4))
    goto truncated;

  while (rtmp_bytes_reader_remaining (&r) > 0) {
    RtmpSharedObjectEvent event = { 0, NULL };
    guint32 event_len;

    what = "event header";
    if (!rtmp_bytes_read_u8 (&r, &event.type)
        || !rtmp_bytes_read_u32_be (&r, &event_len))
      goto truncated;
    if (event_len > rtmp_bytes_reader_remaining (&r)) {
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
          "%s message \"%s\": event %u (type %u) of %u bytes, only "
          "%" G_GSIZE_FORMAT " left",
          rtmp_message_type_get_name (message->type), so->name, so->events->len,
          event.type, event_len, rtmp_bytes_reader_remaining (&r));
      return NULL;
    }
    event.data = g_bytes_new_from_bytes (message->payload, r.pos, event_len);
    rtmp_bytes_skip (&r, event_len);
    g_array_append_val (so->events, event);
  }
  return g_steal_pointer (&so);

  /* ERRORS */
truncated:
  g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
      "%s message: %s truncated at offset %" G_GSIZE_FORMAT
      " of %" G_GSIZE_FORMAT,
      rtmp_message_type_get_name (message->type), what, r.pos, len);
  return NULL;
}
