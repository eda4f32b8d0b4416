// A real OAuth 2.0 authorization server for the login tests: oidc-provider (installed by .ci/setup
// into .ci/node), configured per case from the JSON in argv[2], on 127.0.0.1 (port from the
// configuration, 0 for any). It serves one provider's REAL paths (authorization, token, device
// authorization), a minimal login/consent interaction a test's HTTP client can walk (one form per
// page), and the provider's API calls that nascfg's verify module makes, which accept exactly the
// access tokens this server issued and refuse others with the provider's real 401 shape.
//
// The first line on stdout is `{"port": N}` once the server listens; everything else goes to stderr.
//
// Configuration (every key optional except `api`):
//   api              google_drive | google_photos | onedrive | dropbox | box | pcloud | yandex
//   port             the port to listen on (0: any)
//   routes           oidc-provider routes: authorization, token, device_authorization, code_verification
//   clients          [{client_id, client_secret (absent: public client, auth method none),
//                     secret_optional (the secret, when given, must be right; Dropbox with PKCE)}]
//   scopes           the scope values the provider knows (granted on consent)
//   require_params   {name: value} the authorization request must carry (else 400), e.g. access_type=offline
//   refresh          {issue: bool, rotate: bool, require_scope: "offline_access" | null}: refresh tokens
//   ttl              seconds: AccessToken, AuthorizationCode, DeviceCode, RefreshToken
//   device           bool: the device authorization grant
//   device_interval  seconds, added to the device authorization answer as `interval`; polls sooner get slow_down
//   device_rename    {standard name: provider's name} in the device authorization answer (Yandex: verification_url)
//   token_type       the token_type of token answers (oidc-provider says "Bearer")
//   token_extra      fields added to token answers
//   token_omit       fields removed from token answers (pCloud: expires_in)
//   redirect_extra   query parameters added to the authorization redirect (pCloud: hostname, locationid)
//   offline_access_without_consent_prompt  bool: offline_access counts without prompt=consent (Microsoft)
//   route_aliases    {other path: route path}, e.g. Google's /o/oauth2/v2/auth beside /o/oauth2/auth
//   api_scheme       the Authorization scheme the API accepts ("Bearer"; Yandex "OAuth")
//   drives           the Graph drives [[id, name, driveType], ...]
//   user             {login, password} of the one account

import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../../.ci/node/package.json'));
const { default: Provider, errors } = await import(require.resolve('oidc-provider'));

const cfg = JSON.parse(process.argv[2] ?? '{}');
const user = cfg.user ?? { login: 'tester', password: 'test-password' };
const routes = cfg.routes ?? {};
const ttl = { AccessToken: 3600, AuthorizationCode: 60, DeviceCode: 600, RefreshToken: 86400, ...(cfg.ttl ?? {}) };
const refresh = { issue: true, rotate: false, require_scope: null, ...(cfg.refresh ?? {}) };
const scopes = cfg.scopes ?? [];
const apiScheme = cfg.api_scheme ?? 'Bearer';
const deviceInterval = cfg.device_interval ?? 1;
// The scope an authorization request without `scope` is given (see the authorization middleware).
const IMPLICIT_SCOPE = 'api';
const drives = cfg.drives ?? [['b!personal0123', 'OneDrive', 'business']];

