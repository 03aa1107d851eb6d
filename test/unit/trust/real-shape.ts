/**
 * The shape of the real GDHCN trust lists, with the public certificates of the spec's example participant XA
 * (https://smart.who.int/trust/concepts_did_gdhcn.html, "Embedded trustlist for DCC/XXA/DSC"; the same
 * certificates are in WorldHealthOrganization/tng-cdn-dev v2.0.0/trustlist/DCC/XXA/did.json, whose `kid`s are
 * base64 of the base64 kid, e.g. WFBqaEw5Wm5kMU09 for XPjhL9Znd1M=).
 */
export const REAL_XA_DSC =
  'MIICuTCCAmCgAwIBAgIUD9k1Q64Eav5r07DQ4Gff/7h7r6QwCgYIKoZIzj0EAwIwdDELMAkGA1UEBhMCWEExFDASBgNVBAgMC1hYQSBDb3VudHJ5MRgwFgYDVQQHDA9YQSBDYXBpdG9sIENpdHkxDDAKBgNVBAoMA1dITzEMMAoGA1UECwwDUiZEMRkwFwYDVQQDDBBOYXRpb25YQV9UTlBfU0NBMB4XDTI0MDgwMjEzNDM0M1oXDTI2MDgwMjEzNDM0M1owfzELMAkGA1UEBhMCWEExFDASBgNVBAgMC1hYQSBDb3VudHJ5MRgwFgYDVQQHDA9YQSBDYXBpdG9sIENpdHkxDDAKBgNVBAoMA1dITzEMMAoGA1UECwwDUiZEMSQwIgYDVQQDDBtIZWFsdGggQWRtaW5pc3RyYXRpb24gb2YgWEEwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAT3TVbWYsSYYarCUv8sfvmv2y0GjDEI+PAkm/92na/zAOoV8O2w7rov/Txk3wwz/jMoKvx+IgSfYoyygtGetYEdo4HEMIHBMA4GA1UdDwEB/wQEAwIHgDAdBgNVHQ4EFgQUhjRj4qGi0+rt7ka7GLiol6q2+78wHwYDVR0jBBgwFoAUoir+zkKsSL7OkG8dPyThX49GLtEwPQYDVR0fBDYwNDAyoDCgLoYsaHR0cDovL2NybC5leGFtcGxlZG9tYWluLmV4YW1wbGUvQ1JML1NDQS5jcmwwMAYDVR0lBCkwJwYLKwYBBAGON49lAQEGCysGAQQBjjePZQECBgsrBgEEAY43j2UBAzAKBggqhkjOPQQDAgNHADBEAiATU7uopFD4U3mLHHQn+0ncg4gb5ZazhhrXMXwzAD4NbgIgd3jcskFPyOoBGut8oyXu+nKYKr5zFCqmXkYlILqCo6Q=';

export const REAL_XA_SCA =
  'MIICMDCCAdWgAwIBAgIUFqWc0xbrcpAettDF8gEymTzDtSkwCgYIKoZIzj0EAwIwdDELMAkGA1UEBhMCWEExFDASBgNVBAgMC1hYQSBDb3VudHJ5MRgwFgYDVQQHDA9YQSBDYXBpdG9sIENpdHkxDDAKBgNVBAoMA1dITzEMMAoGA1UECwwDUiZEMRkwFwYDVQQDDBBOYXRpb25YQV9UTlBfU0NBMB4XDTI0MDgwMjA3MTY0MVoXDTI4MDgwMjA3MTY0MVowdDELMAkGA1UEBhMCWEExFDASBgNVBAgMC1hYQSBDb3VudHJ5MRgwFgYDVQQHDA9YQSBDYXBpdG9sIENpdHkxDDAKBgNVBAoMA1dITzEMMAoGA1UECwwDUiZEMRkwFwYDVQQDDBBOYXRpb25YQV9UTlBfU0NBMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEeKTWEuRQ4ftDRaTBA6++wea8ODmEqCLE/nWTcvcX069g3YlWEokVgEIMEumXcez++bcIayhRYDi4itAqd5DmJ6NFMEMwEgYDVR0TAQH/BAgwBgEB/wIBADAOBgNVHQ8BAf8EBAMCAQYwHQYDVR0OBBYEFKIq/s5CrEi+zpBvHT8k4V+PRi7RMAoGCCqGSM49BAMCA0kAMEYCIQC2+Bl6No20L/uSxr4bJSPDAAJ37UhhH52ppOElxB1dqgIhANbn1ZF0DNWYyH+eKBTrY+14zbzhDxlXWh/Go1OM9ZZ/';

const DID = 'did:web:worldhealthorganization.github.io:tng-cdn-dev:v2.0.0:trustlist:DCC:XXA';

/** Participant-level embedded list in the tng-cdn-dev v2.0.0 shape (JWK coordinates omitted: we read x5c). */
export const realShapeDocument = {
  '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/suites/jws-2020/v1'],
  id: DID,
  controller: DID,
  verificationMethod: [
    {
      id: `${DID}#WFBqaEw5Wm5kMU09`,
      type: 'JsonWebKey2020',
      controller: DID,
      publicKeyJwk: { kty: 'EC', kid: 'WFBqaEw5Wm5kMU09', x5c: [REAL_XA_DSC, REAL_XA_SCA], crv: 'P-256' },
    },
    {
      id: `${DID}#d0RlcGxoZFJNOTQ9`,
      type: 'JsonWebKey2020',
      controller: DID,
      publicKeyJwk: { kty: 'EC', kid: 'd0RlcGxoZFJNOTQ9', x5c: [REAL_XA_SCA], crv: 'P-256' },
    },
  ],
  proof: {
    type: 'JsonWebSignature2020',
    created: '2024-08-09T12:00:12Z',
    nonce: 'n',
    proofPurpose: 'assertionMethod',
    verificationMethod: 'did:web:example',
    jws: 'e..s',
  },
};
