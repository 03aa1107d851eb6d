/**
 * The scope each operation that signs with the country's key or changes trust demands. Stable names: clients are
 * registered with them. An operation states its scope where it is declared (OperationRoute.scope); this list is
 * what the development client, the smart-configuration and the README advertise.
 */
export const OPERATION_SCOPES = {
  issueHcert: 'system/Immunization.$issue-hcert',
  healthCardsIssue: 'system/Patient.$health-cards-issue',
  issueShl: 'system/Bundle.$issue-shl',
  revokeCredential: 'system/$revoke-credential',
  /** Apart from revoking on purpose: bringing a credential back is rarer and reviewed separately. */
  unrevokeCredential: 'system/$unrevoke-credential',
  installPackage: 'system/$install-package',
  validate: 'system/$validate',
  summary: 'system/Patient.$summary',
  generateHealthCertificate: 'system/QuestionnaireResponse.$generateHealthCertificate',
  generateHealthFolder: 'system/Bundle.$generateHealthFolder',
  revokeHealthCertificate: 'system/$revokeHealthCertificate',
  generateVhl: 'system/Patient.$generate-vhl',
  issueHcertBulk: 'system/$issue-hcert-bulk',
} as const;

export const ALL_OPERATION_SCOPES: readonly string[] = Object.values(OPERATION_SCOPES);
