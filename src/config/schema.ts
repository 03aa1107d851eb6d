/**
 * The server's configuration: one typed object, parsed and validated once from the environment,
 * then passed down explicitly. Every key documents itself; the README table is generated from CONFIG_KEYS.
 */
export interface Config {
  port: number;
  host: string;
  /** Public base of the FHIR API; every link the server writes starts with it. */
  fhirBaseUrl: string;
  dataDir: string;
  storage: 'sqlite' | 'mongodb';
  mongodbUrl?: string;
  mongodbTransactions: 'auto' | 'required' | 'compensate';
  sqliteSynchronous: 'FULL' | 'NORMAL';
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  maxBodyBytes: number;
  searchDefaultCount: number;
  searchMaxCount: number;
  /** Conditional delete may delete every match (up to conditionalDeleteMax); false: several matches get 412. */
  conditionalDeleteMultiple: boolean;
  conditionalDeleteMax: number;
  patchMaxOperations: number;
  /** Most ids one `_has` or inner chain step may match before the search is refused. */
  searchJoinMax: number;
  /** Trust X-Forwarded-* headers (only behind a proxy you control). */
  trustProxy: boolean;
  /** Public origin where /.well-known and /trust are served; the SHC `iss`. */
  issuerUrl: string;
  issuerCountry: string;
  issuerCscaCert?: string;
  issuerDscCerts: string[];
  issuerDscKeys: string[];
  issuerShcKey?: string;
  issuerShcCert?: string;
  issuerShcRetiredKeys: string[];
  trustListUrl?: string;
  trustListFile?: string;
  trustListRefreshMs: number;
  trustListMaxAgeMs: number;
  trustListMaxBytes: number;
  /** Certificate or public JWK (inline or file) whose key must have signed the trust list's proof. */
  trustListAnchor?: string;
  trustListRefAllow?: string[];
  trustListRefMaxDepth: number;
  /** Trust-list domains used to verify credentials (empty = all). */
  trustListDomains: string[];
  /** Report our DSCs ending within this margin (ms) in /trust/status and the log. */
  dscRenewalMarginMs: number;
  /** EU DCC revocation batch sources (URLs or files). */
  revocationDccSources: string[];
  /** SMART Health Card CRL sources (URLs or files; each CRL states its `iss`). */
  revocationShcSources: string[];
  revocationShcAuto: boolean;
  shcDirectoryFile?: string;
  trustSelf: boolean;
  /** Name of the issuing authority in certificates (DDCC organization, EU DCC `is`). */
  issuerName: string;
  /** Validity of a minted HCERT, in milliseconds. */
  hcertValidityMs: number;
  /** Public URL of this server's SMART Health Link endpoints (served at `/shl`). */
  shlBaseUrl: string;
  /** URL prefixes `$verify` may fetch SHL manifests from, besides this server's own (answered in-process). */
  shlFetchAllow: string[];
  /** Extra FHIR IG packages (.tgz files or unpacked folders). */
  fhirPackages: string[];
  fhirPackageCache: string;
  /** IHE ITI.VHL OAuth with SSRAA: receivers of the trust list authenticate with x5c, no registration (ADR 0064). */
  vhlReceiverTrustNetwork: boolean;
  /** Whether FHIR packages installed as npm dependencies are loaded from node_modules (ADR 0064). */
  fhirPackagesNodeModules: boolean;
  /** Ingest profile per resource type (`Bundle` applies to document Bundles). */
  validationProfiles: Record<string, string>;
  validationMode: 'strict' | 'lenient' | 'off';
  validationUnknownProfile: 'warning' | 'error';
  validationUnknownExtension: 'error' | 'warning' | 'information';
  packageInstall: boolean;
  /** Where the EU DCC business rules come from (signed JWS distribution), or a local file. */
  rulesUrl?: string;
  rulesFile?: string;
  /** PEM (SPKI) or JWK file of the key the rule distribution is signed with. */
  rulesSigningKey?: string;
  rulesAllowUnsigned: boolean;
  rulesRefreshMs: number;
  /** /readyz fails when the signing keys expire sooner than this (ms). */
  readyKeyMinValidityMs: number;
  /** How long a SIGTERM waits for in-flight requests before closing anyway (ms). */
  shutdownTimeoutMs: number;
  /** Request hardening (issue 19): work and size limits, admission control, browser-facing headers. */
  maxContained: number;
  maxBundleEntries: number;
  searchMaxIncludes: number;
  maxResponseBytes: number;
  requestBudgetMs: number;
  heavyConcurrency: number;
  queueTimeoutMs: number;
  queueMax: number;
  /** Worker threads that validate large resources off the event loop (0: all on it). */
  validationWorkers: number;
  corsOrigins: string[];
  packageOverrideLocked: boolean;
  /** NODE_ENV=production: start-up refuses development settings (src/config/production.ts). */
  production: boolean;
  /** Bearer tokens required (SMART Backend Services); `false` only for local experiments. */
  auth: boolean;
  authClientsFile?: string;
  authTokenLifetimeMs: number;
  authJwksAllow: string[];
  authExternalIssuer?: string;
  authExternalJwksUrl?: string;
  authExternalAudience?: string;
  /** Requests per minute per client address on the public endpoints; 0 = no limit. */
  publicRateLimit: number;
  /** AuditEvent for every write, read, issuance, token grant and refusal. */
  audit: boolean;
  /** How long a completed `$issue-hcert-bulk` job's output files stay available (ms). */
  bulkOutputRetentionMs: number;
}

