/**
 * The `fetchVhl` of `$verify`: follows a `vhlink:/` whose manifest URL is this server's own List search, in process
 * (the ITI-YY5 answer, then each DocumentReference's attachment through the SHL file fetcher, which serves this
 * server's file tickets without a socket). A VHL of another sharer is not fetched: ITI-YY5 needs the receiver to
 * authenticate to that sharer (HTTP Message Signatures, OAuth with SSRAA or a Verifiable Credential), and this
 * server holds no receiver credentials yet; the check then says so (SHL_FETCH_REFUSED), never a false pass.
 * https://profiles.ihe.net/ITI/VHL/ITI-YY5.html
 */
import type { Bundle, DocumentReference } from '@medplum/fhirtypes';
import { FormatError } from '../formats/errors.ts';
import { parseVhlManifestUrl } from '../formats/shl/vhlink.ts';
import type { ShlContext } from './shl-links.ts';
import { answerVhlManifest } from './vhl-manifest.ts';
import type { ShlFetcher, VhlFetcher } from './verify-options.ts';

/** The attachment URLs of the included DocumentReferences, in Bundle order. */
function attachmentUrls(bundle: Bundle): string[] {
  return (bundle.entry ?? [])
    .filter((e) => e.search?.mode === 'include' && e.resource?.resourceType === 'DocumentReference')
    .flatMap((e) => ((e.resource as DocumentReference).content ?? []).map((c) => c.attachment?.url ?? ''))
    .filter((u) => u !== '');
}

/**
 * @example const fetchVhl = localVhlFetcher(shl, { fhirBase: 'https://gw.example/fhir', fetchShl, now })
 */
export function localVhlFetcher(
  shl: ShlContext,
  options: { fhirBase: string; fetchShl: ShlFetcher; now: () => Date },
): VhlFetcher {
  const own = new URL(options.fhirBase.replace(/\/+$/, ''));
  return async (link, request) => {
    const q = parseVhlManifestUrl(link.url);
    const base = new URL(q.base);
    if (base.origin !== own.origin || base.pathname.replace(/\/+$/, '') !== own.pathname.replace(/\/+$/, ''))
      throw new FormatError(
        'SHL_FETCH_REFUSED',
        `VHL: ${base.host} is another sharer; retrieving its manifest needs receiver authentication this server does not hold`,
      );
    const { bundle } = await answerVhlManifest(
      shl,
      {
        ...q,
        include: true,
        recipient: request.recipient,
        ...(request.passcode !== undefined ? { passcode: request.passcode } : {}),
      },
      { fhirBase: options.fhirBase, now: options.now() },
    );
    const jwes: string[] = [];
    for (const url of attachmentUrls(bundle)) jwes.push(String(await options.fetchShl(url, undefined)));
    return jwes;
  };
}
