/**
 * `POST /auth/token`: a short-lived bearer token, so API clients do not send a password (or
 * renegotiate Kerberos) with every call. Staff authenticate the request itself (Negotiate or
 * Basic); service accounts use the OAuth 2.0 client credentials grant, with `client_id` and
 * `client_secret` in the form body or as Basic credentials. Answers and errors as RFC 6749 5.1/5.2.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4
 */
import express, { Router, type Request, type Response } from 'express';
import type { Authenticator, AuthOutcome } from './authenticate.ts';
import type { TokenService } from './tokens.ts';

const CLIENT_PREFIX = 'client:';

function oauthError(res: Response, status: number, error: string, description: string, challenges?: string[]): void {
  if (challenges) res.set('WWW-Authenticate', challenges);
  res.status(status).set('Cache-Control', 'no-store').json({ error, error_description: description });
}

/** The token for an authenticated caller, or the failure with `challenges` on a 401. */
async function answer(res: Response, result: AuthOutcome, challenges: string[], tokens: TokenService): Promise<void> {
  if (!result.ok) {
    res.locals.authFailure = result.reason;
    if (result.retryAfterSeconds !== undefined) res.set('Retry-After', String(result.retryAfterSeconds));
    if (result.status === 401) oauthError(res, 401, 'invalid_client', result.reason, challenges);
    else oauthError(res, result.status, result.status === 429 ? 'slow_down' : 'temporarily_unavailable', result.reason);
    return;
  }
  res.locals.caller = { principal: result.principal };
  if (result.wwwAuthenticate) res.set('WWW-Authenticate', result.wwwAuthenticate);
  res.set('Cache-Control', 'no-store').json(await tokens.issue(result.principal));
}

/**
 * `POST /auth/negotiate`: a bearer token for the browser's Kerberos ticket, for web pages. It
 * challenges with Negotiate only: a browser with a ticket for this server answers by itself, one
 * without gets the 401 back quietly (a Basic challenge would open its login box) and the page
 * offers its own form.
 */
async function negotiateToken(req: Request, res: Response, authenticator: Authenticator, tokens: TokenService): Promise<void> {
  if (!authenticator.methods().includes('Kerberos')) {
    oauthError(res, 404, 'invalid_request', 'Kerberos single sign-on is not configured on this server');
    return;
  }
  const authorization = req.get('authorization');
  if (!authorization?.toLowerCase().startsWith('negotiate ')) {
    oauthError(res, 401, 'invalid_client', 'a Kerberos ticket is required (Negotiate)', ['Negotiate']);
    return;
  }
  await answer(res, await authenticator.authenticate(authorization, req.socket.remoteAddress ?? ''), ['Negotiate'], tokens);
}

export function tokenRouter(authenticator: Authenticator, tokens: TokenService): Router {
  const router = Router();
  // A small body: the secret is hashed with scrypt, and nobody needs more than this to send it.
  router.post('/token', express.urlencoded({ extended: false, limit: '4kb' }), async (req: Request, res: Response, next) => {
    res.locals.route = 'POST /auth/token';
    try {
      const body = (req.body ?? {}) as Record<string, string | undefined>;
      const grant = body.grant_type;
      if (grant !== undefined && grant !== 'client_credentials') {
        oauthError(res, 400, 'unsupported_grant_type', 'only client_credentials is supported; staff authenticate this request with Negotiate or Basic');
        return;
      }
      let authorization = req.get('authorization');
      if (body.client_id !== undefined) {
        authorization = `Basic ${Buffer.from(`${CLIENT_PREFIX}${body.client_id}:${body.client_secret ?? ''}`).toString('base64')}`;
      } else if (grant === 'client_credentials' && authorization?.toLowerCase().startsWith('basic ')) {
        // RFC 6749 2.3.1: the client id as the Basic user name.
        const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
        if (!decoded.startsWith(CLIENT_PREFIX)) authorization = `Basic ${Buffer.from(`${CLIENT_PREFIX}${decoded}`).toString('base64')}`;
      }
      if (authorization?.toLowerCase().startsWith('bearer ')) {
        oauthError(res, 400, 'invalid_request', 'a bearer token cannot be exchanged for another: log in again');
        return;
      }
      const result = await authenticator.authenticate(authorization, req.socket.remoteAddress ?? '');
      await answer(res, result, authenticator.challenges(), tokens);
    } catch (err) {
      next(err);
    }
  });
  router.post('/negotiate', async (req: Request, res: Response, next) => {
    res.locals.route = 'POST /auth/negotiate';
    try {
      await negotiateToken(req, res, authenticator, tokens);
    } catch (err) {
      next(err);
    }
  });
  return router;
}