import { authProblems, productionProblems } from './production.ts';
import { bool, ConfigProblem, duration, httpUrl, intIn, list, oneOf, profileMap, upperAlpha2 } from './parsers.ts';

/** Why these: DDCC is the WHO profile the certificates are minted from; IPS is the HL7 patient summary the SHL carries. */
export const DEFAULT_INGEST_PROFILES: Readonly<Record<string, string>> = {
  Immunization: 'http://smart.who.int/ddcc/StructureDefinition/DDCCImmunization',
  Bundle: 'http://hl7.org/fhir/uv/ips/StructureDefinition/Bundle-uv-ips',
};

type Env = Record<string, string | undefined>;

interface KeySpec<K extends keyof Config> {
  key: K;
  env: string;
  doc: string;
  /** Shown in the docs; `undefined` means "no default". */
  defaultText: string;
  parse: (raw: string | undefined, partial: Partial<Config>, env: Env) => Config[K];
}

/** `withDefault` applies the default when the variable is unset or empty. */
function spec<K extends keyof Config>(
  key: K,
  env: string,
  doc: string,
  fallback: Config[K] | ((partial: Partial<Config>, env: Env) => Config[K]),
  parse: (raw: string) => Config[K],
  shown?: string,
): KeySpec<K> {
  const empty = fallback === undefined || (Array.isArray(fallback) && fallback.length === 0);
  const defaultText = shown ?? (typeof fallback === 'function' ? '(derived)' : empty ? '—' : `\`${String(fallback)}\``);
  return {
    key,
    env,
    doc,
    defaultText,
    parse: (raw, partial, env) => {
      if (raw === undefined || raw.trim() === '') {
        return typeof fallback === 'function'
          ? (fallback as (p: Partial<Config>, e: Env) => Config[K])(partial, env)
          : fallback;
      }
      return parse(raw);
    },
  };
}

