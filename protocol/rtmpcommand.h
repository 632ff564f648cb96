/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* AMF-encoded messages: commands, data messages and shared objects. */

#ifndef __RTMP_COMMAND_H__
#define __RTMP_COMMAND_H__

#include <glib.h>
#include "rtmpamfvalue.h"
#include "rtmplimits.h"
#include "rtmpmessage.h"

G_BEGIN_DECLS

/* --- commands (§7.1.1, §7.2): AMF0 type 20, AMF3 type 17 --- */

typedef struct
{
  gchar *name;
  gdouble transaction_id;
  /* the command object; an AMF null when the command has none */
  RtmpAmfValue *command_object;
  /* further arguments, RtmpAmfValue * owned by the array */
  GPtrArray *arguments;
} RtmpCommand;

/* @command_object (transfer full, nullable: NULL means AMF null) */
RtmpCommand *rtmp_command_new (const gchar *name, gdouble transaction_id,
    RtmpAmfValue *command_object);
/* @argument (transfer full) */
void rtmp_command_take_argument (RtmpCommand *command, RtmpAmfValue *argument);
/* NULL when @index is out of range */
const RtmpAmfValue *rtmp_command_peek_argument (const RtmpCommand *command,
    guint index);
void rtmp_command_free (RtmpCommand *command);

/* Parses a type 20 or 17 message (type 17: one format byte 0x00, then AMF0
 * values that may switch to AMF3). A missing transaction id (FFmpeg's
 * onFCPublish has none) parses as 0, and so does a null or undefined one;
 * a missing command object as AMF null. The name must be a string. */
RtmpCommand *rtmp_command_parse (const RtmpMessage *message,
    const RtmpLimits *limits, GError **error);
/* AMF0 command (type 20) on @stream_id; csid by rtmp_message_default_csid */
RtmpMessage *rtmp_command_serialize (const RtmpCommand *command,
    guint32 stream_id);
/* "name(txn 1) {…} arg arg" for logs, bounded by @max_len */
gchar *rtmp_command_dump (const RtmpCommand *command, gsize max_len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtmpCommand, rtmp_command_free)

/* --- data messages (§7.1.2): AMF0 type 18, AMF3 type 15 --- */

/* Type 18, or 15 (one format byte 0x00, then AMF0 values that may switch to
 * AMF3). (transfer full): the values, RtmpAmfValue * owned by the array */
GPtrArray *rtmp_data_parse (const RtmpMessage *message,
    const RtmpLimits *limits, GError **error);
/* @values: RtmpAmfValue *; encoded as AMF0 */
GBytes *rtmp_data_serialize (const RtmpAmfValue *const *values, guint n_values);
/* The payload as AMF0 (an FLV script tag body): AMF0 data passes through
 * untouched (a new reference to the same GBytes), AMF3 data (type 15) is
 * decoded, converted with rtmp_amf0_convert () and re-encoded, so the result
 * holds no 0x11 switch. */
GBytes *rtmp_data_to_amf0 (const RtmpMessage *message, const RtmpLimits *limits,
    GError **error);

/* --- shared objects (§7.1.3): parsed so they can be logged or refused --- */

typedef struct
{
  guint8 type;  /* 1 use, 2 release, 3 request change, ... 9 use success */
  GBytes *data; /* the event's data, unparsed */
} RtmpSharedObjectEvent;

typedef struct
{
  gchar *name;
  guint32 version;
  /* the first 4 of the header's 8 flag bytes, big-endian (Red5 reads 2 as
   * persistent); the other 4 are reserved and skipped */
  guint32 flags;
  GArray *events; /* RtmpSharedObjectEvent, data owned */
} RtmpSharedObjectMessage;

/* Type 19, or 16 (whose body starts with one format byte, skipped): name
 * (u16 length + bytes), version u32, flags (8 bytes), then events (type u8,
 * length u32, data) up to the end. Event data are slices of the payload (no
 * copy). Truncation anywhere is RTMP_ERROR_MALFORMED. */
RtmpSharedObjectMessage *rtmp_shared_object_parse (const RtmpMessage *message,
    GError **error);
void rtmp_shared_object_message_free (RtmpSharedObjectMessage *so);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtmpSharedObjectMessage,
    rtmp_shared_object_message_free)

G_END_DECLS

#endif /* __RTMP_COMMAND_H__ */
