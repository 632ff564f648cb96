/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What rtmpsrc and rtmpsink share on the element side: the properties both
 * have (location and its parts, credentials, TLS, timeouts, reconnects),
 * their enum types, the URI handler, the client settings built from them,
 * the rtmp-state bus message and the stats structure. */

#ifndef __GST_RTMP_ELEMENT_H__
#define __GST_RTMP_ELEMENT_H__

#include <gst/gst.h>
#include "gstrtmpclient.h"

G_BEGIN_DECLS

/* Enum and flags types. Their GType names carry our own prefix so that a
 * process loading rtmp2 as well registers no name twice; the value nicks
 * are rtmp2's, so pipelines written for rtmp2 work unchanged. */
#define GST_TYPE_RTMP_ELEMENT_SCHEME (gst_rtmp_element_scheme_get_type ())
#define GST_TYPE_RTMP_ELEMENT_AUTHMOD (gst_rtmp_element_authmod_get_type ())
#define GST_TYPE_RTMP_ELEMENT_STOP_COMMANDS \
  (gst_rtmp_element_stop_commands_get_type ())
#define GST_TYPE_RTMP_ELEMENT_MODE (gst_rtmp_element_mode_get_type ())
#define GST_TYPE_RTMP_ELEMENT_HANDSHAKE (gst_rtmp_element_handshake_get_type ())
GType gst_rtmp_element_scheme_get_type (void);
GType gst_rtmp_element_authmod_get_type (void);
GType gst_rtmp_element_stop_commands_get_type (void);
GType gst_rtmp_element_mode_get_type (void);
GType gst_rtmp_element_handshake_get_type (void);

typedef enum
{
  GST_RTMP_ELEMENT_MODE_CLIENT,
  GST_RTMP_ELEMENT_MODE_SERVER,
} GstRtmpElementMode;

/* The properties both elements have, in this order from the element's
 * first shared property id. */
enum
{
  GST_RTMP_ELEMENT_PROP_LOCATION,
  GST_RTMP_ELEMENT_PROP_SCHEME,
  GST_RTMP_ELEMENT_PROP_HOST,
  GST_RTMP_ELEMENT_PROP_PORT,
  GST_RTMP_ELEMENT_PROP_APPLICATION,
  GST_RTMP_ELEMENT_PROP_STREAM,
  GST_RTMP_ELEMENT_PROP_USERNAME,
  GST_RTMP_ELEMENT_PROP_PASSWORD,
  GST_RTMP_ELEMENT_PROP_SECURE_TOKEN,
  GST_RTMP_ELEMENT_PROP_AUTHMOD,
  GST_RTMP_ELEMENT_PROP_TIMEOUT,
  GST_RTMP_ELEMENT_PROP_TLS_VALIDATION_FLAGS,
  GST_RTMP_ELEMENT_PROP_FLASH_VERSION,
  GST_RTMP_ELEMENT_PROP_ASYNC_CONNECT,
  GST_RTMP_ELEMENT_PROP_EXTRA_CONNECT_ARGS,
  GST_RTMP_ELEMENT_PROP_IDLE_TIMEOUT,
  GST_RTMP_ELEMENT_PROP_MODE,
  GST_RTMP_ELEMENT_PROP_HANDSHAKE,
  GST_RTMP_ELEMENT_PROP_RECONNECT_ATTEMPTS,
  GST_RTMP_ELEMENT_PROP_RECONNECT_DELAY,
  GST_RTMP_ELEMENT_PROP_ENHANCED_CODECS,
  GST_RTMP_ELEMENT_PROP_TLS_CA_FILE,
  GST_RTMP_ELEMENT_PROP_TLS_CERTIFICATE_FILE,
  GST_RTMP_ELEMENT_PROP_TLS_KEY_FILE,
  GST_RTMP_ELEMENT_PROP_SWF_URL,
  GST_RTMP_ELEMENT_PROP_PAGE_URL,
  GST_RTMP_ELEMENT_N_PROPS
};

/* The values of the shared properties. Guarded by the element's object
 * lock (GST_OBJECT_LOCK) */
