// SPDX-License-Identifier: LGPL-2.1-or-later
// Runs node-media-server for the interop matrix: RTMP only, on
// 127.0.0.1:PORT (node-media-server itself would listen on every address),
// exiting when the port cannot be bound instead of logging and running on.
//   usage: node nms-server.js NMS_DIR PORT  (NMS_DIR/node_modules holds it)
'use strict';

const net = require('net');
const path = require('path');

const [nmsDir, portText] = process.argv.slice(2);
const port = parseInt(portText, 10);
if (!nmsDir || !(port > 0)) {
  console.error('usage: node nms-server.js NMS_DIR PORT');
  process.exit(2);
}

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (listenPort, callback) {
  this.on('error', (e) => {
    console.error(`nms-server: cannot listen on 127.0.0.1:${listenPort}: ${e}`);
    process.exit(1);
  });
  return listen.call(this, listenPort, '127.0.0.1', callback);
};

const NodeMediaServer = require(path.join(nmsDir, 'node_modules', 'node-media-server'));
const server = new NodeMediaServer({
  logType: 2, // errors and the log lines of sessions
  rtmp: { port, chunk_size: 4096, gop_cache: true, ping: 30, ping_timeout: 60 },
});
server.run();
process.on('SIGTERM', () => process.exit(0));
