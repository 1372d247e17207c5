import { type SecretRule, tokenRule as t } from './types';

/**
 * Formats that belong to no one provider: key files, credentials in URLs and headers, JWTs,
 * multi-line documents (PEM, PuTTY, Kubernetes Secret manifests), and generic `NAME = value`
 * assignments, which only count when the value looks random (entropy) and is not a placeholder.
 * They come after the provider rules: where both match the same value, the provider's wins.
 */
export const GENERIC_RULES: readonly SecretRule[] = [
  t(
    'private-key',
    'Private key',
    ['PRIVATE KEY'],
    // The header and the start of a key body (after optional PEM headers, across real or escaped
    // `\n` line breaks as in JSON key files): a bare header in code or docs is not a key.
    /-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----(?:\\[rn]|\s)+(?:[A-Za-z-]+: [^\n\\]*(?:\\[rn]|\s)+)*[A-Za-z0-9+/=]{16,}/g,
    'RFC 7468 (textual encoding of PKCS #1, PKCS #8, SEC 1 keys), OpenSSH PROTOCOL.key, RFC 4880 §6.2 (PGP armor)',
    { kind: 'private-key', multiline: true },
  ),
  t(
    'putty-private-key',
    'PuTTY private key',
    ['Private-Lines:'],
    /Private-Lines: [0-9]+\s+((?:[A-Za-z0-9+/=]{8,}\s+)*[A-Za-z0-9+/=]{8,})/g,
    'https://the.earth.li/~sgtatham/putty/0.78/htmldoc/AppendixC.html (PPK file format)',
    { kind: 'private-key', multiline: true },
  ),
  t(
    'kubernetes-secret',
    'Kubernetes Secret manifest with data',
    ['kind: Secret', 'kind: "Secret"', "kind: 'Secret'"],
    /\bkind:[ \t]*["']?Secret["']?\s[\s\S]{0,800}?\b(?:data|stringData):[ \t]*((?:\s+[A-Za-z0-9_.-]+:[ \t]*["']?[^\s"'#]{4,}["']?)+)/g,
    'https://kubernetes.io/docs/concepts/configuration/secret/ (Secret data and stringData)',
    { multiline: true },
  ),
  t(
    'credentials-in-url',
    'Password in URL',
    ['://'],
    /\b[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s:/?#@'"`<>]+:([^\s/?#@'"`<>]+)@[A-Za-z0-9.-]+/g,
    'RFC 3986 §3.2.1 (user information in a URI)',
    { kind: 'credentials-in-url', probe: /:\/\/[^\s:/?#@'"`<>]+:[^\s/?#@'"`<>]+@/g },
  ),
  t(
    'connection-string-password',
    'Password in a connection string',
    ['Password=', 'password=', 'Pwd=', 'PWD=', 'pwd='],
    /(?:Server|server|SERVER|Data Source|Host|host|HOST|AccountEndpoint|Endpoint)=[^;\n]{1,120};[^\n]{0,240}?(?:Password|password|Pwd|PWD|pwd)=([^;"'\s]{4,})/g,
    'https://learn.microsoft.com/en-us/dotnet/framework/data/adonet/connection-string-syntax',
  ),
  t(
    'curl-credentials',
    'Credentials on a curl command line',
    ['curl'],
    /\bcurl\b[^\n]{0,200}?\s(?:-u|--user)[ =]?["']?([^\s"':$]{1,64}:[^\s"'$]{4,128})/g,
    'https://curl.se/docs/manpage.html#-u (-u, --user <user:password>)',
  ),
  t(
    'jwt',
    'JSON Web Token',
    ['eyJ'],
    // base64url(`{"…`) header, payload, optional signature (`alg: none` has none).
    /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g,
    'RFC 7519 (JSON Web Token, JWS compact serialization)',
  ),
  t(
    'authorization-header',
    'Authorization header',
    ['uthorization', 'UTHORIZATION', 'Bearer', 'bearer'],
    /(?:\b(?:[Aa]uthorization|AUTHORIZATION)["']?\s*[:=]\s*["']?(?:(?:Bearer|bearer|Basic|basic|Token|token|Bot|Digest|Negotiate)\s+)?|\b(?:Bearer|bearer)\s+)([A-Za-z0-9._~+/=-]{8,})/g,
    'RFC 9110 §11.6.2 (Authorization), RFC 6750 (Bearer tokens)',
    { minEntropy: 3.5 },
  ),
  t(
    'generic-api-key',
    'Secret assigned to a key, token or secret name',
    [
      'TOKEN',
      'Token',
      'token',
      'SECRET',
      'Secret',
      'secret',
      'API_KEY',
      'APIKEY',
      'ApiKey',
      'apiKey',
      'api_key',
      'apikey',
      'Api_Key',
      'api-key',
      'ACCESS_KEY',
      'AccessKey',
      'accessKey',
      'access_key',
      'PRIVATE_KEY',
      'PrivateKey',
      'privateKey',
      'private_key',
      'AUTH_KEY',
      'authKey',
      'auth_key',
      'CREDENTIAL',
      'Credential',
      'credential',
    ],
    // A secret word (the end of a name such as GITHUB_TOKEN, or all of it) then at most 20 name
    // characters, an assignment, and a run of token characters, at least 16 of them. No pattern
    // for the start of the name: the match starts at the keyword, which keeps it cheap. Entropy and
    // placeholder checks do the rest.
    /(?:TOKEN|[Tt]oken|SECRET|[Ss]ecret|API_?KEY|APIKEY|[Aa]pi_?[Kk]ey|api-key|ACCESS_?KEY|[Aa]ccess_?[Kk]ey|PRIVATE_?KEY|[Pp]rivate_?[Kk]ey|AUTH_?KEY|[Aa]uth_?[Kk]ey|CREDENTIALS?|[Cc]redentials?)[A-Za-z0-9_]{0,20}["']?[ \t]*(?::=|=>|\?=|[:=])[ \t]*["'`]?([A-Za-z0-9_+/=.~-]{16,200})/g,
    'gitleaks generic-api-key (secret-word assignment with a Shannon entropy threshold of 3.5 bits per character)',
    { minEntropy: 3.5, assignmentWithin: 64 },
  ),
  t(
    'generic-password',
    'Password assigned in configuration',
    ['PASSWORD', 'Password', 'password', 'PASSWD', 'passwd', 'PASSPHRASE', 'passphrase', 'Passphrase'],
    /(?:PASSWORD|[Pp]assword|PASSWD|passwd|PASSPHRASE|[Pp]assphrase)[A-Za-z0-9_]{0,20}["']?[ \t]*(?::=|=>|\?=|[:=])[ \t]*["'`]?([A-Za-z0-9_+/=.~!@#%^&*-]{8,128})/g,
    'CWE-798 (hard-coded password): a password word assigned a literal that looks random',
    { minEntropy: 3, assignmentWithin: 64 },
  ),
];
