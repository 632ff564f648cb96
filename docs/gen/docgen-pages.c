/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtmp-docgen: the Markdown reference pages (docs/reference/<element>.md): the
 * hotdoc comments read from the C sources, the properties, signals, pad
 * templates, statistics fields and the bus messages the element posts. */

#include "docgen.h"

#include <gio/gio.h>
#include <stdlib.h>
#include <string.h>

/* How long the probe that records an element's bus messages may take */
#define PROBE_TIMEOUT_S 10

/* --- hotdoc comments read from the C sources --- */

static void
doc_block_free (gpointer data)
{
  DocgenBlock *block = data;

  g_free (block->body);
  g_free (block->since);
  g_free (block);
}

/* One comment's lines with the leading " * " removed */
static gchar **
comment_lines (const gchar *start, const gchar *end)
{
  gchar *text = g_strndup (start, end - start);
  gchar **lines = g_strsplit (text, "\n", -1);
  guint i;

  g_free (text);
  for (i = 0; lines[i]; i++) {
    gchar *l = lines[i];
    gchar *p = l;

    while (*p == ' ' || *p == '\t')
      p++;
    if (*p == '*') {
      p++;
      if (*p == ' ')
        p++;
    } else {
      p = l;
    }
    memmove (l, p, strlen (p) + 1);
    g_strchomp (l);
  }
  return lines;
}

/* Reads every "/ **" comment of @path whose first line names a SECTION, a
 * property (Type:name:) or a signal (Type::name:) into @blocks */
static void
parse_doc_comments (const gchar *path, GHashTable *blocks)
{
  gchar *contents = NULL;
  const gchar *p;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return;

  for (p = strstr (contents, "/**"); p; p = strstr (p, "/**")) {
    const gchar *end = strstr (p + 3, "*/");
    gchar **lines;
    gchar *key = NULL;
    GString *body;
    DocgenBlock *block;
    guint i;

    if (end == NULL)
      break;
    lines = comment_lines (p + 3, end);
    p = end + 2;

    for (i = 0; lines[i] && lines[i][0] == '\0'; i++)
      ;
    if (lines[i] == NULL) {
      g_strfreev (lines);
      continue;
    }
    if (g_str_has_prefix (lines[i], "SECTION:")) {
      key = g_strdup (lines[i]);
    } else if (g_regex_match_simple ("^[A-Za-z_][A-Za-z0-9_]*::?[a-z0-9-]+:$",
                   lines[i], 0, 0)) {
      key = g_strndup (lines[i], strlen (lines[i]) - 1);
    } else {
      g_strfreev (lines);
      continue;
    }

    block = g_new0 (DocgenBlock, 1);
    body = g_string_new (NULL);
    for (i++; lines[i]; i++) {
      const gchar *l = lines[i];

      if (g_str_has_prefix (l, "@title:")
          || g_str_has_prefix (l, "@short_description:")
          || g_str_has_prefix (l, "@see_also:")
          || g_str_has_prefix (l, "@symbols:"))
        continue;
      if (g_str_has_prefix (l, "Since:")) {
        g_free (block->since);
        block->since = g_strstrip (g_strdup (l + strlen ("Since:")));
        continue;
      }
      g_string_append (body, l);
      g_string_append_c (body, '\n');
    }
    block->body = g_strstrip (g_string_free (body, FALSE));
    g_hash_table_replace (blocks, key, block);
    g_strfreev (lines);
  }
  g_free (contents);
}

GHashTable *
docgen_load_doc_comments (const gchar *source_root)
{
  GHashTable *blocks
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, doc_block_free);
  gchar *dir_path = g_build_filename (source_root, "gst", NULL);
  GDir *dir = g_dir_open (dir_path, 0, NULL);
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const gchar *name;
  guint i;

  while (dir && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, ".c"))
      g_ptr_array_add (names, g_strdup (name));
  if (dir)
    g_dir_close (dir);
  /* later files win on duplicate keys: make that order fixed */
  g_ptr_array_sort (names, docgen_compare_strings);
  for (i = 0; i < names->len; i++) {
    gchar *path = g_build_filename (dir_path, names->pdata[i], NULL);

    parse_doc_comments (path, blocks);
    g_free (path);
  }
  g_ptr_array_unref (names);
  g_free (dir_path);
  return blocks;
}

/* --- Markdown --- */

/* "#GstRtmpSink:chunk-size" -> a link to that property's section */
static void
append_reference (GString *out, const DocgenLinks *links, const gchar *type,
    const gchar *sep, const gchar *member)
{
  const gchar *element = g_hash_table_lookup (links->type_names, type);

  if (member == NULL) {
    g_string_append_printf (out, "`%s`", type);
  } else if (element == NULL) {
    g_string_append_printf (out, "`%s%s%s`", type, sep, member);
  } else if (g_strcmp0 (element, links->element) == 0) {
    g_string_append_printf (out, "[`%s`](#%s)", member, member);
  } else {
    g_string_append_printf (out, "[`%s`](%s.md#%s)", member, element, member);
  }
}

static gboolean
is_ident_char (gchar c)
{
  return g_ascii_isalnum (c) || c == '_';
}

/* gtk-doc inline markup of one line outside code blocks: #Type, #Type:prop,
 * #Type::signal, %CONSTANT; text inside `backticks` is left alone */
