// A port for a test server that is started by another process (the Deno functions host),
// so the port must be known before that server listens.
//
// Why not listen(0) and hand the port on: Linux gives listen(0) a port from the ephemeral
// range (32768–60999), the same range it takes the source port of every outgoing
// connection from. Between closing our probe and Deno binding the port, a pg or HTTP client
// in any parallel test may take it, and the host dies with AddrInUse (seen in CI). Ports
// below the ephemeral range are never handed out implicitly, so only another test asking
// here could take one: we start at a random point and never give the same port twice.
'use strict';
const net = require('node:net');

const FIRST = 20000;
const LAST = 32000; // below /proc/sys/net/ipv4/ip_local_port_range
const given = new Set();

function canListen(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** @returns {Promise<number>} a port nobody listens on, outside the ephemeral range */
async function freePort() {
  const span = LAST - FIRST;
  const start = Math.floor(Math.random() * span);
  for (let i = 0; i < span; i += 1) {
    const port = FIRST + ((start + i) % span);
    if (given.has(port)) continue;
    if (await canListen(port)) {
      given.add(port);
      return port;
    }
  }
  throw new Error(`no free port in ${FIRST}–${LAST}`);
}

module.exports = { freePort };
