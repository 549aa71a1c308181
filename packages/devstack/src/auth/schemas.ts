import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { HttpError, readBody } from '../gateway/http';
import { AuthHttpError } from './errors';

// Request bodies as GoTrue decodes them: unknown fields are ignored and `null`
// means "not given" (Go's json.Unmarshal into a struct), wrong types are bad_json.

const text = z.string().nullish();
const jsonObject = z.record(z.string(), z.unknown());

/** GoTrue's gotrue_meta_security (captcha); accepted and ignored, as with captcha disabled. */
const metaSecurity = z.object({ captcha_token: text }).nullish();

export const signupBody = z.object({
  email: text,
  phone: text,
  password: text,
  data: jsonObject.nullish(),
  channel: text,
  code_challenge: text,
  code_challenge_method: text,
  gotrue_meta_security: metaSecurity,
});

export const passwordGrantBody = z.object({
  email: text,
  phone: text,
  password: text,
  gotrue_meta_security: metaSecurity,
});

export const refreshGrantBody = z.object({ refresh_token: text });

export const userUpdateBody = z.object({
  email: text,
  password: text,
  current_password: text,
  nonce: text,
  data: jsonObject.nullish(),
  app_metadata: jsonObject.nullish(),
  phone: text,
  channel: text,
  code_challenge: text,
  code_challenge_method: text,
});

export const adminUserBody = z.object({
  id: text,
  aud: text,
  role: text,
  email: text,
  phone: text,
  password: text,
  password_hash: text,
  email_confirm: z.boolean().nullish(),
  phone_confirm: z.boolean().nullish(),
  user_metadata: jsonObject.nullish(),
  app_metadata: jsonObject.nullish(),
  ban_duration: text,
});

export const adminDeleteBody = z.object({ should_soft_delete: z.boolean().nullish() });

export type SignupBody = z.infer<typeof signupBody>;
export type PasswordGrantBody = z.infer<typeof passwordGrantBody>;
export type UserUpdateBody = z.infer<typeof userUpdateBody>;
export type AdminUserBody = z.infer<typeof adminUserBody>;

function badJson(detail: string): AuthHttpError {
  return new AuthHttpError(400, 'bad_json', `Could not parse request body as JSON: ${detail}`);
}

/**
 * Reads and validates a JSON body. An empty body is an error unless `allowEmpty`
 * (then it parses as `{}`), like GoTrue's retrieveRequestParams.
 */
export async function readJsonBody<S extends z.ZodType>(
  req: IncomingMessage,
  schema: S,
  limit: number,
  options: { allowEmpty?: boolean } = {},
): Promise<z.infer<S>> {
  let raw: Buffer;
  try {
    raw = await readBody(req, limit, () => new HttpError(413, {}));
  } catch (err) {
    if (err instanceof HttpError) {
      throw new AuthHttpError(413, 'request_entity_too_large', `Request body too large (max ${limit} bytes)`);
    }
    throw err;
  }
  const source = raw.toString('utf8');
  if (source.trim() === '' && options.allowEmpty) return schema.parse({}) as z.infer<S>;
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch (err) {
    throw badJson(source.trim() === '' ? 'the body is empty' : err instanceof Error ? err.message : String(err));
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badJson('expected a JSON object');
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
    throw badJson(problems);
  }
  return parsed.data;
}