// Order matters: derived defaults read keys parsed before them.
export const CONFIG_KEYS = [
  spec('port', 'PORT', 'TCP port the HTTP server listens on.', 8080, intIn(0, 65535)),
  spec(
    'host',
    'HOST',
    'Interface to listen on; local only unless set (the Docker image sets `0.0.0.0`).',
    '127.0.0.1',
    (s) => s.trim(),
  ),
  spec(
    'fhirBaseUrl',
    'FHIR_BASE_URL',
    'Public base URL of the FHIR API, used in every Location, fullUrl and link. Default: `http://localhost:<PORT>/fhir`.',
    (p) => `http://localhost:${p.port ?? 8080}/fhir`,
    httpUrl,
  ),
  spec('dataDir', 'DATA_DIR', 'Folder for the embedded database, keys and caches.', './data', (s) => s),
  spec(
    'storage',
    'STORAGE',
    'Storage adapter: `sqlite` (embedded, default) or `mongodb`.',
    'sqlite',
    oneOf(['sqlite', 'mongodb'] as const),
  ),
  spec('mongodbUrl', 'MONGODB_URL', 'MongoDB connection string (required when STORAGE=mongodb).', undefined, (s) => s),
  spec(
    'mongodbTransactions',
    'MONGODB_TRANSACTIONS',
    '`auto`: transactions on a replica set, compensating writes on a standalone server (weaker, see docs/mongodb.md); `required`: refuse to start without transactions; `compensate`: never use them.',
    'auto',
    oneOf(['auto', 'required', 'compensate'] as const),
  ),
  spec(
    'sqliteSynchronous',
    'SQLITE_SYNCHRONOUS',
    '`FULL` (default): every acknowledged write survives power loss; `NORMAL`: survives a process crash, faster.',
    'FULL',
    oneOf(['FULL', 'NORMAL'] as const),
  ),
  spec(
    'logLevel',
    'LOG_LEVEL',
    'pino log level.',
    'info',
    oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
  ),
  spec(
    'maxBodyBytes',
    'MAX_BODY_BYTES',
    'Largest request body accepted; larger ones get 413 before they are read.',
    10 * 1024 * 1024,
    intIn(1024, 1024 ** 3),
  ),
  spec('searchDefaultCount', 'SEARCH_DEFAULT_COUNT', 'Page size when a search gives no `_count`.', 20, intIn(1, 10000)),
  spec(
    'searchMaxCount',
    'SEARCH_MAX_COUNT',
    'Largest `_count` honoured; larger values are capped.',
    1000,
    intIn(1, 10000),
  ),
  spec(
    'conditionalDeleteMultiple',
    'CONDITIONAL_DELETE_MULTIPLE',
    '`DELETE [type]?[search]` deletes every match (up to CONDITIONAL_DELETE_MAX); `false`: more than one match gets 412.',
    false,
    bool,
  ),
  spec(
    'conditionalDeleteMax',
    'CONDITIONAL_DELETE_MAX',
    'Most resources one conditional delete may delete; a search matching more gets 412 and nothing is deleted.',
    100,
    intIn(1, 10000),
  ),
  spec(
    'patchMaxOperations',
    'PATCH_MAX_OPERATIONS',
    'Most operations in one JSON Patch or FHIRPath Patch document; longer ones get 422.',
    1000,
    intIn(1, 100000),
  ),
  spec(
    'searchJoinMax',
    'SEARCH_JOIN_MAX',
    'Most resources one `_has` or inner chain step (`a.b.c=`) may match; a search fanning out further gets 400.',
    1000,
    intIn(1, 100000),
  ),
  spec(
    'trustProxy',
    'TRUST_PROXY',
    'Honour X-Forwarded-* headers (only behind a reverse proxy you control).',
    false,
    bool,
  ),
  spec(
    'issuerUrl',
    'ISSUER_URL',
    'Public origin of this issuer: `/.well-known/jwks.json` and `/trust/*` live under it, and it is the SMART Health Card `iss`. Default: FHIR_BASE_URL without its last path segment.',
    (p) => (p.fhirBaseUrl ?? 'http://localhost:8080/fhir').replace(/\/[^/]*$/, ''),
    httpUrl,
  ),
  spec(
    'issuerCountry',
    'ISSUER_COUNTRY',
    'ISO 3166-1 alpha-2 country of the development keys generated on first start.',
    'XX',
    upperAlpha2,
  ),
  spec(
    'issuerCscaCert',
    'ISSUER_CSCA_CERT',
    'PEM file of the country signing CA (CSCA). Unset: development keys in `DATA_DIR/keys`, made on first start.',
    undefined,
    (s) => s,
  ),
  spec(
    'issuerDscCerts',
    'ISSUER_DSC_CERTS',
    'Comma-separated PEM files of the document signer certificates (DSC); the newest valid one signs.',
    [],
    list,
  ),
  spec(
    'issuerDscKeys',
    'ISSUER_DSC_KEYS',
    'Comma-separated PKCS#8 PEM private keys, in the order of ISSUER_DSC_CERTS.',
    [],
    list,
  ),
  spec(
    'issuerShcKey',
    'ISSUER_SHC_KEY',
    'PKCS#8 PEM private key (EC P-256) signing SMART Health Cards.',
    undefined,
    (s) => s,
  ),
  spec(
    'issuerShcCert',
    'ISSUER_SHC_CERT',
    'Optional PEM certificate of the SHC key, published as `x5c`.',
    undefined,
    (s) => s,
  ),
  spec(
    'issuerShcRetiredKeys',
    'ISSUER_SHC_RETIRED_KEYS',
    'Comma-separated PEM files (certificate, public or private key) of retired SHC keys: published in `/.well-known/jwks.json` so cards they signed still verify, never used to sign. A certificate stops being published when it expires; remove a bare key once its last card has expired.',
    [],
    list,
  ),
  spec(
    'trustListUrl',
    'TRUSTLIST_URL',
    'URL of the GDHCN trust list (DID document) to verify against.',
    undefined,
    httpUrl,
  ),
  spec('trustListFile', 'TRUSTLIST_FILE', 'Or a file holding the trust list.', undefined, (s) => s),
  spec(
    'trustListRefreshMs',
    'TRUSTLIST_REFRESH',
    'How often the trust list is refreshed (`30m`, `6h`, `1d` or seconds).',
    6 * 3600_000,
    duration,
    '`6h`',
  ),
  spec(
    'trustListMaxAgeMs',
    'TRUSTLIST_MAX_AGE',
    'Past this age, verdicts carry a warning that the trust list is stale.',
    48 * 3600_000,
    duration,
    '`48h`',
  ),
  spec(
    'trustListMaxBytes',
    'TRUSTLIST_MAX_BYTES',
    'Largest trust-list download accepted.',
    64 * 1024 * 1024,
    intIn(1024, 1024 ** 3),
  ),
  spec(
    'trustListAnchor',
    'TRUSTLIST_ANCHOR',
    'Trust anchor of the list: PEM certificate, public JWK/JWKS (inline) or a file holding one. When set, a list (and each referenced sub-list) is used only if its JsonWebSignature2020 proof verifies with it and it is not older than the list held.',
    undefined,
    (s) => s,
  ),
  spec(
    'trustListRefAllow',
    'TRUSTLIST_REF_ALLOW',
    'Comma-separated URL prefixes `trustlist-ref` references may resolve under. Default: the origin of TRUSTLIST_URL.',
    undefined,
    list,
  ),
  spec(
    'trustListRefMaxDepth',
    'TRUSTLIST_REF_MAX_DEPTH',
    'Deepest chain of `trustlist-ref` references followed.',
    8,
    intIn(0, 64),
  ),
  spec(
    'trustListDomains',
    'TRUSTLIST_DOMAINS',
    'Comma-separated trust-list domains (DCC, DDCC, ICVP, IPS-PILGRIMAGE, PH4H…) whose DSCs may verify credentials; empty = every domain.',
    [],
    list,
  ),
  spec(
    'dscRenewalMarginMs',
    'DSC_RENEWAL_MARGIN',
    'Our DSCs ending within this margin are reported in /trust/status (`renewal`) and warned about in the log.',
    60 * 86_400_000,
    duration,
    '`60d`',
  ),
  spec(
    'revocationDccSources',
    'REVOCATION_DCC_SOURCES',
    'Comma-separated URLs or files of EU DCC revocation batches (`{country, kid, hashType, expires, entries}`, or an array) of trusted DSCs; refreshed with the trust list and kept in DATA_DIR.',
    [],
    list,
  ),
  spec(
    'revocationShcSources',
    'REVOCATION_SHC_SOURCES',
    'Comma-separated URLs or files of SMART Health Card CRLs (`{iss, kid, method: "rid", ctr, rids}`, or an array) of trusted SHC issuers.',
    [],
    list,
  ),
  spec(
    'revocationShcAuto',
    'REVOCATION_SHC_AUTO',
    'Fetch `<iss>/.well-known/crl/<kid>.json` for every trusted SMART Health Card key whose JWK declares `crlVersion` (https only), with each revocation refresh.',
    false,
    bool,
  ),
  spec(
    'shcDirectoryFile',
    'SHC_DIRECTORY_FILE',
    'VCI-directory-shaped JSON file of trusted SMART Health Card issuers.',
    undefined,
    (s) => s,
  ),
  spec(
    'trustSelf',
    'TRUST_SELF',
    "Trust this server's own keys when verifying (development). Default: true unless NODE_ENV=production.",
    (_p, env) => env.NODE_ENV !== 'production',
    bool,
    '`true` (`false` in production)',
  ),
  spec(
    'issuerName',
    'ISSUER_NAME',
    'Name of the issuing authority written into certificates (DDCC organization, EU DCC `is`).',
    (p) => `Development issuer ${p.issuerCountry ?? 'XX'}`,
    (s) => s.trim(),
    '`Development issuer <ISSUER_COUNTRY>`',
  ),
  spec(
    'hcertValidityMs',
    'HCERT_VALIDITY',
    'Validity of a minted HCERT (`exp` = `iat` + this), unless the request asks for less.',
    365 * 86_400_000,
    duration,
    '`365d`',
  ),
  spec(
    'shlBaseUrl',
    'SHL_BASE_URL',
    'Public URL of the SMART Health Link endpoints this server serves at `/shl`; manifest URLs start with it. Default: ISSUER_URL + `/shl`.',
    (p) => `${p.issuerUrl ?? 'http://localhost:8080'}/shl`,
    httpUrl,
  ),
  spec(
    'shlFetchAllow',
    'SHL_FETCH_ALLOW',
    "Comma-separated URL prefixes `$verify` may fetch SMART Health Link manifests from. This server's own links are always answered in-process; nothing else is fetched unless listed here.",
    [],
    (s) =>
      list(s)
        .map(httpUrl)
        .map((u) => `${u}/`),
    '— (this server only)',
  ),
  spec(
    'fhirPackages',
    'FHIR_PACKAGES',
    'Colon-separated FHIR IG packages to load (`.tgz` files or folders holding them), besides `ig/packages/` and the package cache.',
    [],
    (s) =>
      s
        .split(':')
        .map((p) => p.trim())
        .filter(Boolean),
  ),
  spec(
    'fhirPackageCache',
    'FHIR_PACKAGE_CACHE',
    'The FHIR package cache shared with the HL7 tools (`<id>#<version>/package`), used to resolve dependencies.',
    (_p, env) => `${env.HOME ?? '.'}/.fhir/packages`,
    (s) => s,
    '`~/.fhir/packages`',
  ),
  spec(
    'vhlReceiverTrustNetwork',
    'VHL_RECEIVER_TRUST_NETWORK',
    'IHE ITI.VHL "OAuth with SSRAA" option: a VHL receiver that is not a registered client may get a token by signing its client assertion with a certificate (JWS `x5c`) that chains to a CSCA of the trust list; such tokens carry only `system/List.s` (the manifest search). VHLs then carry `extension.fhirBaseUrl`.',
    false,
    bool,
  ),
  spec(
    'fhirPackagesNodeModules',
    'FHIR_PACKAGES_NODE_MODULES',
    'Load FHIR packages installed as npm dependencies from node_modules: the runtime dependencies, and the development dependencies the lock list names (hl7.fhir.uv.ips). They fill in what FHIR_PACKAGES and the cache lack; `false` loads only those.',
    true,
    bool,
  ),
  spec(
    'validationProfiles',
    'VALIDATION_PROFILES',
    'Profile each write is validated against, per resource type: `Type=canonical[|version],…`. `Bundle` applies to document Bundles.',
    DEFAULT_INGEST_PROFILES,
    profileMap,
    `\`${Object.entries(DEFAULT_INGEST_PROFILES)
      .map(([k, v]) => `${k}=${v}`)
      .join(',')}\``,
  ),
  spec(
    'validationMode',
    'VALIDATION_MODE',
    '`strict`: a write with profile errors gets 422 and nothing is stored; `lenient`: stored, issues returned; `off`: structural checks only.',
    'strict',
    oneOf(['strict', 'lenient', 'off'] as const),
  ),
  spec(
    'validationUnknownExtension',
    'VALIDATION_UNKNOWN_EXTENSION',
    'Severity of an extension in an HL7 IG canonical space (http://hl7.org/fhir/<realm>/<ig>/StructureDefinition/...) that no loaded package defines (the HL7 validator reports error). Other unknown extensions are warnings; unknown modifier extensions are always errors.',
    'error',
    oneOf(['error', 'warning', 'information'] as const),
  ),
  spec(
    'validationUnknownProfile',
    'VALIDATION_UNKNOWN_PROFILE',
    'Severity when a resource claims (meta.profile) or is asked to meet a profile that is not loaded.',
    'warning',
    oneOf(['warning', 'error'] as const),
  ),
  spec(
    'maxContained',
    'MAX_CONTAINED',
    'Most contained resources one resource may hold (at any depth, Bundle entries included); more gets 422 `too-costly` before validation.',
    1000,
    intIn(1, 1_000_000),
  ),
  spec(
    'maxBundleEntries',
    'MAX_BUNDLE_ENTRIES',
    'Most entries a Bundle in a request may hold; more gets 422 `too-costly` before validation.',
    10_000,
    intIn(1, 1_000_000),
  ),
  spec(
    'searchMaxIncludes',
    'SEARCH_MAX_INCLUDES',
    'Most resources `_include`/`_revinclude` add to one search page (also never more than its `_count`); the Bundle says when it cut.',
    1000,
    intIn(1, 100_000),
  ),
  spec(
    'maxResponseBytes',
    'MAX_RESPONSE_BYTES',
    'Largest response body; a larger answer is replaced by 422 `too-costly` (ask for a smaller `_count`).',
    64 * 1024 * 1024,
    intIn(1024, 1024 ** 3),
  ),
  spec(
    'requestBudgetMs',
    'REQUEST_BUDGET',
    'Work budget of one request (validation, search): past it, or when the client has gone, the work stops with 422 `too-costly`.',
    10_000,
    duration,
    '`10s`',
  ),
  spec(
    'heavyConcurrency',
    'HEAVY_CONCURRENCY',
    'Requests of the heavy class (writes, validation, search, operations) served at once; others wait in a queue. Reads, `/healthz` and metadata are never queued behind them.',
    8,
    intIn(1, 1024),
  ),
  spec(
    'queueTimeoutMs',
    'QUEUE_TIMEOUT',
    'Longest a heavy request waits for its turn; then 503 with Retry-After.',
    10_000,
    duration,
    '`10s`',
  ),
  spec(
    'queueMax',
    'QUEUE_MAX',
    'Most heavy requests waiting (per class); beyond, 503 with Retry-After at once.',
    128,
    intIn(0, 100_000),
  ),
  spec(
    'validationWorkers',
    'VALIDATION_WORKERS',
    'Worker threads that take large validation work off the event loop (`$validate` of large resources and large `$validate` bodies, parsed there too; write-time validation of large resources), each with its own copy of the packages; 0 validates everything on it. Small resources are always validated inline.',
    1,
    intIn(0, 16),
  ),
  spec(
    'corsOrigins',
    'CORS_ORIGINS',
    'Comma-separated browser origins allowed to call the FHIR API (CORS; `*` for any). Preflight requests are answered without authentication.',
    [],
    list,
  ),
  spec(
    'packageOverrideLocked',
    'PACKAGE_OVERRIDE_LOCKED',
    'Let an uploaded package replace a canonical resource that the core or a locked package (ig/packages.json) defines. Off: such an upload is refused.',
    false,
    bool,
  ),
  spec(
    'packageInstall',
    'PACKAGE_INSTALL',
    'Allow `POST /fhir/$install-package` (uploads an IG package at run time). Default: true unless NODE_ENV=production.',
    (_p, env) => env.NODE_ENV !== 'production',
    bool,
    '`true` (`false` in production)',
  ),
  spec(
    'rulesUrl',
    'RULES_URL',
    'URL of the EU DCC business-rule distribution (`{ rules, valueSets }` as a compact JWS, verified with RULES_SIGNING_KEY); refreshed, cached in DATA_DIR, last good copy kept.',
    undefined,
    httpUrl,
  ),
  spec(
    'rulesFile',
    'RULES_FILE',
    'Or a local file holding the rule distribution (a JWS, or plain JSON when RULES_ALLOW_UNSIGNED=true).',
    undefined,
    (s) => s,
  ),
  spec(
    'rulesSigningKey',
    'RULES_SIGNING_KEY',
    'PEM (SPKI) or JWK file of the public key the rule distribution is signed with.',
    undefined,
    (s) => s,
  ),
  spec(
    'rulesAllowUnsigned',
    'RULES_ALLOW_UNSIGNED',
    'Accept an unsigned (plain JSON) rule distribution from RULES_FILE. Never applies to RULES_URL.',
    false,
    bool,
  ),
  spec(
    'rulesRefreshMs',
    'RULES_REFRESH',
    'How often the business rules are re-read (`30m`, `6h`, `1d` or seconds).',
    6 * 3600_000,
    duration,
    '`6h`',
  ),
  spec(
    'readyKeyMinValidityMs',
    'READYZ_KEY_MIN_VALIDITY',
    '`GET /readyz` answers 503 when the signing keys (DSC, CSCA) expire sooner than this.',
    30 * 86_400_000,
    duration,
    '`30d`',
  ),
  spec(
    'shutdownTimeoutMs',
    'SHUTDOWN_TIMEOUT',
    'On SIGTERM/SIGINT: stop accepting, then wait at most this long for in-flight requests before closing the store and exiting.',
    10_000,
    duration,
    '`10s`',
  ),
  spec(
    'production',
    'NODE_ENV',
    '`production` refuses to start with development settings (AUTH=off, development keys, a localhost or http base URL, …).',
    false,
    (s) => s.trim() === 'production',
    '—',
  ),
  spec(
    'auth',
    'AUTH',
    '`on`: every request outside the public list needs a SMART Backend Services bearer token; `off` only for local experiments (refused in production).',
    true,
    onOff,
  ),
  spec(
    'authClientsFile',
    'AUTH_CLIENTS_FILE',
    'JSON file of registered clients (`{"clients":[{id,name,jwks|jwksUri,scopes,enabled}]}`), merged with `DATA_DIR/auth/clients.json`.',
    undefined,
    (s) => s,
  ),
  spec(
    'authTokenLifetimeMs',
    'AUTH_TOKEN_LIFETIME',
    'Lifetime of the access tokens `/auth/token` mints.',
    300_000,
    duration,
    '`5m`',
  ),
  spec(
    'authJwksAllow',
    'AUTH_JWKS_ALLOW',
    "Comma-separated URL prefixes a client's `jwksUri` and the external issuer's JWKS may be fetched from (https, no redirects, capped).",
    [],
    (s) =>
      list(s)
        .map(httpUrl)
        .map((u) => `${u}/`),
    '—',
  ),
  spec(
    'authExternalIssuer',
    'AUTH_EXTERNAL_ISSUER',
    'Also accept access tokens of this external authorization server (its `iss`).',
    undefined,
    httpUrl,
  ),
  spec(
    'authExternalJwksUrl',
    'AUTH_EXTERNAL_JWKS_URL',
    "The external authorization server's JWKS URL (must be under AUTH_JWKS_ALLOW).",
    undefined,
    httpUrl,
  ),
  spec(
    'authExternalAudience',
    'AUTH_EXTERNAL_AUDIENCE',
    'The `aud` external tokens must carry. Default: FHIR_BASE_URL.',
    (p) => p.fhirBaseUrl,
    (s) => s.trim(),
  ),
  spec(
    'publicRateLimit',
    'PUBLIC_RATE_LIMIT',
    'Requests per minute per client address on the public endpoints (`$verify`, `/shl`, `/trust`, `/.well-known`, metadata); `0` = unlimited.',
    600,
    intIn(0, 1_000_000),
  ),
  spec(
    'audit',
    'AUDIT',
    'Record an AuditEvent for every write, read, issuance, token grant and refused request.',
    true,
    bool,
  ),
  spec(
    'bulkOutputRetentionMs',
    'BULK_OUTPUT_RETENTION',
    'How long the output files of a completed `$issue-hcert-bulk` job stay available (`30m`, `6h`, `1d` or seconds); then they are deleted and the job answers 410.',
    86_400_000,
    duration,
    '`1d`',
  ),
] as const;

