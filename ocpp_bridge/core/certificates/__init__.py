"""A charger's certificates (OCPP 1.6 security whitepaper edition 2, OCPP 2.0.1 blocks A and M), pure.

- Its key is derived from a seed (the charger's seeded randomness), and its CSR is signed with RFC 6979
  deterministic ECDSA, so a replay reproduces both; the subject is what a CSMS expects: CN = the charge
  point identity, O = 2.0.1 SecurityCtrlr.OrganizationName / 1.6 CpoName.
- The CA certificates a CSMS installs (InstallCertificate) are kept by use, listed by
  `certificateHashData` (GetInstalledCertificateIds) and deleted by it (DeleteCertificate).
- A CertificateSigned chain is accepted only if it is the answer to our CSR; a rejection names the
  SecurityEventNotification a real charger sends with it.

No I/O and no clock: `now` is passed in. Only the standard library and `cryptography`.

- `events`: the security events and their SecurityEventNotification;
- `keys`: the key, the CSR, SignCertificate;
- `hashing`: certificateHashData; `pem`: reading certificates;
- `store`: installed certificates (Install/GetInstalledCertificateIds/Delete);
- `signed`: CertificateSigned;
- `answers`: each CSMS-initiated call, from the handler's arguments to the new store and the answer.
"""