const log = (...args) => process.stderr.write(`${args.join(' ')}\n`);
// stdout carries only the ready line: oidc-provider's notices (console.info) go to stderr.
console.log = log;
console.info = log;
process.stdout.on('error', () => {});
const html = (body) => `<!DOCTYPE html><html><head><meta charset="utf-8"><title>test server</title></head><body>${body}</body></html>`;
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function readBody(ctx) {
  const chunks = [];
  for await (const chunk of ctx.req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

const server = http.createServer();
await new Promise((resolve) => server.listen(cfg.port ?? 0, '127.0.0.1', resolve));
const port = server.address().port;
const issuer = `http://127.0.0.1:${port}`;

const clientConfigs = cfg.clients ?? [{ client_id: 'test-client', client_secret: 'test-secret' }];
const clients = clientConfigs.map((c) => ({
  client_id: c.client_id,
  ...(c.client_secret && !c.secret_optional ? { client_secret: c.client_secret } : {}),
  token_endpoint_auth_method: c.client_secret && !c.secret_optional ? 'client_secret_post' : 'none',
  application_type: 'native',
  redirect_uris: ['http://127.0.0.1/'],
  response_types: ['code'],
  grant_types: [
    'authorization_code',
    'refresh_token',
    ...(cfg.device ? ['urn:ietf:params:oauth:grant-type:device_code'] : []),
  ],
}));

const provider = new Provider(issuer, {
  clients,
  routes,
  scopes: ['openid', 'offline_access', IMPLICIT_SCOPE, ...scopes],
  claims: { openid: ['sub'] },
  cookies: { keys: ['nascfg-test-cookie-key'] },
  pkce: { required: () => true },
  ttl,
  findAccount: async (ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
  issueRefreshToken: async (ctx, client, code) => refresh.issue && client.grantTypeAllowed('refresh_token')
    && (!refresh.require_scope || code.scopes.has(refresh.require_scope)),
  rotateRefreshToken: () => refresh.rotate,
  interactions: { url: async (ctx, interaction) => `/interaction/${interaction.uid}` },
  renderError: async (ctx, out) => {
    ctx.type = 'html';
    ctx.body = html(`<p class="error">${esc(out.error)}: ${esc(out.error_description ?? '')}</p>`);
  },
  features: {
    devInteractions: { enabled: false },
    deviceFlow: {
      enabled: !!cfg.device,
      userCodeInputSource: async (ctx, form, out, err) => {
        ctx.body = html(`${err ? `<p class="error">${esc(err.message ?? err.name)}</p>` : ''}${form}`);
      },
      userCodeConfirmSource: async (ctx, form) => {
        ctx.body = html(form);
      },
      successSource: async (ctx) => {
        ctx.body = html('<p class="done">Signed in: return to your device.</p>');
      },
    },
    revocation: { enabled: true },
  },
});
provider.on('server_error', (ctx, err) => log('server_error', err.stack ?? err));

// RFC 6749 2.3.1 lets a client authenticate with HTTP Basic or in the form; the real providers take
// both. oidc-provider insists on the registered method (client_secret_post here), so this moves Basic
// credentials into the form. The body is read here and handed to oidc-provider already parsed.
// Returns the form, or null when the request was answered here (a wrong optional secret).
async function formWithBasic(ctx) {
  const form = new URLSearchParams(ctx.is('application/x-www-form-urlencoded') ? await readBody(ctx) : '');
  const auth = ctx.get('authorization');
  if (/^basic /i.test(auth) && !form.has('client_secret')) {
    const [id, secret] = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8').split(':');
    form.set('client_id', decodeURIComponent(id.replace(/\+/g, ' ')));
    form.set('client_secret', decodeURIComponent((secret ?? '').replace(/\+/g, ' ')));
    delete ctx.req.headers.authorization;
  }
  // A secret that is optional (Dropbox with PKCE): checked when given, then dropped, as the client
  // is registered public.
  const optional = clientConfigs.find((c) => c.secret_optional && c.client_id === form.get('client_id'));
  if (optional && form.has('client_secret')) {
    if (form.get('client_secret') !== optional.client_secret) {
      ctx.status = 401;
      ctx.body = { error: 'invalid_client', error_description: 'client authentication failed' };
      return null;
    }
    form.delete('client_secret');
  }
  ctx.req.body = Object.fromEntries(form);
  return form;
}

// Device polls: slow_down when sooner than the interval (RFC 8628 3.5: the interval then grows by 5 s).
const polls = new Map();
function pollTooSoon(deviceCode) {
  const now = Date.now();
  const seen = polls.get(deviceCode);
  if (!seen) {
    polls.set(deviceCode, { last: now, interval: deviceInterval });
    return false;
  }
  const early = now - seen.last < seen.interval * 1000 - 200;
  seen.last = now;
  if (early) seen.interval += 5;
  return early;
}

function tokenPath() { return provider.pathFor('token'); }
function devicePath() { return cfg.device ? provider.pathFor('device_authorization') : null; }

provider.use(async (ctx, next) => {
  log(ctx.method, ctx.path);
  const alias = (cfg.route_aliases ?? {})[ctx.path];
  if (alias) ctx.path = alias;
  if (ctx.path.startsWith('/interaction/')) return interaction(ctx);

  if (ctx.method === 'GET' && ctx.path === provider.pathFor('authorization')) {
    const q = new URLSearchParams(ctx.querystring);
    // oidc-provider grants nothing without a scope; pCloud and Box have none: grant the API.
    if (!q.get('scope')) q.set('scope', IMPLICIT_SCOPE);
    // OpenID Connect drops offline_access unless prompt=consent; Microsoft does not ask for it.
    if (cfg.offline_access_without_consent_prompt && !q.get('prompt')
      && q.get('scope').split(' ').includes('offline_access')) {
      q.set('prompt', 'consent');
    }
    ctx.querystring = q.toString();
    for (const [name, value] of Object.entries(cfg.require_params ?? {})) {
      if (ctx.query[name] !== value) {
        ctx.status = 400;
        ctx.type = 'html';
        ctx.body = html(`<p class="error">test server: the authorization request lacks ${esc(name)}=${esc(value)}</p>`);
        return undefined;
      }
    }
  }

  const isToken = ctx.method === 'POST' && ctx.path === tokenPath();
  const isDevice = ctx.method === 'POST' && ctx.path === devicePath();
  if (isToken || isDevice) {
    const params = await formWithBasic(ctx);
    if (!params) return undefined;
    // Yandex and Microsoft take the device authorization request with the client_id alone (the
    // secret, where the app has one, comes with the token requests).
    const known = clientConfigs.find((c) => c.client_id === params.get('client_id'));
    if (isDevice && known?.client_secret && !known.secret_optional && !params.has('client_secret')) {
      ctx.req.body.client_secret = known.client_secret;
    }
    if (isDevice && !params.get('scope')) ctx.req.body.scope = IMPLICIT_SCOPE;
    if (isToken) {
      if (params.get('grant_type') === 'urn:ietf:params:oauth:grant-type:device_code'
        && pollTooSoon(params.get('device_code'))) {
        ctx.status = 400;
        ctx.body = { error: 'slow_down', error_description: new errors.SlowDown().error_description };
        return undefined;
      }
    }
  }

  if (!isToken && !isDevice && !providerPath(ctx.path)) {
    const answer = await api(ctx);
    if (answer) return undefined;
  }

  await next();

  if (isToken && ctx.status === 200 && ctx.body?.access_token) {
    if (cfg.token_type) ctx.body.token_type = cfg.token_type;
    Object.assign(ctx.body, cfg.token_extra ?? {});
    for (const name of cfg.token_omit ?? []) delete ctx.body[name];
  }
  if (isDevice && ctx.status === 200 && ctx.body?.device_code) {
    ctx.body.interval = deviceInterval;
    for (const [from, to] of Object.entries(cfg.device_rename ?? {})) {
      ctx.body[to] = ctx.body[from];
      delete ctx.body[from];
    }
  }
  const location = ctx.response.get('location');
  if (cfg.redirect_extra && location && location.startsWith('http://127.0.0.1:') && !location.startsWith(`${issuer}/`)) {
    const url = new URL(location);
    if (url.searchParams.has('code')) {
      for (const [name, value] of Object.entries(cfg.redirect_extra)) url.searchParams.set(name, value);
      ctx.redirect(url.href);
      ctx.status = 303;
    }
  }
  return undefined;
});

function providerPath(p) {
  const own = ['authorization', 'token', 'device_authorization', 'code_verification', 'userinfo', 'jwks',
    'revocation', 'introspection', 'end_session']
    .filter((name) => name !== 'device_authorization' && name !== 'code_verification' || cfg.device)
    .map((name) => { try { return provider.pathFor(name); } catch { return null; } })
    .filter(Boolean);
  return p.startsWith('/.well-known/') || own.some((o) => p === o || p.startsWith(`${o}/`));
}

// ---- Login and consent: one form per page.

async function interaction(ctx) {
  const [, , uid, action] = ctx.path.split('/');
  let details;
  try {
    details = await provider.interactionDetails(ctx.req, ctx.res);
  } catch (err) {
    ctx.status = 400;
    ctx.type = 'html';
    ctx.body = html(`<p class="error">interaction: ${esc(err.message)}</p>`);
    return;
  }
  if (details.uid !== uid) {
    ctx.status = 400;
    ctx.body = html('<p class="error">interaction mismatch</p>');
    return;
  }
  const { prompt } = details;
  ctx.type = 'html';
  if (ctx.method === 'GET') {
    if (prompt.name === 'login') {
      ctx.body = html(`<form method="post" action="/interaction/${uid}/login">
<input type="text" name="login" value=""><input type="password" name="password" value="">
<button type="submit">Sign in</button></form>`);
    } else {
      ctx.body = html(`<p>Allow ${esc(details.params.client_id)}: ${esc(details.params.scope ?? '')}</p>
<form method="post" action="/interaction/${uid}/consent"><input type="text" name="decision" value="">
<button type="submit">Continue</button></form>`);
    }
    return;
  }
  const form = new URLSearchParams(await readBody(ctx));
  let result;
  if (action === 'login') {
    if (form.get('login') !== user.login || form.get('password') !== user.password) {
      ctx.body = html('<p class="error">wrong login or password</p>');
      return;
    }
    result = { login: { accountId: user.login } };
  } else if (action === 'consent') {
    if (form.get('decision') !== 'allow') {
      result = { error: 'access_denied', error_description: 'The user denied access.' };
    } else {
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
      const d = prompt.details;
      if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
      if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
      for (const [indicator, s] of Object.entries(d.missingResourceScopes ?? {})) {
        grant.addResourceScope(indicator, s.join(' '));
      }
      result = { consent: { grantId: await grant.save() } };
    }
  } else {
    ctx.status = 404;
    return;
  }
  const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: true });
  ctx.status = 303;
  ctx.redirect(returnTo);
}

// ---- The provider's API, as nascfg's verify modules call it.

async function bearer(ctx) {
  const header = ctx.get('authorization');
  const [scheme, ...rest] = header.split(' ');
  if (!header || scheme.toLowerCase() !== apiScheme.toLowerCase()) return { given: !!header, ok: false };
  const token = rest.join(' ').trim();
  const at = await provider.AccessToken.find(token);
  return { given: true, ok: !!at && !at.isExpired };
}

function json(ctx, status, body, headers = {}) {
  ctx.status = status;
  for (const [k, v] of Object.entries(headers)) ctx.set(k, v);
  ctx.body = body;
}

function unauthorized(ctx, given) {
  switch (cfg.api) {
    case 'google_drive':
    case 'google_photos':
      return json(ctx, 401, {
        error: {
          code: 401,
          message: 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
          errors: [{ message: 'Invalid Credentials', domain: 'global', reason: 'authError', location: 'Authorization', locationType: 'header' }],
          status: 'UNAUTHENTICATED',
        },
      }, { 'WWW-Authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' });
    case 'onedrive':
      return json(ctx, 401, {
        error: {
          code: 'InvalidAuthenticationToken',
          message: given ? 'IDX14100: JWT is not well formed, there are no dots (.).' : 'Access token is empty.',
          innerError: { date: new Date().toISOString().slice(0, 19), 'request-id': '0f3e', 'client-request-id': '0f3e' },
        },
      });
    case 'dropbox':
      return json(ctx, 401, { error_summary: 'invalid_access_token/', error: { '.tag': 'invalid_access_token' } });
    case 'box':
      ctx.status = 401;
      ctx.set('WWW-Authenticate', 'Bearer realm="Service", error="invalid_token", error_description="The access token provided is invalid."');
      ctx.body = '';
      return undefined;
    case 'pcloud':
      return json(ctx, 200, given
        ? { result: 2094, error: "Invalid 'access_token' provided." }
        : { result: 1000, error: 'Log in required.' });
    case 'yandex':
      return json(ctx, 401, { message: 'Не авторизован.', description: 'Unauthorized', error: 'UnauthorizedError' });
    default:
      throw new Error(`unknown api ${cfg.api}`);
  }
}

// Answers the API request in ctx and returns true, or returns false for a path the API does not have.
async function api(ctx) {
  const route = `${cfg.api} ${ctx.method} ${ctx.path}`;
  const known = [
    /^google_drive GET \/drive\/v3\/(files|drives\/[^/]+)$/,
    /^google_photos GET \/v1\/albums$/,
    /^onedrive GET \/v1\.0\/(me\/drives|drives\/[^/]+\/root\/children)$/,
    /^dropbox POST \/2\/files\/list_folder$/,
    /^box GET \/2\.0\/folders\/0\/items$/,
    /^pcloud GET \/listfolder$/,
    /^yandex GET \/v1\/disk\/resources$/,
  ];
  if (!known.some((re) => re.test(route))) return false;
  const auth = await bearer(ctx);
  if (!auth.ok) {
    unauthorized(ctx, auth.given);
    return true;
  }
  const p = ctx.path;
  switch (cfg.api) {
    case 'google_drive':
      if (p === '/drive/v3/files') {
        json(ctx, 200, { kind: 'drive#fileList', incompleteSearch: false, files: [] });
      } else {
        const id = decodeURIComponent(p.slice('/drive/v3/drives/'.length));
        const message = `Shared drive not found: ${id}`;
        json(ctx, 404, { error: { code: 404, message, errors: [{ message, domain: 'global', reason: 'notFound', location: 'driveId', locationType: 'parameter' }] } });
      }
      break;
    case 'google_photos':
      json(ctx, 200, { albums: [] });
      break;
    case 'onedrive':
      if (p === '/v1.0/me/drives') {
        json(ctx, 200, {
          '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#drives',
          value: drives.map(([id, name, driveType]) => ({ id, name, driveType, owner: { user: { displayName: user.login } } })),
        });
      } else {
        const id = decodeURIComponent(p.slice('/v1.0/drives/'.length, -'/root/children'.length));
        if (drives.some(([known]) => known === id)) {
          json(ctx, 200, { value: [] });
        } else {
          json(ctx, 404, { error: { code: 'itemNotFound', message: 'The resource could not be found.' } });
        }
      }
      break;
    case 'dropbox': {
      if (!ctx.is('application/json')) {
        ctx.status = 400;
        ctx.body = 'Error in call to API function "files/list_folder": Bad HTTP "Content-Type" header. Expecting one of "application/json".';
        break;
      }
      let body = {};
      try { body = JSON.parse(await readBody(ctx)); } catch { /* not JSON */ }
      if (body.path === '') {
        json(ctx, 200, { entries: [], cursor: 'AAE', has_more: false });
      } else {
        json(ctx, 409, { error_summary: 'path/not_found/', error: { '.tag': 'path', path: { '.tag': 'not_found' } } });
      }
      break;
    }
    case 'box':
      json(ctx, 200, { total_count: 0, entries: [], offset: 0, limit: 100, order: [{ by: 'type', direction: 'ASC' }] });
      break;
    case 'pcloud':
      if (ctx.query.folderid !== '0') {
        json(ctx, 200, { result: 2005, error: 'Directory does not exist.' });
      } else {
        json(ctx, 200, { result: 0, metadata: { name: '/', folderid: 0, isfolder: true, contents: [] } });
      }
      break;
    case 'yandex':
      if (ctx.query.path !== '/') {
        json(ctx, 404, { message: 'Не удалось найти запрошенный ресурс.', description: 'Resource not found.', error: 'DiskNotFoundError' });
      } else {
        json(ctx, 200, { path: 'disk:/', type: 'dir', name: 'disk', _embedded: { items: [], path: 'disk:/', limit: 20, offset: 0, total: 0 } });
      }
      break;
    default:
      return false;
  }
  return true;
}

server.on('request', provider.callback());
process.stdout.write(`${JSON.stringify({ port })}\n`);
