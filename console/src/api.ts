/**
 * The console talks only to the server's public API (the calls the README documents). The token the user gives is
 * kept in sessionStorage, so it dies with the tab and is never written anywhere else.
 */
import { t } from './i18n.ts';

const TOKEN_KEY = 'gdhcn-console-token';
export const FHIR = '/fhir';

export const token = {
  get: (): string => sessionStorage.getItem(TOKEN_KEY) ?? '',
  set: (value: string) =>
    value ? sessionStorage.setItem(TOKEN_KEY, value.trim()) : sessionStorage.removeItem(TOKEN_KEY),
};

export interface Param {
  name: string;
  part?: Param[];
  resource?: Resource;
  [value: `value${string}`]: unknown;
}
export interface Resource {
  resourceType: string;
  id?: string;
  [key: string]: unknown;
}
export interface Issue {
  severity: 'fatal' | 'error' | 'warning' | 'information';
  code?: string;
  details?: { text?: string; coding?: { system?: string; code?: string }[] };
  diagnostics?: string;
  expression?: string[];
}
export interface Outcome extends Resource {
  issue?: Issue[];
}

/** An API answer that is not 2xx: its status and the OperationOutcome text when there is one. */
export class ApiError extends Error {
  readonly status: number;
  readonly outcome: Outcome | undefined;
  readonly body: unknown;
  constructor(status: number, body: unknown) {
    const outcome = (body as Outcome | undefined)?.resourceType === 'OperationOutcome' ? (body as Outcome) : undefined;
    const text = outcome?.issue
      ?.map((i) => i.details?.text ?? i.diagnostics)
      .filter(Boolean)
      .join('; ');
    super(
      status === 401
        ? t('err.needToken')
        : status === 403
          ? `${t('err.forbidden')} ${text ?? ''}`
          : (text ?? `HTTP ${status}`),
    );
    this.status = status;
    this.outcome = outcome;
    this.body = body;
  }
}

/** One call to the server; JSON both ways unless `body` is a Blob (a QR picture). */
export async function call<T = Resource>(
  path: string,
  options: { method?: string; body?: unknown; accept404?: boolean } = {},
): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/fhir+json, application/json' };
  const bearer = token.get();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  let body: BodyInit | undefined;
  if (options.body instanceof Blob) {
    body = options.body;
    headers['Content-Type'] = options.body.type;
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['Content-Type'] = 'application/fhir+json';
  }
  const res = await fetch(path, { method: options.method ?? (body ? 'POST' : 'GET'), headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: kept as text for the error
  }
  if (!res.ok) throw new ApiError(res.status, parsed);
  return parsed as T;
}

/** A Parameters body from name → value pairs (value[x] given whole), skipping empty values. */
export function parameters(...params: (Param | undefined | false | '')[]): Resource {
  return { resourceType: 'Parameters', parameter: params.filter((p): p is Param => !!p) };
}

export const param = (params: Param[] | undefined, name: string): Param | undefined =>
  params?.find((p) => p.name === name);
export const params = (list: Param[] | undefined, name: string): Param[] => list?.filter((p) => p.name === name) ?? [];

/** The value[x] of a parameter, whatever its type. */
export function valueIn(p: Param | undefined): unknown {
  if (!p) return undefined;
  for (const [k, v] of Object.entries(p)) if (k.startsWith('value')) return v;
  return undefined;
}
export const partValue = (p: Param | undefined, name: string): unknown => valueIn(param(p?.part, name));