static void
append_inline (GString *out, const gchar *line, const DocgenLinks *links)
{
  const gchar *p = line;
  gboolean in_code = FALSE;

  while (*p) {
    if (*p == '`') {
      in_code = !in_code;
      g_string_append_c (out, *p++);
      continue;
    }
    if (!in_code && *p == '#' && (g_ascii_isalpha (p[1]) || p[1] == '_')
        && (p == line || !is_ident_char (p[-1]))) {
      const gchar *start = p + 1, *q = start;
      gchar *type, *member = NULL;
      const gchar *sep = NULL;

      while (is_ident_char (*q))
        q++;
      type = g_strndup (start, q - start);
      if (q[0] == ':' && q[1] == ':' && g_ascii_isalnum (q[2])) {
        sep = "::";
        q += 2;
      } else if (q[0] == ':' && g_ascii_isalnum (q[1])) {
        sep = ":";
        q += 1;
      }
      if (sep) {
        const gchar *m = q;

        while (g_ascii_isalnum (*q) || *q == '-')
          q++;
        /* a sentence's final '-' is not part of the name */
        while (q > m && q[-1] == '-')
          q--;
        member = g_strndup (m, q - m);
      }
      append_reference (out, links, type, sep, member);
      g_free (type);
      g_free (member);
      p = q;
      continue;
    }
    if (!in_code && *p == '%' && g_ascii_isupper (p[1])
        && (p == line || !is_ident_char (p[-1]))) {
      const gchar *q = p + 1;

      while (is_ident_char (*q))
        q++;
      g_string_append_printf (out, "`%.*s`", (gint) (q - p - 1), p + 1);
      p = q;
      continue;
    }
    g_string_append_c (out, *p++);
  }
}

/* A hotdoc comment body as Markdown: |[ ... ]| become fenced blocks */
static gchar *
doc_to_markdown (const gchar *body, const DocgenLinks *links)
{
  GString *out = g_string_new (NULL);
  gchar **lines = g_strsplit (body, "\n", -1);
  gboolean in_block = FALSE;
  guint i;

  for (i = 0; lines[i]; i++) {
    const gchar *l = lines[i];

    if (!in_block && g_str_has_prefix (l, "|[")) {
      const gchar *rest = l + 2;
      const gchar *lang = "";
      gchar *lang_copy = NULL;

      /* |[<!-- language="C" --> */
      if (g_str_has_prefix (rest, "<!--")) {
        const gchar *close = strstr (rest, "-->");
        const gchar *q = strstr (rest, "language=\"");

        if (q && close && q < close) {
          const gchar *qe = strchr (q + 10, '"');

          if (qe)
            lang = lang_copy = g_ascii_strdown (q + 10, qe - (q + 10));
        }
        rest = close ? close + 3 : rest + strlen (rest);
      }
      /* a fence needs a blank line before it */
      if (out->len > 0 && !g_str_has_suffix (out->str, "\n\n"))
        g_string_append_c (out, '\n');
      g_string_append_printf (out, "```%s\n", lang);
      g_free (lang_copy);
      if (*rest)
        g_string_append_printf (out, "%s\n", rest);
      in_block = TRUE;
      continue;
    }
    if (in_block) {
      const gchar *close = strstr (l, "]|");

      if (close) {
        gchar *after;

        if (close > l)
          g_string_append_printf (out, "%.*s\n", (gint) (close - l), l);
        g_string_append (out, "```\n");
        after = g_strstrip (g_strdup (close + 2));
        if (*after) {
          g_string_append_c (out, '\n');
          append_inline (out, after, links);
          g_string_append_c (out, '\n');
        }
        g_free (after);
        in_block = FALSE;
      } else {
        g_string_append_printf (out, "%s\n", l);
      }
      continue;
    }
    append_inline (out, l, links);
    g_string_append_c (out, '\n');
  }
  if (in_block)
    g_string_append (out, "```\n");
  g_strfreev (lines);
  return g_string_free (out, FALSE);
}

/* Text for a table cell: one line, '|' escaped */
static gchar *
cell (const gchar *text)
{
  GString *out = g_string_new (NULL);
  const gchar *p;

  for (p = text ? text : ""; *p; p++) {
    if (*p == '|')
      g_string_append (out, "\\|");
    else if (*p == '\n')
      g_string_append_c (out, ' ');
    else
      g_string_append_c (out, *p);
  }
  return g_string_free (out, FALSE);
}

static const gchar *
changeable_text (GParamSpec *spec)
{
  if (!(spec->flags & G_PARAM_WRITABLE))
    return "read-only";
  if (spec->flags & GST_PARAM_MUTABLE_PLAYING)
    return "any state";
  if (spec->flags & GST_PARAM_MUTABLE_PAUSED)
    return "NULL to PAUSED";
  if (spec->flags & GST_PARAM_MUTABLE_READY)
    return "NULL, READY";
  return "not declared";
}

/* The default for the Markdown table: strings quoted, NULL plain */
static gchar *
markdown_default (GParamSpec *spec, const GValue *value)
{
  gchar *def, *min, *max, *out;

  if (spec->value_type == GST_TYPE_STRUCTURE)
    return g_strdup ("see below");
  if (G_VALUE_HOLDS_STRING (value)) {
    const gchar *s = g_value_get_string (value);

    return s ? g_strdup_printf ("`\"%s\"`", s) : g_strdup ("`NULL`");
  }
  docgen_format_value (spec, value, &def, &min, &max);
  out = def ? g_strdup_printf ("`%s`", def) : g_strdup ("");
  g_free (def);
  g_free (min);
  g_free (max);
  return out;
}

