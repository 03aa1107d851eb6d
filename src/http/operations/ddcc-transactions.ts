/**
 * The DDCC IG's operations, declared by the IG's own OperationDefinitions (read from the loaded `who.ddcc`
 * package, not copied into profiles/): `$generateHealthCertificate` on QuestionnaireResponse and Bundle,
 * `$generateHealthFolder` on Bundle, `$revokeHealthCertificate` (type and instance level). Submit Health Event is a
 * batch of `POST QuestionnaireResponse/$generateHealthCertificate` entries, answered by the batch handler through
 * the same route. See docs/decisions/0050-ddcc-transactions.md.
 * http://smart.who.int/ddcc/transactions.html
 */
import type { OperationDefinition, OperationOutcome } from '@medplum/fhirtypes';
import { OPERATION_SCOPES } from '../../auth/operation-scopes.ts';
import { generateHealthCertificate } from '../../credentials/ddcc-generate.ts';
import { generateHealthFolder } from '../../credentials/ddcc-folder.ts';
import { revokeHealthCertificate } from '../../credentials/ddcc-revoke.ts';
import { fail } from '../../fhir/outcome.ts';
import type { PackageSet } from '../../packages/types.ts';
import type { WorkBudget } from '../../fhir/work-budget.ts';
import type { CredentialServices } from '../../services-credentials.ts';
import type { FhirResponse } from '../fhir-request.ts';
import type { OperationRoute } from '../routes.ts';
import { operationRoute } from './define.ts';

const DDCC_OPERATION = 'http://smart.who.int/ddcc/OperationDefinition/';
export const DDCC_OPERATION_URLS = {
  generateHealthCertificate: `${DDCC_OPERATION}DDCCQuestionnaireResponsegenerateHealthCertificate`,
  generateHealthFolder: `${DDCC_OPERATION}DDCCQuestionnaireResponsegenerateHealthFolder`,
  revokeHealthCertificate: `${DDCC_OPERATION}DDCCQuestionnaireResponserevokeHealthCertificate`,
} as const;

/**
 * The IG names no resource for `$revokeHealthCertificate`; it is offered where the DDCC documents come from and
 * live (QuestionnaireResponse, Bundle) and on the DocumentReference registered for them.
 */
const REVOKE_TYPES = ['QuestionnaireResponse', 'Bundle', 'DocumentReference'];

export interface DdccOperationDeps {
  credentials: CredentialServices;
  now: () => Date;
  /** The validation engine on one resource (its meta.profile, and a QuestionnaireResponse against its Questionnaire). */
  validate: (resource: unknown, budget?: WorkBudget) => OperationOutcome;
}

function definitionIn(packages: PackageSet, url: string): OperationDefinition | undefined {
  for (const pkg of packages.packages)
    for (const r of pkg.resources) if (r.resourceType === 'OperationDefinition' && r.url === url) return r as never;
  return undefined;
}

const bodyNamesId = (body: unknown): boolean =>
  (body as { resourceType?: string; parameter?: Array<{ name?: string }> } | undefined)?.resourceType ===
    'Parameters' && ((body as { parameter?: Array<{ name?: string }> }).parameter ?? []).some((p) => p?.name === 'id');

const withWarnings = (res: FhirResponse, warnings: OperationOutcome['issue']): FhirResponse =>
  warnings && warnings.length > 0 ? { ...res, outcome: { resourceType: 'OperationOutcome', issue: warnings } } : res;

/**
 * The routes of the IG's operations whose OperationDefinitions are loaded (none without the `who.ddcc` package).
 * @example ddccOperations(services.validation.current().packages, deps).map((o) => o.code)
 *   // → ['generateHealthCertificate', 'generateHealthFolder', 'revokeHealthCertificate']
 */
export function ddccOperations(packages: PackageSet, deps: DdccOperationDeps): OperationRoute[] {
  const routes: OperationRoute[] = [];
  const generate = definitionIn(packages, DDCC_OPERATION_URLS.generateHealthCertificate);
  if (generate)
    routes.push(
      operationRoute(generate, {
        scope: OPERATION_SCOPES.generateHealthCertificate,
        handle: async (ctx, req, _target, input) => {
          // A Submit Health Event batch shares one request budget: once spent, each further entry stops here.
          ctx.budget?.check();
          const made = await generateHealthCertificate(deps.credentials.issuer(), {
            response: input.resource('response'),
            now: deps.now(),
            validitySeconds: deps.credentials.hcertValiditySeconds,
            requester: req.requester ?? 'unknown',
            validate: (resource) => deps.validate(resource, ctx.budget),
          });
          const location = `${ctx.settings.baseUrl}/Bundle/${made.document.id}`;
          return withWarnings({ status: 201, resource: made.document, headers: { Location: location } }, made.warnings);
        },
      }),
    );
  const folder = definitionIn(packages, DDCC_OPERATION_URLS.generateHealthFolder);
  if (folder)
    routes.push(
      operationRoute(folder, {
        scope: OPERATION_SCOPES.generateHealthFolder,
        handle: async (ctx, req, _target, input) => {
          ctx.budget?.check();
          const made = await generateHealthFolder(deps.credentials.issuer(), {
            bundle: input.resource('bundle'),
            now: deps.now(),
            validitySeconds: deps.credentials.hcertValiditySeconds,
            requester: req.requester ?? 'unknown',
          });
          const location = `${ctx.settings.baseUrl}/List/${made.folder.id}`;
          return withWarnings({ status: 201, resource: made.folder, headers: { Location: location } }, made.warnings);
        },
      }),
    );
  const revoke = definitionIn(packages, DDCC_OPERATION_URLS.revokeHealthCertificate);
  if (revoke)
    routes.push({
      ...operationRoute(
        { ...revoke, resource: REVOKE_TYPES as never },
        {
          scope: OPERATION_SCOPES.revokeHealthCertificate,
          readInput: false,
          handle: async (ctx, req, target, _input, read) => {
            // At instance level the id is in the path (then `id` may be left out of the body).
            const input = read(
              target.id && !bodyNamesId(req.body) ? { query: [...req.query, ['id', target.id]], body: req.body } : req,
            );
            const id = input.string('id') as string;
            if (target.id && id !== target.id)
              fail('invalid', {
                code: 'invalid',
                id: 'DDCC_REVOKE_TARGET',
                text: `The parameter "id" (${id}) names another document than the path (${target.id})`,
                expression: 'id',
              });
            const done = await revokeHealthCertificate(ctx.store, {
              ddccId: id,
              now: deps.now(),
              requester: req.requester ?? 'unknown',
              target,
            });
            return {
              status: 200,
              resource: { resourceType: 'Parameters', parameter: [{ name: 'return', valueBoolean: done.revoked }] },
            };
          },
        },
      ),
    });
  return routes;
}
