/**
 * False positives: text that looks like a secret to a naive pattern but is not one. Documented
 * placeholders (AWS's example keys, `xxxx` runs, `<your-token>`, `${VAR}`, `your_api_key_here`),
 * code that reads a secret from elsewhere, hashes, ids and templated manifests. [file name, template]
 */
export const FALSE_POSITIVES: readonly (readonly [string, string])[] = [
  [
    'config/aws-example.ini',
    '[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n',
  ],
  ['docs-src/github.md', 'Set `GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx` in your shell.\n'],
  ['src/gh-zero.ts', "const token = 'ghp_000000000000000000000000000000000000';\n"],
  [
    '.github/workflows/ci.yml',
    'env:\n  GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}\n  NPM_TOKEN: ${{ secrets.NPM_TOKEN }}\n',
  ],
  ['config/template.env', 'OPENAI_API_KEY=<your-openai-api-key>\nANTHROPIC_API_KEY=<your-token>\n'],
  ['config/readme.env', 'api_key = "your_api_key_here"\n'],
  ['config/stripe-placeholder.env', 'STRIPE_SECRET_KEY=sk_live_XXXXXXXXXXXXXXXXXXXXXXXX\n'],
  [
    'config/slack-placeholder.env',
    'SLACK_BOT_TOKEN=xoxb-0000000000-0000000000000-xxxxxxxxxxxxxxxxxxxxxxxx\n',
  ],
  ['src/db.ts', 'const password = process.env.DB_PASSWORD;\nconst secret = config.get("jwt.secret");\n'],
  [
    'src/types.ts',
    'export interface Login {\n  username: string;\n  password: string;\n  token?: string;\n}\n',
  ],
  ['src/auth.py', 'token = get_access_token(request)\nSECRET_KEY = os.environ["SECRET_KEY"]\n'],
  [
    'package-lock.json',
    '{\n  "node_modules/left-pad": {\n    "version": "1.3.0",\n    "integrity": "sha512-{b64:86}=="\n  }\n}\n',
  ],
  ['CHANGELOG.md', '- fix token refresh ({hex:40})\n- commit {hex:40}\n'],
  ['config/dev.env', 'DB_PASSWORD=password\nADMIN_PASSWORD=changeme\nAPI_KEY=test\n'],
  [
    'docker-compose.dev.yml',
    'services:\n  db:\n    environment:\n      DATABASE_URL: postgres://user:password@localhost:5432/app\n      REDIS_URL: redis://:${REDIS_PASSWORD}@redis:6379\n',
  ],
  ['src/mysql.ts', 'const url = `mysql://root:${MYSQL_PASSWORD}@db:3306/app`;\n'],
  ['docs-src/urls.md', 'Example: https://user:pass@example.com/path\n'],
  [
    'src/pem.ts',
    "const HEADER = '-----BEGIN PRIVATE KEY-----';\nconst FOOTER = '-----END PRIVATE KEY-----';\n",
  ],
  ['docs-src/keys.md', '```\n-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n```\n'],
  [
    'src/http.ts',
    'headers: { Authorization: `Bearer ${token}` },\nconst h = { Authorization: "Bearer " + accessToken };\n',
  ],
  ['docs-src/api.md', 'Send `Authorization: Bearer <token>` with every request.\n'],
  ['src/ids.ts', 'export const ORDER_ID = "{uuid}";\n'],
  ['config/azure-placeholder.env', 'AZURE_CLIENT_SECRET=00000000-0000-0000-0000-000000000000\n'],
  [
    'deploy/secret-template.yaml',
    'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: {{ .Values.db.password }}\n',
  ],
  [
    'deploy/secret-doc.yaml',
    'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  password: <base64-encoded-password>\n',
  ],
  [
    'scripts/publish.sh',
    'npm config set //registry.npmjs.org/:_authToken=${NPM_TOKEN}\ncurl -u $USER:$TOKEN https://api.internal/\n',
  ],
  ['src/styles.css', '.a { color: #{hex:6}; }\n.b { background: url(data:image/png;base64,{b64:120}=); }\n'],
  ['Dockerfile', 'FROM node:20@sha256:{hex:64}\n'],
  ['src/headers.ts', 'const API_KEY_HEADER = "x-api-key";\nconst TOKEN_TYPE = "Bearer";\n'],
  [
    'config/sa-template.json',
    '{ "type": "service_account", "private_key_id": "your-private-key-id", "private_key": "<private-key>" }\n',
  ],
  ['docs-src/hf.md', 'export HF_TOKEN=hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n'],
  ['src/hash.py', 'password_hash = bcrypt.hashpw(password, bcrypt.gensalt())\n'],
  [
    'yarn.lock',
    'left-pad@^1.3.0:\n  version "1.3.0"\n  resolved "https://registry.yarnpkg.com/left-pad/-/left-pad-1.3.0.tgz#{hex:40}"\n',
  ],
  ['src/nlp.py', 'tokenizer = AutoTokenizer.from_pretrained("bert-base-uncased")\n'],
  ['docs-src/openai.md', 'OPENAI_API_KEY=sk-proj-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n'],
  [
    'docs-src/jwt.md',
    'Example token: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c\n',
  ],
  ['src/oauth.ts', 'const body = { token_type: "Bearer", access_token: "{{ access_token }}" };\n'],
  [
    'src/config.ts',
    'export const secretName = "prod/api/credentials";\nconst tokenUrl = "https://auth.internal/oauth/token";\n',
  ],
  [
    'src/i18n.json',
    '{ "password": "Password", "token_expired": "Your session token has expired. Please sign in again." }\n',
  ],
  ['config/keys.env', 'SECRET_KEY_BASE=${SECRET_KEY_BASE}\nAPI_TOKEN=%(api_token)s\n'],
  ['src/version.ts', 'export const BUILD = "{hex:40}";\nexport const CHECKSUM = "{hex:64}";\n'],
  ['docs-src/stripe.md', 'Use `sk_live_...` in production and your test key while developing.\n'],
  ['docs-src/curl.md', 'curl -u username:password https://api.example.com/\n'],
  ['src/regex.ts', 'const GITHUB_TOKEN_RE = /ghp_[A-Za-z0-9]{36}/;\n'],
  [
    'terraform/main.tf',
    'resource "aws_iam_access_key" "ci" {\n  user = aws_iam_user.ci.name\n}\noutput "secret" {\n  value     = aws_iam_access_key.ci.secret\n  sensitive = true\n}\n',
  ],
  ['config/redacted.log', 'using token ghp_************************************\nauth: Bearer [REDACTED]\n'],
  ['src/uuid.go', 'var sessionTokenPrefix = "session_token_"\n'],
  ['src/test_keys.py', 'PASSWORD_MIN_LENGTH = 12\nTOKEN_TTL_SECONDS = 3600\n'],
  ['config/slack-doc.md', 'https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX\n'],
  ['config/sample.npmrc', '//registry.npmjs.org/:_authToken=YOUR_NPM_TOKEN_HERE\n'],
];
