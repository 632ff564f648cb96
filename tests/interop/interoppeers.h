/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The interop matrix's peers: publishers and players (our elements and
 * rtmp2's through gst-launch-1.0, ffmpeg, rtmpdump), the servers the
 * matrix adds to tests/common/rtmpexternal.h (node-media-server, our
 * one-port relay, ffmpeg -listen, stunnel limited to TLS 1.2, tshark), and
 * loopback connection counting. Every process runs on 127.0.0.1 and is
 * stopped by pid. */

#ifndef __INTEROP_PEERS_H__
#define __INTEROP_PEERS_H__

#include "rtmpexternal.h"

G_BEGIN_DECLS

typedef enum
{
  INTEROP_PUBLISHER_RTMPSINK,
  INTEROP_PUBLISHER_RTMP2SINK,
  INTEROP_PUBLISHER_FFMPEG,
  INTEROP_N_PUBLISHERS,
  /* ffmpeg -listen 1 serving the file: the play source */
  INTEROP_PUBLISHER_FFMPEG_LISTEN = INTEROP_N_PUBLISHERS,
} InteropPublisher;

typedef enum
{
  INTEROP_PLAYER_RTMPSRC,
  INTEROP_PLAYER_RTMP2SRC,
  INTEROP_PLAYER_FFMPEG,
  INTEROP_PLAYER_RTMPDUMP,
  INTEROP_N_PLAYERS,
  /* ffmpeg -listen 1 writing what it receives: the publish target */
  INTEROP_PLAYER_FFMPEG_LISTEN = INTEROP_N_PLAYERS,
} InteropPlayer;

const gchar *interop_publisher_name (InteropPublisher publisher);
const gchar *interop_player_name (InteropPlayer player);
/* our rtmpsink / rtmpsrc */
gboolean interop_publisher_is_ours (InteropPublisher publisher);
gboolean interop_player_is_ours (InteropPlayer player);

typedef struct
{
  const gchar *url;     /* rtmp:// or rtmps:// with the stream */
  const gchar *file;    /* the FLV file published, or written by players */
  const gchar *ca_file; /* (nullable) PEM to trust for rtmps (ours) */
  gboolean enhanced;    /* advertise hvc1 (ours) */
  /* (nullable) more properties for our element or rtmp2's */
  const gchar *extra;
} InteropEndpoint;

/* Starts @publisher publishing @endpoint->file to @endpoint->url in real
 * time (rtmpsink realtime=true, flvmux timestamps and rtmp2sink's clock,
 * ffmpeg -re). */
RtmpExternalProcess *interop_publisher_start (InteropPublisher publisher,
    const InteropEndpoint *endpoint, GError **error);
/* Starts @player playing @endpoint->url into the FLV file @endpoint->file */
RtmpExternalProcess *interop_player_start (InteropPlayer player,
    const InteropEndpoint *endpoint, GError **error);
/* Asks @player to finish its file (gst-launch -e: SIGINT; ffmpeg: SIGTERM
 * twice, as one only takes effect between packets; rtmpdump: SIGTERM) and
 * waits up to @timeout_ms, then stops it for good. */
void interop_player_stop (InteropPlayer player, RtmpExternalProcess *process,
    guint timeout_ms);

/* ffmpeg -listen 1 serving @file (paced, -re) at @url, once it listens */
RtmpExternalProcess *interop_ffmpeg_listen_source_start (const gchar *url,
    guint16 port, const gchar *file, GError **error);
/* ffmpeg -listen 1 receiving at @url into @file, once it listens */
RtmpExternalProcess *interop_ffmpeg_listen_target_start (const gchar *url,
    guint16 port, const gchar *file, GError **error);

/* node-media-server (installed under @nms_dir/node_modules), started by
 * @launcher (tests/interop/nms-server.js) on 127.0.0.1:@port */
RtmpExternalProcess *interop_nms_start (const gchar *nms_dir,
    const gchar *launcher, guint16 port, GError **error);

/* Our one-port relay: gst-launch-1.0 with one chain `rtmpsrc mode=server
 * ! rtmpsink mode=server` per stream key of @keys, all on @port (rtmps
 * with @cert_file and @key_file when set); @extra (nullable) is added to
 * both elements of every chain, @sink_extra (nullable) to the sinks. */
RtmpExternalProcess *interop_relay_start (guint16 port,
    const gchar *const *keys, const gchar *cert_file, const gchar *key_file,
    const gchar *extra, const gchar *sink_extra, GError **error);

/* stunnel on @accept_port to @connect_port that offers TLS 1.2 at most */
RtmpExternalProcess *interop_stunnel_tls12_start (const gchar *cert_file,
    const gchar *key_file, guint16 accept_port, guint16 connect_port,
    GError **error);

/* Established TCP connections whose local end is 127.0.0.1:@port
 * (/proc/net/tcp) */
guint interop_count_established (guint16 port);
/* TRUE once a socket listens on 127.0.0.1:@port (without connecting) */
gboolean interop_wait_for_listening (guint16 port, RtmpExternalProcess *process,
    guint timeout_ms);
/* A process that is not our child (started by the test program before it
 * forked this test) still runs: /proc/PID/stat exists and is no zombie */
gboolean interop_pid_is_alive (GPid pid);

/* The end of a file, for messages */
gchar *interop_file_tail (const gchar *path, guint n_lines);

G_END_DECLS

#endif /* __INTEROP_PEERS_H__ */
