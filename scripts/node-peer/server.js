// The Node peer of scripts/bench: an ocpp-rpc (npm) OCPP 1.6J/2.0.1 server that validates every
// frame against its schemas (strictMode) and answers BootNotification, Heartbeat, MeterValues
// and StatusNotification, storing nothing. csms persists what this peer only answers; the bench
// measures both in one run.
//
//   node scripts/node-peer/server.js 127.0.0.1:19200
const { RPCServer } = require('ocpp-rpc');

const [host, port] = (process.argv[2] || '127.0.0.1:19200').split(':');
const server = new RPCServer({ protocols: ['ocpp1.6', 'ocpp2.0.1'], strictMode: true });

server.on('client', (client) => {
  const now = () => new Date().toISOString();
  client.handle('BootNotification', () => ({ status: 'Accepted', interval: 300, currentTime: now() }));
  client.handle('Heartbeat', () => ({ currentTime: now() }));
  client.handle('MeterValues', () => ({}));
  client.handle('StatusNotification', () => ({}));
});

server.listen(Number(port), host).then(() => console.log(`listening on ${host}:${port}`));
