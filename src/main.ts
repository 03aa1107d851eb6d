/** Process entry: the only place that reads the environment. Parse config, build services and app, listen, shut down cleanly. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.ts';
import { onClientError } from './http/hardening.ts';
import { ConfigError, parseConfig } from './config/schema.ts';
import { createServices, type Services } from './services.ts';
import { startupAttention } from './startup-notes.ts';

async function main(): Promise<void> {
  let config;
  let services;
  try {
    config = parseConfig(process.env);
    services = await createServices(config);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const app = createApp(services);
  const server: Server = app.listen(config.port, config.host, () => {
    const { port } = server.address() as AddressInfo;
    services.log.info(
      { port, host: config.host, fhirBase: config.fhirBaseUrl, startedInMs: Math.round(performance.now()) },
      'gdhcn-gateway listening',
    );
    const attention = startupAttention(services);
    if (attention.length > 0) services.log.warn({ attention }, `ATTENTION: ${attention.join(' | ')}`);
  });
  server.on('clientError', onClientError);
  server.on('error', (err) => {
    services.log.fatal({ err }, 'cannot listen');
    process.exit(1);
  });
  const stop = (signal: string) => {
    services.log.info(
      { signal, timeoutMs: config.shutdownTimeoutMs },
      'shutting down: no new connections, finishing in-flight requests',
    );
    void shutdown(server, services, config.shutdownTimeoutMs).then(
      () => process.exit(0),
      (err: unknown) => {
        services.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

/**
 * Graceful stop: refuse new connections, let in-flight requests finish (at most `timeoutMs`, then their connections
 * are cut), close the store, flush the log.
 */
async function shutdown(server: Server, services: Services, timeoutMs: number): Promise<void> {
  const closed = new Promise<void>((done) => server.close(() => done()));
  // Keep-alive connections with no request in flight would hold close() open until they time out.
  server.closeIdleConnections();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((done) => {
    timer = setTimeout(() => done('late'), timeoutMs);
  });
  if ((await Promise.race([closed, late])) === 'late') {
    services.log.warn(
      { timeoutMs },
      'shutdown: in-flight requests still running at the deadline; closing their connections',
    );
    server.closeAllConnections();
    await closed;
  }
  clearTimeout(timer);
  await services.close();
  services.log.info('stopped');
  services.log.flush();
}

await main();