/** `on`/`off` besides true/false. */
function onOff(raw: string): boolean {
  const v = raw.trim().toLowerCase();
  if (v === 'on') return true;
  if (v === 'off') return false;
  return bool(raw);
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Parses the environment into a Config, or throws a ConfigError listing every bad value. */
export function parseConfig(env: Record<string, string | undefined>, overrides: Partial<Config> = {}): Config {
  const partial: Partial<Config> = {};
  const problems: string[] = [];
  for (const s of CONFIG_KEYS) {
    try {
      const value = s.key in overrides ? overrides[s.key] : s.parse(env[s.env], partial, env);
      (partial as Record<string, unknown>)[s.key] = value;
    } catch (err) {
      if (!(err instanceof ConfigProblem)) throw err;
      problems.push(`${s.env} ${err.message}`);
    }
  }
  if (partial.storage === 'mongodb' && !partial.mongodbUrl)
    problems.push('MONGODB_URL is required when STORAGE=mongodb');
  if (partial.searchDefaultCount && partial.searchMaxCount && partial.searchDefaultCount > partial.searchMaxCount) {
    problems.push('SEARCH_DEFAULT_COUNT must not exceed SEARCH_MAX_COUNT');
  }
  problems.push(...issuerProblems(partial));
  problems.push(...authProblems(partial), ...productionProblems(partial));
  // An SHL payload's url is at most 128 characters (spec); ours is the base, '/', and a 43-character link id.
  if (partial.shlBaseUrl && partial.shlBaseUrl.length > 128 - 44) {
    problems.push(
      `SHL_BASE_URL must be at most ${128 - 44} characters (a link's URL is capped at 128 by the SMART Health Links spec), got ${partial.shlBaseUrl.length}`,
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return partial as Config;
}

function issuerProblems(c: Partial<Config>): string[] {
  const problems: string[] = [];
  const certs = c.issuerDscCerts ?? [];
  const keys = c.issuerDscKeys ?? [];
  if (certs.length !== keys.length)
    problems.push(`ISSUER_DSC_CERTS names ${certs.length} file(s) but ISSUER_DSC_KEYS names ${keys.length}`);
  if (certs.length > 0 && !c.issuerCscaCert) problems.push('ISSUER_CSCA_CERT is required with ISSUER_DSC_CERTS');
  if (c.issuerCscaCert && certs.length === 0) problems.push('ISSUER_DSC_CERTS is required with ISSUER_CSCA_CERT');
  if (c.trustListUrl && c.trustListFile) problems.push('set TRUSTLIST_URL or TRUSTLIST_FILE, not both');
  if (c.rulesUrl && c.rulesFile) problems.push('set RULES_URL or RULES_FILE, not both');
  if (c.rulesUrl && !c.rulesSigningKey)
    problems.push('RULES_URL needs RULES_SIGNING_KEY (rules from a URL must be signed)');
  return problems;
}

/** The configuration table of the README, generated so the docs cannot drift. */
export function configTableMarkdown(): string {
  const rows = CONFIG_KEYS.map((s) => `| \`${s.env}\` | ${s.defaultText} | ${s.doc} |`);
  return ['| variable | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}
