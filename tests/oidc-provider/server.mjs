// A real, certified OpenID provider (panva's oidc-provider) on 127.0.0.1, for Portcullis'
// end-to-end tests. Started by the Rust harness in tests/src/lib.rs; runnable by hand:
//
//   npm ci && node server.mjs [--port 0] [--redirect-uri http://127.0.0.1:3000/callback]
//
// Environment variables OIDC_PORT and OIDC_REDIRECT_URI do the same as the flags.
//
// When listening it prints one line on stdout: the issuer URL (http://127.0.0.1:<port>).
// Everything else goes to stderr.
//
// What it serves:
// * discovery, authorization (code flow, PKCE required), token, userinfo, JWKS,
//   revocation, introspection and RP-initiated logout;
// * devInteractions: the built-in login and consent forms, so a test walks the
//   authorization with plain HTTP requests and a cookie jar;
// * one test user per login name: any login signs in as that subject, with a verified
//   email `<login>@example.com`;
// * clients, one per client authentication method (see CLIENTS below). oidc-provider
//   itself accepts client_secret_basic and client_secret_post interchangeably; this server
//   is strict about it (a client must authenticate with exactly its registered method),
//   so a test can tell the two apart;
// * key rotation: `POST /__test/rotate-keys` switches to a new signing key with a new
//   `kid`. Discovery, issuer and clients stay the same; ID tokens issued afterwards carry
//   the new `kid` and the JWKS lists only the new key. The answer is the new `kid`.

import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.OIDC_PORT ?? '0' },
    'redirect-uri': {
      type: 'string',
      default: process.env.OIDC_REDIRECT_URI ?? 'http://127.0.0.1:3000/callback',
    },
  },
});

const port = Number.parseInt(args.port, 10);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`invalid port: ${args.port}`);
  process.exit(2);
}
const redirectUri = args['redirect-uri'];

// Known to the Rust harness (tests/src/lib.rs).
const CLIENTS = [
  ['basic-client', 'basic-client-secret', 'client_secret_basic'],
  ['post-client', 'post-client-secret', 'client_secret_post'],
  ['public-client', undefined, 'none'],
].map(([clientId, clientSecret, method]) => ({
  client_id: clientId,
  ...(clientSecret ? { client_secret: clientSecret } : {}),
  token_endpoint_auth_method: method,
  redirect_uris: [redirectUri],
  post_logout_redirect_uris: [new URL('/signed-out', redirectUri).href],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  scope: 'openid offline_access profile email',
}));

let keyNumber = 0;
function newSigningKey() {
  keyNumber += 1;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: `key-${keyNumber}`, use: 'sig', alg: 'RS256' };
}

function findAccount(_ctx, sub) {
  return {
    accountId: sub,
    async claims() {
      return {
        sub,
        email: `${sub}@example.com`,
        email_verified: true,
        name: `Test User ${sub}`,
        given_name: 'Test',
        family_name: `User ${sub}`,
        preferred_username: sub,
        locale: 'en',
      };
    },
  };
}

function newProvider(issuer, signingKey) {
  const provider = new Provider(issuer, {
    clients: CLIENTS,
    findAccount,
    jwks: { keys: [signingKey] },
    cookies: { keys: ['portcullis-e2e-cookie-key'] },
    pkce: { required: () => true },
    scopes: ['openid', 'offline_access', 'profile', 'email'],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name', 'preferred_username', 'locale'],
    },
    features: {
      devInteractions: { enabled: true },
      userinfo: { enabled: true },
      revocation: { enabled: true },
      introspection: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
  });
  provider.use(strictClientAuthentication);
  provider.on('server_error', (_ctx, error) => console.error('server_error', error));
  return provider;
}

// oidc-provider lets a client registered for client_secret_basic send its secret in the
// body and vice versa. Refuse that, after the fact, so tests see which method was used.
async function strictClientAuthentication(ctx, next) {
  await next();
  const client = ctx.oidc?.client;
  if (ctx.method !== 'POST' || !client || !ctx.oidc.params) return;
  if (!['token', 'revocation', 'introspection'].includes(ctx.oidc.route)) return;
  let used = 'none';
  if (ctx.headers.authorization !== undefined) used = 'client_secret_basic';
  else if (ctx.oidc.params.client_secret !== undefined) used = 'client_secret_post';
  if (used !== client.clientAuthMethod) {
    ctx.status = 401;
    ctx.type = 'json';
    ctx.body = {
      error: 'invalid_client',
      error_description: `client authenticated with ${used}, registered for ${client.clientAuthMethod}`,
    };
  }
}

let current;
const server = createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/__test/rotate-keys') {
    const key = newSigningKey();
    current = { provider: newProvider(current.provider.issuer, key), handler: undefined };
    current.handler = current.provider.callback();
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(key.kid);
    return;
  }
  current.handler(req, res);
});

server.listen(port, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = newProvider(issuer, newSigningKey());
  current = { provider, handler: provider.callback() };
  process.stdout.write(`${issuer}\n`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