/* Descriptions of fields the generator cannot introspect. A field found on
 * the element but missing here is listed as "(not documented yet)". */
typedef struct
{
  const gchar *name;
  const gchar *text;
} FieldDoc;

static const FieldDoc stats_docs[] = {
  { "bitrate",
      "Bits per second of RTMP traffic over the last second (sent by a "
      "sink, received by a source)" },
  { "connected-time",
      "Nanoseconds since the current connection started publishing or "
      "playing; 0 while not connected" },
  { "dropped-bytes", "Payload bytes of the frames counted in dropped-frames" },
  { "dropped-frames",
      "Audio and video messages dropped instead of sent: while "
      "reconnecting, up to the first keyframe after a reconnect, and to "
      "keep `max-queue-time`" },
  { "in-acks", "Acknowledgements received from the peer" },
  { "in-bytes-acked",
      "Sequence number of the last Acknowledgement we sent (the peer's "
      "bytes we confirmed)" },
  { "in-bytes-audio", "Payload bytes of audio messages received" },
  { "in-bytes-data", "Payload bytes of data (script) messages received" },
  { "in-bytes-total", "Bytes received on the connection, framing included" },
  { "in-bytes-video", "Payload bytes of video messages received" },
  { "in-chunk-size",
      "Chunk size the peer sends with (its Set Chunk Size), in bytes" },
  { "in-messages", "RTMP messages received" },
  { "in-messages-audio", "Audio messages received" },
  { "in-messages-data", "Data (script) messages received" },
  { "in-messages-video", "Video messages received" },
  { "in-window-ack-size",
      "Acknowledgement window the peer asked for: we acknowledge each time "
      "this many of its bytes have arrived" },
  { "out-bytes-acked",
      "Sequence number of the last Acknowledgement the peer sent (our bytes "
      "it confirmed)" },
  { "out-bytes-audio", "Payload bytes of audio messages sent" },
  { "out-bytes-data", "Payload bytes of data (script) messages sent" },
  { "out-bytes-total", "Bytes sent on the connection, framing included" },
  { "out-bytes-video", "Payload bytes of video messages sent" },
  { "out-chunk-size", "Chunk size we send with, in bytes" },
  { "out-messages", "RTMP messages sent" },
  { "out-messages-audio", "Audio messages sent" },
  { "out-messages-data", "Data (script) messages sent" },
  { "out-messages-video", "Video messages sent" },
  { "out-window-ack-size",
      "Acknowledgement window we announced to the peer (Window Acknowledgement "
      "Size), in bytes" },
  { "reconnects", "Reconnects done since the element started" },
  { "rtt-us",
      "Round-trip time in microseconds: from ping responses when the server "
      "answers pings, else the kernel's TCP estimate; 0 when unknown" },
};

typedef struct
{
  const gchar *message;
  /* posted in server mode only: the client-mode probe cannot see it, so
   * it is listed from this table (its fields are all strings) for the
   * elements whose mode property has a server value */
  gboolean is_server_mode;
  const gchar *text;
  const FieldDoc fields[8];
} MessageDoc;

/* The fields every server-mode client message has */
static const FieldDoc client_message_fields[] = {
  { "address", "The client's IP address and port" },
  { "app", "The application it connected to" },
  { "kind", "`publish` or `play` (NULL when refused before)" },
  { "stream", "The stream key it asked for (NULL when refused before)" },
};

static const MessageDoc message_docs[] = {
  { "rtmp-client-connected", TRUE,
      "Server mode: a client was accepted as the publisher (rtmpsrc) or as "
      "a player (rtmpsink) of this element's stream.",
      {
          { NULL, NULL },
      } },
  { "rtmp-client-disconnected", TRUE,
      "Server mode: an accepted client left: it closed its stream or the "
      "connection, failed, or was disconnected (a slow player, the element "
      "stopping).",
      {
          { "reason", "Why it left" },
          { NULL, NULL },
      } },
  { "rtmp-client-refused", TRUE,
      "Server mode: a client was refused: unknown application, wrong stream "
      "key, failed authentication, a second publisher, too many clients. "
      "Refusals that concern no element in particular go to every "
      "server-mode element on that address and port.",
      {
          { "code",
              "The status code sent to the client, e.g. "
              "`NetStream.Publish.BadName`" },
          { "reason", "Why it was refused" },
          { NULL, NULL },
      } },
  { "rtmp-state", FALSE,
      "Posted on each change of the connection's state. States: "
      "`connecting` (TCP connect), `handshaking` (TLS and RTMP handshake), "
      "`connected` (the server accepted connect), `publishing` / `playing` "
      "(media flows), `reconnecting` (an established connection dropped; a "
      "new attempt follows after the back-off), `stopped` (closed, cleanly "
      "or with the error in `reason`).",
      {
          { "attempt",
              "Reconnect attempt this state belongs to; 0 for the first "
              "connection" },
          { "reason",
              "`handshaking`: `TLS handshake` or `RTMP handshake`; "
              "`reconnecting` and `stopped`: the error message (NULL after "
              "a clean stop); NULL otherwise" },
          { "state", "The new state (see above)" },
          { "url", "The location, without the password" },
          { NULL, NULL },
      } },
};

