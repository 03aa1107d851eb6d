/**
 * The floor for bench/http-stack.ts: a bare node:http server on 127.0.0.1 that reads the body and answers a fixed
 * FHIR JSON, with the same IPC as bench/rest-server.ts ('cpu' → process.cpuUsage, 'stop'). Whatever the real app
 * costs above this is the HTTP stack's and the handler's.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const answer = JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'valid', valueBoolean: false }] });
const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    res.writeHead(200, { 'Content-Type': 'application/fhir+json; charset=utf-8' });
    res.end(answer);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
process.on('message', (m) => {
  if (m === 'cpu') process.send?.({ cpu: process.cpuUsage() });
  if (m === 'stop') server.close(() => process.exit(0));
});
