/**
 * `keys init`: a development CSCA, DSC and SHC key (with a certificate) written as PEM files, so that a fresh
 * checkout can issue and verify credentials. These keys are for development only; callers must say so loudly.
 */
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createCsca, createDsc, generateKeyPair, privateKeyToPem } from './cert-factory.ts';
import { TrustError } from './errors.ts';
import { toPem } from './x509.ts';

export interface DevKeyPaths {
  cscaCertPath: string;
  cscaKeyPath: string;
  dscCertPaths: string[];
  dscKeyPaths: string[];
  shcKeyPath: string;
  shcCertPath: string;
}

export interface GenerateDevKeysOptions {
  /** Folder to write into (created when missing), e.g. `DATA_DIR/keys`. */
  dir: string;
  /** ISO 3166-1 alpha-2; `XX` is not assigned, which suits development keys. */
  country?: string;
  now: Date;
  /** Replace existing files instead of failing with DEV_KEYS_EXIST. */
  overwrite?: boolean;
}

const DAY = 86_400_000;
const FILES = {
  cscaCert: 'csca.crt.pem',
  cscaKey: 'csca.key.pem',
  dscCert: 'dsc-1.crt.pem',
  dscKey: 'dsc-1.key.pem',
  shcKey: 'shc.key.pem',
  shcCert: 'shc.crt.pem',
} as const;

/** Where `generateDevKeys` writes, in `dir`. */
export function devKeyPaths(dir: string): DevKeyPaths {
  return {
    cscaCertPath: join(dir, FILES.cscaCert),
    cscaKeyPath: join(dir, FILES.cscaKey),
    dscCertPaths: [join(dir, FILES.dscCert)],
    dscKeyPaths: [join(dir, FILES.dscKey)],
    shcKeyPath: join(dir, FILES.shcKey),
    shcCertPath: join(dir, FILES.shcCert),
  };
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * Generates CSCA (10 years), DSC (1 year, HCERT EKUs) and an SHC key certified by the CSCA, all EC P-256,
 * and writes them as PEM (private keys PKCS#8, mode 0600). Returns the paths, ready for `loadIssuerKeys`.
 */
export async function generateDevKeys(options: GenerateDevKeysOptions): Promise<DevKeyPaths> {
  const country = (options.country ?? 'XX').toUpperCase();
  const paths = devKeyPaths(options.dir);
  if (!options.overwrite && (await exists(paths.cscaCertPath))) {
    throw new TrustError('DEV_KEYS_EXIST', `Keys already exist in ${options.dir}; refusing to overwrite them`);
  }
  const notBefore = new Date(options.now.getTime() - DAY);
  const [cscaKeys, dscKeys, shcKeys] = await Promise.all([generateKeyPair(), generateKeyPair(), generateKeyPair()]);
  const csca = await createCsca({
    country,
    commonName: `Development CSCA ${country}`,
    keys: cscaKeys,
    notBefore,
    notAfter: new Date(notBefore.getTime() + 3650 * DAY),
  });
  const leaf = {
    country,
    issuerCert: csca,
    issuerPrivateKey: cscaKeys.privateKey,
    notBefore,
    notAfter: new Date(notBefore.getTime() + 365 * DAY),
  };
  const dsc = await createDsc({ ...leaf, commonName: `Development DSC ${country}`, publicKey: dscKeys.publicKey });
  const shc = await createDsc({
    ...leaf,
    commonName: `Development SHC issuer ${country}`,
    publicKey: shcKeys.publicKey,
    extKeyUsage: null,
  });
  await mkdir(options.dir, { recursive: true });
  const secret = { mode: 0o600 } as const;
  await writeFile(paths.cscaCertPath, toPem(csca));
  await writeFile(paths.cscaKeyPath, await privateKeyToPem(cscaKeys.privateKey), secret);
  await writeFile(paths.dscCertPaths[0]!, toPem(dsc));
  await writeFile(paths.dscKeyPaths[0]!, await privateKeyToPem(dscKeys.privateKey), secret);
  await writeFile(paths.shcCertPath, toPem(shc));
  await writeFile(paths.shcKeyPath, await privateKeyToPem(shcKeys.privateKey), secret);
  return paths;
}

/**
 * First-run helper for `npm start`: generates development keys into `dir` unless they are there already.
 * `generated` tells the caller to log, loudly, that development keys are in use.
 */
export async function ensureDevKeys(
  options: Omit<GenerateDevKeysOptions, 'overwrite'>,
): Promise<DevKeyPaths & { generated: boolean }> {
  try {
    return { ...(await generateDevKeys(options)), generated: true };
  } catch (e) {
    if (!(e instanceof TrustError) || e.code !== 'DEV_KEYS_EXIST') throw e;
    return { ...devKeyPaths(options.dir), generated: false };
  }
}