static const gchar *
lookup_field_doc (const FieldDoc *docs, gsize n, const gchar *name)
{
  gsize i;

  for (i = 0; i < n && docs[i].name; i++)
    if (g_str_equal (docs[i].name, name))
      return docs[i].text;
  return "(not documented yet)";
}

/* What the element posted, recorded by probe_messages () */
typedef struct
{
  gchar *name;
  GTree *fields; /* field name -> GType name, both owned */
} ObservedMessage;

static void
observed_message_free (gpointer data)
{
  ObservedMessage *m = data;

  g_free (m->name);
  g_tree_destroy (m->fields);
  g_free (m);
}

static gint
compare_observed (gconstpointer a, gconstpointer b)
{
  const ObservedMessage *ma = *(ObservedMessage **) a;
  const ObservedMessage *mb = *(ObservedMessage **) b;

  return strcmp (ma->name, mb->name);
}

static gint
compare_names (gconstpointer a, gconstpointer b, gpointer user_data)
{
  return strcmp (a, b);
}

static guint16
closed_loopback_port (void)
{
  GSocket *socket;
  GSocketAddress *address, *bound;
  GInetAddress *loopback;
  guint16 port = 0;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL);
  if (socket == NULL)
    return 0;
  loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  address = g_inet_socket_address_new (loopback, 0);
  if (g_socket_bind (socket, address, FALSE, NULL)) {
    bound = g_socket_get_local_address (socket, NULL);
    if (bound) {
      port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
      g_object_unref (bound);
    }
  }
  /* closed without listen (): connecting to it is refused */
  g_socket_close (socket, NULL);
  g_object_unref (socket);
  g_object_unref (address);
  g_object_unref (loopback);
  return port;
}

static gboolean
has_property (GstElement *element, const gchar *name)
{
  return g_object_class_find_property (G_OBJECT_GET_CLASS (element), name)
      != NULL;
}

/* Runs the element (client mode) against a closed port on 127.0.0.1 and
 * records the element messages it posts until its error: their names and
 * the names and types of their fields. Returns ObservedMessage *, sorted. */
