/** Process entry: the only place that reads the environment. Parse config, build services and app, listen, shut down cleanly. */
import type { Server } from 'node:http';
import { createApp } from './app.ts';
import { ConfigError, parseConfig } from './config/schema.ts';
import { createServices } from './services.ts';

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
    services.log.info({ port: config.port, host: config.host, fhirBase: config.fhirBaseUrl }, 'gdhcn-gateway listening');
  });
  server.on('error', (err) => {
    services.log.fatal({ err }, 'cannot listen');
    process.exit(1);
  });
  const stop = (signal: string) => {
    services.log.info({ signal }, 'shutting down');
    server.close(() => {
      void services.close().then(() => process.exit(0));
    });
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

await main();
