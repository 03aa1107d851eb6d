/**
 * `gdhcn-gateway clients add|list|disable|enable` and `gdhcn-gateway token`: the client registry in DATA_DIR/auth
 * (the server re-reads it on change, so a disabled client is refused on its next request and a re-enabled one is
 * served again; the server audits each change it takes into effect), and a bearer token for the local development
 * client.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { checkClient, ClientRegistryError, openClientRegistry } from '../auth/clients.ts';
import { parseConfig } from '../config/schema.ts';
import { authPaths, mintDevToken } from '../services-auth.ts';
import { CliUsageError } from './cli-usage-error.ts';

type Out = (s: string) => void;

function registry(env: Record<string, string | undefined>) {
  const config = parseConfig(env);
  return openClientRegistry({
    path: authPaths(config.dataDir).clients,
    ...(config.authClientsFile ? { configFile: config.authClientsFile } : {}),
  });
}

export async function runClients(args: string[], env: Record<string, string | undefined>, out: Out): Promise<number> {
  const [verb, ...rest] = args;
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: {
        scopes: { type: 'string' },
        jwks: { type: 'string' },
        'jwks-uri': { type: 'string' },
        name: { type: 'string' },
      },
    });
  } catch (err) {
    throw new CliUsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  try {
    if (verb === 'list') {
      for (const c of registry(env).list())
        out(`${c.id}\t${c.enabled ? 'enabled' : 'disabled'}\t${c.jwksUri ?? 'inline jwks'}\t${c.scopes.join(' ')}\n`);
      return 0;
    }
    if (verb === 'disable') {
      const id = positionals[0];
      if (!id) throw new CliUsageError('clients disable <id>');
      if (!registry(env).disable(id)) {
        out(`no client ${id}\n`);
        return 1;
      }
      out(`client ${id} disabled; its next request is refused\n`);
      return 0;
    }
    if (verb === 'enable') {
      const id = positionals[0];
      if (!id) throw new CliUsageError('clients enable <id>');
      if (!registry(env).enable(id)) {
        out(`no client ${id}\n`);
        return 1;
      }
      out(`client ${id} enabled; its next request is served\n`);
      return 0;
    }
    if (verb === 'add') {
      const id = positionals[0];
      if (!id || !values.scopes || !values.jwks === !values['jwks-uri'])
        throw new CliUsageError(
          'clients add <id> --scopes "system/Immunization.cruds …" (--jwks FILE | --jwks-uri URL) [--name NAME]',
        );
      const jwks = values.jwks ? (JSON.parse(readFileSync(values.jwks, 'utf8')) as unknown) : undefined;
      const client = checkClient(
        {
          id,
          name: values.name ?? id,
          ...(jwks ? { jwks } : { jwksUri: values['jwks-uri'] }),
          scopes: values.scopes.split(/\s+/).filter(Boolean),
          enabled: true,
          createdAt: new Date().toISOString(),
        },
        'client',
      );
      registry(env).put(client);
      out(`client ${id} registered with scopes: ${client.scopes.join(' ')}\n`);
      return 0;
    }
  } catch (err) {
    if (err instanceof ClientRegistryError || err instanceof SyntaxError) {
      out(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
  throw new CliUsageError(`unknown command: clients ${verb ?? ''}`);
}

export async function runToken(args: string[], env: Record<string, string | undefined>, out: Out): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args, strict: true, options: { scope: { type: 'string' } } }));
  } catch (err) {
    throw new CliUsageError((err as Error).message);
  }
  out(`${await mintDevToken(parseConfig(env), values.scope)}\n`);
  return 0;
}