static GPtrArray *
probe_messages (GstElementFactory *factory)
{
  GPtrArray *observed = g_ptr_array_new_with_free_func (observed_message_free);
  GstElement *pipeline, *element, *fakesink = NULL;
  GstPad *src_pad;
  GstBus *bus;
  gchar *location;
  guint16 port = closed_loopback_port ();
  gint64 end;

  element = gst_element_factory_create (factory, NULL);
  if (element == NULL || port == 0 || !has_property (element, "location")) {
    g_clear_object (&element);
    return observed;
  }
  location = g_strdup_printf ("rtmp://127.0.0.1:%u/docgen/probe", port);
  g_object_set (element, "location", location, NULL);
  g_free (location);
  if (has_property (element, "timeout"))
    g_object_set (element, "timeout", 2, NULL);
  if (has_property (element, "reconnect-attempts"))
    g_object_set (element, "reconnect-attempts", 0, NULL);

  pipeline = gst_pipeline_new ("docgen-probe");
  gst_bin_add (GST_BIN (pipeline), element);
  src_pad = gst_element_get_static_pad (element, "src");
  if (src_pad != NULL) {
    gst_object_unref (src_pad);
    fakesink = gst_element_factory_make ("fakesink", NULL);
    if (fakesink) {
      gst_bin_add (GST_BIN (pipeline), fakesink);
      gst_element_link (element, fakesink);
    }
  }

  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  end = g_get_monotonic_time () + PROBE_TIMEOUT_S * G_USEC_PER_SEC;
  for (;;) {
    gint64 now = g_get_monotonic_time ();
    GstMessage *msg;
    const GstStructure *s;
    ObservedMessage *m = NULL;
    guint i;

    if (now >= end)
      break;
    msg = gst_bus_timed_pop_filtered (bus, (end - now) * GST_USECOND,
        GST_MESSAGE_ELEMENT | GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
    if (msg == NULL)
      break;
    if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ELEMENT) {
      gst_message_unref (msg);
      break;
    }
    s = gst_message_get_structure (msg);
    if (GST_MESSAGE_SRC (msg) != GST_OBJECT (element) || s == NULL) {
      gst_message_unref (msg);
      continue;
    }
    for (i = 0; i < observed->len; i++) {
      ObservedMessage *o = observed->pdata[i];

      if (g_str_equal (o->name, gst_structure_get_name (s)))
        m = o;
    }
    if (m == NULL) {
      m = g_new0 (ObservedMessage, 1);
      m->name = g_strdup (gst_structure_get_name (s));
      m->fields = g_tree_new_full (compare_names, NULL, g_free, g_free);
      g_ptr_array_add (observed, m);
    }
    for (i = 0; i < (guint) gst_structure_n_fields (s); i++) {
      const gchar *field = gst_structure_nth_field_name (s, i);

      g_tree_replace (m->fields, g_strdup (field),
          g_strdup (g_type_name (gst_structure_get_field_type (s, field))));
    }
    gst_message_unref (msg);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  g_ptr_array_sort (observed, compare_observed);
  return observed;
}

static void
append_type_values (GString *out, GType type)
{
  guint i;

  if (G_TYPE_IS_ENUM (type)) {
    GEnumClass *klass = g_type_class_ref (type);

    g_string_append (out, "\n| Value | Nick | Description |\n|---|---|---|\n");
    for (i = 0; i < klass->n_values; i++) {
      gchar *desc = cell (klass->values[i].value_name);

      g_string_append_printf (out, "| %d | `%s` | %s |\n",
          klass->values[i].value, klass->values[i].value_nick, desc);
      g_free (desc);
    }
    g_type_class_unref (klass);
  } else if (G_TYPE_IS_FLAGS (type)) {
    GFlagsClass *klass = g_type_class_ref (type);

    g_string_append (out, "\n| Value | Nick | Description |\n|---|---|---|\n");
    for (i = 0; i < klass->n_values; i++) {
      gchar *desc = cell (klass->values[i].value_name);

      g_string_append_printf (out, "| 0x%08x | `%s` | %s |\n",
          klass->values[i].value, klass->values[i].value_nick, desc);
      g_free (desc);
    }
    g_type_class_unref (klass);
  }
}

/* The comment documenting @member (":prop" or "::signal") of the element:
 * its own type's first, else the one of another element of the plugin
 * (the properties both elements share are documented once) */
static DocgenBlock *
find_member_doc (GHashTable *blocks, const gchar *type_name,
    GPtrArray *all_type_names, const gchar *sep, const gchar *member)
{
  gchar *key = g_strconcat (type_name, sep, member, NULL);
  DocgenBlock *block = g_hash_table_lookup (blocks, key);
  guint i;

  g_free (key);
  for (i = 0; block == NULL && i < all_type_names->len; i++) {
    key = g_strconcat (all_type_names->pdata[i], sep, member, NULL);
    block = g_hash_table_lookup (blocks, key);
    g_free (key);
  }
  return block;
}

static gint
compare_specs (gconstpointer a, gconstpointer b)
{
  const GParamSpec *pa = *(GParamSpec **) a;
  const GParamSpec *pb = *(GParamSpec **) b;

  return strcmp (pa->name, pb->name);
}

static void
append_properties (GString *out, DocgenPages *ctx, GstElement *element)
{
  GType type = G_OBJECT_TYPE (element);
  GObjectClass *klass = G_OBJECT_GET_CLASS (element);
  GParamSpec **specs;
  GPtrArray *own = g_ptr_array_new ();
  GPtrArray *inherited = g_ptr_array_new ();
  guint i, n;

  specs = g_object_class_list_properties (klass, &n);
  for (i = 0; i < n; i++) {
    if (specs[i]->owner_type == type)
      g_ptr_array_add (own, specs[i]);
    else if (specs[i]->owner_type != GST_TYPE_OBJECT)
      g_ptr_array_add (inherited, specs[i]);
  }
  g_ptr_array_sort (own, compare_specs);
  g_ptr_array_sort (inherited, compare_specs);

  g_string_append (out, "## Properties\n\n");
  if (own->len == 0)
    g_string_append (out, "None of its own.\n\n");
  else
    g_string_append (out,
        "| Property | Type | Default | Changeable | Description |\n"
        "|---|---|---|---|---|\n");
  for (i = 0; i < own->len; i++) {
    GParamSpec *spec = own->pdata[i];
    GValue value = G_VALUE_INIT;
    gchar *def, *blurb;

    docgen_property_value (G_OBJECT (element), spec, &value);
    def = markdown_default (spec, &value);
    blurb = cell (g_param_spec_get_blurb (spec));
    g_string_append_printf (out, "| [`%s`](#%s) | `%s` | %s | %s | %s |\n",
        spec->name, spec->name, g_type_name (spec->value_type), def,
        changeable_text (spec), blurb);
    g_free (def);
    g_free (blurb);
    g_value_unset (&value);
  }
  if (own->len > 0)
    g_string_append_c (out, '\n');

  if (inherited->len > 0) {
    g_string_append (out, "Inherited from its base classes: ");
    for (i = 0; i < inherited->len; i++) {
      GParamSpec *spec = inherited->pdata[i];

      g_string_append_printf (out, "%s`%s` (%s)", i ? ", " : "", spec->name,
          g_type_name (spec->owner_type));
    }
    g_string_append (out, ".\n\n");
  }

  for (i = 0; i < own->len; i++) {
    GParamSpec *spec = own->pdata[i];
    DocgenBlock *doc = find_member_doc (ctx->blocks, g_type_name (type),
        ctx->type_names, ":", spec->name);
    GValue value = G_VALUE_INIT;
    gchar *def, *min, *max;

    g_string_append_printf (out, "### `%s`\n\n", spec->name);
    if (doc && doc->body[0]) {
      gchar *md = doc_to_markdown (doc->body, &ctx->links);

      g_string_append_printf (out, "%s\n", md);
      g_free (md);
    } else {
      g_string_append_printf (out, "%s\n\n", g_param_spec_get_blurb (spec));
    }

    docgen_property_value (G_OBJECT (element), spec, &value);
    docgen_format_value (spec, &value, &def, &min, &max);
    g_string_append_printf (out, "- Type: `%s`",
        g_type_name (spec->value_type));
    if (min && max)
      g_string_append_printf (out, ", range %s to %s", min, max);
    g_string_append_c (out, '\n');
    if (spec->value_type == GST_TYPE_STRUCTURE)
      g_string_append (out, "- Fields: see [Statistics](#statistics)\n");
    else if (def) {
      gchar *shown = markdown_default (spec, &value);

      g_string_append_printf (out, "- Default: %s\n", shown);
      g_free (shown);
    }
    g_string_append_printf (out, "- Flags: %s%s%s\n",
        (spec->flags & G_PARAM_READABLE) ? "readable" : "",
        (spec->flags & G_PARAM_READABLE) && (spec->flags & G_PARAM_WRITABLE)
            ? ", "
            : "",
        (spec->flags & G_PARAM_WRITABLE) ? "writable" : "");
    if (spec->flags & G_PARAM_WRITABLE)
      g_string_append_printf (out, "- Changeable: %s\n",
          changeable_text (spec));
    if (doc && doc->since)
      g_string_append_printf (out, "- Since: %s\n", doc->since);
    append_type_values (out, spec->value_type);
    g_string_append_c (out, '\n');
    g_free (def);
    g_free (min);
    g_free (max);
    g_value_unset (&value);
  }

  g_ptr_array_unref (own);
  g_ptr_array_unref (inherited);
  g_free (specs);
}

static void
append_signals (GString *out, DocgenPages *ctx, GstElement *element)
{
  GType type = G_OBJECT_TYPE (element);
  guint *ids, n, i, j;
  GPtrArray *names = g_ptr_array_new ();

  g_string_append (out, "## Signals\n\n");
  ids = g_signal_list_ids (type, &n);
  for (i = 0; i < n; i++)
    g_ptr_array_add (names, (gpointer) g_signal_name (ids[i]));
  g_ptr_array_sort (names, docgen_compare_strings);
  if (names->len == 0)
    g_string_append (out, "None of its own.\n\n");

  for (i = 0; i < names->len; i++) {
    GSignalQuery query;
    DocgenBlock *doc = find_member_doc (ctx->blocks, g_type_name (type),
        ctx->type_names, "::", names->pdata[i]);

    g_signal_query (g_signal_lookup (names->pdata[i], type), &query);
    g_string_append_printf (out, "### `%s`\n\n```c\n%s\n%s (%s *element",
        query.signal_name, g_type_name (query.return_type), query.signal_name,
        g_type_name (type));
    for (j = 0; j < query.n_params; j++)
      g_string_append_printf (out, ",\n    %s arg%u",
          g_type_name (query.param_types[j] & ~G_SIGNAL_TYPE_STATIC_SCOPE), j);
    g_string_append (out, ",\n    gpointer user_data);\n```\n\n");
    if (doc && doc->body[0]) {
      gchar *md = doc_to_markdown (doc->body, &ctx->links);

      g_string_append_printf (out, "%s\n", md);
      g_free (md);
    }
    g_string_append_printf (out, "- Flags: run %s%s\n",
        (query.signal_flags & G_SIGNAL_RUN_FIRST)      ? "first"
            : (query.signal_flags & G_SIGNAL_RUN_LAST) ? "last"
                                                       : "cleanup",
        (query.signal_flags & G_SIGNAL_ACTION) ? ", action" : "");
    if (doc && doc->since)
      g_string_append_printf (out, "- Since: %s\n", doc->since);
    g_string_append_c (out, '\n');
  }
  g_ptr_array_unref (names);
  g_free (ids);
}

static void
append_pad_templates (GString *out, GstElement *element,
    GstElementFactory *factory)
{
  const GList *l;

  g_string_append (out, "## Pad templates\n\n");
  for (l = gst_element_factory_get_static_pad_templates (factory); l;
       l = l->next) {
    GstStaticPadTemplate *st = l->data;
    GstPadTemplate *tmpl = docgen_pad_template (element, st->name_template);
    GstCaps *caps = gst_pad_template_get_documentation_caps (tmpl);
    gchar *caps_str = docgen_caps_to_string (caps);

    g_string_append_printf (out,
        "### `%s`\n\n- Direction: %s\n- Presence: %s\n", st->name_template,
        st->direction == GST_PAD_SRC ? "source" : "sink",
        st->presence == GST_PAD_ALWAYS          ? "always"
            : st->presence == GST_PAD_SOMETIMES ? "sometimes"
                                                : "request");
    g_string_append_printf (out, "\n```\n%s%s```\n\n", caps_str,
        g_str_has_suffix (caps_str, "\n") ? "" : "\n");
    g_free (caps_str);
    gst_caps_unref (caps);
  }
}

static void
append_stats (GString *out, GstElement *element)
{
  GstStructure *stats = NULL;
  GPtrArray *fields;
  guint i;

  if (!has_property (element, "stats"))
    return;
  g_object_get (element, "stats", &stats, NULL);
  g_string_append (out, "## Statistics\n\n");
  if (stats == NULL) {
    g_string_append (out, "The `stats` property is NULL while stopped.\n\n");
    return;
  }
  g_string_append_printf (out,
      "The `stats` property returns a `%s` structure, readable at any time "
      "from any thread. Its fields:\n\n"
      "| Field | Type | Meaning |\n|---|---|---|\n",
      gst_structure_get_name (stats));
  fields = g_ptr_array_new ();
  for (i = 0; i < (guint) gst_structure_n_fields (stats); i++)
    g_ptr_array_add (fields,
        (gpointer) gst_structure_nth_field_name (stats, i));
  g_ptr_array_sort (fields, docgen_compare_strings);
  for (i = 0; i < fields->len; i++) {
    const gchar *name = fields->pdata[i];

    g_string_append_printf (out, "| `%s` | `%s` | %s |\n", name,
        g_type_name (gst_structure_get_field_type (stats, name)),
        lookup_field_doc (stats_docs, G_N_ELEMENTS (stats_docs), name));
  }
  g_string_append_c (out, '\n');
  g_ptr_array_unref (fields);
  gst_structure_free (stats);
}

static gboolean
append_field_row (gpointer key, gpointer value, gpointer user_data)
{
  gpointer *data = user_data;
  GString *out = data[0];
  const MessageDoc *doc = data[1];
  const gchar *text = "(not documented yet)";

  if (doc && doc->is_server_mode)
    text = lookup_field_doc (client_message_fields,
        G_N_ELEMENTS (client_message_fields), key);
  if (doc && g_str_equal (text, "(not documented yet)"))
    text = lookup_field_doc (doc->fields, G_N_ELEMENTS (doc->fields), key);
  g_string_append_printf (out, "| `%s` | `%s` | %s |\n", (gchar *) key,
      (gchar *) value, text);
  return FALSE;
}

/* TRUE when the element has a "mode" property with a "server" value */
static gboolean
has_server_mode (GstElement *element)
{
  GParamSpec *spec
      = g_object_class_find_property (G_OBJECT_GET_CLASS (element), "mode");
  GEnumClass *klass;
  gboolean found;

  if (spec == NULL || !G_IS_PARAM_SPEC_ENUM (spec))
    return FALSE;
  klass = G_PARAM_SPEC_ENUM (spec)->enum_class;
  found = g_enum_get_value_by_nick (klass, "server") != NULL;
  return found;
}

static void
append_server_messages (GString *out, GPtrArray *observed)
{
  guint i, j, k;
  gboolean first = TRUE;

  for (i = 0; i < G_N_ELEMENTS (message_docs); i++) {
    const MessageDoc *doc = &message_docs[i];
    gboolean seen = FALSE;

    if (!doc->is_server_mode)
      continue;
    for (j = 0; j < observed->len; j++)
      if (g_str_equal (((ObservedMessage *) observed->pdata[j])->name,
              doc->message))
        seen = TRUE;
    if (seen)
      continue;
    if (first) {
      g_string_append (out,
          "In server mode the element also posts these element messages "
          "(from the listener's contract in `gst/gstrtmpserver.h`; a field "
          "without a value is left out):\n\n");
      first = FALSE;
    }
    g_string_append_printf (out, "### `%s`\n\n%s\n\n", doc->message, doc->text);
    g_string_append (out, "| Field | Type | Meaning |\n|---|---|---|\n");
    for (k = 0; k < G_N_ELEMENTS (client_message_fields); k++)
      g_string_append_printf (out, "| `%s` | `gchararray` | %s |\n",
          client_message_fields[k].name, client_message_fields[k].text);
    for (k = 0; k < G_N_ELEMENTS (doc->fields) && doc->fields[k].name; k++)
      g_string_append_printf (out, "| `%s` | `gchararray` | %s |\n",
          doc->fields[k].name, doc->fields[k].text);
    g_string_append_c (out, '\n');
  }
}

static void
append_messages (GString *out, GstElementFactory *factory, GstElement *element)
{
  GPtrArray *observed = probe_messages (factory);
  guint i, j;

  g_string_append (out, "## Bus messages\n\n");
  if (observed->len == 0)
    g_string_append (out, "None observed in client mode.\n\n");
  else
    g_string_append (out,
        "Element messages (`GST_MESSAGE_ELEMENT`), recorded from the built "
        "element while it connected to a closed port:\n\n");
  for (i = 0; i < observed->len; i++) {
    ObservedMessage *m = observed->pdata[i];
    const MessageDoc *doc = NULL;
    gpointer data[2];

    for (j = 0; j < G_N_ELEMENTS (message_docs); j++)
      if (g_str_equal (message_docs[j].message, m->name))
        doc = &message_docs[j];
    g_string_append_printf (out, "### `%s`\n\n%s\n\n", m->name,
        doc ? doc->text : "(not documented yet)");
    g_string_append (out, "| Field | Type | Meaning |\n|---|---|---|\n");
    data[0] = out;
    data[1] = (gpointer) doc;
    g_tree_foreach (m->fields, append_field_row, data);
    g_string_append_c (out, '\n');
  }
  if (has_server_mode (element))
    append_server_messages (out, observed);
  g_ptr_array_unref (observed);
}

gchar *
docgen_element_page (DocgenPages *ctx, GstElementFactory *factory,
    GstElement *element)
{
  GString *out = g_string_new (NULL);
  const gchar *name = GST_OBJECT_NAME (factory);
  gchar *key = g_strconcat ("SECTION:element-", name, NULL);
  DocgenBlock *section = g_hash_table_lookup (ctx->blocks, key);
  gchar *rank = docgen_rank_name (
      gst_plugin_feature_get_rank (GST_PLUGIN_FEATURE (factory)));
  const gchar *const *protocols;
  GType t;
  GType *interfaces;
  guint n_interfaces, i;

  ctx->links.element = name;
  g_string_append_printf (out, "# %s\n\n%s\n\n", name, DOCGEN_GENERATED_NOTICE);
  if (section && section->body[0]) {
    gchar *md = doc_to_markdown (section->body, &ctx->links);

    g_string_append_printf (out, "%s\n", md);
    g_free (md);
  } else {
    g_string_append_printf (out, "%s\n\n",
        gst_element_factory_get_metadata (factory,
            GST_ELEMENT_METADATA_DESCRIPTION));
  }
  g_free (key);

  g_string_append (out, "## Factory\n\n| | |\n|---|---|\n");
  g_string_append_printf (out, "| Long name | %s |\n",
      gst_element_factory_get_metadata (factory,
          GST_ELEMENT_METADATA_LONGNAME));
  g_string_append_printf (out, "| Class | %s |\n",
      gst_element_factory_get_metadata (factory, GST_ELEMENT_METADATA_KLASS));
  g_string_append_printf (out, "| Rank | %s (%u) |\n", rank,
      gst_plugin_feature_get_rank (GST_PLUGIN_FEATURE (factory)));
  g_string_append_printf (out, "| Author | %s |\n",
      gst_element_factory_get_metadata (factory, GST_ELEMENT_METADATA_AUTHOR));
  protocols = gst_element_factory_get_uri_protocols (factory);
  if (protocols && protocols[0]) {
    gchar **sorted = g_strdupv ((gchar **) protocols);

    /* the registry cache does not keep the element's order */
    qsort (sorted, g_strv_length (sorted), sizeof (gchar *),
        docgen_compare_strings);
    g_string_append_printf (out, "| URI handler | %s: ",
        gst_element_factory_get_uri_type (factory) == GST_URI_SINK ? "sink"
                                                                   : "source");
    for (i = 0; sorted[i]; i++)
      g_string_append_printf (out, "%s`%s://`", i ? ", " : "", sorted[i]);
    g_string_append (out, " |\n");
    g_strfreev (sorted);
  }
  g_string_append (out, "| Hierarchy | ");
  for (t = G_OBJECT_TYPE (element); t; t = g_type_parent (t))
    g_string_append_printf (out, "%s`%s`",
        t == G_OBJECT_TYPE (element) ? "" : " → ", g_type_name (t));
  g_string_append (out, " |\n");
  interfaces = g_type_interfaces (G_OBJECT_TYPE (element), &n_interfaces);
  if (n_interfaces > 0) {
    g_string_append (out, "| Interfaces | ");
    for (i = 0; i < n_interfaces; i++)
      g_string_append_printf (out, "%s`%s`", i ? ", " : "",
          g_type_name (interfaces[i]));
    g_string_append (out, " |\n");
  }
  g_free (interfaces);
  g_string_append_printf (out, "| Plugin | [`%s`](index.md) |\n\n",
      DOCGEN_PLUGIN_NAME);
  g_free (rank);

  append_pad_templates (out, element, factory);
  append_properties (out, ctx, element);
  append_signals (out, ctx, element);
  append_stats (out, element);
  append_messages (out, factory, element);

  /* one trailing newline */
  while (out->len > 1 && out->str[out->len - 1] == '\n'
      && out->str[out->len - 2] == '\n')
    g_string_truncate (out, out->len - 1);
  return g_string_free (out, FALSE);
}

gchar *
docgen_plugin_page (GstPlugin *plugin, GPtrArray *factories,
    const gchar *filename)
{
  GString *out = g_string_new (NULL);
  guint i;

  g_string_append_printf (out, "# Plugin `%s`\n\n%s\n\n%s\n\n",
      DOCGEN_PLUGIN_NAME, DOCGEN_GENERATED_NOTICE,
      gst_plugin_get_description (plugin));
  g_string_append (out, "| | |\n|---|---|\n");
  g_string_append_printf (out, "| File | `lib%s.so` |\n", filename);
  g_string_append_printf (out, "| Source module | `%s` |\n",
      gst_plugin_get_source (plugin));
  g_string_append_printf (out, "| Package | %s |\n",
      gst_plugin_get_package (plugin));
  g_string_append_printf (out, "| License | %s |\n",
      gst_plugin_get_license (plugin));
  g_string_append_printf (out, "| Origin | %s |\n\n",
      gst_plugin_get_origin (plugin));

  g_string_append (out,
      "## Elements\n\n| Element | Description | Rank |\n"
      "|---|---|---|\n");
  for (i = 0; i < factories->len; i++) {
    GstElementFactory *f = factories->pdata[i];
    gchar *rank = docgen_rank_name (
        gst_plugin_feature_get_rank (GST_PLUGIN_FEATURE (f)));
    gchar *desc = cell (
        gst_element_factory_get_metadata (f, GST_ELEMENT_METADATA_DESCRIPTION));

    g_string_append_printf (out, "| [`%s`](%s.md) | %s | %s |\n",
        GST_OBJECT_NAME (f), GST_OBJECT_NAME (f), desc, rank);
    g_free (rank);
    g_free (desc);
  }
  g_string_append (out,
      "\nThe machine-readable form of this reference, in GStreamer's hotdoc "
      "format, is [`docs/plugins/gst_plugins_cache.json`]"
      "(../plugins/gst_plugins_cache.json).\n");
  return g_string_free (out, FALSE);
}
