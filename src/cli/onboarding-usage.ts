/** Usage lines of the onboarding commands, apart from their code so `--help` does not load the PKI libraries. */
export const ONBOARDING_USAGE = `  keys csr --usage SCA|DSC|UP|TLS --country XX [--cn NAME] [--org ORG] [--dir DIR] [--self-signed] [--force]
      new EC P-256 key (0600) and PKCS#10 request with the governance template; an SCA is also self-signed
      (4 years), UP/TLS with --self-signed (1 year). Default DIR: $DATA_DIR/keys/onboarding
  keys sign --csr FILE --usage DSC|UP|TLS --sca-cert FILE --sca-key FILE [--out FILE]
      issue the certificate a request asks for from our SCA (DSC 2 years, UP/TLS 1 year; never past the SCA)
  keys import --usage DSC|UP|TLS --cert FILE --key FILE [--sca-cert FILE] [--dir DIR]
      check the certificate matches the key, fits the template and chains to our SCA, then install both`;

export const GATEWAY_USAGE = `  trust upload --gateway URL --cert DSC.pem --up-cert UP.pem --up-key UP.key --tls-cert TLS.pem --tls-key TLS.key
               [--gateway-ca CA.pem] [--domain DCC] [--group DSC] [--kid KID]
      publish a certificate to the trust network gateway (POST /trustedCertificate): CMS signed with the UP key,
      over mutual TLS with the TLS certificate
  trust revoke-upload --gateway URL --cert DSC.pem --up-cert … --up-key … --tls-cert … --tls-key … [--gateway-ca …]
      withdraw it (DELETE /trustedCertificate)`;