typedef struct
{
  RtmpScheme scheme;
  gchar *host;
  guint port;
  gchar *application;
  gchar *stream;
  gchar *username;
  gchar *password;
  gchar *secure_token;
  RtmpAuthmod authmod;
  guint timeout_s;
  GTlsCertificateFlags tls_validation_flags;
  gchar *flash_version;
  gboolean async_connect;
  gchar *extra_connect_args;
  guint idle_timeout_s;
  GstRtmpElementMode mode;
  RtmpHandshakeType handshake;
  gint reconnect_attempts;
  guint reconnect_delay_ms;
  gchar *enhanced_codecs;
  gchar *tls_ca_file;
  gchar *tls_certificate_file;
  gchar *tls_key_file;
  gchar *swf_url;
  gchar *page_url;
  /* why the last location set did not parse, until a good one is set:
   * starting fails with it */
  gchar *location_error;
} GstRtmpElementSettings;

/* @is_sink: the sink's defaults (reconnect-attempts 10, its flash
 * version) differ from the source's (0) */
void gst_rtmp_element_install_properties (GObjectClass *klass,
    guint first_prop_id, gboolean is_sink);
void gst_rtmp_element_settings_init (GstRtmpElementSettings *settings,
    gboolean is_sink);
void gst_rtmp_element_settings_clear (GstRtmpElementSettings *settings);

/* For the element's set/get_property: FALSE when @prop_id is not a shared
 * property. They take the object lock themselves. */
gboolean gst_rtmp_element_set_property (GstElement *element,
    GstRtmpElementSettings *settings, guint first_prop_id, guint prop_id,
    const GValue *value, GParamSpec *pspec);
gboolean gst_rtmp_element_get_property (GstElement *element,
    GstRtmpElementSettings *settings, guint first_prop_id, guint prop_id,
    GValue *value, GParamSpec *pspec);

/* location = scheme://[user:password@]host[:port]/application/stream;
 * FALSE (error set, settings untouched) when it does not parse */
gboolean gst_rtmp_element_set_location (GstElement *element,
    GstRtmpElementSettings *settings, const gchar *location, GError **error);

/* FALSE with a GST_RESOURCE_ERROR_SETTINGS error when the settings cannot
 * be used whatever the mode (a location that did not parse); for start () */
gboolean gst_rtmp_element_check_settings (GstElement *element,
    GstRtmpElementSettings *settings, GError **error);

/* The URI handler of both elements; schemes rtmp and rtmps */
void gst_rtmp_element_uri_handler_init (GstURIHandlerInterface *iface,
    GstURIType type);

/* Builds everything a GstRtmpClient needs from the settings (takes the
 * object lock). @url_out, @extra_out and @fourccs_out (transfer full) must
 * outlive the client's creation (it copies them). FALSE with a
 * GST_RESOURCE_ERROR_SETTINGS-worthy error message when the settings
 * cannot work. */
gboolean gst_rtmp_element_build_client_settings (GstElement *element,
    GstRtmpElementSettings *settings, RtmpSessionIntent intent,
    GstRtmpClientSettings *out, RtmpUrl **url_out, RtmpAmfValue **extra_out,
    GStrv *fourccs_out, GError **error);

/* librtmp's "conn=B:1 conn=S:text conn=O:1 conn=NN:name:1 conn=O:0" syntax
 * (B boolean, N number, S string, O object begin/end, Z null; an N prefix
 * names a field of the enclosing object): (transfer full) a strict array
 * of the arguments to append to connect, or NULL with an error. */
RtmpAmfValue *gst_rtmp_element_parse_connect_args (const gchar *text,
    GError **error);

/* Posts the element message rtmp-state {state, url, reason, attempt} */
void gst_rtmp_element_post_state (GstElement *element, GstRtmpClientState state,
    const gchar *url, const gchar *reason, guint attempt);

/* Posts exactly one GST_ELEMENT_ERROR for a failed connection, mapped
 * from the error's domain and code: @for_write selects OPEN_WRITE/WRITE
 * (sink) over OPEN_READ/READ (source); @established: the error came after
 * media flowed. */
void gst_rtmp_element_post_error (GstElement *element, const GError *error,
    const gchar *url, gboolean for_write, gboolean established);

/* Adds a session's statistics under rtmp2's field names and ours */
void gst_rtmp_element_add_session_stats (GstStructure *s,
    const RtmpSessionStats *stats);

G_END_DECLS

#endif /* __GST_RTMP_ELEMENT_H__ */
